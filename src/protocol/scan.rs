//! A fast path for the frame nearly every stream consists of: a notification
//! (`{"jsonrpc":"2.0","method":"…","params":{"result":…,"subscription":…}}`).
//!
//! It reads the frame once, byte by byte, checking that the whole text is JSON exactly as
//! serde_json would (strings, escapes, numbers, literals, nesting, nothing after the value)
//! while taking the two things routing needs: the method and `params.subscription`. It
//! answers only when the frame is that plain shape: anything else (a response, an escape in
//! a key or in the method, a member seen twice, deep nesting, a subscription id of another
//! form) gives `None`, and [`super::parse_incoming`] falls back to serde, so both paths
//! classify every frame the same way (a property test holds them to it).

use std::borrow::Cow;

use super::SubId;

/// Nesting deeper than this is left to serde, which refuses beyond 128 levels.
const MAX_DEPTH: usize = 100;

/// The method and subscription of a plain notification, or `None` to let serde decide.
///
/// Every step reads from a position and returns the position after what it read, so the
/// position stays in a register; a value is skipped by a loop with its open containers kept
/// as bits, not by recursion.
pub(super) fn plain_notification(text: &str) -> Option<(Cow<'_, str>, Option<SubId>)> {
    plain(text).map(|plain| (Cow::Borrowed(plain.method), plain.subscription))
}

/// The method and the text of `params.result` of a plain notification (one that
/// [`plain_notification`] reads) with one result: what the table's readers (summaries,
/// decoding) start from, without reading the frame again. `None` to let serde decide.
pub(crate) fn notification_result(text: &str) -> Option<(&str, &str)> {
    let plain = plain(text)?;
    Some((plain.method, plain.result?))
}

/// [`plain_notification`], with the value of `params.result` read by `read_result` instead
/// of skipped: it is given the value's position and returns the position after it, having
/// checked it exactly as [`Walk::skip`] at depth 2 does (or `None`, and the frame goes to
/// serde). It is called once for each `result` member, and only when the frame is read this
/// way: `None` means it was not (and whatever it was called with does not count).
pub(super) fn plain_notification_reading<'a>(
    text: &'a str,
    read_result: impl FnMut(usize) -> Option<usize>,
) -> Option<(Cow<'a, str>, Option<SubId>)> {
    plain_reading(text, read_result).map(|plain| (Cow::Borrowed(plain.method), plain.subscription))
}

/// What the fast path read of a plain notification.
struct Plain<'a> {
    method: &'a str,
    subscription: Option<SubId>,
    /// The text of `params.result`, when it is there once.
    result: Option<&'a str>,
}

fn plain(text: &str) -> Option<Plain<'_>> {
    plain_reading(text, |at| skip_value(text.as_bytes(), at, 2))
}

