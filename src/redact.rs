//! Keeping API keys out of everything a user or a file sees, whatever the provider's URL shape.
//!
//! A key reaches subscope two ways: as a separate [`Secret`] placed into a URL template at its
//! `{api_key}` placeholder, or pasted straight into a URL. A pasted key can sit anywhere
//! (`?api-key=KEY`, `/v2/KEY`, `host/TOKEN/`, `?dkey=KEY`, `user:pass@`, `#KEY`), so redaction
//! does not depend on knowing the provider. In a URL it treats as secret:
//!
//! - user info (`user:pass@`);
//! - the fragment;
//! - every query value, except under a short list of harmless names (`network`, `chain`…)
//!   where the value does not look like a token;
//! - every path segment that looks like a token (long runs of letters with digits, hex,
//!   base58, base64url, UUIDs), and any segment after a key-bearing prefix (`/v2/`,
//!   `/api-key/`…); host labels that look like long tokens.
//!
//! [`redact_url`] masks those parts and keeps the rest, so the URL stays recognisable
//! (`wss://name.solana-mainnet.quiknode.pro/***/`). [`Secrets`] holds the exact secret
//! strings of a connection (a placed key and whatever a pasted URL held) and scrubs them from
//! any text: error messages, HTTP bodies that echo the request, and captured frames, these only
//! where the value could be a key ([`could_be_secret`]) and only inside their JSON strings.
//! [`extract_key`] turns a URL with a pasted key into a template plus the key.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// The placeholder a URL template uses for the API key.
pub const API_KEY_PLACEHOLDER: &str = "{api_key}";

/// What a redacted value is replaced with.
pub const MASK: &str = "***";

/// Query parameter names whose values are not secrets (compared without case), unless the
/// value itself looks like a token.
const PUBLIC_QUERY_NAMES: [&str; 25] = [
    "network",
    "chain",
    "chainid",
    "chain_id",
    "cluster",
    "commitment",
    "encoding",
    "format",
    "version",
    "v",
    "transport",
    "protocol",
    "region",
    "compression",
    "lang",
    "locale",
    "timeout",
    "mode",
    "env",
    "environment",
    // The demo server's faults (`demo?delay_ms=200&drop_every=5`).
    "delay_ms",
    "drop_every",
    "disconnect_after_ms",
    "getlogs_max_range",
    "http_429_every",
];

/// Path segments after which the next segment is a key whatever its shape (`/v2/KEY` for
/// Alchemy, `/ws/v3/KEY` for Infura, `/api-key/KEY` for Syndica, `/eth/ws/KEY` for Ankr).
const KEY_PATH_PREFIXES: [&str; 12] =
    ["v1", "v2", "v3", "ws", "rpc", "api-key", "apikey", "api_key", "key", "token", "auth", "access-token"];

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

/// Masks every secret in a URL (see the module docs for what counts as one). The
/// `{api_key}` placeholder is left as it is: it is not a secret and tells the user where the
/// key goes.
///
/// ```
/// use subscope::redact::redact_url;
///
/// assert_eq!(redact_url("wss://mainnet.helius-rpc.com/?api-key=abc123"), "wss://mainnet.helius-rpc.com/?api-key=***");
/// assert_eq!(redact_url("wss://eth-mainnet.g.alchemy.com/v2/abc123"), "wss://eth-mainnet.g.alchemy.com/v2/***");
/// assert_eq!(
///     redact_url("wss://name.solana-mainnet.quiknode.pro/0123456789abcdef0123456789abcdef01234567/"),
///     "wss://name.solana-mainnet.quiknode.pro/***/",
/// );
/// ```
pub fn redact_url(url: &str) -> String {
    replace_spans(url, &secret_spans(url), MASK)
}

/// Whether a URL holds a secret in clear (a pasted key), as opposed to none or only the
/// `{api_key}` placeholder.
pub fn has_secret(url: &str) -> bool {
    !secret_spans(url).is_empty()
}

/// The exact secret strings a URL holds, in order of appearance, without duplicates.
pub fn url_secrets(url: &str) -> Vec<&str> {
    let mut found: Vec<&str> = Vec::new();
    for span in secret_spans(url) {
        let text = &url[span];
        if !found.contains(&text) {
            found.push(text);
        }
    }
    found
}

