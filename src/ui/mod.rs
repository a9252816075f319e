//! The egui panels (being written).
