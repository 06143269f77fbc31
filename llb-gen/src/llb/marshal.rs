//! Marshaling a state graph into a [`pb::Definition`] (`client/llb/state.go`
//! `Marshal`, `marshal.go`).
//!
//! Depth-first, parents before children, in the order Go visits inputs; ops
//! de-duplicated by digest (`sha256:` of the exact op bytes); metadata keyed
//! by digest; a bare terminal op `Op{inputs: [result]}` last. Ops are encoded
//! in Go's field order with maps sorted by key, byte-identical to Go's
//! deterministic encoding: [`encode_op`] for a `pb::Op`; the marshaler writes
//! the same bytes from each op's parts (`parts.rs`), an exec op's body and
//! every op's metadata straight from their data (`exec_encode.rs`, `meta.rs`).

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::sync::Arc;

use prost::Message;
use rustc_hash::FxBuildHasher;
use sha2::{Digest as _, Sha256};

use super::caps;
use super::meta::MergedMeta;
use super::source_map::{DigestLocations, SourceMapCollector, SourceParts};
use super::state::{OpKind, OpMetadata, Output, Platform, State, Vertex};
use super::LlbError;
use crate::pb;

/// Which LLB caps the daemon supports (from `Ping`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CapSet {
    /// Not known: no caps-based decisions (like Go without `WithCaps`).
    #[default]
    Unknown,
    /// Every cap is supported.
    All,
    /// Exactly these caps are supported.
    Only(BTreeSet<String>),
}

impl CapSet {
    /// Whether caps are known at all.
    pub fn is_known(&self) -> bool {
        !matches!(self, CapSet::Unknown)
    }

    /// Whether `cap` is supported; `false` when unknown.
    pub fn supports(&self, cap: &str) -> bool {
        match self {
            CapSet::Unknown => false,
            CapSet::All => true,
            CapSet::Only(set) => set.contains(cap),
        }
    }
}

/// Marshal-wide defaults (Go `Constraints` given to `State.Marshal`).
#[derive(Debug, Clone, Default)]
pub struct MarshalOptions {
    /// Platform of image sources and exec ops that have none (default `linux/amd64`).
    pub platform: Option<Platform>,
    /// The daemon's caps. When known and `exec.meta.setsdefaultpath` is
    /// supported, exec ops require it; when known and not supported, exec
    /// ops without `PATH` get the default one.
    pub caps: CapSet,
    /// Value of `local.unique` for local sources without a session id. Go
    /// uses a random id; `None` leaves the attribute out (deterministic).
    pub local_unique_id: Option<String>,
    /// Worker constraints prepended to every op's.
    pub worker_constraints: Vec<String>,
    /// Metadata merged into every op's.
    pub metadata: OpMetadata,
    /// Largest Definition to produce, in bytes; `None` = no limit. Checked
    /// as each op is added (an upper estimate of its share: op bytes,
    /// metadata, source locations and source files), so a graph that would
    /// marshal to gigabytes fails at its first op past the limit.
    pub max_bytes: Option<usize>,
}

/// What [`State::marshal_to`] does with the graph once its ops are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Teardown {
    /// Free it: its memory serves what comes next (the lower peak).
    #[default]
    Free,
    /// Leave it allocated, never freed: for a process that ends soon after, whose pages the
    /// system takes back at exit for much less than visiting and freeing every vertex, env
    /// and string of a big graph costs (the frontend: 7 % of its CPU time on 500 stages,
    /// 14 % on 5,000; docs/performance-history.md, "the graph left to the exit", session 6).
    Leave,
}

impl Teardown {
    /// Ends `value` (a graph, or what holds one) as this says: dropped, or forgotten.
    pub fn release<T>(self, value: T) {
        match self {
            Teardown::Free => drop(value),
            Teardown::Leave => std::mem::forget(value),
        }
    }
}

/// `sha256:<hex>` of `bytes`.
pub fn digest_of(bytes: &[u8]) -> String {
    OpDigest::of(bytes).to_string()
}

/// The sha256 of an op's bytes, kept as bytes while marshaling (a `String`
/// per op and per map was ~0.5 MB on 500-stage files). Ordered like its
/// `sha256:<hex>` text, since lower-case hex keeps the byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct OpDigest([u8; 32]);

