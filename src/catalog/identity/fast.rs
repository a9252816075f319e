//! The item identity's fast path: the frame read in one pass by the scanner's steps
//! ([`Walk`]), each byte once, picking the members [`Fields`] holds and checking everything
//! else as serde would. It answers only where it reads the frame exactly as the serde reader
//! does: an escape in a string it reads, a member read twice, a number that is not plain
//! digits, a value of another type than the field's, or nesting past the scanner's limit give
//! `None`, and [`super::item_key`] asks serde, which decides.

use std::borrow::Cow;

use serde::de::IgnoredAny;

use super::{Context, Fields, ResultField, Transaction, ValueField, ValueFields};
use crate::protocol::scan::Walk;

/// The deepest result object read here: deeper ones (a `value` in a `value` …) go to serde.
const MAX_DEPTH: usize = 64;

/// A value read, and the position after it.
type Read<T> = Option<(T, usize)>;

/// The method and result of a notification frame: `Some(None)` when it has none of them
/// (serde would read no key either), `None` to let serde decide.
pub(super) fn read(raw: &str) -> Option<Option<(&str, ResultField<'_>)>> {
    let walk = Walk::new(raw);
    let (mut method, mut result, mut seen) = (None, None, 0);
    let end = walk.members(walk.ws(0), |name, at| match name {
        "method" => {
            once(&mut seen, 0)?;
            let (text, end) = nullable(walk, at, |at| walk.string(at))?;
            method = text;
            Some(end)
        }
        "params" => {
            once(&mut seen, 1)?;
            match walk.literal(at, "null") {
                Some(end) => Some(end),
                None => params(walk, at, &mut result),
            }
        }
        _ => walk.skip(at, 1),
    })?;
    if !walk.ends_at(end) {
        return None;
    }
    Some(method.zip(result))
}

/// `params`: its `result`, when there is one, read into `result` (an object in place: it is
/// the biggest thing read, and moving it costs more than reading it).
fn params<'a>(walk: Walk<'a>, at: usize, result: &mut Option<ResultField<'a>>) -> Option<usize> {
    let mut seen = 0;
    walk.members(at, |name, at| {
        if name != "result" {
            return walk.skip(at, 2);
        }
        once(&mut seen, 0)?;
        result_into(walk, at, result)
    })
}

/// The value of `params.result` at `at` (in a frame's `params`, nested 2 deep), read into
/// `result`; the position after it.
pub(super) fn result_into<'a>(
    walk: Walk<'a>,
    at: usize,
    result: &mut Option<ResultField<'a>>,
) -> Option<usize> {
    match walk.byte(at)? {
        b'{' => {
            let fields = match result.insert(ResultField::Fields(Fields::default())) {
                ResultField::Fields(fields) => fields,
                _ => return None,
            };
            fields_into(walk, at, 3, fields)
        }
        _ => {
            let (read, end) = nullable(walk, at, |at| match walk.byte(at)? {
                b'"' => walk.string(at).map(|(text, end)| (ResultField::Text(Cow::Borrowed(text)), end)),
                b'f' => walk.literal(at, "false").map(|end| (ResultField::False, end)),
                _ => walk.number(at).map(|(height, end)| (ResultField::Height(height), end)),
            })?;
            *result = read;
            Some(end)
        }
    }
}

/// `Some((None, after))` for `null`, what `read` reads otherwise.
fn nullable<'a, T>(walk: Walk<'a>, at: usize, read: impl FnOnce(usize) -> Read<T>) -> Read<Option<T>> {
    if let Some(end) = walk.literal(at, "null") {
        return Some((None, end));
    }
    read(at).map(|(value, end)| (Some(value), end))
}

/// Reads a member once: a second one is serde's to refuse.
fn once(seen: &mut u32, bit: u32) -> Option<()> {
    let first = *seen & (1 << bit) == 0;
    *seen |= 1 << bit;
    first.then_some(())
}

/// An object nested `depth` deep whose one member of interest is `wanted`, read by `read`.
fn one<'a, T>(
    walk: Walk<'a>,
    at: usize,
    depth: usize,
    wanted: &str,
    read: impl Fn(usize) -> Read<Option<T>>,
) -> Read<Option<T>> {
    let (mut found, mut seen) = (None, 0);
    let end = walk.members(at, |name, at| {
        if name != wanted {
            return walk.skip(at, depth);
        }
        once(&mut seen, 0)?;
        let (value, end) = read(at)?;
        found = value;
        Some(end)
    })?;
    Some((found, end))
}

