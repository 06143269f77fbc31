//! Named build contexts: the `context:<name>[::<platform>]` options
//! (buildx `--build-context`, upstream `dockerui/namedcontext.go`).
//!
//! A named context stands in for an image name (`FROM alpine`, `COPY
//! --from=alpine`, mount `from=alpine`) or replaces a whole named stage
//! (`context:<stage>`). This module finds the option that applies and
//! parses its value; `build.rs` turns it into a root state.

use std::collections::BTreeMap;

use crate::llb;

use super::api::{ConvertOptions, ImageRequest, Platform, ResolveMode, ResolvedImage};
use super::dispatch::pb_platform;
use super::image::Image;
use super::platform::{format_all, normalize};
use super::reference::Reference;

/// What a named context points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ContextSource {
    /// `docker-image://<ref>`: the reference as written (without `//`).
    Image(String),
    /// `docker-image://scratch`.
    Scratch,
    /// A Git URL (`git://`, `git@`, `https://….git`, `ssh://`): the whole
    /// value and its parsed form.
    Git(String, Box<super::git::GitRef>),
    /// `http(s)://` that is not a Git remote: one file named `context`.
    Http(String),
    /// `local:<name>`: a local directory the client sends in the session.
    Local(String),
    /// `oci-layout://<store>@sha256:…`.
    OciLayout(String),
    /// `input:<name>`: a frontend input.
    Input(String),
}

/// A `context:` option that applies, with the key it was found under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NamedContext {
    /// `name` or `name::os/arch` (upstream's `nameWithPlatform`), shown in
    /// progress names as `[context <key>]`.
    pub key: String,
    /// The option value as given.
    pub value: String,
}

impl NamedContext {
    /// Parse the value (upstream does this only when the context is used).
    pub(crate) fn source(&self) -> Result<ContextSource, String> {
        let v = self.value.as_str();
        let Some((scheme, rest)) = v.split_once(':') else {
            return Err(format!("invalid context specifier {v} for {}", self.key));
        };
        // `git@host:path` has no scheme (kept for compatibility).
        let scheme = if scheme.starts_with("git@") {
            "git"
        } else {
            scheme
        };
        match scheme {
            "docker-image" => {
                let r = rest.strip_prefix("//").unwrap_or(rest);
                if r == super::stages::SCRATCH {
                    Ok(ContextSource::Scratch)
                } else {
                    Ok(ContextSource::Image(r.to_string()))
                }
            }
            "git" => match super::git::parse_git_ref(v) {
                Some(Ok(g)) => Ok(ContextSource::Git(v.to_string(), Box::new(g))),
                Some(Err(e)) => Err(format!("invalid git context {v}: {e}")),
                None => Err(format!("invalid git context {v}")),
            },
            "http" | "https" => match super::git::parse_git_ref(v) {
                Some(Ok(g)) => Ok(ContextSource::Git(v.to_string(), Box::new(g))),
                Some(Err(e)) => Err(format!("invalid git context {v}: {e}")),
                None => Ok(ContextSource::Http(v.to_string())),
            },
            "local" => Ok(ContextSource::Local(rest.to_string())),
            "oci-layout" => Ok(ContextSource::OciLayout(
                rest.strip_prefix("//").unwrap_or(rest).to_string(),
            )),
            "input" => Ok(ContextSource::Input(rest.to_string())),
            other => Err(format!(
                "unsupported context source {other} for {}",
                self.key
            )),
        }
    }
}

/// Names that are never looked up (`namedContextFunc`).
fn never_looked_up(name: &str) -> bool {
    name.eq_ignore_ascii_case(super::stages::SCRATCH) || name.eq_ignore_ascii_case("context")
}

