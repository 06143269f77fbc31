//! The raw syntax tree: what the line parser knows, no instruction semantics.
//!
//! It mirrors what BuildKit's low-level parser returns (`parser.Node`), so it
//! can be dumped in the exact text format of BuildKit's parser test files, but
//! every piece carries a byte span into the original source.

use super::{Keyword, SourceStr};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::text::{Spanned, TextRange};

/// A parsed Dockerfile: directives, instructions and parser warnings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dockerfile {
    /// Parser directives at the top (`# syntax=`, `# escape=`, `# check=`).
    pub directives: Vec<Directive>,
    /// The escape / line-continuation character in effect (`\` or `` ` ``).
    pub escape: char,
    /// Instructions in file order.
    pub nodes: Vec<Node>,
    /// Non-fatal findings of the parser (e.g. empty continuation lines).
    pub warnings: Vec<ParseWarning>,
}

/// One parser directive line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// Lower-cased key (`syntax`, `escape`, `check`).
    pub key: String,
    /// Value as written, trailing whitespace trimmed.
    pub value: String,
    /// The whole directive line.
    pub span: TextRange,
    /// The value only.
    pub value_span: TextRange,
}

/// A non-fatal parser finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseWarning {
    /// The condition, e.g. [`Code::NoEmptyContinuation`].
    pub code: Code,
    /// What was found, one line.
    pub message: String,
    /// Where.
    pub span: TextRange,
}

impl ParseWarning {
    /// The warning shown to users.
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::warning(self.code, self.message.clone(), self.span)
    }
}

/// One instruction (one logical line plus any heredoc bodies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The instruction word exactly as written (`RUN`, `Run`, `frobnicate`).
    pub keyword: Spanned<SourceStr>,
    /// The instruction `keyword` names; `None` for an unknown word.
    pub kind: Option<Keyword>,
    /// Leading `--flag[=value]` words with quotes removed and escapes applied,
    /// e.g. `--mount=type=cache,target=/x`. A bare `--` is not included.
    pub flags: Box<[Spanned<SourceStr>]>,
    /// Argument nodes, exactly as upstream's `Node.Next` chain for this
    /// instruction (see `../shared/conformance/buildkit-parser/README.md`):
    /// JSON-decoded strings for the JSON form, whitespace-split words for
    /// FROM/EXPOSE/COPY/ADD/VOLUME, `key, value, sep` triples for ENV/LABEL,
    /// raw shell-ish words for ARG, one verbatim string for RUN/CMD/... .
    /// Unknown instructions have one empty argument.
    pub args: Box<[Spanned<SourceStr>]>,
    /// True for the JSON (exec) form.
    pub json: bool,
    /// For `ONBUILD`: the nested instruction.
    pub sub: Option<Box<Node>>,
    /// Heredocs introduced on this line, in order.
    pub heredocs: Box<[Heredoc]>,
    /// Where [`Node::rest`] is: its span, and its byte range in `original`
    /// (it is a part of it, so it is not stored twice).
    pub rest_span: TextRange,
    pub(crate) rest_in_original: (u32, u32),
    /// The logical line after continuations were joined (`Node.Original`),
    /// shared with the file's text when it is on one line.
    pub original: SourceStr,
    /// The whole instruction: first character of the keyword to the end of
    /// its last line (heredoc terminators included).
    pub span: TextRange,
    /// 1-based first and last physical line, as upstream reports them.
    pub start_line: u32,
    /// 1-based last physical line.
    pub end_line: u32,
    /// Comment lines since the previous instruction (`#` dropped, trimmed).
    pub prev_comment: Box<[String]>,
}

impl Node {
    /// Text after the keyword and the flags, surrounding whitespace trimmed,
    /// with continuations joined (what the argument parsers saw).
    pub fn rest(&self) -> Spanned<&str> {
        let (lo, hi) = self.rest_in_original;
        let text = self.original.get(lo as usize..hi as usize).unwrap_or("");
        Spanned::new(text, self.rest_span)
    }

    /// Lower-cased keyword as written, as used by the dump.
    pub fn keyword_lower(&self) -> String {
        self.keyword.value.to_lowercase()
    }

    /// Whether the node is the instruction `k`.
    pub fn is(&self, k: Keyword) -> bool {
        self.kind == Some(k)
    }
}

/// Calls `f` with `s` in lower case (Unicode rules, like `to_lowercase`);
/// short ASCII words (every keyword) are lowered on the stack.
pub fn with_lowercase<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 16];
    if s.is_ascii() && s.len() <= buf.len() {
        let lowered = &mut buf[..s.len()];
        lowered.copy_from_slice(s.as_bytes());
        lowered.make_ascii_lowercase();
        if let Ok(k) = std::str::from_utf8(lowered) {
            return f(k);
        }
    }
    f(&s.to_lowercase())
}

/// A heredoc (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heredoc {
    /// Terminator word with quotes removed.
    pub name: String,
    /// Digits before `<<` (0 when none).
    pub file_descriptor: u32,
    /// False when any part of the word was quoted.
    pub expand: bool,
    /// True for `<<-` (leading tabs stripped when matching the terminator and,
    /// at use time, from the body).
    pub chomp: bool,
    /// Raw body lines with their newlines (tabs not stripped).
    pub content: String,
    /// The exact bytes of the body when they are not UTF-8. Only a COPY/ADD
    /// heredoc whose terminator is quoted (its body is written as it is)
    /// may hold such bytes; `content` is then their lossy decoding.
    pub literal_bytes: Option<Vec<u8>>,
    /// The `<<WORD` token on the instruction line.
    pub word_span: TextRange,
    /// The body and the terminator line.
    pub body_span: TextRange,
}

impl Heredoc {
    /// The data a literal heredoc writes when its body is not UTF-8: its
    /// bytes, leading tabs of every line stripped for `<<-`. `None` when the
    /// body is text (use `content`).
    pub fn literal_data(&self) -> Option<Vec<u8>> {
        let bytes = self.literal_bytes.as_deref()?;
        if !self.chomp {
            return Some(bytes.to_vec());
        }
        let lines = bytes.split_inclusive(|&b| b == b'\n');
        let chomped = lines.flat_map(|l| {
            let tabs = l.iter().take_while(|&&b| b == b'\t').count();
            &l[tabs..]
        });
        Some(chomped.copied().collect())
    }
}

/// Moves every span of a parsed file by `by` bytes: an included file is
/// parsed on its own, then placed at its base in the build's address space
/// (see [`crate::sources::SourceSet`]).
pub(crate) fn shift_nodes(nodes: &mut [Node], by: u32) {
    for node in nodes {
        node.shift(by);
    }
}

fn shift_range(r: &mut TextRange, by: u32) {
    *r = TextRange::new(r.start.saturating_add(by), r.end.saturating_add(by));
}

impl Node {
    fn shift(&mut self, by: u32) {
        shift_range(&mut self.keyword.span, by);
        for f in self.flags.iter_mut().chain(self.args.iter_mut()) {
            shift_range(&mut f.span, by);
        }
        if let Some(sub) = self.sub.as_deref_mut() {
            sub.shift(by);
        }
        for h in &mut self.heredocs {
            shift_range(&mut h.word_span, by);
            shift_range(&mut h.body_span, by);
        }
        shift_range(&mut self.rest_span, by);
        shift_range(&mut self.span, by);
    }
}

impl Directive {
    pub(crate) fn shift(&mut self, by: u32) {
        shift_range(&mut self.span, by);
        shift_range(&mut self.value_span, by);
    }
}
