//! The `llb-gen` command line tool.
//!
//! - `llb-gen [PATH]`: convert a Dockerfile (stdin for `-` or no path) and
//!   write the LLB Definition protobuf bytes to stdout, ready for
//!   `buildctl build` to read from stdin (`--json` for a readable dump).
//! - `llb-gen parse --ast PATH`: print the AST dump (upstream's test format).
//! - `llb-gen graph [--format dot|mermaid] PATH`: print the stage graph.
//! - `llb-gen check [--format text|json|sarif] [--error] PATH`: the build
//!   checks (exit 1 on errors, `check=error=true` findings, or any finding
//!   with `--error`).
//! - `llb-gen targets [--text] PATH`: the stages, as `--call=targets`.
//! - `llb-gen lock [--platform P,...] [--check] PATH`: write (or check)
//!   `<PATH>.lock`, the base-image lock file.
//! - `llb-gen outline [--target T] [--text] PATH`: the target's build args,
//!   secrets and ssh, as `--call=outline`.
//!
//! Source code layout: `main.rs` (arguments), `parse.rs` (the `parse`
//! subcommand), `graph.rs` (the `graph` subcommand), `check.rs` (`check`
//! and `targets`), `lock.rs` (`lock`), `outline.rs` (`outline`), `build.rs` (conversion and
//! output), `prefetch.rs` (the images named literally, resolved while the
//! converter parses), `registry.rs` (the online image resolver, feature
//! `registry`; its on-disk config cache in `registry/cache.rs`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod build;
mod check;
mod graph;
mod heap;
mod lock;
mod outline;
mod parse;
mod prefetch;
#[cfg(feature = "registry")]
mod registry;

#[derive(Debug, Parser)]
#[command(name = "llb-gen", version, about = "Dockerfile to BuildKit LLB")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    build: build::BuildArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse a Dockerfile and report syntax errors.
    Parse {
        /// Print the syntax tree in BuildKit's parser test format.
        #[arg(long)]
        ast: bool,
        /// The Dockerfile (`-` for stdin).
        path: PathBuf,
    },
    /// Print the stage graph: bases, `COPY --from` and mount edges, the
    /// target's reachable set, and the stages that can run in parallel.
    Graph {
        /// Output format.
        #[arg(long, value_enum, default_value_t = graph::Format::Dot)]
        format: graph::Format,
        /// The stage to highlight with what it needs (default: the last one).
        #[arg(long, value_name = "NAME")]
        target: Option<String>,
        /// A build argument, for global ARGs used in `FROM` (repeatable).
        #[arg(long = "build-arg", value_name = "K=V")]
        build_args: Vec<String>,
        /// The Dockerfile (`-` for stdin).
        path: PathBuf,
    },
    /// Run the build checks (upstream's rules and ours, as `# check=`
    /// configures them).
    Check {
        /// Output format.
        #[arg(long, value_enum, default_value_t = check::Format::Text)]
        format: check::Format,
        /// Exit 1 when any rule reports something.
        #[arg(long)]
        error: bool,
        /// A build argument (e.g. `BUILDKIT_DOCKERFILE_CHECK=skip=all`; repeatable).
        #[arg(long = "build-arg", value_name = "K=V")]
        build_args: Vec<String>,
        /// The Dockerfile (`-` for stdin).
        path: PathBuf,
    },
    /// Resolve every base image the targets can reach and write
    /// `<Dockerfile>.lock` beside the Dockerfile (or check it).
    Lock {
        /// Target platforms, comma-separated (default: this machine's).
        #[arg(long, value_name = "P,...")]
        platform: Option<String>,
        /// Compare the lock with the registries instead of writing it:
        /// print each difference and exit 1 when there is any.
        #[arg(long)]
        check: bool,
        /// A build argument, for ARGs in `FROM` and `IF` (repeatable).
        #[arg(long = "build-arg", value_name = "K=V")]
        build_args: Vec<String>,
        /// The Dockerfile.
        #[arg(default_value = "Dockerfile")]
        path: PathBuf,
    },
    /// What the target takes: build args, secrets, ssh (the
    /// `frontend.outline` JSON).
    Outline {
        /// The stage (default: the last one).
        #[arg(long, value_name = "NAME")]
        target: Option<String>,
        /// A build argument (repeatable).
        #[arg(long = "build-arg", value_name = "K=V")]
        build_args: Vec<String>,
        /// The build context directory (for `INCLUDE --from=context`).
        #[arg(long, value_name = "DIR")]
        context: Option<PathBuf>,
        /// Print the table instead of the JSON.
        #[arg(long)]
        text: bool,
        /// The Dockerfile (`-` for stdin).
        path: PathBuf,
    },
    /// List the stages (the `frontend.targets` JSON).
    Targets {
        /// Print the table instead of the JSON.
        #[arg(long)]
        text: bool,
        /// The Dockerfile (`-` for stdin).
        path: PathBuf,
    },
}

fn main() -> ExitCode {
    heap::tune();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Parse { ast, path }) => parse::run_parse(&path, ast),
        Some(Command::Graph {
            format,
            target,
            build_args,
            path,
        }) => graph::run_graph(&path, format, target.as_deref(), &build_args),
        Some(Command::Check {
            format,
            error,
            build_args,
            path,
        }) => check::run_check(&path, format, error, &build_args),
        Some(Command::Targets { text, path }) => check::run_targets(&path, text),
        Some(Command::Lock {
            platform,
            check,
            build_args,
            path,
        }) => lock::run_lock(&lock::LockArgs {
            path: &path,
            platforms: platform.as_deref(),
            check,
            build_args: &build_args,
        }),
        Some(Command::Outline {
            target,
            build_args,
            context,
            text,
            path,
        }) => outline::run_outline(
            &path,
            &outline::OutlineArgs {
                target: target.as_deref(),
                build_args: &build_args,
                context: context.as_deref(),
                text,
            },
        ),
        None => build::run_build(&cli.build),
    }
}

/// Read `path` (or stdin for `-`) as bytes; the display name for diagnostics.
/// Reads at most one byte more than the file size limit: enough for the
/// parser to report the limit, whatever the input (`/dev/zero` included).
pub(crate) fn read_input(path: &Path) -> std::io::Result<(String, Vec<u8>)> {
    let cap = llb_gen::limits::Limits::DEFAULT.max_file_bytes as u64 + 1;
    let mut buf = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin().lock().take(cap).read_to_end(&mut buf)?;
        Ok(("<stdin>".to_string(), buf))
    } else {
        std::fs::File::open(path)?.take(cap).read_to_end(&mut buf)?;
        Ok((path.display().to_string(), buf))
    }
}
