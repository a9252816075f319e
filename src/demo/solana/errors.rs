//! The error messages Agave (and Helius) send for bad Solana params, word for word.
//!
//! They live here and not in the catalogue: the catalogue explains a refusal in its own words
//! before anything is sent, while only the demo must answer as the server does. Where the
//! catalogue quotes a server's text, a test below checks that both say the same.

use std::fmt::Debug;

use serde_json::Value;

use crate::catalog::MAX_PROGRAM_FILTERS;
use crate::demo::fake::json_str;
use crate::demo::rpc::{self, RpcError};

/// jsonrpc-core's `expect_no_params`: an empty array is fine, anything else is an error.
pub(super) fn no_params(params: &[Value]) -> Result<(), RpcError> {
    if params.is_empty() {
        return Ok(());
    }
    Err(RpcError {
        code: rpc::INVALID_PARAMS,
        message: "Invalid parameters: No parameters were expected".to_owned(),
        data: Some(json_str(&format!("Array({params:?})"))),
    })
}

/// serde's message for an unknown enum variant, wrapped as jsonrpc-core does.
pub(super) fn unknown_variant(found: &str, expected: &str) -> RpcError {
    RpcError::invalid_params(format!("Invalid params: unknown variant `{found}`, expected {expected}."))
}

/// `param()`'s refusal of a bad base58 key.
pub(super) fn invalid_pubkey() -> RpcError {
    RpcError::invalid_params("Invalid Request: Invalid pubkey provided")
}

/// `param()`'s refusal of a bad base58 signature.
pub(super) fn invalid_signature() -> RpcError {
    RpcError::invalid_params("Invalid Request: Invalid signature provided")
}

/// `param()`'s refusal of a bad key in a logs `mentions` filter.
pub(super) fn invalid_mentions() -> RpcError {
    RpcError::invalid_params("Invalid Request: Invalid mentions provided")
}

/// `param()`'s refusal of a bad key in a block `mentionsAccountOrProgram` filter.
pub(super) fn invalid_mentions_account_or_program() -> RpcError {
    RpcError::invalid_params("Invalid Request: Invalid mentions_account_or_program provided")
}

/// A logs `mentions` filter names exactly one key.
pub(super) const ONLY_ONE_ADDRESS: &str = "Invalid Request: Only 1 address supported";

/// blockSubscribe refuses `processed` (`check_is_at_least_confirmed`).
pub(super) const BELOW_CONFIRMED: &str = "Method does not support commitment below `confirmed`";

/// `verify_filters`: more than [`MAX_PROGRAM_FILTERS`] program filters.
pub(super) fn too_many_filters() -> RpcError {
    RpcError::invalid_params(format!("Too many filters provided; max {MAX_PROGRAM_FILTERS}"))
}

/// `verify_filter`: memcmp bytes over the catalogue's memcmp limits.
pub(super) fn data_too_large() -> RpcError {
    RpcError::invalid_params("Invalid params: Invalid param: DataTooLarge")
}

/// `verify_filter`: memcmp bytes that are not base58.
pub(super) fn base58_decode_error(err: impl Debug) -> RpcError {
    RpcError::invalid_params(format!("Invalid params: Invalid param: Base58DecodeError({err:?})"))
}

/// `verify_filter`: memcmp bytes that are not base64.
pub(super) fn base64_decode_error(err: impl Debug) -> RpcError {
    RpcError::invalid_params(format!("Invalid params: Invalid param: Base64DecodeError({err:?})"))
}

/// serde's message for a missing struct field, wrapped as jsonrpc-core does.
pub(super) fn missing_field(name: &str) -> RpcError {
    RpcError::invalid_params(format!("Invalid params: missing field `{name}`."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{self, check_request};

    #[test]
    fn the_catalogue_quotes_the_texts_the_demo_sends() {
        let signature = catalog::find("signatureSubscribe").map(|spec| spec.note).unwrap_or_default();
        assert!(signature.contains(rpc::INVALID_SUBSCRIPTION_ID), "{signature}");
        let commitment = catalog::find("blockSubscribe")
            .and_then(|spec| spec.field("commitment"))
            .map(|field| field.help)
            .unwrap_or_default();
        assert!(commitment.contains(BELOW_CONFIRMED), "{commitment}");
        let key = "11111111111111111111111111111111";
        let two = serde_json::json!([{"mentions": [key, key]}]);
        let message =
            check_request("logsSubscribe", Some(&two)).err().map(|err| err.message).unwrap_or_default();
        let quoted = ONLY_ONE_ADDRESS.strip_prefix("Invalid Request: ").unwrap_or_default();
        assert!(message.contains(quoted), "{message}");
    }
}
