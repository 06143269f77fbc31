//! The image's binary (static musl) links the functions a build runs together, those of the
//! smallest build first (`hot-text.ld`, made by `scripts/frontend-hot-text`): the kernel maps
//! an executable's code in 64 KiB blocks around each page a run touches, and spread over the
//! whole 2.4 MB of code, the functions even examples/hello runs cost 38 such faults, each
//! mapping 16 pages (docs/performance.md, "Thirteenth session"). The linker is lld (the image's
//! flags, scripts/lib/image-flags.sh), which reads the script as an addition to its default
//! layout. `FRONTEND_HOT_TEXT=off` links without it; `FRONTEND_LINK_MAP=FILE` writes the
//! linker's map, which the script is made from. Other targets (the tests' glibc builds) link
//! as usual.
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=hot-text.ld");
    println!("cargo:rerun-if-env-changed=FRONTEND_HOT_TEXT");
    println!("cargo:rerun-if-env-changed=FRONTEND_LINK_MAP");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    if var("CARGO_CFG_TARGET_ENV") != "musl" {
        return;
    }
    let map = var("FRONTEND_LINK_MAP");
    if !map.is_empty() {
        println!("cargo:rustc-link-arg-bins=-Wl,-Map={map}");
    }
    let script = Path::new(&var("CARGO_MANIFEST_DIR")).join("hot-text.ld");
    if var("FRONTEND_HOT_TEXT") != "off" && script.is_file() {
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
    }
}
