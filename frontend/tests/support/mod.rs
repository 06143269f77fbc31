//! A fake `LLBBridge` server that runs the real `frontend` binary as a child
//! process, exactly as BuildKit does: gRPC (HTTP/2, prior knowledge) over the
//! child's stdout (we read) and stdin (we write), options in
//! `BUILDKIT_FRONTEND_OPT_<n>` variables.
//!
//! It records every call, serves `ReadFile` from in-memory files per local,
//! answers `ResolveImageConfig` from a fixture, answers `Solve` with a fresh
//! ref id, and captures `Return`.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bollard_buildkit_proto::moby::buildkit::v1::apicaps::ApiCap;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::llb_bridge_server::{
    LlbBridge, LlbBridgeServer,
};
use bollard_buildkit_proto::moby::buildkit::v1::frontend::*;
use bollard_buildkit_proto::pb;
use prost::Message as _;
use testkit::gateway::{dir_entries, ChildIo};
use tonic::{Request, Response, Status};

/// The HTTP/2 client connection preface: the first bytes on the child's stdout.
pub const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// One recorded RPC.
#[derive(Clone, Debug)]
pub enum Call {
    Ping,
    Solve(SolveRequest),
    ReadFile(ReadFileRequest),
    ResolveImageConfig(ResolveImageConfigRequest),
    Return(ReturnRequest),
    Warn(WarnRequest),
    Other(&'static str),
}

/// What the fake daemon knows and answers.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// (local name or source identifier, path) -> content.
    pub files: BTreeMap<(String, String), Vec<u8>>,
    /// Image reference -> (digest, config JSON).
    pub images: BTreeMap<String, (String, Vec<u8>)>,
    /// `None` = an empty caps list in Ping (the frozen defaults apply).
    pub frontend_caps: Option<Vec<&'static str>>,
    pub llb_caps: Option<Vec<&'static str>>,
    /// How long each ResolveImageConfig takes (to observe concurrency).
    pub resolve_delay: Duration,
    /// How long the ResolveImageConfig of one reference takes, instead of
    /// `resolve_delay` (answers arriving out of order).
    pub resolve_delays: BTreeMap<String, Duration>,
    /// What `Inputs` answers: the frontend inputs of the request.
    pub inputs: BTreeMap<String, pb::Definition>,
    /// A Solve of another frontend (not a Definition) fails with this.
    pub frontend_solve_error: Option<String>,
}

/// Gateway caps of a current BuildKit.
pub const MODERN_CAPS: &[&str] = &[
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
];

/// LLB caps of a current BuildKit (enough for everything the frontend emits).
pub const MODERN_LLB_CAPS: &[&str] = &[
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
    "source.git",
    "source.http",
    "exec.meta.base",
    "exec.meta.proxyenv",
    "exec.meta.network",
    "exec.meta.security",
    "exec.meta.setsecret",
    "exec.meta.ulimit",
    "exec.meta.cgroup.parent",
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
    "file.base",
    "file.copy.includeexcludepatterns",
    "file.rm.nolink",
    "mergeop",
    "diffop",
    "constraints",
    "platform",
    "meta.ignorecache",
    "meta.description",
    "meta.exportcache",
];

/// A busybox-like image config.
pub const BUSYBOX_CONFIG: &str = r#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111"]},"history":[{"created_by":"fixture"}]}"#;

impl Fixture {
    /// A modern daemon with `Dockerfile` in the `dockerfile` local and a
    /// busybox image.
    pub fn with_dockerfile(text: &str) -> Self {
        let mut f = Fixture {
            files: BTreeMap::new(),
            images: BTreeMap::new(),
            frontend_caps: Some(MODERN_CAPS.to_vec()),
            llb_caps: Some(MODERN_LLB_CAPS.to_vec()),
            resolve_delay: Duration::ZERO,
            resolve_delays: BTreeMap::new(),
            inputs: BTreeMap::new(),
            frontend_solve_error: None,
        };
        f.add_file("dockerfile", "Dockerfile", text);
        f.images.insert(
            "docker.io/library/busybox:latest".into(),
            (
                format!("sha256:{}", "ab".repeat(32)),
                BUSYBOX_CONFIG.as_bytes().to_vec(),
            ),
        );
        f
    }

