//! Solana PubSub methods (Agave) and Helius' `transactionSubscribe`.

use super::{
    Chain, Condition, FieldKind, FieldSpec, HELIUS, HELIUS_MAX_ACCOUNTS, MAX_MEMCMP_BYTES,
    MAX_PROGRAM_FILTERS, MethodSpec, ParamPlace, Payload, Stability,
};

const COMMITMENTS: &[&str] = &["processed", "confirmed", DEFAULT_COMMITMENT];

/// The commitment Solana nodes apply when a request names none.
pub(crate) const DEFAULT_COMMITMENT: &str = "finalized";

const ACCOUNT_ENCODINGS: &[&str] = &["base58", "base64", "base64+zstd", "jsonParsed", "binary"];

const BLOCK_ENCODINGS: &[&str] = &["json", "jsonParsed", "base58", "base64", "binary"];

const TRANSACTION_DETAILS: &[&str] = &["full", "accounts", "signatures", "none"];

const DOCS: &str = "https://solana.com/docs/rpc/websocket";

const fn commitment(index: usize) -> FieldSpec {
    FieldSpec {
        key: "commitment",
        label: "Commitment",
        help: "How settled a change must be before it is notified. Subscriptions default to \
               finalized (about 15 s behind processed).",
        kind: FieldKind::Choice(COMMITMENTS),
        default: DEFAULT_COMMITMENT,
        required: false,
        required_when: None,
        place: ParamPlace::InObject(index),
    }
}

const ACCOUNT_ENCODING: FieldSpec = FieldSpec {
    key: "encoding",
    label: "Encoding",
    help: "How account data is encoded. The server default is binary (a plain base58 string); \
           base58 and binary fail above 128 bytes; jsonParsed falls back to base64 when no \
           parser exists.",
    kind: FieldKind::Choice(ACCOUNT_ENCODINGS),
    default: "binary",
    required: false,
    required_when: None,
    place: ParamPlace::InObject(1),
};

const DATA_SLICE: FieldSpec = FieldSpec {
    key: "dataSlice",
    label: "Data slice",
    help: "Return only `length` bytes of account data from `offset` (binary encodings only). \
           Released Agave ignores it in notifications and sends the full data.",
    kind: FieldKind::DataSlice,
    default: "",
    required: false,
    required_when: None,
    place: ParamPlace::InObject(1),
};

const ACCOUNT_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        key: "pubkey",
        label: "Account",
        help: "The account to watch (base58 pubkey).",
        kind: FieldKind::Pubkey,
        default: "",
        required: true,
        required_when: None,
        place: ParamPlace::Positional(0),
    },
    commitment(1),
    ACCOUNT_ENCODING,
    DATA_SLICE,
];

/// `accountSubscribe`.
pub(crate) const ACCOUNT: MethodSpec = MethodSpec {
    id: "accountSubscribe",
    label: "Account changes",
    chain: Some(Chain::Solana),
    stability: Stability::Stable,
    provider: None,
    note: "Notifies when the account's lamports or data change (Agave notifies per modified \
           slot, so an unchanged account can still be notified). minContextSlot is accepted \
           and ignored.",
    rpc_method: "accountSubscribe",
    subscription_kind: None,
    unsubscribe_method: Some("accountUnsubscribe"),
    notification_method: Some("accountNotification"),
    payload: Payload::SolanaAccount,
    one_shot: false,
    min_params: 1,
    fields: ACCOUNT_FIELDS,
    docs_url: DOCS,
};

const PROGRAM_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        key: "programId",
        label: "Program",
        help: "The owner program whose accounts to watch (base58 pubkey).",
        kind: FieldKind::Pubkey,
        default: "",
        required: true,
        required_when: None,
        place: ParamPlace::Positional(0),
    },
    commitment(1),
    ACCOUNT_ENCODING,
    FieldSpec {
        key: "filters",
        label: "Filters",
        help: "Only accounts matching every filter: dataSize (exact data length), memcmp \
               (bytes at an offset, at most 128 decoded bytes) or tokenAccountState.",
        kind: FieldKind::ProgramFilters { max: MAX_PROGRAM_FILTERS, memcmp_max_bytes: MAX_MEMCMP_BYTES },
        default: "",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    },
    DATA_SLICE,
];

