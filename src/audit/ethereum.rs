//! Ethereum checks: heads against `eth_getBlockByNumber`, logs against `eth_getLogs`.

use std::collections::{BTreeSet, HashMap};

use futures_util::{StreamExt as _, stream};
use serde_json::{Map, Value};

use super::collect::{Delivered, Tick};
use super::tally::{Expected, Got, Item, Unmatched, heights_of, tally};
use super::{AuditProgress, Check, CheckError, HEADER_CONCURRENCY, Span, TIMESTAMP_MARGIN_MS, Unit};
use crate::human::time_of_day;
use crate::rpc::{BlockHeader, RpcCallError, RpcClient};

/// The `eth_getLogs` filter of a logs subscription's filter object: its `address` and
/// `topics`, nothing else (a range or block hash would fight the one asked for).
pub(super) fn filter_of(options: &Value) -> Value {
    let mut filter = Map::new();
    if let Some(options) = options.as_object() {
        for member in ["address", "topics"] {
            if let Some(value) = options.get(member).filter(|value| !value.is_null()) {
                filter.insert(member.to_owned(), value.clone());
            }
        }
    }
    Value::Object(filter)
}

/// The canonical headers of `numbers`, by number (a number past the chain's head has none),
/// asked [`HEADER_CONCURRENCY`] at a time.
async fn headers(
    client: &RpcClient,
    numbers: Vec<u64>,
    progress: &AuditProgress,
) -> Result<HashMap<u64, BlockHeader>, RpcCallError> {
    let mut found = HashMap::with_capacity(numbers.len());
    let mut answers = stream::iter(numbers)
        .map(|number| async move { client.block_header(number).await })
        .buffer_unordered(HEADER_CONCURRENCY);
    while let Some(answer) = answers.next().await {
        if let Some(header) = answer? {
            found.insert(header.number, header);
        }
        progress.advance(1);
    }
    Ok(found)
}

fn head_item(number: u64, hash: &str) -> Item {
    Item { block: Some(number), hash: Some(hash.to_owned()), ..Item::default() }
}

/// Heads from the first to the last delivered height, against the canonical blocks there.
pub(super) async fn heads(
    delivered: &Delivered,
    client: &RpcClient,
    progress: &AuditProgress,
) -> Result<Check, CheckError> {
    let got: Vec<Got> = delivered
        .items
        .iter()
        .filter_map(|item| {
            let number = item.key.height?;
            let hash = item.key.id.as_deref().unwrap_or_default();
            let id = if hash.is_empty() { number.to_string() } else { hash.to_owned() };
            Some(Got::at(number, id, head_item(number, hash), item))
        })
        .collect();
    let range = heights_of(&got);
    let basis = "from the first to the last delivered head".to_owned();
    let canonical = match range {
        Some((first, last)) => {
            progress.begin(format!("blocks {first}–{last}"), last - first + 1);
            headers(client, (first..=last).collect(), progress).await?
        }
        None => HashMap::new(),
    };
    let mut expected: Vec<Expected> = canonical
        .values()
        .map(|header| Expected {
            id: header.hash.clone(),
            order: (header.number, 0),
            item: head_item(header.number, &header.hash),
        })
        .collect();
    expected.sort_by_key(|item| item.order);
    let judge = |got: &Got| {
        if canonical.contains_key(&got.order.0) { Unmatched::Reorged } else { Unmatched::Extra }
    };
    let tally = tally(&expected, &got, judge);
    Ok(Check { span: Span { unit: Unit::Block, range, basis }, tally })
}

