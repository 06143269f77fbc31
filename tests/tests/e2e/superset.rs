//! End-to-end cases of the superset's composition: INCLUDE, IF / ELSE, variables in `--from`.
//! Each builds with the extension and the same build written by hand in upstream syntax, and
//! compares the files, the image config and the history. In built-in mode (no `# syntax=`), the
//! engine's own frontend cannot read the superset: these cases skip loudly there.

use super::*;

/// False (after a loud SKIP) in built-in mode: upstream's frontend has no superset.
fn ours(env: &Env) -> bool {
    if env.builtin() {
        skip("(E2E_SYNTAX=builtin): the engine's own frontend has no superset");
        return false;
    }
    true
}

/// Config and history that must be equal between two builds (the image id and dates aside).
fn config_and_history(env: &Env, tag: &str) -> (Value, Vec<String>) {
    let v = env.inspect(tag);
    (v["Config"].clone(), env.history(tag))
}

/// Builds `ctx` and `plain` (the hand-written version) with `args`, as images and as files,
/// and checks they are the same; returns the files of the first.
fn same_build(env: &Env, ctx: &Ctx, plain: &Ctx, name: &str, args: &[&str]) -> PathBuf {
    let out = env.build_local(ctx, args);
    let expected = env.build_local(plain, args);
    assert_eq!(
        listing(&out),
        listing(&expected),
        "the files of {name} differ from the hand-written build"
    );
    let (a, b) = (
        env.tag(&format!("{name}-x")),
        env.tag(&format!("{name}-plain")),
    );
    let mut with_tag = args.to_vec();
    with_tag.extend(["-t", a.as_str()]);
    env.build(ctx, &with_tag);
    let mut with_tag = args.to_vec();
    with_tag.extend(["-t", b.as_str()]);
    env.build(plain, &with_tag);
    assert_eq!(
        config_and_history(env, &a),
        config_and_history(env, &b),
        "config or history of {name} differ"
    );
    out
}

/// Every file under `dir` with its contents, sorted.
fn listing(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push(p);
            } else if t.is_file() {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                if rel.starts_with("app/") {
                    out.push((rel, fs::read_to_string(&p).unwrap_or_default()));
                }
            }
        }
    }
    out.sort();
    out
}

