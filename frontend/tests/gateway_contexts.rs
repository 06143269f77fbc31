//! Protocol tests of the main build context options: a Git or HTTP(S)
//! `context` (the Dockerfile read from it), `contextkey`, `contextsubdir`,
//! `dockerfilekey`, `local-sessionid:`, against the fake `LLBBridge`.

#![allow(clippy::unwrap_used)]

mod support;

use bollard_buildkit_proto::pb;
use prost::Message as _;
use support::{local_name, run_frontend, source_op, Call, Fixture, Outcome};

const SESSION: &[(&str, &str)] = &[("BUILDKIT_SESSION_ID", "sess-123")];
const GIT: &str = "git://127.0.0.1/repo.git#main:app";

fn ops(def: &pb::Definition) -> Vec<pb::Op> {
    def.def
        .iter()
        .map(|b| pb::Op::decode(b.as_slice()).unwrap())
        .collect()
}

fn sources(def: &pb::Definition) -> Vec<pb::SourceOp> {
    ops(def)
        .into_iter()
        .filter_map(|o| match o.op {
            Some(pb::op::Op::Source(s)) => Some(s),
            _ => None,
        })
        .collect()
}

fn ok(out: &Outcome) {
    assert_eq!(out.exit_code, Some(0), "stderr:\n{}", out.stderr);
    let ret = out.the_return();
    assert!(ret.error.is_none(), "{:#?}\n{}", ret.error, out.stderr);
}

fn error_message(out: &Outcome) -> String {
    assert_eq!(out.exit_code, Some(0), "stderr:\n{}", out.stderr);
    let ret = out.the_return();
    ret.error
        .as_ref()
        .unwrap_or_else(|| panic!("expected an error: {:#?}", out.calls))
        .message
        .clone()
}

/// The definition the build returned (the last solve).
fn final_def(out: &Outcome) -> pb::Definition {
    out.solves().last().unwrap().definition.clone().unwrap()
}

/// A fixture without a `dockerfile` local: the Dockerfile is in `key`.
fn remote(key: &str, path: &str, text: &str) -> Fixture {
    let mut f = Fixture::with_dockerfile("FROM busybox\nRUN exit 9\n");
    f.files.clear();
    f.add_file(key, path, text);
    f.llb_caps
        .as_mut()
        .unwrap()
        .extend(["source.git.fullurl", "source.git.keepgitdir"]);
    f
}

#[tokio::test]
async fn git_context_holds_the_dockerfile_and_the_context() {
    let fixture = remote(GIT, "Dockerfile", "FROM busybox\nCOPY . /src\n");
    let opts = [
        ("context", GIT),
        ("build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR", "true"),
    ];
    let out = run_frontend(fixture, &opts, SESSION).await;
    ok(&out);
    let first = source_op(out.solves()[0].definition.as_ref().unwrap()).unwrap();
    assert_eq!(first.identifier, GIT);
    assert_eq!(first.attrs["git.keepgitdir"], "true");
    // No local is ever asked for (Docker 20.10 would have none).
    assert!(
        out.solves()
            .iter()
            .all(|s| s.definition.as_ref().and_then(local_name).is_none()),
        "{:#?}",
        out.solves()
    );
    let def = final_def(&out);
    let srcs = sources(&def);
    assert!(srcs.iter().any(|s| s.identifier == GIT), "{srcs:#?}");
    assert!(srcs.iter().all(|s| !s.identifier.starts_with("local://")));
    let reads: Vec<&str> = out
        .read_files()
        .iter()
        .map(|r| r.file_path.as_str())
        .collect();
    let mut first = reads[..3].to_vec();
    first.sort();
    assert_eq!(
        first,
        ["Dockerfile", "Dockerfile.dockerignore", "Dockerfile.lock"]
    );
    assert!(!reads.contains(&".dockerignore"), "{reads:?}");
}

