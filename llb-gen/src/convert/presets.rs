//! Cache presets (`RUN --cache=<preset>`, `CACHE <preset>`): the cache
//! mounts, exec-only environment and step-only configuration files that
//! make a package manager keep its downloads across builds, with nothing of
//! it in the image (`docs/superset.md`, "Cache presets").
//!
//! Where the tool lets an environment variable (or apt's `APT_CONFIG`) name
//! its cache directory, the cache is mounted under [`ROOT`], inside the
//! container's `/dev` tmpfs: no mount point is ever created in the image's
//! file system, and the directory is the same whoever the user is. The
//! variables are set on the exec op only (never in the image config).
//! Tools that only look at a fixed path (apk, dnf, cargo's registry) get
//! their cache mounted there.

use crate::ir::{CachePreset, CommandInfo};
use crate::llb;
use crate::path::clean;

use super::dispatch::StageState;
use super::error::{Error, ErrorKind};

/// Where relocatable caches are mounted: inside `/dev`, a tmpfs the
/// runtime makes for every exec, so no mount stub reaches a layer.
pub(super) const ROOT: &str = "/dev/.cache";

/// How a setting tells the tool where its cache is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    /// An environment variable holding the path.
    Env(&'static str),
    /// `MAVEN_OPTS` gets `-Dmaven.repo.local=<path>` appended.
    MavenOpts,
    /// A key of the step-only apt configuration file.
    AptConf(&'static str),
}

/// One cache directory a preset relocates.
#[derive(Clone, Copy, Debug)]
struct Setting {
    via: Via,
    /// The directory inside the preset's mount (`""`: the mount itself).
    sub: &'static str,
    /// The tool's default place for root: an explicit cache mount there is
    /// used instead of the preset's.
    default: &'static str,
}

const fn env(name: &'static str, sub: &'static str, default: &'static str) -> Setting {
    Setting {
        via: Via::Env(name),
        sub,
        default,
    }
}

/// What one preset does.
struct Def {
    /// `locked` where the tool cannot share its cache with a concurrent
    /// build, else `shared`.
    locked: bool,
    /// Relocated directories (one mount at `ROOT/<preset>` holds them all).
    settings: &'static [Setting],
    /// Fixed places the tool always uses (each its own mount).
    fixed: &'static [&'static str],
    /// Constant exec-only environment.
    extra_env: &'static [(&'static str, &'static str)],
    /// Directories the mount is created with (the tool does not make them).
    dirs: &'static [&'static str],
}

fn def(p: CachePreset) -> Def {
    use CachePreset as P;
    let d = |locked, settings, fixed, extra_env, dirs| Def {
        locked,
        settings,
        fixed,
        extra_env,
        dirs,
    };
    match p {
        P::Apt => d(true, APT, &[], &[], &["archives/partial", "lists/partial"]),
        P::Apk => d(true, &[], &["/etc/apk/cache"], &[], &[]),
        P::Dnf => d(
            true,
            &[],
            &["/var/cache/dnf", "/var/cache/libdnf5"],
            &[],
            &[],
        ),
        P::Pip => d(false, PIP, &[], &[], &[]),
        P::Uv => d(false, UV, &[], UV_ENV, &[]),
        P::Poetry => d(true, POETRY, &[], &[], &[]),
        P::Npm => d(false, NPM, &[], &[], &[]),
        P::Pnpm => d(false, PNPM, &[], &[], &[]),
        P::Yarn => d(true, YARN, &[], &[], &[]),
        P::Go => d(false, GO, &[], &[], &[]),
        P::Cargo => d(true, &[], &[], &[], &[]),
        P::Maven => d(true, MAVEN, &[], &[], &[]),
        P::Gradle => d(false, GRADLE, &[], &[], &[]),
        P::Ccache => d(false, CCACHE, &[], &[], &[]),
    }
}

