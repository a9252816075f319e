//! Decoding in the window, driven as a user through labels and roles: a decoded row's Details
//! column, the detail view's Decoded tab (an ERC-20 Transfer's named arguments, a Solana
//! invocation tree), and the Decoding panel where ABI files are added, refused at the form
//! when they cannot be used, saved, and kept with their error when the file goes away.

#![cfg(feature = "gui")]
#![expect(clippy::unwrap_used, reason = "tests")]

mod support;

use std::path::Path;
use std::sync::Arc;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use subscope::app::settings::Settings;
use subscope::app::{App, AppOptions};
use subscope::capture::{Capture, CaptureLimits, CapturedEvent, Direction};
use subscope::decode::{AbiSource, DecodeSources, TokenSource};
use subscope::export::{CaptureContext, SubscriptionInfo};
use subscope::protocol::FrameKind;
use support::ui::{app_harness, control, runtime, type_into};

const USDC: &str = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
const TRANSFER: &str = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
const FROM: &str = "0x000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266";
const TO: &str = "0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8";
const MOVED_ABI: &str = r#"[{"type":"event","name":"Moved","anonymous":false,
    "inputs":[{"name":"who","type":"address","indexed":true}]}]"#;

/// The topic of `Moved(address)`: no built-in ABI knows it.
fn moved_topic() -> String {
    alloy_primitives::keccak256("Moved(address)").to_string()
}

/// The window with these settings, tall enough that the side panel's last section is on
/// screen when opened.
fn harness(runtime: &tokio::runtime::Runtime, settings: Settings) -> Harness<'static, App> {
    let options = AppOptions::headless(Settings { welcomed: true, ..settings });
    let mut harness = app_harness(runtime, options, egui::vec2(1400.0, 1500.0));
    harness.run_steps(3);
    harness
}

fn eth_log(seq: u64, contract: &str, topics: &[&str], data: &str) -> CapturedEvent {
    let log = serde_json::json!({
        "address": contract, "topics": topics, "data": data, "blockNumber": "0x10",
        "transactionHash": format!("0x{seq:064x}"), "logIndex": "0x0", "removed": false,
    });
    let raw = serde_json::json!({
        "jsonrpc": "2.0", "method": "eth_subscription",
        "params": {"subscription": "0x9ce59a13059e417087c02d3236a0b1cc", "result": log},
    });
    notification(seq, 1, "eth_subscription", &raw.to_string())
}

fn notification(seq: u64, sub: u64, method: &str, raw: &str) -> CapturedEvent {
    CapturedEvent {
        seq,
        received_at_ms: 1_795_335_540_000 + seq,
        connection: 1,
        subscription: Some(sub),
        direction: Direction::In,
        kind: FrameKind::Notification,
        method: Some(Arc::from(method)),
        raw: raw.into(),
        redacted: false,
        recovered: None,
    }
}

/// A USDC Transfer of 1,000.5 USDC, and a Solana transfer's logs: Compute Budget, then the
/// Token program's Transfer calling nothing.
fn capture_with(events: Vec<CapturedEvent>) -> (Capture, CaptureContext) {
    let mut capture = Capture::new(CaptureLimits::default());
    capture.extend(events);
    let mut context = CaptureContext::default();
    context.add_connection(1, "node", "ws://127.0.0.1:8545");
    for (sub, method, params) in [
        (1, "eth_subscribe", serde_json::json!(["logs", {}])),
        (2, "logsSubscribe", serde_json::json!(["all"])),
    ] {
        let info = SubscriptionInfo { method: method.to_owned(), params: Some(params), server_id: None };
        context.subscriptions.insert(sub, info);
    }
    (capture, context)
}

fn usdc_transfer(seq: u64) -> CapturedEvent {
    eth_log(seq, USDC, &[TRANSFER, FROM, TO], &format!("0x{:064x}", 1_000_500_000u64))
}

fn token_transfer_logs(seq: u64) -> CapturedEvent {
    let budget = "ComputeBudget111111111111111111111111111111";
    let token = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
    let logs = [
        format!("Program {budget} invoke [1]"),
        format!("Program {budget} success"),
        format!("Program {token} invoke [1]"),
        "Program log: Instruction: Transfer".to_owned(),
        format!("Program {token} consumed 4645 of 199850 compute units"),
        format!("Program {token} success"),
    ];
    let raw = serde_json::json!({
        "jsonrpc": "2.0", "method": "logsNotification",
        "params": {"subscription": 2, "result": {"context": {"slot": 5}, "value": {
            "signature": "5h6xBEauJ3PK6SWCZ1PGjBvj8vDdWG3KpwATGy1ARAXFSDwt8GFXM7W5Ncn16wmqokgpiKRLuS83KUxyZyv2sUYv",
            "err": null, "logs": logs}}},
    });
    notification(seq, 2, "logsNotification", &raw.to_string())
}

