//! The on-disk cache of image configs: an image's config by the digest its reference resolved to
//! (the manifest's, or the index's) and the platform. Both are content addresses, so an entry
//! never goes stale: the resolver still asks the registry what a tag points to on every run (one
//! manifest GET), and a moved tag has a new digest, hence a miss and the new config. What the
//! cache saves is the rest of a resolution: the config GET (and for an index the platform's
//! manifest). A reference pinned by digest needs no request at all on a hit.
//!
//! Where: `$LLB_GEN_CACHE_DIR`, else `$XDG_CACHE_HOME/llb-gen`, else `$HOME/.cache/llb-gen`, in
//! `image-configs/`. Off with `LLB_GEN_IMAGE_CACHE=off` (or `--no-image-cache`). An entry is the
//! config's digest on the first line and the config's bytes, checked on every read; a missing,
//! unreadable or damaged entry is a miss, and a cache that cannot be written is no cache.
//!
//! Beside it, in `image-tags/`, the digest each reference last resolved to on a platform
//! ([`ConfigCache::last_digest`]). That one can go stale (tags move), so it is only ever a guess:
//! the resolver answers the converter with it while the registry is still being asked, and the
//! run is converted again if the registry's answer differs (registry.rs, `confirm`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use llb_gen::convert::Platform;
use sha2::{Digest as _, Sha256};

/// The cache directory of this run.
#[derive(Debug)]
pub(crate) struct ConfigCache {
    dir: PathBuf,
    /// Where the last digest of each reference is kept.
    tags: PathBuf,
    /// The tag records this run has read or written, by file name: each is read once (the
    /// early GET's `If-None-Match`, a guess and the record of the answer all ask).
    seen: Mutex<HashMap<String, Option<String>>>,
}

impl ConfigCache {
    /// The cache the environment asks for, `None` when it is off or has no home.
    pub(crate) fn from_env() -> Option<ConfigCache> {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        if var("LLB_GEN_IMAGE_CACHE").is_some_and(|v| v == "off" || v == "0" || v == "false") {
            return None;
        }
        let base = var("LLB_GEN_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| var("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("llb-gen")))
            .or_else(|| var("HOME").map(|d| PathBuf::from(d).join(".cache/llb-gen")))?;
        Some(ConfigCache::at(&base))
    }

    /// The cache under `base`.
    fn at(base: &std::path::Path) -> ConfigCache {
        ConfigCache {
            dir: base.join("image-configs"),
            tags: base.join("image-tags"),
            seen: Mutex::default(),
        }
    }

    /// The digest `reference` resolved to on `platform` when it was last resolved, if recorded.
    /// An entry repeats its reference and platform, and is taken only when both match.
    pub(crate) fn last_digest(&self, reference: &str, platform: &Platform) -> Option<String> {
        let (name, head) = tag_entry(reference, platform)?;
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.entry(name)
            .or_insert_with_key(|name| {
                let text = std::fs::read_to_string(self.tags.join(name)).ok()?;
                let digest = text.strip_prefix(&head)?.strip_suffix('\n')?;
                is_digest(digest).then(|| digest.to_string())
            })
            .clone()
    }

    /// Records that `reference` resolved to `digest` on `platform` (only when that is news).
    pub(crate) fn remember(&self, reference: &str, platform: &Platform, digest: &str) {
        if !is_digest(digest) || self.last_digest(reference, platform).as_deref() == Some(digest) {
            return;
        }
        let Some((name, mut entry)) = tag_entry(reference, platform) else {
            return;
        };
        entry.push_str(digest);
        entry.push('\n');
        write_entry(&self.tags, &name, entry.as_bytes());
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.insert(name, Some(digest.to_string()));
    }

    /// The config cached for `digest` on `platform`, if a sound entry is there.
    pub(crate) fn get(&self, digest: &str, platform: &Platform) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.dir.join(entry_name(digest, platform)?)).ok()?;
        let newline = bytes.iter().position(|&b| b == b'\n')?;
        let (head, config) = (&bytes[..newline], &bytes[newline + 1..]);
        (head == sha256_digest(config).as_bytes()).then(|| config.to_vec())
    }

    /// Keeps `config` for `digest` on `platform` (written aside, then renamed into place, so a
    /// reader never sees half an entry); failures are ignored.
    pub(crate) fn put(&self, digest: &str, platform: &Platform, config: &[u8]) {
        let Some(name) = entry_name(digest, platform) else {
            return;
        };
        let mut entry = sha256_digest(config).into_bytes();
        entry.push(b'\n');
        entry.extend_from_slice(config);
        write_entry(&self.dir, &name, &entry);
    }
}