/// `programSubscribe`.
pub(crate) const PROGRAM: MethodSpec = MethodSpec {
    id: "programSubscribe",
    label: "Program accounts",
    chain: Some(Chain::Solana),
    stability: Stability::Stable,
    provider: None,
    note: "Notifies when any account owned by the program changes; without filters this can \
           be a firehose. withContext, sortResults and minContextSlot are accepted and ignored.",
    rpc_method: "programSubscribe",
    subscription_kind: None,
    unsubscribe_method: Some("programUnsubscribe"),
    notification_method: Some("programNotification"),
    payload: Payload::SolanaProgram,
    one_shot: false,
    min_params: 1,
    fields: PROGRAM_FIELDS,
    docs_url: DOCS,
};

const SIGNATURE_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        key: "signature",
        label: "Signature",
        help: "The transaction's first signature (base58).",
        kind: FieldKind::Signature,
        default: "",
        required: true,
        required_when: None,
        place: ParamPlace::Positional(0),
    },
    commitment(1),
    FieldSpec {
        key: "enableReceivedNotification",
        label: "Notify on receipt",
        help: "Also send an early \"receivedSignature\" notification when the node receives \
               the transaction.",
        kind: FieldKind::Bool,
        default: "false",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    },
];

/// `signatureSubscribe`.
pub(crate) const SIGNATURE: MethodSpec = MethodSpec {
    id: "signatureSubscribe",
    label: "Signature status",
    chain: Some(Chain::Solana),
    stability: Stability::Stable,
    provider: None,
    note: "One-shot: the server cancels the subscription after the final notification, so a \
           later unsubscribe answers \"Invalid subscription id.\". An already-confirmed \
           signature still gets one notification.",
    rpc_method: "signatureSubscribe",
    subscription_kind: None,
    unsubscribe_method: Some("signatureUnsubscribe"),
    notification_method: Some("signatureNotification"),
    payload: Payload::SolanaSignature,
    one_shot: true,
    min_params: 1,
    fields: SIGNATURE_FIELDS,
    docs_url: DOCS,
};

const LOGS_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        key: "filter",
        label: "Transactions",
        help: "all: every transaction except simple votes; allWithVotes: everything; mentions: \
               transactions that mention exactly one pubkey.",
        kind: FieldKind::LogsFilter,
        default: "all",
        required: true,
        required_when: None,
        place: ParamPlace::Positional(0),
    },
    commitment(1),
];

/// `logsSubscribe`.
pub(crate) const LOGS: MethodSpec = MethodSpec {
    id: "logsSubscribe",
    label: "Transaction logs",
    chain: Some(Chain::Solana),
    stability: Stability::Stable,
    provider: None,
    note: "At processed commitment the same signature can be notified more than once.",
    rpc_method: "logsSubscribe",
    subscription_kind: None,
    unsubscribe_method: Some("logsUnsubscribe"),
    notification_method: Some("logsNotification"),
    payload: Payload::SolanaLogs,
    one_shot: false,
    min_params: 1,
    fields: LOGS_FIELDS,
    docs_url: DOCS,
};

/// `slotSubscribe`.
pub(crate) const SLOT: MethodSpec = MethodSpec {
    id: "slotSubscribe",
    label: "Slots",
    chain: Some(Chain::Solana),
    stability: Stability::Stable,
    provider: None,
    note: "About 2.5 notifications per second (one per 400 ms slot), each {parent, root, slot}.",
    rpc_method: "slotSubscribe",
    subscription_kind: None,
    unsubscribe_method: Some("slotUnsubscribe"),
    notification_method: Some("slotNotification"),
    payload: Payload::SolanaSlot,
    one_shot: false,
    min_params: 0,
    fields: &[],
    docs_url: DOCS,
};

