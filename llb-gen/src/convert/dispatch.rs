//! Per-stage state and the per-instruction `match`.

use std::collections::{BTreeMap, BTreeSet};

use super::error::{Error, ErrorKind};
use crate::ir::{self, Instruction};
use crate::llb;
use crate::text::TextRange;

use super::api::{ConvertOptions, Platform};
use super::args::{DeclaredArg, EnvList, ProxyArgs};
use super::expand::{expand_for_name, expand_word, Env};
use super::image::Image;
use super::{copy, run, simple};

/// What one stage has built so far (Go `dispatchState`, trimmed to what
/// dispatch needs).
#[derive(Clone, Debug)]
pub(super) struct StageState {
    pub state: llb::State,
    pub image: Image,
    pub platform: Platform,
    /// Declared ARGs (inherited from the parent stage), for RUN history.
    pub declared: Vec<DeclaredArg>,
    /// Progress display name (`build`, `stage-2`, or empty).
    pub display_name: String,
    pub cmd_index: usize,
    pub cmd_total: usize,
    /// CMD was set in this stage (ENTRYPOINT keeps it then).
    pub cmd_set: bool,
    /// The base image config, untouched.
    pub base_config: Option<Vec<u8>>,
    pub ignore_cache: bool,
    /// The presets of the stage's `CACHE` instructions so far.
    pub cache_presets: Vec<ir::CachePreset>,
    /// On the target only, after dispatch: the final states of the stages
    /// that `REQUIRE` names (anywhere the target reaches).
    pub required: Vec<llb::State>,
    /// Whether the current command is an ONBUILD trigger.
    pub on_build: bool,
    /// `SOURCE_DATE_EPOCH` in Unix seconds.
    pub epoch: Option<i64>,
    /// Bytes this stage (with its parent stages) has produced: expanded
    /// words and history entries. They end up in the image config, which
    /// must fit one gRPC message; checked after each instruction.
    pub grown: std::cell::Cell<usize>,
    /// Findings of the build checks that need the conversion (set on the
    /// target once every stage is dispatched).
    pub lint: Vec<crate::diagnostic::Diagnostic>,
}

/// Variable lookup in the stage state's env.
pub(super) struct StateEnv<'a>(pub &'a llb::State);

impl Env for StateEnv<'_> {
    fn lookup(&self, key: &str) -> Option<&str> {
        self.0.get_env(key)
    }
}

/// Everything shared by all stages during dispatch.
pub(super) struct Ctx<'a> {
    pub opts: &'a ConvertOptions,
    pub globals: &'a EnvList,
    pub escape: char,
    pub proxy: Option<ProxyArgs>,
    /// The main build context (a `local://context` source).
    pub context: llb::State,
    /// Paths of the main context used by COPY/ADD/bind mounts.
    pub ctx_paths: BTreeSet<String>,
    /// Paths used from other nodes (`COPY --from`, mount `from=`), by
    /// node: a `local:` named context transfers only those.
    pub dep_paths: BTreeMap<usize, BTreeSet<String>>,
    /// Final states of already-dispatched nodes (by graph index).
    pub done: &'a [Option<llb::State>],
    pub source_map: &'a SourceMaps<'a>,
}

/// The source map of every file of the build, found by span.
pub(super) struct SourceMaps<'s> {
    sources: &'s crate::sources::SourceSet,
    /// One per file of `sources`, in order.
    maps: Vec<std::sync::Arc<llb::SourceMap>>,
}

impl<'s> SourceMaps<'s> {
    pub(super) fn new(sources: &'s crate::sources::SourceSet) -> SourceMaps<'s> {
        let entries = sources.entries();
        SourceMaps {
            sources,
            maps: entries
                .iter()
                .map(|e| llb::SourceMap::new(e.file.name.clone(), e.bytes.clone()))
                .collect(),
        }
    }

    /// The map of the file holding `span`.
    fn of(&self, span: crate::text::TextRange) -> &std::sync::Arc<llb::SourceMap> {
        let i = self.sources.index_of(span.start);
        // One map per file, and a set always holds the Dockerfile.
        &self.maps[i]
    }
}

impl<'a> Ctx<'a> {
    /// The context of one stage's dispatch: no paths used yet.
    pub(super) fn new(
        opts: &'a ConvertOptions,
        globals: &'a EnvList,
        escape: char,
        (context, source_map): (&llb::State, &'a SourceMaps<'a>),
        done: &'a [Option<llb::State>],
    ) -> Self {
        Ctx {
            opts,
            globals,
            escape,
            proxy: super::args::proxy_from_build_args(&opts.build_args),
            context: context.clone(),
            ctx_paths: BTreeSet::new(),
            dep_paths: BTreeMap::new(),
            done,
            source_map,
        }
    }

    pub(super) fn has_cap(&self, cap: &str) -> bool {
        self.opts.llb_caps.supports(cap)
    }

