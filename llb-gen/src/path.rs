//! Slash-separated path helpers with Go's `path` package semantics (BuildKit
//! paths are always `/`-separated, whatever the host).

/// Go's `path.Clean`: lexical clean-up of `.`, `..` and repeated slashes;
/// `""` becomes `"."`.
pub fn clean(p: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::clean;

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
        ] {
            assert_eq!(clean(input), want, "{input:?}");
        }
    }
}
