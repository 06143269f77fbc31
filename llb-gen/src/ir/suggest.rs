//! "Did you mean ...?" suggestions for misspelled instructions, flags and
//! mount keys (the equivalent of upstream's `util/suggest`).

/// Longest word (in chars) that gets a suggestion. The distance costs the
/// product of two lengths per candidate: a 2,000-character `--target`
/// against 9,000 long stage names took 46 s before this cap. Nobody types
/// a longer name by hand.
pub(crate) const MAX_SUGGEST_CHARS: usize = 128;

/// The candidate closest to `input` (case-insensitive), if it is close enough
/// to be a plausible typo: at most one edit for short words, about a third of
/// the word for longer ones. Transpositions count as one edit.
pub(crate) fn suggest<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    nearest(input, candidates.iter().copied(), 1).map(|(_, c)| c)
}

/// The candidate closest to `input` (case-insensitive) within
/// `max(len / 3, min_allowed)` edits, with its distance (0 for the same word
/// in another case, which wins at once). `None` for an empty or overlong
/// input. Candidates whose length alone rules them out are skipped, and
/// each distance stops as soon as it exceeds the best one so far.
pub(crate) fn nearest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    min_allowed: usize,
) -> Option<(usize, &'a str)> {
    let input: Vec<char> = input.to_lowercase().chars().collect();
    if input.is_empty() || input.len() > MAX_SUGGEST_CHARS {
        return None;
    }
    let mut allowed = (input.len() / 3).max(min_allowed);
    let mut best: Option<(usize, &'a str)> = None;
    let mut cand_chars = Vec::new();
    for cand in candidates {
        cand_chars.clear();
        cand_chars.extend(
            cand.chars()
                .take(input.len() + allowed + 1)
                .flat_map(char::to_lowercase),
        );
        if cand_chars.len().abs_diff(input.len()) > allowed {
            continue;
        }
        let Some(dist) = bounded_distance(&input, &cand_chars, allowed) else {
            continue;
        };
        if dist == 0 {
            return Some((0, cand));
        }
        if best.is_none_or(|(d, _)| dist < d) {
            best = Some((dist, cand));
            // Only a strictly closer candidate can replace it.
            allowed = dist - 1;
        }
    }
    best
}

/// Optimal string alignment distance (Levenshtein plus adjacent swaps).
#[cfg(test)]
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    bounded_distance(&a, &b, usize::MAX).unwrap_or(usize::MAX)
}

/// The distance of `a` and `b` if it is at most `max`; stops at the first
/// row whose every cell exceeds `max`.
fn bounded_distance(a: &[char], b: &[char], max: usize) -> Option<usize> {
    let w = b.len() + 1;
    // Three rows: two back (for transpositions), one back, current.
    let mut rows = [vec![0usize; w], (0..w).collect::<Vec<_>>(), vec![0usize; w]];
    for i in 1..=a.len() {
        rows.rotate_left(1);
        let [older, prev, cur] = &mut rows;
        cur[0] = i;
        let mut row_min = i;
        for j in 1..w {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(older[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
    }
    let d = rows[2][w - 1];
    let d = if a.is_empty() { b.len() } else { d };
    (d <= max).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("form", "from"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn suggests_close_words_only() {
        let cands = ["FROM", "RUN", "COPY", "ENTRYPOINT"];
        assert_eq!(suggest("FORM", &cands), Some("FROM"));
        assert_eq!(suggest("rnu", &cands), Some("RUN"));
        assert_eq!(suggest("entrypont", &cands), Some("ENTRYPOINT"));
        assert_eq!(suggest("xyzzy", &cands), None);
        assert_eq!(suggest("", &cands), None);
    }

    #[test]
    fn bounded_distance_agrees_with_the_full_one_within_the_bound() {
        let words = [
            "", "a", "ab", "ba", "form", "from", "kitten", "sitting", "abcdef", "azced",
        ];
        for a in words {
            for b in words {
                let full = edit_distance(a, b);
                let (ac, bc): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                for max in 0..8 {
                    let want = (full <= max).then_some(full);
                    assert_eq!(bounded_distance(&ac, &bc, max), want, "{a:?} {b:?} {max}");
                }
            }
        }
    }

    #[test]
    fn overlong_inputs_get_no_suggestion_and_long_ones_still_do() {
        let names: Vec<String> = (0..2_000)
            .map(|i| format!("{}{i}", "s".repeat(1_000)))
            .collect();
        let over = "s".repeat(MAX_SUGGEST_CHARS + 1);
        assert_eq!(nearest(&over, names.iter().map(String::as_str), 2), None);
        let near: Vec<String> = (0..2_000)
            .map(|i| format!("{}{i:04}", "s".repeat(96)))
            .collect();
        let typo = format!("{}0x12", "s".repeat(96));
        assert_eq!(
            nearest(&typo, near.iter().map(String::as_str), 2).map(|(d, _)| d),
            Some(1)
        );
    }
}
