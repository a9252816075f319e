//! An endpoint as the user set it up (what is saved), with its key as plain data (the app
//! finds and stores keys) and how its connection is doing.

use super::{Message, SessionError};
use crate::backend::ConnState;
use crate::capture::ConnId;
use crate::catalog::{Chain, Draft, Preset};
use crate::redact::{API_KEY_PLACEHOLDER, MASK, lost_its_key, redact_url};
use crate::settings::API_KEY_ENV;

/// A time without data while a connection was being restored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GapSpan {
    /// When it was lost, ms since the epoch.
    pub lost_at_ms: u64,
    /// When it was open again, ms since the epoch.
    pub restored_at_ms: u64,
}

/// Where an endpoint's API key came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeySource {
    /// No key.
    #[default]
    None,
    /// Typed or pasted since the app started.
    Typed,
    /// Read from the endpoint's own entry in the OS keychain.
    Keychain,
    /// Read from the `SUBSCOPE_API_KEY` environment variable (the endpoint has no key of its
    /// own).
    Env,
}

/// Where the endpoint's keychain lookup stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum KeychainLookup {
    /// Not asked (the endpoint needs no key, or the keychain is off).
    #[default]
    NotAsked,
    /// Asked; connecting waits for the answer.
    Asking,
    /// Answered (with or without a key).
    Answered,
    /// Locked, or the unlock prompt was dismissed: it can be asked again.
    Locked(String),
    /// No keychain on this system.
    Unavailable(String),
}