/// Logs matching the subscription's filter over the blocks it was active for, against those
/// it delivered.
pub(super) async fn logs(
    delivered: &Delivered,
    filter: &Value,
    heads: Option<&[Tick]>,
    client: &RpcClient,
    progress: &AuditProgress,
) -> Result<Check, CheckError> {
    let got: Vec<Got> = delivered.items.iter().map(log_got).collect();
    let delivered_blocks: BTreeSet<u64> = delivered.items.iter().filter_map(|item| item.block).collect();
    let (window, mut basis) = match (delivered.started_at_ms(), heads) {
        (Some(start), Some(heads)) => (
            window_by_heads(heads, start, delivered.ended_at_ms),
            "blocks whose heads this capture received while the subscription was active (heads on the \
             same endpoint)"
                .to_owned(),
        ),
        (Some(start), None) => {
            let end = delivered.ended_at_ms;
            let window = window_by_timestamps(client, start, end).await?;
            let basis = format!(
                "blocks made from {} to {} UTC less {} s (the subscription's window; by block timestamps, \
                 as the capture has no heads from this endpoint)",
                time_of_day(start),
                time_of_day(end),
                TIMESTAMP_MARGIN_MS / 1000
            );
            (window, basis)
        }
        (None, _) => (None, "nothing delivered and no subscribe answer recorded".to_owned()),
    };
    if !delivered_blocks.is_empty() {
        basis.push_str(", and every delivered log's block");
    }
    let range = union(window, delivered_blocks.first().copied().zip(delivered_blocks.last().copied()));
    let chain_logs = match range {
        Some((first, last)) => {
            progress.begin(format!("logs in blocks {first}–{last}"), 0);
            client.get_logs(filter, first, last).await?
        }
        None => Vec::new(),
    };
    let mut expected: Vec<Expected> = chain_logs.iter().filter_map(log_expected).collect();
    expected.sort_by_key(|item| item.order);
    // The canonical hash of each block a delivered log names that the chain's logs do not hold.
    let on_chain: BTreeSet<&str> = expected.iter().map(|item| item.id.as_str()).collect();
    let blocks_to_ask: Vec<u64> = got
        .iter()
        .filter(|got| !got.removed && !on_chain.contains(got.id.as_str()))
        .filter_map(|got| got.item.block)
        .collect::<BTreeSet<u64>>()
        .into_iter()
        .collect();
    let canonical = headers(client, blocks_to_ask, progress).await?;
    let judge = |got: &Got| {
        let canonical_hash =
            got.item.block.and_then(|block| canonical.get(&block)).map(|header| &header.hash);
        match (canonical_hash, &got.item.hash) {
            (Some(canonical), Some(hash)) if canonical != hash => Unmatched::Reorged,
            _ => Unmatched::Extra,
        }
    };
    let tally = tally(&expected, &got, judge);
    Ok(Check { span: Span { unit: Unit::Block, range, basis }, tally })
}

