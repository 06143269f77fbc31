//! Subrequests and build-check warnings over the real gateway protocol: the
//! `frontend` binary against the fake `LLBBridge` (see `support`).

#![allow(clippy::unwrap_used)]

mod support;

use base64::Engine as _;
use support::{run_frontend, Fixture, Outcome};

const SESSION: &[(&str, &str)] = &[("BUILDKIT_SESSION_ID", "sess-1")];
const CAPS: (&str, &str) = ("frontend.caps", "moby.buildkit.frontend.subrequests");

/// The metadata of the one successful Return (a subrequest has no ref).
fn metadata(out: &Outcome) -> std::collections::HashMap<String, Vec<u8>> {
    let ret = out.the_return();
    let res = ret
        .result
        .as_ref()
        .unwrap_or_else(|| panic!("{:#?}\n{}", ret.error, out.stderr));
    assert!(res.result.is_none(), "a subrequest returns no ref");
    assert_eq!(out.exit_code, Some(0), "{}", out.stderr);
    res.metadata.clone()
}

fn json(meta: &std::collections::HashMap<String, Vec<u8>>) -> serde_json::Value {
    serde_json::from_slice(&meta["result.json"]).unwrap()
}

#[tokio::test]
async fn targets_lists_every_stage_with_descriptions_and_locations() {
    let text = "# base is where it starts\nFROM busybox AS base\n\nFROM --platform=$BUILDPLATFORM base AS build\nFROM build\n";
    let opts = [CAPS, ("requestid", "frontend.targets")];
    let out = run_frontend(Fixture::with_dockerfile(text), &opts, SESSION).await;
    let meta = metadata(&out);
    let v = json(&meta);
    let t = v["targets"].as_array().unwrap();
    assert_eq!(t.len(), 3);
    assert_eq!(t[0]["name"], "base");
    assert_eq!(t[0]["description"], "is where it starts");
    assert_eq!(t[0]["base"], "busybox");
    assert_eq!(
        t[0]["location"],
        serde_json::json!({"ranges": [{"start": {"line": 2}, "end": {"line": 2}}]})
    );
    assert!(t[0].get("default").is_none());
    assert_eq!(t[1]["platform"], "$BUILDPLATFORM");
    assert_eq!(t[2]["default"], true);
    assert!(t[2].get("name").is_none());
    let src = base64::engine::general_purpose::STANDARD
        .decode(v["sources"][0].as_str().unwrap())
        .unwrap();
    assert_eq!(src, text.as_bytes());
    assert_eq!(meta["version"], b"1.0.0");
    let txt = String::from_utf8(meta["result.txt"].clone()).unwrap();
    assert!(txt.starts_with("TARGET"), "{txt}");
    assert!(txt.contains("(default)"), "{txt}");
    // Parse only: nothing is resolved.
    assert!(out.resolves().is_empty());
}

#[tokio::test]
async fn lint_reports_rules_with_urls_and_locations_and_status_1() {
    let text = "FROM busybox AS Build\nCOPY $NOPE /x\ncmd echo hi\n";
    let opts = [CAPS, ("requestid", "frontend.lint")];
    let out = run_frontend(Fixture::with_dockerfile(text), &opts, SESSION).await;
    let meta = metadata(&out);
    let v = json(&meta);
    let rules: Vec<(&str, i64)> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let line = w["location"]["ranges"][0]["start"]["line"]
                .as_i64()
                .unwrap();
            (w["ruleName"].as_str().unwrap(), line)
        })
        .collect();
    for want in [
        ("StageNameCasing", 1),
        ("UndefinedVar", 2),
        ("ConsistentInstructionCasing", 3),
        ("JSONArgsRecommended", 3),
    ] {
        assert!(rules.contains(&want), "{want:?} in {rules:?}");
    }
    let w = &v["warnings"][0];
    assert_eq!(w["url"], "docs/rules/stage-name-casing.md");
    assert_eq!(w["detail"], "Stage name 'Build' should be lowercase");
    assert_eq!(w["description"], "Stage names should be lowercase");
    assert_eq!(v["sources"][0]["filename"], "Dockerfile");
    assert_eq!(v["sources"][0]["language"], "Dockerfile");
    assert!(v["sources"][0]["definition"]["def"].is_array());
    assert!(v.get("buildError").is_none());
    assert_eq!(meta["result.statuscode"], b"1");
    let txt = String::from_utf8(meta["result.txt"].clone()).unwrap();
    assert!(txt.contains("Lint Rule StageNameCasing"), "{txt}");
    // A subrequest builds nothing: the only Solve is the Dockerfile's load.
    assert_eq!(out.solves().len(), 2, "dockerfile and context loads only");
}

#[tokio::test]
async fn lint_of_a_clean_file_is_status_0_and_skip_is_honoured() {
    let text = "# check=skip=StageNameCasing\nFROM busybox AS Build\nCMD [\"true\"]\n";
    let opts = [CAPS, ("requestid", "frontend.lint")];
    let out = run_frontend(Fixture::with_dockerfile(text), &opts, SESSION).await;
    let meta = metadata(&out);
    assert_eq!(json(&meta)["warnings"], serde_json::Value::Null);
    assert_eq!(meta["result.statuscode"], b"0");
}

