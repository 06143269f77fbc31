//! Composition (INCLUDE, IF / ELSE / END, variables in `--from`): each
//! feature converts to exactly the LLB of the same build written by hand,
//! every misuse is a located error in the file where it is, and included
//! files are asked for in batches. Files come from a table host.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use common::{ok, ops, same_as, Table};
use llb_gen::convert::{ConvertOptions, Converter, FileSource, Host, Platform, Step};
use llb_gen::diagnostic::Diagnostic;
use llb_gen::limits::Limits;

/// A misuse converted with the default options: its rendered errors.
fn err(text: &str, host: &mut Table) -> String {
    common::err(text, &ConvertOptions::default(), host)
}

fn arch(a: &str) -> Platform {
    Platform {
        architecture: a.into(),
        ..Platform::linux_amd64()
    }
}

fn args(pairs: &[(&str, &str)]) -> ConvertOptions {
    let mut o = ConvertOptions::default();
    for (k, v) in pairs {
        o.build_args.insert(k.to_string(), v.to_string());
    }
    o
}

#[test]
fn include_splices_a_file_as_if_written_there() {
    let mut host = Table::default()
        .df(
            "common/base.Dockerfile",
            "FROM busybox AS base\nRUN echo base\n",
        )
        .df("common/tail.Dockerfile", "RUN echo tail\n");
    same_as(
        "INCLUDE common/base.Dockerfile\nFROM base\nINCLUDE common/tail.Dockerfile\n",
        "FROM busybox AS base\nRUN echo base\nFROM base\nRUN echo tail\n",
        &ConvertOptions::default(),
        &mut host,
    );
}

#[test]
fn nested_includes_are_relative_to_the_including_file() {
    let mut host = Table::default()
        .df(
            "a/one.Dockerfile",
            "INCLUDE ../b/two.Dockerfile\nRUN echo one\n",
        )
        .df("b/two.Dockerfile", "INCLUDE three.Dockerfile\n")
        .df("b/three.Dockerfile", "RUN echo three\n");
    same_as(
        "FROM busybox\nINCLUDE a/one.Dockerfile\n",
        "FROM busybox\nRUN echo three\nRUN echo one\n",
        &ConvertOptions::default(),
        &mut host,
    );
}

#[test]
fn globs_include_in_lexical_order() {
    let mut host = Table::default()
        .df("ci/b.Dockerfile", "RUN echo b\n")
        .df("ci/a.Dockerfile", "RUN echo a\n")
        .df("ci/notes.txt", "RUN echo no\n");
    same_as(
        "FROM busybox\nINCLUDE ci/*.Dockerfile\n",
        "FROM busybox\nRUN echo a\nRUN echo b\n",
        &ConvertOptions::default(),
        &mut host,
    );
}

#[test]
fn paths_expand_global_args_and_build_args() {
    let mut host = Table::default()
        .df("stages/alpine.Dockerfile", "RUN echo alpine\n")
        .df("stages/debian.Dockerfile", "RUN echo debian\n");
    let text = "ARG FLAVOR=alpine\nFROM busybox\nINCLUDE stages/${FLAVOR}.Dockerfile\n";
    let hand = |f: &str| format!("ARG FLAVOR=alpine\nFROM busybox\nRUN echo {f}\n");
    same_as(text, &hand("alpine"), &ConvertOptions::default(), &mut host);
    let o = args(&[("FLAVOR", "debian")]);
    same_as(text, &hand("debian"), &o, &mut host);
}

#[test]
fn from_context_and_named_local_contexts() {
    let mut o = ConvertOptions::default();
    o.named_contexts
        .insert("shared".into(), "local:shared".into());
    let mut host = Table::default()
        .with(FileSource::Context, "ci/x.Dockerfile", "RUN echo ctx\n")
        .with(
            FileSource::Local("shared".into()),
            "go.Dockerfile",
            "RUN echo shared\n",
        );
    same_as(
        "FROM busybox\nINCLUDE --from=context ci/x.Dockerfile\nINCLUDE --from=shared go.Dockerfile\n",
        "FROM busybox\nRUN echo ctx\nRUN echo shared\n",
        &o,
        &mut host,
    );
}

