fn parse(src: &str) -> crate::syntax::ast::Dockerfile {
    crate::syntax::parse(src).dockerfile
}
use super::*;

fn lower_src(src: &str) -> Lowered {
    lower(&parse(src))
}

fn messages(src: &str) -> Vec<String> {
    lower_src(src)
        .errors
        .iter()
        .map(|e| e.to_string())
        .collect()
}

fn ok(src: &str) -> Dockerfile {
    let l = lower_src(src);
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    l.dockerfile
}

#[test]
fn stages_and_meta_args() {
    let df = ok("ARG V=1\n# the builder\nFROM alpine:$V AS Build\nRUN x\nFROM build\nCOPY --from=build /a /b\n");
    assert_eq!(df.meta_args.len(), 1);
    assert_eq!(df.stages.len(), 2);
    assert_eq!(
        df.stages[0].name.as_ref().map(|n| n.value.as_str()),
        Some("build")
    );
    assert_eq!(df.stages[0].comment, ["the builder"]);
    assert_eq!(df.stages[0].commands.len(), 1);
    assert_eq!(df.stages[1].index, 1);
}

#[test]
fn stage_errors() {
    assert!(messages("RUN x\nFROM a\n")[0].starts_with("no build stage in current context"));
    assert!(messages("ARG a\nARG b\n")[0].starts_with("dockerfile contains no stages to build"));
    let m = messages("FROM a AS x\nFROM b AS X\n");
    assert_eq!(m.len(), 1);
    assert!(m[0].starts_with("duplicate stage name `x`"), "{m:?}");
    assert!(messages("FROM a AS 1x\n")[0].starts_with("invalid name for build stage"));
    assert!(messages("FROM a b\n")[0].starts_with("FROM requires either one or three"));
    assert!(ok("FROM a AS my-stage_1.2\n").stages[0].name.is_some());
}

#[test]
fn unknown_instruction_and_flags() {
    let m = messages("FORM a\nFROM a\nCOPY --form=x a b\nRUN --networks=none x\n");
    assert_eq!(
        m,
        [
            "unknown instruction: FORM (did you mean FROM?)",
            "unknown flag `--form` for COPY (did you mean `--from`?)",
            "unknown flag `--networks` for RUN (did you mean `--network`?)",
        ]
    );
    // ARG and STOPSIGNAL ignore flags.
    ok("FROM a\nARG --foo x\nSTOPSIGNAL --bar 9\n");
}

#[test]
fn all_errors_are_collected() {
    let m = messages("FROM a\nWORKDIR\nUSER a b\nVOLUME [\"\"]\nSHELL sh -c\nCOPY a\n");
    assert_eq!(m.len(), 4, "{m:?}");
}

#[test]
fn copy_and_add() {
    let df = ok("FROM a\nCOPY --link --chmod=755 --exclude=*.md --exclude=x --parents a b /d/\nADD --checksum=sha256:00 --keep-git-dir=false --unpack=true https://x/y /z\n");
    let cmds = &df.stages[0].commands;
    let Instruction::Copy(c) = &cmds[0].instruction else {
        panic!()
    };
    assert!(c.common.link && c.parents);
    assert_eq!(c.common.excludes.len(), 2);
    assert_eq!(c.common.sources.len(), 2);
    assert_eq!(c.common.dest.value, "/d/");
    let Instruction::Add(a) = &cmds[1].instruction else {
        panic!()
    };
    assert_eq!((a.keep_git_dir, a.unpack), (Some(false), Some(true)));
    let m = messages("FROM a\nADD --from=b x y\nCOPY --checksum=x a b\nCOPY --link=1 a b\nCOPY --from=$X a b\nCOPY a <<EOF\nx\nEOF\n");
    assert_eq!(m.len(), 4, "{m:?}");
    assert!(m[0].starts_with("ADD does not support the flag `--from`"));
    assert!(m[1].starts_with("COPY does not support the flag `--checksum`"));
    assert!(m[2].starts_with("invalid value `1` for flag `--link`"));
    assert!(m[3].contains("cannot accept a heredoc as a destination"));
    // A variable in `--from` is the superset's, noted as an extension.
    let l = crate::ir::lower(&crate::syntax::parse("FROM a\nCOPY --from=$X a b\n").dockerfile);
    assert!(l.errors.is_empty());
    assert_eq!(l.dockerfile.extensions[0].name, "a variable in COPY --from");
}

