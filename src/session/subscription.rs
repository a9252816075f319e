//! A subscription as the user set it up (its form, its endpoint, whether to restore it) and
//! as it lives (its connection, local key and state).

use crate::capture::{ConnId, SubKey};
use crate::catalog::Draft;
use crate::protocol::SubId;

/// Where a subscription stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubState {
    /// Sent (or waiting for its connection to open); no answer yet.
    Pending,
    /// Active under this server id.
    Active(SubId),
    /// The server refused it.
    Failed(String),
    /// The server refused its re-subscribe for a passing reason; it is sent again soon.
    Retrying(String),
    /// Unsubscribe sent, not answered yet.
    Unsubscribing,
    /// It ended (unsubscribed, completed, or its connection closed).
    Ended(String),
}

impl SubState {
    /// Whether notifications may still arrive.
    pub fn is_live(&self) -> bool {
        matches!(self, Self::Pending | Self::Active(_) | Self::Unsubscribing | Self::Retrying(_))
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
}
