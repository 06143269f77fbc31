//! A typed wrapper over the generated `LLBBridge` client: the calls the
//! frontend makes, with BuildKit's capability rules applied.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use bollard_buildkit_proto::moby::buildkit::v1::apicaps::ApiCap;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::llb_bridge_client::LlbBridgeClient;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    CacheOptionsEntry, FileRange, PingRequest, ReadDirRequest, ReadFileRequest,
    ResolveImageConfigRequest, ResolveImageConfigResponse, WarnRequest,
};
use llb_gen::pb;
use prost::bytes::Bytes;
use prost::Message as _;
use tonic::transport::Channel;

use crate::options::CacheImport;
use crate::status::FrontendError;
use crate::wire;

/// How long the first `Ping` may take.
pub const PING_TIMEOUT: Duration = Duration::from_secs(15);

/// Gateway caps assumed when `Ping` lists none (frozen upstream).
const DEFAULT_CAPS: &[&str] = &[
    "solve.base",
    "solve.inlinereturn",
    "resolveimage",
    "readfile",
];

/// LLB caps assumed when `Ping` lists none (frozen upstream).
const DEFAULT_LLB_CAPS: &[&str] = &[
    "source.image",
    "source.local",
    "source.local.unique",
    "source.local.sessionid",
    "source.local.includepatterns",
    "source.local.followpaths",
    "source.local.excludepatterns",
    "source.local.sharedkeyhint",
    "source.git",
    "source.git.keepgitdir",
    "source.git.fullurl",
    "source.http",
    "source.http.checksum",
    "source.http.perm",
    "source.http.uidgid",
    "build.llb.filename",
    "exec.meta.base",
    "exec.meta.proxyenv",
    "exec.mount.bind",
    "exec.mount.cache",
    "exec.mount.cache.sharing",
    "exec.mount.selector",
    "exec.mount.tmpfs",
    "exec.mount.secret",
    "constraints",
    "platform",
    "meta.ignorecache",
    "meta.description",
    "meta.exportcache",
];

/// What the daemon supports. A cap counts only if listed and enabled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Caps {
    pub frontend: BTreeSet<String>,
    pub llb: BTreeSet<String>,
}

impl Caps {
    /// From the `Ping` answer; an absent list means the frozen defaults.
    pub fn from_ping(frontend: &[ApiCap], llb: &[ApiCap]) -> Self {
        Caps {
            frontend: cap_set(frontend, DEFAULT_CAPS),
            llb: cap_set(llb, DEFAULT_LLB_CAPS),
        }
    }

    pub fn has(&self, cap: &str) -> bool {
        self.frontend.contains(cap)
    }

    pub fn has_llb(&self, cap: &str) -> bool {
        self.llb.contains(cap)
    }
}

fn cap_set(listed: &[ApiCap], defaults: &[&str]) -> BTreeSet<String> {
    if listed.is_empty() {
        return defaults.iter().map(|s| s.to_string()).collect();
    }
    listed
        .iter()
        .filter(|c| c.enabled)
        .map(|c| c.id.clone())
        .collect()
}

/// One `Inputs` call.
async fn call_inputs(client: &LlbBridgeClient<Channel>) -> InputsAnswer {
    let started = Instant::now();
    let resp = client
        .clone()
        .inputs(bollard_buildkit_proto::moby::buildkit::v1::frontend::InputsRequest {})
        .await;
    tracing::debug!(ok = resp.is_ok(), ms = ms_since(started), "inputs");
    Ok(resp?.into_inner().definitions.into_iter().collect())
}

/// A solved reference: its id. The frontend's solves do not ask for the Definition back (a
/// `RefDeprecated` answer, see `solve_encoded`), and the `Return` names refs by id: BuildKit
/// reads nothing else of a returned ref (frontend/gateway/gateway.go, `Return`). Upstream's
/// frontend has both sent across again, 13 MB each way on 5,000 stages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SolvedRef {
    pub id: String,
}

/// The bridge client plus the caps learnt from `Ping`.
#[derive(Clone, Debug)]
pub struct Bridge {
    client: LlbBridgeClient<Channel>,
    /// The same connection, for the calls whose messages are crate::wire's.
    raw: wire::Client,
    pub caps: Caps,
    /// Product name for capability errors (`BUILDKIT_EXPORTEDPRODUCT`).
    pub product: String,
    /// The answer to the `Inputs` sent along with `Ping` (see `connect`).
    early_inputs: InputsAnswer,
}

