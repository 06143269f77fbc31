//! The stage graph: expanded base names, `FROM <stage>` links, `COPY --from`
//! and mount `from=` dependencies (with synthetic image states), target
//! selection, cycle detection and reachability.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rustc_hash::FxBuildHasher;

use super::error::{Error, ErrorKind};
use crate::ir::{self, Instruction};
use crate::syntax::SourceStr;
use crate::text::TextRange;

use super::api::Platform;
use super::args::EnvList;
use super::contexts::{self, NamedContext};
use super::expand::expand_word;
use super::imports::Namespaces;
use super::platform::parse_platform;

/// The name of the empty image.
pub(crate) const SCRATCH: &str = "scratch";

/// The index of a node in [`StageGraph::nodes`]: a stage, or an image (or
/// scratch) use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct NodeId(pub usize);

/// The index of a stage in `ir::Dockerfile::stages`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct StageId(pub usize);

impl StageId {
    /// The stage's node: [`StageGraph::build`] adds the stages first, in
    /// order, so stage `i` is node `i`.
    pub(crate) fn node(self) -> NodeId {
        NodeId(self.0)
    }
}

/// One node of the graph: a Dockerfile stage, or a synthetic state standing
/// for an image (or scratch) named by `COPY --from` / mount `from=`.
///
/// Its names share the text of the stage's words where they are the same
/// ([`SourceStr`]): a 10,000-stage file has 10,000 nodes.
#[derive(Clone, Debug)]
pub(crate) struct StageNode {
    /// Index into `Dockerfile::stages`; `None` for synthetic states.
    pub stage: Option<usize>,
    /// `AS name` (lower-case) of a real stage.
    pub name: Option<SourceStr>,
    /// Display name in progress (`name`, `stage-N`, or empty).
    pub display_name: SourceStr,
    /// The base name after global-arg expansion.
    pub base_name: SourceStr,
    /// The earlier stage this one starts from (`FROM <stage>`).
    pub parent: Option<usize>,
    /// `FROM --platform` after expansion (boxed, like `context`: most
    /// stages have none, and a 10,000-stage file has 10,000 nodes).
    pub platform: Option<Box<Platform>>,
    /// Stages and images this one copies or mounts from, with the span of the
    /// instruction that created the edge. Ordered by first use.
    pub deps: Vec<(usize, TextRange)>,
    /// Span of the FROM line (or of the referencing instruction).
    pub span: TextRange,
    /// Number of steps that get a `[i/n]` progress prefix.
    pub cmd_total: usize,
    /// A `context:<name>` option that replaces this whole named stage (its
    /// instructions are not dispatched).
    pub context: Option<Box<NamedContext>>,
}

impl StageNode {
    pub(crate) fn is_synthetic(&self) -> bool {
        self.stage.is_none()
    }
}

/// The sources of one command: most have one (a `COPY --from`), which
/// needs no allocation of its own (a 10,000-stage file has thousands).
#[derive(Clone, Debug)]
enum CommandSources {
    One(Option<usize>),
    Many(Box<[Option<usize>]>),
}

impl CommandSources {
    fn new(mut sources: Vec<Option<usize>>) -> CommandSources {
        match sources.as_slice() {
            [one] => CommandSources::One(*one),
            _ => {
                sources.shrink_to_fit();
                CommandSources::Many(sources.into_boxed_slice())
            }
        }
    }

    fn as_slice(&self) -> &[Option<usize>] {
        match self {
            CommandSources::One(one) => std::slice::from_ref(one),
            CommandSources::Many(many) => many,
        }
    }
}

