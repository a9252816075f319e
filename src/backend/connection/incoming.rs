//! What arrives on the socket: each frame classified (and, when the consumer asked, its
//! item identified in the same pass), routed to its request or subscription, and captured.

use std::sync::Arc;

use tokio::time::Instant;
use tokio_tungstenite::tungstenite;

use super::{Actor, Event, SubscribeOutcome};
use crate::capture::{Direction, SubKey, Text};
use crate::catalog::{Completion, parse_identified};
use crate::protocol::{FrameKind, Incoming, Outcome, SubId, parse_incoming};

impl Actor {
    /// Captures one binary frame. JSON in it is read as text (as `protocol::binary_frame` reads
    /// a HAR's); anything else, UTF-8 or not, is kept as the bytes the server sent, hex-written,
    /// except that words holding the key lose it first (and the frame is marked redacted).
    pub(super) fn on_binary(&mut self, bytes: tungstenite::Bytes) {
        let words = match Text::try_from(bytes.clone()) {
            Ok(text) if !matches!(parse_incoming(&text), Incoming::NotJson) => return self.on_text(text),
            Ok(text) => Some(text),
            Err(_) => None,
        };
        let scrubbed = words.and_then(|text| self.secrets.scrub_frame(&text));
        let bytes = scrubbed.as_ref().map_or(&bytes[..], |text| text.as_bytes());
        let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        self.capture(Direction::In, FrameKind::Binary, None, None, hex.into());
        if scrubbed.is_some()
            && let Some(event) = self.batch.last_mut()
        {
            event.redacted = true;
        }
    }

    /// Classifies, routes and captures one text frame.
    pub(super) fn on_text(&mut self, frame: Text) {
        // A server that echoes the key (an error naming it) must not put it into the capture;
        // the frame that loses it is marked, the only change a capture ever makes to a frame.
        let scrubbed = if self.secrets.is_empty() { None } else { self.secrets.scrub_frame(&frame) };
        let redacted = scrubbed.is_some();
        let frame = scrubbed.map_or(frame, Text::from);
        let text = frame.as_str();
        // Read in the pass that classifies the frame, while it is in the cache.
        let (incoming, identity) =
            if self.queue.identifies_items() { parse_identified(text) } else { (parse_incoming(text), None) };
        let address = text.as_ptr().addr();
        let kind = incoming.kind();
        let (method, sub) = match incoming {
            Incoming::Batch(items) => {
                for item in items {
                    self.route(item, text);
                }
                (None, None)
            }
            other => self.route(other, text),
        };
        self.capture(Direction::In, kind, method, sub, frame);
        if redacted && let Some(event) = self.batch.last_mut() {
            event.redacted = true;
        }
        if let (FrameKind::Notification, Some(sub)) = (kind, sub)
            && let Some(done) = self.backfills.delivered(sub, &mut self.batch)
        {
            self.capture_recovered(sub, done);
        }
        // Unless a recovery held the frame back (it is identified downstream then): a frame
        // released with the ones held before it comes last again.
        if let Some(identity) = identity
            && self.batch.last().is_some_and(|event| event.raw.as_ptr().addr() == address)
        {
            self.identities.push((self.batch.len() - 1, identity));
        }
        for note in std::mem::take(&mut self.notes) {
            self.meta(&note);
        }
    }

    /// Routes one envelope: binds responses, finds the subscription of a notification.
    /// Returns the method and subscription to record with the frame.
    fn route(&mut self, incoming: Incoming<'_>, text: &str) -> (Option<Arc<str>>, Option<SubKey>) {
        match incoming {
            Incoming::Notification { method, subscription } => {
                let method = self.intern(&method);
                let Some(server_id) = subscription else { return (method, None) };
                let sub = self.table.route(&server_id);
                if let Some(sub) = sub {
                    self.complete_if_final(sub, &server_id, text);
                }
                (method, sub)
            }
            Incoming::Response { id: Some(id), outcome } => {
                let outcome = match outcome {
                    Outcome::Result(raw) => Ok(raw),
                    Outcome::Error(err) => Err(err),
                };
                let (events, frame) = self.table.on_response(id, outcome);
                for event in &events {
                    if let Event::Subscription {
                        sub,
                        outcome: SubscribeOutcome::Active(id),
                        resubscribed,
                        ..
                    } = event
                    {
                        self.notes.extend(self.backfills.active(*sub, id, *resubscribed));
                    }
                }
                let now = Instant::now();
                self.retry_at
                    .extend(self.table.take_retries().into_iter().map(|(sub, delay)| (now + delay, sub)));
                let sub = events.iter().find_map(|event| match event {
                    Event::Subscription { sub, .. } | Event::SubscriptionEnded { sub, .. } => Some(*sub),
                    _ => None,
                });
                self.events(events);
                self.outbox.extend(frame);
                (None, sub)
            }
            Incoming::Response { id: None, .. }
            | Incoming::Batch(_)
            | Incoming::Unknown
            | Incoming::NotJson => (None, None),
        }
    }

    /// A subscription the server ends by itself (a signature subscription) ends after its
    /// final notification, as its rules say (not after an early interim one).
    fn complete_if_final(&mut self, sub: SubKey, server_id: &SubId, text: &str) {
        if let Some(Completion::AfterFinal { interim }) = self.table.completion_of(sub)
            && !text.contains(interim)
        {
            let events = self.table.complete(server_id);
            self.events(events);
        }
    }
}
