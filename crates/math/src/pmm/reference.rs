//! The PMM formulas as they were before the 512-bit steps shared a
//! [`crate::wide::Fault`] (each step returned a `Result`): the reference the
//! property test in `pmm.rs` compares the current code with, output for
//! output and error for error. Test builds only.
#![allow(dead_code, clippy::pedantic, missing_docs)]

/// The 512-bit helpers of that version.
mod wide {
    use crate::{MathError, MathResult, U256};
    use alloy_primitives::U512;

    /// Widened working type.
    pub(crate) type W = U512;

    /// Widens a [`U256`] without loss.
    #[inline(never)]
    pub(crate) fn w(x: U256) -> W {
        let l = x.as_limbs();
        W::from_limbs([l[0], l[1], l[2], l[3], 0, 0, 0, 0])
    }

    /// Small constant as [`W`].
    #[inline(never)]
    pub(crate) fn wn(x: u64) -> W {
        W::from_limbs([x, 0, 0, 0, 0, 0, 0, 0])
    }

    /// Narrows back to [`U256`], refusing values that do not fit.
    #[inline(never)]
    pub(crate) fn narrow(x: W) -> MathResult<U256> {
        U256::checked_from_limbs_slice(x.as_limbs()).ok_or(MathError::Overflow)
    }

    #[inline(never)]
    pub(crate) fn add(a: W, b: W) -> MathResult<W> {
        a.checked_add(b).ok_or(MathError::Overflow)
    }

    #[inline(never)]
    pub(crate) fn mul(a: W, b: W) -> MathResult<W> {
        crate::multiply::checked_mul(a, b).ok_or(MathError::Overflow)
    }

    /// `floor(a / d)`.
    #[inline(never)]
    pub(crate) fn div_floor(a: W, d: W) -> MathResult<W> {
        crate::divide::quotient(a, d, false).ok_or(MathError::DivisionByZero)
    }

    /// `ceil(a / d)`: the floor, plus one when the remainder is not zero (never
    /// overflows: the ceiling is at most `a`).
    #[inline(never)]
    pub(crate) fn div_ceil(a: W, d: W) -> MathResult<W> {
        crate::divide::quotient(a, d, true).ok_or(MathError::DivisionByZero)
    }

    /// `floor(sqrt(a))` by integer Newton iteration (same scheme as
    /// [`crate::fixed::sqrt_floor`], on 512 bits).
    pub(crate) fn sqrt_floor(a: W) -> W {
        if a < wn(2) {
            return a;
        }
        // 2^ceil(bits/2) >= sqrt(a); from above, Newton's step falls monotonically.
        let mut root = wn(1) << a.bit_len().div_ceil(2);
        // root >= 1 throughout, so the division cannot fail.
        while let Some(q) = crate::divide::quotient(a, root, false) {
            let next = (root + q) >> 1;
            if next >= root {
                break;
            }
            root = next;
        }
        root
    }

    /// `ceil(sqrt(a))`.
    pub(crate) fn sqrt_ceil(a: W) -> MathResult<W> {
        let r = sqrt_floor(a);
        if mul(r, r)? == a {
            Ok(r)
        } else {
            add(r, wn(1))
        }
    }
}

use core::cmp::Ordering;

use self::wide::{w, wn, W};
use crate::fixed::ONE;
use crate::pmm::{PmmState, RState, SellOutcome};
use crate::{MathError, MathResult, U256};

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

fn check_k(k: U256) -> MathResult<()> {
    if k > ONE {
        Err(MathError::InvalidInput)
    } else {
        Ok(())
    }
}

fn check_i(i: U256) -> MathResult<()> {
    if i.is_zero() {
        Err(MathError::InvalidInput)
    } else {
        Ok(())
    }
}

/// `delta · price · 1e18`, floor or ceil: the value of `delta` in the other
/// token, with 18 extra decimals.
fn scaled_value(delta: U256, p: Price, up: bool) -> MathResult<W> {
    let num = wide::mul(wide::mul(w(delta), w(p.num))?, w(ONE))?;
    if up {
        wide::div_ceil(num, w(p.den))
    } else {
        wide::div_floor(num, w(p.den))
    }
}

