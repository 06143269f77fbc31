//! The base-image lock file in the converter: it is asked for beside the
//! Dockerfile before any image; locked images are pinned and configured
//! from it without an image request; others are resolved with an
//! `UnlockedImage` warning; a bad lock is a located error in the lock.

#![allow(clippy::unwrap_used)] // tests may unwrap

use llb_gen::convert::{
    Answers, ConvertOptions, Converter, FileRequest, FileSource, ImageRequest, Platform,
    ResolvedImage, Step,
};
use llb_gen::diagnostic::Diagnostic;
use llb_gen::limits::Limits;
use llb_gen::lock::{Lock, LockedImage};
use llb_gen::pb;
use prost::Message as _;

const OLD: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const CONFIG: &str = r#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin","FROM_LOCK=1"]},"rootfs":{"type":"layers","diff_ids":["sha256:2222222222222222222222222222222222222222222222222222222222222222"]}}"#;

const FRESH: &str = r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:3333333333333333333333333333333333333333333333333333333333333333"]}}"#;

fn lock_of(refs: &[(&str, &Platform)]) -> Vec<u8> {
    let mut lock = Lock::new();
    for (r, p) in refs {
        let image = LockedImage {
            digest: OLD.into(),
            config: CONFIG.as_bytes().to_vec(),
        };
        lock.insert(r, p, image).unwrap();
    }
    lock.to_json()
}

/// What a run asked for and what it gave.
#[derive(Default)]
struct Run {
    images: Vec<ImageRequest>,
    files: Vec<Vec<FileRequest>>,
    result: Option<Result<llb_gen::convert::Conversion, Vec<Diagnostic>>>,
    rendered: String,
}

/// Runs `text` with `opts`; the host has `lock` as `Dockerfile.lock` (an
/// error string: it cannot read it) and answers every image with a fresh
/// digest and an empty config.
fn run(text: &str, opts: ConvertOptions, lock: Option<Result<Vec<u8>, String>>) -> Run {
    let mut c = Converter::new(text.as_bytes(), opts, Limits::DEFAULT);
    let mut out = Run::default();
    let result = loop {
        match c.step() {
            Step::Need(r) => {
                out.images.extend(r.images.iter().cloned());
                out.files.push(r.files.clone());
                let images = r
                    .images
                    .iter()
                    .map(|q| {
                        Ok(ResolvedImage {
                            reference: q.reference.clone(),
                            digest: format!("sha256:{}", "9".repeat(64)),
                            config: FRESH.as_bytes().to_vec(),
                        })
                    })
                    .collect();
                let files = r
                    .files
                    .iter()
                    .map(|f| match (f.path.as_str(), &lock) {
                        ("Dockerfile.lock", Some(l)) => l.clone().map(Some),
                        _ => Ok(None),
                    })
                    .collect();
                c.answer(Answers {
                    images,
                    files,
                    dirs: Vec::new(),
                });
            }
            Step::Ready(ready) => break ready.marshal(),
            Step::Failed(d) => break Err(d),
            Step::Composed(_) | Step::Planned(_) => unreachable!(),
        }
    };
    out.rendered = match &result {
        Ok(conv) => c.sources().render_all(&conv.warnings),
        Err(d) => c.sources().render_all(d),
    };
    out.result = Some(result);
    out
}

fn identifiers(def: &pb::Definition) -> Vec<String> {
    def.def
        .iter()
        .filter_map(|b| match pb::Op::decode(b.as_slice()).unwrap().op {
            Some(pb::op::Op::Source(s)) if s.identifier.starts_with("docker-image://") => {
                Some(s.identifier)
            }
            _ => None,
        })
        .collect()
}

fn ok(run: &Run) -> &llb_gen::convert::Conversion {
    match run.result.as_ref().unwrap() {
        Ok(c) => c,
        Err(d) => panic!("{}\n{d:?}", run.rendered),
    }
}

#[test]
fn the_lock_comes_first_with_the_dockerfile_ignore_and_pins_without_a_request() {
    let amd64 = Platform::linux_amd64();
    let lock = lock_of(&[("busybox:1.37", &amd64)]);
    let r = run(
        "FROM busybox:1.37\nRUN true\n",
        ConvertOptions::default(),
        Some(Ok(lock)),
    );
    let conv = ok(&r);
    // One round of files beside the Dockerfile, then the context's
    // .dockerignore; never an image.
    let first: Vec<&str> = r.files[0].iter().map(|f| f.path.as_str()).collect();
    assert_eq!(first, ["Dockerfile.lock", "Dockerfile.dockerignore"]);
    assert!(r.files[0]
        .iter()
        .all(|f| f.source == FileSource::Dockerfile));
    assert!(r.images.is_empty(), "{:?}", r.images);
    assert_eq!(
        identifiers(&conv.definition),
        [format!(
            "docker-image://docker.io/library/busybox:1.37@{OLD}"
        )]
    );
    let config = String::from_utf8_lossy(&conv.image_config);
    assert!(config.contains("FROM_LOCK=1"), "{config}");
    assert!(conv.warnings.is_empty(), "{}", r.rendered);
}

