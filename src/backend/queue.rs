//! The queue between connection actors and the consumer (the UI thread or the recorder).
//!
//! Producers never wait on the consumer: a push takes a short lock and returns. Captured
//! frames are held up to what the capture limits leave after what the consumer holds (see
//! [`EventQueue::set_downstream`]); past that the oldest frames are evicted and counted.
//! Control events (state changes, subscription answers) are small and rare and are always
//! kept; each is handed out only after every frame queued before it, so a consumer never
//! sees an event before the frame that caused it, even when it drains in batches.
//!
//! A consumer that compares endpoints asks for each notification's item identity
//! ([`EventQueue::identify_items`]): the connections then read it in the pass that classifies
//! the frame ([`crate::catalog::parse_identified`]), and the queue hands it out beside the
//! frame, by sequence number ([`Drained::identities`]). A frame without one (its connection
//! could not tell, or it was held back for a recovery) is identified by the consumer.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::{Event, Waker};
use crate::capture::{CaptureLimits, CapturedEvent};
use crate::catalog::ItemFingerprint;

/// A notification's item identity as its connection read it: the frame's sequence number and
/// what [`crate::catalog::item_fingerprint`] gives for it.
pub type Identity = (u64, Option<ItemFingerprint>);

/// The most events a fresh buffer is made room for after a drain: a consumer's batch
/// (`record` takes 8,192 at a time), 720 KiB of event headers.
const KEPT_CAPACITY: usize = 8_192;

/// What one drain returns.
#[derive(Debug, Default)]
pub struct Drained {
    /// Control events, in the order they happened.
    pub events: Vec<Event>,
    /// Captured frames, in sequence order.
    pub captured: VecDeque<CapturedEvent>,
    /// Frames evicted from the queue since the last drain (the consumer fell behind by more
    /// than the capture limits).
    pub evicted: u64,
    /// The item identities read of `captured`'s notifications, in sequence order, when the
    /// consumer asked for them ([`EventQueue::identify_items`]); a frame may have none.
    pub identities: VecDeque<Identity>,
}

impl Drained {
    /// Whether nothing was drained.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.captured.is_empty() && self.evicted == 0
    }
}

/// The identity read of frame `seq`, taken from `identities` (in sequence order, as frames
/// are taken: those of the frames before it, if any are left, go with it).
pub fn take_identity(identities: &mut VecDeque<Identity>, seq: u64) -> Option<Option<ItemFingerprint>> {
    while identities.front().is_some_and(|(read, _)| *read < seq) {
        identities.pop_front();
    }
    match identities.front() {
        Some((read, _)) if *read == seq => identities.pop_front().map(|(_, identity)| identity),
        _ => None,
    }
}

#[derive(Default)]
struct Inner {
    captured: VecDeque<CapturedEvent>,
    /// Control events, each with the sequence number the next frame would have taken when
    /// it was queued: it is handed out once every frame below that number was.
    events: VecDeque<(u64, Event)>,
    bytes: usize,
    limits: CaptureLimits,
    /// Events and bytes the consumer holds, counted against the same limits.
    downstream: (usize, usize),
    evicted: u64,
    next_seq: u64,
    /// Identities of queued frames, in sequence order.
    identities: VecDeque<Identity>,
}

impl Inner {
    fn is_empty(&self) -> bool {
        self.captured.is_empty() && self.events.is_empty()
    }

    fn over_limits(&self) -> bool {
        let (events, bytes) = self.downstream;
        self.limits.exceeded_by(self.captured.len() + events, self.bytes + bytes)
    }

    fn evict(&mut self) {
        // Keep at least the newest frame: a consumer over the limits on its own must still
        // see what arrives.
        while self.captured.len() > 1 && self.over_limits() {
            let Some(oldest) = self.captured.pop_front() else { break };
            self.bytes -= oldest.memory_cost();
            self.evicted += 1;
        }
        let first = self.captured.front().map_or(self.next_seq, |event| event.seq);
        while self.identities.front().is_some_and(|(seq, _)| *seq < first) {
            self.identities.pop_front();
        }
    }
}

/// The queue; see the module docs.
pub struct EventQueue {
    inner: Mutex<Inner>,
    /// Whether connections read each notification's item identity for the consumer.
    identify: AtomicBool,
    waker: Waker,
    notify: Notify,
}