pub(crate) fn superset_include_and_if_build_like_hand_written(env: &Env) {
    if !ours(env) {
        return;
    }
    let ctx = Ctx::new(
        env,
        "superset-include",
        r#"ARG FLAVOR=small
INCLUDE common/base.Dockerfile
IF ${FLAVOR} == "small"
FROM base AS final
RUN echo small > /app/flavor
ELSE
FROM base AS final
RUN echo big > /app/flavor
END
INCLUDE steps/*.Dockerfile
"#,
    );
    ctx.write(
        "common/base.Dockerfile",
        &format!(
            "ARG BASE={}\nFROM ${{BASE}} AS base\nRUN mkdir /app && echo base > /app/base\n",
            env.base
        ),
    );
    ctx.write("steps/10-a.Dockerfile", "RUN echo a > /app/a\n");
    ctx.write("steps/20-b.Dockerfile", "RUN echo b > /app/b\n");
    let plain = |flavor: &str| {
        Ctx::new(
            env,
            "superset-include-plain",
            &format!(
                "ARG FLAVOR=small\nARG BASE={{{{BASE}}}}\nFROM ${{BASE}} AS base\n\
                 RUN mkdir /app && echo base > /app/base\nFROM base AS final\n\
                 RUN echo {flavor} > /app/flavor\nRUN echo a > /app/a\nRUN echo b > /app/b\n"
            ),
        )
    };
    let out = same_build(env, &ctx, &plain("small"), "superset-include", &[]);
    assert_eq!(read(&out, "app/flavor"), "small\n");
    assert_eq!(read(&out, "app/b"), "b\n");
    let args = ["--build-arg", "FLAVOR=big"];
    let out = same_build(env, &ctx, &plain("big"), "superset-include-big", &args);
    assert_eq!(read(&out, "app/flavor"), "big\n");
}

pub(crate) fn superset_variables_in_from_build_only_the_chosen_stage(env: &Env) {
    if !ours(env) {
        return;
    }
    let ctx = Ctx::new(
        env,
        "superset-from",
        r#"ARG VARIANT=good
FROM {{BASE}} AS seed-good
RUN mkdir /app && echo good > /app/seed
FROM {{BASE}} AS seed-bad
RUN echo "the other variant must not run" && exit 9
FROM {{BASE}}
COPY --from=seed-${VARIANT} /app /app
RUN --mount=from=seed-${VARIANT},target=/seed cp /seed/app/seed /app/mounted
"#,
    );
    let plain = Ctx::new(
        env,
        "superset-from-plain",
        r#"ARG VARIANT=good
FROM {{BASE}} AS seed-good
RUN mkdir /app && echo good > /app/seed
FROM {{BASE}} AS seed-bad
RUN echo "the other variant must not run" && exit 9
FROM {{BASE}}
COPY --from=seed-good /app /app
RUN --mount=from=seed-good,target=/seed cp /seed/app/seed /app/mounted
"#,
    );
    let out = same_build(env, &ctx, &plain, "superset-from", &[]);
    assert_eq!(read(&out, "app/mounted"), "good\n");
    // The other variant is chosen by a build arg: now its failure fails the build.
    let r = env.build_raw(&ctx, &["--build-arg", "VARIANT=bad"]);
    assert!(!r.status.success(), "{}", text(&r));
    assert!(text(&r).contains("must not run"), "{}", text(&r));
}

pub(crate) fn superset_errors_point_into_the_included_file(env: &Env) {
    if !ours(env) {
        return;
    }
    // A RUN that fails in an included file: the CLI shows that file.
    let ctx = Ctx::new(
        env,
        "superset-run-error",
        "FROM {{BASE}}\nINCLUDE inc/fail.Dockerfile\n",
    );
    ctx.write(
        "inc/fail.Dockerfile",
        "\n# a comment\nRUN echo included-step && exit 4\n",
    );
    let r = env.build_raw(&ctx, &[]);
    assert!(!r.status.success());
    let t = text(&r);
    assert!(t.contains("exit code: 4"), "{t}");
    assert!(
        t.contains("inc/fail.Dockerfile"),
        "the failing step names its file:\n{t}"
    );
    // A conversion error in an included file: located there, with the include chain.
    let ctx = Ctx::new(
        env,
        "superset-convert-error",
        "FROM {{BASE}}\nINCLUDE inc/bad.Dockerfile\n",
    );
    ctx.write("inc/bad.Dockerfile", "RUN true\nIF ${X} ==\nEND\n");
    let r = env.build_raw(&ctx, &[]);
    assert!(!r.status.success());
    let t = text(&r);
    assert!(t.contains("inc/bad.Dockerfile:2:11"), "{t}");
    assert!(t.contains("invalid condition"), "{t}");
    // Line 3: the syntax line comes first.
    assert!(t.contains("included from Dockerfile:3:9"), "{t}");
    // A missing file: its source and a near miss.
    let ctx = Ctx::new(
        env,
        "superset-missing",
        "FROM {{BASE}}\nINCLUDE inc/bse.Dockerfile\n",
    );
    ctx.write("inc/base.Dockerfile", "RUN true\n");
    let r = env.build_raw(&ctx, &[]);
    assert!(!r.status.success());
    let t = text(&r);
    assert!(t.contains("no file inc/bse.Dockerfile"), "{t}");
    assert!(t.contains("did you mean inc/base.Dockerfile"), "{t}");
}

/// `examples/superset`: two services sharing `common/` through INCLUDE, a flavour switch with IF
/// and a variable in `COPY --from`, built from the project root with `-f <service>/Dockerfile`.
pub(crate) fn example_superset_services_build_and_run(env: &Env) {
    if !ours(env) {
        return;
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let src = repo.join("examples/superset");
    let ctx = Ctx::with_text("example-superset", "");
    crate::e2e_engine_examples::copy_dir(&src, &ctx.dir);
    // Our syntax line replaces the example's own.
    for service in ["api", "worker"] {
        let path = ctx.dir.join(service).join("Dockerfile");
        let body: String = fs::read_to_string(&path)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("# syntax="))
            .map(|l| format!("{l}\n"))
            .collect();
        fs::write(&path, env.dockerfile(&body)).unwrap();
    }
    let base_arg = format!("BASE={}", env.base);
    for (service, flavor, expected) in [
        (
            "api",
            "release",
            "api (info): flavor=release, minified assets",
        ),
        (
            "worker",
            "debug",
            "worker (debug): flavor=debug, assets with source maps",
        ),
    ] {
        let tag = env.tag(&format!("e2e-superset-{service}"));
        let file = ctx.dir.join(service).join("Dockerfile");
        let file = file.to_str().unwrap();
        let flavor_arg = format!("FLAVOR={flavor}");
        env.build(
            &ctx,
            &[
                "-f",
                file,
                "--build-arg",
                &base_arg,
                "--build-arg",
                &flavor_arg,
                "-t",
                &tag,
            ],
        );
        let r = env.run(["run", "--rm", "--network", "none", tag.as_str()]);
        assert!(r.status.success(), "{}", text(&r));
        let out = text(&r);
        assert!(out.contains(expected), "{service} prints:\n{out}");
        // The tool imported from tools/Dockerfile ran too.
        assert!(out.contains("lint: ok"), "{service} prints:\n{out}");
    }
}

pub(crate) fn superset_imports_build_like_hand_written(env: &Env) {
    if !ours(env) {
        return;
    }
    // Stages of three other Dockerfiles: by FROM, COPY --from and a mount (its last stage); the
    // imported file's global ARG `WHO` is its own, the Dockerfile's is another.
    let ctx = Ctx::new(
        env,
        "superset-imports",
        "ARG WHO=main\nFROM ./ci/go.Dockerfile#builder AS build\n\
         COPY --from=./tools/Dockerfile#lint /app/lint /app/lint\n\
         RUN --mount=from=./cache/Dockerfile,target=/seed cp /seed/app/seed /app/seed\n\
         ARG WHO\nRUN echo $WHO > /app/main-who\n",
    );
    let base = &env.base;
    ctx.write(
        "ci/go.Dockerfile",
        &format!(
            "ARG BASE={base}\nARG WHO=ci\nFROM ${{BASE}} AS builder\nARG WHO\n\
             RUN mkdir -p /app && echo built-by-$WHO > /app/built\n"
        ),
    );
    ctx.write(
        "tools/Dockerfile",
        &format!("FROM {base} AS lint\nRUN mkdir -p /app && echo lint > /app/lint\n"),
    );
    ctx.write(
        "cache/Dockerfile",
        &format!("FROM {base}\nRUN mkdir -p /app && echo seed > /app/seed\n"),
    );
    let plain = Ctx::new(
        env,
        "superset-imports-plain",
        "ARG WHO=main\nARG BASE={{BASE}}\nFROM ${BASE} AS builder\nARG WHO=ci\n\
         RUN mkdir -p /app && echo built-by-$WHO > /app/built\n\
         FROM {{BASE}} AS lint\nRUN mkdir -p /app && echo lint > /app/lint\n\
         FROM {{BASE}} AS seed\nRUN mkdir -p /app && echo seed > /app/seed\n\
         FROM builder AS build\nCOPY --from=lint /app/lint /app/lint\n\
         RUN --mount=from=seed,target=/seed cp /seed/app/seed /app/seed\n\
         ARG WHO\nRUN echo $WHO > /app/main-who\n",
    );
    let out = same_build(env, &ctx, &plain, "superset-imports", &[]);
    assert_eq!(read(&out, "app/built"), "built-by-ci\n");
    assert_eq!(read(&out, "app/main-who"), "main\n");
    assert_eq!(read(&out, "app/seed"), "seed\n");
    // --target names an imported stage.
    let target = ["--target", "./tools/Dockerfile#lint"];
    let out = env.build_local(&ctx, &target);
    assert_eq!(read(&out, "app/lint"), "lint\n");
    assert!(!out.join("app/built").exists());

    // A failing RUN in an imported file: its progress name and the error name that file.
    let ctx = Ctx::new(
        env,
        "superset-import-run-error",
        "FROM ./ci/fail.Dockerfile#broken\n",
    );
    ctx.write(
        "ci/fail.Dockerfile",
        &format!("FROM {base} AS broken\nRUN echo imported-step && exit 5\n"),
    );
    let r = env.build_raw(&ctx, &[]);
    assert!(!r.status.success());
    let t = text(&r);
    assert!(t.contains("exit code: 5"), "{t}");
    assert!(
        t.contains("ci/fail.Dockerfile broken"),
        "the progress names the file:\n{t}"
    );
    // An unknown stage: located in the importing file, with the file's stages.
    let ctx = Ctx::new(
        env,
        "superset-import-unknown",
        "FROM ./ci/fail.Dockerfile#brokn\n",
    );
    ctx.write("ci/fail.Dockerfile", &format!("FROM {base} AS broken\n"));
    let r = env.build_raw(&ctx, &[]);
    assert!(!r.status.success());
    let t = text(&r);
    assert!(
        t.contains("ci/fail.Dockerfile has no stage \"brokn\""),
        "{t}"
    );
    assert!(t.contains("did you mean #broken?"), "{t}");
}
