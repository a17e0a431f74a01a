//! **The DODO-exact model**: DODO V2's PMM pricing as its deployed Solidity
//! contracts compute it, integer step by integer step.
//!
//! # Which model serves which pool
//!
//! * **This module (the DODO-exact model)** serves the *public* pools: DODO
//!   V2's DODO Stable Pools (DSP) and DODO Private Pools (DPP), which the
//!   Stabilizer trades against. Its job is to predict what such a pool pays,
//!   charges, stores and refuses, to the wei, so that trades sized off chain
//!   do what the sizing expected on chain.
//! * **The exact-curve model** ([`crate::pmm`]) serves our own
//!   PrivateMeshPool. It evaluates the same curve with one rounding per
//!   formula, always against the trader, which is our rule for our pool.
//!
//! The two agree on the curve but not on the last wei, nor always on more:
//! DODO truncates at every step of its integral and its quadratic solve,
//! floors its two fees separately, takes `1/i` as `floor(1e36 / i)` before
//! using it on the quote side (which moves payouts by percents when `i` is
//! large, e.g. a 6-decimal base against an 18-decimal quote), floors its
//! regularised targets through its own integer square root, refuses some
//! trades the exact model pays (`MUL_ERROR`, "should not be zero") and caps
//! a `k = 0` payout at the reserve where the exact model refuses.
//!
//! # What is reproduced
//!
//! Written from DODO V2's published contracts (DODOEX/contractV2 at its
//! newest commit, `c58c067`), without copying them. Pools deployed from
//! older sources differ in two corners, so a deployment's own bytecode
//! decides which applies:
//!
//! * before January 2024, `_SolveQuadraticFunctionForTrade` had no
//!   "should not be zero" guard: a zero numerator gave `V2 = 0` and paid the
//!   whole reserve `V1` where this module refuses;
//! * the zero-reserve case of `_SolveQuadraticFunctionForTarget` (`V1 = 0`)
//!   moved twice (December 2021, April 2022): it now returns `V1 + i·delta`
//!   for `k = 0` and zero otherwise.
//!
//! What is reproduced:
//!
//! * `SafeMath` (Solidity 0.6: checked `mul`, `div`, `sub`, `add`, its
//!   `divCeil` and its Babylonian `sqrt`, which returns 2 for 2) and the
//!   unchecked operations DODO writes without it (`4 * k`, `k * 2`, the
//!   overflow probes `(a * b) / a == b`), which wrap;
//! * `DecimalMath` ([`mul_floor`], [`mul_ceil`], [`div_floor`],
//!   [`div_ceil`], [`reciprocal_floor`], [`reciprocal_ceil`], [`pow_floor`]);
//! * `DODOMath` ([`general_integrate`], [`solve_quadratic_for_trade`],
//!   [`solve_quadratic_for_target`]);
//! * `PMMPricing` ([`sell_base_token`], [`sell_quote_token`],
//!   [`adjusted_target`], [`mid_price`]);
//! * the pools (DSP and DPP trade alike): [`query_sell_base`] and
//!   [`query_sell_quote`] (the fee split: LP fee and maintainer fee floored
//!   separately, the maintainer rate being what the pool's fee model returns
//!   for `tx.origin`), [`sell_base`] and [`sell_quote`] (the stored state
//!   after a trade; each is [`adjust`], `getPMMState` kept beside the stored
//!   state, then [`sell_base_adjusted`] / [`sell_quote_adjusted`], the sale
//!   on it, which a caller pricing many sales of one state runs alone),
//!   [`pmm_state`] (`getPMMState`), [`pool_mid_price`]
//!   (`getMidPrice`), [`twap_update`], DSP's [`buy_shares`] and
//!   [`sell_shares`], and DPP's owner functions ([`dpp_init`],
//!   [`dpp_reset`] and [`dpp_reset_from`], `DPPAdvanced`'s
//!   [`dpp_tune_parameters`] and [`dpp_tune_price`], [`dpp_ratio_sync`]).
//!
//! Every revert is a [`DodoError`] whose [`DodoError::reason`] is DODO's
//! revert string. Where a step reverts in DODO it returns that error here,
//! in the same order; where DODO wraps silently, so does this module.
//!
//! A state here is a [`PmmState`] holding the *stored* values (reserves,
//! stored targets, R), as the pools keep them, unless a function says it
//! takes the adjusted state (the one `getPMMState` returns).

use core::cmp::Ordering;

use crate::pmm::{PmmState, RState};
use crate::U256;

/// `1e18`: DODO's `DecimalMath.ONE`.
pub const ONE: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

/// `1e36`: DODO's `DecimalMath.ONE2`.
pub const ONE2: U256 = U256::from_limbs([0xb34b_9f10_0000_0000, 0x00c0_97ce_7bc9_0715, 0, 0]);

/// The largest `uint112`: DODO stores reserves and targets in 112 bits.
pub const MAX_U112: U256 = U256::from_limbs([u64::MAX, (1 << 48) - 1, 0, 0]);

/// A revert of a DODO V2 contract, named after its revert string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DodoError {
    /// `SafeMath.mul` overflowed: `MUL_ERROR`.
    MulError,
    /// `SafeMath.div` (or `divCeil`) by zero: `DIVIDING_ERROR`.
    DividingError,
    /// `SafeMath.sub` below zero: `SUB_ERROR`.
    SubError,
    /// `SafeMath.add` overflowed: `ADD_ERROR`.
    AddError,
    /// A curve was given a zero target: `TARGET_IS_ZERO`.
    TargetIsZero,
    /// The quadratic solve's numerator is zero: `DODOMath: should not be
    /// zero`.
    ShouldNotBeZero,
    /// A reserve or target does not fit in 112 bits: `OVERFLOW`.
    Overflow,
    /// The pool cannot transfer what it owes: the token's own revert (not a
    /// DODO string; reported as `TRANSFER_AMOUNT_EXCEEDS_BALANCE`).
    TransferExceedsBalance,
    /// DSP `buyShares` with no base input: `NO_BASE_INPUT`.
    NoBaseInput,
    /// DSP's first `buyShares` with no quote: `ZERO_QUOTE_AMOUNT`.
    ZeroQuoteAmount,
    /// Too few shares minted: `MINT_AMOUNT_NOT_ENOUGH`.
    MintAmountNotEnough,
    /// DSP's first `buyShares` gave a zero quote target:
    /// `QUOTE_TARGET_IS_ZERO`.
    QuoteTargetIsZero,
    /// DSP `sellShares` below the caller's minimums: `WITHDRAW_NOT_ENOUGH`.
    WithdrawNotEnough,
    /// DPP `reset` with reserves below the owner's minimums:
    /// `RESERVE_AMOUNT_IS_NOT_ENOUGH`.
    ReserveAmountIsNotEnough,
    /// DPP `reset` with an LP fee rate above 1e18: `LP_FEE_RATE_OUT_OF_RANGE`.
    LpFeeRateOutOfRange,
    /// DPP `reset` with `k` above 1e18: `K_OUT_OF_RANGE`.
    KOutOfRange,
    /// DPP `reset` with `i` zero or above 1e36: `I_OUT_OF_RANGE`.
    IOutOfRange,
}

