//! Our own rules, where upstream is silent. All are off by default (turned
//! on like upstream's experimental rules: `# check=experimental=<name>`),
//! so that a file lints the same with our frontend and upstream's unless
//! asked for more.

use std::collections::HashSet;

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::ir::{self, CopyCommon, Instruction};

use super::finding;

/// The codes of the findings [`check`] makes.
pub(super) const CODES: &[Code] = &[
    Code::UpstreamIncompatible,
    Code::UnpinnedBaseImage,
    Code::SecretInCopy,
];

pub(super) fn check(df: &ir::Dockerfile, out: &mut Vec<Diagnostic>) {
    for ext in &df.extensions {
        let msg = format!(
            "{} is an extension of this frontend: docker/dockerfile cannot build this file",
            ext.name
        );
        out.push(finding(Code::UpstreamIncompatible, msg, ext.span));
    }
    // The stage names met so far (a base naming one is a stage).
    let mut names: HashSet<&str> = HashSet::with_capacity(df.stages.len());
    for st in &df.stages {
        unpinned(&names, st, out);
        if let Some(n) = &st.name {
            names.insert(n.value.as_str());
        }
        for cmd in &st.commands {
            let common = match &cmd.instruction {
                Instruction::Copy(c) if c.from.is_none() => &c.common,
                Instruction::Add(a) => &a.common,
                _ => continue,
            };
            secret_files(common, out);
        }
    }
}

/// UnpinnedBaseImage: an image base (not `scratch`, not an earlier stage)
/// without `@<digest>`. `earlier`: the names of the stages before `st`.
fn unpinned(earlier: &HashSet<&str>, st: &ir::Stage, out: &mut Vec<Diagnostic>) {
    let base = super::commands::lowercase(&st.base.value);
    if earlier.contains(base.as_ref()) || base == "scratch" || st.base.value.contains('@') {
        return;
    }
    let msg = format!(
        "Base image {} is not pinned by digest: the build can change when the tag moves",
        st.base.value
    );
    out.push(
        finding(Code::UnpinnedBaseImage, msg, st.base.span)
            .with_help("write `image:tag@sha256:<digest>` (`docker buildx imagetools inspect image:tag` prints it)"),
    );
}

/// File names that hold secrets, compared with a source's last path
/// element; `*` only as the first or last character.
const SECRET_NAMES: &[&str] = &[
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".git-credentials",
    "credentials",
    "credentials.json",
    ".htpasswd",
    "secrets.yml",
    "secrets.yaml",
    "secrets.json",
];

/// Words that mark a template of a secret file, not the secret
/// (`.env.example`).
const TEMPLATE_WORDS: &[&str] = &["example", "sample", "template", "dist"];

fn matches_secret(name: &str) -> bool {
    let lower = name.to_lowercase();
    if TEMPLATE_WORDS.iter().any(|w| lower.contains(w)) {
        return false;
    }
    SECRET_NAMES
        .iter()
        .any(|p| match (p.strip_prefix('*'), p.strip_suffix('*')) {
            (Some(suffix), _) => name.len() > suffix.len() && name.ends_with(suffix),
            (_, Some(prefix)) => name.len() > prefix.len() && name.starts_with(prefix),
            _ => name == *p,
        })
}

/// SecretInCopy: a COPY/ADD source from the build context whose file name
/// looks like a secret (`.env`, `id_rsa`, `*.pem` ...).
fn secret_files(common: &CopyCommon, out: &mut Vec<Diagnostic>) {
    for src in &common.sources {
        let name = src
            .value
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("");
        if !matches_secret(name) {
            continue;
        }
        let msg = format!(
            "{} looks like a secret: copied, it stays in the image's layer for anyone who pulls it",
            src.value
        );
        out.push(finding(Code::SecretInCopy, msg, src.span).with_help(
            "mount it where it is needed instead: `RUN --mount=type=secret,id=<name>` (and list it in .dockerignore)",
        ));
    }
}
