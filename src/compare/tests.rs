use std::sync::Arc;

use super::*;
use crate::capture::Direction;
use crate::export::SubscriptionInfo;

const A: ConnId = 1;
const B: ConnId = 2;

/// A context where every subscription in `subs` is `method` with `params` on its connection.
fn context(method: &str, params: Option<serde_json::Value>, subs: &[(SubKey, ConnId)]) -> CaptureContext {
    let mut context = CaptureContext::default();
    for (sub, conn) in subs {
        context.subscriptions.insert(
            *sub,
            SubscriptionInfo { method: method.to_owned(), params: params.clone(), server_id: None },
        );
        context.add_connection(*conn, "label", &format!("ws://127.0.0.1:{}/", 9000 + conn));
    }
    context
}

fn slots() -> CaptureContext {
    context("slotSubscribe", None, &[(10, A), (20, B)])
}

fn notification(sub: SubKey, conn: ConnId, at: u64, raw: String) -> CapturedEvent {
    CapturedEvent {
        seq: 0,
        received_at_ms: at,
        connection: conn,
        subscription: Some(sub),
        direction: Direction::In,
        kind: FrameKind::Notification,
        method: Some(Arc::from("slotNotification")),
        raw: raw.into(),
        redacted: false,
        recovered: None,
    }
}

/// A slot notification of `sub` on `conn` at `at` (also for the session's tests).
pub(crate) fn slot(sub: SubKey, conn: ConnId, slot: u64, at: u64) -> CapturedEvent {
    notification(
        sub,
        conn,
        at,
        format!(
            r#"{{"jsonrpc":"2.0","method":"slotNotification","params":{{"result":{{"slot":{slot},"parent":0,"root":0}},"subscription":{sub}}}}}"#
        ),
    )
}

/// The subscribe request of `sub` at `at`: from then on it is a member.
fn subscribed(sub: SubKey, conn: ConnId, at: u64) -> CapturedEvent {
    let mut request = slot(sub, conn, 0, at);
    request.direction = Direction::Out;
    request.kind = FrameKind::Request;
    request
}

fn head(sub: SubKey, number: u64, hash: &str, at: u64) -> CapturedEvent {
    notification(
        sub,
        A,
        at,
        format!(
            r#"{{"jsonrpc":"2.0","method":"eth_subscription","params":{{"subscription":"0x1","result":{{"hash":"{hash}","parentHash":"0x0","number":"0x{number:x}"}}}}}}"#
        ),
    )
}

/// A feeds slots 1..=count every 400 ms; B the same slots `lag` ms later, skipping those
/// `skip` says.
fn two_streams(count: u64, lag: u64, skip: impl Fn(u64) -> bool) -> Compare {
    let context = slots();
    let mut compare = Compare::new(CompareConfig::default());
    let mut events = Vec::new();
    for n in 1..=count {
        events.push(slot(10, A, n, n * 400));
        if !skip(n) {
            events.push(slot(20, B, n, n * 400 + lag));
        }
    }
    events.sort_by_key(|event| event.received_at_ms);
    for event in &events {
        compare.observe(event, &context);
    }
    compare
}

fn endpoints(compare: &Compare) -> Vec<EndpointReport> {
    compare.report().groups.into_iter().flat_map(|group| group.endpoints).collect()
}

#[test]
fn the_faster_endpoint_is_first_and_the_slower_lags_by_the_difference() {
    let mut compare = two_streams(100, 200, |_| false);
    compare.finish(100 * 400 + 1_000);
    let [a, b] = <[EndpointReport; 2]>::try_from(endpoints(&compare)).unwrap_or_else(|_| panic!());
    assert_eq!((a.stats.received, a.stats.first, a.stats.missed), (100, 100, 0));
    assert_eq!((b.stats.received, b.stats.first, b.stats.missed), (100, 0, 0));
    assert_eq!(a.lag.map(|lag| (lag.p50, lag.max)), Some((0, 0)));
    let lag = b.lag.unwrap_or_else(|| panic!("no lag"));
    assert!((197..=203).contains(&lag.p50) && lag.max == 200, "{lag:?}");
    assert_eq!(a.endpoint, "ws://127.0.0.1:9001/");
}

