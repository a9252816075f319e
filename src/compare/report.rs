//! What a comparison found, as plain data: for a panel to show, as a text table for the
//! terminal, and as the JSON `subscope compare --json` prints.

use std::fmt::Write as _;

use serde::Serialize;

use super::{LagHistogram, MemberStats};
use crate::capture::{ConnId, SubKey};

/// The version of the JSON [`Report::to_json`] writes: raised when a field changes meaning
/// or goes away (new fields may be added within a version).
pub const JSON_FORMAT: u32 = 1;

/// Every group's counts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// One per request, in the order first seen.
    pub groups: Vec<GroupReport>,
}

/// One request and its members.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupReport {
    /// The subscribe method.
    pub method: String,
    /// Its params.
    pub params: Option<serde_json::Value>,
    /// One per subscription, by connection.
    pub endpoints: Vec<EndpointReport>,
    /// Items settled before their grace window ended because more than
    /// [`super::MAX_ITEMS`] were held at once: a member that delivers one of them later than
    /// the others is counted missed for it, not late.
    pub settled_early: u64,
    /// Subscriptions of the same request left out of the comparison: a group compares at most
    /// [`super::MAX_MEMBERS`] (one bit each per item).
    pub left_out: u64,
}

impl GroupReport {
    /// What [`Self::settled_early`] means for the counts, when there are any.
    pub fn settled_early_note(&self) -> Option<String> {
        (self.settled_early > 0).then(|| {
            format!(
                "{} settled before the grace window ended: over {} were held at once, so an \
                 endpoint that delivered one later may count it missed, not late",
                crate::human::plural(self.settled_early, "item", "items"),
                super::MAX_ITEMS
            )
        })
    }

    /// What [`Self::left_out`] means, when any was.
    pub fn left_out_note(&self) -> Option<String> {
        (self.left_out > 0).then(|| {
            format!(
                "{} of this request not compared: at most {} are",
                crate::human::plural(self.left_out, "more subscription", "more subscriptions"),
                super::MAX_MEMBERS
            )
        })
    }

    /// The notes on what the counts leave out, in the order they are shown.
    pub fn notes(&self) -> impl Iterator<Item = String> {
        self.settled_early_note().into_iter().chain(self.left_out_note())
    }
}

/// One subscription's counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointReport {
    /// The subscription.
    pub sub: SubKey,
    /// Its connection.
    pub conn: ConnId,
    /// The endpoint URL, redacted.
    pub endpoint: String,
    /// Received, first, missed, late, duplicates, gaps, stalls.
    pub stats: MemberStats,
    /// Lag behind the fastest endpoint; `None` before any item.
    pub lag: Option<LagSummary>,
}

/// Lag percentiles in ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LagSummary {
    /// The median.
    pub p50: u64,
    /// The 90th percentile.
    pub p90: u64,
    /// The 99th percentile.
    pub p99: u64,
    /// The largest.
    pub max: u64,
}

impl EndpointReport {
    pub(super) fn new(
        sub: SubKey,
        conn: ConnId,
        endpoint: String,
        stats: MemberStats,
        lag: &LagHistogram,
    ) -> Self {
        let summary = || {
            Some(LagSummary {
                p50: lag.quantile(0.5)?,
                p90: lag.quantile(0.9)?,
                p99: lag.quantile(0.99)?,
                max: lag.max()?,
            })
        };
        Self { sub, conn, endpoint, stats, lag: summary() }
    }
}

