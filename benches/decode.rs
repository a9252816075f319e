//! What decoding adds to a table row, beside the catalogue's `summarize` the table already
//! runs for every row it draws (the baseline, same frames, same process).
//!
//! The table decodes a row once, when it is first drawn, and caches both. A frame of the
//! window draws at most a screen of rows it has not seen (about 40 when the table follows a
//! flood), so the figure that matters is 40 × (summarize + decode) against the 8 ms frame
//! budget. Target: a screen of new rows, summarized and decoded, ≤ 1 ms (1/8 of the frame
//! budget); decode's cost is also printed as a ratio to summarize's.
//!
//! Run: `cargo bench --no-default-features --bench decode` (ROUNDS=5, ITERATIONS=20000).

use std::hint::black_box;
use std::time::{Duration, Instant};

use subscope::catalog::summarize;
use subscope::decode::Decoder;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const TOKEN: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
const BUDGET: &str = "ComputeBudget111111111111111111111111111111";
const SIGNATURE: &str =
    "5h6xBEauJ3PK6SWCZ1PGjBvj8vDdWG3KpwATGy1ARAXFSDwt8GFXM7W5Ncn16wmqokgpiKRLuS83KUxyZyv2sUYv";

/// The frames a table shows most: Solana logs of a token transfer, an ERC-20 Transfer of a
/// known token, a log no ABI knows, and a slot notification (nothing to decode).
fn frames() -> Vec<(&'static str, String)> {
    let logs = serde_json::json!({
        "jsonrpc": "2.0", "method": "logsNotification",
        "params": {"subscription": 2, "result": {"context": {"slot": 5}, "value": {
            "signature": SIGNATURE, "err": null, "logs": [
                format!("Program {BUDGET} invoke [1]"), format!("Program {BUDGET} success"),
                format!("Program {TOKEN} invoke [1]"), "Program log: Instruction: Transfer",
                format!("Program {TOKEN} consumed 4645 of 199850 compute units"),
                format!("Program {TOKEN} success")]}}},
    });
    let log = |topic0: &str| {
        serde_json::json!({
            "jsonrpc": "2.0", "method": "eth_subscription",
            "params": {"subscription": "0x9ce59a13059e417087c02d3236a0b1cc", "result": {
                "address": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
                "topics": [topic0,
                    "0x000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266",
                    "0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"],
                "data": format!("0x{:064x}", 1_000_500_000u64),
                "blockNumber": "0x1312d01", "blockHash": format!("0x{:064x}", 7),
                "transactionHash": format!("0x{:064x}", 9), "transactionIndex": "0x3",
                "logIndex": "0x0", "removed": false}},
        })
        .to_string()
    };
    vec![
        ("Solana logs, token transfer", logs.to_string()),
        ("ERC-20 Transfer, known token", log("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")),
        ("log of an unknown event", log(&format!("0x{:064x}", 1))),
        (
            "slotNotification",
            r#"{"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"parent":7,"root":1,"slot":8},"subscription":0}}"#
                .to_owned(),
        ),
    ]
}

/// The best per-call time over `rounds` rounds of `iterations` calls.
fn per_call(rounds: usize, iterations: usize, mut call: impl FnMut()) -> Duration {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                call();
            }
            start.elapsed() / iterations as u32
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let rounds = env_usize("ROUNDS", 5);
    let iterations = env_usize("ITERATIONS", 20_000);
    let decoder = Decoder::new();
    println!(
        "{:<30} {:>10} {:>10} {:>7} {:>22}",
        "frame", "summarize", "decode", "ratio", "40 new rows (both)"
    );
    let mut worst_ratio: f64 = 0.0;
    let mut worst_screen = Duration::ZERO;
    for (name, raw) in frames() {
        let decoded = decoder.decode(&raw).map(|decoded| decoded.summary);
        let summarize_time = per_call(rounds, iterations, || {
            black_box(summarize(black_box(&raw)));
        });
        let decode_time = per_call(rounds, iterations, || {
            black_box(decoder.decode(black_box(&raw)));
        });
        let ratio = decode_time.as_secs_f64() / summarize_time.as_secs_f64();
        let screen = (summarize_time + decode_time) * 40;
        worst_ratio = worst_ratio.max(ratio);
        worst_screen = worst_screen.max(screen);
        println!(
            "{name:<30} {:>8.1}µs {:>8.1}µs {ratio:>6.2}× {:>19.3} ms   {}",
            summarize_time.as_secs_f64() * 1e6,
            decode_time.as_secs_f64() * 1e6,
            screen.as_secs_f64() * 1e3,
            decoded.as_deref().unwrap_or("(nothing decoded)")
        );
    }
    println!(
        "worst: decode {worst_ratio:.2}× summarize; a screen of new rows {:.3} ms = {:.3} of the 8 ms frame budget (target ≤ 0.125)",
        worst_screen.as_secs_f64() * 1e3,
        worst_screen.as_secs_f64() / 0.008
    );
}
