//! PrivateMeshPool math: the ramped oracle price, the lag guard, the guide
//! price in raw token units, and one pool leg (a PMM sell that keeps both
//! reserves at or above their minimums).
//!
//! Every pool pairs a token (the PMM **base**) with XAU (the PMM **quote**).
//! Prices are XAU per whole token in 1e18 fixed point, as the oracle reports
//! them; [`guide_price`] turns one into DODO's `i` (quote raw units per base
//! raw unit, 1e18 fixed point).
//!
//! # The ramp
//!
//! A pool keeps an effective price `p`, the oracle price `t` it last
//! observed, and the L2 block of that observation. `n` blocks later the
//! effective price is `p` moved toward `t` and clamped to
//! [`band`]`(p, n·j)` = `[p − d, p + d]`, `d = ⌊p · n·j⌋`,
//! `j = maxJumpBps / 10,000` ([`ramp`]). Over any `n` blocks the price
//! therefore moves by at most `n·j` of `p` either way (up to the factor
//! `1 + n·j ≤ (1 + j)^n`, down to `1 − n·j`, floored at zero), and a newly
//! observed oracle price moves nothing in the block it is observed: it only
//! becomes the target the next blocks ramp toward. `d` is rounded down, so
//! the up bound is rounded down and the down bound up: rounding never
//! widens a step.

use crate::fixed::{self, below, BPS, ONE};
use crate::pmm::{self, PmmState, SellOutcome};
use crate::wide::{self, Fault};
use crate::{MathError, MathResult, U256};

/// Largest number of decimals a token may report (so `10^decimals` fits
/// comfortably in 256 bits with any price).
pub const MAX_DECIMALS: u8 = 36;

/// Largest reserve, target or price a pool stores: `2^128 − 1`.
pub const MAX_STORED: U256 = U256::from_limbs([u64::MAX, u64::MAX, 0, 0]);

/// The band of prices within `bps` basis points of `price`:
/// `[price − d, price + d]` with `d = floor(price · bps / 10,000)` (the low
/// end is zero when `d ≥ price`). `d` is rounded down, so the band never
/// reaches beyond `bps`.
///
/// # Errors
/// [`MathError::Overflow`] when `price · bps` does not fit.
pub fn band(price: U256, bps: U256) -> MathResult<(U256, U256)> {
    let fault = &Fault::default();
    let d = wide::mul_div_u(fault, &price, &bps, &BPS, false);
    let low = if below(&price, &d) { U256::ZERO } else { fixed::diff(&price, &d) };
    let high = wide::add_u(fault, &price, &d);
    fault.check()?;
    Ok((low, high))
}

/// The effective price `blocks` L2 blocks after it was `price` with the
/// oracle target `target`: `target` clamped to
/// [`band`]`(price, blocks · max_jump_bps)`. So the price moves toward the
/// target by at most `max_jump_bps` of `price` per block, and never
/// overshoots it; it stays at `price` when `blocks` or `max_jump_bps` is
/// zero.
///
/// # Errors
/// [`MathError::InvalidInput`] for a zero `price` or `target`;
/// [`MathError::Overflow`] when the band does not fit.
pub fn ramp(price: U256, target: U256, blocks: u64, max_jump_bps: u64) -> MathResult<U256> {
    if price.is_zero() || target.is_zero() {
        return Err(MathError::InvalidInput);
    }
    // blocks · j < 2^128: exact in u128.
    let (low, high) = band(price, U256::from(u128::from(blocks) * u128::from(max_jump_bps)))?;
    let raised = if below(&target, &low) { low } else { target };
    Ok(if below(&high, &raised) { high } else { raised })
}

/// Whether `oracle` lies outside [`band`]`(price, max_gap_bps)`: more than
/// `max_gap_bps` of `price` above or below it.
///
/// # Errors
/// [`MathError::Overflow`] when the band does not fit.
pub fn exceeds_gap(price: U256, oracle: U256, max_gap_bps: u64) -> MathResult<bool> {
    let (low, high) = band(price, U256::from(max_gap_bps))?;
    Ok(below(&oracle, &low) || below(&high, &oracle))
}

