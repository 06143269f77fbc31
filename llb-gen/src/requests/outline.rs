//! `frontend.outline`: what the target takes (its name and description,
//! the build args it uses, the secrets and ssh agents its RUNs mount), in
//! upstream's shape, computed from a [`Planned`] conversion.
//!
//! As upstream (`dockerfile2llb`'s outline capture): a stage uses the
//! global ARGs its `FROM` name and `--platform` expand (and those their
//! defaults name), and every ARG it declares; the target's outline is its
//! own, then its parent's, then those of the stages it copies or mounts
//! from, each name once (the first met wins), sorted by file and line. A
//! secret or ssh id counts once per stage, at its first RUN. Stages that
//! `REQUIRE` names are part of what the target runs: their args, secrets
//! and ssh count too, and the stages are listed in the additive field
//! `requires` (buildx ignores fields it does not know).

use std::collections::{BTreeMap, BTreeSet};

use super::targets::doc_comment;
use crate::convert::args::{is_non_env_arg, EnvList};
use crate::convert::{EdgeKind, EdgeSource, Planned};
use crate::diagnostic::Diagnostic;
use crate::ir::{self, Instruction, MountSpec, MountType};
use crate::sources::SourceSet;
use crate::words::Lexer;

/// Where an outline entry was declared: lines `start..=end` (1-based) of
/// file `file` of the build's [`SourceSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// The file's index in the build's sources (0: the Dockerfile).
    pub file: usize,
    /// First line.
    pub start: u32,
    /// Last line.
    pub end: u32,
}

/// A build arg the target uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutlineArg {
    /// Its name.
    pub name: String,
    /// The comment above its ARG that starts with its name.
    pub description: String,
    /// Its value: the build arg given, else its default (expanded).
    pub value: String,
    /// Its ARG instruction.
    pub location: Location,
}

/// A secret or ssh agent the target's RUNs mount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutlineMount {
    /// Its id.
    pub name: String,
    /// `required=true` at its first use.
    pub required: bool,
    /// Its first RUN.
    pub location: Location,
}

/// A stage built along with the target through `REQUIRE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequiredStage {
    /// The stage's name as written in `REQUIRE`.
    pub name: String,
    /// The `REQUIRE` instruction.
    pub location: Location,
}

/// The outline of the target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outline {
    /// The target's name (empty for an unnamed last stage).
    pub name: String,
    /// The comment above its FROM that starts with its name.
    pub description: String,
    /// Build args, by location.
    pub args: Vec<OutlineArg>,
    /// Secrets, by location.
    pub secrets: Vec<OutlineMount>,
    /// SSH agents, by location.
    pub ssh: Vec<OutlineMount>,
    /// Stages built along through `REQUIRE`, by location.
    pub requires: Vec<RequiredStage>,
}

/// What one stage declares and uses.
#[derive(Default)]
struct Capture {
    /// Args known to the stage (the globals, then its own ARGs).
    known: BTreeMap<String, ArgInfo>,
    /// Names it uses, in the order met.
    used: Vec<String>,
    /// In the order of first use (an id once).
    secrets: Vec<OutlineMount>,
    ssh: Vec<OutlineMount>,
    requires: Vec<RequiredStage>,
}

#[derive(Clone)]
struct ArgInfo {
    arg: OutlineArg,
    /// Global ARGs its default names.
    deps: BTreeSet<String>,
}

/// The outline of `planned`'s target; `sources` are the build's files.
/// A mount whose fields do not expand is an error, as in the build.
pub fn outline(planned: &Planned, sources: &SourceSet) -> Result<Outline, Vec<Diagnostic>> {
    let df = planned.dockerfile();
    let globals = global_infos(planned, sources);
    let map = planned.stage_map();
    let mut captures: BTreeMap<usize, Capture> = BTreeMap::new();
    let mut envs: Vec<EnvList> = Vec::with_capacity(df.stages.len());
    for (i, st) in df.stages.iter().enumerate() {
        let parent = match map.stages[i].base {
            crate::convert::StageBase::Stage(p) => envs.get(p).cloned(),
            _ => None,
        };
        // A stage the target does not reach is not dispatched: its errors
        // do not count.
        let reachable = map.stages[i].reachable;
        match capture(
            planned,
            sources,
            i,
            st,
            &globals,
            parent.unwrap_or_default(),
        ) {
            Ok((c, env)) => {
                envs.push(env);
                if reachable {
                    captures.insert(i, c);
                }
            }
            Err(e) if reachable => return Err(vec![Diagnostic::from(e)]),
            Err(_) => envs.push(EnvList::default()),
        }
    }
    let mut out = Outline::default();
    let target = &df.stages[planned.target()];
    out.name = planned.g.nodes[planned.target()]
        .name
        .as_ref()
        .map(|n| n.to_string())
        .unwrap_or_default();
    out.description = doc_comment(&target.comment, &out.name).unwrap_or_default();
    // Each stage's stage dependencies, its parent first (as upstream).
    let mut deps: Vec<Vec<(EdgeKind, usize)>> = vec![Vec::new(); df.stages.len()];
    for e in &map.edges {
        if let (EdgeSource::Stage(from), Some(list)) = (&e.from, deps.get_mut(e.to)) {
            list.push((e.kind, *from));
        }
    }
    for list in &mut deps {
        list.sort_by_key(|(kind, _)| *kind != EdgeKind::Base);
    }
    let mut seen = Seen::default();
    collect(planned.target(), &deps, &captures, &mut seen, &mut out);
    out.args.sort_by_key(|a| a.location);
    out.secrets.sort_by_key(|s| s.location);
    out.ssh.sort_by_key(|s| s.location);
    out.requires.sort_by_key(|r| r.location);
    Ok(out)
}

