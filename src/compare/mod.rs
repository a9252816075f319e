//! Comparing endpoints: the same subscription sent on several endpoints, and which of them
//! delivers each item first, late, twice or never. UI-free and I/O-free: the window's Compare
//! panel and `subscope compare` (`crate::commands::compare`) read the same [`Report`].
//!
//! ```text
//! CapturedEvent + CaptureContext ─▶ Compare::observe ─▶ groups (one per request)
//!                                                         └─ members (one per subscription)
//! ```
//!
//! A **group** is one subscription request (method and params) sent on several endpoints
//! (in the window, only those sent together on one chain: [`CaptureContext::compare_groups`]);
//! each subscription sent with it is a **member** (normally one per endpoint). Every
//! notification's item is named by [`crate::catalog::item_key`]. Per member:
//!
//! - *received*: notifications;
//! - *first*: items it delivered before every other member (by capture order);
//! - *missed*: items another member delivered that it did not within the grace window
//!   (10 s by default) and has not delivered since. A member's count starts at the first item
//!   it delivers (or one grace window after it was subscribed, if nothing comes), so a
//!   subscription that became active a moment after another does not miss what came before;
//! - *late*: items it delivered after the grace window: counted missed when the window
//!   ended, they move from *missed* to *late* when they come, with their lag;
//! - *recovered*: items it did not deliver live but subscope recovered over HTTP after a
//!   reconnect ([`CapturedEvent::recovered`]); one already counted missed moves from *missed*
//!   to *recovered*. A recovered item is never *first* and has no lag;
//! - *duplicates*: items it delivered again;
//! - *lag*: how long after the first member it delivered each item (0 when it was first),
//!   late ones included;
//! - per subscription, one endpoint or many: block-number *gaps* on newHeads and *stalls*
//!   (no notification for [`CompareConfig::stall_factor`] times the usual interval).
//!
//! Memory is bounded: an item is settled one grace window after its first delivery (absent
//! members count it missed), kept one more window to recognise repeated deliveries, and, while
//! a member has not delivered it, up to [`LATE_HORIZON_MS`] (or two grace windows, if longer) to
//! recognise its late delivery; then it is dropped (at most [`MAX_ITEMS`] per group, oldest
//! first). A delivery after that horizon counts as a new item. Lags go into a fixed-size
//! histogram ([`LagHistogram`]). When a run ends ([`Compare::finish`]) an item a member has
//! not delivered counts missed for it only when it went past the item (delivered something
//! newer) or the item is older than the member's largest lag plus the grace window; otherwise
//! it could still have come, and it is left undecided.

mod deliveries;
mod histogram;
mod items;
mod missed;
mod report;

use std::collections::VecDeque;
use std::hash::Hasher;

use crate::capture::{CapturedEvent, ConnId, Direction, SubKey};
use crate::catalog::{ItemFingerprint, item_fingerprint};
use crate::export::CaptureContext;
use crate::protocol::FrameKind;
use crate::protocol::meta::{self, MetaRecord};
pub use deliveries::{DELIVERY_SCAN, Deliveries, deliveries};
pub use histogram::LagHistogram;
use items::{Items, Place};
use missed::MAX_MISSED_QUEUED;
pub use missed::Missed;
pub use report::{EndpointReport, GroupReport, JSON_FORMAT, LagSummary, Report, render_table};

/// The most members one group compares (one bit each in an item's mask); further
/// subscriptions of the same request are left out of the comparison.
pub const MAX_MEMBERS: usize = 64;

/// How many recent intervals between notifications a member keeps to judge a stall.
const INTERVALS_KEPT: usize = 32;

/// The most items one group holds in its windows; under a flood past it the oldest are
/// dropped (settled ones first, then the oldest open ones are settled early), so memory stays
/// bounded whatever the rate.
pub const MAX_ITEMS: usize = 65_536;

/// How long an item some member has not delivered is kept to recognise its late delivery,
/// in ms (two grace windows when they are longer).
pub const LATE_HORIZON_MS: u64 = 60_000;

/// An item as a group holds it: a 64-bit fingerprint of its [`crate::catalog::ItemKey`]
/// ([`item_fingerprint`]). The key (a signature or hash of up to 88 characters) is hashed
/// once, as read from the frame, and nothing is allocated per item or delivery. Two different items held at once (at most [`MAX_ITEMS`]) share a fingerprint with a
/// probability under 2^-32.
type ItemId = u64;

