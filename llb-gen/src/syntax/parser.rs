//! The line parser: physical lines -> logical lines -> instruction nodes,
//! heredoc bodies, comments and directives. Collects every error.

use super::args::{self, Args, Word};
use super::ast::{Dockerfile, Heredoc, Node, ParseWarning};
use super::directives::DirectiveScanner;
use super::error::{SyntaxError, SyntaxErrorKind, MAX_LINE_BYTES};
use super::heredoc::heredocs_in_line;
use super::lexer::{leading_ws_len, trim_continuation, Lines, LogicalLine, PhysLine};
use crate::limits::{Exceeded, Limit, Limits};
use crate::text::{Spanned, TextRange};

/// Instructions whose lines may introduce heredocs.
const HEREDOC_INSTRUCTIONS: [&str; 3] = ["run", "copy", "add"];

fn range(lo: usize, hi: usize) -> TextRange {
    TextRange::from_usize(lo, hi)
}

struct Parser<'a> {
    text: &'a str,
    lines: Lines<'a>,
    directives: DirectiveScanner,
    errors: Vec<SyntaxError>,
    warnings: Vec<ParseWarning>,
    nodes: Vec<Node>,
    limits: &'a Limits,
}

/// Parse `text`, whose content starts at byte `start` (after a BOM).
pub(crate) fn parse_text(
    text: &str,
    start: usize,
    limits: &Limits,
) -> (Dockerfile, Vec<SyntaxError>) {
    let mut p = Parser {
        text,
        lines: Lines::new(text, start),
        directives: DirectiveScanner::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        nodes: Vec::new(),
        limits,
    };
    p.run();
    if p.nodes.is_empty() {
        p.errors.push(SyntaxError::new(
            SyntaxErrorKind::NoInstructions,
            TextRange::from_usize(start, start),
        ));
    }
    p.errors.sort_by_key(|e| (e.span.start, e.span.end));
    // The growth slack of a large file's node vector is a quarter of it.
    p.nodes.shrink_to_fit();
    let file = Dockerfile {
        directives: p.directives.directives,
        escape: p.directives.escape,
        nodes: p.nodes,
        warnings: p.warnings,
    };
    (file, p.errors)
}

impl Parser<'_> {
    /// The next physical line. A line over the size limit is reported and
    /// cut at the limit, which bounds the memory of every node.
    fn next_line(&mut self) -> Option<PhysLine> {
        let mut pl = self.lines.next()?;
        if pl.end - pl.start > MAX_LINE_BYTES {
            self.errors.push(SyntaxError::new(
                SyntaxErrorKind::LineTooLong {
                    len: pl.end - pl.start,
                },
                range(pl.start, pl.end),
            ));
            let mut cut = pl.start + MAX_LINE_BYTES;
            while !self.text.is_char_boundary(cut) {
                cut -= 1;
            }
            pl.end = cut;
        }
        Some(pl)
    }

    fn run(&mut self) {
        let mut comments: Vec<String> = Vec::new();
        // One buffer for every logical line.
        let mut line = LogicalLine::new(0);
        while let Some(pl) = self.next_line() {
            let text = self.text;
            let raw = &text[pl.start..pl.end];
            let content_lo = pl.start + leading_ws_len(raw);
            let content = &text[content_lo..pl.end];
            let is_directive = self.directives.check(
                content,
                content_lo,
                range(content_lo, pl.end),
                &mut self.errors,
            );
            if content.starts_with('#') {
                if !is_directive {
                    // Upstream drops the first byte of the line, then trims.
                    let mut chars = raw.chars();
                    chars.next();
                    let comment = chars.as_str().trim();
                    if comment.is_empty() {
                        comments.clear();
                    } else {
                        comments.push(comment.to_string());
                    }
                }
                continue;
            }
            let (keep, continues) = trim_continuation(content, self.directives.escape);
            if !continues && keep == 0 {
                continue;
            }
            let start_line = self.lines.line_no;
            line.reset(content_lo);
            line.push(&content[..keep], content_lo);
            let mut last_end = pl.end;
            if continues {
                last_end = self.continuation(&mut line).unwrap_or(last_end);
            }
            let mut node = build_node(
                &line,
                0,
                line.text.len(),
                self.directives.escape,
                &mut self.errors,
            );
            node.prev_comment = std::mem::take(&mut comments);
            if can_contain_heredoc(&node) {
                if let Some(end) = self.read_heredocs(&mut node, &line) {
                    last_end = end;
                }
            }
            node.start_line = start_line;
            node.end_line = self.lines.line_no;
            node.span = range(line.map(0).min(node.keyword.span.start as usize), last_end);
            if let Some(sub) = node.sub.as_deref_mut() {
                sub.start_line = start_line;
                sub.end_line = node.end_line;
                sub.span = range(sub.keyword.span.start as usize, last_end);
            }
            let count = self.nodes.len() + 1;
            if let Some(e) =
                Exceeded::check(Limit::Instructions, count, self.limits.max_instructions)
            {
                // Stop here: the rest of the file would only cost memory.
                self.errors.push(SyntaxError::new(
                    SyntaxErrorKind::LimitExceeded(e),
                    node.keyword.span,
                ));
                return;
            }
            self.nodes.push(node);
        }
    }

    /// Append continuation lines to `line`; returns the end of the last
    /// physical line consumed.
    fn continuation(&mut self, line: &mut LogicalLine) -> Option<usize> {
        let escape = self.directives.escape;
        let mut last_end = None;
        let mut empty: Option<TextRange> = None;
        while let Some(pl) = self.next_line() {
            last_end = Some(pl.end);
            let raw = &self.text[pl.start..pl.end];
            let trimmed = raw.trim_start();
            if trimmed.starts_with('#') {
                continue;
            }
            if trimmed.is_empty() {
                empty.get_or_insert(range(pl.start, pl.end));
                continue;
            }
            let (keep, continues) = trim_continuation(raw, escape);
            line.push(&raw[..keep], pl.start);
            if !continues {
                break;
            }
        }
        if let Some(span) = empty {
            self.warnings.push(ParseWarning {
                code: "NoEmptyContinuation",
                message: "empty continuation line: a blank line inside an instruction continued with a line-continuation character".to_string(),
                span,
            });
        }
        last_end
    }

    /// Read the bodies of the heredocs on `line`; returns the end of the last
    /// line consumed.
    fn read_heredocs(&mut self, node: &mut Node, line: &LogicalLine) -> Option<usize> {
        let mut last_end = None;
        for word in heredocs_in_line(&line.text) {
            let word_span = line.map_range(word.lo, word.hi);
            let mut content = String::new();
            let mut body_lo: Option<usize> = None;
            let mut terminated = false;
            while let Some(pl) = self.next_line() {
                body_lo.get_or_insert(pl.start);
                last_end = Some(pl.end);
                let mut candidate = &self.text[pl.start..pl.end];
                if word.chomp {
                    candidate = candidate.trim_start_matches('\t');
                }
                if candidate == word.name {
                    terminated = true;
                    break;
                }
                content.push_str(&self.text[pl.start..pl.next]);
            }
            let body_end = last_end.unwrap_or(self.text.len());
            let body_span = range(body_lo.unwrap_or(body_end), body_end);
            let max = self.limits.max_heredoc_bytes;
            if let Some(e) = Exceeded::check(Limit::HeredocBytes, content.len(), max) {
                self.errors.push(SyntaxError::new(
                    SyntaxErrorKind::LimitExceeded(e),
                    word_span,
                ));
                content = String::new();
            }
            if !terminated {
                self.errors.push(SyntaxError::new(
                    SyntaxErrorKind::UnterminatedHeredoc {
                        name: word.name.clone(),
                    },
                    word_span,
                ));
            }
            node.heredocs.push(Heredoc {
                name: word.name,
                file_descriptor: word.file_descriptor,
                expand: word.expand,
                chomp: word.chomp,
                content,
                word_span,
                body_span,
            });
        }
        last_end
    }
}

