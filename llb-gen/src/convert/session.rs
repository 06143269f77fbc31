//! The converter as a state machine that its host drives (sans-IO).
//!
//! Conversion needs things only the host can get: image configs from a
//! registry or BuildKit, and files (`.dockerignore` of the build context or
//! of a `local:` named context the first time it is used). The
//! [`Converter`] never does I/O: [`Converter::step`] runs the pure phases
//! until it needs something, and returns the requests of one round as a
//! batch ([`Requests`]) that the host may answer concurrently; the host
//! hands the answers back with [`Converter::answer`] and steps again. The
//! frontend answers over gRPC, the CLI from disk and registries, tests from
//! tables. [`convert_with_host`] is the blocking loop on top.
//!
//! The phases, in the order `step` runs them:
//! 1. parse and lower (`syntax`, `ir`), under the caller's [`Limits`];
//! 2. expand the meta args, build the stage graph (with ONBUILD triggers of
//!    stages), select the target, find what it reaches ([`Plan::new`]);
//! 3. resolve the roots of the reachable nodes: one round of requests
//!    ([`Round`]), plus the build context's `.dockerignore` in the first;
//! 4. apply ONBUILD triggers of base images; the nodes they add are
//!    resolved in further rounds (upstream's `resolveStages` loop);
//! 5. dispatch every reachable stage, fill in the follow paths of local
//!    sources; the result is [`Ready`], which marshals to a Definition or
//!    straight to a writer.

use std::collections::{BTreeMap, BTreeSet};

use super::error::{Error, ErrorKind};
use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::limits::Limits;
use crate::text::TextRange;

use super::api::{Conversion, ConvertOptions, Platform};
use super::args::{build_meta_args, EnvList};
use super::build::{self, Root};
use super::compose::{self, Composer, DirRequest, Walked};
use super::host::{Answers, FileAnswer, FileRequest, FileSource, Requests};
use crate::lock::Lock;
use crate::sources::SourceSet;

use super::imports::{self, Importer, Namespaces, Next};
use super::onbuild;
use super::platform::default_args;
use super::resolve::{LocalRoot, Round};
use super::stages::StageGraph;

/// `.dockerignore` and lock answers (`session/files.rs`).
mod files;
use files::take_files;

/// What [`Converter::step`] returns.
pub enum Step {
    /// Answer these with [`Converter::answer`], then step again.
    Need(Requests),
    /// Conversion succeeded up to marshaling.
    Ready(Box<Ready>),
    /// Conversion failed: every diagnostic, located in the source.
    Failed(Vec<Diagnostic>),
    /// Only for a converter made with [`Converter::until_composed`]: the
    /// file after composition (INCLUDE and IF resolved), typed, with the
    /// warnings so far. Nothing more is converted.
    Composed(Box<Composed>),
    /// Only for a converter made with [`Converter::until_planned`]: the
    /// stages as the build sees them (composed, imports loaded, the target
    /// and what it reaches), before any image is resolved.
    Planned(Box<super::Planned>),
}

/// What [`Step::Composed`] carries.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct Composed {
    /// The composed file's instructions.
    pub dockerfile: ir::Dockerfile,
    /// Parser, lowering and build-check warnings.
    pub warnings: Vec<Diagnostic>,
}

/// Where a converter stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// At [`Step::Ready`].
    Ready,
    /// At [`Step::Composed`].
    Composed,
    /// At [`Step::Planned`].
    Planned,
}

/// What a requested file is for.
#[derive(Clone, Debug)]
enum IgnoreFile {
    /// `<Dockerfile>.lock` beside the Dockerfile (the base-image lock).
    Lock,
    /// `<Dockerfile>.dockerignore` beside the Dockerfile (wins).
    Dockerfile,
    /// `.dockerignore` of the build context.
    Context,
    /// `.dockerignore` of a local directory of a `local:` context.
    Local(String),
}

