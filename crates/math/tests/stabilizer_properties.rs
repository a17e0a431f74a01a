//! Property tests for the Stabilizer's own arithmetic: the 256-bit
//! `min_out` the contract links agrees with the 512-bit
//! `sizing::min_out` wherever its products fit, and `clamp_i64` agrees with
//! the saturating `TryFrom`.
//!
//! Each property runs `PROPTEST_CASES` cases (default 10,000).

use proptest::prelude::*;
use vault_math::sizing::{self, Direction};
use vault_math::stabilizer as stab;
use vault_math::{MathError, I256, U256};

/// Case count: `PROPTEST_CASES` or 10,000.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![Just(Direction::SellBase), Just(Direction::SellQuote)]
}

/// A 256-bit value of `bits` random low bits.
fn wide(bits: u32) -> impl Strategy<Value = U256> {
    prop::array::uniform4(any::<u64>())
        .prop_map(move |limbs| U256::from_limbs(limbs) >> (256 - bits as usize))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn min_out_matches_the_512_bit_formula(
        direction in direction(),
        amount_bits in 1u32..=256,
        peg_bits in 1u32..=256,
        amount_seed in wide(256),
        peg_seed in wide(256),
        slippage in 0u32..=10_001,
    ) {
        let amount = amount_seed >> (256 - amount_bits as usize);
        let peg = peg_seed >> (256 - peg_bits as usize);
        let narrow = stab::min_out(direction, amount, peg, slippage);
        let reference = sizing::min_out(direction, amount, peg, slippage);
        match narrow {
            Ok(value) => prop_assert_eq!(Ok(value), reference),
            // Refused only where the reference refuses too or a 256-bit
            // product overflows.
            Err(MathError::Overflow) => {}
            Err(e) => prop_assert_eq!(Err(e), reference),
        }
    }

    #[test]
    fn min_out_fits_realistic_trades(
        direction in direction(),
        amount in wide(128),
        peg in wide(96),
        slippage in 1u32..=1_000,
    ) {
        // Amounts below 2^128 raw units and pegs below 2^96 (7.9e28, far
        // above any 1e18-scaled price) never overflow.
        let peg = peg.max(U256::from(1u8));
        prop_assert_eq!(
            stab::min_out(direction, amount, peg, slippage),
            sizing::min_out(direction, amount, peg, slippage)
        );
    }

    #[test]
    fn clamp_i64_saturates(limbs in prop::array::uniform4(any::<u64>()), shift in 0usize..256) {
        let value = I256::from_raw(U256::from_limbs(limbs)).asr(shift);
        let expected = i64::try_from(value)
            .unwrap_or(if value.is_negative() { i64::MIN } else { i64::MAX });
        prop_assert_eq!(stab::clamp_i64(value), expected);
    }
}

#[test]
fn clamp_i64_edges() {
    let i = |v: i64| I256::try_from(v).unwrap();
    for v in [0, 1, -1, i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1] {
        assert_eq!(stab::clamp_i64(i(v)), v);
    }
    assert_eq!(stab::clamp_i64(i(i64::MAX) + i(1)), i64::MAX);
    assert_eq!(stab::clamp_i64(i(i64::MIN) - i(1)), i64::MIN);
    assert_eq!(stab::clamp_i64(I256::MAX), i64::MAX);
    assert_eq!(stab::clamp_i64(I256::MIN), i64::MIN);
}
