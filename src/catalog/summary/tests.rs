use super::ethereum::hex_to_decimal;
use super::*;

// Frames recorded from solana-test-validator 3.1.12 and anvil 1.7.1 (shared/fixtures).

const ACCOUNT: &str = r#"{"jsonrpc":"2.0","method":"accountNotification","params":{"result":{"context":{"slot":34},"value":{"lamports":500000000,"data":["","base64"],"owner":"11111111111111111111111111111111","executable":false,"rentEpoch":18446744073709551615,"space":0}},"subscription":4}}"#;

const PROGRAM: &str = r#"{"jsonrpc":"2.0","method":"programNotification","params":{"result":{"context":{"slot":33},"value":{"pubkey":"FX8tDFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8","account":{"lamports":2000000000,"data":["","base64"],"owner":"11111111111111111111111111111111","executable":false,"rentEpoch":18446744073709551615,"space":0}}},"subscription":7}}"#;

const LOGS: &str = r#"{"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":34},"value":{"signature":"GSwqrT6Mbm478B8si4D4nHzfFYzp5o6GMLyjvEnMRWeHTycuoCjzTHPJb5dtsZ2sv478Sj2ZpE6cyquAjety3Md","err":null,"logs":["Program 11111111111111111111111111111111 invoke [1]","Program 11111111111111111111111111111111 success"]}},"subscription":5}}"#;

const SIGNATURE: &str = r#"{"jsonrpc":"2.0","method":"signatureNotification","params":{"result":{"context":{"slot":34},"value":{"err":null}},"subscription":9}}"#;

const SLOT: &str = r#"{"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":25,"parent":24,"root":0},"subscription":0}}"#;

const ROOT: &str = r#"{"jsonrpc":"2.0","method":"rootNotification","params":{"result":0,"subscription":1}}"#;

const SLOTS_UPDATE: &str = r#"{"jsonrpc":"2.0","method":"slotsUpdatesNotification","params":{"result":{"type":"createdBank","slot":33,"parent":32,"timestamp":1795333875437},"subscription":2}}"#;

const BLOCK: &str = r#"{"jsonrpc":"2.0","method":"blockNotification","params":{"result":{"context":{"slot":65},"value":{"slot":65,"block":{"previousBlockhash":"EmR2CFq1bfuW7HKEgSNd65w9gTfUtwQpB55RFQdmLkp8","blockhash":"HdVWEGpfsUXbJ2WbmD1tD8pHSw9YTj8faMtyMhv6xUQp","parentSlot":64,"signatures":["482EvQMprSbntisbZ2f8K45ZHudnF3QDGmF1ejLykWTJFu9aGv4N835rgwSc2HXc9XhZmcW9wcKChvqEhbKuHT9K"],"blockTime":1795333889,"blockHeight":65},"err":null}},"subscription":11}}"#;

const VOTE: &str = r#"{"jsonrpc":"2.0","method":"voteNotification","params":{"result":{"votePubkey":"6SCMnsY1fetyvFHrtwSmyVjzUSQrQQqW5u9PLCrVu1zF","slots":[36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66],"hash":"E4HL1YRBmowKSx3nx7X8wZ4UFLVgsFVNt1CyGdRPr7y1","timestamp":1795333890,"signature":"5kdNkWVtg886byzhLUZqGCbSWkEeh91cE2X7pBfe2a3YpcxYvsj9EukB5HYTV7WFbtfbvb9vHPNbgGKa5xSykJcZ"},"subscription":12}}"#;

const PENDING_HASH: &str = r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x43617a776d363551574c3838376c6c76","result":"0x244dc7d1a151f7f273aba2d2fab384cffbd2c9305b8164ed1197213d5ecfb73e"}}"#;

const PENDING_FULL: &str = r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x65546a51546132393439584a33633157","result":{"type":"0x2","chainId":"0x7a69","nonce":"0x1","gas":"0x5208","maxFeePerGas":"0x565adcb7","maxPriorityFeePerGas":"0x3b9aca00","to":"0x70997970c51812dc3a010c7d01b50e0d17dc79c8","value":"0xde0b6b3a7640000","accessList":[],"input":"0x","r":"0x8e2ba3bf7df04d910dc31616524d58413ef74b8bae98f842944701840e70c005","s":"0x2ba64a13635b3b9c834df007ed0c7e5b883cb344821560a83f4686c83de5874","yParity":"0x0","v":"0x0","hash":"0x65e9e546e43cb026724fcd5451978ac2c1b3f767513812fc325ae4b438c9b55d","blockHash":null,"blockNumber":null,"transactionIndex":null,"from":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266","gasPrice":"0x565adcb7"}}}"#;

