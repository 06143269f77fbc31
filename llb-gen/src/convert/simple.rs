//! Instructions that only touch the image config and the stage env, plus
//! WORKDIR (which also creates the directory).

use super::error::{Error, ErrorKind};
use crate::ir::{self, CommandLine, Healthcheck, KeyValue};
use crate::llb;
use crate::path::{clean, clean_owned};
use crate::text::{push_all, TextRange};

use super::args::{is_non_env_arg, DeclaredArg};
use super::dispatch::{Ctx, StageState};
use super::image::{go_list, go_quote_list, healthcheck_history, nanos, Empty, HealthConfig};

/// The default shell of an image's OS.
fn default_shell(os: &str) -> &'static [&'static str] {
    if os == "windows" {
        &["cmd", "/S", "/C"]
    } else {
        &["/bin/sh", "-c"]
    }
}

/// `withShell`: the image's SHELL (or the default) plus the command (every caller has one
/// word, which upstream joins alone), in a vector made at its size.
pub(super) fn with_shell(d: &StageState, command: String) -> Vec<String> {
    let configured = d.image.config.shell.as_deref().filter(|s| !s.is_empty());
    let default = default_shell(&d.image.os);
    let mut argv = Vec::with_capacity(configured.map_or(default.len(), <[String]>::len) + 1);
    match configured {
        Some(shell) => argv.extend(shell.iter().cloned()),
        None => argv.extend(default.iter().map(|w| (*w).to_owned())),
    }
    argv.push(command);
    argv
}

/// argv of a CMD/ENTRYPOINT/RUN command line (shell form goes through the shell).
pub(super) fn command_args(d: &StageState, c: &CommandLine) -> Vec<String> {
    match c {
        CommandLine::Exec(words) => words.iter().map(|w| w.value.to_string()).collect(),
        CommandLine::Shell(w) => with_shell(d, w.value.as_str().to_owned()),
    }
}

pub(super) fn arg(
    d: &mut StageState,
    ctx: &mut Ctx<'_>,
    a: &ir::ArgInstruction,
) -> Result<(), Error> {
    // `ARG k=v k ...`, written as the values come.
    let mut msg = String::from("ARG");
    for decl in &a.args {
        let key = decl.name.value.clone();
        let build_value = ctx.opts.build_args.get(key.as_str());
        let value = match (build_value, &decl.default) {
            (Some(v), _) => Some(v.clone()),
            (None, Some(def)) => Some(d.expand(ctx, def)?),
            (None, None) => ctx.globals.get(&key).map(str::to_string),
        };
        if let Some(v) = &value {
            if !is_non_env_arg(&key) {
                d.state = std::mem::take(&mut d.state).set_env(&key, v);
            }
        }
        match &value {
            Some(v) => push_all(&mut msg, &[" ", &key, "=", v]),
            None => push_all(&mut msg, &[" ", &key]),
        }
        d.declared.push(DeclaredArg {
            key: key.as_str().to_owned(),
            value,
        });
    }
    if a.args.is_empty() {
        // As the join of no values: `ARG ` (the lowering refuses it anyway).
        msg.push(' ');
    }
    d.commit(msg, false, false);
    Ok(())
}

fn expand_pairs(
    d: &StageState,
    ctx: &Ctx<'_>,
    kvs: &[KeyValue],
) -> Result<Vec<(String, String)>, Error> {
    kvs.iter()
        .map(|kv| Ok((d.expand(ctx, &kv.key)?, d.expand(ctx, &kv.value)?)))
        .collect()
}

/// `keyword` and ` k=v` for each pair, made at its size.
fn pairs_message(keyword: &str, pairs: &[(String, String)]) -> String {
    let len = pairs
        .iter()
        .map(|(k, v)| 2 + k.len() + v.len())
        .sum::<usize>();
    let mut msg = String::with_capacity(keyword.len() + len);
    msg.push_str(keyword);
    for (k, v) in pairs {
        push_all(&mut msg, &[" ", k, "=", v]);
    }
    msg
}

pub(super) fn env(d: &mut StageState, ctx: &mut Ctx<'_>, kvs: &[KeyValue]) -> Result<(), Error> {
    let pairs = expand_pairs(d, ctx, kvs)?;
    let msg = pairs_message("ENV", &pairs);
    for (k, v) in pairs {
        d.state = std::mem::take(&mut d.state).set_env(&k, &v);
        d.image.add_env(&k, &v);
    }
    d.commit(msg, false, false);
    Ok(())
}