impl DodoError {
    /// DODO's revert string for this error.
    pub const fn reason(self) -> &'static str {
        match self {
            Self::MulError => "MUL_ERROR",
            Self::DividingError => "DIVIDING_ERROR",
            Self::SubError => "SUB_ERROR",
            Self::AddError => "ADD_ERROR",
            Self::TargetIsZero => "TARGET_IS_ZERO",
            Self::ShouldNotBeZero => "DODOMath: should not be zero",
            Self::Overflow => "OVERFLOW",
            Self::TransferExceedsBalance => "TRANSFER_AMOUNT_EXCEEDS_BALANCE",
            Self::NoBaseInput => "NO_BASE_INPUT",
            Self::ZeroQuoteAmount => "ZERO_QUOTE_AMOUNT",
            Self::MintAmountNotEnough => "MINT_AMOUNT_NOT_ENOUGH",
            Self::QuoteTargetIsZero => "QUOTE_TARGET_IS_ZERO",
            Self::WithdrawNotEnough => "WITHDRAW_NOT_ENOUGH",
            Self::ReserveAmountIsNotEnough => "RESERVE_AMOUNT_IS_NOT_ENOUGH",
            Self::LpFeeRateOutOfRange => "LP_FEE_RATE_OUT_OF_RANGE",
            Self::KOutOfRange => "K_OUT_OF_RANGE",
            Self::IOutOfRange => "I_OUT_OF_RANGE",
        }
    }
}

/// Result of a DODO calculation: the value, or the revert.
pub type DodoResult<T> = Result<T, DodoError>;

/// DODO's numbering of the R state (`ONE` = 0, `ABOVE_ONE` = 1,
/// `BELOW_ONE` = 2), as stored in `_RState_` and returned by the queries.
pub const fn r_state_code(r: RState) -> u8 {
    match r {
        RState::One => 0,
        RState::AboveOne => 1,
        RState::BelowOne => 2,
    }
}

/// The R state for DODO's code, `None` for a code DODO cannot decode (its
/// `PMMPricing.RState(x)` conversion reverts on those).
pub const fn r_state_from_code(code: u64) -> Option<RState> {
    match code {
        0 => Some(RState::One),
        1 => Some(RState::AboveOne),
        2 => Some(RState::BelowOne),
        _ => None,
    }
}

// ============ SafeMath (Solidity 0.6) ============

/// `SafeMath.mul`: zero when `a` is zero, else `MUL_ERROR` on overflow.
fn mul(a: U256, b: U256) -> DodoResult<U256> {
    if a.is_zero() {
        return Ok(U256::ZERO);
    }
    a.checked_mul(b).ok_or(DodoError::MulError)
}

/// `floor(a / b)` for `b ≠ 0` (zero for `b = 0`; callers rule that out).
/// All division here goes through the crate's exact limb division
/// ([`crate::divide`]), which its property tests compare with ruint's.
fn floor_div(a: U256, b: U256) -> U256 {
    crate::divide::quotient(a, b, false).unwrap_or(U256::ZERO)
}

/// `SafeMath.div`: `DIVIDING_ERROR` for a zero divisor.
fn div(a: U256, b: U256) -> DodoResult<U256> {
    crate::divide::quotient(a, b, false).ok_or(DodoError::DividingError)
}

/// `SafeMath.divCeil`: the quotient, plus one when a remainder is left.
fn div_ceil_raw(a: U256, b: U256) -> DodoResult<U256> {
    let quotient = div(a, b)?;
    let remainder = a.wrapping_sub(quotient.wrapping_mul(b));
    Ok(if remainder.is_zero() { quotient } else { quotient.wrapping_add(U256::from(1u8)) })
}

/// `SafeMath.sub`: `SUB_ERROR` below zero.
fn sub(a: U256, b: U256) -> DodoResult<U256> {
    a.checked_sub(b).ok_or(DodoError::SubError)
}

/// `SafeMath.add`: `ADD_ERROR` on overflow.
fn add(a: U256, b: U256) -> DodoResult<U256> {
    a.checked_add(b).ok_or(DodoError::AddError)
}

/// `SafeMath.sqrt`, with DODO's results: its Babylonian iteration from
/// `x / 2 + 1` (unchecked arithmetic) returns the floor of the square root
/// for every `x` except 2, for which it returns 2 (0 for 0, 1 for 1).
///
/// Computed here by Newton's iteration from above (from `2^⌈bits/2⌉`, which
/// is at least the root, down while it falls: the floor of the root, in a
/// handful of divisions where DODO's start at `x / 2` takes about one per
/// bit of `x` before it converges), with 2 answered as DODO answers it.
/// DODO's loop reaches the same floor from any start at or above the root:
/// for `x ≥ 3`, `x / 2 + 1 ≥ √x`, and the loop stops at the first step that
/// does not fall, which is the floor. The property test
/// `tests/dodo_sqrt.rs` compares the two for every `x` below 2^17 and on
/// random inputs of every magnitude up to `U256::MAX`.
pub fn sqrt(x: U256) -> U256 {
    if x == U256::from(2u8) {
        return x;
    }
    crate::fixed::sqrt_floor(x)
}

/// `a * b` without a check, as Solidity 0.6 computes it outside `SafeMath`.
fn wrapping_mul(a: U256, b: U256) -> U256 {
    a.wrapping_mul(b)
}

/// DODO's probe `(a * b) / a == b` for an unchecked product (`a ≠ 0`).
fn product_fits(a: U256, b: U256) -> bool {
    floor_div(wrapping_mul(a, b), a) == b
}

// ============ DecimalMath ============

/// `DecimalMath.mulFloor`: `a · b / 1e18`, floored; `MUL_ERROR` if `a · b`
/// overflows.
///
/// # Errors
/// [`DodoError::MulError`].
pub fn mul_floor(a: U256, b: U256) -> DodoResult<U256> {
    Ok(floor_div(mul(a, b)?, ONE))
}

/// `DecimalMath.mulCeil`: `a · b / 1e18`, rounded up.
///
/// # Errors
/// [`DodoError::MulError`].
pub fn mul_ceil(a: U256, b: U256) -> DodoResult<U256> {
    div_ceil_raw(mul(a, b)?, ONE)
}

/// `DecimalMath.divFloor`: `a · 1e18 / b`, floored.
///
/// # Errors
/// [`DodoError::MulError`] if `a · 1e18` overflows,
/// [`DodoError::DividingError`] for `b = 0`.
pub fn div_floor(a: U256, b: U256) -> DodoResult<U256> {
    div(mul(a, ONE)?, b)
}