/// Find the option for `name` on `platform`: `context:<name>::<platform>`
/// first, then `context:<name>`.
pub(super) fn lookup(
    contexts: &BTreeMap<String, String>,
    name: &str,
    platform: &Platform,
) -> Option<NamedContext> {
    if contexts.is_empty() || never_looked_up(name) {
        return None;
    }
    let with_platform = format!("{name}::{}", format_all(&normalize(platform)));
    [with_platform, name.to_string()]
        .into_iter()
        .find_map(|key| {
            contexts.get(&key).map(|value| NamedContext {
                key,
                value: value.clone(),
            })
        })
}

/// The context for an image name (`FROM`, `--from`, mount `from=`): looked
/// up by the familiar form (`docker.io/library/alpine:latest` → `alpine`).
pub(super) fn lookup_image(
    contexts: &BTreeMap<String, String>,
    reference: &Reference,
    platform: &Platform,
) -> Option<NamedContext> {
    if contexts.is_empty() {
        return None;
    }
    let mut name = reference.familiar_name();
    if let Some(t) = reference.tag.as_deref().filter(|t| *t != "latest") {
        name.push(':');
        name.push_str(t);
    }
    if let Some(d) = &reference.digest {
        if reference.tag.as_deref() == Some("latest") {
            name.push_str(":latest");
        }
        name.push('@');
        name.push_str(d);
    }
    lookup(contexts, &name, platform)
}

/// Why a named context cannot be used, with a hint when the value itself
/// is malformed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ContextError {
    pub message: String,
    pub help: Option<&'static str>,
}

/// The accepted value forms, shown when a value has none of them.
const VALUE_FORMS: &str = "a named context is docker-image://<ref>, local:<name>, a Git URL, \
                           http(s)://<url>, oci-layout://<ref> or input:<name>";

impl From<String> for ContextError {
    fn from(message: String) -> Self {
        ContextError {
            message,
            help: None,
        }
    }
}

/// A named context about to be loaded: its parsed value and, for
/// `docker-image://`, the config request for the resolver round.
#[derive(Clone, Debug)]
pub(super) struct Pending {
    pub context: NamedContext,
    pub source: ContextSource,
    pub request: Option<ImageRequest>,
    /// For a `local:` context: the patterns of its `.dockerignore`, which
    /// the host was asked for when the context was first used.
    pub local_excludes: Vec<String>,
}

/// Parse the value and prepare what needs resolving.
pub(super) fn prepare(
    context: NamedContext,
    platform: &Platform,
    opts: &ConvertOptions,
) -> Result<Pending, ContextError> {
    let source = context.source().map_err(|message| ContextError {
        message,
        help: Some(VALUE_FORMS),
    })?;
    let key = &context.key;
    let request = match &source {
        ContextSource::Image(raw) => {
            let r = Reference::parse(raw)
                .map_err(|e| format!("invalid image reference {raw:?} for {key}: {e}"))?;
            Some(ImageRequest {
                reference: r.tagged_string(),
                platform: platform.clone(),
                resolve_mode_pull: opts.resolve_mode == ResolveMode::Pull,
                log_name: Some(format!("[context {key}] load metadata for {raw}")),
                oci_store: None,
            })
        }
        ContextSource::OciLayout(value) => Some(super::oci_layout::request(key, value, platform)?),
        ContextSource::Input(name) => {
            super::inputs::check_sent(key, name, opts)?;
            None
        }
        _ => None,
    };
    Ok(Pending {
        context,
        source,
        request,
        local_excludes: Vec::new(),
    })
}

/// A loaded named context: its state and, for images, the config.
pub(super) struct Loaded {
    pub state: llb::State,
    pub image: Option<Image>,
    pub config: Option<Vec<u8>>,
    /// For `local:` contexts: the follow paths of the source, to fill in
    /// once the paths the Dockerfile uses from it are known.
    pub local: Option<llb::FollowPathsSlot>,
}

