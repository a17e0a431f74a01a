//! Shared by the DODO-exact fixtures' cross-checks against
//! `vault_math::pmm::dodo` (`dodo_exact_cross_check.rs` for `DodoDspPool`,
//! `dodo_dpp.rs` for `DodoDppPool`): the case count, the tests' own
//! division, the random pools' parameters and trades, and the comparison of
//! a pool's answer or revert with the model's.

#![allow(dead_code)]

use std::collections::BTreeMap;

use alloy_primitives::U256;
use alloy_sol_types::{sol, Revert, SolError};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use vault_math::pmm::dodo::{self, DodoError, DodoResult};
use vault_math::pmm::{PmmState, RState};

sol! {
    /// OpenZeppelin's ERC-20 refusal of a transfer above the balance.
    error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
}

pub const E18: u128 = 1_000_000_000_000_000_000;

/// `PROPTEST_CASES` (10,000 when unset), as the math crate's property tests.
pub fn proptest_cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}

pub fn u(v: u128) -> U256 {
    U256::from(v)
}

pub fn pow10(e: u32) -> U256 {
    U256::from(10u8).pow(U256::from(e))
}

/// `floor(a / d)` by shift-and-subtract (`d > 0`): the test's own division,
/// independent of the code under test and of ruint's `/`.
pub fn qdiv(a: U256, d: U256) -> U256 {
    let mut q = U256::ZERO;
    let mut r = U256::ZERO;
    for bit in (0..256).rev() {
        r = (r << 1) | U256::from(u8::from(a.bit(bit)));
        if r >= d {
            r -= d;
            q.set_bit(bit, true);
        }
    }
    q
}

/// `floor(x · ppm / 1e6)`.
pub fn ppm_of(x: U256, ppm: u64) -> U256 {
    qdiv(x * U256::from(ppm), U256::from(1_000_000u32))
}

/// `m · 10^e` whole tokens of a token with `decimals` (at least one unit).
pub fn tokens(m: u64, e: i32, decimals: u8) -> U256 {
    let exp = e + i32::from(decimals);
    let m = U256::from(m);
    if exp >= 0 {
        m * pow10(exp.unsigned_abs())
    } else {
        qdiv(m, pow10(exp.unsigned_abs())).max(U256::from(1u8))
    }
}

// ------------------------------------------------------------ strategies

pub fn decimals_strategy() -> impl Strategy<Value = u8> {
    prop_oneof![Just(6u8), Just(18u8)]
}

/// A human price `m · 10^e` with the decimals difference folded in (as DODO
/// stores `i`), or any `i` in `[1, 1e36]`.
pub fn i_strategy(base_decimals: u8, quote_decimals: u8) -> impl Strategy<Value = U256> {
    let shift = 18 + i32::from(quote_decimals) - i32::from(base_decimals);
    prop_oneof![
        6 => (1u64..1_000, -6i32..=3).prop_map(move |(m, e)| U256::from(m) * pow10((e + shift).unsigned_abs())),
        1 => (1u64..1_000_000, 0u32..=30).prop_map(|(m, e)| (U256::from(m) * pow10(e)).min(pow10(36))),
        1 => prop_oneof![Just(U256::from(1u8)), Just(pow10(36))],
    ]
}

pub fn k_strategy() -> impl Strategy<Value = U256> {
    prop_oneof![
        1 => Just(U256::ZERO),
        1 => Just(u(E18)),
        1 => prop_oneof![Just(u(E18 / 10_000)), Just(u(E18 / 10)), Just(u(E18 - 1))],
        5 => (0..=E18).prop_map(U256::from),
    ]
}

/// `(lpFeeRate, mtFeeRate)`.
pub fn fee_strategy() -> impl Strategy<Value = (U256, U256)> {
    prop_oneof![
        1 => Just((U256::ZERO, U256::ZERO)),
        4 => (0..=E18 / 100, 0..=E18 / 200).prop_map(|(lp, mt)| (u(lp), u(mt))),
    ]
}

pub fn reserve_strategy(decimals: u8) -> impl Strategy<Value = U256> {
    prop_oneof![
        9 => (1u64..1_000, -3i32..=6).prop_map(move |(m, e)| tokens(m, e, decimals)),
        1 => (1u64..100_000).prop_map(U256::from),
    ]
}

#[derive(Clone, Debug)]
pub struct Trade {
    pub sell_base: bool,
    pub size: Size,
    /// Seconds waited before the trade.
    pub wait: u64,
}

#[derive(Clone, Debug)]
pub enum Size {
    Zero,
    /// Parts per million of the reserve of the token sold.
    OfReserve(u64),
    /// `m · 10^e` whole tokens of the token sold.
    Tokens(u64, i32),
    /// The back-to-one amount plus an offset (the side that brings R back).
    BackToOne(i8),
    /// Any amount below 2^bits.
    Raw(U256),
}

pub fn size_strategy() -> impl Strategy<Value = Size> {
    prop_oneof![
        1 => Just(Size::Zero),
        6 => (1u64..=3_000_000).prop_map(Size::OfReserve),
        6 => (1u64..1_000, -6i32..=7).prop_map(|(m, e)| Size::Tokens(m, e)),
        4 => (-2i8..=2).prop_map(Size::BackToOne),
        1 => (0usize..=120, any::<[u64; 4]>()).prop_map(|(bits, limbs)| {
            Size::Raw(U256::from_limbs(limbs) & ((U256::from(1u8) << bits) - U256::from(1u8)))
        }),
    ]
}

