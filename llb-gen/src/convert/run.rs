//! RUN → ExecOp: argv (shell form, heredocs), mounts, network/security,
//! request-wide exec options, progress name and history.

use super::error::{Error, ErrorKind};
use crate::ir::{self, CacheSharing, MountSpec, NetworkMode, RunScript, SecurityMode};
use crate::llb;

use super::args::run_command_string;
use super::dispatch::{op_platform, Ctx, StageState, StateEnv};
use super::simple::{command_args, with_shell};
use crate::llb::caps;
use crate::path::clean_owned;
use crate::text::push_all;

/// Go `path.Join("/", p)`.
fn rooted(p: &str) -> String {
    clean_owned(<[&str]>::concat(&["/", p]))
}

fn source_state(ctx: &Ctx<'_>, src: Option<usize>) -> llb::State {
    src.and_then(|i| ctx.done.get(i).cloned().flatten())
        .unwrap_or_else(llb::scratch)
}

/// Build the mounts of one RUN: each mount's options expanded against the
/// stage, validated, and turned into an LLB mount.
fn mounts(
    d: &mut StageState,
    ctx: &mut Ctx<'_>,
    r: &ir::Run,
    sources: &[Option<usize>],
    exec: &mut llb::ExecOptions,
) -> Result<(), Error> {
    let ns = ctx
        .opts
        .build_args
        .get("BUILDKIT_CACHE_MOUNT_NS")
        .cloned()
        .unwrap_or_default();
    let workdir = d.state.dir().to_string();
    for (i, m) in r.mounts.iter().enumerate() {
        let src = sources.get(i).copied().flatten();
        let env = StateEnv(&d.state);
        let escape = ctx.escape;
        let spec = m.resolve(
            &mut |w| {
                super::expand::expand_text(&w.value, &env, escape)
                    .map_err(|e| super::Error::word(e, w.span))
            },
            &workdir,
        )?;
        exec.mounts.push(llb_mount(ctx, m, spec, src, &ns));
    }
    Ok(())
}

/// The LLB mount of one resolved mount; `src` is the node its `from=` names.
fn llb_mount(
    ctx: &mut Ctx<'_>,
    m: &ir::Mount,
    spec: MountSpec,
    src: Option<usize>,
    ns: &str,
) -> llb::Mount {
    match spec {
        MountSpec::Bind {
            target,
            source,
            from,
            read_write,
        } => bind_mount(ctx, target, source, from.map(|_| src), read_write),
        MountSpec::Cache {
            id,
            target,
            read_only,
            sharing,
            from: _,
            source,
            mode,
            uid,
            gid,
        } => {
            let cache = CacheMountSpec {
                id: <[&str]>::concat(&[ns, "/", &id]),
                target,
                read_only,
                sharing,
                source,
                owner: (mode, uid, gid),
            };
            cache_mount(ctx, cache, src)
        }
        MountSpec::Tmpfs { target, size } => {
            let size = size.and_then(|s| i64::try_from(s).ok()).unwrap_or(0);
            llb::TmpfsMount::new(target, size).into()
        }
        MountSpec::Secret {
            id,
            target,
            env,
            required,
            mode,
            uid,
            gid,
        } => llb::Mount::Secret(llb::SecretMount {
            id,
            target,
            env,
            uid,
            gid,
            mode,
            optional: !required,
        }),
        MountSpec::Ssh {
            id,
            target,
            required,
            mode,
            uid,
            gid,
        } => {
            // Upstream sends an empty id when none is written (the
            // daemon then uses `default`).
            let written = m.fields.iter().any(|f| {
                f.key == ir::MountKey::Id && f.value.as_ref().is_some_and(|v| !v.value.is_empty())
            });
            llb::Mount::Ssh(llb::SshMount {
                id: if written { id } else { String::new() },
                target: target.unwrap_or_default(),
                uid,
                gid,
                mode,
                optional: !required,
            })
        }
    }
}

