//! The fast path against serde: whenever [`scan::plain_notification`] answers, it answers
//! what the serde reader does, for generated near-notifications and for text cut and edited
//! at random; and it does answer for the frames real nodes send.

use proptest::prelude::*;

use super::*;

/// What the serde reader makes of a frame, when it is a notification.
fn serde_notification(text: &str) -> Option<(String, Option<SubId>)> {
    match parse_with_serde(text) {
        Incoming::Notification { method, subscription } => Some((method.into_owned(), subscription)),
        _ => None,
    }
}

fn fast(text: &str) -> Option<(String, Option<SubId>)> {
    scan::plain_notification(text).map(|(method, subscription)| (method.into_owned(), subscription))
}

#[test]
fn frames_real_nodes_send_take_the_fast_path() {
    for (frame, method, id) in [
        (
            r#"{"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":25,"parent":24,"root":0},"subscription":7}}"#,
            "slotNotification",
            SubId::Num(7),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":5},"value":{"signature":"5h6x","err":null,"logs":["Program 11111111111111111111111111111111 invoke [1]","Program log: \"quoted\" \\ \u00e9"]}},"subscription":0}}"#,
            "logsNotification",
            SubId::Num(0),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x9ce59a13059e417087c02d3236a0b1cc","result":{"number":"0x1b4","hash":"0xdc0818cf78f21a8e70579cb46a43643f78291264dda342ae31049421c82d21ae","logsBloom":"0x00","difficulty":"0x0","gasLimit":"0x1c9c380","extraData":"0x","baseFeePerGas":null}}}"#,
            "eth_subscription",
            SubId::Str("0x9ce59a13059e417087c02d3236a0b1cc".into()),
        ),
        (
            "\n  {\"method\" : \"rootNotification\" ,\r\n \"params\":{\"result\":-1.5e-3,\"subscription\":18446744073709551615}, \"jsonrpc\":\"2.0\"}\t",
            "rootNotification",
            SubId::Num(u64::MAX),
        ),
    ] {
        assert_eq!(fast(frame), Some((method.to_owned(), Some(id))), "{frame}");
        assert_eq!(fast(frame), serde_notification(frame), "{frame}");
    }
}

#[test]
fn anything_unusual_is_left_to_serde() {
    for frame in [
        r#"{"jsonrpc":"2.0","result":1,"id":2}"#,
        r#"{"method":"m","method":"n","params":{}}"#,
        r#"{"meth\u006fd":"m","params":{}}"#,
        r#"{"method":"m","params":{"subscription":1,"subscription":2}}"#,
        r#"{"method":"m","params":{"subscription":01}}"#,
        r#"{"method":"m","params":{"subscription":18446744073709551616}}"#,
        r#"{"method":"m","params":{"subscription":-1}}"#,
        r#"{"method":"m","params":[1]}"#,
        r#"[{"method":"m","params":{"subscription":1}}]"#,
        r#"{"method":"m","params":{"subscription":1}} x"#,
    ] {
        assert_eq!(fast(frame), None, "{frame}");
    }
}

