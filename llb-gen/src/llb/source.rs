//! Source ops: container images, local directories, Git repositories, HTTP
//! files, OCI layouts, and scratch (`client/llb/source.go`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use super::caps;
use super::exec::default_platform;
use super::marshal::{MarshalOptions, OpParts};
use super::state::{OpKind, OpOptions, Output, Platform, State, Vertex};
use super::LlbError;
use crate::pb;

/// The payload of a source op.
#[derive(Debug, Clone)]
pub(crate) struct SourceData {
    pub(crate) identifier: String,
    pub(crate) attrs: BTreeMap<String, String>,
    pub(crate) caps: Vec<&'static str>,
    /// `local.followpaths` given after the op was built ([`local_later`]);
    /// read when marshaling.
    pub(crate) later_follow_paths: Option<Arc<OnceLock<Vec<String>>>>,
}

impl SourceData {
    /// Only image and OCI-layout sources carry `Op.platform`.
    pub(crate) fn platform_specific(&self) -> bool {
        self.identifier.starts_with("docker-image://")
            || self.identifier.starts_with("oci-layout://")
    }

    pub(crate) fn is_local(&self) -> bool {
        self.identifier.starts_with("local://")
    }
}

fn source_state(data: SourceData, options: OpOptions) -> State {
    let vertex = Vertex::new(OpKind::Source(data), options);
    State::from_output(Output { vertex, index: 0 })
}

/// The empty filesystem.
pub fn scratch() -> State {
    State::scratch()
}

/// How the daemon resolves an image reference (`image.resolvemode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResolveMode {
    /// No attribute.
    #[default]
    Default,
    /// `pull` (requires cap `source.image.resolvemode`).
    ForcePull,
    /// `local`.
    PreferLocal,
}

/// Options of [`image`].
#[derive(Debug, Clone, Default)]
pub struct ImageOptions {
    /// `image.resolvemode`: how the daemon finds the image.
    pub resolve_mode: ResolveMode,
    /// `image.recordtype`, e.g. `internal`.
    pub record_type: Option<String>,
    /// `image.layerlimit`: use only the first layers.
    pub layer_limit: Option<i32>,
    /// `image.checksum`.
    pub checksum: Option<String>,
    /// Platform (`op.platform`), metadata and locations of the op.
    pub op: OpOptions,
}

/// A container image. `reference` must already be normalized with a tag
/// (`docker.io/library/alpine:3.23`, optionally `@sha256:...`); the
/// identifier is `docker-image://<reference>`.
pub fn image(reference: &str, opts: ImageOptions) -> State {
    let mut attrs = BTreeMap::new();
    let mut caps = vec![caps::SOURCE_IMAGE];
    match opts.resolve_mode {
        ResolveMode::Default => {}
        ResolveMode::ForcePull => {
            attrs.insert("image.resolvemode".into(), "pull".into());
            caps.push(caps::SOURCE_IMAGE_RESOLVE_MODE);
        }
        ResolveMode::PreferLocal => {
            attrs.insert("image.resolvemode".into(), "local".into());
        }
    }
    if let Some(rt) = opts.record_type.filter(|r| !r.is_empty()) {
        attrs.insert("image.recordtype".into(), rt);
    }
    if let Some(ll) = opts.layer_limit {
        attrs.insert("image.layerlimit".into(), ll.to_string());
        caps.push(caps::SOURCE_IMAGE_LAYER_LIMIT);
    }
    if let Some(c) = opts.checksum.filter(|c| !c.is_empty()) {
        attrs.insert("image.checksum".into(), c);
        caps.push(caps::SOURCE_IMAGE_CHECKSUM);
    }
    let data = SourceData {
        identifier: <[&str]>::concat(&["docker-image://", reference]),
        attrs,
        caps,
        later_follow_paths: None,
    };
    source_state(data, opts.op)
}

/// The file-comparison mode of a local source (`local.differ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalDiffer {
    /// `none`: retransmit everything.
    None,
    /// `metadata`: compare metadata (the daemon default).
    Metadata,
}

