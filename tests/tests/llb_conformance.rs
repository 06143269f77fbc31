//! LLB encoding conformance against Definitions emitted by upstream BuildKit's
//! Go converter (`real-world-llb/*.def` in the conformance corpus; see `testkit`
//! for where it is and what happens when it is absent).
//!
//! 1. Encoding oracle: every op decodes with prost and re-encodes to the exact
//!    same bytes, and digests line up with inputs, metadata and source map
//!    (one test per Definition file).
//! 2. Builder parity: a few real-world graphs rebuilt with `llb_gen::llb` give
//!    the same op bytes as upstream.

use std::collections::BTreeSet;
use std::path::Path;

use llb_gen::llb::{self, digest_of};
use llb_gen::pb;
use prost::Message;
use testkit::{Failed, Trial};

fn main() {
    let trials = testkit::corpus_trials("llb_conformance", |corpus| {
        let dir = corpus.join("real-world-llb");
        let files = testkit::files_ending(&dir, ".def");
        let count = files.len();
        let mut trials = vec![Trial::test("corpus_shape", move || {
            if count == 0 {
                return Err("no .def files in the corpus".into());
            }
            Ok(())
        })];
        let builders: [(&str, BuilderCheck); 3] = [
            (
                "builder_matches_upstream_from_and_run",
                builder_matches_upstream_from_and_run,
            ),
            (
                "builder_matches_upstream_heredoc_copy_and_copy_from",
                builder_matches_upstream_heredoc_copy_and_copy_from,
            ),
            (
                "builder_matches_upstream_workdir_bind_and_cache_mounts",
                builder_matches_upstream_workdir_bind_and_cache_mounts,
            ),
        ];
        for (name, check) in builders {
            let dir = dir.clone();
            trials.push(Trial::test(name, move || {
                check(&dir);
                Ok(())
            }));
        }
        // Prints the dump of one corpus file: LLB_DUMP=<name> cargo test -- --ignored --nocapture
        let dump_dir = dir.clone();
        trials.push(
            Trial::test("print_dump", move || {
                if let Ok(name) = std::env::var("LLB_DUMP") {
                    eprintln!("{}", llb::dump(&load(&dump_dir.join(name))));
                }
                Ok(())
            })
            .with_ignored_flag(true),
        );
        trials.extend(testkit::file_trials(
            "reencodes_byte_for_byte",
            &files,
            ".def",
            upstream_ops_reencode_byte_for_byte,
        ));
        trials
    });
    testkit::run(trials)
}

/// A builder-parity check, given the corpus' `real-world-llb` directory.
type BuilderCheck = fn(&Path);

fn load(path: &Path) -> pb::Definition {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    pb::Definition::decode(bytes.as_slice())
        .unwrap_or_else(|e| panic!("decode {}: {e}", path.display()))
}

/// Every op of one upstream Definition re-encodes to Go's bytes; inputs, metadata and source
/// locations point at ops of the Definition.
fn upstream_ops_reencode_byte_for_byte(path: &Path, _: &str) -> Result<(), Failed> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let def = load(path);
    let mut digests = BTreeSet::new();
    for (i, bytes) in def.def.iter().enumerate() {
        let op = pb::Op::decode(bytes.as_slice()).unwrap_or_else(|e| panic!("{name} op {i}: {e}"));
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
    Ok(())
}

fn shell(cmd: &str) -> Vec<String> {
    vec!["/bin/sh".into(), "-c".into(), cmd.into()]
}

fn named(command: &str, name: &str) -> llb::OpOptions {
    llb::OpOptions::default()
        .description("com.docker.dockerfile.v1.command", command)
        .custom_name(name)
}

fn base_image(reference: &str, command: &str, name: &str) -> llb::State {
    let img = llb::image(
        reference,
        llb::ImageOptions {
            op: named(command, name),
            ..Default::default()
        },
    );
    img.add_env(
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    )
    .with_dir("/")
}

fn all_caps() -> llb::MarshalOptions {
    llb::MarshalOptions {
        caps: llb::CapSet::All,
        ..Default::default()
    }
}

fn assert_same_definition(dir: &Path, name: &str, ours: &pb::Definition) {
    let theirs = load(&dir.join(name));
    assert_eq!(llb::dump(ours), llb::dump(&theirs), "{name}: dumps differ");
    assert_eq!(ours.def, theirs.def, "{name}: op bytes differ");
    assert_eq!(ours.metadata, theirs.metadata, "{name}: metadata differs");
}

fn builder_matches_upstream_from_and_run(llb_dir: &Path) {
    // FROM ${IMAGE}:${TAG} / RUN echo "SUCCESS"
    let img = "docker.io/library/666:666@sha256:2839395ff6e4852ffb888567aff1782b2beca0ca8ecbdcc93c289b85037ed9d8";
    let st = base_image(img, "FROM ${IMAGE}:${TAG}", &format!("[1/2] FROM {img}"));
    let run = st
        .run(llb::ExecOptions {
            args: shell("echo \"SUCCESS\""),
            op: named("RUN echo \"SUCCESS\"", "[2/2] RUN echo \"SUCCESS\""),
            ..Default::default()
        })
        .expect("run");
    let def = run.root().marshal(&all_caps()).expect("marshal");
    assert_same_definition(
        llb_dir,
        "docker__compose__pkg__e2e__fixtures__build-test__multi-args__Dockerfile.def",
        &def,
    );
}

