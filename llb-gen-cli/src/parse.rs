//! `llb-gen parse`: syntax check and AST dump.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use llb_gen::diagnostic::{render, SourceFile};
use llb_gen::syntax;

use crate::read_input;

pub(crate) fn run_parse(path: &Path, ast: bool) -> ExitCode {
    let (name, bytes) = match read_input(path) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let parsed = syntax::parse_bytes(&bytes);
    if !parsed.errors.is_empty() {
        // Spans index `bytes`: render against the text with `?` for bytes
        // that are not UTF-8, so lines and columns count the bytes.
        let file = SourceFile::new(name, syntax::source_text(&bytes));
        let mut err = std::io::stderr().lock();
        for (i, e) in parsed.errors.iter().enumerate() {
            let sep = if i == 0 { "" } else { "\n" };
            let _ = write!(err, "{sep}{}", render(&e.to_diagnostic(), &file));
        }
        return ExitCode::from(1);
    }
    if ast {
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{}", syntax::dump(&parsed.dockerfile)).is_err() {
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
