//! The CLI as the converter's host: `.dockerignore` files come from the
//! Dockerfile's directory, `--context DIR` and `--local NAME=DIR`.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::Path;
use std::process::Command;

mod common;

fn dump(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_llb-gen"))
        .args(["--offline", "--json"])
        .args(args)
        .arg(dir.join("Dockerfile"))
        .output()
        .unwrap();
    common::assert_ok(&out);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn ignore_files_come_from_the_directories_given() {
    let root = std::env::temp_dir().join(format!("llb-gen-cli-host-{}", std::process::id()));
    let (df_dir, ctx, deps) = (root.join("df"), root.join("ctx"), root.join("deps"));
    for d in [&df_dir, &ctx, &deps] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(
        df_dir.join("Dockerfile"),
        "FROM scratch\nCOPY a /a\nCOPY --from=deps b /b\n",
    )
    .unwrap();
    std::fs::write(ctx.join(".dockerignore"), "from-context\n").unwrap();
    std::fs::write(deps.join(".dockerignore"), "from-deps\n").unwrap();
    let ctx_arg = ctx.to_str().unwrap();
    let deps_arg = format!("deps={}", deps.display());
    let named = [
        "--context",
        ctx_arg,
        "--local",
        &deps_arg,
        "--build-context",
        "deps=local:deps",
    ];
    let plain = dump(&df_dir, &named);
    assert!(plain.contains("from-context"), "{plain}");
    assert!(
        plain.contains("identifier: local://deps") && plain.contains("from-deps"),
        "{plain}"
    );
    // `Dockerfile.dockerignore` beside the Dockerfile wins over the context's.
    std::fs::write(
        df_dir.join("Dockerfile.dockerignore"),
        "from-dockerfile-dir\n",
    )
    .unwrap();
    let own = dump(&df_dir, &named);
    assert!(
        own.contains("from-dockerfile-dir") && !own.contains("from-context"),
        "{own}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_bad_local_option_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_llb-gen"))
        .args(["--offline", "--local", "nodir", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--local \"nodir\": expected NAME=DIR"));
}
