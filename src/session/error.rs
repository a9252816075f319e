//! What went wrong in the session, as data; its text is made where it is shown.

use super::endpoint::ConnectBlocker;
use crate::backend::{BackendError, CommandError};
use crate::catalog::FieldError;

/// Why a verb of the session, or a command it sent, failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// No endpoint at that index.
    #[error("no such endpoint")]
    NoSuchEndpoint,
    /// The endpoint cannot connect as it is set up.
    #[error(transparent)]
    Blocked(#[from] ConnectBlocker),
    /// A key pasted into a URL is not the one in the endpoint's key field.
    #[error(
        "This URL holds another key than the API key field, and an endpoint has one key: put \
         {{api_key}} where the key goes, or clear the API key field first."
    )]
    TwoKeys,
    /// The connect command was not sent.
    #[error("Could not connect: {0}")]
    Connect(BackendError),
    /// The disconnect command was not sent.
    #[error("Could not disconnect: {0}")]
    Disconnect(BackendError),
    /// The retry command was not sent.
    #[error("Could not retry: {0}")]
    Retry(BackendError),
    /// The subscribe command was not sent.
    #[error("Could not subscribe: {0}")]
    Subscribe(BackendError),
    /// A subscription's recovery setting was not sent.
    #[error("Could not change the recovery of missed events: {0}")]
    Backfill(BackendError),
    /// A one-off request was not sent.
    #[error("Could not send: {0}")]
    Request(BackendError),
    /// The new cap was not sent to the backend (the session's own share changed).
    #[error("Could not change the cap: {0}")]
    SetLimits(BackendError),
    /// A saved form no longer builds (it is from an older catalogue); what is wrong with it.
    #[error("A saved subscription was not sent: {}", .0.first().map_or("", |err| err.message.as_str()))]
    SavedDraft(Vec<FieldError>),
    /// The backend could not carry out a command.
    #[error(transparent)]
    Command(#[from] CommandError),
}
