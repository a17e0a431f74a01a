//! Property tests for the stored observation ring, the gap-filled TWAP, the
//! live sustain streak and the pool deviation with token decimals: the
//! logic the FlashContainment contract runs over its storage.
//!
//! Each property runs `PROPTEST_CASES` cases (default 10,000).

use std::collections::VecDeque;

use proptest::prelude::*;
use vault_math::deviation::{price_deviation_bps, Bps};
use vault_math::observation::{
    gap_fill, mean_toward_zero, pool_deviation_bps, twap_from_cumulatives, Observation, ObservationSlots,
    RingCursor, SustainTracker, MAX_TOKEN_DECIMALS, SCALED_PRICE_LIMIT,
};
use vault_math::U256;

mod common;
use common::cases;

/// A ring's storage as a `Vec`, one observation per slot.
struct Slots(Vec<Observation>);

impl ObservationSlots for Slots {
    fn read(&self, slot: u64) -> Observation {
        self.0[usize::try_from(slot).unwrap()]
    }
}

/// A stored ring exactly as the contract keeps it: slots and a cursor.
struct StoredRing {
    slots: Slots,
    cursor: RingCursor,
}

impl StoredRing {
    fn new(capacity: u64) -> Self {
        Self {
            slots: Slots(vec![Observation::default(); usize::try_from(capacity).unwrap()]),
            cursor: RingCursor { capacity, count: 0 },
        }
    }

    /// Records like `poke`: returns whether the observation was stored.
    fn record(&mut self, block: u64, dev: Bps) -> bool {
        let latest = self.cursor.latest_slot().map(|s| self.slots.read(s));
        match self.cursor.append(latest, block, dev).unwrap() {
            Some((slot, observation, next)) => {
                self.slots.0[usize::try_from(slot).unwrap()] = observation;
                self.cursor = next;
                true
            }
            None => false,
        }
    }

    fn retained(&self) -> Vec<Observation> {
        (0..self.cursor.len()).map(|i| self.slots.read(self.cursor.slot(i).unwrap())).collect()
    }

    fn twap(&self, now: u64, window: u64) -> Option<Bps> {
        self.cursor.twap(&self.slots, now, window).unwrap()
    }
}

/// The gap-filled per-block value of the module docs, from the list of
/// every observation ever accepted (strictly increasing blocks).
fn model_value(accepted: &[(u64, Bps)], block: u64) -> Option<Bps> {
    let idx = accepted.iter().rposition(|&(b, _)| b <= block)?;
    let (b, d) = accepted[idx];
    if b == block {
        return Some(d);
    }
    Some(accepted.get(idx + 1).map_or(d, |&(_, next)| gap_fill(d, next)))
}

/// The model TWAP: the plain average of the per-block values of the window,
/// truncated toward zero; `None` when the window starts before the oldest
/// retained observation (or before block 0).
fn model_twap(accepted: &[(u64, Bps)], oldest_retained: u64, now: u64, window: u64) -> Option<Bps> {
    let from = (now + 1).checked_sub(window)?;
    if from < oldest_retained {
        return None;
    }
    let sum: i128 = (from..=now).map(|b| i128::from(model_value(accepted, b).unwrap())).sum();
    Some(Bps::try_from(sum / i128::from(window)).unwrap())
}

