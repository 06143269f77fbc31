//! The converter: typed instructions to an LLB graph and the image config
//! (upstream's `dockerfile2llb`).
//!
//! Source code layout:
//! - `api.rs`: the public entry types (options, resolver trait, result).
//! - `error.rs`: the converter's error type ([`Error`]), turned into diagnostics at the edge.
//! - `host.rs`: the host boundary (requests, answers, the `Host` trait and the blocking loop).
//! - `session.rs`: the [`Converter`] state machine the host drives (sans-IO), its phases and
//!   requests, and the blocking loop over it.
//! - `resolve.rs`: one round of base-image resolution (roots, requests, answers).
//! - `build.rs`: dispatch of the reachable stages, finalization.
//! - `dockerignore.rs`: `.dockerignore` patterns.
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
//! - `lint_hooks.rs`: the build checks made during dispatch (`UndefinedVar`, `InvalidBaseImagePlatform`,
//!   `CopyIgnoredFile`); `ignore_match.rs`: `.dockerignore` matching for the last one.
//! - `contexts.rs`: named build contexts (`context:<name>` options).
//! - `inputs.rs`: `input:<name>` named contexts (frontend inputs).
//! - `oci_layout.rs`: `oci-layout://` named contexts.
//! - `main_context.rs`: a Git or HTTP(S) main build context (the `context` option).
//! - `onbuild.rs`: ONBUILD triggers of base stages and images.
//! - `planned.rs`: [`Planned`] (a converter stopped before images are resolved) and the
//!   public stage graph [`StageMap`].
//! - `imports/`: stages from other Dockerfiles (namespaces per file).

mod api;
pub(crate) mod args;
mod build;
mod compose;
mod contexts;
mod copy;
mod copy_flags;
mod dispatch;
pub(crate) mod dockerignore;
mod epoch;
mod error;
pub mod expand;
mod git;
mod host;
mod ignore_match;
pub(crate) mod image;
mod imports;
mod inputs;
mod lint_hooks;
mod main_context;
mod oci_layout;
mod onbuild;
mod planned;
pub(crate) mod platform;
mod presets;
pub(crate) mod reference;
mod require;
mod resolve;
mod run;
mod session;
mod simple;
pub(crate) mod stages;
mod suggest;
pub use api::*;
pub use compose::{
    ComposeErrorKind, DirAnswer, DirRequest, MAX_INCLUDED_BYTES, MAX_INCLUDED_FILES,
    MAX_INCLUDE_DEPTH,
};
pub use error::{Error, ErrorKind};
pub use host::{
    convert_with_host, run_to_ready, Answers, FileAnswer, FileRequest, FileSource, Host, Requests,
    ResolverHost,
};
pub use main_context::{
    http_download, is_archive, HttpContext, MainContext, HTTP_CONTEXT_FILENAME,
};
pub use planned::{EdgeKind, EdgeSource, Planned, StageBase, StageEdge, StageEntry, StageMap};
pub use reference::normalize_reference;
pub use resolve::ImageAnswer;
pub use session::{Composed, Converter, Ready, Step};

use crate::diagnostic::{Diagnostic, Severity};
use crate::limits::Limits;

/// Convert Dockerfile text to a Definition and image config.
///
/// Errors are every diagnostic found (parse, typing and conversion), each
/// located in `source`. Base images are resolved by `resolver`; no file is
/// read (no `.dockerignore`): for those, drive a [`Converter`].
///
/// ```rust
/// use llb_gen::convert::{convert_dockerfile, ConvertOptions, OfflineResolver};
///
/// let mut opts = ConvertOptions::default();
/// opts.build_args.insert("VERSION".into(), "1.2".into());
/// let text = "FROM alpine:3.23\nARG VERSION\nRUN echo $VERSION > /v\n";
/// let conversion = convert_dockerfile(text, &opts, &OfflineResolver).unwrap();
/// // The protobuf of the LLB graph, and the image config of the result.
/// assert!(conversion.definition.def.len() >= 3);
/// assert!(!conversion.image_config.is_empty());
///
/// let err = convert_dockerfile("FORM alpine\n", &opts, &OfflineResolver).unwrap_err();
/// assert_eq!(err[0].code, "unknown-instruction");
/// ```
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
    convert_with_host(source, opts, Limits::DEFAULT, &mut ResolverHost(resolver))
}

