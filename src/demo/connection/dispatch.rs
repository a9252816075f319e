//! Answering what a client sends: text frames, batches and single requests, in either
//! dialect, with the demo's methods dispatched by the names the catalogue gives them.

use serde_json::Value;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::outbox::{After, Outgoing};
use super::{Connection, Flow};
use crate::catalog::{ETH_SUBSCRIBE, ETH_UNSUBSCRIBE, GETH_MAX_BATCH_ITEMS, MethodSpec};
use crate::demo::ethereum::{self, BlockRef, EthSub};
use crate::demo::rpc::{self, Dialect, RpcError};
use crate::demo::shared::{Acquired, Counters};
use crate::demo::solana::{self, SolKind};
use crate::demo::{fake, fault};

impl Connection {
    /// Handles one inbound WebSocket message.
    pub(super) fn on_message(&mut self, message: Option<Result<Message, WsError>>) -> Flow {
        let Some(Ok(message)) = message else {
            return Flow::End;
        };
        match message {
            Message::Text(text) => self.on_text(text.as_str()),
            Message::Binary(data) => match std::str::from_utf8(&data) {
                Ok(text) => self.on_text(text),
                // Agave closes the connection without replying to non-UTF-8 data.
                Err(_) => return Flow::End,
            },
            // Pings are answered by tungstenite; a close is answered and ends the next read.
            Message::Ping(_) | Message::Pong(_) | Message::Close(_) | Message::Frame(_) => {}
        }
        if self.lagged { Flow::End } else { Flow::Continue }
    }

    /// Handles one text frame: a request, a batch, or garbage.
    fn on_text(&mut self, text: &str) {
        let mut after = Vec::new();
        let response = match serde_json::from_str::<Value>(text) {
            Err(_) => {
                Counters::bump(&self.shared.stats.requests_received);
                Some(rpc::parse_error())
            }
            Ok(Value::Array(items)) => self.on_batch(&items, &mut after),
            Ok(request) => {
                Counters::bump(&self.shared.stats.requests_received);
                self.on_request(&request, &mut after)
            }
        };
        if let Some(response) = response {
            self.enqueue(Outgoing::Frame(response));
        }
        self.apply_after(after);
    }

    /// Answers a batch with one array (or nothing if it held only notifications).
    fn on_batch(&mut self, items: &[Value], after: &mut Vec<After>) -> Option<String> {
        let invalid = |message: &str| {
            Some(rpc::failure(Dialect::Solana, &Value::Null, &RpcError::new(rpc::INVALID_REQUEST, message)))
        };
        if items.is_empty() {
            Counters::bump(&self.shared.stats.requests_received);
            return invalid("Invalid request");
        }
        if items.len() > GETH_MAX_BATCH_ITEMS {
            Counters::bump(&self.shared.stats.requests_received);
            return invalid("batch too large");
        }
        let mut responses = Vec::with_capacity(items.len());
        for item in items {
            Counters::bump(&self.shared.stats.requests_received);
            if let Some(response) = self.on_request(item, after) {
                responses.push(response);
            }
        }
        (!responses.is_empty()).then(|| format!("[{}]", responses.join(",")))
    }

