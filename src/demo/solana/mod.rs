//! Solana PubSub (Agave) and Helius `transactionSubscribe`: which catalogue methods the demo
//! serves, parameter validation with the real servers' error messages (`params.rs`,
//! `errors.rs`), and realistic notification payloads for each simulated slot (`notify.rs`,
//! from the accounts of `accounts.rs` and the transactions of `transactions.rs`).

mod accounts;
mod errors;
mod ledger;
mod notify;
mod params;
mod query;
mod transactions;

use serde_json::Value;

use super::rpc::RpcError;
use crate::catalog::MethodSpec;
use crate::catalog::solana as spec;

#[cfg(test)]
pub(crate) use ledger::is_skipped;
pub(crate) use notify::{AfterSlot, SlotCtx, genesis_hash, notify_slot, one_off};
pub(crate) use params::parse_unsubscribe;
use params::{parse_account, parse_block, parse_logs, parse_program, parse_signature, parse_transaction};
pub(crate) use query::query;

/// A commitment level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Commitment {
    /// The tip.
    Processed,
    /// Optimistically confirmed, one slot behind in the demo.
    Confirmed,
    /// Rooted, 32 slots behind.
    Finalized,
}

/// An account data encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum AccountEncoding {
    /// The deprecated default: a bare base58 string.
    Binary,
    /// `[data, "base58"]`.
    Base58,
    /// `[data, "base64"]`.
    Base64,
    /// `[data, "base64+zstd"]`.
    Base64Zstd,
    /// A parsed object where a parser exists, else base64.
    JsonParsed,
}

/// A transaction encoding (blocks and Helius transactions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum TxEncoding {
    /// A bare base58 string.
    Binary,
    /// `[tx, "base58"]`.
    Base58,
    /// `[tx, "base64"]`.
    Base64,
    /// A JSON message with raw instructions.
    Json,
    /// A JSON message with parsed instructions.
    JsonParsed,
}

/// How much of each transaction a block or transaction notification carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum TxDetails {
    /// Transactions with full metadata.
    Full,
    /// Account keys, signatures and balances.
    Accounts,
    /// Signatures only.
    Signatures,
    /// Nothing.
    None,
}

/// A programSubscribe filter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ProgramFilter {
    /// The account data length must equal this.
    DataSize(u64),
    /// The data at `offset` must equal `bytes`.
    Memcmp {
        /// Byte offset into the account data.
        offset: u64,
        /// The decoded bytes to compare.
        bytes: Vec<u8>,
    },
    /// The account must be a valid SPL token account.
    TokenAccountState,
}

/// A logsSubscribe filter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum LogsFilter {
    /// Everything but simple vote transactions.
    All,
    /// Everything.
    AllWithVotes,
    /// Transactions mentioning this key.
    Mentions(String),
}

/// One Solana subscription and its parameters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SolKind {
    /// accountSubscribe.
    Account {
        /// The watched account.
        pubkey: String,
        /// How data is encoded.
        encoding: AccountEncoding,
        /// The commitment level.
        commitment: Commitment,
    },
    /// programSubscribe.
    Program {
        /// The owning program.
        program: String,
        /// How data is encoded.
        encoding: AccountEncoding,
        /// The commitment level.
        commitment: Commitment,
        /// The filters (AND).
        filters: Vec<ProgramFilter>,
    },
    /// logsSubscribe.
    Logs {
        /// Which transactions.
        filter: LogsFilter,
        /// The commitment level.
        commitment: Commitment,
    },
    /// signatureSubscribe: one-shot.
    Signature {
        /// Whether a `receivedSignature` notification comes first.
        received_notification: bool,
        /// Whether the `receivedSignature` notification was already sent.
        received_sent: bool,
        /// The commitment level.
        commitment: Commitment,
    },
    /// slotSubscribe.
    Slot,
    /// rootSubscribe.
    Root,
    /// slotsUpdatesSubscribe.
    SlotsUpdates,
    /// voteSubscribe.
    Vote,
    /// blockSubscribe.
    Block {
        /// `mentionsAccountOrProgram`, if given.
        mentions: Option<String>,
        /// The commitment level (confirmed or finalized).
        commitment: Commitment,
        /// How transactions are encoded.
        encoding: TxEncoding,
        /// How much of each transaction.
        details: TxDetails,
        /// Whether rewards are included.
        show_rewards: bool,
        /// `maxSupportedTransactionVersion`, if given.
        max_version: Option<u64>,
    },
    /// Helius transactionSubscribe.
    Transaction {
        /// The first `accountInclude` key, if any.
        include: Option<String>,
        /// Whether failed transactions are included.
        failed: bool,
        /// How transactions are encoded.
        encoding: TxEncoding,
        /// How much of each transaction.
        details: TxDetails,
        /// The commitment level.
        commitment: Commitment,
        /// `maxSupportedTransactionVersion`, if given.
        max_version: Option<u64>,
    },
}

