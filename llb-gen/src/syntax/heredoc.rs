//! Heredoc words on an instruction line (`<<EOF`, `<<-EOF`, `3<<"EOF"`,
//! `<< EOF`).
//!
//! Upstream splits the whole logical line into shell words (quotes and
//! escapes kept, `\` as escape char whatever the escape directive says) and
//! takes every word of the shape `[digits]<<[-][blanks]WORD` (WORD without
//! `<`) as a heredoc, in order. Its word splitter keeps the blanks right
//! after an unquoted `<<` inside the word, so `<< EOF` is one word and a
//! heredoc, while `<<- EOF` is two words and none. The bodies are read by
//! the parser loop.

/// A heredoc word found on a line; offsets are into the logical line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HeredocWord {
    pub name: String,
    pub file_descriptor: u32,
    pub expand: bool,
    pub chomp: bool,
    pub lo: usize,
    pub hi: usize,
    /// Set when the word looks like a heredoc that upstream does not take
    /// as one; its body is still read (so its lines are not instructions)
    /// but the parser reports the problem.
    pub issue: Option<HeredocIssue>,
}

/// A heredoc-looking word that is not a valid heredoc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HeredocIssue {
    /// `<<""` or `<<''`: the terminator is empty.
    EmptyName,
    /// `<<- EOF`: a blank between `<<-` and the word.
    BlankAfterChomp,
}

/// Split `s` into shell words with quotes and escapes kept, returning the
/// byte range of each word. `None` when a quote or `${` is never closed
/// (upstream's lexer fails and the line then has no heredocs).
fn raw_words(s: &str) -> Option<Vec<(usize, usize)>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut start: Option<usize> = None;
    while i < b.len() {
        let c = b[i];
        // Whitespace (ASCII, or the Unicode spaces) ends a word.
        let tail = s.get(i..).unwrap_or("");
        let ws_len = whitespace_len(tail);
        if ws_len > 0 {
            if let Some(st) = start.take() {
                out.push((st, i));
            }
            i += ws_len;
            continue;
        }
        if start.is_none() {
            start = Some(i);
        }
        match c {
            b'\\' => i += 1 + tail[1..].chars().next().map_or(0, char::len_utf8),
            b'\'' => i = i + 1 + tail[1..].find('\'')? + 1,
            b'"' => {
                let mut j = i + 1;
                loop {
                    match b.get(j)? {
                        b'\\' => j += 2,
                        b'"' => break,
                        _ => j += 1,
                    }
                }
                i = j + 1;
            }
            b'$' if b.get(i + 1) == Some(&b'{') => i = i + 2 + tail[2..].find('}')? + 1,
            // Blanks after an unquoted `<<` belong to the word (`<< EOF`).
            b'<' if b.get(i + 1) == Some(&b'<') => {
                i += 2;
                while let n @ 1.. = whitespace_len(s.get(i..).unwrap_or("")) {
                    i += n;
                }
            }
            _ => i += tail.chars().next().map_or(1, char::len_utf8),
        }
    }
    if let Some(st) = start {
        out.push((st, b.len()));
    }
    Some(out)
}

/// Length of the whitespace char at the start of `s`, 0 if none.
fn whitespace_len(s: &str) -> usize {
    match s.chars().next() {
        Some(c) if c.is_whitespace() => c.len_utf8(),
        _ => 0,
    }
}

/// Quote processing of a heredoc word. With `keep_quotes` the quote chars
/// stay (upstream's "raw quotes" mode); escapes are applied in both modes.
/// `None` when a quote is not closed.
fn unquote(s: &str, keep_quotes: bool) -> Option<String> {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' => {
                if let Some(n) = it.next() {
                    out.push(n);
                }
            }
            '\'' => {
                if keep_quotes {
                    out.push('\'');
                }
                loop {
                    match it.next()? {
                        '\'' => break,
                        ch => out.push(ch),
                    }
                }
                if keep_quotes {
                    out.push('\'');
                }
            }
            '"' => {
                if keep_quotes {
                    out.push('"');
                }
                loop {
                    match it.next()? {
                        '"' => break,
                        '\\' => match it.peek() {
                            Some(&n) if matches!(n, '"' | '\\' | '$' | '`') => {
                                out.push(n);
                                it.next();
                            }
                            _ => out.push('\\'),
                        },
                        ch => out.push(ch),
                    }
                }
                if keep_quotes {
                    out.push('"');
                }
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

fn quote_count(s: &str) -> usize {
    s.chars().filter(|&c| c == '\'' || c == '"').count()
}

/// What a heredoc word says, before the body is read.
struct Introducer {
    name: String,
    file_descriptor: u32,
    chomp: bool,
    expand: bool,
}

/// Split `[digits]<<[-]rest` into its parts; `None` when `word` does not
/// have that shape or `rest` holds a `<`.
fn split_marker(word: &str) -> Option<(u32, bool, &str)> {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    let after = word[digits..].strip_prefix("<<")?;
    let (chomp, rest) = match after.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, after),
    };
    if rest.contains('<') {
        return None;
    }
    let fd = word[..digits].bytes().fold(0u32, |acc, d| {
        acc.saturating_mul(10).saturating_add(u32::from(d - b'0'))
    });
    Some((fd, chomp, rest.trim_start()))
}

/// The terminator named by `rest` (after `<<[-]` and its blanks): its
/// unquoted text and whether the body is expanded. `None` unless `rest` is
/// exactly one word once quotes are processed.
fn terminator(rest: &str) -> Option<(String, bool)> {
    let ranges = raw_words(rest)?;
    if ranges.len() != 1 {
        return None;
    }
    let name = unquote(rest, false)?;
    let raw = unquote(rest, true)?;
    let expand = quote_count(&name) == quote_count(&raw);
    Some((name, expand))
}