impl EventQueue {
    /// An empty queue under `limits`; `waker` is called when the queue goes from empty to not
    /// empty.
    pub fn new(limits: CaptureLimits, waker: Waker) -> Self {
        Self {
            inner: Mutex::new(Inner { limits, ..Inner::default() }),
            identify: AtomicBool::new(false),
            waker,
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` inconsistent in a way that
        // matters more than losing the capture, so keep going with its data.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wake(&self) {
        (self.waker)();
        self.notify.notify_one();
    }

    /// Asks connections to read each notification's item identity as they classify it, and
    /// to queue it beside the frame (see the module docs); off by default.
    pub fn identify_items(&self, on: bool) {
        self.identify.store(on, Ordering::Relaxed);
    }

    /// Whether the consumer asked for item identities.
    pub fn identifies_items(&self) -> bool {
        self.identify.load(Ordering::Relaxed)
    }

    /// Queues frames, giving each the next sequence number; `batch` is left empty (its
    /// allocation is kept for the caller to reuse).
    pub fn push_captured(&self, batch: &mut Vec<CapturedEvent>) {
        self.push_identified(batch, &mut Vec::new());
    }

    /// [`Self::push_captured`], with the item identities read of some of the frames, each
    /// with the frame's place in `batch`, in order; `identities` is left empty too.
    pub fn push_identified(
        &self,
        batch: &mut Vec<CapturedEvent>,
        identities: &mut Vec<(usize, Option<ItemFingerprint>)>,
    ) {
        if batch.is_empty() {
            identities.clear();
            return;
        }
        let was_empty = {
            let mut inner = self.lock();
            let was_empty = inner.is_empty();
            let first = inner.next_seq;
            inner
                .identities
                .extend(identities.drain(..).map(|(place, identity)| (first + place as u64, identity)));
            for mut event in batch.drain(..) {
                event.seq = inner.next_seq;
                inner.next_seq += 1;
                inner.bytes += event.memory_cost();
                inner.captured.push_back(event);
            }
            inner.evict();
            was_empty
        };
        if was_empty {
            self.wake();
        }
    }

    /// Queues a control event, to be handed out after every frame queued so far.
    pub fn push_event(&self, event: Event) {
        let was_empty = {
            let mut inner = self.lock();
            let was_empty = inner.is_empty();
            let after = inner.next_seq;
            inner.events.push_back((after, event));
            was_empty
        };
        if was_empty {
            self.wake();
        }
    }

    /// Takes everything queued.
    pub fn drain(&self) -> Drained {
        self.drain_batch(usize::MAX)
    }

    /// Takes at most `max_frames` of the oldest frames, and the control events that came
    /// before the first frame left behind.
    pub fn drain_batch(&self, max_frames: usize) -> Drained {
        let mut inner = self.lock();
        let take = inner.captured.len().min(max_frames);
        let captured: VecDeque<CapturedEvent> = if take == inner.captured.len() {
            // The whole buffer goes; its successor starts as large (up to a batch's worth), so
            // a steady stream fills it without growing it (a copy of everything held at each
            // doubling), and a drain after a stall leaves no stall-sized buffer behind.
            std::mem::replace(&mut inner.captured, VecDeque::with_capacity(take.min(KEPT_CAPACITY)))
        } else {
            inner.captured.drain(..take).collect()
        };
        let taken_bytes: usize = captured.iter().map(CapturedEvent::memory_cost).sum();
        inner.bytes -= taken_bytes;
        let next_left = inner.captured.front().map_or(u64::MAX, |event| event.seq);
        let identities = match inner.identities.iter().position(|(seq, _)| *seq >= next_left) {
            None => std::mem::take(&mut inner.identities),
            Some(left) => inner.identities.drain(..left).collect(),
        };
        let mut events = Vec::new();
        while inner.events.front().is_some_and(|(after, _)| *after <= next_left) {
            events.extend(inner.events.pop_front().map(|(_, event)| event));
        }
        Drained { events, captured, evicted: std::mem::take(&mut inner.evicted), identities }
    }

    /// Tells the queue what the consumer holds (events, bytes), so that together they stay
    /// within the limits: the queue evicts its oldest frames when the sum is over them.
    pub fn set_downstream(&self, events: usize, bytes: usize) {
        let mut inner = self.lock();
        inner.downstream = (events, bytes);
        inner.evict();
    }

    /// The events and bytes queued now.
    pub fn held(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.captured.len(), inner.bytes)
    }

    /// Changes the limits.
    pub fn set_limits(&self, limits: CaptureLimits) {
        let mut inner = self.lock();
        inner.limits = limits;
        inner.evict();
    }

    /// Waits until something was queued since the last drain (returns at once if something is
    /// queued already).
    pub async fn wait(&self) {
        if !self.lock().is_empty() {
            return;
        }
        self.notify.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::backend::CommandError;
    use crate::capture::Direction;
    use crate::catalog::ItemFingerprint;
    use crate::protocol::FrameKind;

    fn frame(raw: &str) -> CapturedEvent {
        CapturedEvent {
            seq: 0,
            received_at_ms: 1,
            connection: 1,
            subscription: None,
            direction: Direction::In,
            kind: FrameKind::Notification,
            method: None,
            raw: raw.into(),
            redacted: false,
            recovered: None,
        }
    }

    fn queue(limits: CaptureLimits) -> EventQueue {
        EventQueue::new(limits, Arc::new(|| {}))
    }

    #[test]
    fn batches_keep_control_events_behind_their_frames() {
        let queue = queue(CaptureLimits::default());
        queue.push_captured(&mut (0..3).map(|_| frame("{}")).collect());
        queue.push_event(Event::CommandFailed { conn: None, error: CommandError::NoSuchConnection });
        queue.push_captured(&mut (0..3).map(|_| frame("{}")).collect());
        let first = queue.drain_batch(2);
        assert_eq!(first.captured.len(), 2);
        assert!(first.events.is_empty(), "the event waits for the third frame");
        let second = queue.drain_batch(1);
        assert_eq!(second.captured.front().map(|e| e.seq), Some(2));
        assert_eq!(second.events.len(), 1, "handed out with the frame before it");
        assert_eq!(queue.drain_batch(10).captured.len(), 3);
        assert_eq!(queue.held(), (0, 0));
    }

    #[test]
    fn identities_leave_with_their_frames_and_go_with_the_evicted_ones() {
        let one = frame("{}").memory_cost();
        let queue = queue(CaptureLimits { max_events: 8, max_bytes: usize::MAX });
        let print = |id| Some(ItemFingerprint { id, height: None, head: None });
        // Frames 0..4, the second and fourth identified; then 4..8, the first and third.
        queue
            .push_identified(&mut (0..4).map(|_| frame("{}")).collect(), &mut vec![(1, print(1)), (3, None)]);
        let mut identities = vec![(0, print(4)), (2, print(6))];
        queue.push_identified(&mut (0..4).map(|_| frame("{}")).collect(), &mut identities);
        assert!(identities.is_empty(), "taken, the allocation left");
        let first = queue.drain_batch(3);
        assert_eq!(first.identities, [(1, print(1))], "only those of the frames taken");
        let second = queue.drain_batch(2);
        assert_eq!(second.identities, [(3, None), (4, print(4))]);
        // Frames 5..7 wait; four more push them out, and frame 6's identity with them.
        queue.push_identified(&mut (0..4).map(|_| frame("{}")).collect(), &mut vec![(2, print(10))]);
        queue.set_downstream(4, one);
        let rest = queue.drain();
        assert_eq!(rest.captured.front().map(|event| event.seq), Some(8));
        assert_eq!(rest.identities, [(10, print(10))]);
        assert!(queue.lock().identities.is_empty());
    }

    #[test]
    fn a_whole_drain_leaves_room_for_a_batch_but_not_for_a_stall() {
        let queue = queue(CaptureLimits::default());
        queue.push_captured(&mut (0..1_000).map(|_| frame("{}")).collect());
        assert_eq!(queue.drain().captured.len(), 1_000);
        assert!(queue.lock().captured.capacity() >= 1_000, "room for the next batch as large");
        queue.push_captured(&mut (0..3 * KEPT_CAPACITY).map(|_| frame("{}")).collect());
        assert_eq!(queue.drain().captured.len(), 3 * KEPT_CAPACITY);
        let capacity = queue.lock().captured.capacity();
        assert!(capacity < 2 * KEPT_CAPACITY, "a buffer for {capacity} events kept after a stall");
    }

    #[test]
    fn what_the_consumer_holds_counts_against_the_same_limits() {
        let one = frame("{}").memory_cost();
        let queue = queue(CaptureLimits { max_events: usize::MAX, max_bytes: one * 100 });
        queue.set_downstream(0, one * 90);
        queue.push_captured(&mut (0..30).map(|_| frame("{}")).collect());
        assert_eq!(queue.held().0, 10, "only what the consumer leaves");
        let drained = queue.drain();
        assert_eq!(drained.evicted, 20);
        assert_eq!(drained.captured.front().map(|e| e.seq), Some(20), "the oldest went first");
        // A consumer over the limits on its own still gets the newest frame.
        queue.set_downstream(0, one * 500);
        queue.push_captured(&mut (0..5).map(|_| frame("{}")).collect());
        assert_eq!(queue.held().0, 1);
    }

    #[test]
    fn a_stalled_consumer_loses_only_what_exceeds_the_limits() {
        let wakes = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&wakes);
        let queue = EventQueue::new(
            CaptureLimits { max_events: 1000, max_bytes: usize::MAX },
            Arc::new(move || {
                counter.fetch_add(1, Ordering::Relaxed);
            }),
        );
        for _ in 0..15 {
            let mut batch: Vec<_> = (0..100).map(|_| frame("{}")).collect();
            queue.push_captured(&mut batch);
            assert!(batch.is_empty());
        }
        assert_eq!(wakes.load(Ordering::Relaxed), 1, "only the first push after a drain wakes");
        let drained = queue.drain();
        assert_eq!(drained.captured.len(), 1000);
        assert_eq!(drained.evicted, 500);
        assert_eq!(drained.captured.front().map(|e| e.seq), Some(500));
        assert_eq!(drained.captured.back().map(|e| e.seq), Some(1499));
        queue.push_event(Event::CommandFailed { conn: None, error: CommandError::ConnectionClosed });
        assert_eq!(wakes.load(Ordering::Relaxed), 2);
    }
}
