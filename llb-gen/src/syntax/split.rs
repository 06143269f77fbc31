//! Parsing a big file on two threads: the first half on this thread, the second on another,
//! split at a line where a stage starts.
//!
//! Where an instruction starts depends on every line before it (a continued line, a heredoc
//! body, a comment waiting for its instruction), which the second thread does not know. So
//! the split is a guess, checked afterwards: the first half's parse must end exactly at the
//! split, at no instruction, with no comment waiting, and the two halves must stay under the
//! instruction limit. A guess that fails costs a parse of the whole file on this thread,
//! which gives the result whatever the guess was.

use super::directives::DirectiveScanner;
use super::lexer::{leading_ws_len, Lines};
use super::parser::{parse_text, Output, Parser};
use crate::limits::Limits;
use crate::text::TextRange;

/// Files from this size on are split (the second thread costs about as much as parsing a few
/// kilobytes).
const SPLIT_BYTES: usize = 64 * 1024;

/// [`parse_text`], on two threads when `parallel` and the file is big enough to pay for it.
pub(crate) fn parse_text_on(
    text: &str,
    bytes: &[u8],
    start: usize,
    limits: &Limits,
    parallel: bool,
) -> Output {
    if parallel && text.len() >= SPLIT_BYTES {
        let escape = directive_escape(text, start);
        if let Some(at) = split_point(text, escape) {
            if let Some(out) = parse_halves(text, bytes, (start, at), escape, limits) {
                return out;
            }
        }
    }
    parse_text(text, bytes, start, limits)
}

