//! Diagnostics shared by every stage, and the plain-text code-frame renderer.
//!
//! Each stage has its own error type (`syntax::SyntaxError`, `words::WordError`,
//! `ir::IrError`, `convert::Error`); each converts into a [`Diagnostic`]
//! whose [`Code`] comes from the catalogue in [`crate::codes`], so that all
//! of them render the same way:
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

pub use crate::codes::Code;
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
    /// The condition, from the catalogue (`unterminated-heredoc`).
    pub code: Code,
    /// What is wrong, one line.
    pub message: String,
    /// Where, in bytes of the source.
    pub span: TextRange,
    /// A second place that explains the first, e.g. where a duplicated
    /// stage name was first defined.
    pub label: Option<Label>,
    /// Advice, e.g. a "did you mean" suggestion.
    pub help: Option<String>,
}

/// A secondary span with a short text, shown under its own code frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where, in bytes of the source.
    pub span: TextRange,
    /// E.g. `first defined here`.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic of `severity` with `code` and `message` at `span`.
    pub fn new(
        severity: Severity,
        code: Code,
        message: impl Into<String>,
        span: TextRange,
    ) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            span,
            label: None,
            help: None,
        }
    }

    /// An error with `code` and `message` at `span`.
    pub fn error(code: Code, message: impl Into<String>, span: TextRange) -> Self {
        Diagnostic::new(Severity::Error, code, message, span)
    }

    /// A warning with `code` and `message` at `span`.
    pub fn warning(code: Code, message: impl Into<String>, span: TextRange) -> Self {
        Diagnostic::new(Severity::Warning, code, message, span)
    }

    /// The same diagnostic with a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a second place that explains the first (shown in a frame of its own).
    pub fn with_label(mut self, span: TextRange, message: impl Into<String>) -> Self {
        self.label = Some(Label {
            span,
            message: message.into(),
        });
        self
    }
}

/// A named source text with its line index.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The file's name as shown (`Dockerfile`, `<stdin>`).
    pub name: String,
    /// Its text, shared: a [`crate::sources::SourceSet`] hands the same
    /// allocation to the source map of a file whose text is its bytes.
    pub text: std::sync::Arc<str>,
    /// Where its lines start.
    pub lines: LineIndex,
}

impl SourceFile {
    /// A source file named `name` with `text`, its lines indexed.
    pub fn new(name: impl Into<String>, text: impl Into<std::sync::Arc<str>>) -> Self {
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
/// characters of the line) is given, the marker line under it (`mark`
/// repeated). Long lines are cut to a window around the carets.
fn frame_line(
    content: &str,
    carets: Option<(usize, usize)>,
    mark: char,
) -> (String, Option<String>) {
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
        marks.extend(std::iter::repeat_n(if under { mark } else { ' ' }, width));
    }
    if hi < len {
        line.push('…');
    }
    let Some((start, _)) = carets else {
        return (line, None);
    };
    if start >= hi {
        // An empty span at the end of the line: one caret after it.
        marks.push(mark);
    }
    (line, Some(marks.trim_end().to_string()))
}

/// The first and last line (0-based) a span covers, and the last one shown.
fn frame_lines(span: TextRange, file: &SourceFile) -> (usize, usize, usize) {
    let first = file.lines.line_of(span.start);
    let last_off = if span.is_empty() {
        span.end
    } else {
        span.end - 1
    };
    let last = file.lines.line_of(last_off).max(first);
    (first, last, last.min(first + MAX_SHOWN_LINES - 1))
}

/// The source lines `span` covers (at most [`MAX_SHOWN_LINES`]), each with
/// `mark` under the part of the span on it; `note` follows the marks of the
/// first marked line. `width` is the width of the line-number column.
fn write_frame(
    out: &mut String,
    file: &SourceFile,
    span: TextRange,
    (mark, note): (char, Option<&str>),
    width: usize,
) {
    let text = &file.text;
    let pad = " ".repeat(width);
    let (first, last, shown_last) = frame_lines(span, file);
    let mut note = note.map(|n| shown_text(n, MAX_MESSAGE_CHARS));
    for line in first..=shown_last {
        let range = file.lines.line_range(line, text);
        let content = text.get(range.as_usize()).unwrap_or("");
        // Carets under the part of the span that lies on this line.
        let lo = span.start.max(range.start);
        let hi = span.end.min(range.end);
        let before = text
            .get(range.start as usize..lo as usize)
            .map_or(0, |s| s.chars().count());
        let under = text
            .get(lo as usize..hi.max(lo) as usize)
            .map_or(0, |s| s.chars().count());
        let carets = (under > 0 || (span.is_empty() && line == first)).then_some((before, under));
        let (shown_line, marks) = frame_line(content, carets, mark);
        let _ = writeln!(out, "{:>width$} | {shown_line}", line + 1);
        if let Some(marks) = marks {
            match note.take() {
                Some(n) => {
                    let _ = writeln!(out, "{pad} | {marks} {n}");
                }
                None => {
                    let _ = writeln!(out, "{pad} | {marks}");
                }
            }
        }
    }
    if shown_last < last {
        let _ = writeln!(out, "{pad} | ... ({} more lines)", last - shown_last);
    }
}

/// Render one diagnostic as a code frame with `file:line:col`, the lines the
/// span covers (at most 6) and carets under the span; a
/// [`Label`] follows in a frame of its own, marked with `-`. Long lines are
/// cut around the span, control characters are escaped.
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
    let label_last = diag
        .label
        .as_ref()
        .map_or(0, |l| frame_lines(l.span, file).2);
    let width = (frame_lines(diag.span, file).2.max(label_last) + 1)
        .to_string()
        .len();
    let pad = " ".repeat(width);
    let _ = writeln!(out, "{pad} |");
    write_frame(&mut out, file, diag.span, ('^', None), width);
    if let Some(label) = &diag.label {
        let at = file.lines.line_col(label.span.start, text);
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, " ::: {}:{}:{}", file.name, at.line, at.col);
        let _ = writeln!(out, "{pad} |");
        write_frame(
            &mut out,
            file,
            label.span,
            ('-', Some(&label.message)),
            width,
        );
    }
    if let Some(help) = &diag.help {
        let _ = writeln!(out, "{pad} = help: {}", shown_text(help, MAX_MESSAGE_CHARS));
    }
    out
}