/// A bind mount of the build context, or with `from=`, of the node `from`
/// names (`Some(None)`: a `from=` without a built node, scratch); the path
/// used is recorded.
fn bind_mount(
    ctx: &mut Ctx<'_>,
    target: String,
    source: Option<String>,
    from: Option<Option<usize>>,
    read_write: bool,
) -> llb::Mount {
    let st = match from {
        Some(src) => source_state(ctx, src),
        None => ctx.context.clone(),
    };
    let sel = rooted(source.as_deref().unwrap_or(""));
    match from {
        None => {
            ctx.ctx_paths.insert(sel.clone());
        }
        Some(Some(i)) => {
            ctx.dep_paths.entry(i).or_default().insert(sel.clone());
        }
        Some(None) => {}
    }
    let mut mount = llb::BindMount::new(target, st).readonly(!read_write);
    if read_write && ctx.has_cap(caps::EXEC_MOUNT_BIND_READWRITE_NO_OUTPUT) {
        mount = mount.no_output(true);
    }
    if sel != "/" {
        mount = mount.selector(sel);
    }
    mount.into()
}

/// A cache mount as resolved, its id already namespaced.
struct CacheMountSpec {
    id: String,
    target: String,
    read_only: bool,
    sharing: CacheSharing,
    source: Option<String>,
    /// `mode`, `uid`, `gid` of the cache directory.
    owner: (Option<u32>, Option<u32>, Option<u32>),
}

/// A cache mount, seeded from the node `src` names (else scratch); an
/// owner or mode on the root of its source is a directory made first.
fn cache_mount(ctx: &mut Ctx<'_>, c: CacheMountSpec, src: Option<usize>) -> llb::Mount {
    let mut st = source_state(ctx, src);
    let sharing = match c.sharing {
        CacheSharing::Shared => llb::CacheSharing::Shared,
        CacheSharing::Private => llb::CacheSharing::Private,
        CacheSharing::Locked => llb::CacheSharing::Locked,
    };
    let sel = rooted(c.source.as_deref().unwrap_or(""));
    if let Some(i) = src {
        ctx.dep_paths.entry(i).or_default().insert(sel.clone());
    }
    let (mode, uid, gid) = c.owner;
    let mut selector = None;
    if sel != "/" {
        selector = Some(sel);
    } else if mode.is_some() || uid.is_some() || gid.is_some() {
        let opts = llb::MkdirOptions {
            make_parents: false,
            owner: Some(llb::ChownOpt::ids(uid.unwrap_or(0), gid.unwrap_or(0))),
            timestamp: None,
        };
        let op =
            llb::OpOptions::default().custom_name("[internal] setting cache mount permissions");
        st = st.file(
            llb::FileAction::mkdir("/cache", mode.unwrap_or(0o755), opts),
            op,
        );
        selector = Some("/cache".to_string());
    }
    let mut mount = llb::CacheMount::new(c.target, c.id, sharing)
        .from(st)
        .readonly(c.read_only);
    if let Some(s) = selector {
        mount = mount.selector(s);
    }
    mount.into()
}

/// Secret env names, for masking in progress names.
fn secret_env_names(r: &ir::Run, d: &StageState, ctx: &Ctx<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for m in &r.mounts {
        if m.kind != ir::MountType::Secret {
            continue;
        }
        for f in &m.fields {
            if f.key == ir::MountKey::Env {
                if let Some(v) = &f.value {
                    if let Ok(e) = d.expand(ctx, v) {
                        out.push(e);
                    }
                }
            }
        }
    }
    out
}

/// A lookup over the state env that masks secret env names.
struct Masked<'a> {
    env: StateEnv<'a>,
    secrets: &'a [String],
}

impl super::expand::Env for Masked<'_> {
    fn lookup(&self, key: &str) -> Option<&str> {
        if self.secrets.iter().any(|s| s == key) {
            return Some("****");
        }
        self.env.lookup(key)
    }
}

