//! One model of endpoints, subscriptions and what arrived, shared by the window and `record`.
//! It never uses egui.
//!
//! ```text
//! verbs (connect, subscribe, …) ──▶ Session ──Command──▶ backend
//!                                      ▲                    │
//!        step / take ◀── apply Event ──┴── EventQueue ◀─────┘
//! ```
//!
//! A [`Session`] owns the backend handle, the endpoints and subscriptions both as the user set
//! them up (what is saved: [`Session::saved_endpoints`]) and as they live (their connections
//! and states), and the live [`CaptureView`]. Each verb looks its method up in the catalogue
//! once ([`crate::catalog::rules_for`]) and carries what it says in the command; a verb that
//! fails says why with a [`SessionError`]. Events from the backend are applied in one place
//! (`apply.rs`) for every front end; what a front end must show besides the model comes back
//! as [`Notice`]s. States and errors are data; their text is made where it is shown.

mod apply;
pub mod endpoint;
mod error;
mod identity;
mod notice;
pub mod subscription;
pub mod view;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::backend::{Backend, Command, ConnState, ConnectionConfig, Event, RequestKey, take_identity};
use crate::capture::{CaptureLimits, CapturedEvent, ConnId, SubKey};
use crate::catalog::{self, Draft};
use crate::export::SubscriptionInfo;
use crate::redact::{Secret, extract_key};
use crate::settings::SavedEndpoint;
pub use endpoint::{
    ConnectBlocker, Endpoint, GapSpan, HeaderProblem, KEY_REMOVED, KeySource, KeychainLookup, RpcUrlProblem,
    UrlField, header_problem, rpc_url_problem,
};
pub use error::SessionError;
pub use notice::{Message, Notice};
pub use subscription::{Backfill, Ending, SubFailure, SubState, Subscription};
pub use view::{CaptureView, Cleared, ReorgMarks};

/// What [`Session::take`] took from the backend.
#[derive(Debug, Default)]
pub struct Taken {
    /// Frames, in sequence order.
    pub frames: VecDeque<CapturedEvent>,
    /// The control events, already applied to the model, for a front end that reports them.
    pub events: Vec<Event>,
    /// Frames evicted before they could be taken.
    pub evicted: u64,
    /// Item identities the connections read of `frames` ([`crate::backend::EventQueue::identify_items`]).
    pub identities: VecDeque<crate::backend::Identity>,
}

/// See the module docs.
pub struct Session {
    backend: Backend,
    endpoints: Vec<Endpoint>,
    subscriptions: Vec<Subscription>,
    live: CaptureView,
    /// Drained from the backend, not yet in the live view (moved within a time budget).
    pending: VecDeque<CapturedEvent>,
    pending_bytes: usize,
    /// The item identities the connections read of `pending`'s notifications, for the
    /// comparison ([`crate::backend::EventQueue::identify_items`]: on while one is made).
    pending_identities: VecDeque<crate::backend::Identity>,
    /// What the last Clear took out of the live view, until it is undone, replaced by the next
    /// Clear, or needs room under the cap.
    cleared: Option<Cleared>,
    /// The user's cap on everything that holds events.
    limits: CaptureLimits,
    /// What a capture opened from a file holds (events, bytes), counted against the cap.
    opened: (usize, usize),
    notices: Vec<Notice>,
    /// The window's chain identities and comparison groups.
    identities: identity::Identities,
}

impl Session {
    /// A session on `backend` (started with the same `limits`), with the endpoints the user
    /// saved (not connected yet: see [`Self::connect`]).
    pub fn new(backend: Backend, limits: CaptureLimits, saved: &[SavedEndpoint]) -> Self {
        let endpoints = saved.iter().map(endpoint_from_saved).collect();
        Self {
            backend,
            endpoints,
            subscriptions: Vec::new(),
            live: CaptureView::new(limits.consumer_share()),
            pending: VecDeque::new(),
            pending_bytes: 0,
            pending_identities: VecDeque::new(),
            cleared: None,
            limits,
            opened: (0, 0),
            notices: Vec::new(),
            identities: identity::Identities::default(),
        }
    }

    // ---------------------------------------------------------------------------------------
    // The model.

    /// The endpoints, in order.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The endpoints, to edit what the user set up (label, URL, key).
    pub fn endpoints_mut(&mut self) -> &mut [Endpoint] {
        &mut self.endpoints
    }

