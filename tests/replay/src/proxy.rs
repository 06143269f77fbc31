//! Recording from a real engine: `replay proxy FRONTEND` runs as the gateway frontend inside an
//! image, starts FRONTEND as its child with the same environment, and forwards every LLBBridge
//! call of the child to BuildKit (its own stdin/stdout), writing each answer the recording needs
//! to stderr as one `REPLAY-RECORD {json}` line. BuildKit writes a frontend's stderr into its own
//! log, where `replay import` finds the lines and makes a recording of them (`recording.rs`).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::process::{ExitCode, Stdio};

use anyhow::Context as _;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::llb_bridge_client::LlbBridgeClient;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::llb_bridge_server::{
    LlbBridge, LlbBridgeServer,
};
use bollard_buildkit_proto::moby::buildkit::v1::frontend::*;
use prost::Message;
use serde_json::json;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

use crate::run::MAX_MESSAGE;
use testkit::gateway::ChildIo;

/// The prefix of a recorded line.
pub const PREFIX: &str = "REPLAY-RECORD ";

type Answer<T> = std::result::Result<Response<T>, Status>;

/// Forwards to BuildKit and records.
#[derive(Clone)]
struct Forward {
    engine: LlbBridgeClient<Channel>,
}

/// One recorded answer: the RPC, what it was for, the response message (protobuf, hex).
fn record(rpc: &str, key: &str, response: &impl Message) {
    let line = json!({ "rpc": rpc, "key": key, "response": hex::encode(response.encode_to_vec()) });
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{PREFIX}{line}");
}

/// Forward `req` with `call`, record the answer under `rpc`/`key`.
macro_rules! forward {
    ($self:ident, $req:ident, $method:ident, $rpc:literal, $key:expr) => {{
        let req = $req.into_inner();
        let key: String = $key(&req);
        let resp = $self.engine.clone().$method(req).await?;
        record($rpc, &key, resp.get_ref());
        Ok(Response::new(resp.into_inner()))
    }};
}

fn no_key<T>(_: &T) -> String {
    String::new()
}

#[tonic::async_trait]
impl LlbBridge for Forward {
    async fn ping(&self, r: Request<PingRequest>) -> Answer<PongResponse> {
        forward!(self, r, ping, "Ping", no_key)
    }

    async fn resolve_image_config(
        &self,
        r: Request<ResolveImageConfigRequest>,
    ) -> Answer<ResolveImageConfigResponse> {
        forward!(
            self,
            r,
            resolve_image_config,
            "ResolveImageConfig",
            |q: &ResolveImageConfigRequest| q.r#ref.clone()
        )
    }

    async fn resolve_source_meta(
        &self,
        r: Request<ResolveSourceMetaRequest>,
    ) -> Answer<ResolveSourceMetaResponse> {
        forward!(
            self,
            r,
            resolve_source_meta,
            "ResolveSourceMeta",
            |q: &ResolveSourceMetaRequest| q
                .source
                .as_ref()
                .map(|s| s.identifier.clone())
                .unwrap_or_default()
        )
    }

    async fn solve(&self, r: Request<SolveRequest>) -> Answer<SolveResponse> {
        let resp = self.engine.clone().solve(r.into_inner()).await?;
        Ok(Response::new(resp.into_inner()))
    }

    async fn read_file(&self, r: Request<ReadFileRequest>) -> Answer<ReadFileResponse> {
        forward!(self, r, read_file, "ReadFile", |q: &ReadFileRequest| q
            .file_path
            .clone())
    }

    async fn read_dir(&self, r: Request<ReadDirRequest>) -> Answer<ReadDirResponse> {
        forward!(self, r, read_dir, "ReadDir", |q: &ReadDirRequest| q
            .dir_path
            .clone())
    }

    async fn stat_file(&self, r: Request<StatFileRequest>) -> Answer<StatFileResponse> {
        forward!(self, r, stat_file, "StatFile", |q: &StatFileRequest| q
            .path
            .clone())
    }

    async fn evaluate(&self, r: Request<EvaluateRequest>) -> Answer<EvaluateResponse> {
        let resp = self.engine.clone().evaluate(r.into_inner()).await?;
        Ok(Response::new(resp.into_inner()))
    }

    async fn r#return(&self, r: Request<ReturnRequest>) -> Answer<ReturnResponse> {
        let resp = self.engine.clone().r#return(r.into_inner()).await?;
        Ok(Response::new(resp.into_inner()))
    }

    async fn inputs(&self, r: Request<InputsRequest>) -> Answer<InputsResponse> {
        let resp = self.engine.clone().inputs(r.into_inner()).await?;
        Ok(Response::new(resp.into_inner()))
    }

    async fn warn(&self, r: Request<WarnRequest>) -> Answer<WarnResponse> {
        let resp = self.engine.clone().warn(r.into_inner()).await?;
        Ok(Response::new(resp.into_inner()))
    }

    async fn new_container(&self, _: Request<NewContainerRequest>) -> Answer<NewContainerResponse> {
        Err(Status::unimplemented("NewContainer: not recorded"))
    }

    async fn release_container(
        &self,
        _: Request<ReleaseContainerRequest>,
    ) -> Answer<ReleaseContainerResponse> {
        Err(Status::unimplemented("ReleaseContainer: not recorded"))
    }

    type ExecProcessStream = tokio_stream::Empty<std::result::Result<ExecMessage, Status>>;

    async fn exec_process(
        &self,
        _: Request<tonic::Streaming<ExecMessage>>,
    ) -> Answer<Self::ExecProcessStream> {
        Err(Status::unimplemented("ExecProcess: not recorded"))
    }

    async fn read_file_container(&self, _: Request<ReadFileRequest>) -> Answer<ReadFileResponse> {
        Err(Status::unimplemented("ReadFileContainer: not recorded"))
    }

    async fn read_dir_container(&self, _: Request<ReadDirRequest>) -> Answer<ReadDirResponse> {
        Err(Status::unimplemented("ReadDirContainer: not recorded"))
    }

    async fn stat_file_container(&self, _: Request<StatFileRequest>) -> Answer<StatFileResponse> {
        Err(Status::unimplemented("StatFileContainer: not recorded"))
    }
}

/// The frontend options of this process's environment (`BUILDKIT_FRONTEND_OPT_<n>`).
fn options() -> BTreeMap<String, String> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("BUILDKIT_FRONTEND_OPT_"))
        .map(|(_, v)| match v.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (v, String::new()),
        })
        .collect()
}

/// Run `frontend` behind the recording proxy; exit as it exits.
pub async fn proxy(frontend: &Path) -> anyhow::Result<ExitCode> {
    let channel = frontend::transport::stdio_channel()
        .await
        .context("connecting to BuildKit over stdin/stdout")?;
    let engine = frontend::transport::bridge_client(channel)
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE);
    {
        let line = json!({ "rpc": "Options", "key": "", "opts": options() });
        let mut err = std::io::stderr().lock();
        writeln!(err, "{PREFIX}{line}")?;
    }
    let mut child = tokio::process::Command::new(frontend)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", frontend.display()))?;
    let io = ChildIo::take(&mut child)?;
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(
                LlbBridgeServer::new(Forward { engine })
                    .max_decoding_message_size(MAX_MESSAGE)
                    .max_encoding_message_size(MAX_MESSAGE),
            )
            .serve_with_incoming(tokio_stream::once(Ok::<_, std::io::Error>(io))),
    );
    let status = child.wait().await?;
    server.abort();
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    })
}
