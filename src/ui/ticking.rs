//! Counts that tick with every event (events held, a rate, rows): shown at most five times a
//! second. Text that changed is laid out anew (shaped, measured, then freed a frame later), and
//! at 20,000 events/s the status bar's counts changed every frame: over a quarter of the UI
//! thread's text layout went to numbers nobody can read at 60 Hz (issue 27's frame profile).
//!
//! Only the numbers wait: a change in the words around them (`10 rows` becoming `3 rows of 10`,
//! KiB becoming MiB) shows at once, and so does the first change after a quiet spell. A count
//! left behind is redrawn when its time is up, even if nothing else asks for a frame.

use std::time::Duration;

use egui::{Id, Ui};

/// The shortest time between two redraws of one ticking count, in seconds.
pub const TICK_SECONDS: f64 = 0.2;

/// What a ticking count shows now, and since when (egui's input time).
#[derive(Clone, Default)]
struct Shown {
    at: f64,
    text: String,
}

/// The text to draw for the ticking count `id_salt`, whose current value is `text`.
pub fn ticking(ui: &Ui, id_salt: impl std::hash::Hash + std::fmt::Debug, text: String) -> String {
    let id = Id::unique(("subscope.ticking", id_salt));
    let now = ui.input(|input| input.time);
    let (shown, wait) = ui.data_mut(|data| {
        let shown = data.get_temp_mut_or_insert_with(id, || Shown { at: now, text: text.clone() });
        let wait = show(shown, text, now);
        (shown.text.clone(), wait)
    });
    if let Some(wait) = wait {
        ui.ctx().request_repaint_after(Duration::from_secs_f64(wait));
    }
    shown
}

/// Updates what `shown` shows at `now`, `text` being current; when the count is held back,
/// how long until it must be redrawn.
fn show(shown: &mut Shown, text: String, now: f64) -> Option<f64> {
    if shown.text == text {
        return None;
    }
    // (A microsecond's slack: input times are sums of frame times, and 10.2 - 10.0 < 0.2.)
    let since = now - shown.at + 1e-6;
    if (0.0..TICK_SECONDS).contains(&since) && same_words(&shown.text, &text) {
        return Some(TICK_SECONDS - since);
    }
    *shown = Shown { at: now, text };
    None
}

/// Whether two texts say the same apart from their numbers (digits and the separators inside
/// them).
fn same_words(a: &str, b: &str) -> bool {
    let words = |c: &char| !c.is_ascii_digit() && *c != ',' && *c != '.';
    a.chars().filter(words).eq(b.chars().filter(words))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(at: f64, text: &str) -> Shown {
        Shown { at, text: text.to_owned() }
    }

    /// What is shown after `text` comes at `now`, and the wait asked for.
    fn next_shown(shown: &Shown, text: String, now: f64) -> (Shown, Option<f64>) {
        let mut next = shown.clone();
        let wait = show(&mut next, text, now);
        (next, wait)
    }

    #[test]
    fn a_count_that_ticks_faster_than_five_times_a_second_waits_its_turn() {
        let (next, wait) = next_shown(&shown(10.0, "1,000 events held"), "1,333 events held".into(), 10.05);
        assert_eq!(next.text, "1,000 events held");
        assert_eq!(next.at, 10.0);
        let wait = wait.unwrap_or_default();
        assert!((wait - 0.15).abs() < 1e-5, "redrawn when its time is up: {wait}");
        let (next, wait) = next_shown(&next, "1,666 events held".into(), 10.2);
        assert_eq!((next.text.as_str(), next.at, wait), ("1,666 events held", 10.2, None));
    }

    #[test]
    fn the_first_change_after_a_quiet_spell_shows_at_once() {
        let (next, wait) = next_shown(&shown(10.0, "3 events held"), "4 events held".into(), 12.0);
        assert_eq!((next.text.as_str(), next.at, wait), ("4 events held", 12.0, None));
    }

    #[test]
    fn a_change_of_words_shows_at_once() {
        for (before, after) in [
            ("10 rows", "3 rows of 10"),
            ("10 rows", "10 rows (filtering…)"),
            ("memory 900 KiB / 1 GiB", "memory 1.0 MiB / 1 GiB"),
        ] {
            let (next, wait) = next_shown(&shown(10.0, before), after.into(), 10.01);
            assert_eq!((next.text.as_str(), wait), (after, None), "{before} -> {after}");
        }
    }

    #[test]
    fn an_unchanged_count_asks_for_no_frame() {
        let (next, wait) = next_shown(&shown(10.0, "5.0 events/s"), "5.0 events/s".into(), 10.01);
        assert_eq!((next.text.as_str(), next.at, wait), ("5.0 events/s", 10.0, None));
    }

    #[test]
    fn a_clock_that_went_back_does_not_hold_a_count() {
        let (next, wait) = next_shown(&shown(10.0, "5 events held"), "6 events held".into(), 3.0);
        assert_eq!((next.text.as_str(), wait), ("6 events held", None));
    }
}
