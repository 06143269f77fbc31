//! The stages as the build sees them, before any image is resolved
//! ([`Planned`], from a converter made with
//! [`Converter::until_planned`](super::Converter::until_planned)), and the
//! public view of the stage graph ([`StageMap`]): the one place that knows
//! stages, bases, `COPY --from`, mount and `REQUIRE` edges. `llb-gen graph`
//! draws it and `frontend.outline` walks it.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::Diagnostic;
use crate::ir::{self, Instruction};
use crate::text::TextRange;

use super::args::EnvList;
use super::stages::{NodeId, StageGraph, SCRATCH};

/// A planned conversion: the composed file (INCLUDE and IF resolved,
/// imported stages loaded, ONBUILD triggers of stages applied), its stage
/// graph, the target and what it reaches.
pub struct Planned {
    pub(crate) df: ir::Dockerfile,
    pub(crate) g: StageGraph,
    pub(crate) target: usize,
    pub(crate) reachable: BTreeSet<usize>,
    /// The main file's global ARGs (automatic platform ARGs included).
    pub(crate) globals: EnvList,
    pub(crate) build_args: BTreeMap<String, String>,
    /// Parser, lowering and build-check warnings so far.
    pub warnings: Vec<Diagnostic>,
}

impl std::fmt::Debug for Planned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Planned")
            .field("stages", &self.df.stages.len())
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// What a stage starts from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StageBase {
    /// `FROM scratch`.
    Scratch,
    /// An image (its name after global-ARG expansion).
    Image(String),
    /// An earlier stage, by index.
    Stage(usize),
    /// A named context replaces the stage (`--build-context <name>=...`).
    Context(String),
}

/// One stage of a [`StageMap`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StageEntry {
    /// `AS name`, lower-cased.
    pub name: Option<String>,
    /// The name progress shows (`name`, `stage-N`, or with the file it is
    /// imported from).
    pub display_name: String,
    /// What it starts from.
    pub base: StageBase,
    /// Whether building the target builds it.
    pub reachable: bool,
    /// The `FROM` instruction.
    pub span: TextRange,
}

/// Where an edge comes from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeSource {
    /// A stage, by index.
    Stage(usize),
    /// An image named by `COPY --from` or a mount's `from=`.
    Image(String),
}

/// What an edge is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    /// `FROM <stage>`.
    Base,
    /// `COPY --from`.
    Copy,
    /// `RUN --mount=...,from=`.
    Mount,
    /// `REQUIRE` (a superset extension): built along, nothing flows in.
    Require,
}

impl EdgeKind {
    /// `base`, `copy`, `mount` or `require`.
    pub fn label(self) -> &'static str {
        match self {
            EdgeKind::Base => "base",
            EdgeKind::Copy => "copy",
            EdgeKind::Mount => "mount",
            EdgeKind::Require => "require",
        }
    }
}

/// An edge into stage `to` (data flows from `from` into `to`, except for
/// [`EdgeKind::Require`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StageEdge {
    /// Where it comes from.
    pub from: EdgeSource,
    /// The stage it goes into.
    pub to: usize,
    /// What it is.
    pub kind: EdgeKind,
}

/// The stage graph of a [`Planned`] conversion: stages in file order
/// (imported ones after the main file's), edges sorted and without
/// duplicates, the target. Cache mounts without `from=` are not edges.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StageMap {
    /// Every stage.
    pub stages: Vec<StageEntry>,
    /// Every edge.
    pub edges: BTreeSet<StageEdge>,
    /// The target stage.
    pub target: usize,
}

impl StageMap {
    /// The stages and images stage `to` depends on, with the edge kinds.
    pub fn deps(&self, to: usize) -> impl Iterator<Item = (&EdgeSource, EdgeKind)> {
        self.edges
            .iter()
            .filter(move |e| e.to == to)
            .map(|e| (&e.from, e.kind))
    }
}

impl Planned {
    /// The composed file's instructions.
    pub fn dockerfile(&self) -> &ir::Dockerfile {
        &self.df
    }

    /// The target stage's index.
    pub fn target(&self) -> usize {
        self.target
    }

    /// The stage graph.
    pub fn stage_map(&self) -> StageMap {
        let stages = self
            .df
            .stages
            .iter()
            .enumerate()
            .map(|(i, st)| self.entry(i, st))
            .collect();
        let mut edges = BTreeSet::new();
        for (i, st) in self.df.stages.iter().enumerate() {
            if let Some(p) = self.g.nodes.get(i).and_then(|n| n.parent) {
                edges.insert(StageEdge {
                    from: EdgeSource::Stage(p),
                    to: i,
                    kind: EdgeKind::Base,
                });
            }
            for (ci, cmd) in st.commands.iter().enumerate() {
                self.command_edges(i, ci, cmd, &mut edges);
            }
        }
        StageMap {
            stages,
            edges,
            target: self.target,
        }
    }

    fn entry(&self, i: usize, st: &ir::Stage) -> StageEntry {
        let node = self.g.nodes.get(i);
        let base = match node {
            Some(n) if n.context.is_some() => {
                StageBase::Context(n.name.as_ref().map(|n| n.to_string()).unwrap_or_default())
            }
            Some(n) => match n.parent {
                Some(p) => StageBase::Stage(p),
                None if n.base_name == SCRATCH => StageBase::Scratch,
                None => StageBase::Image(n.base_name.to_string()),
            },
            None => StageBase::Image(st.base.value.to_string()),
        };
        StageEntry {
            name: node.and_then(|n| n.name.as_ref().map(|n| n.to_string())),
            display_name: node.map_or_else(String::new, |n| n.display_name.to_string()),
            base,
            reachable: self.reachable.contains(&i),
            span: st.from.span,
        }
    }

    /// The edges one command of stage `i` makes, as the graph recorded
    /// its sources (one per mount for RUN, one per name for REQUIRE).
    fn command_edges(&self, i: usize, ci: usize, cmd: &ir::Command, out: &mut BTreeSet<StageEdge>) {
        let Some(sources) = self.g.command_sources(NodeId(i), ci) else {
            return;
        };
        let kind = match &cmd.instruction {
            Instruction::Copy(_) => EdgeKind::Copy,
            Instruction::Run(_) => EdgeKind::Mount,
            Instruction::Require(_) => EdgeKind::Require,
            _ => return,
        };
        for (k, source) in sources.iter().enumerate() {
            let Some(s) = source else { continue };
            if let Instruction::Run(r) = &cmd.instruction {
                // A cache mount without `from=` starts empty: no edge.
                let from = r.mounts.get(k).and_then(|m| m.from.as_ref());
                if from.is_none_or(|f| f.value.is_empty()) {
                    continue;
                }
            }
            let from = match self.g.nodes.get(*s) {
                Some(n) if n.is_synthetic() => EdgeSource::Image(n.base_name.to_string()),
                _ => EdgeSource::Stage(*s),
            };
            out.insert(StageEdge { from, to: i, kind });
        }
    }
}
