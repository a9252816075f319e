//! Request building from drafts, checked against the frames real nodes accept.
use serde_json::json;

use super::super::{HELIUS_MAX_ACCOUNTS, MemcmpEncoding};
use super::*;

const PAYER: &str = "FX8tDFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8";
const DEST: &str = "By2y8pvcCPRRo9gsrksJ1zZavkfp9JjnKXRBTqJMnJhv";
const SIGNATURE: &str =
    "GSwqrT6Mbm478B8si4D4nHzfFYzp5o6GMLyjvEnMRWeHTycuoCjzTHPJb5dtsZ2sv478Sj2ZpE6cyquAjety3Md";
const PING_TOPIC: &str = "0x48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f";

fn draft(id: &str) -> Draft {
    Draft::for_method(id).unwrap_or_default()
}

fn built(draft: &Draft) -> (String, Option<Value>) {
    match build(draft) {
        Ok(request) => (request.method, request.params),
        Err(errors) => panic!("{} did not build: {errors:?}", draft.method),
    }
}

fn errors_of(draft: &Draft) -> Vec<FieldError> {
    match build(draft) {
        Ok(request) => panic!("{} built {request:?}", draft.method),
        Err(errors) => errors,
    }
}

fn memcmp(bytes: &str, encoding: MemcmpEncoding) -> ProgramFilterRow {
    ProgramFilterRow::Memcmp { offset: "0".to_owned(), bytes: bytes.to_owned(), encoding }
}

// Golden requests: the providers' documented examples and the recorded transcripts.

#[test]
fn program_subscribe_matches_the_helius_seed() {
    let mut draft = draft("programSubscribe");
    draft.set_text("programId", "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P");
    draft.set_text("encoding", "jsonParsed");
    let params = json!(["6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P", {"encoding": "jsonParsed"}]);
    assert_eq!(built(&draft), ("programSubscribe".to_owned(), Some(params)));
}

#[test]
fn signature_subscribe_matches_the_helius_seed_when_defaults_are_marked_explicit() {
    let mut draft = draft("signatureSubscribe");
    draft.set_text("signature", SIGNATURE);
    draft.set_text("commitment", "finalized");
    draft.set_bool("enableReceivedNotification", false);
    let params = json!([SIGNATURE, {"commitment": "finalized", "enableReceivedNotification": false}]);
    assert_eq!(built(&draft).1, Some(params));
}

#[test]
fn signature_subscribe_leaves_untouched_defaults_out() {
    let mut draft = draft("signatureSubscribe");
    draft.set_text("signature", SIGNATURE);
    assert_eq!(built(&draft).1, Some(json!([SIGNATURE])));
}

#[test]
fn account_subscribe_matches_the_test_validator_transcript() {
    let mut draft = draft("accountSubscribe");
    draft.set_text("pubkey", PAYER);
    draft.set_text("encoding", "jsonParsed");
    draft.set_text("commitment", "confirmed");
    let params = json!([PAYER, {"encoding": "jsonParsed", "commitment": "confirmed"}]);
    assert_eq!(built(&draft), ("accountSubscribe".to_owned(), Some(params)));
}

#[test]
fn logs_subscribe_mentions_matches_the_transcript() {
    let mut draft = draft("logsSubscribe");
    draft.set(
        "filter",
        FieldValue::LogsFilter(LogsFilterValue {
            mode: LogsFilterMode::Mentions,
            mentions: vec![PAYER.to_owned()],
        }),
    );
    draft.set_text("commitment", "confirmed");
    let params = json!([{"mentions": [PAYER]}, {"commitment": "confirmed"}]);
    assert_eq!(built(&draft).1, Some(params));
}

#[test]
fn logs_subscribe_all_is_the_default() {
    assert_eq!(built(&draft("logsSubscribe")).1, Some(json!(["all"])));
}

