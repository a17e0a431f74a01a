//! Property tests of the keeper's sizing on the DODO-exact model
//! (`vault_math::sizing::dodo`).
//!
//! States are built the way pools reach them: reserves on their targets at
//! R = one, then up to four random trades through `pmm::dodo`, so all three
//! R states are sized from. Tokens have 6 or 18 decimals, `i` runs from 1
//! to 1e36, `k` from 0 to 1e18, fees from none to 1% LP and 0.5%
//! maintainer. The target is the pool's own `getMidPrice` moved by a random
//! fraction either way (from one unit to 99%), or any price.
//!
//! For each state and target both searches run, and under `pmm::dodo`:
//!
//! * the size returned is accepted by the pool and its `getMidPrice` after
//!   the sale is on the target or on the near side (never past it);
//! * the size plus one is refused by the pool or lands past the target;
//! * the size is zero when the pool is not on the side that direction
//!   corrects;
//! * from `getPMMStateForCall`'s adjusted state the same two hold for that
//!   size, and (one case in eight, the search being the costly part) the
//!   search from it returns the same size;
//! * `check_no_overshoot` never calls the size `CrossesPeg`.
//!
//! Each property runs `PROPTEST_CASES` cases (default 10,000); the run
//! requires every R state to be sized from with a nonzero result in both
//! directions.

use std::cmp::Ordering;

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use vault_math::pmm::dodo::{self, DodoResult, Sell, ONE};
use vault_math::pmm::{PmmState, RState};
use vault_math::sizing::{self, Direction, FeeRates, Trade, TradeCheck};
use vault_math::U256;

mod common;
use common::{cases, pow10, qdiv, sci};

/// `i` in `[1, 1e36]`, spread over all magnitudes, round prices often.
fn i_strategy() -> impl Strategy<Value = U256> {
    prop_oneof![
        4 => (1u64..1_000_000, 0u32..=30).prop_map(|(m, e)| sci(m, e).min(pow10(36))),
        1 => (0u32..=36).prop_map(pow10),
        1 => Just(U256::from(1u8)),
    ]
}

/// `k` in `[0, 1e18]`: the ends often, and any value between.
fn k_strategy() -> impl Strategy<Value = U256> {
    prop_oneof![
        1 => Just(U256::ZERO),
        1 => Just(ONE),
        1 => Just(qdiv(ONE, U256::from(10u8))),
        6 => (0u64..=1_000_000_000_000_000_000).prop_map(U256::from),
    ]
}

/// Fee rates: none, or LP up to 1% and maintainer up to 0.5%.
fn fee_strategy() -> impl Strategy<Value = FeeRates> {
    prop_oneof![
        1 => Just(FeeRates::default()),
        2 => (0u64..=10_000_000_000_000_000, 0u64..=5_000_000_000_000_000)
            .prop_map(|(lp, mt)| FeeRates { lp: U256::from(lp), mt: U256::from(mt) }),
    ]
}

/// A token amount: `1..1e9` whole tokens of 6 or 18 decimals, at times a
/// few raw units.
fn amount_strategy() -> impl Strategy<Value = U256> {
    prop_oneof![
        8 => (prop_oneof![Just(6u32), Just(18u32)], 1u64..1_000_000_000).prop_map(|(dec, m)| sci(m, dec)),
        1 => (1u64..10_000).prop_map(U256::from),
    ]
}

/// One trade: base (`true`) or quote, as millionths of the pool's reserve
/// of that token (up to twice the reserve).
fn trade_strategy() -> impl Strategy<Value = (bool, u64)> {
    (any::<bool>(), prop_oneof![3 => 1u64..200_000, 1 => 1u64..2_000_000])
}

fn sell(s: &PmmState, base: bool, amount: U256, fees: FeeRates) -> DodoResult<Sell> {
    if base {
        dodo::sell_base(s, amount, fees.lp, fees.mt)
    } else {
        dodo::sell_quote(s, amount, fees.lp, fees.mt)
    }
}

/// The target relative to the pool's mid price.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// `mid · (1e6 ± ppm) / 1e6` (`up`: above the mid price).
    Ppm { up: bool, ppm: u64 },
    /// `mid ± units`.
    Units { up: bool, units: u64 },
    /// Any price `m · 10^e`.
    Any(u64, u32),
}