#[test]
fn global_args_of_an_included_file_with_stages_join_the_globals() {
    // Included inside a stage: its ARG before its FROM is still global.
    let mut host = Table::default().df(
        "go.Dockerfile",
        "ARG GO=1.22\nFROM busybox:${GO} AS go\nRUN echo go\n",
    );
    same_as(
        "FROM busybox AS first\nRUN echo first\nINCLUDE go.Dockerfile\n",
        "ARG GO=1.22\nFROM busybox AS first\nRUN echo first\nFROM busybox:${GO} AS go\nRUN echo go\n",
        &ConvertOptions::default(),
        &mut host,
    );
}

#[test]
fn if_else_picks_one_branch_per_build_arg() {
    let text = "ARG FLAVOR=alpine\nIF ${FLAVOR} == \"alpine\"\nFROM alpine AS base\nRUN apk add curl\nELSE IF ${FLAVOR} =~ \"deb*\"\nFROM debian AS base\nRUN apt-get install curl\nELSE\nFROM scratch AS base\nEND\nFROM base\nRUN echo done\n";
    let tail = "FROM base\nRUN echo done\n";
    let mut host = Table::default();
    same_as(
        text,
        &format!("ARG FLAVOR=alpine\nFROM alpine AS base\nRUN apk add curl\n{tail}"),
        &ConvertOptions::default(),
        &mut host,
    );
    same_as(
        text,
        &format!("ARG FLAVOR=alpine\nFROM debian AS base\nRUN apt-get install curl\n{tail}"),
        &args(&[("FLAVOR", "debian")]),
        &mut host,
    );
    same_as(
        text,
        &format!("ARG FLAVOR=alpine\nFROM scratch AS base\n{tail}"),
        &args(&[("FLAVOR", "other")]),
        &mut host,
    );
}

#[test]
fn conditions_see_the_target_platform_and_nest() {
    let text = "ARG DOCS\nFROM busybox\nIF ${TARGETARCH} == \"arm64\" && ${DOCS} != \"\"\nRUN make docs\nIF !${DOCS} || (${DOCS} == x)\nRUN never\nEND\nEND\nRUN done\n";
    let mut o = args(&[("DOCS", "1")]);
    o.target_platform = Some(arch("arm64"));
    same_as(
        text,
        "ARG DOCS\nFROM busybox\nRUN make docs\nRUN done\n",
        &o,
        &mut Table::default(),
    );
    o.target_platform = Some(arch("amd64"));
    same_as(
        text,
        "ARG DOCS\nFROM busybox\nRUN done\n",
        &o,
        &mut Table::default(),
    );
}

#[test]
fn variables_in_from_expand_with_global_args() {
    let text = "ARG VARIANT=alpine\nFROM busybox AS base-alpine\nRUN echo a\nFROM busybox AS base-debian\nRUN echo d\nFROM busybox\nCOPY --from=base-${VARIANT} /a /a\nRUN --mount=from=base-${VARIANT},target=/m ls /m\n";
    let hand = "ARG VARIANT=alpine\nFROM busybox AS base-alpine\nRUN echo a\nFROM busybox AS base-debian\nRUN echo d\nFROM busybox\nCOPY --from=base-alpine /a /a\nRUN --mount=from=base-alpine,target=/m ls /m\n";
    let composed = ok(text, &ConvertOptions::default(), &mut Table::default());
    let plain = ok(hand, &ConvertOptions::default(), &mut Table::default());
    assert_eq!(ops(&composed), ops(&plain));
    // Only the chosen stage is built.
    let dump = llb_gen::llb::dump(&composed.definition);
    assert!(
        dump.contains("echo a") && !dump.contains("echo d"),
        "{dump}"
    );
}

#[test]
fn files_of_one_depth_come_in_one_round() {
    // 50 files with 10 stages each, included from the Dockerfile: one round.
    let mut host = Table::default();
    let mut main = String::new();
    let mut whole = String::new();
    for f in 0..50 {
        let mut part = String::new();
        for s in 0..10 {
            part.push_str(&format!("FROM busybox AS s{f}x{s}\nRUN echo {f} {s}\n"));
        }
        host = host.df(&format!("parts/p{f:02}.Dockerfile"), &part);
        main.push_str(&format!("INCLUDE parts/p{f:02}.Dockerfile\n"));
        whole.push_str(&part);
    }
    main.push_str("FROM busybox\nCOPY --from=s49x9 / /\n");
    whole.push_str("FROM busybox\nCOPY --from=s49x9 / /\n");
    same_as(&main, &whole, &ConvertOptions::default(), &mut host);
    // One round for the 50 files (the same host answered the plain file's
    // `.dockerignore` rounds too: count only the include round).
    let rounds_with_parts = host
        .rounds
        .iter()
        .flatten()
        .filter(|p| p.starts_with("parts/"))
        .count();
    assert_eq!(rounds_with_parts, 50, "each file read once");
}

