//! Ethereum: missing heads by `eth_getBlockByNumber` (walking back over a reorg), missing logs
//! by `eth_getLogs`.

use std::collections::BTreeMap;

use futures_util::{StreamExt as _, stream};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::{Job, MAX_ITEMS, Outcome, quantity, raw_members};
use crate::rpc::{RpcCallError, RpcClient};

/// How many block requests are in flight at once when asked one by one (the client bounds
/// them again).
const BLOCKS_IN_FLIGHT: usize = 8;

/// How many blocks one JSON-RPC batch asks for (providers accept 100 and more; Alchemy 1,000).
const BLOCKS_PER_BATCH: usize = 100;

/// A block as answered: its hash and parent, and its text.
struct Block {
    hash: String,
    parent: String,
    raw: Box<RawValue>,
}

fn hash_of(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_ascii_lowercase)
}

fn block_params(number: u64) -> Value {
    json!([format!("{number:#x}"), false])
}

async fn block(client: &RpcClient, number: u64) -> Result<Option<Block>, RpcCallError> {
    let raw = client.call_raw("eth_getBlockByNumber", block_params(number)).await?;
    read_block(number, raw)
}

/// A block answer; `None` for a height the node does not have (yet).
fn read_block(number: u64, raw: Box<RawValue>) -> Result<Option<Block>, RpcCallError> {
    if raw.get() == "null" {
        return Ok(None);
    }
    let header: Value =
        serde_json::from_str(raw.get()).map_err(|err| RpcCallError::NotJson(err.to_string()))?;
    let read = || -> Option<Block> {
        quantity(header.get("number"))?;
        Some(Block {
            hash: hash_of(header.get("hash"))?,
            parent: hash_of(header.get("parentHash"))?,
            raw: raw.clone(),
        })
    };
    read()
        .map(Some)
        .ok_or_else(|| RpcCallError::NotJson(format!("block {number} has no number, hash or parent")))
}

async fn head(client: &RpcClient) -> Result<u64, RpcCallError> {
    let number = client.call("eth_blockNumber", json!([])).await?;
    quantity(Some(&number)).ok_or_else(|| RpcCallError::NotJson(format!("eth_blockNumber answered {number}")))
}

/// Blocks `from..=to`, in order; a height the node does not have yet ends the list. Asked in
/// JSON-RPC batches of [`BLOCKS_PER_BATCH`] (a thousand heights in ten requests); a server
/// that refuses batches is asked one block at a time, [`BLOCKS_IN_FLIGHT`] at once.
async fn blocks(client: &RpcClient, from: u64, to: u64) -> Result<Vec<Block>, RpcCallError> {
    let numbers: Vec<u64> = (from..=to).collect();
    let mut blocks = Vec::with_capacity(numbers.len());
    let mut batches = true;
    for chunk in numbers.chunks(BLOCKS_PER_BATCH) {
        let fetched = match batches.then_some(()) {
            Some(()) => match batch(client, chunk).await {
                Ok(fetched) => fetched,
                Err(_) => {
                    batches = false;
                    one_by_one(client, chunk).await?
                }
            },
            None => one_by_one(client, chunk).await?,
        };
        for block in fetched {
            match block {
                Some(block) => blocks.push(block),
                None => return Ok(blocks),
            }
        }
    }
    Ok(blocks)
}

/// `numbers` in one batch; an answer that failed for a passing reason (a per-request rate
/// limit inside the batch) is asked again on its own.
async fn batch(client: &RpcClient, numbers: &[u64]) -> Result<Vec<Option<Block>>, RpcCallError> {
    let params: Vec<Value> = numbers.iter().map(|number| block_params(*number)).collect();
    let answers = client.batch_raw("eth_getBlockByNumber", &params).await?;
    let mut blocks = Vec::with_capacity(answers.len());
    for (number, answer) in numbers.iter().zip(answers) {
        blocks.push(match answer {
            Ok(raw) => read_block(*number, raw)?,
            Err(err) if err.is_transient() => block(client, *number).await?,
            Err(err) => return Err(err),
        });
    }
    Ok(blocks)
}

