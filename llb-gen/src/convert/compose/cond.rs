//! IF conditions: parsing and evaluation.
//!
//! ```text
//! expr    := and ( "||" and )*
//! and     := unary ( "&&" unary )*
//! unary   := "!" unary | "(" expr ")" | word [ ("==" | "!=" | "=~") word ]
//! ```
//!
//! A word is a shell word (quotes, `$VAR`, `${VAR:-x}`), expanded like an
//! ARG value. A lone word is true when it is non-empty and neither `0` nor
//! `false`; `=~` matches a shell glob against the whole left side.

use super::glob::Glob;

/// Conditions nest at most this deep (parentheses and `!`).
const MAX_DEPTH: usize = 64;

/// A parsed condition; words keep their offset in the condition text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cond {
    Or(Box<Cond>, Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    Word(CondWord),
    Compare(CondWord, Op, CondWord),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Glob,
}

/// A raw word of a condition and its byte offset in the condition text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CondWord {
    pub(crate) raw: String,
    pub(crate) at: usize,
    pub(crate) len: usize,
}

/// Why a condition does not parse: the byte offset and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CondError {
    pub(crate) at: usize,
    pub(crate) message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Word(CondWord),
    Op(Op),
    And,
    Or,
    Not,
    Open,
    Close,
}

fn err(at: usize, message: impl Into<String>) -> CondError {
    CondError {
        at,
        message: message.into(),
    }
}

/// Splits `text` into tokens.
fn tokens(text: &str) -> Result<Vec<(usize, Tok)>, CondError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let two = b.get(i..i + 2).unwrap_or(&[]);
        let tok = match (b[i], two) {
            (b' ' | b'\t' | b'\r' | b'\n', _) => {
                i += 1;
                continue;
            }
            (_, b"&&") => Some((2, Tok::And)),
            (_, b"||") => Some((2, Tok::Or)),
            (_, b"==") => Some((2, Tok::Op(Op::Eq))),
            (_, b"!=") => Some((2, Tok::Op(Op::Ne))),
            (_, b"=~") => Some((2, Tok::Op(Op::Glob))),
            (b'!', _) => Some((1, Tok::Not)),
            (b'(', _) => Some((1, Tok::Open)),
            (b')', _) => Some((1, Tok::Close)),
            _ => None,
        };
        if let Some((n, tok)) = tok {
            out.push((i, tok));
            i += n;
            continue;
        }
        let end = word_end(text, i)?;
        let raw = text[i..end].to_string();
        out.push((
            i,
            Tok::Word(CondWord {
                raw,
                at: i,
                len: end - i,
            }),
        ));
        i = end;
    }
    Ok(out)
}

/// The end of the word starting at `start`: whitespace, an operator or a
/// parenthesis outside quotes and `${...}` ends it.
fn word_end(text: &str, start: usize) -> Result<usize, CondError> {
    let b = text.as_bytes();
    let mut i = start;
    let mut braces = 0usize;
    while i < b.len() {
        match b[i] {
            q @ (b'"' | b'\'') => {
                let close = text[i + 1..]
                    .char_indices()
                    .scan(false, |escaped, (k, c)| {
                        let hit = c == q as char && !*escaped;
                        *escaped = q == b'"' && c == '\\' && !*escaped;
                        Some((k, hit))
                    })
                    .find(|&(_, hit)| hit)
                    .map(|(k, _)| i + 1 + k);
                i = close.ok_or_else(|| err(i, "a quote that is not closed"))? + 1;
                continue;
            }
            b'\\' => i += 1,
            b'$' if b.get(i + 1) == Some(&b'{') => {
                braces += 1;
                i += 1;
            }
            b'}' if braces > 0 => braces -= 1,
            _ if braces > 0 => {}
            b' ' | b'\t' | b'\r' | b'\n' | b'(' | b')' => break,
            b'&' | b'|' if b.get(i + 1) == Some(&b[i]) => break,
            b'=' | b'!' if matches!(b.get(i + 1), Some(b'=' | b'~')) && b[i] != b'!' => break,
            b'!' if b.get(i + 1) == Some(&b'=') => break,
            _ => {}
        }
        i += 1;
    }
    if braces > 0 {
        return Err(err(start, "`${` without its `}`"));
    }
    Ok(i.min(b.len()))
}

