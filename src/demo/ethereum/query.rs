//! The Ethereum methods the demo answers from its chain, over HTTP and as one-off requests
//! over a WebSocket alike: blocks by number and by hash, logs, transactions and receipts, in
//! anvil's shapes and with geth's errors. A block is what the chain made at its tick
//! ([`Shared::eth_block`]), so what a subscription was sent and what is asked later agree.

use serde_json::{Map, Value};

use super::chain::{BlockCtx, BlockRef};
use super::errors::{invalid_argument, missing_argument};
use super::{LogFilter, parse_log_filter};
use crate::demo::fake::quantity;
use crate::demo::rpc::{self, RpcError};
use crate::demo::shared::{BASE_BLOCK, Shared};

/// The most logs one `eth_getLogs` answers; beyond, Infura's error names a range that works.
pub(crate) const MAX_LOGS: usize = 10_000;

/// How far behind the head the `safe` and `finalized` tags are, in blocks (as on mainnet:
/// one and two epochs).
const SAFE_DEPTH: u64 = 32;
const FINALIZED_DEPTH: u64 = 64;

/// Provider limits a request is answered under (the URL's faults).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Limits {
    /// The most blocks one `eth_getLogs` may span.
    pub(crate) getlogs_max_range: Option<u64>,
}

/// Answers a chain query; `None` for a method that is not one.
pub(crate) fn query(
    shared: &Shared,
    limits: Limits,
    method: &str,
    params: &[Value],
) -> Option<Result<String, RpcError>> {
    let chain = Chain { shared, head_tick: shared.clock.block_tick() };
    Some(match method {
        "eth_getBlockByNumber" => chain.block_by_number(params),
        "eth_getBlockByHash" => chain.block_by_hash(params),
        "eth_getLogs" => chain.logs(params, limits),
        "eth_getTransactionByHash" => chain.transaction(params, BlockCtx::tx_json),
        "eth_getTransactionReceipt" => chain.transaction(params, BlockCtx::receipt_json),
        _ => return None,
    })
}

/// The chain as it stands at one moment.
struct Chain<'a> {
    shared: &'a Shared,
    /// The clock tick of the head block.
    head_tick: u64,
}

