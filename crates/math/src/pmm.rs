//! **The exact-curve model**: the PMM curve of DODO V2, written from DODO's
//! published formulas, evaluated exactly and rounded once per formula,
//! against the trader.
//!
//! # Two PMM models
//!
//! * **The exact-curve model** (this module) serves our own
//!   PrivateMeshPool, where rounding against the trader is the rule.
//! * **The DODO-exact model** ([`dodo`]) serves the public DODO V2 pools (DSP
//!   and DPP): it reproduces DODO's own integer arithmetic, truncation order,
//!   fee split and reverts, to the wei.
//!
//! The two are not interchangeable: on the same state they can differ by
//! more than a wei (DODO truncates at every step, floors `1/i` and its
//! regularised targets, and refuses or caps where this model pays or
//! refuses). Use [`dodo`] to predict a public pool.
//!
//! # The curve
//!
//! With `i` the oracle price (quote per base, 1e18 fixed point), `k` the
//! slippage factor in `[0, 1]` and `B0`, `Q0` the targets, the marginal price
//! is
//!
//! * base short (`B < B0`, R above one): `P = i·(1 − k + k·(B0/B)²)`;
//! * quote short (`Q < Q0`, R below one): `P = i / (1 − k + k·(Q0/Q)²)`;
//! * at equilibrium (R one): `P = i` when the reserves sit on their targets.
//!
//! The amount paid out along either side is the integral of that curve
//! ([`general_integrate`]); the amount received for a given input is the root
//! of the quadratic that integral gives ([`solve_quadratic_for_trade`]); and
//! when R is not one, the target of the short side is recovered from the
//! reserves by the other quadratic ([`solve_quadratic_for_target`]).
//!
//! # Rounding (all deliberate)
//!
//! * Every amount the trader **receives** is rounded **down**.
//! * The regularised target of the short side is bracketed by a lower and an
//!   upper integer bound. The bound used is always the one that pays the
//!   trader less: the upper bound when the trade moves further from
//!   equilibrium (a larger target is a steeper curve) and as the price of
//!   getting back to R = one; the lower bound inside the integral when the
//!   trade moves back toward equilibrium without reaching it (that payout is
//!   still capped by the excess the pool holds). [`adjusted_target`] reports
//!   the upper bound ("targets rounded up").
//! * Fees are taken from the curve output `out`: the total fee is
//!   `ceil(out·(lp+mt))`, the maintainer part `floor(out·mt)` and the LP part
//!   the rest, so the trader gets `out − total` (rounded against the trader)
//!   and the sub-wei remainder stays with the LPs. (DODO floors both fees
//!   separately, on its own curve output; see [`dodo`].)
//! * Unlike DODO, the inverse price `1/i` used on the quote side is kept as an
//!   exact fraction (DODO's `reciprocalFloor(i)` loses precision for large
//!   `i`), and intermediate products use 512 bits, so each formula rounds once.
//!
//! # State updates
//!
//! [`sell_base`] and [`sell_quote`] return the new reserves and R state. As in
//! DODO's pools, the stored targets change only when R changes: the target of
//! the side that was regularised is then stored. While R is not one, the
//! short-side target is always recomputed from the reserves, so a stale stored
//! value there is harmless. The LP fee stays in the pool (the output reserve
//! falls by `receive + mt_fee`); the maintainer fee leaves it.

use core::cmp::Ordering;

use crate::fixed::{below, diff, zero, ONE};
use crate::wide::{self, w, wn, Fault, W};
use crate::{MathError, MathResult, U256};

pub mod dodo;

/// DODO's R state: where the reserves sit relative to their targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RState {
    /// Both reserves on (or above, by accrued fees) their targets.
    #[default]
    One,
    /// Base is short (`B < B0`), quote in excess: price above `i`.
    AboveOne,
    /// Quote is short (`Q < Q0`), base in excess: price below `i`.
    BelowOne,
}

/// A PMM pool's pricing state, as DODO's `getPMMStateForCall` returns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PmmState {
    /// Oracle / guide price: quote per base, 1e18 fixed point. Must be > 0.
    pub i: U256,
    /// Slippage factor, 1e18 fixed point in `[0, 1e18]`.
    pub k: U256,
    /// Actual base reserve.
    pub b: U256,
    /// Actual quote reserve.
    pub q: U256,
    /// Stored base target.
    pub b0: U256,
    /// Stored quote target.
    pub q0: U256,
    /// R state.
    pub r: RState,
}

/// Result of one sell against a [`PmmState`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SellOutcome {
    /// Amount the trader receives, after both fees (rounded down).
    pub receive: U256,
    /// LP fee; stays in the pool.
    pub lp_fee: U256,
    /// Maintainer fee; leaves the pool.
    pub mt_fee: U256,
    /// Pool state after the trade.
    pub new_state: PmmState,
}

