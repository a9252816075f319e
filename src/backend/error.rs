//! Why a connection could not be opened ([`ConnectError`]), why an open one was lost
//! ([`LostReason`]), and [`ConnError`], which is either, as [`super::ConnState`] carries it.
//!
//! Typed, so the UI and `record` can tell a wrong key from an untrusted certificate from a
//! node that is not running, and say what to do ([`ConnError::hint`]). Their `Display` is the
//! sentence a user sees. Every text member that came from outside (an HTTP body, a close
//! reason, an OS or TLS message) is scrubbed of the connection's secrets before the value
//! leaves the connection's actor ([`ConnError::scrubbed`]); an HTTP body is scrubbed before
//! it is cut short, so no part of a key survives the cut.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::time::Duration;

use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError, TlsError};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self};

use crate::redact::Secrets;

/// The most of an HTTP error body shown, in bytes (after scrubbing).
const MAX_BODY: usize = 300;

/// The most of an HTTP error body read at all: far more than is shown, so a key that
/// straddles this cut is still cut off whole by [`MAX_BODY`].
const MAX_BODY_READ: usize = 64 << 10;

/// What went wrong in the TLS handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsProblem {
    /// The certificate chain does not lead to an authority this machine trusts (self-signed,
    /// or issued by a private authority).
    UnknownIssuer,
    /// The certificate has expired.
    Expired,
    /// The certificate is not valid yet (often this machine's clock is wrong).
    NotValidYet,
    /// The certificate is for other host names than the URL's.
    NameMismatch,
    /// The certificate has been revoked.
    Revoked,
    /// Another problem with the certificate (bad signature, encoding, purpose…).
    OtherCertificate,
    /// Not about the certificate: the handshake itself failed (a port that does not speak
    /// TLS, an alert from the server, no common protocol version).
    Handshake,
}

impl TlsProblem {
    /// Whether the server's certificate was rejected (as opposed to the handshake failing).
    pub fn is_certificate(self) -> bool {
        !matches!(self, Self::Handshake)
    }

    /// Classifies rustls' error by its type, never by its text.
    fn of(err: &rustls::Error) -> Self {
        use rustls::CertificateError as Cert;
        match err {
            rustls::Error::InvalidCertificate(cert) => match cert {
                Cert::UnknownIssuer => Self::UnknownIssuer,
                Cert::Expired | Cert::ExpiredContext { .. } => Self::Expired,
                Cert::NotValidYet | Cert::NotValidYetContext { .. } => Self::NotValidYet,
                Cert::NotValidForName | Cert::NotValidForNameContext { .. } => Self::NameMismatch,
                Cert::Revoked => Self::Revoked,
                _ => Self::OtherCertificate,
            },
            _ => Self::Handshake,
        }
    }
}

/// Why a connection could not be opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectError {
    /// The URL has an `{api_key}` placeholder and no key was given.
    NeedsKey,
    /// The URL cannot be used (no host, not `ws://` or `wss://`, not a URL).
    Url(String),
    /// A handshake header from the configuration cannot be sent.
    Header {
        /// The header's name, as configured.
        name: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The host name could not be resolved.
    Dns(String),
    /// The host or its network cannot be reached.
    Unreachable(String),
    /// Nothing accepts connections at that host and port.
    Refused,
    /// The TCP + TLS + WebSocket handshake took longer than the connect timeout.
    Timeout {
        /// The connect timeout.
        after: Duration,
    },
    /// The TLS handshake failed; certificate problems are named.
    Tls {
        /// What went wrong.
        problem: TlsProblem,
        /// rustls' description.
        detail: String,
    },
    /// The server answered the WebSocket handshake with an HTTP status other than 101.
    Http {
        /// The status code, e.g. 401.
        status: u16,
        /// Its canonical reason phrase, e.g. "Unauthorized" (empty if unknown).
        reason: String,
        /// The start of the response body, scrubbed of secrets, whitespace collapsed.
        body: String,
    },
    /// The server's answer was not a valid WebSocket handshake.
    Protocol(String),
    /// Any other I/O error.
    Io(String),
}

