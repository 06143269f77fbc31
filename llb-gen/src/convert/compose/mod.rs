//! Composition: INCLUDE and IF / ELSE / END, resolved before stages are
//! formed.
//!
//! The main Dockerfile's syntax tree is walked in order with the global
//! ARGs evaluated as they come (build args and the automatic platform ARGs
//! included), so that IF conditions and INCLUDE paths see exactly what a
//! FROM line would. Branches not taken are dropped; INCLUDE splices the
//! included file's instructions (walked the same way, recursively). The
//! result is one flat list of syntax nodes, lowered like any Dockerfile.
//!
//! Included files come from the host: a walk that meets a file it does not
//! have yet asks for it and goes on as if the file were empty; once the
//! host has answered the whole batch, the walk starts again. A batch holds
//! every file one walk finds missing, so the round trips grow with the
//! include depth, not with the number of files; a glob costs one extra
//! round (its directory listing). Each file is parsed once, with its own
//! directives, and placed in the build's address space
//! ([`crate::sources::SourceSet`]) so every span points into its own file.
//!
//! Source code layout: `walk.rs` the walk, `include.rs` INCLUDE's sources
//! and paths, `cond.rs` the condition language, `glob.rs` globs,
//! `error.rs` the error kinds.

mod cond;
mod error;
mod glob;
pub(crate) mod include;
mod walk;

pub use error::ComposeErrorKind;

use std::collections::BTreeMap;

use super::host::{FileAnswer, FileRequest, FileSource};
use super::ConvertOptions;
use crate::diagnostic::Diagnostic;
use crate::ir::ExtensionUse;
use crate::limits::Limits;
use crate::sources::{Origin, SourceSet};
use crate::syntax::{ast, Keyword};
use crate::text::TextRange;

/// Deepest include nesting.
pub const MAX_INCLUDE_DEPTH: usize = 32;
/// Most included files in one build (each counted once).
pub const MAX_INCLUDED_FILES: usize = 1_000;
/// Largest total size of the included files, in bytes.
pub const MAX_INCLUDED_BYTES: usize = 32 * 1024 * 1024;
/// Most composition rounds (each round loads at least one more file or
/// listing, so this bounds a host that keeps answering new names).
pub(crate) const MAX_ROUNDS: usize = 4 * MAX_INCLUDE_DEPTH + 8;

/// The error when composition takes more than [`MAX_ROUNDS`] rounds.
pub(crate) fn too_many_rounds() -> Diagnostic {
    let message = format!("more than {MAX_ROUNDS} rounds of reading included files");
    let kind = ComposeErrorKind::Limit { message };
    crate::convert::Error::new(
        crate::convert::ErrorKind::Compose(kind),
        TextRange::empty(0),
    )
    .to_diagnostic()
}

/// Parses the file just added to `sources` (its `bytes`), the tree sharing
/// the text the set holds for it rather than a copy of its own.
pub(crate) fn parse_added(
    sources: &SourceSet,
    bytes: &[u8],
    limits: &Limits,
) -> crate::syntax::Parsed {
    match sources.entries().last() {
        Some(e) => crate::syntax::parse_shared(&e.file.text, bytes, limits),
        None => crate::syntax::parse_bytes_with_limits(bytes, limits),
    }
}

/// A directory listing the converter needs: the names in `dir` of `source`
/// that match the glob `pattern` (a host may filter with it or send every
/// name; the converter filters again).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DirRequest {
    /// Where the directory is.
    pub source: FileSource,
    /// Its path there (`""` for the root).
    pub dir: String,
    /// The file-name glob (`*.Dockerfile`).
    pub pattern: String,
}

/// The host's answer to a [`DirRequest`]: the names of the regular files
/// (no directories), or why the directory could not be listed. A missing
/// directory is an empty list.
pub type DirAnswer = Result<Vec<String>, String>;

/// What one included file became.
#[derive(Clone, Debug)]
enum Loaded {
    /// Parsed: its nodes (spans shifted to its base) and directives.
    File {
        nodes: Vec<ast::Node>,
        escape: char,
        escape_span: Option<TextRange>,
        has_from: bool,
    },
    /// The host has no such file.
    Missing,
    /// The host failed to read it.
    Failed(String),
    /// It does not parse: its errors (located in it).
    Invalid(Vec<Diagnostic>),
}

/// The composition state between rounds.
pub(crate) struct Composer {
    main: ast::Dockerfile,
    files: BTreeMap<FileRequest, Loaded>,
    dirs: BTreeMap<DirRequest, DirAnswer>,
    /// The first INCLUDE that asked for each pending file.
    asked_by: BTreeMap<FileRequest, TextRange>,
    warnings: Vec<Diagnostic>,
    /// The file walked first when it is not the main Dockerfile (an
    /// imported file): its request, its place and its end offset.
    root: Option<(FileRequest, include::Place, u32)>,
}

/// The outcome of one walk.
pub(crate) enum Walked {
    /// Everything was there: the flat file.
    Done(Composed),
    /// These files and listings are needed first.
    Need(Vec<FileRequest>, Vec<DirRequest>),
}

/// The composed Dockerfile.
pub(crate) struct Composed {
    pub(crate) dockerfile: ast::Dockerfile,
    pub(crate) extensions: Vec<ExtensionUse>,
    pub(crate) warnings: Vec<Diagnostic>,
}