/// The parse of `start..at` on this thread and `at..` on another (`escape` is the
/// directives'), or `None` when the split was not at an instruction's start (or no second
/// thread could be started).
fn parse_halves(
    text: &str,
    bytes: &[u8],
    (start, at): (usize, usize),
    escape: char,
    limits: &Limits,
) -> Option<Output> {
    let lines_before = u32::try_from(memchr_count(&text.as_bytes()[..at])).ok()?;
    std::thread::scope(|scope| {
        let second = move || {
            let lines = Lines::within(text, at, text.len(), lines_before);
            let mut p = Parser::new(text, bytes, lines, limits).after_directives(escape);
            p.run();
            p
        };
        let handle = std::thread::Builder::new()
            .name("parse".into())
            .spawn_scoped(scope, second)
            .ok()?;
        let mut first = Parser::new(text, bytes, Lines::within(text, start, at, 0), limits);
        first.run();
        let second = match handle.join() {
            Ok(p) => p,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let ending = first.ending;
        if ending.at_limit {
            // The parse of the whole file stops there too.
            return Some(first.finish(start));
        }
        let clean =
            !ending.overran && !ending.dangling_comments && first.escape() == (escape, true);
        let total = first.instructions() + second.instructions();
        if !clean || second.ending.at_limit || total > limits.max_instructions {
            return None;
        }
        first.append(second);
        Some(first.finish(start))
    })
}

/// The escape character the directives at the top of `text` (from `start`) set.
fn directive_escape(text: &str, start: usize) -> char {
    let mut scanner = DirectiveScanner::new();
    let mut ignored = Vec::new();
    for pl in Lines::new(text, start) {
        let raw = &text[pl.start..pl.end];
        let lo = pl.start + leading_ws_len(raw);
        let span = TextRange::from_usize(lo, pl.end);
        scanner.check(&text[lo..pl.end], lo, span, &mut ignored);
        if scanner.done {
            break;
        }
    }
    scanner.escape
}

/// The start of the first line from the middle of `text` on that reads `FROM ` and follows an
/// instruction line that does not continue; `None` when there is none before three quarters.
fn split_point(text: &str, escape: char) -> Option<usize> {
    let bytes = text.as_bytes();
    let limit = text.len() / 4 * 3;
    let mut at = text.len() / 2;
    while at < limit {
        let line = at + bytes[at..].iter().position(|&b| b == b'\n')? + 1;
        if starts_stage(&bytes[line..]) && ends_instruction(&text[..line - 1], escape) {
            return Some(line);
        }
        at = line;
    }
    None
}

/// Whether a line starts with `FROM` and a blank, in any case.
fn starts_stage(line: &[u8]) -> bool {
    line.len() > 4 && line[..4].eq_ignore_ascii_case(b"FROM") && matches!(line[4], b' ' | b'\t')
}

/// Whether the last line of `before` is an instruction's last line: not blank, no comment,
/// not continued.
fn ends_instruction(before: &str, escape: char) -> bool {
    let last = before.rsplit('\n').next().unwrap_or("").trim();
    !last.is_empty() && !last.starts_with('#') && !last.ends_with(escape)
}

/// How many newlines `bytes` holds.
fn memchr_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn both(text: &str) -> (Output, Output) {
        let limits = Limits::DEFAULT;
        let one = parse_text(text, text.as_bytes(), 0, &limits);
        let two = parse_text_on(text, text.as_bytes(), 0, &limits, true);
        (one, two)
    }

    fn view(o: &Output) -> String {
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}",
            o.dockerfile.nodes, o.dockerfile.warnings, o.errors, o.opaque
        )
    }

    fn stages(n: usize, stage: impl Fn(usize) -> String) -> String {
        let mut s = String::from("# escape=`\n# check=skip=all\n");
        for i in 0..n {
            s.push_str(&stage(i));
        }
        s
    }

    #[test]
    fn a_split_parse_finds_what_one_parse_finds() {
        let plain = stages(2000, |i| {
            format!("FROM alpine AS s{i}\n# note {i}\nRUN echo {i} `\n  && true\nCOPY a b\n")
        });
        // Heredoc bodies and continued lines that read `FROM ` at the split's guesses.
        let tricky = stages(2000, |i| {
            format!(
                "FROM alpine AS s{i}\nRUN <<EOF\nset -e\nFROM inside a heredoc {i}\nEOF\n\
                 RUN echo `\nFROM continued {i}\n# c\n\nFROM alpine AS t{i}\n"
            )
        });
        let errors = stages(2000, |i| format!("FROM alpine AS s{i}\nBOGUS {i}\nRUN\n"));
        let halves = |text: &str, at: usize| {
            parse_halves(text, text.as_bytes(), (0, at), '`', &Limits::DEFAULT).is_some()
        };
        for text in [&plain, &tricky, &errors] {
            assert!(text.len() >= SPLIT_BYTES);
            let (one, two) = both(text);
            assert_eq!(view(&one), view(&two));
            assert_eq!(one.dockerfile.escape, '`');
            assert!(halves(text, split_point(text, '`').unwrap()));
        }
        // Split inside a heredoc, after a continued line, after a comment: one parse instead.
        for inside in [
            "FROM inside a heredoc 1000",
            "FROM continued 1000",
            "\nFROM alpine AS t1000",
        ] {
            let at = tricky.find(inside).unwrap() + usize::from(inside.starts_with('\n'));
            assert!(!halves(&tricky, at), "{inside}");
        }
    }

    #[test]
    fn the_split_is_at_a_stage_after_a_whole_instruction() {
        let pad = |n: usize, line: &str| line.repeat(n);
        let text = format!(
            "{}RUN a `\nFROM b\nRUN c\nFROM d\n{}",
            pad(15, "RUN y\n"),
            pad(10, "RUN z\n")
        );
        let rest = |escape| split_point(&text, escape).map(|at| &text[at..at + 6]);
        assert_eq!(rest('`'), Some("FROM d"), "not after a continued line");
        assert_eq!(rest('\\'), Some("FROM b"));
        let text = format!("{}# c\nFROM b\n{}", pad(15, "RUN y\n"), pad(12, "RUN z\n"));
        assert_eq!(split_point(&text, '\\'), None, "not after a comment");
    }

    #[test]
    fn a_limit_in_either_half_is_the_limit_of_one_parse() {
        let text = stages(3000, |i| format!("FROM alpine AS s{i}\nRUN echo {i}\n"));
        for max in [10, 4000, 5999] {
            let limits = Limits {
                max_instructions: max,
                ..Limits::DEFAULT
            };
            let one = parse_text(&text, text.as_bytes(), 0, &limits);
            let two = parse_text_on(&text, text.as_bytes(), 0, &limits, true);
            assert_eq!(view(&one), view(&two), "limit {max}");
        }
    }
}
