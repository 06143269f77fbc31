//! Git and HTTP(S) main build contexts, on every engine: the client is given a URL instead of a
//! directory (`docker build git://…`, `docker buildx build http://…`), and the Dockerfile comes
//! from that source too. The Git repository is served by a real `git daemon` on 127.0.0.1 that
//! the case starts (and stops by its PID); the HTTP contexts by a loopback HTTP server thread.
//! On BuildKit v0.8 (`docker build`), the engine's built-in frontend reads the Dockerfile from
//! the URL first and forwards to ours through the `# syntax=` line with the `context` option.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::*;

/// A `git daemon` serving the bare repositories under `root`, stopped on drop.
struct GitDaemon {
    child: Child,
    port: u16,
}

impl GitDaemon {
    fn start(root: &Path) -> GitDaemon {
        let port = free_port();
        let child = Command::new("git")
            .arg("daemon")
            .arg("--reuseaddr")
            .arg("--listen=127.0.0.1")
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", root.display()))
            .arg("--export-all")
            .arg(root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start git daemon");
        wait_for_port(port);
        GitDaemon { child, port }
    }

    fn url(&self, repo_and_fragment: &str) -> String {
        format!("git://127.0.0.1:{}/{repo_and_fragment}", self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listens on 127.0.0.1:{port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "e2e")
        .env("GIT_AUTHOR_EMAIL", "e2e@example.com")
        .env("GIT_COMMITTER_NAME", "e2e")
        .env("GIT_COMMITTER_EMAIL", "e2e@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
}

/// The Dockerfile of the cases: copies the whole context into `/src` and lists it, in an image
/// of just those files.
const LISTING: &str = "FROM {{BASE}} AS b\nCOPY . /src\nRUN cd /src && ls -a > /listing\n\
                       FROM scratch\nCOPY --from=b /src /src\nCOPY --from=b /listing /listing\n";

/// A bare repository `<root>/repo.git`: branch `main`, tag `v1`, with `app/Dockerfile`,
/// `app/hello.txt` and an `app/.dockerignore` that would exclude it (upstream applies no
/// `.dockerignore` to a remote context, and neither do we).
fn make_repo(env: &Env, ctx: &Ctx) -> PathBuf {
    let work = ctx.scratch("work");
    fs::create_dir_all(work.join("app")).unwrap();
    fs::write(work.join("app/Dockerfile"), env.dockerfile(LISTING)).unwrap();
    fs::write(work.join("app/hello.txt"), "hello from git\n").unwrap();
    fs::write(work.join("app/.dockerignore"), "hello.txt\n").unwrap();
    fs::write(work.join("README"), "root file\n").unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "e2e"]);
    git(&work, &["tag", "v1"]);
    let root = ctx.scratch("git-root");
    git(
        &root,
        &["clone", "-q", "--bare", work.to_str().unwrap(), "repo.git"],
    );
    root
}

/// Build `context` (a URL) with `-o type=local` into a fresh directory.
fn build_url(env: &Env, ctx: &Ctx, context: &str, args: &[&str]) -> (Output, PathBuf) {
    let dest = ctx.scratch("out");
    let o = format!("type=local,dest={}", dest.display());
    let mut all = vec!["-o", o.as_str()];
    all.extend_from_slice(args);
    let t = Instant::now();
    let out = env
        .build_command_at(OsStr::new(context), &all)
        .output()
        .expect("run docker build");
    eprintln!(
        "[{:?}] build {context} {} ({:.1}s, {})",
        env.engine,
        args.join(" "),
        t.elapsed().as_secs_f64(),
        out.status
    );
    (out, dest)
}

fn build_url_ok(env: &Env, ctx: &Ctx, context: &str, args: &[&str]) -> PathBuf {
    let (out, dest) = build_url(env, ctx, context, args);
    assert!(
        out.status.success(),
        "[{:?}] build {context} {args:?} failed:\n{}{}",
        env.engine,
        text(&out),
        env.daemon_log_tail()
    );
    dest
}

/// `docker build git://127.0.0.1:<port>/repo.git#<ref>[:<subdir>]`: the Dockerfile and the
/// context come from the repository; `-f` names a Dockerfile in it;
/// `BUILDKIT_CONTEXT_KEEP_GIT_DIR` keeps `.git`; a ref that does not exist fails. BuildKit
/// v0.8 has no Git sub-directories (`#ref:subdir` fails in the engine, with or without us).
pub(super) fn git_context_from_a_git_daemon(env: &Env) {
    let ctx = Ctx::with_text("git-context", "");
    let daemon = GitDaemon::start(&make_repo(env, &ctx));

    let subdir = daemon.url("repo.git#main:app");
    if env.engine == Engine::Current {
        let out = build_url_ok(env, &ctx, &subdir, &[]);
        assert_eq!(read(&out, "src/hello.txt"), "hello from git\n");
        let listing = read(&out, "listing");
        assert!(
            listing.contains(".dockerignore") && listing.contains("Dockerfile"),
            "{listing}"
        );
        assert!(!listing.contains(".git\n"), "{listing}");
    } else {
        // BuildKit v0.8's Git source has no sub-directories: the engine refuses `#ref:subdir`
        // itself, before any frontend sees the Dockerfile.
        let (r, _) = build_url(env, &ctx, &subdir, &[]);
        assert!(!r.status.success());
        assert!(
            text(&r).contains("subdir not supported yet"),
            "{}",
            text(&r)
        );
    }

    let tag = daemon.url("repo.git#v1");
    let keep = build_url_ok(
        env,
        &ctx,
        &tag,
        &[
            "-f",
            "app/Dockerfile",
            "--build-arg",
            "BUILDKIT_CONTEXT_KEEP_GIT_DIR=1",
        ],
    );
    assert_eq!(read(&keep, "src/README"), "root file\n");
    assert_eq!(read(&keep, "src/app/hello.txt"), "hello from git\n");
    assert!(keep.join("src/.git").is_dir(), "{}", read(&keep, "listing"));
    let plain = build_url_ok(env, &ctx, &tag, &["-f", "app/Dockerfile"]);
    assert!(
        !plain.join("src/.git").exists(),
        "{}",
        read(&plain, "listing")
    );

    let (r, _) = build_url(env, &ctx, &daemon.url("repo.git#no-such-ref"), &[]);
    assert!(!r.status.success(), "a missing ref must fail");
    let t = text(&r);
    assert!(t.contains("no-such-ref"), "{t}");
}

/// A loopback HTTP server with fixed files, stopped on drop.
struct HttpServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HttpServer {
    fn start(files: BTreeMap<String, Vec<u8>>) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let _ = answer(conn, &files);
                }
            }
        });
        HttpServer {
            port,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One request: `GET /<name>` gets the file, anything else a 404.
fn answer(conn: TcpStream, files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let mut conn = conn;
    match files.get(path.trim_start_matches('/')) {
        Some(body) => {
            write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n\
                 Connection: close\r\n\r\n",
                body.len()
            )?;
            if !request.starts_with("HEAD") {
                conn.write_all(body)?;
            }
        }
        None => write!(
            conn,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?,
    }
    conn.flush()
}

/// `docker build http://127.0.0.1:<port>/ctx.tar.gz` (a tarball: unpacked, it is the context
/// and holds the Dockerfile) and `…/Dockerfile` (not an archive: the download is the
/// Dockerfile, with an empty context).
pub(super) fn http_context_tarball_or_dockerfile(env: &Env) {
    let ctx = Ctx::new(env, "http-context", LISTING);
    ctx.write("hello.txt", "hello from a tarball\n");
    let tarball = ctx.scratch("tar").join("ctx.tar.gz");
    let tar = Command::new("tar")
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(&ctx.dir)
        .arg(".")
        .output()
        .expect("run tar");
    assert!(tar.status.success(), "{}", text(&tar));
    let lone = env.dockerfile(
        "FROM {{BASE}} AS b\nRUN echo from-a-url > /f\nFROM scratch\nCOPY --from=b /f /f\n",
    );
    let server = HttpServer::start(BTreeMap::from([
        ("ctx.tar.gz".to_string(), fs::read(&tarball).unwrap()),
        ("Dockerfile".to_string(), lone.into_bytes()),
    ]));
    let out = build_url_ok(env, &ctx, &server.url("ctx.tar.gz"), &[]);
    assert_eq!(read(&out, "src/hello.txt"), "hello from a tarball\n");
    let out = build_url_ok(env, &ctx, &server.url("Dockerfile"), &[]);
    assert_eq!(read(&out, "f"), "from-a-url\n");
}

/// `buildctl build --frontend gateway.v0 --opt context=git://… --opt contextsubdir=app`: our
/// image directly (no Dockerfile frontend in between), the Dockerfile read from the whole
/// repository (`filename=app/Dockerfile`), the context scoped to `app`; a `contextsubdir` that
/// leaves the context fails naming it. Current engine only: Docker 20.10 ships no buildctl.
pub(super) fn buildctl_git_context_with_contextsubdir(env: &Env) {
    let Some(frontend) = &env.frontend else {
        skip("(E2E_SYNTAX=builtin): the case is about our frontend");
        return;
    };
    let ctx = Ctx::with_text("git-subdir", "");
    let daemon = GitDaemon::start(&make_repo(env, &ctx));
    let run = |subdir: &str| {
        let Some(mut buildctl) = env.buildctl() else {
            skip_or_fail("buildctl is not configured (E2E_BUILDCTL, E2E_BUILDKIT_HOST)");
            return None;
        };
        let dest = ctx.scratch("out");
        let o = format!("type=local,dest={}", dest.display());
        let r = buildctl
            .args(["build", "--progress=plain", "--frontend", "gateway.v0"])
            .args(["--opt", &format!("source={frontend}")])
            .args(["--opt", &format!("context={}", daemon.url("repo.git#main"))])
            .args(["--opt", &format!("contextsubdir={subdir}")])
            .args(["--opt", "filename=app/Dockerfile", "--output", &o])
            .output()
            .expect("run buildctl");
        Some((r, dest))
    };
    let Some((r, dest)) = run("app") else {
        return;
    };
    assert!(r.status.success(), "{}{}", text(&r), env.daemon_log_tail());
    assert_eq!(read(&dest, "src/hello.txt"), "hello from git\n");
    assert!(
        !dest.join("src/README").exists(),
        "the context is app/ only"
    );
    let Some((r, _)) = run("../up") else {
        return;
    };
    assert!(!r.status.success());
    let t = text(&r);
    assert!(
        t.contains("contextsubdir") && t.contains("outside the build context"),
        "{t}"
    );
}

on_every_engine!(
    git_context_from_a_git_daemon,
    http_context_tarball_or_dockerfile,
);

cases_on!(
    current_only,
    Engine::Current,
    [buildctl_git_context_with_contextsubdir]
);

/// `--build-context base=oci-layout://<dir>@sha256:…`: an image written by `docker buildx build
/// -o type=oci` stands in for `FROM base`; buildx shares the layout in the session and our
/// frontend resolves its config from that store. Current engine only (named contexts).
pub(super) fn oci_layout_context_from_a_buildx_oci_export(env: &Env) {
    if env.builtin() {
        skip("(E2E_SYNTAX=builtin): the case is about our frontend");
        return;
    }
    let first = Ctx::new(
        env,
        "oci-export",
        "FROM {{BASE}}\nRUN echo from-layout > /marker\n",
    );
    let tar = first.scratch("oci").join("image.tar");
    env.build(&first, &["-o", &format!("type=oci,dest={}", tar.display())]);
    let layout = first.scratch("layout");
    let untar = Command::new("tar")
        .arg("-xf")
        .arg(&tar)
        .arg("-C")
        .arg(&layout)
        .output()
        .expect("run tar");
    assert!(untar.status.success(), "{}", text(&untar));
    let index: Value = serde_json::from_str(&read(&layout, "index.json")).unwrap();
    let digest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();

    let ctx = Ctx::new(env, "oci-context", "FROM base\nRUN cat /marker > /seen\n");
    let value = format!("base=oci-layout://{}@{digest}", layout.display());
    let out = env.build_local(&ctx, &["--build-context", &value]);
    assert_eq!(read(&out, "seen"), "from-layout\n");
}

cases_on!(
    current_named,
    Engine::Current,
    [oci_layout_context_from_a_buildx_oci_export]
);
