//! Trade sizing and the direction rule (§6, §10, App. A).
//!
//! * [`trade_size`]: `min(k·|dev|, remaining cap)`, rounded down (against the
//!   keeper).
//! * [`slippage_floor`] / [`min_out`]: the least acceptable output at the
//!   oracle price less the slippage allowance, rounded up (against the caller).
//! * [`correcting_direction`], [`check_no_overshoot`]: a trade may only move
//!   the pool's mid price toward the peg, never past it.
//! * [`max_correcting_base_in`] / [`max_correcting_quote_in`]: the largest
//!   trade that brings the mid price to the peg without crossing it, on the
//!   exact-curve model ([`crate::pmm`]): our own PrivateMeshPool's pricing,
//!   which the simulator's pools also use.
//! * [`dodo`]: the same sizing and check on the DODO-exact model
//!   ([`crate::pmm::dodo`]), for the public DODO V2 pools (DSP and DPP) the
//!   Stabilizer trades against. A size from the exact-curve functions can
//!   cross the peg on a real DODO pool (`PegOvershoot`) or leave it short;
//!   the keeper sizes public-pool trades with [`dodo`].
//!
//! Deviation sign convention: positive when the pool's price (quote per base)
//! is above the peg. Then base is too expensive and the correcting trade sells
//! base; when negative it sells quote.

use core::cmp::Ordering;

use crate::deviation::Bps;
use crate::fixed::{BPS, ONE};
use crate::pmm::{self, PmmState, SellOutcome};
use crate::wide::{self, w, Fault};
use crate::{MathError, MathResult, U256};

/// Which token the stabilizer sells into the public pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Sell base, receive quote: pushes the price down.
    SellBase,
    /// Sell quote, receive base: pushes the price up.
    SellQuote,
}

/// A proposed trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trade {
    /// Which side is sold.
    pub direction: Direction,
    /// Amount of the sold token.
    pub amount: U256,
}

/// The pool's fee rates (1e18 fixed point), as [`pmm::sell_base`] takes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeeRates {
    /// LP fee rate (stays in the pool).
    pub lp: U256,
    /// Maintainer fee rate (leaves the pool).
    pub mt: U256,
}

/// Verdict of [`check_no_overshoot`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TradeCheck {
    /// Moves the mid price toward the peg without passing it (or is empty).
    Corrects,
    /// Moves the mid price away from the peg (wrong direction, or the pool
    /// is already on the peg).
    Widens,
    /// Right direction, but the post-trade mid price is past the peg.
    CrossesPeg,
}

/// Stabilization trade size `min(k·|dev|, remaining_block_cap)`, where `k` is
/// the amount traded per 100% of deviation (so `k·|dev| = k·dev_bps/10,000`;
/// with `k` = pool depth this is §11's "drift"). Rounded **down**: the keeper
/// never gets more than the rule allows.
///
/// # Errors
/// [`MathError::Overflow`] if `k·|dev|` does not fit.
pub fn trade_size(k: U256, abs_deviation_bps: u32, remaining_block_cap: U256) -> MathResult<U256> {
    let raw = crate::fixed::mul_div_floor(k, U256::from(abs_deviation_bps), BPS)?;
    Ok(raw.min(remaining_block_cap))
}

/// Minimum acceptable output for `amount_in` at `price_out_per_in` (1e18
/// fixed point, token-out per token-in) less `max_slippage_bps`:
/// `amount_in·price·(10,000 − slippage)/10,000`, rounded **up** (the caller
/// must receive at least this).
///
/// # Errors
/// [`MathError::InvalidInput`] for `max_slippage_bps > 10,000`;
/// [`MathError::Overflow`] on overflow.
pub fn slippage_floor(amount_in: U256, price_out_per_in: U256, max_slippage_bps: u32) -> MathResult<U256> {
    min_out_fraction(amount_in, price_out_per_in, ONE, max_slippage_bps)
}