impl SolKind {
    /// The catalogue entry of the method that created this subscription: its names, its
    /// notification method, whether it is one-shot.
    pub(crate) fn spec(&self) -> &'static MethodSpec {
        match self {
            Self::Account { .. } => &spec::ACCOUNT,
            Self::Program { .. } => &spec::PROGRAM,
            Self::Logs { .. } => &spec::LOGS,
            Self::Signature { .. } => &spec::SIGNATURE,
            Self::Slot => &spec::SLOT,
            Self::Root => &spec::ROOT,
            Self::SlotsUpdates => &spec::SLOTS_UPDATES,
            Self::Vote => &spec::VOTE,
            Self::Block { .. } => &spec::BLOCK,
            Self::Transaction { .. } => &spec::HELIUS_TRANSACTION,
        }
    }

    /// The notification method name.
    pub(crate) fn notification_method(&self) -> &'static str {
        // Every subscription in the catalogue names one (a catalogue test checks it).
        self.spec().notification_method.unwrap_or_default()
    }

    /// Whether identical subscriptions share one id (Agave does; Helius
    /// transactionSubscribe gives a new id each time).
    pub(crate) fn deduplicated(&self) -> bool {
        !matches!(self, Self::Transaction { .. })
    }
}

/// Parses the params of one subscribe method exactly as strictly as Agave (or Helius) does.
pub(crate) type Parser = fn(&[Value]) -> Result<SolKind, RpcError>;

/// The Solana methods the demo serves: each catalogue entry with the parser of its params.
/// The names come from the catalogue; a method it adds is served once it has a row here.
const SERVED: [(&MethodSpec, Parser); 10] = [
    (&spec::ACCOUNT, parse_account),
    (&spec::PROGRAM, parse_program),
    (&spec::LOGS, parse_logs),
    (&spec::SIGNATURE, parse_signature),
    (&spec::SLOT, |params| errors::no_params(params).map(|()| SolKind::Slot)),
    (&spec::ROOT, |params| errors::no_params(params).map(|()| SolKind::Root)),
    (&spec::SLOTS_UPDATES, |params| errors::no_params(params).map(|()| SolKind::SlotsUpdates)),
    (&spec::VOTE, |params| errors::no_params(params).map(|()| SolKind::Vote)),
    (&spec::BLOCK, parse_block),
    (&spec::HELIUS_TRANSACTION, parse_transaction),
];

/// The catalogue entries of the Solana methods the demo serves.
pub(crate) fn served() -> impl Iterator<Item = &'static MethodSpec> {
    SERVED.iter().map(|(spec, _)| *spec)
}

/// The parser of a subscribe method the demo serves.
pub(crate) fn subscribe_parser(method: &str) -> Option<Parser> {
    SERVED.iter().find(|(spec, _)| spec.rpc_method == method).map(|(_, parse)| *parse)
}

/// The catalogue entry whose unsubscribe method is `method`, if the demo serves it.
pub(crate) fn unsubscribed_by(method: &str) -> Option<&'static MethodSpec> {
    served().find(|spec| spec.unsubscribe_method == Some(method))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::fake::SYSTEM_PROGRAM;

    /// Parses the params of a served subscribe method.
    pub(super) fn parse(method: &str, params: &[Value]) -> Result<SolKind, RpcError> {
        match subscribe_parser(method) {
            Some(parse) => parse(params),
            None => panic!("{method} is not served"),
        }
    }

    #[test]
    fn every_solana_method_of_the_catalogue_is_served_under_its_names() {
        let catalogue: Vec<&str> = crate::catalog::methods()
            .iter()
            .filter(|spec| spec.chain == Some(crate::catalog::Chain::Solana))
            .map(|spec| spec.id)
            .collect();
        let mut ids: Vec<&str> = served().map(|spec| spec.id).collect();
        ids.sort_unstable();
        let mut expected = catalogue;
        expected.sort_unstable();
        assert_eq!(ids, expected);
        for spec in served() {
            let unsubscribe = spec.unsubscribe_method.unwrap_or_default();
            assert_eq!(unsubscribed_by(unsubscribe).map(|found| found.id), Some(spec.id));
        }
    }

    #[test]
    fn each_parser_makes_a_subscription_of_its_own_method() {
        let pubkey = Value::from(SYSTEM_PROGRAM);
        let signature = Value::from(
            "GSwqrT6Mbm478B8si4D4nHzfFYzp5o6GMLyjvEnMRWeHTycuoCjzTHPJb5dtsZ2sv478Sj2ZpE6cyquAjety3Md",
        );
        for spec in served() {
            let params = match spec.id {
                "accountSubscribe" | "programSubscribe" => vec![pubkey.clone()],
                "signatureSubscribe" => vec![signature.clone()],
                "logsSubscribe" | "blockSubscribe" => vec![Value::from("all")],
                "transactionSubscribe" => vec![serde_json::json!({})],
                _ => Vec::new(),
            };
            let kind = parse(spec.rpc_method, &params).map(|kind| kind.spec().id);
            assert_eq!(kind, Ok(spec.id));
            assert_eq!(
                parse(spec.rpc_method, &params).map(|kind| kind.notification_method()),
                Ok(spec.notification_method.unwrap_or_default())
            );
        }
    }
}
