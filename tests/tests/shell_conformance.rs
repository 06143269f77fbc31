//! Upstream BuildKit's shell-lexer tables (`shell/envVarTest`,
//! `shell/wordsTest`), run with the harness rules of upstream's
//! `TestShellParser4EnvVars` / `TestShellParser4Words` (Unix semantics), from
//! the conformance corpus (see `testkit`). One test per table file.

use std::path::PathBuf;

use llb_gen::words::Lexer;

/// The tables' directory in the conformance corpus, or `None` (after a loud SKIP; a failure
/// with `CI=true`) when the corpus is absent.
fn shell_dir() -> Option<PathBuf> {
    testkit::conformance("shell_conformance").map(|c| c.join("buildkit-parser/shell"))
}

fn read(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("cannot read {name}: {e}"))
}

#[test]
fn env_var_test() {
    let Some(dir) = shell_dir() else { return };
    let text = read(&dir, "envVarTest");
    let env: Vec<(String, String)> = [
        ("PWD", "/home"),
        ("SHELL", "bash"),
        ("KOREAN", "한국어"),
        ("NULL", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let lexer = Lexer::new('\\');
    let (mut checked, mut expected_checked, mut failures) = (0usize, 0usize, Vec::new());
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        if raw.starts_with('#') {
            continue;
        }
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('|').collect();
        assert_eq!(
            fields.len(),
            3,
            "line {line_no}: expected 3 fields: {raw:?}"
        );
        let (platform, input, expected) = (fields[0].trim(), fields[1].trim(), fields[2].trim());
        assert!(
            matches!(platform, "A" | "U" | "W"),
            "line {line_no}: bad platform tag {platform:?}"
        );
        if platform == "W" {
            continue;
        }
        expected_checked += 1;
        let got = lexer.process_word(input, &env);
        checked += 1;
        let ok = match (&got, expected) {
            (Err(_), "error") => true,
            (Ok(e), _) if expected != "error" => e.value == expected,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "line {line_no}: {input:?}: expected {expected:?}, got {:?}",
                got.map(|e| e.value).map_err(|e| e.to_string())
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every A and U line of the file: counted independently from the data.
    let in_file = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| matches!(l.trim().split('|').next().map(str::trim), Some("A" | "U")))
        .count();
    assert_eq!(checked, expected_checked);
    assert_eq!(checked, in_file, "lines checked vs A/U lines in envVarTest");
    assert!(checked > 200, "only {checked} lines checked");
    eprintln!("envVarTest: {checked} lines checked");
}

#[test]
fn words_test() {
    let Some(dir) = shell_dir() else { return };
    let text = read(&dir, "wordsTest");
    let lexer = Lexer::new('\\');
    let mut env: Vec<(String, String)> = Vec::new();
    let (mut checked, mut env_lines, mut failures) = (0usize, 0usize, Vec::new());
    // Upstream reads with bufio.Scanner: lines split on '\n', a trailing '\r'
    // dropped. `str::lines` does the same.
    for (idx, line) in text.lines().enumerate() {
        let line_no = idx + 1;
        if line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("ENV ") {
            let def = format!(" {rest}");
            let def = def.trim_start_matches(' ');
            let (k, v) = def.split_once('=').unwrap_or((def, ""));
            env.push((k.to_owned(), v.to_owned()));
            env_lines += 1;
            continue;
        }
        let fields: Vec<&str> = line.split('|').collect();
        assert_eq!(
            fields.len(),
            2,
            "line {line_no}: expected exactly one `|`: {line:?}"
        );
        let input = fields[0].trim();
        let expected: Vec<&str> = fields[1].trim_start_matches(' ').split(',').collect();
        let got = match lexer.process_words(input, &env) {
            Ok((words, _, _)) => words,
            Err(_) => vec!["error".to_owned()],
        };
        checked += 1;
        if got != expected {
            failures.push(format!(
                "line {line_no}: {input:?}: expected {expected:?}, got {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let in_file = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("ENV "))
        .count();
    assert_eq!(checked, in_file, "lines checked vs test lines in wordsTest");
    assert!(
        checked >= 20 && env_lines >= 4,
        "only {checked} lines checked"
    );
    eprintln!("wordsTest: {checked} lines checked, {env_lines} ENV lines");
}
