//! Syntax errors: what the line parser rejects, each located by a byte span.

use std::fmt;

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::limits::Exceeded;
use crate::text::TextRange;

/// Longest physical line upstream accepts (Go's `bufio.Scanner` token limit
/// minus the newline).
pub(crate) const MAX_LINE_BYTES: usize = 64 * 1024 - 1;

/// One problem found by the line parser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// What went wrong.
    pub kind: SyntaxErrorKind,
    /// Where the problem is, in bytes of the original source.
    pub span: TextRange,
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyntaxErrorKind {
    /// The file has no instruction at all (empty, or only comments, blank
    /// lines and directives).
    NoInstructions,
    /// `ENV PATH` / `LABEL key`: the legacy `KEY value` form without a value.
    /// The payload is the upper-cased instruction (`ENV` or `LABEL`).
    MissingValue {
        /// The upper-cased instruction.
        instruction: String,
    },
    /// `ENV a=1 b`: in the `key=value` form every word needs an `=`.
    MissingEquals {
        /// The upper-cased instruction.
        instruction: String,
        /// The word without `=`.
        word: String,
    },
    /// `CMD ["echo", ["x"]]`: a valid JSON array with a non-string element.
    JsonNotString,
    /// `RUN <<EOF` without a line `EOF` before the end of the file.
    UnterminatedHeredoc {
        /// The heredoc terminator word.
        name: String,
    },
    /// `RUN <<""`: a heredoc word with an empty terminator.
    EmptyHeredocName,
    /// `RUN <<- EOF`: upstream takes no blank after `<<-` (the body lines
    /// would be read as instructions).
    BlankAfterHeredocChomp {
        /// The heredoc terminator word.
        name: String,
    },
    /// `# escape=x`: only `\` and `` ` `` are allowed.
    InvalidEscape {
        /// The value as written.
        value: String,
    },
    /// `# check=skip`: the value is not `skip=...;error=...` (the payload
    /// says what is wrong).
    InvalidCheck {
        /// What is wrong with it.
        problem: String,
    },
    /// The same parser directive (`syntax`, `escape`, `check`) twice.
    RepeatedDirective {
        /// The directive.
        key: String,
    },
    /// Bytes that are not UTF-8 where text is needed; the span is the first
    /// bad byte, the payload its value.
    InvalidUtf8 {
        /// The first invalid byte.
        byte: u8,
    },
    /// The file looks like UTF-16 (a byte-order mark, or NUL bytes between
    /// ASCII letters); nothing is parsed.
    Utf16File {
        /// Big-endian (`FE FF`) rather than little-endian.
        big_endian: bool,
    },
    /// The file has a NUL byte near its start: not a text file.
    BinaryFile,
    /// A physical line longer than upstream's limit of 65535 bytes.
    LineTooLong {
        /// The line's length in bytes.
        len: usize,
    },
    /// A [`crate::limits::Limits`] bound: the file, the number of
    /// instructions or a heredoc body is too large.
    LimitExceeded(Exceeded),
}

impl SyntaxError {
    /// An error of `kind` at `span`.
    pub fn new(kind: SyntaxErrorKind, span: TextRange) -> Self {
        SyntaxError { kind, span }
    }

    /// Stable short code of the error kind.
    pub fn code(&self) -> Code {
        match &self.kind {
            SyntaxErrorKind::NoInstructions => Code::NoInstructions,
            SyntaxErrorKind::MissingValue { .. } => Code::MissingValue,
            SyntaxErrorKind::MissingEquals { .. } => Code::MissingEquals,
            SyntaxErrorKind::JsonNotString => Code::JsonNotString,
            SyntaxErrorKind::UnterminatedHeredoc { .. } => Code::UnterminatedHeredoc,
            SyntaxErrorKind::EmptyHeredocName => Code::EmptyHeredocName,
            SyntaxErrorKind::BlankAfterHeredocChomp { .. } => Code::BlankAfterHeredocChomp,
            SyntaxErrorKind::InvalidEscape { .. } => Code::InvalidEscape,
            SyntaxErrorKind::InvalidCheck { .. } => Code::InvalidCheck,
            SyntaxErrorKind::RepeatedDirective { .. } => Code::RepeatedDirective,
            SyntaxErrorKind::InvalidUtf8 { .. } => Code::InvalidUtf8,
            SyntaxErrorKind::Utf16File { .. } => Code::Utf16File,
            SyntaxErrorKind::BinaryFile => Code::BinaryFile,
            SyntaxErrorKind::LineTooLong { .. } => Code::LineTooLong,
            SyntaxErrorKind::LimitExceeded(e) => e.code(),
        }
    }