/// `rootSubscribe`.
pub(crate) const ROOT: MethodSpec = MethodSpec {
    id: "rootSubscribe",
    label: "Roots",
    chain: Some(Chain::Solana),
    stability: Stability::Stable,
    provider: None,
    note: "Notifies each new root slot as a bare number.",
    rpc_method: "rootSubscribe",
    subscription_kind: None,
    unsubscribe_method: Some("rootUnsubscribe"),
    notification_method: Some("rootNotification"),
    payload: Payload::SolanaRoot,
    one_shot: false,
    min_params: 0,
    fields: &[],
    docs_url: DOCS,
};

const BLOCK_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        key: "filter",
        label: "Blocks",
        help: "all: every block; mentionsAccountOrProgram: only transactions that mention the \
               pubkey.",
        kind: FieldKind::BlockFilter,
        default: "all",
        required: true,
        required_when: None,
        place: ParamPlace::Positional(0),
    },
    FieldSpec {
        key: "commitment",
        label: "Commitment",
        help: "blockSubscribe needs at least confirmed; the node refuses processed (\"Method \
               does not support commitment below `confirmed`\").",
        kind: FieldKind::Choice(&["confirmed", "finalized"]),
        default: "finalized",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    },
    FieldSpec {
        key: "encoding",
        label: "Encoding",
        help: "How transactions are encoded; the server default is base64.",
        kind: FieldKind::Choice(BLOCK_ENCODINGS),
        default: "base64",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    },
    FieldSpec {
        key: "transactionDetails",
        label: "Transaction details",
        help: "How much of each transaction to send; full can make every notification large.",
        kind: FieldKind::Choice(TRANSACTION_DETAILS),
        default: "full",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    },
    FieldSpec {
        key: "showRewards",
        label: "Show rewards",
        help: "Include block rewards.",
        kind: FieldKind::Bool,
        default: "false",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    },
    FieldSpec {
        key: "maxSupportedTransactionVersion",
        label: "Max transaction version",
        help: "Unset: legacy transactions only, and a block with a newer version arrives as \
               block:null with UnsupportedTransactionVersion (retried forever). 0 takes legacy \
               and v0; set 1 for v1 transactions.",
        kind: FieldKind::Integer { min: 0, max: 255 },
        default: "",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    },
];

/// `blockSubscribe` (unstable).
pub(crate) const BLOCK: MethodSpec = MethodSpec {
    id: "blockSubscribe",
    label: "Blocks",
    chain: Some(Chain::Solana),
    stability: Stability::Unstable,
    provider: None,
    note: "Unstable. Helius does not serve it; the node must enable it with \
           --rpc-pubsub-enable-block-subscription (which needs --enable-rpc-transaction-history), \
           otherwise it answers -32601 Method not found.",
    rpc_method: "blockSubscribe",
    subscription_kind: None,
    unsubscribe_method: Some("blockUnsubscribe"),
    notification_method: Some("blockNotification"),
    payload: Payload::SolanaBlock,
    one_shot: false,
    min_params: 1,
    fields: BLOCK_FIELDS,
    docs_url: DOCS,
};

/// `slotsUpdatesSubscribe` (unstable).
pub(crate) const SLOTS_UPDATES: MethodSpec = MethodSpec {
    id: "slotsUpdatesSubscribe",
    label: "Slot updates",
    chain: Some(Chain::Solana),
    stability: Stability::Unstable,
    provider: None,
    note: "Unstable: the format may change. Helius does not serve it (dedicated nodes only). \
           Several events per slot: firstShredReceived, completed, createdBank, frozen, dead, \
           optimisticConfirmation, root.",
    rpc_method: "slotsUpdatesSubscribe",
    subscription_kind: None,
    unsubscribe_method: Some("slotsUpdatesUnsubscribe"),
    notification_method: Some("slotsUpdatesNotification"),
    payload: Payload::SolanaSlotsUpdates,
    one_shot: false,
    min_params: 0,
    fields: &[],
    docs_url: DOCS,
};