fn check_stored_ring(
    capacity: u64,
    start: u64,
    steps: &[(u64, Bps)],
    queries: &[(u64, u64)],
) -> Result<(), TestCaseError> {
    let mut ring = StoredRing::new(capacity);
    let mut accepted: Vec<(u64, Bps)> = Vec::new();
    let mut block = start;
    for &(delta, dev) in steps {
        block += delta;
        let stored = ring.record(block, dev);
        let fresh = accepted.last().is_none_or(|&(b, _)| block > b);
        prop_assert_eq!(stored, fresh, "only the first observation of a block is stored");
        if fresh {
            accepted.push((block, dev));
        }
    }
    // What is retained: the last `capacity` observations, with cumulative
    // sums of the model values since the very first observation.
    let retained = ring.retained();
    let keep = accepted.len().min(usize::try_from(capacity).unwrap());
    prop_assert_eq!(retained.len(), keep);
    for (o, &(b, d)) in retained.iter().zip(&accepted[accepted.len() - keep..]) {
        prop_assert_eq!((o.block, o.deviation_bps), (b, d));
        let first = accepted[0].0;
        let sum: i128 = (first..b).map(|x| i128::from(model_value(&accepted, x).unwrap())).sum();
        prop_assert_eq!(o.cumulative, sum);
    }
    for &(ahead, window) in queries {
        let Some(&(last, _)) = accepted.last() else {
            prop_assert_eq!(ring.twap(start + ahead, window), None);
            continue;
        };
        let now = last + ahead;
        let expected = model_twap(&accepted, retained[0].block, now, window);
        prop_assert_eq!(ring.twap(now, window), expected, "now {} window {}", now, window);
    }
    Ok(())
}

