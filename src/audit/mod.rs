//! Auditing a capture against the chain: for each subscription the chain can answer for, what
//! it should have delivered over the span it covered, and what it delivered (`subscope audit`,
//! and "Audit against the chain…" in the window).
//!
//! **What is checked, and the span each check covers.**
//!
//! - `eth_subscribe` heads: every block from the first to the last delivered height, by
//!   `eth_getBlockByNumber`. A delivered head whose hash is not the canonical block's at its
//!   height is *reorged*; the canonical block, if not delivered, is *missing*.
//! - `eth_subscribe` logs (with the subscription's own `address` and `topics`): `eth_getLogs`
//!   ([`crate::rpc::RpcClient::get_logs`], split as the provider requires) over the blocks the
//!   subscription was active for. A log missing at either end would be invisible if the span
//!   were only the delivered logs' blocks, so the span comes from the capture's own evidence:
//!   from the first block whose head the capture received (a heads subscription on the same
//!   endpoint) after the subscribe answer, to the last head received before the subscription
//!   ended (its unsubscribe, else the connection's last event). Without heads in the capture,
//!   block timestamps are searched (binary search over `eth_getBlockByNumber`): from the first
//!   block made at or after the answer to the last made [`TIMESTAMP_MARGIN_MS`] before the end
//!   (a block is delivered some seconds after its timestamp; timestamps are whole seconds, so
//!   a block of the answer's own second is expected only when delivered). Either way the delivered logs'
//!   blocks are in the span. A delivered log with `removed: true`, or in a block no longer
//!   canonical, is *reorged*.
//! - Solana slots: `getBlocks` (confirmed) from the first to the last delivered slot; slots
//!   without a block were skipped by their leader and are never missing. Delivered slots above
//!   the node's confirmed slot are *unsettled*, not judged.
//! - Solana roots: the same with `getBlocks` at `finalized`, the commitment a root has.
//! - Solana `logsSubscribe` `{"mentions": [ADDRESS]}`: `getSignaturesForAddress`, paged from
//!   the newest back past the span's start. The span, from the capture's evidence: from the
//!   first slot notified (`slotSubscribe` on the same endpoint) after the answer, to the slot
//!   the subscription's commitment had reached when it ended (the last slot notified before
//!   the end less one for `processed`; that notification's root for `confirmed` and
//!   `finalized`, which a transaction must pass before either commitment sends it). Without
//!   slots in the capture, transactions whose block time lies in the window are expected
//!   (with [`BLOCK_TIME_MARGIN_MS`], and a finalized stream's lag, left out at the edges).
//!   The delivered transactions' slots are always in the span.
//!
//! Anything else (pending transactions, `logsSubscribe` `"all"`, accounts, programs,
//! signatures, blocks, votes) is listed as not checkable, with the reason.
//!
//! **Counts.** *Expected*: items the chain holds in the span. *Delivered*: notifications.
//! *Missing*: expected and not delivered. *Extra*: delivered and never on the chain.
//! *Duplicates*: an item delivered again. *Out of order*: an item delivered after one later
//! on the chain. *Reorged* and *unsettled* as above. *Recovered*: items only a backfill put
//! in the capture (rows marked recovered; `collect::is_recovered` decides): not missing, and
//! not counted as delivered.
//!
//! Parts: `collect` reads the capture (streamed; only item identities are kept), `tally`
//! counts, `ethereum` and `solana` ask the chain, `report` prints.

mod collect;
mod ethereum;
mod report;
mod solana;
mod tally;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

pub use collect::{AuditCapture, Delivered, DeliveredItem, Tick, read_capture};
pub use report::{MISSING_SHOWN, render_subscription, render_summary, render_text, to_json};
pub use tally::{Item, Tally};

use crate::backfill::{Plan, plan_for};
use crate::capture::SubKey;
use crate::rpc::{RpcCallError, RpcClient};

/// Blocks made within this long of a logs subscription's end are not expected of it when the
/// span is found by block timestamps: a block arrives some seconds after its timestamp (one
/// Ethereum slot).
pub const TIMESTAMP_MARGIN_MS: u64 = 12_000;

/// Transactions whose block time is within this long of a window's edge are not expected
/// when the span is found by block times (Solana's block times are estimates to the second).
pub const BLOCK_TIME_MARGIN_MS: u64 = 2_000;

/// How far a finalized Solana stream trails the transactions it sends (32 slots of 400 ms,
/// and some).
pub const FINALIZED_LAG_MS: u64 = 20_000;

/// The most `getSignaturesForAddress` pages one check reads (a million transactions).
pub const MAX_SIGNATURE_PAGES: usize = 1_000;

