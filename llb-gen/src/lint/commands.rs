//! Rules about the instructions of a stage (and the global ARGs).

use std::borrow::Cow;
use std::collections::HashMap;

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::ir::{self, CommandInfo, CommandLine, Instruction, Stage};

use super::{finding, keyword_as_written};

pub(super) fn check(df: &ir::Dockerfile, out: &mut Vec<Diagnostic>) {
    casing(df, out);
    for arg in &df.meta_args {
        arg_rules(arg, out);
    }
    let parents = parents(df);
    let shells = in_ancestors(df, &parents, |i| matches!(i, Instruction::Shell(_)));
    let workdirs = in_ancestors(df, &parents, |i| matches!(i, Instruction::Workdir(_)));
    for (i, st) in df.stages.iter().enumerate() {
        stage_rules(st, out);
        json_args(shells.get(i).copied().unwrap_or(false), st, out);
        workdir(workdirs.get(i).copied().unwrap_or(false), st, out);
    }
}

/// The stage each stage is based on, when its base names an earlier stage
/// (the last one of that name before it). One pass with a name index:
/// a scan of the earlier stages per stage was quadratic in the stages.
fn parents(df: &ir::Dockerfile) -> Vec<Option<usize>> {
    let mut by_name: HashMap<&str, usize> = HashMap::with_capacity(df.stages.len());
    let mut out = Vec::with_capacity(df.stages.len());
    for st in &df.stages {
        let base = lowercase(&st.base.value);
        out.push(by_name.get(base.as_ref()).copied());
        if let Some(n) = &st.name {
            by_name.insert(n.value.as_str(), st.index);
        }
    }
    out
}