/// Everything known between the phases: the instructions, the stage graph
/// and what has been resolved so far.
pub(super) struct Plan {
    df: ir::Dockerfile,
    g: StageGraph,
    triggers: onbuild::TriggerSet,
    target: usize,
    reachable: BTreeSet<usize>,
    globals: EnvList,
    target_platform: Platform,
    roots: BTreeMap<usize, Root>,
    locals: Vec<LocalRoot>,
    /// The build context's `.dockerignore` patterns, once known.
    context_excludes: Option<Vec<String>>,
    /// `<Dockerfile>.dockerignore` was asked for.
    asked_dockerfile_ignore: bool,
    /// `.dockerignore` patterns of local directories, by directory.
    local_excludes: BTreeMap<String, Vec<String>>,
    /// The lock file in use, once read (none, or `lock=off`: `None`).
    lock: Option<Lock>,
    /// The reachable nodes are still to be asked for: the lock comes
    /// first, in a round of its own.
    first_round_pending: bool,
    /// Findings of the resolution rounds (`UnlockedImage`).
    findings: Vec<Diagnostic>,
}

impl Plan {
    /// Phase 2: meta args, stage graph (with ONBUILD triggers of stages),
    /// target and the nodes it reaches.
    fn new(
        df: ir::Dockerfile,
        opts: &ConvertOptions,
        spaces: Option<Box<Namespaces>>,
    ) -> Result<Plan, Error> {
        if df.stages.is_empty() {
            // `ir` reports a file of only ARGs; an empty IR gets here.
            return Err(Error::new(ErrorKind::NoStages, TextRange::empty(0)));
        }
        let target_platform = opts
            .target_platform
            .clone()
            .unwrap_or_else(|| opts.build_platform.clone());
        let globals = default_args(
            &opts.build_platform,
            &target_platform,
            &stage_arg(&df, opts, spaces.as_deref()),
        );
        let globals = build_meta_args(globals, &df.meta_args, &opts.build_args, df.escape)?;
        let g = StageGraph::build(
            &df,
            &globals,
            &target_platform,
            &opts.named_contexts,
            spaces.clone(),
        )?;
        // Only copy the instructions when ONBUILD triggers of stages apply.
        let (df, triggers) = if onbuild::has_stage_triggers(&df, &g) {
            onbuild::apply_stage_triggers(&df, &g)
        } else {
            (df, onbuild::TriggerSet::new())
        };
        let mut g = if triggers.is_empty() {
            g
        } else {
            StageGraph::build(
                &df,
                &globals,
                &target_platform,
                &opts.named_contexts,
                spaces,
            )?
        };
        onbuild::fix_totals(&df, &mut g, &triggers);
        let target = g.resolve_target(opts.target.as_deref())?;
        g.add_all_deps(&df)?;
        let reachable = g.reachable(target);
        Ok(Plan {
            df,
            g,
            triggers,
            target,
            reachable,
            globals,
            target_platform,
            roots: BTreeMap::new(),
            locals: Vec::new(),
            context_excludes: None,
            asked_dockerfile_ignore: false,
            local_excludes: BTreeMap::new(),
            lock: None,
            first_round_pending: false,
            findings: Vec::new(),
        })
    }

    /// The plan as [`super::Planned`] (for a converter that stops there).
    fn into_planned(self, opts: &ConvertOptions, warnings: Vec<Diagnostic>) -> super::Planned {
        super::Planned {
            df: self.df,
            g: self.g,
            target: self.target,
            reachable: self.reachable,
            globals: self.globals,
            build_args: opts.build_args.clone(),
            warnings,
        }
    }

    /// Phase 4, one step: applies the ONBUILD triggers of the base images
    /// resolved so far. The nodes they newly reach need another round.
    fn apply_image_triggers(&mut self) -> Result<Option<BTreeSet<usize>>, Error> {
        let changed = onbuild::apply_image_triggers(
            &mut self.df,
            &mut self.g,
            &mut self.roots,
            &mut self.triggers,
        )?;
        if !changed {
            return Ok(None);
        }
        self.g.check_cycles()?;
        let now = self.g.reachable(self.target);
        let fresh = now.difference(&self.reachable).copied().collect();
        self.reachable = now;
        Ok(Some(fresh))
    }

