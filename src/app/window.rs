//! The native window: its options (title, app id, sizes, icon), eframe's start, and closing
//! on SIGTERM, SIGINT or SIGHUP as the close button does (the settings saved, exit status 0;
//! the listener is [`Signals`], the headless verbs' own).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::runtime::Handle;

use super::{APP_ID, App, WINDOW_TITLE, persist};
use crate::signal::Signals;

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
    // Listening starts before the window opens: a signal while it opens closes it once open.
    let close = CloseRequest::listen(&runtime);
    eframe::run_native(
        WINDOW_TITLE,
        options,
        Box::new(move |cc| {
            close.wake(&cc.egui_ctx);
            let options = persist::startup_options(cc.storage, file);
            // Before the first frame, so it is not drawn in eframe's remembered look.
            persist::apply_appearance(&cc.egui_ctx, &options.settings);
            Ok(Box::new(Window { app: App::new(&cc.egui_ctx, runtime, options), close, closing: false }))
        }),
    )
    .map_err(|err| anyhow::anyhow!("the window could not open: {err}"))
}

/// SIGINT, SIGTERM or SIGHUP asking the window to close. The listener only counts and wakes
/// the UI thread; the window closes itself the normal way (its settings saved as on any
/// close). A second signal ends the process at once, for a window that does not answer.
struct CloseRequest {
    received: Arc<AtomicU32>,
    /// The window's context, to repaint when a signal arrives (set once it is open).
    ctx: Arc<OnceLock<egui::Context>>,
}

impl CloseRequest {
    /// Starts listening on `runtime`; the handlers are installed before this returns, so a
    /// signal sent while the window is still opening closes it once it is open.
    fn listen(runtime: &Handle) -> Self {
        let received = Arc::new(AtomicU32::new(0));
        let ctx: Arc<OnceLock<egui::Context>> = Arc::new(OnceLock::new());
        let mut signals = {
            let _guard = runtime.enter();
            Signals::install()
        };
        let (count, window) = (Arc::clone(&received), Arc::clone(&ctx));
        runtime.spawn(async move {
            while signals.next().await {
                if count.fetch_add(1, Ordering::SeqCst) >= 1 {
                    eprintln!("subscope: a second signal: quitting at once");
                    std::process::exit(1);
                }
                if let Some(ctx) = window.get() {
                    ctx.request_repaint();
                }
            }
        });
        Self { received, ctx }
    }

    /// Repaints `ctx` when a signal arrives, so the window sees it at once.
    fn wake(&self, ctx: &egui::Context) {
        self.ctx.set(ctx.clone()).ok(); // set once, by the window that opens
    }

    /// Whether a signal asked the window to close.
    fn requested(&self) -> bool {
        self.received.load(Ordering::SeqCst) > 0
    }
}

/// The app in its native window, closing when a signal asks.
struct Window {
    app: App,
    close: CloseRequest,
    closing: bool,
}

impl eframe::App for Window {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.app.logic(ctx, frame);
        if self.close.requested() && !self.closing {
            // The normal close: eframe then calls `save` (the settings, written last) and
            // `run_native` returns.
            self.closing = true;
            self.app.save_settings();
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.app.ui(ui, frame);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.app.save(storage);
    }
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
