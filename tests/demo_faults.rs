//! The backend against the project's demo server, for the faults no real node produces on
//! demand: malformed and huge frames, refusals, floods, drops and close frames.

mod support;

use std::time::Duration;

use serde_json::json;
use subscope::backend::{ConnState, ConnectionConfig, EndReason, Event, SubscribeOutcome};
use subscope::capture::Direction;
use subscope::demo::{CLOSE_FAULT_REASON, DemoConfig, DemoServer, HUGE_FRAME_BYTES};
use subscope::protocol::FrameKind;
use support::Driver;

const WAIT: Duration = Duration::from_secs(20);

async fn demo() -> DemoServer {
    DemoServer::start(DemoConfig { speed: 10.0, ..DemoConfig::default() })
        .await
        .unwrap_or_else(|err| panic!("demo server: {err}"))
}

async fn fault(driver: &mut Driver, conn: u32, fault: serde_json::Value) {
    let request = driver.request(conn, "demo_fault", Some(json!([fault])));
    assert_eq!(driver.response(request).await, Ok("true".into()));
}

fn reconnect_reasons(driver: &Driver) -> Vec<String> {
    driver
        .events
        .iter()
        .filter_map(|e| match e {
            Event::State { state: ConnState::Reconnecting { reason, .. }, .. } => Some(reason.to_string()),
            _ => None,
        })
        .collect()
}

