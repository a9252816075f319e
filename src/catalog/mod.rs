//! The method catalogue: every subscription (and one-off request) subscope can send, as data.
//!
//! A form UI renders a [`MethodSpec`] field by field, keeps what the user typed in a [`Draft`],
//! and calls [`build`] to get the JSON-RPC `method` and `params` (or one [`FieldError`] per bad
//! field). The record command checks hand-written bodies with [`check_request`]. Every method
//! names the [`Payload`] its notifications carry; incoming notifications are reduced by it to
//! the columns a user scans with [`summarize`] and to the item they name with [`item_key`],
//! and [`ReorgTracker`] flags a block height seen twice. Nothing here depends on the UI or on
//! I/O.
//!
//! Sources for every method, parameter and limit: `shared/reference/PROTOCOLS.md` (Agave
//! `rpc_pubsub.rs`, geth `eth/filters`, the Helius and Alchemy docs).

mod build;
mod canonical;
mod cheat_sheet;
mod draft;
mod encoding;
pub(crate) mod ethereum;
mod identity;
mod payload;
mod presets;
mod reorg;
mod rules;
pub(crate) mod solana;
mod summary;
mod validate;

use serde::{Deserialize, Serialize};

pub use build::{BuiltRequest, build};
pub use canonical::{canonical_params, chain_of_method};
pub use cheat_sheet::cheat_sheet;
pub use draft::{
    BlockFilterMode, BlockFilterValue, DataSliceValue, Draft, FieldValue, FromToRow, LogsFilterMode,
    LogsFilterValue, MemcmpEncoding, ProgramFilterRow, TopicRow,
};
pub use encoding::eip55_checksum;
pub use ethereum::{CommonRequest, common_requests};
pub use identity::{ItemFingerprint, ItemKey, ItemKind, item_fingerprint, item_key, parse_identified};
pub use payload::{Payload, payload_for};
pub use presets::{DEMO_URL, Preset, RpcRule, demo_query, presets};
pub use reorg::{BlockObservation, ReorgTracker};
pub use rules::{
    Completion, RECEIVED_SIGNATURE, ReorgRule, SubscriptionRules, is_one_off_method, is_subscribe_method,
    rules_for, subscribed_account,
};
pub use summary::{Summary, summarize};
pub use validate::{FieldError, agave_request_bytes, check_request};

/// The provider tag of methods only Helius serves.
pub const HELIUS: &str = "Helius";

/// The provider tag of methods only Alchemy serves.
pub const ALCHEMY: &str = "Alchemy";

/// Agave refuses any inbound WebSocket message larger than this (`set_max_message_size(4_096)`).
pub const AGAVE_MAX_REQUEST_BYTES: usize = 4_096;

/// At most this many `programSubscribe` filters (`MAX_GET_PROGRAM_ACCOUNT_FILTERS`).
pub const MAX_PROGRAM_FILTERS: usize = 4;

/// A memcmp filter compares at most this many decoded bytes (`MAX_DATA_SIZE`).
pub const MAX_MEMCMP_BYTES: usize = 128;

/// A base58 memcmp payload is at most this many characters (`MAX_DATA_BASE58_SIZE`).
pub const MAX_MEMCMP_BASE58_CHARS: usize = 175;

/// A base64 memcmp payload is at most this many characters (`MAX_DATA_BASE64_SIZE`).
pub const MAX_MEMCMP_BASE64_CHARS: usize = 172;

/// geth accepts at most this many topic positions in a log filter (`maxTopics`).
pub const MAX_TOPIC_POSITIONS: usize = 4;

/// geth accepts at most this many alternatives in one topic position (`maxSubTopics`).
pub const MAX_TOPIC_ALTERNATIVES: usize = 1_000;

/// geth's default `LogQueryLimit`: the most addresses a log filter may name.
pub const MAX_LOG_ADDRESSES: usize = 1_000;

/// Alchemy's limit on addresses in one `alchemy_pendingTransactions` or
/// `alchemy_minedTransactions` subscription.
pub const ALCHEMY_MAX_ADDRESSES: usize = 1_000;

/// Helius' limit on each of `accountInclude`, `accountExclude` and `accountRequired`.
pub const HELIUS_MAX_ACCOUNTS: usize = 50_000;

/// Agave refuses to base58-encode more account data than this (`MAX_BASE58_BYTES`): a
/// `binary` or `base58` notification of a larger account carries an error text instead (S8).
pub const MAX_BASE58_ACCOUNT_BYTES: usize = 128;

