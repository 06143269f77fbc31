//! `cargo bench -p llb-gen --bench convert`: parse and convert time of a
//! synthetic 500-stage Dockerfile. The CLI's peak RSS on the same file is
//! measured by `scripts/bench` (the CLI is the `llb-gen-cli` crate).
//!
//! `cargo bench -p llb-gen --bench convert -- --write PATH [--stages N]` only writes the
//! synthetic Dockerfile (of N stages, default 500: `scripts/bench --plot` draws the scaling);
//! `-- --stages N` alone measures on N stages.

mod synthetic;

use std::time::{Duration, Instant};

use llb_gen::convert::{
    convert_dockerfile, convert_with_host, ConvertOptions, FileAnswer, FileRequest, Host,
    ImageAnswer, ImageRequest, ImageResolver, OfflineResolver,
};
use llb_gen::limits::Limits;

/// The same file split over this many included files (superset INCLUDE).
const PARTS: usize = 50;

/// Included files from memory, images offline.
struct Parts(Vec<(String, String)>);

impl Host for Parts {
    fn resolve_images(&mut self, requests: &[ImageRequest]) -> Vec<ImageAnswer> {
        OfflineResolver.resolve(requests)
    }
    fn read_files(&mut self, requests: &[FileRequest]) -> Vec<FileAnswer> {
        let find = |r: &FileRequest| {
            let hit = self.0.iter().find(|(p, _)| *p == r.path);
            Ok(hit.map(|(_, t)| t.clone().into_bytes()))
        };
        requests.iter().map(find).collect()
    }
}

/// `text` cut at stage boundaries into `PARTS` files: the Dockerfile keeps
/// the global ARGs and includes the parts in order.
fn split(text: &str) -> (String, Vec<(String, String)>) {
    let mut stages: Vec<String> = Vec::new();
    let mut head = String::new();
    for line in text.lines() {
        if line.starts_with("FROM ") {
            stages.push(String::new());
        }
        match stages.last_mut() {
            Some(s) => s.push_str(line),
            None => head.push_str(line),
        }
        match stages.last_mut() {
            Some(s) => s.push('\n'),
            None => head.push('\n'),
        }
    }
    let per = stages.len().div_ceil(PARTS);
    let mut parts = Vec::new();
    for (i, chunk) in stages.chunks(per).enumerate() {
        let path = format!("parts/p{i:02}.Dockerfile");
        head.push_str(&format!("INCLUDE {path}\n"));
        parts.push((path, chunk.concat()));
    }
    (head, parts)
}

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
    let args: Vec<String> = std::env::args().collect();
    let stages = match args.iter().position(|a| a == "--stages") {
        Some(j) => args
            .get(j + 1)
            .and_then(|n| n.parse().ok())
            .expect("--stages N (a number)"),
        None => STAGES,
    };
    if let Some(i) = args.iter().position(|a| a == "--write") {
        let path = args.get(i + 1).expect("--write PATH");
        std::fs::write(path, synthetic::generate(stages)).expect("write synthetic Dockerfile");
        return;
    }
    let text = synthetic::generate(stages);
    let lines = text.lines().count();
    eprintln!(
        "synthetic Dockerfile: {stages} stages, {lines} lines, {} bytes",
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
    let (main, parts) = split(&text);
    let mut split_convert = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let mut host = Parts(parts.clone());
        let c = convert_with_host(main.as_bytes(), &opts, Limits::DEFAULT, &mut host)
            .expect("the split file converts");
        split_convert.push(t.elapsed());
        std::hint::black_box(c);
    }
    eprintln!("parse + lower ({ROUNDS} rounds): {}", summary(parse));
    eprintln!(
        "convert_dockerfile, offline, incl. parse ({ROUNDS} rounds): {}",
        summary(convert.clone())
    );
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64()
    };
    let ratio = median(split_convert.clone()) / median(convert);
    eprintln!(
        "convert, split over {PARTS} included files ({ROUNDS} rounds): {} ({ratio:.2}x unsplit)",
        summary(split_convert)
    );
}
