//! The demo's Solana ledger: which slots have a block (one slot in every
//! [`SKIP_WINDOW`] is skipped, as leaders skip theirs now and then: no slot notification, no
//! block, absent from `getBlocks`), the block height of each, and the transactions each block
//! holds, derived from the server's seed and the slot alone (and the keys clients subscribed
//! with, `crate::demo::interest`), so what `logsSubscribe` or `blockSubscribe` sent is what
//! `getTransaction` and `getBlock` answer later. Signatures carry their slot and index
//! ([`fake::locating`]), so a signature a client sends is traced back to its block.

use super::transactions::{SimTx, TxLogs};
use crate::demo::fake::{self, Transfer};
use crate::demo::shared::BASE_SLOT;

/// One slot in every window of this many is skipped (5%, near mainnet's skip rate).
pub(crate) const SKIP_WINDOW: u64 = 20;

/// The block height of [`BASE_SLOT`].
const BASE_HEIGHT: u64 = BASE_SLOT - BASE_SLOT / 50;

/// The [`fake::locating`] domain of signatures.
const SIGNATURE_DOMAIN: u64 = 0x516;

/// The skipped slot's place in window `window` (never the first, so two skipped slots are
/// never next to each other).
fn skipped_in(seed: u64, window: u64) -> u64 {
    fake::seeded(seed, 0x5C1B, window).u64(1..SKIP_WINDOW)
}

/// Whether `slot` has no block (slots before the demo's first count as skipped).
pub(crate) fn is_skipped(seed: u64, slot: u64) -> bool {
    let Some(offset) = slot.checked_sub(BASE_SLOT) else { return true };
    offset % SKIP_WINDOW == skipped_in(seed, offset / SKIP_WINDOW)
}

/// The newest slot with a block at or before `slot`.
pub(crate) fn produced_by(seed: u64, slot: u64) -> u64 {
    if is_skipped(seed, slot) && slot > BASE_SLOT { slot - 1 } else { slot.max(BASE_SLOT) }
}

/// The parent of the block at `slot`: the slot with a block before it.
pub(crate) fn parent(seed: u64, slot: u64) -> u64 {
    produced_by(seed, slot.saturating_sub(1))
}

/// The block height of the block at `slot` (of the one before, for a skipped slot).
pub(crate) fn block_height(seed: u64, slot: u64) -> u64 {
    let slot = produced_by(seed, slot);
    let offset = slot.saturating_sub(BASE_SLOT);
    let window = offset / SKIP_WINDOW;
    let skipped_before = window + u64::from(offset % SKIP_WINDOW > skipped_in(seed, window));
    BASE_HEIGHT + offset - skipped_before
}

/// One transaction of a block.
pub(crate) struct SolTx {
    /// The transfer with its metadata (and the log lines logsSubscribe sends).
    pub(crate) sim: SimTx,
    /// Whether it is a vote.
    pub(crate) vote: bool,
}

impl SolTx {
    /// Whether `key` is one of its accounts.
    pub(crate) fn mentions(&self, key: &str) -> bool {
        self.sim.transfer.account_keys().iter().any(|account| account == key)
    }

    /// Its signature in base58.
    pub(crate) fn signature(&self) -> String {
        self.sim.transfer.signature_b58()
    }
}

/// The transactions of the block at `slot` (none for a skipped slot): a few transfers, a
/// transaction mentioning each of `keys` now and then, and a few votes.
pub(crate) fn transactions(seed: u64, slot: u64, keys: &[String]) -> Vec<SolTx> {
    if is_skipped(seed, slot) {
        return Vec::new();
    }
    let mut rng = fake::seeded(seed, 0x5107, slot);
    let mut txs = Vec::new();
    let mut add = |rng: &mut fastrand::Rng, vote: bool, mention: Option<&str>| {
        let logs = TxLogs::random(rng, vote, mention);
        let mut transfer = Transfer::random(rng, mention);
        let index = u16::try_from(txs.len()).unwrap_or(u16::MAX);
        transfer.signature = fake::locating::<64>(seed, SIGNATURE_DOMAIN, slot, index);
        txs.push(SolTx { sim: SimTx::with_logs(transfer, logs, rng), vote });
    };
    for _ in 0..rng.usize(1..5) {
        add(&mut rng, false, None);
    }
    for key in keys {
        let mut key_rng = fake::seeded(seed ^ key_seed(key), slot, 0x4E);
        if key_rng.u8(0..3) == 0 {
            add(&mut key_rng, false, Some(key));
        }
    }
    for _ in 0..rng.usize(1..4) {
        add(&mut rng, true, None);
    }
    txs
}

/// The slot and index a signature names, if this server made it.
pub(crate) fn locate_signature(seed: u64, signature: &str) -> Option<(u64, u16)> {
    let bytes = fake::decode_base58_exact(signature, 64)?;
    fake::located::<64>(seed, SIGNATURE_DOMAIN, &bytes)
}

/// A number that tells a key from others, the same in every run.
fn key_seed(key: &str) -> u64 {
    use std::hash::{DefaultHasher, Hash as _, Hasher as _};
    let mut hasher = DefaultHasher::new(); // fixed keys: the same in every connection
    key.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_slot_in_a_window_is_skipped_and_heights_count_blocks() {
        let seed = 11;
        let slots: Vec<u64> = (BASE_SLOT..BASE_SLOT + 10 * SKIP_WINDOW).collect();
        let skipped = slots.iter().filter(|slot| is_skipped(seed, **slot)).count();
        assert_eq!(skipped, 10);
        assert_eq!(block_height(seed, BASE_SLOT), BASE_HEIGHT);
        let produced = slots.iter().filter(|slot| !is_skipped(seed, **slot));
        for (height, slot) in (BASE_HEIGHT..).zip(produced) {
            assert_eq!(block_height(seed, *slot), height, "slot {slot}");
            assert!(*slot == BASE_SLOT || !is_skipped(seed, parent(seed, *slot)));
        }
        let tx = transactions(seed, BASE_SLOT, &[]);
        let first = tx.first().map(SolTx::signature).unwrap_or_default();
        assert_eq!(locate_signature(seed, &first), Some((BASE_SLOT, 0)));
        assert_eq!(locate_signature(seed + 1, &first), None);
    }
}
