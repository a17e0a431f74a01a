//! Property tests for `vault_math::mesh`: the ramp and its band, the lag
//! guard, staleness, and one pool leg of the PrivateMeshPool.
//!
//! Each property runs `PROPTEST_CASES` cases (default 10,000).

use proptest::prelude::*;
use vault_math::fixed::ONE;
use vault_math::mesh::{self, Direction, LegError, Minimums, MAX_STORED};
use vault_math::pmm::{self, PmmState, RState};
use vault_math::{MathError, U256};

mod common;
use common::{cases, sci};

/// A price or reserve spread over many orders of magnitude, at most 2^128 − 1.
fn magnitude(lo: u32, hi: u32) -> impl Strategy<Value = U256> {
    (1u64..1_000, lo..=hi).prop_map(|(m, e)| sci(m, e).min(MAX_STORED))
}

fn distance(a: U256, b: U256) -> U256 {
    if a > b {
        a - b
    } else {
        b - a
    }
}

/// A pool at R = one with `i` = its price, seeded with `b` and `q`.
fn pool(i: U256, k: U256, b: U256, q: U256) -> PmmState {
    PmmState { i, k, b, q, b0: b, q0: q, r: RState::One }
}

fn k_strategy() -> impl Strategy<Value = U256> {
    prop_oneof![1 => Just(U256::ZERO), 1 => Just(ONE), 6 => (0u64..=1_000_000_000_000_000_000).prop_map(U256::from)]
}

