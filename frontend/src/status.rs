//! Errors of the frontend and their one conversion to the wire: a
//! `google.rpc.Status` for the `Return` RPC.
//!
//! Located Dockerfile diagnostics get one `errdefs.Source` detail each (JSON,
//! type URL `github.com/moby/buildkit/errdefs.Source+json`), which is what
//! makes the docker CLI print the offending Dockerfile lines. Each carries its
//! whole file, so they stop at [`SOURCE_DETAIL_BUDGET`] bytes of files.

use base64::Engine as _;
use bollard_buildkit_proto::google::protobuf::Any;
use bollard_buildkit_proto::google::rpc::Status;
use llb_gen::diagnostic::{Diagnostic, Severity};
use llb_gen::sources::SourceSet;
use prost::Message as _;
use serde_json::json;
use tonic::Code;

/// Type URL BuildKit decodes as a JSON `errdefs.Source`.
pub const SOURCE_TYPE_URL: &str = "github.com/moby/buildkit/errdefs.Source+json";

/// Most bytes of files the source details of one error carry, in all. Each detail holds its whole
/// file, base64-encoded (4/3 of its size), and BuildKit takes the `Return` in one message of at
/// most 16 MiB: a second detail of a 7 MiB file would lose the whole error. A file over the size
/// limit (the frontend reads one byte past it) gets no detail either: that cost the 17 MiB file's
/// error 40 MB of RSS (docs/performance-history.md, "The replay harness"). The message keeps the
/// location.
pub const SOURCE_DETAIL_BUDGET: usize = llb_gen::limits::Limits::DEFAULT.max_file_bytes;

/// Why a build failed.
#[derive(Debug)]
pub enum FrontendError {
    /// Problems found in the Dockerfile (or a file it includes), each
    /// located in `sources`.
    Dockerfile {
        sources: Box<SourceSet>,
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
            FrontendError::Dockerfile {
                sources,
                diagnostics,
            } => shown(diagnostics)
                .map(|d| located_message(d, sources))
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
            FrontendError::Dockerfile {
                sources,
                diagnostics,
            } => {
                let mut budget = SOURCE_DETAIL_BUDGET;
                shown(diagnostics)
                    .filter(|d| {
                        let len = sources.entry_at(d.span.start).file.text.len();
                        let fits = len <= budget;
                        budget -= if fits { len } else { 0 };
                        fits
                    })
                    .map(|d| source_detail(d, sources))
                    .collect()
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

/// `Dockerfile:3:5: message` (+ the second place, + help, + the include
/// chain of a file that is included).
pub fn located_message(d: &Diagnostic, sources: &SourceSet) -> String {
    let mut msg = format!("{}: {}", sources.position(d.span.start), d.message);
    if let Some(label) = &d.label {
        msg.push_str(&format!(
            " ({} at {})",
            label.message,
            sources.position(label.span.start)
        ));
    }
    if let Some(help) = &d.help {
        msg.push_str(&format!(" (help: {help})"));
    }
    for (at, how) in sources.chain_described(d.span.start) {
        msg.push_str(&format!(" ({how} {})", sources.position(at.start)));
    }
    msg
}

/// The JSON `errdefs.Source` of one diagnostic: the name and bytes (base64,
/// like Go's `[]byte`) of the file it points into, its language, and the
/// 1-based lines it covers (then those of its second place, when that is in
/// the same file).
pub fn source_json(d: &Diagnostic, sources: &SourceSet) -> serde_json::Value {
    let entry = sources.entry_at(d.span.start);
    let range = |span| {
        let (start, end) = entry.line_span(span);
        json!({ "start": { "line": start }, "end": { "line": end } })
    };
    let mut ranges = vec![range(d.span)];
    let same_file =
        |s: llb_gen::text::TextRange| sources.index_of(s.start) == sources.index_of(d.span.start);
    ranges.extend(
        d.label
            .as_ref()
            .filter(|l| same_file(l.span))
            .map(|l| range(l.span)),
    );
    json!({
        "info": {
            "filename": entry.file.name,
            "data": base64::engine::general_purpose::STANDARD.encode(entry.file.text.as_bytes()),
            "language": "Dockerfile",
        },
        "ranges": ranges,
    })
}

fn source_detail(d: &Diagnostic, sources: &SourceSet) -> Any {
    Any {
        type_url: SOURCE_TYPE_URL.to_string(),
        value: source_json(d, sources).to_string().into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use llb_gen::text::TextRange;

    #[test]
    fn diagnostics_become_located_status_with_source_details() {
        let text = "FROM a\nRUN x\nFOO bar\n";
        let file = SourceSet::new("Dockerfile", text.as_bytes());
        let at = text.find("FOO").unwrap_or_default();
        let d = Diagnostic::error(
            llb_gen::codes::Code::UnknownInstruction,
            "unknown instruction: FOO",
            TextRange::from_usize(at, at + 3),
        );
        let err = FrontendError::Dockerfile {
            sources: Box::new(file),
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
    fn source_details_stop_at_the_budget_and_the_messages_stay() {
        let line = "FOO bar\n";
        let text = line.repeat(SOURCE_DETAIL_BUDGET / line.len() / 2 + 1);
        let file = SourceSet::new("Dockerfile", text.as_bytes());
        let d = |at: usize| {
            Diagnostic::error(
                llb_gen::codes::Code::UnknownInstruction,
                "unknown instruction: FOO",
                TextRange::from_usize(at, at + 3),
            )
        };
        // Two errors in a file of over half the budget: the second detail would pass it.
        let err = FrontendError::Dockerfile {
            sources: Box::new(file),
            diagnostics: vec![d(0), d(line.len())],
        };
        let st = err.to_status();
        assert_eq!(st.details.len(), 1);
        assert_eq!(
            st.message,
            "Dockerfile:1:1: unknown instruction: FOO\nDockerfile:2:1: unknown instruction: FOO"
        );
        // A file over the whole budget: no detail.
        let big = "FOO\n".repeat(SOURCE_DETAIL_BUDGET / 4 + 1);
        let err = FrontendError::Dockerfile {
            sources: Box::new(SourceSet::new("Dockerfile", big.as_bytes())),
            diagnostics: vec![d(0)],
        };
        assert!(err.to_status().details.is_empty());
    }

    #[test]
    fn a_second_place_becomes_a_second_range_and_part_of_the_message() {
        let text = "FROM a AS x\nFROM b AS x\n";
        let file = SourceSet::new("Dockerfile", text.as_bytes());
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