    /// The endpoint with this id.
    pub fn endpoint_mut(&mut self, id: u64) -> Option<&mut Endpoint> {
        self.endpoints.iter_mut().find(|endpoint| endpoint.id == id)
    }

    /// Every subscription made since the app started, live or ended.
    pub fn subscriptions(&self) -> &[Subscription] {
        &self.subscriptions
    }

    /// The live capture with its names and reorg marks.
    pub fn live(&self) -> &CaptureView {
        &self.live
    }

    /// The user's cap.
    pub fn limits(&self) -> CaptureLimits {
        self.limits
    }

    /// The endpoints as they are to be saved: what the user set up, whatever their
    /// connections are doing now.
    pub fn saved_endpoints(&self) -> Vec<SavedEndpoint> {
        self.endpoints
            .iter()
            .filter(|endpoint| !endpoint.transient)
            .map(|endpoint| SavedEndpoint {
                id: endpoint.id,
                label: endpoint.label.clone(),
                preset: endpoint.preset.clone(),
                url: endpoint.url.clone(),
                rpc_url: endpoint.rpc_url.clone(),
                connect_on_start: endpoint.keep_connected,
                chain: endpoint.chain,
                headers: endpoint.headers.clone(),
                subscriptions: self
                    .subscriptions
                    .iter()
                    .filter(|row| row.endpoint == endpoint.id && row.restore)
                    .filter_map(|row| row.draft.clone())
                    .chain(endpoint.restore.iter().cloned())
                    .collect(),
            })
            .collect()
    }

    /// Whether any connection is connecting, open or reconnecting.
    pub fn any_live(&self) -> bool {
        self.endpoints.iter().any(Endpoint::is_live)
    }

    /// The bytes every event held for this session takes: the live view, what waits to enter
    /// it, and the backend's queue. It stays within the cap (an opened file aside).
    pub fn memory_held(&self) -> usize {
        let cleared = self.cleared.as_ref().map_or(0, Cleared::memory_bytes);
        self.live.capture.memory_bytes() + self.pending_bytes + self.backend.queue().held().1 + cleared
    }

    // ---------------------------------------------------------------------------------------
    // Verbs.

    /// Adds an endpoint as saved (a workspace's), at the end of the list, unconnected;
    /// returns its index.
    pub fn add_saved_endpoint(&mut self, saved: &SavedEndpoint) -> usize {
        self.endpoints.push(endpoint_from_saved(saved));
        self.endpoints.len() - 1
    }

    /// Adds an endpoint at the end of the list.
    pub fn add_endpoint(&mut self, endpoint: Endpoint) {
        self.endpoints.push(endpoint);
    }

    /// Removes a closed endpoint; its subscriptions are no longer restored. `None` while it
    /// is live.
    pub fn remove_endpoint(&mut self, index: usize) -> Option<Endpoint> {
        if self.endpoints.get(index)?.is_live() {
            return None;
        }
        let removed = self.endpoints.remove(index);
        for row in self.subscriptions.iter_mut().filter(|row| row.endpoint == removed.id) {
            row.restore = false;
        }
        Some(removed)
    }

    /// Turns the key pasted into one of an endpoint's URLs into `{api_key}` (in the other URL
    /// too, when the same key is pasted there) and moves the key to the endpoint's key field:
    /// an endpoint has one key. Returns the key, for the caller to keep (a keychain); `None`
    /// when there is nothing to move, or when the key field holds another key (the endpoint
    /// then says so).
    pub fn move_key_to_key_field(&mut self, index: usize, field: UrlField) -> Option<Secret> {
        let endpoint = self.endpoints.get_mut(index)?;
        let (template, key) = extract_key(endpoint.url_mut(field))?;
        let current = endpoint.api_key.trim();
        if !current.is_empty() && current != key.expose() {
            endpoint.error = Some(SessionError::TwoKeys);
            return None;
        }
        *endpoint.url_mut(field) = template;
        let mut url_changed = field == UrlField::WebSocket;
        let other = endpoint.url_mut(field.other());
        if let Some((other_template, other_key)) = extract_key(other)
            && other_key.expose() == key.expose()
        {
            *other = other_template;
            url_changed = true;
        }
        if url_changed {
            endpoint.preset.clear();
        }
        endpoint.api_key = key.expose().to_owned();
        endpoint.key_source = KeySource::Typed;
        endpoint.keychain = KeychainLookup::Answered;
        endpoint.error = None;
        endpoint.key_note = None;
        Some(key)
    }

