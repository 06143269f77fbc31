//! The error type of word expansion, and its conversion into a [`Diagnostic`].

use std::fmt;
use std::ops::Range;

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::text::TextRange;

/// What went wrong while expanding one word.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WordErrorKind {
    /// `${` followed by `}`, `{` or `:`, e.g. `${}`, `${{a}`, `${:-x}`.
    BadSubstitution,
    /// The word ended inside `${…`, e.g. `${a`, `${a:-b`.
    MissingClosingBrace,
    /// The word ended inside the pattern of `${a/pattern/replacement}`, e.g. `${a/x}`.
    MissingPatternEnd,
    /// A modifier upstream does not support, e.g. `${a:=b}`, `${a:1:2}`,
    /// `${#a}`, `${a:#p}`, `${.}`.
    UnsupportedModifier {
        /// The modifier as written.
        modifier: String,
    },
    /// `${a?msg}` with `a` unset, or `${a:?msg}` with `a` unset or empty.
    /// `msg` is the expanded message or upstream's default text.
    UnsetOrEmpty {
        /// The variable.
        name: String,
        /// The message to show.
        msg: String,
    },
    /// A `'` or `"` quote that is never closed, e.g. `a"b`.
    UnterminatedQuote {
        /// The opening quote.
        quote: char,
    },
    /// A `#`/`%`/`/` pattern with an escape other than `\*`, `\?`, `\\`,
    /// `\}` or `\/`, e.g. `${a#\x}`.
    InvalidPattern {
        /// The pattern as written.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `${…}` nested deeper than the limit.
    TooDeeplyNested {
        /// The limit.
        limit: usize,
    },
    /// The expanded text would be larger than the limit (bytes).
    OutputTooLarge {
        /// The limit.
        limit: usize,
    },
    /// Matching a `#`/`%`/`/` pattern took more steps than the limit.
    PatternTooComplex,
}

/// An expansion error located by a byte range inside the input word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WordError {
    /// What went wrong.
    pub kind: WordErrorKind,
    /// Byte offsets inside the word that was processed.
    pub range: Range<usize>,
}

impl WordError {
    pub(crate) fn new(kind: WordErrorKind, range: Range<usize>) -> Self {
        WordError { kind, range }
    }

    /// A short stable identifier for the diagnostic.
    pub fn code(&self) -> Code {
        match self.kind {
            WordErrorKind::BadSubstitution => Code::BadSubstitution,
            WordErrorKind::MissingClosingBrace => Code::MissingClosingBrace,
            WordErrorKind::MissingPatternEnd => Code::MissingPatternEnd,
            WordErrorKind::UnsupportedModifier { .. } => Code::UnsupportedModifier,
            WordErrorKind::UnsetOrEmpty { .. } => Code::RequiredVariable,
            WordErrorKind::UnterminatedQuote { .. } => Code::UnterminatedQuote,
            WordErrorKind::InvalidPattern { .. } => Code::InvalidPattern,
            WordErrorKind::TooDeeplyNested { .. } => Code::ExpansionTooDeep,
            WordErrorKind::OutputTooLarge { .. } => Code::ExpansionTooLarge,
            WordErrorKind::PatternTooComplex => Code::PatternTooComplex,
        }
    }

    fn help(&self) -> Option<&'static str> {
        match self.kind {
            WordErrorKind::BadSubstitution => {
                Some("write a variable name after `${`, or escape the `$` to keep it literal")
            }
            WordErrorKind::UnsupportedModifier { .. } => Some(
                "supported forms: `${a:-w}` `${a-w}` `${a:+w}` `${a+w}` `${a:?m}` `${a?m}` \
                 `${a#p}` `${a##p}` `${a%p}` `${a%%p}` `${a/p/r}` `${a//p/r}`",
            ),
            WordErrorKind::InvalidPattern { .. } => {
                Some("in patterns only `\\*`, `\\?`, `\\\\`, `\\}` and `\\/` are escapes")
            }
            _ => None,
        }
    }

    /// A diagnostic placed inside `word_span`, the span of the processed word
    /// in the file. Offsets are clamped to the span, so a word whose text is
    /// not a verbatim slice of the file (line continuations) still points
    /// somewhere inside it.
    pub fn to_diagnostic(&self, word_span: TextRange) -> Diagnostic {
        let clamp = |off: usize| {
            let off = u32::try_from(off).unwrap_or(u32::MAX);
            word_span.start.saturating_add(off).min(word_span.end)
        };
        let span = TextRange::new(clamp(self.range.start), clamp(self.range.end));
        let diag = Diagnostic::error(self.code(), self.to_string(), span);
        match self.help() {
            Some(help) => diag.with_help(help),
            None => diag,
        }
    }
}

impl fmt::Display for WordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            WordErrorKind::BadSubstitution => {
                f.write_str("bad substitution: expected a variable name after `${`")
            }
            WordErrorKind::MissingClosingBrace => {
                f.write_str("missing `}` to close `${` opened here")
            }
            WordErrorKind::MissingPatternEnd => f.write_str(
                "missing `/` after the pattern in `${name/pattern/replacement}` opened here",
            ),
            WordErrorKind::UnsupportedModifier { modifier } => {
                write!(f, "unsupported modifier `{modifier}` in substitution")
            }
            WordErrorKind::UnsetOrEmpty { name, msg } => write!(f, "{name}: {msg}"),
            WordErrorKind::UnterminatedQuote { quote } => {
                let which = if *quote == '\'' { "single" } else { "double" };
                write!(
                    f,
                    "missing closing `{quote}` for the {which} quote opened here"
                )
            }
            WordErrorKind::InvalidPattern { pattern, reason } => {
                write!(f, "invalid pattern `{pattern}` in substitution: {reason}")
            }
            WordErrorKind::TooDeeplyNested { limit } => {
                write!(f, "`${{…}}` nested more than {limit} levels deep")
            }
            WordErrorKind::OutputTooLarge { limit } => {
                write!(f, "expanded word is larger than the limit of {limit} bytes")
            }
            WordErrorKind::PatternTooComplex => {
                f.write_str("pattern matching gave up: the pattern and value are too large")
            }
        }
    }
}

impl std::error::Error for WordError {}
