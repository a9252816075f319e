//! Decoding what a user reads, on real frames: Ethereum events emitted on a real anvil and
//! Solana logs from the real test validator, both captured by `subscope record`; Solana log
//! trees with nested and failed instructions; and `subscope show` on those captures, as a
//! script would run it.

#[path = "support/solana_tx.rs"]
mod solana_tx;
mod support;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output, Stdio};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use subscope::decode::{Decoded, Decoder, Detail, Invocation, InvokeResult, LogItem, log_tree};
use support::record::{start_record, wait_for};
use support::{free_port, http_rpc, poll, send_and_wait as send_tx, start_anvil, start_validator};

const DEV_ACCOUNT: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
const OTHER_ACCOUNT: &str = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
/// keccak256("Transfer(address,address,uint256)").
const TRANSFER_TOPIC: &str = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
/// keccak256("Swap(address,uint256,uint256,uint256,uint256,address)"), Uniswap V2's pair.
const SWAP_V2_TOPIC: &str = "0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822";
/// A topic no ABI knows.
const UNKNOWN_TOPIC: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";

/// A hand-assembled emitter. Its runtime reads calldata as `n`, four topic words and the
/// data (from byte 160 on), and emits `LOGn(topics[..n], data)`:
///
/// ```text
///  0 PUSH1 0x80 CALLDATALOAD  PUSH1 0x60 CALLDATALOAD   t3 t2      (topics: words 1..4)
///    PUSH1 0x40 CALLDATALOAD  PUSH1 0x20 CALLDATALOAD   t1 t0
///    PUSH1 0 CALLDATALOAD                                n
/// 15 PUSH1 0xa0                                          off = 160
///    DUP1 CALLDATASIZE SUB                               len = size - off
///    DUP1 DUP3 PUSH1 0 CALLDATACOPY                      memory[0..len] = data
///    SWAP1 POP SWAP1                                     n len t0 t1 t2 t3
///    PUSH1 3 MUL PUSH1 38 ADD PUSH1 0 SWAP1 JUMP         to 38 + 3n with 0 len t0..t3
/// 38 JUMPDEST LOG0 STOP  JUMPDEST LOG1 STOP  …  JUMPDEST LOG4 STOP
/// ```
/// The 12-byte constructor copies the 53-byte runtime and returns it.
const EMITTER: &str = concat!(
    "0x6035600c60003960356000f3",
    "608035606035604035602035600035",
    "60a0",
    "803603",
    "8082600037",
    "905090",
    "600302602601600090",
    "56",
    "5ba0005ba1005ba2005ba3005ba400",
);

/// The user ABI's event, as a Foundry artifact (`{"abi": [...], "bytecode": {...}}`).
const STORED_ARTIFACT: &str = r#"{"abi":[{"type":"event","name":"Stored","anonymous":false,"inputs":[
  {"name":"by","type":"address","indexed":true,"internalType":"address"},
  {"name":"key","type":"uint256","indexed":true,"internalType":"uint256"},
  {"name":"note","type":"string","indexed":false,"internalType":"string"}]}],
  "bytecode":{"object":"0x00","sourceMap":"","linkReferences":{}}}"#;

fn subscope() -> Process {
    let mut command = Process::new(env!("CARGO_BIN_EXE_subscope"));
    command.env_remove("SUBSCOPE_API_KEY").env_remove("NO_COLOR");
    command
}

fn run(command: &mut Process) -> (Output, String, String) {
    let output = command.output().unwrap_or_else(|err| panic!("{err}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

fn word(value: u128) -> String {
    format!("{value:064x}")
}

fn padded(address: &str) -> String {
    format!("{:0>64}", address.trim_start_matches("0x"))
}

/// Emits `LOGn(topics, data)` from the emitter.
fn emit(port: u16, contract: &str, topics: &[&str], data: &str) {
    let mut calldata = format!("0x{}", word(topics.len() as u128));
    for index in 0..4 {
        calldata.push_str(
            &topics.get(index).map_or_else(|| word(0), |topic| topic.trim_start_matches("0x").to_owned()),
        );
    }
    calldata.push_str(data);
    let receipt =
        send_tx(port, json!({"from": DEV_ACCOUNT, "to": contract, "data": calldata, "gas": "0x100000"}));
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    assert_eq!(receipt["logs"][0]["topics"].as_array().map(Vec::len), Some(topics.len()), "{receipt}");
}

/// The frames of the notifications in an NDJSON capture.
fn notifications(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["kind"] == "notification")
        .map(|event| event["frame"].to_string())
        .collect()
}

fn event_args(decoded: &Decoded) -> Vec<(String, String, String)> {
    let Detail::Event(event) = &decoded.detail else { panic!("not an event: {decoded:?}") };
    event.args.iter().map(|arg| (arg.name.clone(), arg.ty.clone(), arg.value.clone())).collect()
}

fn triples(items: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    items.iter().map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned())).collect()
}

