//! Property tests of the demo server's request handling: arbitrary and near-valid client
//! messages go straight to the handler the socket loop uses (through [`Detached`], no
//! sockets), and every answer is checked against JSON-RPC 2.0: a request with an id gets
//! exactly one response with that id, a notification gets none unless it is not a valid
//! request (then one error with id null), text that is not JSON gets one parse error, and a
//! batch gets one array with a response per item that needs one, in order.
//!
//! This is the demo's share of the fuzz suite whose other half is `tests/fuzz.rs`; the budget
//! (`SUBSCOPE_FUZZ_CASES`) and the JSON generators are shared with it by path.

#[path = "../../tests/support/budget.rs"]
mod budget;
#[path = "../../tests/support/json_text.rs"]
mod json_text;

use std::collections::HashSet;
use std::sync::Arc;

use budget::fuzz;
use json_text::{Json, any_json, mutated, number, scalar, string, style};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use super::connection::Detached;
use super::shared::Shared;
use super::{DemoConfig, FAULT_METHOD, solana};
use crate::catalog::{ETH_SUBSCRIBE, ETH_UNSUBSCRIBE};
use crate::protocol::{FrameKind, Incoming, parse_incoming};

/// Each property's share of the suite's cases, in thousandths (see `tests/support/budget.rs`).
mod share {
    pub const ANY_MESSAGE: u32 = 50;
    pub const REQUESTS: u32 = 70;
    pub const BATCHES: u32 = 30;

    const _: () = assert!(
        ANY_MESSAGE + REQUESTS + BATCHES == super::budget::DEMO_PART,
        "this file's shares must add up to its part of the budget"
    );
}

/// A valid Solana pubkey.
const PUBKEY: &str = "FX8tDFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8";

/// A valid Solana signature.
const SIGNATURE: &str =
    "GSwqrT6Mbm478B8si4D4nHzfFYzp5o6GMLyjvEnMRWeHTycuoCjzTHPJb5dtsZ2sv478Sj2ZpE6cyquAjety3Md";

/// A valid Ethereum address.
const ADDRESS: &str = "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0";

/// A valid log topic.
const TOPIC: &str = "0x48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f";

/// The one-off requests the demo answers.
const ONE_OFF_METHODS: [&str; 11] = [
    "getSlot",
    "getBlockHeight",
    "getVersion",
    "getHealth",
    "eth_blockNumber",
    "eth_chainId",
    "net_version",
    "eth_gasPrice",
    "eth_maxPriorityFeePerGas",
    "eth_syncing",
    "web3_clientVersion",
];

/// Methods the demo does not have, some named like the ones it has.
const UNKNOWN_METHODS: [&str; 7] =
    ["getAccountInfo", "eth_call", "alchemy_foo", "Subscribe", "_subscribe", "fooSubscribe", ""];

/// Every method the demo answers, and some it does not.
fn methods() -> Vec<String> {
    let mut methods: Vec<String> = solana::served()
        .flat_map(|spec| [Some(spec.rpc_method), spec.unsubscribe_method])
        .flatten()
        .map(str::to_owned)
        .collect();
    methods.extend([ETH_SUBSCRIBE, ETH_UNSUBSCRIBE, FAULT_METHOD].map(str::to_owned));
    methods.extend(ONE_OFF_METHODS.iter().chain(&UNKNOWN_METHODS).map(|method| (*method).to_owned()));
    methods
}

/// The state of a fresh demo server (fixed seed, default limits).
fn shared() -> Arc<Shared> {
    Arc::new(Shared::new(DemoConfig { seed: Some(7), ..DemoConfig::default() }))
}

/// A string member.
fn text(value: &str) -> Json {
    Json::str(value)
}

