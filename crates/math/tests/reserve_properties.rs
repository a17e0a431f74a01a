//! Property tests for reserve sizing. Each property runs `PROPTEST_CASES`
//! cases (default 10,000).

use proptest::prelude::*;
use vault_math::reserve::{
    bridge_buffer, can_release, cantilever_holds, coverage, required_reserve, stabilization_throughput,
    PeakTracker,
};
use vault_math::U256;

mod common;
use common::cases;

fn amount() -> impl Strategy<Value = U256> {
    prop_oneof![Just(U256::ZERO), (0u128..u128::MAX).prop_map(U256::from)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// `P × T × safety` never falls when any input grows, and never rounds down.
    #[test]
    fn required_reserve_is_monotone(
        p in amount(), extra in amount(), t in 1u64..1_440, dt in 0u64..100,
        safety in 10_000u64..1_000_000, ds in 0u64..10_000,
    ) {
        let base = required_reserve(p, t, safety).unwrap();
        let p2 = p.saturating_add(extra);
        prop_assert!(required_reserve(p2, t, safety).unwrap() >= base);
        prop_assert!(required_reserve(p, t + dt, safety).unwrap() >= base);
        prop_assert!(required_reserve(p, t, safety + ds).unwrap() >= base);
        // Rounded up: required × 10,000 ≥ P × T × safety, by less than 10,000.
        let exact = p * U256::from(t) * U256::from(safety);
        let scaled = base * U256::from(10_000u64);
        prop_assert!(scaled >= exact && scaled - exact < U256::from(10_000u64));
    }

    /// The bridge buffer grows with the outflow and the latency, rounded up.
    #[test]
    fn bridge_buffer_is_monotone(p in amount(), extra in amount(), latency in 1u64..604_800, dl in 0u64..3_600) {
        let base = bridge_buffer(p, latency).unwrap();
        prop_assert!(bridge_buffer(p.saturating_add(extra), latency).unwrap() >= base);
        prop_assert!(bridge_buffer(p, latency + dl).unwrap() >= base);
        let exact = p * U256::from(latency);
        prop_assert!(base * U256::from(60u8) >= exact && base * U256::from(60u8) - exact < U256::from(60u8));
    }

    /// More size or frequency never breaks a cantilever that held.
    #[test]
    fn cantilever_is_monotone(s in amount(), f in 1u64..10_000, delta in amount(), ds in 0u64..1_000) {
        let holds = cantilever_holds(s, f, delta).unwrap();
        prop_assert_eq!(holds, stabilization_throughput(s, f).unwrap() >= delta);
        if holds {
            prop_assert!(cantilever_holds(s.saturating_add(U256::from(ds)), f, delta).unwrap());
            prop_assert!(cantilever_holds(s, f + 1, delta).unwrap());
        }
    }

    /// A release is allowed exactly when it keeps the reserve at its requirement,
    /// and the coverage figures add up.
    #[test]
    fn release_keeps_the_requirement(actual in amount(), required in amount(), amount in amount()) {
        let c = coverage(required, actual);
        prop_assert_eq!(c.healthy, actual >= required);
        prop_assert!(c.shortfall.is_zero() || c.surplus.is_zero());
        prop_assert_eq!(actual + c.shortfall, required + c.surplus);
        let allowed = can_release(actual, required, amount);
        prop_assert_eq!(allowed, amount <= actual && actual - amount >= required);
        if allowed {
            prop_assert!(amount <= c.surplus);
        }
    }

    /// The tracked peak is never below the true largest minute of the last
    /// `window` minutes, and never counts a minute older than two windows.
    #[test]
    fn peak_never_understates_the_rolling_max(
        window in 1u64..30,
        steps in proptest::collection::vec((0u64..20, 0u64..1_000), 1..60),
    ) {
        let mut tracker = PeakTracker::default();
        let mut minute = 0u64;
        let mut totals: Vec<(u64, u64)> = Vec::new();
        for (gap, amount) in steps {
            minute += gap;
            tracker = tracker.record(minute, U256::from(amount), window).unwrap();
            match totals.last_mut() {
                Some((m, total)) if *m == minute => *total += amount,
                _ => totals.push((minute, amount)),
            }
            let peak = tracker.peak(minute, window);
            let recent = totals.iter().filter(|(m, _)| m + window > minute).map(|(_, t)| *t).max().unwrap_or(0);
            let oldest_counted = (minute / window).saturating_sub(1) * window;
            let bound = totals.iter().filter(|(m, _)| *m >= oldest_counted).map(|(_, t)| *t).max().unwrap_or(0);
            prop_assert!(peak >= U256::from(recent), "peak {} below the rolling max {}", peak, recent);
            prop_assert!(peak <= U256::from(bound), "peak {} counts a minute older than two windows", peak);
        }
    }
}
