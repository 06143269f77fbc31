//! The raw syntax layer: logical lines, continuations and the escape
//! directive, comments, parser directives, heredocs, JSON vs shell form.
//!
//! [`parse`] always returns a tree plus every error it found. The tree
//! mirrors upstream BuildKit's low-level parser (see [`ast`]) and can be
//! dumped in upstream's test format with [`dump::dump`].
//!
//! Source code layout:
//! - `lexer`: physical lines, continuation trimming, logical lines with an
//!   offset map back to the source.
//! - `directives`: `# syntax=` / `# escape=` / `# check=`.
//! - `args`: keyword and `--flag` splitting, per-instruction argument nodes.
//! - `heredoc`: heredoc words on an instruction line.
//! - `parser`: the loop tying these together.
//! - [`dump`]: upstream's `Node.Dump()` format and a Go-compatible quoter.
//! - [`error`]: [`SyntaxError`] and its diagnostics.

mod args;
pub mod ast;
mod directives;
pub mod dump;
pub mod error;
mod heredoc;
mod lexer;
mod parser;

pub use dump::{dump, go_quote};
pub use error::{SyntaxError, SyntaxErrorKind};

use crate::limits::{Exceeded, Limit, Limits};
use crate::text::TextRange;

/// The result of parsing: always a tree, plus every error found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub dockerfile: ast::Dockerfile,
    /// Errors in source order; empty when the file is valid.
    pub errors: Vec<SyntaxError>,
}

impl Parsed {
    /// True when no error was found.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

const BOM: &str = "\u{feff}";

/// Parse Dockerfile text. A leading UTF-8 BOM is skipped (spans still count
/// its bytes, so they index `text` as given). Uses [`Limits::DEFAULT`].
pub fn parse(text: &str) -> Parsed {
    parse_with_limits(text, &Limits::DEFAULT)
}

/// [`parse`] under explicit resource limits. A file over
/// `max_file_bytes` is not parsed at all: the result is an empty tree and
/// one error located at the first byte past the limit.
pub fn parse_with_limits(text: &str, limits: &Limits) -> Parsed {
    if let Some(e) = Exceeded::check(Limit::FileBytes, text.len(), limits.max_file_bytes) {
        let mut at = limits.max_file_bytes;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        return Parsed {
            dockerfile: ast::Dockerfile {
                escape: '\\',
                ..ast::Dockerfile::default()
            },
            errors: vec![SyntaxError::new(
                SyntaxErrorKind::LimitExceeded(e),
                TextRange::from_usize(at, at),
            )],
        };
    }
    let start = if text.starts_with(BOM) { BOM.len() } else { 0 };
    let (dockerfile, errors) = parser::parse_text(text, start, limits);
    Parsed { dockerfile, errors }
}

/// Parse raw bytes. Invalid UTF-8 is reported once, at the first bad byte;
/// every invalid byte is then read as `?` (one byte each, so the offsets of
/// every span still index `bytes`) and the rest of the file is parsed.
pub fn parse_bytes(bytes: &[u8]) -> Parsed {
    let Err(first) = std::str::from_utf8(bytes) else {
        return parse(std::str::from_utf8(bytes).unwrap_or_default());
    };
    let first_bad = first.valid_up_to();
    let first_len = first.error_len().unwrap_or(bytes.len() - first_bad).max(1);
    let text = source_text(bytes);
    let mut parsed = parse(&text);
    parsed.errors.push(SyntaxError::new(
        SyntaxErrorKind::InvalidUtf8,
        TextRange::from_usize(first_bad, first_bad + first_len),
    ));
    parsed.errors.sort_by_key(|e| (e.span.start, e.span.end));
    parsed
}

/// The text that the spans of [`parse_bytes`] index: `bytes` with every byte
/// of an invalid UTF-8 sequence replaced by `?` (same length). Use it to
/// build the `SourceFile` that renders the diagnostics.
pub fn source_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let good = e.valid_up_to();
                out.push_str(std::str::from_utf8(&rest[..good]).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len() - good);
                out.extend(std::iter::repeat_n('?', bad));
                rest = &rest[good + bad..];
            }
        }
    }
}
