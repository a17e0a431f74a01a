//! Property tests for the Stabilizer's own arithmetic: the 256-bit
//! `min_out` the contract links agrees with the 512-bit
//! `sizing::min_out` wherever its products fit, `clamp_i64` agrees with
//! the saturating `TryFrom`, and `spot_holds` passes every undisturbed pool
//! and refuses every pool moved 2 bps or more toward the peg since
//! FlashContainment's observation of it.
//!
//! Each property runs `PROPTEST_CASES` cases (default 10,000).

use proptest::prelude::*;
use vault_math::observation::pool_deviation_bps;
use vault_math::sizing::{self, Direction};
use vault_math::stabilizer as stab;
use vault_math::{MathError, I256, U256};

mod common;
use common::cases;

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

/// A mid price `bps` (±5,000) off `peg`, plus `noise` raw units.
fn mid_near(peg: U256, bps: i64, noise: u64) -> U256 {
    peg * U256::from((10_000 + bps).unsigned_abs()) / U256::from(10_000u16) + U256::from(noise)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// The pool as the keeper observed it (no trade since) always holds its
    /// own observation, for any decimals and any peg above 10,000 raw.
    #[test]
    fn an_undisturbed_pool_holds_its_observation(
        oracle in 1u128..=1_000_000_000_000_000_000_000_000,
        base_decimals in 0u8..=24,
        quote_decimals in 0u8..=24,
        bps in -5_000i64..=5_000,
        noise in any::<u64>(),
    ) {
        let oracle = U256::from(oracle);
        let peg = stab::raw_peg(oracle, base_decimals, quote_decimals, false).unwrap();
        if peg <= U256::from(10_000u32) {
            return Ok(());
        }
        let mid = mid_near(peg, bps, noise);
        let Ok(observed) = pool_deviation_bps(mid, oracle, base_decimals, quote_decimals) else {
            return Ok(());
        };
        if observed != 0 {
            prop_assert!(stab::spot_holds(mid, peg, observed), "mid {mid} peg {peg} observed {observed}");
        }
    }

    /// After the observation, a pool moved toward the peg by 2 bps or more
    /// (by its own deviation) is refused; one moved away still holds.
    #[test]
    fn a_move_toward_the_peg_is_refused(
        oracle in 1_000_000u128..=1_000_000_000_000_000_000_000_000,
        decimals in 0u8..=18,
        bps in -5_000i64..=5_000,
        noise in any::<u64>(),
        moved in -5_000i64..=5_000,
        later_noise in any::<u64>(),
    ) {
        let oracle = U256::from(oracle);
        let peg = stab::raw_peg(oracle, decimals, decimals, false).unwrap();
        let observed_mid = mid_near(peg, bps, noise);
        let observed = pool_deviation_bps(observed_mid, oracle, decimals, decimals).unwrap();
        prop_assume!(observed != 0);
        let mid = mid_near(peg, bps + moved, later_noise);
        let now = pool_deviation_bps(mid, oracle, decimals, decimals).unwrap();
        let toward = if observed > 0 { observed - now } else { now - observed };
        if toward >= 2 {
            prop_assert!(!stab::spot_holds(mid, peg, observed), "{observed} → {now}");
        }
        if toward <= 0 {
            prop_assert!(stab::spot_holds(mid, peg, observed), "{observed} → {now}");
        }
    }
}

#[test]
fn spot_holds_edges() {
    let peg = U256::from(1_000_000_000_000_000_000u128);
    let bps = |b: u64| peg * U256::from(b) / U256::from(10_000u16);
    // Observed +40: anything above +39 bps holds, +39 exactly does not.
    assert!(stab::spot_holds(bps(10_039) + U256::from(1u8), peg, 40));
    assert!(!stab::spot_holds(bps(10_039), peg, 40));
    // Observed −40: anything below −39 bps holds.
    assert!(stab::spot_holds(bps(9_961) - U256::from(1u8), peg, -40));
    assert!(!stab::spot_holds(bps(9_961), peg, -40));
    // ±1 bps: the spot must be strictly on the observation's side.
    assert!(!stab::spot_holds(peg, peg, 1));
    assert!(!stab::spot_holds(peg, peg, -1));
    assert!(stab::spot_holds(peg + U256::from(1u8), peg, 1));
    // No observation, or an overflowing product: refused.
    assert!(!stab::spot_holds(peg, peg, 0));
    assert!(!stab::spot_holds(U256::MAX, U256::MAX, 40));
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