/// Params the demo's methods take, right or nearly so: every subscription kind with its
/// options, unsubscribe ids, fault requests, and values of the wrong shape.
fn params() -> BoxedStrategy<Json> {
    let encoding = select(&["base64", "base58", "binary", "jsonParsed", "base64+zstd", "json", "bogus"][..]);
    let commitment = select(&["processed", "confirmed", "finalized", "recent", "x"][..]);
    let config =
        (encoding, commitment, any::<bool>(), number()).prop_map(|(encoding, commitment, flag, n)| {
            Json::obj([
                ("encoding", text(encoding)),
                ("commitment", text(commitment)),
                ("enableReceivedNotification", Json::Bool(flag)),
                ("showRewards", Json::Bool(flag)),
                ("transactionDetails", text(if flag { "full" } else { "signatures" })),
                ("maxSupportedTransactionVersion", Json::Num(n)),
            ])
        });
    let filters = (number(), number(), select(&["3Mc6vR", "AQID", "", "0OIl"][..]), string()).prop_map(
        |(size, offset, bytes, encoding)| {
            Json::Arr(vec![
                Json::obj([("dataSize", Json::Num(size))]),
                Json::obj([(
                    "memcmp",
                    Json::obj([
                        ("offset", Json::Num(offset)),
                        ("bytes", text(bytes)),
                        ("encoding", Json::Str(encoding)),
                    ]),
                )]),
                text("tokenAccountState"),
            ])
        },
    );
    let fault = (
        select(&["drop", "close", "malformed", "huge", "refuse", "silence", "delay", "flood", "bogus"][..]),
        number(),
    )
        .prop_map(|(kind, n)| {
            Json::obj([("kind", text(kind)), ("ms", Json::Num(n.clone())), ("count", Json::Num(n))])
        });
    let eth_filter = any::<bool>().prop_map(|with_topics| {
        let mut members = vec![("address".to_owned(), text(ADDRESS))];
        if with_topics {
            members.push((
                "topics".to_owned(),
                Json::Arr(vec![text(TOPIC), Json::Null, Json::Arr(vec![text(TOPIC)])]),
            ));
        }
        Json::Obj(members)
    });
    let id = prop_oneof![
        (0_u64..20).prop_map(Json::uint),
        number().prop_map(Json::Num),
        "0x[0-9a-f]{32}".prop_map(Json::Str)
    ];
    prop_oneof![
        Just(Json::Arr(Vec::new())),
        config.clone().prop_map(|config| Json::Arr(vec![text(PUBKEY), config])),
        (config.clone(), filters).prop_map(|(mut config, filters)| {
            if let Json::Obj(members) = &mut config {
                members.push(("filters".to_owned(), filters));
            }
            Json::Arr(vec![text(PUBKEY), config])
        }),
        select(&["all", "allWithVotes", "mentions"][..]).prop_map(|filter| Json::Arr(vec![text(filter)])),
        Just(Json::Arr(vec![Json::obj([("mentions", Json::Arr(vec![text(PUBKEY)]))])])),
        config.clone().prop_map(|config| Json::Arr(vec![text(SIGNATURE), config])),
        config.clone().prop_map(|config| Json::Arr(vec![text("all"), config])),
        config.clone().prop_map(|config| {
            Json::Arr(vec![Json::obj([("mentionsAccountOrProgram", text(PUBKEY))]), config])
        }),
        (config, any::<bool>()).prop_map(|(config, failed)| {
            let filter = Json::obj([
                ("accountInclude", Json::Arr(vec![text(PUBKEY)])),
                ("failed", Json::Bool(failed)),
            ]);
            Json::Arr(vec![filter, config])
        }),
        id.prop_map(|id| Json::Arr(vec![id])),
        select(
            &["newHeads", "syncing", "newPendingTransactions", "alchemy_newFullPendingTransactions", "bogus"]
                [..]
        )
        .prop_map(|name| Json::Arr(vec![text(name)])),
        eth_filter.prop_map(|filter| Json::Arr(vec![text("logs"), filter])),
        any::<bool>().prop_map(|full| Json::Arr(vec![text("newPendingTransactions"), Json::Bool(full)])),
        any::<bool>().prop_map(|flag| Json::Arr(vec![
            text("alchemy_minedTransactions"),
            Json::obj([
                ("addresses", Json::Arr(vec![Json::obj([("to", text(ADDRESS)), ("from", text(ADDRESS))])])),
                ("includeRemoved", Json::Bool(flag)),
                ("hashesOnly", Json::Bool(!flag)),
            ]),
        ])),
        Just(Json::Arr(vec![
            text("alchemy_pendingTransactions"),
            Json::obj([("toAddress", Json::Arr(vec![text(ADDRESS)])), ("hashesOnly", Json::Bool(true))]),
        ])),
        fault.prop_map(|fault| Json::Arr(vec![fault])),
        proptest::collection::vec(any_json(), 0..4).prop_map(Json::Arr),
        any_json(),
    ]
    .boxed()
}

