//! Item identity: the key that says two notifications, from two endpoints, carry the same
//! item (the same slot, the same transaction, the same block), so deliveries can be compared.
//!
//! | notification | key |
//! |---|---|
//! | Solana `slotNotification` | slot |
//! | `rootNotification` | root |
//! | `slotsUpdatesNotification` | update type + slot |
//! | `accountNotification` | context slot (the pubkey is the subscription's own) |
//! | `programNotification` | pubkey + context slot |
//! | `logsNotification`, Helius `transactionNotification` | signature + slot |
//! | `signatureNotification` | context slot, and whether it is the `receivedSignature` report |
//! | `blockNotification` | slot |
//! | `voteNotification` | signature |
//! | Ethereum `newHeads` | block hash (the number when there is no hash) |
//! | `logs` | block hash + transaction hash + log index + removed |
//! | pending transactions (hashes or objects, Alchemy's too) | transaction hash |
//! | Alchemy `alchemy_minedTransactions` | transaction hash + removed |
//!
//! The frame is read once, by one serde pass into borrowed fields that skip everything else
//! (an account's data, a block's transactions), whatever order its members come in.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{Chain, Payload};

/// What kind of item a key names (a slot 5 and a root 5 are different items).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    /// A Solana slot (`slotNotification`).
    Slot,
    /// A Solana root.
    Root,
    /// A slot update (`slotsUpdatesNotification`).
    SlotUpdate,
    /// An account change.
    Account,
    /// A program account change.
    ProgramAccount,
    /// A transaction's logs.
    Logs,
    /// A signature status.
    Signature,
    /// A Solana block.
    Block,
    /// A gossip vote.
    Vote,
    /// A Helius transaction.
    Transaction,
    /// An Ethereum block header (`newHeads`).
    NewHead,
    /// An Ethereum log.
    Log,
    /// A pending Ethereum transaction (hash or object).
    PendingTransaction,
    /// An Alchemy mined transaction.
    MinedTransaction,
    /// The `syncing` subscription's `false`.
    Synced,
}

impl ItemKind {
    /// A short lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Slot => "slot",
            Self::Root => "root",
            Self::SlotUpdate => "slot update",
            Self::Account => "account",
            Self::ProgramAccount => "program account",
            Self::Logs => "logs",
            Self::Signature => "signature",
            Self::Block => "block",
            Self::Vote => "vote",
            Self::Transaction => "transaction",
            Self::NewHead => "head",
            Self::Log => "log",
            Self::PendingTransaction => "pending tx",
            Self::MinedTransaction => "mined tx",
            Self::Synced => "synced",
        }
    }
}

/// The identity of one notification's item; equal keys from two endpoints are one item.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemKey {
    /// What it is.
    pub kind: ItemKind,
    /// The slot or block number, when it is part of the identity.
    pub height: Option<u64>,
    /// The signature, hash, pubkey or update type.
    pub id: Option<Box<str>>,
    /// A second hash (a log's transaction hash).
    pub second: Option<Box<str>>,
    /// A log's index in its block.
    pub index: Option<u64>,
    /// Whether a reorg removed it (a log or mined transaction sent again with `removed`).
    pub removed: bool,
}

impl ItemKey {
    /// The block number of a `newHeads` item, for gap detection.
    pub fn head_number(&self) -> Option<u64> {
        if self.kind == ItemKind::NewHead { self.height } else { None }
    }
}

/// An [`ItemKey`] as read, its names borrowed from the frame: what [`item_fingerprint`] hashes
/// without allocating.
struct Parts<'a> {
    kind: ItemKind,
    height: Option<u64>,
    id: Option<Cow<'a, str>>,
    second: Option<Cow<'a, str>>,
    index: Option<u64>,
    removed: bool,
}

impl<'a> Parts<'a> {
    fn new(kind: ItemKind) -> Self {
        Self { kind, height: None, id: None, second: None, index: None, removed: false }
    }

    fn at(mut self, height: Option<u64>) -> Self {
        self.height = height;
        self
    }

    fn named(mut self, id: Option<Cow<'a, str>>) -> Self {
        self.id = id;
        self
    }

    fn owned(self) -> ItemKey {
        ItemKey {
            kind: self.kind,
            height: self.height,
            id: self.id.map(Into::into),
            second: self.second.map(Into::into),
            index: self.index,
            removed: self.removed,
        }
    }
}

