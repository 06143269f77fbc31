//! Tests of the stage graph (`super`).
#![allow(clippy::unwrap_used)]

use super::*;
use crate::ir::*;
use crate::text::Spanned;

fn w(s: &str) -> Word {
    Spanned::new(s.into(), TextRange::empty(0))
}

fn info(line: u32) -> CommandInfo {
    CommandInfo {
        span: TextRange::new(line * 10, line * 10 + 5),
        original: Default::default(),
        start_line: line,
        end_line: line,
    }
}

fn copy_from(from: &str, line: u32) -> Command {
    Command {
        info: info(line),
        instruction: Instruction::Copy(Box::new(CopyInstruction {
            common: CopyCommon {
                sources: vec![w("/a")],
                dest: w("/b"),
                heredocs: vec![],
                json: false,
                chown: None,
                chmod: None,
                link: false,
                excludes: vec![],
            },
            from: Some(w(from)),
            parents: false,
        })),
    }
}

fn stage(i: usize, base: &str, name: Option<&str>, commands: Vec<Command>) -> Stage {
    Stage {
        index: i,
        name: name.map(w),
        base: w(base),
        platform: None,
        comment: vec![],
        from: info(i as u32 + 1),
        commands,
    }
}

fn df(stages: Vec<Stage>) -> Dockerfile {
    Dockerfile {
        directives: Directives::default(),
        meta_args: vec![],
        stages,
        escape: '\\',
        extensions: vec![],
    }
}

fn graph(d: &Dockerfile) -> Result<StageGraph, Error> {
    let mut g = StageGraph::build(
        d,
        &EnvList::default(),
        &Platform::linux_amd64(),
        &BTreeMap::new(),
        None,
    )?;
    g.add_all_deps(d)?;
    Ok(g)
}

#[test]
fn links_parents_deps_and_prunes() {
    let d = df(vec![
        stage(0, "alpine", Some("base"), vec![]),
        stage(1, "base", Some("unused"), vec![]),
        stage(
            2,
            "busybox",
            Some("build"),
            vec![copy_from("0", 5), copy_from("golang", 6)],
        ),
        stage(3, "base", None, vec![copy_from("build", 7)]),
    ]);
    let g = graph(&d).unwrap();
    assert_eq!(g.nodes[1].parent, Some(0));
    assert_eq!(g.nodes[3].parent, Some(0));
    assert_eq!(g.nodes[4].base_name, "golang");
    let t = g.resolve_target(None).unwrap();
    let r: Vec<usize> = g.reachable(t).into_iter().collect();
    assert_eq!(r, vec![0, 2, 3, 4]);
    assert_eq!(g.nodes[3].display_name, "stage-3");
    assert_eq!(g.nodes[2].cmd_total, 3);
}

#[test]
fn target_is_case_insensitive_and_suggests() {
    let d = df(vec![
        stage(0, "alpine", Some("build"), vec![]),
        stage(1, "build", Some("prod"), vec![]),
    ]);
    let g = graph(&d).unwrap();
    assert_eq!(g.resolve_target(Some("BUILD")).unwrap(), 0);
    let e = g.resolve_target(Some("buidl")).unwrap_err().to_diagnostic();
    assert!(e.message.contains("could not be found"));
    assert_eq!(e.help.as_deref(), Some("did you mean \"build\"?"));
    let e = g.resolve_target(Some("pro")).unwrap_err().to_diagnostic();
    assert_eq!(e.help.as_deref(), Some("did you mean \"prod\"?"));
}

#[test]
fn self_copy_and_cycles_are_errors() {
    let d = df(vec![stage(0, "alpine", Some("a"), vec![copy_from("a", 3)])]);
    let e = graph(&d).unwrap_err().to_diagnostic();
    assert_eq!(e.message, "circular dependency detected on stage: a");
    let d = df(vec![
        stage(0, "alpine", Some("a"), vec![copy_from("b", 3)]),
        stage(1, "alpine", Some("b"), vec![copy_from("a", 4)]),
    ]);
    assert!(graph(&d)
        .unwrap_err()
        .to_diagnostic()
        .message
        .starts_with("circular dependency"));
}

#[test]
fn image_uses_share_a_node_but_keep_upstream_numbering() {
    // Upstream adds a state per image use after the stages: index 1 is
    // the first `alpine` use, index 2 the second; both are one node here.
    let uses = |last: &[(&str, u32)]| {
        let mut cmds = vec![copy_from("alpine", 3), copy_from("alpine", 4)];
        cmds.extend(last.iter().map(|(from, line)| copy_from(from, *line)));
        df(vec![stage(0, "busybox", None, cmds)])
    };
    let e = graph(&uses(&[("2", 5), ("3", 6)]))
        .unwrap_err()
        .to_diagnostic();
    assert_eq!(e.message, "invalid stage index 3");
    let d = uses(&[("2", 5)]);
    let g = graph(&d).unwrap();
    assert_eq!(g.nodes.len(), 2, "one node for both uses of alpine");
    assert_eq!(g.command_sources(NodeId(0), 2), Some(&[Some(1)][..]));
}

#[test]
fn bad_index_and_expansion_in_from() {
    let d = df(vec![stage(0, "alpine", None, vec![copy_from("7", 3)])]);
    assert_eq!(
        graph(&d).unwrap_err().to_diagnostic().message,
        "invalid stage index 7"
    );
    // A variable in `--from` expands with the global ARGs (none here).
    let d = df(vec![stage(0, "alpine", None, vec![copy_from("$X", 3)])]);
    let e = graph(&d).unwrap_err().to_diagnostic();
    assert_eq!(e.code, crate::codes::Code::EmptyExpansion);
    let d = df(vec![stage(0, "alpine", None, vec![copy_from("a\\b", 3)])]);
    let e = graph(&d).unwrap_err().to_diagnostic();
    assert_eq!(e.code, crate::codes::Code::CopyFromExpansion);
}

#[test]
fn blank_base_name() {
    let d = df(vec![stage(0, "$NOPE", None, vec![])]);
    assert_eq!(
        graph(&d).unwrap_err().to_diagnostic().message,
        "base name ($NOPE) should not be blank"
    );
}
