//! The session over a scripted backend: every verb (what it sends, what it changes, why it
//! fails) and every event the backend reports (what it changes in the model).

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::backend::{
    BackendError, CommandError, ConnError, EndReason, LostReason, Script, SubscribeOutcome,
};
use crate::capture::{Direction, now_ms};
use crate::catalog::{Chain, FieldError};
use crate::protocol::{FrameKind, RpcError, SubId};

const URL: &str = "ws://127.0.0.1:8900";
const STEP: Duration = Duration::from_secs(5);

fn session_with(saved: &[SavedEndpoint]) -> (Session, Script) {
    let (backend, script) = Backend::scripted(CaptureLimits::default(), Arc::new(|| {}));
    (Session::new(backend, CaptureLimits::default(), saved), script)
}

/// A session with one endpoint on [`URL`], not connected.
fn session() -> (Session, Script) {
    let (mut session, script) = session_with(&[]);
    session.add_endpoint(Endpoint { id: 7, label: "local".into(), url: URL.into(), ..Endpoint::default() });
    (session, script)
}

/// A session whose endpoint is connected, with the connect command already read.
pub(super) fn connected() -> (Session, Script, ConnId) {
    let (mut session, mut script) = session();
    let conn = session.connect(0).unwrap();
    script.commands();
    (session, script, conn)
}

fn slot_draft() -> Draft {
    Draft::new(catalog::find("slotSubscribe").unwrap())
}

fn refusal() -> RpcError {
    RpcError { code: -32602, message: "Invalid params".into(), data: None }
}

pub(super) fn report(session: &mut Session, script: &Script, event: Event) -> Vec<Notice> {
    script.event(event);
    session.step(STEP).0
}

fn state_of(session: &Session, sub: SubKey) -> &SubState {
    &session.subscriptions().iter().find(|row| row.sub == sub).unwrap().state
}

fn restored(session: &Session, sub: SubKey) -> bool {
    session.subscriptions().iter().find(|row| row.sub == sub).unwrap().restore
}

fn notification(conn: ConnId, sub: SubKey) -> CapturedEvent {
    CapturedEvent {
        seq: 0,
        received_at_ms: 0,
        connection: conn,
        subscription: Some(sub),
        direction: Direction::In,
        kind: FrameKind::Notification,
        method: Some(Arc::from("slotNotification")),
        raw:
            r#"{"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":5},"subscription":1}}"#
                .into(),
        redacted: false,
        recovered: None,
    }
}

#[test]
fn saved_endpoints_come_back_unconnected_and_are_saved_as_they_were() {
    let saved = SavedEndpoint {
        id: 3,
        label: "node".into(),
        preset: String::new(),
        url: URL.into(),
        rpc_url: "http://127.0.0.1:8899".into(),
        connect_on_start: true,
        subscriptions: vec![slot_draft()],
        chain: Some(Chain::Solana),
        headers: vec![("X-Team".into(), "blue".into())],
    };
    let (session, mut script) = session_with(std::slice::from_ref(&saved));
    assert!(script.commands().is_empty(), "nothing is sent before connect");
    assert!(!session.any_live());
    let endpoint = &session.endpoints()[0];
    assert!(endpoint.keep_connected && endpoint.conn.is_none());
    assert_eq!(endpoint.restore, vec![slot_draft()]);
    let again = session.saved_endpoints();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id, again[0].url.as_str(), again[0].chain), (3, URL, Some(Chain::Solana)));
    assert_eq!(again[0].subscriptions, vec![slot_draft()]);
    assert_eq!(again[0].headers, saved.headers);
    assert_eq!(again[0].rpc_url, "http://127.0.0.1:8899");
}