/// What a comparison keeps of an item: a 64-bit hash of its whole key, and where it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemFingerprint {
    /// The hash of every part of the [`ItemKey`] (equal keys, equal hashes, within a run).
    pub id: u64,
    /// The key's slot or block number.
    pub height: Option<u64>,
    /// [`ItemKey::head_number`].
    pub head: Option<u64>,
}

impl Parts<'_> {
    fn fingerprint(&self) -> ItemFingerprint {
        use std::hash::{BuildHasher as _, Hash as _, Hasher as _};
        // One fixed seed: a run's fingerprints are compared with each other only.
        let mut hasher = foldhash::quality::FixedState::with_seed(0x5ab5_c09e).build_hasher();
        self.kind.hash(&mut hasher);
        self.height.hash(&mut hasher);
        self.id.as_deref().hash(&mut hasher);
        self.second.as_deref().hash(&mut hasher);
        self.index.hash(&mut hasher);
        self.removed.hash(&mut hasher);
        let head = (self.kind == ItemKind::NewHead).then_some(self.height).flatten();
        ItemFingerprint { id: hasher.finish(), height: self.height, head }
    }
}

impl fmt::Display for ItemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.name())?;
        if let Some(height) = self.height {
            write!(f, " {height}")?;
        }
        if let Some(id) = &self.id {
            write!(f, " {}", short(id))?;
        }
        if let Some(second) = &self.second {
            write!(f, " tx {}", short(second))?;
        }
        if let Some(index) = self.index {
            write!(f, " #{index}")?;
        }
        if self.removed {
            f.write_str(" removed")?;
        }
        Ok(())
    }
}

/// The first 10 characters of a long hash or signature, then `…`.
fn short(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(10) {
        Some((at, _)) => Cow::Owned(format!("{}…", &text[..at])),
        None => Cow::Borrowed(text),
    }
}

/// The identity of a notification's item; `None` for a frame that is not a notification of a
/// known kind, or lacks what its key needs. Never panics.
///
/// Nearly every frame is read in one pass by the scanner that classifies frames, picking the
/// members a key is made of (`identity::fast`); what it does not answer for (an escape where a key is
/// read, a member twice, a number serde reads otherwise) goes to one serde pass, which
/// decides. Both give the same key (a property test holds them to it).
pub fn item_key(raw: &str) -> Option<ItemKey> {
    parts(raw).map(Parts::owned)
}

/// [`item_key`]'s fingerprint, read without allocating: what `compare` keeps per delivery.
pub fn item_fingerprint(raw: &str) -> Option<ItemFingerprint> {
    parts(raw).map(|parts| parts.fingerprint())
}

/// What [`crate::protocol::parse_incoming`] makes of a frame and, for a notification, its
/// [`item_fingerprint`], in the one pass that classifies it: the scanner hands `params.result`
/// to the identity's reader instead of skipping it. For the connection's thread to identify
/// items while it classifies them, with the frame in its cache, rather than a consumer
/// reading every frame a second time.
///
/// The fingerprint is `None` when this pass cannot tell (a frame the scanner leaves to serde,
/// a result the fast reader leaves to serde, a second `result`): [`item_fingerprint`]
/// decides then. When it is `Some`, it is what [`item_fingerprint`] gives (a property test
/// holds them to it), `Some(None)` for a notification with no item identity.
pub fn parse_identified(raw: &str) -> (crate::protocol::Incoming<'_>, Option<Option<ItemFingerprint>>) {
    use crate::protocol::Incoming;
    let walk = crate::protocol::scan::Walk::new(raw);
    let (mut result, mut reads, mut answered) = (None, 0, true);
    let (incoming, read) = crate::protocol::parse_incoming_reading(raw, |at| {
        reads += 1;
        match fast::result_into(walk, at, &mut result) {
            Some(end) => Some(end),
            None => {
                answered = false;
                walk.skip(at, 2)
            }
        }
    });
    let identity = match &incoming {
        Incoming::Notification { method, .. } if read && answered && reads <= 1 => {
            Some(result.and_then(|result| key_of(method, result)).map(|parts| parts.fingerprint()))
        }
        _ => None,
    };
    (incoming, identity)
}

