//! The BuildKit gateway frontend, run by BuildKit from our image (`# syntax=`); it speaks gRPC
//! over stdin/stdout, so stdout is the wire and logs go to stderr. The build itself lives in the
//! library (`src/lib.rs`, module `driver`).
#![deny(clippy::print_stdout, clippy::dbg_macro, clippy::unwrap_used)]

use std::process::ExitCode;

fn main() -> ExitCode {
    frontend::init_logging();
    // With FRONTEND_LOG=debug: when the process started and ended on the build's timeline.
    tracing::debug!("frontend started");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            tracing::error!("cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(frontend::driver::run_from_environment());
    // After `Return` there is nothing left to send, and BuildKit waits for this process to exit
    // before it uses the result. The blocking stdin reader never returns before EOF (BuildKit
    // keeps the pipe open), so waiting for it (it was `shutdown_timeout(100 ms)`) cost every build
    // the full 100 ms: drop the runtime without waiting.
    runtime.shutdown_background();
    tracing::debug!(ok = outcome.is_ok(), "frontend exiting");
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            ExitCode::FAILURE
        }
    }
}