#[test]
fn an_item_one_endpoint_never_delivers_is_missed_once_the_grace_window_passes() {
    let mut compare = two_streams(100, 50, |n| n % 5 == 0);
    // 100 slots are 40 s: those older than 10 s at the last event are settled already.
    let settled_b = endpoints(&compare)[1].stats.missed;
    assert!((10..20).contains(&settled_b), "{settled_b}");
    compare.settle(100 * 400 + 10_000);
    let [a, b] = <[EndpointReport; 2]>::try_from(endpoints(&compare)).unwrap_or_else(|_| panic!());
    assert_eq!((a.stats.missed, b.stats.missed), (0, 20));
    assert_eq!(b.stats.received, 80);
}

#[test]
fn a_delivery_within_the_grace_window_is_not_missed_and_one_after_it_is_late() {
    let context = slots();
    let mut compare = Compare::new(CompareConfig { grace_ms: 10_000, ..CompareConfig::default() });
    compare.observe(&slot(10, A, 1, 1_000), &context);
    compare.observe(&slot(20, B, 1, 1_100), &context); // opens B's count
    compare.observe(&slot(10, A, 2, 2_000), &context);
    compare.observe(&slot(20, B, 2, 11_900), &context); // 9.9 s late: in time
    compare.observe(&slot(10, A, 3, 12_000), &context);
    compare.observe(&slot(20, B, 3, 22_001), &context); // 10.001 s: settled at 22 000 as missed
    let b = &endpoints(&compare)[1];
    assert_eq!((b.stats.missed, b.stats.late, b.stats.received), (0, 1, 3), "late, not missed");
    assert_eq!(b.lag.map(|lag| lag.max), Some(10_001), "a late delivery has its lag");
}

/// The issue's run: slots every 400 ms for 5 s from 100 ms on (the first before B's count
/// opens), a grace of 200 ms, B 800 ms (± 20) behind.
fn eight_hundred_ms_behind() -> Compare {
    let mut events = vec![subscribed(10, A, 0), subscribed(20, B, 0)];
    for n in 1..=12u64 {
        let at = 100 + (n - 1) * 400;
        events.push(slot(10, A, n, at));
        let delay = 780 + (n * 7) % 41; // 780..=820 ms
        if at + delay <= 5_000 {
            events.push(slot(20, B, n, at + delay));
        }
    }
    in_time_order(200, events)
}

/// Slot `events` observed in time order with a grace of `grace_ms`.
fn in_time_order(grace_ms: u64, mut events: Vec<CapturedEvent>) -> Compare {
    let context = slots();
    let mut compare = Compare::new(CompareConfig { grace_ms, ..CompareConfig::default() });
    events.sort_by_key(|event| event.received_at_ms);
    for event in &events {
        compare.observe(event, &context);
    }
    compare
}

#[test]
fn an_endpoint_behind_by_several_grace_windows_is_late_by_its_delay_and_misses_nothing() {
    let mut compare = eight_hundred_ms_behind();
    compare.finish(5_000);
    let [a, b] = <[EndpointReport; 2]>::try_from(endpoints(&compare)).unwrap_or_else(|_| panic!());
    assert_eq!((a.stats.received, a.stats.first, a.stats.missed, a.stats.late), (12, 12, 0, 0));
    // Slot 12 was due after the stop: undecided, not missed.
    assert_eq!((b.stats.received, b.stats.first, b.stats.missed, b.stats.late), (11, 0, 0, 11));
    let lag = b.lag.unwrap_or_else(|| panic!("no lag"));
    assert!(lag.p50.abs_diff(800) <= 50 && lag.max.abs_diff(800) <= 50, "{lag:?}");
    assert_eq!(a.lag.map(|lag| lag.max), Some(0));
}

#[test]
fn while_the_run_goes_on_a_late_item_counts_missed_until_it_comes() {
    let compare = eight_hundred_ms_behind();
    // At B's slot 11 (about 4 900 ms) slot 12 (4 500) has settled, and B owes it.
    let b = compare.stats_of(20).unwrap_or_default();
    assert_eq!((b.missed, b.late), (1, 11), "{b:?}");
}

#[test]
fn an_endpoint_that_goes_silent_misses_what_it_could_no_longer_deliver() {
    let mut events: Vec<CapturedEvent> = (1..=30u64).map(|n| slot(10, A, n, n * 400)).collect();
    events.push(subscribed(20, B, 0));
    events.extend((1..=5u64).map(|n| slot(20, B, n, n * 400 + 800)));
    let mut compare = in_time_order(200, events);
    compare.finish(12_000);
    let b = compare.stats_of(20).unwrap_or_default();
    // Slots 6..=30 are owed; 28..=30 (11 200 on) are within 800 + 200 ms of the stop.
    assert_eq!((b.late, b.missed), (5, 22), "{b:?}");
}

