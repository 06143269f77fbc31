//! Test support shared by the workspace's test suites (a dev-dependency only).
//!
//! - **The conformance corpus rule.** The external corpus (BuildKit's parser cases, shell tables,
//!   the real-world Dockerfiles and what upstream's converter made of them) is not in this
//!   repository. It is found at `$CONFORMANCE_DIR`, or else at `../shared/conformance` next to
//!   the repository root (a relative `$CONFORMANCE_DIR` is taken from the repository root). When
//!   it is absent, a suite that reads it prints a loud SKIP and passes, except with `CI=true`,
//!   where it fails. Every suite goes through [`conformance`] or [`corpus_trials`] for this.
//! - **One test per fixture file.** Data-driven suites are `harness = false` test targets built
//!   on `libtest-mimic`: [`file_trials`] makes one trial per file, so a mismatch in one fixture
//!   does not hide the others, and `cargo test -- NAME` picks one fixture.
//! - **Fixture options** live in a header pragma of the fixture itself ([`header_pragmas`]).
//!
//! - **A frontend process's pipes** as a fake bridge's connection, and its `ReadDir` listing
//!   (module `gateway`, feature `gateway`).
//!
//! Nothing here writes into the source tree.

#[cfg(feature = "gateway")]
pub mod gateway;

use std::io::Write as _;
use std::path::{Path, PathBuf};

pub use libtest_mimic::{Arguments, Completion, Failed, Trial};

/// The variable that says where the conformance corpus is.
pub const CONFORMANCE_DIR: &str = "CONFORMANCE_DIR";

/// The repository root (this crate lives at `tests/testkit`).
pub fn repo_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .and_then(Path::parent)
        .map_or_else(|| here.to_path_buf(), Path::to_path_buf)
}

/// `CI=true`: every suite must run; a missing prerequisite is a failure, not a SKIP.
pub fn is_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Where the conformance corpus should be: `$CONFORMANCE_DIR` (relative to the repository
/// root when relative), else `<repo>/../shared/conformance`. It may not exist.
pub fn conformance_path() -> PathBuf {
    match std::env::var_os(CONFORMANCE_DIR).filter(|v| !v.is_empty()) {
        Some(dir) => repo_root().join(dir),
        None => repo_root().join("../shared/conformance"),
    }
}

/// A loud message on the test's stderr. Written to the stderr handle directly, not through
/// `eprintln!`, so that the test harness's output capture does not hide it.
pub fn loud(message: &str) {
    let bar = "!".repeat(78);
    let _ = writeln!(std::io::stderr(), "\n{bar}\n!!! {message}\n{bar}\n");
}

fn absent_message(suite: &str, dir: &Path) -> String {
    format!(
        "{suite}: conformance corpus not found at {} (set {CONFORMANCE_DIR}, or put it at \
         ../shared/conformance next to the repository)",
        dir.display()
    )
}

/// The corpus rule for an ordinary `#[test]`: the corpus directory when it exists; when it
/// does not, a loud SKIP and `None` (the test returns early and passes), or a panic with
/// `CI=true`.
pub fn conformance(suite: &str) -> Option<PathBuf> {
    let dir = conformance_path();
    if dir.is_dir() {
        return Some(dir);
    }
    let message = absent_message(suite, &dir);
    if is_ci() {
        panic!("CI=true, and the corpus is required: {message}");
    }
    loud(&format!("SKIP {message}"));
    None
}

/// The corpus rule for a `harness = false` suite: `make(corpus)` when the corpus exists; when
/// it does not, a loud SKIP and a single trial `<suite>::conformance_corpus` that is reported
/// as ignored, or that fails with `CI=true`.
pub fn corpus_trials(suite: &str, make: impl FnOnce(&Path) -> Vec<Trial>) -> Vec<Trial> {
    let dir = conformance_path();
    if dir.is_dir() {
        return make(&dir);
    }
    let message = absent_message(suite, &dir);
    let ci = is_ci();
    if !ci {
        loud(&format!("SKIP {message}"));
    }
    vec![Trial::ignorable_test(
        format!("{suite}::conformance_corpus"),
        move || {
            if ci {
                Err(format!("CI=true, and the corpus is required: {message}").into())
            } else {
                Ok(Completion::ignored_with("conformance corpus absent"))
            }
        },
    )]
}

/// Runs the trials with the command line's arguments (`--skip`, filters, `--list` ...) and exits.
pub fn run(trials: Vec<Trial>) -> ! {
    libtest_mimic::run(&Arguments::from_args(), trials).exit()
}

/// Entries of `dir` (sorted by path) that `keep` accepts. Panics naming `dir` when it cannot
/// be read: a fixture or corpus directory that should be there is a failure.
pub fn entries(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let rd = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    let mut v: Vec<PathBuf> = rd
        .map(|e| {
            e.unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
                .path()
        })
        .filter(|p| keep(p))
        .collect();
    v.sort();
    v
}

/// Files of `dir` whose names end with `suffix` (e.g. `.Dockerfile`), sorted.
pub fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    entries(dir, |p| {
        p.is_file()
            && p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(suffix))
    })
}

