//! Frame cost of the real app under load: 1,000,000 captured events and 20,000 events/s
//! arriving from a loopback server, through the real backend. The frames are Solana logs
//! notifications with an invocation (so every drawn row is decoded too). Frames are measured
//! once the app has caught up with what arrived while the backlog was taken in (how long that
//! took is printed: it is the UI thread's ingest rate). Each frame runs the app's
//! logic step and its whole UI in a plain `egui::Context` at 1400×860, and its CPU time is
//! taken from the UI thread's clock (so waiting does not count). Tessellation, which eframe
//! does after the UI, is reported apart.
//!
//! Targets (issue 27), with at least 1.4 M events held: logic + ui max ≤ 8 ms (no dropped
//! frame at 60 Hz), p99 ≤ 2.5 ms, p50 ≤ 1.5 ms; the backlog taken in at ≥ 150,000 events/s; a
//! text filter ≤ 50 ms per 1,000,000 events (exact and any case, beside a bare memmem scan of
//! the same frames); memory within the cap.
//!
//! Run: `cargo bench --bench frame` (EVENTS=1150000 RATE=20000 FRAMES=600: about 1.42 M held
//! while measuring).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use cpu_time::ThreadTime;
use futures_util::{SinkExt as _, StreamExt as _};
use subscope::app::settings::{SavedEndpoint, Settings};
use subscope::app::{App, AppOptions};
use subscope::capture::CaptureLimits;
use subscope::catalog::Draft;
use subscope::filter::{Filter, FilteredView};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn frame(seq: u64) -> String {
    let signature: String = (0..88)
        .map(|k| {
            b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"[((seq as usize) * 7 + k * 13) % 58]
                as char
        })
        .collect();
    format!(
        r#"{{"jsonrpc":"2.0","method":"logsNotification","params":{{"result":{{"context":{{"slot":{}}},"value":{{"signature":"{signature}","err":null,"logs":["Program 11111111111111111111111111111111 invoke [1]","Program 11111111111111111111111111111111 success"]}}}},"subscription":1}}}}"#,
        300_000_000 + seq
    )
}

