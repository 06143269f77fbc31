//! The gateway messages that carry Definitions, with each Definition as its
//! encoded bytes: wire-compatible with `moby.buildkit.v1.frontend`'s
//! `SolveRequest`, `SolveResponse` and `ReturnRequest` (an embedded message
//! and a `bytes` field are the same on the wire), so that the build's
//! Definition is encoded once, by the marshaler, and the one BuildKit sends
//! back with a solved `Ref` is never decoded into structs (on the 500-stage
//! file these were the gRPC layer's largest costs: docs/performance-history.md,
//! "The replay harness"). The frontend returns its refs by id alone (see
//! `bridge::SolvedRef`); another frontend's result passes through as it came.
//!
//! Field numbers are the generated types' (bollard-buildkit-proto); only the
//! fields this frontend sets or reads are declared, and unknown fields of an
//! answer are skipped, as any protobuf reader does.

use std::collections::BTreeMap;

use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    Attestations, CacheOptionsEntry, RefMapDeprecated, ReturnResponse,
};
use prost::bytes::Bytes;
use prost::Message;
use tonic::transport::Channel;

/// The gRPC client these messages go through (`transport::raw_client`).
pub type Client = tonic::client::Grpc<Channel>;

/// `SolveRequest`: one Definition, or another frontend with its options
/// and inputs (fields 1, 2, 3, 5, 6, 12, 13, 14).
#[derive(Clone, PartialEq, Message)]
pub struct SolveRequest {
    /// The encoded `pb.Definition`; present even when empty (an empty
    /// Definition is not a missing one).
    #[prost(bytes = "bytes", optional, tag = "1")]
    pub definition: Option<Bytes>,
    #[prost(string, tag = "2")]
    pub frontend: String,
    #[prost(btree_map = "string, string", tag = "3")]
    pub frontend_opt: BTreeMap<String, String>,
    #[prost(bool, tag = "5")]
    pub allow_result_return: bool,
    #[prost(bool, tag = "6")]
    pub allow_result_array_ref: bool,
    #[prost(message, repeated, tag = "12")]
    pub cache_imports: Vec<CacheOptionsEntry>,
    /// Encoded `pb.Definition`s by input name.
    #[prost(btree_map = "string, bytes", tag = "13")]
    pub frontend_inputs: BTreeMap<String, Vec<u8>>,
    #[prost(bool, tag = "14")]
    pub evaluate: bool,
}

/// `SolveResponse`: the old bare ref id and the result.
#[derive(Clone, PartialEq, Message)]
pub struct SolveResponse {
    #[prost(string, tag = "1")]
    pub r#ref: String,
    #[prost(message, optional, tag = "3")]
    pub result: Option<Result>,
}

/// `Ref`: an id and the encoded Definition it was solved from.
#[derive(Clone, PartialEq, Message)]
pub struct Ref {
    #[prost(string, tag = "1")]
    pub id: String,
    #[prost(bytes = "bytes", optional, tag = "2")]
    pub def: Option<Bytes>,
}

/// `RefMap`: refs by platform.
#[derive(Clone, PartialEq, Message)]
pub struct RefMap {
    #[prost(btree_map = "string, message", tag = "1")]
    pub refs: BTreeMap<String, Ref>,
}

/// `ReturnRequest`: the build's result or its error.
#[derive(Clone, PartialEq, Message)]
pub struct ReturnRequest {
    #[prost(message, optional, tag = "1")]
    pub result: Option<Result>,
    #[prost(message, optional, tag = "2")]
    pub error: Option<Status>,
}

/// `Result`, with encoded Definitions in its refs.
#[derive(Clone, PartialEq, Message)]
pub struct Result {
    #[prost(oneof = "Refs", tags = "1, 2, 3, 4")]
    pub result: Option<Refs>,
    #[prost(btree_map = "string, bytes", tag = "10")]
    pub metadata: BTreeMap<String, Vec<u8>>,
    #[prost(btree_map = "string, message", tag = "12")]
    pub attestations: BTreeMap<String, Attestations>,
}

