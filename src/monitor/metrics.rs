//! The metrics `subscope monitor` serves, registered once with `prometheus-client` and
//! labelled by names from the workspace only (endpoint, subscription, group): the label sets
//! are as many as the workspace has entries, never a URL, key or server id.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// The buckets of the comparison lag histogram, in seconds: every 50 ms from 0.1 to 0.4 s, so
/// that `histogram_quantile` reads a lag of a few hundred ms to within 10 %, then coarser up to
/// 30 s (17 buckets: with 200 members a scrape stays under half a megabyte).
pub const LAG_BUCKETS: [f64; 17] =
    [0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0];

/// An endpoint's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndpointLabels {
    /// The endpoint's name in the workspace.
    pub endpoint: String,
}

/// A subscription's labels: on which endpoint, and its name in the workspace.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SubLabels {
    /// The endpoint's name.
    pub endpoint: String,
    /// The subscription's name.
    pub subscription: String,
}

/// A comparison member's labels: the group, and the endpoint compared in it.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MemberLabels {
    /// The group's name.
    pub group: String,
    /// The endpoint's name.
    pub endpoint: String,
}

/// A comparison group's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GroupLabels {
    /// The group's name.
    pub group: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;

fn lag_histogram() -> Histogram {
    Histogram::new(LAG_BUCKETS)
}

/// Every metric, each a family shared with the registry (counting through a clone counts in
/// the registry).
pub struct Metrics {
    registry: Registry,
    /// The size of the last exposition, to size the next one's buffer.
    last_size: std::sync::atomic::AtomicUsize,
    /// Notifications received live.
    pub notifications: Family<SubLabels, Counter>,
    /// Their bytes, as received.
    pub bytes: Family<SubLabels, Counter>,
    /// Notifications recovered over HTTP after a gap.
    pub recovered: Family<SubLabels, Counter>,
    /// Whether the server confirmed the subscription and it has not ended.
    pub active: Family<SubLabels, Gauge>,
    /// Silences of several times the usual interval.
    pub stalls: Family<SubLabels, Counter>,
    /// Seconds since the last notification (or since the subscription was sent).
    pub last_age: Family<SubLabels, FloatGauge>,
    /// Whether the connection is open.
    pub up: Family<EndpointLabels, Gauge>,
    /// Times the connection was lost and restored.
    pub reconnects: Family<EndpointLabels, Counter>,
    /// Seconds without a connection between a loss and its restoring.
    pub gap_seconds: Family<EndpointLabels, Counter<f64, AtomicU64>>,
    /// The highest block or slot seen.
    pub head: Family<EndpointLabels, Gauge>,
    /// How far the head is behind the best endpoint compared with it.
    pub head_lag: Family<EndpointLabels, Gauge>,
    /// Lag behind the first endpoint, per item delivered.
    pub lag: Family<MemberLabels, Histogram, fn() -> Histogram>,
    /// Items delivered before every other member.
    pub first: Family<MemberLabels, Counter>,
    /// Items not delivered live within the grace window.
    pub missed: Family<MemberLabels, Counter>,
    /// Items delivered after the grace window.
    pub late: Family<MemberLabels, Counter>,
    /// Missed items recovered over HTTP.
    pub member_recovered: Family<MemberLabels, Counter>,
    /// Items delivered again.
    pub duplicates: Family<MemberLabels, Counter>,
    /// Items some member of a group delivered live.
    pub items: Family<GroupLabels, Counter>,
    /// Items a group settled before their grace window ended, to stay under its bound.
    pub settled_early: Family<GroupLabels, Counter>,
    /// Events `--out` could not write because the disk fell behind.
    pub capture_dropped: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every metric, registered under `subscope_`.
    pub fn new() -> Self {
        let mut metrics = Self {
            registry: Registry::with_prefix("subscope"),
            last_size: std::sync::atomic::AtomicUsize::new(0),
            notifications: Family::default(),
            bytes: Family::default(),
            recovered: Family::default(),
            active: Family::default(),
            stalls: Family::default(),
            last_age: Family::default(),
            up: Family::default(),
            reconnects: Family::default(),
            gap_seconds: Family::default(),
            head: Family::default(),
            head_lag: Family::default(),
            lag: Family::new_with_constructor(lag_histogram),
            first: Family::default(),
            missed: Family::default(),
            late: Family::default(),
            member_recovered: Family::default(),
            duplicates: Family::default(),
            items: Family::default(),
            settled_early: Family::default(),
            capture_dropped: Counter::default(),
        };
        let registry = &mut metrics.registry;
        registry.register("notifications", "Notifications received live", metrics.notifications.clone());
        registry.register_with_unit(
            "notification",
            "Bytes of the notifications received live",
            Unit::Bytes,
            metrics.bytes.clone(),
        );
        registry.register(
            "recovered_notifications",
            "Notifications missed during a reconnect and recovered over HTTP",
            metrics.recovered.clone(),
        );
        registry.register(
            "subscription_active",
            "1 while the server has confirmed the subscription and it has not ended",
            metrics.active.clone(),
        );
        registry.register(
            "stalls",
            "Silences of several times the subscription's usual interval between notifications",
            metrics.stalls.clone(),
        );
        registry.register_with_unit(
            "last_notification_age",
            "Time since the subscription's last notification (or since it was sent, when none came)",
            Unit::Seconds,
            metrics.last_age.clone(),
        );
        registry.register("connection_up", "1 while the endpoint's connection is open", metrics.up.clone());
        registry.register(
            "reconnects",
            "Times the connection was lost and restored",
            metrics.reconnects.clone(),
        );
        registry.register_with_unit(
            "gap",
            "Time without a connection, from each loss to its restoring",
            Unit::Seconds,
            metrics.gap_seconds.clone(),
        );
        registry.register(
            "head",
            "The highest block number or slot the endpoint notified",
            metrics.head.clone(),
        );
        registry.register(
            "head_lag",
            "Blocks or slots the endpoint's head is behind the best endpoint it is compared with",
            metrics.head_lag.clone(),
        );
        registry.register_with_unit(
            "compare_lag",
            "How long after the first endpoint of the group the endpoint delivered each item",
            Unit::Seconds,
            metrics.lag.clone(),
        );
        registry.register(
            "compare_first",
            "Items the endpoint delivered before every other",
            metrics.first.clone(),
        );
        registry.register(
            "compare_missed",
            "Items another endpoint delivered that this one did not deliver live within the grace window",
            metrics.missed.clone(),
        );
        registry.register("compare_late", "Items delivered after the grace window", metrics.late.clone());
        registry.register(
            "compare_recovered",
            "Items missed live and recovered over HTTP",
            metrics.member_recovered.clone(),
        );
        registry.register("compare_duplicates", "Items delivered more than once", metrics.duplicates.clone());
        registry.register(
            "compare_items",
            "Items some endpoint of the group delivered live",
            metrics.items.clone(),
        );
        registry.register(
            "compare_settled_early",
            "Items settled before their grace window ended because the group held its most: a \
             later delivery of one counts missed, not late",
            metrics.settled_early.clone(),
        );
        registry.register(
            "capture_dropped_events",
            "Events --out did not write: the disk could not keep up, or a write failed",
            metrics.capture_dropped.clone(),
        );
        metrics
    }