    pub fn add_file(&mut self, local: &str, path: &str, text: &str) {
        self.files
            .insert((local.into(), path.into()), text.as_bytes().to_vec());
    }
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    /// When each call arrived (same order as `calls`).
    call_times: Vec<Instant>,
    /// ref id -> local name (or source identifier) it was solved from.
    refs: BTreeMap<String, Option<String>>,
    /// (start, end) of each ResolveImageConfig.
    resolve_spans: Vec<(Instant, Instant)>,
}

#[derive(Clone)]
struct FakeBridge {
    fixture: Arc<Fixture>,
    state: Arc<Mutex<State>>,
}

impl FakeBridge {
    fn record(&self, call: Call) {
        let mut state = self.state.lock().unwrap();
        state.calls.push(call);
        state.call_times.push(Instant::now());
    }
}

fn caps(list: &Option<Vec<&'static str>>) -> Vec<ApiCap> {
    list.iter()
        .flatten()
        .map(|id| ApiCap {
            id: id.to_string(),
            enabled: true,
            ..ApiCap::default()
        })
        .collect()
}

/// The local name of a definition's source op, if it is a local source.
pub fn local_name(def: &pb::Definition) -> Option<String> {
    def.def
        .iter()
        .find_map(|bytes| match pb::Op::decode(bytes.as_slice()).ok()?.op? {
            pb::op::Op::Source(s) => s.identifier.strip_prefix("local://").map(String::from),
            _ => None,
        })
}

/// Where the fake's files of a solved definition are: the local name of a
/// local source, else the identifier of its (first) source op, such as
/// `git://127.0.0.1/repo.git#main` or an HTTP URL.
fn source_key(def: &pb::Definition) -> Option<String> {
    local_name(def).or_else(|| source_op(def).map(|s| s.identifier))
}

/// The source op of a definition (first one).
pub fn source_op(def: &pb::Definition) -> Option<pb::SourceOp> {
    def.def
        .iter()
        .find_map(|bytes| match pb::Op::decode(bytes.as_slice()).ok()?.op? {
            pb::op::Op::Source(s) => Some(s),
            _ => None,
        })
}