pub(super) fn label(d: &mut StageState, ctx: &mut Ctx<'_>, kvs: &[KeyValue]) -> Result<(), Error> {
    let pairs = expand_pairs(d, ctx, kvs)?;
    let msg = pairs_message("LABEL", &pairs);
    let labels = d.image.config.labels.get_or_insert_with(Default::default);
    for (k, v) in pairs {
        labels.insert(k, v);
    }
    d.commit(msg, false, false);
    Ok(())
}

/// `system.NormalizeWorkdir` for Unix paths: an absolute path is kept as
/// written (a trailing `/` survives into the exec cwd and the config), a
/// relative one is joined to the current directory and cleaned.
pub(super) fn normalize_workdir(current: &str, requested: &str) -> String {
    if requested.starts_with('/') {
        requested.to_string()
    } else if requested.is_empty() && current.starts_with('/') {
        current.to_string()
    } else {
        clean_owned(<[&str]>::concat(&["/", current, "/", requested]))
    }
}

/// Apply a working directory from the base image (no op, no history).
pub(super) fn base_workdir(d: &mut StageState, path: &str) {
    let wd = normalize_workdir(&d.image.config.working_dir, path);
    d.image.config.working_dir = wd.clone();
    d.state = d.state.with_dir(wd);
}

pub(super) fn workdir(
    d: &mut StageState,
    ctx: &mut Ctx<'_>,
    cmd: &ir::Command,
    w: &ir::Workdir,
) -> Result<(), Error> {
    // An empty result (unset variable) is joined like a relative path:
    // upstream checks for emptiness before expansion only.
    let path = d.expand(ctx, &w.path)?;
    let (chown, mode) = workdir_flags(d, ctx, w)?;
    let wd = normalize_workdir(&d.image.config.working_dir, &path);
    d.image.config.working_dir = wd.clone();
    d.state = d.state.with_dir(wd.clone());
    let with_layer = wd != "/";
    if with_layer {
        let owner = chown.or_else(|| {
            (!d.image.config.user.is_empty())
                .then(|| super::dispatch::chown_opt(&d.image.config.user))
        });
        let opts = llb::MkdirOptions {
            make_parents: true,
            owner,
            timestamp: d.epoch.map(|s| s.saturating_mul(1_000_000_000)),
        };
        let text = d.display_text(ctx, &cmd.info.original);
        let name = d.progress_name(ctx, &text);
        let op = d
            .op_options(ctx, &cmd.info, name)
            .platform(super::dispatch::op_platform(d));
        d.state = d
            .state
            .file(llb::FileAction::mkdir(clean(&wd), mode, opts), op);
    }
    d.commit(<[&str]>::concat(&["WORKDIR ", &wd]), with_layer, false);
    Ok(())
}

/// `WORKDIR --chown` (a `user[:group]` resolved like COPY's) and `--chmod`
/// (octal), expanded and checked.
fn workdir_flags(
    d: &StageState,
    ctx: &Ctx<'_>,
    w: &ir::Workdir,
) -> Result<(Option<llb::ChownOpt>, u32), Error> {
    let chown = match &w.chown {
        None => None,
        Some(word) => {
            let spec = d.expand(ctx, word)?;
            let (user, group) = spec.split_once(':').unwrap_or((&spec, "x"));
            if user.is_empty() || group.is_empty() || group.contains(':') {
                let kind = ErrorKind::InvalidChown { spec };
                return Err(Error::new(kind, word.span)
                    .with_help("write `--chown=<user>[:<group>]`, names or numeric ids"));
            }
            Some(super::dispatch::chown_opt(&spec))
        }
    };
    let mode = match &w.chmod {
        None => 0o755,
        Some(word) => {
            let s = d.expand(ctx, word)?;
            match u32::from_str_radix(&s, 8) {
                Ok(m) if m <= 0o7777 && !s.is_empty() => m,
                _ => {
                    let message = format!(
                        "invalid WORKDIR --chmod `{s}`: expected an octal mode between 0 and 07777"
                    );
                    return Err(Error::new(ErrorKind::InvalidChmod { message }, word.span)
                        .with_help("write e.g. `--chmod=0750`"));
                }
            }
        }
    };
    Ok((chown, mode))
}

pub(super) fn user(d: &mut StageState, ctx: &mut Ctx<'_>, w: &ir::Word) -> Result<(), Error> {
    let u = d.expand(ctx, w)?;
    d.state = d.state.with_user(u.clone());
    d.image.config.user = u.clone();
    d.commit(<[&str]>::concat(&["USER ", &u]), false, false);
    Ok(())
}

