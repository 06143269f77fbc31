//! The main build context when it is not the client's directory: the
//! `context` option (or the option `contextkey` names) holding a Git or
//! HTTP(S) URL, as upstream's `dockerui` reads it. The Dockerfile is then
//! read from that source too (unless `dockerfilekey` names a local), and
//! `contextsubdir` scopes the context to a sub-directory.
//!
//! The converter stays pure: the host sniffs an HTTP download (archive or
//! a lone Dockerfile, [`is_archive`]) before conversion and says which in
//! [`MainContext::Http`].

use crate::llb;

use super::git::{parse_git_ref, GitRef};

/// Where the main build context comes from.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub enum MainContext {
    /// The client's `context` directory (the default).
    #[default]
    Local,
    /// A Git repository (`https://….git`, `http://….git`, `git://`,
    /// `ssh://`, `user@host:path`, with `#ref:subdir` and the query forms).
    Git {
        /// The URL as given.
        url: String,
        /// Keep the `.git` directory (`BUILDKIT_CONTEXT_KEEP_GIT_DIR`, or
        /// `keep-git-dir` in the URL's query).
        keep_git_dir: bool,
    },
    /// The frontend input named `context` (the `Inputs` RPC), a
    /// Definition solved elsewhere.
    Input(Box<crate::pb::Definition>),
    /// An HTTP(S) download.
    Http {
        /// The URL as given.
        url: String,
        /// What the download is (see [`is_archive`]).
        kind: HttpContext,
    },
}

/// What an HTTP(S) main context turned out to be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpContext {
    /// A (compressed) tar archive: unpacked, it is the context and holds
    /// the Dockerfile.
    #[default]
    Archive,
    /// Anything else: the file itself (named `context`) is the Dockerfile.
    Dockerfile,
}

/// The name upstream gives the downloaded file (and so the Dockerfile
/// name when the download is not an archive).
pub const HTTP_CONTEXT_FILENAME: &str = "context";

/// The accepted forms, for error messages.
const FORMS: &str = "a Git URL (https://….git, git://…, ssh://…, user@host:path, with \
                     optional #ref:subdir) or an http(s):// URL of a tarball or a Dockerfile";

impl MainContext {
    /// The main context a `context` option value names: `Ok(None)` for an
    /// empty value (the client's directory). `keep_git_dir` is the
    /// `BUILDKIT_CONTEXT_KEEP_GIT_DIR` build arg. An HTTP(S) URL is taken
    /// as an archive until the host has looked at it.
    pub fn parse(value: &str, keep_git_dir: bool) -> Result<Option<MainContext>, String> {
        if value.is_empty() {
            return Ok(None);
        }
        if let Some(parsed) = parse_git_ref(value) {
            let g = parsed.map_err(|e| format!("invalid Git context {value}: {e}"))?;
            return Ok(Some(MainContext::Git {
                url: value.to_string(),
                keep_git_dir: keep_git_dir || g.keep_git_dir == Some(true),
            }));
        }
        if value.starts_with("http://") || value.starts_with("https://") {
            return Ok(Some(MainContext::Http {
                url: value.to_string(),
                kind: HttpContext::Archive,
            }));
        }
        Err(format!(
            "unsupported build context {value:?}: the context option takes {FORMS}"
        ))
    }

    /// True for the client's directory.
    pub fn is_local(&self) -> bool {
        matches!(self, MainContext::Local)
    }

    /// The state the Dockerfile is read from (`None`: the `dockerfile`
    /// local): the whole remote source, before `contextsubdir`.
    pub fn dockerfile_state(&self) -> Option<llb::State> {
        match self {
            MainContext::Local => None,
            MainContext::Git { url, keep_git_dir } => Some(git_state(url, *keep_git_dir)),
            MainContext::Http { url, kind } => Some(match kind {
                HttpContext::Archive => unpacked(http_download(url)),
                HttpContext::Dockerfile => http_download(url),
            }),
            // Checked by the host when it took the input in.
            MainContext::Input(def) => {
                Some(llb::from_definition((**def).clone()).unwrap_or_else(|_| llb::scratch()))
            }
        }
    }

