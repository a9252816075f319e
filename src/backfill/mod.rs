//! Recovering what a subscription missed, over the endpoint's HTTP JSON-RPC side.
//!
//! A WebSocket subscription delivers nothing while its connection is down, and a re-subscribe
//! starts from "now": no node lets `eth_subscribe` or a Solana subscription start from a past
//! block. What happened in between is still on the chain, though, and most of it can be asked
//! for over HTTP. For each subscription the connection keeps a [`Tracker`]: the last
//! notifications it delivered (shared text, no parsing on the hot path). After a gap, once the
//! subscription is active again, the tracker makes a [`Job`] that starts where the stream
//! stopped; [`run`] asks the chain for everything from there to the current head, and hands
//! back each missed item as a notification written around the `result` the server answered
//! (its bytes kept exactly), to be captured marked as recovered ([`crate::capture::Recovery`]).
//!
//! Per kind ([`Plan`]):
//! - `newHeads`: every missing height by `eth_getBlockByNumber`; when the first one does not
//!   build on the last head seen, it walks back to the common ancestor, so the heads a reorg
//!   replaced during the gap are recovered too (the table flags the orphaned rows as reorged).
//! - `logs`: `eth_getLogs` with the subscription's own filter from the block of the last log
//!   seen (inclusive) to the head; items already delivered are left out by
//!   (blockHash, logIndex).
//! - `slotSubscribe` / `rootSubscribe`: the produced slots by `getBlocks` (a skipped slot is
//!   not a missed one).
//! - `logsSubscribe` with `mentions`: `getSignaturesForAddress` back to the last signature
//!   seen, then `getTransaction` for each one's logs.
//! - `accountSubscribe` / `programSubscribe`: the current state with its context slot, when it
//!   differs from the last one delivered.
//! - `signatureSubscribe`: `getSignatureStatuses`, so a transaction confirmed during the gap
//!   completes its subscription.
//!
//! What cannot be asked for afterwards ([`plan_for`]'s [`Unrecoverable`]) is said so.

mod ethereum;
mod solana;

use std::collections::{HashSet, VecDeque};
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use serde_json::Value;
use serde_json::value::RawValue;

use crate::capture::{RecoveryVia, Text};
use crate::catalog::{ETH_NOTIFICATION, Payload, methods, payload_for};
use crate::protocol::SubId;
use crate::rpc::{RpcCallError, RpcClient};

/// How many of a subscription's last notifications a tracker keeps: where to resume, and what
/// was already delivered near there.
pub const RECENT: usize = 256;

/// The most bytes of notifications a tracker keeps. They are shared with the capture, but
/// outlive it once the capture evicts them, so they must stay small: 1,000 subscriptions
/// keep at most 64 MiB (about 37 heads, 64 logs or 256 slots each).
pub const RECENT_BYTES: usize = 64 << 10;

/// A notification bigger than this is kept as the few members that say where it is and what
/// it carried (a 10 MiB account is not kept at all: its state is always recovered).
pub const MAX_KEPT_FRAME: usize = 8 << 10;

/// The most items one job recovers (blocks, slots, transactions, accounts); a longer gap is
/// recovered up to its most recent end, and the rest is reported.
pub const MAX_ITEMS: u64 = 10_000;

/// How to recover one subscription's missed notifications.
#[derive(Clone, Debug, PartialEq)]
pub enum Plan {
    /// `eth_subscribe newHeads`.
    Heads,
    /// `eth_subscribe logs` with this filter (`address`, `topics`).
    Logs {
        /// The subscription's filter object.
        filter: Value,
    },
    /// `slotSubscribe`.
    Slots,
    /// `rootSubscribe`.
    Roots,
    /// `logsSubscribe` with `mentions`.
    Mentions {
        /// The one address mentioned.
        address: String,
        /// The commitment to ask at (`confirmed` or `finalized`).
        commitment: String,
    },
    /// `accountSubscribe`.
    Account {
        /// The account.
        pubkey: String,
        /// The subscription's config (encoding, commitment, dataSlice), as `getAccountInfo`
        /// takes it too.
        config: Value,
    },
    /// `programSubscribe`.
    Program {
        /// The program.
        program: String,
        /// The subscription's config (encoding, commitment, filters), for `getProgramAccounts`.
        config: Value,
    },
    /// `signatureSubscribe`.
    Signature {
        /// The transaction.
        signature: String,
        /// The commitment the subscription waits for.
        commitment: String,
    },
}

