//! Dispatch of the reachable stages and finalization (image config,
//! marshaling). The phases before it are in `session.rs`, base-image
//! resolution in `resolve.rs`.

use std::collections::{BTreeMap, BTreeSet};

use super::error::{Error, ErrorKind};
use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::limits::{Exceeded, Limit, Limits};
use crate::llb;
use crate::text::TextRange;

use super::api::{Conversion, ConvertOptions, Platform};
use super::args::EnvList;
use super::dispatch::{dispatch, pb_platform, Ctx, StageState};
use super::image::{Image, DEFAULT_PATH};
use super::resolve::LocalRoot;
use super::simple::base_workdir;
use super::stages::{NodeId, StageGraph, StageId, SCRATCH};
use super::{lint_hooks, onbuild};

/// A resolved root: the llb state and config a stage starts from.
#[derive(Clone)]
pub(super) struct Root {
    pub(super) state: llb::State,
    pub(super) image: Image,
    pub(super) base_config: Option<Vec<u8>>,
    pub(super) platform: Platform,
}

/// Progress name of a FROM (always step 1 of the stage); `platform` is
/// given in a multi-platform build (a `linux/arm64 ` prefix).
pub(super) fn prefix_from(
    display: &str,
    total: &mut usize,
    text: &str,
    platform: Option<&Platform>,
) -> String {
    if *total == 0 {
        return text.to_string();
    }
    let width = total.checked_ilog10().unwrap_or(0) as usize + 1;
    let mut out = String::with_capacity(32 + display.len() + 2 * width + text.len());
    out.push('[');
    if let Some(p) = platform {
        out.push_str(&super::platform::progress_prefix(p, |_| None));
        out.push(' ');
    }
    if !display.is_empty() {
        out.push_str(display);
        out.push(' ');
    }
    super::dispatch::push_step(&mut out, 1, *total, width);
    crate::text::push_all(&mut out, &["] ", text]);
    out
}

/// The initial state of a stage: from its parent's result or its root.
fn init_stage(
    g: &StageGraph,
    i: usize,
    roots: &mut [Option<Root>],
    results: &mut [Option<Box<StageState>>],
    children_left: &mut [usize],
    target: usize,
    opts: &ConvertOptions,
) -> Option<StageState> {
    let node = &g.nodes[i];
    let mut d = match node.parent {
        Some(p) => {
            // The last child takes its parent's result over (see `dispatch_all`).
            let left = children_left.get_mut(p)?;
            *left = left.saturating_sub(1);
            let keep = *left > 0 || p == target;
            let slot = results.get_mut(p)?;
            let mut d = *if keep { slot.clone()? } else { slot.take()? };
            d.image.config.on_build = None;
            // `CACHE` applies to its own stage only.
            d.cache_presets.clear();
            d.cmd_index = 0;
            d.cmd_set = false;
            d
        }
        None => {
            // Each root starts one stage: taken over, not copied.
            let root = roots.get_mut(i)?.take()?;
            let has_image_step = !root.state.is_scratch() || node.base_name != SCRATCH;
            let state = root.state.with_platform(pb_platform(&root.platform));
            let mut d = root_stage(Root { state, ..root });
            d.cmd_index = usize::from(has_image_step && node.base_name != SCRATCH);
            d
        }
    };
    d.display_name = node.display_name.as_str().to_owned();
    d.cmd_total = node.cmd_total;
    if node.parent.is_some() {
        d.cmd_index = 0;
    }
    d.ignore_cache = match &opts.no_cache {
        Some(set) if set.is_empty() => true,
        Some(set) => node.name.as_ref().is_some_and(|n| set.contains(n.as_str())),
        None => false,
    };
    if d.image.env_get("PATH").is_none() && d.platform.os != "windows" {
        d.image
            .config
            .env
            .get_or_insert_with(Vec::new)
            .push(<[&str]>::concat(&["PATH=", DEFAULT_PATH]));
    }
    for e in d.image.config.env.as_deref().unwrap_or_default() {
        let (k, v) = crate::text::split_once_ascii(e, b'=').unwrap_or((e.as_str(), ""));
        d.state = std::mem::take(&mut d.state).set_env(k, v);
    }
    if let Some(h) = &opts.hostname {
        d.state = d.state.with_hostname(h.clone());
    }
    if !d.image.config.working_dir.is_empty() {
        let wd = d.image.config.working_dir.clone();
        base_workdir(&mut d, &wd);
    }
    if !d.image.config.user.is_empty() {
        d.state = d.state.with_user(d.image.config.user.clone());
    }
    if let Some(n) = &opts.force_network_mode {
        let mode = match n.as_str() {
            "none" => llb::NetMode::None,
            "host" => llb::NetMode::Host,
            _ => llb::NetMode::Unset,
        };
        d.state = d.state.with_network(mode);
    }
    Some(d)
}

