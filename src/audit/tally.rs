//! Delivered items held against the chain's: what is missing, extra, repeated, out of order
//! or reorged. Pure: the checks fetch, this counts.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

/// An item as a report lists it: a head, a log, a slot or a transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Item {
    /// The block number (Ethereum).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<u64>,
    /// The slot (Solana).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<u64>,
    /// The block hash (a head's own, a log's block's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// A log's transaction hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction: Option<String>,
    /// A log's index in its block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// A Solana transaction's signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl std::fmt::Display for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(block) = self.block {
            parts.push(format!("block {block}"));
        }
        if let Some(slot) = self.slot {
            parts.push(format!("slot {slot}"));
        }
        let transaction = self.transaction.as_ref().map(|transaction| format!("tx {transaction}"));
        let index = self.log_index.map(|index| format!("log {index}"));
        parts.extend([transaction, index, self.signature.clone()].into_iter().flatten());
        // A log's block hash comes last: the transaction and index name the log.
        if let Some(hash) = &self.hash {
            parts.push(if self.transaction.is_some() { format!("in {hash}") } else { hash.clone() });
        }
        f.write_str(&parts.join("  "))
    }
}

/// An item the chain holds in the span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// What names it (a hash, a signature, a slot).
    pub id: String,
    /// Its place on the chain (block or slot, then index).
    pub order: (u64, u64),
    /// How it is listed.
    pub item: Item,
}

/// An item the subscription delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Got {
    /// What names it, as [`Expected::id`].
    pub id: String,
    /// Its place on the chain, as [`Expected::order`].
    pub order: (u64, u64),
    /// How it is listed.
    pub item: Item,
    /// Delivered as taken back by a reorg (a log with `removed: true`).
    pub removed: bool,
    /// Recovered by a backfill rather than delivered by the subscription.
    pub recovered: bool,
}

impl Got {
    /// A delivered item at `height` named `id`, as the capture holds it.
    pub fn at(height: u64, id: String, item: Item, delivered: &super::DeliveredItem) -> Self {
        Self { id, order: (height, 0), item, removed: false, recovered: delivered.recovered }
    }
}

/// The first and last heights of delivered items, if any.
pub fn heights_of(got: &[Got]) -> Option<(u64, u64)> {
    let heights = got.iter().map(|got| got.order.0);
    heights.clone().min().zip(heights.max())
}

/// What a delivered item the span's chain does not hold is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unmatched {
    /// Its block was on the chain once and no longer is.
    Reorged,
    /// The chain never had it.
    Extra,
    /// Beyond what the chain has settled yet (a slot above the confirmed one).
    Unsettled,
}

/// The counts of one subscription's audit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Items the chain holds in the span.
    pub expected: u64,
    /// Notifications the subscription delivered (repeats and extras included).
    pub delivered: u64,
    /// Items only a backfill recovered (not missing, not delivered).
    pub recovered: u64,
    /// Items the chain holds in the span that were not delivered, in chain order.
    pub missing: Vec<Item>,
    /// Delivered items the chain does not hold.
    pub extra: Vec<Item>,
    /// Deliveries of an item already delivered.
    pub duplicates: u64,
    /// Items delivered after one that comes later on the chain.
    pub out_of_order: u64,
    /// Delivered items a reorg took back: a block no longer canonical, a log sent `removed`.
    pub reorged: Vec<Item>,
    /// Delivered items beyond what the chain has settled, not judged.
    pub unsettled: u64,
}

