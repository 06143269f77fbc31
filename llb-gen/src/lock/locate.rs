//! Spans in a lock file's text: serde_json's `line:column` as a byte
//! offset, and the span of the value (or key) at a path of object keys in
//! a document that parsed. serde_json's values carry no positions, so the
//! validator finds them again here with a small scanner.

use crate::text::TextRange;

/// The byte offset of serde_json's 1-based `line` and `column` (column 0:
/// the end of the previous line, as serde_json reports a premature end).
pub(super) fn offset_of(bytes: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(i) => start += i + 1,
            None => return bytes.len(),
        }
    }
    (start + column.saturating_sub(1)).min(bytes.len())
}

/// The span of the value at `path` (object keys from the top), or of its
/// key when `key` is set; the top value for an empty path.
pub(super) fn find(bytes: &[u8], path: &[&str], key: bool) -> Option<TextRange> {
    let mut s = Scan { b: bytes, i: 0 };
    s.ws();
    let (start, end) = s.find(path, key)?;
    Some(TextRange::from_usize(start, end))
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek() == Some(c)).then(|| self.i += 1)
    }

    /// A string at the cursor: its span and decoded text.
    fn string(&mut self) -> Option<(usize, usize, String)> {
        self.ws();
        let start = self.i;
        if self.peek() != Some(b'"') {
            return None;
        }
        self.i += 1;
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'\\' => self.i += 1,
                b'"' => {
                    let text = serde_json::from_slice(&self.b[start..self.i]).ok()?;
                    return Some((start, self.i, text));
                }
                _ => {}
            }
        }
        None
    }

    /// Skips one value; its span.
    fn value(&mut self) -> Option<(usize, usize)> {
        self.ws();
        let start = self.i;
        match self.peek()? {
            b'"' => {
                self.string()?;
            }
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.i += 1;
                if self.eat(close).is_none() {
                    loop {
                        if open == b'{' {
                            self.string()?;
                            self.eat(b':')?;
                        }
                        self.value()?;
                        if self.eat(b',').is_none() {
                            self.eat(close)?;
                            break;
                        }
                    }
                }
            }
            _ => {
                while let Some(c) = self.peek() {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.i += 1;
                }
            }
        }
        Some((start, self.i))
    }

    fn find(&mut self, path: &[&str], key: bool) -> Option<(usize, usize)> {
        let Some((first, rest)) = path.split_first() else {
            return self.value();
        };
        self.eat(b'{')?;
        loop {
            let (ks, ke, k) = self.string()?;
            self.eat(b':')?;
            if k == *first {
                if rest.is_empty() && key {
                    return Some((ks, ke));
                }
                self.ws();
                return self.find(rest, key);
            }
            self.value()?;
            self.eat(b',')?;
        }
    }
}
