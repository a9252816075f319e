//! Turning a [`Draft`] into a JSON-RPC request.
//!
//! Building has two steps: the draft's text becomes JSON (numbers that do not parse are passed
//! on as strings), then the JSON is checked by the same rules [`check_request`] applies to
//! hand-written bodies. A draft that fails produces no request.

use serde_json::{Map, Value};

use super::draft::{
    BlockFilterMode, BlockFilterValue, DataSliceValue, FieldValue, FromToRow, LogsFilterMode,
    LogsFilterValue, ProgramFilterRow, TopicRow,
};
use super::validate::{FieldError, check_agave_size, check_request, validate_params};
use super::{Draft, FieldKind, FieldSpec, MethodSpec, ParamPlace};

/// A request ready to send: the JSON-RPC method and positional params.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltRequest {
    /// The JSON-RPC method (`logsSubscribe`, `eth_subscribe`, or the one-off method).
    pub method: String,
    /// The params, or `None` to leave `params` out (as for `slotSubscribe`).
    pub params: Option<Value>,
}

impl BuiltRequest {
    /// The whole JSON-RPC 2.0 body with this request id.
    pub fn to_json(&self, id: u64) -> String {
        let mut body =
            format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":{}", Value::from(self.method.as_str()));
        if let Some(params) = &self.params {
            body.push_str(",\"params\":");
            body.push_str(&params.to_string());
        }
        body.push('}');
        body
    }
}

/// Builds the request a draft describes, or every problem with it (one [`FieldError`] per bad
/// field or nested value).
///
/// Only required fields, fields changed from their default and fields marked explicit are
/// sent, so requests stay as small as the providers' examples.
///
/// # Errors
///
/// Every invalid field (bad encoding, wrong length, out of range, too many entries), a
/// missing required field, an unknown method id, or a Solana request over Agave's 4,096-byte
/// limit; nothing is built then.
pub fn build(draft: &Draft) -> Result<BuiltRequest, Vec<FieldError>> {
    let Some(spec) = draft.spec() else {
        return Err(vec![FieldError::new("method", format!("Method: unknown method id `{}`", draft.method))]);
    };
    if spec.is_one_off() {
        return build_one_off(draft, spec);
    }
    let mut slots = Vec::new();
    if let Some(kind) = spec.subscription_kind {
        slots.push(Slot::Value(Value::from(kind)));
    }
    for field in spec.fields {
        if draft.will_send(field)
            && let Some(json) = field_json(field, &draft.effective(field))
        {
            place(&mut slots, field, json);
        }
    }
    let params = assemble(spec, slots);
    let mut errors = validate_params(spec, params.as_ref());
    if errors.is_empty()
        && spec.is_agave()
        && let Err(err) = check_agave_size(spec.rpc_method, params.as_ref())
    {
        errors.push(err);
    }
    if errors.is_empty() {
        Ok(BuiltRequest { method: spec.rpc_method.to_owned(), params })
    } else {
        Err(errors)
    }
}

/// One entry of the params array while it is being assembled.
enum Slot {
    Empty,
    Value(Value),
    Object(Map<String, Value>),
}

fn place(slots: &mut Vec<Slot>, field: &FieldSpec, json: Value) {
    let Some(index) = field.place.index() else {
        return;
    };
    if slots.len() <= index {
        slots.resize_with(index + 1, || Slot::Empty);
    }
    let Some(slot) = slots.get_mut(index) else {
        return;
    };
    match field.place {
        ParamPlace::Positional(_) => *slot = Slot::Value(json),
        ParamPlace::InObject(_) => {
            if let Slot::Object(object) = slot {
                object.insert(field.key.to_owned(), json);
            } else {
                *slot = Slot::Object(Map::from_iter([(field.key.to_owned(), json)]));
            }
        }
        ParamPlace::Envelope => {}
    }
}

/// The params array: trailing empty slots are dropped, except up to
/// [`MethodSpec::min_params`]; an empty config slot before a used one becomes `{}`.
fn assemble(spec: &MethodSpec, slots: Vec<Slot>) -> Option<Value> {
    let used = slots.iter().rposition(|slot| !matches!(slot, Slot::Empty)).map_or(0, |index| index + 1);
    let count = used.max(spec.min_params);
    if count == 0 {
        return None;
    }
    let mut slots = slots.into_iter();
    let items = (0..count)
        .map(|index| match slots.next() {
            Some(Slot::Value(value)) => value,
            Some(Slot::Object(object)) => Value::Object(object),
            Some(Slot::Empty) | None => {
                let is_config = spec.fields.iter().any(|field| field.place == ParamPlace::InObject(index));
                if is_config { Value::Object(Map::new()) } else { Value::Null }
            }
        })
        .collect();
    Some(Value::Array(items))
}

/// The trimmed text, or `None` when blank.
fn non_blank(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|text| !text.is_empty())
}

/// A number when the text parses as one, otherwise the text itself, which validation then
/// reports with what the user typed.
fn number_or_text(text: &str) -> Option<Value> {
    let text = non_blank(text)?;
    Some(text.parse::<u64>().map_or_else(|_| Value::from(text), Value::from))
}

/// The entries that are not blank, trimmed.
fn entries(list: &[String]) -> Vec<Value> {
    list.iter().filter_map(|entry| non_blank(entry)).map(Value::from).collect()
}

