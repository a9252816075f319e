//! Simulated Solana transactions: log lines for logsNotification, System transfers with their
//! metadata in every encoding and level of detail, and whole blocks of them.

use super::ledger::{self, SolTx};
use super::notify::SlotCtx;
use super::{TxDetails, TxEncoding};
use crate::demo::fake::{
    self, COMPUTE_BUDGET_PROGRAM, MEMO_PROGRAM, SYSTEM_PROGRAM, TOKEN_PROGRAM, Transfer, VOTE_PROGRAM,
    json_str, json_str_array, json_u64_array,
};

/// The `err` of a failed demo transaction.
const FAILED: &str = r#"{"InstructionError":[0,{"Custom":1}]}"#;

/// The logs and error of one simulated transaction.
pub(crate) struct TxLogs {
    /// The `err` field as JSON.
    pub(crate) err: &'static str,
    /// The log lines.
    pub(crate) logs: Vec<String>,
}

impl TxLogs {
    /// A random transaction: a vote if `vote`, else a transfer, token transfer, memo, failure
    /// or (when `mention` is given) a program call on the mentioned key.
    pub(super) fn random(rng: &mut fastrand::Rng, vote: bool, mention: Option<&str>) -> Self {
        let invoke = |program: &str| format!("Program {program} invoke [1]");
        let success = |program: &str| format!("Program {program} success");
        let consumed =
            |program: &str, units: u64| format!("Program {program} consumed {units} of 200000 compute units");
        if vote {
            return Self { err: "null", logs: vec![invoke(VOTE_PROGRAM), success(VOTE_PROGRAM)] };
        }
        if let Some(program) = mention
            && rng.bool()
        {
            let event = fake::base64(&fake::bytes::<48>(rng));
            return Self {
                err: "null",
                logs: vec![
                    invoke(program),
                    "Program log: Instruction: Swap".to_owned(),
                    format!("Program data: {event}"),
                    consumed(program, rng.u64(20_000..90_000)),
                    success(program),
                ],
            };
        }
        match rng.u8(0..10) {
            0..=3 => Self { err: "null", logs: vec![invoke(SYSTEM_PROGRAM), success(SYSTEM_PROGRAM)] },
            4..=6 => Self {
                err: "null",
                logs: vec![
                    invoke(COMPUTE_BUDGET_PROGRAM),
                    success(COMPUTE_BUDGET_PROGRAM),
                    invoke(TOKEN_PROGRAM),
                    "Program log: Instruction: Transfer".to_owned(),
                    consumed(TOKEN_PROGRAM, rng.u64(4_000..6_000)),
                    success(TOKEN_PROGRAM),
                ],
            },
            7 | 8 => Self {
                err: "null",
                logs: vec![
                    invoke(MEMO_PROGRAM),
                    "Program log: Memo (len 16): \"gm from subscope\"".to_owned(),
                    consumed(MEMO_PROGRAM, rng.u64(6_000..8_000)),
                    success(MEMO_PROGRAM),
                ],
            },
            _ => Self {
                err: FAILED,
                logs: vec![
                    invoke(TOKEN_PROGRAM),
                    "Program log: Instruction: Transfer".to_owned(),
                    "Program log: Error: insufficient funds".to_owned(),
                    consumed(TOKEN_PROGRAM, rng.u64(3_000..5_000)),
                    format!("Program {TOKEN_PROGRAM} failed: custom program error: 0x1"),
                ],
            },
        }
    }
}

/// How transactions are rendered in a block or transaction notification.
#[derive(Clone, Copy)]
pub(super) struct TxOptions {
    /// The encoding.
    pub(super) encoding: TxEncoding,
    /// The level of detail.
    pub(super) details: TxDetails,
    /// `maxSupportedTransactionVersion`; when set, entries carry `"version":"legacy"`.
    pub(super) max_version: Option<u64>,
}