#[test]
fn items_an_endpoint_never_delivers_are_forgotten_after_the_late_horizon() {
    let context = slots();
    let mut compare = Compare::new(CompareConfig { grace_ms: 1_000, ..CompareConfig::default() });
    for n in 1..=10_000u64 {
        compare.observe(&slot(10, A, n, n * 100), &context); // 10 a second for 1 000 s
        if n < 3 {
            compare.observe(&slot(20, B, n, n * 100 + 5), &context);
        }
    }
    let horizon_items = (LATE_HORIZON_MS / 100) as usize;
    assert!(compare.items_held() <= horizon_items + 1, "{}", compare.items_held());
    assert!(compare.items_held() >= horizon_items - 20, "owed items are kept for the horizon");
    // One owed item coming back inside the horizon is late, not a new item.
    compare.observe(&slot(20, B, 9_990, 1_000_050), &context);
    let b = compare.stats_of(20).unwrap_or_default();
    assert_eq!((b.late, b.first), (1, 0), "{b:?}");
}

#[test]
fn a_repeated_item_is_a_duplicate_and_counts_once() {
    let context = slots();
    let mut compare = Compare::new(CompareConfig::default());
    for (sub, conn, n, at) in
        [(10, A, 1, 100), (10, A, 1, 150), (20, B, 1, 120), (20, B, 2, 500), (10, A, 2, 520)]
    {
        compare.observe(&slot(sub, conn, n, at), &context);
    }
    let [a, b] = <[EndpointReport; 2]>::try_from(endpoints(&compare)).unwrap_or_else(|_| panic!());
    assert_eq!((a.stats.received, a.stats.first, a.stats.duplicates), (3, 1, 1));
    assert_eq!((b.stats.received, b.stats.first, b.stats.duplicates), (2, 1, 0));
    assert_eq!(compare.stats_of(10).map(|stats| stats.duplicates), Some(1));
}

#[test]
fn percentiles_follow_the_spread_of_lags() {
    let context = slots();
    let mut compare = Compare::new(CompareConfig::default());
    for n in 1..=1_000u64 {
        compare.observe(&slot(10, A, n, n * 2_000), &context);
        compare.observe(&slot(20, B, n, n * 2_000 + n), &context); // lags 1..=1000 ms
    }
    let lag = endpoints(&compare)[1].lag.unwrap_or_else(|| panic!("no lag"));
    for (got, want) in [(lag.p50, 500), (lag.p90, 900), (lag.p99, 990)] {
        assert!(got.abs_diff(want) <= want / 50, "{lag:?}");
    }
    assert_eq!(lag.max, 1_000);
}

#[test]
fn a_subscription_that_starts_later_misses_nothing_before_its_first_item() {
    let context = slots();
    let mut compare = Compare::new(CompareConfig::default());
    for n in 1..=10 {
        compare.observe(&slot(10, A, n, n * 400), &context);
    }
    for n in 4..=10 {
        compare.observe(&slot(20, B, n, n * 400 + 30), &context);
    }
    compare.settle(60_000);
    assert_eq!(endpoints(&compare)[1].stats.missed, 0);
}

#[test]
fn a_subscription_that_never_delivers_misses_what_comes_a_grace_window_after_it_joined() {
    let context = slots();
    let mut compare = Compare::new(CompareConfig::default());
    let subscribe = subscribed(20, B, 0);
    compare.observe(&subscribe, &context);
    for n in 1..=40 {
        compare.observe(&slot(10, A, n, n * 1_000), &context); // 1 s .. 40 s
    }
    compare.settle(100_000);
    assert_eq!(endpoints(&compare)[1].stats.missed, 31, "slots 10..=40 came once it had had 10 s");
}

#[test]
fn at_the_end_only_items_a_member_went_past_count_as_missed() {
    // B lags 300 ms and skips slot 98; the run stops after A's slot 100, before B's.
    let mut compare = two_streams(100, 300, |n| n == 98 || n == 100);
    compare.finish(100 * 400 + 10);
    let b = &endpoints(&compare)[1];
    assert_eq!(b.stats.missed, 1, "98 was passed by 99; 100 is undecided, not missed");
    assert_eq!(b.stats.received, 98);
}

