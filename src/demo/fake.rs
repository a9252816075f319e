//! Random-looking but well-formed chain values: base58 keys and signatures, hex hashes,
//! serialized Solana transactions and SPL token accounts, and small JSON writing helpers.
//!
//! Nothing here panics: every random range is a non-empty constant and every encoding is
//! infallible.

use base64::Engine as _;

/// The System program id.
pub(crate) const SYSTEM_PROGRAM: &str = "11111111111111111111111111111111";

/// The SPL Token program id.
pub(crate) const TOKEN_PROGRAM: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";

/// The Vote program id.
pub(crate) const VOTE_PROGRAM: &str = "Vote111111111111111111111111111111111111111";

/// The Compute Budget program id.
pub(crate) const COMPUTE_BUDGET_PROGRAM: &str = "ComputeBudget111111111111111111111111111111";

/// The SPL Memo program id.
pub(crate) const MEMO_PROGRAM: &str = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr";

/// The size in bytes of an SPL token account.
pub(crate) const TOKEN_ACCOUNT_LEN: usize = 165;

/// A deterministic generator for values that every connection must agree on (block hashes).
pub(crate) fn seeded(seed: u64, a: u64, b: u64) -> fastrand::Rng {
    fastrand::Rng::with_seed(mix(mix(seed ^ a.rotate_left(17)) ^ b.rotate_left(41)))
}

/// The splitmix64 finalizer: spreads nearby inputs over the whole `u64` range.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `N` bytes that look random but carry where they belong: `position` (a block or slot) and
/// `index` (a transaction in it) in the last 10 bytes, masked with a key drawn from the seed
/// and the bytes before them (so no two values share a tail). The demo's block hashes,
/// transaction hashes and signatures are made so, and [`located`] reads the place back from
/// one a client sends, so the past needs no table to be looked up by hash.
pub(crate) fn locating<const N: usize>(seed: u64, domain: u64, position: u64, index: u16) -> [u8; N] {
    let mut out = bytes::<N>(&mut seeded(seed ^ domain, position, u64::from(index)));
    let start = N.saturating_sub(10);
    let mask = tail_mask(seed, domain, out.get(..start).unwrap_or_default());
    let mut tail = [0_u8; 10];
    tail[..8].copy_from_slice(&position.to_be_bytes());
    tail[8..].copy_from_slice(&index.to_be_bytes());
    for ((byte, plain), key) in out.iter_mut().skip(start).zip(tail).zip(mask) {
        *byte = plain ^ key;
    }
    out
}

/// The key the tail of a [`locating`] value is masked with: drawn from its first bytes.
fn tail_mask(seed: u64, domain: u64, head: &[u8]) -> [u8; 10] {
    let first = head.get(..8).and_then(|bytes| <[u8; 8]>::try_from(bytes).ok()).unwrap_or_default();
    bytes::<10>(&mut seeded(seed, domain, u64::from_le_bytes(first)))
}

/// The `(position, index)` that [`locating`] made `found` for, if it made it.
pub(crate) fn located<const N: usize>(seed: u64, domain: u64, found: &[u8]) -> Option<(u64, u16)> {
    let start = N.checked_sub(10).filter(|_| found.len() == N)?;
    let mask = tail_mask(seed, domain, found.get(..start)?);
    let mut tail = [0_u8; 10];
    for ((plain, byte), key) in tail.iter_mut().zip(found.get(start..)?).zip(mask) {
        *plain = byte ^ key;
    }
    let position = u64::from_be_bytes(tail.get(..8)?.try_into().ok()?);
    let index = u16::from_be_bytes(tail.get(8..)?.try_into().ok()?);
    (locating::<N>(seed, domain, position, index) == found).then_some((position, index))
}

/// The bytes of a `0x` hex string of exactly `len` bytes.
pub(crate) fn decode_hex_exact(text: &str, len: usize) -> Option<Vec<u8>> {
    if !is_hex_bytes(text, len) {
        return None;
    }
    let digits = text.get(2..)?.as_bytes();
    let nibble = |digit: u8| char::from(digit).to_digit(16).and_then(|value| u8::try_from(value).ok());
    digits.chunks(2).map(|pair| Some(nibble(*pair.first()?)? << 4 | nibble(*pair.get(1)?)?)).collect()
}

