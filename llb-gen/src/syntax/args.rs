//! Splitting one logical line into keyword, flags and argument nodes, with
//! the per-instruction rules of upstream's line parsers.
//!
//! Every function works on a range `lo..hi` of the logical line text and
//! returns offsets into that text; the caller maps them to the source.

use std::borrow::Cow;

use super::error::SyntaxErrorKind;

/// A piece of the logical line: its value and its logical range. The value
/// is borrowed from the line when it is the text as written (nearly every
/// word), owned when quotes were removed or escapes applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Word<'a> {
    pub value: Cow<'a, str>,
    pub lo: usize,
    pub hi: usize,
}

impl<'a> Word<'a> {
    fn raw(text: &'a str, lo: usize, hi: usize) -> Word<'a> {
        Word {
            value: Cow::Borrowed(text.get(lo..hi).unwrap_or("")),
            lo,
            hi,
        }
    }
}

/// An error found while splitting, with its logical range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ArgError {
    pub kind: SyntaxErrorKind,
    pub lo: usize,
    pub hi: usize,
}

/// The `[\t\v\f\r ]` class upstream splits on.
pub(crate) fn is_blank(c: char) -> bool {
    matches!(c, '\t' | '\x0b' | '\x0c' | '\r' | ' ')
}

/// [`is_blank`] of a byte (every blank is ASCII, and no byte of a
/// multi-byte character is).
fn is_blank_byte(b: u8) -> bool {
    matches!(b, b'\t' | 0x0b | 0x0c | b'\r' | b' ')
}

/// `lo..hi` narrowed to exclude leading and trailing Unicode whitespace.
/// ASCII whitespace is skipped as bytes; characters are decoded only when a
/// non-ASCII one is met at either end.
pub(crate) fn trim_range(text: &str, lo: usize, hi: usize) -> (usize, usize) {
    let s = text.get(lo..hi).unwrap_or("");
    let b = s.as_bytes();
    let mut start = b.iter().take_while(|&&c| is_white_byte(c)).count();
    if b.get(start).is_some_and(|c| !c.is_ascii()) {
        start = s.len() - s.trim_start().len();
    }
    let mut end = b.len() - b.iter().rev().take_while(|&&c| is_white_byte(c)).count();
    if end > 0 && b.get(end - 1).is_some_and(|c| !c.is_ascii()) {
        end = s.get(..end).map_or(end, |t| t.trim_end().len());
    }
    (lo + start, lo + end.max(start))
}

/// Keyword, flags and the remaining argument text of an instruction line.
#[derive(Debug)]
pub(crate) struct Command<'a> {
    pub keyword: Word<'a>,
    pub flags: Vec<Word<'a>>,
    pub rest_lo: usize,
    pub rest_hi: usize,
}

/// Split `text[lo..hi]` into the instruction word, its leading `--flags` and
/// the trimmed rest.
pub(crate) fn split_command(text: &str, lo: usize, hi: usize) -> Command<'_> {
    let (t_lo, t_hi) = trim_range(text, lo, hi);
    let line = text.get(t_lo..t_hi).unwrap_or("");
    let kw_len = line.bytes().position(is_blank_byte).unwrap_or(line.len());
    let keyword = Word::raw(text, t_lo, t_lo + kw_len);
    if kw_len == line.len() {
        return Command {
            keyword,
            flags: Vec::new(),
            rest_lo: t_hi,
            rest_hi: t_hi,
        };
    }
    let (rest_start, flags) = extract_flags(text, t_lo + kw_len, t_hi);
    let (rest_lo, rest_hi) = trim_range(text, rest_start, t_hi);
    Command {
        keyword,
        flags,
        rest_lo,
        rest_hi,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Spaces,
    Word,
    Quote(char),
}

