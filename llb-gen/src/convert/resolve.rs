//! Base-image resolution, one round at a time: the roots a set of stage
//! graph nodes start from, what the host is asked for them (image configs,
//! and the `.dockerignore` of a `local:` context the first time one is
//! used, as upstream), and the roots made from its answers.

use std::collections::{BTreeMap, BTreeSet};

use super::error::{Error, ErrorKind};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::llb;
use crate::lock::Lock;

use super::api::{ConvertOptions, ImageRequest, Platform, ResolveMode, ResolvedImage};
use super::build::{prefix_from, Root};
use super::contexts::{self, ContextSource};
use super::dispatch::pb_platform;
use super::image::Image;
use super::reference::Reference;
use super::stages::{StageGraph, SCRATCH};

/// The host's answer to one image request.
pub type ImageAnswer = Result<ResolvedImage, String>;

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
    /// A base image the lock file holds: answered from the lock.
    Locked(usize, Reference, Platform, ResolvedImage),
    /// A named context, standing in for an image name or replacing a
    /// whole stage (`replaces_stage`).
    Context(usize, Box<contexts::Pending>, Platform, bool),
}

/// A `local:` named context of node `.0`: its follow paths, to be filled
/// in with the paths actually used.
pub(super) type LocalRoot = (usize, llb::FollowPathsSlot);

/// One resolution round: the roots still to resolve and what it asks for.
pub(super) struct Round {
    pending: Vec<PendingRoot>,
    /// Roots that need no answer (`scratch`).
    ready: BTreeMap<usize, Root>,
    /// Image configs to resolve, each once.
    pub(super) images: Vec<ImageRequest>,
    /// Local directories (of `local:` contexts) whose `.dockerignore` is
    /// needed and not known yet.
    pub(super) ignores: Vec<String>,
    /// `UnlockedImage` findings: images a lock in use does not hold.
    pub(super) findings: Vec<Diagnostic>,
}

fn context_err(e: contexts::ContextError, span: crate::text::TextRange) -> Error {
    let d = Error::new(ErrorKind::NamedContext { message: e.message }, span);
    match e.help {
        Some(h) => d.with_help(h),
        None => d,
    }
}

