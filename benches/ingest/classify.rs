//! The `classify` mode of the ingest benchmark: what classifying one frame costs
//! ([`parse_incoming`], the first thing done with every frame, on the connection's thread),
//! beside serde_json only checking that the same text is JSON (`IgnoredAny`, the least serde
//! can do with it), in the same process, on frames as real nodes send them.
//!
//! Then what `compare` does with a notification once it is classified
//! ([`Compare::observe`]: the item's identity and the bookkeeping of its windows), per
//! notification, for one subscription alone and for two delivering the same items, over a
//! flood of distinct items (20 a millisecond, so the group is full at [`MAX_ITEMS`]), beside
//! the same serde check.
//!
//! Run: `cargo bench --no-default-features --bench ingest -- classify` (or `MODE=classify`),
//! with FRAMES=100000 calls per turn and ROUNDS=30 turns by default; the best turn of each is
//! shown (the two are measured in turns, so a slow spell of the machine falls on both).

use std::hint::black_box;
use std::time::Instant;

use serde::de::IgnoredAny;
use subscope::capture::{CapturedEvent, Direction};
use subscope::catalog::{item_fingerprint, parse_identified};
use subscope::compare::{Compare, CompareConfig, MAX_ITEMS};
use subscope::export::{CaptureContext, SubscriptionInfo};
use subscope::protocol::{FrameKind, Incoming, parse_incoming};

use super::{env_usize, frames};

/// Frames recorded from solana-test-validator 3.1.12 and anvil 1.7.1, and the flood's own.
fn shapes() -> Vec<(&'static str, String)> {
    vec![
        (
            "slotNotification",
            r#"{"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":25,"parent":24,"root":0},"subscription":0}}"#.into(),
        ),
        (
            "accountNotification",
            r#"{"jsonrpc":"2.0","method":"accountNotification","params":{"result":{"context":{"slot":33},"value":{"lamports":2000000000,"data":["","base64"],"owner":"11111111111111111111111111111111","executable":false,"rentEpoch":18446744073709551615,"space":0}},"subscription":3}}"#.into(),
        ),
        (
            "logsNotification",
            r#"{"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":33},"value":{"signature":"3nW1uWJSay1195rP7GYsch6UBWxcgyYbu3wz3ZBz9DaStSZnBTCo6vobMmk4dWXuarqofcA6gEKokbwv9dgEXxsX","err":null,"logs":["Program 11111111111111111111111111111111 invoke [1]","Program 11111111111111111111111111111111 success"]}},"subscription":5}}"#.into(),
        ),
        (
            "eth_subscription logs",
            r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x444856666e786959446b734a6667536a","result":{"address":"0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0","topics":["0x48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f"],"data":"0x000000000000000000000000000000000000000000000000000000000000002a","blockHash":"0xc89a4758f4bf3874bf75d572250f12268d11c5e6f631e0b7ecc8df01f521f577","blockNumber":"0x8","blockTimestamp":"0x6b029eeb","transactionHash":"0x06b4ddd7284a1d60df900dc276386f12fdd36a0da7f65c07deb00affac1e46ce","transactionIndex":"0x0","logIndex":"0x0","removed":false}}}"#.into(),
        ),
        ("the flood's logsNotification", frames(1).remove(0)),
    ]
}

/// Nanoseconds per call of `f` over `calls` calls.
fn ns_per_call(calls: usize, f: &mut impl FnMut() -> bool) -> f64 {
    let start = Instant::now();
    let mut yes = 0usize;
    for _ in 0..calls {
        yes += usize::from(black_box(f()));
    }
    assert_eq!(yes, calls, "every frame is a notification and valid JSON");
    start.elapsed().as_nanos() as f64 / calls as f64
}

/// The best nanoseconds per call of `ours` and of `baseline`, measured in turns (`rounds`
/// turns of `calls` calls each), so a slow spell of the machine falls on both.
fn best_in_turns(
    calls: usize,
    rounds: usize,
    mut ours: impl FnMut() -> bool,
    mut baseline: impl FnMut() -> bool,
) -> (f64, f64) {
    (0..rounds).fold((f64::INFINITY, f64::INFINITY), |(a, b), _| {
        (a.min(ns_per_call(calls, &mut ours)), b.min(ns_per_call(calls, &mut baseline)))
    })
}

