//! Ethereum `eth_subscribe` kinds, Alchemy's extra kinds, and the one-off request.

use super::{
    ALCHEMY, ALCHEMY_MAX_ADDRESSES, Chain, ETH_NOTIFICATION, ETH_SUBSCRIBE, ETH_UNSUBSCRIBE, FieldKind,
    FieldSpec, MAX_LOG_ADDRESSES, MAX_TOPIC_ALTERNATIVES, MAX_TOPIC_POSITIONS, MethodSpec, ParamPlace,
    Payload, REQUEST_ID, Stability,
};

const GETH_DOCS: &str = "https://geth.ethereum.org/docs/interacting-with-geth/rpc/pubsub";

const ALCHEMY_DOCS: &str = "https://www.alchemy.com/docs/reference/subscription-api";

/// An `eth_subscribe` spec with the fields every kind shares.
const fn eth_subscription(
    kind: &'static str,
    payload: Payload,
    id: &'static str,
    label: &'static str,
    note: &'static str,
    fields: &'static [FieldSpec],
) -> MethodSpec {
    MethodSpec {
        id,
        label,
        chain: Some(Chain::Ethereum),
        stability: Stability::Stable,
        provider: None,
        note,
        rpc_method: ETH_SUBSCRIBE,
        subscription_kind: Some(kind),
        unsubscribe_method: Some(ETH_UNSUBSCRIBE),
        notification_method: Some(ETH_NOTIFICATION),
        payload,
        one_shot: false,
        min_params: 1,
        fields,
        docs_url: GETH_DOCS,
    }
}

/// `eth_subscribe` `newHeads`.
pub(crate) const NEW_HEADS: MethodSpec = eth_subscription(
    "newHeads",
    Payload::EthNewHeads,
    "eth_subscribe:newHeads",
    "New block headers",
    "One header per block (about every 12 s on mainnet). On a reorg the same height is sent \
     again; the later header wins.",
    &[],
);

const LOGS_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        key: "address",
        label: "Contract addresses",
        help: "Only logs emitted by one of these contracts; empty means any contract.",
        kind: FieldKind::AddressList { max: MAX_LOG_ADDRESSES },
        default: "",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    },
    FieldSpec {
        key: "topics",
        label: "Topics",
        help: "Per position: any, one topic, or any of several (OR). Topic 0 is the event \
               signature hash.",
        kind: FieldKind::Topics {
            max_positions: MAX_TOPIC_POSITIONS,
            max_alternatives: MAX_TOPIC_ALTERNATIVES,
        },
        default: "",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    },
];

/// `eth_subscribe` `logs`.
pub(crate) const LOGS: MethodSpec = eth_subscription(
    "logs",
    Payload::EthLogs,
    "eth_subscribe:logs",
    "Logs",
    "Logs of new blocks matching the filter. On a reorg, logs of the old chain are sent again \
     with \"removed\": true.",
    LOGS_FIELDS,
);

const NEW_PENDING_FIELDS: &[FieldSpec] = &[FieldSpec {
    key: "fullTx",
    label: "Full transactions",
    help: "geth and anvil send full transaction objects instead of hashes when true.",
    kind: FieldKind::Bool,
    default: "false",
    required: false,
    required_when: None,
    place: ParamPlace::Positional(1),
}];

/// `eth_subscribe` `newPendingTransactions`.
pub(crate) const NEW_PENDING_TRANSACTIONS: MethodSpec = eth_subscription(
    "newPendingTransactions",
    Payload::EthPendingTransactions,
    "eth_subscribe:newPendingTransactions",
    "Pending transactions",
    "Hashes of transactions entering the mempool (geth can re-send old ones). Alchemy sends \
     hashes only; use alchemy_pendingTransactions for full objects and filters.",
    NEW_PENDING_FIELDS,
);

