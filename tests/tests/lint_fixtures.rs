//! Build checks: every fixture in `tests/fixtures/lint/<code>.Dockerfile`
//! is linted (parse, lower, check, filtered by its own `# check=`
//! directive and its `# test: build-arg` pragmas), one test per fixture.
//! A fixture with `# test: convert` is converted instead (with the fixture
//! image resolver, every image `linux/amd64`; `# test: platform P` sets the
//! target platform): the rules that need the conversion report there.
//!
//! A fixture says what it expects: a comment `# expect: Rule[, Rule]` right
//! above an instruction means those rules report that instruction's line,
//! and no other finding may appear (so the instructions without such a
//! comment are the negative cases). The rendered findings are also
//! snapshotted (messages, code frames, URLs). Every rule has a fixture
//! named after its code that expects it at least once.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use std::path::{Path, PathBuf};

use llb_gen::convert::{convert_with_host, ConvertOptions};
use llb_gen::diagnostic::{render_all, Diagnostic, SourceFile};
use llb_gen::limits::Limits;
use llb_gen::lint;
use llb_gen::options::parse_platform;
use testkit::{Failed, Trial};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lint")
}

/// The options of a fixture's pragmas (`build-arg NAME=VALUE`, `platform
/// P`), whether it is converted (`convert`), and the build context's
/// `.dockerignore` (`context-exclude PATTERN` lines).
fn options(text: &str) -> (ConvertOptions, bool, String) {
    let mut opts = ConvertOptions::default();
    let mut convert = false;
    let mut ignore = String::new();
    for (k, v) in testkit::header_pragmas(text) {
        match (k.as_str(), v.split_once('=')) {
            ("context-exclude", _) => ignore.push_str(&format!("{v}\n")),
            ("build-arg", Some((n, v))) => {
                opts.build_args.insert(n.to_string(), v.to_string());
            }
            ("platform", _) => {
                opts.target_platform = Some(parse_platform(&v, &opts.build_platform).unwrap());
            }
            ("convert", _) => convert = true,
            _ => panic!("unknown pragma `# test: {k} {v}`"),
        }
    }
    (opts, convert, ignore)
}

/// The findings of a fixture and its check configuration.
fn findings(text: &str, name: &str) -> Result<(Vec<Diagnostic>, lint::CheckConfig), Failed> {
    let (opts, convert, ignore) = options(text);
    let report = lint::lint_source(text.as_bytes(), &opts.build_args, &Limits::DEFAULT)
        .map_err(|e| format!("{name} does not lint:\n{e:?}"))?;
    if !convert {
        return Ok((report.findings, report.config));
    }
    let mut host = common::FixtureHost::default().with_context_file(".dockerignore", &ignore);
    let c = convert_with_host(text.as_bytes(), &opts, Limits::DEFAULT, &mut host)
        .map_err(|e| format!("{name} does not convert:\n{e:?}"))?;
    Ok((c.warnings, report.config))
}

/// `(line, rule)` of every `# expect:` comment: the line of the next line
/// that is not a comment.
fn expected(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(rest) = l.strip_prefix("# expect") else {
            continue;
        };
        let (offset, rules) = match rest.split_once(':') {
            Some(("", rules)) => (0, rules),
            Some((n, rules)) => (n.trim_start_matches('+').parse::<usize>().unwrap(), rules),
            None => panic!("line {}: `# expect[+N]: Rule, ...`", i + 1),
        };
        let target = (i + 1..lines.len())
            .find(|&j| !lines[j].trim_start().starts_with('#'))
            .unwrap_or_else(|| panic!("`# expect:` on line {} has no instruction after it", i + 1));
        for r in rules.split(',') {
            out.push((target + 1 + offset, r.trim().to_string()));
        }
    }
    out.sort();
    out
}

fn check(path: &Path, name: &str) -> Result<(), Failed> {
    let text = std::fs::read_to_string(path).unwrap();
    let (found, config) = findings(&text, name)?;
    let file = SourceFile::new(format!("{name}.Dockerfile"), text.clone());
    let mut got: Vec<(usize, String)> = found
        .iter()
        .map(|d| {
            let rule = lint::rule(d.code).map_or(d.code.to_string(), |r| r.name.to_string());
            (file.line_span(d.span).0 as usize, rule)
        })
        .collect();
    got.sort();
    let want = expected(&text);
    if got != want {
        return Err(format!(
            "{name}: findings (line, rule)\n  got  {got:?}\n  want {want:?}\n{}",
            render_all(&found, &file)
        )
        .into());
    }
    let code = llb_gen::codes::Code::from_name(name)
        .ok_or_else(|| format!("{name}: a lint fixture is named after a rule's code"))?;
    let rule = lint::rule(code).ok_or_else(|| format!("{name} is not a rule's code"))?;
    if !want.iter().any(|(_, r)| r == rule.name) {
        return Err(format!(
            "{name}: the fixture never expects its own rule {}",
            rule.name
        )
        .into());
    }
    let mut snap = String::new();
    for d in &found {
        let (name, url) = lint::rule(d.code).map_or(("-", String::new()), |r| (r.name, r.url()));
        let line = file.line_span(d.span).0;
        snap.push_str(&format!("line {line}: {name}: {} <{url}>\n", d.message));
    }
    snap.push('\n');
    snap.push_str(&render_all(&found, &file));
    if let Some(failed) = config.failure(&found) {
        snap.push_str("\n--- check=error=true ---\n");
        snap.push_str(&render_all(&failed[failed.len() - 1..], &file));
    }
    insta::assert_snapshot!(name, snap);
    Ok(())
}

/// Rules no text can trigger yet: `UpstreamIncompatible` reports the
/// extensions of the superset, which this branch's parser has none of (its
/// unit test builds an `ir::Dockerfile` with extensions). CopyIgnoredFile
/// reports nothing yet, as its page says. `UnlockedImage` needs a lock file
/// beside the Dockerfile: `llb-gen/tests/lock.rs` and the frontend's
/// `gateway_lock.rs` test it.
const NO_FIXTURE: &[&str] = &["UpstreamIncompatible", "CopyIgnoredFile", "UnlockedImage"];

fn every_rule_has_a_fixture() {
    let missing: Vec<&str> = lint::RULES
        .iter()
        .filter(|r| !NO_FIXTURE.contains(&r.name))
        .filter(|r| {
            !fixtures_dir()
                .join(format!("{}.Dockerfile", r.code))
                .exists()
        })
        .map(|r| r.name)
        .collect();
    assert!(missing.is_empty(), "rules without a fixture: {missing:?}");
}

fn main() {
    let files = testkit::files_ending(&fixtures_dir(), ".Dockerfile");
    let mut trials = vec![Trial::test("every_rule_has_a_fixture", || {
        every_rule_has_a_fixture();
        Ok(())
    })];
    trials.extend(testkit::file_trials("lint", &files, ".Dockerfile", check));
    testkit::run(trials)
}
