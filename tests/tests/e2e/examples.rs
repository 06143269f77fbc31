//! End-to-end cases: the example users copy (what `scripts/demo` builds), through `# syntax=` and through `llb-gen` piped to `buildctl`.
//! Listed for the engines at the end of `e2e.rs`, with the harness they use.

use super::*;

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            fs::copy(entry.path(), dest).unwrap();
        }
    }
}

pub(crate) fn example_hello_builds_and_runs(env: &Env) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = repo.join("examples/hello");
    let original = fs::read_to_string(dir.join("Dockerfile")).unwrap();
    if original.contains("<<") && !env.supports("heredoc") {
        return;
    }
    // Our syntax line (or none in built-in mode) replaces the example's own.
    let body: String = original
        .lines()
        .filter(|l| {
            let t = l.trim_start_matches('#').trim_start();
            !(l.starts_with('#') && t.to_ascii_lowercase().starts_with("syntax"))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let ctx = Ctx::new(env, "example", &body);
    let df = fs::read_to_string(ctx.dir.join("Dockerfile")).unwrap();
    copy_dir(&dir, &ctx.dir);
    ctx.write("Dockerfile", &df);
    let tag = env.tag("e2e-example-hello");
    let tag = tag.as_str();
    let base_arg = format!("BASE={}", env.base);
    env.build(&ctx, &["--build-arg", &base_arg, "-t", tag]);
    let r = env.run(["run", "--rm", "--network", "none", tag]);
    assert!(r.status.success(), "{}", text(&r));
    let out = String::from_utf8_lossy(&r.stdout);
    eprintln!("{} prints:\n{out}", dir.display());
    assert!(!out.trim().is_empty(), "the example prints something");
}

/// The `llb-gen` CLI's own output (not the frontend's) builds on the engine: the CLI converts
/// examples/hello, resolving its base image from the test registry, and the test-only
/// forwarder solves the Definition bytes and returns them with the CLI's image config
/// (Docker 20.10 has no `buildctl` to pipe the output into).
pub(crate) fn llb_gen_cli_output_of_example_hello_builds_and_runs(env: &Env) {
    let Some(fw) = env.forwarder() else {
        return;
    };
    let Some(cli) = var("E2E_LLB_GEN") else {
        skip_or_fail("E2E_LLB_GEN (the llb-gen CLI to run) is not set; scripts/test sets it");
        return;
    };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let example = fs::read_to_string(repo.join("examples/hello/Dockerfile")).unwrap();
    // The Dockerfile docker reads only starts the forwarder; the CLI reads the example.
    let ctx = Ctx::with_text("llb-gen-cli", &format!("# syntax={}\n", fw.image));
    let dockerfile = ctx.write("hello.Dockerfile", &example);
    let config = ctx.dir.join("image-config.json");
    let base_arg = format!("BASE={}", env.base);
    let out = Command::new(&cli)
        .args(["--build-arg", &base_arg, "--image-config"])
        .arg(&config)
        .arg(&dockerfile)
        .output()
        .expect("run llb-gen");
    assert!(
        out.status.success(),
        "llb-gen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.stdout.is_empty(), "llb-gen wrote no Definition");
    fs::write(ctx.dir.join("def.pb"), &out.stdout).unwrap();
    let tag = env.tag("e2e-llb-gen-cli-hello");
    let tag = tag.as_str();
    env.build(
        &ctx,
        &[
            "--build-arg",
            "E2E_DEFINITION=def.pb",
            "--build-arg",
            "E2E_IMAGE_CONFIG=image-config.json",
            "-t",
            tag,
        ],
    );
    // The image config came from the CLI: its CMD runs without arguments.
    let r = env.run(["run", "--rm", "--network", "none", tag]);
    assert!(r.status.success(), "{}", text(&r));
    let shown = String::from_utf8_lossy(&r.stdout);
    for line in [
        "hello, world",
        "hello from llb-gen",
        "built by a RUN step",
        "written by a heredoc",
    ] {
        assert!(shown.contains(line), "missing {line:?} in:\n{shown}");
    }

    // The way the README tells users to run the CLI's output: `llb-gen ... | buildctl
    // build` (the current engine only: Docker 20.10 ships no buildctl).
    let Some(mut buildctl) = env.buildctl() else {
        return;
    };
    let dest = ctx.scratch("buildctl-out");
    let o = format!("type=local,dest={}", dest.display());
    let r = buildctl
        .args(["build", "--progress=plain", "--output", &o])
        .stdin(fs::File::open(ctx.dir.join("def.pb")).unwrap())
        .output()
        .expect("run buildctl");
    assert!(r.status.success(), "{}{}", text(&r), env.daemon_log_tail());
    let greeting = read(&dest, "app/greeting.txt");
    assert!(greeting.contains("hello from llb-gen"), "{greeting}");
    assert_eq!(read(&dest, "app/extra.txt"), "written by a heredoc\n");
}
