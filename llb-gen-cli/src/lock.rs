//! `llb-gen lock`: resolve every base image the Dockerfile's targets can
//! reach, for each platform asked, and write `<Dockerfile>.lock`; with
//! `--check`, compare the lock with the registries and report drift.
//!
//! Which images: each named stage and the last stage is converted as the
//! target (lock off, the build args given, ARG defaults otherwise), and
//! every image base the conversion asks the registry for is locked. So the
//! branches of `IF` taken with those build args, and the image names
//! their variables expand to, are what gets locked; build it with other
//! args and the lock misses those images (`UnlockedImage` says so).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use llb_gen::convert::{self, ConvertOptions, ImageRequest, ImageResolver, ResolvedImage, Step};
use llb_gen::diagnostic::Diagnostic;
use llb_gen::limits::Limits;
use llb_gen::lock::{self, Lock, LockedImage};
use llb_gen::sources::SourceSet;

use crate::build::DiskHost;
use crate::read_input;

/// What `llb-gen lock` was asked.
pub(crate) struct LockArgs<'a> {
    pub(crate) path: &'a Path,
    pub(crate) platforms: Option<&'a str>,
    pub(crate) check: bool,
    pub(crate) build_args: &'a [String],
}

/// Resolves each image request once for the whole run (all targets and
/// platforms), recording what it answered.
struct Recording<'a> {
    inner: &'a dyn ImageResolver,
    seen: RefCell<BTreeMap<ImageRequest, Result<ResolvedImage, String>>>,
}

impl ImageResolver for Recording<'_> {
    fn resolve(&self, requests: &[ImageRequest]) -> Vec<Result<ResolvedImage, String>> {
        let missing: Vec<ImageRequest> = requests
            .iter()
            .filter(|r| !self.seen.borrow().contains_key(*r))
            .cloned()
            .collect();
        if !missing.is_empty() {
            let answers = self.inner.resolve(&missing);
            let mut seen = self.seen.borrow_mut();
            for (r, a) in missing.into_iter().zip(answers) {
                seen.insert(r, a);
            }
        }
        let seen = self.seen.borrow();
        requests
            .iter()
            .map(|r| {
                seen.get(r)
                    .cloned()
                    .unwrap_or_else(|| Err(format!("{}: not resolved", r.reference)))
            })
            .collect()
    }
}

pub(crate) fn run_lock(args: &LockArgs<'_>) -> ExitCode {
    match lock_or_check(args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("llb-gen lock: {msg}");
            ExitCode::from(2)
        }
    }
}

fn lock_or_check(args: &LockArgs<'_>) -> Result<ExitCode, String> {
    if args.path.as_os_str() == "-" {
        return Err("the Dockerfile must be a file: the lock is written beside it".into());
    }
    let (name, bytes) =
        read_input(args.path).map_err(|e| format!("cannot read {}: {e}", args.path.display()))?;
    let base = base_options(&name, args.build_args)?;
    let platforms = match args.platforms {
        Some(spec) => llb_gen::options::parse_platforms(spec, &base.build_platform)
            .map_err(|e| format!("--platform {spec:?}: {e}"))?,
        None => vec![base.build_platform.clone()],
    };
    let online = crate::build::online_resolver(&crate::build::Prefetch::none(), true)?;
    let recording = Recording {
        inner: online.resolver(),
        seen: RefCell::default(),
    };
    let mut host = DiskHost {
        resolver: &recording,
        dockerfile_is_file: true,
        context: None,
        locals: BTreeMap::new(),
    };
    let targets = match targets(&bytes, &base, &mut host) {
        Ok(t) => t,
        Err((diags, sources)) => return Ok(failed(&diags, sources, &name)),
    };
    for platform in &platforms {
        for target in &targets {
            let mut opts = base.clone();
            opts.target_platform = Some(platform.clone());
            opts.target.clone_from(target);
            let mut c = convert::Converter::new(bytes.clone(), opts, Limits::DEFAULT);
            if let Err(diags) = convert::run_to_ready(&mut c, &mut host) {
                return Ok(failed(&diags, c.into_sources(), &name));
            }
        }
    }
    let fresh = lock_from(&recording.seen.borrow())?;
    let lock_path = PathBuf::from(lock::file_name(&name));
    if args.check {
        return check(&lock_path, &fresh);
    }
    write_atomically(&lock_path, &fresh.to_json())?;
    eprintln!(
        "llb-gen lock: wrote {} ({} image(s), {} target(s), {} platform(s))",
        lock_path.display(),
        fresh.entries().count(),
        targets.len(),
        platforms.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// The conversion options every run starts from: the build args, the
/// lock not read (it is what is being made).
fn base_options(name: &str, build_args: &[String]) -> Result<ConvertOptions, String> {
    let mut opts = ConvertOptions::default();
    opts.filename = name.to_string();
    opts.build_platform = llb_gen::options::host_platform();
    opts.use_lock = false;
    for spec in build_args {
        match spec.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                opts.build_args.insert(k.to_string(), v.to_string());
            }
            _ => return Err(format!("--build-arg {spec:?}: expected KEY=VALUE")),
        }
    }
    Ok(opts)
}

