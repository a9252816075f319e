//! Capped exponential backoff with jitter, as a pure function of the attempt number: how a
//! connection waits to reconnect, a refused re-subscribe to be sent again, and an HTTP call
//! to be retried after a rate limit.

use std::time::Duration;

/// How a connection reconnects after it was lost.
#[derive(Clone, Debug, PartialEq)]
pub struct ReconnectPolicy {
    /// Whether to reconnect at all.
    pub enabled: bool,
    /// The first delay.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self { enabled: true, initial: Duration::from_millis(500), max: Duration::from_secs(30) }
    }
}

/// The delays before each reconnect attempt.
#[derive(Clone, Debug)]
pub struct Backoff {
    policy: ReconnectPolicy,
    attempt: u32,
}

impl Backoff {
    /// Starts at the first attempt.
    pub fn new(policy: ReconnectPolicy) -> Self {
        Self { policy, attempt: 0 }
    }

    /// The delay before attempt `attempt` (1 = first retry) without jitter:
    /// `initial * 2^(attempt-1)`, at most `max`.
    pub fn base_delay(policy: &ReconnectPolicy, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        policy.initial.saturating_mul(1 << exponent).min(policy.max)
    }

    /// The delay with jitter: uniformly within [50 %, 100 %] of the base delay, so clients
    /// that lost the same server do not all come back at once.
    pub fn jittered(base: Duration, unit_random: f64) -> Duration {
        base.mul_f64(0.5 + 0.5 * unit_random.clamp(0.0, 1.0))
    }

    /// Moves to the next attempt and returns its number and delay.
    pub fn next_delay(&mut self) -> (u32, Duration) {
        self.attempt = self.attempt.saturating_add(1);
        let base = Self::base_delay(&self.policy, self.attempt);
        (self.attempt, Self::jittered(base, fastrand::f64()))
    }

    /// Starts over after a connection stayed open.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_then_stay_at_the_cap() {
        let policy = ReconnectPolicy {
            enabled: true,
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
        };
        let delays: Vec<u64> = (1..=10).map(|n| Backoff::base_delay(&policy, n).as_millis() as u64).collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
        assert_eq!(Backoff::base_delay(&policy, u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn jitter_stays_within_half_and_full_delay() {
        let base = Duration::from_secs(8);
        assert_eq!(Backoff::jittered(base, 0.0), Duration::from_secs(4));
        assert_eq!(Backoff::jittered(base, 1.0), base);
        let mut backoff = Backoff::new(ReconnectPolicy::default());
        for expected_attempt in 1..=5 {
            let (attempt, delay) = backoff.next_delay();
            assert_eq!(attempt, expected_attempt);
            let base = Backoff::base_delay(&ReconnectPolicy::default(), attempt);
            assert!(delay >= base / 2 && delay <= base);
        }
        backoff.reset();
        assert_eq!(backoff.next_delay().0, 1);
    }
}
