//! The exact secret strings of a connection, scrubbed from what leaves it: every message, and
//! captured frames only where the value could be a key (a capture is evidence).

use std::borrow::Cow;
use std::fmt;

use super::{API_KEY_PLACEHOLDER, MASK, Secret, percent_decode, percent_encode, scrub_urls, url_secrets};

/// Secrets shorter than this are only scrubbed from messages where they stand as a word of
/// their own, so a three-letter key does not shred every message that happens to contain its
/// letters.
const SHORT_SECRET: usize = 6;

/// Secrets shorter than this are not scrubbed from captured frames ([`could_be_secret`]).
const FRAME_SECRET_MIN: usize = 12;

/// The exact secret strings of one connection (its key, and whatever its URL and headers held
/// in clear), scrubbed from any text that leaves the connection. `Debug` shows only how many.
///
/// Messages (errors, notes, HTTP bodies) lose every secret. Captured frames are evidence, so
/// only a secret that [`could_be_secret`] is scrubbed from them, only inside their JSON strings,
/// and the frame stays valid JSON ([`Self::scrub_frame`]); a shorter or plainer value (`?x=1`)
/// would shred ordinary data (`"jsonrpc":"2.0"`), so frames keep it.
#[derive(Clone, Default)]
pub struct Secrets {
    /// Longest first, so a secret that contains another is replaced whole; each with whether
    /// it is scrubbed from frames too.
    values: Vec<(String, bool)>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({})", self.values.len())
    }
}

impl Secrets {
    /// Every secret an endpoint knows in clear: the key, what the URL holds besides its
    /// placeholder (a pasted key; its user info, and the password and Basic token made of
    /// it), and the credentials in header values.
    pub fn of_endpoint(url: &str, api_key: Option<&Secret>, headers: &[(String, String)]) -> Self {
        let mut secrets = Self::from_url(url);
        if let Some(key) = api_key {
            secrets.add_key(key);
        }
        let placed = super::place_key(url, api_key);
        if let Some((_, Some(credentials))) = super::user_info::take_user_info(&placed) {
            secrets.add(credentials.written_password());
            secrets.add(&credentials.token());
        }
        for (_, value) in headers {
            // `Bearer TOKEN`, `Basic …`, or a bare key: every word but the scheme's name.
            for word in value.split_whitespace() {
                let scheme =
                    ["bearer", "basic", "token", "apikey"].iter().any(|s| word.eq_ignore_ascii_case(s));
                if !scheme {
                    secrets.add(word);
                }
            }
        }
        secrets
    }

    /// The secrets a URL holds in clear (none for a template with only a placeholder).
    pub fn from_url(url: &str) -> Self {
        let mut secrets = Self::default();
        secrets.add_url(url);
        secrets
    }

    /// Adds the secrets a URL holds in clear.
    pub fn add_url(&mut self, url: &str) {
        for secret in url_secrets(url) {
            self.add(secret);
        }
    }

    /// Adds a placed key.
    pub fn add_key(&mut self, key: &Secret) {
        self.add(key.expose());
    }

    /// Adds one secret string, with its percent-encoded and percent-decoded forms (a library
    /// may print either). A value with `%` in it may be a key already encoded or a key with a
    /// literal `%`, so both readings are encoded. Whether frames lose it too is decided on the
    /// value as given, for all its forms.
    pub fn add(&mut self, value: &str) {
        let value = value.trim();
        if value.is_empty() || value == MASK || value.contains(API_KEY_PLACEHOLDER) {
            return;
        }
        let decoded = percent_decode(value).into_owned();
        let in_frames = could_be_secret(&decoded);
        let encoded = percent_encode(&decoded);
        let encoded_as_is = percent_encode(value);
        for form in [value.to_owned(), decoded, encoded, encoded_as_is] {
            match self.values.iter_mut().find(|(known, _)| *known == form) {
                Some((_, known_in_frames)) => *known_in_frames |= in_frames,
                None if !form.is_empty() => self.values.push((form, in_frames)),
                None => {}
            }
        }
        self.values.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
    }

    /// Whether there is nothing to scrub.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Whether some secret is too short or too plain to be scrubbed from frames
    /// ([`could_be_secret`]): a server that echoes it puts it into the capture, so the user
    /// is told once, at connect.
    pub fn kept_in_frames(&self) -> bool {
        self.values.iter().any(|(_, in_frames)| !in_frames)
    }

    /// A message made safe to show or write: every known secret replaced by [`MASK`] (one
    /// shorter than six characters only where it stands as a word of its own, so `?x=1` does
    /// not turn `127.0.0.1` into `127.***.***.***`), then every URL-shaped word redacted (a
    /// secret nobody told us about, in a URL a library printed).
    pub fn scrub(&self, text: &str) -> String {
        self.scrub_text(text, false)
    }

    /// Text made of captured data (a report of counts, lags and endpoints) made safe to print:
    /// only the secrets frames lose too ([`could_be_secret`]), then every URL-shaped word
    /// redacted. A short value (`?x=1`) would otherwise turn a count of 1 into `***`.
    pub fn scrub_report(&self, text: &str) -> String {
        self.scrub_text(text, true)
    }