/// geth refuses a batch of more requests than this with -32600 `batch too large`
/// (`BatchRequestLimit`, `node/defaults.go`).
pub const GETH_MAX_BATCH_ITEMS: usize = 1_000;

/// Alchemy's limit on parallel subscriptions on one connection (subscription-api docs).
pub const ALCHEMY_MAX_SUBSCRIPTIONS_PER_CONNECTION: usize = 1_000;

/// The method that opens every Ethereum subscription; the kind is its first parameter.
pub const ETH_SUBSCRIBE: &str = "eth_subscribe";

/// The method that cancels an Ethereum subscription of any kind.
pub const ETH_UNSUBSCRIBE: &str = "eth_unsubscribe";

/// Whether a method cancels a subscription: `eth_unsubscribe`, or a PubSub `…Unsubscribe` the
/// catalogue may not know.
pub fn is_unsubscribe_method(method: &str) -> bool {
    method == ETH_UNSUBSCRIBE || method.ends_with("Unsubscribe")
}

/// Whether a subscribe method is Ethereum's (its ids are hex strings, its kind a param).
pub fn is_ethereum_subscribe(method: &str) -> bool {
    method == ETH_SUBSCRIBE
}

/// The `method` of every Ethereum subscription's notifications, whatever the kind.
pub const ETH_NOTIFICATION: &str = "eth_subscription";

/// The id of the one-off request pseudo-method (any method name plus JSON params).
pub const REQUEST_ID: &str = "request";

/// The method a new composer starts on, and the first run's demo subscribes to: Solana's
/// `logsSubscribe`, which shows what a chain is doing at a glance.
pub const DEFAULT_METHOD: &str = solana::LOGS.id;

/// The blockchain family a method belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Chain {
    /// Solana PubSub (Agave, Helius, other Solana providers).
    Solana,
    /// Ethereum `eth_subscribe` (geth, anvil, Alchemy, other EVM providers).
    Ethereum,
}

impl Chain {
    /// Both chains, in display order.
    pub const ALL: [Self; 2] = [Self::Solana, Self::Ethereum];

    /// The chain's display name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Solana => "Solana",
            Self::Ethereum => "Ethereum",
        }
    }
}

impl std::fmt::Display for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// How much a server can be relied on to serve a method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Stability {
    /// Documented as stable and served by the usual providers.
    Stable,
    /// Documented as unstable: the format may change, and most providers do not serve it.
    Unstable,
    /// No longer documented by its provider; it may still work.
    Legacy,
}

impl Stability {
    /// The stability's display name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Stable => "stable",
            Self::Unstable => "unstable",
            Self::Legacy => "legacy",
        }
    }
}

/// Where a field's JSON value goes in the positional `params` array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamPlace {
    /// The field is the whole parameter at this index (for example the pubkey at 0).
    Positional(usize),
    /// The field is the key [`FieldSpec::key`] of the config object at this index.
    InObject(usize),
    /// The field is part of the request envelope: the method name or the whole `params`
    /// (only the one-off request uses this).
    Envelope,
}

impl ParamPlace {
    /// The parameter index, if the field lives in `params`.
    pub fn index(self) -> Option<usize> {
        match self {
            Self::Positional(index) | Self::InObject(index) => Some(index),
            Self::Envelope => None,
        }
    }
}

/// A field that must be sent when another field of the same method has one of some values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Condition {
    /// The key of the field the condition looks at.
    pub field: &'static str,
    /// The values of that field (or of its default when unset) that make this field required.
    pub any_of: &'static [&'static str],
}

