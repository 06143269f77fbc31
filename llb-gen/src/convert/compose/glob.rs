//! Shell-style glob matching for `IF a =~ "pattern"` and INCLUDE file-name
//! globs: `*` (any run of characters), `?` (one character), `[abc]`,
//! `[a-z]`, `[!x]` (a class), and `\x` (`x` itself). With `path` set, `*`,
//! `?` and classes do not match `/`.
//!
//! Matching is a dynamic programme over (pattern, text) positions: time is
//! bounded by their product and no pattern can make it backtrack.

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Lit(char),
    Any,
    Star,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// A compiled glob.
#[derive(Clone, Debug)]
pub(crate) struct Glob {
    toks: Vec<Tok>,
    path: bool,
}

/// Why a glob does not compile: the character offset and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GlobError {
    pub(crate) offset: usize,
    pub(crate) message: &'static str,
}

impl Glob {
    /// Compiles `pattern`; `path` keeps wildcards from matching `/`.
    pub(crate) fn new(pattern: &str, path: bool) -> Result<Glob, GlobError> {
        let chars: Vec<(usize, char)> = pattern.char_indices().collect();
        let mut toks = Vec::new();
        let mut i = 0;
        while let Some(&(at, c)) = chars.get(i) {
            i += 1;
            toks.push(match c {
                '*' => Tok::Star,
                '?' => Tok::Any,
                '\\' => match chars.get(i) {
                    Some(&(_, n)) => {
                        i += 1;
                        Tok::Lit(n)
                    }
                    None => {
                        return Err(GlobError {
                            offset: at,
                            message: "`\\` at the end of the pattern",
                        })
                    }
                },
                '[' => {
                    let (tok, next) = class(&chars, i).ok_or(GlobError {
                        offset: at,
                        message: "`[` without its `]`",
                    })?;
                    i = next;
                    tok
                }
                c => Tok::Lit(c),
            });
        }
        Ok(Glob { toks, path })
    }

    /// True when the glob has a wildcard (else it names one thing).
    pub(crate) fn is_pattern(pattern: &str) -> bool {
        pattern.contains(['*', '?', '['])
    }

    /// Whether the whole of `text` matches.
    pub(crate) fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        // reach[j]: the pattern prefix so far can end at text position j.
        let mut reach = vec![false; text.len() + 1];
        reach[0] = true;
        for tok in &self.toks {
            let mut next = vec![false; text.len() + 1];
            for j in 0..=text.len() {
                if !reach[j] {
                    continue;
                }
                match tok {
                    Tok::Star => {
                        next[j] = true;
                        let mut k = j;
                        while k < text.len() && !(self.path && text[k] == '/') {
                            k += 1;
                            if next[k] {
                                break;
                            }
                            next[k] = true;
                        }
                    }
                    _ if j < text.len() && self.one(tok, text[j]) => next[j + 1] = true,
                    _ => {}
                }
            }
            reach = next;
        }
        reach[text.len()]
    }

    fn one(&self, tok: &Tok, c: char) -> bool {
        match tok {
            Tok::Lit(l) => *l == c,
            Tok::Any => !(self.path && c == '/'),
            Tok::Class { negated, ranges } => {
                let hit = ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
                hit != *negated && !(self.path && c == '/')
            }
            Tok::Star => false,
        }
    }
}

/// A `[...]` class starting after the `[` at `i`: the token and the index
/// after its `]`.
fn class(chars: &[(usize, char)], mut i: usize) -> Option<(Tok, usize)> {
    let negated = matches!(chars.get(i), Some((_, '!' | '^')));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let &(_, c) = chars.get(i)?;
        i += 1;
        if c == ']' && !first {
            return Some((Tok::Class { negated, ranges }, i));
        }
        first = false;
        let lo = if c == '\\' {
            let &(_, n) = chars.get(i)?;
            i += 1;
            n
        } else {
            c
        };
        let is_range = matches!(chars.get(i), Some((_, '-')))
            && !matches!(chars.get(i + 1), Some((_, ']')) | None);
        if is_range {
            let &(_, hi) = chars.get(i + 1)?;
            i += 2;
            ranges.push((lo, hi));
        } else {
            ranges.push((lo, lo));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Glob::new(p, false).unwrap().matches(t)
    }

    #[test]
    fn wildcards_and_classes() {
        assert!(m("linux/arm*", "linux/arm64"));
        assert!(m("linux/arm*", "linux/arm/v7"));
        assert!(!m("linux/arm*", "linux/amd64"));
        assert!(m("?x", "ax"));
        assert!(!m("?x", "x"));
        assert!(m("[a-c]1", "b1"));
        assert!(!m("[!a-c]1", "b1"));
        assert!(m("[]]", "]"));
        assert!(m("a\\*", "a*"));
        assert!(!m("a\\*", "ab"));
        assert!(m("*", ""));
        assert!(m("", ""));
        assert!(!m("", "a"));
    }

    #[test]
    fn path_wildcards_stop_at_slashes() {
        let g = Glob::new("*.Dockerfile", true).unwrap();
        assert!(g.matches("go.Dockerfile"));
        assert!(!g.matches("a/go.Dockerfile"));
    }

    #[test]
    fn bad_patterns_are_located() {
        assert_eq!(Glob::new("ab[c", false).unwrap_err().offset, 2);
        assert_eq!(Glob::new("ab\\", false).unwrap_err().offset, 2);
    }

    #[test]
    fn pathological_patterns_stay_polynomial() {
        let p = "*a".repeat(200);
        let t = "a".repeat(2000) + "b";
        assert!(!m(&p, &t));
    }
}