impl Report {
    /// The JSON `subscope compare --json` prints (format [`JSON_FORMAT`], every column of
    /// the table): `{"format":1,"subscriptions":[{"request":{…},"endpoints":[{"endpoint":…,
    /// "received":N,"first":N,"missed":N,"recovered":N,"late":N,"duplicates":N,
    /// "lag_ms":{"p50":…,"p90":…,"p99":…,"max":…},"gaps":N,"gap_blocks":N,"stalls":N,
    /// "longest_stall_ms":N}],"settled_early":N,"left_out":N}]}` (lags are `null` for an
    /// endpoint that delivered no item; `settled_early` and `left_out` are
    /// [`GroupReport::settled_early`] and [`GroupReport::left_out`]).
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            format: u32,
            subscriptions: Vec<Subscription<'a>>,
        }
        #[derive(Serialize)]
        struct Subscription<'a> {
            request: Request<'a>,
            endpoints: Vec<Endpoint<'a>>,
            settled_early: u64,
            left_out: u64,
        }
        #[derive(Serialize)]
        struct Request<'a> {
            method: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            params: Option<&'a serde_json::Value>,
        }
        #[derive(Serialize)]
        struct Endpoint<'a> {
            endpoint: &'a str,
            received: u64,
            first: u64,
            missed: u64,
            recovered: u64,
            late: u64,
            duplicates: u64,
            lag_ms: Lag,
            gaps: u64,
            gap_blocks: u64,
            stalls: u64,
            longest_stall_ms: u64,
        }
        #[derive(Serialize)]
        struct Lag {
            p50: Option<u64>,
            p90: Option<u64>,
            p99: Option<u64>,
            max: Option<u64>,
        }
        let out = Out {
            format: JSON_FORMAT,
            subscriptions: self
                .groups
                .iter()
                .map(|group| Subscription {
                    request: Request { method: &group.method, params: group.params.as_ref() },
                    endpoints: group
                        .endpoints
                        .iter()
                        .map(|endpoint| Endpoint {
                            endpoint: &endpoint.endpoint,
                            received: endpoint.stats.received,
                            first: endpoint.stats.first,
                            missed: endpoint.stats.missed,
                            recovered: endpoint.stats.recovered,
                            late: endpoint.stats.late,
                            duplicates: endpoint.stats.duplicates,
                            lag_ms: Lag {
                                p50: endpoint.lag.map(|lag| lag.p50),
                                p90: endpoint.lag.map(|lag| lag.p90),
                                p99: endpoint.lag.map(|lag| lag.p99),
                                max: endpoint.lag.map(|lag| lag.max),
                            },
                            gaps: endpoint.stats.gaps,
                            gap_blocks: endpoint.stats.gap_blocks,
                            stalls: endpoint.stats.stalls,
                            longest_stall_ms: endpoint.stats.longest_stall_ms,
                        })
                        .collect(),
                    settled_early: group.settled_early,
                    left_out: group.left_out,
                })
                .collect(),
        };
        serde_json::to_string(&out).unwrap_or_else(|err| format!(r#"{{"error":"{err}"}}"#))
    }
}

/// The report as a text table, one block per request:
///
/// ```text
/// slotSubscribe
///   endpoint   received  first  missed  recovered  late  dup   p50   p90   p99   max  gaps  stalls
///   ws://127.0.0.1:8910/    120    118       0          0     0    0     0     0     1     3     0       0
/// ```
pub fn render_table(report: &Report) -> String {
    const HEADS: [&str; 12] = [
        "received",
        "first",
        "missed",
        "recovered",
        "late",
        "dup",
        "p50",
        "p90",
        "p99",
        "max",
        "gaps",
        "stalls",
    ];
    let mut out = String::new();
    for group in &report.groups {
        let params = group.params.as_ref().map(|params| format!(" {params}")).unwrap_or_default();
        let _ = writeln!(out, "{}{params}", group.method);
        let width = group
            .endpoints
            .iter()
            .map(|endpoint| endpoint.endpoint.chars().count())
            .max()
            .unwrap_or(0)
            .max(8);
        let _ = write!(out, "  {:<width$}", "endpoint");
        for head in HEADS {
            let _ = write!(out, " {head:>8}");
        }
        let _ = writeln!(out, "   (lag in ms)");
        for endpoint in &group.endpoints {
            let lag = |pick: fn(&LagSummary) -> u64| {
                endpoint.lag.as_ref().map_or_else(|| "-".to_owned(), |lag| pick(lag).to_string())
            };
            let stats = &endpoint.stats;
            let cells = [
                stats.received.to_string(),
                stats.first.to_string(),
                stats.missed.to_string(),
                stats.recovered.to_string(),
                stats.late.to_string(),
                stats.duplicates.to_string(),
                lag(|lag| lag.p50),
                lag(|lag| lag.p90),
                lag(|lag| lag.p99),
                lag(|lag| lag.max),
                stats.gaps.to_string(),
                stats.stalls.to_string(),
            ];
            let _ = write!(out, "  {:<width$}", endpoint.endpoint);
            for cell in cells {
                let _ = write!(out, " {cell:>8}");
            }
            out.push('\n');
        }
        for note in group.notes() {
            let _ = writeln!(out, "  note: {note}");
        }
    }
    out
}