fn target_strategy() -> impl Strategy<Value = Target> {
    prop_oneof![
        6 => (any::<bool>(), prop_oneof![1u64..100, 100u64..10_000, 10_000u64..990_000])
            .prop_map(|(up, ppm)| Target::Ppm { up, ppm }),
        1 => (any::<bool>(), 1u64..1_000).prop_map(|(up, units)| Target::Units { up, units }),
        1 => (1u64..1_000_000, 0u32..=36).prop_map(|(m, e)| Target::Any(m, e)),
    ]
}

fn target_for(mid: U256, target: Target) -> U256 {
    match target {
        Target::Ppm { up, ppm } => {
            let million = U256::from(1_000_000u64);
            let factor = if up { million + U256::from(ppm) } else { million - U256::from(ppm) };
            qdiv(mid.saturating_mul(factor), million)
        }
        Target::Units { up, units } => {
            if up {
                mid.saturating_add(U256::from(units))
            } else {
                mid.saturating_sub(U256::from(units))
            }
        }
        Target::Any(m, e) => sci(m, e),
    }
}

#[derive(Clone, Debug)]
struct Case {
    state: PmmState,
    fees: FeeRates,
    target: Target,
}

/// Pool states: reserves on their targets at R = one, then up to four
/// trades through the model (each skipped if the pool refuses it).
fn case_strategy() -> impl Strategy<Value = Case> {
    (
        i_strategy(),
        k_strategy(),
        amount_strategy(),
        amount_strategy(),
        fee_strategy(),
        proptest::collection::vec(trade_strategy(), 0..=4),
        target_strategy(),
    )
        .prop_map(|(i, k, b, q, fees, trades, target)| {
            let mut state = PmmState { i, k, b, q, b0: b, q0: q, r: RState::One };
            for (base, ppm) in trades {
                let reserve = if base { state.b } else { state.q };
                let amount = qdiv(reserve * U256::from(ppm), U256::from(1_000_000u64)).max(U256::from(1u8));
                if let Ok(t) = sell(&state, base, amount, fees) {
                    state = t.state;
                }
            }
            Case { state, fees, target }
        })
}

/// Whether a sale of `amount` in `direction` is accepted and lands on the
/// target or on the `keep` side of it (the test's own statement of the
/// rule, through `pmm::dodo` directly), from `state` (the case's stored
/// state or its adjusted one).
fn lands(
    state: &PmmState,
    case: &Case,
    target: U256,
    direction: Direction,
    amount: U256,
    keep: Ordering,
) -> bool {
    let base = direction == Direction::SellBase;
    let Ok(after) = sell(state, base, amount, case.fees) else {
        return false;
    };
    dodo::pool_mid_price(&after.state).is_ok_and(|mid| mid == target || mid.cmp(&target) == keep)
}

#[derive(Debug, Default)]
struct Stats {
    /// Cases whose pool has a mid price, by R state of the stored state.
    from_r: [u64; 3],
    /// Nonzero sizes by direction (base, quote) and R state.
    sized: [[u64; 3]; 2],
    /// Sizes landing exactly on the target.
    on_target: u64,
    /// Sizes `check_no_overshoot` calls `Widens` (DODO's floors raise the
    /// price on a base sale, or lower it on a quote sale).
    widens: u64,
    /// Pools whose `getMidPrice` reverts (nothing to size).
    no_mid: u64,
    /// Searches repeated from the adjusted state and compared.
    compared: u64,
    /// Cases run.
    cases: u64,
}

/// A sizing search: `max_correcting_base_in` or `max_correcting_quote_in`.
type Search = fn(&PmmState, U256, FeeRates) -> DodoResult<U256>;

/// How often (in cases) a search is repeated from the adjusted state.
const FULL_COMPARISON_EVERY: u64 = 8;

fn r_index(r: RState) -> usize {
    usize::from(dodo::r_state_code(r))
}

