//! Crate-private 512-bit helpers for the PMM formulas.
//!
//! The PMM curve multiplies three or four 1e18-scaled factors before the
//! single final division. Doing that in 512 bits keeps every intermediate
//! exact, so each formula rounds exactly once, in the direction it names.
//!
//! The small helpers are `#[inline(never)]`: inlined, their 512-bit copies
//! and checks were duplicated into every PMM formula, which costs more
//! compressed wasm than the calls (measured on PrivateMeshPool).

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_and_divisions() {
        assert_eq!(sqrt_floor(wn(99)), wn(9));
        assert_eq!(sqrt_ceil(wn(99)), Ok(wn(10)));
        assert_eq!(sqrt_ceil(wn(100)), Ok(wn(10)));
        assert_eq!(sqrt_floor(wn(0)), wn(0));
        assert_eq!(div_ceil(wn(7), wn(2)), Ok(wn(4)));
        assert_eq!(div_floor(wn(7), wn(0)), Err(MathError::DivisionByZero));
        let big = W::MAX;
        let r = sqrt_floor(big);
        assert!(r.checked_mul(r).is_some_and(|s| s <= big));
        assert!((r + wn(1)).checked_mul(r + wn(1)).is_none());
        assert_eq!(narrow(w(U256::MAX)), Ok(U256::MAX));
        assert_eq!(narrow(w(U256::MAX) + wn(1)), Err(MathError::Overflow));
    }
}
