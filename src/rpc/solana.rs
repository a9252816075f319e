//! Solana's ledger over HTTP JSON-RPC: the newest slot at a commitment, which slots hold
//! blocks (`getBlocks`, walked in chunks the node accepts) and an address's transactions
//! (`getSignaturesForAddress`, one page at a time).

use serde::Deserialize;
use serde_json::{Value, json};

use super::{RpcCallError, RpcClient};

/// The widest `getBlocks` range Agave answers (and Helius, Chainstack): 500,000 slots.
pub const MAX_BLOCKS_RANGE: u64 = 500_000;

/// The most signatures one `getSignaturesForAddress` page holds.
pub const MAX_SIGNATURES_PAGE: u32 = 1_000;

/// One transaction of an address, as `getSignaturesForAddress` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SignatureInfo {
    /// The transaction's first signature.
    pub signature: String,
    /// The slot that holds it.
    pub slot: u64,
    /// The block's estimated time, seconds since the epoch, when the node knows it.
    #[serde(default, rename = "blockTime")]
    pub block_time: Option<i64>,
}

impl RpcClient {
    /// The newest slot at `commitment` (`processed`, `confirmed` or `finalized`).
    ///
    /// # Errors
    /// The call failed, or its answer is not a slot.
    pub async fn slot(&self, commitment: &str) -> Result<u64, RpcCallError> {
        let answer = self.call("getSlot", json!([{"commitment": commitment}])).await?;
        answer
            .as_u64()
            .ok_or_else(|| RpcCallError::NotJson("getSlot answered something that is not a slot".into()))
    }

    /// Every slot from `first` to `last` (inclusive) that holds a block at `commitment`
    /// (`confirmed` or `finalized`), in order. Slots left out were skipped by their leader.
    /// The range is asked in chunks of [`MAX_BLOCKS_RANGE`]; a chunk the node refuses (a
    /// provider's smaller cap) is halved until it is accepted or one slot is refused.
    ///
    /// # Errors
    /// A call failed for another reason than the range, or its answer is not a list of slots.
    pub async fn get_blocks(
        &self,
        first: u64,
        last: u64,
        commitment: &str,
    ) -> Result<Vec<u64>, RpcCallError> {
        let mut slots = Vec::new();
        let mut start = first;
        let mut span = MAX_BLOCKS_RANGE;
        while start <= last {
            let end = last.min(start.saturating_add(span - 1));
            let answer = self.call("getBlocks", json!([start, end, {"commitment": commitment}])).await;
            match answer {
                Ok(Value::Array(chunk)) => {
                    for slot in chunk {
                        let slot = slot.as_u64().ok_or_else(|| {
                            RpcCallError::NotJson("getBlocks answered something that is not a slot".into())
                        })?;
                        slots.push(slot);
                    }
                }
                Ok(_) => {
                    return Err(RpcCallError::NotJson(
                        "getBlocks answered something that is not a list".into(),
                    ));
                }
                Err(err) if end > start && refuses_range(&err) => {
                    span = (end - start).div_ceil(2);
                    continue;
                }
                Err(err) => return Err(err),
            }
            match end.checked_add(1) {
                Some(next) => start = next,
                None => break,
            }
        }
        Ok(slots)
    }

    /// One page of `address`'s transactions at `commitment`, newest first: at most `limit`
    /// (1 to [`MAX_SIGNATURES_PAGE`]) older than `before` (a signature), or the newest.
    ///
    /// # Errors
    /// The call failed, or its answer is not a list of signatures.
    pub async fn signatures_for_address(
        &self,
        address: &str,
        before: Option<&str>,
        limit: u32,
        commitment: &str,
    ) -> Result<Vec<SignatureInfo>, RpcCallError> {
        let mut config = json!({"limit": limit.clamp(1, MAX_SIGNATURES_PAGE), "commitment": commitment});
        if let (Some(before), Some(object)) = (before, config.as_object_mut()) {
            object.insert("before".into(), json!(before));
        }
        let answer = self.call("getSignaturesForAddress", json!([address, config])).await?;
        serde_json::from_value(answer).map_err(|err| {
            RpcCallError::NotJson(format!(
                "getSignaturesForAddress answered something that is not a list of signatures: {err}"
            ))
        })
    }
}

/// Whether a refusal may be about the range's size: a JSON-RPC error that is not "method not
/// found" (providers word their caps differently; Agave's own cap says "Slot range too large").
fn refuses_range(err: &RpcCallError) -> bool {
    matches!(err, RpcCallError::Rpc { code, .. } if *code != -32601) && !err.is_rate_limited()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_range_is_told_from_a_missing_method() {
        let rpc = |code, message: &str| RpcCallError::Rpc { code, message: message.into(), data: None };
        assert!(refuses_range(&rpc(-32602, "Invalid params: Slot range too large; max 500000")));
        assert!(!refuses_range(&rpc(-32601, "Method not found")));
        assert!(!refuses_range(&RpcCallError::Transport("connection refused".into())));
    }

    #[test]
    fn signature_pages_read_the_fields_an_audit_needs() {
        let page = json!([{"signature": "5h6x", "slot": 114, "err": null, "memo": null, "blockTime": 1_700_000_000,
            "confirmationStatus": "finalized"}, {"signature": "7y8z", "slot": 113, "blockTime": null}]);
        let read: Vec<SignatureInfo> = serde_json::from_value(page).unwrap_or_default();
        assert_eq!(read.len(), 2);
        assert_eq!((read[0].slot, read[0].block_time), (114, Some(1_700_000_000)));
        assert_eq!(read[1].block_time, None);
    }
}