/// Fingerprints are hashes already: the item map uses them as they are.
#[derive(Default)]
struct Passthrough(u64);

impl Hasher for Passthrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// How many recent (time, lag) points a member keeps for a lag-over-time plot.
pub const LAG_POINTS: usize = 2_048;

/// A stall is judged only once this many intervals are known, and the threshold is
/// refreshed every this many intervals (a sort of [`INTERVALS_KEPT`] values).
const REFRESH_EVERY: u64 = 8;

/// Settings of a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompareConfig {
    /// How long after an item's first delivery the others may still deliver it, in ms.
    pub grace_ms: u64,
    /// A silence this many times the median interval between notifications is a stall.
    pub stall_factor: u64,
    /// No silence shorter than this is a stall, in ms (for streams with many per second).
    pub min_stall_ms: u64,
    /// How many recent (time, lag) points a member keeps ([`Compare::lag_series`]):
    /// [`LAG_POINTS`] for the window's plot; fewer for a monitor that only reads the newest.
    pub lag_points: usize,
}

impl Default for CompareConfig {
    fn default() -> Self {
        Self { grace_ms: 10_000, stall_factor: 5, min_stall_ms: 1_000, lag_points: LAG_POINTS }
    }
}

/// Counts for one member (one subscription) of a group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemberStats {
    /// Notifications received.
    pub received: u64,
    /// Items it delivered before every other member.
    pub first: u64,
    /// Items others delivered that it did not within the grace window, nor since.
    pub missed: u64,
    /// Items counted missed when their grace window ended, never taken back when they come
    /// late or are recovered: a count that only grows, for a monitor's counter.
    pub missed_live: u64,
    /// Items it delivered after the grace window (not counted missed).
    pub late: u64,
    /// Items it missed live that were recovered over HTTP (not counted missed).
    pub recovered: u64,
    /// Items it delivered more than once.
    pub duplicates: u64,
    /// Notifications with no item identity (not compared).
    pub unidentified: u64,
    /// Jumps in newHeads block numbers.
    pub gaps: u64,
    /// Block numbers those jumps skipped.
    pub gap_blocks: u64,
    /// Silences of several times the usual interval.
    pub stalls: u64,
    /// The longest of them, in ms.
    pub longest_stall_ms: u64,
}

/// One subscription of a group.
#[derive(Debug)]
struct Member {
    sub: SubKey,
    conn: ConnId,
    /// The redacted endpoint URL (from the capture's context).
    endpoint: String,
    stats: MemberStats,
    /// Lag behind the first member, per item it delivered in time.
    lag: LagHistogram,
    /// The most recent (delivery time, lag) points, at most [`LAG_POINTS`].
    lags: VecDeque<(u64, u64)>,
    /// When it was subscribed (its first event), ms.
    joined_at_ms: u64,
    /// From which first-delivery time on items count as missed for it.
    opened_at_ms: Option<u64>,
    /// The newest first-delivery time of the items it delivered.
    newest_item_ms: u64,
    /// Where in the group's items (by sequence number) its next delivery is looked for first:
    /// after the one it delivered last. Endpoints send a stream in one order, so a member
    /// behind the first finds its item there without the index ([`Items::at`]).
    next_seq: u64,
    /// When its last notification arrived.
    last_at_ms: Option<u64>,
    /// When it was unsubscribed or its connection closed on purpose: its silence after that
    /// is not a stall.
    ended_at_ms: Option<u64>,
    /// Recent non-zero intervals between notifications, a ring.
    intervals: VecDeque<u64>,
    /// Intervals recorded, to refresh the threshold every few.
    interval_count: u64,
    /// The silence that counts as a stall, refreshed every few intervals.
    stall_threshold: Option<u64>,
    /// The highest newHeads number seen.
    last_head: Option<u64>,
}

/// One request sent on several endpoints.
#[derive(Debug)]
struct Group {
    method: String,
    params: Option<serde_json::Value>,
    /// Which subscriptions of the request it holds ([`CaptureContext::compare_groups`]).
    tag: Option<u64>,
    members: Vec<Member>,
    /// Its items, open, settled, and owed by a member past that.
    items: Items,
    /// Items members missed, not yet taken: first delivery, item, member.
    missed: Vec<(u64, ItemId, usize, Missed)>,
    /// Items settled before their grace window ended, to make room past [`MAX_ITEMS`].
    settled_early: u64,
    /// Subscriptions of its request left out, past [`MAX_MEMBERS`].
    left_out: u64,
}

