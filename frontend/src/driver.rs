//! The build, from `Ping` to the one `Return`:
//!
//! 1. `Ping` for caps; options from the environment;
//! 2. solve the `dockerfile` local and `ReadFile` the Dockerfile (and
//!    `<filename>.dockerignore`, else the context's `.dockerignore`);
//! 3. convert, once per platform: the converter's pure steps run on the
//!    runtime's one thread between rounds, and each round of its requests (base image configs
//!    through `ResolveImageConfig`, `.dockerignore` files of the context and
//!    of `local:` contexts on first use) is answered concurrently by
//!    [`GatewayHost`];
//! 4. `Solve` each definition and `Return` the refs with the image configs.
//!
//! Every failure, panics included, ends in exactly one `Return` carrying a
//! `google.rpc.Status`: a panic's is sent by the hook of [`crate::panics`]
//! (the image's binary aborts on panic); `catch_unwind` stays for unwinding
//! builds that run [`run`] without the hook.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use anyhow::{anyhow, Context as _};
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{self as gw, WarnRequest};
use futures_util::FutureExt as _;
use llb_gen::convert::{Converter, FileAnswer, FileRequest, Platform, Step, StreamedConversion};
use llb_gen::diagnostic::Diagnostic;
use llb_gen::limits::Limits;
use llb_gen::pb;
use llb_gen::sources::SourceSet;
use serde_json::json;
use tonic::transport::Channel;

use crate::bridge::{Bridge, SolvedRef};
use crate::env::GatewayEnv;
use crate::host::GatewayHost;
use crate::options::{self, BuildOptions};
use crate::sources::{LocalDefinition, LocalSource};
use crate::status::FrontendError;
use crate::transport;
use crate::wire;
use llb_gen::options::{format_platform as platform_id, host_platform, normalize_platform};

/// Connect over stdio and run the build described by the environment.
pub async fn run_from_environment() -> anyhow::Result<()> {
    let env = GatewayEnv::from_process();
    let channel = transport::stdio_channel()
        .await
        .context("connecting to BuildKit over stdin/stdout")?;
    run(channel, env).await
}

/// Run one build over `channel` and send its single `Return`. Once per
/// process: the gate of [`crate::panics`] lets one `Return` through.
pub async fn run(channel: Channel, env: GatewayEnv) -> anyhow::Result<()> {
    let raw = transport::raw_client(channel.clone());
    let client = transport::bridge_client(channel);
    let bridge = match Bridge::connect(client, raw.clone(), env.product.clone()).await {
        Ok(b) => b,
        Err(e) => {
            // Best effort: the daemon may still take a Return.
            let req = wire::ReturnRequest {
                result: None,
                error: Some(e.to_status()),
            };
            let _ = wire::send_return(&raw, req).await;
            return Err(anyhow!("{}", e.message()));
        }
    };
    if !bridge.caps.has("return") {
        return Err(anyhow!(
            "{}",
            FrontendError::missing_cap("return", &env.product).message()
        ));
    }
    crate::panics::arm(raw);
    let outcome = AssertUnwindSafe(build(&bridge, &env))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| {
            Err(FrontendError::internal(format!(
                "frontend panicked: {}",
                panic_message(&*panic)
            )))
        });
    let req = match outcome {
        Ok(result) => wire::ReturnRequest {
            result: Some(result),
            error: None,
        },
        Err(err) => {
            tracing::error!("build failed: {}", err.message());
            wire::ReturnRequest {
                result: None,
                error: Some(err.to_status()),
            }
        }
    };
    if !crate::panics::claim_return() {
        return Err(anyhow!(
            "a panic's error Return was sent instead of the build's"
        ));
    }
    let sent = bridge.r#return(req).await;
    crate::panics::return_done();
    crate::timing::returned();
    sent.map_err(|s| anyhow!("Return failed: {}", s.message()))
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

