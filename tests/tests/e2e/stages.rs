//! End-to-end cases: stages, targets, inheritance, ARGs and parallel stages.
//! Listed for the engines at the end of `e2e.rs`, with the harness they use.

use super::*;

pub(crate) fn named_stages_and_target_skip_unneeded_broken_stage(env: &Env) {
    let ctx = Ctx::new(
        env,
        "target",
        r#"FROM {{BASE}} AS base
RUN echo base > /base.txt

FROM base AS broken
RUN echo "this stage must not run" && exit 17

FROM base AS app
RUN echo app > /app.txt

FROM broken AS last
"#,
    );
    let out = env.build_local(&ctx, &["--target", "app"]);
    assert_eq!(read(&out, "base.txt"), "base\n");
    assert_eq!(read(&out, "app.txt"), "app\n");

    // The default target is the last stage, which needs the broken one: that must fail.
    let r = env.build_raw(&ctx, &[]);
    assert!(!r.status.success(), "building the broken stage must fail");
    let t = text(&r);
    assert!(
        t.contains("this stage must not run"),
        "failing RUN shown:\n{t}"
    );

    // An unknown target is an error.
    let r = env.build_raw(&ctx, &["--target", "nope"]);
    assert!(!r.status.success());
}

pub(crate) fn stage_inheritance_keeps_files_env_workdir_user(env: &Env) {
    let ctx = Ctx::new(
        env,
        "inherit",
        r#"FROM {{BASE}} AS parent
ENV FROM_PARENT=yes
WORKDIR /work
RUN echo parent > p.txt
USER app

FROM parent AS child
RUN echo "$FROM_PARENT $(pwd) $(id -u)" > /tmp/child.txt

FROM {{BASE}}
COPY --from=child /work/p.txt /tmp/child.txt /
"#,
    );
    let out = env.build_local(&ctx, &[]);
    assert_eq!(read(&out, "p.txt"), "parent\n");
    assert_eq!(read(&out, "child.txt"), "yes /work 1000\n");
}

pub(crate) fn args_and_build_args(env: &Env) {
    let ctx = Ctx::new(
        env,
        "args",
        r#"ARG BASE_IMAGE={{BASE}}
ARG GLOBAL=global-default
FROM ${BASE_IMAGE} AS first
ARG GLOBAL
ARG LOCAL=local-default
ARG UNSET
ENV FROM_ARG=${LOCAL}
RUN mkdir /out && echo "$GLOBAL" > /out/global && echo "$LOCAL" > /out/local \
 && echo "${UNSET:-unset}" > /out/unset && echo "$FROM_ARG" > /out/env

FROM first AS child
# A child stage inherits its parent's ARGs (and their values).
RUN echo "${GLOBAL:-not-visible}" > /out/child

FROM ${BASE_IMAGE} AS unrelated
# GLOBAL is not declared in this stage: it must not be visible.
RUN echo "${GLOBAL:-not-visible}" > /unrelated

FROM child
COPY --from=unrelated /unrelated /out/
"#,
    );
    let out = env.build_local(&ctx, &[]);
    assert_eq!(read(&out, "out/global"), "global-default\n");
    assert_eq!(read(&out, "out/local"), "local-default\n");
    assert_eq!(read(&out, "out/unset"), "unset\n");
    assert_eq!(read(&out, "out/env"), "local-default\n");
    assert_eq!(read(&out, "out/child"), "global-default\n");
    assert_eq!(read(&out, "out/unrelated"), "not-visible\n");

    let out = env.build_local(
        &ctx,
        &[
            "--build-arg",
            "GLOBAL=g2",
            "--build-arg",
            "LOCAL=l2",
            "--build-arg",
            "UNSET=set",
        ],
    );
    assert_eq!(read(&out, "out/global"), "g2\n");
    assert_eq!(read(&out, "out/local"), "l2\n");
    assert_eq!(read(&out, "out/unset"), "set\n");
    assert_eq!(read(&out, "out/env"), "l2\n");
    assert_eq!(read(&out, "out/child"), "g2\n");
    assert_eq!(read(&out, "out/unrelated"), "not-visible\n");
}

pub(crate) fn parallel_stages_run_concurrently(env: &Env) {
    // Two independent stages meet at a rendezvous in a shared cache mount: each writes its flag
    // and waits (up to 60 s) for the other's. Run one after the other, the first one times out.
    let id = format!("rdv-{}", nonce());
    let wait = |me: &str, other: &str| {
        format!(
            "RUN --mount=type=cache,id={id},target=/rdv,sharing=shared \
                 touch /rdv/{me} && i=0 && while [ ! -f /rdv/{other} ]; do \
                 i=$((i+1)); [ $i -lt 600 ] || {{ echo timeout waiting for {other}; exit 1; }}; \
                 sleep 0.1; done && echo {me} > /{me}.txt"
        )
    };
    let df = format!(
        "FROM {{{{BASE}}}} AS a\n{}\n\nFROM {{{{BASE}}}} AS b\n{}\n\n\
             FROM {{{{BASE}}}}\nCOPY --from=a /a.txt /\nCOPY --from=b /b.txt /\n",
        wait("a", "b"),
        wait("b", "a")
    );
    let ctx = Ctx::new(env, "parallel", &df);
    let out = env.build_local(&ctx, &[]);
    assert_eq!(read(&out, "a.txt"), "a\n");
    assert_eq!(read(&out, "b.txt"), "b\n");
}