    /// Phase 5: dispatch and fill in the follow paths.
    fn dispatch(
        self,
        source: &SourceSet,
        opts: &ConvertOptions,
        limits: &Limits,
    ) -> Result<Ready, Error> {
        let Plan {
            mut df,
            g,
            triggers,
            target,
            reachable,
            globals,
            target_platform,
            roots,
            locals,
            context_excludes,
            findings,
            ..
        } = self;
        let graph = build::Graph {
            g: &g,
            reachable: &reachable,
            target,
            globals: &globals,
            triggers: &triggers,
        };
        let resolved = build::Resolved {
            roots,
            locals,
            context_excludes: context_excludes.unwrap_or_default(),
            findings,
        };
        let target_state =
            build::dispatch_reachable(&mut df, &graph, resolved, source, opts, limits)?;
        Ok(Ready {
            target: target_state,
            target_platform,
            opts: opts.clone(),
            limits: *limits,
            warnings: Vec::new(),
        })
    }
}

/// `TARGETSTAGE`'s value: the target, else the last stage's name, else
/// `default`.
fn stage_arg(df: &ir::Dockerfile, opts: &ConvertOptions, spaces: Option<&Namespaces>) -> String {
    let main = spaces.map_or(df.stages.len(), Namespaces::main_stages);
    let named = match opts.target.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => Some(t.to_string()),
        None => df.stages[..main.min(df.stages.len())]
            .last()
            .and_then(|s| s.name.as_ref())
            .map(|n| n.value.to_string()),
    };
    named
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".into())
}

/// A conversion that is dispatched and waits to be marshaled.
pub struct Ready {
    target: super::dispatch::StageState,
    target_platform: Platform,
    opts: ConvertOptions,
    limits: Limits,
    warnings: Vec<Diagnostic>,
}

impl Ready {
    /// The conversion with its Definition made by `marshal`, and every warning (the parser's
    /// and lint's first).
    fn finish(self, marshal: &mut build::MarshalFn<'_>) -> Result<Conversion, Error> {
        let mut conv = build::finalize(
            self.target,
            &self.opts,
            &self.target_platform,
            &self.limits,
            marshal,
        )?;
        conv.warnings = [self.warnings, conv.warnings].concat();
        Ok(conv)
    }

    /// Marshals the Definition.
    pub fn marshal(self) -> Result<Conversion, Vec<Diagnostic>> {
        let mut marshal =
            |st: crate::llb::State, mopts: &crate::llb::MarshalOptions| st.marshal(mopts);
        self.finish(&mut marshal).map_err(|e| vec![e.into()])
    }

    /// The warnings the build would report, without marshaling its Definition (what a build
    /// check wants: upstream's lint stops after dispatch too). An error is the diagnostics of a
    /// failed finish (an image config over the limit, a `REQUIRE`d stage that fails to
    /// marshal); a Definition over the size limit is not reported here, as it is never built.
    /// The graph is freed or left as `teardown` says.
    pub fn into_warnings(
        self,
        teardown: crate::llb::Teardown,
    ) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
        let mut skip = |st: crate::llb::State, _: &crate::llb::MarshalOptions| {
            teardown.release(st);
            Ok(crate::llb::pb::Definition::default())
        };
        self.finish(&mut skip)
            .map(|conv| conv.warnings)
            .map_err(|e| vec![e.into()])
    }

    /// Marshals the Definition straight to `out`, op by op (the same bytes
    /// as `definition.encode_to_vec()`), without building it, then frees the
    /// graph or leaves it as `teardown` says. The outer error is a failed write.
    pub fn marshal_to(
        self,
        out: &mut dyn std::io::Write,
        teardown: crate::llb::Teardown,
    ) -> std::io::Result<Result<super::StreamedConversion, Vec<Diagnostic>>> {
        let mut write_error = None;
        let mut caps = std::collections::BTreeSet::new();
        let mut marshal = |st: crate::llb::State, mopts: &crate::llb::MarshalOptions| {
            let mut w = super::ErrorSlot {
                out: &mut *out,
                error: &mut write_error,
            };
            caps = st.marshal_to(mopts, teardown, &mut w)?;
            Ok(crate::llb::pb::Definition::default())
        };
        let converted = self.finish(&mut marshal);
        if let Some(e) = write_error {
            return Err(e);
        }
        Ok(match converted {
            Ok(conv) => {
                let mut streamed = super::StreamedConversion::from(conv);
                streamed.caps = caps;
                Ok(streamed)
            }
            Err(e) => Err(vec![e.into()]),
        })
    }

    /// Warnings found so far (parser and lint findings).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}

