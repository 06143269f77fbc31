//! Exec ops: the command, its metadata and its mounts (`client/llb/exec.go`).
//!
//! Mounts are sorted by destination (stable). Output indices are numbered in
//! that order and only for writable bind-style mounts (not read-only, not
//! cache, not tmpfs, not no-output); the others get `-1`. Secret and ssh
//! mounts follow the sorted list with input `-1`.

use std::sync::Arc;

use super::caps;
use super::env::Env;
use super::marshal::{InputTable, MarshalOptions, OpParts, Resolver};
use super::state::{
    HostIp, NetMode, OpKind, OpOptions, Output, Platform, SecurityMode, State, Ulimit, Vertex,
};
use super::LlbError;
use crate::pb;

/// The root mount target.
pub const ROOT_MOUNT: &str = "/";

/// Sharing mode of a cache mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheSharing {
    #[default]
    Shared,
    Private,
    Locked,
}

/// Content-cache mode of a mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContentCache {
    #[default]
    Default,
    On,
    Off,
}

/// One filesystem mount of an exec op (bind, cache or tmpfs).
///
/// Build with [`Mount::bind`], [`Mount::cache`] or [`Mount::tmpfs`] and the
/// chained setters.
#[derive(Debug, Clone)]
pub struct Mount {
    pub target: String,
    /// The mounted state; scratch means no input.
    pub source: State,
    /// Sub-path of the source (`exec.mount.selector`).
    pub selector: String,
    pub readonly: bool,
    /// Writable but its changes are discarded (Go `ForceNoOutput`).
    pub no_output: bool,
    /// Cache id and sharing for a cache mount.
    pub cache: Option<(String, CacheSharing)>,
    /// Size limit for a tmpfs mount (`Some(0)` = no limit).
    pub tmpfs_size: Option<i64>,
    pub content_cache: ContentCache,
}

impl Mount {
    /// A writable bind mount of `source` at `target`.
    pub fn bind(target: impl Into<String>, source: State) -> Mount {
        Mount {
            target: target.into(),
            source,
            selector: String::new(),
            readonly: false,
            no_output: false,
            cache: None,
            tmpfs_size: None,
            content_cache: ContentCache::Default,
        }
    }
    /// A persistent cache mount (its base is scratch unless [`Mount::from`]).
    pub fn cache(target: impl Into<String>, id: impl Into<String>, sharing: CacheSharing) -> Mount {
        Mount {
            cache: Some((id.into(), sharing)),
            ..Mount::bind(target, State::scratch())
        }
    }
    /// A tmpfs mount; `size` 0 means no limit.
    pub fn tmpfs(target: impl Into<String>, size: i64) -> Mount {
        Mount {
            tmpfs_size: Some(size),
            ..Mount::bind(target, State::scratch())
        }
    }
    /// Sets the source state.
    pub fn from(mut self, source: State) -> Mount {
        self.source = source;
        self
    }
    /// Mounts a sub-path of the source.
    pub fn selector(mut self, selector: impl Into<String>) -> Mount {
        self.selector = selector.into();
        self
    }
    /// Read-only.
    pub fn readonly(mut self, readonly: bool) -> Mount {
        self.readonly = readonly;
        self
    }
    /// Writable, changes discarded.
    pub fn no_output(mut self, no_output: bool) -> Mount {
        self.no_output = no_output;
        self
    }
    /// Sets the content-cache mode.
    pub fn content_cache(mut self, mode: ContentCache) -> Mount {
        self.content_cache = mode;
        self
    }

    fn has_output(&self) -> bool {
        !self.no_output && !self.readonly && self.cache.is_none() && self.tmpfs_size.is_none()
    }
}

/// A secret given to an exec op as a file and/or an environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMount {
    pub id: String,
    /// File target; `None` for env-only secrets.
    pub target: Option<String>,
    /// Environment variable name (`ExecOp.secretenv`).
    pub env: Option<String>,
    pub uid: u32,
    pub gid: u32,
    /// Default 0o400.
    pub mode: u32,
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
    pub id: String,
    /// Empty = `/run/buildkit/ssh_agent.<N>`.
    pub target: String,
    pub uid: u32,
    pub gid: u32,
    /// Default 0o600.
    pub mode: u32,
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

