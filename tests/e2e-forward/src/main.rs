//! Test-only forwarding frontend for the end-to-end suite (never part of the product image).
//!
//! Docker 20.10's classic `docker build` cannot send `context:<name>` frontend options (that is
//! buildx's `--build-context`), so the suite builds with `# syntax=<this image>` and passes what
//! it wants forwarded as build args. This frontend reads its options like the real one
//! (`BUILDKIT_FRONTEND_OPT_<n>`), then asks BuildKit to run another frontend image through
//! `Solve` with `frontend: "gateway.v0"`, and `Return`s that Solve's result (refs and metadata,
//! so `containerimage.config` reaches the exporter) or its error status unchanged (so the CLI
//! shows the inner frontend's error).
//!
//! Options forwarded: all of ours except `source` and `cmdline`, rewritten:
//!
//! - `build-arg:E2E_FORWARD_TO=<image>` becomes `source` and `cmdline` (required);
//! - `build-arg:E2E_CONTEXT_<name>=<value>` becomes `context:<name>=<value>`, and
//!   `build-arg:E2E_CONTEXT_<name>__<os>_<arch>[_<variant>]` becomes
//!   `context:<name>::<os>/<arch>[/<variant>]` (build-arg names hold letters, digits and `_`);
//! - `build-arg:E2E_FORWARD_NOOP=1` (profiling): no Solve at all, `Ping` then an empty `Return`,
//!   which measures the bare cost of starting a frontend container;
//! - `build-arg:E2E_DEFINITION=<file>` (instead of `E2E_FORWARD_TO`): no other frontend; the file
//!   (protobuf `pb.Definition` bytes, e.g. `llb-gen`'s output) is read from the `context` local
//!   and solved as it is, and `build-arg:E2E_IMAGE_CONFIG=<file>` (optional, e.g. `llb-gen
//!   --image-config`) becomes the result's image config. This is how the suite builds the CLI's
//!   output on the engine: Docker 20.10 has no `buildctl` to pipe it into;
//! - these `E2E_` build args themselves are not forwarded.
//!
//! `FRONTEND_LOG=debug` logs each step with its time since start (stderr, the daemon's log).
#![deny(clippy::print_stdout, clippy::dbg_macro, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::llb_bridge_client::LlbBridgeClient;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    self as gw, PingRequest, ReturnRequest, SolveRequest,
};
use frontend::bridge::Bridge;
use frontend::env::GatewayEnv;
use frontend::sources::LocalSource;
use frontend::status::FrontendError;
use frontend::transport;
use llb_gen::convert::Platform;
use llb_gen::pb;
use prost::Message as _;
use tonic::transport::Channel;

const FORWARD_TO: &str = "build-arg:E2E_FORWARD_TO";
const NOOP: &str = "build-arg:E2E_FORWARD_NOOP";
const CONTEXT_PREFIX: &str = "build-arg:E2E_CONTEXT_";
const DEFINITION: &str = "build-arg:E2E_DEFINITION";
const IMAGE_CONFIG: &str = "build-arg:E2E_IMAGE_CONFIG";

fn main() -> ExitCode {
    let start = Instant::now();
    frontend::init_logging();
    frontend::run_main(tokio::runtime::Builder::new_current_thread(), run(start))
}

