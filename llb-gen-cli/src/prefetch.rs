//! The base images a Dockerfile names literally, found by a scan of its lines before the
//! converter has parsed it, so that the online resolver can start asking registries while the
//! converter works (issue 15: the registry's answers took as long as the parse before them).
//!
//! This is only a hint. The converter still asks for every image it needs, and the resolver
//! answers it with a prefetched result only when the request is the same (normalized reference
//! and platform) and the prefetch succeeded; anything else is resolved as if there had been no
//! prefetch, and its errors are the ones reported. So the scan may miss images (a `FROM` with a
//! variable, `--platform`, a continuation line, an `INCLUDE`d file: resolved when asked) and may
//! name images the build does not use (a stage the target does not reach, a `FROM` line inside a
//! heredoc): those cost one anonymous resolution whose answer is dropped.

/// The normalized references (as [`llb_gen::convert::ImageRequest::reference`] has them, e.g.
/// `docker.io/library/alpine:3.20`) of the `FROM` lines whose image is written out: no variable,
/// no `--platform` (the request's platform would differ), not `scratch`, not an earlier stage's
/// name. Each once, in file order.
pub(crate) fn literal_bases(dockerfile: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(dockerfile);
    let mut stages: Vec<String> = Vec::new();
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.ends_with('\\') || line.ends_with('`') {
            continue; // continued: its words are not all on this line
        }
        let mut words = line.split_ascii_whitespace();
        if !words.next().is_some_and(|w| w.eq_ignore_ascii_case("FROM")) {
            continue;
        }
        let Some(image) = words.next() else { continue };
        let alias = match (words.next(), words.next()) {
            (Some(kw), Some(name)) if kw.eq_ignore_ascii_case("AS") => {
                Some(name.to_ascii_lowercase())
            }
            _ => None,
        };
        let known_stage = stages.iter().any(|s| s.eq_ignore_ascii_case(image));
        if let Some(name) = alias {
            stages.push(name);
        }
        if image.starts_with("--") || known_stage || image.eq_ignore_ascii_case("scratch") {
            continue;
        }
        if let Some(r) = normalize(image) {
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    out
}

/// The reference as the converter will ask for it ([`llb_gen::convert::normalize_reference`]);
/// `None` for anything it would not take as written (a variable, quotes, upper case: the
/// converter expands or reports those).
fn normalize(image: &str) -> Option<String> {
    if image.contains(['$', '"', '\'']) {
        return None;
    }
    llb_gen::convert::normalize_reference(image)
}

#[cfg(test)]
mod tests {
    use super::{literal_bases, normalize};

    #[test]
    fn references_normalize_like_the_converters() {
        let d = "a".repeat(64);
        let cases = [
            (
                "alpine",
                Some("docker.io/library/alpine:latest".to_string()),
            ),
            ("alpine:3.20", Some("docker.io/library/alpine:3.20".into())),
            ("user/app:1", Some("docker.io/user/app:1".into())),
            (
                "localhost:5000/a/b",
                Some("localhost:5000/a/b:latest".into()),
            ),
            ("ghcr.io/o/r:v1", Some("ghcr.io/o/r:v1".into())),
            (
                &*format!("alpine@sha256:{d}"),
                Some(format!("docker.io/library/alpine@sha256:{d}")),
            ),
            (
                &*format!("alpine:3@sha256:{d}"),
                Some(format!("docker.io/library/alpine:3@sha256:{d}")),
            ),
            ("Alpine", None),
            ("alpine:${V}", None),
            ("\"alpine\"", None),
            ("alpine@sha256:00", None),
            // Docker's other names for its registry, as the converter writes them.
            (
                "index.docker.io/library/alpine",
                Some("docker.io/library/alpine:latest".into()),
            ),
            (
                "docker.io/alpine",
                Some("docker.io/library/alpine:latest".into()),
            ),
        ];
        for (image, want) in cases {
            assert_eq!(normalize(image), want, "{image}");
        }
    }

    #[test]
    fn only_literal_images_of_from_lines() {
        let file = b"# syntax=docker/dockerfile:1\n\
            ARG V=1\n\
            FROM alpine:3.20 AS base\n\
            from base AS two\n\
            FROM --platform=linux/arm64 busybox\n\
            FROM debian:${V}\n\
            FROM scratch\n\
            FROM alpine:3.20\n\
            FROM localhost:5000/x \\\n  AS cont\n\
            RUN echo FROM nope\n\
            \tFROM   golang:1.23   as   Build\r\n\
            FROM build\n";
        assert_eq!(
            literal_bases(file),
            [
                "docker.io/library/alpine:3.20",
                "docker.io/library/golang:1.23"
            ]
        );
    }
}