#[tokio::test]
async fn contextsubdir_scopes_a_remote_context_and_contextkey_names_it() {
    let fixture = remote(GIT, "Dockerfile", "FROM busybox\nCOPY . /src\n");
    let opts = [
        ("contextkey", "repo"),
        ("repo", GIT),
        ("contextsubdir", "svc"),
    ];
    let out = run_frontend(fixture, &opts, SESSION).await;
    ok(&out);
    let copies: Vec<pb::FileActionCopy> = ops(&final_def(&out))
        .into_iter()
        .filter_map(|o| match o.op {
            Some(pb::op::Op::File(f)) => Some(f.actions),
            _ => None,
        })
        .flatten()
        .filter_map(|a| match a.action {
            Some(pb::file_action::Action::Copy(c)) => Some(c),
            _ => None,
        })
        .collect();
    assert!(
        copies
            .iter()
            .any(|c| c.src == "/svc" && c.dest == "/" && c.dir_copy_contents),
        "{copies:#?}"
    );
}

#[tokio::test]
async fn http_download_that_is_no_archive_is_the_dockerfile() {
    let url = "http://127.0.0.1:1/Dockerfile";
    let fixture = remote(url, "context", "FROM busybox\nRUN true\n");
    let out = run_frontend(fixture, &[("context", url)], SESSION).await;
    ok(&out);
    let solves = out.solves();
    let first = source_op(solves[0].definition.as_ref().unwrap()).unwrap();
    assert_eq!(first.identifier, url);
    assert_eq!(first.attrs["http.filename"], "context");
    let reads: Vec<(&str, Option<i64>)> = out
        .read_files()
        .iter()
        .map(|r| (r.file_path.as_str(), r.range.as_ref().map(|r| r.length)))
        .collect();
    assert_eq!(reads[0], ("context", Some(1024)));
    assert_eq!(reads[1].0, "context");
}

#[tokio::test]
async fn http_archive_is_unpacked_and_holds_the_dockerfile() {
    let url = "http://127.0.0.1:1/ctx.tar.gz";
    let mut fixture = remote(url, "Dockerfile", "FROM busybox\nCOPY . /src\n");
    fixture
        .files
        .insert((url.into(), "context".into()), vec![0x1f, 0x8b, 0x08, 0]);
    let out = run_frontend(fixture, &[("context", url)], SESSION).await;
    ok(&out);
    let unpacks = ops(&final_def(&out))
        .into_iter()
        .filter_map(|o| match o.op {
            Some(pb::op::Op::File(f)) => Some(f.actions),
            _ => None,
        })
        .flatten()
        .filter(|a| {
            matches!(&a.action, Some(pb::file_action::Action::Copy(c))
                if c.src == "/context" && c.attempt_unpack_docker_compatibility)
        })
        .count();
    assert_eq!(unpacks, 1);
}

#[tokio::test]
async fn dockerfilekey_reads_the_dockerfile_from_that_local() {
    let mut fixture = remote(GIT, "Dockerfile", "FROM busybox\nRUN exit 9\n");
    fixture.add_file("df", "Dockerfile", "FROM busybox\nCOPY . /src\n");
    let opts = [("context", GIT), ("dockerfilekey", "df")];
    let out = run_frontend(fixture, &opts, SESSION).await;
    ok(&out);
    let first = out.solves()[0].definition.clone().unwrap();
    assert_eq!(local_name(&first).as_deref(), Some("df"));
    let def = final_def(&out);
    assert!(sources(&def).iter().any(|s| s.identifier == GIT));
}

#[tokio::test]
async fn local_sessionid_moves_the_main_context_to_another_session() {
    let fixture = Fixture::with_dockerfile("FROM busybox\nCOPY a /a\n");
    let opts = [("local-sessionid:context", "sess-other")];
    let out = run_frontend(fixture, &opts, SESSION).await;
    ok(&out);
    let ctx = sources(&final_def(&out))
        .into_iter()
        .find(|s| s.identifier == "local://context")
        .unwrap();
    assert_eq!(ctx.attrs["local.session"], "sess-other");
    let df = source_op(out.solves()[0].definition.as_ref().unwrap()).unwrap();
    assert_eq!(df.attrs["local.session"], "sess-123");
}

#[tokio::test]
async fn bad_context_values_name_what_was_given_and_what_is_accepted() {
    for (opts, want) in [
        (
            vec![("context", "ftp://example.com/x")],
            vec!["ftp://example.com/x", "Git URL"],
        ),
        (
            vec![("context", GIT), ("contextsubdir", "../x")],
            vec!["contextsubdir", "outside the build context"],
        ),
        (
            vec![("context", "https://h/r.git?branch=a&tag=b")],
            vec!["context", "tag and branch"],
        ),
    ] {
        let out = run_frontend(Fixture::with_dockerfile("FROM busybox\n"), &opts, SESSION).await;
        let msg = error_message(&out);
        for w in want {
            assert!(msg.contains(w), "{opts:?}: {msg}");
        }
        assert!(out.solves().is_empty(), "{opts:?}");
    }
}

