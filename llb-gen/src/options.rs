//! Build options: the key/value pairs a BuildKit client sends to a
//! Dockerfile frontend (`build-arg:*`, `context:*`, `platform`, `target`,
//! `no-cache`, ...), typed once. This is the part upstream keeps in
//! `frontend/dockerui`. Pure: no I/O, no environment.
//!
//! Unknown options are ignored, as upstream does ([`BuildOptions::ignored`]
//! lists them). Options upstream removed, and ones the converter cannot
//! honour, fail with a message that names them.
//!
//! Platforms are parsed with containerd's `platforms.Parse` rules, then
//! normalized as upstream's frontend does: a bare OS (`linux`) takes the
//! build platform's architecture, a bare architecture (`arm64`) the build
//! platform's OS.
//!
//! ```rust
//! use std::collections::BTreeMap;
//! use llb_gen::convert::{ConvertOptions, Platform};
//! use llb_gen::options;
//!
//! let opts = BTreeMap::from([
//!     ("build-arg:VERSION".to_string(), "1.2".to_string()),
//!     ("target".to_string(), "release".to_string()),
//!     ("platform".to_string(), "linux/arm64,linux".to_string()),
//! ]);
//! let mut base = ConvertOptions::default();
//! base.build_platform = Platform::linux_amd64();
//! let parsed = options::parse(&opts, base).unwrap();
//! assert_eq!(parsed.convert.target.as_deref(), Some("release"));
//! assert_eq!(parsed.convert.build_args["VERSION"], "1.2");
//! let ids: Vec<String> = parsed.platforms.iter().map(options::format_platform).collect();
//! assert_eq!(ids, ["linux/arm64", "linux/amd64"]);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use crate::convert::{ConvertOptions, MainContext, Platform, ResolveMode};

pub use crate::convert::platform::{
    format as format_platform, normalize as normalize_platform, parse_platform,
};

/// The platform of the machine this runs on (Linux, with this build's
/// architecture, normalized): the build platform when no worker says
/// otherwise, as upstream's `platforms.DefaultSpec`.
pub fn host_platform() -> Platform {
    normalize_platform(&Platform {
        os: "linux".into(),
        architecture: std::env::consts::ARCH.into(),
        variant: None,
        os_version: None,
    })
}

/// The gateway frontend capabilities (`frontend.caps` option) the converter
/// implements: frontend inputs (`input:<name>` contexts), named contexts,
/// Git URL query strings (`?ref=`, `?keep-git-dir=`, ...) and subrequests
/// (those of [`crate::requests::IMPLEMENTED`]).
pub const SUPPORTED_FRONTEND_CAPS: &[&str] = &[
    "moby.buildkit.frontend.inputs",
    "moby.buildkit.frontend.contexts",
    "moby.buildkit.frontend.gitquerystring",
    "moby.buildkit.frontend.subrequests",
];

/// A cache import for every Solve (`cache-imports`, or `cache-from`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheImport {
    /// The cache backend (`registry`, `local`, `gha`, ...).
    pub kind: String,
    /// Its attributes (`ref`, `src`, ...).
    pub attrs: BTreeMap<String, String>,
}

impl CacheImport {
    /// A cache import of backend `kind` with `attrs`.
    pub fn new(kind: impl Into<String>, attrs: BTreeMap<String, String>) -> Self {
        CacheImport {
            kind: kind.into(),
            attrs,
        }
    }
}

