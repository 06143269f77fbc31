//! The online image resolver of the CLI: fetches image configs from
//! registries like `docker pull` does (HTTPS with anonymous token auth, or
//! the credentials of Docker's `config.json`; plain HTTP only for registries
//! on `localhost` / `127.0.0.1`).
//!
//! Built on `oci-client` (maintained, used by Krustlet/wasmCloud/sigstore)
//! and `docker_credential` (reads `~/.docker/config.json` and credential
//! helpers). Its async calls run in a small tokio runtime owned by the CLI;
//! the library stays free of I/O and async.
//!
//! A plain-HTTP registry is first asked with anonymous GETs over `hyper`
//! (manifest or index, the platform's manifest, the config, each checked
//! against its digest): no TLS set-up and no parse of the name with
//! oci-client's regex, the two fixed costs of the online mode (issue 15,
//! docs/performance-history.md, "The online CLI"). Anything else it answers
//! goes through oci-client.
//! The name `localhost` is not looked up either ([`Loopback`]): the system
//! resolver ran on one new thread per image and took about 4 ms of a run.
//!
//! The runtime (current-thread) is driven from the main thread, and moves to a thread of its own
//! only when the converter goes on without an answer ([`driver`]). Resolutions start before the
//! converter asks ([`RegistryResolver::prefetch`], the `FROM` lines' literal images). Image
//! configs are kept on disk by digest ([`cache`]), so that a run whose tags have not moved asks
//! each registry only what its tags point to; when that answer is late, the config of the digest
//! the tag had last time is taken meanwhile, and confirmed before any output ([`guess`]).

mod cache;
mod driver;
mod guess;
mod pipeline;

use std::collections::BTreeMap;
use std::future::{ready, Ready};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sha2::{Digest as _, Sha256};

use llb_gen::convert::{ImageRequest, ImageResolver, Platform, ResolvedImage};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::manifest::ImageIndexEntry;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use tokio::task::{JoinHandle, JoinSet};

use cache::ConfigCache;

/// Resolves every request of a round concurrently, with one HTTP client per protocol and
/// platform for the whole run (building an `oci-client` client loads the system's CA
/// certificates, twice: it cost about 30 ms per image when every image had its own) and Docker's
/// stored credentials read only for a registry that refused anonymous access.
pub(crate) struct RegistryResolver {
    /// The runtime that runs every resolution, and where it runs.
    driver: driver::Driver,
    shared: Arc<Shared>,
    /// Resolutions started before the converter asked, by reference and platform.
    prefetched: Mutex<Vec<(String, Platform, Prefetch)>>,
    /// Answers taken from the cache while their prefetch still ran, to be confirmed.
    guesses: guess::Guesses,
}

type Prefetch = JoinHandle<Result<ResolvedImage, String>>;

/// The answer to an image's first manifest GET, coming from a pipeline of the prefetch
/// ([`pipeline`]); `None` when the pipeline did not get it (then it is asked the usual way).
type Early = tokio::sync::oneshot::Receiver<Option<pipeline::Got>>;

/// What the concurrent resolutions of a run share.
#[derive(Default)]
struct Shared {
    /// Clients by (plain HTTP?, platform): a run has one platform, so at most two.
    clients: Mutex<Vec<(bool, Platform, Client)>>,
    /// Credentials by registry, read on the first refusal.
    auth: Mutex<BTreeMap<String, RegistryAuth>>,
    /// Anonymous GETs to plain-HTTP registries, made on first use.
    plain: Mutex<Option<PlainClient>>,
    /// Image configs by digest and platform, unless the cache is off.
    cache: Option<ConfigCache>,
}

type PlainClient = hyper_util::client::legacy::Client<HttpConnector<Loopback>, Empty<Bytes>>;

/// The addresses of the one name a plain-HTTP registry can have besides an IP address
/// ([`protocol_for`]): `localhost` is 127.0.0.1, else ::1 (the connector tries them in this
/// order, with the URL's port). IP addresses never reach a resolver.
#[derive(Clone, Copy, Debug)]
struct Loopback;

impl Loopback {
    /// `localhost`'s addresses with `port`, in the order they are tried.
    fn addrs(port: u16) -> [SocketAddr; 2] {
        [
            SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            SocketAddr::from((Ipv6Addr::LOCALHOST, port)),
        ]
    }
}

