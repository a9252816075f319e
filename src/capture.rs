//! The capture: every frame in and out, and the records subscope makes itself, in arrival
//! order, under a memory cap the user sets.
//!
//! Memory per event is the raw text plus a fixed header ([`CapturedEvent`] is 88 bytes); the
//! text is shared, and a frame received is copied once, as it is read, into an allocation of
//! its own size (one over 64 KiB keeps the bytes the socket read), so a kept frame holds no
//! share of a read buffer. The summary columns the table shows are derived from the
//! raw text when a row is drawn, never stored. The oldest events are evicted first once either
//! cap is reached, and evictions are counted so the UI can show them.
//!
//! One cap covers everything that holds events: the backend's queue, events drained but not
//! yet shown, and the capture. The consumer keeps at most [`CaptureLimits::consumer_share`]
//! (seven eighths of the cap); the queue may fill what the consumer leaves, so it always has
//! at least an eighth for what arrives while the window is busy, and the whole never exceeds
//! the cap.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::protocol::FrameKind;

/// A connection's id, unique within one backend.
pub type ConnId = u32;

/// A subscription's stable local id, unique within one backend; it survives reconnects while
/// the server's id changes.
pub type SubKey = u64;

/// Which way a frame went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Received from the server.
    In,
    /// Sent to the server.
    Out,
    /// A record subscope made (connection state, reconnect gap).
    Meta,
}

impl Direction {
    /// The lower-case name used in exports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::In => "in",
            Self::Out => "out",
            Self::Meta => "meta",
        }
    }
}

/// One captured frame or record.
#[derive(Clone, Debug, PartialEq)]
pub struct CapturedEvent {
    /// A sequence number, increasing by one per event across all connections.
    pub seq: u64,
    /// Wall-clock time of receipt (or sending), in milliseconds since the Unix epoch.
    pub received_at_ms: u64,
    /// The connection it came from or went to.
    pub connection: ConnId,
    /// The local subscription it belongs to, if any.
    pub subscription: Option<SubKey>,
    /// Which way it went.
    pub direction: Direction,
    /// What kind of frame it is.
    pub kind: FrameKind,
    /// The JSON-RPC method: of a request we sent, or of a notification.
    pub method: Option<Arc<str>>,
    /// The frame's text exactly as it went over the wire (binary frames as hex), unless
    /// `redacted`; shared, so an export's snapshot costs a count, not a copy.
    pub raw: Text,
    /// Whether subscope masked a secret in `raw` (a server echoed the connection's key): the
    /// only way a captured frame ever differs from what was sent, and always marked.
    pub redacted: bool,
    /// Set when the event was not received live but recovered over the endpoint's HTTP
    /// JSON-RPC after it was missed; `raw` is then a notification subscope wrote around the
    /// `result` the server answered (those bytes exactly as sent). `None` for every frame
    /// received or sent on the socket.
    pub recovered: Option<Recovery>,
}

/// How an event that was not received live was recovered: why, and by which method. One
/// byte, so that it fits the event header's padding (`Option<Recovery>` too).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Recovery(std::num::NonZeroU8);

impl Recovery {
    /// A recovery for this reason, by this method.
    pub fn new(reason: RecoveryReason, via: RecoveryVia) -> Self {
        let reason = RecoveryReason::ALL.iter().position(|r| *r == reason).unwrap_or(0) as u8;
        let via = RecoveryVia::ALL.iter().position(|v| *v == via).unwrap_or(0) as u8;
        // The reason is stored plus one, so the byte is never zero.
        Self(std::num::NonZeroU8::MIN.saturating_add(reason | (via << 2)))
    }

    /// Why it was missing.
    pub fn reason(self) -> RecoveryReason {
        let bits = self.0.get() - 1;
        RecoveryReason::ALL[usize::from(bits & 0b11).min(RecoveryReason::ALL.len() - 1)]
    }

    /// The HTTP JSON-RPC method that answered it.
    pub fn via(self) -> RecoveryVia {
        let bits = self.0.get() - 1;
        RecoveryVia::ALL[usize::from(bits >> 2).min(RecoveryVia::ALL.len() - 1)]
    }
}

impl std::fmt::Debug for Recovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recovery").field("reason", &self.reason()).field("via", &self.via()).finish()
    }
}