/// Answers the subscribe, sends `backlog` frames at once, then `rate` frames/s in 10 ms steps.
async fn server(backlog: u64, rate: u64) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|err| panic!("{err}"));
    let addr = listener.local_addr().unwrap_or_else(|err| panic!("{err}"));
    tokio::spawn(async move {
        let Ok((stream, _)) = listener.accept().await else { return };
        let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else { return };
        let id = loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    let value: serde_json::Value = serde_json::from_str(text.as_str()).unwrap_or_default();
                    break value["id"].clone();
                }
                Some(Ok(_)) => {}
                _ => return,
            }
        };
        if ws
            .send(Message::Text(format!(r#"{{"jsonrpc":"2.0","result":1,"id":{id}}}"#).into()))
            .await
            .is_err()
        {
            return;
        }
        let mut seq = 0;
        while seq < backlog {
            for _ in 0..256.min(backlog - seq) {
                if ws.feed(Message::Text(frame(seq).into())).await.is_err() {
                    return;
                }
                seq += 1;
            }
            if ws.flush().await.is_err() {
                return;
            }
        }
        let per_tick = (rate / 100).max(1);
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        loop {
            tick.tick().await;
            for _ in 0..per_tick {
                if ws.feed(Message::Text(frame(seq).into())).await.is_err() {
                    return;
                }
                seq += 1;
            }
            if ws.flush().await.is_err() {
                return;
            }
        }
    });
    addr
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The measured frames' CPU times, in ms.
#[derive(Default)]
struct Measured {
    /// Logic + ui.
    ui: Vec<f64>,
    /// The logic step's share.
    logic: Vec<f64>,
    /// Tessellation, after the frame.
    tess: Vec<f64>,
    /// The slowest frame as it was: logic + ui, its logic share, the events it took in.
    slowest: (f64, f64, u64),
}

impl Measured {
    fn push(&mut self, ui: Duration, logic: Duration, tess: Duration, taken: u64) {
        let (ui, logic) = (ui.as_secs_f64() * 1000.0, logic.as_secs_f64() * 1000.0);
        if ui > self.slowest.0 {
            self.slowest = (ui, logic, taken);
        }
        self.ui.push(ui);
        self.logic.push(logic);
        self.tess.push(tess.as_secs_f64() * 1000.0);
    }

    /// Prints p50, p99 and max against the targets, with `held` events in the capture.
    fn report(mut self, held: usize) {
        for times in [&mut self.ui, &mut self.logic, &mut self.tess] {
            times.sort_by(f64::total_cmp);
        }
        let (p50, p99) = (percentile(&self.ui, 0.5), percentile(&self.ui, 0.99));
        let max = self.ui.last().copied().unwrap_or_default();
        println!(
            "logic + ui CPU      p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms ({}: max <= 8, p99 <= 2.5, p50 <= 1.5 ms with >= 1.4 M held)",
            if max <= 8.0 && p99 <= 2.5 && p50 <= 1.5 && held >= 1_400_000 {
                "meets target"
            } else {
                "MISSES target"
            }
        );
        println!(
            "  of which logic    p50 {:.2} ms, p99 {:.2} ms (taking events in, comparing, reorgs; the rest is drawing)",
            percentile(&self.logic, 0.5),
            percentile(&self.logic, 0.99)
        );
        let (slowest, logic, taken) = self.slowest;
        println!(
            "  the slowest frame {slowest:.2} ms, of which logic {logic:.2} ms, taking in {taken} events"
        );
        println!(
            "tessellation CPU    p50 {:.2} ms, p99 {:.2} ms (eframe's share, not the app's)",
            percentile(&self.tess, 0.5),
            percentile(&self.tess, 0.99)
        );
    }
}

fn main() {
    let backlog = env_u64("EVENTS", 1_150_000);
    let rate = env_u64("RATE", 20_000);
    let frames = env_u64("FRAMES", 600) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|err| panic!("{err}"));
    let addr = runtime.block_on(server(backlog, rate));
    let limits = CaptureLimits { max_events: 2_000_000, max_bytes: 1 << 30 };
    let settings = Settings {
        welcomed: true,
        endpoints: vec![SavedEndpoint {
            id: 1,
            label: "bench".into(),
            preset: String::new(),
            url: format!("ws://{addr}"),
            connect_on_start: true,
            subscriptions: Draft::for_method("logsSubscribe").into_iter().collect(),
            ..SavedEndpoint::default()
        }],
        limits,
        ..Settings::default()
    };
    let _guard = runtime.enter();
    let ctx = egui::Context::default();
    let mut app = App::new(&ctx, runtime.handle().clone(), AppOptions::headless(settings));
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1400.0, 860.0))),
        ..egui::RawInput::default()
    };
    // A frame's CPU: logic + ui, the logic step's share of it, and the tessellation.
    let run_frame = |app: &mut App| {
        let cpu = ThreadTime::now();
        let mut logic_cpu = Duration::ZERO;
        let output = ctx.run_ui(input(), |ui| {
            let ctx = ui.ctx().clone();
            let logic = ThreadTime::now();
            app.logic_step(&ctx);
            logic_cpu = logic.elapsed();
            app.show(ui);
        });
        let ui_cpu = cpu.elapsed();
        let tessellate = ThreadTime::now();
        let shapes = ctx.tessellate(output.shapes, output.pixels_per_point);
        std::hint::black_box(shapes);
        (ui_cpu, logic_cpu, tessellate.elapsed())
    };

    println!(
        "frame benchmark: {backlog} events backlog, then {rate} events/s; {frames} frames at 60 Hz, 1400x860"
    );
    let start = Instant::now();
    while (app.capture().total_received() as u64) < backlog {
        run_frame(&mut app);
        std::thread::sleep(Duration::from_millis(16));
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "the backlog did not arrive: {}",
            app.capture().len()
        );
    }
    let took = start.elapsed().as_secs_f64();
    let held = app.capture().len();
    println!(
        "backlog of {held} events captured in {took:.1} s: the UI thread took it in at {:.0} events/s \
         at 60 Hz ({}: >= 150000/s)",
        held as f64 / took,
        if held as f64 / took >= 150_000.0 { "meets target" } else { "MISSES target" }
    );
    // What arrived meanwhile is still queued: run frames until a second brings no more than the
    // stream's own rate, so the frames below are measured in the steady state the target is about.
    let catching_up = Instant::now();
    let caught_up_from = app.capture().total_received();
    loop {
        let before = app.capture().total_received();
        let second = Instant::now();
        while second.elapsed() < Duration::from_secs(1) {
            run_frame(&mut app);
            std::thread::sleep(Duration::from_millis(16));
        }
        let taken = (app.capture().total_received() - before) as f64 / second.elapsed().as_secs_f64();
        if taken <= rate as f64 * 1.2 {
            break;
        }
        assert!(catching_up.elapsed() < Duration::from_secs(300), "still catching up: {taken:.0}/s");
    }
    let caught_up = catching_up.elapsed().as_secs_f64();
    println!(
        "caught up with what arrived meanwhile in {caught_up:.1} s ({:.0} events/s, the last second at the stream's own rate)",
        (app.capture().total_received() - caught_up_from) as f64 / caught_up
    );

    let received_before = app.capture().total_received();
    let measure_start = Instant::now();
    let mut measured = Measured::default();
    let mut next = Instant::now();
    // FRAME_LOG=PATH writes each measured frame (ms since the first, logic + ui, logic, tessellation,
    // events taken in), to see which frames are the slow ones.
    let mut log = std::env::var_os("FRAME_LOG").map(|path| {
        std::io::BufWriter::new(std::fs::File::create(path).unwrap_or_else(|err| panic!("FRAME_LOG: {err}")))
    });
    for _ in 0..frames {
        let before = app.capture().total_received();
        let (ui, logic, tess) = run_frame(&mut app);
        let taken = app.capture().total_received() - before;
        if let Some(log) = &mut log {
            use std::io::Write as _;
            let ms = |time: Duration| time.as_secs_f64() * 1000.0;
            writeln!(
                log,
                "{:.1} {:.3} {:.3} {:.3} {taken}",
                ms(measure_start.elapsed()),
                ms(ui),
                ms(logic),
                ms(tess)
            )
            .unwrap_or_else(|err| panic!("FRAME_LOG: {err}"));
        }
        measured.push(ui, logic, tess, taken);
        next += Duration::from_micros(16_667);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    let arrived = app.capture().total_received() - received_before;
    println!(
        "events arriving     {:.0}/s while measuring; {} events held",
        arrived as f64 / measure_start.elapsed().as_secs_f64(),
        app.capture().len()
    );
    measured.report(app.capture().len());

    let capture = app.capture();
    filters(capture);
    println!(
        "capture memory      {:.0} MB of a {:.0} MB cap, {} evicted ({})",
        capture.memory_bytes() as f64 / 1e6,
        limits.max_bytes as f64 / 1e6,
        capture.evicted(),
        if capture.memory_bytes() <= limits.max_bytes { "within the cap" } else { "OVER the cap" }
    );
}