/// An anvil with the emitter deployed, its events recorded by `subscope record` into `out`.
fn anvil_capture(dir: &Path) -> (support::Node, String, PathBuf) {
    let anvil = start_anvil(free_port(), &[]);
    let receipt = send_tx(anvil.port, json!({"from": DEV_ACCOUNT, "data": EMITTER, "gas": "0x100000"}));
    let contract = receipt["contractAddress"].as_str().unwrap_or_else(|| panic!("{receipt}")).to_owned();
    let out = dir.join("anvil.ndjson");
    let body = json!({"method": "eth_subscribe", "params": ["logs", {"address": contract}]});
    let record = start_record(&format!("ws://127.0.0.1:{}", anvil.port), &[body], &["--count", "4"], &out);

    let (from, to) = (padded(DEV_ACCOUNT), padded(OTHER_ACCOUNT));
    emit(anvil.port, &contract, &[TRANSFER_TOPIC, &from, &to], &word(1_000_500_000));
    let swap = [10u128.pow(18), 0, 0, 2_500_000_000].map(word).concat();
    emit(anvil.port, &contract, &[SWAP_V2_TOPIC, &from, &to], &swap);
    let stored = alloy_primitives::keccak256("Stored(address,uint256,string)").to_string();
    let note = format!("{}{}{:0<64}", word(0x20), word(14), alloy_primitives::hex::encode("hello subscope"));
    emit(anvil.port, &contract, &[&stored, &from, &format!("0x{}", word(7))], &note);
    emit(anvil.port, &contract, &[UNKNOWN_TOPIC], &word(42));
    wait_for(record, Duration::from_secs(30));
    (anvil, contract, out)
}

