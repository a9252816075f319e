//! The panels' own state: what the composer, the table, the inspector and the Decoding panel
//! keep between frames. The panels draw from it (`crate::ui`); the app turns what they return
//! into verbs.

use std::sync::Arc;

use super::decoding::Decoding;
use super::inspector::Inspector;
use super::settings::Settings;
use crate::catalog::Draft;
use crate::decode::Built;
use crate::ui::composer::ComposerState;
use crate::ui::{Clock, TableState};

/// The panels' state, each panel's its own.
pub(super) struct Panels {
    /// The New subscription and One-off request forms, and the last response.
    pub composer: ComposerState,
    /// The table: filter, pause, selection, columns, clock.
    pub table: TableState,
    /// The inspector under the table: the selected row's detail, the comparison of endpoints.
    pub inspector: Inspector,
    /// The Decoding panel (the decoder itself is held by the table and the detail view).
    pub decoding: Decoding,
    /// Whether the user opened the side panel while the window is too narrow for it to
    /// show by itself (not saved).
    pub narrow_side_open: bool,
}

impl Panels {
    /// The panels as the settings left them (the decoder comes after, from the saved lists).
    pub(super) fn new(settings: &Settings) -> Self {
        let draft = settings
            .drafts_by_method
            .get(&settings.composer_method)
            .cloned()
            .or_else(|| Draft::for_method(&settings.composer_method));
        Self {
            composer: ComposerState::new(draft, settings.request_draft.clone()),
            table: TableState::with_clock(settings.column_widths.clone(), settings.utc_times),
            inspector: Inspector::default(),
            decoding: Decoding::default(),
            narrow_side_open: false,
        }
    }

    /// Hands a built decoder to the table and the detail view, which decode with it, and what
    /// building it found to the Decoding panel.
    pub(super) fn use_decoder(&mut self, built: Built) {
        let decoder = Arc::new(built.decoder);
        self.decoding.set_report(built.abis, built.tokens);
        self.table.set_decoder(Arc::clone(&decoder));
        self.inspector.detail.set_decoder(decoder);
    }

    /// Writes what the panels keep between runs into `settings`.
    pub(super) fn save_into(&self, settings: &mut Settings) {
        settings.composer_method = self.composer.draft.method.clone();
        settings.request_draft = Some(self.composer.request.clone());
        settings.column_widths = self.table.column_widths.clone();
        settings.utc_times = self.table.clock == Clock::Utc;
    }
}
