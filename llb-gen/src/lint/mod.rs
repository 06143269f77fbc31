//! Build checks: upstream's lint rules (with upstream's names, messages and
//! locations) and a few of our own, over the typed instructions.
//!
//! Every rule is a [`Code`] of the catalogue ([`crate::codes`]) and a
//! [`Rule`] of [`RULES`]: its name as `# check=skip=` spells it, its
//! description, whether it is experimental (off unless named in
//! `experimental=`) and its documentation page (`docs/rules/<code>.md`).
//!
//! [`check`] runs every rule that needs only the file; [`CheckConfig`] is
//! what the `# check=` directive and the `BUILDKIT_DOCKERFILE_CHECK` build
//! arg say, and [`CheckConfig::apply`] keeps the findings it enables.
//!
//! ```rust
//! use llb_gen::lint;
//!
//! let text = "FROM alpine AS Build\nCMD echo hi\n";
//! let df = llb_gen::ir::lower(&llb_gen::syntax::parse(text).dockerfile).dockerfile;
//! // Every finding, the experimental rules' too; the default configuration
//! // keeps upstream's default rules.
//! let findings = lint::CheckConfig::default().apply(lint::check(&df, text));
//! let names: Vec<_> = findings.iter().filter_map(|d| lint::rule(d.code)).map(|r| r.name).collect();
//! assert_eq!(names, ["StageNameCasing", "JSONArgsRecommended"]);
//! ```
//!
//! Source code layout:
//! - `config.rs`: `# check=` and `BUILDKIT_DOCKERFILE_CHECK`.
//! - `stages.rs`: the rules about `FROM` lines and stage names.
//! - `commands.rs`: the rules about the other instructions.
//! - `own.rs`: our own rules (`UpstreamIncompatible`, `UnpinnedBaseImage` ...).
//! - `own_cache.rs`: our rules about caches (`CacheMountWithoutId`, `AptWithoutCache`).

mod commands;
mod config;
mod own;
mod own_cache;
mod stages;

pub use config::{CheckConfig, CHECK_BUILD_ARG};

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::ir;

/// Where the rule pages live, relative to the repository root.
pub const DOCS_DIR: &str = "docs/rules";

/// The prefix of every rule's URL (the rule's page is `<prefix><code>.md`).
/// The pages are in this repository; the URL is the page's path in it.
pub const URL_PREFIX: &str = "docs/rules/";

/// Who defined a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// One of BuildKit's rules, with its semantics.
    Upstream,
    /// One of ours.
    Own,
}

/// One build-check rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The diagnostic code its findings carry.
    pub code: Code,
    /// The name `# check=skip=` and `experimental=` use (`StageNameCasing`).
    pub name: &'static str,
    /// One line on what it asks for.
    pub description: &'static str,
    /// Off unless named in `experimental=` (or `experimental=all`).
    pub experimental: bool,
    /// Upstream's rule or ours.
    pub origin: Origin,
}

impl Rule {
    /// The URL its warnings point to: its page under [`DOCS_DIR`].
    pub fn url(&self) -> String {
        format!("{URL_PREFIX}{}.md", self.code)
    }
}

macro_rules! rules {
    ($( $code:ident, $name:literal, $exp:literal, $origin:ident, $desc:literal; )*) => {
        /// Every rule, upstream's first, in upstream's order.
        pub const RULES: &[Rule] = &[ $( Rule {
            code: Code::$code,
            name: $name,
            description: $desc,
            experimental: $exp,
            origin: Origin::$origin,
        }, )* ];
    };
}

