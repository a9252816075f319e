//! What subscope remembers between runs, and where API keys live instead.
//!
//! [`Settings`] is stored by eframe (the `persistence` feature) under [`Settings::STORAGE_KEY`]
//! as RON text in the platform's app-data folder. It holds endpoints (URL templates, with
//! every secret redacted before saving), subscription drafts, table column widths and the
//! memory cap. It never holds an API key: keys go to the OS keychain ([`keychain_load`],
//! [`keychain_store`]) when the user asks, or come from the `SUBSCOPE_API_KEY` environment
//! variable ([`env_api_key`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::capture::CaptureLimits;
use crate::catalog::Draft;
use crate::redact::{Secret, redact_url};

/// The environment variable an API key may come from when there is no keychain entry.
pub const API_KEY_ENV: &str = "SUBSCOPE_API_KEY";

/// The keychain service name every subscope entry is stored under.
pub const KEYCHAIN_SERVICE: &str = "subscope";

/// One endpoint as remembered (never with a key).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedEndpoint {
    /// A stable id (also the keychain entry's name suffix).
    pub id: u64,
    /// The user's name for it.
    pub label: String,
    /// The preset it was picked from (by name), or empty for a typed URL.
    pub preset: String,
    /// The URL template, with `{api_key}` where the key goes and every secret redacted.
    pub url: String,
    /// Whether it was connected when the app last saved, so it reconnects on start.
    pub connect_on_start: bool,
    /// Subscriptions that were active on it, re-sent when it reconnects on start.
    pub subscriptions: Vec<Draft>,
}

/// A subscription form the user saved under a name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedDraft {
    /// The name shown in the list.
    pub name: String,
    /// The form state.
    pub draft: Draft,
}

/// Everything persisted. Unknown or missing fields fall back to their defaults, so old and
/// new versions read each other's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Whether the first-run demo (connect to the offline demo and subscribe) has happened.
    pub welcomed: bool,
    /// The endpoints panel, in order.
    pub endpoints: Vec<SavedEndpoint>,
    /// The composer's last form per method id, so a half-typed form survives a restart.
    pub drafts_by_method: BTreeMap<String, Draft>,
    /// The method id the composer shows.
    pub composer_method: String,
    /// Drafts saved under a name.
    pub saved_drafts: Vec<SavedDraft>,
    /// The one-off request form.
    pub request_draft: Option<Draft>,
    /// Widths of the live table's columns, in points (empty: defaults).
    pub column_widths: Vec<f32>,
    /// The capture's memory cap.
    pub limits: CaptureLimits,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            welcomed: false,
            endpoints: Vec::new(),
            drafts_by_method: BTreeMap::new(),
            composer_method: "logsSubscribe".to_owned(),
            saved_drafts: Vec::new(),
            request_draft: None,
            column_widths: Vec::new(),
            limits: CaptureLimits::default(),
        }
    }
}

impl Settings {
    /// The key the settings are stored under in eframe's storage.
    pub const STORAGE_KEY: &'static str = "subscope.settings";

    /// Reads the settings, or the defaults when there are none (or they do not parse).
    pub fn load(storage: Option<&dyn eframe::Storage>) -> Self {
        let mut settings: Self =
            storage.and_then(|storage| eframe::get_value(storage, Self::STORAGE_KEY)).unwrap_or_default();
        settings.repair();
        settings
    }

