//! Errors found while converting typed instructions into LLB, and their
//! conversion into a [`Diagnostic`] at the edge (the converter's steps).

use std::fmt;

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::ir::IrError;
use crate::limits::{grouped, Exceeded};
use crate::text::TextRange;
use crate::words::WordError;

/// One conversion problem, located by a span, with an optional second
/// location and advice. Boxed: results on the dispatch path stay small.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    span: TextRange,
    /// A second place and what it is (`first defined here`).
    aux: Option<(TextRange, &'static str)>,
    help: Option<String>,
    /// Set by [`Error::relocated`]: `span` replaces whatever span the
    /// kind's own diagnostic has.
    relocated: bool,
}

/// What went wrong. Every variant documents an input that produces it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A word that does not expand, e.g. `WORKDIR ${a` or `ENV A=${B:?unset}`
    /// with `B` unset. The error's span is the word's; the word error's
    /// range is inside it.
    Word(WordError),
    /// A mount option whose expanded value is invalid:
    /// `RUN --mount=type=cache,mode=$M true` with `M=abc`.
    Mount(IrError),
    /// An empty file reaching the converter without the parser's errors
    /// (an IR built by hand with no stage).
    NoStages,
    /// `FROM ${EMPTY}` with `EMPTY` unset or empty.
    BlankBaseName {
        /// The base image name as written.
        base: String,
    },
    /// `FROM --platform=${a alpine`: the platform does not expand.
    PlatformExpand(WordError),
    /// `FROM --platform=$UNSET alpine`: the platform expands to nothing.
    EmptyPlatform {
        /// The platform expression as written.
        expression: String,
    },
    /// `FROM --platform=linux/amd64/v2/x alpine`.
    InvalidPlatform {
        /// The platform expression as written.
        expression: String,
        /// Why it failed.
        reason: String,
    },
    /// `--target=nope` in a file without a stage `nope`.
    TargetNotFound {
        /// The target as requested.
        target: String,
    },
    /// `COPY --from=${X} a b`.
    CopyFromExpansion,
    /// INCLUDE, IF / ELSE / END: see [`ComposeErrorKind`](super::ComposeErrorKind).
    Compose(super::ComposeErrorKind),
    /// `COPY --from=9 a b` in a file with fewer stages and images.
    InvalidStageIndex {
        /// The index as written.
        index: i64,
    },
    /// `FROM a AS x` + `COPY --from=y ...` and `FROM a AS y` + `COPY --from=x ...`.
    CircularDependency {
        /// The stage name.
        stage: String,
    },
    /// `FROM Alpine`: a base name that is no valid image reference.
    InvalidBaseReference {
        /// The base image name as written.
        base: String,
        /// Why it failed.
        reason: String,
    },
    /// The host resolved `FROM alpine` to a reference that does not parse.
    InvalidResolvedReference {
        /// Why it failed.
        reason: String,
    },
    /// `--build-context base=bogus://x` (the message says what is wrong).
    NamedContext {
        /// The message describing the problem.
        message: String,
    },
    /// `FROM nosuchimage` when the host cannot resolve it.
    ResolveImage {
        /// The base image name as written.
        base: String,
        /// Why it failed.
        reason: String,
    },
    /// The host answered a base image config that is not an image config.
    ImageConfig {
        /// Why it failed.
        reason: String,
    },
    /// The host could not read a `.dockerignore` it was asked for; `file`
    /// says which (`beside the Dockerfile`).
    ReadIgnoreFile {
        /// Which file.
        file: String,
        /// Why it failed.
        reason: String,
    },
    /// The host could not read `<Dockerfile>.lock`.
    ReadLock {
        /// The lock file's name.
        file: String,
        /// Why it failed.
        reason: String,
    },
    /// The host stepped a converter that has finished.
    ConverterFinished,
    /// A base image with the trigger `ONBUILD FORM x` (the message says what
    /// is wrong).
    OnbuildTrigger {
        /// The message describing the problem.
        message: String,
    },
    /// `COPY --from=later` where the stage `later` depends on this one.
    CopyFromLaterStage {
        /// The stage copied from.
        from: String,
        /// The stage being built.
        current: String,
    },
    /// `RUN --mount=from=later` where the stage `later` depends on this one.
    MountFromLaterStage,
    /// A stage needed before it was built; an internal error, `what` says
    /// which (`base stage was not built`).
    NotBuilt {
        /// What was needed.
        what: &'static str,
    },
    /// `# check=error=true` and a build check that needs the conversion
    /// (`UndefinedVar` ...) reported something: the summary line, each
    /// finding in the help.
    ChecksFailed {
        /// `lint violation found for rules: ...`.
        message: String,
    },
    /// A graph the LLB builder cannot marshal; an internal error.
    Marshal {
        /// Why it failed.
        reason: String,
    },
    /// A Definition larger than BuildKit takes (`RUN` with a 20 MiB `ENV`
    /// repeated into many steps).
    DefinitionTooLarge(Exceeded),
    /// An image config larger than BuildKit takes (thousands of large `LABEL`s).
    ImageConfigTooLarge(Exceeded),
    /// A stage whose expanded words and history outgrow the image config.
    StageTooLarge(Exceeded),
    /// `COPY --exclude=x . /` for a BuildKit without the capability `cap`.
    MissingCapability {
        /// What needs the capability.
        what: &'static str,
        /// The capability the daemon lacks.
        cap: &'static str,
    },
    /// `ADD --checksum=sha256:... https://a/x https://b/y /`.
    ChecksumMultipleSources,
    /// `ADD --checksum=sha256:... local.txt /`.
    ChecksumSourceKind,
    /// `ADD --checksum=md5:x https://a/x /` (the message says what is wrong).
    InvalidChecksum {
        /// The message describing the problem.
        message: String,
    },
    /// `COPY --chmod=999 a b` (the message says what is wrong).
    InvalidChmod {
        /// The message describing the problem.
        message: String,
    },
    /// `COPY $EMPTY /dst`: no source left after expansion.
    NoSources,
    /// `COPY https://github.com/a/b.git /src`.
    GitSourceInCopy,
    /// `COPY https://example.com/file /dst`.
    UrlSourceInCopy,
    /// `ADD git@github.com:a/b.git#:: /src`: a Git URL that does not parse.
    InvalidGitSource {
        /// Why it failed.
        reason: String,
    },
    /// `VOLUME $EMPTY`.
    EmptyVolume,
    /// `EXPOSE 80/xyz`.
    InvalidPort {
        /// Why it failed.
        reason: String,
    },
    /// `STOPSIGNAL SIGNOPE`.
    InvalidSignal {
        /// The signal as written.
        signal: String,
    },
    /// `RUN --device=/dev/x true` (labs only upstream).
    RunDevice,
    /// `REQUIRE tset` with no stage `tset`.
    RequireUnknownStage {
        /// The name as written.
        name: String,
    },
    /// `WORKDIR --chown=:g /x`, `--chown=a:b:c`.
    InvalidChown {
        /// The expanded value.
        spec: String,
    },
    /// `USER app` then `RUN --cache=cargo ...` with neither `CARGO_HOME`
    /// nor `HOME` in the environment: the preset cannot know where the
    /// tool keeps its cache.
    CachePresetTarget {
        /// The preset.
        preset: String,
        /// What is missing, for the message.
        detail: String,
    },
    /// A RUN the LLB builder rejects (`reason` is the builder's error).
    Run {
        /// Why it failed.
        reason: String,
    },
    /// `--build-arg SOURCE_DATE_EPOCH=yesterday`; `origin` says where the
    /// value came from (`the build arg`).
    InvalidSourceDateEpoch {
        /// The value as given.
        value: String,
        /// Where the value came from.
        origin: &'static str,
    },
    /// `--build-arg SOURCE_DATE_EPOCH=999999999999`.
    SourceDateEpochOutOfRange {
        /// The value, in Unix seconds.
        seconds: i64,
        /// Where the value came from.
        origin: &'static str,
        /// The smallest allowed value, in seconds and as a date.
        min: (i64, String),
        /// The largest allowed value, in seconds and as a date.
        max: (i64, String),
    },
}

