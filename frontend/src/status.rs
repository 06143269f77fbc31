//! Errors of the frontend and their one conversion to the wire: a
//! `google.rpc.Status` for the `Return` RPC.
//!
//! Located Dockerfile diagnostics get one `errdefs.Source` detail each (JSON,
//! type URL `github.com/moby/buildkit/errdefs.Source+json`), which is what
//! makes the docker CLI print the offending Dockerfile lines.

use base64::Engine as _;
use bollard_buildkit_proto::google::protobuf::Any;
use bollard_buildkit_proto::google::rpc::Status;
use llb_gen::diagnostic::{Diagnostic, Severity, SourceFile};
use prost::Message as _;
use serde_json::json;
use tonic::Code;

/// Type URL BuildKit decodes as a JSON `errdefs.Source`.
pub const SOURCE_TYPE_URL: &str = "github.com/moby/buildkit/errdefs.Source+json";

/// Why a build failed.
#[derive(Debug)]
pub enum FrontendError {
    /// Problems found in the Dockerfile, each located in `file`.
    Dockerfile {
        file: Box<SourceFile>,
        diagnostics: Vec<Diagnostic>,
    },
    /// An RPC to BuildKit failed; its status (with BuildKit's own details)
    /// is passed on, with `context` prefixed to the message.
    Rpc {
        context: String,
        status: tonic::Status,
    },
    /// Anything else.
    Other { code: Code, message: String },
}

impl FrontendError {
    pub fn invalid(message: impl Into<String>) -> Self {
        FrontendError::Other {
            code: Code::InvalidArgument,
            message: message.into(),
        }
    }