    fn help(&self) -> Option<String> {
        let help = match &self.kind {
            SyntaxErrorKind::NoInstructions => {
                "a Dockerfile needs at least one instruction, e.g. `FROM alpine`".to_string()
            }
            SyntaxErrorKind::MissingValue { instruction } => {
                format!("write `{instruction} key=value` or `{instruction} key value`")
            }
            SyntaxErrorKind::MissingEquals { word, .. } => {
                format!("write `{word}=<value>`; in this form every word is a `key=value` pair")
            }
            SyntaxErrorKind::JsonNotString => {
                "quote the element: in the JSON form every element must be a string".to_string()
            }
            SyntaxErrorKind::UnterminatedHeredoc { name } => {
                format!("the terminator line must be exactly `{name}`, without blanks around it (after `<<-`, leading tabs are allowed)")
            }
            SyntaxErrorKind::EmptyHeredocName => {
                "name the terminator, e.g. `<<EOF`, and end the body with a line `EOF`; BuildKit does not read `<<\"\"` as a heredoc".to_string()
            }
            SyntaxErrorKind::BlankAfterHeredocChomp { name } => {
                format!("write `<<-{name}`; BuildKit reads `<<- {name}` as no heredoc and the body lines as instructions")
            }
            SyntaxErrorKind::InvalidEscape { .. } => {
                "the escape character is either a backslash (the default) or a backtick".to_string()
            }
            SyntaxErrorKind::InvalidCheck { .. } => {
                "the form is `# check=skip=<rules|all>;error=<true|false>` (`experimental=<rules|all>` too)".to_string()
            }
            SyntaxErrorKind::RepeatedDirective { key } => {
                format!("remove this line; the first `{key}` directive is used")
            }
            SyntaxErrorKind::InvalidUtf8 { .. } => {
                "the file may be in a legacy encoding such as Latin-1 or Windows-1252: save it as UTF-8 (only the body of a COPY/ADD heredoc with a quoted terminator, `<<\"EOF\"`, and comments may hold other bytes)".to_string()
            }
            SyntaxErrorKind::Utf16File { .. } => {
                "the file looks like UTF-16; save it as UTF-8".to_string()
            }
            SyntaxErrorKind::BinaryFile => {
                "check that the path names the Dockerfile, not a binary file".to_string()
            }
            SyntaxErrorKind::LineTooLong { .. } => {
                "split the line with a line continuation (`\\` at the end of the line)".to_string()
            }
            SyntaxErrorKind::LimitExceeded(e) => e.help().to_string(),
        };
        Some(help)
    }

    /// The diagnostic shown to users (code frame rendered by
    /// [`crate::diagnostic::render`]).
    pub fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.code(), self.to_string(), self.span);
        match self.help() {
            Some(h) => d.with_help(h),
            None => d,
        }
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SyntaxErrorKind::NoInstructions => write!(f, "file with no instructions"),
            SyntaxErrorKind::MissingValue { instruction } => write!(
                f,
                "{instruction} must have two arguments: expected a value after the name"
            ),
            SyntaxErrorKind::MissingEquals { instruction, word } => write!(
                f,
                "{instruction}: expected `=` in `{word}` (the form is `name=value`)"
            ),
            SyntaxErrorKind::JsonNotString => write!(
                f,
                "JSON array with a non-string element: expected only strings in the exec form"
            ),
            SyntaxErrorKind::UnterminatedHeredoc { name } => write!(
                f,
                "unterminated heredoc `{name}`: expected a line `{name}` before the end of the file"
            ),
            SyntaxErrorKind::EmptyHeredocName => {
                write!(f, "empty heredoc terminator: expected a word after `<<`")
            }
            SyntaxErrorKind::BlankAfterHeredocChomp { name } => write!(
                f,
                "blank after `<<-`: expected the terminator right after it, as in `<<-{name}`"
            ),
            SyntaxErrorKind::InvalidCheck { problem } => {
                write!(f, "invalid check directive: {problem}")
            }
            SyntaxErrorKind::InvalidEscape { value } => write!(
                f,
                "invalid escape directive value `{value}`: expected `\\` or `` ` ``"
            ),
            SyntaxErrorKind::RepeatedDirective { key } => {
                write!(f, "only one `{key}` parser directive can be used")
            }
            SyntaxErrorKind::InvalidUtf8 { byte } => {
                write!(f, "invalid UTF-8 (byte 0x{byte:02X}): expected UTF-8 text")
            }
            SyntaxErrorKind::Utf16File { big_endian } => {
                let order = if *big_endian { "big" } else { "little" };
                write!(
                    f,
                    "the file is UTF-16 ({order}-endian): expected UTF-8 text"
                )
            }
            SyntaxErrorKind::BinaryFile => {
                write!(
                    f,
                    "NUL byte: expected a text file, this looks like a binary file"
                )
            }
            SyntaxErrorKind::LineTooLong { len } => write!(
                f,
                "line of {len} bytes is longer than the maximum of {MAX_LINE_BYTES} bytes"
            ),
            SyntaxErrorKind::LimitExceeded(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SyntaxError {}