const APT: &[Setting] = &[
    Setting {
        via: Via::AptConf("Dir::Cache"),
        sub: "",
        default: "/var/cache/apt",
    },
    Setting {
        via: Via::AptConf("Dir::State::lists"),
        sub: "lists",
        default: "/var/lib/apt/lists",
    },
];
const PIP: &[Setting] = &[env("PIP_CACHE_DIR", "", "/root/.cache/pip")];
const UV: &[Setting] = &[env("UV_CACHE_DIR", "", "/root/.cache/uv")];
const NPM: &[Setting] = &[env("npm_config_cache", "", "/root/.npm")];
const GRADLE: &[Setting] = &[env("GRADLE_USER_HOME", "", "/root/.gradle")];
const CCACHE: &[Setting] = &[env("CCACHE_DIR", "", "/root/.ccache")];
const UV_ENV: &[(&str, &str)] = &[("UV_LINK_MODE", "copy")];
const POETRY: &[Setting] = &[env("POETRY_CACHE_DIR", "", "/root/.cache/pypoetry")];
const PNPM: &[Setting] = &[env(
    "npm_config_store_dir",
    "",
    "/root/.local/share/pnpm/store",
)];
const YARN: &[Setting] = &[env("YARN_CACHE_FOLDER", "", "/usr/local/share/.cache/yarn")];
const GO: &[Setting] = &[
    env("GOCACHE", "build", "/root/.cache/go-build"),
    env("GOMODCACHE", "mod", "/go/pkg/mod"),
];
const MAVEN: &[Setting] = &[Setting {
    via: Via::MavenOpts,
    sub: "",
    default: "/root/.m2/repository",
}];

/// Whom the cache directories belong to: the stage's `USER`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Owner {
    Root,
    /// A numeric user (and group, else the user's id).
    Ids(u32, u32),
    /// A user by name: its id is unknown at conversion time, so the
    /// directory is world-writable (`0777`) and the cache is the user's own.
    Named(String),
}

impl Owner {
    fn of(user: &str) -> Owner {
        let (u, g) = user.split_once(':').unwrap_or((user, ""));
        match (u, u.parse::<u32>()) {
            ("" | "root", _) | (_, Ok(0)) => Owner::Root,
            (_, Ok(uid)) => Owner::Ids(uid, g.parse().unwrap_or(uid)),
            _ => Owner::Named(u.to_string()),
        }
    }

    /// The part of a cache id that keeps users apart.
    fn id_part(&self) -> String {
        match self {
            Owner::Root => String::new(),
            Owner::Ids(uid, _) => format!("/uid-{uid}"),
            Owner::Named(n) => format!("/user-{n}"),
        }
    }
}

/// What the presets of one RUN add to its exec.
#[derive(Debug, Default)]
pub(super) struct Applied {
    pub mounts: Vec<llb::Mount>,
    pub env: Vec<(String, String)>,
}

/// The presets in effect for a RUN: the stage's `CACHE` ones, then the
/// RUN's own, each once.
pub(super) fn in_effect(stage: &[CachePreset], run: &[CachePreset]) -> Vec<CachePreset> {
    let mut out: Vec<CachePreset> = Vec::new();
    for p in stage.iter().chain(run) {
        if !out.contains(p) {
            out.push(*p);
        }
    }
    out
}

/// The inputs of one preset's expansion.
struct Site<'a> {
    d: &'a StageState,
    /// Targets the RUN mounts explicitly: a preset never mounts there.
    explicit: &'a [String],
    ns: &'a str,
    owner: Owner,
    info: &'a CommandInfo,
}

/// The mounts and exec environment of `presets` for a RUN of stage `d`
/// whose explicit mounts have `explicit` targets.
pub(super) fn apply(
    d: &StageState,
    presets: &[CachePreset],
    explicit: &[String],
    ns: &str,
    info: &CommandInfo,
) -> Result<Applied, Error> {
    let site = Site {
        d,
        explicit,
        ns,
        owner: Owner::of(&d.image.config.user),
        info,
    };
    let mut out = Applied::default();
    for p in presets {
        one(&site, *p, &mut out)?;
    }
    Ok(out)
}