/// Upstream's builder-flag extraction: leading words starting with `--`,
/// quotes removed and `\` applied, up to the first other word or a bare
/// `--`. Returns where the rest starts and the flags.
fn extract_flags(text: &str, lo: usize, hi: usize) -> (usize, Vec<Word<'_>>) {
    let s = text.get(lo..hi).unwrap_or("");
    let mut scan = FlagScan {
        text,
        flags: Vec::new(),
        phase: Phase::Spaces,
        word: String::new(),
        word_lo: lo,
        blank_ok: false,
    };
    let mut i = 0;
    loop {
        let Some(ch) = char_at(s, i) else {
            return (hi, scan.finish(hi));
        };
        let pos = lo + i;
        let mut next = i + ch.len_utf8();
        if scan.phase == Phase::Spaces {
            if is_white(ch) {
                i = next;
                continue;
            }
            if !s[i..].starts_with("--") {
                return (pos, scan.flags);
            }
            scan.phase = Phase::Word;
            scan.word_lo = pos;
        }
        // A run of characters taken as they are goes in at once.
        let run = match scan.phase {
            Phase::Word => plain_run(s, i, |b| !is_white_byte(b) && b != b'\'' && b != b'"'),
            Phase::Quote(q) => plain_run(s, i, |b| char::from(b) != q),
            Phase::Spaces => i,
        };
        if run > i {
            scan.word.push_str(&s[i..run]);
            i = run;
            continue;
        }
        match scan.phase {
            Phase::Word => {
                if scan.word_char(ch, pos, s, &mut next) {
                    return (pos, scan.flags);
                }
            }
            Phase::Quote(q) => scan.quoted_char(q, ch, s, &mut next),
            Phase::Spaces => {}
        }
        i = next;
    }
}

/// Where the ASCII characters from byte `i` of `s` that `keep` accepts end (never past a `\`).
fn plain_run(s: &str, i: usize, keep: impl Fn(u8) -> bool) -> usize {
    let rest = s.as_bytes().get(i..).unwrap_or_default();
    rest.iter()
        .position(|&b| !b.is_ascii() || b == b'\\' || !keep(b))
        .map_or(s.len(), |n| i + n)
}

/// The state of [`extract_flags`] between two characters.
struct FlagScan<'a> {
    /// The text the flags are read from (positions are offsets in it).
    text: &'a str,
    /// The flags read so far.
    flags: Vec<Word<'a>>,
    phase: Phase,
    /// The flag being read, quotes removed and `\` applied.
    word: String,
    word_lo: usize,
    /// Whether the flag being read had quotes (so it counts even if empty).
    blank_ok: bool,
}

impl<'a> FlagScan<'a> {
    /// One character of a flag, outside quotes, at `pos`; `next` is where the following one
    /// starts (moved past the character an escape takes). Returns `true` when the word was a
    /// bare `--`, which ends the flags.
    fn word_char(&mut self, ch: char, pos: usize, s: &str, next: &mut usize) -> bool {
        if is_white(ch) {
            self.phase = Phase::Spaces;
            if self.word == "--" {
                return true;
            }
            if self.blank_ok || !self.word.is_empty() {
                let value = self.take_word(pos);
                self.flags.push(Word {
                    value,
                    lo: self.word_lo,
                    hi: pos,
                });
            }
            self.word.clear();
            self.blank_ok = false;
            return false;
        }
        if ch == '\'' || ch == '"' {
            self.phase = Phase::Quote(ch);
            self.blank_ok = true;
            return false;
        }
        if ch == '\\' {
            self.escaped(s, next);
            return false;
        }
        self.word.push(ch);
        false
    }

    /// One character of a flag inside the quote `q` (`next` as in [`FlagScan::word_char`]).
    fn quoted_char(&mut self, q: char, ch: char, s: &str, next: &mut usize) {
        if ch == q {
            self.phase = Phase::Word;
            return;
        }
        if ch == '\\' {
            self.escaped(s, next);
            return;
        }
        self.word.push(ch);
    }

    /// The character after a `\` (at `next`) goes in as it is; a `\` at the end of the input
    /// is dropped.
    fn escaped(&mut self, s: &str, next: &mut usize) {
        match char_at(s, *next) {
            Some(c) => {
                self.word.push(c);
                *next += c.len_utf8();
            }
            None => self.phase = Phase::Word,
        }
    }

