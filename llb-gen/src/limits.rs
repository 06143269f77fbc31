//! Resource limits: how much input the pipeline accepts, in one place.
//!
//! Every limit is enforced by the stage that owns the data, and every
//! violation is a located error (`Dockerfile:LINE:COL: too many stages:
//! 10,001 (limit 10,000)`), never a panic, an abort or unbounded memory.
//!
//! | limit | default | enforced by | why this value |
//! | --- | --- | --- | --- |
//! | [`Limits::max_file_bytes`] | 8 MiB | `syntax::parse` | The frontend reads the Dockerfile with one gateway `ReadFile`, whose reply must fit BuildKit's 16 MiB gRPC message limit; 8 MiB leaves room and is ~100x the largest real-world Dockerfile we know. |
//! | [`Limits::max_instructions`] | 100,000 | `syntax` (parser loop) | The 500-stage benchmark has ~7,000; each instruction costs a few hundred bytes of AST/IR and at most a few LLB ops. Parsing stops at the limit. |
//! | [`Limits::max_stages`] | 10,000 | `ir::lower` | 20x the 500-stage benchmark; the stage graph and the Definition grow with the stages. |
//! | [`Limits::max_heredoc_bytes`] | 4 MiB per body | `syntax` (heredoc reader) | A heredoc becomes file data inside the LLB Definition, which travels in one `Solve` request (16 MiB gRPC limit); larger files belong in the build context. |
//! | [`Limits::max_definition_bytes`] | 16 MiB | `llb` marshaling (checked op by op), and the image config | BuildKit receives the Definition in one `Solve` request (and the image config in one `Return`), and its gRPC servers take at most 16 MiB in one message: a larger result could never be built, so conversion fails at the instruction that crosses the limit instead of producing gigabytes. |
//! | [`Limits::MAX_LINE_BYTES`] | 65,535 | `syntax` (physical lines) | Upstream's `bufio.Scanner` limit; the line is reported and cut. |
//! | [`Limits::MAX_EXPANSION_BYTES`] | 16 MiB | `words` | Bounds `${a//x/yyyy}`-style blow-ups per word. |
//! | [`Limits::MAX_EXPANSION_DEPTH`] | 128 | `words` | `${a:-${b:-…}}` nesting; bounds recursion. |
//! | [`Limits::MAX_JSON_DEPTH`] | 128 | `serde_json` (exec form, image configs) | serde_json's recursion limit: deeper JSON is not JSON to us (exec form falls back to shell form, a config is rejected). |
//! | [`Limits::MAX_INCLUDE_DEPTH`] | 32 | `convert` (composition) | Nested INCLUDEs; real projects use two or three levels. |
//! | [`Limits::MAX_INCLUDED_FILES`] | 1,000 | `convert` (composition) | Inclusions per build, each counted (a file included twice counts twice), so that files including each other several times cannot splice exponentially. |
//! | [`Limits::MAX_INCLUDED_BYTES`] | 32 MiB | `convert` (composition) | Text of the included files in all; the composed file must also stay within the instruction limit. |
//!
//! The first five are fields (a host can lower them, e.g. for a service
//! that converts untrusted files); the others are fixed and owned by the
//! module that enforces them, re-exported here so the policy reads in one
//! place.

use std::fmt;

use crate::codes::Code;

/// The configurable limits. [`Limits::DEFAULT`] is what `syntax::parse`,
/// `ir::lower` and `convert::convert_dockerfile` use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest Dockerfile, in bytes.
    pub max_file_bytes: usize,
    /// Most instructions (nodes of the syntax tree, ONBUILD counted once).
    pub max_instructions: usize,
    /// Most build stages (`FROM` instructions).
    pub max_stages: usize,
    /// Largest heredoc body, in bytes.
    pub max_heredoc_bytes: usize,
    /// Largest LLB Definition (and image config), in bytes.
    pub max_definition_bytes: usize,
}

