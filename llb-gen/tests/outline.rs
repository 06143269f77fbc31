//! `frontend.outline` through the library: a converter stopped when it is
//! planned, walked by `requests::outline` (upstream's outline capture, with
//! INCLUDE, IF, REQUIRE and imported stages as the build sees them).

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use common::Table;
use llb_gen::convert::{ConvertOptions, Converter, Host, Step};
use llb_gen::limits::Limits;
use llb_gen::requests::{self, Outline};

fn outline_with(table: &mut Table, text: &str, opts: ConvertOptions) -> Outline {
    let mut c = Converter::new(text, opts, Limits::DEFAULT).until_planned();
    let planned = loop {
        match c.step() {
            Step::Need(r) => {
                let a = table.answer(&r);
                c.answer(a);
            }
            Step::Planned(p) => break p,
            Step::Failed(d) => panic!("{d:?}"),
            Step::Ready(_) | Step::Composed(_) => panic!("went past the plan"),
        }
    };
    requests::outline(&planned, c.sources()).unwrap()
}

fn outline(text: &str, target: Option<&str>) -> Outline {
    let mut opts = ConvertOptions::default();
    opts.target = target.map(str::to_string);
    outline_with(&mut Table::default(), text, opts)
}

fn args(o: &Outline) -> Vec<(&str, &str, u32)> {
    o.args
        .iter()
        .map(|a| (a.name.as_str(), a.value.as_str(), a.location.start))
        .collect()
}

#[test]
fn globals_used_by_from_and_their_dependencies_count() {
    let text = "ARG REG=docker.io\nARG IMG=${REG}/alpine\nARG NOT_USED=1\nFROM ${IMG}\n";
    let o = outline(text, None);
    assert_eq!(
        args(&o),
        [("REG", "docker.io", 1), ("IMG", "docker.io/alpine", 2)]
    );
    assert_eq!(o.name, "");
}

#[test]
fn the_target_wins_then_its_parent_then_what_it_copies_from() {
    let text = "\
FROM alpine AS a
ARG V=from-a
ARG A_ONLY
FROM alpine AS b
# V the version
ARG V=from-b
COPY --from=a /x /y
FROM alpine AS unused
ARG NOPE
";
    let o = outline(text, Some("b"));
    assert_eq!(args(&o), [("A_ONLY", "", 3), ("V", "from-b", 6)]);
    assert_eq!(o.args[1].description, "the version");
}

#[test]
fn a_stage_arg_without_default_takes_the_global_entry() {
    let text = "# V global one\nARG V=1\nFROM alpine\nARG V\nARG W=${V}-x\n";
    let o = outline(text, None);
    assert_eq!(args(&o), [("V", "1", 2), ("W", "1-x", 5)]);
    assert_eq!(o.args[0].description, "global one");
    let mut opts = ConvertOptions::default();
    opts.build_args.insert("V".into(), "9".into());
    let o = outline_with(&mut Table::default(), text, opts);
    // A build arg is the value, and the stage's ARG is then its own entry.
    assert_eq!(args(&o), [("V", "9", 4), ("W", "9-x", 5)]);
}

#[test]
fn secrets_and_ssh_once_each_with_required_at_first_use() {
    let text = "\
FROM alpine
RUN --mount=type=secret,id=npm,required=true --mount=type=ssh true
RUN --mount=type=secret,id=npm --mount=type=secret,target=/run/k/aws,env=X true
RUN --mount=type=ssh,id=gh,required true
";
    let o = outline(text, None);
    let s: Vec<(&str, bool, u32)> = o
        .secrets
        .iter()
        .map(|s| (s.name.as_str(), s.required, s.location.start))
        .collect();
    assert_eq!(s, [("npm", true, 2), ("aws", false, 3)]);
    let h: Vec<(&str, bool)> = o
        .ssh
        .iter()
        .map(|s| (s.name.as_str(), s.required))
        .collect();
    assert_eq!(h, [("default", false), ("gh", true)]);
}

#[test]
fn required_stages_count_and_are_listed() {
    let text = "\
FROM alpine AS test
ARG TESTFLAGS=-v
RUN --mount=type=secret,id=cov true
FROM alpine AS app
REQUIRE test
";
    let o = outline(text, None);
    assert_eq!(args(&o), [("TESTFLAGS", "-v", 2)]);
    assert_eq!(o.secrets[0].name, "cov");
    assert_eq!(o.requires.len(), 1);
    assert_eq!(
        (o.requires[0].name.as_str(), o.requires[0].location.start),
        ("test", 5)
    );
    // Without REQUIRE, nothing of `test`.
    let o = outline(&text.replace("REQUIRE test\n", ""), None);
    assert!(o.args.is_empty() && o.secrets.is_empty() && o.requires.is_empty());
}

#[test]
fn included_and_conditional_stages_as_the_build_sees_them() {
    let mut table = Table::default().df(
        "common.Dockerfile",
        "# TOOL_VERSION which tool\nARG TOOL_VERSION=3\nFROM alpine AS base\nARG TOOL_VERSION\n",
    );
    let text = "\
ARG FLAVOR=slim
INCLUDE common.Dockerfile
IF ${FLAVOR} == \"slim\"
FROM base AS app
ARG SLIM=1
ELSE
FROM base AS app
ARG FULL=1
END
";
    let o = outline_with(&mut table, text, ConvertOptions::default());
    // TOOL_VERSION is the included file's global (file 1), SLIM the taken branch's.
    let got: Vec<(&str, usize, u32)> = o
        .args
        .iter()
        .map(|a| (a.name.as_str(), a.location.file, a.location.start))
        .collect();
    assert_eq!(got, [("SLIM", 0, 5), ("TOOL_VERSION", 1, 2)]);
    assert_eq!(o.args[1].description, "which tool");
    assert_eq!(o.name, "app");
}

