//! Parse time of a large generated Dockerfile (500 stages, ~7,000 lines).
//!
//! Run with `cargo bench -p llb-gen --bench parse` (a plain `harness = false`
//! binary: it prints the median of several runs).

#![allow(clippy::print_stdout)] // printing the timing is the point

use std::time::{Duration, Instant};

fn generate() -> String {
    let mut s = String::from("# syntax=docker/dockerfile:1\nARG BASE=alpine:3.20\n");
    for i in 0..500u32 {
        s.push_str(&format!(
            "\n# stage {i}\nFROM --platform=$BUILDPLATFORM ${{BASE}} AS s{i}\n"
        ));
        s.push_str("ENV A=1 B=\"two words\" C=3\nARG X Y=z\nWORKDIR /src\n");
        s.push_str(&format!("COPY --from=s{} /out /in\n", i.saturating_sub(1)));
        s.push_str("RUN --mount=type=cache,target=/root/.cache \\\n    apt-get update && \\\n    apt-get install -y curl\n");
        s.push_str("RUN <<EOF\nset -e\necho building\nEOF\n");
        s.push_str("CMD [\"/bin/sh\", \"-c\", \"echo hi\"]\n");
    }
    s
}

fn main() {
    let src = generate();
    let lines = src.lines().count();
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        let parsed = llb_gen::syntax::parse(std::hint::black_box(&src));
        times.push(t.elapsed());
        assert!(parsed.errors.is_empty());
        std::hint::black_box(parsed);
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "parse: {lines} lines, {} bytes: median {:.3} ms (min {:.3} ms)",
        src.len(),
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3
    );
}
