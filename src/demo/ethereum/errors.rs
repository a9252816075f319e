//! How geth words its refusals, word for word: missing, surplus and bad arguments, unknown
//! subscription kinds and methods. The detail of a bad argument (`invalid address`) is
//! written where it is found. Only the demo answers as a server does; the catalogue explains
//! refusals in its own words before anything is sent.

use crate::demo::rpc::{self, RpcError};

/// geth's error for a missing positional argument.
pub(super) fn missing_argument(index: usize) -> RpcError {
    RpcError::invalid_params(format!("missing value for required argument {index}"))
}

/// geth's error for surplus positional arguments.
pub(super) fn too_many_arguments(at_most: usize) -> RpcError {
    RpcError::invalid_params(format!("too many arguments, want at most {at_most}"))
}

/// geth's error for a bad argument.
pub(super) fn invalid_argument(index: usize, detail: &str) -> RpcError {
    RpcError::invalid_params(format!("invalid argument {index}: {detail}"))
}

/// geth's error for an `eth_subscribe` kind it does not have.
pub(super) fn unknown_subscription(name: &str) -> RpcError {
    RpcError::new(rpc::METHOD_NOT_FOUND, format!("no {name:?} subscription in eth namespace"))
}

/// geth's error for an unknown method.
pub(crate) fn unknown_method(method: &str) -> RpcError {
    RpcError::new(rpc::METHOD_NOT_FOUND, format!("the method {method} does not exist/is not available"))
}
