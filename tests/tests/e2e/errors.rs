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

/// `<registry>/e2e-panicking-frontend:<nonce>`: our frontend image with
/// `LLBGEN_FRONTEND_TEST_PANIC=convert` (the engines give a frontend its image's `ENV`), pushed
/// once per run; `None` in built-in mode.
fn panicking_frontend(env: &Env) -> Option<String> {
    static IMAGE: OnceLock<Option<String>> = OnceLock::new();
    IMAGE
        .get_or_init(|| {
            let ours = env.frontend.as_ref()?;
            let ctx = Ctx::with_text(
                "panicking-frontend",
                &format!("FROM {ours}\nENV LLBGEN_FRONTEND_TEST_PANIC=convert\n"),
            );
            let tag = format!("{}/e2e-panicking-frontend:{}", env.registry(), nonce());
            env.build_and_push(&ctx, &tag);
            Some(tag)
        })
        .clone()
}

/// A panic in our frontend (here in the converter, on the runtime's one thread) fails the build
/// with the panic's message: the panic hook's thread takes the connection over and sends the one
/// error `Return` (frontend/src/panics.rs), rather than the engine seeing a frontend that died.
pub(crate) fn a_panic_in_the_frontend_fails_the_build_with_its_message(env: &Env) {
    if env.builtin() {
        skip("(E2E_SYNTAX=builtin): the case is about our frontend");
        return;
    }
    let Some(image) = panicking_frontend(env) else {
        skip_or_fail("the panicking variant of our image could not be built");
        return;
    };
    let ctx = Ctx::with_text(
        "panic",
        &format!("# syntax={image}\nFROM {}\nRUN true\n", env.base),
    );
    let r = env.build_raw(&ctx, &[]);
    assert!(!r.status.success(), "the build must fail:\n{}", text(&r));
    let t = text(&r);
    assert!(
        t.contains("frontend panicked: injected panic at convert"),
        "the panic's message, through the error Return:\n{t}"
    );
}
