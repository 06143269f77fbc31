//! The `tests` crate is its test targets (`tests/tests/*.rs`); what they share
//! lives in `tests/testkit` (the corpus rule, one test per fixture) and
//! `tests/tests/common` (the fixture image resolver and host).
