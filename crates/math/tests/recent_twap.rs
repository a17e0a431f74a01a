//! `RingCursor::recent_twap` (what FlashContainment reads its TWAP with)
//! against the whole-ring `RingCursor::twap`.

use vault_math::observation::{Observation, ObservationSlots, RingCursor};

/// An in-memory ring that counts its distinct slot reads.
struct Slots(Vec<Observation>, core::cell::RefCell<Vec<u64>>);

impl ObservationSlots for Slots {
    fn read(&self, slot: u64) -> Observation {
        let mut seen = self.1.borrow_mut();
        if !seen.contains(&slot) {
            seen.push(slot);
        }
        self.0[usize::try_from(slot).unwrap()]
    }
}

/// `recent_twap` answers exactly as the full cursor's `twap` (value,
/// `None` or error) on rings with and without gaps, wrapped or not, for
/// every block and window near the history, and reads two slots when every
/// block is observed.
#[test]
fn recent_twap_matches_the_full_ring() {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |bound: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % bound
    };
    for case in 0..400u64 {
        let capacity = 1 + next(12);
        let appended = next(30);
        let gappy = case % 2 == 1;
        let mut slots = vec![Observation::default(); usize::try_from(capacity).unwrap()];
        let mut cursor = RingCursor { capacity, count: 0 };
        let mut latest = None;
        let mut block = 50 + next(5);
        for _ in 0..appended {
            block += if gappy { 1 + next(4) } else { 1 };
            let deviation = i32::try_from(next(400)).unwrap() - 200;
            let (slot, observation, after) = cursor.append(latest, block, deviation).unwrap().unwrap();
            slots[usize::try_from(slot).unwrap()] = observation;
            (cursor, latest) = (after, Some(observation));
        }
        let ring = Slots(slots, core::cell::RefCell::default());
        for now in block.saturating_sub(3)..block + 6 {
            for window in 0..12 {
                let full = cursor.twap(&ring, now, window);
                ring.1.borrow_mut().clear();
                let recent = cursor.recent_twap(&ring, now, window);
                assert_eq!(recent, full, "case {case}: block {now}, window {window}, {cursor:?}");
                let reads = ring.1.borrow().len();
                if !gappy && now == block && window >= 2 && full.is_ok_and(|t| t.is_some()) {
                    assert_eq!(reads, 2, "case {case}: block {now}, window {window}");
                }
            }
        }
    }
}