async fn build(bridge: &Bridge, env: &GatewayEnv) -> Result<wire::Result, FrontendError> {
    crate::panics::injected("build");
    crate::panics::injected_in_a_task().await;
    let build_platform = env.build_platform.clone().unwrap_or_else(host_platform);
    let mut fo = options::parse(&env.opts, build_platform, &env.session_id)?;
    if fo.launched_as_gateway {
        tracing::debug!("started by a forward (`cmdline`): `# syntax=` is never forwarded again");
    }
    fo.convert.llb_caps = llb_gen::llb::CapSet::Only(bridge.caps.llb.clone());
    crate::remote::sniff_http(bridge, &mut fo).await?;
    let input_dockerfile = crate::remote::take_inputs(bridge, &mut fo).await?;
    let load = async {
        let remote = match input_dockerfile {
            Some(def) => Some(crate::remote::solve_input(bridge, def).await?),
            None => crate::remote::solve_dockerfile_source(bridge, &fo).await?,
        };
        match remote {
            Some((solved, source)) => read_solved_dockerfile(bridge, &fo, solved, source).await,
            None => read_dockerfile(bridge, &fo).await,
        }
    };
    // A build reads the context's `.dockerignore` while the Dockerfile is read (crate::host).
    let prefetch = async {
        match fo.request {
            None => crate::host::prefetch_context_ignore(bridge, &fo).await,
            Some(_) => Vec::new(),
        }
    };
    let (loaded, context_ignore) = tokio::join!(load, prefetch);
    let mut loaded = loaded?;
    if let Some(fw) = llb_gen::options::forward_target(&env.opts, &loaded.data) {
        return crate::forward::forward(bridge, env, &fo, fw, &loaded.data).await;
    }
    if let Some(name) = fo.request.clone() {
        let mut host = GatewayHost::new(bridge, &fo, loaded.beside());
        host.set_remote_dockerfile(loaded.remote_ref.clone());
        let file = crate::subrequests::Dockerfile {
            data: &loaded.data,
            source: &loaded.source,
        };
        return crate::subrequests::answer(&mut host, &fo, &name, file).await;
    }
    let conversions = convert_all(bridge, &fo, &mut loaded, &context_ignore).await?;
    if let Some((_, first, sources)) = conversions.first() {
        send_warnings(bridge, first, sources, &loaded).await;
    }
    let mut built = Vec::new();
    for (requested, Converted { definition, conv }, _) in conversions {
        // The stages `REQUIRE` names build in parallel with the target (which
        // is then evaluated too, instead of when the result is exported); one
        // that fails fails the build, and none of them is in the result.
        let evaluate = !conv.required.is_empty();
        let required = conv
            .required
            .iter()
            .map(|d| bridge.solve_evaluated(d.clone(), &fo.cache_imports));
        // Encoded once, by the marshaler, and sent as it is (crate::wire).
        let (solved, _) = tokio::try_join!(
            bridge.solve_encoded(definition, &conv.caps, &fo.cache_imports, evaluate),
            futures_util::future::try_join_all(required),
        )?;
        let platform = requested
            .unwrap_or_else(|| image_platform(&conv.image_config, &fo.convert.build_platform));
        built.push(Built {
            platform,
            conv,
            solved,
        });
    }
    make_result(bridge, &fo, built)
}

/// The Dockerfile's bytes and what came with it from the `dockerfile` local
/// (or the remote context).
struct Loaded {
    data: Vec<u8>,
    dockerignore: Option<Vec<u8>>,
    /// `<Dockerfile>.lock` (not read with `lock=off`).
    lock: Option<Vec<u8>>,
    source: LocalDefinition,
    /// The solved remote source the Dockerfile was read from.
    remote_ref: Option<String>,
}

impl Loaded {
    /// The files read with the Dockerfile, for the converter's host.
    fn beside(&self) -> crate::host::Beside {
        crate::host::Beside {
            dockerignore: self.dockerignore.clone(),
            lock: self.lock.clone(),
        }
    }
}

async fn read_dockerfile(bridge: &Bridge, fo: &BuildOptions) -> Result<Loaded, FrontendError> {
    let filename = fo.convert.filename.clone();
    let ignore_name = format!("{filename}.dockerignore");
    let lower = lower_case_name(&filename);
    let mut follow_paths = vec![filename.clone(), ignore_name.clone()];
    if fo.convert.use_lock {
        // The lock file comes in the same transfer (a superset extension).
        follow_paths.push(llb_gen::lock::file_name(&filename));
    }
    follow_paths.extend(lower.clone());
    let source = LocalSource {
        name: &fo.dockerfile_local,
        session_id: fo.session_for(&fo.dockerfile_local),
        follow_paths,
        shared_key_hint: fo.dockerfile_local.clone(),
        custom_name: format!("[internal] load build definition from {filename}"),
        platform: &fo.convert.build_platform,
    }
    .marshal()?;
    let solved = bridge
        .solve(source.definition.clone(), &[])
        .await
        .map_err(|e| e.context("failed to resolve dockerfile"))?;
    let mut loaded = read_solved_dockerfile(bridge, fo, solved, source).await?;
    loaded.remote_ref = None;
    Ok(loaded)
}

