//! Byte offsets and ranges into a source file, and the line index that turns
//! them into 1-based lines and columns at the edges (diagnostics, source maps).
//!
//! Everything inside the pipeline carries a [`TextRange`]; lines and columns
//! are computed only when something is shown to a user or sent to BuildKit.

use std::fmt;

/// Append the pieces to `out`, reserving their whole length first: what `push_str(&format!(..))`
/// gives for strings, without the formatting machinery (a call per piece in the image's
/// size-optimized build). For a new string, `<[&str]>::concat` does the same.
pub(crate) fn push_all(out: &mut String, parts: &[&str]) {
    out.reserve(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
}

/// `s.split_once(c)` for an ASCII `c`, by a byte search (no `char` searcher: its set-up
/// costs more than the search on the short words it is used on).
pub(crate) fn split_once_ascii(s: &str, c: u8) -> Option<(&str, &str)> {
    debug_assert!(c.is_ascii());
    let i = s.bytes().position(|b| b == c)?;
    // An ASCII byte is a whole character: both sides are on character boundaries.
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// `s.rsplit_once(c)` for an ASCII `c`, by a byte search (see [`split_once_ascii`]).
pub(crate) fn rsplit_once_ascii(s: &str, c: u8) -> Option<(&str, &str)> {
    debug_assert!(c.is_ascii());
    let i = s.bytes().rposition(|b| b == c)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// A half-open byte range `[start, end)` into one source file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TextRange {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl TextRange {
    /// A range from `start` to `end`; `end` is clamped to be at least `start`.
    pub fn new(start: u32, end: u32) -> Self {
        TextRange {
            start,
            end: end.max(start),
        }
    }

    /// An empty range at `offset`.
    pub fn empty(offset: u32) -> Self {
        TextRange {
            start: offset,
            end: offset,
        }
    }

    /// Build a range from `usize` offsets, saturating at `u32::MAX`.
    pub fn from_usize(start: usize, end: usize) -> Self {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        TextRange::new(clamp(start), clamp(end))
    }

    /// The length in bytes.
    pub fn len(&self) -> u32 {
        self.end - self.start
    }

    /// True for an empty range.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The smallest range covering both.
    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// True when `offset` is inside (`start <= offset < end`).
    pub fn contains(&self, offset: u32) -> bool {
        self.start <= offset && offset < self.end
    }

    /// As a `usize` range, to slice the source.
    pub fn as_usize(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl fmt::Debug for TextRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A value with the span it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: TextRange,
}

impl<T> Spanned<T> {
    /// `value` from `span`.
    pub fn new(value: T, span: TextRange) -> Self {
        Spanned { value, span }
    }
}

/// A 1-based line and a 1-based column counted in characters (not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

/// Offsets of line starts in a source, for offset -> line/column lookups.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<u32>,
    len: u32,
}

impl LineIndex {
    /// The index of `text`'s lines.
    pub fn new(text: &str) -> Self {
        LineIndex {
            starts: line_starts(text.as_bytes()),
            len: u32::try_from(text.len()).unwrap_or(u32::MAX),
        }
    }

    /// 0-based line number containing `offset`.
    pub fn line_of(&self, offset: u32) -> usize {
        let offset = offset.min(self.len);
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Byte range of 0-based line `line`, without its line terminator.
    pub fn line_range(&self, line: usize, text: &str) -> TextRange {
        let start = self.starts.get(line).copied().unwrap_or(self.len);
        let mut end = self.starts.get(line + 1).map(|s| s - 1).unwrap_or(self.len);
        if end > start && text.as_bytes().get(end as usize - 1) == Some(&b'\r') {
            end -= 1;
        }
        TextRange::new(start, end)
    }

    /// The number of lines.
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// 1-based line and column of `offset` in `text`.
    pub fn line_col(&self, offset: u32, text: &str) -> LineCol {
        let line = self.line_of(offset);
        let start = self.starts[line] as usize;
        let end = (offset.min(self.len) as usize).max(start);
        let col = text
            .get(start..end)
            .map_or(end - start, |s| s.chars().count());
        LineCol {
            line: line as u32 + 1,
            col: col as u32 + 1,
        }
    }
}

/// Where each line of `bytes` starts. The newlines are found with memchr (SIMD; a byte at a time
/// was 7 instructions a byte, and `match_indices` about 200 a line, for every file of every
/// build), counted first for a vector of the right size, by its SSE2 searcher on x86_64 (which
/// every x86_64 CPU has) or its portable one: memchr's default asks the CPU for AVX2 first, and
/// that detection (about ten `cpuid`, each a trap to the hypervisor in a VM) was 6 % of a small
/// build's CPU time in the frontend (perf on examples/hello under the replay harness).
pub fn line_starts(bytes: &[u8]) -> Vec<u32> {
    #[cfg(target_arch = "x86_64")]
    if let Some(newline) = memchr::arch::x86_64::sse2::memchr::One::new(b'\n') {
        return starts_from(newline.count(bytes), newline.iter(bytes));
    }
    let newline = memchr::arch::all::memchr::One::new(b'\n');
    starts_from(newline.count(bytes), newline.iter(bytes))
}

/// Line starts after `count` newlines at the positions `found`.
fn starts_from(count: usize, found: impl Iterator<Item = usize>) -> Vec<u32> {
    let mut starts = Vec::with_capacity(count + 1);
    starts.push(0u32);
    starts.extend(found.map(|i| u32::try_from(i + 1).unwrap_or(u32::MAX)));
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let text = "FROM a\nRUN é x\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(0, text), LineCol { line: 1, col: 1 });
        assert_eq!(idx.line_col(7, text), LineCol { line: 2, col: 1 });
        // 'x' comes after a two-byte character.
        let x = text.find('x').unwrap() as u32;
        assert_eq!(idx.line_col(x, text), LineCol { line: 2, col: 7 });
        assert_eq!(idx.line_range(1, text), TextRange::new(7, 15));
    }

    /// The line starts are the bytes after each newline, whatever the bytes around them and
    /// wherever they fall in an eight-byte word.
    #[test]
    fn line_starts_are_found_in_every_position() {
        let alphabet = ["\n", "a", "\r", "\u{0a0a}", "é", "\u{7f}", " ", "\u{8a}"];
        let mut seed = 7u32;
        for len in 0..200 {
            let mut text = String::new();
            for _ in 0..len {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                text.push_str(alphabet[(seed >> 16) as usize % alphabet.len()]);
            }
            let mut want = vec![0u32];
            want.extend(text.match_indices('\n').map(|(i, _)| i as u32 + 1));
            assert_eq!(LineIndex::new(&text).starts, want, "{text:?}");
        }
    }

    /// Held to `str::split_once` over every string of up to four characters of an alphabet
    /// with the needles, other ASCII and non-ASCII letters.
    #[test]
    fn split_once_ascii_is_split_once_both_ways() {
        let alphabet = ["=", "@", "a", "é", "€", " ", "😀"];
        let mut words = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = (words.iter())
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            words.extend(longer);
        }
        for w in &words {
            for c in [b'=', b'@', b' '] {
                assert_eq!(split_once_ascii(w, c), w.split_once(char::from(c)), "{w:?}");
                assert_eq!(
                    rsplit_once_ascii(w, c),
                    w.rsplit_once(char::from(c)),
                    "{w:?}"
                );
            }
        }
    }
}