/// `DecimalMath.divCeil`: `a · 1e18 / b`, rounded up.
///
/// # Errors
/// As [`div_floor`].
pub fn div_ceil(a: U256, b: U256) -> DodoResult<U256> {
    div_ceil_raw(mul(a, ONE)?, b)
}

/// `DecimalMath.reciprocalFloor`: `1e36 / a`, floored.
///
/// # Errors
/// [`DodoError::DividingError`] for `a = 0`.
pub fn reciprocal_floor(a: U256) -> DodoResult<U256> {
    div(ONE2, a)
}

/// `DecimalMath.reciprocalCeil`: `1e36 / a`, rounded up.
///
/// # Errors
/// [`DodoError::DividingError`] for `a = 0`.
pub fn reciprocal_ceil(a: U256) -> DodoResult<U256> {
    div_ceil_raw(ONE2, a)
}

/// `DecimalMath.powFloor`: `a^e` in 1e18 fixed point by squaring, each
/// product floored (not used by the PMM pricing; kept for completeness).
///
/// # Errors
/// [`DodoError::MulError`].
pub fn pow_floor(a: U256, e: U256) -> DodoResult<U256> {
    if e.is_zero() {
        return Ok(ONE);
    }
    if e == U256::from(1u8) {
        return Ok(a);
    }
    let half = pow_floor(a, e >> 1)?;
    let mut p = floor_div(mul(half, half)?, ONE);
    if e.bit(0) {
        p = floor_div(mul(p, a)?, ONE);
    }
    Ok(p)
}

// ============ DODOMath ============

/// `DODOMath._GeneralIntegrate`: the area under the curve with target `v0`
/// between `v2` and `v1` at price `i`: `i·(v1 − v2)·(1 − k + k·v0²/(v1·v2))`,
/// with DODO's truncations: `v0²/v1` floored, then `·1e18/v2` floored, then
/// `k·…/1e18` floored, and the product divided by 1e36 once.
///
/// # Errors
/// `TARGET_IS_ZERO` for `v0 = 0`; `SUB_ERROR` for `v2 > v1` or `k > 1e18`;
/// `DIVIDING_ERROR` for a zero `v1` or `v2` (with `k ≠ 0`); `MUL_ERROR` and
/// `ADD_ERROR` on overflow.
pub fn general_integrate(v0: U256, v1: U256, v2: U256, i: U256, k: U256) -> DodoResult<U256> {
    if v0.is_zero() {
        return Err(DodoError::TargetIsZero);
    }
    let fair_amount = mul(i, sub(v1, v2)?)?;
    if k.is_zero() {
        return div(fair_amount, ONE);
    }
    let v0v0v1v2 = div_floor(div(mul(v0, v0)?, v1)?, v2)?;
    let penalty = mul_floor(k, v0v0v1v2)?;
    div(mul(add(sub(ONE, k)?, penalty)?, fair_amount)?, ONE2)
}

/// `DODOMath._SolveQuadraticFunctionForTarget`: the target `V0` of a side
/// whose reserve is `v1` while the other side holds `delta` above its own
/// target, at price `i`: `V0 = v1·(1 + (sqrt(1 + 4k·i·delta/v1) − 1)/(2k))`,
/// with the square root taken of a 1e36-scaled integer and every division
/// floored. For `k = 0` it is `v1 + i·delta`; for `v1 = 0` it is zero.
///
/// # Errors
/// `MUL_ERROR`, `ADD_ERROR`, `SUB_ERROR` and `DIVIDING_ERROR` where
/// DODO's steps give them.
pub fn solve_quadratic_for_target(v1: U256, delta: U256, i: U256, k: U256) -> DodoResult<U256> {
    if k.is_zero() {
        return add(v1, mul_floor(i, delta)?);
    }
    if v1.is_zero() {
        return Ok(U256::ZERO);
    }
    // `4 * k` is unchecked in DODO.
    let ki = mul(wrapping_mul(U256::from(4u8), k), i)?;
    let root = if ki.is_zero() {
        ONE
    } else if product_fits(ki, delta) {
        sqrt(add(div(wrapping_mul(ki, delta), v1)?, ONE2)?)
    } else {
        sqrt(add(mul(div(ki, v1)?, delta)?, ONE2)?)
    };
    // `k * 2` is unchecked in DODO.
    let premium = add(div_floor(sub(root, ONE)?, wrapping_mul(k, U256::from(2u8)))?, ONE)?;
    mul_floor(v1, premium)
}

/// `DODOMath._SolveQuadraticFunctionForTrade`: what the curve with target
/// `v0` and reserve `v1` pays when `delta` of the other token is sold into
/// it at price `i`. DODO's special cases are kept: zero for `delta = 0`;
/// `i·delta` capped at `v1` for `k = 0`; its own closed form for `k = 1`;
/// otherwise the quadratic, with `b` floored to whole units, the square root
/// floored, and `V2` rounded up (zero when `V2 > v1`).
///
/// # Errors
/// `TARGET_IS_ZERO` for `v0 = 0`; `DODOMath: should not be zero` when the
/// root equals `|b|` with `b > 0`; `MUL_ERROR`, `ADD_ERROR`, `SUB_ERROR`
/// and `DIVIDING_ERROR` where DODO's steps give them.
pub fn solve_quadratic_for_trade(v0: U256, v1: U256, delta: U256, i: U256, k: U256) -> DodoResult<U256> {
    if v0.is_zero() {
        return Err(DodoError::TargetIsZero);
    }
    if delta.is_zero() {
        return Ok(U256::ZERO);
    }
    if k.is_zero() {
        let out = mul_floor(i, delta)?;
        return Ok(if out > v1 { v1 } else { out });
    }
    if k == ONE {
        // V1 − V2 = V1·t/(1 + t) with t = i·delta·V1/V0².
        let idelta = mul(i, delta)?;
        let temp = if idelta.is_zero() {
            U256::ZERO
        } else if product_fits(idelta, v1) {
            div(wrapping_mul(idelta, v1), mul(v0, v0)?)?
        } else {
            div(mul(div(mul(delta, v1)?, v0)?, i)?, v0)?
        };
        return div(mul(v1, temp)?, add(temp, ONE)?);
    }
    // (1−k)·V2² + b·V2 − k·V0² = 0, b = k·V0²/V1 + i·delta − (1−k)·V1.
    let part2 = add(mul(div(mul(k, v0)?, v1)?, v0)?, mul(i, delta)?);
    let part2 = part2?;
    let one_minus_k = sub(ONE, k)?;
    let part1 = mul(one_minus_k, v1)?;
    let (b_abs, b_positive) = if part1 >= part2 { (part1 - part2, false) } else { (part2 - part1, true) };
    let b_abs = div(b_abs, ONE)?;
    let four_ac = mul_floor(mul(one_minus_k, U256::from(4u8))?, mul(mul_floor(k, v0)?, v0)?)?;
    let root = sqrt(add(mul(b_abs, b_abs)?, four_ac)?);
    let denominator = mul(one_minus_k, U256::from(2u8))?;
    let numerator = if b_positive {
        let n = sub(root, b_abs)?;
        if n.is_zero() {
            return Err(DodoError::ShouldNotBeZero);
        }
        n
    } else {
        add(b_abs, root)?
    };
    let v2 = div_ceil(numerator, denominator)?;
    Ok(if v2 > v1 { U256::ZERO } else { v1 - v2 })
}

