//! `cargo bench -p llb-gen --bench convert`: parse and convert time of a
//! synthetic 500-stage Dockerfile, and the peak RSS of the `llb-gen` CLI on
//! it (measured with `/usr/bin/time -v` when available).
//!
//! `cargo bench -p llb-gen --bench convert -- --write PATH` only writes the
//! synthetic Dockerfile.

mod synthetic;

use std::path::PathBuf;
use std::process::Command;
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
    peak_rss(&text);
}

/// Runs the CLI once on the file under `/usr/bin/time -v`.
fn peak_rss(text: &str) {
    let path: PathBuf = std::env::temp_dir().join(format!(
        "llb-gen-synthetic-{}.Dockerfile",
        std::process::id()
    ));
    std::fs::write(&path, text).expect("write synthetic Dockerfile");
    let bin = env!("CARGO_BIN_EXE_llb-gen");
    let t = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-v", bin, "--offline"])
        .arg(&path)
        .output();
    let wall = t.elapsed();
    let _ = std::fs::remove_file(&path);
    match out {
        Ok(out) if out.status.success() => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let rss = stderr
                .lines()
                .find_map(|l| {
                    l.trim()
                        .strip_prefix("Maximum resident set size (kbytes): ")
                })
                .unwrap_or("?");
            eprintln!(
                "llb-gen --offline (CLI, whole process): {:.1} ms wall, peak RSS {rss} KiB, {} bytes of LLB",
                wall.as_secs_f64() * 1e3,
                out.stdout.len()
            );
        }
        Ok(out) => eprintln!("llb-gen failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => eprintln!("/usr/bin/time not available ({e}); peak RSS not measured"),
    }
}
