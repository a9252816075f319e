//! The items a group holds, laid out for the cache: the items themselves in a ring in
//! first-delivery order, and a small index from fingerprint to place.
//!
//! ```text
//! index: fingerprint ─▶ place in the ring (its sequence number's low 32 bits)
//! ring:  [ settled, kept for repeats … | open … ]   oldest first; pushed at the back,
//!          ▲ forgotten from the front    ▲ settled from here on
//! owed:  settled items past the ring that a member has not delivered yet (few), by fingerprint
//! ```
//!
//! An item's life only moves forward: open, settled, forgotten (or owed, then forgotten), in
//! the order items arrived. So settling and forgetting walk the ring from its front, in memory
//! order, and a delivery finds a recent item near the ring's back, where it is still in cache.
//!
//! The index holds only places, 4 bytes each, hashed by the item's fingerprint; the fingerprint
//! itself is read from the ring when a lookup's hash tag matches. Under a flood of
//! [`super::MAX_ITEMS`] items the index takes 640 KiB, inside a core's L2 (a map of fingerprint
//! to place took 2 MiB, one of whole items fifteen), so the lookups every delivery makes (is it
//! held? insert it; forget the oldest) mostly stay in the cache, and the ring is read only for
//! an item that is there. Forgetting the oldest finds its entry by its place alone.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasherDefault;

use hashbrown::HashTable;

use super::{ItemId, MAX_ITEMS, Passthrough};

/// One item: 64 bytes, one cache line (the ring's items are aligned to lines), so a delivery
/// that finds its item, or settles or forgets the oldest, reads one line of the ring.
#[derive(Debug)]
#[repr(align(64))]
pub(super) struct Item {
    /// Its fingerprint.
    pub(super) id: ItemId,
    /// When it was first delivered (live, when a live delivery came after a recovered one).
    pub(super) first_at_ms: u64,
    /// When it was first delivered at all: its grace window counts from here.
    pub(super) queued_at_ms: u64,
    /// Members that delivered it (one bit each: [`super::MAX_MEMBERS`]).
    pub(super) seen: u64,
    /// Members among them that only recovered it (not live).
    pub(super) recovered: u64,
    /// Members without it when it settled that have not delivered it since.
    pub(super) awaited: u64,
    /// Those among them counted missed for it.
    pub(super) owed_by: u64,
    /// Its block or slot when that places it, [`NO_HEIGHT`] when nothing does.
    height: u64,
}

/// [`Item::height`] of an item no block or slot places (no chain comes near it).
const NO_HEIGHT: u64 = u64::MAX;

const _: () = assert!(std::mem::size_of::<Item>() == 64, "an item fills one cache line");

type Index<V> = HashMap<ItemId, V, BuildHasherDefault<Passthrough>>;

/// From this many items on, a group's ring and index are sized for [`MAX_ITEMS`] at once: a
/// group that busy gets there within seconds, and growing by doubling would copy the ring and
/// rehash the index at each step (faulting in fresh pages, and reading every item's
/// fingerprint back from the ring). Only the pages used are resident.
const FULL_SIZE_FROM: usize = 4_096;

/// The fingerprint of the ring's item at `place` (growing the index rehashes each place so).
fn fingerprint_at(ring: &VecDeque<Item>, base: u32, place: u32) -> u64 {
    ring.get(place.wrapping_sub(base) as usize).map_or(0, |item| item.id)
}

/// Where a held item is ([`Items::find`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Place {
    /// In the ring, at this slot.
    Ring(usize),
    /// Forgotten from the ring, owed by a member.
    Owed,
}

/// See the module docs.
#[derive(Debug, Default)]
pub(super) struct Items {
    /// Open and recently settled items, oldest first.
    ring: VecDeque<Item>,
    /// The sequence number of the ring's front.
    base: u64,
    /// How many at the ring's front are settled.
    settled: usize,
    /// Settled items forgotten from the ring that some member still owes, oldest first.
    owed: VecDeque<ItemId>,
    owed_items: Index<Item>,
    /// Where each item of the ring is: the low 32 bits of its sequence number (the ring holds
    /// fewer than 2^32 items, so they name one place), hashed by its fingerprint.
    index: HashTable<u32>,
}