impl Error {
    /// An error of `kind` at `span`.
    pub fn new(kind: ErrorKind, span: TextRange) -> Self {
        Error(Box::new(Inner {
            kind,
            span,
            aux: None,
            help: None,
            relocated: false,
        }))
    }

    /// An expansion error in the word at `span`.
    pub fn word(e: WordError, span: TextRange) -> Self {
        Error::new(ErrorKind::Word(e), span)
    }

    /// Adds advice shown under the code frame.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.0.help = Some(help.into());
        self
    }

    /// Points at a second place, shown with `label` under its own code
    /// frame (`first defined here`).
    pub fn with_aux_span(mut self, span: TextRange, label: &'static str) -> Self {
        self.0.aux = Some((span, label));
        self
    }

    /// The same error reported at `span` instead (an image's ONBUILD
    /// trigger, which has no place in the file, at the FROM that ran it).
    pub fn relocated(mut self, span: TextRange) -> Self {
        self.0.span = span;
        self.0.relocated = true;
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Where the error is.
    pub fn span(&self) -> TextRange {
        self.0.span
    }

    /// A second place the error refers to, if any.
    pub fn aux_span(&self) -> Option<TextRange> {
        self.0.aux.map(|(span, _)| span)
    }

    /// Advice shown under the code frame, if any.
    pub fn help(&self) -> Option<&str> {
        self.0.help.as_deref()
    }

    /// The catalogue code of the error.
    pub fn code(&self) -> Code {
        use ErrorKind as K;
        match &self.0.kind {
            K::Word(e) => e.code(),
            K::Mount(e) => e.code(),
            K::NoStages => Code::NoStages,
            K::BlankBaseName { .. } => Code::BlankBaseName,
            K::PlatformExpand(_) => Code::PlatformExpand,
            K::EmptyPlatform { .. } | K::InvalidPlatform { .. } => Code::InvalidPlatform,
            K::TargetNotFound { .. } => Code::TargetNotFound,
            K::CopyFromExpansion => Code::CopyFromExpansion,
            K::Compose(k) => k.code(),
            K::InvalidStageIndex { .. } => Code::InvalidStageIndex,
            K::CircularDependency { .. } => Code::CircularDependency,
            K::InvalidBaseReference { .. } | K::InvalidResolvedReference { .. } => {
                Code::InvalidReference
            }
            K::NamedContext { .. } => Code::NamedContext,
            K::ResolveImage { .. } => Code::ResolveImage,
            K::ImageConfig { .. } => Code::ImageConfig,
            K::ReadIgnoreFile { .. } => Code::ReadFile,
            K::ReadLock { .. } => Code::LockRead,
            K::ConverterFinished => Code::ConverterFinished,
            K::OnbuildTrigger { .. } => Code::OnbuildTrigger,
            K::CopyFromLaterStage { .. } | K::MountFromLaterStage | K::NotBuilt { .. } => {
                Code::StageOrder
            }
            K::Marshal { .. } => Code::Marshal,
            K::ChecksFailed { .. } => Code::CheckFailed,
            K::DefinitionTooLarge(e) | K::ImageConfigTooLarge(e) | K::StageTooLarge(e) => e.code(),
            K::MissingCapability { .. } => Code::MissingCapability,
            K::ChecksumMultipleSources | K::ChecksumSourceKind | K::InvalidChecksum { .. } => {
                Code::Checksum
            }
            K::InvalidChmod { .. } => Code::Chmod,
            K::NoSources => Code::Copy,
            K::GitSourceInCopy => Code::CopyGit,
            K::UrlSourceInCopy => Code::CopyUrl,
            K::InvalidGitSource { .. } => Code::AddGit,
            K::EmptyVolume => Code::InvalidArguments,
            K::InvalidPort { .. } => Code::Expose,
            K::InvalidSignal { .. } => Code::Stopsignal,
            K::RunDevice => Code::RunDevice,
            K::CachePresetTarget { .. } => Code::CachePreset,
            K::InvalidChown { .. } => Code::InvalidFlag,
            K::RequireUnknownStage { .. } => Code::RequireStage,
            K::Run { .. } => Code::Run,
            K::InvalidSourceDateEpoch { .. } | K::SourceDateEpochOutOfRange { .. } => {
                Code::SourceDateEpoch
            }
        }
    }

    /// The diagnostic shown to users.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let mut d = match &self.0.kind {
            ErrorKind::Word(e) => e.to_diagnostic(self.0.span),
            ErrorKind::Mount(e) => e.to_diagnostic(),
            kind => Diagnostic::error(self.code(), kind.to_string(), self.0.span),
        };
        if self.0.relocated {
            d.span = self.0.span;
        }
        if let Some((span, label)) = self.0.aux {
            d = d.with_label(span, label);
        }
        if let Some(h) = &self.0.help {
            d = d.with_help(h.clone());
        }
        d
    }
}