/// Parse one raw word as a heredoc introducer.
fn heredoc_from_word(word: &str) -> Option<Introducer> {
    let (file_descriptor, chomp, rest) = split_marker(word)?;
    if rest.is_empty() {
        return None;
    }
    let (name, expand) = terminator(rest)?;
    Some(Introducer {
        name,
        file_descriptor,
        chomp,
        expand,
    })
}

/// All heredoc words of a logical line, in order, with the heredoc-looking
/// words upstream rejects (see [`HeredocIssue`]).
pub(crate) fn heredocs_in_line(line: &str) -> Vec<HeredocWord> {
    if !line.contains("<<") {
        return Vec::new();
    }
    let Some(words) = raw_words(line) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, &(lo, hi)) in words.iter().enumerate() {
        let Some(word) = line.get(lo..hi) else {
            continue;
        };
        let found = match heredoc_from_word(word) {
            Some(h) if h.name.is_empty() => Some((h, lo, hi, Some(HeredocIssue::EmptyName))),
            Some(h) => Some((h, lo, hi, None)),
            None => blank_after_chomp(line, word, words.get(k + 1))
                .map(|(h, next_hi)| (h, lo, next_hi, Some(HeredocIssue::BlankAfterChomp))),
        };
        if let Some((h, lo, hi, issue)) = found {
            out.push(HeredocWord {
                name: h.name,
                file_descriptor: h.file_descriptor,
                expand: h.expand,
                chomp: h.chomp,
                lo,
                hi,
                issue,
            });
        }
    }
    out
}

/// `<<- EOF`: the word is a bare `[digits]<<-` and the next word names a
/// terminator. Returns the heredoc a shell would read and the end of the
/// next word.
fn blank_after_chomp(
    line: &str,
    word: &str,
    next: Option<&(usize, usize)>,
) -> Option<(Introducer, usize)> {
    let (file_descriptor, chomp, rest) = split_marker(word)?;
    if !chomp || !rest.is_empty() {
        return None;
    }
    let &(lo, hi) = next?;
    let next_word = line.get(lo..hi)?;
    if next_word.contains('<') {
        return None;
    }
    let (name, expand) = terminator(next_word)?;
    if name.is_empty() {
        return None;
    }
    let h = Introducer {
        name,
        file_descriptor,
        chomp,
        expand,
    };
    Some((h, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(line: &str) -> Vec<(String, u32, bool, bool)> {
        heredocs_in_line(line)
            .into_iter()
            .filter(|h| h.issue.is_none())
            .map(|h| (h.name, h.file_descriptor, h.expand, h.chomp))
            .collect()
    }

    #[test]
    fn heredoc_shapes() {
        assert_eq!(names("RUN <<EOF"), [("EOF".into(), 0, true, false)]);
        assert_eq!(names("RUN <<-'EOF'"), [("EOF".into(), 0, false, true)]);
        assert_eq!(names("RUN 3<<E\"O\"F"), [("EOF".into(), 3, false, false)]);
        assert_eq!(
            names("COPY <<a <<b /dest"),
            [("a".into(), 0, true, false), ("b".into(), 0, true, false)]
        );
        assert!(names("RUN echo '<<EOF'").is_empty());
        assert!(names("RUN cat <<<EOF").is_empty());
        assert!(names("RUN echo don't <<EOF").is_empty());
        assert_eq!(
            names("RUN cat <<EOF>out"),
            [("EOF>out".into(), 0, true, false)]
        );
        assert_eq!(names("RUN <<\\EOF"), [("EOF".into(), 0, true, false)]);
    }

    #[test]
    fn blanks_after_the_marker() {
        let eof = |expand, chomp| vec![("EOF".to_string(), 0, expand, chomp)];
        assert_eq!(names("RUN cat << EOF > /etc/app.conf"), eof(true, false));
        assert_eq!(names("RUN cat <<  EOF"), eof(true, false));
        assert_eq!(names("RUN cat <<\tEOF"), eof(true, false));
        assert_eq!(names("RUN cat << \"EOF\" > f"), eof(false, false));
        assert_eq!(names("RUN 3<< EOF"), [("EOF".into(), 3, true, false)]);
        assert_eq!(names("RUN << -EOF"), [("-EOF".into(), 0, true, false)]);
        // `<< <<EOF` is one word with a `<` in its rest: no heredoc at all.
        assert!(names("RUN cat << <<EOF").is_empty());
        assert!(names("RUN cat <<").is_empty());
        assert!(names("RUN cat <<   ").is_empty());
        assert!(names("RUN cat <<-").is_empty());
        let w = heredocs_in_line("COPY << EOF /x");
        assert_eq!((w[0].lo, w[0].hi), (5, 11));
    }

    #[test]
    fn heredoc_words_upstream_rejects() {
        let issues = |line: &str| -> Vec<(String, bool, Option<HeredocIssue>)> {
            heredocs_in_line(line)
                .into_iter()
                .map(|h| (h.name, h.chomp, h.issue))
                .collect()
        };
        let empty = Some(HeredocIssue::EmptyName);
        assert_eq!(issues("RUN <<\"\""), [(String::new(), false, empty)]);
        assert_eq!(issues("RUN cat <<'' x"), [(String::new(), false, empty)]);
        let blank = Some(HeredocIssue::BlankAfterChomp);
        assert_eq!(issues("RUN cat <<- EOF"), [("EOF".into(), true, blank)]);
        let w = heredocs_in_line("RUN <<- 'EOF' x");
        assert_eq!((w[0].lo, w[0].hi, w[0].expand), (4, 13, false));
        assert_eq!(issues("RUN cat <<- <<EOF"), [("EOF".into(), false, None)]);
        assert!(issues("RUN cat <<-").is_empty());
    }
}
