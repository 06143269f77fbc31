//! The BuildKit gateway frontend, run by BuildKit from our image (`# syntax=`); it speaks gRPC
//! over stdin/stdout, so stdout is the wire and logs go to stderr. The build itself lives in the
//! library (`src/lib.rs`, module `driver`).
#![deny(clippy::print_stdout, clippy::dbg_macro, clippy::unwrap_used)]

use std::process::ExitCode;

fn main() -> ExitCode {
    frontend::init_logging();
    // With FRONTEND_LOG=debug: when the process started and ended on the build's timeline.
    tracing::debug!("frontend started");
    // One thread runs the gateway conversation (the conversion itself runs on a blocking
    // thread, driver.rs): worker threads only added wake-ups and context switches between
    // them (docs/performance.md, "The replay harness").
    let runtime = tokio::runtime::Builder::new_current_thread();
    frontend::run_main(runtime, frontend::driver::run_from_environment())
}
