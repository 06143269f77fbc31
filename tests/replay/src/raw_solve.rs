//! The bridge's gRPC service: the generated `LLBBridge` server for every method but `Solve`,
//! which reads the request's Definition as bytes and answers without decoding it.
//!
//! A fresh harness process decoding a 500-stage Definition (1.3 MB, 3,000 ops and as many
//! metadata entries) took about 5 ms before it could answer, and the frontend waited for it: the
//! measurement of the frontend's own cost included that much of the bridge's. The messages here
//! are the subset of `SolveRequest` and `SolveResponse` the bridge reads and writes, field for
//! field on the wire with BuildKit's (`frontend/gateway/pb/gateway.proto`); the fields it does not
//! read are skipped by the decoder. The Definition is decoded after the run, by the checks.

use std::convert::Infallible;
use std::task::{Context, Poll};

use bollard_buildkit_proto::moby::buildkit::v1::frontend::llb_bridge_server::LlbBridgeServer;
use prost::bytes::Bytes;
use tonic::body::Body;
use tonic::codegen::{http, BoxFuture, Service};
use tonic::server::{Grpc, NamedService, UnaryService};

use crate::bridge::ReplayBridge;

const SOLVE: &str = "/moby.buildkit.v1.frontend.LLBBridge/Solve";

/// What the bridge reads of a `SolveRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SolveRequest {
    #[prost(bytes = "bytes", optional, tag = "1")]
    pub definition: Option<Bytes>,
    #[prost(string, tag = "2")]
    pub frontend: String,
    #[prost(bool, tag = "6")]
    pub allow_result_array_ref: bool,
}

/// A `SolveResponse` with its `result` (field 3).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SolveResponse {
    #[prost(message, optional, tag = "3")]
    pub result: Option<SolveResult>,
}

/// The gateway's `Result` with one ref: the id alone (field 1) or a `Ref` (field 3).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SolveResult {
    #[prost(oneof = "OneRef", tags = "1, 3")]
    pub result: Option<OneRef>,
}

/// The ref of a [`SolveResult`].
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum OneRef {
    #[prost(string, tag = "1")]
    RefDeprecated(String),
    #[prost(message, tag = "3")]
    Ref(Ref),
}

/// A `Ref`: its id and the Definition it was solved from, as bytes.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Ref {
    #[prost(string, tag = "1")]
    pub id: String,
    #[prost(bytes = "bytes", optional, tag = "2")]
    pub def: Option<Bytes>,
}

/// The service the harness serves the frontend.
#[derive(Clone)]
pub struct BridgeService {
    generated: LlbBridgeServer<ReplayBridge>,
    bridge: ReplayBridge,
    max_message: usize,
}

impl BridgeService {
    /// `bridge` behind the generated server, `Solve` answered by [`RawSolve`]; messages up to
    /// `max_message` bytes either way.
    pub fn new(bridge: ReplayBridge, max_message: usize) -> Self {
        let generated = LlbBridgeServer::new(bridge.clone())
            .max_decoding_message_size(max_message)
            .max_encoding_message_size(max_message);
        BridgeService {
            generated,
            bridge,
            max_message,
        }
    }
}

impl NamedService for BridgeService {
    const NAME: &'static str = <LlbBridgeServer<ReplayBridge> as NamedService>::NAME;
}

impl Service<http::Request<Body>> for BridgeService {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        if req.uri().path() != SOLVE {
            return Box::pin(self.generated.call(req));
        }
        let solve = RawSolve(self.bridge.clone());
        let max = self.max_message;
        Box::pin(async move {
            let codec = tonic_prost::ProstCodec::<SolveResponse, SolveRequest>::default();
            let mut grpc = Grpc::new(codec).apply_max_message_size_config(Some(max), Some(max));
            Ok(grpc.unary(solve, req).await)
        })
    }
}

/// `Solve` with the Definition as bytes ([`ReplayBridge::solve_raw`]).
pub struct RawSolve(ReplayBridge);

impl UnaryService<SolveRequest> for RawSolve {
    type Response = SolveResponse;
    type Future = BoxFuture<tonic::Response<SolveResponse>, tonic::Status>;

