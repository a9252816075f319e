//! An audit as text (one block per subscription, numbers aligned) and as JSON (a stable
//! object, documented in the README's "Audit a capture").

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use super::tally::Item;
use super::{AuditReport, Outcome, SubscriptionAudit, Tally};

/// The most missing (or extra, or reorged) items the text lists per subscription; the rest are
/// counted ("… and 12 more"). JSON lists them all.
pub const MISSING_SHOWN: usize = 20;

/// The version of the JSON object; it changes only when a member changes meaning or goes.
const JSON_VERSION: u32 = 1;

/// A subscription as the report names it: its method and params (`eth_subscribe ["newHeads"]`).
pub(super) fn label(method: &str, params: Option<&Value>) -> String {
    match params {
        Some(params) if !params.is_null() => format!("{method} {params}"),
        _ => method.to_owned(),
    }
}

/// The report as text: per subscription its name, endpoint and span, then its counts with
/// the listed items under each, at most [`MISSING_SHOWN`] of a kind.
pub fn render_text(report: &AuditReport) -> String {
    let mut out = String::new();
    if report.subscriptions.is_empty() {
        out.push_str("The capture holds no subscriptions.\n");
    }
    for (index, audit) in report.subscriptions.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        render_one(&mut out, audit);
    }
    let _ = writeln!(out, "\n{}", render_summary(report));
    out
}

/// One subscription's block of the text report.
pub fn render_subscription(audit: &SubscriptionAudit) -> String {
    let mut out = String::new();
    render_one(&mut out, audit);
    out
}

/// The report's last line: how many subscriptions were checked, items missing, failures.
pub fn render_summary(report: &AuditReport) -> String {
    let mut out = format!("{} checked, {} missing", report.checked(), report.missing());
    if report.failed() > 0 {
        let _ = write!(out, ", {} could not be checked", report.failed());
    }
    out
}

fn render_one(out: &mut String, audit: &SubscriptionAudit) {
    let _ = writeln!(
        out,
        "{} on {} (subscription {})",
        label(&audit.method, audit.params.as_ref()),
        audit.endpoint,
        audit.key
    );
    let check = match &audit.outcome {
        Outcome::Checked(check) => check,
        Outcome::NotCheckable { reason } => {
            let _ = writeln!(out, "  not checkable: {reason}");
            return;
        }
        Outcome::Failed { error } => {
            let _ = writeln!(out, "  could not be checked: {error}");
            return;
        }
    };
    let unit = check.span.unit.name();
    let span = match check.span.range {
        Some((first, last)) => format!("{unit}s {first}–{last}"),
        None => format!("no {unit}s"),
    };
    let _ = writeln!(out, "  span          {span}: {}", check.span.basis);
    let tally = &check.tally;
    row(out, "expected", tally.expected, &[]);
    row(out, "delivered", tally.delivered, &[]);
    if tally.recovered > 0 {
        row(out, "recovered", tally.recovered, &[]);
    }
    row(out, "missing", tally.missing.len() as u64, &tally.missing);
    row(out, "extra", tally.extra.len() as u64, &tally.extra);
    row(out, "duplicates", tally.duplicates, &[]);
    row(out, "out of order", tally.out_of_order, &[]);
    row(out, "reorged", tally.reorged.len() as u64, &tally.reorged);
    if tally.unsettled > 0 {
        row(out, "unsettled", tally.unsettled, &[]);
    }
}

/// One count, right-aligned, and the items it stands for under it.
fn row(out: &mut String, name: &str, count: u64, items: &[Item]) {
    let _ = writeln!(out, "  {name:<12} {count:>8}");
    for item in items.iter().take(MISSING_SHOWN) {
        let _ = writeln!(out, "      {item}");
    }
    if items.len() > MISSING_SHOWN {
        let _ = writeln!(out, "      … and {} more", items.len() - MISSING_SHOWN);
    }
}

