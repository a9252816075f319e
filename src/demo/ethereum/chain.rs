//! The demo's Ethereum chain: one block per clock tick, every twentieth replaced once by a
//! competing block at the same height, and the headers, logs and transactions each
//! subscription is notified of.

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