/// A simulated System transfer with its metadata.
pub(crate) struct SimTx {
    /// The transaction itself.
    pub(crate) transfer: Transfer,
    /// The sender's balance before.
    from_balance: u64,
    /// The recipient's balance before.
    to_balance: u64,
    /// Its error (`null`) and log lines.
    pub(crate) logs: TxLogs,
}

impl SimTx {
    /// The fee every demo transaction pays.
    const FEE: u64 = 5_000;

    /// A random transfer, mentioning `mention` if given, with the System program's log lines.
    pub(super) fn random(rng: &mut fastrand::Rng, mention: Option<&str>, failed: bool) -> Self {
        let logs = if failed {
            TxLogs {
                err: FAILED,
                logs: vec![
                    format!("Program {SYSTEM_PROGRAM} invoke [1]"),
                    "Transfer: insufficient lamports 0, need 1000".to_owned(),
                    format!("Program {SYSTEM_PROGRAM} failed: custom program error: 0x1"),
                ],
            }
        } else {
            TxLogs {
                err: "null",
                logs: vec![
                    format!("Program {SYSTEM_PROGRAM} invoke [1]"),
                    format!("Program {SYSTEM_PROGRAM} success"),
                ],
            }
        };
        let transfer = Transfer::random(rng, mention);
        Self::with_logs(transfer, logs, rng)
    }

    /// `transfer` with the error and log lines of `logs`, and balances drawn from `rng`.
    pub(super) fn with_logs(transfer: Transfer, logs: TxLogs, rng: &mut fastrand::Rng) -> Self {
        Self {
            from_balance: transfer.lamports.saturating_add(rng.u64(10_000_000..90_000_000_000)),
            to_balance: rng.u64(0..20_000_000_000),
            transfer,
            logs,
        }
    }

    /// Whether it failed.
    fn failed(&self) -> bool {
        self.logs.err != "null"
    }