/// Whether `df` uses INCLUDE or IF at all (else composition is skipped).
pub(crate) fn needed(df: &ast::Dockerfile) -> bool {
    df.nodes
        .iter()
        .any(|n| n.kind.is_some_and(Keyword::is_superset))
}

impl Composer {
    pub(crate) fn new(main: ast::Dockerfile) -> Composer {
        Composer {
            main,
            files: BTreeMap::new(),
            dirs: BTreeMap::new(),
            asked_by: BTreeMap::new(),
            warnings: Vec::new(),
            root: None,
        }
    }

    /// A composer of an imported file (already in `sources`, its spans
    /// shifted): `request` names it, `place` is its directory, `end` is
    /// where it ends.
    pub(crate) fn for_import(
        file: ast::Dockerfile,
        request: FileRequest,
        place: include::Place,
        end: u32,
    ) -> Composer {
        let mut c = Composer::new(file);
        c.root = Some((request, place, end));
        c
    }

    /// Walks once over the files loaded into `sources`: the composed file,
    /// the requests, or every error.
    pub(crate) fn walk(
        &mut self,
        sources: &SourceSet,
        opts: &ConvertOptions,
        limits: &Limits,
    ) -> Result<Walked, Vec<Diagnostic>> {
        let done = {
            let mut w = walk::Walker::new(self, sources, opts, limits);
            w.main();
            w.finish()
        };
        let walk::Finished {
            nodes,
            extensions,
            mut warnings,
            errors,
            files,
            dirs,
        } = done;
        // Files still missing are read first, even when there are errors
        // already: the next walk reports every error at once.
        if !files.is_empty() || !dirs.is_empty() {
            let mut wanted = Vec::new();
            for (req, span) in files {
                self.asked_by.entry(req.clone()).or_insert(span);
                wanted.push(req);
            }
            return Ok(Walked::Need(wanted, dirs));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        warnings.splice(0..0, self.warnings.drain(..));
        let dockerfile = ast::Dockerfile {
            directives: self.main.directives.clone(),
            escape: self.main.escape,
            nodes,
            warnings: std::mem::take(&mut self.main.warnings),
        };
        Ok(Walked::Done(Composed {
            dockerfile,
            extensions,
            warnings,
        }))
    }

    /// Takes the host's answers in: each file is parsed and placed in
    /// `sources`.
    pub(crate) fn answer(
        &mut self,
        sources: &mut SourceSet,
        files: &[FileRequest],
        answers: Vec<FileAnswer>,
        dirs: &[DirRequest],
        listings: Vec<DirAnswer>,
        limits: &Limits,
    ) {
        let mut answers = answers.into_iter();
        for req in files {
            let answer = answers.next().unwrap_or(Ok(None));
            let loaded = self.load(sources, req, answer, limits);
            self.files.insert(req.clone(), loaded);
        }
        let mut listings = listings.into_iter();
        for d in dirs {
            let answer = listings
                .next()
                .unwrap_or_else(|| Err("no answer from the host".into()));
            self.dirs.insert(d.clone(), answer);
        }
    }

    fn load(
        &mut self,
        sources: &mut SourceSet,
        req: &FileRequest,
        answer: FileAnswer,
        limits: &Limits,
    ) -> Loaded {
        let bytes = match answer {
            Ok(Some(b)) => b,
            Ok(None) => return Loaded::Missing,
            Err(e) => return Loaded::Failed(e),
        };
        let total = sources.total_bytes() + bytes.len();
        if total > MAX_INCLUDED_BYTES + sources.main().bytes.len() {
            return Loaded::Failed(format!(
                "the included files exceed {MAX_INCLUDED_BYTES} bytes in all"
            ));
        }
        let at = self
            .asked_by
            .get(req)
            .copied()
            .unwrap_or(TextRange::empty(0));
        let origin = Origin {
            source: req.source.clone(),
            path: req.path.clone(),
        };
        let base = sources.add(include::display(&req.source, &req.path), &bytes, origin, at);
        let mut parsed = parse_added(sources, &bytes, limits);
        if !parsed.errors.is_empty() {
            return Loaded::Invalid(
                parsed
                    .errors
                    .iter()
                    .map(|e| shifted(e.to_diagnostic(), base))
                    .collect(),
            );
        }
        let df = &mut parsed.dockerfile;
        ast::shift_nodes(&mut df.nodes, base);
        for d in &mut df.directives {
            d.shift(base);
        }
        self.warnings
            .extend(df.warnings.iter().map(|w| shifted(w.to_diagnostic(), base)));
        self.warnings
            .extend(include::directive_warnings(&df.directives, &self.main));
        let escape_span = df
            .directives
            .iter()
            .find(|d| d.key == "escape")
            .map(|d| d.span);
        Loaded::File {
            has_from: df.nodes.iter().any(|n| n.is(Keyword::From)),
            nodes: std::mem::take(&mut df.nodes),
            escape: df.escape,
            escape_span,
        }
    }
}

/// `d` with its spans moved by `base`.
fn shifted(mut d: Diagnostic, base: u32) -> Diagnostic {
    let by = |r: TextRange| TextRange::new(r.start + base, r.end + base);
    d.span = by(d.span);
    if let Some(l) = d.label.as_mut() {
        l.span = by(l.span);
    }
    d
}