#[tokio::test]
async fn unreachable_remote_context_is_an_error_naming_the_url() {
    // The fake has no files for this source: reading the Dockerfile fails.
    let fixture = remote("elsewhere", "Dockerfile", "FROM busybox\n");
    let out = run_frontend(fixture, &[("context", GIT)], SESSION).await;
    let msg = error_message(&out);
    assert!(msg.contains("failed to read dockerfile"), "{msg}");
    assert!(
        out.calls
            .iter()
            .all(|c| !matches!(c, Call::ResolveImageConfig(_))),
        "no conversion after a failed read"
    );
}

/// An input Definition: busybox with `/made` (as a bake target's result).
fn input_definition() -> pb::Definition {
    use llb_gen::llb;
    llb::image("docker.io/library/busybox:latest", Default::default())
        .file(
            llb::FileAction::mkdir("/made", 0o755, llb::MkdirOptions::default()),
            Default::default(),
        )
        .marshal(&llb::MarshalOptions::default())
        .unwrap()
}

#[tokio::test]
async fn input_contexts_come_from_the_inputs_rpc_with_their_metadata() {
    use base64::Engine as _;
    let mut fixture = Fixture::with_dockerfile("FROM base\nRUN echo $FROM_INPUT\n");
    let input = input_definition();
    fixture.inputs.insert("base".into(), input.clone());
    let config =
        r#"{"architecture":"amd64","os":"linux","config":{"Env":["FROM_INPUT=yes","PATH=/bin"]}}"#;
    let md = serde_json::json!({
        "containerimage.config": base64::engine::general_purpose::STANDARD.encode(config)
    })
    .to_string();
    let opts = [
        ("context:base", "input:base"),
        ("input-metadata:base", md.as_str()),
    ];
    let out = run_frontend(fixture, &opts, SESSION).await;
    ok(&out);
    assert!(out.calls.iter().any(|c| matches!(c, Call::Other("Inputs"))));
    let def = final_def(&out);
    // The input's ops, byte for byte, then the RUN on top of them.
    for op in &input.def[..input.def.len() - 1] {
        assert!(def.def.contains(op), "input op missing");
    }
    let run = ops(&def)
        .into_iter()
        .find_map(|o| match o.op {
            Some(pb::op::Op::Exec(e)) => e.meta,
            _ => None,
        })
        .unwrap();
    assert!(
        run.env.contains(&"FROM_INPUT=yes".to_string()),
        "{:?}",
        run.env
    );
    // No image was resolved for `base`: the input stands for it.
    assert!(out.resolves().is_empty(), "{:#?}", out.resolves());
}

#[tokio::test]
async fn an_input_that_was_not_sent_is_named() {
    let mut fixture = Fixture::with_dockerfile("FROM busybox\nCOPY --from=deps /a /a\n");
    fixture.inputs.insert("other".into(), input_definition());
    let out = run_frontend(fixture, &[("context:deps", "input:deps")], SESSION).await;
    let msg = error_message(&out);
    assert!(
        msg.contains("input:deps") && msg.contains("inputs sent: other"),
        "{msg}"
    );
}

#[tokio::test]
async fn inputs_named_dockerfile_and_context_are_the_dockerfile_and_the_context() {
    let mut fixture = Fixture::with_dockerfile("FROM busybox\nRUN exit 9\n");
    let df = input_definition();
    let key = source_op(&df).unwrap().identifier;
    fixture.add_file(&key, "Dockerfile", "FROM busybox\nCOPY . /src\n");
    fixture.inputs.insert("dockerfile".into(), df);
    fixture.inputs.insert("context".into(), input_definition());
    let out = run_frontend(fixture, &[], SESSION).await;
    ok(&out);
    let def = final_def(&out);
    assert!(
        sources(&def)
            .iter()
            .all(|s| !s.identifier.starts_with("local://")),
        "the context is the input, not a local"
    );
    assert!(out
        .solves()
        .iter()
        .all(|s| s.definition.as_ref().and_then(local_name).is_none()));
}