#[test]
fn nesting_mixed_and_at_the_limit_is_read_as_serde_reads_it() {
    // Objects and arrays taking turns (each level's kind is remembered as one bit), around and
    // past the fast path's limit and serde's own (128), closed right or with a wrong bracket.
    for depth in [1, 2, 63, 64, 65, 96, 97, 98, 99, 100, 127, 128, 129, 200] {
        let (mut open, mut close) = (String::new(), String::new());
        for level in 0..depth {
            if level % 2 == 0 {
                open.push_str(r#"{"k": "#);
                close.insert(0, '}');
            } else {
                open.push_str("[1, ");
                close.insert(0, ']');
            }
        }
        let frame_with = |close: &str| {
            format!(r#"{{"method":"m","params":{{"result":{open}0{close},"subscription":3}}}}"#)
        };
        let frame = frame_with(&close);
        let expected = serde_notification(&frame);
        if depth <= 97 {
            assert_eq!(fast(&frame), Some(("m".to_owned(), Some(SubId::Num(3)))), "depth {depth}");
        }
        if let Some(answer) = fast(&frame) {
            assert_eq!(Some(answer), expected, "depth {depth}");
        }
        // The innermost container closed with the other kind's bracket.
        let wrong = if close.starts_with('}') { "]" } else { "}" };
        assert_eq!(fast(&frame_with(&format!("{wrong}{}", &close[1..]))), None, "depth {depth}");
    }
}

/// Any JSON value, as text, with the odd forms serde accepts or refuses.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("nul".to_owned()),
        "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,3})?",
        "0[0-9]{1,2}|-|1\\.|\\.5|1e|--1",
        "\"([a-z \\x01\\x1f\u{e9}]|\\\\[\"\\\\/bfnrtx]|\\\\u[0-9a-fA-F]{4}|\\\\u[0-9a-g]{3})*\"",
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec(("[a-z\\\\\"]{0,4}", inner), 0..4).prop_map(|members| {
                let members: Vec<String> =
                    members.iter().map(|(key, value)| format!("\"{key}\":{value}")).collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

/// A subscription id in every form a server (or a broken one) might send.
fn subscription() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,20}",
        Just("18446744073709551616".to_owned()),
        "\"0x[0-9a-f]{1,32}\"",
        "\"[a-z\\\\]{0,6}\"",
        json_value(),
    ]
}

/// A near-notification: members in any order, some repeated or missing, any whitespace.
fn envelope() -> impl Strategy<Value = String> {
    let member = prop_oneof![
        Just("\"jsonrpc\":\"2.0\"".to_owned()),
        "\"method\":\"[a-zA-Z_]{1,20}\"".prop_map(|text| text),
        json_value().prop_map(|value| format!("\"method\":{value}")),
        (json_value(), subscription(), any::<bool>()).prop_map(|(result, id, id_first)| {
            if id_first {
                format!("\"params\":{{\"subscription\":{id},\"result\":{result}}}")
            } else {
                format!("\"params\":{{\"result\":{result},\"subscription\":{id}}}")
            }
        }),
        json_value().prop_map(|value| format!("\"params\":{value}")),
        json_value().prop_map(|value| format!("\"id\":{value}")),
        json_value().prop_map(|value| format!("\"extra\":{value}")),
    ];
    let soup = (prop::collection::vec(member, 0..5), "[ \\t\\r\\n]{0,2}")
        .prop_map(|(members, ws)| format!("{ws}{{{ws}{}{ws}}}{ws}", members.join(&format!("{ws},{ws}"))));
    // Mostly the shape nodes send, with any result and any subscription id.
    let shaped = ("[a-zA-Z_]{1,20}", json_value(), subscription(), any::<bool>(), "[ ]{0,1}").prop_map(
        |(method, result, id, id_first, ws)| {
            let params = if id_first {
                format!("{{\"subscription\":{ws}{id},\"result\":{result}}}")
            } else {
                format!("{{\"result\":{result},{ws}\"subscription\":{id}}}")
            };
            format!("{{\"jsonrpc\":\"2.0\",\"method\":\"{method}\",{ws}\"params\":{params}}}")
        },
    );
    prop_oneof![3 => shaped, 1 => soup]
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 30_000,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5ca1_ab1e),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_fast_path_agrees_with_serde_on_near_notifications(text in envelope()) {
        if let Some(found) = fast(&text) {
            prop_assert_eq!(Some(found), serde_notification(&text), "{}", text);
        }
    }

    #[test]
    fn the_fast_path_agrees_with_serde_on_edited_frames(
        text in envelope(),
        at in any::<prop::sample::Index>(),
        edit in prop_oneof![Just(None), "[\\x00-\\x7f]".prop_map(Some)],
    ) {
        let mut bytes = text.into_bytes();
        let at = at.index(bytes.len() + 1);
        match edit {
            None if at < bytes.len() => {
                bytes.remove(at);
            }
            None => {}
            Some(insert) => bytes.splice(at..at, insert.into_bytes()).for_each(drop),
        }
        if let Ok(text) = String::from_utf8(bytes)
            && let Some(found) = fast(&text)
        {
            prop_assert_eq!(Some(found), serde_notification(&text), "{}", text);
        }
    }
}

#[test]
fn the_generated_frames_take_the_fast_path_often_enough_to_test_it() {
    use proptest::strategy::ValueTree as _;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = envelope();
    let mut hits = 0;
    for _ in 0..2_000 {
        let text = strategy.new_tree(&mut runner).map(|tree| tree.current()).unwrap_or_default();
        hits += usize::from(fast(&text).is_some());
    }
    assert!(hits >= 200, "only {hits} of 2,000 generated frames took the fast path");
}
