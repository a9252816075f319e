//! Connection faults no real node produces on demand, from small servers on 127.0.0.1:
//! HTTP errors at the handshake, a silent server, a server that never answers pings, a
//! TLS handshake against a plain TCP port, handshake headers carrying the key, and a URL's
//! user info sent as Basic auth to a demo server that requires it.

#![expect(clippy::result_large_err, reason = "tungstenite's handshake callback type fixes the error type")]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use subscope::backend::{
    ConnError, ConnState, ConnectError, ConnectionConfig, Event, ReconnectPolicy, TlsProblem,
};
use subscope::demo::{DemoConfig, DemoServer};
use subscope::redact::Secret;
use support::Driver;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

async fn listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|err| panic!("bind: {err}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_else(|err| panic!("{err}"));
    (listener, port)
}

async fn closed_error(driver: &mut Driver, conn: u32) -> Option<ConnError> {
    driver
        .until("the connection to close", Duration::from_secs(10), |d| {
            d.events.iter().find_map(|e| match e {
                Event::State { conn: c, state: ConnState::Closed { reason } } if *c == conn => {
                    Some(reason.clone())
                }
                _ => None,
            })
        })
        .await
}

async fn closed_reason(driver: &mut Driver, conn: u32) -> String {
    closed_error(driver, conn).await.map(|reason| reason.to_string()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_error_at_the_handshake_is_reported_with_status_and_body() {
    let (listener, port) = listener().await;
    tokio::spawn(async move {
        if let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0u8; 2048];
            let _request_bytes = stream.read(&mut buf).await;
            let body = r#"{"error":"invalid api key"}"#;
            let reply = format!(
                "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(reply.as_bytes()).await.ok();
        }
    });
    let mut driver = Driver::new();
    let mut config = ConnectionConfig::new("helius", format!("ws://127.0.0.1:{port}/?api-key={{api_key}}"));
    config.api_key = Some(Secret::new("SECRET-401-KEY"));
    let conn = driver.connect_with(config);
    let reason = closed_reason(&mut driver, conn).await;
    assert!(reason.contains("HTTP 401 Unauthorized"), "{reason}");
    assert!(reason.contains("invalid api key"), "the body is shown: {reason}");
    assert!(!reason.contains("SECRET-401-KEY"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_body_that_echoes_a_pasted_key_does_not_show_it() {
    const PASTED: &str = "pasted0key0123456789abcdef";
    let (listener, port) = listener().await;
    tokio::spawn(async move {
        if let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0u8; 2048];
            let read = stream.read(&mut buf).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..read]);
            let body = format!("no such key in {}", request.lines().next().unwrap_or_default());
            let reply = format!(
                "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(reply.as_bytes()).await.ok();
        }
    });
    let mut driver = Driver::new();
    let conn = driver
        .connect_with(ConnectionConfig::new("pasted", format!("ws://127.0.0.1:{port}/?api-key={PASTED}")));
    let error = closed_error(&mut driver, conn).await;
    let Some(ConnError::Connect(error @ ConnectError::Http { status: 401, .. })) = error else {
        panic!("{error:?}")
    };
    let text = format!("{error} {error:?}");
    assert!(text.contains("no such key in GET /?api-key="), "the body is shown: {text}");
    assert!(!text.contains(PASTED), "{text}");
    assert!(error.hint().is_some_and(|hint| hint.contains("check the API key")), "{:?}", error.hint());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_nobody_listens_on_is_refused() {
    let (listener, port) = listener().await;
    drop(listener);
    let mut driver = Driver::new();
    let conn = driver.connect_with(ConnectionConfig::new("nobody", format!("ws://127.0.0.1:{port}")));
    assert_eq!(closed_error(&mut driver, conn).await, Some(ConnError::Connect(ConnectError::Refused)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_times_out_the_handshake() {
    let (listener, port) = listener().await;
    tokio::spawn(async move {
        let _held = listener.accept().await; // accept, then say nothing
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let mut driver = Driver::new();
    let mut config = ConnectionConfig::new("silent", format!("ws://127.0.0.1:{port}"));
    config.connect_timeout = Duration::from_millis(400);
    let conn = driver.connect_with(config);
    let reason = closed_reason(&mut driver, conn).await;
    assert!(reason.contains("no answer within 0.4 s"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_pong_counts_as_a_lost_connection_and_reconnects() {
    let (listener, port) = listener().await;
    let accepted = Arc::new(Mutex::new(0u32));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            *counter.lock().unwrap_or_else(|e| e.into_inner()) += 1;
            tokio::spawn(async move {
                // Complete the handshake, then never read again: pings go unanswered.
                let _ws = tokio_tungstenite::accept_async(stream).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    let mut driver = Driver::new();
    let mut config = ConnectionConfig::new("deaf", format!("ws://127.0.0.1:{port}"));
    config.ping_interval = Duration::from_millis(200);
    config.pong_timeout = Duration::from_millis(300);
    config.reconnect = ReconnectPolicy {
        enabled: true,
        initial: Duration::from_millis(50),
        max: Duration::from_millis(200),
    };
    let conn = driver.connect_with(config);
    let reason = driver
        .until("a pong timeout", Duration::from_secs(10), |d| {
            d.events.iter().find_map(|e| match e {
                Event::State { conn: c, state: ConnState::Reconnecting { reason, .. } } if *c == conn => {
                    Some(reason.to_string())
                }
                _ => None,
            })
        })
        .await;
    assert!(reason.contains("no pong within 0.3 s"), "{reason}");
    driver
        .until("a second connection", Duration::from_secs(10), |_| {
            (*accepted.lock().unwrap_or_else(|e| e.into_inner()) >= 2).then_some(())
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_against_a_plain_port_fails_clearly() {
    let (listener, port) = listener().await;
    tokio::spawn(async move {
        if let Ok((mut stream, _)) = listener.accept().await {
            stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\nthis is not TLS").await.ok();
        }
    });
    let mut driver = Driver::new();
    let conn = driver.connect_with(ConnectionConfig::new("tls", format!("wss://127.0.0.1:{port}")));
    let reason = closed_reason(&mut driver, conn).await;
    assert!(!reason.is_empty());
    assert!(
        reason.to_lowercase().contains("tls")
            || reason.to_lowercase().contains("certificate")
            || reason.contains("corrupt"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_reported_as_a_certificate_error() {
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .unwrap_or_else(|err| panic!("{err}"));
    let cert = CertificateDer::from(generated.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(generated.signing_key.serialize_der()));
    let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let server_config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(vec![cert], key))
        .unwrap_or_else(|err| panic!("{err}"));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
    let (listener, port) = listener().await;
    tokio::spawn(async move {
        if let Ok((stream, _)) = listener.accept().await {
            let _handshake = acceptor.accept(stream).await; // the client gives up on the certificate
        }
    });
    let mut driver = Driver::new();
    let conn = driver.connect_with(ConnectionConfig::new("self-signed", format!("wss://localhost:{port}")));
    let reason = closed_reason(&mut driver, conn).await;
    assert!(reason.starts_with("certificate error") || reason.contains("certificate"), "{reason}");
    assert!(reason.contains("UnknownIssuer"), "the reason names the problem: {reason}");
    let error = closed_error(&mut driver, conn).await;
    let problem = match &error {
        Some(ConnError::Connect(ConnectError::Tls { problem, .. })) => Some(*problem),
        _ => None,
    };
    assert_eq!(problem, Some(TlsProblem::UnknownIssuer), "classified by type: {error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_headers_carry_the_placed_key() {
    let (listener, port) = listener().await;
    let seen = Arc::new(Mutex::new(None::<String>));
    let store = Arc::clone(&seen);
    tokio::spawn(async move {
        if let Ok((stream, _)) = listener.accept().await {
            let callback = move |request: &Request, response: Response| {
                let value =
                    request.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
                *store.lock().unwrap_or_else(|e| e.into_inner()) = value;
                Ok(response)
            };
            let _ws = tokio_tungstenite::accept_hdr_async(stream, callback).await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    });
    let mut driver = Driver::new();
    let mut config = ConnectionConfig::new("headers", format!("ws://127.0.0.1:{port}"));
    config.api_key = Some(Secret::new("hdr-secret"));
    config.headers = vec![("Authorization".into(), "Bearer {api_key}".into())];
    let conn = driver.connect_with(config);
    driver.open(conn).await;
    assert_eq!(seen.lock().unwrap_or_else(|e| e.into_inner()).as_deref(), Some("Bearer hdr-secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_that_needs_a_key_is_refused_without_one() {
    let mut driver = Driver::new();
    let conn =
        driver.connect_with(ConnectionConfig::new("alchemy", "wss://eth-mainnet.g.alchemy.com/v2/{api_key}"));
    let reason = closed_reason(&mut driver, conn).await;
    assert_eq!(reason, "this endpoint needs an API key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_now_reconnects_at_once_instead_of_waiting_out_the_backoff() {
    // A server that accepts WebSocket connections and drops the first one right away.
    let (listener, port) = listener().await;
    let accepted = Arc::new(Mutex::new(0u32));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let first = {
                let mut count = counter.lock().unwrap_or_else(|e| e.into_inner());
                *count += 1;
                *count == 1
            };
            tokio::spawn(async move {
                let Ok(socket) = tokio_tungstenite::accept_async(stream).await else { return };
                if first {
                    drop(socket);
                } else {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    drop(socket);
                }
            });
        }
    });
    let mut driver = Driver::new();
    let mut config = ConnectionConfig::new("restarting node", format!("ws://127.0.0.1:{port}"));
    // A backoff long enough that only Retry now can bring it back within the test.
    config.reconnect =
        ReconnectPolicy { enabled: true, initial: Duration::from_secs(120), max: Duration::from_secs(120) };
    let conn = driver.connect_with(config);
    driver
        .until("the drop", Duration::from_secs(10), |d| {
            d.events
                .iter()
                .any(|e| matches!(e, Event::State { conn: c, state: ConnState::Reconnecting { .. } } if *c == conn))
                .then_some(())
        })
        .await;
    driver.events.clear();
    driver.backend.send(subscope::backend::Command::RetryNow { conn }).unwrap_or_else(|err| panic!("{err}"));
    driver
        .until("the connection to reopen", Duration::from_secs(10), |d| {
            d.events
                .iter()
                .any(|e| matches!(e, Event::State { conn: c, state: ConnState::Open } if *c == conn))
                .then_some(())
        })
        .await;
    assert_eq!(*accepted.lock().unwrap_or_else(|e| e.into_inner()), 2);
}

/// The password a demo server below requires of `alice`: with `@` and `:` in it, written
/// percent-encoded in URLs as RFC 3986 asks.
const DEMO_PASSWORD: &str = "s3cret@pa:ss";
const DEMO_PASSWORD_IN_URL: &str = "s3cret%40pa%3Ass";

/// A demo server that requires `alice:DEMO_PASSWORD` as HTTP Basic auth.
async fn demo_with_basic_auth() -> DemoServer {
    let config = DemoConfig {
        speed: 20.0,
        basic_auth: Some(Secret::new(format!("alice:{DEMO_PASSWORD}"))),
        ..DemoConfig::default()
    };
    DemoServer::start(config).await.unwrap_or_else(|err| panic!("{err}"))
}

/// Everything the driver saw, as text: events and captured frames.
fn everything_reported(driver: &Driver) -> String {
    let events = driver.events.iter().map(|event| format!("{event:?}"));
    let frames = driver.captured.iter().map(|frame| frame.raw.to_string());
    events.chain(frames).collect::<Vec<_>>().join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_info_in_the_url_is_sent_as_basic_auth_to_the_demo_server() {
    let server = demo_with_basic_auth().await;
    let mut driver = Driver::new();
    let config =
        ConnectionConfig::new("basic", format!("ws://alice:{DEMO_PASSWORD_IN_URL}@{}/", server.addr()));
    assert_eq!(config.display_url(), format!("ws://***@{}/", server.addr()), "still masked");
    let conn = driver.connect_with(config);
    let sub = driver.subscribe(conn, "slotSubscribe", None);
    driver.active(sub).await;
    let reported = everything_reported(&driver);
    assert!(!reported.contains(DEMO_PASSWORD) && !reported.contains(DEMO_PASSWORD_IN_URL), "{reported}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_missing_credential_is_a_clear_401_that_does_not_show_it() {
    const WRONG: &str = "wrong-Pass-42";
    let server = demo_with_basic_auth().await;
    let addr = server.addr();
    for (url, says) in [
        (format!("ws://alice:{WRONG}@{addr}/"), "wrong user name or password"),
        (format!("ws://{addr}/"), "needs a user name and password"),
    ] {
        let mut driver = Driver::new();
        let conn = driver.connect(&url);
        let error = closed_error(&mut driver, conn).await;
        let Some(ConnError::Connect(error @ ConnectError::Http { status: 401, .. })) = error else {
            panic!("{url}: {error:?}")
        };
        let text = format!("{error} {error:?}");
        assert!(text.contains("HTTP 401 Unauthorized") && text.contains(says), "{text}");
        assert!(error.hint().is_some_and(|hint| hint.contains("password")), "{:?}", error.hint());
        let token = STANDARD.encode(format!("alice:{WRONG}"));
        let reported = everything_reported(&driver);
        assert!(!reported.contains(WRONG) && !reported.contains(&token), "{reported}");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorization_header_set_by_the_user_wins_over_the_url() {
    let server = demo_with_basic_auth().await;
    let mut driver = Driver::new();
    let mut config = ConnectionConfig::new("basic", format!("ws://bob:nope@{}/", server.addr()));
    let token = STANDARD.encode(format!("alice:{DEMO_PASSWORD}"));
    config.headers = vec![("Authorization".into(), format!("Basic {token}"))];
    let conn = driver.connect_with(config);
    let sub = driver.subscribe(conn, "slotSubscribe", None);
    driver.active(sub).await;
    server.shutdown().await;
}