#[test]
fn program_subscribe_with_a_data_size_filter_matches_the_transcript() {
    let mut draft = draft("programSubscribe");
    draft.set_text("programId", "11111111111111111111111111111111");
    draft.set_text("encoding", "base64");
    draft.set_text("commitment", "confirmed");
    let size = ProgramFilterRow::DataSize { size: "0".to_owned() };
    draft.set("filters", FieldValue::ProgramFilters(vec![size]));
    let params = json!(["11111111111111111111111111111111",
            {"encoding": "base64", "commitment": "confirmed", "filters": [{"dataSize": 0}]}]);
    assert_eq!(built(&draft).1, Some(params));
}

#[test]
fn block_subscribe_matches_the_patched_validator_transcript() {
    let mut draft = draft("blockSubscribe");
    draft.set_text("commitment", "confirmed");
    draft.set_text("encoding", "json");
    draft.set_text("transactionDetails", "signatures");
    draft.set_bool("showRewards", false);
    draft.set_text("maxSupportedTransactionVersion", "0");
    let params = json!(["all", {"commitment": "confirmed", "encoding": "json",
            "transactionDetails": "signatures", "showRewards": false,
            "maxSupportedTransactionVersion": 0}]);
    assert_eq!(built(&draft).1, Some(params));
}

