//! Typed instructions: the meaning of a parsed Dockerfile.
//!
//! [`lower`] turns the raw [`ast::Dockerfile`]
//! into an [`ir::Dockerfile`](Dockerfile): global ARGs, stages and one
//! [`Instruction`] per line with typed flags, like upstream's
//! `frontend/dockerfile/instructions` package. It never stops at the first
//! problem: every error is collected with its span, and the best-effort tree
//! is returned alongside.
//!
//! Source code layout:
//! - `types.rs`: the output types (shared with the converter).
//! - `error.rs`: [`IrError`] and [`IrErrorKind`].
//! - `flags.rs`: `--name[=value]` parsing (upstream `bflag.go`).
//! - `suggest.rs`: "did you mean" suggestions.
//! - `run.rs`, `mount.rs`: RUN, its `--mount` option lists and their resolution.
//! - `copy.rs`: COPY and ADD.
//! - `simple.rs`: all the other instructions.
//! - `values.rs`: Go-compatible parsers (durations, sizes, paths).

mod copy;
mod error;
mod extensions;
pub(crate) mod flags;
mod mount;
mod preset;
mod run;
mod simple;
pub(crate) mod suggest;
mod types;
pub(crate) mod values;

pub use error::{Arity, IrError, IrErrorKind};
pub use mount::has_variable_before_end;
pub use preset::CachePreset;
pub use run::{chomp_heredoc, is_heredoc_word, RunScript};
pub use types::*;

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use crate::limits::{Exceeded, Limit, Limits};
use crate::syntax::{ast, Keyword, SourceStr};
use crate::text::TextRange;
use flags::{parse_flags, FlagSpec};
use simple::arg_count;

/// The result of [`lower`]: the best-effort typed tree and every error found.
#[derive(Clone, Debug)]
pub struct Lowered {
    /// The typed instructions; best effort when there are errors.
    pub dockerfile: Dockerfile,
    /// Every error, in source order.
    pub errors: Vec<IrError>,
}

/// Lower a parsed Dockerfile into typed instructions, under
/// [`Limits::DEFAULT`].
///
/// ```rust
/// use llb_gen::ir::{self, Instruction};
///
/// let parsed = llb_gen::syntax::parse("FROM golang AS build\nRUN --mount=type=cache,target=/root/.cache go build\n");
/// let lowered = ir::lower(&parsed.dockerfile);
/// assert!(lowered.errors.is_empty());
/// let stage = &lowered.dockerfile.stages[0];
/// assert_eq!(stage.name.as_ref().map(|n| n.value.as_str()), Some("build"));
/// match &stage.commands[0].instruction {
///     Instruction::Run(run) => assert_eq!(run.mounts[0].kind, ir::MountType::Cache),
///     other => panic!("{other:?}"),
/// }
///
/// let bad = ir::lower(&llb_gen::syntax::parse("FROM a\nCOPY --form=x a b\n").dockerfile);
/// assert_eq!(bad.errors[0].code(), "unknown-flag");
/// assert_eq!(bad.errors[0].help.as_deref(), Some("did you mean `--from`?"));
/// ```
pub fn lower(file: &ast::Dockerfile) -> Lowered {
    lower_with_limits(file, &Limits::DEFAULT)
}

/// [`lower`] under explicit limits: past `max_stages` stages, lowering
/// stops with one located error.
pub fn lower_with_limits(file: &ast::Dockerfile, limits: &Limits) -> Lowered {
    let out = Dockerfile {
        directives: directives(file),
        meta_args: Vec::new(),
        stages: Vec::new(),
        escape: file.escape,
        extensions: Vec::new(),
    };
    let sizes = StageSizes::of(&file.nodes);
    lower_nodes(out, &file.nodes, file.nodes.iter(), sizes, limits)
}

/// [`lower`] taking the syntax tree over: each node is freed once lowered,
/// so the tree and the instructions are not both held whole (large files).
pub fn lower_owned(file: ast::Dockerfile) -> Lowered {
    lower_owned_with_limits(file, &Limits::DEFAULT)
}

/// [`lower_owned`] under explicit limits.
pub fn lower_owned_with_limits(mut file: ast::Dockerfile, limits: &Limits) -> Lowered {
    let out = Dockerfile {
        directives: directives(&file),
        meta_args: Vec::new(),
        stages: Vec::new(),
        escape: file.escape,
        extensions: Vec::new(),
    };
    let nodes = std::mem::take(&mut file.nodes);
    drop(file);
    let first_span = nodes.first().map(|n| n.span);
    let all_args = !nodes.is_empty() && nodes.iter().all(|n| n.is(Keyword::Arg));
    let sizes = StageSizes::of(&nodes);
    let mut lowered = lower_nodes(out, &[], Releasing::new(nodes), sizes, limits);
    if lowered.dockerfile.stages.is_empty() && all_args {
        let span = first_span.unwrap_or(TextRange::empty(0));
        lowered.errors.push(
            IrError::new(IrErrorKind::NoStages, span).with_help("add a stage with `FROM <image>`"),
        );
    }
    lowered
}

