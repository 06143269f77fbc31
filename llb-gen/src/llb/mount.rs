//! The mounts of an exec op: one [`Mount`] enum with a struct per kind
//! (bind, cache, tmpfs, secret, ssh), each with only the options that kind
//! has, and how each kind becomes a `pb::Mount` and the caps it requires.

use super::caps;
use super::state::State;
use crate::pb;

/// Sharing mode of a cache mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheSharing {
    /// Concurrent users share it.
    #[default]
    Shared,
    /// A concurrent user gets a new one.
    Private,
    /// A concurrent user waits.
    Locked,
}

/// Content-cache mode of a bind mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContentCache {
    /// The daemon decides.
    #[default]
    Default,
    /// Use the content cache.
    On,
    /// Do not use it.
    Off,
}

/// One mount of an exec op.
///
/// Filesystem mounts (bind, cache, tmpfs) are sorted by target when the op
/// is built; secret and ssh mounts follow in the order given.
#[derive(Debug, Clone)]
pub enum Mount {
    /// A state mounted at a target.
    Bind(BindMount),
    /// A persistent cache directory.
    Cache(CacheMount),
    /// An in-memory file system.
    Tmpfs(TmpfsMount),
    /// A secret file or variable.
    Secret(SecretMount),
    /// An SSH agent socket.
    Ssh(SshMount),
}

/// A state mounted at a target (`--mount=type=bind`, the root filesystem).
#[derive(Debug, Clone)]
pub struct BindMount {
    /// Where it is mounted.
    pub target: String,
    /// The mounted state; scratch means no input.
    pub source: State,
    /// Sub-path of the source (`exec.mount.selector`).
    pub selector: String,
    /// Read-only.
    pub readonly: bool,
    /// Writable but its changes are discarded (Go `ForceNoOutput`).
    pub no_output: bool,
    /// The content-cache mode.
    pub content_cache: ContentCache,
}

impl BindMount {
    /// A writable bind mount of `source` at `target`.
    pub fn new(target: impl Into<String>, source: State) -> BindMount {
        BindMount {
            target: target.into(),
            source,
            selector: String::new(),
            readonly: false,
            no_output: false,
            content_cache: ContentCache::Default,
        }
    }
    /// Mounts a sub-path of the source.
    pub fn selector(mut self, selector: impl Into<String>) -> BindMount {
        self.selector = selector.into();
        self
    }
    /// Read-only.
    pub fn readonly(mut self, readonly: bool) -> BindMount {
        self.readonly = readonly;
        self
    }
    /// Writable, changes discarded.
    pub fn no_output(mut self, no_output: bool) -> BindMount {
        self.no_output = no_output;
        self
    }
    /// Sets the content-cache mode.
    pub fn content_cache(mut self, mode: ContentCache) -> BindMount {
        self.content_cache = mode;
        self
    }
}

/// A persistent cache directory (`--mount=type=cache`). It never has an
/// output of its own.
#[derive(Debug, Clone)]
pub struct CacheMount {
    /// Where it is mounted.
    pub target: String,
    /// The cache id; empty makes it a plain mount of `source`.
    pub id: String,
    /// How concurrent users share it.
    pub sharing: CacheSharing,
    /// The initial contents; scratch means an empty cache.
    pub source: State,
    /// Sub-path of the source.
    pub selector: String,
    /// Read-only.
    pub readonly: bool,
}

impl CacheMount {
    /// An empty cache `id` at `target`.
    pub fn new(
        target: impl Into<String>,
        id: impl Into<String>,
        sharing: CacheSharing,
    ) -> CacheMount {
        CacheMount {
            target: target.into(),
            id: id.into(),
            sharing,
            source: State::scratch(),
            selector: String::new(),
            readonly: false,
        }
    }
    /// Sets the initial contents.
    pub fn from(mut self, source: State) -> CacheMount {
        self.source = source;
        self
    }
    /// Uses a sub-path of the source.
    pub fn selector(mut self, selector: impl Into<String>) -> CacheMount {
        self.selector = selector.into();
        self
    }
    /// Read-only.
    pub fn readonly(mut self, readonly: bool) -> CacheMount {
        self.readonly = readonly;
        self
    }
}

/// An in-memory filesystem (`--mount=type=tmpfs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TmpfsMount {
    /// Where it is mounted.
    pub target: String,
    /// Size limit in bytes; 0 means no limit.
    pub size: i64,
}

