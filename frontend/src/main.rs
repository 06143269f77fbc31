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
    // One thread runs everything: the build (the converter's pure steps included, driver.rs)
    // and the HTTP/2 connection; no wake-ups across threads, one malloc heap. A panic on it
    // still sends the one `Return`: the connection's tasks are taken over by the panic hook's
    // thread (panics.rs, transport.rs).
    frontend::run_main(
        tokio::runtime::Builder::new_current_thread(),
        frontend::driver::run_from_environment(),
    )
}