/// Why an event had to be recovered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecoveryReason {
    /// The connection was down (or being re-subscribed) when it happened.
    Gap,
    /// The stream went on past it: a block height was skipped without a reconnect.
    HeightSkip,
    /// Another endpoint of a comparison delivered it and this one did not.
    CompareMiss,
}

/// The HTTP JSON-RPC method a recovered event came from; the names are the nodes' own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecoveryVia {
    /// A block header (`newHeads`).
    EthGetBlockByNumber,
    /// Logs (`logs`).
    EthGetLogs,
    /// Produced slots (`slotSubscribe`, `rootSubscribe`).
    GetBlocks,
    /// A transaction's logs (`logsSubscribe` with `mentions`).
    GetTransaction,
    /// An account's current state (`accountSubscribe`).
    GetAccountInfo,
    /// A program's accounts' current state (`programSubscribe`).
    GetProgramAccounts,
    /// A transaction's status (`signatureSubscribe`).
    GetSignatureStatuses,
}

impl RecoveryReason {
    /// Every reason, in the order they are listed.
    pub const ALL: [Self; 3] = [Self::Gap, Self::HeightSkip, Self::CompareMiss];

    /// The name used in exports (`"gap"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gap => "gap",
            Self::HeightSkip => "height_skip",
            Self::CompareMiss => "compare_miss",
        }
    }

    /// The words shown beside a recovered row.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Gap => "missed while disconnected",
            Self::HeightSkip => "height skipped by the stream",
            Self::CompareMiss => "missed here, seen on another endpoint",
        }
    }

    /// The reason an export names.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.as_str() == name)
    }
}

impl RecoveryVia {
    /// Every method, in the order they are listed.
    pub const ALL: [Self; 7] = [
        Self::EthGetBlockByNumber,
        Self::EthGetLogs,
        Self::GetBlocks,
        Self::GetTransaction,
        Self::GetAccountInfo,
        Self::GetProgramAccounts,
        Self::GetSignatureStatuses,
    ];

    /// The JSON-RPC method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EthGetBlockByNumber => "eth_getBlockByNumber",
            Self::EthGetLogs => "eth_getLogs",
            Self::GetBlocks => "getBlocks",
            Self::GetTransaction => "getTransaction",
            Self::GetAccountInfo => "getAccountInfo",
            Self::GetProgramAccounts => "getProgramAccounts",
            Self::GetSignatureStatuses => "getSignatureStatuses",
        }
    }

    /// The method an export names.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|via| via.as_str() == name)
    }
}

/// A frame's text: shared and cheap to clone (an export's snapshot counts it, not copies it).
pub type Text = tokio_tungstenite::tungstenite::Utf8Bytes;

impl CapturedEvent {
    /// The bytes this event holds in memory: its header and the text.
    pub fn memory_cost(&self) -> usize {
        size_of::<Self>() + self.raw.len()
    }

    /// The frame's size on the wire, in bytes.
    pub fn size(&self) -> usize {
        self.raw.len()
    }
}

/// The current wall-clock time in milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as u64)
}

/// How much a capture may hold before it evicts its oldest events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureLimits {
    /// The most events kept.
    pub max_events: usize,
    /// The most bytes kept (raw text plus per-event header).
    pub max_bytes: usize,
}

impl Default for CaptureLimits {
    fn default() -> Self {
        Self { max_events: 2_000_000, max_bytes: 1 << 30 }
    }
}

impl CaptureLimits {
    /// What the consumer (the window's capture and what it has drained but not shown) may
    /// hold: seven eighths of the cap. The rest is the backend queue's, so events that arrive
    /// while the consumer is busy are kept without the whole ever exceeding the cap.
    pub fn consumer_share(self) -> Self {
        Self {
            max_events: self.max_events - self.max_events / 8,
            max_bytes: self.max_bytes - self.max_bytes / 8,
        }
    }

    /// Whether `events` events of `bytes` bytes exceed these limits.
    pub fn exceeded_by(self, events: usize, bytes: usize) -> bool {
        events > self.max_events.max(1) || bytes > self.max_bytes
    }
}

/// How many seconds of per-second counts a [`RateWindow`] keeps.
pub const RATE_WINDOW_SECS: usize = 300;

