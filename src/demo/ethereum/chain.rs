//! The demo's Ethereum chain: one block per clock tick, every twentieth replaced once by a
//! competing block at the same height, and what each block holds: its header, its
//! transactions and their logs, derived from the server's seed and the block's place alone
//! (and the log filters clients asked for, `crate::demo::interest`), so a block sent over one
//! connection is the same when another connection, or an HTTP request, asks for it later.
//! Block and transaction hashes carry their place ([`fake::locating`]), so a hash a client
//! sends is traced back to its block without a table.

use super::{AddressFilter, CHAIN_ID, EthKind, EthSub, LogFilter};
use crate::demo::fake::{self, hex_random, quantity};
use crate::demo::rpc;
use crate::demo::shared::BASE_BLOCK;

/// Every `REORG_PERIOD`th block is replaced once by a competing block at the same height.
const REORG_PERIOD: u64 = 20;

/// keccak("Transfer(address,address,uint256)"), the most common event on mainnet.
pub(crate) const TRANSFER_TOPIC: &str = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

/// keccak of an empty RLP list: the uncles hash of every post-merge block.
const EMPTY_UNCLES: &str = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347";

/// The root of an empty trie.
const EMPTY_ROOT: &str = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421";

/// The [`fake::locating`] domains of block and transaction hashes.
const BLOCK_DOMAIN: u64 = 0xB10C;
const TX_DOMAIN: u64 = 0x7C;

/// One position of the demo chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
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

    /// The clock tick that made this block.
    pub(crate) fn tick(self) -> u64 {
        let offset = self.number.saturating_sub(BASE_BLOCK);
        let cycle = (offset / REORG_PERIOD).saturating_mul(REORG_PERIOD + 1);
        if self.variant == 0 {
            cycle.saturating_add(offset % REORG_PERIOD)
        } else {
            cycle.saturating_add(REORG_PERIOD)
        }
    }

    /// Whether a reorg replaces the block at `number`.
    fn is_reorg_height(number: u64) -> bool {
        number.checked_sub(BASE_BLOCK).is_some_and(|offset| offset % REORG_PERIOD == REORG_PERIOD - 1)
    }

    /// Whether this block was made by tick `head_tick` (an orphaned one included).
    pub(crate) fn exists_at(self, head_tick: u64) -> bool {
        self.number >= BASE_BLOCK
            && self.variant <= 1
            && (self.variant == 0 || Self::is_reorg_height(self.number))
            && self.tick() <= head_tick
    }

    /// The canonical block at height `number` when the head is the block of `head_tick`; a
    /// replaced block is only found by its hash.
    pub(crate) fn canonical(number: u64, head_tick: u64) -> Option<Self> {
        let replaced = Self { number, variant: 1 };
        let first = Self { number, variant: 0 };
        if replaced.exists_at(head_tick) {
            Some(replaced)
        } else {
            first.exists_at(head_tick).then_some(first)
        }
    }

    /// Whether this block is on the canonical chain of `head_tick`.
    pub(crate) fn is_canonical_at(self, head_tick: u64) -> bool {
        Self::canonical(self.number, head_tick) == Some(self)
    }

    /// Whether this block replaces the previous head (a reorg at the same height).
    pub(crate) fn is_reorg(self) -> bool {
        self.variant == 1
    }

    /// The canonical parent of this block.
    fn parent(self) -> Self {
        let number = self.number.saturating_sub(1);
        Self { number, variant: u64::from(Self::is_reorg_height(number)) }
    }

    /// Where [`fake::locating`] puts this block.
    fn position(self) -> u64 {
        self.number.saturating_mul(2).saturating_add(self.variant.min(1))
    }

    /// The deterministic hash of this block (the same on every connection).
    pub(crate) fn hash(self, seed: u64) -> String {
        fake::hex0x(&fake::locating::<32>(seed, BLOCK_DOMAIN, self.position(), 0))
    }

    /// The block a hash names, if this server made it (whether the block exists yet is
    /// [`BlockRef::exists_at`]'s question).
    pub(crate) fn from_hash(seed: u64, hash: &str) -> Option<Self> {
        let bytes = fake::decode_hex_exact(hash, 32)?;
        let (position, index) = fake::located::<32>(seed, BLOCK_DOMAIN, &bytes)?;
        (index == 0).then_some(Self { number: position / 2, variant: position % 2 })
    }

    /// The hash of transaction `index` of this block.
    fn tx_hash(self, seed: u64, index: u16) -> String {
        fake::hex0x(&fake::locating::<32>(seed, TX_DOMAIN, self.position(), index))
    }

    /// The block and index a transaction hash names, if this server made it.
    pub(crate) fn of_tx_hash(seed: u64, hash: &str) -> Option<(Self, u16)> {
        let bytes = fake::decode_hex_exact(hash, 32)?;
        let (position, index) = fake::located::<32>(seed, TX_DOMAIN, &bytes)?;
        Some((Self { number: position / 2, variant: position % 2 }, index))
    }
}