/// Read the Dockerfile (with the lower-case `dockerfile` fallback),
/// `<Dockerfile>.dockerignore` and `<Dockerfile>.lock` (unless `lock=off`)
/// from a solved source.
async fn read_solved_dockerfile(
    bridge: &Bridge,
    fo: &BuildOptions,
    solved: SolvedRef,
    source: LocalDefinition,
) -> Result<Loaded, FrontendError> {
    let filename = fo.convert.filename.clone();
    let ignore_name = format!("{filename}.dockerignore");
    let lower = lower_case_name(&filename);
    // One byte past the limit is enough for the parser to report a
    // too-large file with a location, and keeps the reply under the gRPC
    // message limit.
    let head = Some(llb_gen::limits::Limits::DEFAULT.max_file_bytes + 1);
    let read_data = async {
        match bridge.read_file_head(&solved.id, &filename, head).await {
            Ok(data) => Ok(data),
            Err(first) => match &lower {
                Some(alt) => bridge
                    .read_file_head(&solved.id, alt, head)
                    .await
                    .map_err(|_| FrontendError::rpc("failed to read dockerfile", first)),
                None => Err(FrontendError::rpc("failed to read dockerfile", first)),
            },
        }
    };
    let lock_name = llb_gen::lock::file_name(&filename);
    let read_lock = async {
        if fo.convert.use_lock {
            // One byte past the limit: enough for the converter to refuse it.
            let head = Some(llb_gen::lock::MAX_BYTES + 1);
            bridge
                .read_file_head(&solved.id, &lock_name, head)
                .await
                .ok()
        } else {
            None
        }
    };
    // The three reads go out together (one round trip instead of two:
    // docs/performance-history.md, "Start-up and the small inputs"), the Dockerfile's first.
    let (data, dockerignore, lock) = tokio::join!(
        read_data,
        bridge.read_file(&solved.id, &ignore_name),
        read_lock
    );
    Ok(Loaded {
        data: data?,
        dockerignore: dockerignore.ok(),
        lock,
        source,
        remote_ref: Some(solved.id),
    })
}

/// `dockerfile` is accepted for `Dockerfile` (moby/moby#10858).
fn lower_case_name(filename: &str) -> Option<String> {
    match filename.rsplit_once('/') {
        Some((dir, "Dockerfile")) => Some(format!("{dir}/dockerfile")),
        None if filename == "Dockerfile" => Some("dockerfile".to_string()),
        _ => None,
    }
}

/// Convert once per requested platform (or once, implicit), the platforms
/// concurrently as upstream does, each with its own host (a host answers
/// one conversion's rounds; what two platforms both read is read by each,
/// and BuildKit shares the identical solves). `read_ahead`: the files read
/// before the conversion (the context's `.dockerignore`), which every host
/// answers from.
async fn convert_all(
    bridge: &Bridge,
    fo: &BuildOptions,
    loaded: &mut Loaded,
    read_ahead: &[(FileRequest, FileAnswer)],
) -> Result<Vec<(Option<Platform>, Converted, SourceSet)>, FrontendError> {
    let requested: Vec<Option<Platform>> = if fo.platforms.is_empty() {
        vec![None]
    } else {
        fo.platforms.iter().cloned().map(Some).collect()
    };
    // Each converter owns the file's bytes: the last one takes ours instead of a copy (2.4 MB
    // of the peak on 5,000 stages).
    let last = requested.len().saturating_sub(1);
    let converters: Vec<_> = requested
        .into_iter()
        .enumerate()
        .map(|(i, platform)| {
            let opts = fo.convert_options_for(platform.clone());
            let data = if i == last {
                std::mem::take(&mut loaded.data)
            } else {
                loaded.data.clone()
            };
            (platform, Converter::new(data, opts, Limits::DEFAULT))
        })
        .collect();
    let loaded = &*loaded;
    let runs = converters
        .into_iter()
        .map(|(platform, converter)| async move {
            let mut host = GatewayHost::new(bridge, fo, loaded.beside());
            host.set_remote_dockerfile(loaded.remote_ref.clone());
            host.seed_files(read_ahead);
            let (conv, sources) =
                drive(converter, &mut host, marshal)
                    .await
                    .map_err(|(diagnostics, sources)| FrontendError::Dockerfile {
                        sources: Box::new(sources),
                        diagnostics,
                    })?;
            Ok((platform, conv?, sources))
        });
    // In platform order; the first failure (by platform order) is the error.
    futures_util::future::join_all(runs)
        .await
        .into_iter()
        .collect()
}