/// The `result` oneof of [`Result`].
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Refs {
    #[prost(string, tag = "1")]
    RefDeprecated(String),
    #[prost(message, tag = "2")]
    RefsDeprecated(RefMapDeprecated),
    #[prost(message, tag = "3")]
    Ref(Ref),
    #[prost(message, tag = "4")]
    Refs(RefMap),
}

/// One unary call of the `LLBBridge` service.
pub async fn call<Req, Resp>(
    client: &Client,
    method: &'static str,
    req: Req,
) -> std::result::Result<Resp, tonic::Status>
where
    Req: Message + Send + Sync + 'static,
    Resp: Message + Default + Send + Sync + 'static,
{
    const SERVICE: &str = "moby.buildkit.v1.frontend.LLBBridge";
    let mut client = client.clone();
    client
        .ready()
        .await
        .map_err(|e| tonic::Status::unknown(format!("the connection is not ready: {e}")))?;
    let path = tonic::codegen::http::uri::PathAndQuery::try_from(format!("/{SERVICE}/{method}"))
        .map_err(|e| tonic::Status::internal(e.to_string()))?;
    let mut req = tonic::Request::new(req);
    req.extensions_mut()
        .insert(tonic::GrpcMethod::new(SERVICE, method));
    let codec = Reserving::<Req, Resp>::default();
    client
        .unary(req, path, codec)
        .await
        .map(tonic::Response::into_inner)
}

/// prost's codec, its encoder first reserving room for the whole message.
///
/// tonic encodes a request into a buffer of 8 KiB that grows as the fields are written: a
/// `Solve` carrying a 1.3 MB Definition was copied into buffers of 16 KiB, 32 KiB ... 2 MiB, each
/// freshly faulted in and each given back (about 6 % of a 500-stage build's page faults).
/// Reserved first, it is copied once, into pages of its own size.
struct Reserving<Req, Resp>(tonic_prost::ProstCodec<Req, Resp>);

impl<Req, Resp> Default for Reserving<Req, Resp> {
    fn default() -> Self {
        Reserving(tonic_prost::ProstCodec::default())
    }
}

impl<Req, Resp> tonic::codec::Codec for Reserving<Req, Resp>
where
    Req: Message + Send + 'static,
    Resp: Message + Default + Send + 'static,
{
    type Encode = Req;
    type Decode = Resp;
    type Encoder = ReservingEncoder<Req>;
    type Decoder = tonic_prost::ProstDecoder<Resp>;

    fn encoder(&mut self) -> Self::Encoder {
        ReservingEncoder(self.0.encoder())
    }

    fn decoder(&mut self) -> Self::Decoder {
        self.0.decoder()
    }
}

/// [`Reserving`]'s encoder.
struct ReservingEncoder<T>(tonic_prost::ProstEncoder<T>);

impl<T: Message> tonic::codec::Encoder for ReservingEncoder<T> {
    type Item = T;
    type Error = tonic::Status;

    fn encode(
        &mut self,
        item: T,
        buf: &mut tonic::codec::EncodeBuf<'_>,
    ) -> std::result::Result<(), tonic::Status> {
        buf.reserve(item.encoded_len());
        self.0.encode(item, buf)
    }

    fn buffer_settings(&self) -> tonic::codec::BufferSettings {
        self.0.buffer_settings()
    }
}

