//! Shell-word lexing and variable expansion with the semantics of upstream
//! BuildKit's `frontend/dockerfile/shell/lex.go`.
//!
//! A [`Lexer`] processes one word of a Dockerfile instruction: it removes
//! quotes, handles escapes and expands `$name` / `${name…}` against an
//! [`Env`]. [`Lexer::process_word`] returns one string (upstream
//! `ProcessWord`); [`Lexer::process_words`] also splits the result into words
//! on unquoted whitespace (upstream `ProcessWords`). Both report which
//! variables were found (`matched`) and which were referenced but not defined
//! (`unmatched`; the build-check rules that need it are not written yet).
//!
//! Supported forms: `$a`, `${a}`, `${a:-w}`, `${a-w}`, `${a:+w}`, `${a+w}`,
//! `${a:?m}`, `${a?m}`, `${a#p}`, `${a##p}`, `${a%p}`, `${a%%p}`, `${a/p/r}`,
//! `${a//p/r}`; `$1`/`$12` (all leading digits form the name); the special
//! one-character names `$@ $* $# $? $- $$ $! $0`. A `$` not followed by a name
//! is literal. `'…'` is literal; inside `"…"` the escape character escapes only
//! `"`, `$` and itself. Outside quotes it escapes any character, and a
//! trailing lone escape is dropped.
//!
//! Upstream quirks kept on purpose (see the module's tests):
//! - `${a#p}`/`${a%p}` patterns and `${a/p/r}` patterns and replacements are
//!   read with "raw escapes": the escape character stays in the text, and
//!   the pattern syntax then always uses `\` as its escape.
//! - `${a//p/r}` treats `$0` in the replacement as the matched text (Go's
//!   `ReplaceAllString` template); `${a/p/r}` splices `r` in literally.
//! - In [`Lexer::process_words`], expanding a `${a<modifier>…}` form drops
//!   the part of the current word collected before it (`a${b:-c}d` splits
//!   to `cd`), because upstream shares one word buffer between nesting
//!   levels.
//! - Unicode letters and digits are name characters (Go's `unicode.IsLetter`
//!   / `IsDigit`; here approximated by Rust's `is_alphabetic`/`is_numeric`
//!   outside ASCII, and only ASCII digits start a positional name).
//!
//! Limits (no panic, no hang on any input): `${` nesting is limited to
//! [`MAX_DEPTH`] levels, the expanded text to [`MAX_OUTPUT`] bytes, and
//! pattern matching to a fixed step budget; each gives a [`WordError`].

mod error;
mod lex;
mod pattern;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use error::{WordError, WordErrorKind};

/// Deepest `${…}` nesting accepted.
pub const MAX_DEPTH: usize = 128;

/// Largest expanded word, in bytes.
pub const MAX_OUTPUT: usize = 16 * 1024 * 1024;

/// Byte-order mark that Go's `text/scanner` skips at the start of its input.
const BOM: char = '\u{FEFF}';

/// Whether `s` starts with [`BOM`], compared as bytes (a `char` prefix is
/// encoded first, for every word).
fn starts_with_bom(s: &str) -> bool {
    s.as_bytes().starts_with("\u{FEFF}".as_bytes())
}

/// Variables visible to an expansion.
pub trait Env {
    /// The value of `name`, or `None` when it is not defined. An empty value
    /// is defined (`${a-x}` keeps it, `${a:-x}` replaces it).
    fn lookup(&self, name: &str) -> Option<&str>;
}

impl Env for BTreeMap<String, String> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl<S: std::hash::BuildHasher> Env for HashMap<String, String, S> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

/// An ordered list of definitions: the last entry of a name wins.
impl Env for [(String, String)] {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An ordered list of definitions: the last entry of a name wins.
impl Env for Vec<(String, String)> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.as_slice().lookup(name)
    }
}

impl<E: Env + ?Sized> Env for &E {
    fn lookup(&self, name: &str) -> Option<&str> {
        (**self).lookup(name)
    }
}

/// An environment where nothing is defined.
#[derive(Clone, Copy, Debug, Default)]
pub struct EmptyEnv;