#[test]
fn events_from_a_real_anvil_decode_and_show_prints_them() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let (_anvil, contract, capture) = anvil_capture(dir.path());
    let frames = notifications(&capture);
    assert_eq!(frames.len(), 4, "{frames:?}");

    // Golden decodes of the four real frames.
    let abi = dir.path().join("Stored.json");
    std::fs::write(&abi, STORED_ARTIFACT).unwrap_or_else(|err| panic!("{err}"));
    let mut decoder = Decoder::new();
    decoder.add_abi_file(&abi, Some(&contract)).unwrap_or_else(|err| panic!("{err}"));
    let decoded: Vec<Option<Decoded>> = frames.iter().map(|frame| decoder.decode(frame)).collect();
    let [Some(transfer), Some(swap), Some(stored), unknown] = decoded.as_slice() else {
        panic!("{decoded:#?}")
    };
    assert_eq!(transfer.summary, "Transfer 1000500000 from=0xf39F…2266 to=0x7099…79C8");
    assert_eq!(
        event_args(transfer),
        triples(&[
            ("from", "address", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
            ("to", "address", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
            ("value", "uint256", "1000500000"),
        ])
    );
    assert_eq!(
        swap.summary,
        "Swap sender=0xf39F…2266 amount0In=1000000000000000000 amount1In=0 amount0Out=0 amount1Out=2500000000 to=0x7099…79C8"
    );
    let Detail::Event(swap_event) = &swap.detail else { panic!("{swap:?}") };
    assert_eq!(
        (swap_event.origin.as_str(), swap_event.contract.to_lowercase()),
        ("Uniswap V2", contract.clone())
    );
    assert_eq!(stored.summary, r#"Stored by=0xf39F…2266 key=7 note="hello subscope""#);
    let Detail::Event(stored_event) = &stored.detail else { panic!("{stored:?}") };
    assert_eq!(stored_event.origin, "Stored.json");
    assert_eq!(*unknown, None, "an unknown topic stays raw");
    // Unbound elsewhere: the user's event is not applied to another contract.
    let elsewhere = frames[2].replace(&contract, "0x000000000000000000000000000000000000dead");
    assert_eq!(decoder.decode(&elsewhere), None);

    // `show`: the table, with the token's units from --token.
    let abi_arg = format!("{}@{contract}", abi.display());
    let (output, stdout, stderr) = run(subscope().arg("show").arg(&capture).args([
        "--abi",
        &abi_arg,
        "--token",
        &format!("{contract}=TST:6"),
    ]));
    assert!(output.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("Time (UTC)") && lines[0].ends_with("Decoded"), "{stdout}");
    assert!(!stdout.contains('\x1b'), "no colours into a pipe");
    for expected in [
        "Transfer 1,000.5 TST from=0xf39F…2266 to=0x7099…79C8",
        "Swap sender=0xf39F…2266 amount0In=1000000000000000000",
        r#"Stored by=0xf39F…2266 key=7 note="hello subscope""#,
    ] {
        let line = lines
            .iter()
            .find(|line| line.contains(expected))
            .unwrap_or_else(|| panic!("{expected}: {stdout}"));
        assert!(line.contains("logs #") && line.contains("← notification"), "{line}");
    }
    assert!(lines.iter().any(|line| line.contains("→ request")), "{stdout}");

    // --json: every event, its decoded fields, and the frame.
    let (output, stdout, stderr) =
        run(subscope().arg("show").arg(&capture).args(["--json", "--kind", "notification"]));
    assert!(output.status.success(), "{stderr}");
    let rows: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}")))
        .collect();
    assert_eq!(rows.len(), 4, "{stdout}");
    assert_eq!(rows[0]["decoded"]["name"], "Transfer");
    assert_eq!(
        rows[0]["decoded"]["args"][2],
        json!({"name": "value", "type": "uint256", "indexed": false, "value": "1000500000"})
    );
    assert_eq!(rows[1]["decoded"]["origin"], "Uniswap V2");
    assert_eq!(rows[2]["decoded"], Value::Null, "without --abi the user's event stays raw");
    assert_eq!(rows[3]["decoded"], Value::Null);
    assert_eq!(rows[3]["frame"]["params"]["result"]["topics"][0], UNKNOWN_TOPIC);
    assert_eq!(rows[3]["kind"], "notification");

    // The table's filter: text over the raw frame, and kind.
    let (_, stdout, _) = run(subscope().arg("show").arg(&capture).args(["--filter", &SWAP_V2_TOPIC[..12]]));
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout.contains("Swap sender="), "{stdout}");
    let (_, stdout, _) = run(subscope().arg("show").arg(&capture).args([
        "--regex",
        "topics\":\\[\"0x1{64}",
        "--kind",
        "notification",
    ]));
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    let (_, stdout, _) = run(subscope().arg("show").arg(&capture).args(["--kind", "request"]));
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
}

