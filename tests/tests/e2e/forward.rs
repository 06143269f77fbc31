//! Forwarding: our image run directly (`buildctl --frontend gateway.v0 --opt source=<ours>`)
//! with a Dockerfile whose `# syntax=` line (or `BUILDKIT_SYNTAX` build arg) names another
//! frontend hands the build to that frontend, as upstream's does. The other frontend is the
//! upstream one, built from the engines' archive (`dockerfile-frontend` next to `buildctl`) into
//! an image on the loopback registry. Current engine only: Docker 20.10 ships no buildctl, and
//! there the built-in frontend does the forwarding before ours runs.

use std::sync::OnceLock;

use super::*;

/// `<registry>/e2e-upstream-frontend:<nonce>`: the upstream frontend binary as an image,
/// pushed once per run.
fn upstream_image(env: &Env) -> Option<String> {
    static IMAGE: OnceLock<Option<String>> = OnceLock::new();
    IMAGE
        .get_or_init(|| {
            let (buildctl, _) = env.buildctl.as_ref()?;
            let bin = buildctl.parent()?.join("dockerfile-frontend");
            if !bin.is_file() {
                return None;
            }
            let ctx = Ctx::with_text(
                "upstream-frontend",
                "FROM scratch\n\
                 LABEL moby.buildkit.frontend.network.none=\"true\" \\\n  \
                 moby.buildkit.frontend.caps=\"moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts\"\n\
                 COPY dockerfile-frontend /bin/dockerfile-frontend\n\
                 ENTRYPOINT [\"/bin/dockerfile-frontend\"]\n",
            );
            fs::copy(&bin, ctx.dir.join("dockerfile-frontend")).ok()?;
            let tag = format!("{}/e2e-upstream-frontend:{}", env.registry(), nonce());
            env.build_and_push(&ctx, &tag);
            Some(tag)
        })
        .clone()
}

fn buildctl_gateway(
    env: &Env,
    ctx: &Ctx,
    frontend: &str,
    extra: &[&str],
) -> Option<(Output, PathBuf)> {
    let Some(mut buildctl) = env.buildctl() else {
        skip_or_fail("buildctl is not configured (E2E_BUILDCTL, E2E_BUILDKIT_HOST)");
        return None;
    };
    let dest = ctx.scratch("out");
    let o = format!("type=local,dest={}", dest.display());
    let local = format!("context={}", ctx.dir.display());
    let dockerfile = format!("dockerfile={}", ctx.dir.display());
    let r = buildctl
        .args(["build", "--progress=plain", "--frontend", "gateway.v0"])
        .args(["--opt", &format!("source={frontend}")])
        .args(extra)
        .args(["--local", &local, "--local", &dockerfile, "--output", &o])
        .output()
        .expect("run buildctl");
    Some((r, dest))
}

pub(super) fn syntax_line_naming_another_frontend_is_forwarded(env: &Env) {
    let Some(ours) = env.frontend.clone() else {
        skip("(E2E_SYNTAX=builtin): the case is about our frontend");
        return;
    };
    let Some(upstream) = upstream_image(env) else {
        skip_or_fail("dockerfile-frontend is not next to buildctl (../shared/engines)");
        return;
    };
    let body = "FROM {{BASE}} AS b\nRUN echo forwarded > /f\nFROM scratch\nCOPY --from=b /f /f\n";
    let body = body.replace("{{BASE}}", &env.base);
    let ctx = Ctx::with_text("forward-syntax", &format!("# syntax={upstream}\n{body}"));
    let Some((r, dest)) = buildctl_gateway(env, &ctx, &ours, &[]) else {
        return;
    };
    let log = text(&r);
    assert!(r.status.success(), "{log}{}", env.daemon_log_tail());
    assert_eq!(read(&dest, "f"), "forwarded\n");
    assert!(
        log.contains(&format!("docker-image://{upstream}")),
        "the upstream frontend ran:\n{log}"
    );

    // BUILDKIT_SYNTAX does the same for a Dockerfile without a syntax line.
    let plain = Ctx::with_text("forward-arg", &body);
    let arg = format!("build-arg:BUILDKIT_SYNTAX={upstream}");
    let Some((r, dest)) = buildctl_gateway(env, &plain, &ours, &["--opt", &arg]) else {
        return;
    };
    let log = text(&r);
    assert!(r.status.success(), "{log}{}", env.daemon_log_tail());
    assert_eq!(read(&dest, "f"), "forwarded\n");
    assert!(log.contains(&format!("docker-image://{upstream}")), "{log}");

    // A syntax line naming an image that does not exist fails naming it.
    let missing = format!("{}/e2e-no-such-frontend:{}", env.registry(), nonce());
    let bad = Ctx::with_text("forward-missing", &format!("# syntax={missing}\n{body}"));
    let Some((r, _)) = buildctl_gateway(env, &bad, &ours, &[]) else {
        return;
    };
    assert!(!r.status.success());
    assert!(text(&r).contains("e2e-no-such-frontend"), "{}", text(&r));
}

cases_on!(
    current_only,
    Engine::Current,
    [syntax_line_naming_another_frontend_is_forwarded]
);
