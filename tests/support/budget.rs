//! The case budget of the fuzz suite, shared by its two halves: `tests/fuzz.rs` (the public
//! readers) and `src/demo/fuzz_tests.rs` (the demo server's request handler), which includes
//! this file by path. One environment variable scales the whole suite.
//!
//! `SUBSCOPE_FUZZ_CASES` is the **total** number of cases of the suite (both halves); each
//! property runs a fixed share of it, in thousandths, declared next to the property. The
//! shares of each half add up to its part below (checked at compile time in each half), and
//! the parts add up to 1000, so the cases actually run add up to the total (give or take
//! rounding, and at least one case per property).

#![allow(dead_code, reason = "each including crate uses a different part of the budget")]

use std::fmt::Debug;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngSeed, TestCaseResult, TestRunner};

/// The environment variable that sets the suite's total number of cases.
pub const CASES_VAR: &str = "SUBSCOPE_FUZZ_CASES";

/// The suite's total number of cases when [`CASES_VAR`] is not set (what `cargo test` runs).
pub const DEFAULT_TOTAL_CASES: u64 = 120_000;

/// The thousandths of the total that `tests/fuzz.rs` runs.
pub const PUBLIC_READERS_PART: u32 = 850;

/// The thousandths of the total that `src/demo/fuzz_tests.rs` runs.
pub const DEMO_PART: u32 = 150;

const _: () = assert!(PUBLIC_READERS_PART + DEMO_PART == 1000, "the parts must cover the whole budget");

/// The suite's total number of cases: [`CASES_VAR`] if it is set to a number, else
/// [`DEFAULT_TOTAL_CASES`].
///
/// # Panics
/// Panics when the variable is set but is not a whole number, so a typo cannot silently run
/// the default budget instead of the one asked for.
pub fn total_cases() -> u64 {
    match std::env::var(CASES_VAR) {
        Ok(text) => {
            let text = text.replace(['_', ','], "");
            text.trim().parse().unwrap_or_else(|_| panic!("{CASES_VAR}={text:?} is not a whole number"))
        }
        Err(_) => DEFAULT_TOTAL_CASES,
    }
}

/// How many cases a property with `per_mille` thousandths of the budget runs (at least one).
pub fn cases_for(per_mille: u32) -> u32 {
    let cases = total_cases().saturating_mul(u64::from(per_mille)) / 1000;
    u32::try_from(cases.max(1)).unwrap_or(u32::MAX)
}

/// A fixed seed per property name (FNV-1a), so every property explores its own sequence and
/// every run of the suite draws the same cases.
pub fn seed_for(name: &str) -> u64 {
    name.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3))
}

/// The proptest configuration of property `name`: its share of the cases, its fixed seed, no
/// failure files, and a bounded shrink so a failure is reported in seconds.
pub fn config(name: &str, per_mille: u32) -> Config {
    Config {
        cases: cases_for(per_mille),
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed_for(name)),
        max_shrink_iters: 4_096,
        ..Config::default()
    }
}

/// Runs property `name` on its share of the suite's cases drawn from `strategy`; a failing or
/// panicking case is shrunk and reported with the smallest input found.
///
/// # Panics
/// Panics with the property's name, the failure and the shrunk input when a case fails.
pub fn fuzz<S>(name: &str, per_mille: u32, strategy: S, test: impl Fn(S::Value) -> TestCaseResult)
where
    S: Strategy,
    S::Value: Debug,
{
    let mut runner = TestRunner::new(config(name, per_mille));
    if let Err(failure) = runner.run(&strategy, test) {
        panic!("property {name} failed: {failure}");
    }
}
