//! Property tests for the crate's compact long division (`src/divide.rs`),
//! which replaces ruint's generic division everywhere in `vault-math`.
//!
//! The division module is crate-private and uses nothing else from the
//! crate, so it is included here as it is and compared against ruint's own
//! `div_rem` for [`U256`] and [`U512`] on random and edge-case operands.
//! The compact checked multiplication (`src/multiply.rs`) that replaced
//! ruint's `overflowing_mul` is compared with ruint's `checked_mul` the same
//! way. The public `fixed` helpers built on them are checked against their floor
//! and ceiling definitions, computed exactly in 512 bits.
//!
//! Each property runs `PROPTEST_CASES` cases (default 10,000).

#[path = "../src/divide.rs"]
mod divide;
#[path = "../src/multiply.rs"]
mod multiply;

use alloy_primitives::{Uint, U512};
use proptest::prelude::*;
use vault_math::fixed::{self, ONE};
use vault_math::{mesh, MathError, U256};

mod common;
use common::cases;

/// Operands of one width: random values of every bit length (single limb up
/// to full width), powers of two and their neighbours, and the fixed edges
/// 0, 1 and MAX.
fn operand<const BITS: usize, const LIMBS: usize>() -> impl Strategy<Value = Uint<BITS, LIMBS>> {
    let one = Uint::<BITS, LIMBS>::from(1u8);
    prop_oneof![
        // Random limbs cut down to a random bit length.
        6 => (prop::collection::vec(any::<u64>(), LIMBS), 0..=BITS)
            .prop_map(|(limbs, bits)| Uint::from_limbs_slice(&limbs) >> (BITS - bits)),
        // Full-width random limbs.
        2 => prop::collection::vec(any::<u64>(), LIMBS).prop_map(|limbs| Uint::from_limbs_slice(&limbs)),
        // Single-limb values.
        2 => any::<u64>().prop_map(Uint::from),
        // 2^k - 1, 2^k, 2^k + 1.
        3 => (0..BITS, 0u8..3).prop_map(move |(k, offset)| {
            (one << k).wrapping_add(Uint::from(offset)).wrapping_sub(one)
        }),
        1 => Just(Uint::ZERO),
        1 => Just(one),
        1 => Just(Uint::MAX),
    ]
}

/// Dividend and divisor pairs, biased to the cases long division can get
/// wrong: `d = 1`, `d = a`, `d > a`, `d = MAX`, `a = MAX`, `d = 0`.
fn pair<const BITS: usize, const LIMBS: usize>(
) -> impl Strategy<Value = (Uint<BITS, LIMBS>, Uint<BITS, LIMBS>)> {
    (operand::<BITS, LIMBS>(), operand::<BITS, LIMBS>(), 0u8..10).prop_map(|(a, d, mode)| match mode {
        0 => (a, Uint::from(1u8)),
        1 => (a, a),
        2 => (a.min(d), a.max(d).saturating_add(Uint::from(1u8))),
        3 => (a, Uint::MAX),
        4 => (Uint::MAX, d),
        5 => (a, Uint::ZERO),
        6 => (a.max(d), a.min(d)),
        _ => (a, d),
    })
}

/// The compact division (quotient and remainder, floor and ceiling) against
/// ruint's, plus the defining identity.
fn check<const BITS: usize, const LIMBS: usize>(
    a: Uint<BITS, LIMBS>,
    d: Uint<BITS, LIMBS>,
) -> Result<(), TestCaseError> {
    let ours = divide::div_rem(a, d);
    let (floor, ceil) = (divide::quotient(a, d, false), divide::quotient(a, d, true));
    if d.is_zero() {
        prop_assert_eq!(ours, None);
        prop_assert_eq!(floor, None);
        prop_assert_eq!(ceil, None);
        return Ok(());
    }
    let (q, r) = ours.ok_or_else(|| TestCaseError::fail("refused a nonzero divisor"))?;
    prop_assert_eq!((q, r), a.div_rem(d));
    prop_assert!(r < d);
    prop_assert_eq!(q.checked_mul(d).and_then(|p| p.checked_add(r)), Some(a));
    prop_assert_eq!(floor, Some(q));
    prop_assert_eq!(ceil, Some(a.div_ceil(d)));
    Ok(())
}

fn wide(x: U256) -> U512 {
    U512::from(x)
}