/// A price as an exact fraction `num / den` (token-out per token-in).
#[derive(Clone, Copy)]
struct Price {
    num: U256,
    den: U256,
}

/// Price of base in quote: `i / 1e18`.
fn base_price(i: U256) -> Price {
    Price { num: i, den: ONE }
}

/// Price of quote in base: `1e18 / i`, kept exact.
fn quote_price(i: U256) -> Price {
    Price { num: ONE, den: i }
}

fn check_k(k: &U256) -> MathResult<()> {
    if below(&ONE, k) {
        Err(MathError::InvalidInput)
    } else {
        Ok(())
    }
}

fn check_i(i: &U256) -> MathResult<()> {
    if zero(i) {
        Err(MathError::InvalidInput)
    } else {
        Ok(())
    }
}

/// `delta · price · 1e18`, floor or ceil: the value of `delta` in the other
/// token, with 18 extra decimals.
fn scaled_value(fault: &Fault, delta: &U256, p: &Price, up: bool) -> W {
    let num = wide::mul(fault, &wide::mul(fault, &w(*delta), &w(p.num)), &w(ONE));
    wide::div(fault, &num, &w(p.den), up)
}

fn general_integrate_p(v0: &U256, v1: &U256, v2: &U256, p: &Price, k: &U256) -> MathResult<U256> {
    let (v0, v1, v2, k) = (*v0, *v1, *v2, *k);
    check_k(&k)?;
    if zero(&p.num) || zero(&p.den) || zero(&v2) || below(&v1, &v2) || below(&v0, &v1) {
        return Err(MathError::InvalidInput);
    }
    let width = w(diff(&v1, &v2));
    if width.is_zero() {
        return Ok(U256::ZERO);
    }
    let scale = w(ONE);
    let kk = w(k);
    let fault = &Fault::default();
    // p·d·(1 − k): floor, part of a payout.
    let wp = wide::mul(fault, &width, &w(p.num));
    let term1 = wide::mul(fault, &wp, &wide::sub(&scale, &kk));
    let term1 = wide::div(fault, &term1, &wide::mul(fault, &w(p.den), &scale), false);
    // p·d·k·V0²/(V1·V2), in two floored steps (both only shrink the payout).
    let step = wide::mul(fault, &wide::mul(fault, &wp, &kk), &w(v0));
    let step = wide::div(fault, &step, &wide::mul(fault, &w(p.den), &w(v1)), false);
    let term2 = wide::mul(fault, &step, &w(v0));
    let term2 = wide::div(fault, &term2, &wide::mul(fault, &w(v2), &scale), false);
    let out = wide::narrow(fault, &wide::add(fault, &term1, &term2));
    fault.check()?;
    Ok(out)
}

fn solve_trade_p(v0: &U256, v1: &U256, delta: &U256, p: &Price, k: &U256) -> MathResult<U256> {
    let (v0, v1, k) = (*v0, *v1, *k);
    check_k(&k)?;
    if zero(&v0) || zero(&p.num) || zero(&p.den) {
        return Err(MathError::InvalidInput);
    }
    if zero(delta) || zero(&v1) {
        return Ok(U256::ZERO);
    }
    let fault = &Fault::default();
    // D·1e18, floored: a smaller D means a larger V2, i.e. a smaller payout.
    let d_s = scaled_value(fault, delta, p, false);
    let s = w(ONE);
    let kk = w(k);
    let v1w = w(v1);
    let v2 = if zero(&k) {
        // Constant price: out = D, capped at the reserve as DODO does.
        wide::sub(&v1w, &wide::div(fault, &d_s, &s, false).min(v1w))
    } else {
        // Quadratic (1−k)·V2² + b·V2 − k·V0² = 0 with
        // b = k·V0²/V1 + D − (1−k)·V1, everything scaled by 1e18.
        // V2 falls as b rises, so b is taken from below (floor of k·V0²/V1).
        let v0w = w(v0);
        let kv0sq = wide::mul(fault, &kk, &wide::mul(fault, &v0w, &v0w));
        let b_pos = wide::add(fault, &wide::div(fault, &kv0sq, &v1w, false), &d_s);
        let one_k = wide::sub(&s, &kk);
        let b_neg = wide::mul(fault, &one_k, &v1w);
        let four_ac = wide::mul(fault, &wide::mul(fault, &wn(4), &one_k), &kv0sq);
        let b_above = b_pos > b_neg;
        // |b|: b > 0 unless k < 1/2 and V0 ≥ V1.
        let b = if b_above { wide::sub(&b_pos, &b_neg) } else { wide::sub(&b_neg, &b_pos) };
        let disc = wide::add(fault, &wide::mul(fault, &b, &b), &four_ac);
        if b_above {
            // b > 0: V2 = 2k·V0² / (b + sqrt(b² + 4(1−k)k·V0²)) (no cancellation).
            // Floor sqrt and ceil division both round V2 up.
            let den = wide::add(fault, &b, &wide::sqrt_floor(disc));
            wide::div(fault, &wide::mul(fault, &wn(2), &kv0sq), &den, true)
        } else {
            // b ≤ 0: V2 = (|b| + sqrt(b² + 4(1−k)k·V0²)) / (2(1−k)); ceil
            // sqrt, ceil div.
            let num = wide::add(fault, &b, &wide::sqrt_ceil(fault, disc));
            wide::div(fault, &num, &wide::mul(fault, &wn(2), &one_k), true)
        }
    };
    // V2 rounded up, so V1 − V2 (the payout) is rounded down.
    let out = wide::narrow(fault, &v1w.saturating_sub(v2));
    fault.check()?;
    Ok(out)
}

