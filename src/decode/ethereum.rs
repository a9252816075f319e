//! Ethereum logs and transaction inputs, decoded with alloy against the built-in events and
//! calls and the user's ABIs.
//!
//! Events are looked up by `(topic0, topic count)`; candidates are tried in order of
//! precedence (an ABI bound to the emitting contract, then other user ABIs, then the
//! built-ins) and the first that decodes wins. Calls are looked up by their 4-byte selector
//! in the same order.

use std::collections::HashMap;
use std::str::FromStr as _;
use std::sync::Arc;

use alloy_dyn_abi::{DynSolEvent, DynSolType, DynSolValue, Specifier as _};
use alloy_json_abi::{Event, Function, JsonAbi};
use alloy_primitives::{Address, B256, U256, hex};
use serde_json::Value;

use super::builtin::{EVENTS, FUNCTIONS, TOKENS};
use super::text::{scale_amount, shorten_id, value_text};
use super::{Arg, Decoded, Detail, EthCall, EthEvent};
use crate::human::truncate;

/// A token's symbol and decimals, for amounts in its own units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The symbol: `USDC`.
    pub symbol: String,
    /// How many decimals one unit has.
    pub decimals: u8,
}

/// Which ABIs win: lower first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    /// A user ABI bound to this contract.
    Bound,
    /// A user ABI for any contract.
    User,
    /// Built in.
    Builtin,
}

struct EventEntry {
    event: Event,
    resolved: DynSolEvent,
    origin: Arc<str>,
    address: Option<Address>,
    amount: Option<String>,
    rank: Rank,
}

struct FunctionEntry {
    function: Function,
    /// The input types, resolved once: a tuple, decoded as the call's parameters.
    inputs: DynSolType,
    origin: Arc<str>,
    address: Option<Address>,
    amount: Option<String>,
    rank: Rank,
}

/// The events and calls known, by topic and selector, and the tokens known by address.
pub(super) struct EthRegistry {
    events: HashMap<(B256, usize), Vec<EventEntry>>,
    functions: HashMap<[u8; 4], Vec<FunctionEntry>>,
    tokens: HashMap<Address, Token>,
}

/// Why an ABI item cannot be used.
pub(super) type ItemError = String;

impl EthRegistry {
    /// The built-in events, calls and tokens.
    pub fn builtin() -> Self {
        let mut registry = Self { events: HashMap::new(), functions: HashMap::new(), tokens: HashMap::new() };
        for item in EVENTS {
            // Declarations are constants held by the tests: one that does not parse is skipped.
            if let Ok(event) = Event::parse(item.declaration) {
                let origin: Arc<str> = item.origin.into();
                registry.add_event(event, origin, None, item.amount.map(str::to_owned), Rank::Builtin).ok();
            }
        }
        for item in FUNCTIONS {
            if let Ok(function) = Function::parse(item.declaration)
                && let Ok(inputs) = resolve_inputs(&function)
            {
                registry.insert_function(FunctionEntry {
                    function,
                    inputs,
                    origin: item.origin.into(),
                    address: None,
                    amount: item.amount.map(str::to_owned),
                    rank: Rank::Builtin,
                });
            }
        }
        for (address, symbol, decimals) in TOKENS {
            if let Ok(address) = Address::from_str(address) {
                registry.tokens.insert(address, Token { symbol: (*symbol).to_owned(), decimals: *decimals });
            }
        }
        registry
    }

    /// Adds a user ABI's events and functions (anonymous events cannot be matched by topic
    /// and are skipped). Every item is checked first: one whose types do not resolve is an
    /// error naming it, and nothing of the ABI is added.
    pub fn add_abi(
        &mut self,
        abi: &JsonAbi,
        origin: &str,
        address: Option<Address>,
    ) -> Result<(), ItemError> {
        let origin: Arc<str> = origin.into();
        let rank = if address.is_some() { Rank::Bound } else { Rank::User };
        let events: Vec<(Event, DynSolEvent)> = abi
            .events()
            .filter(|event| !event.anonymous)
            .map(|event| {
                event
                    .resolve()
                    .map(|resolved| (event.clone(), resolved))
                    .map_err(|err| format!("event {}: {err}", event.signature()))
            })
            .collect::<Result<_, _>>()?;
        let functions: Vec<(Function, DynSolType)> = abi
            .functions()
            .map(|function| {
                resolve_inputs(function)
                    .map(|inputs| (function.clone(), inputs))
                    .map_err(|err| format!("function {}: {err}", function.signature()))
            })
            .collect::<Result<_, _>>()?;
        for (event, resolved) in events {
            self.insert_event(EventEntry {
                event,
                resolved,
                origin: origin.clone(),
                address,
                amount: None,
                rank,
            });
        }
        for (function, inputs) in functions {
            self.insert_function(FunctionEntry {
                function,
                inputs,
                origin: origin.clone(),
                address,
                amount: None,
                rank,
            });
        }
        Ok(())
    }

