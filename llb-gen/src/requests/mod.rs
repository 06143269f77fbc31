//! The results of BuildKit's frontend subrequests (`requestid=<name>`), in
//! the JSON shapes and text tables `docker buildx build --call=...` reads:
//! [`describe`], [`targets`], [`outline`] and [`lint`]. Each is a [`Reply`]: the
//! metadata entries of the gateway result (`result.json`, `result.txt`,
//! `version`, `result.statuscode` for lint).
//!
//! Locations are `pb.Location` as Go's `encoding/json` writes it: zero
//! fields left out (`{"ranges":[{"start":{"line":2},"end":{"line":2}}]}`),
//! byte slices (the sources) in standard base64.
//!
//! ```rust
//! use llb_gen::requests;
//!
//! let text = b"# build compiles it\nFROM golang AS build\nFROM alpine\n";
//! let reply = requests::targets(text, &llb_gen::limits::Limits::DEFAULT).unwrap();
//! let json: serde_json::Value = serde_json::from_slice(&reply.json).unwrap();
//! assert_eq!(json["targets"][0]["name"], "build");
//! assert_eq!(json["targets"][0]["description"], "compiles it");
//! assert_eq!(json["targets"][1]["default"], true);
//! ```
//!
//! Source code layout:
//! - `lint.rs`: `frontend.lint` (warnings, sources, `buildError`).
//! - `outline.rs`: `frontend.outline` (the target's args, secrets, ssh);
//!   `outline_json.rs`: its reply (JSON in Go's field order, text).
//! - `targets.rs`: `frontend.targets` and `frontend.subrequests.describe`.

mod lint;
mod outline;
mod outline_json;
mod targets;

pub use lint::{lint, lint_reply, LintSource};
pub use outline::{outline, Location, Outline, OutlineArg, OutlineMount, RequiredStage};
pub use outline_json::outline_reply;
pub use targets::{describe, targets, targets_of, Implemented, IMPLEMENTED};

use serde_json::{json, Map, Value};

/// `frontend.subrequests.describe`.
pub const DESCRIBE: &str = "frontend.subrequests.describe";
/// `frontend.targets`.
pub const TARGETS: &str = "frontend.targets";
/// `frontend.lint`.
pub const LINT: &str = "frontend.lint";
/// `frontend.outline`.
pub const OUTLINE: &str = "frontend.outline";

/// A subrequest's answer: the metadata of the gateway result.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reply {
    /// `result.json`.
    pub json: Vec<u8>,
    /// `result.txt`: the table upstream prints.
    pub text: Vec<u8>,
    /// `version` of the request's definition.
    pub version: &'static str,
    /// `result.statuscode` (lint only): `1` when something was found.
    pub status: Option<i32>,
}

impl Reply {
    /// The metadata entries, by key.
    pub fn metadata(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = vec![
            ("result.json".to_string(), self.json.clone()),
            ("result.txt".to_string(), self.text.clone()),
            ("version".to_string(), self.version.as_bytes().to_vec()),
        ];
        if let Some(s) = self.status {
            out.push(("result.statuscode".into(), s.to_string().into_bytes()));
        }
        out
    }
}

/// `pb.Location` JSON of lines `start..=end` (1-based) in source `index`.
pub(crate) fn location(index: usize, start: u32, end: u32) -> Value {
    let pos = |line: u32| {
        let mut m = Map::new();
        if line != 0 {
            m.insert("line".into(), json!(line));
        }
        Value::Object(m)
    };
    let mut m = Map::new();
    if index != 0 {
        m.insert("sourceIndex".into(), json!(index));
    }
    m.insert(
        "ranges".into(),
        json!([{ "start": pos(start), "end": pos(end) }]),
    );
    Value::Object(m)
}

/// `pb.Location` JSON of an instruction on lines `start..=end` in source
/// `index` as upstream's parser gives it (`Node.Location`): one range per
/// line.
pub(crate) fn line_ranges(index: usize, start: u32, end: u32) -> Value {
    let mut v = location(index, start, start);
    let ranges: Vec<Value> = (start..=end.max(start))
        .map(|n| location(0, n, n)["ranges"][0].clone())
        .collect();
    v["ranges"] = Value::Array(ranges);
    v
}

/// Go's `[]byte` in JSON: standard base64.
pub(crate) fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Go's `json.MarshalIndent(v, "", "  ")`.
pub(crate) fn indented(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap_or_default()
}

/// Pads the cells of each row to the widest of their column plus
/// `padding` blanks (Go's `tabwriter.NewWriter(w, 0, 0, padding, ' ', 0)`
/// over rows whose cells end with a tab); the last cell of a row is not
/// padded.
pub(crate) fn table(rows: &[Vec<String>], padding: usize) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i] + padding - cell.chars().count();
                out.push_str(&" ".repeat(pad));
            }
        }
        out.push('\n');
    }
    out
}