/// Checks `got` against `floor(a * b / d)` (or the ceiling when `up`), with
/// the product computed exactly in 512 bits, and the overflow and zero rules.
/// When both rules are broken, the floor reports the zero divisor and the
/// ceiling the overflow (the order the helpers have always checked them in).
fn check_rounding(
    got: Result<U256, MathError>,
    a: U256,
    b: U256,
    d: U256,
    up: bool,
) -> Result<(), TestCaseError> {
    let product = wide(a) * wide(b);
    // The product must fit in 256 bits (DODO's SafeMath rule).
    let overflow = product > wide(U256::MAX);
    if d.is_zero() && !(up && overflow) {
        prop_assert_eq!(got, Err(MathError::DivisionByZero));
        return Ok(());
    }
    if overflow {
        prop_assert_eq!(got, Err(MathError::Overflow));
        return Ok(());
    }
    // With d >= 1 and the product in range, the quotient (floor or ceiling)
    // is at most the product, so nothing else may be refused.
    let quotient = got.map_err(|error| TestCaseError::fail(format!("refused with {error:?}")))?;
    let (q, d) = (wide(quotient), wide(d));
    if up {
        // ceil: q * d >= product > (q - 1) * d.
        prop_assert!(q * d >= product);
        prop_assert!(q.is_zero() || (q - U512::from(1u8)) * d < product);
    } else {
        // floor: q * d <= product < (q + 1) * d.
        prop_assert!(q * d <= product);
        prop_assert!((q + U512::from(1u8)) * d > product);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn u256_division_matches_ruint((a, d) in pair::<256, 4>()) {
        check(a, d)?;
    }

    #[test]
    fn u512_division_matches_ruint((a, d) in pair::<512, 8>()) {
        check(a, d)?;
    }

    #[test]
    fn u512_division_of_widened_u256_products(a in operand::<256, 4>(), b in operand::<256, 4>(), d in operand::<256, 4>()) {
        // The shape the PMM formulas divide: a 512-bit product by a 256-bit value.
        check(wide(a) * wide(b), wide(d))?;
    }

    #[test]
    fn u256_multiplication_matches_ruint((a, b) in pair::<256, 4>()) {
        prop_assert_eq!(multiply::checked_mul(a, b), a.checked_mul(b));
        prop_assert_eq!(multiply::checked_mul(b, a), a.checked_mul(b));
    }

    #[test]
    fn u512_multiplication_matches_ruint((a, b) in pair::<512, 8>(), narrow in any::<bool>()) {
        // Half the cases with both factors below 2^256, where most products fit.
        let (a, b) = if narrow { (a >> 256, b >> 256) } else { (a, b) };
        prop_assert_eq!(multiply::checked_mul(a, b), a.checked_mul(b));
        prop_assert_eq!(multiply::checked_mul(b, a), a.checked_mul(b));
    }

    #[test]
    fn mul_div_rounds_as_named((a, d) in pair::<256, 4>(), b in operand::<256, 4>()) {
        check_rounding(fixed::mul_div_floor(a, b, d), a, b, d, false)?;
        check_rounding(fixed::mul_div_ceil(a, b, d), a, b, d, true)?;
    }

    #[test]
    fn fixed_point_helpers_round_as_named((a, b) in pair::<256, 4>()) {
        check_rounding(fixed::mul_floor(a, b), a, b, ONE, false)?;
        check_rounding(fixed::mul_ceil(a, b), a, b, ONE, true)?;
        check_rounding(fixed::div_floor(a, b), a, ONE, b, false)?;
        check_rounding(fixed::div_ceil(a, b), a, ONE, b, true)?;
        check_rounding(fixed::ceil_div(a, b), a, U256::from(1u8), b, true)?;
    }

    #[test]
    fn sqrt_floor_is_the_floor(a in operand::<256, 4>()) {
        let r = wide(fixed::sqrt_floor(a));
        prop_assert!(r * r <= wide(a));
        let next = r + U512::from(1u8);
        prop_assert!(next * next > wide(a));
    }

    #[test]
    fn guide_price_divides_down_or_up(price in operand::<256, 4>(), xau in 0u8..mesh::MAX_DECIMALS, gap in 1u8..=mesh::MAX_DECIMALS) {
        // Token decimals above the XAU decimals: the branch that divides.
        let token = (xau + gap).min(mesh::MAX_DECIMALS);
        let scale = U256::from(10u8).pow(U256::from(token - xau));
        prop_assert_eq!(mesh::guide_price(price, token, xau, false), Ok(price / scale));
        prop_assert_eq!(mesh::guide_price(price, token, xau, true), Ok(price.div_ceil(scale)));
    }
}

#[test]
fn fixed_helpers_at_the_edges() {
    let u = |v: u64| U256::from(v);
    assert_eq!(fixed::ceil_div(U256::MAX, u(1)), Ok(U256::MAX));
    assert_eq!(fixed::ceil_div(U256::MAX, U256::MAX), Ok(u(1)));
    assert_eq!(fixed::ceil_div(U256::MAX - u(1), U256::MAX), Ok(u(1)));
    assert_eq!(fixed::ceil_div(u(0), U256::MAX), Ok(u(0)));
    assert_eq!(fixed::mul_div_floor(U256::MAX, u(1), U256::MAX), Ok(u(1)));
    assert_eq!(fixed::mul_div_floor(U256::MAX - u(1), u(1), U256::MAX), Ok(u(0)));
    assert_eq!(fixed::mul_div_ceil(u(1), u(1), U256::MAX), Ok(u(1)));
    assert_eq!(fixed::div_floor(u(1), ONE + u(1)), Ok(u(0)));
    assert_eq!(fixed::div_ceil(u(1), ONE + u(1)), Ok(u(1)));
    assert_eq!(fixed::sqrt_floor(U256::MAX), U256::from(u128::MAX));
    assert_eq!(fixed::sqrt_floor(u(3)), u(1));
    assert_eq!(fixed::sqrt_floor(u(4)), u(2));
}