/// `s` lower-cased, borrowed when it already is.
pub(super) fn lowercase(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) || !s.is_ascii() {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// `k == k.to_lowercase()`, without allocating for ASCII.
pub(super) fn is_lowercase(k: &str) -> bool {
    match k.is_ascii() {
        true => !k.bytes().any(|b| b.is_ascii_uppercase()),
        false => k == k.to_lowercase(),
    }
}

/// `k == k.to_uppercase()`, without allocating for ASCII.
pub(super) fn is_uppercase(k: &str) -> bool {
    match k.is_ascii() {
        true => !k.bytes().any(|b| b.is_ascii_lowercase()),
        false => k == k.to_uppercase(),
    }
}

/// For each stage, whether a command matching `pred` is in one of the
/// stages it is based on (not in itself). Parents come before their
/// children, so one pass in order suffices.
fn in_ancestors(
    df: &ir::Dockerfile,
    parents: &[Option<usize>],
    pred: impl Fn(&Instruction) -> bool,
) -> Vec<bool> {
    let mut own = Vec::with_capacity(df.stages.len());
    let mut inherited: Vec<bool> = Vec::with_capacity(df.stages.len());
    for (i, st) in df.stages.iter().enumerate() {
        own.push(st.commands.iter().any(|c| pred(&c.instruction)));
        let from_parent = match parents.get(i).copied().flatten() {
            Some(p) if p < i => own[p] || inherited[p],
            _ => false,
        };
        inherited.push(from_parent);
    }
    inherited
}

/// ConsistentInstructionCasing: keywords in mixed case, or in the case of
/// the minority (a tie counts as upper case).
fn casing(df: &ir::Dockerfile, out: &mut Vec<Diagnostic>) {
    let infos: Vec<&CommandInfo> = df
        .stages
        .iter()
        .flat_map(|st| std::iter::once(&st.from).chain(st.commands.iter().map(|c| &c.info)))
        .collect();
    // Each keyword read and classified once: (keyword, lower case, upper case).
    let keywords: Vec<(&str, bool, bool)> = infos
        .iter()
        .map(|info| {
            let k = keyword_as_written(&info.original);
            (k, is_lowercase(k), is_uppercase(k))
        })
        .collect();
    // A keyword in both cases (it has no letters) counts as lower case.
    let lower = keywords.iter().filter(|k| k.1).count();
    let upper = keywords.iter().filter(|k| !k.1 && k.2).count();
    let majority_lower = lower > upper;
    for (info, &(k, is_lower, is_upper)) in infos.iter().zip(&keywords) {
        let wanted = match majority_lower {
            true if !is_lower => "lowercase",
            false if !is_upper => "uppercase",
            _ => continue,
        };
        let msg = format!("Command '{k}' should match the case of the command majority ({wanted})");
        out.push(finding(Code::ConsistentInstructionCasing, msg, info.span));
    }
}

/// The rules that look at one instruction, and MultipleInstructionsDisallowed.
fn stage_rules(st: &Stage, out: &mut Vec<Diagnostic>) {
    // The last CMD, ENTRYPOINT and HEALTHCHECK seen in this stage.
    let mut seen: [Option<&CommandInfo>; 3] = [None; 3];
    for cmd in &st.commands {
        let slot = match &cmd.instruction {
            Instruction::Cmd(_) => Some(0),
            Instruction::Entrypoint(_) => Some(1),
            Instruction::Healthcheck(_) => Some(2),
            _ => None,
        };
        if let Some(slot) = slot {
            if let Some(prev) = seen[slot].replace(&cmd.info) {
                let msg = format!(
                    "Multiple {} instructions should not be used in the same stage because only the last one will be used",
                    keyword_as_written(&cmd.info.original)
                );
                out.push(finding(
                    Code::MultipleInstructionsDisallowed,
                    msg,
                    prev.span,
                ));
            }
        }
        instruction_rules(cmd, out);
    }
}

fn instruction_rules(cmd: &ir::Command, out: &mut Vec<Diagnostic>) {
    let at = cmd.info.span;
    match &cmd.instruction {
        Instruction::Maintainer(_) => out.push(finding(
            Code::MaintainerDeprecated,
            "Maintainer instruction is deprecated in favor of using label",
            at,
        )),
        Instruction::Env(kvs) | Instruction::Label(kvs) => {
            if kvs.iter().any(|kv| kv.legacy) {
                let keyword = keyword_as_written(&cmd.info.original);
                let msg = format!(
                    "\"{keyword} key=value\" should be used instead of legacy \"{keyword} key value\" format"
                );
                out.push(finding(Code::LegacyKeyValueFormat, msg, at));
            }
            if matches!(cmd.instruction, Instruction::Env(_)) {
                for kv in kvs {
                    secret_key("ENV", &kv.key.value, at, out);
                }
            }
        }
        Instruction::Arg(arg) => arg_rules(arg, out),
        Instruction::Expose(ports) => {
            for p in ports {
                expose(&p.value, at, out);
            }
        }
        _ => {}
    }
}

/// SecretsUsedInArgOrEnv and InvalidDefinitionDescription of an ARG.
fn arg_rules(arg: &ir::ArgInstruction, out: &mut Vec<Diagnostic>) {
    for a in &arg.args {
        secret_key("ARG", &a.name.value, arg.info.span, out);
    }
    super::stages::arg_description(arg, &arg.comment, out);
}

/// Words of a key that mark a secret, and words that clear it.
const SECRET_WORDS: &[&str] = &[
    "apikey",
    "auth",
    "credential",
    "credentials",
    "key",
    "password",
    "pword",
    "passwd",
    "secret",
    "token",
];
const NOT_SECRET_WORDS: &[&str] = &["public", "file", "version"];

/// SecretsUsedInArgOrEnv: a `_`-separated word of the key names a secret.
fn secret_key(instruction: &str, key: &str, at: crate::text::TextRange, out: &mut Vec<Diagnostic>) {
    // The list words are lower-case ASCII: an ASCII word is compared
    // without a lowered copy (and is tested for ASCII once, not once per
    // list word).
    let has = |list: &[&str]| {
        key.split('_').any(|w| match w.is_ascii() {
            true => list.iter().any(|l| w.eq_ignore_ascii_case(l)),
            false => {
                let lowered = w.to_lowercase();
                list.iter().any(|l| lowered == *l)
            }
        })
    };
    if has(SECRET_WORDS) && !has(NOT_SECRET_WORDS) {
        let msg = format!(
            "Do not use ARG or ENV instructions for sensitive data ({instruction} \"{key}\")"
        );
        out.push(finding(Code::SecretsUsedInArgOrEnv, msg, at));
    }
}

/// ExposeInvalidFormat and ExposeProtoCasing of one port word.
fn expose(port: &str, at: crate::text::TextRange, out: &mut Vec<Diagnostic>) {
    if port.contains(':') {
        let msg = format!(
            "EXPOSE instruction should not define an IP address or host-port mapping, found '{port}'"
        );
        out.push(finding(Code::ExposeInvalidFormat, msg, at));
    }
    if let Some((_, proto)) = port.rsplit_once('/') {
        if proto != proto.to_lowercase() {
            let msg =
                format!("Defined protocol '{port}' in EXPOSE instruction should be lowercase");
            out.push(finding(Code::ExposeProtoCasing, msg, at));
        }
    }
}

/// JSONArgsRecommended: CMD or ENTRYPOINT in shell form while no SHELL
/// was set in the stage or the stages it is based on.
/// `inherited`: a stage it is based on sets SHELL.
fn json_args(inherited: bool, st: &Stage, out: &mut Vec<Diagnostic>) {
    let mut shell = inherited;
    for cmd in &st.commands {
        let shell_form = match &cmd.instruction {
            Instruction::Shell(_) => {
                shell = true;
                continue;
            }
            Instruction::Cmd(c) | Instruction::Entrypoint(c) => matches!(c, CommandLine::Shell(_)),
            _ => continue,
        };
        if shell_form && !shell {
            let msg = format!(
                "JSON arguments recommended for {} to prevent unintended behavior related to OS signals",
                keyword_as_written(&cmd.info.original)
            );
            out.push(finding(Code::JsonArgsRecommended, msg, cmd.info.span));
        }
    }
}

/// WorkdirRelativePath: the first WORKDIR of a stage and the stages it is
/// based on is relative. A path with a variable is skipped (its value is
/// only known at conversion). `inherited`: a stage it is based on has a
/// WORKDIR.
fn workdir(inherited: bool, st: &Stage, out: &mut Vec<Diagnostic>) {
    if inherited {
        return;
    }
    let first = st.commands.iter().find_map(|c| match &c.instruction {
        Instruction::Workdir(w) => Some((c, &w.path)),
        _ => None,
    });
    let Some((cmd, path)) = first else { return };
    if path.value.starts_with('/') || path.value.contains('$') {
        return;
    }
    let msg = format!(
        "Relative workdir \"{}\" can have unexpected results if the base image changes",
        path.value
    );
    out.push(finding(Code::WorkdirRelativePath, msg, cmd.info.span));
}
