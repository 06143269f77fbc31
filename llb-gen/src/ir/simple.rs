//! The instructions without special flag handling: ENV, LABEL, ARG, WORKDIR,
//! USER, STOPSIGNAL, VOLUME, EXPOSE, CMD, ENTRYPOINT, SHELL, HEALTHCHECK,
//! MAINTAINER (ONBUILD lives in `mod.rs`, next to the dispatcher it re-enters).

use std::time::Duration;

use crate::ir::error::{Arity, IrError, IrErrorKind};
use crate::ir::flags::{parse_flags, sub_span, FlagSpec};
use crate::ir::values::parse_go_duration;
use crate::ir::{ArgDecl, CommandLine, Healthcheck, KeyValue, Word, Workdir};
use crate::syntax::ast::Node;
use crate::syntax::Keyword;
use crate::text::TextRange;

/// The span to blame for a wrong argument count: the arguments, or the
/// keyword when there are none.
pub(crate) fn args_span(node: &Node) -> TextRange {
    match (node.args.first(), node.args.last()) {
        (Some(a), Some(b)) => a.span.cover(b.span),
        _ => node.keyword.span,
    }
}

pub(crate) fn arg_count(node: &Node, instruction: &str, arity: Arity) -> IrError {
    IrError::new(
        IrErrorKind::ArgCount {
            instruction: instruction.to_string(),
            arity,
        },
        args_span(node),
    )
}

/// Reject any flag: the instruction takes none.
pub(crate) fn no_flags(node: &Node, instruction: &str, errors: &mut Vec<IrError>) {
    parse_flags(instruction, &node.flags, &[], &[], errors);
}

/// WORKDIR, USER, STOPSIGNAL, MAINTAINER: exactly one argument.
/// STOPSIGNAL ignores flags like upstream.
pub(crate) fn lower_single(
    node: &Node,
    keyword: Keyword,
    errors: &mut Vec<IrError>,
) -> Option<Word> {
    let instruction = keyword.as_str();
    if keyword != Keyword::Stopsignal {
        no_flags(node, instruction, errors);
    }
    if node.args.len() != 1 {
        errors.push(arg_count(node, instruction, Arity::ExactlyOne));
        return None;
    }
    node.args.first().cloned()
}

const WORKDIR_FLAGS: &[FlagSpec] = &[FlagSpec::string("chown"), FlagSpec::string("chmod")];

/// WORKDIR: one path, and (a superset extension) `--chown` and `--chmod`.
pub(crate) fn lower_workdir(node: &Node, errors: &mut Vec<IrError>) -> Option<Workdir> {
    let flags = parse_flags("WORKDIR", &node.flags, WORKDIR_FLAGS, &[], errors);
    if node.args.len() != 1 {
        errors.push(arg_count(node, "WORKDIR", Arity::ExactlyOne));
        return None;
    }
    Some(Workdir {
        path: node.args.first()?.clone(),
        chown: flags.string("chown").cloned(),
        chmod: flags.string("chmod").cloned(),
    })
}

/// REQUIRE: no flags, one or more stage names (lower-cased, as stage names
/// are matched).
pub(crate) fn lower_require(node: &Node, errors: &mut Vec<IrError>) -> Option<Vec<Word>> {
    no_flags(node, "REQUIRE", errors);
    if node.args.is_empty() {
        errors.push(
            arg_count(node, "REQUIRE", Arity::AtLeastOne)
                .with_help("name the stages to build along with this one"),
        );
        return None;
    }
    Some(
        node.args
            .iter()
            .map(|w| Word::new(w.value.to_ascii_lowercase().into(), w.span))
            .collect(),
    )
}

/// ENV and LABEL: `key, value, separator` triples from the parser.
pub(crate) fn lower_key_values(
    node: &Node,
    keyword: Keyword,
    errors: &mut Vec<IrError>,
) -> Vec<KeyValue> {
    let instruction = keyword.as_str();
    no_flags(node, instruction, errors);
    if node.args.is_empty() {
        errors.push(arg_count(node, instruction, Arity::AtLeastOne));
        return Vec::new();
    }
    // Sized for every pair: no growth slack kept in the instruction.
    let mut out = Vec::with_capacity(node.args.len() / 3);
    for triple in node.args.chunks(3) {
        let [key, value, sep] = triple else {
            errors.push(arg_count(node, instruction, Arity::AtLeastOne));
            break;
        };
        if key.value.is_empty() {
            errors.push(IrError::new(
                IrErrorKind::BlankName {
                    instruction: instruction.to_string(),
                },
                key.span.cover(value.span),
            ));
            continue;
        }
        out.push(KeyValue {
            key: key.clone(),
            value: value.clone(),
            legacy: sep.value.is_empty(),
        });
    }
    out
}

