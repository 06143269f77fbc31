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

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The build goes on.
    Warning,
    /// The build fails.
    Error,
}

/// One problem found in a Dockerfile, located by a byte span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Warning or error.
    pub severity: Severity,
    /// A short stable identifier, e.g. `unterminated-heredoc`.
    pub code: &'static str,
    /// What is wrong, one line.
    pub message: String,
    /// Where, in bytes of the source.
    pub span: TextRange,
    /// Advice, e.g. a "did you mean" suggestion.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with `code` and `message` at `span`.
    pub fn error(code: &'static str, message: impl Into<String>, span: TextRange) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            help: None,
        }
    }

    /// A warning with `code` and `message` at `span`.
    pub fn warning(code: &'static str, message: impl Into<String>, span: TextRange) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code,
            message: message.into(),
            span,
            help: None,
        }
    }

    /// The same diagnostic with a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// A named source text with its line index.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The file's name as shown (`Dockerfile`, `<stdin>`).
    pub name: String,
    /// Its text.
    pub text: String,
    /// Where its lines start.
    pub lines: LineIndex,
}

impl SourceFile {
    /// A source file named `name` with `text`, its lines indexed.
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
/// A source line longer than this (in characters) is shown as a window of
/// this width around the span, with `…` where it was cut.
const MAX_SHOWN_COLS: usize = 160;
/// Characters of the line shown before the span in a cut line.
const CONTEXT_COLS: usize = 40;
/// Longest message or help text shown, in characters.
const MAX_MESSAGE_CHARS: usize = 1_000;
/// At most this many diagnostics are rendered by [`render_all`].
pub const MAX_SHOWN_DIAGNOSTICS: usize = 100;

/// How a character is shown: tabs as a space, control characters (terminal
/// escapes among them) and other invisible ones as `\u{..}`, never raw.
fn shown(c: char, out: &mut String) {
    match c {
        '\t' => out.push(' '),
        c if c.is_control() || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}') => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// `s` with control characters escaped; past `max` characters only the
/// first and the last part are kept, around a count of what was cut.
fn shown_text(s: &str, max: usize) -> String {
    let count = s.chars().count();
    let tail = max / 4;
    let mut out = String::with_capacity(s.len().min(max * 2));
    for (i, c) in s.chars().enumerate() {
        if count > max && i == max - tail {
            let _ = write!(out, "…({} characters)…", count - max);
        }
        if count <= max || i < max - tail || i >= count - tail {
            shown(c, &mut out);
        }
    }
    out
}

/// One source line as shown and, when `carets` (start and count, in
/// characters of the line) is given, the caret line under it. Long lines
/// are cut to a window around the carets.
fn frame_line(content: &str, carets: Option<(usize, usize)>) -> (String, Option<String>) {
    let len = content.chars().count();
    let (lo, hi) = match carets {
        _ if len <= MAX_SHOWN_COLS => (0, len),
        Some((start, _)) => {
            let lo = start
                .saturating_sub(CONTEXT_COLS)
                .min(len.saturating_sub(MAX_SHOWN_COLS));
            (lo, lo + MAX_SHOWN_COLS)
        }
        None => (0, MAX_SHOWN_COLS),
    };
    let (mut line, mut marks) = (String::new(), String::new());
    if lo > 0 {
        line.push('…');
        marks.push(' ');
    }
    for (i, c) in content.chars().enumerate().skip(lo).take(hi - lo) {
        let before = line.chars().count();
        shown(c, &mut line);
        let width = line.chars().count() - before;
        let under = carets.is_some_and(|(start, n)| i >= start && i < start + n.max(1));
        marks.extend(std::iter::repeat_n(if under { '^' } else { ' ' }, width));
    }
    if hi < len {
        line.push('…');
    }
    let Some((start, _)) = carets else {
        return (line, None);
    };
    if start >= hi {
        // An empty span at the end of the line: one caret after it.
        marks.push('^');
    }
    (line, Some(marks.trim_end().to_string()))
}

/// Render one diagnostic as a code frame with `file:line:col`, the lines the
/// span covers (at most 6) and carets under the span.
/// Long lines are cut around the span, control characters are escaped.
pub fn render(diag: &Diagnostic, file: &SourceFile) -> String {
    let text = &file.text;
    let mut out = String::new();
    let level = match diag.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let _ = writeln!(
        out,
        "{level}: {}",
        shown_text(&diag.message, MAX_MESSAGE_CHARS)
    );
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
        // Carets under the part of the span that lies on this line.
        let lo = diag.span.start.max(range.start);
        let hi = diag.span.end.min(range.end);
        let before = text
            .get(range.start as usize..lo as usize)
            .map_or(0, |s| s.chars().count());
        let under = text
            .get(lo as usize..hi.max(lo) as usize)
            .map_or(0, |s| s.chars().count());
        let carets =
            (under > 0 || (diag.span.is_empty() && line == first)).then_some((before, under));
        let (shown_line, marks) = frame_line(content, carets);
        let _ = writeln!(out, "{:>width$} | {shown_line}", line + 1);
        if let Some(marks) = marks {
            let _ = writeln!(out, "{pad} | {marks}");
        }
    }
    if shown_last < last {
        let _ = writeln!(out, "{pad} | ... ({} more lines)", last - shown_last);
    }
    if let Some(help) = &diag.help {
        let _ = writeln!(out, "{pad} = help: {}", shown_text(help, MAX_MESSAGE_CHARS));
    }
    out
}

/// Render several diagnostics separated by blank lines: the first
/// [`MAX_SHOWN_DIAGNOSTICS`], then how many more there are.
pub fn render_all(diags: &[Diagnostic], file: &SourceFile) -> String {
    let mut out = diags
        .iter()
        .take(MAX_SHOWN_DIAGNOSTICS)
        .map(|d| render(d, file))
        .collect::<Vec<_>>()
        .join("\n");
    if let Some(more) = diags
        .len()
        .checked_sub(MAX_SHOWN_DIAGNOSTICS)
        .filter(|n| *n > 0)
    {
        let errors = diags[MAX_SHOWN_DIAGNOSTICS..]
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        let _ = writeln!(
            out,
            "\n... and {more} more ({errors} errors, {} warnings) not shown",
            more - errors
        );
    }
    out
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
    fn long_lines_are_cut_around_the_span() {
        let line = format!("RUN {}BAD{}", "a".repeat(2_000_000), "b".repeat(2_000_000));
        let file = SourceFile::new("Dockerfile", format!("FROM a\n{line}\n"));
        let start = file.text.find("BAD").unwrap();
        let d = Diagnostic::error("x", "boom", TextRange::from_usize(start, start + 3));
        let got = render(&d, &file);
        assert!(got.len() < 1_000, "{} bytes", got.len());
        let lines: Vec<&str> = got.lines().collect();
        assert_eq!(lines[1], " --> Dockerfile:2:2000005");
        let col = |s: &str, c: char| s.chars().position(|x| x == c);
        assert_eq!(col(lines[4], '^'), col(lines[3], 'B'), "{got}");
        assert!(lines[4].ends_with("^^^"), "{got}");
        assert!(
            lines[3].starts_with("2 | …a") && lines[3].ends_with("b…"),
            "{got}"
        );
    }

    #[test]
    fn control_characters_are_escaped_and_carets_follow() {
        let file = SourceFile::new("Dockerfile", "FROM a\nRUN \u{1b}[31mX\u{7}\n");
        let start = file.text.find('X').unwrap();
        let d = Diagnostic::error(
            "x",
            "bad \u{1b}]0;title\u{7}",
            TextRange::from_usize(start, start + 1),
        );
        let got = render(&d, &file);
        assert!(!got.contains('\u{1b}') && !got.contains('\u{7}'), "{got:?}");
        assert!(got.contains("error: bad \\u{1b}]0;title\\u{7}\n"), "{got}");
        assert!(got.contains("2 | RUN \\u{1b}[31mX\\u{7}\n"), "{got}");
        assert!(got.contains(&format!("  |{}^\n", " ".repeat(15))), "{got}");
    }

    #[test]
    fn at_most_a_hundred_diagnostics_are_shown() {
        let file = SourceFile::new("Dockerfile", "FROM a\n");
        let diags: Vec<Diagnostic> = (0..250)
            .map(|i| match i % 5 {
                0 => Diagnostic::warning("w", format!("w{i}"), TextRange::empty(0)),
                _ => Diagnostic::error("e", format!("e{i}"), TextRange::empty(0)),
            })
            .collect();
        let got = render_all(&diags, &file);
        assert_eq!(got.matches(" --> ").count(), MAX_SHOWN_DIAGNOSTICS);
        assert!(
            got.ends_with("... and 150 more (120 errors, 30 warnings) not shown\n"),
            "{got}"
        );
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
