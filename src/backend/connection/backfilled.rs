//! The connection's side of recovering missed notifications: a finished job's result is
//! captured (its record, the recovered notifications marked, then the live ones held back)
//! once the live stream is past it.

use super::{Actor, Direction, FrameKind, Recovered, SubKey};
use crate::backend::recover::Finished;

impl Actor {
    /// A recovery finished: captured now if the live stream is past it (or `offline`: no live
    /// notification will come), else when it is.
    pub(super) fn on_backfilled(&mut self, (sub, outcome): Finished, offline: bool) {
        if let Some(done) = self.backfills.finish(sub, outcome) {
            self.capture_recovered(sub, done);
        }
        self.release_due_recoveries(offline);
    }

    /// Captures every recovery whose wait for the live stream is over (all, when `all`).
    pub(super) fn release_due_recoveries(&mut self, all: bool) {
        for (sub, done) in self.backfills.due(all) {
            self.capture_recovered(sub, done);
        }
    }

    /// Captures what a recovery found: its record, the recovered notifications (marked), then
    /// the live ones held back meanwhile.
    pub(super) fn capture_recovered(&mut self, sub: SubKey, done: Recovered) {
        self.meta(&done.note);
        let method = self.intern(&done.method);
        for frame in done.frames {
            let scrubbed = self.secrets.scrub_frame(&frame);
            let redacted = scrubbed.is_some();
            let kind = FrameKind::Notification;
            self.capture(Direction::In, kind, method.clone(), Some(sub), scrubbed.unwrap_or(frame).into());
            if let Some(event) = self.batch.last_mut() {
                event.recovered = Some(done.recovery);
                event.redacted = redacted;
            }
        }
        self.batch.extend(done.held);
        if let Some(server_id) = done.completes {
            let events = self.table.complete(&server_id);
            self.events(events);
        }
        self.flush();
    }
}
