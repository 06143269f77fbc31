//! The build checks that need the conversion: `UndefinedVar` (the stage's
//! environment includes the base image's) and `InvalidBaseImagePlatform`
//! (the resolved config's platform). Their findings join the conversion's
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
        Instruction::Workdir(w) | Instruction::User(w) | Instruction::StopSignal(w) => vec![w],
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