    /// The flag read up to `hi`: borrowed from the text when it is written there as it is (no
    /// quotes or escapes), which is nearly always, so that the buffer is reused for the next
    /// flag and no string is made.
    fn take_word(&mut self, hi: usize) -> Cow<'a, str> {
        match self.text.get(self.word_lo..hi) {
            Some(written) if written == self.word => {
                self.word.clear();
                Cow::Borrowed(written)
            }
            _ => Cow::Owned(std::mem::take(&mut self.word)),
        }
    }

    /// The flags at the end of the input, the word being read kept unless it
    /// is a bare `--`.
    fn finish(mut self, hi: usize) -> Vec<Word<'a>> {
        if self.phase != Phase::Spaces
            && self.word != "--"
            && (self.blank_ok || !self.word.is_empty())
        {
            let value = self.take_word(hi);
            self.flags.push(Word {
                value,
                lo: self.word_lo,
                hi,
            });
        }
        self.flags
    }
}

/// Upstream's `parseWords` (ENV, LABEL, ARG): split on whitespace outside
/// quotes; quotes and escapes are kept in the words; an escape char at the
/// very end is dropped.
pub(crate) fn parse_words(text: &str, lo: usize, hi: usize, escape: char) -> Vec<Word<'_>> {
    let s = text.get(lo..hi).unwrap_or("");
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    // Quotes and escapes stay in the word, so its value is the text as written: the word read
    // so far is `s[start..end]`, and the characters are only looked at, never copied one by one.
    let (mut start, mut end) = (0, 0);
    let mut blank_ok = false;
    let word = |start: usize, end: usize| Word {
        value: Cow::Borrowed(s.get(start..end).unwrap_or("")),
        lo: lo + start,
        hi: lo + end,
    };
    let mut i = 0;
    while let Some(ch) = char_at(s, i) {
        let mut next = i + ch.len_utf8();
        if phase == Phase::Spaces {
            if is_white(ch) {
                i = next;
                continue;
            }
            phase = Phase::Word;
            (start, end) = (i, i);
        }
        match phase {
            Phase::Word => {
                if is_white(ch) {
                    phase = Phase::Spaces;
                    if blank_ok || end > start {
                        words.push(word(start, end));
                    }
                    blank_ok = false;
                    i = next;
                    continue;
                }
                if ch == '\'' || ch == '"' {
                    phase = Phase::Quote(ch);
                    blank_ok = true;
                }
                if ch == escape {
                    match char_at(s, next) {
                        // An escape at the very end is dropped.
                        None => {
                            i = next;
                            continue;
                        }
                        Some(c) => next += c.len_utf8(),
                    }
                }
            }
            Phase::Quote(q) => {
                if ch == q {
                    phase = Phase::Word;
                }
                if ch == escape && q != '\'' {
                    match char_at(s, next) {
                        None => {
                            phase = Phase::Word;
                            i = next;
                            continue;
                        }
                        Some(c) => next += c.len_utf8(),
                    }
                }
            }
            Phase::Spaces => {}
        }
        end = next;
        i = next;
    }
    if phase != Phase::Spaces && (blank_ok || end > start) {
        words.push(word(start, end));
    }
    words
}

/// The character at byte `i` of `s` (ASCII without decoding: a call per character otherwise
/// in the image's size-optimized build).
fn char_at(s: &str, i: usize) -> Option<char> {
    let b = *s.as_bytes().get(i)?;
    if b.is_ascii() {
        return Some(char::from(b));
    }
    s.get(i..)?.chars().next()
}

/// `char::is_whitespace`, deciding ASCII in place.
fn is_white(ch: char) -> bool {
    match u8::try_from(ch) {
        Ok(b) if b.is_ascii() => is_white_byte(b),
        _ => ch.is_whitespace(),
    }
}