/// The report as one JSON object (see the README for its members).
pub fn to_json(report: &AuditReport) -> String {
    #[derive(Serialize)]
    struct Whole<'a> {
        version: u32,
        subscriptions: Vec<One<'a>>,
        checked: usize,
        missing: usize,
        failed: usize,
    }
    #[derive(Serialize)]
    struct One<'a> {
        key: u64,
        endpoint: &'a str,
        method: &'a str,
        params: Option<&'a Value>,
        rpc: Option<&'a str>,
        status: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        span: Option<SpanJson<'a>>,
        #[serde(flatten, skip_serializing_if = "Option::is_none")]
        tally: Option<&'a Tally>,
    }
    #[derive(Serialize)]
    struct SpanJson<'a> {
        unit: &'static str,
        first: Option<u64>,
        last: Option<u64>,
        basis: &'a str,
    }
    let subscriptions = report
        .subscriptions
        .iter()
        .map(|audit| {
            let (status, reason, check) = match &audit.outcome {
                Outcome::Checked(check) => ("checked", None, Some(check)),
                Outcome::NotCheckable { reason } => ("not_checkable", Some(reason.as_str()), None),
                Outcome::Failed { error } => ("failed", Some(error.as_str()), None),
            };
            One {
                key: audit.key,
                endpoint: &audit.endpoint,
                method: &audit.method,
                params: audit.params.as_ref(),
                rpc: audit.rpc.as_deref(),
                status,
                reason,
                span: check.map(|check| SpanJson {
                    unit: check.span.unit.name(),
                    first: check.span.range.map(|range| range.0),
                    last: check.span.range.map(|range| range.1),
                    basis: &check.span.basis,
                }),
                tally: check.map(|check| &check.tally),
            }
        })
        .collect();
    let whole = Whole {
        version: JSON_VERSION,
        subscriptions,
        checked: report.checked(),
        missing: report.missing(),
        failed: report.failed(),
    };
    serde_json::to_string(&whole).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Check, Span, Unit};

    fn report(missing: usize) -> AuditReport {
        let items: Vec<Item> =
            (0..missing as u64).map(|slot| Item { slot: Some(slot), ..Item::default() }).collect();
        let tally =
            Tally { expected: 30, delivered: 30 - missing as u64, missing: items, ..Tally::default() };
        let span =
            Span { unit: Unit::Slot, range: Some((0, 29)), basis: "from the first to the last".into() };
        let checked = SubscriptionAudit {
            key: 1,
            endpoint: "ws://127.0.0.1:8900".into(),
            method: "slots".into(),
            params: None,
            rpc: Some("http://127.0.0.1:8899".into()),
            outcome: Outcome::Checked(Box::new(Check { span, tally })),
        };
        let other = SubscriptionAudit {
            key: 2,
            outcome: Outcome::NotCheckable { reason: "a reason".into() },
            ..checked.clone()
        };
        AuditReport { subscriptions: vec![checked, other] }
    }

    #[test]
    fn text_lists_missing_items_up_to_the_cap() {
        let text = render_text(&report(25));
        assert!(text.contains("  missing            25\n      slot 0\n"), "{text}");
        assert!(text.contains("      slot 19\n      … and 5 more\n"), "{text}");
        assert!(!text.contains("slot 20\n"), "{text}");
        assert!(text.contains("  not checkable: a reason"), "{text}");
        assert!(text.ends_with("1 checked, 25 missing\n"), "{text}");
    }

    #[test]
    fn json_lists_every_item_with_the_counts_at_the_top() {
        let json: Value = serde_json::from_str(&to_json(&report(25))).unwrap_or_default();
        assert_eq!(json["version"], 1);
        assert_eq!(
            (json["checked"].as_u64(), json["missing"].as_u64(), json["failed"].as_u64()),
            (Some(1), Some(25), Some(0))
        );
        let first = &json["subscriptions"][0];
        assert_eq!(first["status"], "checked");
        assert_eq!(first["missing"].as_array().map(Vec::len), Some(25));
        assert_eq!(
            first["span"],
            serde_json::json!({"unit": "slot", "first": 0, "last": 29, "basis": "from the first to the last"})
        );
        assert_eq!(first["expected"], 30);
        let second = &json["subscriptions"][1];
        assert_eq!(
            (second["status"].as_str(), second["reason"].as_str()),
            (Some("not_checkable"), Some("a reason"))
        );
        assert!(second.get("missing").is_none() && second.get("span").is_none());
    }
}
