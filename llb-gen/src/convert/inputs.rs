//! `input:<name>` named contexts: a frontend input (the `Inputs` RPC; what
//! `docker buildx bake` sends for `contexts = { base = "target:base" }`),
//! with the image config of its `input-metadata:<name>` option when there
//! is one (upstream `dockerui/namedcontext.go`).

use std::collections::BTreeMap;

use base64::Engine as _;

use crate::llb;

use super::api::ConvertOptions;
use super::contexts::{loaded_image, plain, ContextError, Loaded};

/// The metadata key that carries an image config.
const IMAGE_CONFIG_KEY: &str = "containerimage.config";

/// Fails unless the client sent input `name`.
pub(super) fn check_sent(key: &str, name: &str, opts: &ConvertOptions) -> Result<(), ContextError> {
    if opts.frontend_inputs.contains_key(name) {
        return Ok(());
    }
    let sent: Vec<&str> = opts.frontend_inputs.keys().map(String::as_str).collect();
    let sent = if sent.is_empty() {
        "none".to_string()
    } else {
        sent.join(", ")
    };
    Err(ContextError {
        message: format!(
            "named context {key}: input:{name} was not sent by the client (inputs sent: {sent})"
        ),
        help: Some(
            "an input:<name> context names a frontend input of the request, as `docker buildx \
             bake` sends them for `target:` contexts",
        ),
    })
}

/// The state of input `name`, with its image config applied when its
/// metadata has one.
pub(super) fn load(key: &str, name: &str, opts: &ConvertOptions) -> Result<Loaded, ContextError> {
    check_sent(key, name, opts)?;
    let def = opts.frontend_inputs.get(name).cloned().unwrap_or_default();
    let state =
        llb::from_definition(def).map_err(|e| format!("named context {key}: input:{name}: {e}"))?;
    let Some(md) = opts.input_metadata.get(name) else {
        return Ok(plain(state));
    };
    let config = image_config(md).map_err(|e| {
        format!("named context {key}: failed to parse input metadata of {name}: {e}")
    })?;
    match config {
        Some(config) => loaded_image(state, config),
        None => Ok(plain(state)),
    }
}

/// `containerimage.config` of Go-JSON `map[string][]byte` metadata.
fn image_config(md: &str) -> Result<Option<Vec<u8>>, String> {
    let map: BTreeMap<String, Option<String>> =
        serde_json::from_str(md).map_err(|e| e.to_string())?;
    match map.get(IMAGE_CONFIG_KEY) {
        Some(Some(b64)) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map(Some)
            .map_err(|e| format!("{IMAGE_CONFIG_KEY}: {e}")),
        _ => Ok(None),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::pb;

    fn opts_with(name: &str, md: Option<&str>) -> ConvertOptions {
        let def = llb::image("docker.io/library/busybox:latest", Default::default())
            .marshal(&llb::MarshalOptions::default())
            .unwrap();
        let mut o = ConvertOptions::default();
        o.frontend_inputs.insert(name.into(), def);
        if let Some(md) = md {
            o.input_metadata.insert(name.into(), md.into());
        }
        o
    }

    #[test]
    fn an_input_without_metadata_is_its_state() {
        let o = opts_with("base", None);
        let l = load("base", "base", &o).unwrap();
        assert!(l.image.is_none());
        let def = l.state.marshal(&llb::MarshalOptions::default()).unwrap();
        assert_eq!(def.def, o.frontend_inputs["base"].def);
    }

    #[test]
    fn input_metadata_gives_the_image_config() {
        let config =
            r#"{"architecture":"arm64","os":"linux","config":{"Env":["A=1"],"WorkingDir":"/w"}}"#;
        let md = serde_json::json!({
            "containerimage.config":
                base64::engine::general_purpose::STANDARD.encode(config),
            "other": null,
        })
        .to_string();
        let l = load("base", "base", &opts_with("base", Some(&md))).unwrap();
        let image = l.image.unwrap();
        assert_eq!(image.architecture, "arm64");
        assert_eq!(l.state.get_env("A"), Some("1"));
        assert_eq!(l.config.unwrap(), config.as_bytes());
    }

    #[test]
    fn missing_inputs_and_bad_metadata_name_what_was_given() {
        let e = load("base", "nope", &opts_with("base", None))
            .err()
            .unwrap();
        assert!(e.message.contains("input:nope") && e.message.contains("inputs sent: base"));
        let e = load("base", "base", &opts_with("base", Some("{")))
            .err()
            .unwrap();
        assert!(e.message.contains("input metadata"), "{}", e.message);
        let mut o = opts_with("base", None);
        o.frontend_inputs.insert(
            "bad".into(),
            pb::Definition {
                def: vec![vec![0xff]],
                ..Default::default()
            },
        );
        let e = load("bad", "bad", &o).err().unwrap();
        assert!(e.message.contains("input:bad"), "{}", e.message);
    }
}