impl Items {
    /// Items held.
    pub(super) fn len(&self) -> usize {
        self.ring.len() + self.owed_items.len()
    }

    fn slot(&self, id: ItemId) -> Option<usize> {
        let (ring, base) = (&self.ring, self.base as u32);
        let place = self.index.find(id, |&place| {
            ring.get(place.wrapping_sub(base) as usize).is_some_and(|item| item.id == id)
        })?;
        Some(place.wrapping_sub(base) as usize)
    }

    /// Where the item is, if held. Good until the items change.
    pub(super) fn find(&self, id: ItemId) -> Option<Place> {
        match self.slot(id) {
            Some(slot) => Some(Place::Ring(slot)),
            None => self.owed_items.contains_key(&id).then_some(Place::Owed),
        }
    }

    /// The item with sequence number `seq`, when it is in the ring and is `id`: where a
    /// member's next delivery usually is, found without the index (what [`Self::find`] finds
    /// then, as no item is in the ring twice).
    pub(super) fn at(&self, seq: u64, id: ItemId) -> Option<Place> {
        let slot = usize::try_from(seq.checked_sub(self.base)?).ok()?;
        self.ring.get(slot).is_some_and(|item| item.id == id).then_some(Place::Ring(slot))
    }

    /// The sequence number of the ring's `slot` (one past the ring's end: the next pushed).
    pub(super) fn seq_of(&self, slot: usize) -> u64 {
        self.base + slot as u64
    }

    /// Items in the ring.
    pub(super) fn ring_len(&self) -> usize {
        self.ring.len()
    }

    /// Whether the item [`Self::find`] found is settled (one it found nowhere is new, so open).
    pub(super) fn is_settled(&self, found: Option<Place>) -> bool {
        match found {
            Some(Place::Ring(slot)) => slot < self.settled,
            Some(Place::Owed) => true,
            None => false,
        }
    }

    /// The item, if held.
    pub(super) fn get(&self, id: ItemId) -> Option<&Item> {
        match self.find(id)? {
            Place::Ring(slot) => self.ring.get(slot),
            Place::Owed => self.owed_items.get(&id),
        }
    }

    /// The item where [`Self::find`] just found it, or, when it found none, a new one first
    /// delivered now at `at`. (One lookup a delivery: the caller may make room between.)
    pub(super) fn get_or_insert(
        &mut self,
        found: Option<Place>,
        id: ItemId,
        at: u64,
        height: Option<u64>,
    ) -> &mut Item {
        match found {
            Some(Place::Ring(slot)) => return &mut self.ring[slot],
            // Held (just looked up), so the entry is there; the fallback keeps it total.
            Some(Place::Owed) => {
                return self.owed_items.entry(id).or_insert_with(|| Item::new(id, at, height));
            }
            None => {}
        }
        if self.ring.len() == FULL_SIZE_FROM && self.ring.capacity() < MAX_ITEMS {
            self.ring.reserve_exact(MAX_ITEMS - self.ring.len());
            let (ring, base) = (&self.ring, self.base as u32);
            self.index.reserve(MAX_ITEMS - self.index.len(), |&place| fingerprint_at(ring, base, place));
        }
        let place = (self.base + self.ring.len() as u64) as u32;
        self.ring.push_back(Item::new(id, at, height));
        let (ring, base) = (&self.ring, self.base as u32);
        self.index.insert_unique(id, place, |&place| fingerprint_at(ring, base, place));
        let slot = self.ring.len() - 1;
        &mut self.ring[slot]
    }

