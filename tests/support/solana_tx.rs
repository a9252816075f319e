//! A signed legacy System transfer, built by hand, for the tests that send one to the real
//! test validator.

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
