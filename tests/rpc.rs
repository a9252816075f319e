//! The HTTP JSON-RPC client against a real anvil and against a scripted HTTP server, both on
//! 127.0.0.1: rate limits retried, refused `eth_getLogs` ranges split, errors typed, and the
//! URL's key in no error.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use subscope::rpc::{RpcCallError, RpcClient, RpcConfig, rpc_url_for};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// A canned HTTP answer: status, extra headers, body.
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn ok(result: &Value) -> Answer {
    Answer {
        status: 200,
        headers: Vec::new(),
        body: json!({"jsonrpc": "2.0", "id": 1, "result": result}).to_string(),
    }
}

fn rpc_error(status: u16, code: i64, message: &str) -> Answer {
    let body = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": code, "message": message}}).to_string();
    Answer { status, headers: Vec::new(), body }
}

/// What the server was asked: the request line's path and the JSON body.
#[derive(Clone, Debug)]
struct Asked {
    path: String,
    head: String,
    body: Value,
}

type Script = dyn Fn(usize, &Asked) -> Option<Answer> + Send + Sync;

/// A server on 127.0.0.1 answering each request with `script(index, request)`; `None` means
/// never answer (the connection is held open). Returns its port and what it was asked.
async fn serve(script: Arc<Script>) -> (u16, Arc<std::sync::Mutex<Vec<Asked>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|err| panic!("bind: {err}"));
    let port = listener.local_addr().map_or_else(|err| panic!("addr: {err}"), |addr| addr.port());
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&asked);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (script, seen, count) = (Arc::clone(&script), Arc::clone(&seen), Arc::clone(&count));
            tokio::spawn(async move { answer(stream, &*script, &seen, &count).await });
        }
    });
    (port, asked)
}

async fn answer(
    mut stream: TcpStream,
    script: &Script,
    seen: &std::sync::Mutex<Vec<Asked>>,
    count: &AtomicUsize,
) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head_end, length) = loop {
        let read = stream.read(&mut chunk).await.unwrap_or(0);
        if read == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..at]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (at + 4, length);
        }
    };
    while buffer.len() < head_end + length {
        let read = stream.read(&mut chunk).await.unwrap_or(0);
        if read == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
    let body = serde_json::from_slice(&buffer[head_end..head_end + length]).unwrap_or(Value::Null);
    let asked = Asked { path, head, body };
    seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(asked.clone());
    let index = count.fetch_add(1, Ordering::SeqCst);
    let Some(reply) = script(index, &asked) else {
        tokio::time::sleep(Duration::from_secs(60)).await;
        return;
    };
    let mut text = format!("HTTP/1.1 {} X\r\nContent-Type: application/json\r\n", reply.status);
    for (name, value) in &reply.headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        reply.body.len(),
        reply.body
    ));
    stream.write_all(text.as_bytes()).await.ok();
    stream.shutdown().await.ok();
}

fn fast_config(url: String) -> RpcConfig {
    let mut config = RpcConfig::new(url);
    config.timeout = Duration::from_secs(5);
    config.backoff.initial = Duration::from_millis(10);
    config.backoff.max = Duration::from_millis(40);
    config
}

#[tokio::test]
async fn a_rate_limit_is_retried_until_it_passes_and_counted() {
    let script: Arc<Script> = Arc::new(|index, _| match index {
        0 => Some(Answer {
            headers: vec![("Retry-After", "0".into())],
            ..rpc_error(429, 429, "Too Many Requests")
        }),
        1 => Some(Answer { status: 429, headers: Vec::new(), body: "slow down".into() }),
        2 => Some(rpc_error(200, -32005, "project ID request rate exceeded")),
        _ => Some(ok(&json!("0x7a69"))),
    });
    let (port, asked) = serve(script).await;
    let client = RpcClient::new(fast_config(format!("http://127.0.0.1:{port}/"))).unwrap();
    assert_eq!(client.call("eth_chainId", json!([])).await, Ok(json!("0x7a69")));
    assert_eq!(asked.lock().unwrap().len(), 4);
    let stats = client.stats();
    assert_eq!((stats.requests, stats.retries), (4, 3));
    assert_eq!(asked.lock().unwrap()[3].body["method"], "eth_chainId");
}