/// Everything a build needs from the options.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BuildOptions {
    /// Conversion settings. `target_platform` is left unset: set it per
    /// entry of [`BuildOptions::platforms`] (see
    /// [`BuildOptions::convert_options_for`]).
    pub convert: ConvertOptions,
    /// `platform`: the requested target platforms, normalized, without
    /// duplicates (empty: implicit, the build platform).
    pub platforms: Vec<Platform>,
    /// `multi-platform`: force (or forbid) the multi-platform result shape.
    pub multi_platform: Option<bool>,
    /// Local holding the Dockerfile (`dockerfilekey`, default `dockerfile`).
    pub dockerfile_local: String,
    /// `dockerfilekey` was given: the Dockerfile comes from that local even
    /// when the main context is remote.
    pub force_local_dockerfile: bool,
    /// Local holding the build context (default `context`).
    pub context_local: String,
    /// Cache imports: `cache-imports` when given, else `cache-from`.
    pub cache_imports: Vec<CacheImport>,
    /// `local-sessionid:<local>`: another session for that local.
    pub local_session_ids: BTreeMap<String, String>,
    /// `requestid`: a subrequest of [`crate::requests::IMPLEMENTED`]
    /// instead of a build (another name is refused: `unsupported request`).
    pub request: Option<String>,
    /// `cmdline` present: the frontend was started by another frontend's
    /// forward (`# syntax=`, `BUILDKIT_SYNTAX`) and must not forward again
    /// (see [`forward_target`]).
    pub launched_as_gateway: bool,
    /// Keys of options that were ignored (unknown, or without effect here
    /// such as `contextsubdir` on a local context), in key order.
    pub ignored: Vec<String>,
}

impl BuildOptions {
    /// The session id for a local source: its `local-sessionid:` option,
    /// else the build's session, else empty.
    pub fn session_for<'a>(&'a self, local: &str) -> &'a str {
        self.convert
            .local_session_ids
            .get(local)
            .map(String::as_str)
            .or(self.convert.session_id.as_deref())
            .unwrap_or_default()
    }

    /// True when the result must use the multi-platform shape (`refs`).
    pub fn is_multi_platform(&self) -> bool {
        self.multi_platform.unwrap_or(false) || self.platforms.len() > 1
    }

    /// The conversion options for one target platform (`None`: implicit).
    pub fn convert_options_for(&self, platform: Option<Platform>) -> ConvertOptions {
        let mut opts = self.convert.clone();
        opts.target_platform = platform;
        opts
    }
}

/// Why an option was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OptionsErrorKind {
    /// A value that does not parse: `image-resolve-mode=sometimes`,
    /// `add-hosts=h=notanip`, `platform=linux//arm64`.
    Invalid,
    /// A valid request this converter does not implement:
    /// `override-copy-image`, a remote `context`, `requestid=frontend.outline`.
    Unsupported,
}

/// An option that was refused; the message names the option or its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionsError {
    kind: OptionsErrorKind,
    message: String,
}

impl OptionsError {
    fn invalid(message: impl Into<String>) -> Self {
        OptionsError {
            kind: OptionsErrorKind::Invalid,
            message: message.into(),
        }
    }

    fn unsupported(message: impl Into<String>) -> Self {
        OptionsError {
            kind: OptionsErrorKind::Unsupported,
            message: message.into(),
        }
    }

    /// Invalid value or unsupported request.
    pub fn kind(&self) -> OptionsErrorKind {
        self.kind
    }