impl Plan {
    /// The method that recovers it.
    pub fn via(&self) -> RecoveryVia {
        match self {
            Self::Heads => RecoveryVia::EthGetBlockByNumber,
            Self::Logs { .. } => RecoveryVia::EthGetLogs,
            Self::Slots | Self::Roots => RecoveryVia::GetBlocks,
            Self::Mentions { .. } => RecoveryVia::GetTransaction,
            Self::Account { .. } => RecoveryVia::GetAccountInfo,
            Self::Program { .. } => RecoveryVia::GetProgramAccounts,
            Self::Signature { .. } => RecoveryVia::GetSignatureStatuses,
        }
    }

    /// Whether its notifications are Ethereum's (`eth_subscription`, params `{subscription,
    /// result}`) rather than Solana's (`{result, subscription}`).
    fn is_ethereum(&self) -> bool {
        matches!(self, Self::Heads | Self::Logs { .. })
    }
}

/// Why a subscription's missed notifications cannot be recovered afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unrecoverable(pub &'static str);

/// How to recover what the subscription `method` with `params` misses, or why it cannot be.
pub fn plan_for(method: &str, params: Option<&Value>) -> Result<Plan, Unrecoverable> {
    let param = |index: usize| params.and_then(|params| params.get(index));
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    let config =
        |index: usize| param(index).filter(|value| value.is_object()).cloned().unwrap_or(Value::Null);
    let commitment = |index: usize, floor: &str| {
        let asked = param(index).and_then(|config| config.get("commitment")).and_then(Value::as_str);
        match asked {
            Some("processed" | "confirmed") if floor == "confirmed" => "confirmed".to_owned(),
            Some(level @ ("processed" | "confirmed")) => level.to_owned(),
            _ => "finalized".to_owned(),
        }
    };
    match payload_for(method, params) {
        Payload::EthNewHeads => Ok(Plan::Heads),
        Payload::EthLogs => {
            Ok(Plan::Logs { filter: param(1).cloned().unwrap_or_else(|| Value::Object(Default::default())) })
        }
        Payload::SolanaSlot => Ok(Plan::Slots),
        Payload::SolanaRoot => Ok(Plan::Roots),
        Payload::SolanaLogs => {
            let mentions = param(0).and_then(|filter| filter.get("mentions")).and_then(Value::as_array);
            match mentions.map(Vec::as_slice) {
                Some([address]) => match address.as_str() {
                    Some(address) => Ok(Plan::Mentions {
                        address: address.to_owned(),
                        commitment: commitment(1, "confirmed"),
                    }),
                    None => Err(Unrecoverable("its mentions filter names no address")),
                },
                _ => Err(Unrecoverable(
                    "logsSubscribe \"all\" has no history to ask for; subscribe with mentions of one address to have it recovered",
                )),
            }
        }
        Payload::SolanaAccount => match text(param(0)) {
            Some(pubkey) => Ok(Plan::Account { pubkey, config: config(1) }),
            None => Err(Unrecoverable("it names no account")),
        },
        Payload::SolanaProgram => match text(param(0)) {
            Some(program) => Ok(Plan::Program { program, config: config(1) }),
            None => Err(Unrecoverable("it names no program")),
        },
        Payload::SolanaSignature => match text(param(0)) {
            Some(signature) => Ok(Plan::Signature { signature, commitment: commitment(1, "processed") }),
            None => Err(Unrecoverable("it names no signature")),
        },
        Payload::EthPendingTransactions | Payload::AlchemyMinedTransactions => {
            Err(Unrecoverable("pending transactions are not kept by any node once mined or dropped"))
        }
        Payload::EthSyncing => Err(Unrecoverable("sync progress has no history")),
        Payload::SolanaBlock => {
            Err(Unrecoverable("recovering whole blocks needs an archive node; not attempted"))
        }
        Payload::SolanaSlotsUpdates => Err(Unrecoverable("slot stage updates have no history")),
        Payload::SolanaVote => Err(Unrecoverable("gossip votes have no history")),
        Payload::HeliusTransaction => {
            Err(Unrecoverable("transactionSubscribe filters cannot be replayed over HTTP"))
        }
        Payload::EthAny | Payload::Unknown => {
            Err(Unrecoverable("subscope does not know how to recover this kind"))
        }
    }
}

