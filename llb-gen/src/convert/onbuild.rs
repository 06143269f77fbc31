//! ONBUILD triggers (upstream `initOnBuildTriggers`): a stage based on a
//! stage or image with `OnBuild` runs those instructions first, located at
//! its FROM line and shown as `ONBUILD …` in progress names. The inherited
//! list is cleared, so triggers do not reach grandchildren.

use std::collections::BTreeMap;

use super::error::{Error, ErrorKind};
use crate::ir::{self, Instruction};

use super::build::Root;

use super::stages::{StageGraph, StageId};

/// Where a trigger came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TriggerFrom {
    /// An ONBUILD instruction of a parent stage (its spans are in the file).
    Stage,
    /// The `OnBuild` list of a base image config (its spans are not).
    Image,
}

/// Commands that are triggers, by stage and command index.
pub(super) type TriggerSet = BTreeMap<(StageId, usize), TriggerFrom>;

/// A trigger command placed at the FROM line of the stage running it.
fn relocate(mut cmd: ir::Command, stage: &ir::Stage) -> ir::Command {
    cmd.info.span = stage.from.span;
    cmd.info.start_line = stage.from.start_line;
    cmd.info.end_line = stage.from.end_line;
    cmd
}

/// Whether upstream's progress counter already counts the command.
fn counted(cmd: &ir::Command) -> bool {
    matches!(
        cmd.instruction,
        Instruction::Add(_) | Instruction::Copy(_) | Instruction::Run(_) | Instruction::Workdir(_)
    )
}

/// Whether a stage is based on another stage of the file that has ONBUILD
/// instructions (otherwise [`apply_stage_triggers`] changes nothing).
pub(super) fn has_stage_triggers(df: &ir::Dockerfile, g: &StageGraph) -> bool {
    df.stages.iter().enumerate().any(|(i, _)| {
        g.nodes
            .get(i)
            .and_then(|n| n.parent)
            .and_then(|p| df.stages.get(p))
            .is_some_and(|p| {
                p.commands
                    .iter()
                    .any(|c| matches!(c.instruction, Instruction::OnBuild(_)))
            })
    })
}

/// Prepend to every stage based on another stage of the file that stage's
/// own ONBUILD instructions. Returns the new file and the trigger positions;
/// `g` must have been built from `df`.
pub(super) fn apply_stage_triggers(
    df: &ir::Dockerfile,
    g: &StageGraph,
) -> (ir::Dockerfile, TriggerSet) {
    let mut out = df.clone();
    let mut set = TriggerSet::new();
    for (i, stage) in out.stages.iter_mut().enumerate() {
        let Some(parent) = g.nodes.get(i).and_then(|n| n.parent) else {
            continue;
        };
        let Some(p) = df.stages.get(parent) else {
            continue;
        };
        let triggers: Vec<ir::Command> = p
            .commands
            .iter()
            .filter_map(|c| match &c.instruction {
                Instruction::OnBuild(o) => Some(relocate((*o.command).clone(), stage)),
                _ => None,
            })
            .collect();
        set.extend((0..triggers.len()).map(|ci| ((StageId(i), ci), TriggerFrom::Stage)));
        let rest = std::mem::take(&mut stage.commands);
        stage.commands = triggers.into_iter().chain(rest).collect();
    }
    (out, set)
}

/// Upstream adds every trigger to the step total; the graph counted only
/// the ones that produce steps.
pub(super) fn fix_totals(df: &ir::Dockerfile, g: &mut StageGraph, set: &TriggerSet) {
    for &(si, ci) in set.keys() {
        let uncounted = df
            .stages
            .get(si.0)
            .and_then(|s| s.commands.get(ci))
            .is_some_and(|c| !counted(c));
        if let (true, Some(n)) = (uncounted, g.nodes.get_mut(si.node().0)) {
            n.cmd_total += 1;
        }
    }
}

/// Move the `OnBuild` triggers of each resolved base image in front of its
/// stage's commands (marked as triggers, counted as steps, with their
/// `--from`/`from=` dependencies added to the graph). Returns whether a
/// trigger depends on another stage or image, which may need resolving.
pub(super) fn apply_image_triggers(
    df: &mut ir::Dockerfile,
    g: &mut StageGraph,
    roots: &mut BTreeMap<usize, Root>,
    set: &mut TriggerSet,
) -> Result<bool, Error> {
    let mut new_deps = false;
    for (&i, root) in roots.iter_mut() {
        let exprs = root.image.config.on_build.take().unwrap_or_default();
        let node = &g.nodes[i];
        let (Some(si), None) = (node.stage, &node.context) else {
            continue;
        };
        let Some(stage) = df.stages.get_mut(si) else {
            continue;
        };
        if exprs.is_empty() {
            continue;
        }
        let cmds = image_triggers(&exprs, stage)?;
        let n = cmds.len();
        let rest = std::mem::take(&mut stage.commands);
        stage.commands = cmds.into_iter().chain(rest).collect();
        // Positions after the new commands move down by `n`.
        let shifted: TriggerSet = set
            .iter()
            .map(|(&(s, c), &f)| {
                if s == StageId(si) {
                    ((s, c + n), f)
                } else {
                    ((s, c), f)
                }
            })
            .collect();
        *set = shifted;
        set.extend((0..n).map(|c| ((StageId(si), c), TriggerFrom::Image)));
        let deps_before = g.nodes[i].deps.len();
        g.restage_deps(i, &df.stages[si], df.escape)?;
        g.nodes[i].cmd_total += n;
        new_deps |= g.nodes[i].deps.len() > deps_before;
    }
    Ok(new_deps)
}

