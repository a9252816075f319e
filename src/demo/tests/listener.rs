//! The listener under misuse (issue 21): silent sockets, too many clients, plain HTTP,
//! garbage, and the Basic auth a demo server can require. Answers are read off raw TCP
//! connections and their status lines parsed, as any HTTP client would.

use std::net::SocketAddr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::*;
use crate::loopback::HANDSHAKE_TIMEOUT;
use crate::redact::Secret;

/// A WebSocket handshake request for `path`, with `extra` header lines.
fn upgrade_request(path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}\r\n"
    )
}

/// Everything the server sends until it closes (or until a 101 answer's head is whole).
async fn read_answer(tcp: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut chunk = [0_u8; 4096];
    let read = timeout(STEP, async {
        // Bounded: ends at EOF, on an error, or once a 101's head is in.
        loop {
            match tcp.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => answer.extend_from_slice(&chunk[..read]),
            }
            if answer.starts_with(b"HTTP/1.1 101") && answer.windows(4).any(|w| w == b"\r\n\r\n") {
                return;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server neither answered nor closed");
    String::from_utf8_lossy(&answer).into_owned()
}

/// Sends `request` on a fresh connection and returns the answer.
async fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request).await.unwrap();
    read_answer(&mut tcp).await
}

/// The answer's status line.
fn status(answer: &str) -> &str {
    answer.lines().next().unwrap_or_default()
}

/// Whether the answer's head has this header line (names compared without case).
fn has_header(answer: &str, name: &str, value: &str) -> bool {
    let head = answer.split("\r\n\r\n").next().unwrap_or_default();
    head.lines().skip(1).any(|line| {
        line.split_once(':').is_some_and(|(n, v)| n.eq_ignore_ascii_case(name) && v.trim() == value)
    })
}

#[tokio::test]
async fn silent_sockets_do_not_keep_a_client_out() {
    let server = fast_server().await;
    let addr = server.addr();
    let mut silent = Vec::new();
    for _ in 0..300 {
        silent.push(TcpStream::connect(addr).await.unwrap());
    }
    let subscribed = timeout(Duration::from_secs(2), async {
        let mut ws = connect(&server).await;
        call(&mut ws, 1, "slotSubscribe", json!([])).await
    })
    .await;
    assert!(subscribed.is_ok_and(|id| id.is_u64()), "no subscription within 2 s behind 300 silent sockets");
    // The oldest was dropped to make room, with an answer saying why.
    let answer = read_answer(&mut silent[0]).await;
    assert_eq!(status(&answer), "HTTP/1.1 503 Service Unavailable", "{answer}");
    assert!(has_header(&answer, "Retry-After", "3"), "{answer}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_silent_socket_is_answered_408_at_the_handshake_deadline() {
    let server = fast_server().await;
    let mut tcp = TcpStream::connect(server.addr()).await.unwrap();
    let started = Instant::now();
    let answer = read_answer(&mut tcp).await;
    let waited = started.elapsed();
    assert_eq!(status(&answer), "HTTP/1.1 408 Request Timeout", "{answer}");
    assert!(waited >= HANDSHAKE_TIMEOUT - Duration::from_millis(100), "answered after {waited:?}");
    assert!(waited < HANDSHAKE_TIMEOUT + Duration::from_secs(2), "answered after {waited:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_beyond_the_connection_cap_is_answered_503_until_a_seat_frees() {
    let server = server_with(DemoConfig { speed: 100.0, max_connections: 1, ..DemoConfig::default() }).await;
    let mut first = connect(&server).await;
    call(&mut first, 1, "slotSubscribe", json!([])).await;
    let answer = exchange(server.addr(), upgrade_request("/", "").as_bytes()).await;
    assert_eq!(status(&answer), "HTTP/1.1 503 Service Unavailable", "{answer}");
    assert!(has_header(&answer, "Retry-After", "3"), "{answer}");
    assert!(answer.ends_with("the connection limit (1) is reached; try again later\n"), "{answer}");
    // tungstenite's client reads it as the HTTP answer it is.
    match tokio_tungstenite::connect_async(server.url()).await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 503),
        other => panic!("expected a 503, got {:?}", other.map(|_| "a connection")),
    }
    first.close(None).await.unwrap();
    drop(first);
    let deadline = Instant::now() + STEP;
    // Bounded by the deadline: the seat is given back once the first connection's task ends.
    loop {
        if let Ok((mut ws, _)) = tokio_tungstenite::connect_async(server.url()).await {
            call(&mut ws, 1, "slotSubscribe", json!([])).await;
            break;
        }
        assert!(Instant::now() < deadline, "the first connection's seat was never given back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.shutdown().await;
}

#[tokio::test]
async fn requests_that_are_not_websocket_handshakes_get_http_answers() {
    let server = fast_server().await;
    let addr = server.addr();

    let plain = exchange(addr, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await;
    assert_eq!(status(&plain), "HTTP/1.1 426 Upgrade Required", "{plain}");
    assert!(has_header(&plain, "Upgrade", "websocket"), "{plain}");
    assert!(plain.ends_with("connect with a WebSocket client (ws://…)\n"), "{plain}");

    let old_version = upgrade_request("/", "").replace("Version: 13", "Version: 8");
    let old_version = exchange(addr, old_version.as_bytes()).await;
    assert_eq!(status(&old_version), "HTTP/1.1 426 Upgrade Required", "{old_version}");
    assert!(has_header(&old_version, "Sec-WebSocket-Version", "13"), "{old_version}");

    // A POST is JSON-RPC over HTTP: without a JSON content type it is refused as geth does.
    let post = exchange(addr, b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello").await;
    assert_eq!(status(&post), "HTTP/1.1 415 Unsupported Media Type", "{post}");
    let put = exchange(addr, b"PUT / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello").await;
    assert_eq!(status(&put), "HTTP/1.1 405 Method Not Allowed", "{put}");
    assert!(has_header(&put, "Allow", "GET, POST"), "{put}");

    let no_key = upgrade_request("/", "").replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "");
    let no_key = exchange(addr, no_key.as_bytes()).await;
    assert_eq!(status(&no_key), "HTTP/1.1 400 Bad Request", "{no_key}");

    for garbage in [&b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"[..], b"hello\r\n\r\n"] {
        let answer = exchange(addr, garbage).await;
        assert_eq!(status(&answer), "HTTP/1.1 400 Bad Request", "{answer}");
        assert!(has_header(&answer, "Connection", "close"), "{answer}");
    }

    // A refusal of the demo's own (a bad fault query) is a whole answer too.
    let bad_query = exchange(addr, upgrade_request("/?delay_ms=abc", "").as_bytes()).await;
    assert_eq!(status(&bad_query), "HTTP/1.1 400 Bad Request", "{bad_query}");
    let body = bad_query.split("\r\n\r\n").nth(1).unwrap_or_default();
    assert!(has_header(&bad_query, "Content-Length", &body.len().to_string()), "{bad_query}");

    // And the listener still serves.
    let mut ws = connect(&server).await;
    call(&mut ws, 1, "slotSubscribe", json!([])).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_required_credential_is_checked_with_basic_auth() {
    let credential = "alice:s3cret@pa:ss";
    let server = server_with(DemoConfig {
        speed: 100.0,
        basic_auth: Some(Secret::new(credential)),
        ..DemoConfig::default()
    })
    .await;
    let addr = server.addr();
    let header = |pair: &str| format!("Authorization: Basic {}\r\n", STANDARD.encode(pair));

    let right = exchange(addr, upgrade_request("/", &header(credential)).as_bytes()).await;
    assert_eq!(status(&right), "HTTP/1.1 101 Switching Protocols", "{right}");

    for (extra, says) in [
        (String::new(), "needs a user name and password"),
        (header("alice:wrong-Pass-42"), "wrong user name or password"),
        ("Authorization: Bearer s3cret@pa:ss\r\n".to_owned(), "wrong user name or password"),
    ] {
        let answer = exchange(addr, upgrade_request("/", &extra).as_bytes()).await;
        assert_eq!(status(&answer), "HTTP/1.1 401 Unauthorized", "{answer}");
        assert!(has_header(&answer, "WWW-Authenticate", r#"Basic realm="subscope demo", charset="UTF-8""#));
        assert!(answer.contains(says), "{answer}");
        assert!(!answer.contains("wrong-Pass-42") && !answer.contains("s3cret"), "{answer}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_malformed_required_credential_is_refused_at_start() {
    let config = DemoConfig { basic_auth: Some(Secret::new("alice")), ..DemoConfig::default() };
    let Err(err) = DemoServer::start(config).await else {
        panic!("started without a colon in the credential")
    };
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("USER:PASS"), "{err}");
}