    /// The message, naming the option or the value.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OptionsError {}

/// Parse the option map over `base`, whose settings that do not come from
/// options (`build_platform` from the worker list, `session_id`,
/// `llb_caps`) the caller fills. The first refused option, in key order,
/// is the error.
pub fn parse(
    opts: &BTreeMap<String, String>,
    base: ConvertOptions,
) -> Result<BuildOptions, OptionsError> {
    let mut out = BuildOptions {
        convert: base,
        platforms: Vec::new(),
        multi_platform: None,
        dockerfile_local: "dockerfile".into(),
        force_local_dockerfile: opts.contains_key("dockerfilekey"),
        context_local: "context".into(),
        cache_imports: Vec::new(),
        local_session_ids: BTreeMap::new(),
        request: None,
        launched_as_gateway: opts.contains_key("cmdline"),
        ignored: Vec::new(),
    };
    let mut cache_from = Vec::new();
    for (key, value) in opts {
        if !apply_prefixed(&mut out, key, value) {
            apply(&mut out, &mut cache_from, key, value)?;
        }
    }
    if out.cache_imports.is_empty() {
        out.cache_imports = cache_from;
    }
    apply_build_arg_options(&mut out)?;
    apply_main_context(&mut out, opts)?;
    out.convert.multi_platform = out.is_multi_platform();
    if out.multi_platform == Some(false) && out.platforms.len() > 1 {
        return Err(OptionsError::invalid(
            "multiple platforms requested but the `multi-platform` option (or the \
             BUILDKIT_MULTI_PLATFORM build arg) is false",
        ));
    }
    Ok(out)
}

/// The build args that stand for options (upstream `dockerui` reads them
/// the same way): `BUILDKIT_MULTI_PLATFORM` wins over `multi-platform`,
/// a non-empty `BUILDKIT_SANDBOX_HOSTNAME` over `hostname`;
/// `BUILDKIT_DISABLE_FILEOP=true` is refused. Ours the same way: a
/// non-empty `BUILDKIT_LOCK` wins over `lock`.
fn apply_build_arg_options(out: &mut BuildOptions) -> Result<(), OptionsError> {
    let args = &out.convert.build_args;
    if let Some(v) = args.get("BUILDKIT_LOCK").filter(|v| !v.is_empty()) {
        out.convert.use_lock = parse_lock("build-arg:BUILDKIT_LOCK", v)?;
    }
    let args = &out.convert.build_args;
    if let Some(v) = args
        .get("BUILDKIT_MULTI_PLATFORM")
        .filter(|v| !v.is_empty())
    {
        out.multi_platform = Some(parse_bool("build-arg:BUILDKIT_MULTI_PLATFORM", v)?);
    }
    if let Some(v) = args
        .get("BUILDKIT_SANDBOX_HOSTNAME")
        .filter(|v| !v.is_empty())
    {
        out.convert.hostname = Some(v.clone());
    }
    if let Some(v) = args.get("BUILDKIT_DISABLE_FILEOP") {
        // Upstream refuses a true value and ignores anything else.
        if parse_bool("build-arg:BUILDKIT_DISABLE_FILEOP", v).unwrap_or(false) && !v.is_empty() {
            return Err(OptionsError::unsupported(
                "support for \"BUILDKIT_DISABLE_FILEOP\" build-arg was removed in BuildKit 0.11",
            ));
        }
    }
    Ok(())
}

/// The main context: the option `contextkey` names (default `context`)
/// holding a Git or HTTP(S) URL, `BUILDKIT_CONTEXT_KEEP_GIT_DIR`, and
/// `contextsubdir` (only for a remote context; upstream ignores it for the
/// client's directory, and so do we, listing it in `ignored`).
fn apply_main_context(
    out: &mut BuildOptions,
    opts: &BTreeMap<String, String>,
) -> Result<(), OptionsError> {
    let key = opts.get("contextkey").map_or("context", String::as_str);
    out.ignored.retain(|k| k != key);
    let keep = match out.convert.build_args.get("BUILDKIT_CONTEXT_KEEP_GIT_DIR") {
        Some(v) if !v.is_empty() => parse_bool("build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR", v)?,
        _ => false,
    };
    let value = opts.get(key).map_or("", String::as_str);
    let main = MainContext::parse(value, keep)
        .map_err(|e| OptionsError::invalid(format!("option `{key}`: {e}")))?;
    let Some(main) = main else {
        if opts.contains_key("contextsubdir") {
            out.ignored.push("contextsubdir".into());
            out.ignored.sort();
        }
        return Ok(());
    };
    out.convert.main_context = main;
    if let Some(dir) = opts.get("contextsubdir").filter(|d| !d.is_empty()) {
        out.convert.context_subdir = Some(check_subdir(dir)?);
    }
    Ok(())
}

/// A `contextsubdir` that stays inside the context, cleaned (`a/./b/` ->
/// `a/b`).
fn check_subdir(dir: &str) -> Result<String, OptionsError> {
    let mut parts: Vec<&str> = Vec::new();
    for part in dir.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(OptionsError::invalid(format!(
                        "option `contextsubdir`: {dir:?} is outside the build context \
                         (expected a directory inside it, such as `app` or `services/api`)"
                    )));
                }
            }
            p => parts.push(p),
        }
    }
    Ok(if parts.is_empty() {
        "/".to_string()
    } else {
        parts.join("/")
    })
}