/// The result of a conversion that wrote its Definition to a writer
/// ([`convert_dockerfile_to`]): everything of a [`Conversion`] but the
/// definition.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct StreamedConversion {
    /// The OCI image config JSON of the result (`containerimage.config`).
    pub image_config: Vec<u8>,
    /// The base image's config, untouched (`containerimage.base.config`).
    pub base_image_config: Option<Vec<u8>>,
    /// `SOURCE_DATE_EPOCH` in Unix seconds (`source.date.epoch`).
    pub source_date_epoch: Option<i64>,
    /// Warnings (lint findings, parser warnings).
    pub warnings: Vec<Diagnostic>,
    /// The definitions of the stages `REQUIRE` names ([`Conversion::required`]).
    pub required: Vec<crate::llb::pb::Definition>,
    /// Every LLB cap the streamed definition's metadata names (what a
    /// daemon must support to solve it).
    pub caps: std::collections::BTreeSet<String>,
}

impl From<Conversion> for StreamedConversion {
    /// Drops the definition (for a caller that has used it already).
    fn from(c: Conversion) -> Self {
        let caps = c
            .definition
            .metadata
            .values()
            .flat_map(|md| md.caps.keys().cloned())
            .collect();
        StreamedConversion {
            caps,
            image_config: c.image_config,
            base_image_config: c.base_image_config,
            source_date_epoch: c.source_date_epoch,
            warnings: c.warnings,
            required: c.required,
        }
    }
}

/// [`convert_dockerfile`] writing the protobuf bytes of the Definition to
/// `out` (the same bytes as `definition.encode_to_vec()`) as the ops are
/// marshaled, instead of building it. This keeps the peak memory of large
/// files down (the CLI uses it).
///
/// The outer error is a failed write to `out`.
pub fn convert_dockerfile_to(
    source: &str,
    opts: &ConvertOptions,
    resolver: &dyn ImageResolver,
    out: &mut dyn std::io::Write,
) -> std::io::Result<Result<StreamedConversion, Vec<Diagnostic>>> {
    convert_dockerfile_bytes_to(source.as_bytes(), opts, resolver, out)
}

/// [`convert_dockerfile_to`] on the file's bytes as read (see
/// [`convert_dockerfile_bytes`]).
pub fn convert_dockerfile_bytes_to(
    source: &[u8],
    opts: &ConvertOptions,
    resolver: &dyn ImageResolver,
    out: &mut dyn std::io::Write,
) -> std::io::Result<Result<StreamedConversion, Vec<Diagnostic>>> {
    let mut converter = Converter::new(source, opts.clone(), Limits::DEFAULT);
    match run_to_ready(&mut converter, &mut ResolverHost(resolver)) {
        Ok(ready) => ready.marshal_to(out, crate::llb::Teardown::Free),
        Err(diags) => Ok(Err(diags)),
    }
}

/// Whether the Dockerfile `source` uses INCLUDE or IF (it is composed
/// before its stages are formed; see [`Converter::until_composed`]).
pub fn needs_composition(df: &crate::syntax::ast::Dockerfile) -> bool {
    compose::needed(df)
}

/// A writer that keeps the first I/O error of `out`.
pub(super) struct ErrorSlot<'a> {
    pub(super) out: &'a mut dyn std::io::Write,
    pub(super) error: &'a mut Option<std::io::Error>,
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

/// Lower a parsed file: the instructions and the warnings found (the
/// build checks' findings among them, as `# check=` and the build args
/// configure them), or every error. The syntax tree is freed node by node
/// as it is lowered. `sources` are the build's files (the checks read the
/// text their spans point into).
pub(crate) fn lower_parsed(
    parsed: crate::syntax::Parsed,
    sources: &crate::sources::SourceSet,
    opts: &ConvertOptions,
    limits: &Limits,
) -> Result<(crate::ir::Dockerfile, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (df, warnings) = lower_only(parsed, limits)?;
    let warnings = lint_findings(sources, &df, opts, warnings)?;
    Ok((df, warnings))
}

