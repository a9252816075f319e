//! The terminal cheat sheet printed by `subscope methods`.

use super::{Chain, FieldSpec, MethodSpec, ParamPlace, methods, methods_for};

/// Text width the notes are wrapped to.
const WIDTH: usize = 100;

/// A plain-text cheat sheet of every method: chain, method, stability, provider, notification
/// and unsubscribe names, and each field with its default and limits.
pub fn cheat_sheet() -> String {
    let mut out = String::from(
        "subscope methods: what each subscription sends and accepts.\n\
         Fields marked \"= value\" show the default, which is sent only when changed.\n",
    );
    for chain in Chain::ALL {
        out.push_str(&format!("\n{}\n{}\n", chain.label().to_uppercase(), "=".repeat(chain.label().len())));
        for spec in methods_for(chain).filter(|spec| spec.chain.is_some()) {
            method_section(&mut out, spec);
        }
    }
    out.push_str("\nANY CHAIN\n=========\n");
    for spec in methods().iter().filter(|spec| spec.chain.is_none()) {
        method_section(&mut out, spec);
    }
    out
}

fn method_section(out: &mut String, spec: &MethodSpec) {
    let mut tags = vec![spec.stability.label().to_owned()];
    if let Some(provider) = spec.provider {
        tags.push(format!("{provider} only"));
    }
    if spec.one_shot {
        tags.push("one-shot".to_owned());
    }
    let name = if spec.is_one_off() { "<method>" } else { spec.id };
    out.push('\n');
    wrap(out, "", &format!("{name} - {} [{}]", spec.label, tags.join(", ")), 4);
    wrap(out, "  call:      ", &call(spec), 13);
    if let (Some(notification), Some(unsubscribe)) = (spec.notification_method, spec.unsubscribe_method) {
        let notifies = format!("{notification}; cancel with {unsubscribe}");
        wrap(out, "  notifies:  ", &notifies, 13);
    }
    let key_width = spec.fields.iter().map(|field| field.key.len()).max().unwrap_or(0);
    let rows: Vec<(String, String)> =
        spec.fields.iter().map(|field| (status(field), describe(spec, field))).collect();
    let status_width = rows.iter().map(|(status, _)| status.len()).max().unwrap_or(0);
    for (field, (status, description)) in spec.fields.iter().zip(rows) {
        let prefix = format!("    {:<key_width$}  {status:<status_width$}  ", field.key);
        let hang = prefix.chars().count();
        wrap(out, &prefix, &description, hang.min(WIDTH / 2));
    }
    wrap(out, "  ", spec.note, 2);
}

/// The method as it is called: `accountSubscribe [pubkey, {…}]`, `eth_subscribe ["logs", {…}]`.
fn call(spec: &MethodSpec) -> String {
    if spec.is_one_off() {
        return "any method, with params as a JSON array or object".to_owned();
    }
    let mut params: Vec<String> =
        spec.subscription_kind.map(|kind| format!("\"{kind}\"")).into_iter().collect();
    let count =
        spec.fields.iter().filter_map(|field| field.place.index()).map(|index| index + 1).max().unwrap_or(0);
    for index in params.len()..count {
        let in_place: Vec<&FieldSpec> =
            spec.fields.iter().filter(|field| field.place.index() == Some(index)).collect();
        let keys: Vec<&str> = in_place.iter().map(|field| field.key).collect();
        let is_object = in_place.iter().any(|field| field.place == ParamPlace::InObject(index));
        let optional = in_place.iter().all(|field| !field.required);
        let text = if is_object { format!("{{{}}}", keys.join(", ")) } else { keys.join("|") };
        params.push(if optional { format!("{text}?") } else { text });
    }
    if params.is_empty() {
        format!("{} (no params)", spec.rpc_method)
    } else {
        format!("{} [{}]", spec.rpc_method, params.join(", "))
    }
}

fn status(field: &FieldSpec) -> String {
    if field.required {
        "required".to_owned()
    } else if field.default.is_empty() {
        "optional".to_owned()
    } else {
        format!("= {}", field.default)
    }
}

fn describe(spec: &MethodSpec, field: &FieldSpec) -> String {
    let mut description = field.kind.describe();
    if let Some(condition) = field.required_when {
        let other = spec.field(condition.field).map_or(condition.field, |other| other.key);
        description.push_str(&format!("; required when {other} is {}", condition.any_of.join("|")));
    }
    description
}

/// Appends `text` and a newline.
fn push_line(out: &mut String, text: &str) {
    out.push_str(text);
    out.push('\n');
}

/// Appends `prefix` and `text` wrapped at [`WIDTH`]; continuation lines are indented by
/// `hang` spaces.
fn wrap(out: &mut String, prefix: &str, text: &str, hang: usize) {
    let indent = " ".repeat(hang);
    let mut line = prefix.to_owned();
    let mut line_has_words = false;
    for word in text.split_whitespace() {
        if line_has_words && line.chars().count() + 1 + word.chars().count() > WIDTH {
            push_line(out, &line);
            line.clone_from(&indent);
            line_has_words = false;
        }
        if line_has_words {
            line.push(' ');
        }
        line.push_str(word);
        line_has_words = true;
    }
    push_line(out, line.trim_end());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cheat_sheet_lists_every_method_with_its_rpc_name() {
        let sheet = cheat_sheet();
        for spec in methods() {
            assert!(sheet.contains(spec.label), "{}", spec.id);
            if let Some(kind) = spec.subscription_kind {
                assert!(sheet.contains(&format!("eth_subscribe [\"{kind}\"")), "{kind}");
            }
        }
    }

    #[test]
    fn the_cheat_sheet_shows_defaults_limits_and_stability() {
        let sheet = cheat_sheet();
        assert!(sheet.contains("accountSubscribe [pubkey, {commitment, encoding, dataSlice}?]"));
        assert!(sheet.contains("slotSubscribe (no params)"));
        assert!(sheet.contains("= finalized"));
        assert!(sheet.contains("up to 4 filters"));
        assert!(sheet.contains("[unstable]"));
        assert!(sheet.contains("[stable, Helius only]"));
        assert!(sheet.contains("0..=255; required when"));
    }

    #[test]
    fn the_cheat_sheet_fits_a_terminal() {
        for line in cheat_sheet().lines() {
            assert!(line.chars().count() <= WIDTH, "{line}");
        }
    }
}