/// Writes `dir/name` aside, then renames it into place, so a reader never sees half an entry;
/// failures are ignored.
fn write_entry(dir: &std::path::Path, name: &str, entry: &[u8]) {
    let tmp = dir.join(format!(".{name}.{}", std::process::id()));
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&tmp, entry))
        .and_then(|()| std::fs::rename(&tmp, dir.join(name)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// The file name of `reference`'s entry on `platform` (the SHA-256 of both) and the entry's
/// first two lines, which name them; `None` for a platform with an OS version (not cached).
fn tag_entry(reference: &str, platform: &Platform) -> Option<(String, String)> {
    if platform.os_version.is_some() || reference.contains('\n') {
        return None;
    }
    let head = format!(
        "{reference}\n{}/{}/{}\n",
        platform.os,
        platform.architecture,
        platform.variant.as_deref().unwrap_or("")
    );
    let name = sha256_digest(head.as_bytes());
    Some((name.trim_start_matches("sha256:").to_string(), head))
}

/// `sha256:` and 64 lower-case hex digits.
fn is_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// `<hex>-<os>-<arch>[-<variant>]` for a `sha256:<hex>` digest and a platform of plain names;
/// `None` for anything else (nothing is cached for it).
fn entry_name(digest: &str, platform: &Platform) -> Option<String> {
    let hex = digest.strip_prefix("sha256:")?;
    let word = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
    };
    let hex_ok = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    let mut name = format!("{hex}-{}-{}", platform.os, platform.architecture);
    // The OS version plays no part in the choice of an index entry here; such a platform is
    // left uncached rather than keyed by a part that does not decide.
    if !hex_ok
        || !word(&platform.os)
        || !word(&platform.architecture)
        || platform.os_version.is_some()
    {
        return None;
    }
    if let Some(v) = &platform.variant {
        if !word(v) {
            return None;
        }
        name.push('-');
        name.push_str(v);
    }
    Some(name)
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::ConfigCache;
    use llb_gen::convert::Platform;

    fn amd64() -> Platform {
        Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
            os_version: None,
        }
    }

    #[test]
    fn entries_round_trip_and_damage_is_a_miss() {
        let dir = std::env::temp_dir().join(format!("llb-gen-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (base, dir) = (dir.clone(), dir.join("image-configs"));
        let cache = ConfigCache::at(&base);
        let d = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(cache.get(&d, &amd64()), None);
        cache.put(&d, &amd64(), b"{\"os\":\"linux\"}");
        assert_eq!(
            cache.get(&d, &amd64()).as_deref(),
            Some(&b"{\"os\":\"linux\"}"[..])
        );
        let arm = Platform {
            architecture: "arm64".into(),
            ..amd64()
        };
        assert_eq!(cache.get(&d, &arm), None, "the platform is part of the key");
        let entry = dir.join(format!("{}-linux-amd64", "ab".repeat(32)));
        let mut bytes = std::fs::read(&entry).unwrap();
        *bytes.last_mut().unwrap() = b'!';
        std::fs::write(&entry, bytes).unwrap();
        assert_eq!(cache.get(&d, &amd64()), None, "a damaged entry is a miss");
        cache.put("sha256:short", &amd64(), b"{}");
        cache.put(
            &d,
            &Platform {
                os: "../x".into(),
                ..amd64()
            },
            b"{}",
        );
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "nothing else written"
        );
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn last_digests_are_kept_per_reference_and_platform() {
        let base = std::env::temp_dir().join(format!("llb-gen-tags-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let cache = ConfigCache::at(&base);
        let (a, b) = (
            format!("sha256:{}", "ab".repeat(32)),
            format!("sha256:{}", "cd".repeat(32)),
        );
        let r = "localhost:5000/app:1";
        assert_eq!(cache.last_digest(r, &amd64()), None);
        cache.remember(r, &amd64(), &a);
        assert_eq!(cache.last_digest(r, &amd64()), Some(a.clone()));
        cache.remember(r, &amd64(), &b);
        assert_eq!(
            cache.last_digest(r, &amd64()),
            Some(b.clone()),
            "a moved tag"
        );
        let arm = Platform {
            architecture: "arm64".into(),
            ..amd64()
        };
        assert_eq!(
            cache.last_digest(r, &arm),
            None,
            "the platform is part of the key"
        );
        assert_eq!(cache.last_digest("localhost:5000/app:2", &amd64()), None);
        cache.remember("localhost:5000/app:2", &amd64(), "sha256:short");
        assert_eq!(cache.last_digest("localhost:5000/app:2", &amd64()), None);
        // An entry whose text names another reference (a damaged file) is not taken.
        let (name, _) = super::tag_entry(r, &amd64()).unwrap();
        let entry = base.join("image-tags").join(name);
        std::fs::write(
            &entry,
            format!("localhost:5000/other:1\nlinux/amd64/\n{a}\n"),
        )
        .unwrap();
        // (As the next run reads it: a run reads each record once.)
        assert_eq!(ConfigCache::at(&base).last_digest(r, &amd64()), None);
        let _ = std::fs::remove_dir_all(&base);
    }
}
