//! A subscription as the user set it up (its form, its endpoint, whether to restore it) and
//! as it lives (its connection, local key and state).

use std::fmt;

use crate::backend::BackendError;
use crate::backfill::Unrecoverable;
use crate::capture::{ConnId, SubKey};
use crate::catalog::Draft;
use crate::protocol::{RpcError, SubId};

/// Where a subscription stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubState {
    /// Sent (or waiting for its connection to open); no answer yet.
    Pending,
    /// Active under this server id.
    Active(SubId),
    /// It failed for good: refused, or its unsubscribe was.
    Failed(SubFailure),
    /// The server refused its re-subscribe for a passing reason; it is sent again soon.
    Retrying {
        /// The refusal (secrets removed by the backend).
        error: RpcError,
        /// When it is sent again, ms since the epoch.
        retry_at_ms: u64,
    },
    /// Unsubscribe sent, not answered yet.
    Unsubscribing,
    /// It ended.
    Ended(Ending),
}

impl SubState {
    /// Whether notifications may still arrive.
    pub fn is_live(&self) -> bool {
        matches!(self, Self::Pending | Self::Active(_) | Self::Unsubscribing | Self::Retrying { .. })
    }
}

/// Whether the notifications a subscription misses while its connection is down are
/// recovered afterwards over the endpoint's HTTP JSON-RPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backfill {
    /// They are recovered.
    On,
    /// The user turned it off.
    Off,
    /// Its kind cannot be recovered, for this reason.
    Impossible(Unrecoverable),
}

impl Backfill {
    /// What `plan_for` says of a subscription, with the user's choice where it can be made.
    pub fn of(method: &str, params: Option<&serde_json::Value>, on: bool) -> Self {
        match crate::backfill::plan_for(method, params) {
            Ok(_) if on => Self::On,
            Ok(_) => Self::Off,
            Err(reason) => Self::Impossible(reason),
        }
    }
}

/// Why a subscription failed. Server text in it had its secrets removed by the backend.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubFailure {
    /// The server refused the subscribe.
    #[error("{0}")]
    Refused(RpcError),
    /// The server refused the unsubscribe.
    #[error("unsubscribe refused: {0}")]
    UnsubscribeRefused(RpcError),
    /// The unsubscribe could not be sent.
    #[error("could not unsubscribe: {0}")]
    UnsubscribeNotSent(BackendError),
}

/// How a subscription ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The user unsubscribed and the server agreed; `was_active` is false when it answered
    /// that the subscription was not active (any more).
    Unsubscribed {
        /// Whether the server said it was active.
        was_active: bool,
    },
    /// The server ended it after its final notification (a signature subscription).
    Completed,
    /// Its connection closed.
    ConnectionClosed,
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unsubscribed { was_active: true } => "unsubscribed",
            Self::Unsubscribed { was_active: false } => "unsubscribed (the server said it was not active)",
            Self::Completed => "completed by the server",
            Self::ConnectionClosed => "connection closed",
        })
    }
}

/// One subscription as the list shows it.
#[derive(Clone, Debug)]
pub struct Subscription {
    /// Its connection.
    pub conn: ConnId,
    /// Its local key.
    pub sub: SubKey,
    /// The subscribe method (`logsSubscribe`, `eth_subscribe`).
    pub method: String,
    /// A short description (method label and main parameter).
    pub title: String,
    /// The connection's label.
    pub conn_label: String,
    /// Its state.
    pub state: SubState,
    /// How many times it was re-subscribed after a reconnect.
    pub resubscribed: u32,
    /// The form it was built from, to edit and send again.
    pub draft: Option<Draft>,
    /// The endpoint (its stable id) it was sent on.
    pub endpoint: u64,
    /// Whether it is part of what the user set up: saved, and sent again when its endpoint
    /// connects. Cleared when the user unsubscribes or disconnects, when the server refuses
    /// it, or when it completes (a signature subscription).
    pub restore: bool,
    /// Whether what it misses during a reconnect is recovered (its form keeps the choice).
    pub backfill: Backfill,
}
