//! Protocol tests of how the Dockerfile and the files read with it are loaded: from which
//! locals, in which rounds, with which fallbacks (the real `frontend` binary against the fake
//! `LLBBridge` of `support`).

#![allow(clippy::unwrap_used)]

mod support;

use bollard_buildkit_proto::pb;
use prost::Message as _;
use support::{assert_clean_protocol, error_of, run_frontend, source_op, Call, Fixture};

const SESSION: &[(&str, &str)] = &[("BUILDKIT_SESSION_ID", "sess-123")];

#[tokio::test]
async fn dockerfile_and_dockerignore_come_from_the_locals() {
    let mut fixture = Fixture::with_dockerfile("FROM busybox\n");
    fixture.add_file("context", ".dockerignore", "# c\nnode_modules\n");
    let out = run_frontend(fixture, &[], SESSION).await;
    assert_clean_protocol(&out);
    let solves = out.solves();
    assert!(solves.len() >= 2, "{solves:#?}");
    // The Dockerfile's local and the context's `.dockerignore` are solved concurrently, in any
    // order.
    let source_named = |id: &str| {
        solves
            .iter()
            .find_map(|s| source_op(s.definition.as_ref()?).filter(|o| o.identifier == id))
            .unwrap_or_else(|| panic!("no solve of {id}: {solves:#?}"))
    };

    let src = source_named("local://dockerfile");
    assert_eq!(src.attrs["local.session"], "sess-123");
    assert_eq!(src.attrs["local.sharedkeyhint"], "dockerfile");
    // Upstream's paths, and the lock file beside the Dockerfile (ours).
    assert_eq!(
        src.attrs["local.followpaths"],
        r#"["Dockerfile","Dockerfile.dockerignore","Dockerfile.lock","dockerfile"]"#
    );
    let reads: Vec<(&str, &str)> = out
        .read_files()
        .iter()
        .map(|r| (r.r#ref.as_str(), r.file_path.as_str()))
        .collect();
    // The Dockerfile, its .dockerignore and its lock are read from one ref, concurrently; the
    // context's .dockerignore once, from another.
    let mut beside: Vec<&str> = reads
        .iter()
        .filter(|(_, p)| p.starts_with("Dockerfile"))
        .map(|(_, p)| *p)
        .collect();
    beside.sort();
    assert_eq!(
        beside,
        ["Dockerfile", "Dockerfile.dockerignore", "Dockerfile.lock"]
    );
    let df_ref = reads.iter().find(|(_, p)| *p == "Dockerfile").unwrap().0;
    assert!(reads
        .iter()
        .filter(|(_, p)| p.starts_with("Dockerfile"))
        .all(|(r, _)| *r == df_ref));
    let ctx_reads: Vec<_> = reads
        .iter()
        .filter(|(_, p)| *p == ".dockerignore")
        .collect();
    assert_eq!(ctx_reads.len(), 1, "{reads:?}");
    assert_ne!(ctx_reads[0].0, df_ref);

    // ... and the context's is asked for before the Dockerfile is read: one round trip, not two
    // more after the Dockerfile is parsed.
    let first_at = |wanted: &dyn Fn(&Call) -> bool| out.calls.iter().position(wanted).unwrap();
    let ctx_solved = first_at(&|c| {
        matches!(c, Call::Solve(r) if r.definition.as_ref().and_then(source_op)
            .is_some_and(|o| o.identifier == "local://context"))
    });
    let df_read = first_at(&|c| matches!(c, Call::ReadFile(r) if r.file_path == "Dockerfile"));
    assert!(ctx_solved < df_read, "{:#?}", out.calls);

    let ctx = source_named("local://context");
    assert_eq!(ctx.attrs["local.followpaths"], r#"[".dockerignore"]"#);
    assert_eq!(ctx.attrs["local.sharedkeyhint"], "context-.dockerignore");
    // Internal loads are plain lazy solves; Definitions are well formed.
    for s in &solves[..2] {
        let def = s.definition.as_ref().unwrap();
        assert_eq!(def.def.len(), 2);
        let terminal = pb::Op::decode(def.def[1].as_slice()).unwrap();
        assert_eq!(terminal.inputs.len(), 1);
        assert!(def.metadata.contains_key(&terminal.inputs[0].digest));
    }
}

/// Without a `<Dockerfile>.dockerignore` the context's is read while the base images resolve,
/// not in a round of its own after them (one round trip less per build).
#[tokio::test]
async fn the_context_dockerignore_is_read_while_images_resolve() {
    let mut fixture = Fixture::with_dockerfile("FROM busybox\nCOPY . /src\n");
    fixture.add_file("context", ".dockerignore", "node_modules\n");
    fixture.resolve_delay = std::time::Duration::from_millis(300);
    let out = run_frontend(fixture, &[], SESSION).await;
    assert_clean_protocol(&out);
    let (_, resolved) = out.resolve_spans[0];
    let read_at = out
        .calls
        .iter()
        .zip(&out.call_times)
        .find_map(|(c, t)| match c {
            Call::ReadFile(r) if r.file_path == ".dockerignore" => Some(*t),
            _ => None,
        })
        .expect("the context's .dockerignore is read");
    assert!(read_at < resolved, "read after the image resolved");
    // Read once, and its patterns reach the context source.
    let ignore_reads = out
        .read_files()
        .iter()
        .filter(|r| r.file_path == ".dockerignore")
        .count();
    assert_eq!(ignore_reads, 1);
    let def = out.solves().last().unwrap().definition.clone().unwrap();
    let excludes = def
        .def
        .iter()
        .filter_map(|b| match pb::Op::decode(b.as_slice()).unwrap().op {
            Some(pb::op::Op::Source(src)) if src.identifier == "local://context" => {
                src.attrs.get("local.excludepatterns").cloned()
            }
            _ => None,
        })
        .next();
    assert_eq!(excludes.as_deref(), Some(r#"["node_modules"]"#));
}

#[tokio::test]
async fn lowercase_dockerfile_is_accepted() {
    let mut fixture = Fixture::with_dockerfile("");
    fixture.files.clear();
    fixture.add_file("dockerfile", "dockerfile", "FROM busybox\n");
    let out = run_frontend(fixture, &[], SESSION).await;
    assert_clean_protocol(&out);
    let paths: Vec<&str> = out
        .read_files()
        .iter()
        .map(|r| r.file_path.as_str())
        .collect();
    // `dockerfile` is read once `Dockerfile` has failed (the .dockerignore and the lock are read
    // at the same time as `Dockerfile`).
    let at = |name: &str| paths.iter().position(|p| *p == name);
    assert!(at("Dockerfile") < at("dockerfile"), "{paths:?}");
    assert!(at("dockerfile").is_some(), "{paths:?}");
    if let Some(err) = &out.the_return().error {
        assert!(
            !err.message.contains("failed to read dockerfile"),
            "{}",
            err.message
        );
    }
}

#[tokio::test]
async fn missing_dockerfile_is_an_error_return() {
    let mut fixture = Fixture::with_dockerfile("");
    fixture.files.clear();
    let out = run_frontend(fixture, &[], SESSION).await;
    assert_clean_protocol(&out);
    let status = error_of(&out);
    assert!(
        status.message.starts_with("failed to read dockerfile: "),
        "{}",
        status.message
    );
    assert_eq!(status.code, tonic::Code::NotFound as i32);
}
