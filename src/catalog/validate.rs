//! Validation of JSON-RPC `params` against a [`MethodSpec`]. Both [`super::build`] (after
//! turning a draft into JSON) and [`check_request`] (for hand-written bodies) end here, so a
//! draft and a raw body are held to the same rules.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::encoding::{
    check_eth_address, check_pubkey, check_signature, check_topic, decode_base58, decode_base64,
};
use super::{AGAVE_MAX_REQUEST_BYTES, ALCHEMY_MAX_ADDRESSES, FieldKind, FieldSpec, MethodSpec};
use super::{ETH_SUBSCRIBE, ParamPlace, find_by_rpc_method};

/// What is wrong with one field of a draft or request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    /// The field's key, dotted for nested values (`filters.1.memcmp.bytes`, `topics.0.2`).
    /// `params` is about the parameter list itself and `request` about the whole request.
    pub field: String,
    /// A sentence that names the field and says what is wrong.
    pub message: String,
}

impl FieldError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }

    /// The top-level field key: the part of [`FieldError::field`] before the first dot.
    pub fn root(&self) -> &str {
        self.field.split_once('.').map_or(self.field.as_str(), |(root, _)| root)
    }
}

/// Checks a raw JSON-RPC request for a known subscription method before it is sent.
///
/// The method is looked up with [`find_by_rpc_method`] (for `eth_subscribe`, by the kind in
/// the first parameter); unknown methods and unknown `eth_subscribe` kinds pass.
///
/// # Errors
///
/// The first problem found: a field that breaks the method's rules, an `eth_subscribe`
/// without a kind, or an Agave request over [`AGAVE_MAX_REQUEST_BYTES`].
pub fn check_request(method: &str, params: Option<&Value>) -> Result<(), FieldError> {
    let first = params.and_then(Value::as_array).and_then(|items| items.first());
    if method == ETH_SUBSCRIBE && !first.is_some_and(Value::is_string) {
        return Err(FieldError::new(
            "params",
            "Params: eth_subscribe needs the subscription kind as its first parameter \
             (newHeads, logs, newPendingTransactions, syncing, …)",
        ));
    }
    let Some(spec) = find_by_rpc_method(method, first.and_then(Value::as_str)) else {
        return Ok(());
    };
    if let Some(err) = validate_params(spec, params).into_iter().next() {
        return Err(err);
    }
    if spec.is_agave() {
        check_agave_size(method, params)?;
    }
    Ok(())
}

/// The size in bytes of `{"jsonrpc":"2.0","id":<u64::MAX>,"method":…,"params":…}`: the
/// largest body subscope sends for this method and params.
pub fn agave_request_bytes(method: &str, params: Option<&Value>) -> usize {
    let mut body = format!("{{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":{}", u64::MAX, Value::from(method));
    if let Some(params) = params {
        body.push_str(",\"params\":");
        body.push_str(&params.to_string());
    }
    body.push('}');
    body.len()
}

/// Refuses a request Agave would drop for exceeding [`AGAVE_MAX_REQUEST_BYTES`].
pub(super) fn check_agave_size(method: &str, params: Option<&Value>) -> Result<(), FieldError> {
    let bytes = agave_request_bytes(method, params);
    if bytes > AGAVE_MAX_REQUEST_BYTES {
        Err(FieldError::new(
            "request",
            format!(
                "Request: {bytes} bytes; Agave nodes refuse messages over \
                 {AGAVE_MAX_REQUEST_BYTES} bytes"
            ),
        ))
    } else {
        Ok(())
    }
}

/// Every problem with `params` for `spec`, in field order.
pub(super) fn validate_params(spec: &MethodSpec, params: Option<&Value>) -> Vec<FieldError> {
    let mut errors = Errors::default();
    let items: &[Value] = match params {
        None | Some(Value::Null) => &[],
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.push("params", "Params", "must be a positional array");
            return errors.0;
        }
    };
    check_shape(spec, items, &mut errors);
    for field in spec.fields {
        match lookup(items, field) {
            Some(value) => check_value(field, value, &mut errors),
            None if field.required => {
                errors.push(field.key, field.label, format!("required ({})", field.kind.describe()));
            }
            None => {
                if let Some(reason) = condition_reason(spec, items, field) {
                    errors.push(field.key, field.label, reason);
                }
            }
        }
    }
    check_across_fields(spec, items, &mut errors);
    errors.0
}

/// Collects errors, each message prefixed with the label it is about.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, path: impl Into<String>, label: &str, what: impl std::fmt::Display) {
        self.0.push(FieldError::new(path, format!("{label}: {what}")));
    }
}

