//! Build checks: every fixture in `tests/fixtures/lint/<code>.Dockerfile`
//! is linted (parse, lower, check, filtered by its own `# check=`
//! directive and its `# test: build-arg` pragmas), one test per fixture.
//!
//! A fixture says what it expects: a comment `# expect: Rule[, Rule]` right
//! above an instruction means those rules report that instruction's line,
//! and no other finding may appear (so the instructions without such a
//! comment are the negative cases). The rendered findings are also
//! snapshotted (messages, code frames, URLs). Every rule has a fixture
//! named after its code that expects it at least once.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use llb_gen::diagnostic::{render_all, SourceFile};
use llb_gen::limits::Limits;
use llb_gen::lint;
use testkit::{Failed, Trial};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lint")
}

/// The `# test: build-arg NAME=VALUE` pragmas.
fn build_args(text: &str) -> BTreeMap<String, String> {
    testkit::header_pragmas(text)
        .into_iter()
        .map(|(k, v)| match (k.as_str(), v.split_once('=')) {
            ("build-arg", Some((n, v))) => (n.to_string(), v.to_string()),
            _ => panic!("unknown pragma `# test: {k} {v}`"),
        })
        .collect()
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
    let report = lint::lint_source(text.as_bytes(), &build_args(&text), &Limits::DEFAULT)
        .map_err(|e| format!("{name} does not lint:\n{e:?}"))?;
    let file = SourceFile::new(format!("{name}.Dockerfile"), text.clone());
    let mut got: Vec<(usize, String)> = report
        .findings
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
            render_all(&report.findings, &file)
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
    for d in &report.findings {
        let (name, url) = lint::rule(d.code).map_or(("-", String::new()), |r| (r.name, r.url()));
        let line = file.line_span(d.span).0;
        snap.push_str(&format!("line {line}: {name}: {} <{url}>\n", d.message));
    }
    snap.push('\n');
    snap.push_str(&render_all(&report.findings, &file));
    if let Some(failed) = report.config.failure(&report.findings) {
        snap.push_str("\n--- check=error=true ---\n");
        snap.push_str(&render_all(&failed[failed.len() - 1..], &file));
    }
    insta::assert_snapshot!(name, snap);
    Ok(())
}

/// Rules no text can trigger yet: `UpstreamIncompatible` reports the
/// extensions of the superset, which this branch's parser has none of (its
/// unit test builds an `ir::Dockerfile` with extensions). The three rules
/// that need the conversion (base image environments and platforms,
/// `.dockerignore`) report nothing yet, as their pages say.
const NO_FIXTURE: &[&str] = &[
    "UpstreamIncompatible",
    "UndefinedVar",
    "InvalidBaseImagePlatform",
    "CopyIgnoredFile",
];

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
