//! The form a [`MethodSpec`] describes, field by field, editing a [`Draft`] in place, with each
//! field's validation errors right under it.

use std::collections::BTreeSet;

use egui::{Response, RichText, TextEdit, Ui};

use super::{error_text, warn_text};
use crate::catalog::{
    BlockFilterMode, Draft, FieldError, FieldKind, FieldSpec, FieldValue, FromToRow, LogsFilterMode,
    MemcmpEncoding, MethodSpec, ProgramFilterRow, TopicRow,
};

/// Draws every field of `spec`; returns the keys of fields the user changed this frame.
///
/// Errors of fields in `touched` are drawn in the error color, others (a required field not
/// filled in yet) as a quiet hint.
pub fn form_ui(
    ui: &mut Ui,
    spec: &MethodSpec,
    draft: &mut Draft,
    errors: &[FieldError],
    touched: &BTreeSet<String>,
) -> Vec<&'static str> {
    let mut changed = Vec::new();
    for field in spec.fields {
        ui.push_id(field.key, |ui| {
            if field_ui(ui, field, draft) {
                changed.push(field.key);
            }
            let visuals = ui.visuals().clone();
            for error in errors.iter().filter(|error| error.root() == field.key) {
                let text = if touched.contains(field.key) {
                    error_text(&visuals, &error.message)
                } else {
                    RichText::new(&error.message).weak().italics()
                };
                ui.label(text);
            }
        });
        ui.add_space(4.0);
    }
    changed
}

/// Whether a field error belongs to no field of the form (shown next to the send button).
pub fn is_unplaced(spec: &MethodSpec, error: &FieldError) -> bool {
    spec.field(error.root()).is_none()
}

fn field_ui(ui: &mut Ui, field: &FieldSpec, draft: &mut Draft) -> bool {
    let mut changed = false;
    let label_id = ui
        .horizontal(|ui| {
            let mut text = RichText::new(field.label).strong();
            if field.required || draft.condition_holds(field) {
                text = RichText::new(format!("{} *", field.label)).strong();
            }
            let label =
                ui.label(text).on_hover_text(format!("{}\n\nAccepts: {}", field.help, field.kind.describe()));
            let resettable =
                !field.required && draft.will_send(field) && !matches!(field.kind, FieldKind::MethodName);
            if resettable
                && ui.small_button("reset").on_hover_text("Back to the server default (not sent)").clicked()
            {
                draft.reset(field.key);
                changed = true;
            }
            label.id
        })
        .inner;
    if draft.value(field.key).is_none_or(|value| !value.fits(&field.kind)) {
        draft.repair();
    }
    changed |= match field.kind {
        FieldKind::Pubkey
        | FieldKind::Signature
        | FieldKind::EthAddress
        | FieldKind::EthTopic
        | FieldKind::Integer { .. }
        | FieldKind::MethodName => text_ui(ui, field, draft, label_id),
        FieldKind::Json => json_ui(ui, field, draft, label_id),
        FieldKind::Choice(options) => choice_ui(ui, field, options, draft, label_id),
        FieldKind::Bool => bool_ui(ui, field, draft, label_id),
        FieldKind::PubkeyList { .. } | FieldKind::AddressList { .. } => list_ui(ui, field, draft, label_id),
        FieldKind::ProgramFilters { max, .. } => program_filters_ui(ui, field, draft, max),
        FieldKind::LogsFilter => logs_filter_ui(ui, field, draft, label_id),
        FieldKind::BlockFilter => block_filter_ui(ui, field, draft, label_id),
        FieldKind::Topics { max_positions, .. } => topics_ui(ui, field, draft, max_positions),
        FieldKind::FromToAddresses { .. } => from_to_ui(ui, field, draft),
        FieldKind::DataSlice => data_slice_ui(ui, field, draft, label_id),
    };
    if changed {
        // A field the user touched is sent even when it holds its default value.
        draft.mark_explicit(field.key);
    }
    changed
}

fn hint(field: &FieldSpec) -> String {
    if field.default.is_empty() { field.kind.describe() } else { format!("default: {}", field.default) }
}

fn text_ui(ui: &mut Ui, field: &FieldSpec, draft: &mut Draft, label_id: egui::Id) -> bool {
    let Some(text) = draft.text_mut(field.key) else {
        return false;
    };
    let width = ui.available_width();
    ui.add(
        TextEdit::singleline(text)
            .hint_text(hint(field))
            .desired_width(width)
            .font(egui::TextStyle::Monospace),
    )
    .labelled_by(label_id)
    .changed()
}

