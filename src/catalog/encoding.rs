//! Checks for the encoded values users paste: base58 keys and signatures, base64 bytes, hex
//! addresses (with EIP-55) and topics. Each returns what is wrong, without the field label.

use base64::Engine as _;

use crate::human::plural;

/// Longer base58 strings are refused before decoding (decoding is quadratic in length).
const MAX_BASE58_DECODE_CHARS: usize = 1_024;

/// Checks a base58 pubkey: 32 bytes.
pub(super) fn check_pubkey(text: &str) -> Result<(), String> {
    check_base58_length(text, 32, "a pubkey")
}

/// Checks a base58 transaction signature: 64 bytes.
pub(super) fn check_signature(text: &str) -> Result<(), String> {
    check_base58_length(text, 64, "a signature")
}

fn check_base58_length(text: &str, want: usize, what: &str) -> Result<(), String> {
    let bytes = decode_base58(text)?;
    if bytes.len() == want {
        Ok(())
    } else {
        Err(format!("decodes to {}, {what} is {want}", plural(bytes.len() as u64, "byte", "bytes")))
    }
}

/// Decodes base58 (Bitcoin alphabet, as Solana uses), describing the first bad character.
pub(super) fn decode_base58(text: &str) -> Result<Vec<u8>, String> {
    if text.is_empty() {
        return Err("empty".to_owned());
    }
    if text.len() > MAX_BASE58_DECODE_CHARS {
        return Err(format!("too long ({} characters)", text.len()));
    }
    bs58::decode(text).into_vec().map_err(|err| {
        if let bs58::decode::Error::InvalidCharacter { character, index } = err {
            format!("not valid base58 (invalid character '{character}' at {index})")
        } else if let bs58::decode::Error::NonAsciiCharacter { index } = err {
            format!("not valid base58 (non-ASCII character at {index})")
        } else {
            format!("not valid base58 ({err})")
        }
    })
}

/// Decodes standard base64 with padding, as Agave does for memcmp bytes.
pub(super) fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    if text.is_empty() {
        return Err("empty".to_owned());
    }
    base64::engine::general_purpose::STANDARD.decode(text).map_err(|err| format!("not valid base64 ({err})"))
}

/// The hex digits after a `0x` prefix, checked to be hex.
fn hex_digits(text: &str) -> Result<&str, String> {
    let Some(digits) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) else {
        return Err(if text.is_empty() { "empty".to_owned() } else { "must start with 0x".to_owned() });
    };
    if let Some((index, bad)) = digits.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
        return Err(format!("not hex (invalid character '{bad}' at {})", index + 2));
    }
    Ok(digits)
}

/// Checks a `0x` Ethereum address: 20 bytes, and a valid EIP-55 checksum when mixed case.
pub(super) fn check_eth_address(text: &str) -> Result<(), String> {
    let digits = hex_digits(text)?;
    if digits.len() != 40 {
        let digits = plural(digits.len() as u64, "hex digit", "hex digits");
        return Err(format!("has {digits}, an address has 40 (20 bytes)"));
    }
    let has_lower = digits.chars().any(|c| c.is_ascii_lowercase());
    let has_upper = digits.chars().any(|c| c.is_ascii_uppercase());
    if has_lower && has_upper {
        let expected = eip55_checksum(digits).unwrap_or_default();
        if expected.get(2..) != Some(digits) {
            return Err(format!("bad EIP-55 checksum (expected {expected})"));
        }
    }
    Ok(())
}

/// Checks a `0x` 32-byte hex value (a log topic or a hash).
pub(super) fn check_topic(text: &str) -> Result<(), String> {
    let digits = hex_digits(text)?;
    if digits.len() == 64 {
        Ok(())
    } else {
        Err(format!(
            "has {}, a topic is 64 (32 bytes)",
            plural(digits.len() as u64, "hex digit", "hex digits")
        ))
    }
}

/// The EIP-55 mixed-case checksum form (`0x…`) of a 20-byte hex address given with or without
/// `0x` in any case; `None` when it is not 40 hex digits.
pub fn eip55_checksum(address: &str) -> Option<String> {
    let digits = address.strip_prefix("0x").or_else(|| address.strip_prefix("0X")).unwrap_or(address);
    if digits.len() != 40 {
        return None;
    }
    digits.parse::<alloy_primitives::Address>().ok().map(|address| address.to_checksum(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_pubkey_passes() {
        assert_eq!(check_pubkey("FX8tDFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8"), Ok(()));
        assert_eq!(check_pubkey("11111111111111111111111111111111"), Ok(()));
    }

    #[test]
    fn a_pubkey_with_a_zero_names_the_character_and_position() {
        assert_eq!(
            check_pubkey("FX80DFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8"),
            Err("not valid base58 (invalid character '0' at 3)".to_owned())
        );
    }

    #[test]
    fn a_short_pubkey_says_how_many_bytes_it_decodes_to() {
        assert_eq!(
            check_pubkey("1111111111111111111111111111111"),
            Err("decodes to 31 bytes, a pubkey is 32".to_owned())
        );
    }

    #[test]
    fn a_pubkey_is_not_a_signature() {
        let err = check_signature("FX8tDFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8");
        assert_eq!(err, Err("decodes to 32 bytes, a signature is 64".to_owned()));
        let sig = "GSwqrT6Mbm478B8si4D4nHzfFYzp5o6GMLyjvEnMRWeHTycuoCjzTHPJb5dtsZ2sv478Sj2ZpE6cyquAjety3Md";
        assert_eq!(check_signature(sig), Ok(()));
    }

    #[test]
    fn huge_base58_input_is_refused_without_decoding() {
        let long = "2".repeat(100_000);
        assert_eq!(decode_base58(&long), Err("too long (100000 characters)".to_owned()));
    }

    #[test]
    fn eip55_accepts_the_reference_vectors() {
        for address in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            assert_eq!(check_eth_address(address), Ok(()), "{address}");
            assert_eq!(eip55_checksum(&address.to_lowercase()).as_deref(), Some(address));
        }
    }

    #[test]
    fn eip55_refuses_a_wrong_mixed_case_checksum() {
        assert_eq!(
            check_eth_address("0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            Err("bad EIP-55 checksum (expected 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed)".to_owned())
        );
    }

    #[test]
    fn single_case_addresses_skip_the_checksum() {
        assert_eq!(check_eth_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"), Ok(()));
        assert_eq!(check_eth_address("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED"), Ok(()));
    }

    #[test]
    fn malformed_addresses_say_what_is_wrong() {
        assert_eq!(
            check_eth_address("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
            Err("must start with 0x".to_owned())
        );
        assert_eq!(check_eth_address("0xnothex"), Err("not hex (invalid character 'n' at 2)".to_owned()));
        assert_eq!(
            check_eth_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea"),
            Err("has 38 hex digits, an address has 40 (20 bytes)".to_owned())
        );
    }

    #[test]
    fn topics_are_32_bytes() {
        let topic = "0x48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f";
        assert_eq!(check_topic(topic), Ok(()));
        assert_eq!(check_topic(&topic[..64]), Err("has 62 hex digits, a topic is 64 (32 bytes)".to_owned()));
    }

    #[test]
    fn base64_decodes_with_padding() {
        assert_eq!(decode_base64("AQID"), Ok(vec![1, 2, 3]));
        assert!(decode_base64("!!!").is_err());
    }
}
