//! End-to-end tests with real parts: BuildKit runs our frontend image for
//! `# syntax=<E2E_FRONTEND_IMAGE>` and we check the built files, image config and history.
//!
//! Every case runs on two engines, reached the ways users reach them:
//!
//! - `v0_8`: Docker 20.10's BuildKit v0.8 through `docker build` (`DOCKER_BUILDKIT=1`);
//! - `v0_8_buildx`: the same engine through `docker buildx build` and buildx's `docker` driver
//!   (the `default` builder);
//! - `current`: the current buildkitd (`../shared/engines`) through `docker buildx build` with a
//!   remote-driver builder, images loaded into the Docker daemon with `--load`; the cases that
//!   pipe `llb-gen` or call the gateway frontend directly use `buildctl`.
//!
//! Test names say the engine: `e2e_engine::v0_8::args_and_build_args`,
//! `e2e_engine::current::args_and_build_args` ... Cases that only one engine supports are listed
//! apart at the end, with the reason.
//!
//! `scripts/test` starts the environment (`scripts/lib/env.sh`: private dockerd, buildkitd,
//! loopback registry, busybox base image), builds and pushes the frontend image and sets:
//!
//! - `E2E_DOCKER_HOST`     the private Docker daemon (`unix://...`)
//! - `E2E_FRONTEND_IMAGE`  e.g. `localhost:5000/frontend:dev`
//! - `E2E_BASE_IMAGE`      e.g. `localhost:5000/busybox:e2e`
//! - `E2E_REGISTRY`        e.g. `localhost:5000` (for the ONBUILD case, which pushes a parent)
//! - `E2E_DOCKER_CLI`      optional, default `/usr/bin/docker` (Debian's 20.10 client)
//! - `E2E_DOCKER_CONFIG`   the client configuration with the buildx plugin and builders
//! - `E2E_BUILDX_BUILDER`, `E2E_BUILDKIT_HOST`, `E2E_BUILDCTL`: the current engine's builder,
//!   socket and `buildctl` (absent when it does not run)
//! - `E2E_FORWARD_IMAGE`   e.g. `localhost:5000/forward:e2e`, the test-only forwarding frontend
//!   (`tests/e2e-forward`, `scripts/build-image e2e-forward`): the cases that need frontend
//!   options `docker build` cannot send (`context:<name>=...`) build through it
//! - `E2E_SYNTAX=builtin`  test-only: no `# syntax=` line, the engine's built-in frontend builds
//!   the same Dockerfiles. This checks the harness and the assertions; features that BuildKit
//!   v0.8's frontend lacks are skipped loudly (see `V0_8_BUILTIN_LACKS`).
//!
//! Without these variables a case SKIPs loudly, unless `CI=true`, where it fails.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// Dockerfile features that the built-in frontend of BuildKit v0.8 (Docker 20.10) does not have.
/// In `E2E_SYNTAX=builtin` mode a case that needs one is skipped with a message on that engine.
/// (Checked: with an empty list these cases fail on Docker 20.10 with "unknown instruction" for
/// heredoc bodies and "Unknown flag: link" / "Unknown flag: exclude"; `COPY --chmod` works.)
const V0_8_BUILTIN_LACKS: &[&str] = &["heredoc", "copy-link", "copy-exclude"];

/// The engine, and the client that drives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    /// Docker 20.10's BuildKit v0.8 through `docker build`.
    V0_8,
    /// Docker 20.10's BuildKit v0.8 through `docker buildx build` (docker driver).
    V0_8Buildx,
    /// The current buildkitd through `docker buildx build` (remote driver) and `buildctl`.
    Current,
}

impl Engine {
    /// For image tags: each engine builds its own images (the cases run concurrently).
    fn tag(self) -> &'static str {
        match self {
            Engine::V0_8 => "v0-8",
            Engine::V0_8Buildx => "v0-8-buildx",
            Engine::Current => "current",
        }
    }
}

struct Env {
    engine: Engine,
    docker: PathBuf,
    host: String,
    /// `None` in built-in mode.
    frontend: Option<String>,
    base: String,
    registry: Option<String>,
    /// `E2E_FORWARD_IMAGE`, the forwarding frontend (only the cases that need it require it).
    forward: Option<String>,
    /// `E2E_DOCKER_CONFIG`: our client configuration (buildx plugin, builders).
    docker_config: Option<String>,
    /// The buildx builder: `default` (docker driver) or the remote one on the current buildkitd.
    builder: Option<String>,
    /// The current engine: `buildctl` and its `--addr`.
    buildctl: Option<(PathBuf, String)>,
    /// Where the frontend's stderr ends up: the Docker daemon's log or buildkitd's.
    daemon_log: Option<String>,
}

