//! Generated JSON for the fuzz suite: a small tree that keeps each number's exact text, so a
//! property can predict what a reader must make of a frame (numbers of every size and form,
//! strings with escapes and odd unicode, any whitespace between tokens), plus text mutations
//! that turn a valid frame into a near-valid one.
//!
//! Shared by `tests/fuzz.rs` and `src/demo/fuzz_tests.rs` (included by path).

#![allow(dead_code, reason = "each including crate uses a different part of the generators")]

use proptest::prelude::*;
use proptest::sample::{Index, select};

/// A JSON value as the fuzz suite writes it.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as its JSON text (`7`, `-0`, `1e400`, `18446744073709551616`…).
    Num(String),
    /// A string (its decoded value; escaping is up to the [`Style`]).
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, in member order; a key may repeat.
    Obj(Vec<(String, Json)>),
}

/// How a tree is written: what goes between tokens, and whether strings are escaped whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// JSON whitespace written after every `{`, `[`, `,` and `:` and before every `}` and `]`.
    pub space: &'static str,
    /// Whether every character of a string but ASCII letters and digits is written as a
    /// `\uXXXX` escape (surrogate pairs above U+FFFF), instead of serde_json's minimal escaping.
    pub escape_all: bool,
}

impl Style {
    /// No whitespace and minimal escaping: what servers send.
    pub const COMPACT: Self = Self { space: "", escape_all: false };
}

impl Json {
    /// An unsigned integer.
    pub fn uint(value: u64) -> Self {
        Self::Num(value.to_string())
    }

    /// A string.
    pub fn str(value: &str) -> Self {
        Self::Str(value.to_owned())
    }

    /// An object from `(key, value)` pairs, in order.
    pub fn obj<const N: usize>(members: [(&str, Self); N]) -> Self {
        Self::Obj(members.into_iter().map(|(key, value)| (key.to_owned(), value)).collect())
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The tree written compactly, as servers send it.
    pub fn text(&self) -> String {
        self.render(Style::COMPACT)
    }

    /// The tree written in `style`.
    pub fn render(&self, style: Style) -> String {
        let mut out = String::new();
        self.write(style, &mut out);
        out
    }

    /// Appends the tree written in `style` to `out`.
    fn write(&self, style: Style, out: &mut String) {
        match self {
            Self::Null => out.push_str("null"),
            Self::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
            Self::Num(text) => out.push_str(text),
            Self::Str(text) => write_string(text, style, out),
            Self::Arr(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    out.push_str(style.space);
                    item.write(style, out);
                }
                out.push_str(style.space);
                out.push(']');
            }
            Self::Obj(members) => {
                out.push('{');
                for (index, (key, value)) in members.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    out.push_str(style.space);
                    write_string(key, style, out);
                    out.push_str(style.space);
                    out.push(':');
                    out.push_str(style.space);
                    value.write(style, out);
                }
                out.push_str(style.space);
                out.push('}');
            }
        }
    }
}

/// Appends `text` as a JSON string in `style`.
fn write_string(text: &str, style: Style, out: &mut String) {
    if !style.escape_all {
        out.push_str(&serde_json::to_string(text).unwrap_or_else(|err| panic!("a str serializes: {err}")));
        return;
    }
    out.push('"');
    for ch in text.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else {
            let mut units = [0_u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out.push('"');
}

/// Number texts at the edges of what readers handle: negative zero, floats, exponents,
/// values just past `u64` and `i64`, and values no float can hold.
pub const EDGE_NUMBERS: [&str; 16] = [
    "0",
    "-0",
    "0.0",
    "1.0",
    "1e3",
    "1E+2",
    "0.1e-2",
    "-1",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "123456789012345678901234567890",
    "1e400",
    "-1e400",
    "1e-400",
];

/// A number `serde_json::Value` holds: an integer of either sign or a finite float, as
/// serde_json writes it.
pub fn plain_number() -> BoxedStrategy<String> {
    use proptest::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    prop_oneof![
        (0_u64..1_000).prop_map(|value| value.to_string()),
        any::<u64>().prop_map(|value| value.to_string()),
        any::<i64>().prop_map(|value| value.to_string()),
        (POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO)
            .prop_map(|value| serde_json::Number::from_f64(value)
                .map_or_else(|| "0.5".to_owned(), |n| n.to_string())),
    ]
    .boxed()
}

/// Any JSON number text: the [`plain_number`]s and the [`EDGE_NUMBERS`].
pub fn number() -> BoxedStrategy<String> {
    prop_oneof![4 => plain_number(), 1 => select(&EDGE_NUMBERS[..]).prop_map(str::to_owned)].boxed()
}

/// Strings that are hard on parsers and on anything that slices text by bytes.
pub const ODD_STRINGS: [&str; 12] = [
    "",
    "\u{0}",
    "\n",
    "\"",
    "\\",
    "\u{2028}\u{2029}",
    "\u{feff}",
    "é",
    "\u{10ffff}",
    "😀👍🏽",
    "a\"b\\c/d\te",
    "\u{7f}\u{80}\u{9f}",
];

/// Any short string: printable text, any characters at all (control characters and newlines
/// included), or one of the [`ODD_STRINGS`].
pub fn string() -> BoxedStrategy<String> {
    prop_oneof![
        "\\PC{0,12}",
        proptest::collection::vec(any::<char>(), 0..8).prop_map(String::from_iter),
        select(&ODD_STRINGS[..]).prop_map(str::to_owned),
    ]
    .boxed()
}

/// The member names JSON-RPC readers look for, so generated objects often hit them.
pub const RPC_KEYS: [&str; 11] = [
    "jsonrpc",
    "id",
    "method",
    "params",
    "result",
    "error",
    "subscription",
    "code",
    "message",
    "data",
    "value",
];

/// An object key: usually one of the [`RPC_KEYS`], sometimes any string.
pub fn key() -> BoxedStrategy<String> {
    prop_oneof![3 => select(&RPC_KEYS[..]).prop_map(str::to_owned), 1 => string()].boxed()
}

/// A scalar: null, a boolean, a number or a string.
pub fn scalar() -> BoxedStrategy<Json> {
    scalar_with(number())
}

/// A scalar whose numbers come from `numbers`.
fn scalar_with(numbers: BoxedStrategy<String>) -> BoxedStrategy<Json> {
    prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        numbers.prop_map(Json::Num),
        string().prop_map(Json::Str),
    ]
    .boxed()
}

/// A value up to five levels deep whose numbers come from `numbers`.
fn tree_with(numbers: BoxedStrategy<String>) -> BoxedStrategy<Json> {
    scalar_with(numbers)
        .prop_recursive(5, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Json::Arr),
                proptest::collection::vec((key(), inner), 0..6).prop_map(Json::Obj),
            ]
        })
        .boxed()
}