/// Whether a URL was saved with a key masked out of it (it holds [`MASK`] where a secret
/// stood), so it cannot connect until the key is entered again.
pub fn lost_its_key(url: &str) -> bool {
    url.contains(MASK)
}

/// Turns a URL with one pasted key into a template with `{api_key}` in its place, and the
/// key. `None` when the URL holds no secret, already has a placeholder, or holds several
/// different secrets (one key field cannot hold them all).
///
/// ```
/// use subscope::redact::extract_key;
///
/// let (template, key) = extract_key("wss://lb.drpc.org/ogws?network=ethereum&dkey=Ab12Cd34Ef").unwrap();
/// assert_eq!(template, "wss://lb.drpc.org/ogws?network=ethereum&dkey={api_key}");
/// assert_eq!(key.expose(), "Ab12Cd34Ef");
/// ```
pub fn extract_key(url: &str) -> Option<(String, Secret)> {
    if url.contains(API_KEY_PLACEHOLDER) {
        return None;
    }
    let spans = secret_spans(url);
    let first = spans.first()?.clone();
    let key = &url[first];
    if spans.iter().any(|span| &url[span.clone()] != key) {
        return None;
    }
    Some((replace_spans(url, &spans, API_KEY_PLACEHOLDER), Secret::new(key)))
}

/// Header names whose whole value is a credential.
const CREDENTIAL_HEADERS: [&str; 7] =
    ["authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-token", "x-auth-token"];

/// Authentication schemes, which stay readable in front of a masked credential.
const AUTH_SCHEMES: [&str; 4] = ["bearer", "basic", "token", "apikey"];