    /// Connects an endpoint with the key in its key field, and sends what was set up on it:
    /// the subscriptions to restore, and those that ended with a connection that failed.
    /// Why it cannot is put on the endpoint (and returned).
    pub fn connect(&mut self, index: usize) -> Result<ConnId, SessionError> {
        let Some(endpoint) = self.endpoints.get_mut(index) else { return Err(SessionError::NoSuchEndpoint) };
        if let Some(blocker) = endpoint.connect_blocker() {
            let error = SessionError::Blocked(blocker);
            endpoint.error = Some(error.clone());
            return Err(error);
        }
        let url = endpoint.url.trim().to_owned();
        let key = endpoint.api_key.trim();
        let conn = self.backend.new_connection_id();
        let mut config = ConnectionConfig::new(endpoint.label.clone(), url.clone());
        if !key.is_empty() {
            config.api_key = Some(Secret::new(key));
        }
        if let Some(interval) = endpoint.ping_interval {
            config.ping_interval = interval;
        }
        config.headers = endpoint.headers_to_send();
        config.rpc_url = endpoint.rpc_url_to_send();
        config.backfill = !endpoint.backfill_off;
        if let Err(err) = self.backend.send(Command::Connect { conn, config: Box::new(config) }) {
            let error = SessionError::Connect(err);
            endpoint.error = Some(error.clone());
            return Err(error);
        }
        self.live.context.add_connection(conn, &endpoint.label, &url);
        endpoint.conn = Some(conn);
        endpoint.state = Some(ConnState::Connecting { attempt: 0 });
        endpoint.error = None;
        endpoint.gap = None;
        endpoint.keep_connected = true;
        let endpoint_id = endpoint.id;
        let mut drafts = std::mem::take(&mut endpoint.restore);
        // Subscriptions that ended with a failed connection come back with the new one.
        let ended: Vec<SubKey> = self
            .subscriptions
            .iter()
            .filter(|row| row.endpoint == endpoint_id && row.restore && !row.state.is_live())
            .map(|row| row.sub)
            .collect();
        for sub in ended {
            if let Some(position) = self.subscriptions.iter().position(|row| row.sub == sub) {
                drafts.extend(self.subscriptions.remove(position).draft);
            }
        }
        for draft in drafts {
            if let Err(err) = self.subscribe_draft(conn, draft) {
                self.notices.push(Notice::Error(err));
            }
        }
        Ok(conn)
    }

    /// Disconnects an endpoint for good: it is no longer connected on start, and its
    /// subscriptions are no longer restored.
    pub fn disconnect(&mut self, index: usize) {
        let Some(endpoint) = self.endpoints.get_mut(index) else { return };
        endpoint.keep_connected = false;
        endpoint.restore.clear();
        let endpoint_id = endpoint.id;
        for row in self.subscriptions.iter_mut().filter(|row| row.endpoint == endpoint_id) {
            row.restore = false;
        }
        let Some(conn) = endpoint.conn else { return };
        if let Err(err) = self.backend.send(Command::Disconnect { conn }) {
            endpoint.error = Some(SessionError::Disconnect(err));
        }
    }

    /// Ends a reconnecting endpoint's backoff wait: it tries again at once.
    pub fn retry_now(&mut self, index: usize) {
        let Some(endpoint) = self.endpoints.get_mut(index) else { return };
        let Some(conn) = endpoint.conn else { return };
        if let Err(err) = self.backend.send(Command::RetryNow { conn }) {
            endpoint.error = Some(SessionError::Retry(err));
        }
    }

    /// Subscribes with a form; a form that does not build (from an older catalogue) is kept to
    /// restore.
    pub fn subscribe_draft(&mut self, conn: ConnId, draft: Draft) -> Result<SubKey, SessionError> {
        match catalog::build(&draft) {
            Ok(built) => self.subscribe(conn, built.method, built.params, Some(draft)),
            Err(errors) => {
                if let Some(endpoint) = self.endpoints.iter_mut().find(|endpoint| endpoint.conn == Some(conn))
                {
                    endpoint.restore.push(draft);
                }
                Err(SessionError::SavedDraft(errors))
            }
        }
    }