/// What reads files before stages are planned: composition (INCLUDE, IF),
/// then imports (stages of other Dockerfiles).
enum Loader {
    Compose(Box<Composer>),
    Import(Box<Importer>),
}

enum Phase {
    /// Nothing done yet.
    Start,
    /// Included or imported files were asked for; waiting for the answers.
    Loading(Loader, Requests),
    /// Their answers are in.
    Loaded(Loader, Requests, Answers),
    /// A round was asked for; waiting for [`Converter::answer`].
    Waiting(Box<Plan>, Round, Vec<IgnoreFile>),
    /// The answers of the round are in.
    Answered(Box<Plan>, Round, Answers, Vec<IgnoreFile>),
    /// Ready or failed was returned.
    Finished,
}

/// A conversion in progress: the host calls [`Converter::step`] until it
/// returns [`Step::Ready`] or [`Step::Failed`], and answers each
/// [`Step::Need`] with [`Converter::answer`]. See the module docs.
///
/// ```rust
/// use llb_gen::convert::{Answers, ConvertOptions, Converter, ResolvedImage, Step};
/// use llb_gen::limits::Limits;
///
/// let text = "FROM alpine:3.23\nCOPY . /src\nRUN make -C /src\n";
/// let mut converter = Converter::new(text, ConvertOptions::default(), Limits::DEFAULT);
/// let ready = loop {
///     match converter.step() {
///         Step::Need(requests) => {
///             // A real host resolves the images and reads the files, each
///             // round's requests concurrently if it likes.
///             let mut answers = Answers::default();
///             for image in &requests.images {
///                 answers.images.push(Ok(ResolvedImage {
///                     reference: image.reference.clone(),
///                     digest: String::new(),
///                     config: br#"{"config":{"Env":["PATH=/bin"]}}"#.to_vec(),
///                 }));
///             }
///             // No `.dockerignore` anywhere.
///             answers.files = requests.files.iter().map(|_| Ok(None)).collect();
///             converter.answer(answers);
///         }
///         Step::Ready(ready) => break ready,
///         Step::Failed(diagnostics) => panic!("{diagnostics:?}"),
///         Step::Composed(_) | Step::Planned(_) => unreachable!("only when asked to stop"),
///     }
/// };
/// let conversion = ready.marshal().unwrap();
/// assert!(!conversion.definition.def.is_empty());
/// ```
pub struct Converter {
    /// Where to stop before a conversion is ready.
    stop: Stop,
    sources: SourceSet,
    compose_rounds: usize,
    opts: ConvertOptions,
    limits: Limits,
    warnings: Vec<Diagnostic>,
    phase: Phase,
}

impl Converter {
    /// A conversion of the Dockerfile `source` (its bytes as read) with
    /// `opts`, under `limits`.
    pub fn new(source: impl Into<Vec<u8>>, opts: ConvertOptions, limits: Limits) -> Converter {
        Converter {
            sources: SourceSet::new(opts.filename.clone(), source),
            compose_rounds: 0,
            stop: Stop::Ready,
            opts,
            limits,
            warnings: Vec::new(),
            phase: Phase::Start,
        }
    }

