//! The line parser: physical lines -> logical lines -> instruction nodes,
//! heredoc bodies, comments and directives. Collects every error.

use std::borrow::Cow;

use super::args::{self, Args, Word};
use super::ast::{Dockerfile, Heredoc, Node, ParseWarning};
use super::directives::DirectiveScanner;
use super::error::{SyntaxError, SyntaxErrorKind, MAX_LINE_BYTES};
use super::heredoc::{heredocs_in_line, HeredocIssue, HeredocWord};
use super::lexer::{leading_ws_len, trim_continuation, Lines, LogicalLine, PhysLine};
use super::{Keyword, SourceStr};
use crate::codes::Code;
use crate::limits::{Exceeded, Limit, Limits};
use crate::text::{Spanned, TextRange};
use std::sync::Arc;

fn range(lo: usize, hi: usize) -> TextRange {
    TextRange::from_usize(lo, hi)
}

struct Parser<'a> {
    text: &'a str,
    /// `text`, shared with the nodes' words and lines.
    shared: &'a Arc<str>,
    /// The source as given: `text`, except where `text` has a `?` in place
    /// of a byte that is not UTF-8.
    bytes: &'a [u8],
    /// Whether `bytes` differs from `text` anywhere.
    has_invalid: bool,
    lines: Lines<'a>,
    directives: DirectiveScanner,
    errors: Vec<SyntaxError>,
    warnings: Vec<ParseWarning>,
    nodes: Vec<Node>,
    limits: &'a Limits,
    /// Where bytes that are not UTF-8 do no harm, in source order: comment
    /// lines and the bodies of literal COPY/ADD heredocs.
    opaque: Vec<TextRange>,
    /// The current logical line without the cuts of over-long lines, when a
    /// piece of it was cut (so heredocs past a cut are still found).
    uncut: Option<String>,
}

/// What [`parse_text`] found.
pub(crate) struct Output {
    pub dockerfile: Dockerfile,
    pub errors: Vec<SyntaxError>,
    /// The ranges where bytes that are not UTF-8 are allowed.
    pub opaque: Vec<TextRange>,
}

