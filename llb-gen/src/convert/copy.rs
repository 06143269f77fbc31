//! COPY/ADD → one FileOp with chained copy actions (or a MergeOp for
//! `--link`), with local, HTTP and inline (heredoc) sources.

use super::error::{Error, ErrorKind};
use crate::ir;
use crate::llb;
use crate::text::push_all;

use super::copy_flags::{check_checksum, parse_chmod};
use super::dispatch::{op_platform, Ctx, StageState};
use crate::path::clean_owned;

use crate::path::normalize as normalize_path;

/// `pathRelativeToWorkingDir`.
pub(super) fn dest_path(dir: &str, dest: &str) -> String {
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

/// What differs between COPY and ADD, as the shared lowering sees it.
enum Variant<'a> {
    Copy {
        /// `--from` and the node it names, if any.
        from: Option<(&'a ir::Word, Option<usize>)>,
        parents: bool,
    },
    Add {
        keep_git_dir: Option<bool>,
        checksum: Option<&'a ir::Word>,
        unpack: Option<bool>,
    },
}

impl Variant<'_> {
    fn is_add(&self) -> bool {
        matches!(self, Variant::Add { .. })
    }

    fn parents(&self) -> bool {
        matches!(self, Variant::Copy { parents: true, .. })
    }

    fn keyword(&self) -> &'static str {
        if self.is_add() {
            "ADD"
        } else {
            "COPY"
        }
    }
}

/// `COPY [--from=<stage>] <src>... <dest>`; `from` is the node `--from` names.
pub(super) fn copy(
    d: &mut StageState,
    ctx: &mut Ctx<'_>,
    cmd: &ir::Command,
    c: &ir::CopyInstruction,
    from: Option<usize>,
) -> Result<(), Error> {
    let variant = Variant::Copy {
        from: c.from.as_ref().map(|f| (f, from)),
        parents: c.parents,
    };
    transfer(d, ctx, cmd, &c.common, &variant)
}

/// `ADD <src>... <dest>`: local, HTTP(S) and Git sources.
pub(super) fn add(
    d: &mut StageState,
    ctx: &mut Ctx<'_>,
    cmd: &ir::Command,
    a: &ir::AddInstruction,
) -> Result<(), Error> {
    let variant = Variant::Add {
        keep_git_dir: a.keep_git_dir,
        checksum: a.checksum.as_ref(),
        unpack: a.unpack,
    };
    transfer(d, ctx, cmd, &a.common, &variant)
}