/// An ASCII byte that `char::is_whitespace` takes (tab to carriage return, space); unlike
/// `u8::is_ascii_whitespace`, the vertical tab too.
pub(crate) fn is_white_byte(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

/// `text[lo..hi]` split on runs of `[\t\v\f\r ]`; nothing for an empty range.
pub(crate) fn split_blanks(text: &str, lo: usize, hi: usize) -> Vec<Word<'_>> {
    let s = text.get(lo..hi).unwrap_or("");
    if s.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_blank = false;
    // Over the bytes: a blank is ASCII, so it starts a character.
    for (i, &c) in s.as_bytes().iter().enumerate() {
        if is_blank_byte(c) {
            if !in_blank {
                out.push(Word::raw(text, lo + start, lo + i));
                in_blank = true;
            }
        } else if in_blank {
            start = i;
            in_blank = false;
        }
    }
    if in_blank {
        out.push(Word::raw(text, hi, hi));
    } else {
        out.push(Word::raw(text, lo + start, hi));
    }
    out
}

/// The argument nodes of one instruction.
#[derive(Debug, Default)]
pub(crate) struct Args<'a> {
    pub args: Vec<Word<'a>>,
    pub json: bool,
    pub errors: Vec<ArgError>,
}

/// Outcome of trying the JSON (exec) form.
enum Json<'a> {
    /// Not a valid JSON array: use the other form.
    No,
    Strings(Vec<Word<'a>>),
    /// A valid array with a non-string element at this range.
    NonString(usize, usize),
}

/// Ranges of the top-level elements of a JSON array known to be valid.
fn json_element_ranges(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = s.find('[').map_or(b.len(), |p| p + 1);
    let skip_ws = |mut i: usize| {
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
        i
    };
    loop {
        i = skip_ws(i);
        if i >= b.len() || b[i] == b']' {
            return out;
        }
        let start = i;
        let mut depth = 0usize;
        while i < b.len() {
            match b[i] {
                b'"' => {
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                    if depth == 0 {
                        break;
                    }
                    continue;
                }
                b'[' | b'{' => depth += 1,
                b']' | b'}' if depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        i += 1;
                        break;
                    }
                }
                b',' | b']' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => break,
                _ => {}
            }
            i += 1;
        }
        let end = i.min(b.len());
        out.push((start, end));
        i = skip_ws(end);
        if i < b.len() && b[i] == b',' {
            i += 1;
        }
    }
}

fn parse_json<'a>(text: &str, lo: usize, hi: usize) -> Json<'a> {
    let s = text.get(lo..hi).unwrap_or("");
    let t = s.trim_start();
    if !t.starts_with('[') {
        return Json::No;
    }
    let Ok(values) = serde_json::from_str::<Vec<serde_json::Value>>(t) else {
        return Json::No;
    };
    let base = lo + (s.len() - t.len());
    let ranges = json_element_ranges(t);
    let mut out = Vec::with_capacity(values.len());
    for (idx, v) in values.into_iter().enumerate() {
        let (a, b) = ranges.get(idx).copied().unwrap_or((0, t.len()));
        match v {
            serde_json::Value::String(value) => out.push(Word {
                value: Cow::Owned(value),
                lo: base + a,
                hi: base + b,
            }),
            _ => return Json::NonString(base + a, base + b),
        }
    }
    Json::Strings(out)
}

fn json_or<'a>(
    text: &str,
    lo: usize,
    hi: usize,
    fallback: impl FnOnce() -> Vec<Word<'a>>,
) -> Args<'a> {
    match parse_json(text, lo, hi) {
        Json::Strings(args) => Args {
            args,
            json: true,
            errors: Vec::new(),
        },
        Json::NonString(a, b) => Args {
            args: Vec::new(),
            json: true,
            errors: vec![ArgError {
                kind: SyntaxErrorKind::JsonNotString,
                lo: a,
                hi: b,
            }],
        },
        Json::No => Args {
            args: fallback(),
            json: false,
            errors: Vec::new(),
        },
    }
}

/// RUN, CMD, ENTRYPOINT, SHELL: JSON form or the rest as one string.
pub(crate) fn maybe_json(text: &str, lo: usize, hi: usize) -> Args<'_> {
    if lo >= hi {
        return Args::default();
    }
    json_or(text, lo, hi, || vec![Word::raw(text, lo, hi)])
}

/// ADD, COPY, VOLUME: JSON form or whitespace-split words.
pub(crate) fn maybe_json_to_list(text: &str, lo: usize, hi: usize) -> Args<'_> {
    json_or(text, lo, hi, || split_blanks(text, lo, hi))
}