/// `N` random bytes.
pub(crate) fn bytes<const N: usize>(rng: &mut fastrand::Rng) -> [u8; N] {
    let mut out = [0_u8; N];
    rng.fill(&mut out);
    out
}

/// A random 32-byte public key in base58.
pub(crate) fn pubkey(rng: &mut fastrand::Rng) -> String {
    bs58::encode(bytes::<32>(rng)).into_string()
}

/// A random 64-byte transaction signature in base58.
pub(crate) fn signature(rng: &mut fastrand::Rng) -> String {
    bs58::encode(bytes::<64>(rng)).into_string()
}

/// Decodes a base58 string that must hold exactly `len` bytes.
pub(crate) fn decode_base58_exact(text: &str, len: usize) -> Option<Vec<u8>> {
    // Agave rejects overlong strings before decoding (`MAX_BASE58_LEN`); this bounds the work.
    if text.is_empty() || text.len() > 2 * len {
        return None;
    }
    let decoded = bs58::decode(text).into_vec().ok()?;
    (decoded.len() == len).then_some(decoded)
}

/// True if `text` is a valid base58 public key (32 bytes).
pub(crate) fn is_pubkey(text: &str) -> bool {
    decode_base58_exact(text, 32).is_some()
}

/// True if `text` is a valid base58 signature (64 bytes).
pub(crate) fn is_signature(text: &str) -> bool {
    decode_base58_exact(text, 64).is_some()
}

/// `0x` followed by the lowercase hex of `data`.
pub(crate) fn hex0x(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 + data.len() * 2);
    out.push_str("0x");
    for byte in data {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// A random `0x` hex string of `N` bytes (32 for hashes, 20 for addresses).
pub(crate) fn hex_random<const N: usize>(rng: &mut fastrand::Rng) -> String {
    hex0x(&bytes::<N>(rng))
}

/// A quantity in Ethereum's hex encoding (`0x0`, `0x1a`).
pub(crate) fn quantity(value: u64) -> String {
    format!("{value:#x}")
}

/// True if `text` is `0x` followed by exactly `bytes * 2` hex digits.
pub(crate) fn is_hex_bytes(text: &str, bytes: usize) -> bool {
    text.strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .is_some_and(|digits| digits.len() == bytes * 2 && digits.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Left-pads a 20-byte `0x` address to a 32-byte topic.
pub(crate) fn address_topic(address: &str) -> String {
    let digits = address.get(2..).unwrap_or_default().to_ascii_lowercase();
    format!("0x000000000000000000000000{digits}")
}

/// Standard base64 (with padding), as Solana uses it.
pub(crate) fn base64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Base58, as Solana uses it.
pub(crate) fn base58(data: &[u8]) -> String {
    bs58::encode(data).into_string()
}

/// Appends `text` to `out` as a JSON string literal (quotes and escapes included).
pub(crate) fn push_json_str(out: &mut String, text: &str) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ch if u32::from(ch) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(ch)));
            }
            ch => out.push(ch),
        }
    }
    out.push('"');
}

/// `text` as a JSON string literal.
pub(crate) fn json_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    push_json_str(&mut out, text);
    out
}

/// A JSON array of string literals.
pub(crate) fn json_str_array<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::from("[");
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        push_json_str(&mut out, item.as_ref());
    }
    out.push(']');
    out
}

/// A JSON array of numbers.
pub(crate) fn json_u64_array(items: &[u64]) -> String {
    let inner: Vec<String> = items.iter().map(u64::to_string).collect();
    format!("[{}]", inner.join(","))
}

/// Appends the decimal digits of `value` without allocating.
pub(crate) fn push_u64(out: &mut String, mut value: u64) {
    let mut digits = [0_u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        // `value % 10` is below 10, so the cast cannot truncate.
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 || start == 0 {
            break;
        }
    }
    for &digit in &digits[start..] {
        out.push(char::from(digit));
    }
}

/// Appends Solana's compact-u16 length encoding.
fn push_compact_u16(out: &mut Vec<u8>, value: u16) {
    let mut rest = value;
    loop {
        // The low seven bits always fit in a byte.
        let mut byte = (rest & 0x7f) as u8;
        rest >>= 7;
        if rest == 0 {
            out.push(byte);
            return;
        }
        byte |= 0x80;
        out.push(byte);
    }
}