/// Lower and upper integer bounds on the target `V0` solved from the reserve
/// `V1` and the excess `delta` of the other token.
fn target_bounds(v1: &U256, delta: &U256, p: &Price, k: &U256) -> MathResult<(U256, U256)> {
    let (v1, k) = (*v1, *k);
    check_k(&k)?;
    if zero(&p.num) || zero(&p.den) {
        return Err(MathError::InvalidInput);
    }
    if zero(delta) {
        return Ok((v1, v1));
    }
    if zero(&v1) {
        return Err(MathError::InvalidInput);
    }
    let fault = &Fault::default();
    let v1w = w(v1);
    let d_lo = scaled_value(fault, delta, p, false);
    let lo = target_excess(fault, v1, &d_lo, k, false, &wn(1));
    let d_hi = scaled_value(fault, delta, p, true);
    let hi = target_excess(fault, v1, &d_hi, k, true, &wn(1));
    let bounds = (
        wide::narrow(fault, &wide::add(fault, &v1w, &lo)),
        wide::narrow(fault, &wide::add(fault, &v1w, &hi)),
    );
    fault.check()?;
    Ok(bounds)
}

/// `y · scale` where `V0 = V1 + y` solves `k·y² + V1·y − D·V1 = 0`, given
/// `d_s = D·1e18`; rationalised as `y = 2·D·V1 / (V1 + sqrt(V1² + 4k·D·V1))`
/// (no cancellation, no division by `k`), scaled by 1e18 throughout. `y`
/// rises with `D` and falls with the root, so each rounding picks its side.
fn target_excess(fault: &Fault, v1: U256, d_s: &W, k: U256, up: bool, scale: &W) -> W {
    let v1w = w(v1);
    let s_v1 = wide::mul(fault, &w(ONE), &v1w);
    let num = wide::mul(fault, &wide::mul(fault, &wide::mul(fault, &wn(2), d_s), &v1w), scale);
    let inner = wide::add(
        fault,
        &wide::mul(fault, &s_v1, &s_v1),
        &wide::mul(fault, &wide::mul(fault, &wide::mul(fault, &wn(4), &w(k)), d_s), &v1w),
    );
    let root = if up { wide::sqrt_floor(inner) } else { wide::sqrt_ceil(fault, inner) };
    let den = wide::add(fault, &s_v1, &root);
    wide::div(fault, &num, &den, up)
}

/// Area under the base-side curve with target `v0` between reserves `v2` and
/// `v1`: `i·(v1 − v2)·(1 − k + k·v0²/(v1·v2))`. This is what the pool pays (in
/// the other token) when the reserve moves from `v2` up to `v1`, so it is
/// rounded **down**.
///
/// # Errors
/// [`MathError::InvalidInput`] unless `v0 ≥ v1 ≥ v2 > 0`, `i > 0` and
/// `k ≤ 1e18`; [`MathError::Overflow`] for results beyond 256 bits.
pub fn general_integrate(v0: U256, v1: U256, v2: U256, i: U256, k: U256) -> MathResult<U256> {
    check_i(&i)?;
    general_integrate_p(&v0, &v1, &v2, &base_price(i), &k)
}

/// Amount of the short-side token paid out when `delta` of the other token
/// is sold into the curve with target `v0` and current reserve `v1`: solves
/// `i·delta = (v1 − v2)·(1 − k + k·v0²/(v1·v2))` for `v2` and returns
/// `v1 − v2`. `v2` is rounded **up**, so the payout is rounded **down** (the
/// trader receives less). With `k = 0` the payout is `i·delta` capped at `v1`,
/// as in DODO.
///
/// # Errors
/// [`MathError::InvalidInput`] for `v0 = 0`, `i = 0` or `k > 1e18`;
/// [`MathError::Overflow`] when intermediates exceed 512 bits.
pub fn solve_quadratic_for_trade(v0: U256, v1: U256, delta: U256, i: U256, k: U256) -> MathResult<U256> {
    check_i(&i)?;
    solve_trade_p(&v0, &v1, &delta, &base_price(i), &k)
}

