//! The public entry point of the converter and the traits the host implements.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::Diagnostic;
use crate::pb;

/// An OCI platform (`os/arch[/variant]`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    /// The operating system (`linux`, `windows`).
    pub os: String,
    /// The CPU architecture (`amd64`, `arm64`).
    pub architecture: String,
    /// The CPU variant (`v7` of `arm`).
    pub variant: Option<String>,
    /// The OS version (`10.0.17763` of `windows(10.0.17763)`).
    pub os_version: Option<String>,
}

impl ConvertOptions {
    /// The session id of a local source: its `local-sessionid:` option,
    /// else the build's session.
    pub fn session_for(&self, local: &str) -> Option<String> {
        self.local_session_ids
            .get(local)
            .or(self.session_id.as_ref())
            .cloned()
    }
}

impl Platform {
    /// `linux/amd64`.
    pub fn linux_amd64() -> Self {
        Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
            os_version: None,
        }
    }
}

/// How base images are resolved (`image-resolve-mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResolveMode {
    /// `default`: the daemon's default policy.
    #[default]
    Default,
    /// `pull`: always ask the registry.
    Pull,
    /// `local`: prefer a local image.
    Local,
}

/// Everything a build request can set (the frontend options, typed; see
/// [`crate::options::parse`]). Non-exhaustive: start from
/// [`ConvertOptions::default`] and assign the fields to change.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct ConvertOptions {
    /// Dockerfile name as shown in errors and progress (`filename` option).
    pub filename: String,
    /// Stage to build (`target`); `None` = the last stage.
    pub target: Option<String>,
    /// `build-arg:*` options: values of ARGs and of the automatic proxy args.
    pub build_args: BTreeMap<String, String>,
    /// `label:*` options, added to the final image config.
    pub labels: BTreeMap<String, String>,
    /// The platform of the worker (`BUILDKIT_WORKERS`).
    pub build_platform: Platform,
    /// Requested target platform (`platform` option); `None` = implicit
    /// (equal to the build platform).
    pub target_platform: Option<Platform>,
    /// `image-resolve-mode`.
    pub resolve_mode: ResolveMode,
    /// A multi-platform result was requested (several platforms,
    /// `multi-platform`, `BUILDKIT_MULTI_PLATFORM`): progress names start
    /// with the platform (`[linux/arm64 build 2/4] RUN ...`), as upstream.
    pub multi_platform: bool,
    /// `no-cache`: `Some(empty)` = every stage, `Some(names)` = those stages.
    pub no_cache: Option<BTreeSet<String>>,
    /// `force-network-mode` (`none`, `host`, `sandbox`).
    pub force_network_mode: Option<String>,
    /// `hostname`: the hostname of RUN containers.
    pub hostname: Option<String>,
    /// `add-hosts`: (host, ip) pairs.
    pub extra_hosts: Vec<(String, String)>,
    /// `shm-size` in bytes.
    pub shm_size: Option<u64>,
    /// `ulimit`: (name, soft, hard).
    pub ulimits: Vec<(String, i64, i64)>,
    /// `cgroup-parent`: the cgroup parent of RUN containers.
    pub cgroup_parent: Option<String>,
    /// Session id for local sources (`BUILDKIT_SESSION_ID`).
    pub session_id: Option<String>,
    /// `context:<name>[::<platform>]` options (key without `context:`),
    /// value as given.
    pub named_contexts: BTreeMap<String, String>,
    /// `sharedkey:localdir:<key>` options (key without the prefix).
    pub local_shared_keys: BTreeMap<String, String>,
    /// `local-sessionid:<local>` options: another session for that local
    /// (the main `context` or a `local:` named context).
    pub local_session_ids: BTreeMap<String, String>,
    /// The main build context: the client's directory, or a Git or HTTP(S)
    /// source (the `context` option).
    pub main_context: super::MainContext,
    /// `contextsubdir`: the sub-directory of a remote main context to use.
    pub context_subdir: Option<String>,
    /// The frontend inputs (`Inputs` RPC): `input:<name>` named contexts.
    pub frontend_inputs: BTreeMap<String, pb::Definition>,
    /// `input-metadata:<name>` options: Go-JSON `map[string][]byte` of an
    /// input (`containerimage.config` gives it an image config).
    pub input_metadata: BTreeMap<String, String>,
    /// LLB caps the daemon supports (default: every cap).
    pub llb_caps: crate::llb::CapSet,
    /// Read `<Dockerfile>.lock` beside the Dockerfile and use it (a
    /// superset extension); `false` with `lock=off` or `BUILDKIT_LOCK=off`.
    pub use_lock: bool,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            filename: "Dockerfile".into(),
            target: None,
            build_args: BTreeMap::new(),
            labels: BTreeMap::new(),
            build_platform: Platform::linux_amd64(),
            target_platform: None,
            resolve_mode: ResolveMode::Default,
            multi_platform: false,
            no_cache: None,
            force_network_mode: None,
            hostname: None,
            extra_hosts: Vec::new(),
            shm_size: None,
            ulimits: Vec::new(),
            cgroup_parent: None,
            session_id: None,
            named_contexts: BTreeMap::new(),
            local_shared_keys: BTreeMap::new(),
            local_session_ids: BTreeMap::new(),
            main_context: super::MainContext::Local,
            context_subdir: None,
            frontend_inputs: BTreeMap::new(),
            input_metadata: BTreeMap::new(),
            llb_caps: crate::llb::CapSet::All,
            use_lock: true,
        }
    }
}

