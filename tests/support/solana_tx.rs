//! A signed legacy System transfer, built by hand, for the tests that send one to the real
//! test validator, and the HTTP calls around it (airdrops, sending, confirmations).

#![allow(dead_code, reason = "each test binary uses a different part of it")]

use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey};

fn compact_u16(len: usize, out: &mut Vec<u8>) {
    let mut rest = len;
    loop {
        let mut byte = (rest & 0x7f) as u8;
        rest >>= 7;
        if rest != 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if rest == 0 {
            break;
        }
    }
}

/// A legacy System transfer, signed: returns (base64 transaction, base58 signature).
pub fn transfer(payer: &SigningKey, to: &[u8; 32], lamports: u64, blockhash: &str) -> (String, String) {
    let mut message = vec![1, 0, 1];
    compact_u16(3, &mut message);
    message.extend_from_slice(&payer.verifying_key().to_bytes());
    message.extend_from_slice(to);
    message.extend_from_slice(&[0; 32]);
    message.extend_from_slice(
        &bs58::decode(blockhash).into_vec().unwrap_or_else(|err| panic!("blockhash: {err}")),
    );
    compact_u16(1, &mut message);
    message.push(2);
    compact_u16(2, &mut message);
    message.extend_from_slice(&[0, 1]);
    let mut data = 2u32.to_le_bytes().to_vec();
    data.extend_from_slice(&lamports.to_le_bytes());
    compact_u16(data.len(), &mut message);
    message.extend_from_slice(&data);
    let signature = payer.sign(&message).to_bytes();
    let mut transaction = Vec::new();
    compact_u16(1, &mut transaction);
    transaction.extend_from_slice(&signature);
    transaction.extend_from_slice(&message);
    (base64::engine::general_purpose::STANDARD.encode(transaction), bs58::encode(signature).into_string())
}

/// 32 random bytes: a fresh key's seed, or an address nobody used.
pub fn random_bytes() -> [u8; 32] {
    std::array::from_fn(|_| fastrand::u8(..))
}

/// A base58 public key.
pub fn address(key: &[u8; 32]) -> String {
    bs58::encode(key).into_string()
}

/// The validator's latest blockhash at `confirmed`.
pub fn latest_blockhash(port: u16) -> String {
    let answer = crate::support::http_rpc(
        port,
        "getLatestBlockhash",
        serde_json::json!([{"commitment": "confirmed"}]),
    );
    answer["result"]["value"]["blockhash"]
        .as_str()
        .unwrap_or_else(|| panic!("getLatestBlockhash: {answer}"))
        .to_owned()
}

/// A transfer signed against the latest blockhash and not sent yet: (transaction, signature).
pub fn signed_transfer(port: u16, payer: &SigningKey, to: &[u8; 32], lamports: u64) -> (String, String) {
    transfer(payer, to, lamports, &latest_blockhash(port))
}

/// Sends a signed transaction over HTTP; returns its signature as the validator answered it.
pub fn send(port: u16, transaction: &str) -> String {
    let params = serde_json::json!([transaction, {"encoding": "base64", "preflightCommitment": "confirmed"}]);
    let sent = crate::support::http_rpc(port, "sendTransaction", params);
    sent["result"].as_str().unwrap_or_else(|| panic!("sendTransaction: {sent}")).to_owned()
}

/// Asks the faucet for `lamports` to `address`; returns the airdrop's signature.
pub fn airdrop(port: u16, address: &str, lamports: u64) -> String {
    let answer = crate::support::http_rpc(port, "requestAirdrop", serde_json::json!([address, lamports]));
    answer["result"].as_str().unwrap_or_else(|| panic!("requestAirdrop: {answer}")).to_owned()
}

/// Waits until the transaction is confirmed (or finalized); returns its slot.
pub fn confirmed_slot(port: u16, signature: &str) -> u64 {
    crate::support::poll("a confirmation", std::time::Duration::from_secs(60), || {
        let params = serde_json::json!([[signature], {"searchTransactionHistory": true}]);
        let answer = crate::support::http_rpc(port, "getSignatureStatuses", params);
        let status = &answer["result"]["value"][0];
        let level = status["confirmationStatus"].as_str()?;
        assert!(status["err"].is_null(), "{signature} failed: {status}");
        matches!(level, "confirmed" | "finalized").then(|| status["slot"].as_u64()).flatten()
    })
}