/// The smallest range holding both, either of which may be absent.
fn union(a: Option<(u64, u64)>, b: Option<(u64, u64)>) -> Option<(u64, u64)> {
    match (a, b) {
        (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
        (one, other) => one.or(other),
    }
}

/// From the first head received after `start` to the last received at or before `end`.
fn window_by_heads(heads: &[Tick], start: u64, end: u64) -> Option<(u64, u64)> {
    let first = heads.iter().filter(|tick| tick.at_ms > start).map(|tick| tick.height).min()?;
    let last = heads.iter().filter(|tick| tick.at_ms <= end).map(|tick| tick.height).max()?;
    (first <= last).then_some((first, last))
}

/// From the first block made at or after `start` to the last made [`TIMESTAMP_MARGIN_MS`]
/// before `end`, found by binary search over block timestamps.
async fn window_by_timestamps(
    client: &RpcClient,
    start: u64,
    end: u64,
) -> Result<Option<(u64, u64)>, CheckError> {
    let head = client.block_number().await?;
    let first = partition_point(client, head, |timestamp_ms| timestamp_ms < start).await?;
    let after_last =
        partition_point(client, head, |timestamp_ms| timestamp_ms + TIMESTAMP_MARGIN_MS <= end).await?;
    Ok((first < after_last).then(|| (first, after_last - 1)))
}

/// The first block in `0..=head` whose timestamp (in ms) `before` says is not before the
/// point, or `head + 1`; block timestamps never decrease.
async fn partition_point(
    client: &RpcClient,
    head: u64,
    before: impl Fn(u64) -> bool,
) -> Result<u64, CheckError> {
    let (mut low, mut high) = (0, head + 1);
    while low < high {
        let middle = low + (high - low) / 2;
        let header = client.block_header(middle).await?.ok_or_else(|| {
            CheckError::Unusable(format!(
                "block {middle} is below the head {head} but the node has no block there"
            ))
        })?;
        if before(header.timestamp.saturating_mul(1000)) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    Ok(low)
}

fn log_id(block_hash: &str, transaction: &str, index: u64) -> String {
    format!("{block_hash}/{transaction}/{index}")
}

fn log_got(item: &super::DeliveredItem) -> Got {
    let key = &item.key;
    let (hash, transaction) =
        (key.id.as_deref().unwrap_or_default(), key.second.as_deref().unwrap_or_default());
    let index = key.index.unwrap_or_default();
    let shown = Item {
        block: item.block,
        hash: Some(hash.to_owned()),
        transaction: Some(transaction.to_owned()),
        log_index: key.index,
        ..Item::default()
    };
    Got {
        id: log_id(hash, transaction, index),
        order: (item.block.unwrap_or_default(), index),
        item: shown,
        removed: key.removed,
        recovered: item.recovered,
    }
}

/// A log `eth_getLogs` answered with, as an expected item; `None` for one without its block,
/// transaction or index (a pending log), which no subscription delivers either.
fn log_expected(log: &Value) -> Option<Expected> {
    let text = |member: &str| log.get(member).and_then(Value::as_str).map(str::to_ascii_lowercase);
    let (hash, transaction) = (text("blockHash")?, text("transactionHash")?);
    let block = crate::rpc::quantity(log.get("blockNumber")?)?;
    let index = crate::rpc::quantity(log.get("logIndex")?)?;
    let item = Item {
        block: Some(block),
        hash: Some(hash.clone()),
        transaction: Some(transaction.clone()),
        log_index: Some(index),
        ..Item::default()
    };
    Some(Expected { id: log_id(&hash, &transaction, index), order: (block, index), item })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_filter_keeps_address_and_topics_only() {
        let options = json!({"address": "0xab", "topics": [null, "0x1"], "fromBlock": "0x1"});
        assert_eq!(filter_of(&options), json!({"address": "0xab", "topics": [null, "0x1"]}));
        assert_eq!(filter_of(&json!({})), json!({}));
        assert_eq!(filter_of(&Value::Null), json!({}));
    }

    #[test]
    fn heads_received_in_the_window_bound_it() {
        let tick = |at_ms, height| Tick { at_ms, height, root: None };
        let heads = [tick(100, 5), tick(200, 6), tick(300, 7), tick(400, 8)];
        assert_eq!(window_by_heads(&heads, 100, 300), Some((6, 7)), "a head at the answer's ms is before it");
        assert_eq!(window_by_heads(&heads, 50, 1000), Some((5, 8)));
        assert_eq!(window_by_heads(&heads, 400, 1000), None);
        assert_eq!(union(Some((6, 7)), Some((3, 4))), Some((3, 7)));
        assert_eq!(union(None, Some((3, 4))), Some((3, 4)));
    }

    #[test]
    fn chain_logs_are_keyed_as_delivered_ones() {
        let log = json!({"blockHash": "0xAB", "transactionHash": "0xCD", "blockNumber": "0x7", "logIndex": "0x2",
            "removed": false});
        let expected = log_expected(&log).unwrap_or_else(|| panic!("{log}"));
        assert_eq!(expected.id, "0xab/0xcd/2");
        assert_eq!(expected.order, (7, 2));
        assert_eq!(log_expected(&json!({"blockHash": null, "transactionHash": "0x1"})), None);
    }
}