/// ARG: `name` or `name=default` words; flags are ignored like upstream.
pub(crate) fn lower_arg(node: &Node, errors: &mut Vec<IrError>) -> Vec<ArgDecl> {
    if node.args.is_empty() {
        errors.push(arg_count(node, "ARG", Arity::AtLeastOne));
    }
    let mut out = Vec::new();
    for word in &node.args {
        match crate::text::split_once_ascii(&word.value, b'=') {
            Some(("", _)) => errors.push(IrError::new(
                IrErrorKind::BlankName {
                    instruction: "ARG".to_string(),
                },
                word.span,
            )),
            Some((name, default)) => {
                let start = name.len() + 1;
                out.push(ArgDecl {
                    name: Word::new(word.value.part(name), sub_span(word, 0..name.len())),
                    default: Some(Word::new(
                        word.value.part(default),
                        sub_span(word, start..start + default.len()),
                    )),
                });
            }
            None => out.push(ArgDecl {
                name: word.clone(),
                default: None,
            }),
        }
    }
    out
}

/// VOLUME: JSON or whitespace list, no empty entries.
pub(crate) fn lower_volume(node: &Node, errors: &mut Vec<IrError>) -> Vec<Word> {
    no_flags(node, "VOLUME", errors);
    if node.args.is_empty() {
        errors.push(arg_count(node, "VOLUME", Arity::AtLeastOne));
    }
    let mut out = Vec::new();
    for word in &node.args {
        let trimmed = word.value.trim();
        if trimmed.is_empty() {
            errors.push(IrError::new(IrErrorKind::EmptyVolume, word.span));
            continue;
        }
        out.push(Word::new(word.value.part(trimmed), word.span));
    }
    out
}

/// EXPOSE: at least one port; sorted as raw strings like upstream.
pub(crate) fn lower_expose(node: &Node, errors: &mut Vec<IrError>) -> Vec<Word> {
    no_flags(node, "EXPOSE", errors);
    if node.args.is_empty() {
        errors.push(arg_count(node, "EXPOSE", Arity::AtLeastOne));
    }
    let mut ports = node.args.clone();
    ports.sort_by(|a, b| a.value.cmp(&b.value));
    ports.to_vec()
}

/// The exec or shell form of `node`'s arguments (from `skip` on).
pub(crate) fn command_line(node: &Node, skip: usize) -> CommandLine {
    let args = node.args.get(skip..).unwrap_or(&[]);
    if node.json {
        return CommandLine::Exec(args.to_vec());
    }
    match args.first() {
        Some(first) if args.len() == 1 => CommandLine::Shell(first.clone()),
        Some(first) => {
            // Several words in shell form (not produced by the parser for
            // these instructions): join them like upstream's `strings.Join`.
            let text: Vec<&str> = args.iter().map(|w| w.value.as_str()).collect();
            let span = args.last().map_or(first.span, |l| first.span.cover(l.span));
            CommandLine::Shell(Word::new(text.join(" ").into(), span))
        }
        None if skip == 0 => {
            CommandLine::Shell(Word::new(node.rest().value.into(), node.rest_span))
        }
        None => CommandLine::Shell(Word::new(
            Default::default(),
            TextRange::empty(node.rest_span.end),
        )),
    }
}

/// CMD and ENTRYPOINT.
pub(crate) fn lower_cmd(node: &Node, keyword: Keyword, errors: &mut Vec<IrError>) -> CommandLine {
    let instruction = keyword.as_str();
    no_flags(node, instruction, errors);
    command_line(node, 0)
}

