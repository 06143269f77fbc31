//! Git source URLs of `ADD` (upstream `dfgitutil.ParseGitRef`, §1.9).

/// A parsed Git source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct GitRef {
    /// The remote without query and fragment (`git.fullurl`).
    pub remote: String,
    /// `host/path` of the remote (the source identifier).
    pub host_path: String,
    /// An SSH remote (`ssh://` or `user@host:path`).
    pub ssh: bool,
    pub reference: String,
    pub subdir: String,
    pub checksum: Option<String>,
    pub keep_git_dir: Option<bool>,
    pub skip_submodules: bool,
    pub mtime: Option<String>,
    pub fetch_by_commit: bool,
}

/// `Some` when `src` is a Git URL (then `Err` when its query is invalid).
pub(super) fn parse_git_ref(src: &str) -> Option<Result<GitRef, String>> {
    if src.starts_with("./") || src.starts_with("../") {
        return None;
    }
    let (before_frag, fragment) = match crate::text::split_once_ascii(src, b'#') {
        Some((a, f)) => (a, Some(f)),
        None => (src, None),
    };
    let (remote, query) = match crate::text::split_once_ascii(before_frag, b'?') {
        Some((a, q)) => (a, Some(q)),
        None => (before_frag, None),
    };
    let (host_path, ssh) = if let Some(rest) = remote
        .strip_prefix("https://")
        .or_else(|| remote.strip_prefix("http://"))
    {
        if !remote.ends_with(".git") {
            return None;
        }
        (strip_user(rest), false)
    } else if let Some(rest) = remote.strip_prefix("git://") {
        (strip_user(rest), false)
    } else if let Some(rest) = remote.strip_prefix("ssh://") {
        (strip_user(rest), true)
    } else if let Some((user_host, path)) = scp_like(remote) {
        (format!("{}:{path}", strip_user(user_host)), true)
    } else {
        return None;
    };
    Some(finish(remote, host_path, ssh, fragment, query))
}

/// `user@host:path` (no scheme, `@` before the first `:`).
fn scp_like(s: &str) -> Option<(&str, &str)> {
    let (host, path) = s.split_once(':')?;
    (host.contains('@') && !host.contains('/') && !path.is_empty()).then_some((host, path))
}

fn strip_user(s: &str) -> String {
    let end = s.find('/').unwrap_or(s.len());
    match s[..end].rfind('@') {
        Some(i) => s[i + 1..].to_string(),
        None => s.to_string(),
    }
}

fn parse_bool(key: &str, v: &str) -> Result<bool, String> {
    match v {
        "" | "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(format!("invalid {key} value {v:?}")),
    }
}

fn finish(
    remote: &str,
    host_path: String,
    ssh: bool,
    fragment: Option<&str>,
    query: Option<&str>,
) -> Result<GitRef, String> {
    let mut g = GitRef {
        remote: remote.to_string(),
        host_path,
        ssh,
        ..GitRef::default()
    };
    if let Some(f) = fragment {
        let (r, sub) = f.split_once(':').unwrap_or((f, ""));
        g.reference = r.to_string();
        g.subdir = sub.to_string();
    }
    let Some(query) = query else {
        return Ok(g);
    };
    let mut seen = std::collections::BTreeSet::new();
    let (mut tag, mut branch) = (None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if !seen.insert(k.to_string()) {
            return Err(format!("duplicate query parameter {k:?}"));
        }
        let boolean = matches!(k, "keep-git-dir" | "submodules" | "fetch-by-commit");
        if v.is_empty() && !boolean {
            return Err(format!("query parameter {k:?} requires a value"));
        }
        match k {
            "ref" => {
                if !g.reference.is_empty() && g.reference != v {
                    return Err(format!("ref conflict: {:?} vs {v:?}", g.reference));
                }
                g.reference = v.to_string();
            }
            "tag" => tag = Some(v.to_string()),
            "branch" => branch = Some(v.to_string()),
            "subdir" => {
                if !g.subdir.is_empty() && g.subdir != v {
                    return Err(format!("subdir conflict: {:?} vs {v:?}", g.subdir));
                }
                g.subdir = v.to_string();
            }
            "checksum" | "commit" => g.checksum = Some(v.to_string()),
            "keep-git-dir" => g.keep_git_dir = Some(parse_bool(k, v)?),
            "submodules" => g.skip_submodules = !parse_bool(k, v)?,
            "fetch-by-commit" => g.fetch_by_commit = parse_bool(k, v)?,
            "mtime" if v == "checkout" || v == "commit" => g.mtime = Some(v.to_string()),
            _ => return Err(format!("unexpected query parameter {k:?}")),
        }
    }
    let prefixed = match (tag, branch) {
        (Some(_), Some(_)) => return Err("tag and branch cannot be used together".into()),
        (Some(t), None) if t.starts_with("refs/tags/") => Some(t),
        (Some(t), None) => Some(format!("refs/tags/{t}")),
        (None, Some(b)) if b.starts_with("refs/heads/") => Some(b),
        (None, Some(b)) => Some(format!("refs/heads/{b}")),
        (None, None) => None,
    };
    if let Some(r) = prefixed {
        if !g.reference.is_empty() && g.reference != r {
            return Err(format!("ref conflict: {:?} vs {r:?}", g.reference));
        }
        g.reference = r;
    }
    Ok(g)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_fragment_and_query_forms() {
        let g = parse_git_ref("https://github.com/a/b.git#v1:sub")
            .unwrap()
            .unwrap();
        assert_eq!(g.host_path, "github.com/a/b.git");
        assert_eq!((g.reference.as_str(), g.subdir.as_str()), ("v1", "sub"));
        let g = parse_git_ref("https://github.com/a/b.git?ref=v2&keep-git-dir=1")
            .unwrap()
            .unwrap();
        assert_eq!(g.remote, "https://github.com/a/b.git");
        assert_eq!((g.reference.as_str(), g.keep_git_dir), ("v2", Some(true)));
        let g = parse_git_ref("git@github.com:a/b.git").unwrap().unwrap();
        assert!(g.ssh);
        assert_eq!(g.host_path, "github.com:a/b.git");
        assert!(parse_git_ref("https://example.com/file.tar.gz").is_none());
        assert!(parse_git_ref("./x.git").is_none());
        assert!(parse_git_ref("https://h/a.git?bogus=1").unwrap().is_err());
        let g = parse_git_ref("https://h/a.git?tag=v1").unwrap().unwrap();
        assert_eq!(g.reference, "refs/tags/v1");
    }
}
