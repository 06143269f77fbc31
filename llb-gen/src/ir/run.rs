//! RUN: `--mount` (see [`crate::ir::mount`]), `--network`, `--security`,
//! `--device`, and the command with its heredocs.

use crate::ir::error::{IrError, IrErrorKind};
use crate::ir::flags::{parse_flags, FlagSpec, Flags};
use crate::ir::mount::parse_mount;
use crate::ir::preset::parse_presets;
use crate::ir::simple::command_line;
use crate::ir::suggest::suggest;
use crate::ir::{CommandLine, NetworkMode, Run, SecurityMode, Word};
use crate::syntax::ast::{Heredoc, Node};
use crate::text::Spanned;

const RUN_FLAGS: &[FlagSpec] = &[
    FlagSpec::strings("mount"),
    FlagSpec::string("network"),
    FlagSpec::string("security"),
    FlagSpec::strings("device"),
    FlagSpec::strings("cache"),
    FlagSpec::bool("no-cache"),
];

pub(crate) fn lower_run(node: &Node, errors: &mut Vec<IrError>) -> Run {
    let flags = parse_flags("RUN", &node.flags, RUN_FLAGS, &[], errors);
    let is_mount = |f: &&super::flags::ParsedFlag| f.name == "mount";
    let mut mounts = Vec::with_capacity(flags.parsed.iter().filter(is_mount).count());
    for f in flags.parsed.iter().filter(is_mount) {
        // Re-create the flag word so the mount parser can map offsets.
        let value = f.value.as_ref().map_or("", |v| v.value.as_str());
        let made;
        let word = match node.flags.iter().find(|w| w.span == f.span) {
            Some(w) => w,
            None => {
                made = Spanned::new(format!("--mount={value}").into(), f.span);
                &made
            }
        };
        mounts.push(parse_mount(word, errors));
    }
    let network = flags.string("network").and_then(|w| {
        let mode = match w.value.as_str() {
            "default" => NetworkMode::Default,
            "none" => NetworkMode::None,
            "host" => NetworkMode::Host,
            _ => {
                errors.push(bad_value(w, "network", &["default", "none", "host"]));
                return None;
            }
        };
        Some(Spanned::new(mode, w.span))
    });
    let security = flags.string("security").and_then(|w| {
        let mode = match w.value.as_str() {
            "sandbox" => SecurityMode::Sandbox,
            "insecure" => SecurityMode::Insecure,
            _ => {
                errors.push(bad_value(w, "security", &["sandbox", "insecure"]));
                return None;
            }
        };
        Some(Spanned::new(mode, w.span))
    });
    let mut cache = Vec::new();
    parse_presets(&flags.strings("cache"), &mut cache, errors);
    Run {
        no_cache: no_cache(&flags, errors),
        cache,
        command: command_line(node, 0),
        heredocs: node.heredocs.to_vec(),
        mounts,
        network,
        security,
        devices: flags.strings("device"),
    }
}

/// `--no-cache` takes no value (not even `=true`): it is a switch.
fn no_cache(flags: &Flags, errors: &mut Vec<IrError>) -> bool {
    let Some(f) = flags.get("no-cache") else {
        return false;
    };
    if let Some(v) = &f.value {
        let kind = IrErrorKind::InvalidFlagValue {
            flag: "no-cache".into(),
            value: v.value.to_string(),
            expected: "no value".into(),
        };
        errors.push(IrError::new(kind, f.span).with_help("write `RUN --no-cache <command>`"));
    }
    true
}

fn bad_value(w: &Word, flag: &str, allowed: &[&str]) -> IrError {
    let list: Vec<String> = allowed.iter().map(|a| format!("`{a}`")).collect();
    let err = IrError::new(
        IrErrorKind::InvalidFlagValue {
            flag: flag.to_string(),
            value: w.value.to_string(),
            expected: format!("one of {}", list.join(", ")),
        },
        w.span,
    );
    match suggest(&w.value, allowed) {
        Some(s) => err.with_help(format!("did you mean `--{flag}={s}`?")),
        None => err,
    }
}

/// What a RUN with heredocs executes, following upstream's dispatch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunScript {
    /// No heredocs (or exec form): run [`Run::command`] as it is.
    Plain,
    /// The command is exactly one heredoc: its body (tabs stripped for
    /// `<<-`). When the body starts with `#!` upstream writes it to a file
    /// and runs that (on non-Windows images); otherwise the body is the
    /// shell command.
    Heredoc {
        /// The heredoc's terminator word.
        name: String,
        /// Its body.
        body: String,
        /// The body starts with `#!`.
        shebang: bool,
    },
    /// Heredocs inside a longer command: the command line, then for each
    /// heredoc a newline, its body and its terminator, handed to the shell.
    Assembled(String),
}

/// `ChompHeredocContent`: strip leading tabs from every line.
pub fn chomp_heredoc(content: &str) -> String {
    content
        .split_inclusive('\n')
        .map(|line| line.trim_start_matches('\t'))
        .collect()
}

/// `[digits]<<[-][spaces]WORD` with WORD free of `<`.
pub fn is_heredoc_word(word: &str) -> bool {
    let rest = word.trim_start_matches(|c: char| c.is_ascii_digit());
    let Some(rest) = rest.strip_prefix("<<") else {
        return false;
    };
    let rest = rest.strip_prefix('-').unwrap_or(rest).trim_start();
    !rest.is_empty() && !rest.contains('<')
}

fn heredoc_body(h: &Heredoc) -> String {
    if h.chomp {
        chomp_heredoc(&h.content)
    } else {
        h.content.clone()
    }
}

impl Run {
    /// How the heredocs of this RUN combine with its command line.
    pub fn script(&self) -> RunScript {
        let CommandLine::Shell(cmd) = &self.command else {
            return RunScript::Plain;
        };
        let Some(first) = self.heredocs.first() else {
            return RunScript::Plain;
        };
        if is_heredoc_word(cmd.value.trim()) {
            let body = heredoc_body(first);
            return RunScript::Heredoc {
                name: first.name.clone(),
                shebang: body.starts_with("#!"),
                body,
            };
        }
        let mut full = cmd.value.to_string();
        for h in &self.heredocs {
            full.push('\n');
            full.push_str(&h.content);
            full.push_str(&h.name);
        }
        RunScript::Assembled(full)
    }
}