/// See the module docs.
#[derive(Debug, Default)]
pub struct Compare {
    config: CompareConfig,
    groups: Vec<Group>,
    /// Each subscription's group and member index; `None` for one left out (looked up for
    /// every notification: foldhash, not SipHash).
    members: foldhash::HashMap<SubKey, Option<(usize, usize)>>,
    /// The newest receive time seen: the clock for settling a capture read from a file.
    latest_ms: u64,
}

impl Compare {
    /// An empty comparison.
    pub fn new(config: CompareConfig) -> Self {
        Self { config, ..Self::default() }
    }

    /// Takes one captured event: a subscription's request or notification (anything else is
    /// ignored). `context` names its subscription (method and params) and connection.
    pub fn observe(&mut self, event: &CapturedEvent, context: &CaptureContext) {
        self.observe_identified(event, None, context);
    }

    /// [`Self::observe`], with the notification's item identity when it was read already
    /// (by its connection, as it classified the frame: [`crate::catalog::parse_identified`]);
    /// `None` reads it here.
    pub fn observe_identified(
        &mut self,
        event: &CapturedEvent,
        identity: Option<Option<ItemFingerprint>>,
        context: &CaptureContext,
    ) {
        if event.direction == Direction::Meta {
            if let Some(MetaRecord::Note(note)) = meta::parse(&event.raw)
                && note == meta::DISCONNECTED
            {
                self.disconnected(event.connection, event.received_at_ms);
            }
            return;
        }
        let Some(sub) = event.subscription else { return };
        let notification = event.direction == Direction::In && event.kind == FrameKind::Notification;
        // A notification also stands for the subscriptions that share its server id.
        let sharers = if notification && !context.shared_ids.is_empty() {
            context.shared_ids.get(&sub).map_or(&[][..], Vec::as_slice)
        } else {
            &[]
        };
        let (at, mut key) = (event.received_at_ms, identity);
        for sub in std::iter::once(sub).chain(sharers.iter().copied()) {
            let Some((group, member)) = self.member_of(sub, event, context) else { continue };
            if at > self.latest_ms {
                self.latest_ms = at;
                self.settle(at);
            }
            if notification {
                let key = *key.get_or_insert_with(|| item_fingerprint(&event.raw));
                let config = self.config;
                self.groups[group].deliver(member, key, at, event.recovered.is_some(), config);
            } else if event.direction == Direction::Out && event.kind == FrameKind::Request {
                let group = &mut self.groups[group];
                let rules = crate::catalog::rules_for(&group.method, group.params.as_ref());
                if event.method.as_deref() == Some(&*rules.unsubscribe_method) {
                    group.members[member].ended_at_ms.get_or_insert(at);
                }
            }
        }
    }

    /// A connection was closed on purpose at `at`: its members' silence after is not a stall.
    fn disconnected(&mut self, conn: ConnId, at: u64) {
        for group in &mut self.groups {
            for member in group.members.iter_mut().filter(|member| member.conn == conn) {
                member.ended_at_ms.get_or_insert(at);
            }
        }
    }

    /// The items members missed since the last call (placed by a block or slot), for a front
    /// end that asks each one's endpoint for them ([`crate::backend::Command::Recover`]).
    ///
    /// An item is given once its member's stream went past it (delivered something newer):
    /// an endpoint that is merely slow delivers it late, and that lateness is what a comparison
    /// measures. Until then it waits; one delivered meanwhile is dropped.
    pub fn take_missed(&mut self) -> Vec<Missed> {
        let mut ready = Vec::new();
        for group in &mut self.groups {
            let (members, items) = (&group.members, &group.items);
            group.missed.retain(|(first_at, id, index, missed)| {
                let bit = 1u64 << index;
                let still_owed = items.get(*id).is_some_and(|item| item.owed_by & bit != 0);
                let past = members.get(*index).is_some_and(|member| member.newest_item_ms > *first_at);
                if still_owed && past {
                    ready.push(*missed);
                }
                still_owed && !past
            });
        }
        ready
    }

    /// Settles every item whose grace window ended by `now_ms` (a live front end calls this
    /// with the wall clock, so items settle while nothing arrives).
    pub fn settle(&mut self, now_ms: u64) {
        let grace = self.config.grace_ms;
        for group in &mut self.groups {
            group.settle(now_ms, grace);
        }
    }

