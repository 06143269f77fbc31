//! A panic anywhere in the build still ends in exactly one error `Return`: the panic hook of
//! `frontend/src/panics.rs` sends it, then the process exits with status 1. The image's binary
//! aborts on panic (`panic = "abort"`, no unwind tables), so nothing is caught there; these
//! tests run the same points in this build and, with
//! `FRONTEND_TEST_BIN=$PWD/target/x86_64-unknown-linux-musl/image/frontend` (absolute: tests run in `frontend/`), in the image's binary.
//!
//! `LLBGEN_FRONTEND_TEST_PANIC` picks where it panics: the build's own future (on the runtime's
//! one thread), the converter (on that thread, between rounds), another task of the runtime. Each
//! freezes the runtime, and the `Return` goes out through the connection taken over by the
//! hook's thread (`transport::take_over`).

#![allow(clippy::unwrap_used)]

mod support;

use support::{run_frontend, Fixture};

async fn panic_at(point: &str) {
    let out = run_frontend(
        Fixture::with_dockerfile("FROM busybox\nRUN true\n"),
        &[],
        &[
            ("BUILDKIT_SESSION_ID", "sess-123"),
            ("LLBGEN_FRONTEND_TEST_PANIC", point),
        ],
    )
    .await;
    let ret = out.the_return();
    let status = ret
        .error
        .as_ref()
        .unwrap_or_else(|| panic!("{point}: expected an error Return: {ret:#?}"));
    assert_eq!(status.code, tonic::Code::Internal as i32, "{point}");
    assert!(
        status
            .message
            .contains("frontend panicked: injected panic at")
            && status.message.contains(point),
        "{point}: {}",
        status.message
    );
    assert!(ret.result.is_none(), "{point}");
    // Not the abort's signal: the hook ended the process after the Return was answered.
    assert_eq!(out.exit_code, Some(1), "{point}: stderr:\n{}", out.stderr);
    assert!(
        out.stderr.contains("error Return sent"),
        "{point}: {}",
        out.stderr
    );
}

#[tokio::test]
async fn a_panic_in_the_build_future_is_one_error_return() {
    panic_at("build").await;
}

#[tokio::test]
async fn a_panic_in_the_converter_is_one_error_return() {
    panic_at("convert").await;
}

#[tokio::test]
async fn a_panic_on_a_runtime_worker_is_one_error_return() {
    panic_at("worker").await;
}

#[tokio::test]
async fn without_a_panic_nothing_changes() {
    let out = run_frontend(
        Fixture::with_dockerfile("FROM busybox\nRUN true\n"),
        &[],
        &[
            ("BUILDKIT_SESSION_ID", "sess-123"),
            ("LLBGEN_FRONTEND_TEST_PANIC", "elsewhere"),
        ],
    )
    .await;
    assert!(out.the_return().error.is_none(), "{}", out.stderr);
    assert_eq!(out.exit_code, Some(0));
}
