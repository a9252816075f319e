//! The demo's JSON-RPC over HTTP, on its WebSocket port (`crate::loopback::http`): the
//! one-off methods of [`super::calls`] answered as a node's HTTP port answers them, with the
//! URL's faults ([`super::url_faults`]: `delay_ms`, `getlogs_max_range`, `http_429_every`)
//! and the server's Basic auth. Subscriptions need a WebSocket: over HTTP, `eth_subscribe`
//! gets geth's "notifications not supported" and a Solana subscribe Agave's
//! "Method not found".

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header};

use super::calls;
use super::ethereum::{self, Limits};
use super::rpc::{self, Dialect, RpcError};
use super::shared::{Counters, Shared};
use super::url_faults::{self, UrlFaults};
use crate::catalog::{ETH_SUBSCRIBE, ETH_UNSUBSCRIBE};
use crate::loopback::{HttpRpc, Reply};

/// How many distinct query strings `?http_429_every=` counts for; past it the counts restart.
const MAX_COUNTED_QUERIES: usize = 1024;

/// The demo server's HTTP side.
pub(crate) struct DemoHttp {
    shared: Arc<Shared>,
    /// HTTP requests seen per query string, for `?http_429_every=`.
    requests: Mutex<HashMap<String, u64>>,
}

impl DemoHttp {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared, requests: Mutex::new(HashMap::new()) }
    }

    /// Counts a request with `query`; returns its number (1 for the first).
    fn count(&self, query: &str) -> u64 {
        let mut requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        if requests.len() >= MAX_COUNTED_QUERIES && !requests.contains_key(query) {
            requests.clear();
        }
        let count = requests.entry(query.to_owned()).or_default();
        *count = count.saturating_add(1);
        *count
    }

    /// Answers one method.
    fn call(&self, limits: Limits, method: &str, params: &[Value]) -> Result<String, RpcError> {
        let mut rng = fastrand::Rng::new();
        if let Some(answer) = calls::one_off(&self.shared, limits, &mut rng, method, params) {
            return answer;
        }
        Err(match Dialect::of_method(method) {
            Dialect::Ethereum if method == ETH_SUBSCRIBE || method == ETH_UNSUBSCRIBE => {
                ethereum::notifications_not_supported()
            }
            Dialect::Ethereum => ethereum::unknown_method(method),
            Dialect::Solana => RpcError::new(rpc::METHOD_NOT_FOUND, "Method not found"),
        })
    }
}

/// The URL's faults; a query that does not parse was refused by `check` already.
fn faults(request: &Request) -> UrlFaults {
    url_faults::parse(request.uri().query()).unwrap_or_default()
}

impl HttpRpc for DemoHttp {
    fn check(&self, request: &Request) -> Result<(), ErrorResponse> {
        if let Some(auth) = &self.shared.basic_auth {
            auth.check(request)?;
        }
        let query = request.uri().query();
        let faults = url_faults::parse(query).map_err(|message| url_faults::bad_query(&message))?;
        if let Some(every) = faults.http_429_every
            && self.count(query.unwrap_or_default()).is_multiple_of(every)
        {
            let mut refusal =
                ErrorResponse::new(Some("demo server: too many requests (http_429_every)\n".to_owned()));
            *refusal.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            refusal.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return Err(refusal);
        }
        Ok(())
    }

    fn answer(&self, request: &Request, body: &str) -> Reply {
        let faults = faults(request);
        let limits = Limits { getlogs_max_range: faults.getlogs_max_range };
        let text = rpc::answer_text(
            body,
            || Counters::bump(&self.shared.stats.requests_received),
            |item| rpc::answer_request(item, |method, params| self.call(limits, method, params)),
        );
        Reply { body: text.unwrap_or_default(), delay: faults.delay }
    }
}