/// Options of [`local`]. Pattern lists are sent as JSON arrays, omitted when empty.
#[derive(Debug, Clone, Default)]
pub struct LocalOptions {
    /// `local.session`; without it marshaling adds `local.unique`.
    pub session_id: Option<String>,
    /// `local.includepattern`: only transfer what matches.
    pub include_patterns: Vec<String>,
    /// `local.excludepatterns`: skip what matches (`.dockerignore`).
    pub exclude_patterns: Vec<String>,
    /// `local.followpaths`: only transfer these paths.
    pub follow_paths: Vec<String>,
    /// `local.sharedkeyhint`: the key under which transfers are cached.
    pub shared_key_hint: Option<String>,
    /// The differ and whether it is required (then cap `source.local.differ`).
    pub differ: Option<(LocalDiffer, bool)>,
    /// Platform, constraints, metadata and source locations of the op.
    pub op: OpOptions,
}

/// A directory on the client, `local://<name>`.
pub fn local(name: &str, opts: LocalOptions) -> State {
    let (data, op) = local_data(name, opts);
    source_state(data, op)
}

/// The paths a source made by [`local_later`] transfers
/// (`local.followpaths`), given once the graph that uses the source is
/// built: the converter knows which paths COPY, ADD and bind mounts take
/// from the build context only after it dispatched every instruction.
/// Marshaling the source before [`FollowPathsSlot::fill`] is an error.
#[derive(Debug)]
pub struct FollowPathsSlot(Arc<OnceLock<Vec<String>>>);

impl FollowPathsSlot {
    /// Sets the follow paths of the source; empty means the whole directory.
    pub fn fill(self, paths: Vec<String>) {
        // The slot is the only writer and `fill` consumes it: the cell is
        // still empty here.
        self.0.get_or_init(|| paths);
    }
}

/// [`local`] whose follow paths are given later through the returned slot
/// (`opts.follow_paths` is not used). The state can be used in the graph
/// right away; marshaling reads the paths.
pub fn local_later(name: &str, opts: LocalOptions) -> (State, FollowPathsSlot) {
    let opts = LocalOptions {
        follow_paths: Vec::new(),
        ..opts
    };
    let (data, op) = local_data(name, opts);
    let cell = Arc::new(OnceLock::new());
    let data = SourceData {
        later_follow_paths: Some(Arc::clone(&cell)),
        ..data
    };
    (source_state(data, op), FollowPathsSlot(cell))
}

/// The source op of [`local`] and its per-op options.
fn local_data(name: &str, opts: LocalOptions) -> (SourceData, OpOptions) {
    let mut attrs = BTreeMap::new();
    let mut caps = Vec::new();
    if let Some(s) = opts.session_id.filter(|s| !s.is_empty()) {
        attrs.insert("local.session".into(), s);
        caps.push(caps::SOURCE_LOCAL_SESSION_ID);
    }
    if !opts.include_patterns.is_empty() {
        attrs.insert(
            "local.includepattern".into(),
            go_json_strings(&opts.include_patterns),
        );
        caps.push(caps::SOURCE_LOCAL_INCLUDE_PATTERNS);
    }
    if !opts.follow_paths.is_empty() {
        attrs.insert(
            "local.followpaths".into(),
            go_json_strings(&opts.follow_paths),
        );
        caps.push(caps::SOURCE_LOCAL_FOLLOW_PATHS);
    }
    if !opts.exclude_patterns.is_empty() {
        attrs.insert(
            "local.excludepatterns".into(),
            go_json_strings(&opts.exclude_patterns),
        );
        caps.push(caps::SOURCE_LOCAL_EXCLUDE_PATTERNS);
    }
    if let Some(h) = opts.shared_key_hint.filter(|h| !h.is_empty()) {
        attrs.insert("local.sharedkeyhint".into(), h);
        caps.push(caps::SOURCE_LOCAL_SHARED_KEY_HINT);
    }
    if let Some((differ, required)) = opts.differ {
        let v = match differ {
            LocalDiffer::None => "none",
            LocalDiffer::Metadata => "metadata",
        };
        attrs.insert("local.differ".into(), v.into());
        if required {
            caps.push(caps::SOURCE_LOCAL_DIFFER);
        }
    }
    caps.push(caps::SOURCE_LOCAL);
    let data = SourceData {
        identifier: format!("local://{name}"),
        attrs,
        caps,
        later_follow_paths: None,
    };
    (data, opts.op)
}

