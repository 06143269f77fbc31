//! `llb-gen`: Dockerfile to BuildKit LLB, as a library: the parser, the
//! converter and the LLB builder, with no I/O.
//!
//! The pipeline has one representation per stage and typed boundaries:
//!
//! ```text
//! text --syntax--> ast::Dockerfile --ir--> ir::Dockerfile --convert--> llb::State graph --llb--> pb::Definition
//!                                                              |
//!                                        words (shell-word lexing and ${VAR} expansion)
//! ```
//!
//! The entry points, each with an example: [`syntax::parse`], [`ir::lower`],
//! [`convert::convert_dockerfile`], the [`convert::Converter`] state machine,
//! [`options::parse`] for a frontend's key/value options, and the [`llb`]
//! builder.
//!
//! Source code layout:
//! - [`text`]: byte ranges, spans, line index.
//! - [`diagnostic`]: the diagnostic type every stage converts into, and the renderer.
//! - [`codes`]: the catalogue of diagnostic codes, one documentation page each.
//! - [`syntax`]: logical lines, directives, comments, heredocs, JSON vs shell form; the AST and its dump.
//! - [`words`]: shell-word lexer and variable expansion with upstream's semantics.
//! - [`ir`]: typed instructions (`enum Instruction`), flags, mounts, stages, global ARGs.
//! - [`convert`]: stage graph, targets, ARG/ENV scoping, instruction lowering, image config and history.
//! - [`llb`]: the LLB builder (immutable states, ops, deterministic Definition marshaling).
//! - [`lint`]: the build checks (upstream's rules and ours), `# check=` configuration.
//! - [`limits`]: the resource policy (file size, instructions, stages, heredocs, expansion).
//! - [`requests`]: the results of the subrequests (`frontend.outline`, `frontend.targets`,
//!   `frontend.lint`, `frontend.subrequests.describe`) in the shapes buildx reads.
//! - [`options`]: the frontend options (`build-arg:*`, `platform`, `context:*`, ...) to
//!   [`convert::ConvertOptions`], for any host.
//!
//! The library does no I/O: the [`convert::Converter`] asks its host for
//! image configs and files, and the host answers (the `frontend` over
//! gateway RPCs, the `llb-gen` CLI from disk and registries, tests from
//! tables). [`convert::convert_dockerfile`] is a blocking loop over it with
//! an [`convert::ImageResolver`].

#![deny(missing_docs)]
#![warn(unreachable_pub)]

pub mod codes;
pub mod convert;
pub mod diagnostic;
pub mod ir;
pub mod limits;
pub mod lint;
pub mod llb;
pub mod lock;
pub mod options;
pub(crate) mod path;
pub mod requests;
pub mod sources;
pub mod syntax;
pub mod text;
pub mod words;

/// The protobuf types of BuildKit's LLB (`solver/pb/ops.proto`).
pub use bollard_buildkit_proto::pb;
