//! Serving WebSockets (and JSON-RPC over HTTP on the same port) on 127.0.0.1, the parts the
//! demo server ([`crate::demo`]), the replay server ([`crate::replay`]) and any later listener
//! share: the accept loop with its shutdown grace, who is let in and how the others are
//! answered, the bounded handshake, the polite close. What a connection says is each server's own business; how connections come and go
//! is the same for all.
//!
//! **Admission.** A port on 127.0.0.1 is open to every process on the machine, so one that
//! misbehaves must not lock real clients out (issue 21: 256 silent sockets held every slot
//! for 10 s each). Hence:
//!
//! - A client has [`HANDSHAKE_TIMEOUT`] (3 s) to send its request; a silent one then gets
//!   `408 Request Timeout` and is closed.
//! - Unfinished handshakes are counted apart from open connections and capped
//!   ([`Admission::max_handshakes`]). At the cap, the *oldest* unfinished handshake is
//!   dropped to make room for the newest (answered `503` when that costs no waiting): a real
//!   client finishes its handshake within a millisecond of connecting, so only sockets that
//!   sit idle are ever dropped, and a flood of them can no longer keep anyone out. Refusing
//!   the newest instead would let whoever filled the slots first keep them.
//! - Open connections are capped ([`Admission::max_connections`]); a client whose request
//!   arrives beyond that gets `503 Service Unavailable` with `Retry-After`, not a closed socket.
//! - A `POST` is JSON-RPC over HTTP, answered by the server's [`HttpRpc`] on the same port
//!   ([`http`]); an HTTP connection never takes a WebSocket seat and stays sheddable like an
//!   unfinished handshake, so a flood of HTTP clients cannot lock WebSocket clients out.
//! - Any other request that is not a WebSocket upgrade gets a real answer: `426 Upgrade
//!   Required` for a plain GET (a browser, curl), `405` for a method other than GET or POST,
//!   `400` for anything that is not an HTTP request. tungstenite's server handshake closes the socket without a word
//!   in all of these cases, so the answer is written here from its error. What a server's own
//!   handshake callback refuses (the demo's 400 for a bad fault query, its 401) is written by
//!   tungstenite, with `Content-Length` and `Connection: close` added here.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::error::ProtocolError;
pub(crate) use tokio_tungstenite::tungstenite::handshake::server::NoCallback;
use tokio_tungstenite::tungstenite::handshake::server::{Callback, ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header};
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::{WebSocketStream, accept_hdr_async_with_config};

pub(crate) use http::{HttpRpc, Reply};

pub(crate) mod http;

/// A served WebSocket.
pub(crate) type Ws = WebSocketStream<TcpStream>;

/// How long a client may take to send its handshake request. A loopback client sends it at
/// once (well under a millisecond), and 3 s still covers one stalled by a loaded machine (a
/// parallel build on two cores, a debugger's pause), while an idle socket no longer holds a
/// slot for long.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(3);

/// What `Retry-After` says in a 503: the handshake deadline, by when every handshake that
/// crowds the listener now has finished or been dropped.
const RETRY_AFTER_SECONDS: &str = "3";

/// How long a closing handshake, or writing a refusal, may take before the TCP connection is
/// just dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_millis(500);

/// The most bytes read (and discarded) after a refusal was sent, while waiting for the client
/// to close: reading them keeps the close from turning into a reset that destroys the answer.
const REFUSAL_DRAIN_BYTES: usize = 64 << 10;

/// How long a server that stops lets connections send their close frames before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// How long `shutdown` waits for the listener task as a whole.
pub(crate) const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Pause after a failed `accept` (for example too many open files), so the loop cannot spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// Who a listener lets in (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Admission {
    /// How the server names itself in the bodies of its refusals (`subscope demo server`).
    pub(crate) name: &'static str,
    /// The most WebSocket connections served at once; a handshake beyond it is answered 503.
    pub(crate) max_connections: usize,
    /// The most accepted connections whose handshake has not finished; at the cap the oldest
    /// is dropped. As many as the connections served by default: a burst of clients that all
    /// connect before any sends its request (one event loop opening many sockets does) can
    /// then still fill every seat, and 256 + 256 sockets stay well inside the usual limit of
    /// 1,024 open files.
    pub(crate) max_handshakes: usize,
}

