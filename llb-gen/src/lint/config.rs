//! Which rules run and whether a finding fails the build: the `# check=`
//! directive, replaced entirely by the `BUILDKIT_DOCKERFILE_CHECK` build arg
//! when that is given (upstream's precedence).

use std::collections::BTreeSet;

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir;
use crate::text::TextRange;

use super::{rule, rule_named, RULES};

/// The build arg that replaces the `# check=` directive.
pub const CHECK_BUILD_ARG: &str = "BUILDKIT_DOCKERFILE_CHECK";

/// What `skip=`, `error=` and `experimental=` say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckConfig {
    /// `skip=all`: no rule but the experimental ones named runs.
    pub skip_all: bool,
    /// `skip=A,B`: the rules that do not run.
    pub skip: BTreeSet<String>,
    /// `error=true`: a finding fails the build.
    pub error: bool,
    /// `experimental=all`: every experimental rule runs.
    pub experimental_all: bool,
    /// `experimental=A,B`: the experimental rules that run.
    pub experimental: BTreeSet<String>,
}

/// A rule list: `all` or names separated by `,` (blanks trimmed).
fn names(value: &str) -> (bool, BTreeSet<String>) {
    let value = value.trim();
    if value == "all" {
        return (true, BTreeSet::new());
    }
    let set = value
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(String::from)
        .collect();
    (false, set)
}

/// Go's `strconv.ParseBool`.
fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

impl CheckConfig {
    /// Parse a `# check=` value: up to three `;`-separated `key=value`
    /// options (`skip`, `error`, `experimental`); the error says what is
    /// wrong.
    pub fn parse(value: &str) -> Result<CheckConfig, String> {
        let mut cfg = CheckConfig::default();
        let value = value.trim();
        if value.is_empty() {
            return Ok(cfg);
        }
        for part in value.splitn(3, ';') {
            let Some((key, v)) = part.split_once('=') else {
                return Err(format!(
                    "invalid check option `{part}`: expected `key=value`"
                ));
            };
            match key.trim() {
                "skip" => (cfg.skip_all, cfg.skip) = names(v),
                "experimental" => (cfg.experimental_all, cfg.experimental) = names(v),
                "error" => {
                    cfg.error = parse_bool(v.trim()).ok_or_else(|| {
                        format!("`error` expects `true` or `false`, found `{}`", v.trim())
                    })?;
                }
                k => {
                    return Err(format!(
                        "unknown check option `{k}`: expected `skip`, `experimental` or `error`"
                    ))
                }
            }
        }
        Ok(cfg)
    }

    /// The configuration of a parsed Dockerfile's `directives` (its
    /// `# check=`, or the build arg), for a file read before it is
    /// composed; a malformed value is the default configuration.
    pub fn for_directives(
        directives: &[crate::syntax::ast::Directive],
        build_args: &std::collections::BTreeMap<String, String>,
    ) -> CheckConfig {
        let directive = directives.iter().find(|d| d.key == "check");
        match (build_args.get(CHECK_BUILD_ARG), directive) {
            (Some(v), _) => CheckConfig::parse(v).unwrap_or_default(),
            (None, Some(d)) => CheckConfig::parse(&d.value).unwrap_or_default(),
            (None, None) => CheckConfig::default(),
        }
    }

    /// The configuration of a build: the `BUILDKIT_DOCKERFILE_CHECK` build
    /// arg when given, else the file's `# check=` directive. Also returns
    /// what is wrong with it: a malformed build arg (an error: the
    /// directive's own shape is checked by the parser) and unknown rule
    /// names (warnings with a suggestion).
    pub fn for_build(
        df: &ir::Dockerfile,
        build_args: &std::collections::BTreeMap<String, String>,
    ) -> (CheckConfig, Vec<Diagnostic>) {
        let mut problems = Vec::new();
        let (cfg, at) = match (build_args.get(CHECK_BUILD_ARG), &df.directives.check) {
            (Some(v), _) => match CheckConfig::parse(v) {
                Ok(c) => (c, None),
                Err(e) => {
                    let msg = format!("build arg {CHECK_BUILD_ARG}={v:?}: {e}");
                    problems.push(Diagnostic::error(
                        Code::InvalidCheck,
                        msg,
                        TextRange::empty(0),
                    ));
                    (CheckConfig::default(), None)
                }
            },
            // The parser reported a malformed directive already.
            (None, Some(w)) => (
                CheckConfig::parse(&w.value).unwrap_or_default(),
                Some(w.span),
            ),
            (None, None) => (CheckConfig::default(), None),
        };
        for name in cfg.skip.iter().chain(&cfg.experimental) {
            if rule_named(name).is_none() {
                problems.push(unknown_rule(name, at));
            }
        }
        (cfg, problems)
    }

    /// The configuration as a `# check=` value (what [`CheckConfig::parse`]
    /// reads back).
    pub fn to_value(&self) -> String {
        let list = |all: bool, set: &BTreeSet<String>| match all {
            true => "all".to_string(),
            false => set.iter().cloned().collect::<Vec<_>>().join(","),
        };
        format!(
            "skip={};error={};experimental={}",
            list(self.skip_all, &self.skip),
            self.error,
            list(self.experimental_all, &self.experimental)
        )
    }

    /// Whether the rule named `name` runs.
    pub fn enabled(&self, name: &str) -> bool {
        match rule_named(name) {
            Some(r) if r.experimental => self.experimental_all || self.experimental.contains(name),
            _ => !self.skip_all && !self.skip.contains(name),
        }
    }

    /// The findings this configuration keeps: every diagnostic that is not
    /// a rule's, and the findings of enabled rules.
    pub fn apply(&self, findings: Vec<Diagnostic>) -> Vec<Diagnostic> {
        findings
            .into_iter()
            .filter(|d| rule(d.code).is_none_or(|r| self.enabled(r.name)))
            .collect()
    }

    /// With `error=true` and findings of rules: every finding as an error,
    /// then one error naming the rules (upstream's "lint violation found
    /// for rules: ..."). `None` when the build goes on.
    pub fn failure(&self, findings: &[Diagnostic]) -> Option<Vec<Diagnostic>> {
        if !self.error {
            return None;
        }
        let found: Vec<&Diagnostic> = findings.iter().filter(|d| rule(d.code).is_some()).collect();
        let first = found.first()?;
        let mut names: Vec<&str> = found
            .iter()
            .filter_map(|d| rule(d.code))
            .map(|r| r.name)
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut out: Vec<Diagnostic> = found
            .iter()
            .map(|d| Diagnostic {
                severity: Severity::Error,
                ..(*d).clone()
            })
            .collect();
        let summary = format!("lint violation found for rules: {}", names.join(", "));
        out.push(
            Diagnostic::error(Code::CheckFailed, summary, first.span).with_help(
                "fix the findings above, or skip their rules with `# check=skip=<rule>`",
            ),
        );
        Some(out)
    }
}

/// A warning for an unknown rule name, with the nearest known one.
fn unknown_rule(name: &str, at: Option<TextRange>) -> Diagnostic {
    let names: Vec<&str> = RULES.iter().map(|r| r.name).collect();
    let msg = format!("unknown build check rule `{name}`");
    let d = Diagnostic::warning(Code::InvalidCheck, msg, at.unwrap_or(TextRange::empty(0)));
    match crate::ir::suggest::suggest(name, &names) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help("the rules are listed in docs/rules/README.md"),
    }
}
