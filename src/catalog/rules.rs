//! What the rest of subscope needs to know about a subscription, looked up in the catalogue
//! once, when it is made, and carried with it: how it is cancelled, whether the server ends
//! it by itself, whether its stream can reorganise, and a short name for lists. Nothing
//! downstream reads a method name to find these out.

use std::sync::Arc;

use serde_json::Value;

use super::{Chain, Payload, chain_of_method, find_by_rpc_method, is_unsubscribe_method, payload_for};

/// What a `signatureSubscribe` notification holds when it is the early report that the node
/// received the transaction (`enableReceivedNotification`), not the final one.
pub const RECEIVED_SIGNATURE: &str = "\"receivedSignature\"";

/// How a subscription ends besides being cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// It runs until cancelled.
    Never,
    /// The server ends it after its final notification; a notification whose text holds
    /// `interim` (an early report) is not the final one.
    AfterFinal {
        /// The marker of the early notifications.
        interim: &'static str,
    },
}

/// What a stream's notifications can reveal about the chain reorganising.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReorgRule {
    /// Nothing to watch.
    None,
    /// A block height seen twice with another hash is a reorg (newHeads).
    BlockHeight,
}

/// What the catalogue says about one subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionRules {
    /// The method that cancels it (`logsUnsubscribe`, `eth_unsubscribe`).
    pub unsubscribe_method: Arc<str>,
    /// Whether the server ends it by itself.
    pub completion: Completion,
    /// What to watch for reorgs.
    pub reorg: ReorgRule,
    /// A short name for lists and table cells (`logs`, `newHeads`).
    pub short_name: Arc<str>,
}

/// The account a subscription watches when its notifications do not name it
/// (`accountSubscribe`'s pubkey, its first parameter), for a table's Account column.
pub fn subscribed_account<'a>(method: &str, params: Option<&'a Value>) -> Option<&'a str> {
    if payload_for(method, params) != Payload::SolanaAccount {
        return None;
    }
    params?.get(0)?.as_str()
}

/// The rules of a subscription made with `method` and `params`. A method the catalogue does
/// not know (a raw request) gets the conventions of its family: `xSubscribe` is cancelled by
/// `xUnsubscribe`, and it never ends by itself.
pub fn rules_for(method: &str, params: Option<&Value>) -> SubscriptionRules {
    let first = params.and_then(|params| params.get(0)).and_then(Value::as_str);
    let spec = find_by_rpc_method(method, first);
    let unsubscribe_method = spec
        .and_then(|spec| spec.unsubscribe_method)
        .map_or_else(|| Arc::from(fallback_unsubscribe(method)), Arc::from);
    let completion = match spec {
        Some(spec) if spec.one_shot => Completion::AfterFinal { interim: RECEIVED_SIGNATURE },
        _ => Completion::Never,
    };
    // Block headers are the one stream whose heights say the chain reorganised.
    let reorg = match spec.map(|spec| spec.payload) {
        Some(Payload::EthNewHeads) => ReorgRule::BlockHeight,
        _ => ReorgRule::None,
    };
    SubscriptionRules { unsubscribe_method, completion, reorg, short_name: short_name(method, first).into() }
}

/// Whether a method opens a subscription: one the catalogue knows as such, or one named like
/// its family (`xSubscribe`, `eth_subscribe`), for raw frames outside the catalogue.
pub fn is_subscribe_method(method: &str) -> bool {
    match find_by_rpc_method(method, None) {
        Some(spec) => !spec.is_one_off(),
        None => method.ends_with("Subscribe") || method.ends_with("_subscribe"),
    }
}

/// Solana one-off methods not named `get…`.
const SOLANA_ONE_OFFS: [&str; 5] =
    ["requestAirdrop", "sendTransaction", "simulateTransaction", "isBlockhashValid", "minimumLedgerSlot"];

/// Whether the catalogue knows `method` as a one-off request, answered once, rather than a
/// subscription: an Ethereum method other than `eth_subscribe`/`eth_unsubscribe`
/// (`eth_getBlockByNumber`, `net_version`), a Solana `get…` method (`getSlot`), or another
/// Solana query (`sendTransaction`, `requestAirdrop`, …). An unknown name is not one.
pub fn is_one_off_method(method: &str) -> bool {
    if is_subscribe_method(method) || is_unsubscribe_method(method) {
        return false;
    }
    match chain_of_method(method) {
        Chain::Ethereum => true,
        Chain::Solana => {
            let get = method.strip_prefix("get").is_some_and(|rest| rest.starts_with(char::is_uppercase));
            get || SOLANA_ONE_OFFS.contains(&method)
        }
    }
}

/// `xSubscribe` → `xUnsubscribe`; `eth_subscribe` → `eth_unsubscribe`; anything else keeps its
/// name with `Unsubscribe` appended, which a server will refuse with a message the user sees.
fn fallback_unsubscribe(method: &str) -> String {
    if let Some(stem) = method.strip_suffix("Subscribe") {
        return format!("{stem}Unsubscribe");
    }
    if let Some(stem) = method.strip_suffix("_subscribe") {
        return format!("{stem}_unsubscribe");
    }
    format!("{method}Unsubscribe")
}

/// `logs` for `logsSubscribe`, the kind for `eth_subscribe` (`newHeads`), else the method.
fn short_name(method: &str, first_param: Option<&str>) -> String {
    match (method.strip_suffix("_subscribe"), first_param) {
        (Some(_), Some(kind)) => kind.to_owned(),
        _ => method.strip_suffix("Subscribe").unwrap_or(method).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn catalogue_methods_carry_their_own_rules() {
        let signature = rules_for("signatureSubscribe", Some(&json!(["5h6x", {"commitment": "finalized"}])));
        assert_eq!(&*signature.unsubscribe_method, "signatureUnsubscribe");
        assert_eq!(signature.completion, Completion::AfterFinal { interim: "\"receivedSignature\"" });
        assert_eq!(signature.reorg, ReorgRule::None);

        let heads = rules_for("eth_subscribe", Some(&json!(["newHeads"])));
        assert_eq!((&*heads.unsubscribe_method, heads.reorg), ("eth_unsubscribe", ReorgRule::BlockHeight));
        assert_eq!(&*heads.short_name, "newHeads");
        let logs = rules_for("eth_subscribe", Some(&json!(["logs", {}])));
        assert_eq!(logs.reorg, ReorgRule::None, "removed logs are marked from their own flag");

        let slots = rules_for("slotsUpdatesSubscribe", None);
        assert_eq!(
            (&*slots.unsubscribe_method, &*slots.short_name),
            ("slotsUpdatesUnsubscribe", "slotsUpdates")
        );
        assert_eq!(&*rules_for("transactionSubscribe", None).unsubscribe_method, "transactionUnsubscribe");
    }

    #[test]
    fn unknown_methods_follow_their_family_convention() {
        assert_eq!(&*rules_for("fooSubscribe", None).unsubscribe_method, "fooUnsubscribe");
        assert_eq!(&*rules_for("parity_subscribe", None).unsubscribe_method, "parity_unsubscribe");
        assert_eq!(rules_for("fooSubscribe", None).completion, Completion::Never);
    }

    #[test]
    fn only_account_subscriptions_name_their_account_in_params() {
        let params = serde_json::json!(["Acc0unt1111111111111111111111111111111111"]);
        assert_eq!(
            subscribed_account("accountSubscribe", Some(&params)),
            Some("Acc0unt1111111111111111111111111111111111")
        );
        assert_eq!(subscribed_account("programSubscribe", Some(&params)), None);
        assert_eq!(subscribed_account("accountSubscribe", None), None);
    }
}