/// A case that cannot run here: SKIP loudly, or fail with `CI=true`.
fn skip_or_fail(why: &str) {
    if testkit::is_ci() {
        panic!("CI=true: this case must run, but {why}");
    }
    skip(why);
}

/// A loud SKIP, past the harness's output capture (`testkit::loud`), once per message: without
/// an engine, every case of it says the same.
fn skip(why: &str) {
    static SAID: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let first = SAID
        .lock()
        .map(|mut said| said.insert(why.to_string()))
        .unwrap_or(true);
    if first {
        testkit::loud(&format!("SKIP {why}"));
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Runs one case on one engine, or SKIPs it loudly when that engine is not configured (a
/// failure with `CI=true`).
fn run_case(engine: Engine, case: fn(&Env)) {
    if let Some(env) = Env::new(engine) {
        case(&env);
    }
}

impl Env {
    /// The environment for `engine`, or `None` (after a loud SKIP) when it is not configured
    /// outside CI.
    fn new(engine: Engine) -> Option<Env> {
        let builtin = var("E2E_SYNTAX").as_deref() == Some("builtin");
        let host = var("E2E_DOCKER_HOST");
        let base = var("E2E_BASE_IMAGE");
        let frontend = var("E2E_FRONTEND_IMAGE");
        let docker_config = var("E2E_DOCKER_CONFIG");
        let mut needs = vec![
            ("E2E_DOCKER_HOST", host.is_some()),
            ("E2E_BASE_IMAGE", base.is_some()),
            ("E2E_FRONTEND_IMAGE", builtin || frontend.is_some()),
        ];
        let (builder, buildctl) = match engine {
            Engine::V0_8 => (None, None),
            Engine::V0_8Buildx => {
                // The plugin comes with the engines (../shared/engines), like the current one.
                let buildx = docker_config
                    .as_ref()
                    .is_some_and(|d| Path::new(d).join("cli-plugins/docker-buildx").is_file());
                needs.push(("E2E_DOCKER_CONFIG with the buildx plugin", buildx));
                (Some("default".to_string()), None)
            }
            Engine::Current => {
                let builder = var("E2E_BUILDX_BUILDER");
                let addr = var("E2E_BUILDKIT_HOST");
                let bin = var("E2E_BUILDCTL");
                needs.extend([
                    ("E2E_DOCKER_CONFIG", docker_config.is_some()),
                    ("E2E_BUILDX_BUILDER", builder.is_some()),
                    ("E2E_BUILDKIT_HOST", addr.is_some()),
                    ("E2E_BUILDCTL", bin.is_some()),
                ]);
                (builder, bin.zip(addr).map(|(b, a)| (PathBuf::from(b), a)))
            }
        };
        let missing: Vec<&str> = needs
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() {
            let why = format!(
                "the end-to-end environment for engine {engine:?} is not configured (missing {}); \
                 run scripts/test, or scripts/e2e-env start + scripts/build-image frontend \
                 (the current engine and buildx need ../shared/engines)",
                missing.join(", ")
            );
            skip_or_fail(&why);
            return None;
        }
        let docker = var("E2E_DOCKER_CLI").unwrap_or_else(|| "/usr/bin/docker".into());
        let daemon_log = match engine {
            Engine::Current => var("E2E_BUILDKITD_LOG"),
            Engine::V0_8 | Engine::V0_8Buildx => var("E2E_DOCKERD_LOG"),
        };
        Some(Env {
            engine,
            docker: docker.into(),
            host: host.unwrap(),
            frontend: if builtin { None } else { frontend },
            base: base.unwrap(),
            registry: var("E2E_REGISTRY"),
            forward: var("E2E_FORWARD_IMAGE"),
            docker_config,
            builder,
            buildctl,
            daemon_log,
        })
    }

    fn builtin(&self) -> bool {
        self.frontend.is_none()
    }

    /// Skip (return false) in built-in mode when the case needs a feature the engine's built-in
    /// frontend lacks (BuildKit v0.8's; the current one has them all).
    fn supports(&self, feature: &str) -> bool {
        if self.builtin() && self.engine != Engine::Current && V0_8_BUILTIN_LACKS.contains(&feature)
        {
            skip(&format!(
                "(E2E_SYNTAX=builtin): BuildKit v0.8's built-in frontend lacks {feature}"
            ));
            return false;
        }
        true
    }

    /// An image tag of this engine's own: `<name>:<engine>`.
    fn tag(&self, name: &str) -> String {
        format!("{name}:{}", self.engine.tag())
    }

    /// The Dockerfile text with the syntax line (unless built-in) and `{{BASE}}` replaced.
    fn dockerfile(&self, body: &str) -> String {
        let body = body.replace("{{BASE}}", &self.base);
        match &self.frontend {
            Some(f) => format!("# syntax={f}\n{body}"),
            None => body,
        }
    }

    /// The forwarding frontend for options `docker build` cannot send, or `None` after a loud
    /// SKIP (built-in mode: it forwards to our frontend; `E2E_FORWARD_IMAGE` unset outside CI,
    /// a failure with `CI=true`).
    fn forwarder(&self) -> Option<Forward<'_>> {
        let Some(to) = &self.frontend else {
            skip("(E2E_SYNTAX=builtin): the forwarder forwards to our frontend");
            return None;
        };
        let Some(image) = &self.forward else {
            skip_or_fail(
                "E2E_FORWARD_IMAGE is not set (scripts/build-image e2e-forward builds it)",
            );
            return None;
        };
        Some(Forward {
            env: self,
            image: image.clone(),
            to: to.clone(),
        })
    }

    /// `buildctl` and its address on the current engine (`None` elsewhere).
    fn buildctl(&self) -> Option<Command> {
        let (bin, addr) = self.buildctl.as_ref()?;
        let mut c = Command::new(bin);
        c.arg("--addr").arg(addr).stdin(Stdio::null());
        Some(c)
    }

    /// The registry the cases push to.
    fn registry(&self) -> String {
        self.registry
            .clone()
            .unwrap_or_else(|| "localhost:5000".into())
    }

    fn docker(&self) -> Command {
        let mut c = Command::new(&self.docker);
        c.env("DOCKER_HOST", &self.host)
            .env("DOCKER_BUILDKIT", "1")
            .env("BUILDKIT_PROGRESS", "plain")
            .stdin(Stdio::null());
        if let Some(dir) = &self.docker_config {
            c.env("DOCKER_CONFIG", dir);
        }
        c
    }

    fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = self.docker();
        c.args(args);
        c.output().expect("run docker")
    }

    /// The build command of this engine's client for `ctx` with `args`: `docker build`, or
    /// `docker buildx build --builder <builder>`. On the remote builder, whose results stay in
    /// buildkitd, `-t` without another output also loads the image into the Docker daemon, so
    /// the cases can inspect, run, save and push it as they do on Docker's own engine.
    fn build_command(&self, ctx: &Ctx, args: &[&str]) -> Command {
        self.build_command_at(ctx.dir.as_os_str(), args)
    }

    /// The build command for a context given as a path or a URL (a Git or HTTP(S) context).
    fn build_command_at(&self, context: &OsStr, args: &[&str]) -> Command {
        let mut c = self.docker();
        match &self.builder {
            None => {
                c.arg("build");
            }
            Some(builder) => {
                c.args(["buildx", "build", "--builder", builder]);
                let has_output = args
                    .iter()
                    .any(|a| matches!(*a, "-o" | "--output" | "--push" | "--load"));
                if self.engine == Engine::Current && args.contains(&"-t") && !has_output {
                    c.arg("--load");
                }
            }
        }
        c.arg("--progress=plain").args(args).arg(context);
        c
    }

    /// A build in `ctx` with extra args; returns the output (success not checked).
    fn build_raw(&self, ctx: &Ctx, args: &[&str]) -> Output {
        let t = Instant::now();
        let out = self
            .build_command(ctx, args)
            .output()
            .expect("run docker build");
        eprintln!(
            "[{:?}] build {} ({:.1}s, {})",
            self.engine,
            args.join(" "),
            t.elapsed().as_secs_f64(),
            out.status
        );
        out
    }

    /// A build that must succeed.
    fn build(&self, ctx: &Ctx, args: &[&str]) -> Output {
        let out = self.build_raw(ctx, args);
        if !out.status.success() {
            panic!(
                "[{:?}] build {:?} failed: {}\n--- Dockerfile ---\n{}\n--- output ---\n{}{}{}",
                self.engine,
                args,
                out.status,
                fs::read_to_string(ctx.dir.join("Dockerfile")).unwrap_or_default(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                self.daemon_log_tail()
            );
        }
        out
    }

    /// Build with `-o type=local` into a fresh directory and return it.
    fn build_local(&self, ctx: &Ctx, args: &[&str]) -> PathBuf {
        let dest = ctx.scratch("out");
        let o = format!("type=local,dest={}", dest.display());
        let mut a = vec!["-o", o.as_str()];
        a.extend_from_slice(args);
        self.build(ctx, &a);
        dest
    }

    /// `docker image inspect` of `tag`, the first element.
    fn inspect(&self, tag: &str) -> Value {
        let out = self.run(["image", "inspect", tag]);
        assert!(
            out.status.success(),
            "inspect {tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v[0].clone()
    }

    fn history(&self, tag: &str) -> Vec<String> {
        let out = self.run(["history", "--no-trunc", "--format", "{{.CreatedBy}}", tag]);
        assert!(
            out.status.success(),
            "history {tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The end of the engine's log (`E2E_DOCKERD_LOG` or `E2E_BUILDKITD_LOG`): the frontend's
    /// stderr lands there, not in the build output.
    fn daemon_log_tail(&self) -> String {
        let Some(path) = &self.daemon_log else {
            return String::new();
        };
        let log = fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        format!("\n--- last lines of {path} (frontend stderr goes here) ---\n{tail}\n")
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A build context in a temporary directory (removed on drop unless `E2E_KEEP=1`).
struct Ctx {
    dir: PathBuf,
    root: PathBuf,
}

impl Ctx {
    fn new(env: &Env, name: &str, dockerfile: &str) -> Ctx {
        Ctx::with_text(name, &env.dockerfile(dockerfile))
    }

    /// A context whose Dockerfile is exactly `text`.
    fn with_text(name: &str, text: &str) -> Ctx {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let root =
            std::env::temp_dir().join(format!("llbgen-e2e-{name}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let dir = root.join("ctx");
        fs::create_dir_all(&dir).unwrap();
        let ctx = Ctx { dir, root };
        ctx.write("Dockerfile", text);
        ctx
    }

    fn write(&self, rel: &str, content: &str) -> PathBuf {
        let p = self.dir.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, content).unwrap();
        p
    }

    /// A fresh directory next to (not inside) the context.
    fn scratch(&self, name: &str) -> PathBuf {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = self.root.join(format!("{name}-{n}"));
        fs::create_dir_all(&p).unwrap();
        p
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        if var("E2E_KEEP").as_deref() != Some("1") {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

/// Frontend options `docker build` cannot send (`context:<name>=<value>`), through the test-only
/// forwarding frontend: the Dockerfile starts with `# syntax=<forwarder>`, and build args tell
/// it where to forward (`E2E_FORWARD_TO`, our frontend) and which options to add
/// (`E2E_CONTEXT_<name>=<value>` becomes `context:<name>=<value>`).
struct Forward<'a> {
    env: &'a Env,
    image: String,
    /// Our frontend image.
    to: String,
}

impl Forward<'_> {
    /// A context whose Dockerfile runs the forwarder (`{{BASE}}` replaced).
    fn ctx(&self, name: &str, body: &str) -> Ctx {
        let body = body.replace("{{BASE}}", &self.env.base);
        Ctx::with_text(name, &format!("# syntax={}\n{body}", self.image))
    }

    /// `docker build` args: forward to our frontend, plus one `context:<name>=<value>` per pair.
    fn args(&self, contexts: &[(&str, &str)]) -> Vec<String> {
        let mut args = vec!["--build-arg".into(), format!("E2E_FORWARD_TO={}", self.to)];
        for (name, value) in contexts {
            args.push("--build-arg".into());
            args.push(format!("E2E_CONTEXT_{name}={value}"));
        }
        args
    }

    fn build_raw(&self, ctx: &Ctx, contexts: &[(&str, &str)], extra: &[&str]) -> Output {
        let args = self.args(contexts);
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.extend_from_slice(extra);
        self.env.build_raw(ctx, &all)
    }

    /// Build with `-o type=local` through the forwarder; must succeed.
    fn build_local(&self, ctx: &Ctx, contexts: &[(&str, &str)]) -> PathBuf {
        let args = self.args(contexts);
        let all: Vec<&str> = args.iter().map(String::as_str).collect();
        self.env.build_local(ctx, &all)
    }

    /// `<registry>/e2e-named:marker`: the base image plus `/marker` (`marker`), built with our
    /// frontend and pushed once per run, for the cases that need a second image.
    fn marker_image(&self) -> String {
        static IMAGE: OnceLock<String> = OnceLock::new();
        IMAGE
            .get_or_init(|| {
                let tag = format!("{}/e2e-named:marker", self.env.registry());
                let ctx = Ctx::new(
                    self.env,
                    "marker-image",
                    "FROM {{BASE}}\nRUN echo marker > /marker\n",
                );
                self.env.build(&ctx, &["-t", &tag]);
                let r = self.env.run(["push", &tag]);
                assert!(r.status.success(), "push {tag}: {}", text(&r));
                tag
            })
            .clone()
    }
}

fn read(dir: &Path, rel: &str) -> String {
    fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn nonce() -> String {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{t}-{}", COUNTER.fetch_add(1, Ordering::SeqCst))
}

/// One `#[test]` per case in module `$module`, run on `$engine`.
macro_rules! cases_on {
    ($module:ident, $engine:expr, [$($case:ident),* $(,)?]) => {
        mod $module {
            use super::*;
            $(
                #[test]
                fn $case() {
                    run_case($engine, super::$case);
                }
            )*
        }
    };
}

/// Every engine runs these.
macro_rules! on_every_engine {
    ($($case:ident),* $(,)?) => {
        cases_on!(v0_8, Engine::V0_8, [$($case),*]);
        cases_on!(v0_8_buildx, Engine::V0_8Buildx, [$($case),*]);
        cases_on!(current, Engine::Current, [$($case),*]);
    };
}

#[path = "e2e/bake.rs"]
mod e2e_engine_bake;
#[path = "e2e/checks.rs"]
mod e2e_engine_checks;
#[path = "e2e/contexts.rs"]
mod e2e_engine_contexts;
#[path = "e2e/control.rs"]
mod e2e_engine_control;
#[path = "e2e/forward.rs"]
mod e2e_engine_forward;
#[path = "e2e/outline.rs"]
mod e2e_engine_outline;
#[path = "e2e/platforms.rs"]
mod e2e_engine_platforms;
/// The superset's cases live in their own file.
#[path = "e2e/superset.rs"]
mod e2e_engine_superset;

/// The cases. `scripts/test` runs them in their own phase (`cargo test -p tests --test e2e`)
/// and skips `e2e_engine::` in the workspace-wide `cargo test`.
mod e2e_engine {
    use super::e2e_engine_superset::*;
    use super::*;

    // Build checks and subrequests: `e2e/checks.rs`.
    use super::e2e_engine_checks::*;

    // ---------------------------------------------------------------------------------------------
    // Stages, targets, inheritance, ARGs
    // ---------------------------------------------------------------------------------------------

    fn named_stages_and_target_skip_unneeded_broken_stage(env: &Env) {
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

    fn stage_inheritance_keeps_files_env_workdir_user(env: &Env) {
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

    fn args_and_build_args(env: &Env) {
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

    fn parallel_stages_run_concurrently(env: &Env) {
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

    // ---------------------------------------------------------------------------------------------
    // RUN --mount
    // ---------------------------------------------------------------------------------------------

    fn cache_mounts_persist_and_are_shared_by_id(env: &Env) {
        let id = format!("e2e-cache-{}", nonce());
        let df = format!(
            r#"FROM {{{{BASE}}}}
ARG RUN_NO
RUN --mount=type=cache,id={id},target=/cache \
    echo "run $RUN_NO" >> /cache/log && cp /cache/log /log
"#
        );
        let ctx = Ctx::new(env, "cache", &df);
        let out = env.build_local(&ctx, &["--build-arg", "RUN_NO=1"]);
        assert_eq!(read(&out, "log"), "run 1\n");
        let out = env.build_local(&ctx, &["--build-arg", "RUN_NO=2"]);
        assert_eq!(
            read(&out, "log"),
            "run 1\nrun 2\n",
            "cache mount content persists"
        );

        // Another Dockerfile, another target path, same id: same cache.
        let df2 = format!(
            r#"FROM {{{{BASE}}}}
ARG RUN_NO
RUN --mount=type=cache,id={id},target=/elsewhere/c \
    echo "other $RUN_NO" >> /elsewhere/c/log && cp /elsewhere/c/log /log
"#
        );
        let ctx2 = Ctx::new(env, "cache2", &df2);
        let out = env.build_local(&ctx2, &["--build-arg", "RUN_NO=3"]);
        assert_eq!(read(&out, "log"), "run 1\nrun 2\nother 3\n", "shared by id");

        // A cache mount never ends up in the result.
        assert!(!out.join("cache").join("log").exists());
    }

    fn secret_mount_is_readable_and_in_no_layer(env: &Env) {
        let secret = format!("s3cr3t-{}", nonce());
        // A secret is not part of the cache key: the nonce in ENV keeps the RUNs from reusing
        // an earlier build's results (another engine's on the same daemon, or another run's),
        // which hold another secret's size.
        let df = format!(
            r#"FROM {{{{BASE}}}}
ENV E2E_NONCE={}
RUN --mount=type=secret,id=mysecret \
    test -f /run/secrets/mysecret && wc -c < /run/secrets/mysecret > /secret-size
RUN --mount=type=secret,id=mysecret,target=/custom/path,required=true \
    cat /custom/path | grep -q '^s3cr3t-' && echo ok > /secret-ok
RUN --mount=type=secret,id=missing echo "optional secret absent is fine" > /optional-ok
"#,
            nonce()
        );
        let ctx = Ctx::new(env, "secret", &df);
        let src = ctx.scratch("secret").join("secret.txt");
        fs::write(&src, &secret).unwrap();
        let secret_arg = format!("id=mysecret,src={}", src.display());
        let tag = env.tag("e2e-secret");
        let tag = tag.as_str();
        env.build(&ctx, &["--secret", &secret_arg, "-t", tag]);

        let out = env.build_local(&ctx, &["--secret", &secret_arg]);
        assert_eq!(read(&out, "secret-size").trim(), secret.len().to_string());
        assert_eq!(read(&out, "secret-ok"), "ok\n");
        assert!(out.join("optional-ok").exists());
        assert!(
            !out.join("run/secrets/mysecret").exists(),
            "secret file left in the result"
        );
        assert!(
            !out.join("custom/path").exists(),
            "secret target left in the result"
        );

        // `docker save` holds every layer (uncompressed tars) and the config: no secret anywhere.
        let save = ctx.scratch("save").join("image.tar");
        let r = env.run(["save", "-o", save.to_str().unwrap(), tag]);
        assert!(r.status.success(), "{}", text(&r));
        let bytes = fs::read(&save).unwrap();
        assert!(bytes.len() > 1000);
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret value appears in `docker save` output"
        );

        // A required secret that is not provided fails the build.
        let ctx2 = Ctx::new(
            env,
            "secret-req",
            "FROM {{BASE}}\nRUN --mount=type=secret,id=absent,required=true cat /run/secrets/absent\n",
        );
        let r = env.build_raw(&ctx2, &[]);
        assert!(!r.status.success(), "missing required secret must fail");
    }

    /// A real ssh-agent on a unix socket, stopped (by its PID) on drop.
    struct Agent {
        child: Child,
        sock: PathBuf,
    }

    impl Agent {
        fn start(dir: &Path) -> Agent {
            let sock = dir.join("agent.sock");
            let child = Command::new("ssh-agent")
                .arg("-D")
                .arg("-a")
                .arg(&sock)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start ssh-agent (Debian package openssh-client)");
            let agent = Agent { child, sock };
            let t = Instant::now();
            while !agent.sock.exists() {
                assert!(
                    t.elapsed() < Duration::from_secs(10),
                    "ssh-agent did not create its socket"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            agent
        }
    }

    impl Drop for Agent {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn ssh_mount_forwards_the_agent_socket(env: &Env) {
        let ctx = Ctx::new(
            env,
            "ssh",
            r#"FROM {{BASE}}
RUN --mount=type=ssh \
    test -n "$SSH_AUTH_SOCK" && test -S "$SSH_AUTH_SOCK" && echo "$SSH_AUTH_SOCK" > /default-sock
RUN --mount=type=ssh,id=default,target=/tmp/agent.sock \
    test -S /tmp/agent.sock && test "$SSH_AUTH_SOCK" = /tmp/agent.sock && echo ok > /custom-ok
"#,
        );
        let agent = Agent::start(&ctx.scratch("agent"));
        let dest = ctx.scratch("out");
        let o = format!("type=local,dest={}", dest.display());
        let out = env
            .build_command(&ctx, &["--ssh", "default", "-o", &o])
            .env("SSH_AUTH_SOCK", &agent.sock)
            .output()
            .unwrap();
        drop(agent);
        assert!(out.status.success(), "ssh build failed:\n{}", text(&out));
        assert_eq!(read(&dest, "default-sock"), "/run/buildkit/ssh_agent.0\n");
        assert_eq!(read(&dest, "custom-ok"), "ok\n");
    }

    fn bind_and_tmpfs_mounts(env: &Env) {
        let ctx = Ctx::new(
            env,
            "bind",
            r#"FROM {{BASE}} AS data
RUN mkdir -p /data && echo from-stage > /data/f

FROM {{BASE}}
RUN --mount=type=bind,from=data,source=/data,target=/mnt/data \
    cat /mnt/data/f > /from-stage
RUN --mount=type=bind,target=/mnt/ctx \
    cat /mnt/ctx/input.txt > /from-context
RUN --mount=type=bind,source=sub,target=/mnt/sub,rw \
    echo scribble > /mnt/sub/new && cat /mnt/sub/s.txt > /from-sub
RUN --mount=type=tmpfs,target=/scratch \
    grep -q ' /scratch tmpfs ' /proc/mounts && echo tmp > /scratch/t && echo tmpfs-ok > /tmpfs-ok
"#,
        );
        ctx.write("input.txt", "context file\n");
        ctx.write("sub/s.txt", "sub file\n");
        let out = env.build_local(&ctx, &[]);
        assert_eq!(read(&out, "from-stage"), "from-stage\n");
        assert_eq!(read(&out, "from-context"), "context file\n");
        assert_eq!(read(&out, "from-sub"), "sub file\n");
        assert_eq!(read(&out, "tmpfs-ok"), "tmpfs-ok\n");
        assert!(
            !out.join("mnt/data/f").exists(),
            "bind mount content leaked"
        );
        assert!(!out.join("scratch/t").exists(), "tmpfs content leaked");
        assert!(
            !ctx.dir.join("sub/new").exists(),
            "rw bind must not write back to the context"
        );
    }

    // ---------------------------------------------------------------------------------------------
    // Heredocs, COPY / ADD
    // ---------------------------------------------------------------------------------------------

    fn heredocs_in_run_and_copy(env: &Env) {
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

    fn copy_and_add_flags_chown_from_and_add_tar(env: &Env) {
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

    fn copy_chmod(env: &Env) {
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

    fn copy_link(env: &Env) {
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

    fn copy_exclude(env: &Env) {
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

    // ---------------------------------------------------------------------------------------------
    // Image config
    // ---------------------------------------------------------------------------------------------

    fn image_config_instructions(env: &Env) {
        let ctx = Ctx::new(
            env,
            "config",
            r#"FROM {{BASE}}
ENV APP_HOME=/srv/app PLAIN=value
ENV SPACED="a b"
LABEL org.example.name="e2e" org.example.multi="one two"
WORKDIR ${APP_HOME}
RUN echo "$(pwd)" > /workdir.txt
EXPOSE 8080 9090/udp
VOLUME ["/data"]
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=5s --start-period=2s --retries=4 CMD test -f /workdir.txt
SHELL ["/bin/sh", "-e", "-c"]
RUN echo "shell is $0" > /shell.txt
USER app:app
ENTRYPOINT ["/bin/echo", "entry"]
CMD ["default", "args"]
"#,
        );
        let tag = env.tag("e2e-config");
        let tag = tag.as_str();
        env.build(&ctx, &["-t", tag]);
        let img = env.inspect(tag);
        let c = &img["Config"];
        let envs: Vec<&str> = c["Env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(envs.contains(&"APP_HOME=/srv/app"), "{envs:?}");
        assert!(envs.contains(&"PLAIN=value"), "{envs:?}");
        assert!(envs.contains(&"SPACED=a b"), "{envs:?}");
        assert!(
            envs.iter().any(|e| e.starts_with("PATH=")),
            "PATH kept from base: {envs:?}"
        );
        assert_eq!(c["Labels"]["org.example.name"], "e2e");
        assert_eq!(c["Labels"]["org.example.multi"], "one two");
        assert_eq!(c["WorkingDir"], "/srv/app");
        assert_eq!(c["User"], "app:app");
        assert!(
            c["ExposedPorts"].get("8080/tcp").is_some(),
            "{}",
            c["ExposedPorts"]
        );
        assert!(
            c["ExposedPorts"].get("9090/udp").is_some(),
            "{}",
            c["ExposedPorts"]
        );
        assert!(c["Volumes"].get("/data").is_some(), "{}", c["Volumes"]);
        assert_eq!(c["StopSignal"], "SIGINT");
        let hc = &c["Healthcheck"];
        assert_eq!(
            hc["Test"],
            serde_json::json!(["CMD-SHELL", "test -f /workdir.txt"])
        );
        assert_eq!(hc["Interval"], 30_000_000_000u64);
        assert_eq!(hc["Timeout"], 5_000_000_000u64);
        assert_eq!(hc["StartPeriod"], 2_000_000_000u64);
        assert_eq!(hc["Retries"], 4);
        assert_eq!(c["Shell"], serde_json::json!(["/bin/sh", "-e", "-c"]));
        assert_eq!(c["Entrypoint"], serde_json::json!(["/bin/echo", "entry"]));
        assert_eq!(c["Cmd"], serde_json::json!(["default", "args"]));

        // History: one entry per instruction, RUNs as the shell sees them.
        let hist = env.history(tag);
        let joined = hist.join("\n");
        assert!(joined.contains("EXPOSE"), "{joined}");
        assert!(joined.contains("STOPSIGNAL"), "{joined}");
        assert!(
            joined.contains("/bin/sh -e -c echo \"shell is $0\""),
            "{joined}"
        );
        assert!(joined.contains("WORKDIR /srv/app"), "{joined}");

        // The image runs with that config.
        let r = env.run(["run", "--rm", "--network", "none", tag]);
        assert!(r.status.success(), "{}", text(&r));
        assert_eq!(String::from_utf8_lossy(&r.stdout), "entry default args\n");
        let r = env.run([
            "run",
            "--rm",
            "--network",
            "none",
            "--entrypoint",
            "cat",
            tag,
            "/workdir.txt",
            "/shell.txt",
        ]);
        assert_eq!(
            String::from_utf8_lossy(&r.stdout),
            "/srv/app\nshell is /bin/sh\n"
        );
    }

    fn onbuild_triggers_run_in_child_build(env: &Env) {
        let registry = env
            .registry
            .clone()
            .unwrap_or_else(|| "localhost:5000".into());
        let parent_tag = format!("{registry}/e2e-onbuild:parent-{}", env.engine.tag());
        let parent = Ctx::new(
            env,
            "onbuild-parent",
            r#"FROM {{BASE}}
ONBUILD COPY trigger.txt /from-trigger.txt
ONBUILD RUN echo "onbuild ran" > /onbuild.txt
RUN echo parent > /parent.txt
"#,
        );
        env.build(&parent, &["-t", &parent_tag]);
        let img = env.inspect(&parent_tag);
        let onbuild = img["Config"]["OnBuild"].as_array().unwrap();
        assert_eq!(onbuild.len(), 2, "{onbuild:?}");
        // The parent itself must not run its triggers.
        let out = env.build_local(&parent, &[]);
        assert!(!out.join("onbuild.txt").exists());
        let r = env.run(["push", &parent_tag]);
        assert!(r.status.success(), "push {parent_tag}: {}", text(&r));

        let child = Ctx::new(
            env,
            "onbuild-child",
            &format!("FROM {parent_tag}\nRUN cat /onbuild.txt /from-trigger.txt > /child.txt\n"),
        );
        child.write("trigger.txt", "trigger file\n");
        let out = env.build_local(&child, &[]);
        assert_eq!(read(&out, "child.txt"), "onbuild ran\ntrigger file\n");
    }

    // ---------------------------------------------------------------------------------------------
    // The forwarding frontend (options `docker build` cannot send) and named build contexts
    // ---------------------------------------------------------------------------------------------

    fn forwarder_passes_options_results_and_errors(env: &Env) {
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

    // ---------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------

    fn syntax_error_shows_the_offending_line(env: &Env) {
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

    fn failing_run_shows_command_and_exit_code(env: &Env) {
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

    // ---------------------------------------------------------------------------------------------
    // The example users copy (what scripts/demo builds)
    // ---------------------------------------------------------------------------------------------

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

    fn example_hello_builds_and_runs(env: &Env) {
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
    fn llb_gen_cli_output_of_example_hello_builds_and_runs(env: &Env) {
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

    // ---------------------------------------------------------------------------------------------
    // Only on the current engine
    // ---------------------------------------------------------------------------------------------

    /// `docker buildx build --build-context`: buildx sends `context:<name>` itself, no forwarder.
    /// Current engine only: BuildKit v0.8 refuses named contexts ("unsupported frontend
    /// capability moby.buildkit.frontend.contexts"), and Docker 20.10's `docker build` has no
    /// such flag.
    fn buildx_build_context_replaces_a_missing_image(env: &Env) {
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
    fn buildctl_gateway_frontend_builds_example_hello(env: &Env) {
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

    // The superset's build control (cache presets, RUN --no-cache): `e2e/control.rs`.
    use super::e2e_engine_control::*;

    // ---------------------------------------------------------------------------------------------
    // The cases on each engine
    // ---------------------------------------------------------------------------------------------

    on_every_engine!(
        cache_presets_as_root,
        cache_presets_as_numeric_user,
        cache_presets_as_named_user,
        no_cache_step_reruns,
        workdir_chown_and_chmod,
        require_builds_the_named_stage_alongside,
        named_stages_and_target_skip_unneeded_broken_stage,
        stage_inheritance_keeps_files_env_workdir_user,
        args_and_build_args,
        parallel_stages_run_concurrently,
        cache_mounts_persist_and_are_shared_by_id,
        secret_mount_is_readable_and_in_no_layer,
        ssh_mount_forwards_the_agent_socket,
        bind_and_tmpfs_mounts,
        heredocs_in_run_and_copy,
        copy_and_add_flags_chown_from_and_add_tar,
        copy_chmod,
        copy_link,
        copy_exclude,
        image_config_instructions,
        onbuild_triggers_run_in_child_build,
        forwarder_passes_options_results_and_errors,
        syntax_error_shows_the_offending_line,
        failing_run_shows_command_and_exit_code,
        example_hello_builds_and_runs,
        llb_gen_cli_output_of_example_hello_builds_and_runs,
        superset_include_and_if_build_like_hand_written,
        superset_variables_in_from_build_only_the_chosen_stage,
        superset_errors_point_into_the_included_file,
        example_superset_services_build_and_run,
        check_findings_do_not_fail_a_build,
        superset_imports_build_like_hand_written,
    );

    // The current engine only (the reasons are on the cases).
    cases_on!(
        current_only,
        Engine::Current,
        [
            buildx_build_context_replaces_a_missing_image,
            buildctl_gateway_frontend_builds_example_hello,
            buildx_call_targets_lists_stages,
            buildx_call_check_reports_rules_and_lines,
            buildx_call_check_text_shows_code_frames,
            buildx_check_passes_a_clean_file,
            build_shows_check_warnings,
            check_error_true_fails_the_build,
        ]
    );
}