/// A call the demo carries out: a method with params it accepts (every subscription kind and
/// option, unsubscribes of the first ids, one-off requests).
fn valid_call() -> BoxedStrategy<(Json, Json)> {
    let call = |method: &str, params: Vec<Json>| (text(method), Json::Arr(params));
    let account_encoding = select(&["base64", "base58", "binary", "jsonParsed", "base64+zstd"][..]);
    let commitment = select(&["processed", "confirmed", "finalized"][..]);
    let tx_encoding = select(&["json", "jsonParsed", "base64", "base58"][..]);
    let details = select(&["full", "signatures", "none", "accounts"][..]);
    let solana_kind = select(&["slot", "root", "slotsUpdates", "vote"][..]);
    let unsubscribe: Vec<&str> = solana::served().filter_map(|spec| spec.unsubscribe_method).collect();
    let unsubscribe = select(unsubscribe);
    let one_off = select(&ONE_OFF_METHODS[..]);
    prop_oneof![
        (account_encoding.clone(), commitment.clone()).prop_map(move |(encoding, commitment)| call(
            "accountSubscribe",
            vec![text(PUBKEY), Json::obj([("encoding", text(encoding)), ("commitment", text(commitment))])],
        )),
        (account_encoding, 0_u64..200).prop_map(move |(encoding, size)| call(
            "programSubscribe",
            vec![
                text(PUBKEY),
                Json::obj([
                    ("encoding", text(encoding)),
                    ("filters", Json::Arr(vec![Json::obj([("dataSize", Json::uint(size))])]))
                ]),
            ],
        )),
        any::<bool>().prop_map(move |all| call(
            "logsSubscribe",
            vec![if all { text("all") } else { Json::obj([("mentions", Json::Arr(vec![text(PUBKEY)]))]) }],
        )),
        any::<bool>().prop_map(move |received| call(
            "signatureSubscribe",
            vec![text(SIGNATURE), Json::obj([("enableReceivedNotification", Json::Bool(received))])],
        )),
        solana_kind.prop_map(move |kind| call(&format!("{kind}Subscribe"), Vec::new())),
        (tx_encoding, details.clone(), any::<bool>()).prop_map(move |(encoding, details, rewards)| call(
            "blockSubscribe",
            vec![
                text("all"),
                Json::obj([
                    ("encoding", text(encoding)),
                    ("transactionDetails", text(details)),
                    ("showRewards", Json::Bool(rewards)),
                    ("maxSupportedTransactionVersion", Json::uint(0)),
                    ("commitment", text("confirmed")),
                ]),
            ],
        )),
        (select(&["base58", "base64", "jsonParsed"][..]), details, any::<bool>()).prop_map(
            move |(encoding, details, failed)| call(
                "transactionSubscribe",
                vec![
                    Json::obj([
                        ("accountInclude", Json::Arr(vec![text(PUBKEY)])),
                        ("failed", Json::Bool(failed))
                    ]),
                    Json::obj([("encoding", text(encoding)), ("transactionDetails", text(details))]),
                ],
            )
        ),
        (unsubscribe, 0_u64..4).prop_map(move |(method, id)| call(method, vec![Json::uint(id)])),
        select(&["newHeads", "syncing", "newPendingTransactions", "alchemy_newFullPendingTransactions"][..])
            .prop_map(move |name| call("eth_subscribe", vec![text(name)])),
        any::<bool>().prop_map(move |full| call(
            "eth_subscribe",
            vec![text("newPendingTransactions"), Json::Bool(full)]
        )),
        any::<bool>().prop_map(move |with_topics| {
            let mut filter = vec![("address".to_owned(), text(ADDRESS))];
            if with_topics {
                filter.push(("topics".to_owned(), Json::Arr(vec![text(TOPIC), Json::Null])));
            }
            call("eth_subscribe", vec![text("logs"), Json::Obj(filter)])
        }),
        any::<bool>().prop_map(move |flag| call(
            "eth_subscribe",
            vec![
                text("alchemy_minedTransactions"),
                Json::obj([
                    ("addresses", Json::Arr(vec![Json::obj([("to", text(ADDRESS))])])),
                    ("includeRemoved", Json::Bool(flag)),
                    ("hashesOnly", Json::Bool(!flag)),
                ]),
            ],
        )),
        Just(call(
            "eth_subscribe",
            vec![text("alchemy_pendingTransactions"), Json::obj([("fromAddress", text(ADDRESS))])],
        )),
        "0x[0-9a-f]{32}".prop_map(move |id| call("eth_unsubscribe", vec![Json::Str(id)])),
        (one_off, commitment).prop_map(move |(method, commitment)| call(
            method,
            vec![Json::obj([("commitment", text(commitment))])]
        )),
    ]
    .boxed()
}

