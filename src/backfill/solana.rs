//! Solana: produced slots by `getBlocks`, a mentioned address's transactions by
//! `getSignaturesForAddress` and `getTransaction`, accounts by `getAccountInfo` and
//! `getProgramAccounts`, a signature's status by `getSignatureStatuses`.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::{StreamExt as _, stream};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::{Job, MAX_ITEMS, Outcome, raw_members};
use crate::rpc::{RpcCallError, RpcClient};

/// How many `getTransaction` requests are in flight at once (the client bounds them again).
const TRANSACTIONS_IN_FLIGHT: usize = 4;

/// The most signatures `getSignaturesForAddress` returns at once.
const SIGNATURES_PAGE: u64 = 1000;

/// How far before an explicit range a slots job looks for the parent of its first slot.
const PARENT_LOOKBACK: u64 = 32;

/// `getBlocks` returns at most this many slots' worth per call (Agave's limit).
const BLOCKS_SPAN: u64 = 500_000;

/// How long a `slotSubscribe` job waits for the live stream's start and its confirmation.
const CONFIRM_WAIT: Duration = Duration::from_secs(10);

/// How often it looks meanwhile (a slot is 400 ms).
const CONFIRM_POLL: Duration = Duration::from_millis(100);

fn not_json(what: &str, value: &impl std::fmt::Display) -> RpcCallError {
    RpcCallError::NotJson(format!("{what} answered {value}"))
}

async fn slot_at(client: &RpcClient, commitment: &str) -> Result<u64, RpcCallError> {
    let slot = client.call("getSlot", json!([{"commitment": commitment}])).await?;
    slot.as_u64().ok_or_else(|| not_json("getSlot", &slot))
}

/// The last slot a `slotSubscribe` job recovers: the one before the re-subscribed stream's
/// first, once it is confirmed.
///
/// The stream reports each slot as its bank is made, ahead of the node's processed slot
/// (`getSlot`, two slots behind on solana-test-validator) and further ahead of the confirmed
/// slots `getBlocks` serves: a job that stopped at either lost the slots between it and the
/// first live one. Without a start from the connection (or a confirmation) within
/// [`CONFIRM_WAIT`], it stops at the processed slot (or the confirmed one reached by then).
async fn before_live_start(job: &Job, client: &RpcClient) -> Result<u64, RpcCallError> {
    let deadline = tokio::time::Instant::now() + CONFIRM_WAIT;
    let last = loop {
        if let Some(first) = job.live_start.get() {
            break first.saturating_sub(1);
        }
        if tokio::time::Instant::now() >= deadline {
            break slot_at(client, "processed").await?;
        }
        tokio::time::sleep(CONFIRM_POLL).await;
    };
    loop {
        let confirmed = slot_at(client, "confirmed").await?;
        if confirmed >= last || tokio::time::Instant::now() >= deadline {
            return Ok(confirmed.min(last));
        }
        tokio::time::sleep(CONFIRM_POLL).await;
    }
}