impl tower_service::Service<Name> for Loopback {
    type Response = std::array::IntoIter<SocketAddr, 2>;
    type Error = std::io::Error;
    type Future = Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        ready(if name.as_str().eq_ignore_ascii_case("localhost") {
            Ok(Loopback::addrs(0).into_iter())
        } else {
            Err(std::io::Error::other(format!(
                "{}: not a loopback registry",
                name.as_str()
            )))
        })
    }
}

impl RegistryResolver {
    /// A resolver with the on-disk config cache of the environment ([`cache`]) when `cache`.
    pub(crate) fn new(cache: bool) -> Result<Self, String> {
        let shared = Shared {
            cache: cache.then(ConfigCache::from_env).flatten(),
            ..Shared::default()
        };
        Ok(RegistryResolver {
            driver: driver::Driver::new()?,
            shared: Arc::new(shared),
            prefetched: Mutex::default(),
            guesses: guess::Guesses::default(),
        })
    }

    /// Starts resolving `references` (normalized) for `platform` now, anonymously, while the
    /// caller goes on: the requests go out in the few polls made here, their answers are read
    /// when the runtime is next driven. A later request for the same reference and platform takes
    /// the answer if it succeeded; a failed one is asked again as usual (with stored credentials
    /// if the registry wants them), and its error is the one reported.
    pub(crate) fn prefetch(&self, references: &[String], platform: &Platform) {
        let mut prefetched = self
            .prefetched
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let firsts = self.pipelines(references, platform);
        for (reference, first) in references.iter().zip(firsts) {
            let shared = Arc::clone(&self.shared);
            let (name, p) = (reference.clone(), platform.clone());
            let task = self
                .driver
                .spawn(async move { shared.resolve_one(name, &p, true, first).await });
            prefetched.push((reference.clone(), platform.clone(), task));
        }
        drop(prefetched);
        // The connections and requests go out in these few polls.
        self.driver.catch_up();
    }

    /// The first manifest GETs of `references` (in their order) by tag on plain-HTTP
    /// registries: started now, one connection per registry, each with the digest its tag had
    /// last time ([`pipeline`]).
    fn pipelines(&self, references: &[String], platform: &Platform) -> Vec<Option<Early>> {
        let mut firsts: Vec<Option<Early>> = references.iter().map(|_| None).collect();
        let mut by_host: BTreeMap<&str, Vec<(usize, pipeline::Get)>> = BTreeMap::new();
        let cache = self.shared.cache.as_ref();
        for (i, reference) in references.iter().enumerate() {
            let Some((host, repository, wanted)) = split_plain(reference) else {
                continue;
            };
            if wanted.starts_with("sha256:") {
                continue; // pinned: a cached config needs no request (`Shared::plain_resolve`)
            }
            let get = pipeline::Get {
                path: format!("/v2/{repository}/manifests/{wanted}"),
                known: cache.and_then(|c| c.last_digest(reference, platform)),
            };
            by_host.entry(host).or_default().push((i, get));
        }
        for (host, gets) in by_host {
            let mut senders = Vec::with_capacity(gets.len());
            let mut all = Vec::with_capacity(gets.len());
            for (i, get) in gets {
                let (tx, rx) = tokio::sync::oneshot::channel();
                if let Some(slot) = firsts.get_mut(i) {
                    *slot = Some(rx);
                }
                senders.push(tx);
                all.push(get);
            }
            let host = host.to_string();
            self.driver.spawn(async move {
                let answers = pipeline::get_all(&host, &all, MANIFEST_TYPES).await;
                for (tx, got) in senders.into_iter().zip(answers) {
                    _ = tx.send(got);
                }
            });
        }
        firsts
    }

    /// The prefetch of `request`, if one was started (taken: it answers once).
    fn take_prefetch(&self, request: &ImageRequest) -> Option<Prefetch> {
        if request.oci_store.is_some() {
            return None;
        }
        let mut prefetched = self
            .prefetched
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let i = prefetched
            .iter()
            .position(|(r, p, _)| *r == request.reference && *p == request.platform)?;
        Some(prefetched.swap_remove(i).2)
    }
}

impl Drop for RegistryResolver {
    /// Prefetches nobody asked for are dropped with the run, not waited for.
    fn drop(&mut self) {
        let prefetched = self
            .prefetched
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        for (_, _, task) in prefetched.drain(..) {
            task.abort();
        }
    }
}

