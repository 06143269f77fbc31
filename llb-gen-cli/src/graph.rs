//! `llb-gen graph`: the stage graph of a Dockerfile, as DOT or Mermaid.
//!
//! The stages and edges are the library's ([`llb_gen::convert::StageMap`]
//! of a conversion stopped when it is planned: the file composed with the
//! files beside it, imported stages loaded, no image resolved), the one
//! place that knows bases, `COPY --from`, mount and `REQUIRE` edges. Drawn
//! here: one node per stage, external images used by `COPY --from` and
//! `RUN --mount=from=` as their own nodes, the target's reachable set
//! highlighted, the other stages dimmed, and the stages of the same depth
//! in the dependency order (those that can run in parallel) grouped in
//! one rank.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::ValueEnum;
use llb_gen::convert::{EdgeKind as Kind, EdgeSource, StageBase, StageMap};

use crate::build::plan;

/// The output format of `llb-gen graph`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Graphviz DOT (`dot -Tsvg`).
    #[default]
    Dot,
    /// A Mermaid `flowchart TD`.
    Mermaid,
}

/// A node of the graph: a stage (by index) or an external image.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Stage(usize),
    Image(String),
}

struct StageInfo {
    name: String,
    base: StageBase,
}

/// The graph: stages, edges `(from, to, kind)` (data flows from `from`
/// into the stage `to`), the depth of each stage, the reachable set.
struct Graph {
    stages: Vec<StageInfo>,
    edges: BTreeSet<(Node, usize, Kind)>,
    depth: Vec<usize>,
    target: usize,
    reachable: BTreeSet<Node>,
}

pub(crate) fn run_graph(
    path: &Path,
    format: Format,
    target: Option<&str>,
    build_args: &[String],
) -> ExitCode {
    let planning = match plan(path, target, build_args, None) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("llb-gen: {e}");
            return ExitCode::from(2);
        }
    };
    let graph = match planning.result {
        Ok(planned) => Graph::new(&planned.stage_map()),
        Err(diags) => {
            eprint!("{}", planning.sources.render_all(&diags));
            return ExitCode::from(1);
        }
    };
    let text = match format {
        Format::Dot => graph.dot(),
        Format::Mermaid => graph.mermaid(),
    };
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

impl Graph {
    /// The drawing of the library's stage map (the converter refused
    /// cycles and unknown targets already).
    fn new(map: &StageMap) -> Graph {
        let stages = map
            .stages
            .iter()
            .enumerate()
            .map(|(i, st)| {
                let name = match (&st.name, st.display_name.is_empty()) {
                    (_, false) => st.display_name.clone(),
                    (Some(n), true) => n.clone(),
                    (None, true) => format!("stage-{i}"),
                };
                StageInfo {
                    name,
                    base: st.base.clone(),
                }
            })
            .collect();
        let node = |s: &EdgeSource| match s {
            EdgeSource::Stage(i) => Node::Stage(*i),
            EdgeSource::Image(r) => Node::Image(r.clone()),
        };
        let edges: BTreeSet<(Node, usize, Kind)> = map
            .edges
            .iter()
            .map(|e| (node(&e.from), e.to, e.kind))
            .collect();
        let mut reachable: BTreeSet<Node> = (0..map.stages.len())
            .filter(|i| map.stages[*i].reachable)
            .map(Node::Stage)
            .collect();
        for (from, to, _) in &edges {
            if reachable.contains(&Node::Stage(*to)) {
                reachable.insert(from.clone());
            }
        }
        let mut g = Graph {
            depth: vec![0; map.stages.len()],
            stages,
            edges,
            target: map.target,
            reachable,
        };
        g.depths();
        g
    }

    /// Depth of each stage: 0 without stage dependencies, else one more than
    /// its deepest dependency (a stage it `REQUIRE`s runs beside it: the
    /// same depth at least). The converter refused cycles; a node met
    /// again on the path counts as depth 0.
    fn depths(&mut self) {
        // 0: not visited, 1: on the path, 2: done.
        let mut state = vec![0u8; self.stages.len()];
        for start in 0..self.stages.len() {
            self.visit(start, &mut state);
        }
    }

    fn visit(&mut self, s: usize, state: &mut [u8]) -> usize {
        match state.get(s) {
            Some(2) => return self.depth[s],
            Some(1) => return 0,
            _ => {}
        }
        state[s] = 1;
        let deps: Vec<(usize, usize)> = self
            .edges
            .iter()
            .filter(|(_, t, _)| *t == s)
            .filter_map(|(n, _, kind)| match n {
                Node::Stage(d) => Some((*d, usize::from(*kind != Kind::Require))),
                Node::Image(_) => None,
            })
            .collect();
        let mut depth = 0;
        for (d, step) in deps {
            depth = depth.max(self.visit(d, state) + step);
        }
        state[s] = 2;
        self.depth[s] = depth;
        depth
    }

    /// Every node in order: stages by index, then images by name.
    fn nodes(&self) -> Vec<Node> {
        let mut nodes: Vec<Node> = (0..self.stages.len()).map(Node::Stage).collect();
        let images: BTreeSet<Node> = self
            .edges
            .iter()
            .filter(|(n, _, _)| matches!(n, Node::Image(_)))
            .map(|(n, _, _)| n.clone())
            .collect();
        nodes.extend(images);
        nodes
    }

