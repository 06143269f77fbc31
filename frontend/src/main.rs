//! The BuildKit gateway frontend, run by BuildKit from our image (`# syntax=`); it speaks gRPC
//! over stdin/stdout, so stdout is the wire and logs go to stderr. The build itself lives in the
//! library (`src/lib.rs`, module `driver`).
#![deny(clippy::print_stdout, clippy::dbg_macro, clippy::unwrap_used)]

use std::process::ExitCode;

fn main() -> ExitCode {
    frontend::timing::started();
    let tuned = frontend::malloc::tune();
    frontend::panics::install_hook();
    frontend::init_logging();
    if !tuned {
        tracing::debug!("the allocator's mmap threshold is glibc's default (src/malloc.rs)");
    }
    // With FRONTEND_LOG=debug: when the process started and ended on the build's timeline.
    tracing::debug!("frontend started");
    // One worker thread runs the build (the converter's pure steps included, driver.rs) and the
    // HTTP/2 connection, as one current-thread runtime would: no wake-ups across threads, one
    // malloc arena. But a multi-thread runtime: a panic's hook must still send the one `Return`
    // (panics.rs), and `block_in_place` hands the panicking worker's connection to a new thread;
    // a current-thread runtime would leave it no thread to run on (docs/performance.md, "The
    // replay harness"). The thread that called `block_on` only waits.
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.worker_threads(1);
    frontend::run_main(runtime, async {
        tokio::spawn(frontend::driver::run_from_environment()).await?
    })
}