/// The Solves that ran another frontend.
fn frontend_solves(
    out: &Outcome,
) -> Vec<&bollard_buildkit_proto::moby::buildkit::v1::frontend::SolveRequest> {
    out.solves()
        .into_iter()
        .filter(|s| !s.frontend.is_empty())
        .collect()
}

#[tokio::test]
async fn a_syntax_line_naming_another_frontend_is_forwarded_with_every_option() {
    let df = "# syntax=example.com/other:1 --x\nFROM busybox\n";
    let opts = [("source", "us:1"), ("build-arg:A", "b"), ("target", "t")];
    let out = run_frontend(Fixture::with_dockerfile(df), &opts, SESSION).await;
    ok(&out);
    let fw = frontend_solves(&out);
    assert_eq!(fw.len(), 1, "{:#?}", out.solves());
    assert_eq!(fw[0].frontend, "gateway.v0");
    let o = &fw[0].frontend_opt;
    assert_eq!(o["source"], "example.com/other:1");
    assert_eq!(o["cmdline"], "example.com/other:1 --x");
    assert_eq!(
        (o["build-arg:A"].as_str(), o["target"].as_str()),
        ("b", "t")
    );
    // Nothing of ours ran: no image resolved, no definition solved after.
    assert!(out.resolves().is_empty());
    let ret = out.the_return();
    assert!(ret.result.is_some());
}

#[tokio::test]
async fn buildkit_syntax_wins_and_cmdline_or_ourselves_stop_the_forward() {
    let df = "# syntax=example.com/other:1\nFROM busybox\n";
    let out = run_frontend(
        Fixture::with_dockerfile(df),
        &[("build-arg:BUILDKIT_SYNTAX", "example.com/third:2")],
        SESSION,
    )
    .await;
    ok(&out);
    assert_eq!(
        frontend_solves(&out)[0].frontend_opt["source"],
        "example.com/third:2"
    );
    for opts in [
        vec![("cmdline", "example.com/other:1")],
        vec![("source", "example.com/other:1")],
    ] {
        let out = run_frontend(Fixture::with_dockerfile(df), &opts, SESSION).await;
        ok(&out);
        assert!(frontend_solves(&out).is_empty(), "{opts:?}");
        assert!(
            !out.resolves().is_empty(),
            "{opts:?}: we build it ourselves"
        );
    }
}

#[tokio::test]
async fn a_failing_forward_names_the_syntax_line() {
    let mut fixture = Fixture::with_dockerfile("# syntax=example.com/gone:1\nFROM busybox\n");
    fixture.frontend_solve_error = Some("pull access denied".into());
    let out = run_frontend(fixture, &[], SESSION).await;
    let msg = error_message(&out);
    assert!(
        msg.contains("Dockerfile:1")
            && msg.contains("example.com/gone:1")
            && msg.contains("pull access denied"),
        "{msg}"
    );
    let mut fixture = Fixture::with_dockerfile("FROM busybox\n");
    fixture.frontend_solve_error = Some("nope".into());
    let out = run_frontend(fixture, &[("build-arg:BUILDKIT_SYNTAX", "x:1")], SESSION).await;
    let msg = error_message(&out);
    assert!(
        msg.contains("failed with BUILDKIT_SYNTAX = x:1") && msg.contains("nope"),
        "{msg}"
    );
}

/// Platforms convert concurrently: their base images resolve at the same
/// time (in sequence, the second would start after the first ended).
#[tokio::test]
async fn platforms_convert_concurrently() {
    let mut fixture = Fixture::with_dockerfile("FROM busybox\nCOPY a /a\n");
    fixture.resolve_delay = std::time::Duration::from_millis(400);
    let out = run_frontend(fixture, &[("platform", "linux/amd64,linux/arm64")], SESSION).await;
    ok(&out);
    let spans = &out.resolve_spans;
    assert_eq!(spans.len(), 2, "{:#?}", out.resolves());
    let (a, b) = (spans[0], spans[1]);
    assert!(
        a.0 < b.1 && b.0 < a.1,
        "the two resolutions overlap: {spans:?}"
    );
}
