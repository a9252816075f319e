//! The window's words say what is so, in its own words (issue 25 item 7): a system without a
//! keychain reads as one plain sentence whether a lookup or a store found it out (never the
//! library's "No default store has been set"), and the Open dialog says HAR files open too.
//! Driven through egui_kittest.

#![cfg(feature = "gui")]

mod support;

use std::sync::Arc;

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;
use subscope::app::AppOptions;
use subscope::app::keychain::{KeyStore, KeychainError};
use subscope::app::settings::{SavedEndpoint, Settings};
use subscope::redact::Secret;
use subscope::session::{KeychainLookup, Message};
use support::ui::{app_harness, runtime, wait_until};

/// The library's words for a system with no keychain (keyring's `NoDefaultStore`).
const LIBRARY_WORDS: &str = "No default store has been set, so cannot search or create entries";

/// A keychain that is not there: every call fails as keyring does on such a system.
struct NoKeychain;

impl KeyStore for NoKeychain {
    fn load(&self, _account: &str) -> Result<Option<Secret>, KeychainError> {
        Err(KeychainError::Unavailable(LIBRARY_WORDS.to_owned()))
    }

    fn store(&self, _account: &str, _key: &Secret) -> Result<(), KeychainError> {
        Err(KeychainError::Unavailable(LIBRARY_WORDS.to_owned()))
    }

    fn delete(&self, _account: &str) -> Result<(), KeychainError> {
        Err(KeychainError::Unavailable(LIBRARY_WORDS.to_owned()))
    }
}

#[test]
fn no_keychain_reads_the_same_plain_sentence_before_and_after_a_restart() {
    let runtime = runtime();
    let endpoint = SavedEndpoint {
        id: 1,
        label: "Helius".into(),
        preset: "Helius mainnet".into(),
        url: "wss://mainnet.helius-rpc.com/?api-key={api_key}".into(),
        ..SavedEndpoint::default()
    };
    let settings = Settings { welcomed: true, endpoints: vec![endpoint], ..Settings::default() };
    let options = AppOptions { keychain: Some(Arc::new(NoKeychain)), ..AppOptions::headless(settings) };
    let mut harness = app_harness(&runtime, options, egui::vec2(1400.0, 900.0));
    wait_until(&mut harness, "the keychain lookup", |app| {
        matches!(app.endpoints()[0].keychain, KeychainLookup::Unavailable(_))
    });
    // At start (as after a restart): the plain sentence.
    let plain = "No OS keychain on this system";
    assert_eq!(harness.query_all_by_label_contains(plain).count(), 1, "the lookup says it plainly");

    // A key typed and remembered (as before a restart): the same sentence, not the library's.
    harness.get_by_label("API key").focus();
    harness.run_steps(2);
    harness.get_by_label("API key").type_text("k-123");
    harness.run_steps(3);
    harness.get_by_label("Remember in keychain").click();
    wait_until(&mut harness, "the store to answer", |app| {
        matches!(app.endpoints()[0].key_note, Some(Message::Failure(_)))
    });
    assert_eq!(harness.query_all_by_label_contains(plain).count(), 1, "the store says it plainly too");
    assert!(harness.query_all_by_label_contains("default store").next().is_none(), "no library words");
}

#[test]
fn the_open_dialog_says_har_files_open_too() {
    let runtime = runtime();
    let (mut harness, _script) =
        support::ui::scripted(&runtime, Settings::default(), egui::vec2(1400.0, 900.0));
    harness.key_press_modifiers(Modifiers::COMMAND, Key::O);
    harness.run_steps(3);
    assert!(harness.query_by_label("Open a capture").is_some());
    assert!(harness.query_all_by_label_contains(".har file").next().is_some(), "HAR is named");
}