/// [`lower_parsed`] without the build checks (an imported file: the
/// checks configure and run on the Dockerfile the build names).
pub(crate) fn lower_only(
    mut parsed: crate::syntax::Parsed,
    limits: &Limits,
) -> Result<(crate::ir::Dockerfile, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (mut errors, mut warnings, lowered) = {
        let errors: Vec<Diagnostic> = parsed.errors.iter().map(|e| e.to_diagnostic()).collect();
        let warnings: Vec<Diagnostic> = std::mem::take(&mut parsed.dockerfile.warnings)
            .iter()
            .map(|w| w.to_diagnostic())
            .collect();
        (
            errors,
            warnings,
            crate::ir::lower_owned_with_limits(parsed.dockerfile, limits),
        )
    };
    // Upstream only lints some conditions (`DuplicateStageName`: it converts
    // with the last stage of a name winning): those codes are warnings.
    for e in &lowered.errors {
        let d = e.to_diagnostic();
        match d.code.default_severity() {
            Severity::Warning => warnings.push(Diagnostic {
                severity: Severity::Warning,
                ..d
            }),
            Severity::Error => errors.push(d),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((lowered.dockerfile, warnings))
}

/// The build checks of a lowered file added to the parser's and the
/// lowering's warnings, filtered by the check configuration; with
/// `error=true` and a finding, every finding as an error.
fn lint_findings(
    sources: &crate::sources::SourceSet,
    df: &crate::ir::Dockerfile,
    opts: &ConvertOptions,
    warnings: Vec<Diagnostic>,
) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    let text = sources.joined_text();
    let report = crate::lint::run(df, &text, &opts.build_args, warnings)?;
    match report.config.failure(&report.findings) {
        Some(failed) => Err(failed),
        None => Ok(report.findings),
    }
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::*;

    #[test]
    fn streamed_conversion_writes_the_definition_and_keeps_the_rest() {
        let text = "FROM alpine\nCOPY go.mod /\nRUN --mount=type=secret,id=a make\n";
        let opts = ConvertOptions::default();
        let built = convert_dockerfile(text, &opts, &OfflineResolver).unwrap();
        let mut written = Vec::new();
        let streamed = convert_dockerfile_to(text, &opts, &OfflineResolver, &mut written)
            .unwrap()
            .unwrap();
        assert_eq!(written, built.definition.encode_to_vec());
        assert_eq!(streamed.image_config, built.image_config);
        assert_eq!(streamed.base_image_config, built.base_image_config);
        assert_eq!(streamed.source_date_epoch, built.source_date_epoch);
        assert_eq!(streamed.warnings.len(), built.warnings.len());
    }

    #[test]
    fn parser_warnings_become_conversion_warnings() {
        let text = "FROM alpine\nRUN echo \\\n\n  hi\n";
        let c = convert_dockerfile(text, &ConvertOptions::default(), &OfflineResolver).unwrap();
        let [w] = c.warnings.as_slice() else {
            panic!("{:?}", c.warnings)
        };
        assert_eq!(w.code, crate::codes::Code::NoEmptyContinuation);
        assert_eq!(w.severity, Severity::Warning);
        // As upstream: at the instruction's last line (the fourth), with
        // upstream's message.
        assert_eq!(text[..w.span.start as usize].matches('\n').count(), 3);
        assert_eq!(w.message, "Empty continuation line");
    }

    #[test]
    fn error_mode_fails_on_findings_made_during_dispatch() {
        let text = "# check=error=true\nFROM alpine\nCOPY $NOPE /x\n";
        let err =
            convert_dockerfile(text, &ConvertOptions::default(), &OfflineResolver).unwrap_err();
        let [e] = err.as_slice() else {
            panic!("{err:?}")
        };
        assert_eq!(e.code, crate::codes::Code::CheckFailed);
        assert_eq!(e.message, "lint violation found for rules: UndefinedVar");
        let help = e.help.as_deref().unwrap_or("");
        assert!(
            help.contains("Usage of undefined variable '$NOPE'"),
            "{help}"
        );
        // Without error=true it is a warning; skipped, nothing.
        let ok = convert_dockerfile(&text[19..], &ConvertOptions::default(), &OfflineResolver);
        assert_eq!(
            ok.unwrap().warnings[0].code,
            crate::codes::Code::UndefinedVar
        );
        let mut opts = ConvertOptions::default();
        opts.build_args.insert(
            crate::lint::CHECK_BUILD_ARG.into(),
            "skip=UndefinedVar;error=true".into(),
        );
        assert!(convert_dockerfile(text, &opts, &OfflineResolver)
            .unwrap()
            .warnings
            .is_empty());
    }
}
