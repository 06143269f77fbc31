//! Iterative teardown of the op graph.
//!
//! The graph is a chain of `Arc`s: a vertex holds its inputs through states
//! and outputs (`Vertex` -> exec mount -> `State` -> `Output` -> `Vertex`),
//! and a file op holds its action chain (`Node` -> `prev` / copy input ->
//! ...). Left to the compiler, dropping the last reference to the head of
//! a long chain recurses once per op: a Dockerfile of 45,000 `RUN` lines
//! overflowed an 8 MiB stack, 11,000 a 2 MiB one.
//!
//! Here `Drop` for [`Vertex`] and for file-action nodes moves every edge out
//! into a work list and releases the edges one by one: a child whose last
//! reference this is gets its own edges moved to the list before it is
//! freed, so no drop ever nests more than one level, whatever the depth.

use std::sync::Arc;

use super::file::{self, FileAction};
use super::merge::MergeData;
use super::state::{OpKind, Output, State, Vertex};

/// A reference the teardown still has to release.
pub(crate) enum Edge {
    Vertex(Arc<Vertex>),
    Action(FileAction),
}

/// The work list of one teardown.
#[derive(Default)]
pub(crate) struct Edges(Vec<Edge>);

impl Edges {
    /// Moves the output of `state` (if any) to the list.
    pub(crate) fn state(&mut self, mut state: State) {
        if let Some(out) = state.output.take() {
            self.output(out);
        }
    }

    pub(crate) fn output(&mut self, out: Output) {
        self.0.push(Edge::Vertex(out.vertex));
    }

    pub(crate) fn action(&mut self, action: FileAction) {
        self.0.push(Edge::Action(action));
    }

    /// Moves the edges of an op's payload to the list.
    fn kind(&mut self, kind: OpKind) {
        match kind {
            OpKind::Source(_) | OpKind::Definition(_) => {}
            OpKind::Exec(exec) => {
                let exec = *exec;
                for m in exec.mounts {
                    if let Some(source) = m.mount.into_source() {
                        self.state(source);
                    }
                }
            }
            OpKind::File(f) => {
                self.state(f.base);
                self.action(f.chain);
            }
            OpKind::Merge(m) => m.inputs.into_iter().for_each(|o| self.output(o)),
            OpKind::Diff(d) => d
                .lower
                .into_iter()
                .chain(d.upper)
                .for_each(|o| self.output(o)),
        }
    }

    /// Releases every edge. An edge that held the last reference has its
    /// own edges moved here first, so the value it frees holds none.
    pub(crate) fn release(mut self) {
        while let Some(edge) = self.0.pop() {
            match edge {
                Edge::Vertex(v) => {
                    if let Some(mut v) = Arc::into_inner(v) {
                        self.kind(take_kind(&mut v.kind));
                    }
                }
                Edge::Action(a) => file::detach(a, &mut self),
            }
        }
    }
}

/// Takes the payload out of a vertex, leaving an empty merge (no edges, no
/// allocation) behind.
fn take_kind(kind: &mut OpKind) -> OpKind {
    std::mem::replace(kind, OpKind::Merge(MergeData { inputs: Vec::new() }))
}

impl Drop for Vertex {
    fn drop(&mut self) {
        if let OpKind::Source(_) = self.kind {
            return;
        }
        let mut edges = Edges::default();
        edges.kind(take_kind(&mut self.kind));
        edges.release();
    }
}

#[cfg(test)]
mod tests {
    use crate::llb::*;

    /// Runs `f` on a thread with a small stack: 256 KiB, an eighth of the
    /// frontend's blocking threads, so a recursion per op would overflow
    /// within the first few thousand.
    fn on_small_stack(f: impl FnOnce() + Send + 'static) {
        let handle = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(f)
            .expect("spawn");
        assert!(handle.join().is_ok(), "the thread panicked");
    }

    const DEPTH: usize = 200_000;

    #[test]
    fn a_long_exec_chain_drops_without_recursion() {
        on_small_stack(|| {
            let mut st = scratch();
            for _ in 0..DEPTH {
                let cache = CacheMount::new("/c", "id", CacheSharing::Shared).from(st.clone());
                let opts = ExecOptions {
                    args: vec!["true".into()],
                    mounts: vec![cache.into()],
                    ..ExecOptions::default()
                };
                st = st.run(opts).expect("run").root();
            }
            drop(st);
        });
    }

    #[test]
    fn long_file_chains_and_copy_inputs_drop_without_recursion() {
        on_small_stack(|| {
            let mut st = scratch();
            let mut chain = FileAction::mkdir("/d", 0o755, MkdirOptions::default());
            for i in 0..DEPTH {
                // Each op copies from the previous state (an edge through a
                // copy input) and runs on it (an edge through the base).
                let copy = FileAction::copy(
                    CopyInput::State(st.clone()),
                    "/a",
                    format!("/b{}", i % 7),
                    CopyOptions::default(),
                );
                st = st.file(copy, OpOptions::default());
                chain = chain.then(FileAction::rm("/x", RmOptions::default()));
            }
            let merged = merge(
                &[st.clone(), scratch().file(chain, OpOptions::default())],
                OpOptions::default(),
            );
            drop((st, merged));
        });
    }

    #[test]
    fn shared_parents_survive_the_drop_of_a_child() {
        let base = scratch().file(
            FileAction::mkdir("/d", 0o755, MkdirOptions::default()),
            OpOptions::default(),
        );
        let child = base.file(
            FileAction::rm("/d", RmOptions::default()),
            OpOptions::default(),
        );
        drop(child);
        let def = base.marshal(&MarshalOptions::default()).expect("marshal");
        assert_eq!(def.def.len(), 2, "the mkdir op and the terminal op");
    }
}
