//! The decoder on frames written as nodes send them.

use serde_json::json;

use super::*;

const TRANSFER: &str = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
const USDC: &str = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48";
const FROM: &str = "0x000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266";
const TO: &str = "0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8";

fn eth_frame(result: serde_json::Value) -> String {
    json!({"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x1","result":result}})
        .to_string()
}

fn log(address: &str, topics: &[&str], data: &str, removed: bool) -> String {
    eth_frame(
        json!({"address": address, "topics": topics, "data": data, "blockNumber": "0x1", "logIndex": "0x0", "removed": removed}),
    )
}

fn word(value: u128) -> String {
    format!("{value:064x}")
}

fn event(decoded: &Decoded) -> &EthEvent {
    match &decoded.detail {
        Detail::Event(event) => event,
        other => panic!("not an event: {other:?}"),
    }
}

#[test]
fn a_usdc_transfer_reads_in_dollars() {
    let decoded = Decoder::new()
        .decode(&log(USDC, &[TRANSFER, FROM, TO], &format!("0x{}", word(1_000_500_000)), false))
        .unwrap_or_else(|| panic!("not decoded"));
    assert_eq!(decoded.summary, "Transfer 1,000.5 USDC from=0xf39F…2266 to=0x7099…79C8");
    let event = event(&decoded);
    assert_eq!(
        (event.origin.as_str(), event.signature.as_str()),
        ("ERC-20", "Transfer(address,address,uint256)")
    );
    assert_eq!(event.args[2].value, "1000500000");
    assert_eq!(event.args[2].formatted.as_deref(), Some("1,000.5 USDC"));
    assert_eq!(event.args[0].value, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    assert!(event.args[0].indexed && !event.args[2].indexed);
}

#[test]
fn an_unknown_token_keeps_the_raw_integer_and_removed_logs_say_so() {
    let other = "0x1111111111111111111111111111111111111111";
    let decoded = Decoder::new()
        .decode(&log(other, &[TRANSFER, FROM, TO], &format!("0x{}", word(1_000_500_000)), true))
        .unwrap_or_else(|| panic!("not decoded"));
    assert_eq!(decoded.summary, "removed: Transfer 1000500000 from=0xf39F…2266 to=0x7099…79C8");
    assert!(event(&decoded).removed);
    assert_eq!(event(&decoded).args[2].formatted, None);
}

#[test]
fn an_erc721_transfer_indexes_the_token_id() {
    let decoded = Decoder::new()
        .decode(&log(USDC, &[TRANSFER, FROM, TO, &format!("0x{}", word(7))], "0x", false))
        .unwrap_or_else(|| panic!("not decoded"));
    assert_eq!(event(&decoded).origin, "ERC-721");
    assert_eq!(decoded.summary, "Transfer from=0xf39F…2266 to=0x7099…79C8 tokenId=7");
}

#[test]
fn unknown_topics_and_short_data_stay_raw() {
    let decoder = Decoder::new();
    let unknown = format!("0x{}", "ab".repeat(32));
    assert_eq!(decoder.decode(&log(USDC, &[&unknown], "0x", false)), None);
    // A Transfer with no amount in its data is not an ERC-20 Transfer.
    assert_eq!(decoder.decode(&log(USDC, &[TRANSFER, FROM, TO], "0x", false)), None);
    assert_eq!(decoder.decode("not json"), None);
    assert_eq!(decoder.decode(r#"{"jsonrpc":"2.0","result":"0x1","id":1}"#), None);
}

#[test]
fn a_user_abi_wins_over_the_builtins_and_can_be_bound_to_a_contract() {
    let abi = r#"{"abi":[{"type":"event","name":"Moved","anonymous":false,"inputs":[
        {"name":"who","type":"address","indexed":true},{"name":"to","type":"address","indexed":true},
        {"name":"howMuch","type":"uint256","indexed":false}]}]}"#;
    // Moved(address,address,uint256) has its own topic; rename Transfer to check precedence.
    let transfer_abi = r#"[{"type":"event","name":"Transfer","anonymous":false,"inputs":[
        {"name":"sender","type":"address","indexed":true},{"name":"receiver","type":"address","indexed":true},
        {"name":"wad","type":"uint256","indexed":false}]}]"#;
    let mut decoder = Decoder::new();
    decoder.add_abi_json("moved.json", abi, None).unwrap_or_else(|err| panic!("{err}"));
    let bound = "0x2222222222222222222222222222222222222222";
    decoder.add_abi_json("mine.json", transfer_abi, Some(bound)).unwrap_or_else(|err| panic!("{err}"));
    let data = format!("0x{}", word(5));
    let at_bound = decoder.decode(&log(bound, &[TRANSFER, FROM, TO], &data, false));
    let event_at_bound = at_bound.as_ref().map(event).unwrap_or_else(|| panic!("not decoded"));
    assert_eq!(event_at_bound.origin, "mine.json");
    assert_eq!(event_at_bound.args[0].name, "sender");
    let elsewhere = decoder.decode(&log(USDC, &[TRANSFER, FROM, TO], &data, false));
    assert_eq!(elsewhere.as_ref().map(|decoded| event(decoded).origin.as_str()), Some("ERC-20"));
}

