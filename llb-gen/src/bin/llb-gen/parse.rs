//! The `llb-gen` command line tool.
//!
//! - `llb-gen parse --ast PATH`: print the AST dump (upstream's test format).
//! - `llb-gen [PATH] ...`: conversion to LLB (not available yet).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use llb_gen::diagnostic::{render, SourceFile};
use llb_gen::syntax;

#[derive(Debug, Parser)]
#[command(name = "llb-gen", version, about = "Dockerfile to BuildKit LLB")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The Dockerfile to convert (`-` for stdin).
    path: Option<PathBuf>,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Parse { ast, path }) => run_parse(&path, ast),
        None => {
            eprintln!("llb-gen: conversion not available yet");
            ExitCode::from(2)
        }
    }
}

/// Read `path` (or stdin for `-`) as bytes; the display name for diagnostics.
fn read_input(path: &PathBuf) -> std::io::Result<(String, Vec<u8>)> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        Ok(("<stdin>".to_string(), buf))
    } else {
        Ok((path.display().to_string(), std::fs::read(path)?))
    }
}

fn run_parse(path: &PathBuf, ast: bool) -> ExitCode {
    let (name, bytes) = match read_input(path) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let parsed = syntax::parse_bytes(&bytes);
    if !parsed.errors.is_empty() {
        let file = SourceFile::new(name, String::from_utf8_lossy(&bytes).into_owned());
        let mut err = std::io::stderr().lock();
        for (i, e) in parsed.errors.iter().enumerate() {
            let sep = if i == 0 { "" } else { "\n" };
            let _ = write!(err, "{sep}{}", render(&e.to_diagnostic(), &file));
        }
        return ExitCode::from(1);
    }
    if ast {
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{}", syntax::dump(&parsed.dockerfile)).is_err() {
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
