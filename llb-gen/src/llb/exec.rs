//! Exec ops: the command, its metadata and its mounts (`client/llb/exec.go`).
//!
//! Filesystem mounts are sorted by destination (stable). Output indices are
//! numbered in that order and only for writable bind mounts (not read-only,
//! not no-output); the others get `-1`. Secret and ssh mounts follow the
//! sorted list with input `-1`. The mount kinds are in `mount.rs`.

use std::borrow::Cow;
use std::sync::Arc;

use super::caps;
use super::env::Env;
use super::marshal::{InputTable, MarshalOptions, OpBody, OpParts, Resolver};
use super::mount::{BindMount, Mount, SecretMount};
use super::state::{
    HostIp, NetMode, OpKind, OpOptions, Output, Platform, SecurityMode, State, Ulimit, Vertex,
};
use super::LlbError;
use crate::pb;

/// The root mount target.
pub(super) const ROOT_MOUNT: &str = "/";

/// Proxy variables passed outside the cache key (`Meta.proxy_env`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProxyEnv {
    /// `HTTP_PROXY`.
    pub http_proxy: String,
    /// `HTTPS_PROXY`.
    pub https_proxy: String,
    /// `FTP_PROXY`.
    pub ftp_proxy: String,
    /// `NO_PROXY`.
    pub no_proxy: String,
    /// `ALL_PROXY`.
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
    /// The user to run as (`user[:group]`); else the state's.
    pub user: Option<String>,
    /// The container's hostname; else the state's.
    pub hostname: Option<String>,
    /// The network mode; else the state's.
    pub network: Option<NetMode>,
    /// The security mode; else the state's.
    pub security: Option<SecurityMode>,
    /// Appended to the state's.
    pub extra_hosts: Vec<HostIp>,
    /// Appended to the state's.
    pub ulimits: Vec<Ulimit>,
    /// The cgroup parent (cap `exec.meta.cgroup.parent`).
    pub cgroup_parent: Option<String>,
    /// Exit codes that count as success (default: 0 only).
    pub valid_exit_codes: Option<Vec<i32>>,
    /// Proxy variables kept out of the cache key.
    pub proxy_env: Option<ProxyEnv>,
    /// Mount the root filesystem read-only.
    pub readonly_rootfs: bool,
    /// Every mount but the root one (see [`Mount`]).
    pub mounts: Vec<Mount>,
    /// Platform, constraints, metadata and source locations of the op.
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
    /// Boxed: it is rare, and an exec op of a large graph is otherwise
    /// ~200 bytes larger.
    pub(crate) proxy_env: Option<Box<ProxyEnv>>,
    /// Shared with the state's metadata (not a copy per op).
    pub(crate) state_platform: Option<Arc<Platform>>,
    /// Filesystem mounts sorted by target, then secrets, then ssh sockets.
    pub(crate) mounts: Vec<MountData>,
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
        let found = data
            .mounts
            .iter()
            .find(|m| m.mount.fs_target() == Some(target));
        let Some(m) = found else {
            return Err(LlbError::NoSuchMount(target.into()));
        };
        let no_output = |reason| {
            Err(LlbError::MountHasNoOutput {
                target: target.into(),
                reason,
            })
        };
        match &m.mount {
            Mount::Tmpfs(_) => no_output("tmpfs"),
            Mount::Cache(_) => no_output("cache"),
            Mount::Bind(b) if b.readonly => {
                Ok(State::scratch().with_output(b.source.output.clone()))
            }
            Mount::Bind(b) if b.no_output => no_output("no-output"),
            Mount::Bind(_) => Ok(State::from_output(Output {
                vertex: self.vertex.clone(),
                index: m.output_index,
            })),
            Mount::Secret(_) | Mount::Ssh(_) => Err(LlbError::NoSuchMount(target.into())),
        }
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
        let root = BindMount::new(ROOT_MOUNT, self.clone()).readonly(opts.readonly_rootfs);
        let mounts = marshal_order(root, opts.mounts);
        let mut env = meta.env.clone();
        let first_ssh = mounts.iter().find_map(|m| match &m.mount {
            Mount::Ssh(s) => Some(&s.target),
            _ => None,
        });
        if let Some(sock) = first_ssh {
            if !env.contains("SSH_AUTH_SOCK") {
                env.set("SSH_AUTH_SOCK", sock);
            }
        }
        let root_index = mounts
            .iter()
            .find(|m| m.mount.fs_target() == Some(ROOT_MOUNT))
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
            proxy_env: opts.proxy_env.map(Box::new),
            state_platform: meta.platform.clone(),
            mounts,
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

