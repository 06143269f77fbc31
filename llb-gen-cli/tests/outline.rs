//! `llb-gen outline`: the `frontend.outline` JSON of a Dockerfile on disk
//! (INCLUDE read beside it) and its table.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;
use common::dir_with;

#[test]
fn outline_of_a_file_with_include_and_require() {
    let dir = dir_with(
        "outline-include",
        &[
            (
                "Dockerfile",
                "INCLUDE test.Dockerfile\n# app ships it\nFROM alpine AS app\nREQUIRE test\nARG VERSION=dev\n",
            ),
            ("test.Dockerfile", "FROM alpine AS test\nRUN --mount=type=secret,id=tok true\n"),
        ],
    );
    let path = dir.join("Dockerfile");
    let out = common::run_stdin(&["outline", path.to_str().unwrap()], b"");
    common::assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["name"], "app");
    assert_eq!(v["description"], "ships it");
    assert_eq!(v["args"][0]["name"], "VERSION");
    assert_eq!(v["args"][0]["value"], "dev");
    assert_eq!(v["secrets"][0]["name"], "tok");
    assert_eq!(v["secrets"][0]["location"]["sourceIndex"], 1);
    assert_eq!(v["requires"][0]["name"], "test");
    assert_eq!(v["sources"].as_array().unwrap().len(), 2);

    let out = common::run_stdin(
        &[
            "outline",
            "--text",
            "--build-arg",
            "VERSION=2",
            path.to_str().unwrap(),
        ],
        b"",
    );
    let txt = String::from_utf8(out.stdout).unwrap();
    assert!(txt.contains("\nVERSION     2       \n"), "{txt}");
    assert!(txt.contains("REQUIRED STAGE\ntest\n"), "{txt}");
}

#[test]
fn unknown_target_and_parse_error_exit_1_located() {
    let out = common::run_stdin(&["outline", "--target", "nope", "-"], b"FROM alpine AS a\n");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: target stage \"nope\" could not be found"),
        "{err}"
    );
    assert!(err.contains("<stdin>:1:1"), "{err}");
    let out = common::run_stdin(&["outline", "-"], b"FROM alpine\nFORM x\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("<stdin>:2:1"), "{err}");
}