fn parts(raw: &str) -> Option<Parts<'_>> {
    if !raw.trim_start().starts_with('{') {
        return None;
    }
    match fast::read(raw) {
        Some(Some((method, result))) => key_of(method, result),
        Some(None) => None,
        None => parts_by_serde(raw),
    }
}

/// [`item_key`] by serde alone.
#[cfg(test)]
fn item_key_by_serde(raw: &str) -> Option<ItemKey> {
    parts_by_serde(raw).map(Parts::owned)
}

fn parts_by_serde(raw: &str) -> Option<Parts<'_>> {
    let frame: Frame<'_> = serde_json::from_str(raw).ok()?;
    key_of(&frame.method?, frame.params?.result?)
}

/// The key of a notification of `method` whose result is `result`.
fn key_of<'a>(method: &str, result: ResultField<'a>) -> Option<Parts<'a>> {
    let payload = Payload::of_notification(method);
    let ethereum = payload.chain() == Some(Chain::Ethereum);
    let fields = match result {
        ResultField::Height(height) => {
            return (payload == Payload::SolanaRoot).then(|| Parts::new(ItemKind::Root).at(Some(height)));
        }
        ResultField::Text(hash) => {
            return ethereum.then(|| Parts::new(ItemKind::PendingTransaction).named(Some(lower(hash))));
        }
        ResultField::False => return ethereum.then(|| Parts::new(ItemKind::Synced)),
        ResultField::Fields(fields) => fields,
    };
    let context_slot = fields.context.as_ref().and_then(|context| context.slot);
    let value = match &fields.value {
        Some(ValueField::Fields(value)) => Some(value),
        _ => None,
    };
    let key = match payload {
        Payload::SolanaSlot => Parts::new(ItemKind::Slot).at(Some(fields.slot?)),
        Payload::SolanaSlotsUpdates => {
            Parts::new(ItemKind::SlotUpdate).at(Some(fields.slot?)).named(fields.kind)
        }
        Payload::SolanaAccount => Parts::new(ItemKind::Account).at(Some(context_slot?)),
        Payload::SolanaProgram => {
            Parts::new(ItemKind::ProgramAccount).at(Some(context_slot?)).named(Some(value?.pubkey.clone()?))
        }
        Payload::SolanaLogs => {
            Parts::new(ItemKind::Logs).at(context_slot).named(Some(value?.signature.clone()?))
        }
        Payload::SolanaSignature => {
            let received =
                matches!(&fields.value, Some(ValueField::Text(text)) if text == "receivedSignature");
            let key = Parts::new(ItemKind::Signature).at(Some(context_slot?));
            if received { key.named(Some(Cow::Borrowed("receivedSignature"))) } else { key }
        }
        Payload::SolanaBlock => {
            Parts::new(ItemKind::Block).at(Some(value.and_then(|v| v.slot).or(context_slot)?))
        }
        Payload::SolanaVote => Parts::new(ItemKind::Vote).named(Some(fields.signature?)),
        Payload::HeliusTransaction => {
            Parts::new(ItemKind::Transaction).at(fields.slot).named(Some(fields.signature?))
        }
        Payload::EthNewHeads
        | Payload::EthLogs
        | Payload::EthPendingTransactions
        | Payload::EthSyncing
        | Payload::AlchemyMinedTransactions
        | Payload::EthAny => return ethereum_key(fields),
        // A root is a bare number, read above; an object is not one.
        Payload::SolanaRoot | Payload::Unknown => return None,
    };
    Some(key)
}

