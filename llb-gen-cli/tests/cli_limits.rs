//! The CLI at the limits: long instruction chains, the 16 MiB Definition
//! bound, wide environments, unbounded input and unwritable outputs. Each
//! ends in a clean exit (success, or exit 1 with a located error and an
//! empty stdout), never a signal, a partial Definition or a hang.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use std::process::{Command, Output};

use llb_gen::pb;
use prost::Message;

/// Runs `llb-gen --offline <extra> -` with `input` on stdin.
fn convert(input: &[u8], extra: &[&str]) -> Output {
    let mut args = vec!["--offline"];
    args.extend_from_slice(extra);
    args.push("-");
    common::run_stdin(&args, input)
}

fn lines(head: &str, line: &str, n: usize) -> Vec<u8> {
    let mut s = String::from(head);
    for _ in 0..n {
        s.push_str(line);
    }
    s.into_bytes()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit 1 with a located error containing `what`, nothing on stdout.
fn assert_located_failure(out: &Output, what: &str) -> String {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "exit status {:?}: {err}",
        out.status
    );
    assert!(err.contains(what), "{err}");
    assert!(err.contains(" --> <stdin>:"), "not located: {err}");
    assert!(
        out.stdout.is_empty(),
        "{} bytes on stdout",
        out.stdout.len()
    );
    err
}

#[test]
fn the_instruction_limit_of_run_lines_fails_cleanly_at_the_definition_bound() {
    // 99,999 RUN lines + FROM: the documented instruction limit. Their
    // Definition would be ~54 MB; it used to overflow the stack instead.
    let out = convert(&lines("FROM busybox\n", "RUN true\n", 99_999), &[]);
    let err = assert_located_failure(&out, "the build definition would be larger than 16,777,216");
    assert!(err.contains("| RUN true"), "{err}");
}

#[test]
fn twenty_thousand_runs_and_copies_convert() {
    // Past the old crash points (11,000 RUN on a 2 MiB thread, 45,000 on
    // the main thread) in depth, within the 16 MiB bound in size.
    for line in ["RUN true\n", "COPY a b\n"] {
        let out = convert(&lines("FROM busybox\n", line, 20_000), &[]);
        assert!(out.status.success(), "{line}: {}", stderr(&out));
        let def = pb::Definition::decode(&out.stdout[..]).unwrap();
        assert!(def.def.len() > 20_000, "{line}: {} ops", def.def.len());
    }
}

#[test]
fn copy_chains_at_the_instruction_limit_fail_cleanly() {
    let out = convert(&lines("FROM busybox\n", "COPY a b\n", 99_999), &[]);
    assert_located_failure(&out, "the build definition would be larger");
}

#[test]
fn a_hundred_thousand_env_and_arg_lines_convert() {
    for (head, line) in [
        ("FROM busybox\n", "ENV V{i}=x\n"),
        ("FROM busybox\n", "ARG V{i}=x\n"),
        ("", "ARG G{i}=x\n"),
    ] {
        let mut s = String::from(head);
        for i in 0..99_998 {
            s.push_str(&line.replace("{i}", &i.to_string()));
        }
        if head.is_empty() {
            s.push_str("FROM busybox\nRUN echo $G5\n");
        }
        let out = convert(s.as_bytes(), &[]);
        assert!(out.status.success(), "{line}: {}", stderr(&out));
    }
}

#[test]
fn env_doublings_fail_at_the_env_that_crosses_the_bound() {
    let mut s = String::from("FROM busybox\nENV a=xxxxxxxxxxxxxxxx\n");
    for _ in 0..40 {
        s.push_str("ENV a=$a$a\n");
    }
    for i in 0..100 {
        s.push_str(&format!("ENV b{i}=$a\n"));
    }
    s.push_str(&"RUN true\n".repeat(300));
    let out = convert(s.as_bytes(), &[]);
    let err = assert_located_failure(&out, "16,777,216 bytes");
    assert!(err.contains("| ENV a=$a$a"), "{err}");
}

#[test]
fn a_large_env_copied_into_many_runs_fails_at_a_run() {
    // 1 MiB of environment (within the stage bound) into 300 RUNs: 300 MiB
    // of Definition. The first RUN past 16 MiB is named.
    let mut s = String::from("FROM busybox\nENV a=xxxxxxxxxxxxxxxx\n");
    for _ in 0..16 {
        s.push_str("ENV a=$a$a\n");
    }
    s.push_str(&"RUN true\n".repeat(300));
    let out = convert(s.as_bytes(), &[]);
    let err = assert_located_failure(&out, "the build definition would be larger");
    assert!(err.contains("| RUN true"), "{err}");
}

#[test]
fn unbounded_input_is_read_only_to_the_limit() {
    let out = Command::new(env!("CARGO_BIN_EXE_llb-gen"))
        .args(["--offline", "/dev/zero"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("file too large: 8,388,609 bytes or more"),
        "{err}"
    );
    assert!(
        err.len() < 4_096,
        "the code frame is cut: {} bytes",
        err.len()
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn an_unwritable_image_config_fails_before_stdout() {
    let out = convert(
        b"FROM busybox\nRUN true\n",
        &["--image-config", "/nonexistent-dir/config.json"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot write /nonexistent-dir/config.json"));
    assert!(
        out.stdout.is_empty(),
        "{} bytes on stdout",
        out.stdout.len()
    );
}

#[test]
fn a_long_target_against_many_long_stage_names_is_answered() {
    let mut s = String::new();
    for i in 0..9_000 {
        s.push_str(&format!("FROM busybox AS {}{i}\n", "s".repeat(200)));
    }
    let target = "t".repeat(2_000);
    let out = convert(s.as_bytes(), &["--target", &target]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("could not be found"), "{err}");
    assert!(err.len() < 8_192, "{} bytes of diagnostics", err.len());
}

#[test]
fn hundreds_of_errors_are_summarised() {
    let out = convert(&lines("FROM busybox\n", "FORM x\n", 500), &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.matches(" --> <stdin>:").count(), 100, "{err}");
    assert!(
        err.contains("... and 400 more (400 errors, 0 warnings) not shown"),
        "{err}"
    );
}
