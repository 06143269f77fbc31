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
//! its CPU time (docs/performance.md, "The replay harness"). Anything else on
//! stdin/stdout (a file, a terminal, a socket) falls back to those.
//!
//! Writes are batched ([`batched`]): the frames of one burst leave in one
//! `write`.

mod batched;

use std::io;
use std::os::fd::AsFd as _;
use std::sync::{Arc, Mutex};

use bollard_buildkit_proto::moby::buildkit::v1::frontend::llb_bridge_client::LlbBridgeClient;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::unix::pipe;
use tonic::transport::{Channel, Endpoint, Uri};

/// Message size limit, both directions (as the Go client).
pub const MAX_MESSAGE_SIZE: usize = 16 << 20;

/// The bridge client over this process's stdin (read) and stdout (write).
pub async fn stdio_channel() -> Result<Channel, tonic::transport::Error> {
    match stdio_pipes() {
        Ok((read, write)) => channel_over(tokio::io::join(read, write)).await,
        Err(err) => {
            tracing::debug!("stdin/stdout are not both pipes ({err}): blocking stdio");
            channel_over(tokio::io::join(tokio::io::stdin(), tokio::io::stdout())).await
        }
    }
}

/// Stdin and stdout as non-blocking pipe ends (duplicates of fds 0 and 1), or
/// an error if either is not a pipe.
fn stdio_pipes() -> io::Result<(pipe::Receiver, pipe::Sender)> {
    let read = io::stdin().as_fd().try_clone_to_owned()?;
    let write = io::stdout().as_fd().try_clone_to_owned()?;
    Ok((
        pipe::Receiver::from_owned_fd(read)?,
        pipe::Sender::from_owned_fd(write)?,
    ))
}

/// The channel over any duplex byte stream (the process's stdio, in
/// [`stdio_channel`]).
pub async fn channel_over<IO>(io: IO) -> Result<Channel, tonic::transport::Error>
where
    IO: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let slot = Arc::new(Mutex::new(Some(batched::Batched::new(io))));
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