/// [`plain`], with the value of each `params.result` read by `read_result` (from its first
/// byte; it returns the position after it, as [`skip_value`] at depth 2 would, or `None`).
fn plain_reading(text: &str, mut read_result: impl FnMut(usize) -> Option<usize>) -> Option<Plain<'_>> {
    let bytes = text.as_bytes();
    let mut at = expect(bytes, ws(bytes, 0), b'{')?;
    let mut method = None;
    let mut params_seen = false;
    let mut subscription = None;
    let mut result = None;
    at = ws(bytes, at);
    if *bytes.get(at)? == b'}' {
        at += 1;
    } else {
        loop {
            let (key, after) = plain_string(text, ws(bytes, at))?;
            at = ws(bytes, expect(bytes, ws(bytes, after), b':')?);
            match key {
                "method" => {
                    if method.is_some() {
                        return None;
                    }
                    let (name, after) = plain_string(text, at)?;
                    method = Some(name);
                    at = after;
                }
                "params" => {
                    if params_seen {
                        return None;
                    }
                    params_seen = true;
                    (subscription, result, at) = params(text, at, &mut read_result)?;
                }
                // A response's members (and anything serde reads rather than skips) go to serde.
                "id" | "result" | "error" => return None,
                _ => at = skip_value(bytes, at, 1)?,
            }
            at = ws(bytes, at);
            match *bytes.get(at)? {
                b',' => at += 1,
                b'}' => {
                    at += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    if ws(bytes, at) != bytes.len() {
        return None;
    }
    Some(Plain { method: method?, subscription, result: result.flatten() })
}

/// Eight copies of a byte.
const fn splat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

/// The position of the first byte of a string's text that ends a plain run: a quote, a
/// backslash or a control character (which JSON does not allow in strings), eight bytes at a
/// time.
#[inline(always)]
fn string_stop(bytes: &[u8]) -> Option<usize> {
    const HIGH: u64 = splat(0x80);
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        let zero_where = |x: u64| x.wrapping_sub(splat(1)) & !x & HIGH;
        let hits = zero_where(word ^ splat(b'"'))
            | zero_where(word ^ splat(b'\\'))
            | (word.wrapping_sub(splat(0x20)) & !word & HIGH);
        if hits != 0 {
            // The lowest flagged byte is a true hit (borrows only run upward).
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    bytes[at..]
        .iter()
        .position(|byte| *byte == b'"' || *byte == b'\\' || *byte < 0x20)
        .map(|found| at + found)
}

/// The position of the first byte from `at` that is not JSON whitespace.
#[inline]
fn ws(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\t' | b'\r') = bytes.get(at) {
        at += 1;
    }
    at
}

/// The position after `byte`, if it is the one at `at`.
#[inline]
fn expect(bytes: &[u8], at: usize, byte: u8) -> Option<usize> {
    (*bytes.get(at)? == byte).then_some(at + 1)
}

/// A string with no escape in it at `at`, as a slice of the text, and the position after it.
#[inline(always)]
fn plain_string(text: &str, at: usize) -> Option<(&str, usize)> {
    let bytes = text.as_bytes();
    let start = expect(bytes, at, b'"')?;
    let end = start + string_stop(bytes.get(start..)?)?;
    if bytes[end] != b'"' {
        return None;
    }
    // The ends are quotes: always on a character boundary.
    Some((text.get(start..end)?, end + 1))
}

/// `params` at `at`: an object whose `subscription` (at most once) is an integer or a plain
/// string; its other members are skipped. Returns the subscription, if any, and the text of
/// `result` (`Some(None)` when it came twice: serde decides which counts).
#[expect(clippy::type_complexity, reason = "one private step of the scanner")]
fn params<'a>(
    text: &'a str,
    at: usize,
    read_result: &mut impl FnMut(usize) -> Option<usize>,
) -> Option<(Option<SubId>, Option<Option<&'a str>>, usize)> {
    let bytes = text.as_bytes();
    let mut at = ws(bytes, expect(bytes, at, b'{')?);
    let mut subscription = None;
    let mut result = None;
    if *bytes.get(at)? == b'}' {
        return Some((None, None, at + 1));
    }
    loop {
        let (key, after) = plain_string(text, ws(bytes, at))?;
        at = ws(bytes, expect(bytes, ws(bytes, after), b':')?);
        if key == "subscription" {
            if subscription.is_some() {
                return None;
            }
            let (id, after) = subscription_id(text, at)?;
            subscription = Some(id);
            at = after;
        } else if key == "result" {
            let end = read_result(at)?;
            result = Some(if result.is_none() { text.get(at..end) } else { None });
            at = end;
        } else {
            at = skip_value(bytes, at, 2)?;
        }
        at = ws(bytes, at);
        match *bytes.get(at)? {
            b',' => at += 1,
            b'}' => return Some((subscription, result, at + 1)),
            _ => return None,
        }
    }
}

/// The scanner's steps for a reader that picks members out of a frame in one pass (the item
/// identity): every value is checked as serde would check it, whether it is read or skipped
/// ([`skip_value`]), and each byte is read once. Every step takes a position and returns the
/// position after what it read, or `None` where serde might read the text otherwise (an
/// escape in a string read, a number that is not plain digits), or refuse it.
#[derive(Clone, Copy)]
pub(crate) struct Walk<'a> {
    text: &'a str,
}

impl<'a> Walk<'a> {
    /// A walk over `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        Self { text }
    }

    /// The first position from `at` that is not whitespace.
    pub(crate) fn ws(self, at: usize) -> usize {
        ws(self.text.as_bytes(), at)
    }

    /// The byte at `at`.
    pub(crate) fn byte(self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    /// Whether nothing but whitespace follows `at`.
    pub(crate) fn ends_at(self, at: usize) -> bool {
        self.ws(at) == self.text.len()
    }

    /// Skips the value at `at` whose container is nested `depth` deep.
    pub(crate) fn skip(self, at: usize, depth: usize) -> Option<usize> {
        skip_value(self.text.as_bytes(), at, depth)
    }

    /// `word` (`null`, `true`, `false`) at `at`.
    pub(crate) fn literal(self, at: usize, word: &str) -> Option<usize> {
        literal(self.text.as_bytes(), at, word.as_bytes())
    }

    /// A string without escapes at `at`: its text.
    pub(crate) fn string(self, at: usize) -> Option<(&'a str, usize)> {
        plain_string(self.text, at)
    }

    /// A number of plain digits at `at` that fits `u64` (no sign, fraction or exponent).
    pub(crate) fn number(self, at: usize) -> Option<(u64, usize)> {
        let bytes = self.text.as_bytes();
        let end = digits(bytes, at);
        let number = self.text.get(at..end)?;
        if end == at
            || matches!(bytes.get(end), Some(b'.' | b'e' | b'E'))
            || (number.len() > 1 && number.starts_with('0'))
        {
            return None;
        }
        Some((number.parse().ok()?, end))
    }

    /// The members of the object at `at`: `each(name, value_at)` reads (or skips) each value
    /// and returns the position after it. Returns the position after the object; `None` when a
    /// name has an escape, or `each` says so.
    pub(crate) fn members(
        self,
        at: usize,
        mut each: impl FnMut(&'a str, usize) -> Option<usize>,
    ) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let mut at = ws(bytes, expect(bytes, at, b'{')?);
        if *bytes.get(at)? == b'}' {
            return Some(at + 1);
        }
        loop {
            let (name, after) = plain_string(self.text, ws(bytes, at))?;
            at = ws(bytes, each(name, ws(bytes, expect(bytes, ws(bytes, after), b':')?))?);
            match *bytes.get(at)? {
                b',' => at += 1,
                b'}' => return Some(at + 1),
                _ => return None,
            }
        }
    }
}

/// An integer that fits `u64`, or a plain string.
fn subscription_id(text: &str, at: usize) -> Option<(SubId, usize)> {
    let bytes = text.as_bytes();
    if *bytes.get(at)? == b'"' {
        let (id, after) = plain_string(text, at)?;
        return Some((SubId::Str(id.into()), after));
    }
    let end = digits(bytes, at);
    let number = text.get(at..end)?;
    // A sign, a fraction or an exponent, a leading zero, or a number past u64: serde.
    if matches!(bytes.get(end), Some(b'.' | b'e' | b'E' | b'-' | b'+'))
        || (number.len() > 1 && number.starts_with('0'))
    {
        return None;
    }
    Some((SubId::Num(number.parse().ok()?), end))
}

/// The position after the ASCII digits from `at`.
#[inline]
fn digits(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_digit) {
        at += 1;
    }
    at
}