/// A subscription's recent notifications, kept to know where a job resumes and what it
/// already delivered. Keeping one costs a shared count per frame; nothing is parsed until a
/// gap needs it.
#[derive(Clone, Debug)]
pub struct Tracker {
    plan: Plan,
    /// The name its notifications carry (`eth_subscription`, `slotNotification`, …).
    notification: &'static str,
    recent: VecDeque<Text>,
    /// The bytes `recent` holds.
    bytes: usize,
}

impl Tracker {
    /// A tracker for a subscription of `method` following `plan`.
    pub fn new(method: &str, plan: Plan) -> Self {
        let payload = match plan {
            Plan::Heads => Payload::EthNewHeads,
            Plan::Logs { .. } => Payload::EthLogs,
            Plan::Slots => Payload::SolanaSlot,
            Plan::Roots => Payload::SolanaRoot,
            Plan::Mentions { .. } => Payload::SolanaLogs,
            Plan::Account { .. } => Payload::SolanaAccount,
            Plan::Program { .. } => Payload::SolanaProgram,
            Plan::Signature { .. } => Payload::SolanaSignature,
        };
        let notification = methods()
            .iter()
            .find(|spec| spec.rpc_method == method && spec.payload == payload)
            .and_then(|spec| spec.notification_method)
            .unwrap_or(if plan.is_ethereum() { ETH_NOTIFICATION } else { "" });
        Self { plan, notification, recent: VecDeque::with_capacity(16), bytes: 0 }
    }

    /// The plan it follows.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The method its subscription's notifications carry.
    pub fn notification(&self) -> &'static str {
        self.notification
    }

    /// Notes a notification the subscription delivered (live or recovered).
    pub fn seen(&mut self, frame: &Text) {
        let kept = if frame.len() <= MAX_KEPT_FRAME {
            frame.clone()
        } else {
            match self.summary(frame) {
                Some(summary) => summary,
                None => return,
            }
        };
        self.bytes += kept.len();
        self.recent.push_back(kept);
        while self.recent.len() > RECENT || (self.bytes > RECENT_BYTES && self.recent.len() > 1) {
            if let Some(oldest) = self.recent.pop_front() {
                self.bytes -= oldest.len();
            }
        }
    }

    /// A big notification as the members a job reads of it (a head's number and hash, a
    /// log's block and index, a transaction's slot and signature), in a notification of its
    /// own; `None` for a state (accounts), which a job fetches whole anyway.
    fn summary(&self, frame: &str) -> Option<Text> {
        let result = result_of(frame)?;
        let pick = |names: &[&str]| -> Value {
            names.iter().filter_map(|name| Some(((*name).to_owned(), result.get(*name)?.clone()))).collect()
        };
        let kept = match self.plan {
            Plan::Heads => pick(&["number", "hash", "parentHash"]),
            Plan::Logs { .. } => pick(&["blockNumber", "blockHash", "logIndex"]),
            Plan::Slots => pick(&["slot", "parent"]),
            Plan::Roots => result,
            Plan::Mentions { .. } => serde_json::json!({
                "context": result.get("context"),
                "value": {"signature": result.get("value").and_then(|value| value.get("signature"))},
            }),
            Plan::Account { .. } | Plan::Program { .. } | Plan::Signature { .. } => return None,
        };
        Some(serde_json::json!({"params": {"result": kept}}).to_string().into())
    }

    /// The job that recovers what was missed since the last notification seen, for the
    /// subscription now active as `server_id`; `lost_at_ms` is when the connection was lost.
    pub fn job(&self, server_id: &SubId, lost_at_ms: u64) -> Job {
        let seen: Vec<Value> = self.recent.iter().filter_map(|frame| result_of(frame)).collect();
        Job {
            plan: self.plan.clone(),
            notification: self.notification,
            server_id: server_id.to_json().to_string(),
            lost_at_ms,
            seen,
            range: None,
            live_start: LiveStart::default(),
        }
    }

    /// The height of the last head delivered, when this is a `newHeads` subscription and
    /// the last notification says (read only for heads, which come a few per second at most).
    pub fn last_height(&self) -> Option<u64> {
        match self.plan {
            Plan::Heads => position(&self.plan, self.recent.back()?),
            _ => None,
        }
    }

    /// The job that fetches exactly the blocks or slots `from..=to`: heads a `newHeads` stream
    /// skipped without a reconnect (a provider under load does), or an item another endpoint
    /// delivered and this one did not. `None` for kinds that are not placed by a height.
    pub fn range_job(&self, server_id: &SubId, from: u64, to: u64) -> Option<Job> {
        matches!(self.plan, Plan::Heads | Plan::Logs { .. } | Plan::Slots | Plan::Roots)
            .then(|| Job { range: Some((from, to)), ..self.job(server_id, 0) })
    }
}