    /// `(err, status)` JSON.
    pub(super) fn err_status(&self) -> (&'static str, String) {
        if self.failed() {
            (self.logs.err, format!(r#"{{"Err":{}}}"#, self.logs.err))
        } else {
            ("null", r#"{"Ok":null}"#.to_owned())
        }
    }

    /// The balances before and after.
    fn balances(&self) -> (String, String) {
        let moved = if self.failed() { 0 } else { self.transfer.lamports };
        let pre = [self.from_balance, self.to_balance, 1];
        let post = [
            self.from_balance.saturating_sub(moved).saturating_sub(Self::FEE),
            self.to_balance.saturating_add(moved),
            1,
        ];
        (json_u64_array(&pre), json_u64_array(&post))
    }

    /// The full `meta` object.
    pub(super) fn meta(&self) -> String {
        let (err, status) = self.err_status();
        let (pre, post) = self.balances();
        let logs = json_str_array(&self.logs.logs);
        format!(
            r#"{{"err":{err},"status":{status},"fee":{},"preBalances":{pre},"postBalances":{post},"innerInstructions":[],"logMessages":{logs},"preTokenBalances":[],"postTokenBalances":[],"rewards":[],"loadedAddresses":{{"writable":[],"readonly":[]}},"computeUnitsConsumed":150}}"#,
            Self::FEE
        )
    }

    /// The transaction entry (`{"transaction":…,"meta":…}`) for `options`.
    pub(super) fn to_json(&self, options: TxOptions) -> String {
        let version = if options.max_version.is_some() { r#","version":"legacy""# } else { "" };
        if options.details == TxDetails::Accounts {
            let (err, status) = self.err_status();
            let (pre, post) = self.balances();
            return format!(
                r#"{{"transaction":{{"accountKeys":{},"signatures":["{}"]}},"meta":{{"err":{err},"status":{status},"fee":{},"preBalances":{pre},"postBalances":{post}}}{version}}}"#,
                self.parsed_account_keys(),
                self.transfer.signature_b58(),
                Self::FEE
            );
        }
        format!(r#"{{"transaction":{},"meta":{}{version}}}"#, self.encode(options.encoding), self.meta())
    }

    /// The account keys as jsonParsed objects.
    fn parsed_account_keys(&self) -> String {
        let [from, to, program] = self.transfer.account_keys();
        format!(
            r#"[{{"pubkey":"{from}","writable":true,"signer":true,"source":"transaction"}},{{"pubkey":"{to}","writable":true,"signer":false,"source":"transaction"}},{{"pubkey":"{program}","writable":false,"signer":false,"source":"transaction"}}]"#
        )
    }

    /// The `transaction` field in `encoding`.
    pub(super) fn encode(&self, encoding: TxEncoding) -> String {
        let signature = self.transfer.signature_b58();
        let blockhash = fake::base58(&self.transfer.blockhash);
        match encoding {
            TxEncoding::Binary => json_str(&fake::base58(&self.transfer.wire_bytes())),
            TxEncoding::Base58 => format!(r#"["{}","base58"]"#, fake::base58(&self.transfer.wire_bytes())),
            TxEncoding::Base64 => format!(r#"["{}","base64"]"#, fake::base64(&self.transfer.wire_bytes())),
            TxEncoding::Json => format!(
                r#"{{"signatures":["{signature}"],"message":{{"accountKeys":{},"header":{{"numRequiredSignatures":1,"numReadonlySignedAccounts":0,"numReadonlyUnsignedAccounts":1}},"recentBlockhash":"{blockhash}","instructions":[{{"programIdIndex":2,"accounts":[0,1],"data":"{}","stackHeight":null}}]}}}}"#,
                json_str_array(&self.transfer.account_keys()),
                fake::base58(&self.transfer.instruction_data())
            ),
            TxEncoding::JsonParsed => {
                let [from, to, _] = self.transfer.account_keys();
                format!(
                    r#"{{"signatures":["{signature}"],"message":{{"accountKeys":{},"recentBlockhash":"{blockhash}","instructions":[{{"parsed":{{"info":{{"destination":"{to}","lamports":{},"source":"{from}"}},"type":"transfer"}},"program":"system","programId":"{SYSTEM_PROGRAM}","stackHeight":null}}]}}}}"#,
                    self.parsed_account_keys(),
                    self.transfer.lamports
                )
            }
        }
    }
}

/// The block object (`UiConfirmedBlock`) of `block_slot` holding `txs`, as blockNotification
/// and `getBlock` carry it.
pub(super) fn block(
    ctx: &SlotCtx,
    block_slot: u64,
    txs: &[&SolTx],
    options: TxOptions,
    show_rewards: bool,
) -> String {
    let body = match options.details {
        TxDetails::None => String::new(),
        TxDetails::Signatures => {
            let signatures: Vec<String> = txs.iter().map(|tx| tx.signature()).collect();
            format!(r#","signatures":{}"#, json_str_array(&signatures))
        }
        TxDetails::Full | TxDetails::Accounts => {
            let entries: Vec<String> = txs.iter().map(|tx| tx.sim.to_json(options)).collect();
            format!(r#","transactions":[{}]"#, entries.join(","))
        }
    };
    let rewards = if show_rewards {
        let mut key_rng = fake::seeded(ctx.seed, 0x701E, block_slot % 3);
        let fees = u64::try_from(txs.len()).unwrap_or_default() * SimTx::FEE / 2;
        format!(
            r#","rewards":[{{"pubkey":"{}","lamports":{fees},"postBalance":{},"rewardType":"Fee","commission":null}}]"#,
            fake::pubkey(&mut key_rng),
            fake::seeded(ctx.seed, 0x701E, block_slot).u64(1_000_000_000..900_000_000_000)
        )
    } else {
        String::new()
    };
    let parent = ledger::parent(ctx.seed, block_slot);
    format!(
        r#"{{"previousBlockhash":"{}","blockhash":"{}","parentSlot":{parent}{body}{rewards},"blockTime":{},"blockHeight":{}}}"#,
        ctx.blockhash(parent),
        ctx.blockhash(block_slot),
        ctx.block_time(block_slot),
        ledger::block_height(ctx.seed, block_slot)
    )
}
