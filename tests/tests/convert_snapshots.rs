//! Converter snapshots: every fixture in `tests/fixtures/convert/*.Dockerfile`
//! is converted with the corpus' fixture resolver and its `llb::dump` plus
//! image config (or, for `err-*` fixtures, its rendered diagnostics) is
//! snapshotted, one test per fixture, with the options its header pragmas
//! give. Also pins the Definition digest of a few small graphs and checks
//! that conversion is deterministic.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use std::path::{Path, PathBuf};

use common::FixtureHost;
use llb_gen::convert::{convert_with_host, Conversion, ConvertOptions};
use llb_gen::diagnostic::{render_all, Diagnostic, SourceFile};
use llb_gen::limits::Limits;
use llb_gen::options::parse_platform;
use prost::Message;
use sha2::{Digest, Sha256};
use testkit::{Failed, Trial};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/convert")
}

/// Fixture names (file stems), sorted.
fn fixtures() -> Vec<String> {
    testkit::files_ending(&fixtures_dir(), ".Dockerfile")
        .iter()
        .map(|p| testkit::stem(p, ".Dockerfile"))
        .collect()
}

/// `NAME=VALUE` of a pragma, as a map entry.
fn pair(key: &str, value: &str) -> (String, String) {
    match value.split_once('=') {
        Some((k, v)) => (k.to_string(), v.to_string()),
        None => panic!("`# test: {key} {value}`: expected NAME=VALUE"),
    }
}

/// The options a fixture is converted with: the defaults, changed by the fixture's header
/// pragmas (`# test: KEY VALUE` lines at its top):
///
/// - `build-arg NAME=VALUE`, `context NAME=VALUE` (a named context), `target STAGE`,
///   `platform OS/ARCH[/VARIANT]` (the target platform), `session-id ID`,
///   `context-exclude NAME PATTERN` (a `.dockerignore` line of local context NAME),
///   `shared-key NAME=KEY` (the shared key hint of local context NAME).
fn options(name: &str, text: &str) -> ConvertOptions {
    let mut opts = ConvertOptions::default();
    opts.filename = format!("{name}.Dockerfile");
    for (key, value) in testkit::header_pragmas(text) {
        match key.as_str() {
            "build-arg" => {
                opts.build_args.extend([pair(&key, &value)]);
            }
            "context" => {
                opts.named_contexts.extend([pair(&key, &value)]);
            }
            "target" => opts.target = Some(value),
            "platform" => {
                let p = parse_platform(&value, &opts.build_platform)
                    .unwrap_or_else(|e| panic!("{name}: `# test: platform {value}`: {e:?}"));
                opts.target_platform = Some(p);
            }
            "session-id" => opts.session_id = Some(value),
            // Files of the host, not options: see `host`.
            "context-exclude" => {}
            "shared-key" => {
                opts.local_shared_keys.extend([pair(&key, &value)]);
            }
            other => panic!("{name}: unknown pragma `# test: {other}`"),
        }
    }
    opts
}

fn source(name: &str) -> String {
    std::fs::read_to_string(fixtures_dir().join(format!("{name}.Dockerfile"))).unwrap()
}

/// The files a fixture's host has: the `.dockerignore` of each local
/// context its `context-exclude NAME PATTERN` pragmas name (the converter
/// asks for it when the context is first used).
fn host(text: &str) -> FixtureHost {
    let mut ignores: std::collections::BTreeMap<String, String> = Default::default();
    for (key, value) in testkit::header_pragmas(text) {
        if key == "context-exclude" {
            let (ctx, pattern) = value
                .split_once(' ')
                .unwrap_or_else(|| panic!("`# test: context-exclude {value}`: NAME PATTERN"));
            let file = ignores.entry(ctx.to_string()).or_default();
            file.push_str(pattern.trim());
            file.push('\n');
        }
    }
    ignores
        .iter()
        .fold(FixtureHost::default(), |h, (ctx, file)| {
            h.with_local_file(ctx, ".dockerignore", file)
        })
}

fn convert(name: &str) -> Result<Conversion, Vec<Diagnostic>> {
    let text = source(name);
    convert_with_host(
        text.as_bytes(),
        &options(name, &text),
        Limits::DEFAULT,
        &mut host(&text),
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

fn main() {
    let mut trials = vec![
        Trial::test("fixture_count", || {
            fixture_count();
            Ok(())
        }),
        Trial::test("pinned_definition_digests", || {
            pinned_definition_digests();
            Ok(())
        }),
        Trial::test("conversion_is_deterministic", || {
            conversion_is_deterministic();
            Ok(())
        }),
    ];
    // One test per fixture: `conversion::NAME`, or `error::err-NAME` for the `err-` ones.
    for name in fixtures() {
        trials.push(if name.starts_with("err-") {
            Trial::test(format!("error::{name}"), move || error_snapshot(&name))
        } else {
            Trial::test(format!("conversion::{name}"), move || {
                conversion_snapshot(&name)
            })
        });
    }
    testkit::run(trials)
}

fn fixture_count() {
    let names = fixtures();
    let ok = names.iter().filter(|n| !n.starts_with("err-")).count();
    assert!(ok >= 40, "{ok} conversion fixtures");
    assert!(names.len() - ok >= 8, "{} error fixtures", names.len() - ok);
}

fn conversion_snapshot(name: &str) -> Result<(), Failed> {
    let c = convert(name).map_err(|d| format!("{name} failed:\n{}", rendered(name, &d)))?;
    let mut snap = llb_gen::llb::dump(&c.definition);
    snap.push_str("\n--- image config ---\n");
    snap.push_str(&pretty_json(&c.image_config));
    if !c.warnings.is_empty() {
        snap.push_str("\n--- warnings ---\n");
        snap.push_str(&rendered(name, &c.warnings));
    }
    insta::assert_snapshot!(name, snap);
    Ok(())
}

fn error_snapshot(name: &str) -> Result<(), Failed> {
    match convert(name) {
        Ok(c) => Err(format!(
            "{name} converted but should fail:\n{}",
            llb_gen::llb::dump(&c.definition)
        )
        .into()),
        Err(d) => {
            insta::assert_snapshot!(name, rendered(name, &d));
            Ok(())
        }
    }
}

fn definition_sha256(name: &str) -> String {
    let c = convert(name).unwrap_or_else(|d| panic!("{}", rendered(name, &d)));
    hex::encode(Sha256::digest(c.definition.encode_to_vec()))
}

/// Literal digests of the marshaled Definition of small graphs: any change to
/// op encoding, metadata or source maps shows up here.
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