/// A subscription as its records name it: the method, and for `eth_subscribe` its kind
/// (`eth_subscribe newHeads`), as the method alone does not say which.
pub fn subscription_name(method: &str, params: Option<&Value>) -> String {
    let kind = params.and_then(|params| params.get(0)).and_then(Value::as_str);
    match kind {
        Some(kind) if crate::catalog::is_ethereum_subscribe(method) => format!("{method} {kind}"),
        _ => method.to_owned(),
    }
}

/// Where the re-subscribed stream began (the block or slot of its first notification): set by
/// the connection from the first live notification it holds back while the job runs, and
/// awaited by a job that has to reach it (`slotSubscribe`, whose stream runs ahead of what
/// `getBlocks` serves). Clones share the one value; the first one set stays.
#[derive(Clone, Debug, Default)]
pub struct LiveStart(Arc<OnceLock<u64>>);

impl LiveStart {
    /// Notes where the live stream began; a later call changes nothing.
    pub fn set(&self, at: u64) {
        self.0.set(at).ok(); // only the first notification is the start
    }

    /// Where the live stream began, once known.
    pub fn get(&self) -> Option<u64> {
        self.0.get().copied()
    }
}

/// A notification frame's `params.result`.
pub(crate) fn result_of(frame: &str) -> Option<Value> {
    let mut value: Value = serde_json::from_str(frame).ok()?;
    Some(value.get_mut("params")?.get_mut("result")?.take())
}

/// One recovery to run: where the stream stopped and what it delivered last.
#[derive(Clone, Debug)]
pub struct Job {
    plan: Plan,
    notification: &'static str,
    /// The server id of the subscription now active, as JSON.
    server_id: String,
    lost_at_ms: u64,
    /// The `result`s of the last notifications delivered, oldest first.
    seen: Vec<Value>,
    /// Exactly these blocks or slots, rather than everything since the last one delivered.
    range: Option<(u64, u64)>,
    live_start: LiveStart,
}

/// What a job recovered.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The missed notifications, in the chain's order.
    pub recovered: Vec<Recovered>,
    /// What was asked (`over blocks 30..=59 by eth_getLogs`), or why it failed
    /// ([`Outcome::describe`] makes the record of it).
    pub note: String,
    /// Why the job stopped short, when it did.
    pub error: Option<RpcCallError>,
    /// Whether the subscription is complete now (a signature confirmed during the gap).
    pub completes: bool,
    /// The last block or slot the job asked about: a live notification up to it may carry an
    /// item recovered too, one past it cannot ([`position`]).
    pub until: Option<u64>,
}

/// One recovered notification.
#[derive(Clone, Debug, PartialEq)]
pub struct Recovered {
    /// The notification's frame: subscope's envelope around the server's `result`.
    pub frame: String,
    /// What identifies the item, to leave out what the live stream also delivers.
    pub key: String,
}

impl Job {
    /// Where the connection notes the start of the re-subscribed stream for this job.
    pub fn live_start(&self) -> LiveStart {
        self.live_start.clone()
    }

    /// The notification frame for `result` (its JSON text, kept as it is).
    fn frame(&self, result: &str) -> String {
        let mut frame = String::with_capacity(result.len() + 96);
        let method = self.notification;
        let id = &self.server_id;
        if self.plan.is_ethereum() {
            let _ = write!(
                frame,
                r#"{{"jsonrpc":"2.0","method":"{method}","params":{{"subscription":{id},"result":{result}}}}}"#
            );
        } else {
            let _ = write!(
                frame,
                r#"{{"jsonrpc":"2.0","method":"{method}","params":{{"result":{result},"subscription":{id}}}}}"#
            );
        }
        frame
    }

    fn recovered(&self, result: &str, key: String) -> Recovered {
        Recovered { frame: self.frame(result), key }
    }
}

