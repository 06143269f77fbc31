//! `llb-gen graph`: the stage graph of a Dockerfile, as DOT or Mermaid.
//!
//! Computed here from the library's public `ir` (the converter's own stage
//! graph is crate-private): one node per stage, its base (an image, `scratch`
//! or the parent stage), `base` / `copy` / `mount` edges, external images
//! used by `COPY --from` and `RUN --mount=from=` as their own nodes, the
//! target's reachable set highlighted, the other stages dimmed, and the
//! stages of the same depth in the dependency order (those that can run in
//! parallel) grouped in one rank.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::ValueEnum;
use llb_gen::diagnostic::{render_all, SourceFile};
use llb_gen::ir::{self, Instruction};
use llb_gen::syntax;
use llb_gen::words::Lexer;

use crate::read_input;

/// A reference to a stage of another Dockerfile (`./ci/go.Dockerfile#builder`):
/// this graph is of one file, so it is shown as a node of its own, not
/// followed into that file.
fn is_import(r: &str) -> bool {
    ["./", "../", "/"].iter().any(|p| r.starts_with(p))
}

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

/// An edge kind, as its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Base,
    Copy,
    Mount,
    /// `REQUIRE` (a superset extension): built along, nothing flows in.
    Require,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Base => "base",
            Kind::Copy => "copy",
            Kind::Mount => "mount",
            Kind::Require => "require",
        }
    }
}

/// What the stage is built on.
enum Base {
    Scratch,
    Image(String),
    Stage(usize),
}

