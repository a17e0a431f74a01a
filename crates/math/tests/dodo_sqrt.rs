//! `vault_math::pmm::dodo::sqrt` (Newton's iteration from above, with 2 for
//! 2) against DODO's own `SafeMath.sqrt`, written here as DODO writes it:
//!
//! ```solidity
//! function sqrt(uint256 x) internal pure returns (uint256 y) {
//!     uint256 z = x / 2 + 1;
//!     y = x;
//!     while (z < y) {
//!         y = z;
//!         z = (x / z + z) / 2;
//!     }
//! }
//! ```
//!
//! Every `x` below 2^17, then `PROPTEST_CASES` cases (default 10,000) over
//! every magnitude up to `U256::MAX`: random values of each bit length,
//! perfect squares and their neighbours, powers of two and theirs.

use proptest::prelude::*;
use vault_math::pmm::dodo;
use vault_math::U256;

mod common;
use common::{cases, qdiv};

/// DODO's `SafeMath.sqrt`, step for step (Solidity 0.6: `x / 2 + 1` and
/// `x / z + z` unchecked, so wrapping).
fn dodo_loop(x: U256) -> U256 {
    let two = U256::from(2u8);
    let mut z = qdiv(x, two).wrapping_add(U256::from(1u8));
    let mut y = x;
    while z < y {
        y = z;
        z = qdiv(qdiv(x, z).wrapping_add(z), two);
    }
    y
}

/// The same loop on `u64`, for the exhaustive range.
#[allow(clippy::manual_midpoint)] // DODO's expression, as written.
fn dodo_loop_u64(x: u64) -> u64 {
    let mut z = x / 2 + 1;
    let mut y = x;
    while z < y {
        y = z;
        z = (x / z + z) / 2;
    }
    y
}

#[test]
fn every_x_below_2_pow_17() {
    for x in 0..1u64 << 17 {
        assert_eq!(dodo::sqrt(U256::from(x)), U256::from(dodo_loop_u64(x)), "sqrt({x})");
    }
    // The reference on U256 agrees with the u64 one where both run.
    for x in (0..1u64 << 17).step_by(97).chain(0..10) {
        assert_eq!(dodo_loop(U256::from(x)), U256::from(dodo_loop_u64(x)), "loop({x})");
    }
}

#[test]
fn dodo_quirks_and_edges() {
    let expect = [0u64, 1, 2, 1, 2, 2, 2, 2, 2, 3, 3];
    for (x, want) in expect.iter().enumerate() {
        assert_eq!(dodo::sqrt(U256::from(x)), U256::from(*want), "sqrt({x})");
    }
    let root_max = U256::from(u128::MAX);
    for x in
        [U256::MAX, U256::MAX - U256::from(1u8), root_max * root_max, root_max * root_max - U256::from(1u8)]
    {
        assert_eq!(dodo::sqrt(x), dodo_loop(x), "sqrt({x})");
    }
    assert_eq!(dodo::sqrt(U256::MAX), root_max);
}

/// Inputs of every magnitude: uniform bit length 0..=256 then random bits;
/// `r² − 1`, `r²`, `r² + 1` for roots `r` of every size up to 2^128 − 1;
/// `2^e − 1`, `2^e`, `2^e + 1`; and the small range `0..10`.
fn input() -> impl Strategy<Value = U256> {
    let random = (0usize..=256, any::<[u64; 4]>()).prop_map(|(bits, limbs)| {
        let x = U256::from_limbs(limbs);
        if bits == 0 {
            U256::ZERO
        } else {
            (x >> (256 - bits)) | (U256::from(1u8) << (bits - 1))
        }
    });
    let square = (0usize..=128, any::<u128>(), -1i8..=1).prop_map(|(bits, r, d)| {
        let r = U256::from(if bits == 0 { 0 } else { (r >> (128 - bits)) | (1u128 << (bits - 1)) });
        let sq = r * r;
        match d {
            -1 => sq.saturating_sub(U256::from(1u8)),
            0 => sq,
            _ => sq.saturating_add(U256::from(1u8)),
        }
    });
    let power = (0usize..256, -1i8..=1).prop_map(|(e, d)| {
        let p = U256::from(1u8) << e;
        match d {
            -1 => p - U256::from(1u8),
            0 => p,
            _ => p + U256::from(1u8),
        }
    });
    prop_oneof![
        4 => random,
        4 => square,
        2 => power,
        1 => (0u64..10).prop_map(U256::from),
        1 => Just(U256::MAX),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn newton_from_above_is_dodos_loop(x in input()) {
        prop_assert_eq!(dodo::sqrt(x), dodo_loop(x), "sqrt({})", x);
    }
}