impl From<IrError> for Error {
    /// A mount option found invalid at dispatch, after expansion.
    fn from(e: IrError) -> Error {
        let span = e.span;
        Error::new(ErrorKind::Mount(e), span)
    }
}

impl From<Error> for Diagnostic {
    fn from(e: Error) -> Diagnostic {
        e.to_diagnostic()
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorKind as K;
        match self {
            K::Word(e) => e.fmt(f),
            K::Mount(e) => e.kind.fmt(f),
            K::NoStages => f.write_str("dockerfile contains no stages to build"),
            K::Compose(k) => k.fmt(f),
            K::BlankBaseName { base } => write!(f, "base name ({base}) should not be blank"),
            K::PlatformExpand(e) => write!(f, "failed to process arguments for platform: {e}"),
            K::EmptyPlatform { expression } => {
                write!(f, "empty platform value from expression {expression}")
            }
            K::InvalidPlatform { expression, reason } => {
                write!(f, "failed to parse platform {expression}: {reason}")
            }
            K::TargetNotFound { target } => {
                write!(f, "target stage \"{target}\" could not be found")
            }
            K::CopyFromExpansion => f.write_str(
                "variable expansion is not supported for --from, define a new stage with FROM \
                 using ARG from global scope as a workaround",
            ),
            K::InvalidStageIndex { index } => write!(f, "invalid stage index {index}"),
            K::CircularDependency { stage } => {
                write!(f, "circular dependency detected on stage: {stage}")
            }
            K::InvalidBaseReference { base, reason } => {
                write!(f, "failed to parse stage name \"{base}\": {reason}")
            }
            K::InvalidResolvedReference { reason }
            | K::ImageConfig { reason }
            | K::Marshal { reason }
            | K::ChecksFailed { message: reason }
            | K::InvalidGitSource { reason }
            | K::InvalidPort { reason }
            | K::Run { reason } => f.write_str(reason),
            K::NamedContext { message }
            | K::OnbuildTrigger { message }
            | K::InvalidChecksum { message }
            | K::InvalidChmod { message } => f.write_str(message),
            K::ResolveImage { base, reason } => write!(f, "{base}: {reason}"),
            K::ReadIgnoreFile { file, reason } => {
                write!(f, "cannot read the .dockerignore {file}: {reason}")
            }
            K::ReadLock { file, reason } => write!(f, "cannot read the lock file {file}: {reason}"),
            K::ConverterFinished => {
                f.write_str("the conversion has already finished (or was answered out of turn)")
            }
            K::CopyFromLaterStage { from, current } => write!(
                f,
                "cannot copy from stage \"{from}\", it needs to be defined before current stage \"{current}\""
            ),
            K::MountFromLaterStage => {
                f.write_str("mount source stage needs to be defined before current stage")
            }
            K::NotBuilt { what } => f.write_str(what),
            K::DefinitionTooLarge(e) => e.fmt(f),
            K::ImageConfigTooLarge(e) => fmt_config_too_large(f, e),
            K::StageTooLarge(e) => fmt_stage_too_large(f, e),
            K::MissingCapability { what, cap } => write!(
                f,
                "{what} needs the BuildKit capability `{cap}`, which this BuildKit daemon does not have"
            ),
            K::ChecksumMultipleSources => {
                f.write_str("checksum can't be specified for multiple sources")
            }
            K::ChecksumSourceKind => f.write_str("checksum requires HTTP(S) or Git sources"),
            K::NoSources => f.write_str("no source files were specified"),
            K::GitSourceInCopy => f.write_str("source can't be a git ref for COPY"),
            K::UrlSourceInCopy => f.write_str("source can't be a URL for COPY"),
            K::EmptyVolume => f.write_str("VOLUME specified can not be an empty string"),
            K::InvalidSignal { signal } => write!(f, "invalid signal: {signal}"),
            K::RequireUnknownStage { name } => {
                write!(f, "REQUIRE names an unknown stage `{name}`")
            }
            K::InvalidChown { spec } => write!(
                f,
                "invalid WORKDIR --chown `{spec}`: expected `<user>[:<group>]`"
            ),
            K::CachePresetTarget { preset, detail } => {
                write!(f, "cache preset `{preset}`: {detail}")
            }
            K::RunDevice => f.write_str(
                "device feature is only supported in Dockerfile frontend 1.14.0-labs or later",
            ),
            K::InvalidSourceDateEpoch { value, origin } => write!(
                f,
                "invalid {EPOCH} value {value:?} ({origin}): expected Unix seconds (the `context`, \
                 named-context and stage forms are not supported by this frontend yet)"
            ),
            K::SourceDateEpochOutOfRange {
                seconds,
                origin,
                min,
                max,
            } => fmt_epoch_out_of_range(f, *seconds, origin, min, max),
        }
    }
}

const EPOCH: &str = "SOURCE_DATE_EPOCH";

fn fmt_config_too_large(f: &mut fmt::Formatter<'_>, e: &Exceeded) -> fmt::Result {
    write!(
        f,
        "the image config would be larger than {} bytes ({} bytes)",
        grouped(e.max),
        grouped(e.actual)
    )
}

fn fmt_stage_too_large(f: &mut fmt::Formatter<'_>, e: &Exceeded) -> fmt::Result {
    write!(
        f,
        "this stage's values (expanded words and history) total more than {} bytes: \
         its image config could not be sent to BuildKit",
        grouped(e.max)
    )
}

fn fmt_epoch_out_of_range(
    f: &mut fmt::Formatter<'_>,
    seconds: i64,
    origin: &str,
    min: &(i64, String),
    max: &(i64, String),
) -> fmt::Result {
    write!(
        f,
        "{EPOCH} {seconds} ({origin}) is out of range: expected Unix seconds from {} ({}) to {} ({})",
        min.0, min.1, max.0, max.1
    )
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.kind.fmt(f)?;
        if let Some(help) = &self.0.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
