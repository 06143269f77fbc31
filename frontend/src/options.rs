//! Frontend options (string -> string) to typed settings, like upstream's
//! `frontend/dockerui/config.go`. Pure: no I/O.
//!
//! Unknown options are ignored (as upstream does); options upstream removed
//! or that this frontend cannot honour fail with a message naming them.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use llb_gen::convert::{ConvertOptions, Platform, ResolveMode};

use crate::status::FrontendError;

/// Gateway frontend capabilities we implement (the `frontend.caps` option).
/// Subrequests, inputs-only builds and Git query strings are not
/// implemented yet.
pub const SUPPORTED_FRONTEND_CAPS: &[&str] = &["moby.buildkit.frontend.contexts"];

/// A cache import passed to every Solve (`cache-imports`, `cache-from`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheImport {
    pub kind: String,
    pub attrs: BTreeMap<String, String>,
}

/// Everything the build needs from the options.
#[derive(Clone, Debug)]
pub struct FrontendOptions {
    /// Conversion settings; `target_platform` is filled per platform.
    pub convert: ConvertOptions,
    /// `platform`: requested target platforms (empty = implicit).
    pub platforms: Vec<Platform>,
    /// `multi-platform`: force (or forbid) the multi-platform result shape.
    pub multi_platform: Option<bool>,
    /// Local holding the Dockerfile (`dockerfilekey`, default `dockerfile`).
    pub dockerfile_local: String,
    /// Local holding the build context (`context`).
    pub context_local: String,
    pub cache_imports: Vec<CacheImport>,
    /// `local-sessionid:<local>`: another session for that local.
    pub local_session_ids: BTreeMap<String, String>,
    /// `cmdline`/`source` present: we were started through `# syntax=`
    /// (or as a gateway image) and must never forward again.
    pub launched_as_gateway: bool,
}

impl FrontendOptions {
    /// Session id for a local source.
    pub fn session_for<'a>(&'a self, local: &str) -> &'a str {
        self.local_session_ids
            .get(local)
            .map(String::as_str)
            .or(self.convert.session_id.as_deref())
            .unwrap_or_default()
    }

    /// True when the result must use the `refs` map.
    pub fn is_multi_platform(&self) -> bool {
        self.multi_platform.unwrap_or(false) || self.platforms.len() > 1
    }
}

/// Parse the option map. `build_platform` comes from `BUILDKIT_WORKERS`.
pub fn parse(
    opts: &BTreeMap<String, String>,
    build_platform: Platform,
    session_id: &str,
) -> Result<FrontendOptions, FrontendError> {
    let mut c = ConvertOptions {
        build_platform,
        ..ConvertOptions::default()
    };
    if !session_id.is_empty() {
        c.session_id = Some(session_id.to_string());
    }
    let mut fo = FrontendOptions {
        convert: c,
        platforms: Vec::new(),
        multi_platform: None,
        dockerfile_local: "dockerfile".into(),
        context_local: "context".into(),
        cache_imports: Vec::new(),
        local_session_ids: BTreeMap::new(),
        launched_as_gateway: opts.contains_key("cmdline") || opts.contains_key("source"),
    };
    let mut cache_from = Vec::new();
    for (key, value) in opts {
        apply(&mut fo, &mut cache_from, key, value)?;
    }
    if fo.cache_imports.is_empty() {
        fo.cache_imports = cache_from;
    }
    if fo.multi_platform == Some(false) && fo.platforms.len() > 1 {
        return Err(FrontendError::invalid(
            "multiple platforms requested but the `multi-platform` option is false",
        ));
    }
    Ok(fo)
}