/// A request id of any kind: the numbers and strings JSON-RPC allows, `null`, and types it
/// does not.
fn request_id() -> BoxedStrategy<Json> {
    prop_oneof![
        4 => any::<u64>().prop_map(Json::uint),
        2 => number().prop_map(Json::Num),
        2 => string().prop_map(Json::Str),
        1 => Just(Json::Null),
        1 => any_json(),
    ]
    .boxed()
}

/// A request object: mostly well-formed (`"jsonrpc":"2.0"`, a known method), with or without
/// an id, with any params, sometimes with members of the wrong type or unknown members, in any
/// order.
fn request() -> BoxedStrategy<Json> {
    let jsonrpc = prop_oneof![9 => Just(Some(text("2.0"))), 1 => proptest::option::of(scalar())];
    let id = prop_oneof![4 => request_id().prop_map(Some), 1 => Just(None)];
    let method = prop_oneof![9 => select(methods()).prop_map(Json::Str), 1 => scalar()];
    let call = prop_oneof![
        2 => valid_call().prop_map(|(method, params)| (Some(method), Some(params))),
        1 => (proptest::option::of(method), proptest::option::of(params())),
    ];
    (jsonrpc, id, call, proptest::collection::vec((string(), scalar()), 0..2))
        .prop_flat_map(|(jsonrpc, id, (method, params), extra)| {
            let mut members = extra;
            for (name, value) in [("jsonrpc", jsonrpc), ("id", id), ("method", method), ("params", params)] {
                members.extend(value.map(|value| (name.to_owned(), value)));
            }
            Just(members).prop_shuffle()
        })
        .prop_map(Json::Obj)
        .boxed()
}

/// Whether a frame the server sent is a notification (`method`, no `id`).
fn is_notification(frame: &Value) -> bool {
    frame.get("method").is_some() && frame.get("id").is_none()
}

/// The id a request's response must carry, or `None` when it must get no response: a request
/// with an id of an allowed type gets that id; any other id, a non-object, or a notification
/// that is not a valid request gets `null`; a valid notification gets nothing.
fn expected_reply(request: &Value) -> Option<Value> {
    let Value::Object(map) = request else {
        return Some(Value::Null);
    };
    match map.get("id") {
        Some(id @ (Value::Null | Value::Number(_) | Value::String(_))) => return Some(id.clone()),
        Some(_) => return Some(Value::Null),
        None => {}
    }
    let valid_version = map.get("jsonrpc").and_then(Value::as_str) == Some("2.0");
    let has_method = map.get("method").is_some_and(Value::is_string);
    let params_shape =
        matches!(map.get("params"), None | Some(Value::Null | Value::Array(_) | Value::Object(_)));
    (!valid_version || !has_method || !params_shape).then_some(Value::Null)
}

/// Whether two ids are the same JSON value; numbers with a fraction are compared within the
/// error of printing and parsing them again.
fn same_id(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Number(got), Value::Number(want)) if got.is_f64() || want.is_f64() => {
            match (got.as_f64(), want.as_f64()) {
                (Some(got), Some(want)) => got == want || (got - want).abs() <= want.abs() * 1e-15,
                _ => false,
            }
        }
        _ => got == want,
    }
}

