//! Property tests for the PMM, sizing and observation modules.
//!
//! Each property runs `PROPTEST_CASES` cases (default 10,000).

use std::cmp::Ordering;

use proptest::prelude::*;
use vault_math::deviation::Bps;
use vault_math::fixed::ONE;
use vault_math::observation::{ObservationRing, Recorded, SustainTracker};
use vault_math::pmm::{self, PmmState, RState, SellOutcome};
use vault_math::sizing::{self, Direction, FeeRates, Trade, TradeCheck};
use vault_math::{MathResult, U256};

mod common;
use common::{cases, sci};

/// A number spread over many orders of magnitude in `[10^lo, ~10^(hi+3)]`.
fn magnitude(lo: u32, hi: u32) -> impl Strategy<Value = U256> {
    (1u64..1_000, lo..=hi).prop_map(|(m, e)| sci(m, e))
}

fn k_strategy() -> impl Strategy<Value = U256> {
    prop_oneof![
        1 => Just(U256::ZERO),
        1 => Just(ONE),
        6 => (0u64..=1_000_000_000_000_000_000).prop_map(U256::from),
    ]
}

fn fee_strategy() -> impl Strategy<Value = FeeRates> {
    prop_oneof![
        1 => Just(FeeRates::default()),
        2 => (0u64..=10_000_000_000_000_000, 0u64..=5_000_000_000_000_000)
            .prop_map(|(lp, mt)| FeeRates { lp: U256::from(lp), mt: U256::from(mt) }),
    ]
}

/// `x · parts_per_million / 1e6`, at least 1.
fn fraction(x: U256, ppm: u64) -> U256 {
    (x * U256::from(ppm) / U256::from(1_000_000u64)).max(U256::from(1u8))
}

/// Pool states: at R = one, reached by a random first trade (consistent R
/// states with fees in the reserves), or raw R ≠ one states.
fn state_strategy() -> impl Strategy<Value = PmmState> {
    (
        magnitude(6, 24),
        k_strategy(),
        magnitude(6, 26),
        magnitude(6, 26),
        0u8..4,
        1u64..1_500_000,
        fee_strategy(),
        magnitude(0, 26),
        magnitude(0, 26),
    )
        .prop_filter_map(
            "state outside the formulas' domain",
            |(i, k, b0, q0, mode, ppm, fees, x, y)| {
                let one = PmmState { i, k, b: b0, q: q0, b0, q0, r: RState::One };
                let s = match mode {
                    0 => one,
                    1 => pmm::sell_base(&one, fraction(b0, ppm), fees.lp, fees.mt).ok()?.new_state,
                    2 => pmm::sell_quote(&one, fraction(q0, ppm), fees.lp, fees.mt).ok()?.new_state,
                    // Raw states: any reserves on the right side of the stored target.
                    _ => {
                        if ppm % 2 == 0 {
                            PmmState { b: b0 + x, q: q0, r: RState::BelowOne, ..one }
                        } else {
                            PmmState { b: b0, q: q0 + y, r: RState::AboveOne, ..one }
                        }
                    }
                };
                pmm::mid_price(&s).ok().map(|_| s)
            },
        )
}

fn sell(s: &PmmState, dir: Direction, amount: U256, f: FeeRates) -> MathResult<SellOutcome> {
    sizing::apply(s, Trade { direction: dir, amount }, f)
}