#[test]
fn a_failing_run_points_into_its_file() {
    let mut host = Table::default().df("inc/run.Dockerfile", "\n\nRUN false\n");
    let c = ok(
        "FROM busybox\nINCLUDE inc/run.Dockerfile\n",
        &ConvertOptions::default(),
        &mut host,
    );
    let source = c.definition.source.as_ref().unwrap();
    let names: Vec<&str> = source.infos.iter().map(|i| i.filename.as_str()).collect();
    assert!(names.contains(&"inc/run.Dockerfile"), "{names:?}");
    let idx = names
        .iter()
        .position(|n| *n == "inc/run.Dockerfile")
        .unwrap() as i32;
    let lines: Vec<i32> = source
        .locations
        .values()
        .flat_map(|l| &l.locations)
        .filter(|l| l.source_index == idx)
        .flat_map(|l| &l.ranges)
        .map(|r| r.start.as_ref().unwrap().line)
        .collect();
    assert_eq!(lines, vec![3], "the RUN is line 3 of its file");
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
            "missing file with near miss",
            "FROM busybox\nINCLUDE common/bse.Dockerfile\n",
            &[("common/base.Dockerfile", "")],
        ),
        (
            "missing file",
            "FROM busybox\nINCLUDE nope.Dockerfile\n",
            &[],
        ),
        (
            "path leaves its source",
            "FROM busybox\nINCLUDE ../x.Dockerfile\n",
            &[],
        ),
        (
            "glob with no match",
            "FROM busybox\nINCLUDE ci/*.Dockerfile\n",
            &[],
        ),
        (
            "wildcard in a directory",
            "FROM busybox\nINCLUDE */x.Dockerfile\n",
            &[],
        ),
        (
            "cycle",
            "FROM busybox\nINCLUDE a.Dockerfile\n",
            &[
                ("a.Dockerfile", "INCLUDE b.Dockerfile\n"),
                ("b.Dockerfile", "INCLUDE a.Dockerfile\n"),
            ],
        ),
        (
            "unknown named context",
            "FROM busybox\nINCLUDE --from=shard x\n",
            &[],
        ),
        ("bad flag", "FROM busybox\nINCLUDE --mount=x y\n", &[]),
        ("no path", "FROM busybox\nINCLUDE\n", &[]),
        (
            "stage variable in a condition",
            "FROM busybox\nARG X=1\nIF ${X}\nEND\n",
            &[],
        ),
        (
            "stage variable in from",
            "FROM busybox\nARG X=1\nCOPY --from=${X} / /\n",
            &[],
        ),
        (
            "empty expansion",
            "ARG P\nFROM busybox\nINCLUDE ${P}\n",
            &[],
        ),
        (
            "empty from",
            "ARG V\nFROM busybox\nCOPY --from=${V} / /\n",
            &[],
        ),
        ("stray else and end", "FROM busybox\nELSE\nEND\n", &[]),
        (
            "else after else",
            "FROM busybox\nIF 1\nELSE\nELSE\nEND\n",
            &[],
        ),
        ("if left open", "FROM busybox\nIF 1\nRUN x\n", &[]),
        (
            "if left open in an included file",
            "FROM busybox\nINCLUDE x.Dockerfile\n",
            &[("x.Dockerfile", "IF 1\n")],
        ),
        (
            "end inside a heredoc",
            "FROM busybox\nIF 1\nRUN <<EOF\nEND\nEOF\n",
            &[],
        ),
        (
            "condition that does not parse",
            "FROM busybox\nIF (${A} == b\nEND\n",
            &[],
        ),
        (
            "else with an argument",
            "FROM busybox\nIF 1\nELSE x\nEND\n",
            &[],
        ),
        (
            "syntax error in an included file",
            "FROM busybox\nINCLUDE x.Dockerfile\n",
            &[("x.Dockerfile", "RUN <<EOF\n")],
        ),
        (
            "unknown instruction in an included file",
            "FROM busybox\nINCLUDE x.Dockerfile\n",
            &[("x.Dockerfile", "\nFORM x\n")],
        ),
        ("onbuild include", "FROM busybox\nONBUILD INCLUDE x\n", &[]),
        (
            "escape mismatch",
            "FROM busybox\nINCLUDE x.Dockerfile\n",
            &[("x.Dockerfile", "# escape=`\nRUN x\n")],
        ),
    ];
    for (name, text, files) in cases {
        let mut host = Table::default();
        for (p, t) in *files {
            host = host.df(p, t);
        }
        insta::assert_snapshot!(insta_name(name), err(text, &mut host), text);
    }
}