/// MAINTAINER, USER, WORKDIR, STOPSIGNAL: the rest as one string.
pub(crate) fn single(text: &str, lo: usize, hi: usize) -> Args<'_> {
    let args = if lo < hi {
        vec![Word::raw(text, lo, hi)]
    } else {
        Vec::new()
    };
    Args {
        args,
        ..Args::default()
    }
}

/// FROM, EXPOSE: whitespace-split words.
pub(crate) fn whitespace_list(text: &str, lo: usize, hi: usize) -> Args<'_> {
    Args {
        args: split_blanks(text, lo, hi),
        ..Args::default()
    }
}

/// ARG: one raw shell-ish word each.
pub(crate) fn name_or_name_val(text: &str, lo: usize, hi: usize, escape: char) -> Args<'_> {
    Args {
        args: parse_words(text, lo, hi, escape),
        ..Args::default()
    }
}

/// ENV, LABEL: `key value sep` triples, legacy `KEY value` or `k=v ...`.
pub(crate) fn name_val<'a>(
    text: &'a str,
    lo: usize,
    hi: usize,
    escape: char,
    instr: &str,
) -> Args<'a> {
    let words = parse_words(text, lo, hi, escape);
    let mut out = Args::default();
    let Some(first) = words.first() else {
        return out;
    };
    if !first.value.as_bytes().contains(&b'=') {
        let s = text.get(lo..hi).unwrap_or("");
        let Some(k_len) = s.find(is_blank) else {
            out.errors.push(ArgError {
                kind: SyntaxErrorKind::MissingValue {
                    instruction: instr.to_string(),
                },
                lo,
                hi,
            });
            out.args.push(Word::raw(text, lo, hi));
            return out;
        };
        let v_off = s[k_len..]
            .find(|c: char| !is_blank(c))
            .map_or(s.len(), |i| k_len + i);
        out.args.push(Word::raw(text, lo, lo + k_len));
        out.args.push(Word::raw(text, lo + v_off, hi));
        out.args.push(Word::raw(text, lo + k_len, lo + k_len));
        return out;
    }
    // A key, a value and a separator per word.
    out.args.reserve(3 * words.len());
    for w in words {
        let Some(eq) = w.value.bytes().position(|b| b == b'=') else {
            out.errors.push(ArgError {
                kind: SyntaxErrorKind::MissingEquals {
                    instruction: instr.to_string(),
                    word: w.value.to_string(),
                },
                lo: w.lo,
                hi: w.hi,
            });
            continue;
        };
        // Parts of a word read from the line are parts of the line.
        let (key, value) = match &w.value {
            Cow::Borrowed(s) => (Cow::Borrowed(&s[..eq]), Cow::Borrowed(&s[eq + 1..])),
            Cow::Owned(s) => (
                Cow::Owned(s[..eq].to_string()),
                Cow::Owned(s[eq + 1..].to_string()),
            ),
        };
        let eq_pos = w.lo + eq;
        out.args.push(Word {
            value: key,
            lo: w.lo,
            hi: eq_pos,
        });
        out.args.push(Word {
            value,
            lo: eq_pos + 1,
            hi: w.hi.max(eq_pos + 1),
        });
        out.args.push(Word {
            value: Cow::Borrowed("="),
            lo: eq_pos,
            hi: eq_pos + 1,
        });
    }
    out
}

/// HEALTHCHECK: the first word (type), then the rest like CMD.
pub(crate) fn health(text: &str, lo: usize, hi: usize) -> Args<'_> {
    let s = text.get(lo..hi).unwrap_or("");
    let sep = s
        .find(|c: char| c.is_ascii_whitespace() || c == '\x0b')
        .unwrap_or(s.len());
    if sep == 0 {
        return Args::default();
    }
    let next = s[sep..]
        .find(|c: char| !(c.is_ascii_whitespace() || c == '\x0b'))
        .map_or(s.len(), |i| sep + i);
    let mut out = maybe_json(text, lo + next, hi);
    out.args.insert(0, Word::raw(text, lo, lo + sep));
    out
}

#[cfg(test)]
#[path = "args_tests.rs"]
mod tests;