fn json_ui(ui: &mut Ui, field: &FieldSpec, draft: &mut Draft, label_id: egui::Id) -> bool {
    let Some(text) = draft.text_mut(field.key) else {
        return false;
    };
    let width = ui.available_width();
    ui.add(TextEdit::multiline(text).code_editor().desired_rows(2).desired_width(width).hint_text("[ … ]"))
        .labelled_by(label_id)
        .changed()
}

fn choice_ui(
    ui: &mut Ui,
    field: &FieldSpec,
    options: &'static [&'static str],
    draft: &mut Draft,
    label_id: egui::Id,
) -> bool {
    let current = draft.value(field.key).and_then(FieldValue::as_text).unwrap_or_default().to_owned();
    let shown = if current.is_empty() { "(server default)".to_owned() } else { current.clone() };
    let mut picked = None;
    egui::ComboBox::from_id_salt(field.key)
        .selected_text(shown)
        .show_ui(ui, |ui| {
            if !field.required
                && field.default.is_empty()
                && ui.selectable_label(current.is_empty(), "(server default)").clicked()
            {
                picked = Some(String::new());
            }
            for option in options {
                let text = if *option == field.default {
                    format!("{option} (default)")
                } else {
                    (*option).to_owned()
                };
                if ui.selectable_label(current == *option, text).clicked() {
                    picked = Some((*option).to_owned());
                }
            }
        })
        .response
        .labelled_by(label_id);
    match picked {
        Some(value) if value.is_empty() => {
            draft.reset(field.key);
            true
        }
        Some(value) => {
            draft.set_text(field.key, value);
            true
        }
        None => false,
    }
}

fn bool_ui(ui: &mut Ui, field: &FieldSpec, draft: &mut Draft, label_id: egui::Id) -> bool {
    let mut flag = matches!(draft.value(field.key), Some(FieldValue::Bool(true)));
    let changed = ui.checkbox(&mut flag, field.label).labelled_by(label_id).changed();
    if changed {
        draft.set_bool(field.key, flag);
    }
    changed
}

/// One entry per line; a paste with commas is split when the field loses focus.
fn list_ui(ui: &mut Ui, field: &FieldSpec, draft: &mut Draft, label_id: egui::Id) -> bool {
    let Some(FieldValue::List(entries)) = draft.value_mut(field.key) else {
        return false;
    };
    let mut text = entries.join("\n");
    let width = ui.available_width();
    let response = ui
        .add(
            TextEdit::multiline(&mut text)
                .font(egui::TextStyle::Monospace)
                .desired_rows(2)
                .desired_width(width)
                .hint_text("one per line (empty: any)"),
        )
        .labelled_by(label_id);
    if response.changed() {
        *entries = text.split('\n').map(str::to_owned).collect();
    }
    if response.lost_focus() {
        *entries = FieldValue::list_from_text(&entries.join("\n"));
    }
    let count = entries.iter().filter(|entry| !entry.trim().is_empty()).count();
    if count > 0 {
        ui.weak(format!("{count} entr{}", if count == 1 { "y" } else { "ies" }));
    }
    response.changed() || response.lost_focus()
}

fn small_text_edit(ui: &mut Ui, text: &mut String, hint: &str, width: f32) -> Response {
    ui.add(TextEdit::singleline(text).hint_text(hint).desired_width(width).font(egui::TextStyle::Monospace))
}

