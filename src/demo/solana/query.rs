//! The Solana methods the demo answers from its ledger (`ledger.rs`), over HTTP and as
//! one-off requests over a WebSocket alike: slots and block heights, blocks, transactions by
//! signature, signatures by address, signature statuses and accounts, in Agave's shapes and
//! with its errors. A block is what the ledger holds at its slot, so a transaction a
//! `logsSubscribe` sent is found by its signature with the same log lines.

use serde_json::{Map, Value};

use super::accounts::{account_for_key, program_account};
use super::errors::BELOW_CONFIRMED;
use super::ledger::{self, SolTx};
use super::notify::{SOLANA_CORE_VERSION, SlotCtx, context_slot};
use super::params::{
    commitment, config, config_bool, config_u64, parse_account, parse_program, required_str, tx_details,
    tx_encoding,
};
use super::transactions::{TxOptions, block};
use super::{Commitment, SolKind, TxDetails};
use crate::demo::fake;
use crate::demo::rpc::{RpcError, invalid_type, missing_params};
use crate::demo::shared::{BASE_SLOT, Shared};

/// The widest `getBlocks` range (Agave's `MAX_GET_CONFIRMED_BLOCKS_RANGE`).
const MAX_BLOCKS_RANGE: u64 = 500_000;

/// The most signatures `getSignaturesForAddress` answers, and its default.
const MAX_SIGNATURES: u64 = 1000;

/// The most signatures `getSignatureStatuses` takes.
const MAX_STATUSES: usize = 256;

/// How many slots `getSignaturesForAddress` looks back at most (a node walks its whole
/// ledger; the demo's is made on demand).
const SCAN_SLOTS: u64 = 10_000;

/// How many slots the status cache covers: older statuses need `searchTransactionHistory`.
const STATUS_CACHE_SLOTS: u64 = 300;

/// Answers a ledger query; `None` for a method that is not one.
pub(crate) fn query(shared: &Shared, method: &str, params: &[Value]) -> Option<Result<String, RpcError>> {
    let ledger = Ledger { ctx: shared.slot_ctx(shared.clock.slot()) };
    Some(match method {
        "getSlot" => ledger.slot(params).map(|slot| slot.to_string()),
        "getBlockHeight" => {
            ledger.slot(params).map(|slot| ledger::block_height(ledger.ctx.seed, slot).to_string())
        }
        "getBlocks" => ledger.blocks(params),
        "getBlock" => ledger.block(params),
        "getTransaction" => ledger.transaction(params),
        "getSignaturesForAddress" => ledger.signatures(params),
        "getSignatureStatuses" => ledger.statuses(params),
        "getAccountInfo" => ledger.account(params),
        "getProgramAccounts" => ledger.program_accounts(params),
        _ => return None,
    })
}

/// Agave's error for a key (`len` 32) or signature (64) that does not parse: `WrongSize`
/// for base58 of another length, `Invalid` for text that is not base58 (checked against
/// solana-test-validator 3.1.12).
fn invalid_param(text: &str, len: usize) -> RpcError {
    let why = match bs58::decode(text).into_vec() {
        Ok(bytes) if bytes.len() != len => "WrongSize",
        _ => "Invalid",
    };
    RpcError::invalid_params(format!("Invalid param: {why}"))
}

/// The ledger as it stands at one moment.
struct Ledger {
    /// The tip's context.
    ctx: SlotCtx,
}

impl Ledger {
    /// The newest block at `commitment`.
    fn tip(&self, commitment: Commitment) -> u64 {
        ledger::produced_by(self.ctx.seed, context_slot(self.ctx.slot, commitment))
    }