fn fee_strategy() -> impl Strategy<Value = U256> {
    prop_oneof![1 => Just(U256::ZERO), 3 => (0u64..=100_000_000_000_000_000).prop_map(U256::from)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// The ramp moves toward the target, never past it, by at most
    /// `blocks · j` bps of the price, and reaches it once that allows.
    #[test]
    fn the_ramp_moves_toward_the_target_by_at_most_its_bound(
        price in magnitude(0, 36),
        target in magnitude(0, 36),
        blocks in prop_oneof![Just(0u64), 1u64..20, 20u64..100_000, Just(u64::MAX)],
        jump in 0u64..=10_000,
    ) {
        let next = mesh::ramp(price, target, blocks, jump).unwrap();
        prop_assert!(next >= price.min(target) && next <= price.max(target), "never overshoots");
        let bound = price * U256::from(blocks) * U256::from(jump) / U256::from(10_000u32);
        prop_assert!(distance(next, price) <= bound, "moves at most the bound");
        prop_assert!(distance(next, target) <= distance(price, target), "never moves away");
        if distance(price, target) <= bound {
            prop_assert_eq!(next, target, "reached when the bound allows");
        } else {
            prop_assert_eq!(distance(next, price), bound, "the whole bound when short of the target");
        }
        // More blocks never leave the price further from the target.
        let later = mesh::ramp(price, target, blocks.saturating_add(1), jump).unwrap();
        prop_assert!(distance(later, target) <= distance(next, target));
    }

    /// The lag guard refuses exactly the oracle prices outside the band,
    /// and the band is symmetric around the price.
    #[test]
    fn the_gap_is_the_band(price in magnitude(0, 36), oracle in magnitude(0, 36), gap in 0u64..=10_000) {
        let (low, high) = mesh::band(price, U256::from(gap)).unwrap();
        prop_assert!(low <= price && price <= high);
        prop_assert_eq!(high - price, price - low, "symmetric (gap ≤ 100%)");
        prop_assert_eq!(mesh::exceeds_gap(price, oracle, gap).unwrap(), oracle < low || oracle > high);
        prop_assert!(!mesh::exceeds_gap(price, price, gap).unwrap());
        // A wider band refuses less.
        if mesh::exceeds_gap(price, oracle, gap.saturating_add(1)).unwrap() {
            prop_assert!(mesh::exceeds_gap(price, oracle, gap).unwrap());
        }
    }

    /// A price is stale exactly when more than `max_age` seconds old.
    #[test]
    fn staleness_is_age_beyond_the_maximum(updated in 0u64..2_000_000_000, now in 0u64..2_000_000_000, age in 1u64..=604_800) {
        prop_assert_eq!(mesh::is_stale(U256::from(updated), now, age), now > updated + age);
    }

    /// A leg pays what the PMM pays, keeps both reserves at or above their
    /// minimums, and refuses only by a named reason.
    #[test]
    fn a_leg_is_the_pmm_sell_within_the_minimums(
        i in magnitude(10, 30),
        k in k_strategy(),
        b in magnitude(6, 30),
        q in magnitude(6, 30),
        amount in magnitude(0, 32),
        fee in fee_strategy(),
        min_ppm in (1u64..=1_000_000, 1u64..=1_000_000),
        sells_token in any::<bool>(),
    ) {
        let state = pool(i, k, b, q);
        let minimums = Minimums {
            token: (b * U256::from(min_ppm.0) / U256::from(1_000_000u32)).max(U256::from(1u8)),
            xau: (q * U256::from(min_ppm.1) / U256::from(1_000_000u32)).max(U256::from(1u8)),
        };
        let direction = if sells_token { Direction::SellToken } else { Direction::SellXau };
        let pmm_result = if sells_token {
            pmm::sell_base(&state, amount, fee, U256::ZERO)
        } else {
            pmm::sell_quote(&state, amount, fee, U256::ZERO)
        };
        match mesh::sell(&state, direction, amount, fee, minimums) {
            Ok(outcome) => {
                prop_assert_eq!(Ok(outcome), pmm_result);
                let s = outcome.new_state;
                prop_assert!(s.b >= minimums.token && s.q >= minimums.xau);
                prop_assert!(s.b <= MAX_STORED && s.q <= MAX_STORED && s.b0 <= MAX_STORED && s.q0 <= MAX_STORED);
                prop_assert_eq!(outcome.mt_fee, U256::ZERO, "no maintainer fee: the whole fee stays");
            }
            Err(LegError::BelowMinimum { xau }) => {
                prop_assert_eq!(xau, sells_token, "only the output side can fall below");
                if let Ok(o) = pmm_result {
                    let (left, minimum) =
                        if sells_token { (o.new_state.q, minimums.xau) } else { (o.new_state.b, minimums.token) };
                    prop_assert!(left < minimum, "refused although {} ≥ {}", left, minimum);
                }
            }
            Err(LegError::Math(e)) => prop_assert!(matches!(e, MathError::Overflow), "{e:?}"),
        }
    }

    /// No round trip through a pool, nor through two pools at the same
    /// price, pays back more than was put in.
    #[test]
    fn round_trips_never_profit(
        i in magnitude(12, 28),
        k in k_strategy(),
        b in magnitude(9, 24),
        q in magnitude(9, 24),
        amount in magnitude(0, 22),
        fee in fee_strategy(),
    ) {
        let one = U256::from(1u8);
        let minimums = Minimums { token: one, xau: one };
        let first = pool(i, k, b, q);
        let Ok(out) = mesh::sell(&first, Direction::SellToken, amount, fee, minimums) else { return Ok(()) };
        // Back through the same pool (its new state) ...
        if let Ok(back) = mesh::sell(&out.new_state, Direction::SellXau, out.receive, fee, minimums) {
            prop_assert!(back.receive <= amount, "same pool: {} > {}", back.receive, amount);
        }
        // ... or into a twin pool untouched by the first leg (triangulation A → XAU → B).
        if let Ok(back) = mesh::sell(&first, Direction::SellXau, out.receive, fee, minimums) {
            prop_assert!(back.receive <= amount, "twin pool: {} > {}", back.receive, amount);
        }
    }
}

#[test]
fn guide_price_keeps_decimals_exact_or_against_the_trader() {
    // Not a property: a few fixed conversions, both directions of rounding.
    for (price, token, xau) in [(3u64, 6u8, 18u8), (7, 18, 18), (123_456_789, 18, 6), (1, 36, 0)] {
        let price = U256::from(price) * U256::from(10u8).pow(U256::from(14u8));
        let down = mesh::guide_price(price, token, xau, false).unwrap();
        let up = mesh::guide_price(price, token, xau, true).unwrap();
        assert!(down <= up && up - down <= U256::from(1u8));
        if xau >= token {
            assert_eq!(down, up, "exact when XAU has at least the token's decimals");
        }
    }
}