fn general_integrate_p(v0: U256, v1: U256, v2: U256, p: Price, k: U256) -> MathResult<U256> {
    check_k(k)?;
    if p.num.is_zero() || p.den.is_zero() || v2.is_zero() || v1 < v2 || v0 < v1 {
        return Err(MathError::InvalidInput);
    }
    let width = w(v1 - v2);
    if width.is_zero() {
        return Ok(U256::ZERO);
    }
    let scale = w(ONE);
    let kk = w(k);
    // p·d·(1 − k): floor, part of a payout.
    let term1 =
        wide::div_floor(wide::mul(wide::mul(width, w(p.num))?, scale - kk)?, wide::mul(w(p.den), scale)?)?;
    // p·d·k·V0²/(V1·V2), in two floored steps (both only shrink the payout).
    let step = wide::div_floor(
        wide::mul(wide::mul(wide::mul(width, w(p.num))?, kk)?, w(v0))?,
        wide::mul(w(p.den), w(v1))?,
    )?;
    let term2 = wide::div_floor(wide::mul(step, w(v0))?, wide::mul(w(v2), scale)?)?;
    wide::narrow(wide::add(term1, term2)?)
}

fn solve_trade_p(v0: U256, v1: U256, delta: U256, p: Price, k: U256) -> MathResult<U256> {
    check_k(k)?;
    if v0.is_zero() || p.num.is_zero() || p.den.is_zero() {
        return Err(MathError::InvalidInput);
    }
    if delta.is_zero() || v1.is_zero() {
        return Ok(U256::ZERO);
    }
    // D·1e18, floored: a smaller D means a larger V2, i.e. a smaller payout.
    let d_s = scaled_value(delta, p, false)?;
    let s = w(ONE);
    let kk = w(k);
    if k.is_zero() {
        // Constant price: out = D, capped at the reserve as DODO does.
        return wide::narrow(wide::div_floor(d_s, s)?.min(w(v1)));
    }
    // Quadratic (1−k)·V2² + b·V2 − k·V0² = 0 with
    // b = k·V0²/V1 + D − (1−k)·V1, everything scaled by 1e18.
    // V2 falls as b rises, so b is taken from below (floor of k·V0²/V1).
    let kv0sq = wide::mul(kk, wide::mul(w(v0), w(v0))?)?;
    let b_pos = wide::add(wide::div_floor(kv0sq, w(v1))?, d_s)?;
    let b_neg = wide::mul(s - kk, w(v1))?;
    let four_ac = wide::mul(wide::mul(wn(4), s - kk)?, kv0sq)?;
    let v2 = if b_pos > b_neg {
        // b > 0: V2 = 2k·V0² / (b + sqrt(b² + 4(1−k)k·V0²)) (no cancellation).
        // Floor sqrt and ceil division both round V2 up.
        let b = b_pos - b_neg;
        let disc = wide::add(wide::mul(b, b)?, four_ac)?;
        let den = wide::add(b, wide::sqrt_floor(disc))?;
        wide::div_ceil(wide::mul(wn(2), kv0sq)?, den)?
    } else {
        // b ≤ 0 (only possible with k < 1/2 when V0 ≥ V1):
        // V2 = (|b| + sqrt(b² + 4(1−k)k·V0²)) / (2(1−k)); ceil sqrt, ceil div.
        let b = b_neg - b_pos;
        let disc = wide::add(wide::mul(b, b)?, four_ac)?;
        let num = wide::add(b, wide::sqrt_ceil(disc)?)?;
        wide::div_ceil(num, wide::mul(wn(2), s - kk)?)?
    };
    // V2 rounded up, so V1 − V2 (the payout) is rounded down.
    wide::narrow(w(v1).saturating_sub(v2))
}

