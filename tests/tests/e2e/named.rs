//! End-to-end cases: the forwarding frontend (options `docker build` cannot send) and named build contexts.
//! Listed for the engines at the end of `e2e.rs`, with the harness they use.

use super::*;

pub(crate) fn forwarder_passes_options_results_and_errors(env: &Env) {
    let Some(fwd) = env.forwarder() else {
        return;
    };
    // No extra option: the build through the forwarder is our frontend's build, files and
    // image config included, and ordinary build args pass through.
    let ctx = fwd.ctx(
        "forward",
        "FROM {{BASE}}\nARG WHO=nobody\nENV GREETING=hello\nLABEL org.example.fwd=yes\n\
             RUN echo \"hi $WHO\" > /hi.txt\nCMD [\"cat\", \"/hi.txt\"]\n",
    );
    let tag = env.tag("e2e-forward");
    let tag = tag.as_str();
    let r = fwd.build_raw(&ctx, &[], &["--build-arg", "WHO=fwd", "-t", tag]);
    assert!(r.status.success(), "{}{}", text(&r), env.daemon_log_tail());
    let img = env.inspect(tag);
    assert_eq!(img["Config"]["Labels"]["org.example.fwd"], "yes");
    assert_eq!(img["Config"]["Cmd"], serde_json::json!(["cat", "/hi.txt"]));
    let envs = img["Config"]["Env"].to_string();
    assert!(envs.contains("GREETING=hello"), "{envs}");
    let r = env.run(["run", "--rm", "--network", "none", tag]);
    assert_eq!(
        String::from_utf8_lossy(&r.stdout),
        "hi fwd\n",
        "{}",
        text(&r)
    );

    // The inner frontend's error comes back unchanged, with its location.
    let ctx = fwd.ctx("forward-error", "FROM {{BASE}}\nNOTANINSTRUCTION x\n");
    let r = fwd.build_raw(&ctx, &[], &[]);
    assert!(!r.status.success());
    let t = text(&r);
    assert!(t.to_lowercase().contains("notaninstruction"), "{t}");
    assert!(t.contains("line 3") || t.contains("Dockerfile:3"), "{t}");

    // A `context:<name>` option arrives: either the frontend resolves it (the build
    // succeeds, `fwdcheck` exists nowhere else) or it refuses it naming the option.
    let ctx = fwd.ctx("forward-context", "FROM fwdcheck\nRUN echo ran > /ran\n");
    let value = format!("docker-image://{}", env.base);
    let dest = ctx.scratch("out");
    let o = format!("type=local,dest={}", dest.display());
    let r = fwd.build_raw(&ctx, &[("fwdcheck", &value)], &["-o", &o]);
    let t = text(&r);
    if r.status.success() {
        assert_eq!(read(&dest, "ran"), "ran\n");
    } else {
        assert!(t.contains(&format!("context:fwdcheck={value}")), "{t}");
    }
}

/// Named build contexts (`context:<name>=<value>`, buildx's `--build-context`) through the
/// forwarder.
mod named_contexts {
    use super::*;

    on_every_engine!(
        image_context_replaces_a_missing_image,
        context_named_like_a_stage_replaces_the_whole_stage,
        copy_from_an_image_context,
        copy_from_a_local_context,
        bad_context_value_names_the_option,
    );

    fn image_context_replaces_a_missing_image(env: &Env) {
        let Some(fwd) = env.forwarder() else {
            return;
        };
        // `alpine` cannot be pulled here: only the named context can make this build work.
        let ctx = fwd.ctx("named-image", "FROM alpine\nRUN echo ran > /ran\n");
        let value = format!("docker-image://{}", env.base);
        let out = fwd.build_local(&ctx, &[("alpine", &value)]);
        assert_eq!(read(&out, "ran"), "ran\n");
        assert!(out.join("bin/busybox").exists(), "the base is busybox");
    }

    fn context_named_like_a_stage_replaces_the_whole_stage(env: &Env) {
        let Some(fwd) = env.forwarder() else {
            return;
        };
        let marker = fwd.marker_image();
        let ctx = fwd.ctx(
            "named-stage",
            "FROM {{BASE}} AS base\nRUN echo stage > /from-stage\n\n\
                 FROM base\nRUN cat /marker > /seen\n",
        );
        let value = format!("docker-image://{marker}");
        let dest = ctx.scratch("out");
        let o = format!("type=local,dest={}", dest.display());
        let r = fwd.build_raw(&ctx, &[("base", &value)], &["-o", &o]);
        let t = text(&r);
        assert!(r.status.success(), "{t}{}", env.daemon_log_tail());
        assert_eq!(read(&dest, "seen"), "marker\n");
        assert_eq!(read(&dest, "marker"), "marker\n");
        assert!(!dest.join("from-stage").exists(), "the stage's RUN result");
        assert!(
            !t.contains("echo stage"),
            "the stage's RUN must not run:\n{t}"
        );
    }

    fn copy_from_an_image_context(env: &Env) {
        let Some(fwd) = env.forwarder() else {
            return;
        };
        let marker = fwd.marker_image();
        let ctx = fwd.ctx(
            "named-copy",
            "FROM {{BASE}}\nCOPY --from=extra /marker /copied\n",
        );
        let value = format!("docker-image://{marker}");
        let out = fwd.build_local(&ctx, &[("extra", &value)]);
        assert_eq!(read(&out, "copied"), "marker\n");
    }

    fn copy_from_a_local_context(env: &Env) {
        let Some(fwd) = env.forwarder() else {
            return;
        };
        // `local:context`: the main context directory, used again under another name.
        let ctx = fwd.ctx(
            "named-local",
            "FROM {{BASE}}\nCOPY --from=ctx2 file.txt /\n",
        );
        ctx.write("file.txt", "from the local context\n");
        let out = fwd.build_local(&ctx, &[("ctx2", "local:context")]);
        assert_eq!(read(&out, "file.txt"), "from the local context\n");
    }

    fn bad_context_value_names_the_option(env: &Env) {
        let Some(fwd) = env.forwarder() else {
            return;
        };
        let ctx = fwd.ctx("named-bad", "FROM badctx\nRUN true\n");
        let r = fwd.build_raw(&ctx, &[("badctx", "unknown://foo")], &[]);
        assert!(!r.status.success());
        let t = text(&r);
        // Upstream's wording, "unsupported context source unknown for badctx", names the
        // context and its source type rather than the option key.
        assert!(
            t.contains("context:badctx") || (t.contains("badctx") && t.contains("unknown")),
            "the error names the context and its bad source:\n{t}"
        );
    }
}
