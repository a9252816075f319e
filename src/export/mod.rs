//! Captures as files: NDJSON (one event per line) and JSON (an array of the same events),
//! written safely and read back exactly.
//!
//! A capture file is a sequence of events, each a JSON object that says when a frame was
//! received (or sent), on which connection and subscription, what kind it is, and the
//! frame itself, as received. Endpoints are always redacted: no API key reaches a file.
//!
//! The parts:
//!
//! - `format`: the definition of the event format: [`FORMAT_VERSION`], the
//!   table of [`fields`], [`subscription_fields`] and [`source_fields`] (name, order, whether an import reads
//!   it), the rule for `frame` against `frame_text`, and the context that names
//!   connections and subscriptions ([`CaptureContext`]);
//! - `writer`: [`EventWriter`], which renders events by hand (itoa, a per-second clock,
//!   cached connection and subscription members) in the table's order, with the table's
//!   names;
//! - `reader`: [`import_file`] and its kin, serde over a stream, bounded by
//!   [`ImportOptions`]; the same entry point reads HAR files (`har`: WebSocket entries as
//!   connections, their `_webSocketMessages` as events, subscriptions rebuilt);
//! - `safe_write`: [`write_atomically`] and [`export_to_file`] (temporary file, sync,
//!   rename) and the [`Progress`] an export or import reports to a UI.
//!
//! One definition, two followers. The writer renders by hand for speed, and serde's `rename`
//! cannot take a `const`, so the field table in `format` is the single source and each side
//! is held to it rather than generated from it: the writer
//! takes every name from the table's `prefix` constants, and the reader's serde structs
//! keep their field names, which `tests.rs` checks against the table both ways: every
//! member the writer renders, for an event of every shape and in every format, is in the
//! table and in its order, and every field of the table is rendered by some event; the names
//! serde matches (recorded from the derive itself) are exactly the table's fields that are
//! read back. A field added on one side only fails those tests.

mod format;
mod har;
mod har_write;
mod reader;
mod safe_write;
#[cfg(test)]
mod tests;
mod writer;

pub use format::{
    CaptureContext, ConnectionInfo, FORMAT_VERSION, Field, Format, SubscriptionInfo, fields, iso8601,
    source_fields, subscription_fields,
};
pub use reader::{
    EachEvent, ImportError, ImportOptions, Imported, import_file, import_file_each, import_reader,
    import_reader_with,
};
pub use safe_write::{ExportError, Progress, export_to_file, write_atomically};
pub use writer::EventWriter;
