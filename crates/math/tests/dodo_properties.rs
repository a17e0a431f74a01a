//! Property tests of the DODO-exact model (`vault_math::pmm::dodo`).
//!
//! States are built the way real pools reach them: reserves at R = one, then
//! one to four random trades through the model itself, so every R state and
//! both directions of crossing one are visited. Tokens have 6 or 18
//! decimals, `i` runs from 1 to 1e36 and `k` from 0 to 1e18.
//!
//! Each property runs `PROPTEST_CASES` cases (default 10,000).

use proptest::prelude::*;
use vault_math::pmm::dodo::{self, DodoError, DodoResult, Sell, MAX_U112, ONE};
use vault_math::pmm::{self, PmmState, RState};
use vault_math::U256;

mod common;
use common::{cases, pow10, qdiv, sci};

/// `ceil(a / d)`, `d > 0`.
fn cdiv(a: U256, d: U256) -> U256 {
    let q = qdiv(a, d);
    if q * d == a {
        q
    } else {
        q + U256::from(1u8)
    }
}

/// `i` in `[1, 1e36]`, spread over all magnitudes, with round prices often.
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

/// Fee rates (LP, maintainer): none, or up to 1% and 0.5%.
fn fee_strategy() -> impl Strategy<Value = (U256, U256)> {
    prop_oneof![
        1 => Just((U256::ZERO, U256::ZERO)),
        2 => (0u64..=10_000_000_000_000_000, 0u64..=5_000_000_000_000_000)
            .prop_map(|(lp, mt)| (U256::from(lp), U256::from(mt))),
    ]
}

/// A token amount: `1..1e9` whole tokens (at times a few raw units), in a
/// token of 6 or 18 decimals.
fn amount_strategy() -> impl Strategy<Value = U256> {
    prop_oneof![
        8 => (prop_oneof![Just(6u32), Just(18u32)], 1u64..1_000_000_000).prop_map(|(dec, m)| sci(m, dec)),
        1 => (1u64..10_000).prop_map(U256::from),
    ]
}

/// `x · ppm / 1e6`, at least 1.
fn fraction(x: U256, ppm: u64) -> U256 {
    qdiv(x * U256::from(ppm), U256::from(1_000_000u64)).max(U256::from(1u8))
}

/// One trade: base (`true`) or quote, as millionths of the pool's reserve of
/// that token (up to twice the reserve).
fn trade_strategy() -> impl Strategy<Value = (bool, u64)> {
    (any::<bool>(), prop_oneof![3 => 1u64..200_000, 1 => 1u64..2_000_000])
}

fn sell(s: &PmmState, base: bool, amount: U256, fees: (U256, U256)) -> DodoResult<Sell> {
    if base {
        dodo::sell_base(s, amount, fees.0, fees.1)
    } else {
        dodo::sell_quote(s, amount, fees.0, fees.1)
    }
}

/// The amount of a trade of `ppm` millionths of the reserve it is sold into.
fn trade_amount(s: &PmmState, base: bool, ppm: u64) -> U256 {
    fraction(if base { s.b } else { s.q }, ppm)
}