fn program_filters_ui(ui: &mut Ui, field: &FieldSpec, draft: &mut Draft, max: usize) -> bool {
    let Some(FieldValue::ProgramFilters(rows)) = draft.value_mut(field.key) else {
        return false;
    };
    let mut changed = false;
    let mut remove = None;
    for (index, row) in rows.iter_mut().enumerate() {
        ui.push_id(index, |ui| {
            ui.horizontal_wrapped(|ui| {
                match row {
                    ProgramFilterRow::DataSize { size } => {
                        ui.label("dataSize");
                        changed |= small_text_edit(ui, size, "bytes", 80.0).changed();
                    }
                    ProgramFilterRow::Memcmp { offset, bytes, encoding } => {
                        ui.label("memcmp");
                        changed |= small_text_edit(ui, offset, "offset", 50.0).changed();
                        changed |= small_text_edit(ui, bytes, "bytes", 140.0).changed();
                        egui::ComboBox::from_id_salt("encoding")
                            .selected_text(encoding.as_str())
                            .width(70.0)
                            .show_ui(ui, |ui| {
                                for option in [MemcmpEncoding::Base58, MemcmpEncoding::Base64] {
                                    changed |=
                                        ui.selectable_value(encoding, option, option.as_str()).changed();
                                }
                            })
                            .response
                            .on_hover_text("Encoding of the bytes");
                    }
                    ProgramFilterRow::TokenAccountState => {
                        ui.label("tokenAccountState");
                    }
                }
                let name = format!("filter {}", index + 1);
                if super::remove_button(ui, &name, "from the program's filters").clicked() {
                    remove = Some(index);
                }
            });
        });
    }
    if let Some(index) = remove {
        rows.remove(index);
        changed = true;
    }
    ui.horizontal_wrapped(|ui| {
        ui.add_enabled_ui(rows.len() < max, |ui| {
            if ui.small_button("+ dataSize").clicked() {
                rows.push(ProgramFilterRow::data_size());
                changed = true;
            }
            if ui.small_button("+ memcmp").clicked() {
                rows.push(ProgramFilterRow::memcmp());
                changed = true;
            }
            if ui.small_button("+ tokenAccountState").clicked() {
                rows.push(ProgramFilterRow::TokenAccountState);
                changed = true;
            }
        });
    });
    changed
}

fn logs_filter_ui(ui: &mut Ui, field: &FieldSpec, draft: &mut Draft, label_id: egui::Id) -> bool {
    let Some(FieldValue::LogsFilter(filter)) = draft.value_mut(field.key) else {
        return false;
    };
    let mut changed = false;
    let name = |mode: LogsFilterMode| match mode {
        LogsFilterMode::All => "all (no votes)",
        LogsFilterMode::AllWithVotes => "allWithVotes",
        LogsFilterMode::Mentions => "mentions a pubkey",
    };
    egui::ComboBox::from_id_salt("logs_mode")
        .selected_text(name(filter.mode))
        .show_ui(ui, |ui| {
            for mode in [LogsFilterMode::All, LogsFilterMode::AllWithVotes, LogsFilterMode::Mentions] {
                changed |= ui.selectable_value(&mut filter.mode, mode, name(mode)).changed();
            }
        })
        .response
        .labelled_by(label_id);
    if filter.mode == LogsFilterMode::Mentions {
        if filter.mentions.is_empty() {
            filter.mentions.push(String::new());
        }
        let label = ui.label("Mentioned pubkey");
        if let Some(pubkey) = filter.mentions.first_mut() {
            let width = ui.available_width();
            changed |= ui
                .add(
                    TextEdit::singleline(pubkey)
                        .hint_text("base58 pubkey (exactly one)")
                        .desired_width(width)
                        .font(egui::TextStyle::Monospace),
                )
                .labelled_by(label.id)
                .changed();
        }
    }
    changed
}

fn block_filter_ui(ui: &mut Ui, field: &FieldSpec, draft: &mut Draft, label_id: egui::Id) -> bool {
    let Some(FieldValue::BlockFilter(filter)) = draft.value_mut(field.key) else {
        return false;
    };
    let mut changed = false;
    let name = |mode: BlockFilterMode| match mode {
        BlockFilterMode::All => "all",
        BlockFilterMode::MentionsAccountOrProgram => "mentionsAccountOrProgram",
    };
    egui::ComboBox::from_id_salt("block_mode")
        .selected_text(name(filter.mode))
        .show_ui(ui, |ui| {
            for mode in [BlockFilterMode::All, BlockFilterMode::MentionsAccountOrProgram] {
                changed |= ui.selectable_value(&mut filter.mode, mode, name(mode)).changed();
            }
        })
        .response
        .labelled_by(label_id);
    if filter.mode == BlockFilterMode::MentionsAccountOrProgram {
        let label = ui.label("Account or program");
        let width = ui.available_width();
        changed |= ui
            .add(
                TextEdit::singleline(&mut filter.pubkey)
                    .hint_text("base58 pubkey")
                    .desired_width(width)
                    .font(egui::TextStyle::Monospace),
            )
            .labelled_by(label.id)
            .changed();
    }
    changed
}

