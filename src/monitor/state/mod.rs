//! What the monitor keeps up: the workspace's endpoints and subscriptions as live
//! connections and subscriptions of one [`Session`], the comparisons watching them, and the
//! metrics they feed. [`Monitor::apply`] brings the live state in line with a workspace (at
//! start and on each reload: only what changed is touched); [`Monitor::step`] takes what
//! arrived; [`Monitor::tick`] settles comparisons and refreshes the gauges.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;

mod events;

use super::capture::Captures;
use super::http::Shared;
use super::log::{Level, Log};
use super::metrics::{EndpointLabels, GroupLabels, MemberLabels, SubLabels};
use crate::backend::{Backoff, Command, ReconnectPolicy, take_identity};
use crate::capture::{CapturedEvent, ConnId, Direction, SubKey, now_ms};
use crate::compare::{Compare, CompareConfig, MemberStats};
use crate::protocol::FrameKind;
use crate::redact::{Secret, Secrets};
use crate::session::{Endpoint, Session};
use crate::workspace::{Workspace, WorkspaceEndpoint};

/// The most events taken from the queue at once.
const MAX_BATCH: usize = 8_192;

/// The grace window of a subscription compared with nothing (only its stalls are watched).
const SOLO_GRACE_MS: u64 = 1_000;

/// How many recent lags a comparison keeps per member for the histogram to take at the next
/// tick: 512 items a second per member at a tick of 250 ms; beyond that the histogram
/// samples the newest lags (the counters still count every item). A few KB per member,
/// where the window's 2,048 points for its plot would keep growing for half an hour on a
/// stream of one item a second.
const LAG_POINTS: usize = 128;

/// One endpoint as it lives.
struct LiveEndpoint {
    /// Its place in the session's list (endpoints are never removed from it, only closed).
    index: usize,
    conn: Option<ConnId>,
    config: WorkspaceEndpoint,
    key: Option<Secret>,
    /// Whether its connection has opened since it was last (re)connected from scratch.
    opened: bool,
    open: bool,
    /// When to connect again from scratch after a first connect failed, and how long to wait
    /// the time after.
    retry_at_ms: Option<u64>,
    backoff: Backoff,
    head: Option<u64>,
    labels: EndpointLabels,
}

/// One subscription as it lives, with its series.
struct LiveSub {
    endpoint: String,
    name: String,
    method: String,
    params: Option<serde_json::Value>,
    notifications: Counter,
    bytes: Counter,
    recovered: Counter,
    active: Gauge,
    stalls: Counter,
    last_at_ms: Option<u64>,
    labels: SubLabels,
}

/// What a comparison is made of; a comparison whose key is unchanged by a reload is kept.
#[derive(Clone, Debug, PartialEq)]
enum ComparisonKey {
    /// A group: its name, grace, and the (endpoint, subscription) names it compares.
    Group { name: String, grace_ms: u64, members: Vec<(String, String)> },
    /// A subscription compared with nothing.
    Solo { endpoint: String, subscription: String },
}

/// A comparison member's counts already turned into counters.
#[derive(Default)]
struct Seen {
    stats: MemberStats,
    lags: u64,
}

struct Comparison {
    key: ComparisonKey,
    compare: Compare,
    members: HashMap<SubKey, Seen>,
    /// The group's items settled early, as counted so far.
    settled_early: u64,
}

/// See the module docs.
pub(super) struct Monitor {
    session: Session,
    shared: Arc<Shared>,
    log: Log,
    endpoints: BTreeMap<String, LiveEndpoint>,
    subs: HashMap<SubKey, LiveSub>,
    comparisons: Vec<Comparison>,
    /// Each live subscription's comparison, by its index.
    by_sub: HashMap<SubKey, usize>,
    /// Whether the monitor is closing its connections to exit.
    stopping: bool,
    /// The `--out` captures, and whether they have been sent the context yet.
    captures: Option<Captures>,
    context_sent: bool,
}

impl Monitor {
    pub(super) fn new(session: Session, shared: Arc<Shared>, log: Log) -> Self {
        Self {
            session,
            shared,
            log,
            endpoints: BTreeMap::new(),
            subs: HashMap::new(),
            comparisons: Vec::new(),
            by_sub: HashMap::new(),
            stopping: false,
            captures: None,
            context_sent: false,
        }
    }

