//! Replacing a secret inside a JSON frame's strings only, so the frame stays valid JSON of the
//! same shape ([`super::Secrets::scrub_frame`]).

use std::ops::Range;

use super::MASK;

/// Replaces every occurrence of `secret` that lies inside one of the strings of `json` (a
/// valid JSON text), with [`MASK`]. An occurrence that starts inside an escape sequence
/// (`\u0041…`) is left: replacing it would cut the escape. `secret` is matched as written in
/// the frame, so one holding `"`, `\` or a control character (which JSON escapes) is never
/// found. `None` when nothing was replaced.
pub(super) fn replace_in_strings(json: &str, secret: &str) -> Option<String> {
    if secret.is_empty() || secret.bytes().any(|byte| byte == b'"' || byte == b'\\' || byte < 0x20) {
        return None;
    }
    let finder = memchr::memmem::Finder::new(secret.as_bytes());
    let mut out: Option<String> = None;
    let mut copied = 0;
    for contents in string_contents(json.as_bytes()) {
        let bytes = &json.as_bytes()[contents.clone()];
        let mut from = 0;
        while let Some(at) = finder.find(&bytes[from..]).map(|at| from + at) {
            if starts_inside_escape(bytes, at) {
                from = at + 1;
                continue;
            }
            let (start, end) = (contents.start + at, contents.start + at + secret.len());
            let out = out.get_or_insert_with(|| String::with_capacity(json.len()));
            out.push_str(&json[copied..start]);
            out.push_str(MASK);
            copied = end;
            from = at + secret.len();
        }
    }
    out.map(|mut out| {
        out.push_str(&json[copied..]);
        out
    })
}

/// The byte ranges of the contents (between the quotes) of every string in a valid JSON text,
/// object keys included, in order.
fn string_contents(json: &[u8]) -> Vec<Range<usize>> {
    let mut strings = Vec::new();
    let mut at = 0;
    while let Some(open) = memchr::memchr(b'"', &json[at..]).map(|found| at + found) {
        // Outside strings a quote always opens one; inside, only an unescaped quote closes it.
        let mut end = open + 1;
        while end < json.len() && json[end] != b'"' {
            end += if json[end] == b'\\' { 2 } else { 1 };
        }
        let end = end.min(json.len());
        strings.push(open + 1..end);
        at = end + 1;
        if at >= json.len() {
            break;
        }
    }
    strings
}

/// Whether byte `at` of a string's contents lies inside an escape sequence, after its `\`.
fn starts_inside_escape(contents: &[u8], at: usize) -> bool {
    let mut index = 0;
    while index < at {
        if contents[index] == b'\\' {
            let len = if contents.get(index + 1) == Some(&b'u') { 6 } else { 2 };
            if at < index + len {
                return true;
            }
            index += len;
        } else {
            index += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_string_contents_change() {
        let secret = "Ab12Cd34Ef56Gh78";
        let frame =
            format!(r#"{{"{secret}":1,"error":{{"message":"bad key {secret}, again {secret}"}},"n":12}}"#);
        let scrubbed = replace_in_strings(&frame, secret).unwrap();
        assert_eq!(scrubbed, r#"{"***":1,"error":{"message":"bad key ***, again ***"},"n":12}"#);
    }

    #[test]
    fn escapes_are_never_cut() {
        // `\u0041` then the secret's tail: the match starting at `0041…` is inside the escape.
        let frame = r#"{"m":"\u0041B12cd34ef56gh","o":"\\0041B12cd34ef56gh"}"#;
        let scrubbed = replace_in_strings(frame, "0041B12cd34ef56gh").unwrap();
        assert_eq!(scrubbed, r#"{"m":"\u0041B12cd34ef56gh","o":"\\***"}"#);
        assert!(serde_json::from_str::<serde_json::Value>(&scrubbed).is_ok());
    }

    #[test]
    fn a_secret_json_would_escape_is_never_found() {
        assert_eq!(replace_in_strings(r#"{"m":"a\"b"}"#, "a\"b"), None);
    }

    #[test]
    fn string_contents_skip_escaped_quotes() {
        let json = br#"["a\"b", "", "c\\"]"#;
        let found: Vec<&[u8]> = string_contents(json).into_iter().map(|range| &json[range]).collect();
        assert_eq!(found, [&br#"a\"b"#[..], b"", br"c\\"]);
    }
}