impl Env for EmptyEnv {
    fn lookup(&self, _name: &str) -> Option<&str> {
        None
    }
}

/// The result of expanding one word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expansion {
    /// The expanded text.
    pub value: String,
    /// Variables that were looked up and found.
    pub matched: BTreeSet<String>,
    /// Variables that were looked up and not found.
    pub unmatched: BTreeSet<String>,
}

/// Word lexer configuration (upstream `shell.Lex`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lexer {
    /// The escape character (`\` or, with `# escape=`` ` ``, a backtick).
    pub escape: char,
    /// Keep quote characters in the result (heredoc detection/display).
    pub raw_quotes: bool,
    /// Keep escape characters in the result.
    pub raw_escapes: bool,
    /// Leave references to unset variables as written (`$a`, `${a:-x}`).
    pub skip_unset_env: bool,
    /// Treat `'` and `"` as ordinary characters.
    pub skip_process_quotes: bool,
}

impl Lexer {
    /// A lexer with `escape` and every option off (upstream's defaults).
    pub fn new(escape: char) -> Self {
        Lexer {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_unset_env: false,
            skip_process_quotes: false,
        }
    }

    /// Expand one word without splitting it (upstream `ProcessWord`).
    pub fn process_word(&self, word: &str, env: &dyn Env) -> Result<Expansion, WordError> {
        if self.is_literal(word) {
            return Ok(Expansion {
                value: word.to_string(),
                ..Expansion::default()
            });
        }
        let out = lex::Expander::new(self, word, env, false, true).run()?;
        Ok(Expansion {
            value: out.value,
            matched: out.matched,
            unmatched: out.unmatched,
        })
    }

    /// Expand one word like [`Lexer::process_word`], without recording the
    /// names looked up (what the converter needs): the word itself, borrowed,
    /// when it has nothing to expand.
    pub fn expand<'w>(&self, word: &'w str, env: &dyn Env) -> Result<Cow<'w, str>, WordError> {
        if self.is_literal(word) {
            return Ok(Cow::Borrowed(word));
        }
        let out = lex::Expander::new(self, word, env, false, false).run()?;
        Ok(Cow::Owned(out.value))
    }

    /// Whether `word` expands to itself: no variable, quote or escape
    /// character (and no byte-order mark to skip). Most words are plain.
    fn is_literal(&self, word: &str) -> bool {
        if starts_with_bom(word) || word.len() > MAX_OUTPUT {
            return false;
        }
        let quotes = !self.skip_process_quotes;
        let special = |c: char| c == '$' || c == self.escape || (quotes && (c == '\'' || c == '"'));
        match u8::try_from(self.escape) {
            // Every character looked for is ASCII, and no byte of a multi-byte character is: the
            // bytes say it without decoding a character at a time (a call per character in the
            // image's size-optimized build; this runs for every word of every instruction).
            Ok(esc) if esc.is_ascii() => !word
                .bytes()
                .any(|b| b == b'$' || b == esc || (quotes && (b == b'\'' || b == b'"'))),
            _ => !word.contains(special),
        }
    }

    /// Expand one word and split the result on unquoted whitespace (upstream
    /// `ProcessWords`). Returns the words, then the matched and unmatched
    /// variable names.
    #[allow(clippy::type_complexity)]
    pub fn process_words(
        &self,
        word: &str,
        env: &dyn Env,
    ) -> Result<(Vec<String>, BTreeSet<String>, BTreeSet<String>), WordError> {
        let out = lex::Expander::new(self, word, env, true, true).run()?;
        Ok((out.words, out.matched, out.unmatched))
    }
}

/// Go's `unicode.IsLetter` (category L), approximated outside ASCII.
fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        c.is_alphabetic() && !c.is_numeric()
    }
}

/// Go's `unicode.IsDigit` (category Nd), approximated outside ASCII.
fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        c.is_numeric()
    }
}

/// A character that may continue a variable name.
fn is_name_char(c: char) -> bool {
    c == '_' || is_letter(c) || is_digit(c)
}
