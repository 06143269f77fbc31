//! `llb-gen check` and `llb-gen targets` as a process.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use serde_json::Value;

const FILE: &str = "FROM alpine AS Build\nCMD echo hi\n";

fn run(args: &[&str], input: &str) -> (i32, String, String) {
    let out = common::run_stdin(args, input.as_bytes());
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn text_shows_each_finding_with_its_frame_and_rule_and_exits_0() {
    let (code, out, _) = run(&["check", "-"], FILE);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Stage name 'Build' should be lowercase"),
        "{out}"
    );
    assert!(out.contains("1 | FROM alpine AS Build"), "{out}");
    assert!(
        out.contains("= rule: StageNameCasing (docs/rules/stage-name-casing.md)"),
        "{out}"
    );
    assert!(out.contains("= rule: JSONArgsRecommended"), "{out}");
}

#[test]
fn error_flag_error_directive_and_parse_errors_exit_1() {
    assert_eq!(run(&["check", "--error", "-"], FILE).0, 1);
    assert_eq!(
        run(&["check", "-"], &format!("# check=error=true\n{FILE}")).0,
        1
    );
    assert_eq!(
        run(&["check", "--error", "-"], "FROM alpine\nCMD [\"x\"]\n").0,
        0
    );
    let (code, out, _) = run(&["check", "-"], "FROM alpine\nFORM x\n");
    assert_eq!(code, 1);
    assert!(out.contains("<stdin>:2:1"), "{out}");
    let skip = [
        "check",
        "--error",
        "--build-arg",
        "BUILDKIT_DOCKERFILE_CHECK=skip=all",
        "-",
    ];
    assert_eq!(run(&skip, FILE).0, 0);
}

#[test]
fn json_is_the_lint_subrequest_result() {
    let (_, out, _) = run(&["check", "--format", "json", "-"], FILE);
    let v: Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["ruleName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["StageNameCasing", "JSONArgsRecommended"]);
    assert_eq!(v["sources"][0]["filename"], "<stdin>");
}

/// The properties SARIF 2.1.0 requires (sarif-schema-2.1.0.json: `version`
/// and `runs` on the log, `tool.driver.name` on a run, `message` on a
/// result; `ruleId` and regions as the schema types them).
#[test]
fn sarif_has_the_required_properties_of_2_1_0() {
    let (_, out, _) = run(&["check", "--format", "sarif", "-"], FILE);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "llb-gen");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().all(|r| r["id"].is_string()));
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        assert!(r["message"]["text"].is_string());
        assert!(matches!(r["level"].as_str(), Some("warning" | "error")));
        let region = &r["locations"][0]["physicalLocation"]["region"];
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[k].as_u64().unwrap() >= 1, "{k} in {region}");
        }
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "<stdin>"
        );
    }
    assert_eq!(results[0]["ruleId"], "StageNameCasing");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
}

#[test]
fn targets_prints_the_subrequest_json() {
    let (code, out, _) = run(
        &["targets", "-"],
        "# base is the base\nFROM alpine AS base\nFROM base\n",
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["targets"][0]["description"], "is the base");
    assert_eq!(v["targets"][1]["default"], true);
    let (code, _, err) = run(&["targets", "-"], "FORM x\n");
    assert_eq!(code, 1);
    assert!(err.contains("<stdin>:1:1"), "{err}");
}