impl Round {
    /// The round for the root nodes among `nodes` (stages with a parent
    /// stage have no root of their own). `known` are the `.dockerignore`
    /// patterns of local directories answered in earlier rounds; images
    /// `lock` holds are answered from it.
    pub(super) fn new(
        g: &StageGraph,
        nodes: &BTreeSet<usize>,
        opts: &ConvertOptions,
        target_platform: &Platform,
        (known, lock): (&BTreeMap<String, Vec<String>>, Option<&Lock>),
    ) -> Result<Round, Error> {
        let reachable = nodes;
        let mut roots = BTreeMap::new();
        let mut pending: Vec<PendingRoot> = Vec::new();
        let mut findings = Vec::new();
        for &i in reachable {
            let node = &g.nodes[i];
            if node.parent.is_some() {
                continue;
            }
            let platform = node.platform.as_deref().unwrap_or(target_platform).clone();
            if let Some(c) = node.context.as_deref() {
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
            let r = Reference::parse(&node.base_name).map_err(|reason| {
                Error::new(
                    ErrorKind::InvalidBaseReference {
                        base: node.base_name.to_string(),
                        reason,
                    },
                    node.span,
                )
            })?;
            match contexts::lookup_image(&opts.named_contexts, &r, &platform) {
                Some(c) => {
                    let p = contexts::prepare(c, &platform, opts)
                        .map_err(|e| context_err(e, node.span))?;
                    pending.push(PendingRoot::Context(i, Box::new(p), platform, false));
                }
                None => match lock.map(|l| locked(l, &r, &platform)) {
                    Some(Some(image)) => pending.push(PendingRoot::Locked(i, r, platform, image)),
                    Some(None) => {
                        findings.push(unlocked(&r, &platform, node.span));
                        pending.push(PendingRoot::Image(i, r, platform));
                    }
                    None => pending.push(PendingRoot::Image(i, r, platform)),
                },
            }
        }
        let images = image_requests(&pending, opts);
        let mut ignores: Vec<String> = Vec::new();
        for p in &pending {
            if let PendingRoot::Context(_, c, _, _) = p {
                if let ContextSource::Local(name) = &c.source {
                    if !known.contains_key(name) && !ignores.contains(name) {
                        ignores.push(name.clone());
                    }
                }
            }
        }
        Ok(Round {
            pending,
            ready: roots,
            images,
            ignores,
            findings,
        })
    }

    /// The roots made from the answers to [`Round::images`] (same order)
    /// and the `.dockerignore` patterns of every local directory (this
    /// round's and earlier ones), with the `local:` contexts whose follow
    /// paths are filled in after dispatch.
    pub(super) fn finish(
        self,
        df: &ir::Dockerfile,
        g: &StageGraph,
        opts: &ConvertOptions,
        answers: &[ImageAnswer],
        ignores: &BTreeMap<String, Vec<String>>,
    ) -> Result<(BTreeMap<usize, Root>, Vec<LocalRoot>), Error> {
        let Round {
            pending,
            ready: mut roots,
            images: requests,
            ..
        } = self;
        let mut locals = Vec::new();
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
                PendingRoot::Image(i, r, platform) => images.push((i, r, platform, None)),
                PendingRoot::Locked(i, r, platform, image) => {
                    images.push((i, r, platform, Some(image)));
                }
                PendingRoot::Context(i, mut c, platform, replaces_stage) => {
                    let node = &g.nodes[i];
                    if let ContextSource::Local(name) = &c.source {
                        c.local_excludes = ignores.get(name).cloned().unwrap_or_default();
                    }
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
        // Each answer's config parsed once: stages that start from the same image share it
        // (208 parses of 6 configs on the 500-stage file online, 1.1 % of its instructions).
        let mut parsed: Vec<Option<Image>> = vec![None; answers.len()];
        for (i, r, platform, locked) in images {
            let node = &g.nodes[i];
            let root = match &locked {
                Some(image) => image_root(df, opts, node, &r, platform, image, &mut None)?,
                None => {
                    let (k, resolved) = image_answer(g, node, (&requests, answers), &r, &platform)?;
                    // `k` indexes `answers`, which `parsed` is as long as.
                    let mut unshared = None;
                    let slot = parsed.get_mut(k).unwrap_or(&mut unshared);
                    image_root(df, opts, node, &r, platform, resolved, slot)?
                }
            };
            roots.insert(i, root);
        }
        Ok((roots, locals))
    }
}

/// The host's answer for the image of `node` (`r` on `platform`), or the
/// error it gave, with a stage name close to the base name as help.
fn image_answer<'a>(
    g: &StageGraph,
    node: &super::stages::StageNode,
    (requests, answers): (&[ImageRequest], &'a [ImageAnswer]),
    r: &Reference,
    platform: &Platform,
) -> Result<(usize, &'a ResolvedImage), Error> {
    let tagged = r.tagged_string();
    let answer = requests
        .iter()
        .position(|q| q.log_name.is_none() && q.reference == tagged && q.platform == *platform)
        .and_then(|k| Some((k, answers.get(k)?)));
    let answer = match answer {
        Some((k, Ok(resolved))) => Ok((k, resolved)),
        Some((_, Err(reason))) => Err(reason.clone()),
        None => Err("no answer from resolver".to_string()),
    };
    answer.map_err(|reason| {
        let mut d = Error::new(
            ErrorKind::ResolveImage {
                base: node.base_name.to_string(),
                reason,
            },
            node.span,
        );
        if let Some(s) = super::suggest::closest(&node.base_name, &g.names()) {
            d = d.with_help(format!("did you mean \"{s}\"?"));
        }
        d
    })
}

/// The root of an image base: its config (or an empty one) and its source,
/// `scratch` for an image without layers.
fn image_root(
    df: &ir::Dockerfile,
    opts: &ConvertOptions,
    node: &super::stages::StageNode,
    r: &Reference,
    platform: Platform,
    resolved: &ResolvedImage,
    parsed: &mut Option<Image>,
) -> Result<Root, Error> {
    let mut reference = if resolved.reference != r.tagged_string() {
        Reference::parse(&resolved.reference).map_err(|reason| {
            Error::new(ErrorKind::InvalidResolvedReference { reason }, node.span)
        })?
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
        let img = match parsed {
            Some(img) => img.clone(),
            None => {
                let img = Image::from_json(&resolved.config)
                    .map_err(|reason| Error::new(ErrorKind::ImageConfig { reason }, node.span))?;
                parsed.insert(img).clone()
            }
        };
        (img, Some(resolved.config.clone()))
    };
    image.created = None;
    let state = if base_config.is_some() && image.has_no_layers() {
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
            &<[&str]>::concat(&["FROM ", &ref_str]),
            opts.multi_platform.then_some(&platform),
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
    Ok(Root {
        state,
        image,
        base_config,
        platform,
    })
}

/// The image configs `pending` needs, each once, in order.
fn image_requests(pending: &[PendingRoot], opts: &ConvertOptions) -> Vec<ImageRequest> {
    let mut requests: Vec<ImageRequest> = Vec::new();
    for p in pending {
        let req = match p {
            PendingRoot::Image(_, r, p) => ImageRequest {
                reference: r.tagged_string(),
                platform: p.clone(),
                resolve_mode_pull: opts.resolve_mode == ResolveMode::Pull,
                log_name: None,
                oci_store: None,
            },
            PendingRoot::Context(_, c, _, _) => match &c.request {
                Some(req) => req.clone(),
                None => continue,
            },
            PendingRoot::Locked(..) => continue,
        };
        if !requests.contains(&req) {
            requests.push(req);
        }
    }
    requests
}

/// What the lock holds for `r` on `platform`, as the resolver would have
/// answered: the reference as written, the locked digest and config.
fn locked(lock: &Lock, r: &Reference, platform: &Platform) -> Option<ResolvedImage> {
    let image = lock.get(&r.tagged_string(), platform)?;
    Some(ResolvedImage {
        reference: r.tagged_string(),
        digest: image.digest.clone(),
        config: image.config.clone(),
    })
}

/// UnlockedImage: `r` on `platform` is not in the lock in use.
fn unlocked(r: &Reference, platform: &Platform, span: crate::text::TextRange) -> Diagnostic {
    let msg = format!(
        "{} ({}) is not in the lock file: it is resolved from the registry and can change",
        r.tagged_string(),
        crate::lock::platform_key(platform)
    );
    Diagnostic::warning(Code::UnlockedImage, msg, span)
        .with_help("run `llb-gen lock` again (with `--platform` for each platform you build)")
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
