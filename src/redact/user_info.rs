//! HTTP Basic credentials given as user info in an endpoint URL (`wss://user:pass@host/`).
//!
//! tungstenite accepts such a URL but only strips the user info from the `Host` header: it
//! never sends the credentials, so a node behind basic auth answered 401. The connection now
//! takes the user info out of the URL it connects to and sends it as
//! `Authorization: Basic base64(user:password)` (RFC 7617), user and password percent-decoded
//! first: user info is percent-encoded in a URL (RFC 3986), so `p%40ss` is the password
//! `p@ss`, and a password holding `@`, `/`, `?` or `#` must be written encoded. A user
//! without a colon sends an empty password. An `Authorization` handshake header the user set
//! wins over the URL's. Wherever the URL is shown its user info stays masked
//! ([`crate::redact`]), and the password and the header's token are among the connection's
//! secrets, so neither shows in an error.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::redact::percent_decode_bytes;

/// The credentials a URL's user info holds.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    /// The user, decoded.
    user: Vec<u8>,
    /// The password, decoded.
    password: Vec<u8>,
    /// The password as the URL writes it (perhaps percent-encoded).
    written_password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(***)")
    }
}

impl Credentials {
    /// `base64(user:password)`, what follows `Basic ` in the header.
    pub(crate) fn token(&self) -> String {
        let mut pair = Vec::with_capacity(self.user.len() + 1 + self.password.len());
        pair.extend_from_slice(&self.user);
        pair.push(b':');
        pair.extend_from_slice(&self.password);
        STANDARD.encode(pair)
    }

    /// The `Authorization` header's value, marked sensitive (kept out of `Debug`).
    pub(crate) fn header(&self) -> HeaderValue {
        // Base64 is always a valid header value; the fallback is never taken.
        let mut value = HeaderValue::from_maybe_shared(format!("Basic {}", self.token()))
            .unwrap_or_else(|_| HeaderValue::from_static("Basic"));
        value.set_sensitive(true);
        value
    }

    /// The password as the URL writes it, for the connection's secrets (which add its
    /// decoded form themselves).
    pub(crate) fn written_password(&self) -> &str {
        &self.written_password
    }
}

/// Splits the user info off a URL: the URL without it, and its credentials. `None` when the
/// URL has no user info (an `@` in the path, query or fragment is not one).
pub(crate) fn take_user_info(url: &str) -> Option<(String, Option<Credentials>)> {
    let after_scheme = url.find("://")? + 3;
    let rest = &url[after_scheme..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_len].rfind('@')?;
    let user_info = &rest[..at];
    let without = format!("{}{}", &url[..after_scheme], &rest[at + 1..]);
    if user_info.is_empty() {
        return Some((without, None));
    }
    let (user, password) = user_info.split_once(':').unwrap_or((user_info, ""));
    let credentials = Credentials {
        user: percent_decode_bytes(user),
        password: percent_decode_bytes(password),
        written_password: password.to_owned(),
    };
    Some((without, Some(credentials)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> (String, Option<(String, String)>) {
        let Some((without, credentials)) = take_user_info(url) else { return (url.to_owned(), None) };
        let credentials = credentials.map(|credentials| {
            let pair = STANDARD.decode(credentials.token()).unwrap_or_default();
            let text = String::from_utf8_lossy(&pair).into_owned();
            let (user, password) = text.split_once(':').unwrap_or_default();
            (user.to_owned(), password.to_owned())
        });
        (without, credentials)
    }

    fn pair(user: &str, password: &str) -> Option<(String, String)> {
        Some((user.to_owned(), password.to_owned()))
    }

    #[test]
    fn user_info_becomes_credentials_and_leaves_the_url() {
        assert_eq!(
            split("ws://alice:s3cret@127.0.0.1:8900/"),
            ("ws://127.0.0.1:8900/".into(), pair("alice", "s3cret"))
        );
        assert_eq!(split("wss://u:p@node.example.com"), ("wss://node.example.com".into(), pair("u", "p")));
        assert_eq!(
            split("wss://u:p@node.example.com?api-key=k#f"),
            ("wss://node.example.com?api-key=k#f".into(), pair("u", "p"))
        );
    }

    #[test]
    fn user_and_password_are_percent_decoded() {
        // `@` and `:` in the password, a space and a non-ASCII letter in the user.
        assert_eq!(
            split("ws://j%C3%B6rg%20k:p%40ss%3Aw:rd@host/"),
            ("ws://host/".into(), pair("jörg k", "p@ss:w:rd"))
        );
        assert_eq!(split("ws://a:100%@host/").1, pair("a", "100%"), "a stray % is kept");
    }

    #[test]
    fn a_user_alone_has_an_empty_password_and_an_empty_user_info_is_dropped() {
        assert_eq!(split("ws://token@host/").1, pair("token", ""));
        assert_eq!(split("ws://@host/"), ("ws://host/".into(), None));
    }

    #[test]
    fn an_at_sign_after_the_authority_is_not_user_info() {
        for url in ["ws://host/path@x", "ws://host?email=a@b", "ws://host#a@b", "ws://host:1/@"] {
            assert!(take_user_info(url).is_none(), "{url}");
        }
        assert!(take_user_info("not a url").is_none());
    }

    #[test]
    fn the_header_is_basic_and_sensitive() {
        let Some((_, Some(credentials))) = take_user_info("ws://Aladdin:open%20sesame@host/") else {
            panic!("no credentials")
        };
        // RFC 7617's example.
        let header = credentials.header();
        assert_eq!(header, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert!(header.is_sensitive());
        assert_eq!(credentials.written_password(), "open%20sesame");
        assert_eq!(format!("{credentials:?}"), "Credentials(***)");
    }
}