    fn add_event(
        &mut self,
        event: Event,
        origin: Arc<str>,
        address: Option<Address>,
        amount: Option<String>,
        rank: Rank,
    ) -> Result<(), ItemError> {
        let resolved = event.resolve().map_err(|err| err.to_string())?;
        self.insert_event(EventEntry { event, resolved, origin, address, amount, rank });
        Ok(())
    }

    fn insert_event(&mut self, entry: EventEntry) {
        let topics = 1 + entry.event.inputs.iter().filter(|input| input.indexed).count();
        let list = self.events.entry((entry.event.selector(), topics)).or_default();
        list.push(entry);
        // Stable: among equals, the first added wins.
        list.sort_by_key(|entry| entry.rank);
    }

    fn insert_function(&mut self, entry: FunctionEntry) {
        let list = self.functions.entry(entry.function.selector().0).or_default();
        list.push(entry);
        list.sort_by_key(|entry| entry.rank);
    }

    /// Sets (or replaces) a token's symbol and decimals.
    pub fn add_token(&mut self, address: Address, token: Token) {
        self.tokens.insert(address, token);
    }

    /// Decodes a log object (`address`, `topics`, `data`, `removed`); `None` when no ABI
    /// knows it (the log stays raw).
    pub fn decode_log(&self, log: &Value) -> Option<Decoded> {
        let contract = Address::from_str(log.get("address")?.as_str()?).ok()?;
        let topics: Vec<B256> = log
            .get("topics")?
            .as_array()?
            .iter()
            .map(|topic| topic.as_str().and_then(|text| B256::from_str(text).ok()))
            .collect::<Option<_>>()?;
        let data = hex::decode(log.get("data").and_then(Value::as_str).unwrap_or("0x")).ok()?;
        let removed = log.get("removed").and_then(Value::as_bool).unwrap_or(false);
        let candidates = self.events.get(&(*topics.first()?, topics.len()))?;
        let (entry, decoded) = candidates
            .iter()
            .filter(|entry| entry.address.is_none_or(|bound| bound == contract))
            .find_map(|entry| {
                entry
                    .resolved
                    .decode_log_parts(topics.iter().copied(), &data)
                    .ok()
                    .map(|decoded| (entry, decoded))
            })?;
        let (mut indexed, mut body) = (decoded.indexed.into_iter(), decoded.body.into_iter());
        let token = self.tokens.get(&contract);
        let params = entry.event.inputs.iter().filter_map(|input| {
            let value = if input.indexed { indexed.next() } else { body.next() }?;
            Some((input.name.as_str(), input.ty.as_str(), input.indexed, value))
        });
        let args = args_of(params, entry.amount.as_deref(), token);
        let summary = summary_line("", &entry.event.name, &args, entry.amount.as_deref(), removed);
        Some(Decoded {
            summary,
            detail: Detail::Event(EthEvent {
                name: entry.event.name.clone(),
                signature: entry.event.signature(),
                origin: entry.origin.to_string(),
                contract: contract.to_checksum(None),
                removed,
                args,
            }),
        })
    }

    /// Decodes a transaction's `input` by its selector; `None` for a plain transfer, a
    /// contract creation or a selector no ABI knows.
    pub fn decode_transaction(&self, transaction: &Value, removed: bool) -> Option<Decoded> {
        let input = transaction.get("input").or_else(|| transaction.get("data"))?.as_str()?;
        let input = hex::decode(input).ok()?;
        let selector: [u8; 4] = input.get(..4)?.try_into().ok()?;
        let contract =
            transaction.get("to").and_then(Value::as_str).and_then(|to| Address::from_str(to).ok());
        let candidates = self.functions.get(&selector)?;
        let (entry, values) = candidates
            .iter()
            .filter(|entry| entry.address.is_none() || entry.address == contract)
            .find_map(|entry| match entry.inputs.abi_decode_sequence(&input[4..]) {
                Ok(DynSolValue::Tuple(values)) => Some((entry, values)),
                _ => None,
            })?;
        let token = contract.and_then(|contract| self.tokens.get(&contract));
        let params = entry
            .function
            .inputs
            .iter()
            .zip(values)
            .map(|(input, value)| (input.name.as_str(), input.ty.as_str(), false, value));
        let args = args_of(params, entry.amount.as_deref(), token);
        let summary = summary_line("call ", &entry.function.name, &args, entry.amount.as_deref(), removed);
        Some(Decoded {
            summary,
            detail: Detail::Call(EthCall {
                name: entry.function.name.clone(),
                signature: entry.function.signature(),
                origin: entry.origin.to_string(),
                contract: contract.map(|contract| contract.to_checksum(None)),
                removed,
                args,
            }),
        })
    }
}

