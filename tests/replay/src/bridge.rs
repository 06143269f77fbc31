//! The fake `LLBBridge` of the replay: answers any frontend from a [`Recording`], generically
//! (files by path whatever local they are read through, image configs by reference through
//! `ResolveImageConfig` or `ResolveSourceMeta`), and keeps what the frontend asked so that the
//! run can be checked ([`crate::verify`]). Nothing it does depends on which frontend asks.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use bollard_buildkit_proto::moby::buildkit::v1::apicaps::ApiCap;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::llb_bridge_server::LlbBridge;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::*;
use bollard_buildkit_proto::moby::buildkit::v1::types::WorkerRecord;
use bollard_buildkit_proto::pb;
use prost::bytes::Bytes;
use tonic::{Request, Response, Status};

use crate::recording::Recording;

/// Gateway caps a current BuildKit (v0.29) announces that either frontend looks at.
const FRONTEND_CAPS: &[&str] = &[
    "solve.base",
    "solve.inlinereturn",
    "resolveimage",
    "resolveimage.resolvemode",
    "readfile",
    "return",
    "returnmap",
    "readdir",
    "statfile",
    "importcaches",
    "proto.refarray",
    "reference.output",
    "frontend.inputs",
    "gateway.solve.metadata",
    "frontend.caps",
    "gateway.solve.evaluate",
    "gateway.evaluate",
    "gateway.warnings",
    "source.metaresolver",
];

/// LLB caps of a current BuildKit (everything either frontend emits for the recorded builds).
const LLB_CAPS: &[&str] = &[
    "source.image",
    "source.image.resolvemode",
    "source.image.layerlimit",
    "source.local",
    "source.local.unique",
    "source.local.sessionid",
    "source.local.includepatterns",
    "source.local.followpaths",
    "source.local.excludepatterns",
    "source.local.sharedkeyhint",
    "source.local.differ",
    "source.local.metatransfer",
    "source.git",
    "source.git.keepgitdir",
    "source.git.fullurl",
    "source.http",
    "source.http.checksum",
    "exec.meta.base",
    "exec.meta.proxyenv",
    "exec.meta.network",
    "exec.meta.security",
    "exec.meta.setsecret",
    "exec.meta.ulimit",
    "exec.meta.cgroup.parent",
    "exec.meta.removemountstubs",
    "exec.mount.bind",
    "exec.mount.bind.readwrite-nooutput",
    "exec.mount.cache",
    "exec.mount.cache.sharing",
    "exec.mount.selector",
    "exec.mount.tmpfs",
    "exec.mount.tmpfs.size",
    "exec.mount.secret",
    "exec.mount.ssh",
    "exec.secretenv",
    "exec.cgroup.parent",
    "exec.validexitcodes",
    "file.base",
    "file.copy.includeexcludepatterns",
    "file.rm.nolink",
    "file.copy.alwaysreplaceexistingdestpaths",
    "file.copy.modestring",
    "file.copy.requiredpaths",
    "mergeop",
    "diffop",
    "constraints",
    "platform",
    "meta.ignorecache",
    "meta.description",
    "meta.exportcache",
    "sourcemap",
];

/// What the frontend did, for the checks after the run.
#[derive(Debug, Default)]
pub struct Log {
    /// RPC name -> how many calls.
    pub counts: BTreeMap<&'static str, usize>,
    /// Every Solve's definition (its protobuf bytes), by the ref id it was answered with.
    pub solved: BTreeMap<String, Bytes>,
    /// The Return requests (a correct frontend sends exactly one).
    pub returns: Vec<ReturnRequest>,
    /// What was asked and not in the recording (a file or an image).
    pub misses: Vec<String>,
}

/// The bridge; clones share one recording and one log.
#[derive(Clone)]
pub struct ReplayBridge {
    recording: Arc<Recording>,
    log: Arc<Mutex<Log>>,
}

impl ReplayBridge {
    /// A bridge answering from `recording`.
    pub fn new(recording: Recording) -> Self {
        ReplayBridge {
            recording: Arc::new(recording),
            log: Arc::new(Mutex::new(Log::default())),
        }
    }

    /// The log so far (taken after the run).
    pub fn log(&self) -> Arc<Mutex<Log>> {
        self.log.clone()
    }

