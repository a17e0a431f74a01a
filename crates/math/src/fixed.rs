//! Checked 1e18 fixed-point helpers on [`U256`].
//!
//! Every helper names its rounding direction. Callers pick the one that goes
//! against the party asking for value.

use crate::{MathError, MathResult, U256};

/// `1.0` in 18-decimal fixed point.
pub const ONE: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

/// One basis point denominator: 10,000 bps = 100%.
pub const BPS: U256 = U256::from_limbs([10_000, 0, 0, 0]);

/// `a + b`, refusing overflow.
///
/// # Errors
/// [`MathError::Overflow`] when the sum does not fit.
#[inline(never)]
pub fn add(a: U256, b: U256) -> MathResult<U256> {
    a.checked_add(b).ok_or(MathError::Overflow)
}

/// `a - b`, refusing underflow.
///
/// # Errors
/// [`MathError::Underflow`] when `b > a`.
#[inline(never)]
pub fn sub(a: U256, b: U256) -> MathResult<U256> {
    a.checked_sub(b).ok_or(MathError::Underflow)
}

/// `a < b`: one shared comparison (inlined, every 256-bit comparison is its
/// own limb loop in wasm).
#[inline(never)]
pub fn below(a: &U256, b: &U256) -> bool {
    a < b
}

/// `a == 0`, one shared copy.
#[inline(never)]
pub(crate) fn zero(a: &U256) -> bool {
    a.is_zero()
}

/// `a − b` wrapping, as the `-` operator (callers know `b ≤ a`): one shared
/// copy of the limb subtraction.
#[inline(never)]
pub(crate) fn diff(a: &U256, b: &U256) -> U256 {
    a.wrapping_sub(*b)
}

/// `a * b`, refusing overflow.
///
/// # Errors
/// [`MathError::Overflow`] when the product does not fit.
#[inline(never)]
pub fn mul(a: U256, b: U256) -> MathResult<U256> {
    crate::multiply::checked_mul(a, b).ok_or(MathError::Overflow)
}

/// `floor(a * b / d)`. The product must fit in 256 bits, as in DODO's
/// `SafeMath` (token amounts times 1e18 factors stay far below 2^256).
///
/// # Errors
/// [`MathError::DivisionByZero`] when `d == 0`; [`MathError::Overflow`] when
/// `a * b` does not fit.
pub fn mul_div_floor(a: U256, b: U256, d: U256) -> MathResult<U256> {
    if d.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    floor_div(mul(a, b)?, d)
}

/// `ceil(a * b / d)`, under the same overflow rule as [`mul_div_floor`].
///
/// # Errors
/// As [`mul_div_floor`].
pub fn mul_div_ceil(a: U256, b: U256, d: U256) -> MathResult<U256> {
    ceil_div(mul(a, b)?, d)
}

/// `floor(a * b / 1e18)`: fixed-point product rounded down.
///
/// # Errors
/// [`MathError::Overflow`] when the result does not fit.
pub fn mul_floor(a: U256, b: U256) -> MathResult<U256> {
    mul_div_floor(a, b, ONE)
}

/// `ceil(a * b / 1e18)`: fixed-point product rounded up.
///
/// # Errors
/// [`MathError::Overflow`] when the result does not fit.
pub fn mul_ceil(a: U256, b: U256) -> MathResult<U256> {
    mul_div_ceil(a, b, ONE)
}

/// `floor(a * 1e18 / b)`: fixed-point quotient rounded down.
///
/// # Errors
/// [`MathError::DivisionByZero`] when `b == 0`; [`MathError::Overflow`] when
/// the result does not fit.
pub fn div_floor(a: U256, b: U256) -> MathResult<U256> {
    mul_div_floor(a, ONE, b)
}

/// `ceil(a * 1e18 / b)`: fixed-point quotient rounded up.
///
/// # Errors
/// As [`div_floor`].
pub fn div_ceil(a: U256, b: U256) -> MathResult<U256> {
    mul_div_ceil(a, ONE, b)
}

/// `ceil(a / b)` on plain integers.
///
/// # Errors
/// [`MathError::DivisionByZero`] when `b == 0`.
pub fn ceil_div(a: U256, b: U256) -> MathResult<U256> {
    // The floor, plus one when the remainder is not zero. The ceiling of a
    // division by b >= 1 is at most `a`, so it cannot overflow.
    crate::divide::quotient(a, b, true).ok_or(MathError::DivisionByZero)
}

/// `floor(a / b)` on plain integers (crate-private: the public helpers above
/// name their rounding through the fixed-point scale).
///
/// # Errors
/// [`MathError::DivisionByZero`] when `b == 0`.
pub(crate) fn floor_div(a: U256, b: U256) -> MathResult<U256> {
    crate::divide::quotient(a, b, false).ok_or(MathError::DivisionByZero)
}

/// `floor(sqrt(a))` on plain integers, by Newton's method on integers only.
pub fn sqrt_floor(a: U256) -> U256 {
    if a < U256::from(2u8) {
        return a;
    }
    // 2^ceil(bits/2) is at least sqrt(a), so the iteration falls monotonically.
    let mut root = U256::from(1u8) << a.bit_len().div_ceil(2);
    // root >= 1 throughout, so the division cannot fail.
    while let Some(quotient) = crate::divide::quotient(a, root, false) {
        let next = (root + quotient) >> 1;
        if next >= root {
            break;
        }
        root = next;
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(v: u64) -> U256 {
        U256::from(v)
    }

    #[test]
    fn rounding_directions_differ_only_on_remainders() {
        assert_eq!(mul_div_floor(u(7), u(3), u(2)), Ok(u(10)));
        assert_eq!(mul_div_ceil(u(7), u(3), u(2)), Ok(u(11)));
        assert_eq!(mul_div_ceil(u(8), u(3), u(2)), Ok(u(12)));
        assert_eq!(ceil_div(u(7), u(2)), Ok(u(4)));
        assert_eq!(ceil_div(u(8), u(2)), Ok(u(4)));
    }

    #[test]
    fn refuses_bad_input() {
        assert_eq!(mul_div_floor(u(1), u(1), U256::ZERO), Err(MathError::DivisionByZero));
        assert_eq!(ceil_div(u(1), U256::ZERO), Err(MathError::DivisionByZero));
        assert_eq!(sub(u(1), u(2)), Err(MathError::Underflow));
        assert_eq!(add(U256::MAX, u(1)), Err(MathError::Overflow));
        assert_eq!(mul(U256::MAX, u(2)), Err(MathError::Overflow));
        assert_eq!(mul_floor(U256::MAX, U256::MAX), Err(MathError::Overflow));
    }

    #[test]
    fn fixed_point_identities() {
        assert_eq!(mul_floor(ONE, u(5)), Ok(u(5)));
        assert_eq!(div_floor(u(5), ONE), Ok(u(5)));
        assert_eq!(sqrt_floor(u(99)), u(9));
        assert_eq!(sqrt_floor(u(100)), u(10));
    }
}
