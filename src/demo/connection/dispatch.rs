//! Answering what a client sends: text frames, batches and single requests, in either
//! dialect, with the demo's methods dispatched by the names the catalogue gives them.

use std::sync::Arc;

use serde_json::Value;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::outbox::{After, Outgoing};
use super::{Connection, Flow};
use crate::catalog::{ETH_SUBSCRIBE, ETH_UNSUBSCRIBE, MethodSpec};
use crate::demo::ethereum::{self, EthKind, EthSub};
use crate::demo::rpc::{self, Dialect, RpcError};
use crate::demo::shared::{Acquired, Counters};
use crate::demo::solana::{self, LogsFilter, SolKind};
use crate::demo::{calls, fake, fault};

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
        let shared = Arc::clone(&self.shared);
        let response = rpc::answer_text(
            text,
            || Counters::bump(&shared.stats.requests_received),
            |request| {
                rpc::answer_request(request, |method, params| self.dispatch(method, params, &mut after))
            },
        );
        if let Some(response) = response {
            self.enqueue(Outgoing::Frame(response));
        }
        self.apply_after(after);
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
        match method {
            ETH_SUBSCRIBE => return self.eth_subscribe(params, after),
            ETH_UNSUBSCRIBE => return self.eth_unsubscribe(params),
            _ => {}
        }
        if let Some(parse) = solana::subscribe_parser(method) {
            return self.solana_subscribe(parse(params)?);
        }
        if let Some(spec) = solana::unsubscribed_by(method) {
            return self.solana_unsubscribe(spec, params);
        }
        let shared = Arc::clone(&self.shared);
        match calls::one_off(&shared, self.limits, &mut self.rng, method, params) {
            Some(answer) => answer,
            None if Dialect::of_method(method) == Dialect::Ethereum => Err(ethereum::unknown_method(method)),
            None => Err(RpcError::new(rpc::METHOD_NOT_FOUND, "Method not found")),
        }
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

    /// A Solana subscribe whose params parsed: admit, de-duplicate server-wide, remember;
    /// a key it mentions gets transactions of its own in the ledger from now on.
    fn solana_subscribe(&mut self, kind: SolKind) -> Result<String, RpcError> {
        self.admit_subscription()?;
        let mentioned = match &kind {
            SolKind::Logs { filter: LogsFilter::Mentions(key), .. }
            | SolKind::Block { mentions: Some(key), .. } => Some(key),
            _ => None,
        };
        if let Some(key) = mentioned {
            self.shared.interests.note_key(key, self.shared.clock.slot());
        }
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
        if let EthKind::Logs(filter) = &kind {
            self.shared.interests.note_filter(filter, self.shared.clock.block_tick());
        }
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