fn open(harness: &mut Harness<'_, App>, events: Vec<CapturedEvent>) {
    let (capture, context) = capture_with(events);
    harness.state_mut().open_capture("decoded.ndjson".to_owned(), capture, context);
    harness.run_steps(4);
}

fn has_text(harness: &Harness<'_, App>, text: &str) -> bool {
    harness.query_all_by_label(text).next().is_some()
}

fn has_text_containing(harness: &Harness<'_, App>, part: &str) -> bool {
    harness.query_all_by_label_contains(part).next().is_some()
}

fn clear_field(harness: &mut Harness<'_, App>, label: &str) {
    harness.get_by_label(label).focus();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.key_press(egui::Key::Backspace);
    harness.run_steps(2);
}

#[test]
fn a_transfer_and_a_solana_transaction_read_decoded_in_the_table_and_the_decoded_tab() {
    let runtime = runtime();
    let mut harness = harness(&runtime, Settings::default());
    open(&mut harness, vec![usdc_transfer(0), token_transfer_logs(1)]);

    // Details column: what the frame means, in the token's units.
    let transfer_summary = "Transfer 1,000.5 USDC from=0xf39F…2266 to=0x7099…79C8";
    assert!(has_text(&harness, transfer_summary), "the Transfer row is decoded in Details");
    assert!(has_text(&harness, "ComputeBudget; Token: Transfer"), "the logs row is decoded in Details");

    // The Decoded tab: the event's signature, origin, and every named argument.
    harness.get_by_label(transfer_summary).click();
    harness.run_steps(3);
    assert_eq!(harness.state().selected_event().map(|event| event.seq), Some(0));
    control(&harness, "Decoded").click();
    harness.run_steps(3);
    assert!(has_text(&harness, "Transfer(address,address,uint256)"));
    assert!(has_text_containing(&harness, "ERC-20 at 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"));
    assert!(has_text(&harness, "from (address, indexed)"));
    assert!(has_text(&harness, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    assert!(has_text(&harness, "value (uint256)"));
    assert!(has_text(&harness, "1000500000 (1,000.5 USDC)"));

    // The Solana row in the same tab: the invocation tree with outcome and compute units.
    harness.get_by_label("ComputeBudget; Token: Transfer").click();
    harness.run_steps(3);
    assert_eq!(harness.state().selected_event().map(|event| event.seq), Some(1));
    assert!(has_text(&harness, "Token: Transfer"), "the instruction named from its log");
    assert!(has_text(&harness, "success, 4,645 of 199,850 CU"));
    assert!(has_text(&harness, "Instruction: Transfer"), "its log line, one level deeper");
    assert!(has_text(&harness, "succeeded"), "the transaction's outcome");
}

#[test]
fn a_frame_with_nothing_to_decode_says_so_in_the_decoded_tab() {
    let runtime = runtime();
    let mut harness = harness(&runtime, Settings::default());
    let unknown = eth_log(0, USDC, &[&moved_topic(), FROM], "0x");
    open(&mut harness, vec![unknown]);
    harness.query_all_by_label_contains("eth_subscription").next().unwrap().click();
    harness.run_steps(3);
    control(&harness, "Decoded").click();
    harness.run_steps(3);
    assert!(has_text_containing(&harness, "Nothing to decode in this frame"));
}

fn write_abi(dir: &Path, name: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, MOVED_ABI).unwrap();
    path
}

#[test]
fn an_abi_added_in_the_decoding_panel_decodes_rows_a_bad_one_is_refused_and_a_lost_one_kept() {
    let dir = std::env::temp_dir().join(format!("subscope-ui-decode-{}", std::process::id()));
    let abi = write_abi(&dir, "moved.json");
    let runtime = runtime();
    let mut harness = harness(&runtime, Settings::default());
    let moved = "Moved who=0xf39F…2266";
    open(
        &mut harness,
        vec![eth_log(0, "0x2222222222222222222222222222222222222222", &[&moved_topic(), FROM], "0x")],
    );
    assert!(!has_text(&harness, moved), "no ABI knows the event yet");

    harness.get_by_label("Decoding").click();
    harness.run_steps(3);
    // A file that is not there: refused at the form, nothing added, the path kept to fix.
    type_into(&mut harness, "ABI file", &dir.join("missing.json").display().to_string());
    control(&harness, "Add ABI").click();
    harness.run_steps(3);
    assert!(has_text_containing(&harness, "missing.json: No such file"), "the error is at the form");
    assert!(harness.state().settings().decoding.abis.is_empty());
    // Not an ABI: refused with the place in the file.
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "[{\"type\":\"event\",\n\"name\": }]").unwrap();
    clear_field(&mut harness, "ABI file");
    type_into(&mut harness, "ABI file", &broken.display().to_string());
    control(&harness, "Add ABI").click();
    harness.run_steps(3);
    assert!(has_text_containing(&harness, "not a JSON ABI"), "why the file cannot be used");
    assert!(harness.state().settings().decoding.abis.is_empty());

    // The real file: listed with what it declares, saved, and the row decodes.
    clear_field(&mut harness, "ABI file");
    type_into(&mut harness, "ABI file", &abi.display().to_string());
    control(&harness, "Add ABI").click();
    harness.run_steps(4);
    assert!(has_text(&harness, "1 events, 0 functions"));
    assert!(has_text(&harness, moved), "the row is decoded with the new ABI");
    let saved = harness.state().settings().decoding;
    assert_eq!(saved.abis, vec![AbiSource { path: abi.clone(), address: None }]);

    // Restarted after the file went away: the entry stays, with why it is left out.
    std::fs::remove_file(&abi).unwrap();
    let settings = Settings { decoding: saved, ..Settings::default() };
    let mut harness = self::harness(&runtime, settings);
    harness.get_by_label("Decoding (1 ABI, 0 tokens)").click();
    harness.run_steps(3);
    assert!(has_text(&harness, "moved.json"));
    assert!(has_text_containing(&harness, "No such file"));
    assert_eq!(harness.state().settings().decoding.abis.len(), 1, "saved work is not erased");
    control(&harness, "Remove moved.json").click();
    harness.run_steps(3);
    assert!(harness.state().settings().decoding.abis.is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_token_added_in_the_decoding_panel_gives_amounts_their_units_and_bad_fields_are_refused() {
    let runtime = runtime();
    let mut harness = harness(&runtime, Settings::default());
    let token = "0x3333333333333333333333333333333333333333";
    open(&mut harness, vec![eth_log(0, token, &[TRANSFER, FROM, TO], &format!("0x{:064x}", 12_345u64))]);
    assert!(has_text(&harness, "Transfer 12345 from=0xf39F…2266 to=0x7099…79C8"), "raw integer, no guess");

    harness.get_by_label("Decoding").click();
    harness.run_steps(3);
    type_into(&mut harness, "Token", "0x33");
    type_into(&mut harness, "Symbol", "TST");
    type_into(&mut harness, "Decimals", "2");
    control(&harness, "Add token").click();
    harness.run_steps(3);
    assert!(has_text_containing(&harness, "is not a contract address"));
    assert!(harness.state().settings().decoding.tokens.is_empty());

    clear_field(&mut harness, "Token");
    type_into(&mut harness, "Token", token);
    control(&harness, "Add token").click();
    harness.run_steps(4);
    assert!(has_text(&harness, "Transfer 123.45 TST from=0xf39F…2266 to=0x7099…79C8"));
    let tokens = harness.state().settings().decoding.tokens;
    assert_eq!(tokens.iter().map(ToString::to_string).collect::<Vec<_>>(), vec![format!("{token}=TST:2")]);

    // One spoiled by hand in settings.json is listed with why it is not used, and kept.
    let spoiled = TokenSource { address: "0x12".to_owned(), symbol: "BAD".to_owned(), decimals: 1 };
    let decoding = DecodeSources { tokens: vec![spoiled], ..DecodeSources::default() };
    let mut harness = self::harness(&runtime, Settings { decoding, ..Settings::default() });
    harness.get_by_label("Decoding (0 ABIs, 1 token)").click();
    harness.run_steps(3);
    assert!(has_text_containing(&harness, "\"0x12\" is not an address"));
    assert_eq!(harness.state().settings().decoding.tokens.len(), 1);
}
