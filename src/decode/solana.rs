//! Solana transaction logs as the invocation tree the runtime printed them from, and
//! `jsonParsed` account data as its fields.
//!
//! The runtime's log lines (Agave `stable_log`): `Program X invoke [N]`, `Program X success`,
//! `Program X failed: E`, `Program X consumed A of B compute units`, `Program log: …`,
//! `Program data: …`, `Program return: X DATA`, and `Log truncated` when the transaction
//! printed more than the log limit. Anything else is kept as it is.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use crate::catalog::Payload;
use crate::human::{shorten, truncate};

/// The programs every Solana user meets, by id.
/// The deepest invocation a tree holds. The runtime stops at 5 (9 with newer feature sets);
/// an `invoke [N]` printed deeper (a server that makes it up) nests here, so no frame can
/// build a tree deep enough to overflow the stack of what walks it.
const MAX_INVOKE_DEPTH: u32 = 16;

/// The most characters a block's summary keeps.
const SUMMARY_CHARS: usize = 200;

const PROGRAMS: &[(&str, &str)] = &[
    ("11111111111111111111111111111111", "System"),
    ("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", "Token"),
    ("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb", "Token-2022"),
    ("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL", "Associated Token"),
    ("ComputeBudget111111111111111111111111111111", "ComputeBudget"),
    ("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr", "Memo"),
    ("Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo", "Memo v1"),
    ("AddressLookupTab1e1111111111111111111111111", "Address Lookup Table"),
    ("Stake11111111111111111111111111111111111111", "Stake"),
    ("Vote111111111111111111111111111111111111111", "Vote"),
    ("Config1111111111111111111111111111111111111", "Config"),
    ("BPFLoader1111111111111111111111111111111111", "BPF Loader (deprecated)"),
    ("BPFLoader2111111111111111111111111111111111", "BPF Loader 2"),
    ("BPFLoaderUpgradeab1e11111111111111111111111", "BPF Loader Upgradeable"),
    ("LoaderV411111111111111111111111111111111111", "Loader v4"),
    ("Ed25519SigVerify111111111111111111111111111", "Ed25519 SigVerify"),
    ("KeccakSecp256k11111111111111111111111111111", "Secp256k1 SigVerify"),
];

/// The name of a well-known program.
pub fn program_name(id: &str) -> Option<&'static str> {
    PROGRAMS.iter().find(|(known, _)| *known == id).map(|(_, name)| *name)
}

/// One transaction's logs as a tree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LogTree {
    /// The transaction's signature, when the frame says it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The transaction's error (its JSON), when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whether the runtime cut the logs short (`Log truncated`).
    pub truncated: bool,
    /// The top-level instructions, and any line printed outside them.
    pub items: Vec<LogItem>,
}

/// A line of a log tree, or an instruction with its own lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LogItem {
    /// A program invocation and everything it printed.
    Invoke(Invocation),
    /// `Program log: TEXT`.
    Log {
        /// The message.
        text: String,
    },
    /// `Program data: BASE64…` (an event a program emitted).
    Data {
        /// The base64 words, as printed.
        text: String,
    },
    /// `Program return: PROGRAM BASE64`.
    Return {
        /// The program that returned data.
        program: String,
        /// The base64 data.
        data: String,
    },
    /// `Log truncated`: the lines after this were not kept by the runtime.
    Truncated,
    /// Any other line, as printed.
    Other {
        /// The line.
        text: String,
    },
}

/// How an invocation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "error", rename_all = "snake_case")]
pub enum InvokeResult {
    /// `Program X success`.
    Success,
    /// `Program X failed: ERROR`.
    Failed(String),
    /// The logs end (or were truncated) before it ended.
    Unfinished,
}

/// A program invocation: `Program X invoke [depth]` up to its `success` or `failed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Invocation {
    /// The program id.
    pub program: String,
    /// The program's name, when it is a well-known one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_name: Option<&'static str>,
    /// The invoke depth: 1 for a transaction's instruction, 2 and more for inner ones.
    pub depth: u32,
    /// The instruction, when the program logs it (`Program log: Instruction: Transfer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    /// How it ended.
    pub result: InvokeResult,
    /// Compute units consumed, and the limit it ran under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compute_units: Option<(u64, u64)>,
    /// What it printed and invoked, in order.
    pub items: Vec<LogItem>,
}

