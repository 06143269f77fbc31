//! Parser conformance: BuildKit's parser test files and the expected
//! low-level parse of the real-world corpus, read from
//! `../../shared/conformance` at run time (skipped when absent).

#![allow(clippy::print_stdout)] // the SKIP message goes to the test output

use std::path::{Path, PathBuf};

use llb_gen::diagnostic::{render, SourceFile};
use llb_gen::syntax::{self, ast::Node};
use serde_json::Value;

fn conformance_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("SKIP: conformance data not found at {}", dir.display());
        None
    }
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    v
}

#[test]
fn buildkit_testfiles_dump_byte_for_byte() {
    let Some(root) = conformance_dir() else {
        return;
    };
    let mut failures = Vec::new();
    let cases = sorted_dirs(&root.join("buildkit-parser/testfiles"));
    assert_eq!(cases.len(), 33, "expected 33 cases");
    for case in &cases {
        let input = std::fs::read(case.join("Dockerfile")).expect("Dockerfile");
        let want = std::fs::read_to_string(case.join("result")).expect("result");
        let parsed = syntax::parse_bytes(&input);
        let got = format!("{}\n", syntax::dump(&parsed.dockerfile));
        if !parsed.errors.is_empty() || got != want {
            failures.push(format!(
                "{}: errors {:?}\n--- got\n{got}--- want\n{want}",
                case.display(),
                parsed.errors
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn buildkit_negative_testfiles_are_rejected() {
    let Some(root) = conformance_dir() else {
        return;
    };
    let cases = sorted_dirs(&root.join("buildkit-parser/testfiles-negative"));
    assert_eq!(cases.len(), 4);
    for case in &cases {
        let input = std::fs::read(case.join("Dockerfile")).expect("Dockerfile");
        let parsed = syntax::parse_bytes(&input);
        assert!(!parsed.errors.is_empty(), "{} parsed", case.display());
        let file = SourceFile::new("Dockerfile", syntax::source_text(&input));
        for e in &parsed.errors {
            let text = render(&e.to_diagnostic(), &file);
            assert!(text.starts_with("error: "), "{text}");
        }
    }
}

#[test]
fn buildkit_testfile_line_ranges() {
    let Some(root) = conformance_dir() else {
        return;
    };
    let input = std::fs::read(root.join("buildkit-parser/testfile-line/Dockerfile")).expect("file");
    let parsed = syntax::parse_bytes(&input);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let nodes = &parsed.dockerfile.nodes;
    let ranges: Vec<(u32, u32)> = nodes.iter().map(|n| (n.start_line, n.end_line)).collect();
    assert_eq!(ranges, [(5, 5), (11, 12), (17, 31)]);
    assert_eq!(nodes.first().map(|n| n.start_line), Some(5));
    assert_eq!(nodes.last().map(|n| n.end_line), Some(31));
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Differences between our node and the expected JSON instruction.
fn compare_node(node: &Node, want: &Value, with_lines: bool) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut check = |what: &str, ok: bool, got: String, want: String| {
        if !ok {
            diffs.push(format!("{what}: got {got} want {want}"));
        }
    };
    let w_kw = want["instruction"].as_str().unwrap_or_default();
    check(
        "instruction",
        node.keyword.value == w_kw,
        node.keyword.value.clone(),
        w_kw.into(),
    );
    let flags: Vec<String> = node.flags.iter().map(|f| f.value.clone()).collect();
    let w_flags = strings(&want["flags"]);
    check(
        "flags",
        flags == w_flags,
        format!("{flags:?}"),
        format!("{w_flags:?}"),
    );
    if node.sub.is_none() {
        let args: Vec<String> = node.args.iter().map(|a| a.value.clone()).collect();
        let w_args = strings(&want["args"]);
        check(
            "args",
            args == w_args,
            format!("{args:?}"),
            format!("{w_args:?}"),
        );
    }
    let w_json = want["json_form"].as_bool().unwrap_or_default();
    check(
        "json_form",
        node.json == w_json,
        node.json.to_string(),
        w_json.to_string(),
    );
    if let (Some(sub), Some(w_sub)) = (&node.sub, want.get("sub")) {
        for d in compare_node(sub, w_sub, false) {
            check("sub", false, d, String::new());
        }
    }
    if !with_lines {
        return diffs;
    }
    let w_orig = want["original"].as_str().unwrap_or_default();
    check(
        "original",
        node.original == w_orig,
        format!("{:?}", node.original),
        format!("{w_orig:?}"),
    );
    let lines = (u64::from(node.start_line), u64::from(node.end_line));
    let w_lines = (
        want["start_line"].as_u64().unwrap_or_default(),
        want["end_line"].as_u64().unwrap_or_default(),
    );
    check(
        "lines",
        lines == w_lines,
        format!("{lines:?}"),
        format!("{w_lines:?}"),
    );
    let w_comments = strings(&want["prev_comment"]);
    check(
        "prev_comment",
        node.prev_comment == w_comments,
        format!("{:?}", node.prev_comment),
        format!("{w_comments:?}"),
    );
    let w_docs = want["heredocs"].as_array().cloned().unwrap_or_default();
    check(
        "heredoc count",
        node.heredocs.len() == w_docs.len(),
        node.heredocs.len().to_string(),
        w_docs.len().to_string(),
    );
    for (h, w) in node.heredocs.iter().zip(&w_docs) {
        let got = (
            h.name.as_str(),
            u64::from(h.file_descriptor),
            h.expand,
            h.chomp,
            h.content.as_str(),
        );
        let exp = (
            w["name"].as_str().unwrap_or_default(),
            w["file_descriptor"].as_u64().unwrap_or_default(),
            w["expand"].as_bool().unwrap_or_default(),
            w["chomp"].as_bool().unwrap_or_default(),
            w["content"].as_str().unwrap_or_default(),
        );
        check(
            "heredoc",
            got == exp,
            format!("{got:?}"),
            format!("{exp:?}"),
        );
    }
    diffs
}

#[test]
fn real_world_corpus_matches_upstream_parse() {
    let Some(root) = conformance_dir() else {
        return;
    };
    let mut files: Vec<PathBuf> = sorted_dirs(&root.join("real-world"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    files.sort();
    assert!(files.len() >= 278, "only {} real-world files", files.len());
    let mut failures = Vec::new();
    let mut heredocs = 0;
    for path in &files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let json_path = root.join("real-world-ast").join(format!("{stem}.json"));
        let want: Value = serde_json::from_slice(&std::fs::read(&json_path).expect("json"))
            .unwrap_or_else(|e| panic!("{}: {e}", json_path.display()));
        let input = std::fs::read(path).expect("Dockerfile");
        let parsed = syntax::parse_bytes(&input);
        let df = &parsed.dockerfile;
        let mut diffs = Vec::new();
        if !parsed.errors.is_empty() {
            diffs.push(format!("errors: {:?}", parsed.errors));
        }
        let dump = format!("{}\n", syntax::dump(df));
        if dump != want["dump"].as_str().unwrap_or_default() {
            diffs.push(format!("dump differs:\n{dump}"));
        }
        let esc = df.escape.to_string();
        if esc != want["escape_token"].as_str().unwrap_or_default() {
            diffs.push(format!("escape {esc}"));
        }
        let first = df.nodes.first().map_or(0, |n| u64::from(n.start_line));
        let last = df.nodes.last().map_or(0, |n| u64::from(n.end_line));
        if (Some(first), Some(last)) != (want["start_line"].as_u64(), want["end_line"].as_u64()) {
            diffs.push(format!("file lines {first}..{last}"));
        }
        let w_instrs = want["instructions"].as_array().cloned().unwrap_or_default();
        if w_instrs.len() != df.nodes.len() {
            diffs.push(format!("{} nodes, want {}", df.nodes.len(), w_instrs.len()));
        }
        for (i, (node, w)) in df.nodes.iter().zip(&w_instrs).enumerate() {
            heredocs += w["heredocs"].as_array().map_or(0, Vec::len);
            for d in compare_node(node, w, true) {
                diffs.push(format!("node {i} (line {}): {d}", node.start_line));
            }
        }
        if !diffs.is_empty() {
            failures.push(format!("{}:\n  {}", path.display(), diffs.join("\n  ")));
        }
    }
    assert_eq!(heredocs, 176, "heredoc bodies compared");
    assert!(
        failures.is_empty(),
        "{} of {} files differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