/// A text filter over the whole capture (a pasted signature, and a lower-case word in any
/// case), beside a bare memmem scan of the same frames.
fn filters(capture: &subscope::capture::Capture) {
    // One event's signature, as a user would paste it.
    let middle = capture.get(capture.len() / 2).map(|event| event.raw.to_string()).unwrap_or_default();
    let at = middle.find(r#""signature":""#).map_or(0, |at| at + 13);
    let signature = middle.get(at..at + 88).unwrap_or("x").to_owned();
    let finder = memchr::memmem::Finder::new(signature.as_bytes());
    let bare_start = Instant::now();
    let bare_rows = capture.iter().filter(|event| finder.find(event.raw.as_bytes()).is_some()).count();
    let bare_ms = bare_start.elapsed().as_secs_f64() * 1000.0;
    let per_million = |ms: f64| ms * 1_000_000.0 / capture.len().max(1) as f64;
    for (name, text) in [("exact", signature.clone()), ("any case", "invoke".to_owned())] {
        let filter_start = Instant::now();
        let mut view =
            FilteredView::new(Filter { text, ..Filter::default() }).unwrap_or_else(|err| panic!("{err}"));
        view.update(capture);
        let filter_ms = filter_start.elapsed().as_secs_f64() * 1000.0;
        println!(
            "text filter {name:<8} {filter_ms:.0} ms over {} events = {:.0} ms per 1 M, {} rows; a bare memmem scan {bare_ms:.0} ms ({bare_rows} rows) ({}: <= 50 ms per 1 M)",
            capture.len(),
            per_million(filter_ms),
            view.len_in(capture),
            if per_million(filter_ms) <= 50.0 { "meets target" } else { "MISSES target" }
        );
    }
}
