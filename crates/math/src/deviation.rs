//! Signed deviations in basis points.
//!
//! Deviations are [`Bps`] (`i32` basis points; 10,000 bps = 100%). Both
//! functions round **toward zero**: a threshold trigger must never be created
//! by rounding, so a value that is not past the threshold exactly never
//! appears past it after rounding, in either direction.
//!
//! The negative side is naturally bounded by −10,000 (a price or inventory
//! cannot fall below zero). The positive side **saturates** at
//! [`MAX_DEVIATION_BPS`] instead of failing: an absurd upward deviation keeps
//! its sign and stays past any threshold, so a guard built on it cannot be
//! switched off by an overflow during a real depeg.

use crate::fixed::BPS;
use crate::wide::{self, w, Fault};
use crate::{MathError, MathResult, U256};

/// Signed basis points (10,000 = 100%).
pub type Bps = i32;

/// Largest reported deviation; larger ones saturate here.
pub const MAX_DEVIATION_BPS: Bps = Bps::MAX;

/// `(value − reference) / reference × 10,000`, truncated toward zero and
/// saturated at [`MAX_DEVIATION_BPS`].
fn relative_bps(value: U256, reference: U256) -> MathResult<Bps> {
    if reference.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    let (diff, negative) =
        if value >= reference { (value - reference, false) } else { (reference - value, true) };
    // floor of the magnitude = truncation toward zero of the signed value.
    let fault = &Fault::default();
    let magnitude = wide::div(fault, &wide::mul(fault, &w(diff), &w(BPS)), &w(reference), false);
    fault.check()?;
    // Saturate anything beyond i32 (only reachable upward).
    let capped = Bps::try_from(magnitude).unwrap_or(MAX_DEVIATION_BPS);
    Ok(if negative { -capped } else { capped })
}

/// Price deviation `(price − oracle_price) / oracle_price × 10,000` in bps,
/// truncated toward zero, saturated upward. Prices share one fixed-point scale.
///
/// # Errors
/// [`MathError::DivisionByZero`] when `oracle_price == 0`.
pub fn price_deviation_bps(price: U256, oracle_price: U256) -> MathResult<Bps> {
    relative_bps(price, oracle_price)
}

/// Inventory deviation `(B − B0) / B0 × 10,000` in bps (§4: current inventory
/// against target inventory), truncated toward zero, saturated upward.
///
/// # Errors
/// [`MathError::DivisionByZero`] when `b0 == 0`.
pub fn inventory_deviation_bps(b: U256, b0: U256) -> MathResult<Bps> {
    relative_bps(b, b0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed::ONE;

    fn u(v: u64) -> U256 {
        U256::from(v)
    }

    #[test]
    fn hand_computed() {
        // 1.0025 vs 1.0 → +25 bps exactly.
        let p = ONE + U256::from(25u64) * ONE / U256::from(10_000u64);
        assert_eq!(price_deviation_bps(p, ONE), Ok(25));
        assert_eq!(price_deviation_bps(ONE, ONE), Ok(0));
        // 999 / 1000 → −10 bps.
        assert_eq!(price_deviation_bps(u(999), u(1000)), Ok(-10));
        // 1 / 3 → (1−3)/3 = −6666.67 bps → −6666 (toward zero, not −6667).
        assert_eq!(price_deviation_bps(u(1), u(3)), Ok(-6666));
        // 4 / 3 → +3333.33 → +3333.
        assert_eq!(price_deviation_bps(u(4), u(3)), Ok(3333));
        // 1.00009999 → 0.9999 bps → 0: rounding never creates a deviation.
        assert_eq!(price_deviation_bps(u(100_009_999), u(100_000_000)), Ok(0));
        assert_eq!(price_deviation_bps(u(99_990_001), u(100_000_000)), Ok(0));
        assert_eq!(inventory_deviation_bps(u(0), u(7)), Ok(-10_000));
        assert_eq!(inventory_deviation_bps(u(1_020), u(1_000)), Ok(200));
    }

    #[test]
    fn saturates_and_refuses() {
        assert_eq!(price_deviation_bps(U256::MAX, u(1)), Ok(MAX_DEVIATION_BPS));
        assert_eq!(price_deviation_bps(u(1), U256::ZERO), Err(MathError::DivisionByZero));
        assert_eq!(inventory_deviation_bps(u(1), U256::ZERO), Err(MathError::DivisionByZero));
    }
}