/// The lowering loop over `nodes`; `all` (the whole file, when borrowed)
/// decides the only-ARGs error.
fn lower_nodes<N: LowerNode>(
    mut out: Dockerfile,
    all: &[ast::Node],
    nodes: impl IntoIterator<Item = N>,
    sizes: StageSizes,
    limits: &Limits,
) -> Lowered {
    let mut errors = Vec::new();
    out.stages
        .reserve_exact(sizes.commands.len().min(limits.max_stages));
    let mut froms = 0;
    // Stage name -> the span of its first definition, for duplicate names.
    // FxHash: stage names are the file's, but colliding ones could only slow its own lowering.
    let mut names: HashMap<String, TextRange, FxBuildHasher> = HashMap::default();
    for owned in nodes {
        let node = owned.borrow();
        if node.is(Keyword::From) {
            froms += 1;
            let count = out.stages.len() + 1;
            if let Some(e) = Exceeded::check(Limit::Stages, count, limits.max_stages) {
                let help = e.help();
                let e = IrError::new(IrErrorKind::LimitExceeded(e), node.keyword.span);
                errors.push(e.with_help(help));
                break;
            }
            if let Some(mut stage) = lower_from(node, out.stages.len(), &names, &mut errors) {
                if let Some(n) = &stage.name {
                    names.entry(n.value.as_str().to_owned()).or_insert(n.span);
                }
                // Instructions are large: no growth slack per stage.
                if let Some(last) = out.stages.last_mut() {
                    last.commands.shrink_to_fit();
                }
                stage.commands.reserve_exact(sizes.commands_of(froms));
                out.stages.push(stage);
            }
            continue;
        }
        let Some(instruction) = lower_instruction(node, &mut errors) else {
            continue;
        };
        extensions::record(node, &mut out.extensions);
        extensions::record_from(&instruction, &mut out.extensions);
        let command = Command {
            info: info(node),
            instruction,
        };
        match (out.stages.last_mut(), command.instruction) {
            (Some(stage), instruction) => stage.commands.push(Command {
                info: command.info,
                instruction,
            }),
            (None, Instruction::Arg(arg)) => out.meta_args.push(*arg),
            (None, _) => errors.push(
                IrError::new(IrErrorKind::NoBuildStage, node.keyword.span)
                    .with_help("start a build stage with `FROM <image>` first"),
            ),
        }
    }
    if let Some(last) = out.stages.last_mut() {
        last.commands.shrink_to_fit();
    }
    let only_args = !all.is_empty() && all.iter().all(|n| n.is(Keyword::Arg));
    if out.stages.is_empty() && only_args {
        let span = all.first().map_or(TextRange::empty(0), |n| n.span);
        errors.push(
            IrError::new(IrErrorKind::NoStages, span).with_help("add a stage with `FROM <image>`"),
        );
    }
    Lowered {
        dockerfile: out,
        errors,
    }
}

fn directives(file: &ast::Dockerfile) -> Directives {
    let mut d = Directives::default();
    for dir in &file.directives {
        let word = Word::new(SourceStr::owned(&dir.value), dir.value_span);
        match dir.key.as_str() {
            "syntax" => d.syntax = Some(word),
            "check" => d.check = Some(word),
            _ => {}
        }
    }
    d
}

/// The nodes of a file in order, each handed over once, and the vector that
/// held them given back as it empties: a node is about 200 bytes, so the
/// vector of a large file (10 MB at 50,000 instructions) would otherwise
/// stay whole until every node is lowered, next to the instructions made
/// from it. The nodes are kept in reverse order and popped; once a quarter
/// of the capacity is unused, the vector is shrunk (glibc's shrinking
/// `realloc` gives the tail back in place, without copying).
struct Releasing {
    reversed: Vec<ast::Node>,
}

impl Releasing {
    /// Below this capacity the vector is not worth shrinking.
    const MIN_SHRINK: usize = 1024;

    fn new(mut nodes: Vec<ast::Node>) -> Releasing {
        nodes.reverse();
        Releasing { reversed: nodes }
    }
}

impl Iterator for Releasing {
    type Item = ast::Node;

