//! Whether a `.dockerignore` excludes a path, as moby's `patternmatcher`
//! decides it (`MatchesOrParentMatches`): `*` and `?` within a path
//! element, `**` across elements, `[...]` classes, `\` escapes; a pattern
//! that matches a parent directory excludes what is inside. Used by the
//! `CopyIgnoredFile` check only (the daemon applies the patterns to the
//! transfer itself).

/// One element of a compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    /// A literal character.
    Char(char),
    /// `?`: one character but `/`.
    One,
    /// `*`: any run of characters but `/`.
    Star,
    /// `**` at the end: anything.
    All,
    /// `**/` (or `**` before more): any run of whole elements, or none.
    Dirs,
    /// `[...]`: the set (negated with `^` or `!`).
    Class(bool, Vec<(char, char)>),
}

fn compile(pattern: &str) -> Vec<Tok> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                out.push(if i >= chars.len() {
                    Tok::All
                } else {
                    Tok::Dirs
                });
                continue;
            }
            '*' => out.push(Tok::Star),
            '?' => out.push(Tok::One),
            '\\' if i + 1 < chars.len() => {
                i += 1;
                out.push(Tok::Char(chars[i]));
            }
            '[' => {
                let (tok, next) = class(&chars, i);
                out.push(tok);
                i = next;
                continue;
            }
            c => out.push(Tok::Char(c)),
        }
        i += 1;
    }
    out
}

/// The class starting at `chars[at] == '['`, and where it ends; an
/// unterminated one is a literal `[`.
fn class(chars: &[char], at: usize) -> (Tok, usize) {
    let mut i = at + 1;
    let negated = matches!(chars.get(i), Some('^' | '!'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    while i < chars.len() && (chars[i] != ']' || ranges.is_empty()) {
        let lo = chars[i];
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|c| *c != ']') {
            ranges.push((lo, chars[i + 2]));
            i += 3;
        } else {
            ranges.push((lo, lo));
            i += 1;
        }
    }
    if i >= chars.len() {
        return (Tok::Char('['), at + 1);
    }
    (Tok::Class(negated, ranges), i + 1)
}

/// Whether `toks` match all of `s` (backtracking; patterns are short).
fn matches(toks: &[Tok], s: &[char]) -> bool {
    let Some((first, rest)) = toks.split_first() else {
        return s.is_empty();
    };
    match first {
        Tok::Char(c) => s.first() == Some(c) && matches(rest, &s[1..]),
        Tok::One => s.first().is_some_and(|c| *c != '/') && matches(rest, &s[1..]),
        Tok::Class(neg, ranges) => {
            s.first().is_some_and(|c| {
                *c != '/' && ranges.iter().any(|(lo, hi)| lo <= c && c <= hi) != *neg
            }) && matches(rest, &s[1..])
        }
        Tok::Star => (0..=s.len())
            .take_while(|&n| n == 0 || s[n - 1] != '/')
            .any(|n| matches(rest, &s[n..])),
        Tok::All => true,
        Tok::Dirs => {
            matches(rest, s)
                || (0..s.len())
                    .filter(|&n| s[n] == '/')
                    .any(|n| matches(rest, &s[n + 1..]))
        }
    }
}

/// Whether `patterns` (as [`super::dockerignore::parse`] returns them, `!`
/// exceptions included) exclude `path` or one of its parent directories:
/// the last pattern that matches decides.
pub(crate) fn excluded(patterns: &[String], path: &str) -> bool {
    let path = crate::path::clean(path.trim_start_matches('/'));
    let path = path.trim_start_matches('/');
    let chars: Vec<char> = path.chars().collect();
    let parents: Vec<usize> = (0..chars.len()).filter(|&i| chars[i] == '/').collect();
    let mut out = false;
    for p in patterns {
        let (exception, pattern) = match p.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, p.as_str()),
        };
        if exception != out {
            continue;
        }
        let toks = compile(pattern);
        let hit = matches(&toks, &chars) || parents.iter().any(|&i| matches(&toks, &chars[..i]));
        if hit {
            out = !exception;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pats(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn patterns_as_moby_reads_them() {
        let p = pats(&["*.md", "build/**", "**/secret.txt", "tmp", "a?c", "[xy]z"]);
        for yes in [
            "README.md",
            "build/x/y",
            "secret.txt",
            "deep/er/secret.txt",
            "tmp/a/b",
            "abc",
            "xz",
            "./tmp",
        ] {
            assert!(excluded(&p, yes), "{yes}");
        }
        for no in [
            "docs/README.md",
            "builder",
            "secret.txt.bak",
            "tmpx",
            "a/c",
            "zz",
            "src/main.rs",
        ] {
            assert!(!excluded(&p, no), "{no}");
        }
    }

    #[test]
    fn exceptions_and_order() {
        let p = pats(&["*.md", "!README.md"]);
        assert!(excluded(&p, "CHANGES.md"));
        assert!(!excluded(&p, "README.md"));
        let p = pats(&["!README.md", "*.md"]);
        assert!(excluded(&p, "README.md"));
    }
}