/// A deviation in bps, mostly small, sometimes extreme.
fn deviation() -> impl Strategy<Value = Bps> {
    prop_oneof![
        6 => -300i32..300,
        2 => -10_000i32..=10_000,
        1 => Just(Bps::MAX),
        1 => Just(-10_000),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// The cursor keeps exactly the newest `capacity` observations in the
    /// right slots through any number of wraps, like a bounded deque.
    #[test]
    fn cursor_wraps_like_a_bounded_deque(capacity in 1u64..10, pushes in 0usize..80) {
        let mut ring = StoredRing::new(capacity);
        let mut model: VecDeque<u64> = VecDeque::new();
        for i in 0..pushes {
            let block = 1 + i as u64;
            prop_assert!(ring.record(block, 0));
            model.push_back(block);
            if model.len() as u64 > capacity {
                model.pop_front();
            }
            prop_assert_eq!(ring.cursor.count, block);
            prop_assert_eq!(ring.cursor.len(), model.len() as u64);
            let retained: Vec<u64> = ring.retained().iter().map(|o| o.block).collect();
            prop_assert_eq!(&retained, &Vec::from(model.clone()));
            // The newest slot is the one just written, the next write goes to the oldest.
            prop_assert_eq!(ring.cursor.latest_slot(), Some((block - 1) % capacity));
            if model.len() as u64 == capacity {
                prop_assert_eq!(ring.cursor.slot(0), Some(block % capacity));
            }
        }
    }

    /// The stored ring's TWAP equals the plain average of the gap-filled
    /// per-block values, for every capacity (wrapping included), repeats in
    /// a block, gaps, and windows starting anywhere (inside gaps too).
    #[test]
    fn stored_twap_matches_the_gap_filled_model(
        start in 0u64..1_000_000,
        steps in proptest::collection::vec((0u64..5, deviation()), 0..40),
        queries in proptest::collection::vec((0u64..10, prop_oneof![1u64..8, 1u64..70]), 1..8),
    ) {
        for capacity in [1, 2, 5, 64] {
            check_stored_ring(capacity, start, &steps, &queries)?;
        }
    }

    /// An observation packs into one storage word and back, exactly.
    #[test]
    fn limbs_round_trip(block in any::<u64>(), dev in any::<i32>(), cumulative in any::<i128>()) {
        let o = Observation { block, deviation_bps: dev, cumulative };
        prop_assert_eq!(Observation::from_limbs(o.to_limbs()), o);
    }

    /// A block nobody observed is never credited beyond either neighbour.
    #[test]
    fn gap_fill_stays_between_zero_and_both_neighbours(a in any::<i32>(), b in any::<i32>()) {
        let f = gap_fill(a, b);
        prop_assert_eq!(f, gap_fill(b, a));
        prop_assert!(f.unsigned_abs() <= a.unsigned_abs() && f.unsigned_abs() <= b.unsigned_abs());
        prop_assert!(f == 0 || (f.signum() == a.signum() && f.signum() == b.signum()));
    }

    /// One manipulated observation `X` (a poke inside a flash loan) among
    /// honest ones within `±h` weighs one block of the window: the `W`-block
    /// TWAP stays within `(max(|X|, h) + (W − 1)·h) / W`, however many blocks went
    /// unobserved, as soon as any later block is observed (or the current
    /// block is the spike's own). With the neighbouring blocks observed, it
    /// moves the TWAP by `(X − d)/W` (± 1 for truncation) against the honest
    /// value `d` it replaced.
    #[test]
    fn one_observation_weighs_one_block_of_the_window(
        h in 0i32..200,
        honest in proptest::collection::vec((1u64..4, -1_000i32..1_000), 2..30),
        spike_at in any::<prop::sample::Index>(),
        spike in any::<i32>(),
        ahead in 0u64..4,
        window in 1u64..40,
    ) {
        let mut blocks = Vec::new();
        let mut block = 100;
        for &(delta, dev) in &honest {
            block += delta;
            // Honest values lie in ±h.
            blocks.push((block, dev.clamp(-h, h)));
        }
        let k = spike_at.index(blocks.len());
        let (spike_block, replaced) = blocks[k];
        let mut attacked = StoredRing::new(64);
        let mut clean = StoredRing::new(64);
        for &(b, d) in &blocks {
            attacked.record(b, if b == spike_block { spike } else { d });
            clean.record(b, d);
        }
        let last = blocks.last().unwrap().0;
        let now = if k + 1 == blocks.len() { last } else { last + ahead };
        if let Some(twap) = attacked.twap(now, window) {
            let largest = spike.unsigned_abs().max(h.unsigned_abs());
            let bound = i128::from(largest) + i128::from(window - 1) * i128::from(h);
            prop_assert!(
                i128::from(twap.unsigned_abs()) * i128::from(window) <= bound,
                "twap {} window {} spike {} h {}", twap, window, spike, h
            );
            let observed_around = (k == 0 || blocks[k - 1].0 + 1 == spike_block)
                && blocks.get(k + 1).is_none_or(|&(b, _)| b == spike_block + 1);
            if observed_around && now + 1 - window <= spike_block {
                let diff = i128::from(twap) - i128::from(clean.twap(now, window).unwrap());
                let moved = (i128::from(spike) - i128::from(replaced)).abs() / i128::from(window);
                prop_assert!(diff.abs() <= moved + 1, "diff {} moved {}", diff, moved);
            }
        }
    }

    /// Manipulated observations past the threshold, of either sign, in at
    /// most `N − 1` blocks of any `2N − 1` (the rest in band or unobserved)
    /// never sustain; a real deviation observed in `N` consecutive blocks,
    /// or in `N` of `2N − 1` with dips into the band or sign flips between,
    /// sustains exactly at its `N`-th block past the threshold.
    #[test]
    fn only_n_blocks_past_the_threshold_within_the_span_sustain(
        n in 2u64..8,
        threshold in 0u32..500,
        runs in proptest::collection::vec((0u64..3, 0u64..8, any::<bool>(), 1u32..5_000), 1..12),
        real in proptest::collection::vec((any::<bool>(), any::<bool>()), 8),
    ) {
        let past = |sign: bool, extra: u32| {
            let magnitude = Bps::try_from(threshold + extra).unwrap();
            if sign { magnitude } else { -magnitude }
        };
        let span = 2 * n - 1;
        let mut t = SustainTracker::new();
        let mut block = 1u64;
        for &(gap, len, sign, extra) in &runs {
            // In band (observed) for a whole span, then up to N − 1 manipulated blocks.
            block += gap + span;
            t = t.observe(block, 0, threshold);
            for _ in 0..len.min(n - 1) {
                block += 1;
                t = t.observe(block, past(sign, extra), threshold);
                for now in block..block + 3 {
                    prop_assert!(!t.is_sustained_at(now, n));
                }
            }
        }
        // A real deviation past the threshold in N blocks, each one followed
        // by a dip into the band when its flag says so (never two dips in a
        // row: the rule's span allows N − 1 dips), signs as drawn.
        block += span;
        let (mut seen, mut reals) = (0, Vec::new());
        for (i, &(sign, dip)) in real.iter().enumerate().take(usize::try_from(n).unwrap()) {
            block += 1;
            t = t.observe(block, past(sign, 1), threshold);
            seen += 1;
            reals.push(block);
            prop_assert_eq!(t.is_sustained_at(block, n), seen == n, "block {} of the real run", i);
            prop_assert_eq!(t.live_sign(block), if sign { 1 } else { -1 });
            if dip && seen < n {
                block += 1;
                t = t.observe(block, 0, threshold);
                prop_assert!(!t.is_sustained_at(block, n));
            }
        }
        // In the next block it holds while N of them are still in its span.
        let in_span = reals.iter().filter(|&&b| b + span > block + 1).count() as u64;
        prop_assert_eq!(t.is_sustained_at(block + 1, n), in_span >= n, "the next block");
        prop_assert!(!t.is_sustained_at(block + 2, n), "a whole unobserved block ends it");
    }

    /// Applying only the difference of the decimals to one side equals
    /// scaling both prices to a common unit; adding `k` decimals to a token
    /// and `k` digits to the raw price changes nothing.
    #[test]
    fn pool_deviation_applies_the_decimals_exactly(
        mid in 0u128..(1u128 << 100),
        oracle in 1u128..(1u128 << 100),
        base in 0u8..=MAX_TOKEN_DECIMALS,
        quote in 0u8..=MAX_TOKEN_DECIMALS,
        k in 0u8..10,
    ) {
        let pow = |e: u8| U256::from(10u8).pow(U256::from(e));
        let (mid, oracle) = (U256::from(mid), U256::from(oracle));
        let got = pool_deviation_bps(mid, oracle, base, quote).unwrap();
        prop_assert_eq!(got, price_deviation_bps(mid * pow(base), oracle * pow(quote)).unwrap());
        if quote + k <= MAX_TOKEN_DECIMALS {
            prop_assert_eq!(pool_deviation_bps(mid * pow(k), oracle, base, quote + k), Ok(got));
        }
        if base + k <= MAX_TOKEN_DECIMALS {
            prop_assert_eq!(pool_deviation_bps(mid, oracle * pow(k), base + k, quote), Ok(got));
        }
    }

    /// Over the whole accepted range (scaled prices below `2^225`, any
    /// ratio, saturation included), the bit-by-bit quotient equals
    /// `price_deviation_bps`; at or above the limit it is refused.
    #[test]
    fn pool_deviation_equals_price_deviation_over_its_range(
        price_bits in 0usize..=225, price_seed in any::<[u64; 4]>(),
        reference_bits in 1usize..=225, reference_seed in any::<[u64; 4]>(),
    ) {
        let below = |bits: usize, seed: [u64; 4]| {
            let mask = (U256::from(1u8) << bits) - U256::from(1u8);
            U256::from_limbs(seed) & mask & (SCALED_PRICE_LIMIT - U256::from(1u8))
        };
        let price = below(price_bits, price_seed);
        let reference = below(reference_bits, reference_seed).max(U256::from(1u8));
        prop_assert_eq!(pool_deviation_bps(price, reference, 0, 0), price_deviation_bps(price, reference));
        let over = SCALED_PRICE_LIMIT + price;
        prop_assert!(pool_deviation_bps(over, reference, 0, 0).is_err());
        prop_assert!(pool_deviation_bps(reference, over, 0, 0).is_err());
    }

    /// The contract's long division equals `twap_from_cumulatives` (i128
    /// division truncating toward zero), overflow included.
    #[test]
    fn mean_toward_zero_equals_twap_from_cumulatives(
        sum in prop_oneof![any::<i128>(), -(1i128 << 100)..(1i128 << 100), -100_000i128..100_000],
        count in prop_oneof![1u64..5_000, any::<u64>()],
    ) {
        prop_assert_eq!(mean_toward_zero(sum, count), twap_from_cumulatives(0, sum, count));
        prop_assert_eq!(mean_toward_zero(sum, 0), twap_from_cumulatives(0, sum, 0));
    }
}