/// The result of a stage replaced by a named context.
fn context_stage(
    node: &super::stages::StageNode,
    i: usize,
    roots: &mut [Option<Root>],
) -> Option<StageState> {
    let mut d = root_stage(roots.get_mut(i)?.take()?);
    d.display_name = node.display_name.as_str().to_owned();
    d.base_config = None;
    Some(d)
}

/// A stage that starts from a root (nothing dispatched yet).
fn root_stage(root: Root) -> StageState {
    StageState {
        state: root.state,
        image: root.image,
        platform: root.platform,
        declared: Vec::new(),
        display_name: String::new(),
        cmd_index: 0,
        cmd_total: 0,
        cmd_set: false,
        base_config: root.base_config,
        ignore_cache: false,
        cache_presets: Vec::new(),
        required: Vec::new(),
        on_build: false,
        epoch: None,
        grown: Default::default(),
        lint: Vec::new(),
    }
}

/// `local.followpaths` for the paths used from a local source (none, i.e.
/// everything, when `/` is used).
fn follow_paths(paths: &BTreeSet<String>) -> Vec<String> {
    if paths.contains("/") {
        return Vec::new();
    }
    paths
        .iter()
        .map(|p| p.trim_start_matches('/').to_string())
        .map(|p| if p.is_empty() { ".".into() } else { p })
        .collect()
}

/// The main build context source. For the client's directory, its follow
/// paths are filled in once dispatch knows them (the slot); a Git or
/// HTTP(S) context is the remote source, scoped to `contextsubdir`, and
/// takes no `.dockerignore` (as upstream).
fn main_context(
    opts: &ConvertOptions,
    excludes: Vec<String>,
) -> (llb::State, Option<llb::FollowPathsSlot>) {
    if let Some(st) = opts
        .main_context
        .context_state(opts.context_subdir.as_deref())
    {
        return (st, None);
    }
    let (st, slot) = llb::local_later(
        "context",
        llb::LocalOptions {
            session_id: opts.session_for("context"),
            exclude_patterns: excludes,
            shared_key_hint: Some("context".into()),
            op: llb::OpOptions::default().custom_name("[internal] load build context"),
            ..Default::default()
        },
    );
    (st, Some(slot))
}

struct Dispatched {
    target: StageState,
    /// Findings of the build checks made during dispatch.
    warnings: Vec<Diagnostic>,
    ctx_paths: BTreeSet<String>,
    dep_paths: BTreeMap<usize, BTreeSet<String>>,
}

