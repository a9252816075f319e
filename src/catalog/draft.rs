//! Form state: what the user typed for one method, kept as text so a half-typed form survives
//! a restart.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{FieldKind, FieldSpec, MethodSpec, find};

/// The value of one form field, as the user typed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FieldValue {
    /// Text inputs: pubkeys, signatures, addresses, choices, integers, method names, JSON.
    Text(String),
    /// A checkbox.
    Bool(bool),
    /// A list of pubkeys or addresses, one entry per item (blank entries are ignored).
    List(Vec<String>),
    /// `programSubscribe` filter rows.
    ProgramFilters(Vec<ProgramFilterRow>),
    /// The `logsSubscribe` filter.
    LogsFilter(LogsFilterValue),
    /// The `blockSubscribe` filter.
    BlockFilter(BlockFilterValue),
    /// Ethereum log topic positions.
    Topics(Vec<TopicRow>),
    /// Alchemy `{from, to}` address rows.
    FromTo(Vec<FromToRow>),
    /// `dataSlice` offset and length.
    DataSlice(DataSliceValue),
}

impl FieldValue {
    /// The value a new draft starts with for `field`.
    pub fn default_for(field: &FieldSpec) -> Self {
        match field.kind {
            FieldKind::Pubkey
            | FieldKind::Signature
            | FieldKind::EthAddress
            | FieldKind::EthTopic
            | FieldKind::Choice(_)
            | FieldKind::Integer { .. }
            | FieldKind::MethodName
            | FieldKind::Json => Self::Text(field.default.to_owned()),
            FieldKind::Bool => Self::Bool(field.default == "true"),
            FieldKind::PubkeyList { .. } | FieldKind::AddressList { .. } => Self::List(Vec::new()),
            FieldKind::ProgramFilters { .. } => Self::ProgramFilters(Vec::new()),
            FieldKind::LogsFilter => Self::LogsFilter(LogsFilterValue {
                mode: match field.default {
                    "allWithVotes" => LogsFilterMode::AllWithVotes,
                    "mentions" => LogsFilterMode::Mentions,
                    _ => LogsFilterMode::All,
                },
                mentions: Vec::new(),
            }),
            FieldKind::BlockFilter => Self::BlockFilter(BlockFilterValue::default()),
            FieldKind::Topics { .. } => Self::Topics(Vec::new()),
            FieldKind::FromToAddresses { .. } => Self::FromTo(Vec::new()),
            FieldKind::DataSlice => Self::DataSlice(DataSliceValue::default()),
        }
    }

    /// Whether this value has the shape `kind` expects (a stale persisted draft may not).
    pub fn fits(&self, kind: &FieldKind) -> bool {
        matches!(
            (self, kind),
            (
                Self::Text(_),
                FieldKind::Pubkey
                    | FieldKind::Signature
                    | FieldKind::EthAddress
                    | FieldKind::EthTopic
                    | FieldKind::Choice(_)
                    | FieldKind::Integer { .. }
                    | FieldKind::MethodName
                    | FieldKind::Json
            ) | (Self::Bool(_), FieldKind::Bool)
                | (Self::List(_), FieldKind::PubkeyList { .. } | FieldKind::AddressList { .. })
                | (Self::ProgramFilters(_), FieldKind::ProgramFilters { .. })
                | (Self::LogsFilter(_), FieldKind::LogsFilter)
                | (Self::BlockFilter(_), FieldKind::BlockFilter)
                | (Self::Topics(_), FieldKind::Topics { .. })
                | (Self::FromTo(_), FieldKind::FromToAddresses { .. })
                | (Self::DataSlice(_), FieldKind::DataSlice)
        )
    }

    /// The text of a text value.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            _ => None,
        }
    }

    /// Splits pasted text into list entries at whitespace, commas and semicolons.
    pub fn list_from_text(text: &str) -> Vec<String> {
        text.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|entry| !entry.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// How a memcmp filter's `bytes` are encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MemcmpEncoding {
    /// base58, the server default (not sent).
    #[default]
    Base58,
    /// base64 (sent as `"encoding":"base64"`).
    Base64,
}

