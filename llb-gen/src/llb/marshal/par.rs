//! Marshaling on two threads ([`MarshalOptions::parallel`]).
//!
//! An op's bytes are its `inputs` (the digests of its parents' ops) followed by everything else
//! (its platform, constraints and payload), and building that payload is most of the work. A
//! second thread walks the graph in the same order as the marshaler and builds each op's payload
//! and metadata with its inputs named by the parent's address instead of its digest; the
//! marshaler, one op behind, puts the digests in and does the rest as before. Same order, same
//! bytes.
//!
//! The graph is freed on a thread of its own once marshaled ([`free_later`]).
//!
//! One case does not carry over: Go lists two inputs that are equal once only, and two parents
//! at different addresses can have equal digests (two identical ops), which the second thread
//! cannot know. When the digests show such a pair, the marshaler encodes that op itself.

use std::collections::HashSet;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use super::{addr, encode_body, encode_inputs, encode_parts, post_order, Marshaler, Sink, Walker};
use crate::llb::state::{OpKind, Output, Vertex};
use crate::llb::{LlbError, MarshalOptions};
use crate::pb;

/// How far the second thread may run ahead, in ops.
const AHEAD: usize = 256;

/// One op as the second thread built it.
struct Prepared {
    /// `(address of the parent, output index)` in the op's input order; `None` if a name could
    /// not be read back (the marshaler then encodes the op itself).
    inputs: Option<Vec<(usize, i64)>>,
    /// Everything after the inputs ([`encode_body`]).
    body: Vec<u8>,
    md: pb::OpMetadata,
}

/// A vertex in marshaling order, with its op when the second thread built one.
struct Item {
    vertex: Arc<Vertex>,
    prepared: Option<Result<Prepared, LlbError>>,
}

/// The second thread's walk.
struct Producer<'o> {
    opts: &'o MarshalOptions,
    seen: HashSet<usize>,
    tx: SyncSender<Item>,
}

/// The marshaler is gone (it stopped at an error).
struct Gone;

impl Walker for Producer<'_> {
    type Error = Gone;
    fn seen(&self, v: &Arc<Vertex>) -> bool {
        self.seen.contains(&addr(v))
    }
    fn visit(&mut self, v: &Arc<Vertex>) -> Result<(), Gone> {
        self.seen.insert(addr(v));
        // A Definition is several ops: the marshaler takes it as it is.
        let prepared = match v.kind {
            OpKind::Definition(_) => None,
            _ => Some(prepare(v, self.opts)),
        };
        let item = Item {
            vertex: v.clone(),
            prepared,
        };
        self.tx.send(item).map_err(|_| Gone)
    }
}

/// The op of `v` with each input named by its parent's address.
fn prepare(v: &Vertex, opts: &MarshalOptions) -> Result<Prepared, LlbError> {
    let by_address = |o: &Output| pb::Input {
        digest: addr(&o.vertex).to_string(),
        index: o.index,
    };
    let (op, md) = encode_parts(v, opts, &by_address)?;
    let inputs = op
        .inputs
        .iter()
        .map(|i| Some((i.digest.parse::<usize>().ok()?, i.index)))
        .collect();
    let mut body = Vec::new();
    encode_body(&op, &mut body);
    Ok(Prepared { inputs, body, md })
}

impl<S: Sink> Marshaler<'_, S> {
    /// [`Marshaler::run`] with the ops built on a second thread (on this one alone when no
    /// thread can be started).
    pub(super) fn run_parallel(&mut self, out: &Output) -> Result<(), LlbError> {
        let opts = self.opts;
        let root = out.vertex.clone();
        let consumed = std::thread::scope(|scope| {
            let (tx, rx) = sync_channel(AHEAD);
            let producer = move || {
                let mut producer = Producer {
                    opts,
                    seen: HashSet::new(),
                    tx,
                };
                // Gone: the marshaler stopped at an error and reports it.
                let _ = post_order(&root, &mut producer);
            };
            let spawned = std::thread::Builder::new()
                .name("marshal".into())
                .spawn_scoped(scope, producer);
            spawned.ok().map(|_| self.consume(rx))
        });
        match consumed {
            Some(done) => done?,
            None => post_order(&out.vertex, self)?,
        }
        self.terminal(out)
    }

    /// Marshals the vertices the second thread sends, in its order. Returning drops `rx`,
    /// which stops the second thread.
    fn consume(&mut self, rx: Receiver<Item>) -> Result<(), LlbError> {
        for item in rx {
            match item.prepared {
                None => self.marshal_one(&item.vertex)?,
                Some(prepared) => self.add_prepared(&item.vertex, prepared?)?,
            }
        }
        Ok(())
    }

    /// Puts the parents' digests into a prepared op and adds it.
    fn add_prepared(&mut self, v: &Arc<Vertex>, p: Prepared) -> Result<(), LlbError> {
        let Some(inputs) = p.inputs.and_then(|named| self.inputs_of(&named)) else {
            return self.marshal_one(v);
        };
        let mut dt = std::mem::take(&mut self.scratch);
        dt.clear();
        encode_inputs(&inputs, &mut dt);
        dt.extend_from_slice(&p.body);
        let added = self.add_op(v, &dt, p.md);
        self.scratch = dt;
        added
    }

    /// The inputs of `named` with their digests, or `None` when two of them are equal (Go
    /// would have listed them once: the op must be encoded again) or a parent is unknown.
    fn inputs_of(&self, named: &[(usize, i64)]) -> Option<Vec<pb::Input>> {
        let mut inputs = Vec::with_capacity(named.len());
        for &(parent, index) in named {
            let digest = self.digests.get(&parent)?;
            inputs.push(pb::Input {
                digest: digest.to_string(),
                index,
            });
        }
        let distinct = inputs
            .iter()
            .enumerate()
            .all(|(i, a)| inputs[..i].iter().all(|b| b != a));
        distinct.then_some(inputs)
    }
}

/// Frees the graph of `output` on a thread of its own (on this one when none can be started):
/// the metadata and the source map are written meanwhile.
pub(super) fn free_later(output: Output) {
    let freed = move || drop(output);
    // A thread that cannot be started drops the closure, and the graph with it, here.
    let _ = std::thread::Builder::new()
        .name("teardown".into())
        .spawn(freed);
}
