//! The items members missed: queued to be asked of their endpoints, and remembered so that a
//! recovery coming back later moves the item from missed to recovered.

use super::{Group, ItemId, MAX_ITEMS};
use crate::capture::{ConnId, SubKey};

/// An item a member missed, that its endpoint could be asked for over HTTP
/// ([`super::Compare::take_missed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Missed {
    /// The member's subscription.
    pub sub: SubKey,
    /// Its connection.
    pub conn: ConnId,
    /// The item's block number or slot.
    pub height: u64,
}

/// The most missed items waiting to be taken; past it the oldest are not asked for.
pub(super) const MAX_MISSED_QUEUED: usize = 4_096;

impl Group {
    /// Member `index` recovered item `id`: counted recovered, and no longer missed if it was.
    pub(super) fn recovered_miss(&mut self, index: usize, id: ItemId) {
        let bit = 1u128 << index;
        let member = &mut self.members[index];
        member.stats.recovered += 1;
        if let Some(members) = self.missed_recently.get_mut(&id)
            && *members & bit != 0
        {
            *members &= !bit;
            member.stats.missed = member.stats.missed.saturating_sub(1);
        }
    }

    /// Notes that member `index` was counted missing item `id`.
    pub(super) fn remember_miss(&mut self, index: usize, id: ItemId) {
        let members = self.missed_recently.entry(id).or_insert_with(|| {
            self.missed_order.push_back(id);
            0
        });
        *members |= 1u128 << index;
        while self.missed_order.len() > MAX_ITEMS {
            if let Some(oldest) = self.missed_order.pop_front() {
                self.missed_recently.remove(&oldest);
            }
        }
    }
}
