//! The gateway messages that carry Definitions, with each Definition as its
//! encoded bytes: wire-compatible with `moby.buildkit.v1.frontend`'s
//! `SolveRequest`, `SolveResponse` and `ReturnRequest` (an embedded message
//! and a `bytes` field are the same on the wire), so that the build's
//! Definition is encoded once, by the marshaler, and the one BuildKit sends
//! back in a solved `Ref` is kept as it came and returned as it is, never
//! decoded (on the 500-stage file these were the gRPC layer's largest
//! costs: docs/performance.md, "The replay harness").
//!
//! Field numbers are the generated types' (bollard-buildkit-proto); only the
//! fields this frontend sets or reads are declared, and unknown fields of an
//! answer are skipped, as any protobuf reader does.

use std::collections::BTreeMap;

use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    self as gw, Attestations, CacheOptionsEntry, RefMapDeprecated,
};
use prost::bytes::Bytes;
use prost::Message;

/// `SolveRequest` solving one Definition (fields 1, 5, 6, 12, 14).
#[derive(Clone, PartialEq, Message)]
pub struct SolveRequest {
    /// The encoded `pb.Definition`; present even when empty (an empty
    /// Definition is not a missing one).
    #[prost(bytes = "bytes", optional, tag = "1")]
    pub definition: Option<Bytes>,
    #[prost(bool, tag = "5")]
    pub allow_result_return: bool,
    #[prost(bool, tag = "6")]
    pub allow_result_array_ref: bool,
    #[prost(message, repeated, tag = "12")]
    pub cache_imports: Vec<CacheOptionsEntry>,
    #[prost(bool, tag = "14")]
    pub evaluate: bool,
}

/// `SolveResponse`: the old bare ref id and the result.
#[derive(Clone, PartialEq, Message)]
pub struct SolveResponse {
    #[prost(string, tag = "1")]
    pub r#ref: String,
    #[prost(message, optional, tag = "3")]
    pub result: Option<SolveResult>,
}

/// `Result` as one Definition's Solve gives it: the members of its `result`
/// oneof read as separate optional fields (the same bytes on the wire); the
/// maps of refs are only told apart, never read.
#[derive(Clone, PartialEq, Message)]
pub struct SolveResult {
    #[prost(string, optional, tag = "1")]
    pub ref_deprecated: Option<String>,
    #[prost(bytes = "bytes", optional, tag = "2")]
    pub refs_deprecated: Option<Bytes>,
    #[prost(message, optional, tag = "3")]
    pub r#ref: Option<Ref>,
    #[prost(bytes = "bytes", optional, tag = "4")]
    pub refs: Option<Bytes>,
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

/// `Result` with encoded Definitions in its refs.
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

impl From<gw::Ref> for Ref {
    fn from(r: gw::Ref) -> Self {
        Ref {
            id: r.id,
            def: r.def.map(|d| Bytes::from(d.encode_to_vec())),
        }
    }
}

impl From<gw::Result> for Result {
    /// A result built with the generated types (another frontend's, passed
    /// through; a subrequest's answer): its few Definitions encoded.
    fn from(r: gw::Result) -> Self {
        use gw::result::Result as R;
        let result = r.result.map(|res| match res {
            R::RefDeprecated(id) => Refs::RefDeprecated(id),
            R::RefsDeprecated(m) => Refs::RefsDeprecated(m),
            R::Ref(r) => Refs::Ref(r.into()),
            R::Refs(m) => Refs::Refs(RefMap {
                refs: m.refs.into_iter().map(|(k, r)| (k, r.into())).collect(),
            }),
        });
        Result {
            result,
            metadata: r.metadata.into_iter().collect(),
            attestations: r.attestations.into_iter().collect(),
        }
    }
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
        };
        let theirs = gen::SolveRequest::decode(ours.encode_to_vec().as_slice()).unwrap();
        assert_eq!(theirs.definition, Some(def));
        assert!(theirs.allow_result_return && theirs.allow_result_array_ref && theirs.evaluate);
        assert_eq!(theirs.cache_imports, ours.cache_imports);
        // An empty Definition is still sent.
        let empty = SolveRequest {
            definition: Some(Bytes::new()),
            ..SolveRequest::default()
        };
        let theirs = gen::SolveRequest::decode(empty.encode_to_vec().as_slice()).unwrap();
        assert_eq!(theirs.definition, Some(pb::Definition::default()));
    }

    #[test]
    fn a_solved_ref_keeps_its_definition_as_bytes() {
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
        let solved = ours.result.unwrap().r#ref.unwrap();
        assert_eq!(solved.id, "r1");
        assert_eq!(solved.def.as_deref(), Some(def.encode_to_vec().as_slice()));
        // Returned as it came: the generated reader sees the same Definition.
        let ret = ReturnRequest {
            result: Some(Result {
                result: Some(Refs::Ref(solved)),
                metadata: [("k".to_string(), b"v".to_vec())].into_iter().collect(),
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
    fn maps_of_refs_and_generated_results_convert() {
        let answer = gen::SolveResponse {
            r#ref: String::new(),
            result: Some(gen::Result {
                result: Some(gen::result::Result::Refs(gen::RefMap::default())),
                ..gen::Result::default()
            }),
        };
        let ours = SolveResponse::decode(answer.encode_to_vec().as_slice()).unwrap();
        let result = ours.result.unwrap();
        assert!(result.refs.is_some() && result.r#ref.is_none());
        let generated = gen::Result {
            result: Some(gen::result::Result::Refs(gen::RefMap {
                refs: [(
                    "linux/amd64".to_string(),
                    gen::Ref {
                        id: "a".into(),
                        def: Some(definition()),
                    },
                )]
                .into_iter()
                .collect(),
            })),
            ..gen::Result::default()
        };
        let back = gen::Result::decode(Result::from(generated.clone()).encode_to_vec().as_slice());
        assert_eq!(back.unwrap(), generated);
    }
}
