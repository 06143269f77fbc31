//! Stages from another Dockerfile ("imports"): `FROM ./ci/go.Dockerfile#builder`,
//! `COPY --from=./tools/Dockerfile#lint`, `RUN --mount=from=./cache/Dockerfile`,
//! `shared:stages/go.Dockerfile#test` and `--target ./ci/go.Dockerfile#builder`.
//!
//! After the main Dockerfile is composed and lowered, its import references
//! are found ([`refs::scan`]) and the files they name are asked from the
//! host, every file of one depth in one batch. Each imported file is
//! parsed into the build's [`SourceSet`], composed on its own when it uses
//! INCLUDE or IF, lowered, and scanned in turn (imports nest). Then every
//! file's stages are appended to one `ir::Dockerfile` and each stage gets
//! a namespace ([`Namespaces`]): the stage graph resolves stage names
//! within a namespace and import references across them, and dispatch
//! expands with the namespace's own global ARGs and escape character.
//! A file imported twice is one unit, so a stage imported twice is one
//! stage (one LLB vertex). Files that import each other are an error.
//!
//! Source code layout: `refs.rs` what a reference is and where they are,
//! `load.rs` loading and composing one file, this file the state between
//! rounds and the merge.

mod load;
mod merge;
pub(crate) mod refs;

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::args::EnvList;
use super::compose::include::{self, Place};
use super::compose::{Composer, DirAnswer, DirRequest};
use super::host::{FileAnswer, FileRequest, FileSource};
use super::{ComposeErrorKind as K, ConvertOptions, Error, ErrorKind};
use crate::diagnostic::Diagnostic;
use crate::ir::{self, ExtensionUse};
use crate::limits::Limits;
use crate::sources::SourceSet;
use crate::text::TextRange;

/// Most imported files in one build.
pub(crate) const MAX_IMPORTED_FILES: usize = 256;

/// One file's stages in the merged Dockerfile.
#[derive(Clone, Debug)]
pub(crate) struct Space {
    /// The file as shown in progress names (`ci/go.Dockerfile`); empty for
    /// the main Dockerfile.
    pub(crate) label: String,
    /// Its global ARGs (with the build args and automatic ARGs).
    pub(crate) globals: EnvList,
    /// Its escape character.
    pub(crate) escape: char,
    /// The index of its first stage in the merged Dockerfile.
    pub(crate) first: usize,
    /// Its import references (expanded value) and the stage each names.
    pub(crate) imports: HashMap<String, usize>,
}

/// The namespaces of a build with imports: space 0 is the main
/// Dockerfile, whose stages come first.
#[derive(Clone, Debug)]
pub(crate) struct Namespaces {
    pub(crate) spaces: Vec<Space>,
    /// The space of each stage.
    pub(crate) stage_space: Vec<usize>,
}

impl Namespaces {
    /// The space of stage `stage`.
    pub(crate) fn of(&self, stage: usize) -> Option<&Space> {
        self.spaces.get(*self.stage_space.get(stage)?)
    }

    /// The space index of stage `stage` (0 when unknown).
    pub(crate) fn index_of(&self, stage: usize) -> usize {
        self.stage_space.get(stage).copied().unwrap_or(0)
    }

    /// The number of stages of the main Dockerfile.
    pub(crate) fn main_stages(&self) -> usize {
        self.spaces
            .get(1)
            .map_or(self.stage_space.len(), |s| s.first)
    }
}

/// One Dockerfile of the build: the main one (unit 0) or an imported one.
struct Unit {
    df: ir::Dockerfile,
    label: String,
    place: Place,
    globals: EnvList,
    /// Its references and the file each names.
    refs: Vec<(refs::Found, FileRequest)>,
}

/// Who asked for a file first.
#[derive(Clone, Debug)]
struct Asked {
    span: TextRange,
    /// The file's place (its directory in its source).
    place: Place,
    /// Its path relative to the root of `place`'s source.
    rel: String,
}

/// What [`Importer::step`] gives.
pub(crate) enum Next {
    /// These files and listings are needed.
    Need(Vec<FileRequest>, Vec<DirRequest>),
    /// Everything is loaded: the merged Dockerfile and its namespaces.
    Done(ir::Dockerfile, Box<Namespaces>),
}

/// The import state between rounds.
pub(crate) struct Importer {
    units: Vec<Unit>,
    by_file: BTreeMap<FileRequest, usize>,
    pending: BTreeMap<FileRequest, Asked>,
    /// Missing files waiting for their directory's listing (near misses).
    missing: BTreeMap<FileRequest, (Asked, DirRequest)>,
    listings: BTreeMap<DirRequest, DirAnswer>,
    /// Loaded files that use INCLUDE or IF, composed one after the other.
    to_compose: VecDeque<load::ToCompose>,
    composing: Option<(Box<Composer>, load::ToCompose)>,
    /// The main file's TARGETSTAGE (every file's globals see it).
    target_stage: String,
    errors: Vec<Diagnostic>,
    pub(crate) warnings: Vec<Diagnostic>,
    rounds: usize,
    /// `--target` as a reference, and the place its errors point at (the
    /// last stage's FROM, as for an unknown target).
    target: Option<(String, TextRange)>,
}