/// The bytes' order, compared by their first eight as a big-endian word (which nearly always
/// decides between two digests) before the rest: the derived order called `memcmp` for every
/// comparison of the metadata map and the source map's sort (about 50,000 on 500 stages).
impl Ord for OpDigest {
    fn cmp(&self, other: &OpDigest) -> std::cmp::Ordering {
        self.head()
            .cmp(&other.head())
            .then_with(|| self.0[8..].cmp(&other.0[8..]))
    }
}

impl PartialOrd for OpDigest {
    fn partial_cmp(&self, other: &OpDigest) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl OpDigest {
    /// The first eight bytes as a big-endian word: ordered like them.
    fn head(&self) -> u64 {
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.0[..8]);
        u64::from_be_bytes(word)
    }

    pub(crate) fn of(bytes: &[u8]) -> Self {
        OpDigest(Sha256::digest(bytes).into())
    }

    /// The `sha256:<hex>` text's bytes, on the stack.
    pub(crate) fn text(&self) -> [u8; Self::TEXT_LEN] {
        // Each byte's two digits, from a table (a lookup a byte, not two shifts and two).
        const PAIRS: [[u8; 2]; 256] = {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let mut t = [[0u8; 2]; 256];
            let mut i = 0;
            while i < 256 {
                t[i] = [HEX[i >> 4], HEX[i & 0xf]];
                i += 1;
            }
            t
        };
        let mut buf = [0u8; Self::TEXT_LEN];
        let (head, digits) = buf.split_at_mut(7);
        head.copy_from_slice(b"sha256:");
        for (pair, b) in digits.chunks_exact_mut(2).zip(self.0) {
            pair.copy_from_slice(&PAIRS[usize::from(b)]);
        }
        buf
    }

    /// The length of [`OpDigest::text`].
    pub(crate) const TEXT_LEN: usize = 7 + 64;
}

impl std::fmt::Display for OpDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only ASCII was written.
        f.write_str(std::str::from_utf8(&self.text()).map_err(|_| std::fmt::Error)?)
    }
}

/// Encodes an op exactly like Go's protobuf (protobuf-go orders oneof
/// fields after the regular ones, so `platform` (10) and `constraints` (11)
/// come before the `op` oneof (2..7); prost would write them in tag order).
pub fn encode_op(op: &pb::Op) -> Vec<u8> {
    let mut buf = Vec::with_capacity(op.encoded_len());
    encode_op_into(op, &mut buf);
    buf
}

/// [`encode_op`] appending to `buf` (the marshaler reuses one buffer: sizing each op's first
/// would walk every nested message once more).
fn encode_op_into(op: &pb::Op, buf: &mut Vec<u8>) {
    use prost::encoding::message;
    for input in &op.inputs {
        message::encode(1, input, buf);
    }
    if let Some(p) = &op.platform {
        message::encode(10, p, buf);
    }
    if let Some(c) = &op.constraints {
        message::encode(11, c, buf);
    }
    if let Some(o) = &op.op {
        o.encode(buf);
    }
}

pub(crate) use super::parts::{InputRef, InputTable, OpBody, OpParts, Resolver};

fn merge_pb_metadata(into: &mut pb::OpMetadata, from: pb::OpMetadata) {
    into.ignore_cache |= from.ignore_cache;
    into.description.extend(from.description);
    if from.export_cache.is_some() {
        into.export_cache = from.export_cache;
    }
    into.caps.extend(from.caps);
    if from.progress_group.is_some() {
        into.progress_group = from.progress_group;
    }
}

/// Which kinds of metadata any marshaled op carried (they decide the
/// terminal op's caps).
#[derive(Default, Clone, Copy)]
struct UsedMeta {
    ignore_cache: bool,
    description: bool,
    export_cache: bool,
}

impl UsedMeta {
    fn of_pb(md: &pb::OpMetadata) -> Self {
        UsedMeta {
            ignore_cache: md.ignore_cache,
            description: !md.description.is_empty(),
            export_cache: md.export_cache.is_some(),
        }
    }
    fn of_merged(md: &MergedMeta<'_>) -> Self {
        UsedMeta {
            ignore_cache: md.ignore_cache(),
            description: md.has_description(),
            export_cache: md.has_export_cache(),
        }
    }
    fn add(&mut self, other: UsedMeta) {
        self.ignore_cache |= other.ignore_cache;
        self.description |= other.description;
        self.export_cache |= other.export_cache;
    }
}

