//! Why a JSON-RPC call over HTTP failed, with the endpoint's secrets already removed.

use std::time::Duration;

use serde_json::Value;

use crate::redact::Secrets;

/// The most characters of an HTTP body an error keeps (a proxy's HTML page can be large).
const BODY_SHOWN: usize = 300;

/// Why a call failed. Every text in it went through the endpoint's [`Secrets`], so it may be
/// shown or logged as it is.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RpcCallError {
    /// The URL has an `{api_key}` placeholder and no key was given.
    #[error("the RPC URL needs an API key")]
    NeedsKey,
    /// The URL is not one an HTTP client can use.
    #[error("not a usable RPC URL: {0}")]
    Url(String),
    /// The connection failed (refused, reset, TLS, a name that does not resolve).
    #[error("{0}")]
    Transport(String),
    /// The server answered with an HTTP error status and no JSON-RPC error.
    #[error("HTTP {status}: {body}")]
    Http {
        /// The status code.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The server answered with a JSON-RPC error.
    #[error("JSON-RPC error {code}: {message}")]
    Rpc {
        /// The error's code.
        code: i64,
        /// The error's message.
        message: String,
        /// The error's data, if any.
        data: Option<Value>,
    },
    /// No full answer within the request timeout.
    #[error("no answer within {} ms", after.as_millis())]
    Timeout {
        /// The timeout.
        after: Duration,
    },
    /// The answer is not a JSON-RPC response.
    #[error("not a JSON-RPC answer: {0}")]
    NotJson(String),
    /// A split `eth_getLogs` needed more requests than allowed.
    #[error("eth_getLogs over blocks {from}..={to} needed more than {limit} requests")]
    TooManyRequests {
        /// The range's first block.
        from: u64,
        /// The range's last block.
        to: u64,
        /// The most requests allowed.
        limit: usize,
    },
}

impl RpcCallError {
    /// Whether the server asked to slow down: HTTP 429, or a JSON-RPC error with code
    /// -32005 (unless it refuses a log range), -32029 or 429, or a message saying so.
    pub fn is_rate_limited(&self) -> bool {
        match self {
            Self::Http { status, .. } => *status == 429,
            Self::Rpc { code, message, .. } => {
                let message = message.to_ascii_lowercase();
                let said = message.contains("rate limit")
                    || message.contains("too many requests")
                    || message.contains("rate exceeded");
                said || matches!(code, -32029 | 429) || (*code == -32005 && !self.is_range_too_large())
            }
            _ => false,
        }
    }

    /// Whether trying again later may succeed: a rate limit, a timeout, a connection that
    /// failed, or a gateway or node that is briefly unavailable (HTTP 502, 503, 504).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Http { status, .. } => matches!(status, 429 | 502..=504),
            Self::Transport(_) | Self::Timeout { .. } => true,
            other => other.is_rate_limited(),
        }
    }

    /// Whether the server refused an `eth_getLogs` range as too large or as holding too many
    /// logs (the messages of Infura, Alchemy, QuickNode, BlockPI and other nodes).
    pub fn is_range_too_large(&self) -> bool {
        let Self::Rpc { message, .. } = self else { return false };
        let message = message.to_ascii_lowercase();
        const SAID: [&str; 10] = [
            "block range",
            "range is too large",
            "range too large",
            "ranges over",
            "query returned more than",
            "max results",
            "response size exceeded",
            "too many logs",
            "more than 10000 results",
            "logs exceed",
        ];
        SAID.iter().any(|said| message.contains(said))
    }

    /// The error with every secret removed from its texts.
    pub(super) fn scrubbed(self, secrets: &Secrets) -> Self {
        match self {
            Self::Url(text) => Self::Url(secrets.scrub(&text)),
            Self::Transport(text) => Self::Transport(secrets.scrub(&text)),
            Self::Http { status, body } => Self::Http { status, body: short(&secrets.scrub(&body)) },
            Self::Rpc { code, message, data } => Self::Rpc {
                code,
                message: secrets.scrub(&message),
                data: data.map(|data| {
                    let text = secrets.scrub(&data.to_string());
                    serde_json::from_str(&text).unwrap_or(Value::String(text))
                }),
            },
            Self::NotJson(body) => Self::NotJson(short(&secrets.scrub(&body))),
            other @ (Self::NeedsKey | Self::Timeout { .. } | Self::TooManyRequests { .. }) => other,
        }
    }
}

/// At most [`BODY_SHOWN`] characters of a text, trimmed, with `…` when cut.
pub(super) fn short(text: &str) -> String {
    crate::human::truncate(text.trim(), BODY_SHOWN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rpc(code: i64, message: &str) -> RpcCallError {
        RpcCallError::Rpc { code, message: message.to_owned(), data: None }
    }

    #[test]
    fn rate_limits_are_told_apart_from_refused_ranges() {
        assert!(RpcCallError::Http { status: 429, body: String::new() }.is_rate_limited());
        assert!(!RpcCallError::Http { status: 500, body: String::new() }.is_rate_limited());
        assert!(rpc(-32005, "project ID request rate exceeded").is_rate_limited());
        assert!(rpc(-32029, "slow down").is_rate_limited());
        assert!(rpc(429, "Too Many Requests").is_rate_limited());
        assert!(rpc(-32000, "You've exceeded the rate limit").is_rate_limited());
        let infura =
            rpc(-32005, "query returned more than 10000 results. Try with this block range [0x1, 0x2].");
        assert!(infura.is_range_too_large() && !infura.is_rate_limited());
        assert!(!rpc(-32602, "invalid argument 0: hex string without 0x prefix").is_range_too_large());
        assert!(!rpc(-32601, "the method does not exist").is_rate_limited());
    }

    #[test]
    fn long_bodies_are_cut_at_a_character() {
        let body = "é".repeat(400);
        let cut = short(&body);
        assert!(cut.chars().count() == BODY_SHOWN + 1 && cut.ends_with('…'), "{}", cut.chars().count());
        assert_eq!(short("  short  "), "short");
    }
}
