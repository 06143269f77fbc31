//! `llb-gen graph`: the stage graph as DOT and Mermaid, exact output.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;
use common::dir_with;

use std::process::Output;

/// Two stages that can run in parallel (`deps`, `web`), a child of `deps`
/// that copies and mounts from `web`, a stage nothing needs (`docs`), and an
/// unnamed last stage copying from a stage and an image.
const FIXTURE: &str = "\
ARG GO_VERSION=1.22
FROM golang:${GO_VERSION} AS deps
RUN go mod download

FROM node:20 AS web
RUN npm ci

FROM deps AS build
COPY --from=web /app/dist /src/dist
RUN --mount=from=web,target=/web --mount=type=cache,target=/root/.cache go build -o /out/app

FROM alpine:3.19 AS docs
RUN echo docs

FROM scratch
COPY --from=build /out/app /app
COPY --from=busybox:1.36 /bin/busybox /busybox
";

fn run(args: &[&str], stdin: &str) -> Output {
    let mut all = vec!["graph"];
    all.extend_from_slice(args);
    all.push("-");
    common::run_stdin(&all, stdin.as_bytes())
}

fn ok(args: &[&str], stdin: &str) -> String {
    let out = run(args, stdin);
    assert!(
        out.status.success(),
        "llb-gen graph {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn dot_default_target_is_the_last_stage() {
    let expected = r#"
digraph stages {
  rankdir=TB;
  node [shape=box];
  s0 [label="deps\nFROM golang:1.22", style=bold];
  s1 [label="web\nFROM node:20", style=bold];
  s2 [label="build\nFROM stage deps", style=bold];
  s3 [label="docs\nFROM alpine:3.19", style=dashed, color=gray, fontcolor=gray];
  s4 [label="stage-4\nFROM scratch", style=bold, peripheries=2];
  i0 [label="busybox:1.36\nimage", shape=ellipse, style=bold];
  subgraph depth_0 { rank=same; s0; s1; s3; }
  subgraph depth_1 { rank=same; s2; }
  subgraph depth_2 { rank=same; s4; }
  s0 -> s2 [label="base"];
  s1 -> s2 [label="copy", style=dashed];
  s1 -> s2 [label="mount", style=dashed];
  s2 -> s4 [label="copy", style=dashed];
  i0 -> s4 [label="copy", style=dashed];
}
"#;
    assert_eq!(ok(&[], FIXTURE), &expected[1..]);
    assert_eq!(ok(&["--format", "dot"], FIXTURE), &expected[1..]);
}

#[test]
fn dot_with_target_dims_what_it_does_not_need() {
    let expected = r#"
digraph stages {
  rankdir=TB;
  node [shape=box];
  s0 [label="deps\nFROM golang:1.22", style=bold];
  s1 [label="web\nFROM node:20", style=bold];
  s2 [label="build\nFROM stage deps", style=bold, peripheries=2];
  s3 [label="docs\nFROM alpine:3.19", style=dashed, color=gray, fontcolor=gray];
  s4 [label="stage-4\nFROM scratch", style=dashed, color=gray, fontcolor=gray];
  i0 [label="busybox:1.36\nimage", shape=ellipse, style=dashed, color=gray, fontcolor=gray];
  subgraph depth_0 { rank=same; s0; s1; s3; }
  subgraph depth_1 { rank=same; s2; }
  subgraph depth_2 { rank=same; s4; }
  s0 -> s2 [label="base"];
  s1 -> s2 [label="copy", style=dashed];
  s1 -> s2 [label="mount", style=dashed];
  s2 -> s4 [label="copy", style=dashed, color=gray, fontcolor=gray];
  i0 -> s4 [label="copy", style=dashed, color=gray, fontcolor=gray];
}
"#;
    assert_eq!(ok(&["--target", "BUILD"], FIXTURE), &expected[1..]);
}

#[test]
fn mermaid_default_target() {
    let expected = r#"
flowchart TD
  subgraph depth_0["depth 0"]
    s0["deps<br/>FROM golang:1.22"]
    s1["web<br/>FROM node:20"]
    s3["docs<br/>FROM alpine:3.19"]
  end
  subgraph depth_1["depth 1"]
    s2["build<br/>FROM stage deps"]
  end
  subgraph depth_2["depth 2"]
    s4["stage-4<br/>FROM scratch"]
  end
  i0(["busybox:1.36<br/>image"])
  s0 -->|base| s2
  s1 -.->|copy| s2
  s1 -.->|mount| s2
  s2 -.->|copy| s4
  i0 -.->|copy| s4
  classDef reachable stroke-width:3px
  classDef unreachable stroke-dasharray:5 5,color:#999,stroke:#999
  classDef target stroke-width:4px
  class s0,s1,s2,i0 reachable
  class s3 unreachable
  class s4 target
"#;
    assert_eq!(ok(&["--format", "mermaid"], FIXTURE), &expected[1..]);
}

#[test]
fn mermaid_with_target() {
    let expected = r#"
flowchart TD
  subgraph depth_0["depth 0"]
    s0["deps<br/>FROM golang:1.22"]
    s1["web<br/>FROM node:20"]
    s3["docs<br/>FROM alpine:3.19"]
  end
  subgraph depth_1["depth 1"]
    s2["build<br/>FROM stage deps"]
  end
  subgraph depth_2["depth 2"]
    s4["stage-4<br/>FROM scratch"]
  end
  i0(["busybox:1.36<br/>image"])
  s0 -->|base| s2
  s1 -.->|copy| s2
  s1 -.->|mount| s2
  s2 -.->|copy| s4
  i0 -.->|copy| s4
  classDef reachable stroke-width:3px
  classDef unreachable stroke-dasharray:5 5,color:#999,stroke:#999
  classDef target stroke-width:4px
  class s0,s1 reachable
  class s3,s4,i0 unreachable
  class s2 target
"#;
    assert_eq!(
        ok(&["--format", "mermaid", "--target", "build"], FIXTURE),
        &expected[1..]
    );
}

#[test]
fn build_arg_sets_a_global_arg_in_from() {
    let out = ok(&["--build-arg", "GO_VERSION=1.23"], FIXTURE);
    assert!(
        out.contains("s0 [label=\"deps\\nFROM golang:1.23\", style=bold];\n"),
        "{out}"
    );
    // An ARG without a value expands to nothing, as in the build.
    let out = ok(&["--format", "mermaid"], "ARG V\nFROM alpine:${V}\n");
    assert!(out.contains("s0[\"stage-0<br/>FROM alpine:\"]\n"), "{out}");
}

#[test]
fn parse_error_is_located_exit_1() {
    let out = run(&[], "FROM alpine\nRUN <<EOF\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: unterminated heredoc `EOF`"),
        "{err}"
    );
    assert!(err.contains(" --> <stdin>:2:5\n"), "{err}");
}