/// `voteSubscribe` (unstable).
pub(crate) const VOTE: MethodSpec = MethodSpec {
    id: "voteSubscribe",
    label: "Votes",
    chain: Some(Chain::Solana),
    stability: Stability::Unstable,
    provider: None,
    note: "Unstable. Helius does not serve it; the node must enable it with \
           --rpc-pubsub-enable-vote-subscription, otherwise it answers -32601 Method not found. \
           Votes are pre-consensus gossip votes.",
    rpc_method: "voteSubscribe",
    subscription_kind: None,
    unsubscribe_method: Some("voteUnsubscribe"),
    notification_method: Some("voteNotification"),
    payload: Payload::SolanaVote,
    one_shot: false,
    min_params: 0,
    fields: &[],
    docs_url: DOCS,
};

const fn account_list(key: &'static str, label: &'static str, help: &'static str) -> FieldSpec {
    FieldSpec {
        key,
        label,
        help,
        kind: FieldKind::PubkeyList { max: HELIUS_MAX_ACCOUNTS },
        default: "",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(0),
    }
}

const HELIUS_TRANSACTION_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        key: "vote",
        label: "Vote transactions",
        help: "Include (true) or exclude (false) vote transactions.",
        kind: FieldKind::Bool,
        default: "false",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(0),
    },
    FieldSpec {
        key: "failed",
        label: "Failed transactions",
        help: "Include (true) or exclude (false) failed transactions.",
        kind: FieldKind::Bool,
        default: "false",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(0),
    },
    FieldSpec {
        key: "signature",
        label: "Signature",
        help: "Only this transaction.",
        kind: FieldKind::Signature,
        default: "",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(0),
    },
    account_list(
        "accountInclude",
        "Any of accounts",
        "Transactions that include at least one of these accounts (OR).",
    ),
    account_list(
        "accountExclude",
        "None of accounts",
        "Drop transactions that include any of these accounts.",
    ),
    account_list(
        "accountRequired",
        "All of accounts",
        "Transactions that include every one of these accounts (AND).",
    ),
    FieldSpec {
        key: "tokenAccounts",
        label: "Token accounts",
        help: "Also match token accounts owned by the accountInclude wallets: balanceChanged, \
               all, or none.",
        kind: FieldKind::Choice(&["balanceChanged", "all", "none"]),
        default: "",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(0),
    },
    commitment(1),
    FieldSpec {
        key: "encoding",
        label: "Encoding",
        help: "How transactions are encoded.",
        kind: FieldKind::Choice(&["base58", "base64", "jsonParsed"]),
        default: "",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    },
    FieldSpec {
        key: "transactionDetails",
        label: "Transaction details",
        help: "How much of each transaction to send.",
        kind: FieldKind::Choice(TRANSACTION_DETAILS),
        default: "full",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    },
    FieldSpec {
        key: "showRewards",
        label: "Show rewards",
        help: "Include reward data.",
        kind: FieldKind::Bool,
        default: "false",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    },
    FieldSpec {
        key: "maxSupportedTransactionVersion",
        label: "Max transaction version",
        help: "Required when transactionDetails is full or accounts; 0 takes legacy and v0 \
               transactions, 1 also v1.",
        kind: FieldKind::Integer { min: 0, max: 255 },
        default: "0",
        required: false,
        required_when: Some(Condition { field: "transactionDetails", any_of: &["full", "accounts"] }),
        place: ParamPlace::InObject(1),
    },
];

/// Helius `transactionSubscribe`.
pub(crate) const HELIUS_TRANSACTION: MethodSpec = MethodSpec {
    id: "transactionSubscribe",
    label: "Transactions (Helius)",
    chain: Some(Chain::Solana),
    stability: Stability::Stable,
    provider: Some(HELIUS),
    note: "Helius only (LaserStream WebSocket on the standard endpoints). Every subscribe \
           creates a new id, even with identical params, and messages already in flight can \
           still arrive after unsubscribing. An empty filter streams every transaction.",
    rpc_method: "transactionSubscribe",
    subscription_kind: None,
    unsubscribe_method: Some("transactionUnsubscribe"),
    notification_method: Some("transactionNotification"),
    payload: Payload::HeliusTransaction,
    one_shot: false,
    min_params: 1,
    fields: HELIUS_TRANSACTION_FIELDS,
    docs_url: "https://www.helius.dev/docs/api-reference/enhanced-websockets/transactionsubscribe",
};