/// [`slippage_floor`] for a trade on a pool priced by `oracle_price` (quote
/// per base, 1e18): selling base uses `oracle_price`, selling quote its exact
/// inverse. Rounded **up**.
///
/// # Errors
/// As [`slippage_floor`]; [`MathError::DivisionByZero`] for a zero oracle
/// price when selling quote.
pub fn min_out(
    direction: Direction,
    amount_in: U256,
    oracle_price: U256,
    max_slippage_bps: u32,
) -> MathResult<U256> {
    match direction {
        Direction::SellBase => min_out_fraction(amount_in, oracle_price, ONE, max_slippage_bps),
        Direction::SellQuote => min_out_fraction(amount_in, ONE, oracle_price, max_slippage_bps),
    }
}

/// `ceil(amount·num·(10,000 − s) / (den·10,000))` in 512 bits.
fn min_out_fraction(amount: U256, num: U256, den: U256, slippage_bps: u32) -> MathResult<U256> {
    let keep = BPS.checked_sub(U256::from(slippage_bps)).ok_or(MathError::InvalidInput)?;
    let fault = &Fault::default();
    let top = wide::mul(fault, &wide::mul(fault, &w(amount), &w(num)), &w(keep));
    let bottom = wide::mul(fault, &w(den), &w(BPS));
    let out = wide::narrow(fault, &wide::div(fault, &top, &bottom, true));
    fault.check()?;
    Ok(out)
}

/// The trade direction that reduces a deviation (positive = price above
/// peg ⇒ sell base). `None` at zero deviation: there is nothing to correct.
pub fn correcting_direction(deviation_bps: Bps) -> Option<Direction> {
    match deviation_bps.cmp(&0) {
        Ordering::Greater => Some(Direction::SellBase),
        Ordering::Less => Some(Direction::SellQuote),
        Ordering::Equal => None,
    }
}

/// Runs `trade` on `state` with `fees`.
///
/// # Errors
/// As [`pmm::sell_base`].
pub fn apply(state: &PmmState, trade: Trade, fees: FeeRates) -> MathResult<SellOutcome> {
    match trade.direction {
        Direction::SellBase => pmm::sell_base(state, trade.amount, fees.lp, fees.mt),
        Direction::SellQuote => pmm::sell_quote(state, trade.amount, fees.lp, fees.mt),
    }
}

/// Checks that `trade` moves the pool's mid price toward `peg` (quote per
/// base, 1e18) without passing it. The peg comparison is exact (no rounding);
/// "does not widen" compares the rounded-down mid prices before and after,
/// which is exact in the conservative direction (a widening is never missed).
///
/// # Errors
/// As [`pmm::sell_base`] / [`pmm::mid_price`].
pub fn check_no_overshoot(
    state: &PmmState,
    trade: Trade,
    peg: U256,
    fees: FeeRates,
) -> MathResult<TradeCheck> {
    if trade.amount.is_zero() {
        return Ok(TradeCheck::Corrects);
    }
    let pre_side = pmm::compare_mid_price(state, peg)?;
    let needed = match pre_side {
        Ordering::Greater => Direction::SellBase,
        Ordering::Less => Direction::SellQuote,
        Ordering::Equal => return Ok(TradeCheck::Widens),
    };
    if trade.direction != needed {
        return Ok(TradeCheck::Widens);
    }
    let after = apply(state, trade, fees)?.new_state;
    let post_side = pmm::compare_mid_price(&after, peg)?;
    if post_side != pre_side && post_side != Ordering::Equal {
        return Ok(TradeCheck::CrossesPeg);
    }
    let (pre, post) = (pmm::mid_price(state)?, pmm::mid_price(&after)?);
    let widens = match needed {
        Direction::SellBase => post > pre,
        Direction::SellQuote => post < pre,
    };
    Ok(if widens { TradeCheck::Widens } else { TradeCheck::Corrects })
}