/// An `eth_subscription` object result, recognised by shape as the summaries do.
fn ethereum_key(fields: Fields<'_>) -> Option<Parts<'_>> {
    if let (Some(removed), Some(transaction)) = (fields.removed, &fields.transaction) {
        let mut key = Parts::new(ItemKind::MinedTransaction).named(Some(lower(transaction.hash.clone()?)));
        key.removed = removed;
        return Some(key);
    }
    if fields.topics.is_some() || fields.log_index.is_some() {
        let mut key = Parts::new(ItemKind::Log).named(fields.block_hash.map(lower));
        key.second = fields.transaction_hash.map(lower);
        key.index = fields.log_index.as_deref().and_then(hex_u64);
        key.removed = fields.removed.unwrap_or(false);
        return (key.id.is_some() || key.second.is_some()).then_some(key);
    }
    if fields.parent_hash.is_some()
        && let Some(number) = fields.number.as_deref().and_then(hex_u64)
    {
        // The number stays in the key for gap detection; two heads with one hash have one number.
        let key = Parts::new(ItemKind::NewHead).at(Some(number));
        return Some(key.named(fields.hash.map(lower)));
    }
    fields.hash.map(|hash| Parts::new(ItemKind::PendingTransaction).named(Some(lower(hash))))
}

/// Ethereum hex in lower case, so providers that differ in case agree.
fn lower(text: Cow<'_, str>) -> Cow<'_, str> {
    if text.bytes().any(|byte| byte.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        text
    }
}

/// A `0x` quantity that fits in u64.
fn hex_u64(text: &str) -> Option<u64> {
    let digits = text.strip_prefix("0x")?;
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    params: Option<Params<'a>>,
}

#[derive(Deserialize)]
struct Params<'a> {
    #[serde(borrow, default)]
    result: Option<ResultField<'a>>,
}

#[derive(Deserialize, Default)]
struct Context {
    slot: Option<u64>,
}

#[derive(Deserialize, Default)]
struct Transaction<'a> {
    #[serde(borrow, default)]
    hash: Option<Cow<'a, str>>,
}

/// Every member any notification's key is made of, at one level of a result object; the
/// rest is skipped.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Fields<'a> {
    context: Option<Context>,
    #[serde(borrow, default)]
    value: Option<ValueField<'a>>,
    slot: Option<u64>,
    #[serde(borrow, default, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    signature: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pubkey: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    hash: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    number: Option<Cow<'a, str>>,
    parent_hash: Option<IgnoredAny>,
    topics: Option<IgnoredAny>,
    #[serde(borrow, default)]
    block_hash: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    transaction_hash: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    log_index: Option<Cow<'a, str>>,
    removed: Option<bool>,
    #[serde(borrow, default)]
    transaction: Option<Transaction<'a>>,
}

/// A notification's `result`: a number (a root), a string (a pending transaction hash),
/// `false` (synced) or an object.
#[expect(
    clippy::large_enum_variant,
    reason = "one lives on the stack per frame; a box would allocate per frame"
)]
enum ResultField<'a> {
    Height(u64),
    Text(Cow<'a, str>),
    False,
    Fields(Fields<'a>),
}

/// A Solana `value`: a string (`receivedSignature`), an object, or anything else (skipped).
enum ValueField<'a> {
    Text(Cow<'a, str>),
    Fields(ValueFields<'a>),
    Other,
}

/// The members of a Solana `value` object any key is made of; the rest is skipped. (Only these
/// three: read in place, without the allocation a whole [`Fields`] nested in one would take.)
#[derive(Deserialize, Default)]
struct ValueFields<'a> {
    slot: Option<u64>,
    #[serde(borrow, default)]
    signature: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pubkey: Option<Cow<'a, str>>,
}

/// Reads a string borrowed when it has no escapes.
struct CowVisitor;

impl<'de> Visitor<'de> for CowVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(text))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(text.to_owned()))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ResultField<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ResultVisitor;

        impl<'de> Visitor<'de> for ResultVisitor {
            type Value = ResultField<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a notification result")
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
                Ok(ResultField::Height(value))
            }

            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
                if value { Err(E::custom("unexpected true")) } else { Ok(ResultField::False) }
            }

            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                CowVisitor.visit_borrowed_str(text).map(ResultField::Text)
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                CowVisitor.visit_str(text).map(ResultField::Text)
            }

            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                Fields::deserialize(de::value::MapAccessDeserializer::new(map)).map(ResultField::Fields)
            }
        }

        deserializer.deserialize_any(ResultVisitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ValueField<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;

        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = ValueField<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a notification value")
            }

            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                CowVisitor.visit_borrowed_str(text).map(ValueField::Text)
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                CowVisitor.visit_str(text).map(ValueField::Text)
            }

            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                let fields = ValueFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(ValueField::Fields(fields))
            }

            fn visit_seq<S: de::SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ValueField::Other)
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(ValueField::Other)
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(ValueField::Other)
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(ValueField::Other)
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(ValueField::Other)
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(ValueField::Other)
            }
        }

        deserializer.deserialize_any(ValueVisitor)
    }
}

mod fast;

#[cfg(test)]
#[path = "identity_tests.rs"]
mod tests;