// ============ PMMPricing ============

/// `PMMPricing.adjustedTarget`: the state with the short side's target
/// regularised from the reserves: the quote target when R is below one, the
/// base target (at price `reciprocalFloor(i)`) when R is above one.
///
/// # Errors
/// As [`solve_quadratic_for_target`]; `SUB_ERROR` when the long side is
/// below its stored target; `DIVIDING_ERROR` for `i = 0` above one.
pub fn adjusted_target(state: &PmmState) -> DodoResult<PmmState> {
    let mut s = *state;
    match s.r {
        RState::One => {}
        RState::BelowOne => {
            s.q0 = solve_quadratic_for_target(s.q, sub(s.b, s.b0)?, s.i, s.k)?;
        }
        RState::AboveOne => {
            s.b0 = solve_quadratic_for_target(s.b, sub(s.q, s.q0)?, reciprocal_floor(s.i)?, s.k)?;
        }
    }
    Ok(s)
}

/// `PMMPricing.sellBaseToken` on an *adjusted* state: the quote the curve
/// pays for `pay_base` (before fees) and the new R state.
///
/// From R above one: less than the back-to-one amount `B0 − B` stays above
/// one (the integral, capped at `Q − Q0`); exactly that amount pays `Q − Q0`
/// and returns to one; more pays `Q − Q0` plus the sale of the rest from one
/// and goes below one. From one or below one the result is below one (also
/// for a zero sale from one).
///
/// # Errors
/// As the `DODOMath` functions.
pub fn sell_base_token(state: &PmmState, pay_base: U256) -> DodoResult<(U256, RState)> {
    match state.r {
        RState::One => {
            Ok((solve_quadratic_for_trade(state.q0, state.q0, pay_base, state.i, state.k)?, RState::BelowOne))
        }
        RState::AboveOne => {
            let back_to_one_pay = sub(state.b0, state.b)?;
            let back_to_one_receive = sub(state.q, state.q0)?;
            match pay_base.cmp(&back_to_one_pay) {
                Ordering::Less => {
                    let out =
                        general_integrate(state.b0, add(state.b, pay_base)?, state.b, state.i, state.k)?;
                    Ok((out.min(back_to_one_receive), RState::AboveOne))
                }
                Ordering::Equal => Ok((back_to_one_receive, RState::One)),
                Ordering::Greater => {
                    let rest = pay_base - back_to_one_pay;
                    let rest = solve_quadratic_for_trade(state.q0, state.q0, rest, state.i, state.k)?;
                    Ok((add(back_to_one_receive, rest)?, RState::BelowOne))
                }
            }
        }
        RState::BelowOne => {
            Ok((solve_quadratic_for_trade(state.q0, state.q, pay_base, state.i, state.k)?, RState::BelowOne))
        }
    }
}

/// `PMMPricing.sellQuoteToken` on an *adjusted* state: the base the curve
/// pays for `pay_quote` (before fees) and the new R state. The mirror image
/// of [`sell_base_token`], with the price `reciprocalFloor(i)`.
///
/// # Errors
/// As the `DODOMath` functions; `DIVIDING_ERROR` for `i = 0`.
pub fn sell_quote_token(state: &PmmState, pay_quote: U256) -> DodoResult<(U256, RState)> {
    match state.r {
        RState::One => {
            let out = solve_quadratic_for_trade(
                state.b0,
                state.b0,
                pay_quote,
                reciprocal_floor(state.i)?,
                state.k,
            )?;
            Ok((out, RState::AboveOne))
        }
        RState::AboveOne => {
            let out =
                solve_quadratic_for_trade(state.b0, state.b, pay_quote, reciprocal_floor(state.i)?, state.k)?;
            Ok((out, RState::AboveOne))
        }
        RState::BelowOne => {
            let back_to_one_pay = sub(state.q0, state.q)?;
            let back_to_one_receive = sub(state.b, state.b0)?;
            match pay_quote.cmp(&back_to_one_pay) {
                Ordering::Less => {
                    let out = general_integrate(
                        state.q0,
                        add(state.q, pay_quote)?,
                        state.q,
                        reciprocal_floor(state.i)?,
                        state.k,
                    )?;
                    Ok((out.min(back_to_one_receive), RState::BelowOne))
                }
                Ordering::Equal => Ok((back_to_one_receive, RState::One)),
                Ordering::Greater => {
                    let rest = solve_quadratic_for_trade(
                        state.b0,
                        state.b0,
                        pay_quote - back_to_one_pay,
                        reciprocal_floor(state.i)?,
                        state.k,
                    )?;
                    Ok((add(back_to_one_receive, rest)?, RState::AboveOne))
                }
            }
        }
    }
}

/// `PMMPricing.getMidPrice` on an *adjusted* state: below one
/// `i / (1 − k + k·Q0²/Q²)`, otherwise `i·(1 − k + k·B0²/B²)`, with DODO's
/// floors (`X0²/X` floored, then `·1e18/X`, then `k·…/1e18`).
///
/// # Errors
/// `DIVIDING_ERROR` for a zero reserve on the side used (or a zero
/// denominator), `MUL_ERROR`/`ADD_ERROR` on overflow, `SUB_ERROR` for
/// `k > 1e18`.
pub fn mid_price(state: &PmmState) -> DodoResult<U256> {
    if state.r == RState::BelowOne {
        let ratio = div_floor(div(mul(state.q0, state.q0)?, state.q)?, state.q)?;
        let ratio = add(sub(ONE, state.k)?, mul_floor(state.k, ratio)?)?;
        div_floor(state.i, ratio)
    } else {
        let ratio = div_floor(div(mul(state.b0, state.b0)?, state.b)?, state.b)?;
        let ratio = add(sub(ONE, state.k)?, mul_floor(state.k, ratio)?)?;
        mul_floor(state.i, ratio)
    }
}

// ============ The pools (DSP and DPP) ============

/// `getPMMState` / `getPMMStateForCall`: the stored state with its target
/// adjusted ([`adjusted_target`]).
///
/// # Errors
/// As [`adjusted_target`].
pub fn pmm_state(stored: &PmmState) -> DodoResult<PmmState> {
    adjusted_target(stored)
}

/// `getMidPrice` of a pool: [`mid_price`] of [`pmm_state`].
///
/// # Errors
/// As [`adjusted_target`] and [`mid_price`].
pub fn pool_mid_price(stored: &PmmState) -> DodoResult<U256> {
    mid_price(&adjusted_target(stored)?)
}

