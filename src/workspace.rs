//! One workspace file for the window and for `subscope monitor`: the endpoints (names, URL
//! templates with `{api_key}`, handshake headers, the HTTP JSON-RPC URL), the subscriptions
//! sent on them and the comparison groups, as versioned JSON that never holds a key.
//!
//! ```json
//! {
//!   "format": 1,
//!   "key_file": "keys.env",
//!   "endpoints": [
//!     { "name": "helius", "url": "wss://mainnet.helius-rpc.com/?api-key={api_key}" },
//!     { "name": "own-node", "url": "ws://10.0.0.5:8900", "rpc_url": "http://10.0.0.5:8899" }
//!   ],
//!   "subscriptions": [ { "name": "slots", "method": "slotSubscribe" } ],
//!   "groups": [ { "name": "slots", "subscription": "slots", "grace_seconds": 10 } ]
//! }
//! ```
//!
//! A subscription is sent on every endpoint its `endpoints` list names (all when empty); a
//! group compares one subscription across the endpoints it names (all it is sent on when
//! empty). Keys come from the environment, `SUBSCOPE_KEY_<ENDPOINT>` ([`key_env_name`]), or
//! from the `key_file` (lines `endpoint name=key`, mode 0600, relative to the workspace), never
//! from the workspace itself: [`Workspace::to_json`] turns a pasted key back into `{api_key}`
//! and masks whatever else looks like a secret.

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::redact::{API_KEY_PLACEHOLDER, Secret, extract_key, has_secret, redact_header, redact_url};
use crate::settings::SavedEndpoint;

/// One endpoint as [`Workspace::from_parts`] takes it: id, label, URL, RPC URL, headers, and
/// the requests (method, params) sent on it.
type EndpointParts<'a> = (
    u64,
    &'a String,
    &'a String,
    &'a String,
    &'a Vec<(String, String)>,
    Vec<(String, Option<serde_json::Value>)>,
);

/// The version of the format this build writes and reads.
pub const FORMAT: u32 = 1;

/// The prefix of the environment variables keys come from.
pub const KEY_ENV_PREFIX: &str = "SUBSCOPE_KEY_";

/// The grace window of a group that does not set one, in seconds.
pub const DEFAULT_GRACE_SECONDS: f64 = 10.0;

/// A workspace as the file holds it. See the module docs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workspace {
    /// The format's version, [`FORMAT`].
    pub format: u32,
    /// A file of `endpoint name=key` lines (mode 0600), relative to the workspace file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    /// The endpoints, each connected once.
    #[serde(default)]
    pub endpoints: Vec<WorkspaceEndpoint>,
    /// The subscriptions, each sent on its endpoints.
    #[serde(default)]
    pub subscriptions: Vec<WorkspaceSubscription>,
    /// The comparisons: one subscription across several endpoints.
    #[serde(default)]
    pub groups: Vec<WorkspaceGroup>,
}

impl Default for Workspace {
    fn default() -> Self {
        Self {
            format: FORMAT,
            key_file: None,
            endpoints: Vec::new(),
            subscriptions: Vec::new(),
            groups: Vec::new(),
        }
    }
}

/// One endpoint of a workspace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceEndpoint {
    /// Its name: the `endpoint` label of every metric, and the key's name.
    pub name: String,
    /// The WebSocket URL template (`{api_key}` where the key goes), or `demo` with faults.
    pub url: String,
    /// The HTTP JSON-RPC URL template for recovering missed notifications; empty: derived.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub rpc_url: String,
    /// Extra handshake headers, name and value (`{api_key}` in a value places the key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// Whether what a reconnect missed is recovered over HTTP (on unless `false`).
    #[serde(default = "on", skip_serializing_if = "is_on")]
    pub backfill: bool,
}

/// One subscription of a workspace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceSubscription {
    /// Its name: the `subscription` label of every metric.
    pub name: String,
    /// The subscribe method.
    pub method: String,
    /// Its params, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Value>,
    /// The endpoints it is sent on, by name; empty: every endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
}