pub(super) fn volume(
    d: &mut StageState,
    ctx: &mut Ctx<'_>,
    vols: &[ir::Word],
    span: TextRange,
) -> Result<(), Error> {
    let mut out = Vec::with_capacity(vols.len());
    for v in vols {
        let e = d.expand(ctx, v)?;
        if e.is_empty() {
            return Err(Error::new(ErrorKind::EmptyVolume, span));
        }
        out.push(e);
    }
    let map = d.image.config.volumes.get_or_insert_with(Default::default);
    for v in &out {
        map.insert(v.clone(), Empty {});
    }
    d.commit(<[&str]>::concat(&["VOLUME ", &go_list(&out)]), false, false);
    Ok(())
}

pub(super) fn expose(
    d: &mut StageState,
    ctx: &mut Ctx<'_>,
    ports: &[ir::Word],
    span: TextRange,
) -> Result<(), Error> {
    let mut raw: Vec<&ir::Word> = ports.iter().collect();
    raw.sort_by(|a, b| a.value.cmp(&b.value));
    let mut words = Vec::new();
    for p in raw {
        let env = super::dispatch::StateEnv(&d.state);
        words.extend(
            super::expand::expand_words(&p.value, &env, ctx.escape)
                .map_err(|e| super::Error::word(e, p.span))?,
        );
    }
    let mut specs = Vec::new();
    for w in &words {
        specs.extend(
            parse_port_spec(w)
                .map_err(|reason| Error::new(ErrorKind::InvalidPort { reason }, span))?,
        );
    }
    let map = d
        .image
        .config
        .exposed_ports
        .get_or_insert_with(Default::default);
    for p in &specs {
        map.insert(p.clone(), Empty {});
    }
    d.commit(
        <[&str]>::concat(&["EXPOSE ", &go_list(&specs)]),
        false,
        false,
    );
    Ok(())
}

fn parse_port_range(s: &str) -> Result<(u64, u64), String> {
    if s.is_empty() {
        return Err("empty string specified for ports".into());
    }
    let parse = |v: &str| v.parse::<u16>().map(u64::from).map_err(|e| e.to_string());
    match s.split_once('-') {
        None => {
            let p = parse(s)?;
            Ok((p, p))
        }
        Some((a, b)) => {
            let (a, b) = (parse(a)?, parse(b)?);
            if b < a {
                return Err(format!("invalid range specified for port: {s}"));
            }
            Ok((a, b))
        }
    }
}

/// `[ip:]host:container[/proto]` → `port/proto` entries.
pub(super) fn parse_port_spec(raw: &str) -> Result<Vec<String>, String> {
    let parts: Vec<&str> = raw.split(':').collect();
    let container = parts.last().copied().unwrap_or("");
    let host = if parts.len() >= 2 {
        parts[parts.len() - 2]
    } else {
        ""
    };
    let (port, proto) = container.split_once('/').unwrap_or((container, ""));
    if port.is_empty() {
        return Err(format!("no port specified: {container}<empty>"));
    }
    let proto = match proto.to_ascii_lowercase().as_str() {
        "" => "tcp".to_string(),
        p @ ("tcp" | "udp" | "sctp") => p.to_string(),
        p => return Err(format!("invalid proto: {p}")),
    };
    let (start, end) =
        parse_port_range(port).map_err(|_| format!("invalid containerPort: {port}"))?;
    if !host.is_empty() {
        parse_port_range(host).map_err(|_| format!("invalid hostPort: {host}"))?;
    }
    Ok((start..=end).map(|p| format!("{p}/{proto}")).collect())
}

const SIGNAL_HELP: &str = "expected a signal name (`SIGTERM`, `KILL`, `SIGRTMIN+1` to \
     `SIGRTMIN+15`, `SIGRTMAX-14` to `SIGRTMAX-1`) or a non-zero number";

pub(super) fn stop_signal(
    d: &mut StageState,
    ctx: &mut Ctx<'_>,
    w: &ir::Word,
) -> Result<(), Error> {
    let s = d.expand(ctx, w)?;
    if !valid_signal(&s) {
        return Err(
            Error::new(ErrorKind::InvalidSignal { signal: s }, w.span).with_help(SIGNAL_HELP)
        );
    }
    d.image.config.stop_signal = s.clone();
    d.commit(format!("STOPSIGNAL {s}"), false, false);
    Ok(())
}

