//! When each endpoint delivered the item of one row: what the window's Compare tab shows for
//! the selected row.

use crate::capture::{Capture, CapturedEvent, ConnId, SubKey};
use crate::catalog::{ItemKey, item_key};
use crate::protocol::FrameKind;

/// When each member of a group delivered one item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deliveries {
    /// The item.
    pub key: ItemKey,
    /// Per member (subscription, connection), when it delivered the item (ms), or `None`
    /// when it did not within the grace window around the given event; in group order.
    pub members: Vec<(SubKey, ConnId, Option<u64>)>,
}

/// How many events either side of an item [`deliveries`] looks at: a flood's grace window
/// may hold millions, and the answer is for a person looking at one row.
pub const DELIVERY_SCAN: usize = 50_000;

/// When each of `members` delivered the item of the event `seq` (a notification), looking
/// `grace_ms` around it in `capture` (at most [`DELIVERY_SCAN`] events either side).
/// `None` when the event is gone or names no item.
pub fn deliveries(
    capture: &Capture,
    seq: u64,
    members: &[(SubKey, ConnId)],
    grace_ms: u64,
) -> Option<Deliveries> {
    let index = capture.position_of(seq)?;
    let event = capture.get(index)?;
    let key = item_key(&event.raw)?;
    let at = event.received_at_ms;
    let mut found: Vec<(SubKey, ConnId, Option<u64>)> =
        members.iter().map(|&(sub, conn)| (sub, conn, None)).collect();
    let mut note = |candidate: &CapturedEvent| {
        let Some(slot) = found.iter_mut().find(|(sub, _, _)| Some(*sub) == candidate.subscription) else {
            return;
        };
        if candidate.kind == FrameKind::Notification && item_key(&candidate.raw).as_ref() == Some(&key) {
            slot.2 = Some(slot.2.map_or(candidate.received_at_ms, |seen| seen.min(candidate.received_at_ms)));
        }
    };
    let low = index.saturating_sub(DELIVERY_SCAN);
    for candidate in (low..=index).rev().filter_map(|i| capture.get(i)) {
        if candidate.received_at_ms.saturating_add(grace_ms) < at {
            break;
        }
        note(candidate);
    }
    for candidate in capture.iter_from(index + 1).take(DELIVERY_SCAN) {
        if candidate.received_at_ms > at.saturating_add(grace_ms) {
            break;
        }
        note(candidate);
    }
    Some(Deliveries { key, members: found })
}
