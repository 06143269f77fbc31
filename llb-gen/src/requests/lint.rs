//! `frontend.lint`: the build checks' findings with their rule, URL and
//! location, the sources, and the error of a build that fails.

use serde_json::{json, Value};

use super::{base64, indented, location, Reply};
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::limits::Limits;
use crate::pb;

/// The Dockerfile a lint result points into.
#[derive(Clone, Debug, Default)]
pub struct LintSource {
    /// Its name (`Dockerfile`).
    pub filename: String,
    /// Its bytes.
    pub data: Vec<u8>,
    /// The LLB definition of the source it was read from (the frontend's
    /// `dockerfile` local), if any.
    pub definition: Option<pb::Definition>,
}

/// `frontend.lint` of `src` alone (parse, lower, the build checks; no
/// conversion): the findings its check configuration keeps, or its first
/// error as `buildError`.
pub fn lint(
    src: &LintSource,
    build_args: &std::collections::BTreeMap<String, String>,
    limits: &Limits,
) -> Reply {
    match crate::lint::lint_source(&src.data, build_args, limits) {
        Ok(report) => lint_reply(src, &report.findings, None),
        Err(errors) => lint_reply(src, &[], errors.first()),
    }
}

/// The `frontend.lint` reply of `findings` (those of a rule; the others
/// are left out) and an optional build error, located in `src`.
pub fn lint_reply(src: &LintSource, findings: &[Diagnostic], error: Option<&Diagnostic>) -> Reply {
    let file = SourceFile::new(src.filename.clone(), crate::syntax::source_text(&src.data));
    let mut warnings = Vec::new();
    let mut shown = Vec::new();
    for d in findings {
        let Some(rule) = crate::lint::rule(d.code) else {
            continue;
        };
        let (start, end) = file.line_span(d.span);
        let mut w = serde_json::Map::new();
        w.insert("ruleName".into(), json!(rule.name));
        w.insert("description".into(), json!(rule.description));
        w.insert("url".into(), json!(rule.url()));
        w.insert("detail".into(), json!(d.message));
        w.insert("location".into(), location(0, start, end));
        warnings.push(Value::Object(w));
        shown.push((rule.name, d.message.as_str(), start, end));
    }
    let definition = src.definition.as_ref().map(|def| {
        let ops: Vec<String> = def.def.iter().map(|op| base64(op)).collect();
        json!({ "def": ops })
    });
    let mut out = serde_json::Map::new();
    // Go's nil slice: `null` when nothing was found, as upstream.
    let warnings = match warnings.is_empty() {
        true => Value::Null,
        false => Value::Array(warnings),
    };
    out.insert("warnings".into(), warnings);
    out.insert(
        "sources".into(),
        json!([{
            "filename": src.filename,
            "language": "Dockerfile",
            "definition": definition,
            "data": base64(&src.data),
        }]),
    );
    if let Some(e) = error {
        let (start, end) = file.line_span(e.span);
        out.insert(
            "buildError".into(),
            json!({ "message": e.message, "location": location(0, start, end) }),
        );
    }
    let status = i32::from(!shown.is_empty() || error.is_some());
    Reply {
        json: indented(&Value::Object(out)),
        text: text(&file, shown, error).into_bytes(),
        version: "1.0.0",
        status: Some(status),
    }
}

/// The text upstream prints: findings grouped by rule (rules in name
/// order), each with its place, message and lines; then the build error.
fn text(
    file: &SourceFile,
    mut shown: Vec<(&str, &str, u32, u32)>,
    error: Option<&Diagnostic>,
) -> String {
    shown.sort_by_key(|(rule, _, start, _)| (*rule, *start));
    let lines: Vec<&str> = file.text.split('\n').collect();
    let mut out = String::new();
    let mut last_rule = "";
    for (rule, msg, start, end) in shown {
        if rule != last_rule {
            if !last_rule.is_empty() {
                out.push('\n');
            }
            out.push_str(&format!("Lint Rule {rule}\n"));
            last_rule = rule;
        }
        match start == end {
            true => out.push_str(&format!("  {}:{start}\n", file.name)),
            false => out.push_str(&format!("  {}:{start}-{end}\n", file.name)),
        }
        out.push_str(&format!("  {msg}\n"));
        for n in start..=end {
            let line = lines.get(n as usize - 1).copied().unwrap_or("");
            out.push_str(&format!("  {n}  |  {line}\n"));
        }
        out.push('\n');
    }
    if let Some(e) = error {
        let (start, _) = file.line_span(e.span);
        out.push_str(&format!("Error: {}\n  {}:{start}\n", e.message, file.name));
    }
    out
}
