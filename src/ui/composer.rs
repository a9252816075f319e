//! The composer: pick a subscription type (grouped by chain, with its stability), fill in the
//! form the catalogue describes, see the exact JSON that will be sent, and subscribe on a
//! connection. Below it, the one-off request box and its response.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use egui::{RichText, Ui};

use super::form::{form_ui, is_unplaced, method_note_ui};
use super::{error_text, truncate, warn_text};
use crate::backend::RequestKey;
use crate::capture::ConnId;
use crate::catalog::{
    self, AGAVE_MAX_REQUEST_BYTES, BuiltRequest, Chain, Draft, FieldError, MethodSpec, REQUEST_ID, Stability,
    agave_request_bytes, common_requests,
};
use crate::protocol::request::{RequestBody, RequestError, parse_request};
use crate::settings::SavedDraft;

/// A connection the composer can send on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnChoice {
    /// The connection.
    pub conn: ConnId,
    /// Its endpoint's label.
    pub label: String,
    /// Its state in one word ("open", "connecting"…).
    pub state: &'static str,
    /// The chain its endpoint serves, when known: only that chain's methods are offered.
    pub chain: Option<Chain>,
    /// Which chain of that kind (genesis hash, chain id), when known: "Also on" offers only
    /// connections of the same one.
    pub identity: Option<String>,
}

/// The answer to the last one-off request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponseState {
    /// Sent, not answered yet.
    Pending,
    /// The result, pretty-printed.
    Answered(String),
    /// The error, as text.
    Failed(String),
}

/// The last one-off request and its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseView {
    /// Its local id.
    pub request: RequestKey,
    /// The connection it was sent on (its answer is shown only beside that connection).
    pub conn: ConnId,
    /// The method sent.
    pub method: String,
    /// Its answer so far.
    pub state: ResponseState,
}

/// A draft and the request it built, rebuilt only when the draft changes.
#[derive(Default)]
struct BuildCache {
    draft: Option<Draft>,
    result: Option<Result<BuiltRequest, Vec<FieldError>>>,
}

impl BuildCache {
    fn get(&mut self, draft: &Draft) -> &Result<BuiltRequest, Vec<FieldError>> {
        if self.draft.as_ref() != Some(draft) || self.result.is_none() {
            self.draft = Some(draft.clone());
            self.result = Some(catalog::build(draft));
        }
        self.result.get_or_insert_with(|| catalog::build(draft))
    }
}

/// The composer's state.
#[derive(Default)]
pub struct ComposerState {
    /// The subscription form.
    pub draft: Draft,
    /// Fields the user has edited (their errors are shown as errors, not hints).
    pub touched: BTreeSet<String>,
    /// The connection to send on.
    pub target: Option<ConnId>,
    /// Further connections a subscription is also sent on (to compare endpoints).
    pub also: BTreeSet<ConnId>,
    /// The one-off request form.
    pub request: Draft,
    /// Fields of the request form the user has edited.
    pub request_touched: BTreeSet<String>,
    /// The last one-off request and its answer.
    pub response: Option<ResponseView>,
    /// The name typed for "Save draft".
    pub save_name: String,
    /// Whether the one-off box takes a raw JSON-RPC frame instead of the form.
    pub raw_mode: bool,
    /// The raw frame being typed.
    pub raw_frame: String,
    /// Set when an answer arrives, so the box scrolls it into view once.
    pub reveal_response: bool,
    /// Set when a subscription's form is loaded (Edit), so the form opens, scrolls into view
    /// and takes the keyboard once.
    pub reveal_form: bool,
    built: BuildCache,
    request_built: BuildCache,
}

impl ComposerState {
    /// A composer showing `draft` (or the catalogue's default method when it names no
    /// subscription) and `request`.
    pub fn new(draft: Option<Draft>, request: Option<Draft>) -> Self {
        let draft = draft
            .filter(|draft| draft.spec().is_some_and(|spec| !spec.is_one_off()))
            .or_else(|| Draft::for_method(catalog::DEFAULT_METHOD))
            .unwrap_or_default();
        let request = request
            .filter(|draft| draft.method == REQUEST_ID)
            .or_else(|| Draft::for_method(REQUEST_ID))
            .unwrap_or_default();
        Self { draft, request, ..Self::default() }
    }

    /// The request the subscription form builds now, or its errors.
    pub fn built(&mut self) -> &Result<BuiltRequest, Vec<FieldError>> {
        self.built.get(&self.draft)
    }
}