async fn run(start: Instant) -> anyhow::Result<()> {
    let ms = || start.elapsed().as_secs_f64() * 1000.0;
    let env = GatewayEnv::from_process();
    let channel = transport::stdio_channel()
        .await
        .context("connecting to BuildKit over stdin/stdout")?;
    let mut client = transport::bridge_client(channel.clone());
    let raw = transport::raw_client(channel);
    tracing::debug!(ms = ms(), "connected");
    let pong = client
        .ping(PingRequest {})
        .await
        .context("Ping")?
        .into_inner();
    tracing::debug!(ms = ms(), "ping");
    let refarray = pong
        .frontend_api_caps
        .iter()
        .any(|c| c.enabled && c.id == "proto.refarray");
    let req = if env.opts.get(NOOP).is_some_and(|v| v == "1") {
        ReturnRequest {
            result: Some(gw::Result::default()),
            error: None,
        }
    } else if let Some(file) = env.opts.get(DEFINITION) {
        match solve_definition_file(&client, &raw, &env, file, refarray).await {
            Ok(result) => ReturnRequest {
                result: Some(result),
                error: None,
            },
            Err(e) => ReturnRequest {
                result: None,
                error: Some(e.to_status()),
            },
        }
    } else {
        match forwarded_options(&env.opts) {
            Ok(opts) => {
                tracing::info!(?opts, "forwarding to gateway.v0");
                let solve = client
                    .solve(SolveRequest {
                        frontend: "gateway.v0".into(),
                        frontend_opt: opts.into_iter().collect(),
                        allow_result_return: true,
                        allow_result_array_ref: refarray,
                        ..SolveRequest::default()
                    })
                    .await;
                tracing::debug!(ms = ms(), ok = solve.is_ok(), "solve");
                match solve {
                    Ok(resp) => {
                        let resp = resp.into_inner();
                        // Old daemons answer with the bare ref id only.
                        let result = resp.result.unwrap_or_else(|| gw::Result {
                            result: Some(gw::result::Result::RefDeprecated(resp.r#ref)),
                            ..gw::Result::default()
                        });
                        ReturnRequest {
                            result: Some(result),
                            error: None,
                        }
                    }
                    // The inner frontend's status (code, message, details) unchanged.
                    Err(status) => ReturnRequest {
                        result: None,
                        error: Some(FrontendError::rpc("", status).to_status()),
                    },
                }
            }
            Err(message) => ReturnRequest {
                result: None,
                error: Some(FrontendError::invalid(message).to_status()),
            },
        }
    };
    client.r#return(req).await.context("Return")?;
    tracing::debug!(ms = ms(), "returned");
    Ok(())
}

/// Definition mode (module docs): read `file` (and the image config) from the `context` local,
/// solve the definition it holds, and make the result.
async fn solve_definition_file(
    client: &LlbBridgeClient<Channel>,
    raw: &frontend::wire::Client,
    env: &GatewayEnv,
    file: &str,
    refarray: bool,
) -> Result<gw::Result, FrontendError> {
    let bridge = Bridge::connect(client.clone(), raw.clone(), env.product.clone()).await?;
    let config_file = env.opts.get(IMAGE_CONFIG).filter(|f| !f.is_empty());
    let platform = env
        .build_platform
        .clone()
        .unwrap_or_else(Platform::linux_amd64);
    let mut follow_paths = vec![file.to_string()];
    follow_paths.extend(config_file.cloned());
    let local = LocalSource {
        name: "context",
        session_id: &env.session_id,
        follow_paths,
        shared_key_hint: "context".into(),
        custom_name: format!("[e2e-forward] load {file}"),
        platform: &platform,
    }
    .marshal()?;
    let files = bridge.solve(local.definition, &[]).await?;
    let read = |path: String| {
        let bridge = bridge.clone();
        let id = files.id.clone();
        async move {
            bridge
                .read_file(&id, &path)
                .await
                .map_err(|s| FrontendError::rpc(format!("e2e-forward: reading {path}"), s))
        }
    };
    let bytes = read(file.to_string()).await?;
    let definition = pb::Definition::decode(bytes.as_slice()).map_err(|e| {
        FrontendError::invalid(format!("e2e-forward: {file} is not a Definition: {e}"))
    })?;
    let solved = bridge.solve(definition, &[]).await?;
    let mut metadata = std::collections::HashMap::new();
    if let Some(config) = config_file {
        metadata.insert(
            "containerimage.config".to_string(),
            read(config.clone()).await?,
        );
    }
    let result = if refarray {
        // By id alone, as the frontend returns its refs (bridge::SolvedRef).
        gw::result::Result::Ref(gw::Ref {
            id: solved.id,
            def: None,
        })
    } else {
        gw::result::Result::RefDeprecated(solved.id)
    };
    Ok(gw::Result {
        metadata,
        result: Some(result),
        ..gw::Result::default()
    })
}

/// Our options, minus `source`/`cmdline`, with the `E2E_` build args rewritten (module docs).
fn forwarded_options(opts: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, String> {
    let target = opts
        .get(FORWARD_TO)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            "e2e-forward: the build arg E2E_FORWARD_TO (the frontend image to forward to) is missing"
                .to_string()
        })?;
    let mut out = BTreeMap::new();
    for (key, value) in opts {
        if key == "source"
            || key == "cmdline"
            || key == FORWARD_TO
            || key == NOOP
            || key == DEFINITION
            || key == IMAGE_CONFIG
        {
            continue;
        }
        match key.strip_prefix(CONTEXT_PREFIX) {
            Some(name) => {
                out.insert(context_key(name)?, value.clone());
            }
            None => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    out.insert("source".into(), target.clone());
    out.insert("cmdline".into(), target.clone());
    Ok(out)
}

/// `name` -> `context:name`; `name__os_arch[_variant]` -> `context:name::os/arch[/variant]`.
fn context_key(raw: &str) -> Result<String, String> {
    let (name, platform) = match raw.rsplit_once("__") {
        Some((name, platform)) => (name, Some(platform.replace('_', "/"))),
        None => (raw, None),
    };
    if name.is_empty() || platform.as_deref() == Some("") {
        return Err(format!(
            "e2e-forward: bad build arg E2E_CONTEXT_{raw}: expected E2E_CONTEXT_<name> or \
             E2E_CONTEXT_<name>__<os>_<arch>"
        ));
    }
    Ok(match platform {
        Some(p) => format!("context:{name}::{p}"),
        None => format!("context:{name}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(list: &[(&str, &str)]) -> BTreeMap<String, String> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn rewrites_target_and_contexts_and_keeps_the_rest() {
        let got = forwarded_options(&map(&[
            ("source", "localhost:5000/forward:e2e"),
            ("cmdline", "localhost:5000/forward:e2e"),
            ("build-arg:E2E_FORWARD_TO", "localhost:5000/frontend:dev"),
            (
                "build-arg:E2E_CONTEXT_base",
                "docker-image://localhost:5000/busybox:e2e",
            ),
            (
                "build-arg:E2E_CONTEXT_my_img__linux_arm64_v8",
                "local:other",
            ),
            ("build-arg:KEEP", "1"),
            ("target", "app"),
        ]));
        let want = map(&[
            ("source", "localhost:5000/frontend:dev"),
            ("cmdline", "localhost:5000/frontend:dev"),
            ("context:base", "docker-image://localhost:5000/busybox:e2e"),
            ("context:my_img::linux/arm64/v8", "local:other"),
            ("build-arg:KEEP", "1"),
            ("target", "app"),
        ]);
        assert_eq!(got, Ok(want));
    }

    #[test]
    fn missing_target_or_bad_context_name_is_an_error() {
        let err = forwarded_options(&map(&[("source", "x")]))
            .err()
            .unwrap_or_default();
        assert!(err.contains("E2E_FORWARD_TO"), "{err}");
        for bad in [
            "build-arg:E2E_CONTEXT_",
            "build-arg:E2E_CONTEXT___linux_amd64",
        ] {
            let opts = map(&[("build-arg:E2E_FORWARD_TO", "img"), (bad, "v")]);
            let err = forwarded_options(&opts).err().unwrap_or_default();
            assert!(err.contains("E2E_CONTEXT_"), "{err}");
        }
    }
}