/// Proxy variables passed outside the cache key (`Meta.proxy_env`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProxyEnv {
    pub http_proxy: String,
    pub https_proxy: String,
    pub ftp_proxy: String,
    pub no_proxy: String,
    pub all_proxy: String,
}

/// Everything about one exec op. Fields left empty/`None` are taken from the
/// state the op runs on; the returned root state keeps the original metadata
/// (like Go run options, these overrides apply to this op only).
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    /// argv; when empty, the state's args.
    pub args: Vec<String>,
    /// Added on top of the state env (replace moves to the end).
    pub env: Vec<(String, String)>,
    /// Working directory (relative joins the state's).
    pub cwd: Option<String>,
    pub user: Option<String>,
    pub hostname: Option<String>,
    pub network: Option<NetMode>,
    pub security: Option<SecurityMode>,
    /// Appended to the state's.
    pub extra_hosts: Vec<HostIp>,
    /// Appended to the state's.
    pub ulimits: Vec<Ulimit>,
    pub cgroup_parent: Option<String>,
    pub valid_exit_codes: Option<Vec<i32>>,
    pub proxy_env: Option<ProxyEnv>,
    pub readonly_rootfs: bool,
    pub mounts: Vec<Mount>,
    pub secrets: Vec<SecretMount>,
    pub ssh: Vec<SshMount>,
    pub op: OpOptions,
}

