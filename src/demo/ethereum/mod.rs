//! Ethereum `eth_subscribe` (geth / anvil) and Alchemy's enhanced subscriptions: which
//! catalogue kinds the demo serves, their options parsed with geth's error messages
//! (`params.rs`, `errors.rs`), and a deterministic block chain with a reorg every 20 blocks
//! with realistic header, log and transaction payloads (`chain.rs`).

mod chain;
mod errors;
mod params;
mod query;

use serde_json::Value;

use super::fake::{self, hex_random, quantity};
use super::rpc::RpcError;
use crate::catalog::MethodSpec;
use crate::catalog::ethereum as spec;

pub(crate) use chain::{
    BlockCtx, BlockRef, EthLog, TRANSFER_TOPIC, notify_block, notify_mempool, syncing_notification,
};
pub(crate) use errors::unknown_method;
use errors::{invalid_argument, missing_argument, too_many_arguments, unknown_subscription};
use params::{parse_alchemy_mined, parse_alchemy_pending, parse_log_filter, parse_logs, parse_pending};
pub(crate) use query::{Limits, notifications_not_supported, query};

/// The demo chain id (31337, the well-known local development chain, as anvil reports).
pub(crate) const CHAIN_ID: u64 = 0x7a69;

/// A logs filter: which addresses, and per topic position the allowed values (`None` = any).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct LogFilter {
    /// Matching contract addresses (empty = any), lowercase.
    addresses: Vec<String>,
    /// Per position: `None` for a wildcard, else the alternatives, lowercase.
    topics: Vec<Option<Vec<String>>>,
}

impl LogFilter {
    /// Whether a log of `address` with `topics` matches: its address is listed (or none is),
    /// and each topic position asked for holds one of the alternatives.
    pub(crate) fn matches(&self, log: &EthLog) -> bool {
        self.matches_parts(&log.address, &log.topics)
    }

    /// [`LogFilter::matches`] for a log's address and topics, lowercase.
    pub(crate) fn matches_parts(&self, address: &str, topics: &[String]) -> bool {
        let address = self.addresses.is_empty() || self.addresses.iter().any(|wanted| wanted == address);
        address
            && self.topics.iter().enumerate().all(|(position, wanted)| match wanted {
                None => true,
                Some(alternatives) => topics.get(position).is_some_and(|topic| alternatives.contains(topic)),
            })
    }

    /// Whether every log `narrower` matches is one this filter matches too.
    pub(crate) fn covers(&self, narrower: &Self) -> bool {
        let addresses = self.addresses.is_empty()
            || (!narrower.addresses.is_empty()
                && narrower.addresses.iter().all(|a| self.addresses.contains(a)));
        addresses
            && self.topics.iter().enumerate().all(|(position, wanted)| match wanted {
                None => true,
                Some(alternatives) => narrower
                    .topics
                    .get(position)
                    .and_then(Option::as_ref)
                    .is_some_and(|narrow| narrow.iter().all(|topic| alternatives.contains(topic))),
            })
    }

    /// An `eth_getLogs` or `logs` filter object's address and topics, as geth reads them
    /// (the block range is not looked at).
    ///
    /// # Errors
    /// geth's message for a bad address or topic.
    pub(crate) fn parse(criteria: &serde_json::Map<String, Value>) -> Result<Self, RpcError> {
        parse_log_filter(criteria)
    }

    /// Whether every log matches (no address and no topic asked for).
    pub(crate) fn matches_everything(&self) -> bool {
        self.addresses.is_empty() && self.topics.iter().all(Option::is_none)
    }

    /// A number that tells this filter from others, the same in every run (it seeds the
    /// filter's own events).
    pub(crate) fn key(&self) -> u64 {
        use std::hash::{DefaultHasher, Hash as _, Hasher as _};
        let mut hasher = DefaultHasher::new(); // fixed keys: the same in every connection
        self.hash(&mut hasher);
        hasher.finish()
    }
}

/// Alchemy address criteria: a transaction matches when its `from` or `to` is listed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct AddressFilter {
    /// Allowed senders (empty = any).
    from: Vec<String>,
    /// Allowed recipients (empty = any).
    to: Vec<String>,
}

/// One Ethereum subscription kind with its parameters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum EthKind {
    /// `newHeads`.
    NewHeads,
    /// `logs` with a filter.
    Logs(LogFilter),
    /// `newPendingTransactions`; full objects when true.
    PendingTransactions {
        /// Whether full transaction objects are sent instead of hashes.
        full: bool,
    },
    /// `syncing`: one `false` right after subscribing.
    Syncing,
    /// `alchemy_pendingTransactions`.
    AlchemyPending {
        /// The address criteria.
        addresses: AddressFilter,
        /// Hashes instead of objects.
        hashes_only: bool,
    },
    /// `alchemy_minedTransactions`.
    AlchemyMined {
        /// The address criteria.
        addresses: AddressFilter,
        /// Whether transactions of reorged-out blocks are re-sent with `removed: true`.
        include_removed: bool,
        /// `{hash}` instead of full objects.
        hashes_only: bool,
    },
}

