//! Errors found while lowering the syntax tree into typed instructions.

use std::fmt;

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::limits::Exceeded;
use crate::text::TextRange;

/// One problem in an instruction, located by a span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IrError {
    /// What went wrong.
    pub kind: IrErrorKind,
    /// Where: the word, flag or instruction at fault.
    pub span: TextRange,
    /// Extra advice, e.g. a "did you mean" suggestion.
    pub help: Option<String>,
}

/// How many arguments an instruction wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    /// Exactly one argument (`WORKDIR`, `USER`).
    ExactlyOne,
    /// At least one argument (`VOLUME`, `EXPOSE`).
    AtLeastOne,
    /// COPY/ADD: at least one source and a destination.
    SourcesAndDest,
}

/// What went wrong. Every variant documents an input that produces it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IrErrorKind {
    /// `FORM alpine`.
    UnknownInstruction {
        /// The name as written.
        name: String,
    },
    /// `RUN x` before any `FROM`.
    NoBuildStage,
    /// A file with only `ARG`s.
    NoStages,
    /// `FROM a AS x` twice; `first` is the span of the first name.
    DuplicateStageName {
        /// The name.
        name: String,
        /// Where the name was first defined.
        first: TextRange,
    },
    /// `FROM a AS 1x`.
    InvalidStageName {
        /// The name as written.
        name: String,
    },
    /// `FROM a b`.
    FromArgCount,
    /// `COPY --form=a x y`.
    UnknownFlag {
        /// The instruction keyword (`COPY`, `WORKDIR`, ...).
        instruction: String,
        /// The flag name, without the dashes.
        flag: String,
    },
    /// `COPY --from=a --from=b x y`.
    DuplicateFlag {
        /// The flag name, without the dashes.
        flag: String,
    },
    /// `COPY --from x y` (string flag without `=`), `--link=` (bool flag with `=` and nothing).
    FlagMissingValue {
        /// The flag name, without the dashes.
        flag: String,
    },
    /// `COPY --link=1 x y`.
    InvalidBoolFlag {
        /// The flag name, without the dashes.
        flag: String,
        /// The value as written.
        value: String,
    },
    /// `RUN --network=bridge x`.
    InvalidFlagValue {
        /// The flag name, without the dashes.
        flag: String,
        /// The value as written.
        value: String,
        /// What the flag or key accepts, for the message.
        expected: String,
    },
    /// `ADD --from=a x y`, `COPY --checksum=... x y`.
    FlagNotSupported {
        /// The instruction keyword (`COPY`, `WORKDIR`, ...).
        instruction: String,
        /// The flag name, without the dashes.
        flag: String,
    },
    /// `WORKDIR a b`, `COPY onlyone`.
    ArgCount {
        /// The instruction keyword (`COPY`, `WORKDIR`, ...).
        instruction: String,
        /// How many arguments it wants.
        arity: Arity,
    },
    /// `ARG =x`, `ENV =x`.
    BlankName {
        /// The instruction keyword (`COPY`, `WORKDIR`, ...).
        instruction: String,
    },
    /// `VOLUME [""]`.
    EmptyVolume,
    /// `SHELL /bin/sh -c`.
    NotJson {
        /// The instruction keyword (`COPY`, `WORKDIR`, ...).
        instruction: String,
    },
    /// `COPY a <<EOF`.
    HeredocNotAllowed {
        /// The instruction keyword (`COPY`, `WORKDIR`, ...).
        instruction: String,
        /// What the heredoc stands for there (`a destination`).
        role: String,
    },
    /// `HEALTHCHECK NONE x`.
    HealthcheckNoneArgs,
    /// `HEALTHCHECK CMD`.
    HealthcheckMissingCommand,
    /// `HEALTHCHECK FOO x`.
    HealthcheckUnknownType {
        /// The word after `HEALTHCHECK`.
        word: String,
    },
    /// `HEALTHCHECK --interval=5 CMD x`.
    InvalidDuration {
        /// The flag name, without the dashes.
        flag: String,
        /// The value as written.
        value: String,
    },
    /// `HEALTHCHECK --interval=1us CMD x`.
    DurationTooShort {
        /// The flag name, without the dashes.
        flag: String,
    },
    /// `HEALTHCHECK --retries=-1 CMD x`.
    InvalidRetries {
        /// The value as written.
        value: String,
    },
    /// `ONBUILD ONBUILD RUN x`.
    OnbuildChain,
    /// `ONBUILD INCLUDE x`, or INCLUDE / IF / ELSE / END given to `lower`
    /// without the converter's composition.
    NotComposed {
        /// The keyword.
        keyword: crate::syntax::Keyword,
    },
    /// `ONBUILD FROM x`, `ONBUILD MAINTAINER x`.
    OnbuildForbidden {
        /// The instruction keyword (`COPY`, `WORKDIR`, ...).
        instruction: String,
    },
    /// `RUN --mount=type=cache,"target x` (bad CSV quoting) or `--mount=`.
    MountSyntax {
        /// What is wrong, for the message.
        detail: String,
    },
    /// `RUN --mount=tagret=/x`.
    MountUnknownKey {
        /// The key as written.
        key: String,
    },
    /// `RUN --mount=target /x`.
    MountMissingValue {
        /// The key as written.
        key: String,
    },
    /// `RUN --mount=type=cache,mode=abc`.
    MountInvalidValue {
        /// The key as written.
        key: String,
        /// The value as written.
        value: String,
        /// What the flag or key accepts, for the message.
        expected: String,
    },
    /// `RUN --mount=required,type=secret` (still a bind mount when `required` is read).
    MountKeyNotAllowed {
        /// The key as written.
        key: String,
        /// The mount type the key does not apply to.
        mount_type: String,
    },
    /// `RUN --mount=type=secret,from=x`, `id` and `source` on a secret, target `/` ...
    MountInvalid {
        /// What is wrong, for the message.
        detail: String,
    },
    /// 10,001 `FROM` lines (a [`crate::limits::Limits`] bound).
    LimitExceeded(Exceeded),
    /// `RUN --cache=pipx x`, `CACHE npn`.
    UnknownCachePreset {
        /// The name as written.
        name: String,
    },
    /// `RUN --cache=go,go x`; `first` is the span of the first use.
    DuplicateCachePreset {
        /// The preset's name.
        name: String,
        /// Where it was first named.
        first: TextRange,
    },
    /// `RUN --cache=apt,, x`, `RUN --cache= x`.
    EmptyCachePreset,
}

