//! The base-image lock file (`<Dockerfile>.lock`, a superset extension):
//! for each image reference and platform, the manifest digest and the
//! image config the build uses instead of asking a registry.
//!
//! ```json
//! {
//!   "images": {
//!     "docker.io/library/alpine:3.23": {
//!       "linux/amd64": {
//!         "config": { "architecture": "amd64", "os": "linux", ... },
//!         "digest": "sha256:..."
//!       }
//!     }
//!   },
//!   "version": 1
//! }
//! ```
//!
//! [`parse`] reads and validates a lock (every problem, located in the
//! lock's text); [`Lock::to_json`] writes one deterministically (sorted
//! keys, two-space indentation, a trailing newline). No I/O here: the
//! converter asks its host for the file, `llb-gen lock` writes it.

use std::collections::BTreeMap;

use crate::codes::Code;
use crate::convert::platform::{format_all, normalize, parse_platform};
use crate::convert::reference::Reference;
use crate::convert::Platform;
use crate::diagnostic::Diagnostic;
use crate::text::TextRange;

mod locate;

/// The only lock format version this library reads and writes.
pub const VERSION: u64 = 1;

/// The largest lock file read (16 MiB: some thousands of image configs);
/// a larger one is refused before it is parsed.
pub const MAX_BYTES: usize = 16 << 20;

/// The lock file's name for the Dockerfile named `dockerfile`.
pub fn file_name(dockerfile: &str) -> String {
    format!("{dockerfile}.lock")
}

/// One locked image: what a registry answered for a reference on a
/// platform when the lock was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedImage {
    /// The manifest digest (`sha256:<64 hex>`) the build pins.
    pub digest: String,
    /// The image config JSON (compact, keys sorted).
    pub config: Vec<u8>,
}

/// A parsed lock: normalized reference -> platform (`os/arch[/variant]`)
/// -> image.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lock {
    images: BTreeMap<String, BTreeMap<String, LockedImage>>,
}

/// The key of a platform in a lock: normalized `os[(version)]/arch[/variant]`.
pub fn platform_key(p: &Platform) -> String {
    format_all(&normalize(p))
}

impl Lock {
    /// An empty lock.
    pub fn new() -> Lock {
        Lock::default()
    }

    /// The locked image for `reference` (normalized, as the converter's
    /// image requests name it) on `platform`.
    pub fn get(&self, reference: &str, platform: &Platform) -> Option<&LockedImage> {
        self.images.get(reference)?.get(&platform_key(platform))
    }

    /// Locks `reference` on `platform`. The reference is normalized
    /// (`alpine` -> `docker.io/library/alpine:latest`), the config made
    /// compact with sorted keys; the error is a reference that does not
    /// parse, a digest of the wrong form or a config that is not a JSON
    /// object.
    pub fn insert(
        &mut self,
        reference: &str,
        platform: &Platform,
        mut image: LockedImage,
    ) -> Result<(), String> {
        let r = Reference::parse(reference)
            .map_err(|e| format!("{reference}: {e}"))?
            .tagged_string();
        if !valid_digest(&image.digest) {
            return Err(format!(
                "{reference}: {:?} is not a sha256 digest",
                image.digest
            ));
        }
        match serde_json::from_slice::<serde_json::Value>(&image.config) {
            Ok(v @ serde_json::Value::Object(_)) => image.config = compact_sorted(&v),
            _ => {
                return Err(format!(
                    "{reference}: the image config is not a JSON object"
                ))
            }
        }
        self.images
            .entry(r)
            .or_default()
            .insert(platform_key(platform), image);
        Ok(())
    }

    /// Every entry: (reference, platform key, image), sorted.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str, &LockedImage)> {
        self.images
            .iter()
            .flat_map(|(r, ps)| ps.iter().map(move |(p, img)| (r.as_str(), p.as_str(), img)))
    }

    /// True when nothing is locked.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// The lock as its file's bytes: sorted keys, two-space indentation,
    /// a trailing newline. The same lock always gives the same bytes.
    pub fn to_json(&self) -> Vec<u8> {
        let mut images = serde_json::Map::new();
        for (r, platforms) in &self.images {
            let mut by_platform = serde_json::Map::new();
            for (p, img) in platforms {
                let config = serde_json::from_slice::<serde_json::Value>(&img.config)
                    .unwrap_or(serde_json::Value::Null);
                let entry = serde_json::json!({ "config": config, "digest": img.digest });
                by_platform.insert(p.clone(), entry);
            }
            images.insert(r.clone(), serde_json::Value::Object(by_platform));
        }
        let doc = serde_json::json!({ "images": images, "version": VERSION });
        let mut out = Vec::new();
        write_sorted(&doc, 0, &mut out);
        out.push(b'\n');
        out
    }
}

