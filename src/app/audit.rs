//! "Audit against the chain…" on an opened capture: the same audit as `subscope audit`
//! ([`crate::audit`]), asked of an HTTP RPC URL the user can edit, run on the tokio runtime
//! (the file read on a blocking thread) while the window keeps drawing; the result shows one
//! block per subscription with its missing items.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use egui::{Button, RichText, ScrollArea, TextEdit, Window};
use tokio::sync::oneshot;

use super::App;
use crate::audit::{AuditProgress, AuditReport, audit, read_capture, render_subscription, render_summary};
use crate::export::Progress;
use crate::redact::lost_its_key;
use crate::rpc::{RpcClient, RpcConfig, rpc_url_for};
use crate::ui::error_text;

/// The audit window's state: which file, the URL as typed, the run and its result.
#[derive(Default)]
pub(super) struct AuditWindow {
    open: bool,
    /// The opened capture's file.
    file: Option<PathBuf>,
    /// The HTTP RPC URL, as typed (it may hold a key; it is shown only here).
    rpc_url: String,
    running: Option<Running>,
    result: Option<Result<AuditReport, String>>,
}

/// An audit under way on the runtime.
struct Running {
    progress: Arc<AuditProgress>,
    answer: oneshot::Receiver<Result<AuditReport, String>>,
}

impl AuditWindow {
    /// Opens the window for `file`; a new file starts with the RPC URL derived from its
    /// `endpoint` (none when the endpoint's key was masked) and no result.
    fn open_for(&mut self, file: Option<PathBuf>, endpoint: Option<&str>) {
        if self.file != file {
            self.result = None;
            let derived = endpoint.filter(|endpoint| !lost_its_key(endpoint)).and_then(rpc_url_for);
            self.rpc_url = derived.unwrap_or_default();
            self.file = file;
        }
        self.open = true;
    }

    /// Takes the running audit's answer once it has come.
    fn poll(&mut self, ctx: &egui::Context) {
        let Some(running) = &mut self.running else { return };
        match running.answer.try_recv() {
            Ok(result) => {
                self.result = Some(result);
                self.running = None;
            }
            Err(oneshot::error::TryRecvError::Empty) => ctx.request_repaint_after(Duration::from_millis(250)),
            Err(oneshot::error::TryRecvError::Closed) => {
                self.result = Some(Err("the audit stopped before it finished".into()));
                self.running = None;
            }
        }
    }
}

impl App {
    /// Opens the audit window for the opened capture.
    pub(super) fn audit_opened(&mut self) {
        let Some(opened) = &self.files.opened else { return };
        let context = &opened.capture.view.context;
        let mut connections: Vec<_> = context.connections.iter().collect();
        connections.sort_by_key(|(conn, _)| **conn);
        let endpoint = connections.first().map(|(_, info)| info.endpoint.as_str());
        self.audit.open_for(opened.capture.path.clone(), endpoint);
    }

    /// The audit window, when open; takes the running audit's answer first.
    pub(super) fn audit_window_ui(&mut self, ctx: &egui::Context) {
        self.audit.poll(ctx);
        if !self.audit.open {
            return;
        }
        let mut open = true;
        let mut start = false;
        let state = &mut self.audit;
        Window::new("Audit against the chain").open(&mut open).default_width(680.0).show(ctx, |ui| {
            ui.horizontal(|ui| {
                let label = ui.label("Audit against (HTTP RPC URL)");
                let field = TextEdit::singleline(&mut state.rpc_url).hint_text("http://127.0.0.1:8545");
                ui.add(field.desired_width(380.0)).labelled_by(label.id);
                start = ui.add_enabled(state.running.is_none(), Button::new("Audit")).clicked();
            });
            ui.weak("Each subscription is checked over the span it covered; see the README's \u{201c}Audit a capture\u{201d}.");
            if let Some(running) = &state.running {
                let (stage, done, total) = running.progress.get();
                let count = if total > 0 { format!(" ({done} of {total})") } else { String::new() };
                ui.label(format!("Auditing {stage}{count}…"));
            }
            match &state.result {
                Some(Ok(report)) => {
                    ui.label(RichText::new(render_summary(report)).strong());
                    ScrollArea::vertical().max_height(420.0).show(ui, |ui| {
                        for subscription in &report.subscriptions {
                            ui.label(RichText::new(render_subscription(subscription)).monospace());
                        }
                    });
                }
                Some(Err(message)) => {
                    ui.label(error_text(ui.visuals(), message));
                }
                None => {}
            }
        });
        self.audit.open = open;
        if start {
            self.start_audit();
        }
    }

    /// Reads the file and audits it on the runtime; the answer comes back to
    /// [`AuditWindow::poll`].
    fn start_audit(&mut self) {
        let Some(file) = self.audit.file.clone() else {
            self.audit.result =
                Some(Err("This capture was not read from a file: export it, then open the file.".into()));
            return;
        };
        let client = match RpcClient::new(RpcConfig::new(self.audit.rpc_url.trim())) {
            Ok(client) => client,
            Err(err) => {
                self.audit.result = Some(Err(err.to_string()));
                return;
            }
        };
        let progress = Arc::new(AuditProgress::default());
        let (sender, answer) = oneshot::channel();
        self.audit.running = Some(Running { progress: Arc::clone(&progress), answer });
        self.audit.result = None;
        let ctx = self.ctx.clone();
        let runtime = self.runtime.clone();
        self.runtime.spawn(async move {
            let read = runtime.spawn_blocking(move || {
                read_capture(&file, &Progress::default()).map_err(|err| format!("{}: {err}", file.display()))
            });
            let result = match read.await {
                Ok(Ok(capture)) => {
                    let chains: HashMap<String, RpcClient> = capture
                        .subscriptions
                        .iter()
                        .map(|sub| (sub.endpoint.clone(), client.clone()))
                        .collect();
                    Ok(audit(&capture, &chains, &progress).await)
                }
                Ok(Err(message)) => Err(message),
                Err(err) => Err(format!("the file could not be read: {err}")),
            };
            // The window may have closed; nobody is then waiting.
            sender.send(result).ok();
            ctx.request_repaint();
        });
    }
}