struct StageInfo {
    name: String,
    base: Base,
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
    let mut args = BTreeMap::new();
    for spec in build_args {
        match spec.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                args.insert(k.to_string(), v.to_string());
            }
            _ => {
                eprintln!("llb-gen: --build-arg {spec:?}: expected KEY=VALUE");
                return ExitCode::from(2);
            }
        }
    }
    let (name, bytes) = match read_input(path) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("llb-gen: cannot read {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let parsed = syntax::parse_bytes(&bytes);
    let mut diags: Vec<_> = parsed.errors.iter().map(|e| e.to_diagnostic()).collect();
    let lowered = ir::lower(&parsed.dockerfile);
    if diags.is_empty() {
        diags.extend(lowered.errors.iter().map(ir::IrError::to_diagnostic));
    }
    if !diags.is_empty() {
        // Spans index `bytes`: rendered against the text with `?` for bytes
        // that are not UTF-8, as the other subcommands do.
        let file = SourceFile::new(name, syntax::source_text(&bytes));
        eprint!("{}", render_all(&diags, &file));
        return ExitCode::from(1);
    }
    let graph = match Graph::build(&lowered.dockerfile, &args, target) {
        Ok(g) => g,
        Err(msg) => {
            eprintln!("llb-gen: {msg}");
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

/// The global ARGs: `--build-arg` values for declared names, else their
/// defaults, expanded in order. Undefined ones are left out.
fn global_env(
    df: &ir::Dockerfile,
    build_args: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let lexer = Lexer::new(df.escape);
    let mut env = BTreeMap::new();
    for decl in df.meta_args.iter().flat_map(|a| &a.args) {
        let key = decl.name.value.clone();
        if let Some(v) = build_args.get(&key) {
            env.insert(key, v.clone());
        } else if let Some(d) = &decl.default {
            if let Some(v) = expand(&lexer, &d.value, &env) {
                env.insert(key, v);
            }
        }
    }
    env
}

/// `word` expanded when every variable it uses is defined; `None` otherwise.
fn expand(lexer: &Lexer, word: &str, env: &BTreeMap<String, String>) -> Option<String> {
    lexer
        .process_word(word, env)
        .ok()
        .filter(|e| e.unmatched.is_empty())
        .map(|e| e.value)
}

impl Graph {
    fn build(
        df: &ir::Dockerfile,
        build_args: &BTreeMap<String, String>,
        target: Option<&str>,
    ) -> Result<Graph, String> {
        if df.stages.is_empty() {
            return Err("the Dockerfile has no stages".to_string());
        }
        let env = global_env(df, build_args);
        let lexer = Lexer::new(df.escape);
        let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
        let mut stages = Vec::new();
        let mut edges = BTreeSet::new();
        for (i, st) in df.stages.iter().enumerate() {
            // The base as the converter sees it; as written when it uses
            // an ARG that has no value here.
            let written = &st.base.value;
            let base_name = expand(&lexer, written, &env).unwrap_or_else(|| written.clone());
            // Only an earlier stage can be a parent.
            let base = match by_name.get(&base_name) {
                Some(&p) => {
                    edges.insert((Node::Stage(p), i, Kind::Base));
                    Base::Stage(p)
                }
                None if base_name == "scratch" => Base::Scratch,
                None => Base::Image(base_name),
            };
            let name = match &st.name {
                Some(n) => {
                    let lower = n.value.to_ascii_lowercase();
                    by_name.entry(lower.clone()).or_insert(i);
                    lower
                }
                None => format!("stage-{i}"),
            };
            stages.push(StageInfo { name, base });
        }
        // `COPY --from` and mounts may name any stage (cycles are refused).
        let source = |from: &str| -> Node {
            if let Ok(n) = from.parse::<usize>() {
                if n < df.stages.len() {
                    return Node::Stage(n);
                }
            }
            match by_name.get(&from.to_ascii_lowercase()) {
                Some(&s) => Node::Stage(s),
                None => Node::Image(from.to_string()),
            }
        };
        for (i, st) in df.stages.iter().enumerate() {
            for cmd in &st.commands {
                match &cmd.instruction {
                    Instruction::Copy(c) => {
                        if let Some(from) = c.from.as_ref().filter(|f| !f.value.is_empty()) {
                            edges.insert((source(&from.value), i, Kind::Copy));
                        }
                    }
                    Instruction::Run(r) => {
                        for m in &r.mounts {
                            if let Some(from) = m.from.as_ref().filter(|f| !f.value.is_empty()) {
                                edges.insert((source(&from.value), i, Kind::Mount));
                            }
                        }
                    }
                    Instruction::Require(names) => {
                        for n in names {
                            if let Some(&s) = by_name.get(&n.value) {
                                edges.insert((Node::Stage(s), i, Kind::Require));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        let target = match target.filter(|t| !t.is_empty()) {
            None => stages.len().saturating_sub(1),
            Some(t) => *by_name
                .get(&t.to_ascii_lowercase())
                .ok_or_else(|| format!("target stage {t:?} could not be found"))?,
        };
        let mut g = Graph {
            depth: vec![0; stages.len()],
            stages,
            edges,
            target,
            reachable: BTreeSet::new(),
        };
        g.depths()?;
        g.reach();
        Ok(g)
    }

    /// The stage dependencies of stage `to`.
    fn deps(&self, to: usize) -> impl Iterator<Item = &Node> {
        self.edges
            .iter()
            .filter(move |(_, t, _)| *t == to)
            .map(|(from, _, _)| from)
    }

    /// Depth of each stage: 0 without stage dependencies, else one more than
    /// its deepest dependency (a stage it `REQUIRE`s runs beside it: the
    /// same depth at least). A cycle is an error, as in the converter.
    fn depths(&mut self) -> Result<(), String> {
        // 0: not visited, 1: on the path, 2: done.
        let mut state = vec![0u8; self.stages.len()];
        for start in 0..self.stages.len() {
            self.visit(start, &mut state)?;
        }
        Ok(())
    }

    fn visit(&mut self, s: usize, state: &mut [u8]) -> Result<usize, String> {
        match state.get(s) {
            Some(2) => return Ok(self.depth[s]),
            Some(1) => {
                return Err(format!(
                    "circular dependency detected on stage: {}",
                    self.stages[s].name
                ))
            }
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
            depth = depth.max(self.visit(d, state)? + step);
        }
        state[s] = 2;
        self.depth[s] = depth;
        Ok(depth)
    }

    /// Everything the target needs, the target included.
    fn reach(&mut self) {
        let mut todo = vec![self.target];
        self.reachable.insert(Node::Stage(self.target));
        while let Some(s) = todo.pop() {
            let deps: Vec<Node> = self.deps(s).cloned().collect();
            for d in deps {
                if self.reachable.insert(d.clone()) {
                    if let Node::Stage(i) = d {
                        todo.push(i);
                    }
                }
            }
        }
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
                    Base::Scratch => "scratch".to_string(),
                    Base::Image(r) => r.clone(),
                    Base::Stage(p) => format!("stage {}", self.stages[*p].name),
                };
                (st.name.clone(), format!("FROM {base}"))
            }
            Node::Image(r) if is_import(r) => (r.clone(), "stage of another file".to_string()),
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