/// What `querySellBase` / `querySellQuote` return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    /// What the trader receives, after both fees.
    pub receive: U256,
    /// The maintainer's fee: `floor(out · mtFeeRate / 1e18)`; it leaves the
    /// pool.
    pub mt_fee: U256,
    /// The LP fee: `floor(out · lpFeeRate / 1e18)`; it stays in the pool.
    /// (Not returned by DODO's query; `receive + lp_fee + mt_fee` is the curve
    /// output.)
    pub lp_fee: U256,
    /// R state after the trade.
    pub new_r: RState,
    /// The adjusted target of the input side (`B0` for a base sale, `Q0` for
    /// a quote sale): stored by the pool when R changes.
    pub new_target: U256,
}

/// Fee split on a curve output: both fees floored separately, the trader's
/// part `out − lpFee − mtFee` (checked as DODO's `sub`s).
fn split_fees(out: U256, lp_fee_rate: U256, mt_fee_rate: U256) -> DodoResult<(U256, U256, U256)> {
    let mt_fee = mul_floor(out, mt_fee_rate)?;
    let lp_fee = mul_floor(out, lp_fee_rate)?;
    let receive = sub(sub(out, lp_fee)?, mt_fee)?;
    Ok((receive, lp_fee, mt_fee))
}

/// A pool's stored state together with its adjusted state (`getPMMState`:
/// the short side's target regularised by [`adjusted_target`]), made by
/// [`adjust`]. A sale prices on the adjusted state and writes the stored
/// one; a caller pricing many sales from the same pool state adjusts it once
/// and sells on it with [`query_sell_base_adjusted`],
/// [`sell_base_adjusted`] and their quote mirrors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Adjusted {
    stored: PmmState,
    state: PmmState,
}

impl Adjusted {
    /// The stored state (reserves, stored targets, R).
    pub const fn stored(&self) -> &PmmState {
        &self.stored
    }

    /// The adjusted state ([`pmm_state`] of the stored one).
    pub const fn state(&self) -> &PmmState {
        &self.state
    }
}

/// The first step of every DODO sale and query: `getPMMState` of the stored
/// state, kept beside it.
///
/// # Errors
/// As [`adjusted_target`].
pub fn adjust(stored: &PmmState) -> DodoResult<Adjusted> {
    Ok(Adjusted { stored: *stored, state: adjusted_target(stored)? })
}

/// The rest of `querySellBase` after `getPMMState`: the curve's sale of
/// `pay_base` on the *adjusted* state `state` and the fee split (see
/// [`query_sell_base`]).
///
/// # Errors
/// As [`sell_base_token`]; `MUL_ERROR` or `SUB_ERROR` in the fee split.
pub fn query_sell_base_adjusted(
    state: &PmmState,
    pay_base: U256,
    lp_fee_rate: U256,
    mt_fee_rate: U256,
) -> DodoResult<Query> {
    let (out, new_r) = sell_base_token(state, pay_base)?;
    let (receive, lp_fee, mt_fee) = split_fees(out, lp_fee_rate, mt_fee_rate)?;
    Ok(Query { receive, mt_fee, lp_fee, new_r, new_target: state.b0 })
}

/// The rest of `querySellQuote` after `getPMMState`: the mirror of
/// [`query_sell_base_adjusted`].
///
/// # Errors
/// As [`sell_quote_token`]; `MUL_ERROR` or `SUB_ERROR` in the fee split.
pub fn query_sell_quote_adjusted(
    state: &PmmState,
    pay_quote: U256,
    lp_fee_rate: U256,
    mt_fee_rate: U256,
) -> DodoResult<Query> {
    let (out, new_r) = sell_quote_token(state, pay_quote)?;
    let (receive, lp_fee, mt_fee) = split_fees(out, lp_fee_rate, mt_fee_rate)?;
    Ok(Query { receive, mt_fee, lp_fee, new_r, new_target: state.q0 })
}

/// `querySellBase(trader, payBaseAmount)` of a DSP or DPP with the stored
/// state `stored`, LP fee rate `lp_fee_rate` and the maintainer fee rate the
/// pool's fee model returns for the trader (`mt_fee_rate`):
/// [`query_sell_base_adjusted`] on [`adjusted_target`] of `stored`.
///
/// # Errors
/// As [`adjusted_target`] and [`sell_base_token`]; `MUL_ERROR` or
/// `SUB_ERROR` in the fee split (fee rates summing above 1e18).
pub fn query_sell_base(
    stored: &PmmState,
    pay_base: U256,
    lp_fee_rate: U256,
    mt_fee_rate: U256,
) -> DodoResult<Query> {
    query_sell_base_adjusted(&adjusted_target(stored)?, pay_base, lp_fee_rate, mt_fee_rate)
}

/// `querySellQuote(trader, payQuoteAmount)`: the mirror of
/// [`query_sell_base`]; `new_target` is the adjusted `Q0`.
///
/// # Errors
/// As [`query_sell_base`].
pub fn query_sell_quote(
    stored: &PmmState,
    pay_quote: U256,
    lp_fee_rate: U256,
    mt_fee_rate: U256,
) -> DodoResult<Query> {
    query_sell_quote_adjusted(&adjusted_target(stored)?, pay_quote, lp_fee_rate, mt_fee_rate)
}

/// A trade and the pool's stored state after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sell {
    /// The query the pool ran.
    pub query: Query,
    /// The stored state after the trade.
    pub state: PmmState,
}

/// `sellBase` of a DSP or DPP whose token balances equal its reserves, after
/// `pay_base` was transferred in: the quote out to the trader and to the
/// maintainer, then (if R changed) the adjusted base target and R stored,
/// then the reserves set to the balances (`B + pay`, `Q − receive − mtFee`;
/// the LP fee stays). The TWAP is not included: see [`twap_update`].
/// It is [`sell_base_adjusted`] on [`adjust`] of `stored`.
///
/// # Errors
/// As [`query_sell_base`]; [`DodoError::TransferExceedsBalance`] when the
/// pool holds less quote than it pays; `OVERFLOW` when the new target or a
/// new reserve does not fit in 112 bits.
pub fn sell_base(
    stored: &PmmState,
    pay_base: U256,
    lp_fee_rate: U256,
    mt_fee_rate: U256,
) -> DodoResult<Sell> {
    sell_base_adjusted(&adjust(stored)?, pay_base, lp_fee_rate, mt_fee_rate)
}

/// `sellQuote`: the mirror of [`sell_base`] (the adjusted quote target is
/// stored when R changes); [`sell_quote_adjusted`] on [`adjust`] of
/// `stored`.
///
/// # Errors
/// As [`sell_base`].
pub fn sell_quote(
    stored: &PmmState,
    pay_quote: U256,
    lp_fee_rate: U256,
    mt_fee_rate: U256,
) -> DodoResult<Sell> {
    sell_quote_adjusted(&adjust(stored)?, pay_quote, lp_fee_rate, mt_fee_rate)
}

