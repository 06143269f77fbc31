//! Stages from another Dockerfile ("imports"): each use converts to exactly
//! the LLB of the same build written by hand in one file, namespaces do not
//! leak, an import used twice is one stage, progress names show the file,
//! every misuse is a located error in the file where it is, and imported
//! files are asked for in one batch per depth. Files come from a table host.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use common::{err, ok, ops, same_as, Table};
use llb_gen::convert::{Conversion, ConvertOptions, FileSource};

/// Every progress name of a Definition.
fn names(c: &Conversion) -> Vec<String> {
    let mut out: Vec<String> = c
        .definition
        .metadata
        .values()
        .filter_map(|m| m.description.get("llb.customname").cloned())
        .collect();
    out.sort();
    out
}

const GO: &str = "ARG GO=1.22\nFROM busybox:${GO} AS builder\nRUN echo build > /out\n\
                  FROM builder AS test\nRUN echo test\n";

#[test]
fn from_copy_and_mount_import_stages() {
    let mut host = Table::default()
        .df("ci/go.Dockerfile", GO)
        .df(
            "tools/Dockerfile",
            "FROM alpine AS lint\nRUN echo lint > /lint\n",
        )
        .df("cache/Dockerfile", "FROM busybox\nRUN echo seed > /seed\n");
    let text = "FROM ./ci/go.Dockerfile#builder AS build\n\
                COPY --from=./tools/Dockerfile#lint /lint /usr/local/bin/\n\
                RUN --mount=from=./cache/Dockerfile,target=/seed cp -r /seed /cache\n";
    let hand = "ARG GO=1.22\nFROM busybox:${GO} AS builder\nRUN echo build > /out\n\
                FROM alpine AS lint\nRUN echo lint > /lint\n\
                FROM busybox AS seed\nRUN echo seed > /seed\n\
                FROM builder AS build\n\
                COPY --from=lint /lint /usr/local/bin/\n\
                RUN --mount=from=seed,target=/seed cp -r /seed /cache\n";
    same_as(text, hand, &ConvertOptions::default(), &mut host);
}

#[test]
fn namespaces_do_not_leak_either_way() {
    // Both files have a stage `base` and a global ARG `V`; each sees its own.
    let mut host = Table::default().df(
        "lib/Dockerfile",
        "ARG V=lib\nFROM alpine AS base\nARG V\nRUN echo $V > /v\nFROM base AS out\nRUN cat /v\n",
    );
    let text = "ARG V=main\nFROM busybox AS base\nARG V\nRUN echo $V\n\
                FROM ./lib/Dockerfile#out AS imported\nFROM base\nCOPY --from=imported /v /v\n";
    let hand = "ARG V=main\nFROM busybox AS base\nARG V\nRUN echo $V\n\
                FROM alpine AS libbase\nARG V=lib\nRUN echo $V > /v\n\
                FROM libbase AS libout\nRUN cat /v\n\
                FROM libout AS imported\nFROM base\nCOPY --from=imported /v /v\n";
    same_as(text, hand, &ConvertOptions::default(), &mut host);
    // A stage name of the importer is no stage of the imported file: `base`
    // there is an image.
    let mut host = Table::default().df("x/Dockerfile", "FROM main-only\nRUN echo x\n");
    let c = ok(
        "FROM busybox AS main-only\nFROM ./x/Dockerfile\n",
        &ConvertOptions::default(),
        &mut host,
    );
    let plain = ok(
        "FROM main-only\nRUN echo x\n",
        &ConvertOptions::default(),
        &mut Table::default(),
    );
    assert_eq!(ops(&c), ops(&plain));
}

#[test]
fn a_position_names_a_stage_and_escape_is_per_file() {
    // `#1` is the second stage of that file; its `# escape=` is its own.
    let mut host = Table::default().df(
        "w/Dockerfile",
        "# escape=`\nFROM alpine\nFROM busybox AS two\nRUN echo a `\n  b\n",
    );
    same_as(
        "FROM ./w/Dockerfile#1\nRUN echo c \\\n  d\n",
        "FROM busybox AS two\nRUN echo a   b\nFROM two\nRUN echo c   d\n",
        &ConvertOptions::default(),
        &mut host,
    );
}

#[test]
fn build_args_reach_the_imported_file() {
    let mut o = ConvertOptions::default();
    o.build_args.insert("GO".into(), "1.23".into());
    let mut host = Table::default().df("ci/go.Dockerfile", GO);
    same_as(
        "FROM ./ci/go.Dockerfile#builder\n",
        "ARG GO=1.22\nFROM busybox:${GO} AS builder\nRUN echo build > /out\nFROM builder\n",
        &o,
        &mut host,
    );
}