#[test]
fn new_heads_gaps_count_jumps_and_skipped_numbers_but_not_reorgs() {
    let context = context("eth_subscribe", Some(serde_json::json!(["newHeads"])), &[(10, A)]);
    let mut compare = Compare::new(CompareConfig::default());
    for (number, hash, at) in
        [(1, "0xa1", 1_000), (2, "0xa2", 2_000), (5, "0xa5", 3_000), (5, "0xb5", 3_100), (6, "0xa6", 4_000)]
    {
        compare.observe(&head(10, number, hash, at), &context);
    }
    let stats = compare.stats_of(10).unwrap_or_default();
    assert_eq!((stats.gaps, stats.gap_blocks, stats.duplicates, stats.first), (1, 2, 0, 5));
}

/// A comparison (stalls at 5 × the usual interval, at least 1 s) that has seen slots 1 to 30
/// on subscription 10, 400 ms apart; and the time of the last.
fn steady_slots(context: &CaptureContext) -> (Compare, u64) {
    let mut compare =
        Compare::new(CompareConfig { stall_factor: 5, min_stall_ms: 1_000, ..CompareConfig::default() });
    let mut at = 0;
    for n in 1..=30 {
        at += 400;
        compare.observe(&slot(10, A, n, at), context);
    }
    (compare, at)
}

#[test]
fn a_silence_of_several_usual_intervals_is_a_stall() {
    let context = slots();
    let (mut compare, mut at) = steady_slots(&context);
    assert_eq!(compare.stats_of(10).map(|stats| stats.stalls), Some(0));
    at += 1_900; // under 5 × 400 ms
    compare.observe(&slot(10, A, 31, at), &context);
    assert_eq!(compare.stats_of(10).map(|stats| stats.stalls), Some(0));
    at += 2_500;
    compare.observe(&slot(10, A, 32, at), &context);
    let stats = compare.stats_of(10).unwrap_or_default();
    assert_eq!((stats.stalls, stats.longest_stall_ms), (1, 2_500));
    compare.finish(at + 10_000); // silent until the end: one more
    assert_eq!(compare.stats_of(10).map(|stats| stats.stalls), Some(2));
}

#[test]
fn the_silence_after_an_unsubscribe_is_not_a_stall() {
    let context = slots();
    let (mut compare, at) = steady_slots(&context);
    let unsubscribe = CapturedEvent {
        direction: Direction::Out,
        kind: FrameKind::Request,
        method: Some(Arc::from("slotUnsubscribe")),
        raw: r#"{"jsonrpc":"2.0","id":9,"method":"slotUnsubscribe","params":[0]}"#.into(),
        redacted: false,
        recovered: None,
        ..slot(10, A, 0, at + 400)
    };
    compare.observe(&unsubscribe, &context);
    compare.finish(at + 60_000); // the run goes on for a minute after it
    assert_eq!(compare.stats_of(10).map(|stats| stats.stalls), Some(0));
}

#[test]
fn the_silence_after_a_disconnect_is_not_a_stall_but_after_a_loss_it_is() {
    let context = slots();
    let note = |text: &str, at| CapturedEvent {
        subscription: None,
        direction: Direction::Meta,
        kind: FrameKind::Meta,
        method: None,
        raw: crate::protocol::meta::note_json(text).into(),
        redacted: false,
        recovered: None,
        ..slot(10, A, 0, at)
    };
    for (text, stalls) in [("disconnected", 0), ("connection lost: reset by peer", 1)] {
        let (mut compare, at) = steady_slots(&context);
        compare.observe(&note(text, at + 100), &context);
        compare.finish(at + 60_000); // the file goes on for a minute after it
        assert_eq!(compare.stats_of(10).map(|stats| stats.stalls), Some(stalls), "after {text:?}");
    }
}

#[test]
fn memory_holds_only_two_grace_windows_of_items() {
    let context = slots();
    let mut compare = Compare::new(CompareConfig { grace_ms: 1_000, ..CompareConfig::default() });
    for n in 1..=100_000u64 {
        compare.observe(&slot(10, A, n, n * 10), &context); // 100 items a second
        compare.observe(&slot(20, B, n, n * 10 + 3), &context);
    }
    assert!(compare.items_held() <= 201, "{}", compare.items_held());
    let b = compare.stats_of(20).unwrap_or_default();
    assert!(compare.lag_of(20).is_some_and(|lag| lag.heap_bytes() <= 1_024));
    assert_eq!((b.received, b.missed), (100_000, 0));
}