#[test]
fn connect_sends_the_endpoint_as_set_up_and_its_subscriptions_to_restore() {
    let (mut session, mut script) = session();
    let endpoint = session.endpoint_mut(7).unwrap();
    endpoint.url = "wss://node.example/{api_key}".into();
    endpoint.rpc_url = " https://rpc.node.example/{api_key} ".into();
    endpoint.api_key = " key-1234 ".into();
    endpoint.headers = vec![("X-Team".into(), "blue".into()), (" ".into(), String::new())];
    endpoint.ping_interval = Some(Duration::from_secs(3));
    endpoint.restore.push(slot_draft());
    endpoint.error = Some(SessionError::Blocked(ConnectBlocker::NeedsKey));
    endpoint.gap = Some(GapSpan { lost_at_ms: 1, restored_at_ms: 2 });
    let conn = session.connect(0).unwrap();

    let commands = script.commands();
    assert_eq!(commands.len(), 2, "{commands:?}");
    let Command::Connect { conn: sent, config } = &commands[0] else { panic!("{commands:?}") };
    assert_eq!(*sent, conn);
    assert_eq!((config.label.as_str(), config.url.as_str()), ("local", "wss://node.example/{api_key}"));
    assert_eq!(config.api_key.as_ref().map(Secret::expose), Some("key-1234"));
    assert_eq!(config.headers, vec![("X-Team".to_owned(), "blue".to_owned())]);
    assert_eq!(config.ping_interval, Duration::from_secs(3));
    assert_eq!(config.rpc_url.as_deref(), Some("https://rpc.node.example/{api_key}"));
    assert!(config.backfill, "recovery is on unless a subscription turns it off");
    let Command::Subscribe { conn: c, method, .. } = &commands[1] else { panic!("{commands:?}") };
    assert_eq!((*c, method.as_str()), (conn, "slotSubscribe"));

    let endpoint = &session.endpoints()[0];
    assert_eq!(
        (endpoint.conn, endpoint.state.clone()),
        (Some(conn), Some(ConnState::Connecting { attempt: 0 }))
    );
    assert!(endpoint.keep_connected && endpoint.restore.is_empty());
    assert!(endpoint.error.is_none() && endpoint.gap.is_none(), "a new connection starts clean");
    assert!(session.any_live());
    assert_eq!(session.live().context.connections[&conn].label, "local");
    assert_eq!(session.subscriptions().len(), 1);
    assert!(session.subscriptions()[0].restore, "restored from a form, so saved again");
}

#[test]
fn connect_refuses_an_endpoint_that_cannot_connect_and_says_why_on_it() {
    let (mut session, mut script) = session();
    assert_eq!(session.connect(5), Err(SessionError::NoSuchEndpoint));
    let cases = [
        (" ", None, ConnectBlocker::NoUrl, "Enter a URL (or pick a preset) first."),
        ("wss://a.example/{api_key}", None, ConnectBlocker::NeedsKey, "This URL needs an API key"),
        ("wss://a.example/v2/***", None, ConnectBlocker::KeyRemoved, "The key was removed from this URL"),
        (
            URL,
            Some("Host"),
            ConnectBlocker::Header(HeaderProblem::Reserved { name: "Host".into() }),
            "Host is set by the WebSocket handshake itself.",
        ),
    ];
    for (url, header, blocker, text) in cases {
        let endpoint = session.endpoint_mut(7).unwrap();
        endpoint.url = url.into();
        endpoint.headers = header.map(|name| (name.to_owned(), "x".to_owned())).into_iter().collect();
        let error = SessionError::Blocked(blocker);
        assert_eq!(session.connect(0).as_ref(), Err(&error), "{url}");
        assert_eq!(session.endpoints()[0].error.as_ref(), Some(&error));
        assert!(error.to_string().starts_with(text), "{error}");
        assert!(session.endpoints()[0].conn.is_none());
    }
    assert!(script.commands().is_empty(), "nothing was sent");
}

#[test]
fn an_rpc_url_that_is_not_http_blocks_the_connect_and_says_why() {
    let (mut session, mut script) = session();
    for (rpc_url, problem) in [
        ("ws://127.0.0.1:8899", Some(RpcUrlProblem::NotHttp)),
        ("127.0.0.1:8899", Some(RpcUrlProblem::NotHttp)),
        ("https://", Some(RpcUrlProblem::NotHttp)),
        ("https://rpc.example/v2/***", Some(RpcUrlProblem::KeyRemoved)),
        ("HTTPS://rpc.example/v2/{api_key}", None),
        (" ", None),
    ] {
        assert_eq!(rpc_url_problem(rpc_url), problem, "{rpc_url}");
        let Some(problem) = problem else { continue };
        session.endpoint_mut(7).unwrap().rpc_url = rpc_url.into();
        let error = SessionError::Blocked(ConnectBlocker::RpcUrl(problem));
        assert_eq!(session.connect(0).as_ref(), Err(&error), "{rpc_url}");
        assert!(error.to_string().starts_with("The "), "{error}");
    }
    assert!(RpcUrlProblem::NotHttp.to_string().contains("http:// or https://"));
    assert!(script.commands().is_empty(), "nothing was sent");
    // An RPC URL with a place for the key needs the key, like the URL.
    let endpoint = session.endpoint_mut(7).unwrap();
    endpoint.rpc_url = "https://rpc.example/v2/{api_key}".into();
    assert_eq!(endpoint.connect_blocker(), Some(ConnectBlocker::NeedsKey));
}

