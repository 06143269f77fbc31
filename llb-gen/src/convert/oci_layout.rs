//! `oci-layout://<store>@sha256:<digest>` named contexts (upstream
//! `dockerui/namedcontext.go`): an image in an OCI layout the client
//! shares in the session (`docker buildx build --build-context
//! name=oci-layout://<dir>@sha256:…`; buildx names the store). Its config is
//! resolved from that store, not a registry, and the source is an
//! `oci-layout://` op pinned to the digest.

use crate::llb;

use super::api::{ConvertOptions, ImageRequest, Platform, ResolvedImage};
use super::contexts::{ContextError, Loaded};
use super::dispatch::pb_platform;
use super::reference::Reference;

/// The accepted form, for error messages.
const FORM: &str = "oci-layout://<store>@sha256:<64 hex digits>";

/// The store id and the digest of `value` (without `oci-layout://`).
fn split(key: &str, value: &str) -> Result<(String, String), ContextError> {
    let bad = |why: &str| {
        ContextError {
        message: format!("named context {key}: oci-layout reference {value:?} {why}"),
        help: Some("an OCI layout context names its store and the image's digest: oci-layout://<store>@sha256:<digest>"),
    }
    };
    let Some((store, digest)) = value.rsplit_once('@') else {
        return Err(bad(&format!("has no digest (expected {FORM})")));
    };
    let hex = digest.strip_prefix("sha256:").unwrap_or("");
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(bad(&format!(
            "has an invalid digest {digest:?} (expected {FORM})"
        )));
    }
    if store.is_empty() {
        return Err(bad(&format!("has no store name (expected {FORM})")));
    }
    Ok((store.to_string(), digest.to_string()))
}

/// The name progress and the source op show: the context's name with the
/// digest (upstream's "dummy" reference: the store id means nothing to a
/// user).
fn shown_reference(key: &str, digest: &str) -> Result<String, ContextError> {
    let name = key.split("::").next().unwrap_or(key);
    let r = Reference::parse(name)
        .map_err(|e| format!("named context {key}: invalid context name {name:?}: {e}"))?;
    Ok(format!("{}@{digest}", r.name))
}

/// The config request of an `oci-layout://` context.
pub(super) fn request(
    key: &str,
    value: &str,
    platform: &Platform,
) -> Result<ImageRequest, ContextError> {
    let (store, digest) = split(key, value)?;
    let shown = shown_reference(key, &digest)?;
    Ok(ImageRequest {
        reference: shown.clone(),
        platform: platform.clone(),
        resolve_mode_pull: false,
        log_name: Some(format!("[context {key}] load metadata for {shown}")),
        oci_store: Some(store),
    })
}

/// The `oci-layout://` source with the resolved config applied.
pub(super) fn load(
    key: &str,
    value: &str,
    answer: Option<Result<ResolvedImage, String>>,
    platform: &Platform,
    opts: &ConvertOptions,
) -> Result<Loaded, ContextError> {
    let (store, digest) = split(key, value)?;
    let shown = shown_reference(key, &digest)?;
    let resolved = answer
        .unwrap_or_else(|| Err("no answer from resolver".into()))
        .map_err(|e| format!("named context {key}: {value}: {e}"))?;
    let state = llb::oci_layout(
        &shown,
        llb::OciLayoutOptions {
            session_id: opts.session_id.clone(),
            store_id: Some(store),
            op: llb::OpOptions::default()
                .platform(pb_platform(platform))
                .custom_name(format!("[context {key}] {shown}")),
            ..Default::default()
        },
    );
    super::contexts::loaded_image(state, resolved.config)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn the_store_and_the_digest_are_required() {
        let r = request("base", &format!("mystore@{D}"), &Platform::linux_amd64()).unwrap();
        assert_eq!(r.oci_store.as_deref(), Some("mystore"));
        assert_eq!(r.reference, format!("docker.io/library/base@{D}"));
        for bad in [
            "mystore",
            "mystore@sha256:abc",
            &format!("@{D}"),
            "x@md5:00",
        ] {
            let e = request("base", bad, &Platform::linux_amd64()).unwrap_err();
            assert!(
                e.message.contains("oci-layout reference"),
                "{bad}: {}",
                e.message
            );
        }
    }

    #[test]
    fn the_source_is_pinned_and_carries_the_config() {
        let config = br#"{"architecture":"amd64","os":"linux","config":{"Env":["X=1"]}}"#;
        let opts = ConvertOptions {
            session_id: Some("sess".into()),
            ..ConvertOptions::default()
        };
        let answer = Some(Ok(ResolvedImage {
            reference: String::new(),
            digest: D.into(),
            config: config.to_vec(),
        }));
        let l = load(
            "base",
            &format!("st@{D}"),
            answer,
            &Platform::linux_amd64(),
            &opts,
        )
        .unwrap();
        assert_eq!(l.state.get_env("X"), Some("1"));
        let def = l.state.marshal(&llb::MarshalOptions::default()).unwrap();
        let dump = llb::dump(&def);
        assert!(
            dump.contains(&format!("oci-layout://docker.io/library/base@{D}")),
            "{dump}"
        );
        assert!(
            dump.contains("oci.store") && dump.contains("\"st\""),
            "{dump}"
        );
        assert!(
            dump.contains("oci.session") && dump.contains("\"sess\""),
            "{dump}"
        );
    }
}