async fn one_by_one(client: &RpcClient, numbers: &[u64]) -> Result<Vec<Option<Block>>, RpcCallError> {
    stream::iter(numbers.iter().copied())
        .map(|number| block(client, number))
        .buffered(BLOCKS_IN_FLIGHT)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// The first block at or after `time_s` among `low..=high` (by binary search on timestamps).
async fn block_at(client: &RpcClient, time_s: u64, mut low: u64, mut high: u64) -> Result<u64, RpcCallError> {
    while low < high {
        let middle = low + (high - low) / 2;
        let raw = client.call("eth_getBlockByNumber", json!([format!("{middle:#x}"), false])).await?;
        let timestamp = quantity(raw.get("timestamp")).unwrap_or(0);
        if timestamp < time_s {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    Ok(low)
}

/// Every head after the last one seen up to the node's head; when the first of them does not
/// build on the last one seen, the walk goes back until a height whose hash matches, and the
/// heads of the new branch are recovered too.
pub(super) async fn heads(job: &Job, client: &RpcClient) -> Outcome {
    let mut outcome = Outcome::default();
    let seen: BTreeMap<u64, String> = job
        .seen
        .iter()
        .filter_map(|head| Some((quantity(head.get("number"))?, hash_of(head.get("hash"))?)))
        .collect();
    if let Some((from, to)) = job.range {
        match blocks(client, from, to.min(from.saturating_add(MAX_ITEMS - 1))).await {
            Ok(found) => {
                outcome.until = Some(to);
                outcome.recovered =
                    found.iter().map(|block| job.recovered(block.raw.get(), block.hash.clone())).collect();
                outcome.note = format!("of blocks {from}..={to} by eth_getBlockByNumber");
            }
            Err(err) => {
                outcome.note = format!("could not fetch the heads {from}..={to}: {err}");
                outcome.error = Some(err);
            }
        }
        return outcome;
    }
    let result = async {
        let tip = head(client).await?;
        let Some((&last, _)) = seen.last_key_value() else {
            // Nothing was delivered before the gap: start at the block of the moment it began.
            let from =
                block_at(client, job.lost_at_ms / 1000, tip.saturating_sub(MAX_ITEMS - 1), tip).await?;
            return blocks(client, from, tip).await.map(|blocks| (blocks, Vec::new(), from, tip));
        };
        let from = (last + 1).max(tip.saturating_sub(MAX_ITEMS - 1));
        let mut found = blocks(client, from, tip).await?;
        // Walk back while the chain does not build on what was delivered.
        let mut orphaned = Vec::new();
        let mut at = from;
        while let Some(parent) = found.first().map(|first| first.parent.clone()) {
            let Some(below) = at.checked_sub(1) else { break };
            match seen.get(&below) {
                Some(hash) if *hash != parent => {
                    orphaned.push((below, hash.clone()));
                    match block(client, below).await? {
                        Some(replacement) => found.insert(0, replacement),
                        None => break,
                    }
                    at = below;
                }
                _ => break,
            }
        }
        Ok::<_, RpcCallError>((found, orphaned, at, tip))
    }
    .await;
    match result {
        Ok((found, orphaned, from, tip)) => {
            outcome.until = Some(tip);
            outcome.recovered =
                found.iter().map(|block| job.recovered(block.raw.get(), block.hash.clone())).collect();
            outcome.note = if from > tip {
                format!("(block {tip}, the head, was delivered already)")
            } else {
                format!("over blocks {from}..={tip} by eth_getBlockByNumber")
            };
            if !orphaned.is_empty() {
                let list: Vec<String> =
                    orphaned.iter().rev().map(|(number, hash)| format!("{number} {hash}")).collect();
                outcome.note.push_str(&format!(
                    "; a reorg during the gap orphaned {} delivered head(s): {}",
                    orphaned.len(),
                    list.join(", ")
                ));
            }
        }
        Err(err) => {
            outcome.note = format!("could not recover the missed heads: {err}");
            outcome.error = Some(err);
        }
    }
    outcome
}

/// A log as answered: where it is, and its text.
struct Log {
    block: u64,
    key: String,
    raw: Box<RawValue>,
}

/// Logs as answered, with where they are.
fn read_logs(raw: Vec<Box<RawValue>>) -> Vec<Log> {
    raw.into_iter()
        .filter_map(|raw| {
            let members = raw_members(&raw)?;
            let text = |name: &str| -> Option<Value> { serde_json::from_str(members.get(name)?.get()).ok() };
            let block = quantity(text("blockNumber").as_ref())?;
            let hash = hash_of(text("blockHash").as_ref())?;
            let index = hash_of(text("logIndex").as_ref())?;
            Some(Log { block, key: format!("{hash}:{index}"), raw })
        })
        .collect()
}

/// Every log the filter matches from the block of the last log seen (inclusive, as more logs
/// of it may have followed) to the node's head.
pub(super) async fn logs(job: &Job, client: &RpcClient, filter: &Value) -> Outcome {
    let mut outcome = Outcome::default();
    let last_block = job.seen.iter().filter_map(|log| quantity(log.get("blockNumber"))).max();
    let result = async {
        if let Some((from, to)) = job.range {
            let raw = client.get_logs_raw(filter, from, to).await?;
            return Ok((read_logs(raw), from, to));
        }
        let tip = head(client).await?;
        let from = match last_block {
            Some(block) => block.max(tip.saturating_sub(MAX_ITEMS - 1)),
            None => block_at(client, job.lost_at_ms / 1000, tip.saturating_sub(MAX_ITEMS - 1), tip).await?,
        };
        let raw = client.get_logs_raw(filter, from, tip).await?;
        Ok::<_, RpcCallError>((read_logs(raw), from, tip))
    }
    .await;
    match result {
        Ok((mut logs, from, tip)) => {
            outcome.until = Some(tip);
            logs.sort_by_key(|log| log.block);
            outcome.recovered =
                logs.iter().map(|log| job.recovered(log.raw.get(), log.key.clone())).collect();
            outcome.note = format!("over blocks {from}..={tip} by eth_getLogs");
        }
        Err(err) => {
            outcome.note = format!("could not recover the missed logs: {err}");
            outcome.error = Some(err);
        }
    }
    outcome
}