    /// Writes what arrives to `captures` too.
    pub(super) fn set_captures(&mut self, captures: Captures) {
        self.captures = Some(captures);
    }

    /// Closes the current capture file and waits for it, at most `wait`.
    ///
    /// # Errors
    ///
    /// What [`Captures::close`] fails with.
    pub(super) async fn close_captures(&mut self, wait: std::time::Duration) -> anyhow::Result<()> {
        match self.captures.take() {
            Some(captures) => captures.close(wait).await,
            None => Ok(()),
        }
    }

    /// The session, for waiting on its queue.
    pub(super) fn session(&self) -> &Session {
        &self.session
    }

    /// The secrets of a workspace with its keys, to scrub from every line.
    pub(super) fn secrets_of(workspace: &Workspace, keys: &BTreeMap<String, Secret>) -> Secrets {
        let mut secrets = Secrets::default();
        for endpoint in &workspace.endpoints {
            secrets.add_url(&endpoint.url);
            secrets.add_url(&endpoint.rpc_url);
        }
        for key in keys.values() {
            secrets.add_key(key);
        }
        secrets
    }

    /// Brings the live state in line with `workspace`: endpoints that left or changed are
    /// closed (a changed one opened again), subscriptions that left or changed are cancelled,
    /// new ones sent; whatever is untouched keeps its connection, subscription and counters.
    pub(super) async fn apply(&mut self, workspace: &Workspace, keys: &BTreeMap<String, Secret>) {
        self.log.set_secrets(Self::secrets_of(workspace, keys));
        let wanted = |name: &str| workspace.endpoints.iter().find(|endpoint| endpoint.name == name);
        let gone: Vec<String> = self
            .endpoints
            .iter()
            .filter(|(name, live)| {
                wanted(name)
                    .is_none_or(|config| *config != live.config || keys.get(*name) != live.key.as_ref())
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in gone {
            self.close_endpoint(&name).await;
        }
        for config in &workspace.endpoints {
            if !self.endpoints.contains_key(&config.name) {
                self.open_endpoint(config.clone(), keys.get(&config.name).cloned()).await;
            }
        }
        // Subscriptions that left or changed.
        let stale: Vec<SubKey> = self
            .subs
            .iter()
            .filter(|(_, live)| {
                let wanted = workspace.subscriptions_on(&live.endpoint).find(|sub| sub.name == live.name);
                wanted.is_none_or(|sub| sub.method != live.method || sub.params != live.params)
            })
            .map(|(sub, _)| *sub)
            .collect();
        for sub in stale {
            self.session.backend().room_for_command().await;
            self.session.unsubscribe(sub);
            if let Some(live) = self.subs.remove(&sub) {
                self.shared.metrics.remove_subscription(&live.labels);
                self.log.event(
                    Level::Info,
                    "unsubscribed",
                    &[("endpoint", &live.endpoint), ("subscription", &live.name)],
                );
            }
        }
        for endpoint in &workspace.endpoints {
            self.subscribe_missing(workspace, &endpoint.name).await;
        }
        self.arrange_comparisons(workspace);
        // An endpoint added is not ready until it connects, one removed no longer counts:
        // /readyz says so from now on, not from the next tick.
        self.publish_readiness();
    }

    /// Tells /readyz which endpoints are not connected (by name, in order).
    fn publish_readiness(&self) {
        let not_ready: Vec<String> =
            self.endpoints.values().filter(|live| !live.open).map(|live| live.config.name.clone()).collect();
        if let Ok(mut shared) = self.shared.not_ready.lock() {
            *shared = not_ready;
        }
    }

    /// Connects an endpoint; its subscriptions are sent by [`Self::subscribe_missing`].
    async fn open_endpoint(&mut self, config: WorkspaceEndpoint, key: Option<Secret>) {
        let index = self.session.endpoints().len();
        self.session.add_endpoint(Endpoint {
            id: index as u64 + 1,
            label: config.name.clone(),
            url: config.url.clone(),
            api_key: key.as_ref().map(|key| key.expose().to_owned()).unwrap_or_default(),
            rpc_url: config.rpc_url.clone(),
            headers: config.headers.clone(),
            backfill_off: !config.backfill,
            ..Endpoint::default()
        });
        let labels = EndpointLabels { endpoint: config.name.clone() };
        let metrics = &self.shared.metrics;
        metrics.up.get_or_create(&labels).set(0);
        // Series that exist from the start, so a query or a rule finds 0 rather than nothing.
        metrics.reconnects.get_or_create(&labels).inc_by(0);
        metrics.gap_seconds.get_or_create(&labels).inc_by(0.0);
        let name = config.name.clone();
        self.endpoints.insert(
            name.clone(),
            LiveEndpoint {
                index,
                conn: None,
                config,
                key,
                opened: false,
                open: false,
                retry_at_ms: None,
                backoff: Backoff::new(ReconnectPolicy::default()),
                head: None,
                labels,
            },
        );
        self.connect(&name).await;
    }

    /// Opens an endpoint's connection from scratch.
    async fn connect(&mut self, name: &str) {
        let Some(live) = self.endpoints.get_mut(name) else { return };
        self.session.backend().room_for_command().await;
        match self.session.connect(live.index) {
            Ok(conn) => {
                live.conn = Some(conn);
                live.opened = false;
                live.retry_at_ms = None;
                self.log.event(Level::Info, "connecting", &[("endpoint", name)]);
            }
            Err(err) => {
                let (_, wait) = live.backoff.next_delay();
                live.retry_at_ms = Some(now_ms() + wait.as_millis() as u64);
                self.log.event(
                    Level::Error,
                    "not_connected",
                    &[("endpoint", name), ("reason", &err.to_string())],
                );
            }
        }
    }

    /// Closes an endpoint for good and forgets its series.
    async fn close_endpoint(&mut self, name: &str) {
        let Some(live) = self.endpoints.remove(name) else { return };
        self.session.backend().room_for_command().await;
        self.session.disconnect(live.index);
        self.shared.metrics.remove_endpoint(&live.labels);
        let subs: Vec<SubKey> =
            self.subs.iter().filter(|(_, sub)| sub.endpoint == name).map(|(sub, _)| *sub).collect();
        for sub in subs {
            if let Some(sub) = self.subs.remove(&sub) {
                self.shared.metrics.remove_subscription(&sub.labels);
            }
        }
        self.log.event(Level::Info, "closed", &[("endpoint", name)]);
    }

    /// Sends on an endpoint every subscription of the workspace it does not have live.
    async fn subscribe_missing(&mut self, workspace: &Workspace, endpoint: &str) {
        let Some(conn) = self.endpoints.get(endpoint).and_then(|live| live.conn) else { return };
        for wanted in workspace.subscriptions_on(endpoint) {
            let present =
                self.subs.values().any(|live| live.endpoint == endpoint && live.name == wanted.name);
            if present {
                continue;
            }
            self.session.backend().room_for_command().await;
            match self.session.subscribe(conn, wanted.method.clone(), wanted.params.clone(), None) {
                Ok(sub) => {
                    let labels =
                        SubLabels { endpoint: endpoint.to_owned(), subscription: wanted.name.clone() };
                    let metrics = &self.shared.metrics;
                    self.subs.insert(
                        sub,
                        LiveSub {
                            endpoint: endpoint.to_owned(),
                            name: wanted.name.clone(),
                            method: wanted.method.clone(),
                            params: wanted.params.clone(),
                            notifications: metrics.notifications.get_or_create_owned(&labels),
                            bytes: metrics.bytes.get_or_create_owned(&labels),
                            recovered: metrics.recovered.get_or_create_owned(&labels),
                            active: metrics.active.get_or_create_owned(&labels),
                            stalls: metrics.stalls.get_or_create_owned(&labels),
                            // A subscription that never delivers ages from when it was sent.
                            last_at_ms: Some(now_ms()),
                            labels,
                        },
                    );
                }
                Err(err) => self.log.event(
                    Level::Error,
                    "not_subscribed",
                    &[("endpoint", endpoint), ("subscription", &wanted.name), ("reason", &err.to_string())],
                ),
            }
        }
    }

    /// Puts every live subscription in its comparison: a group's, or one of its own. A
    /// comparison whose key (name, grace, members by name) is unchanged keeps its state.
    fn arrange_comparisons(&mut self, workspace: &Workspace) {
        let by_names: HashMap<(&str, &str), SubKey> = self
            .subs
            .iter()
            .map(|(sub, live)| ((live.endpoint.as_str(), live.name.as_str()), *sub))
            .collect();
        let mut wanted: Vec<(ComparisonKey, Vec<SubKey>)> = Vec::new();
        for group in &workspace.groups {
            let members: Vec<(String, String)> = workspace
                .group_endpoints(group)
                .into_iter()
                .map(|endpoint| (endpoint.to_owned(), group.subscription.clone()))
                .collect();
            let subs = members
                .iter()
                .filter_map(|(endpoint, name)| by_names.get(&(endpoint.as_str(), name.as_str())).copied())
                .collect();
            wanted.push((
                ComparisonKey::Group { name: group.name.clone(), grace_ms: group.grace_ms(), members },
                subs,
            ));
        }
        for ((endpoint, name), sub) in &by_names {
            if workspace.group_of(name, endpoint).is_none() {
                let key = ComparisonKey::Solo {
                    endpoint: (*endpoint).to_owned(),
                    subscription: (*name).to_owned(),
                };
                wanted.push((key, vec![*sub]));
            }
        }
        let mut old = std::mem::take(&mut self.comparisons);
        for (key, subs) in wanted {
            // Kept whole when its key is unchanged, even when a member's subscription was sent
            // again (an endpoint connected from scratch): the others' windows stay, and the new
            // member joins on its first notification.
            let kept = old.iter().position(|comparison| comparison.key == key);
            let mut comparison = match kept {
                Some(position) => old.swap_remove(position),
                None => {
                    let grace_ms = match &key {
                        ComparisonKey::Group { grace_ms, .. } => *grace_ms,
                        ComparisonKey::Solo { .. } => SOLO_GRACE_MS,
                    };
                    let config =
                        CompareConfig { grace_ms, lag_points: LAG_POINTS, ..CompareConfig::default() };
                    Comparison {
                        key,
                        compare: Compare::new(config),
                        members: HashMap::new(),
                        settled_early: 0,
                    }
                }
            };
            comparison.members.retain(|sub, _| subs.contains(sub));
            for sub in subs {
                comparison.members.entry(sub).or_default();
            }
            self.comparisons.push(comparison);
        }
        // What left the groups takes its series with it; what a changed group still compares
        // counts on in its series.
        let still: Vec<(&str, &str)> = self
            .comparisons
            .iter()
            .filter_map(|comparison| match &comparison.key {
                ComparisonKey::Group { name, members, .. } => Some((name, members)),
                ComparisonKey::Solo { .. } => None,
            })
            .flat_map(|(name, members)| {
                members.iter().map(move |(endpoint, _)| (name.as_str(), endpoint.as_str()))
            })
            .collect();
        for comparison in old {
            let ComparisonKey::Group { name, members, .. } = &comparison.key else { continue };
            for (endpoint, _) in members {
                if !still.contains(&(name.as_str(), endpoint.as_str())) {
                    let labels = MemberLabels { group: name.clone(), endpoint: endpoint.clone() };
                    self.shared.metrics.remove_member(&labels);
                }
            }
            if !still.iter().any(|(group, _)| group == name) {
                self.shared.metrics.items.remove(&GroupLabels { group: name.clone() });
                self.shared.metrics.settled_early.remove(&GroupLabels { group: name.clone() });
            }
        }
        self.by_sub = self
            .comparisons
            .iter()
            .enumerate()
            .flat_map(|(index, comparison)| comparison.members.keys().map(move |sub| (*sub, index)))
            .collect();
        // Read as the connections classify frames, while they are in their cache.
        self.session.backend().queue().identify_items(!self.comparisons.is_empty());
    }

    /// Takes what arrived: control events first (applied to the session already), then frames.
    pub(super) fn step(&mut self) {
        let taken = self.session.take(MAX_BATCH);
        for event in &taken.events {
            self.on_event(event);
        }
        let context = &self.session.live().context;
        let mut identities = taken.identities;
        for frame in &taken.frames {
            on_frame(frame, &mut self.subs, &mut self.endpoints);
            match frame.subscription {
                Some(sub) => {
                    if let Some(comparison) =
                        self.by_sub.get(&sub).and_then(|index| self.comparisons.get_mut(*index))
                    {
                        let identity = take_identity(&mut identities, frame.seq);
                        comparison.compare.observe_identified(frame, identity, context);
                    }
                }
                None if frame.direction == Direction::Meta => {
                    for comparison in &mut self.comparisons {
                        comparison.compare.observe(frame, context);
                    }
                }
                None => {}
            }
        }
        if let Some(captures) = &mut self.captures {
            let changed = !self.context_sent || !taken.events.is_empty();
            let context = changed.then(|| self.session.live().context.clone());
            self.context_sent = true;
            let dropped = captures.send(Vec::from(taken.frames), context);
            let (lost, failure) = captures.take_losses();
            self.shared.metrics.capture_dropped.inc_by(dropped + lost);
            if dropped > 0 {
                let dropped = dropped.to_string();
                self.log.event(Level::Warn, "capture_dropped", &[("events", &dropped)]);
            }
            if let Some(reason) = failure {
                self.log.event(Level::Error, "capture_failed", &[("reason", &reason)]);
            }
        }
    }

    fn endpoint_of(&self, conn: ConnId) -> Option<&LiveEndpoint> {
        self.endpoints.values().find(|live| live.conn == Some(conn))
    }

    /// Settles comparisons by the clock, turns their counts into counters, asks endpoints for
    /// what they missed, refreshes ages, heads and readiness, and reconnects from scratch the
    /// endpoints whose wait is over.
    pub(super) async fn tick(&mut self, workspace: &Workspace) {
        let now = now_ms();
        let metrics = &self.shared.metrics;
        for comparison in &mut self.comparisons {
            comparison.compare.settle(now);
            let group = match &comparison.key {
                ComparisonKey::Group { name, .. } => Some(name.as_str()),
                ComparisonKey::Solo { .. } => None,
            };
            let mut items = 0;
            for (sub, seen) in &mut comparison.members {
                let Some(stats) = comparison.compare.stats_of(*sub) else { continue };
                let Some(live) = self.subs.get(sub) else { continue };
                live.stalls.inc_by(stats.stalls.saturating_sub(seen.stats.stalls));
                items += stats.first.saturating_sub(seen.stats.first);
                if let Some(group) = group {
                    let labels = MemberLabels { group: group.to_owned(), endpoint: live.endpoint.clone() };
                    let add = |family: &prometheus_client::metrics::family::Family<MemberLabels, Counter>,
                               now: u64,
                               was: u64| {
                        family.get_or_create(&labels).inc_by(now.saturating_sub(was));
                    };
                    add(&metrics.first, stats.first, seen.stats.first);
                    add(&metrics.missed, stats.missed_live, seen.stats.missed_live);
                    add(&metrics.late, stats.late, seen.stats.late);
                    add(&metrics.member_recovered, stats.recovered, seen.stats.recovered);
                    add(&metrics.duplicates, stats.duplicates, seen.stats.duplicates);
                    let lag_count =
                        comparison.compare.lag_of(*sub).map_or(0, crate::compare::LagHistogram::count);
                    let fresh = lag_count.saturating_sub(seen.lags) as usize;
                    if let Some(series) = comparison.compare.lag_series(*sub) {
                        let histogram = metrics.lag.get_or_create(&labels);
                        for &(_, lag_ms) in series.iter().skip(series.len().saturating_sub(fresh)) {
                            histogram.observe(lag_ms as f64 / 1000.0);
                        }
                    }
                    seen.lags = lag_count;
                }
                seen.stats = stats;
            }
            if let Some(group) = group {
                let labels = GroupLabels { group: group.to_owned() };
                metrics.items.get_or_create(&labels).inc_by(items);
                let early = comparison.compare.settled_early();
                metrics
                    .settled_early
                    .get_or_create(&labels)
                    .inc_by(early.saturating_sub(comparison.settled_early));
                comparison.settled_early = early;
                for missed in comparison.compare.take_missed() {
                    let command =
                        Command::Recover { conn: missed.conn, sub: missed.sub, height: missed.height };
                    self.session.backend().send(command).ok(); // a busy queue skips a recovery, no more
                }
            }
        }
        for live in self.subs.values() {
            let age = live.last_at_ms.map_or(f64::NAN, |last| now.saturating_sub(last) as f64 / 1000.0);
            if !age.is_nan() {
                metrics.last_age.get_or_create(&live.labels).set(age);
            }
        }
        self.refresh_heads(workspace);
        self.publish_readiness();
        let due: Vec<String> = self
            .endpoints
            .values()
            .filter(|live| live.retry_at_ms.is_some_and(|at| at <= now))
            .map(|live| live.config.name.clone())
            .collect();
        // Subscriptions sent again from scratch are new to their comparisons.
        let sent_again = !due.is_empty();
        for name in due {
            let old: Vec<SubKey> =
                self.subs.iter().filter(|(_, sub)| sub.endpoint == name).map(|(sub, _)| *sub).collect();
            // Its series stay, and so does the time of its last notification: the new
            // subscription counts on in them, and one silent for an hour still shows an hour.
            let mut last_at: HashMap<String, Option<u64>> = HashMap::new();
            for sub in old {
                if let Some(live) = self.subs.remove(&sub) {
                    last_at.insert(live.name, live.last_at_ms);
                }
                self.session.forget_subscription(sub);
            }
            let old_conn = self.endpoints.get(&name).and_then(|live| live.conn);
            self.connect(&name).await;
            if let Some(conn) = old_conn {
                self.session.forget_connection(conn);
            }
            self.subscribe_missing(workspace, &name).await;
            for live in self.subs.values_mut().filter(|live| live.endpoint == name) {
                if let Some(at) = last_at.get(&live.name) {
                    live.last_at_ms = *at;
                }
            }
        }
        if sent_again {
            self.arrange_comparisons(workspace);
        }
    }

    /// Head gauges, and each endpoint's lag behind the best endpoint it shares a group with.
    fn refresh_heads(&self, workspace: &Workspace) {
        let metrics = &self.shared.metrics;
        for live in self.endpoints.values() {
            let Some(head) = live.head else { continue };
            metrics.head.get_or_create(&live.labels).set(i64::try_from(head).unwrap_or(i64::MAX));
            let best = workspace
                .groups
                .iter()
                .map(|group| workspace.group_endpoints(group))
                .filter(|names| names.contains(&live.config.name.as_str()))
                .flatten()
                .filter_map(|name| self.endpoints.get(name).and_then(|other| other.head))
                .max()
                .unwrap_or(head);
            let lag = i64::try_from(best.saturating_sub(head)).unwrap_or(i64::MAX);
            metrics.head_lag.get_or_create(&live.labels).set(lag);
        }
    }

    /// Closes every connection and takes what they send until they are closed, at most `wait`.
    pub(super) async fn drain(&mut self, wait: std::time::Duration) {
        self.stopping = true;
        for live in self.endpoints.values() {
            self.session.backend().room_for_command().await;
            self.session.disconnect(live.index);
        }
        let deadline = tokio::time::Instant::now() + wait;
        while self.session.any_live() {
            tokio::select! {
                () = self.session.backend().queue().wait() => self.step(),
                () = tokio::time::sleep_until(deadline) => break,
            }
        }
        self.step();
    }
}

/// Counts a frame in its subscription's series and its endpoint's head.
fn on_frame(
    frame: &CapturedEvent,
    subs: &mut HashMap<SubKey, LiveSub>,
    endpoints: &mut BTreeMap<String, LiveEndpoint>,
) {
    if frame.kind != FrameKind::Notification {
        return;
    }
    let Some(live) = frame.subscription.and_then(|sub| subs.get_mut(&sub)) else { return };
    if frame.recovered.is_some() {
        live.recovered.inc();
        return;
    }
    live.notifications.inc();
    live.bytes.inc_by(frame.raw.len() as u64);
    live.last_at_ms = Some(frame.received_at_ms);
    if let Some(height) = crate::catalog::item_key(&frame.raw).and_then(|key| key.height)
        && let Some(endpoint) = endpoints.get_mut(&live.endpoint)
    {
        endpoint.head = Some(endpoint.head.map_or(height, |head| head.max(height)));
    }
}