/// Parse the `OnBuild` entries of a base image config.
pub(super) fn image_triggers(
    exprs: &[String],
    stage: &ir::Stage,
) -> Result<Vec<ir::Command>, Error> {
    let mut out = Vec::new();
    for expr in exprs {
        let fail =
            |message: String| Error::new(ErrorKind::OnbuildTrigger { message }, stage.from.span);
        let parsed = crate::syntax::parse(&format!("FROM scratch\n{expr}\n"));
        if let Some(e) = parsed.errors.first() {
            return Err(fail(format!(
                "invalid ONBUILD trigger {expr:?} of the base image: {}",
                e.to_diagnostic().message
            )));
        }
        let lowered = ir::lower(&parsed.dockerfile);
        if let Some(e) = lowered.errors.first() {
            return Err(fail(format!(
                "invalid ONBUILD trigger {expr:?} of the base image: {}",
                e.to_diagnostic().message
            )));
        }
        let mut cmds = lowered
            .dockerfile
            .stages
            .into_iter()
            .flat_map(|s| s.commands)
            .collect::<Vec<_>>();
        if cmds.len() != 1 {
            return Err(fail("onbuild trigger should be a single expression".into()));
        }
        let Some(cmd) = cmds.pop() else {
            continue;
        };
        out.push(relocate(cmd, stage));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::convert::{
        convert_dockerfile, ConvertOptions, ImageRequest, ImageResolver, OfflineResolver,
        ResolvedImage,
    };
    use crate::pb;

    fn names(def: &pb::Definition) -> Vec<String> {
        let mut v: Vec<String> = def
            .metadata
            .values()
            .filter_map(|m| m.description.get("llb.customname").cloned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn stage_triggers_run_in_children_only() {
        let src = "FROM busybox AS base\nONBUILD RUN echo hi\nRUN true\n\
                   FROM base AS child\nRUN echo child\n\
                   FROM child\nRUN echo grandchild\n";
        let c = convert_dockerfile(src, &ConvertOptions::default(), &OfflineResolver).unwrap();
        let n = names(&c.definition);
        let onbuild: Vec<&String> = n.iter().filter(|s| s.contains("ONBUILD")).collect();
        assert_eq!(onbuild.len(), 1, "{n:?}");
        assert!(
            onbuild[0].contains("[child 1/2] ONBUILD RUN echo hi"),
            "{n:?}"
        );
        let img: serde_json::Value = serde_json::from_slice(&c.image_config).unwrap();
        assert!(img["config"].get("OnBuild").is_none());
    }

    struct WithOnBuild;

    impl ImageResolver for WithOnBuild {
        fn resolve(&self, requests: &[ImageRequest]) -> Vec<Result<ResolvedImage, String>> {
            let config = br#"{"architecture":"amd64","os":"linux","config":{"OnBuild":["RUN echo from-image"]},"rootfs":{"type":"layers","diff_ids":["sha256:11"]}}"#;
            requests
                .iter()
                .map(|r| {
                    Ok(ResolvedImage {
                        reference: r.reference.clone(),
                        digest: format!("sha256:{}", "1".repeat(64)),
                        config: config.to_vec(),
                    })
                })
                .collect()
        }
    }

    /// The image `img` has these ONBUILD triggers (a JSON list); other
    /// images have none.
    struct Triggers(&'static str);

    impl ImageResolver for Triggers {
        fn resolve(&self, requests: &[ImageRequest]) -> Vec<Result<ResolvedImage, String>> {
            requests
                .iter()
                .map(|r| {
                    let on_build = if r.reference.ends_with("/img:latest") {
                        self.0
                    } else {
                        "null"
                    };
                    let config = format!(
                        r#"{{"architecture":"amd64","os":"linux","config":{{"OnBuild":{on_build}}},"rootfs":{{"type":"layers","diff_ids":["sha256:11"]}}}}"#
                    );
                    Ok(ResolvedImage {
                        reference: r.reference.clone(),
                        digest: format!("sha256:{}", "1".repeat(64)),
                        config: config.clone().into_bytes(),
                    })
                })
                .collect()
        }
    }

    #[test]
    fn image_trigger_with_a_cache_mount_runs() {
        let r = Triggers(r#"["RUN --mount=type=cache,target=/c echo cached"]"#);
        let c = convert_dockerfile(
            "FROM img
",
            &ConvertOptions::default(),
            &r,
        )
        .unwrap();
        let dump = crate::llb::dump(&c.definition);
        assert!(dump.contains(r#"mount "/c" CACHE"#), "{dump}");
        assert!(
            dump.contains("[2/2] ONBUILD RUN --mount=type=cache,target=/c echo cached"),
            "{dump}"
        );
    }

    /// Upstream resolves what image triggers copy from in another round.
    #[test]
    fn image_trigger_copying_from_an_image_and_a_stage_resolves_them() {
        let r = Triggers(
            r#"["COPY --from=tools /t /t","RUN --mount=type=bind,from=assets,target=/a ls /a"]"#,
        );
        let src = "FROM busybox AS assets\nRUN echo assets\nFROM img\nRUN echo mine\n";
        let c = convert_dockerfile(src, &ConvertOptions::default(), &r).unwrap();
        let dump = crate::llb::dump(&c.definition);
        assert!(
            dump.contains("docker-image://docker.io/library/tools:latest@sha256:"),
            "{dump}"
        );
        assert!(
            dump.contains("[stage-1 2/4] ONBUILD COPY --from=tools /t /t"),
            "{dump}"
        );
        assert!(dump.contains("[assets 2/2] RUN echo assets"), "{dump}");
        assert!(dump.contains("[stage-1 4/4] RUN echo mine"), "{dump}");
    }

    #[test]
    fn image_trigger_from_a_later_stage_is_a_located_error() {
        let r = Triggers(r#"["COPY --from=later /a /b"]"#);
        let src = "FROM img AS first\nRUN true\nFROM busybox AS later\n";
        let opts = ConvertOptions {
            target: Some("first".into()),
            ..ConvertOptions::default()
        };
        let e = convert_dockerfile(src, &opts, &r).unwrap_err();
        assert!(
            e[0].message.contains("needs to be defined before"),
            "{:?}",
            e[0]
        );
        assert_eq!(e[0].span.start, 0, "located at the FROM line");
    }

    #[test]
    fn image_triggers_run_first_and_are_cleared() {
        let src = "FROM img\nRUN echo mine\n";
        let c = convert_dockerfile(src, &ConvertOptions::default(), &WithOnBuild).unwrap();
        let n = names(&c.definition);
        assert!(
            n.iter().any(|s| s == "[2/3] ONBUILD RUN echo from-image"),
            "{n:?}"
        );
        assert!(n.iter().any(|s| s == "[3/3] RUN echo mine"), "{n:?}");
        let img: serde_json::Value = serde_json::from_slice(&c.image_config).unwrap();
        assert!(img["config"].get("OnBuild").is_none());
    }

    /// Upstream keeps the last stage of a duplicated name (`statesByName` is
    /// overwritten) and does not fail the conversion; only the
    /// `DuplicateStageName` lint reports it.
    #[test]
    fn duplicate_stage_names_resolve_to_the_last() {
        let src = "FROM busybox AS a\nRUN echo one\nFROM busybox AS a\nRUN echo two\n\
                   FROM scratch\nCOPY --from=a /x /x\n";
        let c = convert_dockerfile(src, &ConvertOptions::default(), &OfflineResolver).unwrap();
        let n = names(&c.definition);
        assert!(n.iter().any(|s| s.ends_with("RUN echo two")), "{n:?}");
        assert!(!n.iter().any(|s| s.ends_with("RUN echo one")), "{n:?}");
        assert!(c.warnings.iter().any(|w| w.code == "duplicate-stage-name"));
    }

    /// A trigger's `--from` dependency is part of the child's graph.
    #[test]
    fn stage_trigger_dependencies_are_resolved() {
        let src = "FROM busybox AS tools\nRUN echo tools > /t\n\
                   FROM busybox AS base\nONBUILD COPY --from=tools /t /t\nONBUILD ENV A=1\n\
                   FROM base\nRUN cat /t\n";
        let c = convert_dockerfile(src, &ConvertOptions::default(), &OfflineResolver).unwrap();
        let n = names(&c.definition);
        assert!(
            n.iter()
                .any(|s| s == "[stage-2 1/3] ONBUILD COPY --from=tools /t /t"),
            "{n:?}"
        );
        // ENV counts in the total (upstream adds every trigger) but takes no step.
        assert!(n.iter().any(|s| s == "[stage-2 2/3] RUN cat /t"), "{n:?}");
        assert!(
            n.iter().any(|s| s.ends_with("RUN echo tools > /t")),
            "{n:?}"
        );
    }
}
