#![allow(clippy::unwrap_used)] // tests may unwrap

use crate::convert::{convert_dockerfile, ConvertOptions, OfflineResolver};
use crate::llb::dump;

fn convert(text: &str) -> (String, String) {
    let c = convert_dockerfile(text, &ConvertOptions::default(), &OfflineResolver)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let config = String::from_utf8(c.image_config).unwrap();
    (dump(&c.definition), config)
}

fn error(text: &str) -> String {
    let e = convert_dockerfile(text, &ConvertOptions::default(), &OfflineResolver).unwrap_err();
    format!("{} {} {:?}", e[0].code, e[0].message, e[0].help)
}

/// The dump of the exec op whose args contain `cmd`.
fn exec_of<'a>(dump: &'a str, cmd: &str) -> &'a str {
    let start = dump.find(&format!("-c\", \"{cmd}\"]")).unwrap();
    let from = dump[..start].rfind(" exec\n").unwrap();
    let end = dump[start..].find("\n#").map_or(dump.len(), |e| start + e);
    &dump[from..end]
}

#[test]
fn pip_as_root_mounts_inside_dev_and_sets_the_variable_on_the_exec_only() {
    let (d, config) = convert("FROM alpine\nRUN --cache=pip pip install x\n");
    let exec = exec_of(&d, "pip install x");
    assert!(
        exec.contains("env \"PIP_CACHE_DIR=/dev/.cache/pip\""),
        "{exec}"
    );
    assert!(
        exec.contains("mount \"/dev/.cache/pip\" CACHE input=-1 output=-1 cache id=\"/preset-pip/linux-amd64\" sharing=SHARED"),
        "{exec}"
    );
    assert!(!config.contains("PIP_CACHE_DIR"), "{config}");
    assert!(!config.contains("--cache"), "{config}");
    assert!(
        !d.contains("preparing cache preset"),
        "root needs no seed: {d}"
    );
}

#[test]
fn apt_is_locked_with_its_directories_and_a_step_only_config() {
    let (d, config) = convert("FROM debian\nRUN --cache=apt apt-get update\n");
    let exec = exec_of(&d, "apt-get update");
    assert!(
        exec.contains("env \"APT_CONFIG=/dev/.cache/apt.conf\""),
        "{exec}"
    );
    assert!(exec.contains("mount \"/dev/.cache/apt\" CACHE"), "{exec}");
    assert!(exec.contains("sharing=LOCKED"), "{exec}");
    assert!(
        exec.contains(
            "mount \"/dev/.cache/apt.conf\" BIND input=2 output=-1 readonly selector=\"/apt.conf\""
        ),
        "{exec}"
    );
    assert!(d.contains("mkdir \"/cache/archives/partial\""), "{d}");
    assert!(d.contains("mkdir \"/cache/lists/partial\""), "{d}");
    assert!(d.contains("Dir::Cache \\\"/dev/.cache/apt/\\\";\\nDir::State::lists \\\"/dev/.cache/apt/lists/\\\";\\nAPT::Keep-Downloaded-Packages \\\"true\\\";\\nBinary::apt::APT::Keep-Downloaded-Packages \\\"true\\\";\\n"), "{d}");
    assert!(!config.contains("APT_CONFIG"), "{config}");
}

#[test]
fn the_image_apt_config_is_included() {
    let (d, _) =
        convert("FROM debian\nENV APT_CONFIG=/etc/my.conf\nRUN --cache=apt apt-get update\n");
    assert!(
        d.contains("data=\"#include \\\"/etc/my.conf\\\";\\nDir::Cache"),
        "{d}"
    );
}

#[test]
fn numeric_and_named_users_own_their_caches() {
    let (d, _) = convert("FROM alpine\nUSER 1000:50\nRUN --cache=npm npm ci\n");
    assert!(
        d.contains("mkdir \"/cache\" mode=755 parents=false owner=1000:50"),
        "{d}"
    );
    assert!(d.contains("id=\"/preset-npm/linux-amd64/uid-1000\""), "{d}");
    let (d, _) = convert("FROM alpine\nUSER app\nRUN --cache=npm npm ci\n");
    assert!(
        d.contains("mkdir \"/cache\" mode=777 parents=false owner=0:0"),
        "{d}"
    );
    assert!(d.contains("id=\"/preset-npm/linux-amd64/user-app\""), "{d}");
    assert!(d.contains("copy \"/cache\" -> \"/cache\" mode=777"), "{d}");
    let (d, _) = convert("FROM alpine\nUSER 0\nRUN --cache=npm npm ci\n");
    assert!(d.contains("id=\"/preset-npm/linux-amd64\""), "{d}");
}

#[test]
fn platforms_keep_their_caches_apart() {
    let (d, _) = convert("FROM --platform=linux/arm/v7 alpine\nRUN --cache=go go build\n");
    assert!(d.contains("id=\"/preset-go/linux-arm-v7\""), "{d}");
    let exec = exec_of(&d, "go build");
    assert!(
        exec.contains("env \"GOCACHE=/dev/.cache/go/build\""),
        "{exec}"
    );
    assert!(
        exec.contains("env \"GOMODCACHE=/dev/.cache/go/mod\""),
        "{exec}"
    );
}

