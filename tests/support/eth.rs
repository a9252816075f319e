//! anvil's development account and a contract that emits one log per call.

use std::time::Duration;

use serde_json::{Value, json};

use super::{http_rpc, poll};

/// anvil's first funded account (unlocked for `eth_sendTransaction`).
pub const DEV_ACCOUNT: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
/// anvil's second funded account.
pub const OTHER_ACCOUNT: &str = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
/// keccak256("Ping(uint256)").
pub const PING_TOPIC: &str = "0x48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f";
/// A hand-assembled contract whose runtime emits LOG1(PING_TOPIC, first calldata word).
pub const PING_CONTRACT: &str = "0x602d600c600039602d6000f36000356000527f48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f60206000a100";

/// Sends a transaction from an unlocked account; returns its hash.
pub fn send_tx(port: u16, tx: Value) -> String {
    let answer = http_rpc(port, "eth_sendTransaction", json!([tx]));
    answer["result"].as_str().unwrap_or_else(|| panic!("eth_sendTransaction failed: {answer}")).to_owned()
}

/// A transaction's receipt, once it has one.
pub fn receipt(port: u16, hash: &str) -> Value {
    poll("a receipt", Duration::from_secs(20), || {
        let answer = http_rpc(port, "eth_getTransactionReceipt", json!([hash]));
        (!answer["result"].is_null()).then(|| answer["result"].clone())
    })
}

/// A hex quantity as a number (`u64::MAX` when it is not one).
pub fn hex_to_u64(value: &Value) -> u64 {
    value
        .as_str()
        .and_then(|hex| u64::from_str_radix(hex.trim_start_matches("0x"), 16).ok())
        .unwrap_or(u64::MAX)
}

/// Deploys the ping contract; returns its address.
pub fn deploy_ping(port: u16) -> String {
    let deploy = send_tx(port, json!({"from": DEV_ACCOUNT, "data": PING_CONTRACT, "gas": "0x100000"}));
    let contract = receipt(port, &deploy)["contractAddress"].as_str().unwrap_or_default().to_owned();
    assert!(contract.starts_with("0x"), "no contract address");
    contract
}

/// Calls the ping contract with `word` (one log, in a block of its own under automine).
pub fn ping(port: u16, contract: &str, word: u64) -> String {
    let data = format!("0x{word:064x}");
    send_tx(port, json!({"from": DEV_ACCOUNT, "to": contract, "data": data, "gas": "0x30000"}))
}

/// Calls the ping contract with 1, 2, 3, … (one log each).
pub struct Pinger {
    port: u16,
    contract: String,
    word: u64,
}

impl Pinger {
    /// A pinger of `contract` on anvil at `port`.
    pub fn new(port: u16, contract: &str) -> Self {
        Self { port, contract: contract.to_owned(), word: 0 }
    }

    /// Sends `count` pings; returns their transactions.
    pub fn send(&mut self, count: u64) -> Vec<String> {
        (0..count)
            .map(|_| {
                self.word += 1;
                ping(self.port, &self.contract, self.word)
            })
            .collect()
    }
}
