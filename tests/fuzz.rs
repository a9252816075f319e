//! Property and fuzz tests over everything in the public API that reads untrusted bytes: frame
//! classification (`protocol::parse_incoming`), the table's columns (`catalog::summarize`), the
//! capture import reader (`export::import_reader`) and secret scrubbing (`redact`).
//!
//! Every property draws a fixed-seed share of the suite's case budget (`SUBSCOPE_FUZZ_CASES`,
//! see `tests/support/budget.rs`); the demo server's request handler is fuzzed by the other
//! half of the suite, `src/demo/fuzz_tests.rs`. Each property states what must hold, not just
//! that nothing panics: the frames are generated as trees, so what a reader must make of them
//! is known.

#![expect(clippy::unwrap_used, reason = "tests")]

#[path = "support/budget.rs"]
mod budget;
#[path = "support/json_text.rs"]
mod json_text;

use std::collections::HashSet;

use budget::fuzz;
use json_text::{
    Json, Style, any_json, integer_json, key, mutated, number, plain_json, scalar, string, style,
};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::TestCaseError;
use serde::de::IgnoredAny;
use subscope::capture::{CapturedEvent, Direction, SubKey};
use subscope::catalog::{Summary, summarize};
use subscope::export::{
    CaptureContext, EventWriter, Format, ImportError, Imported, Progress, SubscriptionInfo, import_reader,
};
use subscope::protocol::{FrameKind, Incoming, Outcome, SubId, parse_incoming};
use subscope::redact::{Secret, Secrets, could_be_secret, scrub_urls};

/// Each property's share of the suite's cases, in thousandths (see `tests/support/budget.rs`).
mod share {
    pub const ANY_TEXT_FRAME: u32 = 90;
    pub const ENVELOPE_SHAPES: u32 = 120;
    pub const NOTIFICATION_ROUTES: u32 = 40;
    pub const BATCH_ITEMS: u32 = 40;
    pub const DEEP_PAYLOADS: u32 = 10;
    pub const ANY_TEXT_SUMMARY: u32 = 60;
    pub const SUMMARY_COLUMNS: u32 = 120;
    pub const ETH_QUANTITIES: u32 = 30;
    pub const ANY_BYTES_IMPORT: u32 = 50;
    pub const NDJSON_BAD_LINE: u32 = 60;
    pub const ARRAY_BAD_ELEMENT: u32 = 30;
    pub const CUT_CAPTURE: u32 = 50;
    pub const ROUND_TRIP: u32 = 30;
    pub const ARRAY_BAD_ELEMENT_LINE: u32 = 10;
    pub const FLOAT_PARAMS: u32 = 10;
    pub const PADDED_FRAME: u32 = 5;
    pub const NULL_FRAME: u32 = 5;
    pub const SCRUB_SECRETS: u32 = 25;
    pub const SCRUB_URLS: u32 = 25;
    pub const SCRUB_FRAME_PLAIN: u32 = 20;
    pub const SCRUB_FRAME_SECRET: u32 = 20;

    const _: () = assert!(
        ANY_TEXT_FRAME
            + ENVELOPE_SHAPES
            + NOTIFICATION_ROUTES
            + BATCH_ITEMS
            + DEEP_PAYLOADS
            + ANY_TEXT_SUMMARY
            + SUMMARY_COLUMNS
            + ETH_QUANTITIES
            + ANY_BYTES_IMPORT
            + NDJSON_BAD_LINE
            + ARRAY_BAD_ELEMENT
            + CUT_CAPTURE
            + ROUND_TRIP
            + ARRAY_BAD_ELEMENT_LINE
            + FLOAT_PARAMS
            + PADDED_FRAME
            + NULL_FRAME
            + SCRUB_SECRETS
            + SCRUB_URLS
            + SCRUB_FRAME_PLAIN
            + SCRUB_FRAME_SECRET
            == super::budget::PUBLIC_READERS_PART,
        "this file's shares must add up to its part of the budget"
    );
}

// ---------------------------------------------------------------------------------------------
// Frame classification: protocol::parse_incoming
// ---------------------------------------------------------------------------------------------

/// A frame's classification, comparable: what `parse_incoming` said, or what it must say.
#[derive(Clone, Debug, PartialEq)]
enum Class {
    /// A response with a `result`, and the result's exact text.
    Result { id: Option<u64>, result: String },
    /// A response with an `error`.
    Error { id: Option<u64>, code: i64, message: String, data: Option<String> },
    /// A notification (or a server-sent request).
    Notification { method: String, subscription: Option<SubId> },
    /// A batch, item by item.
    Batch(Vec<Class>),
    /// JSON of no JSON-RPC shape.
    Unknown,
    /// Not JSON.
    NotJson,
}

/// What `parse_incoming` said, as a [`Class`].
fn observed(incoming: &Incoming<'_>) -> Class {
    match incoming {
        Incoming::Response { id, outcome: Outcome::Result(raw) } => {
            Class::Result { id: *id, result: raw.get().to_owned() }
        }
        Incoming::Response { id, outcome: Outcome::Error(error) } => Class::Error {
            id: *id,
            code: error.code,
            message: error.message.clone(),
            data: error.data.clone(),
        },
        Incoming::Notification { method, subscription } => {
            Class::Notification { method: method.to_string(), subscription: subscription.clone() }
        }
        Incoming::Batch(items) => Class::Batch(items.iter().map(observed).collect()),
        Incoming::Unknown => Class::Unknown,
        Incoming::NotJson => Class::NotJson,
    }
}

/// Whether a number's text is one serde reads as an `i64` (an integer in range; `-0` is read
/// as a float).
fn is_i64_text(text: &str) -> bool {
    !text.contains(['.', 'e', 'E']) && text != "-0" && text.parse::<i64>().is_ok()
}

/// The subscription id a `params` object names: its last `subscription` member, when that is
/// an integer that fits in `u64` or a string.
fn expected_subscription(members: &[(String, Json)]) -> Option<SubId> {
    let (_, value) = members.iter().rev().find(|(key, _)| key == "subscription")?;
    match value {
        Json::Num(text) => text.parse().ok().map(SubId::Num),
        Json::Str(text) => Some(SubId::Str(text.as_str().into())),
        _ => None,
    }
}

/// The members of a JSON-RPC error object, or `None` when it cannot be read as one (a member
/// of the wrong type, or a member given twice).
fn expected_error(members: &[(String, Json)], style: Style) -> Option<(i64, String, Option<String>)> {
    let (mut code, mut message, mut data) = (0, String::new(), None);
    let mut seen = HashSet::new();
    for (key, value) in members {
        if ["code", "message", "data"].contains(&key.as_str()) && !seen.insert(key.as_str()) {
            return None;
        }
        match (key.as_str(), value) {
            ("code", Json::Num(text)) if is_i64_text(text) => code = text.parse().ok()?,
            ("code", _) => return None,
            ("message", Json::Str(text)) => message.clone_from(text),
            ("message", _) => return None,
            ("data", Json::Null) => data = None,
            ("data", value) => data = Some(value.render(style)),
            _ => {}
        }
    }
    Some((code, message, data))
}

/// What an object must be classified as, following the envelope rules of
/// `subscope::protocol`: `method` makes a notification; otherwise `error`, then `result` make
/// a response; a routing member of the wrong type, or given twice, makes it unknown.
fn expected_envelope(members: &[(String, Json)], style: Style) -> Option<Class> {
    let mut seen = HashSet::new();
    let (mut id, mut method, mut subscription, mut result, mut error) = (None, None, None, None, None);
    for (key, value) in members {
        if ["id", "method", "params", "result", "error"].contains(&key.as_str()) && !seen.insert(key.as_str())
        {
            return None;
        }
        match key.as_str() {
            "id" => id = Some(value),
            "method" => {
                method = match value {
                    Json::Null => None,
                    Json::Str(text) => Some(text.clone()),
                    _ => return None,
                }
            }
            "params" => {
                subscription = match value {
                    Json::Null | Json::Arr(_) => None,
                    Json::Obj(params) => expected_subscription(params),
                    _ => return None,
                }
            }
            "result" => result = Some(value),
            "error" => {
                error = match value {
                    Json::Null => None,
                    Json::Obj(body) => Some(expected_error(body, style)?),
                    _ => return None,
                }
            }
            _ => {}
        }
    }
    if let Some(method) = method {
        return Some(Class::Notification { method, subscription });
    }
    let id = id.and_then(|id| match id {
        Json::Num(text) => text.parse::<u64>().ok(),
        _ => None,
    });
    Some(match (error, result) {
        (Some((code, message, data)), _) => Class::Error { id, code, message, data },
        (None, Some(result)) => Class::Result { id, result: result.render(style) },
        (None, None) => Class::Unknown,
    })
}

