//! "Did you mean" suggestions by edit distance.

/// The candidate closest to `word` (case-insensitive Levenshtein), if it is
/// close enough to be a plausible typo.
pub fn closest(word: &str, candidates: &[String]) -> Option<String> {
    let w = word.to_ascii_lowercase();
    let mut best: Option<(usize, &String)> = None;
    for c in candidates {
        let d = distance(&w, &c.to_ascii_lowercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let limit = (w.chars().count() / 3).max(2);
    (d > 0 && d <= limit).then(|| c.clone())
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn suggests_near_names() {
        let names = vec!["build".to_string(), "production".to_string()];
        assert_eq!(super::closest("biuld", &names).as_deref(), Some("build"));
        assert_eq!(super::closest("zzzzzz", &names), None);
    }
}
