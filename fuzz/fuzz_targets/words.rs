//! The word expander never panics or hangs, with either escape character,
//! in both single-word and word-splitting mode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llb_gen::words::Lexer;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env: Vec<(String, String)> = [
        ("A", "a"),
        ("EMPTY", ""),
        ("SPACES", "x y  z"),
        ("PATH", "/usr/local/bin:/usr/bin"),
        ("GLOB", "*?[a-z]\\"),
        ("DOLLAR", "$A ${A}"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    // First byte picks the lexer configuration so both escapes and the raw
    // modes are covered.
    let (mode, word) = match text.chars().next() {
        Some(c) => (c as u32, &text[c.len_utf8()..]),
        None => (0, text),
    };
    let mut lexer = Lexer::new(if mode & 1 == 0 { '\\' } else { '`' });
    lexer.raw_quotes = mode & 2 != 0;
    lexer.raw_escapes = mode & 4 != 0;
    lexer.skip_unset_env = mode & 8 != 0;
    lexer.skip_process_quotes = mode & 16 != 0;
    let _ = lexer.process_word(word, &env);
    let _ = lexer.process_words(word, &env);
});