/// Target `v0` of a side whose reserve is `v1` while the other side holds
/// `delta` above its target: solves `i·delta = (v0 − v1)·(1 − k + k·v0/v1)`.
/// Rounded **up** (the pool's claim on the short token is never understated).
///
/// # Errors
/// [`MathError::InvalidInput`] for `i = 0`, `k > 1e18`, or `v1 = 0` with
/// `delta > 0`; [`MathError::Overflow`] when the target does not fit.
pub fn solve_quadratic_for_target(v1: U256, delta: U256, i: U256, k: U256) -> MathResult<U256> {
    check_i(&i)?;
    Ok(target_bounds(&v1, &delta, &base_price(i), &k)?.1)
}

fn check_fees(lp_fee_rate: U256, mt_fee_rate: U256) -> MathResult<()> {
    match lp_fee_rate.checked_add(mt_fee_rate) {
        Some(total) if !below(&ONE, &total) => Ok(()),
        _ => Err(MathError::InvalidInput),
    }
}

/// Checks a state for the domain the formulas need.
fn validate(state: &PmmState) -> MathResult<()> {
    check_i(&state.i)?;
    check_k(&state.k)?;
    let ok = match state.r {
        RState::One => !zero(&state.b0) && !zero(&state.q0),
        // Quote target is derived from (Q, B − B0): needs B ≥ B0 > 0, Q > 0.
        RState::BelowOne => !zero(&state.b0) && !zero(&state.q) && !below(&state.b, &state.b0),
        // Base target is derived from (B, Q − Q0): needs Q ≥ Q0 > 0, B > 0.
        RState::AboveOne => !zero(&state.q0) && !zero(&state.b) && !below(&state.q, &state.q0),
    };
    if ok {
        Ok(())
    } else {
        Err(MathError::InvalidInput)
    }
}

/// Bounds on the regularised short-side target: the quote target when R is
/// below one, the base target when R is above one, `(stored, stored)` of the
/// base side at one.
fn short_target_bounds(state: &PmmState) -> MathResult<(U256, U256)> {
    side_target_bounds(state, &base_price(state.i), &quote_price(state.i))
}

/// [`short_target_bounds`] with the prices given: `fwd` of base in quote,
/// `back` of quote in base (swapped on a [`mirror`]ed state).
fn side_target_bounds(state: &PmmState, fwd: &Price, back: &Price) -> MathResult<(U256, U256)> {
    match state.r {
        RState::One => Ok((state.b0, state.b0)),
        RState::BelowOne => target_bounds(&state.q, &diff(&state.b, &state.b0), fwd, &state.k),
        RState::AboveOne => target_bounds(&state.b, &diff(&state.q, &state.q0), back, &state.k),
    }
}

/// The state with DODO's target regularisation applied: when R is below one
/// the quote target is recomputed from `(Q, B − B0)`, when R is above one the
/// base target from `(B, Q − Q0)`; both rounded **up**. At R = one the state
/// is returned as is.
///
/// # Errors
/// [`MathError::InvalidInput`] for a state outside the domain (`i = 0`,
/// `k > 1e18`, a zero target or reserve the formula divides by, or reserves
/// on the wrong side of the stored target for the R state);
/// [`MathError::Overflow`] when the target does not fit.
pub fn adjusted_target(state: &PmmState) -> MathResult<PmmState> {
    validate(state)?;
    let mut out = *state;
    match state.r {
        RState::One => {}
        RState::BelowOne => out.q0 = short_target_bounds(state)?.1,
        RState::AboveOne => out.b0 = short_target_bounds(state)?.1,
    }
    Ok(out)
}