#[test]
fn recovery_turned_off_is_sent_kept_in_the_form_and_sent_again_on_restore() {
    let (mut session, mut script, conn) = connected();
    let slots = session.subscribe_draft(conn, slot_draft()).unwrap();
    let pending = session
        .subscribe(conn, "eth_subscribe".into(), Some(serde_json::json!(["newPendingTransactions"])), None)
        .unwrap();
    script.commands();
    let backfill_of =
        |session: &Session, sub| session.subscriptions().iter().find(|row| row.sub == sub).unwrap().backfill;
    assert_eq!(backfill_of(&session, slots), Backfill::On, "on by default where it can be");
    let Backfill::Impossible(reason) = backfill_of(&session, pending) else {
        panic!("pending txs are recovered")
    };
    assert!(reason.0.starts_with("pending transactions are not kept"), "{reason}");

    session.set_backfill(slots, false).unwrap();
    session.set_backfill(pending, false).unwrap();
    let commands = script.commands();
    assert!(
        matches!(commands.as_slice(), [Command::Backfill { conn: c, sub, on: false }] if *c == conn && *sub == slots),
        "only the recoverable one is sent: {commands:?}"
    );
    assert_eq!(backfill_of(&session, slots), Backfill::Off);
    let saved = session.saved_endpoints();
    assert!(!saved[0].subscriptions[0].recover, "saved with its form");

    // Disconnected and connected again: the form comes back with recovery off.
    session.disconnect(0);
    let endpoint = session.endpoint_mut(7).unwrap();
    endpoint.state = Some(ConnState::Closed { reason: None });
    endpoint.restore = saved[0].subscriptions.clone();
    script.commands();
    let again = session.connect(0).unwrap();
    let commands = script.commands();
    let [
        Command::Connect { .. },
        Command::Subscribe { sub, .. },
        Command::Backfill { conn: c, sub: off, on: false },
    ] = commands.as_slice()
    else {
        panic!("{commands:?}")
    };
    assert_eq!((*c, off), (again, sub));
    assert_eq!(session.subscriptions().last().map(|row| row.backfill), Some(Backfill::Off));
}

#[test]
fn a_connection_without_recovery_lists_its_subscriptions_off_and_sends_no_toggle() {
    let (mut session, mut script) = session();
    session.endpoint_mut(7).unwrap().backfill_off = true; // `record --no-backfill`
    let conn = session.connect(0).unwrap();
    session.subscribe_draft(conn, slot_draft()).unwrap();
    let commands = script.commands();
    let [Command::Connect { config, .. }, Command::Subscribe { .. }] = commands.as_slice() else {
        panic!("{commands:?}")
    };
    assert!(!config.backfill, "the whole connection starts with recovery off");
    assert_eq!(session.subscriptions()[0].backfill, Backfill::Off);
}

#[test]
fn headers_that_cannot_be_sent_say_why() {
    let problems = [
        ("", "v", "A header needs a name."),
        ("X Y", "v", "Header name \"X Y\" cannot contain ' '."),
        ("Sec-WebSocket-Key", "v", "Sec-WebSocket-Key is set by the WebSocket handshake itself."),
        ("X-A", "a\nb", "The value of X-A cannot contain a line break or control character."),
        (
            "Authorization",
            "Bearer ***",
            "The credential in header Authorization was removed when it was saved: enter it again, or \
             write {api_key} there and put the key in the API key field.",
        ),
    ];
    for (name, value, text) in problems {
        assert_eq!(header_problem(name, value).map(|problem| problem.to_string()).as_deref(), Some(text));
    }
    assert_eq!(header_problem("X-A", "a\tb"), None);
    assert_eq!(header_problem(" ", " "), None, "an empty row is no problem");
}