impl ConnectError {
    /// Classifies an error of the TLS and WebSocket handshake, scrubbed of `secrets`.
    pub(super) fn from_handshake(err: tungstenite::Error, secrets: &Secrets) -> Self {
        let error = match err {
            tungstenite::Error::Http(response) => {
                Self::http(response.status(), response.body().as_deref().unwrap_or_default(), secrets)
            }
            tungstenite::Error::Url(err) => Self::Url(err.to_string()),
            tungstenite::Error::Tls(TlsError::Rustls(err)) => Self::tls(&err),
            tungstenite::Error::Tls(TlsError::InvalidDnsName) => {
                Self::Url("the host is not a valid DNS name".to_owned())
            }
            tungstenite::Error::Tls(err) => {
                Self::Tls { problem: TlsProblem::Handshake, detail: err.to_string() }
            }
            tungstenite::Error::Io(err) => Self::from_io(&err),
            tungstenite::Error::Protocol(err) => Self::Protocol(err.to_string()),
            other => Self::Protocol(other.to_string()),
        };
        error.scrubbed(secrets)
    }

    /// Classifies an I/O error of connecting: a TLS error that tokio-rustls wrapped (found by
    /// its type), a refused or unreachable host (by the error's kind), or the rest.
    pub(super) fn from_io(err: &io::Error) -> Self {
        if let Some(tls) = rustls_error(err) {
            return Self::tls(tls);
        }
        match err.kind() {
            io::ErrorKind::ConnectionRefused => Self::Refused,
            io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                Self::Unreachable(err.to_string())
            }
            _ => Self::Io(err.to_string()),
        }
    }

    fn tls(err: &rustls::Error) -> Self {
        Self::Tls { problem: TlsProblem::of(err), detail: err.to_string() }
    }

    /// An HTTP answer to the handshake: the body is scrubbed first, then cut short.
    fn http(status: StatusCode, body: &[u8], secrets: &Secrets) -> Self {
        let body = String::from_utf8_lossy(&body[..body.len().min(MAX_BODY_READ)]);
        let body = secrets.scrub(&body);
        let body = body.split_whitespace().collect::<Vec<_>>().join(" ");
        Self::Http {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or_default().to_owned(),
            body: cut(body, MAX_BODY),
        }
    }

    /// What the user can do about it, when there is something specific.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            Self::NeedsKey => "enter the API key for this endpoint",
            Self::Url(_) => "check the URL: it must start with ws:// or wss:// and name a host",
            Self::Header { .. } => "check the handshake headers of this endpoint",
            Self::Dns(_) => "check the host name in the URL, and the network connection",
            Self::Unreachable(_) => "check the network connection",
            Self::Refused => "is the node running, and are the host and port right?",
            Self::Timeout { .. } => "check the host and port, or whether a firewall or proxy is in the way",
            Self::Tls { problem, .. } => match problem {
                TlsProblem::UnknownIssuer => {
                    "the server's certificate is not trusted: it is self-signed or from a private authority"
                }
                TlsProblem::Expired => "the server's certificate has expired: its operator must renew it",
                TlsProblem::NotValidYet => {
                    "the server's certificate is not valid yet: check this machine's clock"
                }
                TlsProblem::NameMismatch => {
                    "the server's certificate is for another host name: check the host in the URL"
                }
                TlsProblem::Revoked => "the server's certificate has been revoked",
                TlsProblem::OtherCertificate => "the server's certificate was rejected",
                TlsProblem::Handshake => {
                    "this port may not speak TLS: check the port, or use ws:// instead of wss://"
                }
            },
            Self::Http { status, .. } => match status {
                401 | 403 => {
                    "check the API key, or the user name and password in the URL \
                     (and that the plan allows WebSocket access)"
                }
                404 => "check the URL's path: the WebSocket endpoint may differ from the HTTP one",
                429 => "the provider is rate limiting: wait a little, or use a plan with higher limits",
                200..=299 => "this URL is a plain HTTP endpoint, not a WebSocket one: check the URL",
                500..=599 => "the server is having trouble: try again later",
                _ => return None,
            },
            Self::Protocol(_) => "the server did not answer as a WebSocket server: check the URL and port",
            Self::Io(_) => return None,
        })
    }

    /// The same error with `secrets` scrubbed from every text member.
    pub fn scrubbed(mut self, secrets: &Secrets) -> Self {
        match &mut self {
            Self::Url(text)
            | Self::Dns(text)
            | Self::Unreachable(text)
            | Self::Protocol(text)
            | Self::Io(text) => {
                scrub(text, secrets);
            }
            Self::Header { name, problem } => {
                scrub(name, secrets);
                scrub(problem, secrets);
            }
            Self::Tls { detail, .. } => scrub(detail, secrets),
            Self::Http { reason, body, .. } => {
                scrub(reason, secrets);
                scrub(body, secrets);
            }
            Self::NeedsKey | Self::Refused | Self::Timeout { .. } => {}
        }
        self
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NeedsKey => f.write_str("this endpoint needs an API key"),
            Self::Url(detail) => write!(f, "bad URL: {detail}"),
            Self::Header { name, problem } => write!(f, "bad header {name:?}: {problem}"),
            Self::Dns(detail) => write!(f, "could not resolve the host name: {detail}"),
            Self::Unreachable(detail) => write!(f, "the host is unreachable: {detail}"),
            Self::Refused => f.write_str("connection refused"),
            Self::Timeout { after } => write!(f, "no answer within {} s", after.as_secs_f32()),
            Self::Tls { problem, detail } if problem.is_certificate() => {
                write!(f, "certificate error: {detail}")
            }
            Self::Tls { detail, .. } => write!(f, "TLS error: {detail}"),
            Self::Http { status, reason, body } => {
                write!(f, "HTTP {status}")?;
                if !reason.is_empty() {
                    write!(f, " {reason}")?;
                }
                f.write_str(" at the handshake")?;
                if !body.is_empty() {
                    write!(f, ": {body}")?;
                }
                Ok(())
            }
            Self::Protocol(detail) => write!(f, "WebSocket protocol error: {detail}"),
            Self::Io(detail) => write!(f, "IO error: {detail}"),
        }
    }
}

