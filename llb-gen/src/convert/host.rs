//! The converter's host boundary: what it asks for ([`Requests`]), what the
//! host answers ([`Answers`]), the [`Host`] trait of a blocking host and
//! the loop that drives a [`Converter`] with one.

use super::api::{Conversion, ConvertOptions, ImageRequest, ImageResolver};
use super::compose::{DirAnswer, DirRequest};
use super::error::{Error, ErrorKind};
use super::resolve::ImageAnswer;
use super::session::{Converter, Ready, Step};
use crate::diagnostic::Diagnostic;
use crate::limits::Limits;
use crate::text::TextRange;

/// Where a requested file is read from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FileSource {
    /// The directory the Dockerfile came from (the `dockerfile` local).
    Dockerfile,
    /// The main build context (the `context` local).
    Context,
    /// A client directory of a `local:<name>` named context.
    Local(String),
}

/// A file the converter needs: `path` inside `source`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileRequest {
    /// Where the file is.
    pub source: FileSource,
    /// Its path there.
    pub path: String,
}

impl FileRequest {
    /// The build context's `.dockerignore`, as the converter asks for it (a host may read it
    /// ahead: the frontend does, with the Dockerfile).
    pub fn context_dockerignore() -> Self {
        FileRequest {
            source: FileSource::Context,
            path: ".dockerignore".into(),
        }
    }
}

/// The host's answer to one file request: the bytes, `Ok(None)` when there
/// is no such file, or why it could not be read.
pub type FileAnswer = Result<Option<Vec<u8>>, String>;

/// What the converter needs before it can go on. Independent requests of
/// one round come together so that the host can run them concurrently.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Requests {
    /// Image configs to resolve.
    pub images: Vec<ImageRequest>,
    /// Files to read.
    pub files: Vec<FileRequest>,
    /// Directories to list (INCLUDE globs, near-miss suggestions).
    pub dirs: Vec<DirRequest>,
}

impl Requests {
    /// A request for files and directory listings only.
    pub(super) fn of_files(files: Vec<FileRequest>, dirs: Vec<DirRequest>) -> Requests {
        Requests {
            files,
            dirs,
            ..Requests::default()
        }
    }

    /// True when nothing is asked.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty() && self.files.is_empty() && self.dirs.is_empty()
    }
}

/// The answers to [`Requests`], each list in the order of its requests.
#[derive(Clone, Debug, Default)]
pub struct Answers {
    /// One answer per image request, in order.
    pub images: Vec<ImageAnswer>,
    /// One answer per file request, in order.
    pub files: Vec<FileAnswer>,
    /// One answer per directory request, in order.
    pub dirs: Vec<DirAnswer>,
}

/// The host of [`convert_with_host`]: answers a round's requests, in order.
pub trait Host {
    /// Resolves the image configs of one round, one answer per request.
    fn resolve_images(&mut self, requests: &[ImageRequest]) -> Vec<ImageAnswer>;
    /// Reads the files of one round, one answer per request.
    fn read_files(&mut self, requests: &[FileRequest]) -> Vec<FileAnswer>;
    /// Lists the directories of one round, one answer per request. A host
    /// that cannot list directories keeps this default, which says so.
    fn list_dirs(&mut self, requests: &[DirRequest]) -> Vec<DirAnswer> {
        requests
            .iter()
            .map(|_| Err("this host cannot list directories".to_string()))
            .collect()
    }

    /// The answers to a whole round (each kind asked only when the round
    /// has requests of it).
    fn answer(&mut self, req: &Requests) -> Answers {
        let mut answers = Answers::default();
        if !req.images.is_empty() {
            answers.images = self.resolve_images(&req.images);
        }
        if !req.files.is_empty() {
            answers.files = self.read_files(&req.files);
        }
        if !req.dirs.is_empty() {
            answers.dirs = self.list_dirs(&req.dirs);
        }
        answers
    }
}

/// An [`ImageResolver`] as a host that has no files: every file request is
/// answered "no such file" (no `.dockerignore` anywhere).
pub struct ResolverHost<'a>(pub &'a dyn ImageResolver);

impl Host for ResolverHost<'_> {
    fn resolve_images(&mut self, requests: &[ImageRequest]) -> Vec<ImageAnswer> {
        self.0.resolve(requests)
    }
    fn read_files(&mut self, requests: &[FileRequest]) -> Vec<FileAnswer> {
        requests.iter().map(|_| Ok(None)).collect()
    }
}

/// Drives `converter` with `host` until it is ready or fails (the
/// blocking loop over [`Converter::step`]).
pub fn run_to_ready(
    converter: &mut Converter,
    host: &mut dyn Host,
) -> Result<Box<Ready>, Vec<Diagnostic>> {
    loop {
        match converter.step() {
            Step::Need(req) => {
                let answers = host.answer(&req);
                converter.answer(answers);
            }
            Step::Ready(ready) => return Ok(ready),
            Step::Failed(diags) => return Err(diags),
            Step::Composed(_) | Step::Planned(_) => {
                let e = Error::new(ErrorKind::ConverterFinished, TextRange::empty(0));
                return Err(vec![e.into()]);
            }
        }
    }
}

/// Converts `source` with `opts` under `limits`, asking `host` for what it
/// needs: the blocking convenience over [`Converter`].
pub fn convert_with_host(
    source: &[u8],
    opts: &ConvertOptions,
    limits: Limits,
    host: &mut dyn Host,
) -> Result<Conversion, Vec<Diagnostic>> {
    let mut converter = Converter::new(source, opts.clone(), limits);
    run_to_ready(&mut converter, host)?.marshal()
}