/// `eth_subscribe` `syncing`.
pub(crate) const SYNCING: MethodSpec = eth_subscription(
    "syncing",
    Payload::EthSyncing,
    "eth_subscribe:syncing",
    "Sync status",
    "Sync progress, or false when synced. anvil answers -32603 Not implemented.",
    &[],
);

/// An Alchemy-only `eth_subscribe` spec.
const fn alchemy_subscription(
    kind: &'static str,
    payload: Payload,
    id: &'static str,
    label: &'static str,
    stability: Stability,
    note: &'static str,
    fields: &'static [FieldSpec],
) -> MethodSpec {
    MethodSpec {
        stability,
        provider: Some(ALCHEMY),
        docs_url: ALCHEMY_DOCS,
        ..eth_subscription(kind, payload, id, label, note, fields)
    }
}

const fn hashes_only(help: &'static str) -> FieldSpec {
    FieldSpec {
        key: "hashesOnly",
        label: "Hashes only",
        help,
        kind: FieldKind::Bool,
        default: "false",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    }
}

const ALCHEMY_PENDING_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        key: "fromAddress",
        label: "From addresses",
        help: "Transactions sent from one of these (OR-ed with the to addresses).",
        kind: FieldKind::AddressList { max: ALCHEMY_MAX_ADDRESSES },
        default: "",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    },
    FieldSpec {
        key: "toAddress",
        label: "To addresses",
        help: "Transactions sent to one of these. At most 1000 unique addresses, from and to \
               together.",
        kind: FieldKind::AddressList { max: ALCHEMY_MAX_ADDRESSES },
        default: "",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    },
    hashes_only("Send only hashes instead of eth_getTransactionByHash objects."),
];

/// Alchemy `alchemy_pendingTransactions`.
pub(crate) const ALCHEMY_PENDING_TRANSACTIONS: MethodSpec = alchemy_subscription(
    "alchemy_pendingTransactions",
    Payload::EthPendingTransactions,
    "eth_subscribe:alchemy_pendingTransactions",
    "Pending transactions, filtered (Alchemy)",
    Stability::Stable,
    "Alchemy only; pending transactions of Alchemy's mempool (ETH Mainnet, Sepolia, Polygon). \
     Without addresses it streams every pending transaction.",
    ALCHEMY_PENDING_FIELDS,
);

const ALCHEMY_MINED_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        key: "addresses",
        label: "Addresses",
        help: "Rows of {from, to} addresses (either may be empty) to filter mined \
               transactions by. At most 1000 addresses in total.",
        kind: FieldKind::FromToAddresses { max: ALCHEMY_MAX_ADDRESSES },
        default: "",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    },
    FieldSpec {
        key: "includeRemoved",
        label: "Include removed",
        help: "Also send transactions removed by a reorg (with removed: true).",
        kind: FieldKind::Bool,
        default: "false",
        required: false,
        required_when: None,
        place: ParamPlace::InObject(1),
    },
    hashes_only("Send only {hash} instead of full transaction objects."),
];

/// Alchemy `alchemy_minedTransactions`.
pub(crate) const ALCHEMY_MINED_TRANSACTIONS: MethodSpec = alchemy_subscription(
    "alchemy_minedTransactions",
    Payload::AlchemyMinedTransactions,
    "eth_subscribe:alchemy_minedTransactions",
    "Mined transactions (Alchemy)",
    Stability::Stable,
    "Alchemy only; transactions once mined in the latest block, as {removed, transaction}. \
     Without addresses it streams every mined transaction.",
    ALCHEMY_MINED_FIELDS,
);

/// Alchemy `alchemy_newFullPendingTransactions` (legacy).
pub(crate) const ALCHEMY_NEW_FULL_PENDING_TRANSACTIONS: MethodSpec = alchemy_subscription(
    "alchemy_newFullPendingTransactions",
    Payload::EthPendingTransactions,
    "eth_subscribe:alchemy_newFullPendingTransactions",
    "All full pending transactions (Alchemy, legacy)",
    Stability::Legacy,
    "Legacy: no longer in Alchemy's docs, which call it very costly. Prefer \
     alchemy_pendingTransactions.",
    &[],
);

