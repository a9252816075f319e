//! What the demo's chains hold besides their own traffic: the log filters and Solana keys
//! clients subscribed with. A real chain holds every contract's events; the demo, which
//! cannot know a client's contract in advance, puts events for each filter (and
//! transactions for each key) into every block made after the first subscription to it, so a
//! filtered subscription is not silent. Blocks made before stay as they were: each interest
//! counts from a clock tick after the one it was noted at, which no connection has produced
//! yet, so what was sent and what is asked later over HTTP are the same. Interests are never
//! forgotten (that would change past blocks); at most [`MAX_INTERESTS`] of each are kept,
//! later ones only see what the chain holds anyway.

use std::sync::{Mutex, MutexGuard, PoisonError};

use super::ethereum::LogFilter;

/// The most interests of each kind kept.
pub(crate) const MAX_INTERESTS: usize = 64;

/// How many ticks after the current one an interest starts to count: the current tick may be
/// produced by a connection right now, the next may be by one whose clock fired early.
const LEAD_TICKS: u64 = 2;

/// One interest, from the tick it counts.
struct Interest<T> {
    what: T,
    from: u64,
}

/// The interests of one demo server.
#[derive(Default)]
pub(crate) struct Interests {
    /// Ethereum log filters, by the block clock's ticks.
    filters: Mutex<Vec<Interest<LogFilter>>>,
    /// Solana keys (`mentions`), by slots.
    keys: Mutex<Vec<Interest<String>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update is one push: a poisoned lock still holds a whole list.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Adds `what` unless it is known or the list is full.
fn note<T: PartialEq>(list: &Mutex<Vec<Interest<T>>>, what: T, now: u64) {
    let mut list = lock(list);
    if list.len() < MAX_INTERESTS && !list.iter().any(|known| known.what == what) {
        list.push(Interest { what, from: now.saturating_add(LEAD_TICKS) });
    }
}

/// The interests counting at `at`, in the order they were noted.
fn at<T: Clone>(list: &Mutex<Vec<Interest<T>>>, at: u64) -> Vec<T> {
    lock(list).iter().filter(|interest| interest.from <= at).map(|interest| interest.what.clone()).collect()
}

impl Interests {
    /// Notes a logs subscription's filter at block tick `now` (a filter that matches every
    /// log needs no events of its own).
    pub(crate) fn note_filter(&self, filter: &LogFilter, now: u64) {
        if !filter.matches_everything() {
            note(&self.filters, filter.clone(), now);
        }
    }

    /// The filters with events in the block of tick `tick`.
    pub(crate) fn filters_at(&self, tick: u64) -> Vec<LogFilter> {
        at(&self.filters, tick)
    }

    /// Notes a Solana key a subscription mentions, at slot `now`.
    pub(crate) fn note_key(&self, key: &str, now: u64) {
        note(&self.keys, key.to_owned(), now);
    }

    /// The keys with transactions in slot `slot`.
    #[cfg(test)]
    pub(crate) fn keys_at(&self, slot: u64) -> Vec<String> {
        at(&self.keys, slot)
    }

    /// Every key with the first slot holding transactions that mention it.
    pub(crate) fn keys(&self) -> Vec<(String, u64)> {
        lock(&self.keys).iter().map(|interest| (interest.what.clone(), interest.from)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interests_count_from_a_tick_not_yet_produced_and_are_bounded() {
        let interests = Interests::default();
        interests.note_key("a", 10);
        interests.note_key("a", 11);
        assert!(interests.keys_at(11).is_empty(), "blocks already made stay as they were");
        assert_eq!(interests.keys_at(12), ["a"]);
        for number in 0..2 * MAX_INTERESTS {
            interests.note_key(&number.to_string(), 20);
        }
        assert_eq!(interests.keys_at(100).len(), MAX_INTERESTS);
    }
}
