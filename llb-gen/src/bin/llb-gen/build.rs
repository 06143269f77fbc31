//! Default mode: convert a Dockerfile and write the LLB Definition.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use llb_gen::convert::{self, ConvertOptions, ImageResolver, OfflineResolver};
use llb_gen::diagnostic::{render_all, SourceFile};

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
        Some(online_resolver()?)
    };
    let resolver: &dyn ImageResolver = match &online {
        Some(r) => r.as_ref(),
        None => &OfflineResolver,
    };
    // The whole output is made before any of it is written: a failure
    // (a limit, an unwritable --image-config) leaves stdout empty, never a
    // truncated Definition that `buildctl` could still read. The Definition
    // is at most 16 MiB (`Limits::max_definition_bytes`).
    let mut out = Vec::new();
    let conversion = if args.json {
        convert::convert_dockerfile_bytes(&bytes, &opts, resolver).map(|c| {
            out = llb_gen::llb::dump(&c.definition).into_bytes();
            convert::StreamedConversion::from(c)
        })
    } else {
        // Marshaled op by op into `out`, without a `pb::Definition` copy.
        convert::convert_dockerfile_bytes_to(&bytes, &opts, resolver, &mut out)
            .map_err(|e| format!("cannot write the definition: {e}"))?
    };
    // Diagnostics index the bytes; their text has `?` for bytes that are
    // not UTF-8, so lines and columns count the bytes as read.
    let source = || SourceFile::new(name, llb_gen::syntax::source_text(&bytes));
    let conversion = match conversion {
        Ok(c) => c,
        Err(diags) => {
            eprint!("{}", render_all(&diags, &source()));
            return Ok(ExitCode::from(1));
        }
    };
    if !conversion.warnings.is_empty() {
        eprint!("{}", render_all(&conversion.warnings, &source()));
    }
    if let Some(path) = &args.image_config {
        write_file(path, &conversion.image_config)?;
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&out)
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// The converter options from the command line.
fn options(args: &BuildArgs, filename: &str) -> Result<ConvertOptions, String> {
    let mut opts = ConvertOptions {
        filename: filename.to_string(),
        target: args.target.clone(),
        ..ConvertOptions::default()
    };
    for kv in &args.build_args {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("--build-arg {kv:?}: expected KEY=VALUE"))?;
        if k.is_empty() {
            return Err(format!("--build-arg {kv:?}: empty name"));
        }
        opts.build_args.insert(k.to_string(), v.to_string());
    }
    if let Some(spec) = &args.platform {
        let p = convert::platform::parse_platform(spec, &opts.build_platform)
            .map_err(|e| format!("--platform {spec:?}: {e}"))?;
        opts.target_platform = Some(p);
    }
    Ok(opts)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(feature = "registry")]
fn online_resolver() -> Result<Box<dyn ImageResolver>, String> {
    Ok(Box::new(crate::registry::RegistryResolver::new()?))
}

#[cfg(not(feature = "registry"))]
fn online_resolver() -> Result<Box<dyn ImageResolver>, String> {
    Err(
        "this llb-gen was built without registry support: pass --offline, \
         or rebuild with `cargo build -p llb-gen --features registry`"
            .to_string(),
    )
}
