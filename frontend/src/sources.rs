//! The small LLB definitions the frontend solves itself: the `dockerfile`
//! local (Dockerfile plus `<name>.dockerignore`) and the context's
//! `.dockerignore`, marshalled like the Go client (`client/llb`): one source
//! op, then the terminal op whose only input is that source.

use std::collections::BTreeMap;

use llb_gen::convert::Platform;
use llb_gen::llb::digest_of;
use llb_gen::pb;
use prost::Message as _;

use crate::bridge::pb_platform;

/// A local source to load a few files from.
#[derive(Clone, Debug)]
pub struct LocalSource<'a> {
    /// Local name (`dockerfile`, `context`).
    pub name: &'a str,
    pub session_id: &'a str,
    /// Only these paths are transferred.
    pub follow_paths: Vec<String>,
    pub shared_key_hint: String,
    /// Progress name (`[internal] load .dockerignore`).
    pub custom_name: String,
    pub platform: &'a Platform,
}

/// A marshalled definition and the digest of its head (the source op).
#[derive(Clone, Debug)]
pub struct LocalDefinition {
    pub definition: pb::Definition,
    pub head: String,
}

impl LocalSource<'_> {
    pub fn marshal(&self) -> LocalDefinition {
        let mut attrs = BTreeMap::new();
        let mut caps = BTreeMap::from([("source.local".to_string(), true)]);
        if !self.follow_paths.is_empty() {
            let json = serde_json::to_string(&self.follow_paths).unwrap_or_else(|_| "[]".into());
            attrs.insert("local.followpaths".to_string(), json);
            caps.insert("source.local.followpaths".to_string(), true);
        }
        if !self.session_id.is_empty() {
            attrs.insert("local.session".to_string(), self.session_id.to_string());
            caps.insert("source.local.sessionid".to_string(), true);
        }
        if !self.shared_key_hint.is_empty() {
            attrs.insert(
                "local.sharedkeyhint".to_string(),
                self.shared_key_hint.clone(),
            );
            caps.insert("source.local.sharedkeyhint".to_string(), true);
        }
        // Differ "none", not required: no cap, older daemons ignore it.
        attrs.insert("local.differ".to_string(), "none".to_string());
        let source = pb::Op {
            op: Some(pb::op::Op::Source(pb::SourceOp {
                identifier: format!("local://{}", self.name),
                attrs,
            })),
            platform: Some(pb_platform(self.platform)),
            constraints: Some(pb::WorkerConstraints::default()),
            ..pb::Op::default()
        };
        let source_bytes = source.encode_to_vec();
        let head = digest_of(&source_bytes);
        let terminal = pb::Op {
            inputs: vec![pb::Input {
                digest: head.clone(),
                index: 0,
            }],
            ..pb::Op::default()
        };
        let terminal_bytes = terminal.encode_to_vec();
        let mut metadata = BTreeMap::new();
        metadata.insert(
            head.clone(),
            pb::OpMetadata {
                description: BTreeMap::from([(
                    "llb.customname".to_string(),
                    self.custom_name.clone(),
                )]),
                caps,
                ..pb::OpMetadata::default()
            },
        );
        let terminal_caps = ["constraints", "platform", "meta.description"]
            .into_iter()
            .map(|c| (c.to_string(), true))
            .collect();
        metadata.insert(
            digest_of(&terminal_bytes),
            pb::OpMetadata {
                caps: terminal_caps,
                ..pb::OpMetadata::default()
            },
        );
        LocalDefinition {
            definition: pb::Definition {
                def: vec![source_bytes, terminal_bytes],
                metadata,
                source: None,
            },
            head,
        }
    }
}

/// Parse `.dockerignore` text into patterns (moby's `ignorefile.ReadAll`):
/// comments and blank lines dropped, whitespace trimmed, paths cleaned, a
/// leading `/` removed; `!` exceptions kept.
pub fn parse_dockerignore(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let mut pattern = line.trim();
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = pattern[1..].trim();
        }
        if pattern.is_empty() {
            continue;
        }
        let mut cleaned = clean_path(pattern);
        if cleaned.len() > 1 && cleaned.starts_with('/') {
            cleaned.remove(0);
        }
        out.push(if invert {
            format!("!{cleaned}")
        } else {
            cleaned
        });
    }
    out
}

use llb_gen::path::clean as clean_path;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_local_definition() {
        let platform = Platform::linux_amd64();
        let src = LocalSource {
            name: "dockerfile",
            session_id: "sess",
            follow_paths: vec![
                "Dockerfile".into(),
                "Dockerfile.dockerignore".into(),
                "dockerfile".into(),
            ],
            shared_key_hint: "dockerfile".into(),
            custom_name: "[internal] load build definition from Dockerfile".into(),
            platform: &platform,
        };
        let def = src.marshal();
        assert_eq!(def.definition.def.len(), 2);
        let op = pb::Op::decode(def.definition.def[0].as_slice()).unwrap_or_default();
        let Some(pb::op::Op::Source(s)) = op.op else {
            panic!("not a source op")
        };
        assert_eq!(s.identifier, "local://dockerfile");
        assert_eq!(
            s.attrs["local.followpaths"],
            r#"["Dockerfile","Dockerfile.dockerignore","dockerfile"]"#
        );
        assert_eq!(s.attrs["local.session"], "sess");
        assert_eq!(s.attrs["local.sharedkeyhint"], "dockerfile");
        let term = pb::Op::decode(def.definition.def[1].as_slice()).unwrap_or_default();
        assert_eq!(term.inputs[0].digest, def.head);
        assert!(def.definition.metadata[&def.head]
            .caps
            .contains_key("source.local.followpaths"));
        // Same input, same bytes.
        assert_eq!(src.marshal().definition, def.definition);
    }

    #[test]
    fn dockerignore_patterns() {
        let text = "\u{feff}# comment\n\n  node_modules  \n/build/\n!keep/../keep.txt\n./a//b\n/\n";
        assert_eq!(
            parse_dockerignore(text),
            ["node_modules", "build", "!keep.txt", "a/b", "/"]
        );
    }
}
