//! The columns a user scans, pulled out of one incoming frame.
//!
//! What a frame carries is its [`Payload`], which the catalogue decides from its notification
//! method; the columns are read per payload, in `solana.rs` and `ethereum.rs`. Solana
//! payloads are read into small structs that skip everything else (account data can be
//! megabytes); Ethereum payloads are small and are read as JSON values, by shape, so every
//! `eth_subscription` kind is recognised without knowing which subscription sent it.

mod ethereum;
mod solana;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::Payload;

/// The columns of one frame that a user scans; everything is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The Solana slot (context or payload) or the Ethereum block number.
    pub slot_or_block: Option<u64>,
    /// The transaction signature, transaction hash or block hash.
    pub signature_or_hash: Option<String>,
    /// The account, vote account, log-emitting contract or transaction sender.
    pub account: Option<String>,
    /// Lamports (Solana) or wei (Ethereum), in decimal.
    pub value: Option<String>,
    /// The account owner program.
    pub owner: Option<String>,
    /// How many log lines a transaction printed.
    pub log_lines: Option<usize>,
    /// The transaction or block error, or a JSON-RPC error as `code: message`.
    pub error: Option<String>,
    /// Whether a reorg removed this log or transaction (`"removed": true`).
    pub removed: bool,
    /// What the frame is when the method does not say enough: the slot update type,
    /// `receivedSignature`, or the Ethereum payload kind (`newHead`, `log`, `pendingTxHash`,
    /// `transaction`, `minedTransaction`, `syncing`, `synced`).
    pub kind: Option<String>,
}

/// Summarises one raw frame (a notification, or a response with an error). Malformed or
/// unknown input gives an empty summary; this never panics.
pub fn summarize(raw: &str) -> Summary {
    // Nearly every frame is a plain notification: its result found in one pass.
    if let Some((method, result)) = crate::protocol::scan::notification_result(raw) {
        let payload = Payload::of_notification(method);
        return if payload == Payload::Unknown {
            Summary::default()
        } else {
            summarize_result(payload, result)
        };
    }
    summarize_by_serde(raw)
}

/// [`summarize`] for any frame: the envelope, then the params, read by serde.
fn summarize_by_serde(raw: &str) -> Summary {
    let Some(envelope) = parse_object::<Envelope<'_>>(raw) else {
        return Summary::default();
    };
    if let Some(error) = envelope.error {
        return Summary { error: Some(rpc_error_text(error)), ..Summary::default() };
    }
    let (Some(method), Some(params)) = (envelope.method, envelope.params) else {
        return Summary::default();
    };
    let payload = Payload::of_notification(&method);
    if payload == Payload::Unknown {
        return Summary::default();
    }
    let Some(params) = parse_object::<NotificationParams<'_>>(params.get()) else {
        return Summary::default();
    };
    let Some(result) = params.result else {
        return Summary::default();
    };
    summarize_result(payload, result.get())
}

/// The columns of a notification's `params.result` carrying `payload`.
fn summarize_result(payload: Payload, result: &str) -> Summary {
    match payload {
        Payload::SolanaAccount => solana::account(result),
        Payload::SolanaProgram => solana::program(result),
        Payload::SolanaLogs => solana::logs(result),
        Payload::SolanaSignature => solana::signature(result),
        Payload::SolanaSlot => solana::slot(result),
        Payload::SolanaRoot => solana::root(result),
        Payload::SolanaSlotsUpdates => solana::slots_update(result),
        Payload::SolanaBlock => solana::block(result),
        Payload::SolanaVote => solana::vote(result),
        Payload::HeliusTransaction => solana::helius_transaction(result),
        Payload::EthNewHeads
        | Payload::EthLogs
        | Payload::EthPendingTransactions
        | Payload::EthSyncing
        | Payload::AlchemyMinedTransactions
        | Payload::EthAny => ethereum::summary(result),
        Payload::Unknown => Summary::default(),
    }
}

fn parse<'a, T: Deserialize<'a>>(text: &'a str) -> Option<T> {
    serde_json::from_str(text).ok()
}

/// Reads a struct from a JSON object only: serde's derived readers would also take an array
/// as the members in declaration order (`["",null,false]` as an error response).
fn parse_object<'a, T: Deserialize<'a>>(text: &'a str) -> Option<T> {
    if text.trim_start().starts_with('{') { parse(text) } else { None }
}

/// A JSON value's text, or `None` for `null` (`Option<&RawValue>` already maps `null` to
/// `None`).
fn raw_text(raw: Option<&RawValue>) -> Option<String> {
    raw.map(|raw| raw.get().to_owned())
}

/// `code: message` for a JSON-RPC error object, or its JSON text for other shapes.
fn rpc_error_text(error: &RawValue) -> String {
    #[derive(Deserialize)]
    struct RpcError {
        code: Option<i64>,
        message: Option<String>,
    }
    match parse_object::<RpcError>(error.get()) {
        Some(RpcError { code: Some(code), message: Some(message) }) => format!("{code}: {message}"),
        _ => error.get().to_owned(),
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    method: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct NotificationParams<'a> {
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
}
#[cfg(test)]
mod tests;
