//! Heredoc words on an instruction line (`<<EOF`, `<<-EOF`, `3<<"EOF"`).
//!
//! Upstream splits the whole logical line into shell words (quotes and
//! escapes kept, `\` as escape char whatever the escape directive says) and
//! takes every word of the shape `[digits]<<[-]WORD` (WORD without `<`) as a
//! heredoc, in order. The bodies are read by the parser loop.

/// A heredoc word found on a line; offsets are into the logical line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HeredocWord {
    pub name: String,
    pub file_descriptor: u32,
    pub expand: bool,
    pub chomp: bool,
    pub lo: usize,
    pub hi: usize,
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

/// Parse one raw word as a heredoc introducer.
fn heredoc_from_word(word: &str) -> Option<(String, u32, bool, bool)> {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    let after = word[digits..].strip_prefix("<<")?;
    let (chomp, rest) = match after.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, after),
    };
    if rest.is_empty() || rest.contains('<') {
        return None;
    }
    let fd = word[..digits].bytes().fold(0u32, |acc, d| {
        acc.saturating_mul(10).saturating_add(u32::from(d - b'0'))
    });
    // The rest must be exactly one word once quotes are processed.
    let ranges = raw_words(rest)?;
    if ranges.len() != 1 {
        return None;
    }
    let name = unquote(rest, false)?;
    let raw = unquote(rest, true)?;
    let expand = quote_count(&name) == quote_count(&raw);
    Some((name, fd, chomp, expand))
}

/// All heredoc words of a logical line, in order.
pub(crate) fn heredocs_in_line(line: &str) -> Vec<HeredocWord> {
    if !line.contains("<<") {
        return Vec::new();
    }
    let Some(words) = raw_words(line) else {
        return Vec::new();
    };
    words
        .into_iter()
        .filter_map(|(lo, hi)| {
            let word = line.get(lo..hi)?;
            let (name, file_descriptor, chomp, expand) = heredoc_from_word(word)?;
            Some(HeredocWord {
                name,
                file_descriptor,
                expand,
                chomp,
                lo,
                hi,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(line: &str) -> Vec<(String, u32, bool, bool)> {
        heredocs_in_line(line)
            .into_iter()
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
}