    /// This converter stops when the file is composed and typed: its last
    /// step is [`Step::Composed`] (for requests that list the stages, such
    /// as `--call=targets`, which need no image).
    pub fn until_composed(mut self) -> Converter {
        self.stop = Stop::Composed;
        self
    }

    /// This converter stops when the stages are planned: its last step is
    /// [`Step::Planned`] (for requests about the target's stages, such as
    /// `--call=outline`, which need no image).
    pub fn until_planned(mut self) -> Converter {
        self.stop = Stop::Planned;
        self
    }

    /// The Dockerfile's bytes (diagnostics of a file without INCLUDE
    /// index them).
    pub fn source(&self) -> &[u8] {
        &self.sources.main().bytes
    }

    /// Every file of the build so far: the Dockerfile and the files it
    /// includes. Diagnostics and source maps index this set.
    pub fn sources(&self) -> &SourceSet {
        &self.sources
    }

    /// The build's files, for a host that is done with the converter
    /// (rendering its result's or its failure's diagnostics).
    pub fn into_sources(self) -> SourceSet {
        self.sources
    }

    /// Runs until the converter needs answers, is ready, or fails.
    pub fn step(&mut self) -> Step {
        match self.advance() {
            Ok(step) => step,
            Err(d) => {
                self.phase = Phase::Finished;
                Step::Failed(d)
            }
        }
    }