pub fn run() {
    let calls = env_usize("FRAMES", 100_000);
    let rounds = env_usize("ROUNDS", 30);
    println!("ingest benchmark, classify mode: {calls} calls per turn, best of {rounds} turns");
    println!(
        "{:<30} {:>6} {:>14} {:>14} {:>7} {:>14} {:>7} {:>14} {:>7}",
        "frame", "bytes", "classify", "serde check", "ratio", "item id", "ratio", "both, 1 pass", "ratio"
    );
    for (name, frame) in shapes() {
        let (ours, serde) = best_in_turns(
            calls,
            rounds,
            || {
                matches!(
                    parse_incoming(black_box(&frame)),
                    Incoming::Notification { subscription: Some(_), .. }
                )
            },
            || serde_json::from_str::<IgnoredAny>(black_box(&frame)).is_ok(),
        );
        // What `compare` adds per frame: the item's identity, beside the same serde check.
        let (key, serde_again) = best_in_turns(
            calls,
            rounds,
            || item_fingerprint(black_box(&frame)).is_some(),
            || serde_json::from_str::<IgnoredAny>(black_box(&frame)).is_ok(),
        );
        // Both in the one pass that classifies (what a connection does when items are
        // compared), beside classifying alone.
        let (both, classify_again) = best_in_turns(
            calls,
            rounds,
            || {
                let (incoming, identity) = parse_identified(black_box(&frame));
                matches!(incoming, Incoming::Notification { .. }) && matches!(identity, Some(Some(_)))
            },
            || matches!(parse_incoming(black_box(&frame)), Incoming::Notification { .. }),
        );
        println!(
            "{name:<30} {:>6} {:>11.0} ns {:>11.0} ns {:>6.2}x {:>11.0} ns {:>6.2}x {:>11.0} ns {:>6.2}x",
            frame.len(),
            ours,
            serde,
            ours / serde,
            key,
            key / serde_again,
            both,
            both / classify_again
        );
    }
    observe(rounds.min(5));
}

/// `count` notifications of `members` subscriptions of one request, each item delivered by
/// every member in turn, 20 items a millisecond; and the context naming them.
fn deliveries(count: usize, members: usize) -> (Vec<CapturedEvent>, CaptureContext) {
    let mut context = CaptureContext::default();
    for sub in 1..=members as u64 {
        let info = SubscriptionInfo {
            method: "logsSubscribe".into(),
            params: Some(serde_json::json!(["all"])),
            server_id: None,
        };
        context.subscriptions.insert(sub, info);
    }
    let frames = frames(count.div_ceil(members));
    let events = (0..count)
        .map(|index| {
            let (item, member) = (index / members, index % members);
            CapturedEvent {
                seq: index as u64,
                received_at_ms: 1_700_000_000_000 + item as u64 / 20,
                connection: member as u32 + 1,
                subscription: Some(member as u64 + 1),
                direction: Direction::In,
                kind: FrameKind::Notification,
                method: Some("logsNotification".into()),
                raw: frames[item].clone().into(),
                redacted: false,
                recovered: None,
            }
        })
        .collect();
    (events, context)
}

/// [`Compare::observe`] per notification, for one member and for two, beside the serde check
/// of the same frames; the best of `rounds` turns over a fresh comparison each.
pub fn observe(rounds: usize) {
    let count = 4 * MAX_ITEMS;
    println!("compare's observe, {count} notifications of distinct items, best of {rounds} turns:");
    for members in [1, 2] {
        let (events, context) = deliveries(count, members);
        // As `compare` has them: read by the connection while it classified the frame.
        let identities: Vec<_> = events.iter().map(|event| item_fingerprint(&event.raw)).collect();
        let mut best = (f64::INFINITY, f64::INFINITY);
        let mut identified = f64::INFINITY;
        for _ in 0..rounds {
            let mut compare = Compare::new(CompareConfig::default());
            let start = Instant::now();
            for event in &events {
                compare.observe(black_box(event), &context);
            }
            let ours = start.elapsed().as_nanos() as f64 / count as f64;
            black_box(compare.report());
            let mut compare = Compare::new(CompareConfig::default());
            let start = Instant::now();
            for (event, identity) in events.iter().zip(&identities) {
                compare.observe_identified(black_box(event), Some(*identity), &context);
            }
            identified = identified.min(start.elapsed().as_nanos() as f64 / count as f64);
            black_box(compare.report());
            let start = Instant::now();
            let checked = events
                .iter()
                .filter(|event| serde_json::from_str::<IgnoredAny>(black_box(event.raw.as_str())).is_ok());
            assert_eq!(checked.count(), count);
            best = (best.0.min(ours), best.1.min(start.elapsed().as_nanos() as f64 / count as f64));
        }
        println!(
            "  {members} subscription(s): {:.0} ns per notification, {:.2}x the serde check ({:.0} ns); \
             {identified:.0} ns with the item identified already",
            best.0,
            best.0 / best.1,
            best.1
        );
    }
}