#[test]
fn show_refuses_bad_arguments_with_exit_code_2_and_ends_quietly_on_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let bad_abi = dir.path().join("bad-abi.json");
    std::fs::write(&bad_abi, "[\n  {\"type\": \"event\", \"name\": }\n]")
        .unwrap_or_else(|err| panic!("{err}"));
    let capture = dir.path().join("capture.ndjson");
    let line = json!({"v":1,"seq":0,"time_ms":1_700_000_000_000u64,"connection":"c","endpoint":"ws://x","direction":"in","kind":"notification","method":"logsNotification",
        "frame":{"jsonrpc":"2.0","method":"logsNotification","params":{"subscription":1,"result":{"context":{"slot":5},"value":{"signature":"5h6x","err":null,
        "logs":["Program 11111111111111111111111111111111 invoke [1]","Program 11111111111111111111111111111111 success"]}}}}});
    std::fs::write(&capture, format!("{line}\n").repeat(50_000)).unwrap_or_else(|err| panic!("{err}"));

    for (args, expected) in [
        (vec!["--kind", "nope"], "unknown kind \"nope\""),
        (vec!["--regex", "(unclosed"], "not a valid regex"),
        (vec!["--abi", bad_abi.to_str().unwrap_or_default()], "line 2 column"),
        (vec!["--token", "0x12=X"], "0xADDRESS=SYMBOL:DECIMALS"),
        (vec!["--filter", "a", "--regex", "b"], "cannot be used with"),
    ] {
        let (output, _, stderr) = run(subscope().arg("show").arg(&capture).args(&args));
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let (_, _, stderr) =
        run(subscope().arg("show").arg(&capture).args(["--abi", bad_abi.to_str().unwrap_or_default()]));
    assert!(stderr.contains("bad-abi.json"), "the error names the file: {stderr}");
    let (output, stdout, stderr) = run(subscope().arg("show").arg(dir.path().join("missing.ndjson")));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stdout, "", "no table for a file that cannot be read");
    assert!(stderr.contains("missing.ndjson"), "{stderr}");

    // `| head -1`: the reader goes away after a line; show ends at once, quietly, with 0.
    let mut child = subscope()
        .arg("show")
        .arg(&capture)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"));
    let mut first = String::new();
    if let Some(stdout) = child.stdout.take() {
        BufReader::new(stdout).read_line(&mut first).ok();
    }
    assert!(first.starts_with("Time (UTC)"), "{first}");
    let output = child.wait_with_output().unwrap_or_else(|err| panic!("{err}"));
    assert!(output.status.success(), "{:?}", output.status);
    assert_eq!(String::from_utf8_lossy(&output.stderr), "", "a closed pipe is not an error");
}

/// Logs modelled on a mainnet transaction that creates an associated token account (three
/// inner instructions, one with a return value) and then transfers, with compute budget.
const NESTED: &[&str] = &[
    "Program ComputeBudget111111111111111111111111111111 invoke [1]",
    "Program ComputeBudget111111111111111111111111111111 success",
    "Program ComputeBudget111111111111111111111111111111 invoke [1]",
    "Program ComputeBudget111111111111111111111111111111 success",
    "Program ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL invoke [1]",
    "Program log: Create",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA invoke [2]",
    "Program log: Instruction: GetAccountDataSize",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA consumed 1569 of 394211 compute units",
    "Program return: TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA pQAAAAAAAAA=",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA success",
    "Program 11111111111111111111111111111111 invoke [2]",
    "Program 11111111111111111111111111111111 success",
    "Program log: Initialize the associated token account",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA invoke [2]",
    "Program log: Instruction: InitializeImmutableOwner",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA consumed 1405 of 387624 compute units",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA success",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA invoke [2]",
    "Program log: Instruction: InitializeAccount3",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA consumed 4188 of 383740 compute units",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA success",
    "Program ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL consumed 20315 of 399850 compute units",
    "Program ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL success",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA invoke [1]",
    "Program log: Instruction: TransferChecked",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA consumed 6200 of 379535 compute units",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA success",
];

/// A Token transfer that fails with the program's custom error 1 (insufficient funds),
/// inside a swap program's instruction (an unknown program: shown by its id).
const FAILED: &[&str] = &[
    "Program ComputeBudget111111111111111111111111111111 invoke [1]",
    "Program ComputeBudget111111111111111111111111111111 success",
    "Program JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4 invoke [1]",
    "Program log: Instruction: Route",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA invoke [2]",
    "Program log: Instruction: Transfer",
    "Program log: Error: insufficient funds",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA consumed 4381 of 180512 compute units",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA failed: custom program error: 0x1",
    "Program JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4 consumed 19841 of 199850 compute units",
    "Program JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4 failed: custom program error: 0x1",
];

fn children(invocation: &Invocation) -> Vec<&Invocation> {
    invocation
        .items
        .iter()
        .filter_map(|item| match item {
            LogItem::Invoke(inner) => Some(inner),
            _ => None,
        })
        .collect()
}

