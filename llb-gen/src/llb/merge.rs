//! Merge and diff ops (`client/llb/merge.go`, `diff.go`).

use super::caps;
use super::marshal::{InputRef, OpParts, Resolver};
use super::state::{OpKind, OpOptions, Output, State, Vertex};
use crate::pb;

/// The payload of a merge op: non-scratch inputs, in order.
#[derive(Debug)]
pub(crate) struct MergeData {
    pub(crate) inputs: Vec<Output>,
}

/// The payload of a diff op.
#[derive(Debug)]
pub(crate) struct DiffData {
    pub(crate) lower: Option<Output>,
    pub(crate) upper: Option<Output>,
}

/// Layers `states` on top of each other (Go `llb.Merge`). Scratch inputs are
/// dropped; no input gives scratch and a single input is returned as is.
/// Otherwise the result is a fresh state (working directory `/`, no env).
pub fn merge(states: &[State], op: OpOptions) -> State {
    let mut non_empty: Vec<&State> = states.iter().filter(|s| s.output.is_some()).collect();
    match non_empty.len() {
        0 => State::scratch(),
        1 => non_empty.remove(0).clone(),
        _ => {
            let inputs = non_empty.iter().filter_map(|s| s.output.clone()).collect();
            let vertex = Vertex::new(OpKind::Merge(MergeData { inputs }), op);
            State::from_output(Output { vertex, index: 0 })
        }
    }
}

/// The changes from `lower` to `upper` (Go `llb.Diff`).
pub fn diff(lower: &State, upper: &State, op: OpOptions) -> State {
    if lower.output.is_none() && upper.output.is_none() {
        return State::scratch();
    }
    let data = DiffData {
        lower: lower.output.clone(),
        upper: upper.output.clone(),
    };
    let vertex = Vertex::new(OpKind::Diff(data), op);
    State::from_output(Output { vertex, index: 0 })
}

impl MergeData {
    pub(crate) fn to_parts(&self, resolve: &Resolver) -> OpParts<'static> {
        // Go appends every input without de-duplication.
        let all: Vec<InputRef> = self.inputs.iter().map(resolve).collect();
        let inputs = (0..all.len() as i64)
            .map(|input| pb::MergeInput { input })
            .collect();
        OpParts {
            inputs: all,
            op: pb::op::Op::Merge(pb::MergeOp { inputs }).into(),
            platform: None,
            caps: vec![caps::MERGE_OP],
        }
    }
}

impl DiffData {
    pub(crate) fn to_parts(&self, resolve: &Resolver) -> OpParts<'static> {
        let mut all: Vec<InputRef> = Vec::new();
        let mut push = |o: &Option<Output>| match o {
            Some(o) => {
                all.push(resolve(o));
                all.len() as i64 - 1
            }
            None => -1,
        };
        let lower = pb::LowerDiffInput {
            input: push(&self.lower),
        };
        let upper = pb::UpperDiffInput {
            input: push(&self.upper),
        };
        OpParts {
            inputs: all,
            op: pb::op::Op::Diff(pb::DiffOp {
                lower: Some(lower),
                upper: Some(upper),
            })
            .into(),
            platform: None,
            caps: vec![caps::DIFF_OP],
        }
    }
}
