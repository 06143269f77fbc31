//! `cargo bench -p llb-gen --bench convert`: parse and convert time of a
//! synthetic 500-stage Dockerfile. The CLI's peak RSS on the same file is
//! measured by `scripts/bench` (the CLI is the `llb-gen-cli` crate).
//!
//! `cargo bench -p llb-gen --bench convert -- --write PATH` only writes the
//! synthetic Dockerfile.

mod synthetic;

use std::time::{Duration, Instant};

use llb_gen::convert::{convert_dockerfile, ConvertOptions, OfflineResolver};

const STAGES: usize = 500;
/// Rounds per measure; the minimum is the least disturbed by other load on
/// a shared machine, the median is reported beside it.
const ROUNDS: usize = 20;

/// `median / min` in milliseconds.
fn summary(mut v: Vec<Duration>) -> String {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "median {:.1} ms, min {:.1} ms",
        ms(v[v.len() / 2]),
        ms(v[0])
    )
}

fn main() {
    let text = synthetic::generate(STAGES);
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--write") {
        let path = args.get(i + 1).expect("--write PATH");
        std::fs::write(path, &text).expect("write synthetic Dockerfile");
        return;
    }
    let lines = text.lines().count();
    eprintln!(
        "synthetic Dockerfile: {STAGES} stages, {lines} lines, {} bytes",
        text.len()
    );

    let mut parse = Vec::new();
    let mut convert = Vec::new();
    let opts = ConvertOptions::default();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let parsed = llb_gen::syntax::parse(&text);
        let lowered = llb_gen::ir::lower(&parsed.dockerfile);
        parse.push(t.elapsed());
        assert!(parsed.errors.is_empty() && lowered.errors.is_empty());
        let t = Instant::now();
        let c = convert_dockerfile(&text, &opts, &OfflineResolver).expect("converts");
        convert.push(t.elapsed());
        std::hint::black_box(c);
    }
    eprintln!("parse + lower ({ROUNDS} rounds): {}", summary(parse));
    eprintln!(
        "convert_dockerfile, offline, incl. parse ({ROUNDS} rounds): {}",
        summary(convert)
    );
}