/// Render several diagnostics separated by blank lines: the first
/// [`MAX_SHOWN_DIAGNOSTICS`], then how many more there are.
pub fn render_all(diags: &[Diagnostic], file: &SourceFile) -> String {
    render_each(diags, |d| render(d, file))
}

/// [`render_all`] with `one` rendering each diagnostic.
pub(crate) fn render_each(diags: &[Diagnostic], one: impl Fn(&Diagnostic) -> String) -> String {
    let mut out = diags
        .iter()
        .take(MAX_SHOWN_DIAGNOSTICS)
        .map(one)
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
            Code::MountOption,
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
        let d = Diagnostic::error(
            Code::Marshal,
            "boom",
            TextRange::from_usize(start, start + 3),
        );
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
            Code::Marshal,
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
                0 => Diagnostic::warning(
                    Code::NoEmptyContinuation,
                    format!("w{i}"),
                    TextRange::empty(0),
                ),
                _ => Diagnostic::error(Code::Marshal, format!("e{i}"), TextRange::empty(0)),
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
    fn a_label_gets_its_own_frame() {
        let file = SourceFile::new("Dockerfile", "FROM a AS x\nRUN y\nFROM b AS x\n");
        let first = file.text.find('x').unwrap();
        let again = file.text.rfind('x').unwrap();
        let d = Diagnostic::warning(
            Code::DuplicateStageName,
            "duplicate stage name `x`",
            TextRange::from_usize(again, again + 1),
        )
        .with_label(
            TextRange::from_usize(first, first + 1),
            "first defined here",
        );
        let want = "warning: duplicate stage name `x`\n --> Dockerfile:3:11\n  |\n3 | FROM b AS x\n  |           ^\n  |\n ::: Dockerfile:1:11\n  |\n1 | FROM a AS x\n  |           - first defined here\n";
        assert_eq!(render(&d, &file), want);
    }

    #[test]
    fn empty_span_at_end_of_file_gets_one_caret() {
        let file = SourceFile::new("Dockerfile", "FROM a");
        let d = Diagnostic::error(Code::Marshal, "boom", TextRange::empty(6));
        let got = render(&d, &file);
        assert!(got.contains(" --> Dockerfile:1:7\n"), "{got}");
        assert!(got.ends_with("  |       ^\n"), "{got}");
    }
}