/// Writes `v` pretty-printed with object keys sorted (whatever the map
/// type's own order is).
fn write_sorted(v: &serde_json::Value, indent: usize, out: &mut Vec<u8>) {
    use serde_json::Value;
    let pad = |n: usize, out: &mut Vec<u8>| out.resize(out.len() + n, b' ');
    match v {
        Value::Object(m) if !m.is_empty() => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.extend_from_slice(b"{\n");
            for (i, k) in keys.iter().enumerate() {
                pad(indent + 2, out);
                out.extend(serde_json::to_vec(k).unwrap_or_default());
                out.extend_from_slice(b": ");
                if let Some(val) = m.get(*k) {
                    write_sorted(val, indent + 2, out);
                }
                out.extend_from_slice(if i + 1 < keys.len() { b",\n" } else { b"\n" });
            }
            pad(indent, out);
            out.push(b'}');
        }
        Value::Array(a) if !a.is_empty() => {
            out.extend_from_slice(b"[\n");
            for (i, val) in a.iter().enumerate() {
                pad(indent + 2, out);
                write_sorted(val, indent + 2, out);
                out.extend_from_slice(if i + 1 < a.len() { b",\n" } else { b"\n" });
            }
            pad(indent, out);
            out.push(b']');
        }
        other => out.extend(serde_json::to_vec(other).unwrap_or_default()),
    }
}

/// Compact JSON of `v` with object keys sorted.
fn compact_sorted(v: &serde_json::Value) -> Vec<u8> {
    use serde_json::Value;
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let mut out = serde_json::Map::new();
                for k in keys {
                    if let Some(val) = m.get(k) {
                        out.insert(k.clone(), sorted(val));
                    }
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_vec(&sorted(v)).unwrap_or_default()
}

/// What is wrong with a lock file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LockErrorKind {
    /// Not JSON (serde_json's message).
    Syntax(String),
    /// A `version` other than [`VERSION`], or none.
    Version(String),
    /// A digest not of the form `sha256:<64 lowercase hex>`.
    Digest(String),
    /// Anything else of the wrong shape: what was expected.
    Format(String),
}

/// A problem in a lock file, at a span of the lock's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockError {
    /// What is wrong.
    pub kind: LockErrorKind,
    /// Where, in the lock's own bytes.
    pub span: TextRange,
}

impl LockError {
    /// The diagnostic code of this error.
    pub fn code(&self) -> Code {
        match self.kind {
            LockErrorKind::Syntax(_) => Code::LockSyntax,
            LockErrorKind::Version(_) => Code::LockVersion,
            LockErrorKind::Digest(_) => Code::LockDigest,
            LockErrorKind::Format(_) => Code::LockFormat,
        }
    }

    /// The error as a diagnostic, its span moved by `base` (the lock's
    /// offset in the build's [`crate::sources::SourceSet`]).
    pub fn to_diagnostic(&self, base: u32) -> Diagnostic {
        let msg = match &self.kind {
            LockErrorKind::Syntax(m) => format!("the lock file is not valid JSON: {m}"),
            LockErrorKind::Version(m) | LockErrorKind::Digest(m) | LockErrorKind::Format(m) => {
                m.clone()
            }
        };
        let span = TextRange::new(self.span.start + base, self.span.end + base);
        let d = Diagnostic::error(self.code(), msg, span);
        match self.kind {
            LockErrorKind::Syntax(_) | LockErrorKind::Format(_) => d.with_help(
                "write it again with `llb-gen lock`, or build without it: `--opt lock=off`",
            ),
            LockErrorKind::Version(_) => d.with_help(format!(
                "this frontend reads lock version {VERSION}; `llb-gen lock` writes it"
            )),
            LockErrorKind::Digest(_) => d,
        }
    }
}

/// True for `sha256:<64 lowercase hex>`.
pub fn valid_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Parses and validates a lock file's bytes: the lock, or every problem
/// found (a syntax error stops at the first).
pub fn parse(bytes: &[u8]) -> Result<Lock, Vec<LockError>> {
    if bytes.len() > MAX_BYTES {
        let msg = format!("the lock file is larger than {MAX_BYTES} bytes");
        return Err(vec![LockError {
            kind: LockErrorKind::Format(msg),
            span: TextRange::empty(0),
        }]);
    }
    let doc: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            let at = locate::offset_of(bytes, e.line(), e.column());
            let msg = e.to_string();
            // serde_json appends " at line L column C": the location is ours.
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            return Err(vec![LockError {
                kind: LockErrorKind::Syntax(msg),
                span: TextRange::from_usize(at, (at + 1).min(bytes.len()).max(at)),
            }]);
        }
    };
    let mut v = Validator {
        bytes,
        errors: Vec::new(),
    };
    let lock = v.document(&doc);
    if v.errors.is_empty() {
        Ok(lock)
    } else {
        Err(v.errors)
    }
}