/// Drives one conversion: its pure steps run in turn with the rounds of its
/// requests, which `host` answers.
/// The outer error is the Dockerfile's diagnostics (with the files they
/// point into), the inner one a failure of the frontend itself (a panic in
/// the converter). The files of the build come with the result.
pub(crate) async fn drive<T>(
    mut converter: Converter,
    host: &mut GatewayHost<'_>,
    done: Finish<T>,
) -> Result<(Result<T, FrontendError>, SourceSet), (Vec<Diagnostic>, SourceSet)> {
    loop {
        let stepped = blocking(move || {
            crate::panics::injected("convert");
            let step = converter.step();
            (converter, step)
        })
        .await;
        let step;
        (converter, step) = match stepped {
            Ok(s) => s,
            Err(e) => return Ok((Err(e), SourceSet::new("Dockerfile", b""))),
        };
        match step {
            Step::Need(requests) => {
                let answers = host.answer(&requests).await;
                converter.answer(answers);
            }
            // The build's files go with the result or the error (taken
            // once, at the end: they hold every file's text).
            last => return finish(last, converter.into_sources(), done).await,
        }
    }
}

/// What [`drive`] makes of the ready conversion ([`marshal`] for a build): its result, the
/// Dockerfile's diagnostics, or a failure of the frontend.
/// The `usize` is the size of the build's files, in bytes.
pub(crate) type Finish<T> =
    fn(Box<llb_gen::convert::Ready>, usize) -> Result<Result<T, Vec<Diagnostic>>, FrontendError>;

/// A finished conversion: the definition's protobuf bytes, as the marshaler wrote them, and
/// the rest of the result.
pub(crate) struct Converted {
    pub(crate) definition: prost::bytes::Bytes,
    pub(crate) conv: StreamedConversion,
}

/// The end of [`drive`]: the marshaled conversion, or the diagnostics,
/// with the build's files.
async fn finish<T>(
    step: Step,
    sources: SourceSet,
    done: Finish<T>,
) -> Result<(Result<T, FrontendError>, SourceSet), (Vec<Diagnostic>, SourceSet)> {
    let why = match step {
        Step::Ready(ready) => {
            let files = sources.total_bytes();
            return match blocking(move || done(ready, files)).await {
                Ok(Ok(Ok(conv))) => Ok((Ok(conv), sources)),
                Ok(Ok(Err(diagnostics))) => Err((diagnostics, sources)),
                Ok(Err(e)) | Err(e) => Ok((Err(e), sources)),
            };
        }
        Step::Failed(diagnostics) => return Err((diagnostics, sources)),
        // Only a converter made `until_composed` / `until_planned` stops there.
        Step::Composed(_) => "conversion stopped after composition",
        Step::Planned(_) => "conversion stopped after planning",
        Step::Need(_) => "the converter asked for more after it finished",
    };
    Ok((Err(FrontendError::internal(why)), sources))
}

/// Marshals straight into the bytes the `Solve` carries: no `pb::Definition` is built, and
/// nothing encodes it again (crate::wire). The outer error is a failed write, which a `Vec`
/// never gives.
fn marshal(
    ready: Box<llb_gen::convert::Ready>,
    files: usize,
) -> Result<Result<Converted, Vec<Diagnostic>>, FrontendError> {
    let mut out = Vec::with_capacity(definition_capacity(files));
    // With glibc the graph is left allocated (the process ends after the build's `Return`, and
    // the system takes its pages back for far less than freeing it costs); with mimalloc it is
    // freed, and its pages are back before the `Solve` is encoded (crate::malloc).
    let converted = ready
        .marshal_to(&mut out, crate::malloc::GRAPH_TEARDOWN)
        .map_err(|e| FrontendError::internal(format!("writing the definition: {e}")))?;
    Ok(converted.map(|conv| Converted {
        definition: out.into(),
        conv,
    }))
}

