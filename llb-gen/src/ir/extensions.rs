//! Where a file uses a superset extension: each use goes to
//! [`Dockerfile::extensions`](crate::ir::Dockerfile::extensions) for the
//! `UpstreamIncompatible` rule.

use crate::ir::{ExtensionUse, Instruction, Word};
use crate::syntax::ast::Node;
use crate::syntax::Keyword;

/// The superset's flags, by instruction: (keyword, flag name, extension name).
const FLAGS: &[(Keyword, &str, &str)] = &[
    (Keyword::Run, "cache", "RUN --cache"),
    (Keyword::Run, "no-cache", "RUN --no-cache"),
    (Keyword::Workdir, "chown", "WORKDIR --chown"),
    (Keyword::Workdir, "chmod", "WORKDIR --chmod"),
];

/// Records the extensions `node` (an instruction that lowered) uses, an
/// ONBUILD trigger's included.
pub(crate) fn record(node: &Node, out: &mut Vec<ExtensionUse>) {
    let Some(kind) = node.kind else {
        return;
    };
    match kind {
        Keyword::Cache => out.push(ExtensionUse {
            name: "CACHE",
            span: node.keyword.span,
        }),
        Keyword::Require => out.push(ExtensionUse {
            name: "REQUIRE",
            span: node.keyword.span,
        }),
        Keyword::Onbuild => {
            if let Some(sub) = node.sub.as_deref() {
                record(sub, out);
            }
        }
        _ => {}
    }
    for flag in &node.flags {
        let body = flag.value.strip_prefix("--").unwrap_or(&flag.value);
        let name = crate::text::split_once_ascii(body, b'=').map_or(body, |(n, _)| n);
        if let Some((_, _, ext)) = FLAGS.iter().find(|(k, f, _)| *k == kind && *f == name) {
            out.push(ExtensionUse {
                name: ext,
                span: flag.span,
            });
        }
    }
}

/// Superset uses an instruction makes (variables in `--from`).
pub(crate) fn record_from(instruction: &Instruction, out: &mut Vec<ExtensionUse>) {
    let mut from = |w: &Word, name: &'static str| {
        if crate::ir::has_variable_before_end(&w.value) {
            out.push(ExtensionUse { name, span: w.span });
        }
    };
    match instruction {
        Instruction::Copy(c) => {
            if let Some(f) = &c.from {
                from(f, "a variable in COPY --from");
            }
        }
        Instruction::Run(r) => {
            for f in r.mounts.iter().filter_map(|m| m.from.as_ref()) {
                from(f, "a variable in RUN --mount from=");
            }
        }
        _ => {}
    }
}