/// Per-second event counts over the last [`RATE_WINDOW_SECS`] seconds.
#[derive(Clone, Debug)]
pub struct RateWindow {
    counts: Box<[u32; RATE_WINDOW_SECS]>,
    newest_second: u64,
}

impl Default for RateWindow {
    fn default() -> Self {
        Self { counts: Box::new([0; RATE_WINDOW_SECS]), newest_second: 0 }
    }
}

impl RateWindow {
    /// Counts one event at `at_ms`.
    pub fn record(&mut self, at_ms: u64) {
        let second = at_ms / 1000;
        self.advance_to(second);
        if second + (RATE_WINDOW_SECS as u64) > self.newest_second {
            let slot = (second % RATE_WINDOW_SECS as u64) as usize;
            self.counts[slot] = self.counts[slot].saturating_add(1);
        }
    }

    fn advance_to(&mut self, second: u64) {
        if second <= self.newest_second {
            return;
        }
        let steps = (second - self.newest_second).min(RATE_WINDOW_SECS as u64);
        for offset in 1..=steps {
            self.counts[((self.newest_second + offset) % RATE_WINDOW_SECS as u64) as usize] = 0;
        }
        self.newest_second = second;
    }

    /// The count for one whole second (`second` in seconds since the epoch).
    pub fn count_at(&self, second: u64) -> u32 {
        if second > self.newest_second || second + (RATE_WINDOW_SECS as u64) <= self.newest_second {
            return 0;
        }
        self.counts[(second % RATE_WINDOW_SECS as u64) as usize]
    }

    /// Events per second over the last `window_secs` complete seconds before `now_ms`.
    pub fn per_second(&self, now_ms: u64, window_secs: u64) -> f64 {
        let window_secs = window_secs.clamp(1, RATE_WINDOW_SECS as u64 - 1);
        let current = now_ms / 1000;
        let total: u64 =
            (1..=window_secs).map(|back| u64::from(self.count_at(current.saturating_sub(back)))).sum();
        total as f64 / window_secs as f64
    }

    /// `(seconds before now, count)` pairs for the last `seconds` complete seconds, oldest first.
    pub fn series(&self, now_ms: u64, seconds: u64) -> Vec<[f64; 2]> {
        let current = now_ms / 1000;
        let seconds = seconds.min(RATE_WINDOW_SECS as u64 - 1);
        (1..=seconds)
            .rev()
            .map(|back| [-(back as f64), f64::from(self.count_at(current.saturating_sub(back)))])
            .collect()
    }
}

/// Counts for one (connection, subscription) pair; cumulative, so evictions do not lower them.
#[derive(Clone, Debug, Default)]
pub struct StreamStats {
    /// Events received.
    pub count: u64,
    /// Bytes received.
    pub bytes: u64,
    /// Of them, events recovered over HTTP JSON-RPC after they were missed (counted as they
    /// come in, so a card reads it without scanning the capture).
    pub recovered: u64,
    /// When the newest event arrived.
    pub last_at_ms: u64,
    /// Recent per-second counts.
    pub rate: RateWindow,
}

/// The capture store.
#[derive(Debug, Default)]
pub struct Capture {
    events: VecDeque<CapturedEvent>,
    bytes: usize,
    limits: CaptureLimits,
    evicted: u64,
    total: u64,
    all_rate: RateWindow,
    streams: HashMap<(ConnId, Option<SubKey>), StreamStats>,
}

impl Capture {
    /// An empty capture with these limits.
    pub fn new(limits: CaptureLimits) -> Self {
        Self { limits, ..Self::default() }
    }

    /// Adds one event, evicting the oldest ones if a limit is exceeded.
    pub fn push(&mut self, event: CapturedEvent) {
        self.total += 1;
        self.all_rate.record(event.received_at_ms);
        let stats = self.streams.entry((event.connection, event.subscription)).or_default();
        stats.count += 1;
        stats.bytes += event.size() as u64;
        stats.recovered += u64::from(event.recovered.is_some());
        stats.last_at_ms = stats.last_at_ms.max(event.received_at_ms);
        stats.rate.record(event.received_at_ms);
        self.bytes += event.memory_cost();
        self.events.push_back(event);
        self.enforce_limits();
    }

    /// Adds many events in order.
    pub fn extend(&mut self, events: impl IntoIterator<Item = CapturedEvent>) {
        for event in events {
            self.push(event);
        }
    }