fn one(site: &Site<'_>, p: CachePreset, out: &mut Applied) -> Result<(), Error> {
    let def = def(p);
    let root = format!("{ROOT}/{}", p.name());
    let mut apt_conf = Vec::new();
    let mut use_root = false;
    for s in def.settings {
        let path = match user_path(site, s) {
            Some(theirs) => {
                // The stage already says where: mount there, set nothing.
                fixed_mount(site, p, &def, &theirs, out);
                if let Via::AptConf(key) = s.via {
                    apt_conf.push(format!("{key} \"{theirs}/\";"));
                }
                continue;
            }
            None if is_explicit(site, s.default) => s.default.to_string(),
            None => {
                use_root = true;
                clean(&format!("{root}/{}", s.sub))
            }
        };
        set(site, s.via, &path, out, &mut apt_conf);
    }
    if use_root && !is_explicit(site, &root) {
        let id = cache_id(site, p, "");
        out.mounts.push(cache_mount(site, p, &def, &root, id));
    }
    for target in fixed_targets(site, p, &def)? {
        fixed_mount(site, p, &def, &target, out);
    }
    for (k, v) in def.extra_env {
        if site.d.state.get_env(k).is_none() {
            out.env.push((k.to_string(), v.to_string()));
        }
    }
    if p == CachePreset::Apt {
        apt_config(site, apt_conf, out);
    }
    Ok(())
}

/// The path the stage's own environment gives a setting, if any.
fn user_path(site: &Site<'_>, s: &Setting) -> Option<String> {
    match s.via {
        Via::Env(name) => site
            .d
            .state
            .get_env(name)
            .filter(|v| v.starts_with('/'))
            .map(clean),
        Via::MavenOpts | Via::AptConf(_) => None,
    }
}

fn is_explicit(site: &Site<'_>, target: &str) -> bool {
    site.explicit.iter().any(|t| clean(t) == clean(target))
}

/// Points the tool at `path`.
fn set(site: &Site<'_>, via: Via, path: &str, out: &mut Applied, apt_conf: &mut Vec<String>) {
    match via {
        Via::Env(name) => out.env.push((name.to_string(), path.to_string())),
        Via::MavenOpts => {
            let mut opts = site.d.state.get_env("MAVEN_OPTS").unwrap_or("").to_string();
            if !opts.is_empty() {
                opts.push(' ');
            }
            opts.push_str(&format!("-Dmaven.repo.local={path}"));
            out.env.push(("MAVEN_OPTS".to_string(), opts));
        }
        Via::AptConf(key) => apt_conf.push(format!("{key} \"{path}/\";")),
    }
}

/// The fixed places of a preset; cargo's follow `CARGO_HOME` or `HOME`.
fn fixed_targets(site: &Site<'_>, p: CachePreset, def: &Def) -> Result<Vec<String>, Error> {
    if p != CachePreset::Cargo {
        return Ok(def.fixed.iter().map(|s| s.to_string()).collect());
    }
    let env = |k: &str| site.d.state.get_env(k).filter(|v| v.starts_with('/'));
    let home = match (env("CARGO_HOME"), env("HOME"), &site.owner) {
        (Some(c), _, _) => clean(c),
        (None, Some(h), _) => clean(&format!("{h}/.cargo")),
        (None, None, Owner::Root) => "/root/.cargo".to_string(),
        (None, None, _) => {
            let kind = ErrorKind::CachePresetTarget {
                preset: p.name().to_string(),
                detail: format!(
                    "cargo keeps its cache in `$CARGO_HOME`, and for USER `{}` neither `CARGO_HOME` nor `HOME` is set",
                    site.d.image.config.user
                ),
            };
            let help = "set `ENV CARGO_HOME=<dir>` (or `HOME`) before this RUN";
            return Err(Error::new(kind, site.info.span).with_help(help));
        }
    };
    Ok(vec![format!("{home}/registry"), format!("{home}/git")])
}

/// A cache mount at a fixed `target`, unless the RUN mounts there itself.
fn fixed_mount(site: &Site<'_>, p: CachePreset, def: &Def, target: &str, out: &mut Applied) {
    if is_explicit(site, target) {
        return;
    }
    let id = cache_id(site, p, target);
    out.mounts.push(cache_mount(site, p, def, target, id));
}

