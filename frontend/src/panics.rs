//! Exactly one `Return` when something panics, whatever the panic strategy.
//!
//! The image's binary is built with `panic = "abort"` (no unwind tables:
//! docs/performance-history.md, "The image"), so a panic cannot be caught; it runs the hook
//! installed here and then the process ends. The hook sends the build's error `Return` itself,
//! before anything ends:
//!
//! - the driver arms it ([`arm`]) once `Ping` has succeeded, with a clone of the gRPC client
//!   that `Return`s go through (`crate::wire`) and the runtime's handle;
//! - the one `Return` goes through a gate ([`claim_return`], [`return_done`]): whoever claims it
//!   first (the driver with the build's result, or the hook with the panic) sends it, and the
//!   other never does;
//! - the hook sends from a new thread and waits for the answer at most [`RETURN_WAIT`]. The
//!   runtime has one thread (main.rs), so a panic on it freezes every task spawned on it; the
//!   connection's tasks are not among them (`crate::transport`'s pump), and the new thread takes
//!   them over (`transport::take_over`), polling them along with the `Return`;
//! - then the process exits with status 1: BuildKit takes the error `Return` over the exit
//!   status.
//!
//! What it cannot do: send a `Return` when the panic is inside the connection's own tasks (they
//! cannot be taken over; an unwinding panic there would have lost the connection too), or when
//! the panic comes before `Ping` (there is no connection yet). And when the driver's own
//! `Return` is on its way as the runtime's thread panics, that `Return` cannot finish: the hook
//! waits [`RETURN_WAIT`] for it, then the process exits with status 1 as always.
//!
//! The same path runs in the unwinding (dev and test) builds, so the protocol tests prove it
//! (`frontend/tests/gateway_panics.rs`, also against the image's binary with
//! `FRONTEND_TEST_BIN`); `LLBGEN_FRONTEND_TEST_PANIC` makes a test build panic at a chosen point
//! ([`injected`]).

use std::panic::PanicHookInfo;
use std::sync::{mpsc, Condvar, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;

use crate::status::FrontendError;
use crate::wire::{self, ReturnRequest};

/// How long a panic waits for its `Return` (or for one already on its way) before the process
/// ends.
pub const RETURN_WAIT: Duration = Duration::from_secs(5);

/// Where the build's one `Return` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sent {
    No,
    Sending,
    Done,
}

static STATE: Mutex<Sent> = Mutex::new(Sent::No);
static DONE: Condvar = Condvar::new();
static ARMED: OnceLock<Armed> = OnceLock::new();

/// What the hook needs to send a `Return`.
struct Armed {
    client: wire::Client,
    runtime: Handle,
}

/// Installs the hook (once, first thing in `main`): the standard message on stderr, then the
/// error `Return` when armed, then exit status 1.
pub fn install_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        on_panic(info);
    }));
}

/// From now on a panic sends the error `Return` over `client` (called in the runtime, once the
/// bridge answered `Ping`).
pub fn arm(client: wire::Client) {
    let runtime = Handle::current();
    let _ = ARMED.set(Armed { client, runtime });
}

/// Whether the caller may send the build's `Return`: true once, for the first caller; then
/// [`return_done`] when it has been answered.
pub fn claim_return() -> bool {
    let mut state = STATE.lock().unwrap_or_else(PoisonError::into_inner);
    if *state != Sent::No {
        return false;
    }
    *state = Sent::Sending;
    true
}

/// The claimed `Return` was answered (or failed): a panic from now on waits for nothing.
pub fn return_done() {
    *STATE.lock().unwrap_or_else(PoisonError::into_inner) = Sent::Done;
    DONE.notify_all();
}

fn on_panic(info: &PanicHookInfo<'_>) {
    let Some(armed) = ARMED.get() else {
        return;
    };
    if claim_return() {
        let message = match info.location() {
            Some(at) => format!("frontend panicked: {} (at {at})", message_of(info)),
            None => format!("frontend panicked: {}", message_of(info)),
        };
        let req = ReturnRequest {
            result: None,
            error: Some(FrontendError::internal(message).to_status()),
        };
        let sent = send(armed, req);
        return_done();
        eprintln!(
            "frontend: panic: error Return {}",
            if sent { "sent" } else { "NOT sent" }
        );
    } else {
        // The driver's Return is on its way (or done): let it finish.
        let state = STATE.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = DONE.wait_timeout_while(state, RETURN_WAIT, |s| *s == Sent::Sending);
    }
    std::process::exit(1);
}

/// The panic's message (`&str` and `String` payloads).
fn message_of(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Sends `req` from a new thread, with the connection taken over from the runtime; true when
/// BuildKit answered within [`RETURN_WAIT`].
fn send(armed: &Armed, req: ReturnRequest) -> bool {
    let (tx, rx) = mpsc::channel();
    let client = armed.client.clone();
    let runtime = armed.runtime.clone();
    let until = Instant::now() + RETURN_WAIT;
    let spawned = std::thread::Builder::new()
        .name("panic-return".into())
        .spawn(move || {
            // The runtime's context (not its thread): what tokio's types look up.
            let _context = runtime.enter();
            let answered = crate::transport::take_over(wire::send_return(&client, req), until);
            let _ = tx.send(matches!(answered, Some(Ok(()))));
        });
    spawned.is_ok() && rx.recv_timeout(RETURN_WAIT).unwrap_or(false)
}

/// For the protocol tests: panics when `LLBGEN_FRONTEND_TEST_PANIC` names `point` (`build`:
/// the build's own future, `convert`: the converter's step, on the same thread, `worker`:
/// another task of the runtime). BuildKit never sets it; it passes no variable of the caller to a frontend.
pub fn injected(point: &str) {
    static WANTED: OnceLock<Option<String>> = OnceLock::new();
    let wanted = WANTED.get_or_init(|| std::env::var("LLBGEN_FRONTEND_TEST_PANIC").ok());
    if wanted.as_deref() == Some(point) {
        panic!("injected panic at {point} (LLBGEN_FRONTEND_TEST_PANIC)");
    }
}

/// `injected("worker")` in a task of its own, when asked for.
pub async fn injected_in_a_task() {
    if std::env::var_os("LLBGEN_FRONTEND_TEST_PANIC").is_some_and(|v| v == "worker") {
        let _ = tokio::spawn(async { injected("worker") }).await;
    }
}
