//! Default mode: convert a Dockerfile and write the LLB Definition.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use std::collections::BTreeMap;

use llb_gen::convert::{self, ConvertOptions, ImageResolver, OfflineResolver};
use llb_gen::limits::Limits;

use crate::read_input;

/// Options of the default (conversion) mode.
#[derive(Debug, Args)]
pub(crate) struct BuildArgs {
    /// The Dockerfile to convert (`-` or absent: stdin).
    path: Option<PathBuf>,
    /// The stage to build (default: the last one).
    #[arg(long, value_name = "NAME")]
    target: Option<String>,
    /// A build argument (repeatable).
    #[arg(long = "build-arg", value_name = "K=V")]
    build_args: Vec<String>,
    /// Target platform, `os/arch[/variant]`.
    #[arg(long, value_name = "PLATFORM")]
    platform: Option<String>,
    /// Write the image config JSON of the result to this file.
    #[arg(long = "image-config", value_name = "FILE")]
    image_config: Option<PathBuf>,
    /// Print a readable dump of the Definition instead of protobuf bytes.
    #[arg(long)]
    json: bool,
    /// Do not contact registries: base images get an empty config.
    #[arg(long)]
    offline: bool,
    /// Do not use the on-disk cache of image configs (kept by digest; also
    /// `LLB_GEN_IMAGE_CACHE=off`). Tags are asked for on every run either way.
    #[arg(long = "no-image-cache")]
    no_image_cache: bool,
    /// The build context directory: its `.dockerignore` applies to the
    /// context source (as `buildctl --local context=DIR`). Without it no
    /// context `.dockerignore` is read.
    #[arg(long, value_name = "DIR")]
    context: Option<PathBuf>,
    /// A named build context, as BuildKit's `context:NAME` option:
    /// `docker-image://REF`, `local:DIR_NAME` (with `--local`), a Git or
    /// HTTP(S) URL (repeatable).
    #[arg(long = "build-context", value_name = "NAME=VALUE")]
    build_contexts: Vec<String>,
    /// The directory of a `local:<NAME>` named context, whose
    /// `.dockerignore` is read when the context is used (repeatable).
    #[arg(long = "local", value_name = "NAME=DIR")]
    locals: Vec<String>,
}

/// Answers the converter from disk (files) and `resolver` (images).
pub(crate) struct DiskHost<'a> {
    pub(crate) resolver: &'a dyn ImageResolver,
    /// Whether the Dockerfile is a file (not stdin): its `filename` is the
    /// path as given, so files beside it are asked for by paths relative to
    /// the working directory, or absolute.
    pub(crate) dockerfile_is_file: bool,
    pub(crate) context: Option<PathBuf>,
    pub(crate) locals: BTreeMap<String, PathBuf>,
}

impl convert::Host for DiskHost<'_> {
    fn resolve_images(&mut self, requests: &[convert::ImageRequest]) -> Vec<convert::ImageAnswer> {
        self.resolver.resolve(requests)
    }

    fn read_files(&mut self, requests: &[convert::FileRequest]) -> Vec<convert::FileAnswer> {
        requests.iter().map(|r| self.read(r)).collect()
    }

    fn list_dirs(&mut self, requests: &[convert::DirRequest]) -> Vec<convert::DirAnswer> {
        requests.iter().map(|r| self.list(r)).collect()
    }
}

impl DiskHost<'_> {
    /// Where `path` of `source` is on disk; `None` when the source has no
    /// directory (the Dockerfile from stdin, a context not given).
    fn locate(&self, source: &convert::FileSource, path: &str) -> Option<PathBuf> {
        let dir = match source {
            // The Dockerfile's name is the path as given: paths beside it
            // come relative to the working directory, or absolute.
            convert::FileSource::Dockerfile if self.dockerfile_is_file => {
                let p = if path.is_empty() { "." } else { path };
                return Some(PathBuf::from(p));
            }
            convert::FileSource::Dockerfile => None,
            convert::FileSource::Context => self.context.as_ref(),
            convert::FileSource::Local(name) => self.locals.get(name),
            _ => None,
        };
        Some(dir?.join(path.trim_start_matches('/')))
    }

    fn read(&self, r: &convert::FileRequest) -> convert::FileAnswer {
        match self.locate(&r.source, &r.path) {
            Some(path) => read_if_exists(&path),
            None => Ok(None),
        }
    }

    /// The names of the files in a directory (a missing one has none).
    fn list(&self, r: &convert::DirRequest) -> convert::DirAnswer {
        let Some(dir) = self.locate(&r.source, &r.dir) else {
            return Ok(Vec::new());
        };
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("cannot list {}: {e}", dir.display())),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
            if entry.path().is_file() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }
}

