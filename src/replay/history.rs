//! The chain a capture saw, as far as its notifications show it, for the chain queries a
//! replay answers (over HTTP and as one-off requests on its WebSocket): the recorded
//! `newHeads` headers by number and hash, the recorded logs (those a reorg removed taken
//! out), and the slots recorded `slotNotification`s named.
//!
//! What the capture does not hold is said, not made up: a block it has no header for, a log
//! filter no recorded `logs` subscription covers, a range outside what was recorded, get a
//! `-32000` error naming what the replay holds. A header lacks its transactions: a block is
//! answered with the hashes of the transactions the capture saw logs of (possibly none), and
//! asking for whole transaction objects is refused as not recorded.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use crate::demo::ethereum::LogFilter;
use crate::demo::rpc::RpcError;

/// The code of every "not recorded" answer (a server-side error, as geth's plain errors).
const NOT_RECORDED: i64 = -32000;

/// The chain a capture saw.
#[derive(Debug, Default)]
pub(super) struct History {
    /// Headers by number; the last recorded at a height (a reorg's replacement) counts.
    heads: BTreeMap<u64, Value>,
    /// Every recorded header by its hash, lowercase.
    by_hash: HashMap<String, Value>,
    /// Recorded logs by (block number, log index, block hash), removed ones taken out.
    logs: BTreeMap<(u64, u64, String), Value>,
    /// The filters of the recorded `logs` subscriptions.
    log_filters: Vec<LogFilter>,
    /// The first and last block a notification named.
    blocks: Option<(u64, u64)>,
    /// The slots recorded slot notifications named.
    slots: BTreeSet<u64>,
}