/// SHELL: JSON form only, at least one element.
pub(crate) fn lower_shell(node: &Node, errors: &mut Vec<IrError>) -> Option<Vec<Word>> {
    no_flags(node, "SHELL", errors);
    if node.json && node.args.is_empty() {
        errors.push(arg_count(node, "SHELL", Arity::AtLeastOne));
        return None;
    }
    if !node.json {
        let span = if node.rest().value.is_empty() {
            node.keyword.span
        } else {
            node.rest_span
        };
        errors.push(
            IrError::new(
                IrErrorKind::NotJson {
                    instruction: "SHELL".to_string(),
                },
                span,
            )
            .with_help("write the shell and its arguments as a JSON array of strings"),
        );
        return None;
    }
    Some(node.args.to_vec())
}

const HEALTHCHECK_FLAGS: &[FlagSpec] = &[
    FlagSpec::string("interval"),
    FlagSpec::string("timeout"),
    FlagSpec::string("start-period"),
    FlagSpec::string("start-interval"),
    FlagSpec::string("retries"),
];

/// HEALTHCHECK NONE | HEALTHCHECK [options] CMD command.
pub(crate) fn lower_healthcheck(node: &Node, errors: &mut Vec<IrError>) -> Option<Healthcheck> {
    let Some(kind) = node.args.first() else {
        errors.push(arg_count(node, "HEALTHCHECK", Arity::AtLeastOne));
        return None;
    };
    let typ = kind.value.to_uppercase();
    if typ == "NONE" {
        if node.args.len() > 1 {
            let span = args_span(node);
            errors.push(IrError::new(IrErrorKind::HealthcheckNoneArgs, span));
        }
        return Some(Healthcheck::None);
    }
    let flags = parse_flags("HEALTHCHECK", &node.flags, HEALTHCHECK_FLAGS, &[], errors);
    if typ != "CMD" {
        errors.push(IrError::new(
            IrErrorKind::HealthcheckUnknownType {
                word: kind.value.to_string(),
            },
            kind.span,
        ));
        return None;
    }
    let test = command_line(node, 1);
    let empty = match &test {
        CommandLine::Exec(v) => v.is_empty(),
        CommandLine::Shell(w) => w.value.is_empty(),
    };
    if empty {
        errors.push(IrError::new(
            IrErrorKind::HealthcheckMissingCommand,
            kind.span,
        ));
    }
    let interval = healthcheck_duration(&flags, "interval", errors);
    let timeout = healthcheck_duration(&flags, "timeout", errors);
    let start_period = healthcheck_duration(&flags, "start-period", errors);
    let start_interval = healthcheck_duration(&flags, "start-interval", errors);
    let retries = healthcheck_retries(&flags, errors);
    Some(Healthcheck::Cmd {
        test,
        interval,
        timeout,
        start_period,
        start_interval,
        retries,
    })
}

/// A HEALTHCHECK duration flag: unset or empty is `None`; otherwise zero or
/// at least 1ms, as a Go duration.
fn healthcheck_duration(
    flags: &crate::ir::flags::Flags,
    name: &str,
    errors: &mut Vec<IrError>,
) -> Option<Duration> {
    let w = flags.string(name)?;
    if w.value.is_empty() {
        return None;
    }
    let invalid = IrErrorKind::InvalidDuration {
        flag: name.to_string(),
        value: w.value.to_string(),
    };
    match parse_go_duration(&w.value) {
        Ok(Some(d)) if d.is_zero() => Some(d),
        Ok(Some(d)) if d >= Duration::from_millis(1) => Some(d),
        Ok(_) => {
            errors.push(IrError::new(
                IrErrorKind::DurationTooShort {
                    flag: name.to_string(),
                },
                w.span,
            ));
            None
        }
        Err(()) => {
            errors.push(IrError::new(invalid, w.span));
            None
        }
    }
}

/// HEALTHCHECK `--retries`: unset or empty is `None`; otherwise a
/// non-negative `i32`.
fn healthcheck_retries(flags: &crate::ir::flags::Flags, errors: &mut Vec<IrError>) -> Option<i32> {
    match flags.string("retries") {
        Some(w) if !w.value.is_empty() => match w.value.parse::<i32>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                errors.push(IrError::new(
                    IrErrorKind::InvalidRetries {
                        value: w.value.to_string(),
                    },
                    w.span,
                ));
                None
            }
        },
        _ => None,
    }
}