impl Invocation {
    /// The program's name, or its id shortened.
    pub fn label(&self) -> String {
        self.program_name.map_or_else(|| shorten(&self.program, 4), str::to_owned)
    }
}

/// One log line, classified.
enum Line<'a> {
    Invoke { program: &'a str, depth: u32 },
    Success { program: &'a str },
    Failed { program: &'a str, error: &'a str },
    Consumed { program: &'a str, consumed: u64, limit: u64 },
    Item(LogItem),
}

fn is_program_id(text: &str) -> bool {
    (32..=44).contains(&text.len())
        && text.bytes().all(|byte| byte.is_ascii_alphanumeric() && !matches!(byte, b'0' | b'O' | b'I' | b'l'))
}

fn classify(line: &str) -> Line<'_> {
    let other = || Line::Item(LogItem::Other { text: line.to_owned() });
    if line == "Log truncated" {
        return Line::Item(LogItem::Truncated);
    }
    if let Some(text) = line.strip_prefix("Program log: ") {
        return Line::Item(LogItem::Log { text: text.to_owned() });
    }
    if let Some(text) = line.strip_prefix("Program data: ") {
        return Line::Item(LogItem::Data { text: text.to_owned() });
    }
    if let Some(rest) = line.strip_prefix("Program return: ") {
        let (program, data) = rest.split_once(' ').unwrap_or((rest, ""));
        return Line::Item(LogItem::Return { program: program.to_owned(), data: data.to_owned() });
    }
    let Some((program, rest)) = line.strip_prefix("Program ").and_then(|rest| rest.split_once(' ')) else {
        return other();
    };
    if !is_program_id(program) {
        return other();
    }
    if rest == "success" {
        return Line::Success { program };
    }
    if let Some(error) = rest.strip_prefix("failed: ") {
        return Line::Failed { program, error };
    }
    if let Some(depth) = rest.strip_prefix("invoke [").and_then(|rest| rest.strip_suffix(']')) {
        return depth.parse().map_or_else(|_| other(), |depth| Line::Invoke { program, depth });
    }
    if let Some(units) = rest.strip_prefix("consumed ").and_then(|rest| rest.strip_suffix(" compute units"))
        && let Some((consumed, limit)) = units.split_once(" of ")
        && let (Ok(consumed), Ok(limit)) = (consumed.parse(), limit.parse())
    {
        return Line::Consumed { program, consumed, limit };
    }
    other()
}

/// Builds the tree from a transaction's log lines. Never fails: lines that do not nest as
/// the runtime prints them (a `success` with no `invoke`) are kept where they appear.
pub fn log_tree<'a>(lines: impl IntoIterator<Item = &'a str>) -> LogTree {
    let mut tree = LogTree::default();
    let mut open: Vec<Invocation> = Vec::new();
    for line in lines {
        match classify(line) {
            Line::Invoke { program, depth } => {
                let depth = depth.clamp(1, MAX_INVOKE_DEPTH);
                // An invoke at depth N closes anything left open at depth N or deeper.
                while open.len() >= depth as usize {
                    close(&mut open, &mut tree);
                }
                open.push(Invocation {
                    program: program.to_owned(),
                    program_name: program_name(program),
                    depth,
                    instruction: None,
                    result: InvokeResult::Unfinished,
                    compute_units: None,
                    items: Vec::new(),
                });
            }
            Line::Success { program } | Line::Failed { program, .. }
                if open.iter().any(|invocation| invocation.program == program) =>
            {
                while open.last().is_some_and(|invocation| invocation.program != program) {
                    close(&mut open, &mut tree);
                }
                if let Some(invocation) = open.last_mut() {
                    invocation.result = match classify(line) {
                        Line::Failed { error, .. } => InvokeResult::Failed(error.to_owned()),
                        _ => InvokeResult::Success,
                    };
                }
                close(&mut open, &mut tree);
            }
            Line::Consumed { program, consumed, limit }
                if open.last().is_some_and(|invocation| invocation.program == program) =>
            {
                if let Some(invocation) = open.last_mut() {
                    invocation.compute_units = Some((consumed, limit));
                }
            }
            Line::Item(item) => {
                if item == LogItem::Truncated {
                    tree.truncated = true;
                }
                match open.last_mut() {
                    Some(invocation) => {
                        if let LogItem::Log { text } = &item
                            && invocation.instruction.is_none()
                            && let Some(name) = text.strip_prefix("Instruction: ")
                        {
                            invocation.instruction = Some(name.trim().to_owned());
                        }
                        invocation.items.push(item);
                    }
                    None => tree.items.push(item),
                }
            }
            Line::Success { .. } | Line::Failed { .. } | Line::Consumed { .. } => {
                let item = LogItem::Other { text: line.to_owned() };
                match open.last_mut() {
                    Some(invocation) => invocation.items.push(item),
                    None => tree.items.push(item),
                }
            }
        }
    }
    while !open.is_empty() {
        close(&mut open, &mut tree);
    }
    tree
}