/// A function's input types as one tuple, resolved (an error names the type that is not).
fn resolve_inputs(function: &Function) -> Result<DynSolType, alloy_dyn_abi::Error> {
    let types = function.inputs.iter().map(|param| param.resolve()).collect::<Result<_, _>>()?;
    Ok(DynSolType::Tuple(types))
}

/// The arguments of an event or call, `(name, type, indexed, value)` in declaration order
/// (an unnamed one is `argN`); the one named `amount` also reads in the token's units when
/// the token is known.
fn args_of<'a>(
    params: impl Iterator<Item = (&'a str, &'a str, bool, DynSolValue)>,
    amount: Option<&str>,
    token: Option<&Token>,
) -> Vec<Arg> {
    params
        .enumerate()
        .map(|(position, (name, ty, indexed, value))| {
            let name = if name.is_empty() { format!("arg{position}") } else { name.to_owned() };
            let formatted = match (&value, token) {
                (DynSolValue::Uint(raw, _), Some(token)) if amount == Some(name.as_str()) => {
                    Some(amount_text(*raw, token))
                }
                _ => None,
            };
            Arg { name, ty: ty.to_owned(), indexed, value: value_text(&value), formatted }
        })
        .collect()
}

fn amount_text(raw: U256, token: &Token) -> String {
    if raw == U256::MAX {
        return format!("unlimited {}", token.symbol);
    }
    format!("{} {}", scale_amount(raw, token.decimals), token.symbol)
}

/// `Transfer 1,000.5 USDC from=0xf39F…2266 to=0x7099…79C8`: the name, the amount argument
/// first (in token units when known, else the raw integer), then the others; `removed: `
/// in front when a reorg removed it.
fn summary_line(prefix: &str, name: &str, args: &[Arg], amount: Option<&str>, removed: bool) -> String {
    let mut line = if removed { format!("removed: {prefix}{name}") } else { format!("{prefix}{name}") };
    if let Some(amount) = args.iter().find(|arg| Some(arg.name.as_str()) == amount) {
        line.push(' ');
        line.push_str(amount.formatted.as_deref().unwrap_or(&amount.value));
    }
    for arg in args.iter().filter(|arg| Some(arg.name.as_str()) != amount) {
        let value = if arg.ty == "address" { shorten_id(&arg.value, 4) } else { truncate(&arg.value, 24) };
        line.push_str(&format!(" {}={value}", arg.name));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_declaration_parses_and_resolves() {
        for item in EVENTS {
            let event =
                Event::parse(item.declaration).unwrap_or_else(|err| panic!("{}: {err}", item.declaration));
            assert!(event.resolve().is_ok(), "{}", item.declaration);
            if let Some(amount) = item.amount {
                assert!(event.inputs.iter().any(|input| input.name == amount), "{}", item.declaration);
            }
        }
        for item in FUNCTIONS {
            let function =
                Function::parse(item.declaration).unwrap_or_else(|err| panic!("{}: {err}", item.declaration));
            assert!(function.inputs.iter().any(|input| Some(input.name.as_str()) == item.amount));
        }
        let registry = EthRegistry::builtin();
        let events: usize = registry.events.values().map(Vec::len).sum();
        assert_eq!(events, EVENTS.len());
        assert_eq!(registry.tokens.len(), TOKENS.len());
    }

    #[test]
    fn token_addresses_are_written_with_their_checksum() {
        for (text, symbol, _) in TOKENS {
            let address = Address::from_str(text).unwrap_or_else(|err| panic!("{symbol}: {err}"));
            assert_eq!(&address.to_checksum(None), text, "{symbol}'s address has a typo");
        }
    }

    #[test]
    fn erc20_and_erc721_transfers_are_told_apart_by_topic_count() {
        let registry = EthRegistry::builtin();
        let transfer = Event::parse(EVENTS[0].declaration).map(|event| event.selector()).unwrap_or_default();
        assert_eq!(
            transfer.to_string(),
            "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
        );
        let by_count = |count| registry.events.get(&(transfer, count)).map(|list| list[0].origin.to_string());
        assert_eq!(by_count(3).as_deref(), Some("ERC-20"));
        assert_eq!(by_count(4).as_deref(), Some("ERC-721"));
        assert_eq!(by_count(2), None);
    }
}
