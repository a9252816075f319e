//! A capture with what it takes to show it: the names of its ids, its reorg marks and the
//! comparison of subscriptions sent on several endpoints. The live capture and a capture read
//! from a file are the same type, so whatever shows one shows the other.

use std::collections::HashMap;

use crate::capture::{Capture, CaptureLimits, CapturedEvent, ConnId, Direction, SubKey};
use crate::catalog::{BlockObservation, ItemFingerprint, ReorgRule, ReorgTracker, rules_for, summarize};
use crate::compare::Compare;
use crate::export::CaptureContext;
use crate::protocol::FrameKind;
use crate::protocol::meta::{self, MetaRecord};

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
    /// The subscriptions whose streams are watched for reorgs (the catalogue's rule), with
    /// the connection their events came on (known from their first event).
    watched: HashMap<SubKey, Option<ConnId>>,
    /// Every subscription grouped with those of the same request on other endpoints: who
    /// delivered first, who missed what, lags; duplicates, gaps and stalls per subscription.
    pub compare: Compare,
}

impl CaptureView {
    /// An empty view holding at most `limits`.
    pub fn new(limits: CaptureLimits) -> Self {
        Self { capture: Capture::new(limits), ..Self::default() }
    }

    /// A view of events read from a file: reorgs found again from the subscriptions the file
    /// names (their methods say which streams to watch), and its endpoints compared.
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
        // A file is a finished run: settle what its last event allows.
        let end = view.capture.iter().next_back().map_or(0, |event| event.received_at_ms);
        view.compare.finish(end);
        view
    }

    /// Takes the names of a file read so far (a reader handing on events as it reads them,
    /// [`crate::export::import_file_each`]): subscriptions named for the first time are watched
    /// for reorgs from their first event on, as [`Self::from_events`] watches them. Such a
    /// reader only adds names, so a context of the same size as the one held is the same and
    /// is not copied again.
    pub fn update_context(&mut self, context: &CaptureContext) {
        if context.connections.len() == self.context.connections.len()
            && context.subscriptions.len() == self.context.subscriptions.len()
        {
            return;
        }
        for (sub, info) in &context.subscriptions {
            if !self.context.subscriptions.contains_key(sub) {
                self.watch(*sub, rules_for(&info.method, info.params.as_ref()).reorg);
            }
        }
        self.context.clone_from(context);
    }

    /// Watches a subscription's stream for reorgs when its rule says so.
    pub fn watch(&mut self, sub: SubKey, rule: ReorgRule) {
        match rule {
            ReorgRule::BlockHeight => {
                self.watched.entry(sub).or_default();
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

    /// Adds an event, marking it when it reveals a reorg. A gap record starts tracking over
    /// for its connection's subscriptions, in order with the frames around it (so a file
    /// read back is marked as the live view was).
    pub fn push(&mut self, event: CapturedEvent) {
        self.push_identified(event, None);
    }

    /// [`Self::push`], with the notification's item identity when its connection read it
    /// already ([`crate::catalog::parse_identified`]).
    pub fn push_identified(&mut self, event: CapturedEvent, identity: Option<Option<ItemFingerprint>>) {
        self.compare.observe_identified(&event, identity, &self.context);
        self.push_uncompared(event);
    }

    /// [`Self::push`] without comparing.
    pub fn push_uncompared(&mut self, event: CapturedEvent) {
        if let Some(sub) = event.subscription
            && let Some(conn) = self.watched.get_mut(&sub)
        {
            *conn = Some(event.connection);
            if let Some(note) = observe_head(&mut self.tracker, sub, &event) {
                self.reorgs.insert(event.seq, note);
            }
        }
        if event.direction == Direction::Meta
            && event.kind == FrameKind::Meta
            && let Some(MetaRecord::Gap(_)) = meta::parse(&event.raw)
        {
            let subs: Vec<SubKey> = self
                .watched
                .iter()
                .filter(|(_, conn)| **conn == Some(event.connection))
                .map(|(sub, _)| *sub)
                .collect();
            self.restart_tracking(subs);
        }
        self.capture.push(event);
        if self.reorgs.len() > MARKS_KEPT
            && let Some(first) = self.capture.first_seq()
        {
            self.reorgs.retain(|seq, _| *seq >= first);
        }
    }

    /// Drops every event and mark, and the comparison (counts, rates and names are kept);
    /// what it dropped is handed back, to undo it ([`Self::restore`]).
    pub fn clear(&mut self) -> Cleared {
        let bytes = self.capture.memory_bytes();
        Cleared {
            events: self.capture.take_events(),
            reorgs: std::mem::take(&mut self.reorgs),
            compare: std::mem::take(&mut self.compare),
            bytes,
        }
    }

    /// Undoes a [`Self::clear`]: the events it took come back before those that came since,
    /// with their reorg marks, and its comparison goes on with the events that came since.
    pub fn restore(&mut self, cleared: Cleared) {
        let Cleared { events, mut reorgs, mut compare, .. } = cleared;
        for event in self.capture.iter() {
            compare.observe(event, &self.context);
        }
        self.compare = compare;
        reorgs.extend(self.reorgs.drain());
        self.reorgs = reorgs;
        self.capture.restore_before(events);
    }
}

/// What a [`CaptureView::clear`] took out of the view, kept so that it can be undone.
#[derive(Debug)]
pub struct Cleared {
    events: std::collections::VecDeque<CapturedEvent>,
    reorgs: ReorgMarks,
    compare: Compare,
    bytes: usize,
}

impl Cleared {
    /// The events it holds.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether it holds no event.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The bytes they hold.
    pub fn memory_bytes(&self) -> usize {
        self.bytes
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::export::SubscriptionInfo;
    use crate::protocol::meta::{GapRecord, gap_json};

    fn head(seq: u64, conn: ConnId, number: u64, hash: &str) -> CapturedEvent {
        CapturedEvent {
            seq,
            received_at_ms: seq * 1000,
            connection: conn,
            subscription: Some(u64::from(conn) * 10),
            direction: Direction::In,
            kind: FrameKind::Notification,
            method: Some(Arc::from("eth_subscription")),
            raw: format!(
                r#"{{"jsonrpc":"2.0","method":"eth_subscription","params":{{"subscription":"0x1","result":{{"number":"{number:#x}","hash":"{hash}","parentHash":"0x00"}}}}}}"#
            )
            .into(),
            redacted: false,
            recovered: None,
        }
    }

    fn gap(seq: u64, conn: ConnId) -> CapturedEvent {
        let record = GapRecord { lost_at_ms: 0, restored_at_ms: 1, reason: None, resubscribed: Some(1) };
        CapturedEvent {
            seq,
            received_at_ms: seq * 1000,
            connection: conn,
            subscription: None,
            direction: Direction::Meta,
            kind: FrameKind::Meta,
            method: None,
            raw: gap_json(&record).into(),
            redacted: false,
            recovered: None,
        }
    }

    fn view(events: Vec<CapturedEvent>) -> CaptureView {
        let mut context = CaptureContext::default();
        for sub in [10, 20] {
            let info = SubscriptionInfo {
                method: "eth_subscribe".to_owned(),
                params: Some(serde_json::json!(["newHeads"])),
                server_id: None,
            };
            context.subscriptions.insert(sub, info);
        }
        CaptureView::from_events(events, context)
    }

    #[test]
    fn heights_repeated_after_a_gap_are_a_fresh_chain_not_a_reorg() {
        let before = [head(0, 1, 1, "0xa1"), head(1, 1, 2, "0xa2"), head(2, 2, 1, "0xb1")];
        let after = [head(4, 1, 1, "0xc1"), head(5, 1, 2, "0xc2"), head(6, 2, 1, "0xd1")];
        let marked = view(before.iter().cloned().chain(after.iter().cloned()).collect()).reorgs;
        assert_eq!(marked.len(), 3, "without a gap the repeated heights are reorgs: {marked:?}");

        let events = before.into_iter().chain([gap(3, 1)]).chain(after).collect();
        let marked = view(events).reorgs;
        let seqs: Vec<u64> = marked.keys().copied().collect();
        assert_eq!(seqs, [6], "the gap on connection 1 resets only its subscriptions");
    }

    #[test]
    fn a_view_fed_one_event_at_a_time_finds_the_reorgs_a_whole_file_does() {
        // The same newHeads on two endpoints (one with a reorg at height 2), as a reader
        // handing on each event with the names read so far, keeping only the newest event.
        let events = vec![
            head(0, 1, 1, "0xa1"),
            head(1, 2, 1, "0xa1"),
            head(2, 1, 2, "0xa2"),
            head(3, 2, 2, "0xa2"),
            head(4, 1, 2, "0xe2"),
        ];
        let context = view(Vec::new()).context;
        let whole = CaptureView::from_events(events.clone(), context.clone());
        let mut streamed = CaptureView::new(CaptureLimits { max_events: 1, max_bytes: usize::MAX });
        let mut marks = Vec::new();
        for event in events {
            streamed.update_context(&context);
            let seq = event.seq;
            streamed.push_uncompared(event);
            marks.extend(streamed.reorgs.contains_key(&seq).then_some(seq));
        }
        assert_eq!(whole.reorgs.keys().copied().collect::<Vec<_>>(), [4]);
        assert_eq!(marks, [4], "marked as it arrived");
        assert_eq!(streamed.reorgs, whole.reorgs);
        assert_eq!(streamed.capture.len(), 1, "only the newest event is held");
        assert!(streamed.compare.report().groups.is_empty(), "nothing compared");
    }
}
