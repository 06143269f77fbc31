//! An op's metadata encoded straight from the marshal options' and the vertex's
//! [`OpMetadata`], without building a `pb::OpMetadata` per op: its B-tree maps, the cloned
//! keys and values, its encoding and its drop were about 5M instructions on 500 stages.
//!
//! The bytes are those of the `pb::OpMetadata` the two would merge into (the options' first,
//! the vertex's over them, the op's own caps added) encoded by prost: fields in tag order, map
//! entries in key order with an empty key or a default value left out. A test holds the two to
//! each other.

use prost::encoding::{encode_key, encode_varint, encoded_len_varint, WireType};

use super::state::{OpMetadata, ProgressGroup};

/// The merged metadata of one op, borrowed from where it is held.
pub(super) struct MergedMeta<'a> {
    ignore_cache: bool,
    /// Sorted by key, keys unique.
    description: Vec<(&'a str, &'a str)>,
    export_cache: Option<bool>,
    /// Sorted, unique.
    caps: Vec<&'a str>,
    progress_group: Option<&'a ProgressGroup>,
}

impl<'a> MergedMeta<'a> {
    /// `base` (the marshal options'), then `own` (the vertex's) over it, plus `op_caps`.
    pub(super) fn new(base: &'a OpMetadata, own: &'a OpMetadata, op_caps: &[&'a str]) -> Self {
        let mut caps: Vec<&str> =
            Vec::with_capacity(base.caps.len() + own.caps.len() + op_caps.len());
        caps.extend(base.caps.iter().map(String::as_str));
        caps.extend(own.caps.iter().map(String::as_str));
        caps.extend_from_slice(op_caps);
        caps.sort_unstable();
        caps.dedup();
        MergedMeta {
            ignore_cache: base.ignore_cache || own.ignore_cache,
            description: merge_sorted(base, own),
            export_cache: own.export_cache.or(base.export_cache),
            caps,
            progress_group: own.progress_group.as_ref().or(base.progress_group.as_ref()),
        }
    }

    /// Whether `ignore_cache` is set.
    pub(super) fn ignore_cache(&self) -> bool {
        self.ignore_cache
    }

    /// Whether there is any description entry.
    pub(super) fn has_description(&self) -> bool {
        !self.description.is_empty()
    }

    /// Whether `export_cache` is set (to either value).
    pub(super) fn has_export_cache(&self) -> bool {
        self.export_cache.is_some()
    }

    /// The caps, sorted and unique.
    pub(super) fn caps(&self) -> &[&'a str] {
        &self.caps
    }

    /// Appends the protobuf bytes of the merged `pb::OpMetadata` to `buf`.
    pub(super) fn encode(&self, buf: &mut Vec<u8>) {
        if self.ignore_cache {
            bool_field(1, buf);
        }
        for (k, v) in &self.description {
            entry(2, str_len(1, k) + str_len(2, v), buf);
            str_field(1, k, buf);
            str_field(2, v, buf);
        }
        if let Some(value) = self.export_cache {
            entry(4, if value { 2 } else { 0 }, buf);
            if value {
                bool_field(1, buf);
            }
        }
        for c in &self.caps {
            entry(5, str_len(1, c) + 2, buf);
            str_field(1, c, buf);
            bool_field(2, buf);
        }
        if let Some(g) = self.progress_group {
            entry(
                6,
                str_len(1, &g.id) + str_len(2, &g.name) + if g.weak { 2 } else { 0 },
                buf,
            );
            str_field(1, &g.id, buf);
            str_field(2, &g.name, buf);
            if g.weak {
                bool_field(3, buf);
            }
        }
    }
}

/// The two sorted descriptions merged, `own`'s value where both have a key.
fn merge_sorted<'a>(base: &'a OpMetadata, own: &'a OpMetadata) -> Vec<(&'a str, &'a str)> {
    let mut out = Vec::with_capacity(base.description.len() + own.description.len());
    let mut a = base.description.iter().peekable();
    let mut b = own.description.iter().peekable();
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => match x.0.cmp(y.0) {
                std::cmp::Ordering::Less => a.next(),
                std::cmp::Ordering::Greater => b.next(),
                std::cmp::Ordering::Equal => {
                    a.next();
                    b.next()
                }
            },
            (Some(_), None) => a.next(),
            (None, _) => b.next(),
        };
        match next {
            Some((k, v)) => out.push((k, v.as_str())),
            None => return out,
        }
    }
}

