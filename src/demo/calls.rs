//! The one-off methods the demo answers, the same over a WebSocket and over HTTP: chain
//! queries answered from the chains' history (`ethereum::query`, `solana::query`), then the
//! identity requests client libraries make (`eth_chainId`, `getVersion`, …).

use serde_json::Value;

use super::ethereum::{self, BlockRef, Limits};
use super::rpc::{self, RpcError};
use super::shared::Shared;
use super::solana;

/// Answers one-off request `method`; `None` when it is not one the demo has (a subscription
/// method, or an unknown one: the caller words that).
pub(crate) fn one_off(
    shared: &Shared,
    limits: Limits,
    rng: &mut fastrand::Rng,
    method: &str,
    params: &[Value],
) -> Option<Result<String, RpcError>> {
    if rpc::Dialect::of_method(method) == rpc::Dialect::Ethereum {
        if let Some(answer) = ethereum::query(shared, limits, method, params) {
            return Some(answer);
        }
        let head = BlockRef::at_tick(shared.clock.block_tick()).number;
        return ethereum::one_off(method, head, rng).map(Ok);
    }
    if let Some(answer) = solana::query(shared, method, params) {
        return Some(answer);
    }
    if method == "getGenesisHash" {
        return Some(Ok(solana::genesis_hash(shared.seed)));
    }
    solana::one_off(method).map(Ok)
}
