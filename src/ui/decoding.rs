//! The Decoding panel: the ABI files and tokens the user added (they win over the built-in
//! events and tokens), each with what it brought or why it cannot be used, and the forms that
//! add them. A bad entry is refused at its form with the reason; what was typed stays.

use std::path::PathBuf;

use egui::{Key, RichText, Ui};

use super::{error_text, ok_color, warn_text};
use crate::decode::shorten_id;
use crate::decode::{AbiCounts, AbiError, AbiSource, DecodeSources, TokenSource};

/// What the forms hold between frames.
#[derive(Clone, Debug, Default)]
pub struct DecodingForm {
    /// The ABI file's path, as typed or chosen.
    pub abi_path: String,
    /// The contract the ABI is bound to (optional).
    pub abi_address: String,
    /// Why the last ABI could not be added.
    pub abi_error: Option<String>,
    /// The token's address.
    pub token_address: String,
    /// The token's symbol.
    pub token_symbol: String,
    /// The token's decimals.
    pub token_decimals: String,
    /// Why the last token could not be added.
    pub token_error: Option<String>,
}

impl DecodingForm {
    /// Empties the ABI form after its ABI was added.
    pub fn abi_added(&mut self) {
        self.abi_path.clear();
        self.abi_address.clear();
        self.abi_error = None;
    }
}

/// What the panel shows: the sources and how each fared when the decoder was built.
pub struct DecodingView<'a> {
    /// The user's ABIs and tokens.
    pub sources: &'a DecodeSources,
    /// Per ABI, in order: what it declared or why it was left out.
    pub abis: &'a [Result<AbiCounts, AbiError>],
    /// Per token, in order: whether it is used, or why not.
    pub tokens: &'a [Result<(), String>],
}

/// What the user asked the panel for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodingAction {
    /// Add this ABI (the app reads it, and refuses it at the form when it cannot be used).
    AddAbi(AbiSource),
    /// Choose the ABI file with the system's file dialog.
    BrowseAbi,
    /// Take the ABI at this index off the list.
    RemoveAbi(usize),
    /// Read every ABI file again (after a rebuild of the contracts).
    Reload,
    /// Add this token (checked).
    AddToken(TokenSource),
    /// Take the token at this index off the list.
    RemoveToken(usize),
}

/// The section's title: `Decoding (2 ABIs, 1 token)`.
pub fn decoding_title(sources: &DecodeSources) -> String {
    let plural = |count: usize, one: &str| format!("{count} {one}{}", if count == 1 { "" } else { "s" });
    match (sources.abis.len(), sources.tokens.len()) {
        (0, 0) => "Decoding".to_owned(),
        (abis, tokens) => format!("Decoding ({}, {})", plural(abis, "ABI"), plural(tokens, "token")),
    }
}

/// Draws the panel.
pub fn decoding_ui(ui: &mut Ui, form: &mut DecodingForm, view: &DecodingView<'_>) -> Option<DecodingAction> {
    let mut action = abis_ui(ui, form, view);
    ui.add_space(6.0);
    action = action.or(tokens_ui(ui, form, view));
    action
}