/// Whether `df` (the main Dockerfile) or `--target` refers to another file.
pub(crate) fn needed(df: &ir::Dockerfile, opts: &ConvertOptions, target_stage: &str) -> bool {
    let globals = globals_for(df, opts, target_stage).unwrap_or_default();
    let mut found = Vec::new();
    refs::scan(df, &globals, opts, &mut found);
    !found.is_empty() || target_ref(opts).is_some()
}

/// `--target` as an import reference.
fn target_ref(opts: &ConvertOptions) -> Option<refs::ImportRef> {
    opts.target.as_deref().and_then(|t| refs::parse(t, opts))
}

/// A file's global ARGs: the automatic ARGs, then its ARGs before the
/// first FROM with the build args (what the main Dockerfile gets).
pub(crate) fn globals_for(
    df: &ir::Dockerfile,
    opts: &ConvertOptions,
    target_stage: &str,
) -> Result<EnvList, Error> {
    let target_platform = opts
        .target_platform
        .clone()
        .unwrap_or_else(|| opts.build_platform.clone());
    let auto = super::platform::default_args(&opts.build_platform, &target_platform, target_stage);
    super::args::build_meta_args(auto, &df.meta_args, &opts.build_args, df.escape)
}

impl Importer {
    /// Starts with the main Dockerfile `df`, named `opts.filename`.
    pub(crate) fn new(df: ir::Dockerfile, opts: &ConvertOptions, target_stage: String) -> Self {
        let filename = opts.filename.clone();
        let request = FileRequest {
            source: FileSource::Dockerfile,
            path: filename.clone(),
        };
        let place = Place {
            source: FileSource::Dockerfile,
            root: include::parent(&filename).to_string(),
            dir: String::new(),
        };
        let mut me = Importer {
            units: Vec::new(),
            by_file: BTreeMap::new(),
            pending: BTreeMap::new(),
            missing: BTreeMap::new(),
            listings: BTreeMap::new(),
            to_compose: VecDeque::new(),
            composing: None,
            target_stage,
            errors: Vec::new(),
            warnings: Vec::new(),
            rounds: 0,
            target: None,
        };
        let at = df
            .stages
            .last()
            .map_or(TextRange::empty(0), |s| s.from.span);
        me.add_unit(df, request, filename, place, opts);
        if let Some(r) = target_ref(opts) {
            me.target = Some((r.text.clone(), at));
            let found = refs::Found {
                r,
                span: at,
                used: refs::Use::Target,
            };
            me.register(0, found, opts);
        }
        me
    }

    /// Adds a lowered file as a unit and registers its references.
    fn add_unit(
        &mut self,
        df: ir::Dockerfile,
        request: FileRequest,
        label: String,
        place: Place,
        opts: &ConvertOptions,
    ) {
        let globals = match globals_for(&df, opts, &self.target_stage) {
            Ok(g) => g,
            Err(e) => {
                self.errors.push(e.into());
                EnvList::default()
            }
        };
        let mut found = Vec::new();
        refs::scan(&df, &globals, opts, &mut found);
        let u = self.units.len();
        self.by_file.insert(request.clone(), u);
        self.units.push(Unit {
            df,
            label,
            place,
            globals,
            refs: Vec::new(),
        });
        for f in found {
            self.register(u, f, opts);
        }
    }

    fn error(&mut self, kind: K, span: TextRange, help: Option<String>) {
        let help = match &self.target {
            Some((text, at)) if *at == span => {
                Some(format!("--target {text}: {}", help.unwrap_or_default()))
            }
            _ => help,
        };
        let mut e = Error::new(ErrorKind::Compose(kind), span);
        if let Some(h) = help {
            e = e.with_help(h);
        }
        self.errors.push(e.into());
    }

