//! What each op kind gives the marshaler for its `pb::Op`: its inputs, kept as digests until
//! they are encoded, and its `op` field, a message or already encoded.

use std::borrow::Cow;

use super::marshal::OpDigest;
use super::state::{Output, Platform};
use crate::pb;

/// Maps an output (whose vertex is already marshaled) to its input.
pub(crate) type Resolver<'a> = dyn Fn(&Output) -> InputRef + 'a;

/// An op's `pb::Input` before it is encoded: the digest stays bytes (no `sha256:<hex>`
/// string per input).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InputRef {
    /// The digest of the op read; `None` (an empty digest) only for an output whose vertex
    /// was not marshaled, which a walk in post-order never gives.
    pub(super) digest: Option<OpDigest>,
    pub(super) index: i64,
}

impl InputRef {
    /// The message.
    pub(super) fn to_pb(self) -> pb::Input {
        pb::Input {
            digest: self.digest.map(|d| d.to_string()).unwrap_or_default(),
            index: self.index,
        }
    }

    /// Appends it as field 1 of an `Op`: the bytes prost gives [`InputRef::to_pb`].
    pub(super) fn encode(self, buf: &mut Vec<u8>) {
        use prost::encoding::{encode_key, encode_varint, int64, WireType};
        let digest_len = if self.digest.is_some() {
            2 + OpDigest::TEXT_LEN
        } else {
            0
        };
        let index_len = if self.index != 0 {
            int64::encoded_len(2, &self.index)
        } else {
            0
        };
        encode_key(1, WireType::LengthDelimited, buf);
        encode_varint((digest_len + index_len) as u64, buf);
        if let Some(d) = self.digest {
            encode_key(1, WireType::LengthDelimited, buf);
            encode_varint(OpDigest::TEXT_LEN as u64, buf);
            buf.extend_from_slice(&d.text());
        }
        if self.index != 0 {
            int64::encode(2, &self.index, buf);
        }
    }
}

/// The `op` oneof of an op: a message, or its field already encoded (key, length and
/// contents; see `exec_encode.rs`). Held for one op at a time on the stack: boxing the
/// message would cost an allocation per op.
#[allow(clippy::large_enum_variant)]
pub(crate) enum OpBody {
    Pb(pb::op::Op),
    Encoded(Vec<u8>),
}

impl From<pb::op::Op> for OpBody {
    fn from(op: pb::op::Op) -> Self {
        OpBody::Pb(op)
    }
}

/// What each op kind contributes to its `pb::Op`.
pub(crate) struct OpParts<'a> {
    pub(crate) inputs: Vec<InputRef>,
    pub(crate) op: OpBody,
    /// Borrowed from the op, its state or the marshal options where it is one of theirs.
    pub(crate) platform: Option<Cow<'a, Platform>>,
    pub(crate) caps: Vec<&'static str>,
}

/// `Op.inputs`, de-duplicated by (digest, index) like Go's `proto.Equal`.
#[derive(Default)]
pub(crate) struct InputTable {
    inputs: Vec<InputRef>,
}

impl InputTable {
    pub(crate) fn add(&mut self, input: InputRef) -> i64 {
        if let Some(i) = self.inputs.iter().position(|x| *x == input) {
            return i as i64;
        }
        self.inputs.push(input);
        self.inputs.len() as i64 - 1
    }
    pub(crate) fn len(&self) -> usize {
        self.inputs.len()
    }
    pub(crate) fn into_inputs(self) -> Vec<InputRef> {
        self.inputs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_encodes_like_its_message() {
        for digest in [None, Some(OpDigest::of(b"op"))] {
            for index in [0, 1, 127, 128, -1, i64::MAX] {
                let input = InputRef { digest, index };
                let mut direct = Vec::new();
                input.encode(&mut direct);
                let mut via_pb = Vec::new();
                prost::encoding::message::encode(1, &input.to_pb(), &mut via_pb);
                assert_eq!(direct, via_pb, "{input:?}");
            }
        }
    }
}
