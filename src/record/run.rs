//! One run: the session it drives, what it reports on stderr, and how it ends.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use anyhow::bail;

use super::output::{Output, OutputStopped, OutputWriter};
use super::{MAX_BATCH, Observer, RecordOptions, RecordSummary, Stopped};
use crate::backend::{ConnState, Event, RequestKey, SubscribeOutcome};
use crate::capture::{CapturedEvent, ConnId, SubKey};
use crate::protocol::FrameKind;
use crate::protocol::request::RequestBody;
use crate::redact::{key_travels_in_clear, redact_url};
use crate::session::{Endpoint, Session};
use crate::signal::StopSignal;

/// One run: the session it drives, and the output.
pub(super) struct Run {
    /// Endpoints, subscriptions and what arrived, as the window has them.
    session: Session,
    /// The connections that opened at least once (a refusal before that ends the run).
    opened: HashSet<ConnId>,
    /// Created when the first connection opens.
    writer: Option<OutputWriter>,
    /// Captured before any connection was up (nothing, in practice): written when one is.
    held: Vec<CapturedEvent>,
    summary: RecordSummary,
    /// One-off requests sent and not answered yet: `method on URL` for each.
    unanswered: HashMap<RequestKey, String>,
    /// Whether the run ends once every one-off request is answered (it has no subscription).
    ends_when_answered: bool,
}

impl Run {
    /// Connects every endpoint, subscribes every body on it and sends every `--request` once
    /// (waiting for room in the command queue: 100 endpoints with 20 subscriptions each are
    /// 2,100 commands).
    pub(super) async fn new(
        mut session: Session,
        options: &RecordOptions,
        bodies: &[RequestBody],
    ) -> anyhow::Result<Self> {
        let requests = options
            .requests
            .iter()
            .map(|text| super::parse_request_body(text))
            .collect::<Result<Vec<_>, _>>()?;
        let mut unanswered = HashMap::new();
        for (index, url) in options.endpoints.iter().enumerate() {
            let shown = redact_url(url);
            let endpoint = Endpoint {
                id: index as u64 + 1,
                label: shown.clone(),
                url: url.clone(),
                api_key: options.api_key.as_ref().map(|key| key.expose().to_owned()).unwrap_or_default(),
                ping_interval: options.ping_interval,
                rpc_url: options.rpc_urls.get(index).cloned().unwrap_or_default(),
                backfill_off: !options.backfill,
                ..Endpoint::default()
            };
            if endpoint.needs_key() && endpoint.api_key.is_empty() {
                bail!("{shown} needs an API key: give --api-key or set {}", crate::settings::API_KEY_ENV);
            }
            session.add_endpoint(endpoint);
            session.backend().room_for_command().await;
            let conn = session
                .connect(index)
                .map_err(|err| anyhow::anyhow!("could not connect to {shown}: {err}"))?;
            for body in bodies {
                session.backend().room_for_command().await;
                if let Err(err) = session.subscribe(conn, body.method.clone(), body.params.clone(), None) {
                    bail!("{} on {shown} was not sent: {err}", body.method);
                }
                if let (true, Err(reason)) =
                    (options.backfill, crate::backfill::plan_for(&body.method, body.params.as_ref()))
                {
                    eprintln!(
                        "subscope: {} on {shown}: notifications missed while reconnecting cannot be recovered: {reason}",
                        crate::backfill::subscription_name(&body.method, body.params.as_ref())
                    );
                }
            }
            for body in &requests {
                session.backend().room_for_command().await;
                // Queued until the connection opens, then sent once (never again on a reconnect).
                match session.request(conn, body.method.clone(), body.params.clone()) {
                    Ok(request) => unanswered.insert(request, format!("{} on {shown}", body.method)),
                    Err(err) => bail!("{} on {shown} was not sent: {err}", body.method),
                };
            }
            if key_travels_in_clear(url) {
                eprintln!(
                    "subscope: warning: {shown} sends the key unencrypted (ws:// to another host); use wss://"
                );
            }
            eprintln!("subscope: connecting to {shown}");
        }
        Ok(Self {
            session,
            opened: HashSet::new(),
            writer: None,
            held: Vec::new(),
            summary: RecordSummary::default(),
            ends_when_answered: bodies.is_empty() && !unanswered.is_empty(),
            unanswered,
        })
    }

    /// Waits until there are events to take and room for them in the output.
    pub(super) async fn room(&self) -> anyhow::Result<()> {
        self.session.backend().queue().wait().await;
        match &self.writer {
            Some(writer) => writer.room().await,
            None => Ok(()),
        }
    }

