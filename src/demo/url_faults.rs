//! Faults asked for in the endpoint URL's query, so two connections to one server can
//! differ:
//!
//! - `?delay_ms=N` delays everything the connection sends (its notifications among them) by
//!   N ms, and every HTTP answer as long;
//! - `?drop_every=K` drops every K-th notification of each subscription;
//! - `?disconnect_after_ms=N` drops the connection (TCP, no close frame) N ms after it
//!   opens, every time, so a client's reconnect and what it does about the gap are exercised;
//! - `?getlogs_max_range=N` refuses an `eth_getLogs` spanning more than N blocks (over HTTP
//!   and WebSocket) with BlockPI's error, `-32602 eth_getLogs is limited to N block range`,
//!   as a provider's plan does;
//! - `?http_429_every=K` answers every K-th HTTP request `429 Too Many Requests` with
//!   `Retry-After: 1`, counted per server and per query string, so a client's retry is
//!   exercised deterministically.
//!
//! A value the demo cannot use refuses the handshake (or the HTTP request) with HTTP 400 and
//! a body that says why, so a typo never passes for a fault that is not there. Other names
//! are left alone: the demo stands in for providers whose URLs carry keys and options in the
//! query (`?api-key=…`).

use std::time::Duration;

use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

use crate::demo::fault::MAX_DELAY_MS;

/// The faults a connection's URL asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct UrlFaults {
    /// Added to everything the connection sends.
    pub(crate) delay: Duration,
    /// Every this-many-th notification of each subscription is not sent.
    pub(crate) drop_every: Option<u64>,
    /// The most blocks one `eth_getLogs` may span.
    pub(crate) getlogs_max_range: Option<u64>,
    /// Every this-many-th HTTP request is answered 429.
    pub(crate) http_429_every: Option<u64>,
    /// The connection is dropped this long after it opens.
    pub(crate) disconnect_after: Option<Duration>,
}

/// The longest `disconnect_after_ms`: a day.
const MAX_DISCONNECT_MS: u64 = 86_400_000;

/// Reads the query of a request target (`/?delay_ms=200&drop_every=5`).
pub(crate) fn parse(query: Option<&str>) -> Result<UrlFaults, String> {
    let mut faults = UrlFaults::default();
    for pair in query.unwrap_or_default().split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "delay_ms" => {
                let ms = number(name, value, 0, MAX_DELAY_MS)?;
                faults.delay = Duration::from_millis(ms);
            }
            "drop_every" => faults.drop_every = Some(number(name, value, 1, u64::MAX)?),
            "getlogs_max_range" => faults.getlogs_max_range = Some(number(name, value, 1, u64::MAX)?),
            "http_429_every" => faults.http_429_every = Some(number(name, value, 1, u64::MAX)?),
            "disconnect_after_ms" => {
                faults.disconnect_after =
                    Some(Duration::from_millis(number(name, value, 1, MAX_DISCONNECT_MS)?));
            }
            _ => {} // a provider's parameter (a key, an option): not the demo's business
        }
    }
    Ok(faults)
}

/// A whole number from `min` to `max`.
fn number(name: &str, value: &str, min: u64, max: u64) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(number) if (min..=max).contains(&number) => Ok(number),
        _ => Err(format!("{name} must be a whole number from {min} to {max}, got {:?}", shorten(value))),
    }
}

/// At most 40 characters of what the client sent, for the error body.
fn shorten(text: &str) -> &str {
    text.char_indices().nth(40).map_or(text, |(at, _)| &text[..at])
}

/// The handshake callback: reads the faults into `into`, or refuses with 400.
#[expect(clippy::result_large_err, reason = "the signature tungstenite's handshake callback has")]
pub(crate) fn read_faults(
    into: &mut UrlFaults,
) -> impl FnOnce(&Request, Response) -> Result<Response, ErrorResponse> + '_ {
    move |request, response| match parse(request.uri().query()) {
        Ok(faults) => {
            *into = faults;
            Ok(response)
        }
        Err(message) => Err(bad_query(&message)),
    }
}

/// The 400 refusing a query the demo cannot use.
pub(crate) fn bad_query(message: &str) -> ErrorResponse {
    let mut refusal = ErrorResponse::new(Some(format!("demo server: {message}\n")));
    *refusal.status_mut() = StatusCode::BAD_REQUEST;
    refusal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_and_drops_are_read_from_the_query() {
        assert_eq!(parse(None), Ok(UrlFaults::default()));
        assert_eq!(parse(Some("")), Ok(UrlFaults::default()));
        assert_eq!(
            parse(Some("delay_ms=200&drop_every=5")),
            Ok(UrlFaults { delay: Duration::from_millis(200), drop_every: Some(5), ..UrlFaults::default() })
        );
        assert_eq!(
            parse(Some("getlogs_max_range=100&http_429_every=3")),
            Ok(UrlFaults { getlogs_max_range: Some(100), http_429_every: Some(3), ..UrlFaults::default() })
        );
        assert_eq!(parse(Some("drop_every=1")).map(|faults| faults.drop_every), Ok(Some(1)));
        assert_eq!(
            parse(Some("api-key=abc&delay=7")),
            Ok(UrlFaults::default()),
            "other names are left alone"
        );
    }

    #[test]
    fn bad_values_say_what_is_wrong() {
        for (query, says) in [
            ("delay_ms=abc", "delay_ms must be a whole number from 0 to 60000, got \"abc\""),
            ("delay_ms=60001", "from 0 to 60000"),
            ("delay_ms=-1", "got \"-1\""),
            ("drop_every=0", "drop_every must be a whole number from 1 to"),
            ("drop_every", "got \"\""),
            ("getlogs_max_range=0", "getlogs_max_range must be a whole number from 1 to"),
            ("http_429_every=x", "http_429_every must be a whole number from 1 to"),
        ] {
            match parse(Some(query)) {
                Ok(faults) => panic!("{query} gave {faults:?}"),
                Err(message) => assert!(message.contains(says), "{query}: {message}"),
            }
        }
    }
}
