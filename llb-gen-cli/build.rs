//! Link the `llb-gen` executable as a position-dependent (non-PIE) binary:
//! its relocations are resolved at link time, so the loader does not dirty
//! the read-only data pages of code that a run never uses (about 1 MB of
//! resident memory per run). This crate is only the executable; the
//! `llb-gen` library and its users stay position-independent.
fn main() {
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