fn apply(
    fo: &mut FrontendOptions,
    cache_from: &mut Vec<CacheImport>,
    key: &str,
    value: &str,
) -> Result<(), FrontendError> {
    let c = &mut fo.convert;
    if let Some(name) = key.strip_prefix("build-arg:") {
        c.build_args.insert(name.to_string(), value.to_string());
    } else if let Some(name) = key.strip_prefix("label:") {
        c.labels.insert(name.to_string(), value.to_string());
    } else if let Some(name) = key.strip_prefix("local-sessionid:") {
        fo.local_session_ids
            .insert(name.to_string(), value.to_string());
    } else if let Some(name) = key.strip_prefix("context:") {
        // Parsed by the converter when a name is used (as upstream does).
        c.named_contexts.insert(name.to_string(), value.to_string());
    } else if let Some(name) = key.strip_prefix("sharedkey:localdir:") {
        c.local_shared_keys
            .insert(name.to_string(), value.to_string());
    } else {
        match key {
            "target" => c.target = Some(value.to_string()).filter(|v| !v.is_empty()),
            "filename" if !value.is_empty() => c.filename = value.to_string(),
            "dockerfilekey" if !value.is_empty() => fo.dockerfile_local = value.to_string(),
            "platform" => fo.platforms = parse_platforms(value)?,
            "multi-platform" => fo.multi_platform = Some(parse_bool(key, value)?),
            "no-cache" => {
                c.no_cache = Some(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect::<BTreeSet<_>>(),
                )
            }
            "image-resolve-mode" => c.resolve_mode = parse_resolve_mode(value)?,
            "force-network-mode" => c.force_network_mode = parse_network_mode(value)?,
            "hostname" => c.hostname = Some(value.to_string()).filter(|v| !v.is_empty()),
            "cgroup-parent" => c.cgroup_parent = Some(value.to_string()).filter(|v| !v.is_empty()),
            "add-hosts" => c.extra_hosts = parse_extra_hosts(value)?,
            "shm-size" => c.shm_size = parse_shm_size(value)?,
            "ulimit" => c.ulimits = parse_ulimits(value)?,
            "cache-imports" => fo.cache_imports = parse_cache_imports(value)?,
            "cache-from" => *cache_from = parse_cache_from(value),
            "frontend.caps" => check_frontend_caps(value)?,
            "contextsubdir" => tracing::info!(
                "`contextsubdir` only applies to remote contexts; ignored for the local context"
            ),
            "contextkey" | "context" => {
                return Err(FrontendError::unsupported(format!(
                    "remote build contexts (option `{key}`) are not supported by this frontend"
                )))
            }
            "requestid" if !value.is_empty() => {
                return Err(FrontendError::unsupported(format!(
                    "unsupported request {value}"
                )))
            }
            "override-copy-image" => {
                return Err(FrontendError::unsupported(
                    "support for \"override-copy-image\" was removed in BuildKit 0.11",
                ))
            }
            "gateway-devel" => {
                return Err(FrontendError::unsupported(
                    "gateway-devel option is not supported",
                ))
            }
            _ => tracing::debug!("ignoring frontend option {key}"),
        }
    }
    Ok(())
}

fn parse_bool(key: &str, value: &str) -> Result<bool, FrontendError> {
    match value {
        "" | "true" | "1" | "t" | "T" | "TRUE" | "True" => Ok(true),
        "false" | "0" | "f" | "F" | "FALSE" | "False" => Ok(false),
        _ => Err(FrontendError::invalid(format!(
            "invalid boolean value {value:?} for option {key}"
        ))),
    }
}

fn parse_resolve_mode(value: &str) -> Result<ResolveMode, FrontendError> {
    match value {
        "" | "default" => Ok(ResolveMode::Default),
        "pull" => Ok(ResolveMode::Pull),
        "local" => Ok(ResolveMode::Local),
        _ => Err(FrontendError::invalid(format!(
            "invalid image-resolve-mode: {value}"
        ))),
    }
}

fn parse_network_mode(value: &str) -> Result<Option<String>, FrontendError> {
    match value {
        "" => Ok(None),
        "none" | "host" | "sandbox" => Ok(Some(value.to_string())),
        _ => Err(FrontendError::invalid(format!("invalid netmode {value}"))),
    }
}

/// `host=ip` entries, comma separated (`host:ip` accepted too).
fn parse_extra_hosts(value: &str) -> Result<Vec<(String, String)>, FrontendError> {
    let mut out = Vec::new();
    for field in value.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let (host, ip) = field
            .split_once('=')
            .or_else(|| field.split_once(':'))
            .ok_or_else(|| FrontendError::invalid(format!("invalid key-value pair {field}")))?;
        if ip.parse::<IpAddr>().is_err() {
            return Err(FrontendError::invalid(format!("failed to parse IP {ip}")));
        }
        out.push((host.to_lowercase(), ip.to_string()));
    }
    Ok(out)
}