#[tokio::test]
async fn a_gateway_briefly_unavailable_is_retried_and_a_client_error_is_not() {
    let script: Arc<Script> = Arc::new(|index, _| match index {
        0 => Some(Answer { status: 502, headers: Vec::new(), body: "<html>Bad Gateway</html>".into() }),
        1 => Some(Answer { status: 503, headers: vec![("Retry-After", "0".into())], body: String::new() }),
        _ => Some(ok(&json!("0x10"))),
    });
    let (port, asked) = serve(script).await;
    let client = RpcClient::new(fast_config(format!("http://127.0.0.1:{port}/"))).unwrap();
    assert_eq!(client.call("eth_blockNumber", json!([])).await, Ok(json!("0x10")));
    assert_eq!(asked.lock().unwrap().len(), 3);

    let refused: Arc<Script> =
        Arc::new(|_, _| Some(Answer { status: 401, headers: Vec::new(), body: "bad key".into() }));
    let (port, asked) = serve(refused).await;
    let client = RpcClient::new(fast_config(format!("http://127.0.0.1:{port}/"))).unwrap();
    assert_eq!(
        client.call("eth_blockNumber", json!([])).await,
        Err(RpcCallError::Http { status: 401, body: "bad key".into() })
    );
    assert_eq!(asked.lock().unwrap().len(), 1, "a refused key is not asked again");
}

#[tokio::test]
async fn rate_limits_give_up_after_the_tries_allowed() {
    let script: Arc<Script> =
        Arc::new(|_, _| Some(Answer { status: 429, headers: Vec::new(), body: "busy".into() }));
    let (port, asked) = serve(script).await;
    let mut config = fast_config(format!("http://127.0.0.1:{port}/"));
    config.max_tries = 3;
    let client = RpcClient::new(config).unwrap();
    let err = client.call("eth_blockNumber", json!([])).await;
    assert_eq!(err, Err(RpcCallError::Http { status: 429, body: "busy".into() }));
    assert_eq!(asked.lock().unwrap().len(), 3);
}

/// A server holding logs for blocks 0..=99 (one per block), refusing any query over 10 blocks
/// the way `message` says.
async fn log_server(message: &'static str) -> (u16, Arc<std::sync::Mutex<Vec<Asked>>>) {
    let script: Arc<Script> = Arc::new(move |_, asked| {
        let filter = &asked.body["params"][0];
        let block =
            |name: &str| u64::from_str_radix(filter[name].as_str()?.trim_start_matches("0x"), 16).ok();
        let (from, to) = (block("fromBlock")?, block("toBlock")?);
        if to - from + 1 > 10 {
            return Some(rpc_error(200, -32602, message));
        }
        let logs: Vec<Value> = (from..=to.min(99))
            .map(|n| json!({"blockNumber": format!("{n:#x}"), "logIndex": "0x0"}))
            .collect();
        Some(ok(&Value::Array(logs)))
    });
    serve(script).await
}

fn blocks_of(logs: &[Value]) -> Vec<u64> {
    logs.iter()
        .map(|log| {
            let hex = log["blockNumber"].as_str().unwrap_or_default().trim_start_matches("0x");
            u64::from_str_radix(hex, 16).unwrap_or_else(|err| panic!("{log}: {err}"))
        })
        .collect()
}