/// One log of a block.
pub(crate) struct EthLog {
    /// The emitting contract, lowercase.
    pub(crate) address: String,
    /// The topics, lowercase.
    pub(crate) topics: Vec<String>,
    /// The data.
    data: String,
    /// Its index in the block.
    index: u64,
}

/// One transaction of a block.
pub(crate) struct EthTx {
    /// Its index in the block.
    index: u16,
    /// Its hash.
    pub(crate) hash: String,
    /// The seed its other fields are drawn from.
    body_seed: u64,
    /// Its logs.
    pub(crate) logs: Vec<EthLog>,
}

/// One block with everything in it: what every notification of it, and every HTTP answer
/// about it, is made from.
pub(crate) struct BlockCtx {
    /// The block.
    pub(crate) block: BlockRef,
    /// Its timestamp (Unix seconds).
    pub(crate) timestamp: u64,
    /// The server seed.
    pub(crate) seed: u64,
    /// Its transactions, in order.
    pub(crate) txs: Vec<EthTx>,
}

impl BlockCtx {
    /// The block `block`, stamped `timestamp`, holding a few transfers with logs of their
    /// own and a few matching each of `filters` (the interests counting at its tick).
    pub(crate) fn new(block: BlockRef, timestamp: u64, seed: u64, filters: &[LogFilter]) -> Self {
        let mut ctx = Self { block, timestamp, seed, txs: Vec::new() };
        let mut rng = fake::seeded(seed, block.number, block.variant.wrapping_add(0x7A5));
        let mut next_log = 0;
        for _ in 0..rng.u64(1..4) {
            let logs = rng.u64(0..3);
            ctx.push_tx(&LogFilter::default(), logs, &mut rng, &mut next_log);
        }
        for filter in filters {
            let mut rng = fake::seeded(seed ^ filter.key(), block.number, block.variant);
            for _ in 0..rng.u64(1..3) {
                ctx.push_tx(filter, 1, &mut rng, &mut next_log);
            }
        }
        ctx
    }

    /// Appends a transaction with `logs` logs matching `filter`.
    fn push_tx(&mut self, filter: &LogFilter, logs: u64, rng: &mut fastrand::Rng, next_log: &mut u64) {
        let index = u16::try_from(self.txs.len()).unwrap_or(u16::MAX);
        let logs = (0..logs)
            .map(|_| {
                let log = log_body(filter, *next_log, rng);
                *next_log += 1;
                log
            })
            .collect();
        let hash = self.block.tx_hash(self.seed, index);
        self.txs.push(EthTx { index, hash, body_seed: rng.u64(..), logs });
    }

    /// Every log of the block with its transaction, in order.
    pub(crate) fn logs(&self) -> impl Iterator<Item = (&EthTx, &EthLog)> {
        self.txs.iter().flat_map(|tx| tx.logs.iter().map(move |log| (tx, log)))
    }

    /// The newHeads header object, with anvil's field order.
    pub(crate) fn header(&self) -> String {
        let header = self.header_fields();
        format!("{{{header}}}")
    }

