//! JSON-RPC over HTTP on the WebSocket's own port: a `POST` (any path; the query is the
//! server's business) with a JSON body is answered by the server's [`HttpRpc`], as a node
//! answers on its HTTP port, so a backfill or an audit can ask the demo or a replay what a
//! real endpoint's HTTP side would be asked.
//!
//! The framing is hyper's (HTTP/1.1 with chunked bodies, `Expect: 100-continue`, keep-alive
//! and pipelining), on the bytes the listener already read to tell a POST from a handshake.
//! What geth's HTTP server checks is checked here, with its statuses: a body over
//! [`MAX_BODY_BYTES`] is refused `413`, a content type other than JSON `415`. The protections
//! against silent clients hold as for handshakes: each request's head must arrive within
//! [`HANDSHAKE_TIMEOUT`] (hyper closes the connection otherwise, an idle keep-alive one too)
//! and its body within as long again (else `408`); a connection answers at most
//! [`MAX_REQUESTS_PER_CONNECTION`] requests. An HTTP connection never takes a WebSocket seat:
//! it stays among the unfinished handshakes for its whole life, so a flood of HTTP clients is
//! shed oldest first like a flood of silent sockets, and WebSocket clients still get in.

use std::convert::Infallible;
use std::future::Future;
use std::io::Cursor;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt as _, Chain, Join};
use tokio::net::TcpStream;
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request};
use tokio_tungstenite::tungstenite::http::{HeaderValue, Method, Response, StatusCode, header};

use super::{CLOSE_TIMEOUT, HANDSHAKE_TIMEOUT, Ticket};

/// The largest request body answered: geth's `maxRequestContentLength` (5 MiB).
pub(crate) const MAX_BODY_BYTES: usize = 5 << 20;

/// The most requests one keep-alive connection is answered; the last answer says
/// `Connection: close`.
pub(crate) const MAX_REQUESTS_PER_CONNECTION: usize = 1000;

/// The media types geth's HTTP server accepts for JSON-RPC.
const JSON_TYPES: [&str; 3] = ["application/json", "application/json-rpc", "application/jsonrequest"];

/// A server's JSON-RPC over HTTP.
pub(crate) trait HttpRpc: Send + Sync + 'static {
    /// Looks at a POST's head (method, target with its query, headers) before its body is
    /// read; an `Err` is answered instead (a 401, a 400 for a bad query, a 429).
    #[expect(clippy::result_large_err, reason = "the refusal type tungstenite's handshake callbacks use")]
    fn check(&self, _request: &Request) -> Result<(), ErrorResponse> {
        Ok(())
    }

    /// Answers the JSON body of a POST whose head passed [`HttpRpc::check`]: one request or
    /// a batch, as sent (a body that is not UTF-8 comes with its bad bytes replaced).
    fn answer(&self, request: &Request, body: &str) -> Reply;
}

/// The answer to one POST.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The JSON-RPC response text; empty when the body held only notifications.
    pub(crate) body: String,
    /// How long to wait before answering (the demo's `?delay_ms=`).
    pub(crate) delay: Duration,
}

impl Reply {
    /// A response text sent at once.
    pub(crate) fn now(body: String) -> Self {
        Self { body, delay: Duration::ZERO }
    }
}

/// Serves JSON-RPC POSTs on a connection whose first bytes (`head`) were read already, until
/// the client closes, a deadline passes, `cancelled` resolves or the connection is dropped to
/// make room for newer ones (then the request in progress is finished first, briefly).
pub(super) async fn serve<H: HttpRpc>(
    head: Vec<u8>,
    tcp: &mut TcpStream,
    handler: Arc<H>,
    ticket: &Ticket,
    cancelled: Pin<&mut impl Future>,
) {
    let answered = Arc::new(AtomicUsize::new(0));
    let service = service_fn(move |request| {
        let handler = Arc::clone(&handler);
        let number = answered.fetch_add(1, Ordering::Relaxed) + 1;
        async move {
            let mut response = respond(&*handler, request).await;
            if number >= MAX_REQUESTS_PER_CONNECTION {
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok::<_, Infallible>(response)
        }
    });
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(HANDSHAKE_TIMEOUT).keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(prefixed(head, tcp)), service);
    tokio::pin!(connection);
    tokio::select! {
        biased;
        _ = connection.as_mut() => return,
        _ = cancelled => {}
        () = ticket.shed.notified() => {}
    }
    connection.as_mut().graceful_shutdown();
    timeout(CLOSE_TIMEOUT, connection).await.ok();
}