/// How many block headers are asked for at once (the client also bounds its requests in
/// flight).
pub const HEADER_CONCURRENCY: usize = 8;

/// What an audit is doing, for a progress line: a stage and how far along it is.
#[derive(Debug, Default)]
pub struct AuditProgress {
    stage: Mutex<String>,
    done: AtomicU64,
    total: AtomicU64,
}

impl AuditProgress {
    /// The stage, and items done out of the total (0 when unknown).
    pub fn get(&self) -> (String, u64, u64) {
        let stage = self.stage.lock().map(|stage| stage.clone()).unwrap_or_default();
        (stage, self.done.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed))
    }

    fn begin(&self, stage: String, total: u64) {
        if let Ok(mut current) = self.stage.lock() {
            *current = stage;
        }
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    fn advance(&self, by: u64) {
        self.done.fetch_add(by, Ordering::Relaxed);
    }
}

/// Whether a span counts blocks or slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Ethereum block numbers.
    Block,
    /// Solana slots.
    Slot,
}

impl Unit {
    /// `block` or `slot`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::Slot => "slot",
        }
    }
}

/// The blocks or slots a check covered, and how they were chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// Blocks or slots.
    pub unit: Unit,
    /// The first covered, or `None` when nothing could be covered.
    pub range: Option<(u64, u64)>,
    /// How the span was chosen, in a sentence.
    pub basis: String,
}

/// A subscription checked against the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What was covered.
    pub span: Span,
    /// What was found.
    pub tally: Tally,
}

/// How one subscription came out of the audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Checked.
    Checked(Box<Check>),
    /// Its kind has nothing on the chain to check against.
    NotCheckable {
        /// Why.
        reason: String,
    },
    /// The chain could not be asked (unreachable, an error answer); secrets removed.
    Failed {
        /// What went wrong, with the RPC URL redacted.
        error: String,
    },
}

/// One subscription's audit.
#[derive(Clone, Debug, PartialEq)]
pub struct SubscriptionAudit {
    /// Its key in the capture.
    pub key: SubKey,
    /// Its endpoint, as the capture names it (redacted).
    pub endpoint: String,
    /// The subscribe method.
    pub method: String,
    /// Its params.
    pub params: Option<Value>,
    /// The HTTP RPC URL asked, redacted.
    pub rpc: Option<String>,
    /// What the audit found.
    pub outcome: Outcome,
}

impl SubscriptionAudit {
    /// Items missing (0 unless checked).
    pub fn missing(&self) -> usize {
        match &self.outcome {
            Outcome::Checked(check) => check.tally.missing.len(),
            _ => 0,
        }
    }
}

/// A whole capture's audit, one entry per subscription in capture order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditReport {
    /// Every subscription of the capture.
    pub subscriptions: Vec<SubscriptionAudit>,
}

impl AuditReport {
    /// Items missing over every subscription.
    pub fn missing(&self) -> usize {
        self.subscriptions.iter().map(SubscriptionAudit::missing).sum()
    }

    /// Subscriptions the chain could not be asked about.
    pub fn failed(&self) -> usize {
        self.subscriptions.iter().filter(|audit| matches!(audit.outcome, Outcome::Failed { .. })).count()
    }

    /// Subscriptions checked.
    pub fn checked(&self) -> usize {
        self.subscriptions.iter().filter(|audit| matches!(audit.outcome, Outcome::Checked(_))).count()
    }
}

/// Why a check stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CheckError {
    /// A call failed.
    #[error(transparent)]
    Rpc(#[from] RpcCallError),
    /// The chain's answers cannot serve the check (more pages than a check may read, a hole
    /// below the head).
    #[error("{0}")]
    Unusable(String),
}

/// What a subscription is checked as.
#[derive(Clone, Debug, PartialEq)]
enum Target {
    Heads,
    Logs { filter: Value },
    Slots,
    Roots,
    Mentions { address: String, commitment: String },
}

/// What a subscription is checked as, or why it cannot be: the kinds backfill can ask the
/// chain for ([`plan_for`]) whose items are events the chain keeps.
fn target_of(delivered: &Delivered) -> Result<Target, String> {
    if delivered.refused && delivered.answered_at_ms.is_none() && delivered.items.is_empty() {
        return Err("the server refused it: it delivered nothing to check".into());
    }
    let params = delivered.params.as_ref();
    match plan_for(&delivered.method, params).map_err(|unrecoverable| unrecoverable.to_string())? {
        Plan::Heads => Ok(Target::Heads),
        Plan::Logs { filter } => Ok(Target::Logs { filter: ethereum::filter_of(&filter) }),
        Plan::Slots => Ok(Target::Slots),
        Plan::Roots => Ok(Target::Roots),
        Plan::Mentions { address, commitment } => {
            // The window's end depends on the stream's own commitment, which the ledger is not
            // asked at when it is `processed`.
            let commitment = solana::stream_commitment(params).unwrap_or(commitment);
            Ok(Target::Mentions { address, commitment })
        }
        Plan::Account { .. } | Plan::Program { .. } => {
            Err("account updates are states, not events: the chain keeps only the newest".into())
        }
        Plan::Signature { .. } => Err("a signature's status is one notification, not a stream".into()),
    }
}