#[test]
fn groups_follow_requests_and_endpoints_come_in_connection_order() {
    let mut context = slots();
    context
        .subscriptions
        .insert(30, SubscriptionInfo { method: "rootSubscribe".to_owned(), params: None, server_id: None });
    let mut compare = Compare::new(CompareConfig::default());
    compare.observe(&slot(20, B, 1, 10), &context); // B's first
    compare.observe(&slot(10, A, 1, 20), &context);
    let root = r#"{"jsonrpc":"2.0","method":"rootNotification","params":{"result":7,"subscription":3}}"#;
    compare.observe(&notification(30, A, 30, root.to_owned()), &context);
    let report = compare.report();
    assert_eq!(report.groups.len(), 2);
    let conns: Vec<ConnId> = report.groups[0].endpoints.iter().map(|endpoint| endpoint.conn).collect();
    assert_eq!(conns, [A, B]);
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap_or_default();
    let first = &json["subscriptions"][0];
    assert_eq!(first["request"], serde_json::json!({"method": "slotSubscribe"}));
    assert_eq!(first["endpoints"][1]["first"], 1);
    assert_eq!(first["endpoints"][0]["lag_ms"]["max"], 10);
    assert_eq!(json["subscriptions"][1]["endpoints"][0]["lag_ms"]["p50"], 0);
    let table = render_table(&report);
    assert!(table.contains("slotSubscribe\n") && table.contains("ws://127.0.0.1:9002/"), "{table}");
}

#[test]
fn unidentified_notifications_are_counted_but_not_compared() {
    let context = slots();
    let mut compare = Compare::new(CompareConfig::default());
    compare.observe(&notification(10, A, 5, "{not json".to_owned()), &context);
    let a = &endpoints(&compare)[0];
    assert_eq!((a.stats.received, a.stats.unidentified, a.stats.first), (1, 1, 0));
    assert_eq!(a.lag, None);
}

#[test]
fn lags_over_time_are_kept_per_member_and_bounded() {
    let compare = two_streams(LAG_POINTS as u64 + 10, 120, |_| false);
    let series = compare.lag_series(20).unwrap_or_else(|| panic!("no series"));
    assert_eq!(series.len(), LAG_POINTS, "the oldest points make room");
    assert_eq!(series.back(), Some(&(((LAG_POINTS as u64 + 10) * 400) + 120, 120)));
    assert!(compare.lag_series(10).is_some_and(|points| points.iter().all(|&(_, lag)| lag == 0)));
    assert_eq!(compare.group_of(20), vec![(10, A), (20, B)]);
    assert!(compare.group_of(99).is_empty());
}

