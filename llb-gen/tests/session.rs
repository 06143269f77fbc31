//! The converter as a state machine: what it asks for, in which rounds,
//! and what it does with the answers. No I/O: the answers come from tables.

#![allow(clippy::unwrap_used)] // tests may unwrap

use llb_gen::convert::{
    Answers, ConvertOptions, Converter, FileRequest, FileSource, ImageRequest, ResolvedImage, Step,
};
use llb_gen::limits::Limits;
use llb_gen::pb;
use prost::Message as _;

/// A converter without the lock file's round (`lock=off`), whose rounds
/// `tests/lock.rs` shows.
fn converter(text: &str, mut opts: ConvertOptions) -> Converter {
    opts.use_lock = false;
    Converter::new(text.as_bytes(), opts, Limits::DEFAULT)
}

fn need(c: &mut Converter) -> (Vec<ImageRequest>, Vec<FileRequest>) {
    match c.step() {
        Step::Need(r) => (r.images, r.files),
        Step::Ready(_) => panic!("ready, expected a request"),
        Step::Failed(d) => panic!("failed, expected a request: {d:?}"),
        Step::Composed(_) | Step::Planned(_) => panic!("stopped, expected a request"),
    }
}

fn image(reference: &str, config: &str) -> Result<ResolvedImage, String> {
    Ok(ResolvedImage {
        reference: reference.into(),
        digest: String::new(),
        config: config.as_bytes().to_vec(),
    })
}

fn file(path: &str, source: FileSource) -> FileRequest {
    FileRequest {
        source,
        path: path.into(),
    }
}

/// The `exclude` attribute of the `local://<name>` source of a Definition.
fn excludes_of(def: &pb::Definition, name: &str) -> Option<String> {
    def.def
        .iter()
        .find_map(|b| match pb::Op::decode(b.as_slice()).unwrap().op {
            Some(pb::op::Op::Source(s)) if s.identifier == format!("local://{name}") => Some(
                s.attrs
                    .get("local.excludepatterns")
                    .cloned()
                    .unwrap_or_default(),
            ),
            _ => None,
        })
}