/// The room the Definition's bytes start with, for a build of `files` bytes: more than it is
/// likely to need. A Definition carries the build's files (its source map) and an op of a few
/// hundred bytes for about every line: 5.5 times the files for the 500-stage file, 5.3 for
/// 5,000 stages, 39 for examples/hello's 97 bytes. Grown from nothing, the vector went through
/// every power of two up to twice the Definition, each copy into freshly faulted pages. Pages
/// never written are never resident (the allocator gives freed pages back at once,
/// crate::malloc), so the room left over costs address space, not memory.
fn definition_capacity(files: usize) -> usize {
    const LEAST: usize = 64 << 10;
    const MOST: usize = 256 << 20;
    files.saturating_mul(8).saturating_add(LEAST).min(MOST)
}

/// Runs `f`, the converter's pure work, on this thread; a panic becomes an internal error.
///
/// Not on a blocking thread: the build runs on the runtime's one thread (main.rs), which has
/// nothing else to do while the converter works, and a second thread cost a second malloc arena,
/// whose freed memory the first cannot reuse: 4 to 5 MB of peak RSS on the 500-stage file
/// (docs/performance-history.md, "The replay harness"). The converter does not recurse with the
/// input's depth (tests/gateway_limits.rs), so the main thread's stack is enough.
async fn blocking<T>(f: impl FnOnce() -> T) -> Result<T, FrontendError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
        FrontendError::internal(format!("converter panicked: {}", panic_message(&*panic)))
    })
}

/// Conversion warnings through the `Warn` RPC, attached to the Dockerfile
/// source vertex (first platform only, as upstream).
async fn send_warnings(bridge: &Bridge, conv: &Converted, sources: &SourceSet, loaded: &Loaded) {
    for d in &conv.conv.warnings {
        let entry = sources.entry_at(d.span.start);
        let (start, end) = entry.line_span(d.span);
        let range = |(start, end): (u32, u32)| {
            let pos = |line: u32| {
                Some(pb::Position {
                    line: i32::try_from(line).unwrap_or(i32::MAX),
                    character: 0,
                })
            };
            pb::Range {
                start: pos(start),
                end: pos(end),
            }
        };
        // A label (`first defined here`) is a second range and a detail line.
        let mut ranges = vec![range((start, end))];
        let mut detail = Vec::new();
        if let Some(label) = &d.label {
            // In the same file: a second range; elsewhere: the file's place.
            let lines = entry.line_span(label.span);
            let place = if sources.index_of(label.span.start) == sources.index_of(d.span.start) {
                ranges.push(range(lines));
                format!("line {}", lines.0)
            } else {
                sources.position(label.span.start)
            };
            detail.push(format!("{} ({place})", label.message).into_bytes());
        }
        detail.extend(d.help.iter().map(|h| h.clone().into_bytes()));
        // A build check's warning as upstream sends it: the rule's name,
        // its description as the detail, its page as the URL.
        let rule = llb_gen::lint::rule(d.code);
        let name = rule.map_or_else(|| d.code.to_string(), |r| r.name.to_string());
        if let Some(r) = rule {
            detail.insert(0, r.description.as_bytes().to_vec());
        }
        bridge
            .warn(WarnRequest {
                digest: loaded.source.head.clone(),
                level: 1,
                short: format!("{name}: {} (line {start})", d.message).into_bytes(),
                detail,
                url: rule.map(|r| r.url()).unwrap_or_default(),
                // The Dockerfile comes with the definition that loads it;
                // an included file with its name and bytes.
                info: Some(pb::SourceInfo {
                    filename: entry.file.name.clone(),
                    data: entry.bytes.to_vec(),
                    definition: entry
                        .origin
                        .is_none()
                        .then(|| loaded.source.definition.clone()),
                    language: "Dockerfile".into(),
                }),
                ranges,
            })
            .await;
    }
}