    /// Takes a batch from the session and hands it to the output. Returns why the run stops,
    /// if it does.
    pub(super) fn step(
        &mut self,
        output: &mut Output,
        count: Option<u64>,
        observer: &mut dyn Observer,
    ) -> anyhow::Result<Option<Stopped>> {
        let taken = self.session.take(MAX_BATCH);
        self.summary.evicted += taken.evicted;
        let failure = self.report(&taken.events);
        let mut context_changed =
            taken.events.iter().any(|event| matches!(event, Event::Subscription { .. }));
        let mut identities = taken.identities;
        let mut events: Vec<CapturedEvent> = if self.held.is_empty() {
            Vec::from(taken.frames) // the queue's own buffer, not a copy
        } else {
            self.held.drain(..).chain(taken.frames).collect()
        };
        let mut stopped = failure.map(Stopped::Failure);
        if self.ends_when_answered && self.unanswered.is_empty() {
            stopped = stopped.or(Some(Stopped::Answered));
        }
        if let Some(count) = count {
            // Exactly `count`: the batch ends with the notification that reaches it.
            let mut notifications = self.summary.notifications;
            if let Some(last) = events.iter().position(|event| {
                notifications += u64::from(event.kind == FrameKind::Notification);
                notifications >= count
            }) {
                events.truncate(last + 1);
                stopped = stopped.or(Some(Stopped::Count));
            }
        }
        if self.writer.is_none() && !self.opened.is_empty() && !output.discards() {
            self.writer = Some(OutputWriter::start(output.start()?)?);
            context_changed = true; // the thread starts with no names for the ids
        }
        let taking = self.taking(output);
        if taking {
            self.count(&events);
            observer.observe(&events, &mut identities, &self.session.live().context);
            for command in observer.commands() {
                self.session.backend().send(command).ok(); // a busy queue skips a recovery, no more
            }
        }
        match &self.writer {
            Some(writer) => {
                let context = context_changed.then(|| self.session.live().context.clone());
                writer.send(events, context)?;
                let (in_flight_events, in_flight_bytes) = writer.in_flight();
                self.session.backend().queue().set_downstream(in_flight_events, in_flight_bytes);
            }
            None if taking => {} // counted and observed; nothing is written
            None => self.held.extend(events),
        }
        Ok(stopped)
    }

    /// Whether events are taken from now on: written, or (for a run that only observes)
    /// counted once a connection is up.
    fn taking(&self, output: &Output) -> bool {
        self.writer.is_some() || (output.discards() && !self.opened.is_empty())
    }

    fn count(&mut self, events: &[CapturedEvent]) {
        self.summary.events += events.len() as u64;
        self.summary.notifications +=
            events.iter().filter(|event| event.kind == FrameKind::Notification).count() as u64;
        self.summary.recovered += events.iter().filter(|event| event.recovered.is_some()).count() as u64;
    }

    /// Stops the connections, writes what is left, and waits for the output.
    pub(super) async fn finish(
        mut self,
        output: &mut Output,
        stopped: Stopped,
        stop: &mut StopSignal,
        flush_timeout: Duration,
        observer: &mut dyn Observer,
    ) -> anyhow::Result<RecordSummary> {
        for index in 0..self.session.endpoints().len() {
            self.session.backend().room_for_command().await;
            self.session.disconnect(index);
        }
        // Until every connection has closed (its last frames queued), at most a second, unless
        // the user insists.
        let mut rest: Vec<CapturedEvent> = self.held.drain(..).collect();
        let mut identities = std::collections::VecDeque::new();
        let session = &mut self.session;
        let summary = &mut self.summary;
        let closing = async {
            while session.any_live() {
                session.backend().queue().wait().await;
                let taken = session.take(usize::MAX);
                summary.evicted += taken.evicted;
                rest.extend(taken.frames);
                identities.extend(taken.identities);
            }
        };
        tokio::select! {
            () = closing => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = stop.requested(2) => {}
        }
        let taken = self.session.take(usize::MAX);
        self.summary.evicted += taken.evicted;
        rest.extend(taken.frames);
        identities.extend(taken.identities);
        if matches!(stopped, Stopped::Count) {
            rest.retain(|event| event.kind != FrameKind::Notification); // exactly `--count`
        }
        let failure = match stopped {
            Stopped::Failure(err) => Some(err),
            Stopped::Signal | Stopped::Duration | Stopped::Count | Stopped::Answered => None,
        };
        if self.taking(output) {
            self.count(&rest);
            observer.observe(&rest, &mut identities, &self.session.live().context);
        }
        match self.writer.take() {
            Some(writer) => match (writer.close(rest, stop, flush_timeout).await, failure) {
                (Ok(()), None) => {}
                (Ok(()), Some(err)) | (Err(err), None) => return Err(err),
                // The output failed: what closing it says names the cause and the loss.
                (Err(flushing), Some(err)) if err.is::<OutputStopped>() => return Err(flushing),
                (Err(flushing), Some(err)) => return Err(flushing.context(format!("{err:#}"))),
            },
            None => {
                output.abandon();
                if let Some(err) = failure {
                    return Err(err);
                }
            }
        }
        if self.summary.evicted > 0 {
            let lost = crate::human::plural(self.summary.evicted, "event", "events");
            eprintln!("subscope: lost {lost} because the output could not keep up");
        }
        Ok(self.summary)
    }