/// Largest `amount` for which `ok(amount)` holds, given `ok(0)` and that `ok`
/// is monotone (true up to some point, false after). Exponential search for
/// an upper bound, then bisection: at most ~2·256 evaluations.
fn largest_ok(mut ok: impl FnMut(U256) -> bool) -> U256 {
    let mut lo = U256::ZERO;
    let mut hi = U256::from(1u8);
    loop {
        if !ok(hi) {
            break;
        }
        lo = hi;
        match crate::multiply::checked_mul(hi, U256::from(2u8)) {
            Some(next) => hi = next,
            // Every representable amount is fine (cannot happen for k > 0).
            None => return lo,
        }
    }
    // ok(lo), !ok(hi); bisect. Rounds down: returns the last amount that is ok.
    while hi - lo > U256::from(1u8) {
        let mid = lo + ((hi - lo) >> 1);
        if ok(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Whether `trade` succeeds and leaves the mid price on `keep` side of (or
/// on) the peg. A refused trade (too large for the pool) counts as "no".
fn lands_before_peg(state: &PmmState, trade: Trade, peg: U256, fees: FeeRates, keep: Ordering) -> bool {
    let Ok(outcome) = apply(state, trade, fees) else {
        return false;
    };
    // A post-trade state the formulas refuse also counts as "no".
    pmm::compare_mid_price(&outcome.new_state, peg).is_ok_and(|side| side == keep || side == Ordering::Equal)
}

/// Largest base amount whose sale leaves the mid price at or above `peg`
/// (moves it exactly to, never past, the peg); zero when the mid price is
/// not above the peg. Exact PMM, bisection, rounded down.
///
/// Cost: `O(log2(amount))` full PMM evaluations (at most ~512; each is one
/// sell with a target solve, a quadratic solve and an exact comparison, all
/// in 512-bit integers). Meant for keeper views and the simulator; on chain,
/// verify a keeper-supplied size with [`check_no_overshoot`] (one
/// evaluation) instead.
///
/// # Errors
/// As [`pmm::mid_price`] for an invalid state.
pub fn max_correcting_base_in(state: &PmmState, peg: U256, fees: FeeRates) -> MathResult<U256> {
    if pmm::compare_mid_price(state, peg)? != Ordering::Greater {
        return Ok(U256::ZERO);
    }
    Ok(largest_ok(|amount| {
        let trade = Trade { direction: Direction::SellBase, amount };
        lands_before_peg(state, trade, peg, fees, Ordering::Greater)
    }))
}

/// Largest quote amount whose sale leaves the mid price at or below `peg`;
/// zero when the mid price is not below the peg. Same method and cost as
/// [`max_correcting_base_in`].
///
/// # Errors
/// As [`pmm::mid_price`] for an invalid state.
pub fn max_correcting_quote_in(state: &PmmState, peg: U256, fees: FeeRates) -> MathResult<U256> {
    if pmm::compare_mid_price(state, peg)? != Ordering::Less {
        return Ok(U256::ZERO);
    }
    Ok(largest_ok(|amount| {
        let trade = Trade { direction: Direction::SellQuote, amount };
        lands_before_peg(state, trade, peg, fees, Ordering::Less)
    }))
}

/// Keeper sizing on the **DODO-exact model** ([`crate::pmm::dodo`]): "to
/// the peg, never past" for a public DODO V2 pool (DSP or DPP), as the pool
/// itself computes it.
///
/// The Stabilizer checks its public leg on the pool's own `getMidPrice`
/// after the trade: selling base must leave it at or above the peg it
/// compares with, selling quote at or below it (`PegOvershoot` otherwise),
/// and it must not move away from the price before the trade
/// (`WrongDirection`). `getMidPrice` is DODO's integer arithmetic with its
/// floors, so the sizing here evaluates exactly that: the trade through
/// [`pmm::dodo::sell_base`] / [`pmm::dodo::sell_quote`] (the curve with
/// DODO's truncations, both fees floored separately as the DSP and DPP
/// charge them, the LP fee left in the pool and the maintainer fee paid
/// out, the target stored when R changes, every revert of the pool), then
/// [`pmm::dodo::pool_mid_price`] of the stored state after it, compared
/// with the target as an integer.
///
/// # Inputs
///
/// * `stored`: the pool's state, either as stored (reserves, stored
///   targets, R) or as `getPMMStateForCall` returns it (the short side's
///   target adjusted). Both give the same sizes: the adjustment only
///   rewrites the target that every later step recomputes from the same
///   reserves (`adjustedTarget` is idempotent), and the sale stores the
///   adjusted target itself when R changes.
/// * `target`: the integer the pool's `getMidPrice` is compared with, in
///   its units (quote raw units per base raw unit, times 1e18): for the
///   Stabilizer, its rounded-down peg (`stabilizer::raw_peg(price, bd, qd,
///   false)`).
/// * `fees`: the pool's LP fee rate and the maintainer fee rate its fee
///   model returns for the trade's `tx.origin` (the keeper's account).
///
/// The pool is assumed to hold exactly its reserves (no input left by an
/// earlier transfer): the sale's input is then the traded amount.
///
/// # The search and what it guarantees
///
/// The searches find a boundary by doubling and bisection over the traded
/// amount, at most about 2·256 evaluations of one sale and one mid price
/// (each with up to two integer square roots). The size returned, `n`,
/// always satisfies, under the model:
///
/// * a sale of `n` is accepted by the pool and leaves its `getMidPrice` on
///   the near side of the target or on it (never past it);
/// * a sale of `n + 1` is refused by the pool or lands past the target.
///
/// Both hold whatever DODO's rounding does (the bisection keeps an
/// accepted lower end and a refused upper end one apart). DODO's floors
/// can make the landing price step back by a unit of its last digit as
/// the size grows, so a larger accepted size may exist beyond a refused
/// one; the search never returns a refused one.
///
/// The no-widening half of the Stabilizer's rule is not part of the
/// search; [`check_no_overshoot`](dodo::check_no_overshoot) checks a size
/// against the whole rule, as the Stabilizer applies it.
pub mod dodo {
    use core::cmp::Ordering;

    use super::{largest_ok, Direction, FeeRates, Trade, TradeCheck};
    use crate::pmm::dodo::{self as model, DodoResult, Sell};
    use crate::pmm::PmmState;
    use crate::U256;

    /// Runs `trade` on the pool state `stored` (DODO's `sellBase` /
    /// `sellQuote` with the LP and maintainer fee rates `fees`).
    ///
    /// # Errors
    /// The pool's revert, as [`model::sell_base`] / [`model::sell_quote`].
    pub fn apply(stored: &PmmState, trade: Trade, fees: FeeRates) -> DodoResult<Sell> {
        match trade.direction {
            Direction::SellBase => model::sell_base(stored, trade.amount, fees.lp, fees.mt),
            Direction::SellQuote => model::sell_quote(stored, trade.amount, fees.lp, fees.mt),
        }
    }

    /// The pool's `getMidPrice` after `trade`, or `None` when the pool
    /// refuses the trade or its `getMidPrice` then reverts.
    pub fn mid_price_after(stored: &PmmState, trade: Trade, fees: FeeRates) -> Option<U256> {
        let after = apply(stored, trade, fees).ok()?.state;
        model::pool_mid_price(&after).ok()
    }

    /// The Stabilizer's rule on its public leg, on the model: `trade` is
    /// checked as the Stabilizer checks it after the pool's leg, on the
    /// pool's `getMidPrice` before (`pre`) and after (`post`) and the
    /// target `target`. Selling base needs `pre > target` (else
    /// [`TradeCheck::Widens`]: nothing to correct that way), then
    /// `post ≥ target` (else [`TradeCheck::CrossesPeg`]) and `post ≤ pre`
    /// (else [`TradeCheck::Widens`]); selling quote the mirror image. An
    /// empty trade [`TradeCheck::Corrects`].
    ///
    /// # Errors
    /// The pool's revert: of `getMidPrice` before the trade, of the trade
    /// (a refused trade is an error here, not a verdict), or of
    /// `getMidPrice` after it.
    pub fn check_no_overshoot(
        stored: &PmmState,
        trade: Trade,
        target: U256,
        fees: FeeRates,
    ) -> DodoResult<TradeCheck> {
        if trade.amount.is_zero() {
            return Ok(TradeCheck::Corrects);
        }
        let pre = model::pool_mid_price(stored)?;
        let needed = match pre.cmp(&target) {
            Ordering::Greater => Direction::SellBase,
            Ordering::Less => Direction::SellQuote,
            Ordering::Equal => return Ok(TradeCheck::Widens),
        };
        if trade.direction != needed {
            return Ok(TradeCheck::Widens);
        }
        let post = model::pool_mid_price(&apply(stored, trade, fees)?.state)?;
        let (crossed, widened) = match needed {
            Direction::SellBase => (post < target, post > pre),
            Direction::SellQuote => (post > target, post < pre),
        };
        Ok(if crossed {
            TradeCheck::CrossesPeg
        } else if widened {
            TradeCheck::Widens
        } else {
            TradeCheck::Corrects
        })
    }

    /// Whether `trade` is accepted by the pool and leaves its `getMidPrice`
    /// on the target or on the `keep` side of it.
    fn lands_before_target(
        stored: &PmmState,
        trade: Trade,
        target: U256,
        fees: FeeRates,
        keep: Ordering,
    ) -> bool {
        mid_price_after(stored, trade, fees).is_some_and(|mid| {
            let side = mid.cmp(&target);
            side == keep || side == Ordering::Equal
        })
    }

    /// The base amount to sell into a DODO V2 pool so that its
    /// `getMidPrice` comes down to `target`, never below it: zero unless
    /// the pool's `getMidPrice` is above `target`. See the [module
    /// documentation](self) for the inputs and the guarantee (the size is
    /// accepted and lands at or above `target`; one more unit is refused or
    /// lands below it).
    ///
    /// # Errors
    /// The revert of the pool's `getMidPrice` on `stored`.
    pub fn max_correcting_base_in(stored: &PmmState, target: U256, fees: FeeRates) -> DodoResult<U256> {
        max_correcting(stored, target, fees, Direction::SellBase)
    }

    /// The quote amount to sell into a DODO V2 pool so that its
    /// `getMidPrice` comes up to `target`, never above it: zero unless the
    /// pool's `getMidPrice` is below `target`. The mirror image of
    /// [`max_correcting_base_in`].
    ///
    /// # Errors
    /// The revert of the pool's `getMidPrice` on `stored`.
    pub fn max_correcting_quote_in(stored: &PmmState, target: U256, fees: FeeRates) -> DodoResult<U256> {
        max_correcting(stored, target, fees, Direction::SellQuote)
    }

    fn max_correcting(
        stored: &PmmState,
        target: U256,
        fees: FeeRates,
        direction: Direction,
    ) -> DodoResult<U256> {
        let keep = match direction {
            Direction::SellBase => Ordering::Greater,
            Direction::SellQuote => Ordering::Less,
        };
        if model::pool_mid_price(stored)?.cmp(&target) != keep {
            return Ok(U256::ZERO);
        }
        // `largest_ok` never asks about zero; every amount above 2^112 is
        // refused (`OVERFLOW`), so the doubling stops well before U256's end.
        Ok(largest_ok(|amount| lands_before_target(stored, Trade { direction, amount }, target, fees, keep)))
    }
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
    fn sizes_and_floors() {
        // §11: depth 1,000,000, deviation 20 bps ⇒ 2,000 units.
        assert_eq!(trade_size(u(1_000_000 * E18), 20, U256::MAX), Ok(u(2_000 * E18)));
        assert_eq!(trade_size(u(1_000_000 * E18), 20, u(25 * E18)), Ok(u(25 * E18)));
        // 1 × 1 / 10,000 rounds down to 0 (against the keeper).
        assert_eq!(trade_size(u(1), 1, U256::MAX), Ok(U256::ZERO));
        // 1000 at 2.0 less 0.5% = 1990 exactly.
        assert_eq!(slippage_floor(u(1000), u(2 * E18), 50), Ok(u(1990)));
        // 999 × 0.9999 = 998.9001 ⇒ 999 (rounded up, against the caller).
        assert_eq!(slippage_floor(u(999), u(E18), 1), Ok(u(999)));
        assert_eq!(slippage_floor(u(1), u(E18), 10_001), Err(MathError::InvalidInput));
        assert_eq!(min_out(Direction::SellQuote, u(1001), u(2 * E18), 0), Ok(u(501)));
        assert_eq!(min_out(Direction::SellBase, u(1001), u(2 * E18), 0), Ok(u(2002)));
        assert_eq!(correcting_direction(5), Some(Direction::SellBase));
        assert_eq!(correcting_direction(-5), Some(Direction::SellQuote));
        assert_eq!(correcting_direction(0), None);
    }

    #[test]
    fn stops_exactly_at_the_peg() {
        // i = 1, k = ½, 100/100 at R = one; peg 0.5. The mid price reaches 0.5
        // when (Q0/Q)² = 3, i.e. after selling 100/√3 = 57.7350269189625764…
        // base (∫ from Q0/√3 to Q0 of the quote curve).
        let s = PmmState {
            i: u(E18),
            k: u(E18 / 2),
            b: u(100 * E18),
            q: u(100 * E18),
            b0: u(100 * E18),
            q0: u(100 * E18),
            r: RState::One,
        };
        let fees = FeeRates::default();
        let peg = u(E18 / 2);
        let max = max_correcting_base_in(&s, peg, fees).unwrap();
        let expected = u(57_735_026_918_962_576_450);
        let diff = if max > expected { max - expected } else { expected - max };
        assert!(diff < u(1_000), "max {max}");
        let ok = Trade { direction: Direction::SellBase, amount: max };
        assert_eq!(check_no_overshoot(&s, ok, peg, fees), Ok(TradeCheck::Corrects));
        let over = Trade { amount: max + u(1), ..ok };
        assert_eq!(check_no_overshoot(&s, over, peg, fees), Ok(TradeCheck::CrossesPeg));
        let wrong = Trade { direction: Direction::SellQuote, amount: u(1) };
        assert_eq!(check_no_overshoot(&s, wrong, peg, fees), Ok(TradeCheck::Widens));
        assert_eq!(max_correcting_quote_in(&s, peg, fees), Ok(U256::ZERO));
        // On the peg nothing is corrective.
        assert_eq!(max_correcting_base_in(&s, u(E18), fees), Ok(U256::ZERO));
        assert_eq!(check_no_overshoot(&s, wrong, u(E18), fees), Ok(TradeCheck::Widens));
    }

    #[test]
    fn dodo_sizing_stops_at_the_target() {
        // The same pool on the DODO-exact model, with DODO's fees (0.3% LP,
        // 0.1% maintainer). Its size lands at or above 0.5, one more wei
        // below it; it is near the exact curve's (the LP fee left in the
        // pool moves the landing price a little).
        let s = PmmState {
            i: u(E18),
            k: u(E18 / 2),
            b: u(100 * E18),
            q: u(100 * E18),
            b0: u(100 * E18),
            q0: u(100 * E18),
            r: RState::One,
        };
        let fees = FeeRates { lp: u(3 * E18 / 1_000), mt: u(E18 / 1_000) };
        let peg = u(E18 / 2);
        let max = dodo::max_correcting_base_in(&s, peg, fees).unwrap();
        let ok = Trade { direction: Direction::SellBase, amount: max };
        assert_eq!(dodo::check_no_overshoot(&s, ok, peg, fees), Ok(TradeCheck::Corrects));
        assert!(dodo::mid_price_after(&s, ok, fees).unwrap() >= peg);
        let over = Trade { amount: max + u(1), ..ok };
        assert_eq!(dodo::check_no_overshoot(&s, over, peg, fees), Ok(TradeCheck::CrossesPeg));
        let exact = max_correcting_base_in(&s, peg, fees).unwrap();
        let diff = if max > exact { max - exact } else { exact - max };
        assert!(diff < u(E18 / 10), "dodo {max}, exact curve {exact}");
        // Nothing to correct the other way, nor on the pool's own price.
        assert_eq!(dodo::max_correcting_quote_in(&s, peg, fees), Ok(U256::ZERO));
        assert_eq!(dodo::max_correcting_base_in(&s, u(E18), fees), Ok(U256::ZERO));
        let wrong = Trade { direction: Direction::SellQuote, amount: u(1) };
        assert_eq!(dodo::check_no_overshoot(&s, wrong, peg, fees), Ok(TradeCheck::Widens));
        // Selling quote up to 2.0 from the same pool.
        let up = u(2 * E18);
        let max = dodo::max_correcting_quote_in(&s, up, fees).unwrap();
        let ok = Trade { direction: Direction::SellQuote, amount: max };
        assert_eq!(dodo::check_no_overshoot(&s, ok, up, fees), Ok(TradeCheck::Corrects));
        let over = Trade { amount: max + u(1), ..ok };
        assert_eq!(dodo::check_no_overshoot(&s, over, up, fees), Ok(TradeCheck::CrossesPeg));
    }
}
