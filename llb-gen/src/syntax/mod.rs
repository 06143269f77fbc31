//! (being written)

pub mod ast;