/// Every node plus the name index.
#[derive(Clone, Debug, Default)]
pub(crate) struct StageGraph {
    pub nodes: Vec<StageNode>,
    /// Stages by name (see [`space_key`]). The names and the image names below are the
    /// file's, hashed with FxHash all the same: names chosen to collide could only slow the
    /// build of their own file (SipHash was about 200 instructions a lookup, and every
    /// `FROM`, `--from` and mount source looks one up).
    by_name: HashMap<SourceStr, usize, FxBuildHasher>,
    /// Synthetic nodes by image name: one node per image, however often it
    /// is named (500 cache mounts are one `scratch` node, not 500).
    synthetic_by_name: HashMap<String, usize, FxBuildHasher>,
    /// Upstream's list of states, by index: every stage, then one entry per
    /// image or scratch use in the order met (each use is a new state
    /// upstream), so `COPY --from=<n>` numbers them the same way.
    indexed: Vec<usize>,
    /// For each command of each real stage: the node its `--from` (COPY) or
    /// each mount's `from=` (RUN, one slot per mount) refers to (read with
    /// [`StageGraph::command_sources`]).
    /// Keyed by indices, not by anything an input chooses: FxHash (SipHash
    /// took 300 instructions a lookup, for every command of every stage).
    sources: HashMap<(NodeId, usize), CommandSources, FxBuildHasher>,
    /// Every `(node, dep)` pair of the nodes' `deps` (no scan per `--from`).
    dep_pairs: HashSet<(usize, usize), FxBuildHasher>,
    /// The global ARGs: `COPY --from` and mount `from=` expand with them
    /// (a superset extension; upstream refuses variables there).
    globals: EnvList,
    /// Names declared by an ARG or ENV inside some stage (for the error
    /// when `--from` uses one).
    stage_vars: HashSet<String, FxBuildHasher>,
    /// The files' namespaces when stages are imported from other files.
    pub spaces: Option<Box<Namespaces>>,
}

/// The `by_name` key of stage `name` in namespace `space` (the main
/// Dockerfile's names are keyed as they are, sharing their text).
fn space_key(space: usize, name: &SourceStr) -> SourceStr {
    if space == 0 {
        name.clone()
    } else {
        SourceStr::from(spaced_key(space, name))
    }
}

/// The `by_name` key of `name` in namespace `space` other than the main Dockerfile's.
fn spaced_key(space: usize, name: &str) -> String {
    format!("{space}\0{name}")
}

/// `value` as the text of `word` when they are the same (no copy), else
/// its own.
fn shared_if_same(word: &SourceStr, value: String) -> SourceStr {
    if value == word.as_str() {
        word.clone()
    } else {
        SourceStr::from(value)
    }
}

/// A `--from` path (`./ci/go.Dockerfile#builder`) that was not loaded as an
/// import: one in an ONBUILD trigger (triggers are applied after the files
/// are loaded). Upstream refuses such a value too (no image name starts with
/// `.` or `/`).
fn unloaded_import(name: &str, span: TextRange) -> Result<(), Error> {
    if !["./", "../", "/"].iter().any(|p| name.starts_with(p)) {
        return Ok(());
    }
    let message = format!(
        "{name} names a stage of another Dockerfile, which an ONBUILD trigger cannot import"
    );
    Err(Error::new(
        ErrorKind::Compose(super::ComposeErrorKind::Usage { message }),
        span,
    )
    .with_help(
        "import the stage in the Dockerfile (FROM <file>#<stage> AS <name>) and use --from=<name>",
    ))
}

/// Names declared by ARG or ENV inside the stages.
fn stage_vars(df: &ir::Dockerfile) -> HashSet<String, FxBuildHasher> {
    let mut out = HashSet::default();
    for cmd in df.stages.iter().flat_map(|s| &s.commands) {
        match &cmd.instruction {
            Instruction::Arg(a) => a
                .args
                .iter()
                .for_each(|d| add_name(&mut out, &d.name.value)),
            Instruction::Env(kvs) => kvs.iter().for_each(|kv| add_name(&mut out, &kv.key.value)),
            _ => {}
        }
    }
    out
}

/// Adds `name` to `set`, copied only when new (stages repeat names).
fn add_name(set: &mut HashSet<String, FxBuildHasher>, name: &str) {
    if !set.contains(name) {
        set.insert(name.to_string());
    }
}

/// A stage's `FROM --platform`, expanded with the global args and parsed.
fn stage_platform(
    st: &ir::Stage,
    globals: &EnvList,
    escape: char,
    default_platform: &Platform,
) -> Result<Option<Platform>, Error> {
    let Some(p) = &st.platform else {
        return Ok(None);
    };
    let v = expand_word(&p.value, globals, escape)
        .map_err(|e| Error::new(ErrorKind::PlatformExpand(e), p.span))?;
    if v.is_empty() {
        let expression = p.value.clone();
        return Err(Error::new(
            ErrorKind::EmptyPlatform {
                expression: expression.to_string(),
            },
            p.span,
        ));
    }
    parse_platform(&v, default_platform)
        .map(Some)
        .map_err(|reason| {
            let expression = p.value.clone();
            Error::new(
                ErrorKind::InvalidPlatform {
                    expression: expression.to_string(),
                    reason,
                },
                p.span,
            )
        })
}

