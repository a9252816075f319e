//! The logic step that runs before every frame (and while the window is hidden): keychain
//! answers, jobs, what arrived, the table's filter; it shows no UI.

use std::time::{Duration, Instant};

use super::jobs::{self, JobOutcome};
use super::{App, LOGIC_BUDGET};
use crate::session::{Message, Notice};
use crate::ui::composer::ResponseState;

impl App {
    /// Takes what the backend queued into the live capture under [`LOGIC_BUDGET`], advances
    /// jobs and the filter, and asks for the next repaint. Shows no UI.
    pub fn logic_step(&mut self, ctx: &egui::Context) {
        let started = Instant::now();
        self.keys.poll(&mut self.session);
        self.step_job(LOGIC_BUDGET / 2);
        let (notices, waiting) = self.session.step(LOGIC_BUDGET.saturating_sub(started.elapsed()));
        for notice in notices {
            self.notice(notice);
        }
        let remaining = LOGIC_BUDGET.saturating_sub(started.elapsed()).max(Duration::from_millis(1));
        let capture = &self.files.shown(&self.session).capture;
        let scanned = self.panels.table.refresh(capture, remaining);
        if waiting || !scanned {
            ctx.request_repaint();
        } else if self.session.any_live() {
            // Keep the rate, the plot and reconnect countdowns moving while connected.
            ctx.request_repaint_after(Duration::from_millis(500));
        }
        self.persist_step(ctx);
    }

    /// Shows what the session reported besides its model.
    fn notice(&mut self, notice: Notice) {
        match notice {
            Notice::Response { request, result } => {
                if let Some(response) =
                    self.panels.composer.response.as_mut().filter(|response| response.request == request)
                {
                    response.state = match result {
                        Ok(raw) => ResponseState::Answered(pretty_json(&raw)),
                        Err(err) => ResponseState::Failed(err.to_string()),
                    };
                    self.panels.composer.reveal_response = true;
                }
            }
            Notice::Error(err) => self.message = Some(Message::Failure(err.to_string())),
        }
    }

    fn step_job(&mut self, budget: Duration) {
        let Some(job) = self.files.job.take() else { return };
        let export = job.is_export();
        let opened = self.files.opened.as_ref().map(|opened| &opened.capture.view.capture);
        match jobs::step(job, &self.runtime, &self.ctx, &self.session.live().capture, opened, budget) {
            JobOutcome::Running(job) => self.files.job = Some(job),
            JobOutcome::Done(result) => match result {
                Message::Failure(err) if !export => self.files.open_dialog.show_error(None, err),
                result => {
                    self.files.export_result = Some(result.clone());
                    self.message = Some(result);
                }
            },
            JobOutcome::Exported { path, text } => self.exported(&path, text),
            JobOutcome::DialogClosed => {}
            JobOutcome::NoDialog { export } => self.no_dialog(export),
            JobOutcome::Opened(capture) => self.finish_opening(*capture),
        }
    }
}

/// A JSON text pretty-printed, or as it is when it is not JSON.
fn pretty_json(raw: &str) -> String {
    serde_json::from_str::<serde_json::Value>(raw)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| raw.to_owned())
}
