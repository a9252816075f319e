//! The chain clocks' side of a connection: on each Solana slot, Ethereum block and mempool
//! tick, every subscription's notifications for that moment.

use std::time::{SystemTime, UNIX_EPOCH};

use super::{Connection, Flow};
use crate::demo::ethereum::{self, BlockCtx, BlockRef, EthKind};
use crate::demo::solana::{self, AfterSlot, SlotCtx};

/// A connection that falls this many clock ticks behind jumps to the current height.
const MAX_TICK_LAG: u64 = 5;

/// The wall clock in milliseconds since the Unix epoch.
fn unix_ms() -> u64 {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

/// The next clock position of a connection: one step after the last, unless the shared clock
/// is far ahead (a stalled connection catches up) or this is the first step.
fn next_tick(last: Option<u64>, clock: u64) -> u64 {
    match last {
        Some(last) if clock <= last.saturating_add(MAX_TICK_LAG) => last.saturating_add(1),
        _ => clock,
    }
}

impl Connection {
    /// One Solana slot: every Solana subscription may notify.
    pub(super) fn on_slot(&mut self) -> Flow {
        if self.solana.is_empty() {
            self.last_slot = None;
            return Flow::Continue;
        }
        let slot = next_tick(self.last_slot, self.shared.clock.slot());
        self.last_slot = Some(slot);
        let ctx = SlotCtx { slot, unix_ms: unix_ms(), seed: self.shared.clock.seed };
        let mut frames = Vec::new();
        let mut finished = Vec::new();
        for (id, kind) in &mut self.solana {
            if solana::notify_slot(*id, kind, &ctx, &mut self.rng, &mut frames) == AfterSlot::Remove {
                finished.push(*id);
            }
        }
        for id in finished {
            self.solana.remove(&id);
            self.shared.registry.release(id);
        }
        self.enqueue_frames(frames);
        if self.lagged { Flow::End } else { Flow::Continue }
    }

    /// One Ethereum block (or reorg): heads, logs and mined transactions.
    pub(super) fn on_block(&mut self) -> Flow {
        let watches_blocks = self.ethereum.iter().any(|sub| {
            matches!(sub.kind, EthKind::NewHeads | EthKind::Logs(_) | EthKind::AlchemyMined { .. })
        });
        if !watches_blocks {
            self.last_block_tick = None;
            return Flow::Continue;
        }
        let tick = next_tick(self.last_block_tick, self.shared.clock.block_tick());
        self.last_block_tick = Some(tick);
        let ctx = BlockCtx {
            block: BlockRef::at_tick(tick),
            timestamp: unix_ms() / 1000,
            seed: self.shared.clock.seed,
        };
        let mut frames = Vec::new();
        for sub in &mut self.ethereum {
            ethereum::notify_block(sub, &ctx, &mut self.rng, &mut frames);
        }
        self.enqueue_frames(frames);
        if self.lagged { Flow::End } else { Flow::Continue }
    }

    /// One mempool tick: pending transactions.
    pub(super) fn on_mempool(&mut self) -> Flow {
        let mut frames = Vec::new();
        for sub in &self.ethereum {
            ethereum::notify_mempool(sub, &mut self.rng, &mut frames);
        }
        self.enqueue_frames(frames);
        if self.lagged { Flow::End } else { Flow::Continue }
    }
}
