use super::*;

fn flag(s: &str) -> Word {
    // Pretend the flag starts at offset 4 (`RUN ` before it).
    Word::new(s.into(), TextRange::from_usize(4, 4 + s.len()))
}

fn parse(s: &str) -> (Mount, Vec<IrError>) {
    let mut errs = Vec::new();
    let m = parse_mount(&flag(&format!("--mount={s}")), &mut errs);
    (m, errs)
}

fn resolve(s: &str, workdir: &str) -> Result<MountSpec, IrError> {
    let (m, errs) = parse(s);
    assert!(errs.is_empty(), "{errs:?}");
    m.resolve(&mut |w| Ok(Cow::Borrowed(&w.value)), workdir)
}

fn err(s: &str) -> IrError {
    let (_, errs) = parse(s);
    assert_eq!(errs.len(), 1, "{s}: {errs:?}");
    errs[0].clone()
}

#[test]
fn csv_quotes() {
    let fields = split_csv(r#"type=cache,"target=/a,b",id=x"#).unwrap_or_default();
    let texts: Vec<_> = fields.iter().map(|f| f.text.as_ref()).collect();
    assert_eq!(texts, ["type=cache", "target=/a,b", "id=x"]);
    let fields = split_csv(r#""a""b""#).unwrap_or_default();
    assert_eq!(fields[0].text, "a\"b");
    assert!(split_csv(r#"a"b"#).is_err());
    assert!(split_csv(r#""ab"#).is_err());
    assert!(split_csv("").is_err());
}

#[test]
fn cache_defaults() {
    let spec = resolve("type=cache,target=/root/.cache/", "/");
    assert_eq!(
        spec,
        Ok(MountSpec::Cache {
            id: "/root/.cache".into(),
            target: "/root/.cache/".into(),
            read_only: false,
            sharing: CacheSharing::Shared,
            from: None,
            source: None,
            mode: None,
            uid: None,
            gid: None,
        })
    );
    let spec = resolve(
        "type=cache,target=cache,sharing=LOCKED,mode=0700,uid=1000",
        "/app",
    );
    let Ok(MountSpec::Cache {
        id,
        target,
        sharing,
        mode,
        uid,
        ..
    }) = spec
    else {
        panic!("{spec:?}")
    };
    assert_eq!((id.as_str(), target.as_str()), ("cache", "/app/cache"));
    assert_eq!(
        (sharing, mode, uid),
        (CacheSharing::Locked, Some(0o700), Some(1000))
    );
}

#[test]
fn secret_defaults() {
    assert_eq!(
        resolve("type=secret,id=tok", "/"),
        Ok(MountSpec::Secret {
            id: "tok".into(),
            target: Some("/run/secrets/tok".into()),
            env: None,
            required: false,
            mode: 0o400,
            uid: 0,
            gid: 0,
        })
    );
    let Ok(MountSpec::Secret { id, target, .. }) = resolve("type=secret,target=/x/npmrc", "/")
    else {
        panic!()
    };
    assert_eq!(
        (id.as_str(), target.as_deref()),
        ("npmrc", Some("/x/npmrc"))
    );
    let Ok(MountSpec::Secret {
        id,
        target,
        env,
        required,
        ..
    }) = resolve("type=secret,src=a,env=TOKEN,required", "/")
    else {
        panic!()
    };
    assert_eq!(
        (id.as_str(), target, env.as_deref()),
        ("a", None, Some("TOKEN"))
    );
    assert!(required);
}

#[test]
fn ssh_bind_tmpfs() {
    let Ok(MountSpec::Ssh { id, mode, .. }) = resolve("type=ssh", "/") else {
        panic!()
    };
    assert_eq!((id.as_str(), mode), ("default", 0o600));
    assert_eq!(
        resolve("target=.,from=build,source=/out,rw", "/src"),
        Ok(MountSpec::Bind {
            target: "/src".into(),
            source: Some("/out".into()),
            from: Some("build".into()),
            read_write: true,
        })
    );
    assert_eq!(
        resolve("type=tmpfs,target=/t,size=64m", "/"),
        Ok(MountSpec::Tmpfs {
            target: "/t".into(),
            size: Some(64 << 20),
        })
    );
}

#[test]
fn relative_target_to_root_fails_at_resolve_only() {
    let (m, errs) = parse("type=bind,target=.");
    assert!(errs.is_empty());
    let e = m.resolve::<IrError>(&mut |w| Ok(Cow::Borrowed(&w.value)), "/");
    assert!(e.is_err_and(|d| d.to_string().contains("invalid mount target")));
    assert!(matches!(
        err("target=/").kind,
        IrErrorKind::MountInvalid { .. }
    ));
}

#[test]
fn structural_errors() {
    let e = err("type=cache,tagret=/x");
    assert!(matches!(e.kind, IrErrorKind::MountUnknownKey { .. }));
    assert_eq!(e.help.as_deref(), Some("did you mean `target`?"));
    // Span of `tagret` inside `RUN --mount=type=cache,tagret=/x`.
    assert_eq!(e.span, TextRange::new(23, 29));
    let e = err("type=cache,target /x");
    assert_eq!(
        e.kind.to_string(),
        "expected `=` after mount option `target`"
    );
    let e = err("required,type=secret,id=x");
    assert!(matches!(e.kind, IrErrorKind::MountKeyNotAllowed { .. }));
    let e = err("type=cache,target=/x,mode=abc");
    assert_eq!(
        e.kind.to_string(),
        "invalid value `abc` for `mode`: expected an octal number like 0755"
    );
    assert_eq!(e.span, TextRange::new(33, 41));
    assert!(matches!(
        err("type=secret,id=a,from=x").kind,
        IrErrorKind::MountKeyNotAllowed { .. }
    ));
    assert!(matches!(
        err("type=secret,id=a,source=b").kind,
        IrErrorKind::MountInvalid { .. }
    ));
    assert!(matches!(
        err("type=bind,target=/x,sharing=shared").kind,
        IrErrorKind::MountKeyNotAllowed { .. }
    ));
    assert!(matches!(
        err("type=ssh,source=x").kind,
        IrErrorKind::MountKeyNotAllowed { .. }
    ));
    assert!(matches!(
        err("type=bind,target=/x,uid=1").kind,
        IrErrorKind::MountKeyNotAllowed { .. }
    ));
    assert!(matches!(
        err("type=cache,target=/x,size=1m").kind,
        IrErrorKind::MountKeyNotAllowed { .. }
    ));
    assert!(matches!(
        err("type=tmpfs,target=/x,size=lots").kind,
        IrErrorKind::MountInvalidValue { .. }
    ));
    let e = err("type=cahce,target=/x");
    assert_eq!(e.help.as_deref(), Some("did you mean `type=cache`?"));
    assert!(matches!(
        err("type=secret").kind,
        IrErrorKind::MountInvalid { .. }
    ));
    assert!(matches!(err("").kind, IrErrorKind::MountSyntax { .. }));
}

#[test]
fn from_variables() {
    // A variable in `from` is the superset's: expanded by the converter.
    assert!(parse("from=$IMG,target=/x").1.is_empty());
    // `$` as the last character is allowed.
    assert!(parse("from=a$,target=/x").1.is_empty());
    // Mounts with variables are not resolved at lowering time...
    let (m, errs) = parse("type=cache,target=$DIR,mode=$M");
    assert!(errs.is_empty());
    // ... but when resolved later.
    let e = m.resolve::<IrError>(
        &mut |w| Ok(Cow::Owned(w.value.replace("$DIR", "/d").replace("$M", "9"))),
        "/",
    );
    assert!(e.is_err_and(|d| d.to_string().contains("octal")));
}