#[allow(clippy::too_many_arguments)]
fn dispatch_all(
    df: &mut ir::Dockerfile,
    graph: &Graph<'_>,
    roots: BTreeMap<usize, Root>,
    opts: &ConvertOptions,
    (context, excludes): (llb::State, &[String]),
    source_map: &super::dispatch::SourceMaps<'_>,
    limits: &Limits,
) -> Result<Dispatched, Error> {
    let Graph {
        g,
        reachable,
        target,
        globals,
        triggers: _,
    } = *graph;
    // Boxed: most nodes never hold a result (and `StageState` is large).
    let mut results: Vec<Option<Box<StageState>>> = vec![None; g.nodes.len()];
    // Synthetic (image) nodes are ready as soon as they are resolved.
    let mut done: Vec<Option<llb::State>> = vec![None; g.nodes.len()];
    // By node, each taken once: a tree's removal moved the larger roots after it (about 1 MB of
    // copies on 500 stages).
    let mut by_node: Vec<Option<Root>> = Vec::with_capacity(g.nodes.len());
    by_node.resize_with(g.nodes.len(), || None);
    for (i, root) in roots {
        if g.nodes[i].is_synthetic() {
            done[i] = Some(root.state.clone());
        }
        if let Some(slot) = by_node.get_mut(i) {
            *slot = Some(root);
        }
    }
    let mut roots = by_node;
    let mut children_left = child_stage_counts(g, reachable);
    let epoch = super::epoch::resolve(&opts.build_args, globals, &df.meta_args)?;
    let mut ctx_paths = BTreeSet::new();
    let mut dep_paths: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    let mut required = BTreeSet::new();
    let mut warnings = Vec::new();
    for i in dispatch_order(g, reachable) {
        let node = &g.nodes[i];
        let Some(stage_idx) = node.stage else {
            continue;
        };
        if node.context.is_some() {
            // Replaced by a named context: nothing of the stage runs.
            let mut d = context_stage(node, i, &mut roots)
                .ok_or_else(|| not_built("named context was not loaded", node.span))?;
            d.epoch = epoch;
            done[i] = Some(d.state.clone());
            if i == target || children_left[i] > 0 {
                results[i] = Some(Box::new(d));
            }
            continue;
        }
        if let (None, Some(Some(root))) = (node.parent, roots.get(i)) {
            if root.base_config.is_some() {
                let stage = &df.stages[stage_idx];
                warnings.extend(lint_hooks::base_platform(
                    stage,
                    &root.image,
                    &root.platform,
                ));
            }
        }
        let mut d = init_stage(
            g,
            i,
            &mut roots,
            &mut results,
            &mut children_left,
            target,
            opts,
        )
        .ok_or_else(|| not_built("base stage was not built", node.span))?;
        d.epoch = epoch;
        let (scope, escape) = g.scope(stage_idx, globals, df.escape);
        let mut ctx = Ctx::new(opts, &scope, escape, (&context, source_map), &done);
        required.extend(super::require::named_by(
            g,
            i,
            &df.stages[stage_idx].commands,
        ));
        // Instructions are not needed once dispatched: freed stage by stage.
        let commands = std::mem::take(&mut df.stages[stage_idx].commands);
        let at = (NodeId(i), StageId(stage_idx));
        let checks = lint_hooks::Checks {
            warnings: &mut warnings,
            excludes,
        };
        dispatch_commands(&mut d, &mut ctx, &commands, at, graph, limits, checks)?;
        ctx_paths.extend(std::mem::take(&mut ctx.ctx_paths));
        for (n, used) in std::mem::take(&mut ctx.dep_paths) {
            dep_paths.entry(n).or_default().extend(used);
        }
        done[i] = Some(d.state.clone());
        if i == target || children_left[i] > 0 {
            results[i] = Some(Box::new(d));
        }
    }
    let mut target_state = results
        .get_mut(target)
        .and_then(Option::take)
        .map(|b| *b)
        .ok_or_else(|| not_built("target stage was not built", TextRange::empty(0)))?;
    target_state.required = required
        .into_iter()
        .filter(|&n| n != target)
        .filter_map(|n| done.get(n).cloned().flatten())
        .collect();
    let target = target_state;
    Ok(Dispatched {
        target,
        warnings,
        ctx_paths,
        dep_paths,
    })
}

/// The order stages are dispatched in: by index, except that a stage
/// imported from another file is dispatched before the first stage that
/// uses it (imported stages come after the main file's). Without imports
/// this is the index order (a `--from` a later stage of the same file stays
/// an error, as upstream).
fn dispatch_order(g: &StageGraph, reachable: &BTreeSet<usize>) -> Vec<usize> {
    if g.spaces.is_none() {
        return reachable.iter().copied().collect();
    }
    let mut out = Vec::with_capacity(reachable.len());
    let mut seen = BTreeSet::new();
    for &i in reachable {
        emit(g, reachable, i, &mut seen, &mut out);
    }
    out
}

fn emit(
    g: &StageGraph,
    reachable: &BTreeSet<usize>,
    i: usize,
    seen: &mut BTreeSet<usize>,
    out: &mut Vec<usize>,
) {
    if !seen.insert(i) {
        return;
    }
    let node = &g.nodes[i];
    let space = node.stage.map(|s| g.space_index(s));
    let deps = node
        .parent
        .into_iter()
        .chain(node.deps.iter().map(|(d, _)| *d));
    for d in deps.collect::<Vec<_>>() {
        let other = g
            .nodes
            .get(d)
            .and_then(|n| n.stage)
            .map(|s| g.space_index(s));
        if reachable.contains(&d) && (d < i || other != space) {
            emit(g, reachable, d, seen, out);
        }
    }
    out.push(i);
}

/// An internal error: `what` was needed before it was built.
fn not_built(what: &'static str, span: TextRange) -> Error {
    Error::new(ErrorKind::NotBuilt { what }, span)
}