#[test]
fn a_flood_of_distinct_items_keeps_the_windows_bounded() {
    let context = slots();
    let mut compare = Compare::new(CompareConfig::default());
    // Every item within one millisecond: no grace window ever ends by the clock.
    for n in 0..(MAX_ITEMS as u64 + 5_000) {
        compare.observe(&slot(10, A, n, 1_000), &context);
    }
    assert!(compare.items_held() <= MAX_ITEMS, "{}", compare.items_held());
    assert_eq!(compare.stats_of(10).map(|stats| stats.received), Some(MAX_ITEMS as u64 + 5_000));
    // The report says so: a late delivery of those counts missed.
    let report = compare.report();
    assert_eq!(report.groups[0].settled_early, MAX_ITEMS as u64, "all of the first millisecond's");
    assert_eq!(compare.settled_early(), MAX_ITEMS as u64);
    assert!(render_table(&report).contains("items settled before the grace window ended"));
    assert!(report.to_json().contains(&format!(r#""settled_early":{MAX_ITEMS}"#)));
    // A comparison that never ran out of room says nothing of it.
    let mut quiet = Compare::new(CompareConfig::default());
    for n in 0..3 {
        quiet.observe(&slot(10, A, n, 1_000), &context);
    }
    let report = quiet.report();
    assert_eq!(report.groups[0].settled_early, 0);
    assert!(!render_table(&report).contains("note:"));
}

#[test]
fn deliveries_of_one_item_say_when_each_endpoint_had_it() {
    let mut capture = crate::capture::Capture::new(crate::capture::CaptureLimits::default());
    let mut events = Vec::new();
    for n in 1..=20 {
        events.push(slot(10, A, n, n * 400));
        if n != 7 {
            events.push(slot(20, B, n, n * 400 + 150));
        }
    }
    events.sort_by_key(|event| event.received_at_ms);
    for (seq, mut event) in events.into_iter().enumerate() {
        event.seq = seq as u64;
        capture.push(event);
    }
    let members = [(10, A), (20, B)];
    // B's slot 5 (seq 9): A had it 150 ms before.
    let found = deliveries(&capture, 9, &members, 10_000).unwrap_or_else(|| panic!("none"));
    assert_eq!(found.members, vec![(10, A, Some(2_000)), (20, B, Some(2_150))]);
    // A's slot 7, which B never delivered.
    let seven = capture.iter().find(|event| event.raw.contains("\"slot\":7")).map(|event| event.seq);
    let found = deliveries(&capture, seven.unwrap_or_default(), &members, 10_000).unwrap_or_else(|| panic!());
    assert_eq!(found.members, vec![(10, A, Some(2_800)), (20, B, None)]);
}

#[test]
fn a_recovered_item_moves_from_missed_to_recovered_and_is_never_first_or_late() {
    use crate::capture::{Recovery, RecoveryReason, RecoveryVia};
    let context = slots();
    let recovered = |mut event: CapturedEvent| {
        event.recovered = Some(Recovery::new(RecoveryReason::Gap, RecoveryVia::GetBlocks));
        event
    };
    let mut compare = Compare::new(CompareConfig::default());
    for n in 1..=5 {
        compare.observe(&slot(10, A, n, n * 400), &context);
        compare.observe(&slot(20, B, n, n * 400 + 10), &context);
    }
    // B misses slots 6..=8 live; the window settles them as missed…
    for n in 6..=40 {
        compare.observe(&slot(10, A, n, n * 400), &context);
        if n > 8 {
            compare.observe(&slot(20, B, n, n * 400 + 10), &context);
        }
    }
    assert_eq!(compare.stats_of(20).map(|s| s.missed), Some(3));
    // …until they are recovered: missed → recovered, not late.
    for n in 6..=8 {
        compare.observe(&recovered(slot(20, B, n, 16_100 + n)), &context);
    }
    // A slot B recovers before the window settles it is never missed, and never first.
    compare.observe(&recovered(slot(20, B, 41, 16_200)), &context);
    compare.observe(&slot(10, A, 41, 16_300), &context);
    compare.finish(30_000);
    let stats = compare.stats_of(20).unwrap_or_default();
    assert_eq!((stats.missed, stats.recovered, stats.late, stats.first), (0, 4, 0, 0), "{stats:?}");
    assert_eq!(compare.stats_of(10).map(|s| s.first), Some(41), "A delivered every slot first live");
    assert_eq!(compare.lag_of(10).and_then(LagHistogram::max), Some(0), "A is the reference, never late");
    let table = render_table(&compare.report());
    assert!(table.contains("recovered"), "{table}");
    assert!(compare.report().to_json().contains(r#""recovered":4"#));
}

#[test]
fn a_recovery_that_comes_back_after_the_window_still_moves_the_miss() {
    use crate::capture::{Recovery, RecoveryReason, RecoveryVia};
    let context = slots();
    let mut compare = Compare::new(CompareConfig { grace_ms: 300, ..CompareConfig::default() });
    for n in 1..=20 {
        compare.observe(&slot(10, A, n, n * 400), &context);
        if n != 5 {
            compare.observe(&slot(20, B, n, n * 400 + 10), &context);
        }
    }
    assert_eq!(compare.stats_of(20).map(|s| s.missed), Some(1));
    assert_eq!(compare.take_missed(), [Missed { sub: 20, conn: B, height: 5 }], "asked for once");
    assert!(compare.take_missed().is_empty());
    // Slot 5 comes back 6 s later, long after its window (600 ms) closed.
    let mut late = slot(20, B, 5, 8_400);
    late.recovered = Some(Recovery::new(RecoveryReason::CompareMiss, RecoveryVia::GetBlocks));
    compare.observe(&late, &context);
    compare.observe(&slot(10, A, 21, 8_410), &context);
    compare.observe(&slot(20, B, 21, 8_420), &context);
    compare.finish(20_000);
    let (a, b) = (compare.stats_of(10).unwrap_or_default(), compare.stats_of(20).unwrap_or_default());
    assert_eq!((b.missed, b.recovered), (0, 1), "{b:?}");
    assert_eq!(a.missed, 0, "A is not counted missing what it delivered long ago: {a:?}");
}

#[test]
fn the_json_has_every_column_of_the_table_and_its_format() {
    let context = context("eth_subscribe", Some(serde_json::json!(["newHeads"])), &[(10, A)]);
    let mut compare = Compare::new(CompareConfig::default());
    for (number, at) in (1..=20u64).filter(|n| *n != 12).map(|n| (n, n * 100)) {
        compare.observe(&head(10, number, &format!("0x{number:x}"), at), &context);
    }
    compare.finish(20 * 100 + 5_000); // silent for 5 s after a head every 100 ms
    let json: serde_json::Value = serde_json::from_str(&compare.report().to_json()).unwrap_or_default();
    assert_eq!(json["format"], JSON_FORMAT);
    let endpoint = &json["subscriptions"][0]["endpoints"][0];
    let stats = compare.stats_of(10).unwrap_or_default();
    let want = [
        ("received", 19),
        ("first", 19),
        ("missed", 0),
        ("recovered", 0),
        ("late", 0),
        ("duplicates", 0),
        ("gaps", 1),
        ("gap_blocks", 1),
        ("stalls", 1),
        ("longest_stall_ms", 5_000),
    ];
    for (field, value) in want {
        assert_eq!(endpoint[field], value, "{field} in {endpoint}");
    }
    assert_eq!((stats.gaps, stats.stalls, stats.longest_stall_ms), (1, 1, 5_000));
    assert_eq!(endpoint["lag_ms"], serde_json::json!({"p50": 0, "p90": 0, "p99": 0, "max": 0}));
    let table = render_table(&compare.report());
    let heads = table.lines().nth(1).unwrap_or_default().replace("dup", "duplicates");
    let columns = heads.split(" (lag in ms)").next().unwrap_or_default();
    assert!(columns.contains("stalls"), "{table}");
    for column in columns.split_whitespace() {
        let covered = ["endpoint", "p50", "p90", "p99", "max"].contains(&column);
        assert!(covered || endpoint.get(column).is_some(), "the table's {column} is in the JSON");
    }
}

/// A group compares up to [`MAX_MEMBERS`] subscriptions of one request, one bit each; the
/// last bit counts like the first, and a subscription past them is left out of it.
#[test]
fn a_group_compares_its_most_members_and_leaves_the_next_out() {
    let count = MAX_MEMBERS as u64 + 1;
    let subs: Vec<(SubKey, ConnId)> = (1..=count).map(|n| (n, n as ConnId)).collect();
    let context = context("slotSubscribe", None, &subs);
    let mut compare = Compare::new(CompareConfig::default());
    for &(sub, conn) in &subs {
        compare.observe(&slot(sub, conn, 1, 1_000), &context);
    }
    // Slot 2 from every member but the last two: the 64th member misses it.
    for &(sub, conn) in &subs[..subs.len() - 2] {
        compare.observe(&slot(sub, conn, 2, 1_400), &context);
    }
    compare.finish(60_000);
    let endpoints = endpoints(&compare);
    assert_eq!(endpoints.len(), MAX_MEMBERS, "the 65th subscription is left out");
    assert!(compare.stats_of(count).is_none());
    let last = compare.stats_of(MAX_MEMBERS as u64).unwrap_or_default();
    assert_eq!((last.received, last.duplicates, last.missed), (1, 0, 1), "its bit counts: {last:?}");
    let first = compare.stats_of(1).unwrap_or_default();
    assert_eq!((first.first, first.missed), (2, 0), "{first:?}");
    // The report says one more was not compared, in the table, the window's note and JSON.
    let report = compare.report();
    assert_eq!(report.groups[0].left_out, 1);
    let note = "1 more subscription of this request not compared: at most 64 are";
    assert_eq!(report.groups[0].left_out_note().as_deref(), Some(note));
    assert!(render_table(&report).contains(&format!("note: {note}")));
    assert!(report.to_json().contains(r#""settled_early":0,"left_out":1}"#));
    // A group within the bound says nothing of it.
    assert_eq!(two_streams(3, 0, |_| false).report().groups[0].left_out_note(), None);
}
