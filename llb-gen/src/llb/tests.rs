//! Unit and snapshot tests of the LLB builder.

use prost::Message;

use super::*;

fn alpine() -> State {
    image("docker.io/library/alpine:3.23", ImageOptions::default()).add_env(
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    )
}

fn ops(def: &pb::Definition) -> Vec<pb::Op> {
    def.def
        .iter()
        .map(|b| pb::Op::decode(b.as_slice()).expect("decode"))
        .collect()
}

fn exec_of(def: &pb::Definition) -> (pb::Op, pb::ExecOp) {
    ops(def)
        .into_iter()
        .find_map(|op| match &op.op {
            Some(pb::op::Op::Exec(e)) => Some((op.clone(), e.clone())),
            _ => None,
        })
        .expect("an exec op")
}

fn mounts_run() -> ExecState {
    let ctx = local("context", LocalOptions::default());
    alpine()
        .run(ExecOptions {
            args: vec!["true".into()],
            mounts: vec![
                BindMount::new("/z", ctx.clone()).into(),
                SshMount::default().into(),
                BindMount::new("/a", ctx.clone()).readonly(true).into(),
                CacheMount::new("/c", "ns//c", CacheSharing::Locked).into(),
                SecretMount::file("tok", "/run/secrets/tok").into(),
                TmpfsMount::new("/dev/shm", 64 << 20).into(),
                BindMount::new("/m", ctx)
                    .no_output(true)
                    .selector("sub")
                    .into(),
                BindMount::new("/out", State::scratch()).into(),
            ],
            ..Default::default()
        })
        .expect("run")
}

#[test]
fn mounts_sorted_with_output_indices_and_deduplicated_inputs() {
    let es = mounts_run();
    let def = es
        .root()
        .marshal(&MarshalOptions::default())
        .expect("marshal");
    let (op, exec) = exec_of(&def);
    let got: Vec<(&str, i64, i64, i32)> = exec
        .mounts
        .iter()
        .map(|m| (m.dest.as_str(), m.input, m.output, m.mount_type))
        .collect();
    let (bind, secret, ssh, cache, tmpfs) = (0, 1, 2, 3, 4);
    assert_eq!(
        got,
        vec![
            ("/", 0, 0, bind),
            ("/a", 1, -1, bind),
            ("/c", -1, -1, cache),
            ("/dev/shm", -1, -1, tmpfs),
            ("/m", 1, -1, bind),
            ("/out", -1, 1, bind),
            ("/z", 1, 2, bind),
            ("/run/secrets/tok", -1, 0, secret),
            ("/run/buildkit/ssh_agent.0", -1, 0, ssh),
        ]
    );
    assert_eq!(op.inputs.len(), 2, "the context is one input");
    let env = exec.meta.expect("meta").env;
    assert!(env.contains(&"SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0".to_string()));
}

#[test]
fn get_mount_continues_from_writable_mounts_only() {
    let es = mounts_run();
    assert_eq!(
        es.get_mount("/z").expect("z").output().map(|o| o.index),
        Some(2)
    );
    assert_eq!(
        es.get_mount("/out").expect("out").output().map(|o| o.index),
        Some(1)
    );
    assert_eq!(es.root().output().map(|o| o.index), Some(0));
    assert!(es
        .get_mount("/a")
        .expect("a")
        .output()
        .is_some_and(|o| o.index == 0));
    for t in ["/c", "/dev/shm", "/m"] {
        assert!(
            matches!(es.get_mount(t), Err(LlbError::MountHasNoOutput { .. })),
            "{t}"
        );
    }
    assert!(matches!(
        es.get_mount("/nope"),
        Err(LlbError::NoSuchMount(_))
    ));
}

#[test]
fn env_replace_moves_to_end_like_go() {
    let st = State::scratch()
        .add_env("A", "1")
        .add_env("B", "2")
        .add_env("A", "3");
    assert_eq!(
        st.env().iter().collect::<Vec<_>>(),
        [("B", "2"), ("A", "3")]
    );
    assert_eq!(st.get_env("A"), Some("3"));
}

#[test]
fn dir_joins_relative_paths() {
    let st = State::scratch().with_dir("/app").with_dir("src/../lib");
    assert_eq!(st.dir(), "/app/lib");
    assert_eq!(st.with_dir("/abs/./x").dir(), "/abs/./x");
}

