//! A deterministic synthetic Dockerfile: `stages` stages of ~14 lines each
//! (500 stages is about 7,000 lines). Stages start FROM an image or an
//! earlier stage and use ARG/ENV/WORKDIR/RUN with mounts/COPY --from/LABEL.

use std::fmt::Write;

/// A small linear congruential generator: same seed, same file.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

const IMAGES: &[&str] = &[
    "alpine:3.20",
    "debian:bookworm-slim",
    "golang:1.23",
    "node:22-alpine",
    "python:3.12-slim",
    "busybox:1.36",
];

pub fn generate(stages: usize) -> String {
    let mut rng = Lcg(0x5eed);
    let mut out = String::with_capacity(stages * 600);
    out.push_str("# syntax=docker/dockerfile:1\nARG VERSION=1.0.0\nARG REGISTRY=docker.io\n");
    for i in 0..stages {
        // A third of the stages build on an earlier stage.
        if i > 0 && rng.next(3) == 0 {
            let parent = rng.next(i);
            let _ = writeln!(out, "FROM s{parent} AS s{i}");
        } else {
            let image = IMAGES[rng.next(IMAGES.len())];
            let _ = writeln!(out, "FROM {image} AS s{i}");
        }
        let _ = writeln!(out, "ARG VERSION");
        let _ = writeln!(out, "ARG STAGE_{i}=value-{i}");
        let _ = writeln!(
            out,
            "ENV APP_HOME=/app/s{i} STAGE=s{i} VERSION=${{VERSION}}"
        );
        let _ = writeln!(out, "WORKDIR $APP_HOME");
        let _ = writeln!(
            out,
            "RUN --mount=type=cache,target=/root/.cache,id=c{} \\\n    --mount=type=tmpfs,target=/tmp \\\n    echo \"building $STAGE $STAGE_{i}\" > /build-{i}.txt",
            i % 7
        );
        let _ = writeln!(out, "COPY src/s{i}/ ./src/");
        if i > 0 {
            let from = rng.next(i);
            let _ = writeln!(out, "COPY --from=s{from} /build-{from}.txt /deps/");
            let _ = writeln!(
                out,
                "RUN --mount=type=bind,from=s{from},source=/,target=/dep ls /dep > /dev/null"
            );
        } else {
            out.push_str("RUN true\nRUN true\n");
        }
        let _ = writeln!(out, "LABEL stage=s{i} version=$VERSION");
        let _ = writeln!(out, "USER 1000:1000");
        let _ = writeln!(out, "EXPOSE {}", 8000 + i % 1000);
    }
    // The final stage pulls in many earlier stages so most of the graph is built.
    out.push_str("FROM alpine:3.20 AS final\n");
    for i in (0..stages).step_by(3) {
        let _ = writeln!(out, "COPY --from=s{i} /build-{i}.txt /out/");
    }
    out.push_str("CMD [\"ls\", \"/out\"]\n");
    out
}
