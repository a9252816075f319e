//! `subscope show` holds one event at a time, whatever the size of the file: bytes allocated
//! (a counting allocator, alone in this test binary), sampled at every row written, stay far
//! below what the file holds.

use std::io::{self, Write};

use subscope::capture::{CapturedEvent, Direction};
use subscope::commands::show::{ShowOptions, show};
use subscope::decode::Decoder;
use subscope::export::{CaptureContext, EventWriter, Format, SubscriptionInfo};
use subscope::protocol::{FrameKind, SubId};

#[global_allocator]
static ALLOCATOR: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// Discards what `show` writes, counting lines and noting the most bytes allocated at a write.
#[derive(Default)]
struct Sampling {
    lines: usize,
    peak: usize,
}

impl Write for Sampling {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.peak = self.peak.max(ALLOCATOR.allocated());
        self.lines += memchr::memchr_iter(b'\n', buf).count();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn show_holds_one_event_at_a_time_whatever_the_file_holds() {
    const EVENTS: u64 = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.ndjson");
    let mut context = CaptureContext::default();
    context.add_connection(1, "local", "ws://127.0.0.1:8900");
    context.subscriptions.insert(
        1,
        SubscriptionInfo { method: "logsSubscribe".into(), params: None, server_id: Some(SubId::Num(7)) },
    );
    let mut writer = EventWriter::new(std::fs::File::create(&path).unwrap(), Format::Ndjson).unwrap();
    let log = "Program log: ".to_owned() + &"x".repeat(2_000);
    for seq in 0..EVENTS {
        let raw = format!(
            r#"{{"jsonrpc":"2.0","method":"logsNotification","params":{{"result":{{"context":{{"slot":{seq}}},"value":{{"signature":"s{seq}","err":null,"logs":["{log}"]}}}},"subscription":7}}}}"#
        );
        let event = CapturedEvent {
            seq,
            received_at_ms: 1_796_000_000_000 + seq,
            connection: 1,
            subscription: Some(1),
            direction: Direction::In,
            kind: FrameKind::Notification,
            method: Some("logsNotification".into()),
            raw: raw.into(),
            redacted: false,
            recovered: None,
        };
        writer.write(&event, &context).unwrap();
    }
    writer.flush().unwrap();
    drop(writer);
    let file_bytes = std::fs::metadata(&path).unwrap().len() as usize;
    assert!(file_bytes > 40 << 20, "the file holds {file_bytes} bytes");

    let options = ShowOptions { file: path, ..ShowOptions::default() };
    let decoder = Decoder::default();
    let baseline = ALLOCATOR.allocated();
    let mut out = Sampling::default();
    let report = show(&options, &decoder, &mut out).unwrap();
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!((report.events, report.shown), (EVENTS as usize, EVENTS as usize));
    assert_eq!(out.lines, EVENTS as usize + 1, "a header and a line per event");
    let held = out.peak.saturating_sub(baseline);
    // The import's 1 MiB read buffer, one event and the decoder's caches; the whole file held
    // would be over 40 MiB.
    assert!(held < 8 << 20, "show held {held} bytes at most while showing a {file_bytes}-byte file");
}