impl Chain<'_> {
    /// The head's number.
    fn head(&self) -> u64 {
        BlockRef::at_tick(self.head_tick).number
    }

    /// A block number or tag (`latest`, `earliest`, `safe`, `finalized`, `pending`).
    fn number(&self, value: &Value, index: usize) -> Result<u64, RpcError> {
        let head = self.head();
        match value.as_str() {
            Some("latest" | "pending") => Ok(head),
            Some("earliest") => Ok(BASE_BLOCK),
            Some("safe") => Ok(head.saturating_sub(SAFE_DEPTH).max(BASE_BLOCK)),
            Some("finalized") => Ok(head.saturating_sub(FINALIZED_DEPTH).max(BASE_BLOCK)),
            Some(text) => parse_quantity(text).ok_or_else(|| invalid_argument(index, &hex_problem(text))),
            None => Err(invalid_argument(
                index,
                "json: cannot unmarshal non-string into Go value of type rpc.BlockNumber",
            )),
        }
    }

    /// `[numberOrTag, full]`.
    fn block_by_number(&self, params: &[Value]) -> Result<String, RpcError> {
        let number = self.number(params.first().ok_or_else(|| missing_argument(0))?, 0)?;
        let full = full_flag(params)?;
        Ok(match BlockRef::canonical(number, self.head_tick) {
            Some(block) => self.shared.eth_block(block).block_json(full),
            None => "null".to_owned(),
        })
    }

    /// `[hash, full]`: a replaced block too, as nodes keep side chains by hash.
    fn block_by_hash(&self, params: &[Value]) -> Result<String, RpcError> {
        let hash = hash_argument(params.first())?;
        let full = full_flag(params)?;
        Ok(match self.known(hash) {
            Some(block) => self.shared.eth_block(block).block_json(full),
            None => "null".to_owned(),
        })
    }

    /// The block a hash names, if it exists now.
    fn known(&self, hash: &str) -> Option<BlockRef> {
        BlockRef::from_hash(self.shared.clock.seed, hash).filter(|block| block.exists_at(self.head_tick))
    }

    /// `[hash]`: the transaction rendered by `render`, or null (unknown, or in a replaced
    /// block: a node answers for the canonical chain only).
    fn transaction(
        &self,
        params: &[Value],
        render: fn(&BlockCtx, &super::chain::EthTx) -> String,
    ) -> Result<String, RpcError> {
        let hash = hash_argument(params.first())?;
        let found = BlockRef::of_tx_hash(self.shared.clock.seed, hash)
            .filter(|(block, _)| block.exists_at(self.head_tick) && block.is_canonical_at(self.head_tick));
        let Some((block, index)) = found else { return Ok("null".to_owned()) };
        let ctx = self.shared.eth_block(block);
        Ok(ctx.txs.get(usize::from(index)).map_or_else(|| "null".to_owned(), |tx| render(&ctx, tx)))
    }

    /// `[{fromBlock, toBlock, address, topics} | {blockHash, address, topics}]`.
    fn logs(&self, params: &[Value], limits: Limits) -> Result<String, RpcError> {
        let Some(Value::Object(criteria)) = params.first() else {
            return Err(match params.first() {
                None => missing_argument(0),
                Some(_) => invalid_argument(
                    0,
                    "json: cannot unmarshal non-object into Go value of type filters.FilterCriteria",
                ),
            });
        };
        let filter = parse_log_filter(criteria).map_err(|err| RpcError {
            message: err.message.replacen("argument 1", "argument 0", 1),
            ..err
        })?;
        if let Some(hash) = criteria.get("blockHash").filter(|value| !value.is_null()) {
            if ["fromBlock", "toBlock"].iter().any(|key| criteria.get(*key).is_some_and(|v| !v.is_null())) {
                return Err(invalid_argument(
                    0,
                    "cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other",
                ));
            }
            let block = self
                .known(hash_argument(Some(hash))?)
                .ok_or_else(|| RpcError::new(-32000, "unknown block"))?;
            return Ok(format!("[{}]", matching(&self.shared.eth_block(block), &filter).join(",")));
        }
        let (from, to) = self.range(criteria)?;
        if let Some(max) = limits.getlogs_max_range
            && to >= from
            && to - from >= max
        {
            return Err(RpcError::invalid_params(format!("eth_getLogs is limited to {max} block range")));
        }
        let mut logs = Vec::new();
        for number in from.max(BASE_BLOCK)..=to.min(self.head()) {
            let Some(block) = BlockRef::canonical(number, self.head_tick) else { continue };
            let found = matching(&self.shared.eth_block(block), &filter);
            if logs.len() + found.len() > MAX_LOGS {
                return Err(too_many_logs(from, number.saturating_sub(1).max(from), to));
            }
            logs.extend(found);
        }
        Ok(format!("[{}]", logs.join(",")))
    }

    /// `fromBlock` and `toBlock` (both `latest` when absent), as asked.
    fn range(&self, criteria: &Map<String, Value>) -> Result<(u64, u64), RpcError> {
        let bound = |key: &str| match criteria.get(key) {
            None | Some(Value::Null) => Ok(self.head()),
            Some(value) => self.number(value, 0),
        };
        let (from, to) = (bound("fromBlock")?, bound("toBlock")?);
        if from > to {
            return Err(RpcError::new(-32000, "invalid block range params"));
        }
        Ok((from, to))
    }
}

/// The logs of a block that `filter` matches, as JSON.
fn matching(block: &BlockCtx, filter: &LogFilter) -> Vec<String> {
    block
        .logs()
        .filter(|(_, log)| filter.matches(log))
        .map(|(tx, log)| block.log_json(tx, log, false))
        .collect()
}

/// Infura's refusal of a query with more than [`MAX_LOGS`] results, naming a range that works.
fn too_many_logs(from: u64, until: u64, to: u64) -> RpcError {
    let (from, until) = (quantity(from), quantity(until));
    RpcError {
        code: -32005,
        message: format!(
            "query returned more than {MAX_LOGS} results. Try with this block range [{from}, {until}]."
        ),
        data: Some(format!(
            r#"{{"from":"{from}","to":"{until}","limit":{MAX_LOGS},"requested_to":"{}"}}"#,
            quantity(to)
        )),
    }
}

/// The optional second argument of `eth_getBlockBy*`: full transaction objects or hashes.
fn full_flag(params: &[Value]) -> Result<bool, RpcError> {
    match params.get(1) {
        None => Err(missing_argument(1)),
        Some(Value::Bool(full)) => Ok(*full),
        Some(_) => Err(invalid_argument(1, "json: cannot unmarshal non-bool into Go value of type bool")),
    }
}

