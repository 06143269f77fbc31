//! From source bytes to the text the parser reads.
//!
//! A file that is not text at all (UTF-16, binary) gets one error and is not
//! parsed. Otherwise every byte of an invalid UTF-8 sequence is read as `?`
//! (one byte each, so every span still indexes the bytes as given), and the
//! first such byte outside the places that may hold one (comment lines,
//! literal COPY/ADD heredoc bodies) is the one error.

use super::error::{SyntaxError, SyntaxErrorKind};
use crate::text::TextRange;

/// How much of the file is searched for a NUL byte.
const SNIFF_BYTES: usize = 8000;

/// How many leading byte pairs decide whether BOM-less text is UTF-16.
const SNIFF_PAIRS: usize = 64;

/// The byte that stands in for each byte of an invalid sequence.
const PLACEHOLDER: char = '?';

/// One error for a file that is not UTF-8 text at all: a UTF-16 byte-order
/// mark, or a NUL byte in its first 8000 bytes (UTF-16 without a mark when
/// the NULs alternate with ASCII, else a binary file).
pub(crate) fn sniff(bytes: &[u8]) -> Option<SyntaxError> {
    let bom = |be| SyntaxError::new(SyntaxErrorKind::Utf16File { big_endian: be }, range(0, 2));
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Some(bom(false));
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Some(bom(true));
    }
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let nul = head.iter().position(|&b| b == 0)?;
    let error = match utf16_order(head) {
        Some(big_endian) => SyntaxError::new(
            SyntaxErrorKind::Utf16File { big_endian },
            range(0, head.len().min(2)),
        ),
        None => SyntaxError::new(SyntaxErrorKind::BinaryFile, range(nul, nul + 1)),
    };
    Some(error)
}

/// Whether `head` reads as BOM-less UTF-16 (`Some(big_endian)`): most of
/// its first byte pairs are one ASCII byte and one NUL, in the same order.
fn utf16_order(head: &[u8]) -> Option<bool> {
    let (mut little, mut big, mut pairs) = (0, 0, 0);
    for pair in head.chunks_exact(2).take(SNIFF_PAIRS) {
        pairs += 1;
        match pair {
            [a, 0] if *a != 0 && a.is_ascii() => little += 1,
            [0, b] if *b != 0 && b.is_ascii() => big += 1,
            _ => {}
        }
    }
    if little * 2 > pairs {
        Some(false)
    } else if big * 2 > pairs {
        Some(true)
    } else {
        None
    }
}

/// `bytes` with every byte of an invalid UTF-8 sequence replaced by `?`
/// (same length), and the ranges of those sequences in order.
pub(crate) fn placeholder_text(bytes: &[u8]) -> (String, Vec<(usize, usize)>) {
    let mut out = String::with_capacity(bytes.len());
    let mut invalid = Vec::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        let bad = chunk.invalid().len();
        if bad > 0 {
            invalid.push((out.len(), out.len() + bad));
            out.extend(std::iter::repeat_n(PLACEHOLDER, bad));
        }
    }
    (out, invalid)
}

/// The one error for invalid UTF-8: at the first `invalid` sequence not
/// inside an `opaque` range (both in source order).
pub(crate) fn invalid_utf8_error(
    bytes: &[u8],
    invalid: &[(usize, usize)],
    opaque: &[TextRange],
) -> Option<SyntaxError> {
    let mut j = 0;
    for &(lo, hi) in invalid {
        while opaque.get(j).is_some_and(|r| (r.end as usize) < hi) {
            j += 1;
        }
        let inside = opaque
            .get(j)
            .is_some_and(|r| r.start as usize <= lo && hi <= r.end as usize);
        if !inside {
            let byte = bytes.get(lo).copied().unwrap_or(0);
            let kind = SyntaxErrorKind::InvalidUtf8 { byte };
            return Some(SyntaxError::new(kind, range(lo, hi)));
        }
    }
    None
}

fn range(lo: usize, hi: usize) -> TextRange {
    TextRange::from_usize(lo, hi)
}
