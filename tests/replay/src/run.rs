//! One replay: start the frontend binary as BuildKit does (gRPC over its stdin/stdout, options in
//! `BUILDKIT_FRONTEND_OPT_<n>`), serve it the [`ReplayBridge`], wait for it to exit, and measure
//! it: wall time from spawn to exit, and the CPU time and peak RSS the kernel reports for the
//! reaped child (`getrusage(RUSAGE_CHILDREN)`, what `wait4` returns: this process starts exactly
//! one child). With `--launcher` (scripts/bench-replay) the frontend is started by
//! `replay-launch` (src/launch.rs), which measures it the same way from a process too small to
//! raise its peak RSS, and the figures are the launcher's.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use nix::sys::resource::{getrusage, UsageWho};
use testkit::gateway::ChildIo;

use crate::bridge::{Log, ReplayBridge};
use crate::raw_solve::BridgeService;
use crate::recording::Recording;

/// BuildKit's gRPC message limit, both directions.
pub(crate) const MAX_MESSAGE: usize = 16 << 20;
/// A frontend that has not exited by then is killed and the run fails.
const TIMEOUT: Duration = Duration::from_secs(300);

/// What one run measured.
#[derive(Debug)]
pub struct Measure {
    pub wall: Duration,
    pub user: Duration,
    pub sys: Duration,
    /// Peak resident set, KiB.
    pub max_rss_kib: i64,
    pub exit_code: Option<i32>,
    /// The frontend's stderr (its log), for a failed run's report.
    pub stderr: String,
}

/// The environment BuildKit gives a gateway frontend (`frontend/gateway/gateway.go`): the
/// options, the session, the workers, the product. Both frontends read these and nothing else.
fn gateway_env(opts: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = opts
        .iter()
        .enumerate()
        .map(|(i, (k, v))| (format!("BUILDKIT_FRONTEND_OPT_{i}"), format!("{k}={v}")))
        .collect();
    env.push(("BUILDKIT_SESSION_ID".into(), "replay-session".into()));
    env.push((
        "BUILDKIT_WORKERS".into(),
        r#"[{"id":"replay","labels":{},"platforms":[{"architecture":"amd64","os":"linux"}]}]"#
            .into(),
    ));
    env.push(("BUILDKIT_EXPORTEDPRODUCT".into(), "buildkit".into()));
    env
}

/// Run `binary` once against `recording` with its options plus `extra_opts`; through
/// `launcher` (`replay-launch`, src/launch.rs) when given, whose report then has the figures.
pub async fn replay(
    binary: &Path,
    recording: Recording,
    extra_opts: &BTreeMap<String, String>,
    launcher: Option<&Path>,
) -> anyhow::Result<(Measure, Log)> {
    let mut opts = recording.opts.clone();
    opts.extend(extra_opts.clone());
    let report = std::env::temp_dir().join(format!("replay-launch.{}", std::process::id()));
    let mut cmd = match launcher {
        Some(launcher) => {
            let mut cmd = tokio::process::Command::new(launcher);
            cmd.arg(&report).arg(binary);
            cmd
        }
        None => tokio::process::Command::new(binary),
    };
    cmd.env_clear()
        .envs(gateway_env(&opts))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let bridge = ReplayBridge::new(recording);
    let log = bridge.log();
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let io = ChildIo::take(&mut child)?;
    let mut stderr = child.stderr.take().context("child stderr")?;
    let stderr_task = tokio::spawn(async move {
        let mut s = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut stderr, &mut s).await;
        String::from_utf8_lossy(&s).into_owned()
    });
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(BridgeService::new(bridge, MAX_MESSAGE))
            .serve_with_incoming(tokio_stream::once(Ok::<_, io::Error>(io))),
    );
    let status = tokio::time::timeout(TIMEOUT, child.wait()).await;
    let wall = start.elapsed();
    let exit_code = match status {
        Ok(Ok(s)) => s.code(),
        _ => {
            let _ = child.kill().await;
            None
        }
    };
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).context("getrusage")?;
    server.abort();
    let stderr = tokio::time::timeout(Duration::from_secs(5), stderr_task)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let log = std::mem::take(&mut *log.lock().unwrap_or_else(|e| e.into_inner()));
    let mut measure = Measure {
        wall,
        user: timeval(usage.user_time()),
        sys: timeval(usage.system_time()),
        max_rss_kib: usage.max_rss(),
        exit_code,
        stderr,
    };
    if launcher.is_some() && exit_code.is_some() {
        let read = std::fs::read_to_string(&report).context("the launcher's report");
        let _ = std::fs::remove_file(&report);
        apply_report(&mut measure, &read?)?;
    }
    Ok((measure, log))
}

/// The launcher's `wall_us user_us sys_us max_rss_kib`, in place of this process's view.
fn apply_report(m: &mut Measure, report: &str) -> anyhow::Result<()> {
    let fields: Vec<i64> = report
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .with_context(|| format!("the launcher's report {report:?}"))?;
    let [wall, user, sys, rss] = fields[..] else {
        anyhow::bail!("the launcher's report {report:?}: expected four numbers");
    };
    let micros = |v: i64| Duration::from_micros(u64::try_from(v).unwrap_or(0));
    m.wall = micros(wall);
    m.user = micros(user);
    m.sys = micros(sys);
    m.max_rss_kib = rss;
    Ok(())
}

fn timeval(tv: nix::sys::time::TimeVal) -> Duration {
    let secs = u64::try_from(tv.tv_sec()).unwrap_or(0);
    let micros = u32::try_from(tv.tv_usec()).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(u64::from(micros))
}