/// Parses a condition.
pub(crate) fn parse(text: &str) -> Result<Cond, CondError> {
    let toks = tokens(text)?;
    if toks.is_empty() {
        return Err(err(0, "a condition after IF"));
    }
    let mut p = Parser {
        toks,
        pos: 0,
        end: text.len(),
        depth: 0,
    };
    let c = p.or()?;
    match p.toks.get(p.pos) {
        None => Ok(c),
        Some((at, Tok::Close)) => Err(err(*at, "a `)` without its `(`")),
        Some((at, _)) => Err(err(*at, "`&&`, `||` or the end of the condition")),
    }
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |(a, _)| *a)
    }

    fn or(&mut self) -> Result<Cond, CondError> {
        let mut left = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            left = Cond::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Cond, CondError> {
        let mut left = self.unary()?;
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            left = Cond::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Cond, CondError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err(
                self.at(),
                format!("at most {MAX_DEPTH} nested `(` and `!`"),
            ));
        }
        let out = self.primary();
        self.depth -= 1;
        out
    }

    fn primary(&mut self) -> Result<Cond, CondError> {
        let at = self.at();
        match self.toks.get(self.pos).map(|(_, t)| t.clone()) {
            Some(Tok::Not) => {
                self.pos += 1;
                Ok(Cond::Not(Box::new(self.unary()?)))
            }
            Some(Tok::Open) => {
                self.pos += 1;
                let inner = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(err(self.at(), "`)` to close the `(`"));
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Tok::Word(w)) => {
                self.pos += 1;
                let Some(Tok::Op(op)) = self.peek().cloned() else {
                    return Ok(Cond::Word(w));
                };
                self.pos += 1;
                match self.toks.get(self.pos).map(|(_, t)| t.clone()) {
                    Some(Tok::Word(r)) => {
                        self.pos += 1;
                        Ok(Cond::Compare(w, op, r))
                    }
                    _ => Err(err(self.at(), "a word after the comparison")),
                }
            }
            Some(Tok::Op(_)) => Err(err(at, "a word before the comparison")),
            _ => Err(err(at, "a word, `!` or `(`")),
        }
    }
}

/// What evaluation needs: how to expand a word (`Err` stops evaluation).
pub(crate) trait Expander {
    /// The value of `word`.
    fn expand(&mut self, word: &CondWord) -> Result<String, ()>;
}

/// Evaluates `c`; `&&` and `||` do not evaluate their right side when the
/// left decides.
pub(crate) fn eval(c: &Cond, x: &mut dyn Expander) -> Result<bool, ()> {
    Ok(match c {
        Cond::Or(a, b) => eval(a, x)? || eval(b, x)?,
        Cond::And(a, b) => eval(a, x)? && eval(b, x)?,
        Cond::Not(a) => !eval(a, x)?,
        Cond::Word(w) => truthy(&x.expand(w)?),
        Cond::Compare(a, op, b) => {
            let (l, r) = (x.expand(a)?, x.expand(b)?);
            match op {
                Op::Eq => l == r,
                Op::Ne => l != r,
                Op::Glob => match Glob::new(&r, false) {
                    Ok(g) => g.matches(&l),
                    Err(_) => l == r,
                },
            }
        }
    })
}

/// A lone word is true when non-empty and not `0` or `false`.
pub(crate) fn truthy(s: &str) -> bool {
    !(s.is_empty() || s == "0" || s.eq_ignore_ascii_case("false"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Vars(BTreeMap<&'static str, &'static str>);
    impl Expander for Vars {
        fn expand(&mut self, w: &CondWord) -> Result<String, ()> {
            let raw = w.raw.trim_matches('"');
            Ok(match raw.strip_prefix('$') {
                Some(n) => {
                    let n = n.trim_start_matches('{').trim_end_matches('}');
                    self.0.get(n).copied().unwrap_or("").to_string()
                }
                None => raw.to_string(),
            })
        }
    }

    fn check(text: &str) -> bool {
        let mut v = Vars(BTreeMap::from([
            ("FLAVOR", "alpine"),
            ("TARGETPLATFORM", "linux/arm64"),
            ("ZERO", "0"),
        ]));
        eval(&parse(text).unwrap(), &mut v).unwrap()
    }

    #[test]
    fn grammar() {
        assert!(check(r#"${FLAVOR} == "alpine""#));
        assert!(!check(r#"${FLAVOR} != "alpine""#));
        assert!(check(r#"${TARGETPLATFORM} =~ "linux/arm*""#));
        assert!(check(r#"$FLAVOR&&!$ZERO"#));
        assert!(!check("$ZERO || $NOPE"));
        assert!(check("!($ZERO || $NOPE) && (x == x)"));
        assert!(check(r#""a b" == "a b""#));
    }

    #[test]
    fn errors_have_columns() {
        let e = |t: &str| parse(t).unwrap_err();
        assert_eq!(e("a ==").at, 4);
        assert_eq!(e("(a == b").at, 7);
        assert_eq!(e("a == b)").at, 6);
        assert_eq!(e("a b").at, 2);
        assert_eq!(e("== b").at, 0);
        assert_eq!(e(r#"a == "b"#).at, 5);
        assert_eq!(e("").at, 0);
        assert!(e(&"(".repeat(1000)).message.contains("nested"));
    }
}