fn flood_number(raw: &str) -> Option<u64> {
    let at = raw.find("flood #")? + "flood #".len();
    raw[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_are_captured_as_such_and_the_connection_stays_open() {
    let server = demo().await;
    let mut driver = Driver::new();
    let conn = driver.connect(&server.url());
    let slot = driver.subscribe(conn, "slotSubscribe", None);
    driver.notified(slot, 1, WAIT).await;
    fault(&mut driver, conn, json!({"kind": "malformed"})).await;
    let kinds = [FrameKind::NotJson, FrameKind::Unknown, FrameKind::Binary];
    let binaries = |d: &Driver| d.captured.iter().filter(|e| e.kind == FrameKind::Binary).count();
    driver
        .until("the four malformed frames", WAIT, |d| {
            (kinds
                .iter()
                .all(|kind| d.captured.iter().any(|e| e.kind == *kind && e.direction == Direction::In))
                && binaries(d) == 2)
                .then_some(())
        })
        .await;
    let raw_of =
        |kind| driver.captured.iter().find(|e| e.kind == kind).map(|e| e.raw.to_string()).unwrap_or_default();
    assert_eq!(raw_of(FrameKind::NotJson), "{not json");
    assert_eq!(raw_of(FrameKind::Unknown), r#"{"hello":"world"}"#);
    let binary: Vec<String> =
        driver.captured.iter().filter(|e| e.kind == FrameKind::Binary).map(|e| e.raw.to_string()).collect();
    let words: String = b"plain words in a binary frame".iter().map(|byte| format!("{byte:02x}")).collect();
    assert_eq!(binary, ["fffe0080c328".to_owned(), words], "binary frames are kept as hex, UTF-8 or not");
    let before = driver.notifications(slot).len();
    driver.notified(slot, before + 2, WAIT).await;
    assert!(reconnect_reasons(&driver).is_empty(), "malformed frames must not cost the connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_megabyte_frame_arrives_whole() {
    let server = demo().await;
    let mut driver = Driver::new();
    let conn = driver.connect(&server.url());
    let logs = driver.subscribe(conn, "logsSubscribe", Some(json!(["all"])));
    driver.active(logs).await;
    fault(&mut driver, conn, json!({"kind": "huge"})).await;
    let size = driver
        .until("the huge frame", WAIT, |d| {
            d.notifications(logs).iter().map(|e| e.size()).find(|size| *size >= HUGE_FRAME_BYTES)
        })
        .await;
    let huge = driver
        .notifications(logs)
        .into_iter()
        .find(|e| e.size() == size)
        .map(|e| e.raw.to_string())
        .unwrap_or_default();
    let value: serde_json::Value =
        serde_json::from_str(&huge).unwrap_or_else(|err| panic!("the huge frame is not whole JSON: {err}"));
    assert_eq!(value["method"], "logsNotification");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_subscription_carries_the_servers_error() {
    let server = demo().await;
    let mut driver = Driver::new();
    let conn = driver.connect(&server.url());
    fault(&mut driver, conn, json!({"kind": "refuse"})).await;
    let slot = driver.subscribe(conn, "slotSubscribe", None);
    match driver.answer(slot, 0).await {
        (SubscribeOutcome::Failed(err), _) => {
            assert_eq!(err.code, -32603);
            assert_eq!(err.message, "Internal Error: Subscription refused. Node subscription limit reached");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_consumer_loses_nothing_and_keeps_the_connection() {
    let server = demo().await;
    let mut driver = Driver::new();
    let conn = driver.connect(&server.url());
    let logs = driver.subscribe(conn, "logsSubscribe", Some(json!(["all"])));
    driver.active(logs).await;
    const COUNT: u64 = 100_000;
    fault(&mut driver, conn, json!({"kind": "flood", "count": COUNT})).await;
    // The consumer stalls (as a UI behind a modal dialog does) while the flood arrives.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let flooded: Vec<u64> = driver
        .until("the whole flood", WAIT, |d| {
            let numbers: Vec<u64> =
                d.notifications(logs).iter().filter_map(|e| flood_number(&e.raw)).collect();
            (numbers.len() as u64 >= COUNT).then_some(numbers)
        })
        .await;
    assert!(flooded.iter().copied().eq(0..COUNT), "every flood frame, once, in order");
    assert_eq!(driver.evicted, 0);
    assert!(
        reconnect_reasons(&driver).is_empty(),
        "the server never had to drop us: {:?}",
        reconnect_reasons(&driver)
    );
    let seqs: Vec<u64> = driver.captured.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|pair| pair[1] == pair[0] + 1), "sequence numbers are contiguous");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_restored_and_resubscribed() {
    let server = demo().await;
    let mut driver = Driver::new();
    let conn = driver.connect(&server.url());
    let slot = driver.subscribe(conn, "slotSubscribe", None);
    let heads = driver.subscribe(conn, "eth_subscribe", Some(json!(["newHeads"])));
    driver.notified(slot, 1, WAIT).await;
    driver.active(heads).await;
    fault(&mut driver, conn, json!({"kind": "drop"})).await;
    for sub in [slot, heads] {
        let (outcome, resubscribed) = driver.answer(sub, 1).await;
        assert!(resubscribed && matches!(outcome, SubscribeOutcome::Active(_)), "{outcome:?}");
    }
    let reasons = reconnect_reasons(&driver);
    assert!(reasons.iter().any(|r| r.contains("without a close frame")), "{reasons:?}");
    let before = driver.notifications(slot).len();
    driver.notified(slot, before + 2, WAIT).await;
    assert!(driver.events.iter().any(|e| matches!(e, Event::Gap { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_frame_reason_is_reported() {
    let server = demo().await;
    let mut driver = Driver::new();
    let conn = driver.connect(&server.url());
    driver.open(conn).await;
    fault(&mut driver, conn, json!({"kind": "close"})).await;
    let reason = driver.until("the close reason", WAIT, |d| reconnect_reasons(d).into_iter().next()).await;
    assert!(reason.contains("1011") && reason.contains(CLOSE_FAULT_REASON), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_connection_does_not_stall_another() {
    let server = demo().await;
    let mut driver = Driver::new();
    let flooding = driver.connect(&server.url());
    let quiet = driver.connect(&server.url());
    let logs = driver.subscribe(flooding, "logsSubscribe", Some(json!(["all"])));
    let slot = driver.subscribe(quiet, "slotSubscribe", None);
    driver.active(logs).await;
    driver.notified(slot, 1, WAIT).await;
    const COUNT: u64 = 300_000;
    fault(&mut driver, flooding, json!({"kind": "flood", "count": COUNT})).await;
    driver
        .until("the flood", Duration::from_secs(60), |d| {
            (d.notifications(logs).iter().filter(|e| e.raw.contains("flood #")).count() as u64 >= COUNT)
                .then_some(())
        })
        .await;
    let flood_times: Vec<u64> = driver
        .notifications(logs)
        .iter()
        .filter(|e| e.raw.contains("flood #"))
        .map(|e| e.received_at_ms)
        .collect();
    let (start, end) = (flood_times[0], flood_times[flood_times.len() - 1]);
    let slot_times: Vec<u64> = driver.notifications(slot).iter().map(|e| e.received_at_ms).collect();
    let mut last = slot_times.iter().copied().filter(|t| *t <= start).max().unwrap_or(start);
    for time in slot_times.iter().copied().filter(|t| *t > start && *t <= end) {
        assert!(
            time - last < 1000,
            "the quiet connection went {} ms without a slot during the flood",
            time - last
        );
        last = time;
    }
    assert!(
        end - last < 1000,
        "no slot for {} ms before the flood ended ({} ms long)",
        end - last,
        end - start
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_solana_subscriptions_share_one_server_id() {
    let server = demo().await;
    let mut driver = Driver::new();
    let conn = driver.connect(&server.url());
    let first = driver.subscribe(conn, "slotSubscribe", None);
    let second = driver.subscribe(conn, "slotSubscribe", None);
    assert_eq!(
        driver.active(first).await,
        driver.active(second).await,
        "Agave de-duplicates identical params"
    );
    driver.notified(first, 2, WAIT).await;
    assert!(driver.notifications(second).is_empty(), "one stream, routed to the oldest key");
    driver.unsubscribe(conn, first);
    assert_eq!(driver.ended(first).await, EndReason::Unsubscribed(Ok(true)));
    driver.notified(second, 2, WAIT).await;
    let unsubscribes = |d: &Driver| {
        d.captured
            .iter()
            .filter(|e| e.direction == Direction::Out && e.method.as_deref() == Some("slotUnsubscribe"))
            .count()
    };
    assert_eq!(unsubscribes(&driver), 0, "the shared server id stays while the second key uses it");
    driver.unsubscribe(conn, second);
    assert_eq!(driver.ended(second).await, EndReason::Unsubscribed(Ok(true)));
    assert_eq!(unsubscribes(&driver), 1, "the last key sends slotUnsubscribe");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_endpoint_starts_an_in_process_server() {
    let mut driver = Driver::new();
    let conn = driver.connect_with(ConnectionConfig::new("demo", "demo"));
    let logs = driver.subscribe(conn, "logsSubscribe", Some(json!(["all"])));
    let notes = driver.notified(logs, 1, WAIT).await;
    assert_eq!(notes[0]["method"], "logsNotification");
}

/// Takes what the backend queued, keeping control events and every frame but flood
/// notifications (counted instead): a long flood would not fit in a test's memory.
async fn pump_counting_floods(driver: &mut Driver, floods: &mut u64) {
    tokio::time::timeout(Duration::from_millis(20), driver.backend.queue().wait()).await.ok();
    let drained = driver.backend.drain();
    driver.events.extend(drained.events);
    for event in drained.captured {
        if event.direction == Direction::In && flood_number(&event.raw).is_some() {
            *floods += 1;
        } else {
            driver.captured.push(event);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_served_within_100_ms_under_a_flood_that_never_pauses() {
    let server = demo().await;
    let mut driver = Driver::new();
    let conn = driver.connect(&server.url());
    let logs = driver.subscribe(conn, "logsSubscribe", Some(json!(["all"])));
    // Four subscriptions with ids of their own (identical ones would share one, and only the
    // last unsubscribe would go to the server).
    let subs: Vec<u64> = [
        ("slotSubscribe", None),
        ("rootSubscribe", None),
        ("logsSubscribe", Some(json!([{"mentions": ["11111111111111111111111111111111"]}]))),
        ("logsSubscribe", Some(json!([{"mentions": ["Vote111111111111111111111111111111111111111"]}]))),
    ]
    .into_iter()
    .map(|(method, params)| driver.subscribe(conn, method, params))
    .collect();
    driver.active(logs).await;
    for sub in &subs {
        driver.active(*sub).await;
    }
    fault(&mut driver, conn, json!({"kind": "flood", "count": 2_000_000})).await;
    let mut floods = 0;
    let deadline = tokio::time::Instant::now() + WAIT;
    while floods < 20_000 {
        assert!(tokio::time::Instant::now() < deadline, "the flood did not start");
        pump_counting_floods(&mut driver, &mut floods).await;
    }
    // Each unsubscribe goes out while the socket is never idle, within 100 ms of asking.
    for sub in &subs {
        let asked = subscope::capture::now_ms();
        driver.unsubscribe(conn, *sub);
        let deadline = tokio::time::Instant::now() + WAIT;
        let sent = loop {
            assert!(tokio::time::Instant::now() < deadline, "no unsubscribe was sent");
            pump_counting_floods(&mut driver, &mut floods).await;
            let sent = driver.captured.iter().rev().find(|e| {
                e.direction == Direction::Out && e.subscription == Some(*sub) && e.raw.contains("Unsubscribe")
            });
            if let Some(sent) = sent {
                break sent.received_at_ms;
            }
        };
        assert!(
            sent.saturating_sub(asked) <= 100,
            "an unsubscribe waited {} ms behind the flood",
            sent - asked
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    // And a disconnect stops the reading within 100 ms, though the flood goes on.
    let asked = subscope::capture::now_ms();
    driver
        .backend
        .send(subscope::backend::Command::Disconnect { conn })
        .unwrap_or_else(|err| panic!("{err}"));
    let mut newest_frame = 0;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        assert!(tokio::time::Instant::now() < deadline, "the connection did not close");
        tokio::time::timeout(Duration::from_millis(20), driver.backend.queue().wait()).await.ok();
        let drained = driver.backend.drain();
        newest_frame = drained.captured.iter().map(|e| e.received_at_ms).max().unwrap_or(0).max(newest_frame);
        let closed = drained
            .events
            .iter()
            .any(|e| matches!(e, Event::State { state: ConnState::Closed { reason: None }, .. }));
        if closed {
            break;
        }
    }
    assert!(floods < 2_000_000, "the flood was still going when the commands were served");
    assert!(
        newest_frame.saturating_sub(asked) <= 100,
        "frames were read {} ms after Disconnect",
        newest_frame - asked
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_frame_arriving_slowly_is_not_mistaken_for_a_dead_connection() {
    let server = demo().await;
    let mut driver = Driver::new();
    let mut config = ConnectionConfig::new("slow link", server.url());
    config.ping_interval = Duration::from_millis(200);
    config.pong_timeout = Duration::from_millis(400);
    let conn = driver.connect_with(config);
    let logs = driver.subscribe(conn, "logsSubscribe", Some(json!(["all"])));
    driver.active(logs).await;
    // 4 MiB over 3 s: no pong for far longer than the pong timeout, but bytes all along.
    fault(&mut driver, conn, json!({"kind": "trickle", "bytes": 4 << 20, "ms": 3000})).await;
    let big = driver
        .until("the slow frame", WAIT, |d| {
            d.captured
                .iter()
                .find(|e| e.direction == Direction::In && e.raw.len() >= 4 << 20)
                .map(|e| e.raw.len())
        })
        .await;
    assert!(big >= 4 << 20);
    assert_eq!(reconnect_reasons(&driver), Vec::<String>::new(), "the connection was treated as dead");
    // And it is still alive: notifications keep coming.
    let before = driver.notifications(logs).len();
    driver.notified(logs, before + 2, WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resubscribe_refused_for_a_passing_reason_is_retried_until_accepted() {
    // A node that holds one subscription at most (Agave's max_active_subscriptions).
    let server = DemoServer::start(DemoConfig { speed: 10.0, max_subscriptions: 1, ..DemoConfig::default() })
        .await
        .unwrap_or_else(|err| panic!("demo server: {err}"));
    let mut driver = Driver::new();
    let mut config = ConnectionConfig::new("x", server.url());
    config.reconnect.initial = Duration::from_secs(2); // time for another client to take the place
    let x = driver.connect_with(config);
    let root = driver.subscribe(x, "rootSubscribe", None);
    driver.active(root).await;
    let y = driver.connect(&server.url());
    driver.open(y).await;

    fault(&mut driver, x, json!({"kind": "drop"})).await;
    driver.until("x to be lost", WAIT, |d| (!reconnect_reasons(d).is_empty()).then_some(())).await;
    // Another client takes the node's only place while x waits to reconnect.
    let mut attempt = 0;
    let taken = loop {
        let slot = driver.subscribe(y, "slotSubscribe", None);
        attempt += 1;
        match driver.answer(slot, 0).await {
            (SubscribeOutcome::Active(_), _) => break slot,
            (other, _) if attempt < 20 => {
                assert!(matches!(other, SubscribeOutcome::Failed(_)), "{other:?}");
                tokio::time::sleep(Duration::from_millis(20)).await; // x's place is not freed yet
            }
            (other, _) => panic!("the place never freed: {other:?}"),
        }
    };
    let (outcome, resubscribed) = driver.answer(root, 1).await;
    assert!(resubscribed, "this answers the re-subscribe");
    let SubscribeOutcome::Retrying { error, retry_in } = outcome else { panic!("not retried: {outcome:?}") };
    assert!(error.message.contains("limit"), "{error}");
    // The first retry waits 1 s with the backoff's jitter: between half of it and all of it.
    assert!(retry_in >= Duration::from_millis(500) && retry_in <= Duration::from_secs(1), "{retry_in:?}");

    driver.unsubscribe(y, taken);
    let active = driver
        .until("the retried re-subscribe to be accepted", WAIT, |d| {
            d.events.iter().find_map(|e| match e {
                Event::Subscription {
                    sub,
                    outcome: SubscribeOutcome::Active(id),
                    resubscribed: true,
                    ..
                } if *sub == root => Some(id.clone()),
                _ => None,
            })
        })
        .await;
    let before = driver.notifications(root).len();
    let after = driver.notified(root, before + 1, WAIT).await;
    let last = after.last().cloned().unwrap_or_default();
    assert_eq!(last["params"]["subscription"], serde_json::to_value(&active).unwrap_or_default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_after_drops_every_connection_and_the_slots_of_the_gap_are_recovered() {
    let demo =
        subscope::demo::DemoServer::start(subscope::demo::DemoConfig { speed: 10.0, ..Default::default() })
            .await
            .unwrap_or_else(|err| panic!("demo: {err}"));
    let mut driver = support::Driver::new();
    let conn = driver.connect(&format!("{}/?disconnect_after_ms=700", demo.url()));
    let slots = driver.subscribe(conn, "slotSubscribe", None);
    driver
        .until("two reconnects", std::time::Duration::from_secs(20), |d| {
            let resubscribed = d
                .events
                .iter()
                .filter(|e| matches!(e, subscope::backend::Event::Subscription { resubscribed: true, .. }));
            (resubscribed.count() >= 2).then_some(())
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    driver.pump().await;
    let seen: Vec<(u64, bool)> = driver
        .notifications(slots)
        .iter()
        .filter_map(|event| {
            let frame: serde_json::Value = serde_json::from_str(&event.raw).ok()?;
            Some((frame["params"]["result"]["slot"].as_u64()?, event.recovered.is_some()))
        })
        .collect();
    assert!(seen.iter().any(|(_, recovered)| *recovered), "no slot was recovered: {seen:?}");
    // Every produced slot of the run once, in order: the demo's own getBlocks says which.
    let (first, last) = (seen[0].0, seen[seen.len() - 1].0);
    let client = subscope::rpc::RpcClient::new(subscope::rpc::RpcConfig::new(
        demo.url().replacen("ws://", "http://", 1),
    ))
    .unwrap_or_else(|err| panic!("{err}"));
    let produced = client
        .call("getBlocks", serde_json::json!([first, last, {"commitment": "confirmed"}]))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let produced: Vec<u64> = serde_json::from_value(produced).unwrap_or_default();
    let delivered: Vec<u64> =
        seen.iter().map(|(slot, _)| *slot).filter(|slot| produced.last() >= Some(slot)).collect();
    assert_eq!(delivered, produced, "every produced slot (up to the confirmed one) once, in order");
    demo.shutdown().await;
}

/// A URL with a query and no path (`wss://host?api-key=…`, as providers show keys) is asked
/// for with the path `/`: before, the request line read `GET ?drop_every=…` and the server
/// refused it with 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_with_a_query_and_no_path_connects() {
    let server = demo().await;
    let mut driver = Driver::new();
    let conn = driver.connect(&format!("{}?drop_every=1000", server.url()));
    let slot = driver.subscribe(conn, "slotSubscribe", None);
    driver.notified(slot, 2, WAIT).await;
    assert!(reconnect_reasons(&driver).is_empty());
}
