//! The resource policy of `llb_gen::limits`: every limit is enforced at the
//! default value through the public entry points, and each violation is a
//! located error (`Dockerfile:LINE:COL: ...`), never a panic.

#![allow(clippy::unwrap_used)] // tests may unwrap

use llb_gen::convert::{convert_dockerfile, ConvertOptions, OfflineResolver};
use llb_gen::diagnostic::{render, Diagnostic, SourceFile};
use llb_gen::limits::Limits;
use llb_gen::words::{EmptyEnv, Lexer, WordErrorKind};

/// Convert with the defaults; the errors, which must exist.
fn errors_of(text: &str) -> Vec<Diagnostic> {
    match convert_dockerfile(text, &ConvertOptions::default(), &OfflineResolver) {
        Ok(_) => panic!("expected the conversion to fail"),
        Err(d) => d,
    }
}

/// The one diagnostic with `code`, rendered.
fn rendered(text: &str, code: &str) -> String {
    let errors = errors_of(text);
    let d = errors
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("no {code} in {errors:#?}"));
    render(d, &SourceFile::new("Dockerfile", text))
}

#[test]
fn too_many_stages_points_at_the_first_stage_over_the_limit() {
    let max = Limits::DEFAULT.max_stages;
    let text = "FROM scratch\n".repeat(max + 1);
    let out = rendered(&text, "too-many-stages");
    assert!(
        out.contains("too many stages: 10,001 (limit 10,000)"),
        "{out}"
    );
    assert!(out.contains("Dockerfile:10001:1"), "{out}");
    // Exactly at the limit converts.
    let text = "FROM scratch\n".repeat(max);
    assert!(convert_dockerfile(&text, &ConvertOptions::default(), &OfflineResolver).is_ok());
}

#[test]
fn too_many_instructions_stops_the_parser() {
    let max = Limits::DEFAULT.max_instructions;
    let mut text = String::from("FROM scratch\n");
    text.push_str(&"ENV A=1\n".repeat(max));
    let out = rendered(&text, "too-many-instructions");
    assert!(
        out.contains("too many instructions: 100,001 (limit 100,000)"),
        "{out}"
    );
    assert!(out.contains(&format!("Dockerfile:{}:1", max + 1)), "{out}");
    let parsed = llb_gen::syntax::parse(&text);
    assert_eq!(parsed.dockerfile.nodes.len(), max);
}

#[test]
fn too_large_file_is_not_parsed_and_is_located_at_the_limit() {
    let max = Limits::DEFAULT.max_file_bytes;
    let line = "RUN echo 0123456789abcdef0123456789abcdef\n";
    let mut text = String::from("FROM scratch\n");
    while text.len() <= max {
        text.push_str(line);
    }
    let out = rendered(&text, "file-too-large");
    assert!(
        out.contains("file too large: ") && out.contains("(limit 8,388,608 bytes)"),
        "{out}"
    );
    let line_no = 1 + text[..max].matches('\n').count();
    assert!(out.contains(&format!("Dockerfile:{line_no}:")), "{out}");
    assert_eq!(errors_of(&text).len(), 1);
}

#[test]
fn too_large_heredoc_points_at_its_word() {
    let max = Limits::DEFAULT.max_heredoc_bytes;
    let body = "x".repeat(1000) + "\n";
    let mut text = String::from("FROM scratch\nRUN <<EOF\n");
    let mut len = 0;
    while len <= max {
        text.push_str(&body);
        len += body.len();
    }
    text.push_str("EOF\n");
    let out = rendered(&text, "heredoc-too-large");
    assert!(
        out.contains("heredoc too large: ") && out.contains("(limit 4,194,304 bytes)"),
        "{out}"
    );
    assert!(out.contains("Dockerfile:2:5"), "{out}");
    // Just under the limit is accepted.
    let body = body.repeat(max / body.len());
    let text = format!("FROM scratch\nRUN <<EOF\n{body}EOF\n");
    assert!(convert_dockerfile(&text, &ConvertOptions::default(), &OfflineResolver).is_ok());
}

#[test]
fn lower_limits_can_be_chosen_by_the_host() {
    let limits = Limits {
        max_stages: 2,
        max_instructions: 4,
        ..Limits::DEFAULT
    };
    let text = "FROM a\nFROM b\nFROM c\nRUN x\nRUN y\n";
    let parsed = llb_gen::syntax::parse_with_limits(text, &limits);
    let codes: Vec<_> = parsed.errors.iter().map(|e| e.code()).collect();
    assert_eq!(codes, ["too-many-instructions"]);
    let lowered = llb_gen::ir::lower_with_limits(&parsed.dockerfile, &limits);
    let e = &lowered.errors[0];
    assert_eq!(e.to_string_lossy(), "too many stages: 3 (limit 2)");
    assert_eq!(&text[e.span.start as usize..e.span.end as usize], "FROM");
    assert_eq!(e.span.start, 14);
}

#[test]
fn long_lines_keep_the_parsers_own_limit() {
    assert_eq!(Limits::MAX_LINE_BYTES, 65_535);
    let text = format!("FROM scratch\nRUN {}\n", "a".repeat(Limits::MAX_LINE_BYTES));
    let out = rendered(&text, "line-too-long");
    assert!(out.contains("Dockerfile:2:1"), "{out}");
}

#[test]
fn expansion_size_and_depth_keep_the_words_limits() {
    let lexer = Lexer::new('\\');
    let deep = "${a:-".repeat(Limits::MAX_EXPANSION_DEPTH + 1)
        + "x"
        + &"}".repeat(Limits::MAX_EXPANSION_DEPTH + 1);
    let e = lexer.process_word(&deep, &EmptyEnv).unwrap_err();
    assert!(
        matches!(e.kind, WordErrorKind::TooDeeplyNested { limit: 128 }),
        "{e:?}"
    );
    // 2^25 bytes from a 4 MiB value doubling: over the 16 MiB output limit.
    let env = vec![(
        "a".to_string(),
        "x".repeat(Limits::MAX_EXPANSION_BYTES / 2 + 1),
    )];
    let e = lexer.process_word("$a$a", &env).unwrap_err();
    assert!(
        matches!(e.kind, WordErrorKind::OutputTooLarge { .. }),
        "{e:?}"
    );
    // Through the converter: a located error on the instruction.
    let big = "b".repeat(60_000);
    let mut text = format!("FROM scratch\nENV A={big}\n");
    for i in 0..9 {
        text.push_str(&format!("ENV A=$A$A$A$A # {i}\n"));
    }
    text.push_str("RUN echo $A\n");
    let errors = errors_of(&text);
    assert!(!errors.is_empty());
    for d in &errors {
        assert!((d.span.end as usize) <= text.len(), "{d:?}");
    }
}

#[test]
fn json_deeper_than_the_limit_is_not_the_exec_form() {
    let depth = Limits::MAX_JSON_DEPTH + 10;
    let json = "[".repeat(depth) + &"]".repeat(depth);
    let text = format!("FROM scratch\nCMD {json}\n");
    let parsed = llb_gen::syntax::parse(&text);
    let cmd = &parsed.dockerfile.nodes[1];
    assert!(!cmd.json, "deep JSON must fall back to the shell form");
}

/// Helper: the display text of an IR error's kind.
trait Lossy {
    fn to_string_lossy(&self) -> String;
}

impl Lossy for llb_gen::ir::IrError {
    fn to_string_lossy(&self) -> String {
        self.kind.to_string()
    }
}
