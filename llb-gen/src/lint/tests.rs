use super::*;
use crate::diagnostic::Severity;

fn lint(text: &str) -> Vec<Diagnostic> {
    let df = crate::ir::lower(&crate::syntax::parse(text).dockerfile).dockerfile;
    check(&df, text)
}

#[test]
fn every_rule_has_a_rule_code_and_a_unique_name() {
    for r in RULES {
        assert_eq!(rule(r.code), Some(r));
        assert_eq!(rule_named(r.name), Some(r));
        if r.origin == Origin::Upstream {
            assert_eq!(r.code.upstream_rule(), Some(r.name), "{}", r.name);
        }
        assert_eq!(r.code.default_severity(), Severity::Warning);
    }
    assert_eq!(
        RULES
            .iter()
            .filter(|r| r.origin == Origin::Upstream)
            .count(),
        22
    );
}

#[test]
fn config_parses_upstream_shapes() {
    let c = CheckConfig::parse("skip=JSONArgsRecommended, StageNameCasing;error=true").unwrap();
    assert!(c.error && !c.skip_all);
    assert!(!c.enabled("JSONArgsRecommended") && !c.enabled("StageNameCasing"));
    assert!(c.enabled("FromAsCasing"));
    assert!(!c.enabled("InvalidDefinitionDescription"));
    let c = CheckConfig::parse("skip=all;experimental=InvalidDefinitionDescription").unwrap();
    assert!(!c.enabled("FromAsCasing") && c.enabled("InvalidDefinitionDescription"));
    let c = CheckConfig::parse("experimental=all").unwrap();
    assert!(c.enabled("UpstreamIncompatible") && c.enabled("StageNameCasing"));
    assert!(CheckConfig::parse("error=maybe")
        .unwrap_err()
        .contains("maybe"));
    assert!(CheckConfig::parse("skip")
        .unwrap_err()
        .contains("key=value"));
    assert!(CheckConfig::parse("nope=1").unwrap_err().contains("nope"));
    assert_eq!(CheckConfig::parse("  ").unwrap(), CheckConfig::default());
}

#[test]
fn the_build_arg_replaces_the_directive() {
    let text = "# check=skip=all\nFROM a AS B\n";
    let df = crate::ir::lower(&crate::syntax::parse(text).dockerfile).dockerfile;
    let (c, problems) = CheckConfig::for_build(&df, &Default::default());
    assert!(c.skip_all && problems.is_empty());
    let args = [(CHECK_BUILD_ARG.to_string(), "error=true".to_string())].into();
    let (c, problems) = CheckConfig::for_build(&df, &args);
    assert!(!c.skip_all && c.error && problems.is_empty());
    let args = [(CHECK_BUILD_ARG.to_string(), "error".to_string())].into();
    let (_, problems) = CheckConfig::for_build(&df, &args);
    assert_eq!(problems[0].severity, Severity::Error);
    assert!(
        problems[0].message.contains(CHECK_BUILD_ARG),
        "{}",
        problems[0].message
    );
}

#[test]
fn unknown_rule_names_are_reported_with_a_suggestion() {
    let text = "# check=skip=StageNameCasng\nFROM a\n";
    let df = crate::ir::lower(&crate::syntax::parse(text).dockerfile).dockerfile;
    let (_, problems) = CheckConfig::for_build(&df, &Default::default());
    let [p] = problems.as_slice() else {
        panic!("{problems:?}")
    };
    assert_eq!(p.severity, Severity::Warning);
    assert_eq!(p.help.as_deref(), Some("did you mean `StageNameCasing`?"));
    assert_eq!(&text[p.span.as_usize()], "skip=StageNameCasng");
}

