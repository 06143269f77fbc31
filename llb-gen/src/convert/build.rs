//! The conversion pipeline over typed instructions: globals, stage graph,
//! base-image resolution (one resolver round), dispatch, finalization.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::limits::{grouped, Exceeded, Limit, Limits};
use crate::llb;
use crate::text::TextRange;

use super::api::{Conversion, ConvertOptions, ImageRequest, ImageResolver, Platform, ResolveMode};
use super::args::{build_meta_args, proxy_from_build_args, EnvList};
use super::contexts;
use super::dispatch::{dispatch, err, pb_platform, Ctx, StageState};
use super::image::{Image, DEFAULT_PATH};
use super::onbuild;
use super::platform::default_args;
use super::reference::Reference;
use super::simple::base_workdir;
use super::stages::{StageGraph, SCRATCH};

/// A resolved root: the llb state and config a stage starts from.
#[derive(Clone)]
pub(super) struct Root {
    pub(super) state: llb::State,
    pub(super) image: Image,
    pub(super) base_config: Option<Vec<u8>>,
    pub(super) platform: Platform,
}

fn resolve_mode(m: ResolveMode) -> llb::ResolveMode {
    match m {
        ResolveMode::Default => llb::ResolveMode::Default,
        ResolveMode::Pull => llb::ResolveMode::ForcePull,
        ResolveMode::Local => llb::ResolveMode::PreferLocal,
    }
}

/// A reachable root node waiting for the resolver round.
enum PendingRoot {
    /// A base image (`FROM image`, `COPY --from=image`, mount `from=`).
    Image(usize, Reference, Platform),
    /// A named context, standing in for an image name or replacing a
    /// whole stage (`replaces_stage`).
    Context(usize, Box<contexts::Pending>, Platform, bool),
}

/// A `local:` named context of node `.0`: its follow paths, to be filled
/// in with the paths actually used.
type LocalRoot = (usize, llb::FollowPathsSlot);