#[test]
fn bad_abis_are_refused_with_the_file_and_the_place() {
    let mut decoder = Decoder::new();
    let syntax = decoder.add_abi_json("bad.json", "[{\"type\":\"event\",\n\"name\": }]", None);
    let message = syntax.map_err(|err| err.to_string()).err().unwrap_or_default();
    assert!(message.starts_with("bad.json: not a JSON ABI") && message.contains("line 2"), "{message}");
    let bad_type = decoder.add_abi_json(
        "types.json",
        r#"[{"type":"event","name":"E","anonymous":false,"inputs":[{"name":"x","type":"uint257","indexed":false}]}]"#,
        None,
    );
    let message = bad_type.map_err(|err| err.to_string()).err().unwrap_or_default();
    assert!(message.starts_with("types.json: "), "{message}");
    assert!(message.contains("uint257"), "{message}");
    let no_abi = decoder.add_abi_json("object.json", r#"{"bytecode":"0x00"}"#, None);
    assert!(no_abi.is_err_and(|err| err.message.contains("no ABI")));
    let address = decoder.add_abi_json("a.json", "[]", Some("0x12"));
    assert!(address.is_err_and(|err| err.message.contains("not a contract address")));
    let missing = decoder.add_abi_file(Path::new("/nonexistent/abi.json"), None);
    assert!(missing.is_err_and(|err| err.path == "/nonexistent/abi.json"));
}

#[test]
fn transaction_input_is_decoded_by_selector() {
    let input = format!("0xa9059cbb{}{}", &TO[2..], word(2_500_000));
    let pending =
        eth_frame(json!({"hash": "0xab", "from": "0x01", "to": USDC, "input": input, "value": "0x0"}));
    let decoded = Decoder::new().decode(&pending).unwrap_or_else(|| panic!("not decoded"));
    assert_eq!(decoded.summary, "call transfer 2.5 USDC to=0x7099…79C8");
    let mined =
        eth_frame(json!({"removed": true, "transaction": {"hash": "0xab", "to": USDC, "input": input}}));
    let decoded = Decoder::new().decode(&mined).unwrap_or_else(|| panic!("not decoded"));
    assert!(decoded.summary.starts_with("removed: call transfer"));
    let plain = eth_frame(json!({"hash": "0xab", "to": USDC, "input": "0x"}));
    assert_eq!(Decoder::new().decode(&plain), None);
}

#[test]
fn user_tokens_give_amounts_their_units() {
    let mut decoder = Decoder::new();
    let token = "0x3333333333333333333333333333333333333333";
    decoder.add_token(token, "TST", 2).unwrap_or_else(|err| panic!("{err}"));
    let decoded = decoder.decode(&log(token, &[TRANSFER, FROM, TO], &format!("0x{}", word(12_345)), false));
    assert_eq!(
        decoded.map(|decoded| decoded.summary).as_deref(),
        Some("Transfer 123.45 TST from=0xf39F…2266 to=0x7099…79C8")
    );
    assert!(decoder.add_token("nope", "X", 1).is_err());
}

#[test]
fn decoded_values_serialize_with_their_names_and_types() {
    let decoded = Decoder::new()
        .decode(&log(USDC, &[TRANSFER, FROM, TO], &format!("0x{}", word(1)), false))
        .unwrap_or_else(|| panic!("not decoded"));
    let value = serde_json::to_value(&decoded).unwrap_or_default();
    assert_eq!(value["type"], "event");
    assert_eq!(value["name"], "Transfer");
    assert_eq!(
        value["args"][2],
        json!({"name":"value","type":"uint256","indexed":false,"value":"1","formatted":"0.000001 USDC"})
    );
}

#[test]
fn jsonparsed_account_notifications_show_their_fields() {
    let frame = json!({"jsonrpc":"2.0","method":"accountNotification","params":{"subscription":3,"result":{
        "context":{"slot":9},"value":{"lamports":1,"owner":"11111111111111111111111111111111","executable":false,
        "rentEpoch":0,"space":80,"data":{"program":"nonce","parsed":{"type":"initialized","info":{
        "authority":"FX8tDFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8","blockhash":"4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T",
        "feeCalculator":{"lamportsPerSignature":"5000"}}}}}}}})
    .to_string();
    let decoded = Decoder::new().decode(&frame).unwrap_or_else(|| panic!("not decoded"));
    assert_eq!(decoded.summary, "nonce initialized: authority=FX8t…gwc8 blockhash=4Nd1…DB4T");
    let Detail::Account(account) = &decoded.detail else { panic!("{decoded:?}") };
    assert_eq!(
        account.fields[2],
        Field { name: "feeCalculator.lamportsPerSignature".into(), value: "5000".into() }
    );
}

#[test]
fn a_decoder_can_be_shared_with_a_window_thread() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<Decoder>();
    shared::<Decoded>();
}

