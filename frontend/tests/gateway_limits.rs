//! The frontend binary at the limits, through the fake `LLBBridge`: the
//! converter runs on the main thread (llb-gen/tests/depth.rs converts on
//! 2 MiB of stack), and these prove that the depth of a Dockerfile does
//! not depend on the stack
//! and that an oversized result is one located error `Return`, not a crash
//! or a `Solve` that BuildKit would refuse.

#![allow(clippy::unwrap_used)]

mod support;

use bollard_buildkit_proto::pb;
use prost::Message as _;
use support::{run_frontend, Fixture};

const SESSION: &[(&str, &str)] = &[("BUILDKIT_SESSION_ID", "sess-123")];

fn repeated(line: &str, n: usize) -> String {
    format!("FROM busybox\n{}", line.repeat(n))
}

#[tokio::test]
async fn twenty_thousand_runs_convert() {
    // The frontend aborted from about 11,000 RUN lines before the graph's
    // drop became iterative.
    let out = run_frontend(
        Fixture::with_dockerfile(&repeated("RUN true\n", 20_000)),
        &[],
        SESSION,
    )
    .await;
    assert_eq!(out.exit_code, Some(0), "stderr:\n{}", out.stderr);
    let ret = out.the_return();
    assert!(ret.error.is_none(), "{:#?}", ret.error);
    let def = out.solves().last().unwrap().definition.clone().unwrap();
    assert!(def.def.len() > 20_000, "{} ops", def.def.len());
    assert!(def.encode_to_vec().len() <= 16 << 20);
    let execs = def
        .def
        .iter()
        .filter(|b| {
            matches!(
                pb::Op::decode(b.as_slice()).unwrap().op,
                Some(pb::op::Op::Exec(_))
            )
        })
        .count();
    assert_eq!(execs, 20_000);
}

#[tokio::test]
async fn the_instruction_limit_is_one_located_error_return() {
    let out = run_frontend(
        Fixture::with_dockerfile(&repeated("RUN true\n", 99_999)),
        &[],
        SESSION,
    )
    .await;
    assert_eq!(out.exit_code, Some(0), "stderr:\n{}", out.stderr);
    let ret = out.the_return();
    let status = ret
        .error
        .as_ref()
        .unwrap_or_else(|| panic!("expected an error Return"));
    assert!(
        status
            .message
            .contains("the build definition would be larger than 16,777,216 bytes"),
        "{}",
        status.message
    );
    assert!(status.message.contains("Dockerfile:"), "{}", status.message);
    // Nothing over the limit was sent: the only Solves are the image
    // resolution's, if any, never the build's.
    for s in out.solves() {
        let size = s.definition.as_ref().map_or(0, |d| d.encode_to_vec().len());
        assert!(size <= 16 << 20, "a {size}-byte Solve was sent");
    }
}

#[tokio::test]
async fn a_large_env_in_many_runs_fails_at_a_run() {
    let mut df = String::from("FROM busybox\nENV a=xxxxxxxxxxxxxxxx\n");
    df.push_str(&"ENV a=$a$a\n".repeat(16));
    df.push_str(&"RUN true\n".repeat(300));
    let out = run_frontend(Fixture::with_dockerfile(&df), &[], SESSION).await;
    let status = out.the_return().error.clone().expect("an error Return");
    assert!(
        status
            .message
            .contains("the build definition would be larger"),
        "{}",
        status.message
    );
    // Line 19: FROM, the first ENV, 16 doublings, then the RUN that crosses.
    assert!(status.message.contains("Dockerfile:"), "{}", status.message);
}
