//! The online image resolver of the CLI: fetches image configs from
//! registries like `docker pull` does (HTTPS with anonymous token auth, or
//! the credentials of Docker's `config.json`; plain HTTP only for registries
//! on `localhost` / `127.0.0.1`).
//!
//! Built on `oci-client` (maintained, used by Krustlet/wasmCloud/sigstore)
//! and `docker_credential` (reads `~/.docker/config.json` and credential
//! helpers). Its async calls run in a small tokio runtime owned by the CLI;
//! the library stays free of I/O and async.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use llb_gen::convert::{ImageRequest, ImageResolver, Platform, ResolvedImage};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::manifest::ImageIndexEntry;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

/// Resolves every request of a round concurrently, with one HTTP client per protocol and
/// platform for the whole run (building an `oci-client` client loads the system's CA
/// certificates, twice: it cost about 30 ms per image when every image had its own) and Docker's
/// stored credentials read only for a registry that refused anonymous access.
pub(crate) struct RegistryResolver {
    runtime: Runtime,
    shared: Arc<Shared>,
}

/// What the concurrent resolutions of a run share.
#[derive(Default)]
struct Shared {
    /// Clients by (plain HTTP?, platform): a run has one platform, so at most two.
    clients: Mutex<Vec<(bool, Platform, Client)>>,
    /// Credentials by registry, read on the first refusal.
    auth: Mutex<BTreeMap<String, RegistryAuth>>,
}

impl RegistryResolver {
    pub(crate) fn new() -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        Ok(RegistryResolver {
            runtime,
            shared: Arc::default(),
        })
    }
}

impl ImageResolver for RegistryResolver {
    fn resolve(&self, requests: &[ImageRequest]) -> Vec<Result<ResolvedImage, String>> {
        self.runtime.block_on(async {
            let mut set = JoinSet::new();
            for (i, r) in requests.iter().enumerate() {
                let request = r.clone();
                let shared = Arc::clone(&self.shared);
                set.spawn(async move { (i, shared.resolve_one(request).await) });
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

impl Shared {
    async fn resolve_one(&self, request: ImageRequest) -> Result<ResolvedImage, String> {
        let name = request.reference.clone();
        let reference: Reference = name
            .parse()
            .map_err(|e| format!("{name}: invalid reference: {e}"))?;
        let registry = reference.resolve_registry().to_string();
        let client = self.client(&registry, &request.platform);
        let mut pulled = client
            .pull_manifest_and_config_and_list_digest(&reference, &RegistryAuth::Anonymous)
            .await;
        if pulled.as_ref().is_err_and(refused) {
            if let Some(auth) = self.stored_auth(&registry) {
                pulled = client
                    .pull_manifest_and_config_and_list_digest(&reference, &auth)
                    .await;
            }
        }
        let (_manifest, digest, config, list_digest) =
            pulled.map_err(|e| format!("failed to resolve {name}: {e}"))?;
        Ok(ResolvedImage {
            reference: name,
            // The digest a user would pin: the index's when there is one.
            digest: list_digest.unwrap_or(digest),
            config: config.into_bytes(),
        })
    }

    /// The run's client for `registry`'s protocol and `platform`, made on first use.
    fn client(&self, registry: &str, platform: &Platform) -> Client {
        let protocol = protocol_for(registry);
        let http = matches!(protocol, ClientProtocol::Http);
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, c)) = clients.iter().find(|(h, p, _)| *h == http && p == platform) {
            return c.clone();
        }
        let client = Client::new(ClientConfig {
            protocol,
            platform_resolver: Some(Box::new(platform_resolver(platform.clone()))),
            ..ClientConfig::default()
        });
        clients.push((http, platform.clone(), client.clone()));
        client
    }

    /// Docker's stored credentials for `registry` (read once per run), if it has any.
    fn stored_auth(&self, registry: &str) -> Option<RegistryAuth> {
        let mut auth = self.auth.lock().unwrap_or_else(PoisonError::into_inner);
        let found = auth
            .entry(registry.to_string())
            .or_insert_with(|| credentials(registry));
        (*found != RegistryAuth::Anonymous).then(|| found.clone())
    }
}

/// Whether the registry refused anonymous access (then stored credentials may help).
fn refused(err: &OciDistributionError) -> bool {
    matches!(
        err,
        OciDistributionError::AuthenticationFailure(_)
            | OciDistributionError::UnauthorizedError { .. }
    ) || matches!(err, OciDistributionError::ServerError { code, .. } if *code == 401 || *code == 403)
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

/// Docker's stored credentials for `registry` (`~/.docker/config.json` and its helpers), else
/// anonymous.
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
