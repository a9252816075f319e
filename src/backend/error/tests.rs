//! Classification from the error values tungstenite and tokio-rustls produce, the sentences
//! users see, and scrubbing.

use rustls::CertificateError;
use rustls::pki_types::{ServerName, UnixTime};
use tokio_tungstenite::tungstenite::http::Response;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::*;
use crate::redact::Secret;

const KEY: &str = "k3yS3cr3t0123456789abcdefXYZ";

fn secrets() -> Secrets {
    let mut secrets = Secrets::default();
    secrets.add_key(&Secret::new(KEY));
    secrets
}

/// A handshake error as tokio-tungstenite returns it with rustls: tokio-rustls wraps the
/// rustls error in an `io::Error` of kind `InvalidData`, tungstenite in `Error::Io`.
fn wrapped(err: rustls::Error) -> tungstenite::Error {
    tungstenite::Error::Io(io::Error::new(io::ErrorKind::InvalidData, err))
}

fn certificate(err: CertificateError) -> ConnectError {
    ConnectError::from_handshake(wrapped(rustls::Error::InvalidCertificate(err)), &Secrets::default())
}

fn http(status: u16, body: &str) -> tungstenite::Error {
    let mut response = Response::new(Some(body.as_bytes().to_vec()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or_else(|err| panic!("{err}"));
    tungstenite::Error::Http(Box::new(response))
}

fn problem(err: &ConnectError) -> Option<TlsProblem> {
    match err {
        ConnectError::Tls { problem, .. } => Some(*problem),
        _ => None,
    }
}

#[test]
fn an_unknown_issuer_is_a_named_certificate_error_with_a_hint() {
    let err = certificate(CertificateError::UnknownIssuer);
    assert_eq!(problem(&err), Some(TlsProblem::UnknownIssuer));
    let text = err.to_string();
    assert!(text.starts_with("certificate error") && text.contains("UnknownIssuer"), "{text}");
    assert!(err.hint().is_some_and(|hint| hint.contains("not trusted")), "{:?}", err.hint());
}

#[test]
fn certificate_problems_are_told_apart_by_type() {
    let now = UnixTime::since_unix_epoch(Duration::from_secs(1_800_000_000));
    let then = UnixTime::since_unix_epoch(Duration::from_secs(1_700_000_000));
    let name = ServerName::try_from("node.example.com").unwrap_or_else(|err| panic!("{err}"));
    let cases = [
        (CertificateError::Expired, TlsProblem::Expired),
        (CertificateError::ExpiredContext { time: now, not_after: then }, TlsProblem::Expired),
        (CertificateError::NotValidYet, TlsProblem::NotValidYet),
        (CertificateError::NotValidYetContext { time: then, not_before: now }, TlsProblem::NotValidYet),
        (CertificateError::NotValidForName, TlsProblem::NameMismatch),
        (
            CertificateError::NotValidForNameContext {
                expected: name,
                presented: vec!["DnsName(\"other.example.com\")".into()],
            },
            TlsProblem::NameMismatch,
        ),
        (CertificateError::Revoked, TlsProblem::Revoked),
        (CertificateError::BadSignature, TlsProblem::OtherCertificate),
    ];
    for (cert, expected) in cases {
        let err = certificate(cert);
        assert_eq!(problem(&err), Some(expected), "{err}");
        assert!(err.to_string().starts_with("certificate error: "), "{err}");
        assert!(err.hint().is_some(), "{err}");
    }
    let name = certificate(CertificateError::NotValidForName);
    assert!(name.hint().is_some_and(|hint| hint.contains("host name")));
}

#[test]
fn a_rustls_error_reported_as_tungstenite_tls_is_classified_the_same() {
    let err = tungstenite::Error::Tls(TlsError::Rustls(Box::new(rustls::Error::InvalidCertificate(
        CertificateError::UnknownIssuer,
    ))));
    let err = ConnectError::from_handshake(err, &Secrets::default());
    assert_eq!(problem(&err), Some(TlsProblem::UnknownIssuer));
}

#[test]
fn a_rustls_error_deeper_in_the_source_chain_is_found() {
    #[derive(Debug)]
    struct Outer(rustls::Error);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("handshake failed")
        }
    }
    impl StdError for Outer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }
    let inner = rustls::Error::InvalidCertificate(CertificateError::Expired);
    let err = io::Error::other(Outer(inner));
    assert_eq!(problem(&ConnectError::from_io(&err)), Some(TlsProblem::Expired));
}

