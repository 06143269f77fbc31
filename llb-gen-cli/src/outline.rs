//! `llb-gen outline [--target T] [--build-arg K=V]... [--text] PATH`: the
//! `frontend.outline` JSON of the target (or the table buildx prints),
//! computed as the frontend does: the file composed with the files beside
//! it, no image resolved.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use llb_gen::requests;

use crate::build::plan;

/// The options of `outline`.
pub(crate) struct OutlineArgs<'a> {
    pub(crate) target: Option<&'a str>,
    pub(crate) build_args: &'a [String],
    pub(crate) context: Option<&'a Path>,
    pub(crate) text: bool,
}

pub(crate) fn run_outline(path: &Path, args: &OutlineArgs<'_>) -> ExitCode {
    let planning = match plan(path, args.target, args.build_args, args.context) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("llb-gen: {e}");
            return ExitCode::from(2);
        }
    };
    let sources = &planning.sources;
    let outline = planning
        .result
        .and_then(|planned| requests::outline(&planned, sources));
    let reply = match outline {
        Ok(o) => requests::outline_reply(&o, sources),
        Err(diags) => {
            eprint!("{}", sources.render_all(&diags));
            return ExitCode::from(1);
        }
    };
    let out = if args.text { reply.text } else { reply.json };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(&out)
        .and_then(|()| stdout.write_all(if args.text { b"" } else { b"\n" }))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}
