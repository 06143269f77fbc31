//! [`State`], [`Output`], [`Vertex`] and the per-op options shared by every op.

use std::borrow::Cow;
use std::sync::Arc;

use super::env::Env;
use super::exec::ExecData;
use super::file::FileData;
use super::merge::{DiffData, MergeData};
use super::source::SourceData;
use super::source_map::SourceLocation;
use crate::pb;

/// An OCI platform as it appears in `pb::Op.platform` (already normalized).
pub type Platform = pb::Platform;
/// Network mode of exec ops.
pub type NetMode = pb::NetMode;
/// Security mode of exec ops.
pub type SecurityMode = pb::SecurityMode;

/// One `--add-host` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostIp {
    /// The host name.
    pub host: String,
    /// Its address.
    pub ip: String,
}

/// One `--ulimit` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ulimit {
    /// The resource (`nofile`, `nproc`, ...).
    pub name: String,
    /// The soft limit.
    pub soft: i64,
    /// The hard limit.
    pub hard: i64,
}

/// A progress group (`OpMetadata.progress_group`), e.g. for `COPY --link`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProgressGroup {
    /// The group's id.
    pub id: String,
    /// The group's name in progress output.
    pub name: String,
    /// A weak group (ops may also show alone).
    pub weak: bool,
}

/// Description entries of one op, sorted by key (a small vector: ops carry
/// one or two entries, and a B-tree leaf per op cost ~1 MB on large files).
/// Keys are usually constants (`llb.customname`) and are then not copied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(Vec<(Cow<'static, str>, String)>);

impl Description {
    /// Sets `key` to `value`, replacing an existing entry.
    pub fn insert(&mut self, key: impl Into<Cow<'static, str>>, value: String) {
        let key = key.into();
        match self.0.binary_search_by(|(k, _)| (**k).cmp(&*key)) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => {
                // An op has one or two entries: no room for four on the first insert.
                if self.0.len() == self.0.capacity() {
                    self.0.reserve_exact(1);
                }
                self.0.insert(i, (key, value));
            }
        }
    }
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&String> {
        self.0
            .binary_search_by(|(k, _)| (**k).cmp(key))
            .ok()
            .map(|i| &self.0[i].1)
    }
    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &String)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }
    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// Per-op metadata (`pb::OpMetadata` without caps, which the builder computes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpMetadata {
    /// Run the op even when a cached result exists (`no-cache`).
    pub ignore_cache: bool,
    /// e.g. `llb.customname`, `com.docker.dockerfile.v1.command`.
    pub description: Description,
    /// Whether the op's result is exported to the cache (`None`: default).
    pub export_cache: Option<bool>,
    /// The progress group the op belongs to.
    pub progress_group: Option<ProgressGroup>,
    /// Extra caps to require, on top of the ones the op itself requires.
    pub caps: Vec<String>,
}

/// Per-op constraints (Go `llb.Constraints`): platform override, worker
/// filters, metadata and source locations.
#[derive(Debug, Clone, Default)]
pub struct OpOptions {
    /// The platform of the op; else the state's. Shared: the ops of a stage hold its one.
    pub platform: Option<Arc<Platform>>,
    /// Worker filters.
    pub worker_constraints: Vec<String>,
    /// The op's metadata.
    pub metadata: OpMetadata,
    /// Where in the sources the op comes from.
    pub locations: Vec<SourceLocation>,
}

impl OpOptions {
    /// Sets `llb.customname` (the progress name).
    pub fn custom_name(mut self, name: impl Into<String>) -> Self {
        self.metadata
            .description
            .insert("llb.customname", name.into());
        self
    }
    /// Adds one description entry.
    pub fn description(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
    ) -> Self {
        self.metadata.description.insert(key, value.into());
        self
    }
    /// Marks the op `ignore_cache`.
    pub fn ignore_cache(mut self, yes: bool) -> Self {
        self.metadata.ignore_cache = yes;
        self
    }
    /// Sets the progress group.
    pub fn progress_group(mut self, group: ProgressGroup) -> Self {
        self.metadata.progress_group = Some(group);
        self
    }
    /// Sets the platform of the op (image sources and exec ops only use it).
    pub fn platform(mut self, platform: impl Into<Arc<Platform>>) -> Self {
        self.platform = Some(platform.into());
        self
    }
    /// Adds a source location.
    pub fn location(mut self, location: SourceLocation) -> Self {
        self.locations.push(location);
        self
    }
}

/// The payload of one op.
#[derive(Debug)]
pub(crate) enum OpKind {
    Source(SourceData),
    Exec(Box<ExecData>),
    File(FileData),
    Merge(MergeData),
    Diff(DiffData),
    /// An existing Definition, copied as it is.
    Definition(super::definition::DefinitionData),
}

/// One op of the graph. Built by the constructors of this module; immutable.
#[derive(Debug)]
pub struct Vertex {
    pub(crate) kind: OpKind,
    pub(crate) options: OpOptions,
}