/// What the user asked the composer for.
#[derive(Clone, Debug, PartialEq)]
pub enum ComposerAction {
    /// Subscribe on every connection of `conns` with the request built from `draft` (several:
    /// a group whose endpoints are compared).
    Subscribe {
        /// The connections, the chosen one first.
        conns: Vec<ConnId>,
        /// The form it was built from (kept to restore and edit it).
        draft: Draft,
        /// The request.
        built: BuiltRequest,
    },
    /// Send a one-off request on `conn`.
    Request {
        /// The connection.
        conn: ConnId,
        /// The request.
        built: BuiltRequest,
    },
    /// Send a raw frame's method and params on `conn`: as a subscription when the method is a
    /// subscribe method, else as a one-off request; subscope gives it its own id, so the
    /// answer is matched to it.
    Raw {
        /// The connection.
        conn: ConnId,
        /// The method and params read from the frame.
        built: BuiltRequest,
        /// Whether it subscribes.
        subscribe: bool,
    },
    /// Save the form under a name.
    SaveDraft {
        /// The name.
        name: String,
        /// The form.
        draft: Draft,
    },
    /// Delete the saved draft at this index.
    DeleteSaved(usize),
}

/// Draws the subscription composer. `memory` keeps the last form per method id.
pub fn composer_ui(
    ui: &mut Ui,
    state: &mut ComposerState,
    memory: &mut BTreeMap<String, Draft>,
    saved: &[SavedDraft],
    connections: &[ConnChoice],
) -> Option<ComposerAction> {
    let mut action = None;
    target_ui(ui, state, connections);
    let chain =
        connections.iter().find(|choice| Some(choice.conn) == state.target).and_then(|choice| choice.chain);
    let picker = method_picker_ui(ui, state, memory, chain);
    if std::mem::take(&mut state.reveal_form) {
        picker.request_focus();
        picker.scroll_to_me(Some(egui::Align::TOP));
    }
    if let Some(saved_action) = saved_drafts_ui(ui, state, saved) {
        action = Some(saved_action);
    }
    let Some(spec) = state.draft.spec() else {
        ui.label(error_text(ui.visuals(), "Pick a subscription type."));
        return action;
    };
    method_note_ui(ui, spec);
    ui.add_space(4.0);
    let errors = match state.built() {
        Ok(_) => Vec::new(),
        Err(errors) => errors.clone(),
    };
    let changed = form_ui(ui, spec, &mut state.draft, &errors, &state.touched);
    state.touched.extend(changed.into_iter().map(str::to_owned));
    memory.insert(state.draft.method.clone(), state.draft.clone());
    if let Some(send) = send_ui(ui, state, spec) {
        action = Some(send);
    }
    action
}

fn target_ui(ui: &mut Ui, state: &mut ComposerState, connections: &[ConnChoice]) {
    if state.target.is_none_or(|target| connections.iter().all(|choice| choice.conn != target)) {
        state.target = connections.first().map(|choice| choice.conn);
    }
    let shown = connections.iter().find(|choice| Some(choice.conn) == state.target).map_or_else(
        || "(connect an endpoint first)".to_owned(),
        |choice| format!("{} ({})", choice.label, choice.state),
    );
    ui.horizontal(|ui| {
        let label = ui.label("Send on");
        egui::ComboBox::from_id_salt("target")
            .selected_text(shown)
            .width(ui.available_width() - 8.0)
            .show_ui(ui, |ui| {
                for choice in connections {
                    let text = format!("{} ({})", choice.label, choice.state);
                    ui.selectable_value(&mut state.target, Some(choice.conn), text);
                }
            })
            .response
            .labelled_by(label.id);
    });
    // Also on other connections of the same chain: one group, compared in the Compare tab.
    let target = connections.iter().find(|choice| Some(choice.conn) == state.target);
    let (chain, identity) = target.map_or((None, None), |choice| (choice.chain, choice.identity.as_ref()));
    let others: Vec<&ConnChoice> = connections
        .iter()
        .filter(|choice| Some(choice.conn) != state.target)
        .filter(|choice| chain.is_none() || choice.chain.is_none() || choice.chain == chain)
        .filter(|choice| {
            identity.is_none() || choice.identity.is_none() || choice.identity.as_ref() == identity
        })
        .collect();
    state.also.retain(|conn| others.iter().any(|choice| choice.conn == *conn));
    if !others.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.weak("Also on")
                .on_hover_text("Send the same subscription on these too, to compare the endpoints");
            for choice in others {
                let mut on = state.also.contains(&choice.conn);
                if ui.checkbox(&mut on, &choice.label).changed() {
                    if on {
                        state.also.insert(choice.conn);
                    } else {
                        state.also.remove(&choice.conn);
                    }
                }
            }
        });
    }
}