#[tokio::test]
async fn a_refused_range_is_split_as_the_error_says_and_every_log_comes_once() {
    let (port, asked) = log_server("eth_getLogs is limited to 10 block range").await;
    let client = RpcClient::new(fast_config(format!("http://127.0.0.1:{port}/"))).unwrap();
    let logs = client
        .get_logs(&json!({"address": "0x00000000000000000000000000000000000000aa"}), 0, 99)
        .await
        .unwrap();
    assert_eq!(blocks_of(&logs), (0..=99).collect::<Vec<_>>());
    // One refusal, then ten chunks of ten.
    assert_eq!(asked.lock().unwrap().len(), 11);
    assert_eq!(
        asked.lock().unwrap()[1].body["params"][0]["address"],
        "0x00000000000000000000000000000000000000aa"
    );
}

#[tokio::test]
async fn a_refusal_without_a_hint_halves_the_range_within_a_bounded_count() {
    let (port, asked) = log_server("query exceeds max results 20000").await;
    let client = RpcClient::new(fast_config(format!("http://127.0.0.1:{port}/"))).unwrap();
    let logs = client.get_logs(&json!({}), 0, 99).await.unwrap();
    assert_eq!(blocks_of(&logs), (0..=99).collect::<Vec<_>>());
    // 100 → 50 → 25 → 12 → 6 refused four times, then 17 chunks of at most 6 blocks.
    let requests = asked.lock().unwrap().len();
    assert!(requests <= 25, "{requests} requests");

    let mut config = fast_config(format!("http://127.0.0.1:{port}/"));
    config.max_log_requests = 5;
    let client = RpcClient::new(config).unwrap();
    let err = client.get_logs(&json!({}), 0, 99).await;
    assert_eq!(err, Err(RpcCallError::TooManyRequests { from: 0, to: 99, limit: 5 }));
}