/// RUN: the command (with a heredoc script mounted when it has a
/// shebang), its mounts and flags, the request-wide exec options, then the
/// exec op and its history.
pub(super) fn run(
    d: &mut StageState,
    ctx: &mut Ctx<'_>,
    cmd: &ir::Command,
    r: &ir::Run,
    sources: &[Option<usize>],
) -> Result<(), Error> {
    if !r.devices.is_empty() {
        return Err(Error::new(ErrorKind::RunDevice, cmd.info.span));
    }
    for src in sources.iter().flatten() {
        if ctx.done.get(*src).is_none_or(Option::is_none) {
            return Err(Error::new(ErrorKind::MountFromLaterStage, cmd.info.span));
        }
    }
    let mut exec = llb::ExecOptions::default();
    let mut custom = cmd.info.original.as_str().to_owned();
    exec.args = command(d, r, &mut exec, &mut custom);
    mounts(d, ctx, r, sources, &mut exec)?;
    cache_presets(d, ctx, cmd, r, &mut exec)?;
    if r.no_cache {
        // This step and every later one of the stage run again.
        d.ignore_cache = true;
    }
    flag_options(r, &mut exec);
    request_options(ctx, &mut exec);
    let text = progress_text(d, ctx, r, &custom);
    let name = d.progress_name(ctx, &text);
    exec.op = d
        .op_options(ctx, &cmd.info, name)
        .description(
            "com.docker.dockerfile.v1.command",
            cmd.info.original.clone(),
        )
        .platform(op_platform(d));
    let history = run_command_string(&exec.args, &d.declared, &StateEnv(&d.state));
    let out = d.state.run(exec).map_err(|e| {
        Error::new(
            ErrorKind::Run {
                reason: e.to_string(),
            },
            cmd.info.span,
        )
    })?;
    d.state = out.root();
    // Sized for the ` # buildkit` the history adds.
    let mut msg = String::with_capacity(4 + history.len() + super::image::BUILDKIT_SUFFIX.len());
    push_all(&mut msg, &["RUN ", &history]);
    d.commit(msg, true, true);
    Ok(())
}

/// The argv of a RUN. A heredoc script with a shebang is written to a file
/// mounted at `/dev/pipes/` and run from there; a heredoc's summary is
/// appended to the `custom` progress text.
fn command(
    d: &StageState,
    r: &ir::Run,
    exec: &mut llb::ExecOptions,
    custom: &mut String,
) -> Vec<String> {
    match script(r) {
        RunScript::Plain => command_args(d, &r.command),
        RunScript::Heredoc {
            name,
            shebang,
            body,
        } => {
            let first = r
                .heredocs
                .first()
                .map(|h| h.content.clone())
                .unwrap_or_default();
            custom.push_str(&format!(" ({})", summarize_heredoc(&first)));
            if !shebang || d.image.os == "windows" {
                return with_shell(d, body);
            }
            let op = llb::OpOptions::default()
                .custom_name("[internal] preparing inline document")
                .platform(op_platform(d));
            let st = llb::scratch().file(
                llb::FileAction::mkfile(
                    name.clone(),
                    0o755,
                    body.into_bytes(),
                    llb::MkfileOptions::default(),
                ),
                op,
            );
            exec.mounts.push(
                llb::BindMount::new("/dev/pipes/", st)
                    .readonly(true)
                    .selector("/")
                    .into(),
            );
            with_shell(d, format!("/dev/pipes/{name}"))
        }
        RunScript::Assembled(full) => with_shell(d, full),
    }
}

/// The mounts and exec-only environment of the cache presets in effect
/// (the stage's `CACHE`, the RUN's `--cache`); explicit mounts win.
fn cache_presets(
    d: &StageState,
    ctx: &Ctx<'_>,
    cmd: &ir::Command,
    r: &ir::Run,
    exec: &mut llb::ExecOptions,
) -> Result<(), Error> {
    let own: Vec<ir::CachePreset> = r.cache.iter().map(|p| p.value).collect();
    let presets = super::presets::in_effect(&d.cache_presets, &own);
    if presets.is_empty() {
        return Ok(());
    }
    let ns = ctx
        .opts
        .build_args
        .get("BUILDKIT_CACHE_MOUNT_NS")
        .map_or("", String::as_str);
    let explicit: Vec<String> = exec
        .mounts
        .iter()
        .filter_map(|m| m.fs_target().map(str::to_string))
        .collect();
    let applied = super::presets::apply(d, &presets, &explicit, ns, &cmd.info)?;
    exec.mounts.extend(applied.mounts);
    exec.env.extend(applied.env);
    Ok(())
}