fn topics_ui(ui: &mut Ui, field: &FieldSpec, draft: &mut Draft, max_positions: usize) -> bool {
    let Some(FieldValue::Topics(rows)) = draft.value_mut(field.key) else {
        return false;
    };
    let mut changed = false;
    let mut remove = None;
    for (index, row) in rows.iter_mut().enumerate() {
        ui.push_id(index, |ui| {
            ui.horizontal(|ui| {
                let label = ui.label(format!("Topic {index}"));
                // While the field has the keyboard it shows exactly what was typed (the caret
                // stays where it was); the alternatives are written `a, b` once it loses it.
                let typed_id = ui.scope_id().with("typed");
                let mut text = ui
                    .data_mut(|data| data.get_temp::<String>(typed_id))
                    .unwrap_or_else(|| row.any_of.join(", "));
                let width = (ui.available_width() - 40.0).max(60.0);
                let response = ui
                    .add(
                        TextEdit::singleline(&mut text)
                            .hint_text("any (or 0x… , 0x… for OR)")
                            .desired_width(width)
                            .font(egui::TextStyle::Monospace),
                    )
                    .labelled_by(label.id);
                if response.changed() {
                    row.any_of = topic_alternatives(&text);
                    changed = true;
                }
                if response.has_focus() {
                    ui.data_mut(|data| data.insert_temp(typed_id, text));
                } else {
                    ui.data_mut(|data| data.remove::<String>(typed_id));
                }
                if super::remove_button(ui, &format!("topic {index}"), "from the filter").clicked() {
                    remove = Some(index);
                }
            });
        });
    }
    if let Some(index) = remove {
        rows.remove(index);
        changed = true;
    }
    if ui.add_enabled(rows.len() < max_positions, egui::Button::new("+ topic position").small()).clicked() {
        rows.push(TopicRow::default());
        changed = true;
    }
    changed
}

/// The alternatives of one topic position as typed: comma-separated, trimmed, blanks dropped
/// (no alternative at all: any topic).
fn topic_alternatives(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|entry| !entry.is_empty()).map(str::to_owned).collect()
}

fn from_to_ui(ui: &mut Ui, field: &FieldSpec, draft: &mut Draft) -> bool {
    let Some(FieldValue::FromTo(rows)) = draft.value_mut(field.key) else {
        return false;
    };
    let mut changed = false;
    let mut remove = None;
    for (index, row) in rows.iter_mut().enumerate() {
        ui.push_id(index, |ui| {
            ui.horizontal(|ui| {
                let width = ((ui.available_width() - 56.0) / 2.0).max(60.0);
                changed |= small_text_edit(ui, &mut row.from, "from 0x…", width).changed();
                changed |= small_text_edit(ui, &mut row.to, "to 0x…", width).changed();
                let name = format!("from/to row {}", index + 1);
                if super::remove_button(ui, &name, "from the filter").clicked() {
                    remove = Some(index);
                }
            });
        });
    }
    if let Some(index) = remove {
        rows.remove(index);
        changed = true;
    }
    if ui.small_button("+ from/to row").clicked() {
        rows.push(FromToRow::default());
        changed = true;
    }
    changed
}

fn data_slice_ui(ui: &mut Ui, field: &FieldSpec, draft: &mut Draft, label_id: egui::Id) -> bool {
    let Some(FieldValue::DataSlice(slice)) = draft.value_mut(field.key) else {
        return false;
    };
    let mut changed = false;
    ui.horizontal(|ui| {
        changed |= small_text_edit(ui, &mut slice.offset, "offset", 70.0).labelled_by(label_id).changed();
        changed |= small_text_edit(ui, &mut slice.length, "length", 70.0).changed();
    });
    changed
}

/// The method's note and stability, as a short block above the form.
pub fn method_note_ui(ui: &mut Ui, spec: &MethodSpec) {
    use crate::catalog::Stability;
    let visuals = ui.visuals().clone();
    match spec.stability {
        Stability::Stable => {}
        Stability::Unstable => {
            ui.label(warn_text(&visuals, "Unstable: the format may change; most providers do not serve it."));
        }
        Stability::Legacy => {
            ui.label(warn_text(&visuals, "Legacy: no longer documented; it may still work."));
        }
    }
    if let Some(provider) = spec.provider {
        ui.label(warn_text(&visuals, format!("{provider} only.")));
    }
    if !spec.note.is_empty() {
        ui.weak(spec.note);
    }
}
