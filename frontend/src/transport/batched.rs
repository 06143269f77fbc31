//! Writes batched until the runtime has nothing else to run: one `write` to the pipe per burst of
//! HTTP/2 frames instead of one per frame.
//!
//! A unary call leaves the client as three frames (HEADERS, DATA, an empty DATA that ends the
//! stream), each produced by another task (hyper's request dispatch, its body pipe, h2's
//! connection) and each flushed by h2 on its own: three `writev`s, and on the other end three
//! wake-ups of BuildKit's reader, per call (docs/performance-history.md, "The replay harness").
//! Here the frames go to a buffer, and a flush first yields ([`tokio::task::yield_now`]: the task
//! is woken only after every other task that is ready has run), again as long as the other tasks
//! add frames meanwhile (at most [`MAX_YIELDS`] times), so that a call's frames, and the calls
//! sent at the same time, leave in the same `write`. Nothing is reordered and no byte changes.
//!
//! The buffer is bounded: past [`HIGH_WATER`] bytes a write first drains it into the pipe, so a
//! large message (a 13 MB definition) goes out in pieces as before rather than being copied
//! whole.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most the buffer holds before a write drains it (a pipe's default capacity).
pub(crate) const HIGH_WATER: usize = 64 << 10;

/// The most a flush yields before it writes: a call's HEADERS, DATA and the empty DATA that
/// ends it come from three turns of hyper's body task and h2's connection task.
const MAX_YIELDS: u8 = 4;

type Yield = Pin<Box<dyn Future<Output = ()> + Send>>;

/// `inner` with its writes batched (reads pass through).
pub(crate) struct Batched<IO> {
    inner: IO,
    buf: Vec<u8>,
    /// How much of `buf` the pipe has taken.
    written: usize,
    /// The yield of the flush in progress, once started.
    yielding: Option<Yield>,
    /// How many times the flush in progress has yielded.
    yields: u8,
    /// The length of `buf` at the flush's last yield.
    seen: usize,
    /// Told of every drain: an answer may follow soon ([`super::spin`]).
    spin: Option<std::sync::Arc<super::spin::Spin>>,
}

impl<IO> Batched<IO> {
    pub(crate) fn new(inner: IO) -> Self {
        Batched {
            inner,
            buf: Vec::new(),
            written: 0,
            yielding: None,
            yields: 0,
            seen: 0,
            spin: None,
        }
    }

    /// Tells `spin` of every write that empties the buffer.
    pub(crate) fn spinning(mut self, spin: std::sync::Arc<super::spin::Spin>) -> Self {
        self.spin = Some(spin);
        self
    }
}

impl<IO: AsyncWrite + Unpin> Batched<IO> {
    /// Writes the whole buffer into `inner`.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.buf.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.buf[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.buf.clear();
        self.written = 0;
        self.seen = 0;
        if let Some(spin) = &self.spin {
            spin.wrote();
        }
        Poll::Ready(Ok(()))
    }

    /// Room for more: drains first when the buffer is past [`HIGH_WATER`].
    fn poll_room(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.buf.len() >= HIGH_WATER {
            ready!(self.poll_drain(cx))?;
        }
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Batched<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Batched<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_room(cx))?;
        this.buf.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_room(cx))?;
        let mut n = 0;
        for b in bufs {
            this.buf.extend_from_slice(b);
            n += b.len();
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.written < this.buf.len() {
            // Let every other ready task add its frames first, again as long as they do.
            loop {
                if let Some(yielding) = this.yielding.as_mut() {
                    ready!(yielding.as_mut().poll(cx));
                    this.yielding = None;
                }
                if this.buf.len() == this.seen || this.yields == MAX_YIELDS {
                    break;
                }
                this.seen = this.buf.len();
                this.yields += 1;
                this.yielding = Some(Box::pin(tokio::task::yield_now()));
            }
            ready!(this.poll_drain(cx))?;
            this.yields = 0;
            this.seen = 0;
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tokio::io::AsyncWriteExt as _;

    /// Records each write it takes.
    struct Recorder(Arc<Mutex<Vec<Vec<u8>>>>);

    impl AsyncWrite for Recorder {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            data: &[u8],
        ) -> Poll<io::Result<usize>> {
            if let Ok(mut writes) = self.0.lock() {
                writes.push(data.to_vec());
            }
            Poll::Ready(Ok(data.len()))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// Frames that another task hands over one scheduler turn apart (as hyper's body task does
    /// with a call's HEADERS, DATA and end of stream) leave in one write, although the writing
    /// task flushes after each.
    #[tokio::test]
    async fn frames_of_several_turns_leave_in_one_write() {
        let writes = Arc::new(Mutex::new(Vec::new()));
        let mut w = Batched::new(Recorder(writes.clone()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<&'static [u8]>();
        let producer = tokio::spawn(async move {
            for frame in [&b"HEADERS"[..], b"DATA", b"END"] {
                let _ = tx.send(frame);
                tokio::task::yield_now().await;
            }
        });
        // The connection's task: writes what is ready, then flushes, until the producer is done.
        let mut done = false;
        std::future::poll_fn(|cx| {
            loop {
                match rx.poll_recv(cx) {
                    Poll::Ready(Some(frame)) => {
                        let _ = Pin::new(&mut w).poll_write(cx, frame);
                    }
                    Poll::Ready(None) => {
                        done = true;
                        break;
                    }
                    Poll::Pending => break,
                }
            }
            match Pin::new(&mut w).poll_flush(cx) {
                Poll::Ready(_) if done => Poll::Ready(()),
                _ => Poll::Pending,
            }
        })
        .await;
        let _ = producer.await;
        let writes = writes.lock().map(|w| w.clone()).unwrap_or_default();
        assert_eq!(writes, [b"HEADERSDATAEND".to_vec()]);
    }

    /// Every byte arrives, in order, through small and large writes and flushes.
    #[tokio::test]
    async fn bytes_arrive_in_order() {
        let (a, mut b) = tokio::io::duplex(1 << 10);
        let mut w = Batched::new(a);
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut b, &mut got)
                .await
                .map(|_| got)
        });
        w.write_all(b"head").await.ok();
        w.flush().await.ok();
        w.write_all(&big).await.ok();
        w.write_all(b"tail").await.ok();
        w.flush().await.ok();
        w.shutdown().await.ok();
        drop(w);
        let got = reader.await.ok().and_then(Result::ok).unwrap_or_default();
        let mut want = b"head".to_vec();
        want.extend_from_slice(&big);
        want.extend_from_slice(b"tail");
        assert_eq!(got.len(), want.len());
        assert!(got == want);
    }
}