    /// The run is over at `now_ms`: settles what can be settled and counts a silence still
    /// going on as a stall.
    pub fn finish(&mut self, now_ms: u64) {
        self.settle(now_ms);
        let grace = self.config.grace_ms;
        for group in &mut self.groups {
            group.settle_at_the_end(now_ms, grace);
            for member in &mut group.members {
                // Silent until the end, or until it was unsubscribed or disconnected.
                let end = member.ended_at_ms.unwrap_or(now_ms);
                if let Some(silence) = member.last_at_ms.map(|last| end.saturating_sub(last)) {
                    member.note_silence(silence);
                }
            }
        }
    }

    /// The counts so far, groups in the order they were first seen, members by connection.
    pub fn report(&self) -> Report {
        let groups = self.groups.iter().map(|group| {
            let mut members: Vec<&Member> = group.members.iter().collect();
            members.sort_by_key(|member| (member.conn, member.sub));
            GroupReport {
                method: group.method.clone(),
                params: group.params.clone(),
                endpoints: members.into_iter().map(Member::report).collect(),
                settled_early: group.settled_early,
                left_out: group.left_out,
            }
        });
        Report { groups: groups.collect() }
    }

    /// The counts of one subscription (for its row in a list).
    pub fn stats_of(&self, sub: SubKey) -> Option<MemberStats> {
        self.member(sub).map(|member| member.stats)
    }

    /// How many items were settled before their grace window ended, to stay under
    /// [`MAX_ITEMS`], in all groups ([`GroupReport::settled_early`]).
    pub fn settled_early(&self) -> u64 {
        self.groups.iter().map(|group| group.settled_early).sum()
    }

    /// The lags of one subscription behind the fastest.
    pub fn lag_of(&self, sub: SubKey) -> Option<&LagHistogram> {
        self.member(sub).map(|member| &member.lag)
    }

    /// The most recent (delivery time ms, lag ms) points of one subscription, oldest first.
    pub fn lag_series(&self, sub: SubKey) -> Option<&VecDeque<(u64, u64)>> {
        self.member(sub).map(|member| &member.lags)
    }

    /// The subscriptions compared with `sub` (its group's members, itself included), by
    /// connection; empty when it is in no group.
    pub fn group_of(&self, sub: SubKey) -> Vec<(SubKey, ConnId)> {
        let Some((group, _)) = self.members.get(&sub).copied().flatten() else { return Vec::new() };
        let mut members: Vec<(SubKey, ConnId)> =
            self.groups[group].members.iter().map(|member| (member.sub, member.conn)).collect();
        members.sort_by_key(|&(sub, conn)| (conn, sub));
        members
    }

    fn member(&self, sub: SubKey) -> Option<&Member> {
        let (group, member) = self.members.get(&sub).copied().flatten()?;
        Some(&self.groups[group].members[member])
    }

    /// Items held in their windows, over every group (what memory grows with).
    pub fn items_held(&self) -> usize {
        self.groups.iter().map(|group| group.items.len()).sum()
    }

    /// The group and member of a subscription, added on its first event.
    fn member_of(
        &mut self,
        sub: SubKey,
        event: &CapturedEvent,
        context: &CaptureContext,
    ) -> Option<(usize, usize)> {
        if let Some(found) = self.members.get(&sub) {
            return *found;
        }
        let info = context.subscriptions.get(&sub)?;
        let tag = context.compare_groups.get(&sub).copied();
        let group =
            match self.groups.iter().position(|group| {
                group.method == info.method && group.params == info.params && group.tag == tag
            }) {
                Some(group) => group,
                None => {
                    self.groups.push(Group::new(info.method.clone(), info.params.clone(), tag));
                    self.groups.len() - 1
                }
            };
        let Group { members, left_out, .. } = &mut self.groups[group];
        *left_out += u64::from(members.len() >= MAX_MEMBERS);
        let place = (members.len() < MAX_MEMBERS).then(|| {
            let endpoint = context.connections.get(&event.connection);
            members.push(Member::new(
                sub,
                event.connection,
                endpoint.map_or_else(|| format!("#{}", event.connection), |info| info.endpoint.clone()),
                event.received_at_ms,
            ));
            (group, members.len() - 1)
        });
        self.members.insert(sub, place);
        place
    }
}

impl Group {
    fn new(method: String, params: Option<serde_json::Value>, tag: Option<u64>) -> Self {
        Self {
            method,
            params,
            tag,
            members: Vec::new(),
            items: Items::default(),
            missed: Vec::new(),
            settled_early: 0,
            left_out: 0,
        }
    }