#[test]
fn verbs_on_a_stopped_backend_fail_with_the_words_the_window_shows() {
    let (mut session, script, conn) = connected();
    let sub = session.subscribe(conn, "slotSubscribe".into(), None, None).unwrap();
    drop(script);
    let stopped = BackendError::Stopped;

    session.disconnect(0);
    assert_eq!(session.endpoints()[0].error, Some(SessionError::Disconnect(stopped)));
    session.retry_now(0);
    let error = session.endpoints()[0].error.clone().unwrap();
    assert_eq!(error.to_string(), "Could not retry: the backend has stopped");
    session.endpoint_mut(7).unwrap().state = Some(ConnState::Closed { reason: None });
    let error = session.connect(0).unwrap_err();
    assert_eq!(error.to_string(), "Could not connect: the backend has stopped");
    assert_eq!(session.endpoints()[0].error, Some(error));

    let error = session.subscribe(conn, "slotSubscribe".into(), None, None).unwrap_err();
    assert_eq!(error.to_string(), "Could not subscribe: the backend has stopped");
    assert_eq!(session.subscriptions().len(), 1, "no row for what was not sent");
    let error = session.request(conn, "getSlot".into(), None).unwrap_err();
    assert_eq!(error.to_string(), "Could not send: the backend has stopped");
    let limits = CaptureLimits { max_events: 10, max_bytes: 1 << 20 };
    let error = session.set_limits(limits).unwrap_err();
    assert_eq!(error.to_string(), "Could not change the cap: the backend has stopped");
    assert_eq!(session.limits(), limits, "the session's own share changes all the same");

    session.unsubscribe(sub);
    let failure = SubFailure::UnsubscribeNotSent(stopped);
    assert_eq!(state_of(&session, sub), &SubState::Failed(failure.clone()));
    assert_eq!(failure.to_string(), "could not unsubscribe: the backend has stopped");
    assert!(!state_of(&session, sub).is_live());
}

#[test]
fn disconnect_closes_for_good_and_retry_now_asks_again() {
    let (mut session, mut script, conn) = connected();
    session.retry_now(0);
    assert!(matches!(script.commands()[..], [Command::RetryNow { conn: c }] if c == conn));
    let sub = session.subscribe(conn, "slotSubscribe".into(), None, Some(slot_draft())).unwrap();
    session.endpoint_mut(7).unwrap().restore.push(slot_draft());
    script.commands();

    session.disconnect(0);
    assert!(matches!(script.commands()[..], [Command::Disconnect { conn: c }] if c == conn));
    let endpoint = &session.endpoints()[0];
    assert!(!endpoint.keep_connected && endpoint.restore.is_empty());
    assert!(!restored(&session, sub), "no longer restored");
    assert!(session.saved_endpoints()[0].subscriptions.is_empty());

    let (mut session, mut script) = self::session();
    session.disconnect(0);
    session.retry_now(0);
    session.retry_now(3);
    assert!(script.commands().is_empty(), "an endpoint never connected has nothing to send");
}

#[test]
fn subscribe_sends_the_catalogues_rules_and_lists_the_subscription() {
    let (mut session, mut script, conn) = connected();
    let params = serde_json::json!(["newHeads"]);
    let sub = session.subscribe(conn, "eth_subscribe".into(), Some(params.clone()), None).unwrap();
    let commands = script.commands();
    let [Command::Subscribe { conn: c, sub: s, method, params: p, rules }] = &commands[..] else {
        panic!("{commands:?}")
    };
    assert_eq!((*c, *s, method.as_str(), p.as_ref()), (conn, sub, "eth_subscribe", Some(&params)));
    assert_eq!(&*rules.unsubscribe_method, "eth_unsubscribe");
    let row = &session.subscriptions()[0];
    assert_eq!((row.conn, row.sub, row.endpoint, row.conn_label.as_str()), (conn, sub, 7, "local"));
    assert_eq!(row.state, SubState::Pending);
    let spec = catalog::find_by_rpc_method("eth_subscribe", Some("newHeads")).unwrap();
    assert_eq!(row.title, spec.label, "the catalogue's label, the kind in it");
    assert!(!row.restore, "a raw request is not saved");
    assert_eq!(session.live().context.subscriptions[&sub].method, "eth_subscribe");

    let drafted = session.subscribe_draft(conn, slot_draft()).unwrap();
    assert!(restored(&session, drafted), "a form is saved");
    assert_eq!(session.saved_endpoints()[0].subscriptions, vec![slot_draft()]);
}