#[test]
fn empty_copy_from_is_no_from() {
    let df = ok("FROM a\nCOPY --from= a b\nCOPY --from=\"\" a b\n");
    for cmd in &df.stages[0].commands {
        let Instruction::Copy(c) = &cmd.instruction else {
            panic!()
        };
        assert!(c.from.is_none(), "{}", cmd.info.original);
    }
}

#[test]
fn split_heredoc_word_is_no_copy_source() {
    // `<< EOF` is a heredoc for the parser (its body is read), but the
    // sources are the two words `<<` and `EOF`, as upstream reads them.
    let df = ok("FROM a\nCOPY << EOF /x\nhello\nEOF\n");
    let Instruction::Copy(c) = &df.stages[0].commands[0].instruction else {
        panic!()
    };
    assert!(c.common.heredocs.is_empty());
    assert_eq!(c.common.sources.len(), 2);
}

#[test]
fn heredoc_copy_source() {
    let df = ok("FROM a\nCOPY <<EOF /x\nhello\nEOF\n");
    let Instruction::Copy(c) = &df.stages[0].commands[0].instruction else {
        panic!()
    };
    assert_eq!(c.common.sources[0].value, "<<EOF");
    assert_eq!(c.common.heredocs[0].content, "hello\n");
}

#[test]
fn run_flags_and_heredocs() {
    let df = ok("FROM a\nRUN --mount=type=cache,target=/c --network=none --security=insecure <<EOF\necho hi\nEOF\nRUN python3 <<EOF > /out\nprint(1)\nEOF\n");
    let Instruction::Run(r) = &df.stages[0].commands[0].instruction else {
        panic!()
    };
    assert_eq!(r.mounts[0].kind, MountType::Cache);
    assert_eq!(r.network.as_ref().map(|n| n.value), Some(NetworkMode::None));
    assert_eq!(
        r.security.as_ref().map(|n| n.value),
        Some(SecurityMode::Insecure)
    );
    assert_eq!(
        r.script(),
        RunScript::Heredoc {
            name: "EOF".into(),
            body: "echo hi\n".into(),
            shebang: false
        }
    );
    let Instruction::Run(r) = &df.stages[0].commands[1].instruction else {
        panic!()
    };
    assert_eq!(
        r.script(),
        RunScript::Assembled("python3 <<EOF > /out\nprint(1)\nEOF".into())
    );
    let m = messages("FROM a\nRUN --network=bridge x\nRUN --security=root x\n");
    assert_eq!(m.len(), 2);
    assert!(m[0].contains("expected one of `default`, `none`, `host`"));
}

#[test]
fn chomped_heredoc() {
    assert_eq!(chomp_heredoc("\t\ta\n\tb\nc"), "a\nb\nc");
    assert!(is_heredoc_word("<<EOF"));
    assert!(is_heredoc_word("3<<-\"EOF\""));
    assert!(!is_heredoc_word("<<"));
    assert!(!is_heredoc_word("a<<b"));
}

#[test]
fn simple_instructions() {
    let df = ok("FROM a\nENV A=1 B=2\nENV C hello world\nLABEL x=y\nARG N\nARG M=3\nEXPOSE 90 8080/tcp 443\nVOLUME /a /b\nCMD [\"a\", \"b\"]\nENTRYPOINT []\nSHELL [\"/bin/bash\", \"-c\"]\nMAINTAINER me\nWORKDIR /w\nUSER u:g\nSTOPSIGNAL SIGTERM\n");
    let cmds = &df.stages[0].commands;
    let Instruction::Env(e) = &cmds[0].instruction else {
        panic!()
    };
    assert_eq!(e.len(), 2);
    assert!(!e[0].legacy);
    let Instruction::Env(e) = &cmds[1].instruction else {
        panic!()
    };
    assert!(e[0].legacy);
    assert_eq!(e[0].value.value, "hello world");
    let Instruction::Arg(a) = &cmds[4].instruction else {
        panic!()
    };
    assert_eq!(
        a.args[0].default.as_ref().map(|d| d.value.as_str()),
        Some("3")
    );
    let Instruction::Expose(p) = &cmds[5].instruction else {
        panic!()
    };
    let ports: Vec<_> = p.iter().map(|p| p.value.as_str()).collect();
    assert_eq!(ports, ["443", "8080/tcp", "90"]);
    assert_eq!(
        cmds[8].instruction,
        Instruction::Entrypoint(CommandLine::Exec(vec![]))
    );
    let m = messages("FROM a\nARG =x\nENV =y\nVOLUME [\"\"]\nSHELL sh\nUSER\n");
    assert_eq!(m.len(), 5, "{m:?}");
}