    /// Subscribes on a connection with a method and params (built from `draft`, when there is
    /// one, which is what is saved to restore it).
    pub fn subscribe(
        &mut self,
        conn: ConnId,
        method: String,
        params: Option<serde_json::Value>,
        draft: Option<Draft>,
    ) -> Result<SubKey, SessionError> {
        let rules = catalog::rules_for(&method, params.as_ref());
        // `record --no-backfill` turns recovery off for the whole connection; else the form says.
        let connection_recovers = self
            .endpoints
            .iter()
            .find(|endpoint| endpoint.conn == Some(conn))
            .is_none_or(|endpoint| !endpoint.backfill_off);
        let recover = connection_recovers && draft.as_ref().is_none_or(|draft| draft.recover);
        let backfill = Backfill::of(&method, params.as_ref(), recover);
        let sub = self.backend.new_subscription_key();
        let command = Command::Subscribe {
            conn,
            sub,
            method: method.clone(),
            params: params.clone(),
            rules: rules.clone(),
        };
        self.backend.send(command).map_err(SessionError::Subscribe)?;
        self.live.watch(sub, rules.reorg);
        let title = subscription_title(&method, draft.as_ref(), params.as_ref(), &rules.short_name);
        self.live
            .context
            .subscriptions
            .insert(sub, SubscriptionInfo { method: method.clone(), params, server_id: None });
        let endpoint = self.endpoints.iter().find(|endpoint| endpoint.conn == Some(conn));
        let (endpoint_id, conn_label) =
            endpoint.map_or((0, format!("#{conn}")), |endpoint| (endpoint.id, endpoint.label.clone()));
        let restore = draft.is_some();
        if backfill == Backfill::Off && connection_recovers {
            // The backend starts this subscription with recovery on: the form says otherwise.
            if let Err(err) = self.backend.send(Command::Backfill { conn, sub, on: false }) {
                self.notices.push(Notice::Error(SessionError::Backfill(err)));
            }
        }
        self.subscriptions.push(Subscription {
            conn,
            sub,
            method,
            title,
            conn_label,
            state: SubState::Pending,
            resubscribed: 0,
            draft,
            endpoint: endpoint_id,
            restore,
            backfill,
        });
        // In the window, compared with nothing else unless sent together with it.
        let batch = self.next_batch();
        self.tag_for_compare(sub, conn, batch);
        Ok(sub)
    }

    /// Turns the recovery of what a subscription misses during a reconnect on or off. The
    /// choice is kept in its form, so it is saved and holds when the subscription is sent
    /// again. Nothing is sent for a kind that cannot be recovered, or once it has ended.
    pub fn set_backfill(&mut self, sub: SubKey, on: bool) -> Result<(), SessionError> {
        let Some(row) = self.subscriptions.iter_mut().find(|row| row.sub == sub) else { return Ok(()) };
        if matches!(row.backfill, Backfill::Impossible(_)) {
            return Ok(());
        }
        if row.state.is_live() {
            self.backend
                .send(Command::Backfill { conn: row.conn, sub, on })
                .map_err(SessionError::Backfill)?;
        }
        row.backfill = if on { Backfill::On } else { Backfill::Off };
        if let Some(draft) = &mut row.draft {
            draft.recover = on;
        }
        Ok(())
    }

    /// Cancels a subscription; it is no longer restored.
    pub fn unsubscribe(&mut self, sub: SubKey) {
        let Some(row) = self.subscriptions.iter_mut().find(|row| row.sub == sub) else { return };
        row.restore = false;
        match self.backend.send(Command::Unsubscribe { conn: row.conn, sub }) {
            Ok(()) => row.state = SubState::Unsubscribing,
            Err(err) => row.state = SubState::Failed(SubFailure::UnsubscribeNotSent(err)),
        }
    }

    /// Removes a subscription that is no longer live from the list.
    pub fn remove_subscription(&mut self, sub: SubKey) {
        self.subscriptions.retain(|row| row.sub != sub || row.state.is_live());
    }

    /// Removes a subscription that is no longer live from the list and its names from the
    /// live context, for a front end that keeps no capture to name (`monitor`, which sends
    /// the subscriptions of an endpoint that failed to connect again every few seconds for
    /// as long as it is down, and must not grow with each try).
    pub fn forget_subscription(&mut self, sub: SubKey) {
        let live = self.subscriptions.iter().any(|row| row.sub == sub && row.state.is_live());
        if live {
            return;
        }
        self.subscriptions.retain(|row| row.sub != sub);
        self.live.context.subscriptions.remove(&sub);
        self.live.context.compare_groups.remove(&sub);
        self.identify_for_compare();
        self.live.forget(sub);
    }