/// The platform of an implicit build: the produced image's, else the build
/// platform.
fn image_platform(config: &[u8], build: &Platform) -> Platform {
    let v: serde_json::Value = serde_json::from_slice(config).unwrap_or_default();
    let field = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    match (field("os"), field("architecture")) {
        (Some(os), Some(architecture)) => normalize_platform(&Platform {
            os,
            architecture,
            variant: field("variant"),
            os_version: field("os.version"),
        }),
        _ => build.clone(),
    }
}

struct Built {
    platform: Platform,
    conv: StreamedConversion,
    solved: SolvedRef,
}

fn platform_json(p: &Platform) -> serde_json::Value {
    let mut obj = json!({ "architecture": p.architecture, "os": p.os });
    if let Some(v) = &p.variant {
        obj["variant"] = json!(v);
    }
    if let Some(v) = &p.os_version {
        obj["os.version"] = json!(v);
    }
    obj
}

/// The `Return` result: one `Ref` or a `refs` map keyed by platform, with
/// per-platform image configs and `refs.platforms` (upstream 5.9).
fn make_result(
    bridge: &Bridge,
    fo: &BuildOptions,
    built: Vec<Built>,
) -> Result<wire::Result, FrontendError> {
    let multi = fo.is_multi_platform();
    if multi && built.len() > 1 {
        bridge.require("returnmap")?;
    }
    let refarray = bridge.caps.has("proto.refarray");
    let mut metadata = std::collections::BTreeMap::new();
    let entries: Vec<serde_json::Value> = built
        .iter()
        .map(|b| json!({ "ID": platform_id(&b.platform), "Platform": platform_json(&b.platform) }))
        .collect();
    metadata.insert(
        "refs.platforms".into(),
        json!({ "Platforms": entries }).to_string().into_bytes(),
    );
    let mut refs = Vec::new();
    for b in built {
        let suffix = if multi {
            format!("/{}", platform_id(&b.platform))
        } else {
            String::new()
        };
        metadata.insert(
            format!("containerimage.config{suffix}"),
            b.conv.image_config,
        );
        if let Some(base) = b.conv.base_image_config {
            metadata.insert(format!("containerimage.base.config{suffix}"), base);
        }
        if let Some(epoch) = b.conv.source_date_epoch {
            metadata.insert(
                format!("source.date.epoch{suffix}"),
                epoch.to_string().into_bytes(),
            );
        }
        refs.push((platform_id(&b.platform), b.solved));
    }
    let result = if multi {
        if refarray {
            let map = refs
                .into_iter()
                .map(|(k, r)| {
                    (
                        k,
                        wire::Ref {
                            id: r.id,
                            def: None,
                        },
                    )
                })
                .collect();
            wire::Refs::Refs(wire::RefMap { refs: map })
        } else {
            let map = refs.into_iter().map(|(k, r)| (k, r.id)).collect();
            wire::Refs::RefsDeprecated(gw::RefMapDeprecated { refs: map })
        }
    } else {
        let solved = refs.into_iter().next().map(|(_, r)| r).unwrap_or_default();
        if refarray {
            wire::Refs::Ref(wire::Ref {
                id: solved.id,
                def: None,
            })
        } else {
            wire::Refs::RefDeprecated(solved.id)
        }
    };
    Ok(wire::Result {
        metadata,
        attestations: Default::default(),
        result: Some(result),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implicit_platform_comes_from_the_image_config() {
        let build = Platform::linux_amd64();
        let p = image_platform(
            br#"{"os":"linux","architecture":"arm64","variant":"v8"}"#,
            &build,
        );
        assert_eq!(platform_id(&p), "linux/arm64");
        assert_eq!(image_platform(b"", &build), build);
    }

    #[test]
    fn panic_payloads_are_readable() {
        let caught = catch_unwind(|| panic!("boom {}", 1))
            .err()
            .map(|p| panic_message(&*p));
        assert_eq!(caught.as_deref(), Some("boom 1"));
        let caught = catch_unwind(|| std::panic::panic_any(7u8))
            .err()
            .map(|p| panic_message(&*p));
        assert_eq!(caught.as_deref(), Some("unknown panic"));
    }
}
