//! A short spin after each write: for [`BUDGET`] after a request leaves, the runtime's thread
//! keeps polling its event loop instead of sleeping in it.
//!
//! The answer to a gateway request often comes back within tens of microseconds. A thread that
//! sleeps meanwhile gives its CPU up, and on a virtual machine a sleeping CPU is slow to wake:
//! the answer then waits for the hypervisor to run that CPU again. Replayed to the image's
//! binary right after upstream's frontend (as `scripts/bench-replay` alternates them),
//! examples/hello took 2.24 ms sleeping at once, 2.10, 2.02 and 1.94 ms with windows of 40, 100
//! and 250 µs, and 1.86 ms never sleeping (docs/performance.md, "Thirteenth session"). The spin
//! costs at most [`BUDGET`] of CPU per write (0.3 ms in all for hello), and a build makes a few
//! dozen writes; a longer wait (a `Solve` that runs a step) is slept through as before.
//!
//! How: [`Spin::run`] is a task of its own on the one-thread runtime. While the window of the
//! last write is open it yields, and a yielding task makes the runtime poll the event loop
//! without a timeout; once the window closes it waits for the next write. Each turn first
//! yields the CPU (`sched_yield`): the kernel often queues the pipe's reader, woken by our write,
//! on the writer's CPU, expecting the writer to sleep, and a spin that kept the CPU made it wait.
//! Without that, 500 stages took 0.8 ms longer with the spin than without; with it, 1.0 ms less
//! (12 runs each, each right after upstream's).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// How long the thread keeps polling after a write.
pub(crate) const BUDGET: Duration = Duration::from_micros(250);

/// The window after the last write, shared by the writer and the spinning task.
pub(crate) struct Spin {
    start: Instant,
    /// When the window closes, in nanoseconds since `start`.
    until: AtomicU64,
    wrote: Notify,
}

impl Spin {
    pub(crate) fn new() -> Spin {
        Spin {
            start: Instant::now(),
            until: AtomicU64::new(0),
            wrote: Notify::new(),
        }
    }

    /// A write left: the window is open for [`BUDGET`] from now.
    pub(crate) fn wrote(&self) {
        self.until
            .store(self.since_start(BUDGET), Ordering::Relaxed);
        self.wrote.notify_one();
    }

    fn open(&self) -> bool {
        self.since_start(Duration::ZERO) < self.until.load(Ordering::Relaxed)
    }

    /// Now plus `ahead`, in nanoseconds since `start`.
    fn since_start(&self, ahead: Duration) -> u64 {
        u64::try_from((self.start.elapsed() + ahead).as_nanos()).unwrap_or(u64::MAX)
    }

    /// The spinning task (spawned on the runtime with the connection). It never ends: the
    /// runtime drops it when the process is done.
    pub(crate) async fn run(self: std::sync::Arc<Self>) {
        loop {
            if self.open() {
                // The CPU to whatever else is ready on it first: a pipe's reader woken by our
                // write is often queued on this CPU (the kernel expects the writer to sleep).
                std::thread::yield_now();
                tokio::task::yield_now().await;
            } else {
                // A write since the check left a permit: this returns at once.
                self.wrote.notified().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    /// Counts its wake-ups.
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The task asks to be polled again at once while the window is open, sleeps once it has
    /// closed, and is woken by the next write.
    #[test]
    fn spins_for_the_window_then_sleeps_until_the_next_write() {
        let spin = Arc::new(Spin::new());
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut task = Box::pin(spin.clone().run());
        let woken = || count.0.load(Ordering::Relaxed);

        // No write yet: asleep.
        assert_eq!(task.as_mut().poll(&mut cx), Poll::Pending);
        assert_eq!(woken(), 0);

        // A write wakes it, and while the window is open every poll asks for another.
        spin.wrote();
        assert_eq!(woken(), 1);
        assert_eq!(task.as_mut().poll(&mut cx), Poll::Pending);
        assert_eq!(woken(), 2);
        assert_eq!(task.as_mut().poll(&mut cx), Poll::Pending);
        assert_eq!(woken(), 3);

        // Closed: the next poll sleeps without asking to be polled again.
        std::thread::sleep(BUDGET * 3);
        assert_eq!(task.as_mut().poll(&mut cx), Poll::Pending);
        // The yield of the last open poll may complete first; then it sleeps for good.
        assert_eq!(task.as_mut().poll(&mut cx), Poll::Pending);
        let asleep = woken();
        assert_eq!(task.as_mut().poll(&mut cx), Poll::Pending);
        assert_eq!(woken(), asleep);

        spin.wrote();
        assert_eq!(woken(), asleep + 1);
    }
}
