//! The HTTP JSON-RPC side of an endpoint: where it is ([`rpc_url_for`]) and a client for it
//! ([`RpcClient`]), the ground for backfilling what a WebSocket gap lost.
//!
//! The client sends one JSON-RPC request per HTTP/1.1 POST (hyper, rustls on ring with the
//! webpki roots, as the WebSocket side). Each request has a timeout; clones share a bound on
//! the requests in flight; a rate limit (HTTP 429, or a JSON-RPC error saying so) is retried
//! after the [`Backoff`] delay or the server's `Retry-After` (capped), a bounded number of
//! times. User info in the URL is sent as Basic auth. Errors come back typed
//! ([`RpcCallError`]) with the endpoint's secrets removed; the URL is only ever shown
//! redacted. [`RpcClient::get_logs`] splits an `eth_getLogs` range the provider refuses.

mod blocks;
mod error;
mod logs;
mod solana;
mod url;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::{Request, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

pub use blocks::{BlockHeader, quantity};
pub use error::RpcCallError;
pub use solana::{MAX_BLOCKS_RANGE, MAX_SIGNATURES_PAGE, SignatureInfo};
pub use url::{rpc_url_for, rpc_url_with};

use crate::backoff::{Backoff, ReconnectPolicy};
use crate::redact::{API_KEY_PLACEHOLDER, Secret, Secrets, place_key, redact_url};

/// How a client talks to one endpoint.
#[derive(Clone)]
pub struct RpcConfig {
    /// The HTTP(S) URL, possibly with an `{api_key}` placeholder and user info.
    pub url: String,
    /// The key placed at the placeholder.
    pub api_key: Option<Secret>,
    /// How long one request may take, connecting and reading the whole answer included
    /// (waiting for a turn among the requests in flight is not counted).
    pub timeout: Duration,
    /// The most requests in flight at once, over all clones of the client.
    pub max_in_flight: usize,
    /// The most times one call is sent when rate-limited (the first try included).
    pub max_tries: u32,
    /// The delays between tries when the server does not say (`Retry-After`).
    pub backoff: ReconnectPolicy,
    /// The longest `Retry-After` honoured; a longer one waits this long.
    pub max_retry_after: Duration,
    /// The largest answer accepted, in bytes.
    pub max_response_bytes: usize,
    /// The most requests one [`RpcClient::get_logs`] may make while splitting its range.
    pub max_log_requests: usize,
}

impl RpcConfig {
    /// Defaults: 30 s per request, 4 in flight, 5 tries 250 ms apart doubling to 10 s,
    /// `Retry-After` up to 30 s, answers up to 256 MiB, 1,000 `eth_getLogs` requests.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            api_key: None,
            timeout: Duration::from_secs(30),
            max_in_flight: 4,
            max_tries: 5,
            backoff: ReconnectPolicy {
                enabled: true,
                initial: Duration::from_millis(250),
                max: Duration::from_secs(10),
            },
            max_retry_after: Duration::from_secs(30),
            max_response_bytes: 256 << 20,
            max_log_requests: 1000,
        }
    }

    /// Every secret the URL and key hold, as the WebSocket side counts them.
    fn secrets(&self) -> Secrets {
        Secrets::of_endpoint(&self.url, self.api_key.as_ref(), &[])
    }
}

impl std::fmt::Debug for RpcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcConfig")
            .field("url", &redact_url(&self.url))
            .field("api_key", &self.api_key)
            .field("timeout", &self.timeout)
            .field("max_in_flight", &self.max_in_flight)
            .field("max_tries", &self.max_tries)
            .finish_non_exhaustive()
    }
}

/// What a client has done so far, over all its clones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RpcStats {
    /// HTTP requests sent (tries included).
    pub requests: u64,
    /// Tries repeated after a rate limit.
    pub retries: u64,
}

/// An HTTP JSON-RPC client for one endpoint; clones share its connections and its bound on
/// requests in flight. Its `Debug` shows the URL redacted.
#[derive(Clone)]
pub struct RpcClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: RpcConfig,
    uri: Uri,
    authorization: Option<HeaderValue>,
    secrets: Secrets,
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    in_flight: Semaphore,
    next_id: AtomicU64,
    requests: AtomicU64,
    retries: AtomicU64,
}

impl std::fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcClient").field("url", &redact_url(&self.inner.config.url)).finish_non_exhaustive()
    }
}