    /// The build context (`None`: the `context` local), scoped to
    /// `subdir` (`contextsubdir`) when given.
    pub fn context_state(&self, subdir: Option<&str>) -> Option<llb::State> {
        let st = self.dockerfile_state()?;
        Some(match subdir {
            Some(dir) => scope_to_subdir(st, dir),
            None => st,
        })
    }

    /// The Dockerfile name to read from the remote source: an HTTP
    /// download that is not an archive is itself the Dockerfile.
    pub fn dockerfile_name<'a>(&self, filename: &'a str) -> &'a str {
        match self {
            MainContext::Http {
                kind: HttpContext::Dockerfile,
                ..
            } => HTTP_CONTEXT_FILENAME,
            _ => filename,
        }
    }
}

/// The raw download of an HTTP(S) context: one file named `context`.
pub fn http_download(url: &str) -> llb::State {
    llb::http(
        url,
        llb::HttpOptions {
            filename: Some(HTTP_CONTEXT_FILENAME.into()),
            op: llb::OpOptions::default().custom_name("[internal] load remote build context"),
            ..Default::default()
        },
    )
}

/// The Git source of a context URL (already checked by [`MainContext::parse`]).
fn git_state(url: &str, keep_git_dir: bool) -> llb::State {
    let g = match parse_git_ref(url) {
        Some(Ok(g)) => g,
        // Checked when the option was parsed; an unparsable URL keeps its
        // text as the remote so that the fetch reports it.
        _ => GitRef {
            remote: url.to_string(),
            host_path: url.to_string(),
            ..GitRef::default()
        },
    };
    llb::git(llb::GitOptions {
        host_path: g.host_path,
        full_url: g.remote,
        ssh: g.ssh,
        reference: g.reference,
        subdir: g.subdir,
        keep_git_dir,
        checksum: g.checksum,
        skip_submodules: g.skip_submodules,
        mtime: g.mtime,
        fetch_by_commit: g.fetch_by_commit,
        op: llb::OpOptions::default().custom_name(format!("[internal] load git source {url}")),
        ..llb::GitOptions::default()
    })
}

/// An archive download unpacked into an empty tree.
fn unpacked(download: llb::State) -> llb::State {
    let copy = llb::FileAction::copy(
        llb::CopyInput::State(download),
        format!("/{HTTP_CONTEXT_FILENAME}"),
        "/".to_string(),
        llb::CopyOptions {
            attempt_unpack: true,
            ..Default::default()
        },
    );
    llb::scratch().file(copy, llb::OpOptions::default())
}

/// `contextsubdir`: the contents of `dir` as the root of a new tree.
fn scope_to_subdir(st: llb::State, dir: &str) -> llb::State {
    let copy = llb::FileAction::copy(
        llb::CopyInput::State(st),
        dir.to_string(),
        "/".to_string(),
        llb::CopyOptions {
            dir_copy_contents: true,
            ..Default::default()
        },
    );
    llb::scratch().file(copy, llb::OpOptions::default())
}

/// Whether the first bytes of a download are an archive the daemon
/// unpacks: bzip2, gzip or xz magic, or a valid tar header (upstream
/// `isArchive`, which reads the first 1024 bytes).
pub fn is_archive(head: &[u8]) -> bool {
    const MAGIC: [&[u8]; 3] = [
        &[0x42, 0x5A, 0x68],
        &[0x1F, 0x8B, 0x08],
        &[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00],
    ];
    MAGIC.iter().any(|m| head.starts_with(m)) || is_tar_header(head)
}

/// A 512-byte tar header whose checksum field matches its bytes (the
/// check Go's `tar.Reader.Next` makes first); an all-zero block is the end
/// of an archive, not a header.
fn is_tar_header(head: &[u8]) -> bool {
    let Some(block) = head.get(..512) else {
        return false;
    };
    if block.iter().all(|&b| b == 0) {
        return false;
    }
    let field = &block[148..156];
    let text: String = field
        .iter()
        .map(|&b| b as char)
        .filter(|c| *c != ' ' && *c != '\0')
        .collect();
    let Ok(stored) = i64::from_str_radix(&text, 8) else {
        return false;
    };
    let unsigned: i64 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                i64::from(b)
            }
        })
        .sum();
    let signed: i64 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                i64::from(b as i8)
            }
        })
        .sum();
    stored == unsigned || stored == signed
}

#[cfg(test)]
#[path = "main_context_tests.rs"]
mod tests;