#[test]
fn outlines_list_arguments_and_indent_inner_instructions() {
    let decoded = Decoder::new()
        .decode(&log(USDC, &[TRANSFER, FROM, TO], &format!("0x{}", word(1_000_500_000)), true))
        .unwrap_or_else(|| panic!("not decoded"));
    let lines = decoded.outline();
    assert_eq!(
        (lines[0].label.as_str(), lines[0].value.as_str()),
        (
            "Transfer(address,address,uint256)",
            "ERC-20 at 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 (removed by a reorg)"
        )
    );
    assert_eq!(
        (lines[3].depth, lines[3].label.as_str(), lines[3].value.as_str()),
        (1, "value (uint256)", "1000500000 (1,000.5 USDC)")
    );
    assert_eq!(lines[1].label, "from (address, indexed)");

    let token = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
    let frame = json!({"jsonrpc":"2.0","method":"logsNotification","params":{"subscription":1,"result":{"context":{"slot":1},
        "value":{"signature":"5h6xBEauJ3PK6SWCZ1PGjBvj8vDdWG3KpwATGy1ARAXFSDwt8GFXM7W5Ncn16wmqokgpiKRLuS83KUxyZyv2sUYv","err":null,"logs":[
        "Program ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL invoke [1]",
        format!("Program {token} invoke [2]"), "Program log: Instruction: GetAccountDataSize",
        format!("Program {token} consumed 1569 of 394211 compute units"), format!("Program {token} success"),
        "Program ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL success"]}}}})
    .to_string();
    let lines = Decoder::new().decode(&frame).map(|decoded| decoded.outline()).unwrap_or_default();
    let shown: Vec<(usize, &str, &str)> =
        lines.iter().map(|line| (line.depth, line.label.as_str(), line.value.as_str())).collect();
    assert_eq!(
        shown,
        [
            (0, "5h6xBEau…Zyv2sUYv", "succeeded"),
            (1, "Associated Token", "success"),
            (2, "Token: GetAccountDataSize", "success, 1,569 of 394,211 CU"),
            (3, "log", "Instruction: GetAccountDataSize"),
        ]
    );
}

#[test]
fn invokes_printed_ever_deeper_nest_no_deeper_than_the_cap() {
    // A server that makes up its logs: every line one level deeper than any runtime goes.
    let program = "11111111111111111111111111111111";
    let lines: Vec<String> = (0..200_000).map(|_| format!("Program {program} invoke [999]")).collect();
    let tree = log_tree(lines.iter().map(String::as_str));
    let mut deepest = 0;
    let mut level: Vec<&Invocation> = tree.instructions().collect();
    while !level.is_empty() {
        deepest += 1;
        level = level
            .iter()
            .flat_map(|invocation| invocation.items.iter())
            .filter_map(|item| match item {
                LogItem::Invoke(inner) => Some(inner),
                _ => None,
            })
            .collect();
    }
    assert!(deepest <= 16, "nested {deepest} deep");
    // Walking it (the outline, its JSON, dropping it) does not overflow the stack.
    let decoded = Decoded { summary: String::new(), detail: Detail::Logs { transactions: vec![tree] } };
    assert_eq!(decoded.outline().len(), 200_001);
    assert!(serde_json::to_string(&decoded).is_ok());
}

#[test]
fn a_logs_result_read_from_its_text_decodes_as_read_into_values() {
    let decoder = Decoder::default();
    let logs = json!([
        "Program ComputeBudget111111111111111111111111111111 invoke [1]",
        "Program ComputeBudget111111111111111111111111111111 success",
        "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA invoke [1]",
        "Program log: Instruction: Transfer",
        "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA consumed 4645 of 200000 compute units",
        "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA failed: custom program error: 0x1"
    ]);
    for value in [
        json!({"signature": "5h6x", "err": null, "logs": logs}),
        json!({"signature": "5h6x", "err": {"InstructionError": [1, {"Custom": 1}]}, "logs": logs}),
        json!({"err": null, "logs": ["Program log: \"quoted\" \\ é"]}),
        json!({"signature": 7, "logs": logs}),
        json!({"signature": "s", "logs": ["a", 1, null]}),
        json!({"signature": "s", "logs": null}),
        json!({"signature": "s"}),
        json!(null),
    ] {
        let result = json!({"context": {"slot": 5}, "value": value});
        let frame = json!({"jsonrpc": "2.0", "method": "logsNotification", "params": {"subscription": 1, "result": result}});
        let by_values = decoder.decode_result(Payload::SolanaLogs, &result);
        assert_eq!(decoder.decode(&frame.to_string()), by_values, "{frame}");
        // With the err's members in another order and spaces: the same words.
        let spaced =
            frame.to_string().replace(r#""err":{"InstructionError""#, r#""err" : { "InstructionError""#);
        assert_eq!(decoder.decode(&spaced), by_values, "{spaced}");
    }
}