/// One endpoint row: what the user set up, and how its connection is doing.
#[derive(Clone, Default)]
pub struct Endpoint {
    /// A stable id (persisted; names the endpoint's keychain entry).
    pub id: u64,
    /// The user's name for it (also the connection's label).
    pub label: String,
    /// The preset it came from, by name; empty for a typed URL.
    pub preset: String,
    /// The URL template; `{api_key}` marks where the key goes.
    pub url: String,
    /// The HTTP JSON-RPC URL template missed notifications are recovered over (the same
    /// `{api_key}` and key); empty: derived from `url` ([`Self::derived_rpc_url`]).
    pub rpc_url: String,
    /// The API key, held in memory only.
    pub api_key: String,
    /// Where the key came from.
    pub key_source: KeySource,
    /// The endpoint's keychain lookup.
    pub keychain: KeychainLookup,
    /// The last keychain result to show next to the key field.
    pub key_note: Option<Message>,
    /// Whether the key is shown in clear.
    pub reveal_key: bool,
    /// Whether the user wants it connected: set by Connect, cleared by Disconnect. Saved, so
    /// an endpoint whose start failed (node down, key missing) connects again next time.
    pub keep_connected: bool,
    /// Subscriptions set up on it that are not sent yet (restored from the settings, or kept
    /// from a start that failed); sent when it connects, saved until then.
    pub restore: Vec<Draft>,
    /// The backend connection, once connected.
    pub conn: Option<ConnId>,
    /// The connection's last reported state.
    pub state: Option<ConnState>,
    /// The last error for this endpoint (a refused connect, a failed command).
    pub error: Option<SessionError>,
    /// The last reconnect's gap: when the connection was lost and when it was back.
    pub gap: Option<GapSpan>,
    /// Time between keepalive pings, when not the default (`record --ping-interval`).
    pub ping_interval: Option<std::time::Duration>,
    /// The chain it serves: from its preset, the user, or the first notification; `None`
    /// while unknown (the composer then offers every method).
    pub chain: Option<Chain>,
    /// Which chain of that kind, learnt when its connection opened (the window asks
    /// `getGenesisHash` or `eth_chainId`): `None` until answered, or when it cannot say.
    pub identity: Option<String>,
    /// Extra handshake headers (name, value); `{api_key}` in a value is replaced by the key.
    pub headers: Vec<(String, String)>,
    /// Made by the window for this run only (a replay it serves): never saved.
    pub transient: bool,
    /// Whether missed notifications are left unrecovered on every subscription of it
    /// (`record --no-backfill`).
    pub backfill_off: bool,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("id", &self.id)
            .field("label", &self.label)
            .field("url", &self.display_url())
            .field("rpc_url", &redact_url(&self.rpc_url))
            .field("api_key", &if self.api_key.is_empty() { "" } else { crate::redact::MASK })
            .field("key_source", &self.key_source)
            .field("keychain", &self.keychain)
            .field("keep_connected", &self.keep_connected)
            .field("restore", &self.restore.len())
            .field("conn", &self.conn)
            .field("state", &self.state)
            .field("error", &self.error)
            .field("chain", &self.chain)
            .field("identity", &self.identity)
            .field("headers", &self.headers.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// A new endpoint from a preset.
    pub fn from_preset(id: u64, preset: &Preset) -> Self {
        Self {
            id,
            label: preset.name.to_owned(),
            preset: preset.name.to_owned(),
            url: preset.url_template.to_owned(),
            chain: preset.chain,
            ..Self::default()
        }
    }

    /// Whether the URL, the RPC URL or a header value has a place for an API key.
    pub fn needs_key(&self) -> bool {
        self.url.contains(API_KEY_PLACEHOLDER)
            || self.rpc_url.contains(API_KEY_PLACEHOLDER)
            || self.headers.iter().any(|(_, value)| value.contains(API_KEY_PLACEHOLDER))
    }

    /// The headers to send: those with a name (a row being typed may have none yet).
    pub fn headers_to_send(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter(|(name, _)| !name.trim().is_empty())
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
            .collect()
    }

    /// Whether a connection exists that is not closed (connecting, open or reconnecting).
    pub fn is_live(&self) -> bool {
        self.conn.is_some() && !matches!(self.state, Some(ConnState::Closed { .. }))
    }

    /// Whether the connection is open.
    pub fn is_open(&self) -> bool {
        self.conn.is_some() && self.state == Some(ConnState::Open)
    }

    /// The URL as it may be shown.
    pub fn display_url(&self) -> String {
        redact_url(&self.url)
    }

    /// One of its URLs, to edit.
    pub fn url_mut(&mut self, field: UrlField) -> &mut String {
        match field {
            UrlField::WebSocket => &mut self.url,
            UrlField::Rpc => &mut self.rpc_url,
        }
    }

    /// The HTTP JSON-RPC URL to connect with: the one set, or `None` to derive it.
    pub fn rpc_url_to_send(&self) -> Option<String> {
        let url = self.rpc_url.trim();
        (!url.is_empty()).then(|| url.to_owned())
    }

    /// Where missed notifications are recovered from when no RPC URL is set, as it may be
    /// shown (redacted); `None` when none can be derived from the URL.
    pub fn derived_rpc_url(&self) -> Option<String> {
        if crate::catalog::demo_query(&self.url).is_some() {
            return Some("the demo server's own port".to_owned());
        }
        crate::rpc::rpc_url_for(&self.url).map(|url| redact_url(&url))
    }

    /// Why it cannot connect yet; `None` when it can.
    pub fn connect_blocker(&self) -> Option<ConnectBlocker> {
        if self.url.trim().is_empty() {
            return Some(ConnectBlocker::NoUrl);
        }
        if lost_its_key(&self.url) {
            return Some(ConnectBlocker::KeyRemoved);
        }
        if let Some(problem) = rpc_url_problem(&self.rpc_url) {
            return Some(ConnectBlocker::RpcUrl(problem));
        }
        for (name, value) in &self.headers {
            if let Some(problem) = header_problem(name, value) {
                return Some(ConnectBlocker::Header(problem));
            }
        }
        if self.needs_key() && self.api_key.trim().is_empty() {
            return Some(ConnectBlocker::NeedsKey);
        }
        None
    }

    /// A one-line state for lists elsewhere ("open", "closed"…).
    pub fn state_word(&self) -> &'static str {
        match (&self.conn, &self.state) {
            (None, _) | (Some(_), Some(ConnState::Closed { .. })) => "closed",
            (Some(_), None | Some(ConnState::Connecting { .. })) => "connecting",
            (Some(_), Some(ConnState::Open)) => "open",
            (Some(_), Some(ConnState::Reconnecting { .. })) => "reconnecting",
        }
    }
}