    /// Writes the settings, with every URL redacted once more (a key pasted into a URL is
    /// never written).
    pub fn save(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, Self::STORAGE_KEY, &self.sanitized());
    }

    /// A copy that is safe to write: URLs redacted.
    pub fn sanitized(&self) -> Self {
        let mut copy = self.clone();
        for endpoint in &mut copy.endpoints {
            endpoint.url = redact_url(&endpoint.url);
        }
        copy
    }

    /// Brings drafts read from an older version in line with the current catalogue.
    fn repair(&mut self) {
        self.drafts_by_method.retain(|_, draft| draft.spec().is_some());
        for draft in self.drafts_by_method.values_mut() {
            draft.repair();
        }
        self.saved_drafts.retain(|saved| saved.draft.spec().is_some());
        for saved in &mut self.saved_drafts {
            saved.draft.repair();
        }
        for endpoint in &mut self.endpoints {
            endpoint.subscriptions.retain(|draft| draft.spec().is_some());
            for draft in &mut endpoint.subscriptions {
                draft.repair();
            }
        }
        if let Some(draft) = &mut self.request_draft {
            draft.repair();
        }
        self.limits.max_events = self.limits.max_events.max(1_000);
        self.limits.max_bytes = self.limits.max_bytes.max(16 << 20);
    }
}

/// The API key from [`API_KEY_ENV`], if set and not blank.
pub fn env_api_key() -> Option<Secret> {
    std::env::var(API_KEY_ENV).ok().map(Secret::new).filter(|key| !key.is_empty())
}

/// The keychain account name for an endpoint: its redacted URL template, so a key is found
/// again for the same provider URL.
pub fn keychain_account(url_template: &str) -> String {
    redact_url(url_template.trim())
}

/// Reads an endpoint's key from the OS keychain. This may block (the keychain can prompt):
/// call it off the UI thread.
///
/// # Errors
///
/// The keychain is unavailable (no Secret Service on this desktop, access denied…).
pub fn keychain_load(account: &str) -> Result<Option<Secret>, String> {
    let entry = keyring::Entry::new(KEYCHAIN_SERVICE, account).map_err(|err| keychain_error(&err))?;
    match entry.get_password() {
        Ok(password) => Ok(Some(Secret::new(password)).filter(|key| !key.is_empty())),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(err) => Err(keychain_error(&err)),
    }
}

/// Stores an endpoint's key in the OS keychain (may block: call it off the UI thread).
///
/// # Errors
///
/// The keychain is unavailable or refused the write.
pub fn keychain_store(account: &str, key: &Secret) -> Result<(), String> {
    let entry = keyring::Entry::new(KEYCHAIN_SERVICE, account).map_err(|err| keychain_error(&err))?;
    entry.set_password(key.expose()).map_err(|err| keychain_error(&err))
}

/// Removes an endpoint's key from the OS keychain (may block: call it off the UI thread).
///
/// # Errors
///
/// The keychain is unavailable or refused the delete.
pub fn keychain_delete(account: &str) -> Result<(), String> {
    let entry = keyring::Entry::new(KEYCHAIN_SERVICE, account).map_err(|err| keychain_error(&err))?;
    match entry.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(err) => Err(keychain_error(&err)),
    }
}

fn keychain_error(err: &keyring::Error) -> String {
    format!("OS keychain unavailable ({err}); set {API_KEY_ENV} instead")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_urls_never_carry_a_pasted_key() {
        let settings = Settings {
            endpoints: vec![SavedEndpoint {
                url: "wss://mainnet.helius-rpc.com/?api-key=sekrit-123".to_owned(),
                ..SavedEndpoint::default()
            }],
            ..Settings::default()
        };
        let text = serde_json::to_string(&settings.sanitized()).unwrap_or_default();
        assert!(!text.contains("sekrit"), "{text}");
        assert!(text.contains("api-key=***"));
    }

    #[test]
    fn placeholders_survive_saving() {
        let template = "wss://eth-mainnet.g.alchemy.com/v2/{api_key}";
        let settings = Settings {
            endpoints: vec![SavedEndpoint { url: template.to_owned(), ..SavedEndpoint::default() }],
            ..Settings::default()
        };
        assert_eq!(settings.sanitized().endpoints[0].url, template);
    }

    #[test]
    fn missing_fields_take_defaults() {
        let settings: Settings = serde_json::from_str(r#"{"welcomed":true}"#).unwrap_or_default();
        assert!(settings.welcomed);
        assert_eq!(settings.composer_method, "logsSubscribe");
        assert_eq!(settings.limits, CaptureLimits::default());
    }
}