/// Options of [`git`]. The caller parses the URL (see the Git URL grammar);
/// this only lays out the op.
#[derive(Debug, Clone)]
pub struct GitOptions {
    /// `host/path` part of the identifier (`github.com/moby/buildkit.git`).
    pub host_path: String,
    /// `git.fullurl`: the remote as given (`https://github.com/moby/buildkit.git`).
    pub full_url: String,
    /// Whether the remote is an SSH remote (adds known hosts and the ssh socket).
    pub ssh: bool,
    /// The branch, tag or commit to check out (empty: the default branch).
    pub reference: String,
    /// The sub-directory of the repository to use.
    pub subdir: String,
    /// `git.keepgitdir`: keep the `.git` directory.
    pub keep_git_dir: bool,
    /// `git.authtokensecret` (default `GIT_AUTH_TOKEN`).
    pub auth_token_secret: String,
    /// `git.authheadersecret` (default `GIT_AUTH_HEADER`).
    pub auth_header_secret: String,
    /// Whether the auth secrets were set explicitly (then cap `source.git.httpauth`).
    pub explicit_auth: bool,
    /// `git.knownsshhosts`: the SSH known hosts to trust.
    pub known_ssh_hosts: Option<String>,
    /// `git.mountsshsock`: the SSH agent id to use.
    pub mount_ssh_sock: Option<String>,
    /// `git.checksum`: the commit the reference must resolve to.
    pub checksum: Option<String>,
    /// `git.skipsubmodules`: do not fetch submodules.
    pub skip_submodules: bool,
    /// `git.mtime`: how the checked-out files' times are set.
    pub mtime: Option<String>,
    /// `git.fetchbycommit`: fetch the commit itself, not the reference.
    pub fetch_by_commit: bool,
    /// Platform, constraints, metadata and source locations of the op.
    pub op: OpOptions,
}

impl Default for GitOptions {
    fn default() -> Self {
        GitOptions {
            host_path: String::new(),
            full_url: String::new(),
            ssh: false,
            reference: String::new(),
            subdir: String::new(),
            keep_git_dir: false,
            auth_token_secret: "GIT_AUTH_TOKEN".into(),
            auth_header_secret: "GIT_AUTH_HEADER".into(),
            explicit_auth: false,
            known_ssh_hosts: None,
            mount_ssh_sock: None,
            checksum: None,
            skip_submodules: false,
            mtime: None,
            fetch_by_commit: false,
            op: OpOptions::default(),
        }
    }
}