#[test]
fn a_port_that_does_not_speak_tls_is_a_tls_error_not_a_certificate_one() {
    let err = wrapped(rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType));
    let err = ConnectError::from_handshake(err, &Secrets::default());
    assert_eq!(problem(&err), Some(TlsProblem::Handshake));
    assert!(err.to_string().starts_with("TLS error: received corrupt message"), "{err}");
    assert!(err.hint().is_some_and(|hint| hint.contains("ws://")));
}

#[test]
fn text_that_mentions_a_certificate_is_not_classified_as_tls() {
    let err = io::Error::other("the certificate of this story is UnknownIssuer");
    let err = ConnectError::from_handshake(tungstenite::Error::Io(err), &Secrets::default());
    assert!(matches!(err, ConnectError::Io(_)), "{err:?}");
}

#[test]
fn io_errors_are_classified_by_kind() {
    let refused = ConnectError::from_io(&io::Error::from(io::ErrorKind::ConnectionRefused));
    assert_eq!(refused, ConnectError::Refused);
    assert!(refused.to_string().contains("refused"));
    assert!(refused.hint().is_some_and(|hint| hint.contains("port")));
    let explained = ConnError::from(refused).with_hint();
    assert_eq!(explained, "connection refused\nhint: is the node running, and are the host and port right?");
    assert_eq!(ConnError::from(LostReason::Reset).with_hint(), LostReason::Reset.to_string());
    for kind in [io::ErrorKind::HostUnreachable, io::ErrorKind::NetworkUnreachable] {
        let err = ConnectError::from_io(&io::Error::from(kind));
        assert!(matches!(err, ConnectError::Unreachable(_)), "{err:?}");
        assert!(err.to_string().starts_with("the host is unreachable"), "{err}");
    }
    let reset = ConnectError::from_io(&io::Error::new(io::ErrorKind::ConnectionReset, "reset by peer"));
    assert_eq!(reset, ConnectError::Io("reset by peer".into()));
    assert_eq!(reset.to_string(), "IO error: reset by peer");
}