    /// The header's fields, without the braces.
    fn header_fields(&self) -> String {
        let mut rng = fake::seeded(self.seed, self.block.number, self.block.variant);
        let gas_used = rng.u64(8_000_000..29_000_000);
        format!(
            r#""hash":"{}","parentHash":"{}","sha3Uncles":"{EMPTY_UNCLES}","miner":"{}","stateRoot":"{}","transactionsRoot":"{}","receiptsRoot":"{}","logsBloom":"{}","difficulty":"0x0","number":"{}","gasLimit":"0x1c9c380","gasUsed":"{}","timestamp":"{}","extraData":"0x","mixHash":"{}","nonce":"0x0000000000000000","baseFeePerGas":"{}","withdrawalsRoot":"{}","blobGasUsed":"{}","excessBlobGas":"0x0","parentBeaconBlockRoot":"{}","requestsHash":"{}""#,
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

    /// The `eth_getBlockBy*` object (anvil's): the header, then size, uncles, the
    /// transactions (hashes, or whole objects when `full`) and withdrawals.
    pub(crate) fn block_json(&self, full: bool) -> String {
        let txs: Vec<String> = self
            .txs
            .iter()
            .map(|tx| if full { self.tx_json(tx) } else { fake::json_str(&tx.hash) })
            .collect();
        let size = 0x264 + 0x90 * self.txs.len() as u64;
        format!(
            r#"{{{},"totalDifficulty":"0x0","size":"{}","uncles":[],"transactions":[{}],"withdrawals":[]}}"#,
            self.header_fields(),
            quantity(size),
            txs.join(",")
        )
    }

    /// A log object as notifications and `eth_getLogs` carry it.
    pub(crate) fn log_json(&self, tx: &EthTx, log: &EthLog, removed: bool) -> String {
        format!(
            r#"{{"address":"{}","topics":{},"data":"{}","blockHash":"{}","blockNumber":"{}","blockTimestamp":"{}","transactionHash":"{}","transactionIndex":"{}","logIndex":"{}","removed":{removed}}}"#,
            log.address,
            fake::json_str_array(&log.topics),
            log.data,
            self.block.hash(self.seed),
            quantity(self.block.number),
            quantity(self.timestamp),
            tx.hash,
            quantity(u64::from(tx.index)),
            quantity(log.index),
        )
    }

    /// A transaction object of this block.
    pub(crate) fn tx_json(&self, tx: &EthTx) -> String {
        let location = Some((self.block.hash(self.seed), self.block.number, u64::from(tx.index)));
        let mut rng = fastrand::Rng::with_seed(tx.body_seed);
        transaction(&AddressFilter::default(), location, &tx.hash, &mut rng)
    }

    /// The receipt of a transaction of this block (anvil's field order).
    pub(crate) fn receipt_json(&self, tx: &EthTx) -> String {
        let mut rng = fastrand::Rng::with_seed(tx.body_seed);
        let body = transaction(&AddressFilter::default(), None, &tx.hash, &mut rng);
        let field = |name: &str| field_of(&body, name).unwrap_or("0x0").to_owned();
        let gas_used = 21_000 + 30_000 * tx.logs.len() as u64;
        let logs: Vec<String> = tx.logs.iter().map(|log| self.log_json(tx, log, false)).collect();
        format!(
            r#"{{"status":"0x1","cumulativeGasUsed":"{}","logs":[{}],"logsBloom":"{}","type":"0x2","transactionHash":"{}","transactionIndex":"{}","blockHash":"{}","blockNumber":"{}","gasUsed":"{}","effectiveGasPrice":"{}","from":"{}","to":"{}","contractAddress":null}}"#,
            quantity(gas_used * (u64::from(tx.index) + 1)),
            logs.join(","),
            fake::hex0x(&[0_u8; 256]),
            tx.hash,
            quantity(u64::from(tx.index)),
            self.block.hash(self.seed),
            quantity(self.block.number),
            quantity(gas_used),
            field("gasPrice"),
            field("from"),
            field("to"),
        )
    }

    /// A mined transaction object for Alchemy's mined-transactions subscription.
    fn mined_tx(&self, addresses: &AddressFilter, rng: &mut fastrand::Rng) -> String {
        let location = Some((self.block.hash(self.seed), self.block.number, rng.u64(0..180)));
        let hash = hex_random::<32>(rng);
        transaction(addresses, location, &hash, rng)
    }
}

/// A log matching `filter`, the `index`th of its block.
fn log_body(filter: &LogFilter, index: u64, rng: &mut fastrand::Rng) -> EthLog {
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
    EthLog { address, topics, data: fake::hex0x(&amount_word(rng)), index }
}

/// The text of a string field of a JSON object built here (`"name":"value"`).
fn field_of<'a>(object: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(r#""{name}":""#);
    let start = object.find(&key)? + key.len();
    let end = start + object.get(start..)?.find('"')?;
    object.get(start..end)
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
    hash: &str,
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
        hash,
        quantity(max_fee),
    )
}

