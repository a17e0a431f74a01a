//! The Stabilizer's own arithmetic (§10, App. A): the peg in the pool's raw
//! units, the base-token size of a trade (the unit of `k·|dev|` and of the
//! per-block cap), and the peg managers' second opinion.
//!
//! Rounding always goes against the keeper: a trade's base size is rounded
//! **up** (it uses more of the cap), the largest allowed input is rounded
//! **down**.

use crate::deviation::Bps;
use crate::fixed::{self, ONE};
use crate::mesh;
use crate::sizing::Direction;
use crate::{MathError, MathResult, U256};

/// The peg in the pool's raw units: `oracle · 10^quote_decimals /
/// 10^base_decimals` (quote raw units per base raw unit, 1e18 fixed point),
/// from an oracle price in whole tokens. Exact when the quote token has at
/// least the base token's decimals, else rounded up when `up`.
///
/// # Errors
/// [`MathError::InvalidInput`] for decimals above 36; [`MathError::Overflow`].
pub fn raw_peg(oracle_price: U256, base_decimals: u8, quote_decimals: u8, up: bool) -> MathResult<U256> {
    mesh::guide_price(oracle_price, base_decimals, quote_decimals, up)
}

/// The base-token size of selling `amount` in `direction`: the amount itself
/// when base is sold; `amount / peg` rounded **up** when quote is sold (the
/// trade counts for at least its value against the cap and `k·|dev|`).
///
/// # Errors
/// [`MathError::DivisionByZero`] for a zero peg; [`MathError::Overflow`].
pub fn base_size(direction: Direction, amount: U256, raw_peg: U256) -> MathResult<U256> {
    match direction {
        Direction::SellBase => Ok(amount),
        Direction::SellQuote => fixed::mul_div_ceil(amount, ONE, raw_peg),
    }
}

/// The largest input of `direction` whose [`base_size`] is at most
/// `base_limit`: the limit itself when base is sold, `base_limit · peg`
/// rounded **down** when quote is sold. An overflowing product saturates
/// (the limit is then not binding).
pub fn max_input(direction: Direction, base_limit: U256, raw_peg: U256) -> U256 {
    match direction {
        Direction::SellBase => base_limit,
        Direction::SellQuote => fixed::mul_div_floor(base_limit, raw_peg, ONE).unwrap_or(U256::MAX),
    }
}

/// The peg managers' second opinion on a pool deviation (decision, see the
/// Stabilizer's documentation).
///
/// `base_bps` and `quote_bps` are each token's own deviation from its peg
/// as its peg manager reports it (0 for a token without a manager). Their
/// difference `implied = base − quote` is how far the pool's fair price
/// already is from the oracle peg because a token itself moved. Only the
/// rest, `pool − implied`, is an imbalance of the pool the Stabilizer may
/// correct. The managers **agree** when that rest has the pool deviation's
/// sign; the correctable deviation is then the rest, capped at the pool's
/// own magnitude (a manager can shrink a correction, never enlarge it).
///
/// Returns `None` when they disagree (the pool's deviation is explained, or
/// contradicted, by the tokens' own pegs) or when `pool` is zero.
pub fn correctable_deviation(pool: Bps, base_bps: i64, quote_bps: i64) -> Option<Bps> {
    let implied = i128::from(base_bps) - i128::from(quote_bps);
    let rest = i128::from(pool) - implied;
    if pool == 0 || rest.signum() != i128::from(pool.signum()) {
        return None;
    }
    let capped = rest.unsigned_abs().min(u128::from(pool.unsigned_abs()));
    // capped ≤ |pool| ≤ 2^31, so it fits an i32 (|i32::MIN| only for a
    // negative pool, where the negation below is exact).
    let magnitude = i64::try_from(capped).ok()?;
    Bps::try_from(if pool < 0 { -magnitude } else { magnitude }).ok()
}

/// A peg manager's deviation clamped into `i64` (a deviation beyond ±2^63
/// bps is as off-peg as `i64::MAX`).
///
/// Two's complement by limbs: the value fits when every limb above the
/// lowest is the sign extension of the lowest (cheaper in wasm than the
/// generic `TryFrom`, which goes through `i128`).
pub fn clamp_i64(value: crate::I256) -> i64 {
    let raw = value.into_raw();
    let limbs = raw.as_limbs();
    let low = i64::from_ne_bytes(limbs[0].to_ne_bytes());
    let extension = if low < 0 { u64::MAX } else { 0 };
    if limbs[1..].iter().all(|limb| *limb == extension) {
        low
    } else if value.is_negative() {
        i64::MIN
    } else {
        i64::MAX
    }
}

/// Whether a token with peg deviation `deviation_bps` is within
/// `max_bps` of its peg (`|dev| ≤ max`).
pub fn within_peg(deviation_bps: i64, max_bps: u64) -> bool {
    deviation_bps.unsigned_abs() <= max_bps
}

/// `k·|dev|` capped by the remaining per-block volume, as an input amount
/// of `direction`: the largest `tradeSize` the rules allow.
///
/// # Errors
/// As [`crate::sizing::trade_size`].
pub fn allowed_input(
    direction: Direction,
    k: U256,
    abs_deviation_bps: u32,
    remaining: U256,
    raw_peg: U256,
) -> MathResult<U256> {
    let base_limit = crate::sizing::trade_size(k, abs_deviation_bps, remaining)?;
    Ok(max_input(direction, base_limit, raw_peg))
}