impl Admission {
    /// 256 connections and 256 unfinished handshakes.
    pub(crate) const fn new(name: &'static str) -> Self {
        Self { name, max_connections: 256, max_handshakes: 256 }
    }
}

/// Accepts connections until `is_shutdown(control)` holds (or the control's sender is gone),
/// then gives the connections a grace period and aborts the rest.
///
/// `serve` is called for every accepted connection and returns its task, which starts with
/// [`Accepted::handshake`]; `admission` says how many are let in (see the module docs).
pub(crate) async fn accept_loop<C, F, Fut>(
    listener: TcpListener,
    mut control: watch::Receiver<C>,
    is_shutdown: fn(&C) -> bool,
    admission: Admission,
    mut serve: F,
) where
    F: FnMut(Accepted) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let gate = Arc::new(Gate { admission, open: AtomicUsize::new(0) });
    let mut unfinished = Unfinished::new(admission.max_handshakes);
    let mut connections = JoinSet::new();
    // Bounded: ends when the server shuts down (or is dropped).
    loop {
        if is_shutdown(&control.borrow()) {
            break;
        }
        tokio::select! {
            biased;
            changed = control.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((tcp, _peer)) => {
                    let ticket = unfinished.admit();
                    let task = serve(Accepted { tcp, ticket: Arc::clone(&ticket), gate: Arc::clone(&gate) });
                    let leaving = Leaving { ticket, gate: Arc::clone(&gate) };
                    connections.spawn(async move {
                        let _leaving = leaving;
                        task.await;
                    });
                }
                Err(_) => tokio::time::sleep(ACCEPT_ERROR_PAUSE).await,
            },
        }
    }
    drop(listener);
    tokio::time::timeout(SHUTDOWN_GRACE, async { while connections.join_next().await.is_some() {} })
        .await
        .ok();
    connections.shutdown().await;
}

/// The listener's side of admission, shared with every connection: the count of open
/// connections (a connection holds a seat from its handshake's acceptance to its task's end).
struct Gate {
    admission: Admission,
    /// Seats taken.
    open: AtomicUsize,
}

impl Gate {
    /// Takes a seat if one is free.
    fn take_seat(&self) -> bool {
        let max = self.admission.max_connections;
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| (open < max).then_some(open + 1))
            .is_ok()
    }

    /// Gives a seat back.
    fn release_seat(&self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
    }

    /// What a handshake request is answered with: the server's callback first (its own
    /// refusals: a bad query, missing credentials), then a seat, or 503.
    #[expect(clippy::result_large_err, reason = "the signature tungstenite's handshake callback has")]
    fn admit(
        &self,
        ticket: &Ticket,
        callback: impl Callback,
        request: &Request,
        response: Response,
    ) -> Result<Response, ErrorResponse> {
        let response = callback.on_request(request, response).map_err(completed)?;
        if !self.take_seat() {
            let max = self.admission.max_connections;
            return Err(self.busy(&format!("the connection limit ({max}) is reached")));
        }
        if !ticket.seat() {
            // Dropped for a newer handshake a moment ago.
            self.release_seat();
            return Err(self.busy("too many connections are opening at once"));
        }
        Ok(response)
    }

    /// A 503 refusal saying why.
    fn busy(&self, why: &str) -> ErrorResponse {
        let mut refusal =
            ErrorResponse::new(Some(format!("{}: {why}; try again later\n", self.admission.name)));
        *refusal.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        refusal.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
        completed(refusal)
    }
}

/// A refusal made a complete HTTP answer: tungstenite writes the status, the headers given and
/// the body, nothing more, so the length and the close are added (a client then needs not wait
/// for the close to know the body is whole).
fn completed(mut refusal: ErrorResponse) -> ErrorResponse {
    let length = refusal.body().as_ref().map_or(0, String::len);
    let headers = refusal.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    if length > 0 && !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    }
    refusal
}

/// Where one accepted connection stands; shared by its task and the accept loop, which is the
/// only one to drop it for a newer handshake.
struct Ticket {
    /// One of the states below.
    state: AtomicU8,
    /// Signalled when the connection is dropped for a newer handshake.
    shed: Notify,
}

