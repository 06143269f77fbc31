//! Our rules about caches: `CacheMountWithoutId` (a cache mount at a
//! generic path with no `id=`, shared by every build that mounts that
//! path) and `AptWithoutCache` (an apt install with no package cache).

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::ir::{self, CachePreset, CommandLine, Instruction, MountKey, MountType};

use super::finding;

/// Cache targets that name no tool: with no `id=` the target is the id, so
/// every stage and every build on the same BuildKit that mounts one of
/// these shares one directory. `~` stands for `/home/<user>`.
pub(super) const GENERIC_CACHE_TARGETS: &[&str] = &[
    "/cache",
    "/caches",
    "/.cache",
    "/root/.cache",
    "~/.cache",
    "/var/cache",
    "/tmp",
    "/var/tmp",
    "/tmp/cache",
    "/build",
];

/// The codes of the findings [`check`] makes.
pub(super) const CODES: &[Code] = &[Code::CacheMountWithoutId, Code::AptWithoutCache];

pub(super) fn check(df: &ir::Dockerfile, out: &mut Vec<Diagnostic>) {
    for st in &df.stages {
        let mut stage_apt = false;
        for cmd in &st.commands {
            match &cmd.instruction {
                Instruction::Cache(presets) => {
                    stage_apt |= presets.iter().any(|p| p.value == CachePreset::Apt);
                }
                Instruction::Run(r) => {
                    shared_caches(r, out);
                    if !stage_apt && !has_apt_cache(r) && installs_with_apt(r) {
                        out.push(apt_finding(cmd));
                    }
                }
                _ => {}
            }
        }
    }
}

/// A mount field's value as written (`None` when absent or bare).
fn field(m: &ir::Mount, key: MountKey) -> Option<&str> {
    m.fields
        .iter()
        .rev()
        .find(|f| f.key == key)
        .and_then(|f| f.value.as_ref())
        .map(|w| w.value.as_str())
}

/// `target` without repeated or trailing slashes; `None` when it has a
/// variable (its value is not known here) or is relative.
fn clean_target(target: &str) -> Option<String> {
    if target.contains('$') || !target.starts_with('/') {
        return None;
    }
    let parts: Vec<&str> = target
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    Some(format!("/{}", parts.join("/")))
}

/// Whether a cleaned target is one of [`GENERIC_CACHE_TARGETS`].
fn is_generic(target: &str) -> bool {
    if let Some(rest) = target.strip_prefix("/home/") {
        if let Some((user, tail)) = rest.split_once('/') {
            if !user.is_empty() && tail == ".cache" {
                return true;
            }
        }
    }
    GENERIC_CACHE_TARGETS.contains(&target)
}

/// CacheMountWithoutId: every cache mount of `r` at a generic path with
/// no (or an empty) `id=`.
fn shared_caches(r: &ir::Run, out: &mut Vec<Diagnostic>) {
    for m in r.mounts.iter().filter(|m| m.kind == MountType::Cache) {
        if field(m, MountKey::Id).is_some_and(|id| !id.is_empty()) {
            continue;
        }
        let Some(target) = field(m, MountKey::Target).and_then(clean_target) else {
            continue;
        };
        if !is_generic(&target) {
            continue;
        }
        let msg = format!(
            "Cache mount at {target} has no id: every stage and build on this BuildKit that mounts {target} shares it"
        );
        out.push(finding(Code::CacheMountWithoutId, msg, m.span).with_help(
            "name what it holds: `--mount=type=cache,id=<project>-<tool>,target=...`, or use a preset (`RUN --cache=pip`, `--cache=go`, ...)",
        ));
    }
}

/// Whether `r` has apt's cache: `--cache=apt`, or a cache mount at
/// `/var/cache/apt` or `/var/lib/apt` (or under them).
fn has_apt_cache(r: &ir::Run) -> bool {
    if r.cache.iter().any(|p| p.value == CachePreset::Apt) {
        return true;
    }
    r.mounts
        .iter()
        .filter(|m| m.kind == MountType::Cache)
        .filter_map(|m| field(m, MountKey::Target).and_then(clean_target))
        .any(|t| {
            ["/var/cache/apt", "/var/lib/apt"]
                .iter()
                .any(|p| t == *p || t.starts_with(&format!("{p}/")))
        })
}

/// Whether the RUN's command (or a heredoc of it) runs `apt-get install` or
/// `apt install`.
fn installs_with_apt(r: &ir::Run) -> bool {
    let line = match &r.command {
        CommandLine::Shell(w) => w.value.clone(),
        CommandLine::Exec(words) => words
            .iter()
            .map(|w| w.value.as_str())
            .collect::<Vec<_>>()
            .join(" ")
            .into(),
    };
    std::iter::once(line.as_str())
        .chain(r.heredocs.iter().map(|h| h.content.as_str()))
        .any(apt_install_in)
}

/// Whether shell text has a simple command `[VAR=x ...] [sudo|env|exec]
/// apt-get|apt [options] install ...`: the first word after the tool that
/// is not an option is the subcommand. Commands split at `&&`, `||`, `;`,
/// `|`, newlines and parentheses.
pub(super) fn apt_install_in(text: &str) -> bool {
    let option = |w: &&str| w.starts_with('-') || w.contains('=') || w.contains("::");
    text.split(['&', '|', ';', '\n', '(', ')']).any(|command| {
        let mut words = command
            .split_whitespace()
            .filter(|w| *w != "\\")
            .skip_while(|w| option(w) || matches!(*w, "sudo" | "env" | "exec"));
        let Some(tool) = words.next() else {
            return false;
        };
        let tool = tool.rsplit('/').next().unwrap_or(tool);
        matches!(tool, "apt-get" | "apt") && words.find(|w| !option(w)) == Some("install")
    })
}

fn apt_finding(cmd: &ir::Command) -> Diagnostic {
    finding(
        Code::AptWithoutCache,
        "apt installs without a package cache: the packages are downloaded again whenever this step reruns",
        cmd.info.span,
    )
    .with_help(
        "add `--cache=apt` (`RUN --cache=apt apt-get update && apt-get install ...`): this frontend's preset keeps apt's lists and downloads in a locked cache mount, out of the image (docs/superset.md, \"Cache presets\")",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apt_install_is_found_in_shell_text() {
        for yes in [
            "apt-get update && apt-get install -y curl",
            "DEBIAN_FRONTEND=noninteractive apt-get install -y curl",
            "set -e; sudo apt install git",
            "/usr/bin/apt-get -q install x",
            "apt-get -o Dpkg::Options::=--force-confold install x",
        ] {
            assert!(apt_install_in(yes), "{yes}");
        }
        for no in [
            "apt-get update",
            "echo apt-get install",
            "apt-get remove install-info",
            "pip install apt",
            "apk add curl",
        ] {
            assert!(!apt_install_in(no), "{no}");
        }
    }

    #[test]
    fn generic_targets() {
        assert!(is_generic("/root/.cache"));
        assert!(is_generic("/home/app/.cache"));
        assert!(!is_generic("/home/app/.cache/pip"));
        assert!(!is_generic("/root/.cache/go-build"));
        assert_eq!(clean_target("//tmp/"), Some("/tmp".into()));
        assert_eq!(clean_target("$HOME/.cache"), None);
        assert_eq!(clean_target(".cache"), None);
    }
}
