//! The endpoints panel: presets, URL, HTTP RPC URL, API key (masked), connect/disconnect and
//! a state badge per connection. Every URL drawn here is redacted; a URL field shows its clear
//! text only while it is being edited.

use egui::{RichText, TextEdit, Ui};

use super::{error_text, ok_color, warn_text};
use crate::backend::ConnState;
use crate::catalog::{Chain, presets};
use crate::redact::{extract_key, has_secret, key_travels_in_clear, lost_its_key, redact_header};
use crate::session::{
    ConnectBlocker, Endpoint, KEY_REMOVED, KeySource, KeychainLookup, Message, SessionError, UrlField,
    header_problem, rpc_url_problem,
};

/// What the user asked the endpoints panel for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointAction {
    /// Connect the endpoint at this index.
    Connect(usize),
    /// Disconnect it.
    Disconnect(usize),
    /// Remove it from the list (only offered while disconnected).
    Remove(usize),
    /// Add a new endpoint (the offline demo preset, to be edited).
    Add,
    /// Store its key in the OS keychain.
    RememberKey(usize),
    /// Delete its key from the OS keychain.
    ForgetKey(usize),
    /// Turn the key pasted into one of its URLs into `{api_key}` and move the key to the key
    /// field.
    MoveKeyToKeyField(usize, UrlField),
    /// Ask the keychain again (after a dismissed unlock prompt).
    RetryKeychain(usize),
    /// Stop waiting out a reconnect's backoff and try at once.
    RetryNow(usize),
}

/// Draws the endpoint list; `now_ms` is for reconnect countdowns.
pub fn endpoints_ui(ui: &mut Ui, endpoints: &mut [Endpoint], now_ms: u64) -> Vec<EndpointAction> {
    let mut actions = Vec::new();
    for (index, endpoint) in endpoints.iter_mut().enumerate() {
        ui.push_id(endpoint.id, |ui| {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                if let Some(action) = endpoint_ui(ui, index, endpoint, now_ms) {
                    actions.push(action);
                }
            });
        });
    }
    if ui.button("+ Add endpoint").on_hover_text("Add another connection").clicked() {
        actions.push(EndpointAction::Add);
    }
    actions
}

fn endpoint_ui(ui: &mut Ui, index: usize, endpoint: &mut Endpoint, now_ms: u64) -> Option<EndpointAction> {
    let mut action = None;
    let editable = !endpoint.is_live();
    ui.horizontal_wrapped(|ui| {
        ui.add(egui::Label::new(RichText::new(&endpoint.label).strong()).truncate());
        badge_ui(ui, endpoint, now_ms);
        let reconnecting = matches!(endpoint.state, Some(ConnState::Reconnecting { .. }));
        if reconnecting
            && endpoint.conn.is_some()
            && ui.small_button("Retry now").on_hover_text("Try to reconnect now, without waiting").clicked()
        {
            action = Some(EndpointAction::RetryNow(index));
        }
    });
    if editable {
        name_ui(ui, endpoint);
        preset_ui(ui, endpoint);
        chain_ui(ui, endpoint);
        if let Some(url_action) = url_ui(ui, index, endpoint) {
            action = Some(url_action);
        }
        if let Some(rpc_action) = rpc_url_ui(ui, index, endpoint) {
            action = Some(rpc_action);
        }
        headers_ui(ui, endpoint);
        if endpoint.needs_key()
            && let Some(key_action) = api_key_ui(ui, index, endpoint)
        {
            action = Some(key_action);
        }
    } else {
        // Connected: what it is connected to, in one line; the form returns on Disconnect.
        let mut summary = endpoint.display_url();
        if let Some(chain) = endpoint.chain {
            summary.push_str(&format!(" · {chain}"));
        }
        if !endpoint.headers.is_empty() {
            summary.push_str(&format!(" · {} headers", endpoint.headers.len()));
        }
        if !endpoint.rpc_url.trim().is_empty() {
            summary.push_str(&format!(" · RPC {}", crate::redact::redact_url(endpoint.rpc_url.trim())));
        }
        ui.add(egui::Label::new(RichText::new(summary).monospace().weak()).truncate());
    }
    if key_travels_in_clear(&endpoint.url) {
        ui.label(warn_text(
            ui.visuals(),
            "ws:// sends the key unencrypted to a host that is not this machine: use wss://.",
        ));
    }
    // A bad RPC URL is said under its field (while the form is shown).
    let said_at_field =
        editable && matches!(endpoint.error, Some(SessionError::Blocked(ConnectBlocker::RpcUrl(_))));
    if let Some(error) = endpoint.error.as_ref().filter(|_| !said_at_field) {
        // Wrapped: one long error (a DNS failure, an HTTP body) must not widen the panel.
        ui.add(egui::Label::new(error_text(ui.visuals(), error.to_string())).wrap());
    }
    if let Some(Some(reason)) = match &endpoint.state {
        Some(ConnState::Closed { reason }) => Some(reason.as_ref()),
        _ => None,
    } && endpoint.error.is_none()
    {
        ui.add(egui::Label::new(error_text(ui.visuals(), reason.with_hint())).wrap());
    }
    if let Some(gap) = &endpoint.gap {
        let text = format!(
            "No data for {:.1} s while reconnecting ({} to {} UTC)",
            gap.restored_at_ms.saturating_sub(gap.lost_at_ms) as f64 / 1000.0,
            super::time_of_day(gap.lost_at_ms),
            super::time_of_day(gap.restored_at_ms),
        );
        ui.label(warn_text(ui.visuals(), text));
    }
    ui.horizontal(|ui| {
        if endpoint.is_live() {
            if ui.button("Disconnect").clicked() {
                action = Some(EndpointAction::Disconnect(index));
            }
        } else {
            let ready = !endpoint.url.trim().is_empty() && rpc_url_problem(&endpoint.rpc_url).is_none();
            if ui
                .add_enabled(ready, egui::Button::new("Connect"))
                .on_disabled_hover_text("Enter a URL, and an HTTP RPC URL that can be used (or none)")
                .clicked()
            {
                action = Some(EndpointAction::Connect(index));
            }
            if ui.button("Remove").on_hover_text("Remove this endpoint from the list").clicked() {
                action = Some(EndpointAction::Remove(index));
            }
        }
    });
    action
}