#[test]
fn a_condition_with_an_undeclared_variable_warns() {
    let c = ok(
        "FROM busybox\nIF ${NOPE}\nRUN x\nEND\n",
        &ConvertOptions::default(),
        &mut Table::default(),
    );
    let w: Vec<&Diagnostic> = c
        .warnings
        .iter()
        .filter(|w| w.code.as_str() == "undefined-var")
        .collect();
    assert_eq!(w.len(), 1, "{:?}", c.warnings);
}

#[test]
fn deep_and_wide_includes_stay_bounded() {
    // 40 levels of distinct files: the depth limit, located.
    let mut host = Table::default();
    for i in 0..40 {
        host = host.df(
            &format!("d{i}.Dockerfile"),
            &format!("INCLUDE d{}.Dockerfile\n", i + 1),
        );
    }
    let e = err("FROM busybox\nINCLUDE d0.Dockerfile\n", &mut host);
    assert!(e.contains("include-limit") || e.contains("levels"), "{e}");
    // A file included twice by each of 20 levels: 2^20 splices, bounded.
    let mut host = Table::default();
    for i in 0..20 {
        let next = format!("INCLUDE w{}.Dockerfile\n", i + 1);
        host = host.df(&format!("w{i}.Dockerfile"), &next.repeat(2));
    }
    host = host.df("w20.Dockerfile", "RUN x\n");
    let e = err("FROM busybox\nINCLUDE w0.Dockerfile\n", &mut host);
    assert!(e.contains("INCLUDEd files"), "{e}");
}

#[test]
fn a_plain_dockerfile_asks_for_no_included_file() {
    let mut c = Converter::new(
        &b"FROM busybox\nRUN x\n"[..],
        ConvertOptions::default(),
        Limits::DEFAULT,
    );
    loop {
        match c.step() {
            Step::Need(r) => {
                assert!(r.dirs.is_empty());
                // Only `.dockerignore` files and the lock file beside it.
                assert!(r
                    .files
                    .iter()
                    .all(|f| f.path.ends_with(".dockerignore") || f.path == "Dockerfile.lock"));
                let mut host = Table::default();
                let answers = llb_gen::convert::Answers {
                    images: host.resolve_images(&r.images),
                    files: host.read_files(&r.files),
                    dirs: Vec::new(),
                };
                c.answer(answers);
            }
            Step::Ready(_) => break,
            Step::Failed(d) => panic!("{d:?}"),
            Step::Composed(_) | Step::Planned(_) => panic!("not asked to stop early"),
        }
    }
}

#[test]
fn typos_suggest_upstream_instructions_before_ours() {
    let e = err("FROM busybox\nENB A=1\n", &mut Table::default());
    assert!(e.contains("did you mean ENV?"), "{e}");
    let e = err("FROM busybox\nINCLUDD x\n", &mut Table::default());
    assert!(e.contains("did you mean INCLUDE?"), "{e}");
}

#[test]
fn until_composed_stops_with_the_composed_stages() {
    let mut host = Table::default().df("a.Dockerfile", "FROM busybox AS included\n");
    let text = b"ARG F=x\nINCLUDE a.Dockerfile\nIF ${F} == x\nFROM busybox AS chosen\nELSE\nFROM busybox AS other\nEND\n";
    let mut c =
        Converter::new(&text[..], ConvertOptions::default(), Limits::DEFAULT).until_composed();
    let composed = loop {
        match c.step() {
            Step::Need(r) => {
                let answers = llb_gen::convert::Answers {
                    images: host.resolve_images(&r.images),
                    files: host.read_files(&r.files),
                    dirs: host.list_dirs(&r.dirs),
                };
                c.answer(answers);
            }
            Step::Composed(composed) => break composed,
            Step::Ready(_) | Step::Planned(_) => panic!("went on past composition"),
            Step::Failed(d) => panic!("{d:?}"),
        }
    };
    let names: Vec<&str> = composed
        .dockerfile
        .stages
        .iter()
        .filter_map(|s| s.name.as_ref().map(|n| n.value.as_str()))
        .collect();
    assert_eq!(names, ["included", "chosen"]);
}
