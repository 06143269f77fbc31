//! Import references: which `FROM`, `COPY --from`, mount `from=` and
//! `--target` values name a stage of another Dockerfile, and where that
//! file is.

use std::borrow::Cow;

use crate::convert::args::EnvList;
use crate::convert::expand::expand_word;
use crate::convert::ConvertOptions;
use crate::ir::{self, Instruction};
use crate::text::TextRange;

/// A reference to a stage of another Dockerfile, as written after
/// expansion: `./ci/go.Dockerfile#builder`, `shared:stages/x#test`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ImportRef {
    /// The whole value (the key the stage graph looks it up by).
    pub(crate) text: String,
    /// `<name>:` of a named context (or `context`), if any.
    pub(crate) context: Option<String>,
    /// The file's path (relative to the referring file, or to the root of
    /// the named context).
    pub(crate) path: String,
    /// `#stage`, if any (else the file's last stage).
    pub(crate) stage: Option<String>,
}

/// Where a reference is used (the extension it counts as).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Use {
    /// `FROM <ref>`.
    From,
    /// `COPY --from=<ref>`.
    Copy,
    /// `RUN --mount=from=<ref>`.
    Mount,
    /// `--target <ref>`.
    Target,
}

impl Use {
    /// The extension's name for `ExtensionUse`.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Use::From => "FROM ./file#stage",
            Use::Copy => "COPY --from=./file#stage",
            Use::Mount => "RUN --mount=from=./file#stage",
            Use::Target => "--target ./file#stage",
        }
    }
}

/// `value` as an import reference, or `None` when it means what it means
/// upstream (an image or a stage name). A reference starts with `./`,
/// `../` or `/`, or is `<name>:<path>` where `<name>` is `context` or a
/// named context and `<path>` holds a `/` or a `#` (so it cannot be an
/// image tag, and `host:5000/image` is no reference).
pub(crate) fn parse(value: &str, opts: &ConvertOptions) -> Option<ImportRef> {
    let (file, stage) = match crate::text::rsplit_once_ascii(value, b'#') {
        Some((f, s)) => (f, Some(s.to_string())),
        None => (value, None),
    };
    let relative = ["./", "../", "/"].iter().any(|p| file.starts_with(p));
    let context = if relative {
        None
    } else {
        let (name, rest) = crate::text::split_once_ascii(value, b':')?;
        let known = name == "context" || opts.named_contexts.keys().any(|k| named(k) == name);
        let port = rest.split('/').next().is_some_and(|p| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && rest.contains('/')
        });
        if !known || port || !(rest.contains('/') || rest.contains('#')) {
            return None;
        }
        Some(name.to_string())
    };
    let path = match &context {
        Some(name) => file.get(name.len() + 1..).unwrap_or_default().to_string(),
        None => file.to_string(),
    };
    Some(ImportRef {
        text: value.to_string(),
        context,
        path,
        stage,
    })
}

/// The name of a `context:<name>` option key (`name::platform` keys too).
fn named(key: &str) -> &str {
    key.split("::").next().unwrap_or(key)
}

/// One reference found in a file, with where it is used.
#[derive(Clone, Debug)]
pub(crate) struct Found {
    pub(crate) r: ImportRef,
    pub(crate) span: TextRange,
    pub(crate) used: Use,
}

/// Every import reference of `df`, its values expanded with `globals` the
/// way the stage graph expands them (a value that fails to expand is left
/// to the stage graph, which reports it).
pub(crate) fn scan(
    df: &ir::Dockerfile,
    globals: &EnvList,
    opts: &ConvertOptions,
    out: &mut Vec<Found>,
) {
    let mut add = |w: &ir::Word, used: Use| {
        let value = match ir::has_variable_before_end(&w.value) {
            true => expand_word(&w.value, globals, df.escape)
                .ok()
                .map(Cow::Owned),
            false => Some(Cow::Borrowed(w.value.as_str())),
        };
        if let Some(r) = value.and_then(|v| parse(&v, opts)) {
            out.push(Found {
                r,
                span: w.span,
                used,
            });
        }
    };
    for st in &df.stages {
        add(&st.base, Use::From);
        for cmd in &st.commands {
            match &cmd.instruction {
                Instruction::Copy(c) => {
                    if let Some(f) = &c.from {
                        add(f, Use::Copy);
                    }
                }
                Instruction::Run(r) => {
                    for f in r.mounts.iter().filter_map(|m| m.from.as_ref()) {
                        add(f, Use::Mount);
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn references_and_what_stays_upstream() {
        let mut opts = ConvertOptions::default();
        opts.named_contexts
            .insert("shared".into(), "local:shared".into());
        let r = parse("./ci/go.Dockerfile#builder", &opts).unwrap();
        assert_eq!(
            (r.path.as_str(), r.stage.as_deref()),
            ("./ci/go.Dockerfile", Some("builder"))
        );
        let r = parse("../x/Dockerfile", &opts).unwrap();
        assert_eq!((r.path.as_str(), r.stage), ("../x/Dockerfile", None));
        let r = parse("shared:stages/go.Dockerfile#test", &opts).unwrap();
        assert_eq!(r.context.as_deref(), Some("shared"));
        assert_eq!(r.path, "stages/go.Dockerfile");
        let r = parse("context:ci/Dockerfile", &opts).unwrap();
        assert_eq!(r.context.as_deref(), Some("context"));
        for upstream in [
            "alpine:3.20",
            "alpine",
            "localhost:5000/img",
            "shared:latest",
            "context:5000/img",
            "docker.io/library/alpine:3",
            "build",
            "0",
        ] {
            assert_eq!(parse(upstream, &opts), None, "{upstream}");
        }
    }
}
