//! What a notification carries, decided by the catalogue: every [`super::MethodSpec`] names its
//! [`Payload`], and the summaries, item keys and decoders match on that, never on a
//! notification's method name.
//!
//! A subscription's payload is resolved from its method and params ([`payload_for`]); a frame
//! seen on its own (an imported capture, a row of the table) names its notification method,
//! and [`Payload::of_notification`] finds the method that sends it. Every Ethereum kind shares
//! `eth_subscription`, so a frame of one is [`Payload::EthAny`], told apart by its shape.

use serde_json::Value;

use super::{Chain, ETH_NOTIFICATION, find_by_rpc_method, methods};

/// What the notifications of one subscription carry in `params.result`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Payload {
    /// `accountSubscribe`: the account (lamports, owner, data) with the context slot; the
    /// pubkey is the subscription's own, not repeated.
    SolanaAccount,
    /// `programSubscribe`: a keyed account (pubkey and account) with the context slot.
    SolanaProgram,
    /// `signatureSubscribe`: the transaction's status, or the `receivedSignature` report.
    SolanaSignature,
    /// `logsSubscribe`: one transaction's signature, error and log lines.
    SolanaLogs,
    /// `slotSubscribe`: a slot with its parent and root.
    SolanaSlot,
    /// `rootSubscribe`: a bare slot number.
    SolanaRoot,
    /// `blockSubscribe`: a block, or the error that kept it from loading.
    SolanaBlock,
    /// `slotsUpdatesSubscribe`: one stage of a slot (its type and slot).
    SolanaSlotsUpdates,
    /// `voteSubscribe`: a gossip vote (vote account, slots, signature).
    SolanaVote,
    /// Helius `transactionSubscribe`: a transaction with its meta, signature and slot.
    HeliusTransaction,
    /// `newHeads`: a block header.
    EthNewHeads,
    /// `logs`: a log, `removed` when a reorg took it back.
    EthLogs,
    /// Pending transactions: hashes or full transaction objects (geth's
    /// `newPendingTransactions`, Alchemy's pending kinds).
    EthPendingTransactions,
    /// `syncing`: sync progress, or `false` once synced.
    EthSyncing,
    /// Alchemy `alchemy_minedTransactions`: `{removed, transaction}`.
    AlchemyMinedTransactions,
    /// An `eth_subscription` frame seen without its subscription: any Ethereum kind, told
    /// apart by its shape.
    EthAny,
    /// Nothing the catalogue knows: the one-off request, a method it lacks.
    Unknown,
}

impl Payload {
    /// The payload of frames whose `method` is `notification_method`: the one of the method
    /// that sends them, [`Payload::EthAny`] for `eth_subscription` (every Ethereum kind sends
    /// it), [`Payload::Unknown`] for a name no method sends.
    pub fn of_notification(notification_method: &str) -> Self {
        if notification_method == ETH_NOTIFICATION {
            return Self::EthAny;
        }
        // Solana notification methods are each sent by one method (a test holds it).
        methods()
            .iter()
            .find(|spec| spec.notification_method == Some(notification_method))
            .map_or(Self::Unknown, |spec| spec.payload)
    }

    /// The chain whose notifications carry it; `None` for [`Payload::Unknown`].
    pub fn chain(self) -> Option<Chain> {
        match self {
            Self::SolanaAccount
            | Self::SolanaProgram
            | Self::SolanaSignature
            | Self::SolanaLogs
            | Self::SolanaSlot
            | Self::SolanaRoot
            | Self::SolanaBlock
            | Self::SolanaSlotsUpdates
            | Self::SolanaVote
            | Self::HeliusTransaction => Some(Chain::Solana),
            Self::EthNewHeads
            | Self::EthLogs
            | Self::EthPendingTransactions
            | Self::EthSyncing
            | Self::AlchemyMinedTransactions
            | Self::EthAny => Some(Chain::Ethereum),
            Self::Unknown => None,
        }
    }
}

/// The payload of a subscription made with `method` and `params` (for `eth_subscribe`, the
/// kind in the first parameter decides); [`Payload::Unknown`] for a method the catalogue
/// does not know.
pub fn payload_for(method: &str, params: Option<&Value>) -> Payload {
    let first = params.and_then(|params| params.get(0)).and_then(Value::as_str);
    find_by_rpc_method(method, first).map_or(Payload::Unknown, |spec| spec.payload)
}

#[cfg(test)]
#[path = "payload_tests.rs"]
mod tests;
