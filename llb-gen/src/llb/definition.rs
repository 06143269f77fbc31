//! A state made of an existing Definition (Go `llb.NewDefinitionOp`): the
//! result of another solve, such as a frontend input (`Inputs` RPC) or a
//! named context built elsewhere. Marshaling copies the Definition's ops and
//! their metadata as they are (same bytes, same digests) and points at the
//! op its terminal op names. The Definition's source locations are not
//! carried over (an error in one of its ops shows no Dockerfile lines).

use std::sync::Arc;

use super::marshal::digest_of;
use super::state::{OpKind, OpOptions, Output, State, Vertex};
use super::LlbError;
use crate::pb;
use prost::Message as _;

/// The payload of a definition vertex.
#[derive(Debug)]
pub(crate) struct DefinitionData {
    /// The Definition, terminal op included (it is skipped when marshaling).
    pub(crate) def: Arc<pb::Definition>,
    /// The digest of the op the terminal op points at.
    pub(crate) head: String,
}

/// The state of a Definition's result; scratch for an empty Definition.
/// A Definition whose last op is not a terminal op (one input, no op) is
/// an error.
pub fn from_definition(def: pb::Definition) -> Result<State, LlbError> {
    let Some(last) = def.def.last() else {
        return Ok(State::scratch());
    };
    let terminal = pb::Op::decode(last.as_slice())
        .map_err(|e| LlbError::Definition(format!("the last op does not decode: {e}")))?;
    let input = match (terminal.op.is_none(), terminal.inputs.as_slice()) {
        (true, [input]) => input.clone(),
        _ => {
            return Err(LlbError::Definition(
                "the last op is not a terminal op (one input, no payload)".into(),
            ))
        }
    };
    if !def.def[..def.def.len() - 1]
        .iter()
        .any(|op| digest_of(op) == input.digest)
    {
        return Err(LlbError::Definition(format!(
            "the terminal op points at {}, which is not in the definition",
            input.digest
        )));
    }
    let vertex = Vertex::new(
        OpKind::Definition(DefinitionData {
            def: Arc::new(def),
            head: input.digest,
        }),
        OpOptions::default(),
    );
    Ok(State::from_output(Output {
        vertex,
        index: input.index,
    }))
}

impl DefinitionData {
    /// The ops to emit, with their metadata: every op but the terminal one.
    pub(crate) fn ops(&self) -> impl Iterator<Item = (&Vec<u8>, pb::OpMetadata)> + '_ {
        let n = self.def.def.len().saturating_sub(1);
        self.def.def[..n].iter().map(|dt| {
            let md = self
                .def
                .metadata
                .get(&digest_of(dt))
                .cloned()
                .unwrap_or_default();
            (dt, md)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::llb::{self, FileAction, MarshalOptions, MkdirOptions};

    fn input_def() -> pb::Definition {
        let st = llb::image("docker.io/library/busybox:latest", Default::default()).file(
            FileAction::mkdir("/made", 0o755, MkdirOptions::default()),
            Default::default(),
        );
        st.marshal(&MarshalOptions::default()).unwrap()
    }

    #[test]
    fn a_definition_is_copied_as_it_is() {
        let def = input_def();
        let st = from_definition(def.clone()).unwrap();
        // Marshaled alone: the same Definition.
        let again = st.marshal(&MarshalOptions::default()).unwrap();
        assert_eq!(again.def, def.def);
        assert_eq!(again.metadata, def.metadata);
        // Used by another op: its ops come first, the copy reads its head.
        let user = llb::scratch().file(
            FileAction::copy(
                llb::CopyInput::State(st),
                "/made",
                "/x",
                llb::CopyOptions::default(),
            ),
            Default::default(),
        );
        let out = user.marshal(&MarshalOptions::default()).unwrap();
        assert_eq!(out.def[..2], def.def[..2]);
        let copy = pb::Op::decode(out.def[2].as_slice()).unwrap();
        let head = pb::Op::decode(def.def[2].as_slice()).unwrap().inputs[0].clone();
        assert_eq!(copy.inputs[0], head);
    }

    #[test]
    fn empty_and_malformed_definitions() {
        assert!(from_definition(pb::Definition::default())
            .unwrap()
            .is_scratch());
        let mut no_terminal = input_def();
        no_terminal.def.pop();
        assert!(matches!(
            from_definition(no_terminal),
            Err(LlbError::Definition(_))
        ));
        let mut dangling = input_def();
        dangling.def.remove(1);
        let e = from_definition(dangling).unwrap_err().to_string();
        assert!(e.contains("not in the definition"), "{e}");
    }
}