/// The kind of input a field takes, with its limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A base58 Solana public key (32 bytes).
    Pubkey,
    /// A base58 Solana transaction signature (64 bytes).
    Signature,
    /// A `0x` Ethereum address (20 bytes); mixed case must be a valid EIP-55 checksum.
    EthAddress,
    /// A `0x` 32-byte hex value (a log topic or a hash).
    EthTopic,
    /// One of a fixed list of strings.
    Choice(&'static [&'static str]),
    /// A boolean.
    Bool,
    /// A whole number in `min..=max`.
    Integer {
        /// The smallest accepted value.
        min: u64,
        /// The largest accepted value.
        max: u64,
    },
    /// A list of base58 pubkeys, always sent as an array.
    PubkeyList {
        /// The most entries accepted.
        max: usize,
    },
    /// A list of Ethereum addresses, sent as a string when there is one and an array otherwise.
    AddressList {
        /// The most entries accepted.
        max: usize,
    },
    /// `programSubscribe` filters: `dataSize`, `memcmp` or `tokenAccountState`, AND-ed.
    ProgramFilters {
        /// The most filters accepted.
        max: usize,
        /// The most decoded bytes in one memcmp filter.
        memcmp_max_bytes: usize,
    },
    /// The `logsSubscribe` filter: `all`, `allWithVotes` or `{"mentions":[one pubkey]}`.
    LogsFilter,
    /// The `blockSubscribe` filter: `all` or `{"mentionsAccountOrProgram": pubkey}`.
    BlockFilter,
    /// Ethereum log topics: positions that are each any (`null`), one topic or an OR-list.
    Topics {
        /// The most positions accepted.
        max_positions: usize,
        /// The most alternatives in one position.
        max_alternatives: usize,
    },
    /// Alchemy `addresses`: `[{from?, to?}]` rows.
    FromToAddresses {
        /// The most addresses accepted, counting `from` and `to` of every row.
        max: usize,
    },
    /// `dataSlice`: `{offset, length}`.
    DataSlice,
    /// A JSON-RPC method name (the one-off request).
    MethodName,
    /// Free JSON: the `params` of the one-off request (an array or an object).
    Json,
}

impl FieldKind {
    /// A short description of what the field accepts, with its limits, for help text.
    pub fn describe(&self) -> String {
        match self {
            Self::Pubkey => "base58 pubkey (32 bytes)".to_owned(),
            Self::Signature => "base58 signature (64 bytes)".to_owned(),
            Self::EthAddress => "0x address (20 bytes, EIP-55 checked when mixed case)".to_owned(),
            Self::EthTopic => "0x 32-byte hex".to_owned(),
            Self::Choice(options) => format!("one of {}", options.join(" | ")),
            Self::Bool => "true | false".to_owned(),
            Self::Integer { min, max } => format!("whole number {min}..={max}"),
            Self::PubkeyList { max } => format!("list of base58 pubkeys (at most {max})"),
            Self::AddressList { max } => format!("list of 0x addresses (at most {max})"),
            Self::ProgramFilters { max, memcmp_max_bytes } => format!(
                "up to {max} filters: dataSize N | memcmp {{offset, bytes ≤ {memcmp_max_bytes} \
                 decoded bytes, encoding base58|base64}} | tokenAccountState"
            ),
            Self::LogsFilter => "all | allWithVotes | mentions exactly one pubkey".to_owned(),
            Self::BlockFilter => "all | mentionsAccountOrProgram <pubkey>".to_owned(),
            Self::Topics { max_positions, max_alternatives } => format!(
                "up to {max_positions} positions, each any | one topic | OR-list of up to \
                 {max_alternatives}"
            ),
            Self::FromToAddresses { max } => {
                format!("rows of {{from?, to?}} 0x addresses (at most {max} addresses in total)")
            }
            Self::DataSlice => "{offset, length} in bytes".to_owned(),
            Self::MethodName => "JSON-RPC method name".to_owned(),
            Self::Json => "JSON array or object".to_owned(),
        }
    }
}

/// One input of a method's form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// The JSON name (for config-object fields) or a stable name for positional ones; error
    /// paths start with it.
    pub key: &'static str,
    /// The form label.
    pub label: &'static str,
    /// One or two sentences of help for a tooltip.
    pub help: &'static str,
    /// What the field accepts.
    pub kind: FieldKind,
    /// The value a new draft starts with, as text (`""` means unset: the server's default
    /// applies). For [`FieldKind::Bool`] it is `"true"` or `"false"`.
    pub default: &'static str,
    /// Whether the request is refused without it.
    pub required: bool,
    /// When set, the field is also required while the condition holds.
    pub required_when: Option<Condition>,
    /// Where the value goes in `params`.
    pub place: ParamPlace,
}