rules! {
    StageNameCasing, "StageNameCasing", false, Upstream, "Stage names should be lowercase";
    FromAsCasing, "FromAsCasing", false, Upstream, "The 'as' keyword should match the case of the 'from' keyword";
    NoEmptyContinuation, "NoEmptyContinuation", false, Upstream, "Empty continuation lines will become errors in a future release";
    ConsistentInstructionCasing, "ConsistentInstructionCasing", false, Upstream, "All commands within the Dockerfile should use the same casing (either upper or lower)";
    DuplicateStageName, "DuplicateStageName", false, Upstream, "Stage names should be unique";
    ReservedStageName, "ReservedStageName", false, Upstream, "Reserved words should not be used as stage names";
    JsonArgsRecommended, "JSONArgsRecommended", false, Upstream, "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals";
    MaintainerDeprecated, "MaintainerDeprecated", false, Upstream, "The MAINTAINER instruction is deprecated, use a label instead to define an image author";
    UndefinedArgInFrom, "UndefinedArgInFrom", false, Upstream, "FROM command must use declared ARGs";
    WorkdirRelativePath, "WorkdirRelativePath", false, Upstream, "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes";
    UndefinedVar, "UndefinedVar", false, Upstream, "Variables should be defined before their use";
    MultipleInstructionsDisallowed, "MultipleInstructionsDisallowed", false, Upstream, "Multiple instructions of the same type should not be used in the same stage";
    LegacyKeyValueFormat, "LegacyKeyValueFormat", false, Upstream, "Legacy key/value format with whitespace separator should not be used";
    InvalidBaseImagePlatform, "InvalidBaseImagePlatform", false, Upstream, "Base image platform does not match expected target platform";
    RedundantTargetPlatform, "RedundantTargetPlatform", false, Upstream, "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior";
    SecretsUsedInArgOrEnv, "SecretsUsedInArgOrEnv", false, Upstream, "Sensitive data should not be used in the ARG or ENV commands";
    InvalidDefaultArgInFrom, "InvalidDefaultArgInFrom", false, Upstream, "Default value for global ARG results in an empty or invalid base image name";
    FromPlatformFlagConstDisallowed, "FromPlatformFlagConstDisallowed", false, Upstream, "FROM --platform flag should not use a constant value";
    CopyIgnoredFile, "CopyIgnoredFile", false, Upstream, "Attempting to Copy file that is excluded by .dockerignore";
    InvalidDefinitionDescription, "InvalidDefinitionDescription", true, Upstream, "Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`. If this is not intended to be a description comment, add an empty line or comment between the instruction and the comment.";
    ExposeProtoCasing, "ExposeProtoCasing", false, Upstream, "Protocol in EXPOSE instruction should be lowercase";
    ExposeInvalidFormat, "ExposeInvalidFormat", false, Upstream, "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release";
    UpstreamIncompatible, "UpstreamIncompatible", true, Own, "The Dockerfile uses an extension that docker/dockerfile does not accept";
    UnpinnedBaseImage, "UnpinnedBaseImage", true, Own, "Base images should be pinned by digest so that the build is reproducible";
    SecretInCopy, "SecretInCopy", true, Own, "Files that look like secrets should not be copied into an image layer";
    UnlockedImage, "UnlockedImage", false, Own, "Base images should be in the lock file beside the Dockerfile when there is one";
    CacheMountWithoutId, "CacheMountWithoutId", true, Own, "Cache mounts at a generic path should have an id, or unrelated builds share them";
    AptWithoutCache, "AptWithoutCache", true, Own, "apt installs should use a package cache (the apt cache preset)";
}

/// The rule whose findings carry `code`.
pub fn rule(code: Code) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}

/// The rule named `name` (case-sensitive, as upstream).
pub fn rule_named(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
}

/// Every finding of every rule that needs only the file (experimental
/// ones included; [`CheckConfig::apply`] filters), in source order.
/// `source` is the text the spans of `df` index.
pub fn check(df: &ir::Dockerfile, source: &str) -> Vec<Diagnostic> {
    check_some(df, source, |_| true)
}

/// [`check`] without the rule groups none of whose rules `on` names: our
/// own rules are experimental, and computing their findings (a message per
/// unpinned base, 3,333 of them on a 5,000-stage file) only for
/// [`CheckConfig::apply`] to drop them cost the default build.
fn check_some(df: &ir::Dockerfile, source: &str, on: impl Fn(Code) -> bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    stages::check(df, source, &mut out);
    commands::check(df, &mut out);
    if own::CODES.iter().any(|&c| on(c)) {
        own::check(df, &mut out);
    }
    if own_cache::CODES.iter().any(|&c| on(c)) {
        own_cache::check(df, &mut out);
    }
    out.sort_by_key(|d| (d.span.start, d.code));
    out
}

/// What the build checks found in a file: the findings its check
/// configuration keeps (parser and lowering warnings among them), in
/// source order, and that configuration (whose [`CheckConfig::failure`]
/// says whether the build fails).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Report {
    /// The kept findings and the warnings about the configuration.
    pub findings: Vec<Diagnostic>,
    /// `# check=` or `BUILDKIT_DOCKERFILE_CHECK`.
    pub config: CheckConfig,
}