const REQUEST_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        key: "method",
        label: "Method",
        help: "Any JSON-RPC method, for example eth_blockNumber or getVersion.",
        kind: FieldKind::MethodName,
        default: "",
        required: true,
        required_when: None,
        place: ParamPlace::Envelope,
    },
    FieldSpec {
        key: "params",
        label: "Params",
        help: "A JSON array (or object); leave empty to send none.",
        kind: FieldKind::Json,
        default: "",
        required: false,
        required_when: None,
        place: ParamPlace::Envelope,
    },
];

/// The one-off request: any method, any params, one response.
pub(crate) const REQUEST: MethodSpec = MethodSpec {
    id: REQUEST_ID,
    label: "One-off request",
    chain: None,
    stability: Stability::Stable,
    provider: None,
    note: "Sends one request and shows its response. Agave's PubSub port answers only \
           getVersion; Alchemy and anvil answer every HTTP method over WebSocket.",
    rpc_method: "",
    subscription_kind: None,
    unsubscribe_method: None,
    notification_method: None,
    payload: Payload::Unknown,
    one_shot: false,
    min_params: 0,
    fields: REQUEST_FIELDS,
    docs_url: "https://www.jsonrpc.org/specification",
};

/// A common one-off request, offered as a suggestion in the request form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommonRequest {
    /// The chain it is for.
    pub chain: Chain,
    /// The JSON-RPC method.
    pub method: &'static str,
    /// The params as JSON text, or `""` for none.
    pub params: &'static str,
    /// What it answers.
    pub help: &'static str,
}

const fn common(
    chain: Chain,
    method: &'static str,
    params: &'static str,
    help: &'static str,
) -> CommonRequest {
    CommonRequest { chain, method, params, help }
}

static COMMON_REQUESTS: [CommonRequest; 16] = [
    common(Chain::Solana, "getVersion", "", "Node software version (Agave PubSub answers it)."),
    common(Chain::Solana, "getSlot", "", "Current slot."),
    common(Chain::Solana, "getHealth", "", "\"ok\" when the node is healthy."),
    common(Chain::Solana, "getBlockHeight", "", "Current block height."),
    common(Chain::Solana, "getEpochInfo", "", "Epoch, slot index and slots per epoch."),
    common(Chain::Solana, "getLatestBlockhash", "", "Latest blockhash and its last valid height."),
    common(Chain::Solana, "getGenesisHash", "", "Genesis hash: which cluster this is."),
    common(Chain::Ethereum, "eth_blockNumber", "[]", "Latest block number (hex)."),
    common(Chain::Ethereum, "eth_chainId", "[]", "Chain id (hex): 0x1 mainnet, 0x7a69 anvil."),
    common(Chain::Ethereum, "eth_gasPrice", "[]", "Current gas price in wei (hex)."),
    common(Chain::Ethereum, "eth_maxPriorityFeePerGas", "[]", "Suggested priority fee (hex)."),
    common(Chain::Ethereum, "eth_syncing", "[]", "Sync status, or false."),
    common(Chain::Ethereum, "net_version", "[]", "Network id (decimal string)."),
    common(Chain::Ethereum, "web3_clientVersion", "[]", "Node software version."),
    common(Chain::Ethereum, "net_peerCount", "[]", "Connected peers (hex)."),
    common(
        Chain::Ethereum,
        "eth_getBlockByNumber",
        "[\"latest\", false]",
        "The latest block with transaction hashes.",
    ),
];

/// Common one-off requests for `chain`, for the request form's suggestion list.
pub fn common_requests(chain: Chain) -> impl Iterator<Item = &'static CommonRequest> {
    COMMON_REQUESTS.iter().filter(move |request| request.chain == chain)
}