/// Upstream's `signal.ParseSignal` on Linux: any non-zero 64-bit number, or
/// a name of its signal table, case-insensitive, `SIG` optional.
fn valid_signal(s: &str) -> bool {
    if let Ok(n) = s.parse::<i64>() {
        return n != 0;
    }
    let upper = s.to_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    const NAMES: &[&str] = &[
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT",
        "KILL", "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM",
        "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
        "RTMIN", "RTMAX",
    ];
    // The table spells the real-time offsets out: RTMIN+1..=15, RTMAX-14..=1.
    let offset_in = |rest: Option<&str>, max: u8| {
        rest.and_then(|r| r.parse::<u8>().ok().filter(|n| n.to_string() == r))
            .is_some_and(|n| (1..=max).contains(&n))
    };
    NAMES.contains(&name)
        || offset_in(name.strip_prefix("RTMIN+"), 15)
        || offset_in(name.strip_prefix("RTMAX-"), 14)
}

pub(super) fn cmd(d: &mut StageState, c: &CommandLine) {
    let args = command_args(d, c);
    d.commit(format!("CMD {}", go_quote_list(&args)), false, false);
    d.image.config.cmd = Some(args);
    d.image.config.args_escaped = true;
    d.cmd_set = true;
}

pub(super) fn entrypoint(d: &mut StageState, c: &CommandLine) {
    let args = command_args(d, c);
    d.commit(format!("ENTRYPOINT {}", go_quote_list(&args)), false, false);
    d.image.config.entrypoint = Some(args);
    if !d.cmd_set {
        d.image.config.cmd = None;
    }
}

pub(super) fn shell(d: &mut StageState, s: &[ir::Word]) {
    let v: Vec<String> = s.iter().map(|w| w.value.to_string()).collect();
    d.commit(format!("SHELL {}", go_list(&v)), false, false);
    d.image.config.shell = Some(v);
}

pub(super) fn healthcheck(d: &mut StageState, h: &Healthcheck) {
    let cfg = match h {
        Healthcheck::None => HealthConfig {
            test: Some(vec!["NONE".into()]),
            ..HealthConfig::default()
        },
        Healthcheck::Cmd {
            test,
            interval,
            timeout,
            start_period,
            start_interval,
            retries,
        } => {
            let t = match test {
                CommandLine::Exec(words) => {
                    let mut v = vec!["CMD".to_string()];
                    v.extend(words.iter().map(|w| w.value.to_string()));
                    v
                }
                CommandLine::Shell(w) => vec!["CMD-SHELL".to_string(), w.value.to_string()],
            };
            HealthConfig {
                test: Some(t),
                interval: nanos(*interval),
                timeout: nanos(*timeout),
                start_period: nanos(*start_period),
                start_interval: nanos(*start_interval),
                retries: retries.unwrap_or(0),
            }
        }
    };
    d.commit(healthcheck_history(&cfg), false, false);
    d.image.config.healthcheck = Some(cfg);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        assert_eq!(parse_port_spec("80").unwrap(), vec!["80/tcp"]);
        assert_eq!(parse_port_spec("53/UDP").unwrap(), vec!["53/udp"]);
        assert_eq!(
            parse_port_spec("8000-8002").unwrap(),
            vec!["8000/tcp", "8001/tcp", "8002/tcp"]
        );
        assert_eq!(
            parse_port_spec("127.0.0.1:80:8080").unwrap(),
            vec!["8080/tcp"]
        );
        assert!(parse_port_spec("80/foo").is_err());
    }

    #[test]
    fn signals_like_upstream() {
        let ok = "SIGKILL kill Sigterm SIGCLD SIGRTMIN RTMAX SIGRTMIN+15 rtmin+3 SIGRTMAX-14 \
                  RTMAX-1 65 -1 +9 09 999999 9223372036854775807";
        for s in ok.split_whitespace() {
            assert!(valid_signal(s), "{s}");
        }
        let bad = "SIGRTMIN+99 SIGRTMIN+16 SIGRTMIN+0 SIGRTMIN+03 SIGRTMAX-15 SIGRTMAX+1 \
                   SIGRTMIN-1 0 -0 00 9223372036854775808 SIGFOO SIG SIGSIGKILL SIGUNUSED 9x";
        for s in bad.split_whitespace() {
            assert!(!valid_signal(s), "{s}");
        }
        assert!(!valid_signal(""));
    }

    #[test]
    fn workdirs() {
        assert_eq!(normalize_workdir("/", "app"), "/app");
        assert_eq!(normalize_workdir("/app", "../x/"), "/x");
        // Absolute paths are kept as written (upstream `NormalizeWorkdir`).
        assert_eq!(normalize_workdir("", "/a/./b/"), "/a/./b/");
        assert_eq!(normalize_workdir("/tmp/", ""), "/tmp/");
    }
}
