//! The `frontend.outline` reply: upstream's JSON, field for field in Go's
//! order (`outline.Outline` as `json.MarshalIndent` writes it: empty fields
//! left out, `pb.Location` with one range per line), the additive
//! `requires`, and the table upstream's `PrintOutline` prints.

use serde::Serialize;

use super::outline::{Location, Outline, OutlineMount};
use super::{base64, table, Reply};
use crate::sources::SourceSet;

#[derive(Serialize)]
struct Json<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    args: Vec<Arg<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    secrets: Vec<Mount<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ssh: Vec<Mount<'a>>,
    /// Ours (buildx ignores it): the stages `REQUIRE` builds along.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    requires: Vec<Required<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sources: Vec<String>,
}

#[derive(Serialize)]
struct Arg<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    value: &'a str,
    location: PbLocation,
}

#[derive(Serialize)]
struct Mount<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "is_false")]
    required: bool,
    location: PbLocation,
}

#[derive(Serialize)]
struct Required<'a> {
    name: &'a str,
    location: PbLocation,
}

/// `pb.Location`.
#[derive(Serialize)]
struct PbLocation {
    #[serde(rename = "sourceIndex", skip_serializing_if = "is_zero")]
    source_index: usize,
    ranges: Vec<PbRange>,
}

#[derive(Serialize)]
struct PbRange {
    start: PbPosition,
    end: PbPosition,
}

#[derive(Serialize)]
struct PbPosition {
    line: u32,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One range per line, as upstream's parser locates an instruction.
fn pb_location(l: &Location) -> PbLocation {
    let ranges = (l.start..=l.end.max(l.start))
        .map(|n| PbRange {
            start: PbPosition { line: n },
            end: PbPosition { line: n },
        })
        .collect();
    PbLocation {
        source_index: l.file,
        ranges,
    }
}

fn mounts(list: &[OutlineMount]) -> Vec<Mount<'_>> {
    list.iter()
        .map(|m| Mount {
            name: &m.name,
            required: m.required,
            location: pb_location(&m.location),
        })
        .collect()
}

/// Go's `encoding/json` escapes `<`, `>`, `&`, U+2028 and U+2029 in
/// strings; in JSON text they can only be inside strings, so escaping them
/// in the whole text gives Go's bytes.
fn go_escaped(json: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&json);
    if !text.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return json;
    }
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
        .into_bytes()
}

/// The `frontend.outline` reply of `o`; `sources` are the build's files.
pub fn outline_reply(o: &Outline, sources: &SourceSet) -> Reply {
    let json = Json {
        name: &o.name,
        description: &o.description,
        args: o
            .args
            .iter()
            .map(|a| Arg {
                name: &a.name,
                description: &a.description,
                value: &a.value,
                location: pb_location(&a.location),
            })
            .collect(),
        secrets: mounts(&o.secrets),
        ssh: mounts(&o.ssh),
        requires: o
            .requires
            .iter()
            .map(|r| Required {
                name: &r.name,
                location: pb_location(&r.location),
            })
            .collect(),
        sources: sources.entries().iter().map(|e| base64(&e.bytes)).collect(),
    };
    Reply {
        json: go_escaped(serde_json::to_vec_pretty(&json).unwrap_or_default()),
        text: text(o).into_bytes(),
        version: "1.0.0",
        status: None,
    }
}

/// The text buildx prints for an outline (upstream's `PrintOutline`), with
/// the stages `REQUIRE` builds along.
fn text(o: &Outline) -> String {
    let mut out = String::new();
    if !o.name.is_empty() || !o.description.is_empty() {
        let name = if o.name.is_empty() {
            "(default)"
        } else {
            &o.name
        };
        let mut rows = vec![vec!["TARGET:".to_string(), name.to_string()]];
        if !o.description.is_empty() {
            rows.push(vec!["DESCRIPTION:".into(), o.description.clone()]);
        }
        out.push_str(&table(&rows, 1));
        out.push('\n');
    }
    let mut section = |head: &[&str], rows: Vec<Vec<String>>| {
        if rows.is_empty() {
            return;
        }
        let mut all = vec![head.iter().map(|h| h.to_string()).collect()];
        all.extend(rows);
        out.push_str(&table(&all, 3));
        out.push('\n');
    };
    let yes = |b: bool| if b { "true" } else { "" }.to_string();
    section(
        &["BUILD ARG", "VALUE", "DESCRIPTION"],
        o.args
            .iter()
            .map(|a| vec![a.name.clone(), a.value.clone(), a.description.clone()])
            .collect(),
    );
    section(
        &["SECRET", "REQUIRED"],
        o.secrets
            .iter()
            .map(|s| vec![s.name.clone(), yes(s.required)])
            .collect(),
    );
    section(
        &["SSH", "REQUIRED"],
        o.ssh
            .iter()
            .map(|s| vec![s.name.clone(), yes(s.required)])
            .collect(),
    );
    section(
        &["REQUIRED STAGE"],
        o.requires.iter().map(|r| vec![r.name.clone()]).collect(),
    );
    out
}
