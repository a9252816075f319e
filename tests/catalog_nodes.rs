//! Every form in the method catalogue, built from the model and sent to real nodes: anvil for
//! Ethereum, solana-test-validator for Solana, and the demo server for everything. What a
//! node cannot serve is asserted as that node's own refusal, not skipped.

mod support;

use std::time::Duration;

use subscope::backend::SubscribeOutcome;
use subscope::catalog::{
    BuiltRequest, Chain, Draft, FieldKind, FieldValue, LogsFilterMode, LogsFilterValue, MethodSpec,
    ProgramFilterRow, TopicRow, build, methods,
};
use subscope::demo::{DemoConfig, DemoServer};
use support::{Driver, free_port, start_anvil, start_validator};

const SYSTEM: &str = "11111111111111111111111111111111";
const DEV_ACCOUNT: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
const PING_TOPIC: &str = "0x48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f";

/// A draft with every required field filled with a valid sample value.
fn sample(spec: &MethodSpec) -> Draft {
    let mut draft = Draft::new(spec);
    for field in spec.fields.iter().filter(|field| field.required) {
        let text = match field.kind {
            FieldKind::Pubkey => SYSTEM.to_owned(),
            FieldKind::Signature => bs58::encode([7u8; 64]).into_string(),
            FieldKind::EthAddress => DEV_ACCOUNT.to_owned(),
            FieldKind::EthTopic => PING_TOPIC.to_owned(),
            FieldKind::MethodName => {
                if spec.chain == Some(Chain::Ethereum) { "eth_blockNumber" } else { "getSlot" }.to_owned()
            }
            _ => continue,
        };
        draft.set_text(field.key, text);
    }
    draft
}

/// The sample drafts of one chain, plus richer variants of the common forms.
fn drafts(chain: Chain) -> Vec<(String, Draft)> {
    let mut drafts: Vec<(String, Draft)> = methods()
        .iter()
        .filter(|spec| spec.chain == Some(chain) && !spec.is_one_off())
        .map(|spec| (spec.id.to_owned(), sample(spec)))
        .collect();
    let variant = |id: &str, edit: &dyn Fn(&mut Draft)| {
        let spec = methods().iter().find(|spec| spec.id == id).unwrap_or_else(|| panic!("no {id}"));
        let mut draft = sample(spec);
        edit(&mut draft);
        (format!("{id} (rich)"), draft)
    };
    match chain {
        Chain::Solana => {
            drafts.push(variant("accountSubscribe", &|d| {
                d.set_text("encoding", "jsonParsed");
                d.set_text("commitment", "confirmed");
            }));
            drafts.push(variant("programSubscribe", &|d| {
                d.set_text("encoding", "base64");
                d.set(
                    "filters",
                    FieldValue::ProgramFilters(vec![
                        ProgramFilterRow::DataSize { size: "0".into() },
                        ProgramFilterRow::Memcmp {
                            offset: "0".into(),
                            bytes: "1".into(),
                            encoding: Default::default(),
                        },
                    ]),
                );
            }));
            drafts.push(variant("logsSubscribe", &|d| {
                d.set(
                    "filter",
                    FieldValue::LogsFilter(LogsFilterValue {
                        mode: LogsFilterMode::Mentions,
                        mentions: vec![SYSTEM.into()],
                    }),
                );
                d.set_text("commitment", "processed");
            }));
        }
        Chain::Ethereum => {
            let logs = methods().iter().find(|s| s.subscription_kind == Some("logs")).map_or("", |s| s.id);
            drafts.push(variant(logs, &|d| {
                d.set_list("address", [DEV_ACCOUNT]);
                d.set("topics", FieldValue::Topics(vec![TopicRow { any_of: vec![PING_TOPIC.into()] }]));
            }));
            let pending = methods()
                .iter()
                .find(|s| s.subscription_kind == Some("newPendingTransactions"))
                .map_or("", |s| s.id);
            drafts.push(variant(pending, &|d| d.set_bool("fullTx", true)));
        }
    }
    drafts
}

fn built(name: &str, draft: &Draft) -> BuiltRequest {
    build(draft).unwrap_or_else(|errors| panic!("the sample {name} does not validate: {errors:?}"))
}