/// The keys and amounts of one simulated System transfer.
pub(crate) struct Transfer {
    /// The transaction's first (and only) signature, raw.
    pub(crate) signature: [u8; 64],
    /// The fee payer and sender.
    pub(crate) from: [u8; 32],
    /// The recipient.
    pub(crate) to: [u8; 32],
    /// The recent blockhash the transaction references.
    pub(crate) blockhash: [u8; 32],
    /// The amount moved.
    pub(crate) lamports: u64,
}

impl Transfer {
    /// A random transfer; `to` is replaced by `mention` when one is given (a valid pubkey).
    pub(crate) fn random(rng: &mut fastrand::Rng, mention: Option<&str>) -> Self {
        let mut to = bytes::<32>(rng);
        if let Some(key) = mention.and_then(|key| decode_base58_exact(key, 32)) {
            to.copy_from_slice(&key);
        }
        Self {
            signature: bytes::<64>(rng),
            from: bytes::<32>(rng),
            to,
            blockhash: bytes::<32>(rng),
            lamports: rng.u64(1_000..5_000_000_000),
        }
    }

    /// The base58 signature.
    pub(crate) fn signature_b58(&self) -> String {
        base58(&self.signature)
    }

    /// The System `Transfer` instruction data (`[2,0,0,0] ++ lamports LE`).
    pub(crate) fn instruction_data(&self) -> Vec<u8> {
        let mut data = vec![2, 0, 0, 0];
        data.extend_from_slice(&self.lamports.to_le_bytes());
        data
    }

    /// The legacy wire format: one signature, then the message
    /// (header 1/0/1, three keys, blockhash, one System transfer instruction).
    pub(crate) fn wire_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(215);
        push_compact_u16(&mut out, 1);
        out.extend_from_slice(&self.signature);
        out.extend_from_slice(&[1, 0, 1]);
        push_compact_u16(&mut out, 3);
        out.extend_from_slice(&self.from);
        out.extend_from_slice(&self.to);
        out.extend_from_slice(&[0_u8; 32]);
        out.extend_from_slice(&self.blockhash);
        push_compact_u16(&mut out, 1);
        out.push(2);
        push_compact_u16(&mut out, 2);
        out.extend_from_slice(&[0, 1]);
        let data = self.instruction_data();
        push_compact_u16(&mut out, 12);
        out.extend_from_slice(&data);
        out
    }

    /// The account keys in message order.
    pub(crate) fn account_keys(&self) -> [String; 3] {
        [base58(&self.from), base58(&self.to), SYSTEM_PROGRAM.to_owned()]
    }
}

/// The 165-byte SPL token account layout (initialized, not native, no delegate).
pub(crate) fn token_account_bytes(mint: &[u8; 32], owner: &[u8; 32], amount: u64) -> Vec<u8> {
    let mut data = Vec::with_capacity(TOKEN_ACCOUNT_LEN);
    data.extend_from_slice(mint);
    data.extend_from_slice(owner);
    data.extend_from_slice(&amount.to_le_bytes());
    data.extend_from_slice(&[0_u8; 36]); // delegate: COption::None
    data.push(1); // state: Initialized
    data.extend_from_slice(&[0_u8; 12]); // is_native: COption::None
    data.extend_from_slice(&[0_u8; 8]); // delegated_amount
    data.extend_from_slice(&[0_u8; 36]); // close_authority: COption::None
    data
}