    /// Removes a closed connection's name from the live context (as
    /// [`Self::forget_subscription`], for `monitor`).
    pub fn forget_connection(&mut self, conn: ConnId) {
        if self.endpoints.iter().any(|endpoint| endpoint.conn == Some(conn)) {
            return; // still an endpoint's current connection
        }
        self.live.context.connections.remove(&conn);
    }

    /// Sends a one-off request; its answer comes back as a [`Notice::Response`].
    pub fn request(
        &mut self,
        conn: ConnId,
        method: String,
        params: Option<serde_json::Value>,
    ) -> Result<RequestKey, SessionError> {
        let request = self.backend.new_request_key();
        self.backend
            .send(Command::Request { conn, request, method, params })
            .map(|()| request)
            .map_err(SessionError::Request)
    }

    /// Changes the cap.
    pub fn set_limits(&mut self, limits: CaptureLimits) -> Result<(), SessionError> {
        self.limits = limits;
        self.live.capture.set_limits(self.live_limits());
        self.backend.send(Command::SetLimits(limits)).map_err(SessionError::SetLimits)
    }

    /// Tells the session what a capture opened from a file holds (events, bytes), so the
    /// live view leaves room for it.
    pub fn set_opened(&mut self, held: (usize, usize)) {
        self.opened = held;
        self.live.capture.set_limits(self.live_limits());
    }

    /// How much a capture opened from a file may hold: three quarters of the window's share.
    pub fn limits_for_opened(&self) -> CaptureLimits {
        let share = self.limits.consumer_share();
        CaptureLimits { max_events: share.max_events / 4 * 3, max_bytes: share.max_bytes / 4 * 3 }
    }

    /// Drops every event of the live view (counts and names are kept), keeping them to undo
    /// it ([`Self::undo_clear`]) until the next Clear or until they need room under the cap.
    /// Events still on their way into the view are the stream going on: they come in after.
    pub fn clear(&mut self) {
        // Clearing a view a Clear already emptied (a key held down) takes nothing, and must not
        // replace what that Clear took.
        if self.cleared.is_some() && self.live.capture.is_empty() {
            return;
        }
        self.cleared = Some(self.live.clear());
    }

    /// Puts back what the last Clear took, before what came since; `false` when there is
    /// nothing to put back.
    pub fn undo_clear(&mut self) -> bool {
        let Some(cleared) = self.cleared.take() else { return false };
        self.live.restore(cleared);
        true
    }

    /// How many events an undo of the last Clear would put back, if it can be undone.
    pub fn clear_undoable(&self) -> Option<usize> {
        self.cleared.as_ref().map(Cleared::len)
    }

    // ---------------------------------------------------------------------------------------
    // Taking what arrived.

    /// Takes what the backend queued into the live view, moving events for at most `budget`
    /// (the rest waits for the next step, counted against the cap). Returns what to show
    /// besides the model, and whether events still wait.
    pub fn step(&mut self, budget: Duration) -> (Vec<Notice>, bool) {
        let started = Instant::now();
        if self.pending.is_empty() {
            let drained = self.backend.drain();
            self.live.capture.add_evicted(drained.evicted);
            for event in drained.events {
                self.apply(event);
            }
            self.pending = drained.captured;
            self.pending_bytes = self.pending.iter().map(CapturedEvent::memory_cost).sum();
            self.pending_identities = drained.identities;
            self.make_room_for_pending();
        }
        let mut moved = 0usize;
        while let Some(event) = self.pending.pop_front() {
            self.pending_bytes -= event.memory_cost();
            let identity = take_identity(&mut self.pending_identities, event.seq);
            self.live.push_identified(event, identity);
            moved += 1;
            // A clock read per 64 events (about 0.3 ms of them) keeps the frame near its budget.
            if moved.is_multiple_of(64) && started.elapsed() >= budget {
                break;
            }
        }
        // Items settle by the wall clock only once the view has caught up: while events wait,
        // another endpoint's copy of an item may be among them (until then `observe` settles
        // by the events' own times).
        if self.pending.is_empty() {
            self.live.compare.settle(crate::capture::now_ms());
        }
        // What one endpoint of a comparison missed and another delivered is asked of it.
        for missed in self.live.compare.take_missed() {
            let command = Command::Recover { conn: missed.conn, sub: missed.sub, height: missed.height };
            self.backend.send(command).ok(); // a busy queue skips a recovery, no more
        }
        // What the window holds counts against the same cap as the backend's queue.
        let capture = &self.live.capture;
        self.backend
            .queue()
            .set_downstream(capture.len() + self.pending.len(), capture.memory_bytes() + self.pending_bytes);
        (std::mem::take(&mut self.notices), !self.pending.is_empty())
    }

