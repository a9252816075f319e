//! The notifications each Solana subscription produces for one simulated slot, and the
//! one-off requests the demo answers.

use super::accounts::{account_for_key, program_account};
use super::ledger::{self, SolTx};
use super::transactions::{SimTx, TxOptions, block};
use super::{Commitment, LogsFilter, SolKind, TxDetails};
use crate::demo::fake::{self, json_str_array, json_u64_array};
use crate::demo::rpc;

/// How far the root trails the tip, in slots.
pub(super) const ROOT_DISTANCE: u64 = 32;

/// The version `getVersion` reports.
pub(super) const SOLANA_CORE_VERSION: &str = "3.1.12";

/// Answers the identity requests the demo supports (`getVersion`, `getHealth`); `None` for
/// any other method.
pub(crate) fn one_off(method: &str) -> Option<String> {
    match method {
        "getVersion" => {
            Some(format!(r#"{{"feature-set":3294202862,"solana-core":"{SOLANA_CORE_VERSION}"}}"#))
        }
        "getHealth" => Some(r#""ok""#.to_owned()),
        _ => None,
    }
}

/// What `getGenesisHash` answers (a JSON string): derived from the server seed, so two demo
/// servers are two chains and every connection to one agrees.
pub(crate) fn genesis_hash(seed: u64) -> String {
    let mut rng = fake::seeded(seed, 0x6E5E, 0);
    format!("\"{}\"", fake::base58(&fake::bytes::<32>(&mut rng)))
}

/// The slot a notification at `commitment` refers to when the tip is `slot`.
pub(super) fn context_slot(slot: u64, commitment: Commitment) -> u64 {
    match commitment {
        Commitment::Processed => slot,
        Commitment::Confirmed => slot.saturating_sub(1),
        Commitment::Finalized => slot.saturating_sub(ROOT_DISTANCE),
    }
}

/// What every notification of one simulated slot needs to know.
pub(crate) struct SlotCtx {
    /// The tip slot.
    pub(crate) slot: u64,
    /// Wall-clock milliseconds since the Unix epoch.
    pub(crate) unix_ms: u64,
    /// The server seed, so block hashes agree across connections.
    pub(crate) seed: u64,
    /// The slot time in milliseconds.
    pub(crate) slot_ms: u64,
    /// The keys clients subscribed with and the slots from which blocks hold transactions
    /// mentioning them ([`crate::demo::interest`]).
    pub(crate) keys: Vec<(String, u64)>,
}

impl SlotCtx {
    /// The deterministic blockhash of `slot`.
    pub(super) fn blockhash(&self, slot: u64) -> String {
        let mut rng = fake::seeded(self.seed, 0x501A, slot);
        fake::base58(&fake::bytes::<32>(&mut rng))
    }

    /// The Unix time of `slot` (at or before the tip), in seconds.
    pub(super) fn block_time(&self, slot: u64) -> u64 {
        let before = self.slot.saturating_sub(slot).saturating_mul(self.slot_ms);
        self.unix_ms.saturating_sub(before) / 1000
    }

    /// The transactions of the block at `slot`.
    pub(crate) fn transactions(&self, slot: u64) -> Vec<SolTx> {
        let keys: Vec<String> =
            self.keys.iter().filter(|(_, from)| *from <= slot).map(|(key, _)| key.clone()).collect();
        ledger::transactions(self.seed, slot, &keys)
    }

    /// Whether `slot` has a block.
    pub(crate) fn is_skipped(&self, slot: u64) -> bool {
        ledger::is_skipped(self.seed, slot)
    }

    /// `{"slot":N}` for a context.
    fn context(&self, commitment: Commitment) -> String {
        format!(r#"{{"slot":{}}}"#, context_slot(self.slot, commitment))
    }
}

/// What a subscription does after a slot's notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AfterSlot {
    /// It stays.
    Keep,
    /// It is gone (a signature subscription after its final notification).
    Remove,
}

/// Appends the notifications subscription `id` produces for one slot.
pub(crate) fn notify_slot(
    id: u64,
    kind: &mut SolKind,
    ctx: &SlotCtx,
    rng: &mut fastrand::Rng,
    out: &mut Vec<String>,
) -> AfterSlot {
    let method = kind.notification_method();
    let one_shot = kind.spec().one_shot;
    let mut push = |result: String| out.push(rpc::solana_notification(method, id, &result));
    let slot = ctx.slot;
    match kind {
        // A skipped slot has no block: no slot notification, and the root stays.
        SolKind::Slot if ctx.is_skipped(slot) => {}
        SolKind::Slot => push(format!(
            r#"{{"slot":{slot},"parent":{},"root":{}}}"#,
            ledger::parent(ctx.seed, slot),
            root(ctx)
        )),
        SolKind::Root if ctx.is_skipped(slot.saturating_sub(ROOT_DISTANCE)) => {}
        SolKind::Root => push(root(ctx).to_string()),
        SolKind::SlotsUpdates => {
            for update in slots_updates(ctx, rng) {
                push(update);
            }
        }
        SolKind::Vote => push(vote(ctx, rng)),
        SolKind::Account { pubkey, encoding, commitment } => {
            // Accounts change every other slot or so.
            if rng.u8(0..2) == 0 {
                let account = account_for_key(pubkey, rng);
                push(format!(
                    r#"{{"context":{},"value":{}}}"#,
                    ctx.context(*commitment),
                    account.to_json(*encoding)
                ));
            }
        }
        SolKind::Program { program, encoding, commitment, filters } => {
            for _ in 0..rng.u8(0..3) {
                if let Some((pubkey, account)) = program_account(program, filters, rng) {
                    push(format!(
                        r#"{{"context":{},"value":{{"pubkey":"{pubkey}","account":{}}}}}"#,
                        ctx.context(*commitment),
                        account.to_json(*encoding)
                    ));
                }
            }
        }
        SolKind::Logs { filter, commitment } => {
            let block_slot = context_slot(slot, *commitment);
            for tx in ctx.transactions(block_slot).iter().filter(|tx| logs_match(filter, tx)) {
                push(format!(
                    r#"{{"context":{{"slot":{block_slot}}},"value":{{"signature":"{}","err":{},"logs":{}}}}}"#,
                    tx.signature(),
                    tx.sim.logs.err,
                    json_str_array(&tx.sim.logs.logs)
                ));
            }
        }
        SolKind::Signature { received_notification, received_sent, commitment } => {
            if *received_notification && !*received_sent {
                *received_sent = true;
                push(format!(r#"{{"context":{{"slot":{slot}}},"value":"receivedSignature"}}"#));
                return AfterSlot::Keep;
            }
            push(format!(r#"{{"context":{},"value":{{"err":null}}}}"#, ctx.context(*commitment)));
            // The catalogue says whether the server ends it after this (signatureSubscribe is).
            return if one_shot { AfterSlot::Remove } else { AfterSlot::Keep };
        }
        SolKind::Block { mentions, commitment, encoding, details, show_rewards, max_version } => {
            let block_slot = context_slot(slot, *commitment);
            let txs = ctx.transactions(block_slot);
            let shown: Vec<&SolTx> =
                txs.iter().filter(|tx| mentions.as_deref().is_none_or(|key| tx.mentions(key))).collect();
            // Agave notifies of the blocks that hold a transaction the filter names.
            if !ctx.is_skipped(block_slot) && (mentions.is_none() || !shown.is_empty()) {
                let options = TxOptions { encoding: *encoding, details: *details, max_version: *max_version };
                let block = block(ctx, block_slot, &shown, options, *show_rewards);
                push(format!(
                    r#"{{"context":{{"slot":{block_slot}}},"value":{{"slot":{block_slot},"block":{block},"err":null}}}}"#
                ));
            }
        }
        SolKind::Transaction { include, failed, encoding, details, commitment, max_version } => {
            let options = TxOptions { encoding: *encoding, details: *details, max_version: *max_version };
            for _ in 0..rng.u8(1..4) {
                let failing = *failed && rng.u8(0..4) == 0;
                let sim = SimTx::random(rng, include.as_deref(), failing);
                let signature = sim.transfer.signature_b58();
                let tx_slot = context_slot(slot, *commitment);
                let result = match details {
                    TxDetails::Signatures | TxDetails::None => {
                        format!(r#"{{"signature":"{signature}","slot":{tx_slot}}}"#)
                    }
                    TxDetails::Full | TxDetails::Accounts => format!(
                        r#"{{"transaction":{},"signature":"{signature}","slot":{tx_slot}}}"#,
                        sim.to_json(options)
                    ),
                };
                push(result);
            }
        }
    }
    AfterSlot::Keep
}

/// Whether a logsSubscribe filter takes a transaction.
fn logs_match(filter: &LogsFilter, tx: &SolTx) -> bool {
    match filter {
        LogsFilter::All => !tx.vote,
        LogsFilter::AllWithVotes => true,
        LogsFilter::Mentions(key) => tx.mentions(key),
    }
}

/// The root when the tip is `ctx.slot`: the newest block [`ROOT_DISTANCE`] slots back.
fn root(ctx: &SlotCtx) -> u64 {
    ledger::produced_by(ctx.seed, ctx.slot.saturating_sub(ROOT_DISTANCE))
}

/// The slotsUpdates events of one slot, oldest first.
fn slots_updates(ctx: &SlotCtx, rng: &mut fastrand::Rng) -> Vec<String> {
    let slot = ctx.slot;
    let ms = ctx.unix_ms;
    let succeeded = rng.u64(200..1_400);
    let failed = rng.u64(0..120);
    vec![
        format!(r#"{{"type":"firstShredReceived","slot":{},"timestamp":{ms}}}"#, slot + 1),
        format!(
            r#"{{"type":"createdBank","slot":{slot},"parent":{},"timestamp":{}}}"#,
            slot.saturating_sub(1),
            ms + 3
        ),
        format!(r#"{{"type":"completed","slot":{slot},"timestamp":{}}}"#, ms + 310),
        format!(
            r#"{{"type":"frozen","slot":{slot},"timestamp":{},"stats":{{"numTransactionEntries":{},"numSuccessfulTransactions":{succeeded},"numFailedTransactions":{failed},"maxTransactionsPerEntry":{}}}}}"#,
            ms + 330,
            rng.u64(400..900),
            rng.u64(8..64)
        ),
        format!(
            r#"{{"type":"optimisticConfirmation","slot":{},"timestamp":{}}}"#,
            slot.saturating_sub(1),
            ms + 340
        ),
        format!(
            r#"{{"type":"root","slot":{},"timestamp":{}}}"#,
            slot.saturating_sub(ROOT_DISTANCE),
            ms + 350
        ),
    ]
}

/// One gossip vote from one of a few demo validators.
fn vote(ctx: &SlotCtx, rng: &mut fastrand::Rng) -> String {
    let validator = rng.u64(0..3);
    let mut key_rng = fake::seeded(ctx.seed, 0x701E, validator);
    let vote_pubkey = fake::pubkey(&mut key_rng);
    let first = ctx.slot.saturating_sub(30);
    let slots: Vec<u64> = (first..=ctx.slot).collect();
    format!(
        r#"{{"votePubkey":"{vote_pubkey}","slots":{},"hash":"{}","timestamp":{},"signature":"{}"}}"#,
        json_u64_array(&slots),
        ctx.blockhash(ctx.slot),
        ctx.unix_ms / 1000,
        fake::signature(rng)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::fake::{TOKEN_PROGRAM, parse_json as json};
    use crate::demo::solana::{AccountEncoding, ProgramFilter, TxEncoding};

    fn ctx() -> SlotCtx {
        SlotCtx { slot: 380_000_100, unix_ms: 1_795_333_889_000, seed: 42, slot_ms: 400, keys: Vec::new() }
    }

    /// Every kind of subscription, with every encoding, produces valid JSON.
    #[test]
    fn every_subscription_kind_produces_valid_json() {
        let mut rng = fastrand::Rng::with_seed(3);
        let key = fake::pubkey(&mut rng);
        let mut kinds = vec![
            SolKind::Slot,
            SolKind::Root,
            SolKind::SlotsUpdates,
            SolKind::Vote,
            SolKind::Logs { filter: LogsFilter::AllWithVotes, commitment: Commitment::Processed },
            SolKind::Logs { filter: LogsFilter::Mentions(key.clone()), commitment: Commitment::Confirmed },
        ];
        for encoding in [
            AccountEncoding::Binary,
            AccountEncoding::Base58,
            AccountEncoding::Base64,
            AccountEncoding::Base64Zstd,
            AccountEncoding::JsonParsed,
        ] {
            kinds.push(SolKind::Account {
                pubkey: fake::pubkey(&mut rng),
                encoding,
                commitment: Commitment::Finalized,
            });
            kinds.push(SolKind::Program {
                program: TOKEN_PROGRAM.to_owned(),
                encoding,
                commitment: Commitment::Confirmed,
                filters: vec![ProgramFilter::DataSize(165)],
            });
        }
        for encoding in [
            TxEncoding::Binary,
            TxEncoding::Base58,
            TxEncoding::Base64,
            TxEncoding::Json,
            TxEncoding::JsonParsed,
        ] {
            for details in [TxDetails::Full, TxDetails::Accounts, TxDetails::Signatures, TxDetails::None] {
                kinds.push(SolKind::Block {
                    mentions: Some(key.clone()),
                    commitment: Commitment::Confirmed,
                    encoding,
                    details,
                    show_rewards: true,
                    max_version: Some(0),
                });
                kinds.push(SolKind::Transaction {
                    include: None,
                    failed: true,
                    encoding,
                    details,
                    commitment: Commitment::Processed,
                    max_version: None,
                });
            }
        }
        let mut frames = Vec::new();
        for _ in 0..8 {
            for (id, kind) in kinds.iter_mut().enumerate() {
                notify_slot(id as u64, kind, &ctx(), &mut rng, &mut frames);
            }
        }
        assert!(frames.len() > kinds.len());
        for frame in &frames {
            let value = json(frame);
            assert_eq!(value["jsonrpc"], "2.0");
            assert!(value["params"]["subscription"].is_u64(), "{frame}");
        }
    }

    #[test]
    fn signature_subscription_is_one_shot() {
        let mut kind = SolKind::Signature {
            received_notification: true,
            received_sent: false,
            commitment: Commitment::Confirmed,
        };
        let mut rng = fastrand::Rng::with_seed(1);
        let mut frames = Vec::new();
        assert_eq!(notify_slot(4, &mut kind, &ctx(), &mut rng, &mut frames), AfterSlot::Keep);
        assert_eq!(notify_slot(4, &mut kind, &ctx(), &mut rng, &mut frames), AfterSlot::Remove);
        assert_eq!(json(&frames[0])["params"]["result"]["value"], "receivedSignature");
        assert!(json(&frames[1])["params"]["result"]["value"]["err"].is_null());
    }
}
