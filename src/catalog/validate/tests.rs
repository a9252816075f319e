//! Draft validation: each field error named, and what real nodes refuse refused first.
use serde_json::json;

use super::*;

const PAYER: &str = "FX8tDFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8";
const DEST: &str = "By2y8pvcCPRRo9gsrksJ1zZavkfp9JjnKXRBTqJMnJhv";
const CONTRACT: &str = "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0";
const PING_TOPIC: &str = "0x48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f";

fn check(method: &str, params: &Value) -> Result<(), FieldError> {
    check_request(method, Some(params))
}

fn field_of(result: Result<(), FieldError>) -> String {
    result.err().map(|err| err.field).unwrap_or_default()
}

#[test]
fn requests_from_the_transcripts_pass() {
    let sig = "3nW1uWJSay1195rP7GYsch6UBWxcgyYbu3wz3ZBz9DaStSZnBTCo6vobMmk4dWXuarqofcA6gEKokbwv9dgEXxsX";
    let valid = [
        ("accountSubscribe", json!([PAYER, {"encoding": "jsonParsed", "commitment": "confirmed"}])),
        ("logsSubscribe", json!([{"mentions": [PAYER]}, {"commitment": "confirmed"}])),
        ("logsSubscribe", json!(["all"])),
        (
            "programSubscribe",
            json!(["11111111111111111111111111111111",
                {"encoding": "base64", "commitment": "confirmed", "filters": [{"dataSize": 0}]}]),
        ),
        ("signatureSubscribe", json!([sig, {"commitment": "confirmed", "enableReceivedNotification": true}])),
        (
            "blockSubscribe",
            json!(["all", {"commitment": "confirmed", "encoding": "json",
                "transactionDetails": "signatures", "showRewards": false,
                "maxSupportedTransactionVersion": 0}]),
        ),
        ("eth_subscribe", json!(["newHeads"])),
        ("eth_subscribe", json!(["newPendingTransactions", true])),
        ("eth_subscribe", json!(["logs", {"address": CONTRACT, "topics": [PING_TOPIC]}])),
        ("eth_subscribe", json!(["logs", {"fromBlock": "0x1", "address": CONTRACT}])),
    ];
    for (method, params) in valid {
        assert_eq!(check(method, &params), Ok(()), "{method} {params}");
    }
    assert_eq!(check_request("slotSubscribe", None), Ok(()));
    assert_eq!(check_request("voteSubscribe", None), Ok(()));
}

#[test]
fn unknown_methods_and_unknown_eth_kinds_pass() {
    assert_eq!(check("noSuchSubscribe", &json!(["anything"])), Ok(()));
    assert_eq!(check("eth_subscribe", &json!(["monadNewHeads"])), Ok(()));
    assert_eq!(check("getVersion", &json!([])), Ok(()));
}

#[test]
fn the_record_command_example_is_refused() {
    let err = check("logsSubscribe", &json!([{"mentions": ["bad"]}]));
    assert_eq!(
        err,
        Err(FieldError::new("filter.mentions.0", "Mentions #1: decodes to 3 bytes, a pubkey is 32"))
    );
}

#[test]
fn the_transcripts_server_errors_are_caught_before_sending() {
    let refused = [
        ("accountSubscribe", json!(["notapubkey"]), "pubkey"),
        ("accountSubscribe", json!(["0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl"]), "pubkey"),
        ("accountSubscribe", json!([]), "pubkey"),
        ("accountSubscribe", json!([PAYER, {"encoding": "nope"}]), "encoding"),
        ("accountSubscribe", json!([PAYER, {"commitment": "nope"}]), "commitment"),
        ("programSubscribe", json!(["notapubkey"]), "programId"),
        (
            "programSubscribe",
            json!(["11111111111111111111111111111111",
                {"filters": [{"memcmp": {"offset": 0, "bytes": "!!!"}}]}]),
            "filters.0.memcmp.bytes",
        ),
        ("signatureSubscribe", json!(["notasig"]), "signature"),
        ("logsSubscribe", json!([{"mentions": [PAYER, DEST]}]), "filter.mentions"),
        ("logsSubscribe", json!([{"mentions": ["notapubkey"]}]), "filter.mentions.0"),
        ("logsSubscribe", json!(["bogus"]), "filter"),
        ("slotSubscribe", json!(["unexpected"]), "params"),
        ("blockSubscribe", json!(["bogus"]), "filter"),
        ("blockSubscribe", json!([{"mentionsAccountOrProgram": "x"}]), "filter.mentionsAccountOrProgram"),
        ("blockSubscribe", json!(["all", {"commitment": "processed"}]), "commitment"),
        ("eth_subscribe", json!([]), "params"),
        ("eth_subscribe", json!([123]), "params"),
        ("eth_subscribe", json!(["logs", {"address": "0xnothex"}]), "address"),
        ("eth_subscribe", json!(["logs", {"topics": "notalist"}]), "topics"),
        ("eth_subscribe", json!(["newHeads", {"foo": 1}]), "params"),
    ];
    for (method, params, field) in refused {
        assert_eq!(field_of(check(method, &params)), field, "{method} {params}");
    }
    assert_eq!(field_of(check("accountSubscribe", &json!({"pubkey": PAYER}))), "params");
}