/// `--network` and `--security`.
fn flag_options(r: &ir::Run, exec: &mut llb::ExecOptions) {
    if let Some(n) = &r.network {
        exec.network = Some(match n.value {
            NetworkMode::Default => llb::NetMode::Unset,
            NetworkMode::None => llb::NetMode::None,
            NetworkMode::Host => llb::NetMode::Host,
        });
    }
    if let Some(s) = &r.security {
        exec.security = Some(match s.value {
            SecurityMode::Sandbox => llb::SecurityMode::Sandbox,
            SecurityMode::Insecure => llb::SecurityMode::Insecure,
        });
    }
}

/// Options of the whole build that every RUN gets: proxies, ulimits, extra
/// hosts, `/dev/shm` size and cgroup parent (each where the daemon can).
fn request_options(ctx: &Ctx<'_>, exec: &mut llb::ExecOptions) {
    if let Some(p) = &ctx.proxy {
        exec.proxy_env = Some(llb::ProxyEnv {
            http_proxy: p.http_proxy.clone(),
            https_proxy: p.https_proxy.clone(),
            ftp_proxy: p.ftp_proxy.clone(),
            no_proxy: p.no_proxy.clone(),
            all_proxy: p.all_proxy.clone(),
        });
    }
    if ctx.has_cap(caps::EXEC_META_ULIMIT) {
        for (name, soft, hard) in &ctx.opts.ulimits {
            exec.ulimits.push(llb::Ulimit {
                name: name.clone(),
                soft: *soft,
                hard: *hard,
            });
        }
    }
    for (host, ip) in &ctx.opts.extra_hosts {
        exec.extra_hosts.push(llb::HostIp {
            host: host.clone(),
            ip: ip.clone(),
        });
    }
    if ctx.has_cap(caps::EXEC_MOUNT_TMPFS_SIZE) {
        if let Some(size) = ctx.opts.shm_size.filter(|s| *s > 0) {
            exec.mounts.push(
                llb::TmpfsMount::new("/dev/shm", i64::try_from(size).unwrap_or(i64::MAX)).into(),
            );
        }
    }
    if ctx.has_cap(caps::EXEC_META_CGROUP_PARENT) {
        if let Some(c) = ctx.opts.cgroup_parent.clone().filter(|c| !c.is_empty()) {
            exec.cgroup_parent = Some(c);
        }
    }
}

/// The progress text: the line expanded for display with secret env names
/// masked, the keyword upper-cased.
fn progress_text(d: &StageState, ctx: &Ctx<'_>, r: &ir::Run, custom: &str) -> String {
    let secrets = secret_env_names(r, d, ctx);
    let masked = Masked {
        env: StateEnv(&d.state),
        secrets: &secrets,
    };
    let shown = super::expand::expand_for_display(custom, &masked, ctx.escape);
    super::dispatch::uppercase_cmd(shown)
}

/// [`ir::Run::script`] with upstream's `MustParseHeredoc` test: the command
/// must be exactly one word (split by a raw-quotes lexer with `\\` escape)
/// and there must be exactly one heredoc; otherwise the heredocs are
/// assembled into the command (`RUN <<EOT bash`).
fn script(r: &ir::Run) -> RunScript {
    let s = r.script();
    if !matches!(s, RunScript::Heredoc { .. }) {
        return s;
    }
    let single = match &r.command {
        ir::CommandLine::Shell(cmd) => {
            let mut lx = crate::words::Lexer::new('\\');
            lx.raw_quotes = true;
            lx.process_words(&cmd.value, &crate::words::EmptyEnv)
                .is_ok_and(|(w, _, _)| w.len() == 1)
        }
        _ => false,
    };
    if single && r.heredocs.len() == 1 {
        return s;
    }
    let mut full = match &r.command {
        ir::CommandLine::Shell(cmd) => cmd.value.to_string(),
        _ => String::new(),
    };
    for h in &r.heredocs {
        full.push('\n');
        full.push_str(&h.content);
        full.push_str(&h.name);
    }
    RunScript::Assembled(full)
}

/// First line of a heredoc, `...` when there are more.
fn summarize_heredoc(doc: &str) -> String {
    let doc = doc.trim();
    let doc = doc.replace("\r\n", "\n");
    let mut lines = doc.split('\n');
    let first = lines.next().unwrap_or("").to_string();
    if lines.next().is_some() {
        format!("{first}...")
    } else {
        first
    }
}
