//! What a connection does about the notifications its subscriptions miss while it is down:
//! each subscription's [`Tracker`], and after the re-subscribe a [`backfill::run`] task on the
//! endpoint's HTTP side. While it runs, the subscription's live notifications are held back,
//! so that what is recovered comes first and the capture stays in the chain's order; what the
//! live stream delivers as well is left out of the recovered ones.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::ConnectionConfig;
use crate::backfill::{self, LiveStart, Outcome, Plan, Tracker, Unrecoverable};
use crate::capture::{CapturedEvent, Recovery, RecoveryReason, SubKey};
use crate::protocol::SubId;
use crate::rpc::{RpcCallError, RpcClient, RpcConfig, rpc_url_for};

/// The most live notifications held back for one subscription while its missed ones are
/// recovered; past it they are let through, and the recovered ones follow them.
const MAX_HELD: usize = 50_000;

/// How long after its job the live notifications are still held back, waiting for the
/// stream to pass the block or slot where the job stopped. A notification of a block the
/// job saw is sent when that block is made, so it is on its way by then.
const GRACE: Duration = Duration::from_secs(2);

/// How many heights other endpoints delivered may wait for one subscription's running job; more
/// are left missed (a comparison with an endpoint that delivers nothing reports them so).
const MAX_QUEUED: usize = 4096;

/// The widest range of blocks or slots one job asks for on behalf of waiting heights.
const MAX_SPAN: u64 = 256;

/// A finished job: its subscription and what it recovered.
pub(super) type Finished = (SubKey, Outcome);

/// Where finished jobs arrive; the connection's loop waits on it beside its commands.
pub(super) type Results = mpsc::Receiver<Finished>;

/// A recovery in progress for one subscription.
struct Pending {
    /// Why the job runs.
    reason: RecoveryReason,
    /// The server id the subscription was active under when the job started.
    server_id: SubId,
    /// Live notifications held back meanwhile.
    held: Vec<CapturedEvent>,
    /// Held too many, and let them through.
    released: bool,
    /// Active again under this id after another gap while the job ran: run once more.
    again: Option<SubId>,
    /// The job's result, once it finished, waiting for the live stream to pass where the job
    /// stopped asking (so every item it recovered that the stream delivers too is left out).
    done: Option<Done>,
    /// Where the job learns the position of the first live notification held.
    live_start: LiveStart,
    /// Whether live notifications wait for it: not for an item another endpoint delivered
    /// long ago (holding the stream would distort the very lag a comparison measures).
    hold: bool,
    /// For items other endpoints delivered: the heights wanted; what else the job's range
    /// holds was delivered here and is left out.
    only: Option<BTreeSet<u64>>,
}

struct Done {
    outcome: Outcome,
    /// When to stop waiting for the live stream.
    deadline: Instant,
}

impl Pending {
    /// Whether the live stream is past the job's end (or there is nothing to wait for).
    fn passed(&self, plan: &Plan) -> bool {
        let Some(done) = &self.done else { return false };
        if matches!(plan, Plan::Signature { .. }) && !done.outcome.recovered.is_empty() {
            // A server that still holds the transaction's status sends it to the new
            // subscription too, within a slot: wait for it (up to the deadline), so that the
            // subscription gets one final notification, not the recovered one and then the
            // live one (or the live one with no subscription left to route it to).
            return self.held.iter().any(|event| backfill::item_key(plan, &event.raw).is_some());
        }
        let Some(until) = done.outcome.until.filter(|_| !done.outcome.recovered.is_empty()) else {
            return true;
        };
        self.held
            .iter()
            .rev()
            .take(8)
            .any(|event| backfill::position(plan, &event.raw).is_some_and(|at| at > until))
    }
}

struct Watched {
    method: Arc<str>,
    tracker: Result<Tracker, Unrecoverable>,
    on: bool,
    pending: Option<Pending>,
    /// The id the server gave it last.
    server_id: Option<SubId>,
    /// Heights other endpoints delivered and this one did not, reported while a job ran:
    /// recovered together by the next job (at most [`MAX_QUEUED`]).
    queued: BTreeSet<u64>,
}

/// What the connection does with a finished job.
pub(super) struct Recovered {
    /// The recovered notifications' frames, in order, none of them delivered live.
    pub frames: Vec<String>,
    /// How they were recovered.
    pub recovery: Recovery,
    /// The notification method they carry.
    pub method: Arc<str>,
    /// The record for the capture.
    pub note: String,
    /// The live notifications held back, to be captured after them.
    pub held: Vec<CapturedEvent>,
    /// The subscription is complete (a signature confirmed during the gap), under this id.
    pub completes: Option<SubId>,
}