    /// Every secret (or, `keys_only`, every one frames lose too) replaced in `text`, then
    /// every URL-shaped word redacted.
    fn scrub_text(&self, text: &str, keys_only: bool) -> String {
        let mut text = Cow::Borrowed(text);
        for (value, in_frames) in &self.values {
            if (*in_frames || !keys_only)
                && let Some(replaced) = replace_secret(&text, value)
            {
                text = Cow::Owned(replaced);
            }
        }
        scrub_urls(&text)
    }

    /// A captured frame made safe to keep, or `None` when it holds no secret (the common case,
    /// one search per secret). Only secrets that [`could_be_secret`] are replaced, only inside
    /// the frame's JSON strings (object keys too), never inside an escape: the frame stays
    /// valid JSON of the same shape, and means what it meant with [`MASK`] where the secret
    /// stood. A frame that is not JSON loses the secret wherever it stands. Nothing else
    /// changes (a frame's own URLs are data).
    pub fn scrub_frame(&self, frame: &str) -> Option<String> {
        let mut text = Cow::Borrowed(frame);
        let mut json = None;
        for (value, in_frames) in &self.values {
            if !in_frames || memchr::memmem::find(text.as_bytes(), value.as_bytes()).is_none() {
                continue;
            }
            // Found, which is rare: only now is the frame read as JSON.
            let is_json =
                *json.get_or_insert_with(|| serde_json::from_str::<serde::de::IgnoredAny>(frame).is_ok());
            let replaced = if is_json {
                super::frame::replace_in_strings(&text, value)
            } else {
                replace_secret(&text, value)
            };
            if let Some(replaced) = replaced {
                text = Cow::Owned(replaced);
            }
        }
        match text {
            Cow::Borrowed(_) => None,
            Cow::Owned(text) => Some(text),
        }
    }
}

/// Whether a value is distinctive enough to be scrubbed from captured frames without
/// destroying ordinary data: 12 or more characters, and neither a number (decimal, or `0x`
/// hex: the quantities, addresses and hashes frames carry) nor plain words (letters only,
/// each word in lower case, upper case or capitalised, joined by `-`, `_`, `.` or spaces).
/// Every key a provider issues passes (hex, base58, UUIDs, mixed letters and digits);
/// `?x=1`, `?r=13211` or `?network=mainnet-beta` do not.
///
/// ```
/// use subscope::redact::could_be_secret;
///
/// assert!(could_be_secret("0123456789abcdef0123"));
/// assert!(could_be_secret("2f1c8e4a-9b7d-4c3e-8f6a-1d2b3c4d5e6f"));
/// assert!(!could_be_secret("13211"));
/// assert!(!could_be_secret("123456789012345"));
/// assert!(!could_be_secret("0x8ba1f109551bD432803012645Ac136ddd64DBA72"));
/// assert!(!could_be_secret("Mainnet-Beta-Cluster"));
/// ```
pub fn could_be_secret(value: &str) -> bool {
    if value.chars().count() < FRAME_SECRET_MIN {
        return false;
    }
    let hex = value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
        .is_some_and(|digits| digits.bytes().all(|byte| byte.is_ascii_hexdigit()));
    let number = value.parse::<f64>().is_ok() || value.parse::<i128>().is_ok();
    let plain_words = value.split(['-', '_', '.', ' ']).all(|word| {
        let mut letters = word.chars();
        let first_upper = letters.next().is_none_or(|first| first.is_alphabetic());
        let rest: Vec<char> = letters.collect();
        first_upper
            && rest.iter().all(|c| c.is_alphabetic())
            && (rest.iter().all(|c| c.is_lowercase()) || rest.iter().all(|c| c.is_uppercase()))
    });
    !(hex || number || plain_words)
}

/// Replaces every occurrence of `secret` in `text` with [`MASK`]; a short secret only where
/// it stands as a word of its own ([`continues_word`] on neither side). `None` when there is
/// none.
fn replace_secret(text: &str, secret: &str) -> Option<String> {
    let standalone = secret.len() < SHORT_SECRET;
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut from = 0;
    while let Some(found) = text[from..].find(secret).map(|at| from + at) {
        let end = found + secret.len();
        let alone = !standalone
            || (!continues_word(text[..found].chars().rev()) && !continues_word(text[end..].chars()));
        if alone {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
            out.push_str(&text[copied..found]);
            out.push_str(MASK);
            copied = end;
        }
        from = if alone { end } else { found + secret.chars().next().map_or(1, char::len_utf8) };
    }
    out.map(|mut out| {
        out.push_str(&text[copied..]);
        out
    })
}

/// Whether the characters next to a match (walking away from it) make it part of a longer
/// word: a letter, a digit or one of `-_~+%`, or a `.` or `:` with a letter or digit beyond
/// it (`127.0.0.1`, `1:2`), but not a full stop or colon that ends a sentence.
fn continues_word(mut next: impl Iterator<Item = char>) -> bool {
    match next.next() {
        Some(c) if c.is_alphanumeric() || "-_~+%".contains(c) => true,
        Some('.' | ':') => next.next().is_some_and(char::is_alphanumeric),
        _ => false,
    }
}