/// Mid price as a fraction `(num, den)`.
///
/// At R = one this is `i` exactly: both sells start on the curve at the
/// targets there. Otherwise the short-side target is solved to 1e-18 of a
/// wei (rounded up) rather than to whole wei, so that the price is not
/// quantised by the integer target; the pair (reserve, target) is then
/// scaled down together to 140 bits if needed (a relative error below
/// 1e-42, far under the 1e-18 resolution of the result).
fn mid_fraction(state: &PmmState) -> MathResult<(W, W)> {
    validate(state)?;
    let s = w(ONE);
    let kk = w(state.k);
    let (v1, delta, p) = match state.r {
        RState::One => return Ok((w(state.i), wn(1))),
        RState::BelowOne => (state.q, state.b - state.b0, base_price(state.i)),
        RState::AboveOne => (state.b, state.q - state.q0, quote_price(state.i)),
    };
    let fault = &Fault::default();
    // Reserve and target, both in units of 1e-18 wei.
    let x = wide::mul(fault, &w(v1), &s);
    let d_s = scaled_value(fault, &delta, &p, true);
    let y = wide::add(fault, &x, &target_excess(fault, v1, &d_s, state.k, true, &s));
    let shift = y.bit_len().saturating_sub(140);
    let (x, y) = (x >> shift, y >> shift);
    fault.check()?;
    if x.is_zero() {
        return Err(MathError::InvalidInput);
    }
    let xx = wide::mul(fault, &x, &x);
    let curve = wide::mul(fault, &(s - kk), &xx);
    let curve = wide::add(fault, &curve, &wide::mul(fault, &kk, &wide::mul(fault, &y, &y)));
    let fraction = if state.r == RState::BelowOne {
        // i / (1 − k + k·(Q0/Q)²) = i·Q² / ((1−k)·Q² + k·Q0²)
        (wide::mul(fault, &wide::mul(fault, &w(state.i), &s), &xx), curve)
    } else {
        // i·(1 − k + k·(B0/B)²) = i·((1−k)·B² + k·B0²) / B²
        (wide::mul(fault, &w(state.i), &curve), wide::mul(fault, &s, &xx))
    };
    fault.check()?;
    Ok(fraction)
}

/// Marginal (mid) price, quote per base in 1e18, rounded **down**: `i` at
/// R = one, `i·(1 − k + k·(B0/B)²)` above one, `i / (1 − k + k·(Q0/Q)²)` below
/// one, with the regularised target.
///
/// This is the price at which the next infinitesimal trade executes. DODO's
/// `getMidPrice` differs at R = one once LP fees have accrued (`B > B0`): it
/// applies the base-side formula to the actual `B` and reports slightly less
/// than `i`, although both sells from R = one start at exactly `i`. We report
/// `i`, so the price moves monotonically with every trade.
///
/// # Errors
/// As [`adjusted_target`]; [`MathError::InvalidInput`] also when the base
/// reserve is zero outside R below one.
pub fn mid_price(state: &PmmState) -> MathResult<U256> {
    let (num, den) = mid_fraction(state)?;
    let fault = &Fault::default();
    let price = wide::narrow(fault, &wide::div(fault, &num, &den, false));
    fault.check()?;
    Ok(price)
}

/// Exact comparison of the (unrounded) mid price with `price`.
///
/// # Errors
/// As [`mid_price`]; [`MathError::Overflow`] for out-of-range inputs.
pub fn compare_mid_price(state: &PmmState, price: U256) -> MathResult<Ordering> {
    let (num, den) = mid_fraction(state)?;
    let fault = &Fault::default();
    let ordering = num.cmp(&wide::mul(fault, &w(price), &den));
    fault.check()?;
    Ok(ordering)
}

/// Input needed to bring R back to one exactly: base to sell when R is above
/// one, quote to sell when R is below one, zero at one. Uses the upper target
/// bound, as the sells do.
///
/// # Errors
/// As [`adjusted_target`].
pub fn back_to_one_pay(state: &PmmState) -> MathResult<U256> {
    validate(state)?;
    let (_, hi) = short_target_bounds(state)?;
    Ok(match state.r {
        RState::One => U256::ZERO,
        RState::AboveOne => hi - state.b,
        RState::BelowOne => hi - state.q,
    })
}

/// The smaller of `a` and `b`.
fn min(a: U256, b: U256) -> U256 {
    if below(&b, &a) {
        b
    } else {
        a
    }
}

/// Curve output of a sell that must not exhaust the curve's reserve `v1`.
fn bounded_trade(v0: &U256, v1: &U256, delta: &U256, p: &Price, k: &U256) -> MathResult<U256> {
    let out = solve_trade_p(v0, v1, delta, p, k)?;
    if !zero(delta) && !below(&out, v1) {
        // Only reachable with k = 0: the input is worth the whole reserve.
        return Err(MathError::InvalidInput);
    }
    Ok(out)
}

/// `state` seen from the other side: base and quote (reserves, targets)
/// swapped, R mirrored. A sell of quote is the sell of base of the mirror.
#[inline(never)]
fn mirror(state: &PmmState) -> PmmState {
    PmmState {
        i: state.i,
        k: state.k,
        b: state.q,
        q: state.b,
        b0: state.q0,
        q0: state.b0,
        r: match state.r {
            RState::One => RState::One,
            RState::AboveOne => RState::BelowOne,
            RState::BelowOne => RState::AboveOne,
        },
    }
}

