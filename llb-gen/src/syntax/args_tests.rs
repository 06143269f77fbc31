use super::*;

/// `parse_words` as it was written first, character by character into a `String`: the
/// oracle for the version that slices the text.
fn words_by_chars(s: &str, escape: char) -> Vec<(String, usize, usize)> {
    let (mut words, mut word, mut phase) = (Vec::new(), String::new(), Phase::Spaces);
    let (mut word_lo, mut word_hi, mut blank_ok) = (0, 0, false);
    let mut it = s.char_indices().peekable();
    while let Some((i, mut ch)) = it.next() {
        if phase == Phase::Spaces {
            if ch.is_whitespace() {
                continue;
            }
            (phase, word_lo) = (Phase::Word, i);
        }
        let escaped = match phase {
            Phase::Word if ch.is_whitespace() => {
                if blank_ok || !word.is_empty() {
                    words.push((std::mem::take(&mut word), word_lo, word_hi));
                }
                (phase, blank_ok) = (Phase::Spaces, false);
                continue;
            }
            Phase::Word => {
                if ch == '\'' || ch == '"' {
                    (phase, blank_ok) = (Phase::Quote(ch), true);
                }
                ch == escape
            }
            Phase::Quote(q) => {
                if ch == q {
                    phase = Phase::Word;
                }
                ch == escape && q != '\''
            }
            Phase::Spaces => false,
        };
        if escaped {
            match it.next() {
                None => {
                    phase = if phase == Phase::Spaces {
                        phase
                    } else {
                        Phase::Word
                    };
                    continue;
                }
                Some((_, next)) => {
                    word.push(ch);
                    ch = next;
                }
            }
        }
        word.push(ch);
        word_hi = it.peek().map_or(s.len(), |&(j, _)| j);
    }
    if phase != Phase::Spaces && (blank_ok || !word.is_empty()) {
        words.push((word, word_lo, word_hi));
    }
    words
}

/// `extract_flags` as it was written first, character by character: the oracle for the
/// version that takes runs of plain characters at once.
fn flags_by_chars(s: &str) -> (usize, Vec<(String, usize, usize)>) {
    let (mut flags, mut word, mut phase) = (Vec::new(), String::new(), Phase::Spaces);
    let (mut word_lo, mut blank_ok) = (0, false);
    let mut it = s.char_indices().peekable();
    let flag = |w: &str, lo, hi| (w.to_string(), lo, hi);
    loop {
        let Some((i, ch)) = it.next() else {
            if phase != Phase::Spaces && word != "--" && (blank_ok || !word.is_empty()) {
                flags.push(flag(&word, word_lo, s.len()));
            }
            return (s.len(), flags);
        };
        if phase == Phase::Spaces {
            if ch.is_whitespace() {
                continue;
            }
            if !s[i..].starts_with("--") {
                return (i, flags);
            }
            (phase, word_lo) = (Phase::Word, i);
        }
        match phase {
            Phase::Word if ch.is_whitespace() => {
                if word == "--" {
                    return (i, flags);
                }
                if blank_ok || !word.is_empty() {
                    flags.push(flag(&word, word_lo, i));
                }
                (phase, blank_ok) = (Phase::Spaces, false);
                word.clear();
            }
            Phase::Word if ch == '\'' || ch == '"' => (phase, blank_ok) = (Phase::Quote(ch), true),
            Phase::Quote(q) if ch == q => phase = Phase::Word,
            Phase::Word | Phase::Quote(_) if ch == '\\' => match it.next() {
                Some((_, next)) => word.push(next),
                None => phase = Phase::Word,
            },
            _ => word.push(ch),
        }
    }
}

/// Calls `check` with every string of up to five characters of `alphabet`.
fn every_short_string(alphabet: &[char], mut check: impl FnMut(&str)) {
    let mut text = String::new();
    for n in 0..=5u32 {
        for mut code in 0..alphabet.len().pow(n) {
            text.clear();
            for _ in 0..n {
                text.push(alphabet[code % alphabet.len()]);
                code /= alphabet.len();
            }
            check(&text);
        }
    }
}

/// The character-wise readings the byte-wise `trim_range` and `split_blanks` replaced.
fn trim_by_chars(s: &str) -> (usize, usize) {
    let start = s.len() - s.trim_start().len();
    (start, s.trim_end().len().max(start))
}

fn blanks_by_chars(s: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    if s.is_empty() {
        return out;
    }
    let (mut start, mut in_blank) = (0, false);
    for (i, c) in s.char_indices() {
        if is_blank(c) {
            if !in_blank {
                out.push((s[start..i].to_string(), start, i));
                in_blank = true;
            }
        } else if in_blank {
            (start, in_blank) = (i, false);
        }
    }
    let last = if in_blank { s.len() } else { start };
    out.push((s[last..].to_string(), last, s.len()));
    out
}