/// One comparison of a workspace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceGroup {
    /// Its name: the `group` label of the comparison's metrics.
    pub name: String,
    /// The subscription compared, by name.
    pub subscription: String,
    /// The endpoints compared, by name; empty: every endpoint the subscription is sent on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
    /// How long after one endpoint delivers an item the others may still deliver it before it
    /// counts as missed, in seconds ([`DEFAULT_GRACE_SECONDS`] when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<f64>,
}

fn on() -> bool {
    true
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde passes fields by reference")]
fn is_on(flag: &bool) -> bool {
    *flag
}

/// What is wrong with a workspace file.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// The file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not JSON of the workspace's shape.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What serde said.
        message: String,
    },
    /// A format this build does not know.
    #[error("format {found} is not known to this subscope (it reads format {FORMAT})")]
    Format {
        /// The file's format.
        found: u32,
    },
    /// A rule of the format is broken.
    #[error("{0}")]
    Invalid(String),
    /// The key file is readable by others.
    #[error("{path}: the key file must be private to its owner (chmod 600), not mode {mode:o}")]
    KeyFileMode {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// An endpoint needs a key that neither the environment nor the key file has.
    #[error("endpoint {endpoint} needs a key: set {variable} or add `{endpoint}=…` to the key file")]
    MissingKey {
        /// The endpoint's name.
        endpoint: String,
        /// The environment variable that would hold it.
        variable: String,
    },
}

/// The environment variable an endpoint's key comes from: `SUBSCOPE_KEY_` and its name in
/// capitals, every other character than a letter or digit an underscore (`helius-eu` →
/// `SUBSCOPE_KEY_HELIUS_EU`).
pub fn key_env_name(endpoint: &str) -> String {
    let mut name = String::from(KEY_ENV_PREFIX);
    name.extend(
        endpoint.chars().map(|ch| if ch.is_ascii_alphanumeric() { ch.to_ascii_uppercase() } else { '_' }),
    );
    name
}

impl WorkspaceEndpoint {
    /// Whether a key has to be placed in its URL, RPC URL or a header.
    pub fn needs_key(&self) -> bool {
        self.url.contains(API_KEY_PLACEHOLDER)
            || self.rpc_url.contains(API_KEY_PLACEHOLDER)
            || self.headers.iter().any(|(_, value)| value.contains(API_KEY_PLACEHOLDER))
    }

    /// A copy fit to be written: a key pasted into a URL becomes `{api_key}` again, anything
    /// else that looks like a secret is masked, and so are credential headers.
    fn sanitized(&self) -> Self {
        let template = |url: &str| match extract_key(url) {
            Some((template, _key)) => template,
            None if has_secret(url) => redact_url(url),
            None => url.to_owned(),
        };
        Self {
            name: self.name.clone(),
            url: template(&self.url),
            rpc_url: template(&self.rpc_url),
            headers: self
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), redact_header(name, value)))
                .collect(),
            backfill: self.backfill,
        }
    }
}

impl WorkspaceSubscription {
    /// The names of the endpoints it is sent on, in the workspace's order.
    pub fn endpoint_names<'a>(&'a self, workspace: &'a Workspace) -> impl Iterator<Item = &'a str> + 'a {
        workspace
            .endpoints
            .iter()
            .map(|endpoint| endpoint.name.as_str())
            .filter(|name| self.endpoints.is_empty() || self.endpoints.iter().any(|listed| listed == name))
    }
}

impl WorkspaceGroup {
    /// The grace window in ms.
    pub fn grace_ms(&self) -> u64 {
        let seconds = self.grace_seconds.unwrap_or(DEFAULT_GRACE_SECONDS);
        (seconds.max(0.0) * 1000.0).round() as u64
    }
}