impl Ticket {
    /// Accepted; the handshake request has not been accepted yet.
    const HANDSHAKING: u8 = 0;
    /// The request was accepted and a seat taken; the 101 answer is being written.
    const SEATED: u8 = 1;
    /// A WebSocket connection, holding its seat.
    const OPEN: u8 = 2;
    /// Dropped for a newer handshake.
    const SHED: u8 = 3;
    /// The connection's task has ended.
    const ENDED: u8 = 4;

    fn new() -> Self {
        Self { state: AtomicU8::new(Self::HANDSHAKING), shed: Notify::new() }
    }

    fn state(&self) -> u8 {
        self.state.load(Ordering::Acquire)
    }

    fn moved(&self, from: u8, to: u8) -> bool {
        self.state.compare_exchange(from, to, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    /// Whether the handshake has not finished yet.
    fn is_unfinished(&self) -> bool {
        matches!(self.state(), Self::HANDSHAKING | Self::SEATED)
    }

    /// The request was accepted with a seat; false when the connection was just dropped.
    fn seat(&self) -> bool {
        self.moved(Self::HANDSHAKING, Self::SEATED)
    }

    /// The 101 answer is out; false when the connection was dropped.
    fn open(&self) -> bool {
        self.moved(Self::SEATED, Self::OPEN)
    }

    /// Drops the connection for a newer handshake, unless its request was accepted already
    /// (it opens within a write). Returns whether it was dropped.
    fn shed(&self) -> bool {
        let shed = self.moved(Self::HANDSHAKING, Self::SHED);
        if shed {
            // Kept as a permit when the task is not waiting yet.
            self.shed.notify_one();
        }
        shed
    }

    /// The task ended; returns whether it held a seat.
    fn end(&self) -> bool {
        matches!(self.state.swap(Self::ENDED, Ordering::AcqRel), Self::SEATED | Self::OPEN)
    }
}

/// Ends a connection's ticket, and gives its seat back, when its task ends (or is aborted).
struct Leaving {
    ticket: Arc<Ticket>,
    gate: Arc<Gate>,
}

impl Drop for Leaving {
    fn drop(&mut self) {
        if self.ticket.end() {
            self.gate.release_seat();
        }
    }
}

/// The accept loop's list of unfinished handshakes, oldest first.
struct Unfinished {
    tickets: VecDeque<Arc<Ticket>>,
    /// The most kept; at least 1.
    max: usize,
}

impl Unfinished {
    fn new(max: usize) -> Self {
        Self { tickets: VecDeque::new(), max: max.max(1) }
    }

    /// A ticket for a connection just accepted; at the cap, the oldest unfinished handshakes
    /// are dropped first to make room.
    fn admit(&mut self) -> Arc<Ticket> {
        self.tickets.retain(|ticket| ticket.is_unfinished());
        // Bounded: every round removes a ticket, or ends when none can be dropped (those left
        // have a seat and open within a write).
        while self.tickets.len() >= self.max {
            let Some(oldest) = self.tickets.iter().position(|ticket| ticket.state() == Ticket::HANDSHAKING)
            else {
                break;
            };
            if let Some(ticket) = self.tickets.remove(oldest) {
                ticket.shed();
            }
        }
        let ticket = Arc::new(Ticket::new());
        self.tickets.push_back(Arc::clone(&ticket));
        ticket
    }
}

/// An accepted TCP connection, not yet a WebSocket; [`Accepted::handshake`] makes it one.
pub(crate) struct Accepted {
    tcp: TcpStream,
    ticket: Arc<Ticket>,
    gate: Arc<Gate>,
}

/// How the server side of a handshake ended.
enum Outcome {
    /// The 101 answer is out.
    Upgraded,
    /// The client is gone, or the server's callback refusal was written already.
    Over,
    /// Answer without waiting (the connection is dropped to make room, or timed out).
    AnswerNow(Vec<u8>),
    /// Answer, and wait briefly for the client to read it and close.
    Answer(Vec<u8>),
    /// A POST: serve JSON-RPC over HTTP, from the bytes read so far.
    Http(Vec<u8>),
}

impl Accepted {
    /// The server side of the WebSocket handshake, bounded in time, abandoned when
    /// `cancelled` resolves first (the server stops) or when the connection is dropped for a
    /// newer handshake. `callback` sees the request and may refuse it ([`NoCallback`] takes
    /// all); then a seat is taken, or the client is answered 503. Inbound messages and frames
    /// are limited to `max_message` bytes.
    ///
    /// A `POST` is JSON-RPC over HTTP instead: `http` answers it, and every request after it
    /// on the connection (see [`http`]); the connection then never becomes a WebSocket.
    pub(crate) async fn handshake<H: HttpRpc>(
        self,
        max_message: usize,
        callback: impl Callback + Unpin,
        http: &Arc<H>,
        cancelled: impl Future,
    ) -> Option<Ws> {
        let Self { mut tcp, ticket, gate } = self;
        // Notifications are small and latency matters more than packet count.
        tcp.set_nodelay(true).ok();
        let config =
            WebSocketConfig::default().max_message_size(Some(max_message)).max_frame_size(Some(max_message));
        let name = gate.admission.name;
        tokio::pin!(cancelled);
        #[expect(clippy::result_large_err, reason = "the signature tungstenite's handshake callback has")]
        let gated = |request: &Request, response: Response| gate.admit(&ticket, callback, request, response);
        // The handshake borrows the socket, so a request it rejects can still be answered.
        let attempt = timeout(HANDSHAKE_TIMEOUT, async {
            let head = read_method(&mut tcp).await?;
            if head.starts_with(b"POST ") {
                return Ok(Route::Http(head));
            }
            let upgraded =
                accept_hdr_async_with_config(http::prefixed(head, &mut tcp), gated, Some(config)).await?;
            // tungstenite refuses bytes after the request, so nothing put back is left over.
            Ok(if http::is_drained(upgraded.get_ref()) { Route::Upgraded } else { Route::Junk })
        });
        let outcome = tokio::select! {
            biased;
            _ = &mut cancelled => Outcome::Over,
            () = ticket.shed.notified() => Outcome::AnswerNow(gate_busy(name)),
            attempted = attempt => {
                match attempted {
                    Err(_elapsed) => Outcome::AnswerNow(timed_out(name)),
                    Ok(Ok(Route::Upgraded)) => Outcome::Upgraded,
                    Ok(Ok(Route::Http(head))) => Outcome::Http(head),
                    Ok(Ok(Route::Junk)) => refusal(&WsError::Protocol(ProtocolError::JunkAfterRequest), name)
                        .map_or(Outcome::Over, Outcome::Answer),
                    Ok(Err(err)) => refusal(&err, name).map_or(Outcome::Over, Outcome::Answer),
                }
            }
        };
        match outcome {
            // The request was read to its end (tungstenite refuses bytes after it) and the 101
            // written, so the socket continues exactly where a WebSocket starts.
            Outcome::Upgraded => {
                if ticket.open() {
                    Some(WebSocketStream::from_raw_socket(tcp, Role::Server, Some(config)).await)
                } else {
                    None
                }
            }
            Outcome::Http(head) => {
                http::serve(head, &mut tcp, Arc::clone(http), &ticket, cancelled).await;
                None
            }
            Outcome::Over => None,
            Outcome::AnswerNow(answer) => {
                answer_now(&tcp, &answer);
                None
            }
            Outcome::Answer(answer) => {
                tokio::select! {
                    biased;
                    _ = &mut cancelled => {}
                    () = ticket.shed.notified() => {}
                    () = answer_and_close(&mut tcp, &answer) => {}
                }
                None
            }
        }
    }
}

/// Where the first bytes of a connection lead.
enum Route {
    /// A WebSocket handshake, answered 101.
    Upgraded,
    /// A handshake followed by bytes tungstenite did not read.
    Junk,
    /// A POST: JSON-RPC over HTTP, with the bytes read so far.
    Http(Vec<u8>),
}

/// The first bytes of a connection, enough to hold its method (up to the first space, or 8
/// bytes); fewer when the client closed.
async fn read_method(tcp: &mut TcpStream) -> Result<Vec<u8>, WsError> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0_u8; 1024];
    // Bounded: every round reads at least one byte, until 8 are read or the client closed.
    while !head.contains(&b' ') && head.len() < 8 {
        let read = tcp.read(&mut chunk).await?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(chunk.get(..read).unwrap_or_default());
    }
    Ok(head)
}

