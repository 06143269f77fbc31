//! Build checks and subrequests end to end: `docker buildx build --call=targets|check`,
//! `--check` and the warnings of a normal build, on the current BuildKit. The same assertions
//! hold with `E2E_SYNTAX=builtin` (upstream's frontend built into buildkitd): that run is the
//! parity check with upstream.

use super::*;

/// Findings of several rules, one per line after the header.
const CHECKED: &str = "FROM {{BASE}} AS Build\nMAINTAINER me\nCMD echo hi\n";

/// The line of `n` in a Dockerfile written by `Env::dockerfile` (our frontend adds a `# syntax=`
/// line on top).
fn line(env: &Env, n: i64) -> i64 {
    n + i64::from(env.frontend.is_some())
}

/// `(ruleName, first line)` of each warning of a `frontend.lint` JSON result.
fn rules_and_lines(v: &Value) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = v["warnings"]
        .as_array()
        .unwrap_or_else(|| panic!("no warnings in {v}"))
        .iter()
        .map(|w| {
            let line = w["location"]["ranges"][0]["start"]["line"]
                .as_i64()
                .unwrap_or(0);
            (w["ruleName"].as_str().unwrap_or("").to_string(), line)
        })
        .collect();
    out.sort();
    out
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", text(out)))
}

/// `--call=targets,format=json`: every stage, the default one, descriptions from comments.
pub(super) fn buildx_call_targets_lists_stages(env: &Env) {
    let ctx = Ctx::new(
        env,
        "call-targets",
        "# base is where it starts\nFROM {{BASE}} AS base\nFROM base AS build\nFROM build\n",
    );
    let out = env.build_raw(&ctx, &["--call=targets,format=json"]);
    assert!(out.status.success(), "{}", text(&out));
    let v = stdout_json(&out);
    let t = v["targets"].as_array().unwrap();
    assert_eq!(t.len(), 3, "{v}");
    assert_eq!(t[0]["name"], "base");
    assert_eq!(t[0]["description"], "is where it starts");
    assert_eq!(t[0]["location"]["ranges"][0]["start"]["line"], line(env, 2));
    assert_eq!(t[1]["name"], "build");
    assert_eq!(t[2]["default"], true);
}

/// `--call=check,format=json`: the rules, their lines, and a failing exit status.
pub(super) fn buildx_call_check_reports_rules_and_lines(env: &Env) {
    let ctx = Ctx::new(env, "call-check", CHECKED);
    let out = env.build_raw(&ctx, &["--call=check,format=json"]);
    assert!(
        !out.status.success(),
        "findings fail --call=check: {}",
        text(&out)
    );
    let v = stdout_json(&out);
    assert_eq!(v["sources"][0]["filename"], "Dockerfile", "{v}");
    assert_eq!(v["sources"][0]["language"], "Dockerfile", "{v}");
    let got = rules_and_lines(&v);
    let want: Vec<(String, i64)> = [
        ("JSONArgsRecommended", 3),
        ("MaintainerDeprecated", 2),
        ("StageNameCasing", 1),
    ]
    .iter()
    .map(|(r, l)| (r.to_string(), line(env, *l)))
    .collect();
    assert_eq!(got, want, "{}", text(&out));
}

/// `--call=check` in text: buildx prints each finding with the Dockerfile's lines.
pub(super) fn buildx_call_check_text_shows_code_frames(env: &Env) {
    let ctx = Ctx::new(env, "call-check-text", CHECKED);
    let out = env.build_raw(&ctx, &["--call=check"]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    for needle in [
        "StageNameCasing",
        "Stage name 'Build' should be lowercase",
        "MAINTAINER me",
        "CMD echo hi",
    ] {
        assert!(all.contains(needle), "{needle:?} in:\n{all}");
    }
}

/// `--check` on a clean file succeeds; `# check=skip=` keeps a file clean.
pub(super) fn buildx_check_passes_a_clean_file(env: &Env) {
    let ctx = Ctx::new(
        env,
        "check-clean",
        "# check=skip=StageNameCasing\nFROM {{BASE}} AS Build\nCMD [\"true\"]\n",
    );
    let out = env.build_raw(&ctx, &["--check"]);
    assert!(out.status.success(), "{}", text(&out));
}

/// A normal build prints the findings as warnings (the `Warn` RPC) and succeeds.
pub(super) fn build_shows_check_warnings(env: &Env) {
    let ctx = Ctx::new(env, "build-warnings", CHECKED);
    let out = env.build(&ctx, &[]);
    let all = text(&out);
    let want = format!(
        "StageNameCasing: Stage name 'Build' should be lowercase (line {})",
        line(env, 1)
    );
    assert!(all.contains(&want), "{want:?} in:\n{all}");
}

/// `# check=error=true` fails the build, naming the rules.
pub(super) fn check_error_true_fails_the_build(env: &Env) {
    let ctx = Ctx::new(
        env,
        "check-error",
        &format!("# check=error=true\n{CHECKED}"),
    );
    let out = env.build_raw(&ctx, &[]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("lint violation found for rules:"), "{all}");
    assert!(all.contains("StageNameCasing"), "{all}");
}

/// Findings never fail a build without `error=true`; on BuildKit v0.8, which has no `Warn` RPC,
/// they are left out (as upstream degrades) and the build still succeeds.
pub(super) fn check_findings_do_not_fail_a_build(env: &Env) {
    let ctx = Ctx::new(env, "findings-build", CHECKED);
    let out = env.build_local(&ctx, &[]);
    assert!(out.join("bin/busybox").exists(), "the base is busybox");
}
