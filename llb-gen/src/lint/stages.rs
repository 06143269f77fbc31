//! Rules about `FROM` lines: stage names, keyword casing of `AS`, the
//! variables and the platform of the base.

use crate::codes::Code;
use crate::convert::platform::parse_platform;
use crate::convert::Platform;
use crate::diagnostic::Diagnostic;
use crate::ir::{self, Stage};
use crate::words::{Expansion, Lexer};

use super::commands::{is_lowercase, is_uppercase};
use super::finding;

/// The platform args every FROM line sees, with the values of a
/// `linux/amd64` build (only their being defined matters to the rules,
/// and that the values are valid platforms).
const PLATFORM_ARGS: &[(&str, &str)] = &[
    ("BUILDPLATFORM", "linux/amd64"),
    ("BUILDOS", "linux"),
    ("BUILDARCH", "amd64"),
    ("BUILDVARIANT", ""),
    ("TARGETPLATFORM", "linux/amd64"),
    ("TARGETOS", "linux"),
    ("TARGETARCH", "amd64"),
    ("TARGETVARIANT", ""),
];

/// Names no stage should have.
const RESERVED: &[&str] = &["context", "scratch"];

pub(super) fn check(df: &ir::Dockerfile, source: &str, out: &mut Vec<Diagnostic>) {
    let declared = declared_env(df);
    let defaults = default_env(df);
    for st in &df.stages {
        names(st, source, out);
        from_args_check(st, df.escape, &declared, out);
        default_base(st, df.escape, &defaults, out);
        platform(st, df.escape, &defaults, out);
        description(st, out);
    }
}

/// The FROM line's words after the keyword, flags left out: the base,
/// then `AS` and the name when given.
fn from_args(original_from: &str) -> Vec<&str> {
    original_from
        .split_whitespace()
        .skip(1)
        .filter(|w| !w.starts_with("--"))
        .collect()
}

/// StageNameCasing, FromAsCasing, ReservedStageName.
fn names(st: &Stage, source: &str, out: &mut Vec<Diagnostic>) {
    let Some(name) = &st.name else { return };
    let at = st.from.span;
    let written = source.get(name.span.as_usize()).unwrap_or(&name.value);
    if !is_lowercase(written) {
        let msg = format!("Stage name '{written}' should be lowercase");
        out.push(finding(Code::StageNameCasing, msg, at));
    }
    let from = super::keyword_as_written(&st.from.original);
    let args = from_args(&st.from.original);
    if let Some(as_kw) = args.get(1) {
        let lower = is_lowercase(from);
        let upper = is_uppercase(from);
        let mismatch = (lower && !is_lowercase(as_kw)) || (!lower && upper && !is_uppercase(as_kw));
        if mismatch {
            let msg = format!("'{as_kw}' and '{from}' keywords' casing do not match");
            out.push(finding(Code::FromAsCasing, msg, at));
        }
    }
    if RESERVED.contains(&name.value.as_str()) {
        let msg = format!(
            "Stage name should not use the same name as reserved stage \"{}\"",
            name.value
        );
        out.push(finding(Code::ReservedStageName, msg, at));
    }
}

/// Every global ARG as declared (value empty) and the platform args.
fn declared_env(df: &ir::Dockerfile) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = PLATFORM_ARGS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for a in df.meta_args.iter().flat_map(|m| &m.args) {
        env.push((a.name.value.to_string(), String::new()));
    }
    env
}

/// The global ARGs with only their defaults (as if no build arg was
/// given), each default expanded with the ones before it.
fn default_env(df: &ir::Dockerfile) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = PLATFORM_ARGS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let lx = Lexer::new(df.escape);
    for a in df.meta_args.iter().flat_map(|m| &m.args) {
        let value = a
            .default
            .as_ref()
            .and_then(|d| lx.process_word(&d.value, &env).ok())
            .map(|e| e.value);
        match value {
            Some(v) => env.push((a.name.value.to_string(), v)),
            // Declared without a default: unset, as upstream.
            None => env.retain(|(k, _)| k != &a.name.value),
        }
    }
    env
}

/// UndefinedArgInFrom: variables of the base name and `--platform` that
/// are neither global ARGs nor platform args.
fn from_args_undefined(
    st: &Stage,
    word: &str,
    escape: char,
    declared: &[(String, String)],
    out: &mut Vec<Diagnostic>,
) {
    let Ok(e) = Lexer::new(escape).process_word(word, &declared) else {
        return;
    };
    let keys: Vec<&str> = declared.iter().map(|(k, _)| k.as_str()).collect();
    for name in &e.unmatched {
        let mut msg = format!("FROM argument '{name}' is not declared");
        if let Some(s) = crate::ir::suggest::suggest(name, &keys) {
            msg.push_str(&format!(" (did you mean {s}?)"));
        }
        out.push(finding(Code::UndefinedArgInFrom, msg, st.from.span));
    }
}

