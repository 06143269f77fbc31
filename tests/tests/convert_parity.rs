//! Parity with upstream's converter on the real-world corpus
//! (`../shared/conformance/real-world-llb`), compared structurally.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::Fixture;
use llb_gen::convert::{convert_dockerfile, ConvertOptions};
use llb_gen::pb;
use prost::Message;
use sha2::{Digest, Sha256};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance")
}

/// A canonical, digest-free rendering of the op producing `digest`.
fn canon(
    digest: &str,
    ops: &BTreeMap<String, pb::Op>,
    memo: &mut BTreeMap<String, String>,
) -> String {
    if let Some(s) = memo.get(digest) {
        return s.clone();
    }
    let Some(op) = ops.get(digest) else {
        return format!("<missing {digest}>");
    };
    let mut op = op.clone();
    let inputs: Vec<String> = op
        .inputs
        .iter()
        .map(|i| format!("{}#{}", canon(&i.digest, ops, memo), i.index))
        .collect();
    op.inputs.clear();
    if let Some(pb::op::Op::Source(s)) = &mut op.op {
        s.attrs.remove("local.unique");
        s.attrs.remove("local.session");
    }
    let s = format!("{:?} <- [{}]", op, inputs.join(", "));
    memo.insert(digest.to_string(), s.clone());
    s
}

/// The op metadata of a definition (progress names, descriptions, caps,
/// progress groups), sorted, without what depends on the run: upstream's
/// random progress-group ids and its no-session `source.local.unique` cap.
fn metadata_view(def: &pb::Definition) -> Vec<String> {
    let mut v: Vec<String> = def
        .metadata
        .values()
        .map(|m| {
            let mut m = m.clone();
            m.caps.remove("source.local.unique");
            if let Some(g) = &mut m.progress_group {
                g.id.clear();
            }
            format!("{m:?}")
        })
        .collect();
    v.sort();
    v
}

fn structure(def: &pb::Definition) -> String {
    let mut ops = BTreeMap::new();
    let mut last = None;
    for bytes in &def.def {
        let op = pb::Op::decode(bytes.as_slice()).expect("op");
        let d = format!("sha256:{}", hex::encode(Sha256::digest(bytes)));
        last = Some(op.clone());
        ops.insert(d, op);
    }
    let mut memo = BTreeMap::new();
    match last.and_then(|t| t.inputs.first().cloned()) {
        Some(i) => canon(&i.digest, &ops, &mut memo),
        None => String::new(),
    }
}

#[test]
fn real_world_parity() {
    let dir = corpus().join("real-world-llb");
    let src_dir = corpus().join("real-world");
    let mut names: Vec<String> = std::fs::read_dir(&src_dir)
        .expect("corpus")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".Dockerfile"))
        .collect();
    names.sort();
    let opts = ConvertOptions::default();
    let (mut total, mut matched, mut errors_ok) = (0, 0, 0);
    let mut report = String::new();
    // Op metadata (progress names, descriptions) is not part of op
    // identity; reported separately and asserted on its own.
    let mut names_report = String::new();
    // Error texts of the files upstream rejects (informational).
    let mut errors_report = String::new();
    for n in &names {
        // `NAME.Dockerfile`, where NAME may itself end in `.Dockerfile`.
        let stem = n.strip_suffix(".Dockerfile").unwrap_or(n);
        let src = std::fs::read_to_string(src_dir.join(n)).unwrap_or_default();
        let err_path = dir.join(format!("{stem}.error"));
        let ours = std::panic::catch_unwind(|| convert_dockerfile(&src, &opts, &Fixture));
        if err_path.exists() {
            if let Ok(Err(e)) = &ours {
                errors_ok += 1;
                let want = std::fs::read_to_string(&err_path).unwrap_or_default();
                let got = e.first().map(|d| d.message.clone()).unwrap_or_default();
                if got.trim() != want.trim() {
                    errors_report.push_str(&format!(
                        "{stem}: error text: ours {got:?}, upstream {:?}\n",
                        want.trim()
                    ));
                }
            } else {
                report.push_str(&format!("{stem}: upstream errors, we do not\n"));
            }
            continue;
        }
        let Ok(def_bytes) = std::fs::read(dir.join(format!("{stem}.def"))) else {
            continue;
        };
        total += 1;
        let want = pb::Definition::decode(def_bytes.as_slice()).expect("def");
        let want_img: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.join(format!("{stem}.image.json"))).unwrap_or_default(),
        )
        .unwrap_or_default();
        let reason = match ours {
            Err(_) => "panic".to_string(),
            Ok(Err(e)) => format!(
                "error: {}",
                e.first().map(|d| d.message.clone()).unwrap_or_default()
            ),
            Ok(Ok(c)) => {
                let img: serde_json::Value =
                    serde_json::from_slice(&c.image_config).unwrap_or_default();
                let (a, b) = (structure(&c.definition), structure(&want));
                if a != b {
                    let pos = a
                        .bytes()
                        .zip(b.bytes())
                        .position(|(x, y)| x != y)
                        .unwrap_or(0);
                    let lo = pos.saturating_sub(60);
                    format!(
                        "ops differ: ours …{}… upstream …{}…",
                        a.get(lo..(pos + 80).min(a.len())).unwrap_or(""),
                        b.get(lo..(pos + 80).min(b.len())).unwrap_or("")
                    )
                } else if img != want_img {
                    if let Ok(d) = std::env::var("PARITY_DUMP") {
                        let _ = std::fs::write(
                            Path::new(&d).join(format!("{stem}.image.json")),
                            &c.image_config,
                        );
                    }
                    "image config differs".to_string()
                } else {
                    matched += 1;
                    // The source maps are not compared: the oracle's ranges
                    // are all empty and it lists every op.
                    let (ours, theirs) = (metadata_view(&c.definition), metadata_view(&want));
                    if ours != theirs {
                        let only_ours = ours.iter().find(|a| !theirs.contains(a));
                        let only_theirs = theirs.iter().find(|b| !ours.contains(b));
                        let first =
                            format!("only ours {only_ours:?}; only upstream {only_theirs:?}");
                        names_report.push_str(&format!("{stem}: metadata differs: {first}\n"));
                    }
                    continue;
                }
            }
        };
        report.push_str(&format!("{stem}: {}\n", reason.replace('\n', " ")));
    }
    let summary = format!("matched {matched}/{total}; upstream errors reproduced: {errors_ok}\n");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/convert/parity-failures.txt");
    let _ = std::fs::create_dir_all(out.parent().expect("dir"));
    let _ = std::fs::write(
        &out,
        format!("{summary}{report}{names_report}{errors_report}"),
    );
    eprintln!("{summary}");
    assert!(matched >= PARITY_FLOOR, "parity regressed: {summary}");
    assert!(
        names_report.is_empty(),
        "op metadata differs from upstream:\n{names_report}"
    );
    assert_eq!(
        errors_ok, UPSTREAM_ERRORS,
        "every file upstream rejects must be rejected by us too: {summary}"
    );
}

/// Number of real-world files whose ops and image config match upstream exactly.
const PARITY_FLOOR: usize = 273;

/// Number of real-world files upstream's converter rejects (`NAME.error`).
const UPSTREAM_ERRORS: usize = 5;