/// Lower and upper integer bounds on the target `V0` solved from the reserve
/// `V1` and the excess `delta` of the other token.
fn target_bounds(v1: U256, delta: U256, p: Price, k: U256) -> MathResult<(U256, U256)> {
    check_k(k)?;
    if p.num.is_zero() || p.den.is_zero() {
        return Err(MathError::InvalidInput);
    }
    if delta.is_zero() {
        return Ok((v1, v1));
    }
    if v1.is_zero() {
        return Err(MathError::InvalidInput);
    }
    let lo = target_excess(v1, scaled_value(delta, p, false)?, k, false, wn(1))?;
    let hi = target_excess(v1, scaled_value(delta, p, true)?, k, true, wn(1))?;
    let v1w = w(v1);
    Ok((wide::narrow(wide::add(v1w, lo)?)?, wide::narrow(wide::add(v1w, hi)?)?))
}

/// `y · scale` where `V0 = V1 + y` solves `k·y² + V1·y − D·V1 = 0`, given
/// `d_s = D·1e18`; rationalised as `y = 2·D·V1 / (V1 + sqrt(V1² + 4k·D·V1))`
/// (no cancellation, no division by `k`), scaled by 1e18 throughout. `y`
/// rises with `D` and falls with the root, so each rounding picks its side.
fn target_excess(v1: U256, d_s: W, k: U256, up: bool, scale: W) -> MathResult<W> {
    let s = w(ONE);
    let v1w = w(v1);
    let s_v1 = wide::mul(s, v1w)?;
    let num = wide::mul(wide::mul(wide::mul(wn(2), d_s)?, v1w)?, scale)?;
    let inner = wide::add(wide::mul(s_v1, s_v1)?, wide::mul(wide::mul(wide::mul(wn(4), w(k))?, d_s)?, v1w)?)?;
    if up {
        let den = wide::add(s_v1, wide::sqrt_floor(inner))?;
        wide::div_ceil(num, den)
    } else {
        let den = wide::add(s_v1, wide::sqrt_ceil(inner)?)?;
        wide::div_floor(num, den)
    }
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
    check_i(i)?;
    general_integrate_p(v0, v1, v2, base_price(i), k)
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
    check_i(i)?;
    solve_trade_p(v0, v1, delta, base_price(i), k)
}

/// Target `v0` of a side whose reserve is `v1` while the other side holds
/// `delta` above its target: solves `i·delta = (v0 − v1)·(1 − k + k·v0/v1)`.
/// Rounded **up** (the pool's claim on the short token is never understated).
///
/// # Errors
/// [`MathError::InvalidInput`] for `i = 0`, `k > 1e18`, or `v1 = 0` with
/// `delta > 0`; [`MathError::Overflow`] when the target does not fit.
pub fn solve_quadratic_for_target(v1: U256, delta: U256, i: U256, k: U256) -> MathResult<U256> {
    check_i(i)?;
    Ok(target_bounds(v1, delta, base_price(i), k)?.1)
}

fn check_fees(lp_fee_rate: U256, mt_fee_rate: U256) -> MathResult<()> {
    match lp_fee_rate.checked_add(mt_fee_rate) {
        Some(total) if total <= ONE => Ok(()),
        _ => Err(MathError::InvalidInput),
    }
}