#[test]
fn images_and_ignore_files_are_asked_in_rounds() {
    let mut opts = ConvertOptions::default();
    opts.named_contexts
        .insert("deps".into(), "local:deps".into());
    let mut c = converter("FROM busybox\nCOPY --from=deps a /a\nCOPY b /b\n", opts);
    // Round 1: the base image, the Dockerfile's own .dockerignore and the
    // .dockerignore of the local context, which this round first uses.
    let (images, files) = need(&mut c);
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].reference, "docker.io/library/busybox:latest");
    assert_eq!(
        files,
        [
            file("Dockerfile.dockerignore", FileSource::Dockerfile),
            file(".dockerignore", FileSource::Local("deps".into())),
        ]
    );
    c.answer(Answers {
        dirs: Vec::new(),
        images: vec![image("docker.io/library/busybox:latest", "")],
        files: vec![Ok(None), Ok(Some(b"*.tmp\n".to_vec()))],
    });
    // Round 2: no Dockerfile.dockerignore, so the context's applies.
    let (images, files) = need(&mut c);
    assert!(images.is_empty());
    assert_eq!(files, [file(".dockerignore", FileSource::Context)]);
    c.answer(Answers {
        dirs: Vec::new(),
        images: vec![],
        files: vec![Ok(Some(b"# none\nnode_modules\n".to_vec()))],
    });
    let Step::Ready(ready) = c.step() else {
        panic!("expected ready")
    };
    let def = ready.marshal().unwrap().definition;
    assert_eq!(
        excludes_of(&def, "context").as_deref(),
        Some(r#"["node_modules"]"#)
    );
    assert_eq!(excludes_of(&def, "deps").as_deref(), Some(r#"["*.tmp"]"#));
}

#[test]
fn a_dockerfile_ignore_stands_for_the_contexts_and_unused_contexts_are_not_read() {
    let mut opts = ConvertOptions::default();
    opts.named_contexts
        .insert("unused".into(), "local:unused".into());
    let mut c = converter("FROM scratch\nCOPY a /a\n", opts);
    let (images, files) = need(&mut c);
    assert!(images.is_empty());
    assert_eq!(
        files,
        [file("Dockerfile.dockerignore", FileSource::Dockerfile)]
    );
    c.answer(Answers {
        dirs: Vec::new(),
        images: vec![],
        files: vec![Ok(Some(b"secret\n".to_vec()))],
    });
    let Step::Ready(ready) = c.step() else {
        panic!("expected ready")
    };
    let def = ready.marshal().unwrap().definition;
    assert_eq!(
        excludes_of(&def, "context").as_deref(),
        Some(r#"["secret"]"#)
    );
}

#[test]
fn onbuild_triggers_of_a_base_image_add_a_round() {
    let base = r#"{"os":"linux","architecture":"amd64","config":{"OnBuild":["COPY --from=tools:1 /bin/x /x"]},"rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111"]}}"#;
    let mut c = converter("FROM base:1\nRUN true\n", ConvertOptions::default());
    let (images, _) = need(&mut c);
    assert_eq!(images[0].reference, "docker.io/library/base:1");
    c.answer(Answers {
        dirs: Vec::new(),
        images: vec![image("docker.io/library/base:1", base)],
        files: vec![Ok(None)],
    });
    // The trigger copies from another image: resolved in a round of its own.
    let (images, files) = need(&mut c);
    assert_eq!(images.len(), 1, "{images:?}");
    assert_eq!(images[0].reference, "docker.io/library/tools:1");
    assert!(files.is_empty(), "{files:?}");
    c.answer(Answers {
        dirs: Vec::new(),
        images: vec![image("docker.io/library/tools:1", "")],
        files: vec![],
    });
    let (_, files) = need(&mut c);
    assert_eq!(files, [file(".dockerignore", FileSource::Context)]);
    c.answer(Answers {
        dirs: Vec::new(),
        images: vec![],
        files: vec![Ok(None)],
    });
    assert!(matches!(c.step(), Step::Ready(_)));
}

#[test]
fn a_failed_image_is_a_located_error_and_stepping_again_is_refused() {
    let mut c = converter("FROM nosuch\n", ConvertOptions::default());
    need(&mut c);
    c.answer(Answers {
        dirs: Vec::new(),
        images: vec![Err("not found".into())],
        files: vec![Ok(None)],
    });
    let Step::Failed(d) = c.step() else {
        panic!("expected a failure")
    };
    assert_eq!(d[0].code, "resolve-image");
    assert!(d[0].message.contains("not found"), "{}", d[0].message);
    assert_eq!(
        (d[0].span.start, d[0].span.end),
        (0, 11),
        "points at the FROM line"
    );
    let Step::Failed(d) = c.step() else {
        panic!("expected a failure")
    };
    assert_eq!(d[0].code, "converter-finished");
}

#[test]
fn a_file_that_cannot_be_read_is_an_error_naming_it() {
    let mut c = converter("FROM scratch\n", ConvertOptions::default());
    need(&mut c);
    c.answer(Answers {
        dirs: Vec::new(),
        images: vec![],
        files: vec![Err("permission denied".into())],
    });
    let Step::Failed(d) = c.step() else {
        panic!("expected a failure")
    };
    assert!(
        d[0].message
            .contains(".dockerignore beside the Dockerfile: permission denied"),
        "{}",
        d[0].message
    );
}

#[test]
fn stepping_before_answering_asks_again() {
    let mut c = converter("FROM busybox\n", ConvertOptions::default());
    let first = need(&mut c);
    assert_eq!(need(&mut c), first);
}

#[test]
fn limits_are_a_parameter() {
    let tight = Limits {
        max_instructions: 3,
        ..Limits::DEFAULT
    };
    let mut c = Converter::new(
        &b"FROM a\nRUN 1\nRUN 2\nRUN 3\n"[..],
        ConvertOptions::default(),
        tight,
    );
    let Step::Failed(d) = c.step() else {
        panic!("expected a failure")
    };
    assert!(
        d[0].message.contains("too many instructions: 4 (limit 3)"),
        "{}",
        d[0].message
    );
}