/// A build to hand over to another frontend (upstream `forwardGateway`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Forward {
    /// The frontend image to run (`source` of the forwarded request).
    pub source: String,
    /// The whole value: the image and any arguments (`cmdline`).
    pub cmdline: String,
    /// Where the `# syntax=` value is in the Dockerfile; `None` for the
    /// `BUILDKIT_SYNTAX` build arg.
    pub span: Option<crate::text::TextRange>,
}

/// Where upstream's Dockerfile frontend would forward this build: the
/// `BUILDKIT_SYNTAX` build arg (it wins), else the Dockerfile's
/// `# syntax=` directive, the first word being the image. Never when
/// `cmdline` is set (this frontend was started by such a forward: the loop
/// guard upstream uses), nor when the image is the one this frontend runs
/// from (`source`: the forward would start this same frontend once more).
/// An empty `BUILDKIT_SYNTAX` is no request.
pub fn forward_target(opts: &BTreeMap<String, String>, dockerfile: &[u8]) -> Option<Forward> {
    if opts.contains_key("cmdline") {
        return None;
    }
    let (cmdline, span) = match opts
        .get("build-arg:BUILDKIT_SYNTAX")
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
    {
        Some(v) => (v.to_string(), None),
        None => {
            let parsed = crate::syntax::parse_bytes(directive_lines(dockerfile));
            let d = parsed
                .dockerfile
                .directives
                .into_iter()
                .find(|d| d.key == "syntax")?;
            (d.value.trim().to_string(), Some(d.value_span))
        }
    };
    let source = cmdline.split_whitespace().next()?.to_string();
    if opts.get("source") == Some(&source) {
        return None;
    }
    Some(Forward {
        source,
        cmdline,
        span,
    })
}

/// The leading lines where parser directives can be: comments and blank lines, up to the
/// first other line (a byte-order mark first is kept). Parsing them alone finds the directives
/// the whole file has, at the same offsets, without parsing the instructions.
pub fn directive_lines(dockerfile: &[u8]) -> &[u8] {
    let mut end = 0;
    for line in dockerfile.split_inclusive(|&b| b == b'\n') {
        let text = if end == 0 {
            line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
        } else {
            line
        };
        let text = text.trim_ascii_start();
        if !(text.is_empty() || text.starts_with(b"#")) {
            break;
        }
        end += line.len();
    }
    &dockerfile[..end]
}

/// The options whose key carries a name (`build-arg:NAME`, ...); false
/// when `key` is none of them.
fn apply_prefixed(out: &mut BuildOptions, key: &str, value: &str) -> bool {
    let c = &mut out.convert;
    let (map, name) = if let Some(name) = key.strip_prefix("build-arg:") {
        (&mut c.build_args, name)
    } else if let Some(name) = key.strip_prefix("label:") {
        (&mut c.labels, name)
    } else if let Some(name) = key.strip_prefix("local-sessionid:") {
        (&mut c.local_session_ids, name)
    } else if let Some(name) = key.strip_prefix("context:") {
        // The value is parsed by the converter when the name is used, as
        // upstream does.
        (&mut c.named_contexts, name)
    } else if let Some(name) = key.strip_prefix("input-metadata:") {
        (&mut c.input_metadata, name)
    } else if let Some(name) = key.strip_prefix("sharedkey:localdir:") {
        (&mut c.local_shared_keys, name)
    } else {
        return false;
    };
    map.insert(name.to_string(), value.to_string());
    true
}