/// Every subscription's recovery state on one connection.
pub(super) struct Backfills {
    enabled: bool,
    /// The HTTP side, or why there is none.
    rpc: Result<RpcConfig, String>,
    client: Option<Result<RpcClient, RpcCallError>>,
    /// Looked up for every notification: foldhash, as the subscription table is.
    subs: foldhash::HashMap<SubKey, Watched>,
    results: mpsc::Sender<Finished>,
    lost_at_ms: u64,
}

impl Backfills {
    /// The state for a connection made with `config`, and where its finished jobs arrive.
    pub(super) fn new(config: &ConnectionConfig) -> (Self, Results) {
        let url = config.rpc_url.clone().or_else(|| rpc_url_for(&config.url));
        let rpc = url
            .map(|url| {
                let mut rpc = RpcConfig::new(url);
                rpc.api_key.clone_from(&config.api_key);
                rpc
            })
            .ok_or_else(|| "no HTTP JSON-RPC URL is known for this endpoint (set one)".to_owned());
        // One result per job; a job whose result finds the channel full waits its turn.
        let (results, receiver) = mpsc::channel(64);
        let backfills = Self {
            enabled: config.backfill,
            rpc,
            client: None,
            subs: foldhash::HashMap::default(),
            results,
            lost_at_ms: 0,
        };
        (backfills, receiver)
    }

    /// Starts tracking a subscription (on unless the connection's backfill is off).
    pub(super) fn watch(&mut self, sub: SubKey, method: &str, params: Option<&serde_json::Value>) {
        let tracker = backfill::plan_for(method, params).map(|plan| Tracker::new(method, plan));
        let name = backfill::subscription_name(method, params);
        let watched = Watched {
            method: name.into(),
            tracker,
            on: self.enabled,
            pending: None,
            server_id: None,
            queued: BTreeSet::new(),
        };
        self.subs.insert(sub, watched);
    }

    /// Turns recovery on or off for one subscription.
    pub(super) fn set(&mut self, sub: SubKey, on: bool) {
        if let Some(watched) = self.subs.get_mut(&sub) {
            watched.on = on;
        }
    }

    /// Stops tracking a subscription; returns the live notifications it held back.
    pub(super) fn forget(&mut self, sub: SubKey) -> Vec<CapturedEvent> {
        self.subs
            .remove(&sub)
            .and_then(|watched| watched.pending)
            .map(|pending| pending.held)
            .unwrap_or_default()
    }

    /// The connection was lost at `at_ms`.
    pub(super) fn lost_at(&mut self, at_ms: u64) {
        self.lost_at_ms = at_ms;
    }

    /// The last event of `batch` is a notification of `sub`: held back while its recovery
    /// runs, otherwise noted by its tracker. Returns the recovery to capture when this
    /// notification is the one the held ones waited for.
    pub(super) fn delivered(&mut self, sub: SubKey, batch: &mut Vec<CapturedEvent>) -> Option<Recovered> {
        let watched = self.subs.get_mut(&sub)?;
        match watched.pending.as_mut() {
            Some(pending) if !pending.released && pending.hold => {
                if let (None, Ok(tracker), Some(event)) =
                    (pending.live_start.get(), watched.tracker.as_ref(), batch.last())
                    && let Some(at) = backfill::position(tracker.plan(), &event.raw)
                {
                    pending.live_start.set(at);
                }
                pending.held.extend(batch.pop());
                if pending.held.len() >= MAX_HELD {
                    pending.released = true;
                    batch.append(&mut pending.held);
                }
                self.release(sub, false)
            }
            Some(_) => {
                if let (Ok(tracker), Some(event)) = (watched.tracker.as_mut(), batch.last()) {
                    tracker.seen(&event.raw);
                }
                None
            }
            None => {
                let skipped = self.skipped_heights(sub, batch.last()?);
                let watched = self.subs.get_mut(&sub)?;
                match (skipped, watched.server_id.clone()) {
                    (Some((from, to)), Some(server_id)) => {
                        let job = watched.tracker.as_ref().ok()?.range_job(&server_id, from, to)?;
                        // This head waits for the ones it skipped.
                        let held = batch.pop().into_iter().collect();
                        self.start(sub, job, RecoveryReason::HeightSkip, held);
                    }
                    _ => {
                        if let (Ok(tracker), Some(event)) = (watched.tracker.as_mut(), batch.last()) {
                            tracker.seen(&event.raw);
                        }
                    }
                }
                None
            }
        }
    }

