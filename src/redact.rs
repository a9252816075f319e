//! Keeping API keys out of everything a user or a file sees.
//!
//! A key reaches subscope two ways: as a separate secret placed into a URL template at its
//! `{api_key}` placeholder, or pasted straight into a URL. [`redact_url`] masks both shapes the
//! providers use (`?api-key=KEY` query values and `/v2/KEY` path segments) and user info;
//! [`Secret`] never prints its value; [`scrub`] removes a known key from any text, such as an
//! error message a library built from the URL.

use std::fmt;

/// The placeholder a URL template uses for the API key.
pub const API_KEY_PLACEHOLDER: &str = "{api_key}";

/// What a redacted value is replaced with.
pub const MASK: &str = "***";

/// Query parameters whose values are secrets.
const SECRET_QUERY_KEYS: [&str; 9] =
    ["api-key", "apikey", "api_key", "key", "token", "access_token", "auth", "x-api-key", "secret"];

/// Path segments after which the next segment is a key (`/v2/KEY` for Alchemy and Infura-style
/// URLs, `/ws/KEY` for old Alchemy endpoints).
const KEY_PATH_PREFIXES: [&str; 4] = ["v2", "v3", "ws", "rpc"];

/// An API key. Its `Debug` and `Display` never show the value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a key; surrounding whitespace (from a paste) is removed.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into().trim().to_owned())
    }

    /// The key itself, for placing into a URL at connect time only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether no key was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "Secret(<empty>)" } else { "Secret(***)" })
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

/// Puts the key into a URL template at its `{api_key}` placeholder.
pub fn place_key(template: &str, key: Option<&Secret>) -> String {
    match key {
        Some(key) if template.contains(API_KEY_PLACEHOLDER) => {
            template.replace(API_KEY_PLACEHOLDER, key.expose())
        }
        _ => template.to_owned(),
    }
}

/// Masks every secret in a URL: user info, secret query values and key path segments. The
/// `{api_key}` placeholder itself is left as it is: it is not a secret and tells the user
/// where the key goes.
///
/// ```
/// use subscope::redact::redact_url;
///
/// assert_eq!(redact_url("wss://mainnet.helius-rpc.com/?api-key=abc123"), "wss://mainnet.helius-rpc.com/?api-key=***");
/// assert_eq!(redact_url("wss://eth-mainnet.g.alchemy.com/v2/abc123"), "wss://eth-mainnet.g.alchemy.com/v2/***");
/// ```
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(at) => (&url[..at + 3], &url[at + 3..]),
        None => ("", url),
    };
    let (before_fragment, fragment) = split_at_char(rest, '#');
    let (before_query, query) = split_at_char(before_fragment, '?');
    let (authority, path) = match before_query.find('/') {
        Some(at) => (&before_query[..at], &before_query[at..]),
        None => (before_query, ""),
    };
    let mut out = String::with_capacity(url.len());
    out.push_str(scheme);
    match authority.rfind('@') {
        Some(at) => {
            out.push_str(MASK);
            out.push_str(&authority[at..]);
        }
        None => out.push_str(authority),
    }
    out.push_str(&redact_path(path));
    if let Some(query) = query {
        out.push('?');
        out.push_str(&redact_query(query));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

fn split_at_char(text: &str, separator: char) -> (&str, Option<&str>) {
    match text.find(separator) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    }
}

fn redact_path(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    let mut out = Vec::with_capacity(segments.len());
    for (index, segment) in segments.iter().enumerate() {
        let after_key_prefix =
            index > 0 && segments.get(index - 1).is_some_and(|previous| KEY_PATH_PREFIXES.contains(previous));
        if after_key_prefix && !segment.is_empty() && *segment != API_KEY_PLACEHOLDER {
            out.push(MASK);
        } else {
            out.push(segment);
        }
    }
    out.join("/")
}

fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value))
                if !value.is_empty()
                    && value != API_KEY_PLACEHOLDER
                    && SECRET_QUERY_KEYS.iter().any(|secret| name.eq_ignore_ascii_case(secret)) =>
            {
                format!("{name}={MASK}")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Replaces every occurrence of the key in `text` with the mask, then redacts URL-shaped
/// secrets too. Use it on any message that may have been built from a URL.
pub fn scrub(text: &str, key: Option<&Secret>) -> String {
    let text = match key {
        Some(key) if key.expose().len() >= 4 => text.replace(key.expose(), MASK),
        _ => text.to_owned(),
    };
    text.split(' ')
        .map(|word| if word.contains("://") { redact_url(word) } else { word.to_owned() })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helius_query_key_is_masked() {
        assert_eq!(
            redact_url("wss://mainnet.helius-rpc.com/?api-key=abcd-1234"),
            "wss://mainnet.helius-rpc.com/?api-key=***"
        );
    }

    #[test]
    fn alchemy_path_key_is_masked() {
        assert_eq!(
            redact_url("wss://eth-mainnet.g.alchemy.com/v2/AbCdEf123"),
            "wss://eth-mainnet.g.alchemy.com/v2/***"
        );
        assert_eq!(
            redact_url("wss://mainnet.infura.io/ws/v3/0123abcd"),
            "wss://mainnet.infura.io/ws/***/***"
        );
    }

    #[test]
    fn other_query_values_and_fragments_survive() {
        assert_eq!(
            redact_url("ws://127.0.0.1:8900/path?x=1&token=s3cret&Key=k#frag"),
            "ws://127.0.0.1:8900/path?x=1&token=***&Key=***#frag"
        );
    }

    #[test]
    fn user_info_is_masked() {
        assert_eq!(redact_url("wss://user:pass@example.com/ws"), "wss://***@example.com/ws");
    }

    #[test]
    fn placeholders_are_shown_not_masked() {
        assert_eq!(
            redact_url("wss://eth-mainnet.g.alchemy.com/v2/{api_key}"),
            "wss://eth-mainnet.g.alchemy.com/v2/{api_key}"
        );
    }

    #[test]
    fn placed_key_never_survives_redaction() {
        let key = Secret::new("  k3y-VALUE-42 ");
        for template in
            ["wss://mainnet.helius-rpc.com/?api-key={api_key}", "wss://x.g.alchemy.com/v2/{api_key}"]
        {
            let url = place_key(template, Some(&key));
            assert!(url.contains("k3y-VALUE-42"));
            assert!(!redact_url(&url).contains("k3y-VALUE-42"));
        }
    }

    #[test]
    fn secret_never_formats_its_value() {
        let key = Secret::new("hunter2hunter2");
        assert_eq!(format!("{key} {key:?}"), "*** Secret(***)");
    }

    #[test]
    fn scrub_removes_a_known_key_anywhere() {
        let key = Secret::new("sekrit-key");
        let message = "HTTP error: 401 for wss://host/v2/sekrit-key (key sekrit-key rejected)";
        let scrubbed = scrub(message, Some(&key));
        assert!(!scrubbed.contains("sekrit"), "{scrubbed}");
    }
}