/// The sell of `amount` of the input side (`state.b`, priced `fwd` in the
/// output side; `back` prices the output side in the input side): the body
/// of [`sell_base`], and of [`sell_quote`] on the [`mirror`]ed state.
#[inline(never)]
fn sell_side(
    state: &PmmState,
    amount: U256,
    lp_fee_rate: U256,
    mt_fee_rate: U256,
    fwd: &Price,
    back: &Price,
) -> MathResult<SellOutcome> {
    validate(state)?;
    check_fees(lp_fee_rate, mt_fee_rate)?;
    let mut new_state = *state;
    if zero(&amount) {
        return Ok(SellOutcome { receive: U256::ZERO, lp_fee: U256::ZERO, mt_fee: U256::ZERO, new_state });
    }
    let k = state.k;
    let out = match state.r {
        RState::One => {
            new_state.r = RState::BelowOne;
            bounded_trade(&state.q0, &state.q0, &amount, fwd, &k)?
        }
        RState::BelowOne => {
            // Moving away from equilibrium: the upper target (steeper curve).
            let (_, q0_hi) = side_target_bounds(state, fwd, back)?;
            bounded_trade(&q0_hi, &state.q, &amount, fwd, &k)?
        }
        RState::AboveOne => {
            let (b0_lo, b0_hi) = side_target_bounds(state, fwd, back)?;
            let back_pay = diff(&b0_hi, &state.b);
            let back_receive = diff(&state.q, &state.q0);
            if below(&amount, &back_pay) {
                // Toward equilibrium: the lower target, capped at the excess.
                let v1 = min(crate::fixed::add(state.b, amount)?, b0_lo);
                if below(&state.b, &v1) {
                    min(general_integrate_p(&b0_lo, &v1, &state.b, fwd, &k)?, back_receive)
                } else {
                    U256::ZERO
                }
            } else {
                let rest = diff(&amount, &back_pay);
                new_state.b0 = b0_hi;
                new_state.r = if zero(&rest) { RState::One } else { RState::BelowOne };
                let beyond = bounded_trade(&state.q0, &state.q0, &rest, fwd, &k)?;
                crate::fixed::add(back_receive, beyond)?
            }
        }
    };
    // The curve output split into the trader's part and the fees: the total
    // fee rounded up (against the trader), the maintainer part rounded down,
    // the LP part the remainder, so receive + lp + mt == out exactly.
    let fault = &Fault::default();
    let rate = wide::add_u(fault, &lp_fee_rate, &mt_fee_rate);
    let total = wide::mul_div_u(fault, &out, &rate, &ONE, true);
    let mt_fee = wide::mul_div_u(fault, &out, &mt_fee_rate, &ONE, false);
    let receive = wide::sub_u(fault, &out, &total);
    let lp_fee = wide::sub_u(fault, &total, &mt_fee);
    // The LP fee stays in the pool; the maintainer fee leaves it.
    new_state.b = wide::add_u(fault, &state.b, &amount);
    new_state.q = wide::sub_u(fault, &state.q, &wide::add_u(fault, &receive, &mt_fee));
    fault.check()?;
    Ok(SellOutcome { receive, lp_fee, mt_fee, new_state })
}

/// Sell `amount` of base into the pool.
///
/// Branches (DODO's): from R = one the quote side is walked from `Q0` and R
/// becomes below one; when R is below one the quote curve is walked further;
/// when R is above one the base curve is walked back toward `B0`, and if the
/// input reaches the back-to-one amount the excess quote `Q − Q0` is paid in
/// full, R passes through one and any rest is sold from one (R below one).
///
/// # Errors
/// [`MathError::InvalidInput`] for an invalid state, fee rates summing above
/// `1e18`, or a trade that would take the whole quote curve (only possible
/// with `k = 0`); [`MathError::Underflow`] when the pool cannot pay;
/// [`MathError::Overflow`] on overflow.
pub fn sell_base(
    state: &PmmState,
    amount: U256,
    lp_fee_rate: U256,
    mt_fee_rate: U256,
) -> MathResult<SellOutcome> {
    sell_side(state, amount, lp_fee_rate, mt_fee_rate, &base_price(state.i), &quote_price(state.i))
}

/// Sell `amount` of quote into the pool; the mirror image of [`sell_base`].
///
/// From R = one the base side is walked from `B0` and R becomes above one;
/// when R is above one the base curve is walked further; when R is below one
/// the quote curve is walked back toward `Q0`, and reaching the back-to-one
/// amount pays the excess base `B − B0` in full, passes R through one and
/// sells any rest from one (R above one).
///
/// # Errors
/// As [`sell_base`].
pub fn sell_quote(
    state: &PmmState,
    amount: U256,
    lp_fee_rate: U256,
    mt_fee_rate: U256,
) -> MathResult<SellOutcome> {
    let outcome = sell_side(
        &mirror(state),
        amount,
        lp_fee_rate,
        mt_fee_rate,
        &quote_price(state.i),
        &base_price(state.i),
    )?;
    Ok(SellOutcome { new_state: mirror(&outcome.new_state), ..outcome })
}