/// What `Inputs` answered: input name -> Definition.
type InputsAnswer = Result<BTreeMap<String, pb::Definition>, tonic::Status>;

impl Bridge {
    /// `Ping` (15 s timeout) and remember the caps.
    pub async fn connect(
        client: LlbBridgeClient<Channel>,
        raw: wire::Client,
        product: String,
    ) -> Result<Self, FrontendError> {
        crate::timing::first_rpc();
        let started = Instant::now();
        // `Inputs` goes out with `Ping`, a round trip less before the Dockerfile's own solve:
        // whether the daemon has it (cap `frontend.inputs`) is only known from the `Ping`, so
        // its answer is used only then (`inputs`), and an error from a daemon without it is
        // dropped with the answer.
        let mut pinger = client.clone();
        let both = async { tokio::join!(pinger.ping(PingRequest {}), call_inputs(&client)) };
        let (pong, inputs) = tokio::time::timeout(PING_TIMEOUT, both)
            .await
            .map_err(|_| {
                FrontendError::internal("timed out waiting for BuildKit to answer Ping")
            })?;
        let pong = pong
            .map_err(|s| FrontendError::rpc("ping", s))?
            .into_inner();
        let caps = Caps::from_ping(&pong.frontend_api_caps, &pong.llb_caps);
        tracing::debug!(
            frontend_caps = caps.frontend.len(),
            llb_caps = caps.llb.len(),
            ms = ms_since(started),
            "ping"
        );
        Ok(Bridge {
            client,
            raw,
            caps,
            product,
            early_inputs: inputs,
        })
    }

    /// Fail naming `cap` unless the daemon supports this gateway cap.
    pub fn require(&self, cap: &str) -> Result<(), FrontendError> {
        if self.caps.has(cap) {
            Ok(())
        } else {
            Err(FrontendError::missing_cap(cap, &self.product))
        }
    }

    /// The frontend inputs of the request (`Inputs`, cap `frontend.inputs`):
    /// input name -> Definition.
    pub fn inputs(&self) -> InputsAnswer {
        if !self.caps.has("frontend.inputs") {
            return Ok(Default::default());
        }
        self.early_inputs.clone()
    }