impl RpcClient {
    /// A client for `config.url` (`http://` or `https://`). Fails when the URL lacks its key
    /// or is not a URL; the error holds no secret.
    pub fn new(config: RpcConfig) -> Result<Self, RpcCallError> {
        let secrets = config.secrets();
        let key = config.api_key.as_ref().filter(|key| !key.is_empty());
        if config.url.contains(API_KEY_PLACEHOLDER) && key.is_none() {
            return Err(RpcCallError::NeedsKey);
        }
        let placed = place_key(config.url.trim(), key);
        let (url, credentials) = crate::redact::user_info::take_user_info(&placed).unwrap_or((placed, None));
        let scheme_ok = ["http://", "https://"]
            .iter()
            .any(|scheme| url.get(..scheme.len()).is_some_and(|start| start.eq_ignore_ascii_case(scheme)));
        if !scheme_ok {
            return Err(RpcCallError::Url(
                secrets.scrub(&format!("{} is not http:// or https://", redact_url(&url))),
            ));
        }
        let uri: Uri = url.parse().map_err(|err: hyper::http::uri::InvalidUri| {
            RpcCallError::Url(secrets.scrub(&err.to_string()))
        })?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(Arc::new(rustls::crypto::ring::default_provider()))
            .map_err(|err| RpcCallError::Transport(format!("TLS setup: {err}")))?
            .https_or_http()
            .enable_http1()
            .build();
        let http = Client::builder(TokioExecutor::new()).build(connector);
        let in_flight = Semaphore::new(config.max_in_flight.max(1));
        let inner = Inner {
            authorization: credentials.map(|credentials| credentials.header()),
            config,
            uri,
            secrets,
            http,
            in_flight,
            next_id: AtomicU64::new(1),
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// The URL with its secrets masked, to show.
    pub fn display_url(&self) -> String {
        redact_url(&self.inner.config.url)
    }

    /// Requests sent and retried so far.
    pub fn stats(&self) -> RpcStats {
        RpcStats {
            requests: self.inner.requests.load(Ordering::Relaxed),
            retries: self.inner.retries.load(Ordering::Relaxed),
        }
    }

    fn config(&self) -> &RpcConfig {
        &self.inner.config
    }

    /// Calls `method` with `params` and returns its `result`. A rate limit, a timeout, a failed
    /// connection or a briefly unavailable gateway ([`RpcCallError::is_transient`]) is retried
    /// up to [`RpcConfig::max_tries`] tries; any other error is returned at once.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, RpcCallError> {
        let raw = self.call_raw(method, params).await?;
        serde_json::from_str(raw.get()).map_err(|err| RpcCallError::NotJson(err.to_string()))
    }

    /// [`Self::call`], with the `result` exactly as the server wrote it: what a recovered
    /// event keeps, so that subscope never rewrites what a server sent.
    pub async fn call_raw(&self, method: &str, params: Value) -> Result<Box<RawValue>, RpcCallError> {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let body =
            Bytes::from(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string());
        self.with_retries(body, answer_of).await
    }

    /// `method` once per entry of `params`, in one JSON-RPC batch (one HTTP request): each
    /// `result` as the server wrote it, or its own error, in the order of `params`. The whole
    /// batch is retried as [`Self::call`] is; a server that refuses batches (an error for
    /// the whole, or an answer that is not a list) fails it, and the caller asks one by one.
    pub async fn batch_raw(
        &self,
        method: &str,
        params: &[Value],
    ) -> Result<Vec<Result<Box<RawValue>, RpcCallError>>, RpcCallError> {
        let first = self.inner.next_id.fetch_add(params.len() as u64, Ordering::Relaxed);
        let requests: Vec<Value> = params
            .iter()
            .zip(first..)
            .map(|(params, id)| json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .collect();
        let body = Bytes::from(Value::Array(requests).to_string());
        let count = params.len() as u64;
        let answers =
            self.with_retries(body, |status, body| batch_answer_of(status, body, first, count)).await?;
        let secrets = &self.inner.secrets;
        Ok(answers.into_iter().map(|answer| answer.map_err(|err| err.scrubbed(secrets))).collect())
    }

    /// Sends `body` until `parse` accepts the answer, a non-transient error comes, or the
    /// tries run out (see [`Self::call`]).
    async fn with_retries<T>(
        &self,
        body: Bytes,
        parse: impl Fn(u16, &[u8]) -> Result<T, RpcCallError>,
    ) -> Result<T, RpcCallError> {
        let mut backoff = Backoff::new(self.config().backoff.clone());
        let mut tries = 1;
        loop {
            let (answer, retry_after) = self.send_once(body.clone()).await;
            let err = match answer.and_then(|(status, bytes)| parse(status, &bytes)) {
                Ok(result) => return Ok(result),
                Err(err) => err.scrubbed(&self.inner.secrets),
            };
            if !err.is_transient() || tries >= self.config().max_tries {
                return Err(err);
            }
            let (_, delay) = backoff.next_delay();
            let delay = retry_after.map_or(delay, |asked| asked.min(self.config().max_retry_after));
            tokio::time::sleep(delay).await;
            tries += 1;
            self.inner.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One POST under the timeout, once a turn among the requests in flight is free; with the
    /// server's `Retry-After` when it gave one in seconds.
    async fn send_once(&self, body: Bytes) -> (Result<(u16, Bytes), RpcCallError>, Option<Duration>) {
        // The semaphore is never closed; without a permit the request goes unbounded.
        let _permit = self.inner.in_flight.acquire().await.ok();
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let timeout = self.config().timeout;
        match tokio::time::timeout(timeout, self.post(body)).await {
            Ok(answer) => answer,
            Err(_) => (Err(RpcCallError::Timeout { after: timeout }), None),
        }
    }

    async fn post(&self, body: Bytes) -> (Result<(u16, Bytes), RpcCallError>, Option<Duration>) {
        let mut request = Request::post(self.inner.uri.clone()).header(CONTENT_TYPE, "application/json");
        if let Some(authorization) = &self.inner.authorization {
            request = request.header(AUTHORIZATION, authorization.clone());
        }
        let request = match request.body(Full::new(body)) {
            Ok(request) => request,
            Err(err) => return (Err(RpcCallError::Url(err.to_string())), None),
        };
        let response = match self.inner.http.request(request).await {
            Ok(response) => response,
            Err(err) => return (Err(RpcCallError::Transport(error_chain(&err))), None),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let limited = Limited::new(response.into_body(), self.config().max_response_bytes);
        let bytes = match limited.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(err) => {
                return (Err(RpcCallError::Transport(format!("reading the answer: {err}"))), retry_after);
            }
        };
        (Ok((status.as_u16(), bytes)), retry_after)
    }
}

/// The answers of a batch of `count` requests with ids `first..`, in that order; an answer
/// missing from the batch is an error of its own.
fn batch_answer_of(
    status: u16,
    body: &[u8],
    first: u64,
    count: u64,
) -> Result<Vec<Result<Box<RawValue>, RpcCallError>>, RpcCallError> {
    let Ok(answers) = serde_json::from_slice::<Vec<Box<RawValue>>>(body) else {
        // Not a list: an error for the whole batch (a rate limit, a refusal), or garbage.
        return answer_of(status, body)
            .and_then(|_| Err(RpcCallError::NotJson("a batch answered with one object".into())));
    };
    if !(200..300).contains(&status) {
        return Err(RpcCallError::Http { status, body: error::short(&String::from_utf8_lossy(body)) });
    }
    let mut ordered: Vec<Option<Result<Box<RawValue>, RpcCallError>>> = (0..count).map(|_| None).collect();
    for answer in answers {
        #[derive(serde::Deserialize)]
        struct Id {
            id: Option<u64>,
        }
        let id = serde_json::from_str::<Id>(answer.get()).ok().and_then(|id| id.id);
        let slot = id.and_then(|id| id.checked_sub(first)).filter(|at| *at < count);
        if let Some(at) = slot {
            ordered[at as usize] = Some(answer_of(200, answer.get().as_bytes()));
        }
    }
    Ok(ordered
        .into_iter()
        .map(|answer| answer.unwrap_or_else(|| Err(RpcCallError::NotJson("no answer in the batch".into()))))
        .collect())
}

/// A JSON-RPC answer's members that matter, the result unparsed.
#[derive(serde::Deserialize)]
struct Answer {
    #[serde(default, deserialize_with = "present")]
    result: Option<Box<RawValue>>,
    #[serde(default)]
    error: Option<Value>,
}

/// Deserializes a member that is present (even as `null`) into `Some`.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Box<RawValue>>, D::Error> {
    serde::Deserialize::deserialize(deserializer).map(Some)
}

/// The `result` of a JSON-RPC answer as the server wrote it, or its error; a JSON-RPC error
/// wins over the HTTP status it came with (providers send rate limits and refused ranges with
/// 4xx statuses).
fn answer_of(status: u16, body: &[u8]) -> Result<Box<RawValue>, RpcCallError> {
    let text = || error::short(&String::from_utf8_lossy(body));
    let parsed: Option<Answer> = serde_json::from_slice(body).ok();
    if let Some(error) = parsed.as_ref().and_then(|answer| answer.error.as_ref()).filter(|e| !e.is_null()) {
        return Err(RpcCallError::Rpc {
            code: error.get("code").and_then(Value::as_i64).unwrap_or_default(),
            message: error.get("message").and_then(Value::as_str).unwrap_or_default().to_owned(),
            data: error.get("data").cloned(),
        });
    }
    if !(200..300).contains(&status) {
        return Err(RpcCallError::Http { status, body: text() });
    }
    match parsed.and_then(|answer| answer.result) {
        Some(result) => Ok(result),
        None => Err(RpcCallError::NotJson(text())),
    }
}

/// An error and its causes, `: `-joined (hyper's own says only "client error (Connect)").
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_result_rpc_error_http_error_or_not_json() {
        let result = |body: &[u8]| answer_of(200, body).map(|raw| raw.get().to_owned());
        assert_eq!(result(br#"{"jsonrpc":"2.0","id":1,"result":"0x1"}"#), Ok("\"0x1\"".into()));
        assert_eq!(result(br#"{"jsonrpc":"2.0","id":1,"result":null}"#), Ok("null".into()));
        // The result is kept as written: key order, spacing and number spelling.
        let written = r#"{"b": 1.50, "a":[ 1e3 ]}"#;
        let body = format!(r#"{{"jsonrpc":"2.0","id":1,"result":{written}}}"#);
        assert_eq!(result(body.as_bytes()), Ok(written.into()));
        let error = answer_of(
            429,
            br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"limit","data":{"a":1}}}"#,
        );
        assert_eq!(
            error.err(),
            Some(RpcCallError::Rpc { code: -32005, message: "limit".into(), data: Some(json!({"a": 1})) })
        );
        assert_eq!(
            answer_of(502, b"<html>bad gateway</html>").err(),
            Some(RpcCallError::Http { status: 502, body: "<html>bad gateway</html>".into() })
        );
        assert!(matches!(answer_of(200, b"<html>"), Err(RpcCallError::NotJson(body)) if body == "<html>"));
        assert!(matches!(answer_of(200, b"{\"id\":1}"), Err(RpcCallError::NotJson(_))));
    }

    #[test]
    fn a_batch_answer_is_put_back_in_the_order_asked_whatever_order_it_came_in() {
        let body = br#"[{"jsonrpc":"2.0","id":12,"result":"0xc"},{"jsonrpc":"2.0","id":10,"result": {"a":1}},
            {"jsonrpc":"2.0","id":11,"error":{"code":-32005,"message":"limit exceeded"}}]"#;
        let answers = batch_answer_of(200, body, 10, 4).unwrap_or_default();
        let shown: Vec<Result<String, bool>> = answers
            .iter()
            .map(|answer| answer.as_ref().map(|raw| raw.get().to_owned()).map_err(RpcCallError::is_transient))
            .collect();
        assert_eq!(shown, [Ok(r#"{"a":1}"#.into()), Err(true), Ok(r#""0xc""#.into()), Err(false)]);
        // A batch refused whole, or answered by a gateway, fails as a whole.
        let refused = br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch requests are not supported"}}"#;
        assert!(matches!(batch_answer_of(200, refused, 1, 2), Err(RpcCallError::Rpc { code: -32600, .. })));
        assert!(matches!(
            batch_answer_of(429, b"slow down", 1, 2),
            Err(RpcCallError::Http { status: 429, .. })
        ));
        assert!(matches!(
            batch_answer_of(200, br#"{"jsonrpc":"2.0","id":1,"result":1}"#, 1, 1),
            Err(RpcCallError::NotJson(_))
        ));
    }

    #[test]
    fn a_client_needs_its_key_and_an_http_url() {
        assert_eq!(
            RpcClient::new(RpcConfig::new("https://x.example/v2/{api_key}")).err(),
            Some(RpcCallError::NeedsKey)
        );
        let err = RpcClient::new(RpcConfig::new("wss://x.example/v2/s3cr3tk3yABCDEF123456")).err();
        let text = err.map(|err| err.to_string()).unwrap_or_default();
        assert!(text.contains("not http") && !text.contains("s3cr3tk3y"), "{text}");
    }
}
