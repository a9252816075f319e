//! Ethereum `eth_subscribe` (geth / anvil) and Alchemy's enhanced subscriptions: parameter
//! validation with geth's error messages, a deterministic block chain with a reorg every 20
//! blocks, and realistic header, log and transaction payloads.

use serde_json::{Map, Value};

use super::fake::{self, hex_random, quantity};
use super::rpc::{self, RpcError};
use super::shared::BASE_BLOCK;
use crate::catalog::ethereum as spec;
use crate::catalog::{ALCHEMY_MAX_ADDRESSES, MAX_TOPIC_ALTERNATIVES, MAX_TOPIC_POSITIONS, MethodSpec};

/// The demo chain id (31337, the well-known local development chain, as anvil reports).
pub(crate) const CHAIN_ID: u64 = 0x7a69;

/// Every `REORG_PERIOD`th block is replaced once by a competing block at the same height.
const REORG_PERIOD: u64 = 20;

/// keccak("Transfer(address,address,uint256)"), the most common event on mainnet.
const TRANSFER_TOPIC: &str = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

/// keccak of an empty RLP list: the uncles hash of every post-merge block.
const EMPTY_UNCLES: &str = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347";

/// The root of an empty trie.
const EMPTY_ROOT: &str = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421";

/// A logs filter: which addresses, and per topic position the allowed values (`None` = any).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LogFilter {
    /// Matching contract addresses (empty = any), lowercase.
    addresses: Vec<String>,
    /// Per position: `None` for a wildcard, else the alternatives, lowercase.
    topics: Vec<Option<Vec<String>>>,
}

/// Alchemy address criteria: a transaction matches when its `from` or `to` is listed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AddressFilter {
    /// Allowed senders (empty = any).
    from: Vec<String>,
    /// Allowed recipients (empty = any).
    to: Vec<String>,
}

/// One Ethereum subscription kind with its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// geth's error for a missing positional argument.
fn missing_argument(index: usize) -> RpcError {
    RpcError::invalid_params(format!("missing value for required argument {index}"))
}

/// geth's error for surplus positional arguments.
fn too_many_arguments(at_most: usize) -> RpcError {
    RpcError::invalid_params(format!("too many arguments, want at most {at_most}"))
}

/// geth's error for a bad argument.
fn invalid_argument(index: usize, detail: &str) -> RpcError {
    RpcError::invalid_params(format!("invalid argument {index}: {detail}"))
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
        return Err(RpcError::new(
            rpc::METHOD_NOT_FOUND,
            format!("no {name:?} subscription in eth namespace"),
        ));
    };
    let at_most = spec.param_count();
    if params.len() > at_most {
        return Err(too_many_arguments(at_most));
    }
    parse(params.get(1).filter(|value| !value.is_null()))
}

/// The `logs` option: geth's `FilterCriteria`.
fn parse_logs(option: Option<&Value>) -> Result<EthKind, RpcError> {
    match option {
        None => Ok(EthKind::Logs(LogFilter::default())),
        Some(Value::Object(map)) => parse_log_filter(map).map(EthKind::Logs),
        Some(_) => Err(invalid_argument(
            1,
            "json: cannot unmarshal non-object into Go value of type filters.FilterCriteria",
        )),
    }
}

/// The `newPendingTransactions` option: full transaction objects or hashes.
fn parse_pending(option: Option<&Value>) -> Result<EthKind, RpcError> {
    match option {
        None => Ok(EthKind::PendingTransactions { full: false }),
        Some(Value::Bool(full)) => Ok(EthKind::PendingTransactions { full: *full }),
        Some(_) => Err(invalid_argument(1, "json: cannot unmarshal non-bool into Go value of type bool")),
    }
}