impl Workspace {
    /// Reads and checks a workspace file.
    ///
    /// # Errors
    ///
    /// The file cannot be read, is not a workspace, has another format or breaks a rule
    /// ([`Self::check`]).
    pub fn load(path: &Path) -> Result<Self, WorkspaceError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| WorkspaceError::Io { path: path.to_owned(), source })?;
        Self::from_json(&text).map_err(|err| match err {
            WorkspaceError::Parse { message, .. } => WorkspaceError::Parse { path: path.to_owned(), message },
            other => other,
        })
    }

    /// Reads and checks a workspace from its JSON text.
    ///
    /// # Errors
    ///
    /// As [`Self::load`].
    pub fn from_json(text: &str) -> Result<Self, WorkspaceError> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|err| WorkspaceError::Parse { path: PathBuf::new(), message: err.to_string() })?;
        // The version first, so a newer file says so instead of naming an unknown field.
        let found = value.get("format").and_then(serde_json::Value::as_u64).unwrap_or(0);
        if found != u64::from(FORMAT) {
            return Err(WorkspaceError::Format { found: u32::try_from(found).unwrap_or(u32::MAX) });
        }
        let workspace: Self = serde_json::from_value(value)
            .map_err(|err| WorkspaceError::Parse { path: PathBuf::new(), message: err.to_string() })?;
        workspace.check()?;
        Ok(workspace)
    }

    /// The workspace as the file holds it: pretty JSON with no key in it.
    pub fn to_json(&self) -> String {
        let mut copy = self.clone();
        copy.format = FORMAT;
        copy.endpoints = self.endpoints.iter().map(WorkspaceEndpoint::sanitized).collect();
        // Plain structs, strings and JSON values: serializing cannot fail.
        serde_json::to_string_pretty(&copy).unwrap_or_default() + "\n"
    }

    /// Writes the workspace atomically (a temporary file in the same folder, renamed over).
    ///
    /// # Errors
    ///
    /// The folder cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), WorkspaceError> {
        let io = |source| WorkspaceError::Io { path: path.to_owned(), source };
        let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut file = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        file.write_all(self.to_json().as_bytes()).map_err(io)?;
        file.as_file().sync_all().map_err(io)?;
        file.persist(path).map_err(|err| io(err.error))?;
        Ok(())
    }

    /// Checks the rules the format's types cannot say: unique, non-empty names; every name
    /// referred to exists; a subscription's body is one the catalogue accepts; one endpoint's
    /// subscription is in at most one group; no key in clear.
    ///
    /// # Errors
    ///
    /// The first rule broken, named.
    pub fn check(&self) -> Result<(), WorkspaceError> {
        let invalid = |message: String| Err(WorkspaceError::Invalid(message));
        unique("endpoint", self.endpoints.iter().map(|endpoint| endpoint.name.as_str()))?;
        unique("subscription", self.subscriptions.iter().map(|sub| sub.name.as_str()))?;
        unique("group", self.groups.iter().map(|group| group.name.as_str()))?;
        let endpoints: HashSet<&str> = self.endpoints.iter().map(|endpoint| endpoint.name.as_str()).collect();
        for endpoint in &self.endpoints {
            if endpoint.url.trim().is_empty() {
                return invalid(format!("endpoint {} has no url", endpoint.name));
            }
            if has_secret(&endpoint.url) || has_secret(&endpoint.rpc_url) {
                return invalid(format!(
                    "endpoint {} holds a key in its URL: write {API_KEY_PLACEHOLDER} there and set {}",
                    endpoint.name,
                    key_env_name(&endpoint.name)
                ));
            }
        }
        for sub in &self.subscriptions {
            if let Some(name) = sub.endpoints.iter().find(|name| !endpoints.contains(name.as_str())) {
                return invalid(format!("subscription {} names no endpoint {name}", sub.name));
            }
            check_body(sub).map_err(WorkspaceError::Invalid)?;
        }
        let mut grouped: HashSet<(&str, &str)> = HashSet::new();
        for group in &self.groups {
            let Some(sub) = self.subscriptions.iter().find(|sub| sub.name == group.subscription) else {
                return invalid(format!("group {} names no subscription {}", group.name, group.subscription));
            };
            if group.grace_seconds.is_some_and(|grace| !(grace.is_finite() && grace >= 0.0)) {
                return invalid(format!("group {}: grace_seconds must be a number of seconds", group.name));
            }
            let sent_on: Vec<&str> = sub.endpoint_names(self).collect();
            if let Some(name) = group.endpoints.iter().find(|name| !sent_on.contains(&name.as_str())) {
                return invalid(format!(
                    "group {}: subscription {} is not sent on {name}",
                    group.name, sub.name
                ));
            }
            for endpoint in self.group_endpoints(group) {
                if !grouped.insert((sub.name.as_str(), endpoint)) {
                    return invalid(format!(
                        "group {}: {} on {endpoint} is compared in another group already",
                        group.name, sub.name
                    ));
                }
            }
        }
        Ok(())
    }

    /// The endpoints a group compares, by name, in the workspace's order.
    pub fn group_endpoints<'a>(&'a self, group: &'a WorkspaceGroup) -> Vec<&'a str> {
        let Some(sub) = self.subscriptions.iter().find(|sub| sub.name == group.subscription) else {
            return Vec::new();
        };
        sub.endpoint_names(self)
            .filter(|name| group.endpoints.is_empty() || group.endpoints.iter().any(|listed| listed == name))
            .collect()
    }

    /// The group comparing `subscription` on `endpoint`, if any.
    pub fn group_of(&self, subscription: &str, endpoint: &str) -> Option<&WorkspaceGroup> {
        self.groups
            .iter()
            .filter(|group| group.subscription == subscription)
            .find(|group| self.group_endpoints(group).contains(&endpoint))
    }

    /// The key file's path, relative to the workspace file's folder.
    pub fn key_file_path(&self, workspace_path: &Path) -> Option<PathBuf> {
        let file = self.key_file.as_ref()?;
        Some(workspace_path.parent().map_or_else(|| file.clone(), |dir| dir.join(file)))
    }

    /// Every endpoint's key, by endpoint name: from `SUBSCOPE_KEY_<NAME>` (read with `env`),
    /// else from the key file. Endpoints that need none are absent.
    ///
    /// # Errors
    ///
    /// The key file cannot be read or is readable by others, or an endpoint that needs a key
    /// has none.
    pub fn keys(
        &self,
        workspace_path: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<BTreeMap<String, Secret>, WorkspaceError> {
        let mut file_keys: Option<BTreeMap<String, Secret>> = None;
        let mut keys = BTreeMap::new();
        for endpoint in self.endpoints.iter().filter(|endpoint| endpoint.needs_key()) {
            let variable = key_env_name(&endpoint.name);
            if let Some(key) = env(&variable).map(Secret::new).filter(|key| !key.is_empty()) {
                keys.insert(endpoint.name.clone(), key);
                continue;
            }
            if file_keys.is_none()
                && let Some(path) = self.key_file_path(workspace_path)
            {
                file_keys = Some(read_key_file(&path)?);
            }
            match file_keys.as_ref().and_then(|file| file.get(&endpoint.name)) {
                Some(key) => keys.insert(endpoint.name.clone(), key.clone()),
                None => return Err(WorkspaceError::MissingKey { endpoint: endpoint.name.clone(), variable }),
            };
        }
        Ok(keys)
    }

    /// The workspace of the window's endpoints as they are saved: each endpoint by its label
    /// (made unique), each subscription form built into its request and named after its
    /// method (one entry per distinct request, sent on every endpoint that has it), and a
    /// group for each request sent on more than one endpoint. Forms that no longer build are
    /// left out.
    pub fn from_saved_endpoints(saved: &[SavedEndpoint]) -> Self {
        let endpoints = saved.iter().map(|entry| {
            let sent = entry
                .subscriptions
                .iter()
                .filter_map(|draft| crate::catalog::build(draft).ok())
                .map(|built| (built.method, built.params))
                .collect();
            (entry.id, &entry.label, &entry.url, &entry.rpc_url, &entry.headers, sent)
        });
        Self::from_parts(endpoints)
    }

    /// The workspace of what the window has now: its endpoints (those made for this run only
    /// left out) and every subscription live on them, typed or from a form, as
    /// [`Self::from_saved_endpoints`] names and groups them.
    pub fn from_session(session: &crate::session::Session) -> Self {
        let context = &session.live().context;
        let endpoints = session.endpoints().iter().filter(|endpoint| !endpoint.transient).map(|endpoint| {
            let sent = session
                .subscriptions()
                .iter()
                .filter(|row| row.endpoint == endpoint.id && row.state.is_live())
                .filter_map(|row| context.subscriptions.get(&row.sub))
                .map(|info| (info.method.clone(), info.params.clone()))
                .collect();
            (endpoint.id, &endpoint.label, &endpoint.url, &endpoint.rpc_url, &endpoint.headers, sent)
        });
        Self::from_parts(endpoints)
    }

    /// Builds a workspace from endpoints (id, label, URL, RPC URL, headers) and the requests
    /// sent on each.
    fn from_parts<'a>(endpoints: impl Iterator<Item = EndpointParts<'a>>) -> Self {
        let mut workspace = Self::default();
        let mut names: HashSet<String> = HashSet::new();
        for (id, label, url, rpc_url, headers, sent) in endpoints {
            let base = if label.trim().is_empty() { format!("endpoint-{id}") } else { label.clone() };
            let name = unique_name(&base, &mut names);
            workspace.endpoints.push(WorkspaceEndpoint {
                name: name.clone(),
                url: url.clone(),
                rpc_url: rpc_url.clone(),
                headers: headers.clone(),
                backfill: true,
            });
            for (method, params) in sent {
                let existing = workspace
                    .subscriptions
                    .iter_mut()
                    .find(|sub| sub.method == method && sub.params == params);
                match existing {
                    Some(sub) if sub.endpoints.contains(&name) => {} // sent twice on one endpoint
                    Some(sub) => sub.endpoints.push(name.clone()),
                    None => {
                        let mut sub_names: HashSet<String> =
                            workspace.subscriptions.iter().map(|sub| sub.name.clone()).collect();
                        workspace.subscriptions.push(WorkspaceSubscription {
                            name: unique_name(&method, &mut sub_names),
                            method,
                            params,
                            endpoints: vec![name.clone()],
                        });
                    }
                }
            }
        }
        for sub in &mut workspace.subscriptions {
            if sub.endpoints.len() > 1 {
                workspace.groups.push(WorkspaceGroup {
                    name: sub.name.clone(),
                    subscription: sub.name.clone(),
                    endpoints: Vec::new(),
                    grace_seconds: None,
                });
            }
            if sub.endpoints.len() == workspace.endpoints.len() {
                sub.endpoints.clear(); // every endpoint: said by leaving the list out
            }
        }
        workspace
    }

    /// The endpoints to add to the window when it opens the workspace (no key: the window
    /// asks for keys or reads them as it does for its own endpoints). Their subscriptions are
    /// in [`Self::subscriptions_on`], as requests.
    pub fn to_saved_endpoints(&self, first_id: u64) -> Vec<SavedEndpoint> {
        self.endpoints
            .iter()
            .zip(first_id..)
            .map(|(endpoint, id)| SavedEndpoint {
                id,
                label: endpoint.name.clone(),
                url: endpoint.url.clone(),
                rpc_url: endpoint.rpc_url.clone(),
                headers: endpoint.headers.clone(),
                connect_on_start: true,
                ..SavedEndpoint::default()
            })
            .collect()
    }

    /// The subscriptions sent on an endpoint, by its name.
    pub fn subscriptions_on<'a>(
        &'a self,
        endpoint: &'a str,
    ) -> impl Iterator<Item = &'a WorkspaceSubscription> + 'a {
        self.subscriptions.iter().filter(move |sub| sub.endpoint_names(self).any(|name| name == endpoint))
    }
}

