//! End-to-end cases: what users see when a build fails.
//! Listed for the engines at the end of `e2e.rs`, with the harness they use.

use super::*;

pub(crate) fn syntax_error_shows_the_offending_line(env: &Env) {
    let ctx = Ctx::new(
        env,
        "syntax-error",
        "FROM {{BASE}}\nRUN echo fine\nNOTANINSTRUCTION some args\nRUN echo never\n",
    );
    let r = env.build_raw(&ctx, &[]);
    assert!(!r.status.success());
    let t = text(&r);
    assert!(
        t.to_lowercase().contains("notaninstruction"),
        "the output must name the offending instruction:\n{t}"
    );
    // The line number of the offending line (3, or 4 with the syntax line).
    let line = if env.builtin() { 3 } else { 4 };
    assert!(
        t.contains(&format!("line {line}")) || t.contains(&format!("Dockerfile:{line}")),
        "line {line} shown:\n{t}"
    );
    // Docker 20.10's CLI does not print errdefs.Source snippets (not even for the built-in
    // frontend's RUN failures), so the message itself must carry the line: its number and
    // the instruction. The Source detail is checked by the protocol tests.
}

pub(crate) fn failing_run_shows_command_and_exit_code(env: &Env) {
    let ctx = Ctx::new(
        env,
        "run-error",
        "FROM {{BASE}}\nRUN echo fine\nRUN echo about to fail && exit 3\n",
    );
    let r = env.build_raw(&ctx, &[]);
    assert!(!r.status.success());
    let t = text(&r);
    assert!(t.contains("about to fail"), "{t}");
    assert!(t.contains("exit code: 3"), "{t}");
}