/// What a whole frame must be classified as: an object by the envelope rules, an array of
/// objects as a batch, any other JSON as unknown.
fn expected_class(frame: &Json, style: Style) -> Class {
    match frame {
        Json::Obj(members) => expected_envelope(members, style).unwrap_or(Class::Unknown),
        Json::Arr(items) => items
            .iter()
            .map(|item| match item {
                Json::Obj(members) => expected_envelope(members, style),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map_or(Class::Unknown, Class::Batch),
        _ => Class::Unknown,
    }
}

/// A subscription id as servers send them, and values no server should send there.
fn subscription_value() -> impl Strategy<Value = Json> {
    prop_oneof![
        3 => any::<u64>().prop_map(Json::uint),
        3 => "0x[0-9a-f]{1,32}".prop_map(Json::Str),
        1 => string().prop_map(Json::Str),
        1 => scalar(),
        1 => any_json(),
    ]
}

/// An object with any of the members JSON-RPC routing reads, each of any type (mostly the
/// right one), plus unknown members, sometimes one member twice, in any order.
fn envelope_members() -> BoxedStrategy<Vec<(String, Json)>> {
    let id = prop_oneof![
        3 => any::<u64>().prop_map(Json::uint),
        1 => number().prop_map(Json::Num),
        1 => string().prop_map(Json::Str),
        1 => any_json(),
    ];
    let method = prop_oneof![4 => string().prop_map(Json::Str), 1 => scalar()];
    let params = prop_oneof![
        4 => (
            proptest::option::of(subscription_value()),
            proptest::option::of(any_json()),
            proptest::collection::vec((key(), any_json()), 0..2),
        )
            .prop_map(|(subscription, result, extra)| {
                let mut members: Vec<(String, Json)> = extra;
                members.extend(subscription.map(|value| ("subscription".to_owned(), value)));
                members.extend(result.map(|value| ("result".to_owned(), value)));
                Json::Obj(members)
            }),
        1 => any_json(),
    ];
    let code = prop_oneof![3 => any::<i64>().prop_map(|code| Json::Num(code.to_string())), 1 => scalar()];
    let message = prop_oneof![3 => string().prop_map(Json::Str), 1 => scalar()];
    let error = prop_oneof![
        4 => (
            proptest::option::of(code),
            proptest::option::of(message),
            proptest::option::of(any_json()),
            proptest::collection::vec((key(), any_json()), 0..2),
        )
            .prop_map(|(code, message, data, extra)| {
                let mut members = extra;
                members.extend(code.map(|value| ("code".to_owned(), value)));
                members.extend(message.map(|value| ("message".to_owned(), value)));
                members.extend(data.map(|value| ("data".to_owned(), value)));
                Json::Obj(members)
            }),
        1 => any_json(),
    ];
    // Boxed, so the tuple's value tree (and a debug build's stack frame) stays small.
    (
        proptest::option::of(id).boxed(),
        proptest::option::of(method).boxed(),
        proptest::option::of(params).boxed(),
        proptest::option::of(any_json()).boxed(),
        proptest::option::of(error).boxed(),
        proptest::option::of(prop_oneof![Just(Json::str("2.0")), scalar()]).boxed(),
        proptest::collection::vec((key(), any_json()), 0..3).boxed(),
        proptest::option::of(any::<Index>()),
    )
        .prop_flat_map(|(id, method, params, result, error, jsonrpc, extra, twice)| {
            let mut members = extra;
            for (name, value) in [
                ("id", id),
                ("method", method),
                ("params", params),
                ("result", result),
                ("error", error),
                ("jsonrpc", jsonrpc),
            ] {
                members.extend(value.map(|value| (name.to_owned(), value)));
            }
            if let Some(twice) = twice
                && !members.is_empty()
            {
                let repeated = members[twice.index(members.len())].clone();
                members.push(repeated);
            }
            Just(members).prop_shuffle()
        })
        .boxed()
}

/// A frame near JSON-RPC: an envelope-like object, a batch of them (possibly with odd items),
/// or any JSON at all.
fn near_rpc_frame() -> BoxedStrategy<Json> {
    prop_oneof![
        6 => envelope_members().prop_map(Json::Obj),
        2 => proptest::collection::vec(envelope_members().prop_map(Json::Obj), 0..5).prop_map(Json::Arr),
        1 => proptest::collection::vec(
            prop_oneof![3 => envelope_members().prop_map(Json::Obj), 1 => any_json()],
            0..4
        )
        .prop_map(Json::Arr),
        1 => any_json(),
    ]
    .boxed()
}

/// A well-formed notification: the method, the subscription id, and the frame.
fn well_formed_notification() -> impl Strategy<Value = (String, SubId, Json)> {
    let id = prop_oneof![
        any::<u64>().prop_map(SubId::Num),
        "0x[0-9a-f]{1,32}".prop_map(|text| SubId::Str(text.into())),
        string().prop_map(|text| SubId::Str(text.into())),
    ];
    (string(), id, any_json()).prop_map(|(method, subscription, result)| {
        let id_json = match &subscription {
            SubId::Num(value) => Json::uint(*value),
            SubId::Str(text) => Json::str(text),
        };
        let frame = Json::obj([
            ("jsonrpc", Json::str("2.0")),
            ("method", Json::Str(method.clone())),
            ("params", Json::obj([("result", result), ("subscription", id_json)])),
        ]);
        (method, subscription, frame)
    })
}

/// A well-formed response (a result or an error) to request `id`.
fn well_formed_response() -> impl Strategy<Value = Json> {
    (any::<u64>(), any_json(), any::<i64>(), string(), any::<bool>()).prop_map(
        |(id, result, code, message, failed)| {
            if failed {
                Json::obj([
                    ("jsonrpc", Json::str("2.0")),
                    (
                        "error",
                        Json::obj([("code", Json::Num(code.to_string())), ("message", Json::Str(message))]),
                    ),
                    ("id", Json::uint(id)),
                ])
            } else {
                Json::obj([("jsonrpc", Json::str("2.0")), ("result", result), ("id", Json::uint(id))])
            }
        },
    )
}

/// Any text: any characters at all, or a near-valid frame with a few edits.
fn any_frame_text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(any::<char>(), 0..64).prop_map(String::from_iter),
        "\\PC{0,64}",
        (near_rpc_frame(), style()).prop_flat_map(|(frame, style)| mutated(frame.render(style))),
    ]
}

#[test]
fn any_text_is_classified_without_panicking_and_consistently() {
    fuzz("any_text_frame", share::ANY_TEXT_FRAME, any_frame_text(), |text| {
        let incoming = parse_incoming(&text);
        let kind = incoming.kind();
        let is_json = serde_json::from_str::<IgnoredAny>(&text).is_ok();
        prop_assert_eq!(kind == FrameKind::NotJson, !is_json, "{:?} for {:?}", kind, text);
        if let Incoming::Batch(items) = &incoming {
            prop_assert!(text.trim_start().starts_with('['), "a batch that is not an array: {:?}", text);
            for item in items {
                let item_kind = item.kind();
                prop_assert!(
                    !matches!(item_kind, FrameKind::Batch | FrameKind::NotJson),
                    "batch item {:?} in {:?}",
                    item_kind,
                    text
                );
            }
        }
        if matches!(incoming, Incoming::Notification { .. } | Incoming::Response { .. }) {
            prop_assert!(text.trim_start().starts_with('{'), "an envelope that is not an object: {:?}", text);
        }
        Ok(())
    });
}

#[test]
fn generated_envelopes_are_classified_as_the_envelope_rules_say() {
    fuzz("envelope_shapes", share::ENVELOPE_SHAPES, (near_rpc_frame(), style()), |(frame, style)| {
        let text = frame.render(style);
        let got = observed(&parse_incoming(&text));
        prop_assert_eq!(got, expected_class(&frame, style), "frame {}", text);
        Ok(())
    });
}

#[test]
fn a_well_formed_notification_routes_to_its_subscription() {
    let strategy = (well_formed_notification(), style());
    fuzz(
        "notification_routes",
        share::NOTIFICATION_ROUTES,
        strategy,
        |((method, subscription, frame), style)| {
            let text = frame.render(style);
            let got = observed(&parse_incoming(&text));
            prop_assert_eq!(
                got,
                Class::Notification { method, subscription: Some(subscription) },
                "frame {}",
                text
            );
            Ok(())
        },
    );
}