/// Holds `got` (in delivery order) against `expected`; `unmatched` says what a delivered item
/// the chain does not hold in the span is.
pub fn tally(expected: &[Expected], got: &[Got], unmatched: impl Fn(&Got) -> Unmatched) -> Tally {
    let on_chain: HashMap<&str, (u64, u64)> =
        expected.iter().map(|item| (item.id.as_str(), item.order)).collect();
    let mut tally = Tally { expected: expected.len() as u64, ..Tally::default() };
    let mut seen: HashSet<(&str, bool)> = HashSet::new();
    let mut delivered: HashSet<&str> = HashSet::new();
    let mut recovered: HashSet<&str> = HashSet::new();
    let mut furthest: Option<(u64, u64)> = None;
    // A log sent, then sent again `removed`, is one reorged item.
    let mut reorged: HashSet<&str> = HashSet::new();
    for item in got {
        if item.recovered {
            recovered.insert(&item.id);
            continue;
        }
        tally.delivered += 1;
        if !seen.insert((&item.id, item.removed)) {
            tally.duplicates += 1;
            continue;
        }
        if item.removed {
            if reorged.insert(&item.id) {
                tally.reorged.push(item.item.clone());
            }
            continue;
        }
        let Some(order) = on_chain.get(item.id.as_str()) else {
            match unmatched(item) {
                Unmatched::Reorged if reorged.insert(&item.id) => tally.reorged.push(item.item.clone()),
                Unmatched::Reorged => {}
                Unmatched::Extra => tally.extra.push(item.item.clone()),
                Unmatched::Unsettled => tally.unsettled += 1,
            }
            continue;
        };
        delivered.insert(&item.id);
        // Only items still on the chain set the pace: a reorg's replacements are in order.
        if furthest.is_some_and(|furthest| *order < furthest) {
            tally.out_of_order += 1;
        } else {
            furthest = Some(*order);
        }
    }
    let mut missing: Vec<&Expected> = Vec::new();
    for item in expected {
        if delivered.contains(item.id.as_str()) {
            continue;
        }
        if recovered.contains(item.id.as_str()) {
            tally.recovered += 1;
        } else {
            missing.push(item);
        }
    }
    missing.sort_by_key(|item| item.order);
    tally.missing = missing.into_iter().map(|item| item.item.clone()).collect();
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(slot: u64) -> Item {
        Item { slot: Some(slot), ..Item::default() }
    }

    fn expected(slots: &[u64]) -> Vec<Expected> {
        slots.iter().map(|&n| Expected { id: n.to_string(), order: (n, 0), item: slot(n) }).collect()
    }

    fn got(slots: &[u64]) -> Vec<Got> {
        slots
            .iter()
            .map(|&n| Got {
                id: n.to_string(),
                order: (n, 0),
                item: slot(n),
                removed: false,
                recovered: false,
            })
            .collect()
    }

    #[test]
    fn missing_extra_duplicates_and_order_are_counted_apart() {
        let tally = tally(&expected(&[1, 2, 3, 5, 6]), &got(&[1, 3, 3, 2, 6, 9]), |_| Unmatched::Extra);
        assert_eq!(tally.expected, 5);
        assert_eq!(tally.delivered, 6);
        assert_eq!(tally.missing, vec![slot(5)]);
        assert_eq!(tally.extra, vec![slot(9)]);
        assert_eq!(tally.duplicates, 1);
        assert_eq!(tally.out_of_order, 1, "2 after 3");
        assert!(tally.reorged.is_empty());
    }

    #[test]
    fn a_removed_delivery_is_reorged_and_not_a_duplicate_of_the_first() {
        let mut delivered = got(&[4, 4]);
        delivered[1].removed = true;
        let tally = tally(&expected(&[4]), &delivered, |_| Unmatched::Extra);
        assert_eq!((tally.duplicates, tally.reorged.len(), tally.missing.len()), (0, 1, 0));
        // Its block gone from the chain too: still one reorged item.
        let tally = super::tally(&expected(&[]), &delivered, |_| Unmatched::Reorged);
        assert_eq!((tally.duplicates, tally.reorged.len(), tally.extra.len()), (0, 1, 0));
    }

    #[test]
    fn items_off_the_chain_are_judged_by_the_caller_and_do_not_set_the_pace() {
        // 10 and 11 were delivered, then reorged; their replacements 10' 11' are in order.
        let mut delivered = got(&[10, 11]);
        for item in &mut delivered {
            item.id.push('a');
        }
        delivered.extend(got(&[10, 11, 12]));
        delivered.extend(got(&[13]).into_iter().map(|mut item| {
            item.id = "13-unsettled".into();
            item
        }));
        let judge =
            |item: &Got| if item.id.ends_with('a') { Unmatched::Reorged } else { Unmatched::Unsettled };
        let tally = tally(&expected(&[10, 11, 12]), &delivered, judge);
        assert_eq!((tally.reorged.len(), tally.out_of_order, tally.unsettled), (2, 0, 1));
        assert!(tally.missing.is_empty());
    }

    #[test]
    fn a_recovered_item_is_neither_missing_nor_delivered() {
        let mut delivered = got(&[1, 2]);
        delivered[1].recovered = true;
        let tally = tally(&expected(&[1, 2, 3]), &delivered, |_| Unmatched::Extra);
        assert_eq!((tally.delivered, tally.recovered), (1, 1));
        assert_eq!(tally.missing, vec![slot(3)]);
    }

    #[test]
    fn items_are_shown_with_what_names_them() {
        let log = Item {
            block: Some(7),
            hash: Some("0xbb".into()),
            transaction: Some("0xtt".into()),
            log_index: Some(2),
            ..Item::default()
        };
        assert_eq!(log.to_string(), "block 7  tx 0xtt  log 2  in 0xbb");
        let head = Item { block: Some(7), hash: Some("0xbb".into()), ..Item::default() };
        assert_eq!(head.to_string(), "block 7  0xbb");
        let transaction = Item { slot: Some(9), signature: Some("5sig".into()), ..Item::default() };
        assert_eq!(transaction.to_string(), "slot 9  5sig");
    }
}