/// `sellBase` after its `getPMMState`: the sale of [`sell_base`] on the pool
/// `pool` whose state was adjusted beforehand ([`adjust`]), with the same
/// result and the same errors past the adjustment's.
///
/// # Errors
/// As [`query_sell_base_adjusted`]; [`DodoError::TransferExceedsBalance`]
/// and `OVERFLOW` as [`sell_base`].
pub fn sell_base_adjusted(
    pool: &Adjusted,
    pay_base: U256,
    lp_fee_rate: U256,
    mt_fee_rate: U256,
) -> DodoResult<Sell> {
    let query = query_sell_base_adjusted(&pool.state, pay_base, lp_fee_rate, mt_fee_rate)?;
    let stored = &pool.stored;
    let quote_left = stored
        .q
        .checked_sub(query.receive)
        .and_then(|q| q.checked_sub(query.mt_fee))
        .ok_or(DodoError::TransferExceedsBalance)?;
    let mut state = *stored;
    if state.r != query.new_r {
        if query.new_target > MAX_U112 {
            return Err(DodoError::Overflow);
        }
        state.b0 = query.new_target;
        state.r = query.new_r;
    }
    let base_balance = stored.b.checked_add(pay_base).ok_or(DodoError::Overflow)?;
    if base_balance > MAX_U112 || quote_left > MAX_U112 {
        return Err(DodoError::Overflow);
    }
    state.b = base_balance;
    state.q = quote_left;
    Ok(Sell { query, state })
}

/// `sellQuote` after its `getPMMState`: the mirror of
/// [`sell_base_adjusted`].
///
/// # Errors
/// As [`sell_base_adjusted`].
pub fn sell_quote_adjusted(
    pool: &Adjusted,
    pay_quote: U256,
    lp_fee_rate: U256,
    mt_fee_rate: U256,
) -> DodoResult<Sell> {
    let query = query_sell_quote_adjusted(&pool.state, pay_quote, lp_fee_rate, mt_fee_rate)?;
    let stored = &pool.stored;
    let base_left = stored
        .b
        .checked_sub(query.receive)
        .and_then(|b| b.checked_sub(query.mt_fee))
        .ok_or(DodoError::TransferExceedsBalance)?;
    let mut state = *stored;
    if state.r != query.new_r {
        if query.new_target > MAX_U112 {
            return Err(DodoError::Overflow);
        }
        state.q0 = query.new_target;
        state.r = query.new_r;
    }
    let quote_balance = stored.q.checked_add(pay_quote).ok_or(DodoError::Overflow)?;
    if base_left > MAX_U112 || quote_balance > MAX_U112 {
        return Err(DodoError::Overflow);
    }
    state.b = base_left;
    state.q = quote_balance;
    Ok(Sell { query, state })
}

/// DODO's TWAP accumulator, as `_twapUpdate` runs it after the reserves are
/// set (when the pool's TWAP is open): if time passed (32-bit timestamps,
/// wrapping) and both reserves are nonzero, `cumulative += midPrice ·
/// elapsed`, unchecked. Returns the new `(cumulative, last timestamp)`.
///
/// # Errors
/// As [`pool_mid_price`]: the pool's trade reverts with it.
pub fn twap_update(stored: &PmmState, cumulative: U256, last: u32, now: u32) -> DodoResult<(U256, u32)> {
    let elapsed = now.wrapping_sub(last);
    if elapsed > 0 && !stored.b.is_zero() && !stored.q.is_zero() {
        let price = pool_mid_price(stored)?;
        return Ok((cumulative.wrapping_add(price.wrapping_mul(U256::from(elapsed))), now));
    }
    Ok((cumulative, now))
}

/// DSP liquidity: the stored state and the total share supply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DspLiquidity {
    /// Stored pricing state (reserves, targets, R).
    pub state: PmmState,
    /// Total supply of the pool's shares.
    pub total_supply: U256,
}

/// `buyShares` of a DSP: the shares minted to the buyer and the liquidity
/// after it, given the pool's token balances after the deposit. The first
/// deposit sets the targets to `shares` and `shares · i`, where `shares` is
/// the base balance or, if quote is scarcer at `i`, `quote / i`; 1,001
/// shares go to the zero address. Later deposits mint in proportion to the
/// smaller of the two input ratios and raise both targets by that ratio
/// (floored; DODO casts the targets to 112 bits unchecked, and so does this).
/// R is left as it was; the reserves become the balances.
///
/// # Errors
/// `NO_BASE_INPUT`, `ZERO_QUOTE_AMOUNT`, `MINT_AMOUNT_NOT_ENOUGH`,
/// `QUOTE_TARGET_IS_ZERO`, `SUB_ERROR` (a balance below its reserve),
/// `OVERFLOW` (a balance beyond 112 bits) and the arithmetic errors.
pub fn buy_shares(
    pool: &DspLiquidity,
    base_balance: U256,
    quote_balance: U256,
) -> DodoResult<(U256, DspLiquidity)> {
    let mut s = pool.state;
    let base_input = sub(base_balance, s.b)?;
    let quote_input = sub(quote_balance, s.q)?;
    if base_input.is_zero() {
        return Err(DodoError::NoBaseInput);
    }
    let mut total_supply = pool.total_supply;
    let mut shares = U256::ZERO;
    if total_supply.is_zero() {
        if quote_balance.is_zero() {
            return Err(DodoError::ZeroQuoteAmount);
        }
        shares = if quote_balance < mul_floor(base_balance, s.i)? {
            div_floor(quote_balance, s.i)?
        } else {
            base_balance
        };
        s.b0 = shares & MAX_U112;
        s.q0 = mul_floor(shares, s.i)? & MAX_U112;
        if shares <= U256::from(2001u16) {
            return Err(DodoError::MintAmountNotEnough);
        }
        if s.q0.is_zero() {
            return Err(DodoError::QuoteTargetIsZero);
        }
        total_supply = add(total_supply, U256::from(1001u16))?;
        shares -= U256::from(1001u16);
    } else if !s.b.is_zero() && !s.q.is_zero() {
        let base_ratio = div_floor(base_input, s.b)?;
        let quote_ratio = div_floor(quote_input, s.q)?;
        let ratio = base_ratio.min(quote_ratio);
        shares = mul_floor(total_supply, ratio)?;
        s.b0 = add(s.b0, mul_floor(s.b0, ratio)?)? & MAX_U112;
        s.q0 = add(s.q0, mul_floor(s.q0, ratio)?)? & MAX_U112;
    }
    if shares <= U256::from(1000u16) {
        return Err(DodoError::MintAmountNotEnough);
    }
    total_supply = add(total_supply, shares)?;
    if base_balance > MAX_U112 || quote_balance > MAX_U112 {
        return Err(DodoError::Overflow);
    }
    s.b = base_balance;
    s.q = quote_balance;
    Ok((shares, DspLiquidity { state: s, total_supply }))
}