/// Resolve the base images of every reachable root node in one round.
fn resolve_roots(
    df: &ir::Dockerfile,
    g: &StageGraph,
    reachable: &BTreeSet<usize>,
    opts: &ConvertOptions,
    target_platform: &Platform,
    resolver: &dyn ImageResolver,
) -> Result<(BTreeMap<usize, Root>, Vec<LocalRoot>), Diagnostic> {
    let mut roots = BTreeMap::new();
    let mut locals = Vec::new();
    let mut pending: Vec<PendingRoot> = Vec::new();
    let context_err = |e: contexts::ContextError, span| {
        let d = err("named-context", e.message, span);
        match e.help {
            Some(h) => d.with_help(h),
            None => d,
        }
    };
    for &i in reachable {
        let node = &g.nodes[i];
        if node.parent.is_some() {
            continue;
        }
        let platform = node
            .platform
            .clone()
            .unwrap_or_else(|| target_platform.clone());
        if let Some(c) = &node.context {
            let p = contexts::prepare(c.clone(), &platform, opts)
                .map_err(|e| context_err(e, node.span))?;
            pending.push(PendingRoot::Context(i, Box::new(p), platform, true));
            continue;
        }
        if node.base_name == SCRATCH {
            let tp = target_platform.clone();
            roots.insert(
                i,
                Root {
                    state: llb::scratch(),
                    image: Image::empty(&tp),
                    base_config: None,
                    platform: tp,
                },
            );
            continue;
        }
        let r = Reference::parse(&node.base_name).map_err(|e| {
            err(
                "invalid-reference",
                format!("failed to parse stage name \"{}\": {e}", node.base_name),
                node.span,
            )
        })?;
        match contexts::lookup_image(&opts.named_contexts, &r, &platform) {
            Some(c) => {
                let p =
                    contexts::prepare(c, &platform, opts).map_err(|e| context_err(e, node.span))?;
                pending.push(PendingRoot::Context(i, Box::new(p), platform, false));
            }
            None => pending.push(PendingRoot::Image(i, r, platform)),
        }
    }
    let mut requests: Vec<ImageRequest> = Vec::new();
    for p in &pending {
        let req = match p {
            PendingRoot::Image(_, r, p) => ImageRequest {
                reference: r.tagged_string(),
                platform: p.clone(),
                resolve_mode_pull: opts.resolve_mode == ResolveMode::Pull,
                log_name: None,
            },
            PendingRoot::Context(_, c, _, _) => match &c.request {
                Some(req) => req.clone(),
                None => continue,
            },
        };
        if !requests.contains(&req) {
            requests.push(req);
        }
    }
    let answers = if requests.is_empty() {
        Vec::new()
    } else {
        resolver.resolve(&requests)
    };
    let answer_for = |req: &ImageRequest| {
        requests
            .iter()
            .position(|q| q == req)
            .and_then(|k| answers.get(k))
            .cloned()
    };
    let mut images = Vec::new();
    for p in pending {
        match p {
            PendingRoot::Image(i, r, platform) => images.push((i, r, platform)),
            PendingRoot::Context(i, c, platform, replaces_stage) => {
                let node = &g.nodes[i];
                let answer = c.request.as_ref().and_then(answer_for);
                let mut loaded = contexts::load(&c, answer, &platform, opts)
                    .map_err(|e| context_err(e, node.span))?;
                if let Some(follow_paths) = loaded.local.take() {
                    locals.push((i, follow_paths));
                }
                roots.insert(i, context_root(loaded, platform, replaces_stage));
            }
        }
    }
    for (i, r, platform) in images {
        let node = &g.nodes[i];
        let answer = requests
            .iter()
            .position(|q| {
                q.log_name.is_none() && q.reference == r.tagged_string() && q.platform == platform
            })
            .and_then(|k| answers.get(k))
            .cloned()
            .unwrap_or_else(|| Err("no answer from resolver".into()));
        let resolved = answer.map_err(|e| {
            let mut d = err(
                "resolve-image",
                format!("{}: {e}", node.base_name),
                node.span,
            );
            if let Some(s) = super::suggest::closest(&node.base_name, &g.names()) {
                d = d.with_help(format!("did you mean \"{s}\"?"));
            }
            d
        })?;
        let mut reference = if resolved.reference != r.tagged_string() {
            Reference::parse(&resolved.reference)
                .map_err(|e| err("invalid-reference", e, node.span))?
        } else {
            r.clone()
        };
        if !resolved.digest.is_empty() {
            reference = reference.with_digest(&resolved.digest);
        }
        let ref_str = reference.tagged_string();
        let (mut image, base_config) = if resolved.config.is_empty() {
            let img = Image {
                architecture: platform.architecture.clone(),
                os: platform.os.clone(),
                // As upstream's empty image (`FROM scratch`):
                // `"rootfs":{"type":"layers","diff_ids":null}`.
                rootfs: super::image::RootFs {
                    kind: "layers".into(),
                    diff_ids: None,
                },
                ..Image::default()
            };
            (img, None)
        } else {
            let img = Image::from_json(&resolved.config)
                .map_err(|e| err("image-config", e, node.span))?;
            (img, Some(resolved.config.clone()))
        };
        image.created = None;
        let scratch = base_config.is_some() && image.has_no_layers();
        let state = if scratch {
            llb::scratch()
        } else {
            let from_line = node
                .stage
                .and_then(|s| df.stages.get(s))
                .map(|s| s.from.original.clone())
                .unwrap_or_default();
            let mut cmd_total = node.cmd_total;
            let name = prefix_from(
                &node.display_name,
                &mut cmd_total,
                &format!("FROM {ref_str}"),
            );
            // Images referenced only by `--from` have no FROM line: upstream
            // still sets the description, empty.
            let op = llb::OpOptions::default()
                .platform(pb_platform(&platform))
                .custom_name(name)
                .description("com.docker.dockerfile.v1.command", from_line);
            llb::image(
                &ref_str,
                llb::ImageOptions {
                    resolve_mode: resolve_mode(opts.resolve_mode),
                    op,
                    ..Default::default()
                },
            )
        };
        roots.insert(
            i,
            Root {
                state,
                image,
                base_config,
                platform,
            },
        );
    }
    Ok((roots, locals))
}

/// The root of a node a named context stands for. A context replacing a
/// whole stage keeps its own config (none for non-images) and takes the
/// config's platform; one standing in for an image is pinned to the
/// requested platform and gets an empty image config when it has none.
fn context_root(loaded: contexts::Loaded, platform: Platform, replaces_stage: bool) -> Root {
    if replaces_stage {
        let image = loaded.image.unwrap_or_default();
        let platform = if image.os.is_empty() || image.architecture.is_empty() {
            platform
        } else {
            contexts::image_platform(&image)
        };
        return Root {
            state: loaded.state,
            image,
            base_config: None,
            platform,
        };
    }
    let image = loaded.image.unwrap_or_else(|| Image::empty(&platform));
    let base_config = loaded.config.or_else(|| Some(image.to_json()));
    Root {
        state: loaded.state.with_platform(pb_platform(&platform)),
        image,
        base_config,
        platform,
    }
}

