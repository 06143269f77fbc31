//! The converter: typed instructions to an LLB graph and the image config
//! (upstream's `dockerfile2llb`).
//!
//! Source code layout:
//! - `api.rs`: the public entry types (options, resolver trait, result).
//! - `build.rs`: the pipeline: globals, stage graph, one resolver round, dispatch, finalization.
//! - `stages.rs`: stage graph, target resolution, reachability, `--from` dependencies.
//! - `args.rs`: ARG/ENV scoping, build-arg merging, history strings of RUN.
//! - `dispatch.rs`: per-stage state and the `match` on `Instruction`.
//! - `run.rs`, `copy.rs`, `simple.rs`: lowering of each instruction family.
//! - `copy_flags.rs`: `--chmod` and `--checksum` values of COPY/ADD.
//! - `expand.rs`: the adapter over variable expansion.
//! - `image.rs`: OCI image config and history.
//! - `platform.rs`: platform parsing/normalization; BUILDPLATFORM/TARGETPLATFORM.
//! - `reference.rs`: image reference normalization.
//! - `git.rs`: Git source URLs of ADD.
//! - `contexts.rs`: named build contexts (`context:<name>` options).
//! - `onbuild.rs`: ONBUILD triggers of base stages and images.

mod api;
pub mod args;
mod build;
mod contexts;
mod copy;
mod copy_flags;
mod dispatch;
mod epoch;
pub mod expand;
mod git;
pub mod image;
mod onbuild;
pub mod platform;
pub mod reference;
mod run;
mod simple;
pub mod stages;
mod suggest;
pub use api::*;
pub use build::{convert_ir, convert_ir_owned};

use crate::diagnostic::Diagnostic;
use crate::llb;

/// Convert Dockerfile text to a Definition and image config.
///
/// Errors are every diagnostic found (parse, typing and conversion), each
/// located in `source`.
pub fn convert_dockerfile(
    source: &str,
    opts: &ConvertOptions,
    resolver: &dyn ImageResolver,
) -> Result<Conversion, Vec<Diagnostic>> {
    convert_dockerfile_bytes(source.as_bytes(), opts, resolver)
}

/// [`convert_dockerfile`] on the file's bytes as read (see
/// [`crate::syntax::parse_bytes`] for bytes that are not UTF-8). The
/// diagnostics index `source`; render them against
/// [`crate::syntax::source_text`].
pub fn convert_dockerfile_bytes(
    source: &[u8],
    opts: &ConvertOptions,
    resolver: &dyn ImageResolver,
) -> Result<Conversion, Vec<Diagnostic>> {
    let (dockerfile, warnings) = lower_text(source)?;
    let marshal = &mut |st: llb::State, mopts: &llb::MarshalOptions| st.marshal(mopts);
    with_warnings(
        build::convert_ir_with(dockerfile, source, opts, resolver, marshal),
        warnings,
    )
}

/// [`convert_dockerfile`] writing the protobuf bytes of the Definition to
/// `out` (the same bytes as `definition.encode_to_vec()`) as the ops are
/// marshaled, instead of building it: the `definition` of the result is
/// empty. This keeps the peak memory of large files down (the CLI uses it).
///
/// The outer error is a failed write to `out`.
pub fn convert_dockerfile_to(
    source: &str,
    opts: &ConvertOptions,
    resolver: &dyn ImageResolver,
    out: &mut dyn std::io::Write,
) -> std::io::Result<Result<Conversion, Vec<Diagnostic>>> {
    convert_dockerfile_bytes_to(source.as_bytes(), opts, resolver, out)
}

/// [`convert_dockerfile_to`] on the file's bytes as read (see
/// [`convert_dockerfile_bytes`]).
pub fn convert_dockerfile_bytes_to(
    source: &[u8],
    opts: &ConvertOptions,
    resolver: &dyn ImageResolver,
    out: &mut dyn std::io::Write,
) -> std::io::Result<Result<Conversion, Vec<Diagnostic>>> {
    let (dockerfile, warnings) = match lower_text(source) {
        Ok(l) => l,
        Err(errors) => return Ok(Err(errors)),
    };
    let mut write_error = None;
    let marshal = &mut |st: llb::State, mopts: &llb::MarshalOptions| {
        let mut w = ErrorSlot {
            out: &mut *out,
            error: &mut write_error,
        };
        st.marshal_to(mopts, &mut w)
            .map(|()| llb::pb::Definition::default())
    };
    let converted = build::convert_ir_with(dockerfile, source, opts, resolver, marshal);
    match write_error {
        Some(e) => Err(e),
        None => Ok(with_warnings(converted, warnings)),
    }
}

/// A writer that keeps the first I/O error of `out`.
struct ErrorSlot<'a> {
    out: &'a mut dyn std::io::Write,
    error: &'a mut Option<std::io::Error>,
}

impl std::io::Write for ErrorSlot<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf).inspect_err(|e| self.keep(e))
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.out.write_all(buf).inspect_err(|e| self.keep(e))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush().inspect_err(|e| self.keep(e))
    }
}

impl ErrorSlot<'_> {
    fn keep(&mut self, e: &std::io::Error) {
        if self.error.is_none() {
            *self.error = Some(std::io::Error::new(e.kind(), e.to_string()));
        }
    }
}

/// Parse and lower `source`: the instructions and the warnings found, or
/// every error. The syntax tree is freed node by node as it is lowered.
fn lower_text(source: &[u8]) -> Result<(crate::ir::Dockerfile, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (mut errors, lowered) = {
        let parsed = crate::syntax::parse_bytes(source);
        let errors: Vec<Diagnostic> = parsed.errors.iter().map(|e| e.to_diagnostic()).collect();
        (errors, crate::ir::lower_owned(parsed.dockerfile))
    };
    // Upstream only lints duplicate stage names (`DuplicateStageName`) and
    // converts with the last stage of a name winning; keep it a warning.
    let mut warnings = Vec::new();
    for e in &lowered.errors {
        let d = e.to_diagnostic();
        if d.code == "duplicate-stage-name" {
            warnings.push(crate::diagnostic::Diagnostic {
                severity: crate::diagnostic::Severity::Warning,
                ..d
            });
        } else {
            errors.push(d);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((lowered.dockerfile, warnings))
}

/// The lowering warnings first, then the conversion's.
fn with_warnings(
    converted: Result<Conversion, Diagnostic>,
    mut warnings: Vec<Diagnostic>,
) -> Result<Conversion, Vec<Diagnostic>> {
    let mut out = converted.map_err(|e| vec![e])?;
    warnings.append(&mut out.warnings);
    out.warnings = warnings;
    Ok(out)
}