#[test]
fn a_saved_form_that_no_longer_builds_is_kept_and_reported_once_connected() {
    let (mut session, mut script) = session();
    let stale = Draft { method: "retiredSubscribe".into(), ..Draft::default() };
    session.endpoint_mut(7).unwrap().restore.push(stale.clone());
    let conn = session.connect(0).unwrap();
    assert_eq!(script.commands().len(), 1, "only the connect");
    assert_eq!(session.endpoints()[0].restore, vec![stale.clone()], "kept to restore");
    let notices = session.take_notices();
    let [Notice::Error(error @ SessionError::SavedDraft(errors))] = &notices[..] else {
        panic!("{notices:?}")
    };
    assert_eq!(errors.first().map(|err| err.field.as_str()), Some("method"));
    assert_eq!(
        error.to_string(),
        "A saved subscription was not sent: Method: unknown method id `retiredSubscribe`"
    );
    assert!(session.take_notices().is_empty(), "taken once");

    let error = session.subscribe_draft(conn, stale).unwrap_err();
    assert!(matches!(error, SessionError::SavedDraft(_)));
    assert_eq!(
        SessionError::SavedDraft(Vec::<FieldError>::new()).to_string(),
        "A saved subscription was not sent: "
    );
}

#[test]
fn unsubscribe_and_remove() {
    let (mut session, mut script, conn) = connected();
    let sub = session.subscribe_draft(conn, slot_draft()).unwrap();
    script.commands();
    session.remove_subscription(sub);
    assert_eq!(session.subscriptions().len(), 1, "a live subscription stays listed");
    session.unsubscribe(sub);
    assert!(
        matches!(script.commands()[..], [Command::Unsubscribe { conn: c, sub: s }] if c == conn && s == sub)
    );
    assert_eq!(state_of(&session, sub), &SubState::Unsubscribing);
    assert!(!restored(&session, sub));
    session.unsubscribe(sub + 100);
    assert!(script.commands().is_empty(), "an unknown key sends nothing");
    report(
        &mut session,
        &script,
        Event::SubscriptionEnded { conn, sub, reason: EndReason::Unsubscribed(Ok(true)) },
    );
    session.remove_subscription(sub);
    assert!(session.subscriptions().is_empty());
}

#[test]
fn a_request_is_sent_and_its_answer_comes_back_as_a_notice() {
    let (mut session, mut script, conn) = connected();
    let request = session.request(conn, "getSlot".into(), None).unwrap();
    let again = session.request(conn, "getSlot".into(), None).unwrap();
    assert_ne!(request, again, "each request has its own key");
    let commands = script.commands();
    let Command::Request { conn: c, request: r, method, params } = &commands[0] else {
        panic!("{commands:?}")
    };
    assert_eq!((*c, *r, method.as_str(), params), (conn, request, "getSlot", &None));
    let notices = report(&mut session, &script, Event::Response { conn, request, result: Ok("42".into()) });
    assert_eq!(notices, vec![Notice::Response { request, result: Ok("42".into()) }]);
    let notices =
        report(&mut session, &script, Event::Response { conn, request: again, result: Err(refusal()) });
    assert_eq!(notices, vec![Notice::Response { request: again, result: Err(refusal()) }]);
}

#[test]
fn the_cap_and_an_opened_file_share_the_window_s_limits() {
    let (mut session, mut script) = session();
    let limits = CaptureLimits { max_events: 800, max_bytes: 8 << 20 };
    session.set_limits(limits).unwrap();
    assert!(matches!(script.commands()[..], [Command::SetLimits(sent)] if sent == limits));
    let share = limits.consumer_share();
    assert_eq!(session.live().capture.limits(), share);
    assert_eq!(session.limits_for_opened().max_events, share.max_events / 4 * 3);
    session.set_opened((300, 1 << 20));
    assert_eq!(session.live().capture.limits().max_events, share.max_events - 300);
    session.set_opened((10_000, 1 << 30));
    assert_eq!(session.live().capture.limits().max_events, share.max_events / 4, "never under a quarter");
    session.set_opened((0, 0));
    assert_eq!(session.live().capture.limits(), share);
}