/// A handshake header's value as it may be shown or saved: every word of a credential header
/// (`Authorization`, `X-Api-Key`, a name with `key`, `token`, `secret` or `auth` in it)
/// except the scheme, and any word elsewhere that looks like a token, become [`MASK`].
/// `{api_key}` is kept: the key is placed there at connect time.
///
/// ```
/// use subscope::redact::redact_header;
///
/// assert_eq!(redact_header("Authorization", "Bearer abc123"), "Bearer ***");
/// assert_eq!(redact_header("Authorization", "Bearer {api_key}"), "Bearer {api_key}");
/// assert_eq!(redact_header("User-Agent", "subscope/0.1"), "subscope/0.1");
/// ```
pub fn redact_header(name: &str, value: &str) -> String {
    let name = name.trim().to_ascii_lowercase();
    let credential = CREDENTIAL_HEADERS.contains(&name.as_str())
        || ["key", "token", "secret", "auth", "password"].iter().any(|part| name.contains(part));
    value
        .split(' ')
        .map(|word| {
            let keep = word.is_empty()
                || word == MASK
                || word.contains(API_KEY_PLACEHOLDER)
                || (credential && AUTH_SCHEMES.contains(&word.to_ascii_lowercase().as_str()))
                || (!credential && !looks_like_token(word));
            if keep { word } else { MASK }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether connecting to this URL would send a key unencrypted: a `ws://` URL to a host that
/// is not this machine, with a key placeholder or a pasted secret in it.
pub fn key_travels_in_clear(url: &str) -> bool {
    let url = url.trim();
    let Some(rest) = url.strip_prefix("ws://").or_else(|| url.strip_prefix("WS://")) else { return false };
    let carries_key = url.contains(API_KEY_PLACEHOLDER) || has_secret(url);
    carries_key && !is_loopback_authority(authority_of(rest))
}

/// Replaces each span of `text` (sorted, not overlapping) with `with`.
fn replace_spans(text: &str, spans: &[Range<usize>], with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in spans {
        out.push_str(&text[at..span.start]);
        out.push_str(with);
        at = span.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The authority (`user@host:port`) of a URL after its scheme.
fn authority_of(rest: &str) -> &str {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    &rest[..end]
}

fn is_loopback_authority(authority: &str) -> bool {
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "::1"
        || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// The byte ranges of every secret in a URL, sorted and not overlapping.
fn secret_spans(url: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let body_start = scheme_end(url);
    let rest = &url[body_start..];
    let fragment_at = rest.find('#').map(|at| body_start + at);
    let before_fragment_end = fragment_at.unwrap_or(url.len());
    let query_at = url[body_start..before_fragment_end].find('?').map(|at| body_start + at);
    let before_query_end = query_at.unwrap_or(before_fragment_end);
    let path_at = url[body_start..before_query_end].find('/').map(|at| body_start + at);
    let authority_end = path_at.unwrap_or(before_query_end);

    authority_spans(url, body_start..authority_end, &mut spans);
    if let Some(path_at) = path_at {
        path_spans(url, path_at..before_query_end, &mut spans);
    }
    if let Some(query_at) = query_at {
        query_spans(url, query_at + 1..before_fragment_end, &mut spans);
    }
    if let Some(fragment_at) = fragment_at {
        let fragment = fragment_at + 1..url.len();
        if !fragment.is_empty() && !url[fragment.clone()].contains(API_KEY_PLACEHOLDER) {
            spans.push(fragment);
        }
    }
    spans
}

/// Where the part after `scheme://` starts (0 when there is no scheme).
fn scheme_end(url: &str) -> usize {
    match url.find("://") {
        Some(at)
            if at > 0
                && url[..at].bytes().all(|byte| byte.is_ascii_alphanumeric() || b"+-.".contains(&byte)) =>
        {
            at + 3
        }
        _ => 0,
    }
}

fn authority_spans(url: &str, authority: Range<usize>, spans: &mut Vec<Range<usize>>) {
    let text = &url[authority.clone()];
    let host_start = match text.rfind('@') {
        Some(at) => {
            if at > 0 && !text[..at].contains(API_KEY_PLACEHOLDER) {
                spans.push(authority.start..authority.start + at);
            }
            authority.start + at + 1
        }
        None => authority.start,
    };
    let host_port = &url[host_start..authority.end];
    if host_port.starts_with('[') {
        return; // an IPv6 literal
    }
    let host = host_port.split(':').next().unwrap_or("");
    let mut at = host_start;
    for label in host.split('.') {
        // Only long unbroken runs: `name-mainnet-a1b2.rpcpool.com` stays readable.
        if label.len() >= 16 && random_looking(label) {
            spans.push(at..at + label.len());
        }
        at += label.len() + 1;
    }
}

fn path_spans(url: &str, path: Range<usize>, spans: &mut Vec<Range<usize>>) {
    let mut at = path.start;
    let mut previous: &str = "";
    for segment in url[path].split('/') {
        let after_prefix = KEY_PATH_PREFIXES.iter().any(|prefix| previous.eq_ignore_ascii_case(prefix))
            && !is_path_word(segment);
        let secret = !segment.is_empty()
            && !segment.contains(API_KEY_PLACEHOLDER)
            && (after_prefix || looks_like_token(segment));
        if secret {
            spans.push(at..at + segment.len());
        }
        at += segment.len() + 1;
        previous = segment;
    }
}

/// A segment that is part of a provider's path rather than a key: a version (`v3`) or
/// another key prefix (`/ws/v3/KEY`).
fn is_path_word(segment: &str) -> bool {
    let version = segment
        .strip_prefix(['v', 'V'])
        .is_some_and(|rest| !rest.is_empty() && rest.len() <= 2 && rest.bytes().all(|b| b.is_ascii_digit()));
    version || KEY_PATH_PREFIXES.iter().any(|prefix| segment.eq_ignore_ascii_case(prefix))
}

fn query_spans(url: &str, query: Range<usize>, spans: &mut Vec<Range<usize>>) {
    let mut at = query.start;
    for pair in url[query].split('&') {
        let value = match pair.split_once('=') {
            Some((name, value)) => {
                let public = PUBLIC_QUERY_NAMES.iter().any(|public| name.eq_ignore_ascii_case(public));
                let secret = !value.is_empty()
                    && !value.contains(API_KEY_PLACEHOLDER)
                    && (!public || looks_like_token(value));
                secret.then(|| at + name.len() + 1..at + pair.len())
            }
            None => {
                let public = PUBLIC_QUERY_NAMES.iter().any(|public| pair.eq_ignore_ascii_case(public));
                let secret = !pair.is_empty() && !pair.contains(API_KEY_PLACEHOLDER) && !public;
                secret.then(|| at..at + pair.len())
            }
        };
        spans.extend(value);
        at += pair.len() + 1;
    }
}

/// Whether a path segment or host label looks like a generated token rather than a word a
/// person chose: a UUID, 16+ hex digits, 10+ decimal digits, 8+ letters mixed with digits,
/// 16+ letters in mixed case, or 32+ letters of any kind; with `-`, `_`, `.`, `~`, `=` or `+`
/// in it, the whole run when it is 16+ long with letters and digits, or any one part.
pub fn looks_like_token(text: &str) -> bool {
    let decoded = percent_decode(text);
    let text = decoded.as_ref();
    if text.len() < 8 {
        return false;
    }
    if is_uuid(text) {
        return true;
    }
    let separator = |byte: u8| b"-_.~=+".contains(&byte);
    if !text.bytes().all(|byte| byte.is_ascii_alphanumeric() || separator(byte)) {
        return false;
    }
    if text.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
        return random_looking(text);
    }
    let (digits, letters, _, _) = char_classes(text);
    (text.len() >= 16 && digits > 0 && letters > 0)
        || text.split(|c: char| c.is_ascii() && separator(c as u8)).any(random_looking)
}

/// Whether a run of ASCII letters and digits looks generated.
fn random_looking(run: &str) -> bool {
    if run.len() < 8 || !run.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
        return false;
    }
    let (digits, letters, upper, lower) = char_classes(run);
    if letters == 0 {
        return run.len() >= 10;
    }
    let hex = run.bytes().all(|byte| byte.is_ascii_hexdigit());
    (digits > 0) || (hex && run.len() >= 16) || (run.len() >= 16 && upper > 0 && lower > 0) || run.len() >= 32
}

fn char_classes(text: &str) -> (usize, usize, usize, usize) {
    text.bytes().fold((0, 0, 0, 0), |(digits, letters, upper, lower), byte| {
        (
            digits + usize::from(byte.is_ascii_digit()),
            letters + usize::from(byte.is_ascii_alphabetic()),
            upper + usize::from(byte.is_ascii_uppercase()),
            lower + usize::from(byte.is_ascii_lowercase()),
        )
    })
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|byte| byte.is_ascii_hexdigit()))
}

/// Decodes `%XX` escapes; anything that is not a valid escape is kept as it is.
pub(super) fn percent_decode(text: &str) -> Cow<'_, str> {
    if !text.contains('%') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(String::from_utf8_lossy(&percent_decode_bytes(text)).into_owned())
}

/// Decodes `%XX` escapes to bytes (a URL's user info may encode any byte); anything that is
/// not a valid escape is kept as it is.
pub fn percent_decode_bytes(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escape = bytes
            .get(index + 1..index + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok().and_then(|hex| u8::from_str_radix(hex, 16).ok()));
        match (bytes[index], escape) {
            (b'%', Some(byte)) => {
                out.push(byte);
                index += 3;
            }
            (byte, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    out
}

/// Percent-encodes everything but unreserved URL characters.
pub(super) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Redacts every URL (`scheme://…`, up to whitespace, a quote or a bracket) in a message.
pub fn scrub_urls(text: &str) -> String {
    if !text.contains("://") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(marker) = rest.find("://") {
        // The scheme: the ASCII run before `://` (a multi-byte character ends it too).
        let scheme_len = rest[..marker]
            .bytes()
            .rev()
            .take_while(|byte| byte.is_ascii_alphanumeric() || b"+-.".contains(byte))
            .count();
        let start = marker - scheme_len;
        let after = marker + 3;
        let end = rest[after..]
            .find(|c: char| c.is_whitespace() || "\"'<>()[]`|\\".contains(c))
            .map_or(rest.len(), |at| after + at);
        let url = rest[start..end].trim_end_matches(['.', ',', ';', ':', '!', '?']);
        out.push_str(&rest[..start]);
        out.push_str(&redact_url(url));
        rest = &rest[start + url.len()..];
    }
    out.push_str(rest);
    out
}

/// Replaces every occurrence of the key in `text` with the mask, then redacts URL-shaped
/// secrets too. Use it on any message that may have been built from a URL.
pub fn scrub(text: &str, key: Option<&Secret>) -> String {
    let mut secrets = Secrets::default();
    if let Some(key) = key {
        secrets.add_key(key);
    }
    secrets.scrub(text)
}

mod frame;
mod secrets;
pub(crate) mod user_info;

pub use secrets::{Secrets, could_be_secret};

#[cfg(test)]
mod tests;
