//! Finding and keeping each endpoint's key: its own keychain entry (asked off the UI thread),
//! else `SUBSCOPE_API_KEY`; and connecting only once the keychain has answered.

use std::sync::mpsc::{SyncSender, TrySendError};

use super::keychain::{self, KeychainError};
use super::{App, settings};
use crate::redact::Secret;
use crate::session::{Endpoint, KeySource, KeychainLookup, Message};

/// A keychain operation's result, sent back from a blocking thread.
pub(super) enum KeyResult {
    Loaded { endpoint: u64, key: Result<Option<Secret>, KeychainError> },
    Stored { endpoint: u64, result: Result<(), KeychainError> },
    Deleted { endpoint: u64, result: Result<(), KeychainError> },
}

impl App {
    /// Connects an endpoint; one whose keychain lookup has not answered yet connects when it
    /// does (it is marked to be kept connected meanwhile).
    pub(super) fn connect(&mut self, index: usize) {
        let Some(endpoint) = self.session.endpoints_mut().get_mut(index) else { return };
        if endpoint.keychain == KeychainLookup::Asking && endpoint.api_key.trim().is_empty() {
            endpoint.keep_connected = true;
            self.connect_after_key.insert(endpoint.id);
            return;
        }
        // A refusal is shown at the endpoint by the session.
        self.session.connect(index).ok();
    }

    /// Finds the key of every endpoint that needs one and has none: its own keychain entry
    /// (asked off the UI thread; connecting waits for the answer), else `SUBSCOPE_API_KEY`.
    pub(super) fn find_keys(&mut self) {
        for index in 0..self.session.endpoints().len() {
            let endpoint = &mut self.session.endpoints_mut()[index];
            if !endpoint.needs_key()
                || !endpoint.api_key.is_empty()
                || endpoint.keychain != KeychainLookup::NotAsked
            {
                continue;
            }
            if self.keychain.is_some() {
                endpoint.keychain = KeychainLookup::Asking;
                self.load_key(index);
            } else {
                endpoint.keychain = KeychainLookup::Answered;
                use_env_key(endpoint, self.env_key.as_ref());
            }
        }
    }

    /// Applies the keychain's answers.
    pub(super) fn poll_keys(&mut self) {
        while let Ok(result) = self.keys_rx.try_recv() {
            match result {
                KeyResult::Loaded { endpoint, key } => self.key_loaded(endpoint, key),
                KeyResult::Stored { endpoint, result } => {
                    if let Some(entry) = self.session.endpoint_mut(endpoint) {
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
                    if let Some(entry) = self.session.endpoint_mut(endpoint) {
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

    fn key_loaded(&mut self, endpoint: u64, key: Result<Option<Secret>, KeychainError>) {
        let Some(index) = self.session.endpoints().iter().position(|entry| entry.id == endpoint) else {
            return;
        };
        let entry = &mut self.session.endpoints_mut()[index];
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
                        "No OS keychain on this system: a pasted key is kept for this session only (or set {}).",
                        settings::API_KEY_ENV
                    )));
                }
            }
        }
        if self.connect_after_key.remove(&endpoint) {
            self.connect(index);
        }
    }

    fn load_key(&mut self, index: usize) {
        let (Some(endpoint), Some(store)) = (self.session.endpoints().get(index), self.keychain.clone())
        else {
            return;
        };
        let (id, url) = (endpoint.id, endpoint.url.clone());
        let sender = self.keys_tx.clone();
        let ctx = self.ctx.clone();
        self.runtime.spawn_blocking(move || {
            let key = keychain::load_endpoint_key(store.as_ref(), id, &url);
            send_key_result(&sender, KeyResult::Loaded { endpoint: id, key });
            ctx.request_repaint();
        });
    }

    /// Stores an endpoint's key in its keychain entry (`remember`), or deletes the entry.
    pub(super) fn store_key(&mut self, index: usize, remember: bool) {
        let Some(endpoint) = self.session.endpoints_mut().get_mut(index) else { return };
        let Some(store) = self.keychain.clone() else {
            endpoint.key_note =
                Some(Message::Failure(format!("The OS keychain is off; set {}.", settings::API_KEY_ENV)));
            return;
        };
        let (id, account) = (endpoint.id, keychain::account_for(endpoint.id));
        let key = Secret::new(endpoint.api_key.clone());
        let sender = self.keys_tx.clone();
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

    /// Deletes a removed endpoint's keychain entry, so a later endpoint never inherits it.
    pub(super) fn forget_removed_key(&self, endpoint_id: u64) {
        let Some(store) = self.keychain.clone() else { return };
        self.runtime.spawn_blocking(move || {
            store.delete(&keychain::account_for(endpoint_id)).ok(); // nothing to report: it is gone
        });
    }

    /// Asks the keychain again for an endpoint (after a dismissed unlock prompt).
    pub(super) fn retry_keychain(&mut self, index: usize) {
        if let Some(endpoint) = self.session.endpoints_mut().get_mut(index) {
            endpoint.keychain = KeychainLookup::NotAsked;
            endpoint.key_note = None;
        }
        self.find_keys();
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