#[cfg(test)]
mod reference;

#[cfg(test)]
mod tests {
    use super::*;

    fn u(v: u128) -> U256 {
        U256::from(v)
    }

    const E18: u128 = 1_000_000_000_000_000_000;

    fn at_one(i: U256, k: U256, b: U256, q: U256) -> PmmState {
        PmmState { i, k, b, q, b0: b, q0: q, r: RState::One }
    }

    #[test]
    fn integral_and_quadratics_by_hand() {
        let (i, half) = (u(E18), u(E18 / 2));
        // ∫ from 50 to 100 of (1 − ½ + ½·100²/V²) dV = 50·(½ + ½·10000/5000) = 75.
        assert_eq!(general_integrate(u(100), u(100), u(50), i, half), Ok(u(75)));
        // Its inverse: selling 75 from the target pays out exactly 50 ...
        assert_eq!(solve_quadratic_for_trade(u(100), u(100), u(75), i, half), Ok(u(50)));
        // ... and the target recovered from (50, 75) is 100 exactly.
        assert_eq!(solve_quadratic_for_target(u(50), u(75), i, half), Ok(u(100)));
        // k = 1: V2 = V1 / (1 + D·V1/V0²) = 100 / 2.
        assert_eq!(solve_quadratic_for_trade(u(100), u(100), u(100), i, u(E18)), Ok(u(50)));
        // k = 0: constant price i = 2, capped at the reserve.
        let two = u(2 * E18);
        assert_eq!(solve_quadratic_for_trade(u(100), u(100), u(30), two, U256::ZERO), Ok(u(60)));
        assert_eq!(solve_quadratic_for_trade(u(100), u(100), u(80), two, U256::ZERO), Ok(u(100)));
        assert_eq!(solve_quadratic_for_target(u(60), u(20), two, U256::ZERO), Ok(u(100)));
        assert_eq!(general_integrate(u(100), u(100), u(90), two, U256::ZERO), Ok(u(20)));
    }

    #[test]
    fn constant_price_when_k_is_zero() {
        let s = at_one(u(2 * E18), U256::ZERO, u(1000 * E18), u(1000 * E18));
        assert_eq!(mid_price(&s), Ok(u(2 * E18)));
        let o = sell_base(&s, u(10 * E18), U256::ZERO, U256::ZERO).unwrap();
        assert_eq!(o.receive, u(20 * E18));
        assert_eq!(o.new_state.r, RState::BelowOne);
        assert_eq!((o.new_state.b, o.new_state.q), (u(1010 * E18), u(980 * E18)));
        // Regularised Q0 = 980 + 2·10 = 1000; price still i.
        assert_eq!(adjusted_target(&o.new_state).unwrap().q0, u(1000 * E18));
        assert_eq!(mid_price(&o.new_state), Ok(u(2 * E18)));
        // Selling 5 quote back buys 2.5 base at the same price.
        let back = sell_quote(&o.new_state, u(5 * E18), U256::ZERO, U256::ZERO).unwrap();
        assert_eq!(back.receive, u(5 * E18 / 2));
        // The whole quote reserve cannot be bought (no zero reserve).
        let drain = sell_base(&s, u(500 * E18), U256::ZERO, U256::ZERO);
        assert_eq!(drain, Err(MathError::InvalidInput));
    }

    #[test]
    fn mid_price_is_i_at_one() {
        let s = at_one(u(1_234_567), u(E18 / 3), u(5 * E18), u(7 * E18));
        assert_eq!(mid_price(&s), Ok(u(1_234_567)));
        assert_eq!(compare_mid_price(&s, u(1_234_567)), Ok(Ordering::Equal));
        assert_eq!(compare_mid_price(&s, u(1_234_568)), Ok(Ordering::Less));
    }

