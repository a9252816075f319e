//! The columns' widths: the user's, narrowed to fit a window too narrow for them.

use super::COLUMN_COUNT;

/// Details' column: it takes what the others leave.
pub(super) const DETAILS: usize = 8;

/// The narrowest each column may be.
pub(super) const MIN_WIDTHS: [f32; COLUMN_COUNT] =
    [30.0, 30.0, 30.0, 30.0, 30.0, 30.0, 30.0, 30.0, 80.0, 40.0];

/// The column widths narrowed to fit `available` points, when widths chosen in a wider window
/// (or saved from one) would push Details and Size past the table's edge, where nothing scrolls
/// to them. Each column gives up the same share of what it has above its minimum; `None` when
/// they fit.
pub(super) fn fit_widths(widths: &[f32], available: f32, spacing: f32) -> Option<Vec<f32>> {
    let fixed = |index: usize| index != DETAILS;
    let gaps = spacing * (COLUMN_COUNT - 1) as f32;
    let needed: f32 =
        widths.iter().enumerate().filter(|(index, _)| fixed(*index)).map(|(_, w)| w).sum::<f32>()
            + MIN_WIDTHS[DETAILS]
            + gaps;
    let excess = needed - available;
    if excess <= 0.5 || widths.len() != COLUMN_COUNT {
        return None;
    }
    let spare: f32 = widths
        .iter()
        .zip(MIN_WIDTHS)
        .enumerate()
        .filter(|(index, _)| fixed(*index))
        .map(|(_, (w, min))| (w - min).max(0.0))
        .sum();
    if spare <= 0.0 {
        return None;
    }
    let share = (excess / spare).min(1.0);
    Some(
        widths
            .iter()
            .zip(MIN_WIDTHS)
            .enumerate()
            .map(|(index, (w, min))| if fixed(index) { w - (w - min).max(0.0) * share } else { *w })
            .collect(),
    )
}

/// Whether two sets of widths agree on every column but Details (which takes what is left).
pub(super) fn same_fixed(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).enumerate().all(|(index, (a, b))| index == DETAILS || (a - b).abs() <= 0.5)
}

#[cfg(test)]
mod tests {
    use super::super::DEFAULT_WIDTHS;
    use super::*;

    #[test]
    fn widths_that_fit_stay_and_wider_ones_shrink_to_leave_details_its_minimum() {
        let spacing = 8.0;
        let gaps = spacing * (COLUMN_COUNT - 1) as f32;
        let others: f32 =
            DEFAULT_WIDTHS.iter().enumerate().filter(|(i, _)| *i != DETAILS).map(|(_, w)| w).sum();
        assert_eq!(fit_widths(&DEFAULT_WIDTHS, others + gaps + 80.0, spacing), None, "they fit exactly");
        let narrow = others + gaps + 80.0 - 100.0;
        let fitted = fit_widths(&DEFAULT_WIDTHS, narrow, spacing).unwrap();
        let sum: f32 = fitted.iter().enumerate().filter(|(i, _)| *i != DETAILS).map(|(_, w)| w).sum();
        assert!((sum + gaps + 80.0 - narrow).abs() < 0.01, "{sum} + gaps + Details' 80 fill {narrow}");
        assert!(fitted.iter().zip(MIN_WIDTHS).all(|(w, min)| *w >= min - 0.01), "{fitted:?}");
        assert!(fitted[5] > fitted[4], "wider columns stay wider: {fitted:?}");
        let squeezed = fit_widths(&DEFAULT_WIDTHS, 100.0, spacing).unwrap();
        assert_eq!(
            squeezed,
            MIN_WIDTHS
                .iter()
                .enumerate()
                .map(|(i, m)| if i == DETAILS { DEFAULT_WIDTHS[DETAILS] } else { *m })
                .collect::<Vec<_>>(),
            "at most down to each minimum"
        );
    }
}