/// A Git repository: `git://<host/path>[#ref[:subdir]]`.
pub fn git(opts: GitOptions) -> State {
    let mut id = format!("git://{}", opts.host_path);
    if !opts.reference.is_empty() || !opts.subdir.is_empty() {
        id.push('#');
        id.push_str(&opts.reference);
        if !opts.subdir.is_empty() {
            id.push(':');
            id.push_str(&opts.subdir);
        }
    }
    let mut attrs = BTreeMap::new();
    let mut caps = Vec::new();
    if opts.keep_git_dir {
        attrs.insert("git.keepgitdir".into(), "true".into());
        caps.push(caps::SOURCE_GIT_KEEP_DIR);
    }
    if !opts.full_url.is_empty() {
        attrs.insert("git.fullurl".into(), opts.full_url.clone());
        caps.push(caps::SOURCE_GIT_FULL_URL);
    }
    if !opts.auth_token_secret.is_empty() {
        attrs.insert("git.authtokensecret".into(), opts.auth_token_secret.clone());
        if opts.explicit_auth {
            caps.push(caps::SOURCE_GIT_HTTP_AUTH);
        }
    }
    if !opts.auth_header_secret.is_empty() {
        attrs.insert(
            "git.authheadersecret".into(),
            opts.auth_header_secret.clone(),
        );
        if opts.explicit_auth {
            caps.push(caps::SOURCE_GIT_HTTP_AUTH);
        }
    }
    if opts.ssh {
        if let Some(h) = opts.known_ssh_hosts.as_ref().filter(|h| !h.is_empty()) {
            attrs.insert("git.knownsshhosts".into(), h.clone());
        }
        caps.push(caps::SOURCE_GIT_KNOWN_SSH_HOSTS);
        let sock = opts.mount_ssh_sock.clone().filter(|s| !s.is_empty());
        attrs.insert(
            "git.mountsshsock".into(),
            sock.unwrap_or_else(|| "default".into()),
        );
        caps.push(caps::SOURCE_GIT_MOUNT_SSH_SOCK);
    }
    if let Some(c) = opts.checksum.as_ref().filter(|c| !c.is_empty()) {
        attrs.insert("git.checksum".into(), c.clone());
        caps.push(caps::SOURCE_GIT_CHECKSUM);
    }
    if opts.skip_submodules {
        attrs.insert("git.skipsubmodules".into(), "true".into());
        caps.push(caps::SOURCE_GIT_SKIP_SUBMODULES);
    }
    if let Some(m) = opts.mtime.as_ref().filter(|m| !m.is_empty()) {
        attrs.insert("git.mtime".into(), m.clone());
        caps.push(caps::SOURCE_GIT_MTIME);
    }
    if opts.fetch_by_commit {
        attrs.insert("git.fetchbycommit".into(), "true".into());
        caps.push(caps::SOURCE_GIT_FETCH_BY_COMMIT);
    }
    caps.push(caps::SOURCE_GIT);
    source_state(
        SourceData {
            identifier: id,
            attrs,
            caps,
            later_follow_paths: None,
        },
        opts.op,
    )
}

/// Options of [`http`].
#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    /// `http.checksum` (`sha256:<hex>`).
    pub checksum: Option<String>,
    /// `http.filename`.
    pub filename: Option<String>,
    /// `http.perm` (written as `0` + octal; `0` = unset).
    pub perm: u32,
    /// `http.uid`: the file's owner.
    pub uid: u32,
    /// `http.gid`: the file's group.
    pub gid: u32,
    /// `http.authheadersecret`.
    pub auth_header_secret: Option<String>,
    /// Platform, constraints, metadata and source locations of the op.
    pub op: OpOptions,
}

/// A file downloaded over HTTP(S); the identifier is the URL itself.
pub fn http(url: &str, opts: HttpOptions) -> State {
    let mut attrs = BTreeMap::new();
    let mut caps = Vec::new();
    if let Some(c) = opts.checksum.filter(|c| !c.is_empty()) {
        attrs.insert("http.checksum".into(), c);
        caps.push(caps::SOURCE_HTTP_CHECKSUM);
    }
    if let Some(f) = opts.filename.filter(|f| !f.is_empty()) {
        attrs.insert("http.filename".into(), f);
    }
    if opts.perm != 0 {
        attrs.insert("http.perm".into(), format!("0{:o}", opts.perm));
        caps.push(caps::SOURCE_HTTP_PERM);
    }
    if opts.uid != 0 {
        attrs.insert("http.uid".into(), opts.uid.to_string());
        caps.push(caps::SOURCE_HTTP_UIDGID);
    }
    if opts.gid != 0 {
        attrs.insert("http.gid".into(), opts.gid.to_string());
        caps.push(caps::SOURCE_HTTP_UIDGID);
    }
    if let Some(s) = opts.auth_header_secret.filter(|s| !s.is_empty()) {
        attrs.insert("http.authheadersecret".into(), s);
        caps.push(caps::SOURCE_HTTP_AUTH);
    }
    caps.push(caps::SOURCE_HTTP);
    source_state(
        SourceData {
            identifier: url.to_string(),
            attrs,
            caps,
            later_follow_paths: None,
        },
        opts.op,
    )
}