impl ImageResolver for RegistryResolver {
    fn resolve(&self, requests: &[ImageRequest]) -> Vec<Result<ResolvedImage, String>> {
        let mut out: Vec<Result<ResolvedImage, String>> = requests
            .iter()
            .map(|r| Err(format!("{}: not resolved", r.reference)))
            .collect();
        let mut asked = Vec::new();
        // Answers that came while the converter worked finish their prefetches first: only those
        // still out are guessed.
        self.driver.catch_up();
        for (i, r) in requests.iter().enumerate() {
            let early = self.take_prefetch(r);
            match self.guess(r, early) {
                Ok(image) => {
                    if let Some(slot) = out.get_mut(i) {
                        *slot = Ok(image);
                    }
                }
                Err(early) => asked.push((i, r, early)),
            }
        }
        self.driver.block_on(async {
            let mut set = JoinSet::new();
            for (i, r, early) in asked {
                let (name, platform) = (r.reference.clone(), r.platform.clone());
                let shared = Arc::clone(&self.shared);
                set.spawn(async move { (i, shared.settle(early, name, &platform).await) });
            }
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
    /// The answer for `name` the converter gets: its prefetch's, if there was one and it
    /// succeeded; else resolved now, with stored credentials if the registry wants them.
    async fn settle(
        &self,
        prefetch: Option<Prefetch>,
        name: String,
        platform: &Platform,
    ) -> Result<ResolvedImage, String> {
        if let Some(task) = prefetch {
            if let Ok(Ok(image)) = task.await {
                return Ok(image);
            }
        }
        self.resolve_one(name, platform, false, None).await
    }

    /// Resolves `name` for `platform`; with `anonymous_only`, a registry's refusal is the
    /// answer (stored credentials are read only for an image the converter asked for). The
    /// digest found is remembered as `name`'s last (a later run's guess, [`guess`]). `first`:
    /// the answer to its first GET, when a pipeline asked.
    async fn resolve_one(
        &self,
        name: String,
        platform: &Platform,
        anonymous_only: bool,
        first: Option<Early>,
    ) -> Result<ResolvedImage, String> {
        let resolved = self
            .resolve_fresh(name, platform, anonymous_only, first)
            .await;
        if let (Some(cache), Ok(image)) = (&self.cache, &resolved) {
            cache.remember(&image.reference, platform, &image.digest);
        }
        resolved
    }

    /// [`Shared::resolve_one`], without the record of the digest.
    async fn resolve_fresh(
        &self,
        name: String,
        platform: &Platform,
        anonymous_only: bool,
        first: Option<Early>,
    ) -> Result<ResolvedImage, String> {
        // Before `Reference`: oci-client parses it with a regex whose first use costs tens of
        // milliseconds and megabytes; a loopback registry's name is split by hand.
        if let Some((host, repository, wanted)) = split_plain(&name) {
            if let Some((digest, config)) = self
                .plain_resolve(host, repository, wanted, platform, first)
                .await
            {
                return Ok(ResolvedImage {
                    reference: name,
                    digest,
                    config,
                });
            }
            if anonymous_only {
                // Early: what the plain GETs did not resolve waits for the converter's request.
                return Err(format!("{name}: not resolved early"));
            }
        }
        let reference: Reference = name
            .parse()
            .map_err(|e| format!("{name}: invalid reference: {e}"))?;
        let registry = reference.resolve_registry().to_string();
        let client = self.client(&registry, platform);
        if let Some(cache) = &self.cache {
            // What the reference points to now (a HEAD; none when pinned), then the cache.
            let digest = match reference.digest() {
                Some(d) => Some(d.to_string()),
                None => {
                    self.head_digest(&client, &reference, &registry, anonymous_only)
                        .await
                }
            };
            if let Some((digest, config)) =
                digest.and_then(|d| cache.get(&d, platform).map(|c| (d, c)))
            {
                return Ok(ResolvedImage {
                    reference: name,
                    digest,
                    config,
                });
            }
        }
        let mut pulled = client
            .pull_manifest_and_config_and_list_digest(&reference, &RegistryAuth::Anonymous)
            .await;
        if !anonymous_only && pulled.as_ref().is_err_and(refused) {
            if let Some(auth) = self.stored_auth(&registry) {
                pulled = client
                    .pull_manifest_and_config_and_list_digest(&reference, &auth)
                    .await;
            }
        }
        let (_manifest, digest, config, list_digest) =
            pulled.map_err(|e| format!("failed to resolve {name}: {e}"))?;
        // The digest a user would pin: the index's when there is one.
        let digest = list_digest.unwrap_or(digest);
        let config = config.into_bytes();
        if let Some(cache) = &self.cache {
            cache.put(&digest, platform, &config);
        }
        Ok(ResolvedImage {
            reference: name,
            digest,
            config,
        })
    }

    /// The digest `reference`'s tag points to now (oci-client's HEAD of the manifest, anonymous,
    /// then with stored credentials unless `anonymous_only`); `None` when that fails (the pull
    /// that follows reports).
    async fn head_digest(
        &self,
        client: &Client,
        reference: &Reference,
        registry: &str,
        anonymous_only: bool,
    ) -> Option<String> {
        match client
            .fetch_manifest_digest(reference, &RegistryAuth::Anonymous)
            .await
        {
            Ok(d) => Some(d),
            Err(e) if !anonymous_only && refused(&e) => {
                let auth = self.stored_auth(registry)?;
                client.fetch_manifest_digest(reference, &auth).await.ok()
            }
            Err(_) => None,
        }
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

impl Shared {
    /// An image config from a plain-HTTP registry by anonymous GETs: the digest a user would pin
    /// (the index's when there is one) and the config's bytes, each checked against its digest.
    /// `None` when the registry wants anything else (authentication, a redirect, an unknown
    /// manifest type, no entry for the platform): then oci-client resolves it, and reports.
    async fn plain_resolve(
        &self,
        host: &str,
        repository: &str,
        wanted: &str,
        platform: &Platform,
        first: Option<Early>,
    ) -> Option<(String, Vec<u8>)> {
        let http = {
            let mut slot = self.plain.lock().unwrap_or_else(PoisonError::into_inner);
            slot.get_or_insert_with(|| {
                hyper_util::client::legacy::Client::builder(TokioExecutor::new())
                    .build(HttpConnector::new_with_resolver(Loopback))
            })
            .clone()
        };
        let cache = self.cache.as_ref();
        // Pinned by digest: a cached config needs no request at all.
        if wanted.starts_with("sha256:") {
            if let Some(config) = cache.and_then(|c| c.get(wanted, platform)) {
                return Some((wanted.to_string(), config));
            }
        }
        let base = format!("http://{host}/v2/{repository}");
        // The digest a user would pin: the index's when there is one, else the manifest's.
        let early = match first {
            Some(rx) => rx.await.ok().flatten(),
            None => None,
        };
        // The tag still points to the digest it had last time: that digest's config, if kept.
        if let Some(pipeline::Got::Known(digest)) = &early {
            if let Some(config) = cache.and_then(|c| c.get(digest, platform)) {
                return Some((digest.clone(), config));
            }
        }
        let (top, top_digest) = get_manifest(&http, &base, wanted, early).await?;
        if let Some(config) = cache.and_then(|c| c.get(&top_digest, platform)) {
            return Some((top_digest, config));
        }
        let manifest = match top.get("manifests") {
            Some(entries) => {
                let digest = pick_platform(entries, platform)?;
                get_manifest(&http, &base, &digest, None).await?.0
            }
            None => top,
        };
        let config_digest = manifest.get("config")?.get("digest")?.as_str()?;
        let config = get_verified(
            &http,
            &format!("{base}/blobs/{config_digest}"),
            None,
            config_digest,
        )
        .await?;
        if let Some(c) = cache {
            c.put(&top_digest, platform, &config);
        }
        Some((top_digest, config))
    }
}

/// `host/repository[:tag][@digest]` of a plain-HTTP registry (see [`protocol_for`]) as host,
/// repository and the digest, else the tag, else `latest`; `None` for any other registry.
fn split_plain(name: &str) -> Option<(&str, &str, &str)> {
    let (host, rest) = name.split_once('/')?;
    if !matches!(protocol_for(host), ClientProtocol::Http) {
        return None;
    }
    let (named, digest) = match rest.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (rest, None),
    };
    let last_slash = named.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match named[last_slash..].rfind(':') {
        Some(i) => (&named[..last_slash + i], Some(&named[last_slash + i + 1..])),
        None => (named, None),
    };
    if repository.is_empty() {
        return None;
    }
    Some((host, repository, digest.or(tag).unwrap_or("latest")))
}

/// Accepted manifest types: OCI and Docker, single-platform and multi-platform.
const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// A manifest (or index) as JSON and the digest of its bytes (checked when `wanted` is one):
/// the body a pipeline got (`early`), else GET now.
async fn get_manifest(
    http: &PlainClient,
    base: &str,
    wanted: &str,
    early: Option<pipeline::Got>,
) -> Option<(serde_json::Value, String)> {
    let expect = wanted.starts_with("sha256:").then_some(wanted);
    let body = match early {
        Some(pipeline::Got::Body(body)) if expect.is_none_or(|d| sha256_digest(&body) == d) => body,
        Some(pipeline::Got::Refused) => return None,
        _ => {
            let url = format!("{base}/manifests/{wanted}");
            get_verified(http, &url, Some(MANIFEST_TYPES), expect.unwrap_or("")).await?
        }
    };
    let digest = sha256_digest(&body);
    let json = serde_json::from_slice(&body).ok()?;
    Some((json, digest))
}

/// The body of a 200 answer to a GET, whose sha256 digest must be `digest` (unless empty).
async fn get_verified(
    http: &PlainClient,
    url: &str,
    accept: Option<&str>,
    digest: &str,
) -> Option<Vec<u8>> {
    let mut req = hyper::Request::get(url);
    if let Some(a) = accept {
        req = req.header(hyper::header::ACCEPT, a);
    }
    let resp = http.request(req.body(Empty::new()).ok()?).await.ok()?;
    if resp.status() != hyper::StatusCode::OK {
        return None;
    }
    let body = resp.into_body().collect().await.ok()?.to_bytes().to_vec();
    (digest.is_empty() || sha256_digest(&body) == digest).then_some(body)
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// The digest of the index entry for `want`, by the same rule as [`platform_resolver`].
fn pick_platform(entries: &serde_json::Value, want: &Platform) -> Option<String> {
    let field = |e: &serde_json::Value, k: &str| {
        e.get("platform")
            .and_then(|p| p.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    entries
        .as_array()?
        .iter()
        .find(|e| {
            field(e, "os").as_deref() == Some(want.os.as_str())
                && field(e, "architecture").as_deref() == Some(want.architecture.as_str())
                && match (&want.variant, field(e, "variant")) {
                    (Some(a), Some(b)) => *a == b,
                    _ => true,
                }
        })
        .and_then(|e| e.get("digest")?.as_str().map(str::to_string))
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

#[cfg(test)]
mod tests {
    use super::{split_plain, Loopback};
    use std::future::Future as _;
    use std::net::SocketAddr;
    use std::pin::pin;
    use std::str::FromStr as _;
    use std::task::{Context, Poll, Waker};
    use tower_service::Service as _;

    fn resolve(name: &str) -> Result<Vec<SocketAddr>, String> {
        let name = super::Name::from_str(name).map_err(|e| e.to_string())?;
        let fut = pin!(Loopback.call(name));
        match fut.poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(r) => r.map(Iterator::collect).map_err(|e| e.to_string()),
            Poll::Pending => Err("pending".into()),
        }
    }

    #[test]
    fn localhost_is_both_loopback_addresses_without_a_lookup() {
        let want: Vec<SocketAddr> =
            vec!["127.0.0.1:0".parse().unwrap(), "[::1]:0".parse().unwrap()];
        assert_eq!(resolve("localhost"), Ok(want.clone()));
        assert_eq!(resolve("LocalHost"), Ok(want));
        assert!(resolve("registry.example.com").is_err());
    }

    #[test]
    fn loopback_names_split_by_hand() {
        let cases = [
            (
                "localhost:5000/alpine:3.20",
                Some(("localhost:5000", "alpine", "3.20")),
            ),
            (
                "127.0.0.1:5000/a/b",
                Some(("127.0.0.1:5000", "a/b", "latest")),
            ),
            (
                "localhost/a/b:1@sha256:00ff",
                Some(("localhost", "a/b", "sha256:00ff")),
            ),
            (
                "localhost:5000/x@sha256:ab",
                Some(("localhost:5000", "x", "sha256:ab")),
            ),
            ("docker.io/library/alpine:3.20", None),
            ("registry.example.com:5000/a:1", None),
            ("localhost:5000/:1", None),
            ("alpine", None),
        ];
        for (name, want) in cases {
            assert_eq!(split_plain(name), want, "{name}");
        }
    }
}
