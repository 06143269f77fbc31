//! Link the `llb-gen` executable as a position-dependent (non-PIE) binary:
//! its relocations are resolved at link time, so the loader does not dirty
//! the read-only data pages of code that a run never uses (about 1 MB of
//! resident memory per run). This crate is only the executable; the
//! `llb-gen` library and its users stay position-independent.
//!
//! On Linux with glibc, the functions a conversion runs are also laid out
//! together (`hot-text.ld`, made by `scripts/cli-hot-text`): the kernel maps
//! code in 64 KiB blocks around each page a run touches, and spread over the
//! whole executable those ~1,200 functions kept most of its 8 MB of code
//! resident (docs/performance-history.md, "The online CLI, fourth session").
//! The script is read by rustc's default linker here (lld) and by GNU ld;
//! `LLB_GEN_HOT_TEXT=off` links without it (e.g. for a linker that does not
//! take linker scripts, such as mold). `LLB_GEN_LINK_MAP=FILE` writes the
//! linker's map, which the script is made from.
use std::path::Path;

fn main() {
    println!("cargo:rustc-link-arg-bins=-no-pie");
    println!("cargo:rerun-if-changed=hot-text.ld");
    println!("cargo:rerun-if-env-changed=LLB_GEN_HOT_TEXT");
    println!("cargo:rerun-if-env-changed=LLB_GEN_LINK_MAP");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    // The linker's map of the executable (section names and addresses), for scripts/cli-hot-text.
    let map = var("LLB_GEN_LINK_MAP");
    if !map.is_empty() {
        println!("cargo:rustc-link-arg-bins=-Wl,-Map={map}");
    }
    let linux_gnu = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    let script = Path::new(&var("CARGO_MANIFEST_DIR")).join("hot-text.ld");
    if linux_gnu && var("LLB_GEN_HOT_TEXT") != "off" && script.is_file() {
        // INSERT BEFORE .text: an addition to the linker's default script, not a replacement.
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
    }
}