impl Vertex {
    pub(crate) fn new(kind: OpKind, options: OpOptions) -> Arc<Self> {
        Arc::new(Vertex { kind, options })
    }

    /// The parents of this vertex, in the order Go's marshaler visits them.
    pub(crate) fn inputs(&self) -> Vec<Output> {
        let all = match &self.kind {
            OpKind::Source(_) | OpKind::Definition(_) => Vec::new(),
            OpKind::Exec(e) => e.inputs(),
            OpKind::File(f) => f.inputs(),
            OpKind::Merge(m) => m.inputs.clone(),
            OpKind::Diff(d) => d.lower.iter().chain(d.upper.iter()).cloned().collect(),
        };
        let mut out: Vec<Output> = Vec::with_capacity(all.len());
        for o in all {
            if !out.iter().any(|p| p.same_as(&o)) {
                out.push(o);
            }
        }
        out
    }

    /// A short name of the op kind: `source`, `exec`, `file`, `merge`, `diff`,
    /// `definition`.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            OpKind::Source(_) => "source",
            OpKind::Exec(_) => "exec",
            OpKind::File(_) => "file",
            OpKind::Merge(_) => "merge",
            OpKind::Diff(_) => "diff",
            OpKind::Definition(_) => "definition",
        }
    }

    /// The per-op options the vertex was built with.
    pub fn options(&self) -> &OpOptions {
        &self.options
    }
}

/// One output of a vertex.
#[derive(Debug, Clone)]
pub struct Output {
    /// The vertex.
    pub vertex: Arc<Vertex>,
    /// The output's index among the vertex's outputs.
    pub index: i64,
}

impl Output {
    /// Same vertex object and same index (Go compares output objects).
    pub fn same_as(&self, other: &Output) -> bool {
        Arc::ptr_eq(&self.vertex, &other.vertex) && self.index == other.index
    }

    /// The platform an output carries into a state (image sources and exec
    /// ops built with an explicit platform).
    fn platform(&self) -> Option<&Platform> {
        match &self.vertex.kind {
            OpKind::Source(_) | OpKind::Exec(_) => self.vertex.options.platform.as_deref(),
            _ => None,
        }
    }
}

/// Values exec ops read from a state (Go `meta.go` keys).
#[derive(Debug, Clone, Default)]
pub(crate) struct StateMeta {
    /// Persistent: a copy shares the entries, a change costs O(log n).
    pub(crate) env: Env,
    pub(crate) dir: String,
    pub(crate) user: String,
    pub(crate) hostname: String,
    /// Shared: every state of a stage, and each of its exec ops, holds the same one.
    pub(crate) platform: Option<Arc<Platform>>,
    pub(crate) network: Option<NetMode>,
    pub(crate) security: Option<SecurityMode>,
    pub(crate) extra_hosts: Vec<HostIp>,
    pub(crate) ulimits: Vec<Ulimit>,
    pub(crate) cgroup_parent: String,
    pub(crate) args: Vec<String>,
    pub(crate) valid_exit_codes: Option<Vec<i32>>,
}

/// An immutable build state: an output (or scratch) plus exec metadata.
#[derive(Debug, Clone)]
pub struct State {
    pub(crate) output: Option<Output>,
    pub(crate) meta: Arc<StateMeta>,
}

impl Default for State {
    fn default() -> Self {
        State::scratch()
    }
}

impl State {
    /// The empty filesystem, with working directory `/`.
    pub fn scratch() -> State {
        // One shared metadata for every scratch state (500-stage files make
        // hundreds of them).
        static SCRATCH_META: std::sync::LazyLock<Arc<StateMeta>> = std::sync::LazyLock::new(|| {
            Arc::new(StateMeta {
                dir: "/".into(),
                ..StateMeta::default()
            })
        });
        State {
            output: None,
            meta: Arc::clone(&SCRATCH_META),
        }
    }

    /// A new state for `output`, with working directory `/` and the output's
    /// platform (Go `llb.NewState`).
    pub fn from_output(output: Output) -> State {
        State::scratch().with_output(Some(output))
    }

    /// The output of this state; `None` for scratch.
    pub fn output(&self) -> Option<&Output> {
        self.output.as_ref()
    }

    /// True when the state is scratch (no output).
    pub fn is_scratch(&self) -> bool {
        self.output.is_none()
    }

    /// Keeps this state's metadata and points it at another output; takes
    /// the output's platform when it carries one (Go `WithOutput`).
    pub fn with_output(&self, output: Option<Output>) -> State {
        // Cloned only when it changes the state's (the usual case is the same one).
        let platform = (output.as_ref().and_then(|o| o.platform()))
            .filter(|p| self.platform() != Some(*p))
            .cloned();
        let st = State {
            output,
            meta: self.meta.clone(),
        };
        match platform {
            Some(p) => st.with_platform(p),
            None => st,
        }
    }