    #[test]
    fn worked_sell_base_example() {
        // i = 1, k = ½, B = B0 = Q = Q0 = 100, sell 100 base from R = one.
        // (1−k)·V2² + (k·Q0²/Q0 + i·Δ − (1−k)·Q0)·V2 − k·Q0² = 0
        //   ⇒ ½V2² + 100·V2 − 5000 = 0 ⇒ V2 = 100·(√2 − 1) = 41.4213562373095048801…
        // V2 rounded up: 41_421_356_237_309_504_881 ⇒ out = 58_578_643_762_690_495_119.
        let s = at_one(u(E18), u(E18 / 2), u(100 * E18), u(100 * E18));
        let out = 58_578_643_762_690_495_119u128;
        let o = sell_base(&s, u(100 * E18), U256::ZERO, U256::ZERO).unwrap();
        assert_eq!(o.receive, u(out));
        assert_eq!(o.new_state.r, RState::BelowOne);
        // Mid price now i/(1−k+k(Q0/Q)²) = 1/(2+√2) = 0.292893218813452475599…
        let mid = mid_price(&o.new_state).unwrap();
        assert!(mid >= u(292_893_218_813_452_474) && mid <= u(292_893_218_813_452_475));
        // Fees 0.3% LP + 0.1% maintainer: total = ceil(out·0.004) =
        // 234_314_575_050_761_981, mt = floor(out·0.001) = 58_578_643_762_690_495.
        let f = sell_base(&s, u(100 * E18), u(3 * E18 / 1000), u(E18 / 1000)).unwrap();
        assert_eq!(f.mt_fee, u(58_578_643_762_690_495));
        assert_eq!(f.lp_fee, u(175_735_931_288_071_486));
        assert_eq!(f.receive, u(58_344_329_187_639_733_138));
        assert_eq!(f.new_state.q, u(100 * E18 - out) + f.lp_fee);
        // Going back: the quote to pay to reach R = one is at least what was
        // received, and it returns exactly the 100 base excess.
        let pay = back_to_one_pay(&o.new_state).unwrap();
        assert!(pay > u(out));
        let back = sell_quote(&o.new_state, pay, U256::ZERO, U256::ZERO).unwrap();
        assert_eq!(back.receive, u(100 * E18));
        assert_eq!(back.new_state.r, RState::One);
        assert_eq!(back.new_state.b0, u(100 * E18));
        assert!(back.new_state.q0 >= u(100 * E18) && back.new_state.q0 <= u(100 * E18 + 2));
    }

    #[test]
    fn r_transitions_from_above_one() {
        // k = 0, i = 1: B0 regularises to 90 + (110 − 100) = 100.
        let s = PmmState {
            i: u(E18),
            k: U256::ZERO,
            b: u(90),
            q: u(110),
            b0: u(1),
            q0: u(100),
            r: RState::AboveOne,
        };
        assert_eq!(adjusted_target(&s).unwrap().b0, u(100));
        assert_eq!(back_to_one_pay(&s), Ok(u(10)));
        let part = sell_base(&s, u(4), U256::ZERO, U256::ZERO).unwrap();
        assert_eq!((part.receive, part.new_state.r), (u(4), RState::AboveOne));
        let exact = sell_base(&s, u(10), U256::ZERO, U256::ZERO).unwrap();
        assert_eq!((exact.receive, exact.new_state.r), (u(10), RState::One));
        assert_eq!((exact.new_state.b, exact.new_state.b0), (u(100), u(100)));
        let cross = sell_base(&s, u(15), U256::ZERO, U256::ZERO).unwrap();
        assert_eq!((cross.receive, cross.new_state.r), (u(15), RState::BelowOne));
        assert_eq!((cross.new_state.b, cross.new_state.q), (u(105), u(95)));
        // Deeper above one: quote buys base at i.
        let deeper = sell_quote(&s, u(5), U256::ZERO, U256::ZERO).unwrap();
        assert_eq!((deeper.receive, deeper.new_state.r), (u(5), RState::AboveOne));
    }

    #[test]
    fn refuses_bad_input() {
        let good = at_one(u(E18), u(E18 / 2), u(100), u(100));
        let bad_k = PmmState { k: u(E18 + 1), ..good };
        let bad_i = PmmState { i: U256::ZERO, ..good };
        let zero_target = PmmState { b0: U256::ZERO, ..good };
        let wrong_side = PmmState { r: RState::BelowOne, b: u(50), ..good };
        for s in [bad_k, bad_i, zero_target, wrong_side] {
            assert_eq!(sell_base(&s, u(1), U256::ZERO, U256::ZERO), Err(MathError::InvalidInput));
            assert_eq!(sell_quote(&s, u(1), U256::ZERO, U256::ZERO), Err(MathError::InvalidInput));
            assert_eq!(mid_price(&s), Err(MathError::InvalidInput));
        }
        assert_eq!(sell_base(&good, u(1), u(E18), u(1)), Err(MathError::InvalidInput));
        assert_eq!(sell_base(&good, U256::MAX, U256::ZERO, U256::ZERO), Err(MathError::Overflow));
        let (i, k) = (u(E18), u(E18 / 2));
        assert_eq!(general_integrate(u(10), u(20), u(5), i, k), Err(MathError::InvalidInput));
        assert_eq!(general_integrate(u(10), u(5), u(0), i, k), Err(MathError::InvalidInput));
        assert_eq!(solve_quadratic_for_trade(u(0), u(5), u(1), i, k), Err(MathError::InvalidInput));
        assert_eq!(solve_quadratic_for_target(u(0), u(5), i, k), Err(MathError::InvalidInput));
        assert_eq!(solve_quadratic_for_target(u(5), u(5), U256::ZERO, k), Err(MathError::InvalidInput));
    }
}
