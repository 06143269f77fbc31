//! `--name[=value]` flags of an instruction (the equivalent of upstream's
//! `instructions/bflag.go`), with a span for each flag and value.

use crate::ir::error::{IrError, IrErrorKind};
use crate::ir::suggest::suggest;
use crate::ir::Word;
use crate::text::TextRange;

/// What values a flag takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FlagKind {
    /// `--link`, `--link=true`, `--link=false` (case-insensitive).
    Bool,
    /// `--from=<value>`, at most once.
    String,
    /// `--mount=<value>`, repeatable.
    Strings,
}

/// A flag an instruction accepts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FlagSpec {
    pub name: &'static str,
    pub kind: FlagKind,
}

impl FlagSpec {
    pub(crate) const fn bool(name: &'static str) -> Self {
        FlagSpec {
            name,
            kind: FlagKind::Bool,
        }
    }
    pub(crate) const fn string(name: &'static str) -> Self {
        FlagSpec {
            name,
            kind: FlagKind::String,
        }
    }
    pub(crate) const fn strings(name: &'static str) -> Self {
        FlagSpec {
            name,
            kind: FlagKind::Strings,
        }
    }
}

/// A flag known to a sibling instruction but not to this one (e.g. `ADD
/// --from`): reported as "not supported" with a hint instead of "unknown".
#[derive(Clone, Copy, Debug)]
pub(crate) struct ForeignFlag {
    pub name: &'static str,
    pub help: &'static str,
}

/// One flag occurrence that parsed successfully.
#[derive(Clone, Debug)]
pub(crate) struct ParsedFlag {
    pub name: &'static str,
    /// The value after `=` (string flags); for bool flags the written value if any.
    pub value: Option<Word>,
    /// For bool flags, the boolean value.
    pub on: bool,
    /// The whole `--name=value` word.
    pub span: TextRange,
}

/// The flags of one instruction.
#[derive(Clone, Debug, Default)]
pub(crate) struct Flags {
    pub parsed: Vec<ParsedFlag>,
}

impl Flags {
    /// The value of a string flag.
    pub(crate) fn string(&self, name: &str) -> Option<&Word> {
        self.parsed
            .iter()
            .rev()
            .find(|f| f.name == name)
            .and_then(|f| f.value.as_ref())
    }

    /// All values of a repeatable flag, in order.
    pub(crate) fn strings(&self, name: &str) -> Vec<Word> {
        self.parsed
            .iter()
            .filter(|f| f.name == name)
            .filter_map(|f| f.value.clone())
            .collect()
    }

    /// The value of a bool flag, `None` when absent.
    pub(crate) fn bool(&self, name: &str) -> Option<bool> {
        self.parsed
            .iter()
            .rev()
            .find(|f| f.name == name)
            .map(|f| f.on)
    }

    /// The occurrence of a flag (last one).
    pub(crate) fn get(&self, name: &str) -> Option<&ParsedFlag> {
        self.parsed.iter().rev().find(|f| f.name == name)
    }
}

/// The span of `text[range]` inside a word whose (unquoted) text is
/// `word.value`. Precise when quote removal did not change the word's length;
/// otherwise the whole word.
pub(crate) fn sub_span(word: &Word, range: std::ops::Range<usize>) -> TextRange {
    if word.span.len() as usize == word.value.len() && range.end <= word.value.len() {
        let start = word.span.start as usize + range.start;
        let end = word.span.start as usize + range.end;
        TextRange::from_usize(start, end)
    } else {
        word.span
    }
}