fn read_if_exists(path: &Path) -> convert::FileAnswer {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Exit code for usage and I/O errors (diagnostics exit with 1).
const USAGE: u8 = 2;

pub(crate) fn run_build(args: &BuildArgs) -> ExitCode {
    match build(args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("llb-gen: {msg}");
            ExitCode::from(USAGE)
        }
    }
}

fn build(args: &BuildArgs) -> Result<ExitCode, String> {
    let path = args.path.clone().unwrap_or_else(|| PathBuf::from("-"));
    let (name, bytes) =
        read_input(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let opts = options(args, &name)?;
    let online = if args.offline {
        None
    } else {
        Some(online_resolver(
            &Prefetch::plan(args, &path, &bytes, &opts),
            !args.no_image_cache,
        )?)
    };
    let resolver: &dyn ImageResolver = match &online {
        Some(r) => r.resolver(),
        None => &OfflineResolver,
    };
    // The whole output is made before any of it is written: a failure
    // (a limit, an unwritable --image-config) leaves stdout empty, never a
    // truncated Definition that `buildctl` could still read. The Definition
    // is at most 16 MiB (`Limits::max_definition_bytes`).
    let mut host = DiskHost {
        resolver,
        dockerfile_is_file: path.as_os_str() != "-",
        context: args.context.clone(),
        locals: locals(&args.locals)?,
    };
    // The converter takes the bytes over (no second copy of an 8 MiB file).
    let converter = convert::Converter::new(bytes, opts, Limits::DEFAULT);
    let (mut converter, mut conversion, mut out) = convert_once(converter, &mut host, args.json)?;
    // Marshaled before the guesses are confirmed: with a registry far away, the output is made
    // while its answers are on their way.
    if online.as_ref().is_some_and(|r| !r.confirm()) {
        // A guessed image is not what the registry says now: converted again, waiting for every
        // answer (registry/guess.rs), from the bytes as the converter keeps them.
        let bytes = converter.sources().main().bytes.to_vec();
        let again = convert::Converter::new(bytes, options(args, &name)?, Limits::DEFAULT);
        (converter, conversion, out) = convert_once(again, &mut host, args.json)?;
    }
    drop(host);
    drop(online);
    report(args, name, converter, conversion, &out)
}

/// Prints the diagnostics, writes `--image-config`, and then the Definition to stdout.
fn report(
    args: &BuildArgs,
    name: String,
    converter: convert::Converter,
    conversion: Converted,
    out: &Chunks,
) -> Result<ExitCode, String> {
    // Diagnostics index the bytes; their text has `?` for bytes that are
    // not UTF-8, so lines and columns count the bytes as read.
    let mut sources = converter.into_sources();
    sources.rename_main(name);
    let conversion = match conversion {
        Ok(c) => c,
        Err(diags) => {
            eprint!("{}", sources.render_all(&diags));
            return Ok(ExitCode::from(1));
        }
    };
    if !conversion.warnings.is_empty() {
        eprint!("{}", sources.render_all(&conversion.warnings));
    }
    if !conversion.required.is_empty() {
        // One Definition goes to stdout: a `buildctl build` reading it builds
        // the target only.
        eprintln!(
            "llb-gen: note: the target REQUIREs {} other stage(s), which are not in the printed definition (the frontend builds them along); build each with `--target <stage>`",
            conversion.required.len()
        );
    }
    if let Some(path) = &args.image_config {
        write_file(path, &conversion.image_config)?;
    }
    write_stdout(&out.0).map_err(|e| format!("cannot write to stdout: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// One conversion and its output (the Definition marshaled into chunks), or its diagnostics.
fn convert_once(
    mut converter: convert::Converter,
    host: &mut DiskHost<'_>,
    json: bool,
) -> Result<(convert::Converter, Converted, Chunks), String> {
    let mut out = Chunks::default();
    let conversion = match convert::run_to_ready(&mut converter, host) {
        Err(diags) => Err(diags),
        Ok(ready) if json => ready.marshal().map(|c| {
            out.0.push(llb_gen::llb::dump(&c.definition).into_bytes());
            convert::StreamedConversion::from(c)
        }),
        // Marshaled op by op into `out`, without a `pb::Definition` copy. The graph is left
        // allocated: the process ends after writing `out` (4-8% of the 500-stage file's CPU).
        Ok(ready) => ready
            .marshal_to(&mut out, llb_gen::llb::Teardown::Leave)
            .map_err(|e| format!("cannot write the definition: {e}"))?,
    };
    Ok((converter, conversion, out))
}

/// A conversion's result: what is written, or every diagnostic.
type Converted = Result<convert::StreamedConversion, Vec<llb_gen::diagnostic::Diagnostic>>;

/// Writes `chunks` to stdout in as few `writev` calls as the kernel takes, not through `Stdout`,
/// whose line buffering cuts binary output at every newline byte (two writes per chunk).
fn write_stdout(chunks: &[Vec<u8>]) -> std::io::Result<()> {
    use std::io::IoSlice;
    use std::os::fd::AsFd as _;
    let stdout = std::io::stdout().lock();
    let mut file = std::fs::File::from(stdout.as_fd().try_clone_to_owned()?);
    let mut slices: Vec<IoSlice<'_>> = chunks.iter().map(|c| IoSlice::new(c)).collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        match file.write_vectored(rest) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The output, held until the conversion has succeeded, in chunks of 64 KiB:
/// a growing `Vec` would hold up to twice the Definition while it doubles.
#[derive(Default)]
struct Chunks(Vec<Vec<u8>>);

impl Write for Chunks {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        const CHUNK: usize = 64 << 10;
        let mut rest = buf;
        while !rest.is_empty() {
            if self.0.last().is_none_or(|c| c.len() == CHUNK) {
                self.0.push(Vec::with_capacity(CHUNK));
            }
            if let Some(last) = self.0.last_mut() {
                let n = rest.len().min(CHUNK - last.len());
                last.extend_from_slice(&rest[..n]);
                rest = &rest[n..];
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `--local NAME=DIR` options.
fn locals(specs: &[String]) -> Result<BTreeMap<String, PathBuf>, String> {
    let mut out = BTreeMap::new();
    for spec in specs {
        match spec.split_once('=') {
            Some((name, dir)) if !name.is_empty() && !dir.is_empty() => {
                out.insert(name.to_string(), PathBuf::from(dir));
            }
            _ => return Err(format!("--local {spec:?}: expected NAME=DIR")),
        }
    }
    Ok(out)
}

/// The converter options from the command line, given to the library's
/// option parser as the frontend options they stand for (`build-arg:K`,
/// `context:NAME`, `platform`).
fn options(args: &BuildArgs, filename: &str) -> Result<ConvertOptions, String> {
    let mut kv = BTreeMap::new();
    for spec in &args.build_args {
        let (k, v) = spec
            .split_once('=')
            .ok_or_else(|| format!("--build-arg {spec:?}: expected KEY=VALUE"))?;
        if k.is_empty() {
            return Err(format!("--build-arg {spec:?}: empty name"));
        }
        kv.insert(format!("build-arg:{k}"), v.to_string());
    }
    for spec in &args.build_contexts {
        match spec.split_once('=') {
            Some((k, v)) if !k.is_empty() && !v.is_empty() => {
                kv.insert(format!("context:{k}"), v.to_string());
            }
            _ => return Err(format!("--build-context {spec:?}: expected NAME=VALUE")),
        }
    }
    if let Some(spec) = &args.platform {
        kv.insert("platform".to_string(), spec.clone());
    }
    let mut base = ConvertOptions::default();
    base.filename = filename.to_string();
    base.build_platform = llb_gen::options::host_platform();
    // Build args and contexts are taken as they are: only the platform can
    // be refused.
    let parsed = llb_gen::options::parse(&kv, base).map_err(|e| match &args.platform {
        Some(spec) => format!("--platform {spec:?}: {e}"),
        None => e.to_string(),
    })?;
    let mut platforms = parsed.platforms.iter().cloned();
    let mut opts = parsed.convert_options_for(platforms.next());
    if platforms.next().is_some() {
        return Err("--platform: one platform at a time".to_string());
    }
    opts.target.clone_from(&args.target);
    Ok(opts)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The images to start resolving before the converter asks (see `prefetch.rs`).
#[cfg_attr(not(feature = "registry"), allow(dead_code))] // read by the registry resolver only
pub(crate) struct Prefetch {
    references: Vec<String>,
    platform: llb_gen::convert::Platform,
}

impl Prefetch {
    /// None at all when a lock beside the Dockerfile may pin them (then the converter asks the
    /// registries nothing for a locked image) or a named context may replace them.
    fn plan(args: &BuildArgs, path: &Path, bytes: &[u8], opts: &ConvertOptions) -> Prefetch {
        let platform = opts
            .target_platform
            .clone()
            .unwrap_or_else(|| opts.build_platform.clone());
        let mut lock = path.as_os_str().to_owned();
        lock.push(".lock");
        let skip = !args.build_contexts.is_empty()
            || (path.as_os_str() != "-" && Path::new(&lock).exists());
        Prefetch {
            references: if skip {
                Vec::new()
            } else {
                crate::prefetch::literal_bases(bytes)
            },
            platform,
        }
    }

    /// Nothing to start (the `lock` subcommand).
    pub(crate) fn none() -> Prefetch {
        Prefetch {
            references: Vec::new(),
            platform: llb_gen::options::host_platform(),
        }
    }
}

/// What the CLI asks of its online resolver besides the converter's questions.
pub(crate) trait Online {
    /// The resolver the converter asks.
    fn resolver(&self) -> &dyn ImageResolver;
    /// Whether every answer given so far stands; when not, the caller converts again (and the
    /// resolver guesses no more).
    fn confirm(&self) -> bool;
}

/// The registry resolver of the run, with `prefetch` started and the config cache if `cache`.
#[cfg(feature = "registry")]
pub(crate) fn online_resolver(prefetch: &Prefetch, cache: bool) -> Result<Box<dyn Online>, String> {
    let resolver = crate::registry::RegistryResolver::new(cache)?;
    resolver.prefetch(&prefetch.references, &prefetch.platform);
    Ok(Box::new(resolver))
}

#[cfg(not(feature = "registry"))]
pub(crate) fn online_resolver(_: &Prefetch, _: bool) -> Result<Box<dyn Online>, String> {
    Err(
        "this llb-gen was built without registry support: pass --offline, \
         or rebuild with `cargo build -p llb-gen-cli --features registry`"
            .to_string(),
    )
}

/// A Dockerfile's stages as the build sees them, for `outline` and `graph`.
pub(crate) struct Planning {
    /// The plan, or every diagnostic.
    pub(crate) result: Result<Box<convert::Planned>, Vec<llb_gen::diagnostic::Diagnostic>>,
    /// The build's files (the Dockerfile named as given).
    pub(crate) sources: llb_gen::sources::SourceSet,
}

/// Plans `path` (composed with the files beside it, imports loaded, the
/// target and what it reaches) without resolving any image.
pub(crate) fn plan(
    path: &Path,
    target: Option<&str>,
    build_args: &[String],
    context: Option<&Path>,
) -> Result<Planning, String> {
    let (name, bytes) =
        read_input(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let args = BuildArgs {
        path: Some(path.to_path_buf()),
        target: target.map(str::to_string),
        build_args: build_args.to_vec(),
        platform: None,
        image_config: None,
        json: false,
        offline: true,
        no_image_cache: false,
        context: context.map(Path::to_path_buf),
        build_contexts: Vec::new(),
        locals: Vec::new(),
    };
    let opts = options(&args, &name)?;
    let mut host = DiskHost {
        resolver: &OfflineResolver,
        dockerfile_is_file: path.as_os_str() != "-",
        context: args.context.clone(),
        locals: BTreeMap::new(),
    };
    let mut converter = convert::Converter::new(bytes, opts, Limits::DEFAULT).until_planned();
    let result = loop {
        match converter.step() {
            convert::Step::Need(requests) => {
                let answers = convert::Host::answer(&mut host, &requests);
                converter.answer(answers);
            }
            convert::Step::Planned(p) => break Ok(p),
            convert::Step::Failed(d) => break Err(d),
            convert::Step::Ready(_) | convert::Step::Composed(_) => {
                return Err("the conversion went past its plan".to_string())
            }
        }
    };
    let mut sources = converter.into_sources();
    sources.rename_main(name);
    Ok(Planning { result, sources })
}