/// The `alchemy_pendingTransactions` options.
fn parse_alchemy_pending(option: Option<&Value>) -> Result<EthKind, RpcError> {
    let map = option_object(option)?;
    let addresses = AddressFilter {
        from: address_list(map.get("fromAddress"))?,
        to: address_list(map.get("toAddress"))?,
    };
    check_alchemy_limit(&addresses)?;
    Ok(EthKind::AlchemyPending { addresses, hashes_only: option_bool(&map, "hashesOnly")? })
}

/// The `alchemy_minedTransactions` options.
fn parse_alchemy_mined(option: Option<&Value>) -> Result<EthKind, RpcError> {
    let map = option_object(option)?;
    let mut addresses = AddressFilter::default();
    match map.get("addresses") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let Value::Object(pair) = item else {
                    return Err(invalid_argument(1, "invalid addresses"));
                };
                addresses.from.extend(address_list(pair.get("from"))?);
                addresses.to.extend(address_list(pair.get("to"))?);
            }
        }
        Some(_) => return Err(invalid_argument(1, "invalid addresses")),
    }
    check_alchemy_limit(&addresses)?;
    Ok(EthKind::AlchemyMined {
        addresses,
        include_removed: option_bool(&map, "includeRemoved")?,
        hashes_only: option_bool(&map, "hashesOnly")?,
    })
}

/// The optional options object of an Alchemy subscription.
fn option_object(option: Option<&Value>) -> Result<Map<String, Value>, RpcError> {
    match option {
        None => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err(invalid_argument(1, "expected an object")),
    }
}

/// An optional boolean option.
fn option_bool(map: &Map<String, Value>, key: &str) -> Result<bool, RpcError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(_) => Err(invalid_argument(1, &format!("{key} must be a boolean"))),
    }
}

/// Alchemy's address limit, counting `from` and `to` together.
fn check_alchemy_limit(addresses: &AddressFilter) -> Result<(), RpcError> {
    if addresses.from.len() + addresses.to.len() > ALCHEMY_MAX_ADDRESSES {
        return Err(invalid_argument(1, &format!("too many addresses (max {ALCHEMY_MAX_ADDRESSES})")));
    }
    Ok(())
}

/// One address or a list of addresses, validated and lowercased.
fn address_list(value: Option<&Value>) -> Result<Vec<String>, RpcError> {
    let parse = |item: &Value| match item.as_str() {
        Some(text) if fake::is_hex_bytes(text, 20) => Ok(text.to_ascii_lowercase()),
        _ => Err(invalid_argument(1, "invalid address")),
    };
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(parse).collect(),
        Some(single) => parse(single).map(|address| vec![address]),
    }
}

/// geth's `FilterCriteria` (address, topics; block range fields are accepted and ignored).
fn parse_log_filter(map: &Map<String, Value>) -> Result<LogFilter, RpcError> {
    let addresses = address_list(map.get("address"))?;
    let topic = |item: &Value| match item.as_str() {
        Some(text) if fake::is_hex_bytes(text, 32) => Ok(text.to_ascii_lowercase()),
        _ => Err(invalid_argument(1, "invalid topic(s)")),
    };
    let topics = match map.get("topics") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(positions)) => {
            if positions.len() > MAX_TOPIC_POSITIONS {
                return Err(invalid_argument(1, "exceed max topics"));
            }
            let mut topics = Vec::with_capacity(positions.len());
            for position in positions {
                topics.push(match position {
                    Value::Null => None,
                    Value::Array(alternatives) => {
                        if alternatives.len() > MAX_TOPIC_ALTERNATIVES {
                            return Err(invalid_argument(1, "exceed max topics"));
                        }
                        // geth: a null inside the alternatives makes the position a wildcard.
                        if alternatives.is_empty() || alternatives.iter().any(Value::is_null) {
                            None
                        } else {
                            Some(alternatives.iter().map(topic).collect::<Result<_, _>>()?)
                        }
                    }
                    single => Some(vec![topic(single)?]),
                });
            }
            topics
        }
        Some(_) => return Err(invalid_argument(1, "invalid topic(s)")),
    };
    Ok(LogFilter { addresses, topics })
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