/// A 32-byte hash argument, as geth checks it.
fn hash_argument(value: Option<&Value>) -> Result<&str, RpcError> {
    let text = value.ok_or_else(|| missing_argument(0))?.as_str().ok_or_else(|| {
        invalid_argument(0, "json: cannot unmarshal non-string into Go value of type common.Hash")
    })?;
    let Some(digits) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) else {
        return Err(invalid_argument(
            0,
            "json: cannot unmarshal hex string without 0x prefix into Go value of type common.Hash",
        ));
    };
    if digits.len() != 64 {
        return Err(invalid_argument(
            0,
            &format!("hex string has length {}, want 64 for common.Hash", digits.len()),
        ));
    }
    if !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(invalid_argument(
            0,
            "json: cannot unmarshal invalid hex string into Go value of type common.Hash",
        ));
    }
    Ok(text)
}

/// An Ethereum quantity (`0x1b4`; no leading zeros is not insisted on).
fn parse_quantity(text: &str) -> Option<u64> {
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"))?;
    if digits.is_empty() {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// What is wrong with a block number that is not a quantity, in geth's words.
fn hex_problem(text: &str) -> String {
    if text.starts_with("0x") || text.starts_with("0X") {
        "invalid hex string".to_owned()
    } else {
        "hex string without 0x prefix".to_owned()
    }
}

/// geth's answer to a method it has over WebSocket only, asked over HTTP.
pub(crate) fn notifications_not_supported() -> RpcError {
    RpcError::new(rpc::METHOD_NOT_FOUND, "notifications not supported")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::DemoConfig;
    use crate::demo::fake::parse_json as json;

    fn shared() -> Shared {
        Shared::new(DemoConfig { seed: Some(5), ..DemoConfig::default() })
    }

    #[test]
    fn blocks_are_found_by_number_and_hash_and_errors_are_geths() {
        let shared = shared();
        let ask = |method: &str, params: Value| {
            query(&shared, Limits::default(), method, params.as_array().map_or(&[], |v| v))
        };
        let Some(Ok(block)) = ask("eth_getBlockByNumber", serde_json::json!(["earliest", true])) else {
            panic!("no answer");
        };
        let block = json(&block);
        assert_eq!(block["number"], quantity(BASE_BLOCK));
        let hash = block["hash"].as_str().unwrap_or_default().to_owned();
        let Some(Ok(same)) = ask("eth_getBlockByHash", serde_json::json!([hash, false])) else {
            panic!("no answer")
        };
        assert_eq!(json(&same)["hash"], block["hash"]);
        let tx = block["transactions"][0]["hash"].as_str().unwrap_or_default().to_owned();
        let Some(Ok(receipt)) = ask("eth_getTransactionReceipt", serde_json::json!([tx])) else {
            panic!("no answer")
        };
        assert_eq!(json(&receipt)["blockHash"], block["hash"]);
        let Some(Ok(future)) = ask("eth_getBlockByNumber", serde_json::json!(["0xffffffff", false])) else {
            panic!("no answer");
        };
        assert_eq!(future, "null");
        let Some(Err(err)) = ask("eth_getBlockByNumber", serde_json::json!(["12", false])) else {
            panic!("accepted")
        };
        assert_eq!(err.message, "invalid argument 0: hex string without 0x prefix");
        let Some(Err(err)) = ask("eth_getBlockByHash", serde_json::json!(["0x12", false])) else {
            panic!("accepted")
        };
        assert_eq!(err.message, "invalid argument 0: hex string has length 2, want 64 for common.Hash");
        assert!(ask("eth_nothing", serde_json::json!([])).is_none());
    }

    #[test]
    fn a_log_range_over_the_limit_is_refused_as_blockpi_does() {
        let shared = shared();
        let limits = Limits { getlogs_max_range: Some(10) };
        let range = |to: u64| serde_json::json!([{"fromBlock": quantity(BASE_BLOCK), "toBlock": quantity(BASE_BLOCK + to)}]);
        let Some(Err(err)) = query(&shared, limits, "eth_getLogs", range(10).as_array().map_or(&[], |v| v))
        else {
            panic!("accepted");
        };
        assert_eq!((err.code, err.message.as_str()), (-32602, "eth_getLogs is limited to 10 block range"));
        // `rpc::logs` reads the span from this message (its tests hold BlockPI's wording).
        // The head is the first block: the range is held to it.
        let Some(Ok(logs)) = query(&shared, limits, "eth_getLogs", range(9).as_array().map_or(&[], |v| v))
        else {
            panic!("refused");
        };
        assert!(json(&logs).is_array());
    }
}