/// The answer to one request on an HTTP connection.
async fn respond<H: HttpRpc>(handler: &H, request: hyper::Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let head = Request::from_parts(parts, ());
    if head.method() != Method::POST {
        let refusal =
            plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed: JSON-RPC over HTTP is a POST");
        return with_header(closing(refusal), header::ALLOW, "POST");
    }
    if !is_json(head.headers().get(header::CONTENT_TYPE)) {
        let why = format!("invalid content type, only {} is supported", JSON_TYPES[0]);
        return closing(plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, &why));
    }
    let declared = head.headers().get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok());
    if let Some(length) = declared.and_then(|text| text.trim().parse::<u64>().ok())
        && length > MAX_BODY_BYTES as u64
    {
        return too_large(&format!("content length too large ({length}>{MAX_BODY_BYTES})"));
    }
    if let Err(refusal) = handler.check(&head) {
        return closing(refused(refusal));
    }
    let body = match timeout(HANDSHAKE_TIMEOUT, Limited::new(body, MAX_BODY_BYTES).collect()).await {
        Err(_elapsed) => {
            let seconds = HANDSHAKE_TIMEOUT.as_secs();
            return closing(plain(
                StatusCode::REQUEST_TIMEOUT,
                &format!("no whole request body within {seconds} s"),
            ));
        }
        Ok(Err(err)) if err.is::<LengthLimitError>() => {
            return too_large(&format!("request body too large (over {MAX_BODY_BYTES} bytes)"));
        }
        Ok(Err(_gone)) => return closing(plain(StatusCode::BAD_REQUEST, "the request body was cut short")),
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let reply = handler.answer(&head, &String::from_utf8_lossy(&body));
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Whether a `Content-Type` names JSON (parameters such as `charset` aside).
fn is_json(value: Option<&HeaderValue>) -> bool {
    let Some(text) = value.and_then(|value| value.to_str().ok()) else { return false };
    let media = text.split(';').next().unwrap_or_default().trim();
    JSON_TYPES.iter().any(|json| media.eq_ignore_ascii_case(json))
}

/// A plain-text answer, as geth's HTTP server words its refusals (the reason and a newline).
fn plain(status: StatusCode, why: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(format!("{why}\n"))));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// 413, and the connection closes (the rest of the body is not read).
fn too_large(why: &str) -> Response<Full<Bytes>> {
    closing(plain(StatusCode::PAYLOAD_TOO_LARGE, why))
}

/// A server's refusal from [`HttpRpc::check`], its headers kept.
fn refused(refusal: ErrorResponse) -> Response<Full<Bytes>> {
    let (parts, body) = refusal.into_parts();
    let mut response = Response::from_parts(parts, Full::new(Bytes::from(body.unwrap_or_default())));
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    }
    response
}

/// The answer with `Connection: close`: after a refusal the body may be unread.
fn closing(response: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    with_header(response, header::CONNECTION, "close")
}

fn with_header(
    mut response: Response<Full<Bytes>>,
    name: header::HeaderName,
    value: &'static str,
) -> Response<Full<Bytes>> {
    response.headers_mut().insert(name, HeaderValue::from_static(value));
    response
}

/// A socket with bytes already read from it put back in front: what the listener read to
/// tell a POST from a handshake is read again by whoever serves the connection.
pub(super) type Prefixed<'a> = Join<Chain<Cursor<Vec<u8>>, ReadHalf<'a>>, WriteHalf<'a>>;

/// `tcp` with `head` put back in front of what it reads.
pub(super) fn prefixed(head: Vec<u8>, tcp: &mut TcpStream) -> Prefixed<'_> {
    let (read, write) = tcp.split();
    tokio::io::join(Cursor::new(head).chain(read), write)
}

/// Whether every byte put back was read again.
pub(super) fn is_drained(stream: &Prefixed<'_>) -> bool {
    let head = stream.reader().get_ref().0;
    usize::try_from(head.position()).is_ok_and(|at| at >= head.get_ref().len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types_are_told_from_others() {
        let value = |text: &'static str| HeaderValue::from_static(text);
        assert!(is_json(Some(&value("application/json"))));
        assert!(is_json(Some(&value("Application/JSON; charset=utf-8"))));
        assert!(is_json(Some(&value("application/json-rpc"))));
        assert!(!is_json(Some(&value("application/x-www-form-urlencoded"))));
        assert!(!is_json(Some(&value("text/plain"))));
        assert!(!is_json(None));
    }
}
