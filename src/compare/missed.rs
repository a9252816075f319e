//! The items members missed, queued to be asked of their endpoints (a recovery that comes back
//! moves the item from missed to recovered: `Item::owed_by`).

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