/// The answer to a handshake tungstenite rejected, when it was an HTTP request worth one (or
/// not HTTP at all); `None` when the client is gone or was answered already.
fn refusal(err: &WsError, name: &str) -> Option<Vec<u8>> {
    let not_websocket = || {
        let body =
            format!("{name}: this is a WebSocket endpoint: connect with a WebSocket client (ws://…)\n");
        let headers =
            [("Upgrade", "websocket"), ("Connection", "Upgrade, close"), ("Sec-WebSocket-Version", "13")];
        answer(StatusCode::UPGRADE_REQUIRED, &headers, &body)
    };
    let bad = |why: &str| answer(StatusCode::BAD_REQUEST, &[], &format!("{name}: {why}\n"));
    Some(match err {
        WsError::Protocol(
            ProtocolError::MissingConnectionUpgradeHeader
            | ProtocolError::MissingUpgradeWebSocketHeader
            | ProtocolError::MissingSecWebSocketVersionHeader,
        ) => not_websocket(),
        WsError::Protocol(ProtocolError::WrongHttpMethod) => answer(
            StatusCode::METHOD_NOT_ALLOWED,
            &[("Allow", "GET, POST")],
            &format!("{name}: a WebSocket handshake is a GET request (JSON-RPC over HTTP is a POST)\n"),
        ),
        WsError::Protocol(ProtocolError::WrongHttpVersion) => bad("a WebSocket handshake needs HTTP/1.1"),
        WsError::Protocol(ProtocolError::MissingSecWebSocketKey | ProtocolError::InvalidSecWebSocketKey) => {
            bad("the Sec-WebSocket-Key header is missing or not 16 bytes in base64")
        }
        WsError::Protocol(ProtocolError::JunkAfterRequest) => bad("data followed the handshake request"),
        WsError::Protocol(ProtocolError::HttparseError(_) | ProtocolError::InvalidHeader(_))
        | WsError::HttpFormat(_)
        | WsError::Utf8(_)
        | WsError::Capacity(_)
        | WsError::AttackAttempt => bad("not an HTTP request"),
        // The client left before its request was whole, the socket failed, or the server's
        // callback refusal (400, 401, 503) was written by tungstenite already.
        _ => return None,
    })
}