/// Why an endpoint cannot connect as it is set up.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConnectBlocker {
    /// It has no URL.
    #[error("Enter a URL (or pick a preset) first.")]
    NoUrl,
    /// Its URL lost its key when it was saved.
    #[error("{}", KEY_REMOVED)]
    KeyRemoved,
    /// The HTTP RPC URL cannot be used.
    #[error(transparent)]
    RpcUrl(RpcUrlProblem),
    /// A handshake header cannot be sent.
    #[error(transparent)]
    Header(HeaderProblem),
    /// Its URL or a header has a place for a key, and there is none.
    #[error("This URL needs an API key: paste it in the API key field (or set {}).", API_KEY_ENV)]
    NeedsKey,
}

/// Which of an endpoint's URLs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlField {
    /// The WebSocket URL subscriptions go to.
    WebSocket,
    /// The HTTP JSON-RPC URL missed notifications are recovered from.
    Rpc,
}

impl UrlField {
    /// The endpoint's other URL.
    pub fn other(self) -> Self {
        match self {
            Self::WebSocket => Self::Rpc,
            Self::Rpc => Self::WebSocket,
        }
    }
}

/// Why an HTTP RPC URL cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RpcUrlProblem {
    /// Not `http://` or `https://`.
    #[error(
        "The HTTP RPC URL must start with http:// or https:// (leave it empty to use the one \
         derived from the URL)."
    )]
    NotHttp,
    /// It lost its key when it was saved.
    #[error(
        "The key was removed from the HTTP RPC URL when it was saved: enter it again, or put \
         {API_KEY_PLACEHOLDER} where the key goes and the key in the API key field."
    )]
    KeyRemoved,
}

/// Why an HTTP RPC URL cannot be used; `None` when it can (or it is empty: derived).
pub fn rpc_url_problem(url: &str) -> Option<RpcUrlProblem> {
    let url = url.trim();
    let host = ["http://", "https://"].into_iter().find_map(|scheme| {
        let head = url.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme).then(|| url.get(scheme.len()..)).flatten()
    });
    if url.is_empty() {
        None
    } else if host.is_none_or(str::is_empty) {
        Some(RpcUrlProblem::NotHttp)
    } else if lost_its_key(url) {
        Some(RpcUrlProblem::KeyRemoved)
    } else {
        None
    }
}

/// Why a handshake header cannot be sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderProblem {
    /// A value with no name.
    #[error("A header needs a name.")]
    NoName,
    /// A name with a character HTTP does not allow in one.
    #[error("Header name {name:?} cannot contain {bad:?}.")]
    BadName {
        /// The name.
        name: String,
        /// The first character not allowed.
        bad: char,
    },
    /// A header the WebSocket handshake sets itself.
    #[error("{name} is set by the WebSocket handshake itself.")]
    Reserved {
        /// The name.
        name: String,
    },
    /// A value with a line break or another control character.
    #[error("The value of {name} cannot contain a line break or control character.")]
    ControlCharacter {
        /// The name.
        name: String,
    },
    /// A credential masked when it was saved.
    #[error(
        "The credential in header {name} was removed when it was saved: enter it again, or \
         write {API_KEY_PLACEHOLDER} there and put the key in the API key field."
    )]
    CredentialRemoved {
        /// The name.
        name: String,
    },
}

/// Why a handshake header cannot be sent; `None` when it can (or the row is empty).
pub fn header_problem(name: &str, value: &str) -> Option<HeaderProblem> {
    let name = name.trim();
    if name.is_empty() {
        return (!value.trim().is_empty()).then_some(HeaderProblem::NoName);
    }
    let named = || name.to_owned();
    // RFC 9110 token characters.
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if let Some(bad) = name.chars().find(|c| !token(*c)) {
        return Some(HeaderProblem::BadName { name: named(), bad });
    }
    let reserved = ["host", "connection", "upgrade", "content-length", "transfer-encoding"];
    if reserved.contains(&name.to_ascii_lowercase().as_str())
        || name.to_ascii_lowercase().starts_with("sec-websocket-")
    {
        return Some(HeaderProblem::Reserved { name: named() });
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Some(HeaderProblem::ControlCharacter { name: named() });
    }
    if value.split(' ').any(|word| word == MASK) {
        return Some(HeaderProblem::CredentialRemoved { name: named() });
    }
    None
}

/// What a URL that lost its key on saving says (it holds `***` where the key was).
pub const KEY_REMOVED: &str = "The key was removed from this URL when it was saved: enter it again \
     (paste the whole URL, or put {api_key} where the key goes and the key in the API key field).";