    /// The heights a `newHeads` notification skipped after the last one delivered, when
    /// they can be recovered (recovery on, a client at hand).
    fn skipped_heights(&mut self, sub: SubKey, event: &CapturedEvent) -> Option<(u64, u64)> {
        let watched = self.subs.get(&sub)?;
        let tracker = watched.tracker.as_ref().ok().filter(|_| watched.on)?;
        let last = tracker.last_height()?;
        let height = backfill::position(tracker.plan(), &event.raw)?;
        let skipped = (height > last.saturating_add(1)).then(|| (last + 1, height - 1))?;
        self.client().ok()?;
        Some(skipped)
    }

    /// The HTTP client, made at first use.
    fn client(&mut self) -> Result<RpcClient, RpcCallError> {
        self.client
            .get_or_insert_with(|| match &self.rpc {
                Ok(rpc) => RpcClient::new(rpc.clone()),
                Err(why) => Err(RpcCallError::Url(why.clone())),
            })
            .clone()
    }

    /// Runs `job` for `sub`, holding its live notifications back from now on (`held` first).
    fn start(&mut self, sub: SubKey, job: backfill::Job, reason: RecoveryReason, held: Vec<CapturedEvent>) {
        self.start_only(sub, job, reason, held, None);
    }

    fn start_only(
        &mut self,
        sub: SubKey,
        job: backfill::Job,
        reason: RecoveryReason,
        held: Vec<CapturedEvent>,
        only: Option<BTreeSet<u64>>,
    ) {
        let Ok(client) = self.client() else { return };
        let Some(watched) = self.subs.get_mut(&sub) else { return };
        let server_id = watched.server_id.clone().unwrap_or(SubId::Num(0));
        let live_start = job.live_start();
        let hold = reason != RecoveryReason::CompareMiss;
        watched.pending = Some(Pending {
            reason,
            server_id,
            held,
            released: false,
            again: None,
            done: None,
            live_start,
            hold,
            only,
        });
        let results = self.results.clone();
        tokio::spawn(async move {
            let outcome = backfill::run(job, client).await;
            results.send((sub, outcome)).await.ok(); // the connection may have ended meanwhile
        });
    }

    /// Another endpoint delivered the item at `height` (a block or slot) and `sub` did not:
    /// fetches it over HTTP, to be captured marked as recovered for that reason, without
    /// holding the live stream back. While another job of `sub` runs the height waits, and the
    /// next job fetches every height that waited (a gap's job may cover it already: then the
    /// live-or-recovered check leaves it out). Nothing happens for kinds not placed by a height.
    pub(super) fn recover_missed(&mut self, sub: SubKey, height: u64) {
        let Some(watched) = self.subs.get_mut(&sub) else { return };
        if !watched.on {
            return;
        }
        if watched.queued.len() < MAX_QUEUED {
            watched.queued.insert(height);
        }
        if watched.pending.is_none() {
            self.start_queued(sub);
        }
    }

    /// Starts the job that fetches the heights `sub` has waiting, if any: those within
    /// [`MAX_SPAN`] of the lowest (a job asks for every block or slot of its range); the rest
    /// wait for the next job.
    fn start_queued(&mut self, sub: SubKey) {
        let Some(watched) = self.subs.get_mut(&sub) else { return };
        let Some(&from) = watched.queued.first() else { return };
        let rest = watched.queued.split_off(&from.saturating_add(MAX_SPAN));
        let heights = std::mem::replace(&mut watched.queued, rest);
        let Some(&to) = heights.last() else { return };
        let (Ok(tracker), Some(server_id)) = (watched.tracker.as_ref(), watched.server_id.as_ref()) else {
            return;
        };
        if let Some(job) = tracker.range_job(server_id, from, to) {
            self.start_only(sub, job, RecoveryReason::CompareMiss, Vec::new(), Some(heights));
        }
    }

    /// `sub` is active as `server_id`; again after a gap when `resubscribed`: then starts
    /// recovering what it missed. Returns a note for the capture when nothing can be
    /// recovered, and why.
    pub(super) fn active(&mut self, sub: SubKey, server_id: &SubId, resubscribed: bool) -> Option<String> {
        let lost_at_ms = self.lost_at_ms;
        let watched = self.subs.get_mut(&sub)?;
        watched.server_id = Some(server_id.clone());
        if !watched.on || !resubscribed {
            return None;
        }
        let tracker = match &watched.tracker {
            Ok(tracker) => tracker,
            Err(reason) => {
                return Some(format!(
                    "{} missed notifications during the gap; they cannot be recovered: {reason}",
                    watched.method
                ));
            }
        };
        if let Some(pending) = watched.pending.as_mut() {
            pending.again = Some(server_id.clone());
            return None;
        }
        let job = tracker.job(server_id, lost_at_ms);
        let method = Arc::clone(&watched.method);
        if let Err(err) = self.client() {
            return Some(format!("{method} missed notifications during the gap; not recovered: {err}"));
        }
        self.start(sub, job, RecoveryReason::Gap, Vec::new());
        None
    }