/// Moves the innermost open invocation into its parent (or the tree's top level).
fn close(open: &mut Vec<Invocation>, tree: &mut LogTree) {
    let Some(done) = open.pop() else { return };
    match open.last_mut() {
        Some(parent) => parent.items.push(LogItem::Invoke(done)),
        None => tree.items.push(LogItem::Invoke(done)),
    }
}

impl LogTree {
    /// The top-level invocations.
    pub fn instructions(&self) -> impl Iterator<Item = &Invocation> {
        self.items.iter().filter_map(|item| match item {
            LogItem::Invoke(invocation) => Some(invocation),
            _ => None,
        })
    }

    /// One line: `ComputeBudget ×2; Token: Transfer failed: custom program error: 0x1`, each
    /// top-level instruction as its program and instruction name, repeats counted.
    pub fn summary(&self) -> String {
        let mut parts: Vec<(String, usize)> = Vec::new();
        for invocation in self.instructions() {
            let mut part = invocation.label();
            if let Some(instruction) = &invocation.instruction {
                part = format!("{part}: {instruction}");
            }
            if let InvokeResult::Failed(error) = &invocation.result {
                part = format!("{part} failed: {error}");
            }
            match parts.last_mut() {
                Some((last, count)) if *last == part => *count += 1,
                _ => parts.push((part, 1)),
            }
        }
        let mut line = parts
            .into_iter()
            .map(|(part, count)| if count > 1 { format!("{part} ×{count}") } else { part })
            .collect::<Vec<_>>()
            .join("; ");
        if line.is_empty() {
            line = "no instructions".to_owned();
        }
        if self.truncated {
            line.push_str(" (logs truncated)");
        }
        line
    }
}

/// Whether `payload` holds transactions whose logs are decoded into trees.
pub(super) fn carries_logs(payload: Payload) -> bool {
    matches!(payload, Payload::SolanaLogs | Payload::HeliusTransaction | Payload::SolanaBlock)
}