/// The 503 of a connection dropped to make room for a newer handshake.
fn gate_busy(name: &str) -> Vec<u8> {
    answer(
        StatusCode::SERVICE_UNAVAILABLE,
        &[("Retry-After", RETRY_AFTER_SECONDS)],
        &format!("{name}: too many connections are opening at once; try again later\n"),
    )
}

/// The 408 of a client that did not send its request in time.
fn timed_out(name: &str) -> Vec<u8> {
    let seconds = HANDSHAKE_TIMEOUT.as_secs();
    answer(StatusCode::REQUEST_TIMEOUT, &[], &format!("{name}: no WebSocket handshake within {seconds} s\n"))
}

/// A complete HTTP/1.1 answer with a plain-text body, after which the server closes.
fn answer(status: StatusCode, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut text = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("connection")) {
        text.push_str("Connection: close\r\n");
    }
    for (name, value) in headers {
        text.push_str(name);
        text.push_str(": ");
        text.push_str(value);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.push_str(body);
    text.into_bytes()
}

/// Writes `answer` if the socket takes it at once, after reading what the client sent (so the
/// close is not a reset); never waits. For connections that are dropped to make room.
fn answer_now(tcp: &TcpStream, answer: &[u8]) {
    let mut sink = [0_u8; 4096];
    // Bounded: at most 16 reads.
    for _ in 0..16 {
        match tcp.try_read(&mut sink) {
            Ok(read) if read > 0 => {}
            _ => break,
        }
    }
    tcp.try_write(answer).ok();
}

/// Writes `answer`, closes the sending side and reads what the client still sends until it
/// closes, within [`CLOSE_TIMEOUT`] each.
async fn answer_and_close(tcp: &mut TcpStream, answer: &[u8]) {
    let written = timeout(CLOSE_TIMEOUT, async {
        tcp.write_all(answer).await?;
        tcp.shutdown().await
    })
    .await;
    if !matches!(written, Ok(Ok(()))) {
        return;
    }
    let mut sink = [0_u8; 4096];
    let mut drained = 0;
    timeout(CLOSE_TIMEOUT, async {
        // Bounded: ends at EOF, on an error, or after REFUSAL_DRAIN_BYTES.
        while drained < REFUSAL_DRAIN_BYTES {
            match tcp.read(&mut sink).await {
                Ok(read) if read > 0 => drained += read,
                _ => break,
            }
        }
    })
    .await
    .ok();
}

