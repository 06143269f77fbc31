//! Snapshot tests for the `ir` stage: typed trees of valid fixtures, rendered
//! diagnostics of malformed ones, and the real-world corpus (the conformance
//! corpus, see `testkit`) lowering cleanly. One test per file.

use std::fs;
use std::path::{Path, PathBuf};

use llb_gen::diagnostic::{render_all, Diagnostic, SourceFile};
use llb_gen::{ir, syntax};
use testkit::{Failed, Trial};

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/ir")
        .join(kind);
    testkit::files_ending(&dir, ".Dockerfile")
}

fn main() {
    let ok = fixtures("ok");
    let err = fixtures("err");
    let count = err.len();
    let mut trials = vec![Trial::test("err_fixture_count", move || {
        if count < 20 {
            return Err(format!("expected at least 20 error fixtures, found {count}").into());
        }
        Ok(())
    })];
    trials.extend(testkit::file_trials("ok", &ok, ".Dockerfile", ok_fixture));
    trials.extend(testkit::file_trials(
        "err",
        &err,
        ".Dockerfile",
        err_fixture,
    ));
    trials.extend(testkit::corpus_trials(
        "real_world_lowers_cleanly",
        |corpus| {
            let files = testkit::files_ending(&corpus.join("real-world"), ".Dockerfile");
            let count = files.len();
            let mut trials = vec![Trial::test(
                "real_world_lowers_cleanly::corpus_shape",
                move || {
                    if count == 0 {
                        return Err("no real-world Dockerfiles in the corpus".into());
                    }
                    Ok(())
                },
            )];
            trials.extend(testkit::file_trials(
                "real_world_lowers_cleanly",
                &files,
                ".Dockerfile",
                real_world_lowers_cleanly,
            ));
            trials
        },
    ));
    testkit::run(trials)
}

/// Parse and lower `text`; every parse and ir diagnostic, in that order.
fn lower_text(text: &str) -> (ir::Lowered, Vec<Diagnostic>) {
    let parsed = syntax::parse(text);
    let lowered = ir::lower(&parsed.dockerfile);
    let mut diags: Vec<Diagnostic> = parsed.errors.iter().map(|e| e.to_diagnostic()).collect();
    diags.extend(lowered.errors.iter().map(|e| e.to_diagnostic()));
    (lowered, diags)
}

fn ok_fixture(path: &Path, stem: &str) -> Result<(), Failed> {
    let text = fs::read_to_string(path).unwrap_or_default();
    let (lowered, diags) = lower_text(&text);
    let file = SourceFile::new("Dockerfile", text.clone());
    if !diags.is_empty() {
        return Err(format!("{}:\n{}", path.display(), render_all(&diags, &file)).into());
    }
    insta::assert_snapshot!(format!("ok_{stem}"), format!("{:#?}", lowered.dockerfile));
    Ok(())
}

fn err_fixture(path: &Path, stem: &str) -> Result<(), Failed> {
    let text = fs::read_to_string(path).unwrap_or_default();
    let (_, diags) = lower_text(&text);
    if diags.is_empty() {
        return Err(format!("{} has no errors", path.display()).into());
    }
    let file = SourceFile::new("Dockerfile", text.clone());
    let rendered = format!("{text}\n----\n{}", render_all(&diags, &file));
    insta::assert_snapshot!(format!("err_{stem}"), rendered);
    Ok(())
}

/// A real-world Dockerfile lowers without ir errors. The files that the
/// upstream converter rejects (`real-world-llb/*.error`) fail for reasons
/// found at conversion time (blank base name after expansion, a relative
/// mount target that resolves to `/`, an invalid image reference), so they
/// must lower cleanly too; their names are printed for the record.
fn real_world_lowers_cleanly(path: &Path, name: &str) -> Result<(), Failed> {
    let text = fs::read_to_string(path).unwrap_or_default();
    let parsed = syntax::parse(&text);
    let lowered = ir::lower(&parsed.dockerfile);
    let llb_dir = path
        .parent()
        .and_then(Path::parent)
        .map(|c| c.join("real-world-llb"));
    if llb_dir.is_some_and(|d| d.join(format!("{name}.error")).exists()) {
        eprintln!("{name}: rejected upstream at conversion time");
    }
    if !lowered.errors.is_empty() {
        let file = SourceFile::new(name.to_string(), text.clone());
        let diags: Vec<Diagnostic> = lowered.errors.iter().map(|e| e.to_diagnostic()).collect();
        return Err(render_all(&diags, &file).into());
    }
    Ok(())
}