impl StdError for ConnectError {}

/// Why an open connection ended without the user closing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LostReason {
    /// The server sent a close frame.
    Closed {
        /// Its close code (`None` for a close frame without one).
        code: Option<u16>,
        /// Its reason, scrubbed of secrets (may be empty).
        reason: String,
    },
    /// The stream ended.
    Ended,
    /// The server dropped the TCP connection without a close frame.
    Reset,
    /// A ping went unanswered for the pong timeout, and nothing else was received.
    NoPong {
        /// The pong timeout.
        timeout: Duration,
    },
    /// The server sent a message larger than the connection's limit.
    TooLarge {
        /// Its size in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Reading or writing the socket failed otherwise.
    Socket(String),
}

impl LostReason {
    /// Why a session ended from a read or write error.
    pub(super) fn from_socket(err: &tungstenite::Error) -> Self {
        match err {
            tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => Self::Reset,
            tungstenite::Error::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
                Self::TooLarge { size: *size, max: *max_size }
            }
            tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => Self::Ended,
            other => Self::Socket(other.to_string()),
        }
    }

    /// The server's close frame.
    pub(super) fn close_frame(frame: Option<&CloseFrame>) -> Self {
        match frame {
            Some(frame) => Self::Closed { code: Some(frame.code.into()), reason: frame.reason.to_string() },
            None => Self::Closed { code: None, reason: String::new() },
        }
    }

    /// What the user can do about it, when there is something specific.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Closed { code: Some(1008), .. } => {
                Some("the server refused by policy: often a rate or subscription limit of the plan")
            }
            Self::Closed { code: Some(1013), .. } => {
                Some("the server is overloaded: it asks to try again later")
            }
            Self::TooLarge { .. } => Some("the server sent a message larger than this connection accepts"),
            _ => None,
        }
    }

    /// The same reason with `secrets` scrubbed from every text member.
    pub fn scrubbed(mut self, secrets: &Secrets) -> Self {
        match &mut self {
            Self::Closed { reason: text, .. } | Self::Socket(text) => scrub(text, secrets),
            Self::Ended | Self::Reset | Self::NoPong { .. } | Self::TooLarge { .. } => {}
        }
        self
    }
}