    fn enforce_limits(&mut self) {
        while self.limits.exceeded_by(self.events.len(), self.bytes) {
            if !self.evict_oldest() {
                break;
            }
        }
    }

    /// Evicts the oldest event (counted); false when there is none.
    pub fn evict_oldest(&mut self) -> bool {
        let Some(oldest) = self.events.pop_front() else { return false };
        self.bytes -= oldest.memory_cost();
        self.evicted += 1;
        true
    }

    /// Changes the limits, evicting at once if the capture is over the new ones.
    pub fn set_limits(&mut self, limits: CaptureLimits) {
        self.limits = limits;
        self.enforce_limits();
    }

    /// The limits in force.
    pub fn limits(&self) -> CaptureLimits {
        self.limits
    }

    /// Drops every event (counts and rates are kept, evictions are not counted).
    pub fn clear(&mut self) {
        self.events.clear();
        self.bytes = 0;
    }

    /// Drops every event and hands them back, to undo a clear (counts and rates are kept).
    pub fn take_events(&mut self) -> VecDeque<CapturedEvent> {
        self.bytes = 0;
        std::mem::take(&mut self.events)
    }

    /// Puts back events taken by [`Self::take_events`] before every event held now (a clear
    /// undone), evicting the oldest (counted) past the limits. They were counted when they came.
    pub fn restore_before(&mut self, mut older: VecDeque<CapturedEvent>) {
        self.bytes += older.iter().map(CapturedEvent::memory_cost).sum::<usize>();
        older.append(&mut self.events);
        self.events = older;
        self.enforce_limits();
    }

    /// How many events are held.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether no event is held.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The bytes held (raw text plus per-event header).
    pub fn memory_bytes(&self) -> usize {
        self.bytes
    }

    /// How many events were evicted to stay within the limits.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Counts evictions that happened before events reached this capture (in the backend's
    /// queue), so one number shows every loss.
    pub fn add_evicted(&mut self, count: u64) {
        self.evicted += count;
    }

    /// Every event ever pushed, evicted or not.
    pub fn total_received(&self) -> u64 {
        self.total
    }

    /// The event at a position (0 = oldest held).
    pub fn get(&self, index: usize) -> Option<&CapturedEvent> {
        self.events.get(index)
    }

    /// The position of the event with this sequence number, if it is still held.
    pub fn position_of(&self, seq: u64) -> Option<usize> {
        self.events.binary_search_by_key(&seq, |event| event.seq).ok()
    }

    /// The event with this sequence number, if it is still held.
    pub fn by_seq(&self, seq: u64) -> Option<&CapturedEvent> {
        self.position_of(seq).and_then(|index| self.events.get(index))
    }

    /// The position of the first event with a sequence number above `seq`.
    pub fn first_index_after(&self, seq: u64) -> usize {
        self.events.partition_point(|event| event.seq <= seq)
    }

    /// The sequence number of the oldest event held.
    pub fn first_seq(&self) -> Option<u64> {
        self.events.front().map(|event| event.seq)
    }

