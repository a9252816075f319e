//! A row's context menu (right click): copy the frame, filter to what the row belongs to, or
//! export.

use egui::Ui;

use super::{TableAction, TableState};
use crate::capture::{CapturedEvent, ConnId, SubKey};
use crate::catalog::Summary;
use crate::ui::ExportScope;

/// What was picked in a row's menu that changes the table (copies are done in the menu).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum MenuChoice {
    /// Only this connection.
    Connection(ConnId),
    /// Only this subscription (on its connection).
    Subscription(ConnId, SubKey),
    /// Rows containing this text (a signature or hash).
    Text(String),
    /// Export these events.
    Export(ExportScope),
}

/// Draws the menu of a row; returns what was picked.
pub(super) fn row_menu_ui(ui: &mut Ui, event: &CapturedEvent, summary: &Summary) -> Option<MenuChoice> {
    let mut choice = None;
    if ui.button("Copy raw").on_hover_text("The frame exactly as received").clicked() {
        ui.ctx().copy_text(event.raw.to_string());
    }
    if ui.button("Copy pretty JSON").on_hover_text("The frame indented (as received if not JSON)").clicked() {
        let pretty = serde_json::from_str::<serde_json::Value>(&event.raw)
            .ok()
            .and_then(|value| serde_json::to_string_pretty(&value).ok());
        ui.ctx().copy_text(pretty.unwrap_or_else(|| event.raw.to_string()));
    }
    ui.separator();
    if ui.button("Filter to this connection").clicked() {
        choice = Some(MenuChoice::Connection(event.connection));
    }
    if let Some(sub) = event.subscription
        && ui.button("Filter to this subscription").clicked()
    {
        choice = Some(MenuChoice::Subscription(event.connection, sub));
    }
    if let Some(signature) = &summary.signature_or_hash
        && ui
            .button("Filter to this signature / hash")
            .on_hover_text(format!("Rows whose frame contains {signature}"))
            .clicked()
    {
        choice = Some(MenuChoice::Text(signature.clone()));
    }
    ui.separator();
    if ui.button("Export this row…").clicked() {
        choice = Some(MenuChoice::Export(ExportScope::Selected));
    }
    if ui.button("Export the rows shown…").on_hover_text("Every row the filter shows").clicked() {
        choice = Some(MenuChoice::Export(ExportScope::Filtered));
    }
    choice
}

impl TableState {
    /// Carries out a menu choice; an export is the app's to do.
    pub(super) fn apply_menu_choice(&mut self, choice: MenuChoice) -> Option<TableAction> {
        match choice {
            MenuChoice::Connection(conn) => self.show_connection(conn),
            MenuChoice::Subscription(conn, sub) => self.show_subscription(conn, sub),
            MenuChoice::Text(text) => self.show_text(&text),
            MenuChoice::Export(scope) => return Some(TableAction::Export(scope)),
        }
        // The selected row passes the new filter: `apply_filter` keeps it in view.
        None
    }
}