/// One base image whose config is needed.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageRequest {
    /// Normalised reference, e.g. `docker.io/library/alpine:3.23`.
    pub reference: String,
    /// The platform whose config is wanted.
    pub platform: Platform,
    /// `image-resolve-mode=pull`: ask the registry even for a local image.
    pub resolve_mode_pull: bool,
    /// Progress name of the resolution when it is not upstream's default
    /// `[internal] load metadata for <reference>` (named contexts).
    pub log_name: Option<String>,
    /// Resolve from the client's OCI layout store with this id (an
    /// `oci-layout://` named context, in the build's session), not from a
    /// registry.
    pub oci_store: Option<String>,
}

/// What the resolver answers for an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedImage {
    /// The reference actually resolved (a source policy may rewrite it).
    pub reference: String,
    /// `sha256:...` manifest digest; empty when unknown (offline).
    pub digest: String,
    /// The image config JSON bytes; empty when unknown (offline).
    pub config: Vec<u8>,
}

/// Resolves image configs. Gets all the images of one round at once so the
/// host can resolve them concurrently.
pub trait ImageResolver {
    /// One answer per request, in order: the image, or why it could not be resolved.
    fn resolve(&self, requests: &[ImageRequest]) -> Vec<Result<ResolvedImage, String>>;
}

/// A resolver that knows nothing: every image gets an empty config and no
/// digest (`llb-gen --offline`).
#[derive(Clone, Copy, Debug, Default)]
pub struct OfflineResolver;

impl ImageResolver for OfflineResolver {
    fn resolve(&self, requests: &[ImageRequest]) -> Vec<Result<ResolvedImage, String>> {
        requests
            .iter()
            .map(|r| {
                Ok(ResolvedImage {
                    reference: r.reference.clone(),
                    digest: String::new(),
                    config: Vec::new(),
                })
            })
            .collect()
    }
}

/// The result of a conversion.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct Conversion {
    /// The LLB definition of the target (terminal op last).
    pub definition: pb::Definition,
    /// The OCI image config JSON of the result (`containerimage.config`).
    pub image_config: Vec<u8>,
    /// The base image's config, untouched (`containerimage.base.config`).
    pub base_image_config: Option<Vec<u8>>,
    /// `SOURCE_DATE_EPOCH` in Unix seconds (`source.date.epoch`).
    pub source_date_epoch: Option<i64>,
    /// Warnings (lint findings, parser warnings).
    pub warnings: Vec<Diagnostic>,
    /// The definitions of the stages `REQUIRE` names (a superset
    /// extension), in stage order: the host builds them along with
    /// [`Conversion::definition`] and fails when one fails; nothing of them
    /// is in the result.
    pub required: Vec<pb::Definition>,
}
