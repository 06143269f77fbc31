//! `replay-launch REPORT PROGRAM [ARG]...`: runs PROGRAM with this process's stdin, stdout,
//! stderr and environment, waits for it, writes `wall_us user_us sys_us max_rss_kib` of PROGRAM
//! alone to the file REPORT, and exits with its exit code (128 + the signal that ended it).
//!
//! Why a process between the harness and the frontend: Linux reports as a process's peak RSS
//! the larger of its own and the peak of the address space it was started from (exec records
//! the old one's high-water mark, and a child starts from a copy of, or a share in, its
//! parent's). Started by the harness, a frontend smaller than the harness was reported at the
//! harness's size: about 4 MB for every small build. Built static (scripts/bench-replay), this
//! launcher is well under a megabyte, so the figure is the frontend's own. The wall time is
//! measured here too, from the spawn to the exit, so the launcher's own start is not in it.

use std::fs;
use std::process::{Command, ExitCode};
use std::time::Instant;

use nix::sys::resource::{getrusage, UsageWho};

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("replay-launch: {e}");
            ExitCode::from(125)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let mut args = std::env::args_os().skip(1);
    let (Some(report), Some(program)) = (args.next(), args.next()) else {
        return Err("usage: replay-launch REPORT PROGRAM [ARG]...".into());
    };
    let started = Instant::now();
    let status = Command::new(&program)
        .args(args)
        .status()
        .map_err(|e| format!("starting {}: {e}", program.to_string_lossy()))?;
    let wall = started.elapsed();
    // This process's only child has been reaped: its usage is the children's.
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).map_err(|e| format!("getrusage: {e}"))?;
    let micros = |tv: nix::sys::time::TimeVal| tv.tv_sec() * 1_000_000 + tv.tv_usec();
    let line = format!(
        "{} {} {} {}\n",
        wall.as_micros(),
        micros(usage.user_time()),
        micros(usage.system_time()),
        usage.max_rss()
    );
    fs::write(&report, line).map_err(|e| format!("writing {}: {e}", report.to_string_lossy()))?;
    Ok(exit_code(&status))
}

fn exit_code(status: &std::process::ExitStatus) -> ExitCode {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitCode::from(u8::try_from(code).unwrap_or(255)),
        (None, Some(signal)) => ExitCode::from(u8::try_from(128 + signal).unwrap_or(255)),
        (None, None) => ExitCode::from(255),
    }
}