    pub fn unsupported(message: impl Into<String>) -> Self {
        FrontendError::Other {
            code: Code::Unimplemented,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        FrontendError::Other {
            code: Code::Internal,
            message: message.into(),
        }
    }

    pub fn rpc(context: impl Into<String>, status: tonic::Status) -> Self {
        FrontendError::Rpc {
            context: context.into(),
            status,
        }
    }

    /// Prefix the message with what was being done.
    pub fn context(self, what: &str) -> Self {
        match self {
            FrontendError::Rpc { context, status } if context.is_empty() => FrontendError::Rpc {
                context: what.to_string(),
                status,
            },
            FrontendError::Rpc { context, status } => FrontendError::Rpc {
                context: format!("{what}: {context}"),
                status,
            },
            FrontendError::Other { code, message } => FrontendError::Other {
                code,
                message: format!("{what}: {message}"),
            },
            other => other,
        }
    }

    /// A missing BuildKit capability, named.
    pub fn missing_cap(cap: &str, product: &str) -> Self {
        FrontendError::unsupported(format!("requested feature {cap} is not supported by {product}: upgrade BuildKit (or Docker Engine)"))
    }

    /// The error text (what `Status.message` carries).
    pub fn message(&self) -> String {
        match self {
            FrontendError::Dockerfile { file, diagnostics } => shown(diagnostics)
                .map(|d| located_message(d, file))
                .collect::<Vec<_>>()
                .join("\n"),
            FrontendError::Rpc { context, status } if context.is_empty() => {
                status.message().to_string()
            }
            FrontendError::Rpc { context, status } => format!("{context}: {}", status.message()),
            FrontendError::Other { message, .. } => message.clone(),
        }
    }

    fn code(&self) -> Code {
        match self {
            FrontendError::Dockerfile { .. } => Code::InvalidArgument,
            FrontendError::Rpc { status, .. } => status.code(),
            FrontendError::Other { code, .. } => *code,
        }
    }

    /// The `google.rpc.Status` sent in `Return`.
    pub fn to_status(&self) -> Status {
        let details = match self {
            FrontendError::Dockerfile { file, diagnostics } => {
                shown(diagnostics).map(|d| source_detail(d, file)).collect()
            }
            // Keep BuildKit's own details (source locations of a failed
            // solve, stacks ...): they ride in grpc-status-details-bin.
            FrontendError::Rpc { status, .. } => Status::decode(status.details())
                .map(|s| s.details)
                .unwrap_or_default(),
            FrontendError::Other { .. } => Vec::new(),
        };
        Status {
            code: self.code() as i32,
            message: self.message(),
            details,
        }
    }
}

/// The errors among `diags`, or all of them when none is an error.
fn shown(diags: &[Diagnostic]) -> impl Iterator<Item = &Diagnostic> {
    let any_error = diags.iter().any(|d| d.severity == Severity::Error);
    diags
        .iter()
        .filter(move |d| !any_error || d.severity == Severity::Error)
}

/// `Dockerfile:3:5: message` (+ the second place, + help).
pub fn located_message(d: &Diagnostic, file: &SourceFile) -> String {
    let at = file.lines.line_col(d.span.start, &file.text);
    let mut msg = format!("{}:{}:{}: {}", file.name, at.line, at.col, d.message);
    if let Some(label) = &d.label {
        let l = file.lines.line_col(label.span.start, &file.text);
        msg.push_str(&format!(
            " ({} at {}:{}:{})",
            label.message, file.name, l.line, l.col
        ));
    }
    if let Some(help) = &d.help {
        msg.push_str(&format!(" (help: {help})"));
    }
    msg
}

/// The JSON `errdefs.Source` of one diagnostic: file name, file bytes
/// (base64, like Go's `[]byte`), language, and the 1-based lines it covers
/// (then those of its second place, if it has one).
pub fn source_json(d: &Diagnostic, file: &SourceFile) -> serde_json::Value {
    let range = |span| {
        let (start, end) = file.line_span(span);
        json!({ "start": { "line": start }, "end": { "line": end } })
    };
    let mut ranges = vec![range(d.span)];
    ranges.extend(d.label.as_ref().map(|l| range(l.span)));
    json!({
        "info": {
            "filename": file.name,
            "data": base64::engine::general_purpose::STANDARD.encode(file.text.as_bytes()),
            "language": "Dockerfile",
        },
        "ranges": ranges,
    })
}

fn source_detail(d: &Diagnostic, file: &SourceFile) -> Any {
    Any {
        type_url: SOURCE_TYPE_URL.to_string(),
        value: source_json(d, file).to_string().into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use llb_gen::text::TextRange;

    #[test]
    fn diagnostics_become_located_status_with_source_details() {
        let text = "FROM a\nRUN x\nFOO bar\n";
        let file = SourceFile::new("Dockerfile", text);
        let at = text.find("FOO").unwrap_or_default();
        let d = Diagnostic::error(
            llb_gen::codes::Code::UnknownInstruction,
            "unknown instruction: FOO",
            TextRange::from_usize(at, at + 3),
        );
        let err = FrontendError::Dockerfile {
            file: Box::new(file),
            diagnostics: vec![d],
        };
        let st = err.to_status();
        assert_eq!(st.code, Code::InvalidArgument as i32);
        assert_eq!(st.message, "Dockerfile:3:1: unknown instruction: FOO");
        assert_eq!(st.details.len(), 1);
        assert_eq!(st.details[0].type_url, SOURCE_TYPE_URL);
        let v: serde_json::Value = serde_json::from_slice(&st.details[0].value).unwrap_or_default();
        assert_eq!(v["ranges"][0]["start"]["line"], 3);
        assert_eq!(v["ranges"][0]["end"]["line"], 3);
        assert_eq!(v["info"]["language"], "Dockerfile");
        let data = base64::engine::general_purpose::STANDARD
            .decode(v["info"]["data"].as_str().unwrap_or_default())
            .unwrap_or_default();
        assert_eq!(data, text.as_bytes());
    }

    #[test]
    fn a_second_place_becomes_a_second_range_and_part_of_the_message() {
        let text = "FROM a AS x\nFROM b AS x\n";
        let file = SourceFile::new("Dockerfile", text);
        let d = Diagnostic::error(
            llb_gen::codes::Code::UnknownInstruction,
            "boom",
            TextRange::from_usize(12, 23),
        )
        .with_label(TextRange::from_usize(0, 11), "first defined here");
        assert_eq!(
            located_message(&d, &file),
            "Dockerfile:2:1: boom (first defined here at Dockerfile:1:1)"
        );
        let v = source_json(&d, &file);
        assert_eq!(v["ranges"][0]["start"]["line"], 2);
        assert_eq!(v["ranges"][1]["start"]["line"], 1);
        assert_eq!(v["ranges"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn rpc_errors_keep_code_and_details() {
        let inner = Status {
            code: 2,
            message: "boom".into(),
            details: vec![Any {
                type_url: "x".into(),
                value: b"{}".to_vec(),
            }],
        };
        let status =
            tonic::Status::with_details(Code::NotFound, "boom", inner.encode_to_vec().into());
        let st = FrontendError::rpc("failed to read dockerfile", status).to_status();
        assert_eq!(st.code, Code::NotFound as i32);
        assert_eq!(st.message, "failed to read dockerfile: boom");
        assert_eq!(st.details.len(), 1);
    }
}