    fn next(&mut self) -> Option<ast::Node> {
        let node = self.reversed.pop()?;
        let cap = self.reversed.capacity();
        if cap >= Self::MIN_SHRINK && self.reversed.len() <= cap - cap / 4 {
            self.reversed.shrink_to_fit();
        }
        Some(node)
    }
}

/// How many stages a file has and how many instructions follow each `FROM` (an upper bound
/// of its commands): the stages' vectors are made at their size, not grown by copying.
struct StageSizes {
    /// Instructions after the n-th `FROM` (1-based: `commands[n - 1]`).
    commands: Vec<usize>,
}

impl StageSizes {
    fn of(nodes: &[ast::Node]) -> StageSizes {
        let mut commands = Vec::new();
        for node in nodes {
            if node.is(Keyword::From) {
                commands.push(0);
            } else if let Some(n) = commands.last_mut() {
                *n += 1;
            }
        }
        StageSizes { commands }
    }

    /// The instructions after the `froms`-th `FROM`.
    fn commands_of(&self, froms: usize) -> usize {
        froms
            .checked_sub(1)
            .and_then(|i| self.commands.get(i))
            .copied()
            .unwrap_or(0)
    }
}

/// A node to lower, owned or borrowed.
trait LowerNode: std::borrow::Borrow<ast::Node> {}

impl LowerNode for ast::Node {}

impl LowerNode for &ast::Node {}

fn info(node: &ast::Node) -> CommandInfo {
    CommandInfo {
        span: node.span,
        original: node.original.clone(),
        start_line: node.start_line,
        end_line: node.end_line,
    }
}

/// `^[a-z][a-z0-9-_.]*$`
fn valid_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
}

const FROM_FLAGS: &[FlagSpec] = &[FlagSpec::string("platform")];

fn lower_from(
    node: &ast::Node,
    index: usize,
    earlier: &HashMap<String, TextRange, FxBuildHasher>,
    errors: &mut Vec<IrError>,
) -> Option<Stage> {
    let flags = parse_flags("FROM", &node.flags, FROM_FLAGS, &[], errors);
    let args = &node.args;
    let name = match &args[..] {
        [_] => None,
        [_, as_kw, name] if as_kw.value.eq_ignore_ascii_case("as") => {
            let lower = name.value.to_lowercase();
            if !valid_stage_name(&lower) {
                errors.push(IrError::new(
                    IrErrorKind::InvalidStageName {
                        name: name.value.to_string(),
                    },
                    name.span,
                ));
            } else if let Some(first) = earlier.get(&lower) {
                errors.push(IrError::new(
                    IrErrorKind::DuplicateStageName {
                        name: lower.clone(),
                        first: *first,
                    },
                    name.span,
                ));
            }
            // Shared with the file when written in lower case already.
            let value = if lower == name.value.as_str() {
                name.value.clone()
            } else {
                SourceStr::owned(&lower)
            };
            Some(Word::new(value, name.span))
        }
        _ => {
            errors.push(
                IrError::new(IrErrorKind::FromArgCount, simple::args_span(node))
                    .with_help("write `FROM <image> [AS <name>]`"),
            );
            if args.is_empty() {
                return None;
            }
            None
        }
    };
    let base = args.first()?.clone();
    Some(Stage {
        index,
        name,
        base,
        platform: flags.string("platform").cloned(),
        comment: node.prev_comment.to_vec(),
        from: info(node),
        commands: Vec::new(),
    })
}