    fn call(&mut self, request: tonic::Request<SolveRequest>) -> Self::Future {
        let bridge = self.0.clone();
        Box::pin(async move {
            let req = request.into_inner();
            let def = req.definition.unwrap_or_default();
            let (id, echo) = bridge.solve_raw(&req.frontend, def, req.allow_result_array_ref)?;
            let one = match echo {
                Some(def) => OneRef::Ref(Ref { id, def: Some(def) }),
                None => OneRef::RefDeprecated(id),
            };
            Ok(tonic::Response::new(SolveResponse {
                result: Some(SolveResult { result: Some(one) }),
            }))
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bollard_buildkit_proto::moby::buildkit::v1::frontend as gen;
    use bollard_buildkit_proto::pb;
    use prost::Message;

    fn definition() -> pb::Definition {
        pb::Definition {
            def: vec![b"op".to_vec()],
            ..Default::default()
        }
    }

    #[test]
    fn a_generated_solve_request_reads_with_its_definition_as_bytes() {
        let generated = gen::SolveRequest {
            definition: Some(definition()),
            frontend: "f".into(),
            allow_result_array_ref: true,
            allow_result_return: true,
            evaluate: true,
            ..Default::default()
        };
        let ours = SolveRequest::decode(generated.encode_to_vec().as_slice()).unwrap();
        assert_eq!(ours.frontend, "f");
        assert!(ours.allow_result_array_ref);
        assert_eq!(
            pb::Definition::decode(ours.definition.unwrap()).unwrap(),
            definition()
        );
    }

    /// Over gRPC, as a frontend asks: the generated client's `Solve` is answered by the raw
    /// service, with the Definition echoed only when a `Ref` result is allowed, and the log
    /// keeps each Definition's bytes; the other methods reach the generated server.
    #[test]
    fn the_service_answers_a_generated_client() {
        use bollard_buildkit_proto::moby::buildkit::v1::frontend::llb_bridge_client::LlbBridgeClient;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let bridge = ReplayBridge::new(crate::recording::Recording::default());
            let (ours, theirs) = tokio::io::duplex(1 << 16);
            let service = BridgeService::new(bridge.clone(), 16 << 20);
            tokio::spawn(
                tonic::transport::Server::builder()
                    .add_service(service)
                    .serve_with_incoming(tokio_stream::once(Ok::<_, std::io::Error>(theirs))),
            );
            let channel = frontend::transport::channel_over(ours).await.unwrap();
            let mut client = LlbBridgeClient::new(channel);
            let solve = |allow| gen::SolveRequest {
                definition: Some(definition()),
                allow_result_array_ref: allow,
                ..Default::default()
            };
            let echoed = client.solve(solve(true)).await.unwrap().into_inner();
            match echoed.result.and_then(|r| r.result) {
                Some(gen::result::Result::Ref(r)) => {
                    assert_eq!((r.id.as_str(), r.def), ("ref-1", Some(definition())));
                }
                other => panic!("{other:?}"),
            }
            let id_only = client.solve(solve(false)).await.unwrap().into_inner();
            assert!(matches!(
                id_only.result.and_then(|r| r.result),
                Some(gen::result::Result::RefDeprecated(id)) if id == "ref-2"
            ));
            let pong = client.ping(gen::PingRequest::default()).await.unwrap();
            assert!(!pong.into_inner().workers.is_empty());
            let log = bridge.log();
            let log = log.lock().unwrap();
            assert_eq!(log.counts.get("Solve"), Some(&2));
            let kept = pb::Definition::decode(log.solved["ref-2"].clone()).unwrap();
            assert_eq!(kept, definition());
        });
    }

    #[test]
    fn both_answers_read_as_the_generated_response() {
        let echoed = SolveResponse {
            result: Some(SolveResult {
                result: Some(OneRef::Ref(Ref {
                    id: "ref-1".into(),
                    def: Some(definition().encode_to_vec().into()),
                })),
            }),
        };
        let read = gen::SolveResponse::decode(echoed.encode_to_vec().as_slice()).unwrap();
        match read.result.and_then(|r| r.result) {
            Some(gen::result::Result::Ref(r)) => {
                assert_eq!(r.id, "ref-1");
                assert_eq!(r.def, Some(definition()));
            }
            other => panic!("{other:?}"),
        }
        let id_only = SolveResponse {
            result: Some(SolveResult {
                result: Some(OneRef::RefDeprecated("ref-2".into())),
            }),
        };
        let read = gen::SolveResponse::decode(id_only.encode_to_vec().as_slice()).unwrap();
        assert!(matches!(
            read.result.and_then(|r| r.result),
            Some(gen::result::Result::RefDeprecated(id)) if id == "ref-2"
        ));
    }
}