/// Skips one value of any kind at `at`, checking it as serde does, and returns the position
/// after it; `depth` is the nesting level of the value's container. Containers are followed
/// by a loop that keeps, for each one open, a bit saying whether it is an object.
fn skip_value(bytes: &[u8], mut at: usize, depth: usize) -> Option<usize> {
    let mut open = 0usize;
    let mut objects: u128 = 0; // bit 0: the innermost open container is an object
    loop {
        // A value starts at `at`.
        let byte = *bytes.get(at)?;
        match byte {
            b'"' => at = skip_string(bytes, at + 1)?,
            b'{' | b'[' => {
                if depth + open >= MAX_DEPTH {
                    return None;
                }
                let object = byte == b'{';
                at = ws(bytes, at + 1);
                if *bytes.get(at)? == if object { b'}' } else { b']' } {
                    at += 1; // empty
                } else {
                    open += 1;
                    objects = objects << 1 | u128::from(object);
                    if object {
                        at = member_name(bytes, at)?;
                    }
                    continue;
                }
            }
            b't' => at = literal(bytes, at, b"true")?,
            b'f' => at = literal(bytes, at, b"false")?,
            b'n' => at = literal(bytes, at, b"null")?,
            b'-' | b'0'..=b'9' => at = skip_number(bytes, at)?,
            _ => return None,
        }
        // After a value: close what ends here, then go on to the next item.
        loop {
            if open == 0 {
                return Some(at);
            }
            at = ws(bytes, at);
            let object = objects & 1 == 1;
            match (*bytes.get(at)?, object) {
                (b',', _) => {
                    at = ws(bytes, at + 1);
                    if object {
                        at = member_name(bytes, at)?;
                    }
                    break;
                }
                (b'}', true) | (b']', false) => {
                    at += 1;
                    open -= 1;
                    objects >>= 1;
                }
                _ => return None,
            }
        }
    }
}

/// A member's name and its colon at `at`, with the whitespace after: the position of the value.
#[inline]
fn member_name(bytes: &[u8], at: usize) -> Option<usize> {
    let after = skip_string(bytes, expect(bytes, at, b'"')?)?;
    Some(ws(bytes, expect(bytes, ws(bytes, after), b':')?))
}

/// The position after `word`, if it is at `at`.
#[inline]
fn literal(bytes: &[u8], at: usize, word: &[u8]) -> Option<usize> {
    let end = at + word.len();
    (bytes.get(at..end)? == word).then_some(end)
}

/// The rest of a string whose text starts at `at`: no control characters; escapes
/// `\" \\ \/ \b \f \n \r \t` and `\u` with four hex digits (serde checks no more when it
/// skips a string). Returns the position after the closing quote.
#[inline(always)]
fn skip_string(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let found = at + string_stop(bytes.get(at..)?)?;
        match bytes[found] {
            b'"' => return Some(found + 1),
            b'\\' => {}
            _ => return None, // a control character
        }
        at = found + 2;
        match *bytes.get(found + 1)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
            b'u' => {
                let hex = bytes.get(at..at + 4)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                at += 4;
            }
            _ => return None,
        }
    }
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` at `at`, not followed by a digit.
fn skip_number(bytes: &[u8], mut at: usize) -> Option<usize> {
    if bytes[at] == b'-' {
        at += 1;
    }
    match *bytes.get(at)? {
        b'0' => at += 1,
        b'1'..=b'9' => at = digits(bytes, at + 1),
        _ => return None,
    }
    if bytes.get(at) == Some(&b'.') {
        at = some_digits(bytes, at + 1)?;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = bytes.get(at) {
            at += 1;
        }
        at = some_digits(bytes, at)?;
    }
    // A digit right after the number (`01`) is not JSON.
    if bytes.get(at).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some(at)
}

/// The position after one or more ASCII digits from `at`.
#[inline]
fn some_digits(bytes: &[u8], at: usize) -> Option<usize> {
    let end = digits(bytes, at);
    (end > at).then_some(end)
}