/// Any JSON value, up to five levels deep, numbers at the edges included.
pub fn any_json() -> BoxedStrategy<Json> {
    tree_with(number())
}

/// Any JSON value that `serde_json::Value` can hold (only [`plain_number`]s).
pub fn plain_json() -> BoxedStrategy<Json> {
    tree_with(plain_number())
}

/// Any JSON value whose numbers are all integers (`i64` or `u64`).
pub fn integer_json() -> BoxedStrategy<Json> {
    tree_with(
        prop_oneof![
            any::<u64>().prop_map(|value| value.to_string()),
            any::<i64>().prop_map(|value| value.to_string())
        ]
        .boxed(),
    )
}

/// Any way of writing JSON: compact or with spaces, tabs or line breaks between tokens, with
/// minimal or complete string escaping.
pub fn style() -> BoxedStrategy<Style> {
    (select(&["", " ", "\n", "\t", "\r\n  "][..]), any::<bool>())
        .prop_map(|(space, escape_all)| Style { space, escape_all })
        .boxed()
}

/// One edit of a text, at a position chosen relative to its length.
#[derive(Clone, Debug)]
pub enum Edit {
    /// Cut the text here.
    Truncate(Index),
    /// Remove up to this many characters here.
    Delete(Index, usize),
    /// Insert this text here.
    Insert(Index, String),
    /// Repeat the next few characters here.
    Duplicate(Index, usize),
    /// Replace the character here with this one.
    Replace(Index, char),
}

/// An edit that makes a valid frame near-valid: a cut, a gap, a stray token or character.
pub fn edit() -> impl Strategy<Value = Edit> {
    let stray = prop_oneof![
        select(&["{", "}", "[", "]", ",", ":", "\"", "\\", "null", "-", "0", "e", "\u{0}", "\u{feff}"][..])
            .prop_map(str::to_owned),
        string(),
    ];
    prop_oneof![
        any::<Index>().prop_map(Edit::Truncate),
        (any::<Index>(), 1_usize..6).prop_map(|(at, len)| Edit::Delete(at, len)),
        (any::<Index>(), stray).prop_map(|(at, text)| Edit::Insert(at, text)),
        (any::<Index>(), 1_usize..12).prop_map(|(at, len)| Edit::Duplicate(at, len)),
        (any::<Index>(), any::<char>()).prop_map(|(at, ch)| Edit::Replace(at, ch)),
    ]
}

/// `text` with `edits` applied in order (positions are character positions, so the result is
/// always valid UTF-8).
pub fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        let at = |index: &Index| if chars.is_empty() { 0 } else { index.index(chars.len() + 1) };
        match edit {
            Edit::Truncate(index) => chars.truncate(at(index)),
            Edit::Delete(index, len) => {
                let start = at(index);
                let end = (start + len).min(chars.len());
                chars.drain(start..end);
            }
            Edit::Insert(index, insert) => {
                let start = at(index);
                chars.splice(start..start, insert.chars());
            }
            Edit::Duplicate(index, len) => {
                let start = at(index);
                let end = (start + len).min(chars.len());
                let copy: Vec<char> = chars[start..end].to_vec();
                chars.splice(start..start, copy);
            }
            Edit::Replace(index, ch) => {
                let position = at(index);
                if let Some(slot) = chars.get_mut(position) {
                    *slot = *ch;
                }
            }
        }
    }
    chars.into_iter().collect()
}

/// A near-valid text: `text` with one to three [`edit`]s.
pub fn mutated(text: String) -> impl Strategy<Value = String> {
    proptest::collection::vec(edit(), 1..4).prop_map(move |edits| apply_edits(&text, &edits))
}