/// The `hash` field of a transaction object built by [`transaction`].
fn tx_hash(tx: &str) -> Option<&str> {
    field_of(tx, "hash")
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
                    out.push(rpc::eth_notification(id, log));
                }
            }
            sub.last_block.clear();
            for (tx, log) in ctx.logs().filter(|(_, log)| filter.matches(log)) {
                out.push(rpc::eth_notification(id, &ctx.log_json(tx, log, false)));
                sub.last_block.push(ctx.log_json(tx, log, true));
            }
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
        let hash = hex_random::<32>(rng);
        let result = if full { transaction(&addresses, None, &hash, rng) } else { fake::json_str(&hash) };
        out.push(rpc::eth_notification(&sub.id, &result));
    }
}

/// The single notification a `syncing` subscription sends: `false` (not syncing).
pub(crate) fn syncing_notification(sub: &EthSub) -> Option<String> {
    (sub.kind == EthKind::Syncing).then(|| rpc::eth_notification(&sub.id, "false"))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::super::parse_subscribe;
    use super::*;
    use crate::demo::fake::parse_json as json;

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
        // Before the reorg the first block is canonical; after it, the replacement, and the
        // replaced one is found by its hash only.
        assert_eq!(BlockRef::canonical(heights[19].number, 19), Some(heights[19]));
        assert_eq!(BlockRef::canonical(heights[19].number, 20), Some(heights[20]));
        assert!(heights[19].exists_at(20) && !heights[19].is_canonical_at(20));
        assert_eq!(BlockRef::from_hash(1, &heights[19].hash(1)), Some(heights[19]));
        assert_eq!(BlockRef::from_hash(2, &heights[19].hash(1)), None);
        assert_eq!(BlockRef::canonical(heights[21].number, 20), None, "not made yet");
        for (tick, block) in heights.iter().enumerate() {
            assert_eq!(block.tick(), tick as u64);
        }
    }

    #[test]
    fn logs_honour_the_filter_and_reorgs_resend_them_removed() {
        let address = "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0";
        let topic = "0x48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f";
        let params = [Value::from("logs"), serde_json::json!({"address": address, "topics": [topic]})];
        let Ok(kind @ EthKind::Logs(_)) = parse_subscribe(&params) else {
            panic!("rejected");
        };
        let EthKind::Logs(filter) = kind.clone() else { return };
        let mut rng = fastrand::Rng::with_seed(9);
        let mut sub = EthSub::new(kind, &mut rng);
        let mut frames = Vec::new();
        for tick in 19..21 {
            let ctx = BlockCtx::new(BlockRef::at_tick(tick), 1_795_333_889, 1, std::slice::from_ref(&filter));
            notify_block(&mut sub, &ctx, &mut rng, &mut frames);
        }
        assert!(frames.len() >= 3, "the filter's own events, then removed, then the new block's");
        let logs: Vec<Value> = frames.iter().map(|frame| json(frame)).collect();
        assert!(logs.iter().any(|log| log["params"]["result"]["removed"] == true));
        for log in &logs {
            let result = &log["params"]["result"];
            assert_eq!(result["address"], address);
            assert_eq!(result["topics"][0], topic);
        }
    }

    #[test]
    fn headers_and_transactions_are_valid_json() {
        let ctx = BlockCtx::new(BlockRef::at_tick(5), 1_795_333_889, 2, &[]);
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