fn builder_matches_upstream_heredoc_copy_and_copy_from(llb_dir: &Path) {
    let img = "docker.io/library/alpine:latest@sha256:653c9b1b7d19424275968364d99662381f847ec1b8457cdd4fd609453884000e";
    let base = base_image(
        img,
        "FROM alpine AS base",
        &format!("[base 1/3] FROM {img}"),
    );
    let run = base
        .run(llb::ExecOptions {
            args: shell("apk add git"),
            op: named("RUN apk add git", "[base 2/3] RUN apk add git"),
            ..Default::default()
        })
        .expect("run")
        .root();
    let doc = llb::scratch().file(
        llb::FileAction::mkfile("/EOF", 0o644, Vec::new(), Default::default()),
        llb::OpOptions::default().custom_name("[internal] preparing inline document"),
    );
    let heredoc_copy = llb::CopyOptions {
        mode: None,
        create_dest_path: true,
        ..Default::default()
    };
    let base_done = run.file(
        llb::FileAction::copy(llb::CopyInput::State(doc), "/EOF", "/empty", heredoc_copy),
        llb::OpOptions::default().custom_name("[base 3/3] COPY <<EOF /empty"),
    );
    let local_copy = llb::CopyOptions {
        follow_symlinks: true,
        dir_copy_contents: true,
        create_dest_path: true,
        allow_wildcard: true,
        allow_empty_wildcard: true,
        ..Default::default()
    };
    let last = llb::scratch().file(
        llb::FileAction::copy(llb::CopyInput::State(base_done), "/empty", "/", local_copy),
        llb::OpOptions::default().custom_name("[stage-1 1/1] COPY --from=base /empty /"),
    );
    let def = last.marshal(&all_caps()).expect("marshal");
    assert_same_definition(
        llb_dir,
        "docker__buildkit-syft-scanner__examples__alpine__Dockerfile.def",
        &def,
    );
}

fn builder_matches_upstream_workdir_bind_and_cache_mounts(llb_dir: &Path) {
    let img = "docker.io/library/golang:1.26-alpine3.23@sha256:2a0c24d87dffdeeff4221fcb47546b49691672da287c53846602a5ffb9b6426d";
    let st = base_image(
        img,
        "FROM golang:${GO_VERSION}-alpine${ALPINE_VERSION}",
        &format!("[stage-0 1/5] FROM {img}"),
    );
    let cmd1 = "apk add --no-cache gcc musl-dev";
    let st = st
        .run(llb::ExecOptions {
            args: shell(cmd1),
            op: named(&format!("RUN {cmd1}"), &format!("[stage-0 2/5] RUN {cmd1}")),
            ..Default::default()
        })
        .expect("run")
        .root();
    let cmd2 = "wget -O- -nv https://raw.githubusercontent.com/golangci/golangci-lint/master/install.sh | sh -s ${GOLANGCI_LINT_VERSION}";
    let st = st
        .run(llb::ExecOptions {
            args: shell(cmd2),
            env: vec![("GOLANGCI_LINT_VERSION".into(), "v2.8.0".into())],
            op: named(
                &format!("RUN {cmd2}"),
                &format!(
                    "[stage-0 3/5] RUN {}",
                    cmd2.replace("${GOLANGCI_LINT_VERSION}", "v2.8.0")
                ),
            ),
            ..Default::default()
        })
        .expect("run")
        .root();
    let dir = "/go/src/github.com/tonistiigi/binfmt";
    let st = st.with_dir(dir).file(
        llb::FileAction::mkdir(
            dir,
            0o755,
            llb::MkdirOptions {
                make_parents: true,
                ..Default::default()
            },
        ),
        llb::OpOptions::default().custom_name(format!("[stage-0 4/5] WORKDIR {dir}")),
    );
    let context = llb::local(
        "context",
        llb::LocalOptions {
            shared_key_hint: Some("context".into()),
            op: llb::OpOptions::default().custom_name("[internal] load build context"),
            ..Default::default()
        },
    );
    let raw = "RUN --mount=target=. --mount=target=/root/.cache,type=cache   golangci-lint run";
    let run = st
        .run(llb::ExecOptions {
            args: shell("golangci-lint run"),
            env: vec![("GOLANGCI_LINT_VERSION".into(), "v2.8.0".into())],
            mounts: vec![
                llb::BindMount::new(dir, context).readonly(true).into(),
                llb::CacheMount::new("/root/.cache", "//root/.cache", llb::CacheSharing::Shared)
                    .into(),
            ],
            op: named(raw, &format!("[stage-0 5/5] {raw}")),
            ..Default::default()
        })
        .expect("run");
    let opts = llb::MarshalOptions {
        local_unique_id: Some("l3j6dggbay5mwb3qnuwhi3qj5".into()),
        ..all_caps()
    };
    let def = run.root().marshal(&opts).expect("marshal");
    assert_same_definition(
        llb_dir,
        "tonistiigi__binfmt__hack__dockerfiles__lint.Dockerfile.def",
        &def,
    );
}
