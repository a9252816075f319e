//! Ethereum blocks over HTTP JSON-RPC: the newest block's number and one block's header, what
//! an audit needs to know which blocks are canonical and when they were made.

use serde_json::{Value, json};

use super::{RpcCallError, RpcClient};

/// What an audit reads of a block: its number, hash and time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    /// The block number.
    pub number: u64,
    /// The block hash, `0x` and lower-case hex.
    pub hash: String,
    /// The block's timestamp, in seconds since the epoch.
    pub timestamp: u64,
}

/// A `0x` quantity that fits in u64 (`"0x1b4"`).
pub fn quantity(value: &Value) -> Option<u64> {
    let digits = value.as_str()?.strip_prefix("0x")?;
    if digits.is_empty() {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// The error for an answer of the wrong shape.
fn unexpected(method: &str, what: &str) -> RpcCallError {
    RpcCallError::NotJson(format!("{method} answered something that is not {what}"))
}

impl RpcClient {
    /// The newest block's number (`eth_blockNumber`).
    ///
    /// # Errors
    /// The call failed, or its answer is not a quantity.
    pub async fn block_number(&self) -> Result<u64, RpcCallError> {
        let answer = self.call("eth_blockNumber", json!([])).await?;
        quantity(&answer).ok_or_else(|| unexpected("eth_blockNumber", "a block number"))
    }

    /// The header of the canonical block at `number` (`eth_getBlockByNumber` without its
    /// transactions); `None` when the chain has no block there yet.
    ///
    /// # Errors
    /// The call failed, or its answer is not a block.
    pub async fn block_header(&self, number: u64) -> Result<Option<BlockHeader>, RpcCallError> {
        let answer = self.call("eth_getBlockByNumber", json!([format!("{number:#x}"), false])).await?;
        if answer.is_null() {
            return Ok(None);
        }
        let header = (|| {
            Some(BlockHeader {
                number: quantity(answer.get("number")?)?,
                hash: answer.get("hash")?.as_str()?.to_ascii_lowercase(),
                timestamp: quantity(answer.get("timestamp")?)?,
            })
        })();
        header.map(Some).ok_or_else(|| unexpected("eth_getBlockByNumber", "a block"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_hex_with_their_prefix() {
        assert_eq!(quantity(&json!("0x1b4")), Some(436));
        assert_eq!(quantity(&json!("0x0")), Some(0));
        for bad in [json!("0x"), json!("1b4"), json!(12), json!("0xzz"), json!("0x1ffffffffffffffff")] {
            assert_eq!(quantity(&bad), None, "{bad}");
        }
    }
}
