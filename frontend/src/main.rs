//! The BuildKit gateway frontend, run by BuildKit from our image (`# syntax=`); it speaks gRPC
//! over stdin/stdout, so stdout is the wire and logs go to stderr. The build itself lives in the
//! library (`src/lib.rs`, module `driver`).
#![deny(clippy::print_stdout, clippy::dbg_macro, clippy::unwrap_used)]

use std::process::ExitCode;

fn main() -> ExitCode {
    frontend::timing::started();
    frontend::panics::install_hook();
    frontend::init_logging();
    // With FRONTEND_LOG=debug: when the process started and ended on the build's timeline.
    tracing::debug!("frontend started");
    // The build (and the converter's pure steps, driver.rs) runs on this thread in `block_on`;
    // one worker thread runs the HTTP/2 connection. Not a current-thread runtime: a panic must
    // still be able to send its one `Return` (panics.rs), which needs the connection driven by a
    // thread other than the panicking one. One worker, not one per core: more only added
    // wake-ups and context switches (docs/performance.md, "The replay harness").
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.worker_threads(1);
    frontend::run_main(runtime, frontend::driver::run_from_environment())
}
