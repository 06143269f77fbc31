//! Parity with upstream's converter on the real-world corpus (`real-world/*.Dockerfile` against
//! `real-world-llb/`, in the conformance corpus; see `testkit` for where it is and what happens
//! when it is absent), compared structurally. One test per real-world file: its ops and image
//! config match upstream's and so does the op metadata, or, where upstream rejects the file
//! (`NAME.error`), we reject it too. Error texts that differ from upstream's are printed, not
//! asserted.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::Fixture;
use llb_gen::convert::{convert_dockerfile, ConvertOptions};
use llb_gen::pb;
use prost::Message;
use sha2::{Digest, Sha256};
use testkit::{Failed, Trial};

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

fn main() {
    testkit::run(testkit::corpus_trials("real_world_parity", |corpus| {
        let files = testkit::files_ending(&corpus.join("real-world"), ".Dockerfile");
        let mut trials = vec![corpus_shape(corpus, files.len())];
        trials.extend(files.into_iter().map(|path| {
            // `NAME.Dockerfile`, where NAME may itself end in `.Dockerfile`.
            let stem = testkit::stem(&path, ".Dockerfile");
            let llb_dir = corpus.join("real-world-llb");
            Trial::test(format!("real_world_parity::{stem}"), move || {
                parity(&path, &llb_dir, &stem)
            })
        }));
        trials
    }))
}

/// The corpus holds what the per-file tests expect: at least [`PARITY_FLOOR`] Definitions to
/// match and exactly [`UPSTREAM_ERRORS`] files upstream rejects, one or the other per file.
fn corpus_shape(corpus: &Path, files: usize) -> Trial {
    let dir = corpus.join("real-world-llb");
    Trial::test("real_world_parity::corpus_shape", move || {
        let defs = testkit::files_ending(&dir, ".def").len();
        let errors = testkit::files_ending(&dir, ".error").len();
        if defs < PARITY_FLOOR || errors != UPSTREAM_ERRORS || defs + errors != files {
            return Err(format!(
                "{files} real-world files, {defs} upstream Definitions (at least {PARITY_FLOOR} \
                 expected), {errors} upstream errors ({UPSTREAM_ERRORS} expected)"
            )
            .into());
        }
        Ok(())
    })
}

/// One real-world file against upstream's result for it.
fn parity(path: &Path, dir: &Path, stem: &str) -> Result<(), Failed> {
    let src = std::fs::read_to_string(path).unwrap_or_default();
    let ours = convert_dockerfile(&src, &ConvertOptions::default(), &Fixture);
    let err_path = dir.join(format!("{stem}.error"));
    if err_path.exists() {
        let Err(e) = ours else {
            return Err("upstream rejects this file, we convert it".into());
        };
        let want = std::fs::read_to_string(&err_path).unwrap_or_default();
        let got = e.first().map(|d| d.message.clone()).unwrap_or_default();
        if got.trim() != want.trim() {
            // Informational: the condition matches, the wording may not.
            eprintln!(
                "{stem}: error text: ours {got:?}, upstream {:?}",
                want.trim()
            );
        }
        return Ok(());
    }
    let def_bytes = std::fs::read(dir.join(format!("{stem}.def")))
        .map_err(|e| format!("corpus incomplete: neither {stem}.def nor {stem}.error: {e}"))?;
    let want = pb::Definition::decode(def_bytes.as_slice()).expect("def");
    let want_img: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!("{stem}.image.json"))).unwrap_or_default(),
    )
    .unwrap_or_default();
    let c = ours.map_err(|e| {
        format!(
            "error: {}",
            e.first().map(|d| d.message.clone()).unwrap_or_default()
        )
    })?;
    let (a, b) = (structure(&c.definition), structure(&want));
    if a != b {
        let pos = a
            .bytes()
            .zip(b.bytes())
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        let lo = pos.saturating_sub(60);
        return Err(format!(
            "ops differ: ours …{}… upstream …{}…",
            a.get(lo..(pos + 80).min(a.len())).unwrap_or(""),
            b.get(lo..(pos + 80).min(b.len())).unwrap_or("")
        )
        .into());
    }
    let img: serde_json::Value = serde_json::from_slice(&c.image_config).unwrap_or_default();
    if img != want_img {
        if let Ok(d) = std::env::var("PARITY_DUMP") {
            let _ = std::fs::write(
                Path::new(&d).join(format!("{stem}.image.json")),
                &c.image_config,
            );
        }
        return Err("image config differs (PARITY_DUMP=<dir> writes ours there)".into());
    }
    // Op metadata (progress names, descriptions) is not part of op identity, but must match
    // too. The source maps are not compared: the oracle's ranges are all empty and it lists
    // every op.
    let (ours, theirs) = (metadata_view(&c.definition), metadata_view(&want));
    if ours != theirs {
        let only_ours = ours.iter().find(|a| !theirs.contains(a));
        let only_theirs = theirs.iter().find(|b| !ours.contains(b));
        return Err(format!(
            "op metadata differs: only ours {only_ours:?}; only upstream {only_theirs:?}"
        )
        .into());
    }
    Ok(())
}

/// Number of real-world files whose ops and image config match upstream exactly.
const PARITY_FLOOR: usize = 273;

/// Number of real-world files upstream's converter rejects (`NAME.error`).
const UPSTREAM_ERRORS: usize = 5;
