//! Parser conformance: BuildKit's parser test files and the expected
//! low-level parse of the real-world corpus, read from the conformance corpus
//! at run time (see `testkit` for where it is and what happens when it is
//! absent). One test per case directory or file.

use std::path::{Path, PathBuf};

use llb_gen::diagnostic::{render, SourceFile};
use llb_gen::syntax::{self, ast::Node};
use serde_json::Value;
use testkit::{Failed, Trial};

fn dirs(dir: &Path) -> Vec<PathBuf> {
    testkit::entries(dir, Path::is_dir)
}

fn main() {
    let trials = testkit::corpus_trials("parser_conformance", |root| {
        let parser = root.join("buildkit-parser");
        let positive = dirs(&parser.join("testfiles"));
        let negative = dirs(&parser.join("testfiles-negative"));
        let real_world = testkit::files_ending(&root.join("real-world"), ".Dockerfile");
        let mut trials = vec![corpus_shape(
            root,
            positive.len(),
            negative.len(),
            real_world.len(),
        )];
        let line = parser.join("testfile-line/Dockerfile");
        trials.push(Trial::test("buildkit_testfile_line_ranges", move || {
            buildkit_testfile_line_ranges(&line);
            Ok(())
        }));
        trials.extend(testkit::file_trials(
            "buildkit_testfiles_dump_byte_for_byte",
            &positive,
            "",
            buildkit_testfile_dumps_byte_for_byte,
        ));
        trials.extend(testkit::file_trials(
            "buildkit_negative_testfiles_are_rejected",
            &negative,
            "",
            buildkit_negative_testfile_is_rejected,
        ));
        let ast_dir = root.join("real-world-ast");
        trials.extend(real_world.into_iter().map(|path| {
            let stem = testkit::stem(&path, ".Dockerfile");
            let json = ast_dir.join(format!("{stem}.json"));
            Trial::test(
                format!("real_world_matches_upstream_parse::{stem}"),
                move || real_world_matches_upstream_parse(&path, &json),
            )
        }));
        trials
    });
    testkit::run(trials)
}

/// The corpus has the cases the per-case tests expect, and its expected real-world parse has
/// the heredoc bodies they compare (counted from the JSON, independently of our parser).
fn corpus_shape(root: &Path, positive: usize, negative: usize, real_world: usize) -> Trial {
    let ast_dir = root.join("real-world-ast");
    Trial::test("corpus_shape", move || {
        if positive != 33 || negative != 4 || real_world < 278 {
            return Err(format!(
                "expected 33 parser cases, 4 negative cases and at least 278 real-world files; \
                 found {positive}, {negative} and {real_world}"
            )
            .into());
        }
        let mut heredocs = 0;
        for json in testkit::files_ending(&ast_dir, ".json") {
            let want: Value = serde_json::from_slice(&std::fs::read(&json).expect("json"))
                .unwrap_or_else(|e| panic!("{}: {e}", json.display()));
            for instr in want["instructions"].as_array().into_iter().flatten() {
                heredocs += instr["heredocs"].as_array().map_or(0, Vec::len);
            }
        }
        if heredocs != 176 {
            return Err(format!("{heredocs} heredoc bodies to compare, expected 176").into());
        }
        Ok(())
    })
}

fn buildkit_testfile_dumps_byte_for_byte(case: &Path, _: &str) -> Result<(), Failed> {
    let input = std::fs::read(case.join("Dockerfile")).expect("Dockerfile");
    let want = std::fs::read_to_string(case.join("result")).expect("result");
    let parsed = syntax::parse_bytes(&input);
    let got = format!("{}\n", syntax::dump(&parsed.dockerfile));
    if !parsed.errors.is_empty() || got != want {
        return Err(format!(
            "{}: errors {:?}\n--- got\n{got}--- want\n{want}",
            case.display(),
            parsed.errors
        )
        .into());
    }
    Ok(())
}

fn buildkit_negative_testfile_is_rejected(case: &Path, _: &str) -> Result<(), Failed> {
    let input = std::fs::read(case.join("Dockerfile")).expect("Dockerfile");
    let parsed = syntax::parse_bytes(&input);
    if parsed.errors.is_empty() {
        return Err(format!("{} parsed", case.display()).into());
    }
    let file = SourceFile::new("Dockerfile", syntax::source_text(&input));
    for e in &parsed.errors {
        let text = render(&e.to_diagnostic(), &file);
        assert!(text.starts_with("error: "), "{text}");
    }
    Ok(())
}

fn buildkit_testfile_line_ranges(path: &Path) {
    let input = std::fs::read(path).expect("file");
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
        node.keyword.value.to_string(),
        w_kw.into(),
    );
    let flags: Vec<String> = node.flags.iter().map(|f| f.value.to_string()).collect();
    let w_flags = strings(&want["flags"]);
    check(
        "flags",
        flags == w_flags,
        format!("{flags:?}"),
        format!("{w_flags:?}"),
    );
    if node.sub.is_none() {
        let args: Vec<String> = node.args.iter().map(|a| a.value.to_string()).collect();
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
        node.prev_comment[..] == w_comments[..],
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

/// One real-world file: our parse matches upstream's (`real-world-ast/NAME.json`): the dump,
/// the escape token, the line range, and each instruction with its heredocs.
fn real_world_matches_upstream_parse(path: &Path, json_path: &Path) -> Result<(), Failed> {
    let want: Value = serde_json::from_slice(&std::fs::read(json_path).expect("json"))
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
        for d in compare_node(node, w, true) {
            diffs.push(format!("node {i} (line {}): {d}", node.start_line));
        }
    }
    if !diffs.is_empty() {
        return Err(format!("{}:\n  {}", path.display(), diffs.join("\n  ")).into());
    }
    Ok(())
}