    /// Run another frontend (`frontend`, e.g. `gateway.v0`) with these
    /// options and inputs; its whole result (refs and metadata).
    pub async fn solve_frontend(
        &self,
        frontend: &str,
        opts: BTreeMap<String, String>,
        inputs: BTreeMap<String, pb::Definition>,
    ) -> Result<wire::Result, tonic::Status> {
        let req = wire::SolveRequest {
            frontend: frontend.to_string(),
            frontend_opt: opts,
            frontend_inputs: inputs
                .into_iter()
                .map(|(k, d)| (k, d.encode_to_vec()))
                .collect(),
            allow_result_return: true,
            allow_result_array_ref: self.caps.has("proto.refarray"),
            ..wire::SolveRequest::default()
        };
        let started = Instant::now();
        let resp: Result<wire::SolveResponse, _> = wire::call(&self.raw, "Solve", req).await;
        tracing::debug!(
            ok = resp.is_ok(),
            ms = ms_since(started),
            frontend,
            "solve frontend"
        );
        let resp = resp?;
        // Old daemons answer with the bare ref id only.
        Ok(resp.result.unwrap_or_else(|| wire::Result {
            result: Some(wire::Refs::RefDeprecated(resp.r#ref)),
            ..wire::Result::default()
        }))
    }

    /// Solve a definition (lazily) into one ref. Refuses definitions whose
    /// metadata names an LLB cap the daemon lacks, like the Go client.
    pub async fn solve(
        &self,
        def: pb::Definition,
        cache_imports: &[CacheImport],
    ) -> Result<SolvedRef, FrontendError> {
        self.solve_with(def, cache_imports, false).await
    }

    /// `Solve` with `evaluate`: the definition is built now, not when its
    /// result is used (a stage that `REQUIRE` names: nothing uses it).
    /// BuildKit v0.8 has no such field and builds every solve at once.
    pub async fn solve_evaluated(
        &self,
        def: pb::Definition,
        cache_imports: &[CacheImport],
    ) -> Result<SolvedRef, FrontendError> {
        self.solve_with(def, cache_imports, true).await
    }

    /// `Solve`, with `evaluate` as given.
    pub async fn solve_with(
        &self,
        def: pb::Definition,
        cache_imports: &[CacheImport],
        evaluate: bool,
    ) -> Result<SolvedRef, FrontendError> {
        let caps: BTreeSet<String> = def
            .metadata
            .values()
            .flat_map(|md| md.caps.keys().cloned())
            .collect();
        let bytes = Bytes::from(def.encode_to_vec());
        self.solve_encoded(bytes, &caps, cache_imports, evaluate)
            .await
    }

    /// `Solve` of an encoded Definition whose metadata names `caps`. Refuses
    /// a cap the daemon lacks, like the Go client.
    pub async fn solve_encoded(
        &self,
        definition: Bytes,
        caps: &BTreeSet<String>,
        cache_imports: &[CacheImport],
        evaluate: bool,
    ) -> Result<SolvedRef, FrontendError> {
        self.require("solve.base")?;
        if let Some(cap) = caps.iter().find(|c| !self.caps.has_llb(c)) {
            return Err(FrontendError::missing_cap(cap, &self.product));
        }
        if definition.len() >= crate::malloc::RELEASE_BEFORE_BYTES {
            crate::malloc::release_free();
        }
        let req = wire::SolveRequest {
            definition: Some(definition),
            allow_result_return: true,
            // The answer is then the ref's id alone: with a `Ref` result BuildKit sends the
            // Definition back too (frontend/gateway/gateway.go, `Solve`), which nothing here
            // reads (see SolvedRef). The Return still uses `Ref` when the daemon has
            // `proto.refarray`: that cap is about the wire format only.
            allow_result_array_ref: false,
            evaluate,
            cache_imports: cache_imports
                .iter()
                .map(|c| CacheOptionsEntry {
                    r#type: c.kind.clone(),
                    attrs: c.attrs.clone().into_iter().collect(),
                })
                .collect(),
            ..wire::SolveRequest::default()
        };
        let started = Instant::now();
        let resp: Result<wire::SolveResponse, _> = wire::call(&self.raw, "Solve", req).await;
        tracing::debug!(ok = resp.is_ok(), ms = ms_since(started), "solve");
        let resp = resp.map_err(|s| FrontendError::rpc("", s))?;
        Ok(match resp.result.and_then(|r| r.result) {
            Some(wire::Refs::Ref(r)) => SolvedRef { id: r.id },
            Some(wire::Refs::RefDeprecated(id)) => SolvedRef { id },
            Some(_) => {
                return Err(FrontendError::internal(
                    "solve returned several refs for one definition",
                ))
            }
            None => SolvedRef { id: resp.r#ref },
        })
    }

    /// Read a whole file from a solved ref.
    pub async fn read_file(&self, reference: &str, path: &str) -> Result<Vec<u8>, tonic::Status> {
        self.read_file_head(reference, path, None).await
    }

    /// Read at most `max_len` bytes from the start of a file (`None`: the
    /// whole file). Bounding the read keeps a huge file from failing on
    /// the gRPC message limit, so the parser can report it with a location.
    pub async fn read_file_head(
        &self,
        reference: &str,
        path: &str,
        max_len: Option<usize>,
    ) -> Result<Vec<u8>, tonic::Status> {
        if !self.caps.has("readfile") {
            return Err(tonic::Status::unimplemented(format!(
                "requested feature readfile is not supported by {}",
                self.product
            )));
        }
        let req = ReadFileRequest {
            r#ref: reference.to_string(),
            file_path: path.to_string(),
            range: max_len.map(|len| FileRange {
                offset: 0,
                length: i64::try_from(len).unwrap_or(i64::MAX),
            }),
            ..ReadFileRequest::default()
        };
        let started = Instant::now();
        let resp = self.client.clone().read_file(req).await;
        tracing::debug!(path, ok = resp.is_ok(), ms = ms_since(started), "read_file");
        Ok(resp?.into_inner().data)
    }

    /// The names of the regular files (and symlinks) in `dir` of a solved
    /// ref that match `pattern`.
    pub async fn read_dir(
        &self,
        reference: &str,
        dir: &str,
        pattern: &str,
    ) -> Result<Vec<String>, tonic::Status> {
        if !self.caps.has("readdir") {
            return Err(tonic::Status::unimplemented(format!(
                "requested feature readdir is not supported by {}",
                self.product
            )));
        }
        let req = ReadDirRequest {
            r#ref: reference.to_string(),
            dir_path: if dir.is_empty() {
                ".".into()
            } else {
                dir.to_string()
            },
            include_pattern: pattern.to_string(),
            ..ReadDirRequest::default()
        };
        let resp = self.client.clone().read_dir(req).await?.into_inner();
        // Go's os.ModeDir.
        const MODE_DIR: u32 = 1 << 31;
        Ok(resp
            .entries
            .into_iter()
            .filter(|e| e.mode & MODE_DIR == 0)
            .map(|e| e.path.rsplit('/').next().unwrap_or(&e.path).to_string())
            .collect())
    }

    /// Resolve an image's config. `resolve_mode` is sent only when the
    /// daemon understands it.
    /// `oci_store`: (session, store id) of a client OCI layout store to
    /// resolve from instead of a registry (`resolver_type` 1).
    pub async fn resolve_image_config(
        &self,
        reference: &str,
        platform: pb::Platform,
        resolve_mode: &str,
        log_name: Option<&str>,
        oci_store: Option<(&str, &str)>,
    ) -> Result<ResolveImageConfigResponse, tonic::Status> {
        let mut req = ResolveImageConfigRequest {
            r#ref: reference.to_string(),
            platform: Some(platform),
            log_name: log_name.map_or_else(
                || format!("[internal] load metadata for {reference}"),
                str::to_string,
            ),
            ..ResolveImageConfigRequest::default()
        };
        if let Some((session, store)) = oci_store {
            req.resolver_type = 1;
            req.session_id = session.to_string();
            req.store_id = store.to_string();
        }
        if self.caps.has("resolveimage.resolvemode") {
            req.resolve_mode = resolve_mode.to_string();
        }
        let started = Instant::now();
        let resp = self.client.clone().resolve_image_config(req).await;
        tracing::debug!(
            reference,
            ok = resp.is_ok(),
            ms = ms_since(started),
            "resolve_image_config"
        );
        Ok(resp?.into_inner())
    }

    /// Attach a warning to a vertex (needs `gateway.warnings`; skipped
    /// silently otherwise, as upstream does).
    pub async fn warn(&self, req: WarnRequest) {
        if !self.caps.has("gateway.warnings") {
            return;
        }
        if let Err(e) = self.client.clone().warn(req).await {
            tracing::warn!("warn RPC failed: {}", e.message());
        }
    }

    /// The one final answer.
    pub async fn r#return(&self, req: wire::ReturnRequest) -> Result<(), tonic::Status> {
        let started = Instant::now();
        let resp = wire::send_return(&self.raw, req).await;
        tracing::debug!(ok = resp.is_ok(), ms = ms_since(started), "return");
        resp.map(|_| ())
    }
}

/// Milliseconds since `started`, for the debug-level RPC timings (`FRONTEND_LOG=debug`; the
/// log lines' own timestamps place each call on the build's timeline).
fn ms_since(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// `pb::Platform` from ours.
pub fn pb_platform(p: &llb_gen::convert::Platform) -> pb::Platform {
    pb::Platform {
        architecture: p.architecture.clone(),
        os: p.os.clone(),
        variant: p.variant.clone().unwrap_or_default(),
        os_version: p.os_version.clone().unwrap_or_default(),
        os_features: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(id: &str, enabled: bool) -> ApiCap {
        ApiCap {
            id: id.into(),
            enabled,
            ..ApiCap::default()
        }
    }

    #[test]
    fn caps_count_only_when_enabled() {
        let caps = Caps::from_ping(
            &[cap("return", true), cap("proto.refarray", false)],
            &[cap("mergeop", true)],
        );
        assert!(caps.has("return"));
        assert!(!caps.has("proto.refarray"));
        assert!(caps.has_llb("mergeop"));
        assert!(!caps.has_llb("source.local"));
    }

    #[test]
    fn absent_lists_mean_frozen_defaults() {
        let caps = Caps::from_ping(&[], &[]);
        assert!(caps.has("readfile") && caps.has("solve.base"));
        assert!(!caps.has("return"));
        assert_eq!(caps.llb.len(), 29);
        assert!(caps.has_llb("source.local.followpaths"));
    }
}