impl TmpfsMount {
    /// A tmpfs at `target`; `size` 0 means no limit.
    pub fn new(target: impl Into<String>, size: i64) -> TmpfsMount {
        TmpfsMount {
            target: target.into(),
            size,
        }
    }
}

/// A secret given to an exec op as a file and/or an environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMount {
    /// The secret's id in the client's session.
    pub id: String,
    /// File target; `None` for env-only secrets.
    pub target: Option<String>,
    /// Environment variable name (`ExecOp.secretenv`).
    pub env: Option<String>,
    /// The file's owner.
    pub uid: u32,
    /// The file's group.
    pub gid: u32,
    /// Default 0o400.
    pub mode: u32,
    /// A missing secret is not an error.
    pub optional: bool,
}

impl SecretMount {
    /// A secret file at `target` with mode 0400.
    pub fn file(id: impl Into<String>, target: impl Into<String>) -> SecretMount {
        SecretMount {
            id: id.into(),
            target: Some(target.into()),
            env: None,
            uid: 0,
            gid: 0,
            mode: 0o400,
            optional: false,
        }
    }
}

/// An SSH agent socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshMount {
    /// The agent's id in the client's session (empty: `default`).
    pub id: String,
    /// Empty = `/run/buildkit/ssh_agent.<N>`, N counting the ssh mounts.
    pub target: String,
    /// The socket's owner.
    pub uid: u32,
    /// The socket's group.
    pub gid: u32,
    /// Default 0o600.
    pub mode: u32,
    /// A missing agent is not an error.
    pub optional: bool,
}

impl Default for SshMount {
    fn default() -> Self {
        SshMount {
            id: String::new(),
            target: String::new(),
            uid: 0,
            gid: 0,
            mode: 0o600,
            optional: false,
        }
    }
}

impl From<BindMount> for Mount {
    fn from(m: BindMount) -> Mount {
        Mount::Bind(m)
    }
}

impl From<CacheMount> for Mount {
    fn from(m: CacheMount) -> Mount {
        Mount::Cache(m)
    }
}

impl From<TmpfsMount> for Mount {
    fn from(m: TmpfsMount) -> Mount {
        Mount::Tmpfs(m)
    }
}

impl From<SecretMount> for Mount {
    fn from(m: SecretMount) -> Mount {
        Mount::Secret(m)
    }
}

impl From<SshMount> for Mount {
    fn from(m: SshMount) -> Mount {
        Mount::Ssh(m)
    }
}

impl Mount {
    /// The target of a filesystem mount (bind, cache, tmpfs); `None` for
    /// secret and ssh mounts, which are not sorted with them.
    pub(crate) fn fs_target(&self) -> Option<&str> {
        match self {
            Mount::Bind(m) => Some(&m.target),
            Mount::Cache(m) => Some(&m.target),
            Mount::Tmpfs(m) => Some(&m.target),
            Mount::Secret(_) | Mount::Ssh(_) => None,
        }
    }

    /// The mounted state, for the kinds that have one.
    pub(crate) fn source(&self) -> Option<&State> {
        match self {
            Mount::Bind(m) => Some(&m.source),
            Mount::Cache(m) => Some(&m.source),
            Mount::Tmpfs(_) | Mount::Secret(_) | Mount::Ssh(_) => None,
        }
    }

    /// Moves the mounted state out (graph teardown).
    pub(crate) fn into_source(self) -> Option<State> {
        match self {
            Mount::Bind(m) => Some(m.source),
            Mount::Cache(m) => Some(m.source),
            Mount::Tmpfs(_) | Mount::Secret(_) | Mount::Ssh(_) => None,
        }
    }

    /// Whether the op gets an output for this mount: writable bind mounts
    /// whose changes are kept.
    pub(crate) fn has_output(&self) -> bool {
        matches!(self, Mount::Bind(m) if !m.readonly && !m.no_output)
    }

