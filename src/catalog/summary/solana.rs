//! The columns of Solana payloads, each read into a small struct that skips everything else.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::{Summary, parse, parse_object, raw_text};

#[derive(Deserialize)]
struct Context {
    slot: Option<u64>,
}

#[derive(Deserialize)]
struct WithContext<T> {
    context: Option<Context>,
    value: Option<T>,
}

impl<T> WithContext<T> {
    fn slot(&self) -> Option<u64> {
        self.context.as_ref().and_then(|context| context.slot)
    }
}

#[derive(Deserialize)]
struct AccountInfo {
    lamports: Option<u64>,
    owner: Option<String>,
}

fn account_columns(summary: &mut Summary, account: &AccountInfo) {
    summary.value = account.lamports.map(|lamports| lamports.to_string());
    summary.owner.clone_from(&account.owner);
}

pub(super) fn account(result: &str) -> Summary {
    let Some(update) = parse_object::<WithContext<AccountInfo>>(result) else {
        return Summary::default();
    };
    let mut summary = Summary { slot_or_block: update.slot(), ..Summary::default() };
    if let Some(account) = &update.value {
        account_columns(&mut summary, account);
    }
    summary
}

#[derive(Deserialize)]
struct KeyedAccount {
    pubkey: Option<String>,
    account: Option<AccountInfo>,
}

pub(super) fn program(result: &str) -> Summary {
    let Some(update) = parse_object::<WithContext<KeyedAccount>>(result) else {
        return Summary::default();
    };
    let mut summary = Summary { slot_or_block: update.slot(), ..Summary::default() };
    if let Some(keyed) = &update.value {
        summary.account.clone_from(&keyed.pubkey);
        if let Some(account) = &keyed.account {
            account_columns(&mut summary, account);
        }
    }
    summary
}

#[derive(Deserialize)]
struct LogsInfo<'a> {
    signature: Option<String>,
    #[serde(borrow, default)]
    err: Option<&'a RawValue>,
    logs: Option<Vec<IgnoredAny>>,
}

pub(super) fn logs(result: &str) -> Summary {
    let Some(update) = parse_object::<WithContext<LogsInfo<'_>>>(result) else {
        return Summary::default();
    };
    let mut summary = Summary { slot_or_block: update.slot(), ..Summary::default() };
    if let Some(info) = update.value {
        summary.signature_or_hash = info.signature;
        summary.error = raw_text(info.err);
        summary.log_lines = info.logs.map(|lines| lines.len());
    }
    summary
}

#[derive(Deserialize)]
struct SignatureStatus<'a> {
    #[serde(borrow, default)]
    err: Option<&'a RawValue>,
}

pub(super) fn signature(result: &str) -> Summary {
    let Some(update) = parse_object::<WithContext<&RawValue>>(result) else {
        return Summary::default();
    };
    let mut summary = Summary { slot_or_block: update.slot(), ..Summary::default() };
    if let Some(value) = update.value {
        if let Some(kind) = parse::<String>(value.get()) {
            summary.kind = Some(kind);
        } else if let Some(status) = parse_object::<SignatureStatus<'_>>(value.get()) {
            summary.error = raw_text(status.err);
        }
    }
    summary
}

#[derive(Deserialize)]
struct SlotInfo {
    slot: Option<u64>,
}

pub(super) fn slot(result: &str) -> Summary {
    parse_object::<SlotInfo>(result)
        .map(|info| Summary { slot_or_block: info.slot, ..Summary::default() })
        .unwrap_or_default()
}

pub(super) fn root(result: &str) -> Summary {
    Summary { slot_or_block: parse::<u64>(result), ..Summary::default() }
}

#[derive(Deserialize)]
struct SlotUpdate<'a> {
    #[serde(rename = "type")]
    kind: Option<String>,
    slot: Option<u64>,
    #[serde(borrow, default)]
    err: Option<&'a RawValue>,
}

pub(super) fn slots_update(result: &str) -> Summary {
    parse_object::<SlotUpdate<'_>>(result)
        .map(|update| Summary {
            slot_or_block: update.slot,
            kind: update.kind,
            error: raw_text(update.err).map(|err| unquote(&err)),
            ..Summary::default()
        })
        .unwrap_or_default()
}

/// A JSON string's contents, or the text unchanged when it is not a string.
fn unquote(text: &str) -> String {
    parse::<String>(text).unwrap_or_else(|| text.to_owned())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockInfo {
    blockhash: Option<String>,
}

#[derive(Deserialize)]
struct BlockUpdate<'a> {
    slot: Option<u64>,
    block: Option<BlockInfo>,
    #[serde(borrow, default)]
    err: Option<&'a RawValue>,
}

pub(super) fn block(result: &str) -> Summary {
    let Some(update) = parse_object::<WithContext<BlockUpdate<'_>>>(result) else {
        return Summary::default();
    };
    let mut summary = Summary { slot_or_block: update.slot(), ..Summary::default() };
    if let Some(value) = update.value {
        summary.slot_or_block = value.slot.or(summary.slot_or_block);
        summary.signature_or_hash = value.block.and_then(|block| block.blockhash);
        summary.error = raw_text(value.err).map(|err| unquote(&err));
    }
    summary
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VoteInfo {
    vote_pubkey: Option<String>,
    slots: Option<Vec<u64>>,
    signature: Option<String>,
}

pub(super) fn vote(result: &str) -> Summary {
    parse_object::<VoteInfo>(result)
        .map(|vote| Summary {
            slot_or_block: vote.slots.and_then(|slots| slots.last().copied()),
            signature_or_hash: vote.signature,
            account: vote.vote_pubkey,
            ..Summary::default()
        })
        .unwrap_or_default()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TransactionMeta<'a> {
    #[serde(borrow, default)]
    err: Option<&'a RawValue>,
    log_messages: Option<Vec<IgnoredAny>>,
}

#[derive(Deserialize)]
struct TransactionWithMeta<'a> {
    #[serde(borrow, default)]
    meta: Option<TransactionMeta<'a>>,
}

#[derive(Deserialize)]
struct HeliusTransaction<'a> {
    signature: Option<String>,
    slot: Option<u64>,
    #[serde(borrow, default)]
    transaction: Option<TransactionWithMeta<'a>>,
}

pub(super) fn helius_transaction(result: &str) -> Summary {
    let Some(update) = parse_object::<HeliusTransaction<'_>>(result) else {
        return Summary::default();
    };
    let meta = update.transaction.and_then(|transaction| transaction.meta);
    Summary {
        slot_or_block: update.slot,
        signature_or_hash: update.signature,
        error: meta.as_ref().and_then(|meta| raw_text(meta.err)),
        log_lines: meta.and_then(|meta| meta.log_messages).map(|lines| lines.len()),
        ..Summary::default()
    }
}