    /// Events in order, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &CapturedEvent> + ExactSizeIterator {
        self.events.iter()
    }

    /// Events from a position on, oldest first.
    pub fn iter_from(&self, index: usize) -> impl Iterator<Item = &CapturedEvent> {
        self.events.range(index.min(self.events.len())..)
    }

    /// Recent per-second counts of all events.
    pub fn rate(&self) -> &RateWindow {
        &self.all_rate
    }

    /// Counts for one (connection, subscription) pair.
    pub fn stream_stats(&self, connection: ConnId, subscription: Option<SubKey>) -> Option<&StreamStats> {
        self.streams.get(&(connection, subscription))
    }

    /// Counts for every (connection, subscription) pair seen.
    pub fn streams(&self) -> impl Iterator<Item = (&(ConnId, Option<SubKey>), &StreamStats)> {
        self.streams.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: u64, raw: &str) -> CapturedEvent {
        CapturedEvent {
            seq,
            received_at_ms: 1_000_000 + seq,
            connection: 1,
            subscription: Some(7),
            direction: Direction::In,
            kind: FrameKind::Notification,
            method: None,
            raw: raw.into(),
            redacted: false,
            recovered: None,
        }
    }

    #[test]
    fn oldest_events_are_evicted_first_and_counted() {
        let mut capture = Capture::new(CaptureLimits { max_events: 3, max_bytes: usize::MAX });
        capture.extend((0..5).map(|seq| event(seq, "{}")));
        assert_eq!(capture.len(), 3);
        assert_eq!(capture.first_seq(), Some(2));
        assert_eq!(capture.evicted(), 2);
        assert_eq!(capture.total_received(), 5);
        assert_eq!(capture.stream_stats(1, Some(7)).map(|stats| stats.count), Some(5));
    }

    #[test]
    fn recovered_events_are_counted_per_stream_and_survive_eviction() {
        let mut capture = Capture::new(CaptureLimits { max_events: 2, max_bytes: usize::MAX });
        let recovered = |seq| CapturedEvent {
            recovered: Some(Recovery::new(RecoveryReason::Gap, RecoveryVia::GetBlocks)),
            ..event(seq, "{}")
        };
        capture.extend([event(0, "{}"), recovered(1), recovered(2), event(3, "{}")]);
        let stats = capture.stream_stats(1, Some(7));
        assert_eq!(stats.map(|stats| (stats.count, stats.recovered)), Some((4, 2)));
    }

    #[test]
    fn byte_cap_holds_memory_within_its_limit() {
        let one = event(0, &"x".repeat(100)).memory_cost();
        let mut capture = Capture::new(CaptureLimits { max_events: usize::MAX, max_bytes: one * 10 });
        capture.extend((0..25).map(|seq| event(seq, &"x".repeat(100))));
        assert_eq!(capture.len(), 10);
        assert!(capture.memory_bytes() <= one * 10);
        assert_eq!(capture.evicted(), 15);
    }

    #[test]
    fn events_taken_by_a_clear_come_back_before_the_newer_ones_within_the_limits() {
        let mut capture = Capture::new(CaptureLimits { max_events: 6, max_bytes: usize::MAX });
        capture.extend((0..4).map(|seq| event(seq, "{}")));
        let taken = capture.take_events();
        assert_eq!((capture.len(), capture.memory_bytes(), taken.len()), (0, 0, 4));
        capture.extend((4..7).map(|seq| event(seq, "{}")));
        capture.restore_before(taken);
        let seqs: Vec<u64> = capture.iter().map(|event| event.seq).collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5, 6], "in order, the oldest evicted past the limit");
        assert_eq!(capture.memory_bytes(), 6 * event(0, "{}").memory_cost());
        assert_eq!((capture.evicted(), capture.total_received()), (1, 7), "nothing counted twice");
    }

    #[test]
    fn events_are_found_by_sequence_number_after_eviction() {
        let mut capture = Capture::new(CaptureLimits { max_events: 4, max_bytes: usize::MAX });
        capture.extend((10..20).map(|seq| event(seq, "{}")));
        assert_eq!(capture.position_of(17), Some(1));
        assert_eq!(capture.by_seq(19).map(|e| e.seq), Some(19));
        assert!(capture.by_seq(12).is_none());
    }

    #[test]
    fn a_recovery_keeps_its_reason_and_method() {
        for reason in RecoveryReason::ALL {
            for via in RecoveryVia::ALL {
                let recovery = Recovery::new(reason, via);
                assert_eq!((recovery.reason(), recovery.via()), (reason, via));
            }
        }
        assert_eq!(size_of::<Option<Recovery>>(), 1);
    }

    #[test]
    fn header_stays_small() {
        assert!(size_of::<CapturedEvent>() <= 88, "{}", size_of::<CapturedEvent>());
    }

    #[test]
    fn rate_window_counts_per_second_and_forgets_old_seconds() {
        let mut rate = RateWindow::default();
        for ms in 0..50 {
            rate.record(10_000 + ms * 20); // 50 events within second 10
        }
        rate.record(11_500);
        assert_eq!(rate.count_at(10), 50);
        assert_eq!(rate.count_at(11), 1);
        assert!((rate.per_second(12_000, 2) - 25.5).abs() < 1e-9);
        rate.record(10_000 + 1000 * RATE_WINDOW_SECS as u64);
        assert_eq!(rate.count_at(10), 0, "a second older than the window reads as zero");
        let series = rate.series(13_000, 3);
        assert_eq!(series.len(), 3);
    }
}
