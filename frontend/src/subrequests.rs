//! Subrequests (`requestid=<name>`): a result with metadata only
//! (`result.json`, `result.txt`, `version`, and `result.statuscode` for
//! lint) instead of a build, in the shapes of [`llb_gen::requests`].
//!
//! `frontend.outline` stops the conversion when its stages are planned
//! (INCLUDE, IF and imports resolved; no image resolved) and walks the
//! target's stages ([`requests::outline`]).
//!
//! `frontend.lint` runs the build checks of the file and then the
//! conversion of the first platform (base images resolved, so that the
//! checks made during dispatch report too); a file that does not convert
//! gives the findings found before and the error as `buildError`.

use llb_gen::convert::{Composed, Converter, Planned, Step};
use llb_gen::diagnostic::Diagnostic;
use llb_gen::lint::{CheckConfig, CHECK_BUILD_ARG};
use llb_gen::requests::{self, LintSource, Reply};
use llb_gen::sources::SourceSet;

use crate::driver::drive;
use crate::host::GatewayHost;
use crate::options::BuildOptions;
use crate::sources::LocalDefinition;
use crate::status::FrontendError;
use crate::wire;

/// The Dockerfile a subrequest reads.
pub struct Dockerfile<'a> {
    /// Its bytes.
    pub data: &'a [u8],
    /// The `dockerfile` local it was read from.
    pub source: &'a LocalDefinition,
}

/// Answers the subrequest `name` (one of [`requests::IMPLEMENTED`]).
pub async fn answer(
    host: &mut GatewayHost<'_>,
    fo: &BuildOptions,
    name: &str,
    file: Dockerfile<'_>,
) -> Result<wire::Result, FrontendError> {
    let limits = llb_gen::limits::Limits::DEFAULT;
    let reply = match name {
        requests::DESCRIBE => requests::describe(),
        requests::TARGETS => {
            // Composed first: included and conditional stages as the build
            // sees them.
            let opts = fo.convert_options_for(fo.platforms.first().cloned());
            let converter = Converter::new(file.data, opts, limits).until_composed();
            match compose(converter, host).await {
                Ok((composed, sources)) => requests::targets_of(&composed.dockerfile, &sources),
                Err((diagnostics, sources)) => {
                    return Err(FrontendError::Dockerfile {
                        sources: Box::new(sources),
                        diagnostics,
                    })
                }
            }
        }
        requests::OUTLINE => {
            // Planned: composed, imports loaded, the target's stages; no
            // image is resolved.
            let opts = fo.convert_options_for(fo.platforms.first().cloned());
            let converter = Converter::new(file.data, opts, limits).until_planned();
            let located = |diagnostics, sources| FrontendError::Dockerfile {
                sources: Box::new(sources),
                diagnostics,
            };
            match plan(converter, host).await {
                Ok((planned, sources)) => match requests::outline(&planned, &sources) {
                    Ok(o) => requests::outline_reply(&o, &sources),
                    Err(d) => return Err(located(d, sources)),
                },
                Err((d, sources)) => return Err(located(d, sources)),
            }
        }
        requests::LINT => lint(host, fo, &file).await?,
        other => {
            return Err(FrontendError::unsupported(format!(
                "unsupported request {other}"
            )))
        }
    };
    Ok(result(&reply))
}

/// Where a converter made with `until_composed` or `until_planned` stops.
enum Stopped {
    Composed(Box<Composed>),
    Planned(Box<Planned>),
}

/// Drives a converter made with `until_composed` to its composed file.
async fn compose(
    converter: Converter,
    host: &mut GatewayHost<'_>,
) -> Result<(Box<Composed>, SourceSet), (Vec<Diagnostic>, SourceSet)> {
    match stop(converter, host).await? {
        (Stopped::Composed(c), sources) => Ok((c, sources)),
        (Stopped::Planned(_), sources) => Err((Vec::new(), sources)),
    }
}