#[test]
fn imported_stages_count_with_their_own_args() {
    let mut table = Table::default().df(
        "ci/go.Dockerfile",
        "FROM alpine AS builder\nARG GOFLAGS=-trimpath\nRUN --mount=type=secret,id=netrc true\n",
    );
    let text = "FROM ./ci/go.Dockerfile#builder AS build\nFROM alpine\nCOPY --from=build /a /b\n";
    let o = outline_with(&mut table, text, ConvertOptions::default());
    assert_eq!(o.args.len(), 1);
    assert_eq!(o.args[0].name, "GOFLAGS");
    assert_eq!(o.args[0].location.file, 1);
    assert_eq!(o.secrets[0].name, "netrc");
}

#[test]
fn reply_is_upstreams_shape() {
    let text =
        "# app builds it\nARG V=1\nFROM alpine:${V} AS app\nRUN --mount=type=secret,id=s true\n";
    let o = outline(text, None);
    let reply = requests::outline_reply(&o, &llb_gen::sources::SourceSet::new("Dockerfile", text));
    let v: serde_json::Value = serde_json::from_slice(&reply.json).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "name": "app",
            "args": [{"name": "V", "value": "1",
                      "location": {"ranges": [{"start": {"line": 2}, "end": {"line": 2}}]}}],
            "secrets": [{"name": "s",
                         "location": {"ranges": [{"start": {"line": 4}, "end": {"line": 4}}]}}],
            "sources": ["IyBhcHAgYnVpbGRzIGl0CkFSRyBWPTEKRlJPTSBhbHBpbmU6JHtWfSBBUyBhcHAKUlVOIC0tbW91bnQ9dHlwZT1zZWNyZXQsaWQ9cyB0cnVlCg=="],
        })
    );
    let txt = String::from_utf8(reply.text).unwrap();
    assert_eq!(
        txt,
        "TARGET: app\n\nBUILD ARG   VALUE   DESCRIPTION\nV           1       \n\nSECRET   REQUIRED\ns        \n\n"
    );
}

#[test]
fn targets_list_what_each_stage_requires() {
    let text = "FROM alpine AS test\nFROM alpine AS lint\nFROM alpine AS app\nREQUIRE test lint\n";
    let reply = requests::targets(text.as_bytes(), &Limits::DEFAULT).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&reply.json).unwrap();
    assert!(v["targets"][0].get("requires").is_none());
    assert_eq!(
        v["targets"][2]["requires"],
        serde_json::json!(["test", "lint"])
    );
}

#[test]
fn stage_values_see_the_stage_environment_not_undeclared_globals() {
    // As upstream: a global is visible in a stage only once the stage
    // declares it; one ARG's names are set one after the other, one ENV's
    // values all see the environment before it.
    let text = "ARG G=1\nFROM alpine\nARG Y=${G}\nENV E=e F=${E}\nARG A=a B=${A}-${E}-${F}\n";
    let o = outline(text, None);
    assert_eq!(args(&o), [("Y", "", 3), ("A", "a", 5), ("B", "a-e-", 5)]);
}

#[test]
fn multi_line_instructions_are_located_line_by_line_and_mounts_keep_their_order() {
    let text = "FROM alpine\nARG A=1 \\\n    B=2\nRUN --mount=type=secret,id=z --mount=type=secret,id=a true\n";
    let o = outline(text, None);
    let reply = requests::outline_reply(&o, &llb_gen::sources::SourceSet::new("Dockerfile", text));
    let v: serde_json::Value = serde_json::from_slice(&reply.json).unwrap();
    // As upstream's parser: one range per line of the instruction.
    assert_eq!(
        v["args"][0]["location"],
        serde_json::json!({"ranges": [
            {"start": {"line": 2}, "end": {"line": 2}},
            {"start": {"line": 3}, "end": {"line": 3}},
        ]})
    );
    let names: Vec<&str> = o.secrets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["z", "a"]);
}

#[test]
fn reply_bytes_are_gos() {
    // Go's field order, two-space indent, `<`, `>` and `&` escaped.
    let text = "# app <a> & b\nFROM alpine AS app\nARG V=1\n";
    let o = outline(text, None);
    let reply = requests::outline_reply(&o, &llb_gen::sources::SourceSet::new("Dockerfile", text));
    let want = r#"{
  "name": "app",
  "description": "\u003ca\u003e \u0026 b",
  "args": [
    {
      "name": "V",
      "value": "1",
      "location": {
        "ranges": [
          {
            "start": {
              "line": 3
            },
            "end": {
              "line": 3
            }
          }
        ]
      }
    }
  ],
  "sources": [
    "IyBhcHAgPGE+ICYgYgpGUk9NIGFscGluZSBBUyBhcHAKQVJHIFY9MQo="
  ]
}"#;
    assert_eq!(String::from_utf8(reply.json).unwrap(), want);
}