    fn update(&self, f: impl FnOnce(&mut StateMeta)) -> State {
        let mut meta = (*self.meta).clone();
        f(&mut meta);
        State {
            output: self.output.clone(),
            meta: Arc::new(meta),
        }
    }

    /// Sets an environment variable; an existing one is removed first, so the
    /// variable moves to the end (Go `EnvList.AddOrReplace`).
    pub fn add_env(&self, key: impl Into<String>, value: impl Into<String>) -> State {
        let (key, value): (String, String) = (key.into(), value.into());
        self.update(|m| m.env.set(&key, &value))
    }

    /// [`State::add_env`] on an owned state: when nothing else holds this
    /// state's metadata the list is changed in place, without the path copy
    /// a persistent update costs (a run of `ENV` lines between two `RUN`s
    /// copies once, not once per line).
    pub fn set_env(mut self, key: &str, value: &str) -> State {
        Arc::make_mut(&mut self.meta).env.set(key, value);
        self
    }

    /// Removes an environment variable.
    pub fn del_env(&self, key: &str) -> State {
        self.update(|m| m.env.remove(key))
    }

    /// The value of an environment variable.
    pub fn get_env(&self, key: &str) -> Option<&str> {
        self.meta.env.get(key)
    }

    /// The environment in order.
    pub fn env(&self) -> &Env {
        &self.meta.env
    }

    /// Sets the working directory; a relative path is joined to the current
    /// one and cleaned, an absolute one is kept as given (Go `Dir`).
    pub fn with_dir(&self, dir: impl Into<String>) -> State {
        let dir = dir.into();
        self.update(|m| {
            m.dir = if dir.starts_with('/') {
                dir
            } else {
                crate::path::join(&["/", &m.dir, &dir])
            };
        })
    }

    /// The working directory (`/` unless set).
    pub fn dir(&self) -> &str {
        &self.meta.dir
    }

    /// Sets the user of exec ops.
    pub fn with_user(&self, user: impl Into<String>) -> State {
        let user = user.into();
        self.update(|m| m.user = user)
    }

    /// The user of exec ops (empty unless set).
    pub fn user(&self) -> &str {
        &self.meta.user
    }

    /// Sets the hostname of exec ops.
    pub fn with_hostname(&self, hostname: impl Into<String>) -> State {
        let hostname = hostname.into();
        self.update(|m| m.hostname = hostname)
    }

    /// Sets the platform of the state (used by exec ops without their own).
    pub fn with_platform(&self, platform: Platform) -> State {
        if self.platform() == Some(&platform) {
            // Already this platform: the metadata is shared, not copied.
            return self.clone();
        }
        self.update(|m| m.platform = Some(Arc::new(platform)))
    }

    /// The platform of the state, if one was set.
    pub fn platform(&self) -> Option<&Platform> {
        self.meta.platform.as_deref()
    }

    /// [`State::platform`] as the shared value the state holds (an op can share it too).
    pub(crate) fn platform_shared(&self) -> Option<&Arc<Platform>> {
        self.meta.platform.as_ref()
    }

    /// Sets the network mode of exec ops.
    pub fn with_network(&self, network: NetMode) -> State {
        self.update(|m| m.network = Some(network))
    }

    /// Sets the security mode of exec ops.
    pub fn with_security(&self, security: SecurityMode) -> State {
        self.update(|m| m.security = Some(security))
    }

    /// Appends an extra host.
    pub fn add_extra_host(&self, host: impl Into<String>, ip: impl Into<String>) -> State {
        let h = HostIp {
            host: host.into(),
            ip: ip.into(),
        };
        self.update(|m| m.extra_hosts.push(h))
    }

    /// Appends a ulimit.
    pub fn add_ulimit(&self, name: impl Into<String>, soft: i64, hard: i64) -> State {
        let u = Ulimit {
            name: name.into(),
            soft,
            hard,
        };
        self.update(|m| m.ulimits.push(u))
    }

    /// Sets the cgroup parent of exec ops.
    pub fn with_cgroup_parent(&self, parent: impl Into<String>) -> State {
        let parent = parent.into();
        self.update(|m| m.cgroup_parent = parent)
    }

    /// Sets the default args of exec ops (used when `ExecOptions.args` is empty).
    pub fn with_args(&self, args: Vec<String>) -> State {
        self.update(|m| m.args = args)
    }

    /// Sets the valid exit codes of exec ops.
    pub fn with_valid_exit_codes(&self, codes: Vec<i32>) -> State {
        self.update(|m| m.valid_exit_codes = Some(codes))
    }

    /// Keeps this state's output but takes all metadata from `other`
    /// (Go `Reset`, with working directory reset semantics left to `other`).
    pub fn with_meta_of(&self, other: &State) -> State {
        State {
            output: self.output.clone(),
            meta: other.meta.clone(),
        }
    }
}