/// `<ns>/preset-<name>/<os>-<arch>[-<variant>][/uid-N|/user-NAME][<target>]`.
fn cache_id(site: &Site<'_>, p: CachePreset, target: &str) -> String {
    let pl = &site.d.platform;
    let mut platform = format!("{}-{}", pl.os, pl.architecture);
    if let Some(v) = pl.variant.as_deref().filter(|v| !v.is_empty()) {
        platform.push('-');
        platform.push_str(v);
    }
    let target = if target.is_empty() {
        String::new()
    } else {
        clean(target)
    };
    format!(
        "{}/preset-{}/{platform}{}{target}",
        site.ns,
        p.name(),
        site.owner.id_part()
    )
}

/// The cache mount itself: owned by the stage's user, with the directories
/// the tool needs, `sharing` as the tool can bear.
fn cache_mount(site: &Site<'_>, p: CachePreset, def: &Def, target: &str, id: String) -> llb::Mount {
    let sharing = if def.locked {
        llb::CacheSharing::Locked
    } else {
        llb::CacheSharing::Shared
    };
    let mount = llb::CacheMount::new(target.to_string(), id, sharing);
    let dirs = if target.starts_with(ROOT) {
        def.dirs
    } else {
        &[]
    };
    if site.owner == Owner::Root && dirs.is_empty() {
        return mount.into();
    }
    let (owner, mode) = match &site.owner {
        Owner::Root => (llb::ChownOpt::ids(0, 0), 0o755),
        Owner::Ids(u, g) => (llb::ChownOpt::ids(*u, *g), 0o755),
        Owner::Named(_) => (llb::ChownOpt::ids(0, 0), 0o777),
    };
    let opts = |parents| llb::MkdirOptions {
        make_parents: parents,
        owner: Some(owner.clone()),
        timestamp: None,
    };
    let mut action = llb::FileAction::mkdir("/cache", mode, opts(false));
    for dir in dirs {
        action = action.then(llb::FileAction::mkdir(
            format!("/cache/{dir}"),
            mode,
            opts(true),
        ));
    }
    let name = format!("[internal] preparing cache preset {}", p.name());
    let op = || llb::OpOptions::default().custom_name(name.clone());
    let mut seed = llb::scratch().file(action, op());
    if let Owner::Named(_) = site.owner {
        // BuildKit v0.8 makes directories under its umask (0755); a copy's
        // mode is a chmod, which every version applies as given.
        let opts = llb::CopyOptions {
            mode: Some(0o777),
            ..Default::default()
        };
        let copy = llb::FileAction::copy(llb::CopyInput::State(seed), "/cache", "/cache", opts);
        seed = llb::scratch().file(copy, op());
    }
    mount.from(seed).selector("/cache").into()
}

/// apt: a configuration file bind-mounted (read-only, inside `/dev`) for
/// the step only and named by `APT_CONFIG`, which apt reads before
/// `/etc/apt/apt.conf.d`: the cache and list directories, and keeping
/// downloaded packages. The image's own `APT_CONFIG`, if any, is included.
fn apt_config(site: &Site<'_>, keys: Vec<String>, out: &mut Applied) {
    let mut text = String::new();
    if let Some(theirs) = site.d.state.get_env("APT_CONFIG").filter(|v| !v.is_empty()) {
        text.push_str(&format!("#include \"{theirs}\";\n"));
    }
    for line in keys {
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str("APT::Keep-Downloaded-Packages \"true\";\n");
    text.push_str("Binary::apt::APT::Keep-Downloaded-Packages \"true\";\n");
    let opts = llb::OpOptions::default().custom_name("[internal] preparing cache preset apt");
    let file = llb::scratch().file(
        llb::FileAction::mkfile("/apt.conf", 0o644, text, llb::MkfileOptions::default()),
        opts,
    );
    let target = format!("{ROOT}/apt.conf");
    out.mounts.push(
        llb::BindMount::new(target.clone(), file)
            .readonly(true)
            .selector("/apt.conf")
            .into(),
    );
    out.env.push(("APT_CONFIG".to_string(), target));
}

#[cfg(test)]
#[path = "presets_tests.rs"]
mod tests;
