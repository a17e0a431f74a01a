//! Per-block observations: a cumulative TWAP ring buffer and a sustain
//! tracker, keyed by **L2** block number (`u64`).
//!
//! # TWAP
//!
//! Each block `b` has the value `v(b)` = the deviation of the latest
//! observation at or before `b` (carried forward; the standard cumulative
//! TWAP). An [`Observation`] stores `cumulative = Σ v(b)` over all blocks from
//! the first observation up to, but excluding, its own block. The TWAP at
//! block `T` over `W` blocks averages the `W` blocks `T−W+1 ..= T` (the current
//! block's observation, if any, counts), truncated toward zero like every
//! deviation in this crate. It needs an observation at or before block
//! `T−W+1`; with less history it is refused (no trigger without evidence).
//!
//! At most one observation per block: a second `record` in a block that
//! already has one is **ignored** (reported, not an error), so the first
//! poke in a block fixes that block's value and later calls in the same block
//! (for example after a flash-loan move) cannot overwrite it. Blocks going
//! backwards are refused.
//!
//! Note: carry-forward credits a value to every following unobserved block.
//! That is why the trigger must also pass the [`SustainTracker`], which does
//! not credit unobserved blocks.
//!
//! # Sustain rule (decision)
//!
//! [`SustainTracker`] counts consecutive **observed** L2 blocks whose
//! deviation is past the threshold (`|dev| > threshold`, strictly) with the
//! same sign:
//!
//! * same sign, past the threshold, in the block right after the previous
//!   observation: streak + 1;
//! * a **gap** (one or more blocks with no observation between two
//!   observations): the streak restarts at 1 at the new observation (if it is
//!   past the threshold). An unobserved block cannot be proven to have been
//!   deviated, so a manipulator gets no credit for blocks nobody saw;
//! * sign flip: streak restarts at 1 with the new sign;
//! * `|dev| ≤ threshold`: streak 0, sign 0;
//! * same block again, or an older block: ignored (the tracker is unchanged).
//!   Block 0 (L2 genesis, no transactions) therefore never counts.
//!
//! Both types are plain data: a contract can keep the fields in its own
//! storage and call the pure functions ([`Observation::next`],
//! [`Observation::cumulative_at`], [`twap_from_cumulatives`],
//! [`SustainTracker::observe`]); the simulator can use [`ObservationRing`]
//! directly.

use crate::deviation::Bps;
use crate::{MathError, MathResult};

/// One recorded observation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Observation {
    /// L2 block number it was taken in.
    pub block: u64,
    /// Deviation observed in that block (bps).
    pub deviation_bps: Bps,
    /// `Σ v(b)` for the blocks before `block` (since the first observation).
    pub cumulative: i128,
}

impl Observation {
    /// The first observation of a series (cumulative zero).
    pub const fn first(block: u64, deviation_bps: Bps) -> Self {
        Self { block, deviation_bps, cumulative: 0 }
    }

    /// The observation that follows `self` at a later `block`.
    ///
    /// # Errors
    /// [`MathError::InvalidInput`] unless `block > self.block`;
    /// [`MathError::Overflow`] never in practice (`|Σ| < 2^95`).
    pub fn next(&self, block: u64, deviation_bps: Bps) -> MathResult<Self> {
        if block <= self.block {
            return Err(MathError::InvalidInput);
        }
        Ok(Self { block, deviation_bps, cumulative: self.cumulative_at(block)? })
    }

    /// Cumulative sum `Σ v(b)` for blocks before `block`, extrapolating this
    /// observation's value forward.
    ///
    /// # Errors
    /// [`MathError::InvalidInput`] when `block < self.block`.
    pub fn cumulative_at(&self, block: u64) -> MathResult<i128> {
        let elapsed = block.checked_sub(self.block).ok_or(MathError::InvalidInput)?;
        i128::from(self.deviation_bps)
            .checked_mul(i128::from(elapsed))
            .and_then(|x| x.checked_add(self.cumulative))
            .ok_or(MathError::Overflow)
    }
}

/// Average over `window` blocks from two cumulative sums, truncated toward
/// zero (a trigger must not be created by rounding).
///
/// # Errors
/// [`MathError::InvalidInput`] for `window == 0`; [`MathError::Overflow`] if
/// the average does not fit [`Bps`] (impossible for sums of [`Bps`] values).
pub fn twap_from_cumulatives(start: i128, end: i128, window: u64) -> MathResult<Bps> {
    if window == 0 {
        return Err(MathError::InvalidInput);
    }
    let sum = end.checked_sub(start).ok_or(MathError::Overflow)?;
    // i128 division truncates toward zero.
    Bps::try_from(sum / i128::from(window)).map_err(|_| MathError::Overflow)
}

