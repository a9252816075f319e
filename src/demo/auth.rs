//! HTTP Basic auth for the demo server (`subscope demo-server --basic-auth USER:PASS`, or
//! `SUBSCOPE_DEMO_BASIC_AUTH`), so a client's handling of a node behind basic auth can be
//! tried offline: a handshake without the credential, or with another one, is answered
//! `401 Unauthorized` with `WWW-Authenticate: Basic realm="subscope demo"`, as a proxy in
//! front of a node answers. The answer never repeats what the client sent.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header};

use crate::redact::Secret;

/// The realm the 401 names.
const REALM: &str = r#"Basic realm="subscope demo", charset="UTF-8""#;

/// The credential a demo server requires.
pub(crate) struct BasicAuth {
    /// `user:password`, as the header carries it once decoded from base64 (RFC 7617).
    expected: Vec<u8>,
}

impl BasicAuth {
    /// Requires `credential`, `USER:PASS` (checked by [`check_credential`]).
    pub(crate) fn new(credential: &Secret) -> Self {
        Self { expected: credential.expose().as_bytes().to_vec() }
    }

    /// Lets the request through when its `Authorization` header carries the credential.
    #[expect(clippy::result_large_err, reason = "the signature tungstenite's handshake callback has")]
    pub(crate) fn check(&self, request: &Request) -> Result<(), ErrorResponse> {
        let presented = request.headers().get(header::AUTHORIZATION).map(basic_credential);
        match presented {
            Some(Some(credential)) if same(&credential, &self.expected) => Ok(()),
            Some(_) => Err(unauthorized("demo server: wrong user name or password")),
            None => Err(unauthorized(
                "demo server: this endpoint needs a user name and password (HTTP Basic auth); \
                 give them in the URL as user:password@host",
            )),
        }
    }
}

/// Whether `text` can be required as a credential: `USER:PASS`, the user without a colon
/// (RFC 7617), either part may be empty but not both.
///
/// # Errors
/// A message saying what the value must look like (without repeating it).
pub fn check_credential(text: &str) -> Result<(), String> {
    match text.split_once(':') {
        Some((user, password)) if !(user.is_empty() && password.is_empty()) => Ok(()),
        _ => Err("the credential must be USER:PASS (the user name without a colon)".to_owned()),
    }
}

/// The decoded `user:password` of a `Basic` authorization header.
fn basic_credential(value: &HeaderValue) -> Option<Vec<u8>> {
    let (scheme, token) = value.to_str().ok()?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    STANDARD.decode(token.trim()).ok()
}

/// Compares in time that depends on the lengths only, not on where the bytes differ.
fn same(presented: &[u8], expected: &[u8]) -> bool {
    presented.len() == expected.len()
        && presented.iter().zip(expected).fold(0_u8, |differ, (a, b)| differ | (a ^ b)) == 0
}

/// A 401 asking for Basic credentials.
fn unauthorized(message: &str) -> ErrorResponse {
    let mut refusal = ErrorResponse::new(Some(format!("{message}\n")));
    *refusal.status_mut() = StatusCode::UNAUTHORIZED;
    refusal.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(REALM));
    refusal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(authorization: Option<&str>) -> Request {
        let mut request = Request::new(());
        if let Some(value) = authorization {
            request
                .headers_mut()
                .insert(header::AUTHORIZATION, HeaderValue::from_str(value).expect("a header value"));
        }
        request
    }

    #[test]
    fn the_right_credential_passes_and_others_get_401() {
        let auth = BasicAuth::new(&Secret::new("alice:p@ss:word"));
        let token = STANDARD.encode("alice:p@ss:word");
        assert!(auth.check(&request(Some(&format!("Basic {token}")))).is_ok());
        assert!(auth.check(&request(Some(&format!("basic  {token} ")))).is_ok(), "the scheme has no case");
        for wrong in [
            None,
            Some(format!("Basic {}", STANDARD.encode("alice:p@ss"))),
            Some(format!("Bearer {token}")),
            Some("Basic !!!".to_owned()),
            Some("Basic".to_owned()),
        ] {
            let Err(refusal) = auth.check(&request(wrong.as_deref())) else { panic!("{wrong:?} passed") };
            assert_eq!(refusal.status(), StatusCode::UNAUTHORIZED, "{wrong:?}");
            assert_eq!(refusal.headers()[header::WWW_AUTHENTICATE], REALM);
            assert!(!refusal.body().as_deref().unwrap_or_default().contains("p@ss"));
        }
    }

    #[test]
    fn a_credential_needs_a_colon() {
        assert!(check_credential("alice:secret").is_ok());
        assert!(check_credential(":token").is_ok());
        assert!(check_credential("alice:").is_ok());
        assert!(check_credential("alice").is_err());
        assert!(check_credential(":").is_err());
        assert!(!check_credential("alicesecret").is_err_and(|message| message.contains("alicesecret")));
    }
}