    /// Records reference `f` of unit `u` and asks for its file when new.
    fn register(&mut self, u: usize, f: refs::Found, opts: &ConvertOptions) {
        let Some(here) = self.units.get(u).map(|x| x.place.clone()) else {
            return;
        };
        let place = match include::source_for(f.r.context.as_deref(), &here, opts) {
            Ok(p) => p,
            Err((kind, help)) => return self.error(kind, f.span, help),
        };
        let Some(rel) = include::resolve(&place.dir, &f.r.path) else {
            let source = include::describe(&place.source);
            let help = "paths are relative to the importing file and stay in its source; \
                        name another source with a prefix: context:<path> or <named context>:<path>";
            let path = f.r.path.clone();
            return self.error(K::OutsideSource { path, source }, f.span, Some(help.into()));
        };
        let request = FileRequest {
            source: place.source.clone(),
            path: place.request_path(&rel),
        };
        let known = self.by_file.contains_key(&request)
            || self.pending.contains_key(&request)
            || self.missing.contains_key(&request)
            || self.to_compose.iter().any(|t| t.request == request)
            || self
                .composing
                .as_ref()
                .is_some_and(|(_, t)| t.request == request);
        if !known {
            let place = Place {
                dir: include::parent(&rel).to_string(),
                ..place
            };
            let asked = Asked {
                span: f.span,
                place,
                rel,
            };
            self.pending.insert(request.clone(), asked);
        }
        if let Some(unit) = self.units.get_mut(u) {
            unit.refs.push((f, request));
        }
    }

    /// Runs until files are needed or every file is loaded.
    pub(crate) fn step(
        &mut self,
        sources: &mut SourceSet,
        opts: &ConvertOptions,
        limits: &Limits,
    ) -> Result<Next, Vec<Diagnostic>> {
        loop {
            self.rounds += 1;
            if self.rounds > 4 * MAX_IMPORTED_FILES {
                return Err(vec![super::compose::too_many_rounds()]);
            }
            if let Some(next) = self.compose_step(sources, opts, limits) {
                return Ok(next);
            }
            if !self.to_compose.is_empty() {
                continue;
            }
            let dirs: Vec<DirRequest> = self
                .missing
                .values()
                .map(|(_, d)| d.clone())
                .filter(|d| !self.listings.contains_key(d))
                .collect();
            if !self.pending.is_empty() || !dirs.is_empty() {
                if self.units.len() + self.pending.len() > MAX_IMPORTED_FILES {
                    let message = format!("more than {MAX_IMPORTED_FILES} imported files");
                    self.error(K::Limit { message }, TextRange::empty(0), None);
                    return Err(std::mem::take(&mut self.errors));
                }
                return Ok(Next::Need(self.pending.keys().cloned().collect(), dirs));
            }
            self.report_missing();
            if !self.errors.is_empty() {
                return Err(std::mem::take(&mut self.errors));
            }
            return self.merge().map(|(df, ns)| Next::Done(df, Box::new(ns)));
        }
    }

    /// The host's answers to the last [`Next::Need`].
    pub(crate) fn answer(
        &mut self,
        sources: &mut SourceSet,
        req: (&[FileRequest], &[DirRequest]),
        answers: (Vec<FileAnswer>, Vec<DirAnswer>),
        opts: &ConvertOptions,
        limits: &Limits,
    ) {
        let (files, dirs) = req;
        let (file_answers, dir_answers) = answers;
        if let Some((c, _)) = self.composing.as_mut() {
            c.answer(sources, files, file_answers, dirs, dir_answers, limits);
            return;
        }
        let mut file_answers = file_answers.into_iter();
        for request in files {
            let answer = file_answers.next().unwrap_or(Ok(None));
            let Some(asked) = self.pending.remove(request) else {
                continue;
            };
            self.load(sources, request.clone(), asked, answer, opts, limits);
        }
        let mut dir_answers = dir_answers.into_iter();
        for d in dirs {
            let answer = dir_answers
                .next()
                .unwrap_or_else(|| Err("no answer from the host".into()));
            self.listings.insert(d.clone(), answer);
        }
    }

    /// Missing files whose listing is in: errors with a near miss.
    fn report_missing(&mut self) {
        for (request, (asked, listing)) in std::mem::take(&mut self.missing) {
            let near = match self.listings.get(&listing) {
                Some(Ok(names)) => {
                    let base = request.path.rsplit('/').next().unwrap_or(&request.path);
                    include::near_miss(base, names)
                }
                _ => None,
            };
            let dir = include::parent(&asked.rel);
            let help = match near {
                Some(n) if dir.is_empty() => format!("did you mean ./{n}?"),
                Some(n) => format!("did you mean ./{dir}/{n}?"),
                None => "paths are relative to the directory of the importing file".into(),
            };
            let source = include::describe(&request.source);
            let path = request.path;
            self.error(K::NotFound { path, source }, asked.span, Some(help));
        }
    }

    /// Every unit's extensions of the build.
    fn extensions(&self) -> Vec<ExtensionUse> {
        let mut out = Vec::new();
        for u in &self.units {
            out.extend(u.df.extensions.iter().cloned());
            out.extend(u.refs.iter().map(|(f, _)| ExtensionUse {
                name: f.used.extension(),
                span: f.span,
            }));
        }
        out
    }
}
