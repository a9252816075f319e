//! The chain clocks' side of a connection: on each Solana slot, Ethereum block and mempool
//! tick, every subscription's notifications for that moment.
//!
//! What a subscription is notified of is drawn from a random source seeded by the server,
//! the tick and the subscription's own parameters ([`stream_rng`]), never from the
//! connection's, so every connection holding the same subscription sees the same chain: the
//! same slots, signatures, blocks and logs, in the same order, with the same timestamps.

use super::{Connection, Flow};
use crate::demo::ethereum::{self, BlockRef, EthKind};
use crate::demo::shared::stream_rng;
use crate::demo::solana::{self, AfterSlot};

/// A connection that falls this many clock ticks behind jumps to the current height.
const MAX_TICK_LAG: u64 = 5;

/// The clock positions a connection announces on one tick of its timer: every one after the
/// last up to the shared clock, so a timer tick that was skipped (a busy runtime: the timers
/// skip missed ticks) is made up at once, and a long-lived connection never trails a fresh
/// one; only the clock when this is the first step or the connection is far behind (it
/// jumps); none when the clock has not moved on.
fn next_ticks(last: Option<u64>, clock: u64) -> std::ops::RangeInclusive<u64> {
    match last {
        Some(last) if clock <= last.saturating_add(MAX_TICK_LAG) => last.saturating_add(1)..=clock,
        _ => clock..=clock,
    }
}

/// An Ethereum subscription's key among the connection's streams (Solana's are their ids).
fn eth_stream(id: &str) -> u64 {
    use std::hash::{DefaultHasher, Hash as _, Hasher as _};
    let mut hasher = DefaultHasher::new();
    id.hash(&mut hasher);
    hasher.finish() | 1 << 63
}

impl Connection {
    /// The slot timer ticked: the slots since the last one announced.
    pub(super) fn on_slot(&mut self) -> Flow {
        if self.solana.is_empty() {
            self.last_slot = None;
            return Flow::Continue;
        }
        for slot in next_ticks(self.last_slot, self.shared.clock.slot()) {
            if self.announce_slot(slot) == Flow::End {
                return Flow::End;
            }
        }
        Flow::Continue
    }

    /// One Solana slot: every Solana subscription may notify.
    fn announce_slot(&mut self, slot: u64) -> Flow {
        self.last_slot = Some(slot);
        let ctx = self.shared.slot_ctx(slot);
        let mut frames = Vec::new();
        let mut streams = Vec::new();
        let mut finished = Vec::new();
        for (id, kind) in &mut self.solana {
            let mut rng = stream_rng(ctx.seed, kind, slot);
            let before = frames.len();
            if solana::notify_slot(*id, kind, &ctx, &mut rng, &mut frames) == AfterSlot::Remove {
                finished.push(*id);
            }
            streams.push((*id, frames.len() - before));
        }
        for id in finished {
            self.solana.remove(&id);
            self.shared.registry.release(id);
        }
        self.enqueue_notifications(frames, &streams);
        if self.lagged { Flow::End } else { Flow::Continue }
    }

    /// The block timer ticked: the blocks since the last one announced.
    pub(super) fn on_block(&mut self) -> Flow {
        let watches_blocks = self.ethereum.iter().any(|sub| {
            matches!(sub.kind, EthKind::NewHeads | EthKind::Logs(_) | EthKind::AlchemyMined { .. })
        });
        if !watches_blocks {
            self.last_block_tick = None;
            return Flow::Continue;
        }
        for tick in next_ticks(self.last_block_tick, self.shared.clock.block_tick()) {
            if self.announce_block(tick) == Flow::End {
                return Flow::End;
            }
        }
        Flow::Continue
    }

    /// One Ethereum block (or reorg): heads, logs and mined transactions.
    fn announce_block(&mut self, tick: u64) -> Flow {
        self.last_block_tick = Some(tick);
        let ctx = self.shared.eth_block(BlockRef::at_tick(tick));
        let (mut frames, mut streams) = (Vec::new(), Vec::new());
        for sub in &mut self.ethereum {
            let mut rng = stream_rng(ctx.seed, &sub.kind, tick);
            let before = frames.len();
            ethereum::notify_block(sub, &ctx, &mut rng, &mut frames);
            streams.push((eth_stream(&sub.id), frames.len() - before));
        }
        self.enqueue_notifications(frames, &streams);
        if self.lagged { Flow::End } else { Flow::Continue }
    }

    /// One mempool tick: pending transactions.
    pub(super) fn on_mempool(&mut self) -> Flow {
        let (seed, tick) = (self.shared.clock.seed, self.shared.clock.mempool_tick());
        let (mut frames, mut streams) = (Vec::new(), Vec::new());
        for sub in &self.ethereum {
            let mut rng = stream_rng(seed, &sub.kind, tick);
            let before = frames.len();
            ethereum::notify_mempool(sub, &mut rng, &mut frames);
            streams.push((eth_stream(&sub.id), frames.len() - before));
        }
        self.enqueue_notifications(frames, &streams);
        if self.lagged { Flow::End } else { Flow::Continue }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_announces_every_position_up_to_the_clock_and_never_runs_ahead() {
        assert_eq!(next_ticks(None, 40), 40..=40, "a first step starts at the clock");
        assert_eq!(next_ticks(Some(39), 40), 40..=40, "one timer tick, one step");
        assert_eq!(next_ticks(Some(37), 40), 38..=40, "skipped timer ticks are made up");
        assert!(next_ticks(Some(40), 40).is_empty(), "not ahead of the clock");
        assert_eq!(next_ticks(Some(10), 40), 40..=40, "far behind: it jumps");
    }
}