/// The targets to convert: every named stage and the last stage (`None`),
/// of the file as composed.
fn targets(
    bytes: &[u8],
    base: &ConvertOptions,
    host: &mut DiskHost<'_>,
) -> Result<Vec<Option<String>>, (Vec<Diagnostic>, SourceSet)> {
    let mut c =
        convert::Converter::new(bytes.to_vec(), base.clone(), Limits::DEFAULT).until_composed();
    loop {
        match c.step() {
            Step::Need(req) => {
                let answers = convert::Host::answer(host, &req);
                c.answer(answers);
            }
            Step::Composed(composed) => {
                let mut out: Vec<Option<String>> = composed
                    .dockerfile
                    .stages
                    .iter()
                    .filter_map(|s| s.name.as_ref().map(|n| Some(n.value.to_string())))
                    .collect();
                out.push(None);
                return Ok(out);
            }
            Step::Failed(d) => return Err((d, c.into_sources())),
            Step::Ready(_) | Step::Planned(_) => return Err((Vec::new(), c.into_sources())),
        }
    }
}

fn failed(diags: &[Diagnostic], mut sources: SourceSet, name: &str) -> ExitCode {
    sources.rename_main(name);
    eprint!("{}", sources.render_all(diags));
    ExitCode::from(1)
}

/// The lock of what the registries answered: plain image bases only (named
/// contexts stand in for images, and are not locked).
fn lock_from(seen: &BTreeMap<ImageRequest, Result<ResolvedImage, String>>) -> Result<Lock, String> {
    let mut out = Lock::new();
    for (req, answer) in seen {
        if req.log_name.is_some() || req.oci_store.is_some() {
            continue;
        }
        let image = answer.as_ref().map_err(Clone::clone)?;
        let locked = LockedImage {
            digest: image.digest.clone(),
            config: image.config.clone(),
        };
        out.insert(&req.reference, &req.platform, locked)?;
    }
    Ok(out)
}

/// `--check`: the lock on disk against `fresh`; each difference on
/// stdout, exit 1 when there is any.
fn check(path: &Path, fresh: &Lock) -> Result<ExitCode, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            print_lines(&[format!("{}: no lock file", path.display())]);
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let locked = match lock::parse(&bytes) {
        Ok(l) => l,
        Err(errors) => {
            let diags: Vec<Diagnostic> = errors.iter().map(|e| e.to_diagnostic(0)).collect();
            let set = SourceSet::new(path.display().to_string(), bytes);
            eprint!("{}", set.render_all(&diags));
            return Ok(ExitCode::from(1));
        }
    };
    let lines: Vec<String> = differences(&locked, fresh)
        .into_iter()
        .map(|line| format!("{}: {line}", path.display()))
        .collect();
    print_lines(&lines);
    if lines.is_empty() {
        eprintln!("llb-gen lock: {} is up to date", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    Ok(ExitCode::from(1))
}

/// The lines on stdout (a closed stdout is not an error of the check).
fn print_lines(lines: &[String]) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
}

/// What differs between the lock on disk and what the registries say now.
pub(crate) fn differences(locked: &Lock, fresh: &Lock) -> Vec<String> {
    let mut out = Vec::new();
    let key = |r: &str, p: &str| (r.to_string(), p.to_string());
    let old: BTreeMap<_, _> = locked.entries().map(|(r, p, i)| (key(r, p), i)).collect();
    let new: BTreeMap<_, _> = fresh.entries().map(|(r, p, i)| (key(r, p), i)).collect();
    for ((r, p), now) in &new {
        match old.get(&(r.clone(), p.clone())) {
            None => out.push(format!("{r} ({p}): not locked (registry: {})", now.digest)),
            Some(was) if was.digest != now.digest => out.push(format!(
                "{r} ({p}): drift: locked {}, registry now {}",
                was.digest, now.digest
            )),
            Some(was) if was.config != now.config => out.push(format!(
                "{r} ({p}): the locked config differs from the registry's"
            )),
            Some(_) => {}
        }
    }
    for (r, p) in old.keys().filter(|k| !new.contains_key(*k)) {
        out.push(format!("{r} ({p}): locked but no target uses it"));
    }
    out
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over
/// `path`: a reader never sees half a lock.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use llb_gen::convert::Platform;

    fn lock(entries: &[(&str, char)]) -> Lock {
        let mut l = Lock::new();
        for (r, d) in entries {
            let image = LockedImage {
                digest: format!("sha256:{}", d.to_string().repeat(64)),
                config: b"{}".to_vec(),
            };
            l.insert(r, &Platform::linux_amd64(), image).unwrap();
        }
        l
    }

    #[test]
    fn differences_name_drift_missing_and_unused_entries() {
        let old = lock(&[("a:1", '1'), ("b:1", '2'), ("gone:1", '3')]);
        let new = lock(&[("a:1", '1'), ("b:1", '4'), ("c:1", '5')]);
        let d = differences(&old, &new);
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(d[0].starts_with("docker.io/library/b:1 (linux/amd64): drift: locked sha256:222"));
        assert!(d[1].starts_with("docker.io/library/c:1 (linux/amd64): not locked"));
        assert!(d[2].contains("gone:1") && d[2].contains("no target uses it"));
        assert!(differences(&old, &old).is_empty());
    }
}
