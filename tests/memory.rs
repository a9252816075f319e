//! Memory bounds, asserted in bytes allocated (a counting allocator), not in a noisy RSS:
//! whatever a server sends, what a connection and its consumer hold stays within the cap.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use subscope::backend::{Backend, Command, ConnectionConfig};
use subscope::capture::{Capture, CaptureLimits};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

#[global_allocator]
static ALLOCATOR: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// A server that confirms the first subscribe as subscription 1, then sends `count`
/// notifications of about `size` bytes, each with a method name of its own that long.
async fn unique_method_server(count: usize, size: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
        let id = loop {
            if let Some(Ok(Message::Text(text))) = ws.next().await {
                let value: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
                break value["id"].clone();
            }
        };
        ws.send(Message::text(format!(r#"{{"jsonrpc":"2.0","result":1,"id":{id}}}"#))).await.unwrap();
        let filler = "x".repeat(size);
        for index in 0..count {
            let frame = format!(
                r#"{{"jsonrpc":"2.0","method":"m{index}{filler}","params":{{"subscription":1,"result":{index}}}}}"#
            );
            if ws.send(Message::text(frame)).await.is_err() {
                return;
            }
        }
        // Keep the connection open until the client has read everything.
        while ws.next().await.is_some() {}
    });
    format!("ws://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_distinct_method_names_stay_within_the_cap() {
    const COUNT: usize = 2_000;
    const SIZE: usize = 1 << 20;
    const CAP: usize = 64 << 20;
    let url = unique_method_server(COUNT, SIZE).await;
    let limits = CaptureLimits { max_events: 1_000_000, max_bytes: CAP };
    let baseline = ALLOCATOR.allocated();
    let backend = Backend::start(&tokio::runtime::Handle::current(), limits, Arc::new(|| {}));
    let conn = backend.new_connection_id();
    backend.send(Command::Connect { conn, config: Box::new(ConnectionConfig::new("unique", url)) }).unwrap();
    backend
        .send(Command::Subscribe {
            conn,
            sub: 1,
            method: "slotSubscribe".into(),
            params: None,
            rules: subscope::catalog::rules_for("slotSubscribe", None),
        })
        .unwrap();

    // A consumer as the window is: its capture under its share, what it holds told to the queue.
    let mut capture = Capture::new(limits.consumer_share());
    let mut peak = 0;
    let mut received = 0_u64;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while received < COUNT as u64 {
        assert!(tokio::time::Instant::now() < deadline, "only {received} of {COUNT} frames arrived");
        tokio::time::timeout(Duration::from_millis(50), backend.queue().wait()).await.ok();
        let drained = backend.drain();
        received += drained.evicted;
        for event in drained.captured {
            received += u64::from(event.raw.contains("\"result\":"));
            capture.push(event);
        }
        backend.queue().set_downstream(capture.len(), capture.memory_bytes());
        peak = peak.max(ALLOCATOR.allocated().saturating_sub(baseline));
    }
    let (queued, queued_bytes) = backend.queue().held();
    assert!(capture.memory_bytes() + queued_bytes <= CAP, "{} + {queued_bytes} held", capture.memory_bytes());
    assert!(capture.len() + queued < COUNT, "the oldest were evicted");
    // The cap, a batch in flight (4 MiB), tungstenite's read buffers and the test's own
    // bookkeeping; 2,000 interned 1 MiB names would be 2 GiB.
    assert!(peak <= CAP + (48 << 20), "{} MiB allocated at the peak", peak >> 20);
    let long_names = capture
        .iter()
        .filter(|event| event.kind == subscope::protocol::FrameKind::Notification && event.method.is_some())
        .count();
    assert_eq!(long_names, 0, "names longer than any real method are not kept beside the frame");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_consumer_and_the_queue_never_hold_more_than_the_cap_together() {
    const CAP: usize = 16 << 20;
    let url = unique_method_server(400, 100_000).await;
    let limits = CaptureLimits { max_events: 1_000_000, max_bytes: CAP };
    let backend = Backend::start(&tokio::runtime::Handle::current(), limits, Arc::new(|| {}));
    let conn = backend.new_connection_id();
    backend.send(Command::Connect { conn, config: Box::new(ConnectionConfig::new("stall", url)) }).unwrap();
    backend
        .send(Command::Subscribe {
            conn,
            sub: 1,
            method: "slotSubscribe".into(),
            params: None,
            rules: subscope::catalog::rules_for("slotSubscribe", None),
        })
        .unwrap();
    // The consumer already holds most of its share when it stalls (a modal dialog).
    let mut capture = Capture::new(limits.consumer_share());
    let mut drained_once = false;
    while !drained_once || capture.memory_bytes() < CAP / 2 {
        tokio::time::timeout(Duration::from_millis(50), backend.queue().wait()).await.ok();
        capture.extend(backend.drain().captured);
        backend.queue().set_downstream(capture.len(), capture.memory_bytes());
        drained_once = true;
    }
    tokio::time::sleep(Duration::from_secs(2)).await; // stalled: the server goes on sending
    let (_, queued_bytes) = backend.queue().held();
    assert!(
        capture.memory_bytes() + queued_bytes <= CAP,
        "{} MiB held by the consumer and {} MiB queued, over a {} MiB cap",
        capture.memory_bytes() >> 20,
        queued_bytes >> 20,
        CAP >> 20
    );
    let drained = backend.drain();
    assert!(drained.evicted > 0, "the stall cost the oldest queued frames, counted");
}
