//! A small registry on 127.0.0.1 for the online tests: a thread answering the distribution
//! API's GETs from a table, and every path asked for.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use sha2::{Digest as _, Sha256};

pub fn digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// Paths to bodies, and every path asked for.
#[derive(Default)]
pub struct Table {
    pub bodies: HashMap<String, Vec<u8>>,
    pub asked: Vec<String>,
    /// Every `/v2/...` request is answered with a redirect to `/redirected<path>` (which
    /// `llb-gen`'s plain-HTTP GETs do not follow: such a registry is read through oci-client).
    pub redirect: bool,
    /// How long a manifest asked for by tag waits before its answer (a slow registry).
    pub tag_delay: Option<std::time::Duration>,
    /// The connection (numbered from 0 in the order accepted) each of `asked` came on.
    pub conn_of: Vec<usize>,
    /// A connection cut short.
    pub cut: Option<Cut>,
    /// How many connections were accepted.
    pub accepted: usize,
    /// How many GETs were answered `304 Not Modified` (their `If-None-Match` was the digest).
    pub not_modified: usize,
}

/// What becomes of connection number `conn` after `after` answers.
#[derive(Clone, Copy)]
pub struct Cut {
    pub conn: usize,
    pub after: usize,
    /// Nothing more is answered and it stays open (as a server that does not read pipelined
    /// requests); else it is closed without a word (as a server limiting a connection's
    /// requests).
    pub stall: bool,
}

pub struct Registry {
    pub port: u16,
    pub table: Arc<Mutex<Table>>,
}

impl Registry {
    pub fn start() -> Registry {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let table = Arc::new(Mutex::new(Table::default()));
        let shared = table.clone();
        std::thread::spawn(move || {
            for (n, conn) in listener.incoming().flatten().enumerate() {
                let t = shared.clone();
                t.lock().unwrap().accepted = n + 1;
                std::thread::spawn(move || serve(conn, n, &t));
            }
        });
        Registry { port, table }
    }

    /// Pushes an image whose config has `V=<v>` as `img:1`; its manifest digest.
    pub fn push(&self, v: &str) -> String {
        self.push_as("img", "1", v)
    }

    /// Pushes an image whose config has `V=<v>` as `repo:tag`; its manifest digest.
    pub fn push_as(&self, repo: &str, tag: &str, v: &str) -> String {
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","config":{{"Env":["PATH=/bin","V={v}"]}},"rootfs":{{"type":"layers","diff_ids":["sha256:{}"]}}}}"#,
            "1".repeat(64)
        );
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:{}","size":1}}]}}"#,
            digest(config.as_bytes()),
            config.len(),
            "2".repeat(64)
        );
        let md = digest(manifest.as_bytes());
        let mut t = self.table.lock().unwrap();
        t.bodies.insert(
            format!("/v2/{repo}/blobs/{}", digest(config.as_bytes())),
            config.into_bytes(),
        );
        t.bodies.insert(
            format!("/v2/{repo}/manifests/{md}"),
            manifest.clone().into(),
        );
        t.bodies
            .insert(format!("/v2/{repo}/manifests/{tag}"), manifest.into_bytes());
        md
    }

    pub fn asked(&self) -> usize {
        self.table.lock().unwrap().asked.len()
    }

    /// The paths asked for since the `since`-th request.
    pub fn asked_since(&self, since: usize) -> Vec<String> {
        self.table.lock().unwrap().asked[since..].to_vec()
    }
}

/// Answers GETs on one connection (the `n`-th) until it closes.
fn serve(conn: std::net::TcpStream, n: usize, table: &Mutex<Table>) {
    let mut out = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    for answered in 0.. {
        let cut = table.lock().unwrap().cut;
        if let Some(cut) = cut.filter(|c| c.conn == n && c.after == answered) {
            if cut.stall {
                std::thread::sleep(std::time::Duration::from_secs(30));
            }
            return;
        }
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut words = line.split_whitespace();
        let head = words.next() == Some("HEAD");
        let path = words.next().unwrap_or("").to_string();
        let mut if_none_match = None;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("if-none-match") {
                    if_none_match = Some(value.trim().trim_matches('"').to_string());
                }
            }
        }
        let delay = table.lock().unwrap().tag_delay;
        if let Some(d) = delay.filter(|_| path.contains("/manifests/") && !path.contains("sha256:"))
        {
            std::thread::sleep(d);
        }
        let (body, redirect) = {
            let mut t = table.lock().unwrap();
            t.asked.push(if head {
                format!("HEAD {path}")
            } else {
                path.clone()
            });
            t.conn_of.push(n);
            let redirect = t.redirect && path.starts_with("/v2/") && path != "/v2/";
            let original = path.strip_prefix("/redirected").unwrap_or(&path);
            (t.bodies.get(original).cloned(), redirect)
        };
        let unchanged = !redirect
            && body
                .as_ref()
                .is_some_and(|b| if_none_match.as_deref() == Some(digest(b).as_str()));
        if unchanged {
            table.lock().unwrap().not_modified += 1;
        }
        let reply = match body {
            Some(b) if unchanged => {
                format!("HTTP/1.1 304 Not Modified\r\nEtag: \"{}\"\r\n\r\n", digest(&b)).into_bytes()
            }
            Some(_) if redirect => format!(
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: /redirected{path}\r\nContent-Length: 0\r\n\r\n"
            )
            .into_bytes(),
            Some(b) => {
                let ctype = if path.contains("/manifests/") {
                    "application/vnd.oci.image.manifest.v1+json"
                } else {
                    "application/octet-stream"
                };
                let mut r = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nDocker-Content-Digest: {}\r\nContent-Length: {}\r\n\r\n",
                    digest(&b),
                    b.len()
                )
                .into_bytes();
                if !head {
                    r.extend(b);
                }
                r
            }
            None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
        };
        if out.write_all(&reply).is_err() {
            return;
        }
    }
}
