//! Protocol tests: the real `frontend` binary as a child process against a
//! fake `LLBBridge` server over its stdin/stdout, as BuildKit runs it.
//!
//! The tests after the "converter" marker exercise the success path and exact
//! diagnostics through `llb_gen::convert::convert_dockerfile`.

#![allow(clippy::unwrap_used)]

mod support;

use base64::Engine as _;
use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::result;
use bollard_buildkit_proto::pb;
use prost::Message as _;
use support::{
    assert_clean_protocol, error_of, local_name, run_frontend, source_op, Call, Fixture,
};

const SOURCE_TYPE_URL: &str = "github.com/moby/buildkit/errdefs.Source+json";
const SESSION: &[(&str, &str)] = &[("BUILDKIT_SESSION_ID", "sess-123")];

fn source_details(status: &Status) -> Vec<serde_json::Value> {
    status
        .details
        .iter()
        .filter(|d| d.type_url == SOURCE_TYPE_URL)
        .map(|d| serde_json::from_slice(&d.value).expect("Source detail is JSON"))
        .collect()
}

/// The ops of a definition, decoded.
fn decoded_ops(def: &pb::Definition) -> Vec<pb::Op> {
    def.def
        .iter()
        .map(|b| pb::Op::decode(b.as_slice()).unwrap())
        .collect()
}