#[test]
fn too_many_params_name_the_method() {
    let err = check("slotSubscribe", &json!(["unexpected"]));
    assert_eq!(
        err.map_err(|err| err.message),
        Err("Params: slotSubscribe takes no parameters, got 1".to_owned())
    );
}

#[test]
fn a_byte_array_memcmp_is_accepted_up_to_128_bytes() {
    let filters = |count: usize| {
        json!(["11111111111111111111111111111111",
                {"filters": [{"memcmp": {"offset": 4, "bytes": vec![1; count]}}, "tokenAccountState"]}])
    };
    assert_eq!(check("programSubscribe", &filters(128)), Ok(()));
    assert_eq!(field_of(check("programSubscribe", &filters(129))), "filters.0.memcmp.bytes");
}

#[test]
fn an_agave_request_over_4096_bytes_is_refused_but_helius_is_not_limited() {
    let padding = "x".repeat(4_096);
    let padded = json!([PAYER, {"minContextSlot": 1, "padding": padding}]);
    assert_eq!(field_of(check("accountSubscribe", &padded)), "request");
    let small = json!([PAYER, {"padding": "x".repeat(3_900)}]);
    assert_eq!(check("accountSubscribe", &small), Ok(()));
    let many = json!([{"accountInclude": vec![PAYER; 200]}, {"transactionDetails": "none"}]);
    assert!(agave_request_bytes("transactionSubscribe", Some(&many)) > AGAVE_MAX_REQUEST_BYTES);
    assert_eq!(check("transactionSubscribe", &many), Ok(()));
}

#[test]
fn the_size_counts_the_largest_request_id() {
    let bytes = agave_request_bytes("slotSubscribe", None);
    let body = format!(r#"{{"jsonrpc":"2.0","id":{},"method":"slotSubscribe"}}"#, u64::MAX);
    assert_eq!(bytes, body.len());
}

#[test]
fn a_snake_case_helius_option_is_refused_with_the_right_spelling() {
    let params = json!([{"accountInclude": [PAYER]},
            {"transaction_details": "full", "maxSupportedTransactionVersion": 0}]);
    let err = check("transactionSubscribe", &params);
    assert_eq!(
        err,
        Err(FieldError::new(
            "transactionDetails",
            "Transaction details: sent as `transaction_details`; the server expects \
                 `transactionDetails`"
        ))
    );
}

#[test]
fn helius_requires_a_transaction_version_unless_details_are_light() {
    let bare = json!([{"accountInclude": [PAYER]}]);
    let err = check("transactionSubscribe", &bare).map_err(|err| err.message);
    assert_eq!(
        err,
        Err("Max transaction version: required when transactionDetails is full or accounts; \
                 transactionDetails is full (the default)"
            .to_owned())
    );
    let light = json!([{"accountInclude": [PAYER]}, {"transactionDetails": "signatures"}]);
    assert_eq!(check("transactionSubscribe", &light), Ok(()));
}

#[test]
fn a_mined_transactions_row_needs_an_address() {
    let params = json!(["alchemy_minedTransactions", {"addresses": [{}]}]);
    assert_eq!(field_of(check("eth_subscribe", &params)), "addresses.0");
    let params = json!(["alchemy_minedTransactions", {"addresses": [{"to": CONTRACT}]}]);
    assert_eq!(check("eth_subscribe", &params), Ok(()));
}

#[test]
fn eth_topic_lists_may_hold_null_wildcards() {
    let params = json!(["logs", {"topics": [null, [PING_TOPIC, null]]}]);
    assert_eq!(check("eth_subscribe", &params), Ok(()));
    let params = json!(["logs", {"topics": [[PING_TOPIC, 7]]}]);
    assert_eq!(field_of(check("eth_subscribe", &params)), "topics.0.1");
}

#[test]
fn field_error_root_is_the_top_level_key() {
    assert_eq!(FieldError::new("filters.1.memcmp.bytes", "").root(), "filters");
    assert_eq!(FieldError::new("pubkey", "").root(), "pubkey");
}
