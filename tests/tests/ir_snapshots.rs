//! Snapshot tests for the `ir` stage: typed trees of valid fixtures, rendered
//! diagnostics of malformed ones, and the real-world corpus lowering cleanly.

use std::fs;
use std::path::{Path, PathBuf};

use llb_gen::diagnostic::{render_all, Diagnostic, SourceFile};
use llb_gen::{ir, syntax};

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/ir")
        .join(kind);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "Dockerfile"))
        .collect();
    files.sort();
    files
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Parse and lower `text`; every parse and ir diagnostic, in that order.
fn lower_text(text: &str) -> (ir::Lowered, Vec<Diagnostic>) {
    let parsed = syntax::parse(text);
    let lowered = ir::lower(&parsed.dockerfile);
    let mut diags: Vec<Diagnostic> = parsed.errors.iter().map(|e| e.to_diagnostic()).collect();
    diags.extend(lowered.errors.iter().map(|e| e.to_diagnostic()));
    (lowered, diags)
}

#[test]
fn ok_fixtures() {
    for path in fixtures("ok") {
        let text = fs::read_to_string(&path).unwrap_or_default();
        let (lowered, diags) = lower_text(&text);
        let file = SourceFile::new("Dockerfile", text.clone());
        assert!(
            diags.is_empty(),
            "{}:\n{}",
            path.display(),
            render_all(&diags, &file)
        );
        insta::assert_snapshot!(
            format!("ok_{}", stem(&path)),
            format!("{:#?}", lowered.dockerfile)
        );
    }
}

#[test]
fn err_fixtures() {
    let files = fixtures("err");
    assert!(files.len() >= 20, "expected at least 20 error fixtures");
    for path in files {
        let text = fs::read_to_string(&path).unwrap_or_default();
        let (_, diags) = lower_text(&text);
        assert!(!diags.is_empty(), "{} has no errors", path.display());
        let file = SourceFile::new("Dockerfile", text.clone());
        let rendered = format!("{text}\n----\n{}", render_all(&diags, &file));
        insta::assert_snapshot!(format!("err_{}", stem(&path)), rendered);
    }
}

fn conformance_dir() -> Option<PathBuf> {
    let candidates = [
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
        PathBuf::from("/work/shared/conformance"),
    ];
    candidates
        .into_iter()
        .find(|p| p.join("real-world").is_dir())
}

/// Every real-world Dockerfile lowers without ir errors. The files that the
/// upstream converter rejects (`real-world-llb/*.error`) fail for reasons
/// found at conversion time (blank base name after expansion, a relative
/// mount target that resolves to `/`, an invalid image reference), so they
/// must lower cleanly too; their names are printed for the record.
#[test]
fn real_world_lowers_cleanly() {
    let Some(dir) = conformance_dir() else {
        eprintln!("skipping: ../shared/conformance/real-world not found");
        return;
    };
    let mut files: Vec<PathBuf> = fs::read_dir(dir.join("real-world"))
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "Dockerfile"));
    files.sort();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    for path in &files {
        let text = fs::read_to_string(path).unwrap_or_default();
        let parsed = syntax::parse(&text);
        let lowered = ir::lower(&parsed.dockerfile);
        let name = stem(path);
        if dir
            .join("real-world-llb")
            .join(format!("{name}.error"))
            .exists()
        {
            eprintln!("{name}: rejected upstream at conversion time");
        }
        if !lowered.errors.is_empty() {
            let file = SourceFile::new(name.clone(), text.clone());
            let diags: Vec<Diagnostic> = lowered.errors.iter().map(|e| e.to_diagnostic()).collect();
            failures.push(render_all(&diags, &file));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
