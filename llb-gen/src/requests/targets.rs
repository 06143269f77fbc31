//! `frontend.targets` (the stages, parse only) and
//! `frontend.subrequests.describe` (the requests answered here).

use serde_json::{json, Value};

use super::{base64, indented, line_ranges, table, Reply, DESCRIBE, LINT, OUTLINE, TARGETS};
use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::limits::Limits;

/// One request this frontend answers, as `describe` lists it.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Implemented {
    /// Its name (`frontend.outline`).
    pub name: &'static str,
    /// What it does (upstream's words).
    pub description: &'static str,
    /// The options it reads, with their description.
    pub opts: &'static [(&'static str, &'static str)],
    /// The metadata keys of its result.
    pub metadata: &'static [&'static str],
}

/// The requests this frontend answers, with their description, options
/// and metadata keys, as `describe` lists them.
pub const IMPLEMENTED: &[Implemented] = &[
    Implemented {
        name: DESCRIBE,
        description: "List available subrequest types",
        opts: &[],
        metadata: &["result.json", "result.txt"],
    },
    Implemented {
        name: OUTLINE,
        description: "List all parameters current build target supports",
        opts: &[("target", "Target build stage")],
        metadata: &["result.json", "result.txt"],
    },
    Implemented {
        name: TARGETS,
        description: "List all targets current build supports",
        opts: &[],
        metadata: &["result.json", "result.txt"],
    },
    Implemented {
        name: LINT,
        description: "Lint a Dockerfile",
        opts: &[],
        metadata: &["result.json", "result.txt", "result.statuscode"],
    },
];

/// `frontend.subrequests.describe`: every request of [`IMPLEMENTED`].
pub fn describe() -> Reply {
    let named = |list: Vec<(&str, &str)>| -> Value {
        let v: Vec<Value> = list
            .into_iter()
            .map(|(n, d)| json!({ "name": n, "description": d }))
            .collect();
        Value::Array(v)
    };
    let list: Vec<Value> = IMPLEMENTED
        .iter()
        .map(|r| {
            json!({
                "name": r.name,
                "version": "1.0.0",
                "type": "rpc",
                "description": r.description,
                "opts": named(r.opts.to_vec()),
                "inputs": null,
                "metadata": named(r.metadata.iter().map(|m| (*m, "")).collect()),
                "refs": null,
            })
        })
        .collect();
    let mut rows = vec![vec!["NAME".into(), "VERSION".into(), "DESCRIPTION".into()]];
    rows.extend(IMPLEMENTED.iter().map(|r| {
        vec![
            r.name.to_string(),
            "1.0.0".into(),
            r.description.to_string(),
        ]
    }));
    Reply {
        json: indented(&Value::Array(list)),
        text: table(&rows, 1).into_bytes(),
        version: "1.0.0",
        status: None,
    }
}

/// The description of `name` in a doc comment block: the text after
/// `<name> ` on the first line that starts so (upstream `getComment`).
pub(crate) fn doc_comment(comment: &[String], name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let prefix = format!("{name} ");
    comment
        .iter()
        .find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
}

/// `frontend.targets`: every stage (the last is the default) with its
/// name, description, base and platform as written, and location; or the
/// errors of a file that does not parse.
pub fn targets(source: &[u8], limits: &Limits) -> Result<Reply, Vec<Diagnostic>> {
    let parsed = crate::syntax::parse_bytes_with_limits(source, limits);
    let lowered = ir::lower_with_limits(&parsed.dockerfile, limits);
    let mut errors: Vec<Diagnostic> = parsed.errors.iter().map(|e| e.to_diagnostic()).collect();
    errors.extend(
        lowered
            .errors
            .iter()
            .map(|e| e.to_diagnostic())
            .filter(|d| d.code.default_severity() == crate::diagnostic::Severity::Error),
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    let sources = crate::sources::SourceSet::new("Dockerfile", source);
    Ok(targets_of(&lowered.dockerfile, &sources))
}

/// `frontend.targets` of a file as converted (INCLUDE and IF resolved, so
/// the stages are those the build sees): `sources` are the build's files,
/// each stage located in its own. A stage with `REQUIRE` lists the stages
/// it names in the additive field `requires`.
pub fn targets_of(df: &ir::Dockerfile, sources: &crate::sources::SourceSet) -> Reply {
    let stages = &df.stages;
    let mut rows = vec![vec!["TARGET".to_string(), "DESCRIPTION".to_string()]];
    let list: Vec<Value> = stages
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let default = i + 1 == stages.len();
            let name = st.name.as_ref().map_or("", |n| n.value.as_str());
            let description = doc_comment(&st.comment, name);
            let mut t = serde_json::Map::new();
            if !name.is_empty() {
                t.insert("name".into(), json!(name));
            }
            if default {
                t.insert("default".into(), json!(true));
            }
            if let Some(d) = &description {
                t.insert("description".into(), json!(d));
            }
            t.insert("base".into(), json!(st.base.value));
            if let Some(p) = &st.platform {
                t.insert("platform".into(), json!(p.value));
            }
            // Additive (buildx ignores it): the stages `REQUIRE` builds along.
            let required: Vec<&str> = st
                .commands
                .iter()
                .filter_map(|c| match &c.instruction {
                    ir::Instruction::Require(names) => Some(names),
                    _ => None,
                })
                .flatten()
                .map(|n| n.value.as_str())
                .collect();
            if !required.is_empty() {
                t.insert("requires".into(), json!(required));
            }
            let file = sources.index_of(st.from.span.start);
            t.insert(
                "location".into(),
                line_ranges(file, st.from.start_line, st.from.end_line),
            );
            let shown = match (name, default) {
                ("", true) => "(default)".to_string(),
                (n, true) => format!("{n} (default)"),
                (n, false) => n.to_string(),
            };
            rows.push(vec![shown, description.unwrap_or_default()]);
            Value::Object(t)
        })
        .collect();
    let files: Vec<String> = sources.entries().iter().map(|e| base64(&e.bytes)).collect();
    let json = json!({ "targets": list, "sources": files });
    Reply {
        json: indented(&json),
        text: table(&rows, 1).into_bytes(),
        version: "1.0.0",
        status: None,
    }
}