#[test]
fn an_import_used_twice_is_one_stage() {
    let mut host = Table::default().df("ci/go.Dockerfile", GO);
    let text = "FROM ./ci/go.Dockerfile#builder AS a\n\
                FROM busybox\nCOPY --from=./ci/go.Dockerfile#builder /out /a\n\
                COPY --from=a /out /b\n\
                RUN --mount=from=./ci/../ci/go.Dockerfile#BUILDER,target=/m cat /m/out\n";
    let hand = "ARG GO=1.22\nFROM busybox:${GO} AS builder\nRUN echo build > /out\n\
                FROM builder AS a\n\
                FROM busybox\nCOPY --from=builder /out /a\nCOPY --from=a /out /b\n\
                RUN --mount=from=builder,target=/m cat /m/out\n";
    same_as(text, hand, &ConvertOptions::default(), &mut host);
    let c = ok(text, &ConvertOptions::default(), &mut host);
    let runs = names(&c)
        .into_iter()
        .filter(|n| n.contains("echo build"))
        .count();
    assert_eq!(runs, 1, "one vertex for the imported RUN");
}

#[test]
fn progress_names_show_the_file() {
    let mut host = Table::default().df("ci/go.Dockerfile", GO);
    let c = ok(
        "FROM ./ci/go.Dockerfile#test\nRUN echo main\n",
        &ConvertOptions::default(),
        &mut host,
    );
    let shown = names(&c);
    assert!(
        shown.contains(&"[ci/go.Dockerfile builder 2/2] RUN echo build > /out".to_string()),
        "{shown:?}"
    );
    assert!(
        shown.contains(&"[ci/go.Dockerfile test 1/1] RUN echo test".to_string()),
        "{shown:?}"
    );
    assert!(
        shown.contains(&"[stage-0 1/1] RUN echo main".to_string()),
        "{shown:?}"
    );
}

#[test]
fn target_names_an_imported_stage() {
    let mut o = ConvertOptions::default();
    o.target = Some("./ci/go.Dockerfile#builder".into());
    let mut host = Table::default().df("ci/go.Dockerfile", GO);
    let c = ok("FROM busybox\nRUN echo main\n", &o, &mut host);
    let plain = ok(
        "ARG GO=1.22\nFROM busybox:${GO} AS builder\nRUN echo build > /out\n",
        &ConvertOptions::default(),
        &mut Table::default(),
    );
    assert_eq!(ops(&c), ops(&plain));
}

#[test]
fn named_local_contexts_and_the_build_context() {
    let mut o = ConvertOptions::default();
    o.named_contexts
        .insert("shared".into(), "local:shared".into());
    let mut host = Table::default()
        .with(
            FileSource::Local("shared".into()),
            "stages/go.Dockerfile",
            GO,
        )
        .with(
            FileSource::Context,
            "ci/Dockerfile",
            "FROM alpine\nRUN echo ctx > /ctx\n",
        );
    same_as(
        "FROM shared:stages/go.Dockerfile#test\nCOPY --from=context:ci/Dockerfile /ctx /ctx\n",
        "ARG GO=1.22\nFROM busybox:${GO} AS builder\nRUN echo build > /out\n\
         FROM builder AS test\nRUN echo test\n\
         FROM alpine AS ctx\nRUN echo ctx > /ctx\n\
         FROM test\nCOPY --from=ctx /ctx /ctx\n",
        &o,
        &mut host,
    );
}

#[test]
fn imports_nest_relative_to_their_file_with_one_round_per_depth() {
    let mut host = Table::default()
        .df("a/Dockerfile", "FROM ../b/Dockerfile#b AS a\nRUN echo a\n")
        .df("c/Dockerfile", "FROM ./sub/Dockerfile AS c\nRUN echo c\n")
        .df("b/Dockerfile", "FROM busybox AS b\nRUN echo b\n")
        .df("c/sub/Dockerfile", "FROM alpine\nRUN echo sub\n");
    let text = "FROM ./a/Dockerfile AS x\nFROM ./c/Dockerfile\nCOPY --from=x / /\n";
    let hand = "FROM busybox AS b\nRUN echo b\nFROM b AS a\nRUN echo a\n\
                FROM alpine AS sub\nRUN echo sub\nFROM sub AS c\nRUN echo c\n\
                FROM a AS x\nFROM c\nCOPY --from=x / /\n";
    same_as(text, hand, &ConvertOptions::default(), &mut host);
    let rounds = host.import_rounds();
    assert_eq!(
        rounds,
        vec![
            vec!["a/Dockerfile".to_string(), "c/Dockerfile".into()],
            vec!["b/Dockerfile".to_string(), "c/sub/Dockerfile".into()],
        ]
    );
}