/// The label a method has in the picker: name, wire method, marks.
pub fn method_title(spec: &MethodSpec) -> String {
    let wire = spec
        .subscription_kind
        .map_or_else(|| spec.rpc_method.to_owned(), |kind| format!("eth_subscribe {kind}"));
    let mut title = format!("{} · {wire}", spec.label);
    if spec.stability != Stability::Stable {
        title.push_str(&format!(" · {}", spec.stability.label()));
    }
    if let Some(provider) = spec.provider {
        title.push_str(&format!(" · {provider}"));
    }
    title
}

fn method_picker_ui(
    ui: &mut Ui,
    state: &mut ComposerState,
    memory: &mut BTreeMap<String, Draft>,
    chain: Option<Chain>,
) -> egui::Response {
    let offered = |spec: &MethodSpec| chain.is_none() || spec.chain.is_none() || spec.chain == chain;
    let mut picked: Option<&'static MethodSpec> = None;
    // The endpoint serves another chain than the form's method: switch to that chain's form.
    if let Some(current) = state.draft.spec()
        && !offered(current)
        && let Some(chain) = chain
    {
        picked = catalog::methods_for(chain)
            .filter(|spec| !spec.is_one_off())
            .find(|spec| memory.contains_key(spec.id))
            .or_else(|| catalog::methods_for(chain).find(|spec| !spec.is_one_off()));
    }
    let current = state.draft.spec().map_or_else(|| "(none)".to_owned(), method_title);
    let chains: Vec<Chain> =
        Chain::ALL.into_iter().filter(|listed| chain.is_none_or(|only| only == *listed)).collect();
    let label = ui.label("Subscribe to");
    let response = egui::ComboBox::from_id_salt("method")
        .selected_text(current)
        .width(ui.available_width() - 8.0)
        .height(480.0)
        .show_ui(ui, |ui| {
            for chain in chains.iter().copied() {
                ui.label(RichText::new(chain.label()).strong());
                for spec in catalog::methods_for(chain).filter(|spec| !spec.is_one_off()) {
                    let selected = spec.id == state.draft.method;
                    let text = stability_text(ui, spec);
                    if ui.selectable_label(selected, text).on_hover_text(spec.note).clicked() {
                        picked = Some(spec);
                    }
                }
                ui.separator();
            }
        })
        .response
        .labelled_by(label.id);
    if let Some(spec) = picked
        && spec.id != state.draft.method
    {
        memory.insert(state.draft.method.clone(), state.draft.clone());
        state.draft = memory.get(spec.id).cloned().unwrap_or_else(|| Draft::new(spec));
        state.draft.repair();
        state.touched.clear();
    }
    response
}

fn stability_text(ui: &Ui, spec: &MethodSpec) -> RichText {
    let title = method_title(spec);
    match spec.stability {
        Stability::Stable => RichText::new(title),
        Stability::Unstable => warn_text(ui.visuals(), title),
        Stability::Legacy => RichText::new(title).weak(),
    }
}

fn saved_drafts_ui(ui: &mut Ui, state: &mut ComposerState, saved: &[SavedDraft]) -> Option<ComposerAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        ui.menu_button("Saved drafts", |ui| {
            if saved.is_empty() {
                ui.weak("None yet: fill in a form and use Save.");
            }
            for (index, entry) in saved.iter().enumerate() {
                ui.horizontal(|ui| {
                    if ui.button(&entry.name).clicked() {
                        state.draft = entry.draft.clone();
                        state.draft.repair();
                        state.touched.clear();
                        ui.close();
                    }
                    if super::remove_button(ui, &entry.name, "from the saved drafts").clicked() {
                        action = Some(ComposerAction::DeleteSaved(index));
                    }
                });
            }
        });
        let name_width = (ui.available_width() - 64.0).max(60.0);
        ui.add(
            egui::TextEdit::singleline(&mut state.save_name)
                .hint_text("draft name")
                .desired_width(name_width),
        );
        let name = state.save_name.trim().to_owned();
        if ui.add_enabled(!name.is_empty(), egui::Button::new("Save")).clicked() {
            action = Some(ComposerAction::SaveDraft { name, draft: state.draft.clone() });
            state.save_name.clear();
        }
    });
    action
}