/// The options with a fixed key.
fn apply(
    out: &mut BuildOptions,
    cache_from: &mut Vec<CacheImport>,
    key: &str,
    value: &str,
) -> Result<(), OptionsError> {
    let c = &mut out.convert;
    match key {
        "target" => c.target = non_empty(value),
        "filename" if !value.is_empty() => c.filename = value.to_string(),
        "dockerfilekey" if !value.is_empty() => out.dockerfile_local = value.to_string(),
        "platform" => out.platforms = parse_platforms(value, &c.build_platform)?,
        // Empty is unset, as upstream.
        "multi-platform" if value.is_empty() => {}
        "multi-platform" => out.multi_platform = Some(parse_bool(key, value)?),
        // Read after the loop (`apply_main_context`).
        "context" | "contextkey" | "contextsubdir" | "dockerfilekey" => {}
        "no-cache" => c.no_cache = Some(comma_list(value).map(String::from).collect()),
        "image-resolve-mode" => c.resolve_mode = parse_resolve_mode(value)?,
        "force-network-mode" => c.force_network_mode = parse_network_mode(value)?,
        "hostname" => c.hostname = non_empty(value),
        "cgroup-parent" => c.cgroup_parent = non_empty(value),
        "add-hosts" => c.extra_hosts = parse_extra_hosts(value)?,
        "shm-size" => c.shm_size = parse_shm_size(value)?,
        "ulimit" => c.ulimits = parse_ulimits(value)?,
        "cache-imports" => out.cache_imports = parse_cache_imports(value)?,
        "cache-from" => *cache_from = parse_cache_from(value),
        "frontend.caps" => check_frontend_caps(value)?,
        // Empty is unset; `BUILDKIT_LOCK` wins (`apply_build_arg_options`).
        "lock" if value.is_empty() => {}
        "lock" => c.use_lock = parse_lock(key, value)?,
        "requestid" if crate::requests::IMPLEMENTED.iter().any(|r| r.name == value) => {
            out.request = Some(value.to_string());
        }
        // Read before the loop (`launched_as_gateway`).
        "cmdline" | "source" => {}
        _ => return refuse(key, value).map(|()| out.ignored.push(key.to_string())),
    }
    Ok(())
}

/// The options that are refused; `Ok` for the ignored ones.
fn refuse(key: &str, value: &str) -> Result<(), OptionsError> {
    match key {
        "requestid" if !value.is_empty() => Err(OptionsError::unsupported(format!(
            "unsupported request {value}"
        ))),
        "override-copy-image" => Err(OptionsError::unsupported(
            "support for \"override-copy-image\" was removed in BuildKit 0.11",
        )),
        "gateway-devel" => Err(OptionsError::unsupported(
            "gateway-devel option is not supported",
        )),
        "memory" | "memswap" | "cpushares" | "cpuperiod" | "cpuquota" | "cpusetcpus"
        | "cpusetmems"
            if !value.is_empty() =>
        {
            Err(OptionsError::unsupported(format!(
                "the resource option `{key}` (Linux resource limits for every RUN) is not \
                 supported by this frontend yet"
            )))
        }
        _ if key.starts_with("automount:") => Err(OptionsError::unsupported(format!(
            "option `{key}`: automatic mounts for every RUN are not supported by this frontend yet"
        ))),
        _ => Ok(()),
    }
}

fn non_empty(value: &str) -> Option<String> {
    Some(value.to_string()).filter(|v| !v.is_empty())
}