#[test]
fn an_http_answer_shows_status_reason_and_body_with_a_hint_by_status() {
    let err = ConnectError::from_handshake(http(401, r#"{"error":"invalid api key"}"#), &secrets());
    assert_eq!(
        err,
        ConnectError::Http {
            status: 401,
            reason: "Unauthorized".into(),
            body: r#"{"error":"invalid api key"}"#.into()
        }
    );
    assert_eq!(err.to_string(), r#"HTTP 401 Unauthorized at the handshake: {"error":"invalid api key"}"#);
    assert!(err.hint().is_some_and(|hint| hint.contains("check the API key")));
    let forbidden = ConnectError::from_handshake(http(403, ""), &secrets());
    assert_eq!(forbidden.to_string(), "HTTP 403 Forbidden at the handshake");
    assert_eq!(forbidden.hint(), err.hint());
    let plain = ConnectError::from_handshake(http(200, "<html>hello</html>"), &secrets());
    assert!(plain.hint().is_some_and(|hint| hint.contains("not a WebSocket")));
    let odd = ConnectError::from_handshake(http(599, ""), &secrets());
    assert_eq!(odd.to_string(), "HTTP 599 at the handshake");
    assert_eq!(ConnectError::from_handshake(http(418, ""), &secrets()).hint(), None);
}

#[test]
fn an_http_body_is_scrubbed_before_it_is_cut_and_its_whitespace_collapsed() {
    // The key straddles the cut: cutting first would leave its first half in the message.
    let body = format!("<html>\n  {}{KEY} and more text after it</html>", "x".repeat(MAX_BODY - 15));
    let err = ConnectError::from_handshake(http(401, &body), &secrets());
    let text = err.to_string();
    assert!(!text.contains(&KEY[..8]), "a piece of the key survived: {text}");
    assert!(text.contains("<html> xxx"), "whitespace collapsed: {text}");
    let ConnectError::Http { body, .. } = &err else { panic!("{err:?}") };
    assert!(body.len() <= MAX_BODY + '…'.len_utf8(), "{}", body.len());
    assert!(body.ends_with('…'), "{body}");
}

#[test]
fn a_long_multibyte_body_is_cut_at_a_character_boundary() {
    let err = ConnectError::from_handshake(http(500, &"é".repeat(400)), &Secrets::default());
    let ConnectError::Http { body, .. } = &err else { panic!("{err:?}") };
    assert!(body.ends_with("é…"), "{body}");
    assert!(err.hint().is_some_and(|hint| hint.contains("try again later")));
}

#[test]
fn handshake_protocol_and_url_errors_keep_tungstenites_words() {
    let err = tungstenite::Error::Protocol(ProtocolError::HandshakeIncomplete);
    let err = ConnectError::from_handshake(err, &Secrets::default());
    assert_eq!(err, ConnectError::Protocol("Handshake not finished".into()));
    assert_eq!(err.to_string(), "WebSocket protocol error: Handshake not finished");
    let err = tungstenite::Error::Url(tungstenite::error::UrlError::UnsupportedUrlScheme);
    let err = ConnectError::from_handshake(err, &Secrets::default());
    assert_eq!(err.to_string(), "bad URL: URL scheme not supported");
    let err = ConnectError::from_handshake(tungstenite::Error::Tls(TlsError::InvalidDnsName), &secrets());
    assert!(matches!(err, ConnectError::Url(_)), "{err:?}");
}

#[test]
fn the_sentences_users_see() {
    assert_eq!(ConnectError::NeedsKey.to_string(), "this endpoint needs an API key");
    let timeout = ConnectError::Timeout { after: Duration::from_millis(400) };
    assert_eq!(timeout.to_string(), "no answer within 0.4 s");
    let lost = LostReason::NoPong { timeout: Duration::from_millis(300) };
    assert_eq!(lost.to_string(), "no pong within 0.3 s of a ping, and nothing else received");
    assert_eq!(ConnError::from(lost.clone()).to_string(), lost.to_string(), "the wrapper adds nothing");
    assert_eq!(ConnError::from(ConnectError::Refused).hint(), ConnectError::Refused.hint());
}

#[test]
fn a_close_frame_gives_its_code_and_reason() {
    let frame = CloseFrame { code: CloseCode::Error, reason: "node restarting".into() };
    let reason = LostReason::close_frame(Some(&frame));
    assert_eq!(reason, LostReason::Closed { code: Some(1011), reason: "node restarting".into() });
    assert_eq!(reason.to_string(), "the server closed the connection (1011: node restarting)");
    let frame = CloseFrame { code: CloseCode::Away, reason: "".into() };
    assert_eq!(LostReason::close_frame(Some(&frame)).to_string(), "the server closed the connection (1001)");
    assert_eq!(LostReason::close_frame(None).to_string(), "the server closed the connection");
    let policy = CloseFrame { code: CloseCode::Policy, reason: "too many subscriptions".into() };
    assert!(LostReason::close_frame(Some(&policy)).hint().is_some_and(|hint| hint.contains("limit")));
}

#[test]
fn socket_errors_of_an_open_connection_are_classified() {
    let reset = tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake);
    assert_eq!(LostReason::from_socket(&reset), LostReason::Reset);
    assert!(LostReason::Reset.to_string().contains("without a close frame"));
    let big = tungstenite::Error::Capacity(CapacityError::MessageTooLong { size: 300, max_size: 256 });
    let big = LostReason::from_socket(&big);
    assert_eq!(big, LostReason::TooLarge { size: 300, max: 256 });
    assert_eq!(big.to_string(), "frame too large: 300 bytes, the limit is 256");
    assert_eq!(LostReason::from_socket(&tungstenite::Error::ConnectionClosed), LostReason::Ended);
    let io = tungstenite::Error::Io(io::Error::new(io::ErrorKind::BrokenPipe, "broken pipe"));
    assert_eq!(LostReason::from_socket(&io), LostReason::Socket("IO error: broken pipe".into()));
}

/// Every variant, with the key in each text member it has. The match below has no wildcard:
/// a new variant does not compile until it is added here.
fn every_error() -> Vec<ConnError> {
    let with_key = || format!("echo {KEY} and wss://n.example.com/?api-key={KEY}");
    let errors: Vec<ConnError> = vec![
        ConnectError::NeedsKey.into(),
        ConnectError::Url(with_key()).into(),
        ConnectError::Header { name: with_key(), problem: with_key() }.into(),
        ConnectError::Dns(with_key()).into(),
        ConnectError::Unreachable(with_key()).into(),
        ConnectError::Refused.into(),
        ConnectError::Timeout { after: Duration::from_secs(1) }.into(),
        ConnectError::Tls { problem: TlsProblem::NameMismatch, detail: with_key() }.into(),
        ConnectError::Http { status: 401, reason: with_key(), body: with_key() }.into(),
        ConnectError::Protocol(with_key()).into(),
        ConnectError::Io(with_key()).into(),
        LostReason::Closed { code: Some(4000), reason: with_key() }.into(),
        LostReason::Ended.into(),
        LostReason::Reset.into(),
        LostReason::NoPong { timeout: Duration::from_secs(1) }.into(),
        LostReason::TooLarge { size: 2, max: 1 }.into(),
        LostReason::Socket(with_key()).into(),
    ];
    for error in &errors {
        match error {
            ConnError::Connect(
                ConnectError::NeedsKey
                | ConnectError::Url(_)
                | ConnectError::Header { .. }
                | ConnectError::Dns(_)
                | ConnectError::Unreachable(_)
                | ConnectError::Refused
                | ConnectError::Timeout { .. }
                | ConnectError::Tls { .. }
                | ConnectError::Http { .. }
                | ConnectError::Protocol(_)
                | ConnectError::Io(_),
            )
            | ConnError::Lost(
                LostReason::Closed { .. }
                | LostReason::Ended
                | LostReason::Reset
                | LostReason::NoPong { .. }
                | LostReason::TooLarge { .. }
                | LostReason::Socket(_),
            ) => {}
        }
    }
    errors
}

#[test]
fn no_key_survives_in_any_variants_display_once_scrubbed() {
    for error in every_error() {
        let scrubbed = error.scrubbed(&secrets());
        let text = format!("{scrubbed} {scrubbed:?} {}", scrubbed.hint().unwrap_or_default());
        assert!(!text.contains(KEY), "{text}");
    }
}

#[test]
fn a_pasted_key_is_scrubbed_from_an_http_body_that_echoes_the_request() {
    let url = format!("wss://mainnet.example-rpc.com/?api-key={KEY}");
    let body = format!("GET /?api-key={KEY} HTTP/1.1 is not allowed for key {KEY}");
    let err = ConnectError::from_handshake(http(401, &body), &Secrets::from_url(&url));
    let text = err.to_string();
    assert!(!text.contains(KEY), "{text}");
    assert!(text.contains("HTTP 401 Unauthorized") && text.contains("is not allowed"), "{text}");
}