/// Drives a converter made with `until_planned` to its plan.
async fn plan(
    converter: Converter,
    host: &mut GatewayHost<'_>,
) -> Result<(Box<Planned>, SourceSet), (Vec<Diagnostic>, SourceSet)> {
    match stop(converter, host).await? {
        (Stopped::Planned(p), sources) => Ok((p, sources)),
        (Stopped::Composed(_), sources) => Err((Vec::new(), sources)),
    }
}

async fn stop(
    mut converter: Converter,
    host: &mut GatewayHost<'_>,
) -> Result<(Stopped, SourceSet), (Vec<Diagnostic>, SourceSet)> {
    loop {
        let step = converter.step();
        let sources = || converter.sources().clone();
        match step {
            Step::Need(requests) => {
                let answers = host.answer(&requests).await;
                converter.answer(answers);
            }
            Step::Composed(c) => return Ok((Stopped::Composed(c), sources())),
            Step::Planned(p) => return Ok((Stopped::Planned(p), sources())),
            Step::Failed(d) => return Err((d, sources())),
            Step::Ready(_) => return Err((Vec::new(), sources())),
        }
    }
}

/// The gateway result of a reply: metadata, no refs.
fn result(reply: &Reply) -> wire::Result {
    wire::Result {
        metadata: reply.metadata().into_iter().collect(),
        attestations: Default::default(),
        result: None,
    }
}

/// A check's end of [`drive`]: every finding of the conversion, without a Definition (none is
/// marshaled, as upstream's lint stops after dispatch).
fn warnings_only(
    ready: Box<llb_gen::convert::Ready>,
    _files: usize,
) -> Result<Result<Vec<Diagnostic>, Vec<Diagnostic>>, FrontendError> {
    // Left allocated, like a build's graph (driver.rs, `marshal`): the process ends next.
    Ok(ready.into_warnings(llb_gen::llb::Teardown::Leave))
}

async fn lint(
    host: &mut GatewayHost<'_>,
    fo: &BuildOptions,
    file: &Dockerfile<'_>,
) -> Result<Reply, FrontendError> {
    let src = LintSource {
        filename: fo.convert.filename.clone(),
        data: file.data.to_vec(),
        definition: Some(file.source.definition.clone()),
    };
    let limits = llb_gen::limits::Limits::DEFAULT;
    // The `# check=` directive, from the file's leading lines.
    let head = llb_gen::options::directive_lines(file.data);
    let head = llb_gen::syntax::parse_bytes_with_limits(head, &limits);
    let base_config =
        CheckConfig::for_directives(&head.dockerfile.directives, &fo.convert.build_args);
    // The conversion reports every finding, the late ones too; `error=true`
    // must not turn them into a failure here.
    let mut opts = fo.convert_options_for(fo.platforms.first().cloned());
    let config = CheckConfig {
        error: false,
        ..base_config
    };
    opts.build_args
        .insert(CHECK_BUILD_ARG.to_string(), config.to_value());
    let converter = Converter::new(file.data, opts, limits);
    Ok(match drive(converter, host, warnings_only).await {
        Ok((Ok(warnings), _)) => requests::lint_reply(&src, &warnings, None),
        Ok((Err(e), _)) => return Err(e),
        // The conversion lints as it goes; when it fails, what the file's own lint finds (or
        // the error it stops at) is the answer, as upstream's. Linted only then: a file that
        // converts was linted by the conversion (on 500 stages a second lint was a third of
        // the check's work).
        // A file with INCLUDE or IF is checked once composed, by the conversion only.
        Err((diagnostics, _)) => {
            let parsed = llb_gen::syntax::parse_bytes_with_limits(file.data, &limits);
            if parsed.is_ok() && llb_gen::convert::needs_composition(&parsed.dockerfile) {
                return Ok(requests::lint_reply(&src, &[], diagnostics.first()));
            }
            match llb_gen::lint::lint_source(file.data, &fo.convert.build_args, &limits) {
                Ok(report) => requests::lint_reply(&src, &report.findings, diagnostics.first()),
                Err(errors) => requests::lint_reply(&src, &[], errors.first()),
            }
        }
    })
}
