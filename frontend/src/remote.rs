//! A Git or HTTP(S) main build context (the `context` option): what the
//! frontend does with it before conversion, as upstream's `dockerui`
//! does. An HTTP(S) download is solved and its first 1024 bytes sniffed:
//! an archive is unpacked and is the context, anything else is the
//! Dockerfile itself (named `context`). The Dockerfile is then read from
//! the remote source unless `dockerfilekey` names a local.

use llb_gen::convert::{
    http_download, is_archive, HttpContext, MainContext, HTTP_CONTEXT_FILENAME,
};
use llb_gen::llb;
use llb_gen::pb;
use prost::Message as _;

use crate::bridge::{pb_platform, Bridge, SolvedRef};
use crate::options::BuildOptions;
use crate::sources::LocalDefinition;
use crate::status::FrontendError;

/// How many bytes of a download upstream looks at.
const SNIFF_BYTES: usize = 1024;

/// The context URL, for messages.
pub fn url_of(main: &MainContext) -> &str {
    match main {
        MainContext::Git { url, .. } | MainContext::Http { url, .. } => url,
        MainContext::Input(_) => "(the frontend input `context`)",
        _ => "",
    }
}

/// For an HTTP(S) context: download it, look at its first bytes and
/// record whether it is an archive; a lone Dockerfile renames the
/// Dockerfile to `context`, as upstream.
pub async fn sniff_http(bridge: &Bridge, fo: &mut BuildOptions) -> Result<(), FrontendError> {
    let MainContext::Http { url, .. } = &fo.convert.main_context else {
        return Ok(());
    };
    let url = url.clone();
    let what = format!("failed to load the remote build context {url}");
    let def = marshal(
        &http_download(&url),
        &fo.convert.build_platform,
        &fo.convert,
    )?;
    let solved = bridge
        .solve(def.definition, &[])
        .await
        .map_err(|e| e.context(&what))?;
    let head = bridge
        .read_file_head(&solved.id, HTTP_CONTEXT_FILENAME, Some(SNIFF_BYTES))
        .await
        .map_err(|s| FrontendError::rpc(what, s))?;
    let archive = is_archive(&head);
    tracing::debug!(archive, "remote build context sniffed");
    let kind = if archive {
        HttpContext::Archive
    } else {
        fo.convert.filename = HTTP_CONTEXT_FILENAME.to_string();
        HttpContext::Dockerfile
    };
    fo.convert.main_context = MainContext::Http { url, kind };
    Ok(())
}

/// Marshals a small state the frontend solves itself (the Dockerfile's
/// source, a download), with the daemon's caps; the head is the vertex
/// the terminal op points at.
pub fn marshal(
    state: &llb::State,
    platform: &llb_gen::convert::Platform,
    opts: &llb_gen::convert::ConvertOptions,
) -> Result<LocalDefinition, FrontendError> {
    let mopts = llb::MarshalOptions {
        platform: Some(pb_platform(platform)),
        caps: opts.llb_caps.clone(),
        ..llb::MarshalOptions::default()
    };
    let definition = state
        .marshal(&mopts)
        .map_err(|e| FrontendError::invalid(format!("remote build context: {e}")))?;
    let head = definition
        .def
        .last()
        .and_then(|b| pb::Op::decode(b.as_slice()).ok())
        .and_then(|op| op.inputs.first().map(|i| i.digest.clone()))
        .ok_or_else(|| FrontendError::internal("remote build context: empty definition"))?;
    Ok(LocalDefinition { definition, head })
}

/// Solve the remote source the Dockerfile lives in.
pub async fn solve_dockerfile_source(
    bridge: &Bridge,
    fo: &BuildOptions,
) -> Result<Option<(SolvedRef, LocalDefinition)>, FrontendError> {
    // An input context does not hold the Dockerfile (an input named like
    // the Dockerfile's local does, see `take_inputs`).
    if fo.force_local_dockerfile || matches!(fo.convert.main_context, MainContext::Input(_)) {
        return Ok(None);
    }
    let Some(state) = fo.convert.main_context.dockerfile_state() else {
        return Ok(None);
    };
    let def = marshal(&state, &fo.convert.build_platform, &fo.convert)?;
    let what = format!(
        "failed to load the build context {}",
        url_of(&fo.convert.main_context)
    );
    let solved = bridge
        .solve(def.definition.clone(), &[])
        .await
        .map_err(|e| e.context(&what))?;
    Ok(Some((solved, def)))
}

/// Solve the (scoped) remote build context, for files the converter asks
/// for in it.
pub async fn solve_context(bridge: &Bridge, fo: &BuildOptions) -> Result<SolvedRef, FrontendError> {
    let state = fo
        .convert
        .main_context
        .context_state(fo.convert.context_subdir.as_deref())
        .ok_or_else(|| FrontendError::internal("the build context is not remote"))?;
    let def = marshal(&state, &fo.convert.build_platform, &fo.convert)?;
    bridge.solve(def.definition, &[]).await.map_err(|e| {
        e.context(&format!(
            "failed to load the build context {}",
            url_of(&fo.convert.main_context)
        ))
    })
}

/// The frontend inputs, as upstream takes them when the context is not a
/// Git or HTTP(S) URL: `input:<name>` named contexts; an input named
/// `context` is the main context; one named like the Dockerfile's local
/// (`dockerfile`) is where the Dockerfile is read, unless `dockerfilekey`
/// was given (returned). A daemon that cannot list them fails the build
/// only when an `input:` context needs one.
pub async fn take_inputs(
    bridge: &Bridge,
    fo: &mut BuildOptions,
) -> Result<Option<pb::Definition>, FrontendError> {
    if !fo.convert.main_context.is_local() {
        return Ok(None);
    }
    let needed = fo
        .convert
        .named_contexts
        .values()
        .any(|v| v.starts_with("input:"));
    let inputs = match bridge.inputs() {
        Ok(inputs) => inputs,
        Err(s) if needed => return Err(FrontendError::rpc("failed to get frontend inputs", s)),
        Err(s) => {
            tracing::debug!("no frontend inputs: {}", s.message());
            return Ok(None);
        }
    };
    tracing::debug!(inputs = ?inputs.keys().collect::<Vec<_>>(), "frontend inputs");
    let dockerfile = if fo.force_local_dockerfile {
        None
    } else {
        inputs.get(&fo.dockerfile_local).cloned()
    };
    if let Some(ctx) = inputs.get("context") {
        llb::from_definition(ctx.clone())
            .map_err(|e| FrontendError::invalid(format!("frontend input `context`: {e}")))?;
        fo.convert.main_context = MainContext::Input(Box::new(ctx.clone()));
    }
    fo.convert.frontend_inputs = inputs;
    Ok(dockerfile)
}

/// Solve the Definition of a frontend input that holds the Dockerfile.
pub async fn solve_input(
    bridge: &Bridge,
    def: pb::Definition,
) -> Result<(SolvedRef, LocalDefinition), FrontendError> {
    let head = def
        .def
        .last()
        .and_then(|b| pb::Op::decode(b.as_slice()).ok())
        .and_then(|op| op.inputs.first().map(|i| i.digest.clone()))
        .unwrap_or_default();
    let solved = bridge
        .solve(def.clone(), &[])
        .await
        .map_err(|e| e.context("failed to resolve dockerfile from the frontend input"))?;
    Ok((
        solved,
        LocalDefinition {
            definition: def,
            head,
        },
    ))
}