#[derive(Default)]
struct Seen {
    stages: BTreeSet<usize>,
    args: BTreeSet<String>,
    secrets: BTreeSet<String>,
    ssh: BTreeSet<String>,
    requires: BTreeSet<String>,
}

/// Upstream's walk: the stage's own entries, then its parent's, then its
/// dependencies' (REQUIRE included), each name once; depth first, with a
/// stack (a chain of 10,000 stages is no recursion).
fn collect(
    target: usize,
    deps: &[Vec<(EdgeKind, usize)>],
    captures: &BTreeMap<usize, Capture>,
    seen: &mut Seen,
    out: &mut Outline,
) {
    let mut stack = vec![target];
    while let Some(i) = stack.pop() {
        if !seen.stages.insert(i) {
            continue;
        }
        if let Some(c) = captures.get(&i) {
            take(c, seen, out);
        }
        if let Some(list) = deps.get(i) {
            stack.extend(list.iter().rev().map(|(_, s)| *s));
        }
    }
}

/// One stage's entries not seen yet.
fn take(c: &Capture, seen: &mut Seen, out: &mut Outline) {
    for name in used_with_deps(c) {
        if let Some(a) = c.known.get(&name) {
            if seen.args.insert(name) {
                out.args.push(a.arg.clone());
            }
        }
    }
    for s in &c.secrets {
        if seen.secrets.insert(s.name.clone()) {
            out.secrets.push(s.clone());
        }
    }
    for s in &c.ssh {
        if seen.ssh.insert(s.name.clone()) {
            out.ssh.push(s.clone());
        }
    }
    for r in &c.requires {
        if seen.requires.insert(r.name.to_ascii_lowercase()) {
            out.requires.push(r.clone());
        }
    }
}

/// The names a stage uses and, transitively, the globals their defaults
/// name (`markAllUsed`).
fn used_with_deps(c: &Capture) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut todo: Vec<String> = c.used.iter().rev().cloned().collect();
    let mut seen = BTreeSet::new();
    while let Some(n) = todo.pop() {
        if !seen.insert(n.clone()) {
            continue;
        }
        if let Some(a) = c.known.get(&n) {
            todo.extend(a.deps.iter().rev().cloned());
        }
        out.push(n);
    }
    out
}

fn locate(sources: &SourceSet, info: &ir::CommandInfo) -> Location {
    Location {
        file: sources.index_of(info.span.start),
        start: info.start_line,
        end: info.end_line,
    }
}

/// The main file's global ARGs: value (the build arg, else the default as
/// evaluated), description, location, and the globals the default names.
fn global_infos(planned: &Planned, sources: &SourceSet) -> BTreeMap<String, ArgInfo> {
    let df = planned.dockerfile();
    let lexer = Lexer::new(df.escape);
    let mut out = BTreeMap::new();
    for cmd in &df.meta_args {
        for decl in &cmd.args {
            let name = decl.name.value.clone();
            let given = planned.build_args.get(name.as_str());
            let (value, deps) = match (given, &decl.default) {
                (Some(v), _) => (v.clone(), BTreeSet::new()),
                (None, Some(d)) => {
                    let deps = lexer
                        .process_word(&d.value, &planned.globals)
                        .map(|e| e.matched)
                        .unwrap_or_default();
                    let value = planned.globals.get(&name).unwrap_or_default();
                    (value.to_string(), deps)
                }
                (None, None) => (String::new(), BTreeSet::new()),
            };
            let arg = OutlineArg {
                description: doc_comment(&cmd.comment, &name).unwrap_or_default(),
                name: name.to_string(),
                value,
                location: locate(sources, &cmd.info),
            };
            out.insert(name.to_string(), ArgInfo { arg, deps });
        }
    }
    out
}