    /// Source locations of an instruction (one range per line, character 0).
    pub(super) fn location(&self, info: &ir::CommandInfo) -> llb::OpOptions {
        let start = i32::try_from(info.start_line).unwrap_or(i32::MAX);
        let end = i32::try_from(info.end_line).unwrap_or(i32::MAX);
        let map = self.source_map.of(info.span);
        // One location, in a vector of one: a push would reserve four (96
        // bytes of slack in every op of the graph).
        llb::OpOptions {
            locations: vec![map.location(start..=end)],
            ..llb::OpOptions::default()
        }
    }
}

/// The proto platform of the stage's ops: the one its state already holds when it is the
/// same (nearly always), shared instead of two strings made per op.
pub(super) fn op_platform(d: &StageState) -> std::sync::Arc<llb::Platform> {
    match d.state.platform_shared() {
        Some(shared) if same_platform(shared, &d.platform) => shared.clone(),
        _ => std::sync::Arc::new(pb_platform(&d.platform)),
    }
}

/// Whether `pb` is [`pb_platform`] of `p`.
fn same_platform(pb: &llb::Platform, p: &Platform) -> bool {
    pb.architecture == p.architecture
        && pb.os == p.os
        && pb.variant == p.variant.as_deref().unwrap_or_default()
        && pb.os_version == p.os_version.as_deref().unwrap_or_default()
        && pb.os_features.is_empty()
}

/// Convert our platform to the proto one.
pub(super) fn pb_platform(p: &Platform) -> llb::Platform {
    llb::Platform {
        architecture: p.architecture.clone(),
        os: p.os.clone(),
        variant: p.variant.clone().unwrap_or_default(),
        os_version: p.os_version.clone().unwrap_or_default(),
        os_features: Vec::new(),
    }
}

/// Go `llb.WithUser`: like [`llb::ChownOpt::parse`], but an empty name is
/// marshalled as id 0 (Go's `UserOpt` with an empty name and uid 0), e.g.
/// `--chown=${UNSET}:${UNSET}`.
pub(super) fn chown_opt(spec: &str) -> llb::ChownOpt {
    let fix = |u: Option<llb::UserOpt>| match u {
        Some(llb::UserOpt::Name(n)) if n.is_empty() => Some(llb::UserOpt::Id(0)),
        other => other,
    };
    let o = llb::ChownOpt::parse(spec);
    llb::ChownOpt {
        user: fix(o.user),
        group: fix(o.group),
    }
}

impl StageState {
    /// Expand a word against the stage env.
    pub(super) fn expand(&self, ctx: &Ctx<'_>, w: &ir::Word) -> Result<String, Error> {
        let out = expand_word(&w.value, &StateEnv(&self.state), ctx.escape)
            .map_err(|e| Error::word(e, w.span))?;
        self.grow(out.len());
        Ok(out)
    }

    /// Counts `bytes` towards [`StageState::grown`].
    pub(super) fn grow(&self, bytes: usize) {
        self.grown.set(self.grown.get().saturating_add(bytes));
    }

    /// An error when the stage has produced more than the image config can
    /// carry, located at the instruction that crossed the limit.
    pub(super) fn check_growth(&self, span: TextRange, max: usize) -> Result<(), Error> {
        match crate::limits::Exceeded::check(
            crate::limits::Limit::DefinitionBytes,
            self.grown.get(),
            max,
        ) {
            None => Ok(()),
            Some(e) => Err(Error::new(ErrorKind::StageTooLarge(e), span).with_help(e.help())),
        }
    }

    /// `[stage i/n] NAME` (Go `prefixCommand`); advances the step counter.
    pub(super) fn progress_name(&mut self, ctx: &Ctx<'_>, text: &str) -> String {
        if self.cmd_total == 0 {
            return text.to_string();
        }
        // Room for the usual parts: `[`, the stage's name, the step
        // counter and the text.
        let mut out = String::with_capacity(self.display_name.len() + text.len() + 32);
        out.push('[');
        if ctx.opts.multi_platform {
            let state = &self.state;
            out.push_str(&super::platform::progress_prefix(&self.platform, |k| {
                state.get_env(k)
            }));
            out.push(' ');
        }
        if !self.display_name.is_empty() {
            out.push_str(&self.display_name);
            out.push(' ');
        }
        self.cmd_index += 1;
        let width = self.cmd_total.checked_ilog10().unwrap_or(0) as usize + 1;
        push_step(&mut out, self.cmd_index, self.cmd_total, width);
        out.push_str("] ");
        if self.on_build {
            out.push_str("ONBUILD ");
        }
        out.push_str(text);
        out
    }

    /// The display text of a COPY/ADD/WORKDIR: its original line expanded
    /// by the plain lexer and the keyword upper-cased.
    pub(super) fn display_text(&self, ctx: &Ctx<'_>, original: &str) -> String {
        let expanded = expand_for_name(original.trim_end(), &StateEnv(&self.state), ctx.escape);
        uppercase_cmd(expanded)
    }