/// Checks the parameter list itself: its length, the eth kind, and the config objects.
fn check_shape(spec: &MethodSpec, items: &[Value], errors: &mut Errors) {
    let count = spec.param_count();
    if items.len() > count {
        let takes = match count {
            0 => "takes no parameters".to_owned(),
            1 => "takes 1 parameter".to_owned(),
            n => format!("takes at most {n} parameters"),
        };
        errors.push("params", "Params", format!("{} {takes}, got {}", spec.rpc_method, items.len()));
    }
    if let Some(kind) = spec.subscription_kind
        && items.first().and_then(Value::as_str) != Some(kind)
    {
        errors.push("params.0", "Subscription kind", format!("must be \"{kind}\""));
    }
    let object_indexes: BTreeSet<usize> = spec
        .fields
        .iter()
        .filter_map(|field| match field.place {
            ParamPlace::InObject(index) => Some(index),
            _ => None,
        })
        .collect();
    for index in object_indexes {
        match items.get(index) {
            None | Some(Value::Null) => {}
            Some(Value::Object(object)) => check_key_spelling(spec, index, object, errors),
            Some(_) => errors.push(
                format!("params.{index}"),
                "Params",
                format!("parameter {} must be an object", index + 1),
            ),
        }
    }
}

/// Catches snake_case keys (`transaction_details`, from an old Helius example) that the
/// server would silently ignore.
fn check_key_spelling(spec: &MethodSpec, index: usize, object: &Map<String, Value>, errors: &mut Errors) {
    for key in object.keys().filter(|key| key.contains('_')) {
        let camel = snake_to_camel(key);
        if let Some(field) =
            spec.fields.iter().find(|field| field.key == camel && field.place == ParamPlace::InObject(index))
        {
            errors.push(
                field.key,
                field.label,
                format!("sent as `{key}`; the server expects `{}`", field.key),
            );
        }
    }
}

fn snake_to_camel(key: &str) -> String {
    let mut camel = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            camel.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            camel.push(c);
        }
    }
    camel
}

/// The field's value in `items`; `null` counts as absent.
fn lookup<'a>(items: &'a [Value], field: &FieldSpec) -> Option<&'a Value> {
    let value = match field.place {
        ParamPlace::Positional(index) => items.get(index),
        ParamPlace::InObject(index) => items.get(index)?.as_object()?.get(field.key),
        ParamPlace::Envelope => None,
    };
    value.filter(|value| !value.is_null())
}

/// Why a missing field is required by its condition, if the condition holds.
fn condition_reason(spec: &MethodSpec, items: &[Value], field: &FieldSpec) -> Option<String> {
    let condition = field.required_when?;
    let other = spec.field(condition.field)?;
    let (current, is_default) = match lookup(items, other).and_then(Value::as_str) {
        Some(text) => (text, false),
        None => (other.default, true),
    };
    condition.any_of.contains(&current).then(|| {
        let default = if is_default { " (the default)" } else { "" };
        format!(
            "required when {} is {}; {} is {current}{default}",
            other.key,
            condition.any_of.join(" or "),
            other.key
        )
    })
}

/// Checks one present value against its field's kind.
fn check_value(field: &FieldSpec, value: &Value, errors: &mut Errors) {
    let (key, label) = (field.key, field.label);
    match field.kind {
        FieldKind::Pubkey => check_text(value, key, label, check_pubkey, errors),
        FieldKind::Signature => check_text(value, key, label, check_signature, errors),
        FieldKind::EthAddress => check_text(value, key, label, check_eth_address, errors),
        FieldKind::EthTopic => check_text(value, key, label, check_topic, errors),
        FieldKind::Choice(options) => check_choice(value, key, label, options, errors),
        FieldKind::Bool => {
            if !value.is_boolean() {
                errors.push(key, label, "must be true or false");
            }
        }
        FieldKind::Integer { min, max } => check_integer(value, key, label, min, max, errors),
        FieldKind::PubkeyList { max } => check_pubkey_list(value, key, label, max, errors),
        FieldKind::AddressList { max } => check_address_list(value, key, label, max, errors),
        FieldKind::ProgramFilters { max, memcmp_max_bytes } => {
            check_program_filters(value, field, max, memcmp_max_bytes, errors)
        }
        FieldKind::LogsFilter => check_logs_filter(value, field, errors),
        FieldKind::BlockFilter => check_block_filter(value, field, errors),
        FieldKind::Topics { max_positions, max_alternatives } => {
            check_topics(value, field, max_positions, max_alternatives, errors)
        }
        FieldKind::FromToAddresses { max } => check_from_to(value, field, max, errors),
        FieldKind::DataSlice => check_data_slice(value, field, errors),
        FieldKind::MethodName => check_method_name(value, key, label, errors),
        FieldKind::Json => {}
    }
}