/// A result object (or a Solana `value` in one) nested `depth` deep (the frame is 1), read
/// into `read`.
fn fields_into<'a>(walk: Walk<'a>, at: usize, depth: usize, read: &mut Fields<'a>) -> Option<usize> {
    if depth >= MAX_DEPTH {
        return None; // serde refuses deep nesting; the scanner leaves it to serde
    }
    let mut seen = 0;
    let text = |at| nullable(walk, at, |at| walk.string(at).map(|(text, end)| (Cow::Borrowed(text), end)));
    let number = |at| nullable(walk, at, |at| walk.number(at));
    let present = |at| nullable(walk, at, |at| walk.skip(at, depth).map(|end| (IgnoredAny, end)));
    walk.members(at, |name, at| {
        let (bit, end) = match name {
            "context" => {
                let context = nullable(walk, at, |at| {
                    let (slot, end) = one(walk, at, depth + 1, "slot", number)?;
                    Some((Context { slot }, end))
                })?;
                (0, assign(&mut read.context, context))
            }
            "value" => {
                let (value, end) = nullable(walk, at, |at| match walk.byte(at)? {
                    b'"' => walk.string(at).map(|(text, end)| (ValueField::Text(Cow::Borrowed(text)), end)),
                    b'{' => {
                        let mut inner = ValueFields::default();
                        let end = value_into(walk, at, depth + 1, &mut inner)?;
                        Some((ValueField::Fields(inner), end))
                    }
                    _ => walk.skip(at, depth).map(|end| (ValueField::Other, end)),
                })?;
                read.value = value;
                (1, end)
            }
            "slot" => (2, assign(&mut read.slot, number(at)?)),
            "type" => (3, assign(&mut read.kind, text(at)?)),
            "signature" => (4, assign(&mut read.signature, text(at)?)),
            "pubkey" => (5, assign(&mut read.pubkey, text(at)?)),
            "hash" => (6, assign(&mut read.hash, text(at)?)),
            "number" => (7, assign(&mut read.number, text(at)?)),
            "parentHash" => (8, assign(&mut read.parent_hash, present(at)?)),
            "topics" => (9, assign(&mut read.topics, present(at)?)),
            "blockHash" => (10, assign(&mut read.block_hash, text(at)?)),
            "transactionHash" => (11, assign(&mut read.transaction_hash, text(at)?)),
            "logIndex" => (12, assign(&mut read.log_index, text(at)?)),
            "removed" => {
                let removed = nullable(walk, at, |at| {
                    let yes = walk.literal(at, "true").map(|end| (true, end));
                    yes.or_else(|| walk.literal(at, "false").map(|end| (false, end)))
                })?;
                (13, assign(&mut read.removed, removed))
            }
            "transaction" => {
                let transaction = nullable(walk, at, |at| {
                    let (hash, end) = one(walk, at, depth + 1, "hash", text)?;
                    Some((Transaction { hash }, end))
                })?;
                (14, assign(&mut read.transaction, transaction))
            }
            _ => return walk.skip(at, depth),
        };
        once(&mut seen, bit)?;
        Some(end)
    })
}

/// A Solana `value` object nested `depth` deep, read into `read`.
fn value_into<'a>(walk: Walk<'a>, at: usize, depth: usize, read: &mut ValueFields<'a>) -> Option<usize> {
    if depth >= MAX_DEPTH {
        return None; // as in `fields_into`
    }
    let mut seen = 0;
    let text = |at| nullable(walk, at, |at| walk.string(at).map(|(text, end)| (Cow::Borrowed(text), end)));
    walk.members(at, |name, at| {
        let (bit, end) = match name {
            "slot" => (0, assign(&mut read.slot, nullable(walk, at, |at| walk.number(at))?)),
            "signature" => (1, assign(&mut read.signature, text(at)?)),
            "pubkey" => (2, assign(&mut read.pubkey, text(at)?)),
            _ => return walk.skip(at, depth),
        };
        once(&mut seen, bit)?;
        Some(end)
    })
}

/// Stores a member read and gives the position after it.
fn assign<T>(field: &mut Option<T>, (value, end): (Option<T>, usize)) -> usize {
    *field = value;
    end
}
