//! Opening a connection's socket: the key placed in its URL, the URL's user info sent as
//! HTTP Basic auth, the user's headers, TCP with Nagle off, TLS, the handshake bounded in
//! time, and every error told apart and scrubbed of the connection's secrets. The socket
//! counts the bytes it reads ([`Tracked`]), which keepalive takes as signs of life.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::header::AUTHORIZATION;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::ConnectionConfig;
use super::error::ConnectError;
use crate::redact::user_info::take_user_info;
use crate::redact::{API_KEY_PLACEHOLDER, Secrets, place_key};

/// A connection's socket.
pub(super) type Socket = WebSocketStream<MaybeTlsStream<Tracked<TcpStream>>>;

/// A byte stream that counts the bytes it read: any byte received is a sign of life, even in
/// the middle of a frame too big to have arrived yet.
pub(super) struct Tracked<S> {
    inner: S,
    received: Arc<AtomicU64>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        if read > 0 {
            this.received.fetch_add(read as u64, Ordering::Relaxed);
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Opens the socket: places the key, sends the URL's user info as Basic auth, adds headers,
/// bounds the handshake in time. Errors are
/// scrubbed of the connection's secrets (the actor scrubs them again before they leave it).
/// Returns the socket and the count of bytes it has read (for keepalive).
pub(super) async fn connect(config: &ConnectionConfig) -> Result<(Socket, Arc<AtomicU64>), ConnectError> {
    let secrets = config.secrets();
    connect_to(config, &secrets).await.map_err(|err| err.scrubbed(&secrets))
}

/// [`connect`] before its errors are scrubbed (an HTTP body is scrubbed here, before it is cut).
async fn connect_to(
    config: &ConnectionConfig,
    secrets: &Secrets,
) -> Result<(Socket, Arc<AtomicU64>), ConnectError> {
    let key = config.api_key.as_ref().filter(|key| !key.is_empty());
    if config.url.contains(API_KEY_PLACEHOLDER) && key.is_none() {
        return Err(ConnectError::NeedsKey);
    }
    let url = place_key(&config.url, key);
    // User info is sent as Basic auth, from a URL without it (tungstenite would drop it).
    let (url, credentials) = take_user_info(&url).unwrap_or((url, None));
    let url = with_root_path(&url);
    let mut request = url.as_ref().into_client_request().map_err(|err| ConnectError::Url(url_error(&err)))?;
    if let Some(credentials) = credentials {
        request.headers_mut().insert(AUTHORIZATION, credentials.header());
    }
    // An Authorization header set by the user replaces the URL's.
    for (name, value) in &config.headers {
        let header = |problem: &str| ConnectError::Header { name: name.clone(), problem: problem.to_owned() };
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| header("not a valid HTTP header name"))?;
        let value = HeaderValue::from_str(&place_key(value.trim(), key))
            .map_err(|_| header("its value is not valid in an HTTP header"))?;
        request.headers_mut().insert(name, value);
    }
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(config.max_message_bytes))
        .max_frame_size(Some(config.max_message_bytes));
    let received = Arc::new(AtomicU64::new(0));
    let handshake = async {
        let stream = open_tcp(&request).await?;
        let stream = Tracked { inner: stream, received: Arc::clone(&received) };
        tokio_tungstenite::client_async_tls_with_config(request, stream, Some(ws_config), None)
            .await
            .map_err(|err| ConnectError::from_handshake(err, secrets))
    };
    match tokio::time::timeout(config.connect_timeout, handshake).await {
        Err(_) => Err(ConnectError::Timeout { after: config.connect_timeout }),
        Ok(Err(reason)) => Err(reason),
        Ok(Ok((socket, _response))) => Ok((socket, received)),
    }
}

/// The TCP connection for a `ws://` or `wss://` request (Nagle off: frames are small and
/// latency matters). The name is resolved first, so a name that does not resolve is told
/// apart from an address that refuses.
async fn open_tcp(request: &tungstenite::handshake::client::Request) -> Result<TcpStream, ConnectError> {
    let uri = request.uri();
    let host = uri.host().ok_or_else(|| ConnectError::Url("no host".to_owned()))?;
    let host = host.strip_prefix('[').and_then(|host| host.strip_suffix(']')).unwrap_or(host);
    let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("wss") { 443 } else { 80 });
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|err| ConnectError::Dns(err.to_string()))?
        .collect();
    if addresses.is_empty() {
        return Err(ConnectError::Dns("the name has no address".to_owned()));
    }
    let stream = TcpStream::connect(addresses.as_slice()).await.map_err(|err| ConnectError::from_io(&err))?;
    stream.set_nodelay(true).ok(); // only latency depends on it
    Ok(stream)
}

/// What is wrong with a URL the request could not be made from, without tungstenite's
/// "URL error: " prefix (the message says "bad URL" already).
fn url_error(err: &tungstenite::Error) -> String {
    match err {
        tungstenite::Error::Url(err) => err.to_string(),
        other => other.to_string(),
    }
}

/// `url` with the path `/` when it has a query but no path (`wss://host?api-key=…`, as
/// providers' dashboards show keys): its request line would otherwise read `GET ?api-key=…`,
/// which no server takes. Browsers and curl read such a URL the same way.
fn with_root_path(url: &str) -> std::borrow::Cow<'_, str> {
    let start = url.find("://").map_or(0, |at| at + 3);
    match url[start..].find(['/', '?', '#']).map(|at| start + at) {
        Some(at) if url.as_bytes()[at] == b'?' => format!("{}/{}", &url[..at], &url[at..]).into(),
        _ => url.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::with_root_path;

    #[test]
    fn a_query_without_a_path_gets_the_root_path() {
        let cases = [
            ("wss://mainnet.helius-rpc.com?api-key=K", "wss://mainnet.helius-rpc.com/?api-key=K"),
            ("ws://127.0.0.1:8900?a=1/2", "ws://127.0.0.1:8900/?a=1/2"),
            ("wss://host/v2/K?x=1", "wss://host/v2/K?x=1"),
            ("wss://host", "wss://host"),
            ("wss://host#frag?x", "wss://host#frag?x"),
        ];
        for (url, expected) in cases {
            assert_eq!(with_root_path(url), expected, "{url}");
        }
    }
}
