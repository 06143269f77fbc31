//! Typed instructions: the meaning of a parsed Dockerfile (being written).

mod types;
pub use types::*;