/// Audits every subscription of `capture`, asking the chain through `chains` (its client by
/// endpoint, as the capture names endpoints); a subscription whose endpoint has none fails.
/// Subscriptions are checked one after the other, each with bounded concurrency.
pub async fn audit(
    capture: &AuditCapture,
    chains: &HashMap<String, RpcClient>,
    progress: &AuditProgress,
) -> AuditReport {
    let mut report = AuditReport::default();
    for delivered in &capture.subscriptions {
        let client = chains.get(&delivered.endpoint);
        let outcome = match (target_of(delivered), client) {
            (Err(reason), _) => Outcome::NotCheckable { reason },
            (Ok(_), None) => Outcome::Failed { error: "no RPC URL for this endpoint".into() },
            (Ok(target), Some(client)) => match check(capture, delivered, target, client, progress).await {
                Ok(check) => Outcome::Checked(Box::new(check)),
                Err(err) => Outcome::Failed {
                    error: format!("the chain could not be asked at {}: {err}", client.display_url()),
                },
            },
        };
        report.subscriptions.push(SubscriptionAudit {
            key: delivered.key,
            endpoint: delivered.endpoint.clone(),
            method: delivered.method.clone(),
            params: delivered.params.clone(),
            rpc: client.map(RpcClient::display_url),
            outcome,
        });
    }
    report
}

async fn check(
    capture: &AuditCapture,
    delivered: &Delivered,
    target: Target,
    client: &RpcClient,
    progress: &AuditProgress,
) -> Result<Check, CheckError> {
    let label = report::label(&delivered.method, delivered.params.as_ref());
    progress.begin(label, 0);
    let endpoint = &delivered.endpoint;
    match target {
        Target::Heads => ethereum::heads(delivered, client, progress).await,
        Target::Logs { filter } => {
            let heads = capture.heads.get(endpoint).map(Vec::as_slice).filter(|heads| !heads.is_empty());
            ethereum::logs(delivered, &filter, heads, client, progress).await
        }
        Target::Slots => solana::slots(delivered, solana::CONFIRMED, client).await,
        Target::Roots => solana::slots(delivered, solana::FINALIZED, client).await,
        Target::Mentions { address, commitment } => {
            let slots = capture.slots.get(endpoint).map(Vec::as_slice).filter(|slots| !slots.is_empty());
            solana::mentions(delivered, &address, &commitment, slots, client, progress).await
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn delivered(method: &str, params: Option<Value>) -> Delivered {
        Delivered {
            key: 1,
            connection: 1,
            endpoint: String::new(),
            payload: crate::catalog::payload_for(method, params.as_ref()),
            method: method.to_owned(),
            params,
            answered_at_ms: Some(1),
            ended_at_ms: 2,
            items: Vec::new(),
            unreadable: 0,
            refused: false,
        }
    }

    #[test]
    fn what_the_chain_can_answer_for_is_checked_and_the_rest_says_why_not() {
        let eth = crate::catalog::ETH_SUBSCRIBE;
        assert_eq!(target_of(&delivered(eth, Some(json!(["newHeads"])))), Ok(Target::Heads));
        let logs = target_of(&delivered(eth, Some(json!(["logs", {"address": "0xab"}]))));
        assert_eq!(logs, Ok(Target::Logs { filter: json!({"address": "0xab"}) }));
        assert_eq!(target_of(&delivered("slotSubscribe", None)), Ok(Target::Slots));
        assert_eq!(target_of(&delivered("rootSubscribe", None)), Ok(Target::Roots));
        for (method, params) in [
            (eth, Some(json!(["newPendingTransactions"]))),
            ("logsSubscribe", Some(json!(["all"]))),
            ("accountSubscribe", Some(json!(["11111111111111111111111111111111"]))),
            ("madeUpSubscribe", None),
        ] {
            let reason = target_of(&delivered(method, params.clone())).err().unwrap_or_default();
            assert!(!reason.is_empty(), "{method} {params:?}");
        }
        let mut refused = delivered("slotSubscribe", None);
        (refused.refused, refused.answered_at_ms) = (true, None);
        assert!(target_of(&refused).is_err_and(|reason| reason.contains("refused")));
    }
}
