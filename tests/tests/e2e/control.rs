//! End-to-end cases of the superset's build control (`docs/superset.md`, "Build control"):
//! cache presets and `RUN --no-cache`. Included by `e2e.rs` inside `e2e_engine`, with its harness.

use super::*;

/// A fake package manager for every preset: it finds its cache the way the real tool does
/// (the same environment variables, configuration and default directories) and counts its runs
/// there, appending `<tool> <count>` to `/out/result`. The apt one reads `APT_CONFIG` and then
/// `/etc/apt/apt.conf.d` (later files win, as in apt), needs `lists/partial` and
/// `archives/partial`, and runs the `docker-clean` hook of Debian's images afterwards.
const TOOL: &str = r#"#!/bin/sh
set -e
h=${HOME:-/root}
case $1 in
pip) d=${PIP_CACHE_DIR:-$h/.cache/pip} ;;
uv) d=${UV_CACHE_DIR:-$h/.cache/uv}; [ "$UV_LINK_MODE" = copy ] ;;
poetry) d=${POETRY_CACHE_DIR:-$h/.cache/pypoetry} ;;
npm) d=${npm_config_cache:-$h/.npm} ;;
pnpm) d=${npm_config_store_dir:-$h/.local/share/pnpm/store} ;;
yarn) d=${YARN_CACHE_FOLDER:-$h/.cache/yarn} ;;
go) d=${GOCACHE:-$h/.cache/go-build} ;;
gomod) d=${GOMODCACHE:-$h/go/pkg/mod} ;;
cargo) d=${CARGO_HOME:-$h/.cargo}/registry ;;
maven) d=$h/.m2/repository
  for o in $MAVEN_OPTS; do case $o in -Dmaven.repo.local=*) d=${o#*=} ;; esac; done ;;
gradle) d=${GRADLE_USER_HOME:-$h/.gradle} ;;
ccache) d=${CCACHE_DIR:-$h/.ccache} ;;
apk) d=/etc/apk/cache; [ -d $d ] || { echo "apk: no cache" >> /out/result; exit 0; } ;;
dnf) d=/var/cache/dnf ;;
apt) c=/var/cache/apt/ l=/var/lib/apt/lists/
  for f in $APT_CONFIG /etc/apt/apt.conf.d/*; do
    [ -f "$f" ] || continue
    v=$(sed -n 's/^Dir::Cache "\(.*\)";$/\1/p' "$f"); [ -z "$v" ] || c=$v
    v=$(sed -n 's/^Dir::State::lists "\(.*\)";$/\1/p' "$f"); [ -z "$v" ] || l=$v
  done
  [ -d "${l}partial" ] && [ -d "${c}archives/partial" ] || { echo "apt: missing partial" >&2; exit 100; }
  d=${c}archives ;;
*) echo "unknown tool $1" >&2; exit 2 ;;
esac
# Without a preset (the comparison build) a user may not write there: noted, not fatal.
n=$(( $(cat "$d/runs.deb" 2>/dev/null || echo 0) + 1 ))
{ mkdir -p "$d" && echo $n > "$d/runs.deb"; } 2>/dev/null || { echo "$1: cannot write $d" >> /out/result; exit 0; }
echo "$1 $n" >> /out/result
if [ $1 = apt ]; then rm -f /var/cache/apt/archives/*.deb; fi
"#;

const ALL: &str = "apt apk dnf pip uv poetry npm pnpm yarn go gomod cargo maven gradle ccache";

/// The Dockerfile: a base with the fake tools and Debian's `docker-clean`, then as `user`
/// (empty: root) the tools once with presets, half of them stage-wide. `presets: false` gives
/// the same file without any preset, for comparing config and history.
fn preset_dockerfile(user: &str, presets: bool) -> String {
    let (cache, flag) = if presets {
        (
            "CACHE apt apk dnf pip uv poetry npm\n",
            "--cache=pnpm,yarn,go,cargo,maven,gradle,ccache ",
        )
    } else {
        ("", "")
    };
    let user_line = if user.is_empty() {
        String::new()
    } else {
        format!("USER {user}\nENV HOME=/home/u\n")
    };
    format!(
        r#"FROM {{{{BASE}}}}
COPY --chmod=755 tool /usr/local/bin/tool
RUN mkdir -p -m 777 /out /home/u /etc/apt/apt.conf.d /var/cache/apt/archives/partial /var/lib/apt/lists/partial && \
    echo 'DPkg::Post-Invoke {{ "rm -f /var/cache/apt/archives/*.deb || true"; }};' > /etc/apt/apt.conf.d/docker-clean
{user_line}{cache}ARG RUN_NO
RUN {flag}for t in {ALL}; do tool $t; done && echo "run $RUN_NO" >> /out/result
"#
    )
}

/// The counts a build's `/out/result` shows, as `tool count` lines (the `run` line dropped).
fn counts(dir: &Path) -> Vec<String> {
    read(dir, "out/result")
        .lines()
        .filter(|l| !l.starts_with("run "))
        .map(str::to_owned)
        .collect()
}

/// Every path under `dir` (relative), for "nothing of the preset stayed" checks.
fn tree(dir: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for e in fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            out.insert(p.strip_prefix(root).unwrap().display().to_string());
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(root, &p, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

fn presets_for(env: &Env, user: &str, label: &str) {
    if env.builtin() {
        skip("(E2E_SYNTAX=builtin): cache presets are our extension");
        return;
    }
    // A namespace of our own: the engines' caches outlive one case (and v0_8 and v0_8_buildx
    // share Docker's), so the counts start at 1 here.
    let ns = format!("BUILDKIT_CACHE_MOUNT_NS=e2e-{}", nonce());
    let ctx = Ctx::new(
        env,
        &format!("presets-{label}"),
        &preset_dockerfile(user, true),
    );
    ctx.write("tool", TOOL);
    let first = env.build_local(&ctx, &["--build-arg", &ns, "--build-arg", "RUN_NO=1"]);
    let want1: Vec<String> = ALL.split(' ').map(|t| format!("{t} 1")).collect();
    assert_eq!(
        counts(&first),
        want1,
        "[{label}] every tool found its cache empty"
    );
    let second = env.build_local(&ctx, &["--build-arg", &ns, "--build-arg", "RUN_NO=2"]);
    let want2: Vec<String> = ALL.split(' ').map(|t| format!("{t} 2")).collect();
    assert_eq!(
        counts(&second),
        want2,
        "[{label}] every tool saw the first build's files"
    );

    // Nothing of the presets in the files: no counter anywhere, nothing under `/dev` or the
    // user's home. The fixed places (apk, dnf, cargo) are mount points in the image's tree:
    // BuildKit v0.8 leaves them behind as empty directories, later engines remove them.
    let home = if user.is_empty() { "root" } else { "home/u" };
    let stubs: Vec<String> = ["etc/apk/cache", "var/cache/dnf", "var/cache/libdnf5"]
        .iter()
        .map(|s| s.to_string())
        .chain(["/.cargo", "/.cargo/registry", "/.cargo/git"].map(|s| format!("{home}{s}")))
        .collect();
    let files = tree(&second);
    let leaked: Vec<&String> = files
        .iter()
        .filter(|p| !stubs.contains(p))
        .filter(|p| p.ends_with("runs.deb") || p.starts_with("home/u/") || p.starts_with("dev/"))
        .collect();
    assert!(leaked.is_empty(), "[{label}] left in the image: {leaked:?}");
    for stub in stubs.iter().filter(|s| files.contains(*s)) {
        assert!(
            env.engine != Engine::Current,
            "[{label}] mount point {stub} left in the image"
        );
        let entries = fs::read_dir(second.join(stub)).unwrap().count();
        let empty_or_stub = entries == 0 || stub.ends_with(".cargo");
        assert!(
            empty_or_stub,
            "[{label}] {stub} is not an empty mount point"
        );
    }

    // Config and history: exactly those of the same file without presets.
    let tag = env.tag(&format!("e2e-presets-{label}"));
    env.build(
        &ctx,
        &["--build-arg", &ns, "--build-arg", "RUN_NO=2", "-t", &tag],
    );
    let plain = Ctx::new(
        env,
        &format!("presets-plain-{label}"),
        &preset_dockerfile(user, false),
    );
    plain.write("tool", TOOL);
    let plain_tag = env.tag(&format!("e2e-presets-plain-{label}"));
    env.build(&plain, &["--build-arg", "RUN_NO=2", "-t", &plain_tag]);
    let (a, b) = (env.inspect(&tag), env.inspect(&plain_tag));
    assert_eq!(a["Config"], b["Config"], "[{label}] image config");
    assert_eq!(
        a["RootFS"]["Layers"].as_array().map(Vec::len),
        b["RootFS"]["Layers"].as_array().map(Vec::len),
        "[{label}] layer count"
    );
    assert_eq!(
        env.history(&tag),
        env.history(&plain_tag),
        "[{label}] history"
    );
}

pub(crate) fn cache_presets_as_root(env: &Env) {
    presets_for(env, "", "root");
}

pub(crate) fn cache_presets_as_numeric_user(env: &Env) {
    presets_for(env, "1000:1000", "uid");
}

pub(crate) fn cache_presets_as_named_user(env: &Env) {
    presets_for(env, "app", "named");
}

/// `RUN --no-cache` runs again on an unchanged second build, and so does the step after it;
/// the step before it stays cached.
pub(crate) fn no_cache_step_reruns(env: &Env) {
    if env.builtin() {
        skip("(E2E_SYNTAX=builtin): RUN --no-cache is our extension");
        return;
    }
    let df = r#"FROM {{BASE}}
RUN cat /proc/sys/kernel/random/uuid > /before
RUN --no-cache cat /proc/sys/kernel/random/uuid > /fresh
RUN cat /proc/sys/kernel/random/uuid > /after
"#;
    let ctx = Ctx::new(env, "no-cache", df);
    let one = env.build_local(&ctx, &[]);
    let two = env.build_local(&ctx, &[]);
    assert_eq!(
        read(&one, "before"),
        read(&two, "before"),
        "cached before it"
    );
    assert_ne!(
        read(&one, "fresh"),
        read(&two, "fresh"),
        "the --no-cache step reran"
    );
    assert_ne!(
        read(&one, "after"),
        read(&two, "after"),
        "the step after it reran"
    );
}

/// `WORKDIR --chown/--chmod` creates the directory (and its missing parents) with that owner
/// (names resolved from the image's `/etc/passwd`, like `COPY --chown`) and mode.
pub(crate) fn workdir_chown_and_chmod(env: &Env) {
    if env.builtin() {
        skip("(E2E_SYNTAX=builtin): WORKDIR --chown is our extension");
        return;
    }
    let df = r#"FROM {{BASE}}
WORKDIR --chown=app:app --chmod=0750 /srv/data
ARG OWNER=1000:100
WORKDIR --chown=$OWNER sub
WORKDIR /
RUN stat -c '%u:%g %a' /srv/data /srv/data/sub /srv > /owners
"#;
    let ctx = Ctx::new(env, "workdir-chown", df);
    let out = env.build_local(&ctx, &[]);
    assert_eq!(
        read(&out, "owners"),
        "1000:1000 750\n1000:100 755\n1000:1000 750\n"
    );
}

/// `REQUIRE`: the named stage builds in parallel with the requiring one (they meet at a
/// rendezvous in a shared cache mount: one after the other, the first would time out), a
/// failing required stage fails the build, and the image (config, layers, history) is exactly
/// the one built without the `REQUIRE` line.
pub(crate) fn require_builds_the_named_stage_alongside(env: &Env) {
    if env.builtin() {
        skip("(E2E_SYNTAX=builtin): REQUIRE is our extension");
        return;
    }
    let nonce = nonce();
    let meet = |mine: &str, other: &str| {
        format!(
            "RUN --mount=type=cache,id=require-{nonce},target=/sync touch /sync/{mine} && \\\n    i=0; while [ ! -e /sync/{other} ] && [ $i -lt 60 ]; do sleep 1; i=$((i+1)); done; [ -e /sync/{other} ]"
        )
    };
    let df = format!(
        "FROM {{{{BASE}}}} AS test\n{}\nFROM {{{{BASE}}}} AS app\nREQUIRE test\n{} && echo built > /built\n",
        meet("test", "app"),
        meet("app", "test")
    );
    let ctx = Ctx::new(env, "require", &df);
    let out = env.build_local(&ctx, &[]);
    assert_eq!(read(&out, "built"), "built\n");

    let failing = "FROM {{BASE}} AS test\nRUN echo testing; exit 3\nFROM {{BASE}} AS app\nREQUIRE test\nRUN echo hi > /hi\n";
    let ctx = Ctx::new(env, "require-fails", failing);
    let r = env.build_raw(&ctx, &[]);
    let output = text(&r);
    assert!(
        !r.status.success(),
        "a failing required stage fails the build: {output}"
    );
    assert!(output.contains("exit code: 3"), "{output}");

    let body = "FROM {{BASE}} AS test\nRUN echo testing\nFROM {{BASE}} AS app\nREQUIRE test\nRUN echo hi > /hi\nENV A=1\n";
    let with = Ctx::new(env, "require-with", body);
    let without = Ctx::new(env, "require-without", &body.replace("REQUIRE test\n", ""));
    let (t1, t2) = (env.tag("e2e-require-with"), env.tag("e2e-require-without"));
    env.build(&with, &["-t", &t1]);
    env.build(&without, &["-t", &t2]);
    let (a, b) = (env.inspect(&t1), env.inspect(&t2));
    assert_eq!(a["Config"], b["Config"], "image config");
    assert_eq!(a["RootFS"], b["RootFS"], "layers");
    assert_eq!(env.history(&t1), env.history(&t2), "history");
}
