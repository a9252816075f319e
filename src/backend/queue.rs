//! The queue between connection actors and the consumer (the UI thread or the recorder).
//!
//! Producers never wait on the consumer: a push takes a short lock and returns. Captured
//! frames are held up to the capture limits; past them the oldest frames are evicted and
//! counted. Control events (state changes, subscription answers) are small and rare and are
//! always kept.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::{Event, Waker};
use crate::capture::{CaptureLimits, CapturedEvent};

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
}

impl Drained {
    /// Whether nothing was drained.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.captured.is_empty() && self.evicted == 0
    }
}

#[derive(Default)]
struct Inner {
    captured: VecDeque<CapturedEvent>,
    events: Vec<Event>,
    bytes: usize,
    limits: CaptureLimits,
    evicted: u64,
    next_seq: u64,
}

impl Inner {
    fn is_empty(&self) -> bool {
        self.captured.is_empty() && self.events.is_empty()
    }
}

/// The queue; see the module docs.
pub struct EventQueue {
    inner: Mutex<Inner>,
    waker: Waker,
    notify: Notify,
}

impl EventQueue {
    /// An empty queue holding at most `limits` of frames; `waker` is called when the queue
    /// goes from empty to not empty.
    pub fn new(limits: CaptureLimits, waker: Waker) -> Self {
        Self { inner: Mutex::new(Inner { limits, ..Inner::default() }), waker, notify: Notify::new() }
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

    /// Queues frames, giving each the next sequence number; `batch` is left empty (its
    /// allocation is kept for the caller to reuse).
    pub fn push_captured(&self, batch: &mut Vec<CapturedEvent>) {
        if batch.is_empty() {
            return;
        }
        let was_empty = {
            let mut inner = self.lock();
            let was_empty = inner.is_empty();
            for mut event in batch.drain(..) {
                event.seq = inner.next_seq;
                inner.next_seq += 1;
                inner.bytes += event.memory_cost();
                inner.captured.push_back(event);
            }
            while inner.captured.len() > inner.limits.max_events.max(1)
                || inner.bytes > inner.limits.max_bytes
            {
                let Some(oldest) = inner.captured.pop_front() else { break };
                inner.bytes -= oldest.memory_cost();
                inner.evicted += 1;
            }
            was_empty
        };
        if was_empty {
            self.wake();
        }
    }

    /// Queues a control event.
    pub fn push_event(&self, event: Event) {
        let was_empty = {
            let mut inner = self.lock();
            let was_empty = inner.is_empty();
            inner.events.push(event);
            was_empty
        };
        if was_empty {
            self.wake();
        }
    }

    /// Takes everything queued.
    pub fn drain(&self) -> Drained {
        let mut inner = self.lock();
        inner.bytes = 0;
        Drained {
            events: std::mem::take(&mut inner.events),
            captured: std::mem::take(&mut inner.captured),
            evicted: std::mem::take(&mut inner.evicted),
        }
    }

    /// Changes the limits.
    pub fn set_limits(&self, limits: CaptureLimits) {
        self.lock().limits = limits;
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
    use crate::capture::Direction;
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
        }
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
        queue.push_event(Event::CommandFailed { conn: None, message: "x".into() });
        assert_eq!(wakes.load(Ordering::Relaxed), 2);
    }
}