/// Build the state of a named context (`NamedContext.load`); `answer` is
/// the resolver's answer to `pending.request`.
pub(super) fn load(
    pending: &Pending,
    answer: Option<Result<ResolvedImage, String>>,
    platform: &Platform,
    opts: &ConvertOptions,
) -> Result<Loaded, ContextError> {
    let key = &pending.context.key;
    Ok(match &pending.source {
        ContextSource::Scratch => plain(llb::scratch()),
        ContextSource::Image(raw) => load_image(key, raw, answer, platform)?,
        ContextSource::Git(url, g) => plain(llb::git(llb::GitOptions {
            host_path: g.host_path.clone(),
            full_url: g.remote.clone(),
            ssh: g.ssh,
            reference: g.reference.clone(),
            subdir: g.subdir.clone(),
            keep_git_dir: g.keep_git_dir.unwrap_or(false),
            checksum: g.checksum.clone(),
            skip_submodules: g.skip_submodules,
            mtime: g.mtime.clone(),
            fetch_by_commit: g.fetch_by_commit,
            op: llb::OpOptions::default().custom_name(format!("[internal] load git source {url}")),
            ..llb::GitOptions::default()
        })),
        ContextSource::Http(url) => plain(llb::http(
            url,
            llb::HttpOptions {
                filename: Some("context".into()),
                op: llb::OpOptions::default().custom_name(format!("[context {key}] {url}")),
                ..Default::default()
            },
        )),
        ContextSource::Local(name) => load_local(pending, name, opts),
        ContextSource::Input(name) => super::inputs::load(key, name, opts)?,
        ContextSource::OciLayout(v) => super::oci_layout::load(key, v, answer, platform, opts)?,
    })
}

/// A named context not yet used: the loaded state, nothing else.
pub(super) fn plain(state: llb::State) -> Loaded {
    Loaded {
        state,
        image: None,
        config: None,
        local: None,
    }
}

/// A `docker-image://` context from the resolver's answer.
fn load_image(
    key: &str,
    raw: &str,
    answer: Option<Result<ResolvedImage, String>>,
    platform: &Platform,
) -> Result<Loaded, ContextError> {
    let resolved = answer
        .unwrap_or_else(|| Err("no answer from resolver".into()))
        .map_err(|e| format!("{raw}: {e}"))?;
    let op = llb::OpOptions::default()
        .platform(pb_platform(platform))
        .custom_name(format!("[context {key}] {raw}"));
    let state = llb::image(
        &resolved.reference,
        llb::ImageOptions {
            op,
            ..Default::default()
        },
    );
    loaded_image(state, resolved.config)
}

/// An image-like context (an image, an OCI layout) with its resolved
/// `config` applied; without a config, the state alone.
pub(super) fn loaded_image(state: llb::State, config: Vec<u8>) -> Result<Loaded, ContextError> {
    if config.is_empty() {
        return Ok(plain(state));
    }
    let mut image = Image::from_json(&config)?;
    image.created = None;
    Ok(Loaded {
        state: with_image_config(state, &image),
        image: Some(image),
        config: Some(config),
        local: None,
    })
}

/// A `local:` context: the client directory, its follow paths filled in
/// once dispatch knows which paths are used.
fn load_local(pending: &Pending, name: &str, opts: &ConvertOptions) -> Loaded {
    let key = &pending.context.key;
    let shared = opts.local_shared_keys.get(key).map_or("", String::as_str);
    let (state, follow_paths) = llb::local_later(
        name,
        llb::LocalOptions {
            session_id: opts.session_for(name),
            exclude_patterns: pending.local_excludes.clone(),
            shared_key_hint: Some(format!("context:{key}-{shared}")),
            op: llb::OpOptions::default().custom_name(format!("[context {key}] load from client")),
            ..Default::default()
        },
    );
    Loaded {
        state,
        local: Some(follow_paths),
        ..plain(llb::scratch())
    }
}