/// A valid zstd frame that stores `data` in one raw (uncompressed) block, so that
/// `base64+zstd` payloads decode with any zstd library.
pub(crate) fn zstd_raw_frame(data: &[u8]) -> Vec<u8> {
    const MAX_RAW_BLOCK: usize = 128 * 1024;
    let mut out = Vec::with_capacity(data.len() + 16);
    out.extend_from_slice(&0xFD2F_B528_u32.to_le_bytes());
    let size = data.len();
    let size_u64 = u64::try_from(size).unwrap_or(u64::MAX);
    // Single segment; Frame_Content_Size field of 1, 2, 4 or 8 bytes.
    if let Ok(small) = u8::try_from(size) {
        out.push(0x20);
        out.push(small);
    } else if let Ok(medium) = u16::try_from(size_u64.saturating_sub(256)) {
        out.push(0x60);
        out.extend_from_slice(&medium.to_le_bytes());
    } else if let Ok(large) = u32::try_from(size) {
        out.push(0xA0);
        out.extend_from_slice(&large.to_le_bytes());
    } else {
        out.push(0xE0);
        out.extend_from_slice(&size_u64.to_le_bytes());
    }
    let mut chunks = data.chunks(MAX_RAW_BLOCK).peekable();
    if chunks.peek().is_none() {
        // An empty last raw block.
        out.extend_from_slice(&[1, 0, 0]);
        return out;
    }
    while let Some(chunk) = chunks.next() {
        let last = u32::from(chunks.peek().is_none());
        // A chunk is at most 128 KiB, so its length fits in 21 bits.
        let len = u32::try_from(chunk.len()).unwrap_or(0);
        let header = last | (len << 3);
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.extend_from_slice(chunk);
    }
    out
}

/// Parses a generated frame as JSON, failing the test if it is not JSON.
#[cfg(test)]
pub(crate) fn parse_json(frame: &str) -> serde_json::Value {
    match serde_json::from_str(frame) {
        Ok(value) => value,
        Err(err) => panic!("not JSON ({err}): {frame}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_and_signatures_round_trip() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..50 {
            assert!(is_pubkey(&pubkey(&mut rng)));
            assert!(is_signature(&signature(&mut rng)));
        }
        assert!(is_pubkey(SYSTEM_PROGRAM));
        assert!(is_pubkey(TOKEN_PROGRAM));
        assert!(!is_pubkey("notapubkey"));
        assert!(!is_pubkey("0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl"));
    }

    #[test]
    fn located_values_give_their_place_back() {
        let made = locating::<32>(7, 0xB10C, 21_000_019 * 2 + 1, 3);
        assert_eq!(located::<32>(7, 0xB10C, &made), Some((21_000_019 * 2 + 1, 3)));
        assert_eq!(located::<32>(8, 0xB10C, &made), None, "another server's hash");
        assert_eq!(located::<32>(7, 0x7C, &made), None, "another kind of value");
        let mut forged = made;
        forged[0] ^= 1;
        assert_eq!(located::<32>(7, 0xB10C, &forged), None);
        let signature = locating::<64>(7, 0x516, 380_000_000, 0);
        assert_eq!(located::<64>(7, 0x516, &signature), Some((380_000_000, 0)));
        assert_eq!(decode_hex_exact(&hex0x(&made), 32).as_deref(), Some(&made[..]));
        let next = locating::<32>(7, 0xB10C, 21_000_020 * 2, 3);
        assert_ne!(made[26..], next[26..], "tails look as random as the rest");
        assert_eq!(decode_hex_exact("0x12", 2), None);
    }

    #[test]
    fn transfer_wire_format_has_expected_length() {
        let mut rng = fastrand::Rng::with_seed(1);
        let transfer = Transfer::random(&mut rng, None);
        // 1 + 64 signature, 3 header, 1 + 96 keys, 32 blockhash, 1 + 1 + 1 + 2 + 1 + 12 instruction.
        assert_eq!(transfer.wire_bytes().len(), 215);
    }

    #[test]
    fn json_helpers_escape_and_format() {
        assert_eq!(json_str("a\"b\\c\n"), r#""a\"b\\c\n""#);
        let mut out = String::new();
        push_u64(&mut out, 0);
        out.push(' ');
        push_u64(&mut out, u64::MAX);
        assert_eq!(out, "0 18446744073709551615");
        assert_eq!(quantity(26), "0x1a");
        assert!(is_hex_bytes("0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0", 20));
        assert!(!is_hex_bytes("0xnothex", 20));
    }

    #[test]
    fn zstd_frame_header_is_well_formed() {
        let frame = zstd_raw_frame(&[7_u8; 165]);
        assert_eq!(&frame[..4], &[0x28, 0xB5, 0x2F, 0xFD]);
        assert_eq!(frame[4], 0x20);
        assert_eq!(frame[5], 165);
        assert_eq!(frame.len(), 4 + 2 + 3 + 165);
        assert_eq!(zstd_raw_frame(&[]).len(), 4 + 2 + 3);
    }
}
