//! Snapshot tests of the syntax layer: a readable AST dump with spans for
//! `tests/fixtures/parse/ok/*.Dockerfile`, and the rendered diagnostics for
//! `tests/fixtures/parse/err/*.Dockerfile` (one test and one snapshot per file).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use testkit::{Failed, Trial};

use llb_gen::diagnostic::{render, render_all, SourceFile};
use llb_gen::syntax::{self, ast::Node};
use llb_gen::text::TextRange;

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/parse")
        .join(kind);
    testkit::files_ending(&dir, ".Dockerfile")
}

fn main() {
    let ok = fixtures("ok");
    let err = fixtures("err");
    let mut trials = vec![
        Trial::test("fixture_count", {
            let (ok, err) = (ok.len(), err.len());
            move || {
                if ok < 4 || err < 20 {
                    return Err(format!("only {ok} ok and {err} error fixtures").into());
                }
                Ok(())
            }
        }),
        Trial::test("over_long_line_is_a_located_error", || {
            over_long_line_is_a_located_error();
            Ok(())
        }),
    ];
    trials.extend(testkit::file_trials(
        "ast",
        &ok,
        ".Dockerfile",
        ast_snapshot,
    ));
    trials.extend(testkit::file_trials(
        "diagnostics",
        &err,
        ".Dockerfile",
        diagnostic_snapshot,
    ));
    testkit::run(trials)
}

/// `@start..end "source text"` for a span.
fn at(src: &str, span: TextRange) -> String {
    let slice = src.get(span.as_usize()).unwrap_or("<not a char range>");
    format!("@{span:?} {slice:?}")
}

fn tree_node(out: &mut String, src: &str, node: &Node, indent: &str) {
    let _ = writeln!(
        out,
        "{indent}{} lines {}-{} json={} {}",
        node.keyword_lower(),
        node.start_line,
        node.end_line,
        node.json,
        at(src, node.span)
    );
    let _ = writeln!(
        out,
        "{indent}  keyword {:?} {}",
        node.keyword.value,
        at(src, node.keyword.span)
    );
    for f in &node.flags {
        let _ = writeln!(out, "{indent}  flag {:?} {}", f.value, at(src, f.span));
    }
    for a in &node.args {
        let _ = writeln!(out, "{indent}  arg {:?} {}", a.value, at(src, a.span));
    }
    let _ = writeln!(
        out,
        "{indent}  rest {:?} {}",
        node.rest().value,
        at(src, node.rest_span)
    );
    let _ = writeln!(out, "{indent}  original {:?}", node.original);
    if !node.prev_comment.is_empty() {
        let _ = writeln!(out, "{indent}  prev_comment {:?}", node.prev_comment);
    }
    for h in &node.heredocs {
        let _ = writeln!(
            out,
            "{indent}  heredoc {:?} fd={} expand={} chomp={} word {} body {}",
            h.name,
            h.file_descriptor,
            h.expand,
            h.chomp,
            at(src, h.word_span),
            at(src, h.body_span)
        );
        let _ = writeln!(out, "{indent}    content {:?}", h.content);
    }
    if let Some(sub) = &node.sub {
        tree_node(out, src, sub, &format!("{indent}  sub "));
    }
}

/// A readable dump of everything the parser returns, every span shown with
/// the source text it covers.
fn tree(src: &str) -> String {
    let parsed = syntax::parse(src);
    let df = &parsed.dockerfile;
    let mut out = String::new();
    let _ = writeln!(out, "escape {:?}", df.escape);
    for d in &df.directives {
        let _ = writeln!(
            out,
            "directive {} = {:?} {} value {}",
            d.key,
            d.value,
            at(src, d.span),
            at(src, d.value_span)
        );
    }
    for n in &df.nodes {
        tree_node(&mut out, src, n, "");
    }
    for w in &df.warnings {
        let _ = writeln!(
            out,
            "warning {} {:?} {}",
            w.code,
            w.message,
            at(src, w.span)
        );
    }
    for e in &parsed.errors {
        let _ = writeln!(out, "error {e}");
    }
    let _ = writeln!(out, "dump:\n{}", syntax::dump(df));
    out
}

fn ast_snapshot(path: &Path, stem: &str) -> Result<(), Failed> {
    let src = std::fs::read_to_string(path).expect("utf-8 fixture");
    let parsed = syntax::parse(&src);
    if !parsed.errors.is_empty() {
        return Err(format!("{}: {:?}", path.display(), parsed.errors).into());
    }
    insta::assert_snapshot!(format!("ast_{stem}"), tree(&src));
    Ok(())
}

fn rendered_errors(name: &str, bytes: &[u8]) -> String {
    let parsed = syntax::parse_bytes(bytes);
    assert!(!parsed.errors.is_empty(), "{name}: no error");
    let file = SourceFile::new(name, syntax::source_text(bytes));
    let diags: Vec<_> = parsed.errors.iter().map(|e| e.to_diagnostic()).collect();
    render_all(&diags, &file)
}

fn diagnostic_snapshot(path: &Path, stem: &str) -> Result<(), Failed> {
    let bytes = std::fs::read(path).expect("fixture");
    let name = format!("{stem}.Dockerfile");
    insta::assert_snapshot!(format!("err_{stem}"), rendered_errors(&name, &bytes));
    Ok(())
}

fn over_long_line_is_a_located_error() {
    let long = "x".repeat(70_000);
    let src = format!("FROM alpine\nRUN echo {long}\nRUN echo ok\n");
    let parsed = syntax::parse(&src);
    assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
    let e = &parsed.errors[0];
    assert_eq!(e.span, TextRange::from_usize(12, 12 + 9 + 70_000));
    let file = SourceFile::new("Dockerfile", src.clone());
    let text = render(&e.to_diagnostic(), &file);
    let head: Vec<&str> = text.lines().take(2).collect();
    insta::assert_snapshot!("err_over_long_line_head", head.join("\n"));
    // The tree is still complete.
    assert_eq!(parsed.dockerfile.nodes.len(), 3);
}