    /// Node ids: `s<index>` for stages, `i<n>` for images in name order.
    fn ids(&self) -> BTreeMap<Node, String> {
        let mut images = 0;
        self.nodes()
            .into_iter()
            .map(|n| {
                let id = match &n {
                    Node::Stage(i) => format!("s{i}"),
                    Node::Image(_) => {
                        images += 1;
                        format!("i{}", images - 1)
                    }
                };
                (n, id)
            })
            .collect()
    }

    /// The two lines of a node's label.
    fn label(&self, n: &Node) -> (String, String) {
        match n {
            Node::Stage(i) => {
                let st = &self.stages[*i];
                let base = match &st.base {
                    StageBase::Scratch => "scratch".to_string(),
                    StageBase::Image(r) => r.clone(),
                    StageBase::Stage(p) => format!("stage {}", self.stages[*p].name),
                    StageBase::Context(n) => format!("context {n}"),
                };
                (st.name.clone(), format!("FROM {base}"))
            }
            Node::Image(r) => (r.clone(), "image".to_string()),
        }
    }

    /// Stages grouped by depth.
    fn ranks(&self) -> BTreeMap<usize, Vec<usize>> {
        let mut ranks: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, d) in self.depth.iter().enumerate() {
            ranks.entry(*d).or_default().push(i);
        }
        ranks
    }

    fn dot(&self) -> String {
        let ids = self.ids();
        let mut s = String::from("digraph stages {\n  rankdir=TB;\n  node [shape=box];\n");
        for n in self.nodes() {
            let (name, sub) = self.label(&n);
            let mut attrs = vec![format!(
                "label=\"{}\\n{}\"",
                dot_escape(&name),
                dot_escape(&sub)
            )];
            if matches!(n, Node::Image(_)) {
                attrs.push("shape=ellipse".to_string());
            }
            if self.reachable.contains(&n) {
                attrs.push("style=bold".to_string());
            } else {
                attrs.push("style=dashed, color=gray, fontcolor=gray".to_string());
            }
            if n == Node::Stage(self.target) {
                attrs.push("peripheries=2".to_string());
            }
            let _ = writeln!(s, "  {} [{}];", ids[&n], attrs.join(", "));
        }
        for (depth, stages) in self.ranks() {
            let members: Vec<String> = stages.iter().map(|i| format!("s{i};")).collect();
            let _ = writeln!(
                s,
                "  subgraph depth_{depth} {{ rank=same; {} }}",
                members.join(" ")
            );
        }
        for (from, to, kind) in &self.edges {
            let mut attrs = vec![format!("label=\"{}\"", kind.label())];
            if *kind != Kind::Base {
                attrs.push("style=dashed".to_string());
            }
            if !self.reachable.contains(&Node::Stage(*to)) {
                attrs.push("color=gray, fontcolor=gray".to_string());
            }
            let _ = writeln!(s, "  {} -> s{to} [{}];", ids[from], attrs.join(", "));
        }
        s.push_str("}\n");
        s
    }

    fn mermaid(&self) -> String {
        let ids = self.ids();
        let mut s = String::from("flowchart TD\n");
        let node = |n: &Node| {
            let (name, sub) = self.label(n);
            let text = format!("{}<br/>{}", mermaid_escape(&name), mermaid_escape(&sub));
            match n {
                Node::Stage(_) => format!("{}[\"{text}\"]", ids[n]),
                Node::Image(_) => format!("{}([\"{text}\"])", ids[n]),
            }
        };
        for (depth, stages) in self.ranks() {
            let _ = writeln!(s, "  subgraph depth_{depth}[\"depth {depth}\"]");
            for i in stages {
                let _ = writeln!(s, "    {}", node(&Node::Stage(i)));
            }
            s.push_str("  end\n");
        }
        for n in self.nodes().iter().filter(|n| matches!(n, Node::Image(_))) {
            let _ = writeln!(s, "  {}", node(n));
        }
        for (from, to, kind) in &self.edges {
            let arrow = if *kind == Kind::Base { "-->" } else { "-.->" };
            let _ = writeln!(s, "  {} {arrow}|{}| s{to}", ids[from], kind.label());
        }
        s.push_str("  classDef reachable stroke-width:3px\n");
        s.push_str("  classDef unreachable stroke-dasharray:5 5,color:#999,stroke:#999\n");
        s.push_str("  classDef target stroke-width:4px\n");
        let (mut reach, mut unreach) = (Vec::new(), Vec::new());
        for n in self.nodes() {
            if n == Node::Stage(self.target) {
                continue;
            }
            if self.reachable.contains(&n) {
                reach.push(ids[&n].clone());
            } else {
                unreach.push(ids[&n].clone());
            }
        }
        if !reach.is_empty() {
            let _ = writeln!(s, "  class {} reachable", reach.join(","));
        }
        if !unreach.is_empty() {
            let _ = writeln!(s, "  class {} unreachable", unreach.join(","));
        }
        let _ = writeln!(s, "  class s{} target", self.target);
        s
    }
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Mermaid entity codes for the characters that end or break a label.
fn mermaid_escape(s: &str) -> String {
    s.replace('&', "#amp;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}