/// What identifies the item a notification of `plan` carries, to leave out duplicates:
/// a head's hash, a log's block hash and index, a slot, a transaction's signature, a
/// signature's final status; `None` for a state (accounts), which is recovered whenever it
/// differs.
pub fn item_key(plan: &Plan, frame: &str) -> Option<String> {
    key_of(plan, &result_of(frame)?)
}

/// Where in the chain the item a notification of `plan` carries is: a block number or a
/// slot; `None` for states, which have no place.
pub fn position(plan: &Plan, frame: &str) -> Option<u64> {
    let result = result_of(frame)?;
    match plan {
        Plan::Heads => quantity(result.get("number")),
        Plan::Logs { .. } => quantity(result.get("blockNumber")),
        Plan::Slots => result.get("slot").and_then(Value::as_u64),
        Plan::Roots => result.as_u64(),
        Plan::Mentions { .. } => {
            result.get("context").and_then(|context| context.get("slot")).and_then(Value::as_u64)
        }
        Plan::Account { .. } | Plan::Program { .. } | Plan::Signature { .. } => None,
    }
}

fn key_of(plan: &Plan, result: &Value) -> Option<String> {
    let text = |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(str::to_ascii_lowercase);
    match plan {
        Plan::Heads => text(result, "hash"),
        Plan::Logs { .. } => Some(format!("{}:{}", text(result, "blockHash")?, text(result, "logIndex")?)),
        Plan::Slots => result.get("slot").and_then(Value::as_u64).map(|slot| slot.to_string()),
        Plan::Roots => result.as_u64().map(|slot| slot.to_string()),
        Plan::Mentions { .. } => result
            .get("value")
            .and_then(|value| value.get("signature"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        // A signature has one final status (a `receivedSignature` notice is interim): a
        // server re-sends it to a subscription made after the transaction confirmed, as
        // Agave does while it still holds the status.
        Plan::Signature { .. } => {
            result.get("value").filter(|value| value.is_object()).map(|_| FINAL.to_owned())
        }
        Plan::Account { .. } | Plan::Program { .. } => None,
    }
}

/// The key of a signature's final status ([`item_key`]).
pub(crate) const FINAL: &str = "final";

/// Runs `job` against `client`: everything the subscription missed, in order, leaving out what
/// it delivered already.
pub async fn run(job: Job, client: RpcClient) -> Outcome {
    let mut outcome = match &job.plan {
        Plan::Heads => ethereum::heads(&job, &client).await,
        Plan::Logs { filter } => ethereum::logs(&job, &client, filter).await,
        Plan::Slots => solana::slots(&job, &client, false).await,
        Plan::Roots => solana::slots(&job, &client, true).await,
        Plan::Mentions { address, commitment } => solana::mentions(&job, &client, address, commitment).await,
        Plan::Account { pubkey, config } => solana::account(&job, &client, pubkey, config).await,
        Plan::Program { program, config } => solana::program(&job, &client, program, config).await,
        Plan::Signature { signature, commitment } => {
            solana::signature(&job, &client, signature, commitment).await
        }
    };
    let delivered: HashSet<String> = job.seen.iter().filter_map(|result| key_of(&job.plan, result)).collect();
    let mut kept = HashSet::new();
    outcome.recovered.retain(|item| {
        item.key.is_empty() || (!delivered.contains(&item.key) && kept.insert(item.key.clone()))
    });
    outcome
}

impl Outcome {
    /// The record of what was done, when `count` notifications of it are captured.
    pub fn describe(&self, count: usize) -> String {
        if self.error.is_some() {
            return self.note.clone();
        }
        if count == 0 {
            return format!("nothing missed to recover {}", self.note);
        }
        let what = if count == 1 { "notification" } else { "notifications" };
        format!("recovered {count} missed {what} {}", self.note)
    }
}

/// A hex quantity (`0x1b4`) as a number.
fn quantity(value: Option<&Value>) -> Option<u64> {
    let text = value?.as_str()?;
    u64::from_str_radix(text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"))?, 16).ok()
}

/// The raw members of a JSON object answer, by name.
fn raw_members(raw: &RawValue) -> Option<std::collections::HashMap<String, Box<RawValue>>> {
    serde_json::from_str(raw.get()).ok()
}

#[cfg(test)]
mod tests;
