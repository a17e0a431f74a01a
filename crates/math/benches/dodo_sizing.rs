//! Time per search of the keeper's DODO sizing
//! (`vault_math::sizing::dodo::max_correcting_*_in`) on a few pools, beside
//! the doubling and bisection it replaced (written here on the public
//! `mid_price_after`, as the crate ran it).
//!
//! `cargo bench -p vault-math --bench dodo_sizing`

use std::cmp::Ordering;
use std::hint::black_box;
use std::time::Instant;

use vault_math::pmm::dodo::{self, ONE};
use vault_math::pmm::{PmmState, RState};
use vault_math::sizing::{self, Direction, FeeRates, Trade};
use vault_math::U256;

fn e(exp: u8) -> U256 {
    U256::from(10u8).pow(U256::from(exp))
}

/// The replaced search: doubling from one, then bisection.
fn doubling_and_bisection(state: &PmmState, target: U256, fees: FeeRates, direction: Direction) -> U256 {
    let keep = if direction == Direction::SellBase { Ordering::Greater } else { Ordering::Less };
    if dodo::pool_mid_price(state).map(|mid| mid.cmp(&target)) != Ok(keep) {
        return U256::ZERO;
    }
    let ok = |amount| {
        sizing::dodo::mid_price_after(state, Trade { direction, amount }, fees)
            .is_some_and(|mid| mid == target || mid.cmp(&target) == keep)
    };
    let (mut lo, mut hi) = (U256::ZERO, U256::from(1u8));
    while ok(hi) {
        lo = hi;
        hi <<= 1;
    }
    while hi - lo > U256::from(1u8) {
        let mid = lo + ((hi - lo) >> 1);
        if ok(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

fn main() {
    let fees = FeeRates { lp: e(15) * U256::from(3u8), mt: e(15) };
    let pool = |i, k, b, q| PmmState { i, k, b, q, b0: b, q0: q, r: RState::One };
    let mut cases = Vec::new();
    // 100/100 at i = 1, k = 0.5: down to 0.5, up to 2.
    let even = pool(ONE, ONE >> 1, e(20), e(20));
    cases.push(("even pool, base to 0.5", even, ONE >> 1, Direction::SellBase));
    cases.push(("even pool, quote to 2", even, ONE << 1, Direction::SellQuote));
    // 6-decimal base against 18-decimal quote, i = 1e30, k = 0.1, 1e6 a side;
    // up by 1/64.
    let mixed = pool(e(30), e(17), e(12), e(24));
    let mid = dodo::pool_mid_price(&mixed).unwrap();
    cases.push(("6/18 decimals, quote up 1/64", mixed, mid + (mid >> 6), Direction::SellQuote));
    // A stable pair (6 decimals, k = 0.001) pushed below one, back to i.
    let stable = pool(ONE, e(15), e(12), e(12));
    let pushed = dodo::sell_base(&stable, e(10) * U256::from(5u8), fees.lp, fees.mt).unwrap().state;
    cases.push(("stable pair below one, quote back to i", pushed, ONE, Direction::SellQuote));
    for (name, state, target, direction) in cases {
        let search = |state: &PmmState| match direction {
            Direction::SellBase => sizing::dodo::max_correcting_base_in(state, target, fees).unwrap(),
            Direction::SellQuote => sizing::dodo::max_correcting_quote_in(state, target, fees).unwrap(),
        };
        let time = |runs: u32, f: &dyn Fn() -> U256| {
            let start = Instant::now();
            for _ in 0..runs {
                black_box(f());
            }
            start.elapsed().as_secs_f64() * 1e6 / f64::from(runs)
        };
        let new = time(200, &|| search(black_box(&state)));
        let old = time(5, &|| doubling_and_bisection(black_box(&state), target, fees, direction));
        let (size, before) = (search(&state), doubling_and_bisection(&state, target, fees, direction));
        println!("{name}: {new:.0} µs per search, size {size} (doubling and bisection: {old:.0} µs, size {before})");
    }
}
