//! "Did you mean ...?" suggestions for misspelled instructions, flags and
//! mount keys (the equivalent of upstream's `util/suggest`).

/// The candidate closest to `input` (case-insensitive), if it is close enough
/// to be a plausible typo: at most one edit for short words, about a third of
/// the word for longer ones. Transpositions count as one edit.
pub fn suggest<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let input = input.to_lowercase();
    if input.is_empty() {
        return None;
    }
    let allowed = (input.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for &cand in candidates {
        let dist = edit_distance(&input, &cand.to_lowercase());
        if dist == 0 {
            // Same word in another case: nothing to suggest beyond the candidate.
            return Some(cand);
        }
        if dist <= allowed && best.is_none_or(|(d, _)| dist < d) {
            best = Some((dist, cand));
        }
    }
    best.map(|(_, c)| c)
}

/// Optimal string alignment distance (Levenshtein plus adjacent swaps).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
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
}