/// Subscribes every draft and returns `(name, outcome)`.
async fn subscribe_all(url: &str, drafts: &[(String, Draft)]) -> Vec<(String, SubscribeOutcome)> {
    let mut driver = Driver::new();
    let conn = driver.connect(url);
    let mut keys = Vec::new();
    for (name, draft) in drafts {
        let request = built(name, draft);
        keys.push((name.clone(), driver.subscribe(conn, &request.method, request.params)));
    }
    let mut outcomes = Vec::new();
    for (name, sub) in keys {
        outcomes.push((name, driver.answer(sub, 0).await.0));
    }
    outcomes
}

fn assert_outcomes(node: &str, outcomes: &[(String, SubscribeOutcome)], refused: &[(&str, i64)]) {
    for (name, outcome) in outcomes {
        let expected = refused.iter().find(|(prefix, _)| name.starts_with(prefix));
        match (outcome, expected) {
            (SubscribeOutcome::Active(_), None) => {}
            (SubscribeOutcome::Failed(err), Some((_, code))) => {
                assert_eq!(err.code, *code, "{node} refused {name} with an unexpected error: {err}");
            }
            (outcome, expected) => panic!("{node}: {name} gave {outcome:?}, expected {expected:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ethereum_form_is_accepted_by_anvil_where_anvil_serves_it() {
    let anvil = start_anvil(free_port(), &[]);
    let drafts = drafts(Chain::Ethereum);
    assert!(drafts.len() >= 8);
    let outcomes = subscribe_all(&format!("ws://127.0.0.1:{}", anvil.port), &drafts).await;
    // anvil implements neither `syncing` nor Alchemy's own kinds: it answers with its errors.
    let refused = [
        ("eth_subscribe:syncing", -32603),
        ("eth_subscribe:alchemy_pendingTransactions", -32602),
        ("eth_subscribe:alchemy_minedTransactions", -32602),
        ("eth_subscribe:alchemy_newFullPendingTransactions", -32602),
    ];
    assert_outcomes("anvil", &outcomes, &refused);
    assert!(outcomes.iter().filter(|(_, o)| matches!(o, SubscribeOutcome::Active(_))).count() >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_form_is_accepted_by_the_demo_server() {
    let server = DemoServer::start(DemoConfig { speed: 10.0, ..DemoConfig::default() })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut all = drafts(Chain::Solana);
    all.extend(drafts(Chain::Ethereum));
    let outcomes = subscribe_all(&server.url(), &all).await;
    assert_outcomes("the demo server", &outcomes, &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_off_requests_from_the_form_are_answered_by_anvil() {
    let anvil = start_anvil(free_port(), &[]);
    let spec = methods().iter().find(|spec| spec.is_one_off()).unwrap_or_else(|| panic!("no one-off form"));
    let mut driver = Driver::new();
    let conn = driver.connect(&format!("ws://127.0.0.1:{}", anvil.port));
    for (method, params) in
        [("eth_chainId", "[]"), ("eth_getBalance", &*format!(r#"["{DEV_ACCOUNT}", "latest"]"#))]
    {
        let mut draft = Draft::new(spec);
        draft.set_text("method", method);
        draft.set_text("params", params);
        let request = built(method, &draft);
        let key = driver.request(conn, &request.method, request.params);
        let answer = driver.response(key).await.unwrap_or_else(|err| panic!("{method}: {err}"));
        assert!(answer.starts_with("\"0x"), "{method}: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_solana_form_is_accepted_by_the_test_validator_where_it_serves_it() {
    let rpc_port = loop {
        let port = free_port();
        if port < 65000 && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            break port;
        }
    };
    let _validator = start_validator(rpc_port, free_port());
    let drafts = drafts(Chain::Solana);
    assert!(drafts.len() >= 12);
    let outcomes = tokio::time::timeout(
        Duration::from_secs(120),
        subscribe_all(&format!("ws://127.0.0.1:{}", rpc_port + 1), &drafts),
    )
    .await
    .unwrap_or_else(|_| panic!("the validator did not answer in time"));
    // The stock test validator cannot enable blockSubscribe (clap panics on the flag), and
    // transactionSubscribe is Helius's own: Agave answers "Method not found" for both.
    assert_outcomes(
        "solana-test-validator",
        &outcomes,
        &[("blockSubscribe", -32601), ("transactionSubscribe", -32601)],
    );
}