/// `--exclude`, `--parents` and symbolic `--chmod` need copy features that old
/// daemons (BuildKit v0.8, inside Docker 20.10) silently ignore: fail, naming
/// the missing capability, instead of building something else.
fn require_copy_caps(
    ctx: &Ctx<'_>,
    c: &ir::CopyCommon,
    variant: &Variant<'_>,
    symbolic_chmod: bool,
    span: crate::text::TextRange,
) -> Result<(), Error> {
    let patterns = llb::caps::FILE_COPY_INCLUDE_EXCLUDE_PATTERNS;
    let missing = if let Some(w) = c.excludes.first().filter(|_| !ctx.has_cap(patterns)) {
        Some(("--exclude", patterns, w.span))
    } else if variant.parents() && !ctx.has_cap(patterns) {
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

/// The values of a COPY/ADD, expanded against the stage.
struct Expanded {
    /// The destination as expanded, and resolved against the working directory.
    dest_raw: String,
    dest: String,
    chown: Option<String>,
    chmod: Option<String>,
    /// `--chmod` as an octal mode, or as a symbolic string.
    mode: Option<i32>,
    mode_str: String,
    /// ADD's `--checksum`.
    checksum: Option<String>,
    /// The sources that are not heredocs, in order (see [`expand_paths`]).
    paths: Vec<String>,
}

/// Expand the destination and the flag values.
fn expand_values(
    d: &StageState,
    ctx: &Ctx<'_>,
    c: &ir::CopyCommon,
    variant: &Variant<'_>,
) -> Result<Expanded, Error> {
    let expand_flag = |w: Option<&ir::Word>| -> Result<Option<String>, Error> {
        Ok(w.map(|w| d.expand(ctx, w))
            .transpose()?
            .filter(|s| !s.is_empty()))
    };
    let dest_raw = d.expand(ctx, &c.dest)?;
    let dest = dest_path(d.state.dir(), &dest_raw);
    let chown = expand_flag(c.chown.as_ref())?;
    let chmod = expand_flag(c.chmod.as_ref())?;
    let (mode, mode_str) = match (&chmod, &c.chmod) {
        (Some(s), Some(w)) => parse_chmod(s).map_err(|e| {
            Error::new(ErrorKind::InvalidChmod { message: e.message }, w.span).with_help(e.help)
        })?,
        _ => (None, String::new()),
    };
    let checksum = match variant {
        Variant::Add { checksum, .. } => expand_flag(*checksum)?,
        Variant::Copy { .. } => None,
    };
    Ok(Expanded {
        dest_raw,
        dest,
        chown,
        chmod,
        mode,
        mode_str,
        checksum,
        paths: Vec::new(),
    })
}

/// Expand the sources that are not heredocs, in order.
fn expand_paths(d: &StageState, ctx: &Ctx<'_>, c: &ir::CopyCommon) -> Result<Vec<String>, Error> {
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
    Ok(paths)
}

/// ADD `--checksum`: one HTTP(S) or Git source, and a valid digest for HTTP.
fn check_checksum_use(
    variant: &Variant<'_>,
    v: &Expanded,
    span: crate::text::TextRange,
) -> Result<(), Error> {
    let (Variant::Add { checksum: word, .. }, Some(value)) = (variant, &v.checksum) else {
        return Ok(());
    };
    if v.paths.len() != 1 {
        return Err(Error::new(ErrorKind::ChecksumMultipleSources, span));
    }
    if !v.paths.iter().all(|p| is_http(p) || is_git_url(p)) {
        return Err(Error::new(ErrorKind::ChecksumSourceKind, span));
    }
    if !v.paths.iter().any(|p| is_http(p)) {
        // Git sources take a commit, checked when fetched.
        return Ok(());
    }
    let at = word.map_or(span, |w| w.span);
    check_checksum(value).map_err(|(message, help)| {
        Error::new(ErrorKind::InvalidChecksum { message }, at).with_help(help)
    })
}

/// One source of a COPY/ADD, classified once.
enum Source<'a> {
    /// A Git repository (ADD only).
    Git(super::git::GitRef),
    /// An HTTP(S) URL (ADD only).
    Http(&'a str),
    /// A path in the build context or the `--from` stage.
    Local(&'a str),
    /// A heredoc body, written to a file first.
    Inline(&'a crate::syntax::ast::Heredoc),
}

/// Classify the expanded sources, then the heredocs; a Git or URL source of
/// COPY, or a Git URL that does not parse, is an error.
fn classify<'a>(
    v: &'a Expanded,
    c: &'a ir::CopyCommon,
    variant: &Variant<'_>,
    span: crate::text::TextRange,
) -> Result<Vec<Source<'a>>, Error> {
    let mut out = Vec::with_capacity(v.paths.len() + c.heredocs.len());
    for src in &v.paths {
        out.push(if let Some(parsed) = super::git::parse_git_ref(src) {
            if !variant.is_add() {
                return Err(Error::new(ErrorKind::GitSourceInCopy, span));
            }
            let g = parsed
                .and_then(|g| check_git_flags(&g, variant, v.checksum.as_deref()).map(|()| g))
                .map_err(|reason| Error::new(ErrorKind::InvalidGitSource { reason }, span))?;
            Source::Git(g)
        } else if is_http(src) {
            if !variant.is_add() {
                return Err(Error::new(ErrorKind::UrlSourceInCopy, span));
            }
            Source::Http(src)
        } else {
            Source::Local(src)
        });
    }
    out.extend(c.heredocs.iter().map(Source::Inline));
    Ok(out)
}

/// ADD's `--keep-git-dir` and `--checksum` must agree with the same keys
/// in the Git URL's query (`?keep-git-dir=`, `?checksum=`/`?commit=`), as
/// upstream checks; when they agree, the query's value is used.
fn check_git_flags(
    g: &super::git::GitRef,
    variant: &Variant<'_>,
    checksum: Option<&str>,
) -> Result<(), String> {
    let Variant::Add { keep_git_dir, .. } = variant else {
        return Ok(());
    };
    if let (Some(flag), Some(query)) = (keep_git_dir, g.keep_git_dir) {
        if *flag != query {
            return Err(format!(
                "inconsistent keep-git-dir configuration: --keep-git-dir={flag} but the URL's \
                 query says keep-git-dir={query}"
            ));
        }
    }
    if let (Some(flag), Some(query)) = (checksum, g.checksum.as_deref()) {
        if flag != query {
            return Err(format!(
                "checksum mismatch {flag:?} != {query:?}: --checksum and the URL's \
                 checksum/commit query must name the same commit"
            ));
        }
    }
    Ok(())
}

/// The history text: `COPY --chown=a <src>... <dest>`, sources as expanded.
fn history(variant: &Variant<'_>, v: &Expanded, sources: &[Source<'_>]) -> String {
    // Sized for every part and the history's ` # buildkit` (no growth on the way).
    let opt = |o: &Option<String>| o.as_ref().map_or(0, |o| 10 + o.len());
    let named = |s: &Source<'_>| match s {
        Source::Inline(h) => 3 + h.name.len(),
        _ => 0,
    };
    let len = variant.keyword().len()
        + " --parents".len()
        + opt(&v.chown)
        + opt(&v.chmod)
        + v.paths.iter().map(|p| 1 + p.len()).sum::<usize>()
        + sources.iter().map(named).sum::<usize>()
        + 1
        + v.dest_raw.len()
        + super::image::BUILDKIT_SUFFIX.len();
    let mut msg = String::with_capacity(len);
    msg.push_str(variant.keyword());
    if variant.parents() {
        msg.push_str(" --parents");
    }
    if let Some(o) = &v.chown {
        push_all(&mut msg, &[" --chown=", o]);
    }
    if let Some(m) = &v.chmod {
        push_all(&mut msg, &[" --chmod=", m]);
    }
    let mut paths = v.paths.iter();
    for s in sources {
        match s {
            Source::Inline(h) => push_all(&mut msg, &[" <<", &h.name]),
            _ => {
                if let Some(p) = paths.next() {
                    push_all(&mut msg, &[" ", p]);
                }
            }
        }
    }
    push_all(&mut msg, &[" ", &v.dest_raw]);
    msg
}

