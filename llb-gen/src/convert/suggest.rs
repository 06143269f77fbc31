//! "Did you mean" suggestions for stage and image names: the same bounded
//! edit distance as instructions and flags (`ir::suggest`), with at least
//! two edits allowed and no suggestion of the name itself.

/// The candidate closest to `word` (case-insensitive), if it is close enough
/// to be a plausible typo.
pub(super) fn closest(word: &str, candidates: &[String]) -> Option<String> {
    match crate::ir::suggest::nearest(word, candidates.iter().map(String::as_str), 2)? {
        (0, _) => None,
        (_, c) => Some(c.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_near_names() {
        let names = vec!["build".to_string(), "production".to_string()];
        assert_eq!(super::closest("biuld", &names).as_deref(), Some("build"));
        assert_eq!(super::closest("zzzzzz", &names), None);
        assert_eq!(super::closest("BUILD", &names), None);
    }
}
