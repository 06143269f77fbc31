//! The frontend options, parsed by the library ([`llb_gen::options`]): this
//! module only adds what comes from the gateway's environment (the build
//! platform, the session) and maps a refused option to a [`FrontendError`].

use std::collections::BTreeMap;

use llb_gen::convert::{ConvertOptions, Platform};
pub use llb_gen::options::{BuildOptions, CacheImport};
use llb_gen::options::{OptionsError, OptionsErrorKind};

use crate::status::FrontendError;

/// Parse the option map. `build_platform` comes from `BUILDKIT_WORKERS`,
/// `session_id` from `BUILDKIT_SESSION_ID`.
pub fn parse(
    opts: &BTreeMap<String, String>,
    build_platform: Platform,
    session_id: &str,
) -> Result<BuildOptions, FrontendError> {
    let mut base = ConvertOptions::default();
    base.build_platform = build_platform;
    base.session_id = Some(session_id.to_string()).filter(|s| !s.is_empty());
    let parsed = llb_gen::options::parse(opts, base).map_err(FrontendError::from)?;
    for key in &parsed.ignored {
        if key == "contextsubdir" {
            tracing::info!(
                "`contextsubdir` only applies to remote contexts; ignored for the local context"
            );
        } else {
            tracing::debug!("ignoring frontend option {key}");
        }
    }
    Ok(parsed)
}

impl From<OptionsError> for FrontendError {
    fn from(e: OptionsError) -> Self {
        match e.kind() {
            OptionsErrorKind::Unsupported => FrontendError::unsupported(e.message()),
            _ => FrontendError::invalid(e.message()),
        }
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

    #[test]
    fn environment_settings_reach_the_converter() {
        let arm64 = llb_gen::options::parse_platform("linux/arm64", &Platform::linux_amd64())
            .unwrap_or_else(|e| panic!("{e}"));
        let parsed = parse(&opts(&[("platform", "linux")]), arm64.clone(), "s1")
            .unwrap_or_else(|e| panic!("{}", e.message()));
        assert_eq!(parsed.convert.build_platform, arm64);
        assert_eq!(parsed.convert.session_id.as_deref(), Some("s1"));
        assert_eq!(parsed.platforms, [arm64]);
        let parsed = parse(&opts(&[]), Platform::linux_amd64(), "")
            .unwrap_or_else(|e| panic!("{}", e.message()));
        assert_eq!(parsed.convert.session_id, None);
    }

    #[test]
    fn refused_options_keep_their_status_code() {
        let code = |k: &str, v: &str| match parse(&opts(&[(k, v)]), Platform::linux_amd64(), "") {
            Ok(_) => panic!("{k}={v} accepted"),
            Err(e) => e.to_status().code,
        };
        assert_eq!(code("shm-size", "1g"), tonic::Code::InvalidArgument as i32);
        assert_eq!(
            code("override-copy-image", "x"),
            tonic::Code::Unimplemented as i32
        );
    }
}
