//! `replay-launch` (src/launch.rs): it passes the program's exit code on and reports four numbers
//! about the program alone.

use std::process::Command;

fn launch(report: &std::path::Path, program: &[&str]) -> std::process::ExitStatus {
    Command::new(env!("CARGO_BIN_EXE_replay-launch"))
        .arg(report)
        .args(program)
        .status()
        .expect("replay-launch runs")
}

#[test]
fn reports_the_program_and_passes_its_exit_code_on() {
    let dir = std::env::temp_dir().join(format!("replay-launch-test.{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let report = dir.join("report");
    let status = launch(&report, &["sh", "-c", "exit 3"]);
    assert_eq!(status.code(), Some(3));
    let text = std::fs::read_to_string(&report).expect("a report");
    let fields: Vec<i64> = text
        .split_whitespace()
        .map(|f| f.parse().expect("a number"))
        .collect();
    assert_eq!(fields.len(), 4, "{text:?}");
    assert!(fields.iter().all(|&v| v >= 0), "{text:?}");
    // A peak RSS in KiB: sh's, more than nothing.
    assert!(fields[3] > 0, "{text:?}");
    let status = launch(&report, &["/nonexistent/program"]);
    assert_eq!(status.code(), Some(125));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