    /// Op options shared by RUN/COPY/ADD/WORKDIR ops (RUN adds the
    /// `com.docker.dockerfile.v1.command` description itself; file ops have
    /// none upstream).
    pub(super) fn op_options(
        &self,
        ctx: &Ctx<'_>,
        info: &ir::CommandInfo,
        name: String,
    ) -> llb::OpOptions {
        ctx.location(info)
            .custom_name(name)
            .ignore_cache(self.ignore_cache)
    }

    /// Append a history entry to the image.
    pub(super) fn commit(&mut self, msg: String, with_layer: bool, buildkit_suffix: bool) {
        self.grow(msg.len());
        let created = self.epoch.map(super::epoch::rfc3339);
        self.image
            .commit(msg, with_layer, buildkit_suffix, created.as_deref());
    }
}

/// The text with its first word (the keyword) upper-cased: in place when the keyword is
/// ASCII (the text is a fresh expansion, so no copy of it is made).
pub(super) fn uppercase_cmd(mut s: String) -> String {
    let k_len = crate::text::split_once_ascii(&s, b' ').map_or(s.len(), |(k, _)| k.len());
    match s.get_mut(..k_len) {
        Some(head) if head.is_ascii() => {
            head.make_ascii_uppercase();
            s
        }
        _ => {
            let (head, rest) = s.split_at_checked(k_len).unwrap_or((&s, ""));
            let mut out = head.to_uppercase();
            out.push_str(rest);
            out
        }
    }
}

/// `format!("{index:>width$}/{total}")`: the step's index right-aligned in
/// `width` columns, a slash and the number of steps.
pub(super) fn push_step(out: &mut String, index: usize, total: usize, width: usize) {
    let mut digits = itoa::Buffer::new();
    let index = digits.format(index);
    for _ in index.len()..width {
        out.push(' ');
    }
    out.push_str(index);
    out.push('/');
    out.push_str(itoa::Buffer::new().format(total));
}

/// Lowers one command onto the stage state: the `match` on the instruction.
pub(super) fn dispatch(
    d: &mut StageState,
    ctx: &mut Ctx<'_>,
    cmd: &ir::Command,
    sources: &[Option<usize>],
) -> Result<(), Error> {
    match &cmd.instruction {
        Instruction::Arg(a) => simple::arg(d, ctx, a),
        Instruction::Env(kvs) => simple::env(d, ctx, kvs),
        Instruction::Label(kvs) => simple::label(d, ctx, kvs),
        Instruction::Run(r) => run::run(d, ctx, cmd, r, sources),
        Instruction::Copy(c) => copy::copy(d, ctx, cmd, c, sources.first().copied().flatten()),
        Instruction::Add(a) => copy::add(d, ctx, cmd, a),
        Instruction::Workdir(w) => simple::workdir(d, ctx, cmd, w),
        Instruction::User(w) => simple::user(d, ctx, w),
        Instruction::Volume(v) => simple::volume(d, ctx, v, cmd.info.span),
        Instruction::Expose(p) => simple::expose(d, ctx, p, cmd.info.span),
        Instruction::StopSignal(s) => simple::stop_signal(d, ctx, s),
        Instruction::Cmd(c) => {
            simple::cmd(d, c);
            Ok(())
        }
        Instruction::Entrypoint(c) => {
            simple::entrypoint(d, c);
            Ok(())
        }
        Instruction::Shell(s) => {
            simple::shell(d, s);
            Ok(())
        }
        Instruction::Healthcheck(h) => {
            simple::healthcheck(d, h);
            Ok(())
        }
        Instruction::OnBuild(o) => {
            d.image
                .config
                .on_build
                .get_or_insert_with(Vec::new)
                .push(o.expression.clone());
            Ok(())
        }
        Instruction::Cache(presets) => {
            // No op and no history: the presets shape later RUNs only.
            for p in presets {
                if !d.cache_presets.contains(&p.value) {
                    d.cache_presets.push(p.value);
                }
            }
            Ok(())
        }
        // Built along by the host (`Conversion::required`), nothing here.
        Instruction::Require(_) => Ok(()),
        Instruction::Maintainer(m) => {
            d.image.author = m.value.to_string();
            d.commit(format!("MAINTAINER {}", m.value), false, false);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{push_step, uppercase_cmd};

    /// The step counter and the keyword are what `format!` and
    /// `to_uppercase` gave.
    #[test]
    fn step_counter_and_keyword_as_formatted() {
        for total in [1usize, 9, 10, 99, 100, 12345, usize::MAX] {
            let width = total.checked_ilog10().unwrap_or(0) as usize + 1;
            for index in [0usize, 1, 7, 10, 99, 100, 12344, total] {
                let mut got = String::from("x");
                push_step(&mut got, index, total, width);
                assert_eq!(got, format!("x{index:>width$}/{total}"));
            }
        }
        for s in ["run echo", "RUN", "cOpY a b", "ünïcode x", "", " lead"] {
            let want = match s.split_once(' ') {
                Some((k, rest)) => format!("{} {rest}", k.to_uppercase()),
                None => s.to_uppercase(),
            };
            assert_eq!(uppercase_cmd(s.to_string()), want, "{s:?}");
        }
    }
}
