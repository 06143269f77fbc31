//! `llb-gen`: Dockerfile (a superset of the upstream language) to BuildKit LLB.
//!
//! The pipeline has one representation per stage and typed boundaries:
//!
//! ```text
//! text --syntax--> ast::Dockerfile --ir--> ir::Dockerfile --convert--> llb::State graph --llb--> pb::Definition
//!                        |                                      |
//!                      words (shell-word lexing and ${VAR} expansion, used by ir and convert)
//! ```
//!
//! Source code layout:
//! - [`text`]: byte ranges, spans, line index.
//! - [`path`]: slash-separated path helpers with Go's `path` semantics.
//! - [`diagnostic`]: the diagnostic type every stage converts into, and the renderer.
//! - [`codes`]: the catalogue of diagnostic codes, one documentation page each.
//! - [`syntax`]: logical lines, directives, comments, heredocs, JSON vs shell form; the AST and its dump.
//! - [`words`]: shell-word lexer and variable expansion with upstream's semantics.
//! - [`ir`]: typed instructions (`enum Instruction`), flags, mounts, stages, global ARGs.
//! - [`convert`]: stage graph, targets, ARG/ENV scoping, instruction lowering, image config and history.
//! - [`llb`]: the LLB builder (immutable states, ops, deterministic Definition marshaling).
//! - [`limits`]: the resource policy (file size, instructions, stages, heredocs, expansion).
//!
//! The library does no I/O: image configs come in through the
//! [`convert::ImageResolver`] trait, implemented by the `frontend` binary
//! (gateway RPCs) and by the CLI (registry or offline).

pub mod codes;
pub mod convert;
pub mod diagnostic;
pub mod ir;
pub mod limits;
pub mod llb;
pub mod path;
pub mod syntax;
pub mod text;
pub mod words;

/// The protobuf types of BuildKit's LLB (`solver/pb/ops.proto`).
pub use bollard_buildkit_proto::pb;