/// A length-delimited field's key and length.
pub(super) fn entry(tag: u32, len: usize, buf: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, buf);
    encode_varint(len as u64, buf);
}

/// A `true` bool field (a false one is left out).
fn bool_field(tag: u32, buf: &mut Vec<u8>) {
    encode_key(tag, WireType::Varint, buf);
    buf.push(1);
}

/// The encoded length of a string field, 0 for the empty string (left out); every tag
/// here is under 16, so its key is one byte.
fn str_len(tag: u32, s: &str) -> usize {
    debug_assert!(tag < 16);
    if s.is_empty() {
        0
    } else {
        1 + encoded_len_varint(s.len() as u64) + s.len()
    }
}

/// A string field, left out when empty.
pub(super) fn str_field(tag: u32, s: &str, buf: &mut Vec<u8>) {
    if !s.is_empty() {
        entry(tag, s.len(), buf);
        buf.extend_from_slice(s.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::pb;

    /// The old way: a `pb::OpMetadata` built by merging, then encoded.
    fn via_pb(base: &OpMetadata, own: &OpMetadata, op_caps: &[&str]) -> Vec<u8> {
        let mut md = pb::OpMetadata::default();
        for from in [base, own] {
            md.ignore_cache |= from.ignore_cache;
            for (k, v) in from.description.iter() {
                md.description.insert(k.to_string(), v.clone());
            }
            if let Some(v) = from.export_cache {
                md.export_cache = Some(pb::ExportCache { value: v });
            }
            for c in &from.caps {
                md.caps.insert(c.clone(), true);
            }
            if let Some(g) = &from.progress_group {
                md.progress_group = Some(pb::ProgressGroup {
                    id: g.id.clone(),
                    name: g.name.clone(),
                    weak: g.weak,
                });
            }
        }
        for c in op_caps {
            md.caps.insert(c.to_string(), true);
        }
        md.encode_to_vec()
    }

    fn sample(i: usize) -> OpMetadata {
        let mut md = OpMetadata {
            ignore_cache: i % 2 == 1,
            export_cache: [None, Some(false), Some(true)][i % 3],
            ..OpMetadata::default()
        };
        let keys = [
            "",
            "a",
            "llb.customname",
            "com.docker.dockerfile.v1.command",
            "z",
        ];
        for (j, k) in keys.iter().enumerate() {
            if (i >> j) & 1 == 1 {
                let value = if j % 2 == 0 {
                    String::new()
                } else {
                    format!("v{i}{j}")
                };
                md.description.insert(k.to_string(), value);
            }
        }
        for (j, c) in ["", "exec.mount.bind", "source.local", "x"]
            .iter()
            .enumerate()
        {
            if (i >> (j + 1)) & 1 == 1 {
                md.caps.push(c.to_string());
            }
        }
        if i % 5 != 0 {
            md.progress_group = Some(ProgressGroup {
                id: if i % 4 == 0 {
                    String::new()
                } else {
                    format!("g{i}")
                },
                name: if i % 3 == 0 {
                    String::new()
                } else {
                    "name".repeat(40)
                },
                weak: i % 7 < 3,
            });
        }
        md
    }

    #[test]
    fn matches_the_encoded_pb_metadata() {
        let op_caps: [&[&str]; 3] = [&[], &["exec.mount.bind"], &["a", "source.local", "z"]];
        for i in 0..64 {
            for j in 0..64 {
                let (base, own) = (sample(i), sample(j * 3 + 1));
                for caps in op_caps {
                    let mut direct = Vec::new();
                    MergedMeta::new(&base, &own, caps).encode(&mut direct);
                    assert_eq!(direct, via_pb(&base, &own, caps), "{i} {j} {caps:?}");
                }
            }
        }
    }
}
