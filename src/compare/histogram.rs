//! Lag percentiles from a bounded structure.
//!
//! An HDR-style log-linear histogram of milliseconds: exact below 64 ms, then 32 buckets per
//! power of two, so any percentile is within 1/64 (1.6 %) of the true value (it reports a
//! bucket's middle). Chosen over a capped reservoir because its memory does not depend on
//! the run's length (a 10 s lag needs 320 counters, 2.5 KB; the most it can ever need is
//! 1,920), every value counts (a reservoir keeps a random sample, so p99 and the tail it is
//! wanted for move from run to run), and max is exact.

/// Values below this are counted exactly.
const EXACT: u64 = 64;

/// Sub-buckets per power of two above [`EXACT`] (a power of two itself).
const SUB_BUCKETS: u64 = 32;

/// log2 of [`SUB_BUCKETS`].
const SUB_BITS: u32 = 5;

/// log2 of [`EXACT`].
const EXACT_BITS: u32 = 6;

/// Lags in milliseconds; see the module docs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LagHistogram {
    /// Counts per bucket, grown to the highest bucket used.
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

impl LagHistogram {
    /// Counts one value.
    pub fn record(&mut self, ms: u64) {
        let index = bucket(ms);
        if self.counts.len() <= index {
            self.counts.resize(index + 1, 0);
        }
        self.counts[index] += 1;
        self.total += 1;
        self.max = self.max.max(ms);
    }

    /// How many values were counted.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The largest value counted, exactly.
    pub fn max(&self) -> Option<u64> {
        (self.total > 0).then_some(self.max)
    }

    /// The value at quantile `q` (0.5 for the median), within 1.6 %; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let (low, width) = bounds(index);
                return Some((low + width / 2).min(self.max));
            }
        }
        Some(self.max)
    }

    /// The bytes it holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.counts.capacity() * size_of::<u64>()
    }
}

/// The bucket of a value.
fn bucket(ms: u64) -> usize {
    if ms < EXACT {
        return ms as usize;
    }
    let power = 63 - ms.leading_zeros(); // at least EXACT_BITS
    let sub = (ms >> (power - SUB_BITS)) & (SUB_BUCKETS - 1);
    (EXACT + u64::from(power - EXACT_BITS) * SUB_BUCKETS + sub) as usize
}

/// A bucket's lowest value and width.
fn bounds(index: usize) -> (u64, u64) {
    let index = index as u64;
    if index < EXACT {
        return (index, 1);
    }
    let power = (index - EXACT) / SUB_BUCKETS + u64::from(EXACT_BITS);
    let sub = (index - EXACT) % SUB_BUCKETS;
    let shift = power - u64::from(SUB_BITS);
    ((SUB_BUCKETS + sub) << shift, 1 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_exact_and_large_ones_within_two_percent() {
        let mut histogram = LagHistogram::default();
        for ms in 0..=40 {
            histogram.record(ms);
        }
        assert_eq!(histogram.quantile(0.5), Some(20));
        assert_eq!(histogram.quantile(1.0), Some(40));
        for value in [64, 100, 200, 1_000, 9_999, 123_456, u64::MAX / 3] {
            let mut one = LagHistogram::default();
            one.record(value);
            one.record(value.saturating_add(1_000_000)); // a larger max, so the middle is reported
            let found = one.quantile(0.5).unwrap_or_default();
            let error = found.abs_diff(value) as f64 / value as f64;
            assert!(error <= 1.0 / 64.0, "{value} read as {found}");
        }
    }

    #[test]
    fn every_value_has_a_bucket_that_contains_it() {
        for value in (0..5_000).chain([u64::MAX, 1 << 40, (1 << 40) - 1]) {
            let (low, width) = bounds(bucket(value));
            assert!(low <= value && value - low < width, "{value}: {low}+{width}");
        }
    }

    #[test]
    fn percentiles_of_a_uniform_spread_land_where_they_should() {
        let mut histogram = LagHistogram::default();
        for ms in 1..=1_000 {
            histogram.record(ms);
        }
        let near = |q: f64, want: u64| {
            let got = histogram.quantile(q).unwrap_or_default();
            assert!(got.abs_diff(want) <= want / 50 + 1, "p{q}: {got}, want {want}");
        };
        near(0.5, 500);
        near(0.9, 900);
        near(0.99, 990);
        assert_eq!(histogram.max(), Some(1_000));
        assert_eq!(histogram.count(), 1_000);
    }

    #[test]
    fn memory_stays_small_whatever_the_count() {
        let mut histogram = LagHistogram::default();
        for round in 0..100_000u64 {
            histogram.record(round % 10_000);
        }
        assert!(histogram.heap_bytes() <= 4 * 1024, "{}", histogram.heap_bytes());
        assert_eq!(LagHistogram::default().quantile(0.5), None);
    }
}