    /// The answers to the last [`Step::Need`]. Answers given at another
    /// time are ignored: the next step fails with an error saying so.
    pub fn answer(&mut self, answers: Answers) {
        self.phase = match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Waiting(plan, round, uses) => Phase::Answered(plan, round, answers, uses),
            Phase::Loading(loader, asked) => Phase::Loaded(loader, asked, answers),
            _ => Phase::Finished,
        };
    }

    fn advance(&mut self) -> Result<Step, Vec<Diagnostic>> {
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Start => {
                // Into the text the source set holds: the instructions' words point into it
                // instead of a copy of the file of their own (1.6 MB at the stage limit).
                let main = self.sources.main();
                let parsed =
                    crate::syntax::parse_shared(&main.file.text, &main.bytes, &self.limits);
                if parsed.is_ok() && compose::needed(&parsed.dockerfile) {
                    let c = Composer::new(parsed.dockerfile);
                    return self.compose(Box::new(c));
                }
                let (df, warnings) =
                    super::lower_parsed(parsed, &self.sources, &self.opts, &self.limits)?;
                self.warnings = warnings;
                self.plan(df)
            }
            Phase::Loading(loader, asked) => {
                // Stepped again without answers: ask again.
                self.phase = Phase::Loading(loader, asked.clone());
                Ok(Step::Need(asked))
            }
            Phase::Loaded(Loader::Compose(mut c), asked, answers) => {
                let (files, dirs) = (answers.files, answers.dirs);
                c.answer(
                    &mut self.sources,
                    &asked.files,
                    files,
                    &asked.dirs,
                    dirs,
                    &self.limits,
                );
                self.compose(c)
            }
            Phase::Loaded(Loader::Import(mut i), asked, answers) => {
                i.answer(
                    &mut self.sources,
                    (&asked.files, &asked.dirs),
                    (answers.files, answers.dirs),
                    &self.opts,
                    &self.limits,
                );
                self.import(i)
            }
            Phase::Waiting(plan, round, uses) => {
                // Stepped again without answers: ask again.
                let requests = self.requests(&round, &uses);
                self.phase = Phase::Waiting(plan, round, uses);
                Ok(Step::Need(requests))
            }
            Phase::Answered(plan, round, answers, uses) => self.resume(plan, round, answers, uses),
            Phase::Finished => Err(vec![Error::new(
                ErrorKind::ConverterFinished,
                TextRange::empty(0),
            )
            .into()]),
        }
    }

    /// Phase 2 on the instructions: the plan, and its first round.
    fn plan(&mut self, df: ir::Dockerfile) -> Result<Step, Vec<Diagnostic>> {
        if self.stop == Stop::Composed {
            let warnings = std::mem::take(&mut self.warnings);
            let composed = Composed {
                dockerfile: df,
                warnings,
            };
            return Ok(Step::Composed(Box::new(composed)));
        }
        let stage = stage_arg(&df, &self.opts, None);
        if imports::needed(&df, &self.opts, &stage) {
            let importer = Importer::new(df, &self.opts, stage);
            return self.import(Box::new(importer));
        }
        self.plan_with(df, None)
    }

    /// Loads imported Dockerfiles until every one is in, then plans.
    fn import(&mut self, mut importer: Box<Importer>) -> Result<Step, Vec<Diagnostic>> {
        match importer.step(&mut self.sources, &self.opts, &self.limits)? {
            Next::Need(files, dirs) => Ok(self.load(Loader::Import(importer), files, dirs)),
            Next::Done(df, spaces) => {
                self.warnings.append(&mut importer.warnings);
                self.plan_with(df, Some(spaces))
            }
        }
    }

    /// Phase 2 with the namespaces of imported files, if any.
    fn plan_with(
        &mut self,
        df: ir::Dockerfile,
        spaces: Option<Box<Namespaces>>,
    ) -> Result<Step, Vec<Diagnostic>> {
        let mut plan = Plan::new(df, &self.opts, spaces).map_err(|e| vec![e.into()])?;
        if self.stop == Stop::Planned {
            // The outline resolves no image: it stops before the lock's round.
            let warnings = std::mem::take(&mut self.warnings);
            return Ok(Step::Planned(Box::new(
                plan.into_planned(&self.opts, warnings),
            )));
        }
        if self.opts.use_lock {
            // The lock decides which images are asked for: it comes first,
            // with `<Dockerfile>.dockerignore` (both beside the Dockerfile,
            // which the frontend read them with).
            plan.first_round_pending = true;
            return self.ask(Box::new(plan), &BTreeSet::new(), vec![IgnoreFile::Lock]);
        }
        let nodes = plan.reachable.clone();
        self.ask(Box::new(plan), &nodes, Vec::new())
    }

    /// One composition walk: the composed file goes on to the plan; files
    /// still missing are asked for.
    fn compose(&mut self, mut c: Box<Composer>) -> Result<Step, Vec<Diagnostic>> {
        self.compose_rounds += 1;
        let walked = if self.compose_rounds > compose::MAX_ROUNDS {
            Err(vec![compose::too_many_rounds()])
        } else {
            c.walk(&self.sources, &self.opts, &self.limits)
        };
        match walked {
            Ok(Walked::Need(files, dirs)) => Ok(self.load(Loader::Compose(c), files, dirs)),
            Ok(Walked::Done(composed)) => {
                let parsed = crate::syntax::Parsed {
                    dockerfile: composed.dockerfile,
                    errors: Vec::new(),
                };
                let (mut df, warnings) =
                    super::lower_parsed(parsed, &self.sources, &self.opts, &self.limits)?;
                df.extensions = composed.extensions;
                self.warnings = composed.warnings;
                self.warnings.extend(warnings);
                self.plan(df)
            }
            Err(diags) => Err(diags),
        }
    }

    /// Asks the host for `files` and `dirs` on behalf of `loader`.
    fn load(&mut self, loader: Loader, files: Vec<FileRequest>, dirs: Vec<DirRequest>) -> Step {
        let asked = Requests::of_files(files, dirs);
        self.phase = Phase::Loading(loader, asked.clone());
        Step::Need(asked)
    }

    /// Asks for the round of `nodes` and the files in `uses`, plus, the
    /// first time, `<Dockerfile>.dockerignore` (which, when it exists,
    /// stands for the build context's); a round that needs nothing is
    /// finished at once.
    fn ask(
        &mut self,
        mut plan: Box<Plan>,
        nodes: &BTreeSet<usize>,
        mut uses: Vec<IgnoreFile>,
    ) -> Result<Step, Vec<Diagnostic>> {
        let round = Round::new(
            &plan.g,
            nodes,
            &self.opts,
            &plan.target_platform,
            (&plan.local_excludes, plan.lock.as_ref()),
        )
        .map_err(|e| vec![e.into()])?;
        if !plan.asked_dockerfile_ignore {
            plan.asked_dockerfile_ignore = true;
            uses.push(IgnoreFile::Dockerfile);
        }
        uses.extend(round.ignores.iter().cloned().map(IgnoreFile::Local));
        let requests = self.requests(&round, &uses);
        if requests.is_empty() {
            return self.resume(plan, round, Answers::default(), uses);
        }
        self.phase = Phase::Waiting(plan, round, uses);
        Ok(Step::Need(requests))
    }

    /// What a round asks for: its images and the files in `uses`.
    fn requests(&self, round: &Round, uses: &[IgnoreFile]) -> Requests {
        Requests {
            images: round.images.clone(),
            files: uses.iter().map(|u| self.file_request(u)).collect(),
            dirs: Vec::new(),
        }
    }

    /// The request for a file use.
    fn file_request(&self, u: &IgnoreFile) -> FileRequest {
        let beside = |path| FileRequest {
            source: FileSource::Dockerfile,
            path,
        };
        match u {
            IgnoreFile::Dockerfile => beside(format!("{}.dockerignore", self.opts.filename)),
            IgnoreFile::Lock => beside(crate::lock::file_name(&self.opts.filename)),
            IgnoreFile::Context => FileRequest::context_dockerignore(),
            IgnoreFile::Local(name) => FileRequest {
                source: FileSource::Local(name.clone()),
                path: ".dockerignore".into(),
            },
        }
    }

    /// Takes a round's answers in, then goes on to the next round or to
    /// dispatch.
    fn resume(
        &mut self,
        mut plan: Box<Plan>,
        round: Round,
        answers: Answers,
        uses: Vec<IgnoreFile>,
    ) -> Result<Step, Vec<Diagnostic>> {
        let lock = take_files(&mut plan, &uses, answers.files).map_err(|e| vec![e.into()])?;
        if let Some(answer) = lock {
            plan.lock = self.read_lock(answer)?;
        }
        plan.findings.extend(round.findings.iter().cloned());
        let (roots, locals) = round
            .finish(
                &plan.df,
                &plan.g,
                &self.opts,
                &answers.images,
                &plan.local_excludes,
            )
            .map_err(|e| vec![e.into()])?;
        plan.roots.extend(roots);
        plan.locals.extend(locals);
        if std::mem::take(&mut plan.first_round_pending) {
            // `<Dockerfile>.dockerignore` came with the lock: without one, the
            // build context's is read along with the images, not in a round
            // of its own at the end.
            let nodes = plan.reachable.clone();
            let uses = match plan.context_excludes {
                None => vec![IgnoreFile::Context],
                Some(_) => Vec::new(),
            };
            return self.ask(plan, &nodes, uses);
        }
        if let Some(fresh) = plan.apply_image_triggers().map_err(|e| vec![e.into()])? {
            return self.ask(plan, &fresh, Vec::new());
        }
        if plan.context_excludes.is_none() {
            // No `<Dockerfile>.dockerignore`: the build context's applies.
            return self.ask(plan, &BTreeSet::new(), vec![IgnoreFile::Context]);
        }
        let mut ready = plan
            .dispatch(&self.sources, &self.opts, &self.limits)
            .map_err(|e| vec![e.into()])?;
        ready.warnings = std::mem::take(&mut self.warnings);
        Ok(Step::Ready(Box::new(ready)))
    }
}
