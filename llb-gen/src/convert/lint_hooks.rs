//! The build checks that need the conversion: `UndefinedVar` (the stage's
//! environment includes the base image's), `InvalidBaseImagePlatform`
//! (the resolved config's platform) and `CopyIgnoredFile` (the build
//! context's `.dockerignore`). Their findings join the conversion's
//! warnings, filtered by the check configuration (`crate::lint`).

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::ir::{self, Instruction, Word};
use crate::words::Lexer;

use super::api::Platform;
use super::args::is_non_env_arg;
use super::dispatch::{StageState, StateEnv};

/// The words an instruction expands with the stage environment (upstream's
/// single-word expansion): ENV and LABEL keys and values, ARG defaults,
/// COPY/ADD sources, destination, `--chown`, `--chmod`, ADD `--checksum`,
/// WORKDIR, USER, VOLUME, STOPSIGNAL.
fn expanded_words(i: &Instruction) -> Vec<&Word> {
    match i {
        Instruction::Env(kvs) | Instruction::Label(kvs) => {
            kvs.iter().flat_map(|kv| [&kv.key, &kv.value]).collect()
        }
        Instruction::Arg(a) => a.args.iter().filter_map(|d| d.default.as_ref()).collect(),
        Instruction::Copy(c) => copy_words(&c.common).collect(),
        Instruction::Add(a) => copy_words(&a.common).chain(a.checksum.as_ref()).collect(),
        Instruction::Workdir(w) => std::iter::once(&w.path)
            .chain(w.chown.as_ref())
            .chain(w.chmod.as_ref())
            .collect(),
        Instruction::User(w) | Instruction::StopSignal(w) => vec![w],
        Instruction::Volume(v) => v.iter().collect(),
        _ => Vec::new(),
    }
}

fn copy_words(c: &ir::CopyCommon) -> impl Iterator<Item = &Word> {
    c.sources
        .iter()
        .chain(std::iter::once(&c.dest))
        .chain(c.chown.as_ref())
        .chain(c.chmod.as_ref())
}

/// UndefinedVar: the variables `cmd` expands that neither the stage's
/// environment (base image, ENV, ARG values) nor its declared ARGs define,
/// each once per instruction, with the nearest defined name.
pub(super) fn undefined_vars(d: &StageState, escape: char, cmd: &ir::Command) -> Vec<Diagnostic> {
    let lx = Lexer::new(escape);
    let env = StateEnv(&d.state);
    let mut names = std::collections::BTreeSet::new();
    for w in expanded_words(&cmd.instruction) {
        if !w.value.contains('$') {
            // No variable: nothing can be undefined.
            continue;
        }
        if let Ok(e) = lx.process_word(&w.value, &env) {
            names.extend(e.unmatched);
        }
    }
    names.retain(|n| !is_non_env_arg(n) && !d.declared.iter().any(|a| &a.key == n));
    if names.is_empty() {
        return Vec::new();
    }
    let keys: Vec<&str> = d.state.env().iter().map(|(k, _)| k).collect();
    names
        .into_iter()
        .map(|n| {
            let mut msg = format!("Usage of undefined variable '${n}'");
            if let Some(s) = crate::ir::suggest::suggest(&n, &keys) {
                msg.push_str(&format!(" (did you mean ${s}?)"));
            }
            Diagnostic::warning(Code::UndefinedVar, msg, cmd.info.span)
        })
        .collect()
}

/// InvalidBaseImagePlatform: the resolved base image's os/arch is not the
/// platform the stage builds for.
pub(super) fn base_platform(
    stage: &ir::Stage,
    image: &super::image::Image,
    expected: &Platform,
) -> Option<Diagnostic> {
    if image.os.is_empty() || image.architecture.is_empty() {
        return None;
    }
    if image.os == expected.os && image.architecture == expected.architecture {
        return None;
    }
    let fmt = |os: &str, arch: &str, variant: &str| {
        let p = Platform {
            os: os.into(),
            architecture: arch.into(),
            variant: (!variant.is_empty()).then(|| variant.to_string()),
            os_version: None,
        };
        super::platform::format(&super::platform::normalize(&p))
    };
    let actual = fmt(&image.os, &image.architecture, &image.variant);
    let wanted = fmt(
        &expected.os,
        &expected.architecture,
        expected.variant.as_deref().unwrap_or(""),
    );
    let msg = format!(
        "Base image {} was pulled with platform \"{actual}\", expected \"{wanted}\" for current build",
        stage.base.value
    );
    Some(Diagnostic::warning(
        Code::InvalidBaseImagePlatform,
        msg,
        stage.from.span,
    ))
}

/// Where dispatch puts its findings, and what they are checked against.
pub(super) struct Checks<'a> {
    /// The findings so far.
    pub(super) warnings: &'a mut Vec<Diagnostic>,
    /// The build context's `.dockerignore` patterns.
    pub(super) excludes: &'a [String],
}

/// CopyIgnoredFile: a COPY (from the build context) or ADD source that the
/// context's `.dockerignore` excludes. Not checked when the file has `!`
/// exceptions; the context root only when everything is ignored (`*`,
/// `**`, `**/*`), as upstream.
pub(super) fn ignored_sources(
    d: &StageState,
    escape: char,
    cmd: &ir::Command,
    excludes: &[String],
) -> Vec<Diagnostic> {
    let (verb, common) = match &cmd.instruction {
        Instruction::Copy(c) if c.from.is_none() => ("Copy", &c.common),
        Instruction::Add(a) => ("Add", &a.common),
        _ => return Vec::new(),
    };
    if excludes.is_empty() || excludes.iter().any(|p| p.starts_with('!')) {
        return Vec::new();
    }
    let lx = Lexer::new(escape);
    let env = StateEnv(&d.state);
    let mut out = Vec::new();
    for src in &common.sources {
        let Ok(e) = lx.process_word(&src.value, &env) else {
            continue;
        };
        let path = e.value;
        if path.contains("://") || path.starts_with("git@") {
            continue;
        }
        let cleaned = crate::path::clean(path.trim_start_matches('/'));
        let hit = match cleaned.trim_start_matches('/') {
            "" | "." => excludes
                .iter()
                .any(|p| matches!(p.as_str(), "*" | "**" | "**/*")),
            rel => super::ignore_match::excluded(excludes, rel),
        };
        if hit {
            let msg =
                format!("Attempting to {verb} file \"{path}\" that is excluded by .dockerignore");
            out.push(Diagnostic::warning(
                Code::CopyIgnoredFile,
                msg,
                cmd.info.span,
            ));
        }
    }
    out
}