    /// One notification of member `index` at `at`, received live or `recovered` over HTTP.
    fn deliver(
        &mut self,
        index: usize,
        key: Option<ItemFingerprint>,
        at: u64,
        recovered: bool,
        config: CompareConfig,
    ) {
        let member = &mut self.members[index];
        member.arrived(at, config);
        let Some(key) = key else {
            member.stats.unidentified += 1;
            return;
        };
        if let Some(number) = key.head {
            member.note_head(number);
        }
        let id = key.id;
        let found = self.items.at(member.next_seq, id).or_else(|| self.items.find(id));
        if found.is_none() && self.items.len() >= MAX_ITEMS {
            self.make_room(config.grace_ms);
        }
        let seq = match found {
            Some(Place::Ring(slot)) => Some(self.items.seq_of(slot)),
            Some(Place::Owed) => None,
            None => Some(self.items.seq_of(self.items.ring_len())), // where it is pushed
        };
        if let Some(seq) = seq {
            self.members[index].next_seq = seq + 1;
        }
        let bit = 1u64 << index;
        let settled = self.items.is_settled(found);
        let item = self.items.get_or_insert(found, id, at, key.height);
        let member = &mut self.members[index];
        if item.seen & bit != 0 {
            member.stats.duplicates += 1;
            return;
        }
        // The first live delivery is the reference: a recovered one is neither first nor timed.
        let fresh = item.seen & !item.recovered == 0;
        if fresh && item.recovered != 0 && !recovered {
            item.first_at_ms = at;
        }
        item.seen |= bit;
        item.awaited &= !bit;
        // Counted missed when it settled without this member: it came after all.
        if item.owed_by & bit != 0 {
            item.owed_by &= !bit;
            member.stats.missed = member.stats.missed.saturating_sub(1);
        }
        if recovered {
            item.recovered |= bit;
            member.stats.recovered += 1;
            return;
        }
        if settled {
            member.stats.late += 1;
        } else if fresh {
            member.stats.first += 1;
        }
        let lag = at.saturating_sub(item.first_at_ms);
        member.lag.record(lag);
        if member.lags.len() >= config.lag_points.max(1) {
            member.lags.pop_front();
        }
        member.lags.push_back((at, lag));
        let first_at = item.first_at_ms;
        let opened = member.joined_at_ms.saturating_add(config.grace_ms);
        member.opened_at_ms.get_or_insert(first_at.min(opened));
        member.newest_item_ms = member.newest_item_ms.max(first_at);
    }

    /// Settles the items whose window ended by `now`; forgets those settled a window ago
    /// that nobody owes, and those owed past the late horizon. Returns how many it settled.
    fn settle(&mut self, now: u64, grace: u64) -> u64 {
        let mut settled = 0;
        while let Some(item) = self.items.settle_next(now, grace) {
            settled += 1;
            let first_at = item.queued_at_ms;
            for (index, member) in self.members.iter_mut().enumerate() {
                let bit = 1u64 << index;
                if item.seen & bit == 0 {
                    // Awaited even when not counted missed (a member that joined a moment
                    // ago), so that its delivery is not taken for a new item.
                    item.awaited |= bit;
                    if member.counts_from(grace) <= first_at {
                        member.stats.missed += 1;
                        member.stats.missed_live += 1;
                        item.owed_by |= bit;
                        if let Some(height) = item.height()
                            && self.missed.len() < MAX_MISSED_QUEUED
                        {
                            let missed = Missed { sub: member.sub, conn: member.conn, height };
                            self.missed.push((first_at, item.id, index, missed));
                        }
                    }
                }
            }
        }
        self.items.forget_closed(now, grace);
        self.items.forget_owed(now, grace.saturating_mul(2).max(LATE_HORIZON_MS));
        settled
    }

    /// Forgets the oldest owed or settled item, or settles the oldest open ones early when
    /// there is none.
    fn make_room(&mut self, grace: u64) {
        if !self.items.forget_oldest()
            && let Some(first_at) = self.items.oldest_open()
        {
            self.settled_early += self.settle(first_at.saturating_add(grace), grace);
            self.items.forget_oldest();
        }
    }