fn send_ui(ui: &mut Ui, state: &mut ComposerState, spec: &MethodSpec) -> Option<ComposerAction> {
    let target = state.target;
    let draft = state.draft.clone();
    let result = state.built().clone();
    ui.label(RichText::new("Request preview").strong());
    match &result {
        Ok(built) => {
            preview_ui(ui, &built.to_json(1));
            if spec.is_agave() {
                let bytes = agave_request_bytes(&built.method, built.params.as_ref());
                ui.weak(format!("{bytes} of {AGAVE_MAX_REQUEST_BYTES} bytes Agave accepts"));
            }
        }
        Err(errors) => {
            ui.weak("Nothing to send until the form is valid.");
            for error in errors.iter().filter(|error| is_unplaced(spec, error)) {
                ui.label(error_text(ui.visuals(), &error.message));
            }
        }
    }
    let mut action = None;
    ui.horizontal(|ui| {
        let ready = result.is_ok() && target.is_some();
        let response = ui.add_enabled(ready, egui::Button::new(RichText::new("Subscribe").strong()));
        if target.is_none() {
            response.on_disabled_hover_text("Connect an endpoint first");
        } else if let (true, Ok(built), Some(conn)) = (response.clicked(), &result, target) {
            let mut conns = vec![conn];
            conns.extend(state.also.iter().copied().filter(|other| *other != conn));
            action = Some(ComposerAction::Subscribe { conns, draft, built: built.clone() });
        }
    });
    action
}

fn preview_ui(ui: &mut Ui, body: &str) {
    // Pretty-printed once per body, not every frame (the body changes only with the form).
    let id = ui.make_persistent_id("preview text");
    let cached = ui.data(|data| data.get_temp::<(Arc<str>, Arc<str>)>(id));
    let pretty = match cached {
        Some((cached_body, pretty)) if *cached_body == *body => pretty,
        _ => {
            let pretty: Arc<str> = serde_json::from_str::<serde_json::Value>(body)
                .ok()
                .and_then(|value| serde_json::to_string_pretty(&value).ok())
                .unwrap_or_else(|| body.to_owned())
                .into();
            ui.data_mut(|data| data.insert_temp(id, (Arc::<str>::from(body), pretty.clone())));
            pretty
        }
    };
    egui::Frame::new().fill(ui.visuals().code_bg_color).inner_margin(4.0).corner_radius(2.0).show(ui, |ui| {
        ui.set_width(ui.available_width());
        // Lines are kept whole (a long string scrolls sideways, it is never split).
        egui::ScrollArea::both().id_salt("preview").max_height(160.0).show(ui, |ui| {
            ui.add(egui::Label::new(RichText::new(truncate(&pretty, 8_000)).monospace()).extend());
        });
    });
}

/// Draws the one-off request box: a form (method, params, suggestions) or a raw JSON-RPC
/// frame, the send button, and the answer to the last request sent on the chosen connection.
pub fn request_ui(
    ui: &mut Ui,
    state: &mut ComposerState,
    connections: &[ConnChoice],
) -> Option<ComposerAction> {
    let spec = catalog::find(REQUEST_ID)?;
    if state.request.method != REQUEST_ID {
        state.request = Draft::new(spec);
    }
    let target = state.target.filter(|target| connections.iter().any(|choice| choice.conn == *target));
    let chain = connections.iter().find(|choice| Some(choice.conn) == target).and_then(|choice| choice.chain);
    ui.horizontal(|ui| {
        ui.selectable_value(&mut state.raw_mode, false, "Form");
        ui.selectable_value(&mut state.raw_mode, true, "Raw JSON")
            .on_hover_text("Any JSON-RPC request or subscription, also methods outside the catalogue");
        if !state.raw_mode {
            common_requests_ui(ui, state, chain);
        }
    });
    let built = if state.raw_mode {
        raw_frame_ui(ui, state)
    } else {
        let errors = match state.request_built.get(&state.request) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.clone(),
        };
        let changed = form_ui(ui, spec, &mut state.request, &errors, &state.request_touched);
        state.request_touched.extend(changed.into_iter().map(str::to_owned));
        state.request_built.get(&state.request).clone().map_err(|_| String::new())
    };
    let mut action = None;
    ui.horizontal(|ui| {
        let ready = built.is_ok() && target.is_some();
        let subscribe =
            state.raw_mode && built.as_ref().is_ok_and(|built| catalog::is_subscribe_method(&built.method));
        let text = if subscribe { "Send (subscribes)" } else { "Send request" };
        let response = ui.add_enabled(ready, egui::Button::new(text));
        if let (true, Ok(built), Some(conn)) = (response.clicked(), &built, target) {
            action = Some(if state.raw_mode {
                ComposerAction::Raw { conn, built: built.clone(), subscribe }
            } else {
                ComposerAction::Request { conn, built: built.clone() }
            });
        }
        match connections.iter().find(|choice| Some(choice.conn) == target) {
            Some(choice) => ui.weak(format!("on {}", choice.label)),
            None => ui.weak("connect an endpoint first"),
        };
    });
    // Only the answer to a request on the chosen connection: another endpoint's error is not
    // this one's.
    if let Some(response) = state.response.as_ref().filter(|response| Some(response.conn) == target) {
        let shown = response_ui(ui, response);
        if std::mem::take(&mut state.reveal_response) {
            shown.scroll_to_me(Some(egui::Align::Center));
        }
    }
    action
}

