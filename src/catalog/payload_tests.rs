use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::*;
use crate::catalog::{ETH_SUBSCRIBE, REQUEST_ID};

#[test]
fn every_subscription_carries_a_payload_of_its_own_chain() {
    for spec in methods() {
        if spec.is_one_off() {
            assert_eq!(spec.payload, Payload::Unknown, "{}", spec.id);
        } else {
            assert_eq!(spec.payload.chain(), spec.chain, "{}", spec.id);
            assert_ne!(spec.payload, Payload::EthAny, "{}: a subscription knows its kind", spec.id);
        }
    }
}

#[test]
fn a_notification_method_names_the_payload_of_the_method_that_sends_it() {
    for spec in methods().iter().filter(|spec| spec.rpc_method != ETH_SUBSCRIBE) {
        let Some(notification) = spec.notification_method else { continue };
        let senders = methods().iter().filter(|other| other.notification_method == Some(notification));
        assert_eq!(senders.count(), 1, "{notification} is sent by more than one method");
        assert_eq!(Payload::of_notification(notification), spec.payload, "{notification}");
    }
    assert_eq!(Payload::of_notification(ETH_NOTIFICATION), Payload::EthAny);
    assert_eq!(Payload::of_notification("madeUpNotification"), Payload::Unknown);
    assert_eq!(Payload::of_notification(""), Payload::Unknown);
}

#[test]
fn a_subscription_payload_follows_its_method_and_eth_kind() {
    let of = |method: &str, params: serde_json::Value| payload_for(method, Some(&params));
    assert_eq!(of("accountSubscribe", json!(["11111111111111111111111111111111"])), Payload::SolanaAccount);
    assert_eq!(payload_for("slotSubscribe", None), Payload::SolanaSlot);
    assert_eq!(of(ETH_SUBSCRIBE, json!(["newHeads"])), Payload::EthNewHeads);
    assert_eq!(of(ETH_SUBSCRIBE, json!(["logs", {}])), Payload::EthLogs);
    assert_eq!(
        of(ETH_SUBSCRIBE, json!(["alchemy_minedTransactions", {}])),
        Payload::AlchemyMinedTransactions
    );
    assert_eq!(of(ETH_SUBSCRIBE, json!(["madeUpKind"])), Payload::Unknown);
    assert_eq!(payload_for(ETH_SUBSCRIBE, None), Payload::Unknown);
    assert_eq!(payload_for("getVersion", None), Payload::Unknown);
    assert_eq!(payload_for(REQUEST_ID, None), Payload::Unknown);
}

/// `eth_subscribe` kinds that are also the names of members of payloads, which decoding
/// reads (`logs` in a Solana logs notification): as strings they are not names of methods.
const MEMBER_NAMES: [&str; 2] = ["logs", "syncing"];

/// Every method name the catalogue holds (subscribe, unsubscribe, notification) and every
/// `eth_subscribe` kind but [`MEMBER_NAMES`], each as the string literal that would spell it.
fn catalogue_names() -> BTreeSet<String> {
    methods()
        .iter()
        .flat_map(|spec| {
            [Some(spec.rpc_method), spec.unsubscribe_method, spec.notification_method, spec.subscription_kind]
        })
        .flatten()
        .filter(|name| !name.is_empty() && !MEMBER_NAMES.contains(name))
        .map(|name| format!("\"{name}\""))
        .collect()
}

/// The `.rs` files under `dir`, but for the folders the catalogue's names belong in (the
/// catalogue itself and the demo server, which plays the nodes) and test files.
fn code_files(dir: &Path, skipped: &[PathBuf], files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { panic!("cannot read {}", dir.display()) };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if skipped.contains(&path) || name == "tests" {
            continue;
        }
        if path.is_dir() {
            code_files(&path, skipped, files);
        } else if name.ends_with(".rs") && name != "tests.rs" && !name.ends_with("_tests.rs") {
            files.push(path);
        }
    }
}

/// The lines of a source file that are code outside tests, numbered from 1: comments (doc
/// examples too) and every `#[cfg(test)]` item are left out. Items are found by rustfmt's
/// layout: a block ends at the `}` indented as its first line.
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    let mut code = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        if trimmed != "#[cfg(test)]" {
            code.push((index + 1, line));
            continue;
        }
        let Some((_, item)) = lines.by_ref().find(|(_, line)| !line.trim_start().starts_with("#[")) else {
            break;
        };
        if item.trim_end().ends_with('{') {
            let indent = &item[..item.len() - item.trim_start().len()];
            let end = format!("{indent}}}");
            lines.by_ref().find(|(_, line)| line.trim_end() == end);
        }
    }
    code
}

#[test]
fn method_names_are_spelled_only_in_the_catalogue_and_the_demo_server() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let skipped = [root.join("catalog"), root.join("demo")];
    let mut files = Vec::new();
    code_files(&root, &skipped, &mut files);
    assert!(files.len() > 20, "found only {} files under {}", files.len(), root.display());
    let names = catalogue_names();
    assert!(names.contains("\"logsSubscribe\"") && names.contains("\"eth_subscription\""));
    let mut found = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else { panic!("cannot read {}", file.display()) };
        for (number, line) in code_lines(&text) {
            for name in names.iter().filter(|name| line.contains(name.as_str())) {
                let path = file.strip_prefix(&root).unwrap_or(file).display();
                found.push(format!("src/{path}:{number}: {name}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "method names outside src/catalog and src/demo (match on catalog::Payload or use the \
         catalogue's constants instead):\n{}",
        found.join("\n")
    );
}

#[test]
fn code_lines_leave_out_comments_and_test_items() {
    let text = "fn a() {}\n// \"x\"\n#[cfg(test)]\nmod tests;\nfn b() {}\n#[cfg(test)]\n#[path = \"t.rs\"]\nmod t {\n    fn c() {\n    }\n}\nfn d() {}\n";
    let numbers: Vec<usize> = code_lines(text).into_iter().map(|(number, _)| number).collect();
    assert_eq!(numbers, [1, 5, 12]);
}
