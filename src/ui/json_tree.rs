//! A collapsible JSON tree. Big documents stay cheap: each node shows at most
//! [`MAX_CHILDREN`] children and long strings are cut (the raw view and Copy have everything).

use egui::{CollapsingHeader, RichText, Ui};
use serde_json::Value;

use super::truncate;

/// The most children one object or array shows.
pub const MAX_CHILDREN: usize = 200;

/// The longest string shown in full in the tree.
const MAX_STRING: usize = 300;

/// Levels opened by default.
const OPEN_DEPTH: usize = 5;

/// Draws `value` as a tree under the root name `name`.
pub fn json_tree_ui(ui: &mut Ui, name: &str, value: &Value) {
    node_ui(ui, name, value, 0);
}

fn node_ui(ui: &mut Ui, key: &str, value: &Value, depth: usize) {
    match value {
        Value::Object(map) => {
            let title = format!("{key} {{{}}}", map.len());
            CollapsingHeader::new(RichText::new(title).monospace())
                .id_salt(key)
                .default_open(depth < OPEN_DEPTH)
                .show(ui, |ui| {
                    for (index, (child_key, child)) in map.iter().enumerate().take(MAX_CHILDREN) {
                        ui.push_id(index, |ui| node_ui(ui, child_key, child, depth + 1));
                    }
                    more_ui(ui, map.len());
                });
        }
        Value::Array(items) => {
            let title = format!("{key} [{}]", items.len());
            CollapsingHeader::new(RichText::new(title).monospace())
                .id_salt(key)
                .default_open(depth < OPEN_DEPTH)
                .show(ui, |ui| {
                    for (index, child) in items.iter().enumerate().take(MAX_CHILDREN) {
                        ui.push_id(index, |ui| node_ui(ui, &index.to_string(), child, depth + 1));
                    }
                    more_ui(ui, items.len());
                });
        }
        leaf => {
            let text = leaf_text(leaf);
            let response =
                ui.add(egui::Label::new(RichText::new(format!("{key}: {text}")).monospace()).wrap());
            if let Value::String(full) = leaf
                && full.chars().count() > MAX_STRING
            {
                response.on_hover_text(format!(
                    "{} characters; see Raw or Copy for all of it",
                    full.chars().count()
                ));
            }
        }
    }
}

fn more_ui(ui: &mut Ui, len: usize) {
    if len > MAX_CHILDREN {
        ui.weak(format!("… {} more (see Raw)", len - MAX_CHILDREN));
    }
}

/// A leaf value as JSON text, long strings cut.
fn leaf_text(value: &Value) -> String {
    match value {
        Value::String(text) => format!("\"{}\"", truncate(text, MAX_STRING)),
        other => other.to_string(),
    }
}