/// Pool states: reserves on their targets at R = one, then up to four trades
/// through the model (each one skipped if the pool refuses it).
fn state_strategy() -> impl Strategy<Value = (PmmState, (U256, U256))> {
    (
        i_strategy(),
        k_strategy(),
        amount_strategy(),
        amount_strategy(),
        fee_strategy(),
        proptest::collection::vec(trade_strategy(), 0..=4),
    )
        .prop_map(|(i, k, b, q, fees, trades)| {
            let mut s = PmmState { i, k, b, q, b0: b, q0: q, r: RState::One };
            for (base, ppm) in trades {
                if let Ok(t) = sell(&s, base, trade_amount(&s, base, ppm), fees) {
                    s = t.state;
                }
            }
            (s, fees)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// A sale's stored state is its query applied as the pools apply it:
    /// the input added to its reserve, the receive and the maintainer fee
    /// taken from the other (the LP fee stays), the input side's adjusted
    /// target and the new R stored only when R changes; the curve output is
    /// split into receive + LP fee + maintainer fee, both fees floored.
    #[test]
    fn sell_is_its_query_applied(
        (s, fees) in state_strategy(),
        (base, ppm) in trade_strategy(),
    ) {
        let amount = trade_amount(&s, base, ppm);
        let query = if base {
            dodo::query_sell_base(&s, amount, fees.0, fees.1)
        } else {
            dodo::query_sell_quote(&s, amount, fees.0, fees.1)
        };
        let traded = sell(&s, base, amount, fees);
        let Ok(q) = query else {
            // A refused query refuses the trade, with the same error.
            prop_assert_eq!(traded.map(|_| ()), query.map(|_| ()));
            return Ok(());
        };
        let adjusted = dodo::pmm_state(&s).unwrap();
        let (out, new_r) = if base {
            dodo::sell_base_token(&adjusted, amount).unwrap()
        } else {
            dodo::sell_quote_token(&adjusted, amount).unwrap()
        };
        prop_assert_eq!(new_r, q.new_r);
        prop_assert_eq!(q.receive + q.lp_fee + q.mt_fee, out);
        prop_assert_eq!(q.mt_fee, qdiv(out * fees.1, ONE));
        prop_assert_eq!(q.lp_fee, qdiv(out * fees.0, ONE));
        prop_assert_eq!(q.new_target, if base { adjusted.b0 } else { adjusted.q0 });
        let Ok(t) = traded else {
            // Only the pool's own limits can refuse a trade its query prices.
            let e = traded.unwrap_err();
            prop_assert!(e == DodoError::TransferExceedsBalance || e == DodoError::Overflow, "{e:?}");
            return Ok(());
        };
        prop_assert_eq!(t.query, q);
        let (paid_in, paid_out) = if base { (t.state.b, t.state.q) } else { (t.state.q, t.state.b) };
        let (was_in, was_out) = if base { (s.b, s.q) } else { (s.q, s.b) };
        prop_assert_eq!(paid_in, was_in + amount);
        prop_assert_eq!(paid_out + q.receive + q.mt_fee, was_out);
        prop_assert!(t.state.b <= MAX_U112 && t.state.q <= MAX_U112);
        prop_assert_eq!(t.state.r, q.new_r);
        let (kept, stored) = if base { (t.state.q0, t.state.b0) } else { (t.state.b0, t.state.q0) };
        prop_assert_eq!(kept, if base { s.q0 } else { s.b0 });
        if s.r == q.new_r {
            prop_assert_eq!(stored, if base { s.b0 } else { s.q0 });
        } else {
            prop_assert_eq!(stored, q.new_target);
        }
        prop_assert_eq!((t.state.i, t.state.k), (s.i, s.k));
    }

    /// DODO's R transitions: from one, a base sale goes below one and a
    /// quote sale above one; a sale deeper into the short side keeps R; a
    /// sale back toward one stays, reaches one exactly at the back-to-one
    /// amount (paying exactly the excess) or crosses to the other side.
    #[test]
    fn r_state_transitions(
        (s, fees) in state_strategy(),
        (base, ppm) in trade_strategy(),
        exact in any::<bool>(),
    ) {
        let Ok(adjusted) = dodo::pmm_state(&s) else { return Ok(()) };
        // Toward one: base above one, quote below one.
        let toward = match s.r {
            RState::AboveOne => Some(base),
            RState::BelowOne => Some(!base),
            RState::One => None,
        };
        let back_to_one = match s.r {
            RState::AboveOne if base => adjusted.b0.checked_sub(adjusted.b),
            RState::BelowOne if !base => adjusted.q0.checked_sub(adjusted.q),
            _ => None,
        };
        let amount = match back_to_one {
            Some(pay) if exact => pay,
            _ => trade_amount(&s, base, ppm),
        };
        let traded = if base {
            dodo::sell_base_token(&adjusted, amount)
        } else {
            dodo::sell_quote_token(&adjusted, amount)
        };
        let Ok((out, r)) = traded else { return Ok(()) };
        match (s.r, toward) {
            (RState::One, _) => {
                prop_assert_eq!(r, if base { RState::BelowOne } else { RState::AboveOne });
            }
            (_, Some(true)) => {
                let pay = back_to_one.unwrap();
                let excess = if base { adjusted.q - adjusted.q0 } else { adjusted.b - adjusted.b0 };
                let other = if base { RState::BelowOne } else { RState::AboveOne };
                match amount.cmp(&pay) {
                    std::cmp::Ordering::Less => {
                        prop_assert_eq!(r, s.r);
                        prop_assert!(out <= excess);
                    }
                    std::cmp::Ordering::Equal => prop_assert_eq!((r, out), (RState::One, excess)),
                    std::cmp::Ordering::Greater => {
                        prop_assert_eq!(r, other);
                        prop_assert!(out >= excess);
                    }
                }
            }
            _ => prop_assert_eq!(r, s.r),
        }
        // The stored state after the sale carries the same R.
        if let Ok(t) = sell(&s, base, amount, fees) {
            prop_assert_eq!(t.state.r, r);
        }
    }

    /// The DODO-exact model and the exact-curve model price a sale from R =
    /// one within a bounded distance (no fees): the two solve the same
    /// quadratic on the same targets, DODO truncating at each step. The
    /// bound: 2 units, plus 1e-9 of the payout, plus (for quote sales) the
    /// relative error of DODO's `floor(1e36 / i)` times the payout, plus the
    /// conditioning terms of DODO's floored `k·V0` (one unit, magnified by
    /// `1/(2·sqrt(k(1−k)))` at worst), of its floored square root (one unit
    /// over `2(1 − k)`), and of its floored `t` when `k = 1`.
    #[test]
    fn dodo_and_exact_curve_agree_from_one(
        i in i_strategy(),
        k in k_strategy(),
        b in amount_strategy(),
        q in amount_strategy(),
        (base, ppm) in trade_strategy(),
    ) {
        let s = PmmState { i, k, b, q, b0: b, q0: q, r: RState::One };
        let amount = trade_amount(&s, base, ppm);
        let exact = if base { pmm::sell_base(&s, amount, U256::ZERO, U256::ZERO) } else {
            pmm::sell_quote(&s, amount, U256::ZERO, U256::ZERO)
        };
        let dodo_out = if base { dodo::sell_base_token(&s, amount) } else {
            dodo::sell_quote_token(&s, amount)
        };
        let (Ok(e), Ok((d, _))) = (exact, dodo_out) else { return Ok(()) };
        let e = e.receive;
        let diff = if d > e { d - e } else { e - d };
        let bound = agreement_bound(&s, base, e.max(d));
        prop_assert!(diff <= bound, "dodo {d} exact {e} diff {diff} bound {bound} i {i} k {k} b {b} q {q} base {base} amount {amount}");
    }

    /// `getMidPrice` is exactly `i` at R = one with reserves on their
    /// targets, and the mid price never rises after a base sale nor falls
    /// after a quote sale (when both prices are defined).
    #[test]
    fn mid_price_moves_with_the_trade(
        (s, fees) in state_strategy(),
        (base, ppm) in trade_strategy(),
    ) {
        let at_one = PmmState { b0: s.b, q0: s.q, r: RState::One, ..s };
        if !s.b.is_zero() {
            prop_assert_eq!(dodo::pool_mid_price(&at_one), Ok(s.i));
        }
        let (Ok(before), Ok(t)) = (dodo::pool_mid_price(&s), sell(&s, base, trade_amount(&s, base, ppm), fees))
        else { return Ok(()) };
        let Ok(after) = dodo::pool_mid_price(&t.state) else { return Ok(()) };
        if base {
            prop_assert!(after <= before, "base sale raised the mid price {before} -> {after}");
        } else {
            prop_assert!(after >= before, "quote sale lowered the mid price {before} -> {after}");
        }
    }
}

/// The distance [`dodo_and_exact_curve_agree_from_one`] allows between the
/// two models' payouts `out` for a sale from R = one.
fn agreement_bound(s: &PmmState, base: bool, out: U256) -> U256 {
    let one = U256::from(1u8);
    let (v0, price) = if base { (s.q0, s.i) } else { (s.b0, dodo::reciprocal_floor(s.i).unwrap_or(one)) };
    // 2 units and 1e-9 of the payout.
    let mut bound = U256::from(2u8) + qdiv(out, U256::from(1_000_000_000u64));
    if !base {
        // floor(1e36 / i) understates 1e18/i by less than one part in
        // floor(1e36 / i): the payout moves by up to that share (twice, for
        // the curve's convexity), plus one unit.
        bound += cdiv(out * U256::from(2u8), price.max(one)) + one;
    }
    if !s.k.is_zero() && s.k != ONE {
        // Floored mulFloor(k, V0) in the 4ac term: V2 moves by at most
        // V0/sqrt(disc) ≤ 1/(2·sqrt(k(1−k))) units (1e18 / (2·sqrt(k(1−k)))
        // in fixed point; 4e18 / sqrt here, for slack). Floored k·V0/V1 in
        // b: b moves by up to V0/1e18 units and V2 by at most twice that.
        let kk = s.k * (ONE - s.k);
        let root = dodo::sqrt(kk).max(one);
        bound += cdiv(ONE * U256::from(4u8), root) + qdiv(v0 * U256::from(2u8), ONE) + one;
        // The floored square root and the rounded-up V2 divide one unit by
        // 2(1 − k): DODO's precision falls as k nears one.
        bound += cdiv(ONE * U256::from(2u8), ONE - s.k) + one;
    }
    if s.k == ONE {
        // DODO's k = 1 form floors t = price·delta·V1/V0² to 1e-18 (after
        // flooring delta·V1/V0 when the product overflows), and
        // V1 − V2 = V1·t/(1 + t) moves by at most V1 per unit of t.
        bound += cdiv((qdiv(price, v0.max(one)) + U256::from(2u8)) * v0, ONE) + one;
    }
    bound
}

/// The state generator reaches all three R states, each often enough for
/// the properties above to test it (a fixed seed: 4,000 states).
#[test]
fn states_cover_every_r_state() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(Config::default().rng_algorithm),
    );
    let strategy = state_strategy();
    let mut counts = [0u32; 3];
    for _ in 0..4_000 {
        let (s, _) = strategy.new_tree(&mut runner).unwrap().current();
        counts[usize::from(dodo::r_state_code(s.r))] += 1;
    }
    assert!(counts.iter().all(|&c| c >= 400), "R one / above / below: {counts:?}");
}