    /// The oldest open item when its grace window ended by `now`, settled now.
    pub(super) fn settle_next(&mut self, now: u64, grace: u64) -> Option<&mut Item> {
        let item = self.ring.get_mut(self.settled)?;
        if item.queued_at_ms.saturating_add(grace) > now {
            return None;
        }
        self.settled += 1;
        Some(item)
    }

    /// The first-delivery time of the oldest open item.
    pub(super) fn oldest_open(&self) -> Option<u64> {
        self.ring.get(self.settled).map(|item| item.queued_at_ms)
    }

    /// Forgets the settled items first delivered two grace windows before `now`, keeping
    /// those a member has not delivered as owed.
    pub(super) fn forget_closed(&mut self, now: u64, grace: u64) {
        while self.settled > 0
            && self
                .ring
                .front()
                .is_some_and(|item| item.queued_at_ms.saturating_add(grace.saturating_mul(2)) <= now)
        {
            self.pop_closed(true);
        }
    }

    /// Forgets owed items that are paid, or older than `horizon` at `now`.
    pub(super) fn forget_owed(&mut self, now: u64, horizon: u64) {
        while let Some(&id) = self.owed.front() {
            if let Some(item) = self.owed_items.get(&id)
                && item.awaited != 0
                && item.queued_at_ms.saturating_add(horizon) > now
            {
                break;
            }
            self.owed.pop_front();
            self.owed_items.remove(&id);
        }
    }

    /// Forgets the oldest owed or settled item; `false` when there is none (only open ones).
    pub(super) fn forget_oldest(&mut self) -> bool {
        if let Some(id) = self.owed.pop_front() {
            self.owed_items.remove(&id);
            true
        } else if self.settled > 0 {
            self.pop_closed(false);
            true
        } else {
            false
        }
    }

    /// Pops the ring's front (settled): into `owed` when `keep_owed` and a member owes it.
    fn pop_closed(&mut self, keep_owed: bool) {
        let Some(item) = self.ring.pop_front() else { return };
        // Its entry is the one holding its place: no fingerprint to read.
        let front = self.base as u32;
        if let Ok(entry) = self.index.find_entry(item.id, |&place| place == front) {
            entry.remove();
        }
        self.base += 1;
        self.settled -= 1;
        if keep_owed && item.awaited != 0 {
            self.owed.push_back(item.id);
            self.owed_items.insert(item.id, item);
        }
    }

    /// The open items, oldest first, for settling them at the end of a run (the caller marks
    /// them settled).
    pub(super) fn settle_all(&mut self) -> impl Iterator<Item = &mut Item> {
        let open = self.settled;
        self.settled = self.ring.len();
        self.ring.range_mut(open..)
    }

    /// Every settled item: the ring's, oldest first, then the owed ones.
    pub(super) fn settled_mut(&mut self) -> impl Iterator<Item = &mut Item> {
        let Self { ring, settled, owed_items, .. } = self;
        ring.range_mut(..*settled).chain(owed_items.values_mut())
    }
}

impl Item {
    fn new(id: ItemId, at: u64, height: Option<u64>) -> Self {
        Self {
            id,
            first_at_ms: at,
            queued_at_ms: at,
            seen: 0,
            recovered: 0,
            awaited: 0,
            owed_by: 0,
            height: height.unwrap_or(NO_HEIGHT),
        }
    }