fn badge_ui(ui: &mut Ui, endpoint: &Endpoint, now_ms: u64) {
    let visuals = ui.visuals().clone();
    let (text, hover) = match (&endpoint.conn, &endpoint.state) {
        (None, _) => (RichText::new("• not connected").weak(), None),
        (Some(_), None | Some(ConnState::Connecting { attempt: 0 })) => {
            (warn_text(&visuals, "• connecting…"), None)
        }
        (Some(_), Some(ConnState::Connecting { attempt })) => {
            (warn_text(&visuals, format!("• connecting (retry {attempt})…")), None)
        }
        (Some(_), Some(ConnState::Open)) => (RichText::new("• open").color(ok_color(&visuals)), None),
        (Some(_), Some(ConnState::Reconnecting { retry_at_ms, attempt, reason })) => {
            let secs = retry_at_ms.saturating_sub(now_ms).div_ceil(1000);
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(250));
            (
                warn_text(&visuals, format!("• reconnecting in {secs} s (retry {attempt})")),
                Some(format!("Connection lost: {reason}")),
            )
        }
        (Some(_), Some(ConnState::Closed { reason: None })) => (RichText::new("• closed").weak(), None),
        (Some(_), Some(ConnState::Closed { reason: Some(reason) })) => {
            // The reason is shown in full, wrapped, below: the badge stays short.
            (error_text(&visuals, "• closed: failed"), Some(reason.with_hint()))
        }
    };
    let response = ui.add(egui::Label::new(text).truncate());
    if let Some(hover) = hover {
        response.on_hover_text(hover);
    }
}

fn name_ui(ui: &mut Ui, endpoint: &mut Endpoint) {
    ui.horizontal(|ui| {
        let label = ui.label("Name");
        ui.add(
            TextEdit::singleline(&mut endpoint.label)
                .desired_width(ui.available_width())
                .hint_text("a name for lists and exports"),
        )
        .labelled_by(label.id);
    });
}

fn chain_ui(ui: &mut Ui, endpoint: &mut Endpoint) {
    ui.horizontal(|ui| {
        let label = ui.label("Chain");
        let shown = endpoint.chain.map_or("any (detect from the first answer)", Chain::label);
        egui::ComboBox::from_id_salt("chain")
            .selected_text(shown)
            .width(ui.available_width() - 8.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut endpoint.chain, None, "any (detect from the first answer)");
                for chain in Chain::ALL {
                    ui.selectable_value(&mut endpoint.chain, Some(chain), chain.label());
                }
            })
            .response
            .on_hover_text("Which methods the composer offers for this endpoint")
            .labelled_by(label.id);
    });
}

