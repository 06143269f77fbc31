//! Handing the build to another frontend, as upstream's Dockerfile frontend
//! does: the `BUILDKIT_SYNTAX` build arg, or a `# syntax=` line naming
//! another image (`llb_gen::options::forward_target` decides). The
//! forwarded request is `gateway.v0` with every option of ours plus
//! `source` (the image) and `cmdline` (the whole value), and our frontend
//! inputs; its result is returned as it is. `cmdline` is the loop guard:
//! a frontend that has it never forwards again.

use bollard_buildkit_proto::google::rpc::Status;
use llb_gen::options::Forward;
use prost::Message as _;

use crate::bridge::Bridge;
use crate::env::GatewayEnv;
use crate::options::BuildOptions;
use crate::status::FrontendError;
use crate::wire;

/// Run the build on `fw.source`; `dockerfile` locates a `# syntax=` line
/// in errors.
pub async fn forward(
    bridge: &Bridge,
    env: &GatewayEnv,
    fo: &BuildOptions,
    fw: Forward,
    dockerfile: &[u8],
) -> Result<wire::Result, FrontendError> {
    tracing::info!(source = %fw.source, "forwarding the build to another frontend");
    let mut opts = env.opts.clone();
    opts.insert("cmdline".into(), fw.cmdline.clone());
    opts.insert("source".into(), fw.source.clone());
    let inputs = fo.convert.frontend_inputs.clone();
    bridge
        .solve_frontend("gateway.v0", opts, inputs)
        .await
        .map_err(|status| {
            if has_details(&status) {
                // The other frontend's own located error, unchanged.
                return FrontendError::rpc("", status);
            }
            let what = match fw.span {
                None => format!("failed with BUILDKIT_SYNTAX = {}", fw.cmdline),
                Some(span) => format!(
                    "{}:{}: failed to run the frontend {} named by the syntax directive",
                    fo.convert.filename,
                    line_of(dockerfile, span.start as usize),
                    fw.source
                ),
            };
            FrontendError::rpc(what, status)
        })
}

fn has_details(status: &tonic::Status) -> bool {
    Status::decode(status.details()).is_ok_and(|s| !s.details.is_empty())
}

/// 1-based line of byte `at`.
fn line_of(data: &[u8], at: usize) -> usize {
    1 + data[..at.min(data.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_from_one() {
        assert_eq!(line_of(b"# syntax=x\nFROM a\n", 3), 1);
        assert_eq!(line_of(b"\n\n# syntax=x\n", 5), 3);
        assert_eq!(line_of(b"", 9), 1);
    }
}