/// A notification's result, by the subscription that produced it.
pub(super) enum Recorded<'a> {
    /// A `newHeads` header.
    Head(&'a Value),
    /// A `logs` log, under the subscription's filter object.
    Log(&'a Value),
    /// A `slotNotification` result.
    Slot(&'a Value),
}

impl History {
    /// Notes a recorded `logs` subscription's filter (its option object, if any).
    pub(super) fn note_log_filter(&mut self, option: Option<&Value>) {
        let filter = match option {
            Some(Value::Object(criteria)) => LogFilter::parse(criteria).ok(),
            None | Some(Value::Null) => Some(LogFilter::default()),
            Some(_) => None,
        };
        self.log_filters.extend(filter);
    }

    /// Takes in one notification's result.
    pub(super) fn note(&mut self, recorded: Recorded<'_>) {
        match recorded {
            Recorded::Head(header) => {
                let (Some(number), Some(hash)) = (quantity(&header["number"]), lower(&header["hash"])) else {
                    return;
                };
                self.span(number);
                self.heads.insert(number, header.clone());
                self.by_hash.insert(hash, header.clone());
            }
            Recorded::Log(log) => {
                let (Some(number), Some(index), Some(hash)) =
                    (quantity(&log["blockNumber"]), quantity(&log["logIndex"]), lower(&log["blockHash"]))
                else {
                    return;
                };
                self.span(number);
                if log["removed"] == Value::Bool(true) {
                    self.logs.remove(&(number, index, hash));
                } else {
                    self.logs.insert((number, index, hash), log.clone());
                }
            }
            Recorded::Slot(result) => self.slots.extend(result["slot"].as_u64()),
        }
    }

    fn span(&mut self, number: u64) {
        self.blocks =
            Some(self.blocks.map_or((number, number), |(low, high)| (low.min(number), high.max(number))));
    }

    /// The newest recorded head's number.
    pub(super) fn newest_head(&self) -> Option<u64> {
        self.heads.keys().next_back().copied()
    }

    /// Answers a chain query from what was recorded; `None` for a method that is not one.
    pub(super) fn query(&self, method: &str, params: &Value) -> Option<Result<String, RpcError>> {
        let params = params.as_array().map_or(&[][..], Vec::as_slice);
        Some(match method {
            "eth_getBlockByNumber" => self.block_by_number(params),
            "eth_getBlockByHash" => self.block_by_hash(params),
            "eth_getLogs" => self.get_logs(params),
            "getBlocks" => self.blocks(params),
            _ => return None,
        })
    }

    /// What the capture holds of blocks, for error messages.
    fn holds(&self) -> String {
        match (self.heads.keys().next(), self.heads.keys().next_back()) {
            (Some(first), Some(last)) => {
                format!("it holds newHeads for blocks {first} to {last} ({} headers)", self.heads.len())
            }
            _ => "it holds no newHeads notifications".to_owned(),
        }
    }

    fn block_by_number(&self, params: &[Value]) -> Result<String, RpcError> {
        let number = match params.first().and_then(Value::as_str) {
            Some("latest" | "pending" | "safe" | "finalized") => self.newest_head(),
            Some("earliest") => self.heads.keys().next().copied(),
            Some(text) => quantity(&Value::String(text.to_owned())),
            None => None,
        };
        let number = number.ok_or_else(|| {
            not_recorded(format!(
                "no recorded block matches {}; {}",
                params.first().unwrap_or(&Value::Null),
                self.holds()
            ))
        })?;
        let header = self
            .heads
            .get(&number)
            .ok_or_else(|| not_recorded(format!("block {number} was not recorded; {}", self.holds())))?;
        self.block(header, params)
    }

    fn block_by_hash(&self, params: &[Value]) -> Result<String, RpcError> {
        let hash = params.first().and_then(lower).unwrap_or_default();
        let header = self.by_hash.get(&hash).ok_or_else(|| {
            not_recorded(format!("no recorded newHeads header has hash {hash}; {}", self.holds()))
        })?;
        self.block(header, params)
    }

    /// A recorded header as a block: with the hashes of the transactions whose logs were
    /// recorded in it; whole transactions are not recorded.
    fn block(&self, header: &Value, params: &[Value]) -> Result<String, RpcError> {
        let number = quantity(&header["number"]).unwrap_or_default();
        if params.get(1) == Some(&Value::Bool(true)) && header.get("transactions").is_none() {
            return Err(not_recorded(format!(
                "block {number}'s transactions were not recorded (a newHeads header has none); ask with false for the header"
            )));
        }
        let mut block = header.clone();
        if let Value::Object(fields) = &mut block
            && !fields.contains_key("transactions")
        {
            let hash = lower(&header["hash"]).unwrap_or_default();
            let mut seen: Vec<(u64, Value)> = Vec::new();
            for ((_, _, block_hash), log) in
                self.logs.range((number, 0, String::new())..(number + 1, 0, String::new()))
            {
                let index = quantity(&log["transactionIndex"]).unwrap_or_default();
                if *block_hash == hash && !seen.iter().any(|(_, tx)| *tx == log["transactionHash"]) {
                    seen.push((index, log["transactionHash"].clone()));
                }
            }
            seen.sort_by_key(|(index, _)| *index);
            fields.insert("transactions".into(), Value::Array(seen.into_iter().map(|(_, tx)| tx).collect()));
        }
        Ok(block.to_string())
    }

    fn get_logs(&self, params: &[Value]) -> Result<String, RpcError> {
        let Some(Value::Object(criteria)) = params.first() else {
            return Err(RpcError::invalid_params("invalid argument 0: expected a filter object"));
        };
        let filter = LogFilter::parse(criteria)?;
        if !self.log_filters.iter().any(|recorded| recorded.covers(&filter)) {
            let count = self.log_filters.len();
            return Err(not_recorded(format!(
                "no recorded logs subscription covers this filter (the capture holds {count} logs subscription{})",
                if count == 1 { "" } else { "s" }
            )));
        }
        let Some((first, last)) = self.blocks else {
            return Err(not_recorded("the capture names no blocks".to_owned()));
        };
        let wanted_hash = criteria.get("blockHash").and_then(lower);
        let (from, to) = match &wanted_hash {
            Some(hash) => {
                let header = self.by_hash.get(hash);
                let number = header.and_then(|header| quantity(&header["number"]));
                let logged = self
                    .logs
                    .iter()
                    .find(|((_, _, block), _)| block == hash)
                    .map(|((number, ..), _)| *number);
                let number = number
                    .or(logged)
                    .ok_or_else(|| not_recorded(format!("block {hash} was not recorded")))?;
                (number, number)
            }
            None => {
                (self.bound(criteria.get("fromBlock"), last)?, self.bound(criteria.get("toBlock"), last)?)
            }
        };
        if from < first || to > last {
            return Err(not_recorded(format!(
                "blocks {from} to {to} are not all recorded: the capture holds blocks {first} to {last}"
            )));
        }
        let logs: Vec<String> = self
            .logs
            .range((from, 0, String::new())..)
            .take_while(|((number, ..), _)| *number <= to)
            .filter(|((number, _, hash), log)| {
                let canonical = self.heads.get(number).and_then(|header| lower(&header["hash"]));
                canonical.is_none_or(|canonical| canonical == *hash)
                    && wanted_hash.as_ref().is_none_or(|wanted| wanted == hash)
                    && filter.matches_parts(&lower(&log["address"]).unwrap_or_default(), &topics(log))
            })
            .map(|(_, log)| log.to_string())
            .collect();
        Ok(format!("[{}]", logs.join(",")))
    }

    /// A block bound of a filter: `latest` (or absent) is the newest recorded block.
    fn bound(&self, value: Option<&Value>, latest: u64) -> Result<u64, RpcError> {
        match value {
            None | Some(Value::Null) => Ok(latest),
            Some(Value::String(tag))
                if matches!(tag.as_str(), "latest" | "pending" | "safe" | "finalized") =>
            {
                Ok(latest)
            }
            Some(Value::String(tag)) if tag == "earliest" => Ok(self.blocks.map_or(0, |(first, _)| first)),
            Some(value) => quantity(value)
                .ok_or_else(|| RpcError::invalid_params("invalid argument 0: hex string without 0x prefix")),
        }
    }

    /// `getBlocks [start, end?]` from the recorded slot notifications.
    fn blocks(&self, params: &[Value]) -> Result<String, RpcError> {
        let (Some(first), Some(last)) = (self.slots.first(), self.slots.last()) else {
            return Err(not_recorded("getBlocks: the capture holds no slot notifications".to_owned()));
        };
        let start = params
            .first()
            .and_then(Value::as_u64)
            .ok_or_else(|| RpcError::invalid_params("Invalid params: invalid type: expected u64."))?;
        let end = params.get(1).and_then(Value::as_u64).unwrap_or(*last);
        if start < *first || end > *last {
            return Err(not_recorded(format!(
                "getBlocks: slots {start} to {end} are not all recorded: the capture holds slot notifications for slots {first} to {last}"
            )));
        }
        let slots: Vec<String> = self.slots.range(start..=end).map(u64::to_string).collect();
        Ok(format!("[{}]", slots.join(",")))
    }
}

/// A "not recorded" error.
fn not_recorded(what: String) -> RpcError {
    RpcError::new(NOT_RECORDED, format!("subscope replay: {what}"))
}

/// An Ethereum quantity (`0x1b4`).
fn quantity(value: &Value) -> Option<u64> {
    u64::from_str_radix(value.as_str()?.strip_prefix("0x")?, 16).ok()
}

/// A string, lowercase.
fn lower(value: &Value) -> Option<String> {
    value.as_str().map(str::to_ascii_lowercase)
}

/// A log's topics, lowercase.
fn topics(log: &Value) -> Vec<String> {
    log["topics"].as_array().map_or_else(Vec::new, |topics| topics.iter().filter_map(lower).collect())
}

/// The filter object of a recorded `logs` subscription's params, if it is one.
pub(super) fn logs_option(params: &Value) -> Option<Option<&Value>> {
    let params = params.as_array()?;
    (params.first()?.as_str()? == "logs").then(|| params.get(1))
}

/// Whether recorded params are a `newHeads` subscription's.
pub(super) fn is_new_heads(params: &Value) -> bool {
    crate::catalog::payload_for(crate::catalog::ETH_SUBSCRIBE, Some(params))
        == crate::catalog::Payload::EthNewHeads
}
