//! The BuildKit gateway frontend as a library: the `frontend` binary (`src/main.rs`) is a thin
//! `main` over [`driver::run_from_environment`], and the test-only forwarding frontend of the
//! end-to-end suite (its own crate, `tests/e2e-forward`) reuses the transport, environment and
//! error modules.
//!
//! BuildKit runs the binary from our image (`# syntax=`); it speaks gRPC over stdin/stdout, so
//! stdout is the wire and logs go to stderr.
//!
//! Modules:
//! - `transport`: stdin/stdout as one gRPC channel (one-shot connector);
//! - `env`: `BUILDKIT_FRONTEND_OPT_<n>` and the other variables BuildKit sets;
//! - `options`: frontend options to typed settings;
//! - `bridge`: the `LLBBridge` calls, with BuildKit's capability rules;
//! - `sources`, `host`: local sources; the converter's host (base image configs, files);
//! - `remote`: a Git or HTTP(S) main build context (the `context` option), frontend inputs;
//! - `forward`: handing the build to the frontend `# syntax=` / `BUILDKIT_SYNTAX` names;
//! - `driver`: the build, from `Ping` to the one `Return`;
//! - `panics`: the one `Return` when something panics (the image aborts on panic);
//! - `subrequests`: `requestid=` answers (describe, targets, lint) instead of a build;
//! - `status`: errors and their one conversion to a `google.rpc.Status`;
//! - `timing`: the frontend's own share of a build, on stderr when asked (benchmarks).
#![deny(clippy::print_stdout, clippy::dbg_macro, clippy::unwrap_used)]

pub mod bridge;
pub mod driver;
pub mod env;
pub mod forward;
pub mod host;
pub mod malloc;
#[cfg(all(target_arch = "x86_64", target_env = "musl"))]
mod musl_mem;
pub mod options;
pub mod panics;
pub mod remote;
pub mod sources;
pub mod status;
pub mod subrequests;
pub mod timing;
pub mod transport;
pub mod wire;

/// Logs to stderr (stdout is the gRPC wire), filtered by `FRONTEND_LOG` (default `info`): a
/// level (`debug`) or comma-separated `target=level` directives (`info,frontend::bridge=debug`).
/// An unreadable value falls back to `info` with a warning. The filter is `Targets`, not
/// `EnvFilter`: the latter's regex engine was about a fifth of the image
/// (docs/performance-history.md, "The image").
/// Release and image builds stop at `debug` (tracing's `release_max_level_debug`): `trace`
/// asks for the dependencies' trace events (h2, hyper), which only a dev build has.
pub fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let value = std::env::var("FRONTEND_LOG").ok();
    let parsed = value
        .as_deref()
        .map(str::parse::<tracing_subscriber::filter::Targets>);
    let (filter, bad) = match parsed {
        Some(Ok(targets)) => (targets, None),
        Some(Err(err)) => (default_filter(), Some(err)),
        None => (default_filter(), None),
    };
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(filter)
        .init();
    if let Some(err) = bad {
        tracing::warn!("FRONTEND_LOG={:?} ignored ({err}); logging at info", value);
    }
}

fn default_filter() -> tracing_subscriber::filter::Targets {
    tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO)
}

/// Runs `main` to completion on `runtime` (a builder from the binary) and
/// turns its outcome into the process exit code, logging a failure.
///
/// After `Return` there is nothing left to send, and BuildKit waits for the
/// process to exit before it uses the result. The blocking stdin reader never
/// returns before EOF (BuildKit keeps the pipe open), so waiting for it (it
/// was `shutdown_timeout(100 ms)`) cost every build the full 100 ms: the
/// runtime is dropped without waiting.
pub fn run_main(
    mut runtime: tokio::runtime::Builder,
    main: impl std::future::Future<Output = anyhow::Result<()>>,
) -> std::process::ExitCode {
    let runtime = match runtime.enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            tracing::error!("cannot start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(main);
    crate::malloc::exiting();
    runtime.shutdown_background();
    tracing::debug!(ok = outcome.is_ok(), "exiting");
    crate::timing::report();
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