#[tonic::async_trait]
impl LlbBridge for FakeBridge {
    async fn resolve_image_config(
        &self,
        request: Request<ResolveImageConfigRequest>,
    ) -> std::result::Result<Response<ResolveImageConfigResponse>, Status> {
        let req = request.into_inner();
        self.record(Call::ResolveImageConfig(req.clone()));
        let start = Instant::now();
        let delay = self.fixture.resolve_delays.get(&req.r#ref);
        tokio::time::sleep(delay.copied().unwrap_or(self.fixture.resolve_delay)).await;
        self.state
            .lock()
            .unwrap()
            .resolve_spans
            .push((start, Instant::now()));
        match self.fixture.images.get(&req.r#ref) {
            Some((digest, config)) => Ok(Response::new(ResolveImageConfigResponse {
                digest: digest.clone(),
                config: config.clone(),
                r#ref: req.r#ref,
            })),
            None => Err(Status::not_found(format!("{}: not found", req.r#ref))),
        }
    }

    async fn resolve_source_meta(
        &self,
        _: Request<ResolveSourceMetaRequest>,
    ) -> std::result::Result<Response<ResolveSourceMetaResponse>, Status> {
        self.record(Call::Other("ResolveSourceMeta"));
        Err(Status::unimplemented("fake"))
    }

    async fn solve(
        &self,
        request: Request<SolveRequest>,
    ) -> std::result::Result<Response<SolveResponse>, Status> {
        let req = request.into_inner();
        self.record(Call::Solve(req.clone()));
        if let (false, Some(msg)) = (req.frontend.is_empty(), &self.fixture.frontend_solve_error) {
            return Err(Status::invalid_argument(msg.clone()));
        }
        let def = req.definition.clone().unwrap_or_default();
        let mut st = self.state.lock().unwrap();
        let id = format!("ref-{}", st.refs.len() + 1);
        st.refs.insert(id.clone(), source_key(&def));
        // As BuildKit answers: the Definition comes back with the ref only in a `Ref` result.
        let answer = if req.allow_result_array_ref {
            result::Result::Ref(Ref {
                id: id.clone(),
                def: Some(def),
            })
        } else {
            result::Result::RefDeprecated(id.clone())
        };
        let result = Result {
            result: Some(answer),
            ..Default::default()
        };
        Ok(Response::new(SolveResponse {
            r#ref: String::new(),
            result: Some(result),
        }))
    }

    async fn read_file(
        &self,
        request: Request<ReadFileRequest>,
    ) -> std::result::Result<Response<ReadFileResponse>, Status> {
        let req = request.into_inner();
        self.record(Call::ReadFile(req.clone()));
        let local = self
            .state
            .lock()
            .unwrap()
            .refs
            .get(&req.r#ref)
            .cloned()
            .flatten();
        let Some(local) = local else {
            return Err(Status::invalid_argument(format!(
                "no such ref {}",
                req.r#ref
            )));
        };
        match self.fixture.files.get(&(local, req.file_path.clone())) {
            Some(data) => {
                // Honour `range` like BuildKit (offset, then at most `length` bytes).
                let data = match req.range {
                    Some(r) => {
                        let lo = usize::try_from(r.offset).unwrap().min(data.len());
                        let hi = lo.saturating_add(usize::try_from(r.length).unwrap());
                        data[lo..hi.min(data.len())].to_vec()
                    }
                    None => data.clone(),
                };
                Ok(Response::new(ReadFileResponse { data }))
            }
            None => Err(Status::not_found(format!(
                "open {}: no such file or directory",
                req.file_path
            ))),
        }
    }

    /// Every file of the ref's local directly in `dir_path` (the pattern is
    /// not applied: the converter filters the names itself).
    async fn read_dir(
        &self,
        request: Request<ReadDirRequest>,
    ) -> std::result::Result<Response<ReadDirResponse>, Status> {
        let req = request.into_inner();
        self.record(Call::Other("ReadDir"));
        let refs = &self.state.lock().unwrap().refs;
        let Some(Some(local)) = refs.get(&req.r#ref).cloned() else {
            return Err(Status::invalid_argument(format!(
                "no such ref {}",
                req.r#ref
            )));
        };
        let entries = dir_entries(
            self.fixture
                .files
                .keys()
                .filter(|(l, _)| *l == local)
                .map(|(_, p)| p.as_str()),
            &req.dir_path,
        );
        Ok(Response::new(ReadDirResponse { entries }))
    }

    async fn stat_file(
        &self,
        _: Request<StatFileRequest>,
    ) -> std::result::Result<Response<StatFileResponse>, Status> {
        self.record(Call::Other("StatFile"));
        Err(Status::unimplemented("fake"))
    }

    async fn evaluate(
        &self,
        _: Request<EvaluateRequest>,
    ) -> std::result::Result<Response<EvaluateResponse>, Status> {
        self.record(Call::Other("Evaluate"));
        Ok(Response::new(EvaluateResponse {}))
    }

    async fn ping(
        &self,
        _: Request<PingRequest>,
    ) -> std::result::Result<Response<PongResponse>, Status> {
        self.record(Call::Ping);
        Ok(Response::new(PongResponse {
            frontend_api_caps: caps(&self.fixture.frontend_caps),
            llb_caps: caps(&self.fixture.llb_caps),
            workers: Vec::new(),
        }))
    }

    async fn r#return(
        &self,
        request: Request<ReturnRequest>,
    ) -> std::result::Result<Response<ReturnResponse>, Status> {
        let req = request.into_inner();
        let already = self
            .state
            .lock()
            .unwrap()
            .calls
            .iter()
            .any(|c| matches!(c, Call::Return(_)));
        self.record(Call::Return(req));
        if already {
            return Err(Status::failed_precondition("gateway result is already set"));
        }
        Ok(Response::new(ReturnResponse {}))
    }

    async fn inputs(
        &self,
        _: Request<InputsRequest>,
    ) -> std::result::Result<Response<InputsResponse>, Status> {
        self.record(Call::Other("Inputs"));
        Ok(Response::new(InputsResponse {
            definitions: self.fixture.inputs.clone().into_iter().collect(),
        }))
    }

    async fn new_container(
        &self,
        _: Request<NewContainerRequest>,
    ) -> std::result::Result<Response<NewContainerResponse>, Status> {
        self.record(Call::Other("NewContainer"));
        Err(Status::unimplemented("fake"))
    }

    async fn release_container(
        &self,
        _: Request<ReleaseContainerRequest>,
    ) -> std::result::Result<Response<ReleaseContainerResponse>, Status> {
        self.record(Call::Other("ReleaseContainer"));
        Err(Status::unimplemented("fake"))
    }

    type ExecProcessStream = tokio_stream::Empty<std::result::Result<ExecMessage, Status>>;

    async fn exec_process(
        &self,
        _: Request<tonic::Streaming<ExecMessage>>,
    ) -> std::result::Result<Response<Self::ExecProcessStream>, Status> {
        self.record(Call::Other("ExecProcess"));
        Err(Status::unimplemented("fake"))
    }

    async fn read_file_container(
        &self,
        _: Request<ReadFileRequest>,
    ) -> std::result::Result<Response<ReadFileResponse>, Status> {
        self.record(Call::Other("ReadFileContainer"));
        Err(Status::unimplemented("fake"))
    }

    async fn read_dir_container(
        &self,
        _: Request<ReadDirRequest>,
    ) -> std::result::Result<Response<ReadDirResponse>, Status> {
        self.record(Call::Other("ReadDirContainer"));
        Err(Status::unimplemented("fake"))
    }

    async fn stat_file_container(
        &self,
        _: Request<StatFileRequest>,
    ) -> std::result::Result<Response<StatFileResponse>, Status> {
        self.record(Call::Other("StatFileContainer"));
        Err(Status::unimplemented("fake"))
    }

    async fn warn(
        &self,
        request: Request<WarnRequest>,
    ) -> std::result::Result<Response<WarnResponse>, Status> {
        self.record(Call::Warn(request.into_inner()));
        Ok(Response::new(WarnResponse {}))
    }
}

/// What one run of the frontend produced.
#[derive(Debug)]
pub struct Outcome {
    pub calls: Vec<Call>,
    /// When each call arrived (same order as `calls`).
    pub call_times: Vec<Instant>,
    pub exit_code: Option<i32>,
    /// First bytes the child wrote on stdout.
    pub stdout_head: Vec<u8>,
    pub stderr: String,
    /// (start, end) of each ResolveImageConfig, in completion order.
    pub resolve_spans: Vec<(Instant, Instant)>,
}

impl Outcome {
    pub fn returns(&self) -> Vec<&ReturnRequest> {
        self.calls
            .iter()
            .filter_map(|c| {
                if let Call::Return(r) = c {
                    Some(r)
                } else {
                    None
                }
            })
            .collect()
    }

    /// The single Return (panics unless there is exactly one).
    pub fn the_return(&self) -> &ReturnRequest {
        let r = self.returns();
        assert_eq!(
            r.len(),
            1,
            "expected exactly one Return, calls: {:#?}\nstderr:\n{}",
            self.calls,
            self.stderr
        );
        r[0]
    }

    pub fn solves(&self) -> Vec<&SolveRequest> {
        self.calls
            .iter()
            .filter_map(|c| {
                if let Call::Solve(r) = c {
                    Some(r)
                } else {
                    None
                }
            })
            .collect()
    }

    /// The Solve that gave the ref `id` (the fake names them `ref-1`, `ref-2`, ... in order).
    pub fn solve_of(&self, id: &str) -> Option<&SolveRequest> {
        let n: usize = id.strip_prefix("ref-")?.parse().ok()?;
        self.solves().get(n.checked_sub(1)?).copied()
    }

    pub fn warns(&self) -> Vec<&WarnRequest> {
        self.calls
            .iter()
            .filter_map(|c| match c {
                Call::Warn(w) => Some(w),
                _ => None,
            })
            .collect()
    }

    pub fn read_files(&self) -> Vec<&ReadFileRequest> {
        self.calls
            .iter()
            .filter_map(|c| {
                if let Call::ReadFile(r) = c {
                    Some(r)
                } else {
                    None
                }
            })
            .collect()
    }

    pub fn resolves(&self) -> Vec<&ResolveImageConfigRequest> {
        self.calls
            .iter()
            .filter_map(|c| {
                if let Call::ResolveImageConfig(r) = c {
                    Some(r)
                } else {
                    None
                }
            })
            .collect()
    }
}

/// The binary under test: `FRONTEND_TEST_BIN` when set (e.g. the image's, built with
/// `scripts/build-image`'s profile and flags), else this build's `frontend`.
pub fn frontend_bin() -> std::ffi::OsString {
    std::env::var_os("FRONTEND_TEST_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_frontend").into())
}

/// Run the real frontend binary against the fake server with these frontend
/// options (given to the child in the order listed) and extra variables.
pub async fn run_frontend(
    fixture: Fixture,
    opts: &[(&str, &str)],
    extra_env: &[(&str, &str)],
) -> Outcome {
    let mut cmd = tokio::process::Command::new(frontend_bin());
    cmd.env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Indexes are meaningless: number them backwards to prove it.
    for (i, (k, v)) in opts.iter().enumerate() {
        cmd.env(
            format!("BUILDKIT_FRONTEND_OPT_{}", opts.len() - i + 10),
            format!("{k}={v}"),
        );
    }
    cmd.env("FRONTEND_LOG", "debug");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn frontend");
    let mut io = ChildIo::take(&mut child).expect("the child's pipes");
    let head = io.keep_head();
    let mut stderr = child.stderr.take().expect("stderr");
    let stderr_task = tokio::spawn(async move {
        let mut s = String::new();
        let _ = tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut s).await;
        s
    });
    let bridge = FakeBridge {
        fixture: Arc::new(fixture),
        state: Arc::new(Mutex::new(State::default())),
    };
    let state = bridge.state.clone();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(
                LlbBridgeServer::new(bridge)
                    .max_decoding_message_size(16 << 20)
                    .max_encoding_message_size(16 << 20),
            )
            .serve_with_incoming(tokio_stream::once(Ok::<_, io::Error>(io))),
    );
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait()).await;
    let exit_code = match status {
        Ok(Ok(s)) => s.code(),
        _ => {
            let _ = child.kill().await;
            None
        }
    };
    // Let the server see the connection close, then stop it.
    let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    let stderr = tokio::time::timeout(Duration::from_secs(5), stderr_task)
        .await
        .ok()
        .and_then(|r| r.ok())
        .unwrap_or_default();
    let calls = state.lock().unwrap().calls.clone();
    let resolve_spans = state.lock().unwrap().resolve_spans.clone();
    let call_times = state.lock().unwrap().call_times.clone();
    let stdout_head = head.lock().unwrap().clone();
    Outcome {
        calls,
        call_times,
        exit_code,
        stdout_head,
        stderr,
        resolve_spans,
    }
}