/// Checks that `frame` is a well-formed JSON-RPC response (one of `result` and `error`, an
/// error with an integer code and a message) that subscope's own classifier reads as one.
fn check_response(frame: &Value) -> Result<(), TestCaseError> {
    let text = frame.to_string();
    prop_assert!(frame.get("id").is_some(), "no id in {}", text);
    let (result, error) = (frame.get("result"), frame.get("error"));
    prop_assert!(result.is_some() != error.is_some(), "not one of result and error: {}", text);
    if let Some(error) = error {
        prop_assert!(error.get("code").is_some_and(Value::is_i64), "error code in {}", text);
        prop_assert!(error.get("message").is_some_and(Value::is_string), "error message in {}", text);
    }
    // Agave's answer to a wrong version has no `jsonrpc` member; every other has "2.0".
    let unsupported = error.and_then(|error| error.get("message")).and_then(Value::as_str)
        == Some("Unsupported JSON-RPC protocol version");
    prop_assert!(unsupported || frame.get("jsonrpc") == Some(&Value::from("2.0")), "jsonrpc in {}", text);
    let kind = parse_incoming(&text).kind();
    prop_assert!(matches!(kind, FrameKind::Response | FrameKind::Error), "{:?}: {}", kind, text);
    Ok(())
}

/// Parses every frame the server sent; each must be JSON.
fn parse_frames(frames: &[String]) -> Result<Vec<Value>, TestCaseError> {
    frames
        .iter()
        .map(|frame| {
            serde_json::from_str(frame).map_err(|err| TestCaseError::fail(format!("{err}: {frame}")))
        })
        .collect()
}

/// Any client message: any text, a near-valid request or batch with a few edits, or bytes
/// (often not UTF-8) in a binary frame.
fn any_message() -> impl Strategy<Value = Message> {
    let near_valid = prop_oneof![request(), proptest::collection::vec(request(), 0..4).prop_map(Json::Arr),];
    prop_oneof![
        proptest::collection::vec(any::<char>(), 0..64)
            .prop_map(|chars| Message::text(String::from_iter(chars))),
        (near_valid, style())
            .prop_flat_map(|(json, style)| mutated(json.render(style)))
            .prop_map(Message::text),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Message::binary),
    ]
}

#[test]
fn any_client_message_gets_at_most_one_well_formed_reply() {
    fuzz("demo_any_message", share::ANY_MESSAGE, any_message(), |message| {
        let text = match &message {
            Message::Text(text) => Some(text.as_str().to_owned()),
            Message::Binary(bytes) => std::str::from_utf8(bytes).ok().map(str::to_owned),
            _ => None,
        };
        let mut connection = Detached::new(shared());
        let (frames, alive) = connection.receive(message);
        let Some(text) = text else {
            // Agave closes the connection on non-UTF-8 data, without a reply.
            prop_assert!(!alive && frames.is_empty(), "{:?}", frames);
            return Ok(());
        };
        prop_assert!(alive);
        let frames = parse_frames(&frames)?;
        let replies: Vec<&Value> = frames.iter().filter(|frame| !is_notification(frame)).collect();
        prop_assert!(replies.len() <= 1, "{} replies to {:?}", replies.len(), text);
        if serde_json::from_str::<Value>(&text).is_err() {
            prop_assert_eq!(replies.len(), 1, "no parse error for {:?}", text);
            prop_assert_eq!(&replies[0]["error"]["code"], &Value::from(-32700));
            prop_assert_eq!(&replies[0]["id"], &Value::Null);
        }
        for reply in replies {
            match reply {
                Value::Array(items) => {
                    for item in items {
                        check_response(item)?;
                    }
                }
                other => check_response(other)?,
            }
        }
        Ok(())
    });
}

