use super::*;

// Frames recorded from solana-test-validator 3.1.12 and anvil 1.7.1 (shared/fixtures), as
// in the summary tests.

const SLOT: &str = r#"{"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":25,"parent":24,"root":0},"subscription":0}}"#;

const ROOT: &str = r#"{"jsonrpc":"2.0","method":"rootNotification","params":{"result":0,"subscription":1}}"#;

const SLOTS_UPDATE: &str = r#"{"jsonrpc":"2.0","method":"slotsUpdatesNotification","params":{"result":{"type":"createdBank","slot":33,"parent":32,"timestamp":1795333875437},"subscription":2}}"#;

const ACCOUNT: &str = r#"{"jsonrpc":"2.0","method":"accountNotification","params":{"result":{"context":{"slot":34},"value":{"lamports":500000000,"data":["","base64"],"owner":"11111111111111111111111111111111","executable":false,"rentEpoch":18446744073709551615,"space":0}},"subscription":4}}"#;

const PROGRAM: &str = r#"{"jsonrpc":"2.0","method":"programNotification","params":{"result":{"context":{"slot":33},"value":{"pubkey":"FX8tDFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8","account":{"lamports":2000000000,"data":["","base64"],"owner":"11111111111111111111111111111111","executable":false,"rentEpoch":18446744073709551615,"space":0}}},"subscription":7}}"#;

const LOGS: &str = r#"{"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":34},"value":{"signature":"GSwqrT6Mbm478B8si4D4nHzfFYzp5o6GMLyjvEnMRWeHTycuoCjzTHPJb5dtsZ2sv478Sj2ZpE6cyquAjety3Md","err":null,"logs":["Program 11111111111111111111111111111111 invoke [1]","Program 11111111111111111111111111111111 success"]}},"subscription":5}}"#;

const SIGNATURE: &str = r#"{"jsonrpc":"2.0","method":"signatureNotification","params":{"result":{"context":{"slot":34},"value":{"err":null}},"subscription":9}}"#;

const BLOCK: &str = r#"{"jsonrpc":"2.0","method":"blockNotification","params":{"result":{"context":{"slot":65},"value":{"slot":65,"block":{"previousBlockhash":"EmR2CFq1bfuW7HKEgSNd65w9gTfUtwQpB55RFQdmLkp8","blockhash":"HdVWEGpfsUXbJ2WbmD1tD8pHSw9YTj8faMtyMhv6xUQp","parentSlot":64,"signatures":["482EvQMprSbntisbZ2f8K45ZHudnF3QDGmF1ejLykWTJFu9aGv4N835rgwSc2HXc9XhZmcW9wcKChvqEhbKuHT9K"],"blockTime":1795333889,"blockHeight":65},"err":null}},"subscription":11}}"#;

const VOTE: &str = r#"{"jsonrpc":"2.0","method":"voteNotification","params":{"result":{"votePubkey":"6SCMnsY1fetyvFHrtwSmyVjzUSQrQQqW5u9PLCrVu1zF","slots":[64,65,66],"hash":"E4HL1YRBmowKSx3nx7X8wZ4UFLVgsFVNt1CyGdRPr7y1","timestamp":1795333890,"signature":"5kdNkWVtg886byzhLUZqGCbSWkEeh91cE2X7pBfe2a3YpcxYvsj9EukB5HYTV7WFbtfbvb9vHPNbgGKa5xSykJcZ"},"subscription":12}}"#;

const HELIUS: &str = r#"{"jsonrpc":"2.0","method":"transactionNotification","params":{"subscription":4743323479349712,"result":{"transaction":{"transaction":["AQID","base64"],"meta":{"err":null,"fee":5000,"logMessages":["a"]}},"signature":"5h6x","slot":224341380}}}"#;

const NEW_HEAD: &str = r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x596530584a44755a54354a7867794f38","result":{"hash":"0x87a4b6c93295af476c4b5f2913e3379f897dfdf1062f7bbf16fafda450ef4013","parentHash":"0xafa13e0984919f1766e0fb3ee6cc701e4ca376580892ca774d525814bcd463fd","miner":"0x0000000000000000000000000000000000000000","difficulty":"0x0","number":"0x6","gasLimit":"0x1c9c380","gasUsed":"0x0","timestamp":"0x6b029ee9","extraData":"0x","nonce":"0x0000000000000000","baseFeePerGas":"0x1e925e88"}}}"#;