    /// The metrics in the Prometheus text format (0.0.4).
    pub fn encode(&self) -> String {
        // As large as the last one: a scrape of 200 members is half a megabyte, which a
        // growing buffer would copy several times over.
        let last = self.last_size.load(std::sync::atomic::Ordering::Relaxed);
        let mut text = String::with_capacity(last + last / 8 + 4096);
        // Writing into a String cannot fail.
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry).ok();
        self.last_size.store(text.len(), std::sync::atomic::Ordering::Relaxed);
        text
    }

    /// Forgets a subscription's series (it left the workspace).
    pub fn remove_subscription(&self, labels: &SubLabels) {
        self.notifications.remove(labels);
        self.bytes.remove(labels);
        self.recovered.remove(labels);
        self.active.remove(labels);
        self.stalls.remove(labels);
        self.last_age.remove(labels);
    }

    /// Forgets an endpoint's series.
    pub fn remove_endpoint(&self, labels: &EndpointLabels) {
        self.up.remove(labels);
        self.reconnects.remove(labels);
        self.gap_seconds.remove(labels);
        self.head.remove(labels);
        self.head_lag.remove(labels);
    }

    /// Forgets a comparison member's series.
    pub fn remove_member(&self, labels: &MemberLabels) {
        self.lag.remove(labels);
        self.first.remove(labels);
        self.missed.remove(labels);
        self.late.remove(labels);
        self.member_recovered.remove(labels);
        self.duplicates.remove(labels);
    }
}

/// The content type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_its_units_and_labels_by_name_only() {
        let metrics = Metrics::new();
        let sub = SubLabels { endpoint: "helius".into(), subscription: "slots".into() };
        metrics.notifications.get_or_create(&sub).inc();
        metrics.bytes.get_or_create(&sub).inc_by(120);
        let member = MemberLabels { group: "slots".into(), endpoint: "helius".into() };
        metrics.lag.get_or_create(&member).observe(0.31);
        metrics.gap_seconds.get_or_create(&EndpointLabels { endpoint: "helius".into() }).inc_by(1.5);
        let text = metrics.encode();
        for line in [
            r#"subscope_notifications_total{endpoint="helius",subscription="slots"} 1"#,
            r#"subscope_notification_bytes_total{endpoint="helius",subscription="slots"} 120"#,
            r#"subscope_compare_lag_seconds_bucket{group="slots",endpoint="helius",le="0.35"} 1"#,
            r#"subscope_compare_lag_seconds_bucket{group="slots",endpoint="helius",le="0.3"} 0"#,
            r#"subscope_compare_lag_seconds_count{group="slots",endpoint="helius"} 1"#,
            r#"subscope_gap_seconds_total{endpoint="helius"} 1.5"#,
        ] {
            assert!(text.lines().any(|found| found == line), "{line} in:\n{text}");
        }
        metrics.remove_subscription(&sub);
        assert!(!metrics.encode().contains(r#"subscription="slots""#));
    }
}
