//! What a front end shows besides the model: what the session reports, and lines of text.

use super::SessionError;
use crate::backend::RequestKey;
use crate::protocol::RpcError;

/// Something a front end should show that is not part of the model.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// A one-off request was answered (its raw result) or failed.
    Response {
        /// Which request.
        request: RequestKey,
        /// The raw result, or the error.
        result: Result<String, RpcError>,
    },
    /// Something failed that belongs to no endpoint or subscription.
    Error(SessionError),
}

/// A line for the user: news, or what failed. The text is made by whoever shows it (the
/// status bar, an endpoint's key field, the export dialog).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// Something done, or worth knowing.
    News(String),
    /// Something that failed.
    Failure(String),
}

impl Message {
    /// Its text.
    pub fn text(&self) -> &str {
        match self {
            Self::News(text) | Self::Failure(text) => text,
        }
    }

    /// Whether it says that something failed.
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Failure(_))
    }
}
