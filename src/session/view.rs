//! A capture with what it takes to show it: the names of its ids and its reorg marks. The
//! live capture and a capture read from a file are the same type, so whatever shows one
//! shows the other.

use std::collections::{HashMap, HashSet};

use crate::capture::{Capture, CaptureLimits, CapturedEvent, SubKey};
use crate::catalog::{BlockObservation, ReorgRule, ReorgTracker, rules_for, summarize};
use crate::export::CaptureContext;
use crate::protocol::FrameKind;

/// Notes on rows flagged as reorgs, by sequence number.
pub type ReorgMarks = HashMap<u64, String>;

/// Past this many marks, those of evicted rows are dropped.
const MARKS_KEPT: usize = 100_000;

/// A capture, the names of its connections and subscriptions, and its reorg marks.
#[derive(Debug, Default)]
pub struct CaptureView {
    /// The events.
    pub capture: Capture,
    /// Names for the ids (redacted endpoints, subscription methods and params).
    pub context: CaptureContext,
    /// Rows flagged as reorgs: a block height seen again with another hash.
    pub reorgs: ReorgMarks,
    tracker: ReorgTracker,
    /// The subscriptions whose streams are watched for reorgs (the catalogue's rule).
    watched: HashSet<SubKey>,
}

impl CaptureView {
    /// An empty view holding at most `limits`.
    pub fn new(limits: CaptureLimits) -> Self {
        Self { capture: Capture::new(limits), ..Self::default() }
    }

    /// A view of events read from a file: reorgs found again from the subscriptions the file
    /// names (their methods say which streams to watch).
    pub fn from_events(events: impl IntoIterator<Item = CapturedEvent>, context: CaptureContext) -> Self {
        let mut view = Self {
            capture: Capture::new(CaptureLimits { max_events: usize::MAX, max_bytes: usize::MAX }),
            ..Self::default()
        };
        for (sub, info) in &context.subscriptions {
            view.watch(*sub, rules_for(&info.method, info.params.as_ref()).reorg);
        }
        view.context = context;
        for event in events {
            view.push(event);
        }
        view
    }

    /// Watches a subscription's stream for reorgs when its rule says so.
    pub fn watch(&mut self, sub: SubKey, rule: ReorgRule) {
        match rule {
            ReorgRule::BlockHeight => {
                self.watched.insert(sub);
            }
            ReorgRule::None => {}
        }
    }

    /// Stops watching a subscription that ended.
    pub fn forget(&mut self, sub: SubKey) {
        self.watched.remove(&sub);
        self.tracker.forget(sub);
    }

    /// Starts reorg tracking over for these subscriptions: after a gap the node may be a new
    /// chain (a restarted dev node), whose heights say nothing about the old one's.
    pub fn restart_tracking(&mut self, subs: impl IntoIterator<Item = SubKey>) {
        for sub in subs {
            self.tracker.forget(sub);
        }
    }

    /// Adds an event, marking it when it reveals a reorg.
    pub fn push(&mut self, event: CapturedEvent) {
        if let Some(sub) = event.subscription
            && self.watched.contains(&sub)
            && let Some(note) = observe_head(&mut self.tracker, sub, &event)
        {
            self.reorgs.insert(event.seq, note);
        }
        self.capture.push(event);
        if self.reorgs.len() > MARKS_KEPT
            && let Some(first) = self.capture.first_seq()
        {
            self.reorgs.retain(|seq, _| *seq >= first);
        }
    }

    /// Drops every event and mark (counts, rates and names are kept).
    pub fn clear(&mut self) {
        self.capture.clear();
        self.reorgs.clear();
    }
}

/// Reads one newHeads notification into the tracker; returns a note when its height was seen
/// before with another hash.
fn observe_head(tracker: &mut ReorgTracker, sub: SubKey, event: &CapturedEvent) -> Option<String> {
    if event.kind != FrameKind::Notification {
        return None;
    }
    match tracker.observe_summary(sub, &summarize(&event.raw))? {
        BlockObservation::Reorg { height, previous_hash: Some(hash) } => {
            let short = match hash.char_indices().nth(14) {
                Some((at, _)) => format!("{}…", &hash[..at]),
                None => hash,
            };
            Some(format!("reorg: block {height} again (was {short})"))
        }
        BlockObservation::Reorg { height, previous_hash: None } => {
            Some(format!("reorg: block {height} again"))
        }
        BlockObservation::New | BlockObservation::Duplicate => None,
    }
}
