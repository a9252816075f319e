//! subscope: watch blockchain JSON-RPC WebSocket subscriptions.
//!
//! ```text
//! window (app, ui) ──┐                 ┌─ verbs ─▶ Command ─▶ backend (tokio: one actor
//! commands (record,  ├─▶ session ──────┤                      per connection) ◀──▶ servers
//!   compare, …)   ───┘  (no egui)      └─ step/take ◀── EventQueue ◀── frames + events
//!                         ▲                                  │
//!                         └────────── waker (a repaint) ◀────┘
//! ```
//!
//! Each module uses only the ones below it in this list's layers (`tests/architecture.rs`):
//!
//! - The front ends: `app` and `ui` (the window, with the `gui` feature) and [`commands`],
//!   the binary's verbs (`record`, `compare`, `show`, `replay`, `demo-server`, `methods`,
//!   `monitor`), one file each.
//! - The engines they drive: [`record`] runs connections headless into a file; [`monitor`]
//!   runs a [`workspace`] for as long as it is left running and serves Prometheus metrics;
//!   [`compare`] matches the items of one subscription sent on several endpoints; [`replay`]
//!   serves a capture as a live endpoint; [`demo`] is the offline demo server (also the test bed for
//!   faults); [`audit`] holds a capture against the chain (what each subscription should
//!   have delivered over the span it covered).
//! - [`session`]: endpoints and subscriptions as the user set them up and as they live, the
//!   live capture view, and the verbs both front ends use.
//! - [`backend`] runs the connections: JSON-RPC ids, subscription routing, keepalive,
//!   reconnect with re-subscribe; it never uses egui.
//! - [`backfill`] recovers what a subscription missed during a gap over HTTP, per kind.
//! - [`rpc`] calls an endpoint's HTTP JSON-RPC side (rate limits retried, `eth_getLogs`
//!   ranges split), the ground for recovering what a connection missed; [`backoff`] spaces
//!   the tries of both sides.
//! - Below them all: [`protocol`] classifies frames with as little parsing as routing needs
//!   and reads typed requests; [`capture`] holds captured events under the user's memory cap;
//!   [`catalog`] describes every method (validated forms, the payload its notifications
//!   carry, summaries); [`decode`] says what a frame means (Ethereum events and calls by ABI,
//!   Solana log trees, `jsonParsed` accounts); [`export`] writes and reads captures (JSON /
//!   NDJSON, and reads HAR); [`redact`] keeps keys out of everything shown or written;
//!   [`workspace`] is the file of endpoints, subscriptions and comparisons the window saves
//!   and `monitor` runs; [`files`] keeps the recent files and where file dialogs start.

#[cfg(feature = "gui")]
pub mod app;
pub mod audit;
pub mod backend;
pub mod backfill;
pub mod backoff;
pub mod capture;
pub mod catalog;
pub mod commands;
pub mod compare;
pub mod decode;
pub mod demo;
pub mod export;
pub mod files;
pub mod filter;
pub mod human;
mod loopback;
pub mod monitor;
pub mod protocol;
pub mod record;
pub mod redact;
pub mod replay;
pub mod row;
pub mod rpc;
pub mod session;
pub mod settings;
mod signal;
#[cfg(feature = "gui")]
pub mod ui;
pub mod workspace;