#[test]
fn endpoints_are_added_removed_and_their_pasted_keys_moved() {
    let (mut session, _script, conn) = connected();
    let sub = session.subscribe_draft(conn, slot_draft()).unwrap();
    assert!(session.remove_endpoint(0).is_none(), "not while it is live");
    session.add_endpoint(Endpoint {
        id: 8,
        url: "wss://lb.drpc.org/ogws?network=ethereum&dkey=Ab12Cd34Ef".into(),
        preset: "dRPC".into(),
        error: Some(SessionError::NoSuchEndpoint),
        ..Endpoint::default()
    });
    session.endpoints_mut()[1].rpc_url = "https://lb.drpc.org/ogrpc?network=ethereum&dkey=Ab12Cd34Ef".into();
    let key = session.move_key_to_key_field(1, UrlField::WebSocket).unwrap();
    assert_eq!(key.expose(), "Ab12Cd34Ef");
    let endpoint = &session.endpoints()[1];
    assert_eq!(endpoint.url, "wss://lb.drpc.org/ogws?network=ethereum&dkey={api_key}");
    assert_eq!(
        endpoint.rpc_url, "https://lb.drpc.org/ogrpc?network=ethereum&dkey={api_key}",
        "the same key pasted into the RPC URL moves with it"
    );
    assert_eq!((endpoint.api_key.as_str(), endpoint.key_source), ("Ab12Cd34Ef", KeySource::Typed));
    assert!(endpoint.preset.is_empty() && endpoint.error.is_none());
    assert!(session.move_key_to_key_field(1, UrlField::WebSocket).is_none(), "no key left in the URL");

    // A key pasted into the RPC URL moves too, unless the endpoint has another key already.
    session.endpoints_mut()[1].rpc_url = "https://lb.drpc.org/ogrpc?network=ethereum&dkey=Zz98Yy76Xx".into();
    assert!(session.move_key_to_key_field(1, UrlField::Rpc).is_none(), "one endpoint, one key");
    let endpoint = &session.endpoints()[1];
    assert_eq!(
        (endpoint.api_key.as_str(), endpoint.error.clone()),
        ("Ab12Cd34Ef", Some(SessionError::TwoKeys))
    );
    session.endpoints_mut()[1].api_key.clear();
    let key = session.move_key_to_key_field(1, UrlField::Rpc).unwrap();
    let endpoint = &session.endpoints()[1];
    assert_eq!((key.expose(), endpoint.api_key.as_str()), ("Zz98Yy76Xx", "Zz98Yy76Xx"));
    assert_eq!(endpoint.rpc_url, "https://lb.drpc.org/ogrpc?network=ethereum&dkey={api_key}");
    assert!(endpoint.error.is_none());

    session.endpoint_mut(7).unwrap().state = Some(ConnState::Closed { reason: None });
    assert_eq!(session.remove_endpoint(0).map(|endpoint| endpoint.id), Some(7));
    assert!(!restored(&session, sub), "its subscriptions are not restored");
    assert_eq!(session.endpoints().len(), 1);
}

#[test]
fn state_events_move_the_endpoint_and_its_subscriptions() {
    let (mut session, script, conn) = connected();
    let sub = session.subscribe_draft(conn, slot_draft()).unwrap();
    report(
        &mut session,
        &script,
        Event::Subscription {
            conn,
            sub,
            outcome: SubscribeOutcome::Active(SubId::Num(1)),
            resubscribed: false,
        },
    );
    session.endpoint_mut(7).unwrap().error = Some(CommandError::ConnectionClosed.into());

    report(&mut session, &script, Event::State { conn, state: ConnState::Open });
    assert!(session.endpoints()[0].is_open());
    assert_eq!(session.endpoints()[0].error, None, "open clears the last error");

    let connecting = ConnState::Connecting { attempt: 2 };
    report(&mut session, &script, Event::State { conn, state: connecting.clone() });
    assert_eq!(session.endpoints()[0].state, Some(connecting));
    assert_eq!(
        state_of(&session, sub),
        &SubState::Active(SubId::Num(1)),
        "connecting changes no subscription"
    );

    let reason = ConnError::Lost(LostReason::Reset);
    let reconnecting = ConnState::Reconnecting { retry_at_ms: 5, attempt: 1, reason: reason.clone() };
    report(&mut session, &script, Event::State { conn, state: reconnecting.clone() });
    assert_eq!(session.endpoints()[0].state, Some(reconnecting));
    assert_eq!(state_of(&session, sub), &SubState::Pending, "nothing arrives until re-subscribed");

    report(&mut session, &script, Event::State { conn, state: ConnState::Closed { reason: Some(reason) } });
    assert_eq!(state_of(&session, sub), &SubState::Ended(Ending::ConnectionClosed));
    assert!(restored(&session, sub), "a failure keeps what the user wants connected");
    assert!(!session.any_live());

    report(&mut session, &script, Event::State { conn: conn + 9, state: ConnState::Open });
    let state = &session.endpoints()[0].state;
    assert!(
        matches!(state, Some(ConnState::Closed { .. })),
        "another connection's state is not its: {state:?}"
    );
}

