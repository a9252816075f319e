use serde_json::json;

use super::*;
use crate::catalog::{ETH_SUBSCRIBE, REQUEST_ID};

#[test]
fn every_subscription_carries_a_payload_of_its_own_chain() {
    for spec in methods() {
        if spec.is_one_off() {
            assert_eq!(spec.payload, Payload::Unknown, "{}", spec.id);
        } else {
            assert_eq!(spec.payload.chain(), spec.chain, "{}", spec.id);
            assert_ne!(spec.payload, Payload::EthAny, "{}: a subscription knows its kind", spec.id);
        }
    }
}

#[test]
fn a_notification_method_names_the_payload_of_the_method_that_sends_it() {
    for spec in methods().iter().filter(|spec| spec.rpc_method != ETH_SUBSCRIBE) {
        let Some(notification) = spec.notification_method else { continue };
        let senders = methods().iter().filter(|other| other.notification_method == Some(notification));
        assert_eq!(senders.count(), 1, "{notification} is sent by more than one method");
        assert_eq!(Payload::of_notification(notification), spec.payload, "{notification}");
    }
    assert_eq!(Payload::of_notification(ETH_NOTIFICATION), Payload::EthAny);
    assert_eq!(Payload::of_notification("madeUpNotification"), Payload::Unknown);
    assert_eq!(Payload::of_notification(""), Payload::Unknown);
}

#[test]
fn a_subscription_payload_follows_its_method_and_eth_kind() {
    let of = |method: &str, params: serde_json::Value| payload_for(method, Some(&params));
    assert_eq!(of("accountSubscribe", json!(["11111111111111111111111111111111"])), Payload::SolanaAccount);
    assert_eq!(payload_for("slotSubscribe", None), Payload::SolanaSlot);
    assert_eq!(of(ETH_SUBSCRIBE, json!(["newHeads"])), Payload::EthNewHeads);
    assert_eq!(of(ETH_SUBSCRIBE, json!(["logs", {}])), Payload::EthLogs);
    assert_eq!(
        of(ETH_SUBSCRIBE, json!(["alchemy_minedTransactions", {}])),
        Payload::AlchemyMinedTransactions
    );
    assert_eq!(of(ETH_SUBSCRIBE, json!(["madeUpKind"])), Payload::Unknown);
    assert_eq!(payload_for(ETH_SUBSCRIBE, None), Payload::Unknown);
    assert_eq!(payload_for("getVersion", None), Payload::Unknown);
    assert_eq!(payload_for(REQUEST_ID, None), Payload::Unknown);
}