/// Outcome of [`ObservationRing::record`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// Stored as the newest observation.
    Stored,
    /// The block already has an observation; this one was ignored.
    SameBlockIgnored,
}

/// Fixed-capacity ring of observations (`N ≥ 1`, no allocation). When full,
/// the oldest observation is overwritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObservationRing<const N: usize> {
    slots: [Observation; N],
    /// Physical index of the oldest observation.
    start: usize,
    len: usize,
}

impl<const N: usize> Default for ObservationRing<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> ObservationRing<N> {
    /// An empty ring.
    pub const fn new() -> Self {
        Self { slots: [Observation::first(0, 0); N], start: 0, len: 0 }
    }

    /// Number of stored observations (at most `N`).
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been recorded yet.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `idx`-th retained observation, oldest first.
    pub fn get(&self, idx: usize) -> Option<Observation> {
        if idx >= self.len {
            return None;
        }
        self.slots.get((self.start + idx) % N).copied()
    }

    /// Newest observation.
    pub fn latest(&self) -> Option<Observation> {
        self.len.checked_sub(1).and_then(|i| self.get(i))
    }

    /// Oldest retained observation.
    pub fn oldest(&self) -> Option<Observation> {
        self.get(0)
    }

    /// Records the deviation seen in `block`. At most one observation per
    /// block: a repeat in the same block is ignored
    /// ([`Recorded::SameBlockIgnored`]).
    ///
    /// # Errors
    /// [`MathError::InvalidInput`] for `N == 0` or a block older than the
    /// latest observation.
    pub fn record(&mut self, block: u64, deviation_bps: Bps) -> MathResult<Recorded> {
        if N == 0 {
            return Err(MathError::InvalidInput);
        }
        let obs = match self.latest() {
            None => Observation::first(block, deviation_bps),
            Some(last) if last.block == block => return Ok(Recorded::SameBlockIgnored),
            Some(last) => last.next(block, deviation_bps)?,
        };
        if self.len < N {
            let idx = (self.start + self.len) % N;
            if let Some(slot) = self.slots.get_mut(idx) {
                *slot = obs;
            }
            self.len += 1;
        } else {
            if let Some(slot) = self.slots.get_mut(self.start) {
                *slot = obs;
            }
            self.start = (self.start + 1) % N;
        }
        Ok(Recorded::Stored)
    }

    /// Latest retained observation at or before `block` (binary search).
    fn at_or_before(&self, block: u64) -> Option<Observation> {
        // Invariant: obs(lo) <= block < obs(hi) (hi may be len).
        let first = self.get(0)?;
        if first.block > block {
            return None;
        }
        let (mut lo, mut hi) = (0usize, self.len);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid) {
                Some(o) if o.block <= block => lo = mid,
                _ => hi = mid,
            }
        }
        self.get(lo)
    }

    /// Cumulative `Σ v(b)` for blocks before `block`.
    ///
    /// # Errors
    /// [`MathError::InvalidInput`] when no retained observation is at or
    /// before `block`.
    pub fn cumulative_at(&self, block: u64) -> MathResult<i128> {
        self.at_or_before(block).ok_or(MathError::InvalidInput)?.cumulative_at(block)
    }

    /// Time-weighted deviation over the `window` blocks ending at (and
    /// including) `current_block`, truncated toward zero.
    ///
    /// # Errors
    /// [`MathError::InvalidInput`] for `window == 0`, `window >
    /// current_block + 1`, `current_block` older than the latest observation,
    /// or too little retained history (oldest observation after
    /// `current_block − window + 1`).
    pub fn twap(&self, current_block: u64, window: u64) -> MathResult<Bps> {
        let latest = self.latest().ok_or(MathError::InvalidInput)?;
        if window == 0 || current_block < latest.block {
            return Err(MathError::InvalidInput);
        }
        let end = current_block.checked_add(1).ok_or(MathError::Overflow)?;
        let start = end.checked_sub(window).ok_or(MathError::InvalidInput)?;
        let c_end = latest.cumulative_at(end)?;
        let c_start = self.cumulative_at(start)?;
        twap_from_cumulatives(c_start, c_end, window)
    }
}

/// Counts consecutive observed L2 blocks past a threshold with one sign. See
/// the module docs for the exact rule (gaps reset the streak).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SustainTracker {
    /// Sign of the current streak: `1`, `-1`, or `0` for no streak.
    pub sign: i8,
    /// Number of consecutive observed blocks in the streak.
    pub streak: u64,
    /// Block of the last accepted observation (0 = none yet).
    pub last_block: u64,
}

impl SustainTracker {
    /// A tracker with no observations.
    pub const fn new() -> Self {
        Self { sign: 0, streak: 0, last_block: 0 }
    }