fn check_case(case: &Case, stats: &mut Stats) -> Result<(), TestCaseError> {
    stats.cases += 1;
    // One case in `FULL_COMPARISON_EVERY` repeats both searches from the
    // adjusted state; every case checks the boundary from it.
    let full_comparison = stats.cases.is_multiple_of(FULL_COMPARISON_EVERY);
    let Ok(mid) = dodo::pool_mid_price(&case.state) else {
        stats.no_mid += 1;
        for f in [sizing::dodo::max_correcting_base_in, sizing::dodo::max_correcting_quote_in] {
            prop_assert!(f(&case.state, U256::from(1u8), case.fees).is_err());
        }
        return Ok(());
    };
    let r = r_index(case.state.r);
    stats.from_r[r] += 1;
    let target = target_for(mid, case.target);
    let adjusted = dodo::pmm_state(&case.state).expect("a pool with a mid price has an adjusted state");
    for (d, direction) in [Direction::SellBase, Direction::SellQuote].into_iter().enumerate() {
        let (keep, search): (Ordering, Search) = match direction {
            Direction::SellBase => (Ordering::Greater, sizing::dodo::max_correcting_base_in),
            Direction::SellQuote => (Ordering::Less, sizing::dodo::max_correcting_quote_in),
        };
        let size = search(&case.state, target, case.fees).expect("the mid price is defined");
        if full_comparison {
            prop_assert_eq!(
                search(&adjusted, target, case.fees).expect("the adjusted state has the same mid price"),
                size,
                "stored and adjusted states size alike"
            );
            stats.compared += 1;
        }
        if mid.cmp(&target) != keep {
            prop_assert_eq!(size, U256::ZERO, "nothing to correct in {:?}", direction);
            continue;
        }
        let one = U256::from(1u8);
        if size.is_zero() {
            prop_assert!(!lands(&case.state, case, target, direction, one, keep), "one unit was fine");
            continue;
        }
        stats.sized[d][r] += 1;
        prop_assert!(lands(&case.state, case, target, direction, size, keep), "the size {} crosses", size);
        prop_assert!(!lands(&case.state, case, target, direction, size + one, keep), "{} + 1 was fine", size);
        // From the adjusted state, the same boundary.
        prop_assert!(lands(&adjusted, case, target, direction, size, keep));
        prop_assert!(!lands(&adjusted, case, target, direction, size + one, keep));
        let trade = Trade { direction, amount: size };
        let after = sizing::dodo::mid_price_after(&case.state, trade, case.fees).expect("accepted");
        if after == target {
            stats.on_target += 1;
        }
        match sizing::dodo::check_no_overshoot(&case.state, trade, target, case.fees) {
            Ok(TradeCheck::Corrects) => {}
            Ok(TradeCheck::Widens) => stats.widens += 1,
            other => prop_assert!(false, "check of the size {}: {:?}", size, other),
        }
    }
    Ok(())
}

#[test]
fn dodo_sizes_reach_the_target_and_never_cross_it() {
    let mut runner = TestRunner::new(ProptestConfig { cases: cases(), ..ProptestConfig::default() });
    let stats = std::cell::RefCell::new(Stats::default());
    runner
        .run(&case_strategy(), |case| check_case(&case, &mut stats.borrow_mut()))
        .unwrap_or_else(|e| panic!("{e}"));
    let stats = stats.into_inner();
    println!("{stats:?}");
    for r in 0..3 {
        assert!(stats.from_r[r] > 0, "no state in R {r}: {stats:?}");
        for d in 0..2 {
            assert!(stats.sized[d][r] > 0, "no nonzero size from R {r} in direction {d}: {stats:?}");
        }
    }
}

#[test]
fn exact_curve_sizing_is_not_dodo_sizing() {
    // A 6-decimal base against an 18-decimal quote at a high `i`: DODO's
    // `1/i` is floored before use, so the exact-curve size for a quote sale
    // lands elsewhere on a DODO pool than the exact curve predicts. The DODO
    // sizing is checked on its own model.
    let i = pow10(30);
    let b = sci(1_000_000, 6);
    let q = sci(1_000_000, 18);
    let s = PmmState { i, k: qdiv(ONE, U256::from(10u8)), b, q, b0: b, q0: q, r: RState::One };
    let fees = FeeRates { lp: U256::from(3_000_000_000_000_000u64), mt: U256::ZERO };
    let mid = dodo::pool_mid_price(&s).unwrap();
    let target = qdiv(mid * U256::from(1_010u64), U256::from(1_000u64));
    let size = sizing::dodo::max_correcting_quote_in(&s, target, fees).unwrap();
    let trade = Trade { direction: Direction::SellQuote, amount: size };
    assert_eq!(sizing::dodo::check_no_overshoot(&s, trade, target, fees), Ok(TradeCheck::Corrects));
    let over = Trade { amount: size + U256::from(1u8), ..trade };
    assert_eq!(sizing::dodo::check_no_overshoot(&s, over, target, fees), Ok(TradeCheck::CrossesPeg));
}
