//! A long-lived connection keeps time with a fresh one: its timers may skip ticks when the
//! runtime is busy (they skip missed ticks), and what it announces must still follow the
//! server's clock. The connections are driven by hand ([`Detached`]): a tick its timer
//! skipped is a sleep between two calls.

use std::sync::Arc;

use super::*;
use crate::demo::connection::Detached;
use crate::demo::shared::Shared;

/// A connection of `shared` subscribed to slots.
fn slot_watcher(shared: &Arc<Shared>) -> Detached {
    let mut connection = Detached::new(Arc::clone(shared));
    let (frames, alive) =
        connection.receive(Message::text(r#"{"jsonrpc":"2.0","id":1,"method":"slotSubscribe"}"#));
    assert!(alive && frames.len() == 1, "{frames:?}");
    connection
}

/// The slots the notifications in `frames` announce, in order.
fn slots(frames: &[String]) -> Vec<u64> {
    frames
        .iter()
        .filter_map(|frame| serde_json::from_str::<Value>(frame).ok())
        .filter_map(|frame| frame["params"]["result"]["slot"].as_u64())
        .collect()
}

#[test]
fn a_connection_whose_timer_skipped_ticks_announces_what_a_fresh_one_does() {
    // 40 ms slots; the connection's timer misses two ticks out of three, three times over
    // (before, it then trailed by one slot per missed tick, for good).
    let shared = Arc::new(Shared::new(DemoConfig { speed: 10.0, seed: Some(7), ..DemoConfig::default() }));
    let period = shared.clock.slot_interval;
    let mut old = slot_watcher(&shared);
    let mut announced = slots(&old.tick());
    for _ in 0..3 {
        std::thread::sleep(period * 5 / 2);
        announced.extend(slots(&old.tick()));
    }
    let before = shared.clock.slot();
    let mut fresh = slot_watcher(&shared);
    let fresh_slots = slots(&fresh.tick());
    let after = shared.clock.slot();
    let on_clock =
        |slot: Option<&u64>| slot.is_some_and(|slot| (before.saturating_sub(1)..=after).contains(slot));
    assert!(on_clock(fresh_slots.last()), "a fresh connection starts at the clock: {fresh_slots:?}");
    assert!(on_clock(announced.last()), "the old one is on the clock, {before}..={after}: {announced:?}");
    let first = announced.first().copied().unwrap_or_default();
    let every: Vec<u64> = (first..=announced.last().copied().unwrap_or_default()).collect();
    assert_eq!(announced, every, "every slot once, in order: a skipped tick is made up");
}