#[test]
fn the_stage_env_says_where_and_is_left_alone() {
    let (d, _) =
        convert("FROM python\nENV PIP_CACHE_DIR=/var/pip\nRUN --cache=pip pip install x\n");
    let exec = exec_of(&d, "pip install x");
    assert!(exec.contains("mount \"/var/pip\" CACHE"), "{exec}");
    assert!(
        exec.contains("id=\"/preset-pip/linux-amd64/var/pip\""),
        "{exec}"
    );
    assert_eq!(exec.matches("PIP_CACHE_DIR").count(), 1, "{exec}");
}

#[test]
fn an_explicit_mount_on_the_same_target_wins() {
    let text =
        "FROM golang\nRUN --cache=go --mount=type=cache,target=/go/pkg/mod,id=mine go build\n";
    let (d, _) = convert(text);
    let exec = exec_of(&d, "go build");
    assert!(exec.contains("env \"GOMODCACHE=/go/pkg/mod\""), "{exec}");
    assert!(exec.contains("cache id=\"/mine\""), "{exec}");
    assert!(exec.contains("mount \"/dev/.cache/go\" CACHE"), "{exec}");
    let text =
        "FROM alpine\nRUN --cache=pip --mount=type=cache,target=/dev/.cache/pip,id=x pip i\n";
    let exec = convert(text).0;
    assert_eq!(
        exec.matches("mount \"/dev/.cache/pip\"").count(),
        1,
        "{exec}"
    );
    assert!(exec.contains("cache id=\"/x\""), "{exec}");
}

#[test]
fn maven_appends_to_the_stage_maven_opts() {
    let (d, _) = convert("FROM maven\nENV MAVEN_OPTS=-Xmx1g\nRUN --cache=maven mvn package\n");
    let exec = exec_of(&d, "mvn package");
    assert!(
        exec.contains("env \"MAVEN_OPTS=-Xmx1g -Dmaven.repo.local=/dev/.cache/maven\""),
        "{exec}"
    );
}

#[test]
fn fixed_places_for_apk_dnf_and_cargo() {
    let (d, _) = convert("FROM alpine\nRUN --cache=apk,dnf apk add x\n");
    assert!(d.contains("mount \"/etc/apk/cache\" CACHE input=-1 output=-1 cache id=\"/preset-apk/linux-amd64/etc/apk/cache\" sharing=LOCKED"), "{d}");
    assert!(d.contains("mount \"/var/cache/dnf\" CACHE"), "{d}");
    assert!(d.contains("mount \"/var/cache/libdnf5\" CACHE"), "{d}");
    let (d, _) =
        convert("FROM rust\nENV CARGO_HOME=/usr/local/cargo\nRUN --cache=cargo cargo build\n");
    assert!(
        d.contains("mount \"/usr/local/cargo/registry\" CACHE"),
        "{d}"
    );
    assert!(d.contains("mount \"/usr/local/cargo/git\" CACHE"), "{d}");
    let (d, _) = convert("FROM rust\nRUN --cache=cargo cargo build\n");
    assert!(d.contains("mount \"/root/.cargo/registry\" CACHE"), "{d}");
    let (d, _) = convert("FROM rust\nUSER 1000\nENV HOME=/home/u\nRUN --cache=cargo cargo build\n");
    assert!(d.contains("mount \"/home/u/.cargo/git\" CACHE"), "{d}");
}

#[test]
fn cargo_for_a_user_without_a_home_is_an_error() {
    let e = error("FROM rust\nUSER app\nRUN --cache=cargo cargo build\n");
    assert!(e.starts_with("cache-preset cache preset `cargo`:"), "{e}");
    assert!(e.contains("CARGO_HOME"), "{e}");
}

#[test]
fn cache_applies_to_later_runs_of_its_stage_only() {
    let text = "FROM alpine AS a\nRUN one\nCACHE pip npm\nRUN two\nFROM a\nRUN three\n";
    let (d, config) = convert(text);
    assert!(!exec_of(&d, "one").contains("PIP_CACHE_DIR"));
    let two = exec_of(&d, "two");
    assert!(
        two.contains("PIP_CACHE_DIR") && two.contains("npm_config_cache"),
        "{two}"
    );
    assert!(!exec_of(&d, "three").contains("PIP_CACHE_DIR"));
    assert!(!config.contains("CACHE"), "no history entry: {config}");
}

#[test]
fn no_cache_ignores_the_cache_from_that_step_on() {
    let (d, _) = convert("FROM alpine\nRUN one\nRUN --no-cache two\nCOPY a b\n");
    assert!(!exec_of(&d, "one").contains("ignore_cache"), "{d}");
    assert!(exec_of(&d, "two").contains("ignore_cache"), "{d}");
    let copy = &d[d.rfind(" file\n").unwrap()..];
    assert!(copy.contains("ignore_cache"), "{copy}");
}
