//! The connection's tasks (h2's connection, tonic's buffer worker, hyper's body pipes) polled by
//! one task of ours instead of spawned on the runtime, so that a panic's `Return` can take them
//! over from another thread.
//!
//! The frontend runs on one current-thread runtime (main.rs): no second thread, no wake-ups
//! across threads. A panic on that thread freezes the runtime, and with it every task spawned on
//! it; the connection's tasks live here instead, behind a lock that the runtime's task
//! ([`Pump::run`]) only ever tries. [`Pump::take_over`] takes the lock on the panic's own thread
//! and polls the tasks there, together with the `Return` (crate::panics), while the pipes are
//! read and written directly (`super::TAKEN_OVER`), without the runtime's event loop.
//!
//! What it cannot do: take over while the panicking thread holds the lock, that is, a panic
//! inside the connection's own tasks (the transport).

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt as _};
use futures_util::task::AtomicWaker;

/// One of the connection's tasks, as tonic hands it to its executor.
pub(crate) type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The executor given to tonic, and the runtime's one task that polls what it was given.
#[derive(Clone, Default)]
pub(crate) struct Pump(Arc<Shared>);

#[derive(Default)]
struct Shared {
    /// Handed over by `execute`, not yet polled: a task may hand over another while the pump
    /// polls it, so this is a lock of its own.
    incoming: Mutex<Vec<Task>>,
    /// Polled by whoever holds the lock: the runtime's task, or a take-over.
    tasks: Mutex<FuturesUnordered<Task>>,
    /// The runtime's task, woken when a task arrives.
    waker: AtomicWaker,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl hyper::rt::Executor<Task> for Pump {
    fn execute(&self, task: Task) {
        lock(&self.0.incoming).push(task);
        self.0.waker.wake();
    }
}

impl Pump {
    /// Polls the tasks for as long as the runtime runs (spawned once per connection). After a
    /// take-over it finds the lock held and does nothing more.
    pub(crate) async fn run(self) {
        poll_fn(|cx| {
            self.0.waker.register(cx.waker());
            match self.0.tasks.try_lock() {
                Ok(mut tasks) => self.poll_tasks(&mut tasks, cx),
                Err(TryLockError::Poisoned(p)) => self.poll_tasks(&mut p.into_inner(), cx),
                Err(TryLockError::WouldBlock) => {}
            }
            Poll::<()>::Pending
        })
        .await
    }

    /// Polls every task that is ready, and those handed over meanwhile, until none is.
    fn poll_tasks(&self, tasks: &mut FuturesUnordered<Task>, cx: &mut Context<'_>) {
        loop {
            tasks.extend(lock(&self.0.incoming).drain(..));
            if let Poll::Ready(Some(())) = tasks.poll_next_unpin(cx) {
                continue;
            }
            if lock(&self.0.incoming).is_empty() {
                return;
            }
        }
    }

    /// Runs `fut` to its end on this thread, polling the connection's tasks along with it,
    /// until `until`. None when the tasks could not be taken (a lock held for [`LOCK_WAIT`]:
    /// the panic is inside them) or `fut` did not end in time.
    pub(crate) fn take_over<T>(&self, fut: impl Future<Output = T>, until: Instant) -> Option<T> {
        let mut tasks = self.lock_tasks(Instant::now() + LOCK_WAIT)?;
        let mut fut = pin!(fut);
        block_on_until(
            poll_fn(|cx| {
                // A task handed over (`execute`) wakes this thread from now on.
                self.0.waker.register(cx.waker());
                if let Poll::Ready(out) = fut.as_mut().poll(cx) {
                    return Poll::Ready(out);
                }
                // What `fut` waits for, the tasks' progress, wakes this thread.
                self.poll_tasks(&mut tasks, cx);
                Poll::Pending
            }),
            until,
        )
    }

    /// The tasks' lock, trying until `until`: the runtime's task holds it only while it polls.
    fn lock_tasks(&self, until: Instant) -> Option<MutexGuard<'_, FuturesUnordered<Task>>> {
        loop {
            match self.0.tasks.try_lock() {
                Ok(tasks) => return Some(tasks),
                Err(TryLockError::Poisoned(p)) => return Some(p.into_inner()),
                Err(TryLockError::WouldBlock) if Instant::now() < until => {
                    thread::sleep(Duration::from_millis(1));
                }
                Err(TryLockError::WouldBlock) => return None,
            }
        }
    }
}

/// How long a take-over tries for the tasks' lock.
const LOCK_WAIT: Duration = Duration::from_millis(100);

/// Wakes a parked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `fut` on this thread, parked between wake-ups, until it ends or `until` passes.
fn block_on_until<T>(fut: impl Future<Output = T>, until: Instant) -> Option<T> {
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return Some(out);
        }
        thread::park_timeout(until.checked_duration_since(Instant::now())?);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::rt::Executor as _;

    /// Tasks handed over are run by the runtime's task, and those a task hands over while it
    /// is polled too.
    #[tokio::test]
    async fn runs_what_it_is_given_even_from_its_own_tasks() {
        let pump = Pump::default();
        tokio::spawn(pump.clone().run());
        let (tx, rx) = tokio::sync::oneshot::channel();
        let inner = pump.clone();
        pump.execute(Box::pin(async move {
            inner.execute(Box::pin(async move {
                let _ = tx.send(7);
            }));
        }));
        assert_eq!(rx.await.ok(), Some(7));
    }

    /// A take-over runs the tasks on its own thread while the runtime does not run them, and
    /// the runtime's task stays out of them afterwards.
    #[test]
    fn a_take_over_runs_the_tasks_without_the_runtime() {
        let pump = Pump::default();
        let (tx, rx) = tokio::sync::oneshot::channel();
        pump.execute(Box::pin(async move {
            let _ = tx.send("answered");
        }));
        let taken = thread::scope(|s| {
            s.spawn(|| pump.take_over(rx, Instant::now() + Duration::from_secs(5)))
                .join()
                .ok()
        });
        assert_eq!(taken.flatten().map(Result::ok), Some(Some("answered")));
    }

    /// A take-over gives up at its deadline when what it runs never ends.
    #[test]
    fn a_take_over_ends_at_its_deadline() {
        let pump = Pump::default();
        let started = Instant::now();
        let out = pump.take_over(
            std::future::pending::<()>(),
            started + Duration::from_millis(50),
        );
        assert_eq!(out, None);
        assert!(started.elapsed() >= Duration::from_millis(50));
    }

    /// A take-over does not wait forever for a lock its own thread holds.
    #[test]
    fn a_take_over_gives_up_on_a_held_lock() {
        let pump = Pump::default();
        let _held = lock(&pump.0.tasks);
        let out = pump.take_over(async { 1 }, Instant::now() + Duration::from_secs(5));
        assert_eq!(out, None);
    }
}
