//! Values as people read them: token amounts scaled by their decimals with thousands
//! separators, ABI values as text, long identifiers shortened.

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::U256;
use alloy_primitives::hex;

use crate::human::{group_thousands, shorten};

/// A token amount in whole units: `1000500000` with 6 decimals is `1,000.5`. Exact (no
/// floating point): the integer's digits are split at the decimal point, trailing zeros of
/// the fraction dropped.
pub fn scale_amount(raw: U256, decimals: u8) -> String {
    let digits = raw.to_string();
    let decimals = usize::from(decimals);
    if decimals == 0 {
        return group_thousands(&digits);
    }
    let padded =
        if digits.len() <= decimals { format!("{digits:0>width$}", width = decimals + 1) } else { digits };
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let fraction = fraction.trim_end_matches('0');
    let whole = group_thousands(whole);
    if fraction.is_empty() { whole } else { format!("{whole}.{fraction}") }
}

/// An ABI value as text: integers in decimal, addresses checksummed, bytes as `0x` hex,
/// strings quoted, arrays in brackets and tuples in parentheses.
pub fn value_text(value: &DynSolValue) -> String {
    match value {
        DynSolValue::Bool(flag) => flag.to_string(),
        DynSolValue::Int(int, _) => int.to_string(),
        DynSolValue::Uint(uint, _) => uint.to_string(),
        DynSolValue::FixedBytes(word, size) => hex::encode_prefixed(&word[..(*size).min(32)]),
        DynSolValue::Address(address) => address.to_checksum(None),
        DynSolValue::Function(function) => hex::encode_prefixed(function.as_slice()),
        DynSolValue::Bytes(bytes) => hex::encode_prefixed(bytes),
        DynSolValue::String(text) => format!("{text:?}"),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            format!("[{}]", items.iter().map(value_text).collect::<Vec<_>>().join(", "))
        }
        DynSolValue::Tuple(items) => {
            format!("({})", items.iter().map(value_text).collect::<Vec<_>>().join(", "))
        }
    }
}

/// Shortens a long identifier to its head and tail, keeping a `0x` prefix out of the count:
/// `0xf39F…2266`.
pub fn shorten_id(text: &str, keep: usize) -> String {
    match text.strip_prefix("0x") {
        Some(body) => format!("0x{}", shorten(body, keep)),
        None => shorten(text, keep),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_scaled_exactly_with_separators() {
        assert_eq!(scale_amount(U256::from(1_000_500_000u64), 6), "1,000.5");
        assert_eq!(scale_amount(U256::from(1u64), 18), "0.000000000000000001");
        assert_eq!(scale_amount(U256::from(0u64), 6), "0");
        assert_eq!(scale_amount(U256::from(5_000_000u64), 6), "5");
        assert_eq!(scale_amount(U256::from(1_234_567u64), 0), "1,234,567");
        assert_eq!(
            scale_amount(U256::MAX, 18),
            "115,792,089,237,316,195,423,570,985,008,687,907,853,269,984,665,640,564,039,457.584007913129639935"
        );
    }

    #[test]
    fn identifiers_keep_their_prefix_when_shortened() {
        assert_eq!(shorten_id("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", 4), "0xf39F…2266");
        assert_eq!(shorten_id("11111111111111111111111111111111", 4), "1111…1111");
    }

    #[test]
    fn values_read_as_solidity_writes_them() {
        let values = DynSolValue::Tuple(vec![
            DynSolValue::Bool(true),
            DynSolValue::Int(alloy_primitives::I256::try_from(-5i64).unwrap_or_default(), 24),
            DynSolValue::String("hi".into()),
            DynSolValue::Array(vec![
                DynSolValue::Uint(U256::from(1u8), 256),
                DynSolValue::Uint(U256::from(2u8), 256),
            ]),
            DynSolValue::Bytes(vec![0xab, 0xcd]),
            DynSolValue::FixedBytes(alloy_primitives::B256::repeat_byte(0x11), 2),
        ]);
        assert_eq!(value_text(&values), r#"(true, -5, "hi", [1, 2], 0xabcd, 0x1111)"#);
    }
}
