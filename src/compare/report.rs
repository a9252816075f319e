//! What a comparison found, as plain data: for a panel to show, as a text table for the
//! terminal, and as the JSON `subscope compare --json` prints.

use std::fmt::Write as _;

use serde::Serialize;

use super::MemberStats;
use crate::capture::{ConnId, SubKey};

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
    /// Notifications received.
    pub received: u64,
    /// Items delivered before every other endpoint.
    pub first: u64,
    /// Items others delivered and this one did not within the grace window.
    pub missed: u64,
    /// Items delivered after the grace window.
    pub late: u64,
    /// Items delivered more than once.
    pub duplicates: u64,
    /// Notifications with no item identity.
    pub unidentified: u64,
    /// Lag behind the fastest endpoint; `None` before any item.
    pub lag: Option<LagSummary>,
    /// Jumps in newHeads block numbers, and the numbers they skipped.
    pub gaps: u64,
    /// Block numbers the gaps skipped.
    pub gap_blocks: u64,
    /// Silences of several times the usual interval.
    pub stalls: u64,
    /// The longest, in ms.
    pub longest_stall_ms: u64,
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
    pub(super) fn new(sub: SubKey, conn: ConnId, endpoint: String, stats: &MemberStats) -> Self {
        let lag = &stats.lag;
        let summary = || {
            Some(LagSummary {
                p50: lag.quantile(0.5)?,
                p90: lag.quantile(0.9)?,
                p99: lag.quantile(0.99)?,
                max: lag.max()?,
            })
        };
        Self {
            sub,
            conn,
            endpoint,
            received: stats.received,
            first: stats.first,
            missed: stats.missed,
            late: stats.late,
            duplicates: stats.duplicates,
            unidentified: stats.unidentified,
            lag: summary(),
            gaps: stats.gaps,
            gap_blocks: stats.gap_blocks,
            stalls: stats.stalls,
            longest_stall_ms: stats.longest_stall_ms,
        }
    }
}

impl Report {
    pub(super) fn from_groups<'a>(
        groups: impl Iterator<Item = (&'a str, Option<&'a serde_json::Value>, Vec<EndpointReport>)>,
    ) -> Self {
        let groups = groups
            .map(|(method, params, endpoints)| GroupReport {
                method: method.to_owned(),
                params: params.cloned(),
                endpoints,
            })
            .collect();
        Self { groups }
    }

    /// The JSON `subscope compare --json` prints, in the issue's shape:
    /// `{"subscriptions":[{"request":{…},"endpoints":[{"endpoint":…,"received":N,"first":N,
    /// "missed":N,"duplicates":N,"lag_ms":{"p50":…,"p90":…,"p99":…,"max":…}}]}]}` (lags
    /// are `null` for an endpoint that delivered no item).
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            subscriptions: Vec<Subscription<'a>>,
        }
        #[derive(Serialize)]
        struct Subscription<'a> {
            request: Request<'a>,
            endpoints: Vec<Endpoint<'a>>,
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
            duplicates: u64,
            lag_ms: Lag,
        }
        #[derive(Serialize)]
        struct Lag {
            p50: Option<u64>,
            p90: Option<u64>,
            p99: Option<u64>,
            max: Option<u64>,
        }
        let out = Out {
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
                            received: endpoint.received,
                            first: endpoint.first,
                            missed: endpoint.missed,
                            duplicates: endpoint.duplicates,
                            lag_ms: Lag {
                                p50: endpoint.lag.map(|lag| lag.p50),
                                p90: endpoint.lag.map(|lag| lag.p90),
                                p99: endpoint.lag.map(|lag| lag.p99),
                                max: endpoint.lag.map(|lag| lag.max),
                            },
                        })
                        .collect(),
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
///   endpoint                      received  first  missed  late  dup   p50   p90   p99   max  gaps  stalls
///   ws://127.0.0.1:8910/               120    118       0     0    0     0     0     1     3     0       0
/// ```
pub fn render_table(report: &Report) -> String {
    const HEADS: [&str; 11] =
        ["received", "first", "missed", "late", "dup", "p50", "p90", "p99", "max", "gaps", "stalls"];
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
            let cells = [
                endpoint.received.to_string(),
                endpoint.first.to_string(),
                endpoint.missed.to_string(),
                endpoint.late.to_string(),
                endpoint.duplicates.to_string(),
                lag(|lag| lag.p50),
                lag(|lag| lag.p90),
                lag(|lag| lag.p99),
                lag(|lag| lag.max),
                endpoint.gaps.to_string(),
                endpoint.stalls.to_string(),
            ];
            let _ = write!(out, "  {:<width$}", endpoint.endpoint);
            for cell in cells {
                let _ = write!(out, " {cell:>8}");
            }
            out.push('\n');
        }
    }
    out
}