fn check_text(
    value: &Value,
    path: &str,
    label: &str,
    check: fn(&str) -> Result<(), String>,
    errors: &mut Errors,
) {
    match value.as_str() {
        Some(text) => {
            if let Err(what) = check(text) {
                errors.push(path, label, what);
            }
        }
        None => errors.push(path, label, "must be a string"),
    }
}

fn check_choice(value: &Value, path: &str, label: &str, options: &[&str], errors: &mut Errors) {
    match value.as_str() {
        Some(text) if options.contains(&text) => {}
        Some(text) => errors.push(
            path,
            label,
            format!("`{}` is not accepted here; expected one of {}", quoted(text), options.join(", ")),
        ),
        None => errors.push(path, label, format!("must be a string, one of {}", options.join(", "))),
    }
}

fn check_integer(value: &Value, path: &str, label: &str, min: u64, max: u64, errors: &mut Errors) {
    match value.as_u64() {
        Some(number) if (min..=max).contains(&number) => {}
        Some(number) => errors.push(path, label, format!("{number} is out of range {min}..={max}")),
        None => errors.push(path, label, not_a_whole_number(value)),
    }
}

/// A whole number of bytes; a missing one is reported as required.
fn check_usize(value: Option<&Value>, path: &str, label: &str, errors: &mut Errors) {
    match value {
        Some(value) if value.as_u64().is_some() => {}
        Some(value) => errors.push(path, label, not_a_whole_number(value)),
        None => errors.push(path, label, "required"),
    }
}

/// A string value as a message quotes it: its start only, for a value can be a long paste.
fn quoted(text: &str) -> String {
    crate::human::excerpt(text, 40)
}

/// The complaint about a value that should be a whole number (a draft passes what the user
/// typed through as a string when it is not one).
fn not_a_whole_number(value: &Value) -> String {
    match value {
        Value::String(text) => format!("`{}` is not a whole number", quoted(text)),
        _ => "must be a whole number".to_owned(),
    }
}

fn check_pubkey_list(value: &Value, path: &str, label: &str, max: usize, errors: &mut Errors) {
    let Some(items) = value.as_array() else {
        errors.push(path, label, "must be a list of pubkeys");
        return;
    };
    if items.len() > max {
        errors.push(path, label, format!("{} pubkeys; at most {max}", items.len()));
    }
    for (index, item) in items.iter().enumerate() {
        let item_label = format!("{label} #{}", index + 1);
        check_text(item, &format!("{path}.{index}"), &item_label, check_pubkey, errors);
    }
}

/// The addresses of a string-or-array address value (entries that are not strings are
/// reported and skipped).
fn addresses_of<'a>(value: &'a Value, path: &str, label: &str, errors: &mut Errors) -> Vec<&'a str> {
    match value {
        Value::String(address) => vec![address.as_str()],
        Value::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| {
                let text = item.as_str();
                if text.is_none() {
                    let item_label = format!("{label} #{}", index + 1);
                    errors.push(format!("{path}.{index}"), &item_label, "must be a string");
                }
                text
            })
            .collect(),
        _ => {
            errors.push(path, label, "must be an address or a list of addresses");
            Vec::new()
        }
    }
}

fn check_address_list(value: &Value, path: &str, label: &str, max: usize, errors: &mut Errors) {
    let addresses = addresses_of(value, path, label, errors);
    if addresses.len() > max {
        errors.push(path, label, format!("{} addresses; at most {max}", addresses.len()));
    }
    let single = value.is_string();
    for (index, address) in addresses.into_iter().enumerate() {
        if let Err(what) = check_eth_address(address) {
            if single {
                errors.push(path, label, what);
            } else {
                let item_label = format!("{label} #{}", index + 1);
                errors.push(format!("{path}.{index}"), &item_label, what);
            }
        }
    }
}

