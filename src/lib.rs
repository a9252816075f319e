//! subscope: watch blockchain JSON-RPC WebSocket subscriptions.
//!
//! ```text
//! UI (egui) ──Command──▶ backend (tokio: one actor per connection) ◀──▶ servers
//!     ▲                          │
//!     └── waker ◀── EventQueue ◀─┘  captured frames + control events
//! ```
//!
//! - [`protocol`] classifies frames with as little parsing as routing needs.
//! - [`backend`] runs the connections: JSON-RPC ids, subscription routing, keepalive,
//!   reconnect with re-subscribe; it never uses egui.
//! - [`capture`] holds captured events under the user's memory cap.
//! - [`catalog`] describes every method as a validated form and summarizes notifications.
//! - [`compare`] matches the items of one subscription sent on several endpoints.
//! - [`decode`] says what a frame means: Ethereum events and calls by ABI, Solana log trees,
//!   `jsonParsed` accounts.
//! - [`demo`] is the offline demo server (also the test bed for faults).
//! - [`export`] writes and reads captures (JSON / NDJSON, and reads HAR); [`record`] runs
//!   connections headless into a file; [`replay`] serves a capture as a live endpoint;
//!   [`files`] keeps the recent files and where file dialogs start.
//! - [`commands`] holds the binary's verbs (`record`, `compare`, `show`, `replay`,
//!   `demo-server`, `methods`), one file each, on the engines above.

#[cfg(feature = "gui")]
pub mod app;
pub mod backend;
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
pub mod protocol;
pub mod record;
pub mod redact;
pub mod replay;
pub mod row;
pub mod session;
pub mod settings;
mod signal;
#[cfg(feature = "gui")]
pub mod ui;