/// Progress name of a FROM (always step 1 of the stage).
fn prefix_from(display: &str, total: &mut usize, text: &str) -> String {
    if *total == 0 {
        return text.to_string();
    }
    let width = (*total as f64).log10() as usize + 1;
    let mut out = String::from("[");
    if !display.is_empty() {
        out.push_str(display);
        out.push(' ');
    }
    out.push_str(&format!("{:>width$}/{}] {text}", 1, total));
    out
}

/// The initial state of a stage: from its parent's result or its root.
fn init_stage(
    g: &StageGraph,
    i: usize,
    roots: &mut BTreeMap<usize, Root>,
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
            d.cmd_index = 0;
            d.cmd_set = false;
            d
        }
        None => {
            // Each root starts one stage: taken over, not copied.
            let root = roots.remove(&i)?;
            let has_image_step = !root.state.is_scratch() || node.base_name != SCRATCH;
            let state = root.state.with_platform(pb_platform(&root.platform));
            let mut d = root_stage(Root { state, ..root });
            d.cmd_index = usize::from(has_image_step && node.base_name != SCRATCH);
            d
        }
    };
    d.display_name = node.display_name.clone();
    d.cmd_total = node.cmd_total;
    if node.parent.is_some() {
        d.cmd_index = 0;
    }
    d.ignore_cache = match &opts.no_cache {
        Some(set) if set.is_empty() => true,
        Some(set) => node.name.as_ref().is_some_and(|n| set.contains(n)),
        None => false,
    };
    if d.image.env_get("PATH").is_none() && d.platform.os != "windows" {
        d.image
            .config
            .env
            .get_or_insert_with(Vec::new)
            .push(format!("PATH={DEFAULT_PATH}"));
    }
    for e in d.image.config.env.clone().unwrap_or_default() {
        let (k, v) = e.split_once('=').unwrap_or((e.as_str(), ""));
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
    roots: &mut BTreeMap<usize, Root>,
) -> Option<StageState> {
    let mut d = root_stage(roots.remove(&i)?);
    d.display_name = node.display_name.clone();
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
        on_build: false,
        epoch: None,
        grown: Default::default(),
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

/// The main build context source; its follow paths are filled in once
/// dispatch knows them.
fn main_context(opts: &ConvertOptions) -> (llb::State, llb::FollowPathsSlot) {
    llb::local_later(
        "context",
        llb::LocalOptions {
            session_id: opts.session_id.clone(),
            exclude_patterns: opts.excludes.clone(),
            shared_key_hint: Some("context".into()),
            op: llb::OpOptions::default().custom_name("[internal] load build context"),
            ..Default::default()
        },
    )
}

struct Dispatched {
    target: StageState,
    ctx_paths: BTreeSet<String>,
    dep_paths: BTreeMap<usize, BTreeSet<String>>,
}

#[allow(clippy::too_many_arguments)]
fn dispatch_all(
    df: &mut ir::Dockerfile,
    g: &StageGraph,
    reachable: &BTreeSet<usize>,
    mut roots: BTreeMap<usize, Root>,
    target: usize,
    opts: &ConvertOptions,
    globals: &EnvList,
    context: llb::State,
    source_map: &std::sync::Arc<llb::SourceMap>,
    triggers: &onbuild::TriggerSet,
) -> Result<Dispatched, Diagnostic> {
    // Boxed: most nodes never hold a result (and `StageState` is large).
    let mut results: Vec<Option<Box<StageState>>> = vec![None; g.nodes.len()];
    let mut done: Vec<Option<llb::State>> = vec![None; g.nodes.len()];
    // Synthetic (image) nodes are ready as soon as they are resolved.
    for (&i, root) in &roots {
        if g.nodes[i].is_synthetic() {
            done[i] = Some(root.state.clone());
        }
    }
    // A stage's result is kept only until its last child stage starts (and
    // for the target): 500-stage files would otherwise hold every state.
    let mut children_left = vec![0usize; g.nodes.len()];
    for &i in reachable {
        if let (Some(p), Some(_)) = (g.nodes[i].parent, g.nodes[i].stage) {
            if let Some(n) = children_left.get_mut(p) {
                *n += 1;
            }
        }
    }
    let epoch = super::epoch::resolve(&opts.build_args, globals, &df.meta_args)?;
    let mut ctx_paths = BTreeSet::new();
    let mut dep_paths: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for &i in reachable {
        let node = &g.nodes[i];
        let Some(stage_idx) = node.stage else {
            continue;
        };
        if node.context.is_some() {
            // Replaced by a named context: nothing of the stage runs.
            let mut d = context_stage(node, i, &mut roots)
                .ok_or_else(|| err("stage-order", "named context was not loaded", node.span))?;
            d.epoch = epoch;
            done[i] = Some(d.state.clone());
            if i == target || children_left[i] > 0 {
                results[i] = Some(Box::new(d));
            }
            continue;
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
        .ok_or_else(|| err("stage-order", "base stage was not built", node.span))?;
        d.epoch = epoch;
        let mut ctx = Ctx {
            opts,
            globals,
            escape: df.escape,
            proxy: proxy_from_build_args(&opts.build_args),
            context: context.clone(),
            ctx_paths: BTreeSet::new(),
            dep_paths: BTreeMap::new(),
            target_platform: opts
                .target_platform
                .clone()
                .unwrap_or_else(|| opts.build_platform.clone()),
            done: &done,
            source_map,
        };
        // Instructions are not needed once dispatched: freed stage by stage.
        let commands = std::mem::take(&mut df.stages[stage_idx].commands);
        for (ci, cmd) in commands.iter().enumerate() {
            let sources = g.sources.get(&(i, ci)).cloned().unwrap_or_default();
            let trigger = triggers.get(&(stage_idx, ci));
            d.on_build = trigger.is_some();
            dispatch(&mut d, &mut ctx, cmd, &sources)
                .and_then(|()| d.check_growth(cmd.info.span))
                .map_err(|mut e| {
                    // An image's trigger has no place in the file: its FROM line.
                    if trigger == Some(&onbuild::TriggerFrom::Image) {
                        e.span = cmd.info.span;
                    }
                    e
                })?;
        }
        d.on_build = false;
        ctx_paths.extend(std::mem::take(&mut ctx.ctx_paths));
        for (n, used) in std::mem::take(&mut ctx.dep_paths) {
            dep_paths.entry(n).or_default().extend(used);
        }
        done[i] = Some(d.state.clone());
        if i == target || children_left[i] > 0 {
            results[i] = Some(Box::new(d));
        }
    }
    let target = results
        .get_mut(target)
        .and_then(Option::take)
        .map(|b| *b)
        .ok_or_else(|| err("target", "target stage was not built", TextRange::empty(0)))?;
    Ok(Dispatched {
        target,
        ctx_paths,
        dep_paths,
    })
}

/// Convert typed instructions.
pub fn convert_ir(
    df: &ir::Dockerfile,
    text: &str,
    opts: &ConvertOptions,
    resolver: &dyn ImageResolver,
) -> Result<Conversion, Diagnostic> {
    convert_ir_owned(df.clone(), text, opts, resolver)
}

/// [`convert_ir`] taking the instructions over: they (and the stage graph)
/// are freed before marshaling, which keeps the peak memory down.
pub fn convert_ir_owned(
    df: ir::Dockerfile,
    text: &str,
    opts: &ConvertOptions,
    resolver: &dyn ImageResolver,
) -> Result<Conversion, Diagnostic> {
    convert_ir_with(df, text.as_bytes(), opts, resolver, &mut |st, mopts| {
        st.marshal(mopts)
    })
}

/// How the target state is marshaled (e.g. straight to a writer).
pub(super) type MarshalFn<'a> =
    dyn FnMut(llb::State, &llb::MarshalOptions) -> Result<llb::pb::Definition, llb::LlbError> + 'a;

/// [`convert_ir_owned`] with the target state marshaled by `marshal`.
pub(super) fn convert_ir_with(
    df: ir::Dockerfile,
    text: &[u8],
    opts: &ConvertOptions,
    resolver: &dyn ImageResolver,
    marshal: &mut MarshalFn<'_>,
) -> Result<Conversion, Diagnostic> {
    let (out, target_platform) = dispatch_ir(df, text, opts, resolver)?;
    finalize(out.target, opts, &target_platform, marshal)
}

/// Everything up to marshaling: stage graph, image resolution, dispatch.
fn dispatch_ir(
    df: ir::Dockerfile,
    text: &[u8],
    opts: &ConvertOptions,
    resolver: &dyn ImageResolver,
) -> Result<(Dispatched, Platform), Diagnostic> {
    if df.stages.is_empty() {
        return Err(err(
            "no-stages",
            "dockerfile contains no stages to build",
            TextRange::empty(0),
        ));
    }
    let target_platform = opts
        .target_platform
        .clone()
        .unwrap_or_else(|| opts.build_platform.clone());
    let target_name = match opts.target.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => t.to_string(),
        None => df
            .stages
            .last()
            .and_then(|s| s.name.as_ref())
            .map(|n| n.value.clone())
            .unwrap_or_default(),
    };
    let stage_arg = if target_name.is_empty() {
        "default".to_string()
    } else {
        target_name
    };
    let globals = default_args(&opts.build_platform, &target_platform, &stage_arg);
    let globals = build_meta_args(globals, &df.meta_args, &opts.build_args, df.escape)?;
    let g = StageGraph::build(&df, &globals, &target_platform, &opts.named_contexts)?;
    // Only copy the instructions when ONBUILD triggers of stages apply.
    let (mut df, mut triggers) = if onbuild::has_stage_triggers(&df, &g) {
        onbuild::apply_stage_triggers(&df, &g)
    } else {
        (df, onbuild::TriggerSet::new())
    };
    let mut g = if triggers.is_empty() {
        g
    } else {
        StageGraph::build(&df, &globals, &target_platform, &opts.named_contexts)?
    };
    onbuild::fix_totals(&df, &mut g, &triggers);
    let target = g.resolve_target(opts.target.as_deref())?;
    g.add_all_deps(&df)?;
    let mut reachable = g.reachable(target);
    let (mut roots, mut locals) =
        resolve_roots(&df, &g, &reachable, opts, &target_platform, resolver)?;
    // ONBUILD triggers of base images become the stage's first commands;
    // when they copy or mount from other stages or images, those are
    // resolved in another round (upstream's `resolveStages` loop).
    while onbuild::apply_image_triggers(&mut df, &mut g, &mut roots, &mut triggers)? {
        g.check_cycles()?;
        let now = g.reachable(target);
        let fresh: BTreeSet<usize> = now.difference(&reachable).copied().collect();
        let (more, more_locals) = resolve_roots(&df, &g, &fresh, opts, &target_platform, resolver)?;
        roots.extend(more);
        locals.extend(more_locals);
        reachable = now;
    }
    // Stages the target does not need are never dispatched: free their
    // instructions now rather than after the whole graph is built.
    for (i, node) in g.nodes.iter().enumerate() {
        if let (Some(s), false) = (node.stage, reachable.contains(&i)) {
            if let Some(stage) = df.stages.get_mut(s) {
                stage.commands = Vec::new();
            }
        }
    }
    let source_map = llb::SourceMap::new(opts.filename.clone(), text.to_vec());
    // The context source follows the paths COPY/ADD/bind mounts used: they
    // are known after dispatch, and filled in before marshaling.
    let (context, context_paths) = main_context(opts);
    let out = dispatch_all(
        &mut df,
        &g,
        &reachable,
        roots,
        target,
        opts,
        &globals,
        context,
        &source_map,
        &triggers,
    )?;
    context_paths.fill(follow_paths(&out.ctx_paths));
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
    Ok((out, target_platform))
}

/// A located diagnostic for a marshaling error: a Definition over the
/// limit points at the instruction whose op crossed it.
fn marshal_error(e: llb::LlbError, opts: &ConvertOptions) -> Diagnostic {
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
            err(e.code(), e.to_string(), span).with_help(e.help())
        }
        e => err("marshal", e.to_string(), TextRange::empty(0)),
    }
}