fn parse_shm_size(value: &str) -> Result<Option<u64>, FrontendError> {
    if value.is_empty() {
        return Ok(None);
    }
    value
        .parse::<u64>()
        .map(Some)
        .map_err(|_| FrontendError::invalid(format!("invalid shm-size {value:?}")))
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
fn parse_ulimits(value: &str) -> Result<Vec<(String, i64, i64)>, FrontendError> {
    let mut out = Vec::new();
    for field in value.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let bad = || FrontendError::invalid(format!("invalid ulimit argument: {field}"));
        let (name, limits) = field.split_once('=').ok_or_else(bad)?;
        if !ULIMIT_NAMES.contains(&name) {
            return Err(FrontendError::invalid(format!(
                "invalid ulimit type: {name}"
            )));
        }
        let (soft, hard) = limits.split_once(':').unwrap_or((limits, limits));
        let soft: i64 = soft.parse().map_err(|_| bad())?;
        let hard: i64 = hard.parse().map_err(|_| bad())?;
        if soft > hard {
            return Err(FrontendError::invalid(format!(
                "ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
            )));
        }
        out.push((name.to_string(), soft, hard));
    }
    Ok(out)
}

fn parse_cache_imports(value: &str) -> Result<Vec<CacheImport>, FrontendError> {
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
        FrontendError::invalid(format!("failed to unmarshal cache-imports {value:?}: {e}"))
    })?;
    Ok(entries
        .into_iter()
        .map(|e| CacheImport {
            kind: e.kind,
            attrs: e.attrs,
        })
        .collect())
}

fn parse_cache_from(value: &str) -> Vec<CacheImport> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|r| CacheImport {
            kind: "registry".into(),
            attrs: BTreeMap::from([("ref".to_string(), r.to_string())]),
        })
        .collect()
}

fn check_frontend_caps(value: &str) -> Result<(), FrontendError> {
    for cap in value.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        if cap.ends_with("+forward") {
            continue;
        }
        if !SUPPORTED_FRONTEND_CAPS.contains(&cap) {
            return Err(FrontendError::unsupported(format!(
                "unsupported frontend capability {cap}"
            )));
        }
    }
    Ok(())
}