#[test]
fn a_failed_connection_s_subscriptions_come_back_when_it_connects_again() {
    let (mut session, mut script, conn) = connected();
    let sub = session.subscribe_draft(conn, slot_draft()).unwrap();
    let closed = ConnState::Closed { reason: Some(ConnError::Lost(LostReason::Reset)) };
    report(&mut session, &script, Event::State { conn, state: closed });
    script.commands();
    let again = session.connect(0).unwrap();
    assert_ne!(again, conn);
    let commands = script.commands();
    assert!(matches!(&commands[1], Command::Subscribe { conn: c, sub: s, .. } if *c == again && *s != sub));
    assert_eq!(session.subscriptions().len(), 1, "the ended row gave way to the new one");
    assert_eq!(session.subscriptions()[0].state, SubState::Pending);

    // Closed while the user no longer wants it: nothing is restored.
    session.endpoint_mut(7).unwrap().keep_connected = false;
    let sub = session.subscriptions()[0].sub;
    assert!(restored(&session, sub));
    report(&mut session, &script, Event::State { conn: again, state: ConnState::Closed { reason: None } });
    assert!(!restored(&session, sub));
}

#[test]
fn subscription_answers_set_the_state_the_list_shows() {
    let (mut session, script, conn) = connected();
    let sub = session.subscribe_draft(conn, slot_draft()).unwrap();
    let answer = |outcome, resubscribed| Event::Subscription { conn, sub, outcome, resubscribed };

    report(&mut session, &script, answer(SubscribeOutcome::Active(SubId::Num(4)), false));
    assert_eq!(state_of(&session, sub), &SubState::Active(SubId::Num(4)));
    assert_eq!(session.live().context.subscriptions[&sub].server_id, Some(SubId::Num(4)));
    assert_eq!(session.endpoints()[0].chain, Some(Chain::Solana), "a custom URL learns its chain");
    assert_eq!(session.subscriptions()[0].resubscribed, 0);

    let before = now_ms();
    let retrying = SubscribeOutcome::Retrying { error: refusal(), retry_in: Duration::from_millis(2_500) };
    report(&mut session, &script, answer(retrying, true));
    let SubState::Retrying { error, retry_at_ms } = state_of(&session, sub).clone() else { panic!() };
    assert_eq!(error, refusal());
    assert!((before + 2_500..=now_ms() + 2_500).contains(&retry_at_ms), "{retry_at_ms}");
    assert!(state_of(&session, sub).is_live());
    assert!(restored(&session, sub), "a passing refusal keeps it");
    assert_eq!(session.subscriptions()[0].resubscribed, 1);

    report(&mut session, &script, answer(SubscribeOutcome::Failed(refusal()), true));
    let failed = SubState::Failed(SubFailure::Refused(refusal()));
    assert_eq!(state_of(&session, sub), &failed);
    assert!(!failed.is_live() && !restored(&session, sub), "a refused form is not restored");
    assert_eq!(SubFailure::Refused(refusal()).to_string(), "Invalid params (code -32602)");

    report(
        &mut session,
        &script,
        Event::Subscription {
            conn,
            sub: sub + 50,
            outcome: SubscribeOutcome::Active(SubId::Num(9)),
            resubscribed: false,
        },
    );
    assert_eq!(state_of(&session, sub), &failed, "an answer for another key changes nothing");
}

