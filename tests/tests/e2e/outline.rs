//! `docker buildx build --call=outline` end to end on the current BuildKit: the JSON
//! (`format=json`) and the text buildx prints from it. The first case's assertions hold with
//! `E2E_SYNTAX=builtin` too (upstream's frontend built into buildkitd): that run is the parity
//! check. The superset cases (REQUIRE, INCLUDE) are ours only. On Docker 20.10 (BuildKit v0.8)
//! see `outline_on_buildkit_v0_8`.

use super::*;
use base64::Engine as _;

/// The line of `n` in a Dockerfile written by `Env::dockerfile` (our frontend's `# syntax=`
/// line comes first).
fn line(env: &Env, n: i64) -> i64 {
    n + i64::from(env.frontend.is_some())
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", text(out)))
}

/// `(name, value, description, first line, source index)` of each arg, by file and line, and
/// by name on one line: upstream's order of the names of one line is Go's map order (random).
fn args(v: &Value) -> Vec<(String, String, String, i64, i64)> {
    let s = |a: &Value, k: &str| a[k].as_str().unwrap_or("").to_string();
    let mut out: Vec<_> = v["args"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|a| {
            let loc = &a["location"];
            (
                s(a, "name"),
                s(a, "value"),
                s(a, "description"),
                loc["ranges"][0]["start"]["line"].as_i64().unwrap_or(0),
                loc["sourceIndex"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    out.sort_by(|a, b| (a.4, a.3, &a.0).cmp(&(b.4, b.3, &b.0)));
    out
}

/// `(name, required, first line)` of each secret or ssh entry, by line (then name, as `args`).
fn mounts(v: &Value, key: &str) -> Vec<(String, bool, i64)> {
    let mut out: Vec<_> = v[key]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap_or("").to_string(),
                m["required"].as_bool().unwrap_or(false),
                m["location"]["ranges"][0]["start"]["line"]
                    .as_i64()
                    .unwrap_or(0),
            )
        })
        .collect();
    out.sort_by(|a, b| (a.2, &a.0).cmp(&(b.2, &b.0)));
    out
}

const OUTLINED: &str = "\
# BASE_IMAGE where it starts
ARG BASE_IMAGE={{BASE}}
ARG UNUSED=x
FROM ${BASE_IMAGE} AS deps
# VERSION of the app
ARG VERSION=dev
RUN --mount=type=secret,id=token,required=true --mount=type=ssh true

FROM {{BASE}} AS tools
ARG TOOLS_REF=main
RUN --mount=type=secret,id=npmrc --mount=type=ssh,id=gh,required=true true

# build compiles it
FROM deps AS build
ARG VERSION
ARG EXTRA=${VERSION}-x
COPY --from=tools /bin/true /true
ARG LAST=1 \\
    MORE=2
";

/// `--call=outline,format=json` and the text form, for the default target and `--target`.
pub(super) fn buildx_call_outline_json_and_text(env: &Env) {
    let ctx = Ctx::new(env, "call-outline", OUTLINED);
    let out = env.build_raw(&ctx, &["--call=outline,format=json"]);
    assert!(out.status.success(), "{}", text(&out));
    let v = stdout_json(&out);
    assert_eq!(v["name"], "build", "{v}");
    assert_eq!(v["description"], "compiles it", "{v}");
    let l = |n| line(env, n);
    let own =
        |n: &str, val: &str, d: &str, at| (n.to_string(), val.to_string(), d.to_string(), at, 0);
    assert_eq!(
        args(&v),
        [
            own("BASE_IMAGE", &env.base, "where it starts", l(2)),
            own("TOOLS_REF", "main", "", l(10)),
            own("VERSION", "", "", l(15)),
            // The parent's `ARG VERSION=dev` is in the stage's environment.
            own("EXTRA", "dev-x", "", l(16)),
            own("LAST", "1", "", l(18)),
            own("MORE", "2", "", l(18)),
        ],
        "{v}"
    );
    // A two-line ARG: one range per line, as upstream's parser locates it.
    let ranges = &v["args"][4]["location"]["ranges"];
    assert_eq!(ranges.as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(ranges[1]["start"]["line"], l(19));
    assert_eq!(
        mounts(&v, "secrets"),
        [("token".into(), true, l(7)), ("npmrc".into(), false, l(11))]
    );
    assert_eq!(
        mounts(&v, "ssh"),
        [("default".into(), false, l(7)), ("gh".into(), true, l(11))]
    );
    let src = base64::engine::general_purpose::STANDARD
        .decode(v["sources"][0].as_str().unwrap_or(""))
        .unwrap_or_default();
    assert_eq!(String::from_utf8_lossy(&src), env.dockerfile(OUTLINED));

    // `--target deps` and a build arg.
    let out = env.build_raw(
        &ctx,
        &[
            "--call=outline,format=json",
            "--target",
            "deps",
            "--build-arg",
            "VERSION=2",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let v = stdout_json(&out);
    assert_eq!(v["name"], "deps");
    assert!(v.get("description").is_none(), "{v}");
    assert_eq!(
        args(&v),
        [
            own("BASE_IMAGE", &env.base, "where it starts", l(2)),
            own("VERSION", "2", "of the app", l(6)),
        ]
    );

    // The text buildx prints from the JSON.
    let out = env.build_raw(&ctx, &["--call=outline"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    for needle in [
        "TARGET:      build\nDESCRIPTION: compiles it\n",
        "BUILD ARG    VALUE",
        "VERSION",
        "EXTRA        dev-x",
        "SECRET   REQUIRED\ntoken    true\nnpmrc    \n",
        "SSH       REQUIRED\ndefault   \ngh        true\n",
    ] {
        assert!(stdout.contains(needle), "{needle:?} in:\n{stdout}");
    }
}

/// An unknown `--target` fails, naming it.
pub(super) fn buildx_call_outline_unknown_target_fails(env: &Env) {
    let ctx = Ctx::new(env, "call-outline-target", "FROM {{BASE}} AS a\n");
    let out = env.build_raw(&ctx, &["--call=outline", "--target", "nope"]);
    assert!(!out.status.success(), "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("target stage \"nope\" could not be found"),
        "{all}"
    );
}

/// REQUIRE and INCLUDE: the required stage's args and secrets count (one from the included
/// file, located there), the stages are listed in `requires`, and buildx still renders it.
pub(super) fn buildx_call_outline_with_require_and_include(env: &Env) {
    if env.builtin() {
        skip("(E2E_SYNTAX=builtin): the engine's own frontend has no superset");
        return;
    }
    let ctx = Ctx::new(
        env,
        "call-outline-superset",
        "INCLUDE test.Dockerfile\n# app ships it\nFROM {{BASE}} AS app\nREQUIRE test\nARG VERSION=1\n",
    );
    ctx.write(
        "test.Dockerfile",
        &env.dockerfile("FROM {{BASE}} AS test\n# TESTFLAGS for go test\nARG TESTFLAGS=-race\nRUN --mount=type=secret,id=cov true\n")
            .lines()
            .filter(|l| !l.starts_with("# syntax="))
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    );
    let out = env.build_raw(&ctx, &["--call=outline,format=json"]);
    assert!(out.status.success(), "{}", text(&out));
    let v = stdout_json(&out);
    assert_eq!(v["name"], "app");
    assert_eq!(
        args(&v),
        [
            ("VERSION".into(), "1".into(), String::new(), line(env, 5), 0),
            (
                "TESTFLAGS".into(),
                "-race".into(),
                "for go test".into(),
                3,
                1
            ),
        ],
        "{v}"
    );
    assert_eq!(v["secrets"][0]["name"], "cov");
    assert_eq!(v["secrets"][0]["location"]["sourceIndex"], 1);
    assert_eq!(v["requires"][0]["name"], "test");
    assert_eq!(v["sources"].as_array().map(Vec::len), Some(2));
    let out = env.build_raw(&ctx, &["--call=outline"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.contains("TESTFLAGS   -race   for go test"),
        "{stdout}"
    );
    assert!(stdout.contains("cov"), "{stdout}");
}

/// Docker 20.10's own CLI has no `--call` (it needs buildx). Through buildx's docker driver on
/// its BuildKit v0.8, a `# syntax=` frontend is a gateway that gets the request: ours answers it.
/// The engine's built-in frontend (Dockerfile 1.2) does not know subrequests: buildx tries to
/// pull a newer `docker/dockerfile` for it (no network here) and the engine's refusal names the
/// request.
pub(super) fn outline_on_buildkit_v0_8(env: &Env) {
    let ctx = Ctx::new(env, "outline-v0-8", "ARG V=1\nFROM {{BASE}}\nARG W=2\n");
    let out = env.build_raw(&ctx, &["--call=outline,format=json"]);
    if env.builtin() {
        assert!(!out.status.success(), "{}", text(&out));
        assert!(
            text(&out).contains("unsupported request frontend.outline"),
            "{}",
            text(&out)
        );
        return;
    }
    assert!(out.status.success(), "{}", text(&out));
    let v = stdout_json(&out);
    assert_eq!(
        args(&v),
        [("W".into(), "2".into(), String::new(), line(env, 3), 0)]
    );
}

cases_on!(v0_8_buildx, Engine::V0_8Buildx, [outline_on_buildkit_v0_8]);

cases_on!(
    current_only,
    Engine::Current,
    [
        buildx_call_outline_json_and_text,
        buildx_call_outline_unknown_target_fails,
        buildx_call_outline_with_require_and_include,
    ]
);