impl ExecOptions {
    /// Options with only `args` set.
    pub fn args<I, S>(args: I) -> ExecOptions
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ExecOptions {
            args: args.into_iter().map(Into::into).collect(),
            ..ExecOptions::default()
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct MountData {
    pub(crate) mount: Mount,
    pub(crate) output_index: i64,
}

/// The payload of an exec op, resolved at construction.
#[derive(Debug)]
pub(crate) struct ExecData {
    pub(crate) args: Vec<String>,
    /// Shared with the state's env list unless the op adds to it.
    pub(crate) env: Env,
    pub(crate) cwd: String,
    pub(crate) user: String,
    pub(crate) hostname: String,
    pub(crate) cgroup_parent: String,
    pub(crate) extra_hosts: Vec<HostIp>,
    pub(crate) ulimits: Vec<Ulimit>,
    pub(crate) network: NetMode,
    pub(crate) security: SecurityMode,
    pub(crate) valid_exit_codes: Option<Vec<i32>>,
    pub(crate) proxy_env: Option<ProxyEnv>,
    pub(crate) state_platform: Option<Platform>,
    /// Sorted by target.
    pub(crate) mounts: Vec<MountData>,
    pub(crate) secrets: Vec<SecretMount>,
    pub(crate) ssh: Vec<SshMount>,
}

/// The result of [`State::run`]: the root filesystem and every mount's output.
#[derive(Debug, Clone)]
pub struct ExecState {
    root: State,
    vertex: Arc<Vertex>,
}

impl ExecState {
    /// The root filesystem after the command, with the metadata of the state
    /// the command ran on.
    pub fn root(&self) -> State {
        self.root.clone()
    }

    /// The exec vertex.
    pub fn vertex(&self) -> &Arc<Vertex> {
        &self.vertex
    }

    /// The state of the mount at `target` after the command (a fresh state:
    /// working directory `/`, no env). A read-only mount gives its source
    /// back; tmpfs, cache and no-output mounts have no output.
    pub fn get_mount(&self, target: &str) -> Result<State, LlbError> {
        let OpKind::Exec(data) = &self.vertex.kind else {
            return Err(LlbError::NoSuchMount(target.into()));
        };
        let Some(m) = data.mounts.iter().find(|m| m.mount.target == target) else {
            return Err(LlbError::NoSuchMount(target.into()));
        };
        let reason = if m.mount.tmpfs_size.is_some() {
            Some("tmpfs")
        } else if m.mount.cache.is_some() {
            Some("cache")
        } else if m.mount.no_output && !m.mount.readonly {
            Some("no-output")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(LlbError::MountHasNoOutput {
                target: target.into(),
                reason,
            });
        }
        if m.mount.readonly {
            return Ok(State::scratch().with_output(m.mount.source.output.clone()));
        }
        Ok(State::from_output(Output {
            vertex: self.vertex.clone(),
            index: m.output_index,
        }))
    }
}

impl State {
    /// Runs a command on this state (Go `State.Run`).
    pub fn run(&self, opts: ExecOptions) -> Result<ExecState, LlbError> {
        let mut st = self.clone();
        for (k, v) in &opts.env {
            st = st.add_env(k.clone(), v.clone());
        }
        if let Some(cwd) = &opts.cwd {
            st = st.with_dir(cwd.clone());
        }
        let meta = &st.meta;
        let args = if opts.args.is_empty() {
            meta.args.clone()
        } else {
            opts.args
        };
        if args.is_empty() {
            return Err(LlbError::NoArgs);
        }
        let mut env = meta.env.clone();
        let mut ssh = opts.ssh;
        for (i, s) in ssh.iter_mut().enumerate() {
            if s.target.is_empty() {
                s.target = format!("/run/buildkit/ssh_agent.{i}");
            }
        }
        if let Some(first) = ssh.first() {
            if !env.contains("SSH_AUTH_SOCK") {
                env.set("SSH_AUTH_SOCK", &first.target);
            }
        }
        let mut mounts = vec![Mount::bind(ROOT_MOUNT, self.clone()).readonly(opts.readonly_rootfs)];
        for m in opts.mounts {
            if m.tmpfs_size.is_some() && !m.source.is_scratch() {
                return Err(LlbError::TmpfsWithSource);
            }
            mounts.push(m);
        }
        mounts.sort_by(|a, b| a.target.cmp(&b.target));
        let mut next = 0;
        let mounts: Vec<MountData> = mounts
            .into_iter()
            .map(|mount| {
                let output_index = if mount.has_output() {
                    next += 1;
                    next - 1
                } else {
                    -1
                };
                MountData {
                    mount,
                    output_index,
                }
            })
            .collect();
        let root_index = mounts
            .iter()
            .find(|m| m.mount.target == ROOT_MOUNT)
            .map(|m| m.output_index);
        let data = ExecData {
            args,
            env,
            cwd: meta.dir.clone(),
            user: opts.user.unwrap_or_else(|| meta.user.clone()),
            hostname: opts.hostname.unwrap_or_else(|| meta.hostname.clone()),
            cgroup_parent: opts
                .cgroup_parent
                .unwrap_or_else(|| meta.cgroup_parent.clone()),
            extra_hosts: meta
                .extra_hosts
                .iter()
                .cloned()
                .chain(opts.extra_hosts)
                .collect(),
            ulimits: meta.ulimits.iter().cloned().chain(opts.ulimits).collect(),
            network: opts.network.or(meta.network).unwrap_or(NetMode::Unset),
            security: opts
                .security
                .or(meta.security)
                .unwrap_or(SecurityMode::Sandbox),
            valid_exit_codes: opts
                .valid_exit_codes
                .or_else(|| meta.valid_exit_codes.clone()),
            proxy_env: opts.proxy_env,
            state_platform: meta.platform.clone(),
            mounts,
            secrets: opts.secrets,
            ssh,
        };
        let vertex = Vertex::new(OpKind::Exec(Box::new(data)), opts.op);
        let root_output = match root_index {
            Some(i) if i >= 0 => Some(Output {
                vertex: vertex.clone(),
                index: i,
            }),
            _ => self.output.clone(),
        };
        Ok(ExecState {
            root: self.with_output(root_output),
            vertex,
        })
    }
}

const DEFAULT_PATH_LINUX: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const DEFAULT_PATH_WINDOWS: &str = "c:\\Windows\\System32;c:\\Windows";

impl ExecData {
    /// Parents in sorted-mount order.
    pub(crate) fn inputs(&self) -> Vec<Output> {
        self.mounts
            .iter()
            .filter_map(|m| m.mount.source.output.clone())
            .collect()
    }

    pub(crate) fn to_parts(
        &self,
        op: &OpOptions,
        opts: &MarshalOptions,
        resolve: &Resolver,
    ) -> OpParts {
        let mut caps: Vec<&'static str> = Vec::new();
        let platform = op
            .platform
            .clone()
            .or_else(|| self.state_platform.clone())
            .or_else(|| opts.platform.clone());
        // `KEY=value` strings, plus the default PATH when the daemon does not
        // set one itself.
        let mut env: Vec<String> = Vec::with_capacity(self.env.len() + 1);
        env.extend(self.env.iter().map(|(k, v)| env_entry(k, v)));
        if opts.caps.is_known() {
            if opts.caps.supports(caps::EXEC_META_SETS_DEFAULT_PATH) {
                caps.push(caps::EXEC_META_SETS_DEFAULT_PATH);
            } else if !self.env.contains("PATH") {
                let os = platform.as_ref().map(|p| p.os.as_str()).unwrap_or("linux");
                let path = if os == "windows" {
                    DEFAULT_PATH_WINDOWS
                } else {
                    DEFAULT_PATH_LINUX
                };
                env.push(env_entry("PATH", path));
            }
        }
        if self.valid_exit_codes.is_some() {
            caps.push(caps::EXEC_VALID_EXIT_CODE);
        }
        if !self.ulimits.is_empty() {
            caps.push(caps::EXEC_META_ULIMIT);
        }
        if self.network != NetMode::Unset {
            caps.push(caps::EXEC_META_NETWORK);
        }
        if self.security != SecurityMode::Sandbox {
            caps.push(caps::EXEC_META_SECURITY);
        }
        let proxy_env = self.proxy_env.as_ref().map(|p| {
            caps.push(caps::EXEC_META_PROXY);
            pb::ProxyEnv {
                http_proxy: p.http_proxy.clone(),
                https_proxy: p.https_proxy.clone(),
                ftp_proxy: p.ftp_proxy.clone(),
                no_proxy: p.no_proxy.clone(),
                all_proxy: p.all_proxy.clone(),
            }
        });
        caps.push(caps::EXEC_META_BASE);
        for m in &self.mounts {
            let m = &m.mount;
            if !m.selector.is_empty() {
                caps.push(caps::EXEC_MOUNT_SELECTOR);
            }
            if m.cache.as_ref().is_some_and(|(id, _)| !id.is_empty()) {
                caps.push(caps::EXEC_MOUNT_CACHE);
                caps.push(caps::EXEC_MOUNT_CACHE_SHARING);
            } else if let Some(size) = m.tmpfs_size {
                caps.push(caps::EXEC_MOUNT_TMPFS);
                if size > 0 {
                    caps.push(caps::EXEC_MOUNT_TMPFS_SIZE);
                }
            } else if !m.source.is_scratch() {
                caps.push(caps::EXEC_MOUNT_BIND);
            }
            if m.content_cache != ContentCache::Default {
                caps.push(caps::EXEC_MOUNT_CONTENT_CACHE);
            }
        }
        if !self.secrets.is_empty() {
            caps.push(caps::EXEC_MOUNT_SECRET);
            if self.secrets.iter().any(|s| s.env.is_some()) {
                caps.push(caps::EXEC_SECRET_ENV);
            }
        }
        if !self.ssh.is_empty() {
            caps.push(caps::EXEC_MOUNT_SSH);
        }

        let mut table = InputTable::default();
        let mut mounts =
            Vec::with_capacity(self.mounts.len() + self.secrets.len() + self.ssh.len());
        for md in &self.mounts {
            let m = &md.mount;
            let input = match &m.source.output {
                Some(o) => table.add(resolve(o)),
                None => -1,
            };
            let mut pm = pb::Mount {
                input,
                selector: m.selector.clone(),
                dest: m.target.clone(),
                output: md.output_index,
                readonly: m.readonly,
                content_cache: match m.content_cache {
                    ContentCache::Default => pb::MountContentCache::Default,
                    ContentCache::On => pb::MountContentCache::On,
                    ContentCache::Off => pb::MountContentCache::Off,
                } as i32,
                ..Default::default()
            };
            if let Some((id, sharing)) = m.cache.as_ref().filter(|(id, _)| !id.is_empty()) {
                pm.mount_type = pb::MountType::Cache as i32;
                pm.cache_opt = Some(pb::CacheOpt {
                    id: id.clone(),
                    sharing: match sharing {
                        CacheSharing::Shared => pb::CacheSharingOpt::Shared,
                        CacheSharing::Private => pb::CacheSharingOpt::Private,
                        CacheSharing::Locked => pb::CacheSharingOpt::Locked,
                    } as i32,
                });
            }
            if let Some(size) = m.tmpfs_size {
                pm.mount_type = pb::MountType::Tmpfs as i32;
                pm.tmpfs_opt = Some(pb::TmpfsOpt { size });
            }
            mounts.push(pm);
        }
        let mut secretenv = Vec::new();
        for s in &self.secrets {
            if let Some(name) = &s.env {
                secretenv.push(pb::SecretEnv {
                    id: s.id.clone(),
                    name: name.clone(),
                    optional: s.optional,
                });
            }
            if let Some(target) = &s.target {
                mounts.push(pb::Mount {
                    secret_opt: Some(pb::SecretOpt {
                        id: s.id.clone(),
                        uid: s.uid,
                        gid: s.gid,
                        mode: s.mode,
                        optional: s.optional,
                    }),
                    ..session_mount(target, pb::MountType::Secret)
                });
            }
        }
        for s in &self.ssh {
            mounts.push(pb::Mount {
                ssh_opt: Some(pb::SshOpt {
                    id: s.id.clone(),
                    uid: s.uid,
                    gid: s.gid,
                    mode: s.mode,
                    optional: s.optional,
                }),
                ..session_mount(&s.target, pb::MountType::Ssh)
            });
        }

        let meta = pb::Meta {
            args: self.args.clone(),
            env,
            cwd: self.cwd.clone(),
            user: self.user.clone(),
            proxy_env,
            extra_hosts: self
                .extra_hosts
                .iter()
                .map(|h| pb::HostIp {
                    host: h.host.clone(),
                    ip: h.ip.clone(),
                })
                .collect(),
            hostname: self.hostname.clone(),
            ulimit: self
                .ulimits
                .iter()
                .map(|u| pb::Ulimit {
                    name: u.name.clone(),
                    soft: u.soft,
                    hard: u.hard,
                })
                .collect(),
            cgroup_parent: self.cgroup_parent.clone(),
            remove_mount_stubs_recursive: true,
            valid_exit_codes: self.valid_exit_codes.clone().unwrap_or_default(),
        };
        let exec = pb::ExecOp {
            meta: Some(meta),
            mounts,
            network: self.network as i32,
            security: self.security as i32,
            secretenv,
            cdi_devices: Vec::new(),
        };
        OpParts {
            inputs: table.into_inputs(),
            op: pb::op::Op::Exec(exec),
            platform: Some(platform.unwrap_or_else(default_platform)),
            caps,
        }
    }
}

/// `linux/amd64`, the default when neither the op, the state nor the marshal
/// options give a platform.
pub(crate) fn default_platform() -> Platform {
    Platform {
        architecture: "amd64".into(),
        os: "linux".into(),
        ..Default::default()
    }
}

/// A secret or ssh mount at `dest`: no input, its data comes from the
/// client's session.
fn session_mount(dest: &str, kind: pb::MountType) -> pb::Mount {
    pb::Mount {
        input: -1,
        dest: dest.to_string(),
        mount_type: kind as i32,
        ..Default::default()
    }
}

/// `KEY=value`, in one allocation.
fn env_entry(key: &str, value: &str) -> String {
    let mut s = String::with_capacity(key.len() + 1 + value.len());
    s.push_str(key);
    s.push('=');
    s.push_str(value);
    s
}
