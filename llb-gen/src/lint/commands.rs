//! Rules about the instructions of a stage (and the global ARGs).

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
    for st in &df.stages {
        stage_rules(st, out);
        json_args(df, &parents, st, out);
        workdir(df, &parents, st, out);
    }
}

/// The stage each stage is based on, when its base names an earlier stage.
fn parents(df: &ir::Dockerfile) -> Vec<Option<usize>> {
    df.stages
        .iter()
        .map(|st| {
            let base = st.base.value.to_lowercase();
            df.stages[..st.index]
                .iter()
                .rev()
                .find(|s| s.name.as_ref().is_some_and(|n| n.value == base))
                .map(|s| s.index)
        })
        .collect()
}

/// The stage and its ancestors in the file, nearest first.
fn lineage(parents: &[Option<usize>], index: usize) -> impl Iterator<Item = usize> + '_ {
    std::iter::successors(Some(index), move |&i| parents.get(i).copied().flatten())
        .take(parents.len())
}

/// ConsistentInstructionCasing: keywords in mixed case, or in the case of
/// the minority (a tie counts as upper case).
fn casing(df: &ir::Dockerfile, out: &mut Vec<Diagnostic>) {
    let infos: Vec<&CommandInfo> = df
        .stages
        .iter()
        .flat_map(|st| std::iter::once(&st.from).chain(st.commands.iter().map(|c| &c.info)))
        .collect();
    let (mut lower, mut upper) = (0usize, 0usize);
    for info in &infos {
        let k = keyword_as_written(&info.original);
        if k == k.to_lowercase() {
            lower += 1;
        } else if k == k.to_uppercase() {
            upper += 1;
        }
    }
    let majority_lower = lower > upper;
    for info in infos {
        let k = keyword_as_written(&info.original);
        let wanted = match majority_lower {
            true if k != k.to_lowercase() => "lowercase",
            false if k != k.to_uppercase() => "uppercase",
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
    let keyword = keyword_as_written(&cmd.info.original);
    match &cmd.instruction {
        Instruction::Maintainer(_) => out.push(finding(
            Code::MaintainerDeprecated,
            "Maintainer instruction is deprecated in favor of using label",
            at,
        )),
        Instruction::Env(kvs) | Instruction::Label(kvs) => {
            if kvs.iter().any(|kv| kv.legacy) {
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
    let words: Vec<String> = key.split('_').map(str::to_lowercase).collect();
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
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
fn json_args(
    df: &ir::Dockerfile,
    parents: &[Option<usize>],
    st: &Stage,
    out: &mut Vec<Diagnostic>,
) {
    let mut shell = lineage(parents, st.index)
        .skip(1)
        .any(|i| has_shell(&df.stages[i].commands));
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

fn has_shell(commands: &[ir::Command]) -> bool {
    commands
        .iter()
        .any(|c| matches!(c.instruction, Instruction::Shell(_)))
}

/// WorkdirRelativePath: the first WORKDIR of a stage and the stages it is
/// based on is relative. A path with a variable is skipped (its value is
/// only known at conversion).
fn workdir(df: &ir::Dockerfile, parents: &[Option<usize>], st: &Stage, out: &mut Vec<Diagnostic>) {
    let inherited = lineage(parents, st.index).skip(1).any(|i| {
        df.stages[i]
            .commands
            .iter()
            .any(|c| matches!(c.instruction, Instruction::Workdir(_)))
    });
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