/// geth's error for an unknown method.
pub(crate) fn unknown_method(method: &str) -> RpcError {
    RpcError::new(rpc::METHOD_NOT_FOUND, format!("the method {method} does not exist/is not available"))
}

/// One position of the demo chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BlockRef {
    /// The block number.
    pub(crate) number: u64,
    /// 0 for the first block at this height, 1 for its reorg replacement.
    pub(crate) variant: u64,
}

impl BlockRef {
    /// The block at clock tick `tick`: every 21 ticks hold 20 new heights and one reorg that
    /// replaces the 20th block at the same height.
    pub(crate) fn at_tick(tick: u64) -> Self {
        let cycle = tick / (REORG_PERIOD + 1);
        let step = tick % (REORG_PERIOD + 1);
        let base = BASE_BLOCK.saturating_add(cycle.saturating_mul(REORG_PERIOD));
        if step < REORG_PERIOD {
            Self { number: base + step, variant: 0 }
        } else {
            Self { number: base + REORG_PERIOD - 1, variant: 1 }
        }
    }

    /// Whether this block replaces the previous head (a reorg at the same height).
    pub(crate) fn is_reorg(self) -> bool {
        self.variant == 1
    }

    /// The canonical parent of this block.
    fn parent(self) -> Self {
        let number = self.number.saturating_sub(1);
        let replaced =
            number.checked_sub(BASE_BLOCK).is_some_and(|offset| offset % REORG_PERIOD == REORG_PERIOD - 1);
        Self { number, variant: u64::from(replaced) }
    }

    /// The deterministic hash of this block (the same on every connection).
    pub(crate) fn hash(self, seed: u64) -> String {
        let mut rng = fake::seeded(seed, self.number, self.variant.wrapping_add(0xB10C));
        hex_random::<32>(&mut rng)
    }
}

/// What every notification of one simulated block needs to know.
pub(crate) struct BlockCtx {
    /// The block.
    pub(crate) block: BlockRef,
    /// Its timestamp (Unix seconds).
    pub(crate) timestamp: u64,
    /// The server seed.
    pub(crate) seed: u64,
}

impl BlockCtx {
    /// The newHeads header object, with anvil's field order.
    fn header(&self) -> String {
        let mut rng = fake::seeded(self.seed, self.block.number, self.block.variant);
        let gas_used = rng.u64(8_000_000..29_000_000);
        format!(
            r#"{{"hash":"{}","parentHash":"{}","sha3Uncles":"{EMPTY_UNCLES}","miner":"{}","stateRoot":"{}","transactionsRoot":"{}","receiptsRoot":"{}","logsBloom":"{}","difficulty":"0x0","number":"{}","gasLimit":"0x1c9c380","gasUsed":"{}","timestamp":"{}","extraData":"0x","mixHash":"{}","nonce":"0x0000000000000000","baseFeePerGas":"{}","withdrawalsRoot":"{}","blobGasUsed":"{}","excessBlobGas":"0x0","parentBeaconBlockRoot":"{}","requestsHash":"{}"}}"#,
            self.block.hash(self.seed),
            self.block.parent().hash(self.seed),
            hex_random::<20>(&mut rng),
            hex_random::<32>(&mut rng),
            hex_random::<32>(&mut rng),
            hex_random::<32>(&mut rng),
            fake::hex0x(&fake::bytes::<256>(&mut rng)),
            quantity(self.block.number),
            quantity(gas_used),
            quantity(self.timestamp),
            hex_random::<32>(&mut rng),
            quantity(rng.u64(300_000_000..3_000_000_000)),
            EMPTY_ROOT,
            quantity(rng.u64(0..6) * 131_072),
            hex_random::<32>(&mut rng),
            hex_random::<32>(&mut rng),
        )
    }

