//! Where the resolver's current-thread runtime runs.
//!
//! On the caller's (main) thread to start with: the prefetch's first polls and every wait of the
//! converter drive it there, as a single-threaded process. A run on a loopback registry never
//! needs more: its answers are in before the converter asks. Once the converter goes on without
//! an answer (a guess from the cache, `guess.rs`), the runtime moves to a thread of its own, so
//! that its connections, TLS and HTTP go on while the converter works, and the caller only waits
//! on it (`Handle::block_on`). A second thread is not free: glibc's allocator takes its locks
//! from the moment one exists, and the 500-stage file's conversion took 0.6 ms longer with one
//! (docs/performance-history.md, "Ninth session").

use std::future::Future;
use std::sync::{Mutex, PoisonError};

use tokio::runtime::{Handle, Runtime};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub(super) struct Driver {
    handle: Handle,
    /// The runtime, while the caller's thread drives it.
    local: Mutex<Option<Runtime>>,
    /// What ends the runtime's own thread, once it has one (sent or dropped with the driver; the
    /// thread is not waited for: it only drops the runtime, and the process may end first).
    stop: Mutex<Option<oneshot::Sender<()>>>,
}

impl Driver {
    pub(super) fn new() -> Result<Driver, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        Ok(Driver {
            handle: runtime.handle().clone(),
            local: Mutex::new(Some(runtime)),
            stop: Mutex::default(),
        })
    }

    /// Starts `future` on the runtime; it runs whenever the runtime is driven.
    pub(super) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs `future` to its end on this thread, driving the runtime here if it has no thread of
    /// its own (the runtime's context is entered either way: `tokio::spawn` works inside).
    pub(super) fn block_on<F: Future>(&self, future: F) -> F::Output {
        let local = self.local.lock().unwrap_or_else(PoisonError::into_inner);
        match local.as_ref() {
            Some(runtime) => runtime.block_on(future),
            None => {
                drop(local);
                self.handle.block_on(future)
            }
        }
    }

    /// Lets the runtime, if this thread drives it, take in what has arrived since it was last
    /// driven (a few polls, no waiting): answers already there finish their tasks.
    pub(super) fn catch_up(&self) {
        let local = self.local.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(runtime) = local.as_ref() {
            runtime.block_on(yield_a_few());
        }
    }

    /// Moves the runtime to a thread of its own (once); false when no thread could be started
    /// (the runtime then stays here, and the caller must wait for what it needs).
    pub(super) fn detach(&self) -> bool {
        let mut local = self.local.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(runtime) = local.take() else {
            return true;
        };
        let (give, take) = std::sync::mpsc::channel::<Runtime>();
        let (stop, stopped) = oneshot::channel::<()>();
        let started = std::thread::Builder::new()
            .name("registry".to_string())
            .spawn(move || {
                if let Ok(runtime) = take.recv() {
                    // Until the resolver is dropped; dropping the runtime then cancels what is
                    // left (prefetches nobody asked for) and closes the connections.
                    runtime.block_on(async move { _ = stopped.await });
                }
            });
        if started.is_err() {
            *local = Some(runtime);
            return false;
        }
        if let Err(back) = give.send(runtime) {
            // The thread is gone already: keep driving the runtime here.
            *local = Some(back.0);
            return false;
        }
        *self.stop.lock().unwrap_or_else(PoisonError::into_inner) = Some(stop);
        true
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let stop = self.stop.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(stop) = stop.take() {
            _ = stop.send(());
        }
    }
}

/// Eight yields: each lets the runtime poll its I/O without waiting and run what became ready.
async fn yield_a_few() {
    for _ in 0..8 {
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use super::Driver;
    use std::sync::Arc;
    use std::time::Duration;

    /// Runs `f` on a thread, failing the test instead of hanging if it does not end in time.
    fn within_10s(f: impl FnOnce() -> u32 + Send + 'static) -> u32 {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("the runtime was not driven"))
    }

    #[test]
    fn timers_fire_driven_here_and_on_the_runtimes_thread() {
        let driver = Arc::new(Driver::new().unwrap_or_else(|e| panic!("{e}")));
        let slept = |n| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            n
        };
        // Driven by the caller.
        let task = driver.spawn(slept(1));
        let d = Arc::clone(&driver);
        assert_eq!(within_10s(move || d.block_on(task).unwrap_or(0)), 1);
        // Moved to its own thread while a task is pending: the task finishes there, and the
        // caller only waits.
        let task = driver.spawn(slept(2));
        assert!(driver.detach());
        assert!(driver.detach(), "a second detach is a no-op");
        // Nobody drives it from here: only the runtime's own thread can finish the task.
        let mut waited = 0;
        while !task.is_finished() && waited < 10_000 {
            std::thread::sleep(Duration::from_millis(10));
            waited += 10;
        }
        assert!(task.is_finished(), "the runtime's own thread ran it");
        let d = Arc::clone(&driver);
        assert_eq!(within_10s(move || d.block_on(task).unwrap_or(0)), 2);
        driver.catch_up(); // nothing to do once detached, and no wait
    }
}