/// The mounts in the order they are marshaled: the root and the other
/// filesystem mounts sorted by target (stable, so the root stays first among
/// mounts at `/`) with their output indices, then the secrets, then the ssh
/// sockets (an empty target becomes `/run/buildkit/ssh_agent.<N>`).
fn marshal_order(root: BindMount, mounts: Vec<Mount>) -> Vec<MountData> {
    // Mounts are large: the vector is made at its size, not grown by copying.
    let mut fs = Vec::with_capacity(mounts.len() + 1);
    fs.push(Mount::Bind(root));
    let mut secrets = Vec::new();
    let mut ssh = Vec::new();
    for m in mounts {
        match m {
            Mount::Secret(_) => secrets.push(m),
            Mount::Ssh(mut s) => {
                if s.target.is_empty() {
                    s.target = format!("/run/buildkit/ssh_agent.{}", ssh.len());
                }
                ssh.push(Mount::Ssh(s));
            }
            Mount::Bind(_) | Mount::Cache(_) | Mount::Tmpfs(_) => fs.push(m),
        }
    }
    fs.sort_by(|a, b| a.fs_target().cmp(&b.fs_target()));
    let mut next = 0;
    let mut out = Vec::with_capacity(fs.len() + secrets.len() + ssh.len());
    for mount in fs {
        let output_index = if mount.has_output() {
            next += 1;
            next - 1
        } else {
            -1
        };
        out.push(MountData {
            mount,
            output_index,
        });
    }
    out.extend(secrets.into_iter().chain(ssh).map(|mount| MountData {
        mount,
        output_index: -1,
    }));
    out
}

const DEFAULT_PATH_LINUX: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const DEFAULT_PATH_WINDOWS: &str = "c:\\Windows\\System32;c:\\Windows";

impl ExecData {
    /// Parents in sorted-mount order.
    pub(crate) fn inputs(&self) -> Vec<Output> {
        self.mounts
            .iter()
            .filter_map(|m| m.mount.source()?.output.clone())
            .collect()
    }

    pub(crate) fn to_parts<'a>(
        &'a self,
        op: &'a OpOptions,
        opts: &'a MarshalOptions,
        resolve: &Resolver,
    ) -> OpParts<'a> {
        // Room for the usual caps and body: neither is grown by copying op after op (the body
        // is a few hundred bytes, dropped once encoded).
        let mut caps: Vec<&'static str> = Vec::with_capacity(8);
        let platform = (op.platform.as_deref())
            .or(self.state_platform.as_deref())
            .or(opts.platform.as_ref());
        let extra_path = self.extra_path(opts, platform, &mut caps);
        self.meta_caps(&mut caps);
        for m in &self.mounts {
            m.mount.caps(&mut caps);
        }
        let mut table = InputTable::default();
        let mut mounts = Vec::with_capacity(self.mounts.len());
        let mut secretenv = Vec::new();
        for md in &self.mounts {
            let input = match md.mount.source().and_then(|s| s.output.as_ref()) {
                Some(o) => table.add(resolve(o)),
                None => -1,
            };
            mounts.extend(md.mount.to_pb(input, md.output_index));
            if let Mount::Secret(s) = &md.mount {
                secretenv.extend(secret_env(s));
            }
        }
        let mut exec = Vec::with_capacity(512);
        self.encode_exec_field(extra_path, &mounts, &secretenv, &mut exec);
        OpParts {
            inputs: table.into_inputs(),
            op: OpBody::Encoded(exec),
            platform: Some(platform.map_or_else(|| Cow::Owned(default_platform()), Cow::Borrowed)),
            caps,
        }
    }

    /// The default PATH, added after the op's env when the daemon is known not to set one
    /// itself (and the op has none).
    fn extra_path(
        &self,
        opts: &MarshalOptions,
        platform: Option<&Platform>,
        caps: &mut Vec<&'static str>,
    ) -> Option<&'static str> {
        if opts.caps.is_known() {
            if opts.caps.supports(caps::EXEC_META_SETS_DEFAULT_PATH) {
                caps.push(caps::EXEC_META_SETS_DEFAULT_PATH);
            } else if !self.env.contains("PATH") {
                return Some(match platform {
                    Some(p) if p.os == "windows" => DEFAULT_PATH_WINDOWS,
                    _ => DEFAULT_PATH_LINUX,
                });
            }
        }
        None
    }

    /// The caps of the op's metadata (everything but mounts and env).
    fn meta_caps(&self, caps: &mut Vec<&'static str>) {
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
        if self.proxy_env.is_some() {
            caps.push(caps::EXEC_META_PROXY);
        }
        caps.push(caps::EXEC_META_BASE);
    }

    /// `ExecOp.meta`.
    #[cfg(test)]
    pub(super) fn pb_meta(&self, env: Vec<String>) -> pb::Meta {
        pb::Meta {
            args: self.args.clone(),
            env,
            cwd: self.cwd.clone(),
            user: self.user.clone(),
            proxy_env: self.proxy_env.as_ref().map(|p| pb::ProxyEnv {
                http_proxy: p.http_proxy.clone(),
                https_proxy: p.https_proxy.clone(),
                ftp_proxy: p.ftp_proxy.clone(),
                no_proxy: p.no_proxy.clone(),
                all_proxy: p.all_proxy.clone(),
            }),
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
        }
    }
}

/// The `ExecOp.secretenv` entry of a secret given as a variable.
pub(super) fn secret_env(s: &SecretMount) -> Option<pb::SecretEnv> {
    Some(pb::SecretEnv {
        id: s.id.clone(),
        name: s.env.clone()?,
        optional: s.optional,
    })
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

/// `KEY=value`, in one allocation.
#[cfg(test)]
pub(super) fn env_entry(key: &str, value: &str) -> String {
    let mut s = String::with_capacity(key.len() + 1 + value.len());
    s.push_str(key);
    s.push('=');
    s.push_str(value);
    s
}
