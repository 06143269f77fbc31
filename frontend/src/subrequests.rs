//! Subrequests (`requestid=<name>`): a result with metadata only
//! (`result.json`, `result.txt`, `version`, and `result.statuscode` for
//! lint) instead of a build, in the shapes of [`llb_gen::requests`].
//!
//! `frontend.lint` runs the build checks of the file and then the
//! conversion of the first platform (base images resolved, so that the
//! checks made during dispatch report too); a file that does not convert
//! gives the findings found before and the error as `buildError`.

use bollard_buildkit_proto::moby::buildkit::v1::frontend as gw;
use llb_gen::convert::Converter;
use llb_gen::lint::{CheckConfig, CHECK_BUILD_ARG};
use llb_gen::requests::{self, LintSource, Reply};

use crate::bridge::Metadata;
use crate::driver::drive;
use crate::host::GatewayHost;
use crate::options::BuildOptions;
use crate::sources::LocalDefinition;
use crate::status::FrontendError;

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
) -> Result<gw::Result, FrontendError> {
    let limits = llb_gen::limits::Limits::DEFAULT;
    let reply = match name {
        requests::DESCRIBE => requests::describe(),
        requests::TARGETS => match requests::targets(file.data, &limits) {
            Ok(r) => r,
            Err(diagnostics) => {
                return Err(FrontendError::Dockerfile {
                    file: Box::new(llb_gen::diagnostic::SourceFile::new(
                        fo.convert.filename.clone(),
                        llb_gen::syntax::source_text(file.data),
                    )),
                    diagnostics,
                })
            }
        },
        requests::LINT => lint(host, fo, &file).await?,
        other => {
            return Err(FrontendError::unsupported(format!(
                "unsupported request {other}"
            )))
        }
    };
    Ok(result(&reply))
}

/// The gateway result of a reply: metadata, no refs.
fn result(reply: &Reply) -> gw::Result {
    let metadata: Metadata = reply.metadata().into_iter().collect();
    gw::Result {
        metadata,
        attestations: Default::default(),
        result: None,
    }
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
    let report = match llb_gen::lint::lint_source(file.data, &fo.convert.build_args, &limits) {
        Ok(r) => r,
        Err(errors) => return Ok(requests::lint_reply(&src, &[], errors.first())),
    };
    // The conversion reports every finding, the late ones too; `error=true`
    // must not turn them into a failure here.
    let mut opts = fo.convert_options_for(fo.platforms.first().cloned());
    let config = CheckConfig {
        error: false,
        ..report.config.clone()
    };
    opts.build_args
        .insert(CHECK_BUILD_ARG.to_string(), config.to_value());
    let converter = Converter::new(file.data, opts, limits);
    Ok(match drive(converter, host).await {
        Ok(Ok(conv)) => requests::lint_reply(&src, &conv.warnings, None),
        Ok(Err(e)) => return Err(e),
        Err(diagnostics) => requests::lint_reply(&src, &report.findings, diagnostics.first()),
    })
}
