//! The HTTP JSON-RPC side of an endpoint: where it is ([`rpc_url_for`]), the ground for
//! backfilling what a WebSocket gap lost.

mod url;

pub use url::{rpc_url_for, rpc_url_with};