/// The produced slots after the last one delivered: for `slotSubscribe` up to where the
/// re-subscribed stream began ([`before_live_start`]), asked at `confirmed` (the first
/// commitment `getBlocks` serves); for roots up to the node's `finalized` slot. A slot
/// `getBlocks` leaves out was skipped by its leader: not missed.
pub(super) async fn slots(job: &Job, client: &RpcClient, roots: bool) -> Outcome {
    let mut outcome = Outcome::default();
    let last = job
        .seen
        .iter()
        .filter_map(|result| if roots { result.as_u64() } else { result.get("slot").and_then(Value::as_u64) })
        .max();
    let commitment = if roots { "finalized" } else { "confirmed" };
    let result = async {
        let (from, tip) = match job.range {
            // An explicit range: from a little before it, to learn the parent of its first slot.
            Some((from, to)) => (from.saturating_sub(PARENT_LOOKBACK), to),
            None => {
                let tip = match (roots, last) {
                    (false, Some(_)) => before_live_start(job, client).await?,
                    _ => slot_at(client, commitment).await?,
                };
                let Some(last) = last else {
                    return Ok((Vec::new(), tip, tip));
                };
                ((last + 1).max(tip.saturating_sub(MAX_ITEMS - 1)), tip)
            }
        };
        let mut produced = Vec::new();
        let mut start = from;
        while start <= tip {
            let end = tip.min(start + BLOCKS_SPAN - 1);
            let answer = client.call("getBlocks", json!([start, end, {"commitment": commitment}])).await?;
            let list: Vec<u64> =
                serde_json::from_value(answer.clone()).map_err(|_| not_json("getBlocks", &answer))?;
            produced.extend(list);
            start = end + 1;
        }
        Ok::<_, RpcCallError>((produced, from, tip))
    }
    .await;
    match result {
        Ok((mut produced, from, tip)) => {
            outcome.until = Some(tip);
            let mut parent = last.unwrap_or_default();
            let from = match job.range {
                Some((first, _)) => {
                    parent = produced.iter().copied().filter(|slot| *slot < first).max().unwrap_or(parent);
                    produced.retain(|slot| *slot >= first);
                    first
                }
                None => from,
            };
            for slot in produced {
                let result =
                    if roots { slot.to_string() } else { format!(r#"{{"parent":{parent},"slot":{slot}}}"#) };
                outcome.recovered.push(job.recovered(&result, slot.to_string()));
                parent = slot;
            }
            outcome.note = if last.is_none() {
                "by getBlocks: none, as no slot was delivered before the gap to start from".to_owned()
            } else {
                format!(
                    "over slots {from}..={tip} by getBlocks at {commitment} (skipped slots are not missed)"
                )
            };
        }
        Err(err) => {
            outcome.note = format!("could not recover the missed slots: {err}");
            outcome.error = Some(err);
        }
    }
    outcome
}

/// One transaction's logs, as `logsSubscribe` sends them.
fn logs_result(signature: &str, transaction: &Value) -> Option<String> {
    let slot = transaction.get("slot")?.as_u64()?;
    let meta = transaction.get("meta")?;
    let value = json!({
        "signature": signature,
        "err": meta.get("err").cloned().unwrap_or(Value::Null),
        "logs": meta.get("logMessages").cloned().unwrap_or(Value::Null),
    });
    Some(json!({"context": {"slot": slot}, "value": value}).to_string())
}

/// The transactions mentioning `address` after the last one delivered (or, when none was,
/// since the gap began), oldest first, with their logs.
pub(super) async fn mentions(job: &Job, client: &RpcClient, address: &str, commitment: &str) -> Outcome {
    let mut outcome = Outcome::default();
    let until = job
        .seen
        .iter()
        .rev()
        .find_map(|result| result.get("value")?.get("signature")?.as_str().map(str::to_owned));
    let since_s = (job.lost_at_ms / 1000).saturating_sub(2);
    let result = async {
        let mut signatures: Vec<String> = Vec::new();
        let mut before: Option<String> = None;
        'pages: loop {
            let mut config = json!({"limit": SIGNATURES_PAGE, "commitment": commitment});
            if let Some(until) = &until {
                config["until"] = json!(until);
            }
            if let Some(before) = &before {
                config["before"] = json!(before);
            }
            let page = client.call("getSignaturesForAddress", json!([address, config])).await?;
            let page = page.as_array().cloned().ok_or_else(|| not_json("getSignaturesForAddress", &page))?;
            for entry in &page {
                let Some(signature) = entry.get("signature").and_then(Value::as_str) else { continue };
                let time = entry.get("blockTime").and_then(Value::as_u64);
                if until.is_none() && time.is_some_and(|time| time < since_s) {
                    break 'pages;
                }
                signatures.push(signature.to_owned());
                if signatures.len() as u64 >= MAX_ITEMS {
                    break 'pages;
                }
            }
            match page.last().and_then(|entry| entry.get("signature")).and_then(Value::as_str) {
                Some(last) if page.len() as u64 == SIGNATURES_PAGE => before = Some(last.to_owned()),
                _ => break,
            }
        }
        signatures.reverse(); // oldest first
        let config =
            json!({"encoding": "json", "maxSupportedTransactionVersion": 0, "commitment": commitment});
        let fetched: Vec<Result<(String, Value), RpcCallError>> = stream::iter(signatures)
            .map(|signature| {
                let config = config.clone();
                async move {
                    let transaction = client.call("getTransaction", json!([signature, config])).await?;
                    Ok((signature, transaction))
                }
            })
            .buffered(TRANSACTIONS_IN_FLIGHT)
            .collect()
            .await;
        fetched.into_iter().collect::<Result<Vec<_>, _>>()
    }
    .await;
    match result {
        Ok(transactions) => {
            let count = transactions.len();
            outcome.until =
                transactions.iter().filter_map(|(_, transaction)| transaction.get("slot")?.as_u64()).max();
            for (signature, transaction) in &transactions {
                if let Some(result) = logs_result(signature, transaction) {
                    outcome.recovered.push(job.recovered(&result, signature.clone()));
                }
            }
            let start = if until.is_some() { "the last one delivered" } else { "the gap's start" };
            outcome.note = format!(
                "of {count} transaction(s) mentioning {address} since {start} by getSignaturesForAddress and getTransaction"
            );
        }
        Err(err) => {
            outcome.note = format!("could not recover the missed transactions: {err}");
            outcome.error = Some(err);
        }
    }
    outcome
}

/// The account's state now, with its context slot, when it differs from the last one
/// delivered: `getAccountInfo` answers `{context, value}` as `accountNotification` carries it.
pub(super) async fn account(job: &Job, client: &RpcClient, pubkey: &str, config: &Value) -> Outcome {
    let mut outcome = Outcome::default();
    let params = if config.is_null() { json!([pubkey]) } else { json!([pubkey, config]) };
    match client.call_raw("getAccountInfo", params).await {
        Ok(raw) => {
            let now: Option<Value> =
                serde_json::from_str::<Value>(raw.get()).ok().and_then(|answer| answer.get("value").cloned());
            let last = job.seen.last().and_then(|result| result.get("value"));
            if last.is_some() && last == now.as_ref() {
                outcome.note =
                    "of the account's state by getAccountInfo: unchanged since the last one delivered".into();
            } else {
                outcome.recovered.push(job.recovered(raw.get(), String::new()));
                outcome.note = "of the account's state by getAccountInfo".into();
            }
        }
        Err(err) => {
            outcome.note = format!("could not fetch the account's state: {err}");
            outcome.error = Some(err);
        }
    }
    outcome
}

/// `getProgramAccounts` with its context, as its parts were written.
#[derive(serde::Deserialize)]
struct ProgramAccounts {
    context: Box<RawValue>,
    value: Vec<Box<RawValue>>,
}

/// Each of the program's accounts whose state differs from the last one delivered for it.
pub(super) async fn program(job: &Job, client: &RpcClient, program: &str, config: &Value) -> Outcome {
    let mut outcome = Outcome::default();
    let mut config = if config.is_object() { config.clone() } else { json!({}) };
    config["withContext"] = json!(true);
    let last: HashMap<String, &Value> = job
        .seen
        .iter()
        .filter_map(|result| {
            let value = result.get("value")?;
            Some((value.get("pubkey")?.as_str()?.to_owned(), value.get("account")?))
        })
        .collect();
    match client.call_raw("getProgramAccounts", json!([program, config])).await {
        Ok(raw) => match serde_json::from_str::<ProgramAccounts>(raw.get()) {
            Ok(accounts) if accounts.value.len() as u64 > MAX_ITEMS => {
                outcome.note = format!(
                    "of none: the program has {} accounts matching, over the {MAX_ITEMS} recovered at once",
                    accounts.value.len()
                );
            }
            Ok(accounts) => {
                let total = accounts.value.len();
                for keyed in &accounts.value {
                    let members = raw_members(keyed);
                    let pubkey = members
                        .as_ref()
                        .and_then(|m| serde_json::from_str::<String>(m.get("pubkey")?.get()).ok());
                    let account = members
                        .as_ref()
                        .and_then(|m| serde_json::from_str::<Value>(m.get("account")?.get()).ok());
                    let unchanged = pubkey
                        .as_ref()
                        .and_then(|key| last.get(key))
                        .is_some_and(|seen| Some(*seen) == account.as_ref());
                    if !unchanged {
                        let result =
                            format!(r#"{{"context":{},"value":{}}}"#, accounts.context.get(), keyed.get());
                        outcome.recovered.push(job.recovered(&result, String::new()));
                    }
                }
                outcome.note = format!(
                    "of {total} program account(s) by getProgramAccounts, those changed since delivered"
                );
            }
            Err(err) => {
                let err = RpcCallError::NotJson(format!("getProgramAccounts: {err}"));
                outcome.note = format!("could not fetch the program's accounts: {err}");
                outcome.error = Some(err);
            }
        },
        Err(err) => {
            outcome.note = format!("could not fetch the program's accounts: {err}");
            outcome.error = Some(err);
        }
    }
    outcome
}

/// Whether a status at `reached` satisfies a subscription waiting for `wanted`.
fn reaches(reached: &str, wanted: &str) -> bool {
    let rank = |level: &str| match level {
        "processed" => 0,
        "confirmed" => 1,
        "finalized" => 2,
        _ => 3,
    };
    rank(reached) >= rank(wanted) && rank(reached) < 3
}

/// The transaction's status: when it reached the subscription's commitment during the gap,
/// its final notification, and the subscription completes.
pub(super) async fn signature(job: &Job, client: &RpcClient, signature: &str, commitment: &str) -> Outcome {
    let mut outcome = Outcome::default();
    let answer =
        client.call("getSignatureStatuses", json!([[signature], {"searchTransactionHistory": true}])).await;
    match answer {
        Ok(answer) => {
            let status =
                answer.get("value").and_then(|value| value.get(0)).filter(|status| !status.is_null());
            let reached = status.and_then(|status| status.get("confirmationStatus")).and_then(Value::as_str);
            match (status, reached) {
                (Some(status), Some(reached)) if reaches(reached, commitment) => {
                    let slot = status.get("slot").and_then(Value::as_u64).unwrap_or_default();
                    let err = status.get("err").cloned().unwrap_or(Value::Null);
                    let result = json!({"context": {"slot": slot}, "value": {"err": err}}).to_string();
                    outcome.recovered.push(job.recovered(&result, super::FINAL.to_owned()));
                    outcome.completes = true;
                    outcome.note =
                        format!("by getSignatureStatuses: the transaction reached {reached} during the gap");
                }
                (_, reached) => {
                    outcome.note = format!(
                        "by getSignatureStatuses: none, the transaction is {} (waiting for {commitment})",
                        reached.unwrap_or("not seen yet")
                    );
                }
            }
        }
        Err(err) => {
            outcome.note = format!("could not fetch the transaction's status: {err}");
            outcome.error = Some(err);
        }
    }
    outcome
}
