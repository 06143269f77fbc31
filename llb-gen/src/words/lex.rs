//! The expander: one pass over the word, recursive for `${…}` (bounded by
//! [`MAX_DEPTH`]).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ops::Range;

use super::error::{WordError, WordErrorKind};
use super::pattern::{self, Pattern, STEP_BUDGET};
use super::{is_digit, is_letter, Env, Lexer, BOM, MAX_DEPTH, MAX_OUTPUT};

/// Total bytes appended to all buffers while expanding one word (a value
/// copied through several nesting levels counts once per level).
const MAX_WORK: usize = 16 * MAX_OUTPUT;

/// What [`Expander::run`] returns.
pub(super) struct Output {
    pub value: String,
    pub words: Vec<String>,
    pub matched: BTreeSet<String>,
    pub unmatched: BTreeSet<String>,
}

/// Per-word state (upstream `shellWord`).
pub(super) struct Expander<'a> {
    lx: &'a Lexer,
    src: &'a str,
    pos: usize,
    env: &'a dyn Env,
    /// Whether escape characters are currently kept (dynamically scoped).
    raw_escapes: bool,
    split: bool,
    /// Whether the names looked up are recorded in `matched` and `unmatched`.
    track: bool,
    /// The word being collected by the splitter. Upstream shares one buffer
    /// between all nesting levels and every nested level clears it.
    word_buf: String,
    matched: BTreeSet<String>,
    unmatched: BTreeSet<String>,
    depth: usize,
    work: usize,
    budget: u64,
}

/// Word splitting state of the outermost level (upstream `wordsStruct`).
#[derive(Default)]
struct Words {
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    /// An unquoted character: whitespace ends the current word.
    fn add_char(&mut self, buf: &mut String, c: char) {
        if c.is_whitespace() {
            if self.in_word && !buf.is_empty() {
                self.words.push(std::mem::take(buf));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(buf, c);
        }
    }

    fn add_raw_char(&mut self, buf: &mut String, c: char) {
        buf.push(c);
        self.in_word = true;
    }

    fn add_str(&mut self, buf: &mut String, s: &str) {
        for c in s.chars() {
            self.add_char(buf, c);
        }
    }

    fn add_raw_str(&mut self, buf: &mut String, s: &str) {
        buf.push_str(s);
        self.in_word = true;
    }

    fn finish(mut self, buf: &mut String) -> Vec<String> {
        if !buf.is_empty() {
            self.words.push(std::mem::take(buf));
        }
        self.words
    }
}

/// Why a nested `stop_on` failed.
enum StopError {
    /// The word ended before the stop character.
    Missing,
    Other(WordError),
}

impl From<WordError> for StopError {
    fn from(e: WordError) -> Self {
        StopError::Other(e)
    }
}

impl<'a> Expander<'a> {
    /// An expander of `src`; `split` splits the result into words, `track`
    /// records the names looked up.
    pub(super) fn new(
        lx: &'a Lexer,
        src: &'a str,
        env: &'a dyn Env,
        split: bool,
        track: bool,
    ) -> Self {
        // Go's text/scanner skips a byte-order mark at the start.
        let pos = if super::starts_with_bom(src) {
            BOM.len_utf8()
        } else {
            0
        };
        Expander {
            lx,
            src,
            pos,
            env,
            raw_escapes: lx.raw_escapes,
            split,
            track,
            word_buf: String::new(),
            matched: BTreeSet::new(),
            unmatched: BTreeSet::new(),
            depth: 0,
            work: 0,
            budget: STEP_BUDGET,
        }
    }

    pub(super) fn run(mut self) -> Result<Output, WordError> {
        let mut words = Words::default();
        let splitter = if self.split { Some(&mut words) } else { None };
        let value = match self.stop_on(None, self.lx.raw_escapes, splitter) {
            Ok(v) => v,
            Err(StopError::Other(e)) => return Err(e),
            // Unreachable without a stop character; report it as a brace.
            Err(StopError::Missing) => {
                return Err(WordError::new(WordErrorKind::MissingClosingBrace, 0..0))
            }
        };
        let words = words.finish(&mut self.word_buf);
        Ok(Output {
            value,
            words,
            matched: self.matched,
            unmatched: self.unmatched,
        })
    }