/// Decodes metadata this module encoded (from a `pb::OpMetadata` or a [`MergedMeta`]).
fn decode_metadata(md: &[u8]) -> pb::OpMetadata {
    pb::OpMetadata::decode(md).unwrap_or_default()
}

/// Where marshaled ops go: a [`pb::Definition`] being built, or a writer.
trait Sink {
    /// One marshaled op: a new digest adds `dt` and `md` (the metadata's protobuf bytes);
    /// a digest seen before only merges `md` into its metadata.
    fn op(&mut self, dgst: OpDigest, dt: &[u8], md: &[u8]) -> Result<(), LlbError>;
    /// Removes and returns the metadata of `dgst`.
    fn take_metadata(&mut self, dgst: &OpDigest) -> Option<pb::OpMetadata>;
}

/// Builds the `def` and `metadata` fields of a [`pb::Definition`].
#[derive(Default)]
struct DefinitionSink {
    def: Vec<Vec<u8>>,
    metadata: BTreeMap<String, pb::OpMetadata>,
}

impl Sink for DefinitionSink {
    fn op(&mut self, dgst: OpDigest, dt: &[u8], md: &[u8]) -> Result<(), LlbError> {
        match self.metadata.entry(dgst.to_string()) {
            Entry::Vacant(e) => {
                e.insert(decode_metadata(md));
                self.def.push(dt.to_vec());
            }
            Entry::Occupied(mut e) => merge_pb_metadata(e.get_mut(), decode_metadata(md)),
        }
        Ok(())
    }
    fn take_metadata(&mut self, dgst: &OpDigest) -> Option<pb::OpMetadata> {
        self.metadata.remove(&dgst.to_string())
    }
}

/// Writes each new op's `def` entry (Definition field 1) as soon as it is
/// marshaled and keeps only the encoded metadata, which Go writes after all
/// ops in digest order.
struct WriteSink<'w> {
    out: &'w mut dyn Write,
    buf: Vec<u8>,
    metadata: BTreeMap<OpDigest, Vec<u8>>,
}