fn headers_ui(ui: &mut Ui, endpoint: &mut Endpoint) {
    let title = if endpoint.headers.is_empty() {
        "Headers".to_owned()
    } else {
        format!("Headers ({})", endpoint.headers.len())
    };
    egui::CollapsingHeader::new(title).id_salt("headers").show(ui, |ui| {
        ui.weak("Sent with the WebSocket handshake. Write {api_key} in a value to send the key there.");
        let mut remove = None;
        for (row, (name, value)) in endpoint.headers.iter_mut().enumerate() {
            ui.push_id(row, |ui| {
                ui.horizontal_wrapped(|ui| {
                    let width = ((ui.available_width() - 150.0) / 2.0).max(80.0);
                    let label = ui.weak("Header name");
                    ui.add(TextEdit::singleline(name).hint_text("X-Example").desired_width(width))
                        .labelled_by(label.id);
                    let label = ui.weak("Header value");
                    // A credential is masked unless it is being edited.
                    let id = ui.make_persistent_id("value");
                    if ui.memory(|memory| memory.has_focus(id)) {
                        ui.add(TextEdit::singleline(value).id(id).desired_width(width)).labelled_by(label.id);
                    } else {
                        let mut shown = redact_header(name, value);
                        ui.add(TextEdit::singleline(&mut shown).id(id).desired_width(width))
                            .labelled_by(label.id);
                    }
                    let header = if name.trim().is_empty() {
                        format!("header {}", row + 1)
                    } else {
                        format!("header {name}")
                    };
                    if super::remove_button(ui, &header, "from the handshake").clicked() {
                        remove = Some(row);
                    }
                });
                if let Some(problem) = header_problem(name, value) {
                    ui.add(egui::Label::new(error_text(ui.visuals(), problem.to_string())).wrap());
                }
            });
        }
        if let Some(row) = remove {
            endpoint.headers.remove(row);
        }
        if ui.small_button("+ Add header").clicked() {
            endpoint.headers.push((String::new(), String::new()));
        }
    });
}

fn preset_ui(ui: &mut Ui, endpoint: &mut Endpoint) {
    let selected = if endpoint.preset.is_empty() { "Custom URL" } else { endpoint.preset.as_str() };
    let label = ui.label("Preset");
    let mut picked = None;
    egui::ComboBox::from_id_salt("preset")
        .selected_text(selected)
        .width(ui.available_width() - 8.0)
        .show_ui(ui, |ui| {
            for preset in presets() {
                let text = if preset.needs_key {
                    format!("{} (API key)", preset.name)
                } else {
                    preset.name.to_owned()
                };
                if ui.selectable_label(preset.name == selected, text).clicked() {
                    picked = Some(preset);
                }
            }
        })
        .response
        .labelled_by(label.id);
    if let Some(preset) = picked {
        let was_default_label = endpoint.label == endpoint.preset || endpoint.label.is_empty();
        endpoint.preset = if preset.is_custom() { String::new() } else { preset.name.to_owned() };
        if !preset.is_custom() {
            endpoint.url = preset.url_template.to_owned();
        }
        if was_default_label {
            endpoint.label = preset.name.to_owned();
        }
        endpoint.chain = preset.chain;
        endpoint.error = None;
    }
}

fn url_ui(ui: &mut Ui, index: usize, endpoint: &mut Endpoint) -> Option<EndpointAction> {
    let field = MaskedUrl {
        label: "URL",
        id_salt: "url",
        hint: "wss://…  (`{api_key}` marks where the key goes, or `demo`)",
    };
    let edit = masked_url_ui(ui, &field, &mut endpoint.url);
    if edit.changed {
        endpoint.preset.clear();
        endpoint.error = None;
    }
    if lost_its_key(&endpoint.url) {
        ui.label(warn_text(ui.visuals(), KEY_REMOVED));
    }
    edit.move_key.then_some(EndpointAction::MoveKeyToKeyField(index, UrlField::WebSocket))
}

/// The HTTP JSON-RPC URL missed notifications are recovered over: empty, the one derived from
/// the URL is used (its hint shows it, redacted).
fn rpc_url_ui(ui: &mut Ui, index: usize, endpoint: &mut Endpoint) -> Option<EndpointAction> {
    let derived = endpoint.derived_rpc_url();
    let hint = match &derived {
        Some(url) => format!("derived: {url}"),
        None => "https://…  (none derived from the URL: set one to recover missed events)".to_owned(),
    };
    let field = MaskedUrl { label: "HTTP RPC URL", id_salt: "rpc_url", hint: &hint };
    let edit = masked_url_ui(ui, &field, &mut endpoint.rpc_url);
    if edit.changed {
        endpoint.error = None;
    }
    if let Some(problem) = rpc_url_problem(&endpoint.rpc_url) {
        ui.add(egui::Label::new(error_text(ui.visuals(), problem.to_string())).wrap());
    }
    edit.move_key.then_some(EndpointAction::MoveKeyToKeyField(index, UrlField::Rpc))
}