impl IrError {
    /// An error of `kind` at `span`, without help.
    pub fn new(kind: IrErrorKind, span: TextRange) -> Self {
        IrError {
            kind,
            span,
            help: None,
        }
    }

    /// A second place the error refers to, and what it is: where a
    /// duplicated stage name was first defined.
    pub fn aux_span(&self) -> Option<(TextRange, &'static str)> {
        match self.kind {
            IrErrorKind::DuplicateStageName { first, .. } => Some((first, "first defined here")),
            IrErrorKind::DuplicateCachePreset { first, .. } => Some((first, "first named here")),
            _ => None,
        }
    }

    /// Adds advice shown under the code frame.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// A short stable code for the diagnostic.
    pub fn code(&self) -> Code {
        use IrErrorKind as K;
        match &self.kind {
            K::UnknownInstruction { .. } => Code::UnknownInstruction,
            K::LimitExceeded(e) => e.code(),
            K::NoBuildStage => Code::NoBuildStage,
            K::NoStages => Code::NoStages,
            K::DuplicateStageName { .. } => Code::DuplicateStageName,
            K::InvalidStageName { .. } | K::FromArgCount => Code::InvalidFrom,
            K::UnknownFlag { .. } | K::FlagNotSupported { .. } => Code::UnknownFlag,
            K::DuplicateFlag { .. }
            | K::FlagMissingValue { .. }
            | K::InvalidBoolFlag { .. }
            | K::InvalidFlagValue { .. } => Code::InvalidFlag,
            K::ArgCount { .. } | K::BlankName { .. } | K::EmptyVolume | K::NotJson { .. } => {
                Code::InvalidArguments
            }
            K::HeredocNotAllowed { .. } => Code::HeredocNotAllowed,
            K::HealthcheckNoneArgs
            | K::HealthcheckMissingCommand
            | K::HealthcheckUnknownType { .. }
            | K::InvalidDuration { .. }
            | K::DurationTooShort { .. }
            | K::InvalidRetries { .. } => Code::InvalidHealthcheck,
            K::OnbuildChain | K::OnbuildForbidden { .. } => Code::InvalidOnbuild,
            K::NotComposed { .. } => Code::SupersetUsage,
            K::MountSyntax { .. }
            | K::MountUnknownKey { .. }
            | K::MountMissingValue { .. }
            | K::MountInvalidValue { .. }
            | K::MountKeyNotAllowed { .. }
            | K::MountInvalid { .. } => Code::MountOption,
            K::UnknownCachePreset { .. } | K::DuplicateCachePreset { .. } | K::EmptyCachePreset => {
                Code::CachePreset
            }
        }
    }