/// The file name of `path` without `suffix` (`a.b.Dockerfile` -> `a.b` for `.Dockerfile`).
pub fn stem(path: &Path, suffix: &str) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.strip_suffix(suffix) {
        Some(s) => s.to_string(),
        None => name,
    }
}

/// One trial per file, named `<group>::<stem>` (the file name without `suffix`); `check` gets
/// the file's path and its stem. A panic in `check` fails that trial only.
pub fn file_trials(
    group: &str,
    files: &[PathBuf],
    suffix: &str,
    check: fn(&Path, &str) -> Result<(), Failed>,
) -> Vec<Trial> {
    files
        .iter()
        .map(|path| {
            let name = stem(path, suffix);
            let path = path.clone();
            Trial::test(format!("{group}::{name}"), move || check(&path, &name))
        })
        .collect()
}

/// The header pragmas of a fixture: in the comment lines at the top of the file (up to the
/// first line that is not a comment), each line `# test: KEY VALUE` gives `(KEY, VALUE)`, in
/// order. A fixture says how it is to be run this way instead of a table in the test code. The
/// form is chosen so it cannot be a parser directive (`# key=value`), and it stays in the text
/// the test converts, so line numbers in snapshots are those of the file on disk.
pub fn header_pragmas(text: &str) -> Vec<(String, String)> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix('#')?.trim_start().strip_prefix("test:"))
        .map(|rest| {
            let rest = rest.trim();
            match rest.split_once(char::is_whitespace) {
                Some((k, v)) => (k.to_string(), v.trim().to_string()),
                None => (rest.to_string(), String::new()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pragmas_come_from_the_leading_comment_block_only() {
        let text = "# A fixture.\n# test: build-arg A=1\n#test: target dev\n\
                    FROM x\n# test: build-arg B=2\n";
        assert_eq!(
            header_pragmas(text),
            [
                ("build-arg".to_string(), "A=1".to_string()),
                ("target".to_string(), "dev".to_string())
            ]
        );
        assert!(header_pragmas("FROM x\n# test: target dev\n").is_empty());
    }

    #[test]
    fn stems_drop_only_the_suffix() {
        let p = Path::new("/x/a.b.Dockerfile");
        assert_eq!(stem(p, ".Dockerfile"), "a.b");
        assert_eq!(stem(p, ".def"), "a.b.Dockerfile");
    }

    #[test]
    fn a_relative_conformance_dir_is_taken_from_the_repository_root() {
        // Only reads the variable's value; the default is next to the repository.
        let default = repo_root().join("../shared/conformance");
        if std::env::var_os(CONFORMANCE_DIR).is_none() {
            assert_eq!(conformance_path(), default);
        }
    }
}