#[test]
fn every_end_of_a_subscription_is_kept_with_its_reason() {
    let cases = [
        (
            EndReason::Unsubscribed(Ok(true)),
            SubState::Ended(Ending::Unsubscribed { was_active: true }),
            "unsubscribed",
        ),
        (
            EndReason::Unsubscribed(Ok(false)),
            SubState::Ended(Ending::Unsubscribed { was_active: false }),
            "unsubscribed (the server said it was not active)",
        ),
        (
            EndReason::Unsubscribed(Err(refusal())),
            SubState::Failed(SubFailure::UnsubscribeRefused(refusal())),
            "unsubscribe refused: Invalid params (code -32602)",
        ),
        (EndReason::Completed, SubState::Ended(Ending::Completed), "completed by the server"),
        (EndReason::ConnectionClosed, SubState::Ended(Ending::ConnectionClosed), "connection closed"),
    ];
    for (reason, state, text) in cases {
        let (mut session, script, conn) = connected();
        let sub = session.subscribe_draft(conn, slot_draft()).unwrap();
        let kept = reason == EndReason::ConnectionClosed;
        report(&mut session, &script, Event::SubscriptionEnded { conn, sub, reason });
        assert_eq!(state_of(&session, sub), &state);
        assert!(!state.is_live());
        let shown = match &state {
            SubState::Ended(ending) => ending.to_string(),
            SubState::Failed(failure) => failure.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(shown, text);
        assert_eq!(restored(&session, sub), kept, "only a closed connection's is restored: {text}");
    }
}

#[test]
fn a_gap_is_put_on_its_endpoint() {
    let (mut session, script, conn) = connected();
    report(&mut session, &script, Event::Gap { conn, lost_at_ms: 1_000, restored_at_ms: 4_500 });
    assert_eq!(session.endpoints()[0].gap, Some(GapSpan { lost_at_ms: 1_000, restored_at_ms: 4_500 }));
    report(&mut session, &script, Event::Gap { conn: conn + 1, lost_at_ms: 1, restored_at_ms: 2 });
    assert_eq!(session.endpoints()[0].gap.map(|gap| gap.lost_at_ms), Some(1_000));
}

#[test]
fn a_failed_command_is_shown_on_its_endpoint_or_else_as_a_notice() {
    let (mut session, script, conn) = connected();
    let notices = report(
        &mut session,
        &script,
        Event::CommandFailed { conn: Some(conn), error: CommandError::NoSuchConnection },
    );
    assert!(notices.is_empty());
    let error = session.endpoints()[0].error.clone().unwrap();
    assert_eq!(error, SessionError::Command(CommandError::NoSuchConnection));
    assert_eq!(error.to_string(), "no such connection (connect first)");
    for conn in [None, Some(conn + 5)] {
        let error = CommandError::DemoServer("address in use".into());
        let notices = report(&mut session, &script, Event::CommandFailed { conn, error: error.clone() });
        assert_eq!(notices, vec![Notice::Error(SessionError::Command(error))]);
    }
    assert_eq!(
        SessionError::from(CommandError::DemoServer("address in use".into())).to_string(),
        "the demo server could not start: address in use"
    );
}

#[test]
fn step_moves_frames_into_the_live_view_and_take_hands_them_out() {
    let (mut session, mut script, conn) = connected();
    let sub = session.subscribe_draft(conn, slot_draft()).unwrap();
    script.frames((0..3).map(|_| notification(conn, sub)));
    script.event(Event::State { conn, state: ConnState::Open });
    assert!(session.memory_held() > 0, "the backend's queue counts");
    let (notices, waiting) = session.step(STEP);
    assert!(notices.is_empty() && !waiting);
    assert_eq!(session.live().capture.len(), 3);
    assert!(session.endpoints()[0].is_open(), "the event was applied");
    let held = session.memory_held();
    assert_eq!(held, session.live().capture.memory_bytes());
    session.clear();
    assert_eq!(session.live().capture.len(), 0);
    assert_eq!(session.memory_held(), held, "kept to undo the clear");

    script.frames((0..5).map(|_| notification(conn, sub)));
    script.event(Event::Gap { conn, lost_at_ms: 1, restored_at_ms: 2 });
    script.frames([notification(conn, sub)]);
    let taken = session.take(3);
    assert_eq!((taken.frames.len(), taken.events.len(), taken.evicted), (3, 0, 0));
    let taken = session.take(10);
    assert_eq!(taken.frames.len(), 3);
    assert!(matches!(taken.events[..], [Event::Gap { .. }]), "{:?}", taken.events);
    assert!(session.endpoints()[0].gap.is_some(), "applied as it was taken");
    assert_eq!(session.live().capture.len(), 0, "take keeps nothing in the view");
}
