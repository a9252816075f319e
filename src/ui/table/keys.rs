//! The table's keyboard: Up/Down/PageUp/PageDown/Home/End move the selection (the detail view
//! follows it), Escape clears the selection and then the filter. Only while no text field
//! has the keyboard and no popup is open.

use egui::{Context, Key, Modifiers};

use super::TableState;
use crate::capture::Capture;

/// A move of the selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Move {
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
}

impl TableState {
    /// Handles the table's keys for this frame (call before anything is drawn, so that a text
    /// field that had the keyboard keeps its keys).
    pub fn handle_keys(&mut self, ctx: &Context, capture: &Capture) {
        // Escape takes the focus away from a text field before the frame starts: that it had
        // the keyboard is only known from the frame before.
        let typing = ctx.text_edit_focused();
        let was_typing = std::mem::replace(&mut self.typing, typing);
        if typing || was_typing || egui::Popup::is_any_open(ctx) {
            return;
        }
        let (moves, escape) = ctx.input_mut(|input| {
            let moves: Vec<Move> = [
                (Key::ArrowUp, Move::Up),
                (Key::ArrowDown, Move::Down),
                (Key::PageUp, Move::PageUp),
                (Key::PageDown, Move::PageDown),
                (Key::Home, Move::Home),
                (Key::End, Move::End),
            ]
            .into_iter()
            // Each press counts: key repeat can bring several in one slow frame.
            .flat_map(|(key, step)| {
                std::iter::repeat_n(step, input.count_and_consume_key(Modifiers::NONE, key))
            })
            .collect();
            (moves, input.consume_key(Modifiers::NONE, Key::Escape))
        });
        for step in moves {
            self.move_selection(capture, step);
        }
        if escape {
            self.escape();
        }
    }

    /// Escape: the selection goes first, then the filter.
    pub fn escape(&mut self) {
        if self.selected.take().is_none() && (!self.filter.is_empty() || self.filter_error.is_some()) {
            self.clear_filter();
        }
    }

    fn move_selection(&mut self, capture: &Capture, step: Move) {
        let rows = self.row_count(capture);
        if rows == 0 {
            return;
        }
        let last = rows - 1;
        let page = self.page_rows.max(1);
        // Where the selection is: its row, or (when the filter hides it) the gap it would be in.
        let at = self.selected.map(|seq| self.row_of(capture, seq));
        let target = match (step, at) {
            (Move::Home, _) => 0,
            (Move::End, _) => last,
            (Move::Down | Move::PageDown, None) => 0,
            (Move::Up | Move::PageUp, None) => last,
            (Move::Down, Some(Ok(row))) => row + 1,
            (Move::Down, Some(Err(row))) => row,
            (Move::PageDown, Some(Ok(row) | Err(row))) => row + page,
            (Move::Up, Some(Ok(row) | Err(row))) => row.saturating_sub(1),
            (Move::PageUp, Some(Ok(row) | Err(row))) => row.saturating_sub(page),
        };
        if let Some(event) = self.event_at(capture, target.min(last)) {
            self.select(event.seq);
            self.scroll_to_selected = true;
        }
    }
}