impl MemcmpEncoding {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Base58 => "base58",
            Self::Base64 => "base64",
        }
    }
}

/// One `programSubscribe` filter row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ProgramFilterRow {
    /// `{"dataSize": size}`: accounts whose data is exactly this long.
    DataSize {
        /// The length in bytes, as typed.
        size: String,
    },
    /// `{"memcmp": {offset, bytes, encoding?}}`: accounts whose data holds `bytes` at `offset`.
    Memcmp {
        /// The byte offset, as typed.
        offset: String,
        /// The bytes to compare, encoded in `encoding`.
        bytes: String,
        /// How `bytes` is encoded.
        encoding: MemcmpEncoding,
    },
    /// `"tokenAccountState"`: initialised token accounts only.
    TokenAccountState,
}

impl ProgramFilterRow {
    /// An empty dataSize row.
    pub fn data_size() -> Self {
        Self::DataSize { size: String::new() }
    }

    /// An empty base58 memcmp row.
    pub fn memcmp() -> Self {
        Self::Memcmp { offset: String::new(), bytes: String::new(), encoding: MemcmpEncoding::Base58 }
    }
}

/// Which transactions `logsSubscribe` reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LogsFilterMode {
    /// `"all"`: every transaction except simple votes.
    #[default]
    All,
    /// `"allWithVotes"`: every transaction.
    AllWithVotes,
    /// `{"mentions": [pubkey]}`: transactions mentioning the pubkey.
    Mentions,
}

/// The `logsSubscribe` filter as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogsFilterValue {
    /// The filter mode.
    pub mode: LogsFilterMode,
    /// The mentioned pubkeys (the node accepts exactly one); used in `Mentions` mode.
    pub mentions: Vec<String>,
}

/// Which blocks `blockSubscribe` reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BlockFilterMode {
    /// `"all"`: every block.
    #[default]
    All,
    /// `{"mentionsAccountOrProgram": pubkey}`: transactions mentioning the pubkey.
    MentionsAccountOrProgram,
}

/// The `blockSubscribe` filter as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlockFilterValue {
    /// The filter mode.
    pub mode: BlockFilterMode,
    /// The pubkey, used in `MentionsAccountOrProgram` mode.
    pub pubkey: String,
}

/// One Ethereum topic position: no alternatives means any topic (`null`), one means that
/// topic, several mean any of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopicRow {
    /// The alternatives, as typed (blank entries are ignored).
    pub any_of: Vec<String>,
}

/// One Alchemy `{from, to}` address row; blank sides are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FromToRow {
    /// The sender address.
    pub from: String,
    /// The recipient address.
    pub to: String,
}

/// `dataSlice` as typed; both blank means no slice.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataSliceValue {
    /// The byte offset.
    pub offset: String,
    /// The number of bytes.
    pub length: String,
}

/// The form state of one method: its id, each field's value as typed, and which fields the
/// user set on purpose.
///
/// A field is sent when it is required, when its value differs from the default, or when the
/// user marked it explicit (to send a default value anyway, as some provider examples do).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Draft {
    /// The [`MethodSpec::id`] this draft is for.
    pub method: String,
    /// Field values by [`FieldSpec::key`].
    pub values: BTreeMap<String, FieldValue>,
    /// Keys of fields sent even when they hold their default value.
    pub explicit: BTreeSet<String>,
    /// Whether a subscription made from it has the notifications it missed while its
    /// connection was down recovered afterwards, where its kind allows (on unless the user
    /// turned it off on the subscription). Written only when off.
    #[serde(skip_serializing_if = "is_on")]
    pub recover: bool,
}

impl Default for Draft {
    fn default() -> Self {
        Self { method: String::new(), values: BTreeMap::new(), explicit: BTreeSet::new(), recover: true }
    }
}

/// Whether a flag is on (for `skip_serializing_if`: a default left out of the file).
#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde passes fields by reference")]
fn is_on(flag: &bool) -> bool {
    *flag
}

impl Draft {
    /// A draft for `spec` with every field at its default.
    pub fn new(spec: &MethodSpec) -> Self {
        Self {
            method: spec.id.to_owned(),
            values: spec
                .fields
                .iter()
                .map(|field| (field.key.to_owned(), FieldValue::default_for(field)))
                .collect(),
            explicit: BTreeSet::new(),
            recover: true,
        }
    }

