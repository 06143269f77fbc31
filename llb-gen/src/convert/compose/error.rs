//! What can go wrong while composing: the kinds carried by
//! [`ErrorKind::Compose`](crate::convert::ErrorKind::Compose).

use std::fmt;

use crate::codes::Code;

/// A composition problem. Every variant documents an input that makes it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ComposeErrorKind {
    /// `INCLUDE nope.Dockerfile` where the source has no such file.
    NotFound {
        /// The path looked up.
        path: String,
        /// The source it was looked up in, described.
        source: String,
    },
    /// `INCLUDE ../../x` past the root of its source.
    OutsideSource {
        /// The path as expanded.
        path: String,
        /// The source, described.
        source: String,
    },
    /// `INCLUDE ci/*.Dockerfile` that matches nothing.
    NoMatch {
        /// The pattern.
        pattern: String,
        /// The source, described.
        source: String,
    },
    /// `INCLUDE ci/*/x.Dockerfile`: a wildcard in a directory part.
    GlobInDirectory {
        /// The pattern.
        pattern: String,
    },
    /// `a.Dockerfile` includes `b.Dockerfile`, which includes `a.Dockerfile`.
    Cycle {
        /// The chain, `a -> b -> a`.
        chain: String,
    },
    /// The host could not read an included file (or list its directory).
    ReadFailed {
        /// The path.
        path: String,
        /// The host's reason.
        reason: String,
    },
    /// `INCLUDE --from=nope x` without a named context `nope`.
    UnknownSource {
        /// The name.
        name: String,
    },
    /// `INCLUDE --from=img x` where `img` is an image, Git or HTTP context.
    UnsupportedSource {
        /// The name.
        name: String,
        /// What it is (`an image`, `a Git repository`, ...).
        what: &'static str,
    },
    /// `INCLUDE --mount=x a`, `INCLUDE` with no path, `END x`.
    Usage {
        /// What is wrong.
        message: String,
    },
    /// `IF ${X}` or `INCLUDE ${X}.Dockerfile` with `X` declared only by an
    /// `ARG` inside a stage.
    StageVariable {
        /// The variable.
        name: String,
    },
    /// `INCLUDE ${EMPTY}`: the expansion is empty.
    EmptyExpansion {
        /// The word as written.
        word: String,
    },
    /// `ELSE` or `END` without an open `IF`, or `ELSE` after `ELSE`.
    Unmatched {
        /// The keyword, upper case.
        keyword: &'static str,
        /// Why.
        why: &'static str,
    },
    /// `IF x` with no `END` before the end of its file.
    UnclosedIf,
    /// `IF a ==`.
    InvalidCondition {
        /// What was expected at the error's column.
        message: String,
    },
    /// An included file whose `# escape=` differs from the Dockerfile's.
    EscapeMismatch {
        /// The included file's escape character.
        included: char,
        /// The Dockerfile's.
        main: char,
    },
    /// Too deep, too many or too large included files.
    Limit {
        /// What was exceeded, e.g. `include depth 33 (limit 32)`.
        message: String,
    },
    /// `FROM ./ci/go.Dockerfile#nope` where that file has no stage `nope`
    /// (or `FROM ./empty.Dockerfile`, a file without stages).
    ImportStage {
        /// The file, as shown.
        file: String,
        /// The stage asked for; `None` for the last stage.
        stage: Option<String>,
    },
    /// `a.Dockerfile` imports a stage of `b.Dockerfile`, which imports one
    /// of `a.Dockerfile`.
    ImportCycle {
        /// The chain, `a -> b -> a`.
        chain: String,
    },
    /// INCLUDE, IF, ELSE or END as an `ONBUILD` trigger, or given to
    /// `ir::lower` without composing first.
    NotHere {
        /// The keyword, upper case.
        keyword: &'static str,
    },
}

impl ComposeErrorKind {
    /// The catalogue code.
    pub fn code(&self) -> Code {
        use ComposeErrorKind as K;
        match self {
            K::NotFound { .. } => Code::IncludeNotFound,
            K::OutsideSource { .. } => Code::IncludeOutsideSource,
            K::NoMatch { .. } | K::GlobInDirectory { .. } => Code::IncludeNoMatch,
            K::Cycle { .. } | K::ImportCycle { .. } => Code::IncludeCycle,
            K::ImportStage { .. } => Code::ImportStage,
            K::ReadFailed { .. } => Code::IncludeRead,
            K::UnknownSource { .. } | K::UnsupportedSource { .. } => Code::IncludeSource,
            K::Usage { .. } | K::NotHere { .. } => Code::SupersetUsage,
            K::StageVariable { .. } => Code::StageVariable,
            K::EmptyExpansion { .. } => Code::EmptyExpansion,
            K::Unmatched { .. } | K::UnclosedIf => Code::UnmatchedBlock,
            K::InvalidCondition { .. } => Code::InvalidCondition,
            K::EscapeMismatch { .. } => Code::IncludeEscape,
            K::Limit { .. } => Code::IncludeLimit,
        }
    }
}

impl fmt::Display for ComposeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ComposeErrorKind as K;
        match self {
            K::NotFound { path, source } => write!(f, "no file {path} in {source}"),
            K::OutsideSource { path, source } => {
                write!(f, "{path} leaves {source}")
            }
            K::NoMatch { pattern, source } => {
                write!(f, "{pattern} matches no file in {source}")
            }
            K::GlobInDirectory { pattern } => write!(
                f,
                "{pattern}: wildcards are allowed in the file name only, not in directories"
            ),
            K::Cycle { chain } => write!(f, "files include each other: {chain}"),
            K::ImportStage {
                file,
                stage: Some(stage),
            } => write!(f, "{file} has no stage {stage:?}"),
            K::ImportStage { file, stage: None } => {
                write!(f, "{file} has no stages to import")
            }
            K::ImportCycle { chain } => write!(f, "files import stages of each other: {chain}"),
            K::ReadFailed { path, reason } => write!(f, "cannot read {path}: {reason}"),
            K::UnknownSource { name } => write!(f, "no named context {name:?} to include from"),
            K::UnsupportedSource { name, what } => write!(
                f,
                "cannot include from the named context {name:?}: it is {what}; \
                 only the Dockerfile's directory, the build context and local directories \
                 can be read while converting"
            ),
            K::Usage { message } => f.write_str(message),
            K::StageVariable { name } => write!(
                f,
                "{name} is declared only inside a stage; IF conditions, INCLUDE paths and \
                 --from values see global ARGs only"
            ),
            K::EmptyExpansion { word } => write!(f, "{word} expands to nothing"),
            K::Unmatched { keyword, why } => write!(f, "{keyword} {why}"),
            K::UnclosedIf => f.write_str("IF without END"),
            K::InvalidCondition { message } => write!(f, "invalid condition: expected {message}"),
            K::EscapeMismatch { included, main } => write!(
                f,
                "this file's escape character is `{included}`, the Dockerfile's is `{main}`"
            ),
            K::Limit { message } => write!(f, "too many included files: {message}"),
            K::NotHere { keyword } => write!(
                f,
                "{keyword} is resolved when the file is composed; it cannot be used here"
            ),
        }
    }
}
