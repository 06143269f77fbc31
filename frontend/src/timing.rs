//! The frontend's own share of a build, for `scripts/bench --e2e` (docs/performance.md):
//! when asked, one line on stderr at exit with the process's start on the wall clock and the
//! monotonic milliseconds from it to the first RPC (`Ping`), to the answered `Return`, and to
//! the exit:
//!
//! `llb-gen frontend timing: start_unix_ns=N first_rpc_ms=X return_ms=Y exit_ms=Z`
//!
//! Asked by the build argument `LLBGEN_FRONTEND_TIMING=1` (the frontend option
//! `build-arg:LLBGEN_FRONTEND_TIMING=1`) or the variable of the same name. The engine passes the
//! frontend's stderr to its own log (Docker 20.10: dockerd's; BuildKit: buildkitd's), where the
//! bench reads it. The points are always recorded (a clock read each); only the line is asked
//! for.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

static START: OnceLock<(Instant, SystemTime)> = OnceLock::new();
static FIRST_RPC: OnceLock<Instant> = OnceLock::new();
static RETURNED: OnceLock<Instant> = OnceLock::new();

/// The variable, and the build argument, that ask for the line.
pub const SWITCH: &str = "LLBGEN_FRONTEND_TIMING";

/// The process started (first thing in `main`).
pub fn started() {
    let _ = START.set((Instant::now(), SystemTime::now()));
}

/// The first RPC is about to be sent.
pub fn first_rpc() {
    let _ = FIRST_RPC.set(Instant::now());
}

/// BuildKit answered the `Return`.
pub fn returned() {
    let _ = RETURNED.set(Instant::now());
}

/// The line, if asked for (just before the process exits).
pub fn report() {
    let Some((start, wall)) = START.get() else {
        return;
    };
    if !asked() {
        return;
    }
    let ms = |at: Option<&Instant>| {
        at.map_or("-".to_string(), |t| {
            format!("{:.3}", t.duration_since(*start).as_secs_f64() * 1000.0)
        })
    };
    let exit = Instant::now();
    let unix_ns = wall.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    eprintln!(
        "llb-gen frontend timing: start_unix_ns={unix_ns} first_rpc_ms={} return_ms={} exit_ms={}",
        ms(FIRST_RPC.get()),
        ms(RETURNED.get()),
        ms(Some(&exit)),
    );
}

fn asked() -> bool {
    let on = |v: &str| !matches!(v, "" | "0" | "false");
    if std::env::var(SWITCH).is_ok_and(|v| on(&v)) {
        return true;
    }
    let arg = format!("build-arg:{SWITCH}=");
    std::env::vars().any(|(k, v)| {
        k.starts_with("BUILDKIT_FRONTEND_OPT_") && v.strip_prefix(&arg).is_some_and(on)
    })
}
