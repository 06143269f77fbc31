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

/// Convert Dockerfile text to a Definition and image config.
///
/// Errors are every diagnostic found (parse, typing and conversion), each
/// located in `source`.
pub fn convert_dockerfile(
    source: &str,
    opts: &ConvertOptions,
    resolver: &dyn ImageResolver,
) -> Result<Conversion, Vec<Diagnostic>> {
    // The syntax tree is dropped once lowered: only the IR is converted.
    let (mut errors, mut lowered) = {
        let parsed = crate::syntax::parse(source);
        let errors: Vec<Diagnostic> = parsed.errors.iter().map(|e| e.to_diagnostic()).collect();
        (errors, crate::ir::lower(&parsed.dockerfile))
    };
    // Instructions are large; the growth slack of 500 stages adds up.
    for stage in &mut lowered.dockerfile.stages {
        stage.commands.shrink_to_fit();
    }
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
    let mut out =
        convert_ir_owned(lowered.dockerfile, source, opts, resolver).map_err(|e| vec![e])?;
    warnings.append(&mut out.warnings);
    out.warnings = warnings;
    Ok(out)
}