const LOG: &str = r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x444856666e786959446b734a6667536a","result":{"address":"0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0","topics":["0x48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f"],"data":"0x000000000000000000000000000000000000000000000000000000000000002a","blockHash":"0xc89a4758f4bf3874bf75d572250f12268d11c5e6f631e0b7ecc8df01f521f577","blockNumber":"0x8","blockTimestamp":"0x6b029eeb","transactionHash":"0x06b4ddd7284a1d60df900dc276386f12fdd36a0da7f65c07deb00affac1e46ce","transactionIndex":"0x0","logIndex":"0x0","removed":false}}}"#;

const NEW_HEAD: &str = r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x596530584a44755a54354a7867794f38","result":{"hash":"0x87a4b6c93295af476c4b5f2913e3379f897dfdf1062f7bbf16fafda450ef4013","parentHash":"0xafa13e0984919f1766e0fb3ee6cc701e4ca376580892ca774d525814bcd463fd","miner":"0x0000000000000000000000000000000000000000","difficulty":"0x0","number":"0x6","gasLimit":"0x1c9c380","gasUsed":"0x0","timestamp":"0x6b029ee9","extraData":"0x","nonce":"0x0000000000000000","baseFeePerGas":"0x1e925e88"}}}"#;

#[test]
fn account_notifications_give_slot_lamports_and_owner() {
    let summary = summarize(ACCOUNT);
    assert_eq!(summary.slot_or_block, Some(34));
    assert_eq!(summary.value.as_deref(), Some("500000000"));
    assert_eq!(summary.owner.as_deref(), Some("11111111111111111111111111111111"));
}

#[test]
fn program_notifications_give_the_account_pubkey() {
    let summary = summarize(PROGRAM);
    assert_eq!(summary.slot_or_block, Some(33));
    assert_eq!(summary.account.as_deref(), Some("FX8tDFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8"));
    assert_eq!(summary.value.as_deref(), Some("2000000000"));
}

#[test]
fn logs_notifications_count_log_lines() {
    let summary = summarize(LOGS);
    assert_eq!(summary.slot_or_block, Some(34));
    assert_eq!(summary.log_lines, Some(2));
    assert_eq!(summary.error, None);
    assert!(summary.signature_or_hash.is_some_and(|sig| sig.starts_with("GSwq")));
}

