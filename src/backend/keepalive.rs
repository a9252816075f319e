//! Keepalive for one open connection: when to ping, and when a silent connection counts as
//! lost. Pure timing logic: the caller passes the current instant and reports pongs; the
//! socket only bumps a shared count of bytes received, so every byte read (even in the middle
//! of a frame too big to have arrived yet) counts as a sign of life.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// What keepalive asks for now.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum KeepaliveStep {
    /// Nothing to do.
    Idle,
    /// Send a ping.
    Ping,
    /// The pong timeout passed after a ping with neither a pong nor a byte received.
    Dead,
}

/// Pings every `ping_interval`; the connection is dead when `pong_timeout` passes after a
/// ping with neither a pong nor a single byte received.
pub(super) struct Keepalive {
    ping_interval: Duration,
    pong_timeout: Duration,
    next_ping: Instant,
    /// The unanswered ping: the byte count when it was sent, and its deadline.
    waiting: Option<(u64, Instant)>,
    /// Bytes received on the connection so far, counted by the socket.
    received: Arc<AtomicU64>,
}

impl Keepalive {
    /// Starts at `now`: the first ping is due one interval later.
    pub(super) fn new(
        ping_interval: Duration,
        pong_timeout: Duration,
        received: Arc<AtomicU64>,
        now: Instant,
    ) -> Self {
        Self { ping_interval, pong_timeout, next_ping: now + ping_interval, waiting: None, received }
    }

    /// How long a ping may go unanswered.
    pub(super) fn pong_timeout(&self) -> Duration {
        self.pong_timeout
    }

    /// When the next ping or pong deadline is due.
    pub(super) fn next_due(&self) -> Instant {
        self.waiting.map_or(self.next_ping, |(_, deadline)| deadline.min(self.next_ping))
    }

    /// A pong arrived.
    pub(super) fn answered(&mut self) {
        self.waiting = None;
    }

    /// What is due at `now`: a ping, nothing, or giving up on a connection that went silent.
    pub(super) fn check(&mut self, now: Instant) -> KeepaliveStep {
        let received = self.received.load(Ordering::Relaxed);
        if let Some((at_ping, deadline)) = self.waiting {
            if received > at_ping {
                self.waiting = None; // it is receiving: alive, whatever the pong does
            } else if now >= deadline {
                return KeepaliveStep::Dead;
            }
        }
        if now < self.next_ping {
            return KeepaliveStep::Idle;
        }
        self.next_ping = now + self.ping_interval;
        if self.waiting.is_some() {
            return KeepaliveStep::Idle;
        }
        self.waiting = Some((received, now + self.pong_timeout));
        KeepaliveStep::Ping
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PING: Duration = Duration::from_secs(30);
    const PONG: Duration = Duration::from_secs(20);

    fn keepalive(start: Instant) -> (Keepalive, Arc<AtomicU64>) {
        let received = Arc::new(AtomicU64::new(0));
        (Keepalive::new(PING, PONG, Arc::clone(&received), start), received)
    }

    #[test]
    fn a_ping_is_due_one_interval_after_the_start_and_then_every_interval() {
        let start = Instant::now();
        let (mut keepalive, _) = keepalive(start);
        assert_eq!(keepalive.next_due(), start + PING);
        assert_eq!(keepalive.check(start), KeepaliveStep::Idle);
        assert_eq!(keepalive.check(start + PING - Duration::from_millis(1)), KeepaliveStep::Idle);
        assert_eq!(keepalive.check(start + PING), KeepaliveStep::Ping);
        assert_eq!(keepalive.next_due(), start + PING + PONG, "the pong deadline comes first");
        keepalive.answered();
        assert_eq!(keepalive.next_due(), start + PING * 2);
        assert_eq!(keepalive.check(start + PING * 2), KeepaliveStep::Ping);
    }

    #[test]
    fn a_pong_keeps_the_connection_alive_past_the_timeout() {
        let start = Instant::now();
        let (mut keepalive, _) = keepalive(start);
        assert_eq!(keepalive.check(start + PING), KeepaliveStep::Ping);
        keepalive.answered();
        assert_eq!(keepalive.check(start + PING + PONG), KeepaliveStep::Idle);
        assert_eq!(keepalive.check(start + PING + PONG * 2), KeepaliveStep::Ping, "the next interval");
    }

    #[test]
    fn without_a_pong_or_a_byte_the_connection_is_dead_at_the_timeout() {
        let start = Instant::now();
        let (mut keepalive, _) = keepalive(start);
        assert_eq!(keepalive.check(start + PING), KeepaliveStep::Ping);
        assert_eq!(keepalive.check(start + PING + PONG - Duration::from_millis(1)), KeepaliveStep::Idle);
        assert_eq!(keepalive.check(start + PING + PONG), KeepaliveStep::Dead);
        assert_eq!(keepalive.pong_timeout(), PONG);
    }

    #[test]
    fn bytes_received_after_the_ping_count_as_life() {
        let start = Instant::now();
        let (mut keepalive, received) = keepalive(start);
        received.fetch_add(100, Ordering::Relaxed); // before the ping: not an answer to it
        assert_eq!(keepalive.check(start + PING), KeepaliveStep::Ping);
        received.fetch_add(1, Ordering::Relaxed); // one byte of a big frame, no pong
        assert_eq!(keepalive.check(start + PING + PONG), KeepaliveStep::Idle);
        assert_eq!(keepalive.next_due(), start + PING * 2, "no deadline left");
    }

    #[test]
    fn bytes_received_only_before_the_ping_do_not() {
        let start = Instant::now();
        let (mut keepalive, received) = keepalive(start);
        received.fetch_add(100, Ordering::Relaxed);
        assert_eq!(keepalive.check(start + PING), KeepaliveStep::Ping);
        assert_eq!(keepalive.check(start + PING + PONG), KeepaliveStep::Dead);
    }

    #[test]
    fn a_ping_interval_shorter_than_the_timeout_sends_no_second_ping_while_one_waits() {
        let start = Instant::now();
        let received = Arc::new(AtomicU64::new(0));
        let interval = Duration::from_millis(200);
        let timeout = Duration::from_millis(300);
        let mut keepalive = Keepalive::new(interval, timeout, received, start);
        assert_eq!(keepalive.check(start + interval), KeepaliveStep::Ping);
        assert_eq!(keepalive.check(start + interval * 2), KeepaliveStep::Idle, "one ping waits");
        assert_eq!(keepalive.next_due(), start + interval + timeout);
        assert_eq!(keepalive.check(start + interval + timeout), KeepaliveStep::Dead);
    }
}
