//! The native window: its options (title, app id, sizes, icon) and eframe's start.

use std::path::PathBuf;

use tokio::runtime::Handle;

use super::{APP_ID, App, WINDOW_TITLE, persist};

/// Runs the desktop app until its window closes; `file` (a capture) opens read-only.
///
/// # Errors
///
/// The window could not be created (no display, no OpenGL).
pub fn run(runtime: Handle, file: Option<PathBuf>) -> anyhow::Result<()> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(WINDOW_TITLE)
        .with_app_id(APP_ID)
        .with_inner_size([1400.0, 860.0])
        .with_min_inner_size([800.0, 500.0]);
    if let Some(icon) = icon() {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        ..eframe::NativeOptions::default()
    };
    eframe::run_native(
        WINDOW_TITLE,
        options,
        Box::new(move |cc| {
            cc.egui_ctx.options_mut(|options| options.theme_preference = egui::ThemePreference::System);
            let options = persist::startup_options(cc.storage, file);
            Ok(Box::new(App::new(&cc.egui_ctx, runtime, options)))
        }),
    )
    .map_err(|err| anyhow::anyhow!("the window could not open: {err}"))
}

/// The window icon: `assets/subscope.png` (the desktop entry's icon too), decoded by the PNG
/// reader eframe already carries. `None` leaves the system's default icon.
fn icon() -> Option<egui::IconData> {
    eframe::icon_data::from_png_bytes(include_bytes!("../../assets/subscope.png")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_icon_is_the_256_px_asset() {
        let icon = icon().unwrap_or_else(|| panic!("assets/subscope.png does not decode"));
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
        assert_eq!(icon.rgba[3], 0, "the corners are transparent");
    }

    #[test]
    fn the_desktop_entry_names_the_binary_icon_and_window_class() {
        let entry = include_str!("../../assets/subscope.desktop");
        for line in ["Exec=subscope", "Icon=subscope", "Categories=Development;Network;"] {
            assert!(entry.lines().any(|row| row.starts_with(line)), "{line} missing");
        }
        assert!(entry.lines().any(|row| row == format!("StartupWMClass={APP_ID}")));
    }
}