/// `State.WithImageConfig`: the config's env (where unset), working
/// directory and platform become the state's.
pub(super) fn with_image_config(mut state: llb::State, image: &Image) -> llb::State {
    for e in image.config.env.iter().flatten() {
        let (k, v) = e.split_once('=').unwrap_or((e.as_str(), ""));
        if state.get_env(k).is_none() {
            state = state.add_env(k, v);
        }
    }
    if !image.config.working_dir.is_empty() {
        state = state.with_dir(image.config.working_dir.clone());
    }
    if !image.architecture.is_empty() && !image.os.is_empty() {
        state = state.with_platform(pb_platform(&image_platform(image)));
    }
    state
}

/// The platform an image config declares.
pub(super) fn image_platform(image: &Image) -> Platform {
    Platform {
        os: image.os.clone(),
        architecture: image.architecture.clone(),
        variant: Some(image.variant.clone()).filter(|v| !v.is_empty()),
        os_version: Some(image.os_version.clone()).filter(|v| !v.is_empty()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn amd64() -> Platform {
        Platform::linux_amd64()
    }

    #[test]
    fn platform_key_wins_over_plain_key() {
        let o = opts(&[("base", "local:a"), ("base::linux/amd64", "local:b")]);
        let c = lookup(&o, "base", &amd64()).unwrap();
        assert_eq!(c.key, "base::linux/amd64");
        assert_eq!(c.source().unwrap(), ContextSource::Local("b".into()));
        let arm = Platform {
            architecture: "arm64".into(),
            ..amd64()
        };
        assert_eq!(lookup(&o, "base", &arm).unwrap().key, "base");
    }

    #[test]
    fn scratch_and_context_are_never_looked_up() {
        let o = opts(&[("scratch", "local:a"), ("context", "local:b")]);
        assert!(lookup(&o, "scratch", &amd64()).is_none());
        assert!(lookup(&o, "Context", &amd64()).is_none());
    }

    #[test]
    fn images_are_looked_up_by_familiar_name() {
        let o = opts(&[
            ("alpine", "docker-image://busybox"),
            ("alpine:3.20", "docker-image://scratch"),
            ("localhost:5000/app", "local:app"),
        ]);
        let find = |r: &str| lookup_image(&o, &Reference::parse(r).unwrap(), &amd64());
        assert_eq!(find("alpine").unwrap().key, "alpine");
        assert_eq!(
            find("docker.io/library/alpine:latest").unwrap().key,
            "alpine"
        );
        assert_eq!(find("alpine:3.20").unwrap().key, "alpine:3.20");
        assert_eq!(
            find("localhost:5000/app").unwrap().key,
            "localhost:5000/app"
        );
        assert!(find("alpine:3.19").is_none());
        assert!(find("debian").is_none());
    }

    #[test]
    fn values_parse_like_upstream() {
        let src = |v: &str| {
            NamedContext {
                key: "k".into(),
                value: v.into(),
            }
            .source()
        };
        assert_eq!(
            src("docker-image://alpine:3").unwrap(),
            ContextSource::Image("alpine:3".into())
        );
        assert_eq!(
            src("docker-image://scratch").unwrap(),
            ContextSource::Scratch
        );
        assert_eq!(
            src("https://example.com/a.tar").unwrap(),
            ContextSource::Http("https://example.com/a.tar".into())
        );
        assert!(matches!(
            src("https://github.com/moby/buildkit.git#v0.1").unwrap(),
            ContextSource::Git(..)
        ));
        assert!(matches!(
            src("git@github.com:moby/buildkit.git").unwrap(),
            ContextSource::Git(..)
        ));
        assert_eq!(
            src("local:ctx").unwrap(),
            ContextSource::Local("ctx".into())
        );
        assert_eq!(src("input:x").unwrap(), ContextSource::Input("x".into()));
        assert_eq!(
            src("nocolon").unwrap_err(),
            "invalid context specifier nocolon for k"
        );
        assert_eq!(
            src("ftp://x").unwrap_err(),
            "unsupported context source ftp for k"
        );
    }
}