/// The non-empty trimmed entries of a comma-separated list.
fn comma_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// The `platform` option: comma-separated platforms, each parsed like
/// containerd's `platforms.Parse` (missing parts from `build`) and
/// normalized; duplicates dropped, first occurrence kept.
pub fn parse_platforms(value: &str, build: &Platform) -> Result<Vec<Platform>, OptionsError> {
    let mut out: Vec<Platform> = Vec::new();
    for item in comma_list(value) {
        let p = parse_platform(item, build).map_err(|e| {
            OptionsError::invalid(format!("failed to parse target platform {item}: {e}"))
        })?;
        let p = normalize_platform(&p);
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

fn parse_bool(key: &str, value: &str) -> Result<bool, OptionsError> {
    match value {
        "" | "true" | "1" | "t" | "T" | "TRUE" | "True" => Ok(true),
        "false" | "0" | "f" | "F" | "FALSE" | "False" => Ok(false),
        _ => Err(OptionsError::invalid(format!(
            "invalid boolean value {value:?} for option {key}"
        ))),
    }
}

/// `lock` / `BUILDKIT_LOCK`: `on` (the default: use `<Dockerfile>.lock`
/// when it exists) or `off` (ignore it).
fn parse_lock(key: &str, value: &str) -> Result<bool, OptionsError> {
    match value {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(OptionsError::invalid(format!(
            "invalid {key} value {value:?}: expected \"on\" or \"off\""
        ))),
    }
}

fn parse_resolve_mode(value: &str) -> Result<ResolveMode, OptionsError> {
    match value {
        "" | "default" => Ok(ResolveMode::Default),
        "pull" => Ok(ResolveMode::Pull),
        "local" => Ok(ResolveMode::Local),
        _ => Err(OptionsError::invalid(format!(
            "invalid image-resolve-mode: {value}"
        ))),
    }
}

fn parse_network_mode(value: &str) -> Result<Option<String>, OptionsError> {
    match value {
        "" => Ok(None),
        "none" | "host" | "sandbox" => Ok(Some(value.to_string())),
        _ => Err(OptionsError::invalid(format!("invalid netmode {value}"))),
    }
}

/// `host=ip` entries, comma separated (`host:ip` accepted too).
fn parse_extra_hosts(value: &str) -> Result<Vec<(String, String)>, OptionsError> {
    let mut out = Vec::new();
    for field in comma_list(value) {
        let (host, ip) = field
            .split_once('=')
            .or_else(|| field.split_once(':'))
            .ok_or_else(|| OptionsError::invalid(format!("invalid key-value pair {field}")))?;
        if ip.parse::<IpAddr>().is_err() {
            return Err(OptionsError::invalid(format!("failed to parse IP {ip}")));
        }
        out.push((host.to_lowercase(), ip.to_string()));
    }
    Ok(out)
}

fn parse_shm_size(value: &str) -> Result<Option<u64>, OptionsError> {
    if value.is_empty() {
        return Ok(None);
    }
    value
        .parse::<u64>()
        .map(Some)
        .map_err(|_| OptionsError::invalid(format!("invalid shm-size {value:?}")))
}

const ULIMIT_NAMES: &[&str] = &[
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// `name=soft[:hard]` entries, comma separated.
fn parse_ulimits(value: &str) -> Result<Vec<(String, i64, i64)>, OptionsError> {
    let mut out = Vec::new();
    for field in comma_list(value) {
        let bad = || OptionsError::invalid(format!("invalid ulimit argument: {field}"));
        let (name, limits) = field.split_once('=').ok_or_else(bad)?;
        if !ULIMIT_NAMES.contains(&name) {
            return Err(OptionsError::invalid(format!(
                "invalid ulimit type: {name}"
            )));
        }
        let (soft, hard) = limits.split_once(':').unwrap_or((limits, limits));
        let soft: i64 = soft.parse().map_err(|_| bad())?;
        let hard: i64 = hard.parse().map_err(|_| bad())?;
        if soft > hard {
            return Err(OptionsError::invalid(format!(
                "ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
            )));
        }
        out.push((name.to_string(), soft, hard));
    }
    Ok(out)
}

fn parse_cache_imports(value: &str) -> Result<Vec<CacheImport>, OptionsError> {
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "Type", alias = "type")]
        kind: String,
        #[serde(default, rename = "Attrs", alias = "attrs")]
        attrs: BTreeMap<String, String>,
    }
    if value.trim().is_empty() {
        return Ok(Vec::new());
    }
    let entries: Vec<Entry> = serde_json::from_str(value).map_err(|e| {
        OptionsError::invalid(format!("failed to unmarshal cache-imports {value:?}: {e}"))
    })?;
    Ok(entries
        .into_iter()
        .map(|e| CacheImport::new(e.kind, e.attrs))
        .collect())
}

fn parse_cache_from(value: &str) -> Vec<CacheImport> {
    comma_list(value)
        .map(|r| CacheImport::new("registry", BTreeMap::from([("ref".into(), r.into())])))
        .collect()
}

fn check_frontend_caps(value: &str) -> Result<(), OptionsError> {
    for cap in comma_list(value) {
        if !cap.ends_with("+forward") && !SUPPORTED_FRONTEND_CAPS.contains(&cap) {
            return Err(OptionsError::unsupported(format!(
                "unsupported frontend capability {cap}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "options_tests.rs"]
mod tests;
