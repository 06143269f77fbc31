//! Property tests of the syntax layer: no input makes it panic, and every
//! span it returns lies inside the source on character boundaries.

use llb_gen::syntax::{self, ast::Node};
use llb_gen::text::TextRange;
use proptest::prelude::*;

/// Panics (failing the property) when `span` is not a char range of `src`.
fn check_span(src: &str, span: TextRange, what: &str) {
    assert!(span.start <= span.end, "{what}: reversed span {span:?}");
    assert!(
        src.get(span.as_usize()).is_some(),
        "{what}: span {span:?} is not a char range of a {}-byte source",
        src.len()
    );
}

fn check_node(src: &str, n: &Node) {
    check_span(src, n.span, "node");
    check_span(src, n.keyword.span, "keyword");
    check_span(src, n.rest_span, "rest");
    for f in &n.flags {
        check_span(src, f.span, "flag");
    }
    for a in &n.args {
        check_span(src, a.span, "arg");
    }
    for h in &n.heredocs {
        check_span(src, h.word_span, "heredoc word");
        check_span(src, h.body_span, "heredoc body");
    }
    assert!(n.start_line >= 1 && n.start_line <= n.end_line);
    if let Some(sub) = &n.sub {
        check_node(src, sub);
    }
}

fn check_all(src: &str) {
    let parsed = syntax::parse(src);
    let df = &parsed.dockerfile;
    for d in &df.directives {
        check_span(src, d.span, "directive");
        check_span(src, d.value_span, "directive value");
    }
    for n in &df.nodes {
        check_node(src, n);
    }
    for w in &df.warnings {
        check_span(src, w.span, "warning");
    }
    for e in &parsed.errors {
        check_span(src, e.span, "error");
    }
    let _ = syntax::dump(df);
}

/// Fragments that exercise every rule of the line parser.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("FROM a AS b".to_string()),
        Just("RUN ".to_string()),
        Just("COPY ".to_string()),
        Just("ONBUILD ADD ".to_string()),
        Just("ENV ".to_string()),
        Just("LABEL ".to_string()),
        Just("ARG ".to_string()),
        Just("HEALTHCHECK CMD ".to_string()),
        Just("CMD ".to_string()),
        Just("<<EOF".to_string()),
        Just("<<-'E O'".to_string()),
        Just("2<<\"X\"".to_string()),
        Just("EOF".to_string()),
        Just("\tEOF".to_string()),
        Just("[\"a\", \"b\\u00e9\"]".to_string()),
        Just("[1, [2], {\"k\": null}]".to_string()),
        Just("[ \"unterminated".to_string()),
        Just("--mount=type=cache,target=/x".to_string()),
        Just("--".to_string()),
        Just("a=b c=\"d e\" f".to_string()),
        Just("# comment".to_string()),
        Just("# escape=`".to_string()),
        Just("# syntax=x".to_string()),
        Just("#".to_string()),
        Just("\\".to_string()),
        Just("`".to_string()),
        Just("\\\\".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just(" ".to_string()),
        Just("\t".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("${A:-b c}".to_string()),
        Just("é♥\u{a0}\u{2028}".to_string()),
        Just("\u{feff}".to_string()),
        "[a-zA-Z0-9=/.-]{0,8}",
        any::<char>().prop_map(String::from),
    ]
}

fn dockerfile_ish() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..40).prop_map(|v| v.concat())
}

/// Whether every byte that is not UTF-8 is on a comment line or in a
/// heredoc body that keeps its bytes.
fn invalid_bytes_are_allowed(bytes: &[u8], parsed: &syntax::Parsed) -> bool {
    let mut at = 0;
    let bodies: Vec<_> = parsed
        .dockerfile
        .nodes
        .iter()
        .flat_map(|n| &n.heredocs)
        .filter(|h| h.literal_bytes.is_some())
        .map(|h| h.body_span.as_usize())
        .collect();
    for chunk in bytes.utf8_chunks() {
        at += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            let line_start = bytes[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let line = &bytes[line_start..at];
            let comment = line.trim_ascii_start().starts_with(b"#");
            if !comment && !bodies.iter().any(|b| b.contains(&at)) {
                return false;
            }
        }
        at += chunk.invalid().len();
    }
    true
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn dockerfile_ish_text_never_panics_and_spans_are_valid(src in dockerfile_ish()) {
        check_all(&src);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let parsed = syntax::parse_bytes(&bytes);
        let text = syntax::source_text(&bytes);
        prop_assert_eq!(text.len(), bytes.len());
        for n in &parsed.dockerfile.nodes {
            check_node(&text, n);
        }
        for e in &parsed.errors {
            check_span(&text, e.span, "error");
        }
        if std::str::from_utf8(&bytes).is_err() && parsed.errors.is_empty() {
            // Only comments and literal COPY/ADD heredoc bodies may hold
            // bytes that are not UTF-8.
            prop_assert!(invalid_bytes_are_allowed(&bytes, &parsed), "{:?}", text);
        }
    }

    #[test]
    fn arbitrary_strings_never_panic(src in any::<String>()) {
        check_all(&src);
    }
}

#[test]
fn huge_inputs_are_bounded() {
    // A million-line continuation.
    let mut src = String::from("FROM a\nRUN x \\\n");
    for _ in 0..1_000_000 {
        src.push_str("  y \\\n");
    }
    src.push_str("  end\n");
    let parsed = syntax::parse(&src);
    assert!(parsed.errors.is_empty());
    assert_eq!(parsed.dockerfile.nodes.len(), 2);
    assert_eq!(parsed.dockerfile.nodes[1].end_line, 1_000_003);

    // A heredoc of 200,000 lines that never ends.
    let mut src = String::from("FROM a\nRUN <<EOF\n");
    for _ in 0..200_000 {
        src.push_str("echo body line\n");
    }
    let parsed = syntax::parse(&src);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].code(), "unterminated-heredoc");

    // A 100 MB line (reported and cut at the limit) and 200,000 short lines.
    let mut src = "RUN ".to_string() + &"z".repeat(100_000_000) + "\n";
    src.push_str(&"RUN a\n".repeat(200_000));
    // Under the default limits (llb_gen::limits) the file is too large.
    let parsed = syntax::parse(&src);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].code(), "file-too-large");
    // Without the file and instruction limits, the line limit applies.
    let unbounded = llb_gen::limits::Limits {
        max_file_bytes: usize::MAX,
        max_instructions: usize::MAX,
        ..llb_gen::limits::Limits::DEFAULT
    };
    let parsed = syntax::parse_with_limits(&src, &unbounded);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].code(), "line-too-long");
    assert_eq!(parsed.dockerfile.nodes.len(), 200_001);
    assert!(parsed.dockerfile.nodes[0].original.len() < 65_536);
}