#[test]
fn default_path_injected_only_without_the_cap() {
    let st = image("docker.io/library/busybox:latest", ImageOptions::default());
    let es = st.run(ExecOptions::args(["ls"])).expect("run");
    let only = MarshalOptions {
        caps: CapSet::Only(Default::default()),
        ..Default::default()
    };
    let (_, exec) = exec_of(&es.root().marshal(&only).expect("marshal"));
    assert_eq!(
        exec.meta.expect("meta").env,
        vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    );
    let all = MarshalOptions {
        caps: CapSet::All,
        ..Default::default()
    };
    let def = es.root().marshal(&all).expect("marshal");
    let (_, exec) = exec_of(&def);
    assert!(exec.meta.expect("meta").env.is_empty());
}

#[test]
fn file_chain_uses_relative_indices() {
    let other = image("docker.io/library/busybox:latest", ImageOptions::default()).with_dir("/src");
    let chain = FileAction::mkdir(
        "app",
        0o755,
        MkdirOptions {
            make_parents: true,
            ..Default::default()
        },
    )
    .then(FileAction::copy(
        CopyInput::State(other),
        "bin",
        "app/",
        CopyOptions {
            owner: Some(ChownOpt::parse("app:0")),
            ..Default::default()
        },
    ))
    .then(FileAction::mkfile(
        "app/x",
        0o600,
        b"hi".to_vec(),
        MkfileOptions::default(),
    ));
    let st = alpine().with_dir("/work").file(chain, OpOptions::default());
    let def = st.marshal(&MarshalOptions::default()).expect("marshal");
    let file = ops(&def)
        .into_iter()
        .find_map(|op| match op.op {
            Some(pb::op::Op::File(f)) => Some((op.inputs.len(), f)),
            _ => None,
        })
        .expect("file op");
    let idx: Vec<(i64, i64, i64)> = file
        .1
        .actions
        .iter()
        .map(|a| (a.input, a.secondary_input, a.output))
        .collect();
    assert_eq!(file.0, 2);
    assert_eq!(idx, vec![(0, -1, -1), (2, 1, -1), (3, -1, 0)]);
    let insta_dump = dump(&def);
    insta::assert_snapshot!("file_chain", insta_dump);
}

fn small_graph() -> State {
    let ctx = local(
        "context",
        LocalOptions {
            session_id: Some("sess".into()),
            shared_key_hint: Some("context".into()),
            follow_paths: vec!["go.mod".into(), "<weird>&".into()],
            ..Default::default()
        },
    );
    let src = SourceMap::new("Dockerfile", b"FROM alpine\nRUN make\n".to_vec());
    let run = alpine()
        .with_dir("/src")
        .run(ExecOptions {
            args: vec!["/bin/sh".into(), "-c".into(), "make".into()],
            mounts: vec![BindMount::new("/src", ctx.clone()).readonly(true).into()],
            op: OpOptions::default()
                .custom_name("[2/3] RUN make")
                .location(src.location(2..=2)),
            ..Default::default()
        })
        .expect("run")
        .root();
    let copied = State::scratch().file(
        FileAction::copy(
            CopyInput::State(run.clone()),
            "/out",
            "/",
            CopyOptions::default(),
        ),
        OpOptions::default().custom_name("[3/3] COPY"),
    );
    merge(&[run, copied], OpOptions::default().ignore_cache(true))
}

#[test]
fn marshal_is_deterministic() {
    let opts = MarshalOptions {
        caps: CapSet::All,
        ..Default::default()
    };
    let first = small_graph()
        .marshal(&opts)
        .expect("marshal")
        .encode_to_vec();
    let shared = small_graph();
    for _ in 0..100 {
        assert_eq!(
            small_graph()
                .marshal(&opts)
                .expect("marshal")
                .encode_to_vec(),
            first
        );
        assert_eq!(
            shared.marshal(&opts).expect("marshal").encode_to_vec(),
            first
        );
    }
}

#[test]
fn small_graph_dump_and_pinned_digest() {
    let opts = MarshalOptions {
        caps: CapSet::All,
        ..Default::default()
    };
    let def = small_graph().marshal(&opts).expect("marshal");
    insta::assert_snapshot!("small_graph", dump(&def));
    let last = def.def.last().expect("terminal");
    let head = pb::Op::decode(last.as_slice()).expect("decode").inputs[0]
        .digest
        .clone();
    insta::assert_snapshot!("small_graph_head", head);
}