    /// The caps this mount requires.
    pub(crate) fn caps(&self, out: &mut Vec<&'static str>) {
        match self {
            Mount::Bind(m) => {
                if !m.selector.is_empty() {
                    out.push(caps::EXEC_MOUNT_SELECTOR);
                }
                if !m.source.is_scratch() {
                    out.push(caps::EXEC_MOUNT_BIND);
                }
                if m.content_cache != ContentCache::Default {
                    out.push(caps::EXEC_MOUNT_CONTENT_CACHE);
                }
            }
            Mount::Cache(m) => {
                if !m.selector.is_empty() {
                    out.push(caps::EXEC_MOUNT_SELECTOR);
                }
                if !m.id.is_empty() {
                    out.push(caps::EXEC_MOUNT_CACHE);
                    out.push(caps::EXEC_MOUNT_CACHE_SHARING);
                } else if !m.source.is_scratch() {
                    out.push(caps::EXEC_MOUNT_BIND);
                }
            }
            Mount::Tmpfs(m) => {
                out.push(caps::EXEC_MOUNT_TMPFS);
                if m.size > 0 {
                    out.push(caps::EXEC_MOUNT_TMPFS_SIZE);
                }
            }
            Mount::Secret(s) => {
                out.push(caps::EXEC_MOUNT_SECRET);
                if s.env.is_some() {
                    out.push(caps::EXEC_SECRET_ENV);
                }
            }
            Mount::Ssh(_) => out.push(caps::EXEC_MOUNT_SSH),
        }
    }

    /// The `pb::Mount` of this mount, if it is mounted as a file or
    /// directory (an env-only secret is not). `input` is the op input of
    /// the source (`-1`: none) and `output` the op output (`-1`: none).
    pub(crate) fn to_pb(&self, input: i64, output: i64) -> Option<pb::Mount> {
        Some(match self {
            Mount::Bind(m) => pb::Mount {
                input,
                selector: m.selector.clone(),
                dest: m.target.clone(),
                output,
                readonly: m.readonly,
                content_cache: pb_content_cache(m.content_cache) as i32,
                ..Default::default()
            },
            Mount::Cache(m) => cache_to_pb(m, input, output),
            Mount::Tmpfs(m) => pb::Mount {
                input,
                dest: m.target.clone(),
                output,
                mount_type: pb::MountType::Tmpfs as i32,
                tmpfs_opt: Some(pb::TmpfsOpt { size: m.size }),
                ..Default::default()
            },
            Mount::Secret(s) => pb::Mount {
                secret_opt: Some(pb::SecretOpt {
                    id: s.id.clone(),
                    uid: s.uid,
                    gid: s.gid,
                    mode: s.mode,
                    optional: s.optional,
                }),
                ..session_mount(s.target.as_deref()?, pb::MountType::Secret)
            },
            Mount::Ssh(s) => pb::Mount {
                ssh_opt: Some(pb::SshOpt {
                    id: s.id.clone(),
                    uid: s.uid,
                    gid: s.gid,
                    mode: s.mode,
                    optional: s.optional,
                }),
                ..session_mount(&s.target, pb::MountType::Ssh)
            },
        })
    }
}

/// A cache mount: a plain mount of its source when it has no id.
fn cache_to_pb(m: &CacheMount, input: i64, output: i64) -> pb::Mount {
    let mut pm = pb::Mount {
        input,
        selector: m.selector.clone(),
        dest: m.target.clone(),
        output,
        readonly: m.readonly,
        ..Default::default()
    };
    if !m.id.is_empty() {
        pm.mount_type = pb::MountType::Cache as i32;
        pm.cache_opt = Some(pb::CacheOpt {
            id: m.id.clone(),
            sharing: match m.sharing {
                CacheSharing::Shared => pb::CacheSharingOpt::Shared,
                CacheSharing::Private => pb::CacheSharingOpt::Private,
                CacheSharing::Locked => pb::CacheSharingOpt::Locked,
            } as i32,
        });
    }
    pm
}

fn pb_content_cache(mode: ContentCache) -> pb::MountContentCache {
    match mode {
        ContentCache::Default => pb::MountContentCache::Default,
        ContentCache::On => pb::MountContentCache::On,
        ContentCache::Off => pb::MountContentCache::Off,
    }
}

/// A secret or ssh mount at `dest`: no input, its data comes from the
/// client's session (and, like Go's, output 0, which the daemon ignores).
fn session_mount(dest: &str, kind: pb::MountType) -> pb::Mount {
    pb::Mount {
        input: -1,
        dest: dest.to_string(),
        mount_type: kind as i32,
        ..Default::default()
    }
}
