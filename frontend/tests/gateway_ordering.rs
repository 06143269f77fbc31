//! Base-image answers that arrive slowly or out of order change nothing: the frontend asks for
//! every base image of a round at once, and whatever order the gateway answers in, the build's
//! `Solve` definitions and its `Return` are the same bytes.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use prost::Message as _;
use support::{run_frontend, Fixture, Outcome};

const SESSION: &[(&str, &str)] = &[("BUILDKIT_SESSION_ID", "sess-123")];

/// Four stages on four images, each stage used by the last one.
const DOCKERFILE: &str = "\
FROM alpine:3.20 AS a
RUN echo a > /a
FROM debian:bookworm-slim AS b
RUN echo b > /b
FROM golang:1.23 AS c
RUN echo c > /c
FROM busybox AS final
COPY --from=a /a /a
COPY --from=b /b /b
COPY --from=c /c /c
RUN cat /a /b /c
";

/// The images in the order the Dockerfile names them.
const IMAGES: [&str; 4] = [
    "docker.io/library/alpine:3.20",
    "docker.io/library/debian:bookworm-slim",
    "docker.io/library/golang:1.23",
    "docker.io/library/busybox:latest",
];

/// A fixture whose images differ (their env, their digest), answered after `delays_ms` (by
/// image, in the order of [`IMAGES`]).
fn fixture(delays_ms: [u64; 4]) -> Fixture {
    let mut f = Fixture::with_dockerfile(DOCKERFILE);
    for (i, name) in IMAGES.iter().enumerate() {
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","config":{{"Env":["PATH=/usr/bin:/bin","IMAGE={i}"],"WorkingDir":"/w{i}"}},"rootfs":{{"type":"layers","diff_ids":[]}}}}"#
        );
        let digest = format!("sha256:{}", format!("{i}").repeat(64));
        f.images
            .insert(name.to_string(), (digest, config.into_bytes()));
        f.resolve_delays
            .insert(name.to_string(), Duration::from_millis(delays_ms[i]));
    }
    f
}

/// The bytes that leave the frontend for BuildKit: every Solve's definition, then the Return's
/// result and each of its metadata entries by key (the gateway's `Result.metadata` is a protobuf
/// map, a `HashMap` in the generated code: its entries are encoded in the order of the hash map,
/// which changes from one process to the next and means nothing to BuildKit).
fn output_bytes(out: &Outcome) -> Vec<Vec<u8>> {
    assert_eq!(out.exit_code, Some(0), "stderr:\n{}", out.stderr);
    let ret = out.the_return();
    assert!(ret.error.is_none(), "{:#?}", ret.error);
    let mut bytes: Vec<Vec<u8>> = out
        .solves()
        .iter()
        .map(|s| s.definition.clone().unwrap_or_default().encode_to_vec())
        .collect();
    assert!(
        bytes.last().is_some_and(|b| b.len() > 1000),
        "the build's definition is missing"
    );
    let mut result = ret.result.clone().unwrap();
    assert!(result.attestations.is_empty());
    let metadata: BTreeMap<String, Vec<u8>> =
        std::mem::take(&mut result.metadata).into_iter().collect();
    bytes.push(result.encode_to_vec());
    assert!(
        metadata.contains_key("containerimage.config"),
        "{metadata:?}"
    );
    for (key, value) in metadata {
        bytes.push(key.into_bytes());
        bytes.push(value);
    }
    bytes
}

/// In which order the answers completed, as indexes into the order they were asked.
fn completion_order(out: &Outcome) -> Vec<usize> {
    let mut spans: Vec<(usize, std::time::Instant)> = Vec::new();
    let mut starts: Vec<std::time::Instant> = out.resolve_spans.iter().map(|s| s.0).collect();
    starts.sort();
    for (start, end) in &out.resolve_spans {
        spans.push((starts.iter().position(|s| s == start).unwrap(), *end));
    }
    spans.sort_by_key(|s| s.1);
    spans.into_iter().map(|s| s.0).collect()
}

#[tokio::test]
async fn base_image_answers_in_any_order_or_slow_give_the_same_bytes() {
    let baseline = output_bytes(&run_frontend(fixture([0; 4]), &[], SESSION).await);
    let mut orders = BTreeMap::new();
    for delays in [
        [300, 200, 100, 0], // the first asked answers last
        [0, 300, 50, 200],
        [250, 250, 250, 250], // all slow
    ] {
        let out = run_frontend(fixture(delays), &[], SESSION).await;
        assert_eq!(out.resolves().len(), 4, "one ResolveImageConfig per image");
        orders.insert(delays, completion_order(&out));
        let got = output_bytes(&out);
        assert!(
            got == baseline,
            "answers delayed by {delays:?} ms changed the output"
        );
    }
    // The scenario happened: all four were asked before the first answer, so the slowest-first
    // delays made the answers arrive in another order than they were asked.
    let reversed = &orders[&[300, 200, 100, 0]];
    assert_ne!(
        reversed,
        &vec![0, 1, 2, 3],
        "answers arrived in request order"
    );
}