/// As anvil's reorg transcript has it: with spaces after the colons.
const LOG: &str = r#"{"jsonrpc": "2.0", "method": "eth_subscription", "params": {"subscription": "0x306d6d703850384937697763676f5965", "result": {"address": "0x5fbdb2315678afecb367f032d93f642f64180aa3", "topics": ["0x48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f"], "data": "0x0000000000000000000000000000000000000000000000000000000000000007", "blockHash": "0x0fa74523d5f041f45fcd17c195d1cbd44d20151b9785fbd0ac34ec38b53fcd53", "blockNumber": "0x2", "blockTimestamp": "0x6b028d3a", "transactionHash": "0x524d79113eaa684578b2a35c41472bf4c3b12be69311f1abd6640bd91d3b1969", "transactionIndex": "0x0", "logIndex": "0x0", "removed": false}}}"#;

const PENDING_HASH: &str = r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x43617a776d363551574c3838376c6c76","result":"0x244dc7d1a151f7f273aba2d2fab384cffbd2c9305b8164ed1197213d5ecfb73e"}}"#;

const PENDING_FULL: &str = r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x65546a51546132393439584a33633157","result":{"type":"0x2","chainId":"0x7a69","nonce":"0x1","gas":"0x5208","maxFeePerGas":"0x565adcb7","maxPriorityFeePerGas":"0x3b9aca00","to":"0x70997970c51812dc3a010c7d01b50e0d17dc79c8","value":"0xde0b6b3a7640000","accessList":[],"input":"0x","r":"0x8e2b","s":"0x2ba6","yParity":"0x0","v":"0x0","hash":"0x65e9e546e43cb026724fcd5451978ac2c1b3f767513812fc325ae4b438c9b55d","blockHash":null,"blockNumber":null,"transactionIndex":null,"from":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266","gasPrice":"0x565adcb7"}}}"#;

const MINED: &str = r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"result":{"removed":true,"transaction":{"blockNumber":"0x5b8d80","hash":"0xA8F2","from":"0x2a98","value":"0x0"}},"subscription":"0xf13f"}}"#;

fn key(raw: &str) -> ItemKey {
    match item_key(raw) {
        Some(key) => key,
        None => panic!("no key for {raw}"),
    }
}

fn id(key: &ItemKey) -> Option<&str> {
    key.id.as_deref()
}