/// `Return`.
pub async fn send_return(
    client: &Client,
    req: ReturnRequest,
) -> std::result::Result<(), tonic::Status> {
    call::<_, ReturnResponse>(client, "Return", req)
        .await
        .map(|_| ())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bollard_buildkit_proto::moby::buildkit::v1::frontend as gen;
    use bollard_buildkit_proto::pb;

    fn definition() -> pb::Definition {
        pb::Definition {
            def: vec![b"op one".to_vec(), b"op two".to_vec()],
            metadata: [("sha256:aa".to_string(), pb::OpMetadata::default())]
                .into_iter()
                .collect(),
            source: None,
        }
    }

    #[test]
    fn a_solve_request_reads_as_the_generated_one() {
        let def = definition();
        let ours = SolveRequest {
            definition: Some(def.encode_to_vec().into()),
            allow_result_return: true,
            allow_result_array_ref: true,
            cache_imports: vec![CacheOptionsEntry {
                r#type: "registry".into(),
                attrs: [("ref".to_string(), "r".to_string())].into_iter().collect(),
            }],
            evaluate: true,
            ..SolveRequest::default()
        };
        let theirs = gen::SolveRequest::decode(ours.encode_to_vec().as_slice()).unwrap();
        assert_eq!(theirs.definition, Some(def.clone()));
        assert!(theirs.allow_result_return && theirs.allow_result_array_ref && theirs.evaluate);
        assert_eq!(theirs.cache_imports, ours.cache_imports);
        assert!(theirs.frontend.is_empty() && theirs.frontend_inputs.is_empty());
        // An empty Definition is still sent.
        let empty = SolveRequest {
            definition: Some(Bytes::new()),
            ..SolveRequest::default()
        };
        let theirs = gen::SolveRequest::decode(empty.encode_to_vec().as_slice()).unwrap();
        assert_eq!(theirs.definition, Some(pb::Definition::default()));
        // Another frontend, its options and inputs.
        let other = SolveRequest {
            frontend: "gateway.v0".into(),
            frontend_opt: [("source".to_string(), "img".to_string())].into(),
            frontend_inputs: [("context".to_string(), def.encode_to_vec())].into(),
            ..SolveRequest::default()
        };
        let theirs = gen::SolveRequest::decode(other.encode_to_vec().as_slice()).unwrap();
        assert_eq!(theirs.definition, None);
        assert_eq!(theirs.frontend, "gateway.v0");
        assert_eq!(
            theirs.frontend_opt.get("source").map(String::as_str),
            Some("img")
        );
        assert_eq!(theirs.frontend_inputs.get("context"), Some(&def));
    }

    #[test]
    fn a_solved_ref_keeps_its_definition_as_bytes_and_returns_it() {
        let def = definition();
        let answer = gen::SolveResponse {
            r#ref: String::new(),
            result: Some(gen::Result {
                result: Some(gen::result::Result::Ref(gen::Ref {
                    id: "r1".into(),
                    def: Some(def.clone()),
                })),
                ..gen::Result::default()
            }),
        };
        let ours = SolveResponse::decode(answer.encode_to_vec().as_slice()).unwrap();
        let Some(Refs::Ref(solved)) = ours.result.unwrap().result else {
            panic!("one ref expected");
        };
        assert_eq!(solved.id, "r1");
        assert_eq!(solved.def.as_deref(), Some(def.encode_to_vec().as_slice()));
        let ret = ReturnRequest {
            result: Some(Result {
                result: Some(Refs::Ref(solved)),
                metadata: [("k".to_string(), b"v".to_vec())].into(),
                ..Result::default()
            }),
            error: None,
        };
        let theirs = gen::ReturnRequest::decode(ret.encode_to_vec().as_slice()).unwrap();
        let result = theirs.result.unwrap();
        assert_eq!(result.metadata.get("k").map(Vec::as_slice), Some(&b"v"[..]));
        assert_eq!(
            result.result,
            Some(gen::result::Result::Ref(gen::Ref {
                id: "r1".into(),
                def: Some(def),
            }))
        );
    }

    #[test]
    fn another_frontends_result_passes_through() {
        let generated = gen::Result {
            result: Some(gen::result::Result::Refs(gen::RefMap {
                refs: [(
                    "linux/amd64".to_string(),
                    gen::Ref {
                        id: "a".into(),
                        def: Some(definition()),
                    },
                )]
                .into(),
            })),
            metadata: [("containerimage.config".to_string(), b"{}".to_vec())].into(),
            attestations: [("linux/amd64".to_string(), gen::Attestations::default())].into(),
        };
        let ours = Result::decode(generated.encode_to_vec().as_slice()).unwrap();
        let back = gen::Result::decode(ours.encode_to_vec().as_slice()).unwrap();
        assert_eq!(back, generated);
        let error = ReturnRequest {
            result: None,
            error: Some(Status {
                code: 3,
                message: "bad".into(),
                details: Vec::new(),
            }),
        };
        let theirs = gen::ReturnRequest::decode(error.encode_to_vec().as_slice()).unwrap();
        assert_eq!(theirs.error.map(|s| s.message), Some("bad".to_string()));
    }
}
