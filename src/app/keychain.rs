//! Where API keys live between runs: the OS keychain, one entry per endpoint.
//!
//! Entries are named `endpoint-<id>` after the endpoint's stable id, never after its URL, so
//! two endpoints on the same provider keep two keys and no URL reaches the keychain. Every
//! call may block (the keychain can prompt to unlock): the app makes them off the UI thread.
//! [`KeyStore`] is the seam: [`OsKeychain`] is the real store, [`MemoryKeyStore`] one that
//! tests (and a machine without a keychain) can use.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::redact::{Secret, redact_url};

/// The keychain service name every subscope entry is stored under.
pub const KEYCHAIN_SERVICE: &str = "subscope";

/// Why the keychain did not answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeychainError {
    /// It is there but locked, or access was refused (a dismissed unlock prompt): it may
    /// work when asked again.
    #[error("the OS keychain is locked or refused access ({0})")]
    Locked(String),
    /// There is no usable keychain on this system. It reads as one plain sentence, the same
    /// whether a store or a lookup found it out (the library's own words, such as "No default
    /// store has been set", are kept for the log, not shown).
    #[error(
        "No OS keychain on this system: a pasted key is kept until subscope closes (or set {}).",
        crate::settings::API_KEY_ENV
    )]
    Unavailable(String),
}

/// A store of API keys by account name.
pub trait KeyStore: Send + Sync {
    /// The key stored under `account`, if any.
    ///
    /// # Errors
    ///
    /// The store is locked or unavailable.
    fn load(&self, account: &str) -> Result<Option<Secret>, KeychainError>;

    /// Stores `key` under `account`, replacing what was there.
    ///
    /// # Errors
    ///
    /// The store is locked or unavailable.
    fn store(&self, account: &str, key: &Secret) -> Result<(), KeychainError>;

    /// Removes the entry; removing one that does not exist is not an error.
    ///
    /// # Errors
    ///
    /// The store is locked or unavailable.
    fn delete(&self, account: &str) -> Result<(), KeychainError>;
}

/// The keychain account of an endpoint.
pub fn account_for(endpoint_id: u64) -> String {
    format!("endpoint-{endpoint_id}")
}

/// The account older versions used: the redacted URL template, shared by every endpoint on
/// that template. Read once to carry a key over to the endpoint's own entry.
pub fn legacy_account(url_template: &str) -> String {
    redact_url(url_template.trim())
}

/// Loads an endpoint's key: its own entry, or else the legacy entry of its URL template,
/// which is then copied to the endpoint's own entry so the two never share again.
///
/// # Errors
///
/// The store is locked or unavailable.
pub fn load_endpoint_key(
    store: &dyn KeyStore,
    endpoint_id: u64,
    url: &str,
) -> Result<Option<Secret>, KeychainError> {
    let account = account_for(endpoint_id);
    if let Some(key) = store.load(&account)? {
        return Ok(Some(key));
    }
    let Some(key) = store.load(&legacy_account(url))? else { return Ok(None) };
    store.store(&account, &key).ok(); // the key is in hand; copying it is a convenience
    Ok(Some(key))
}

/// The operating system's keychain (Secret Service, macOS Keychain, Windows Credential
/// Manager).
#[derive(Clone, Copy, Debug, Default)]
pub struct OsKeychain;

impl OsKeychain {
    fn entry(account: &str) -> Result<keyring::Entry, KeychainError> {
        keyring::Entry::new(KEYCHAIN_SERVICE, account).map_err(classify)
    }
}

impl KeyStore for OsKeychain {
    fn load(&self, account: &str) -> Result<Option<Secret>, KeychainError> {
        match Self::entry(account)?.get_password() {
            Ok(password) => Ok(Some(Secret::new(password)).filter(|key| !key.is_empty())),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(classify(err)),
        }
    }

    fn store(&self, account: &str, key: &Secret) -> Result<(), KeychainError> {
        Self::entry(account)?.set_password(key.expose()).map_err(classify)
    }

    fn delete(&self, account: &str) -> Result<(), KeychainError> {
        match Self::entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(classify(err)),
        }
    }
}

fn classify(err: keyring::Error) -> KeychainError {
    match err {
        keyring::Error::NoStorageAccess(_) => KeychainError::Locked(err.to_string()),
        other => KeychainError::Unavailable(other.to_string()),
    }
}

/// A key store in memory. It can be locked, as a keychain whose unlock prompt was dismissed.
#[derive(Debug, Default)]
pub struct MemoryKeyStore {
    entries: Mutex<HashMap<String, String>>,
    locked: AtomicBool,
}

impl MemoryKeyStore {
    /// Locks or unlocks it; while locked every call fails with [`KeychainError::Locked`].
    pub fn set_locked(&self, locked: bool) {
        self.locked.store(locked, Ordering::SeqCst);
    }

    /// The accounts that hold a key.
    pub fn accounts(&self) -> Vec<String> {
        let mut accounts: Vec<String> = self.lock_entries().keys().cloned().collect();
        accounts.sort();
        accounts
    }

    fn lock_entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn check(&self) -> Result<(), KeychainError> {
        if self.locked.load(Ordering::SeqCst) {
            Err(KeychainError::Locked("the unlock prompt was dismissed".to_owned()))
        } else {
            Ok(())
        }
    }
}

impl KeyStore for MemoryKeyStore {
    fn load(&self, account: &str) -> Result<Option<Secret>, KeychainError> {
        self.check()?;
        Ok(self.lock_entries().get(account).map(Secret::new))
    }

    fn store(&self, account: &str, key: &Secret) -> Result<(), KeychainError> {
        self.check()?;
        self.lock_entries().insert(account.to_owned(), key.expose().to_owned());
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<(), KeychainError> {
        self.check()?;
        self.lock_entries().remove(account);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_name_endpoints_not_urls() {
        assert_eq!(account_for(42), "endpoint-42");
        assert!(!legacy_account("wss://x/?api-key=sekrit").contains("sekrit"));
    }

    #[test]
    fn a_legacy_shared_key_is_copied_to_the_endpoint_once() {
        let store = MemoryKeyStore::default();
        let template = "wss://mainnet.helius-rpc.com/?api-key={api_key}";
        store.store(&legacy_account(template), &Secret::new("old-shared")).ok();
        let key = load_endpoint_key(&store, 1, template).ok().flatten();
        assert_eq!(key.as_ref().map(Secret::expose), Some("old-shared"));
        assert!(store.accounts().contains(&account_for(1)));
        // The endpoint's own entry wins from now on.
        store.store(&account_for(1), &Secret::new("its-own")).ok();
        let key = load_endpoint_key(&store, 1, template).ok().flatten();
        assert_eq!(key.as_ref().map(Secret::expose), Some("its-own"));
    }

    #[test]
    fn no_keychain_reads_as_one_plain_sentence_whatever_the_library_said() {
        let err = classify(keyring::Error::NoDefaultStore);
        assert!(matches!(err, KeychainError::Unavailable(_)));
        let text = err.to_string();
        assert!(text.starts_with("No OS keychain on this system"), "{text}");
        assert!(!text.contains("default store"), "no library words: {text}");
    }

    #[test]
    fn a_locked_store_says_so_and_works_once_unlocked() {
        let store = MemoryKeyStore::default();
        store.store("endpoint-1", &Secret::new("k")).ok();
        store.set_locked(true);
        assert!(matches!(store.load("endpoint-1"), Err(KeychainError::Locked(_))));
        store.set_locked(false);
        assert_eq!(store.load("endpoint-1").ok().flatten().as_ref().map(Secret::expose), Some("k"));
    }
}
