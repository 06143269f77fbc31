//! End-to-end cases: the cases only the current engine can run (the reasons are on each case).
//! Listed for the engines at the end of `e2e.rs`, with the harness they use.

use super::*;
use crate::e2e_engine_examples::copy_dir;

/// `docker buildx build --build-context`: buildx sends `context:<name>` itself, no forwarder.
/// Current engine only: BuildKit v0.8 refuses named contexts ("unsupported frontend
/// capability moby.buildkit.frontend.contexts"), and Docker 20.10's `docker build` has no
/// such flag.
pub(crate) fn buildx_build_context_replaces_a_missing_image(env: &Env) {
    if env.builtin() {
        skip("(E2E_SYNTAX=builtin): the case is about our frontend");
        return;
    }
    let ctx = Ctx::new(env, "buildx-context", "FROM alpine\nRUN echo ran > /ran\n");
    let value = format!("alpine=docker-image://{}", env.base);
    let out = env.build_local(&ctx, &["--build-context", &value]);
    assert_eq!(read(&out, "ran"), "ran\n");
    assert!(out.join("bin/busybox").exists(), "the base is busybox");
}

/// `buildctl build --frontend gateway.v0 --opt source=<our image>`: BuildKit runs our image
/// with no Dockerfile frontend in between (no `# syntax=` line needed), the third way users
/// reach us. Current engine only: Docker 20.10 ships no buildctl.
pub(crate) fn buildctl_gateway_frontend_builds_example_hello(env: &Env) {
    let Some(frontend) = &env.frontend else {
        skip("(E2E_SYNTAX=builtin): the case is about our frontend");
        return;
    };
    let Some(mut buildctl) = env.buildctl() else {
        skip_or_fail("buildctl is not configured (E2E_BUILDCTL, E2E_BUILDKIT_HOST)");
        return;
    };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    // The example's `# syntax=` line names the image as `scripts/demo` pushes it; a
    // frontend run directly forwards to the image that line names (as upstream's does),
    // so the copy names the image under test (the same image: no forward).
    let ctx = Ctx::with_text("buildctl-gateway", "");
    copy_dir(&repo.join("examples/hello"), &ctx.dir);
    let df = fs::read_to_string(ctx.dir.join("Dockerfile")).unwrap();
    let df: String = df
        .lines()
        .map(|l| {
            if l.starts_with("# syntax=") {
                format!("# syntax={frontend}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    ctx.write("Dockerfile", &df);
    let dir = ctx.dir.clone();
    let dest = ctx.scratch("out");
    let o = format!("type=local,dest={}", dest.display());
    let base_arg = format!("build-arg:BASE={}", env.base);
    let source = format!("source={frontend}");
    let local = format!("context={}", dir.display());
    let dockerfile = format!("dockerfile={}", dir.display());
    let r = buildctl
        .args(["build", "--progress=plain", "--frontend", "gateway.v0"])
        .args(["--opt", &source, "--opt", &base_arg])
        .args(["--local", &local, "--local", &dockerfile, "--output", &o])
        .output()
        .expect("run buildctl");
    assert!(r.status.success(), "{}{}", text(&r), env.daemon_log_tail());
    let greeting = read(&dest, "app/greeting.txt");
    assert!(greeting.contains("built by a RUN step"), "{greeting}");
    assert_eq!(read(&dest, "app/extra.txt"), "written by a heredoc\n");
}