fn check_program_filters(
    value: &Value,
    field: &FieldSpec,
    max: usize,
    memcmp_max_bytes: usize,
    errors: &mut Errors,
) {
    let (key, label) = (field.key, field.label);
    let Some(filters) = value.as_array() else {
        errors.push(key, label, "must be a list of filters");
        return;
    };
    if filters.len() > max {
        errors.push(key, label, format!("{} filters; the node accepts at most {max}", filters.len()));
    }
    for (index, filter) in filters.iter().enumerate() {
        let path = format!("{key}.{index}");
        let name = format!("Filter {}", index + 1);
        let object = match filter {
            Value::String(text) if text == "tokenAccountState" => continue,
            Value::Object(object) if object.len() == 1 => object,
            _ => {
                errors.push(
                    &path,
                    &name,
                    "expected {\"dataSize\": N}, {\"memcmp\": {offset, bytes}} or \
                     \"tokenAccountState\"",
                );
                continue;
            }
        };
        if let Some(size) = object.get("dataSize") {
            check_usize(Some(size), &format!("{path}.dataSize"), &format!("{name} dataSize"), errors);
        } else if let Some(memcmp) = object.get("memcmp") {
            check_memcmp(memcmp, &format!("{path}.memcmp"), &name, memcmp_max_bytes, errors);
        } else if !object.contains_key("tokenAccountState") {
            errors.push(&path, &name, "unknown filter; expected dataSize, memcmp or tokenAccountState");
        }
    }
}

fn check_memcmp(value: &Value, path: &str, name: &str, max_bytes: usize, errors: &mut Errors) {
    let Some(memcmp) = value.as_object() else {
        errors.push(path, &format!("{name} memcmp"), "must be {offset, bytes, encoding?}");
        return;
    };
    check_usize(memcmp.get("offset"), &format!("{path}.offset"), &format!("{name} memcmp offset"), errors);
    let encoding = match memcmp.get("encoding") {
        None | Some(Value::Null) => "base58",
        Some(Value::String(encoding)) if encoding == "base58" || encoding == "base64" => encoding.as_str(),
        Some(_) => {
            errors.push(
                format!("{path}.encoding"),
                &format!("{name} memcmp encoding"),
                "must be base58 or base64",
            );
            return;
        }
    };
    let bytes_path = format!("{path}.bytes");
    let bytes_label = format!("{name} memcmp bytes");
    let decoded = match memcmp.get("bytes") {
        Some(Value::String(text)) if encoding == "base64" => decode_base64(text),
        Some(Value::String(text)) => decode_base58(text),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_u64().and_then(|byte| u8::try_from(byte).ok()))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| "a byte array must hold numbers 0..=255".to_owned()),
        Some(_) => Err("must be a string".to_owned()),
        None => Err("required".to_owned()),
    };
    match decoded {
        Ok(bytes) if bytes.len() > max_bytes => errors.push(
            bytes_path,
            &bytes_label,
            format!("decodes to {} bytes; memcmp compares at most {max_bytes}", bytes.len()),
        ),
        Ok(_) => {}
        Err(what) => errors.push(bytes_path, &bytes_label, format!("{what} (encoding {encoding})")),
    }
}

fn check_logs_filter(value: &Value, field: &FieldSpec, errors: &mut Errors) {
    let (key, label) = (field.key, field.label);
    let expected = "expected all, allWithVotes or {\"mentions\": [pubkey]}";
    match value {
        Value::String(text) if text == "all" || text == "allWithVotes" => {}
        Value::String(text) => {
            errors.push(key, label, format!("unknown filter `{}`; {expected}", quoted(text)))
        }
        Value::Object(object) => match object.get("mentions") {
            Some(Value::Array(mentions)) => {
                let path = format!("{key}.mentions");
                if mentions.len() != 1 {
                    errors.push(
                        &path,
                        "Mentions",
                        format!(
                            "exactly one pubkey is supported, got {} (the node answers \"Only 1 \
                             address supported\")",
                            mentions.len()
                        ),
                    );
                }
                for (index, mention) in mentions.iter().enumerate() {
                    let item_label = format!("Mentions #{}", index + 1);
                    check_text(mention, &format!("{path}.{index}"), &item_label, check_pubkey, errors);
                }
            }
            Some(_) => errors.push(format!("{key}.mentions"), "Mentions", "must be a list of one pubkey"),
            None => errors.push(key, label, expected),
        },
        _ => errors.push(key, label, expected),
    }
}

fn check_block_filter(value: &Value, field: &FieldSpec, errors: &mut Errors) {
    let (key, label) = (field.key, field.label);
    let expected = "expected all or {\"mentionsAccountOrProgram\": pubkey}";
    match value {
        Value::String(text) if text == "all" => {}
        Value::String(text) => {
            errors.push(key, label, format!("unknown filter `{}`; {expected}", quoted(text)))
        }
        Value::Object(object) => match object.get("mentionsAccountOrProgram") {
            Some(pubkey) => check_text(
                pubkey,
                &format!("{key}.mentionsAccountOrProgram"),
                "Mentions account or program",
                check_pubkey,
                errors,
            ),
            None => errors.push(key, label, expected),
        },
        _ => errors.push(key, label, expected),
    }
}

