//! The connection's outbox: one FIFO of frames and fault actions, each with the time it may
//! leave (the `delay` fault), drained in order onto the socket.

use std::time::Duration;

use futures_util::SinkExt as _;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::faults::Action;
use super::{Connection, Flow, Ws};

/// One outbox entry.
#[derive(Debug)]
pub(super) enum Outgoing {
    /// A text frame.
    Frame(String),
    /// A fault action.
    Act(Action),
}

/// What a request produces besides its response, applied after the response is queued.
#[derive(Debug)]
pub(super) enum After {
    /// Queue something.
    Send(Outgoing),
    /// Change the added latency for everything queued from now on.
    SetDelay(Duration),
}

/// An outbox entry with its due time (`None` = now).
#[derive(Debug)]
pub(super) struct Queued {
    /// When it may be sent.
    pub(super) due: Option<Instant>,
    /// What to send.
    pub(super) item: Outgoing,
}

impl Connection {
    /// Whether the first outbox entry may be sent at `now`.
    pub(super) fn front_is_due(&self, now: Instant) -> bool {
        self.outbox.front().is_some_and(|queued| queued.due.is_none_or(|due| due <= now))
    }

    /// Queues an entry behind everything else, with the current delay.
    pub(super) fn enqueue(&mut self, item: Outgoing) {
        let now = Instant::now();
        let mut due = now + self.delay;
        if let Some(last) = self.outbox.back().and_then(|queued| queued.due) {
            // Keep the order even when the delay shrinks.
            due = due.max(last);
        }
        let due = (due > now).then_some(due);
        self.outbox.push_back(Queued { due, item });
        if self.outbox.len() > self.shared.max_outbox {
            self.lagged = true;
        }
    }

    /// Queues the notifications of one clock tick: `streams` says, in order, which
    /// subscription (its key) produced how many of `frames`. With `?drop_every=K`, every K-th
    /// notification of each subscription is left out.
    pub(super) fn enqueue_notifications(&mut self, frames: Vec<String>, streams: &[(u64, usize)]) {
        let mut frames = frames.into_iter();
        for (stream, count) in streams {
            for frame in frames.by_ref().take(*count) {
                if let Some(every) = self.drop_every {
                    let seen = self.notifications.entry(*stream).or_default();
                    *seen += 1;
                    if seen.is_multiple_of(every) {
                        continue;
                    }
                }
                self.enqueue(Outgoing::Frame(frame));
            }
        }
    }

    /// Sends every due outbox entry, executing fault actions in order.
    pub(super) async fn drain(&mut self, ws: &mut Ws) -> Flow {
        let now = Instant::now();
        let mut unflushed = false;
        while self.front_is_due(now) {
            let Some(queued) = self.outbox.pop_front() else {
                break;
            };
            let action = match queued.item {
                Outgoing::Frame(text) => {
                    let len = text.len();
                    if ws.feed(Message::text(text)).await.is_err() {
                        return Flow::End;
                    }
                    self.shared.stats.frame_sent(len);
                    unflushed = true;
                    continue;
                }
                Outgoing::Act(action) => action,
            };
            if unflushed && ws.flush().await.is_err() {
                return Flow::End;
            }
            unflushed = false;
            let flow = self.act(ws, action).await;
            if flow != Flow::Continue {
                return flow;
            }
        }
        if unflushed && ws.flush().await.is_err() {
            return Flow::End;
        }
        Flow::Continue
    }

    /// Applies what requests produced besides their responses.
    pub(super) fn apply_after(&mut self, after: Vec<After>) {
        for item in after {
            match item {
                After::Send(item) => self.enqueue(item),
                After::SetDelay(delay) => self.delay = delay,
            }
        }
    }
}