/// The log trees in a Solana notification's result: a `logsSubscribe` transaction, a Helius
/// transaction, or the transactions of a block.
pub fn trees_in(payload: Payload, result: &Value) -> Vec<LogTree> {
    match payload {
        Payload::SolanaLogs => {
            let value = &result["value"];
            tree_of(value.get("logs"), value.get("signature"), value.get("err")).into_iter().collect()
        }
        Payload::HeliusTransaction => {
            let meta = &result["transaction"]["meta"];
            tree_of(meta.get("logMessages"), result.get("signature"), meta.get("err")).into_iter().collect()
        }
        Payload::SolanaBlock => result["value"]["block"]["transactions"]
            .as_array()
            .map(|transactions| {
                transactions
                    .iter()
                    .filter_map(|transaction| {
                        let signature = transaction["transaction"]["signatures"].get(0);
                        let meta = &transaction["meta"];
                        tree_of(meta.get("logMessages"), signature, meta.get("err"))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// [`trees_in`] for a `logsNotification` whose result is `result`, read from the text into
/// borrowed fields rather than into values (a frame's log lines are most of it): the tree, if
/// the result names its logs. `None` when the result's shape asks for the general reader (a
/// log line or a signature that is not a string, a member twice), which then decides.
pub fn logs_tree_of_text(result: &str) -> Option<Option<LogTree>> {
    #[derive(serde::Deserialize)]
    struct LogsResult<'a> {
        #[serde(borrow, default)]
        value: Option<LogsValue<'a>>,
    }
    #[derive(serde::Deserialize)]
    struct LogsValue<'a> {
        #[serde(borrow, default)]
        signature: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        err: Option<&'a serde_json::value::RawValue>,
        #[serde(borrow, default)]
        logs: Option<Vec<Cow<'a, str>>>,
    }
    let read: LogsResult<'_> = serde_json::from_str(result).ok()?;
    let Some(LogsValue { signature, err, logs: Some(logs) }) = read.value else { return Some(None) };
    let mut tree = log_tree(logs.iter().map(|line| &**line));
    tree.signature = signature.map(Cow::into_owned);
    // As the general reader writes it (compact, keys in order), from the value.
    tree.error = err.and_then(|err| serde_json::from_str::<Value>(err.get()).ok()).map(|err| err.to_string());
    Some(Some(tree))
}

fn tree_of(logs: Option<&Value>, signature: Option<&Value>, err: Option<&Value>) -> Option<LogTree> {
    let lines = logs?.as_array()?;
    let mut tree = log_tree(lines.iter().filter_map(Value::as_str));
    tree.signature = signature.and_then(Value::as_str).map(str::to_owned);
    tree.error = err.filter(|err| !err.is_null()).map(Value::to_string);
    Some(tree)
}

/// A summary of several trees: one's own, or `N transactions: …` for a block.
pub fn trees_summary(trees: &[LogTree]) -> String {
    match trees {
        [tree] => {
            let summary = tree.summary();
            // The summary names a failed top-level instruction itself; say it only otherwise.
            let named =
                tree.instructions().any(|invocation| matches!(invocation.result, InvokeResult::Failed(_)));
            if tree.error.is_some() && !named { format!("failed: {summary}") } else { summary }
        }
        _ => {
            let failed = trees.iter().filter(|tree| tree.error.is_some()).count();
            let failed = if failed > 0 { format!(" ({failed} failed)") } else { String::new() };
            let mut line = format!("{} transactions{failed}: ", trees.len());
            let start = line.len();
            // Distinct summaries in order, until the line is longer than what is kept of it
            // (a block holds thousands of transactions).
            let mut seen = std::collections::HashSet::new();
            for tree in trees {
                if line.len() > start + SUMMARY_CHARS * 4 {
                    break;
                }
                let summary = tree.summary();
                if seen.insert(summary.clone()) {
                    if line.len() > start {
                        line.push_str(" | ");
                    }
                    line.push_str(&summary);
                }
            }
            truncate(&line, SUMMARY_CHARS)
        }
    }
}

/// `jsonParsed` account data: the program that parsed it, the account type, and its fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParsedAccount {
    /// The parser: `spl-token`, `nonce`, `stake`, `vote`, …
    pub program: String,
    /// The account type: `account`, `mint`, `initialized`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The fields of `parsed.info`, nested objects flattened with dots
    /// (`tokenAmount.uiAmountString`), in name order.
    pub fields: Vec<Field>,
}

/// One named value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The dotted name.
    pub name: String,
    /// The value as text (strings unquoted, arrays as JSON).
    pub value: String,
}

/// The parsed fields of an account's `data` when the node sent it `jsonParsed`; `None` for
/// base64/base58 data (an array or a string).
pub fn parsed_account(data: &Value) -> Option<ParsedAccount> {
    let parsed = data.get("parsed")?;
    let program = data.get("program").and_then(Value::as_str).unwrap_or_default().to_owned();
    let kind = parsed.get("type").and_then(Value::as_str).map(str::to_owned);
    let mut fields = Vec::new();
    match parsed.get("info") {
        Some(info) => flatten("", info, &mut fields),
        None => flatten("parsed", parsed, &mut fields),
    }
    Some(ParsedAccount { program, kind, fields })
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<Field>) {
    match value {
        Value::Object(members) if !members.is_empty() => {
            for (name, member) in members {
                let name = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
                flatten(&name, member, out);
            }
        }
        Value::String(text) => out.push(Field { name: prefix.to_owned(), value: text.clone() }),
        other => out.push(Field { name: prefix.to_owned(), value: other.to_string() }),
    }
}

impl ParsedAccount {
    /// `spl-token account: mint=EPjF…Dt1v owner=9WzD…AWWM tokenAmount=1.5 state=initialized`:
    /// top-level fields, a token amount as its UI amount, addresses shortened.
    pub fn summary(&self) -> String {
        let mut line = match &self.kind {
            Some(kind) => format!("{} {kind}:", self.program),
            None => format!("{}:", self.program),
        };
        for field in &self.fields {
            let (name, value) = match field.name.split_once('.') {
                Some((name, "uiAmountString")) => (name, field.value.clone()),
                Some(_) => continue,
                None if is_program_id(&field.value) => (field.name.as_str(), shorten(&field.value, 4)),
                None => (field.name.as_str(), truncate(&field.value, 24)),
            };
            line.push_str(&format!(" {name}={value}"));
        }
        truncate(&line, 200)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";

    #[test]
    fn lines_are_classified_as_the_runtime_prints_them() {
        assert!(matches!(
            classify("Program 11111111111111111111111111111111 invoke [1]"),
            Line::Invoke { depth: 1, .. }
        ));
        assert!(matches!(
            classify(&format!("Program {TOKEN} consumed 4645 of 200000 compute units")),
            Line::Consumed { consumed: 4645, limit: 200_000, .. }
        ));
        assert!(matches!(
            classify(&format!("Program {TOKEN} failed: custom program error: 0x1")),
            Line::Failed { error: "custom program error: 0x1", .. }
        ));
        assert!(matches!(classify("Program is not deployed"), Line::Item(LogItem::Other { .. })));
        assert!(matches!(classify("Program log: Program 1 invoke [1]"), Line::Item(LogItem::Log { .. })));
        assert!(matches!(classify("Log truncated"), Line::Item(LogItem::Truncated)));
    }

    #[test]
    fn a_truncated_log_leaves_its_invocations_unfinished() {
        let tree = log_tree([
            "Program ComputeBudget111111111111111111111111111111 invoke [1]",
            "Program ComputeBudget111111111111111111111111111111 success",
            &format!("Program {TOKEN} invoke [1]"),
            "Program log: Instruction: Transfer",
            "Log truncated",
        ]);
        assert!(tree.truncated);
        let instructions: Vec<_> = tree.instructions().collect();
        assert_eq!(instructions.len(), 2);
        assert_eq!(instructions[1].result, InvokeResult::Unfinished);
        assert_eq!(tree.summary(), "ComputeBudget; Token: Transfer (logs truncated)");
    }

    #[test]
    fn lines_that_do_not_nest_are_kept_in_place() {
        let tree = log_tree([&format!("Program {TOKEN} success"), "something else"]);
        assert_eq!(tree.items.len(), 2);
        assert_eq!(tree.summary(), "no instructions");
    }

    #[test]
    fn parsed_token_accounts_show_their_fields() {
        let data: Value = serde_json::from_str(
            r#"{"program":"spl-token","parsed":{"info":{"isNative":false,"mint":"EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v","owner":"9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM","state":"initialized","tokenAmount":{"amount":"1500000","decimals":6,"uiAmount":1.5,"uiAmountString":"1.5"}},"type":"account"},"space":165}"#,
        )
        .unwrap_or_default();
        let account = parsed_account(&data).unwrap_or_else(|| panic!("not parsed"));
        assert_eq!(account.kind.as_deref(), Some("account"));
        assert!(account.fields.contains(&Field { name: "tokenAmount.decimals".into(), value: "6".into() }));
        assert_eq!(
            account.summary(),
            "spl-token account: isNative=false mint=EPjF…Dt1v owner=9WzD…AWWM state=initialized tokenAmount=1.5"
        );
        assert_eq!(parsed_account(&serde_json::json!(["AAAA", "base64"])), None);
    }
}
