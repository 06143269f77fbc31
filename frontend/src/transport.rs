//! gRPC over the process's stdin/stdout: BuildKit runs an HTTP/2 (prior
//! knowledge, no TLS) server on the other end of the two pipes.
//!
//! The two halves are joined into one duplex stream and handed to tonic
//! through a one-shot connector: a second connect attempt fails instead of
//! silently reusing the pipes.
//!
//! BuildKit gives the frontend pipes. They are read and written as
//! non-blocking pipes on the runtime's event loop (`tokio::net::unix::pipe`):
//! `tokio::io::stdin()`/`stdout()` hand every read and write to a blocking
//! thread, which cost a small build about 270 context switches and most of
//! its CPU time (docs/performance-history.md, "The replay harness"). Anything else on
//! stdin/stdout (a file, a terminal, a socket) falls back to those.
//!
//! Writes are batched ([`batched`]): the frames of one burst leave in one
//! `write`; after it the thread polls for the answer a little before it sleeps ([`spin`]).
//!
//! The connection's own tasks run in a [`pump::Pump`], not on the runtime, so
//! that a panic can still send its `Return` ([`take_over`]).

mod batched;
mod pipes;
mod pump;
mod spin;

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use bollard_buildkit_proto::moby::buildkit::v1::frontend::llb_bridge_client::LlbBridgeClient;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tonic::transport::{Channel, Endpoint, Uri};

/// Message size limit, both directions (as the Go client).
pub const MAX_MESSAGE_SIZE: usize = 16 << 20;

/// The stdio connection's tasks, for [`take_over`].
static STDIO_PUMP: OnceLock<pump::Pump> = OnceLock::new();

/// Set by [`take_over`]: the pipes are then read and written directly ([`pipes`]).
static TAKEN_OVER: AtomicBool = AtomicBool::new(false);

/// The bridge client over this process's stdin (read) and stdout (write).
pub async fn stdio_channel() -> Result<Channel, tonic::transport::Error> {
    let pump = STDIO_PUMP.get_or_init(pump::Pump::default).clone();
    match pipes::Pipes::stdio() {
        Ok(pipes) => channel_with(pipes, pump).await,
        Err(err) => {
            tracing::debug!("stdin/stdout are not both pipes ({err}): blocking stdio");
            let io = tokio::io::join(tokio::io::stdin(), tokio::io::stdout());
            channel_with(io, pump).await
        }
    }
}

/// Runs `fut` on this thread with the stdio connection taken from the runtime (a panic's
/// `Return`: crate::panics), until `until`. None when there is no stdio connection, when its
/// tasks cannot be taken (the panic is inside them), or when `fut` does not end in time.
pub fn take_over<T>(fut: impl Future<Output = T>, until: Instant) -> Option<T> {
    let pump = STDIO_PUMP.get()?;
    TAKEN_OVER.store(true, Ordering::Relaxed);
    pump.take_over(fut, until)
}

/// The channel over any duplex byte stream.
pub async fn channel_over<IO>(io: IO) -> Result<Channel, tonic::transport::Error>
where
    IO: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    channel_with(io, pump::Pump::default()).await
}

/// The channel over `io`, its tasks run by `pump` (spawned here, on the caller's runtime).
async fn channel_with<IO>(io: IO, pump: pump::Pump) -> Result<Channel, tonic::transport::Error>
where
    IO: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    tokio::spawn(pump.clone().run());
    let spin = Arc::new(spin::Spin::new());
    tokio::spawn(spin.clone().run());
    let slot = Arc::new(Mutex::new(Some(batched::Batched::new(io).spinning(spin))));
    let connector = tower::service_fn(move |_: Uri| {
        let io = slot.lock().ok().and_then(|mut s| s.take());
        async move {
            io.map(TokioIo::new).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotConnected,
                    "the stdio connection was already used",
                )
            })
        }
    });
    // The address is never dialled; the connector supplies the stream.
    Endpoint::from_static("http://buildkit.stdio")
        .executor(pump)
        .connect_with_connector(connector)
        .await
}

/// The generated bridge client on `channel`, with the message size limits.
pub fn bridge_client(channel: Channel) -> LlbBridgeClient<Channel> {
    LlbBridgeClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE)
}

/// A plain gRPC client on `channel` for the calls whose messages are ours
/// ([`crate::wire`]), with the same limits as [`bridge_client`].
pub fn raw_client(channel: Channel) -> tonic::client::Grpc<Channel> {
    tonic::client::Grpc::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE)
}