    /// A default draft for the method with this id.
    pub fn for_method(id: &str) -> Option<Self> {
        find(id).map(Self::new)
    }

    /// The method this draft is for.
    pub fn spec(&self) -> Option<&'static MethodSpec> {
        find(&self.method)
    }

    /// The value of the field with this key.
    pub fn value(&self, key: &str) -> Option<&FieldValue> {
        self.values.get(key)
    }

    /// The value of the field with this key, for a form widget to edit in place.
    pub fn value_mut(&mut self, key: &str) -> Option<&mut FieldValue> {
        self.values.get_mut(key)
    }

    /// The text of a text field, for a text edit to bind to.
    pub fn text_mut(&mut self, key: &str) -> Option<&mut String> {
        match self.values.get_mut(key) {
            Some(FieldValue::Text(text)) => Some(text),
            _ => None,
        }
    }

    /// The flag of a bool field, for a checkbox to bind to.
    pub fn bool_mut(&mut self, key: &str) -> Option<&mut bool> {
        match self.values.get_mut(key) {
            Some(FieldValue::Bool(flag)) => Some(flag),
            _ => None,
        }
    }

    /// Sets a field and marks it explicit, so it is sent even if it equals the default.
    /// Keys the method does not have, and values of the wrong shape for the field, are
    /// ignored.
    pub fn set(&mut self, key: &str, value: FieldValue) {
        let Some(field) = self.spec().and_then(|spec| spec.field(key)) else {
            return;
        };
        if value.fits(&field.kind) {
            self.values.insert(key.to_owned(), value);
            self.explicit.insert(key.to_owned());
        }
    }

    /// Sets a text field and marks it explicit.
    pub fn set_text(&mut self, key: &str, text: impl Into<String>) {
        self.set(key, FieldValue::Text(text.into()));
    }

    /// Sets a bool field and marks it explicit.
    pub fn set_bool(&mut self, key: &str, flag: bool) {
        self.set(key, FieldValue::Bool(flag));
    }

    /// Sets a list field from its entries and marks it explicit.
    pub fn set_list<S: Into<String>>(&mut self, key: &str, entries: impl IntoIterator<Item = S>) {
        let entries = entries.into_iter().map(Into::into).collect();
        self.set(key, FieldValue::List(entries));
    }

    /// Marks a field explicit: it is sent even while it holds its default value.
    pub fn mark_explicit(&mut self, key: &str) {
        self.explicit.insert(key.to_owned());
    }

    /// Whether the user marked the field explicit.
    pub fn is_explicit(&self, key: &str) -> bool {
        self.explicit.contains(key)
    }

    /// Puts a field back to its default and stops sending it.
    pub fn reset(&mut self, key: &str) {
        self.explicit.remove(key);
        if let Some(field) = self.spec().and_then(|spec| spec.field(key)) {
            self.values.insert(key.to_owned(), FieldValue::default_for(field));
        }
    }

    /// Brings a persisted draft in line with the current catalogue: missing or mis-shaped
    /// values get their default, and keys the method no longer has are dropped.
    pub fn repair(&mut self) {
        let Some(spec) = self.spec() else {
            return;
        };
        self.values.retain(|key, value| spec.field(key).is_some_and(|field| value.fits(&field.kind)));
        self.explicit.retain(|key| spec.field(key).is_some());
        for field in spec.fields {
            self.values.entry(field.key.to_owned()).or_insert_with(|| FieldValue::default_for(field));
        }
    }

    /// The field's value, or its default when the draft lacks it or holds the wrong shape.
    pub fn effective(&self, field: &FieldSpec) -> FieldValue {
        match self.values.get(field.key) {
            Some(value) if value.fits(&field.kind) => value.clone(),
            _ => FieldValue::default_for(field),
        }
    }

    /// Whether the field goes into the request (if it has a value): it is required (also by
    /// a condition that holds), explicit, or changed from its default.
    pub fn will_send(&self, field: &FieldSpec) -> bool {
        field.required
            || self.is_explicit(field.key)
            || self.condition_holds(field)
            || self.effective(field) != FieldValue::default_for(field)
    }

    /// Whether the field's [`FieldSpec::required_when`] condition holds for this draft.
    pub fn condition_holds(&self, field: &FieldSpec) -> bool {
        let Some(condition) = field.required_when else {
            return false;
        };
        let Some(other) = self.spec().and_then(|spec| spec.field(condition.field)) else {
            return false;
        };
        let value = self.effective(other);
        let text = value.as_text().map_or("", str::trim);
        condition.any_of.contains(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(id: &str) -> Draft {
        Draft::for_method(id).unwrap_or_default()
    }

    #[test]
    fn new_draft_holds_every_field_at_its_default() {
        let draft = draft("signatureSubscribe");
        assert_eq!(draft.method, "signatureSubscribe");
        assert_eq!(draft.value("commitment"), Some(&FieldValue::Text("finalized".to_owned())));
        assert_eq!(draft.value("enableReceivedNotification"), Some(&FieldValue::Bool(false)));
        assert!(draft.explicit.is_empty());
    }

    #[test]
    fn defaults_are_not_sent_until_changed_or_marked_explicit() {
        let mut draft = draft("signatureSubscribe");
        let spec = draft.spec().map(|spec| spec.fields);
        let Some([signature, commitment, _]) = spec else {
            panic!("signatureSubscribe has three fields");
        };
        assert!(draft.will_send(signature), "required fields are always sent");
        assert!(!draft.will_send(commitment));
        if let Some(text) = draft.text_mut("commitment") {
            "confirmed".clone_into(text);
        }
        assert!(draft.will_send(commitment));
        draft.reset("commitment");
        assert!(!draft.will_send(commitment));
        draft.mark_explicit("commitment");
        assert!(draft.will_send(commitment));
    }

    #[test]
    fn set_ignores_unknown_keys_and_mismatched_shapes() {
        let mut draft = draft("slotSubscribe");
        draft.set_text("commitment", "confirmed");
        assert!(draft.values.is_empty());
        let mut draft = Draft::for_method("accountSubscribe").unwrap_or_default();
        draft.set_bool("pubkey", true);
        assert_eq!(draft.value("pubkey"), Some(&FieldValue::Text(String::new())));
    }

    #[test]
    fn repair_restores_missing_fields_and_drops_stale_ones() {
        let mut draft = Draft {
            method: "accountSubscribe".to_owned(),
            values: BTreeMap::from([
                ("pubkey".to_owned(), FieldValue::Bool(true)),
                ("gone".to_owned(), FieldValue::Text("x".to_owned())),
            ]),
            explicit: BTreeSet::from(["gone".to_owned()]),
            recover: true,
        };
        draft.repair();
        assert_eq!(draft, Draft::for_method("accountSubscribe").unwrap_or_default());
    }

    #[test]
    fn drafts_round_trip_through_json() {
        let mut draft = draft("programSubscribe");
        draft.set("filters", FieldValue::ProgramFilters(vec![ProgramFilterRow::memcmp()]));
        let text = serde_json::to_string(&draft).unwrap_or_default();
        let back: Draft = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back, draft);
    }

    #[test]
    fn recovery_is_on_unless_turned_off_and_only_off_is_written() {
        let old: Draft = serde_json::from_str(r#"{"method":"slotSubscribe"}"#).unwrap_or_default();
        assert!(old.recover, "a draft saved before the setting existed recovers");
        let on = serde_json::to_string(&draft("slotSubscribe")).unwrap_or_default();
        assert!(!on.contains("recover"), "{on}");
        let off = Draft { recover: false, ..draft("slotSubscribe") };
        let text = serde_json::to_string(&off).unwrap_or_default();
        assert!(text.contains(r#""recover":false"#), "{text}");
        assert_eq!(serde_json::from_str::<Draft>(&text).ok(), Some(off));
    }

    #[test]
    fn list_from_text_splits_pasted_addresses() {
        let entries = FieldValue::list_from_text("a, b\nc;d  e");
        assert_eq!(entries, ["a", "b", "c", "d", "e"]);
    }
}
