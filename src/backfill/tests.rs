use serde_json::json;

use super::*;

#[test]
fn each_kind_gets_its_plan_or_the_reason_it_has_none() {
    assert_eq!(plan_for("eth_subscribe", Some(&json!(["newHeads"]))), Ok(Plan::Heads));
    let filter = json!({"address": "0xabc", "topics": [null, "0x01"]});
    assert_eq!(plan_for("eth_subscribe", Some(&json!(["logs", filter]))), Ok(Plan::Logs { filter }));
    assert_eq!(plan_for("eth_subscribe", Some(&json!(["logs"]))), Ok(Plan::Logs { filter: json!({}) }));
    assert_eq!(plan_for("slotSubscribe", None), Ok(Plan::Slots));
    assert_eq!(plan_for("rootSubscribe", None), Ok(Plan::Roots));
    assert_eq!(
        plan_for(
            "logsSubscribe",
            Some(
                &json!([{"mentions": ["Vote111111111111111111111111111111111111111"]}, {"commitment": "processed"}])
            )
        ),
        Ok(Plan::Mentions {
            address: "Vote111111111111111111111111111111111111111".into(),
            commitment: "confirmed".into()
        })
    );
    assert_eq!(
        plan_for("signatureSubscribe", Some(&json!(["5sig", {"commitment": "confirmed"}]))),
        Ok(Plan::Signature { signature: "5sig".into(), commitment: "confirmed".into() })
    );
    assert_eq!(
        plan_for("signatureSubscribe", Some(&json!(["5sig"]))),
        Ok(Plan::Signature { signature: "5sig".into(), commitment: "finalized".into() })
    );
    let config = json!({"encoding": "base64", "commitment": "confirmed"});
    assert_eq!(
        plan_for("accountSubscribe", Some(&json!(["Acc1", config]))),
        Ok(Plan::Account { pubkey: "Acc1".into(), config })
    );
    for (method, params) in [
        ("logsSubscribe", json!(["all"])),
        ("logsSubscribe", json!(["allWithVotes"])),
        ("eth_subscribe", json!(["newPendingTransactions"])),
        ("blockSubscribe", json!(["all"])),
        ("voteSubscribe", json!([])),
        ("madeUpSubscribe", json!([])),
    ] {
        let reason = plan_for(method, Some(&params)).expect_err(method);
        assert!(!reason.0.is_empty(), "{method} {params}");
    }
}

#[test]
fn a_tracker_keeps_the_last_notifications_only() {
    let mut tracker = Tracker::new("slotSubscribe", Plan::Slots);
    for slot in 0..(RECENT as u64 + 10) {
        let frame = format!(
            r#"{{"jsonrpc":"2.0","method":"slotNotification","params":{{"result":{{"parent":0,"root":0,"slot":{slot}}},"subscription":3}}}}"#
        );
        tracker.seen(&Text::from(frame));
    }
    let job = tracker.job(&SubId::Num(4), 0);
    assert_eq!(job.seen.len(), RECENT);
    assert_eq!(job.seen.first().and_then(|r| r["slot"].as_u64()), Some(10));
    assert_eq!(job.notification, "slotNotification");
    assert_eq!(job.server_id, "4");
}

#[test]
fn a_recovered_frame_is_the_chains_own_envelope_around_the_servers_bytes() {
    let result = r#"{"number":"0x10", "hash":"0xAB"}"#;
    let heads = Tracker::new("eth_subscribe", Plan::Heads).job(&SubId::Str("0x9f".into()), 0);
    let frame = heads.frame(result);
    assert_eq!(
        frame,
        r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x9f","result":{"number":"0x10", "hash":"0xAB"}}}"#
    );
    assert_eq!(item_key(&Plan::Heads, &frame), Some("0xab".into()));
    let slots = Tracker::new("slotSubscribe", Plan::Slots).job(&SubId::Num(7), 0);
    let frame = slots.frame(r#"{"parent":4,"slot":5}"#);
    assert_eq!(
        frame,
        r#"{"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"parent":4,"slot":5},"subscription":7}}"#
    );
    assert_eq!(item_key(&Plan::Slots, &frame), Some("5".into()));
    // What the table and the decoders read of a live frame, they read of a recovered one.
    assert_eq!(crate::protocol::parse_incoming(&frame).kind(), crate::protocol::FrameKind::Notification);
}

#[test]
fn logs_are_told_apart_by_block_hash_and_index_in_any_case() {
    let plan = Plan::Logs { filter: json!({}) };
    let frame = |hash: &str, index: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","method":"eth_subscription","params":{{"subscription":"0x1","result":{{"blockHash":"{hash}","logIndex":"{index}","blockNumber":"0x5"}}}}}}"#
        )
    };
    assert_eq!(item_key(&plan, &frame("0xAA", "0x1")), item_key(&plan, &frame("0xaa", "0x1")));
    assert_ne!(item_key(&plan, &frame("0xaa", "0x1")), item_key(&plan, &frame("0xaa", "0x2")));
    assert_eq!(item_key(&plan, "not json"), None);
}

#[test]
fn a_signatures_final_status_has_one_key_and_its_interim_notice_none() {
    let plan = Plan::Signature { signature: "5sig".into(), commitment: "confirmed".into() };
    let frame = |result: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","method":"signatureNotification","params":{{"result":{result},"subscription":7}}}}"#
        )
    };
    let live = item_key(&plan, &frame(r#"{"context":{"slot":19},"value":{"err":null}}"#));
    let failed = item_key(
        &plan,
        &frame(r#"{"context":{"slot":8},"value":{"err":{"InstructionError":[0,"Custom"]}}}"#),
    );
    assert_eq!(live, Some(FINAL.to_owned()));
    assert_eq!(failed, live, "a failed transaction's status is final too");
    assert_eq!(item_key(&plan, &frame(r#"{"context":{"slot":8},"value":"receivedSignature"}"#)), None);
}

#[test]
fn a_tracker_keeps_few_bytes_and_big_notifications_as_what_a_job_reads() {
    let mut tracker = Tracker::new("eth_subscribe", Plan::Heads);
    let padding = "x".repeat(1 << 20);
    for number in 0..300_u64 {
        let frame = format!(
            r#"{{"jsonrpc":"2.0","method":"eth_subscription","params":{{"subscription":"0x1","result":{{"number":"{number:#x}","hash":"0x{number:064x}","parentHash":"0x0","extraData":"{padding}"}}}}}}"#
        );
        tracker.seen(&Text::from(frame));
    }
    assert!(tracker.bytes <= RECENT_BYTES, "{} bytes kept", tracker.bytes);
    assert_eq!(tracker.last_height(), Some(299), "the newest is kept, as its number and hash");
    let job = tracker.job(&SubId::Num(1), 0);
    assert_eq!(
        job.seen.last().and_then(|head| head["hash"].as_str()),
        Some(format!("0x{:064x}", 299).as_str())
    );
    // A state too big to keep is not kept at all.
    let mut account =
        Tracker::new("accountSubscribe", Plan::Account { pubkey: "A".into(), config: Value::Null });
    account.seen(&Text::from(format!(r#"{{"params":{{"result":{{"value":{{"data":"{padding}"}}}}}}}}"#)));
    assert_eq!((account.recent.len(), account.bytes), (0, 0));
}
