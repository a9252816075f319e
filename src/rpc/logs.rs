//! `eth_getLogs` over a block range of any size: a range the provider refuses is split.
//!
//! Providers cap a query by blocks or by results and say so in the error (RPC limits listed
//! in the project's recovery notes): a range to use instead (`Try with this block range
//! [0x1, 0x2]`, `retry with the range 10-20`, Infura's `data: {from, to}`), or a span
//! (`limited to 1024 block range`, `max is 1k blocks`). The range is then walked from its
//! first block in chunks of the span learned, halved when the error names none; chunks follow
//! each other without overlap, so logs come back once each, in block order.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::{RpcCallError, RpcClient};

/// What a refusal says about the chunk to ask for instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hint {
    /// A range that works (only its end matters: chunks start where the last one ended).
    Until(u64),
    /// The most blocks a query may span.
    Span(u64),
}

/// `[0xBDE5F8, 0x102DBCC]`, `[100, 200]`.
static BRACKETED: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\[\s*(0x[0-9a-fA-F]+|\d+)\s*,\s*(0x[0-9a-fA-F]+|\d+)\s*\]").ok());

/// `the range 23879634-23879696`.
static DASHED: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)range\s+(0x[0-9a-fA-F]+|\d+)\s*-\s*(0x[0-9a-fA-F]+|\d+)").ok());

/// `1024 block range`, `1k blocks`, `2K block range`, `max block range 100000`.
static SPAN: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)(\d+)\s*(k)?\s+blocks?\b|block range (?:of |is )?(\d+)\s*(k)?").ok());