#[test]
fn signature_notifications_report_errors_and_receipt() {
    assert_eq!(summarize(SIGNATURE).error, None);
    let failed = r#"{"jsonrpc":"2.0","method":"signatureNotification","params":{"result":{"context":{"slot":5},"value":{"err":{"InstructionError":[0,{"Custom":1}]}}},"subscription":1}}"#;
    assert_eq!(summarize(failed).error.as_deref(), Some(r#"{"InstructionError":[0,{"Custom":1}]}"#));
    let received = r#"{"jsonrpc":"2.0","method":"signatureNotification","params":{"result":{"context":{"slot":5},"value":"receivedSignature"},"subscription":1}}"#;
    assert_eq!(summarize(received).kind.as_deref(), Some("receivedSignature"));
}

#[test]
fn slot_root_and_slot_update_notifications_give_the_slot() {
    assert_eq!(summarize(SLOT).slot_or_block, Some(25));
    assert_eq!(summarize(ROOT).slot_or_block, Some(0));
    let update = summarize(SLOTS_UPDATE);
    assert_eq!(update.slot_or_block, Some(33));
    assert_eq!(update.kind.as_deref(), Some("createdBank"));
    let dead = r#"{"jsonrpc":"2.0","method":"slotsUpdatesNotification","params":{"result":{"type":"dead","slot":9,"timestamp":1,"err":"shred missing"},"subscription":2}}"#;
    assert_eq!(summarize(dead).error.as_deref(), Some("shred missing"));
}

#[test]
fn block_and_vote_notifications_give_slot_and_hash() {
    let block = summarize(BLOCK);
    assert_eq!(block.slot_or_block, Some(65));
    assert_eq!(block.signature_or_hash.as_deref(), Some("HdVWEGpfsUXbJ2WbmD1tD8pHSw9YTj8faMtyMhv6xUQp"));
    let vote = summarize(VOTE);
    assert_eq!(vote.slot_or_block, Some(66));
    assert_eq!(vote.account.as_deref(), Some("6SCMnsY1fetyvFHrtwSmyVjzUSQrQQqW5u9PLCrVu1zF"));
}

#[test]
fn a_block_that_could_not_be_loaded_shows_its_error() {
    let frame = r#"{"jsonrpc":"2.0","method":"blockNotification","params":{"result":{"context":{"slot":7},"value":{"slot":7,"block":null,"err":{"UnsupportedTransactionVersion":1}}},"subscription":1}}"#;
    let summary = summarize(frame);
    assert_eq!(summary.slot_or_block, Some(7));
    assert_eq!(summary.error.as_deref(), Some(r#"{"UnsupportedTransactionVersion":1}"#));
}

#[test]
fn the_documented_examples_summarise() {
    // PROTOCOLS.md §1.4, with the elided parts filled with small values.
    let account = r#"{"jsonrpc":"2.0","method":"accountNotification","params":{"result":{"context":{"slot":559},"value":{"lamports":1169280,"data":{"program":"sysvar","parsed":{},"space":40},"owner":"Sysvar1111111111111111111111111111111111111","executable":false,"rentEpoch":0,"space":40}},"subscription":10}}"#;
    let summary = summarize(account);
    assert_eq!((summary.slot_or_block, summary.value.as_deref()), (Some(559), Some("1169280")));
    let program = r#"{"jsonrpc":"2.0","method":"programNotification","params":{"result":{"context":{"slot":583},"value":{"pubkey":"BpdY","account":{"lamports":499997095000,"data":["","base64"],"owner":"1111","executable":false,"rentEpoch":18446744073709551615,"space":0}}},"subscription":11}}"#;
    assert_eq!(summarize(program).value.as_deref(), Some("499997095000"));
    let signature = r#"{"jsonrpc":"2.0","method":"signatureNotification","params":{"result":{"context":{"slot":5207624},"value":{"err":null}},"subscription":24006}}"#;
    assert_eq!(summarize(signature).slot_or_block, Some(5_207_624));
    let slot = r#"{"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"parent":75,"root":44,"slot":76},"subscription":0}}"#;
    assert_eq!(summarize(slot).slot_or_block, Some(76));
    let root = r#"{"jsonrpc":"2.0","method":"rootNotification","params":{"result":42,"subscription":0}}"#;
    assert_eq!(summarize(root).slot_or_block, Some(42));
    let frozen = r#"{"jsonrpc":"2.0","method":"slotsUpdatesNotification","params":{"result":{"type":"frozen","slot":356,"timestamp":1774643712834,"stats":{}},"subscription":4}}"#;
    assert_eq!(summarize(frozen).kind.as_deref(), Some("frozen"));
}

#[test]
fn helius_transaction_notifications_give_signature_slot_error_and_logs() {
    let frame = r#"{"jsonrpc":"2.0","method":"transactionNotification","params":{"subscription":4743323479349712,"result":{"transaction":{"transaction":["AQID","base64"],"meta":{"err":{"InstructionError":[2,{"Custom":6001}]},"fee":5000,"logMessages":["a","b","c"]}},"signature":"5h6x","slot":224341380}}}"#;
    let summary = summarize(frame);
    assert_eq!(summary.slot_or_block, Some(224_341_380));
    assert_eq!(summary.signature_or_hash.as_deref(), Some("5h6x"));
    assert_eq!(summary.log_lines, Some(3));
    assert_eq!(summary.error.as_deref(), Some(r#"{"InstructionError":[2,{"Custom":6001}]}"#));
}

#[test]
fn eth_new_heads_give_decimal_number_and_hash() {
    let summary = summarize(NEW_HEAD);
    assert_eq!(summary.slot_or_block, Some(6));
    assert_eq!(summary.kind.as_deref(), Some("newHead"));
    assert!(summary.signature_or_hash.is_some_and(|hash| hash.starts_with("0x87a4")));
}

#[test]
fn eth_logs_give_block_tx_hash_address_and_removed() {
    let summary = summarize(LOG);
    assert_eq!(summary.slot_or_block, Some(8));
    assert_eq!(summary.account.as_deref(), Some("0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0"));
    assert!(!summary.removed);
    let removed = LOG.replace("\"removed\":false", "\"removed\":true");
    assert!(summarize(&removed).removed);
}

#[test]
fn eth_pending_transactions_give_the_hash_or_the_full_transaction() {
    let hash = summarize(PENDING_HASH);
    assert_eq!(
        hash.signature_or_hash.as_deref(),
        Some("0x244dc7d1a151f7f273aba2d2fab384cffbd2c9305b8164ed1197213d5ecfb73e")
    );
    let full = summarize(PENDING_FULL);
    assert_eq!(full.value.as_deref(), Some("1000000000000000000"));
    assert_eq!(full.account.as_deref(), Some("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"));
    assert_eq!(full.slot_or_block, None);
}

#[test]
fn alchemy_mined_transactions_give_removed_and_the_transaction() {
    let frame = r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"result":{"removed":true,"transaction":{"blockNumber":"0x5b8d80","hash":"0xa8f2","from":"0x2a98","value":"0x0"}},"subscription":"0xf13f"}}"#;
    let summary = summarize(frame);
    assert!(summary.removed);
    assert_eq!(summary.slot_or_block, Some(6_000_000));
    assert_eq!(summary.signature_or_hash.as_deref(), Some("0xa8f2"));
    assert_eq!(summary.value.as_deref(), Some("0"));
}

#[test]
fn eth_syncing_gives_the_current_block() {
    let syncing = r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x1","result":{"syncing":true,"status":{"startingBlock":"0x0","currentBlock":"0x10","highestBlock":"0x20"}}}}"#;
    assert_eq!(summarize(syncing).slot_or_block, Some(16));
    let synced =
        r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x1","result":false}}"#;
    assert_eq!(summarize(synced).kind.as_deref(), Some("synced"));
}

#[test]
fn error_responses_give_code_and_message() {
    let frame = r#"{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid Request: Only 1 address supported"},"id":35}"#;
    assert_eq!(summarize(frame).error.as_deref(), Some("-32602: Invalid Request: Only 1 address supported"));
}

#[test]
fn malformed_input_gives_an_empty_summary() {
    for raw in [
        "",
        "{not json",
        "null",
        "[1,2]",
        r#"{"method":"accountNotification"}"#,
        r#"{"method":"accountNotification","params":{"result":{"value":{"lamports":"many"}}}}"#,
        r#"{"method":"eth_subscription","params":{"result":{"number":"0xzz","parentHash":1}}}"#,
        r#"{"method":"rootNotification","params":{"result":-1}}"#,
        r#"{"method":7,"params":[]}"#,
    ] {
        let summary = summarize(raw);
        assert_eq!(summary.slot_or_block, None, "{raw}");
        assert_eq!(summary.value, None, "{raw}");
    }
}

#[test]
fn a_signed_quantity_is_not_a_block_number() {
    // Found by the fuzz suite (tests/fuzz.rs): "0x+10" read as block 16.
    let head = NEW_HEAD.replace(r#""number":"0x6""#, r#""number":"0x+10""#);
    assert_eq!(summarize(&head).slot_or_block, None);
    let syncing = r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x1","result":{"syncing":true,"status":{"currentBlock":"0x+10"}}}}"#;
    assert_eq!(summarize(syncing).slot_or_block, None);
}

#[test]
fn arrays_are_not_read_as_positional_envelopes_or_params() {
    // Found by the fuzz suite (tests/fuzz.rs): `["",null,false]` summarised as an error
    // response whose error was `false`.
    assert_eq!(summarize(r#"["",null,false]"#), Summary::default());
    assert_eq!(summarize(r#"[null,"rootNotification",{"result":42}]"#), Summary::default());
    assert_eq!(summarize(r#"{"method":"rootNotification","params":[42]}"#), Summary::default());
    assert_eq!(summarize(r#"{"method":"slotNotification","params":{"result":[7]}}"#), Summary::default());
    assert_eq!(summarize(r#"{"error":[-32000,"busy"],"id":1}"#).error.as_deref(), Some(r#"[-32000,"busy"]"#));
}

#[test]
fn hex_quantities_of_any_size_become_decimal() {
    assert_eq!(hex_to_decimal("0x0").as_deref(), Some("0"));
    assert_eq!(hex_to_decimal("0xde0b6b3a7640000").as_deref(), Some("1000000000000000000"));
    assert_eq!(
        hex_to_decimal("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff").as_deref(),
        Some("115792089237316195423570985008687907853269984665640564039457584007913129639935")
    );
    assert_eq!(hex_to_decimal("0x"), None);
    assert_eq!(hex_to_decimal("12"), None);
    assert_eq!(hex_to_decimal("0xg"), None);
}

#[test]
fn frames_summarized_from_the_scanned_result_read_as_serde_reads_them() {
    let all = [
        ACCOUNT,
        PROGRAM,
        LOGS,
        SIGNATURE,
        SLOT,
        ROOT,
        SLOTS_UPDATE,
        BLOCK,
        VOTE,
        PENDING_HASH,
        PENDING_FULL,
        LOG,
        NEW_HEAD,
    ];
    for frame in all {
        assert!(crate::protocol::scan::notification_result(frame).is_some(), "scanned: {frame}");
        assert_eq!(summarize(frame), summarize_by_serde(frame), "{frame}");
        // Cut and edited anywhere, the two still agree.
        for at in (0..frame.len()).step_by(7).filter(|at| frame.is_char_boundary(*at)) {
            for byte in [" ", ",", "}", "\"", "1", "\\"] {
                let edited = format!("{}{byte}{}", &frame[..at], &frame[at..]);
                assert_eq!(summarize(&edited), summarize_by_serde(&edited), "{edited}");
            }
            assert_eq!(summarize(&frame[..at]), summarize_by_serde(&frame[..at]));
        }
    }
}