/// Options of [`oci_layout`].
#[derive(Debug, Clone, Default)]
pub struct OciLayoutOptions {
    /// `oci.session`: the session holding the layout.
    pub session_id: Option<String>,
    /// `oci.store`: the content store's id in that session.
    pub store_id: Option<String>,
    /// `oci.layerlimit`: use only the first layers.
    pub layer_limit: Option<i32>,
    /// Platform, constraints, metadata and source locations of the op.
    pub op: OpOptions,
}

/// An image from an OCI layout store: `oci-layout://<reference>`.
pub fn oci_layout(reference: &str, opts: OciLayoutOptions) -> State {
    let mut attrs = BTreeMap::new();
    if let Some(s) = opts.session_id.filter(|s| !s.is_empty()) {
        attrs.insert("oci.session".into(), s);
    }
    if let Some(s) = opts.store_id.filter(|s| !s.is_empty()) {
        attrs.insert("oci.store".into(), s);
    }
    if let Some(l) = opts.layer_limit {
        attrs.insert("oci.layerlimit".into(), l.to_string());
    }
    let data = SourceData {
        identifier: format!("oci-layout://{reference}"),
        attrs,
        caps: vec![caps::SOURCE_OCI_LAYOUT],
        later_follow_paths: None,
    };
    source_state(data, opts.op)
}

/// Go's `json.Marshal([]string)`: HTML-safe escaping of `<`, `>`, `&`,
/// U+2028 and U+2029, `\n`/`\r`/`\t`, other control characters as `\u00XX`.
pub(crate) fn go_json_strings(items: &[String]) -> String {
    let mut out = String::from("[");
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for ch in s.chars() {
            match ch {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                    out.push_str(&format!("\\u{:04x}", ch as u32));
                }
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push(']');
    out
}

impl SourceData {
    pub(crate) fn to_parts(
        &self,
        op: &OpOptions,
        opts: &MarshalOptions,
    ) -> Result<OpParts<'static>, LlbError> {
        let mut attrs = self.attrs.clone();
        let mut caps = self.caps.clone();
        if let Some(cell) = &self.later_follow_paths {
            let paths = cell
                .get()
                .ok_or_else(|| LlbError::FollowPathsUnset(self.identifier.clone()))?;
            if !paths.is_empty() {
                attrs.insert("local.followpaths".into(), go_json_strings(paths));
                caps.push(caps::SOURCE_LOCAL_FOLLOW_PATHS);
            }
        }
        if self.is_local() && !attrs.contains_key("local.session") {
            if let Some(id) = &opts.local_unique_id {
                attrs.insert("local.unique".into(), id.clone());
                caps.push(caps::SOURCE_LOCAL_UNIQUE);
            }
        }
        let platform: Option<Platform> = if self.platform_specific() {
            Some(
                op.platform
                    .as_deref()
                    .cloned()
                    .or_else(|| opts.platform.clone())
                    .unwrap_or_else(default_platform),
            )
        } else {
            None
        };
        Ok(OpParts {
            inputs: Vec::new(),
            op: pb::op::Op::Source(pb::SourceOp {
                identifier: self.identifier.clone(),
                attrs,
            })
            .into(),
            platform: platform.map(Cow::Owned),
            caps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_json_escapes_like_encoding_json() {
        let v = vec!["a<b>&c".to_string(), "q\"\\\n\u{1}".to_string()];
        assert_eq!(
            go_json_strings(&v),
            r#"["a\u003cb\u003e\u0026c","q\"\\\n\u0001"]"#
        );
    }
}