    /// A log object matching `filter`, without its closing `"removed":…}`.
    fn log_prefix(&self, filter: &LogFilter, index: u64, rng: &mut fastrand::Rng) -> String {
        let address = pick(&filter.addresses, rng).unwrap_or_else(|| hex_random::<20>(rng));
        let positions = filter.topics.len().max(3);
        let mut topics = Vec::with_capacity(positions);
        for position in 0..positions {
            let wanted = filter.topics.get(position).and_then(Option::as_ref);
            let topic = match wanted.and_then(|alternatives| pick(alternatives, rng)) {
                Some(topic) => topic,
                None if position == 0 => TRANSFER_TOPIC.to_owned(),
                None => fake::address_topic(&hex_random::<20>(rng)),
            };
            topics.push(topic);
        }
        format!(
            r#"{{"address":"{address}","topics":{},"data":"{}","blockHash":"{}","blockNumber":"{}","blockTimestamp":"{}","transactionHash":"{}","transactionIndex":"{}","logIndex":"{}","#,
            fake::json_str_array(&topics),
            fake::hex0x(&amount_word(rng)),
            self.block.hash(self.seed),
            quantity(self.block.number),
            quantity(self.timestamp),
            hex_random::<32>(rng),
            quantity(rng.u64(0..180)),
            quantity(index),
        )
    }

    /// A mined transaction object in this block.
    fn mined_tx(&self, addresses: &AddressFilter, rng: &mut fastrand::Rng) -> String {
        let location = Some((self.block.hash(self.seed), self.block.number, rng.u64(0..180)));
        transaction(addresses, location, rng)
    }
}

/// A random element of `items`.
fn pick(items: &[String], rng: &mut fastrand::Rng) -> Option<String> {
    rng.choice(items.iter()).cloned()
}

/// A 32-byte ABI word holding a plausible token amount.
fn amount_word(rng: &mut fastrand::Rng) -> [u8; 32] {
    let mut word = [0_u8; 32];
    word[20..].copy_from_slice(&fake::bytes::<12>(rng));
    word[20] = 0;
    word[21] &= 0x0f;
    word
}

/// A full EIP-1559 transaction object (anvil's field order); pending when `location` is None.
fn transaction(
    addresses: &AddressFilter,
    location: Option<(String, u64, u64)>,
    rng: &mut fastrand::Rng,
) -> String {
    let from = pick(&addresses.from, rng).unwrap_or_else(|| hex_random::<20>(rng));
    let to = pick(&addresses.to, rng).unwrap_or_else(|| hex_random::<20>(rng));
    let max_fee = rng.u64(1_000_000_000..60_000_000_000);
    let priority = rng.u64(1_000_000..2_000_000_000).min(max_fee);
    let (block_hash, block_number, index) = match location {
        Some((hash, number, index)) => {
            (fake::json_str(&hash), fake::json_str(&quantity(number)), fake::json_str(&quantity(index)))
        }
        None => ("null".to_owned(), "null".to_owned(), "null".to_owned()),
    };
    let input = if rng.bool() {
        "0x".to_owned()
    } else {
        // An ERC-20 transfer(address,uint256) call.
        let recipient = fake::address_topic(&hex_random::<20>(rng));
        let amount = fake::hex0x(&amount_word(rng));
        let digits = |hex: &str| hex.strip_prefix("0x").unwrap_or_default().to_owned();
        format!("0xa9059cbb{}{}", digits(&recipient), digits(&amount))
    };
    let y_parity = rng.u8(0..2);
    format!(
        r#"{{"type":"0x2","chainId":"{}","nonce":"{}","gas":"{}","maxFeePerGas":"{}","maxPriorityFeePerGas":"{}","to":"{to}","value":"{}","accessList":[],"input":"{input}","r":"{}","s":"{}","yParity":"{}","v":"{}","hash":"{}","blockHash":{block_hash},"blockNumber":{block_number},"transactionIndex":{index},"from":"{from}","gasPrice":"{}"}}"#,
        quantity(CHAIN_ID),
        quantity(rng.u64(0..5_000)),
        quantity(rng.u64(21_000..300_000)),
        quantity(max_fee),
        quantity(priority),
        quantity(rng.u64(0..5_000_000_000_000_000_000)),
        hex_random::<32>(rng),
        hex_random::<32>(rng),
        quantity(u64::from(y_parity)),
        quantity(u64::from(y_parity)),
        hex_random::<32>(rng),
        quantity(max_fee),
    )
}