/// The least the public leg must pay for `amount` sold in `direction` at
/// `raw_peg` less `max_slippage_bps`: `ceil(amount·num·(10,000 − s) /
/// (den·10,000))` with `num/den` the peg (selling base) or its inverse
/// (selling quote). Equal to [`crate::sizing::min_out`] whenever the
/// products fit 256 bits; here they must (`Overflow` otherwise), so that
/// the contract links one 256-bit division and no 512-bit one.
///
/// # Errors
/// [`MathError::InvalidInput`] for `max_slippage_bps > 10,000`;
/// [`MathError::DivisionByZero`] for a zero peg; [`MathError::Overflow`].
pub fn min_out(direction: Direction, amount: U256, raw_peg: U256, max_slippage_bps: u32) -> MathResult<U256> {
    let (num, den) = match direction {
        Direction::SellBase => (raw_peg, ONE),
        Direction::SellQuote => (ONE, raw_peg),
    };
    let keep = fixed::BPS.checked_sub(U256::from(max_slippage_bps)).ok_or(MathError::InvalidInput)?;
    fixed::ceil_div(fixed::mul(fixed::mul(amount, num)?, keep)?, fixed::mul(den, fixed::BPS)?)
}

/// Whether the pool's spot `mid_price` still holds the newest keeper
/// observation `observed_bps` (FlashContainment's deviation, truncated
/// toward zero) against `raw_peg` (rounded down): on the observation's side
/// of the peg and at most 1 bps closer to it. Above the peg (the trade sells
/// base) `mid > ⌈peg·(10,000 + dev − 1)/10,000⌉`; below it (sells quote)
/// `mid < ⌈peg·(10,000 + dev + 1)/10,000⌉`. An undisturbed pool always
/// holds (the 1 bps covers the truncation and, when quote has fewer
/// decimals than base, the peg's rounding, for any peg above 10,000 raw);
/// a pool moved toward the peg by 2 bps or more since the observation never
/// does, so a front-run that does part of the correction refuses the trade.
/// `false` for a zero observation or an overflowing product.
pub fn spot_holds(mid_price: U256, raw_peg: U256, observed_bps: Bps) -> bool {
    let sign = observed_bps.signum();
    let factor = (10_000 + i64::from(observed_bps) - i64::from(sign)).unsigned_abs();
    let Ok(bound) = fixed::mul_div_ceil(raw_peg, U256::from(factor), fixed::BPS) else { return false };
    match sign {
        1 => mid_price > bound,
        -1 => mid_price < bound,
        _ => false,
    }
}

/// Refuses a zero divisor early (helper for callers that pre-check).
///
/// # Errors
/// [`MathError::DivisionByZero`] for zero.
pub fn nonzero(value: U256) -> MathResult<U256> {
    if value.is_zero() {
        Err(MathError::DivisionByZero)
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const E18: u128 = 1_000_000_000_000_000_000;

    fn u(v: u128) -> U256 {
        U256::from(v)
    }

    #[test]
    fn pegs_and_sizes() {
        // USDC (6) / DAI (18) at 1.0: 1e12 DAI raw per USDC raw.
        assert_eq!(raw_peg(u(E18), 6, 18, false), Ok(u(E18 * 1_000_000_000_000)));
        // 18 / 6 at 1.0: 1e-12, exact in 1e18 fixed point.
        assert_eq!(raw_peg(u(E18), 18, 6, false), Ok(u(1_000_000)));
        // Selling 3 quote at a peg of 2: 1.5 base, rounded up to 2.
        assert_eq!(base_size(Direction::SellQuote, u(3), u(2 * E18)), Ok(u(2)));
        assert_eq!(base_size(Direction::SellBase, u(3), u(2 * E18)), Ok(u(3)));
        assert_eq!(max_input(Direction::SellQuote, u(3), u(E18 / 2 + 1)), u(1));
        assert_eq!(base_size(Direction::SellQuote, u(1), U256::ZERO), Err(MathError::DivisionByZero));
        // 1,000,000 per 100% at 25 bps, cap 10,000: 2,500.
        assert_eq!(allowed_input(Direction::SellBase, u(1_000_000), 25, u(10_000), u(E18)), Ok(u(2_500)));
        assert_eq!(allowed_input(Direction::SellBase, u(1_000_000), 25, u(1_000), u(E18)), Ok(u(1_000)));
        assert_eq!(nonzero(U256::ZERO), Err(MathError::DivisionByZero));
    }

    #[test]
    fn second_opinion() {
        // Managers at peg: the pool's deviation stands.
        assert_eq!(correctable_deviation(40, 0, 0), Some(40));
        assert_eq!(correctable_deviation(-40, 0, 0), Some(-40));
        // Quote depegged 5% down, pool +5%: fully explained, nothing to do.
        assert_eq!(correctable_deviation(500, 0, -500), None);
        // Pool +8% with +5% explained: 3% is the pool's own imbalance.
        assert_eq!(correctable_deviation(800, 0, -500), Some(300));
        // Managers point the other way: capped at the pool's own deviation.
        assert_eq!(correctable_deviation(40, -100, 0), Some(40));
        assert_eq!(correctable_deviation(0, 0, 0), None);
        assert_eq!(correctable_deviation(i32::MIN, i64::MIN, i64::MAX), None);
        assert_eq!(correctable_deviation(i32::MIN, 0, 0), Some(i32::MIN));
        assert!(within_peg(-50, 50));
        assert!(!within_peg(i64::MIN, (1 << 63) - 1));
        assert_eq!(clamp_i64(crate::I256::MIN), i64::MIN);
        assert_eq!(clamp_i64(crate::I256::try_from(-7i64).unwrap()), -7);
    }
}