fn abis_ui(ui: &mut Ui, form: &mut DecodingForm, view: &DecodingView<'_>) -> Option<DecodingAction> {
    let mut action = None;
    ui.label(RichText::new("ABI files").strong())
        .on_hover_text("Events and calls of these contracts are decoded; they win over the built-in ones");
    if view.sources.abis.is_empty() {
        ui.weak("None yet. Common ERC-20/721/1155, WETH and Uniswap events are built in.");
    }
    for (index, abi) in view.sources.abis.iter().enumerate() {
        ui.horizontal_wrapped(|ui| {
            let label = abi.label();
            if super::remove_button(ui, &label, "from decoding").clicked() {
                action = Some(DecodingAction::RemoveAbi(index));
            }
            ui.label(&label).on_hover_text(abi.path.display().to_string());
            match view.abis.get(index) {
                Some(Ok(counts)) => {
                    let text = format!("{} events, {} functions", counts.events, counts.functions);
                    ui.label(RichText::new(text).color(ok_color(ui.visuals())));
                }
                Some(Err(err)) => {
                    ui.label(error_text(ui.visuals(), &err.message));
                }
                None => {}
            }
        });
    }
    if view.abis.iter().any(Result::is_err) {
        ui.label(warn_text(
            ui.visuals(),
            "Files with an error are kept and left out until they can be read.",
        ));
    }
    egui::Grid::new("abi_form").num_columns(2).show(ui, |ui| {
        let label = ui.label("ABI file");
        let path = egui::TextEdit::singleline(&mut form.abi_path)
            .hint_text("out/Token.sol/Token.json")
            .desired_width(f32::INFINITY);
        let path = ui.add(path).labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Contract");
        let address = egui::TextEdit::singleline(&mut form.abi_address)
            .hint_text("0x… (optional: only this contract)")
            .desired_width(f32::INFINITY);
        let address = ui.add(address).labelled_by(label.id);
        ui.end_row();
        let entered =
            (path.lost_focus() || address.lost_focus()) && ui.input(|input| input.key_pressed(Key::Enter));
        if entered {
            action = action.take().or(add_abi(form));
        }
    });
    ui.horizontal(|ui| {
        let ready = !form.abi_path.trim().is_empty();
        if ui.add_enabled(ready, egui::Button::new("Add ABI")).clicked() {
            action = add_abi(form);
        }
        if ui.button("Browse…").on_hover_text("Choose the ABI file with the system's file dialog").clicked()
        {
            action = Some(DecodingAction::BrowseAbi);
        }
        if !view.sources.abis.is_empty()
            && ui.button("Reload").on_hover_text("Read every ABI file again (after a rebuild)").clicked()
        {
            action = Some(DecodingAction::Reload);
        }
    });
    if let Some(err) = &form.abi_error {
        ui.label(error_text(ui.visuals(), err));
    }
    action
}

/// The ABI form as an action; the app reads the file.
fn add_abi(form: &mut DecodingForm) -> Option<DecodingAction> {
    let path = form.abi_path.trim();
    if path.is_empty() {
        return None;
    }
    let address = form.abi_address.trim();
    Some(DecodingAction::AddAbi(AbiSource {
        path: PathBuf::from(path),
        address: (!address.is_empty()).then(|| address.to_owned()),
    }))
}

fn tokens_ui(ui: &mut Ui, form: &mut DecodingForm, view: &DecodingView<'_>) -> Option<DecodingAction> {
    let mut action = None;
    ui.label(RichText::new("Tokens").strong())
        .on_hover_text("Amounts of these tokens are shown in their units; others stay raw integers");
    for (index, token) in view.sources.tokens.iter().enumerate() {
        ui.horizontal(|ui| {
            let name = format!("{} {}", token.symbol, shorten_id(&token.address, 4));
            if super::remove_button(ui, &name, "from decoding").clicked() {
                action = Some(DecodingAction::RemoveToken(index));
            }
            ui.label(&name).on_hover_text(&token.address);
            ui.weak(format!("{} decimals", token.decimals));
            if let Some(Err(err)) = view.tokens.get(index) {
                ui.label(error_text(ui.visuals(), err));
            }
        });
    }
    let builtin = crate::decode::builtin_token_count();
    ui.weak(format!("{builtin} major tokens are built in (USDC, USDT, WETH, DAI…)."));
    egui::Grid::new("token_form").num_columns(2).show(ui, |ui| {
        let label = ui.label("Token");
        let field = egui::TextEdit::singleline(&mut form.token_address)
            .hint_text("0x… contract")
            .desired_width(f32::INFINITY);
        ui.add(field).labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Symbol");
        ui.horizontal(|ui| {
            let symbol =
                egui::TextEdit::singleline(&mut form.token_symbol).hint_text("USDC").desired_width(70.0);
            ui.add(symbol).labelled_by(label.id);
            let label = ui.label("Decimals");
            let decimals =
                egui::TextEdit::singleline(&mut form.token_decimals).hint_text("6").desired_width(40.0);
            ui.add(decimals).labelled_by(label.id);
        });
        ui.end_row();
    });
    let ready = [&form.token_address, &form.token_symbol, &form.token_decimals]
        .iter()
        .all(|field| !field.trim().is_empty());
    if ui.add_enabled(ready, egui::Button::new("Add token")).clicked() {
        match TokenSource::new(&form.token_address, &form.token_symbol, &form.token_decimals) {
            Ok(token) => {
                form.token_address.clear();
                form.token_symbol.clear();
                form.token_decimals.clear();
                form.token_error = None;
                action = Some(DecodingAction::AddToken(token));
            }
            Err(err) => form.token_error = Some(err),
        }
    }
    if let Some(err) = &form.token_error {
        ui.label(error_text(ui.visuals(), err));
    }
    action
}