    /// `{"apiVersion","slot"}` at `slot`, as HTTP answers carry it.
    fn context(slot: u64) -> String {
        format!(r#"{{"apiVersion":"{SOLANA_CORE_VERSION}","slot":{slot}}}"#)
    }

    /// The tip at the commitment of the config at `index`; `confirmed` at least when `strict`.
    fn tip_of(&self, config: Option<&Map<String, Value>>, strict: bool) -> Result<u64, RpcError> {
        let commitment = commitment(config);
        if strict && commitment == Commitment::Processed {
            return Err(RpcError::invalid_params(BELOW_CONFIRMED));
        }
        Ok(self.tip(commitment))
    }

    /// `getSlot [config?]`.
    fn slot(&self, params: &[Value]) -> Result<u64, RpcError> {
        self.tip_of(config(params, 0)?, false)
    }

    /// `getBlocks [start, end?, config?]`: the slots with a block, skipped ones left out.
    fn blocks(&self, params: &[Value]) -> Result<String, RpcError> {
        let start = u64_at(params, 0)?;
        let (end, config) = match params.get(1) {
            Some(Value::Object(_)) => (None, config(params, 1)?),
            None | Some(Value::Null) => (None, config(params, 2)?),
            Some(_) => (Some(u64_at(params, 1)?), config(params, 2)?),
        };
        let tip = self.tip_of(config, true)?;
        // Agave holds the end to the newest confirmed block before it checks the range.
        let end = end.unwrap_or(tip).min(tip);
        if end.saturating_sub(start) > MAX_BLOCKS_RANGE {
            return Err(RpcError::invalid_params(format!("Slot range too large; max {MAX_BLOCKS_RANGE}")));
        }
        let slots: Vec<u64> =
            (start.max(BASE_SLOT)..=end).filter(|slot| !self.ctx.is_skipped(*slot)).collect();
        Ok(fake::json_u64_array(&slots))
    }

    /// The transactions of a block that exists at `tip`, or Agave's error saying why not.
    fn existing(&self, slot: u64, tip: u64) -> Result<Vec<SolTx>, RpcError> {
        if slot < BASE_SLOT {
            return Err(RpcError::new(
                -32001,
                format!(
                    "Block {slot} cleaned up, does not exist on node. First available block: {BASE_SLOT}"
                ),
            ));
        }
        if slot > tip {
            return Err(RpcError::new(-32004, format!("Block not available for slot {slot}")));
        }
        if self.ctx.is_skipped(slot) {
            return Err(RpcError::new(
                -32007,
                format!("Slot {slot} was skipped, or missing due to ledger jump to recent snapshot"),
            ));
        }
        Ok(self.ctx.transactions(slot))
    }

    /// `getBlock [slot, config?]`.
    fn block(&self, params: &[Value]) -> Result<String, RpcError> {
        let slot = u64_at(params, 0)?;
        let config = config(params, 1)?;
        let options = TxOptions {
            encoding: tx_encoding(config, "json")?,
            details: tx_details(config)?,
            max_version: config_u64(config, "maxSupportedTransactionVersion")?,
        };
        let rewards =
            config.and_then(|map| map.get("rewards")).is_none_or(|value| value != &Value::Bool(false));
        let txs = self.existing(slot, self.tip_of(config, true)?)?;
        let shown: Vec<&SolTx> = txs.iter().collect();
        Ok(block(&self.ctx, slot, &shown, options, rewards))
    }

    /// The transaction a signature names, with its slot, if it exists at `tip`.
    fn find(&self, signature: &str, tip: u64) -> Option<(u64, SolTx)> {
        let (slot, index) = ledger::locate_signature(self.ctx.seed, signature)?;
        if slot > tip || slot < BASE_SLOT {
            return None;
        }
        let txs = self.ctx.transactions(slot);
        txs.into_iter().nth(usize::from(index)).map(|tx| (slot, tx))
    }

    /// `getTransaction [signature, config?]`: null for one the ledger does not hold (yet).
    fn transaction(&self, params: &[Value]) -> Result<String, RpcError> {
        let signature = required_str(params, 0)?;
        let config = config(params, 1)?;
        let options = TxOptions {
            encoding: tx_encoding(config, "json")?,
            details: TxDetails::Full,
            max_version: config_u64(config, "maxSupportedTransactionVersion")?,
        };
        if !fake::is_signature(signature) {
            return Err(invalid_param(signature, 64));
        }
        let Some((slot, tx)) = self.find(signature, self.tip_of(config, true)?) else {
            return Ok("null".to_owned());
        };
        let entry = tx.sim.to_json(options);
        let inner = entry.get(1..entry.len().saturating_sub(1)).unwrap_or_default();
        Ok(format!(r#"{{"slot":{slot},{inner},"blockTime":{}}}"#, self.ctx.block_time(slot)))
    }

    /// How settled a transaction at `slot` is.
    fn confirmation(&self, slot: u64) -> &'static str {
        if slot <= self.tip(Commitment::Finalized) {
            "finalized"
        } else if slot <= self.tip(Commitment::Confirmed) {
            "confirmed"
        } else {
            "processed"
        }
    }

    /// `getSignaturesForAddress [address, {limit, before, until, commitment}?]`: newest first.
    fn signatures(&self, params: &[Value]) -> Result<String, RpcError> {
        let address = required_str(params, 0)?;
        let config = config(params, 1)?;
        let limit = config_u64(config, "limit")?.unwrap_or(MAX_SIGNATURES);
        if !(1..=MAX_SIGNATURES).contains(&limit) {
            return Err(RpcError::invalid_params(format!("Invalid limit; max {MAX_SIGNATURES}")));
        }
        let signature = |key: &str| -> Result<Option<(u64, u16)>, RpcError> {
            match config.and_then(|map| map.get(key)) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) if fake::is_signature(text) => {
                    // A signature the demo did not make is before everything it holds.
                    Ok(Some(ledger::locate_signature(self.ctx.seed, text).unwrap_or((0, 0))))
                }
                Some(Value::String(text)) => Err(invalid_param(text, 64)),
                Some(other) => Err(invalid_type(other, "a string")),
            }
        };
        let (before, until) = (signature("before")?, signature("until")?);
        if !fake::is_pubkey(address) {
            return Err(invalid_param(address, 32));
        }
        let tip = self.tip_of(config, true)?;
        let newest = before.map_or(tip, |(slot, _)| slot.min(tip));
        let oldest = newest.saturating_sub(SCAN_SLOTS).max(BASE_SLOT);
        let mut found = Vec::new();
        'slots: for slot in (oldest..=newest).rev() {
            let txs = self.ctx.transactions(slot);
            for (index, tx) in txs.iter().enumerate().rev() {
                let here = (slot, u16::try_from(index).unwrap_or(u16::MAX));
                if before.is_some_and(|before| here >= before) || !tx.mentions(address) {
                    continue;
                }
                if until.is_some_and(|until| here <= until) || found.len() as u64 >= limit {
                    break 'slots;
                }
                found.push(format!(
                    r#"{{"signature":"{}","slot":{slot},"err":{},"memo":null,"blockTime":{},"confirmationStatus":"{}"}}"#,
                    tx.signature(),
                    tx.sim.logs.err,
                    self.ctx.block_time(slot),
                    self.confirmation(slot)
                ));
            }
        }
        Ok(format!("[{}]", found.join(",")))
    }

    /// `getSignatureStatuses [[signature…], {searchTransactionHistory}?]`.
    fn statuses(&self, params: &[Value]) -> Result<String, RpcError> {
        let first = params.first().ok_or_else(|| missing_params(1))?;
        let Value::Array(signatures) = first else { return Err(invalid_type(first, "a sequence")) };
        if signatures.len() > MAX_STATUSES {
            return Err(RpcError::invalid_params(format!("Too many inputs provided; max {MAX_STATUSES}")));
        }
        let history = config_bool(config(params, 1)?, "searchTransactionHistory")?;
        let tip = self.ctx.slot;
        let mut statuses = Vec::with_capacity(signatures.len());
        for signature in signatures {
            let text = signature.as_str().unwrap_or_default();
            if !fake::is_signature(text) {
                return Err(invalid_param(text, 64));
            }
            let found = self.find(text, tip).filter(|(slot, _)| history || tip - slot <= STATUS_CACHE_SLOTS);
            statuses.push(found.map_or_else(
                || "null".to_owned(),
                |(slot, tx)| {
                    let (err, status) = tx.sim.err_status();
                    let confirmation = self.confirmation(slot);
                    let confirmations =
                        if confirmation == "finalized" { "null".to_owned() } else { (tip - slot).to_string() };
                    format!(
                        r#"{{"slot":{slot},"confirmations":{confirmations},"err":{err},"status":{status},"confirmationStatus":"{confirmation}"}}"#
                    )
                },
            ));
        }
        Ok(format!(r#"{{"context":{},"value":[{}]}}"#, Self::context(tip), statuses.join(",")))
    }

    /// A random source for the state of `key` at `slot`, the same for every request.
    fn state_rng(&self, key: &str, slot: u64) -> fastrand::Rng {
        crate::demo::shared::stream_rng(self.ctx.seed, &key, slot)
    }

    /// `getAccountInfo [pubkey, config?]`.
    fn account(&self, params: &[Value]) -> Result<String, RpcError> {
        if let Some(key) = params.first().and_then(Value::as_str).filter(|key| !fake::is_pubkey(key)) {
            return Err(invalid_param(key, 32));
        }
        let SolKind::Account { pubkey, encoding, commitment } = parse_account(params)? else {
            return Err(invalid_param("", 32));
        };
        let slot = self.tip(commitment);
        let account = account_for_key(&pubkey, &mut self.state_rng(&pubkey, slot));
        Ok(format!(r#"{{"context":{},"value":{}}}"#, Self::context(slot), account.to_json(encoding)))
    }

    /// `getProgramAccounts [program, config?]`.
    fn program_accounts(&self, params: &[Value]) -> Result<String, RpcError> {
        if let Some(key) = params.first().and_then(Value::as_str).filter(|key| !fake::is_pubkey(key)) {
            return Err(invalid_param(key, 32));
        }
        let SolKind::Program { program, encoding, commitment, filters } = parse_program(params)? else {
            return Err(invalid_param("", 32));
        };
        let with_context = config_bool(config(params, 1)?, "withContext")?;
        let slot = self.tip(commitment);
        let mut rng = self.state_rng(&program, slot);
        let accounts: Vec<String> = (0..rng.u8(2..6))
            .filter_map(|_| program_account(&program, &filters, &mut rng))
            .map(|(pubkey, account)| {
                format!(r#"{{"pubkey":"{pubkey}","account":{}}}"#, account.to_json(encoding))
            })
            .collect();
        let list = format!("[{}]", accounts.join(","));
        Ok(if with_context {
            format!(r#"{{"context":{},"value":{list}}}"#, Self::context(slot))
        } else {
            list
        })
    }
}

/// A required unsigned argument.
fn u64_at(params: &[Value], index: usize) -> Result<u64, RpcError> {
    let value = params.get(index).ok_or_else(|| missing_params(index + 1))?;
    value.as_u64().ok_or_else(|| invalid_type(value, "u64"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::DemoConfig;

    fn ask(method: &str, params: Value) -> Result<String, RpcError> {
        let shared = Shared::new(DemoConfig { seed: Some(9), ..DemoConfig::default() });
        query(&shared, method, params.as_array().map_or(&[], Vec::as_slice))
            .unwrap_or_else(|| Ok("none".into()))
    }

    #[test]
    fn errors_are_agaves() {
        let message =
            |method: &str, params: Value| ask(method, params).err().map(|err| (err.code, err.message));
        let invalid = |why: &str| Some((-32602, format!("Invalid param: {why}")));
        assert_eq!(message("getAccountInfo", serde_json::json!(["bad"])), invalid("WrongSize"));
        assert_eq!(message("getTransaction", serde_json::json!(["0OIl"])), invalid("Invalid"));
        assert_eq!(
            message(
                "getSignaturesForAddress",
                serde_json::json!(["11111111111111111111111111111111", {"limit": 2000}])
            ),
            Some((-32602, "Invalid limit; max 1000".to_owned()))
        );
        assert_eq!(
            message("getBlocks", serde_json::json!([0, 5, {"commitment": "processed"}])),
            Some((-32602, BELOW_CONFIRMED.to_owned()))
        );
        assert_eq!(
            message("getBlock", serde_json::json!([BASE_SLOT + 1_000_000])),
            Some((-32004, format!("Block not available for slot {}", BASE_SLOT + 1_000_000)))
        );
        // The end is held to the newest confirmed block first, as Agave does.
        assert_eq!(
            message("getBlocks", serde_json::json!([0, 600_000])),
            Some((-32602, "Slot range too large; max 500000".to_owned()))
        );
        assert_eq!(
            ask("getBlocks", serde_json::json!([BASE_SLOT, BASE_SLOT + 600_000])).ok(),
            Some(format!("[{BASE_SLOT}]"))
        );
    }
}
