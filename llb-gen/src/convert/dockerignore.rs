//! `.dockerignore` files: the exclude patterns of a local source.

/// Parse `.dockerignore` text into patterns (moby's `ignorefile.ReadAll`):
/// comments and blank lines dropped, whitespace trimmed, paths cleaned, a
/// leading `/` removed; `!` exceptions kept.
pub(crate) fn parse(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let mut pattern = line.trim();
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = pattern[1..].trim();
        }
        if pattern.is_empty() {
            continue;
        }
        let mut cleaned = crate::path::clean(pattern);
        if cleaned.len() > 1 && cleaned.starts_with('/') {
            cleaned.remove(0);
        }
        out.push(if invert {
            format!("!{cleaned}")
        } else {
            cleaned
        });
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn dockerignore_patterns() {
        let text = "\u{feff}# comment\n\n  node_modules  \n/build/\n!keep/../keep.txt\n./a//b\n/\n";
        assert_eq!(
            super::parse(text),
            ["node_modules", "build", "!keep.txt", "a/b", "/"]
        );
    }

    #[test]
    fn comments_blanks_exceptions_and_leading_slashes() {
        let text = "\u{feff}# comment\n\n  node_modules  \n!/keep/./me\n/abs\n*.tmp\n";
        assert_eq!(
            super::parse(text),
            ["node_modules", "!keep/me", "abs", "*.tmp"]
        );
    }
}