/// A URL field that may hold a key.
struct MaskedUrl<'a> {
    /// The label beside it (and its accessible name).
    label: &'a str,
    /// Its id within the endpoint.
    id_salt: &'a str,
    /// What an empty field shows.
    hint: &'a str,
}

/// What the user did with a [`MaskedUrl`].
struct MaskedUrlEdit {
    /// The URL was edited.
    changed: bool,
    /// The key pasted into it is to be moved to the API key field.
    move_key: bool,
}

/// Draws a URL field that shows its clear text only while it is being edited (redacted
/// otherwise), warns when a key was pasted into it and offers to move that key to the API key
/// field.
fn masked_url_ui(ui: &mut Ui, field: &MaskedUrl<'_>, url: &mut String) -> MaskedUrlEdit {
    let id = ui.make_persistent_id(field.id_salt);
    let editing = ui.memory(|memory| memory.has_focus(id));
    let response = ui
        .horizontal(|ui| {
            let label = ui.label(field.label);
            let width = ui.available_width();
            if editing {
                ui.add(TextEdit::singleline(url).id(id).desired_width(width))
            } else {
                // Not focused: the redacted URL; a click focuses the field and shows the clear
                // text.
                let mut shown = crate::redact::redact_url(url);
                let response = ui
                    .add(TextEdit::singleline(&mut shown).id(id).desired_width(width).hint_text(field.hint));
                // A long hint is cut at the field's end: the whole of it on hover.
                if url.is_empty() { response.on_hover_text(field.hint) } else { response }
            }
            .labelled_by(label.id)
        })
        .inner;
    let mut move_key = false;
    if has_secret(url) && !lost_its_key(url) {
        ui.label(warn_text(
            ui.visuals(),
            "This URL holds a key in clear. It is masked wherever it is shown and removed when \
             saved; move it to the API key field to keep it (in the OS keychain).",
        ));
        move_key = extract_key(url).is_some()
            && ui
                .button("Move the key to the API key field")
                .on_hover_text("Put {api_key} where the key is, and the key in the API key field")
                .clicked();
    }
    MaskedUrlEdit { changed: response.changed(), move_key }
}

fn api_key_ui(ui: &mut Ui, index: usize, endpoint: &mut Endpoint) -> Option<EndpointAction> {
    let mut action = None;
    let label = ui.label("API key");
    ui.horizontal(|ui| {
        let width = (ui.available_width() - 64.0).max(80.0);
        let response = ui
            .add(
                TextEdit::singleline(&mut endpoint.api_key)
                    .password(!endpoint.reveal_key)
                    .desired_width(width)
                    .hint_text("paste the key (kept in memory)"),
            )
            .labelled_by(label.id);
        if response.changed() {
            endpoint.key_source = KeySource::Typed;
            endpoint.key_note = None;
            endpoint.error = None;
        }
        let reveal = if endpoint.reveal_key { "Hide" } else { "Show" };
        ui.toggle_value(&mut endpoint.reveal_key, reveal).on_hover_text("Show or hide the key");
    });
    ui.horizontal_wrapped(|ui| {
        let source = match (&endpoint.keychain, endpoint.key_source) {
            (KeychainLookup::Asking, _) => "checking the OS keychain…",
            (_, KeySource::None) => "no key",
            (_, KeySource::Typed) => "typed (not saved)",
            (_, KeySource::Keychain) => "from the OS keychain (this endpoint's entry)",
            (_, KeySource::Env) => "from SUBSCOPE_API_KEY (this endpoint has no key of its own)",
        };
        ui.weak(source);
        if matches!(endpoint.keychain, KeychainLookup::Locked(_))
            && ui.small_button("Retry keychain").on_hover_text("Ask the OS keychain again").clicked()
        {
            action = Some(EndpointAction::RetryKeychain(index));
        }
        let has_key = !endpoint.api_key.trim().is_empty();
        if has_key
            && endpoint.key_source == KeySource::Typed
            && ui.small_button("Remember in keychain").clicked()
        {
            action = Some(EndpointAction::RememberKey(index));
        }
        if endpoint.key_source == KeySource::Keychain && ui.small_button("Forget").clicked() {
            action = Some(EndpointAction::ForgetKey(index));
        }
    });
    match &endpoint.key_note {
        Some(Message::News(note)) => {
            ui.weak(note);
        }
        Some(Message::Failure(err)) => {
            ui.label(error_text(ui.visuals(), err));
        }
        None => {}
    }
    action
}