/// One live Ethereum subscription.
pub(crate) struct EthSub {
    /// The `0x` + 32 hex id.
    pub(crate) id: String,
    /// What it watches.
    pub(crate) kind: EthKind,
    /// The items of the last block, kept so a reorg can re-send them with `removed: true`
    /// (log objects, or mined transaction objects).
    last_block: Vec<String>,
}

impl EthSub {
    /// A new subscription with a random geth-style id.
    pub(crate) fn new(kind: EthKind, rng: &mut fastrand::Rng) -> Self {
        Self { id: hex_random::<16>(rng), kind, last_block: Vec::new() }
    }
}

/// Parses what follows the kind in `eth_subscribe` params: the option, if any.
type Parser = fn(Option<&Value>) -> Result<EthKind, RpcError>;

/// The `eth_subscribe` kinds the demo serves: each catalogue entry with the parser of its
/// option. The kind names and parameter counts come from the catalogue; a kind it adds is
/// served once it has a row here.
const SERVED: [(&MethodSpec, Parser); 7] = [
    (&spec::NEW_HEADS, |_| Ok(EthKind::NewHeads)),
    (&spec::SYNCING, |_| Ok(EthKind::Syncing)),
    (&spec::LOGS, parse_logs),
    (&spec::NEW_PENDING_TRANSACTIONS, parse_pending),
    // Alchemy's legacy name for full pending transaction objects (2022 docs).
    (&spec::ALCHEMY_NEW_FULL_PENDING_TRANSACTIONS, |_| Ok(EthKind::PendingTransactions { full: true })),
    (&spec::ALCHEMY_PENDING_TRANSACTIONS, parse_alchemy_pending),
    (&spec::ALCHEMY_MINED_TRANSACTIONS, parse_alchemy_mined),
];

/// Parses `eth_subscribe` params the way geth does.
pub(crate) fn parse_subscribe(params: &[Value]) -> Result<EthKind, RpcError> {
    let first = params.first().ok_or_else(|| missing_argument(0))?;
    let name = first.as_str().ok_or_else(|| {
        invalid_argument(0, "json: cannot unmarshal non-string into Go value of type string")
    })?;
    let Some((spec, parse)) = SERVED.iter().find(|(spec, _)| spec.subscription_kind == Some(name)) else {
        return Err(unknown_subscription(name));
    };
    let at_most = spec.param_count();
    if params.len() > at_most {
        return Err(too_many_arguments(at_most));
    }
    parse(params.get(1).filter(|value| !value.is_null()))
}

/// Parses the id argument of `eth_unsubscribe`.
pub(crate) fn parse_unsubscribe(params: &[Value]) -> Result<&str, RpcError> {
    let first = params.first().ok_or_else(|| missing_argument(0))?;
    first
        .as_str()
        .ok_or_else(|| invalid_argument(0, "json: cannot unmarshal non-string into Go value of type rpc.ID"))
}

/// Answers the one-off Ethereum requests the demo supports; `None` for unknown methods.
pub(crate) fn one_off(method: &str, head: u64, rng: &mut fastrand::Rng) -> Option<String> {
    let text = |value: String| Some(fake::json_str(&value));
    match method {
        "eth_blockNumber" => text(quantity(head)),
        "eth_chainId" => text(quantity(CHAIN_ID)),
        "net_version" => text(CHAIN_ID.to_string()),
        "eth_gasPrice" => text(quantity(rng.u64(900_000_000..2_500_000_000))),
        "eth_maxPriorityFeePerGas" => text(quantity(rng.u64(1_000_000..1_500_000_000))),
        "eth_syncing" => Some("false".to_owned()),
        "web3_clientVersion" => text(format!("subscope-demo/v{}", env!("CARGO_PKG_VERSION"))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_eth_subscription_kind_of_the_catalogue_is_served() {
        let mut catalogue: Vec<&str> = crate::catalog::methods()
            .iter()
            .filter(|spec| spec.rpc_method == crate::catalog::ETH_SUBSCRIBE)
            .map(|spec| spec.id)
            .collect();
        catalogue.sort_unstable();
        let mut served: Vec<&str> = SERVED.iter().map(|(spec, _)| spec.id).collect();
        served.sort_unstable();
        assert_eq!(served, catalogue);
    }
}