/// The steps of a stage that count in its progress names (`[2/5]`).
fn counted_steps(st: &ir::Stage) -> usize {
    st.commands
        .iter()
        .filter(|c| {
            matches!(
                c.instruction,
                Instruction::Add(_)
                    | Instruction::Copy(_)
                    | Instruction::Run(_)
                    | Instruction::Workdir(_)
            )
        })
        .count()
}

impl StageGraph {
    /// Expand base names and platforms, and link `FROM <stage>`.
    pub(crate) fn build(
        df: &ir::Dockerfile,
        globals: &EnvList,
        default_platform: &Platform,
        named_contexts: &BTreeMap<String, String>,
        spaces: Option<Box<Namespaces>>,
    ) -> Result<Self, Error> {
        let mut g = StageGraph {
            // Every stage is a node; images named by `--from` come after.
            nodes: Vec::with_capacity(df.stages.len()),
            indexed: Vec::with_capacity(df.stages.len()),
            globals: globals.clone(),
            stage_vars: stage_vars(df),
            spaces,
            ..StageGraph::default()
        };
        for (i, st) in df.stages.iter().enumerate() {
            let span = st.from.span;
            let (globals, escape) = g.scope(i, globals, df.escape);
            let globals = &globals;
            let expanded = expand_word(&st.base.value, globals, escape)
                .map_err(|e| super::Error::word(e, st.base.span))?;
            let base_name = shared_if_same(&st.base.value, expanded);
            if base_name.is_empty() {
                return Err(Error::new(
                    ErrorKind::BlankBaseName {
                        base: st.base.value.to_string(),
                    },
                    st.base.span,
                ));
            }
            let platform = stage_platform(st, globals, escape, default_platform)?;
            let name = st
                .name
                .as_ref()
                .map(|n| shared_if_same(&n.value, n.value.to_ascii_lowercase()));
            let space = g.space_index(i);
            // A named context with the stage's name replaces the stage (of
            // the main Dockerfile only: imported names are private).
            let context = name.as_deref().filter(|_| space == 0).and_then(|n| {
                let p = platform.as_ref().unwrap_or(default_platform);
                contexts::lookup(named_contexts, n, p)
            });
            let parent = if context.is_some() {
                None
            } else {
                g.find_in(space, &base_name)
            };
            let total = usize::from(base_name != SCRATCH && parent.is_none()) + counted_steps(st);
            let node = StageNode {
                stage: Some(i),
                display_name: g.display_name(i, name.as_ref()),
                name: name.clone(),
                base_name,
                parent,
                platform: platform.map(Box::new),
                deps: Vec::new(),
                span,
                cmd_total: total,
                context: context.map(Box::new),
            };
            g.nodes.push(node);
            g.indexed.push(i);
            if let Some(n) = name {
                g.by_name.insert(space_key(space, &n), i);
            }
        }
        Ok(g)
    }

    /// What command `cmd_index` of node `node` copies or mounts from, in
    /// order (one per mount for RUN, one per name for REQUIRE); `None`
    /// for a command without sources.
    pub(crate) fn command_sources(
        &self,
        node: NodeId,
        cmd_index: usize,
    ) -> Option<&[Option<usize>]> {
        self.sources
            .get(&(node, cmd_index))
            .map(CommandSources::as_slice)
    }

