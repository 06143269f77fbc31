//! Unit tests for word expansion. Expected values follow upstream's
//! `lex_test.go` where it has a case, and upstream's code otherwise.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::text::TextRange;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn word(input: &str, pairs: &[(&str, &str)]) -> Result<String, WordError> {
    let lx = Lexer::new('\\');
    let env = env(pairs);
    let tracked = lx.process_word(input, &env).map(|e| e.value);
    // The converter's untracked expansion gives the same value or error.
    let plain = lx.expand(input, &env).map(Cow::into_owned);
    assert_eq!(tracked, plain, "{input:?}");
    tracked
}

fn ok(input: &str, pairs: &[(&str, &str)]) -> String {
    match word(input, pairs) {
        Ok(v) => v,
        Err(e) => panic!("{input:?} failed: {e}"),
    }
}

fn err(input: &str, pairs: &[(&str, &str)]) -> WordError {
    match word(input, pairs) {
        Ok(v) => panic!("{input:?} should fail, got {v:?}"),
        Err(e) => e,
    }
}

fn words(lx: &Lexer, input: &str, pairs: &[(&str, &str)]) -> Vec<String> {
    match lx.process_words(input, &env(pairs)) {
        Ok((w, _, _)) => w,
        Err(e) => panic!("{input:?} failed: {e}"),
    }
}