/// One subscription type (or the one-off request) and everything a form needs to build it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MethodSpec {
    /// A stable id, unique in the catalogue: the Solana method name, `eth_subscribe:<kind>`,
    /// or [`REQUEST_ID`].
    pub id: &'static str,
    /// The display label.
    pub label: &'static str,
    /// The chain, or `None` for the one-off request, which works on both.
    pub chain: Option<Chain>,
    /// How reliably servers serve it.
    pub stability: Stability,
    /// `Some(HELIUS)` or `Some(ALCHEMY)` for provider-only methods.
    pub provider: Option<&'static str>,
    /// What a user should know before subscribing (availability, caveats).
    pub note: &'static str,
    /// The JSON-RPC method sent (`accountSubscribe`, `eth_subscribe`); empty for the one-off
    /// request, whose method the user types.
    pub rpc_method: &'static str,
    /// For `eth_subscribe`, the subscription kind sent as the first parameter.
    pub subscription_kind: Option<&'static str>,
    /// The method that cancels the subscription (`accountUnsubscribe`, `eth_unsubscribe`).
    pub unsubscribe_method: Option<&'static str>,
    /// The `method` of the notifications it produces (`accountNotification`,
    /// `eth_subscription`).
    pub notification_method: Option<&'static str>,
    /// What its notifications carry: what summaries, item keys and decoders match on.
    pub payload: Payload,
    /// Whether the server ends the subscription by itself after one notification
    /// (`signatureSubscribe`).
    pub one_shot: bool,
    /// `params` always has at least this many entries; missing config objects are sent as `{}`.
    pub min_params: usize,
    /// The form fields, in display order.
    pub fields: &'static [FieldSpec],
    /// Where the method is documented.
    pub docs_url: &'static str,
}

impl MethodSpec {
    /// The field with this key, if the method has one.
    pub fn field(&self, key: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|field| field.key == key)
    }

    /// Whether this is the one-off request rather than a subscription.
    pub fn is_one_off(&self) -> bool {
        self.id == REQUEST_ID
    }

    /// The number of parameters the method takes: one past its last field's index, and at
    /// least [`MethodSpec::min_params`].
    pub(crate) fn param_count(&self) -> usize {
        self.fields
            .iter()
            .filter_map(|field| field.place.index())
            .map(|index| index + 1)
            .max()
            .unwrap_or(0)
            .max(self.min_params)
    }

    /// Whether the method goes to an Agave PubSub server, which refuses requests over
    /// [`AGAVE_MAX_REQUEST_BYTES`].
    pub fn is_agave(&self) -> bool {
        self.chain == Some(Chain::Solana) && self.provider.is_none()
    }
}

/// Every method in the catalogue: Solana first, then Ethereum, then the one-off request.
pub fn methods() -> &'static [MethodSpec] {
    &METHODS
}

/// The methods offered for `chain` (including the one-off request, which fits both).
pub fn methods_for(chain: Chain) -> impl Iterator<Item = &'static MethodSpec> {
    methods().iter().filter(move |spec| spec.chain.is_none_or(|spec_chain| spec_chain == chain))
}

/// The method with this id.
pub fn find(id: &str) -> Option<&'static MethodSpec> {
    methods().iter().find(|spec| spec.id == id)
}

/// The method a raw JSON-RPC request is for: `method` plus, for `eth_subscribe`, the
/// subscription kind in the first parameter. The one-off request never matches.
pub fn find_by_rpc_method(method: &str, first_param: Option<&str>) -> Option<&'static MethodSpec> {
    methods().iter().find(|spec| {
        !spec.is_one_off()
            && spec.rpc_method == method
            && match spec.subscription_kind {
                Some(kind) => first_param == Some(kind),
                None => true,
            }
    })
}

/// The method that produces notifications with this `method` name; `eth_subscription` is
/// shared by every Ethereum kind, so it gives `None`.
pub fn find_by_notification(method: &str) -> Option<&'static MethodSpec> {
    let mut matches = methods().iter().filter(|spec| spec.notification_method == Some(method));
    let first = matches.next()?;
    matches.next().is_none().then_some(first)
}