fn check_topics(
    value: &Value,
    field: &FieldSpec,
    max_positions: usize,
    max_alternatives: usize,
    errors: &mut Errors,
) {
    let (key, label) = (field.key, field.label);
    let Some(positions) = value.as_array() else {
        errors.push(key, label, "must be a list of topic positions");
        return;
    };
    if positions.len() > max_positions {
        errors.push(key, label, format!("{} positions; at most {max_positions}", positions.len()));
    }
    for (index, position) in positions.iter().enumerate() {
        let path = format!("{key}.{index}");
        let name = format!("Topic {index}");
        match position {
            Value::Null => {}
            Value::String(_) => check_text(position, &path, &name, check_topic, errors),
            Value::Array(alternatives) => {
                if alternatives.len() > max_alternatives {
                    errors.push(
                        &path,
                        &name,
                        format!("{} alternatives; at most {max_alternatives}", alternatives.len()),
                    );
                }
                for (alternative_index, alternative) in alternatives.iter().enumerate() {
                    if !alternative.is_null() {
                        let alternative_label = format!("{name} #{}", alternative_index + 1);
                        let alternative_path = format!("{path}.{alternative_index}");
                        check_text(alternative, &alternative_path, &alternative_label, check_topic, errors);
                    }
                }
            }
            _ => errors.push(path, &name, "must be null, a topic or a list of topics"),
        }
    }
}

fn check_from_to(value: &Value, field: &FieldSpec, max: usize, errors: &mut Errors) {
    let (key, label) = (field.key, field.label);
    let Some(rows) = value.as_array() else {
        errors.push(key, label, "must be a list of {from, to} objects");
        return;
    };
    let mut total = 0_usize;
    for (index, row) in rows.iter().enumerate() {
        let path = format!("{key}.{index}");
        let name = format!("{label} #{}", index + 1);
        let Some(row) = row.as_object() else {
            errors.push(path, &name, "must be an object {from?, to?}");
            continue;
        };
        let sides: Vec<(&str, &Value)> = ["from", "to"]
            .into_iter()
            .filter_map(|side| row.get(side).filter(|value| !value.is_null()).map(|value| (side, value)))
            .collect();
        if sides.is_empty() {
            errors.push(&path, &name, "needs from, to or both");
        }
        total += sides.len();
        for (side, address) in sides {
            check_text(
                address,
                &format!("{path}.{side}"),
                &format!("{name} {side}"),
                check_eth_address,
                errors,
            );
        }
    }
    if total > max {
        errors.push(key, label, format!("{total} addresses in total; at most {max}"));
    }
}

fn check_data_slice(value: &Value, field: &FieldSpec, errors: &mut Errors) {
    let (key, label) = (field.key, field.label);
    let Some(slice) = value.as_object() else {
        errors.push(key, label, "must be {offset, length}");
        return;
    };
    check_usize(slice.get("offset"), &format!("{key}.offset"), &format!("{label} offset"), errors);
    check_usize(slice.get("length"), &format!("{key}.length"), &format!("{label} length"), errors);
}

fn check_method_name(value: &Value, path: &str, label: &str, errors: &mut Errors) {
    match value.as_str() {
        Some("") => errors.push(path, label, "required"),
        Some(name) if name.chars().any(char::is_whitespace) => {
            errors.push(path, label, "must not contain spaces");
        }
        Some(_) => {}
        None => errors.push(path, label, "must be a string"),
    }
}

/// Rules that involve more than one field.
fn check_across_fields(spec: &MethodSpec, items: &[Value], errors: &mut Errors) {
    if spec.subscription_kind == Some("alchemy_pendingTransactions") {
        let mut unique = BTreeSet::new();
        let mut ignored = Errors::default();
        for key in ["fromAddress", "toAddress"] {
            if let Some(value) = spec.field(key).and_then(|field| lookup(items, field)) {
                unique.extend(
                    addresses_of(value, key, key, &mut ignored).into_iter().map(str::to_ascii_lowercase),
                );
            }
        }
        if unique.len() > ALCHEMY_MAX_ADDRESSES {
            errors.push(
                "toAddress",
                "From and to addresses",
                format!(
                    "{} unique addresses together; Alchemy accepts at most {ALCHEMY_MAX_ADDRESSES}",
                    unique.len()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests;
