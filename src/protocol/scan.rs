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
pub(super) fn plain_notification(text: &str) -> Option<(Cow<'_, str>, Option<SubId>)> {
    let mut scan = Scanner { text, bytes: text.as_bytes(), at: 0 };
    scan.skip_ws();
    scan.expect(b'{')?;
    let mut method = None;
    let mut params_seen = false;
    let mut subscription = None;
    scan.skip_ws();
    if scan.peek()? != b'}' {
        loop {
            scan.skip_ws();
            let key = scan.plain_string()?;
            scan.skip_ws();
            scan.expect(b':')?;
            scan.skip_ws();
            match key {
                "method" => {
                    if method.is_some() {
                        return None;
                    }
                    method = Some(scan.plain_string()?);
                }
                "params" => {
                    if params_seen {
                        return None;
                    }
                    params_seen = true;
                    subscription = scan.params()?;
                }
                // A response's members (and anything serde reads rather than skips) go to serde.
                "id" | "result" | "error" => return None,
                _ => scan.skip_value(1)?,
            }
            scan.skip_ws();
            match scan.next()? {
                b',' => {}
                b'}' => break,
                _ => return None,
            }
        }
    } else {
        scan.at += 1;
    }
    scan.skip_ws();
    if scan.at != scan.bytes.len() {
        return None;
    }
    Some((Cow::Borrowed(method?), subscription))
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

/// Eight copies of a byte.
const fn splat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

/// The position of the first byte of a string's text that ends a plain run: a quote, a
/// backslash or a control character (which JSON does not allow in strings), eight bytes at a
/// time.
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

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then_some(())
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// A string with no escape in it, as a slice of the text.
    fn plain_string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.at;
        let end = start + string_stop(self.bytes.get(start..)?)?;
        if self.bytes[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        self.text.get(start..end) // the ends are quotes: always on a character boundary
    }

    /// `params`: an object whose `subscription` (at most once) is an integer or a plain
    /// string; its other members are skipped. Returns the subscription, if any.
    fn params(&mut self) -> Option<Option<SubId>> {
        self.expect(b'{')?;
        let mut subscription = None;
        let mut seen = false;
        self.skip_ws();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(None);
        }
        loop {
            self.skip_ws();
            let key = self.plain_string()?;
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            if key == "subscription" {
                if seen {
                    return None;
                }
                seen = true;
                subscription = Some(self.subscription_id()?);
            } else {
                self.skip_value(2)?;
            }
            self.skip_ws();
            match self.next()? {
                b',' => {}
                b'}' => return Some(subscription),
                _ => return None,
            }
        }
    }

    /// An integer that fits `u64`, or a plain string.
    fn subscription_id(&mut self) -> Option<SubId> {
        if self.peek()? == b'"' {
            return Some(SubId::Str(self.plain_string()?.into()));
        }
        let start = self.at;
        while self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
            self.at += 1;
        }
        let digits = self.text.get(start..self.at)?;
        // A sign, a fraction or an exponent, a leading zero, or a number past u64: serde.
        if matches!(self.peek(), Some(b'.' | b'e' | b'E' | b'-' | b'+'))
            || (digits.len() > 1 && digits.starts_with('0'))
        {
            return None;
        }
        digits.parse().ok().map(SubId::Num)
    }

    /// Skips one value of any kind, checking it as serde does; `depth` is the nesting level
    /// of the value's container.
    fn skip_value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' | b'[' => self.skip_container(depth),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word).then(|| self.at = end)
    }

    /// A string: no control characters; escapes `\" \\ \/ \b \f \n \r \t` and `\u` with four
    /// hex digits (serde checks no more when it skips a string).
    fn skip_string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        loop {
            let rest = self.bytes.get(self.at..)?;
            let found = string_stop(rest)?;
            self.at += found + 1;
            match rest[found] {
                b'"' => return Some(()),
                b'\\' => {}
                _ => return None, // a control character
            }
            match self.next()? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                b'u' => {
                    let hex = self.bytes.get(self.at..self.at + 4)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    self.at += 4;
                }
                _ => return None,
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn skip_number(&mut self) -> Option<()> {
        if self.peek()? == b'-' {
            self.at += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.skip_digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.expect_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.expect_digits()?;
        }
        // A digit right after the number (`01`) is not JSON.
        if self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
            return None;
        }
        Some(())
    }

    fn skip_digits(&mut self) {
        while self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
            self.at += 1;
        }
    }

    fn expect_digits(&mut self) -> Option<()> {
        if !self.peek()?.is_ascii_digit() {
            return None;
        }
        self.skip_digits();
        Some(())
    }

    /// An object or array, with everything in it.
    fn skip_container(&mut self, depth: usize) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let close = if self.next()? == b'{' { b'}' } else { b']' };
        let object = close == b'}';
        self.skip_ws();
        if self.peek()? == close {
            self.at += 1;
            return Some(());
        }
        loop {
            self.skip_ws();
            if object {
                self.skip_string()?;
                self.skip_ws();
                self.expect(b':')?;
                self.skip_ws();
            }
            self.skip_value(depth + 1)?;
            self.skip_ws();
            match self.next()? {
                b',' => {}
                byte if byte == close => return Some(()),
                _ => return None,
            }
        }
    }
}