fn finalize(
    mut d: StageState,
    opts: &ConvertOptions,
    target_platform: &Platform,
    marshal: &mut MarshalFn<'_>,
) -> Result<Conversion, Diagnostic> {
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
    let caps = match &opts.llb_caps {
        None => llb::CapSet::All,
        Some(set) => llb::CapSet::Only(set.clone()),
    };
    let mopts = llb::MarshalOptions {
        platform: Some(pb_platform(target_platform)),
        caps,
        max_bytes: Some(Limits::DEFAULT.max_definition_bytes),
        ..Default::default()
    };
    let definition =
        marshal(std::mem::take(&mut d.state), &mopts).map_err(|e| marshal_error(e, opts))?;
    let image_config = d.image.to_json();
    let max = Limits::DEFAULT.max_definition_bytes;
    if let Some(e) = Exceeded::check(Limit::DefinitionBytes, image_config.len(), max) {
        let msg = format!(
            "the image config would be larger than {} bytes ({} bytes)",
            grouped(max),
            grouped(e.actual)
        );
        return Err(err(e.code(), msg, TextRange::empty(0)).with_help(e.help()));
    }
    Ok(Conversion {
        definition,
        image_config,
        base_image_config: d.base_config,
        source_date_epoch: d.epoch,
        warnings: Vec::new(),
    })
}
