//! The early manifest GETs of a plain-HTTP registry, sent back to back on one connection
//! (HTTP/1.1 pipelining, RFC 9112 section 9.3.2: the server answers in order).
//!
//! Why: the loopback registry shares the machine's two cores with the CLI. Six GETs on six
//! connections had the registry (Debian's docker-registry, about 1.4 ms of CPU a GET) run on both
//! cores while the converter parsed: the parse took 9-11 ms instead of 6 ms. On one connection
//! the registry answers one GET after the other, on one core (docs/performance.md, "Tenth
//! session").
//!
//! A GET may carry the digest the tag had last time (`If-None-Match`): a registry whose tag
//! still points there answers `304 Not Modified` without reading the manifest (Debian's
//! docker-registry: 22 % less CPU for six GETs), and the config is the cached one.
//!
//! Only answers with a `Content-Length` (or none, a `304`) are read, in order: a `200`'s body is
//! taken, any other status is the answer the caller gets for that GET (as from hyper: not
//! resolved this way).
//! Anything else (a chunked body, a closed connection, no answer for [`STALL`]) ends the
//! pipeline, and the GETs not answered are made again the usual way, one connection each, by the
//! caller ([`super::Shared::plain_resolve`]). The bodies are checked there as any other answer.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// How long an answer may take once the requests are written (a server that does not answer
/// pipelined requests leaves them unread): then the rest is asked the usual way.
pub(super) const STALL: Duration = Duration::from_secs(2);

/// The largest answer taken (a manifest is a few kilobytes; an index of many platforms some
/// tens): larger ones are fetched the usual way.
const MAX_BODY: usize = 4 << 20;

/// One GET of a pipeline: `path`, and the digest the answer is known to have, if any.
pub(super) struct Get {
    pub(super) path: String,
    pub(super) known: Option<String>,
}

/// What one GET of a pipeline got.
#[derive(Debug, PartialEq)]
pub(super) enum Got {
    /// A `200`'s body.
    Body(Vec<u8>),
    /// `304 Not Modified`: the answer has the digest given as known.
    Known(String),
    /// Another status: the registry's answer, as final as hyper's would be.
    Refused,
}

/// GETs `gets` of the plain-HTTP registry `host` (`localhost[:port]` or `127.0.0.1[:port]`) on
/// one connection, each with `accept`: what each got, in order; `None` from the first answer
/// that could not be read (and for all when the connection fails).
pub(super) async fn get_all(host: &str, gets: &[Get], accept: &str) -> Vec<Option<Got>> {
    let mut out = Vec::with_capacity(gets.len());
    if let Some(mut conn) = connect(host).await {
        let mut requests = String::with_capacity(gets.len() * 400);
        for get in gets {
            requests.push_str(&format!(
                "GET {} HTTP/1.1\r\nHost: {host}\r\nAccept: {accept}\r\n",
                get.path
            ));
            if let Some(digest) = &get.known {
                requests.push_str(&format!("If-None-Match: \"{digest}\"\r\n"));
            }
            requests.push_str("\r\n");
        }
        if conn.write_all(requests.as_bytes()).await.is_ok() {
            let mut reader = Answers::default();
            for get in gets {
                let (got, last) = match tokio::time::timeout(STALL, reader.next(&mut conn)).await {
                    Ok(Next::Answer(got)) => (got, false),
                    Ok(Next::Last(got)) => (got, true),
                    Ok(Next::End) | Err(_) => break,
                };
                out.push(match (got, &get.known) {
                    (Got::Known(_), Some(digest)) => Some(Got::Known(digest.clone())),
                    (Got::Known(_), None) => Some(Got::Refused),
                    (got, _) => Some(got),
                });
                if last {
                    break;
                }
            }
        }
    }
    out.resize_with(gets.len(), || None);
    out
}

/// A connection to `host`: `localhost` is 127.0.0.1, else ::1 (as [`super::Loopback`]); the
/// port is 80 unless given.
async fn connect(host: &str) -> Option<TcpStream> {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, port.parse().ok()?),
        None => (host, 80),
    };
    let addrs: Vec<SocketAddr> = if name.eq_ignore_ascii_case("localhost") {
        super::Loopback::addrs(port).to_vec()
    } else {
        vec![SocketAddr::from((name.parse::<Ipv4Addr>().ok()?, port))]
    };
    for addr in addrs {
        if let Ok(conn) = TcpStream::connect(addr).await {
            _ = conn.set_nodelay(true);
            return Some(conn);
        }
    }
    None
}

/// What the next answer gave.
#[derive(Debug, PartialEq)]
enum Next {
    /// An answer; more may follow.
    Answer(Got),
    /// An answer after which the server closes the connection.
    Last(Got),
    /// No answer to take: the pipeline ends here.
    End,
}

/// The bytes read and not yet taken.
#[derive(Default)]
struct Answers {
    buf: Vec<u8>,
}

