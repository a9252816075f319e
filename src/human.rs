//! Numbers, times and identifiers as people read them, shared by every front end (the
//! window's table and `subscope show` print the same text).

/// A byte count for people: `512 B`, `12.3 KiB`, `1.2 MiB`, `1.00 GiB`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let digits = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.digits$} {}", UNITS[unit])
}

/// A count with thousands separators: `1,234,567`.
pub fn format_count(count: u64) -> String {
    group_thousands(&count.to_string())
}

/// Decimal digits (of any length) with a comma every three from the right: `1,234,567`.
pub fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The UTC time of day of `ms` since the epoch: `08:19:00.123`.
pub fn time_of_day(ms: u64) -> String {
    let secs = ms / 1000;
    format!("{:02}:{:02}:{:02}.{:03}", secs / 3600 % 24, secs / 60 % 60, secs % 60, ms % 1000)
}

/// Shortens a long identifier (a pubkey, a hash) to its head and tail: `4Nd1…Xx9a`.
pub fn shorten(text: &str, keep: usize) -> String {
    if text.is_ascii() {
        // Signatures, hashes and pubkeys: a byte is a character.
        if text.len() <= keep * 2 + 1 {
            return text.to_owned();
        }
        let mut short = String::with_capacity(keep * 2 + 3);
        short.push_str(&text[..keep]);
        short.push('…');
        short.push_str(&text[text.len() - keep..]);
        return short;
    }
    let count = text.chars().count();
    if count <= keep * 2 + 1 {
        return text.to_owned();
    }
    let head: String = text.chars().take(keep).collect();
    let tail: String = text.chars().skip(count - keep).collect();
    format!("{head}…{tail}")
}

/// Cuts text to at most `max` characters, with an ellipsis when it was cut.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// The start of a text a person typed or pasted, to quote in a message: at most `max`
/// characters, on one line (control characters become spaces), with an ellipsis when cut.
/// A pasted body can be 100 KB; a message quotes enough of it to recognise it.
pub fn excerpt(text: &str, max: usize) -> String {
    let head: String = text.chars().take(max + 1).map(|c| if c.is_control() { ' ' } else { c }).collect();
    truncate(&head, max)
}

/// A count and its noun, in the singular for exactly one: `1 event`, `0 events`, `2 events`.
/// Both forms are given (`"entry", "entries"`), so no spelling rule is guessed.
pub fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_times_and_ids_read_as_the_table_shows_them() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(1536), "1.50 KiB");
        assert_eq!(format_bytes(300 << 20), "300 MiB");
        assert_eq!(format_count(1_234_567), "1,234,567");
        assert_eq!(format_count(999), "999");
        assert_eq!(time_of_day(86_400_000 + 3_723_004), "01:02:03.004");
        assert_eq!(shorten("11111111111111111111111111111111", 4), "1111…1111");
        assert_eq!(shorten("short", 4), "short");
        // One character either way: ASCII is cut by bytes, the rest by characters.
        assert_eq!(shorten("ab\u{e9}defghij", 3), "ab\u{e9}…hij");
        assert_eq!(shorten("abcdefg", 3), "abcdefg");
        assert_eq!(shorten("abcdefgh", 3), "abc…fgh");
        assert_eq!(truncate("abcdef", 3), "abc…");
        assert_eq!(truncate("abc", 3), "abc");
    }

    #[test]
    fn a_quoted_paste_stays_short_and_on_one_line() {
        assert_eq!(excerpt(&"x".repeat(120_000), 5), "xxxxx…");
        assert_eq!(excerpt("{\n\"a\":1}", 60), "{ \"a\":1}");
    }

    #[test]
    fn one_of_a_thing_is_singular() {
        assert_eq!(plural(1, "event", "events"), "1 event");
        assert_eq!(plural(0, "event", "events"), "0 events");
        assert_eq!(plural(2, "entry", "entries"), "2 entries");
    }
}