/// Parse `text`, whose content starts at byte `start` (after a BOM).
/// `bytes` is the source as given, the same length as `text`: equal to it,
/// or with bytes that are not UTF-8 where `text` has a `?`.
pub(crate) fn parse_text(shared: &Arc<str>, bytes: &[u8], start: usize, limits: &Limits) -> Output {
    let text: &str = shared;
    let mut p = Parser {
        text,
        shared,
        bytes,
        has_invalid: text.as_bytes() != bytes,
        lines: Lines::new(text, start),
        directives: DirectiveScanner::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        nodes: Vec::new(),
        limits,
        opaque: Vec::new(),
        uncut: None,
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
    let dockerfile = Dockerfile {
        directives: p.directives.directives,
        escape: p.directives.escape,
        nodes: p.nodes,
        warnings: p.warnings,
    };
    Output {
        dockerfile,
        errors: p.errors,
        opaque: p.opaque,
    }
}

/// A heredoc body as read: `lo..hi` is its content, `last_end` the end of
/// the last line read (the terminator when there is one).
struct Body {
    lo: Option<usize>,
    hi: usize,
    last_end: Option<usize>,
    terminated: bool,
}

impl Parser<'_> {
    /// The next physical line. A line over the size limit is reported once
    /// and cut at the limit (`cut`), which bounds the memory of every node.
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
            pl.cut = cut;
        }
        Some(pl)
    }

    fn run(&mut self) {
        let mut comments: Vec<String> = Vec::new();
        // One buffer for every logical line.
        let mut line = LogicalLine::new(0);
        while let Some(pl) = self.next_line() {
            let text = self.text;
            let raw = &text[pl.start..pl.cut];
            let content_lo = pl.start + leading_ws_len(raw);
            let content = &text[content_lo..pl.cut];
            let is_directive = self.directives.check(
                content,
                content_lo,
                range(content_lo, pl.end),
                &mut self.errors,
            );
            if content.starts_with('#') {
                if !is_directive {
                    self.comment(pl, &mut comments);
                }
                continue;
            }
            let Some(mut node) = self.instruction(pl, content_lo, &mut line) else {
                continue;
            };
            node.prev_comment = std::mem::take(&mut comments).into_boxed_slice();
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

    /// A comment line: kept for the next instruction. Its bytes need not be
    /// UTF-8 (upstream never reads them as text).
    fn comment(&mut self, pl: PhysLine, comments: &mut Vec<String>) {
        self.opaque.push(range(pl.start, pl.end));
        let raw = String::from_utf8_lossy(&self.bytes[pl.start..pl.cut]);
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

    /// The instruction starting on `pl` (content from `content_lo`), with
    /// its continuation lines and heredoc bodies; `None` for a blank line.
    fn instruction(
        &mut self,
        pl: PhysLine,
        content_lo: usize,
        line: &mut LogicalLine,
    ) -> Option<Node> {
        let content = &self.text[content_lo..pl.end];
        let (keep, continues) = trim_continuation(content, self.directives.escape);
        if !continues && keep == 0 {
            return None;
        }
        let start_line = self.lines.line_no;
        line.reset(content_lo);
        self.uncut = None;
        self.push_piece(line, content_lo, content_lo + keep, pl.cut);
        let mut last_end = pl.end;
        if continues {
            last_end = self.continuation(line).unwrap_or(last_end);
        }
        let escape = self.directives.escape;
        let at = Line {
            line,
            shared: self.shared,
        };
        let mut node = build_node(&at, 0, line.text.len(), escape, &mut self.errors);
        if can_contain_heredoc(&node) {
            if let Some(end) = self.read_heredocs(&mut node, line) {
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
        Some(node)
    }

    /// Append `text[lo..hi]` to `line`, cut at `cut`. Once a piece is cut,
    /// `self.uncut` follows the line without the cuts.
    fn push_piece(&mut self, line: &mut LogicalLine, lo: usize, hi: usize, cut: usize) {
        let kept_hi = hi.min(cut).max(lo);
        if kept_hi < hi && self.uncut.is_none() {
            self.uncut = Some(line.text.clone());
        }
        line.push(&self.text[lo..kept_hi], lo);
        if let Some(uncut) = &mut self.uncut {
            uncut.push_str(&self.text[lo..hi]);
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
                self.opaque.push(range(pl.start, pl.end));
                continue;
            }
            if trimmed.is_empty() {
                empty.get_or_insert(range(pl.start, pl.end));
                continue;
            }
            let (keep, continues) = trim_continuation(raw, escape);
            self.push_piece(line, pl.start, pl.start + keep, pl.cut);
            if !continues {
                break;
            }
        }
        if let Some(span) = empty {
            self.warnings.push(ParseWarning {
                code: Code::NoEmptyContinuation,
                message: "empty continuation line: a blank line inside an instruction continued with a line-continuation character".to_string(),
                span,
            });
        }
        last_end
    }

    /// Read the bodies of the heredocs on `line`; returns the end of the last
    /// line consumed.
    fn read_heredocs(&mut self, node: &mut Node, line: &LogicalLine) -> Option<usize> {
        let words = heredocs_in_line(self.uncut.as_deref().unwrap_or(&line.text));
        let keeps_bytes = node.kind.is_some_and(Keyword::keeps_heredoc_bytes);
        let mut last_end = None;
        let mut heredocs = Vec::new();
        for word in words {
            let word_span = line.map_range(word.lo, word.hi);
            let body = self.read_body(&word);
            last_end = body.last_end.or(last_end);
            let body_end = body.last_end.unwrap_or(self.text.len());
            let lo = body.lo.unwrap_or(body_end);
            if let Some(issue) = word.issue {
                // The body is consumed (its lines are no instructions) but
                // there is no heredoc.
                self.errors.push(issue_error(issue, &word.name, word_span));
                continue;
            }
            if !body.terminated {
                self.errors.push(SyntaxError::new(
                    SyntaxErrorKind::UnterminatedHeredoc {
                        name: word.name.clone(),
                    },
                    word_span,
                ));
            }
            let literal = keeps_bytes && !word.expand;
            let (content, literal_bytes) = self.body_content(lo, body.hi, literal, word_span);
            heredocs.push(Heredoc {
                name: word.name,
                file_descriptor: word.file_descriptor,
                expand: word.expand,
                chomp: word.chomp,
                content,
                literal_bytes,
                word_span,
                body_span: range(lo, body_end),
            });
        }
        node.heredocs = heredocs.into_boxed_slice();
        last_end
    }

    /// Read the lines of one heredoc body up to its terminator line.
    fn read_body(&mut self, word: &HeredocWord) -> Body {
        let mut body = Body {
            lo: None,
            hi: self.text.len(),
            last_end: None,
            terminated: false,
        };
        while let Some(pl) = self.next_line() {
            body.lo.get_or_insert(pl.start);
            body.last_end = Some(pl.end);
            let mut candidate = &self.bytes[pl.start..pl.end];
            if word.chomp {
                let tabs = candidate.iter().take_while(|&&b| b == b'\t').count();
                candidate = &candidate[tabs..];
            }
            if candidate == word.name.as_bytes() {
                body.hi = pl.start;
                body.terminated = true;
                return body;
            }
            body.hi = pl.next;
        }
        body
    }

    /// The content of the body `lo..hi`, and its exact bytes when they are
    /// not UTF-8 and `literal` allows that (the content is then decoded
    /// lossily). Empty when over the size limit.
    fn body_content(
        &mut self,
        lo: usize,
        hi: usize,
        literal: bool,
        word_span: TextRange,
    ) -> (String, Option<Vec<u8>>) {
        let hi = hi.max(lo);
        let max = self.limits.max_heredoc_bytes;
        if let Some(e) = Exceeded::check(Limit::HeredocBytes, hi - lo, max) {
            self.errors.push(SyntaxError::new(
                SyntaxErrorKind::LimitExceeded(e),
                word_span,
            ));
            return (String::new(), None);
        }
        let bytes = &self.bytes[lo..hi];
        if literal && self.has_invalid && std::str::from_utf8(bytes).is_err() {
            self.opaque.push(range(lo, hi));
            let content = String::from_utf8_lossy(bytes).into_owned();
            return (content, Some(bytes.to_vec()));
        }
        (self.text[lo..hi].to_string(), None)
    }
}

/// The error for a heredoc word upstream does not take as a heredoc.
fn issue_error(issue: HeredocIssue, name: &str, span: TextRange) -> SyntaxError {
    let kind = match issue {
        HeredocIssue::EmptyName => SyntaxErrorKind::EmptyHeredocName,
        HeredocIssue::BlankAfterChomp => SyntaxErrorKind::BlankAfterHeredocChomp {
            name: name.to_string(),
        },
    };
    SyntaxError::new(kind, span)
}

fn can_contain_heredoc(node: &Node) -> bool {
    let target = match &node.sub {
        Some(sub) if node.is(Keyword::Onbuild) => sub,
        _ => node,
    };
    !target.json && target.kind.is_some_and(Keyword::takes_heredocs)
}

/// A logical line and the text it was read from.
struct Line<'a> {
    line: &'a LogicalLine,
    shared: &'a Arc<str>,
}

impl Line<'_> {
    /// `line.text[lo..hi]`: shared with the file's text when it is written
    /// there as it is (on one physical line), else a copy. The line's
    /// pieces are copies of the text at the offsets it maps them to, so a
    /// range inside one piece is the same text there.
    fn piece(&self, lo: usize, hi: usize) -> SourceStr {
        let shared = self
            .line
            .source_start(lo, hi)
            .and_then(|s| SourceStr::shared(self.shared, s, s + (hi - lo)));
        debug_assert!(shared
            .as_ref()
            .is_none_or(|s| Some(s.as_str()) == self.line.text.get(lo..hi)));
        shared.unwrap_or_else(|| SourceStr::owned(self.line.text.get(lo..hi).unwrap_or("")))
    }

    /// A word with its span; shared when its value is the text it was
    /// read from (no quotes removed, no escapes applied).
    fn spanned(&self, w: Word) -> Spanned<SourceStr> {
        let span = self.line.map_range(w.lo, w.hi);
        let written = self.line.text.get(w.lo..w.hi);
        // A word borrowed from the line at its own range is verbatim without
        // comparing its bytes.
        let verbatim = match (&w.value, written) {
            (Cow::Borrowed(v), Some(t)) if std::ptr::eq(v.as_ptr(), t.as_ptr()) => {
                v.len() == t.len()
            }
            (v, t) => t == Some(v.as_ref()),
        };
        let value = if verbatim {
            self.piece(w.lo, w.hi)
        } else {
            SourceStr::owned(&w.value)
        };
        Spanned::new(value, span)
    }

    /// The words as spanned strings, in a vector of exactly their number:
    /// the words' own vector has growth slack (and larger elements), which
    /// a collect would keep in every node (3.8 MB of a 50,000-instruction
    /// file).
    fn spanned_all(&self, words: Vec<Word>) -> Box<[Spanned<SourceStr>]> {
        let mut out = Vec::with_capacity(words.len());
        out.extend(words.into_iter().map(|w| self.spanned(w)));
        out.into_boxed_slice()
    }
}

/// Build the node for `at.line.text[lo..hi]` (recursing for ONBUILD).
fn build_node(
    at: &Line<'_>,
    lo: usize,
    hi: usize,
    escape: char,
    errors: &mut Vec<SyntaxError>,
) -> Node {
    let line = at.line;
    let text = line.text.as_str();
    let cmd = args::split_command(text, lo, hi);
    let (rlo, rhi) = (cmd.rest_lo, cmd.rest_hi);
    let mut sub = None;
    use Keyword as K;
    let kind = Keyword::parse(&cmd.keyword.value);
    let parsed: Args = match kind {
        Some(K::Add | K::Copy | K::Volume) => args::maybe_json_to_list(text, rlo, rhi),
        Some(K::Run | K::Cmd | K::Entrypoint | K::Shell) => args::maybe_json(text, rlo, rhi),
        Some(K::Arg) => args::name_or_name_val(text, rlo, rhi, escape),
        Some(K::Env) => args::name_val(text, rlo, rhi, escape, "ENV"),
        Some(K::Label) => args::name_val(text, rlo, rhi, escape, "LABEL"),
        Some(K::From | K::Expose | K::Include | K::Cache | K::Require) => {
            args::whitespace_list(text, rlo, rhi)
        }
        Some(K::If | K::Else | K::End) => args::single(text, rlo, rhi),
        Some(K::Healthcheck) => args::health(text, rlo, rhi),
        Some(K::Maintainer | K::User | K::Workdir | K::Stopsignal) => args::single(text, rlo, rhi),
        Some(K::Onbuild) => {
            if rlo < rhi {
                sub = Some(Box::new(build_node(at, rlo, rhi, escape, errors)));
            }
            Args::default()
        }
        None => Args {
            args: vec![Word {
                value: std::borrow::Cow::Borrowed(""),
                lo: rlo,
                hi: rlo,
            }],
            ..Args::default()
        },
    };
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
    let keyword = at.spanned(cmd.keyword);
    Node {
        span: keyword.span,
        keyword,
        kind,
        flags: at.spanned_all(cmd.flags),
        args: at.spanned_all(parsed.args),
        json: parsed.json,
        sub,
        heredocs: Vec::new().into(),
        rest_span: line.map_range(rlo, rhi),
        rest_in_original,
        original: at.piece(lo, hi),
        start_line: 0,
        end_line: 0,
        prev_comment: Vec::new().into(),
    }
}