#[test]
fn a_batch_of_n_well_formed_items_yields_n_items_in_order() {
    let item =
        prop_oneof![well_formed_notification().prop_map(|(_, _, frame)| frame), well_formed_response()];
    let strategy = (proptest::collection::vec(item, 0..12), style());
    fuzz("batch_items", share::BATCH_ITEMS, strategy, |(items, style)| {
        let text = Json::Arr(items.clone()).render(style);
        let Class::Batch(got) = observed(&parse_incoming(&text)) else {
            return Err(TestCaseError::fail(format!("not a batch: {text}")));
        };
        prop_assert_eq!(got.len(), items.len(), "{}", text);
        for (got, item) in got.iter().zip(&items) {
            prop_assert_eq!(got, &expected_class(item, style));
            prop_assert!(!matches!(got, Class::Unknown), "a well-formed item was not recognised in {}", text);
        }
        Ok(())
    });
}

#[test]
fn deeply_nested_payloads_still_route_their_notification() {
    let strategy = (1_usize..4_000, any::<bool>(), any::<u64>());
    fuzz("deep_payloads", share::DEEP_PAYLOADS, strategy, |(depth, objects, subscription)| {
        let (open, close) = if objects { (r#"{"a":"#, "}") } else { ("[", "]") };
        let result = format!("{}0{}", open.repeat(depth), close.repeat(depth));
        let text = format!(
            r#"{{"jsonrpc":"2.0","method":"logsNotification","params":{{"result":{result},"subscription":{subscription}}}}}"#
        );
        let got = observed(&parse_incoming(&text));
        let want = Class::Notification {
            method: "logsNotification".to_owned(),
            subscription: Some(SubId::Num(subscription)),
        };
        prop_assert_eq!(got, want, "depth {}", depth);
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// Summaries: catalog::summarize
// ---------------------------------------------------------------------------------------------

/// A generated notification (or error response) and the summary it must give. An error
/// column that holds a JSON value's text is filled in once the frame's style is known.
#[derive(Clone, Debug)]
struct SummaryCase {
    /// The frame.
    frame: Json,
    /// The columns, but for an error taken from a value's text.
    expected: Summary,
    /// The value whose text is the error column, and whether a string is shown unquoted.
    error_text: Option<(Json, bool)>,
}

impl SummaryCase {
    /// A case whose columns need nothing from the style.
    fn new(frame: Json, expected: Summary) -> Self {
        Self { frame, expected, error_text: None }
    }

    /// The same case with the error column taken from `err` (`null` means no error).
    fn with_error(mut self, err: Json, unquote: bool) -> Self {
        if !err.is_null() {
            self.error_text = Some((err, unquote));
        }
        self
    }

    /// The summary the frame, written in `style`, must give.
    fn expected(&self, style: Style) -> Summary {
        let mut summary = self.expected.clone();
        if let Some((err, unquote)) = &self.error_text {
            summary.error = Some(match err {
                Json::Str(text) if *unquote => text.clone(),
                other => other.render(style),
            });
        }
        summary
    }
}

/// A Solana-style notification frame (`result` before `subscription`).
fn solana_frame(method: &str, subscription: u64, result: Json) -> Json {
    Json::obj([
        ("jsonrpc", Json::str("2.0")),
        ("method", Json::str(method)),
        ("params", Json::obj([("result", result), ("subscription", Json::uint(subscription))])),
    ])
}

/// An `eth_subscription` frame (`subscription` before `result`).
fn eth_frame(subscription: &str, result: Json) -> Json {
    Json::obj([
        ("jsonrpc", Json::str("2.0")),
        ("method", Json::str("eth_subscription")),
        ("params", Json::obj([("subscription", Json::str(subscription)), ("result", result)])),
    ])
}

/// `{"slot":N}`.
fn context(slot: u64) -> Json {
    Json::obj([("slot", Json::uint(slot))])
}

/// A `0x` quantity.
fn quantity(value: u128) -> Json {
    Json::Str(format!("{value:#x}"))
}

/// A transaction error as Solana writes it: `null`, an enum name or an object.
fn solana_err() -> impl Strategy<Value = Json> {
    prop_oneof![
        2 => Just(Json::Null),
        1 => select(&["AccountInUse", "BlockhashNotFound", "shred missing"][..]).prop_map(Json::str),
        1 => (any::<u8>(), any::<u32>()).prop_map(|(index, code)| Json::obj([(
            "InstructionError",
            Json::Arr(vec![Json::uint(u64::from(index)), Json::obj([("Custom", Json::uint(u64::from(code)))])]),
        )])),
        1 => any_json(),
    ]
}

/// Log lines.
fn log_lines() -> impl Strategy<Value = Vec<Json>> {
    proptest::collection::vec(string().prop_map(Json::Str), 0..6)
}

/// A Solana account: `(lamports, owner, the account object)`.
fn solana_account() -> impl Strategy<Value = (u64, String, Json)> {
    (any::<u64>(), string(), any_json(), any::<bool>()).prop_map(|(lamports, owner, data, executable)| {
        let account = Json::obj([
            ("lamports", Json::uint(lamports)),
            ("data", data),
            ("owner", Json::Str(owner.clone())),
            ("executable", Json::Bool(executable)),
            ("rentEpoch", Json::uint(u64::MAX)),
            ("space", Json::uint(0)),
        ]);
        (lamports, owner, account)
    })
}

/// Every Solana notification kind the catalogue summarises, with its columns.
#[expect(clippy::too_many_lines, reason = "one table of cases, a strategy per notification kind")]
fn solana_case() -> impl Strategy<Value = SummaryCase> {
    let account = (any::<u64>(), any::<u64>(), proptest::option::of(solana_account())).prop_map(
        |(sub, slot, account)| {
            let (value, summary) = match account {
                Some((lamports, owner, json)) => (
                    json,
                    Summary { value: Some(lamports.to_string()), owner: Some(owner), ..Summary::default() },
                ),
                None => (Json::Null, Summary::default()),
            };
            let result = Json::obj([("context", context(slot)), ("value", value)]);
            SummaryCase::new(
                solana_frame("accountNotification", sub, result),
                Summary { slot_or_block: Some(slot), ..summary },
            )
        },
    );
    let program = (any::<u64>(), any::<u64>(), string(), solana_account()).prop_map(
        |(sub, slot, pubkey, (lamports, owner, json))| {
            let value = Json::obj([("pubkey", Json::Str(pubkey.clone())), ("account", json)]);
            let result = Json::obj([("context", context(slot)), ("value", value)]);
            SummaryCase::new(
                solana_frame("programNotification", sub, result),
                Summary {
                    slot_or_block: Some(slot),
                    account: Some(pubkey),
                    value: Some(lamports.to_string()),
                    owner: Some(owner),
                    ..Summary::default()
                },
            )
        },
    );
    let logs = (any::<u64>(), any::<u64>(), string(), solana_err(), log_lines()).prop_map(
        |(sub, slot, signature, err, logs)| {
            let value = Json::obj([
                ("signature", Json::Str(signature.clone())),
                ("err", err.clone()),
                ("logs", Json::Arr(logs.clone())),
            ]);
            let result = Json::obj([("context", context(slot)), ("value", value)]);
            let summary = Summary {
                slot_or_block: Some(slot),
                signature_or_hash: Some(signature),
                log_lines: Some(logs.len()),
                ..Summary::default()
            };
            SummaryCase::new(solana_frame("logsNotification", sub, result), summary).with_error(err, false)
        },
    );
    // The final status (`{"err":…}`), or the early `"receivedSignature"` (any string).
    let signature =
        (any::<u64>(), any::<u64>(), prop_oneof![solana_err().prop_map(Ok), string().prop_map(Err)])
            .prop_map(|(sub, slot, status)| {
                let (value, kind, err) = match status {
                    Ok(err) => (Json::obj([("err", err.clone())]), None, err),
                    Err(received) => (Json::Str(received.clone()), Some(received), Json::Null),
                };
                let result = Json::obj([("context", context(slot)), ("value", value)]);
                SummaryCase::new(
                    solana_frame("signatureNotification", sub, result),
                    Summary { slot_or_block: Some(slot), kind, ..Summary::default() },
                )
                .with_error(err, false)
            });
    let slot = (any::<u64>(), any::<u64>()).prop_map(|(sub, slot)| {
        let result = Json::obj([
            ("slot", Json::uint(slot)),
            ("parent", Json::uint(slot.saturating_sub(1))),
            ("root", Json::uint(slot.saturating_sub(32))),
        ]);
        SummaryCase::new(
            solana_frame("slotNotification", sub, result),
            Summary { slot_or_block: Some(slot), ..Summary::default() },
        )
    });
    let root = (any::<u64>(), any::<u64>()).prop_map(|(sub, root)| {
        SummaryCase::new(
            solana_frame("rootNotification", sub, Json::uint(root)),
            Summary { slot_or_block: Some(root), ..Summary::default() },
        )
    });
    let slots_update = (any::<u64>(), any::<u64>(), string(), proptest::option::of(solana_err())).prop_map(
        |(sub, slot, kind, err)| {
            let mut result = vec![
                ("type".to_owned(), Json::Str(kind.clone())),
                ("slot".to_owned(), Json::uint(slot)),
                ("timestamp".to_owned(), Json::uint(1_795_333_875_437)),
            ];
            result.extend(err.clone().map(|err| ("err".to_owned(), err)));
            let case = SummaryCase::new(
                solana_frame("slotsUpdatesNotification", sub, Json::Obj(result)),
                Summary { slot_or_block: Some(slot), kind: Some(kind), ..Summary::default() },
            );
            case.with_error(err.unwrap_or(Json::Null), true)
        },
    );
    let block = (
        any::<u64>(),
        any::<u64>(),
        proptest::option::of(any::<u64>()),
        proptest::option::of(string()),
        solana_err(),
    )
        .prop_map(|(sub, context_slot, slot, hash, err)| {
            let mut value = Vec::new();
            value.extend(slot.map(|slot| ("slot".to_owned(), Json::uint(slot))));
            let block = hash.clone().map_or(Json::Null, |hash| {
                Json::obj([("blockhash", Json::Str(hash)), ("parentSlot", Json::uint(context_slot))])
            });
            value.push(("block".to_owned(), block));
            value.push(("err".to_owned(), err.clone()));
            let result = Json::obj([("context", context(context_slot)), ("value", Json::Obj(value))]);
            let summary = Summary {
                slot_or_block: Some(slot.unwrap_or(context_slot)),
                signature_or_hash: hash,
                ..Summary::default()
            };
            SummaryCase::new(solana_frame("blockNotification", sub, result), summary).with_error(err, true)
        });
    let vote = (any::<u64>(), string(), proptest::collection::vec(any::<u64>(), 0..8), string()).prop_map(
        |(sub, vote_pubkey, slots, signature)| {
            let result = Json::obj([
                ("votePubkey", Json::Str(vote_pubkey.clone())),
                ("slots", Json::Arr(slots.iter().copied().map(Json::uint).collect())),
                ("hash", Json::str("E4HL1YRBmowKSx3nx7X8wZ4UFLVgsFVNt1CyGdRPr7y1")),
                ("timestamp", Json::uint(1_795_333_890)),
                ("signature", Json::Str(signature.clone())),
            ]);
            SummaryCase::new(
                solana_frame("voteNotification", sub, result),
                Summary {
                    slot_or_block: slots.last().copied(),
                    signature_or_hash: Some(signature),
                    account: Some(vote_pubkey),
                    ..Summary::default()
                },
            )
        },
    );
    let helius = (any::<u64>(), any::<u64>(), string(), solana_err(), log_lines()).prop_map(
        |(sub, slot, signature, err, logs)| {
            let meta = Json::obj([
                ("err", err.clone()),
                ("fee", Json::uint(5_000)),
                ("logMessages", Json::Arr(logs.clone())),
            ]);
            let transaction = Json::obj([
                ("transaction", Json::Arr(vec![Json::str("AQID"), Json::str("base64")])),
                ("meta", meta),
            ]);
            let result = Json::obj([
                ("transaction", transaction),
                ("signature", Json::Str(signature.clone())),
                ("slot", Json::uint(slot)),
            ]);
            let summary = Summary {
                slot_or_block: Some(slot),
                signature_or_hash: Some(signature),
                log_lines: Some(logs.len()),
                ..Summary::default()
            };
            SummaryCase::new(solana_frame("transactionNotification", sub, result), summary)
                .with_error(err, false)
        },
    );
    prop_oneof![account, program, logs, signature, slot, root, slots_update, block, vote, helius]
}

/// A full Ethereum transaction object and the columns it gives.
fn eth_transaction() -> impl Strategy<Value = (Json, Summary)> {
    (string(), string(), any::<u128>(), proptest::option::of(any::<u64>())).prop_map(
        |(hash, from, value, block)| {
            let json = Json::obj([
                ("type", Json::str("0x2")),
                ("nonce", Json::str("0x1")),
                ("to", Json::str("0x70997970c51812dc3a010c7d01b50e0d17dc79c8")),
                ("value", quantity(value)),
                ("hash", Json::Str(hash.clone())),
                ("blockHash", Json::Null),
                ("blockNumber", block.map_or(Json::Null, |block| quantity(u128::from(block)))),
                ("from", Json::Str(from.clone())),
            ]);
            let summary = Summary {
                slot_or_block: block,
                signature_or_hash: Some(hash),
                account: Some(from),
                value: Some(value.to_string()),
                kind: Some("transaction".to_owned()),
                ..Summary::default()
            };
            (json, summary)
        },
    )
}

/// Every `eth_subscription` kind (geth, anvil and Alchemy) and JSON-RPC errors, with columns.
fn ethereum_case() -> impl Strategy<Value = SummaryCase> {
    let sub = "0x[0-9a-f]{32}";
    let new_head = (sub, any::<u64>(), string()).prop_map(|(sub, number, hash)| {
        let result = Json::obj([
            ("hash", Json::Str(hash.clone())),
            ("parentHash", Json::str("0xafa13e0984919f1766e0fb3ee6cc701e4ca376580892ca774d525814bcd463fd")),
            ("miner", Json::str("0x0000000000000000000000000000000000000000")),
            ("number", quantity(u128::from(number))),
            ("gasLimit", Json::str("0x1c9c380")),
        ]);
        SummaryCase::new(
            eth_frame(&sub, result),
            Summary {
                slot_or_block: Some(number),
                signature_or_hash: Some(hash),
                kind: Some("newHead".to_owned()),
                ..Summary::default()
            },
        )
    });
    let log = (sub, any::<u64>(), string(), string(), any::<bool>(), any::<bool>()).prop_map(
        |(sub, block, tx_hash, address, removed, with_topics)| {
            let mut result = vec![
                ("address".to_owned(), Json::Str(address.clone())),
                ("data".to_owned(), Json::str("0x")),
                ("blockNumber".to_owned(), quantity(u128::from(block))),
                ("transactionHash".to_owned(), Json::Str(tx_hash.clone())),
                ("removed".to_owned(), Json::Bool(removed)),
            ];
            // Either member marks a log.
            result.push(if with_topics {
                ("topics".to_owned(), Json::Arr(Vec::new()))
            } else {
                ("logIndex".to_owned(), Json::str("0x0"))
            });
            SummaryCase::new(
                eth_frame(&sub, Json::Obj(result)),
                Summary {
                    slot_or_block: Some(block),
                    signature_or_hash: Some(tx_hash),
                    account: Some(address),
                    removed,
                    kind: Some("log".to_owned()),
                    ..Summary::default()
                },
            )
        },
    );
    let pending_hash = (sub, string()).prop_map(|(sub, hash)| {
        SummaryCase::new(
            eth_frame(&sub, Json::Str(hash.clone())),
            Summary {
                signature_or_hash: Some(hash),
                kind: Some("pendingTxHash".to_owned()),
                ..Summary::default()
            },
        )
    });
    let pending_full = (sub, eth_transaction())
        .prop_map(|(sub, (transaction, summary))| SummaryCase::new(eth_frame(&sub, transaction), summary));
    let mined = (sub, eth_transaction(), any::<bool>()).prop_map(|(sub, (transaction, summary), removed)| {
        let result = Json::obj([("removed", Json::Bool(removed)), ("transaction", transaction)]);
        SummaryCase::new(
            eth_frame(&sub, result),
            Summary { removed, kind: Some("minedTransaction".to_owned()), ..summary },
        )
    });
    let syncing = (sub, any::<u64>()).prop_map(|(sub, current)| {
        let status = Json::obj([
            ("startingBlock", Json::str("0x0")),
            ("currentBlock", quantity(u128::from(current))),
            ("highestBlock", quantity(u128::from(current) + 1)),
        ]);
        let result = Json::obj([("syncing", Json::Bool(true)), ("status", status)]);
        SummaryCase::new(
            eth_frame(&sub, result),
            Summary { slot_or_block: Some(current), kind: Some("syncing".to_owned()), ..Summary::default() },
        )
    });
    let synced = sub.prop_map(|sub| {
        SummaryCase::new(
            eth_frame(&sub, Json::Bool(false)),
            Summary { kind: Some("synced".to_owned()), ..Summary::default() },
        )
    });
    let error = (any::<i64>(), string(), any::<u64>()).prop_map(|(code, message, id)| {
        let frame = Json::obj([
            ("jsonrpc", Json::str("2.0")),
            (
                "error",
                Json::obj([("code", Json::Num(code.to_string())), ("message", Json::Str(message.clone()))]),
            ),
            ("id", Json::uint(id)),
        ]);
        SummaryCase::new(frame, Summary { error: Some(format!("{code}: {message}")), ..Summary::default() })
    });
    prop_oneof![new_head, log, pending_hash, pending_full, mined, syncing, synced, error]
}

/// `json` with the members of the envelope, its `params` and its `result` rotated by amounts
/// drawn from `turn`, so member order varies while the meaning stays the same. Deeper values
/// are left as they are: their text is what some columns show.
fn reordered(json: Json, turn: u64, levels: u32) -> Json {
    match json {
        Json::Obj(mut members) if levels > 0 => {
            if !members.is_empty() {
                let by = usize::try_from(turn % members.len() as u64).unwrap_or(0);
                members.rotate_left(by);
            }
            Json::Obj(
                members
                    .into_iter()
                    .map(|(key, value)| (key, reordered(value, turn / 7, levels - 1)))
                    .collect(),
            )
        }
        other => other,
    }
}

#[test]
fn every_known_notification_kind_gives_its_columns() {
    let strategy = (prop_oneof![solana_case(), ethereum_case()], any::<u64>(), style());
    fuzz("summary_columns", share::SUMMARY_COLUMNS, strategy, |(case, turn, style)| {
        let text = reordered(case.frame.clone(), turn, 3).render(style);
        prop_assert_eq!(summarize(&text), case.expected(style), "frame {}", text);
        Ok(())
    });
}

/// What a `0x` quantity must read as: `0x` and one or more hex digits that fit in `u64`.
fn expected_quantity(text: &str) -> Option<u64> {
    let digits = text.strip_prefix("0x")?;
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// Block numbers as servers write them, and texts that only look like them.
fn quantity_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|value| format!("{value:#x}")),
        any::<u64>().prop_map(|value| format!("{value:#X}")),
        "0x0{0,20}[0-9a-fA-F]{0,18}",
        "(0x|0X|)[+-]?[0-9a-fA-F_ ]{0,6}",
        select(&["0x", "0x+10", "0x-1", "0x10000000000000000", "0x 1", "16", "", "0x٣"][..])
            .prop_map(str::to_owned),
        string(),
    ]
}

#[test]
fn eth_block_numbers_are_read_only_from_hex_quantities() {
    let strategy = ("0x[0-9a-f]{32}", quantity_text(), string());
    fuzz("eth_quantities", share::ETH_QUANTITIES, strategy, |(sub, number, hash)| {
        let result = Json::obj([
            ("hash", Json::Str(hash)),
            ("parentHash", Json::str("0xafa1")),
            ("number", Json::Str(number.clone())),
        ]);
        let summary = summarize(&eth_frame(&sub, result).text());
        prop_assert_eq!(summary.slot_or_block, expected_quantity(&number), "number {:?}", number);
        prop_assert_eq!(summary.kind.as_deref(), Some("newHead"));
        Ok(())
    });
}

/// Any text: any characters, or a summarisable frame with a few edits.
fn any_summary_text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(any::<char>(), 0..64).prop_map(String::from_iter),
        (prop_oneof![solana_case(), ethereum_case()], style())
            .prop_flat_map(|(case, style)| mutated(case.frame.render(style))),
        (near_rpc_frame(), style()).prop_map(|(frame, style)| frame.render(style)),
    ]
}

#[test]
fn any_text_summarizes_without_panicking_and_non_json_gives_no_columns() {
    fuzz("any_text_summary", share::ANY_TEXT_SUMMARY, any_summary_text(), |text| {
        let summary = summarize(&text);
        if serde_json::from_str::<IgnoredAny>(&text).is_err() {
            prop_assert_eq!(summary, Summary::default(), "text {:?}", text);
        } else if !text.trim_start().starts_with('{') {
            prop_assert_eq!(summary, Summary::default(), "a frame that is not an object: {:?}", text);
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// The capture import reader: export::import_reader
// ---------------------------------------------------------------------------------------------

/// Every direction.
const DIRECTIONS: [Direction; 3] = [Direction::In, Direction::Out, Direction::Meta];

/// A generated capture: events and the context that names their connections and
/// subscriptions.
#[derive(Clone, Debug)]
struct Capture {
    /// The events, in order.
    events: Vec<CapturedEvent>,
    /// The frame text each event must read back with: JSON that spanned lines comes back
    /// without the whitespace between its tokens (the format's documented compaction).
    read_back: Vec<String>,
    /// Connections `1..` and subscriptions `0..`; events may also name ones it lacks.
    context: CaptureContext,
}

impl Capture {
    /// Puts `event`, whose frame is one line and so reads back unchanged, at position `at`.
    fn insert(&mut self, at: usize, event: CapturedEvent) {
        self.read_back.insert(at, event.raw.to_string());
        self.events.insert(at, event);
    }
}

/// An endpoint as a user types it: a provider URL with a key in it, or any text.
fn endpoint() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9]{8,40}".prop_map(|key| format!("wss://mainnet.helius-rpc.com/?api-key={key}")),
        "[a-zA-Z0-9_-]{8,40}".prop_map(|key| format!("wss://eth-mainnet.g.alchemy.com/v2/{key}")),
        Just("ws://127.0.0.1:8900/".to_owned()),
        string(),
    ]
}

/// A frame's text as it is captured, and the text it must read back with: JSON for the JSON
/// kinds (any style, so some span lines and come back compact), any text for not-JSON and
/// binary (hex) frames. A JSON frame of just `null` is left to
/// `a_json_frame_of_null_reads_back`, which fails (see there).
fn raw_frame(kind: FrameKind) -> BoxedStrategy<(String, String)> {
    match kind {
        FrameKind::NotJson | FrameKind::Binary => prop_oneof![
            proptest::collection::vec(any::<char>(), 0..40).prop_map(String::from_iter),
            "[0-9a-f]{0,40}"
        ]
        .prop_map(|raw| (raw.clone(), raw))
        .boxed(),
        _ => (any_json(), style())
            .prop_map(|(frame, style)| {
                let frame = if frame.is_null() { Json::Obj(Vec::new()) } else { frame };
                let raw = frame.render(style);
                let read_back = if raw.contains(['\n', '\r']) {
                    frame.render(Style { space: "", ..style })
                } else {
                    raw.clone()
                };
                (raw, read_back)
            })
            .boxed(),
    }
}

/// One event naming connection `1..=connections + 1` and maybe subscription
/// `0..=subscriptions` (the last of each is not in the context).
fn captured_event(connections: u32, subscriptions: u64) -> impl Strategy<Value = (CapturedEvent, String)> {
    (
        any::<u64>(),
        prop_oneof![any::<u64>(), 1_700_000_000_000_u64..1_900_000_000_000],
        1..=connections + 1,
        proptest::option::of(0..=subscriptions),
        select(&DIRECTIONS[..]),
        select(&FrameKind::ALL[..]),
        proptest::option::of(string()),
    )
        .prop_flat_map(|(seq, time, connection, subscription, direction, kind, method)| {
            raw_frame(kind).prop_map(move |(raw, read_back)| {
                let event = CapturedEvent {
                    seq,
                    received_at_ms: time,
                    connection,
                    subscription,
                    direction,
                    kind,
                    method: method.as_deref().map(Into::into),
                    raw: raw.into(),
                    redacted: false,
                    recovered: None,
                };
                (event, read_back)
            })
        })
}

/// A capture of up to `max_events` events over one to three connections and up to three
/// subscriptions. Subscription params hold integers only: params with fractions are left to
/// `subscription_params_with_fractions_read_back_identical`, which fails (see there).
fn capture(max_events: usize) -> impl Strategy<Value = Capture> {
    capture_with(max_events, integer_json())
}

/// A capture like [`capture`]'s whose subscription params come from `params`.
fn capture_with(max_events: usize, params: BoxedStrategy<Json>) -> impl Strategy<Value = Capture> {
    let connection = (string(), endpoint());
    let subscription = (
        string(),
        proptest::option::of(params),
        proptest::option::of(prop_oneof![
            any::<u64>().prop_map(SubId::Num),
            string().prop_map(|text| SubId::Str(text.into()))
        ]),
    );
    (proptest::collection::vec(connection, 1..4), proptest::collection::vec(subscription, 0..4))
        .prop_flat_map(move |(connections, subscriptions)| {
            let mut context = CaptureContext::default();
            for (conn, (label, url)) in (1..).zip(&connections) {
                context.add_connection(conn, label, url);
            }
            for (key, (method, params, server_id)) in (0..).zip(subscriptions.iter().cloned()) {
                let params = params.map(|params| serde_json::from_str(&params.text()).unwrap());
                context.subscriptions.insert(key, SubscriptionInfo { method, params, server_id });
            }
            let count_connections = u32::try_from(connections.len()).unwrap();
            let count_subscriptions = subscriptions.len() as u64;
            proptest::collection::vec(captured_event(count_connections, count_subscriptions), 0..=max_events)
                .prop_map(move |events| {
                    let (events, read_back) = events.into_iter().unzip();
                    Capture { events, read_back, context: context.clone() }
                })
        })
}

/// The capture written in `format`.
fn write_capture(capture: &Capture, format: Format) -> Vec<u8> {
    let mut writer = EventWriter::new(Vec::new(), format).unwrap();
    for event in &capture.events {
        writer.write(event, &capture.context).unwrap();
    }
    writer.finish().unwrap()
}

/// Each event of the capture as one NDJSON line, without its line break.
fn event_lines(capture: &Capture) -> Vec<String> {
    let text = String::from_utf8(write_capture(capture, Format::Ndjson)).unwrap();
    text.lines().map(str::to_owned).collect()
}

/// Reads bytes as a capture file.
fn import(bytes: &[u8]) -> Imported {
    import_reader(bytes, &Progress::default())
}

/// The line an import error names (`line N: …` in its message), if any.
fn error_line(error: &ImportError) -> Option<u64> {
    let message = error.to_string();
    let at = message.find("line ")? + "line ".len();
    let digits: String = message[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Checks that `imported` holds exactly the first `count` events of `capture`, each as it
/// was written, with its connection's label and endpoint.
fn assert_prefix(imported: &Imported, capture: &Capture, count: usize) -> Result<(), TestCaseError> {
    prop_assert_eq!(imported.events.len(), count, "error {:?}", imported.error);
    for ((read, written), raw) in imported.events.iter().zip(&capture.events).zip(&capture.read_back) {
        prop_assert_eq!(read.seq, written.seq);
        prop_assert_eq!(read.received_at_ms, written.received_at_ms);
        prop_assert_eq!(read.direction, written.direction);
        prop_assert_eq!(read.kind, written.kind);
        prop_assert_eq!(&read.method, &written.method);
        prop_assert_eq!(read.subscription, written.subscription);
        prop_assert_eq!(read.raw.as_str(), raw.as_str(), "{:?}", written);
        let named = imported.context.connections.get(&read.connection);
        let original = capture.context.connections.get(&written.connection);
        prop_assert_eq!(
            named.map(|info| (info.label.as_str(), info.endpoint.as_str())),
            Some(original.map_or(("", ""), |info| (info.label.as_str(), info.endpoint.as_str()))),
            "connection {}",
            written.connection
        );
    }
    Ok(())
}

/// Checks that every subscription the capture's events name reads back with its method,
/// params and server id (`"params":null` reads back as no params: the same request).
fn assert_subscriptions(imported: &Imported, capture: &Capture) -> Result<(), TestCaseError> {
    let named: HashSet<SubKey> = capture.events.iter().filter_map(|event| event.subscription).collect();
    for key in named {
        let expected = capture.context.subscriptions.get(&key).map(|info| SubscriptionInfo {
            params: info.params.clone().filter(|params| !params.is_null()),
            ..info.clone()
        });
        prop_assert_eq!(imported.context.subscriptions.get(&key), expected.as_ref(), "subscription {}", key);
    }
    Ok(())
}

/// A line that is not a valid event, of every kind the reader must reject.
fn bad_line() -> impl Strategy<Value = Vec<u8>> {
    /// A valid event line with one slot filled by the value given.
    fn template(slot: &str, value: &str) -> String {
        let mut members = vec![
            ("v", "1"),
            ("seq", "7"),
            ("time_ms", "1795335540123"),
            ("direction", r#""in""#),
            ("kind", r#""notification""#),
            ("frame", "{}"),
        ];
        members.retain(|(name, _)| *name != slot);
        if !value.is_empty() {
            members.push((slot, value));
        }
        let body: Vec<String> = members.iter().map(|(name, value)| format!(r#""{name}":{value}"#)).collect();
        format!("{{{}}}", body.join(","))
    }
    let wrong_type = select(
        &[
            ("v", "2"),
            ("v", "99"),
            ("v", r#""1""#),
            ("v", "-1"),
            ("v", "4294967296"),
            ("seq", r#""7""#),
            ("seq", "-1"),
            ("seq", "1.5"),
            ("seq", "18446744073709551616"),
            ("seq", "1e400"),
            ("time_ms", "-5"),
            ("time_ms", "123456789012345678901234567890"),
            ("direction", "5"),
            ("direction", r#""sideways""#),
            ("direction", "null"),
            ("direction", ""),
            ("kind", r#""frame""#),
            ("kind", "null"),
            ("kind", ""),
            ("frame", ""),
            ("subscription", "5"),
            ("subscription", r#"{"method":"x"}"#),
            ("server_id", "-1"),
            ("server_id", "1.5"),
            ("server_id", "{}"),
            ("method", "5"),
            ("frame_text", "7"),
        ][..],
    )
    .prop_map(|(slot, value)| template(slot, value).into_bytes());
    let not_an_object = select(&["5", r#""x""#, "null", "true", "{}", "}", "{"][..])
        .prop_map(|text| text.as_bytes().to_vec());
    let invalid_utf8 =
        (any::<Index>(), select(vec![vec![0xff_u8], vec![0xc3], vec![0xed, 0xa0, 0x80], vec![0xf8, 0x88]]))
            .prop_map(|(at, bytes)| {
                let mut line = template("", "").into_bytes();
                let at = 1 + at.index(line.len() - 1);
                line.splice(at..at, bytes.iter().copied());
                line
            });
    let truncated = any::<Index>().prop_map(|at| {
        let line = template("", "");
        let cut = 1 + at.index(line.len() - 1);
        line.as_bytes()[..cut].to_vec()
    });
    let noise =
        ("[{}\"x#a-z]", "[^\n\r]{0,30}").prop_map(|(first, rest)| format!("{first}{rest}").into_bytes());
    prop_oneof![4 => wrong_type, 1 => not_an_object, 1 => invalid_utf8, 2 => truncated, 1 => noise]
}

/// A blank line as editors and scripts leave them.
fn blank_line() -> impl Strategy<Value = &'static str> {
    select(&["\n", " \n", "\t\r\n", "\r\n", "  \t \n"][..])
}

#[test]
fn arbitrary_bytes_import_without_panicking() {
    let prefix = select(
        &["", "[", "[\n", " \n", "{\"v\":1,\"direction\":\"in\",\"kind\":\"meta\",\"frame\":{}}\n"][..],
    );
    let strategy = (prefix, proptest::collection::vec(any::<u8>(), 0..200));
    fuzz("any_bytes_import", share::ANY_BYTES_IMPORT, strategy, |(prefix, bytes)| {
        let mut input = prefix.as_bytes().to_vec();
        input.extend(&bytes);
        let imported = import(&input);
        let objects = input.iter().filter(|byte| **byte == b'{').count();
        prop_assert!(imported.events.len() <= objects, "{} events from {:?}", imported.events.len(), input);
        Ok(())
    });
}

#[test]
fn ndjson_keeps_the_events_before_a_bad_line_and_names_that_line() {
    let strategy = (
        capture(8),
        proptest::collection::vec(proptest::option::of(blank_line()), 9),
        bad_line(),
        any::<bool>(),
    );
    fuzz("ndjson_bad_line", share::NDJSON_BAD_LINE, strategy, |(capture, blanks, bad, crlf)| {
        let lines = event_lines(&capture);
        let keep = lines.len() / 2;
        let mut file = Vec::new();
        let mut line_number = 0_u64;
        for (line, blank) in lines[..keep].iter().zip(&blanks) {
            if let Some(blank) = blank {
                file.extend(blank.as_bytes());
                line_number += 1;
            }
            file.extend(line.as_bytes());
            file.extend(if crlf { &b"\r\n"[..] } else { b"\n" });
            line_number += 1;
        }
        file.extend(&bad);
        file.push(b'\n');
        let bad_at = line_number + 1;
        // The valid lines after the bad one must not be read.
        for line in &lines[keep..] {
            file.extend(line.as_bytes());
            file.push(b'\n');
        }
        let imported = import(&file);
        assert_prefix(&imported, &capture, keep)?;
        let error = imported.error.as_ref();
        prop_assert!(error.is_some(), "no error for bad line {:?}", String::from_utf8_lossy(&bad));
        prop_assert_eq!(error.and_then(error_line), Some(bad_at), "{:?}", error);
        Ok(())
    });
}

/// An event to stand where a bad element will be put.
fn filler_event() -> CapturedEvent {
    CapturedEvent {
        seq: 0,
        received_at_ms: 0,
        connection: 1,
        subscription: None,
        direction: Direction::Meta,
        kind: FrameKind::Meta,
        method: None,
        raw: r#"{"subscope":"connected"}"#.into(),
        redacted: false,
        recovered: None,
    }
}

/// The capture written as a compact JSON array with element `bad` (0-based) replaced by
/// `replacement`, and the line that element starts on.
fn array_with_bad_element(capture: &Capture, bad: usize, replacement: &[u8]) -> (Vec<u8>, u64) {
    let lines = event_lines(capture);
    let mut file = b"[".to_vec();
    for (index, line) in lines.iter().enumerate() {
        file.extend(if index == 0 { &b"\n"[..] } else { b",\n" });
        file.extend(if index == bad { replacement } else { line.as_bytes() });
    }
    file.extend(b"\n]\n");
    (file, bad as u64 + 2)
}

#[test]
fn a_json_array_keeps_the_elements_before_a_bad_one() {
    let strategy = (capture(8), any::<Index>(), bad_line());
    fuzz("array_bad_element", share::ARRAY_BAD_ELEMENT, strategy, |(mut capture, at, bad)| {
        capture.insert(capture.events.len(), filler_event());
        let bad_index = at.index(capture.events.len());
        let (file, _) = array_with_bad_element(&capture, bad_index, &bad);
        let imported = import(&file);
        assert_prefix(&imported, &capture, bad_index)?;
        prop_assert!(
            imported.error.is_some(),
            "no error for bad element {:?}",
            String::from_utf8_lossy(&bad)
        );
        Ok(())
    });
}

#[test]
fn a_json_array_error_names_the_line_of_the_bad_element_whatever_is_wrong_with_it() {
    let bad = select(
        &[
            r#"{"v":99,"direction":"in","kind":"notification","frame":{}}"#,
            r#"{"v":1,"direction":"in","kind":"notification"}"#,
            r#"{"v":1,"direction":"sideways","kind":"notification","frame":{}}"#,
            r#"{"v":1,"direction":"in","kind":"notification","frame":{},"seq":-1}"#,
        ][..],
    );
    let strategy = (capture(6), bad);
    fuzz("array_bad_element_line", share::ARRAY_BAD_ELEMENT_LINE, strategy, |(capture, bad)| {
        let bad_index = capture.events.len();
        let mut with_bad = capture.clone();
        with_bad.insert(bad_index, filler_event());
        let (file, line) = array_with_bad_element(&with_bad, bad_index, bad.as_bytes());
        let imported = import(&file);
        prop_assert_eq!(imported.events.len(), bad_index);
        prop_assert_eq!(imported.error.as_ref().and_then(error_line), Some(line), "{:?}", imported.error);
        Ok(())
    });
}

#[test]
fn a_capture_cut_anywhere_imports_the_events_it_still_holds_whole() {
    let format = select(&[Format::Ndjson, Format::JsonCompact][..]);
    let strategy = (capture(6), format, any::<Index>());
    fuzz("cut_capture", share::CUT_CAPTURE, strategy, |(capture, format, at)| {
        let file = write_capture(&capture, format);
        let cut = at.index(file.len() + 1);
        let imported = import(&file[..cut]);
        // Where each event's text ends in the file: its closing brace.
        let lines = event_lines(&capture);
        let mut ends = Vec::new();
        let mut offset = if format == Format::Ndjson { 0 } else { 1 };
        for line in &lines {
            if format != Format::Ndjson {
                offset += if ends.is_empty() { 1 } else { 2 };
            }
            offset += line.len();
            ends.push(offset);
            if format == Format::Ndjson {
                offset += 1;
            }
        }
        let whole = ends.iter().filter(|end| **end <= cut).count();
        assert_prefix(&imported, &capture, whole)?;
        let complete = match format {
            Format::Ndjson => cut == 0 || ends.contains(&cut) || ends.iter().any(|end| end + 1 == cut),
            // The file ends with "]\n": complete once the bracket is in.
            _ => cut == 0 || cut + 1 >= file.len(),
        };
        prop_assert_eq!(
            imported.error.is_none(),
            complete,
            "cut at {} of {}: {:?}",
            cut,
            file.len(),
            imported.error
        );
        Ok(())
    });
}

#[test]
fn written_captures_read_back_identical() {
    let format = select(&[Format::Ndjson, Format::JsonCompact, Format::JsonPretty][..]);
    fuzz("round_trip", share::ROUND_TRIP, (capture(10), format), |(capture, format)| {
        let imported = import(&write_capture(&capture, format));
        prop_assert_eq!(imported.error.as_ref(), None);
        assert_prefix(&imported, &capture, capture.events.len())?;
        assert_subscriptions(&imported, &capture)
    });
}

#[test]
fn subscription_params_with_fractions_read_back_identical() {
    let format = select(&[Format::Ndjson, Format::JsonCompact][..]);
    // Fractions of every magnitude: those far from 1 are the ones parsed off by an ulp.
    let fractions = proptest::collection::vec(
        (proptest::num::f64::POSITIVE | proptest::num::f64::NEGATIVE | proptest::num::f64::NORMAL).prop_map(
            |value| {
                Json::Num(
                    serde_json::Number::from_f64(value).map_or_else(|| "0.5".to_owned(), |n| n.to_string()),
                )
            },
        ),
        1..8,
    )
    .prop_map(Json::Arr)
    .boxed();
    let strategy = (capture_with(4, fractions), format);
    fuzz("round_trip_float_params", share::FLOAT_PARAMS, strategy, |(capture, format)| {
        let imported = import(&write_capture(&capture, format));
        assert_subscriptions(&imported, &capture)
    });
}

#[test]
fn a_json_frame_with_surrounding_whitespace_reads_back_as_received() {
    let padding = select(&[" ", "\t", "  \t"][..]);
    let format = select(&[Format::Ndjson, Format::JsonCompact][..]);
    // Not `null`, which fails on its own (see `a_json_frame_of_null_reads_back`).
    let frame = plain_json().prop_map(|frame| if frame.is_null() { Json::Arr(Vec::new()) } else { frame });
    let strategy = (frame, padding, any::<bool>(), format);
    fuzz("round_trip_padded_frame", share::PADDED_FRAME, strategy, |(frame, padding, before, format)| {
        let raw =
            if before { format!("{padding}{}", frame.text()) } else { format!("{}{padding}", frame.text()) };
        let mut context = CaptureContext::default();
        context.add_connection(1, "node", "ws://127.0.0.1:8900/");
        let capture = Capture {
            events: vec![CapturedEvent {
                seq: 1,
                received_at_ms: 1_795_335_540_123,
                connection: 1,
                subscription: None,
                direction: Direction::In,
                kind: FrameKind::Notification,
                method: None,
                raw: raw.clone().into(),
                redacted: false,
                recovered: None,
            }],
            read_back: vec![raw.clone()],
            context,
        };
        let imported = import(&write_capture(&capture, format));
        prop_assert_eq!(imported.events.front().map(|event| event.raw.as_str()), Some(raw.as_str()));
        Ok(())
    });
}

#[test]
fn a_json_frame_of_null_reads_back() {
    let format = select(&[Format::Ndjson, Format::JsonCompact, Format::JsonPretty][..]);
    let strategy = (capture(6), any::<Index>(), format);
    fuzz("round_trip_null_frame", share::NULL_FRAME, strategy, |(mut capture, at, format)| {
        // A server that sends the text frame `null` gets it captured as JSON of unknown shape.
        let null = CapturedEvent {
            seq: 99,
            received_at_ms: 1_795_335_540_123,
            connection: 1,
            subscription: None,
            direction: Direction::In,
            kind: FrameKind::Unknown,
            method: None,
            raw: "null".into(),
            redacted: false,
            recovered: None,
        };
        let at = at.index(capture.events.len() + 1);
        capture.insert(at, null);
        let imported = import(&write_capture(&capture, format));
        prop_assert_eq!(imported.error.as_ref(), None);
        assert_prefix(&imported, &capture, capture.events.len())
    });
}

// ---------------------------------------------------------------------------------------------
// Secrets: redact::Secrets::scrub and redact::scrub_urls
// ---------------------------------------------------------------------------------------------

/// A key of the length real keys have, with any of the characters URLs carry.
fn secret() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9._~!$&'()*+,;=:@/?%-]{7,40}[A-Za-z0-9]"
}

/// Percent-encodes everything but unreserved URL characters, as libraries print keys.
fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

#[test]
fn a_secret_placed_anywhere_in_any_text_never_survives_scrubbing() {
    let text = proptest::collection::vec(any::<char>(), 0..60).prop_map(String::from_iter);
    let strategy = (text, secret(), any::<Index>(), any::<bool>());
    fuzz("scrub_secrets", share::SCRUB_SECRETS, strategy, |(text, secret, at, encoded)| {
        let mut secrets = Secrets::default();
        secrets.add(&secret);
        let placed = if encoded { percent_encoded(&secret) } else { secret.clone() };
        let chars: Vec<char> = text.chars().collect();
        let at = at.index(chars.len() + 1);
        let message: String =
            chars[..at].iter().chain(placed.chars().collect::<Vec<_>>().iter()).chain(&chars[at..]).collect();
        let scrubbed = secrets.scrub(&message);
        prop_assert!(!scrubbed.contains(&placed), "{:?} survived in {:?}", placed, scrubbed);
        Ok(())
    });
}

/// A query value too short or too plain to be a key by [`could_be_secret`]'s rule: a number, a
/// word, a short token, `0x` hex, a phrase.
fn plain_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,30}",
        "[a-z]{1,20}",
        "[A-Z][a-z]{1,20}",
        "[A-Za-z0-9._~-]{1,11}",
        "0x[0-9a-fA-F]{1,64}",
        "[a-z]{2,8}(-[a-z]{2,8}){1,3}",
        "-?[0-9]{1,6}\\.[0-9]{1,6}(e[0-9]{1,2})?",
    ]
    .prop_filter("a plain value", |value| !could_be_secret(value))
}

/// A frame holding `value` as a member's name, in a string with text around it, alone in a
/// string, and (when it is one) as a number, beside any JSON.
fn frame_holding(value: &str, tree: Json, around: (String, String)) -> Json {
    let mut members = vec![
        (value.to_owned(), tree),
        ("message".to_owned(), Json::Str(format!("{}{value}{}", around.0, around.1))),
        ("data".to_owned(), Json::Arr(vec![Json::str(value), Json::str("2.0")])),
    ];
    if serde_json::from_str::<serde_json::Number>(value).is_ok() {
        members.push(("id".to_owned(), Json::Num(value.to_owned())));
    }
    Json::Obj(members)
}

#[test]
fn a_value_too_plain_to_be_a_key_never_changes_a_frame() {
    let strategy = (plain_value(), any_json(), (string(), string()), style(), any::<bool>());
    fuzz("scrub_frame_plain", share::SCRUB_FRAME_PLAIN, strategy, |(value, tree, around, style, as_key)| {
        // Wherever the value came from: a query value of the URL, or the key field.
        let mut secrets = Secrets::from_url(&format!("ws://127.0.0.1:18800/?foo={value}"));
        if as_key {
            secrets.add_key(&Secret::new(value.clone()));
        }
        let frame = frame_holding(&value, tree, around).render(style);
        prop_assert_eq!(secrets.scrub_frame(&frame), None, "{:?} changed {:?}", value, frame);
        Ok(())
    });
}

/// A key as providers issue them (see [`could_be_secret`]), or any run of URL characters
/// that the rule takes for one.
fn frame_secret() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9]{12,44}",
        "[0-9a-f]{32,40}",
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[A-Za-z0-9._~+=-]{12,40}",
    ]
    .prop_filter("a key by the rule", |value| could_be_secret(value))
}

/// `tree` with `secret` replaced by `***` in every string, object keys included.
fn masked(tree: &Json, secret: &str) -> Json {
    match tree {
        Json::Str(text) => Json::Str(text.replace(secret, "***")),
        Json::Arr(items) => Json::Arr(items.iter().map(|item| masked(item, secret)).collect()),
        Json::Obj(members) => Json::Obj(
            members.iter().map(|(key, value)| (key.replace(secret, "***"), masked(value, secret))).collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn a_key_is_masked_inside_a_frames_strings_and_nothing_else_changes() {
    let strategy = (frame_secret(), any_json(), (string(), string()), style());
    fuzz("scrub_frame_secret", share::SCRUB_FRAME_SECRET, strategy, |(secret, tree, around, style)| {
        // As servers write JSON: minimal escaping (any whitespace), so the key stands as sent.
        let style = Style { escape_all: false, ..style };
        let mut secrets = Secrets::from_url(&format!("wss://rpc.example.com/v2/{secret}"));
        secrets.add_key(&Secret::new(secret.clone()));
        let frame = frame_holding(&secret, tree, around);
        let text = frame.render(style);
        let scrubbed = secrets.scrub_frame(&text);
        let scrubbed = scrubbed.as_deref().unwrap_or(&text);
        // Exactly the frame written with the key masked in its strings: valid JSON, the same
        // shape, every other byte as sent.
        prop_assert_eq!(scrubbed, masked(&frame, &secret).render(style));
        prop_assert!(serde_json::from_str::<IgnoredAny>(scrubbed).is_ok(), "{:?}", scrubbed);
        Ok(())
    });
}

/// Provider URL shapes with the key's place marked `KEY`.
const KEYED_URLS: [&str; 8] = [
    "wss://mainnet.helius-rpc.com/?api-key=KEY",
    "wss://eth-mainnet.g.alchemy.com/v2/KEY",
    "wss://mainnet.infura.io/ws/v3/KEY",
    "wss://example-name.solana-mainnet.quiknode.pro/KEY/",
    "wss://lb.drpc.org/ogws?network=ethereum&dkey=KEY",
    "wss://user:KEY@example.com/ws",
    "ws://127.0.0.1:18910/#KEY",
    "https://rpc.example.com/KEY",
];

#[test]
fn a_keyed_url_anywhere_in_any_text_loses_its_key() {
    let text = || proptest::collection::vec(any::<char>(), 0..30).prop_map(String::from_iter);
    let before = select(&[" ", "\n", "\"", "'", "(", "<", "[", "`", "|", "=", ": "][..]);
    // What ends a URL in a message: a delimiter, or punctuation and then a space.
    let after = select(
        &[" ", "\n", "\"", "'", ")", ">", "]", "`", "|", ". ", ", ", "; ", "! ", "? ", ": ", ".\n"][..],
    );
    let strategy =
        (text(), before, select(&KEYED_URLS[..]), "[A-Za-z0-9]{4,12}[0-9][A-Za-z0-9]{11,30}", after, text());
    fuzz("scrub_urls", share::SCRUB_URLS, strategy, |(head, before, url, key, after, tail)| {
        let message = format!("{head}{before}{}{after}{tail}", url.replace("KEY", &key));
        let scrubbed = scrub_urls(&message);
        prop_assert!(!scrubbed.contains(&key), "{:?} survived in {:?}", key, scrubbed);
        // Only the URL changes: the text around it is kept, unless that text holds a URL of its
        // own (the 10,000,000-case run drew "://?¡", whose "query" is redacted too).
        if !head.contains("://") && !tail.contains("://") {
            prop_assert!(
                scrubbed.starts_with(&head) && scrubbed.ends_with(&tail),
                "{:?} became {:?}",
                message,
                scrubbed
            );
        }
        Ok(())
    });
}