#[tokio::test]
async fn a_json_rpc_error_comes_back_typed_and_is_not_retried() {
    let script: Arc<Script> = Arc::new(|_, _| {
        let body = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "the method foo does not exist", "data": {"why": "no"}}});
        Some(Answer { status: 200, headers: Vec::new(), body: body.to_string() })
    });
    let (port, asked) = serve(script).await;
    let client = RpcClient::new(fast_config(format!("http://127.0.0.1:{port}/"))).unwrap();
    let err = client.call("foo", json!([])).await;
    assert_eq!(
        err,
        Err(RpcCallError::Rpc {
            code: -32601,
            message: "the method foo does not exist".into(),
            data: Some(json!({"why": "no"}))
        })
    );
    assert_eq!(asked.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_silent_server_times_out_and_a_non_json_body_is_told() {
    let silent: Arc<Script> = Arc::new(|_, _| None);
    let (port, _) = serve(silent).await;
    let mut config = fast_config(format!("http://127.0.0.1:{port}/"));
    config.timeout = Duration::from_millis(300);
    let client = RpcClient::new(config).unwrap();
    let started = std::time::Instant::now();
    assert_eq!(
        client.call("eth_blockNumber", json!([])).await,
        Err(RpcCallError::Timeout { after: Duration::from_millis(300) })
    );
    assert!(started.elapsed() < Duration::from_secs(3));

    let html: Arc<Script> = Arc::new(|_, _| {
        Some(Answer { status: 200, headers: Vec::new(), body: "<html>maintenance</html>".into() })
    });
    let (port, _) = serve(html).await;
    let client = RpcClient::new(fast_config(format!("http://127.0.0.1:{port}/"))).unwrap();
    assert_eq!(
        client.call("eth_blockNumber", json!([])).await,
        Err(RpcCallError::NotJson("<html>maintenance</html>".into()))
    );
}

#[tokio::test]
async fn the_key_in_the_url_is_in_no_error_nor_debug() {
    const KEY: &str = "k3yS3cr3tAbCdEf0123456789";
    // Every answer echoes the path (and so the key) back, in each way an error can carry it.
    let script: Arc<Script> = Arc::new(|index, asked| {
        let path = asked.path.clone();
        Some(match index {
            0 => Answer { status: 500, headers: Vec::new(), body: format!("upstream failed for {path}") },
            1 => {
                let body = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": format!("bad key {path}"), "data": {"path": path}}});
                Answer { status: 200, headers: Vec::new(), body: body.to_string() }
            }
            _ => Answer { status: 200, headers: Vec::new(), body: format!("not json: {path}") },
        })
    });
    let (port, asked) = serve(script).await;
    let url = format!("http://127.0.0.1:{port}/v2/{KEY}?api-key={KEY}");
    let client = RpcClient::new(fast_config(url)).unwrap();
    let mut texts = vec![format!("{client:?}"), client.display_url()];
    for _ in 0..3 {
        let err = client.call("eth_blockNumber", json!([])).await.unwrap_err();
        texts.push(err.to_string());
        texts.push(format!("{err:?}"));
    }
    // The key went to the server (it is the endpoint's URL)…
    assert!(asked.lock().unwrap()[0].path.contains(KEY));
    // … and a transport error to a closed port names no key either.
    let closed = support::free_port();
    let client = RpcClient::new(fast_config(format!("http://127.0.0.1:{closed}/v2/{KEY}"))).unwrap();
    let err = client.call("eth_blockNumber", json!([])).await.unwrap_err();
    assert!(matches!(err, RpcCallError::Transport(_)), "{err:?}");
    texts.push(err.to_string());
    for text in &texts {
        assert!(!text.contains(KEY), "the key leaked: {text}");
    }
    assert!(texts[2].contains("HTTP 500"), "{}", texts[2]);
}

#[tokio::test]
async fn basic_auth_from_user_info_is_sent_as_a_header() {
    let script: Arc<Script> = Arc::new(|_, _| Some(ok(&json!("0x1"))));
    let (port, asked) = serve(script).await;
    let client = RpcClient::new(fast_config(format!("http://alice:s3cret@127.0.0.1:{port}/"))).unwrap();
    assert_eq!(client.call("eth_chainId", json!([])).await, Ok(json!("0x1")));
    let asked = asked.lock().unwrap()[0].clone();
    // base64("alice:s3cret"); the user info is not in the request line.
    assert!(asked.head.contains("authorization: Basic YWxpY2U6czNjcmV0\r\n"), "{}", asked.head);
    assert_eq!(asked.path, "/");
    assert!(!format!("{client:?}").contains("s3cret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_logs_over_a_range_matches_one_eth_get_logs_on_anvil() {
    let port = support::free_port();
    let _anvil = tokio::task::spawn_blocking(move || support::start_anvil(port, &[])).await.unwrap();
    let ws_url = format!("ws://127.0.0.1:{port}");
    let http_url = rpc_url_for(&ws_url).unwrap();
    let client = RpcClient::new(fast_config(http_url)).unwrap();
    // Each deployment of this init code emits one log: PUSH1 0 PUSH1 0 LOG0 STOP.
    let from: String = client.call("eth_accounts", json!([])).await.unwrap()[0].as_str().unwrap().to_owned();
    for _ in 0..6 {
        let tx = json!({"from": from, "data": "0x60006000a000", "gas": "0x100000"});
        client.call("eth_sendTransaction", json!([tx])).await.unwrap();
        client.call("anvil_mine", json!(["0x2"])).await.unwrap();
    }
    let head = client.call("eth_blockNumber", json!([])).await.unwrap();
    let head = u64::from_str_radix(head.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    let whole = client
        .call("eth_getLogs", json!([{"fromBlock": "0x0", "toBlock": format!("{head:#x}")}]))
        .await
        .unwrap();
    assert_eq!(whole.as_array().map(Vec::len), Some(6), "{whole}");
    let logs = client.get_logs(&json!({}), 0, head).await.unwrap();
    assert_eq!(Value::Array(logs), whole);
    // A sub-range: only the logs of its blocks.
    let some = client.get_logs(&json!({}), 3, 6).await.unwrap();
    assert!(!some.is_empty() && some.len() < 6, "{some:?}");
}
