//! [`SourceStr`]: a piece of a file's text, sharing the file's allocation.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A string that is a part of a shared text: a file's text when the piece
/// is written there as it is (most words and most instruction lines), or a
/// text of its own otherwise (a line joined from continued lines, a word
/// with its quotes removed). It costs no allocation of its own when it is
/// shared, and its clones share too: a 50,000-instruction file would
/// otherwise hold an allocation for every word and every line, twice (the
/// syntax tree and the instructions).
///
/// It reads as a `&str` ([`SourceStr::as_str`], `Deref`), compares and
/// prints (`Debug`, `Display`) as one.
#[derive(Clone)]
pub struct SourceStr {
    text: Arc<str>,
    lo: u32,
    hi: u32,
}

impl SourceStr {
    /// `text[lo..hi]`, sharing `text`; `None` when the range is not a part
    /// of it on character boundaries.
    pub fn shared(text: &Arc<str>, lo: usize, hi: usize) -> Option<SourceStr> {
        text.get(lo..hi)?;
        Some(SourceStr {
            text: Arc::clone(text),
            lo: u32::try_from(lo).ok()?,
            hi: u32::try_from(hi).ok()?,
        })
    }

    /// A string of its own (empty past 4 GiB, which no file under the
    /// size limit comes near).
    pub fn owned(s: &str) -> SourceStr {
        SourceStr {
            text: Arc::from(s),
            lo: 0,
            hi: u32::try_from(s.len()).unwrap_or(0),
        }
    }

    /// The string.
    #[inline(always)]
    pub fn as_str(&self) -> &str {
        self.text
            .get(self.lo as usize..self.hi as usize)
            .unwrap_or("")
    }

    /// `sub`, a part of this string (borrowed from it), sharing its text;
    /// an owned copy when `sub` is not borrowed from it.
    pub fn part(&self, sub: &str) -> SourceStr {
        let whole = self.as_str();
        let lo = (sub.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
        if lo <= whole.len() && whole.get(lo..lo + sub.len()) == Some(sub) {
            return self.slice(lo, lo + sub.len());
        }
        SourceStr::owned(sub)
    }

    /// The part `lo..hi` of this string (relative offsets), sharing its
    /// text; empty when `lo..hi` is not a part of it on character
    /// boundaries.
    pub fn slice(&self, lo: usize, hi: usize) -> SourceStr {
        let base = self.lo as usize;
        let within = lo <= hi && self.as_str().get(lo..hi).is_some();
        match within.then(|| SourceStr::shared(&self.text, base + lo, base + hi)) {
            Some(Some(s)) => s,
            _ => SourceStr::owned(""),
        }
    }
}

impl Default for SourceStr {
    fn default() -> SourceStr {
        SourceStr::owned("")
    }
}

impl Deref for SourceStr {
    type Target = str;

    #[inline(always)]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SourceStr {
    #[inline]
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for SourceStr {
    #[inline]
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for SourceStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for SourceStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl PartialEq for SourceStr {
    #[inline]
    fn eq(&self, other: &SourceStr) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SourceStr {}

impl PartialEq<str> for SourceStr {
    #[inline]
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SourceStr {
    #[inline]
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for SourceStr {
    #[inline]
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<SourceStr> for str {
    #[inline]
    fn eq(&self, other: &SourceStr) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<SourceStr> for &str {
    #[inline]
    fn eq(&self, other: &SourceStr) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<SourceStr> for String {
    #[inline]
    fn eq(&self, other: &SourceStr) -> bool {
        self.as_str() == other.as_str()
    }
}

impl std::hash::Hash for SourceStr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for SourceStr {
    fn partial_cmp(&self, other: &SourceStr) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SourceStr {
    fn cmp(&self, other: &SourceStr) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl serde::Serialize for SourceStr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl From<&str> for SourceStr {
    fn from(s: &str) -> SourceStr {
        SourceStr::owned(s)
    }
}

impl From<String> for SourceStr {
    fn from(s: String) -> SourceStr {
        SourceStr::owned(&s)
    }
}

impl From<SourceStr> for String {
    fn from(s: SourceStr) -> String {
        s.as_str().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_reads_and_compares_as_a_str() {
        let text: Arc<str> = Arc::from("FROM alpine AS base");
        let word = SourceStr::shared(&text, 5, 11).expect("in range");
        assert_eq!(word, "alpine");
        assert_eq!(word.slice(1, 3), "lp");
        assert_eq!(format!("{word:?} {word}"), "\"alpine\" alpine");
        assert_eq!(word, SourceStr::owned("alpine"));
        assert!(SourceStr::shared(&text, 5, 40).is_none());
        assert_eq!(word.slice(4, 9), "");
        assert_eq!(word.part(&word.as_str()[2..4]), "pi");
        assert_eq!(word.part("other"), "other");
        // Shared, not copied.
        assert_eq!(Arc::strong_count(&text), 2);
    }
}