/// `sellShares` of a DSP whose balances equal its reserves: `shares` are
/// burnt for `floor(balance · shares / supply)` of each token; each target
/// falls by `ceil(target · shares / supply)`. Returns `(base, quote, after)`.
/// (The caller's share balance and the deadline are the caller's to check.)
///
/// # Errors
/// `WITHDRAW_NOT_ENOUGH` below `base_min` or `quote_min`; `SUB_ERROR`,
/// `MUL_ERROR`, `DIVIDING_ERROR` as DODO's steps give them.
pub fn sell_shares(
    pool: &DspLiquidity,
    shares: U256,
    base_min: U256,
    quote_min: U256,
) -> DodoResult<(U256, U256, DspLiquidity)> {
    let mut s = pool.state;
    let base = div(mul(s.b, shares)?, pool.total_supply)?;
    let quote = div(mul(s.q, shares)?, pool.total_supply)?;
    s.b0 = sub(s.b0, div_ceil_raw(mul(s.b0, shares)?, pool.total_supply)?)? & MAX_U112;
    s.q0 = sub(s.q0, div_ceil_raw(mul(s.q0, shares)?, pool.total_supply)?)? & MAX_U112;
    if base < base_min || quote < quote_min {
        return Err(DodoError::WithdrawNotEnough);
    }
    let total_supply = sub(pool.total_supply, shares)?;
    s.b -= base;
    s.q -= quote;
    Ok((base, quote, DspLiquidity { state: s, total_supply }))
}

/// A DPP's parameters that `reset` sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DppParams {
    /// LP fee rate, at most 1e18.
    pub lp_fee_rate: U256,
    /// Guide price `i`, in `(0, 1e36]`.
    pub i: U256,
    /// Slippage factor `k`, at most 1e18.
    pub k: U256,
}

/// What a DPP owner's `reset` asks for, beside the new parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DppReset {
    /// The new LP fee rate, `i` and `k`.
    pub params: DppParams,
    /// Base paid out to the owner's `assetTo`.
    pub base_out: U256,
    /// Quote paid out to the owner's `assetTo`.
    pub quote_out: U256,
    /// The stored base reserve must be at least this (the owner's guard
    /// against a trade landing before the reset).
    pub min_base_reserve: U256,
    /// The stored quote reserve must be at least this.
    pub min_quote_reserve: U256,
}

/// DPP's range checks on new parameters, in DODO's order.
fn dpp_check_params(params: DppParams) -> DodoResult<()> {
    if params.lp_fee_rate > ONE {
        return Err(DodoError::LpFeeRateOutOfRange);
    }
    if params.k > ONE {
        return Err(DodoError::KOutOfRange);
    }
    dpp_check_i(params.i)
}

fn dpp_check_i(i: U256) -> DodoResult<()> {
    if i.is_zero() || i > ONE2 {
        return Err(DodoError::IOutOfRange);
    }
    Ok(())
}

/// DPP's guard on the stored reserves (`reset`, `tuneParameters`,
/// `tunePrice`).
fn dpp_check_reserves(stored: &PmmState, min_base_reserve: U256, min_quote_reserve: U256) -> DodoResult<()> {
    if stored.b < min_base_reserve || stored.q < min_quote_reserve {
        return Err(DodoError::ReserveAmountIsNotEnough);
    }
    Ok(())
}

/// `_resetTargetAndReserve`: the balances become both reserves and both
/// targets, R one.
fn dpp_reset_to(params: DppParams, base_balance: U256, quote_balance: U256) -> DodoResult<PmmState> {
    if base_balance > MAX_U112 || quote_balance > MAX_U112 {
        return Err(DodoError::Overflow);
    }
    Ok(PmmState {
        i: params.i,
        k: params.k,
        b: base_balance,
        q: quote_balance,
        b0: base_balance,
        q0: quote_balance,
        r: RState::One,
    })
}

/// DPP `init` of a pool holding `base_balance` and `quote_balance` (the
/// owner transfers the tokens in first): the parameters checked, then the
/// balances become the reserves and the targets, R one. (DODO's `init`
/// first refuses a second call, `DODO_INITIALIZED`, and equal tokens,
/// `BASE_QUOTE_CAN_NOT_BE_SAME`; those are the caller's to check.) The TWAP
/// update that follows is [`twap_update`].
///
/// # Errors
/// `LP_FEE_RATE_OUT_OF_RANGE`, `K_OUT_OF_RANGE`, `I_OUT_OF_RANGE` in that
/// order; `OVERFLOW` for a balance beyond 112 bits.
pub fn dpp_init(params: DppParams, base_balance: U256, quote_balance: U256) -> DodoResult<PmmState> {
    dpp_check_params(params)?;
    dpp_reset_to(params, base_balance, quote_balance)
}

/// DPP `reset` by its owner, on a pool whose balances equal its reserves:
/// [`dpp_reset_from`] with the reserves as the balances.
///
/// # Errors
/// As [`dpp_reset_from`].
pub fn dpp_reset(
    stored: &PmmState,
    params: DppParams,
    base_out: U256,
    quote_out: U256,
    min_base_reserve: U256,
    min_quote_reserve: U256,
) -> DodoResult<PmmState> {
    let reset = DppReset { params, base_out, quote_out, min_base_reserve, min_quote_reserve };
    dpp_reset_from(stored, stored.b, stored.q, &reset)
}

/// DPP `reset` by its owner, on a pool with the stored state `stored` that
/// holds `base_balance` and `quote_balance`, which exceed the reserves by
/// what was transferred in since they were last set (the owner's top-up, a
/// refused sale's input): the *stored* reserves are checked against the
/// owner's minimums, then the new parameters; the payouts leave, and the
/// balances left become both reserves and both targets with R at one. The
/// pool's LP fee rate becomes `reset.params.lp_fee_rate`; the TWAP update
/// that follows is [`twap_update`].
///
/// # Errors
/// `RESERVE_AMOUNT_IS_NOT_ENOUGH`, `LP_FEE_RATE_OUT_OF_RANGE`,
/// `K_OUT_OF_RANGE`, `I_OUT_OF_RANGE` in that order;
/// [`DodoError::TransferExceedsBalance`] for a payout above a balance;
/// `OVERFLOW` for a balance left beyond 112 bits.
pub fn dpp_reset_from(
    stored: &PmmState,
    base_balance: U256,
    quote_balance: U256,
    reset: &DppReset,
) -> DodoResult<PmmState> {
    dpp_check_reserves(stored, reset.min_base_reserve, reset.min_quote_reserve)?;
    dpp_check_params(reset.params)?;
    let b = base_balance.checked_sub(reset.base_out).ok_or(DodoError::TransferExceedsBalance)?;
    let q = quote_balance.checked_sub(reset.quote_out).ok_or(DodoError::TransferExceedsBalance)?;
    dpp_reset_to(reset.params, b, q)
}