#[test]
fn healthcheck() {
    let df = ok("FROM a\nHEALTHCHECK --interval=1m30s --timeout=0 --retries=3 CMD curl x\nHEALTHCHECK NONE\nHEALTHCHECK --bogus NONE\n");
    let cmds = &df.stages[0].commands;
    let Instruction::Healthcheck(h) = &cmds[0].instruction else {
        panic!()
    };
    let Healthcheck::Cmd {
        interval,
        timeout,
        retries,
        test,
        ..
    } = &**h
    else {
        panic!()
    };
    assert_eq!(*interval, Some(std::time::Duration::from_secs(90)));
    assert_eq!(*timeout, Some(std::time::Duration::ZERO));
    assert_eq!(*retries, Some(3));
    assert!(matches!(test, CommandLine::Shell(w) if w.value == "curl x"));
    assert_eq!(
        cmds[1].instruction,
        Instruction::Healthcheck(Box::new(Healthcheck::None))
    );
    let m = messages("FROM a\nHEALTHCHECK --interval=5 CMD x\nHEALTHCHECK --timeout=10us CMD x\nHEALTHCHECK --retries=-1 CMD x\nHEALTHCHECK CONNECT x\nHEALTHCHECK NONE x\nHEALTHCHECK CMD\n");
    assert_eq!(m.len(), 6, "{m:?}");
    assert!(m[0].starts_with("invalid duration `5` for `--interval`"));
    assert!(m[1].contains("cannot be less than 1ms"));
}

#[test]
fn onbuild() {
    let df = ok("FROM a\nONBUILD RUN echo hi\n");
    let Instruction::OnBuild(o) = &df.stages[0].commands[0].instruction else {
        panic!()
    };
    assert_eq!(o.expression, "RUN echo hi");
    assert!(matches!(o.command.instruction, Instruction::Run(_)));
    let m = messages(
        "FROM a\nONBUILD ONBUILD RUN x\nONBUILD FROM b\nONBUILD MAINTAINER x\nONBUILD FORM x\n",
    );
    assert_eq!(
        m,
        [
            "chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
            "FROM isn't allowed as an ONBUILD trigger",
            "MAINTAINER isn't allowed as an ONBUILD trigger",
            "unknown instruction: FORM (did you mean FROM?)",
        ]
    );
}

#[test]
fn onbuild_heredoc_expression_and_shebang_script() {
    let df = ok("FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n");
    let cmds = &df.stages[0].commands;
    let Instruction::OnBuild(o) = &cmds[0].instruction else {
        panic!()
    };
    assert_eq!(o.expression, "RUN <<EOF\necho hi\nEOF");
    let Instruction::Run(r) = &cmds[1].instruction else {
        panic!()
    };
    assert!(matches!(
        r.script(),
        RunScript::Heredoc { shebang: true, .. }
    ));
}

#[test]
fn mount_with_variables_resolves_later() {
    let df = ok("FROM a\nRUN --mount=type=cache,target=$HOME/.cache,id=${ID} true\n");
    let Instruction::Run(r) = &df.stages[0].commands[0].instruction else {
        panic!()
    };
    let mut expand = |w: &Word| -> Result<std::borrow::Cow<'_, str>, IrError> {
        Ok(w.value
            .replace("$HOME", "/root")
            .replace("${ID}", "pip")
            .into())
    };
    let spec = r.mounts[0].resolve(&mut expand, "/");
    assert!(
        matches!(spec, Ok(MountSpec::Cache { ref id, ref target, .. }) if id == "pip" && target == "/root/.cache")
    );
    let mut failing = |w: &Word| -> Result<std::borrow::Cow<'_, str>, IrError> {
        Err(IrError::new(
            IrErrorKind::MountInvalid {
                detail: "bad substitution".into(),
            },
            w.span,
        ))
    };
    assert!(r.mounts[0]
        .resolve(&mut failing, "/")
        .is_err_and(|e| e.to_string() == "bad substitution"));
}

#[test]
fn lower_owned_is_lower() {
    for src in [
        "ARG A\nFROM alpine AS a\nRUN x\nCOPY --from=a / /\nFROM a\nENV K=v\n",
        "ARG ONLY=1\n",
        "RUN before-from\nFROM scratch\n",
        "",
    ] {
        let (a, b) = (lower_src(src), lower_owned(parse(src)));
        assert_eq!(a.dockerfile, b.dockerfile, "{src:?}");
        assert_eq!(a.errors, b.errors, "{src:?}");
    }
}