#[tokio::test]
async fn lint_of_a_broken_file_is_a_located_build_error() {
    let text = "FROM busybox\nRUN true\nFORM x\n";
    let opts = [CAPS, ("requestid", "frontend.lint")];
    let out = run_frontend(Fixture::with_dockerfile(text), &opts, SESSION).await;
    let meta = metadata(&out);
    let v = json(&meta);
    let e = &v["buildError"];
    assert!(e["message"].as_str().unwrap().contains("FORM"), "{e}");
    assert_eq!(e["location"]["ranges"][0]["start"]["line"], 3);
    assert_eq!(meta["result.statuscode"], b"1");
}

#[tokio::test]
async fn describe_lists_exactly_what_is_answered() {
    let opts = [CAPS, ("requestid", "frontend.subrequests.describe")];
    let out = run_frontend(Fixture::with_dockerfile("FROM busybox\n"), &opts, SESSION).await;
    let v = json(&metadata(&out));
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "frontend.subrequests.describe",
            "frontend.outline",
            "frontend.targets",
            "frontend.lint"
        ]
    );
    assert!(v.as_array().unwrap().iter().all(|r| r["type"] == "rpc"));
    assert_eq!(
        v[1]["opts"],
        serde_json::json!([{"name": "target", "description": "Target build stage"}])
    );
}

#[tokio::test]
async fn outline_lists_the_targets_args_secrets_and_ssh() {
    let text = "# V the version\nARG V=1\nARG OTHER=2\nFROM busybox AS base\nARG V\nRUN --mount=type=secret,id=tok,required=true --mount=type=ssh true\n# app is what ships\nFROM base AS app\nARG EXTRA=x\nFROM busybox AS unused\nARG NOPE\n";
    let opts = [CAPS, ("requestid", "frontend.outline"), ("target", "app")];
    let out = run_frontend(Fixture::with_dockerfile(text), &opts, SESSION).await;
    let meta = metadata(&out);
    let v = json(&meta);
    assert_eq!(v["name"], "app");
    assert_eq!(v["description"], "is what ships");
    let args: Vec<(&str, &str, i64)> = v["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap(),
                a["value"].as_str().unwrap_or(""),
                a["location"]["ranges"][0]["start"]["line"]
                    .as_i64()
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(args, [("V", "1", 2), ("EXTRA", "x", 9)]);
    assert_eq!(v["args"][0]["description"], "the version");
    assert_eq!(v["secrets"][0]["name"], "tok");
    assert_eq!(v["secrets"][0]["required"], true);
    assert_eq!(v["ssh"][0]["name"], "default");
    assert!(v["ssh"][0].get("required").is_none());
    assert_eq!(meta["version"], b"1.0.0");
    let txt = String::from_utf8(meta["result.txt"].clone()).unwrap();
    assert!(txt.starts_with("TARGET:      app\n"), "{txt}");
    // Planned only: no image is resolved.
    assert!(out.resolves().is_empty());
}

#[tokio::test]
async fn outline_of_an_unknown_target_is_a_located_error() {
    let opts = [CAPS, ("requestid", "frontend.outline"), ("target", "nope")];
    let out = run_frontend(
        Fixture::with_dockerfile("FROM busybox AS a\n"),
        &opts,
        SESSION,
    )
    .await;
    let ret = out.the_return();
    let err = ret.error.as_ref().unwrap_or_else(|| panic!("{ret:#?}"));
    assert!(
        err.message.contains("\"nope\" could not be found"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn unknown_request_is_unsupported_as_upstream_says_it() {
    let opts = [CAPS, ("requestid", "frontend.nope")];
    let out = run_frontend(Fixture::with_dockerfile("FROM busybox\n"), &opts, SESSION).await;
    let ret = out.the_return();
    let err = ret.error.as_ref().unwrap_or_else(|| panic!("{ret:#?}"));
    assert!(
        err.message.contains("unsupported request frontend.nope"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn build_warnings_carry_rule_url_and_range_once_across_platforms() {
    let text = "FROM busybox AS Build\nMAINTAINER me\n";
    let opts = [("platform", "linux/amd64,linux/arm64")];
    let out = run_frontend(Fixture::with_dockerfile(text), &opts, SESSION).await;
    let w = out.warns();
    let shorts: Vec<String> = w
        .iter()
        .map(|w| String::from_utf8_lossy(&w.short).into_owned())
        .collect();
    assert_eq!(
        shorts,
        [
            "StageNameCasing: Stage name 'Build' should be lowercase (line 1)",
            "MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label (line 2)",
        ]
    );
    assert_eq!(w[0].url, "docs/rules/stage-name-casing.md");
    assert_eq!(w[0].detail[0], b"Stage names should be lowercase");
    assert_eq!(w[0].ranges[0].start.as_ref().unwrap().line, 1);
    let info = w[0].info.as_ref().unwrap();
    assert_eq!(
        (info.filename.as_str(), info.language.as_str()),
        ("Dockerfile", "Dockerfile")
    );
    assert_eq!(info.data, text.as_bytes());
}

#[tokio::test]
async fn check_error_true_fails_the_build_listing_every_finding() {
    let text = "# check=error=true\nFROM busybox AS Build\nMAINTAINER me\n";
    let out = run_frontend(Fixture::with_dockerfile(text), &[], SESSION).await;
    let ret = out.the_return();
    let err = ret.error.as_ref().unwrap_or_else(|| panic!("{ret:#?}"));
    for needle in [
        "Stage name 'Build' should be lowercase",
        "Maintainer instruction is deprecated",
        "lint violation found for rules: MaintainerDeprecated, StageNameCasing",
    ] {
        assert!(err.message.contains(needle), "{needle} in {}", err.message);
    }
}