/// Whether an oracle price set at `updated_at` is older than `max_age`
/// seconds at `now`. A time in the future is not stale here: the
/// PrivateMeshPool refuses it separately (`StaleOracle`), as a stamp from
/// the future would otherwise stay fresh forever.
pub fn is_stale(updated_at: U256, now: u64, max_age: u64) -> bool {
    // updated_at + max_age, saturating.
    let limit = fixed::add(updated_at, U256::from(max_age)).unwrap_or(U256::MAX);
    below(&limit, &U256::from(now))
}

/// `10^exponent`.
///
/// # Errors
/// [`MathError::Overflow`] above `10^77`.
pub fn pow10(exponent: u8) -> MathResult<U256> {
    let mut value = U256::from(1u8);
    for _ in 0..exponent {
        value = fixed::mul(value, U256::from(10u8))?;
    }
    Ok(value)
}

/// DODO's guide price `i` for a pool: `price · 10^xau_decimals /
/// 10^token_decimals`, the XAU raw units one raw token unit is worth, in
/// 1e18 fixed point. Exact when XAU has at least the token's decimals;
/// otherwise rounded up when `up`, down when not. A sell of the token uses
/// the floor (the pool pays less XAU), a sell of XAU the ceiling (the pool
/// pays fewer tokens): rounding goes against the trader both ways.
///
/// # Errors
/// [`MathError::InvalidInput`] for decimals above [`MAX_DECIMALS`];
/// [`MathError::Overflow`] when the result does not fit.
pub fn guide_price(price: U256, token_decimals: u8, xau_decimals: u8, up: bool) -> MathResult<U256> {
    if token_decimals > MAX_DECIMALS || xau_decimals > MAX_DECIMALS {
        return Err(MathError::InvalidInput);
    }
    if xau_decimals >= token_decimals {
        return fixed::mul(price, pow10(xau_decimals - token_decimals)?);
    }
    let scale = pow10(token_decimals - xau_decimals)?;
    if up {
        fixed::ceil_div(price, scale)
    } else {
        fixed::floor_div(price, scale)
    }
}

/// Which way a leg trades in a Token↔XAU pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The token goes in and XAU comes out (a PMM `sellBase`).
    SellToken,
    /// XAU goes in and the token comes out (a PMM `sellQuote`).
    SellXau,
}

/// A pool's minimum reserves (both nonzero in a configured pool).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Minimums {
    /// Minimum token (base) reserve.
    pub token: U256,
    /// Minimum XAU (quote) reserve.
    pub xau: U256,
}

/// Why a leg was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegError {
    /// A reserve is, or would end, below its minimum: the XAU side when
    /// `xau` is true, the token side otherwise.
    BelowMinimum {
        /// Which side.
        xau: bool,
    },
    /// The PMM formulas refused the state or overflowed.
    Math(MathError),
}

impl From<MathError> for LegError {
    fn from(error: MathError) -> Self {
        Self::Math(error)
    }
}