fn common_requests_ui(ui: &mut Ui, state: &mut ComposerState, chain: Option<Chain>) {
    ui.menu_button("Common requests", |ui| {
        for chain in Chain::ALL.into_iter().filter(|listed| chain.is_none_or(|only| only == *listed)) {
            ui.label(RichText::new(chain.label()).strong());
            for common in common_requests(chain) {
                let text = if common.params.is_empty() {
                    common.method.to_owned()
                } else {
                    format!("{} {}", common.method, common.params)
                };
                if ui.button(text).on_hover_text(common.help).clicked() {
                    state.request.set_text("method", common.method);
                    state.request.set_text("params", common.params);
                    ui.close();
                }
            }
        }
    });
}

/// The raw frame editor; returns the method and params it holds, or why it cannot be sent
/// (shown under it).
fn raw_frame_ui(ui: &mut Ui, state: &mut ComposerState) -> Result<BuiltRequest, String> {
    let label = ui.label("Raw frame");
    ui.add(
        egui::TextEdit::multiline(&mut state.raw_frame)
            .code_editor()
            .desired_rows(4)
            .desired_width(ui.available_width())
            .hint_text(r#"{"jsonrpc":"2.0","id":1,"method":"getHealth"}"#),
    )
    .labelled_by(label.id);
    let parsed = parse_raw_frame(&state.raw_frame);
    match &parsed {
        Err(err) if !state.raw_frame.trim().is_empty() => {
            ui.add(egui::Label::new(error_text(ui.visuals(), err)).wrap());
        }
        Ok(_) => {
            ui.weak("subscope sends it with an id of its own, so the answer is matched to it.");
        }
        Err(_) => {}
    }
    parsed
}

/// Reads a raw JSON-RPC frame with the one request reader ([`parse_request`]), in the
/// composer's words. Its `id` and `jsonrpc` are replaced when it is sent.
pub fn parse_raw_frame(text: &str) -> Result<BuiltRequest, String> {
    parse_request(text).map(|RequestBody { method, params }| BuiltRequest { method, params }).map_err(|err| {
        match err {
            RequestError::NotJson(err) => {
                format!("Not valid JSON: {err} (line {}, column {}).", err.line(), err.column())
            }
            RequestError::NotObject("an array") => {
                "A batch (array) cannot be matched to one answer: send one request object at a time."
                    .to_owned()
            }
            RequestError::NotObject(_) => "A JSON-RPC request is an object with a \"method\".".to_owned(),
            RequestError::NoMethod => "A JSON-RPC request needs a non-empty \"method\".".to_owned(),
            RequestError::MethodNotString(_) => "\"method\" must be a non-empty string.".to_owned(),
            RequestError::ParamsNotStructured(_) => "\"params\" must be an array or an object.".to_owned(),
        }
    })
}

fn response_ui(ui: &mut Ui, response: &ResponseView) -> egui::Response {
    let title = ui.label(RichText::new(format!("Response to {}", response.method)).strong());
    match &response.state {
        ResponseState::Pending => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak("waiting for the answer…");
            });
        }
        ResponseState::Answered(text) => {
            preview_ui(ui, text);
            if ui.small_button("Copy response").clicked() {
                ui.ctx().copy_text(text.clone());
            }
        }
        ResponseState::Failed(err) => {
            ui.add(egui::Label::new(error_text(ui.visuals(), err)).wrap());
        }
    }
    title
}