/// Checks a state for the domain the formulas need.
fn validate(state: &PmmState) -> MathResult<()> {
    check_i(state.i)?;
    check_k(state.k)?;
    let ok = match state.r {
        RState::One => !state.b0.is_zero() && !state.q0.is_zero(),
        // Quote target is derived from (Q, B − B0): needs B ≥ B0 > 0, Q > 0.
        RState::BelowOne => !state.b0.is_zero() && !state.q.is_zero() && state.b >= state.b0,
        // Base target is derived from (B, Q − Q0): needs Q ≥ Q0 > 0, B > 0.
        RState::AboveOne => !state.q0.is_zero() && !state.b.is_zero() && state.q >= state.q0,
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
    match state.r {
        RState::One => Ok((state.b0, state.b0)),
        RState::BelowOne => target_bounds(state.q, state.b - state.b0, base_price(state.i), state.k),
        RState::AboveOne => target_bounds(state.b, state.q - state.q0, quote_price(state.i), state.k),
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
    // Reserve and target, both in units of 1e-18 wei.
    let x = wide::mul(w(v1), s)?;
    let y = wide::add(x, target_excess(v1, scaled_value(delta, p, true)?, state.k, true, s)?)?;
    let shift = y.bit_len().saturating_sub(140);
    let (x, y) = (x >> shift, y >> shift);
    if x.is_zero() {
        return Err(MathError::InvalidInput);
    }
    let xx = wide::mul(x, x)?;
    let curve = wide::add(wide::mul(s - kk, xx)?, wide::mul(kk, wide::mul(y, y)?)?)?;
    if state.r == RState::BelowOne {
        // i / (1 − k + k·(Q0/Q)²) = i·Q² / ((1−k)·Q² + k·Q0²)
        Ok((wide::mul(wide::mul(w(state.i), s)?, xx)?, curve))
    } else {
        // i·(1 − k + k·(B0/B)²) = i·((1−k)·B² + k·B0²) / B²
        Ok((wide::mul(w(state.i), curve)?, wide::mul(s, xx)?))
    }
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
    wide::narrow(wide::div_floor(num, den)?)
}

/// Exact comparison of the (unrounded) mid price with `price`.
///
/// # Errors
/// As [`mid_price`]; [`MathError::Overflow`] for out-of-range inputs.
pub fn compare_mid_price(state: &PmmState, price: U256) -> MathResult<Ordering> {
    let (num, den) = mid_fraction(state)?;
    Ok(num.cmp(&wide::mul(w(price), den)?))
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

/// Splits the curve output into the trader's part and the fees.
fn split_fees(out: U256, lp_fee_rate: U256, mt_fee_rate: U256) -> MathResult<(U256, U256, U256)> {
    // Total fee rounded up (against the trader), maintainer part rounded
    // down, LP part the remainder: receive + lp + mt == out exactly.
    let rate = crate::fixed::add(lp_fee_rate, mt_fee_rate)?;
    let total = crate::fixed::mul_div_ceil(out, rate, ONE)?;
    let mt = crate::fixed::mul_div_floor(out, mt_fee_rate, ONE)?;
    let receive = crate::fixed::sub(out, total)?;
    let lp = crate::fixed::sub(total, mt)?;
    Ok((receive, lp, mt))
}

/// Curve output of a sell that must not exhaust the curve's reserve `v1`.
fn bounded_trade(v0: U256, v1: U256, delta: U256, p: Price, k: U256) -> MathResult<U256> {
    let out = solve_trade_p(v0, v1, delta, p, k)?;
    if !delta.is_zero() && out >= v1 {
        // Only reachable with k = 0: the input is worth the whole reserve.
        return Err(MathError::InvalidInput);
    }
    Ok(out)
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
    validate(state)?;
    check_fees(lp_fee_rate, mt_fee_rate)?;
    let mut new_state = *state;
    if amount.is_zero() {
        return Ok(SellOutcome { receive: U256::ZERO, lp_fee: U256::ZERO, mt_fee: U256::ZERO, new_state });
    }
    let bp = base_price(state.i);
    let k = state.k;
    let out = match state.r {
        RState::One => {
            new_state.r = RState::BelowOne;
            bounded_trade(state.q0, state.q0, amount, bp, k)?
        }
        RState::BelowOne => {
            // Moving away from equilibrium: the upper target (steeper curve).
            let (_, q0_hi) = short_target_bounds(state)?;
            bounded_trade(q0_hi, state.q, amount, bp, k)?
        }
        RState::AboveOne => {
            let (b0_lo, b0_hi) = short_target_bounds(state)?;
            let back_pay = b0_hi - state.b;
            let back_receive = state.q - state.q0;
            if amount < back_pay {
                // Toward equilibrium: the lower target, capped at the excess.
                let v1 = crate::fixed::add(state.b, amount)?.min(b0_lo);
                if v1 > state.b {
                    general_integrate_p(b0_lo, v1, state.b, bp, k)?.min(back_receive)
                } else {
                    U256::ZERO
                }
            } else {
                let rest = amount - back_pay;
                new_state.b0 = b0_hi;
                new_state.r = if rest.is_zero() { RState::One } else { RState::BelowOne };
                let beyond = bounded_trade(state.q0, state.q0, rest, bp, k)?;
                crate::fixed::add(back_receive, beyond)?
            }
        }
    };
    let (receive, lp_fee, mt_fee) = split_fees(out, lp_fee_rate, mt_fee_rate)?;
    new_state.b = crate::fixed::add(state.b, amount)?;
    new_state.q = crate::fixed::sub(state.q, crate::fixed::add(receive, mt_fee)?)?;
    Ok(SellOutcome { receive, lp_fee, mt_fee, new_state })
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
    validate(state)?;
    check_fees(lp_fee_rate, mt_fee_rate)?;
    let mut new_state = *state;
    if amount.is_zero() {
        return Ok(SellOutcome { receive: U256::ZERO, lp_fee: U256::ZERO, mt_fee: U256::ZERO, new_state });
    }
    let qp = quote_price(state.i);
    let k = state.k;
    let out = match state.r {
        RState::One => {
            new_state.r = RState::AboveOne;
            bounded_trade(state.b0, state.b0, amount, qp, k)?
        }
        RState::AboveOne => {
            let (_, b0_hi) = short_target_bounds(state)?;
            bounded_trade(b0_hi, state.b, amount, qp, k)?
        }
        RState::BelowOne => {
            let (q0_lo, q0_hi) = short_target_bounds(state)?;
            let back_pay = q0_hi - state.q;
            let back_receive = state.b - state.b0;
            if amount < back_pay {
                let v1 = crate::fixed::add(state.q, amount)?.min(q0_lo);
                if v1 > state.q {
                    general_integrate_p(q0_lo, v1, state.q, qp, k)?.min(back_receive)
                } else {
                    U256::ZERO
                }
            } else {
                let rest = amount - back_pay;
                new_state.q0 = q0_hi;
                new_state.r = if rest.is_zero() { RState::One } else { RState::AboveOne };
                let beyond = bounded_trade(state.b0, state.b0, rest, qp, k)?;
                crate::fixed::add(back_receive, beyond)?
            }
        }
    };
    let (receive, lp_fee, mt_fee) = split_fees(out, lp_fee_rate, mt_fee_rate)?;
    new_state.q = crate::fixed::add(state.q, amount)?;
    new_state.b = crate::fixed::sub(state.b, crate::fixed::add(receive, mt_fee)?)?;
    Ok(SellOutcome { receive, lp_fee, mt_fee, new_state })
}

/// `mesh`'s band, ramp, lag guard, staleness and leg as they were before
/// they shared `fixed::below` and the `Fault` (the leg over the reference
/// PMM sells above).
mod mesh {
    use crate::fixed::{self, BPS, ONE};
    use crate::mesh::{Direction, LegError, Minimums, MAX_STORED};
    use crate::pmm::{PmmState, SellOutcome};
    use crate::{MathError, MathResult, U256};

    pub fn band(price: U256, bps: U256) -> MathResult<(U256, U256)> {
        let d = fixed::mul_div_floor(price, bps, BPS)?;
        Ok((price.saturating_sub(d), fixed::add(price, d)?))
    }
    pub fn ramp(price: U256, target: U256, blocks: u64, max_jump_bps: u64) -> MathResult<U256> {
        if price.is_zero() || target.is_zero() {
            return Err(MathError::InvalidInput);
        }
        // blocks · j < 2^128: exact in u128.
        let (low, high) = band(price, U256::from(u128::from(blocks) * u128::from(max_jump_bps)))?;
        Ok(target.max(low).min(high))
    }
    pub fn exceeds_gap(price: U256, oracle: U256, max_gap_bps: u64) -> MathResult<bool> {
        let (low, high) = band(price, U256::from(max_gap_bps))?;
        Ok(oracle < low || oracle > high)
    }
    pub fn is_stale(updated_at: U256, now: u64, max_age: u64) -> bool {
        U256::from(now) > updated_at.saturating_add(U256::from(max_age))
    }
    pub fn sell(
        state: &PmmState,
        direction: Direction,
        amount: U256,
        fee_rate: U256,
        minimums: Minimums,
    ) -> Result<SellOutcome, LegError> {
        if state.b < minimums.token {
            return Err(LegError::BelowMinimum { xau: false });
        }
        if state.q < minimums.xau {
            return Err(LegError::BelowMinimum { xau: true });
        }
        let sells_token = direction == Direction::SellToken;
        let outcome = if sells_token {
            super::sell_base(state, amount, fee_rate, U256::ZERO)
        } else {
            super::sell_quote(state, amount, fee_rate, U256::ZERO)
        };
        let outcome = match outcome {
            // With the inputs the formulas check in range, these errors mean the
            // curve cannot pay this much (the pool's states are always valid).
            Err(MathError::InvalidInput | MathError::Underflow)
                if fee_rate <= ONE && state.k <= ONE && !state.i.is_zero() =>
            {
                return Err(LegError::BelowMinimum { xau: sells_token })
            }
            other => other?,
        };
        let s = &outcome.new_state;
        let below = if sells_token { s.q < minimums.xau } else { s.b < minimums.token };
        if below {
            return Err(LegError::BelowMinimum { xau: sells_token });
        }
        if s.b > MAX_STORED || s.q > MAX_STORED || s.b0 > MAX_STORED || s.q0 > MAX_STORED {
            return Err(LegError::Math(MathError::Overflow));
        }
        Ok(outcome)
    }
}

/// The current formulas against this reference on random states: the same
/// output (amounts, fees, state, rounding) or the same error, every time.
mod equivalence {
    use super::ONE;
    use crate::pmm::{self, PmmState, RState};
    use crate::U256;
    use proptest::prelude::*;

    /// A value of a random bit length (0 to 256), so that small, realistic
    /// and overflowing magnitudes all occur.
    fn sized() -> impl Strategy<Value = U256> {
        (0usize..=256, any::<[u64; 4]>()).prop_map(|(bits, limbs)| {
            let v = U256::from_limbs(limbs);
            if bits == 256 {
                v
            } else {
                v & ((U256::from(1u8) << bits) - U256::from(1u8))
            }
        })
    }

    /// Mostly 40 to 140 bits (token amounts), sometimes anything.
    fn amount() -> impl Strategy<Value = U256> {
        prop_oneof![
            4 => (40usize..=140, any::<[u64; 4]>()).prop_map(|(bits, limbs)| {
                U256::from_limbs(limbs) & ((U256::from(1u8) << bits) - U256::from(1u8))
            }),
            1 => sized(),
        ]
    }

    fn fraction() -> impl Strategy<Value = U256> {
        prop_oneof![
            1 => Just(U256::ZERO),
            1 => Just(ONE),
            6 => (0u64..=1_000_000_000_000_000_000).prop_map(U256::from),
            1 => sized(),
        ]
    }

    prop_compose! {
        fn state()(
            i in prop_oneof![4 => (1u64..=60).prop_flat_map(|e| (Just(e), 1u64..=u64::MAX)).prop_map(|(e, m)| U256::from(m) << (e as usize)), 1 => sized()],
            k in fraction(),
            b in amount(),
            q in amount(),
            (db, dq) in (amount(), amount()),
            r in 0u8..3,
            consistent in any::<bool>(),
        ) -> PmmState {
            let r = [RState::One, RState::AboveOne, RState::BelowOne][usize::from(r)];
            let (b0, q0) = if consistent {
                // Targets on the right side of the reserves for the R state.
                match r {
                    RState::One => (b.saturating_sub(db % (b + U256::from(1u8))), q),
                    RState::BelowOne => (b.saturating_sub(db % (b + U256::from(1u8))), q.saturating_add(dq)),
                    RState::AboveOne => (b.saturating_add(db), q.saturating_sub(dq % (q + U256::from(1u8)))),
                }
            } else {
                (db, dq)
            };
            PmmState { i, k, b, q, b0, q0, r }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 100_000, ..ProptestConfig::default() })]

        #[test]
        fn matches_the_reference(
            s in state(),
            amount in amount(),
            lp in fraction(),
            mt in prop_oneof![3 => Just(U256::ZERO), 1 => fraction()],
            (v0, v1, v2) in (amount(), amount(), amount()),
        ) {
            prop_assert_eq!(pmm::sell_base(&s, amount, lp, mt), super::sell_base(&s, amount, lp, mt));
            prop_assert_eq!(pmm::sell_quote(&s, amount, lp, mt), super::sell_quote(&s, amount, lp, mt));
            prop_assert_eq!(pmm::adjusted_target(&s), super::adjusted_target(&s));
            prop_assert_eq!(pmm::mid_price(&s), super::mid_price(&s));
            prop_assert_eq!(pmm::compare_mid_price(&s, amount), super::compare_mid_price(&s, amount));
            prop_assert_eq!(pmm::back_to_one_pay(&s), super::back_to_one_pay(&s));
            // The formulas alone, on any ordering of the three values.
            let (i, k) = (s.i, s.k);
            let mut v = [v0, v1, v2];
            v.sort();
            let [lo, mid, hi] = v;
            prop_assert_eq!(pmm::general_integrate(hi, mid, lo, i, k), super::general_integrate(hi, mid, lo, i, k));
            prop_assert_eq!(pmm::general_integrate(v0, v1, v2, i, k), super::general_integrate(v0, v1, v2, i, k));
            prop_assert_eq!(pmm::solve_quadratic_for_trade(v0, v1, amount, i, k), super::solve_quadratic_for_trade(v0, v1, amount, i, k));
            prop_assert_eq!(pmm::solve_quadratic_for_trade(hi, mid, amount, i, k), super::solve_quadratic_for_trade(hi, mid, amount, i, k));
            prop_assert_eq!(pmm::solve_quadratic_for_target(v1, amount, i, k), super::solve_quadratic_for_target(v1, amount, i, k));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 100_000, ..ProptestConfig::default() })]

        #[test]
        fn mesh_matches_the_reference(
            s in state(),
            amount in amount(),
            fee in fraction(),
            (price, target) in (amount(), amount()),
            (blocks, bps) in (prop_oneof![any::<u64>(), 0u64..1_000], prop_oneof![any::<u64>(), 0u64..20_000]),
            (min_b, min_q) in (amount(), amount()),
            (updated_at, now) in (sized(), any::<u64>()),
            sells_token in any::<bool>(),
        ) {
            use crate::mesh::{self as current, Direction, Minimums};
            prop_assert_eq!(current::band(price, U256::from(bps)), super::mesh::band(price, U256::from(bps)));
            prop_assert_eq!(current::band(price, target), super::mesh::band(price, target));
            prop_assert_eq!(current::ramp(price, target, blocks, bps), super::mesh::ramp(price, target, blocks, bps));
            prop_assert_eq!(current::exceeds_gap(price, target, bps), super::mesh::exceeds_gap(price, target, bps));
            prop_assert_eq!(current::is_stale(updated_at, now, blocks), super::mesh::is_stale(updated_at, now, blocks));
            let direction = if sells_token { Direction::SellToken } else { Direction::SellXau };
            let minimums = Minimums { token: min_b >> 8, xau: min_q >> 8 };
            prop_assert_eq!(
                current::sell(&s, direction, amount, fee, minimums),
                super::mesh::sell(&s, direction, amount, fee, minimums)
            );
        }
    }

    /// The generator reaches every branch: successful sells from each R
    /// state in both directions, and refusals.
    #[test]
    fn the_states_cover_the_branches() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let mut seen = [[0u32; 2]; 3];
        let mut errors = 0;
        for _ in 0..5_000 {
            let s = state().new_tree(&mut runner).unwrap().current();
            let a = amount().new_tree(&mut runner).unwrap().current();
            for (side, outcome) in [
                pmm::sell_base(&s, a, U256::ZERO, U256::ZERO),
                pmm::sell_quote(&s, a, U256::ZERO, U256::ZERO),
            ]
            .into_iter()
            .enumerate()
            {
                match outcome {
                    Ok(_) => seen[s.r as usize][side] += 1,
                    Err(_) => errors += 1,
                }
            }
        }
        assert!(seen.iter().flatten().all(|n| *n > 100), "{seen:?}");
        assert!(errors > 100, "{errors}");
    }
}
