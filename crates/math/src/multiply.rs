//! Compact checked multiplication for [`U256`](crate::U256) and the 512-bit
//! working type.
//!
//! ruint's `overflowing_mul` is instantiated once per width (close to 1 KB
//! of wasm each). This is schoolbook multiplication: one `#[inline(never)]`
//! core on little-endian limb slices, shared by every width, that keeps the
//! low limbs and reports whether anything was left above them.
//!
//! The file uses nothing from the rest of the crate, so the property tests
//! include it as it is and compare it against ruint's `checked_mul`.

use alloy_primitives::ruint::Uint;

/// `Some(a * b)`, or `None` when the product does not fit.
pub(crate) fn checked_mul<const BITS: usize, const LIMBS: usize>(
    a: Uint<BITS, LIMBS>,
    b: Uint<BITS, LIMBS>,
) -> Option<Uint<BITS, LIMBS>> {
    let mut out = [0u64; LIMBS];
    multiply_limbs(a.as_limbs(), b.as_limbs(), &mut out).then(|| Uint::from_limbs(out))
}

/// `out = a * b` on little-endian limbs (`out` zeroed on entry, as long as
/// `a`). Returns `false` when the product does not fit in `out`; `out` then
/// holds the low limbs.
#[inline(never)]
#[allow(clippy::cast_possible_truncation)] // Low and high halves of a u128.
fn multiply_limbs(a: &[u64], b: &[u64], out: &mut [u64]) -> bool {
    let mut fits = true;
    for (i, &x) in a.iter().enumerate() {
        let mut carry = 0u64;
        for (j, &y) in b.iter().enumerate() {
            // x * y + carry + limb < 2^128: no overflow in u128.
            let t = u128::from(x) * u128::from(y) + u128::from(carry);
            if let Some(limb) = out.get_mut(i + j) {
                let t = t + u128::from(*limb);
                *limb = t as u64;
                carry = (t >> 64) as u64;
            } else {
                // A nonzero partial product above the top limb.
                fits &= t == 0;
                carry = 0;
            }
        }
        // The last carry lands at limb i + len(b), above the top.
        fits &= carry == 0;
    }
    fits
}

#[cfg(test)]
mod tests {
    use super::checked_mul;
    use alloy_primitives::{U256, U512};

    #[test]
    fn small_cases() {
        let u = |v: u64| U256::from(v);
        assert_eq!(checked_mul(u(7), u(6)), Some(u(42)));
        assert_eq!(checked_mul(u(0), U256::MAX), Some(u(0)));
        assert_eq!(checked_mul(U256::MAX, u(1)), Some(U256::MAX));
        assert_eq!(checked_mul(U256::MAX, u(2)), None);
        assert_eq!(checked_mul(U256::from(1u8) << 128, U256::from(1u8) << 127), Some(U256::from(1u8) << 255));
        assert_eq!(checked_mul(U256::from(1u8) << 128, U256::from(1u8) << 128), None);
        assert_eq!(
            checked_mul(U512::from(u64::MAX), U512::from(u64::MAX)),
            Some(U512::from(u128::from(u64::MAX).pow(2)))
        );
    }
}
