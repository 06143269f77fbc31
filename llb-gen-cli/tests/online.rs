//! The conversion mode online, against the small registry of `common/registry.rs`: the on-disk
//! config cache (a warm run asks only what the tag points to, a moved tag gives the new config,
//! `--no-image-cache` and `LLB_GEN_IMAGE_CACHE=off` ask for everything) and the images resolved
//! while the converter parses (each asked for once, an unused one changes nothing), and the
//! cached answer taken while a slow registry is still asked, then confirmed.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::registry::{Cut, Registry};

fn llb_gen(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_llb-gen"))
        .args(args)
        .current_dir(dir)
        .env("DOCKER_CONFIG", dir.join("no-docker-config"))
        .env("LLB_GEN_CACHE_DIR", dir.join("cache"))
        .env_remove("LLB_GEN_IMAGE_CACHE")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    common::assert_ok(&out);
    out
}

/// The `V` of the image config the conversion wrote, and the paths the registry was asked for.
fn convert(
    reg: &Registry,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (String, Vec<String>) {
    let before = reg.asked();
    let mut all = vec!["--image-config", "config.json"];
    all.extend_from_slice(args);
    all.push("Dockerfile");
    llb_gen(dir, &all, env);
    let config = std::fs::read_to_string(dir.join("config.json")).unwrap();
    let v = config
        .split("\"V=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
        .to_string();
    (v, reg.asked_since(before))
}

fn is_blob(path: &str) -> bool {
    path.contains("/blobs/")
}

/// A Dockerfile built on the test registry's `img:1`, with an empty cache beside it.
fn one_image_dir(name: &str, reg: &Registry) -> PathBuf {
    let df = format!("FROM localhost:{}/img:1\nRUN true\n", reg.port);
    let dir = common::dir_with(name, &[("Dockerfile", &df)]);
    let _ = std::fs::remove_dir_all(dir.join("cache"));
    dir
}

#[test]
fn the_config_cache_serves_unmoved_tags_and_sees_moved_ones() {
    let reg = Registry::start();
    let old = reg.push("1");
    let dir = one_image_dir("online-cache", &reg);

    let (v, asked) = convert(&reg, &dir, &[], &[]);
    assert_eq!(v, "1");
    assert_eq!(
        asked.len(),
        2,
        "cold: the tag's manifest and the config: {asked:?}"
    );
    assert!(is_blob(&asked[1]), "{asked:?}");

    let (v, asked) = convert(&reg, &dir, &[], &[]);
    assert_eq!(v, "1");
    assert_eq!(
        asked,
        ["/v2/img/manifests/1"],
        "warm: only what the tag points to"
    );

    let pinned = format!("FROM localhost:{}/img:1@{old}\nRUN true\n", reg.port);
    std::fs::write(dir.join("Dockerfile"), pinned).unwrap();
    let (v, asked) = convert(&reg, &dir, &[], &[]);
    assert_eq!(v, "1");
    assert_eq!(
        asked,
        Vec::<String>::new(),
        "pinned by digest and cached: no request"
    );
    let tagged = format!("FROM localhost:{}/img:1\nRUN true\n", reg.port);
    std::fs::write(dir.join("Dockerfile"), tagged).unwrap();

    reg.push("2");
    let (v, asked) = convert(&reg, &dir, &[], &[]);
    assert_eq!(v, "2", "a moved tag gives the new config");
    assert!(asked.iter().any(|p| is_blob(p)), "{asked:?}");

    for (args, env) in [
        (&["--no-image-cache"][..], &[][..]),
        (&[][..], &[("LLB_GEN_IMAGE_CACHE", "off")][..]),
    ] {
        let (v, asked) = convert(&reg, &dir, args, env);
        assert_eq!(v, "2");
        assert_eq!(asked.len(), 2, "{args:?} {env:?}: {asked:?}");
    }

    // A damaged entry is a miss, refetched and rewritten.
    let entries = dir.join("cache/image-configs");
    for e in std::fs::read_dir(&entries).unwrap() {
        let path = e.unwrap().path();
        let mut bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 2] = b'#';
        std::fs::write(&path, bytes).unwrap();
    }
    let (v, asked) = convert(&reg, &dir, &[], &[]);
    assert_eq!(v, "2");
    assert!(asked.iter().any(|p| is_blob(p)), "{asked:?}");
    let (_, asked) = convert(&reg, &dir, &[], &[]);
    assert_eq!(asked.len(), 1, "rewritten: {asked:?}");
}

#[test]
fn a_slow_registry_is_not_waited_for_and_a_moved_tag_is_still_seen() {
    let reg = Registry::start();
    reg.push("1");
    let dir = one_image_dir("online-guess", &reg);
    let (v, _) = convert(&reg, &dir, &[], &[]);
    assert_eq!(v, "1", "cold");
    // The tag's answer comes late: the converter takes the config of the digest the tag had last
    // time, and the registry's answer confirms it before anything is written.
    reg.table.lock().unwrap().tag_delay = Some(std::time::Duration::from_millis(800));
    let (v, asked) = convert(&reg, &dir, &[], &[]);
    assert_eq!(v, "1");
    assert_eq!(asked, ["/v2/img/manifests/1"], "one question, confirmed");
    // The tag moved: the guess (the old config) is found wrong when the answer comes (the early
    // resolution fetches and caches the new config), and the file is converted again, asking
    // the tag again.
    reg.push("2");
    let (v, asked) = convert(&reg, &dir, &[], &[]);
    assert_eq!(v, "2", "a moved tag gives the new config");
    let tags = asked.iter().filter(|p| *p == "/v2/img/manifests/1").count();
    let blobs = asked.iter().filter(|p| is_blob(p)).count();
    assert_eq!(
        (tags, blobs, asked.len()),
        (2, 1, 3),
        "the guess's check, the new config, the second run's question: {asked:?}"
    );
    // Now the tag's last digest is the new one: a guess again, and right.
    let (v, asked) = convert(&reg, &dir, &[], &[]);
    assert_eq!(v, "2");
    assert_eq!(asked, ["/v2/img/manifests/1"]);
}

#[test]
fn the_config_cache_serves_registries_read_through_oci_client() {
    let reg = Registry::start();
    reg.table.lock().unwrap().redirect = true;
    reg.push("1");
    let dir = one_image_dir("online-cache-oci", &reg);
    let (v, asked) = convert(&reg, &dir, &[], &[]);
    assert_eq!(v, "1");
    assert!(
        asked.iter().any(|p| p.starts_with("/redirected/")),
        "through oci-client: {asked:?}"
    );

    let (v, asked) = convert(&reg, &dir, &[], &[]);
    assert_eq!(v, "1");
    let gets: Vec<_> = asked.iter().filter(|p| !p.starts_with("HEAD ")).collect();
    assert!(
        gets.iter()
            .all(|p| !p.contains("/blobs/") && !p.starts_with("/redirected/")),
        "warm: the config from the cache: {asked:?}"
    );
    assert!(
        asked.contains(&"HEAD /v2/img/manifests/1".to_string()),
        "{asked:?}"
    );

    reg.push("2");
    let (v, asked) = convert(&reg, &dir, &[], &[]);
    assert_eq!(v, "2", "a moved tag gives the new config: {asked:?}");
}

#[test]
fn images_resolved_early_are_asked_for_once_and_unused_ones_change_nothing() {
    let reg = Registry::start();
    reg.push("1");
    let used = format!("FROM localhost:{}/img:1 AS base\nRUN true\n", reg.port);
    let dir = common::dir_with("online-prefetch", &[("Dockerfile", &used)]);
    let no_cache = ["--no-image-cache", "--json"];
    let (v, asked) = convert(&reg, &dir, &no_cache, &[]);
    assert_eq!(v, "1");
    assert_eq!(
        asked.len(),
        2,
        "once, not again when the converter asks: {asked:?}"
    );
    let want = std::fs::read(dir.join("config.json")).unwrap();

    // A stage the target does not reach, on an image the registry does not have: maybe asked
    // for early (a hint: the run does not wait for it), its failure dropped; the build of the
    // target is as before.
    let unused = format!(
        "{used}FROM localhost:{}/missing:1 AS unused\nRUN false\n",
        reg.port
    );
    std::fs::write(dir.join("Dockerfile"), unused).unwrap();
    let (v, asked) = convert(&reg, &dir, &["--no-image-cache", "--target", "base"], &[]);
    assert_eq!(v, "1");
    assert_eq!(std::fs::read(dir.join("config.json")).unwrap(), want);
    let missing: Vec<_> = asked.iter().filter(|p| p.contains("/missing/")).collect();
    assert!(missing.len() <= 1, "{asked:?}");
    assert_eq!(asked.len() - missing.len(), 2, "{asked:?}");
    let out = llb_gen(&dir, &["--json", "--target", "base", "Dockerfile"], &[]);
    let def = String::from_utf8_lossy(&out.stdout);
    assert!(
        def.contains("/img:1@sha256:") && !def.contains("missing"),
        "{def}"
    );
}

/// The tag questions since the `since`-th request, with the connection each came on.
fn tag_questions(reg: &Registry, since: usize) -> Vec<(String, usize)> {
    let t = reg.table.lock().unwrap();
    (t.asked.iter().zip(&t.conn_of))
        .skip(since)
        .filter(|(p, _)| p.ends_with("/manifests/1"))
        .map(|(p, c)| (p.clone(), *c))
        .collect()
}

#[test]
fn the_early_questions_to_one_registry_share_a_connection() {
    let reg = Registry::start();
    for repo in ["a", "b", "c"] {
        reg.push_as(repo, "1", repo);
    }
    let p = reg.port;
    let df = format!(
        "FROM localhost:{p}/a:1 AS a\nRUN true\nFROM localhost:{p}/b:1 AS b\nRUN true\n\
         FROM localhost:{p}/c:1\nCOPY --from=a /x /a\nCOPY --from=b /x /b\nRUN true\n"
    );
    let dir = common::dir_with("online-pipeline", &[("Dockerfile", &df)]);
    let args = ["--no-image-cache", "--json", "Dockerfile"];
    let before = reg.asked();
    let want = llb_gen(&dir, &args, &[]).stdout;
    let def = String::from_utf8_lossy(&want);
    for v in ["V=a", "V=b", "V=c"] {
        assert!(def.contains(v), "each stage has its image's config: {v}");
    }
    let tags = tag_questions(&reg, before);
    assert_eq!(tags.len(), 3, "{tags:?}");
    assert!(
        tags.iter().all(|(_, c)| *c == tags[0].1),
        "one connection for the three: {tags:?}"
    );

    // Warm: each tag asked whether it still has the digest it had (`If-None-Match`), answered
    // `304 Not Modified`, and the configs from the cache; then one tag moves.
    let warm = ["--json", "Dockerfile"];
    assert!(
        llb_gen(&dir, &warm, &[]).stdout == want,
        "cold run with the cache"
    );
    let (before, unchanged) = (reg.asked(), reg.table.lock().unwrap().not_modified);
    assert!(llb_gen(&dir, &warm, &[]).stdout == want, "warm");
    let asked = reg.asked_since(before);
    let not_modified = reg.table.lock().unwrap().not_modified - unchanged;
    assert_eq!((asked.len(), not_modified), (3, 3), "{asked:?}");
    reg.push_as("c", "1", "c2");
    let moved = String::from_utf8(llb_gen(&dir, &warm, &[]).stdout).unwrap();
    assert!(
        moved.contains("V=c2") && moved.contains("V=a"),
        "a moved tag"
    );
    reg.push_as("c", "1", "c");

    // The registry closes that connection after its first answer, or stops answering on it: the
    // questions left are asked again on connections of their own, and the output is the same.
    for stall in [false, true] {
        let before = reg.asked();
        let conns = reg.table.lock().unwrap().accepted;
        reg.table.lock().unwrap().cut = Some(Cut {
            conn: conns,
            after: 1,
            stall,
        });
        let out = llb_gen(&dir, &args, &[]).stdout;
        assert!(out == want, "stall {stall}: the same definition");
        let tags = tag_questions(&reg, before);
        let on_first = tags.iter().filter(|(_, c)| *c == conns).count();
        assert_eq!((on_first, tags.len()), (1, 3), "stall {stall}: {tags:?}");
    }
}