#[test]
fn error_mode_lists_every_finding_then_the_rules() {
    let found = lint("FROM a AS B\ncmd x\n");
    let c = CheckConfig::parse("error=true").unwrap();
    let kept = c.apply(found.clone());
    // UnpinnedBaseImage is experimental: off.
    assert_eq!(kept.len(), found.len() - 1);
    let failed = c.failure(&kept).unwrap();
    assert_eq!(failed.len(), kept.len() + 1);
    assert!(failed.iter().all(|d| d.severity == Severity::Error));
    let last = failed.last().unwrap();
    assert_eq!(last.code, Code::CheckFailed);
    assert!(
        last.message.starts_with("lint violation found for rules: "),
        "{}",
        last.message
    );
    assert!(CheckConfig::default().failure(&found).is_none());
    assert!(c.failure(&[]).is_none());
}

#[test]
fn upstream_incompatible_reports_each_extension() {
    let text = "FROM a\nRUN x\n";
    let mut df = crate::ir::lower(&crate::syntax::parse(text).dockerfile).dockerfile;
    df.extensions.push(crate::ir::ExtensionUse {
        name: "INCLUDE",
        span: crate::text::TextRange::new(7, 12),
    });
    df.extensions.push(crate::ir::ExtensionUse {
        name: "RUN --no-cache",
        span: crate::text::TextRange::new(7, 10),
    });
    let found: Vec<_> = check(&df, text)
        .into_iter()
        .filter(|d| d.code == Code::UpstreamIncompatible)
        .collect();
    assert_eq!(found.len(), 2);
    assert!(
        found[0].message.starts_with("INCLUDE is an extension"),
        "{}",
        found[0].message
    );
    // Off by default, on when named.
    assert!(CheckConfig::default().apply(found.clone()).is_empty());
    let on = CheckConfig::parse("experimental=UpstreamIncompatible").unwrap();
    assert_eq!(on.apply(found).len(), 2);
}

#[test]
fn config_values_read_back() {
    for v in [
        "",
        "skip=all;error=true",
        "skip=A,B;experimental=all",
        "experimental=X",
    ] {
        let c = CheckConfig::parse(v).unwrap();
        assert_eq!(CheckConfig::parse(&c.to_value()).unwrap(), c, "{v}");
    }
}

#[test]
fn skipped_rule_groups_are_not_run_but_lose_nothing() {
    // Every rule of `own.rs` and `own_cache.rs` fires here.
    let body = "FROM alpine:3.20\nCOPY .env id_rsa /\n\
                RUN --mount=type=cache,target=/root/.cache apt-get install -y curl\n";
    let codes = |config: &str| -> Vec<Code> {
        let text = format!("# check={config}\n{body}");
        let df = crate::ir::lower(&crate::syntax::parse(&text).dockerfile).dockerfile;
        let all = CheckConfig::for_build(&df, &Default::default())
            .0
            .apply(check(&df, &text));
        let report = run(&df, &text, &Default::default(), Vec::new()).unwrap();
        let ran: Vec<Code> = report.findings.iter().map(|d| d.code).collect();
        assert_eq!(ran, all.iter().map(|d| d.code).collect::<Vec<_>>());
        ran
    };
    let own = [own::CODES, own_cache::CODES].concat();
    let on = codes("experimental=all");
    for c in &own {
        if *c != Code::UpstreamIncompatible {
            assert!(on.contains(c), "{c:?} did not fire: {on:?}");
        }
    }
    let off = codes("error=false");
    assert!(off.iter().all(|c| !own.contains(c)), "{off:?}");
}

#[test]
fn the_keyword_as_written_is_the_first_word_whatever_the_blanks() {
    fn by_chars(s: &str) -> &str {
        s.trim_start()
            .split(char::is_whitespace)
            .next()
            .unwrap_or("")
    }
    for text in [
        "RUN echo",
        "  run\techo",
        "\u{b}\u{c}Copy\r\na b",
        "FROM",
        "",
        "   ",
        "\u{a0}RUN x",
        "RUN\u{a0}x",
        "RÜN x",
        "env\u{2003}A=1",
    ] {
        assert_eq!(keyword_as_written(text), by_chars(text), "{text:?}");
    }
}