pub fn wait_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), 1u64..=86_400]
}

pub fn trade_strategy() -> impl Strategy<Value = Trade> {
    (any::<bool>(), size_strategy(), wait_strategy()).prop_map(|(sell_base, size, wait)| Trade {
        sell_base,
        size,
        wait,
    })
}

/// The side and the amount of `trade` on the stored state `s` (a
/// back-to-one trade picks the side that brings R back to one).
pub fn resolve(trade: &Trade, s: &PmmState, base_decimals: u8, quote_decimals: u8) -> (bool, U256) {
    let side = trade.sell_base;
    let reserve = if side { s.b } else { s.q };
    let decimals = if side { base_decimals } else { quote_decimals };
    match trade.size {
        Size::Zero => (side, U256::ZERO),
        Size::OfReserve(ppm) => (side, ppm_of(reserve, ppm).max(U256::from(1u8))),
        Size::Tokens(m, e) => (side, tokens(m, e, decimals)),
        Size::Raw(x) => (side, x),
        Size::BackToOne(offset) => {
            let adjusted = dodo::pmm_state(s).unwrap_or(*s);
            let (side, pay) = match s.r {
                RState::One => (side, U256::ZERO),
                RState::AboveOne => (true, adjusted.b0.saturating_sub(adjusted.b)),
                RState::BelowOne => (false, adjusted.q0.saturating_sub(adjusted.q)),
            };
            let delta = U256::from(offset.unsigned_abs());
            (side, if offset < 0 { pay.saturating_sub(delta) } else { pay + delta })
        }
    }
}

// ----------------------------------------------------------- comparisons

/// Whether revert data is the pool's revert for a model error: DODO's
/// reason string, or the token's own refusal of a transfer above the
/// balance.
pub fn revert_data_matches(data: &[u8], expected: DodoError) -> bool {
    if expected == DodoError::TransferExceedsBalance {
        return data.get(..4) == Some(&ERC20InsufficientBalance::SELECTOR[..]);
    }
    Revert::abi_decode(data, true).is_ok_and(|r| r.reason == expected.reason())
}

/// Revert data as its reason string, or as hex.
pub fn describe(data: &[u8]) -> String {
    Revert::abi_decode(data, true)
        .map_or_else(|_| format!("0x{}", alloy_primitives::hex::encode(data)), |r| r.reason)
}

/// A pool result against the model's: equal values, or the same revert.
pub fn same<T: PartialEq + std::fmt::Debug>(
    what: &str,
    pool: Result<T, Vec<u8>>,
    model: DodoResult<T>,
) -> Result<(), TestCaseError> {
    match (pool, model) {
        (Ok(p), Ok(m)) => prop_assert_eq!(p, m, "{}", what),
        (Err(data), Err(e)) => {
            prop_assert!(
                revert_data_matches(&data, e),
                "{} reverts with {}, model {:?}",
                what,
                describe(&data),
                e
            );
        }
        (Ok(p), Err(e)) => {
            prop_assert!(false, "{}: pool returns {:?}, model refuses with {:?}", what, p, e);
        }
        (Err(data), Ok(m)) => {
            prop_assert!(false, "{}: pool reverts with {}, model returns {:?}", what, describe(&data), m);
        }
    }
    Ok(())
}

// ------------------------------------------------------------------- ABI

/// `type`, with tuples spelled out, as in a canonical signature.
pub fn canonical(param: &serde_json::Value) -> String {
    let ty = param["type"].as_str().expect("type");
    match ty.strip_prefix("tuple") {
        Some(suffix) => {
            let parts: Vec<String> =
                param["components"].as_array().expect("components").iter().map(canonical).collect();
            format!("({}){suffix}", parts.join(","))
        }
        None => ty.to_owned(),
    }
}

/// Name, input types, output types, read-only or not, and indexed flags.
pub fn entry_shape(entry: &serde_json::Value) -> String {
    let list = |key: &str| -> Vec<String> {
        entry[key].as_array().map(|ps| ps.iter().map(canonical).collect()).unwrap_or_default()
    };
    let indexed: Vec<bool> = entry["inputs"]
        .as_array()
        .map(|ps| ps.iter().map(|p| p["indexed"].as_bool().unwrap_or(false)).collect())
        .unwrap_or_default();
    let read_only = matches!(entry["stateMutability"].as_str(), Some("view" | "pure"));
    format!(
        "{}({}) -> ({}) read-only {read_only} indexed {indexed:?}",
        entry["name"],
        list("inputs").join(","),
        list("outputs").join(",")
    )
}

pub fn abi_entries(value: &serde_json::Value, kind: &str) -> BTreeMap<String, String> {
    value
        .as_array()
        .expect("an ABI array")
        .iter()
        .filter(|e| e["type"] == kind)
        .map(|e| (e["name"].as_str().expect("name").to_owned(), entry_shape(e)))
        .collect()
}
