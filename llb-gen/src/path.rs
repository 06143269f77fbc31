//! Slash-separated path helpers with Go's `path` package semantics (BuildKit
//! paths are always `/`-separated, whatever the host).

/// Go's `path.Clean`: lexical clean-up of `.`, `..` and repeated slashes;
/// `""` becomes `"."`.
pub(crate) fn clean(p: &str) -> String {
    if is_clean(p) {
        return p.to_string();
    }
    clean_unclean(p)
}

/// [`clean`] of a path [`is_clean`] refused.
fn clean_unclean(p: &str) -> String {
    let rooted = p.starts_with('/');
    // The kept segments are written as they come: `out` is their join, and
    // a `..` takes the last one back off unless it is a `..` itself (those
    // lead a relative path, so `poppable` counts the others).
    let mut out = String::with_capacity(p.len() + 1);
    let mut poppable = 0usize;
    for seg in segments(p) {
        match seg {
            "" | "." => {}
            ".." if poppable > 0 => {
                out.truncate(out.rfind('/').unwrap_or(0));
                poppable -= 1;
            }
            ".." if rooted => {}
            s => {
                if rooted || !out.is_empty() {
                    out.push('/');
                }
                out.push_str(s);
                poppable += usize::from(s != "..");
            }
        }
    }
    if out.is_empty() {
        out.push(if rooted { '/' } else { '.' });
    }
    out
}

/// The `/`-separated segments of `p`, found over the bytes (a `/` is never
/// part of a multi-byte character).
fn segments(p: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(p);
    std::iter::from_fn(move || {
        let s = rest?;
        match s.bytes().position(|b| b == b'/') {
            Some(i) => {
                rest = s.get(i + 1..);
                s.get(..i)
            }
            None => rest.take(),
        }
    })
}

/// [`clean`] of a path made for it: the path itself when it is clean already (no copy).
pub(crate) fn clean_owned(p: String) -> String {
    if is_clean(&p) {
        p
    } else {
        clean_unclean(&p)
    }
}

/// [`clean`], borrowing `p` when it is clean already (no copy).
pub(crate) fn clean_cow(p: &str) -> std::borrow::Cow<'_, str> {
    if is_clean(p) {
        std::borrow::Cow::Borrowed(p)
    } else {
        std::borrow::Cow::Owned(clean(p))
    }
}

/// Whether [`clean`] would return `p` unchanged: not empty, no empty, `.`
/// or `..` segment, no trailing slash (except `/` itself).
fn is_clean(p: &str) -> bool {
    if p == "/" {
        return true;
    }
    let body = p.strip_prefix('/').unwrap_or(p).as_bytes();
    if body.is_empty() {
        return false;
    }
    // Over the bytes (every path of every COPY, WORKDIR and mount comes through here): a `/`
    // is never part of a multi-byte character.
    let mut start = 0;
    for end in 0..=body.len() {
        if end == body.len() || body[end] == b'/' {
            if matches!(&body[start..end], b"" | b"." | b"..") {
                return false;
            }
            start = end + 1;
        }
    }
    true
}

/// Go's `path.Join`: the non-empty elements joined with `/` and cleaned;
/// `""` when every element is empty.
pub(crate) fn join(parts: &[&str]) -> String {
    let mut joined = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for p in parts.iter().filter(|p| !p.is_empty()) {
        if !joined.is_empty() {
            joined.push('/');
        }
        joined.push_str(p);
    }
    if joined.is_empty() {
        joined
    } else {
        clean_owned(joined)
    }
}

/// Go's `path.Base`: the last element (`.` for `""`, `/` for slashes only).
pub(crate) fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_string();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// Go's `system.NormalizePath(parent, p, keepSlash)` for Unix paths: `p`
/// made absolute against `parent` and cleaned; with `keep_slash`, a trailing
/// `/` or `/.` of `p` is kept (it matters for copy destinations).
pub(crate) fn normalize(parent: &str, p: &str, keep_slash: bool) -> String {
    let mut out = if p.starts_with('/') {
        clean(p)
    } else {
        let mut joined = String::with_capacity(parent.len() + p.len() + 2);
        joined.push('/');
        joined.push_str(parent);
        joined.push('/');
        joined.push_str(p);
        clean_owned(joined)
    };
    if keep_slash {
        if p.ends_with('/') && !out.ends_with('/') {
            out.push('/');
        } else if p.ends_with("/.") {
            if out != "/" {
                out.push('/');
            }
            out.push('.');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{base, clean, join, normalize};

    #[test]
    fn joins_and_bases_like_go() {
        assert_eq!(join(&["/app", "."]), "/app");
        assert_eq!(join(&["/", "."]), "/");
        assert_eq!(join(&["", "a", "", "b/../c"]), "a/c");
        assert_eq!(join(&["", ""]), "");
        assert_eq!(base("/run/secrets/x"), "x");
        assert_eq!(base("x/"), "x");
        assert_eq!(base("/"), "/");
        assert_eq!(base(""), ".");
    }

    #[test]
    fn normalizes_like_go() {
        assert_eq!(normalize("/app", "sub/", true), "/app/sub/");
        assert_eq!(normalize("/app", ".", true), "/app");
        assert_eq!(normalize("/app", "./", true), "/app/");
        assert_eq!(normalize("/app", "x/.", true), "/app/x/.");
        assert_eq!(normalize("/app", "../x", false), "/x");
        assert_eq!(normalize("/app", "", false), "/app");
        assert_eq!(normalize("/", "/usr/bin/", false), "/usr/bin");
    }

    /// The segment-stack reading of Go's `path.Clean` that [`clean`] replaced.
    fn clean_by_stack(p: &str) -> String {
        let rooted = p.starts_with('/');
        let mut parts: Vec<&str> = Vec::new();
        for seg in p.split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    if parts.last().is_some_and(|l| *l != "..") {
                        parts.pop();
                    } else if !rooted {
                        parts.push("..");
                    }
                }
                s => parts.push(s),
            }
        }
        let joined = parts.join("/");
        match (rooted, joined.is_empty()) {
            (true, _) => format!("/{joined}"),
            (false, true) => ".".to_string(),
            (false, false) => joined,
        }
    }

    /// Every path of up to eight characters of `/`, `.` and `a`.
    #[test]
    fn cleans_like_the_segment_stack() {
        let mut paths = vec![String::new()];
        for _ in 0..8 {
            let longer: Vec<String> = paths
                .iter()
                .flat_map(|p| ['/', '.', 'a'].map(|c| format!("{p}{c}")))
                .collect();
            for p in &longer {
                assert_eq!(clean(p), clean_by_stack(p), "{p:?}");
            }
            paths = longer;
        }
    }

    #[test]
    fn cleans_like_go() {
        for (input, want) in [
            ("", "."),
            ("/", "/"),
            ("a/b/../c/./d/", "a/c/d"),
            ("/../x", "/x"),
            ("../../x", "../../x"),
            ("//a//b", "/a/b"),
            ("a/..", "."),
            ("..", ".."),
            (".", "."),
            ("a", "a"),
            ("/a/b", "/a/b"),
            ("a/b/", "a/b"),
            ("/a/.", "/a"),
            ("/..", "/"),
        ] {
            assert_eq!(clean(input), want, "{input:?}");
        }
    }
}