/// upstream `TestProcessWithMatches`: value, matched and unmatched.
#[test]
fn upstream_process_with_matches() {
    type Case<'a> = (
        &'a str,
        &'a [(&'a str, &'a str)],
        Option<&'a str>,
        &'a [&'a str],
        &'a [&'a str],
    );
    let set_env: &[(&str, &str)] = &[("FOO", "xxx"), ("BAR", "")];
    let cases: &[Case] = &[
        ("x", &[("DUMMY", "dummy")], Some("x"), &[], &[]),
        (
            "x ${UNUSED}",
            &[("DUMMY", "dummy")],
            Some("x "),
            &[],
            &["UNUSED"],
        ),
        ("x ${FOO}", &[("FOO", "y")], Some("x y"), &["FOO"], &[]),
        (
            "${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}",
            set_env,
            Some("xxx  ccc"),
            &["FOO", "BAR"],
            &["BAZ"],
        ),
        (
            "${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}",
            set_env,
            Some("xxx bbb ccc"),
            &["FOO", "BAR"],
            &["BAZ"],
        ),
        ("${FOO:-}", set_env, Some("xxx"), &["FOO"], &[]),
        ("${FOO:-}", &[], Some(""), &[], &["FOO"]),
        (
            "${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}",
            set_env,
            Some("aaa bbb "),
            &["FOO", "BAR"],
            &["BAZ"],
        ),
        (
            "${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}",
            set_env,
            Some("aaa  "),
            &["FOO", "BAR"],
            &["BAZ"],
        ),
        ("${FOO?aaa}", set_env, Some("xxx"), &["FOO"], &[]),
        ("${BAR?bbb}", set_env, Some(""), &["BAR"], &[]),
        ("${BAZ?ccc}", set_env, None, &[], &[]),
        ("${FOO:?aaa}", set_env, Some("xxx"), &["FOO"], &[]),
        ("${BAR:?bbb}", set_env, None, &[], &[]),
        ("${BAZ:?ccc}", set_env, None, &[], &[]),
        ("${BAZ:?}", set_env, None, &[], &[]),
        ("${FOO=aaa}", set_env, None, &[], &[]),
        ("${FOO=:aaa}", set_env, None, &[], &[]),
        ("${FOO=}", &[], None, &[], &[]),
        (
            "${FOO#()[]{\\}^$.\\*\\?|\\\\}",
            &[("FOO", "()[]{}^$.*?|\\x")],
            Some("x"),
            &["FOO"],
            &[],
        ),
        (
            "${FOO%%\\**}",
            &[("FOO", "xx**")],
            Some("xx"),
            &["FOO"],
            &[],
        ),
        ("${FOO#*x*y}", &[("FOO", "xxyy")], Some("y"), &["FOO"], &[]),
        ("${FOO#*}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
        (
            "${FOO#$BAR}",
            &[("FOO", "xxyy"), ("BAR", "x")],
            Some("xyy"),
            &["FOO", "BAR"],
            &[],
        ),
        (
            "${FOO#$BAR}",
            &[("FOO", "xxyy"), ("BAR", "")],
            Some("xxyy"),
            &["FOO", "BAR"],
            &[],
        ),
        ("${FOO#}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
        ("${FOO##*x}", &[("FOO", "xxyy")], Some("yy"), &["FOO"], &[]),
        ("${FOO##}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
        ("${FOO#?\\?}", &[("FOO", "???y")], Some("?y"), &["FOO"], &[]),
        (
            "${ABC:-.}${FOO%x}${ABC:-.}",
            &[("FOO", "xxyy")],
            Some(".xxyy."),
            &["FOO"],
            &["ABC"],
        ),
        (
            "${FOO%%\\**\\*}",
            &[("FOO", "a***yy*")],
            Some("a"),
            &["FOO"],
            &[],
        ),
        ("${FOO%}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
        (
            "${FOO%%$BAR}",
            &[("FOO", "xxyy"), ("BAR", "")],
            Some("xxyy"),
            &["FOO", "BAR"],
            &[],
        ),
        (
            "${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}",
            &[("FOO", "/foo*/*/*.txt"), ("NEEDLE", "\\*/")],
            Some("/foo.*/*.txt - /foo..*.txt"),
            &["FOO", "NEEDLE"],
            &[],
        ),
        (
            "${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}",
            &[("FOO", "/tmp/tmp/bar.txt"), ("NEEDLE", "/tmp")],
            Some("/tmp/bar.txt - /bar.txt"),
            &["FOO", "NEEDLE"],
            &[],
        ),
        (
            "${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}",
            &[
                ("FOO", "/a/foo/b/c.txt"),
                ("NEEDLE", "/?/"),
                ("REPLACEMENT", "/"),
            ],
            Some("/foo/b/c.txt - /foo/c.txt"),
            &["FOO", "NEEDLE", "REPLACEMENT"],
            &[],
        ),
        (
            "${FOO/$NEEDLE/$REPLACEMENT}",
            &[
                ("FOO", "http://google.de"),
                ("NEEDLE", "http://"),
                ("REPLACEMENT", "https://"),
            ],
            Some("https://google.de"),
            &["FOO", "NEEDLE", "REPLACEMENT"],
            &[],
        ),
        (
            "${FOO//\\//\\/}",
            &[("FOO", "/tmp/foo.txt")],
            Some("\\/tmp\\/foo.txt"),
            &["FOO"],
            &[],
        ),
        (
            "${FOO/$BAR/ww}",
            &[("FOO", "xxyy"), ("BAR", "")],
            Some("wwxxyy"),
            &["FOO", "BAR"],
            &[],
        ),
        ("${FOO//ww}", &[("FOO", "xxyy")], None, &[], &[]),
        ("${FOO//}", &[("FOO", "xxyy")], None, &[], &[]),
        ("${FOO///}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
        ("${FOO///}", &[], Some(""), &[], &["FOO"]),
    ];
    let lx = Lexer::new('\\');
    for (input, pairs, expected, matched, unmatched) in cases {
        let got = lx.process_word(input, &env(pairs));
        match (expected, got) {
            (None, Err(_)) => {}
            (None, Ok(e)) => panic!("{input:?}: expected an error, got {:?}", e.value),
            (Some(_), Err(e)) => panic!("{input:?}: unexpected error {e}"),
            (Some(want), Ok(e)) => {
                assert_eq!(e.value, *want, "{input:?}");
                assert_eq!(e.matched, set(matched), "{input:?} matched");
                assert_eq!(e.unmatched, set(unmatched), "{input:?} unmatched");
            }
        }
    }
}

/// upstream `TestShellParserMandatoryEnvVars`.
#[test]
fn required_variables() {
    let no_empty = "${VAR:?message here$ARG}";
    let no_unset = "${VAR?message here$ARG}";
    let set_env = [("VAR", "plain"), ("ARG", "x")];
    let empty_env = [("VAR", ""), ("ARG", "x")];
    let unset_env = [("ARG", "x")];
    assert_eq!(ok(no_empty, &set_env), "plain");
    assert_eq!(err(no_empty, &empty_env).to_string(), "VAR: message herex");
    assert_eq!(err(no_empty, &unset_env).to_string(), "VAR: message herex");
    assert_eq!(ok(no_unset, &set_env), "plain");
    assert_eq!(ok(no_unset, &empty_env), "");
    assert_eq!(err(no_unset, &unset_env).to_string(), "VAR: message herex");
    // Default messages.
    assert_eq!(
        err("${V?}", &[]).to_string(),
        "V: is not allowed to be unset"
    );
    assert_eq!(
        err("${V:?}", &[("V", "")]).to_string(),
        "V: is not allowed to be empty"
    );
    let e = err("a${V:?}b", &[]);
    assert_eq!(
        e.kind,
        WordErrorKind::UnsetOrEmpty {
            name: "V".into(),
            msg: "is not allowed to be unset".into()
        }
    );
    assert_eq!(e.range, 1..7);
}

/// upstream `TestProcessWithMatchesPlatform`.
#[test]
fn nested_alternative() {
    let release =
        "something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz";
    let base = [("VERSION", "v1.2.3"), ("TARGETOS", "linux")];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut v = base.to_vec();
        v.extend_from_slice(extra);
        ok(release, &v)
    };
    assert_eq!(
        with(&[("TARGETARCH", "arm"), ("TARGETVARIANT", "v7")]),
        "something-v1.2.3.linux-arm-v7.tar.gz"
    );
    assert_eq!(
        with(&[("TARGETARCH", "arm64"), ("TARGETVARIANT", "")]),
        "something-v1.2.3.linux-arm64.tar.gz"
    );
    assert_eq!(
        with(&[("TARGETARCH", "arm64")]),
        "something-v1.2.3.linux-arm64.tar.gz"
    );
}

#[test]
fn default_and_alternative_modifiers() {
    let e = [("S", "set"), ("E", "")];
    assert_eq!(ok("${S-d} ${E-d} ${U-d}", &e), "set  d");
    assert_eq!(ok("${S:-d} ${E:-d} ${U:-d}", &e), "set d d");
    assert_eq!(ok("${S+a} ${E+a} ${U+a}", &e), "a a ");
    assert_eq!(ok("${S:+a} ${E:+a} ${U:+a}", &e), "a  ");
    assert_eq!(ok("${U:-${V:-${S}}}", &e), "set");
    assert_eq!(ok("${U:-a b}", &e), "a b");
    assert_eq!(ok("${U:-'}'}", &e), "}");
    assert_eq!(ok("${U:-\\}}", &e), "}");
    assert_eq!(ok("${U:-\"x}\"}", &e), "x}");
}

#[test]
fn prefix_and_suffix_modifiers() {
    let e = [("P", "/usr/local/bin/tool.tar.gz"), ("L", "a\nb")];
    assert_eq!(ok("${P#*/}", &e), "usr/local/bin/tool.tar.gz");
    assert_eq!(ok("${P##*/}", &e), "tool.tar.gz");
    assert_eq!(ok("${P%.*}", &e), "/usr/local/bin/tool.tar");
    assert_eq!(ok("${P%%.*}", &e), "/usr/local/bin/tool");
    assert_eq!(ok("${P#/usr}", &e), "/local/bin/tool.tar.gz");
    assert_eq!(ok("${P#usr}", &e), "/usr/local/bin/tool.tar.gz");
    assert_eq!(ok("${P%.g?}", &e), "/usr/local/bin/tool.tar");
    assert_eq!(ok("${U#x}${U%x}", &e), "");
    // `*` does not cross a newline (Go's `.`).
    assert_eq!(ok("${L#*b}", &e), "a\nb");
    assert_eq!(ok("${L#a?b}", &e), "a\nb");
    // `[`/`]` are literal.
    assert_eq!(ok("${V#[ab]}", &[("V", "[ab]c")]), "c");
    // Invalid escapes in patterns; `:#`/`:%` are not supported.
    assert!(matches!(
        err("${P#\\x}", &e).kind,
        WordErrorKind::InvalidPattern { .. }
    ));
    assert!(matches!(
        err("${P%\\q}", &e).kind,
        WordErrorKind::InvalidPattern { .. }
    ));
    assert_eq!(
        err("${P:#x}", &e).kind,
        WordErrorKind::UnsupportedModifier {
            modifier: ":#".into()
        }
    );
    assert!(matches!(
        err("${P:%x}", &e).kind,
        WordErrorKind::UnsupportedModifier { .. }
    ));
    // The greedy marker is the first character of the expanded pattern.
    assert_eq!(ok("${V#$H}", &[("V", "aXbXc"), ("H", "#*X")]), "c");
}

#[test]
fn replace_modifiers() {
    let e = [("V", "a.b.c")];
    assert_eq!(ok("${V/./-}", &e), "a-b.c");
    assert_eq!(ok("${V//./-}", &e), "a-b-c");
    assert_eq!(ok("${V//?/x}", &e), "xxxxx");
    assert_eq!(ok("${V/*/x}", &e), "x");
    assert_eq!(ok("${V//b*/x}", &e), "a.x");
    assert_eq!(ok("${V/z/x}", &e), "a.b.c");
    // `//` expands `$0` in the replacement to the match, `/` does not.
    assert_eq!(ok("${V//b/'[$0]'}", &e), "a.[b].c");
    assert_eq!(ok("${V/b/'[$0]'}", &e), "a.[$0].c");
    assert!(matches!(
        err("${V/x", &e).kind,
        WordErrorKind::MissingPatternEnd
    ));
    assert!(matches!(
        err("${V/x/y", &e).kind,
        WordErrorKind::MissingClosingBrace
    ));
}

#[test]
fn names_and_special_parameters() {
    let e = [
        ("A", "1"),
        ("A_B2", "2"),
        ("0", "zero"),
        ("12", "twelve"),
        ("é", "acc"),
        ("aé1", "mixed"),
        ("a", "ascii"),
        ("x\u{661}", "arabic digit"),
    ];
    // Names read over the bytes, non-ASCII letters and digits decoded.
    assert_eq!(
        ok("$aé1-$a\u{a0}$x\u{661}", &e),
        "mixed-ascii\u{a0}arabic digit"
    );
    assert_eq!(ok(r#"é"é$a"${B:-é}é"#, &e), "ééasciiéé");
    assert_eq!(ok("$A_B2-$A.", &e), "2-1.");
    assert_eq!(ok("$12x $1", &e), "twelvex ");
    assert_eq!(ok("$0$00", &e), "zero");
    assert_eq!(ok("$é", &e), "acc");
    assert_eq!(ok("$ $. $/ a$", &e), "$ $. $/ a$");
    assert_eq!(ok("$@$*$#$?$-$$$!", &e), "");
    let lx = Lexer::new('\\');
    let got = lx.process_word("$@ ${#} $X", &env(&e)).map(|x| x.unmatched);
    assert_eq!(got.ok(), Some(set(&["@", "#", "X"])));
}

#[test]
fn quotes_and_escapes() {
    let e = [("V", "v")];
    assert_eq!(ok("'$V \\n'", &e), "$V \\n");
    assert_eq!(ok("\"$V \\n \\$V \\\" \\\\\"", &e), "v \\n $V \" \\");
    assert_eq!(ok("a\\ b\\$V\\", &e), "a b$V");
    assert_eq!(ok("\"'\"'\"'", &e), "'\"");
    assert_eq!(
        err("a'b", &e).kind,
        WordErrorKind::UnterminatedQuote { quote: '\'' }
    );
    let dq = err("ab\"c\\", &e);
    assert_eq!(dq.kind, WordErrorKind::UnterminatedQuote { quote: '"' });
    assert_eq!(dq.range, 2..3);
}

#[test]
fn backtick_escape() {
    let lx = Lexer::new('`');
    let e = env(&[("PWD", "/home")]);
    let w = |s: &str| lx.process_word(s, &e).map(|x| x.value).ok();
    assert_eq!(w("C:\\dir\\$PWD").as_deref(), Some("C:\\dir\\/home"));
    assert_eq!(w("a`$PWD").as_deref(), Some("a$PWD"));
    assert_eq!(w("a` b`").as_deref(), Some("a b"));
    assert_eq!(w("\"a`\"b``c`x\"").as_deref(), Some("a\"b`c`x"));
    // Patterns always use `\` as escape: the backtick stays in the pattern.
    assert_eq!(w("${PWD#`/}").as_deref(), Some("/home"));
    assert_eq!(w("${PWD#\\*}").as_deref(), Some("/home"));
}

#[test]
fn word_splitting() {
    let lx = Lexer::new('\\');
    let e = [("S", " a  b "), ("E", "")];
    assert_eq!(words(&lx, "x$S y", &e), ["x", "a", "b", "y"]);
    assert_eq!(words(&lx, "x\"$S\"y", &e), ["x a  b y"]);
    assert_eq!(words(&lx, "a\\ b 'c d'", &e), ["a b", "c d"]);
    assert_eq!(words(&lx, "\"\" $E", &e), Vec::<String>::new());
    assert!(lx.process_words("a\"b", &env(&e)).is_err());
    // Upstream quirk: a modifier form drops the part of the word before it.
    assert_eq!(words(&lx, "a${U:-c}d", &e), ["cd"]);
    assert_eq!(words(&lx, "x y${U:-c}", &e), ["x", "c"]);
    assert_eq!(words(&lx, "a${S}", &e), ["a", "a", "b"]);
}

#[test]
fn raw_and_skip_modes() {
    let mut lx = Lexer::new('\\');
    lx.raw_quotes = true;
    lx.skip_unset_env = true;
    let e = [("S", "s")];
    assert_eq!(words(&lx, "<<\"EOF\"", &e), ["<<\"EOF\""]);
    assert_eq!(words(&lx, "'a b' \"$S\"", &e), ["'a b'", "\"s\""]);
    let w = |lx: &Lexer, s: &str| lx.process_word(s, &env(&e)).map(|x| x.value).ok();
    assert_eq!(
        w(&lx, "$U ${U} ${U:-x} ${U##p} ${U//p/r} ${U:=y} $S").as_deref(),
        Some("$U ${U} ${U:-x} ${U##p} ${U/p/r} ${U:=y} s")
    );
    // Unsupported modifiers on a set variable still fail.
    assert!(w(&lx, "${S:=y}").is_none());

    let mut raw = Lexer::new('\\');
    raw.raw_escapes = true;
    assert_eq!(
        w(&raw, "a\\ b\\$S \"\\$S\\x\"").as_deref(),
        Some("a\\ b\\$S \\$S\\\\x")
    );

    let mut noq = Lexer::new('\\');
    noq.skip_process_quotes = true;
    assert_eq!(w(&noq, "'$S' \"x").as_deref(), Some("'s' \"x"));
}

#[test]
fn env_impls_last_wins() {
    let list: Vec<(String, String)> = vec![("A".into(), "1".into()), ("A".into(), "2".into())];
    let lx = Lexer::new('\\');
    assert_eq!(
        lx.process_word("$A", &list)
            .map(|e| e.value)
            .ok()
            .as_deref(),
        Some("2")
    );
    assert_eq!(list.as_slice().lookup("A"), Some("2"));
    assert_eq!(EmptyEnv.lookup("A"), None);
    let map: std::collections::HashMap<String, String> = list.into_iter().collect();
    assert_eq!(map.lookup("A"), Some("2"));
}

#[test]
fn error_messages_and_ranges() {
    let e = err("ab${c", &[]);
    assert_eq!(e.kind, WordErrorKind::MissingClosingBrace);
    assert_eq!(e.to_string(), "missing `}` to close `${` opened here");
    assert_eq!(e.range, 2..4);
    let e = err("x${}", &[]);
    assert_eq!(e.kind, WordErrorKind::BadSubstitution);
    assert_eq!(e.range, 1..4);
    for bad in [
        "${:}", "${:-b}", "${{a}", "${.}", "${a:=b}", "${a:1:2}", "${#a}", "${a!}",
    ] {
        assert!(word(bad, &[("a", "v")]).is_err(), "{bad:?}");
    }
    let e = err("${a:=b}", &[("a", "v")]);
    assert_eq!(e.to_string(), "unsupported modifier `:=` in substitution");
    assert_eq!(e.range, 3..5);
    let e = err("${a#\\q}", &[("a", "v")]);
    assert_eq!(
        e.to_string(),
        "invalid pattern `\\q` in substitution: invalid escape `\\q`"
    );

    let d = err("ab${c", &[]).to_diagnostic(TextRange::new(10, 15));
    assert_eq!(d.span, TextRange::new(12, 14));
    assert_eq!(d.code, "missing-closing-brace");
    // Offsets beyond the span are clamped into it.
    let d = err("ab${c", &[]).to_diagnostic(TextRange::new(10, 11));
    assert_eq!(d.span, TextRange::new(11, 11));
}

#[test]
fn leading_byte_order_mark_is_skipped() {
    assert_eq!(ok("\u{feff}a\u{feff}", &[]), "a\u{feff}");
}

#[test]
fn deep_nesting_is_an_error() {
    let depth = 100_000;
    let input = format!("{}x{}", "${a:-".repeat(depth), "}".repeat(depth));
    let e = err(&input, &[]);
    assert_eq!(e.kind, WordErrorKind::TooDeeplyNested { limit: MAX_DEPTH });
    let ok_depth = MAX_DEPTH;
    let input = format!("{}x{}", "${a:-".repeat(ok_depth), "}".repeat(ok_depth));
    assert_eq!(ok(&input, &[]), "x");
    // Unclosed deep nesting.
    assert!(word(&"${a:-".repeat(depth), &[]).is_err());
}

#[test]
fn output_is_capped() {
    let big = "x".repeat(1 << 20);
    let e = env(&[
        ("B", big.as_str()),
        ("S", "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"),
    ]);
    let lx = Lexer::new('\\');
    let r = lx.process_word(&"$B".repeat(20), &e);
    assert!(matches!(
        r.map_err(|e| e.kind),
        Err(WordErrorKind::OutputTooLarge { .. })
    ));
    let r = lx.process_word("${B//?/$S}", &e);
    assert!(matches!(
        r.map_err(|e| e.kind),
        Err(WordErrorKind::OutputTooLarge { .. })
    ));
    // Large but legal work stays fast.
    let r = lx.process_word("${B//x/y}", &e).map(|x| x.value.len());
    assert_eq!(r.ok(), Some(1 << 20));
    let r = lx.process_word("${B%%*x*x*x*y}", &e).map(|x| x.value.len());
    assert_eq!(r.ok(), Some(1 << 20));
}

#[test]
fn blanks_after_heredoc_marker_stay_in_the_word() {
    let lx = Lexer::new('\\');
    assert_eq!(words(&lx, "<< EOF", &[]), ["<< EOF"]);
    assert_eq!(
        words(&lx, "cat <<\t EOF > f", &[]),
        ["cat", "<<\t EOF", ">", "f"]
    );
    assert_eq!(words(&lx, "<<- EOF", &[]), ["<<-", "EOF"]);
    assert_eq!(words(&lx, "a <b < c", &[]), ["a", "<b", "<", "c"]);
    assert_eq!(words(&lx, "'<< 'EOF", &[]), ["<< EOF"]);
    assert_eq!(words(&lx, "\\<< EOF", &[]), ["<<", "EOF"]);
    assert_eq!(ok("<<  EOF", &[]), "<<  EOF");
}

/// `Lexer::expand` (no names recorded, values borrowed) gives what
/// `process_word` gives, in every mode, for every word of up to four
/// characters of an alphabet of the expansion syntax.
#[test]
fn expand_matches_process_word() {
    let alphabet = ['$', '{', '}', 'a', ':', '-', '#', '\\', '"', '\'', ' '];
    let env = env(&[("a", "x y"), ("aa", "")]);
    let mut lexers = Vec::new();
    for mode in 0..16u8 {
        let mut lx = Lexer::new('\\');
        lx.raw_quotes = mode & 1 != 0;
        lx.raw_escapes = mode & 2 != 0;
        lx.skip_unset_env = mode & 4 != 0;
        lx.skip_process_quotes = mode & 8 != 0;
        lexers.push(lx);
    }
    let mut text = String::new();
    let mut digits = Vec::new();
    loop {
        text.clear();
        text.extend(digits.iter().map(|&d: &usize| alphabet[d]));
        for lx in &lexers {
            let tracked = lx.process_word(&text, &env).map(|e| e.value);
            let plain = lx.expand(&text, &env).map(Cow::into_owned);
            assert_eq!(tracked, plain, "{text:?} {lx:?}");
        }
        // The next string: count in base `alphabet.len()`, growing by one.
        let mut i = 0;
        loop {
            if i == digits.len() {
                digits.push(0);
                break;
            }
            digits[i] += 1;
            if digits[i] < alphabet.len() {
                break;
            }
            digits[i] = 0;
            i += 1;
        }
        if digits.len() > 4 {
            break;
        }
    }
}