impl Workspace {
    /// Opens the workspace in a window's session: adds its endpoints after the session's own,
    /// connects them, and sends its subscriptions (those of a comparison together on its
    /// endpoints, so the window compares them). Returns what could not be done, one line each
    /// (an endpoint whose `{api_key}` has no key yet says so, as its panel does).
    pub fn open_in(&self, session: &mut crate::session::Session) -> Vec<String> {
        use std::collections::HashMap;
        let first_id = session.endpoints().iter().map(|endpoint| endpoint.id).max().map_or(1, |id| id + 1);
        let mut problems = Vec::new();
        let mut conns: HashMap<&str, crate::capture::ConnId> = HashMap::new();
        for (endpoint, saved) in self.endpoints.iter().zip(self.to_saved_endpoints(first_id)) {
            let index = session.add_saved_endpoint(&saved);
            match session.connect(index) {
                Ok(conn) => {
                    conns.insert(&endpoint.name, conn);
                }
                Err(err) => problems.push(format!("{}: {err}", endpoint.name)),
            }
        }
        let mut grouped: HashSet<(&str, &str)> = HashSet::new();
        for group in &self.groups {
            let Some(sub) = self.subscriptions.iter().find(|sub| sub.name == group.subscription) else {
                continue;
            };
            let names = self.group_endpoints(group);
            let group_conns: Vec<_> = names.iter().filter_map(|name| conns.get(name).copied()).collect();
            for result in session.subscribe_together(&group_conns, &sub.method, sub.params.as_ref(), None) {
                if let Err(err) = result {
                    problems.push(format!("{} in {}: {err}", sub.name, group.name));
                }
            }
            grouped.extend(names.into_iter().map(|name| (sub.name.as_str(), name)));
        }
        for sub in &self.subscriptions {
            for name in sub.endpoint_names(self) {
                let Some(&conn) = conns.get(name).filter(|_| !grouped.contains(&(sub.name.as_str(), name)))
                else {
                    continue;
                };
                if let Err(err) = session.subscribe(conn, sub.method.clone(), sub.params.clone(), None) {
                    problems.push(format!("{} on {name}: {err}", sub.name));
                }
            }
        }
        problems
    }
}