#[test]
fn every_request_with_an_id_gets_exactly_one_response_with_that_id() {
    let strategy = (proptest::collection::vec((request(), style()), 1..5), any::<bool>());
    fuzz("demo_requests", share::REQUESTS, strategy, |(requests, binary)| {
        let mut connection = Detached::new(shared());
        let mut handed_out = HashSet::new();
        // A subscribe sent as a notification is carried out (as geth does) but its id is
        // never told, so its notifications cannot be checked against the ids handed out.
        let mut untold = false;
        for (request, style) in requests {
            let text = request.render(style);
            let message =
                if binary { Message::binary(text.clone().into_bytes()) } else { Message::text(text.clone()) };
            let (frames, alive) = connection.receive(message);
            prop_assert!(alive);
            let frames = parse_frames(&frames)?;
            let replies: Vec<&Value> = frames.iter().filter(|frame| !is_notification(frame)).collect();
            let want = match serde_json::from_str::<Value>(&text) {
                Ok(parsed) => expected_reply(&parsed),
                // Numbers no float holds (1e400) make the frame unparsable: a parse error.
                Err(_) => Some(Value::Null),
            };
            match &want {
                None => prop_assert!(replies.is_empty(), "replies {:?} to notification {}", replies, text),
                Some(id) => {
                    prop_assert_eq!(replies.len(), 1, "replies {:?} to {}", replies, text);
                    check_response(replies[0])?;
                    prop_assert!(same_id(&replies[0]["id"], id), "id {} answered as {}", id, replies[0]);
                }
            }
            // Remember the subscription ids handed out, for the notifications below.
            let method =
                serde_json::from_str::<Value>(&text).ok().and_then(|parsed| parsed.get("method").cloned());
            let subscribes = method
                .as_ref()
                .and_then(Value::as_str)
                .is_some_and(|method| method.ends_with("Subscribe") || method == "eth_subscribe");
            if let (true, Some(reply)) = (subscribes, replies.first())
                && let Some(id) = reply.get("result").filter(|id| id.is_u64() || id.is_string())
            {
                handed_out.insert(id.to_string());
            }
            untold |= subscribes && want.is_none();
        }
        // Every notification the subscriptions then produce is for an id this connection got.
        for frame in connection.tick() {
            let Incoming::Notification { subscription: Some(id), .. } = parse_incoming(&frame) else {
                return Err(TestCaseError::fail(format!("not a routable notification: {frame}")));
            };
            let id = id.to_json().to_string();
            prop_assert!(
                untold || handed_out.contains(&id),
                "notification for {} (handed out {:?})",
                id,
                handed_out
            );
        }
        Ok(())
    });
}

#[test]
fn a_batch_gets_one_array_with_a_response_per_item_that_needs_one_in_order() {
    let item = prop_oneof![4 => request(), 1 => any_json()];
    let items = prop_oneof![
        20 => proptest::collection::vec(item, 0..8),
        1 => request().prop_map(|request| vec![request; 1_001]),
    ];
    fuzz("demo_batches", share::BATCHES, (items, style()), |(items, style)| {
        let text = Json::Arr(items).render(style);
        let mut connection = Detached::new(shared());
        let (frames, alive) = connection.receive(Message::text(text.clone()));
        prop_assert!(alive);
        let frames = parse_frames(&frames)?;
        let replies: Vec<&Value> = frames.iter().filter(|frame| !is_notification(frame)).collect();
        let Ok(Value::Array(parsed)) = serde_json::from_str::<Value>(&text) else {
            // Numbers no float holds (1e400) make the frame unparsable: a parse error.
            prop_assert_eq!(replies.len(), 1);
            prop_assert_eq!(&replies[0]["error"]["code"], &Value::from(-32700));
            return Ok(());
        };
        if parsed.is_empty() || parsed.len() > 1_000 {
            // An empty or oversized batch is one invalid request, answered with one error.
            prop_assert_eq!(replies.len(), 1, "{} items", parsed.len());
            check_response(replies[0])?;
            prop_assert_eq!(&replies[0]["error"]["code"], &Value::from(-32600));
            return Ok(());
        }
        let want: Vec<Value> = parsed.iter().filter_map(expected_reply).collect();
        if want.is_empty() {
            prop_assert!(replies.is_empty(), "replies {:?} to a batch of notifications {}", replies, text);
            return Ok(());
        }
        prop_assert_eq!(replies.len(), 1, "replies {:?} to {}", replies, text);
        let Value::Array(responses) = replies[0] else {
            return Err(TestCaseError::fail(format!("not an array: {}", replies[0])));
        };
        prop_assert_eq!(responses.len(), want.len(), "{}", replies[0]);
        for (response, id) in responses.iter().zip(&want) {
            check_response(response)?;
            prop_assert!(same_id(&response["id"], id), "id {} answered as {}", id, response);
        }
        Ok(())
    });
}
