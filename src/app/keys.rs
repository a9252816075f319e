//! Finding and keeping each endpoint's key: its own keychain entry (asked off the UI thread),
//! else `SUBSCOPE_API_KEY`; and connecting only once the keychain has answered.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use tokio::runtime::Handle;

use super::keychain::{self, KeyStore, KeychainError};
use super::settings;
use crate::redact::Secret;
use crate::session::{Endpoint, KeySource, KeychainLookup, Message, Session};

/// A keychain operation's result, sent back from a blocking thread.
enum KeyResult {
    Loaded { endpoint: u64, key: Result<Option<Secret>, KeychainError> },
    Stored { endpoint: u64, result: Result<(), KeychainError> },
    Deleted { endpoint: u64, result: Result<(), KeychainError> },
}

/// The window's part in the endpoints' keys: where they are kept between runs, the
/// environment's key, and the endpoints that connect once the keychain answers. The keys
/// themselves are on the session's endpoints.
pub(super) struct Keys {
    /// Where keys are kept between runs; `None` keeps them in memory only.
    store: Option<Arc<dyn KeyStore>>,
    /// `SUBSCOPE_API_KEY`, for endpoints with no key of their own.
    env_key: Option<Secret>,
    /// Endpoints (by id) to connect once their keychain lookup answers.
    connect_after: HashSet<u64>,
    /// The keychain's answers, sent from blocking threads.
    answers_tx: SyncSender<KeyResult>,
    answers_rx: Receiver<KeyResult>,
    /// Where the keychain calls run (they may block on an unlock prompt).
    runtime: Handle,
    /// The window, woken by each answer.
    ctx: egui::Context,
}

impl Keys {
    pub(super) fn new(
        store: Option<Arc<dyn KeyStore>>,
        env_key: Option<Secret>,
        runtime: Handle,
        ctx: egui::Context,
    ) -> Self {
        let (answers_tx, answers_rx) = sync_channel(64);
        Self { store, env_key, connect_after: HashSet::new(), answers_tx, answers_rx, runtime, ctx }
    }

    /// Whether keys are kept in a keychain (else in memory only).
    pub(super) fn has_store(&self) -> bool {
        self.store.is_some()
    }

    /// Connects an endpoint; one whose keychain lookup has not answered yet connects when it
    /// does (it is marked to be kept connected meanwhile).
    pub(super) fn connect(&mut self, session: &mut Session, index: usize) {
        let Some(endpoint) = session.endpoints_mut().get_mut(index) else { return };
        if endpoint.keychain == KeychainLookup::Asking && endpoint.api_key.trim().is_empty() {
            endpoint.keep_connected = true;
            self.connect_after.insert(endpoint.id);
            return;
        }
        // A refusal is shown at the endpoint by the session.
        session.connect(index).ok();
    }

    /// An endpoint is disconnected: it no longer connects when its key arrives.
    pub(super) fn disconnected(&mut self, endpoint_id: u64) {
        self.connect_after.remove(&endpoint_id);
    }

    /// An endpoint is removed: it no longer connects when its key arrives, and its keychain
    /// entry is deleted, so a later endpoint never inherits it.
    pub(super) fn removed(&mut self, endpoint_id: u64) {
        self.connect_after.remove(&endpoint_id);
        let Some(store) = self.store.clone() else { return };
        self.runtime.spawn_blocking(move || {
            store.delete(&keychain::account_for(endpoint_id)).ok(); // nothing to report: it is gone
        });
    }

    /// Finds the key of every endpoint that needs one and has none: its own keychain entry
    /// (asked off the UI thread; connecting waits for the answer), else `SUBSCOPE_API_KEY`.
    pub(super) fn find(&mut self, session: &mut Session) {
        for index in 0..session.endpoints().len() {
            let endpoint = &mut session.endpoints_mut()[index];
            if !endpoint.needs_key()
                || !endpoint.api_key.is_empty()
                || endpoint.keychain != KeychainLookup::NotAsked
            {
                continue;
            }
            if self.store.is_some() {
                endpoint.keychain = KeychainLookup::Asking;
                self.load(endpoint);
            } else {
                endpoint.keychain = KeychainLookup::Answered;
                use_env_key(endpoint, self.env_key.as_ref());
            }
        }
    }

    /// Applies the keychain's answers.
    pub(super) fn poll(&mut self, session: &mut Session) {
        while let Ok(result) = self.answers_rx.try_recv() {
            match result {
                KeyResult::Loaded { endpoint, key } => self.loaded(session, endpoint, key),
                KeyResult::Stored { endpoint, result } => {
                    if let Some(entry) = session.endpoint_mut(endpoint) {
                        if result.is_ok() {
                            entry.key_source = KeySource::Keychain;
                        }
                        entry.key_note = Some(match result {
                            Ok(()) => Message::News("Saved in the OS keychain.".to_owned()),
                            Err(err) => Message::Failure(err.to_string()),
                        });
                    }
                }
                KeyResult::Deleted { endpoint, result } => {
                    if let Some(entry) = session.endpoint_mut(endpoint) {
                        if result.is_ok() {
                            entry.key_source = KeySource::Typed;
                        }
                        entry.key_note = Some(match result {
                            Ok(()) => Message::News("Removed from the OS keychain.".to_owned()),
                            Err(err) => Message::Failure(err.to_string()),
                        });
                    }
                }
            }
        }
    }

