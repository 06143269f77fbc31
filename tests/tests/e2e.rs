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

    /// Builds `ctx` as `tag` with Docker's own builder (the image must land in the daemon to be
    /// pushed) and pushes it; panics with the output when either fails.
    fn build_and_push(&self, ctx: &Ctx, tag: &str) {
        let r = self
            .docker()
            .args(["build", "-q", "-t", tag])
            .arg(&ctx.dir)
            .output()
            .expect("run docker build");
        assert!(r.status.success(), "build {tag}: {}", text(&r));
        let r = self.run(["push", tag]);
        assert!(r.status.success(), "push {tag}: {}", text(&r));
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
#[path = "e2e/config.rs"]
mod e2e_engine_config;
#[path = "e2e/contexts.rs"]
mod e2e_engine_contexts;
#[path = "e2e/control.rs"]
mod e2e_engine_control;
#[path = "e2e/current.rs"]
mod e2e_engine_current;
#[path = "e2e/errors.rs"]
mod e2e_engine_errors;
#[path = "e2e/examples.rs"]
mod e2e_engine_examples;
#[path = "e2e/files.rs"]
mod e2e_engine_files;
#[path = "e2e/forward.rs"]
mod e2e_engine_forward;
#[path = "e2e/lock.rs"]
mod e2e_engine_lock;
#[path = "e2e/mounts.rs"]
mod e2e_engine_mounts;
#[path = "e2e/named.rs"]
mod e2e_engine_named;
#[path = "e2e/outline.rs"]
mod e2e_engine_outline;
#[path = "e2e/platforms.rs"]
mod e2e_engine_platforms;
#[path = "e2e/stages.rs"]
mod e2e_engine_stages;
/// The superset's cases live in their own file.
#[path = "e2e/superset.rs"]
mod e2e_engine_superset;

/// The cases. `scripts/test` runs them in their own phase (`cargo test -p tests --test e2e`)
/// and skips `e2e_engine::` in the workspace-wide `cargo test`.
mod e2e_engine {
    use super::e2e_engine_config::*;
    use super::e2e_engine_control::*;
    use super::e2e_engine_current::*;
    use super::e2e_engine_errors::*;
    use super::e2e_engine_examples::*;
    use super::e2e_engine_files::*;
    use super::e2e_engine_lock::*;
    use super::e2e_engine_mounts::*;
    use super::e2e_engine_named::*;
    use super::e2e_engine_stages::*;
    use super::e2e_engine_superset::*;
    use super::*;

    // Build checks and subrequests: `e2e/checks.rs`.
    use super::e2e_engine_checks::*;

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
        a_panic_in_the_frontend_fails_the_build_with_its_message,
        example_hello_builds_and_runs,
        llb_gen_cli_output_of_example_hello_builds_and_runs,
        superset_include_and_if_build_like_hand_written,
        superset_variables_in_from_build_only_the_chosen_stage,
        superset_errors_point_into_the_included_file,
        example_superset_services_build_and_run,
        check_findings_do_not_fail_a_build,
        superset_imports_build_like_hand_written,
        lock_pins_the_base_after_the_tag_moves,
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
            unlocked_image_is_warned_about,
        ]
    );
}