/// What every copy action of one instruction shares.
struct ActionContext<'a> {
    variant: &'a Variant<'a>,
    /// The state local sources are read from (context or `--from` stage).
    source_state: llb::State,
    /// The node `--from` names, for the paths used from it.
    from: Option<usize>,
    dest: &'a str,
    /// The progress name of the instruction (sources' custom names).
    pg_name: &'a str,
    base: llb::CopyOptions,
}

/// The copy action of one source.
fn action_for(
    d: &StageState,
    ctx: &mut Ctx<'_>,
    a: &ActionContext<'_>,
    source: &Source<'_>,
    checksum: Option<&String>,
) -> Result<llb::FileAction, Error> {
    let copy = |input: llb::State, src: String, opts: llb::CopyOptions| {
        llb::FileAction::copy(llb::CopyInput::State(input), src, a.dest.to_string(), opts)
    };
    Ok(match source {
        Source::Git(g) => {
            let keep_git_dir = match a.variant {
                Variant::Add { keep_git_dir, .. } => *keep_git_dir,
                Variant::Copy { .. } => None,
            };
            let op = llb::OpOptions::default().custom_name(a.pg_name.to_string());
            let st = llb::git(llb::GitOptions {
                host_path: g.host_path.clone(),
                full_url: g.remote.clone(),
                ssh: g.ssh,
                reference: g.reference.clone(),
                subdir: g.subdir.clone(),
                keep_git_dir: g.keep_git_dir.or(keep_git_dir).unwrap_or(false),
                checksum: g.checksum.clone().or(checksum.cloned()),
                skip_submodules: g.skip_submodules,
                mtime: g.mtime.clone(),
                fetch_by_commit: g.fetch_by_commit,
                op,
                ..llb::GitOptions::default()
            });
            copy(st, "/".to_string(), a.base.clone())
        }
        Source::Http(src) => {
            let f = http_file_name(src);
            // Upstream's `dfCmd(cfg.params)` gets a non-Stringer: empty.
            let op = llb::OpOptions::default()
                .custom_name(a.pg_name.to_string())
                .description("com.docker.dockerfile.v1.command", String::new());
            let st = llb::http(
                src,
                llb::HttpOptions {
                    filename: Some(f.clone()),
                    checksum: checksum.cloned(),
                    op,
                    ..Default::default()
                },
            );
            let opts = llb::CopyOptions {
                attempt_unpack: unpack(a.variant).unwrap_or(false),
                ..a.base.clone()
            };
            copy(st, f, opts)
        }
        Source::Local(src) => local_action(ctx, a, src),
        Source::Inline(h) => {
            let data = heredoc_data(d, h)?;
            let op = llb::OpOptions::default()
                .custom_name("[internal] preparing inline document")
                .platform(op_platform(d));
            let st = llb::scratch().file(
                llb::FileAction::mkfile(h.name.clone(), 0o644, data, llb::MkfileOptions::default()),
                op,
            );
            copy(st, h.name.clone(), a.base.clone())
        }
    })
}