impl WriteSink<'_> {
    fn write_buf(&mut self) -> Result<(), LlbError> {
        let r = self.out.write_all(&self.buf);
        self.buf.clear();
        r.map_err(|e| LlbError::Write(e.to_string()))
    }

    /// A bytes field: its key and length from the buffer, then `bytes` written as they are
    /// (no copy into the buffer).
    fn write_bytes_field(&mut self, tag: u32, bytes: &[u8]) -> Result<(), LlbError> {
        use prost::encoding::{encode_key, encode_varint, WireType};
        encode_key(tag, WireType::LengthDelimited, &mut self.buf);
        encode_varint(bytes.len() as u64, &mut self.buf);
        self.write_buf()?;
        self.out
            .write_all(bytes)
            .map_err(|e| LlbError::Write(e.to_string()))
    }

    /// The metadata entries (field 2, sorted by digest) and the source (field 3), whose
    /// `infos` have their files' bytes apart (see [`WriteSink::write_source`]).
    fn finish(mut self, source: &SourceParts) -> Result<(), LlbError> {
        use prost::encoding::{encode_key, encode_varint, encoded_len_varint, WireType};
        // The key's field: a one-byte tag, a one-byte length, the digest's text.
        const KEY_LEN: usize = 2 + OpDigest::TEXT_LEN;
        for (dgst, v) in std::mem::take(&mut self.metadata) {
            // A map entry (like prost's `btree_map::encode`): the key, then
            // the value unless it is the default (empty) message.
            let value_len = if v.is_empty() {
                0
            } else {
                1 + encoded_len_varint(v.len() as u64) + v.len()
            };
            encode_key(2, WireType::LengthDelimited, &mut self.buf);
            encode_varint((KEY_LEN + value_len) as u64, &mut self.buf);
            encode_key(1, WireType::LengthDelimited, &mut self.buf);
            encode_varint(OpDigest::TEXT_LEN as u64, &mut self.buf);
            self.buf.extend_from_slice(&dgst.text());
            if !v.is_empty() {
                encode_key(2, WireType::LengthDelimited, &mut self.buf);
                encode_varint(v.len() as u64, &mut self.buf);
                self.buf.extend_from_slice(&v);
            }
            // Written in blocks, not an entry at a time.
            if self.buf.len() >= 1 << 16 {
                self.write_buf()?;
            }
        }
        self.write_source(source)
    }

    /// The source (field 3) written in parts: each file's bytes (`source.data`, in the
    /// order of `source.infos`, whose own `data` is empty) go to the writer from where they
    /// are, not through a copy in a message (2.4 MB on 5,000 stages); the locations are
    /// encoded from the digests as they are (no `String` key each).
    fn write_source(&mut self, source: &SourceParts) -> Result<(), LlbError> {
        use prost::encoding::{
            encode_key, encode_varint, encoded_len_varint, message, string, WireType,
        };
        // A field of `len` bytes with a one-byte key (every tag here is under 16).
        let field = |len: usize| 1 + encoded_len_varint(len as u64) + len;
        let data = &source.data;
        let info_lens: Vec<usize> = (source.infos.iter().zip(data))
            .map(|(info, d)| info.encoded_len() + if d.is_empty() { 0 } else { field(d.len()) })
            .collect();
        let entry_lens = location_entry_lens(&source.locations);
        let total = entry_lens.iter().map(|&(len, _)| field(len)).sum::<usize>()
            + info_lens.iter().map(|&len| field(len)).sum::<usize>();
        encode_key(3, WireType::LengthDelimited, &mut self.buf);
        encode_varint(total as u64, &mut self.buf);
        // The `locations` map (field 1), like prost's `btree_map::encode`: per digest an
        // entry of the key and, unless it is empty, the `Locations` message.
        for (run, &(len, value)) in source.locations.runs().zip(&entry_lens) {
            encode_key(1, WireType::LengthDelimited, &mut self.buf);
            encode_varint(len as u64, &mut self.buf);
            encode_key(1, WireType::LengthDelimited, &mut self.buf);
            encode_varint(OpDigest::TEXT_LEN as u64, &mut self.buf);
            self.buf.extend_from_slice(&run[0].0.text());
            if value > 0 {
                encode_key(2, WireType::LengthDelimited, &mut self.buf);
                encode_varint(value as u64, &mut self.buf);
                for (_, l) in run {
                    message::encode(1, l, &mut self.buf);
                }
            }
            if self.buf.len() >= 1 << 16 {
                self.write_buf()?;
            }
        }
        for ((info, d), &len) in source.infos.iter().zip(data).zip(&info_lens) {
            // A SourceInfo's fields in order: filename, data, definition, language.
            encode_key(2, WireType::LengthDelimited, &mut self.buf);
            encode_varint(len as u64, &mut self.buf);
            if !info.filename.is_empty() {
                string::encode(1, &info.filename, &mut self.buf);
            }
            if !d.is_empty() {
                self.write_bytes_field(2, d)?;
            }
            if let Some(def) = &info.definition {
                message::encode(3, def, &mut self.buf);
            }
            if !info.language.is_empty() {
                string::encode(4, &info.language, &mut self.buf);
            }
        }
        self.write_buf()
    }
}

/// The encoded length of each entry of `Source.locations` (the digest's text as the key
/// and the `Locations` message as the value, left out when it has no location), with the
/// length of that message's contents.
fn location_entry_lens(locations: &DigestLocations) -> Vec<(usize, usize)> {
    use prost::encoding::{encoded_len_varint, message};
    locations
        .runs()
        .map(|run| {
            let value: usize = run.iter().map(|(_, l)| message::encoded_len(1, l)).sum();
            let field = if value == 0 {
                0
            } else {
                1 + encoded_len_varint(value as u64) + value
            };
            (2 + OpDigest::TEXT_LEN + field, value)
        })
        .collect()
}