#[test]
fn an_unlocked_image_is_resolved_with_a_located_warning() {
    let amd64 = Platform::linux_amd64();
    let lock = lock_of(&[("busybox:1.37", &amd64)]);
    let text = "FROM busybox:1.37 AS a\nRUN true\nFROM alpine:3.23\nCOPY --from=a / /\n";
    let r = run(text, ConvertOptions::default(), Some(Ok(lock)));
    let conv = ok(&r);
    let asked: Vec<&str> = r.images.iter().map(|q| q.reference.as_str()).collect();
    assert_eq!(asked, ["docker.io/library/alpine:3.23"]);
    let ids = identifiers(&conv.definition);
    assert!(ids.contains(&format!(
        "docker-image://docker.io/library/busybox:1.37@{OLD}"
    )));
    assert!(ids.iter().any(|i| i.contains("alpine:3.23@sha256:9999")));
    assert_eq!(conv.warnings[0].code, "unlocked-image");
    insta::assert_snapshot!(r.rendered);
}

#[test]
fn a_lock_for_another_platform_does_not_count() {
    let arm = Platform {
        architecture: "arm64".into(),
        ..Platform::linux_amd64()
    };
    let lock = lock_of(&[("busybox:1.37", &arm)]);
    let r = run(
        "FROM busybox:1.37\n",
        ConvertOptions::default(),
        Some(Ok(lock)),
    );
    assert_eq!(r.images.len(), 1);
    assert_eq!(ok(&r).warnings[0].code, "unlocked-image");
    assert!(r.rendered.contains("(linux/amd64)"), "{}", r.rendered);
}

#[test]
fn lock_off_does_not_ask_for_the_lock() {
    let amd64 = Platform::linux_amd64();
    let mut opts = ConvertOptions::default();
    opts.use_lock = false;
    let lock = lock_of(&[("busybox:1.37", &amd64)]);
    let r = run("FROM busybox:1.37\n", opts, Some(Ok(lock)));
    let conv = ok(&r);
    assert!(r.files.iter().flatten().all(|f| !f.path.ends_with(".lock")));
    assert_eq!(r.images.len(), 1);
    assert!(identifiers(&conv.definition)[0].ends_with(&"9".repeat(64)));
    assert!(conv.warnings.is_empty());
}

#[test]
fn options_turn_the_lock_off_and_the_build_arg_wins() {
    use std::collections::BTreeMap;
    let parse = |kv: &[(&str, &str)]| {
        let map: BTreeMap<String, String> = kv
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        llb_gen::options::parse(&map, ConvertOptions::default()).map(|o| o.convert.use_lock)
    };
    assert!(parse(&[]).unwrap());
    assert!(!parse(&[("lock", "off")]).unwrap());
    assert!(!parse(&[("build-arg:BUILDKIT_LOCK", "off")]).unwrap());
    assert!(parse(&[("lock", "off"), ("build-arg:BUILDKIT_LOCK", "on")]).unwrap());
    assert!(!parse(&[("lock", "on"), ("build-arg:BUILDKIT_LOCK", "off")]).unwrap());
    assert!(parse(&[("lock", "")]).unwrap());
    let e = parse(&[("lock", "maybe")]).unwrap_err().to_string();
    assert!(e.contains("lock") && e.contains("\"maybe\""), "{e}");
    let e = parse(&[("build-arg:BUILDKIT_LOCK", "0")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("BUILDKIT_LOCK"), "{e}");
}

#[test]
fn bad_locks_are_located_errors_in_the_lock() {
    let text = "FROM busybox:1.37\n";
    let broken = b"{\n  \"version\": 1,\n  \"images\": {\n    \"busybox:1.37\": {\n      \"linux/amd64\": {\"digest\": \"sha256:short\", \"config\": {}}\n    }\n  }\n}\n";
    let r = run(text, ConvertOptions::default(), Some(Ok(broken.to_vec())));
    assert!(r.result.as_ref().unwrap().is_err());
    insta::assert_snapshot!("bad_digest", r.rendered);
    let r = run(
        text,
        ConvertOptions::default(),
        Some(Ok(b"{\"version\": 3, \"images\": {}}".to_vec())),
    );
    insta::assert_snapshot!("bad_version", r.rendered);
    let r = run(text, ConvertOptions::default(), Some(Ok(b"{,}".to_vec())));
    insta::assert_snapshot!("bad_json", r.rendered);
    let r = run(
        text,
        ConvertOptions::default(),
        Some(Err("permission denied".into())),
    );
    insta::assert_snapshot!("unreadable", r.rendered);
    assert!(r.images.is_empty());
}

#[test]
fn the_lock_is_read_beside_a_dockerfile_of_another_name() {
    let mut opts = ConvertOptions::default();
    opts.filename = "ci/app.Dockerfile".into();
    let r = run("FROM busybox:1.37\n", opts, None);
    ok(&r);
    assert_eq!(r.files[0][0].path, "ci/app.Dockerfile.lock");
    // No lock: no warning, the image is resolved.
    assert_eq!(r.images.len(), 1);
    assert!(ok(&r).warnings.is_empty());
}
