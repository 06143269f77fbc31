//! A fake `LLBBridge`'s side of a frontend process (feature `gateway`): the protocol tests
//! (`frontend/tests/support`) and the replay harness (`tests/replay`) both start a frontend
//! binary with piped stdio and serve the bridge on those pipes.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bollard_buildkit_proto::fsutil::types::Stat;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::process::{Child, ChildStdin, ChildStdout};

/// How many bytes of the child's stdout [`ChildIo::keep_head`] keeps.
const HEAD: usize = 64;

/// A child's stdout (read) and stdin (write) as one connection for a tonic server.
pub struct ChildIo {
    stdout: ChildStdout,
    stdin: ChildStdin,
    head: Option<Arc<Mutex<Vec<u8>>>>,
}

impl ChildIo {
    /// The pipes of `child`, which must have been spawned with piped stdin and stdout.
    pub fn take(child: &mut Child) -> io::Result<Self> {
        let missing = |what| io::Error::new(io::ErrorKind::NotFound, format!("child {what}"));
        Ok(ChildIo {
            stdout: child.stdout.take().ok_or_else(|| missing("stdout"))?,
            stdin: child.stdin.take().ok_or_else(|| missing("stdin"))?,
            head: None,
        })
    }

    /// Keeps the first bytes read from the child in the returned buffer (to check that its
    /// stdout carried only HTTP/2).
    pub fn keep_head(&mut self) -> Arc<Mutex<Vec<u8>>> {
        self.head.get_or_insert_with(Default::default).clone()
    }
}

impl AsyncRead for ChildIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.stdout).poll_read(cx, buf);
        if let Some(head) = &self.head {
            let mut head = head.lock().unwrap_or_else(PoisonError::into_inner);
            if head.len() < HEAD {
                head.extend_from_slice(&buf.filled()[before..]);
            }
        }
        res
    }
}

impl AsyncWrite for ChildIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stdin).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_shutdown(cx)
    }
}

impl tonic::transport::server::Connected for ChildIo {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

/// A `ReadDir` answer: the names among `paths` directly in `dir` (`""`, `.` or `/` for the
/// top), as regular files (mode 0644). The pattern is not applied: the converter filters the
/// names itself.
pub fn dir_entries<'a>(paths: impl IntoIterator<Item = &'a str>, dir: &str) -> Vec<Stat> {
    let prefix = match dir.trim_matches('/') {
        "" | "." => String::new(),
        d => format!("{d}/"),
    };
    paths
        .into_iter()
        .filter_map(|p| p.strip_prefix(&prefix))
        .filter(|rest| !rest.is_empty() && !rest.contains('/'))
        .map(|name| Stat {
            path: name.to_string(),
            mode: 0o644,
            ..Stat::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::dir_entries;

    #[test]
    fn only_the_names_directly_in_the_directory() {
        let paths = ["Dockerfile", "a/x", "a/y", "a/b/z", "ab"];
        let names = |dir| -> Vec<String> {
            dir_entries(paths, dir)
                .into_iter()
                .map(|s| s.path)
                .collect()
        };
        assert_eq!(names("a"), ["x", "y"]);
        assert_eq!(names("/a/"), ["x", "y"]);
        assert_eq!(names("."), ["Dockerfile", "ab"]);
        assert_eq!(names(""), ["Dockerfile", "ab"]);
    }
}