impl Limits {
    /// The defaults (see the module docs for the reasons).
    pub const DEFAULT: Limits = Limits {
        max_file_bytes: 8 * 1024 * 1024,
        max_instructions: 100_000,
        max_stages: 10_000,
        max_heredoc_bytes: 4 * 1024 * 1024,
        max_definition_bytes: 16 * 1024 * 1024,
    };
    /// Longest physical line (fixed; `syntax::error::MAX_LINE_BYTES`).
    pub const MAX_LINE_BYTES: usize = crate::syntax::error::MAX_LINE_BYTES;
    /// Largest expanded word (fixed; `words::MAX_OUTPUT`).
    pub const MAX_EXPANSION_BYTES: usize = crate::words::MAX_OUTPUT;
    /// Deepest `${…}` nesting (fixed; `words::MAX_DEPTH`).
    pub const MAX_EXPANSION_DEPTH: usize = crate::words::MAX_DEPTH;
    /// Deepest JSON nesting (fixed; serde_json's recursion limit).
    pub const MAX_JSON_DEPTH: usize = 128;
    /// Deepest INCLUDE nesting (fixed; `convert::MAX_INCLUDE_DEPTH`).
    pub const MAX_INCLUDE_DEPTH: usize = crate::convert::MAX_INCLUDE_DEPTH;
    /// Most inclusions per build (fixed; `convert::MAX_INCLUDED_FILES`).
    pub const MAX_INCLUDED_FILES: usize = crate::convert::MAX_INCLUDED_FILES;
    /// Most bytes of included files (fixed; `convert::MAX_INCLUDED_BYTES`).
    pub const MAX_INCLUDED_BYTES: usize = crate::convert::MAX_INCLUDED_BYTES;
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Which limit was exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// The size of the Dockerfile ([`Limits::max_file_bytes`]).
    FileBytes,
    /// The number of instructions ([`Limits::max_instructions`]).
    Instructions,
    /// The number of stages ([`Limits::max_stages`]).
    Stages,
    /// The size of one heredoc body ([`Limits::max_heredoc_bytes`]).
    HeredocBytes,
    /// The size of the Definition ([`Limits::max_definition_bytes`]).
    DefinitionBytes,
}

/// A limit that an input exceeded: `actual` is the count (or size) at the
/// point where the check failed, `max` the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exceeded {
    /// Which limit.
    pub limit: Limit,
    /// The count or size when the check failed.
    pub actual: usize,
    /// The limit's value.
    pub max: usize,
}

impl Exceeded {
    /// `actual` over `max` for `limit`, or `None` when within the limit.
    pub fn check(limit: Limit, actual: usize, max: usize) -> Option<Exceeded> {
        (actual > max).then_some(Exceeded { limit, actual, max })
    }

    /// Stable short code of the diagnostic.
    pub fn code(&self) -> Code {
        match self.limit {
            Limit::FileBytes => Code::FileTooLarge,
            Limit::Instructions => Code::TooManyInstructions,
            Limit::Stages => Code::TooManyStages,
            Limit::HeredocBytes => Code::HeredocTooLarge,
            Limit::DefinitionBytes => Code::DefinitionTooLarge,
        }
    }

    /// Advice shown under the code frame.
    pub fn help(&self) -> &'static str {
        match self.limit {
            Limit::FileBytes => {
                "the limit protects the frontend's memory; move data into the build context"
            }
            Limit::Instructions => "split the build into several Dockerfiles",
            Limit::Stages => "split the build into several Dockerfiles",
            Limit::HeredocBytes => "put large files in the build context and COPY them",
            Limit::DefinitionBytes => {
                "BuildKit takes at most 16 MiB in one message; look for values repeated \
                 into every step (a large ENV is copied into each RUN)"
            }
        }
    }
}

impl fmt::Display for Exceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, m) = (grouped(self.actual), grouped(self.max));
        match self.limit {
            Limit::FileBytes => write!(f, "file too large: {a} bytes or more (limit {m} bytes)"),
            Limit::Instructions => write!(f, "too many instructions: {a} (limit {m})"),
            Limit::Stages => write!(f, "too many stages: {a} (limit {m})"),
            Limit::HeredocBytes => write!(f, "heredoc too large: {a} bytes (limit {m} bytes)"),
            Limit::DefinitionBytes => write!(
                f,
                "the build definition would be larger than {m} bytes ({a} bytes or more at this instruction)"
            ),
        }
    }
}

/// `10001` -> `10,001`.
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(10_001), "10,001");
        assert_eq!(grouped(16_777_216), "16,777,216");
    }

    #[test]
    fn messages_name_the_count_and_the_limit() {
        let e = Exceeded::check(Limit::Stages, 10_001, 10_000);
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some("too many stages: 10,001 (limit 10,000)")
        );
        assert_eq!(Exceeded::check(Limit::Stages, 10_000, 10_000), None);
    }
}