    /// At the end of a run at `now`, an item a member has not delivered counts missed for it
    /// only when it can no longer come ([`Member::could_still_deliver`]): open items are
    /// settled so, and settled ones it could still deliver go back to undecided.
    fn settle_at_the_end(&mut self, now: u64, grace: u64) {
        for item in self.items.settle_all() {
            let first_at = item.queued_at_ms;
            for (index, member) in self.members.iter_mut().enumerate() {
                let absent = item.seen & (1u64 << index) == 0;
                let opened = member.opened_at_ms.is_some_and(|opened| opened <= first_at);
                if absent && opened && !member.could_still_deliver(first_at, now, grace) {
                    member.stats.missed += 1;
                    item.owed_by |= 1u64 << index;
                }
            }
        }
        for item in self.items.settled_mut() {
            for (index, member) in self.members.iter_mut().enumerate() {
                let bit = 1u64 << index;
                if item.owed_by & bit != 0 && member.could_still_deliver(item.queued_at_ms, now, grace) {
                    item.owed_by &= !bit;
                    member.stats.missed = member.stats.missed.saturating_sub(1);
                }
            }
        }
    }
}

impl Member {
    fn new(sub: SubKey, conn: ConnId, endpoint: String, joined_at_ms: u64) -> Self {
        Self {
            sub,
            conn,
            endpoint,
            stats: MemberStats::default(),
            lag: LagHistogram::default(),
            lags: VecDeque::new(),
            joined_at_ms,
            opened_at_ms: None,
            newest_item_ms: 0,
            next_seq: 0,
            last_at_ms: None,
            ended_at_ms: None,
            intervals: VecDeque::with_capacity(INTERVALS_KEPT),
            interval_count: 0,
            stall_threshold: None,
            last_head: None,
        }
    }

    /// From which first-delivery time items count as missed for it.
    fn counts_from(&self, grace: u64) -> u64 {
        self.opened_at_ms.unwrap_or_else(|| self.joined_at_ms.saturating_add(grace))
    }

    /// Whether an item first delivered at `first_at` could still have come from it when the
    /// run ended at `now`: it has delivered nothing newer, and the item is younger than its
    /// largest lag plus the grace window.
    fn could_still_deliver(&self, first_at: u64, now: u64, grace: u64) -> bool {
        let wait = self.lag.max().unwrap_or(0).saturating_add(grace);
        self.newest_item_ms <= first_at && first_at.saturating_add(wait) > now
    }

    /// A notification arrived at `at`: counts it and judges the silence before it.
    fn arrived(&mut self, at: u64, config: CompareConfig) {
        self.stats.received += 1;
        if let Some(last) = self.last_at_ms {
            let interval = at.saturating_sub(last);
            self.note_silence(interval);
            if interval > 0 {
                if self.intervals.len() == INTERVALS_KEPT {
                    self.intervals.pop_front();
                }
                self.intervals.push_back(interval);
                self.interval_count += 1;
                if self.interval_count.is_multiple_of(REFRESH_EVERY) {
                    self.stall_threshold = self.compute_threshold(config);
                }
            }
        }
        self.last_at_ms = Some(self.last_at_ms.map_or(at, |last| last.max(at)));
    }

    /// Counts a silence of `ms` as a stall when it is several times the usual interval.
    fn note_silence(&mut self, ms: u64) {
        if let Some(threshold) = self.stall_threshold
            && ms > threshold
        {
            self.stats.stalls += 1;
            self.stats.longest_stall_ms = self.stats.longest_stall_ms.max(ms);
        }
    }

    /// The silence that is a stall: the factor times the median recent interval, at least the
    /// floor; `None` until enough intervals are known.
    fn compute_threshold(&self, config: CompareConfig) -> Option<u64> {
        if (self.intervals.len() as u64) < REFRESH_EVERY {
            return None;
        }
        let mut sorted: Vec<u64> = self.intervals.iter().copied().collect();
        sorted.sort_unstable();
        let median = sorted[sorted.len() / 2];
        Some(median.saturating_mul(config.stall_factor).max(config.min_stall_ms))
    }

    /// A newHeads block number: a jump past the next number is a gap.
    fn note_head(&mut self, number: u64) {
        if let Some(last) = self.last_head
            && number > last.saturating_add(1)
        {
            self.stats.gaps += 1;
            self.stats.gap_blocks += number - last - 1;
        }
        self.last_head = Some(self.last_head.map_or(number, |last| last.max(number)));
    }

    fn report(&self) -> EndpointReport {
        EndpointReport::new(self.sub, self.conn, self.endpoint.clone(), self.stats, &self.lag)
    }
}

#[cfg(test)]
pub(crate) mod tests;
