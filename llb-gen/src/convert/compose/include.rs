//! INCLUDE's sources and paths.
//!
//! - Without `--from`, a path is read from the source of the file that
//!   holds the INCLUDE, relative to that file's directory (the main
//!   Dockerfile's source is the `dockerfile` local, its directory the
//!   directory part of its file name).
//! - `--from=context` reads from the build context, `--from=<name>` from
//!   the named context `<name>` (a `local:` directory); relative to the
//!   root of that source.
//! - A leading `/` is the root of the source; `..` past the root is an
//!   error.

use super::super::contexts::{self, ContextSource};
use super::super::host::FileSource;
use super::super::ConvertOptions;
use super::ComposeErrorKind;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::syntax::ast;

/// A file's source and its directory there. `root` is the prefix of every
/// path asked for in the source (the directory part of the Dockerfile's
/// name for the Dockerfile's own source, else empty); `dir` is relative to
/// it, and paths cannot leave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) source: FileSource,
    pub(crate) root: String,
    pub(crate) dir: String,
}

impl Place {
    /// The path to ask the host for: `rel` under the root.
    pub(crate) fn request_path(&self, rel: &str) -> String {
        if self.root.is_empty() || rel.is_empty() {
            if rel.is_empty() {
                return self.root.clone();
            }
            rel.to_string()
        } else {
            format!("{}/{rel}", self.root.trim_end_matches('/'))
        }
    }

    /// The place of a file at `rel` (its directory) in the same source.
    pub(super) fn child(&self, rel: &str) -> Place {
        Place {
            source: self.source.clone(),
            root: self.root.clone(),
            dir: parent(rel).to_string(),
        }
    }
}

/// How a source is described in messages.
pub(crate) fn describe(source: &FileSource) -> String {
    match source {
        FileSource::Dockerfile => "the Dockerfile's directory".into(),
        FileSource::Context => "the build context".into(),
        FileSource::Local(name) => format!("the local directory {name:?}"),
    }
}

/// How a file is named in messages, progress and source maps.
pub(crate) fn display(source: &FileSource, path: &str) -> String {
    match source {
        FileSource::Dockerfile => path.to_string(),
        FileSource::Context => format!("context:{path}"),
        FileSource::Local(name) => format!("{name}:{path}"),
    }
}

/// The place `--from=<from>` names, seen from `here`.
pub(crate) fn source_for(
    from: Option<&str>,
    here: &Place,
    opts: &ConvertOptions,
) -> Result<Place, (ComposeErrorKind, Option<String>)> {
    let Some(name) = from else {
        return Ok(here.clone());
    };
    if name == "context" {
        return Ok(root(FileSource::Context));
    }
    let platform = opts
        .target_platform
        .as_ref()
        .unwrap_or(&opts.build_platform);
    let Some(ctx) = contexts::lookup(&opts.named_contexts, name, platform) else {
        let known: Vec<String> = opts
            .named_contexts
            .keys()
            .map(|k| k.split("::").next().unwrap_or(k).to_string())
            .collect();
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        let help = crate::ir::suggest::suggest(name, &known)
            .map(|s| format!("did you mean {s}?"))
            .or_else(|| Some(format!("pass it: --build-context {name}=<dir>")));
        let kind = ComposeErrorKind::UnknownSource {
            name: name.to_string(),
        };
        return Err((kind, help));
    };
    let what = match ctx.source() {
        Ok(ContextSource::Local(local)) => return Ok(root(FileSource::Local(local))),
        Ok(ContextSource::Image(_) | ContextSource::Scratch) => "an image",
        Ok(ContextSource::Git(..)) => "a Git repository",
        Ok(ContextSource::Http(_)) => "an HTTP resource",
        Ok(ContextSource::OciLayout(_)) => "an OCI layout",
        Ok(ContextSource::Input(_)) => "a frontend input",
        Err(_) => "not a valid context",
    };
    let kind = ComposeErrorKind::UnsupportedSource {
        name: name.to_string(),
        what,
    };
    Err((
        kind,
        Some("pass a directory instead: --build-context NAME=<dir>".into()),
    ))
}

fn root(source: FileSource) -> Place {
    Place {
        source,
        root: String::new(),
        dir: String::new(),
    }
}

/// `path` resolved against `dir`, cleaned; `None` when it leaves the root.
pub(crate) fn resolve(dir: &str, path: &str) -> Option<String> {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{dir}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The directory part of a path (`""` at the root).
pub(crate) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Warnings for the directives of an included file: `# syntax=` naming
/// another frontend than the Dockerfile's, and `# check=` (only the
/// Dockerfile's applies).
pub(super) fn directive_warnings(
    directives: &[ast::Directive],
    main: &ast::Dockerfile,
) -> Vec<Diagnostic> {
    let main_syntax = main
        .directives
        .iter()
        .find(|d| d.key == "syntax")
        .map(|d| d.value.as_str());
    let mut out = Vec::new();
    for d in directives {
        let message = match d.key.as_str() {
            "syntax" if Some(d.value.as_str()) != main_syntax => format!(
                "ignored: an included file is read by the Dockerfile's frontend, \
                 not by {}",
                d.value
            ),
            "check" => "ignored: only the Dockerfile's `# check=` applies".to_string(),
            _ => continue,
        };
        out.push(Diagnostic::warning(Code::SupersetUsage, message, d.span));
    }
    out
}

/// A name close to `wanted` among `names` (a typo in an INCLUDE path).
pub(crate) fn near_miss(wanted: &str, names: &[String]) -> Option<String> {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    crate::ir::suggest::suggest(wanted, &names).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_inside_their_source() {
        assert_eq!(resolve("", "a/b.df").as_deref(), Some("a/b.df"));
        assert_eq!(resolve("ci", "../common/x").as_deref(), Some("common/x"));
        assert_eq!(resolve("ci", "/x").as_deref(), Some("x"));
        assert_eq!(resolve("ci", "./y/./z").as_deref(), Some("ci/y/z"));
        assert_eq!(resolve("ci", "../../x"), None);
        assert_eq!(parent("a/b/c"), "a/b");
        assert_eq!(parent("c"), "");
    }
}