fn from_args_check(
    st: &Stage,
    escape: char,
    declared: &[(String, String)],
    out: &mut Vec<Diagnostic>,
) {
    from_args_undefined(st, &st.base.value, escape, declared, out);
    if let Some(p) = &st.platform {
        from_args_undefined(st, &p.value, escape, declared, out);
    }
}

/// InvalidDefaultArgInFrom: the base name with only the defaults of the
/// global ARGs is empty or not an image reference.
fn default_base(
    st: &Stage,
    escape: char,
    defaults: &[(String, String)],
    out: &mut Vec<Diagnostic>,
) {
    let Ok(e) = Lexer::new(escape).process_word(&st.base.value, &defaults) else {
        return;
    };
    if crate::convert::reference::Reference::parse(&e.value).is_ok() {
        return;
    }
    let msg = format!(
        "Default value for ARG {} results in empty or invalid base image name",
        st.base.value
    );
    out.push(finding(Code::InvalidDefaultArgInFrom, msg, st.from.span));
}

/// RedundantTargetPlatform and FromPlatformFlagConstDisallowed.
fn platform(st: &Stage, escape: char, defaults: &[(String, String)], out: &mut Vec<Diagnostic>) {
    let Some(p) = &st.platform else { return };
    let Ok(e) = Lexer::new(escape).process_word(&p.value, &defaults) else {
        return;
    };
    if redundant(&e, defaults) {
        let msg = format!(
            "Setting platform to predefined {} in FROM is redundant as this is the default behavior",
            p.value
        );
        out.push(finding(Code::RedundantTargetPlatform, msg, st.from.span));
    }
    if !e.matched.is_empty() || !e.unmatched.is_empty() {
        return;
    }
    let Ok(parsed) = parse_platform(&e.value, &Platform::linux_amd64()) else {
        return;
    };
    let name = st.name.as_ref().map_or("", |n| n.value.as_str());
    if name.contains(parsed.os.as_str()) || name.contains(parsed.architecture.as_str()) {
        return;
    }
    let msg = format!(
        "FROM --platform flag should not use constant value \"{}\"",
        e.value
    );
    out.push(finding(
        Code::FromPlatformFlagConstDisallowed,
        msg,
        st.from.span,
    ));
}

/// Only `TARGETPLATFORM` was substituted and the result is its value.
fn redundant(e: &Expansion, env: &[(String, String)]) -> bool {
    let target = env
        .iter()
        .rev()
        .find(|(k, _)| k == "TARGETPLATFORM")
        .map(|(_, v)| v.as_str());
    e.matched.len() == 1
        && e.unmatched.is_empty()
        && e.matched.contains("TARGETPLATFORM")
        && target == Some(e.value.as_str())
}

/// InvalidDefinitionDescription (experimental): the comment right above
/// `FROM ... AS name` does not start with the name.
fn description(st: &Stage, out: &mut Vec<Diagnostic>) {
    let (Some(name), Some(last)) = (&st.name, st.comment.last()) else {
        return;
    };
    if last.split(' ').next() == Some(name.value.as_str()) {
        return;
    }
    let msg = format!(
        "Comment for FROM should follow the format: `# {} <description>`",
        name.value
    );
    out.push(finding(
        Code::InvalidDefinitionDescription,
        msg,
        st.from.span,
    ));
}

/// The same rule for a global or stage `ARG` with its comment block.
pub(super) fn arg_description(
    arg: &ir::ArgInstruction,
    comment: &[String],
    out: &mut Vec<Diagnostic>,
) {
    let Some(last) = comment.last() else { return };
    let keys: Vec<&str> = arg.args.iter().map(|a| a.name.value.as_str()).collect();
    let Some(first) = keys.first() else { return };
    if keys.contains(&last.split(' ').next().unwrap_or("")) {
        return;
    }
    let example = if keys.len() > 1 { "<arg_key>" } else { first };
    let msg = format!("Comment for ARG should follow the format: `# {example} <description>`");
    out.push(finding(
        Code::InvalidDefinitionDescription,
        msg,
        arg.info.span,
    ));
}