    fn loaded(&mut self, session: &mut Session, endpoint: u64, key: Result<Option<Secret>, KeychainError>) {
        let Some(index) = session.endpoints().iter().position(|entry| entry.id == endpoint) else {
            return;
        };
        let entry = &mut session.endpoints_mut()[index];
        match key {
            Ok(Some(key)) => {
                entry.keychain = KeychainLookup::Answered;
                if entry.key_source != KeySource::Typed {
                    entry.api_key = key.expose().to_owned();
                    entry.key_source = KeySource::Keychain;
                    entry.key_note = None;
                }
            }
            Ok(None) => {
                entry.keychain = KeychainLookup::Answered;
                use_env_key(entry, self.env_key.as_ref());
            }
            Err(KeychainError::Locked(reason)) => {
                // It may hold a key of this endpoint's: no stand-in from the environment, and
                // no connect until it answers.
                // Not an error the user made (a preset looked its key up by itself): a note with
                // the way out, not a red line.
                entry.keychain = KeychainLookup::Locked(reason);
                entry.key_note = Some(Message::News(
                    "The OS keychain is locked: unlock it and press Retry keychain for a saved key, or paste the key."
                        .to_owned(),
                ));
                return;
            }
            Err(err @ KeychainError::Unavailable(_)) => {
                // Nothing went wrong that the user did: say it plainly, not as an error.
                entry.keychain = KeychainLookup::Unavailable(err.to_string());
                use_env_key(entry, self.env_key.as_ref());
                if entry.key_source == KeySource::None {
                    entry.key_note = Some(Message::News(format!(
                        "No OS keychain on this system: a pasted key is kept until subscope closes (or set {}).",
                        settings::API_KEY_ENV
                    )));
                }
            }
        }
        if self.connect_after.remove(&endpoint) {
            self.connect(session, index);
        }
    }

    /// Asks the keychain for an endpoint's key, off the UI thread.
    fn load(&self, endpoint: &Endpoint) {
        let Some(store) = self.store.clone() else { return };
        let (id, url) = (endpoint.id, endpoint.url.clone());
        let sender = self.answers_tx.clone();
        let ctx = self.ctx.clone();
        self.runtime.spawn_blocking(move || {
            let key = keychain::load_endpoint_key(store.as_ref(), id, &url);
            send_key_result(&sender, KeyResult::Loaded { endpoint: id, key });
            ctx.request_repaint();
        });
    }

    /// Stores an endpoint's key in its keychain entry (`remember`), or deletes the entry.
    pub(super) fn store(&self, session: &mut Session, index: usize, remember: bool) {
        let Some(endpoint) = session.endpoints_mut().get_mut(index) else { return };
        let Some(store) = self.store.clone() else {
            endpoint.key_note =
                Some(Message::Failure(format!("The OS keychain is off; set {}.", settings::API_KEY_ENV)));
            return;
        };
        let (id, account) = (endpoint.id, keychain::account_for(endpoint.id));
        let key = Secret::new(endpoint.api_key.clone());
        let sender = self.answers_tx.clone();
        let ctx = self.ctx.clone();
        self.runtime.spawn_blocking(move || {
            let result = if remember {
                KeyResult::Stored { endpoint: id, result: store.store(&account, &key) }
            } else {
                KeyResult::Deleted { endpoint: id, result: store.delete(&account) }
            };
            send_key_result(&sender, result);
            ctx.request_repaint();
        });
    }

    /// Asks the keychain again for an endpoint (after a dismissed unlock prompt).
    pub(super) fn retry(&mut self, session: &mut Session, index: usize) {
        if let Some(endpoint) = session.endpoints_mut().get_mut(index) {
            endpoint.keychain = KeychainLookup::NotAsked;
            endpoint.key_note = None;
        }
        self.find(session);
    }
}

/// A fresh endpoint id: random, so a removed endpoint's keychain entry is never inherited by
/// a new one that happens to take its place in the list.
pub(super) fn new_endpoint_id(endpoints: &[Endpoint]) -> u64 {
    loop {
        let id = fastrand::u64(1..u64::from(u32::MAX));
        if endpoints.iter().all(|endpoint| endpoint.id != id) {
            return id;
        }
    }
}

/// Gives an endpoint with no key of its own the one from `SUBSCOPE_API_KEY`, if set.
fn use_env_key(endpoint: &mut Endpoint, env_key: Option<&Secret>) {
    if endpoint.api_key.is_empty()
        && let Some(key) = env_key
    {
        endpoint.api_key = key.expose().to_owned();
        endpoint.key_source = KeySource::Env;
    }
}

fn send_key_result(sender: &SyncSender<KeyResult>, result: KeyResult) {
    match sender.try_send(result) {
        Ok(()) | Err(TrySendError::Disconnected(_)) => {} // the app has closed
        Err(TrySendError::Full(result)) => {
            sender.send(result).ok(); // wait: key results are rare and must not be lost
        }
    }
}