    /// The diagnostic for rendering: code, message, span and help.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let mut d = Diagnostic::error(self.code(), self.kind.to_string(), self.span);
        if let Some((span, label)) = self.aux_span() {
            d = d.with_label(span, label);
        }
        match &self.help {
            Some(h) => d.with_help(h.clone()),
            None => d,
        }
    }
}

impl fmt::Display for IrErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use IrErrorKind as K;
        match self {
            K::UnknownInstruction { .. }
            | K::NoBuildStage
            | K::NoStages
            | K::LimitExceeded(_)
            | K::DuplicateStageName { .. }
            | K::InvalidStageName { .. }
            | K::FromArgCount
            | K::OnbuildChain
            | K::NotComposed { .. }
            | K::OnbuildForbidden { .. } => self.fmt_structure_message(f),
            K::UnknownFlag { .. }
            | K::DuplicateFlag { .. }
            | K::FlagMissingValue { .. }
            | K::InvalidBoolFlag { .. }
            | K::InvalidFlagValue { .. }
            | K::FlagNotSupported { .. } => self.fmt_flag_message(f),
            K::ArgCount { .. }
            | K::BlankName { .. }
            | K::EmptyVolume
            | K::NotJson { .. }
            | K::HeredocNotAllowed { .. } => self.fmt_argument_message(f),
            K::HealthcheckNoneArgs
            | K::HealthcheckMissingCommand
            | K::HealthcheckUnknownType { .. }
            | K::InvalidDuration { .. }
            | K::DurationTooShort { .. }
            | K::InvalidRetries { .. } => self.fmt_healthcheck_message(f),
            K::MountSyntax { .. }
            | K::MountUnknownKey { .. }
            | K::MountMissingValue { .. }
            | K::MountInvalidValue { .. }
            | K::MountKeyNotAllowed { .. }
            | K::MountInvalid { .. } => self.fmt_mount_message(f),
            K::UnknownCachePreset { name } => write!(f, "unknown cache preset `{name}`"),
            K::DuplicateCachePreset { name, .. } => {
                write!(f, "cache preset `{name}` is named twice")
            }
            K::EmptyCachePreset => f.write_str("empty cache preset name"),
        }
    }
}

