//! gRPC over the process's stdin/stdout: BuildKit runs an HTTP/2 (prior
//! knowledge, no TLS) server on the other end of the two pipes.
//!
//! The two halves are joined into one duplex stream and handed to tonic
//! through a one-shot connector: a second connect attempt fails instead of
//! silently reusing the pipes.

use std::io;
use std::sync::{Arc, Mutex};

use bollard_buildkit_proto::moby::buildkit::v1::frontend::llb_bridge_client::LlbBridgeClient;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tonic::transport::{Channel, Endpoint, Uri};

/// Message size limit, both directions (as the Go client).
pub const MAX_MESSAGE_SIZE: usize = 16 << 20;

/// The bridge client over this process's stdin (read) and stdout (write).
pub async fn stdio_client() -> Result<LlbBridgeClient<Channel>, tonic::transport::Error> {
    client_over(tokio::io::join(tokio::io::stdin(), tokio::io::stdout())).await
}

/// The bridge client over any duplex byte stream (the process's stdio, in
/// [`stdio_client`]).
pub async fn client_over<IO>(io: IO) -> Result<LlbBridgeClient<Channel>, tonic::transport::Error>
where
    IO: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let slot = Arc::new(Mutex::new(Some(io)));
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
    let channel = Endpoint::from_static("http://buildkit.stdio")
        .connect_with_connector(connector)
        .await?;
    Ok(LlbBridgeClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE))
}