/// Parse `flags` against `specs`, pushing one error per bad flag and keeping
/// the good ones.
pub(crate) fn parse_flags(
    instruction: &str,
    flags: &[Word],
    specs: &[FlagSpec],
    foreign: &[ForeignFlag],
    errors: &mut Vec<IrError>,
) -> Flags {
    let mut out = Flags::default();
    for word in flags {
        let Some(body) = word.value.strip_prefix("--") else {
            // The parser only hands over words starting with `--`.
            continue;
        };
        let (name, value) = match crate::text::split_once_ascii(body, b'=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        let name_span = sub_span(word, 0..2 + name.len());
        let Some(spec) = specs.iter().find(|s| s.name == name) else {
            errors.push(unknown_flag(instruction, name, name_span, specs, foreign));
            continue;
        };
        if spec.kind != FlagKind::Strings && out.get(spec.name).is_some() {
            errors.push(IrError::new(
                IrErrorKind::DuplicateFlag {
                    flag: name.to_string(),
                },
                word.span,
            ));
            continue;
        }
        let value_word = value.map(|v| {
            let start = 2 + name.len() + 1;
            Word::new(
                word.value.slice(start, start + v.len()),
                sub_span(word, start..start + v.len()),
            )
        });
        let mut on = false;
        match (spec.kind, &value_word) {
            (FlagKind::Bool, None) => on = true,
            (FlagKind::Bool, Some(v)) => match v.value.to_lowercase().as_str() {
                "true" => on = true,
                "false" => on = false,
                "" => {
                    errors.push(missing_value(name, word.span).with_help(format!(
                        "write `--{name}`, `--{name}=true` or `--{name}=false`"
                    )));
                    continue;
                }
                _ => {
                    errors.push(IrError::new(
                        IrErrorKind::InvalidBoolFlag {
                            flag: name.to_string(),
                            value: v.value.to_string(),
                        },
                        v.span,
                    ));
                    continue;
                }
            },
            (FlagKind::String | FlagKind::Strings, None) => {
                errors.push(missing_value(name, word.span));
                continue;
            }
            (FlagKind::String | FlagKind::Strings, Some(_)) => {}
        }
        out.parsed.push(ParsedFlag {
            name: spec.name,
            value: value_word,
            on,
            span: word.span,
        });
    }
    out
}

fn missing_value(name: &str, span: TextRange) -> IrError {
    IrError::new(
        IrErrorKind::FlagMissingValue {
            flag: name.to_string(),
        },
        span,
    )
}

/// The superset's RUN-only flags: on another instruction they are "not
/// supported" with a pointer to where they belong.
const RUN_ONLY: &[ForeignFlag] = &[
    ForeignFlag {
        name: "cache",
        help: "`--cache` is a RUN flag; `CACHE <preset>...` applies presets to every later RUN of the stage",
    },
    ForeignFlag {
        name: "no-cache",
        help: "`--no-cache` is a RUN flag",
    },
];

fn unknown_flag(
    instruction: &str,
    name: &str,
    span: TextRange,
    specs: &[FlagSpec],
    foreign: &[ForeignFlag],
) -> IrError {
    let run_only = RUN_ONLY.iter().find(|f| f.name == name);
    let mut foreign = foreign
        .iter()
        .chain(run_only.filter(|_| instruction != "RUN"));
    if let Some(f) = foreign.find(|f| f.name == name) {
        return IrError::new(
            IrErrorKind::FlagNotSupported {
                instruction: instruction.to_string(),
                flag: name.to_string(),
            },
            span,
        )
        .with_help(f.help);
    }
    let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
    let err = IrError::new(
        IrErrorKind::UnknownFlag {
            instruction: instruction.to_string(),
            flag: name.to_string(),
        },
        span,
    );
    match suggest(name, &names) {
        Some(s) => err.with_help(format!("did you mean `--{s}`?")),
        None if names.is_empty() => err.with_help(format!("{instruction} takes no flags")),
        None => {
            let list: Vec<String> = names.iter().map(|n| format!("`--{n}`")).collect();
            err.with_help(format!("{instruction} accepts {}", list.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str, at: u32) -> Word {
        Word::new(s.into(), TextRange::new(at, at + s.len() as u32))
    }

    const SPECS: &[FlagSpec] = &[
        FlagSpec::bool("link"),
        FlagSpec::string("from"),
        FlagSpec::strings("exclude"),
    ];

    fn run(words: &[&str]) -> (Flags, Vec<IrError>) {
        let mut errs = Vec::new();
        let ws: Vec<_> = words.iter().map(|s| w(s, 5)).collect();
        let f = parse_flags("COPY", &ws, SPECS, &[], &mut errs);
        (f, errs)
    }

    #[test]
    fn parses_kinds() {
        let (f, e) = run(&["--link", "--from=a", "--exclude=x", "--exclude=y"]);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(f.bool("link"), Some(true));
        assert_eq!(f.string("from").map(|w| w.value.as_str()), Some("a"));
        assert_eq!(
            f.string("from").map(|w| w.span),
            Some(TextRange::new(12, 13))
        );
        assert_eq!(f.strings("exclude").len(), 2);
    }

    #[test]
    fn bool_values() {
        assert_eq!(run(&["--link=FALSE"]).0.bool("link"), Some(false));
        assert_eq!(run(&["--link=True"]).0.bool("link"), Some(true));
        let e = run(&["--link=1"]).1;
        assert!(matches!(e[0].kind, IrErrorKind::InvalidBoolFlag { .. }));
        let e = run(&["--link="]).1;
        assert!(matches!(e[0].kind, IrErrorKind::FlagMissingValue { .. }));
    }

    #[test]
    fn errors() {
        let e = run(&["--from"]).1;
        assert!(matches!(e[0].kind, IrErrorKind::FlagMissingValue { .. }));
        let e = run(&["--from=a", "--from=b"]).1;
        assert!(matches!(e[0].kind, IrErrorKind::DuplicateFlag { .. }));
        let e = run(&["--form=a"]).1;
        assert_eq!(e[0].help.as_deref(), Some("did you mean `--from`?"));
        assert_eq!(e[0].span, TextRange::new(5, 11));
    }
}