// The messages by family, as `Display` dispatches them. Each one's last arm
// is not reached (the kind belongs to another family) and falls back to
// `Debug` rather than panicking.
impl IrErrorKind {
    /// Unknown instructions, stages, limits and `ONBUILD`.
    fn fmt_structure_message(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use IrErrorKind as K;
        match self {
            K::UnknownInstruction { name } => write!(f, "unknown instruction: {name}"),
            K::NoBuildStage => f.write_str("no build stage in current context"),
            K::NoStages => f.write_str("dockerfile contains no stages to build"),
            K::LimitExceeded(e) => fmt::Display::fmt(e, f),
            K::DuplicateStageName { name, .. } => write!(f, "duplicate stage name `{name}`"),
            K::InvalidStageName { name } => write!(
                f,
                "invalid name for build stage: `{name}`: expected a letter followed by letters, digits, `-`, `_` or `.`"
            ),
            K::FromArgCount => f.write_str(
                "FROM requires either one or three arguments: `FROM <image>` or `FROM <image> AS <name>`",
            ),
            K::OnbuildChain => {
                f.write_str("chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
            }
            K::NotComposed { keyword } => write!(
                f,
                "{keyword} is resolved when the Dockerfile is converted; it cannot be used here"
            ),
            K::OnbuildForbidden { instruction } => {
                write!(f, "{instruction} isn't allowed as an ONBUILD trigger")
            }
            _ => fmt::Debug::fmt(self, f),
        }
    }

    /// Instruction flags (`--from`, `--link`, ...).
    fn fmt_flag_message(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use IrErrorKind as K;
        match self {
            K::UnknownFlag { instruction, flag } => {
                write!(f, "unknown flag `--{flag}` for {instruction}")
            }
            K::DuplicateFlag { flag } => write!(f, "flag `--{flag}` may only be given once"),
            K::FlagMissingValue { flag } => {
                write!(
                    f,
                    "missing value for flag `--{flag}`: expected `--{flag}=<value>`"
                )
            }
            K::InvalidBoolFlag { flag, value } => write!(
                f,
                "invalid value `{value}` for flag `--{flag}`: expected `true` or `false`"
            ),
            K::InvalidFlagValue {
                flag,
                value,
                expected,
            } => write!(
                f,
                "invalid value `{value}` for flag `--{flag}`: expected {expected}"
            ),
            K::FlagNotSupported { instruction, flag } => {
                write!(f, "{instruction} does not support the flag `--{flag}`")
            }
            _ => fmt::Debug::fmt(self, f),
        }
    }

    /// Instruction arguments: their count, names, JSON form and heredocs.
    fn fmt_argument_message(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use IrErrorKind as K;
        match self {
            K::ArgCount { instruction, arity } => match arity {
                Arity::ExactlyOne => write!(f, "{instruction} requires exactly one argument"),
                Arity::AtLeastOne => write!(f, "{instruction} requires at least one argument"),
                Arity::SourcesAndDest => write!(
                    f,
                    "{instruction} requires at least two arguments (sources and a destination), but only one was provided"
                ),
            },
            K::BlankName { instruction } => write!(f, "{instruction} names can not be blank"),
            K::EmptyVolume => f.write_str("VOLUME specified can not be an empty string"),
            K::NotJson { instruction } => write!(
                f,
                "{instruction} requires the arguments to be in JSON form, e.g. `{instruction} [\"/bin/sh\", \"-c\"]`"
            ),
            K::HeredocNotAllowed { instruction, role } => {
                write!(f, "{instruction} cannot accept a heredoc as {role}")
            }
            _ => fmt::Debug::fmt(self, f),
        }
    }

    /// `HEALTHCHECK`: its form and its duration and retry flags.
    fn fmt_healthcheck_message(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use IrErrorKind as K;
        match self {
            K::HealthcheckNoneArgs => f.write_str("HEALTHCHECK NONE takes no arguments"),
            K::HealthcheckMissingCommand => f.write_str("missing command after HEALTHCHECK CMD"),
            K::HealthcheckUnknownType { word } => write!(
                f,
                "unknown type `{word}` in HEALTHCHECK: expected `CMD` or `NONE`"
            ),
            K::InvalidDuration { flag, value } => write!(
                f,
                "invalid duration `{value}` for `--{flag}`: expected a duration like `30s` or `1m30s`"
            ),
            K::DurationTooShort { flag } => {
                write!(f, "interval `--{flag}` cannot be less than 1ms")
            }
            K::InvalidRetries { value } => write!(
                f,
                "invalid value `{value}` for `--retries`: expected a non-negative integer"
            ),
            _ => fmt::Debug::fmt(self, f),
        }
    }

    /// `RUN --mount` options.
    fn fmt_mount_message(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use IrErrorKind as K;
        match self {
            K::MountSyntax { detail } => write!(f, "failed to parse mount options: {detail}"),
            K::MountUnknownKey { key } => write!(f, "unknown mount option `{key}`"),
            K::MountMissingValue { key } => write!(f, "expected `=` after mount option `{key}`"),
            K::MountInvalidValue {
                key,
                value,
                expected,
            } => write!(
                f,
                "invalid value `{value}` for `{key}`: expected {expected}"
            ),
            K::MountKeyNotAllowed { key, mount_type } => write!(
                f,
                "mount option `{key}` is not allowed for `type={mount_type}` mounts"
            ),
            K::MountInvalid { detail } => f.write_str(detail),
            _ => fmt::Debug::fmt(self, f),
        }
    }
}

impl fmt::Display for IrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for IrError {}