impl Answers {
    /// Reads the next answer from `conn`.
    async fn next(&mut self, conn: &mut (impl tokio::io::AsyncRead + Unpin)) -> Next {
        loop {
            match self.take() {
                Some(next) => return next,
                None if self.buf.len() > MAX_BODY + (64 << 10) => return Next::End,
                None => {}
            }
            let mut chunk = [0u8; 16 << 10];
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return Next::End,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// The first answer in the buffer, taken out of it; `None` while it is incomplete.
    fn take(&mut self) -> Option<Next> {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut resp = httparse::Response::new(&mut headers);
        let head_len = match resp.parse(&self.buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return None,
            Err(_) => return Some(Next::End),
        };
        let Some(head) = Head::of(&resp) else {
            return Some(Next::End);
        };
        let end = head_len.checked_add(head.length)?;
        if self.buf.len() < end {
            return None;
        }
        let got = match head.code {
            200 => Got::Body(self.buf[head_len..end].to_vec()),
            304 => Got::Known(String::new()),
            _ => Got::Refused,
        };
        self.buf.drain(..end);
        Some(if head.close {
            Next::Last(got)
        } else {
            Next::Answer(got)
        })
    }
}

/// What an answer's status line and headers say, when it is one to take.
struct Head {
    code: u16,
    length: usize,
    close: bool,
}

impl Head {
    /// `None` unless an answer of HTTP/1.1 with a `Content-Length` (at most [`MAX_BODY`]) or a
    /// `304` (which has no body), no `Transfer-Encoding`, and not an interim one (1xx).
    fn of(resp: &httparse::Response<'_, '_>) -> Option<Head> {
        let code = resp.code.filter(|c| *c >= 200)?;
        if resp.version != Some(1) {
            return None;
        }
        let mut length = None;
        let mut close = false;
        for h in resp.headers.iter() {
            if h.name.eq_ignore_ascii_case("content-length") {
                let n: usize = std::str::from_utf8(h.value).ok()?.trim().parse().ok()?;
                if length.is_some_and(|l| l != n) {
                    return None;
                }
                length = Some(n);
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                return None;
            } else if h.name.eq_ignore_ascii_case("connection") {
                close = h.value.eq_ignore_ascii_case(b"close");
            }
        }
        let length = if code == 304 {
            0
        } else {
            length.filter(|&n| n <= MAX_BODY)?
        };
        Some(Head {
            code,
            length,
            close,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Answers, Got, Next};

    fn answer(status: &str, headers: &str, body: &str) -> String {
        format!("HTTP/1.1 {status}\r\n{headers}\r\n{body}")
    }

    /// The answers `bytes` give when read in chunks of `step` bytes.
    fn read_all(bytes: &[u8], step: usize) -> Vec<Next> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        rt.block_on(async {
            let (mut client, mut server) = tokio::io::duplex(64);
            let bytes = bytes.to_vec();
            let writer = tokio::spawn(async move {
                use tokio::io::AsyncWriteExt as _;
                for c in bytes.chunks(step) {
                    if server.write_all(c).await.is_err() {
                        return;
                    }
                }
            });
            let mut answers = Answers::default();
            let mut out = Vec::new();
            while out.len() < 10 {
                let next = answers.next(&mut client).await;
                let more = matches!(next, Next::Answer(_));
                out.push(next);
                if !more {
                    break;
                }
            }
            writer.abort();
            out
        })
    }

    #[test]
    fn answers_in_order_in_any_chunking() {
        let two = answer("200 OK", "Content-Length: 2\r\n", "{}")
            + &answer("404 Not Found", "Content-Length: 7\r\n", "missing")
            + &answer("304 Not Modified", "Etag: \"sha256:00\"\r\n", "")
            + &answer("200 OK", "content-length: 3\r\nEtag: x\r\n", "[1]")
            + &answer("200 OK", "Content-Length: 2\r\nConnection: close\r\n", "{}");
        for step in [1, 7, 64] {
            assert_eq!(
                read_all(two.as_bytes(), step),
                [
                    Next::Answer(Got::Body(b"{}".to_vec())),
                    Next::Answer(Got::Refused),
                    Next::Answer(Got::Known(String::new())),
                    Next::Answer(Got::Body(b"[1]".to_vec())),
                    Next::Last(Got::Body(b"{}".to_vec()))
                ],
                "chunks of {step}"
            );
        }
    }

    #[test]
    fn an_answer_that_cannot_be_read_ends_the_pipeline() {
        let cases = [
            answer("404 Not Found", "", "{}"),
            answer("100 Continue", "Content-Length: 0\r\n", ""),
            answer(
                "200 OK",
                "Transfer-Encoding: chunked\r\n",
                "2\r\n{}\r\n0\r\n\r\n",
            ),
            answer("200 OK", "", "{}"),
            answer("200 OK", "Content-Length: 2\r\nContent-Length: 3\r\n", "{}"),
            answer("200 OK", "Content-Length: 99999999999\r\n", "{}"),
            "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_string(),
            "garbage\r\n\r\n".to_string(),
            // Cut short: the connection ends inside the body.
            answer("200 OK", "Content-Length: 9\r\n", "{}"),
        ];
        for case in cases {
            let first = answer("200 OK", "Content-Length: 2\r\n", "{}");
            assert_eq!(
                read_all((first + &case).as_bytes(), 5),
                [Next::Answer(Got::Body(b"{}".to_vec())), Next::End],
                "{case:?}"
            );
        }
    }
}