/// Sends a close frame and waits briefly for the client's reply.
pub(crate) async fn close(mut ws: Ws, code: CloseCode, reason: &'static str) {
    let frame = CloseFrame { code, reason: reason.into() };
    if timeout(CLOSE_TIMEOUT, ws.close(Some(frame))).await.is_err() {
        return;
    }
    // Read until the client's close reply ends the stream (bounded by the timeout).
    timeout(CLOSE_TIMEOUT, async { while let Some(Ok(_)) = ws.next().await {} }).await.ok();
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt as _;

    use super::*;

    fn states(unfinished: &Unfinished) -> Vec<u8> {
        unfinished.tickets.iter().map(|ticket| ticket.state()).collect()
    }

    #[test]
    fn at_the_cap_the_oldest_unfinished_handshake_makes_room() {
        let mut unfinished = Unfinished::new(3);
        let first = unfinished.admit();
        let second = unfinished.admit();
        let third = unfinished.admit();
        let fourth = unfinished.admit();
        assert_eq!(first.state(), Ticket::SHED);
        assert!(first.shed.notified().now_or_never().is_some(), "the dropped task is told");
        assert_eq!(states(&unfinished), [Ticket::HANDSHAKING; 3]);
        // A handshake whose request was accepted opens within a write: the next oldest goes.
        assert!(second.seat());
        let fifth = unfinished.admit();
        assert_eq!((second.state(), third.state()), (Ticket::SEATED, Ticket::SHED));
        assert!(!third.seat(), "a dropped handshake takes no seat");
        // Open connections and ended tasks no longer count.
        assert!(second.open());
        assert!(!fourth.end(), "its task ended without a seat");
        assert_eq!(fifth.state(), Ticket::HANDSHAKING);
        let _sixth = unfinished.admit();
        assert_eq!(states(&unfinished), [Ticket::HANDSHAKING, Ticket::HANDSHAKING]);
        assert!(!second.shed(), "an open connection is never dropped");
    }

    #[test]
    fn a_seat_is_held_from_acceptance_to_the_end_of_the_task() {
        let admission = Admission { max_connections: 1, ..Admission::new("test") };
        let gate = Arc::new(Gate { admission, open: AtomicUsize::new(0) });
        let request = Request::new(());
        let ticket = Arc::new(Ticket::new());
        assert!(gate.admit(&ticket, NoCallback, &request, Response::new(())).is_ok());
        assert!(ticket.open());
        let other = Ticket::new();
        let Err(refusal) = gate.admit(&other, NoCallback, &request, Response::new(())) else {
            panic!("a second seat was given")
        };
        assert_eq!(refusal.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refusal.headers()[header::RETRY_AFTER], RETRY_AFTER_SECONDS);
        let body = refusal.body().clone().unwrap_or_default();
        assert_eq!(refusal.headers()[header::CONTENT_LENGTH], body.len().to_string().as_str());
        assert_eq!(body, "test: the connection limit (1) is reached; try again later\n");
        drop(Leaving { ticket, gate: Arc::clone(&gate) });
        assert!(gate.admit(&other, NoCallback, &request, Response::new(())).is_ok(), "the seat came back");
    }

    #[test]
    fn answers_are_whole_http_responses() {
        let text = String::from_utf8(answer(StatusCode::METHOD_NOT_ALLOWED, &[("Allow", "GET")], "no\n"))
            .unwrap_or_default();
        assert_eq!(
            text,
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n\
             Connection: close\r\nAllow: GET\r\n\r\nno\n"
        );
        let upgrade = String::from_utf8(
            refusal(&WsError::Protocol(ProtocolError::MissingConnectionUpgradeHeader), "test")
                .unwrap_or_default(),
        )
        .unwrap_or_default();
        assert!(upgrade.starts_with("HTTP/1.1 426 Upgrade Required\r\n"), "{upgrade}");
        assert!(upgrade.contains("\r\nConnection: Upgrade, close\r\n"), "one Connection header: {upgrade}");
        assert!(!upgrade.contains("Connection: close"), "{upgrade}");
        assert!(refusal(&WsError::Protocol(ProtocolError::HandshakeIncomplete), "test").is_none());
        assert!(refusal(&WsError::ConnectionClosed, "test").is_none());
    }
}
