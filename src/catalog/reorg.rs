//! Reorg detection: a block height a `newHeads` subscription delivers twice with another hash.

use std::collections::{BTreeMap, HashMap};

use super::Summary;

/// What [`ReorgTracker::observe`] concluded about a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockObservation {
    /// A height not seen before on this subscription.
    New,
    /// The same height with the same hash again (a repeated delivery, not a reorg).
    Duplicate,
    /// A height already seen, with a different (or unknown) hash: the chain reorganised.
    Reorg {
        /// The height seen twice.
        height: u64,
        /// The hash first seen at that height, if known.
        previous_hash: Option<String>,
    },
}

/// Flags a block height that a `newHeads` subscription delivers twice as a reorg.
///
/// It remembers the most recent heights (and their hashes) per subscription key, up to a
/// window, so memory stays bounded on a long capture.
#[derive(Clone, Debug)]
pub struct ReorgTracker {
    window: usize,
    seen: HashMap<u64, BTreeMap<u64, Option<String>>>,
}

impl Default for ReorgTracker {
    fn default() -> Self {
        Self::new()
    }
}

impl ReorgTracker {
    /// How many heights are remembered per subscription by default.
    pub const DEFAULT_WINDOW: usize = 1_024;

    /// A tracker remembering [`ReorgTracker::DEFAULT_WINDOW`] heights per subscription.
    pub fn new() -> Self {
        Self::with_window(Self::DEFAULT_WINDOW)
    }

    /// A tracker remembering the `window` highest heights per subscription (at least 1).
    pub fn with_window(window: usize) -> Self {
        Self { window: window.max(1), seen: HashMap::new() }
    }

    /// Records block `height` (with its hash, if known) for subscription `key`.
    pub fn observe(&mut self, key: u64, height: u64, hash: Option<&str>) -> BlockObservation {
        let heights = self.seen.entry(key).or_default();
        let observation = match heights.get(&height) {
            None => BlockObservation::New,
            Some(Some(previous)) if hash == Some(previous.as_str()) => BlockObservation::Duplicate,
            Some(previous) => BlockObservation::Reorg { height, previous_hash: previous.clone() },
        };
        heights.insert(height, hash.map(str::to_owned));
        while heights.len() > self.window {
            heights.pop_first();
        }
        observation
    }

    /// Records a summarised frame if it is a new head (`kind == "newHead"`); other frames
    /// give `None`.
    pub fn observe_summary(&mut self, key: u64, summary: &Summary) -> Option<BlockObservation> {
        if summary.kind.as_deref() != Some("newHead") {
            return None;
        }
        let height = summary.slot_or_block?;
        Some(self.observe(key, height, summary.signature_or_hash.as_deref()))
    }

    /// Forgets a subscription (after it is cancelled or its connection is gone).
    pub fn forget(&mut self, key: u64) {
        self.seen.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::summarize;

    // Frames recorded from anvil 1.7.1 (shared/fixtures), as in the summary tests.

    const NEW_HEAD: &str = r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x596530584a44755a54354a7867794f38","result":{"hash":"0x87a4b6c93295af476c4b5f2913e3379f897dfdf1062f7bbf16fafda450ef4013","parentHash":"0xafa13e0984919f1766e0fb3ee6cc701e4ca376580892ca774d525814bcd463fd","miner":"0x0000000000000000000000000000000000000000","difficulty":"0x0","number":"0x6","gasLimit":"0x1c9c380","gasUsed":"0x0","timestamp":"0x6b029ee9","extraData":"0x","nonce":"0x0000000000000000","baseFeePerGas":"0x1e925e88"}}}"#;

    const LOG: &str = r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x444856666e786959446b734a6667536a","result":{"address":"0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0","topics":["0x48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f"],"data":"0x000000000000000000000000000000000000000000000000000000000000002a","blockHash":"0xc89a4758f4bf3874bf75d572250f12268d11c5e6f631e0b7ecc8df01f521f577","blockNumber":"0x8","blockTimestamp":"0x6b029eeb","transactionHash":"0x06b4ddd7284a1d60df900dc276386f12fdd36a0da7f65c07deb00affac1e46ce","transactionIndex":"0x0","logIndex":"0x0","removed":false}}}"#;

    #[test]
    fn a_height_seen_twice_with_another_hash_is_a_reorg() {
        let mut tracker = ReorgTracker::new();
        assert_eq!(tracker.observe(1, 10, Some("0xa")), BlockObservation::New);
        assert_eq!(tracker.observe(1, 11, Some("0xb")), BlockObservation::New);
        assert_eq!(tracker.observe(1, 11, Some("0xb")), BlockObservation::Duplicate);
        assert_eq!(
            tracker.observe(1, 11, Some("0xc")),
            BlockObservation::Reorg { height: 11, previous_hash: Some("0xb".to_owned()) }
        );
        assert_eq!(tracker.observe(2, 11, Some("0xc")), BlockObservation::New, "keys are separate");
        tracker.forget(1);
        assert_eq!(tracker.observe(1, 11, Some("0xd")), BlockObservation::New);
    }

    #[test]
    fn the_tracker_reads_new_heads_from_summaries_and_forgets_old_heights() {
        let mut tracker = ReorgTracker::with_window(2);
        let head = summarize(NEW_HEAD);
        assert_eq!(tracker.observe_summary(7, &head), Some(BlockObservation::New));
        assert_eq!(tracker.observe_summary(7, &summarize(LOG)), None);
        let other = NEW_HEAD.replace("0x87a4", "0x99a4");
        assert!(matches!(
            tracker.observe_summary(7, &summarize(&other)),
            Some(BlockObservation::Reorg { height: 6, .. })
        ));
        tracker.observe(7, 7, None);
        tracker.observe(7, 8, None);
        assert_eq!(tracker.observe(7, 6, None), BlockObservation::New, "height 6 left the window");
    }
}