static METHODS: [MethodSpec; 18] = [
    solana::ACCOUNT,
    solana::PROGRAM,
    solana::SIGNATURE,
    solana::LOGS,
    solana::SLOT,
    solana::ROOT,
    solana::BLOCK,
    solana::SLOTS_UPDATES,
    solana::VOTE,
    solana::HELIUS_TRANSACTION,
    ethereum::NEW_HEADS,
    ethereum::LOGS,
    ethereum::NEW_PENDING_TRANSACTIONS,
    ethereum::SYNCING,
    ethereum::ALCHEMY_PENDING_TRANSACTIONS,
    ethereum::ALCHEMY_MINED_TRANSACTIONS,
    ethereum::ALCHEMY_NEW_FULL_PENDING_TRANSACTIONS,
    ethereum::REQUEST,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_ids_are_unique() {
        let mut ids: Vec<&str> = methods().iter().map(|spec| spec.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), methods().len());
    }

    #[test]
    fn field_keys_are_unique_within_each_method() {
        for spec in methods() {
            let mut keys: Vec<&str> = spec.fields.iter().map(|field| field.key).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), spec.fields.len(), "{}", spec.id);
        }
    }

    #[test]
    fn every_choice_default_is_one_of_its_options_or_unset() {
        for spec in methods() {
            for field in spec.fields {
                if let FieldKind::Choice(options) = field.kind {
                    assert!(
                        field.default.is_empty() || options.contains(&field.default),
                        "{}.{}",
                        spec.id,
                        field.key
                    );
                }
            }
        }
    }

    #[test]
    fn every_subscription_names_its_unsubscribe_and_notification_methods() {
        for spec in methods().iter().filter(|spec| !spec.is_one_off()) {
            assert!(spec.unsubscribe_method.is_some(), "{}", spec.id);
            assert!(spec.notification_method.is_some(), "{}", spec.id);
        }
    }

    #[test]
    fn the_default_method_is_a_subscription_of_the_catalogue() {
        let spec = find(DEFAULT_METHOD).map(|spec| (spec.is_one_off(), spec.payload));
        assert_eq!(spec, Some((false, Payload::SolanaLogs)));
    }

    #[test]
    fn find_by_rpc_method_uses_the_eth_subscription_kind() {
        let logs = find_by_rpc_method("eth_subscribe", Some("logs")).map(|spec| spec.id);
        assert_eq!(logs, Some("eth_subscribe:logs"));
        let mined = find_by_rpc_method("eth_subscribe", Some("alchemy_minedTransactions"));
        assert_eq!(mined.map(|spec| spec.id), Some("eth_subscribe:alchemy_minedTransactions"));
        assert!(find_by_rpc_method("eth_subscribe", Some("nope")).is_none());
        assert!(find_by_rpc_method("eth_subscribe", None).is_none());
    }

    #[test]
    fn find_by_rpc_method_ignores_the_first_param_for_solana() {
        let account = find_by_rpc_method("accountSubscribe", Some("whatever"));
        assert_eq!(account.map(|spec| spec.id), Some("accountSubscribe"));
        assert!(find_by_rpc_method("getSlot", None).is_none());
        assert!(find_by_rpc_method("", None).is_none());
    }

    #[test]
    fn find_by_notification_is_unambiguous_only_for_solana() {
        let logs = find_by_notification("logsNotification").map(|spec| spec.id);
        assert_eq!(logs, Some("logsSubscribe"));
        assert!(find_by_notification("eth_subscription").is_none());
    }

    #[test]
    fn methods_for_a_chain_include_the_one_off_request() {
        let solana: Vec<&str> = methods_for(Chain::Solana).map(|spec| spec.id).collect();
        assert!(solana.contains(&"accountSubscribe"));
        assert!(solana.contains(&REQUEST_ID));
        assert!(!solana.contains(&"eth_subscribe:logs"));
    }

    #[test]
    fn help_texts_quote_the_limits_they_name() {
        let help = |id: &str, key: &str| find(id).and_then(|spec| spec.field(key)).map(|field| field.help);
        let quotes =
            |help: Option<&str>, limit: usize| help.is_some_and(|help| help.contains(&limit.to_string()));
        assert!(quotes(help("accountSubscribe", "encoding"), MAX_BASE58_ACCOUNT_BYTES));
        assert!(quotes(help("programSubscribe", "filters"), MAX_MEMCMP_BYTES));
        let to_address = help("eth_subscribe:alchemy_pendingTransactions", "toAddress");
        assert!(quotes(to_address, ALCHEMY_MAX_ADDRESSES));
        assert!(quotes(help("eth_subscribe:alchemy_minedTransactions", "addresses"), ALCHEMY_MAX_ADDRESSES));
    }

    #[test]
    fn param_count_covers_every_field_and_min_params() {
        let count = |id: &str| find(id).map(MethodSpec::param_count);
        assert_eq!(count("slotSubscribe"), Some(0));
        assert_eq!(count("eth_subscribe:newHeads"), Some(1));
        assert_eq!(count("eth_subscribe:newPendingTransactions"), Some(2));
        assert_eq!(count("accountSubscribe"), Some(2));
    }

    #[test]
    fn unstable_solana_methods_say_helius_does_not_serve_them() {
        for id in ["blockSubscribe", "slotsUpdatesSubscribe", "voteSubscribe"] {
            let spec = find(id).map(|spec| (spec.stability, spec.note.contains("Helius")));
            assert_eq!(spec, Some((Stability::Unstable, true)), "{id}");
        }
    }
}