struct Validator<'a> {
    bytes: &'a [u8],
    errors: Vec<LockError>,
}

impl Validator<'_> {
    fn push(&mut self, kind: LockErrorKind, path: &[&str], key: bool) {
        let span = locate::find(self.bytes, path, key).unwrap_or(TextRange::empty(0));
        self.errors.push(LockError { kind, span });
    }

    fn format(&mut self, msg: String, path: &[&str], key: bool) {
        self.push(LockErrorKind::Format(msg), path, key);
    }

    fn document(&mut self, doc: &serde_json::Value) -> Lock {
        let mut lock = Lock::new();
        let Some(top) = doc.as_object() else {
            self.format(
                "the lock file must be a JSON object with \"version\" and \"images\"".into(),
                &[],
                false,
            );
            return lock;
        };
        match top.get("version") {
            Some(serde_json::Value::Number(n)) if n.as_u64() == Some(VERSION) => {}
            Some(other) => self.push(
                LockErrorKind::Version(format!("unknown lock version {other}: expected {VERSION}")),
                &["version"],
                false,
            ),
            None => self.push(
                LockErrorKind::Version(format!(
                    "the lock file has no \"version\": expected {VERSION}"
                )),
                &[],
                false,
            ),
        }
        for key in top.keys().filter(|k| *k != "version" && *k != "images") {
            self.format(
                format!("unknown key {key:?}: expected \"version\" and \"images\""),
                &[key],
                true,
            );
        }
        match top.get("images") {
            Some(serde_json::Value::Object(images)) => {
                for (r, platforms) in images {
                    self.reference(&mut lock, r, platforms);
                }
            }
            Some(_) => self.format(
                "\"images\" must be an object: reference -> platform -> {digest, config}".into(),
                &["images"],
                false,
            ),
            None => self.format("the lock file has no \"images\"".into(), &[], false),
        }
        lock
    }

    fn reference(&mut self, lock: &mut Lock, r: &str, platforms: &serde_json::Value) {
        let normalized = match Reference::parse(r) {
            Ok(n) => n.tagged_string(),
            Err(reason) => {
                self.format(
                    format!("{r:?} is not an image reference: {reason}"),
                    &["images", r],
                    true,
                );
                return;
            }
        };
        let Some(platforms) = platforms.as_object() else {
            self.format(
                format!("the entry of {r:?} must be an object: platform -> {{digest, config}}"),
                &["images", r],
                false,
            );
            return;
        };
        for (p, entry) in platforms {
            let path = ["images", r, p];
            let platform = match parse_platform(p, &Platform::linux_amd64()) {
                Ok(pl) if p.contains('/') => pl,
                Ok(_) => {
                    let msg = format!("{p:?} is not a platform: expected os/arch[/variant]");
                    self.format(msg, &path, true);
                    continue;
                }
                Err(e) => {
                    self.format(format!("{p:?} is not a platform: {e}"), &path, true);
                    continue;
                }
            };
            if let Some(img) = self.entry(entry, &path) {
                let key = platform_key(&platform);
                lock.images
                    .entry(normalized.clone())
                    .or_default()
                    .insert(key, img);
            }
        }
    }

    fn entry(&mut self, entry: &serde_json::Value, path: &[&str; 3]) -> Option<LockedImage> {
        let Some(obj) = entry.as_object() else {
            let msg = "an image entry must be an object with \"digest\" and \"config\"";
            self.format(msg.into(), path, false);
            return None;
        };
        for key in obj.keys().filter(|k| *k != "digest" && *k != "config") {
            let msg = format!("unknown key {key:?}: expected \"digest\" and \"config\"");
            self.format(msg, &[path[0], path[1], path[2], key], true);
        }
        let digest = match obj.get("digest") {
            Some(serde_json::Value::String(d)) if valid_digest(d) => Some(d.clone()),
            Some(other) => {
                let msg = format!("{other} is not a digest: expected sha256:<64 lowercase hex>");
                self.push(
                    LockErrorKind::Digest(msg),
                    &[path[0], path[1], path[2], "digest"],
                    false,
                );
                None
            }
            None => {
                self.format("the image entry has no \"digest\"".into(), path, false);
                None
            }
        };
        let config = match obj.get("config") {
            Some(c @ serde_json::Value::Object(_)) => Some(compact_sorted(c)),
            Some(_) => {
                let msg = "\"config\" must be the image config, a JSON object";
                self.format(msg.into(), &[path[0], path[1], path[2], "config"], false);
                None
            }
            None => {
                self.format("the image entry has no \"config\"".into(), path, false);
                None
            }
        };
        Some(LockedImage {
            digest: digest?,
            config: config?,
        })
    }
}

#[cfg(test)]
mod tests;