    /// Its block or slot, when that places it (for asking an endpoint that missed it).
    pub(super) fn height(&self) -> Option<u64> {
        (self.height != NO_HEIGHT).then_some(self.height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRACE: u64 = 10;

    /// What the index says against where the items are: every held item found in its place.
    fn consistent(items: &Items) {
        assert_eq!(items.index.len(), items.ring.len(), "one entry for each item of the ring");
        for (slot, item) in items.ring.iter().enumerate() {
            assert_eq!(items.slot(item.id), Some(slot));
            assert_eq!(items.at(items.seq_of(slot), item.id), Some(Place::Ring(slot)));
            assert_eq!(items.at(items.seq_of(slot), !item.id), None, "another item is not there");
            let place = (items.base + slot as u64) as u32;
            assert!(items.index.find(item.id, |&found| found == place).is_some());
        }
        for id in &items.owed {
            assert_eq!(items.slot(*id), None, "an owed item is not in the ring");
            assert!(items.owed_items.contains_key(id));
        }
    }

    /// Random deliveries, settling and forgetting, checked against what is held (the ring's
    /// and the owed items' fingerprints) after every step: each lookup agrees, no item is held
    /// twice, and the index has an entry for each held item and no other.
    #[test]
    fn the_index_finds_exactly_the_items_held_through_random_lives() {
        for (seed, base) in [(1, 0), (2, u64::from(u32::MAX) - 40)] {
            let mut rng = fastrand::Rng::with_seed(seed);
            let mut items = Items { base, ..Items::default() };
            let mut now = 0;
            for _ in 0..2_000 {
                now += rng.u64(0..3);
                match rng.u8(0..10) {
                    0..=5 => {
                        let id = rng.u64(0..300);
                        let item = items.get_or_insert(items.find(id), id, now, None);
                        if rng.bool() {
                            item.awaited = 1; // a member still owes it
                        }
                    }
                    6 => while items.settle_next(now, GRACE).is_some() {},
                    7 => items.forget_closed(now, GRACE),
                    8 => items.forget_owed(now, 3 * GRACE),
                    _ => {
                        items.forget_oldest();
                    }
                }
                consistent(&items);
                let held: std::collections::HashSet<u64> =
                    items.ring.iter().map(|item| item.id).chain(items.owed.iter().copied()).collect();
                assert_eq!(held.len(), items.len(), "no item is held twice");
                for id in 0..300 {
                    assert_eq!(items.find(id).is_some(), held.contains(&id), "item {id}");
                    assert_eq!(items.get(id).map(|item| item.id), held.contains(&id).then_some(id));
                }
            }
        }
    }

    #[test]
    fn items_settle_and_are_forgotten_in_arrival_order_and_owed_ones_stay_findable() {
        let mut items = Items::default();
        for id in 1..=4u64 {
            items.get_or_insert(None, id, id * 5, Some(id));
        }
        // A second delivery finds the same item.
        items.get_or_insert(items.find(2), 2, 11, None).seen |= 0b10;
        assert_eq!(
            items.get(2).map(|item| (item.seen, item.first_at_ms, item.height())),
            Some((0b10, 10, Some(2)))
        );
        consistent(&items);

        // At 20, items first delivered at 5 and 10 settle; the one at 15 is still open.
        let mut settled = Vec::new();
        while let Some(item) = items.settle_next(20, GRACE) {
            if item.id == 1 {
                item.awaited = 0b10; // a member has not delivered item 1
            }
            settled.push(item.id);
        }
        assert_eq!(settled, [1, 2]);
        assert_eq!(items.oldest_open(), Some(15));

        // Two windows after 5 and 10: item 1 is owed and kept, item 2 forgotten.
        items.forget_closed(30, GRACE);
        assert_eq!((items.len(), items.find(1), items.find(2)), (3, Some(Place::Owed), None));
        consistent(&items);
        // Delivered late, it is found where it waits, not taken for a new item.
        assert!(items.is_settled(items.find(1)) && !items.is_settled(items.find(3)));
        let late = items.get_or_insert(items.find(1), 1, 31, None);
        assert_eq!(late.first_at_ms, 5);
        late.awaited = 0;
        items.forget_owed(31, 100);
        assert!(items.find(1).is_none());
        consistent(&items);

        // A full group forgets settled items before it has to settle open ones early.
        assert_eq!(items.settle_next(25, GRACE).map(|item| item.id), Some(3));
        assert!(items.forget_oldest());
        assert!(!items.forget_oldest(), "only an open item is left");
        assert_eq!(items.settle_all().map(|item| item.id).collect::<Vec<_>>(), [4]);
        assert_eq!(items.settled_mut().count(), 1);
        consistent(&items);
    }
}