fn number(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// What a refusal says, if anything.
fn hint(message: &str, data: Option<&Value>) -> Option<Hint> {
    for pattern in [&*BRACKETED, &*DASHED].into_iter().flatten() {
        if let Some(found) = pattern.captures(message)
            && let Some(end) = found.get(2).and_then(|end| number(end.as_str()))
        {
            return Some(Hint::Until(end));
        }
    }
    if let Some(end) = data.and_then(|data| data.get("to")).and_then(Value::as_str).and_then(number) {
        return Some(Hint::Until(end));
    }
    let found = SPAN.as_ref()?.captures(message)?;
    let (digits, thousands) = match found.get(1) {
        Some(digits) => (digits, found.get(2)),
        None => (found.get(3)?, found.get(4)),
    };
    let span = number(digits.as_str())?;
    Some(Hint::Span(if thousands.is_some() { span.saturating_mul(1000) } else { span }))
}

/// The number of blocks to ask for after `start..=end` was refused, or `None` when one block
/// was refused (nothing smaller to ask for).
fn next_span(refused: &RpcCallError, start: u64, end: u64) -> Option<u64> {
    let asked = end - start + 1;
    let RpcCallError::Rpc { message, data, .. } = refused else { return None };
    let suggested = match hint(message, data.as_ref()) {
        Some(Hint::Until(until)) if until >= start => Some(until - start + 1),
        Some(Hint::Span(span)) => Some(span),
        _ => None,
    };
    match suggested.filter(|span| (1..asked).contains(span)) {
        Some(span) => Some(span),
        None => (asked > 1).then_some(asked / 2),
    }
}

impl RpcClient {
    /// Every log `filter` (an `eth_getLogs` filter object: `address`, `topics`) matches in
    /// blocks `from..=to`, in order, each once. A range the provider refuses as too large is
    /// split as its error suggests, else by halves; at most [`super::RpcConfig::max_log_requests`]
    /// requests are made.
    pub async fn get_logs(&self, filter: &Value, from: u64, to: u64) -> Result<Vec<Value>, RpcCallError> {
        let raw = self.get_logs_raw(filter, from, to).await?;
        raw.iter()
            .map(|log| serde_json::from_str(log.get()).map_err(|err| RpcCallError::NotJson(err.to_string())))
            .collect()
    }

    /// [`Self::get_logs`], each log exactly as the server wrote it.
    pub async fn get_logs_raw(
        &self,
        filter: &Value,
        from: u64,
        to: u64,
    ) -> Result<Vec<Box<RawValue>>, RpcCallError> {
        let limit = self.config().max_log_requests;
        let too_many = RpcCallError::TooManyRequests { from, to, limit };
        let mut logs = Vec::new();
        let mut start = from;
        let mut span: Option<u64> = None;
        let mut requests = 0;
        while start <= to {
            let end = span.map_or(to, |span| to.min(start.saturating_add(span - 1)));
            requests += 1;
            if requests > limit {
                return Err(too_many);
            }
            let mut query = filter.clone();
            if let Some(object) = query.as_object_mut() {
                object.insert("fromBlock".into(), json!(format!("{start:#x}")));
                object.insert("toBlock".into(), json!(format!("{end:#x}")));
            }
            match self.call_raw("eth_getLogs", json!([query])).await {
                Ok(chunk) => match serde_json::from_str::<Vec<Box<RawValue>>>(chunk.get()) {
                    Ok(chunk) => logs.extend(chunk),
                    Err(_) => {
                        let kind = if chunk.get() == "null" { "null" } else { "not a list" };
                        return Err(RpcCallError::NotJson(format!("eth_getLogs answered {kind}")));
                    }
                },
                Err(err) if err.is_range_too_large() => {
                    span = Some(next_span(&err, start, end).ok_or(err)?);
                    continue;
                }
                Err(err) => return Err(err),
            }
            match end.checked_add(1) {
                Some(next) => start = next,
                None => break,
            }
        }
        Ok(logs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(message: &str, data: Option<Value>) -> RpcCallError {
        RpcCallError::Rpc { code: -32602, message: message.to_owned(), data }
    }

    #[test]
    fn provider_messages_name_a_range_or_a_span() {
        let cases = [
            (
                "query returned more than 10000 results. Try with this block range [0xBDE5F8, 0x102DBCC].",
                Some(Hint::Until(0x102_DBCC)),
            ),
            (
                "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters and the response size limit, this block range should work: [0x0, 0xd043b8]",
                Some(Hint::Until(0xd0_43b8)),
            ),
            ("eth_getLogs is limited to 1024 block range", Some(Hint::Span(1024))),
            ("eth_getLogs range is too large, max is 1k blocks", Some(Hint::Span(1000))),
            ("ranges over 10000 blocks are not supported on freetier", Some(Hint::Span(10_000))),
            ("query exceeds max block range 100000", Some(Hint::Span(100_000))),
            (
                "query exceeds max results 20000, retry with the range 23879634-23879696",
                Some(Hint::Until(23_879_696)),
            ),
            ("query exceeds max results 20000", None),
        ];
        for (message, expected) in cases {
            assert_eq!(hint(message, None), expected, "{message}");
            assert!(refused(message, None).is_range_too_large(), "{message}");
        }
        let infura_data = json!({"from": "0x10", "to": "0x1f", "limit": 10000});
        assert_eq!(
            hint("query returned more than 10000 results", Some(&infura_data)),
            Some(Hint::Until(0x1f))
        );
    }

    #[test]
    fn the_next_chunk_follows_the_hint_or_halves() {
        // A suggestion inside the refused range is taken.
        assert_eq!(next_span(&refused("limited to 10 block range", None), 100, 199), Some(10));
        assert_eq!(next_span(&refused("try [0x64, 0x6d]", None), 100, 199), Some(10));
        // One that is no smaller, ends before the start, or is absent: halve.
        assert_eq!(next_span(&refused("limited to 1024 block range", None), 100, 199), Some(50));
        assert_eq!(next_span(&refused("try [0x1, 0x2]", None), 100, 199), Some(50));
        assert_eq!(next_span(&refused("query exceeds max results 20000", None), 100, 199), Some(50));
        assert_eq!(next_span(&refused("query exceeds max results 20000", None), 7, 7), None);
    }
}