    /// A job finished: what to capture, in order, once the live stream has passed where it
    /// stopped (at once when it has); `None` when there is nothing to capture yet.
    pub(super) fn finish(&mut self, sub: SubKey, outcome: Outcome) -> Option<Recovered> {
        let pending = self.subs.get_mut(&sub)?.pending.as_mut()?;
        pending.done = Some(Done { outcome, deadline: Instant::now() + GRACE });
        let hold = pending.hold;
        self.release(sub, !hold)
    }

    /// When the next held stream is let go even if its live notifications did not pass its
    /// job's end.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.subs.values().filter_map(|watched| Some(watched.pending.as_ref()?.done.as_ref()?.deadline)).min()
    }

    /// Every recovery whose wait is over (or all finished ones, when `all`: the connection was
    /// lost, so no live notification will come).
    pub(super) fn due(&mut self, all: bool) -> Vec<(SubKey, Recovered)> {
        let now = Instant::now();
        let due: Vec<SubKey> = self
            .subs
            .iter()
            .filter(|(_, watched)| {
                let deadline = watched
                    .pending
                    .as_ref()
                    .and_then(|pending| pending.done.as_ref())
                    .map(|done| done.deadline);
                deadline.is_some_and(|deadline| all || deadline <= now)
            })
            .map(|(sub, _)| *sub)
            .collect();
        due.into_iter().filter_map(|sub| Some((sub, self.release(sub, true)?))).collect()
    }

    /// Ends `sub`'s wait if its job finished and the live stream passed its end (or `force`):
    /// the recovered notifications the live stream did not deliver too, then the held ones.
    fn release(&mut self, sub: SubKey, force: bool) -> Option<Recovered> {
        let watched = self.subs.get_mut(&sub)?;
        let Ok(tracker) = watched.tracker.as_mut() else { return None };
        let plan = tracker.plan().clone();
        let pending = watched.pending.as_ref()?;
        if pending.done.is_none() || !(force || pending.passed(&plan)) {
            return None;
        }
        let pending = watched.pending.take()?;
        let mut outcome = pending.done?.outcome;
        let live: HashSet<String> =
            pending.held.iter().filter_map(|event| backfill::item_key(&plan, &event.raw)).collect();
        let mut frames = Vec::with_capacity(outcome.recovered.len());
        let wanted = |frame: &str| {
            pending.only.as_ref().is_none_or(|only| {
                backfill::position(&plan, frame).is_some_and(|height| only.contains(&height))
            })
        };
        for item in std::mem::take(&mut outcome.recovered) {
            if !wanted(item.frame.as_str()) {
                continue; // delivered here: another endpoint's miss was only some of the range
            }
            if item.key.is_empty() || !live.contains(&item.key) {
                tracker.seen(&item.frame.as_str().into());
                frames.push(item.frame);
            }
        }
        for event in &pending.held {
            tracker.seen(&event.raw);
        }
        let live_too = frames.len() < frames.capacity();
        let mut note = format!("{}: {}", watched.method, outcome.describe(frames.len()));
        if live_too && outcome.error.is_none() {
            note.push_str(if frames.is_empty() {
                " (the live stream delivered it too)"
            } else {
                " (less those the live stream delivered too)"
            });
        }
        match pending.reason {
            RecoveryReason::Gap => {}
            RecoveryReason::HeightSkip => note.push_str(", which the stream skipped"),
            RecoveryReason::CompareMiss => note.push_str(", which another endpoint delivered"),
        }
        if pending.released {
            note.push_str("; live notifications went first, as too many arrived meanwhile");
        }
        let recovered = Recovered {
            frames,
            recovery: Recovery::new(pending.reason, plan.via()),
            method: tracker.notification().into(),
            note,
            held: pending.held,
            completes: outcome.completes.then_some(pending.server_id),
        };
        if let Some(server_id) = pending.again
            && recovered.completes.is_none()
        {
            self.active(sub, &server_id, true);
        }
        if recovered.completes.is_none() && self.subs.get(&sub).is_some_and(|w| w.pending.is_none()) {
            self.start_queued(sub);
        }
        Some(recovered)
    }
}
