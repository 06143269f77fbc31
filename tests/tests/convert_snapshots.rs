//! Converter snapshots: every fixture in `tests/fixtures/convert/*.Dockerfile`
//! is converted with the corpus' fixture resolver and its `llb::dump` plus
//! image config (or, for `err-*` fixtures, its rendered diagnostics) is
//! snapshotted. Also pins the Definition digest of a few small graphs and
//! checks that conversion is deterministic.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::FixtureHost;
use llb_gen::convert::{convert_with_host, Conversion, ConvertOptions};
use llb_gen::diagnostic::{render_all, Diagnostic, SourceFile};
use llb_gen::limits::Limits;
use llb_gen::options::parse_platform;
use prost::Message;
use sha2::{Digest, Sha256};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/convert")
}

/// Fixture names (file stems), sorted.
fn fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".Dockerfile").map(str::to_string))
        .collect();
    names.sort();
    names
}

fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The options a fixture is converted with (most use the defaults).
fn options(name: &str) -> ConvertOptions {
    let mut opts = ConvertOptions::default();
    opts.filename = format!("{name}.Dockerfile");
    match name {
        "build-args" => opts.build_args = args(&[("A", "override"), ("B", "set")]),
        "build-arg-override" => {
            opts.build_args = args(&[("BASE", "busybox:1.36"), ("MESSAGE", "from-test")])
        }
        "proxy-args" => opts.build_args = args(&[("HTTP_PROXY", "http://proxy:3128")]),
        "multistage-target" => opts.target = Some("dev".into()),
        "err-unknown-target" => opts.target = Some("prod".into()),
        "named-context-image" => {
            opts.named_contexts = args(&[
                ("alpine", "docker-image://busybox:1.36"),
                (
                    "tools::linux/amd64",
                    "docker-image://localhost:5000/tools:1",
                ),
                ("tools", "docker-image://wrong-platform-key"),
                ("empty", "docker-image://scratch"),
            ])
        }
        "named-context-stage" => {
            opts.session_id = Some("sess".into());
            opts.named_contexts = args(&[
                ("deps", "local:deps"),
                ("prebuilt", "docker-image://localhost:5000/prebuilt:2"),
                ("remote", "https://example.com/files/remote.tar"),
                (
                    "source",
                    "https://github.com/moby/buildkit.git#v0.12.0:frontend",
                ),
            ]);
            opts.local_shared_keys = args(&[("deps", "abc")]);
        }
        "err-named-context-bad" => {
            opts.named_contexts = args(&[("assets", "unknown://foo"), ("base", "nocolon")])
        }
        "source-date-epoch" => opts.build_args = args(&[("SOURCE_DATE_EPOCH", "1700000000")]),
        "platform-args" => {
            let p = parse_platform("linux/arm/v7", &opts.build_platform).unwrap();
            opts.target_platform = Some(p);
        }
        _ => {}
    }
    opts
}

fn source(name: &str) -> String {
    std::fs::read_to_string(fixtures_dir().join(format!("{name}.Dockerfile"))).unwrap()
}

/// The files a fixture's host has (most have none).
fn host(name: &str) -> FixtureHost {
    match name {
        "named-context-stage" => {
            FixtureHost::default().with_local_file("deps", ".dockerignore", "*.tmp\n")
        }
        _ => FixtureHost::default(),
    }
}

fn convert(name: &str) -> Result<Conversion, Vec<Diagnostic>> {
    convert_with_host(
        source(name).as_bytes(),
        &options(name),
        Limits::DEFAULT,
        &mut host(name),
    )
}

fn rendered(name: &str, diags: &[Diagnostic]) -> String {
    render_all(
        diags,
        &SourceFile::new(format!("{name}.Dockerfile"), source(name)),
    )
}

fn pretty_json(bytes: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn fixture_count() {
    let names = fixtures();
    let ok = names.iter().filter(|n| !n.starts_with("err-")).count();
    assert!(ok >= 40, "{ok} conversion fixtures");
    assert!(names.len() - ok >= 8, "{} error fixtures", names.len() - ok);
}

#[test]
fn conversion_snapshots() {
    for name in fixtures().iter().filter(|n| !n.starts_with("err-")) {
        let c = match convert(name) {
            Ok(c) => c,
            Err(d) => panic!("{name} failed:\n{}", rendered(name, &d)),
        };
        let mut snap = llb_gen::llb::dump(&c.definition);
        snap.push_str("\n--- image config ---\n");
        snap.push_str(&pretty_json(&c.image_config));
        if !c.warnings.is_empty() {
            snap.push_str("\n--- warnings ---\n");
            snap.push_str(&rendered(name, &c.warnings));
        }
        insta::assert_snapshot!(name.as_str(), snap);
    }
}

#[test]
fn error_snapshots() {
    for name in fixtures().iter().filter(|n| n.starts_with("err-")) {
        match convert(name) {
            Ok(c) => panic!(
                "{name} converted but should fail:\n{}",
                llb_gen::llb::dump(&c.definition)
            ),
            Err(d) => insta::assert_snapshot!(name.as_str(), rendered(name, &d)),
        }
    }
}

fn definition_sha256(name: &str) -> String {
    let c = convert(name).unwrap_or_else(|d| panic!("{}", rendered(name, &d)));
    hex::encode(Sha256::digest(c.definition.encode_to_vec()))
}

/// Literal digests of the marshaled Definition of small graphs: any change to
/// op encoding, metadata or source maps shows up here.
#[test]
fn pinned_definition_digests() {
    let pinned: &[(&str, &str)] = &[
        (
            "from-scratch",
            "dae4e82ebf518d855ca9a592d08a4bb16b2df68da14bef0f81297fd4cee108d4",
        ),
        (
            "from-image-tag",
            "337726ba7ef4ce25ba6a8583baa31502c54f679dd913dc5852ee854f4446b6ff",
        ),
        (
            "copy-from",
            "addf9cde04cef3be6d6488f5ad1925ca629682143e064f35fddbfd1da1f3119e",
        ),
        (
            "mount-cache",
            "a85cc3d92fd992db1c02b82d5a8c5ec87cc761e09f3d8eff62950f38cae12c4d",
        ),
        (
            "heredoc-run",
            "49f28d5b0a4ef6728940393c3beb58624cf04abed9dd1c51bafd607f48db6532",
        ),
    ];
    let got: Vec<(&str, String)> = pinned
        .iter()
        .map(|(name, _)| (*name, definition_sha256(name)))
        .collect();
    let now: Vec<String> = got
        .iter()
        .map(|(n, d)| format!("(\"{n}\", \"{d}\"),"))
        .collect();
    for ((name, want), (_, d)) in pinned.iter().zip(&got) {
        assert_eq!(
            want,
            d,
            "{name}: definition sha256 changed; now:\n{}",
            now.join("\n")
        );
    }
}

#[test]
fn conversion_is_deterministic() {
    for name in [
        "mount-multiple",
        "copy-from",
        "multistage-target",
        "config-instructions",
    ] {
        let first = convert(name).unwrap().definition.encode_to_vec();
        for _ in 0..100 {
            assert_eq!(
                convert(name).unwrap().definition.encode_to_vec(),
                first,
                "{name}"
            );
        }
    }
}