fn can_contain_heredoc(node: &Node) -> bool {
    let target = match &node.sub {
        Some(sub) if node.keyword_is("onbuild") => sub,
        _ => node,
    };
    !target.json
        && super::ast::with_lowercase(&target.keyword.value, |k| HEREDOC_INSTRUCTIONS.contains(&k))
}

fn spanned(line: &LogicalLine, w: Word) -> Spanned<String> {
    let span = line.map_range(w.lo, w.hi);
    Spanned::new(w.value, span)
}

/// Build the node for `line.text[lo..hi]` (recursing for ONBUILD).
fn build_node(
    line: &LogicalLine,
    lo: usize,
    hi: usize,
    escape: char,
    errors: &mut Vec<SyntaxError>,
) -> Node {
    let text = line.text.as_str();
    let cmd = args::split_command(text, lo, hi);
    let (rlo, rhi) = (cmd.rest_lo, cmd.rest_hi);
    let mut sub = None;
    let parsed: Args = super::ast::with_lowercase(&cmd.keyword.value, |k| match k {
        "add" | "copy" | "volume" => args::maybe_json_to_list(text, rlo, rhi),
        "run" | "cmd" | "entrypoint" | "shell" => args::maybe_json(text, rlo, rhi),
        "arg" => args::name_or_name_val(text, rlo, rhi, escape),
        "env" => args::name_val(text, rlo, rhi, escape, "ENV"),
        "label" => args::name_val(text, rlo, rhi, escape, "LABEL"),
        "from" | "expose" => args::whitespace_list(text, rlo, rhi),
        "healthcheck" => args::health(text, rlo, rhi),
        "maintainer" | "user" | "workdir" | "stopsignal" => args::single(text, rlo, rhi),
        "onbuild" => {
            if rlo < rhi {
                sub = Some(Box::new(build_node(line, rlo, rhi, escape, errors)));
            }
            Args::default()
        }
        _ => Args {
            args: vec![Word {
                value: String::new(),
                lo: rlo,
                hi: rlo,
            }],
            ..Args::default()
        },
    });
    for e in parsed.errors {
        errors.push(SyntaxError::new(e.kind, line.map_range(e.lo, e.hi)));
    }
    // The rest is a part of `original` (`lo <= rlo <= rhi <= hi`).
    let rest_in_original = match (
        u32::try_from(rlo.saturating_sub(lo)),
        u32::try_from(rhi.saturating_sub(lo)),
    ) {
        (Ok(a), Ok(b)) if rlo >= lo && rhi <= hi => (a, b),
        _ => (0, 0),
    };
    let keyword = spanned(line, cmd.keyword);
    Node {
        span: keyword.span,
        keyword,
        flags: cmd.flags.into_iter().map(|w| spanned(line, w)).collect(),
        args: parsed.args.into_iter().map(|w| spanned(line, w)).collect(),
        json: parsed.json,
        sub,
        heredocs: Vec::new(),
        rest_span: line.map_range(rlo, rhi),
        rest_in_original,
        original: text.get(lo..hi).unwrap_or("").to_string(),
        start_line: 0,
        end_line: 0,
        prev_comment: Vec::new(),
    }
}
