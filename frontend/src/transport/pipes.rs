//! Stdin and stdout as one duplex stream of non-blocking pipes on the runtime's event loop, and,
//! once a panic's `Return` has taken the connection over (`super::take_over`), read and written
//! directly: the runtime, frozen by the panic, no longer tells anyone when a pipe is ready.

use std::fs::File;
use std::io::{self, Read as _, Write as _};
use std::os::fd::AsFd;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::unix::pipe;

use super::TAKEN_OVER;

/// How long a direct read or write waits before it tries again.
const RETRY: Duration = Duration::from_millis(1);

pub(crate) struct Pipes {
    read: pipe::Receiver,
    write: pipe::Sender,
}

impl Pipes {
    /// Stdin and stdout (duplicates of fds 0 and 1), or an error if either is not a pipe.
    pub(crate) fn stdio() -> io::Result<Pipes> {
        let read = io::stdin().as_fd().try_clone_to_owned()?;
        let write = io::stdout().as_fd().try_clone_to_owned()?;
        Ok(Pipes {
            read: pipe::Receiver::from_owned_fd(read)?,
            write: pipe::Sender::from_owned_fd(write)?,
        })
    }
}

/// The pipe behind `end` as a `File` of its own (a duplicate descriptor), made only after a
/// take-over, for each direct read or write: a panic's few calls, not every build's start.
fn direct_file(end: &impl AsFd) -> io::Result<File> {
    end.as_fd().try_clone_to_owned().map(File::from)
}

fn taken_over() -> bool {
    TAKEN_OVER.load(Ordering::Relaxed)
}

/// A direct (non-blocking) read or write: after `WouldBlock` it waits a little, asks to be
/// polled again, and is pending.
fn direct<T>(cx: &mut Context<'_>, io: impl FnOnce() -> io::Result<T>) -> Poll<io::Result<T>> {
    match io() {
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            ) =>
        {
            std::thread::sleep(RETRY);
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        done => Poll::Ready(done),
    }
}

impl AsyncRead for Pipes {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !taken_over() {
            return Pin::new(&mut this.read).poll_read(cx, buf);
        }
        direct(cx, || {
            direct_file(&this.read)?.read(buf.initialize_unfilled())
        })
        .map_ok(|n| buf.advance(n))
    }
}

impl AsyncWrite for Pipes {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !taken_over() {
            return Pin::new(&mut this.write).poll_write(cx, data);
        }
        direct(cx, || direct_file(&this.write)?.write(data))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().write).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().write).poll_shutdown(cx)
    }
}
