//! End-to-end cases of the base-image lock file (`docs/superset.md`, "Base-image lock file"):
//! `llb-gen lock` (the CLI, `E2E_LLB_GEN`) locks an image of the e2e registry, the registry's
//! tag then moves to another image, and the locked build still gets the first one while the
//! build with the lock off gets the new one. Included by `e2e.rs` inside `e2e_engine`.

use super::*;

/// The `llb-gen` CLI to run, or `None` after a loud SKIP (a failure with `CI=true`).
fn llb_gen() -> Option<PathBuf> {
    match var("E2E_LLB_GEN") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            skip_or_fail("E2E_LLB_GEN (the llb-gen CLI to run) is not set; scripts/test sets it");
            None
        }
    }
}

/// Runs `llb-gen lock <extra> Dockerfile` in `ctx`.
fn lock(bin: &Path, ctx: &Ctx, extra: &[&str]) -> Output {
    Command::new(bin)
        .arg("lock")
        .args(extra)
        .arg("Dockerfile")
        .current_dir(&ctx.dir)
        .output()
        .expect("run llb-gen lock")
}

/// Builds `FROM <base>` plus `/which` holding `content` as `tag` and pushes it: the tag moves.
fn push_image(env: &Env, tag: &str, content: &str) {
    let ctx = Ctx::new(
        env,
        "lock-image",
        &format!("FROM {{{{BASE}}}}\nRUN echo {content} > /which\n"),
    );
    env.build(&ctx, &["-t", tag]);
    let r = env.run(["push", tag]);
    assert!(r.status.success(), "push {tag}: {}", text(&r));
}

/// The lock pins: a locked build gets the image the tag named when the lock was written, also
/// after the tag moved; with `BUILDKIT_LOCK=off` it gets the new one; `llb-gen lock --check`
/// reports the drift with exit 1.
pub(crate) fn lock_pins_the_base_after_the_tag_moves(env: &Env) {
    if env.builtin() {
        skip("(E2E_SYNTAX=builtin): the lock file is our extension");
        return;
    }
    let Some(bin) = llb_gen() else {
        return;
    };
    let n = nonce();
    let tag = format!("{}/e2e-lock-{}:moving", env.registry(), env.engine.tag());
    push_image(env, &tag, &format!("old-{n}"));
    let ctx = Ctx::new(env, "lock", &format!("FROM {tag}\nRUN cp /which /seen\n"));
    let r = lock(&bin, &ctx, &[]);
    assert!(r.status.success(), "llb-gen lock: {}", text(&r));
    let written = read(&ctx.dir, "Dockerfile.lock");
    assert!(written.contains(&tag), "{written}");
    push_image(env, &tag, &format!("new-{n}"));

    let out = env.build_local(&ctx, &[]);
    assert_eq!(read(&out, "seen"), format!("old-{n}\n"), "the lock wins");
    let out = env.build_local(&ctx, &["--build-arg", "BUILDKIT_LOCK=off"]);
    assert_eq!(
        read(&out, "seen"),
        format!("new-{n}\n"),
        "lock off: the tag"
    );

    let r = lock(&bin, &ctx, &["--check"]);
    assert_eq!(r.status.code(), Some(1), "drift: {}", text(&r));
    assert!(text(&r).contains("drift: locked sha256:"), "{}", text(&r));
    // The lock was not touched by the check.
    assert_eq!(read(&ctx.dir, "Dockerfile.lock"), written);
}

/// An image the lock does not hold is resolved as usual and reported as `UnlockedImage`, in the
/// build's warnings and by `--call=check` (the current engine: BuildKit v0.8 has no `Warn`).
pub(crate) fn unlocked_image_is_warned_about(env: &Env) {
    if env.builtin() {
        skip("(E2E_SYNTAX=builtin): the lock file is our extension");
        return;
    }
    let Some(bin) = llb_gen() else {
        return;
    };
    // Its own repository: the cases of one engine run concurrently.
    let tag = format!("{}/e2e-lock-warn-{}:1", env.registry(), env.engine.tag());
    push_image(env, &tag, &format!("unlocked-{}", nonce()));
    let ctx = Ctx::new(env, "lock-unlocked", &format!("FROM {tag}\nRUN true\n"));
    let r = lock(&bin, &ctx, &[]);
    assert!(r.status.success(), "llb-gen lock: {}", text(&r));
    // A stage added after the lock was written.
    ctx.write(
        "Dockerfile",
        &env.dockerfile(&format!(
            "FROM {tag} AS a\nRUN true\nFROM {{{{BASE}}}}\nCOPY --from=a /which /which\n"
        )),
    );
    let out = env.build(&ctx, &[]);
    let all = text(&out);
    let want = format!(
        "UnlockedImage: {} (linux/amd64) is not in the lock file",
        env.base
    );
    assert!(all.contains(&want), "{want:?} in:\n{all}");
    let out = env.build_raw(&ctx, &["--call=check"]);
    let all = text(&out);
    assert!(all.contains("UnlockedImage"), "{all}");
}