    /// Find a stage of the main Dockerfile by name, case-insensitively, or
    /// an imported stage by its reference.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.find_in(0, name)
    }

    /// [`StageGraph::find`] in the namespace `space`.
    pub(crate) fn find_in(&self, space: usize, name: &str) -> Option<usize> {
        if let Some(sp) = self.spaces.as_ref().and_then(|s| s.spaces.get(space)) {
            if let Some(&i) = sp.imports.get(name) {
                return Some(i);
            }
        }
        // Names are nearly always lower case already: looked up as they are, not copied.
        let lowered;
        let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            lowered = name.to_ascii_lowercase();
            lowered.as_str()
        } else {
            name
        };
        match space {
            0 => self.by_name.get(name).copied(),
            _ => self.by_name.get(spaced_key(space, name).as_str()).copied(),
        }
    }

    /// The namespace of stage `stage` (0: the main Dockerfile).
    pub(crate) fn space_index(&self, stage: usize) -> usize {
        self.spaces.as_ref().map_or(0, |s| s.index_of(stage))
    }

    /// The global ARGs and escape character stage `stage` expands with:
    /// its file's (`main`'s for the main Dockerfile).
    pub(crate) fn scope(&self, stage: usize, main: &EnvList, escape: char) -> (EnvList, char) {
        match self.spaces.as_ref().and_then(|s| s.of(stage)) {
            Some(sp) if self.space_index(stage) > 0 => (sp.globals.clone(), sp.escape),
            _ => (main.clone(), escape),
        }
    }

    /// The progress name of stage `i`: `name` or `stage-N`, prefixed with
    /// the file it comes from when imported (`ci/go.Dockerfile builder`).
    fn display_name(&self, i: usize, name: Option<&SourceStr>) -> SourceStr {
        let sp = self
            .spaces
            .as_ref()
            .and_then(|s| s.of(i))
            .filter(|sp| !sp.label.is_empty());
        match (sp, name) {
            (None, Some(n)) => n.clone(),
            (None, None) => SourceStr::owned(&format!("stage-{i}")),
            (Some(sp), Some(n)) => SourceStr::owned(&format!("{} {n}", sp.label)),
            (Some(sp), None) => SourceStr::owned(&format!("{} stage-{}", sp.label, i - sp.first)),
        }
    }

    /// Names of real stages (for suggestions).
    pub(crate) fn names(&self) -> Vec<String> {
        let names = self.nodes.iter().filter_map(|n| n.name.as_ref());
        names.map(|n| n.to_string()).collect()
    }

    /// The target stage: `--target` (case-insensitive) or the last stage
    /// of the main Dockerfile.
    pub(crate) fn resolve_target(&self, target: Option<&str>) -> Result<usize, Error> {
        match target.filter(|t| !t.is_empty()) {
            None => Ok(match &self.spaces {
                Some(s) => s.main_stages().saturating_sub(1),
                None => self
                    .nodes
                    .iter()
                    .rposition(|n| !n.is_synthetic())
                    .unwrap_or(0),
            }),
            Some(t) => self.find(t).ok_or_else(|| {
                // No natural location: point at the last stage's FROM.
                let span = self
                    .nodes
                    .iter()
                    .rev()
                    .find(|n| !n.is_synthetic())
                    .map_or(TextRange::empty(0), |n| n.span);
                let mut d = Error::new(
                    ErrorKind::TargetNotFound {
                        target: t.to_string(),
                    },
                    span,
                );
                let names = self.names();
                let lower = t.to_ascii_lowercase();
                let suggestion = crate::convert::suggest::closest(t, &names).or_else(|| {
                    // A prefix of a stage name (`prod` for `production`).
                    let mut prefixed = names
                        .iter()
                        .filter(|n| n.to_ascii_lowercase().starts_with(&lower));
                    match (prefixed.next(), prefixed.next()) {
                        (Some(n), None) => Some(n.clone()),
                        _ => None,
                    }
                });
                if let Some(s) = suggestion {
                    d = d.with_help(format!("did you mean \"{s}\"?"));
                }
                d
            }),
        }
    }

    fn synthetic(&mut self, base_name: &str, span: TextRange) -> usize {
        if let Some(&i) = self.synthetic_by_name.get(base_name) {
            self.indexed.push(i);
            return i;
        }
        self.indexed.push(self.nodes.len());
        self.synthetic_by_name
            .insert(base_name.to_string(), self.nodes.len());
        self.nodes.push(StageNode {
            stage: None,
            name: None,
            display_name: SourceStr::default(),
            base_name: SourceStr::owned(base_name),
            parent: None,
            platform: None,
            deps: Vec::new(),
            span,
            cmd_total: 0,
            context: None,
        });
        self.nodes.len() - 1
    }

    /// A `--from` / `from=` value expanded with the global ARGs. A
    /// variable declared only inside a stage, and an empty result, are
    /// errors.
    fn expand_from(&self, from: &ir::Word, escape: char, space: usize) -> Result<String, Error> {
        if !ir::has_variable_before_end(&from.value) {
            // Without a variable, the value is taken literally (upstream's
            // rule): one that expansion would change is an error.
            let literal = expand_word(&from.value, &crate::words::EmptyEnv, escape)
                .map_err(|e| super::Error::word(e, from.span))?;
            if literal != from.value {
                return Err(Error::new(ErrorKind::CopyFromExpansion, from.span));
            }
            return Ok(from.value.to_string());
        }
        let globals = match self.spaces.as_ref().and_then(|s| s.spaces.get(space)) {
            Some(sp) if space > 0 => &sp.globals,
            _ => &self.globals,
        };
        let x = crate::words::Lexer::new(escape)
            .process_word(&from.value, globals)
            .map_err(|e| super::Error::word(e, from.span))?;
        let compose = |kind| Error::new(ErrorKind::Compose(kind), from.span);
        for name in &x.unmatched {
            if self.stage_vars.contains(name) && globals.get(name).is_none() {
                let kind = super::ComposeErrorKind::StageVariable { name: name.clone() };
                return Err(
                    compose(kind).with_help(format!("declare `ARG {name}` before the first FROM"))
                );
            }
        }
        if x.value.is_empty() {
            let kind = super::ComposeErrorKind::EmptyExpansion {
                word: from.value.to_string(),
            };
            let names: Vec<&str> = x.unmatched.iter().map(String::as_str).collect();
            let help = match names.as_slice() {
                [] => "give the variables a value (a build arg or an ARG default)".to_string(),
                n => format!("unset: {}", n.join(", ")),
            };
            return Err(compose(kind).with_help(help));
        }
        Ok(x.value)
    }

    /// Resolve a `COPY --from` value to a node (`toCommand`).
    pub(crate) fn copy_source(
        &mut self,
        from: &ir::Word,
        escape: char,
        space: usize,
    ) -> Result<usize, Error> {
        let name = self.expand_from(from, escape, space)?;
        if let Ok(index) = name.parse::<i64>() {
            let indexed = match self.spaces.as_ref().and_then(|s| s.spaces.get(space)) {
                // In an imported file, an index counts that file's stages.
                Some(sp) if space > 0 => {
                    let i = usize::try_from(index).ok().map(|i| sp.first + i);
                    i.filter(|i| self.space_index(*i) == space && *i < self.nodes.len())
                }
                _ => usize::try_from(index)
                    .ok()
                    .and_then(|i| self.indexed.get(i).copied()),
            };
            return indexed
                .ok_or_else(|| Error::new(ErrorKind::InvalidStageIndex { index }, from.span));
        }
        Ok(match self.find_in(space, &name) {
            Some(i) => i,
            None => {
                unloaded_import(&name, from.span)?;
                self.synthetic(&name, from.span)
            }
        })
    }

    /// Resolve a mount `from=` value (cache mounts default to scratch).
    fn mount_source(
        &mut self,
        m: &ir::Mount,
        escape: char,
        space: usize,
    ) -> Result<Option<usize>, Error> {
        if m.kind == ir::MountType::Tmpfs {
            return Ok(None);
        }
        let from = match (&m.from, m.kind) {
            (Some(f), _) if f.value.is_empty() => match m.kind {
                ir::MountType::Cache => SCRATCH.to_string(),
                _ => return Ok(None),
            },
            (Some(f), _) if !ir::has_variable_before_end(&f.value) => f.value.to_string(),
            (Some(f), _) => self.expand_from(f, escape, space)?,
            (_, ir::MountType::Cache) => SCRATCH.to_string(),
            _ => return Ok(None),
        };
        Ok(Some(match self.find_in(space, &from) {
            Some(i) => i,
            None => {
                unloaded_import(&from, m.span)?;
                self.synthetic(&from, m.span)
            }
        }))
    }

    /// Record the dependencies of one command of node `node`.
    pub(crate) fn add_command_deps(
        &mut self,
        node: usize,
        cmd_index: usize,
        cmd: &ir::Command,
        escape: char,
    ) -> Result<(), Error> {
        let stage = self.nodes.get(node).and_then(|n| n.stage).unwrap_or(node);
        let space = self.space_index(stage);
        let escape = match self.spaces.as_ref().and_then(|s| s.of(stage)) {
            Some(sp) if space > 0 => sp.escape,
            _ => escape,
        };
        let sources: Vec<Option<usize>> = match &cmd.instruction {
            Instruction::Copy(c) => match &c.from {
                Some(f) => vec![Some(self.copy_source(f, escape, space)?)],
                None => return Ok(()),
            },
            Instruction::Run(r) => r
                .mounts
                .iter()
                .map(|m| self.mount_source(m, escape, space))
                .collect::<Result<_, _>>()?,
            Instruction::Require(names) => self.required(names)?,
            _ => return Ok(()),
        };
        for &s in sources.iter().flatten() {
            if let Some(n) = self.nodes.get_mut(node) {
                if self.dep_pairs.insert((node, s)) {
                    // Most stages have one dependency: room for one, not
                    // the four a first push reserves; more grow as usual.
                    if n.deps.capacity() == 0 {
                        n.deps.reserve_exact(1);
                    }
                    n.deps.push((s, cmd.info.span));
                }
            }
        }
        // A command without sources has no entry (readers take a missing
        // one as none): a RUN without mounts costs the map nothing.
        if sources.is_empty() {
            self.sources.remove(&(NodeId(node), cmd_index));
        } else {
            let sources = CommandSources::new(sources);
            self.sources.insert((NodeId(node), cmd_index), sources);
        }
        Ok(())
    }

    /// Record again the dependencies of every command of node `node`
    /// (after commands were inserted in front of its stage).
    pub(crate) fn restage_deps(
        &mut self,
        node: usize,
        stage: &ir::Stage,
        escape: char,
    ) -> Result<(), Error> {
        self.sources.retain(|(n, _), _| *n != NodeId(node));
        for (ci, cmd) in stage.commands.iter().enumerate() {
            self.add_command_deps(node, ci, cmd, escape)?;
        }
        Ok(())
    }

    /// Record the dependencies of every command of every real stage.
    pub(crate) fn add_all_deps(&mut self, df: &ir::Dockerfile) -> Result<(), Error> {
        for (i, st) in df.stages.iter().enumerate() {
            for (ci, cmd) in st.commands.iter().enumerate() {
                self.add_command_deps(i, ci, cmd, df.escape)?;
            }
        }
        self.check_cycles()?;
        // Upstream registers a placeholder state for every RUN mount
        // (`scratch` when it has no `from`), so a single stage keeps its
        // display name when any RUN has a mount.
        let has_mount = df
            .stages
            .iter()
            .flat_map(|s| &s.commands)
            .any(|c| matches!(&c.instruction, Instruction::Run(r) if !r.mounts.is_empty()));
        if self.nodes.len() == 1 && !has_mount && self.spaces.is_none() {
            if let Some(n) = self.nodes.first_mut() {
                n.display_name = SourceStr::default();
            }
        }
        Ok(())
    }

    /// `circular dependency detected on stage: x`, located at the
    /// instructions that form the cycle.
    pub(crate) fn check_cycles(&self) -> Result<(), Error> {
        let mut visited = vec![false; self.nodes.len()];
        let mut on_path = vec![false; self.nodes.len()];
        for start in 0..self.nodes.len() {
            let mut trail = Vec::new();
            if self.visit(start, &mut visited, &mut on_path, &mut trail) {
                let span = trail.first().copied().unwrap_or_default();
                let name = self
                    .nodes
                    .get(start)
                    .map(|n| n.display_name.to_string())
                    .unwrap_or_default();
                let mut d = Error::new(ErrorKind::CircularDependency { stage: name }, span);
                if trail.len() > 1 {
                    d = d.with_help(format!(
                        "the cycle goes through {} instructions",
                        trail.len()
                    ));
                }
                return Err(d);
            }
        }
        Ok(())
    }

    fn visit(
        &self,
        n: usize,
        visited: &mut [bool],
        on_path: &mut [bool],
        trail: &mut Vec<TextRange>,
    ) -> bool {
        if visited[n] {
            return false;
        }
        visited[n] = true;
        on_path[n] = true;
        for (dep, span) in &self.nodes[n].deps {
            trail.push(*span);
            if on_path[*dep] || self.visit(*dep, visited, on_path, trail) {
                return true;
            }
            trail.pop();
        }
        on_path[n] = false;
        false
    }

    /// Every node reachable from `target` through parents and deps.
    pub(crate) fn reachable(&self, target: usize) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![target];
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            if let Some(node) = self.nodes.get(n) {
                if let Some(p) = node.parent {
                    stack.push(p);
                }
                stack.extend(node.deps.iter().map(|(d, _)| *d));
            }
        }
        seen
    }
}

#[cfg(test)]
#[path = "stages_tests.rs"]
mod tests;