#[test]
fn trims_and_blank_splits_over_bytes_are_the_ones_by_characters() {
    let alphabet = [' ', '\t', '\x0b', 'a', 'é', '\u{a0}', '\u{2003}', '\u{85}'];
    every_short_string(&alphabet, |text| {
        assert_eq!(
            trim_range(text, 0, text.len()),
            trim_by_chars(text),
            "{text:?}"
        );
        let got: Vec<_> = split_blanks(text, 0, text.len())
            .into_iter()
            .map(|w| (w.value.into_owned(), w.lo, w.hi))
            .collect();
        assert_eq!(got, blanks_by_chars(text), "{text:?}");
        let kw = split_command(text, 0, text.len())
            .keyword
            .value
            .into_owned();
        let (a, b) = trim_by_chars(text);
        let line = &text[a..b];
        assert_eq!(
            kw,
            line[..line.find(is_blank).unwrap_or(line.len())],
            "{text:?}"
        );
    });
}

#[test]
fn flags_read_in_runs_are_the_flags_read_by_characters() {
    let alphabet = [' ', '-', 'a', '\'', '"', '\\', 'é', '\u{a0}', '='];
    every_short_string(&alphabet, |tail| {
        for head in ["", "--", " --x=", "--a '"] {
            let text = format!("{head}{tail}");
            let (rest, flags) = extract_flags(&text, 0, text.len());
            let got: Vec<_> = flags
                .into_iter()
                .map(|w| (w.value.into_owned(), w.lo, w.hi))
                .collect();
            assert_eq!((rest, got), flags_by_chars(&text), "{text:?}");
        }
    });
}

#[test]
fn words_read_by_slices_are_the_words_read_by_characters() {
    let alphabet = [' ', '\t', 'a', '\'', '"', '\\', '`', 'é', '\u{a0}', '='];
    every_short_string(&alphabet, |text| {
        for escape in ['\\', '`'] {
            let got: Vec<_> = parse_words(text, 0, text.len(), escape)
                .into_iter()
                .map(|w| (w.value.into_owned(), w.lo, w.hi))
                .collect();
            assert_eq!(got, words_by_chars(text, escape), "{text:?} {escape:?}");
        }
    });
}

fn vals<'a>(ws: &'a [Word<'_>]) -> Vec<&'a str> {
    ws.iter().map(|w| w.value.as_ref()).collect()
}

#[test]
fn flags_quirks() {
    let t = "RUN --mount=type=cache,target=/x --network none echo hi";
    let c = split_command(t, 0, t.len());
    assert_eq!(c.keyword.value, "RUN");
    assert_eq!(
        vals(&c.flags),
        ["--mount=type=cache,target=/x", "--network"]
    );
    assert_eq!(&t[c.rest_lo..c.rest_hi], "none echo hi");
    let t = "COPY --chmod=\"7 55\" a b";
    let c = split_command(t, 0, t.len());
    assert_eq!(vals(&c.flags), ["--chmod=7 55"]);
    assert_eq!(&t[c.flags[0].lo..c.flags[0].hi], "--chmod=\"7 55\"");
    assert_eq!(&t[c.rest_lo..c.rest_hi], "a b");
    let t = "RUN -- --x";
    let c = split_command(t, 0, t.len());
    assert!(c.flags.is_empty());
    assert_eq!(&t[c.rest_lo..c.rest_hi], "--x");
}

#[test]
fn words_keep_quotes() {
    let t = r#"abc="123 456" def 'a b'\ c x\"#;
    let w = parse_words(t, 0, t.len(), '\\');
    assert_eq!(vals(&w), [r#"abc="123 456""#, "def", r"'a b'\ c", "x"]);
    assert_eq!(&t[w[2].lo..w[2].hi], r"'a b'\ c");
}

#[test]
fn json_ranges() {
    let t = r#"[ "a\"b", "c" ]"#;
    match parse_json(t, 0, t.len()) {
        Json::Strings(w) => {
            assert_eq!(vals(&w), ["a\"b", "c"]);
            assert_eq!(&t[w[0].lo..w[0].hi], r#""a\"b""#);
            assert_eq!(&t[w[1].lo..w[1].hi], r#""c""#);
        }
        _ => panic!("not json"),
    }
    let t = r#"["echo", ["x"]]"#;
    assert!(matches!(parse_json(t, 0, t.len()), Json::NonString(9, 14)));
}
