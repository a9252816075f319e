//! The real OS keychain: a Secret Service (gnome-keyring) on a private D-Bus session, as a
//! Linux desktop has one. The test re-runs itself inside `dbus-run-session` with the daemon
//! started, so nothing touches the session of the machine that runs it.

#![cfg(all(feature = "gui", target_os = "linux"))]
#![expect(clippy::unwrap_used, reason = "tests")]

use std::process::Command;

use subscope::app::keychain::{
    KeyStore as _, KeychainError, OsKeychain, account_for, legacy_account, load_endpoint_key,
};
use subscope::redact::Secret;

/// Set in the re-run, inside the private session.
const INSIDE: &str = "SUBSCOPE_KEYCHAIN_TEST_INSIDE";

/// Runs `test` (this file's test of that name) again inside a private D-Bus session with
/// gnome-keyring's Secret Service started and its login keyring unlocked (password
/// `subscope-test`).
fn run_inside_session(test: &str) {
    let home = tempfile::tempdir().unwrap();
    let script = "echo -n subscope-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null \
                  && exec \"$0\" --exact \"$1\" --nocapture --test-threads=1";
    let exe = std::env::current_exe().unwrap();
    let output = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", script])
        .arg(exe)
        .arg(test)
        .env(INSIDE, "1")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_RUNTIME_DIR", home.path())
        .env_remove("DISPLAY")
        .output()
        .unwrap_or_else(|err| panic!("dbus-run-session could not run ({err}); run scripts/install-peers.sh"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "inside the session:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the test ran inside the session:\n{stdout}\n{stderr}");
}

#[test]
fn keys_are_kept_per_endpoint_in_the_secret_service() {
    if std::env::var_os(INSIDE).is_none() {
        return run_inside_session("keys_are_kept_per_endpoint_in_the_secret_service");
    }
    let store = OsKeychain;
    let (one, two) = (fastrand::u64(1..1 << 40), fastrand::u64(1 << 40..1 << 41));
    assert_eq!(store.load(&account_for(one)).unwrap(), None, "a fresh keyring holds nothing");
    store.store(&account_for(one), &Secret::new("key-of-one")).unwrap();
    store.store(&account_for(two), &Secret::new("key-of-two")).unwrap();
    assert_eq!(store.load(&account_for(one)).unwrap().as_ref().map(Secret::expose), Some("key-of-one"));
    assert_eq!(store.load(&account_for(two)).unwrap().as_ref().map(Secret::expose), Some("key-of-two"));

    // A key an older version kept under the URL template moves to the endpoint's own entry.
    let template = "wss://mainnet.helius-rpc.com/?api-key={api_key}";
    let three = one + 7;
    store.store(&legacy_account(template), &Secret::new("shared-old")).unwrap();
    let key = load_endpoint_key(&store, three, template).unwrap();
    assert_eq!(key.as_ref().map(Secret::expose), Some("shared-old"));
    assert_eq!(store.load(&account_for(three)).unwrap().as_ref().map(Secret::expose), Some("shared-old"));

    store.delete(&account_for(one)).unwrap();
    assert_eq!(store.load(&account_for(one)).unwrap(), None);
    store.delete(&account_for(one)).unwrap(); // deleting what is gone is fine
    assert_eq!(store.load(&account_for(two)).unwrap().as_ref().map(Secret::expose), Some("key-of-two"));
}

#[test]
fn a_locked_keyring_whose_prompt_goes_unanswered_is_a_retryable_error() {
    if std::env::var_os(INSIDE).is_none() {
        return run_inside_session("a_locked_keyring_whose_prompt_goes_unanswered_is_a_retryable_error");
    }
    let store = OsKeychain;
    let account = account_for(fastrand::u64(1..1 << 40));
    store.store(&account, &Secret::new("kept-key")).unwrap();
    session_command(
        "dbus-send",
        &[
            "--session",
            "--dest=org.freedesktop.secrets",
            "--type=method_call",
            "--print-reply",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            "array:objpath:/org/freedesktop/secrets/collection/login",
        ],
    );
    // Reading needs an unlock prompt, and nobody answers it (a dismissed prompt): that is an
    // error the app can offer to retry, never "no key" (which would fall back to another key).
    let loaded = store.load(&account);
    assert!(matches!(loaded, Err(KeychainError::Locked(_))), "{loaded:?}");
    let stored = store.store(&account, &Secret::new("other"));
    assert!(matches!(stored, Err(KeychainError::Locked(_))), "{stored:?}");
}

fn session_command(program: &str, args: &[&str]) {
    let output = Command::new(program).args(args).output().unwrap();
    assert!(output.status.success(), "{program}: {}", String::from_utf8_lossy(&output.stderr));
}
