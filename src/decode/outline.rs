//! A decoded frame as indented lines of label and value: what a "Decoded" view draws (a
//! grid, or a tree whose nodes are the lines one level deeper) without knowing each kind.

use super::{Arg, Decoded, Detail, Invocation, InvokeResult, LogItem, LogTree};
use crate::human::{format_count, shorten};

/// One line of a decoded frame's outline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutlineLine {
    /// How deep it is: 0 for the top, 1 for an argument or an instruction, more for inner
    /// instructions and what they printed.
    pub depth: usize,
    /// What it is: an argument's name and type, a program and instruction, `log`, `data`.
    pub label: String,
    /// Its value: an argument's value, an instruction's outcome, a log line's text.
    pub value: String,
}

fn line(depth: usize, label: impl Into<String>, value: impl Into<String>) -> OutlineLine {
    OutlineLine { depth, label: label.into(), value: value.into() }
}

impl Decoded {
    /// The outline, top to bottom. For an event or call: its signature and origin, then one
    /// line per argument (`value (uint256)` = `1000500000 (1,000.5 USDC)`). For Solana logs:
    /// per transaction its signature and error, then the instructions with their outcome and
    /// compute units, their log lines and inner instructions one level deeper. For an
    /// account: its parser and type, then one line per field.
    pub fn outline(&self) -> Vec<OutlineLine> {
        let mut lines = Vec::new();
        match &self.detail {
            Detail::Event(event) => {
                let removed = if event.removed { " (removed by a reorg)" } else { "" };
                lines.push(line(
                    0,
                    event.signature.clone(),
                    format!("{} at {}{removed}", event.origin, event.contract),
                ));
                lines.extend(event.args.iter().map(arg_line));
            }
            Detail::Call(call) => {
                let to = call.contract.as_deref().map(|to| format!(" to {to}")).unwrap_or_default();
                lines.push(line(0, call.signature.clone(), format!("{}{to}", call.origin)));
                lines.extend(call.args.iter().map(arg_line));
            }
            Detail::Logs { transactions } => {
                for tree in transactions {
                    tree_lines(tree, &mut lines);
                }
            }
            Detail::Account(account) => {
                lines.push(line(0, account.program.clone(), account.kind.clone().unwrap_or_default()));
                lines.extend(
                    account.fields.iter().map(|field| line(1, field.name.clone(), field.value.clone())),
                );
            }
        }
        lines
    }
}

fn arg_line(arg: &Arg) -> OutlineLine {
    let indexed = if arg.indexed { ", indexed" } else { "" };
    let value = match &arg.formatted {
        Some(formatted) => format!("{} ({formatted})", arg.value),
        None => arg.value.clone(),
    };
    line(1, format!("{} ({}{indexed})", arg.name, arg.ty), value)
}

fn tree_lines(tree: &LogTree, lines: &mut Vec<OutlineLine>) {
    let signature = tree.signature.as_deref().map_or_else(|| "transaction".to_owned(), |sig| shorten(sig, 8));
    let outcome = match &tree.error {
        Some(error) => format!("failed: {error}"),
        None => "succeeded".to_owned(),
    };
    lines.push(line(0, signature, outcome));
    items_lines(&tree.items, 1, lines);
}

fn items_lines(items: &[LogItem], depth: usize, lines: &mut Vec<OutlineLine>) {
    for item in items {
        match item {
            LogItem::Invoke(invocation) => {
                lines.push(invocation_line(invocation, depth));
                items_lines(&invocation.items, depth + 1, lines);
            }
            LogItem::Log { text } => lines.push(line(depth, "log", text.clone())),
            LogItem::Data { text } => lines.push(line(depth, "data", text.clone())),
            LogItem::Return { program, data } => {
                lines.push(line(depth, "return", format!("{} {data}", shorten(program, 4))))
            }
            LogItem::Truncated => lines.push(line(depth, "truncated", "the runtime kept no more lines")),
            LogItem::Other { text } => lines.push(line(depth, "", text.clone())),
        }
    }
}

fn invocation_line(invocation: &Invocation, depth: usize) -> OutlineLine {
    let mut label = invocation.label();
    if let Some(instruction) = &invocation.instruction {
        label = format!("{label}: {instruction}");
    }
    let mut value = match &invocation.result {
        InvokeResult::Success => "success".to_owned(),
        InvokeResult::Failed(error) => format!("failed: {error}"),
        InvokeResult::Unfinished => "unfinished".to_owned(),
    };
    if let Some((consumed, limit)) = invocation.compute_units {
        value.push_str(&format!(", {} of {} CU", format_count(consumed), format_count(limit)));
    }
    line(depth, label, value)
}