/// Comma-separated platforms, normalised; duplicates dropped.
pub fn parse_platforms(value: &str) -> Result<Vec<Platform>, FrontendError> {
    let mut out: Vec<Platform> = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let p = parse_platform(item)?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// `os[/arch[/variant]]` or a bare architecture, like containerd's
/// `platforms.Parse`, normalised.
pub fn parse_platform(spec: &str) -> Result<Platform, FrontendError> {
    let bad = || {
        FrontendError::invalid(format!(
            "failed to parse platform {spec}: unknown operating system or architecture"
        ))
    };
    let lower = spec.to_lowercase();
    let parts: Vec<&str> = lower.split('/').collect();
    if parts.iter().any(|p| p.is_empty()) || parts.len() > 3 {
        return Err(bad());
    }
    let (os, arch, variant) = match parts.as_slice() {
        [one] if is_known_os(one) => (one.to_string(), "amd64".to_string(), None),
        [one] => ("linux".to_string(), one.to_string(), None),
        [os, arch] => (os.to_string(), arch.to_string(), None),
        [os, arch, variant] => (os.to_string(), arch.to_string(), Some(variant.to_string())),
        _ => return Err(bad()),
    };
    if !is_known_os(&os) {
        return Err(bad());
    }
    Ok(normalize_platform(Platform {
        os,
        architecture: arch,
        variant,
        os_version: None,
    }))
}

fn is_known_os(os: &str) -> bool {
    matches!(
        os,
        "linux"
            | "windows"
            | "darwin"
            | "freebsd"
            | "netbsd"
            | "openbsd"
            | "solaris"
            | "illumos"
            | "android"
            | "ios"
            | "aix"
            | "plan9"
            | "js"
            | "wasip1"
            | "dragonfly"
            | "zos"
    )
}

/// containerd's architecture/variant normalisation.
pub fn normalize_platform(mut p: Platform) -> Platform {
    p.os = p.os.to_lowercase();
    let arch = p.architecture.to_lowercase();
    let variant = p
        .variant
        .take()
        .map(|v| v.to_lowercase())
        .filter(|v| !v.is_empty());
    let (arch, variant) = match arch.as_str() {
        "i386" => ("386".to_string(), None),
        "x86_64" | "x86-64" | "amd64" => ("amd64".to_string(), variant.filter(|v| v != "v1")),
        "aarch64" | "arm64" => (
            "arm64".to_string(),
            variant.filter(|v| v != "v8" && v != "8"),
        ),
        "armhf" => ("arm".to_string(), Some("v7".to_string())),
        "armel" => ("arm".to_string(), Some("v6".to_string())),
        "arm" => {
            let v = match variant.as_deref() {
                None | Some("7") | Some("v7") => "v7".to_string(),
                Some("5") | Some("6") | Some("8") => {
                    format!("v{}", variant.as_deref().unwrap_or_default())
                }
                Some(other) => other.to_string(),
            };
            ("arm".to_string(), Some(v))
        }
        _ => (arch, variant),
    };
    p.architecture = arch;
    p.variant = variant;
    p
}

/// `os/arch[/variant]` (containerd's `FormatAll` without os.version).
pub fn platform_id(p: &Platform) -> String {
    match &p.variant {
        Some(v) => format!("{}/{}/{}", p.os, p.architecture, v),
        None => format!("{}/{}", p.os, p.architecture),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(list: &[(&str, &str)]) -> BTreeMap<String, String> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn parse_ok(list: &[(&str, &str)]) -> FrontendOptions {
        match parse(&opts(list), Platform::linux_amd64(), "s1") {
            Ok(fo) => fo,
            Err(e) => panic!("unexpected error: {}", e.message()),
        }
    }

    #[test]
    fn typed_options() {
        let fo = parse_ok(&[
            ("target", "build"),
            ("build-arg:FOO", "a=b"),
            ("label:org.x", "y"),
            ("filename", "ci/Dockerfile"),
            ("no-cache", "a,b"),
            ("add-hosts", "Example.com=10.0.0.1,other:::1"),
            ("shm-size", "1024"),
            ("ulimit", "nofile=1024:2048,nproc=10"),
            ("image-resolve-mode", "pull"),
            ("force-network-mode", "none"),
            ("hostname", "h"),
            ("cgroup-parent", "cg"),
            ("platform", "linux/arm64,linux/amd64,linux/arm64/v8"),
            ("cmdline", "example/frontend"),
            ("contextsubdir", "sub"),
            ("some-future-option", "x"),
        ]);
        let c = &fo.convert;
        assert_eq!(c.target.as_deref(), Some("build"));
        assert_eq!(c.build_args["FOO"], "a=b");
        assert_eq!(c.labels["org.x"], "y");
        assert_eq!(c.filename, "ci/Dockerfile");
        assert_eq!(
            c.no_cache,
            Some(BTreeSet::from(["a".to_string(), "b".to_string()]))
        );
        assert_eq!(
            c.extra_hosts,
            vec![
                ("example.com".into(), "10.0.0.1".into()),
                ("other".into(), "::1".into())
            ]
        );
        assert_eq!(c.shm_size, Some(1024));
        assert_eq!(
            c.ulimits,
            vec![("nofile".into(), 1024, 2048), ("nproc".into(), 10, 10)]
        );
        assert_eq!(c.resolve_mode, ResolveMode::Pull);
        assert_eq!(c.force_network_mode.as_deref(), Some("none"));
        assert_eq!(c.hostname.as_deref(), Some("h"));
        assert_eq!(c.cgroup_parent.as_deref(), Some("cg"));
        assert_eq!(c.session_id.as_deref(), Some("s1"));
        assert_eq!(
            fo.platforms.iter().map(platform_id).collect::<Vec<_>>(),
            ["linux/arm64", "linux/amd64"]
        );
        assert!(fo.is_multi_platform());
        assert!(fo.launched_as_gateway);
    }

    #[test]
    fn no_cache_empty_means_all_stages() {
        assert_eq!(
            parse_ok(&[("no-cache", "")]).convert.no_cache,
            Some(BTreeSet::new())
        );
        assert_eq!(parse_ok(&[]).convert.no_cache, None);
    }

    #[test]
    fn cache_imports_win_over_cache_from() {
        let fo = parse_ok(&[("cache-from", "r/a,r/b")]);
        assert_eq!(fo.cache_imports.len(), 2);
        assert_eq!(fo.cache_imports[1].attrs["ref"], "r/b");
        let fo = parse_ok(&[
            ("cache-from", "r/a"),
            (
                "cache-imports",
                r#"[{"Type":"local","Attrs":{"src":"/c"}}]"#,
            ),
        ]);
        assert_eq!(
            fo.cache_imports,
            vec![CacheImport {
                kind: "local".into(),
                attrs: BTreeMap::from([("src".into(), "/c".into())])
            }]
        );
    }

    #[test]
    fn rejected_options_name_themselves() {
        for (k, v, needle) in [
            ("override-copy-image", "x", "override-copy-image"),
            ("image-resolve-mode", "sometimes", "image-resolve-mode"),
            ("force-network-mode", "bridge", "netmode"),
            ("add-hosts", "h=notanip", "notanip"),
            ("ulimit", "bogus=1", "bogus"),
            ("shm-size", "1g", "shm-size"),
            ("platform", "linux//x", "linux//x"),
            (
                "frontend.caps",
                "moby.buildkit.frontend.inputs",
                "moby.buildkit.frontend.inputs",
            ),
            ("requestid", "frontend.outline", "frontend.outline"),
            ("context", "https://github.com/x/y.git", "context"),
        ] {
            match parse(&opts(&[(k, v)]), Platform::linux_amd64(), "") {
                Ok(_) => panic!("{k}={v} accepted"),
                Err(e) => assert!(e.message().contains(needle), "{k}: {}", e.message()),
            }
        }
        assert!(parse(
            &opts(&[("frontend.caps", "moby.buildkit.frontend.inputs+forward")]),
            Platform::linux_amd64(),
            ""
        )
        .is_ok());
    }

    #[test]
    fn named_contexts_and_shared_keys_reach_the_converter() {
        let fo = parse_ok(&[
            ("context:base", "docker-image://alpine"),
            ("context:src::linux/arm64", "local:src"),
            ("sharedkey:localdir:src::linux/arm64", "k1"),
            ("frontend.caps", "moby.buildkit.frontend.contexts"),
        ]);
        let c = &fo.convert;
        assert_eq!(c.named_contexts["base"], "docker-image://alpine");
        assert_eq!(c.named_contexts["src::linux/arm64"], "local:src");
        assert_eq!(c.local_shared_keys["src::linux/arm64"], "k1");
    }

    #[test]
    fn multi_platform_false_with_two_platforms_fails() {
        assert!(parse(
            &opts(&[
                ("platform", "linux/amd64,linux/arm64"),
                ("multi-platform", "false")
            ]),
            Platform::linux_amd64(),
            ""
        )
        .is_err());
        assert!(
            parse_ok(&[("platform", "linux/amd64"), ("multi-platform", "true")])
                .is_multi_platform()
        );
    }

    #[test]
    fn platform_normalisation() {
        let id = |s: &str| {
            parse_platform(s)
                .map(|p| platform_id(&p))
                .unwrap_or_else(|e| e.message())
        };
        assert_eq!(id("linux/x86_64"), "linux/amd64");
        assert_eq!(id("linux/aarch64/v8"), "linux/arm64");
        assert_eq!(id("linux/arm"), "linux/arm/v7");
        assert_eq!(id("linux/armhf"), "linux/arm/v7");
        assert_eq!(id("arm64"), "linux/arm64");
        assert_eq!(id("windows"), "windows/amd64");
        assert_eq!(id("Linux/AMD64"), "linux/amd64");
        assert!(parse_platform("plan10/amd64").is_err());
    }
}