fn reverse(d: Direction) -> Direction {
    match d {
        Direction::SellBase => Direction::SellQuote,
        Direction::SellQuote => Direction::SellBase,
    }
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![Just(Direction::SellBase), Just(Direction::SellQuote)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// (a) Selling and then selling back what was received never returns
    /// more than was put in, in both directions and from any R state.
    #[test]
    fn round_trip_never_profits(
        s in state_strategy(),
        dir in direction(),
        ppm in 1u64..2_000_000,
        tiny in 1u64..1_000,
        use_tiny in any::<bool>(),
        f in fee_strategy(),
    ) {
        let reserve = if dir == Direction::SellBase { s.b0 } else { s.q0 };
        let amount = if use_tiny { U256::from(tiny) } else { fraction(reserve, ppm) };
        let Ok(first) = sell(&s, dir, amount, f) else { return Ok(()) };
        let Ok(second) = sell(&first.new_state, reverse(dir), first.receive, f) else {
            return Ok(());
        };
        prop_assert!(second.receive <= amount,
            "put in {amount}, got back {} ({:?} -> {:?})", second.receive, s.r, first.new_state.r);
    }

    /// (b) The post-trade mid price is monotone in the trade size.
    #[test]
    fn mid_price_monotone_in_size(
        s in state_strategy(),
        dir in direction(),
        p1 in 1u64..2_000_000,
        p2 in 1u64..2_000_000,
        f in fee_strategy(),
    ) {
        let reserve = if dir == Direction::SellBase { s.b0 } else { s.q0 };
        let (a1, a2) = (fraction(reserve, p1.min(p2)), fraction(reserve, p1.max(p2)));
        let (Ok(o1), Ok(o2)) = (sell(&s, dir, a1, f), sell(&s, dir, a2, f)) else {
            return Ok(());
        };
        let (m0, m1, m2) = (
            pmm::mid_price(&s).unwrap(),
            pmm::mid_price(&o1.new_state).unwrap(),
            pmm::mid_price(&o2.new_state).unwrap(),
        );
        match dir {
            Direction::SellBase => prop_assert!(m0 >= m1 && m1 >= m2, "{m0} {m1} {m2}"),
            Direction::SellQuote => prop_assert!(m0 <= m1 && m1 <= m2, "{m0} {m1} {m2}"),
        }
    }

    /// (c) From R = one, a sell and the reverse sell of exactly the
    /// back-to-one amount return R to one with the untouched target intact
    /// and the other target grown only by fees and rounding.
    #[test]
    fn inventory_return_restores_targets(
        i in magnitude(6, 24),
        k in k_strategy(),
        b0 in magnitude(6, 26),
        q0 in magnitude(6, 26),
        dir in direction(),
        ppm in 1u64..1_500_000,
        f in fee_strategy(),
    ) {
        let s = PmmState { i, k, b: b0, q: q0, b0, q0, r: RState::One };
        let reserve = if dir == Direction::SellBase { b0 } else { q0 };
        let Ok(first) = sell(&s, dir, fraction(reserve, ppm), f) else { return Ok(()) };
        let mid = first.new_state;
        let pay = pmm::back_to_one_pay(&mid).unwrap();
        let back = sell(&mid, reverse(dir), pay, f).unwrap();
        let end = back.new_state;
        prop_assert_eq!(end.r, RState::One);
        // The side regularised while R was off one may only have grown: by
        // the LP fee left in the pool plus < 1 wei of output rounding, scaled
        // by the curve's sensitivity dV0/dV = 1 + k·y²/(V·(V + 2k·y))
        // ≤ 1 + V0/(2V), taken at the new target and the fee-free reserve.
        // That sensitivity is unbounded as the reserve empties, so states the
        // first trade leaves with under 1,000 wei on the short side (where
        // whole-wei rounding dominates) are skipped.
        let (kept, grown, orig, fee, short) = match dir {
            Direction::SellBase => (end.b0 == b0, end.q0, q0, first.lp_fee, mid.q),
            Direction::SellQuote => (end.q0 == q0, end.b0, b0, first.lp_fee, mid.b),
        };
        prop_assert!(kept, "untouched target changed");
        prop_assert!(grown >= orig, "target shrank: {grown} < {orig}");
        let short = short - fee - U256::from(1u8);
        if short < U256::from(1_000u32) {
            return Ok(());
        }
        let slack = (fee + U256::from(2u8)) * (U256::from(2u8) + grown / short) + U256::from(2u8);
        prop_assert!(grown - orig <= slack, "grew by {} > {slack}", grown - orig);
        // And the excess inventory came back exactly (net of fees).
        let excess_back = back.receive + back.mt_fee + back.lp_fee;
        let excess = match dir {
            Direction::SellBase => mid.b - b0,
            Direction::SellQuote => mid.q - q0,
        };
        prop_assert_eq!(excess_back, excess);
    }

    /// (d) The sized trade never exceeds the cap, corrects without crossing
    /// the peg, and one unit more than the maximum would cross (or fail).
    #[test]
    fn sizing_respects_cap_and_peg(
        s in state_strategy(),
        peg_ppm in 1u64..2_000_000,
        k_depth in magnitude(0, 26),
        dev in 1u32..5_000,
        cap in magnitude(0, 26),
        f in fee_strategy(),
    ) {
        let mid = pmm::mid_price(&s).unwrap();
        let peg = (mid * U256::from(peg_ppm) / U256::from(1_000_000u64)).max(U256::from(1u8));
        let dir = match pmm::compare_mid_price(&s, peg).unwrap() {
            Ordering::Greater => Direction::SellBase,
            Ordering::Less => Direction::SellQuote,
            Ordering::Equal => return Ok(()),
        };
        let max = match dir {
            Direction::SellBase => sizing::max_correcting_base_in(&s, peg, f).unwrap(),
            Direction::SellQuote => sizing::max_correcting_quote_in(&s, peg, f).unwrap(),
        };
        let size = sizing::trade_size(k_depth, dev, cap).unwrap().min(max);
        prop_assert!(size <= cap);
        let t = Trade { direction: dir, amount: size };
        prop_assert_eq!(sizing::check_no_overshoot(&s, t, peg, f).unwrap(), TradeCheck::Corrects);
        let tmax = Trade { direction: dir, amount: max };
        prop_assert_eq!(sizing::check_no_overshoot(&s, tmax, peg, f).unwrap(), TradeCheck::Corrects);
        let over = Trade { direction: dir, amount: max + U256::from(1u8) };
        // One more than the maximum crosses the peg (or the pool refuses it).
        if let Ok(v) = sizing::check_no_overshoot(&s, over, peg, f) {
            prop_assert_eq!(v, TradeCheck::CrossesPeg);
        }
        if !size.is_zero() {
            let wrong = Trade { direction: reverse(dir), amount: size };
            prop_assert_eq!(sizing::check_no_overshoot(&s, wrong, peg, f).unwrap(), TradeCheck::Widens);
        }
    }

    /// (e) The ring buffer's TWAP equals a naive per-block recomputation,
    /// including after wrap-around and with repeated blocks.
    #[test]
    fn ring_twap_matches_naive(
        start in 0u64..1_000_000,
        steps in proptest::collection::vec((0u64..5, -20_000i32..20_000), 0..40),
        queries in proptest::collection::vec((0u64..10, 1u64..70), 1..8),
    ) {
        check_ring::<5>(start, &steps, &queries)?;
        check_ring::<64>(start, &steps, &queries)?;
    }

    /// (f) The sustain tracker equals a naive model over random sequences
    /// with gaps, repeats and sign flips.
    #[test]
    fn sustain_matches_naive(
        start in 0u64..3,
        steps in proptest::collection::vec((0u64..3, -300i32..300), 0..60),
        threshold in 0u32..200,
    ) {
        let mut t = SustainTracker::new();
        let mut accepted: Vec<(u64, Bps)> = Vec::new();
        let mut block = start;
        for (delta, dev) in steps {
            block += delta;
            t = t.observe(block, dev, threshold);
            let last = accepted.last().map_or(0, |&(b, _)| b);
            if block > last {
                accepted.push((block, dev));
            }
            prop_assert_eq!(t.last_block, accepted.last().map_or(0, |&(b, _)| b));
            for now in block..block + 4 {
                for n in 1..6u64 {
                    // Naive: observations past the threshold in the span
                    // `now − 2n + 2 ..= now`, and the newest one live and past.
                    let from = (now + 2).saturating_sub(2 * n);
                    let count = accepted
                        .iter()
                        .filter(|&&(b, d)| b >= from && b <= now && d.unsigned_abs() > threshold)
                        .count() as u64;
                    prop_assert_eq!(t.count_at(now, n), count);
                    let live = accepted
                        .last()
                        .filter(|&&(b, d)| now - b <= 1 && d.unsigned_abs() > threshold)
                        .map_or(0, |&(_, d)| if d > 0 { 1 } else { -1 });
                    prop_assert_eq!(t.live_sign(now), live);
                    prop_assert_eq!(t.is_sustained_at(now, n), live != 0 && count >= n);
                }
            }
        }
    }
}

fn check_ring<const N: usize>(
    start: u64,
    steps: &[(u64, Bps)],
    queries: &[(u64, u64)],
) -> Result<(), TestCaseError> {
    let mut ring = ObservationRing::<N>::new();
    let mut stored: Vec<(u64, Bps)> = Vec::new();
    let mut block = start;
    for &(delta, dev) in steps {
        block += delta;
        let r = ring.record(block, dev).unwrap();
        if stored.last().is_some_and(|&(b, _)| b == block) {
            prop_assert_eq!(r, Recorded::SameBlockIgnored);
        } else {
            prop_assert_eq!(r, Recorded::Stored);
            stored.push((block, dev));
        }
    }
    let retained = &stored[stored.len().saturating_sub(N)..];
    prop_assert_eq!(ring.len(), retained.len());
    for (idx, &(b, d)) in retained.iter().enumerate() {
        let o = ring.get(idx).unwrap();
        prop_assert_eq!((o.block, o.deviation_bps), (b, d));
    }
    let value_at = |b: u64| stored.iter().rev().find(|&&(sb, _)| sb <= b).map(|&(_, d)| d);
    for &(ahead, window) in queries {
        let Some(&(last, _)) = stored.last() else {
            prop_assert!(ring.twap(start, window).is_err());
            continue;
        };
        let now = last + ahead;
        let got = ring.twap(now, window);
        let from = (now + 1).checked_sub(window);
        match from {
            Some(from) if retained[0].0 <= from => {
                let sum: i128 = (from..=now).map(|b| i128::from(value_at(b).unwrap())).sum();
                let expected = Bps::try_from(sum / i128::from(window)).unwrap();
                prop_assert_eq!(got, Ok(expected));
            }
            _ => prop_assert!(got.is_err()),
        }
    }
    Ok(())
}
