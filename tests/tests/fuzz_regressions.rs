//! Regression tests for the fuzz targets in `fuzz/` (see docs/fuzzing.md).
//!
//! Each input that ever failed a target is kept in `tests/fixtures/fuzz/`
//! (named `<target>-<what>.Dockerfile`) or inline below, and replayed here
//! through the same checks the fuzz targets make, so the crash stays fixed
//! without needing nightly or libFuzzer. One test per fixture file.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::{Path, PathBuf};

use llb_gen::convert::{convert_dockerfile_bytes, ConvertOptions, OfflineResolver};
use llb_gen::words::Lexer;
use testkit::Trial;

/// `fuzz_targets/parse.rs`: no panic, spans inside the input.
fn check_parse(data: &[u8]) {
    let parsed = llb_gen::syntax::parse_bytes(data);
    for e in &parsed.errors {
        assert!(e.span.start <= e.span.end && (e.span.end as usize) <= data.len());
        let _ = e.to_diagnostic();
    }
    let _ = llb_gen::syntax::dump(&parsed.dockerfile);
}

/// `fuzz_targets/words.rs`: no panic or hang in any lexer mode.
fn check_words(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env: Vec<(String, String)> = vec![
        ("A".into(), "a".into()),
        ("EMPTY".into(), String::new()),
        ("SPACES".into(), "x y  z".into()),
    ];
    for mode in 0..32u32 {
        let mut lexer = Lexer::new(if mode & 1 == 0 { '\\' } else { '`' });
        lexer.raw_quotes = mode & 2 != 0;
        lexer.raw_escapes = mode & 4 != 0;
        lexer.skip_unset_env = mode & 8 != 0;
        lexer.skip_process_quotes = mode & 16 != 0;
        let _ = lexer.process_word(text, &env);
        let _ = lexer.process_words(text, &env);
    }
}

/// `fuzz_targets/convert.rs`: no panic, diagnostics inside the input.
fn check_convert(data: &[u8]) -> bool {
    match convert_dockerfile_bytes(data, &ConvertOptions::default(), &OfflineResolver) {
        Ok(_) => true,
        Err(diags) => {
            for d in diags {
                assert!((d.span.end as usize) <= data.len(), "{d:?}");
            }
            false
        }
    }
}

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz");
    let files = testkit::entries(&dir, Path::is_file);
    let count = files.len();
    let mut trials = vec![
        Trial::test("fixture_count", move || {
            if count == 0 {
                return Err("no fuzz regression fixtures".into());
            }
            Ok(())
        }),
        Trial::test("scratch_target_converts_to_an_empty_definition", || {
            scratch_target_converts_to_an_empty_definition();
            Ok(())
        }),
        Trial::test("edge_inputs_do_not_panic", || {
            edge_inputs_do_not_panic();
            Ok(())
        }),
    ];
    // One test per fixture (whatever its extension), through every target's checks.
    trials.extend(testkit::file_trials("fixture", &files, "", |path, _| {
        let data = std::fs::read(path).unwrap();
        check_parse(&data);
        check_words(&data);
        check_convert(&data);
        Ok(())
    }));
    testkit::run(trials)
}

/// Found by the convert target (a harness bug, not a converter bug): a
/// `FROM scratch` target converts to a Definition without ops, as
/// upstream's; the target no longer asserts a non-empty Definition.
fn scratch_target_converts_to_an_empty_definition() {
    let data = b"ARG GO_IMAGE=golang:latest\nFROM ${GO_IMAGE} AS go\nFROM scratch\n";
    assert!(check_convert(data));
}

/// Small inputs at the edges the targets exercise most: lone escapes,
/// unterminated expansions and heredocs, invalid UTF-8, a BOM.
fn edge_inputs_do_not_panic() {
    let cases: [&[u8]; 12] = [
        b"",
        b"\\",
        b"${",
        b"${a:-${b",
        b"FROM a\nRUN <<EOF",
        b"FROM a\nRUN <<-\"EOF\"\n\tx\n",
        b"\xef\xbb\xbfFROM a\n",
        b"FROM a\xff\xfe\nRUN x\n",
        b"# escape=`\nFROM a\nRUN x `\n",
        b"FROM a\nONBUILD ONBUILD RUN x\n",
        b"FROM a\nCOPY <<A <<B /\nA\nB\n",
        b"FROM a\nRUN --mount=type=secret,id=${x:?err} x\n",
    ];
    for data in cases {
        check_parse(data);
        check_words(data);
        check_convert(data);
    }
}
