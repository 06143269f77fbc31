use std::collections::{BTreeMap, BTreeSet};

use super::*;

fn opts(list: &[(&str, &str)]) -> BTreeMap<String, String> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn base(build: Platform) -> ConvertOptions {
    ConvertOptions {
        build_platform: build,
        session_id: Some("s1".into()),
        ..ConvertOptions::default()
    }
}

fn parse_on(list: &[(&str, &str)], build: Platform) -> Result<BuildOptions, OptionsError> {
    parse(&opts(list), base(build))
}

fn parse_ok(list: &[(&str, &str)]) -> BuildOptions {
    match parse_on(list, Platform::linux_amd64()) {
        Ok(b) => b,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

fn linux(arch: &str, variant: Option<&str>) -> Platform {
    Platform {
        os: "linux".into(),
        architecture: arch.into(),
        variant: variant.map(String::from),
        os_version: None,
    }
}

#[test]
fn typed_options() {
    let b = parse_ok(&[
        ("target", "build"),
        ("build-arg:FOO", "a=b"),
        ("label:org.x", "y"),
        ("filename", "ci/Dockerfile"),
        ("no-cache", "a,b"),
        ("add-hosts", "Example.com=10.0.0.1,other:::1"),
        ("shm-size", "1024"),
        ("ulimit", "nofile=1024:2048,nproc=10"),
        ("image-resolve-mode", "pull"),
        ("force-network-mode", "none"),
        ("hostname", "h"),
        ("cgroup-parent", "cg"),
        ("platform", "linux/arm64,linux/amd64,linux/arm64/v8"),
        ("cmdline", "example/frontend"),
        ("contextsubdir", "sub"),
        ("some-future-option", "x"),
    ]);
    let c = &b.convert;
    assert_eq!(c.target.as_deref(), Some("build"));
    assert_eq!(c.build_args["FOO"], "a=b");
    assert_eq!(c.labels["org.x"], "y");
    assert_eq!(c.filename, "ci/Dockerfile");
    assert_eq!(
        c.no_cache,
        Some(BTreeSet::from(["a".to_string(), "b".to_string()]))
    );
    assert_eq!(
        c.extra_hosts,
        vec![
            ("example.com".into(), "10.0.0.1".into()),
            ("other".into(), "::1".into())
        ]
    );
    assert_eq!(c.shm_size, Some(1024));
    assert_eq!(
        c.ulimits,
        vec![("nofile".into(), 1024, 2048), ("nproc".into(), 10, 10)]
    );
    assert_eq!(c.resolve_mode, ResolveMode::Pull);
    assert_eq!(c.force_network_mode.as_deref(), Some("none"));
    assert_eq!(c.hostname.as_deref(), Some("h"));
    assert_eq!(c.cgroup_parent.as_deref(), Some("cg"));
    assert_eq!(c.session_id.as_deref(), Some("s1"));
    assert_eq!(c.target_platform, None);
    assert_eq!(
        b.platforms.iter().map(format_platform).collect::<Vec<_>>(),
        ["linux/arm64", "linux/amd64"]
    );
    assert!(b.is_multi_platform());
    assert!(b.launched_as_gateway);
    assert_eq!(b.ignored, ["contextsubdir", "some-future-option"]);
}

#[test]
fn defaults_without_options() {
    let b = parse_ok(&[]);
    assert_eq!(b.convert.no_cache, None);
    assert_eq!(b.convert.filename, "Dockerfile");
    assert_eq!(b.dockerfile_local, "dockerfile");
    assert_eq!(b.context_local, "context");
    assert!(b.platforms.is_empty());
    assert!(!b.is_multi_platform());
    assert!(!b.launched_as_gateway);
    assert_eq!(b.session_for("dockerfile"), "s1");
}

#[test]
fn empty_values_keep_the_defaults() {
    let b = parse_ok(&[("filename", ""), ("target", ""), ("dockerfilekey", "")]);
    assert_eq!(b.convert.filename, "Dockerfile");
    assert_eq!(b.convert.target, None);
    assert_eq!(b.dockerfile_local, "dockerfile");
}

#[test]
fn no_cache_empty_means_all_stages() {
    assert_eq!(
        parse_ok(&[("no-cache", "")]).convert.no_cache,
        Some(BTreeSet::new())
    );
}

#[test]
fn cache_imports_win_over_cache_from() {
    let b = parse_ok(&[("cache-from", "r/a,r/b")]);
    assert_eq!(b.cache_imports.len(), 2);
    assert_eq!(b.cache_imports[1].kind, "registry");
    assert_eq!(b.cache_imports[1].attrs["ref"], "r/b");
    let b = parse_ok(&[
        ("cache-from", "r/a"),
        (
            "cache-imports",
            r#"[{"Type":"local","Attrs":{"src":"/c"}}]"#,
        ),
    ]);
    assert_eq!(
        b.cache_imports,
        vec![CacheImport::new(
            "local",
            BTreeMap::from([("src".into(), "/c".into())])
        )]
    );
}

#[test]
fn refused_options_name_themselves() {
    use OptionsErrorKind::{Invalid, Unsupported};
    for (k, v, kind, needle) in [
        (
            "override-copy-image",
            "x",
            Unsupported,
            "override-copy-image",
        ),
        ("gateway-devel", "1", Unsupported, "gateway-devel"),
        (
            "image-resolve-mode",
            "sometimes",
            Invalid,
            "image-resolve-mode",
        ),
        ("force-network-mode", "bridge", Invalid, "netmode"),
        ("add-hosts", "h=notanip", Invalid, "notanip"),
        ("add-hosts", "justahost", Invalid, "justahost"),
        ("ulimit", "bogus=1", Invalid, "bogus"),
        ("ulimit", "nofile=10:5", Invalid, "10 > 5"),
        ("shm-size", "1g", Invalid, "shm-size"),
        ("multi-platform", "maybe", Invalid, "multi-platform"),
        ("cache-imports", "{", Invalid, "cache-imports"),
        ("platform", "linux//x", Invalid, "linux//x"),
        ("platform", "linux/*", Invalid, "linux/*"),
        ("platform", "plan10", Invalid, "plan10"),
        (
            "frontend.caps",
            "moby.buildkit.frontend.nope",
            Unsupported,
            "moby.buildkit.frontend.nope",
        ),
        ("requestid", "frontend.nope", Unsupported, "frontend.nope"),
        (
            "context",
            "ftp://example.com/x",
            Invalid,
            "ftp://example.com/x",
        ),
        (
            "context",
            "https://example.com/x.git?nope=1",
            Invalid,
            "unexpected query parameter",
        ),
        (
            "build-arg:BUILDKIT_MULTI_PLATFORM",
            "maybe",
            Invalid,
            "BUILDKIT_MULTI_PLATFORM",
        ),
        (
            "build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR",
            "yes",
            Invalid,
            "BUILDKIT_CONTEXT_KEEP_GIT_DIR",
        ),
        (
            "build-arg:BUILDKIT_DISABLE_FILEOP",
            "true",
            Unsupported,
            "BUILDKIT_DISABLE_FILEOP",
        ),
    ] {
        match parse_on(&[(k, v)], Platform::linux_amd64()) {
            Ok(_) => panic!("{k}={v} accepted"),
            Err(e) => {
                assert_eq!(e.kind(), kind, "{k}={v}: {e}");
                assert!(e.message().contains(needle), "{k}={v}: {e}");
            }
        }
    }
}

#[test]
fn implemented_subrequests_are_taken() {
    for name in [
        "frontend.lint",
        "frontend.outline",
        "frontend.targets",
        "frontend.subrequests.describe",
    ] {
        let b = parse_ok(&[
            ("frontend.caps", "moby.buildkit.frontend.subrequests"),
            ("requestid", name),
        ]);
        assert_eq!(b.request.as_deref(), Some(name));
    }
}

#[test]
fn forwarded_caps_and_empty_requests_are_accepted() {
    let b = parse_ok(&[
        ("frontend.caps", "moby.buildkit.frontend.inputs+forward"),
        ("requestid", ""),
    ]);
    assert_eq!(b.ignored, ["requestid"]);
}

#[test]
fn named_contexts_shared_keys_and_sessions() {
    let b = parse_ok(&[
        ("context:base", "docker-image://alpine"),
        ("context:src::linux/arm64", "local:src"),
        ("sharedkey:localdir:src::linux/arm64", "k1"),
        ("local-sessionid:src", "s2"),
        ("frontend.caps", "moby.buildkit.frontend.contexts"),
    ]);
    let c = &b.convert;
    assert_eq!(c.named_contexts["base"], "docker-image://alpine");
    assert_eq!(c.named_contexts["src::linux/arm64"], "local:src");
    assert_eq!(c.local_shared_keys["src::linux/arm64"], "k1");
    assert_eq!(b.session_for("src"), "s2");
    assert_eq!(b.session_for("context"), "s1");
}

#[test]
fn multi_platform_false_with_two_platforms_fails() {
    let two = ("platform", "linux/amd64,linux/arm64");
    assert!(parse_on(&[two, ("multi-platform", "false")], Platform::linux_amd64()).is_err());
    assert!(
        parse_ok(&[("platform", "linux/amd64"), ("multi-platform", "true")]).is_multi_platform()
    );
    assert!(!parse_ok(&[("platform", "linux/amd64")]).is_multi_platform());
}

#[test]
fn convert_options_per_platform() {
    let b = parse_ok(&[("platform", "linux/arm64"), ("target", "t")]);
    let c = b.convert_options_for(Some(b.platforms[0].clone()));
    assert_eq!(c.target_platform, Some(linux("arm64", None)));
    assert_eq!(c.target.as_deref(), Some("t"));
}

#[test]
fn platforms_are_normalized() {
    let ids = |value: &str| {
        parse_platforms(value, &Platform::linux_amd64())
            .map(|ps| ps.iter().map(format_platform).collect::<Vec<_>>().join(","))
            .unwrap_or_else(|e| e.to_string())
    };
    assert_eq!(ids("linux/x86_64"), "linux/amd64");
    assert_eq!(ids("linux/aarch64/v8"), "linux/arm64");
    assert_eq!(ids("linux/arm"), "linux/arm/v7");
    assert_eq!(ids("linux/armhf"), "linux/arm/v7");
    assert_eq!(ids("arm64"), "linux/arm64");
    assert_eq!(ids("arm"), "linux/arm/v7");
    assert_eq!(ids("Linux/AMD64"), "linux/amd64");
    assert_eq!(ids(" linux/arm64 , ,linux/arm64"), "linux/arm64");
    // containerd accepts any OS in the two-part form.
    assert_eq!(ids("plan10/amd64"), "plan10/amd64");
}

#[test]
fn os_version_is_kept() {
    let ps = parse_platforms("windows(10.0.17763)/amd64", &Platform::linux_amd64()).unwrap();
    assert_eq!(ps[0].os, "windows");
    assert_eq!(ps[0].os_version.as_deref(), Some("10.0.17763"));
}

/// containerd's `platforms.Parse`: a bare OS takes the host's (here: the
/// build platform's) architecture, a bare architecture its OS.
#[test]
fn a_bare_os_takes_the_build_architecture() {
    let arm64 = linux("arm64", None);
    let first = |value: &str, build: &Platform| parse_platforms(value, build).unwrap().remove(0);
    assert_eq!(first("linux", &arm64), arm64);
    assert_eq!(
        first("linux", &Platform::linux_amd64()),
        linux("amd64", None)
    );
    assert_eq!(first("windows", &arm64).architecture, "arm64");
    assert_eq!(
        first("linux", &linux("arm", Some("v6"))),
        linux("arm", Some("v6"))
    );
    assert_eq!(
        first("linux", &linux("arm", Some("v7"))),
        linux("arm", Some("v7"))
    );
    let freebsd = Platform {
        os: "freebsd".into(),
        ..Platform::linux_amd64()
    };
    assert_eq!(first("riscv64", &freebsd).os, "freebsd");
    // The same through `parse`, where the build platform is the base's.
    let b = parse_on(&[("platform", "linux")], arm64.clone()).unwrap();
    assert_eq!(b.platforms, [arm64]);
}

#[test]
fn build_args_that_stand_for_options() {
    let b = parse_ok(&[
        ("build-arg:BUILDKIT_MULTI_PLATFORM", "1"),
        ("build-arg:BUILDKIT_SANDBOX_HOSTNAME", "box"),
        ("hostname", "other"),
        ("build-arg:BUILDKIT_DISABLE_FILEOP", "false"),
    ]);
    assert!(b.is_multi_platform());
    assert_eq!(b.convert.hostname.as_deref(), Some("box"));
    // The build arg wins over the option, both ways.
    let b = parse_ok(&[
        ("multi-platform", "true"),
        ("build-arg:BUILDKIT_MULTI_PLATFORM", "false"),
    ]);
    assert!(!b.is_multi_platform());
    let two = [
        ("platform", "linux/amd64,linux/arm64"),
        ("build-arg:BUILDKIT_MULTI_PLATFORM", "0"),
    ];
    let e = parse_on(&two, Platform::linux_amd64()).unwrap_err();
    assert!(e.message().contains("BUILDKIT_MULTI_PLATFORM"), "{e}");
    // Empty values are unset, as upstream.
    let b = parse_ok(&[
        ("multi-platform", ""),
        ("build-arg:BUILDKIT_SANDBOX_HOSTNAME", ""),
    ]);
    assert!(!b.is_multi_platform());
    assert_eq!(b.convert.hostname, None);
}

#[test]
fn remote_main_contexts() {
    use crate::convert::{HttpContext, MainContext};
    let b = parse_ok(&[
        ("context", "git://127.0.0.1/r.git#main"),
        ("build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR", "true"),
        ("contextsubdir", "./app/../svc/"),
    ]);
    assert_eq!(
        b.convert.main_context,
        MainContext::Git {
            url: "git://127.0.0.1/r.git#main".into(),
            keep_git_dir: true
        }
    );
    assert_eq!(b.convert.context_subdir.as_deref(), Some("svc"));
    assert!(b.ignored.is_empty(), "{:?}", b.ignored);
    assert!(!b.force_local_dockerfile);
    // `contextkey` names the option that holds the URL.
    let b = parse_ok(&[
        ("contextkey", "remote"),
        ("remote", "https://example.com/c.tar.gz"),
        ("dockerfilekey", "df"),
    ]);
    assert_eq!(
        b.convert.main_context,
        MainContext::Http {
            url: "https://example.com/c.tar.gz".into(),
            kind: HttpContext::Archive
        }
    );
    assert!(b.force_local_dockerfile);
    assert_eq!(b.dockerfile_local, "df");
    assert!(b.ignored.is_empty(), "{:?}", b.ignored);
    let e = parse_on(
        &[("context", "git://h/r.git"), ("contextsubdir", "a/../../x")],
        Platform::linux_amd64(),
    )
    .unwrap_err();
    assert!(e.message().contains("outside the build context"), "{e}");
    // For the client's directory `contextsubdir` does nothing, as upstream.
    let b = parse_ok(&[("contextsubdir", "sub")]);
    assert!(b.convert.main_context.is_local());
    assert_eq!(b.convert.context_subdir, None);
    assert_eq!(b.ignored, ["contextsubdir"]);
}

#[test]
fn local_session_ids_reach_the_converter() {
    let b = parse_ok(&[("local-sessionid:context", "s9")]);
    assert_eq!(b.convert.session_for("context").as_deref(), Some("s9"));
    assert_eq!(b.convert.session_for("other").as_deref(), Some("s1"));
}

#[test]
fn forwarding_follows_the_build_arg_then_the_syntax_line() {
    let df = b"# syntax=example.com/other:1 --flag\nFROM scratch\n";
    let fw = forward_target(&opts(&[("source", "us:1")]), df).unwrap();
    assert_eq!(fw.source, "example.com/other:1");
    assert_eq!(fw.cmdline, "example.com/other:1 --flag");
    let span = fw.span.unwrap();
    assert_eq!(
        &df[span.start as usize..span.end as usize],
        b"example.com/other:1 --flag"
    );
    // The build arg wins over the directive.
    let fw = forward_target(&opts(&[("build-arg:BUILDKIT_SYNTAX", " them:2 x ")]), df).unwrap();
    assert_eq!(
        (fw.source.as_str(), fw.cmdline.as_str(), fw.span),
        ("them:2", "them:2 x", None)
    );
    // Never again after a forward, never to ourselves, never without a request.
    assert_eq!(forward_target(&opts(&[("cmdline", "us:1")]), df), None);
    assert_eq!(
        forward_target(&opts(&[("source", "example.com/other:1")]), df),
        None
    );
    assert_eq!(forward_target(&opts(&[]), b"FROM scratch\n"), None);
    assert_eq!(
        forward_target(
            &opts(&[("build-arg:BUILDKIT_SYNTAX", "")]),
            b"FROM scratch\n"
        ),
        None
    );
    assert!(parse_ok(&[("cmdline", "x")]).launched_as_gateway);
    assert!(!parse_ok(&[("source", "x")]).launched_as_gateway);
}

/// Only the leading comment and blank lines are parsed for the directive, and they give what
/// the whole file gives: the same directive at the same place, or none.
#[test]
fn the_syntax_directive_is_read_from_the_leading_lines() {
    let cases: &[&[u8]] = &[
        b"# syntax=a:1\nFROM scratch\nRUN x\n",
        b"\xEF\xBB\xBF# syntax=a:1\r\nFROM scratch\r\n",
        b"\n  # syntax=a:1\n\nFROM scratch\n",
        b"# escape=`\n# syntax=a:1 --x\nFROM scratch\n",
        b"# a comment\n# syntax=a:1\nFROM scratch\n",
        b"FROM scratch\n# syntax=a:1\n",
        b"# syntax=a:1",
        b"",
    ];
    for df in cases {
        assert!(directive_lines(df).len() < df.len() || !df.contains(&b'F'));
        let whole = crate::syntax::parse_bytes(df);
        let head = crate::syntax::parse_bytes(directive_lines(df));
        let pick = |p: &crate::syntax::Parsed| {
            p.dockerfile
                .directives
                .iter()
                .map(|d| (d.key.clone(), d.value.clone(), d.value_span))
                .collect::<Vec<_>>()
        };
        assert_eq!(pick(&head), pick(&whole), "{}", String::from_utf8_lossy(df));
    }
    let fw = forward_target(&opts(&[]), cases[1]).unwrap();
    assert_eq!(fw.source, "a:1");
    let span = fw.span.unwrap();
    assert_eq!(&cases[1][span.start as usize..span.end as usize], b"a:1");
    assert_eq!(forward_target(&opts(&[]), cases[5]), None);
}