impl Sink for WriteSink<'_> {
    fn op(&mut self, dgst: OpDigest, dt: &[u8], md: &[u8]) -> Result<(), LlbError> {
        match self.metadata.entry(dgst) {
            Entry::Vacant(e) => {
                e.insert(md.to_vec());
                self.write_bytes_field(1, dt)
            }
            Entry::Occupied(mut e) => {
                let mut into = decode_metadata(e.get());
                merge_pb_metadata(&mut into, decode_metadata(md));
                *e.get_mut() = into.encode_to_vec();
                Ok(())
            }
        }
    }
    fn take_metadata(&mut self, dgst: &OpDigest) -> Option<pb::OpMetadata> {
        let v = self.metadata.remove(dgst)?;
        pb::OpMetadata::decode(v.as_slice()).ok()
    }
}

struct Marshaler<'o, S> {
    opts: &'o MarshalOptions,
    /// Upper estimate of the Definition's size so far.
    size: usize,
    /// Keyed by address: FxHash (SipHash's protection is for keys an input chooses).
    digests: HashMap<*const Vertex, OpDigest, FxBuildHasher>,
    sink: S,
    used: UsedMeta,
    /// Every cap some op's metadata names (what the daemon must support). Hashed while the
    /// ops are walked (each op looks up each of its caps: a tree compared strings four times
    /// a lookup), ordered once at the end.
    caps: HashSet<String, FxBuildHasher>,
    sources: SourceMapCollector,
    /// The reused buffer each op is encoded into and handed to the sink from.
    scratch: Vec<u8>,
    /// The same for each op's metadata.
    md_scratch: Vec<u8>,
}

impl<'o, S: Sink> Marshaler<'o, S> {
    fn new(opts: &'o MarshalOptions, sink: S) -> Self {
        Marshaler {
            opts,
            size: 0,
            digests: HashMap::default(),
            sink,
            used: UsedMeta::default(),
            caps: HashSet::default(),
            sources: SourceMapCollector::default(),
            scratch: Vec::new(),
            md_scratch: Vec::new(),
        }
    }