impl fmt::Display for LostReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed { code: None, reason } if reason.is_empty() => {
                f.write_str("the server closed the connection")
            }
            Self::Closed { code: None, reason } => write!(f, "the server closed the connection ({reason})"),
            Self::Closed { code: Some(code), reason } if reason.is_empty() => {
                write!(f, "the server closed the connection ({code})")
            }
            Self::Closed { code: Some(code), reason } => {
                write!(f, "the server closed the connection ({code}: {reason})")
            }
            Self::Ended => f.write_str("the server closed the stream"),
            Self::Reset => f.write_str("the server dropped the connection without a close frame"),
            Self::NoPong { timeout } => {
                write!(f, "no pong within {} s of a ping, and nothing else received", timeout.as_secs_f32())
            }
            Self::TooLarge { size, max } => write!(f, "frame too large: {size} bytes, the limit is {max}"),
            Self::Socket(detail) => f.write_str(detail),
        }
    }
}

impl StdError for LostReason {}

/// Why a connection is not open: it could not be opened, or it was lost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnError {
    /// Opening it failed (the first try, or a retry).
    Connect(ConnectError),
    /// It was open and was lost.
    Lost(LostReason),
}

impl ConnError {
    /// What the user can do about it, when there is something specific.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Connect(err) => err.hint(),
            Self::Lost(reason) => reason.hint(),
        }
    }

    /// The sentence, and the hint on a line of its own (`hint: …`) when there is one.
    pub fn with_hint(&self) -> String {
        match self.hint() {
            Some(hint) => format!("{self}\nhint: {hint}"),
            None => self.to_string(),
        }
    }

    /// The same error with `secrets` scrubbed from every text member.
    pub fn scrubbed(self, secrets: &Secrets) -> Self {
        match self {
            Self::Connect(err) => Self::Connect(err.scrubbed(secrets)),
            Self::Lost(reason) => Self::Lost(reason.scrubbed(secrets)),
        }
    }
}

impl fmt::Display for ConnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(err) => err.fmt(f),
            Self::Lost(reason) => reason.fmt(f),
        }
    }
}

impl StdError for ConnError {}

impl From<ConnectError> for ConnError {
    fn from(err: ConnectError) -> Self {
        Self::Connect(err)
    }
}

impl From<LostReason> for ConnError {
    fn from(reason: LostReason) -> Self {
        Self::Lost(reason)
    }
}

/// The rustls error an I/O error carries, wherever in its chain of sources (tokio-rustls
/// wraps the handshake's error in an `io::Error`).
fn rustls_error(err: &io::Error) -> Option<&rustls::Error> {
    let mut source: Option<&(dyn StdError + 'static)> =
        err.get_ref().map(|inner| inner as &(dyn StdError + 'static));
    while let Some(err) = source {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        source = err.source();
    }
    None
}

fn scrub(text: &mut String, secrets: &Secrets) {
    *text = secrets.scrub(text);
}

/// `text` cut to at most `max` bytes at a character boundary, with `…` if it was cut.
fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let at = text.floor_char_boundary(max);
        text.truncate(at);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests;