#[test]
fn solana_slots_and_roots_are_keyed_by_their_number() {
    assert_eq!((key(SLOT).kind, key(SLOT).height), (ItemKind::Slot, Some(25)));
    assert_eq!((key(ROOT).kind, key(ROOT).height), (ItemKind::Root, Some(0)));
    assert_ne!(key(SLOT), key(&SLOT.replace(r#""slot":25"#, r#""slot":26"#)));
    let update = key(SLOTS_UPDATE);
    assert_eq!((update.height, id(&update)), (Some(33), Some("createdBank")));
}

#[test]
fn accounts_are_keyed_by_context_slot_and_program_accounts_also_by_pubkey() {
    let account = key(ACCOUNT);
    assert_eq!((account.kind, account.height, id(&account)), (ItemKind::Account, Some(34), None));
    let program = key(PROGRAM);
    assert_eq!(program.height, Some(33));
    assert_eq!(id(&program), Some("FX8tDFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8"));
}

#[test]
fn logs_and_helius_transactions_are_keyed_by_signature_and_slot() {
    let logs = key(LOGS);
    assert_eq!(logs.kind, ItemKind::Logs);
    assert_eq!(logs.height, Some(34));
    assert!(id(&logs).is_some_and(|sig| sig.starts_with("GSwqrT6")));
    let helius = key(HELIUS);
    assert_eq!(
        (helius.kind, helius.height, id(&helius)),
        (ItemKind::Transaction, Some(224_341_380), Some("5h6x"))
    );
    let vote = key(VOTE);
    assert!(id(&vote).is_some_and(|sig| sig.starts_with("5kdNkW")));
}

#[test]
fn signature_statuses_tell_the_received_report_from_the_final_one() {
    let done = key(SIGNATURE);
    assert_eq!((done.kind, done.height, id(&done)), (ItemKind::Signature, Some(34), None));
    let received = SIGNATURE.replace(r#"{"err":null}"#, r#""receivedSignature""#);
    assert_eq!(id(&key(&received)), Some("receivedSignature"));
    assert_ne!(key(&received), done);
}

#[test]
fn solana_blocks_are_keyed_by_slot() {
    let block = key(BLOCK);
    assert_eq!((block.kind, block.height), (ItemKind::Block, Some(65)));
}

#[test]
fn new_heads_are_keyed_by_hash_and_carry_their_number() {
    let head = key(NEW_HEAD);
    assert_eq!(head.kind, ItemKind::NewHead);
    assert_eq!(head.head_number(), Some(6));
    assert!(id(&head).is_some_and(|hash| hash.starts_with("0x87a4")));
    let other_hash = NEW_HEAD.replace("0x87a4", "0x99a4");
    assert_ne!(key(&other_hash), head, "a reorg at one height is another item");
    let no_hash = NEW_HEAD
        .replace(r#""hash":"0x87a4b6c93295af476c4b5f2913e3379f897dfdf1062f7bbf16fafda450ef4013","#, "");
    assert_eq!((key(&no_hash).height, key(&no_hash).id), (Some(6), None));
}

#[test]
fn eth_logs_are_keyed_by_block_hash_transaction_hash_index_and_removed() {
    let log = key(LOG);
    assert_eq!(log.kind, ItemKind::Log);
    assert!(id(&log).is_some_and(|hash| hash.starts_with("0x0fa745")));
    assert!(log.second.as_deref().is_some_and(|hash| hash.starts_with("0x524d79")));
    assert_eq!((log.index, log.removed), (Some(0), false));
    let removed = key(&LOG.replace(r#""removed": false"#, r#""removed": true"#));
    assert!(removed.removed);
    assert_ne!(removed, log);
    assert_ne!(key(&LOG.replace(r#""logIndex": "0x0""#, r#""logIndex": "0x1""#)), log);
}

#[test]
fn pending_and_mined_transactions_are_keyed_by_hash() {
    let hash = key(PENDING_HASH);
    assert_eq!(hash.kind, ItemKind::PendingTransaction);
    assert!(id(&hash).is_some_and(|hash| hash.starts_with("0x244d")));
    let full = key(PENDING_FULL);
    assert_eq!(
        (full.kind, id(&full)),
        (
            ItemKind::PendingTransaction,
            Some("0x65e9e546e43cb026724fcd5451978ac2c1b3f767513812fc325ae4b438c9b55d")
        )
    );
    let mined = key(MINED);
    assert_eq!((mined.kind, id(&mined), mined.removed), (ItemKind::MinedTransaction, Some("0xa8f2"), true));
    assert_ne!(key(&MINED.replace(r#""removed":true"#, r#""removed":false"#)), mined);
}

#[test]
fn the_same_item_from_two_endpoints_has_one_key() {
    // Another subscription id, member order and spacing, and upper-case hex.
    let other = r#"{"params":{"result":{"parentHash":"0xafa1","number":"0x6","hash":"0x87A4B6C93295AF476C4B5F2913E3379F897DFDF1062F7BBF16FAFDA450EF4013"},"subscription":"0x1"},"method":"eth_subscription","jsonrpc":"2.0"}"#;
    assert_eq!(key(other), key(NEW_HEAD));
    let logs = LOGS.replace(r#""subscription":5"#, r#""subscription":812"#);
    assert_eq!(key(&logs), key(LOGS));
}

#[test]
fn frames_without_an_identity_give_none() {
    for raw in [
        "",
        "null",
        "[1,2]",
        "{not json",
        r#"{"jsonrpc":"2.0","id":1,"result":"0x1"}"#,
        r#"{"method":"slotNotification","params":{"result":{"parent":1}}}"#,
        r#"{"method":"logsNotification","params":{"result":{"context":{"slot":1},"value":{"err":null}}}}"#,
        r#"{"method":"unknownNotification","params":{"result":{"slot":1}}}"#,
        r#"{"method":"eth_subscription","params":{"result":{"number":"0x+1","parentHash":"0x1"}}}"#,
        r#"{"method":"eth_subscription","params":{"result":{"syncing":true}}}"#,
        r#"{"method":"rootNotification","params":{"result":-1}}"#,
    ] {
        assert_eq!(item_key(raw), None, "{raw}");
    }
}

#[test]
fn keys_read_as_short_text() {
    assert_eq!(key(SLOT).to_string(), "slot 25");
    assert_eq!(key(LOG).to_string(), "log 0x0fa74523… tx 0x524d7911… #0");
}

#[test]
fn arbitrary_prefixes_of_real_frames_never_panic() {
    for frame in [SLOT, ACCOUNT, LOGS, BLOCK, NEW_HEAD, LOG, PENDING_FULL, MINED, HELIUS] {
        for end in (0..frame.len()).filter(|end| frame.is_char_boundary(*end)) {
            let _ = item_key(&frame[..end]);
        }
    }
}

// ---- the scanner's reading against serde's ---------------------------------------------------

const ALL: [&str; 15] = [
    SLOT,
    ROOT,
    SLOTS_UPDATE,
    ACCOUNT,
    PROGRAM,
    LOGS,
    SIGNATURE,
    BLOCK,
    VOTE,
    HELIUS,
    NEW_HEAD,
    LOG,
    PENDING_HASH,
    PENDING_FULL,
    MINED,
];

/// What the one pass that classifies a frame and reads its identity makes of it, held to what
/// classifying and identifying it apart make of it; whether that pass answered for the identity.
fn one_pass_agrees(frame: &str) -> bool {
    let (incoming, identity) = parse_identified(frame);
    let apart = crate::protocol::parse_incoming(frame);
    assert_eq!(format!("{incoming:?}"), format!("{apart:?}"), "classified alike: {frame}");
    if let Some(identity) = identity {
        assert_eq!(identity, item_fingerprint(frame), "identified alike: {frame}");
    }
    identity.is_some()
}

#[test]
fn real_frames_are_classified_and_identified_in_one_pass() {
    for frame in ALL {
        assert!(one_pass_agrees(frame), "not identified in the pass that classifies it: {frame}");
    }
    // What that pass leaves to the reader afterwards (serde decides there).
    for frame in [
        r#"{"method":"slotNotification","params":{"result":{"slot":1},"result":{"slot":2},"subscription":0}}"#,
        r#"{"method":"logsNotification","params":{"result":{"context":{"slot":3},"value":{"signature":"a\"b"}},"subscription":0}}"#,
        r#"{"id":1,"method":"slotNotification","params":{"result":{"slot":1},"subscription":0}}"#,
        r#"[{"method":"slotNotification","params":{"result":{"slot":1},"subscription":0}}]"#,
        r#"{"method":"slotNotification","params":{"result":{"slot":1},"subscription":-1}}"#,
    ] {
        assert!(!one_pass_agrees(frame), "answered for {frame}");
    }
}

#[test]
fn real_frames_are_keyed_by_the_scanner_as_serde_keys_them() {
    for frame in ALL {
        let Some(Some((method, result))) = fast::read(frame) else {
            panic!("the scanner did not read {frame}")
        };
        assert_eq!(key_of(method, result).map(Parts::owned), item_key_by_serde(frame), "{frame}");
    }
}

#[test]
fn what_the_scanner_does_not_read_as_serde_would_goes_to_serde() {
    for frame in [
        // A member twice, an escaped name, a number serde reads otherwise, a wrong type.
        r#"{"method":"slotNotification","params":{"result":{"slot":1,"slot":2},"subscription":0}}"#,
        r#"{"method":"slotNotification","params":{"result":{"sl\u006ft":7},"subscription":0}}"#,
        r#"{"method":"slotNotification","params":{"result":{"slot":7.0},"subscription":0}}"#,
        r#"{"method":"slotNotification","params":{"result":{"slot":"7"},"subscription":0}}"#,
        r#"{"method":"logsNotification","params":{"result":{"context":{"slot":3,"slot":4},"value":{"signature":"s"}},"subscription":0}}"#,
        r#"{"method":"logsNotification","params":{"result":{"context":{"slot":3},"value":{"signature":"a\"b"}},"subscription":0}}"#,
        r#"{"method":"logsNotification","params":{"result":{"context":7,"value":{"signature":"s"}},"subscription":0}}"#,
        r#"{"method":"logsNotification","params":{"result":{"context":{"slot":3},"value":{"signature":"s","signature":"t"}},"subscription":0}}"#,
        r#"{"method":"blockNotification","params":{"result":{"context":{"slot":3},"value":{"slot":4,"err":{"slot":"x"}}},"subscription":0}}"#,
        r#"{"method":"eth_subscription","params":{"result":{"removed":1,"transaction":{"hash":"0x1"}},"subscription":"0x1"}}"#,
        r#"{"method":"eth_subscription","params":{"result":{"removed":true,"transaction":{"hash":"0x1","hash":"0x2"}},"subscription":"0x1"}}"#,
        r#"{"method":"rootNotification","params":{"result":-0,"subscription":1}}"#,
        r#"{"method":"rootNotification","params":{"result":5,"result":6,"subscription":1}}"#,
        r#"{"method":"eth_subscription","params":{"result":true,"subscription":"0x1"}}"#,
    ] {
        assert_eq!(item_key(frame), item_key_by_serde(frame), "{frame}");
        one_pass_agrees(frame);
    }
}

#[test]
fn values_nested_past_any_limit_are_read_as_serde_reads_them() {
    for depth in [1, 60, 63, 64, 65, 100, 127, 128, 129, 5000] {
        let (open, close) = (r#"{"value":"#.repeat(depth), "}".repeat(depth));
        let frame = format!(
            r#"{{"method":"blockNotification","params":{{"result":{{"context":{{"slot":9}},"value":{open}{{"slot":4}}{close}}},"subscription":1}}}}"#
        );
        assert_eq!(item_key(&frame), item_key_by_serde(&frame), "depth {depth}");
        one_pass_agrees(&frame);
    }
}

mod generated {
    use proptest::prelude::*;

    use super::*;

    /// A member value: the kinds a key is read from, and the odd forms serde reads otherwise.
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            "(0|[1-9][0-9]{0,20})(\\.[0-9])?",
            "-[0-9]{1,3}",
            "\"(0x[0-9a-fA-F]{1,8}|[A-Za-z0-9]{1,12}|receivedSignature|createdBank|a\\\\\"b|\\\\u0041)\"",
            Just("[1,{\"slot\":2}]".to_owned()),
            Just("{\"slot\":3}".to_owned()),
            Just("{\"hash\":\"0xAb\"}".to_owned()),
            Just("{\"slot\":4,\"slot\":5}".to_owned()),
        ]
    }

    /// A result object of the members keys are made of (some twice, some escaped).
    fn object(depth: u32) -> BoxedStrategy<String> {
        let names = prop_oneof![
            Just("context"),
            Just("value"),
            Just("slot"),
            Just("type"),
            Just("signature"),
            Just("pubkey"),
            Just("hash"),
            Just("number"),
            Just("parentHash"),
            Just("topics"),
            Just("blockHash"),
            Just("transactionHash"),
            Just("logIndex"),
            Just("removed"),
            Just("transaction"),
            Just("sl\\u006ft"),
            Just("other"),
        ];
        let member_value =
            if depth == 0 { value().boxed() } else { prop_oneof![value(), object(depth - 1)].boxed() };
        prop::collection::vec((names, member_value), 0..6)
            .prop_map(|members| {
                let members: Vec<String> =
                    members.iter().map(|(name, value)| format!("\"{name}\":{value}")).collect();
                format!("{{{}}}", members.join(","))
            })
            .boxed()
    }

    fn method() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            Just("slotNotification"),
            Just("rootNotification"),
            Just("slotsUpdatesNotification"),
            Just("accountNotification"),
            Just("programNotification"),
            Just("logsNotification"),
            Just("signatureNotification"),
            Just("blockNotification"),
            Just("voteNotification"),
            Just("transactionNotification"),
            Just("eth_subscription"),
        ]
    }

    proptest! {
        #[test]
        fn generated_results_are_keyed_by_the_scanner_as_serde_keys_them(
            method in method(),
            result in prop_oneof![value(), object(2)],
        ) {
            let frame = format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":{{"result":{result},"subscription":1}}}}"#);
            prop_assert_eq!(item_key(&frame), item_key_by_serde(&frame), "{}", frame);
            one_pass_agrees(&frame);
        }

        #[test]
        fn real_frames_cut_or_edited_are_keyed_alike(frame in prop::sample::select(&ALL[..]), at in 0usize..700, byte in "[ ,:{}\\[\\]\"0-9a-z\\\\]") {
            let at = (0..=at.min(frame.len())).rev().find(|at| frame.is_char_boundary(*at)).unwrap_or(0);
            let edited = format!("{}{byte}{}", &frame[..at], &frame[at..]);
            prop_assert_eq!(item_key(&edited), item_key_by_serde(&edited), "{}", edited);
            one_pass_agrees(&edited);
            let cut = &frame[..at];
            prop_assert_eq!(item_key(cut), item_key_by_serde(cut), "{}", cut);
            one_pass_agrees(cut);
        }
    }
}

#[test]
fn equal_keys_have_equal_fingerprints_and_different_keys_different_ones() {
    // The same item from two endpoints (one writes its hashes in capitals, one with spaces).
    let upper = LOG.replace(
        "0x0fa74523d5f041f45fcd17c195d1cbd44d20151b9785fbd0ac34ec38b53fcd53",
        "0x0FA74523D5F041F45FCD17C195D1CBD44D20151B9785FBD0AC34EC38B53FCD53",
    );
    let print = |raw: &str| item_fingerprint(raw).unwrap_or_else(|| panic!("no fingerprint for {raw}"));
    assert_eq!(print(LOG), print(&upper));
    let all: Vec<u64> = ALL.iter().map(|raw| print(raw).id).collect();
    let mut distinct = all.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), all.len(), "every frame is another item");
    assert_eq!(print(NEW_HEAD).head, Some(6));
    assert_eq!(print(SLOT).head, None);
    assert_eq!(print(SLOT).height, Some(25));
}
