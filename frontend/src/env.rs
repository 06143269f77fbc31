//! What BuildKit tells the frontend through environment variables
//! (`frontend/gateway/grpcclient/client.go`):
//!
//! - `BUILDKIT_FRONTEND_OPT_<n>` = `key=value`, one per frontend option, the
//!   index `<n>` in random order (it carries no meaning);
//! - `BUILDKIT_SESSION_ID`: the client session (local sources, secrets, ssh);
//! - `BUILDKIT_WORKERS`: JSON list of workers; the build platform is the first
//!   platform of the first worker;
//! - `BUILDKIT_EXPORTEDPRODUCT`: product name, used in capability errors.

use std::collections::BTreeMap;

use llb_gen::convert::Platform;
use serde::Deserialize;

const OPT_PREFIX: &str = "BUILDKIT_FRONTEND_OPT_";

/// The frontend's environment, parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GatewayEnv {
    /// Frontend options (`key` -> `value`).
    pub opts: BTreeMap<String, String>,
    pub session_id: String,
    /// First platform of the first worker, if any worker was listed.
    pub build_platform: Option<Platform>,
    pub product: String,
}

impl GatewayEnv {
    /// Read the process environment.
    pub fn from_process() -> Self {
        Self::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// Parse a set of environment variables (in any order).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut env = GatewayEnv {
            product: "buildkit".into(),
            ..GatewayEnv::default()
        };
        for (name, value) in vars {
            if name.starts_with(OPT_PREFIX) {
                // `key=value`; a value without `=` is a key with an empty value.
                let (key, val) = value.split_once('=').unwrap_or((value.as_str(), ""));
                env.opts.insert(key.to_string(), val.to_string());
                continue;
            }
            match name.as_str() {
                "BUILDKIT_SESSION_ID" => env.session_id = value,
                "BUILDKIT_WORKERS" => env.build_platform = first_worker_platform(&value),
                "BUILDKIT_EXPORTEDPRODUCT" if !value.is_empty() => env.product = value,
                _ => {}
            }
        }
        env
    }
}

#[derive(Deserialize)]
struct WorkerJson {
    #[serde(default, alias = "Platforms")]
    platforms: Vec<PlatformJson>,
}

/// An OCI platform as JSON (`ocispecs.Platform` field tags; Go also accepts
/// other casings, so the capitalised names are aliases).
#[derive(Deserialize)]
struct PlatformJson {
    #[serde(default, alias = "OS")]
    os: String,
    #[serde(default, alias = "Architecture")]
    architecture: String,
    #[serde(default, alias = "Variant")]
    variant: String,
    #[serde(default, rename = "os.version", alias = "OSVersion")]
    os_version: String,
}

fn first_worker_platform(json: &str) -> Option<Platform> {
    let workers: Vec<WorkerJson> = match serde_json::from_str(json) {
        Ok(w) => w,
        Err(err) => {
            tracing::warn!("ignoring unreadable BUILDKIT_WORKERS: {err}");
            return None;
        }
    };
    let p = workers.into_iter().next()?.platforms.into_iter().next()?;
    if p.os.is_empty() || p.architecture.is_empty() {
        return None;
    }
    Some(llb_gen::options::normalize_platform(&Platform {
        os: p.os,
        architecture: p.architecture,
        variant: Some(p.variant).filter(|v| !v.is_empty()),
        os_version: Some(p.os_version).filter(|v| !v.is_empty()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn options_in_any_order_split_at_first_equals() {
        let env = GatewayEnv::from_vars(vars(&[
            ("BUILDKIT_FRONTEND_OPT_7", "build-arg:A=x=y"),
            ("PATH", "/bin"),
            ("BUILDKIT_FRONTEND_OPT_0", "no-cache"),
            ("BUILDKIT_FRONTEND_OPT_3", "filename=Dockerfile.dev"),
            ("BUILDKIT_SESSION_ID", "sess1"),
            ("BUILDKIT_EXPORTEDPRODUCT", "docker"),
        ]));
        assert_eq!(env.opts.get("build-arg:A").map(String::as_str), Some("x=y"));
        assert_eq!(env.opts.get("no-cache").map(String::as_str), Some(""));
        assert_eq!(
            env.opts.get("filename").map(String::as_str),
            Some("Dockerfile.dev")
        );
        assert_eq!(env.session_id, "sess1");
        assert_eq!(env.product, "docker");
    }

    #[test]
    fn build_platform_from_first_worker() {
        let json = r#"[{"id":"w1","labels":{},"platforms":[{"architecture":"arm64","os":"linux","variant":"v8"},{"architecture":"amd64","os":"linux"}]},{"id":"w2","platforms":[]}]"#;
        let env = GatewayEnv::from_vars(vars(&[("BUILDKIT_WORKERS", json)]));
        let p = env.build_platform.expect("platform");
        assert_eq!(
            (p.os.as_str(), p.architecture.as_str(), p.variant),
            ("linux", "arm64", None)
        );
    }

    #[test]
    fn bad_or_empty_workers_give_no_platform() {
        for json in ["", "[]", "{", r#"[{"platforms":[]}]"#] {
            let env = GatewayEnv::from_vars(vars(&[("BUILDKIT_WORKERS", json)]));
            assert_eq!(env.build_platform, None, "{json}");
        }
    }
}