/// The JSON for one field's value, or `None` when it is blank (nothing to send).
fn field_json(field: &FieldSpec, value: &FieldValue) -> Option<Value> {
    match value {
        FieldValue::Text(text) => match field.kind {
            FieldKind::Integer { .. } => number_or_text(text),
            _ => non_blank(text).map(Value::from),
        },
        FieldValue::Bool(flag) => Some(Value::Bool(*flag)),
        FieldValue::List(list) => {
            let mut items = entries(list);
            match (field.kind, items.len()) {
                (_, 0) => None,
                (FieldKind::AddressList { .. }, 1) => items.pop(),
                _ => Some(Value::Array(items)),
            }
        }
        FieldValue::ProgramFilters(rows) => {
            (!rows.is_empty()).then(|| Value::Array(rows.iter().map(program_filter_json).collect()))
        }
        FieldValue::LogsFilter(filter) => Some(logs_filter_json(filter)),
        FieldValue::BlockFilter(filter) => Some(block_filter_json(filter)),
        FieldValue::Topics(rows) => {
            (!rows.is_empty()).then(|| Value::Array(rows.iter().map(topic_json).collect()))
        }
        FieldValue::FromTo(rows) => {
            let rows: Vec<Value> = rows.iter().filter_map(from_to_json).collect();
            (!rows.is_empty()).then_some(Value::Array(rows))
        }
        FieldValue::DataSlice(slice) => data_slice_json(slice),
    }
}

fn program_filter_json(row: &ProgramFilterRow) -> Value {
    match row {
        ProgramFilterRow::DataSize { size } => {
            let size = number_or_text(size).unwrap_or(Value::Null);
            Value::Object(Map::from_iter([("dataSize".to_owned(), size)]))
        }
        ProgramFilterRow::Memcmp { offset, bytes, encoding } => {
            let mut memcmp = Map::new();
            if let Some(offset) = number_or_text(offset) {
                memcmp.insert("offset".to_owned(), offset);
            }
            memcmp.insert("bytes".to_owned(), Value::from(bytes.trim()));
            if *encoding != super::MemcmpEncoding::Base58 {
                memcmp.insert("encoding".to_owned(), Value::from(encoding.as_str()));
            }
            Value::Object(Map::from_iter([("memcmp".to_owned(), Value::Object(memcmp))]))
        }
        ProgramFilterRow::TokenAccountState => Value::from("tokenAccountState"),
    }
}

fn logs_filter_json(filter: &LogsFilterValue) -> Value {
    match filter.mode {
        LogsFilterMode::All => Value::from("all"),
        LogsFilterMode::AllWithVotes => Value::from("allWithVotes"),
        LogsFilterMode::Mentions => {
            Value::Object(Map::from_iter([("mentions".to_owned(), Value::Array(entries(&filter.mentions)))]))
        }
    }
}

fn block_filter_json(filter: &BlockFilterValue) -> Value {
    match filter.mode {
        BlockFilterMode::All => Value::from("all"),
        BlockFilterMode::MentionsAccountOrProgram => Value::Object(Map::from_iter([(
            "mentionsAccountOrProgram".to_owned(),
            Value::from(filter.pubkey.trim()),
        )])),
    }
}

fn topic_json(row: &TopicRow) -> Value {
    let mut alternatives = entries(&row.any_of);
    match alternatives.len() {
        0 => Value::Null,
        1 => alternatives.pop().unwrap_or(Value::Null),
        _ => Value::Array(alternatives),
    }
}

fn from_to_json(row: &FromToRow) -> Option<Value> {
    let sides: Map<String, Value> = [("from", &row.from), ("to", &row.to)]
        .into_iter()
        .filter_map(|(side, address)| {
            non_blank(address).map(|address| (side.to_owned(), Value::from(address)))
        })
        .collect();
    (!sides.is_empty()).then_some(Value::Object(sides))
}

fn data_slice_json(slice: &DataSliceValue) -> Option<Value> {
    let sides: Map<String, Value> = [("offset", &slice.offset), ("length", &slice.length)]
        .into_iter()
        .filter_map(|(side, text)| number_or_text(text).map(|value| (side.to_owned(), value)))
        .collect();
    (!sides.is_empty()).then_some(Value::Object(sides))
}

/// Builds the one-off request: the typed method and JSON params, checked like a raw body.
fn build_one_off(draft: &Draft, spec: &MethodSpec) -> Result<BuiltRequest, Vec<FieldError>> {
    let text = |key: &str| {
        spec.field(key)
            .map(|field| draft.effective(field))
            .and_then(|value| value.as_text().map(|text| text.trim().to_owned()))
            .unwrap_or_default()
    };
    let (method, params_text) = (text("method"), text("params"));
    let mut errors = Vec::new();
    if method.is_empty() {
        errors.push(FieldError::new("method", "Method: required"));
    } else if method.chars().any(char::is_whitespace) {
        errors.push(FieldError::new("method", "Method: must not contain spaces"));
    }
    let params = if params_text.is_empty() {
        None
    } else {
        match serde_json::from_str::<Value>(&params_text) {
            Ok(value) if value.is_array() || value.is_object() => Some(value),
            Ok(_) => {
                errors.push(FieldError::new("params", "Params: must be a JSON array or object"));
                None
            }
            Err(err) => {
                errors.push(FieldError::new("params", format!("Params: not valid JSON ({err})")));
                None
            }
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let checked = check_request(&method, params.as_ref()).and_then(|()| {
        // Solana method names are camelCase; Ethereum ones have a namespace_ prefix. Agave's
        // size limit applies to the former.
        if method.contains('_') { Ok(()) } else { check_agave_size(&method, params.as_ref()) }
    });
    match checked {
        Ok(()) => Ok(BuiltRequest { method, params }),
        Err(err) => {
            let field = match err.field.as_str() {
                "params" | "request" => "params".to_owned(),
                nested => format!("params.{nested}"),
            };
            Err(vec![FieldError::new(field, err.message)])
        }
    }
}

#[cfg(test)]
mod tests;
