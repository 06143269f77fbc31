//! Protocol tests of the superset's composition: the real `frontend` binary
//! against the fake `LLBBridge`. Included files are read from the locals in
//! batches (one solve per source and round, only those paths), globs list
//! their directory with `ReadDir`, and errors in an included file come back
//! located in it.

#![allow(clippy::unwrap_used)]

mod support;

use bollard_buildkit_proto::moby::buildkit::v1::frontend::result;
use bollard_buildkit_proto::pb;
use prost::Message as _;
use support::{run_frontend, source_op, Call, Fixture};

const SESSION: &[(&str, &str)] = &[("BUILDKIT_SESSION_ID", "sess-123")];

/// The follow paths of each solve of the `dockerfile` local, in order.
fn dockerfile_loads(out: &support::Outcome) -> Vec<String> {
    out.solves()
        .iter()
        .filter_map(|s| source_op(s.definition.as_ref()?))
        .filter(|s| s.identifier == "local://dockerfile")
        .map(|s| s.attrs["local.followpaths"].clone())
        .collect()
}

#[tokio::test]
async fn included_files_are_read_in_batches_from_the_dockerfile_local() {
    let mut fixture = Fixture::with_dockerfile(
        "FROM busybox\nINCLUDE a.Dockerfile b.Dockerfile steps/*.Dockerfile\n",
    );
    fixture.add_file("dockerfile", "a.Dockerfile", "RUN echo a\n");
    fixture.add_file("dockerfile", "b.Dockerfile", "RUN echo b\n");
    fixture.add_file("dockerfile", "steps/2.Dockerfile", "RUN echo step2\n");
    fixture.add_file("dockerfile", "steps/1.Dockerfile", "RUN echo step1\n");
    fixture.add_file("dockerfile", "steps/notes.txt", "RUN echo never\n");
    let out = run_frontend(fixture, &[], SESSION).await;
    let ret = out.the_return();
    assert!(ret.error.is_none(), "{:#?}\n{}", ret.error, out.stderr);
    // The Dockerfile, then (concurrently, in either order) one solve with
    // both named files and one for the glob's listing, then one with the
    // files it matched.
    let mut loads = dockerfile_loads(&out);
    loads[1..3].sort();
    assert_eq!(
        loads,
        vec![
            r#"["Dockerfile","Dockerfile.dockerignore","Dockerfile.lock","dockerfile"]"#
                .to_string(),
            r#"["a.Dockerfile","b.Dockerfile"]"#.to_string(),
            r#"["steps/*.Dockerfile"]"#.to_string(),
            r#"["steps/1.Dockerfile","steps/2.Dockerfile"]"#.to_string(),
        ]
    );
    assert_eq!(
        out.calls
            .iter()
            .filter(|c| matches!(c, Call::Other("ReadDir")))
            .count(),
        1
    );
    // The build's definition runs the included steps in order.
    let Some(result::Result::Ref(r)) = ret.result.as_ref().and_then(|r| r.result.as_ref()) else {
        panic!("no ref result: {ret:#?}");
    };
    let def = out.solve_of(&r.id).unwrap().definition.as_ref().unwrap();
    let runs: Vec<String> = def
        .def
        .iter()
        .filter_map(|b| match pb::Op::decode(b.as_slice()).unwrap().op {
            Some(pb::op::Op::Exec(e)) => e.meta.map(|m| m.args.join(" ")),
            _ => None,
        })
        .collect();
    let joined = runs.join("\n");
    let order: Vec<usize> = ["echo a", "echo b", "echo step1", "echo step2"]
        .iter()
        .map(|s| {
            joined
                .find(s)
                .unwrap_or_else(|| panic!("{s} missing in {joined}"))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{joined}");
    assert!(!joined.contains("never"));
    // Source maps name the included files.
    let names: Vec<&str> = def
        .source
        .as_ref()
        .unwrap()
        .infos
        .iter()
        .map(|i| i.filename.as_str())
        .collect();
    assert!(names.contains(&"steps/1.Dockerfile"), "{names:?}");
}

#[tokio::test]
async fn an_error_in_an_included_file_is_located_in_it() {
    let mut fixture = Fixture::with_dockerfile("FROM busybox\nINCLUDE inc/bad.Dockerfile\n");
    let bad = "RUN true\nIF ${X} ==\nEND\n";
    fixture.add_file("dockerfile", "inc/bad.Dockerfile", bad);
    let out = run_frontend(fixture, &[], SESSION).await;
    let ret = out.the_return();
    let status = ret.error.as_ref().expect("an error Return");
    assert!(
        status
            .message
            .starts_with("inc/bad.Dockerfile:2:11: invalid condition"),
        "{}",
        status.message
    );
    assert!(
        status.message.contains("(included from Dockerfile:2:9)"),
        "{}",
        status.message
    );
    let detail: serde_json::Value = serde_json::from_slice(&status.details[0].value).unwrap();
    assert_eq!(detail["info"]["filename"], "inc/bad.Dockerfile");
    assert_eq!(detail["ranges"][0]["start"]["line"], 2);
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD
        .decode(detail["info"]["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(data, bad.as_bytes());
}