#[test]
fn parameterless_solana_methods_send_no_params() {
    for id in ["slotSubscribe", "rootSubscribe", "slotsUpdatesSubscribe", "voteSubscribe"] {
        let (method, params) = built(&draft(id));
        assert_eq!((method.as_str(), params), (id, None));
    }
    let body = build(&draft("slotSubscribe")).map(|request| request.to_json(1));
    assert_eq!(body, Ok(r#"{"jsonrpc":"2.0","id":1,"method":"slotSubscribe"}"#.to_owned()));
}

#[test]
fn eth_logs_matches_the_alchemy_seed() {
    let mut draft = draft("eth_subscribe:logs");
    draft.set_list("address", ["0x8320fe7702b96808f7bbc0d4a888ed1468216cfd"]);
    let topic = "0xd78a0cb8bb633d06981248b816e7bd33c2a35a6089241d099fa519e361cab902";
    draft.set("topics", FieldValue::Topics(vec![TopicRow { any_of: vec![topic.to_owned()] }]));
    let params = json!(["logs", {"address": "0x8320fe7702b96808f7bbc0d4a888ed1468216cfd",
            "topics": [topic]}]);
    assert_eq!(built(&draft), ("eth_subscribe".to_owned(), Some(params)));
}

#[test]
fn eth_topics_send_null_for_any_and_arrays_for_alternatives() {
    let mut draft = draft("eth_subscribe:logs");
    let rows = vec![
        TopicRow::default(),
        TopicRow { any_of: vec![PING_TOPIC.to_owned(), " ".to_owned(), PING_TOPIC.to_owned()] },
    ];
    draft.set("topics", FieldValue::Topics(rows));
    let params = json!(["logs", {"topics": [null, [PING_TOPIC, PING_TOPIC]]}]);
    assert_eq!(built(&draft).1, Some(params));
}

#[test]
fn eth_subscriptions_without_options_send_only_the_kind() {
    for kind in ["newHeads", "newPendingTransactions", "syncing", "alchemy_minedTransactions"] {
        let (method, params) = built(&draft(&format!("eth_subscribe:{kind}")));
        assert_eq!((method.as_str(), params), ("eth_subscribe", Some(json!([kind]))));
    }
    let body = build(&draft("eth_subscribe:newHeads")).map(|request| request.to_json(1));
    assert_eq!(
        body,
        Ok(r#"{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}"#.to_owned())
    );
}

#[test]
fn new_pending_transactions_with_full_tx_matches_the_anvil_transcript() {
    let mut draft = draft("eth_subscribe:newPendingTransactions");
    draft.set_bool("fullTx", true);
    assert_eq!(built(&draft).1, Some(json!(["newPendingTransactions", true])));
}

#[test]
fn alchemy_mined_transactions_matches_the_docs_example() {
    let mut draft = draft("eth_subscribe:alchemy_minedTransactions");
    let rows = vec![
        FromToRow {
            from: "0x228f108fd09450d083bb33fe0cc50ae449bc7e11".to_owned(),
            to: "0x9f3ce0ad29b767d809642a53c2bccc9a130659d7".to_owned(),
        },
        FromToRow { from: String::new(), to: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48".to_owned() },
    ];
    draft.set("addresses", FieldValue::FromTo(rows));
    draft.set_bool("includeRemoved", false);
    draft.set_bool("hashesOnly", true);
    let params = json!(["alchemy_minedTransactions", {
        "addresses": [
            {"to": "0x9f3ce0ad29b767d809642a53c2bccc9a130659d7",
             "from": "0x228f108fd09450d083bb33fe0cc50ae449bc7e11"},
            {"to": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"}
        ],
        "includeRemoved": false,
        "hashesOnly": true
    }]);
    assert_eq!(built(&draft).1, Some(params));
}

#[test]
fn alchemy_pending_transactions_matches_the_docs_example() {
    let mut draft = draft("eth_subscribe:alchemy_pendingTransactions");
    draft.set_list(
        "toAddress",
        ["0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", "0xdAC17F958D2ee523a2206206994597C13D831ec7"],
    );
    draft.set_bool("hashesOnly", false);
    let params = json!(["alchemy_pendingTransactions", {"toAddress": [
            "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
            "0xdAC17F958D2ee523a2206206994597C13D831ec7"], "hashesOnly": false}]);
    assert_eq!(built(&draft).1, Some(params));
}

#[test]
fn helius_transaction_subscribe_matches_the_docs_example() {
    let mut draft = draft("transactionSubscribe");
    draft.set_list("accountInclude", ["675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"]);
    draft.set_text("commitment", "processed");
    draft.set_text("encoding", "jsonParsed");
    draft.set_text("transactionDetails", "full");
    draft.set_bool("showRewards", true);
    let params = json!([
        {"accountInclude": ["675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"]},
        {"commitment": "processed", "encoding": "jsonParsed", "transactionDetails": "full",
         "showRewards": true, "maxSupportedTransactionVersion": 0}
    ]);
    assert_eq!(built(&draft), ("transactionSubscribe".to_owned(), Some(params)));
}

#[test]
fn helius_transaction_subscribe_always_sends_the_filter_and_the_required_version() {
    let params = json!([{}, {"maxSupportedTransactionVersion": 0}]);
    assert_eq!(built(&draft("transactionSubscribe")).1, Some(params));
    let mut draft = draft("transactionSubscribe");
    draft.set_text("transactionDetails", "signatures");
    let params = json!([{}, {"transactionDetails": "signatures"}]);
    assert_eq!(built(&draft).1, Some(params));
}

#[test]
fn a_one_off_request_sends_the_typed_method_and_params() {
    let mut draft = draft("request");
    draft.set_text("method", "eth_gasPrice");
    assert_eq!(built(&draft), ("eth_gasPrice".to_owned(), None));
    draft.set_text("params", "[\"latest\", false]");
    draft.set_text("method", "eth_getBlockByNumber");
    assert_eq!(built(&draft).1, Some(json!(["latest", false])));
}

// Validation: each rule fails and passes.

#[test]
fn a_bad_pubkey_character_is_named_with_its_position() {
    let mut draft = draft("accountSubscribe");
    draft.set_text("pubkey", "FX80DFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8");
    let errors = errors_of(&draft);
    assert_eq!(errors, [FieldError::new("pubkey", "Account: not valid base58 (invalid character '0' at 3)")]);
}

#[test]
fn a_pubkey_of_the_wrong_length_says_how_many_bytes() {
    let mut draft = draft("accountSubscribe");
    draft.set_text("pubkey", "1111111111111111111111111111111");
    let errors = errors_of(&draft);
    assert_eq!(errors[0].message, "Account: decodes to 31 bytes, a pubkey is 32");
}

#[test]
fn a_missing_required_pubkey_is_reported() {
    let errors = errors_of(&draft("accountSubscribe"));
    assert_eq!(errors[0].field, "pubkey");
    assert!(errors[0].message.starts_with("Account: required"), "{}", errors[0].message);
}

#[test]
fn a_signature_must_be_64_bytes() {
    let mut draft = draft("signatureSubscribe");
    draft.set_text("signature", PAYER);
    let errors = errors_of(&draft);
    assert_eq!(errors[0].message, "Signature: decodes to 32 bytes, a signature is 64");
}

#[test]
fn a_bad_eip55_checksum_is_refused_and_a_good_one_passes() {
    let mut draft = draft("eth_subscribe:logs");
    draft.set_list("address", ["0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"]);
    let errors = errors_of(&draft);
    assert_eq!(errors[0].field, "address");
    assert!(errors[0].message.contains("EIP-55"), "{}", errors[0].message);
    draft.set_list("address", ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"]);
    assert!(build(&draft).is_ok());
}

#[test]
fn a_bad_address_in_a_list_is_reported_by_index() {
    let mut draft = draft("eth_subscribe:logs");
    draft.set_list("address", ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x1234"]);
    let errors = errors_of(&draft);
    assert_eq!(errors[0].field, "address.1");
}

#[test]
fn a_memcmp_of_129_bytes_is_refused_and_128_passes() {
    let mut draft = draft("programSubscribe");
    draft.set_text("programId", "11111111111111111111111111111111");
    let too_long = bs58::encode([7_u8; 129]).into_string();
    draft.set(
        "filters",
        FieldValue::ProgramFilters(vec![
            ProgramFilterRow::data_size(),
            memcmp(&too_long, MemcmpEncoding::Base58),
        ]),
    );
    let errors = errors_of(&draft);
    let fields: Vec<&str> = errors.iter().map(|err| err.field.as_str()).collect();
    assert_eq!(fields, ["filters.0.dataSize", "filters.1.memcmp.bytes"]);
    assert_eq!(errors[1].message, "Filter 2 memcmp bytes: decodes to 129 bytes; memcmp compares at most 128");
    let fits = bs58::encode([7_u8; 128]).into_string();
    draft.set("filters", FieldValue::ProgramFilters(vec![memcmp(&fits, MemcmpEncoding::Base58)]));
    assert!(build(&draft).is_ok());
}

#[test]
fn a_base64_memcmp_is_decoded_as_base64() {
    use base64::Engine as _;
    let mut draft = draft("programSubscribe");
    draft.set_text("programId", "11111111111111111111111111111111");
    let too_long = base64::engine::general_purpose::STANDARD.encode([1_u8; 129]);
    draft.set("filters", FieldValue::ProgramFilters(vec![memcmp(&too_long, MemcmpEncoding::Base64)]));
    assert_eq!(errors_of(&draft)[0].field, "filters.0.memcmp.bytes");
    draft.set("filters", FieldValue::ProgramFilters(vec![memcmp("AQID", MemcmpEncoding::Base64)]));
    let filters = json!([{"memcmp": {"offset": 0, "bytes": "AQID", "encoding": "base64"}}]);
    let params = built(&draft).1;
    assert_eq!(params.as_ref().and_then(|params| params.get(1)), Some(&json!({"filters": filters})));
}

#[test]
fn five_program_filters_are_refused_and_four_pass() {
    let mut draft = draft("programSubscribe");
    draft.set_text("programId", "11111111111111111111111111111111");
    let size = ProgramFilterRow::DataSize { size: "165".to_owned() };
    draft.set("filters", FieldValue::ProgramFilters(vec![size.clone(); 5]));
    let errors = errors_of(&draft);
    assert_eq!(errors, [FieldError::new("filters", "Filters: 5 filters; the node accepts at most 4")]);
    draft.set("filters", FieldValue::ProgramFilters(vec![size; 4]));
    assert!(build(&draft).is_ok());
}

#[test]
fn two_log_mentions_are_refused_and_one_passes() {
    let mut draft = draft("logsSubscribe");
    let mut filter =
        LogsFilterValue { mode: LogsFilterMode::Mentions, mentions: vec![PAYER.to_owned(), DEST.to_owned()] };
    draft.set("filter", FieldValue::LogsFilter(filter.clone()));
    let errors = errors_of(&draft);
    assert_eq!(errors[0].field, "filter.mentions");
    assert!(errors[0].message.starts_with("Mentions: exactly one pubkey"), "{}", errors[0].message);
    filter.mentions.pop();
    draft.set("filter", FieldValue::LogsFilter(filter));
    assert!(build(&draft).is_ok());
}

#[test]
fn an_integer_out_of_range_or_not_a_number_is_refused() {
    let mut draft = draft("blockSubscribe");
    draft.set_text("maxSupportedTransactionVersion", "256");
    assert_eq!(errors_of(&draft)[0].message, "Max transaction version: 256 is out of range 0..=255");
    draft.set_text("maxSupportedTransactionVersion", "one");
    assert_eq!(errors_of(&draft)[0].message, "Max transaction version: `one` is not a whole number");
    draft.set_text("maxSupportedTransactionVersion", "1");
    assert!(build(&draft).is_ok());
}

#[test]
fn block_subscribe_refuses_processed_commitment() {
    let mut draft = draft("blockSubscribe");
    draft.set_text("commitment", "processed");
    assert_eq!(errors_of(&draft)[0].field, "commitment");
    draft.set_text("commitment", "confirmed");
    assert!(build(&draft).is_ok());
}

#[test]
fn helius_needs_a_transaction_version_for_full_details() {
    let mut draft = draft("transactionSubscribe");
    draft.set_text("maxSupportedTransactionVersion", "");
    let errors = errors_of(&draft);
    assert_eq!(errors[0].field, "maxSupportedTransactionVersion");
    assert!(errors[0].message.contains("required when transactionDetails is full or accounts"));
    draft.set_text("transactionDetails", "none");
    assert!(build(&draft).is_ok());
}

#[test]
fn helius_account_lists_are_capped_at_50000() {
    let mut draft = draft("transactionSubscribe");
    draft.set_list("accountInclude", vec![PAYER; HELIUS_MAX_ACCOUNTS + 1]);
    assert_eq!(errors_of(&draft)[0].field, "accountInclude");
    draft.set_list("accountInclude", vec![PAYER; HELIUS_MAX_ACCOUNTS]);
    assert!(build(&draft).is_ok());
}

#[test]
fn five_topic_positions_or_1001_alternatives_are_refused() {
    let mut draft = draft("eth_subscribe:logs");
    let one = TopicRow { any_of: vec![PING_TOPIC.to_owned()] };
    draft.set("topics", FieldValue::Topics(vec![one.clone(); 5]));
    assert_eq!(errors_of(&draft)[0].message, "Topics: 5 positions; at most 4");
    let wide = TopicRow { any_of: vec![PING_TOPIC.to_owned(); 1_001] };
    draft.set("topics", FieldValue::Topics(vec![wide]));
    assert_eq!(errors_of(&draft)[0].field, "topics.0");
    draft.set("topics", FieldValue::Topics(vec![one; 4]));
    assert!(build(&draft).is_ok());
}

#[test]
fn a_short_topic_is_reported_by_position_and_alternative() {
    let mut draft = draft("eth_subscribe:logs");
    let rows = vec![TopicRow { any_of: vec![PING_TOPIC.to_owned(), "0x1234".to_owned()] }];
    draft.set("topics", FieldValue::Topics(rows));
    let errors = errors_of(&draft);
    assert_eq!(errors[0].field, "topics.0.1");
    assert_eq!(errors[0].message, "Topic 0 #2: has 4 hex digits, a topic is 64 (32 bytes)");
}

fn addresses(count: usize, seed: u8) -> Vec<String> {
    (0..count).map(|index| format!("0x{seed:02x}{index:038x}")).collect()
}

#[test]
fn alchemy_pending_refuses_more_than_1000_unique_addresses_together() {
    let mut draft = draft("eth_subscribe:alchemy_pendingTransactions");
    draft.set_list("fromAddress", addresses(600, 1));
    draft.set_list("toAddress", addresses(600, 2));
    let errors = errors_of(&draft);
    assert_eq!(errors[0].field, "toAddress");
    assert!(errors[0].message.contains("1200 unique addresses"), "{}", errors[0].message);
    draft.set_list("toAddress", addresses(600, 1));
    assert!(build(&draft).is_ok(), "the same 600 addresses twice are 600 unique ones");
}

#[test]
fn alchemy_mined_refuses_more_than_1000_addresses_and_empty_rows_are_dropped() {
    let mut draft = draft("eth_subscribe:alchemy_minedTransactions");
    let row = |from: String, to: String| FromToRow { from, to };
    let rows: Vec<FromToRow> =
        addresses(501, 3).into_iter().zip(addresses(501, 4)).map(|(from, to)| row(from, to)).collect();
    draft.set("addresses", FieldValue::FromTo(rows));
    assert!(errors_of(&draft)[0].message.contains("1002 addresses in total"));
    let rows = vec![row(String::new(), String::new()), row(addresses(1, 5).concat(), String::new())];
    draft.set("addresses", FieldValue::FromTo(rows));
    assert_eq!(
        built(&draft).1,
        Some(json!(["alchemy_minedTransactions",
            {"addresses": [{"from": addresses(1, 5).concat()}]}]))
    );
}

#[test]
fn a_half_filled_data_slice_is_refused() {
    let mut draft = draft("accountSubscribe");
    draft.set_text("pubkey", PAYER);
    let half = DataSliceValue { offset: "0".to_owned(), length: String::new() };
    draft.set("dataSlice", FieldValue::DataSlice(half));
    assert_eq!(errors_of(&draft), [FieldError::new("dataSlice.length", "Data slice length: required")]);
    let whole = DataSliceValue { offset: "0".to_owned(), length: "32".to_owned() };
    draft.set("dataSlice", FieldValue::DataSlice(whole));
    assert_eq!(built(&draft).1, Some(json!([PAYER, {"dataSlice": {"offset": 0, "length": 32}}])));
}

#[test]
fn a_solana_request_over_4096_bytes_is_refused() {
    let mut draft = draft("request");
    draft.set_text("method", "getMultipleAccounts");
    let keys = |count: usize| serde_json::to_string(&[vec![PAYER; count]]).unwrap_or_default();
    draft.set_text("params", keys(100));
    let errors = errors_of(&draft);
    assert_eq!(errors[0].field, "params");
    assert!(errors[0].message.contains("Agave nodes refuse messages over 4096 bytes"));
    draft.set_text("params", keys(10));
    assert!(build(&draft).is_ok());
}

#[test]
fn a_one_off_request_checks_known_methods_and_json() {
    let mut draft = draft("request");
    assert_eq!(errors_of(&draft), [FieldError::new("method", "Method: required")]);
    draft.set_text("method", "logsSubscribe");
    draft.set_text("params", r#"[{"mentions": ["notapubkey"]}]"#);
    assert_eq!(errors_of(&draft)[0].field, "params.filter.mentions.0");
    draft.set_text("params", "[1,");
    assert!(errors_of(&draft)[0].message.starts_with("Params: not valid JSON"));
    draft.set_text("params", "42");
    assert_eq!(errors_of(&draft)[0].message, "Params: must be a JSON array or object");
}

#[test]
fn an_unknown_method_id_is_an_error() {
    let draft = Draft { method: "nope".to_owned(), ..Draft::default() };
    assert_eq!(errors_of(&draft)[0].field, "method");
}