    /// Answers one request object; `None` for a notification (no `id`).
    fn on_request(&mut self, request: &Value, after: &mut Vec<After>) -> Option<String> {
        let invalid_request = |dialect, id: &Value| {
            rpc::failure(dialect, id, &RpcError::new(rpc::INVALID_REQUEST, "Invalid request"))
        };
        let Value::Object(map) = request else {
            return Some(invalid_request(Dialect::Solana, &Value::Null));
        };
        let method = map.get("method").and_then(Value::as_str);
        let dialect = method.map_or(Dialect::Solana, Dialect::of_method);
        let id = match map.get("id") {
            None => None,
            Some(id @ (Value::Null | Value::Number(_) | Value::String(_))) => Some(id.clone()),
            Some(_) => return Some(invalid_request(dialect, &Value::Null)),
        };
        let reply_id = id.clone().unwrap_or(Value::Null);
        if map.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Some(match dialect {
                Dialect::Solana => rpc::unsupported_version(&reply_id),
                Dialect::Ethereum => invalid_request(dialect, &reply_id),
            });
        }
        let Some(method) = method else {
            return Some(invalid_request(dialect, &reply_id));
        };
        let params: &[Value] = match map.get("params") {
            None | Some(Value::Null) => &[],
            Some(Value::Array(params)) => params,
            Some(Value::Object(_)) => {
                let error =
                    RpcError::invalid_params("Invalid params: invalid type: map, expected a sequence.");
                return id.map(|id| rpc::failure(dialect, &id, &error));
            }
            Some(_) => return Some(invalid_request(dialect, &reply_id)),
        };
        let result = self.dispatch(method, params, after);
        let id = id?;
        Some(match result {
            Ok(result) => rpc::success(dialect, &id, &result),
            Err(error) => rpc::failure(dialect, &id, &error),
        })
    }

    /// Runs one method; the result is JSON.
    fn dispatch(
        &mut self,
        method: &str,
        params: &[Value],
        after: &mut Vec<After>,
    ) -> Result<String, RpcError> {
        if method == fault::FAULT_METHOD {
            return self.fault_request(params, after);
        }
        if Dialect::of_method(method) == Dialect::Ethereum {
            return match method {
                ETH_SUBSCRIBE => self.eth_subscribe(params, after),
                ETH_UNSUBSCRIBE => self.eth_unsubscribe(params),
                _ => {
                    let head = BlockRef::at_tick(self.shared.clock.block_tick()).number;
                    ethereum::one_off(method, head, &mut self.rng)
                        .ok_or_else(|| ethereum::unknown_method(method))
                }
            };
        }
        if let Some(parse) = solana::subscribe_parser(method) {
            return self.solana_subscribe(parse(params)?);
        }
        if let Some(spec) = solana::unsubscribed_by(method) {
            return self.solana_unsubscribe(spec, params);
        }
        solana::one_off(method, params, self.shared.clock.slot())
            .ok_or_else(|| RpcError::new(rpc::METHOD_NOT_FOUND, "Method not found"))
    }

    /// The `refuse` fault and the per-connection cap, checked by every subscribe.
    fn admit_subscription(&mut self) -> Result<(), RpcError> {
        let refused = || RpcError::new(rpc::INTERNAL_ERROR, rpc::SUBSCRIPTION_REFUSED);
        if self.refuse_next {
            self.refuse_next = false;
            return Err(refused());
        }
        if self.solana.len() + self.ethereum.len() >= self.shared.max_subscriptions_per_connection {
            return Err(refused());
        }
        Ok(())
    }

    /// A Solana subscribe whose params parsed: admit, de-duplicate server-wide, remember.
    fn solana_subscribe(&mut self, kind: SolKind) -> Result<String, RpcError> {
        self.admit_subscription()?;
        let key = kind.deduplicated().then(|| format!("{}:{kind:?}", kind.spec().rpc_method));
        let held = &self.solana;
        let id = match self.shared.registry.acquire(key, |id| held.contains_key(&id)) {
            Acquired::Id(id) => id,
            Acquired::Refused => {
                return Err(RpcError::new(rpc::INTERNAL_ERROR, rpc::SUBSCRIPTION_REFUSED));
            }
        };
        self.solana.insert(id, kind);
        Counters::bump(&self.shared.stats.subscriptions_created);
        Ok(id.to_string())
    }

    /// The unsubscribe method of `spec`: true, or "Invalid subscription id." for ids this
    /// connection does not hold as subscriptions of that method.
    fn solana_unsubscribe(&mut self, spec: &MethodSpec, params: &[Value]) -> Result<String, RpcError> {
        let id = solana::parse_unsubscribe(params)?;
        match self.solana.get(&id) {
            Some(kind) if kind.spec().id == spec.id => {
                self.solana.remove(&id);
                self.shared.registry.release(id);
                Ok("true".to_owned())
            }
            _ => Err(RpcError::invalid_params(rpc::INVALID_SUBSCRIPTION_ID)),
        }
    }

    /// `eth_subscribe`: validate, create a random id, remember.
    fn eth_subscribe(&mut self, params: &[Value], after: &mut Vec<After>) -> Result<String, RpcError> {
        let kind = ethereum::parse_subscribe(params)?;
        self.admit_subscription()?;
        let sub = EthSub::new(kind, &mut self.rng);
        let id = sub.id.clone();
        if let Some(frame) = ethereum::syncing_notification(&sub) {
            after.push(After::Send(Outgoing::Frame(frame)));
        }
        self.ethereum.push(sub);
        Counters::bump(&self.shared.stats.subscriptions_created);
        Ok(fake::json_str(&id))
    }

    /// `eth_unsubscribe`: true if the id existed on this connection, else false (as anvil).
    fn eth_unsubscribe(&mut self, params: &[Value]) -> Result<String, RpcError> {
        let id = ethereum::parse_unsubscribe(params)?;
        let before = self.ethereum.len();
        self.ethereum.retain(|sub| !sub.id.eq_ignore_ascii_case(id));
        Ok((self.ethereum.len() < before).to_string())
    }
}
