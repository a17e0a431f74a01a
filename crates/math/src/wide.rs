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
use core::cell::Cell;

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

/// The first error of a 512-bit formula. The operations take it and never
/// fail themselves: after an error they go on with a stand-in value (zero),
/// and the formula returns the first error ([`Fault::check`]) before it uses
/// a result. So a formula reports exactly the error its first failing step
/// would have returned, without a `Result` to unpack after every step.
#[derive(Default)]
pub(crate) struct Fault(Cell<Option<MathError>>);

impl Fault {
    /// Records `error` unless an earlier one is recorded; the stand-in value.
    #[inline(never)]
    fn fail(&self, error: MathError) -> W {
        if self.0.get().is_none() {
            self.0.set(Some(error));
        }
        W::ZERO
    }

    /// The first error recorded, if any.
    pub(crate) fn check(&self) -> MathResult<()> {
        match self.0.get() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// Narrows back to [`U256`], refusing values that do not fit.
#[inline(never)]
pub(crate) fn narrow(f: &Fault, x: &W) -> U256 {
    let value = U256::checked_from_limbs_slice(x.as_limbs());
    if value.is_none() {
        f.fail(MathError::Overflow);
    }
    value.unwrap_or_default()
}

/// `a − b` wrapping, as the `-` operator (callers know `b ≤ a`).
#[inline(never)]
pub(crate) fn sub(a: &W, b: &W) -> W {
    a.wrapping_sub(*b)
}

#[inline(never)]
pub(crate) fn add(f: &Fault, a: &W, b: &W) -> W {
    match a.checked_add(*b) {
        Some(v) => v,
        None => f.fail(MathError::Overflow),
    }
}

#[inline(never)]
pub(crate) fn mul(f: &Fault, a: &W, b: &W) -> W {
    match crate::multiply::checked_mul(*a, *b) {
        Some(v) => v,
        None => f.fail(MathError::Overflow),
    }
}

/// `floor(a / d)`, or `ceil(a / d)` when `up`: the floor, plus one when the
/// remainder is not zero (never overflows: the ceiling is at most `a`).
#[inline(never)]
pub(crate) fn div(f: &Fault, a: &W, d: &W, up: bool) -> W {
    match crate::divide::quotient(*a, *d, up) {
        Some(v) => v,
        None => f.fail(MathError::DivisionByZero),
    }
}

/// `a + b` in 256 bits ([`MathError::Overflow`] beyond).
#[inline(never)]
pub(crate) fn add_u(f: &Fault, a: &U256, b: &U256) -> U256 {
    let sum = a.checked_add(*b);
    if sum.is_none() {
        f.fail(MathError::Overflow);
    }
    sum.unwrap_or_default()
}

/// `a − b` in 256 bits ([`MathError::Underflow`] below zero).
#[inline(never)]
pub(crate) fn sub_u(f: &Fault, a: &U256, b: &U256) -> U256 {
    let difference = a.checked_sub(*b);
    if difference.is_none() {
        f.fail(MathError::Underflow);
    }
    difference.unwrap_or_default()
}

/// `floor(a · b / d)`, or the ceiling when `up`, for a constant `d > 0`; the
/// product must fit in 256 bits ([`MathError::Overflow`]), as
/// [`crate::fixed::mul_div_floor`].
#[inline(never)]
pub(crate) fn mul_div_u(f: &Fault, a: &U256, b: &U256, d: &U256, up: bool) -> U256 {
    let product = crate::multiply::checked_mul(*a, *b);
    if product.is_none() {
        f.fail(MathError::Overflow);
    }
    crate::divide::quotient(product.unwrap_or_default(), *d, up).unwrap_or_default()
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
pub(crate) fn sqrt_ceil(f: &Fault, a: W) -> W {
    let r = sqrt_floor(a);
    if mul(f, &r, &r) == a {
        r
    } else {
        add(f, &r, &wn(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_and_divisions() {
        let f = Fault::default();
        assert_eq!(sqrt_floor(wn(99)), wn(9));
        assert_eq!(sqrt_ceil(&f, wn(99)), wn(10));
        assert_eq!(sqrt_ceil(&f, wn(100)), wn(10));
        assert_eq!(sqrt_floor(wn(0)), wn(0));
        assert_eq!(div(&f, &wn(7), &wn(2), true), wn(4));
        assert_eq!(div(&f, &wn(7), &wn(2), false), wn(3));
        let big = W::MAX;
        let r = sqrt_floor(big);
        assert!(r.checked_mul(r).is_some_and(|s| s <= big));
        assert!((r + wn(1)).checked_mul(r + wn(1)).is_none());
        assert_eq!(narrow(&f, &w(U256::MAX)), U256::MAX);
        assert_eq!(f.check(), Ok(()));
        assert_eq!(div(&f, &wn(7), &wn(0), false), W::ZERO);
        assert_eq!(f.check(), Err(MathError::DivisionByZero));
        // The first error stays.
        assert_eq!(narrow(&f, &(w(U256::MAX) + wn(1))), U256::ZERO);
        assert_eq!(add(&f, &W::MAX, &wn(1)), W::ZERO);
        assert_eq!(f.check(), Err(MathError::DivisionByZero));
        let g = Fault::default();
        assert_eq!(narrow(&g, &(w(U256::MAX) + wn(1))), U256::ZERO);
        assert_eq!(g.check(), Err(MathError::Overflow));
    }
}