#[test]
fn instruction_error_is_located_exit_1() {
    let out = run(&["--format", "mermaid"], "FROM alpine\nCOPY --form=x a b\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: unknown flag `--form` for COPY"),
        "{err}"
    );
    assert!(err.contains(" --> <stdin>:2:6\n"), "{err}");
}

#[test]
fn unknown_target_and_cycle_exit_1() {
    let out = run(&["--target", "nope"], FIXTURE);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: target stage \"nope\" could not be found\n --> <stdin>:15:1\n"),
        "{err}"
    );
    let out = run(
        &[],
        "FROM alpine AS a\nCOPY --from=b x y\nFROM alpine AS b\nCOPY --from=a x y\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: circular dependency detected on stage: "),
        "{err}"
    );
}

#[test]
fn require_is_an_edge_that_runs_beside_the_stage() {
    let text = "FROM alpine AS test\nRUN make test\nFROM alpine AS app\nREQUIRE test\nRUN make\n";
    let dot = ok(&[], text);
    assert!(
        dot.contains("  s0 -> s1 [label=\"require\", style=dashed];\n"),
        "{dot}"
    );
    // Same rank: the required stage builds in parallel with the one that requires it.
    assert!(
        dot.contains("subgraph depth_0 { rank=same; s0; s1; }"),
        "{dot}"
    );
    // It is needed by the target: not dimmed.
    assert!(
        dot.contains("s0 [label=\"test\\nFROM alpine\", style=bold];"),
        "{dot}"
    );
    let out = run(&[], "FROM alpine AS a\nREQUIRE a\n");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn included_and_imported_stages_are_drawn_as_the_build_sees_them() {
    let dir = dir_with(
        "graph-compose",
        &[
            ("Dockerfile", "INCLUDE common.Dockerfile\nFROM base AS app\nCOPY --from=./tools/Dockerfile#lint /l /l\n"),
            ("common.Dockerfile", "FROM alpine AS base\nRUN true\n"),
            ("tools/Dockerfile", "FROM busybox AS lint\nRUN true\n"),
        ],
    );
    let path = dir.join("Dockerfile");
    let out = common::run_stdin(&["graph", path.to_str().unwrap()], b"");
    common::assert_ok(&out);
    let dot = String::from_utf8(out.stdout).unwrap();
    // The included stage is a stage; the imported one too, named by its file.
    assert!(
        dot.contains("s0 [label=\"base\\nFROM alpine\", style=bold];"),
        "{dot}"
    );
    assert!(dot.contains("s0 -> s1 [label=\"base\"];"), "{dot}");
    assert!(dot.contains("tools/Dockerfile lint"), "{dot}");
    assert!(
        dot.contains("s2 -> s1 [label=\"copy\", style=dashed];"),
        "{dot}"
    );
}
