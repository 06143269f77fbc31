//! The online image resolver of the CLI: fetches image configs from
//! registries like `docker pull` does (HTTPS with anonymous token auth, or
//! the credentials of Docker's `config.json`; plain HTTP only for registries
//! on `localhost` / `127.0.0.1`).
//!
//! Built on `oci-client` (maintained, used by Krustlet/wasmCloud/sigstore)
//! and `docker_credential` (reads `~/.docker/config.json` and credential
//! helpers). Its async calls run in a small tokio runtime owned by the CLI;
//! the library stays free of I/O and async.

use llb_gen::convert::{ImageRequest, ImageResolver, Platform, ResolvedImage};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::manifest::ImageIndexEntry;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

/// Resolves every request of a round concurrently.
pub(crate) struct RegistryResolver {
    runtime: Runtime,
}

impl RegistryResolver {
    pub(crate) fn new() -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        Ok(RegistryResolver { runtime })
    }
}

impl ImageResolver for RegistryResolver {
    fn resolve(&self, requests: &[ImageRequest]) -> Vec<Result<ResolvedImage, String>> {
        self.runtime.block_on(async {
            let mut set = JoinSet::new();
            for (i, r) in requests.iter().enumerate() {
                let request = r.clone();
                set.spawn(async move { (i, resolve_one(request).await) });
            }
            let mut out: Vec<Result<ResolvedImage, String>> = requests
                .iter()
                .map(|r| Err(format!("{}: not resolved", r.reference)))
                .collect();
            while let Some(joined) = set.join_next().await {
                match joined {
                    Ok((i, res)) => {
                        if let Some(slot) = out.get_mut(i) {
                            *slot = res;
                        }
                    }
                    Err(e) => eprintln!("llb-gen: image resolution task failed: {e}"),
                }
            }
            out
        })
    }
}

async fn resolve_one(request: ImageRequest) -> Result<ResolvedImage, String> {
    let name = request.reference.clone();
    let reference: Reference = name
        .parse()
        .map_err(|e| format!("{name}: invalid reference: {e}"))?;
    let registry = reference.resolve_registry().to_string();
    let client = Client::new(ClientConfig {
        protocol: protocol_for(&registry),
        platform_resolver: Some(Box::new(platform_resolver(request.platform.clone()))),
        ..ClientConfig::default()
    });
    let auth = credentials(&registry);
    let (_manifest, digest, config, list_digest) = client
        .pull_manifest_and_config_and_list_digest(&reference, &auth)
        .await
        .map_err(|e| format!("failed to resolve {name}: {e}"))?;
    Ok(ResolvedImage {
        reference: name,
        // The digest a user would pin: the index's when there is one.
        digest: list_digest.unwrap_or(digest),
        config: config.into_bytes(),
    })
}

/// Plain HTTP only for registries on the local machine (like Docker's
/// default insecure-registry rule for 127.0.0.0/8).
fn protocol_for(registry: &str) -> ClientProtocol {
    let host = registry.rsplit_once(':').map_or(registry, |(h, _)| h);
    if host == "localhost" || host == "127.0.0.1" {
        ClientProtocol::Http
    } else {
        ClientProtocol::Https
    }
}

/// Picks the index entry matching `want` (variant only when both set it).
fn platform_resolver(want: Platform) -> impl Fn(&[ImageIndexEntry]) -> Option<String> {
    move |entries: &[ImageIndexEntry]| {
        entries
            .iter()
            .find(|e| {
                e.platform.as_ref().is_some_and(|p| {
                    p.os.to_string() == want.os
                        && p.architecture.to_string() == want.architecture
                        && match (&want.variant, &p.variant) {
                            (Some(a), Some(b)) => a == b,
                            _ => true,
                        }
                })
            })
            .map(|e| e.digest.clone())
    }
}

/// Docker's stored credentials for `registry`, else anonymous.
fn credentials(registry: &str) -> RegistryAuth {
    let server = match registry {
        "registry-1.docker.io" | "docker.io" | "index.docker.io" => "https://index.docker.io/v1/",
        other => other,
    };
    match docker_credential::get_credential(server) {
        Ok(docker_credential::DockerCredential::UsernamePassword(u, p)) => {
            RegistryAuth::Basic(u, p)
        }
        // Identity tokens are OAuth refresh tokens; oci-client does not
        // take them, so fall back to anonymous access.
        Ok(docker_credential::DockerCredential::IdentityToken(_)) | Err(_) => {
            RegistryAuth::Anonymous
        }
    }
}
