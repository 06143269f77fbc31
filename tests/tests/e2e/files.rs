//! End-to-end cases: heredocs, `COPY` and `ADD` with their flags.
//! Listed for the engines at the end of `e2e.rs`, with the harness they use.

use super::*;

pub(crate) fn heredocs_in_run_and_copy(env: &Env) {
    if !env.supports("heredoc") {
        return;
    }
    let ctx = Ctx::new(
        env,
        "heredoc",
        r#"FROM {{BASE}}
ARG WHO=world
RUN <<EOF
echo "hello $WHO" > /run1
echo second line >> /run1
EOF
RUN <<'EOF' sh
echo 'no $expansion' > /run2
EOF
COPY <<EOF /copied.txt
greeting for ${WHO}
EOF
COPY <<A <<B /dir/
file a
A
file b
B
"#,
    );
    let out = env.build_local(&ctx, &[]);
    assert_eq!(read(&out, "run1"), "hello world\nsecond line\n");
    assert_eq!(read(&out, "run2"), "no $expansion\n");
    assert_eq!(read(&out, "copied.txt"), "greeting for world\n");
    assert_eq!(read(&out, "dir/A"), "file a\n");
    assert_eq!(read(&out, "dir/B"), "file b\n");
}

pub(crate) fn copy_and_add_flags_chown_from_and_add_tar(env: &Env) {
    let ctx = Ctx::new(
        env,
        "copy",
        r#"FROM {{BASE}} AS src
RUN mkdir -p /src/deep && echo from-stage > /src/deep/s.txt

FROM {{BASE}} AS check
COPY --chown=1000:1000 a.txt /owned/a.txt
COPY --chown=app owned-dir/ /owned-dir/
COPY --from=src /src/deep/s.txt /from-stage/
COPY dir/ /dircontent/
COPY *.glob /globbed/
ADD archive.tar /unpacked/
ADD --chown=1000:1000 plain.txt /added.txt
RUN stat -c '%u:%g' /owned/a.txt > /stat-copy \
 && stat -c '%u:%g' /owned-dir/x > /stat-dir \
 && stat -c '%u:%g' /added.txt > /stat-add \
 && ls /globbed | sort | tr '\n' ' ' > /globbed.txt \
 && cat /from-stage/s.txt /dircontent/d.txt /unpacked/inside.txt /added.txt > /all.txt

FROM scratch
COPY --from=check /stat-copy /stat-dir /stat-add /globbed.txt /all.txt /
"#,
    );
    ctx.write("a.txt", "a\n");
    ctx.write("owned-dir/x", "x\n");
    ctx.write("dir/d.txt", "d\n");
    ctx.write("one.glob", "1\n");
    ctx.write("two.glob", "2\n");
    ctx.write("plain.txt", "plain\n");
    // A tar built in the context (ADD extracts local tars).
    let tsrc = ctx.scratch("tarsrc");
    fs::write(tsrc.join("inside.txt"), "inside tar\n").unwrap();
    let st = Command::new("tar")
        .arg("-C")
        .arg(&tsrc)
        .arg("-cf")
        .arg(ctx.dir.join("archive.tar"))
        .arg("inside.txt")
        .status()
        .unwrap();
    assert!(st.success());

    let out = env.build_local(&ctx, &[]);
    assert_eq!(read(&out, "stat-copy"), "1000:1000\n");
    assert_eq!(read(&out, "stat-dir"), "1000:1000\n");
    assert_eq!(read(&out, "stat-add"), "1000:1000\n");
    assert_eq!(read(&out, "globbed.txt"), "one.glob two.glob ");
    assert_eq!(read(&out, "all.txt"), "from-stage\nd\ninside tar\nplain\n");
}

pub(crate) fn copy_chmod(env: &Env) {
    let ctx = Ctx::new(
        env,
        "chmod",
        r#"FROM {{BASE}}
COPY --chmod=0750 run.sh /bin/run.sh
COPY --chown=1000:1000 --chmod=600 a.txt /a.txt
RUN stat -c '%a' /bin/run.sh > /mode-run && stat -c '%a %u' /a.txt > /mode-a
"#,
    );
    ctx.write("run.sh", "#!/bin/sh\necho hi\n");
    ctx.write("a.txt", "a\n");
    let out = env.build_local(&ctx, &[]);
    assert_eq!(read(&out, "mode-run"), "750\n");
    assert_eq!(read(&out, "mode-a"), "600 1000\n");
}

pub(crate) fn copy_link(env: &Env) {
    if !env.supports("copy-link") {
        return;
    }
    let ctx = Ctx::new(
        env,
        "link",
        r#"FROM {{BASE}} AS src
RUN echo built > /built.txt

FROM {{BASE}}
RUN echo before > /before.txt
COPY --link a.txt /linked/a.txt
COPY --link --from=src /built.txt /linked/
RUN cat /before.txt /linked/a.txt /linked/built.txt > /all.txt
"#,
    );
    ctx.write("a.txt", "a\n");
    let out = env.build_local(&ctx, &[]);
    assert_eq!(read(&out, "all.txt"), "before\na\nbuilt\n");
}

pub(crate) fn copy_exclude(env: &Env) {
    if !env.supports("copy-exclude") {
        return;
    }
    let ctx = Ctx::new(
        env,
        "exclude",
        r#"FROM {{BASE}}
COPY --exclude=*.log --exclude=secret --exclude=**/*.tmp . /app/
RUN find /app -type f | sort > /files.txt
"#,
    );
    ctx.write("keep.txt", "k\n");
    ctx.write("drop.log", "d\n");
    ctx.write("sub/also.log", "d\n");
    ctx.write("sub/keep2.txt", "k\n");
    ctx.write("sub/deep/scratch.tmp", "t\n");
    ctx.write("secret/x", "s\n");
    // An engine without exclude patterns in its FileOp (BuildKit v0.8, the one in Docker
    // 20.10) silently ignores them: the frontend must then fail with a message that names
    // the missing support (DESIGN.md "Compatibility"), never copy the excluded files.
    let dest = ctx.scratch("out");
    let o = format!("type=local,dest={}", dest.display());
    let r = env.build_raw(&ctx, &["-o", &o]);
    if !r.status.success() {
        let t = text(&r);
        assert!(
            env.engine != Engine::Current,
            "the current BuildKit has exclude patterns; the build must succeed:\n{t}{}",
            env.daemon_log_tail()
        );
        assert!(
            t.to_lowercase().contains("exclude"),
            "a failing --exclude build must say why (missing engine capability):\n{t}{}",
            env.daemon_log_tail()
        );
        eprintln!("!!!! copy_exclude: the engine lacks exclude patterns; the frontend said so");
        return;
    }
    let out = dest;
    let files = read(&out, "files.txt");
    assert!(files.contains("/app/keep.txt"), "{files}");
    assert!(files.contains("/app/sub/keep2.txt"), "{files}");
    assert!(!files.contains("/app/drop.log"), "{files}");
    // Patterns match like .dockerignore lines, from the source's root: `*.log` does not
    // reach into `sub/` (upstream's built-in frontend on the current BuildKit copies
    // sub/also.log too; checked with E2E_SYNTAX=builtin), `**/*.tmp` does.
    assert!(files.contains("/app/sub/also.log"), "{files}");
    assert!(!files.contains(".tmp"), "{files}");
    assert!(!files.contains("/app/secret/"), "{files}");
}