/// The error of an error `Return`.
pub fn error_of(out: &Outcome) -> &bollard_buildkit_proto::google::rpc::Status {
    let ret = out.the_return();
    assert!(ret.result.is_none(), "an error Return carries no result");
    ret.error.as_ref().unwrap_or_else(|| {
        panic!(
            "expected an error Return, got {ret:#?}\nstderr:\n{}",
            out.stderr
        )
    })
}

/// The invariants of every run: `Ping` first (or second, after the `Inputs` that goes out with
/// it), exactly one `Return`, exit 0, nothing but HTTP/2 on stdout.
pub fn assert_clean_protocol(out: &Outcome) {
    let ping_at = out.calls.iter().position(|c| matches!(c, Call::Ping));
    assert!(
        matches!(ping_at, Some(0))
            || (ping_at == Some(1) && matches!(out.calls.first(), Some(Call::Other("Inputs")))),
        "Ping must come first: {:#?}",
        out.calls
    );
    out.the_return();
    assert!(
        matches!(out.calls.last(), Some(Call::Return(_))),
        "Return must be the last call: {:#?}",
        out.calls
    );
    assert_eq!(out.exit_code, Some(0), "exit code; stderr:\n{}", out.stderr);
    assert!(
        out.stdout_head.starts_with(H2_PREFACE),
        "stdout must start with the HTTP/2 preface: {:?}",
        out.stdout_head
    );
}