    fn peek(&self) -> Option<char> {
        self.src.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn whole(&self) -> Range<usize> {
        0..self.src.len()
    }

    /// Append `s` to `buf`, enforcing the output and work limits.
    fn push(&mut self, buf: &mut String, s: &str) -> Result<(), WordError> {
        self.work += s.len();
        if buf.len() + s.len() > MAX_OUTPUT || self.work > MAX_WORK {
            return Err(self.too_large());
        }
        buf.push_str(s);
        Ok(())
    }

    /// Copy the characters up to the first `special` one (or the end) to
    /// `buf` in one piece: ordinary text needs no per-character work. With
    /// `ascii`, every special character is ASCII, and the bytes are searched
    /// without decoding characters.
    fn copy_run(
        &mut self,
        buf: &mut String,
        special: impl Fn(char) -> bool,
        ascii: bool,
    ) -> Result<(), WordError> {
        let src = self.src;
        let rest = src.get(self.pos..).unwrap_or("");
        let found = match ascii {
            true => rest
                .bytes()
                .position(|b| b.is_ascii() && special(char::from(b))),
            false => rest.find(special),
        };
        let len = found.unwrap_or(rest.len());
        self.pos += len;
        self.push(buf, &rest[..len])
    }

    fn push_char(&mut self, buf: &mut String, c: char) -> Result<(), WordError> {
        let mut tmp = [0u8; 4];
        self.push(buf, c.encode_utf8(&mut tmp))
    }

    fn too_large(&self) -> WordError {
        WordError::new(
            WordErrorKind::OutputTooLarge { limit: MAX_OUTPUT },
            self.whole(),
        )
    }

    /// Process up to the unquoted, unescaped `stop` character (consumed) or
    /// the end of the word (upstream `processStopOn`). `words` is given only
    /// at the outermost level when splitting.
    fn stop_on(
        &mut self,
        stop: Option<char>,
        raw: bool,
        words: Option<&mut Words>,
    ) -> Result<String, StopError> {
        let saved = std::mem::replace(&mut self.raw_escapes, raw);
        let r = self.stop_on_inner(stop, words);
        self.raw_escapes = saved;
        r
    }

    fn stop_on_inner(
        &mut self,
        stop: Option<char>,
        mut words: Option<&mut Words>,
    ) -> Result<String, StopError> {
        // The whole word's expansion is about as long as the word: made at that size, not grown
        // by copying (nested levels are short and start empty).
        let mut result = match stop {
            None => String::with_capacity(self.src.len().min(MAX_OUTPUT)),
            Some(_) => String::new(),
        };
        while let Some(ch) = self.peek() {
            if stop == Some(ch) {
                self.next();
                return Ok(result);
            }
            let quote = (ch == '\'' || ch == '"') && !self.lx.skip_process_quotes;
            if ch == '$' {
                let v = self.dollar()?;
                self.push(&mut result, &v)?;
                if let Some(w) = words.as_deref_mut() {
                    w.add_str(&mut self.word_buf, &v);
                }
            } else if quote {
                let v = if ch == '\'' {
                    self.single_quote()?
                } else {
                    self.double_quote()?
                };
                self.push(&mut result, &v)?;
                if let Some(w) = words.as_deref_mut() {
                    w.add_raw_str(&mut self.word_buf, &v);
                }
            } else if words.is_some()
                && self
                    .src
                    .get(self.pos..)
                    .is_some_and(|r| r.starts_with("<<"))
            {
                let v = self.heredoc_marker();
                self.push(&mut result, v)?;
                if let Some(w) = words.as_deref_mut() {
                    w.add_raw_str(&mut self.word_buf, v);
                }
            } else if words.is_none() && ch != self.lx.escape {
                let lx = self.lx;
                let ascii = lx.escape.is_ascii() && stop.is_none_or(|c| c.is_ascii());
                let special = |c| {
                    Some(c) == stop
                        || c == '$'
                        || c == lx.escape
                        || ((c == '\'' || c == '"') && !lx.skip_process_quotes)
                };
                self.copy_run(&mut result, special, ascii)?;
            } else {
                self.next();
                let mut c = ch;
                if ch == self.lx.escape {
                    if self.raw_escapes {
                        if let Some(w) = words.as_deref_mut() {
                            w.add_raw_char(&mut self.word_buf, ch);
                        }
                        self.push_char(&mut result, ch)?;
                    }
                    // The escape escapes the next character; alone at the
                    // end it is dropped.
                    let Some(n) = self.next() else { break };
                    c = n;
                    if let Some(w) = words.as_deref_mut() {
                        w.add_raw_char(&mut self.word_buf, n);
                    }
                } else if let Some(w) = words.as_deref_mut() {
                    w.add_char(&mut self.word_buf, ch);
                }
                self.push_char(&mut result, c)?;
            }
        }
        match stop {
            Some(_) => Err(StopError::Missing),
            None => Ok(result),
        }
    }

    /// An unquoted `<<` and the blanks after it, which stay in the word
    /// (`<< EOF` is one word, as upstream splits it for heredocs).
    fn heredoc_marker(&mut self) -> &'a str {
        let src = self.src;
        let start = self.pos;
        self.pos += 2;
        while let Some(c) = self.peek().filter(|c| c.is_whitespace()) {
            self.pos += c.len_utf8();
        }
        &src[start..self.pos]
    }

