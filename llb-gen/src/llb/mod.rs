//! The LLB builder: immutable [`State`] values, source/exec/file/merge ops, and
//! deterministic [`pb::Definition`] marshaling that is byte-identical to the Go
//! client (`moby/buildkit/client/llb`).
//!
//! The graph is made of [`Vertex`] values (one per op) connected through
//! [`Output`]s (a vertex plus an output index). A [`State`] is an optional
//! output (none = scratch) plus the metadata that later exec ops read: env,
//! working directory, user, platform, network ... Every method returns a new
//! `State`; cloning one is an `Arc` clone.
//!
//! ```rust
//! use llb_gen::llb::{self, ExecOptions, FileAction, ImageOptions, MarshalOptions, MkdirOptions};
//!
//! let base = llb::image("docker.io/library/alpine:3.23", ImageOptions::default())
//!     .add_env("PATH", "/usr/bin:/bin")
//!     .with_dir("/src");
//! let prepared = base.file(
//!     FileAction::mkdir("/out", 0o755, MkdirOptions::default()),
//!     Default::default(),
//! );
//! let run = prepared.run(ExecOptions::args(["/bin/sh", "-c", "make > /out/log"]))?;
//! let definition = run.root().marshal(&MarshalOptions::default())?;
//! // Three ops (image, file, exec) and the terminal op; the same bytes as
//! // Go's `llb` package would marshal.
//! assert_eq!(definition.def.len(), 4);
//! print!("{}", llb::dump(&definition));
//! # Ok::<(), llb_gen::llb::LlbError>(())
//! ```
//!
//! Source code layout:
//! - `mod.rs`: [`State`], [`Output`], [`Vertex`], per-op [`OpOptions`].
//! - `source.rs`: image, local, git, http, oci-layout sources and scratch.
//! - `exec.rs`: exec ops and [`ExecState`].
//! - `mount.rs`: the [`Mount`] kinds: bind, cache, tmpfs, secret, ssh.
//! - `file.rs`: file-op action chains ([`FileAction`]).
//! - `merge.rs`: merge and diff ops.
//! - `definition.rs`: a state made of an existing Definition (a frontend input).
//! - `marshal.rs`: [`MarshalOptions`], depth-first marshaling, digests.
//! - `source_map.rs`: [`SourceMap`] and per-op source locations.
//! - `dump.rs`: a readable, deterministic text dump of a Definition.
//! - `env.rs`: [`Env`], the persistent, ordered environment list of a state.
//! - `caps.rs`: LLB capability names.
//! - `teardown.rs`: iterative `Drop` of the graph (no recursion per op).

pub mod caps;
mod definition;
mod dump;
mod env;
mod exec;
mod exec_encode;
mod file;
mod marshal;
mod merge;
mod meta;
mod mount;
mod parts;
mod source;
mod source_map;
mod state;
mod teardown;

pub use crate::pb;
pub use definition::from_definition;
pub use dump::dump;
pub use env::{Env, EnvPair};
pub use exec::{ExecOptions, ExecState, ProxyEnv};
pub use file::{
    ChownOpt, CopyInput, CopyOptions, FileAction, MkdirOptions, MkfileOptions, RmOptions, UserOpt,
};
pub use marshal::{digest_of, encode_op, CapSet, MarshalOptions, Teardown};
pub use merge::{diff, merge};
pub use mount::{
    BindMount, CacheMount, CacheSharing, ContentCache, Mount, SecretMount, SshMount, TmpfsMount,
};
pub use source::{
    git, http, image, local, local_later, oci_layout, scratch, FollowPathsSlot, GitOptions,
    HttpOptions, ImageOptions, LocalDiffer, LocalOptions, OciLayoutOptions, ResolveMode,
};
pub use source_map::{SourceLocation, SourceMap};
pub use state::{
    Description, HostIp, NetMode, OpMetadata, OpOptions, Output, Platform, ProgressGroup,
    SecurityMode, State, Ulimit, Vertex,
};

/// Errors raised while building or marshaling LLB.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LlbError {
    /// An exec op without arguments, e.g. `ExecOptions::default()`.
    #[error("arguments are required")]
    NoArgs,
    /// A mount whose output cannot be used as a parent: tmpfs, cache, or
    /// read-write with no output.
    #[error("mount {target} ({reason}) can't be used as a parent")]
    MountHasNoOutput {
        /// The mount's target.
        target: String,
        /// Why it has none (tmpfs, cache, no output).
        reason: &'static str,
    },
    /// `ExecState::get_mount` with a target that is not mounted.
    #[error("no mount at {0}")]
    NoSuchMount(String),
    /// A source made by [`local_later`] marshaled before its
    /// [`FollowPathsSlot`] was filled.
    #[error("{0}: marshaled before its follow paths were set")]
    FollowPathsUnset(String),
    /// A source identifier that is empty.
    #[error("source identifier can't be empty")]
    EmptyIdentifier,
    /// A Definition given to [`from_definition`] that is not well formed.
    #[error("invalid definition: {0}")]
    Definition(String),
    /// The Definition would be larger than [`MarshalOptions::max_bytes`].
    /// `at` is the first source location of the op that crossed it: the
    /// file name and the byte range of its lines in that file.
    #[error("the LLB definition would be larger than {} bytes (BuildKit takes at most that much in one message): {} bytes when this op was added", crate::limits::grouped(*limit), crate::limits::grouped(*size))]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
        /// The size it would have.
        size: usize,
        /// Where in the sources the op that crossed it is written.
        at: Option<(String, std::ops::Range<usize>)>,
    },
    /// Writing a Definition out failed ([`State::marshal_to`]).
    #[error("cannot write the definition: {0}")]
    Write(String),
}

#[cfg(test)]
mod tests;
