//! Shell patterns of `${a#p}`, `${a%p}` and `${a/p/r}`, matched with the
//! semantics upstream gets from Go's `regexp`: the pattern becomes a regular
//! expression where `*` is `.*` (greedy) or `.*?` (lazy), `?` is `.`, and every
//! other character is literal. Like Go's `.`, neither `*` nor `?` matches a
//! newline. Matches are leftmost-first, as in Go (and Perl).
//!
//! Matching is a Pike VM over the pattern's tokens: `O(len(text) * len(pattern))`
//! per search, never exponential, and bounded by a step budget.

use std::fmt::Write as _;

use super::{is_name_char, BOM};

/// One pattern element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Lit(char),
    /// `?`: any character but `\n`.
    Any,
    /// `*`: any run of characters without `\n`.
    Star,
}

/// A compiled pattern.
#[derive(Clone, Debug)]
pub(crate) struct Pattern {
    toks: Vec<Tok>,
    greedy: bool,
}

/// The step budget ran out.
#[derive(Debug)]
pub(crate) struct Exhausted;

/// Thread steps allowed for all matching done while expanding one word.
pub(crate) const STEP_BUDGET: u64 = 256 * 1024 * 1024;

impl Pattern {
    /// Parse a pattern as upstream does: `\*`, `\?`, `\\` are literal, `\}`
    /// and `\/` drop the backslash, any other escape is an error. The escape
    /// is always `\`, whatever the Dockerfile's escape character. A leading
    /// byte-order mark is ignored (Go's `text/scanner` skips it).
    pub(crate) fn parse(pattern: &str, greedy: bool) -> Result<Pattern, String> {
        let body = pattern.strip_prefix(BOM).unwrap_or(pattern);
        let mut chars = body.chars().peekable();
        let mut toks = Vec::new();
        while let Some(c) = chars.next() {
            let tok = match c {
                '*' => Tok::Star,
                '?' => Tok::Any,
                '\\' => {
                    if matches!(chars.peek(), Some('}' | '/')) {
                        continue;
                    }
                    match chars.next() {
                        Some(n @ ('*' | '?' | '\\')) => Tok::Lit(n),
                        Some(n) => return Err(format!("invalid escape `\\{n}`")),
                        None => return Err("`\\` at the end of the pattern".to_owned()),
                    }
                }
                c => Tok::Lit(c),
            };
            toks.push(tok);
        }
        Ok(Pattern { toks, greedy })
    }

    /// The leftmost-first match in `text` starting at or after byte `from`
    /// (only at `from` when `anchored`), as `(start, end)` byte offsets.
    pub(crate) fn find(
        &self,
        text: &str,
        from: usize,
        anchored: bool,
        budget: &mut u64,
    ) -> Result<Option<(usize, usize)>, Exhausted> {
        let accept = self.toks.len();
        let mut seen = vec![0u64; accept + 1];
        let mut gen = 0u64;
        let mut clist: Vec<Thread> = Vec::new();
        let mut nlist: Vec<Thread> = Vec::new();
        let mut stack: Vec<Step> = Vec::new();
        let mut matched = None;
        let mut pos = from;
        gen += 1;
        loop {
            if matched.is_none() && (!anchored || pos == from) {
                self.add(&mut clist, &mut seen, gen, &mut stack, 0, pos);
            }
            let ch = text.get(pos..).and_then(|s| s.chars().next());
            gen += 1;
            nlist.clear();
            for t in &clist {
                *budget = budget.checked_sub(1).ok_or(Exhausted)?;
                let next = match self.toks.get(t.pc) {
                    None => {
                        // Accept: lower-priority threads are cut off.
                        matched = Some((t.start, pos));
                        break;
                    }
                    Some(Tok::Lit(l)) => (ch == Some(*l)).then_some(t.pc + 1),
                    Some(Tok::Any) => ch.filter(|&c| c != '\n').map(|_| t.pc + 1),
                    Some(Tok::Star) => ch.filter(|&c| c != '\n').map(|_| t.pc),
                };
                if let Some(pc) = next {
                    self.add(&mut nlist, &mut seen, gen, &mut stack, pc, t.start);
                }
            }
            let Some(ch) = ch else { break };
            pos += ch.len_utf8();
            std::mem::swap(&mut clist, &mut nlist);
            if clist.is_empty() && (matched.is_some() || anchored) {
                break;
            }
        }
        Ok(matched)
    }