/// `DPPAdvanced.tuneParameters`: the reserve guard and the range checks of
/// [`dpp_reset_from`], then the new `i` and `k` (and LP fee rate, which the
/// caller keeps); reserves, targets and R stay, and the TWAP is not
/// updated.
///
/// # Errors
/// `RESERVE_AMOUNT_IS_NOT_ENOUGH`, `LP_FEE_RATE_OUT_OF_RANGE`,
/// `K_OUT_OF_RANGE`, `I_OUT_OF_RANGE` in that order.
pub fn dpp_tune_parameters(
    stored: &PmmState,
    params: DppParams,
    min_base_reserve: U256,
    min_quote_reserve: U256,
) -> DodoResult<PmmState> {
    dpp_check_reserves(stored, min_base_reserve, min_quote_reserve)?;
    dpp_check_params(params)?;
    Ok(PmmState { i: params.i, k: params.k, ..*stored })
}

/// `DPPAdvanced.tunePrice`: the reserve guard, then the new `i` alone.
///
/// # Errors
/// `RESERVE_AMOUNT_IS_NOT_ENOUGH`, then `I_OUT_OF_RANGE`.
pub fn dpp_tune_price(
    stored: &PmmState,
    i: U256,
    min_base_reserve: U256,
    min_quote_reserve: U256,
) -> DodoResult<PmmState> {
    dpp_check_reserves(stored, min_base_reserve, min_quote_reserve)?;
    dpp_check_i(i)?;
    Ok(PmmState { i, ..*stored })
}

/// DPP `ratioSync` (owner only) on a pool holding `base_balance` and
/// `quote_balance`: each reserve that differs from its balance becomes the
/// balance, and its target becomes `floor(target · balance / reserve)`, cut
/// to 112 bits as DODO's unchecked cast cuts it; R stays. The TWAP update
/// that follows is [`twap_update`].
///
/// # Errors
/// `OVERFLOW` for a balance beyond 112 bits (checked first);
/// `DIVIDING_ERROR` when a zero reserve's balance is not zero.
pub fn dpp_ratio_sync(stored: &PmmState, base_balance: U256, quote_balance: U256) -> DodoResult<PmmState> {
    if base_balance > MAX_U112 || quote_balance > MAX_U112 {
        return Err(DodoError::Overflow);
    }
    let mut s = *stored;
    if base_balance != s.b {
        s.b0 = div(mul(s.b0, base_balance)?, s.b)? & MAX_U112;
        s.b = base_balance;
    }
    if quote_balance != s.q {
        s.q0 = div(mul(s.q0, quote_balance)?, s.q)? & MAX_U112;
        s.q = quote_balance;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(v: u128) -> U256 {
        U256::from(v)
    }

    #[test]
    fn constants() {
        assert_eq!(ONE2, ONE * ONE);
        assert_eq!(MAX_U112, (U256::from(1u8) << 112) - U256::from(1u8));
    }

    #[test]
    fn safe_math_sqrt_as_dodo() {
        // DODO's sqrt: floor of the square root, except sqrt(2) = 2.
        let expect = [0u64, 1, 2, 1, 2, 2, 2, 2, 2, 3, 3];
        for (x, want) in expect.iter().enumerate() {
            assert_eq!(sqrt(U256::from(x)), U256::from(*want), "sqrt({x})");
        }
        assert_eq!(sqrt(ONE2), ONE);
        assert_eq!(sqrt(U256::MAX), U256::from(u128::MAX));
    }

    #[test]
    fn decimal_math() {
        let e18 = 1_000_000_000_000_000_000u128;
        assert_eq!(mul_floor(u(3), u(e18 / 2)), Ok(u(1)));
        assert_eq!(mul_ceil(u(3), u(e18 / 2)), Ok(u(2)));
        assert_eq!(div_floor(u(1), u(3)), Ok(u(333_333_333_333_333_333)));
        assert_eq!(div_ceil(u(1), u(3)), Ok(u(333_333_333_333_333_334)));
        assert_eq!(reciprocal_floor(u(3 * e18)), Ok(u(333_333_333_333_333_333)));
        assert_eq!(reciprocal_ceil(u(3 * e18)), Ok(u(333_333_333_333_333_334)));
        assert_eq!(pow_floor(u(2 * e18), u(10)), Ok(u(1024 * e18)));
        assert_eq!(reciprocal_floor(U256::ZERO), Err(DodoError::DividingError));
        assert_eq!(div_floor(U256::MAX, u(1)), Err(DodoError::MulError));
        assert_eq!(mul_floor(U256::ZERO, U256::MAX), Ok(U256::ZERO));
    }

    #[test]
    fn r_state_codes() {
        for r in [RState::One, RState::AboveOne, RState::BelowOne] {
            assert_eq!(r_state_from_code(u64::from(r_state_code(r))), Some(r));
        }
        assert_eq!(r_state_from_code(3), None);
    }

    #[test]
    fn reverts_of_the_math() {
        let (i, k) = (ONE, ONE / u(10));
        assert_eq!(general_integrate(U256::ZERO, u(2), u(1), i, k), Err(DodoError::TargetIsZero));
        assert_eq!(solve_quadratic_for_trade(U256::ZERO, u(2), u(1), i, k), Err(DodoError::TargetIsZero));
        assert_eq!(general_integrate(u(3), u(1), u(2), i, k), Err(DodoError::SubError));
        assert_eq!(general_integrate(u(3), u(2), U256::ZERO, i, k), Err(DodoError::DividingError));
        assert_eq!(solve_quadratic_for_trade(u(3), u(2), u(1), i, ONE + u(1)), Err(DodoError::SubError));
        assert_eq!(solve_quadratic_for_trade(u(3), u(2), U256::MAX, i, k), Err(DodoError::MulError));
        // k = 0: the payout is capped at the reserve, not refused.
        assert_eq!(solve_quadratic_for_trade(u(100), u(100), u(500), i, U256::ZERO), Ok(u(100)));
        // k = 0 and a zero V1: the integral does not divide.
        assert_eq!(general_integrate(u(3), u(2), U256::ZERO, i, U256::ZERO), Ok(u(2)));
        assert_eq!(solve_quadratic_for_target(U256::ZERO, u(5), i, k), Ok(U256::ZERO));
    }

    #[test]
    fn should_not_be_zero() {
        // b > 0 and sqrt(b² + 4(1−k)k·V0²) = b: the 4ac term floors to zero.
        // V0 = 1, k = 0.5: mulFloor(k, V0) = 0, so the root is |b| exactly.
        let out = solve_quadratic_for_trade(u(1), u(1), u(10), ONE, ONE / u(2));
        assert_eq!(out, Err(DodoError::ShouldNotBeZero));
        assert_eq!(DodoError::ShouldNotBeZero.reason(), "DODOMath: should not be zero");
    }
}
