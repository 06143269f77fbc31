//! The raw syntax layer: logical lines, continuations and the escape
//! directive, comments, parser directives, heredocs, JSON vs shell form.
//!
//! [`parse`] always returns a tree plus every error it found. The tree
//! mirrors upstream BuildKit's low-level parser (see [`ast`]) and can be
//! dumped in upstream's test format with [`dump::dump`].
//!
//! Source code layout:
//! - `encoding`: UTF-16/binary files, bytes that are not UTF-8.
//! - `lexer`: physical lines, continuation trimming, logical lines with an
//!   offset map back to the source.
//! - `directives`: `# syntax=` / `# escape=` / `# check=`.
//! - `args`: keyword and `--flag` splitting, per-instruction argument nodes.
//! - `heredoc`: heredoc words on an instruction line.
//! - `parser`: the loop tying these together.
//! - [`dump`]: upstream's `Node.Dump()` format and a Go-compatible quoter.
//! - `error`: [`SyntaxError`] and its diagnostics.

mod args;
pub mod ast;
mod directives;
mod dump;
mod encoding;
pub(crate) mod error;
mod heredoc;
mod keyword;
mod lexer;
mod parser;
mod shared;
#[cfg(test)]
mod tests;

pub(crate) use args::is_white_byte;
pub use dump::{dump, go_quote};
pub use error::{SyntaxError, SyntaxErrorKind};
pub use keyword::Keyword;
pub use shared::SourceStr;

use std::sync::Arc;

use crate::limits::{Exceeded, Limit, Limits};
use crate::text::TextRange;

/// The result of parsing: always a tree, plus every error found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// The tree: every instruction that could be read.
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
///
/// The tree is always returned, with every error found:
///
/// ```rust
/// let text = "# syntax=docker/dockerfile:1\nFROM alpine AS base\nRUN echo \\\n  hi\n";
/// let parsed = llb_gen::syntax::parse(text);
/// assert!(parsed.errors.is_empty());
/// let run = &parsed.dockerfile.nodes[1];
/// assert_eq!(run.keyword.value, "RUN");
/// assert_eq!((run.start_line, run.end_line), (3, 4));
/// // Spans are byte ranges into `text`.
/// assert_eq!(&text[run.keyword.span.as_usize()], "RUN");
/// // Upstream's parser test format.
/// assert!(llb_gen::syntax::dump(&parsed.dockerfile).contains("(run \"echo   hi\")"));
///
/// let broken = llb_gen::syntax::parse("FROM a\nRUN <<EOF\nno end\n");
/// assert_eq!(broken.errors[0].code(), "unterminated-heredoc");
/// ```
pub fn parse(text: &str) -> Parsed {
    parse_with_limits(text, &Limits::DEFAULT)
}

/// [`parse`] under explicit resource limits. A file over
/// `max_file_bytes` is not parsed at all: the result is an empty tree and
/// one error located at the first byte past the limit.
pub fn parse_with_limits(text: &str, limits: &Limits) -> Parsed {
    parse_source(text.as_bytes(), &Arc::from(text), &[], limits)
}

/// Parse raw bytes (what the CLI and the frontend read).
///
/// A UTF-16 or binary file gets one error and an empty tree. Otherwise
/// every byte of an invalid UTF-8 sequence is read as `?`, one byte each,
/// so every span indexes `bytes` (render diagnostics against
/// [`source_text`]). Such bytes may stay in comment lines and in the body
/// of a COPY/ADD heredoc with a quoted terminator, whose exact bytes are
/// kept in [`ast::Heredoc::literal_bytes`]; the first one anywhere else is
/// reported, once.
pub fn parse_bytes(bytes: &[u8]) -> Parsed {
    parse_bytes_with_limits(bytes, &Limits::DEFAULT)
}

/// [`parse_bytes`] under explicit resource limits.
pub fn parse_bytes_with_limits(bytes: &[u8], limits: &Limits) -> Parsed {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_source(bytes, &Arc::from(text), &[], limits),
        Err(_) => {
            let (text, invalid) = encoding::placeholder_text(bytes);
            parse_source(bytes, &Arc::from(text), &invalid, limits)
        }
    }
}

/// [`parse_bytes_with_limits`] with the file's text already made
/// ([`source_text`] of `bytes`, as a [`crate::diagnostic::SourceFile`]
/// holds it): the tree's words and lines share it ([`SourceStr`]) instead
/// of a copy.
pub fn parse_shared(text: &Arc<str>, bytes: &[u8], limits: &Limits) -> Parsed {
    if text.len() != bytes.len() {
        return parse_bytes_with_limits(bytes, limits);
    }
    let invalid = match std::str::from_utf8(bytes) {
        Ok(_) => Vec::new(),
        Err(_) => encoding::placeholder_text(bytes).1,
    };
    parse_source(bytes, text, &invalid, limits)
}

/// The text that the spans of [`parse_bytes`] index: `bytes` with every byte
/// of an invalid UTF-8 sequence replaced by `?` (same length). Use it to
/// build the `SourceFile` that renders the diagnostics.
pub fn source_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding::placeholder_text(bytes).0,
    }
}

/// Parse `text`, which is `bytes` with `?` for the `invalid` sequences.
fn parse_source(
    bytes: &[u8],
    shared: &Arc<str>,
    invalid: &[(usize, usize)],
    limits: &Limits,
) -> Parsed {
    let text: &str = shared;
    if let Some(e) = Exceeded::check(Limit::FileBytes, text.len(), limits.max_file_bytes) {
        let mut at = limits.max_file_bytes;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let kind = SyntaxErrorKind::LimitExceeded(e);
        return unparsed(SyntaxError::new(kind, TextRange::from_usize(at, at)));
    }
    if let Some(e) = encoding::sniff(bytes) {
        return unparsed(e);
    }
    let start = if text.starts_with(BOM) { BOM.len() } else { 0 };
    let out = parser::parse_text(shared, bytes, start, limits);
    let mut errors = out.errors;
    if let Some(e) = encoding::invalid_utf8_error(bytes, invalid, &out.opaque) {
        errors.push(e);
        errors.sort_by_key(|e| (e.span.start, e.span.end));
    }
    Parsed {
        dockerfile: out.dockerfile,
        errors,
    }
}

/// An empty tree and the one error that kept the file from being parsed.
fn unparsed(error: SyntaxError) -> Parsed {
    Parsed {
        dockerfile: ast::Dockerfile {
            escape: '\\',
            ..ast::Dockerfile::default()
        },
        errors: vec![error],
    }
}