fn unpack(variant: &Variant<'_>) -> Option<bool> {
    match variant {
        Variant::Add { unpack, .. } => *unpack,
        Variant::Copy { .. } => Some(false),
    }
}

/// The file name of an HTTP source: the URL path's last element.
fn http_file_name(src: &str) -> String {
    let path = src.split(['?', '#']).next().unwrap_or(src);
    let after_host = path.splitn(4, '/').nth(3).unwrap_or("");
    let base = after_host.rsplit('/').next().unwrap_or("");
    if base.is_empty() || base == "." {
        "__unnamed__".to_string()
    } else {
        base.to_string()
    }
}

/// The copy of a local path (with `--parents`: the part after `/./` kept),
/// recorded as used from the context or the `--from` stage.
fn local_action(ctx: &mut Ctx<'_>, a: &ActionContext<'_>, src: &str) -> llb::FileAction {
    let mut src_path = src.to_string();
    let mut include = Vec::new();
    let mut required = Vec::new();
    if a.variant.parents() {
        let (parent, pattern) = match src.split_once("/./") {
            Some((p, pat)) => (p.to_string(), pat.to_string()),
            None => ("/".to_string(), src.to_string()),
        };
        let pattern = normalize_path("/", &pattern, false);
        include.push(pattern.trim_start_matches('/').to_string());
        if !contains_wildcards(&parent) && !contains_wildcards(&pattern) {
            required.push(normalize_path("/", &format!("{parent}/{pattern}"), false));
        }
        src_path = parent;
    }
    let src_path = normalize_path("/", &src_path, false);
    match (a.variant, a.from) {
        (Variant::Copy { from: Some(_), .. }, Some(i)) => {
            let used = ctx.dep_paths.entry(i).or_default();
            used.insert(clean_owned(<[&str]>::concat(&["/", src])));
        }
        (Variant::Copy { from: Some(_), .. }, None) => {}
        _ => {
            ctx.ctx_paths
                .insert(clean_owned(<[&str]>::concat(&["/", src])));
        }
    }
    let opts = llb::CopyOptions {
        follow_symlinks: true,
        dir_copy_contents: true,
        include_patterns: include,
        required_paths: required,
        attempt_unpack: unpack(a.variant).unwrap_or(true),
        allow_wildcard: true,
        allow_empty_wildcard: true,
        ..a.base.clone()
    };
    llb::FileAction::copy(
        llb::CopyInput::State(a.source_state.clone()),
        src_path,
        a.dest.to_string(),
        opts,
    )
}

/// The state local sources come from: the `--from` stage (built before
/// this one) or the build context.
fn source_state(
    d: &StageState,
    ctx: &Ctx<'_>,
    variant: &Variant<'_>,
) -> Result<(llb::State, Option<usize>), Error> {
    match variant {
        Variant::Copy {
            from: Some((f, Some(i))),
            ..
        } => {
            let state = ctx.done.get(*i).cloned().flatten().ok_or_else(|| {
                Error::new(
                    ErrorKind::CopyFromLaterStage {
                        from: f.value.to_string(),
                        current: d.display_name.clone(),
                    },
                    f.span,
                )
            })?;
            Ok((state, Some(*i)))
        }
        _ => Ok((ctx.context.clone(), None)),
    }
}

