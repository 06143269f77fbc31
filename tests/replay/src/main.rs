//! `replay`: the frontend's own cost, ours against upstream's binary, under one fake LLBBridge
//! (docs/performance-history.md, "The replay harness"; driven by `scripts/bench-replay`).
//!
//! ```text
//! replay record --name NAME [--dir DIR] [--file PATH=FILE]... [--image REF]... [--opt K=V]...
//!     prints a recording (JSON): the files of DIR and the named files, the answer for each image
//!     reference, the frontend options
//! replay run --recording FILE --frontend BIN [--opt K=V]... [--expect build|check|error]
//!            [--launcher REPLAY_LAUNCH]
//!     runs BIN once against the recording (started by REPLAY_LAUNCH, a static build of
//!     src/launch.rs, which measures it alone); prints one tab-separated line:
//!     wall_us user_us sys_us max_rss_kib what-it-returned calls
//!     and exits 1 (with the reason and the frontend's log on stderr) if the run does not count
//! replay proxy FRONTEND
//!     as the entrypoint of a frontend image: runs FRONTEND behind a recording proxy to the engine
//! replay import --name NAME LOG
//!     prints the recording made of the proxy's lines in LOG (the engine's log)
//! ```
#![deny(clippy::print_stdout, clippy::dbg_macro, clippy::unwrap_used)]

mod bridge;
mod proxy;
mod raw_solve;
mod recording;
mod run;
mod verify;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};

use crate::recording::Recording;
use crate::verify::Expect;

const USAGE: &str = "usage: replay record --name NAME [--dir DIR] [--file PATH=FILE]... [--image REF]... [--opt K=V]...\n       replay run --recording FILE --frontend BIN [--opt K=V]... [--expect build|check|error] [--launcher REPLAY_LAUNCH]\n       replay proxy FRONTEND\n       replay import --name NAME LOG";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("record") => record(&args[1..]),
        Some("run") => run(&args[1..]),
        Some("proxy") if args.len() == 2 => proxy(&args[1]),
        Some("import") if args.len() == 4 && args[1] == "--name" => import(&args[2], &args[3]),
        _ => Err(anyhow::anyhow!("{USAGE}")),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("replay: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// `--flag value` pairs, in order.
fn pairs(args: &[String]) -> anyhow::Result<Vec<(&str, &str)>> {
    if args.len() % 2 != 0 {
        bail!("{USAGE}");
    }
    Ok(args
        .chunks(2)
        .map(|p| (p[0].as_str(), p[1].as_str()))
        .collect())
}

fn split_kv(s: &str) -> anyhow::Result<(String, String)> {
    let (k, v) = s
        .split_once('=')
        .with_context(|| format!("{s:?}: expected KEY=VALUE"))?;
    Ok((k.to_string(), v.to_string()))
}

fn record(args: &[String]) -> anyhow::Result<ExitCode> {
    let mut rec = Recording::default();
    for (flag, value) in pairs(args)? {
        match flag {
            "--name" => rec.name = value.to_string(),
            "--dir" => rec.add_dir(&PathBuf::from(value))?,
            "--file" => {
                let (path, file) = split_kv(value)?;
                let text =
                    std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?;
                rec.files.insert(path, text);
            }
            "--image" => rec.add_local_image(value),
            "--opt" => {
                let (k, v) = split_kv(value)?;
                rec.opts.insert(k, v);
            }
            _ => bail!("unknown flag {flag}\n{USAGE}"),
        }
    }
    let json = serde_json::to_string_pretty(&rec)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{json}")?;
    Ok(ExitCode::SUCCESS)
}

fn proxy(frontend: &str) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(proxy::proxy(&PathBuf::from(frontend)))
}

fn import(name: &str, log: &str) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(log).with_context(|| format!("reading {log}"))?;
    let rec = Recording::import(name, &text)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string_pretty(&rec)?)?;
    Ok(ExitCode::SUCCESS)
}

fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let (mut recording, mut frontend, mut expect) = (None, None, Expect::Build);
    let mut launcher: Option<PathBuf> = None;
    let mut opts = BTreeMap::new();
    for (flag, value) in pairs(args)? {
        match flag {
            "--recording" => recording = Some(Recording::load(&PathBuf::from(value))?),
            "--frontend" => frontend = Some(PathBuf::from(value)),
            "--launcher" => launcher = Some(PathBuf::from(value)),
            "--opt" => {
                let (k, v) = split_kv(value)?;
                opts.insert(k, v);
            }
            "--expect" => {
                expect = Expect::parse(value).with_context(|| format!("--expect {value}"))?
            }
            _ => bail!("unknown flag {flag}\n{USAGE}"),
        }
    }
    let (Some(recording), Some(frontend)) = (recording, frontend) else {
        bail!("{USAGE}");
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (m, log) = runtime.block_on(run::replay(
        &frontend,
        recording,
        &opts,
        launcher.as_deref(),
    ))?;
    let calls: Vec<String> = log.counts.iter().map(|(k, n)| format!("{k}={n}")).collect();
    match verify::verify(&log, expect) {
        Ok(what) => {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{what}\t{}",
                m.wall.as_micros(),
                m.user.as_micros(),
                m.sys.as_micros(),
                m.max_rss_kib,
                calls.join(" ")
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => {
            eprintln!(
                "replay: {} does not count: {why}\n  exit code {:?}, calls {}\n--- its log (stderr) ---\n{}",
                frontend.display(),
                m.exit_code,
                calls.join(" "),
                tail(&m.stderr, 40)
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

fn tail(s: &str, lines: usize) -> String {
    let all: Vec<&str> = s.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
