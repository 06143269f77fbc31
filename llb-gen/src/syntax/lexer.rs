//! Physical lines and logical lines (continuations joined) with a map from
//! logical-line offsets back to offsets in the original text.

use crate::text::TextRange;

/// One physical line of the source.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PhysLine {
    /// First byte of the line.
    pub start: usize,
    /// End of the content: trailing `\r`/`\n` bytes removed.
    pub end: usize,
    /// Where the content is cut: `end`, or less for a line over the size
    /// limit (set by the parser).
    pub cut: usize,
    /// Start of the next line (after the `\n`), or the end of the text.
    pub next: usize,
}

/// Iterator over the physical lines of a text, counting 1-based line numbers.
pub(crate) struct Lines<'a> {
    text: &'a str,
    pos: usize,
    /// Number of lines handed out so far (= 1-based number of the last one).
    pub line_no: u32,
}

impl<'a> Lines<'a> {
    pub(super) fn new(text: &'a str, start: usize) -> Self {
        Lines {
            text,
            pos: start.min(text.len()),
            line_no: 0,
        }
    }
}

impl Iterator for Lines<'_> {
    type Item = PhysLine;

    fn next(&mut self) -> Option<PhysLine> {
        let bytes = self.text.as_bytes();
        if self.pos >= bytes.len() {
            return None;
        }
        let start = self.pos;
        let next = match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(i) => start + i + 1,
            None => bytes.len(),
        };
        let mut end = next;
        while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        self.pos = next;
        self.line_no = self.line_no.saturating_add(1);
        Some(PhysLine {
            start,
            end,
            cut: end,
            next,
        })
    }
}

/// Byte length of the leading Unicode whitespace of `s`.
pub(crate) fn leading_ws_len(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

/// Split off a trailing line-continuation: returns the kept prefix length and
/// whether the line continues.
///
/// The escape char followed only by blanks (space, tab) at the end of the line
/// continues it, unless the char before it is another escape char. A line
/// that is only the escape char (plus blanks) continues and keeps nothing.
pub(crate) fn trim_continuation(line: &str, escape: char) -> (usize, bool) {
    let body = line.trim_end_matches([' ', '\t']);
    let Some(before) = body.strip_suffix(escape) else {
        return (line.len(), false);
    };
    match before.chars().next_back() {
        None => (0, true),
        Some(c) if c == escape => (line.len(), false),
        Some(_) => (before.len(), true),
    }
}

/// A logical line: pieces of physical lines glued together, remembering where
/// every piece came from.
#[derive(Clone, Debug, Default)]
pub(crate) struct LogicalLine {
    pub text: String,
    /// `(offset in text, offset in source)` of each non-empty piece, ascending.
    segs: Vec<(usize, usize)>,
    /// Source offset just after the last piece.
    src_end: usize,
}

impl LogicalLine {
    pub(super) fn new(src_start: usize) -> Self {
        LogicalLine {
            text: String::new(),
            segs: Vec::new(),
            src_end: src_start,
        }
    }

    /// Empty the line for reuse (keeps its buffers), starting at `src_start`.
    pub(super) fn reset(&mut self, src_start: usize) {
        self.text.clear();
        self.segs.clear();
        self.src_end = src_start;
    }

    /// Append `piece`, which starts at `src_start` in the source.
    pub(super) fn push(&mut self, piece: &str, src_start: usize) {
        if piece.is_empty() {
            return;
        }
        self.segs.push((self.text.len(), src_start));
        self.text.push_str(piece);
        self.src_end = src_start + piece.len();
    }

    /// Source offset of logical offset `off` (start side).
    pub(super) fn map(&self, off: usize) -> usize {
        if off >= self.text.len() {
            return self.src_end;
        }
        let i = self
            .segs
            .partition_point(|&(l, _)| l <= off)
            .saturating_sub(1);
        match self.segs.get(i) {
            Some(&(l, s)) => s + (off - l),
            None => self.src_end,
        }
    }

    /// Where the logical range `lo..hi` starts in the source, when it is
    /// one piece there (inside one physical line's part).
    pub(super) fn source_start(&self, lo: usize, hi: usize) -> Option<usize> {
        if hi < lo || hi > self.text.len() {
            return None;
        }
        let i = self
            .segs
            .partition_point(|&(l, _)| l <= lo)
            .checked_sub(1)?;
        let (l, s) = *self.segs.get(i)?;
        let seg_end = self
            .segs
            .get(i + 1)
            .map_or(self.text.len(), |&(next, _)| next);
        (hi <= seg_end).then_some(s + (lo - l))
    }

    /// Source range of the logical range `lo..hi`.
    pub(super) fn map_range(&self, lo: usize, hi: usize) -> TextRange {
        let start = self.map(lo);
        if hi <= lo {
            return TextRange::from_usize(start, start);
        }
        let end = self.map(hi - 1) + 1;
        TextRange::from_usize(start, end.max(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_rules() {
        assert_eq!(trim_continuation("hello  \\", '\\'), (7, true));
        assert_eq!(trim_continuation("hello  \\  \t", '\\'), (7, true));
        assert_eq!(trim_continuation("a\\\\", '\\'), (3, false));
        assert_eq!(trim_continuation("\\", '\\'), (0, true));
        assert_eq!(trim_continuation(" \\", '\\'), (1, true));
        assert_eq!(trim_continuation("x`", '`'), (1, true));
        assert_eq!(trim_continuation("x\\", '`'), (2, false));
    }

    #[test]
    fn logical_line_maps_back() {
        let src = "RUN a \\\n  b\n";
        let mut l = LogicalLine::new(0);
        l.push("RUN a ", 0);
        l.push("  b", 8);
        assert_eq!(l.text, "RUN a   b");
        assert_eq!(l.map(6), 8);
        assert_eq!(l.map_range(4, 9), TextRange::new(4, 11));
        assert_eq!(&src[l.map_range(8, 9).as_usize()], "b");
    }
}