/// The `hash` field of a transaction object built by [`transaction`].
fn tx_hash(tx: &str) -> Option<&str> {
    let start = tx.find(r#""hash":""#)? + r#""hash":""#.len();
    tx.get(start..start + 66)
}

/// Appends the notifications `sub` produces for one new block (or reorg).
pub(crate) fn notify_block(sub: &mut EthSub, ctx: &BlockCtx, rng: &mut fastrand::Rng, out: &mut Vec<String>) {
    let reorg = ctx.block.is_reorg();
    let id = sub.id.as_str();
    match &sub.kind {
        EthKind::NewHeads => out.push(rpc::eth_notification(id, &ctx.header())),
        EthKind::Logs(filter) => {
            if reorg {
                for log in &sub.last_block {
                    out.push(rpc::eth_notification(id, &format!(r#"{log}"removed":true}}"#)));
                }
            }
            let count = rng.u64(1..4);
            let logs: Vec<String> = (0..count).map(|index| ctx.log_prefix(filter, index, rng)).collect();
            for log in &logs {
                out.push(rpc::eth_notification(id, &format!(r#"{log}"removed":false}}"#)));
            }
            sub.last_block = logs;
        }
        EthKind::AlchemyMined { addresses, include_removed, hashes_only } => {
            let render = |tx: &str, removed: bool| {
                let body = if *hashes_only {
                    format!(r#"{{"hash":"{}"}}"#, tx_hash(tx).unwrap_or_default())
                } else {
                    tx.to_owned()
                };
                format!(r#"{{"removed":{removed},"transaction":{body}}}"#)
            };
            if reorg && *include_removed {
                for tx in &sub.last_block {
                    out.push(rpc::eth_notification(id, &render(tx, true)));
                }
            }
            let txs: Vec<String> = (0..rng.u64(0..3)).map(|_| ctx.mined_tx(addresses, rng)).collect();
            for tx in &txs {
                out.push(rpc::eth_notification(id, &render(tx, false)));
            }
            sub.last_block = txs;
        }
        EthKind::PendingTransactions { .. } | EthKind::Syncing | EthKind::AlchemyPending { .. } => {}
    }
}

/// Appends the pending-transaction notifications `sub` produces for one mempool tick.
pub(crate) fn notify_mempool(sub: &EthSub, rng: &mut fastrand::Rng, out: &mut Vec<String>) {
    let (addresses, full) = match &sub.kind {
        EthKind::PendingTransactions { full } => (AddressFilter::default(), *full),
        EthKind::AlchemyPending { addresses, hashes_only } => (addresses.clone(), !*hashes_only),
        _ => return,
    };
    for _ in 0..rng.u8(1..4) {
        let result =
            if full { transaction(&addresses, None, rng) } else { fake::json_str(&hex_random::<32>(rng)) };
        out.push(rpc::eth_notification(&sub.id, &result));
    }
}

/// The single notification a `syncing` subscription sends: `false` (not syncing).
pub(crate) fn syncing_notification(sub: &EthSub) -> Option<String> {
    (sub.kind == EthKind::Syncing).then(|| rpc::eth_notification(&sub.id, "false"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(frame: &str) -> Value {
        match serde_json::from_str(frame) {
            Ok(value) => value,
            Err(err) => panic!("not JSON ({err}): {frame}"),
        }
    }

    #[test]
    fn the_chain_reorgs_every_twentieth_block_and_links_parents() {
        let heights: Vec<BlockRef> = (0..42).map(BlockRef::at_tick).collect();
        assert_eq!(heights[0].number, BASE_BLOCK);
        assert_eq!(heights[19].number, BASE_BLOCK + 19);
        assert!(heights[20].is_reorg());
        assert_eq!(heights[20].number, BASE_BLOCK + 19);
        assert_eq!(heights[21].number, BASE_BLOCK + 20);
        assert_eq!(heights[21].parent(), heights[20]);
        assert_eq!(heights[20].parent(), heights[18]);
        assert_ne!(heights[19].hash(1), heights[20].hash(1));
    }

    #[test]
    fn logs_honour_the_filter_and_reorgs_resend_them_removed() {
        let address = "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0";
        let topic = "0x48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f";
        let params = [Value::from("logs"), serde_json::json!({"address": address, "topics": [topic]})];
        let Ok(kind) = parse_subscribe(&params) else {
            panic!("rejected");
        };
        let mut rng = fastrand::Rng::with_seed(9);
        let mut sub = EthSub::new(kind, &mut rng);
        let mut frames = Vec::new();
        for tick in 19..21 {
            let ctx = BlockCtx { block: BlockRef::at_tick(tick), timestamp: 1_795_333_889, seed: 1 };
            notify_block(&mut sub, &ctx, &mut rng, &mut frames);
        }
        let logs: Vec<Value> = frames.iter().map(|frame| json(frame)).collect();
        assert!(logs.iter().any(|log| log["params"]["result"]["removed"] == true));
        for log in &logs {
            let result = &log["params"]["result"];
            assert_eq!(result["address"], address);
            assert_eq!(result["topics"][0], topic);
        }
    }

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

    #[test]
    fn geth_errors_for_bad_subscriptions() {
        let err = |params: Value| match parse_subscribe(params.as_array().map_or(&[], |v| v)) {
            Ok(kind) => panic!("accepted: {kind:?}"),
            Err(err) => (err.code, err.message),
        };
        assert_eq!(
            err(serde_json::json!(["foo"])),
            (-32601, r#"no "foo" subscription in eth namespace"#.to_owned())
        );
        assert_eq!(err(serde_json::json!([])), (-32602, "missing value for required argument 0".to_owned()));
        assert_eq!(
            err(serde_json::json!(["logs", {"address": "0xnothex"}])),
            (-32602, "invalid argument 1: invalid address".to_owned())
        );
        assert_eq!(
            err(serde_json::json!(["logs", {"topics": [null, null, null, null, null]}])),
            (-32602, "invalid argument 1: exceed max topics".to_owned())
        );
        assert_eq!(
            err(serde_json::json!(["newHeads", {}])),
            (-32602, "too many arguments, want at most 1".to_owned())
        );
        let many: Vec<String> = (0..1_001).map(|index| format!("0x{index:040x}")).collect();
        assert_eq!(
            err(serde_json::json!(["alchemy_pendingTransactions", {"toAddress": many}])),
            (-32602, "invalid argument 1: too many addresses (max 1000)".to_owned())
        );
    }

    #[test]
    fn headers_and_transactions_are_valid_json() {
        let ctx = BlockCtx { block: BlockRef::at_tick(5), timestamp: 1_795_333_889, seed: 2 };
        let header = json(&ctx.header());
        assert_eq!(header["number"], quantity(BASE_BLOCK + 5));
        assert_eq!(header["logsBloom"].as_str().map(str::len), Some(514));
        let mut rng = fastrand::Rng::with_seed(4);
        let tx = ctx.mined_tx(&AddressFilter::default(), &mut rng);
        let parsed = json(&tx);
        assert_eq!(tx_hash(&tx), parsed["hash"].as_str());
        assert_eq!(parsed["blockNumber"], quantity(BASE_BLOCK + 5));
    }
}