    fn single_quote(&mut self) -> Result<String, WordError> {
        let open = self.pos;
        self.next();
        let rest = self.src.get(self.pos..).unwrap_or("");
        let Some(len) = rest.find('\'') else {
            return Err(WordError::new(
                WordErrorKind::UnterminatedQuote { quote: '\'' },
                open..open + 1,
            ));
        };
        let mut out = String::new();
        if self.lx.raw_quotes {
            out.push('\'');
        }
        self.push(&mut out, &rest[..len])?;
        if self.lx.raw_quotes {
            out.push('\'');
        }
        self.pos += len + 1;
        Ok(out)
    }

    fn double_quote(&mut self) -> Result<String, WordError> {
        let open = self.pos;
        self.next();
        let mut out = String::new();
        if self.lx.raw_quotes {
            out.push('"');
        }
        loop {
            match self.peek() {
                None => {
                    return Err(WordError::new(
                        WordErrorKind::UnterminatedQuote { quote: '"' },
                        open..open + 1,
                    ))
                }
                Some('"') => {
                    self.next();
                    if self.lx.raw_quotes {
                        out.push('"');
                    }
                    return Ok(out);
                }
                Some('$') => {
                    let v = self.dollar()?;
                    self.push(&mut out, &v)?;
                }
                Some(c) if c != self.lx.escape => {
                    let esc = self.lx.escape;
                    let special = |c| c == '"' || c == '$' || c == esc;
                    self.copy_run(&mut out, special, esc.is_ascii())?;
                }
                Some(_) => {
                    let Some(mut ch) = self.next() else { continue };
                    if ch == self.lx.escape {
                        if self.raw_escapes {
                            self.push_char(&mut out, ch)?;
                        }
                        match self.peek() {
                            // A trailing escape is dropped (then the quote
                            // is reported as unterminated).
                            None => continue,
                            Some(n) if n == '"' || n == '$' || n == self.lx.escape => {
                                self.next();
                                ch = n;
                            }
                            // Other escapes stay literal.
                            Some(_) => {}
                        }
                    }
                    self.push_char(&mut out, ch)?;
                }
            }
        }
    }