    /// Notes the metadata's kinds and caps, then hands the op and its encoded metadata
    /// (`md`) to the sink.
    fn emit<'c>(
        &mut self,
        dgst: OpDigest,
        dt: &[u8],
        md: &[u8],
        used: UsedMeta,
        caps: impl IntoIterator<Item = &'c str>,
    ) -> Result<(), LlbError> {
        self.used.add(used);
        for cap in caps {
            if !self.caps.contains(cap) {
                self.caps.insert(cap.to_owned());
            }
        }
        self.sink.op(dgst, dt, md)
    }

    /// [`Marshaler::emit`] for metadata held as a `pb::OpMetadata`.
    fn emit_pb(&mut self, dgst: OpDigest, dt: &[u8], md: &pb::OpMetadata) -> Result<(), LlbError> {
        let bytes = md.encode_to_vec();
        self.emit(
            dgst,
            dt,
            &bytes,
            UsedMeta::of_pb(md),
            md.caps.keys().map(String::as_str),
        )
    }

    fn input_of(&self, o: &Output) -> InputRef {
        InputRef {
            digest: self.digests.get(&Arc::as_ptr(&o.vertex)).copied(),
            index: o.index,
        }
    }

    /// Post-order walk without recursion (graphs can be thousands deep).
    fn walk(&mut self, root: &Arc<Vertex>) -> Result<(), LlbError> {
        let mut stack: Vec<(Arc<Vertex>, bool)> = vec![(root.clone(), false)];
        while let Some((v, expanded)) = stack.pop() {
            if self.digests.contains_key(&Arc::as_ptr(&v)) {
                continue;
            }
            if expanded {
                self.marshal_one(&v)?;
                continue;
            }
            stack.push((v.clone(), true));
            for inp in v.inputs().iter().rev() {
                if !self.digests.contains_key(&Arc::as_ptr(&inp.vertex)) {
                    stack.push((inp.vertex.clone(), false));
                }
            }
        }
        Ok(())
    }

    fn marshal_one(&mut self, v: &Arc<Vertex>) -> Result<(), LlbError> {
        if let OpKind::Definition(d) = &v.kind {
            return self.marshal_definition(v, d);
        }
        // The op and its metadata are encoded into the reused buffers and handed to the
        // sink from there.
        let mut dt = std::mem::take(&mut self.scratch);
        dt.clear();
        let op_caps = match self.encode(v, &mut dt) {
            Ok(caps) => caps,
            Err(e) => {
                self.scratch = dt;
                return Err(e);
            }
        };
        let opts = self.opts;
        let md = MergedMeta::new(&opts.metadata, &v.options.metadata, &op_caps);
        let mut md_bytes = std::mem::take(&mut self.md_scratch);
        md_bytes.clear();
        md.encode(&mut md_bytes);
        let done = self.add_op(v, &dt, &md_bytes, &md);
        self.scratch = dt;
        self.md_scratch = md_bytes;
        done
    }

    fn add_op(
        &mut self,
        v: &Arc<Vertex>,
        dt: &[u8],
        md_bytes: &[u8],
        md: &MergedMeta<'_>,
    ) -> Result<(), LlbError> {
        self.account(v, dt, md_bytes.len())?;
        let dgst = OpDigest::of(dt);
        self.digests.insert(Arc::as_ptr(v), dgst);
        self.sources.add(dgst, &v.options.locations);
        self.emit(
            dgst,
            dt,
            md_bytes,
            UsedMeta::of_merged(md),
            md.caps().iter().copied(),
        )
    }

    /// An existing Definition: its ops and metadata as they are; the
    /// vertex stands for the op its terminal op names.
    fn marshal_definition(
        &mut self,
        v: &Arc<Vertex>,
        d: &super::definition::DefinitionData,
    ) -> Result<(), LlbError> {
        for (dt, md) in d.ops() {
            self.account(v, dt, md.encoded_len())?;
            self.emit_pb(OpDigest::of(dt), dt, &md)?;
        }
        let head = d
            .ops()
            .map(|(dt, _)| OpDigest::of(dt))
            .find(|dg| dg.to_string() == d.head)
            .ok_or_else(|| LlbError::Definition(format!("{} is not in the definition", d.head)))?;
        self.digests.insert(Arc::as_ptr(v), head);
        Ok(())
    }

    /// Adds the share of one op (its bytes `dt` and `md_len` bytes of metadata) to the size
    /// estimate; fails past the limit.
    fn account(&mut self, v: &Vertex, dt: &[u8], md_len: usize) -> Result<(), LlbError> {
        // Each entry: tag and length prefix (at most 11 bytes), the digest
        // text as the key of metadata and source locations (71 bytes each).
        const ENTRY: usize = 11 + 71;
        let mut cost = dt.len() + 11 + ENTRY + md_len;
        for l in &v.options.locations {
            cost += ENTRY + 32 * l.ranges.len() + self.sources.new_file_cost(&l.source);
        }
        self.size = self.size.saturating_add(cost);
        match self.opts.max_bytes {
            Some(limit) if self.size > limit => Err(LlbError::TooLarge {
                limit,
                size: self.size,
                at: v
                    .options
                    .locations
                    .first()
                    .map(|l| (l.source.filename.clone(), l.byte_range())),
            }),
            _ => Ok(()),
        }
    }

    /// Appends the op of `v` to `dt` (the bytes [`encode_op`] gives its `pb::Op`); returns
    /// the caps it requires.
    fn encode(&self, v: &Vertex, dt: &mut Vec<u8>) -> Result<Vec<&'static str>, LlbError> {
        use prost::encoding::message;
        let resolve = |o: &Output| self.input_of(o);
        let parts = match &v.kind {
            OpKind::Source(s) => s.to_parts(&v.options, self.opts)?,
            OpKind::Exec(e) => e.to_parts(&v.options, self.opts, &resolve),
            OpKind::File(f) => f.to_parts(&resolve),
            OpKind::Merge(m) => m.to_parts(&resolve),
            OpKind::Diff(d) => d.to_parts(&resolve),
            OpKind::Definition(_) => {
                return Err(LlbError::Definition("encoded as one op".into()));
            }
        };
        let mut filter = self.opts.worker_constraints.clone();
        filter.extend(v.options.worker_constraints.iter().cloned());
        // Go's field order, as in `encode_op_into`.
        for input in &parts.inputs {
            input.encode(dt);
        }
        if let Some(p) = &parts.platform {
            message::encode(10, &**p, dt);
        }
        message::encode(11, &pb::WorkerConstraints { filter }, dt);
        match &parts.op {
            OpBody::Pb(op) => op.encode(dt),
            OpBody::Encoded(field) => dt.extend_from_slice(field),
        }
        Ok(parts.caps)
    }

    /// Walks the graph of `out` and adds the terminal op `Op{inputs: [out]}`.
    fn run(&mut self, out: &Output) -> Result<(), LlbError> {
        self.walk(&out.vertex)?;
        let terminal = pb::Op {
            inputs: vec![self.input_of(out).to_pb()],
            ..Default::default()
        };
        // The vertex digests are only needed for inputs: free them before
        // the source map and the metadata are assembled (the peak).
        drop(std::mem::take(&mut self.digests));
        let dt = encode_op(&terminal);
        let dgst = OpDigest::of(&dt);
        let mut md = self.sink.take_metadata(&dgst).unwrap_or_default();
        md.caps.insert(caps::CONSTRAINTS.into(), true);
        md.caps.insert(caps::PLATFORM.into(), true);
        if self.used.ignore_cache {
            md.caps.insert(caps::META_IGNORE_CACHE.into(), true);
        }
        if self.used.description {
            md.caps.insert(caps::META_DESCRIPTION.into(), true);
        }
        if self.used.export_cache {
            md.caps.insert(caps::META_EXPORT_CACHE.into(), true);
        }
        self.emit_pb(dgst, &dt, &md)
    }
}