/// Checks that names are non-empty and unique.
fn unique<'a>(what: &str, names: impl Iterator<Item = &'a str>) -> Result<(), WorkspaceError> {
    let mut seen = HashSet::new();
    for name in names {
        if name.trim().is_empty() {
            return Err(WorkspaceError::Invalid(format!("every {what} needs a name")));
        }
        if !seen.insert(name) {
            return Err(WorkspaceError::Invalid(format!("two of the {what}s are named {name}")));
        }
    }
    Ok(())
}

/// `base`, or `base-2`, `base-3`, … when taken; the name is then taken.
fn unique_name(base: &str, taken: &mut HashSet<String>) -> String {
    let mut name = base.to_owned();
    let mut counter = 2;
    while taken.contains(&name) {
        name = format!("{base}-{counter}");
        counter += 1;
    }
    taken.insert(name.clone());
    name
}

/// A subscription's body as the catalogue checks it: a subscription method with params fit
/// for it.
fn check_body(sub: &WorkspaceSubscription) -> Result<(), String> {
    if sub.method.trim().is_empty() {
        return Err(format!("subscription {} has no method", sub.name));
    }
    if crate::catalog::is_one_off_method(&sub.method) {
        return Err(format!(
            "subscription {}: {} is a one-off request, not a subscription",
            sub.name, sub.method
        ));
    }
    crate::catalog::check_request(&sub.method, sub.params.as_ref())
        .map_err(|error| format!("subscription {}: {}: {}", sub.name, error.field, error.message))
}

/// Reads a key file: `endpoint name=key` lines; blank lines and `#` comments are skipped.
///
/// # Errors
///
/// It cannot be read, or (on Unix) anyone but its owner may read or write it.
pub fn read_key_file(path: &Path) -> Result<BTreeMap<String, Secret>, WorkspaceError> {
    let io = |source| WorkspaceError::Io { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = file.metadata().map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(WorkspaceError::KeyFileMode { path: path.to_owned(), mode });
        }
    }
    let text = std::io::read_to_string(file).map_err(io)?;
    let mut keys = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')) {
        if let Some((name, key)) = line.split_once('=') {
            keys.insert(name.trim().to_owned(), Secret::new(key));
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests;
