//! Protocol tests of the base-image lock file: the real `frontend` binary
//! against the fake `LLBBridge`. The lock comes in the Dockerfile's own
//! transfer; a locked image is pinned by digest and configured from the
//! lock with no `ResolveImageConfig` call; an unlocked one is resolved and
//! warned about (`Warn`); `lock=off` reads no lock; a bad lock is an error
//! located in the lock file.

#![allow(clippy::unwrap_used)]

mod support;

use llb_gen::convert::Platform;
use llb_gen::lock::{Lock, LockedImage};
use support::{run_frontend, source_op, Fixture, Outcome};

const SESSION: &[(&str, &str)] = &[("BUILDKIT_SESSION_ID", "sess-123")];
const LOCKED: &str = "sha256:4444444444444444444444444444444444444444444444444444444444444444";
const LOCKED_CONFIG: &str = r#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin","FROM_THE_LOCK=yes"]},"rootfs":{"type":"layers","diff_ids":["sha256:5555555555555555555555555555555555555555555555555555555555555555"]}}"#;

fn lock_of(refs: &[&str]) -> String {
    let mut lock = Lock::new();
    for r in refs {
        let image = LockedImage {
            digest: LOCKED.into(),
            config: LOCKED_CONFIG.as_bytes().to_vec(),
        };
        lock.insert(r, &Platform::linux_amd64(), image).unwrap();
    }
    String::from_utf8(lock.to_json()).unwrap()
}

fn fixture(dockerfile: &str, lock: Option<&str>) -> Fixture {
    let mut f = Fixture::with_dockerfile(dockerfile);
    f.images.insert(
        "docker.io/library/alpine:3.23".into(),
        (
            format!("sha256:{}", "cd".repeat(32)),
            support::BUSYBOX_CONFIG.as_bytes().to_vec(),
        ),
    );
    if let Some(l) = lock {
        f.add_file("dockerfile", "Dockerfile.lock", l);
    }
    f
}

/// The image identifiers of the definition the build returned.
fn images(out: &Outcome) -> Vec<String> {
    let def = out.solves().last().unwrap().definition.clone().unwrap();
    def.def
        .iter()
        .filter_map(|b| {
            use prost::Message as _;
            match bollard_buildkit_proto::pb::Op::decode(b.as_slice())
                .unwrap()
                .op
            {
                Some(bollard_buildkit_proto::pb::op::Op::Source(s))
                    if s.identifier.starts_with("docker-image://") =>
                {
                    Some(s.identifier)
                }
                _ => None,
            }
        })
        .collect()
}

fn config_of(out: &Outcome) -> String {
    let ret = out.the_return();
    assert!(ret.error.is_none(), "{:#?}\n{}", ret.error, out.stderr);
    let meta = &ret.result.as_ref().unwrap().metadata;
    String::from_utf8_lossy(&meta["containerimage.config"]).into_owned()
}

#[tokio::test]
async fn a_locked_build_pins_the_digest_and_resolves_nothing() {
    let lock = lock_of(&["busybox"]);
    let out = run_frontend(
        fixture("FROM busybox\nRUN true\n", Some(&lock)),
        &[],
        SESSION,
    )
    .await;
    assert!(out.resolves().is_empty(), "{:#?}", out.resolves());
    assert_eq!(
        images(&out),
        [format!(
            "docker-image://docker.io/library/busybox:latest@{LOCKED}"
        )]
    );
    assert!(config_of(&out).contains("FROM_THE_LOCK=yes"));
    assert!(out.warns().is_empty());
    // The lock came in the Dockerfile's transfer: one solve of the
    // `dockerfile` local.
    let loads: Vec<_> = out
        .solves()
        .iter()
        .filter_map(|s| source_op(s.definition.as_ref()?))
        .filter(|s| s.identifier == "local://dockerfile")
        .map(|s| s.attrs["local.followpaths"].clone())
        .collect();
    assert_eq!(
        loads,
        [r#"["Dockerfile","Dockerfile.dockerignore","Dockerfile.lock","dockerfile"]"#]
    );
}

#[tokio::test]
async fn an_unlocked_image_is_resolved_and_warned_about() {
    let lock = lock_of(&["busybox"]);
    let text = "FROM busybox AS a\nRUN true\nFROM alpine:3.23\nCOPY --from=a / /\n";
    let out = run_frontend(fixture(text, Some(&lock)), &[], SESSION).await;
    config_of(&out);
    let resolved: Vec<&str> = out.resolves().iter().map(|r| r.r#ref.as_str()).collect();
    assert_eq!(resolved, ["docker.io/library/alpine:3.23"]);
    let w = out.warns();
    assert_eq!(w.len(), 1, "{w:#?}");
    let msg = String::from_utf8_lossy(&w[0].short);
    assert!(msg.contains("UnlockedImage"), "{msg}");
    assert!(msg.contains("alpine:3.23"), "{msg}");
    assert_eq!(w[0].info.as_ref().unwrap().filename, "Dockerfile");
}

#[tokio::test]
async fn lock_off_reads_no_lock_and_resolves() {
    let lock = lock_of(&["busybox"]);
    for opts in [
        &[("lock", "off")][..],
        &[("build-arg:BUILDKIT_LOCK", "off")][..],
        &[("lock", "on"), ("build-arg:BUILDKIT_LOCK", "off")][..],
    ] {
        let out = run_frontend(fixture("FROM busybox\n", Some(&lock)), opts, SESSION).await;
        config_of(&out);
        assert_eq!(out.resolves().len(), 1, "{opts:?}");
        assert!(
            out.read_files()
                .iter()
                .all(|r| !r.file_path.ends_with(".lock")),
            "{opts:?}"
        );
        assert!(images(&out)[0].ends_with(&"ab".repeat(32)), "{opts:?}");
    }
}

#[tokio::test]
async fn a_bad_lock_is_an_error_located_in_the_lock() {
    let bad = "{\n  \"images\": {},\n  \"version\": 7\n}\n";
    let out = run_frontend(fixture("FROM busybox\n", Some(bad)), &[], SESSION).await;
    let ret = out.the_return();
    let status = ret.error.as_ref().expect("an error");
    assert!(
        status.message.contains("Dockerfile.lock:3:"),
        "{}",
        status.message
    );
    assert!(
        status.message.contains("lock version 7"),
        "{}",
        status.message
    );
    assert!(out.resolves().is_empty());
    let bad_value = run_frontend(fixture("FROM busybox\n", None), &[("lock", "no")], SESSION).await;
    let status = bad_value.the_return().error.as_ref().expect("an error");
    assert!(status.message.contains("lock"), "{}", status.message);
}
