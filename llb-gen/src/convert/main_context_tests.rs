#![allow(clippy::unwrap_used)]

use super::*;
use crate::pb;
use prost::Message as _;

fn ops(st: &llb::State) -> Vec<pb::Op> {
    let def = st.marshal(&llb::MarshalOptions::default()).unwrap();
    def.def
        .iter()
        .map(|b| pb::Op::decode(b.as_slice()).unwrap())
        .collect()
}

fn source(op: &pb::Op) -> Option<&pb::SourceOp> {
    match &op.op {
        Some(pb::op::Op::Source(s)) => Some(s),
        _ => None,
    }
}

#[test]
fn values_become_main_contexts() {
    let git = MainContext::parse("git://127.0.0.1:9418/repo.git#main:sub", false)
        .unwrap()
        .unwrap();
    assert_eq!(
        git,
        MainContext::Git {
            url: "git://127.0.0.1:9418/repo.git#main:sub".into(),
            keep_git_dir: false
        }
    );
    let keep = MainContext::parse("https://h/r.git?keep-git-dir=1", false).unwrap();
    assert!(matches!(
        keep,
        Some(MainContext::Git {
            keep_git_dir: true,
            ..
        })
    ));
    let http = MainContext::parse("https://h/ctx.tar.gz", false).unwrap();
    assert!(matches!(
        http,
        Some(MainContext::Http {
            kind: HttpContext::Archive,
            ..
        })
    ));
    assert_eq!(MainContext::parse("", true).unwrap(), None);
    let bad = MainContext::parse("ftp://h/x", false).unwrap_err();
    assert!(
        bad.contains("\"ftp://h/x\"") && bad.contains("Git URL"),
        "{bad}"
    );
    let query = MainContext::parse("https://h/r.git?nope=1", false).unwrap_err();
    assert!(query.contains("unexpected query parameter"), "{query}");
}

#[test]
fn git_context_is_one_git_source() {
    let main = MainContext::Git {
        url: "git://127.0.0.1:9418/repo.git#v1:app".into(),
        keep_git_dir: true,
    };
    let ops = ops(&main.context_state(None).unwrap());
    let src = source(&ops[0]).unwrap();
    assert_eq!(src.identifier, "git://127.0.0.1:9418/repo.git#v1:app");
    assert_eq!(src.attrs["git.keepgitdir"], "true");
    assert_eq!(src.attrs["git.fullurl"], "git://127.0.0.1:9418/repo.git");
    assert_eq!(src.attrs["git.authtokensecret"], "GIT_AUTH_TOKEN");
}

#[test]
fn http_archive_is_unpacked_and_subdir_scoped() {
    let main = MainContext::Http {
        url: "http://127.0.0.1:1/c.tar".into(),
        kind: HttpContext::Archive,
    };
    let dockerfile = ops(&main.dockerfile_state().unwrap());
    // download, unpacking copy, terminal
    assert_eq!(dockerfile.len(), 3);
    assert_eq!(
        source(&dockerfile[0]).unwrap().attrs["http.filename"],
        "context"
    );
    let Some(pb::op::Op::File(f)) = &dockerfile[1].op else {
        panic!("not a file op")
    };
    let Some(pb::file_action::Action::Copy(c)) = &f.actions[0].action else {
        panic!("not a copy")
    };
    assert!(c.attempt_unpack_docker_compatibility && c.src == "/context" && c.dest == "/");
    let scoped = ops(&main.context_state(Some("app")).unwrap());
    assert_eq!(scoped.len(), 4);
    let Some(pb::op::Op::File(f)) = &scoped[2].op else {
        panic!("not a file op")
    };
    let Some(pb::file_action::Action::Copy(c)) = &f.actions[0].action else {
        panic!("not a copy")
    };
    assert!(c.dir_copy_contents && c.src == "/app", "{c:?}");
}

#[test]
fn a_lone_dockerfile_download_is_the_dockerfile() {
    let main = MainContext::Http {
        url: "http://127.0.0.1:1/Dockerfile".into(),
        kind: HttpContext::Dockerfile,
    };
    assert_eq!(main.dockerfile_name("Dockerfile"), "context");
    assert_eq!(ops(&main.dockerfile_state().unwrap()).len(), 2);
    assert_eq!(
        MainContext::Local.dockerfile_name("a/Dockerfile"),
        "a/Dockerfile"
    );
    assert!(MainContext::Local.context_state(Some("x")).is_none());
}

/// A ustar header for one file, checksum filled in.
fn tar_header() -> Vec<u8> {
    let mut h = vec![0u8; 512];
    h[..4].copy_from_slice(b"file");
    h[100..107].copy_from_slice(b"0000644");
    h[124..135].copy_from_slice(b"00000000005");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let field = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(field.as_bytes());
    h
}

#[test]
fn archives_are_sniffed_like_upstream() {
    assert!(is_archive(&[0x1F, 0x8B, 0x08, 0]));
    assert!(is_archive(b"BZh91AY"));
    assert!(is_archive(&[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 1]));
    assert!(is_archive(&tar_header()));
    let mut broken = tar_header();
    broken[0] = b'g';
    assert!(!is_archive(&broken));
    assert!(!is_archive(b"FROM scratch\nCOPY . /\n"));
    assert!(!is_archive(&[0u8; 1024]));
    assert!(!is_archive(&[]));
}