    /// Add the thread at `pc` and everything reachable by empty moves, in
    /// priority order, to `list`.
    fn add(
        &self,
        list: &mut Vec<Thread>,
        seen: &mut [u64],
        gen: u64,
        stack: &mut Vec<Step>,
        pc: usize,
        start: usize,
    ) {
        stack.clear();
        stack.push(Step::Explore(pc));
        while let Some(step) = stack.pop() {
            match step {
                Step::Emit(pc) => list.push(Thread { pc, start }),
                Step::Explore(pc) => {
                    let Some(mark) = seen.get_mut(pc) else {
                        continue;
                    };
                    if *mark == gen {
                        continue;
                    }
                    *mark = gen;
                    if self.toks.get(pc) == Some(&Tok::Star) {
                        if self.greedy {
                            // Prefer consuming one more character.
                            list.push(Thread { pc, start });
                            stack.push(Step::Explore(pc + 1));
                        } else {
                            // Prefer leaving the star.
                            stack.push(Step::Emit(pc));
                            stack.push(Step::Explore(pc + 1));
                        }
                    } else {
                        list.push(Thread { pc, start });
                    }
                }
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Thread {
    pc: usize,
    start: usize,
}

#[derive(Clone, Copy, Debug)]
enum Step {
    Explore(usize),
    Emit(usize),
}

/// Reverse a pattern for suffix matching, keeping each `\x` escape pair in
/// order (`a\*c` becomes `c\*a`). A lone trailing `\` stays a single token.
pub(crate) fn reverse_pattern(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut toks: Vec<&[char]> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let len = if chars[i] == '\\' && i + 1 < chars.len() {
            2
        } else {
            1
        };
        toks.push(&chars[i..i + len]);
        i += len;
    }
    toks.iter().rev().flat_map(|t| t.iter()).collect()
}

/// Strip the match of `pattern` anchored at the start of `value`.
pub(crate) fn trim_prefix(
    pattern: &Pattern,
    value: &str,
    budget: &mut u64,
) -> Result<String, Exhausted> {
    Ok(match pattern.find(value, 0, true, budget)? {
        Some((_, end)) => value.get(end..).unwrap_or("").to_owned(),
        None => value.to_owned(),
    })
}

/// Replace the first match of `pattern` in `value` by `replacement`, taken
/// literally (upstream splices it in).
pub(crate) fn replace_first(
    pattern: &Pattern,
    value: &str,
    replacement: &str,
    budget: &mut u64,
) -> Result<String, Exhausted> {
    Ok(match pattern.find(value, 0, false, budget)? {
        Some((s, e)) => {
            let mut out = String::with_capacity(value.len() + replacement.len());
            out.push_str(value.get(..s).unwrap_or(""));
            out.push_str(replacement);
            out.push_str(value.get(e..).unwrap_or(""));
            out
        }
        None => value.to_owned(),
    })
}

/// Replace every match as Go's `Regexp.ReplaceAllString` does: matches do
/// not overlap, an empty match right after a match is not replaced, and the
/// replacement is a template where `$0`/`${0}` is the matched text, `$$` is
/// `$`, other `$name`s are empty, and a `$` not followed by a name is kept.
/// Returns `Ok(None)` when the result would exceed `limit` bytes.
pub(crate) fn replace_all(
    pattern: &Pattern,
    value: &str,
    replacement: &str,
    limit: usize,
    budget: &mut u64,
) -> Result<Option<String>, Exhausted> {
    let mut out = String::new();
    let mut last_end = 0;
    let mut search = 0;
    while search <= value.len() {
        let Some((s, e)) = pattern.find(value, search, false, budget)? else {
            break;
        };
        out.push_str(value.get(last_end..s).unwrap_or(""));
        if e > last_end || s == 0 {
            expand_template(&mut out, replacement, value.get(s..e).unwrap_or(""));
        }
        if out.len() > limit {
            return Ok(None);
        }
        last_end = e;
        let width = value
            .get(search..)
            .and_then(|r| r.chars().next())
            .map_or(0, char::len_utf8);
        if search + width > e {
            search += width;
        } else if search + 1 > e {
            search += 1;
        } else {
            search = e;
        }
    }
    out.push_str(value.get(last_end..).unwrap_or(""));
    Ok((out.len() <= limit).then_some(out))
}

/// Go's `Regexp.Expand` for a regexp without capture groups.
fn expand_template(out: &mut String, template: &str, matched: &str) {
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
            continue;
        }
        match extract_name(rest) {
            Some((name, after)) => {
                rest = after;
                // Only group 0 (the whole match) exists; `00` is not a number.
                if name == "0" {
                    out.push_str(matched);
                }
            }
            None => out.push('$'),
        }
    }
    let _ = out.write_str(rest);
}

/// A `name` or `{name}` at the start of `s`, and the text after it.
fn extract_name(s: &str) -> Option<(&str, &str)> {
    let (brace, body) = match s.strip_prefix('{') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let len = body
        .char_indices()
        .find(|&(_, c)| !is_name_char(c))
        .map_or(body.len(), |(i, _)| i);
    if len == 0 {
        return None;
    }
    let (name, after) = body.split_at(len);
    if brace {
        after.strip_prefix('}').map(|a| (name, a))
    } else {
        Some((name, after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(p: &str, greedy: bool, text: &str, anchored: bool) -> Option<(usize, usize)> {
        let pat = Pattern::parse(p, greedy).expect("valid pattern");
        let mut budget = STEP_BUDGET;
        pat.find(text, 0, anchored, &mut budget).expect("budget")
    }

    #[test]
    fn leftmost_first_like_go() {
        assert_eq!(find("*x", false, "axbx", true), Some((0, 2)));
        assert_eq!(find("*x", true, "axbx", true), Some((0, 4)));
        assert_eq!(find("*", false, "abc", true), Some((0, 0)));
        assert_eq!(find("*", true, "abc", true), Some((0, 3)));
        assert_eq!(find("b?", true, "abcb", false), Some((1, 3)));
        assert_eq!(find("z", true, "abc", false), None);
        // `*` and `?` never match a newline, like Go's `.`.
        assert_eq!(find("*", true, "ab\ncd", true), Some((0, 2)));
        assert_eq!(find("a?b", true, "a\nb", false), None);
        assert_eq!(find("\n", true, "a\nb", false), Some((1, 2)));
    }

    #[test]
    fn escapes() {
        assert!(Pattern::parse("\\x", true).is_err());
        assert!(Pattern::parse("\\", true).is_err());
        assert!(Pattern::parse("\\\\\\", true).is_err());
        assert_eq!(find("\\*", true, "a*", false), Some((1, 2)));
        assert_eq!(find("\\}", true, "a}", false), Some((1, 2)));
        assert_eq!(find("[a]", true, "x[a]", false), Some((1, 4)));
    }

    #[test]
    fn reverse_keeps_escape_pairs() {
        assert_eq!(reverse_pattern("a\\*c"), "c\\*a");
        assert_eq!(reverse_pattern("\\\\\\ab"), "b\\a\\\\");
        assert_eq!(reverse_pattern("ab\\"), "\\ba");
        assert_eq!(reverse_pattern("\\\\b"), "b\\\\");
    }

    #[test]
    fn replace_all_template() {
        let pat = Pattern::parse("o", true).expect("valid");
        let mut budget = STEP_BUDGET;
        let r = |repl: &str, budget: &mut u64| {
            replace_all(&pat, "foo", repl, 1 << 20, budget)
                .expect("budget")
                .expect("limit")
        };
        assert_eq!(r("[$0]", &mut budget), "f[o][o]");
        assert_eq!(r("${0}$$", &mut budget), "fo$o$");
        assert_eq!(r("$1x", &mut budget), "f");
        assert_eq!(r("$.", &mut budget), "f$.$.");
        let empty = Pattern::parse("", true).expect("valid");
        let out = replace_all(&empty, "ab", "-", 1 << 20, &mut budget)
            .expect("budget")
            .expect("limit");
        assert_eq!(out, "-a-b-");
    }
}
