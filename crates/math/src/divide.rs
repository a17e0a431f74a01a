//! Compact exact long division for [`U256`](crate::U256) and the 512-bit
//! working type.
//!
//! ruint's own division (Knuth's algorithm D, `div_rem_by_ref`) costs about
//! 4.3 KB of wasm for each width it is instantiated at, and the contracts link
//! both widths. This module replaces it with plain binary long division
//! (shift and subtract): one `#[inline(never)]` core on little-endian limb
//! slices, shared by every width, plus a thin generic wrapper that only copies
//! limbs in and out.
//!
//! The result is exact: the quotient is `floor(a / d)` and the remainder is
//! `a - d * floor(a / d)`, exactly what ruint's `div_rem` returns. Division by
//! zero returns `None`; nothing here panics.
//!
//! Cost: the loop runs `bitlen(a) - bitlen(d) + 1` times (zero times when
//! `a < d`), each a compare, at most one subtraction and a one-bit shift over
//! the limbs. That is a few gas at Stylus ink prices.
//!
//! The file uses nothing from the rest of the crate, so the property tests
//! include it as it is and compare it against ruint's division.

use alloy_primitives::ruint::Uint;

/// `floor(a / d)`, or `ceil(a / d)` when `up`; `None` when `d` is zero.
///
/// The ceiling cannot overflow: for `d >= 1` it is at most `a`.
pub(crate) fn quotient<const BITS: usize, const LIMBS: usize>(
    a: Uint<BITS, LIMBS>,
    d: Uint<BITS, LIMBS>,
    up: bool,
) -> Option<Uint<BITS, LIMBS>> {
    let mut rem = a.into_limbs();
    let mut den = d.into_limbs();
    let mut quo = [0u64; LIMBS];
    divide_limbs(&mut rem, &mut den, &mut quo, up).then(|| Uint::from_limbs(quo))
}

/// `Some((floor(a / d), a mod d))`, or `None` when `d` is zero: the same
/// core with the remainder kept, for the tests that compare it with ruint.
#[cfg(test)]
pub(crate) fn div_rem<const BITS: usize, const LIMBS: usize>(
    a: Uint<BITS, LIMBS>,
    d: Uint<BITS, LIMBS>,
) -> Option<(Uint<BITS, LIMBS>, Uint<BITS, LIMBS>)> {
    let mut rem = a.into_limbs();
    let mut den = d.into_limbs();
    let mut quo = [0u64; LIMBS];
    divide_limbs(&mut rem, &mut den, &mut quo, false).then(|| (Uint::from_limbs(quo), Uint::from_limbs(rem)))
}

/// Long division on little-endian limbs of one common length.
///
/// On entry `rem` holds the dividend, `den` the divisor and `quo` zeros. On
/// return `rem` holds the remainder and `quo` the quotient, rounded up when
/// `up` and the remainder is not zero; `den` is clobbered. Returns `false`,
/// leaving `rem` and `quo` untouched, when the divisor is zero.
#[inline(never)]
fn divide_limbs(rem: &mut [u64], den: &mut [u64], quo: &mut [u64], up: bool) -> bool {
    let den_bits = bit_len(den);
    if den_bits == 0 {
        return false;
    }
    let rem_bits = bit_len(rem);
    // When a < d the loop is skipped: quotient 0, remainder a.
    if rem_bits >= den_bits {
        // Align the divisor's top bit with the dividend's (it stays within
        // the width: bitlen(d) + shift = bitlen(a)), then walk it back down
        // one bit at a time. Before the step for bit i, rem < den * 2 (true
        // after the alignment and kept by each step), so bit i of the
        // quotient is 1 exactly when rem >= den.
        let shift = rem_bits - den_bits;
        for _ in 0..shift {
            shl1(den);
        }
        let mut bit = shift + 1;
        while bit > 0 {
            bit -= 1;
            if ge(rem, den) {
                sub_assign(rem, den);
                if let Some(limb) = quo.get_mut(bit / 64) {
                    *limb |= 1 << (bit % 64);
                }
            }
            shr1(den);
        }
    }
    if up && bit_len(rem) != 0 {
        // Never carries out of the top limb: the floor is at most a / 2 here
        // (d >= 2 whenever there is a remainder).
        for limb in quo.iter_mut() {
            let (next, carry) = limb.overflowing_add(1);
            *limb = next;
            if !carry {
                break;
            }
        }
    }
    true
}

/// Number of significant bits (0 for zero).
fn bit_len(x: &[u64]) -> usize {
    x.iter()
        .enumerate()
        .rev()
        .find(|(_, limb)| **limb != 0)
        .map_or(0, |(i, limb)| (i + 1) * 64 - limb.leading_zeros() as usize)
}

/// `a >= b` (equal lengths).
fn ge(a: &[u64], b: &[u64]) -> bool {
    for (x, y) in a.iter().zip(b).rev() {
        if x != y {
            return x > y;
        }
    }
    true
}

/// `a -= b`; the caller has checked `a >= b`.
fn sub_assign(a: &mut [u64], b: &[u64]) {
    let mut borrow = false;
    for (x, y) in a.iter_mut().zip(b) {
        let (t, b1) = x.overflowing_sub(*y);
        let (t, b2) = t.overflowing_sub(u64::from(borrow));
        *x = t;
        borrow = b1 | b2;
    }
}

/// `x <<= 1`; the caller has checked that the top bit is clear.
fn shl1(x: &mut [u64]) {
    let mut carry = 0;
    for limb in x.iter_mut() {
        let next = *limb >> 63;
        *limb = (*limb << 1) | carry;
        carry = next;
    }
}

/// `x >>= 1`.
fn shr1(x: &mut [u64]) {
    let mut carry = 0;
    for limb in x.iter_mut().rev() {
        let next = *limb << 63;
        *limb = (*limb >> 1) | carry;
        carry = next;
    }
}

#[cfg(test)]
mod tests {
    use super::{div_rem, quotient};
    use alloy_primitives::{U256, U512};

    #[test]
    fn small_cases() {
        let u = |v: u64| U256::from(v);
        assert_eq!(div_rem(u(7), u(2)), Some((u(3), u(1))));
        assert_eq!(div_rem(u(7), u(7)), Some((u(1), u(0))));
        assert_eq!(div_rem(u(6), u(7)), Some((u(0), u(6))));
        assert_eq!(div_rem(u(0), u(7)), Some((u(0), u(0))));
        assert_eq!(div_rem(u(7), u(0)), None);
        assert_eq!(div_rem(U256::MAX, u(1)), Some((U256::MAX, u(0))));
        assert_eq!(div_rem(U256::MAX, U256::MAX), Some((u(1), u(0))));
        assert_eq!(div_rem(U512::MAX, U512::from(2u8)), Some((U512::MAX >> 1, U512::from(1u8))));
        assert_eq!(div_rem(U512::MAX, U512::ZERO), None);
        assert_eq!(quotient(u(7), u(2), true), Some(u(4)));
        assert_eq!(quotient(u(8), u(2), true), Some(u(4)));
        assert_eq!(quotient(u(1), u(7), true), Some(u(1)));
        assert_eq!(quotient(u(0), u(7), true), Some(u(0)));
        assert_eq!(quotient(u(7), u(0), true), None);
        assert_eq!(quotient(U256::MAX, u(1), true), Some(U256::MAX));
        assert_eq!(quotient(U256::MAX, u(2), true), Some(U256::MAX / u(2) + u(1)));
    }
}