#[test]
fn an_imported_file_composes_on_its_own() {
    // INCLUDE and IF inside an imported file see its own global ARGs.
    let mut host = Table::default()
        .df(
            "ci/Dockerfile",
            "ARG FLAVOR=alpine\nIF ${FLAVOR} == \"alpine\"\nFROM alpine AS base\nELSE\nFROM debian AS base\nEND\nINCLUDE steps.Dockerfile\n",
        )
        .df("ci/steps.Dockerfile", "RUN echo steps\n");
    same_as(
        "ARG FLAVOR=debian\nFROM ./ci/Dockerfile#base\n",
        "FROM alpine AS base\nRUN echo steps\nFROM base\n",
        &ConvertOptions::default(),
        &mut host,
    );
}

#[test]
fn upstream_meanings_stay() {
    // Image references with a port or a tag are not imports.
    let mut host = Table::default();
    let text = "FROM localhost:5000/img:1 AS a\nFROM busybox\nCOPY --from=alpine:3 / /\n";
    let c = ok(text, &ConvertOptions::default(), &mut host);
    assert!(c.definition.def.len() > 2);
    assert!(host.import_rounds().is_empty(), "{:?}", host.rounds);
}

fn insta_name(name: &str) -> String {
    name.replace(' ', "_")
}

/// Every misuse: the rendered diagnostics, snapshot by snapshot.
#[test]
fn bad_input_is_located_in_its_file() {
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
    let cases: &[Case<'_>] = &[
        (
            "import missing file with near miss",
            "FROM ./ci/go.Dockerfil#builder\n",
            &[("ci/go.Dockerfile", GO)],
        ),
        (
            "import unknown stage",
            "FROM busybox\nCOPY --from=./ci/go.Dockerfile#buidler /out /\n",
            &[("ci/go.Dockerfile", GO)],
        ),
        (
            "import unknown stage in a nested file",
            "FROM ./a/Dockerfile\n",
            &[
                (
                    "a/Dockerfile",
                    "FROM busybox\nRUN --mount=from=../ci/go.Dockerfile#nope,target=/x true\n",
                ),
                ("ci/go.Dockerfile", GO),
            ],
        ),
        (
            "import without stages",
            "FROM ./empty.Dockerfile\n",
            &[("empty.Dockerfile", "ARG X=1\n")],
        ),
        (
            "import path leaves its source",
            "FROM ./a/Dockerfile\n",
            &[("a/Dockerfile", "FROM ../../x/Dockerfile#y\n")],
        ),
        (
            "import cycle",
            "FROM ./a/Dockerfile\n",
            &[
                ("a/Dockerfile", "FROM ../b/Dockerfile#b AS a\n"),
                (
                    "b/Dockerfile",
                    "FROM busybox AS b\nCOPY --from=../a/Dockerfile#a / /\n",
                ),
            ],
        ),
        (
            "import of the importing file",
            "FROM busybox AS one\nFROM ./Dockerfile#one\n",
            &[("Dockerfile", "FROM busybox AS one\nFROM ./Dockerfile#one\n")],
        ),
        (
            "import in an onbuild trigger",
            "FROM alpine AS p\nONBUILD COPY --from=./ci/go.Dockerfile#builder / /\nFROM p\n",
            &[("ci/go.Dockerfile", GO)],
        ),
        (
            "import with an error inside",
            "FROM ./bad/Dockerfile\n",
            &[(
                "bad/Dockerfile",
                "FROM busybox\nRUN --mount=type=nope true\n",
            )],
        ),
    ];
    for (name, text, files) in cases {
        let mut host = Table::default();
        for (p, t) in *files {
            host = host.df(p, t);
        }
        insta::assert_snapshot!(
            insta_name(name),
            err(text, &ConvertOptions::default(), &mut host),
            text
        );
    }
}

#[test]
fn unknown_target_in_an_imported_file() {
    let mut o = ConvertOptions::default();
    o.target = Some("./ci/go.Dockerfile#nope".into());
    let mut host = Table::default().df("ci/go.Dockerfile", GO);
    let e = err("FROM busybox\n", &o, &mut host);
    insta::assert_snapshot!("import_unknown_target", e);
    o.target = Some("./ci/goo.Dockerfile#builder".into());
    let e = err("FROM busybox\n", &o, &mut host);
    insta::assert_snapshot!("import_missing_target_file", e);
}
