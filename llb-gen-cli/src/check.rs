//! `llb-gen check [--format text|json|sarif] [--error] PATH` and
//! `llb-gen targets PATH`: the build checks and the stage list, as the
//! frontend's `frontend.lint` and `frontend.targets` subrequests give them
//! (the same JSON). The checks are those that need only the file: the CLI
//! does not convert, so `UndefinedVar`, `InvalidBaseImagePlatform` and
//! `CopyIgnoredFile` are the frontend's only.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use llb_gen::diagnostic::{render, render_all, Diagnostic, Severity, SourceFile};
use llb_gen::limits::Limits;
use llb_gen::lint;
use llb_gen::requests::{self, LintSource};
use serde_json::{json, Value};

use crate::read_input;

/// Output format of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Each finding with its code frame and rule.
    Text,
    /// The `frontend.lint` JSON (`docker buildx build --call=check,format=json`).
    Json,
    /// SARIF 2.1.0, for code scanning tools.
    Sarif,
}

/// `K=V` build args (for `BUILDKIT_DOCKERFILE_CHECK`).
fn build_args(list: &[String]) -> Result<BTreeMap<String, String>, String> {
    list.iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None => Err(format!("--build-arg {kv}: expected K=V")),
        })
        .collect()
}

pub(crate) fn run_check(path: &Path, format: Format, error: bool, args: &[String]) -> ExitCode {
    let (name, bytes) = match read_input(path) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let args = match build_args(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let file = SourceFile::new(name.clone(), llb_gen::syntax::source_text(&bytes));
    let (findings, failed, errors) = match lint::lint_source(&bytes, &args, &Limits::DEFAULT) {
        Ok(report) => {
            let failed = report.config.failure(&report.findings).is_some();
            (report.findings, failed, Vec::new())
        }
        Err(errors) => (Vec::new(), true, errors),
    };
    let out = match format {
        Format::Text => text(&findings, &errors, &file),
        Format::Json => {
            let src = LintSource {
                filename: name.clone(),
                data: bytes.clone(),
                definition: None,
            };
            let reply = requests::lint_reply(&src, &findings, errors.first());
            String::from_utf8_lossy(&reply.json).into_owned() + "\n"
        }
        Format::Sarif => sarif(&findings, &errors, &file),
    };
    if std::io::stdout().lock().write_all(out.as_bytes()).is_err() {
        return ExitCode::from(2);
    }
    let has_rule = findings.iter().any(|d| lint::rule(d.code).is_some());
    match failed || (error && has_rule) {
        true => ExitCode::from(1),
        false => ExitCode::SUCCESS,
    }
}

/// The findings with their code frames, each followed by its rule and
/// page, then the errors.
fn text(findings: &[Diagnostic], errors: &[Diagnostic], file: &SourceFile) -> String {
    let mut out = String::new();
    for d in findings {
        out.push_str(&render(d, file));
        if let Some(r) = lint::rule(d.code) {
            out.push_str(&format!("  = rule: {} ({})\n", r.name, r.url()));
        }
        out.push('\n');
    }
    out.push_str(&render_all(errors, file));
    out
}

/// A SARIF 2.1.0 log: the rules that fired, one result per finding or
/// error with its region (1-based lines and columns).
fn sarif(findings: &[Diagnostic], errors: &[Diagnostic], file: &SourceFile) -> String {
    let mut rules: Vec<&lint::Rule> = findings.iter().filter_map(|d| lint::rule(d.code)).collect();
    rules.sort_by_key(|r| r.name);
    rules.dedup_by_key(|r| r.name);
    let rule_list: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.name,
                "shortDescription": { "text": r.description },
                "helpUri": r.url(),
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .chain(errors)
        .map(|d| {
            let start = file.lines.line_col(d.span.start, &file.text);
            let end = file.lines.line_col(d.span.end, &file.text);
            let id = lint::rule(d.code).map_or_else(|| d.code.to_string(), |r| r.name.to_string());
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            json!({
                "ruleId": id,
                "level": level,
                "message": { "text": d.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": file.name },
                        "region": {
                            "startLine": start.line,
                            "startColumn": start.col,
                            "endLine": end.line,
                            "endColumn": end.col,
                        }
                    }
                }]
            })
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "llb-gen",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rule_list,
            }},
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}

/// `llb-gen targets PATH`: the `frontend.targets` JSON (or its table).
pub(crate) fn run_targets(path: &Path, as_text: bool) -> ExitCode {
    let (name, bytes) = match read_input(path) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    match requests::targets(&bytes, &Limits::DEFAULT) {
        Ok(reply) => {
            let out = if as_text { reply.text } else { reply.json };
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(&out)
                .and_then(|()| stdout.write_all(b"\n"))
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::from(2),
            }
        }
        Err(errors) => {
            let file = SourceFile::new(name, llb_gen::syntax::source_text(&bytes));
            eprint!("{}", render_all(&errors, &file));
            ExitCode::from(1)
        }
    }
}
