//! `llb-gen lock` and the conversion mode with a lock, against a small
//! registry on 127.0.0.1 (a thread answering the distribution API's GETs
//! from a table): the lock holds the digest and config the registry
//! served, is written the same twice, `--check` passes and then reports
//! drift once the tag moves; conversion with the lock pins the old image
//! online (asking the registry nothing) and offline (with its real
//! config); `BUILDKIT_LOCK=off` resolves the new one; a broken lock is a
//! located error.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::registry::Registry;

fn llb_gen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llb-gen"))
        .args(args)
        .current_dir(dir)
        .env("DOCKER_CONFIG", dir.join("no-docker-config"))
        .env("LLB_GEN_CACHE_DIR", dir.join("cache"))
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("llb-gen-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn lock_check_and_conversions_with_the_lock() {
    let reg = Registry::start();
    let old = reg.push("1");
    let dir = scratch("lock");
    let image = format!("localhost:{}/img:1", reg.port);
    std::fs::write(dir.join("Dockerfile"), format!("FROM {image}\nRUN true\n")).unwrap();

    let out = llb_gen(&dir, &["lock", "Dockerfile"]);
    assert!(out.status.success(), "{}", text(&out));
    let lock = std::fs::read_to_string(dir.join("Dockerfile.lock")).unwrap();
    assert!(lock.contains(&format!("\"{image}\"")), "{lock}");
    assert!(lock.contains(&old) && lock.contains("\"V=1\""), "{lock}");
    assert!(lock.ends_with("}\n"));
    let out = llb_gen(&dir, &["lock", "Dockerfile"]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(dir.join("Dockerfile.lock")).unwrap(),
        lock,
        "the same registry gives the same bytes"
    );
    let out = llb_gen(&dir, &["lock", "--check", "Dockerfile"]);
    assert!(out.status.success(), "{}", text(&out));

    // The tag moves.
    let new = reg.push("2");
    let out = llb_gen(&dir, &["lock", "--check", "Dockerfile"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!("drift: locked {old}, registry now {new}")),
        "{said}"
    );

    // Online conversion: the lock wins, and the registry is not asked.
    let before = reg.asked();
    let out = llb_gen(
        &dir,
        &["--json", "--image-config", "config.json", "Dockerfile"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{image}@{old}")));
    assert_eq!(
        reg.asked(),
        before,
        "no registry request for a locked image"
    );
    let config = std::fs::read_to_string(dir.join("config.json")).unwrap();
    assert!(config.contains("V=1"), "{config}");

    // Offline: the real config from the lock.
    let out = llb_gen(
        &dir,
        &[
            "--offline",
            "--json",
            "--image-config",
            "config.json",
            "Dockerfile",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{image}@{old}")));
    let config = std::fs::read_to_string(dir.join("config.json")).unwrap();
    assert!(config.contains("V=1"), "{config}");

    // Lock off: the tag as it is now.
    let out = llb_gen(
        &dir,
        &["--json", "--build-arg", "BUILDKIT_LOCK=off", "Dockerfile"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{image}@{new}")));

    // A broken lock: located in the lock file, nothing on stdout.
    std::fs::write(
        dir.join("Dockerfile.lock"),
        lock.replace(&old, "sha256:nothex"),
    )
    .unwrap();
    let out = llb_gen(&dir, &["--offline", "Dockerfile"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Dockerfile.lock:") && err.contains("is not a digest"),
        "{err}"
    );
    let out = llb_gen(&dir, &["lock", "--check", "Dockerfile"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lock_refuses_stdin_and_bad_arguments() {
    let dir = scratch("lock-args");
    let out = llb_gen(&dir, &["lock", "-"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("must be a file"), "{}", text(&out));
    std::fs::write(dir.join("Dockerfile"), "FROM scratch\n").unwrap();
    let out = llb_gen(&dir, &["lock", "--platform", "linux/a*", "Dockerfile"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--platform"), "{}", text(&out));
    // Nothing to lock: an empty lock.
    let out = llb_gen(&dir, &["lock", "Dockerfile"]);
    assert!(out.status.success(), "{}", text(&out));
    let lock = std::fs::read_to_string(dir.join("Dockerfile.lock")).unwrap();
    assert_eq!(lock, "{\n  \"images\": {},\n  \"version\": 1\n}\n");
    let _ = std::fs::remove_dir_all(&dir);
}