    fn with_log<T>(&self, f: impl FnOnce(&mut Log) -> T) -> T {
        f(&mut self.log.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn count(&self, rpc: &'static str) {
        self.with_log(|log| *log.counts.entry(rpc).or_default() += 1);
    }

    /// A `Solve` of `def` (the encoded Definition): logged under a new ref id, which is answered
    /// with the Definition echoed when the frontend allows a `Ref` result (as BuildKit answers,
    /// frontend/gateway/gateway.go, `Solve`), else alone. The bytes are decoded only by the
    /// checks after the run: the frontend does not wait for it.
    pub(crate) fn solve_raw(
        &self,
        frontend: &str,
        def: Bytes,
        echo: bool,
    ) -> std::result::Result<(String, Option<Bytes>), Status> {
        self.count("Solve");
        if !frontend.is_empty() {
            return Err(self.miss(format!("Solve of the frontend {frontend}")));
        }
        let echoed = echo.then(|| def.clone());
        let id = self.with_log(|log| {
            let id = format!("ref-{}", log.solved.len() + 1);
            log.solved.insert(id.clone(), def);
            id
        });
        Ok((id, echoed))
    }

    fn miss(&self, what: String) -> Status {
        self.with_log(|log| log.misses.push(what.clone()));
        Status::not_found(what)
    }

    /// The config answer for an image reference, or a miss.
    fn image(&self, reference: &str) -> std::result::Result<(String, Vec<u8>), Status> {
        match self.recording.image(reference) {
            Some(img) => Ok((img.digest.clone(), img.config.as_bytes().to_vec())),
            None => Err(self.miss(format!("image {reference}: not in the recording"))),
        }
    }

    fn file(&self, path: &str) -> std::result::Result<&str, Status> {
        let path = path.trim_start_matches("./").trim_start_matches('/');
        match self.recording.files.get(path) {
            Some(text) => Ok(text),
            None => Err(Status::not_found(format!(
                "open {path}: no such file or directory"
            ))),
        }
    }
}

fn caps<S: AsRef<str>>(list: &[S]) -> Vec<ApiCap> {
    list.iter()
        .map(|id| ApiCap {
            id: id.as_ref().to_string(),
            enabled: true,
            ..ApiCap::default()
        })
        .collect()
}

fn worker() -> WorkerRecord {
    WorkerRecord {
        id: "replay".into(),
        platforms: vec![pb::Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

type Answer<T> = std::result::Result<Response<T>, Status>;

fn unimplemented<T>(rpc: &str) -> Answer<T> {
    Err(Status::unimplemented(format!(
        "{rpc}: not part of a replay"
    )))
}

#[tonic::async_trait]
impl LlbBridge for ReplayBridge {
    async fn ping(&self, _: Request<PingRequest>) -> Answer<PongResponse> {
        self.count("Ping");
        let (frontend_api_caps, llb_caps) = match &self.recording.caps {
            Some(recorded) => (caps(&recorded.frontend), caps(&recorded.llb)),
            None => (caps(FRONTEND_CAPS), caps(LLB_CAPS)),
        };
        Ok(Response::new(PongResponse {
            frontend_api_caps,
            llb_caps,
            workers: vec![worker()],
        }))
    }

    async fn resolve_image_config(
        &self,
        request: Request<ResolveImageConfigRequest>,
    ) -> Answer<ResolveImageConfigResponse> {
        self.count("ResolveImageConfig");
        let req = request.into_inner();
        let (digest, config) = self.image(&req.r#ref)?;
        Ok(Response::new(ResolveImageConfigResponse {
            digest,
            config,
            r#ref: req.r#ref,
        }))
    }

    async fn resolve_source_meta(
        &self,
        request: Request<ResolveSourceMetaRequest>,
    ) -> Answer<ResolveSourceMetaResponse> {
        self.count("ResolveSourceMeta");
        let req = request.into_inner();
        let source = req.source.unwrap_or_default();
        let Some(reference) = source.identifier.strip_prefix("docker-image://") else {
            return Err(self.miss(format!(
                "source {}: not in the recording",
                source.identifier
            )));
        };
        let (digest, config) = self.image(reference)?;
        Ok(Response::new(ResolveSourceMetaResponse {
            source: Some(source),
            image: Some(ResolveSourceImageResponse {
                digest,
                config,
                attestation_chain: None,
            }),
            ..Default::default()
        }))
    }

    async fn solve(&self, _: Request<SolveRequest>) -> Answer<SolveResponse> {
        // The harness serves `Solve` with crate::raw_solve::BridgeService, which never hands it
        // to the generated server; a server built otherwise is told so.
        Err(Status::internal(
            "the replay bridge serves Solve through raw_solve::BridgeService",
        ))
    }

    async fn read_file(&self, request: Request<ReadFileRequest>) -> Answer<ReadFileResponse> {
        self.count("ReadFile");
        let req = request.into_inner();
        let data = self.file(&req.file_path)?.as_bytes();
        let data = match req.range {
            Some(r) => {
                let lo = usize::try_from(r.offset)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                let len = usize::try_from(r.length).unwrap_or(usize::MAX);
                &data[lo..lo.saturating_add(len).min(data.len())]
            }
            None => data,
        };
        Ok(Response::new(ReadFileResponse {
            data: data.to_vec(),
        }))
    }

    async fn read_dir(&self, request: Request<ReadDirRequest>) -> Answer<ReadDirResponse> {
        self.count("ReadDir");
        let req = request.into_inner();
        let entries = testkit::gateway::dir_entries(
            self.recording.files.keys().map(String::as_str),
            &req.dir_path,
        );
        Ok(Response::new(ReadDirResponse { entries }))
    }

    async fn stat_file(&self, request: Request<StatFileRequest>) -> Answer<StatFileResponse> {
        self.count("StatFile");
        let req = request.into_inner();
        let text = self.file(&req.path)?;
        Ok(Response::new(StatFileResponse {
            stat: Some(bollard_buildkit_proto::fsutil::types::Stat {
                path: req.path,
                mode: 0o644,
                size: i64::try_from(text.len()).unwrap_or(i64::MAX),
                ..Default::default()
            }),
        }))
    }

    async fn evaluate(&self, _: Request<EvaluateRequest>) -> Answer<EvaluateResponse> {
        self.count("Evaluate");
        Ok(Response::new(EvaluateResponse {}))
    }

    async fn r#return(&self, request: Request<ReturnRequest>) -> Answer<ReturnResponse> {
        self.count("Return");
        let req = request.into_inner();
        let first = self.with_log(|log| {
            log.returns.push(req);
            log.returns.len() == 1
        });
        if first {
            Ok(Response::new(ReturnResponse {}))
        } else {
            Err(Status::failed_precondition("gateway result is already set"))
        }
    }

    async fn inputs(&self, _: Request<InputsRequest>) -> Answer<InputsResponse> {
        self.count("Inputs");
        Ok(Response::new(InputsResponse::default()))
    }

    async fn warn(&self, _: Request<WarnRequest>) -> Answer<WarnResponse> {
        self.count("Warn");
        Ok(Response::new(WarnResponse {}))
    }

    async fn new_container(&self, _: Request<NewContainerRequest>) -> Answer<NewContainerResponse> {
        unimplemented("NewContainer")
    }

    async fn release_container(
        &self,
        _: Request<ReleaseContainerRequest>,
    ) -> Answer<ReleaseContainerResponse> {
        unimplemented("ReleaseContainer")
    }

    type ExecProcessStream = tokio_stream::Empty<std::result::Result<ExecMessage, Status>>;

    async fn exec_process(
        &self,
        _: Request<tonic::Streaming<ExecMessage>>,
    ) -> Answer<Self::ExecProcessStream> {
        unimplemented("ExecProcess")
    }

    async fn read_file_container(&self, _: Request<ReadFileRequest>) -> Answer<ReadFileResponse> {
        unimplemented("ReadFileContainer")
    }

    async fn read_dir_container(&self, _: Request<ReadDirRequest>) -> Answer<ReadDirResponse> {
        unimplemented("ReadDirContainer")
    }

    async fn stat_file_container(&self, _: Request<StatFileRequest>) -> Answer<StatFileResponse> {
        unimplemented("StatFileContainer")
    }
}
