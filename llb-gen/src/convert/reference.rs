//! Image references normalized like `distribution/reference`
//! (`ParseNormalizedNamed` + `TagNameOnly`).

/// The longest repository path (after the domain, counting an implicit
/// `library/`), as `distribution/reference` allows.
const NAME_MAX: usize = 255;

/// `s` normalized as the converter asks for it (`docker.io/library/alpine:latest`, a digest
/// kept), or `None` when it is not a valid reference: the form of
/// [`super::ImageRequest::reference`], for a host that looks images up before being asked.
pub fn normalize_reference(s: &str) -> Option<String> {
    Reference::parse(s).ok().map(|r| r.tagged_string())
}

/// A parsed, normalized reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reference {
    /// `docker.io/library/alpine`.
    pub name: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Reference {
    /// Parse and normalize; adds `docker.io/` and `library/` like Docker.
    pub(crate) fn parse(s: &str) -> Result<Reference, String> {
        let invalid = || "invalid reference format".to_string();
        if s.is_empty() {
            return Err(invalid());
        }
        let (rest, digest) = match crate::text::split_once_ascii(s, b'@') {
            Some((r, d)) => {
                let (alg, hex) = d.split_once(':').ok_or_else(invalid)?;
                if alg.is_empty() || hex.len() < 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(invalid());
                }
                (r, Some(d.to_string()))
            }
            None => (s, None),
        };
        let last_slash = rest.bytes().rposition(|b| b == b'/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].bytes().rposition(|b| b == b':') {
            Some(i) => (
                &rest[..last_slash + i],
                Some(rest[last_slash + i + 1..].to_string()),
            ),
            None => (rest, None),
        };
        if let Some(t) = &tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
            if !ok {
                return Err(invalid());
            }
        }
        let (domain, path) = split_domain(name);
        if path.is_empty() {
            return Err(invalid());
        }
        for comp in path.split('/') {
            if !valid_path_component(comp) {
                if comp.bytes().any(|b| b.is_ascii_uppercase()) {
                    return Err("repository name must be lowercase".into());
                }
                return Err(invalid());
            }
        }
        if path.len() > NAME_MAX {
            return Err(format!(
                "repository name must not be more than {NAME_MAX} characters (this one has {})",
                path.len()
            ));
        }
        Ok(Reference {
            name: <[&str]>::concat(&[&domain, "/", &path]),
            tag,
            digest,
        })
    }

    /// `name[:tag][@digest]`, adding `:latest` when there is neither.
    pub(crate) fn tagged_string(&self) -> String {
        let len = |p: &Option<String>| p.as_ref().map_or(0, |p| 1 + p.len());
        let mut s = String::with_capacity(
            self.name.len() + ":latest".len().max(len(&self.tag)) + len(&self.digest),
        );
        s.push_str(&self.name);
        match (&self.tag, &self.digest) {
            (Some(t), _) => {
                s.push(':');
                s.push_str(t);
            }
            (None, None) => s.push_str(":latest"),
            _ => {}
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    /// The same reference with `digest` pinned.
    pub(crate) fn with_digest(&self, digest: &str) -> Reference {
        let mut r = self.clone();
        if self.tag.is_none() && self.digest.is_none() {
            r.tag = Some("latest".into());
        }
        r.digest = Some(digest.to_string());
        r
    }

    /// The familiar form (`alpine`, `user/app:1`) used for named contexts.
    pub(crate) fn familiar_name(&self) -> String {
        let n = self.name.strip_prefix("docker.io/").unwrap_or(&self.name);
        n.strip_prefix("library/").unwrap_or(n).to_string()
    }
}

fn split_domain(name: &str) -> (String, String) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            let first = if first == "index.docker.io" {
                "docker.io"
            } else {
                first
            };
            if first == "docker.io" && !rest.contains('/') {
                (first.to_string(), <[&str]>::concat(&["library/", rest]))
            } else {
                (first.to_string(), rest.to_string())
            }
        }
        Some(_) => ("docker.io".into(), name.to_string()),
        None => ("docker.io".into(), <[&str]>::concat(&["library/", name])),
    }
}

fn valid_path_component(c: &str) -> bool {
    // [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        Reference::parse(s)
            .map(|r| r.tagged_string())
            .unwrap_or_else(|e| e)
    }

    #[test]
    fn normalizes() {
        assert_eq!(n("alpine"), "docker.io/library/alpine:latest");
        assert_eq!(n("alpine:3.23"), "docker.io/library/alpine:3.23");
        assert_eq!(n("user/app"), "docker.io/user/app:latest");
        assert_eq!(n("ghcr.io/a/b:1"), "ghcr.io/a/b:1");
        assert_eq!(
            n("localhost:5000/busybox:e2e"),
            "localhost:5000/busybox:e2e"
        );
        assert_eq!(n("docker:-dind"), "invalid reference format");
        assert_eq!(n("Alpine"), "repository name must be lowercase");
        let long = |n: usize| "a".repeat(n);
        // `library/` counts: 247 + 8 = 255.
        assert!(Reference::parse(&long(247)).is_ok());
        assert!(n(&long(248)).starts_with("repository name must not be more than 255 characters"));
        assert!(Reference::parse(&format!("localhost:5000/{}", long(255))).is_ok());
        assert!(n(&format!("localhost:5000/{}:tag", long(256))).contains("has 256"));
        assert!(Reference::parse(&format!("{}/{}", long(100), long(154))).is_ok());
        assert!(n(&format!("{}/{}", long(100), long(155))).contains("has 256"));
        let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(
            n(&format!("alpine@{d}")),
            format!("docker.io/library/alpine@{d}")
        );
    }

    #[test]
    fn long_names_fail_where_they_are_written() {
        let name = "a".repeat(248);
        let sources = [
            format!("FROM {name}\n"),
            format!("FROM scratch\nCOPY --from={name} a b\n"),
            format!("FROM scratch\nRUN --mount=from={name} true\n"),
        ];
        for src in sources {
            let opts = crate::convert::ConvertOptions::default();
            let r =
                crate::convert::convert_dockerfile(&src, &opts, &crate::convert::OfflineResolver);
            let d = r.err().and_then(|mut e| e.pop()).unwrap();
            assert!(
                d.message.contains("must not be more than 255"),
                "{}",
                d.message
            );
            assert!(src[d.span.as_usize()].contains(&name), "{src}");
        }
    }
}