    /// Read a variable name (upstream `processName`): all leading digits,
    /// or one special character, or letters/digits/underscores.
    fn name(&mut self) -> &'a str {
        let start = self.pos;
        let src = self.src;
        let bytes = src.as_bytes();
        match bytes.get(start) {
            Some(b) if b.is_ascii_digit() => {
                while bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    self.pos += 1;
                }
            }
            Some(b'@' | b'*' | b'#' | b'?' | b'-' | b'$' | b'!' | b'0') => self.pos += 1,
            _ => self.name_chars(),
        }
        src.get(start..self.pos).unwrap_or("")
    }

    /// Move past the letters, digits and underscores at the current
    /// position (ASCII ones as bytes, without decoding).
    fn name_chars(&mut self) {
        let bytes = self.src.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            if b == b'_' || b.is_ascii_alphanumeric() {
                self.pos += 1;
                continue;
            }
            match self.peek() {
                Some(c) if !c.is_ascii() && (is_letter(c) || is_digit(c)) => {
                    self.pos += c.len_utf8();
                }
                _ => break,
            }
        }
    }

    /// The value of `name` (borrowed from the environment), the name
    /// recorded as matched or unmatched when tracking.
    fn lookup(&mut self, name: &str) -> Option<&'a str> {
        let env: &'a dyn Env = self.env;
        let value = env.lookup(name);
        if self.track {
            let names = match value {
                Some(_) => &mut self.matched,
                None => &mut self.unmatched,
            };
            if !names.contains(name) {
                names.insert(name.to_owned());
            }
        }
        value
    }

    /// `$…` at the current position (upstream `processDollar`).
    /// A variable's value is borrowed from the environment.
    fn dollar(&mut self) -> Result<Cow<'a, str>, WordError> {
        let start = self.pos;
        self.next();
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok(Cow::Borrowed("$"));
            }
            return Ok(match self.lookup(name) {
                Some(v) => Cow::Borrowed(v),
                None if self.lx.skip_unset_env => Cow::Owned(format!("${name}")),
                None => Cow::Borrowed(""),
            });
        }
        self.next();
        match self.peek() {
            None => {
                return Err(WordError::new(
                    WordErrorKind::MissingClosingBrace,
                    start..self.pos,
                ))
            }
            Some('{' | '}' | ':') => {
                return Err(WordError::new(
                    WordErrorKind::BadSubstitution,
                    start..self.pos + 1,
                ))
            }
            Some(_) => {}
        }
        if self.depth >= MAX_DEPTH {
            return Err(WordError::new(
                WordErrorKind::TooDeeplyNested { limit: MAX_DEPTH },
                start..start + 2,
            ));
        }
        self.depth += 1;
        let r = self.braced(start);
        self.depth -= 1;
        r
    }

    /// The rest of `${name…}` after `${`.
    fn braced(&mut self, start: usize) -> Result<Cow<'a, str>, WordError> {
        let opened = start..start + 2;
        let name = self.name();
        let mod_start = self.pos;
        let Some(ch) = self.next() else {
            return Err(WordError::new(WordErrorKind::MissingClosingBrace, opened));
        };
        match ch {
            '}' => Ok(match self.lookup(name) {
                Some(v) => Cow::Borrowed(v),
                None if self.lx.skip_unset_env => Cow::Owned(format!("${{{name}}}")),
                None => Cow::Borrowed(""),
            }),
            ':' | '+' | '-' | '?' | '#' | '%' => self
                .braced_modifier(name, ch, mod_start, start)
                .map(Cow::Owned),
            '/' => self.braced_replace(name, start).map(Cow::Owned),
            other => Err(WordError::new(
                WordErrorKind::UnsupportedModifier {
                    modifier: other.to_string(),
                },
                mod_start..mod_start + other.len_utf8(),
            )),
        }
    }

    /// `${name-word}`, `${name:+word}`, `${name?word}`, `${name#pattern}` and
    /// the like, after the modifier's first character `ch` (at `mod_start`).
    fn braced_modifier(
        &mut self,
        name: &str,
        ch: char,
        mod_start: usize,
        start: usize,
    ) -> Result<String, WordError> {
        let opened = start..start + 2;
        let colon = ch == ':';
        let op = if colon {
            match self.next() {
                Some(op) => op,
                None => return Err(WordError::new(WordErrorKind::MissingClosingBrace, opened)),
            }
        } else {
            ch
        };
        let mod_range = mod_start..self.pos;
        let modifier = self.src.get(mod_range.clone()).unwrap_or("").to_owned();
        let pattern_mode = op == '#' || op == '%';
        if colon && pattern_mode {
            return Err(WordError::new(
                WordErrorKind::UnsupportedModifier { modifier },
                mod_range,
            ));
        }
        let word = self.nested(
            '}',
            pattern_mode,
            &opened,
            WordErrorKind::MissingClosingBrace,
        )?;
        let value = self.lookup(name);
        let Some(value) = value else {
            if self.lx.skip_unset_env {
                return Ok(format!("${{{name}{modifier}{word}}}"));
            }
            return self.unset_modifier(name, op, word, modifier, mod_range, start);
        };
        let empty = colon && value.is_empty();
        match op {
            '-' => Ok(if empty { word } else { value.to_owned() }),
            '+' => Ok(if empty { String::new() } else { word }),
            '?' if empty => Err(self.required(name, word, "is not allowed to be empty", start)),
            '?' => Ok(value.to_owned()),
            '#' | '%' => self.trim(op, &word, value, start),
            _ => Err(WordError::new(
                WordErrorKind::UnsupportedModifier { modifier },
                mod_range,
            )),
        }
    }

    /// `${name/pattern/replacement}` and `${name//pattern/replacement}`,
    /// after the first `/`.
    fn braced_replace(&mut self, name: &str, start: usize) -> Result<String, WordError> {
        let opened = start..start + 2;
        let replace_all = self.peek() == Some('/');
        if replace_all {
            self.next();
        }
        let pattern = self.nested('/', true, &opened, WordErrorKind::MissingPatternEnd)?;
        let replacement = self.nested('}', true, &opened, WordErrorKind::MissingClosingBrace)?;
        let Some(value) = self.lookup(name) else {
            if self.lx.skip_unset_env {
                return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
            }
            return self.replace(&pattern, "", &replacement, replace_all, start);
        };
        self.replace(&pattern, value, &replacement, replace_all, start)
    }

    /// A nested word up to `stop`; the end of the word there is `missing`.
    fn nested(
        &mut self,
        stop: char,
        raw: bool,
        opened: &Range<usize>,
        missing: WordErrorKind,
    ) -> Result<String, WordError> {
        // Upstream's nested levels reset the shared word buffer.
        self.word_buf.clear();
        match self.stop_on(Some(stop), raw, None) {
            Ok(w) => Ok(w),
            Err(StopError::Missing) => Err(WordError::new(missing, opened.clone())),
            Err(StopError::Other(e)) => Err(e),
        }
    }

    /// A modifier applied to an unset variable.
    fn unset_modifier(
        &mut self,
        name: &str,
        op: char,
        word: String,
        modifier: String,
        mod_range: Range<usize>,
        start: usize,
    ) -> Result<String, WordError> {
        match op {
            '-' => Ok(word),
            '+' => Ok(String::new()),
            '?' => Err(self.required(name, word, "is not allowed to be unset", start)),
            '#' | '%' => self.trim(op, &word, "", start),
            _ => Err(WordError::new(
                WordErrorKind::UnsupportedModifier { modifier },
                mod_range,
            )),
        }
    }

    fn required(&self, name: &str, word: String, default: &str, start: usize) -> WordError {
        let msg = if word.is_empty() {
            default.to_owned()
        } else {
            word
        };
        WordError::new(
            WordErrorKind::UnsetOrEmpty {
                name: name.to_owned(),
                msg,
            },
            start..self.pos,
        )
    }

    fn invalid_pattern(&self, pattern: &str, reason: String, start: usize) -> WordError {
        WordError::new(
            WordErrorKind::InvalidPattern {
                pattern: pattern.to_owned(),
                reason,
            },
            start..self.pos,
        )
    }

    fn too_complex(&self, start: usize) -> WordError {
        WordError::new(WordErrorKind::PatternTooComplex, start..self.pos)
    }

    /// `${a#p}`, `${a##p}`, `${a%p}`, `${a%%p}`; `word` still holds the
    /// doubled operator for the longest forms.
    fn trim(
        &mut self,
        op: char,
        word: &str,
        value: &str,
        start: usize,
    ) -> Result<String, WordError> {
        let (greedy, pat) = match word.strip_prefix(op) {
            Some(rest) => (true, rest),
            None => (false, word),
        };
        if op == '#' {
            let p = Pattern::parse(pat, greedy).map_err(|r| self.invalid_pattern(pat, r, start))?;
            return pattern::trim_prefix(&p, value, &mut self.budget)
                .map_err(|_| self.too_complex(start));
        }
        // Shortest/longest suffix: match the reversed pattern at the start
        // of the reversed value.
        let rpat = pattern::reverse_pattern(pat);
        let p = Pattern::parse(&rpat, greedy).map_err(|r| self.invalid_pattern(&rpat, r, start))?;
        let rvalue: String = value.chars().rev().collect();
        let trimmed = pattern::trim_prefix(&p, &rvalue, &mut self.budget)
            .map_err(|_| self.too_complex(start))?;
        Ok(trimmed.chars().rev().collect())
    }

    /// `${a/p/r}` and `${a//p/r}`.
    fn replace(
        &mut self,
        pat: &str,
        value: &str,
        replacement: &str,
        all: bool,
        start: usize,
    ) -> Result<String, WordError> {
        let p = Pattern::parse(pat, true).map_err(|r| self.invalid_pattern(pat, r, start))?;
        let out = if all {
            pattern::replace_all(&p, value, replacement, MAX_OUTPUT, &mut self.budget)
                .map_err(|_| self.too_complex(start))?
                .ok_or_else(|| self.too_large())?
        } else {
            pattern::replace_first(&p, value, replacement, &mut self.budget)
                .map_err(|_| self.too_complex(start))?
        };
        if out.len() > MAX_OUTPUT {
            return Err(self.too_large());
        }
        Ok(out)
    }
}
