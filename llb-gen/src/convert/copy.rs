//! COPY/ADD → one FileOp with chained copy actions (or a MergeOp for
//! `--link`), with local, HTTP and inline (heredoc) sources.

use super::error::{Error, ErrorKind};
use crate::ir;
use crate::llb;

use super::copy_flags::{check_checksum, parse_chmod};
use super::dispatch::{pb_platform, Ctx, StageState};
use super::simple::clean;

use crate::path::normalize as normalize_path;

/// `pathRelativeToWorkingDir`.
pub fn dest_path(dir: &str, dest: &str) -> String {
    if dest.starts_with('/') {
        return normalize_path("/", dest, true);
    }
    let p = if dest.is_empty() || dest == "." {
        "./"
    } else {
        dest
    };
    normalize_path(dir, p, true)
}

fn contains_wildcards(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'*' | b'?' | b'[' => return true,
            b'\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
    false
}

fn is_git_url(src: &str) -> bool {
    super::git::parse_git_ref(src).is_some()
}

fn is_http(src: &str) -> bool {
    (src.starts_with("http://") || src.starts_with("https://")) && !is_git_url(src)
}

fn heredoc_data(d: &StageState, h: &crate::syntax::ast::Heredoc) -> Result<Vec<u8>, Error> {
    if let Some(bytes) = h.literal_data() {
        return Ok(bytes);
    }
    let mut data = if h.chomp {
        ir::chomp_heredoc(&h.content)
    } else {
        h.content.clone()
    };
    if h.expand {
        let env = super::dispatch::StateEnv(&d.state);
        data =
            super::expand::expand_heredoc(&data, &env).map_err(|e| Error::word(e, h.body_span))?;
    }
    Ok(data.into_bytes())
}

/// `--exclude`, `--parents` and symbolic `--chmod` need copy features that old
/// daemons (BuildKit v0.8, inside Docker 20.10) silently ignore: fail, naming
/// the missing capability, instead of building something else.
fn require_copy_caps(
    ctx: &Ctx<'_>,
    c: &ir::Copy,
    symbolic_chmod: bool,
    span: crate::text::TextRange,
) -> Result<(), Error> {
    let patterns = llb::caps::FILE_COPY_INCLUDE_EXCLUDE_PATTERNS;
    let missing = if let Some(w) = c.excludes.first().filter(|_| !ctx.has_cap(patterns)) {
        Some(("--exclude", patterns, w.span))
    } else if c.parents && !ctx.has_cap(patterns) {
        Some(("--parents", patterns, span))
    } else if symbolic_chmod && !ctx.has_cap(llb::caps::FILE_COPY_MODE_STRING) {
        let at = c.chmod.as_ref().map_or(span, |w| w.span);
        Some(("symbolic --chmod", llb::caps::FILE_COPY_MODE_STRING, at))
    } else {
        None
    };
    match missing {
        Some((what, cap, at)) => Err(Error::new(ErrorKind::MissingCapability { what, cap }, at)
            .with_help(
                "upgrade BuildKit (Docker 23 or later, or docker buildx), or remove the flag",
            )),
        None => Ok(()),
    }
}

/// The digest of an HTTP(S) source's `--checksum` (Git sources take a
/// commit instead, checked when fetched), at the flag's value.
fn check_http_checksum(
    c: &ir::Copy,
    checksum: Option<&str>,
    paths: &[String],
    span: crate::text::TextRange,
) -> Result<(), Error> {
    let Some(value) = checksum.filter(|_| paths.iter().any(|p| is_http(p))) else {
        return Ok(());
    };
    let at = c.checksum.as_ref().map_or(span, |w| w.span);
    check_checksum(value).map_err(|(message, help)| {
        Error::new(ErrorKind::InvalidChecksum { message }, at).with_help(help)
    })
}