#[tokio::test]
async fn conversion_error_returns_once_with_located_source_detail() {
    let dockerfile = "FROM busybox\nRUN true\nFOO bar\n";
    let out = run_frontend(Fixture::with_dockerfile(dockerfile), &[], SESSION).await;
    assert_clean_protocol(&out);
    let status = error_of(&out);
    assert_ne!(status.code, 0);
    let details = source_details(status);
    assert!(
        !details.is_empty(),
        "no errdefs.Source detail in {status:#?}"
    );
    let d = &details[0];
    assert_eq!(d["info"]["filename"], "Dockerfile");
    assert_eq!(d["info"]["language"], "Dockerfile");
    let data = base64::engine::general_purpose::STANDARD
        .decode(d["info"]["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(data, dockerfile.as_bytes());
    let line = d["ranges"][0]["start"]["line"].as_i64().unwrap();
    assert!(line >= 1 && line <= d["ranges"][0]["end"]["line"].as_i64().unwrap());
    // The message locates the same line: `Dockerfile:<line>:<col>: ...`.
    assert!(
        status.message.contains(&format!("Dockerfile:{line}:")),
        "{}",
        status.message
    );
}

#[tokio::test]
async fn options_in_random_order_are_parsed() {
    let mut fixture = Fixture::with_dockerfile("");
    fixture.files.clear();
    fixture.add_file(
        "dockerfile",
        "ci/Dockerfile.ci",
        "FROM busybox\nCOPY . /src\n",
    );
    fixture.add_file("dockerfile", "ci/Dockerfile.ci.dockerignore", "target\n");
    fixture.add_file("context", ".dockerignore", "node_modules\n");
    let opts = [
        ("build-arg:A", "x=y"),
        ("no-cache", ""),
        ("filename", "ci/Dockerfile.ci"),
        ("label:org.example", "v"),
        ("image-resolve-mode", "pull"),
        ("source", "localhost:5000/frontend"),
        ("cmdline", "localhost:5000/frontend"),
        ("platform", "linux/amd64"),
        ("some-unknown-option", "ignored"),
    ];
    let out = run_frontend(fixture, &opts, SESSION).await;
    assert_clean_protocol(&out);
    let src = source_op(out.solves()[0].definition.as_ref().unwrap()).unwrap();
    assert_eq!(
        src.attrs["local.followpaths"],
        r#"["ci/Dockerfile.ci","ci/Dockerfile.ci.dockerignore","ci/Dockerfile.ci.lock"]"#
    );
    let mut paths: Vec<&str> = out
        .read_files()
        .iter()
        .map(|r| r.file_path.as_str())
        .filter(|p| p.starts_with("ci/"))
        .collect();
    // The Dockerfile, its .dockerignore and its lock are read concurrently, in any order.
    paths.sort();
    assert_eq!(
        paths,
        [
            "ci/Dockerfile.ci",
            "ci/Dockerfile.ci.dockerignore",
            "ci/Dockerfile.ci.lock"
        ]
    );
    // `<filename>.dockerignore` exists: it applies to the context, not the context's own
    // .dockerignore (read with the Dockerfile, before that was known).
    let def = out.solves().last().unwrap().definition.clone().unwrap();
    let excludes = def
        .def
        .iter()
        .find_map(|b| match pb::Op::decode(b.as_slice()).ok()?.op? {
            pb::op::Op::Source(src) if src.identifier == "local://context" => {
                src.attrs.get("local.excludepatterns").cloned()
            }
            _ => None,
        });
    assert_eq!(excludes.as_deref(), Some(r#"["target"]"#));
    // Launched as a gateway frontend (cmdline/source): never forwarded again.
    assert!(
        out.solves().iter().all(|s| s.frontend.is_empty()),
        "no nested frontend solve"
    );
}

#[tokio::test]
async fn unsupported_option_is_an_error_return_naming_it() {
    let out = run_frontend(
        Fixture::with_dockerfile("FROM busybox\n"),
        &[("override-copy-image", "x")],
        SESSION,
    )
    .await;
    assert_clean_protocol(&out);
    let status = error_of(&out);
    assert!(
        status.message.contains("override-copy-image"),
        "{}",
        status.message
    );
    assert!(out.solves().is_empty());
}

#[tokio::test]
async fn missing_llb_capability_is_named() {
    let mut fixture = Fixture::with_dockerfile("FROM busybox\n");
    fixture.llb_caps = Some(vec![
        "source.local",
        "source.local.sessionid",
        "source.local.sharedkeyhint",
        "constraints",
        "platform",
        "meta.description",
    ]);
    let out = run_frontend(fixture, &[], SESSION).await;
    assert_clean_protocol(&out);
    let status = error_of(&out);
    assert!(
        status.message.contains("source.local.followpaths"),
        "{}",
        status.message
    );
    assert!(
        out.solves().is_empty(),
        "a definition needing a missing cap is never sent"
    );
}

#[tokio::test]
async fn stderr_gets_the_logs() {
    let out = run_frontend(Fixture::with_dockerfile("FROM busybox\n"), &[], SESSION).await;
    assert_clean_protocol(&out);
    assert!(!out.stderr.is_empty(), "logs go to stderr");
}

// ---- Through the converter (llb-gen `convert_dockerfile`). ----

/// Converter: a syntax error is located on its own line.
#[tokio::test]
async fn syntax_error_is_located_on_its_line() {
    let dockerfile = "FROM busybox\nRUN true\nFOO bar\n";
    let out = run_frontend(Fixture::with_dockerfile(dockerfile), &[], SESSION).await;
    assert_clean_protocol(&out);
    let status = error_of(&out);
    assert!(
        status.message.contains("Dockerfile:3:"),
        "{}",
        status.message
    );
    let details = source_details(status);
    assert_eq!(details.len(), 1, "{status:#?}");
    assert_eq!(details[0]["ranges"][0]["start"]["line"], 3);
    assert_eq!(details[0]["ranges"][0]["end"]["line"], 3);
}

fn image_config_of(
    meta: &std::collections::HashMap<String, Vec<u8>>,
    key: &str,
) -> serde_json::Value {
    serde_json::from_slice(
        meta.get(key)
            .unwrap_or_else(|| panic!("no {key} in {:?}", meta.keys().collect::<Vec<_>>())),
    )
    .unwrap()
}

/// Converter: the success path, single platform.
#[tokio::test]
async fn simple_dockerfile_solves_and_returns_image_config() {
    let out = run_frontend(
        Fixture::with_dockerfile("FROM busybox\nRUN echo hi\n"),
        &[],
        SESSION,
    )
    .await;
    assert_clean_protocol(&out);
    let resolves = out.resolves();
    assert_eq!(resolves.len(), 1, "{resolves:#?}");
    assert_eq!(resolves[0].r#ref, "docker.io/library/busybox:latest");
    let platform = resolves[0].platform.clone().unwrap();
    assert_eq!(
        (platform.os.as_str(), platform.architecture.as_str()),
        (
            "linux",
            std::env::consts::ARCH
                .replace("x86_64", "amd64")
                .replace("aarch64", "arm64")
                .as_str()
        )
    );

    let last = *out.solves().last().unwrap();
    let def = last.definition.clone().unwrap();
    let ops = decoded_ops(&def);
    assert!(
        ops.iter()
            .any(|o| matches!(o.op, Some(pb::op::Op::Exec(_)))),
        "RUN becomes an exec op"
    );
    assert!(ops.iter().any(|o| matches!(&o.op, Some(pb::op::Op::Source(s)) if s.identifier.starts_with("docker-image://docker.io/library/busybox:latest"))));
    let solve_index = out.solves().len();

    let ret = out.the_return();
    assert!(ret.error.is_none(), "{:#?}", ret.error);
    let res = ret.result.as_ref().unwrap();
    match &res.result {
        Some(result::Result::Ref(r)) => assert_eq!(r.id, format!("ref-{solve_index}")),
        other => panic!("expected a Ref, got {other:?}"),
    }
    let config = image_config_of(&res.metadata, "containerimage.config");
    assert_eq!(config["os"], "linux");
    assert_eq!(config["config"]["Cmd"][0], "sh");
    assert_eq!(
        res.metadata["containerimage.base.config"],
        support::BUSYBOX_CONFIG.as_bytes()
    );
    let platforms = image_config_of(&res.metadata, "refs.platforms");
    assert_eq!(platforms["Platforms"][0]["ID"], "linux/amd64");
    assert_eq!(platforms["Platforms"][0]["Platform"]["os"], "linux");
}

/// Converter: several platforms give a refs map and per-platform
/// metadata.
#[tokio::test]
async fn multi_platform_returns_refs_per_platform() {
    let opts = [("platform", "linux/amd64,linux/arm64")];
    let out = run_frontend(
        Fixture::with_dockerfile("FROM busybox\nRUN echo hi\n"),
        &opts,
        SESSION,
    )
    .await;
    assert_clean_protocol(&out);
    let ret = out.the_return();
    let res = ret
        .result
        .as_ref()
        .unwrap_or_else(|| panic!("{:#?}", ret.error));
    let Some(result::Result::Refs(map)) = &res.result else {
        panic!("expected refs, got {:?}", res.result)
    };
    let mut keys: Vec<&String> = map.refs.keys().collect();
    keys.sort();
    assert_eq!(keys, ["linux/amd64", "linux/arm64"]);
    for id in ["linux/amd64", "linux/arm64"] {
        assert!(
            res.metadata
                .contains_key(&format!("containerimage.config/{id}")),
            "{id}"
        );
    }
    let platforms = image_config_of(&res.metadata, "refs.platforms");
    assert_eq!(platforms["Platforms"].as_array().unwrap().len(), 2);
    let archs: Vec<String> = out
        .resolves()
        .iter()
        .map(|r| r.platform.clone().unwrap().architecture)
        .collect();
    assert!(archs.contains(&"arm64".to_string()), "{archs:?}");
}

/// Converter: without `proto.refarray` the result is a string id.
#[tokio::test]
async fn old_daemon_gets_a_string_ref() {
    let mut fixture = Fixture::with_dockerfile("FROM busybox\nRUN echo hi\n");
    fixture.frontend_caps = Some(vec!["solve.base", "resolveimage", "readfile", "return"]);
    let out = run_frontend(fixture, &[], SESSION).await;
    assert_clean_protocol(&out);
    let res = out.the_return().result.as_ref().unwrap();
    assert!(
        matches!(&res.result, Some(result::Result::RefDeprecated(id)) if id.starts_with("ref-")),
        "{:?}",
        res.result
    );
    assert!(res.metadata.contains_key("containerimage.config"));
}

/// Converter: every base image of a round is resolved concurrently.
#[tokio::test]
async fn base_images_are_resolved_concurrently() {
    let dockerfile = "FROM busybox AS a\nRUN echo a\n\nFROM alpine AS b\nRUN echo b\n\nFROM debian\nCOPY --from=a /x /x\nCOPY --from=b /y /y\n";
    let mut fixture = Fixture::with_dockerfile(dockerfile);
    let (digest, config) = fixture.images["docker.io/library/busybox:latest"].clone();
    for name in ["alpine", "debian"] {
        fixture.images.insert(
            format!("docker.io/library/{name}:latest"),
            (digest.clone(), config.clone()),
        );
    }
    fixture.resolve_delay = std::time::Duration::from_millis(400);
    let out = run_frontend(fixture, &[], SESSION).await;
    assert_clean_protocol(&out);
    assert!(
        out.the_return().error.is_none(),
        "{:#?}",
        out.the_return().error
    );
    let mut refs: Vec<&str> = out.resolves().iter().map(|r| r.r#ref.as_str()).collect();
    refs.sort();
    assert_eq!(
        refs,
        [
            "docker.io/library/alpine:latest",
            "docker.io/library/busybox:latest",
            "docker.io/library/debian:latest"
        ]
    );
    let spans = &out.resolve_spans;
    let latest_start = spans.iter().map(|s| s.0).max().unwrap();
    let earliest_end = spans.iter().map(|s| s.1).min().unwrap();
    assert!(
        latest_start < earliest_end,
        "all three resolutions must overlap: {spans:?}"
    );
}

/// Converter: build args and `.dockerignore` reach the definition.
#[tokio::test]
async fn build_args_and_dockerignore_reach_the_definition() {
    let mut fixture =
        Fixture::with_dockerfile("FROM busybox\nARG GREETING\nRUN echo $GREETING\nCOPY . /app\n");
    fixture.add_file("context", ".dockerignore", "node_modules\n/build/\n");
    let opts = [
        ("label:x", "y"),
        ("build-arg:GREETING", "hello-from-arg"),
        ("target", ""),
    ];
    let out = run_frontend(fixture, &opts, SESSION).await;
    assert_clean_protocol(&out);
    let ret = out.the_return();
    assert!(ret.error.is_none(), "{:#?}", ret.error);
    let def = out.solves().last().unwrap().definition.clone().unwrap();
    let ops = decoded_ops(&def);
    let exec_env: Vec<String> = ops
        .iter()
        .filter_map(|o| match &o.op {
            Some(pb::op::Op::Exec(e)) => e.meta.clone(),
            _ => None,
        })
        .flat_map(|m| m.env)
        .collect();
    assert!(
        exec_env.iter().any(|e| e == "GREETING=hello-from-arg"),
        "{exec_env:?}"
    );
    let context = ops
        .iter()
        .find_map(|o| match &o.op {
            Some(pb::op::Op::Source(s)) if s.identifier == "local://context" => Some(s.clone()),
            _ => None,
        })
        .expect("the context local is used by COPY");
    assert_eq!(context.attrs["local.session"], "sess-123");
    let excludes: Vec<String> =
        serde_json::from_str(&context.attrs["local.excludepatterns"]).unwrap();
    assert_eq!(excludes, ["node_modules", "build"]);
    let config = image_config_of(
        &ret.result.as_ref().unwrap().metadata,
        "containerimage.config",
    );
    assert_eq!(config["config"]["Labels"]["x"], "y");
}

/// A Dockerfile past `Limits::max_file_bytes` (and past the 16 MiB gRPC
/// message limit) is read only up to the limit and answered with one
/// located error Return, not a transport error or a crash.
#[tokio::test]
async fn huge_dockerfile_returns_a_located_limit_error() {
    let mut dockerfile = String::from("FROM busybox\n");
    let line = "RUN echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
    while dockerfile.len() <= 17 << 20 {
        dockerfile.push_str(line);
    }
    let out = run_frontend(Fixture::with_dockerfile(&dockerfile), &[], SESSION).await;
    assert_clean_protocol(&out);
    let status = error_of(&out);
    assert!(
        status.message.contains("file too large") && status.message.contains("limit 8,388,608"),
        "{}",
        status.message
    );
    let max = llb_gen::limits::Limits::DEFAULT.max_file_bytes;
    let line_no = 1 + dockerfile[..max].matches('\n').count();
    assert!(
        status.message.contains(&format!("Dockerfile:{line_no}:")),
        "{}",
        status.message
    );
    let asked: Vec<_> = out
        .calls
        .iter()
        .filter_map(|c| match c {
            Call::ReadFile(r) if r.file_path == "Dockerfile" => r.range,
            _ => None,
        })
        .collect();
    assert_eq!(asked.len(), 1, "{:#?}", out.calls);
    assert_eq!(asked[0].length, i64::try_from(max + 1).unwrap());
}

/// `context:<name>` options: an image context is resolved under its own
/// progress name and replaces `FROM alpine`; a `local:` context's
/// `.dockerignore` is read from that local and becomes its excludes; a
/// context named like a stage replaces the stage (its RUN never appears).
#[tokio::test]
async fn named_contexts_replace_images_and_stages() {
    let mut fixture = Fixture::with_dockerfile(
        "FROM alpine AS base\nRUN echo on-base\n\
         FROM busybox AS broken\nRUN exit 1\n\
         FROM base\nCOPY --from=broken /x /x\nCOPY --from=assets /y /y\n",
    );
    fixture.add_file("assetsdir", ".dockerignore", "*.tmp\n");
    let opts = [
        ("context:alpine", "docker-image://busybox"),
        ("context:broken", "docker-image://scratch"),
        ("context:assets", "local:assetsdir"),
    ];
    let out = run_frontend(fixture, &opts, SESSION).await;
    assert_clean_protocol(&out);
    let ret = out.the_return();
    assert!(ret.error.is_none(), "{:#?}", ret.error);
    let resolves = out.resolves();
    assert!(
        resolves
            .iter()
            .any(|r| r.r#ref == "docker.io/library/busybox:latest"
                && r.log_name == "[context alpine] load metadata for busybox"),
        "{resolves:#?}"
    );
    assert!(resolves.iter().all(|r| !r.r#ref.contains("alpine")));
    let ignore_solve = out
        .solves()
        .iter()
        .filter_map(|s| s.definition.as_ref().and_then(local_name))
        .any(|l| l == "assetsdir");
    assert!(
        ignore_solve,
        "the .dockerignore of the local context is read"
    );
    let def = out.solves().last().unwrap().definition.clone().unwrap();
    let ops = decoded_ops(&def);
    let args: Vec<String> = ops
        .iter()
        .filter_map(|o| match &o.op {
            Some(pb::op::Op::Exec(e)) => e.meta.as_ref().map(|m| m.args.join(" ")),
            _ => None,
        })
        .collect();
    assert_eq!(args, ["/bin/sh -c echo on-base"]);
    let local = ops
        .iter()
        .find_map(|o| match &o.op {
            Some(pb::op::Op::Source(s)) if s.identifier == "local://assetsdir" => Some(s.clone()),
            _ => None,
        })
        .expect("COPY --from=assets reads the local context");
    let excludes: Vec<String> =
        serde_json::from_str(&local.attrs["local.excludepatterns"]).unwrap();
    assert_eq!(excludes, ["*.tmp"]);
    assert_eq!(local.attrs["local.sharedkeyhint"], "context:assets-");
}

/// A bad context value fails the build with the option and the Dockerfile
/// line that used it.
#[tokio::test]
async fn bad_named_context_is_a_located_error() {
    let out = run_frontend(
        Fixture::with_dockerfile("FROM busybox\nCOPY --from=assets / /\n"),
        &[("context:assets", "ftp://example.com/x")],
        SESSION,
    )
    .await;
    assert_clean_protocol(&out);
    let status = error_of(&out);
    assert!(
        status
            .message
            .contains("unsupported context source ftp for assets"),
        "{}",
        status.message
    );
    let details = source_details(status);
    assert!(
        !details.is_empty(),
        "the error carries the Dockerfile range"
    );
}

/// `SOURCE_DATE_EPOCH` reaches the exporter as `source.date.epoch` and
/// stamps the history.
#[tokio::test]
async fn source_date_epoch_is_returned_and_stamps_history() {
    let out = run_frontend(
        Fixture::with_dockerfile("FROM busybox\nRUN true\n"),
        &[("build-arg:SOURCE_DATE_EPOCH", "1700000000")],
        SESSION,
    )
    .await;
    assert_clean_protocol(&out);
    let ret = out.the_return();
    assert!(ret.error.is_none(), "{:#?}", ret.error);
    let meta = &ret.result.as_ref().unwrap().metadata;
    assert_eq!(meta["source.date.epoch"], b"1700000000");
    let config = image_config_of(meta, "containerimage.config");
    let history = config["history"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["created"], "2023-11-14T22:13:20Z");
}

#[tokio::test]
async fn parser_and_lowering_warnings_go_through_warn() {
    let dockerfile = "FROM busybox AS a\nRUN echo \\\n\n  hi\nFROM busybox AS a\n";
    let out = run_frontend(Fixture::with_dockerfile(dockerfile), &[], SESSION).await;
    assert_clean_protocol(&out);
    assert!(out.the_return().error.is_none(), "stderr:\n{}", out.stderr);
    let warns: Vec<_> = out
        .calls
        .iter()
        .filter_map(|c| match c {
            Call::Warn(w) => Some(w),
            _ => None,
        })
        .collect();
    let short: Vec<String> = warns
        .iter()
        .map(|w| String::from_utf8_lossy(&w.short).into_owned())
        .collect();
    assert_eq!(warns.len(), 2, "{short:?}");
    // Upstream's rule names and messages, at upstream's lines (the empty
    // continuation at the instruction's last line).
    assert_eq!(
        short,
        [
            "NoEmptyContinuation: Empty continuation line (line 4)",
            "DuplicateStageName: Duplicate stage name \"a\", stage names should be unique (line 5)",
        ]
    );
    // The first definition is a second range and a detail line.
    let lines: Vec<_> = warns[1]
        .ranges
        .iter()
        .map(|r| r.start.as_ref().map(|p| p.line))
        .collect();
    assert_eq!(lines, [Some(5), Some(1)]);
    assert_eq!(
        warns[1].detail,
        [
            b"Stage names should be unique".to_vec(),
            b"first defined here (line 1)".to_vec()
        ]
    );
    assert_eq!(warns[1].url, "docs/rules/duplicate-stage-name.md");
}

/// `scripts/bench --e2e` reads the frontend's own share of a build from this line (asked by a
/// build argument or a variable), and nothing is printed unless asked.
#[tokio::test]
async fn the_timing_line_only_when_asked() {
    let fixture = || Fixture::with_dockerfile("FROM busybox\nRUN true\n");
    let env = [("BUILDKIT_SESSION_ID", "sess-123")];
    let asked = run_frontend(
        fixture(),
        &[("build-arg:LLBGEN_FRONTEND_TIMING", "1")],
        &env,
    )
    .await;
    let line = asked
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("llb-gen frontend timing: "))
        .unwrap_or_else(|| panic!("no timing line:\n{}", asked.stderr));
    let field = |k: &str| -> f64 {
        line.split(' ')
            .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("{k} in {line}"))
            .parse()
            .unwrap_or_else(|e| panic!("{k} in {line}: {e}"))
    };
    let (start, rpc, ret, exit) = (
        field("start_unix_ns"),
        field("first_rpc_ms"),
        field("return_ms"),
        field("exit_ms"),
    );
    assert!(start > 1.7e18, "{line}");
    assert!(0.0 <= rpc && rpc <= ret && ret <= exit, "{line}");
    let quiet = run_frontend(fixture(), &[], &env).await;
    assert!(quiet.the_return().error.is_none());
    assert!(
        !quiet.stderr.contains("frontend timing"),
        "{}",
        quiet.stderr
    );
}
