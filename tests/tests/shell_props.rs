//! Property tests for the word lexer: no input panics or hangs, deep nesting
//! is an error, and plain or quoted text comes back unchanged.
//!
//! Cases per run: 1024 for `never_panics` (each input is run through 32
//! lexer configurations), and 256 each for `deep_nesting_is_an_error`,
//! `plain_text_is_unchanged` and `single_quotes_are_literal`: 1792 in all.

use std::collections::BTreeMap;

use llb_gen::words::{Lexer, WordErrorKind, MAX_DEPTH};
use proptest::prelude::*;

/// Strings biased towards the characters the lexer cares about.
fn shellish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(vec![
            "$", "{", "}", ":", "-", "+", "?", "#", "%", "/", "'", "\"", "\\", "`", " ", "\n",
            "*", "A", "B", "x", "0", "1", "@", "=", "${", "${A", "${A:-", "${A//", "${B#", "é", "\u{feff}",
        ])
        .prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn env() -> BTreeMap<String, String> {
    [("A", "a b*c"), ("B", ""), ("x", "$A\\*")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn lexers() -> Vec<Lexer> {
    let mut out = Vec::new();
    for escape in ['\\', '`'] {
        for mode in 0..16u8 {
            let mut lx = Lexer::new(escape);
            lx.raw_quotes = mode & 1 != 0;
            lx.raw_escapes = mode & 2 != 0;
            lx.skip_unset_env = mode & 4 != 0;
            lx.skip_process_quotes = mode & 8 != 0;
            out.push(lx);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn never_panics(input in shellish()) {
        let env = env();
        for lx in lexers() {
            let one = lx.process_word(&input, &env);
            let many = lx.process_words(&input, &env);
            // Both entry points fail on the same inputs.
            prop_assert_eq!(one.is_ok(), many.is_ok());
            if let Err(e) = one {
                prop_assert!(e.range.start <= e.range.end && e.range.end <= input.len(),
                    "range {:?} outside {:?}", e.range, input);
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}

proptest! {
    #[test]
    fn deep_nesting_is_an_error(depth in (MAX_DEPTH + 1)..20_000usize, closed in any::<bool>()) {
        let mut input = "${A:-".repeat(depth);
        if closed {
            input.push_str(&"}".repeat(depth));
        }
        let got = Lexer::new('\\').process_word(&input, &env());
        let too_deep = matches!(
            got.map_err(|e| e.kind),
            Err(WordErrorKind::TooDeeplyNested { .. })
        );
        prop_assert!(too_deep, "depth {} gave no nesting error", depth);
    }

    #[test]
    fn plain_text_is_unchanged(input in "[a-zA-Z0-9 ./_,=-]{0,60}") {
        let lx = Lexer::new('\\');
        let got = lx.process_word(&input, &env()).map(|e| e.value);
        prop_assert_eq!(got.ok(), Some(input.clone()));
        let words = lx.process_words(&input, &env()).map(|w| w.0);
        let want: Vec<String> = input.split_whitespace().map(str::to_owned).collect();
        prop_assert_eq!(words.ok(), Some(want));
    }

    #[test]
    fn single_quotes_are_literal(input in "[^']{0,60}") {
        let lx = Lexer::new('\\');
        let got = lx.process_word(&format!("'{input}'"), &env()).map(|e| e.value);
        prop_assert_eq!(got.ok(), Some(input.clone()));
    }
}