/// One stage's capture, and its environment at its end (what a child
/// stage starts with). Values are expanded as the build expands them, but
/// without the base image's environment, which is not resolved here.
fn capture(
    planned: &Planned,
    sources: &SourceSet,
    i: usize,
    st: &ir::Stage,
    globals: &BTreeMap<String, ArgInfo>,
    mut env: EnvList,
) -> Result<(Capture, EnvList), crate::convert::Error> {
    let (scope, escape) = planned.g.scope(i, &planned.globals, planned.df.escape);
    let main_file = planned.g.space_index(i) == 0;
    let lexer = Lexer::new(escape);
    let mut c = Capture {
        known: if main_file {
            globals.clone()
        } else {
            BTreeMap::new()
        },
        ..Capture::default()
    };
    if main_file {
        for w in std::iter::once(&st.base).chain(&st.platform) {
            if let Ok(e) = lexer.process_word(&w.value, &scope) {
                c.used.extend(e.matched);
            }
        }
    }
    for cmd in &st.commands {
        // As in the build: a stage sees its own environment (its parent's,
        // its ARGs and ENVs), not the globals it does not declare.
        match &cmd.instruction {
            Instruction::Arg(a) => {
                for decl in &a.args {
                    let name = &decl.name.value;
                    let given = planned.build_args.get(name.as_str()).cloned();
                    let value = match (given, &decl.default) {
                        (Some(v), _) => Some(v),
                        (None, Some(d)) => Some(
                            lexer
                                .process_word(&d.value, &env)
                                .map_err(|e| crate::convert::Error::word(e, d.span))?
                                .value,
                        ),
                        (None, None) => scope.get(name).map(str::to_string),
                    };
                    let inherited = decl.default.is_none()
                        && !planned.build_args.contains_key(name.as_str())
                        && scope.get(name).is_some();
                    if !inherited {
                        let arg = OutlineArg {
                            name: name.to_string(),
                            description: doc_comment(&a.comment, name).unwrap_or_default(),
                            value: value.clone().unwrap_or_default(),
                            location: locate(sources, &cmd.info),
                        };
                        let deps = BTreeSet::new();
                        c.known.insert(name.to_string(), ArgInfo { arg, deps });
                    }
                    if let Some(v) = value.filter(|_| !is_non_env_arg(name)) {
                        env.add_or_replace(name, &v);
                    }
                    c.used.push(name.to_string());
                }
            }
            Instruction::Env(kvs) => {
                // One ENV's values all see the environment before it.
                let mut values = Vec::with_capacity(kvs.len());
                for kv in kvs {
                    let v = lexer
                        .process_word(&kv.value.value, &env)
                        .map_err(|e| crate::convert::Error::word(e, kv.value.span))?;
                    values.push((kv.key.value.as_str(), v.value));
                }
                for (k, v) in values {
                    env.add_or_replace(k, &v);
                }
            }
            Instruction::Run(r) => run_mounts(r, &env, escape, locate(sources, &cmd.info), &mut c)?,
            Instruction::Require(names) => c.requires.extend(names.iter().map(|n| RequiredStage {
                name: n.value.to_string(),
                location: locate(sources, &cmd.info),
            })),
            _ => {}
        }
    }
    Ok((c, env))
}

/// The secrets and ssh agents of one RUN, each id at its first use.
fn run_mounts(
    r: &ir::Run,
    env: &EnvList,
    escape: char,
    at: Location,
    c: &mut Capture,
) -> Result<(), crate::convert::Error> {
    for m in r
        .mounts
        .iter()
        .filter(|m| matches!(m.kind, MountType::Secret | MountType::Ssh))
    {
        let resolved = m.resolve(
            &mut |w| {
                crate::convert::expand::expand_text(&w.value, env, escape)
                    .map_err(|e| crate::convert::Error::word(e, w.span))
            },
            "/",
        )?;
        let (map, id, required) = match resolved {
            MountSpec::Secret { id, required, .. } => (&mut c.secrets, id, required),
            MountSpec::Ssh { id, required, .. } => {
                let id = if id.is_empty() { "default".into() } else { id };
                (&mut c.ssh, id, required)
            }
            _ => continue,
        };
        if !map.iter().any(|s| s.name == id) {
            map.push(OutlineMount {
                name: id,
                required,
                location: at,
            });
        }
    }
    Ok(())
}