impl State {
    /// Marshals this state and all its parents into a Definition (Go
    /// `State.Marshal`). Scratch gives an empty Definition.
    pub fn marshal(&self, opts: &MarshalOptions) -> Result<pb::Definition, LlbError> {
        let Some(out) = &self.output else {
            return Ok(pb::Definition::default());
        };
        let mut m = Marshaler::new(opts, DefinitionSink::default());
        m.run(out)?;
        let source = m.sources.marshal(opts)?;
        Ok(pb::Definition {
            def: m.sink.def,
            metadata: m.sink.metadata,
            source: Some(source),
        })
    }

    /// Marshals like [`State::marshal`] and writes the protobuf bytes of the
    /// Definition to `out` (the same bytes as `encode_to_vec`) without
    /// building it: each op is written as soon as it is marshaled, only the
    /// encoded metadata is kept, and the graph is then freed or left as
    /// `teardown` says, before the metadata and the source map are written.
    /// Returns every cap the ops' metadata names (the union of what
    /// [`State::marshal`]'s metadata holds), for a caller that checks them
    /// against the daemon's without decoding.
    pub fn marshal_to(
        self,
        opts: &MarshalOptions,
        teardown: Teardown,
        out: &mut dyn Write,
    ) -> Result<BTreeSet<String>, LlbError> {
        let Some(output) = self.output else {
            return Ok(BTreeSet::new());
        };
        let sink = WriteSink {
            out,
            buf: Vec::new(),
            metadata: BTreeMap::new(),
        };
        let mut m = Marshaler::new(opts, sink);
        m.run(&output)?;
        teardown.release(output);
        let source = m.sources.marshal_parts(opts)?;
        let caps = std::mem::take(&mut m.caps).into_iter().collect();
        m.sink.finish(&source)?;
        Ok(caps)
    }
}

#[cfg(test)]
mod tests {
    use super::OpDigest;

    /// The table's digits are the formatter's, for every byte value.
    #[test]
    fn digest_text_is_lower_hex() {
        for first in 0..=255u8 {
            let mut bytes = [0u8; 32];
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = first.wrapping_add(i as u8 * 8);
            }
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let text = OpDigest(bytes).text();
            assert_eq!(
                std::str::from_utf8(&text),
                Ok(format!("sha256:{hex}").as_str())
            );
        }
    }

    /// Digests order like their bytes (so like their text), whichever byte differs first.
    #[test]
    fn digest_order_is_the_bytes_order() {
        let mut digests = Vec::new();
        for at in [0usize, 3, 7, 8, 15, 31] {
            for value in [0u8, 1, 0x7f, 0x80, 0xff] {
                let mut bytes = [0x55u8; 32];
                bytes[at] = value;
                digests.push(OpDigest(bytes));
            }
        }
        for a in &digests {
            for b in &digests {
                assert_eq!(a.cmp(b), a.0.cmp(&b.0), "{a:?} {b:?}");
                assert_eq!(a.cmp(b), a.text().cmp(&b.text()));
            }
        }
    }
}
