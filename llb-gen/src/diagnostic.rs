//! Diagnostics shared by every stage, and the plain-text code-frame renderer.
//!
//! Each stage has its own error type (`syntax::SyntaxError`, `words::WordError`,
//! `ir::IrError`, `convert::ConvertError`); each converts into a [`Diagnostic`]
//! so that all of them render the same way:
//!
//! ```text
//! error: expected `=` after mount option `target`
//!  --> Dockerfile:3:24
//!   |
//! 3 | RUN --mount=type=cache,target /x
//!   |                        ^^^^^^
//!   = help: write `target=<path>`
//! ```

use std::fmt::Write as _;

use crate::text::{LineIndex, TextRange};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One problem found in a Dockerfile, located by a byte span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A short stable identifier, e.g. `unterminated-heredoc`.
    pub code: &'static str,
    pub message: String,
    pub span: TextRange,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>, span: TextRange) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>, span: TextRange) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code,
            message: message.into(),
            span,
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// A named source text with its line index.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    pub lines: LineIndex,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let lines = LineIndex::new(&text);
        SourceFile {
            name: name.into(),
            text,
            lines,
        }
    }

    /// 1-based first and last line covered by `span`.
    pub fn line_span(&self, span: TextRange) -> (u32, u32) {
        let start = self.lines.line_col(span.start, &self.text).line;
        let end_off = if span.is_empty() {
            span.end
        } else {
            span.end - 1
        };
        let end = self.lines.line_col(end_off, &self.text).line.max(start);
        (start, end)
    }
}

/// At most this many source lines are shown for one diagnostic.
const MAX_SHOWN_LINES: usize = 6;

/// Render one diagnostic as a code frame with `file:line:col`, the lines the
/// span covers (at most [`MAX_SHOWN_LINES`]) and carets under the span.
pub fn render(diag: &Diagnostic, file: &SourceFile) -> String {
    let text = &file.text;
    let mut out = String::new();
    let level = match diag.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let _ = writeln!(out, "{level}: {}", diag.message);
    let start = file.lines.line_col(diag.span.start, text);
    let _ = writeln!(out, " --> {}:{}:{}", file.name, start.line, start.col);
    let first = file.lines.line_of(diag.span.start);
    let last_off = if diag.span.is_empty() {
        diag.span.end
    } else {
        diag.span.end - 1
    };
    let last = file.lines.line_of(last_off).max(first);
    let shown_last = last.min(first + MAX_SHOWN_LINES - 1);
    let width = (shown_last + 1).to_string().len();
    let pad = " ".repeat(width);
    let _ = writeln!(out, "{pad} |");
    for line in first..=shown_last {
        let range = file.lines.line_range(line, text);
        let content = text.get(range.as_usize()).unwrap_or("");
        let _ = writeln!(out, "{:>width$} | {}", line + 1, content.replace('\t', " "));
        // Carets under the part of the span that lies on this line.
        let lo = diag.span.start.max(range.start);
        let hi = diag.span.end.min(range.end);
        let before = text
            .get(range.start as usize..lo as usize)
            .map_or(0, |s| s.chars().count());
        let under = text
            .get(lo as usize..hi.max(lo) as usize)
            .map_or(0, |s| s.chars().count());
        if under > 0 || (diag.span.is_empty() && line == first) {
            let _ = writeln!(
                out,
                "{pad} | {}{}",
                " ".repeat(before),
                "^".repeat(under.max(1))
            );
        }
    }
    if shown_last < last {
        let _ = writeln!(out, "{pad} | ... ({} more lines)", last - shown_last);
    }
    if let Some(help) = &diag.help {
        let _ = writeln!(out, "{pad} = help: {help}");
    }
    out
}

/// Render several diagnostics separated by blank lines.
pub fn render_all(diags: &[Diagnostic], file: &SourceFile) -> String {
    diags
        .iter()
        .map(|d| render(d, file))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_under_span() {
        let file = SourceFile::new("Dockerfile", "FROM a\nRUN --mount=type=cache,target /x\n");
        let start = file.text.find("target").unwrap();
        let span = TextRange::from_usize(start, start + 6);
        let d = Diagnostic::error(
            "mount-option",
            "expected `=` after mount option `target`",
            span,
        )
        .with_help("write `target=<path>`");
        let got = render(&d, &file);
        let want = "error: expected `=` after mount option `target`\n --> Dockerfile:2:24\n  |\n2 | RUN --mount=type=cache,target /x\n  |                        ^^^^^^\n  = help: write `target=<path>`\n";
        assert_eq!(got, want);
    }

    #[test]
    fn empty_span_at_end_of_file_gets_one_caret() {
        let file = SourceFile::new("Dockerfile", "FROM a");
        let d = Diagnostic::error("x", "boom", TextRange::empty(6));
        let got = render(&d, &file);
        assert!(got.contains(" --> Dockerfile:1:7\n"), "{got}");
        assert!(got.ends_with("  |       ^\n"), "{got}");
    }
}