pub fn copy(
    d: &mut StageState,
    ctx: &mut Ctx<'_>,
    cmd: &ir::Command,
    c: &ir::Copy,
    is_add: bool,
    from: Option<usize>,
) -> Result<(), Error> {
    let span = cmd.info.span;
    let source_state = match (&c.from, from) {
        (Some(f), Some(i)) => ctx.done.get(i).cloned().flatten().ok_or_else(|| {
            Error::new(
                ErrorKind::CopyFromLaterStage {
                    from: f.value.clone(),
                    current: d.display_name.clone(),
                },
                f.span,
            )
        })?,
        _ => ctx.context.clone(),
    };
    let dest_raw = d.expand(ctx, &c.dest)?;
    let dest = dest_path(d.state.dir(), &dest_raw);
    let chown = c
        .chown
        .as_ref()
        .map(|w| d.expand(ctx, w))
        .transpose()?
        .filter(|s| !s.is_empty());
    let chmod = c
        .chmod
        .as_ref()
        .map(|w| d.expand(ctx, w))
        .transpose()?
        .filter(|s| !s.is_empty());
    let (mode, mode_str) = match (&chmod, &c.chmod) {
        (Some(s), Some(w)) => parse_chmod(s).map_err(|e| {
            Error::new(ErrorKind::InvalidChmod { message: e.message }, w.span).with_help(e.help)
        })?,
        _ => (None, String::new()),
    };
    let checksum = c
        .checksum
        .as_ref()
        .map(|w| d.expand(ctx, w))
        .transpose()?
        .filter(|s| !s.is_empty());
    let owner = chown.as_deref().map(super::dispatch::chown_opt);
    let excludes: Vec<String> = c.excludes.iter().map(|w| w.value.clone()).collect();
    require_copy_caps(ctx, c, !mode_str.is_empty(), span)?;

    let heredoc_names: Vec<&str> = c.heredocs.iter().map(|h| h.name.as_str()).collect();
    let mut paths = Vec::new();
    for s in &c.sources {
        let raw = s.value.trim_start_matches(|ch: char| ch.is_ascii_digit());
        if let Some(name) = raw.strip_prefix("<<") {
            let name = name.trim_start_matches('-').trim_matches(['"', '\'']);
            if heredoc_names.contains(&name) {
                continue;
            }
        }
        paths.push(d.expand(ctx, s)?);
    }
    if checksum.is_some() {
        if !is_add {
            return Err(Error::new(ErrorKind::ChecksumOnCopy, span));
        }
        if paths.len() != 1 {
            return Err(Error::new(ErrorKind::ChecksumMultipleSources, span));
        }
        if !paths.iter().all(|p| is_http(p) || is_git_url(p)) {
            return Err(Error::new(ErrorKind::ChecksumSourceKind, span));
        }
        check_http_checksum(c, checksum.as_deref(), &paths, span)?;
    }

    let mut msg = String::from(if is_add { "ADD" } else { "COPY" });
    if c.parents {
        msg.push_str(" --parents");
    }
    if let Some(o) = &chown {
        msg.push_str(&format!(" --chown={o}"));
    }
    if let Some(m) = &chmod {
        msg.push_str(&format!(" --chmod={m}"));
    }
    let text = d.display_text(ctx, &cmd.info.original);
    let pg_name = d.progress_name(ctx, &text);
    let base_copy = llb::CopyOptions {
        mode,
        mode_str,
        create_dest_path: true,
        exclude_patterns: excludes.clone(),
        owner: owner.clone(),
        timestamp: None,
        ..llb::CopyOptions::default()
    };

    let mut chain: Option<llb::FileAction> = None;
    let mut push = |a: llb::FileAction| {
        chain = Some(match chain.take() {
            Some(prev) => prev.then(a),
            None => a,
        });
    };
    for src in &paths {
        msg.push_str(&format!(" {src}"));
        if let Some(parsed) = super::git::parse_git_ref(src) {
            if !is_add {
                return Err(Error::new(ErrorKind::GitSourceInCopy, span));
            }
            let g = parsed
                .map_err(|reason| Error::new(ErrorKind::InvalidGitSource { reason }, span))?;
            let op = llb::OpOptions::default().custom_name(pg_name.clone());
            let st = llb::git(llb::GitOptions {
                host_path: g.host_path,
                full_url: g.remote,
                ssh: g.ssh,
                reference: g.reference,
                subdir: g.subdir,
                keep_git_dir: c.keep_git_dir.or(g.keep_git_dir).unwrap_or(false),
                checksum: checksum.clone().or(g.checksum),
                skip_submodules: g.skip_submodules,
                mtime: g.mtime,
                fetch_by_commit: g.fetch_by_commit,
                op,
                ..llb::GitOptions::default()
            });
            push(llb::FileAction::copy(
                llb::CopyInput::State(st),
                "/".to_string(),
                dest.clone(),
                base_copy.clone(),
            ));
            continue;
        }
        if is_http(src) {
            if !is_add {
                return Err(Error::new(ErrorKind::UrlSourceInCopy, span));
            }
            let path = src.split(['?', '#']).next().unwrap_or(src);
            let after_host = path.splitn(4, '/').nth(3).unwrap_or("");
            let base = after_host.rsplit('/').next().unwrap_or("");
            let f = if base.is_empty() || base == "." {
                "__unnamed__".to_string()
            } else {
                base.to_string()
            };
            // Upstream's `dfCmd(cfg.params)` gets a non-Stringer: empty.
            let op = llb::OpOptions::default()
                .custom_name(pg_name.clone())
                .description("com.docker.dockerfile.v1.command", String::new());
            let st = llb::http(
                src,
                llb::HttpOptions {
                    filename: Some(f.clone()),
                    checksum: checksum.clone(),
                    op,
                    ..Default::default()
                },
            );
            let opts = llb::CopyOptions {
                attempt_unpack: c.unpack.unwrap_or(false),
                ..base_copy.clone()
            };
            push(llb::FileAction::copy(
                llb::CopyInput::State(st),
                f,
                dest.clone(),
                opts,
            ));
            continue;
        }
        let mut src_path = src.clone();
        let mut include = Vec::new();
        let mut required = Vec::new();
        if c.parents {
            let (parent, pattern) = match src.split_once("/./") {
                Some((p, pat)) => (p.to_string(), pat.to_string()),
                None => ("/".to_string(), src.clone()),
            };
            let pattern = normalize_path("/", &pattern, false);
            include.push(pattern.trim_start_matches('/').to_string());
            if !contains_wildcards(&parent) && !contains_wildcards(&pattern) {
                required.push(normalize_path("/", &format!("{parent}/{pattern}"), false));
            }
            src_path = parent;
        }
        let src_path = normalize_path("/", &src_path, false);
        match (&c.from, from) {
            (None, _) => {
                ctx.ctx_paths.insert(clean(&format!("/{src}")));
            }
            (Some(_), Some(i)) => {
                let used = ctx.dep_paths.entry(i).or_default();
                used.insert(clean(&format!("/{src}")));
            }
            (Some(_), None) => {}
        }
        let opts = llb::CopyOptions {
            follow_symlinks: true,
            dir_copy_contents: true,
            include_patterns: include,
            required_paths: required,
            attempt_unpack: c.unpack.unwrap_or(is_add),
            allow_wildcard: true,
            allow_empty_wildcard: true,
            ..base_copy.clone()
        };
        push(llb::FileAction::copy(
            llb::CopyInput::State(source_state.clone()),
            src_path,
            dest.clone(),
            opts,
        ));
    }
    for h in &c.heredocs {
        msg.push_str(&format!(" <<{}", h.name));
        let data = heredoc_data(d, h)?;
        let op = llb::OpOptions::default()
            .custom_name("[internal] preparing inline document")
            .platform(pb_platform(&d.platform));
        let st = llb::scratch().file(
            llb::FileAction::mkfile(h.name.clone(), 0o644, data, llb::MkfileOptions::default()),
            op,
        );
        let opts = llb::CopyOptions {
            ..base_copy.clone()
        };
        push(llb::FileAction::copy(
            llb::CopyInput::State(st),
            h.name.clone(),
            dest.clone(),
            opts,
        ));
    }
    msg.push_str(&format!(" {dest_raw}"));
    let Some(action) = chain else {
        return Err(Error::new(ErrorKind::NoSources, span));
    };
    let op = d.op_options(ctx, &cmd.info, pg_name.clone());
    if c.link && chmod.is_none() && ctx.has_cap("mergeop") {
        let group = llb::ProgressGroup {
            id: format!("link-{}-{}", d.display_name, d.cmd_index),
            name: pg_name.clone(),
            weak: true,
        };
        let copy_op = op
            .clone()
            .platform(pb_platform(&d.platform))
            .progress_group(group.clone());
        let copied = llb::scratch().file(action, copy_op);
        let link_name = pg_name.replacen(&text, &format!("LINK {text}"), 1);
        let merge_op = op
            .progress_group(llb::ProgressGroup {
                weak: false,
                ..group
            })
            .custom_name(link_name);
        let merged = llb::merge(&[d.state.clone(), copied], merge_op);
        d.state = d.state.with_output(merged.output().cloned());
    } else {
        d.state = d.state.file(action, op);
    }
    d.commit(msg, true, true);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dest_paths() {
        assert_eq!(dest_path("/app", "."), "/app/");
        assert_eq!(dest_path("/app", "x"), "/app/x");
        assert_eq!(dest_path("/app", "x/"), "/app/x/");
        assert_eq!(dest_path("/", "/usr/bin/"), "/usr/bin/");
    }

    /// Caps of a BuildKit v0.8 daemon for file ops: no include/exclude
    /// patterns, no mode strings.
    fn old_daemon() -> crate::convert::ConvertOptions {
        let caps = [
            llb::caps::FILE_BASE,
            llb::caps::SOURCE_IMAGE,
            llb::caps::SOURCE_LOCAL,
        ];
        crate::convert::ConvertOptions {
            llb_caps: Some(caps.iter().map(|c| c.to_string()).collect()),
            ..Default::default()
        }
    }

    fn convert_error(
        src: &str,
        opts: &crate::convert::ConvertOptions,
    ) -> crate::diagnostic::Diagnostic {
        let r = crate::convert::convert_dockerfile(src, opts, &crate::convert::OfflineResolver);
        r.err()
            .and_then(|mut e| e.pop())
            .expect("conversion should fail")
    }

    #[test]
    fn exclude_without_cap_fails_at_the_flag() {
        let src = "FROM scratch\nCOPY --exclude=*.md . /app\n";
        let d = convert_error(src, &old_daemon());
        assert_eq!(d.code, "missing-capability");
        assert!(d.message.contains("--exclude"), "{}", d.message);
        assert!(
            d.message.contains("file.copy.includeexcludepatterns"),
            "{}",
            d.message
        );
        assert_eq!(&src[d.span.as_usize()], "*.md");
    }

    fn default_error(src: &str) -> crate::diagnostic::Diagnostic {
        convert_error(src, &crate::convert::ConvertOptions::default())
    }

    #[test]
    fn bad_chmod_fails_at_the_flag_value() {
        for (src, value) in [
            ("FROM scratch\nCOPY --chmod=u+q a /x\n", "u+q"),
            ("FROM scratch\nADD --chmod=-1 a /x\n", "-1"),
            ("FROM scratch\nCOPY --chmod=64a a /x\n", "64a"),
        ] {
            let d = default_error(src);
            assert_eq!(d.code, "chmod");
            assert_eq!(&src[d.span.as_usize()], value, "{src}");
            assert!(d
                .message
                .starts_with(&format!("invalid chmod parameter: '{value}'")));
        }
    }

    #[test]
    fn bad_http_checksum_fails_at_the_flag_value() {
        let src = "FROM scratch\nADD --checksum=md5:abc https://example.com/x /z\n";
        let d = default_error(src);
        assert_eq!(d.code, "checksum");
        assert_eq!(&src[d.span.as_usize()], "md5:abc");
        assert!(
            d.message.contains("unsupported digest algorithm"),
            "{}",
            d.message
        );
        let src = "FROM scratch\nADD --checksum=sha256:xyz https://example.com/x /z\n";
        assert!(default_error(src).message.contains("digest length"));
        // Git sources take a commit, checked when fetched.
        let git = "FROM scratch\nADD --checksum=md5:abc https://github.com/moby/buildkit.git#v0.10.1 /z\n";
        let ok = crate::convert::convert_dockerfile(
            git,
            &crate::convert::ConvertOptions::default(),
            &crate::convert::OfflineResolver,
        );
        assert!(ok.is_ok(), "{:?}", ok.err());
    }

    #[test]
    fn parents_and_symbolic_chmod_without_caps_fail() {
        let d = convert_error("FROM scratch\nCOPY --parents a/./b /x/\n", &old_daemon());
        assert!(d.message.contains("--parents"), "{}", d.message);
        let d = convert_error("FROM scratch\nCOPY --chmod=u+x a /x\n", &old_daemon());
        assert!(d.message.contains("file.copy.modestring"), "{}", d.message);
        // Octal modes need no extra capability.
        let ok = crate::convert::convert_dockerfile(
            "FROM scratch\nCOPY --chmod=755 a /x\n",
            &old_daemon(),
            &crate::convert::OfflineResolver,
        );
        assert!(ok.is_ok(), "{:?}", ok.err());
    }
}