    /// Reports control events on stderr (the session has applied them); returns the failure
    /// that ends the run.
    fn report(&mut self, events: &[Event]) -> Option<anyhow::Error> {
        for event in events {
            match event {
                Event::State { conn, state } => {
                    let shown = self.connection_name(*conn);
                    match state {
                        ConnState::Open => {
                            self.opened.insert(*conn);
                            eprintln!("subscope: connected to {shown}");
                        }
                        ConnState::Closed { reason: Some(reason) } if !self.opened.contains(conn) => {
                            let reason = reason.with_hint();
                            return Some(anyhow::anyhow!("could not connect to {shown}: {reason}"));
                        }
                        ConnState::Reconnecting { reason, retry_at_ms, .. } => {
                            let wait = retry_at_ms.saturating_sub(crate::capture::now_ms());
                            eprintln!(
                                "subscope: {shown} lost ({reason}); reconnecting in {:.1} s",
                                wait as f64 / 1000.0
                            );
                        }
                        _ => {}
                    }
                }
                Event::Subscription { sub, outcome, resubscribed, .. } => {
                    let name = self.subscription_name(*sub);
                    match outcome {
                        SubscribeOutcome::Active(id) => {
                            let again = if *resubscribed { "re-subscribed" } else { "subscribed" };
                            eprintln!("subscope: {again} {name} (server id {id})");
                        }
                        SubscribeOutcome::Retrying { error, retry_in } => {
                            eprintln!(
                                "subscope: {name} was refused on re-subscribing ({error}); retrying in {:.1} s",
                                retry_in.as_secs_f64()
                            );
                        }
                        SubscribeOutcome::Failed(err) if *resubscribed => {
                            // The others go on; this one is reported and stays dead.
                            eprintln!("subscope: {name} was refused on re-subscribing: {err}");
                        }
                        SubscribeOutcome::Failed(err) => {
                            return Some(anyhow::anyhow!("{name} was refused: {err}"));
                        }
                    }
                }
                Event::Gap { lost_at_ms, restored_at_ms, .. } => {
                    eprintln!(
                        "subscope: gap of {} ms while reconnecting",
                        restored_at_ms.saturating_sub(*lost_at_ms)
                    );
                }
                Event::CommandFailed { error, .. } => return Some(anyhow::anyhow!("{error}")),
                Event::Response { request, result, .. } => {
                    let Some(name) = self.unanswered.remove(request) else { continue };
                    match result {
                        Ok(_) => eprintln!("subscope: {name} answered"),
                        // Code 0 is subscope's own: the connection ended before the answer.
                        Err(err) if err.code == 0 => {
                            return Some(anyhow::anyhow!("{name} was not answered: {err}"));
                        }
                        Err(err) => eprintln!("subscope: {name} answered with an error: {err}"),
                    }
                }
                Event::SubscriptionEnded { .. } => {}
            }
        }
        None
    }

    /// A connection's URL as shown.
    fn connection_name(&self, conn: ConnId) -> String {
        let endpoint = self.session.endpoints().iter().find(|endpoint| endpoint.conn == Some(conn));
        endpoint.map_or_else(|| format!("#{conn}"), |endpoint| endpoint.label.clone())
    }

    /// `method on URL` for a subscription.
    fn subscription_name(&self, sub: SubKey) -> String {
        let row = self.session.subscriptions().iter().find(|row| row.sub == sub);
        row.map_or_else(|| "subscription".to_owned(), |row| format!("{} on {}", row.method, row.conn_label))
    }
}