/// Apply the chained copy actions to the stage: a FileOp on the stage, or
/// with `--link`, a FileOp on scratch merged onto it.
fn apply(
    d: &mut StageState,
    ctx: &Ctx<'_>,
    cmd: &ir::Command,
    action: llb::FileAction,
    (pg_name, text): (&str, &str),
    link: bool,
) {
    let op = d.op_options(ctx, &cmd.info, pg_name.to_string());
    if !(link && ctx.has_cap(crate::llb::caps::MERGE_OP)) {
        d.state = d.state.file(action, op);
        return;
    }
    let group = llb::ProgressGroup {
        id: format!("link-{}-{}", d.display_name, d.cmd_index),
        name: pg_name.to_string(),
        weak: true,
    };
    let copy_op = op
        .clone()
        .platform(op_platform(d))
        .progress_group(group.clone());
    let copied = llb::scratch().file(action, copy_op);
    let link_name = pg_name.replacen(text, &format!("LINK {text}"), 1);
    let merge_op = op
        .progress_group(llb::ProgressGroup {
            weak: false,
            ..group
        })
        .custom_name(link_name);
    let merged = llb::merge(&[d.state.clone(), copied], merge_op);
    d.state = d.state.with_output(merged.output().cloned());
}

/// COPY and ADD: expand, check, classify the sources, chain one copy action
/// per source, apply and commit the history.
fn transfer(
    d: &mut StageState,
    ctx: &mut Ctx<'_>,
    cmd: &ir::Command,
    c: &ir::CopyCommon,
    variant: &Variant<'_>,
) -> Result<(), Error> {
    let span = cmd.info.span;
    let (source_state, from) = source_state(d, ctx, variant)?;
    let mut v = expand_values(d, ctx, c, variant)?;
    require_copy_caps(ctx, c, variant, !v.mode_str.is_empty(), span)?;
    v.paths = expand_paths(d, ctx, c)?;
    check_checksum_use(variant, &v, span)?;
    let sources = classify(&v, c, variant, span)?;
    let text = d.display_text(ctx, &cmd.info.original);
    let pg_name = d.progress_name(ctx, &text);
    let a = ActionContext {
        variant,
        source_state,
        from,
        dest: &v.dest,
        pg_name: &pg_name,
        base: llb::CopyOptions {
            mode: v.mode,
            mode_str: v.mode_str.clone(),
            create_dest_path: true,
            exclude_patterns: c.excludes.iter().map(|w| w.value.to_string()).collect(),
            owner: v.chown.as_deref().map(super::dispatch::chown_opt),
            timestamp: None,
            ..llb::CopyOptions::default()
        },
    };
    let mut chain: Option<llb::FileAction> = None;
    for s in &sources {
        let action = action_for(d, ctx, &a, s, v.checksum.as_ref())?;
        chain = Some(match chain.take() {
            Some(prev) => prev.then(action),
            None => action,
        });
    }
    let Some(action) = chain else {
        return Err(Error::new(ErrorKind::NoSources, span));
    };
    apply(
        d,
        ctx,
        cmd,
        action,
        (&pg_name, &text),
        c.link && v.chmod.is_none(),
    );
    d.commit(history(variant, &v, &sources), true, true);
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
            llb_caps: crate::llb::CapSet::Only(caps.iter().map(|c| c.to_string()).collect()),
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
    fn git_flags_that_contradict_the_query_fail() {
        let url = "https://example.com/r.git";
        for (flags, query, want) in [
            (
                "--keep-git-dir=true",
                "?keep-git-dir=false",
                "inconsistent keep-git-dir",
            ),
            (
                "--checksum=abc",
                "?commit=def",
                "checksum mismatch \"abc\" != \"def\"",
            ),
        ] {
            let src = format!("FROM scratch\nADD {flags} {url}{query} /z\n");
            let d = default_error(&src);
            assert_eq!(d.code, "add-git", "{src}");
            assert!(d.message.contains(want), "{}", d.message);
            assert!(src[d.span.as_usize()].starts_with("ADD"), "{src}");
        }
        for ok in [
            "FROM scratch\nADD --keep-git-dir=true https://example.com/r.git?keep-git-dir=1 /z\n",
            "FROM scratch\nADD --checksum=abc https://example.com/r.git?checksum=abc /z\n",
        ] {
            let conv = crate::convert::convert_dockerfile(
                ok,
                &crate::convert::ConvertOptions::default(),
                &crate::convert::OfflineResolver,
            );
            assert!(conv.is_ok(), "{ok}: {:?}", conv.err());
        }
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
