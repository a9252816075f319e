use serde_json::{Value, json};

use super::*;
use crate::catalog::is_one_off_method;

const ADDRESS: &str = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const TOPIC: &str = "0x48257DC961B6F792C2B78A080DACFED693B660960A702DE21CEE364E20270E2F";
const OTHER_TOPIC: &str = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
const PUBKEY: &str = "FX8tDFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8";

fn same(method: &str, a: Value, b: Value) {
    assert_eq!(
        canonical_params(method, Some(a.clone())),
        canonical_params(method, Some(b.clone())),
        "{a} ≡ {b}"
    );
}

fn differ(method: &str, a: Value, b: Value) {
    assert_ne!(
        canonical_params(method, Some(a.clone())),
        canonical_params(method, Some(b.clone())),
        "{a} ≢ {b}"
    );
}

#[test]
fn missing_null_and_empty_params_are_the_same() {
    assert_eq!(canonical_params("slotSubscribe", None), json!([]));
    assert_eq!(canonical_params("slotSubscribe", Some(Value::Null)), json!([]));
    same("slotSubscribe", json!([]), json!([null]));
}

#[test]
fn an_empty_config_object_is_an_absent_one() {
    same("logsSubscribe", json!(["all", {}]), json!(["all"]));
    same("logsSubscribe", json!(["all", null]), json!(["all"]));
    same("eth_subscribe", json!(["logs", {}]), json!(["logs"]));
    differ("logsSubscribe", json!(["all", {}]), json!(["allWithVotes"]));
}

#[test]
fn a_config_key_at_its_default_is_an_absent_one() {
    same("logsSubscribe", json!(["all", {"commitment": "finalized"}]), json!(["all"]));
    differ("logsSubscribe", json!(["all", {"commitment": "confirmed"}]), json!(["all"]));
    same(
        "accountSubscribe",
        json!([PUBKEY, {"encoding": "binary", "commitment": "finalized"}]),
        json!([PUBKEY]),
    );
    same(
        "accountSubscribe",
        json!([PUBKEY, {"encoding": "base64", "commitment": "finalized"}]),
        json!([PUBKEY, {"encoding": "base64"}]),
    );
    differ("accountSubscribe", json!([PUBKEY, {"encoding": "base58"}]), json!([PUBKEY]));
    same(
        "blockSubscribe",
        json!(["all", {"encoding": "base64", "transactionDetails": "full", "showRewards": false}]),
        json!(["all"]),
    );
    same("signatureSubscribe", json!([PUBKEY, {"enableReceivedNotification": false}]), json!([PUBKEY]));
    differ("signatureSubscribe", json!([PUBKEY, {"enableReceivedNotification": true}]), json!([PUBKEY]));
}

#[test]
fn a_default_that_depends_on_another_field_is_kept() {
    // Helius: omitting maxSupportedTransactionVersion takes only legacy transactions; 0 also v0.
    differ(
        "transactionSubscribe",
        json!([{"vote": false}, {"transactionDetails": "full", "maxSupportedTransactionVersion": 0}]),
        json!([{"vote": false}, {"transactionDetails": "full"}]),
    );
}

#[test]
fn a_trailing_positional_default_is_an_absent_one() {
    same("eth_subscribe", json!(["newPendingTransactions", false]), json!(["newPendingTransactions"]));
    differ("eth_subscribe", json!(["newPendingTransactions", true]), json!(["newPendingTransactions"]));
}

#[test]
fn solana_one_off_requests_default_to_finalized_too() {
    same("getSlot", json!([{"commitment": "finalized"}]), json!([]));
    same("getBalance", json!([PUBKEY, {"commitment": "finalized"}]), json!([PUBKEY]));
    differ("getSlot", json!([{"commitment": "processed"}]), json!([]));
}

#[test]
fn ethereum_hex_is_compared_lowercase_and_solana_base58_is_not() {
    same(
        "eth_subscribe",
        json!(["logs", {"address": ADDRESS}]),
        json!(["logs", {"address": ADDRESS.to_lowercase()}]),
    );
    same("eth_getBlockByHash", json!([TOPIC, false]), json!([TOPIC.to_lowercase(), false]));
    same("eth_getBalance", json!([ADDRESS, "latest"]), json!([ADDRESS.to_lowercase(), "latest"]));
    differ("accountSubscribe", json!([PUBKEY]), json!([PUBKEY.to_lowercase()]));
    // Not hex: left as it is.
    differ("eth_getBlockByNumber", json!(["Latest", false]), json!(["latest", false]));
}

#[test]
fn a_log_filter_address_is_a_set() {
    let lower = ADDRESS.to_lowercase();
    same("eth_subscribe", json!(["logs", {"address": ADDRESS}]), json!(["logs", {"address": [lower]}]));
    same(
        "eth_subscribe",
        json!(["logs", {"address": [ADDRESS, "0x0000000000000000000000000000000000000001"]}]),
        json!(["logs", {"address": ["0x0000000000000000000000000000000000000001", lower, lower]}]),
    );
    same("eth_subscribe", json!(["logs", {"address": []}]), json!(["logs"]));
}

#[test]
fn topic_positions_are_sets_and_trailing_wildcards_are_dropped() {
    let lower = TOPIC.to_lowercase();
    same(
        "eth_subscribe",
        json!(["logs", {"topics": [TOPIC, null, null]}]),
        json!(["logs", {"topics": [lower]}]),
    );
    same("eth_subscribe", json!(["logs", {"topics": [[TOPIC]]}]), json!(["logs", {"topics": [lower]}]));
    same(
        "eth_subscribe",
        json!(["logs", {"topics": [[TOPIC, OTHER_TOPIC], []]}]),
        json!(["logs", {"topics": [[OTHER_TOPIC, lower]]}]),
    );
    same(
        "eth_subscribe",
        json!(["logs", {"topics": [null, TOPIC]}]),
        json!(["logs", {"topics": [[], lower]}]),
    );
    same("eth_subscribe", json!(["logs", {"topics": [null, null]}]), json!(["logs"]));
    // A position is not another position.
    differ("eth_subscribe", json!(["logs", {"topics": [null, TOPIC]}]), json!(["logs", {"topics": [TOPIC]}]));
}

#[test]
fn named_params_are_kept_as_an_object() {
    assert_eq!(canonical_params("getThing", Some(json!({"a": 1}))), json!({"a": 1}));
}

#[test]
fn the_chain_of_a_method_is_its_namespace() {
    assert_eq!(chain_of_method("eth_getLogs"), Chain::Ethereum);
    assert_eq!(chain_of_method("net_version"), Chain::Ethereum);
    assert_eq!(chain_of_method("getSlot"), Chain::Solana);
    assert_eq!(chain_of_method("logsSubscribe"), Chain::Solana);
}

#[test]
fn one_off_methods_are_told_from_subscriptions() {
    for method in
        ["eth_getBlockByNumber", "eth_chainId", "net_version", "getSlot", "getVersion", "sendTransaction"]
    {
        assert!(is_one_off_method(method), "{method}");
    }
    for method in
        ["eth_subscribe", "eth_unsubscribe", "logsSubscribe", "slotUnsubscribe", "madeUpThing", "getter"]
    {
        assert!(!is_one_off_method(method), "{method}");
    }
}