    /// The tracker after observing `deviation_bps` in `block` against
    /// `threshold_bps` (past means `|dev| > threshold`). Pure: returns the
    /// new value.
    #[must_use]
    pub fn observe(self, block: u64, deviation_bps: Bps, threshold_bps: u32) -> Self {
        if block <= self.last_block {
            // Same block twice, or out of order: ignored.
            return self;
        }
        if deviation_bps.unsigned_abs() <= threshold_bps {
            return Self { sign: 0, streak: 0, last_block: block };
        }
        let sign: i8 = if deviation_bps > 0 { 1 } else { -1 };
        let continues = self.streak > 0 && self.sign == sign && self.last_block.checked_add(1) == Some(block);
        Self { sign, streak: if continues { self.streak.saturating_add(1) } else { 1 }, last_block: block }
    }

    /// Whether the streak, as of the last observation, covers at least `n`
    /// blocks (`n = 0` is treated as 1: at least one observation past the
    /// threshold).
    pub fn is_sustained(&self, n: u64) -> bool {
        self.streak >= n.max(1)
    }

    /// [`Self::is_sustained`] and the last observation is in `current_block`:
    /// what a contract should check after poking in the same block.
    pub fn is_sustained_at(&self, current_block: u64, n: u64) -> bool {
        self.last_block == current_block && self.is_sustained(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twap_carries_forward() {
        let mut ring = ObservationRing::<4>::new();
        assert_eq!(ring.record(10, 100), Ok(Recorded::Stored));
        assert_eq!(ring.record(10, 9_999), Ok(Recorded::SameBlockIgnored));
        assert_eq!(ring.twap(12, 3), Ok(100));
        assert_eq!(ring.record(13, -50), Ok(Recorded::Stored));
        // Blocks 10,11,12 = 100; 13,14 = -50.
        assert_eq!(ring.twap(14, 5), Ok((300 - 100) / 5));
        // Only the current block or later can be queried.
        assert_eq!(ring.twap(12, 3), Err(MathError::InvalidInput));
        // Window 11..=14: 100+100-50-50 = 100 → 25.
        assert_eq!(ring.twap(14, 4), Ok(25));
        // Window 11..=13: 100+100-50 = 150 → 50.
        assert_eq!(ring.twap(13, 3), Ok(50));
        // Not enough history before block 10.
        assert_eq!(ring.twap(14, 6), Err(MathError::InvalidInput));
        assert_eq!(ring.record(12, 1), Err(MathError::InvalidInput));
    }

    #[test]
    fn twap_truncates_toward_zero() {
        let mut ring = ObservationRing::<2>::new();
        assert!(ring.record(1, -1).is_ok());
        assert!(ring.record(2, 0).is_ok());
        // (−1 + 0) / 2 = −0.5 → 0.
        assert_eq!(ring.twap(2, 2), Ok(0));
    }

    #[test]
    fn ring_wraps() {
        let mut ring = ObservationRing::<2>::new();
        for (b, v) in [(1u64, 10), (2, 20), (3, 30)] {
            assert_eq!(ring.record(b, v), Ok(Recorded::Stored));
        }
        assert_eq!(ring.len(), 2);
        assert_eq!(ring.oldest().map(|o| o.block), Some(2));
        assert_eq!(ring.latest().map(|o| o.cumulative), Some(30));
        assert_eq!(ring.twap(3, 2), Ok(25));
        assert_eq!(ring.twap(3, 3), Err(MathError::InvalidInput));
        let mut empty = ObservationRing::<0>::new();
        assert_eq!(empty.record(1, 1), Err(MathError::InvalidInput));
    }

    #[test]
    fn sustain_rules() {
        let t = SustainTracker::new();
        let t = t.observe(5, 60, 50);
        assert_eq!((t.sign, t.streak), (1, 1));
        let t = t.observe(6, 70, 50);
        assert_eq!(t.streak, 2);
        // Same block: ignored.
        assert_eq!(t.observe(6, -500, 50), t);
        let t = t.observe(7, 51, 50);
        assert!(t.is_sustained(3) && t.is_sustained_at(7, 3) && !t.is_sustained_at(8, 3));
        // Gap (block 8 unobserved): restart at 1.
        let t = t.observe(9, 80, 50);
        assert_eq!(t.streak, 1);
        // Sign flip: restart at 1, negative.
        let t = t.observe(10, -80, 50);
        assert_eq!((t.sign, t.streak), (-1, 1));
        // At the threshold exactly: not past.
        let t = t.observe(11, -50, 50);
        assert_eq!((t.sign, t.streak), (0, 0));
        assert!(!t.is_sustained(0));
    }
}