/// Lower one non-FROM instruction; `None` when it is unusable (errors pushed).
fn lower_instruction(node: &ast::Node, errors: &mut Vec<IrError>) -> Option<Instruction> {
    use Keyword as K;
    let Some(keyword) = node.kind else {
        errors.push(unknown_instruction(node));
        return None;
    };
    Some(match keyword {
        K::Arg => Instruction::Arg(Box::new(ArgInstruction {
            info: info(node),
            args: simple::lower_arg(node, errors),
            comment: node.prev_comment.to_vec(),
        })),
        K::Env => Instruction::Env(simple::lower_key_values(node, K::Env, errors)),
        K::Label => Instruction::Label(simple::lower_key_values(node, K::Label, errors)),
        K::Run => Instruction::Run(Box::new(run::lower_run(node, errors))),
        K::Copy => Instruction::Copy(Box::new(copy::lower_copy(node, errors)?)),
        K::Add => Instruction::Add(Box::new(copy::lower_add(node, errors)?)),
        K::Workdir => Instruction::Workdir(Box::new(simple::lower_workdir(node, errors)?)),
        K::User => Instruction::User(simple::lower_single(node, K::User, errors)?),
        K::Stopsignal => {
            Instruction::StopSignal(simple::lower_single(node, K::Stopsignal, errors)?)
        }
        K::Maintainer => {
            Instruction::Maintainer(simple::lower_single(node, K::Maintainer, errors)?)
        }
        K::Volume => Instruction::Volume(simple::lower_volume(node, errors)),
        K::Expose => Instruction::Expose(simple::lower_expose(node, errors)),
        K::Cmd => Instruction::Cmd(simple::lower_cmd(node, K::Cmd, errors)),
        K::Entrypoint => Instruction::Entrypoint(simple::lower_cmd(node, K::Entrypoint, errors)),
        K::Shell => Instruction::Shell(simple::lower_shell(node, errors)?),
        K::Healthcheck => {
            Instruction::Healthcheck(Box::new(simple::lower_healthcheck(node, errors)?))
        }
        K::Onbuild => Instruction::OnBuild(lower_onbuild(node, errors)?),
        K::Cache => Instruction::Cache(preset::lower_cache(node, errors)?),
        K::Require => Instruction::Require(simple::lower_require(node, errors)?),
        // Only reachable for `ONBUILD FROM`, which is rejected earlier.
        K::From => return None,
        K::Include | K::If | K::Else | K::End => {
            errors.push(IrError::new(
                IrErrorKind::NotComposed { keyword },
                node.keyword.span,
            ));
            return None;
        }
    })
}

/// The names and defaults of an ARG line (for the converter's composition,
/// which evaluates global ARGs before instructions are typed).
pub(crate) fn lower_arg_decls(node: &ast::Node, errors: &mut Vec<IrError>) -> Vec<ArgDecl> {
    simple::lower_arg(node, errors)
}

/// `FORM alpine`: an unknown word, with the closest keyword as help.
fn unknown_instruction(node: &ast::Node) -> IrError {
    let err = IrError::new(
        IrErrorKind::UnknownInstruction {
            name: node.keyword.value.to_string(),
        },
        node.keyword.span,
    );
    // Upstream's instructions first: `ENB` is a typo of ENV, not of END.
    let names = |superset: bool| -> Vec<&str> {
        let of_kind = Keyword::ALL.iter().filter(|k| k.is_superset() == superset);
        of_kind.map(|k| k.as_str()).collect()
    };
    let word = &node.keyword.value;
    let found =
        suggest::suggest(word, &names(false)).or_else(|| suggest::suggest(word, &names(true)));
    match found {
        Some(s) => err.with_help(format!("did you mean {s}?")),
        None => err,
    }
}

/// ONBUILD: the trigger is validated like any instruction, and its text is
/// kept for the image config.
fn lower_onbuild(node: &ast::Node, errors: &mut Vec<IrError>) -> Option<OnBuild> {
    simple::no_flags(node, "ONBUILD", errors);
    let Some(sub) = node.sub.as_deref() else {
        errors.push(arg_count(node, "ONBUILD", Arity::AtLeastOne));
        return None;
    };
    match sub.kind {
        Some(Keyword::Onbuild) => {
            errors.push(IrError::new(IrErrorKind::OnbuildChain, sub.keyword.span));
            return None;
        }
        Some(k @ (Keyword::From | Keyword::Maintainer)) => {
            errors.push(IrError::new(
                IrErrorKind::OnbuildForbidden {
                    instruction: k.as_str().to_string(),
                },
                sub.keyword.span,
            ));
            return None;
        }
        _ => {}
    }
    let instruction = lower_instruction(sub, errors)?;
    Some(OnBuild {
        expression: onbuild_expression(node),
        command: Box::new(Command {
            info: info(sub),
            instruction,
        }),
    })
}

/// The original line without the leading `ONBUILD` keyword, heredoc bodies
/// re-attached (`\n` + body + terminator for each).
fn onbuild_expression(node: &ast::Node) -> String {
    let trimmed = node.original.trim_start();
    let kw_len = "onbuild".len();
    let rest = match trimmed.get(..kw_len) {
        Some(head) if head.eq_ignore_ascii_case("onbuild") => &trimmed[kw_len..],
        _ => trimmed,
    };
    let mut out = rest.trim_start().to_string();
    let heredocs = node.sub.as_deref().map_or(&node.heredocs, |s| {
        if s.heredocs.is_empty() {
            &node.heredocs
        } else {
            &s.heredocs
        }
    });
    for h in heredocs {
        out.push('\n');
        out.push_str(&h.content);
        out.push_str(&h.name);
    }
    out
}

#[cfg(test)]
#[path = "lower_tests.rs"]
mod tests;
