//! The window's look, at the end of the toolbar: light, dark or the desktop's choice, and the
//! zoom when it is not 100 % (Ctrl+Plus, Ctrl+Minus and Ctrl+0 change it anywhere). Both act
//! on egui's context; the app saves what the context holds.

use egui::{ThemePreference, Ui};

/// Draws the theme picker, and the zoom with a reset when the window is zoomed, right to left
/// (the caller lays them out at the toolbar's end).
pub fn appearance_ui(ui: &mut Ui) {
    let ctx = ui.ctx().clone();
    let zoom = ctx.zoom_factor();
    if (zoom - 1.0).abs() > 0.005
        && ui
            .small_button(format!("{:.0} %", zoom * 100.0))
            .on_hover_text("Zoom (Ctrl+Plus, Ctrl+Minus); click for 100 % (Ctrl+0)")
            .clicked()
    {
        ctx.set_zoom_factor(1.0);
    }
    let mut preference = ctx.options(|options| options.theme_preference);
    let before = preference;
    // Laid out right to left: the picker, then its label before it.
    let picker = egui::ComboBox::from_id_salt("subscope.theme")
        .selected_text(theme_name(preference))
        .width(70.0)
        .show_ui(ui, |ui| {
            for choice in [ThemePreference::System, ThemePreference::Light, ThemePreference::Dark] {
                ui.selectable_value(&mut preference, choice, theme_name(choice));
            }
        })
        .response;
    let label = ui.label("Theme");
    picker.labelled_by(label.id).on_hover_text("Light or dark; System follows the desktop's preference");
    if preference != before {
        ctx.set_theme(preference);
    }
}

fn theme_name(preference: ThemePreference) -> &'static str {
    match preference {
        ThemePreference::System => "System",
        ThemePreference::Light => "Light",
        ThemePreference::Dark => "Dark",
    }
}