/// A stage's result is kept only until its last child stage starts (and
/// for the target): 500-stage files would otherwise hold every state. The
/// number of reachable child stages of each node.
fn child_stage_counts(g: &StageGraph, reachable: &BTreeSet<usize>) -> Vec<usize> {
    let mut children = vec![0usize; g.nodes.len()];
    for &i in reachable {
        if let (Some(p), Some(_)) = (g.nodes[i].parent, g.nodes[i].stage) {
            if let Some(n) = children.get_mut(p) {
                *n += 1;
            }
        }
    }
    children
}

/// Dispatch the commands of the stage at `(node, stage)`, each with the
/// sources its `--from`/`from=` name; an error in an image's ONBUILD
/// trigger is reported at the command's place (the FROM line).
fn dispatch_commands(
    d: &mut StageState,
    ctx: &mut Ctx<'_>,
    commands: &[ir::Command],
    (node, stage): (NodeId, StageId),
    graph: &Graph<'_>,
    limits: &Limits,
    checks: lint_hooks::Checks<'_>,
) -> Result<(), Error> {
    let history = d.image.reserve_history(commands.len());
    for (ci, cmd) in commands.iter().enumerate() {
        let sources = graph.g.command_sources(node, ci).unwrap_or(&[]);
        let trigger = graph.triggers.get(&(stage, ci));
        d.on_build = trigger.is_some();
        if trigger.is_none() {
            checks
                .warnings
                .extend(lint_hooks::undefined_vars(d, ctx.escape, cmd));
            checks.warnings.extend(lint_hooks::ignored_sources(
                d,
                ctx.escape,
                cmd,
                checks.excludes,
            ));
        }
        dispatch(d, ctx, cmd, sources)
            .and_then(|()| d.check_growth(cmd.info.span, limits.max_definition_bytes))
            .map_err(|e| {
                if trigger == Some(&onbuild::TriggerFrom::Image) {
                    e.relocated(cmd.info.span)
                } else {
                    e
                }
            })?;
    }
    d.on_build = false;
    d.image.reserved_history(history);
    Ok(())
}

/// How the target state is marshaled (e.g. straight to a writer).
pub(super) type MarshalFn<'a> =
    dyn FnMut(llb::State, &llb::MarshalOptions) -> Result<llb::pb::Definition, llb::LlbError> + 'a;

/// The stage graph as dispatch reads it.
pub(super) struct Graph<'a> {
    pub(super) g: &'a StageGraph,
    pub(super) reachable: &'a BTreeSet<usize>,
    pub(super) target: usize,
    pub(super) globals: &'a EnvList,
    pub(super) triggers: &'a onbuild::TriggerSet,
}

/// What resolution produced for dispatch.
pub(super) struct Resolved {
    pub(super) roots: BTreeMap<usize, Root>,
    /// `local:` contexts whose follow paths are known after dispatch.
    pub(super) locals: Vec<LocalRoot>,
    /// The build context's `.dockerignore` patterns.
    pub(super) context_excludes: Vec<String>,
    /// Findings of the resolution (`UnlockedImage`), filtered with the
    /// dispatch's.
    pub(super) findings: Vec<Diagnostic>,
}

/// Dispatches every stage the target reaches, from the resolved roots, and
/// fills in the follow paths of the local sources: the target's state.
pub(super) fn dispatch_reachable(
    df: &mut ir::Dockerfile,
    graph: &Graph<'_>,
    resolved: Resolved,
    sources: &crate::sources::SourceSet,
    opts: &ConvertOptions,
    limits: &Limits,
) -> Result<StageState, Error> {
    let Resolved {
        roots,
        locals,
        context_excludes,
        findings,
    } = resolved;
    let Graph {
        g,
        reachable,
        target,
        ..
    } = *graph;
    // Stages the target does not need are never dispatched: free their
    // instructions now rather than after the whole graph is built.
    for (i, node) in g.nodes.iter().enumerate() {
        if let (Some(s), false) = (node.stage, reachable.contains(&i)) {
            if let Some(stage) = df.stages.get_mut(s) {
                stage.commands = Vec::new();
            }
        }
    }
    let source_map = super::dispatch::SourceMaps::new(sources);
    // The context source follows the paths COPY/ADD/bind mounts used: they
    // are known after dispatch, and filled in before marshaling.
    let excludes = context_excludes.clone();
    let (context, context_paths) = main_context(opts, context_excludes);
    let context = (context, excludes.as_slice());
    let mut out = dispatch_all(df, graph, roots, opts, context, &source_map, limits)?;
    let found = [findings, std::mem::take(&mut out.warnings)].concat();
    out.target.lint = late_findings(df, opts, found)?;
    if let Some(slot) = context_paths {
        slot.fill(follow_paths(&out.ctx_paths));
    }
    // `local:` named contexts transfer only what was copied or mounted from
    // them, unless the whole tree is used (a target or a parent stage).
    for (i, slot) in locals {
        let node = &g.nodes[i];
        let whole = i == target
            || (node.stage.is_some() && node.context.is_none())
            || g.nodes.iter().any(|n| n.parent == Some(i));
        let paths = match out.dep_paths.get(&i) {
            Some(used) if !whole => follow_paths(used),
            _ => Vec::new(),
        };
        slot.fill(paths);
    }
    Ok(out.target)
}