#[test]
fn nested_invocations_form_a_tree_with_names_compute_and_returns() {
    let tree = log_tree(NESTED.iter().copied());
    assert_eq!(tree.summary(), "ComputeBudget ×2; Associated Token; Token: TransferChecked");
    let top: Vec<&Invocation> = tree.instructions().collect();
    assert_eq!(top.len(), 4);
    let create = top[2];
    assert_eq!(
        (create.program_name, create.depth, create.compute_units),
        (Some("Associated Token"), 1, Some((20_315, 399_850)))
    );
    assert_eq!(create.result, InvokeResult::Success);
    let inner = children(create);
    let names: Vec<(Option<&str>, Option<&str>, u32)> =
        inner.iter().map(|i| (i.program_name, i.instruction.as_deref(), i.depth)).collect();
    assert_eq!(
        names,
        [
            (Some("Token"), Some("GetAccountDataSize"), 2),
            (Some("System"), None, 2),
            (Some("Token"), Some("InitializeImmutableOwner"), 2),
            (Some("Token"), Some("InitializeAccount3"), 2),
        ]
    );
    assert!(inner[0].items.contains(&LogItem::Return {
        program: "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA".into(),
        data: "pQAAAAAAAAA=".into()
    }));
    assert!(create.items.contains(&LogItem::Log { text: "Initialize the associated token account".into() }));
    // Log lines keep their order around the inner instructions.
    assert!(matches!(&create.items[0], LogItem::Log { text } if text == "Create"));
    assert!(matches!(&create.items[3], LogItem::Log { text } if text.starts_with("Initialize the")));
}