#[test]
fn identical_vertices_marshal_once() {
    let a = image("docker.io/library/alpine:3.23", ImageOptions::default());
    let b = image("docker.io/library/alpine:3.23", ImageOptions::default());
    let m = merge(&[a, b], OpOptions::default());
    let def = m.marshal(&MarshalOptions::default()).expect("marshal");
    assert_eq!(def.def.len(), 3, "image once, merge, terminal");
    let merge_op = pb::Op::decode(def.def[1].as_slice()).expect("decode");
    assert_eq!(merge_op.inputs.len(), 2, "merge keeps both inputs like Go");
}

/// `marshal_to` writes exactly the bytes of the built Definition, also when
/// identical ops with different metadata are merged.
#[test]
fn marshal_to_writes_the_encoded_definition() {
    let named = |name: &str, ignore_cache: bool| {
        let op = OpOptions::default()
            .custom_name(name)
            .ignore_cache(ignore_cache);
        image(
            "docker.io/library/alpine:3.23",
            ImageOptions {
                op,
                ..ImageOptions::default()
            },
        )
    };
    let merged = merge(
        &[named("a", false), named("b", true), small_graph()],
        OpOptions::default(),
    );
    let opts = MarshalOptions {
        caps: CapSet::All,
        ..Default::default()
    };
    for st in [small_graph(), merged, State::scratch()] {
        let def = st.marshal(&opts).expect("marshal");
        let mut written = Vec::new();
        let caps = st
            .clone()
            .marshal_to(&opts, Teardown::Free, &mut written)
            .expect("marshal_to");
        let mut left = Vec::new();
        st.marshal_to(&opts, Teardown::Leave, &mut left)
            .expect("marshal_to, leaving the graph");
        assert_eq!(left, written);
        assert_eq!(written, def.encode_to_vec());
        let named: std::collections::BTreeSet<String> = def
            .metadata
            .values()
            .flat_map(|md| md.caps.keys().cloned())
            .collect();
        assert_eq!(caps, named, "the caps of every op's metadata");
    }
}

#[test]
fn scratch_marshals_to_empty_definition() {
    let def = State::scratch()
        .marshal(&MarshalOptions::default())
        .expect("marshal");
    assert!(def.def.is_empty() && def.metadata.is_empty() && def.source.is_none());
}

#[test]
fn exec_without_args_is_an_error() {
    assert_eq!(
        alpine().run(ExecOptions::default()).err(),
        Some(LlbError::NoArgs)
    );
}

/// A copy of the context into scratch, on `ctx`.
fn copy_of(ctx: &State) -> State {
    State::scratch().file(
        FileAction::copy(
            CopyInput::State(ctx.clone()),
            "/go.mod",
            "/go.mod",
            CopyOptions::default(),
        ),
        OpOptions::default(),
    )
}

#[test]
fn local_later_marshals_like_local_with_the_paths_filled_in() {
    let opts = |follow_paths: Vec<String>| LocalOptions {
        session_id: Some("sess".into()),
        follow_paths,
        shared_key_hint: Some("context".into()),
        ..Default::default()
    };
    let paths = vec!["go.mod".to_string(), "<weird>&".to_string()];
    let now = copy_of(&local("context", opts(paths.clone())));
    // `follow_paths` of the options is not used by `local_later`.
    let (ctx, slot) = local_later("context", opts(vec!["ignored".into()]));
    let later = copy_of(&ctx);
    slot.fill(paths);
    let marshal = MarshalOptions::default();
    assert_eq!(
        later.marshal(&marshal).expect("later"),
        now.marshal(&marshal).expect("now")
    );
    // Empty: the whole directory, no attribute and no cap.
    let (ctx, slot) = local_later("context", opts(Vec::new()));
    slot.fill(Vec::new());
    assert_eq!(
        copy_of(&ctx).marshal(&marshal).expect("later"),
        copy_of(&local("context", opts(Vec::new())))
            .marshal(&marshal)
            .expect("now")
    );
}

#[test]
fn local_later_without_its_paths_does_not_marshal() {
    let (ctx, _unfilled) = local_later("context", LocalOptions::default());
    let st = copy_of(&ctx);
    assert_eq!(
        st.marshal(&MarshalOptions::default()).err(),
        Some(LlbError::FollowPathsUnset("local://context".into()))
    );
}