/// The findings made during dispatch that the check configuration keeps;
/// with `error=true`, an error listing them.
fn late_findings(
    df: &ir::Dockerfile,
    opts: &ConvertOptions,
    found: Vec<Diagnostic>,
) -> Result<Vec<Diagnostic>, Error> {
    let (config, _) = crate::lint::CheckConfig::for_build(df, &opts.build_args);
    let kept = config.apply(found);
    let Some(failed) = config.failure(&kept) else {
        return Ok(kept);
    };
    let (summary, each) = failed
        .split_last()
        .map_or((None, &[][..]), |(s, e)| (Some(s), e));
    let message = summary.map_or_else(String::new, |s| s.message.clone());
    let at = summary.map_or(TextRange::empty(0), |s| s.span);
    let list: Vec<String> = each
        .iter()
        .filter_map(|d| {
            Some(format!(
                "{}: {}",
                crate::lint::rule(d.code)?.name,
                d.message
            ))
        })
        .collect();
    Err(Error::new(ErrorKind::ChecksFailed { message }, at).with_help(list.join("; ")))
}

/// A located diagnostic for a marshaling error: a Definition over the
/// limit points at the instruction whose op crossed it.
fn marshal_error(e: llb::LlbError, opts: &ConvertOptions) -> Error {
    match e {
        llb::LlbError::TooLarge { limit, size, at } => {
            let span = match at {
                Some((file, r)) if file == opts.filename => TextRange::from_usize(r.start, r.end),
                _ => TextRange::empty(0),
            };
            let e = Exceeded {
                limit: Limit::DefinitionBytes,
                actual: size,
                max: limit,
            };
            Error::new(ErrorKind::DefinitionTooLarge(e), span).with_help(e.help())
        }
        e => Error::new(
            ErrorKind::Marshal {
                reason: e.to_string(),
            },
            TextRange::empty(0),
        ),
    }
}

pub(super) fn finalize(
    mut d: StageState,
    opts: &ConvertOptions,
    target_platform: &Platform,
    limits: &Limits,
    marshal: &mut MarshalFn<'_>,
) -> Result<Conversion, Error> {
    if !opts.labels.is_empty() {
        let labels = d.image.config.labels.get_or_insert_with(Default::default);
        for (k, v) in &opts.labels {
            labels.insert(k.clone(), v.clone());
        }
    }
    if let Some(tp) = &opts.target_platform {
        let same = tp.os == d.image.os && tp.architecture == d.image.architecture;
        d.image.os = tp.os.clone();
        d.image.architecture = tp.architecture.clone();
        if tp.variant.is_some() || !same {
            d.image.variant = tp.variant.clone().unwrap_or_default();
        }
        if tp.os_version.is_some() || !same {
            d.image.os_version = tp.os_version.clone().unwrap_or_default();
        }
    }
    let caps = opts.llb_caps.clone();
    let mopts = llb::MarshalOptions {
        platform: Some(pb_platform(target_platform)),
        caps,
        max_bytes: Some(limits.max_definition_bytes),
        ..Default::default()
    };
    let definition =
        marshal(std::mem::take(&mut d.state), &mopts).map_err(|e| marshal_error(e, opts))?;
    let required = std::mem::take(&mut d.required)
        .into_iter()
        .map(|st| st.marshal(&mopts).map_err(|e| marshal_error(e, opts)))
        .collect::<Result<Vec<_>, _>>()?;
    let image_config = d.image.to_json();
    let max = limits.max_definition_bytes;
    if let Some(e) = Exceeded::check(Limit::DefinitionBytes, image_config.len(), max) {
        return Err(
            Error::new(ErrorKind::ImageConfigTooLarge(e), TextRange::empty(0)).with_help(e.help()),
        );
    }
    Ok(Conversion {
        definition,
        image_config,
        base_image_config: d.base_config,
        source_date_epoch: d.epoch,
        warnings: std::mem::take(&mut d.lint),
        required,
    })
}