#[test]
fn a_failed_instruction_carries_its_error_up_the_tree() {
    let frame = json!({"jsonrpc":"2.0","method":"logsNotification","params":{"subscription":4,"result":{"context":{"slot":301},
        "value":{"signature":"2nBhEBYYvfaAe16UMNqRHre4YNSskvuYgx3M6E4JP1oDYvZEJHvoPzyUidNgNX5r9sTyN1J9UxtbCXy2rqYcuyuv",
        "err":{"InstructionError":[1,{"Custom":1}]},"logs":FAILED}}}})
    .to_string();
    let decoded = Decoder::new().decode(&frame).unwrap_or_else(|| panic!("not decoded"));
    assert_eq!(decoded.summary, "ComputeBudget; JUP6…TaV4: Route failed: custom program error: 0x1");
    let Detail::Logs { transactions } = &decoded.detail else { panic!("{decoded:?}") };
    let tree = &transactions[0];
    assert_eq!(tree.error.as_deref(), Some(r#"{"InstructionError":[1,{"Custom":1}]}"#));
    let route = tree.instructions().nth(1).unwrap_or_else(|| panic!("{tree:?}"));
    assert_eq!(route.result, InvokeResult::Failed("custom program error: 0x1".into()));
    let transfer = children(route)[0];
    assert_eq!(transfer.instruction.as_deref(), Some("Transfer"));
    assert_eq!(transfer.result, InvokeResult::Failed("custom program error: 0x1".into()));
    assert!(transfer.items.contains(&LogItem::Log { text: "Error: insufficient funds".into() }));
    let json = serde_json::to_value(&decoded).unwrap_or_default();
    assert_eq!(
        json["transactions"][0]["items"][1]["result"],
        json!({"status": "failed", "error": "custom program error: 0x1"})
    );
}

fn solana_capture_sig(frame: &str) -> Option<String> {
    let value: Value = serde_json::from_str(frame).ok()?;
    value["params"]["result"]["value"]["signature"].as_str().map(str::to_owned)
}

#[test]
fn the_real_validators_transfers_and_parsed_clock_decode_and_show() {
    let rpc_port = loop {
        let port = free_port();
        if port < 65000 && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            break port;
        }
    };
    let _validator = start_validator(rpc_port, free_port());
    let ws = format!("ws://127.0.0.1:{}", rpc_port + 1);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));

    // jsonParsed: the clock sysvar, which the node parses.
    let clock_out = dir.path().join("clock.ndjson");
    let clock = json!({"method": "accountSubscribe", "params": ["SysvarC1ock11111111111111111111111111111111", {"encoding": "jsonParsed"}]});
    let clock_record = start_record(&ws, &[clock], &["--count", "1"], &clock_out);
    wait_for(clock_record, Duration::from_secs(60));
    let clock_frames = notifications(&clock_out);
    let decoded = Decoder::new().decode(&clock_frames[0]).unwrap_or_else(|| panic!("{clock_frames:?}"));
    let Detail::Account(account) = &decoded.detail else { panic!("{decoded:?}") };
    assert_eq!((account.program.as_str(), account.kind.as_deref()), ("sysvar", Some("clock")));
    let names: Vec<&str> = account.fields.iter().map(|field| field.name.as_str()).collect();
    assert!(
        names.contains(&"slot") && names.contains(&"unixTimestamp") && names.contains(&"epoch"),
        "{names:?}"
    );
    assert!(
        decoded.summary.starts_with("sysvar clock: epoch=") && decoded.summary.contains(" slot="),
        "{}",
        decoded.summary
    );

    // A transfer and one that fails (more than the payer has, sent past preflight).
    let payer = SigningKey::from_bytes(&std::array::from_fn(|_| fastrand::u8(..)));
    let payer_key = bs58::encode(payer.verifying_key().to_bytes()).into_string();
    let dest: [u8; 32] = std::array::from_fn(|_| fastrand::u8(..));
    let out = dir.path().join("logs.ndjson");
    let logs = json!({"method": "logsSubscribe", "params": [{"mentions": [payer_key]}, {"commitment": "confirmed"}]});
    let record = start_record(&ws, &[logs], &["--count", "3"], &out);
    let airdrop = http_rpc(rpc_port, "requestAirdrop", json!([payer_key, 2_000_000_000u64]));
    assert!(airdrop["result"].is_string(), "{airdrop}");
    let balance = || {
        http_rpc(rpc_port, "getBalance", json!([payer_key, {"commitment": "confirmed"}]))["result"]["value"]
            .as_u64()
    };
    poll("the airdrop", Duration::from_secs(60), || balance().filter(|lamports| *lamports > 0));
    let mut signatures = Vec::new();
    for lamports in [500_000_000u64, 5_000_000_000] {
        let blockhash = http_rpc(rpc_port, "getLatestBlockhash", json!([{"commitment": "confirmed"}]));
        let blockhash = blockhash["result"]["value"]["blockhash"].as_str().unwrap_or_default().to_owned();
        let (transaction, signature) = solana_tx::transfer(&payer, &dest, lamports, &blockhash);
        let sent = http_rpc(
            rpc_port,
            "sendTransaction",
            json!([transaction, {"encoding": "base64", "skipPreflight": true}]),
        );
        assert_eq!(sent["result"], json!(signature), "{sent}");
        signatures.push(signature);
    }
    wait_for(record, Duration::from_secs(90));
    let frames = notifications(&out);
    let decoder = Decoder::new();
    let by_signature = |signature: &str| {
        let frame = frames.iter().find(|frame| solana_capture_sig(frame).as_deref() == Some(signature));
        decoder
            .decode(frame.unwrap_or_else(|| panic!("no logs for {signature}: {frames:?}")))
            .unwrap_or_else(|| panic!("not decoded"))
    };
    let sent = by_signature(&signatures[0]);
    assert_eq!(sent.summary, "System");
    let Detail::Logs { transactions } = &sent.detail else { panic!("{sent:?}") };
    let system = transactions[0].instructions().next().unwrap_or_else(|| panic!("{transactions:?}"));
    assert_eq!(
        (system.program_name, system.depth, &system.result),
        (Some("System"), 1, &InvokeResult::Success)
    );

    let failed = by_signature(&signatures[1]);
    assert_eq!(failed.summary, "System failed: custom program error: 0x1");
    let Detail::Logs { transactions } = &failed.detail else { panic!("{failed:?}") };
    let tree = &transactions[0];
    assert_eq!(tree.error.as_deref(), Some(r#"{"InstructionError":[0,{"Custom":1}]}"#));
    let system = tree.instructions().next().unwrap_or_else(|| panic!("{tree:?}"));
    assert_eq!(system.result, InvokeResult::Failed("custom program error: 0x1".into()));
    assert!(
        system.items.iter().any(|item| matches!(item, LogItem::Log { text } | LogItem::Other { text } if text.contains("insufficient lamports"))),
        "{system:?}"
    );

    let (output, stdout, stderr) = run(subscope().arg("show").arg(&out).args(["--kind", "notification"]));
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.lines().any(|line| line.ends_with("  System") && line.contains("logs #")), "{stdout}");
    assert!(
        stdout.lines().any(|line| line.ends_with("  System failed: custom program error: 0x1")),
        "{stdout}"
    );
    let (_, stdout, _) = run(subscope().arg("show").arg(&clock_out).args(["--kind", "notification"]));
    assert!(stdout.contains("sysvar clock: epoch="), "{stdout}");
}
