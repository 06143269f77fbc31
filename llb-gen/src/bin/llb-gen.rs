//! The `llb-gen` command line tool (being written).
fn main() {}
