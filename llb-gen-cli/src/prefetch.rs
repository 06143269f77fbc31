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
    let mut found = Found::default();
    // The newlines found as the converter's line index finds them (without asking the CPU for
    // AVX2 first: `llb_gen::text::line_starts`).
    let starts = llb_gen::text::line_starts(dockerfile);
    for (i, &start) in starts.iter().enumerate() {
        let end = starts
            .get(i + 1)
            .map_or(dockerfile.len(), |&next| next as usize - 1);
        let raw = dockerfile.get(start as usize..end).unwrap_or_default();
        // Only a line whose first word may be `FROM` is read as text (the whole file through
        // `from_utf8_lossy` and `lines` was a third of the online mode's own CPU time on the
        // 500-stage file). A non-ASCII byte first may be white space `trim` removes: read too.
        let rest = raw.trim_ascii_start();
        if rest.first().is_some_and(u8::is_ascii)
            && !rest
                .get(..4)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"from"))
        {
            continue;
        }
        found.line(String::from_utf8_lossy(raw).trim());
    }
    found.out
}

/// The stage names (lower case: a set, a 500-stage file has 500 of them to look up in) and
/// images seen so far, as written and normalized.
#[derive(Default)]
struct Found {
    stages: std::collections::HashSet<String>,
    /// The images as written: a file names few, on many lines (normalizing each line's was a
    /// third of the scan on the 500-stage file).
    written: Vec<String>,
    out: Vec<String>,
}

impl Found {
    /// One line of the file, trimmed.
    fn line(&mut self, line: &str) {
        if line.ends_with('\\') || line.ends_with('`') {
            return; // continued: its words are not all on this line
        }
        let mut words = line.split_ascii_whitespace();
        if !words.next().is_some_and(|w| w.eq_ignore_ascii_case("FROM")) {
            return;
        }
        let Some(image) = words.next() else { return };
        let alias = match (words.next(), words.next()) {
            (Some(kw), Some(name)) if kw.eq_ignore_ascii_case("AS") => {
                Some(name.to_ascii_lowercase())
            }
            _ => None,
        };
        let known_stage = self.stages.contains(&image.to_ascii_lowercase());
        if let Some(name) = alias {
            self.stages.insert(name);
        }
        if image.starts_with("--")
            || known_stage
            || image.eq_ignore_ascii_case("scratch")
            || self.written.iter().any(|w| w == image)
        {
            return;
        }
        self.written.push(image.to_string());
        if let Some(r) = normalize(image) {
            if !self.out.contains(&r) {
                self.out.push(r);
            }
        }
    }
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
    fn lines_are_read_as_the_converter_trims_them() {
        // Unicode white space before FROM (trimmed like the rest), bytes that are not UTF-8 on
        // other lines, a first word that only starts with FROM, CRLF and no final newline.
        let file =
            b"\xc2\xa0FROM busybox:1.36\r\nRUN echo \xff\xfe\nFROMx alpine\n  from debian:12";
        assert_eq!(
            literal_bases(file),
            [
                "docker.io/library/busybox:1.36",
                "docker.io/library/debian:12"
            ]
        );
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