/// One leg: sells `amount` into the pool `state` (its `i` already the
/// guide price for `direction`, see [`guide_price`]) with the LP fee rate
/// `fee_rate` (1e18 fixed point; no maintainer fee, the whole fee stays in
/// the pool). Both reserves must be at or above their minimums before the
/// trade, and the output reserve after it; every reserve and target of the
/// new state must fit in [`MAX_STORED`].
///
/// A trade that the curve cannot pay at all (with `k = 0` the price is flat
/// and an input worth the whole output reserve is refused by the PMM) is
/// refused as taking the output side below its minimum.
///
/// # Errors
/// [`LegError::BelowMinimum`] as above; [`LegError::Math`] with the PMM's
/// error otherwise, or [`MathError::Overflow`] for a reserve or target
/// beyond [`MAX_STORED`].
pub fn sell(
    state: &PmmState,
    direction: Direction,
    amount: U256,
    fee_rate: U256,
    minimums: Minimums,
) -> Result<SellOutcome, LegError> {
    if below(&state.b, &minimums.token) {
        return Err(LegError::BelowMinimum { xau: false });
    }
    if below(&state.q, &minimums.xau) {
        return Err(LegError::BelowMinimum { xau: true });
    }
    let sells_token = direction == Direction::SellToken;
    let outcome = if sells_token {
        pmm::sell_base(state, amount, fee_rate, U256::ZERO)
    } else {
        pmm::sell_quote(state, amount, fee_rate, U256::ZERO)
    };
    let outcome = match outcome {
        // With the inputs the formulas check in range, these errors mean the
        // curve cannot pay this much (the pool's states are always valid).
        Err(MathError::InvalidInput | MathError::Underflow)
            if !below(&ONE, &fee_rate) && !below(&ONE, &state.k) && !state.i.is_zero() =>
        {
            return Err(LegError::BelowMinimum { xau: sells_token })
        }
        other => other?,
    };
    let s = &outcome.new_state;
    let short = if sells_token { below(&s.q, &minimums.xau) } else { below(&s.b, &minimums.token) };
    if short {
        return Err(LegError::BelowMinimum { xau: sells_token });
    }
    if below(&MAX_STORED, &s.b)
        || below(&MAX_STORED, &s.q)
        || below(&MAX_STORED, &s.b0)
        || below(&MAX_STORED, &s.q0)
    {
        return Err(LegError::Math(MathError::Overflow));
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pmm::RState;

    fn u(v: u128) -> U256 {
        U256::from(v)
    }

    const E18: u128 = 1_000_000_000_000_000_000;

    #[test]
    fn ramp_moves_at_most_the_bound_and_never_overshoots() {
        // 50 bps per block from 1.0 toward 2.0.
        assert_eq!(ramp(u(E18), u(2 * E18), 1, 50), Ok(u(1_005 * E18 / 1_000)));
        assert_eq!(ramp(u(E18), u(2 * E18), 10, 50), Ok(u(105 * E18 / 100)));
        // Reached: clamped to the target.
        assert_eq!(ramp(u(E18), u(2 * E18), 200, 50), Ok(u(2 * E18)));
        assert_eq!(ramp(u(E18), u(2 * E18), 10_000, 50), Ok(u(2 * E18)));
        // Down by 50 bps of the price per block, to the target at most.
        assert_eq!(ramp(u(E18), u(E18 / 2), 1, 50), Ok(u(995 * E18 / 1_000)));
        assert_eq!(ramp(u(E18), u(E18 / 2), 99, 50), Ok(u(505 * E18 / 1_000)));
        assert_eq!(ramp(u(E18), u(E18 / 2), 100, 50), Ok(u(E18 / 2)));
        assert_eq!(ramp(u(E18), u(1), 200, 50), Ok(u(1)), "a band reaching zero");
        // No block, or no jump allowed: no move.
        assert_eq!(ramp(u(E18), u(2 * E18), 0, 50), Ok(u(E18)));
        assert_eq!(ramp(u(E18), u(2 * E18), 7, 0), Ok(u(E18)));
        // At the target: stays.
        assert_eq!(ramp(u(E18), u(E18), 7, 50), Ok(u(E18)));
        assert_eq!(ramp(U256::ZERO, u(E18), 1, 1), Err(MathError::InvalidInput));
        assert_eq!(ramp(u(E18), U256::ZERO, 1, 1), Err(MathError::InvalidInput));
        // Rounding never widens a step: 1 wei of price moves only after 10,000 bps.
        assert_eq!(ramp(u(1), u(5), 9_999, 1), Ok(u(1)));
        assert_eq!(ramp(u(1), u(5), 10_000, 1), Ok(u(2)));
        // Any block count and jump: no overflow for stored prices.
        assert_eq!(ramp(MAX_STORED, u(1), u64::MAX, 10_000), Ok(u(1)));
        assert_eq!(ramp(u(1), MAX_STORED, u64::MAX, 10_000), Ok(U256::from(1u8) << 64));
    }

    #[test]
    fn gap_and_staleness() {
        // 1% above: outside a 99 bps band, inside a 100 bps one; the same below.
        assert_eq!(exceeds_gap(u(100 * E18), u(101 * E18), 99), Ok(true));
        assert_eq!(exceeds_gap(u(100 * E18), u(101 * E18), 100), Ok(false));
        assert_eq!(exceeds_gap(u(100 * E18), u(99 * E18), 100), Ok(false));
        assert_eq!(exceeds_gap(u(100 * E18), u(99 * E18 - 1), 100), Ok(true));
        assert_eq!(band(u(100 * E18), u(100)), Ok((u(99 * E18), u(101 * E18))));
        assert_eq!(exceeds_gap(u(100), u(100), 0), Ok(false));
        assert_eq!(exceeds_gap(u(100), u(101), 0), Ok(true));
        assert!(!is_stale(u(1_000), 1_060, 60));
        assert!(is_stale(u(1_000), 1_061, 60));
        assert!(!is_stale(u(2_000), 1_061, 60), "a future stamp is not stale");
        assert!(!is_stale(U256::MAX, u64::MAX, u64::MAX));
    }

    #[test]
    fn guide_price_converts_decimals_against_the_trader() {
        // 0.0003 XAU per cUSDT (6 decimals) with an 18-decimal XAU: × 1e12.
        assert_eq!(
            guide_price(u(3 * E18 / 10_000), 6, 18, false),
            Ok(u(3 * E18 / 10_000 * 1_000_000_000_000))
        );
        assert_eq!(guide_price(u(7), 18, 18, true), Ok(u(7)));
        // An 18-decimal token against a 6-decimal XAU: ÷ 1e12, floor or ceiling.
        assert_eq!(guide_price(u(3 * E18 / 10_000 + 1), 18, 6, false), Ok(u(300)));
        assert_eq!(guide_price(u(3 * E18 / 10_000 + 1), 18, 6, true), Ok(u(301)));
        assert_eq!(guide_price(u(1), 37, 18, true), Err(MathError::InvalidInput));
        assert_eq!(pow10(3), Ok(u(1_000)));
        assert_eq!(pow10(78), Err(MathError::Overflow));
    }

    fn pool(i: U256, k: U256, b: u128, q: u128) -> PmmState {
        PmmState { i, k, b: u(b), q: u(q), b0: u(b), q0: u(q), r: RState::One }
    }

    #[test]
    fn sell_keeps_reserves_above_their_minimums() {
        let min = Minimums { token: u(100 * E18), xau: u(100 * E18) };
        let s = pool(u(E18), u(E18 / 10), 1_000 * E18, 1_000 * E18);
        let fee = u(E18 / 1_000);
        let o = sell(&s, Direction::SellToken, u(10 * E18), fee, min).unwrap();
        assert!(o.receive < u(10 * E18) && o.receive > u(9 * E18));
        assert_eq!(o.mt_fee, U256::ZERO);
        assert_eq!(o.new_state.q, u(1_000 * E18) - o.receive);
        // Draining the XAU side past its minimum is refused.
        let drain = sell(&s, Direction::SellToken, u(100_000 * E18), fee, min);
        assert_eq!(drain, Err(LegError::BelowMinimum { xau: true }));
        let drain = sell(&s, Direction::SellXau, u(100_000 * E18), fee, min);
        assert_eq!(drain, Err(LegError::BelowMinimum { xau: false }));
        // k = 0: a flat curve that cannot pay is refused the same way.
        let flat = pool(u(E18), U256::ZERO, 1_000 * E18, 1_000 * E18);
        let drain = sell(&flat, Direction::SellToken, u(1_000 * E18), U256::ZERO, min);
        assert_eq!(drain, Err(LegError::BelowMinimum { xau: true }));
        // A pool below a minimum before the trade: refused, whatever the size.
        let low = pool(u(E18), u(E18 / 10), 50 * E18, 1_000 * E18);
        assert_eq!(
            sell(&low, Direction::SellXau, u(1), fee, min),
            Err(LegError::BelowMinimum { xau: false })
        );
        let low = pool(u(E18), u(E18 / 10), 1_000 * E18, 0);
        assert_eq!(
            sell(&low, Direction::SellToken, u(1), fee, min),
            Err(LegError::BelowMinimum { xau: true })
        );
        // Reserves beyond 128 bits are refused as overflow.
        let big = pool(u(E18), u(E18 / 10), u128::MAX - 1, u128::MAX - 1);
        let o = sell(&big, Direction::SellToken, u(10), fee, min);
        assert_eq!(o, Err(LegError::Math(MathError::Overflow)));
    }
}