    /// Takes at most `max` frames (and the control events before them, applied to the model)
    /// for a front end that writes them out rather than keeping them (`record`).
    pub fn take(&mut self, max: usize) -> Taken {
        let drained = self.backend.queue().drain_batch(max);
        for event in &drained.events {
            self.apply(event.clone());
        }
        Taken {
            frames: drained.captured,
            events: drained.events,
            evicted: drained.evicted,
            identities: drained.identities,
        }
    }

    /// Notices gathered since the last step (for a front end that uses [`Self::take`]).
    pub fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// The backend, for what only it can do (waiting on its queue, counting its memory).
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Keeps the live view and what waits to enter it within the view's limits together,
    /// evicting the oldest first (from the view, then from what waits), counted.
    fn make_room_for_pending(&mut self) {
        // What a Clear took is the first to go: it is kept to undo a mistake, never at the
        // cost of what arrives.
        if let Some(cleared) = &self.cleared {
            let capture = &self.live.capture;
            let held = capture.len() + self.pending.len() + cleared.len();
            let bytes = capture.memory_bytes() + self.pending_bytes + cleared.memory_bytes();
            if capture.limits().exceeded_by(held, bytes) {
                self.cleared = None;
            }
        }
        let capture = &mut self.live.capture;
        let limits = capture.limits();
        while limits
            .exceeded_by(capture.len() + self.pending.len(), capture.memory_bytes() + self.pending_bytes)
        {
            if capture.evict_oldest() {
                continue;
            }
            let Some(oldest) = self.pending.pop_front() else { break };
            self.pending_bytes -= oldest.memory_cost();
            capture.add_evicted(1);
        }
    }

    /// What the live view may hold: the consumer's share of the cap, less what an opened file
    /// holds (but never under a quarter of the share).
    fn live_limits(&self) -> CaptureLimits {
        let share = self.limits.consumer_share();
        let (events, bytes) = self.opened;
        CaptureLimits {
            max_events: share.max_events.saturating_sub(events).max(share.max_events / 4),
            max_bytes: share.max_bytes.saturating_sub(bytes).max(share.max_bytes / 4),
        }
    }
}

/// A subscription's title for lists: the method's label (from its form, or the catalogue's
/// short name), with its first parameter when that says which stream it is.
fn subscription_title(
    method: &str,
    draft: Option<&Draft>,
    params: Option<&serde_json::Value>,
    short_name: &str,
) -> String {
    let spec = draft.and_then(Draft::spec).or_else(|| {
        let first = params.and_then(|params| params.get(0)).and_then(serde_json::Value::as_str);
        catalog::find_by_rpc_method(method, first)
    });
    let label = spec.map_or_else(|| short_name.to_owned(), |spec| spec.label.to_owned());
    let first =
        params.and_then(|params| params.get(0)).filter(|first| !first.is_object() && !first.is_null());
    match (spec.and_then(|spec| spec.subscription_kind), first) {
        (Some(_), _) | (None, None) => label,
        (None, Some(first)) => {
            let text = first.to_string();
            match text.char_indices().nth(48) {
                Some((at, _)) => format!("{label} {}…", &text[..at]),
                None => format!("{label} {text}"),
            }
        }
    }
}

/// An endpoint as the settings (or a workspace) saved it, not connected yet.
fn endpoint_from_saved(entry: &SavedEndpoint) -> Endpoint {
    Endpoint {
        id: entry.id,
        label: entry.label.clone(),
        preset: entry.preset.clone(),
        url: entry.url.clone(),
        rpc_url: entry.rpc_url.clone(),
        keep_connected: entry.connect_on_start,
        restore: entry.subscriptions.clone(),
        chain: entry.chain,
        headers: entry.headers.clone(),
        ..Endpoint::default()
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod clear_tests;