/// The build checks of a lowered file: `prior` (the parser's and the
/// lowering's warnings) and every rule's findings, filtered by the check
/// configuration of the build (`build_args` may hold
/// `BUILDKIT_DOCKERFILE_CHECK`). The error is a malformed build arg.
pub fn run(
    df: &ir::Dockerfile,
    source: &str,
    build_args: &std::collections::BTreeMap<String, String>,
    mut prior: Vec<Diagnostic>,
) -> Result<Report, Vec<Diagnostic>> {
    let (config, problems) = CheckConfig::for_build(df, build_args);
    let (bad, odd): (Vec<_>, Vec<_>) = problems
        .into_iter()
        .partition(|d| d.severity == crate::diagnostic::Severity::Error);
    if !bad.is_empty() {
        return Err(bad);
    }
    for d in &mut prior {
        match d.code {
            Code::NoEmptyContinuation => *d = empty_continuation(d, source, df.escape),
            Code::DuplicateStageName => duplicate_stage(d, source),
            _ => {}
        }
    }
    let on = |code: Code| rule(code).is_none_or(|r| config.enabled(r.name));
    prior.extend(check_some(df, source, on));
    let mut findings = config.apply(prior);
    findings.sort_by_key(|d| d.span.start);
    findings.extend(odd);
    Ok(Report { findings, config })
}

/// Parse, lower and check `source` (a Dockerfile's bytes as read): the
/// [`Report`], or every parse and lowering error (and a malformed
/// `BUILDKIT_DOCKERFILE_CHECK`).
pub fn lint_source(
    source: &[u8],
    build_args: &std::collections::BTreeMap<String, String>,
    limits: &crate::limits::Limits,
) -> Result<Report, Vec<Diagnostic>> {
    let parsed = crate::syntax::parse_bytes_with_limits(source, limits);
    let mut errors: Vec<Diagnostic> = parsed.errors.iter().map(|e| e.to_diagnostic()).collect();
    let mut warnings: Vec<Diagnostic> = parsed
        .dockerfile
        .warnings
        .iter()
        .map(|w| w.to_diagnostic())
        .collect();
    let lowered = ir::lower_with_limits(&parsed.dockerfile, limits);
    for e in &lowered.errors {
        let d = e.to_diagnostic();
        match d.code.default_severity() {
            crate::diagnostic::Severity::Warning => warnings.push(Diagnostic {
                severity: crate::diagnostic::Severity::Warning,
                ..d
            }),
            crate::diagnostic::Severity::Error => errors.push(d),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let text = crate::syntax::source_text(source);
    run(&lowered.dockerfile, &text, build_args, warnings)
}

/// The parser's NoEmptyContinuation warning (at the first blank line) as
/// upstream reports it: `Empty continuation line` at the last line of the
/// instruction.
fn empty_continuation(d: &Diagnostic, source: &str, escape: char) -> Diagnostic {
    let mut at = d.span.start as usize;
    let mut last = d.span;
    for line in source.get(at..).unwrap_or("").split_inclusive('\n') {
        let text = line.trim();
        let (lo, hi) = (at, at + line.trim_end_matches(['\n', '\r']).len());
        at += line.len();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        last = crate::text::TextRange::from_usize(lo, hi);
        if !text.ends_with(escape) {
            break;
        }
    }
    finding(Code::NoEmptyContinuation, "Empty continuation line", last)
}

/// The lowering's DuplicateStageName warning (at the name) with
/// upstream's message, at the FROM line as upstream locates it.
fn duplicate_stage(d: &mut Diagnostic, source: &str) {
    let name = source.get(d.span.as_usize()).unwrap_or("").to_lowercase();
    d.message = format!("Duplicate stage name \"{name}\", stage names should be unique");
    let line_start = source
        .get(..d.span.start as usize)
        .and_then(|s| s.rfind('\n'))
        .map_or(0, |i| i + 1);
    d.span = crate::text::TextRange::from_usize(line_start, d.span.end as usize);
}

/// A finding of `code` with `message` at `span` (a warning).
fn finding(code: Code, message: impl Into<String>, span: crate::text::TextRange) -> Diagnostic {
    Diagnostic::warning(code, message, span)
}

/// The keyword as written: the first word of an instruction's text.
fn keyword_as_written(original: &str) -> &str {
    let blank = crate::syntax::is_white_byte;
    let bytes = original.as_bytes();
    let start = bytes.iter().position(|&b| !blank(b)).unwrap_or(bytes.len());
    let end = bytes[start..]
        .iter()
        .position(|&b| blank(b) || !b.is_ascii())
        .map_or(bytes.len(), |n| start + n);
    // The keyword and the blanks before it are ASCII (always, for a keyword the parser took):
    // read as bytes, without decoding a character at a time (this runs for every instruction,
    // by several rules).
    if bytes[..end].is_ascii() && bytes.get(end).is_none_or(|&b| blank(b)) {
        return original.get(start..end).unwrap_or("");
    }
    original
        .trim_start()
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("")
}

#[cfg(test)]
mod tests;
