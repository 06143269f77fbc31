//! `REQUIRE <stage>...` (a superset extension): the named stages are edges
//! of the stage graph (so they are dispatched, and a self-reference or a
//! cycle is the usual circular-dependency error), but nothing of theirs
//! enters the requiring stage: their final states leave the converter as
//! separate definitions ([`Conversion::required`](super::Conversion::required))
//! that the host builds along with the target.

use crate::ir::{self, Instruction};

use super::error::{Error, ErrorKind};
use super::stages::{NodeId, StageGraph};

impl StageGraph {
    /// The nodes `REQUIRE` names, one per name; an unknown stage is an
    /// error located at its name, with the nearest stage name as help.
    pub(crate) fn required(&self, names: &[ir::Word]) -> Result<Vec<Option<usize>>, Error> {
        names
            .iter()
            .map(|w| match self.find(&w.value) {
                Some(i) => Ok(Some(i)),
                None => Err(unknown_stage(self, w)),
            })
            .collect()
    }
}

fn unknown_stage(g: &StageGraph, w: &ir::Word) -> Error {
    let kind = ErrorKind::RequireUnknownStage {
        name: w.value.to_string(),
    };
    let names = g.names();
    let help = match super::suggest::closest(&w.value, &names) {
        Some(s) => format!("did you mean `{s}`?"),
        None if names.is_empty() => {
            "REQUIRE names stages of this Dockerfile (`FROM ... AS <name>`)".into()
        }
        None => format!("the stages are: {}", names.join(", ")),
    };
    Error::new(kind, w.span).with_help(help)
}

/// The nodes the `REQUIRE` instructions of node `node` (with `commands`)
/// name, as the graph recorded them.
pub(super) fn named_by(g: &StageGraph, node: usize, commands: &[ir::Command]) -> Vec<usize> {
    commands
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c.instruction, Instruction::Require(_)))
        .filter_map(|(ci, _)| g.command_sources(NodeId(node), ci))
        .flat_map(|s| s.iter().flatten().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests may unwrap

    use crate::convert::{convert_dockerfile, ConvertOptions, OfflineResolver};
    use crate::llb::dump;

    fn convert(text: &str, target: Option<&str>) -> crate::convert::Conversion {
        let opts = ConvertOptions {
            target: target.map(str::to_string),
            ..ConvertOptions::default()
        };
        convert_dockerfile(text, &opts, &OfflineResolver).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn error(text: &str) -> String {
        let e = convert_dockerfile(text, &ConvertOptions::default(), &OfflineResolver).unwrap_err();
        format!("{} {} {:?}", e[0].code, e[0].message, e[0].help)
    }

    const FILE: &str = "FROM alpine AS test\nRUN make test\nFROM alpine AS lint\nRUN make lint\nFROM alpine AS app\nREQUIRE test lint\nRUN make app\nFROM app\nRUN echo final\n";

    #[test]
    fn the_target_is_unchanged_and_the_required_stages_come_apart() {
        let with = convert(FILE, None);
        let without = convert(&FILE.replace("REQUIRE test lint\n", "#\n"), None);
        assert_eq!(with.image_config, without.image_config);
        // The same ops but the source map's copy of the file.
        let strip = |d: &str| {
            d.lines()
                .filter(|l| !l.contains("source 0"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(
            strip(&dump(&with.definition)),
            strip(&dump(&without.definition))
        );
        assert_eq!(with.required.len(), 2);
        assert!(dump(&with.required[0]).contains("make test"));
        assert!(dump(&with.required[1]).contains("make lint"));
        assert!(without.required.is_empty());
        // A target that does not reach the REQUIRE builds nothing more.
        assert!(convert(FILE, Some("lint")).required.is_empty());
    }

    #[test]
    fn unknown_self_and_cycles_are_located_errors() {
        let e = error("FROM a AS test\nFROM b AS app\nREQUIRE tset\n");
        assert!(
            e.starts_with("require-stage REQUIRE names an unknown stage `tset`"),
            "{e}"
        );
        assert!(e.contains("did you mean `test`?"), "{e}");
        let e = error("FROM a AS app\nREQUIRE app\n");
        assert!(e.starts_with("circular-dependency"), "{e}");
        let e = error("FROM a AS t\nCOPY --from=app / /\nFROM b AS app\nREQUIRE t\n");
        assert!(e.starts_with("circular-dependency"), "{e}");
    }
}
