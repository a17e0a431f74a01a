//! Per-block observations: a cumulative TWAP ring buffer and a sustain
//! tracker, keyed by **L2** block number (`u64`).
//!
//! # TWAP of [`ObservationRing`] (carry-forward)
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
//! # Stored ring (what the FlashContainment contract keeps)
//!
//! A contract cannot hold an [`ObservationRing`] in memory: it keeps one
//! observation per storage slot ([`Observation::to_limbs`]) and a
//! [`RingCursor`] (capacity and the number of observations ever stored).
//! [`RingCursor::append`] and [`RingCursor::twap`] are the whole ring logic,
//! over any [`ObservationSlots`] (storage in the contract, a `Vec` in tests).
//!
//! The stored ring credits unobserved blocks differently, so that one
//! manipulated observation weighs exactly one block once a later
//! observation exists, however many blocks nobody observed:
//!
//! * an observed block counts its own observation;
//! * a block strictly **between** two observations `a` and `b` counts
//!   [`gap_fill`]`(a, b)`: the one of the two closer to zero when they have
//!   the same sign, zero when they differ in sign or either is zero. An
//!   unobserved block is never credited more than both of its neighbours
//!   agree on;
//! * a block **after** the latest observation counts the latest observation
//!   (carried forward: nothing later is known yet). This tail closes as soon
//!   as anyone observes a later block, and the gap is then re-credited by the
//!   rule above.
//!
//! Consequence ([`RingCursor::twap`]): if every other observation lies within
//! `±h`, the `W`-block TWAP with one observation `X` stays within
//! `(max(|X|, h) + (W − 1)·h) / W`: `X` weighs one block, however many
//! blocks around it went unobserved — unless `X` is the newest observation
//! and the current block is later, where it is carried forward until the
//! next observation. With its neighbouring blocks observed, replacing an
//! honest value `d` by `X` moves the TWAP by `(X − d)/W` (± 1 for the
//! truncation). `tests/observation_properties.rs` checks both.
//!
//! # Sustain rule (decision)
//!
//! [`SustainTracker`] keeps, for the last 64 L2 blocks, which ones were
//! observed past the threshold (`|dev| > θ`, strictly, **either sign**).
//! The deviation is **sustained** at block `T` when at least `N` of the
//! `2N − 1` blocks `T − 2N + 2 ..= T` were observed past `θ`, and the newest
//! observation is live (from `T` or `T − 1`) and past `θ`; its sign is the
//! side to correct ([`SustainTracker::is_sustained_at`]).
//!
//! Why not "`N` consecutive blocks past `θ` with one sign": that rule is
//! beaten without any manipulated observation. A pool an attacker flips
//! between `+15` and `−15` bps every block, or dips into the band every other
//! block (`−20`, `−5`, `−20`, …), never shows two consecutive same-sign
//! blocks past `θ = 8`, and was never corrected (measured). A signed TWAP
//! does not help against the first (it averages to 0). Counting blocks past
//! `θ` of either sign within `2N − 1` catches both, and the side to correct
//! is the newest observation's, checked again against the pool's spot price
//! by the Stabilizer. One block, or `N − 1` of them, can never be
//! sustained. A block nobody observed counts as in band: an authorised
//! keeper observes exactly the blocks its own read shows past `θ`.
//!
//! Both types are plain data: a contract can keep the fields in its own
//! storage and call the pure functions ([`Observation::next`],
//! [`Observation::cumulative_at`], [`twap_from_cumulatives`],
//! [`SustainTracker::observe`]); the simulator can use [`ObservationRing`]
//! directly.
//!
//! # Pool deviation
//!
//! [`pool_deviation_bps`] compares a DODO pool's mid price (quote per base in
//! raw token units, 1e18 fixed point) with an oracle's human price (quote per
//! base, 18 decimals) exactly, whatever the two tokens' decimals. It equals
//! [`crate::deviation::price_deviation_bps`] of the two prices in a common
//! unit.

use crate::deviation::Bps;
use crate::{MathError, MathResult, U256};

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

/// Most `N` a [`SustainTracker`] supports: its span `2N − 1` fits the
/// 64-bit history.
pub const MAX_SUSTAIN_BLOCKS: u64 = 32;

/// The span of the sustain rule for `n`: `2n − 1` L2 blocks (the current
/// one included), so that a deviation an attacker dips into the band every
/// other block still counts `n` blocks past the threshold in it.
pub const fn sustain_span(n: u64) -> u64 {
    n.saturating_mul(2).saturating_sub(1)
}

/// Which of the recent L2 blocks were observed past the threshold, and the
/// newest observation's sign. See the module docs for the rule: a block
/// counts when its observation was past `θ` with either sign; a block
/// nobody observed counts as in band.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SustainTracker {
    /// Sign of the newest observation when it is past the threshold: `1`,
    /// `-1`, or `0` (in band, or none yet).
    pub sign: i8,
    /// Bit `i` set: block `last_block − i` was observed past the threshold.
    pub history: u64,
    /// Block of the last accepted observation (0 = none yet).
    pub last_block: u64,
}

impl SustainTracker {
    /// A tracker with no observations.
    pub const fn new() -> Self {
        Self { sign: 0, history: 0, last_block: 0 }
    }

    /// The tracker after observing `deviation_bps` in `block` against
    /// `threshold_bps` (past means `|dev| > threshold`). Pure: returns the
    /// new value. The same block again, or an older one, is ignored.
    #[must_use]
    pub fn observe(self, block: u64, deviation_bps: Bps, threshold_bps: u32) -> Self {
        if block <= self.last_block {
            return self;
        }
        let past = deviation_bps.unsigned_abs() > threshold_bps;
        let sign = match (past, deviation_bps > 0) {
            (false, _) => 0,
            (true, true) => 1,
            (true, false) => -1,
        };
        let history = self.history_at(block) | u64::from(past);
        Self { sign, history, last_block: block }
    }

    /// The history as seen from `current_block` (bit `i`: block
    /// `current_block − i`); empty before the last observation.
    pub fn history_at(&self, current_block: u64) -> u64 {
        match current_block.checked_sub(self.last_block) {
            Some(shift) if shift < 64 => self.history << shift,
            _ => 0,
        }
    }

    /// How many of the last [`sustain_span`]`(n)` L2 blocks up to
    /// `current_block` were observed past the threshold.
    pub fn count_at(&self, current_block: u64, n: u64) -> u64 {
        let span = sustain_span(n).min(64);
        let mask = if span >= 64 { u64::MAX } else { (1u64 << span) - 1 };
        u64::from((self.history_at(current_block) & mask).count_ones())
    }

    /// The sign to act on at `current_block`: the newest observation's
    /// when it is past the threshold and live (from `current_block` or the
    /// block before, whose successor may not be observed yet), else 0.
    pub fn live_sign(&self, current_block: u64) -> i8 {
        match current_block.checked_sub(self.last_block) {
            Some(0 | 1) => self.sign,
            _ => 0,
        }
    }

    /// The sustain rule at `current_block`: at least `n` of the last
    /// `2n − 1` blocks observed past the threshold, and the newest
    /// observation live and past it (`n = 0` is treated as 1).
    pub fn is_sustained_at(&self, current_block: u64, n: u64) -> bool {
        self.live_sign(current_block) != 0 && self.count_at(current_block, n) >= n.max(1)
    }
}

/// Value credited to each unobserved block strictly between an observation
/// `before` and the next one, `after`, in a stored ring: the one closer to
/// zero when both have the same sign, zero when they differ in sign or
/// either is zero. Never further from zero than either neighbour, so a block
/// nobody observed cannot carry a manipulated value beyond what the honest
/// side of the gap shows.
pub const fn gap_fill(before: Bps, after: Bps) -> Bps {
    if before > 0 && after > 0 {
        if before < after {
            before
        } else {
            after
        }
    } else if before < 0 && after < 0 {
        if before > after {
            before
        } else {
            after
        }
    } else {
        0
    }
}

impl Observation {
    /// The observation that follows `self` at a later `block` in a stored
    /// ring: `self`'s block counts `self`'s deviation and each block of the
    /// gap counts [`gap_fill`]`(self, new)`.
    ///
    /// # Errors
    /// [`MathError::InvalidInput`] unless `block > self.block`;
    /// [`MathError::Overflow`] never in practice (`|Σ| < 2^96`).
    pub fn next_filled(&self, block: u64, deviation_bps: Bps) -> MathResult<Self> {
        let gap =
            block.checked_sub(self.block).and_then(|d| d.checked_sub(1)).ok_or(MathError::InvalidInput)?;
        let fill = i128::from(gap_fill(self.deviation_bps, deviation_bps));
        let cumulative = fill
            .checked_mul(i128::from(gap))
            .and_then(|x| x.checked_add(i128::from(self.deviation_bps)))
            .and_then(|x| x.checked_add(self.cumulative))
            .ok_or(MathError::Overflow)?;
        Ok(Self { block, deviation_bps, cumulative })
    }

    /// Stored-ring cumulative `Σ v(b)` for the blocks before `block`, for a
    /// `block` from `self.block` up to `next.block`: the gap to `next` is
    /// credited [`gap_fill`]; with no `next` (`self` is the newest
    /// observation), `self`'s deviation is carried forward.
    ///
    /// # Errors
    /// [`MathError::InvalidInput`] when `block < self.block` or `block` is
    /// past `next.block`; [`MathError::Overflow`] never in practice.
    pub fn cumulative_at_filled(&self, next: Option<&Self>, block: u64) -> MathResult<i128> {
        let Some(next) = next else { return self.cumulative_at(block) };
        if block > next.block {
            return Err(MathError::InvalidInput);
        }
        match block.checked_sub(self.block) {
            None => Err(MathError::InvalidInput),
            Some(0) => Ok(self.cumulative),
            Some(elapsed) => i128::from(gap_fill(self.deviation_bps, next.deviation_bps))
                .checked_mul(i128::from(elapsed - 1))
                .and_then(|x| x.checked_add(i128::from(self.deviation_bps)))
                .and_then(|x| x.checked_add(self.cumulative))
                .ok_or(MathError::Overflow),
        }
    }

    /// The observation as four 64-bit limbs (one storage word, least
    /// significant first): the block, the deviation's two's-complement bits,
    /// then the low and high halves of the cumulative's two's complement.
    pub const fn to_limbs(self) -> [u64; 4] {
        let cumulative = self.cumulative.cast_unsigned();
        // Truncations keep the low 64 bits of each half, by design.
        #[allow(clippy::cast_possible_truncation)]
        let (low, high) = (cumulative as u64, (cumulative >> 64) as u64);
        [self.block, self.deviation_bps.cast_unsigned() as u64, low, high]
    }

    /// The inverse of [`Self::to_limbs`] (an all-zero word is the default
    /// observation).
    pub const fn from_limbs(limbs: [u64; 4]) -> Self {
        let [block, deviation, low, high] = limbs;
        // The deviation was stored from 32 bits: the truncation is exact.
        #[allow(clippy::cast_possible_truncation)]
        let deviation_bps = (deviation as u32).cast_signed();
        let cumulative = ((high as u128) << 64 | low as u128).cast_signed();
        Self { block, deviation_bps, cumulative }
    }
}

/// Read access to the slots of a stored ring (physical index `< capacity`).
pub trait ObservationSlots {
    /// The observation in `slot`.
    fn read(&self, slot: u64) -> Observation;
}

/// Where a stored ring of `capacity` slots stands after `count`
/// observations: the next one goes into slot `count % capacity`, and the
/// last `min(count, capacity)` are retained, the oldest in slot
/// `(count − len) % capacity`. A full ring overwrites its oldest slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingCursor {
    /// Number of slots (0 refuses every append).
    pub capacity: u64,
    /// Observations stored since the ring was created.
    pub count: u64,
}

impl RingCursor {
    /// Number of retained observations.
    pub const fn len(&self) -> u64 {
        if self.count < self.capacity {
            self.count
        } else {
            self.capacity
        }
    }

    /// Whether nothing has been stored.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Slot of the `index`-th retained observation, oldest first.
    pub const fn slot(&self, index: u64) -> Option<u64> {
        if index >= self.len() {
            return None;
        }
        // count − len + index < count: no overflow.
        Some((self.count - self.len() + index) % self.capacity)
    }

    /// Slot of the newest observation.
    pub const fn latest_slot(&self) -> Option<u64> {
        match self.len().checked_sub(1) {
            Some(index) => self.slot(index),
            None => None,
        }
    }

    /// Appends the deviation observed in `block` after `latest` (the
    /// observation in [`Self::latest_slot`], `None` when empty). Returns the
    /// slot to write, the observation to write there and the cursor after
    /// it; `None` when `block` is not after `latest` (a repeat in the same
    /// block is ignored: the first observation of a block stands).
    ///
    /// # Errors
    /// [`MathError::InvalidInput`] for a zero capacity; [`MathError::Overflow`]
    /// when `count` is at `u64::MAX` (never in practice).
    pub fn append(
        self,
        latest: Option<Observation>,
        block: u64,
        deviation_bps: Bps,
    ) -> MathResult<Option<(u64, Observation, Self)>> {
        if self.capacity == 0 {
            return Err(MathError::InvalidInput);
        }
        let observation = match latest {
            Some(last) if block <= last.block => return Ok(None),
            Some(last) => last.next_filled(block, deviation_bps)?,
            None => Observation::first(block, deviation_bps),
        };
        let count = self.count.checked_add(1).ok_or(MathError::Overflow)?;
        Ok(Some((self.count % self.capacity, observation, Self { capacity: self.capacity, count })))
    }

    /// The stored-ring TWAP over the `window` blocks ending at (and
    /// including) `current_block`, truncated toward zero, with unobserved
    /// blocks credited as the module docs say. `Ok(None)` when the retained
    /// history does not reach back to block `current_block − window + 1`
    /// (no answer without evidence). Reads at most `log2(len) + 3` slots.
    ///
    /// # Errors
    /// [`MathError::InvalidInput`] for `window == 0` or a `current_block`
    /// before the newest observation; [`MathError::Overflow`] never in
    /// practice.
    pub fn twap<S: ObservationSlots + ?Sized>(
        &self,
        slots: &S,
        current_block: u64,
        window: u64,
    ) -> MathResult<Option<Bps>> {
        if window == 0 {
            return Err(MathError::InvalidInput);
        }
        let (Some(latest_slot), Some(oldest_slot)) = (self.latest_slot(), self.slot(0)) else {
            return Ok(None);
        };
        let latest = slots.read(latest_slot);
        if current_block < latest.block {
            return Err(MathError::InvalidInput);
        }
        let end = current_block.checked_add(1).ok_or(MathError::Overflow)?;
        let Some(start) = end.checked_sub(window) else { return Ok(None) };
        if slots.read(oldest_slot).block > start {
            return Ok(None);
        }
        // Invariant: block(lo) <= start < block(hi); hi = len stands for +∞.
        let (mut lo, mut hi) = (0, self.len());
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            let slot = self.slot(mid).ok_or(MathError::InvalidInput)?;
            if slots.read(slot).block <= start {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let at = slots.read(self.slot(lo).ok_or(MathError::InvalidInput)?);
        let next = self.slot(lo + 1).map(|slot| slots.read(slot));
        let c_start = at.cumulative_at_filled(next.as_ref(), start)?;
        let c_end = latest.cumulative_at(end)?;
        mean_toward_zero(c_end.checked_sub(c_start).ok_or(MathError::Overflow)?, window).map(Some)
    }

    /// [`Self::twap`] over only the retained observations it can need: two
    /// slots when every block is observed, at most `2 + ⌈log2 W⌉` otherwise,
    /// however long the ring (over the whole ring the binary search reads up
    /// to `log2(len) + 3`: 15 cold slots with 4,096 retained). Same answer,
    /// error or `None` (see `Recent`; `tests/recent_twap.rs` checks it).
    ///
    /// # Errors
    /// As [`Self::twap`].
    pub fn recent_twap<S: ObservationSlots + ?Sized>(
        &self,
        slots: &S,
        current_block: u64,
        window: u64,
    ) -> MathResult<Option<Bps>> {
        let view = Recent::new(slots, *self, current_block, window);
        Self { capacity: view.len, count: view.len }.twap(&view, current_block, window)
    }
}

/// A ring of `len` virtual slots over the retained observations: slot 0 is
/// index `first`, slot `v > 0` index `total − len + v` (oldest first).
///
/// Blocks grow by at least one per index, so with `d = latest.block −
/// start` (`start` the window's first block) every index up to `total − 1
/// − d` has a block at most `start`: the observation the TWAP starts from
/// is at that index or later. The view is those last `d + 1` observations;
/// or, when the one at `total − 1 − d` is exactly at `start` (every block
/// observed), just it and the newest, since the TWAP then takes its
/// cumulative as it is and needs its successor only to be later than
/// `start`. Otherwise (too little history, no window) the whole ring.
struct Recent<'a, S: ?Sized> {
    slots: &'a S,
    cursor: RingCursor,
    first: u64,
    len: u64,
}

impl<'a, S: ObservationSlots + ?Sized> Recent<'a, S> {
    fn new(slots: &'a S, cursor: RingCursor, block: u64, window: u64) -> Self {
        let total = cursor.len();
        let whole = Self { slots, cursor, first: 0, len: total };
        let (Some(latest), Some(start)) = (
            cursor.latest_slot().map(|slot| slots.read(slot)),
            block.checked_add(1).and_then(|end| end.checked_sub(window)),
        ) else {
            return whole;
        };
        let back = latest.block.saturating_sub(start);
        if back >= total {
            return whole;
        }
        // back < total: no underflow.
        let first = total.saturating_sub(back.saturating_add(1));
        let exact = back > 0 && cursor.slot(first).is_some_and(|slot| slots.read(slot).block == start);
        Self { len: if exact { 2 } else { back.saturating_add(1) }, first, ..whole }
    }
}

impl<S: ObservationSlots + ?Sized> ObservationSlots for Recent<'_, S> {
    fn read(&self, slot: u64) -> Observation {
        let index = if slot == 0 {
            self.first
        } else {
            self.cursor.len().saturating_sub(self.len).saturating_add(slot)
        };
        self.cursor.slot(index).map_or_else(Observation::default, |slot| self.slots.read(slot))
    }
}

/// `sum / count` truncated toward zero, as [`twap_from_cumulatives`] computes
/// it, by binary long division: no 128-bit division routine is linked into
/// a contract that uses only this (a property test checks they agree).
///
/// # Errors
/// [`MathError::InvalidInput`] for `count == 0`; [`MathError::Overflow`] when
/// the mean does not fit [`Bps`].
pub fn mean_toward_zero(sum: i128, count: u64) -> MathResult<Bps> {
    if count == 0 {
        return Err(MathError::InvalidInput);
    }
    let divisor = u128::from(count);
    let (mut rest, mut quotient, mut remainder) = (sum.unsigned_abs(), 0u128, 0u128);
    for _ in 0..128 {
        // remainder < divisor ≤ 2^64 before the shift: no overflow.
        remainder = remainder << 1 | rest >> 127;
        rest <<= 1;
        quotient <<= 1;
        if remainder >= divisor {
            remainder -= divisor;
            quotient |= 1;
        }
    }
    let magnitude = Bps::try_from(quotient).map_err(|_| MathError::Overflow)?;
    Ok(if sum < 0 { -magnitude } else { magnitude })
}

/// The TWAP the FlashContainment contract keeps without a ring: the
/// per-block values of a stored ring (an observed block counts its
/// observation, a block between two observations [`gap_fill`], a block
/// after the newest carries it forward), averaged over the **epoch
/// window** at `T`: the previous whole epoch of `W` blocks and the current
/// one up to `T` (epochs start at multiples of `W`), that is the
/// [`epoch_window`]`(T, W)` = `W + T mod W + 1` blocks ending at `T`
/// (between `W + 1` and `2W`). That is [`RingCursor::twap`] over that many
/// blocks (a property test checks it), kept as two sums beside the newest
/// observation instead of one storage slot per observation.
///
/// `previous` is the sum over the epoch before the newest observation's,
/// `current` the sum over the newest observation's epoch up to, not
/// including, the newest observation's block; `None` when the history
/// (from the first observation on) does not cover that span. Each sum
/// covers fewer than `W + 1` blocks of values in
/// `[−10,000, 2^31 − 1]` ([`pool_deviation_bps`]'s range), so with
/// `W ≤ 4,096` it lies in `(−2^26, 2^43)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EpochSums {
    /// `Σ v(b)` over the epoch before the newest observation's (`None`:
    /// not covered by the history).
    pub previous: Option<i64>,
    /// `Σ v(b)` over the newest observation's epoch, blocks before it
    /// (`None`: not covered by the history).
    pub current: Option<i64>,
}

/// The number of blocks the epoch-window TWAP at `current_block` averages:
/// the previous whole epoch of `window` blocks and the current epoch up to
/// `current_block`, `window + current_block mod window + 1` (0 for a zero
/// window).
pub const fn epoch_window(current_block: u64, window: u64) -> u64 {
    match current_block.checked_rem(window) {
        Some(into) => window.saturating_add(into).saturating_add(1),
        None => 0,
    }
}

/// `value × count`, checked.
fn times(value: Bps, count: u64) -> MathResult<i64> {
    i64::try_from(count).ok().and_then(|count| i64::from(value).checked_mul(count)).ok_or(MathError::Overflow)
}

/// `a + b`, checked.
fn plus(a: i64, b: i64) -> MathResult<i64> {
    a.checked_add(b).ok_or(MathError::Overflow)
}

impl EpochSums {
    /// The sums after recording `deviation_bps` in `block`, `latest` the
    /// newest observation before it (`block`, deviation; `None`: this is
    /// the first). The newest observation's own block and the gap up to
    /// `block` (credited [`gap_fill`]) move into the sums; epochs the gap
    /// crosses roll `current` into `previous`.
    ///
    /// # Errors
    /// [`MathError::InvalidInput`] for `window == 0` or `block` not after
    /// `latest`; [`MathError::Overflow`] never for `window ≤ 2^32`.
    pub fn record(
        self,
        latest: Option<(u64, Bps)>,
        block: u64,
        deviation_bps: Bps,
        window: u64,
    ) -> MathResult<Self> {
        let epoch = block.checked_div(window).ok_or(MathError::InvalidInput)?;
        // Blocks of `block`'s epoch before `block`.
        let into = block - epoch * window;
        let Some((last, value)) = latest else {
            // Covered from the first observation on: the current epoch only
            // when it starts at this block; the previous one never.
            return Ok(Self { previous: None, current: (into == 0).then_some(0) });
        };
        if block <= last {
            return Err(MathError::InvalidInput);
        }
        let fill = gap_fill(value, deviation_bps);
        let last_epoch = last / window;
        let last_end =
            last_epoch.checked_add(1).and_then(|e| e.checked_mul(window)).ok_or(MathError::Overflow)?;
        if epoch == last_epoch {
            // `last`'s block and the gap, all in this epoch (fewer than W blocks).
            let add = plus(i64::from(value), times(fill, block - last - 1)?)?;
            let current = self.current.map(|c| plus(c, add)).transpose()?;
            return Ok(Self { previous: self.previous, current });
        }
        let current = Some(times(fill, into)?);
        let previous = if epoch == last_epoch + 1 {
            // `last`'s epoch closes: its blocks after `last` are gap.
            let add = plus(i64::from(value), times(fill, last_end - last - 1)?)?;
            self.current.map(|c| plus(c, add)).transpose()?
        } else {
            // The whole previous epoch lies in the gap.
            Some(times(fill, window)?)
        };
        Ok(Self { previous, current })
    }

    /// The epoch-window TWAP at `current_block` (see [`EpochSums`]),
    /// truncated toward zero; `None` when the history does not cover the
    /// window (no observation yet, or the first one after its start).
    ///
    /// # Errors
    /// [`MathError::InvalidInput`] for `window == 0` or `current_block`
    /// before `latest`; [`MathError::Overflow`] never for `window ≤ 2^32`.
    pub fn twap(
        self,
        latest: Option<(u64, Bps)>,
        current_block: u64,
        window: u64,
    ) -> MathResult<Option<Bps>> {
        let epoch = current_block.checked_div(window).ok_or(MathError::InvalidInput)?;
        let Some((last, value)) = latest else { return Ok(None) };
        if current_block < last {
            return Err(MathError::InvalidInput);
        }
        if epoch == 0 {
            return Ok(None);
        }
        let blocks = epoch_window(current_block, window);
        let last_epoch = last / window;
        let sum = if epoch == last_epoch {
            // Both sums, then `last`'s value up to `current_block`.
            let (Some(previous), Some(current)) = (self.previous, self.current) else { return Ok(None) };
            plus(plus(previous, current)?, times(value, current_block - last + 1)?)?
        } else if epoch == last_epoch + 1 {
            // `last`'s epoch is the previous one now: its first part, then
            // `last`'s value carried to `current_block`.
            let Some(current) = self.current else { return Ok(None) };
            plus(current, times(value, current_block - last + 1)?)?
        } else {
            // Every block of the window is after `last`.
            times(value, blocks)?
        };
        mean_toward_zero(i128::from(sum), blocks).map(Some)
    }
}

/// Largest token decimals [`pool_deviation_bps`] accepts.
pub const MAX_TOKEN_DECIMALS: u8 = 36;

/// Scaled prices must stay below `2^225` in [`pool_deviation_bps`] (about
/// `5.4e67`: a whole-token price of `5.4e49` at 18 decimals).
pub const SCALED_PRICE_LIMIT: U256 = U256::from_limbs([0, 0, 0, 1 << 33]);

/// `value × 10^exponent`, or `None` when it does not fit 256 bits: one
/// 64-bit limb product per step of at most `10^19` (a small, exact
/// schoolbook multiplication; no general 256 × 256 multiply is needed).
fn scale_by_pow10(value: U256, exponent: u8) -> Option<U256> {
    let mut value = value;
    let mut left = exponent;
    while left > 0 {
        let step = left.min(19);
        left -= step;
        value = mul_small(value, 10u64.pow(u32::from(step)))?;
    }
    Some(value)
}

/// `value × factor`, or `None` when it does not fit 256 bits.
fn mul_small(value: U256, factor: u64) -> Option<U256> {
    let mut limbs = [0u64; 4];
    let mut carry = 0u128;
    for (out, limb) in limbs.iter_mut().zip(value.as_limbs()) {
        let product = u128::from(*limb) * u128::from(factor) + carry;
        // The low 64 bits stay in this limb; the rest carries.
        #[allow(clippy::cast_possible_truncation)]
        {
            *out = product as u64;
        }
        carry = product >> 64;
    }
    (carry == 0).then(|| U256::from_limbs(limbs))
}

/// Deviation in bps of a DODO pool's mid price from an oracle price, with
/// the pool's token decimals.
///
/// DODO's `getMidPrice` is quote per base in raw token units, 1e18 fixed
/// point: `mid = rawQuote / rawBase × 1e18`. The oracle's price is quote per
/// base in whole tokens with 18 decimals. With `base_decimals = b` and
/// `quote_decimals = q`, the pool's price in the oracle's units is
/// `mid × 10^b / 10^q`, so the deviation is
/// `(mid × 10^b − oracle × 10^q) / (oracle × 10^q) × 10,000`. Only the
/// difference of the exponents is applied, to one side, by multiplication:
/// nothing is rounded before the single truncation toward zero (rounding
/// never creates a trigger), and the result saturates upward at
/// [`crate::deviation::MAX_DEVIATION_BPS`]. Example: base 18 decimals,
/// quote 6, 1:1 in whole tokens: `mid = 1e6`, `oracle = 1e18`, deviation 0.
///
/// The value is exactly
/// [`crate::deviation::price_deviation_bps`]`(mid × 10^b, oracle × 10^q)`
/// (a property test checks it), computed by a 31-step binary long division
/// on 256 bits instead of a general 512-bit division: that keeps the
/// contracts small. It needs both scaled prices below
/// [`SCALED_PRICE_LIMIT`].
///
/// # Errors
/// [`MathError::InvalidInput`] for decimals above [`MAX_TOKEN_DECIMALS`];
/// [`MathError::DivisionByZero`] for a zero oracle price;
/// [`MathError::Overflow`] when a scaled price reaches [`SCALED_PRICE_LIMIT`].
pub fn pool_deviation_bps(
    mid_price: U256,
    oracle_price: U256,
    base_decimals: u8,
    quote_decimals: u8,
) -> MathResult<Bps> {
    if base_decimals > MAX_TOKEN_DECIMALS || quote_decimals > MAX_TOKEN_DECIMALS {
        return Err(MathError::InvalidInput);
    }
    let (price, reference) = if base_decimals >= quote_decimals {
        (scale_by_pow10(mid_price, base_decimals - quote_decimals), Some(oracle_price))
    } else {
        (Some(mid_price), scale_by_pow10(oracle_price, quote_decimals - base_decimals))
    };
    let (Some(price), Some(reference)) = (price, reference) else { return Err(MathError::Overflow) };
    if reference.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    if price >= SCALED_PRICE_LIMIT || reference >= SCALED_PRICE_LIMIT {
        return Err(MathError::Overflow);
    }
    let (diff, negative) =
        if price >= reference { (price - reference, false) } else { (reference - price, true) };
    // floor(diff × 10,000 / reference) bit by bit, from bit 30 down (`step`
    // is `reference << bit`, halved each round; exact, since only shifts
    // that were made by the left shift are undone): with
    // diff, reference < 2^225, diff × 10,000 < 2^239 and reference << 30 <
    // 2^255, so nothing overflows. A remainder still ≥ reference at the end
    // means the quotient is 2^31 or more: saturate (only reachable upward,
    // since a negative deviation is at most 10,000).
    let mut remainder = mul_small(diff, 10_000).ok_or(MathError::Overflow)?;
    let mut step = reference << 30;
    let mut magnitude: Bps = 0;
    for _ in 0..31 {
        magnitude <<= 1;
        if remainder >= step {
            remainder -= step;
            magnitude |= 1;
        }
        step >>= 1;
    }
    if remainder >= reference {
        magnitude = crate::deviation::MAX_DEVIATION_BPS;
    }
    Ok(if negative { -magnitude } else { magnitude })
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
        let t = SustainTracker::new().observe(5, 60, 50);
        assert_eq!((t.sign, t.count_at(5, 2)), (1, 1));
        let t = t.observe(6, -70, 50);
        // Either sign counts; the newest one is the sign to act on.
        assert_eq!((t.sign, t.count_at(6, 2)), (-1, 2));
        assert!(t.is_sustained_at(6, 2) && t.is_sustained_at(7, 2) && !t.is_sustained_at(8, 2));
        // Same block: ignored.
        assert_eq!(t.observe(6, -500, 50), t);
        // In band (at the threshold exactly): counts nothing, nothing to act on.
        let t = t.observe(7, 50, 50);
        assert_eq!((t.sign, t.count_at(7, 2)), (0, 2));
        assert!(!t.is_sustained_at(7, 2));
        // Dipping into the band every other block still sustains: 2 of 3.
        let t = t.observe(8, -80, 50);
        assert_eq!(t.count_at(8, 2), 2);
        assert!(t.is_sustained_at(8, 2));
        // Old blocks leave the span.
        assert_eq!(t.count_at(10, 2), 1);
        assert_eq!(t.count_at(200, 32), 0);
    }

    /// A `Vec` of slots, as a contract's storage would hold them.
    struct Slots(Vec<Observation>);

    impl ObservationSlots for Slots {
        fn read(&self, slot: u64) -> Observation {
            self.0[usize::try_from(slot).unwrap()]
        }
    }

    fn stored(capacity: u64, entries: &[(u64, Bps)]) -> (Slots, RingCursor) {
        let mut slots = Slots(vec![Observation::default(); usize::try_from(capacity).unwrap()]);
        let mut cursor = RingCursor { capacity, count: 0 };
        for &(block, dev) in entries {
            let latest = cursor.latest_slot().map(|s| slots.read(s));
            if let Some((slot, obs, next)) = cursor.append(latest, block, dev).unwrap() {
                slots.0[usize::try_from(slot).unwrap()] = obs;
                cursor = next;
            }
        }
        (slots, cursor)
    }

    #[test]
    fn gap_fill_takes_the_side_closer_to_zero() {
        assert_eq!(gap_fill(10, 30), 10);
        assert_eq!(gap_fill(30, 10), 10);
        assert_eq!(gap_fill(-10, -30), -10);
        assert_eq!(gap_fill(-30, -10), -10);
        assert_eq!(gap_fill(10, -30), 0);
        assert_eq!(gap_fill(0, 30), 0);
        assert_eq!(gap_fill(-5, 0), 0);
        assert_eq!(gap_fill(Bps::MAX, Bps::MAX), Bps::MAX);
    }

    #[test]
    fn stored_ring_fills_gaps_and_carries_the_tail() {
        // Block 10: 0; block 11: a 5,000 spike; blocks 12..=14 unobserved;
        // block 15: 20.
        let (slots, cursor) = stored(8, &[(10, 0), (11, 5_000), (11, -7), (15, 20)]);
        assert_eq!(cursor.count, 3, "the repeat in block 11 is ignored");
        let o = slots.read(2);
        // 0 (block 10) + 5,000 (block 11) + 3 × gap_fill(5,000, 20) = 3 × 20.
        assert_eq!((o.block, o.cumulative), (15, 5_060));
        // Window 11..=15: 5,000 + 20 + 20 + 20 + 20 = 5,080 → 1,016.
        assert_eq!(cursor.twap(&slots, 15, 5), Ok(Some(1_016)));
        // Window 12..=16: 4 × 20 + the tail (block 16 = 20) → 20.
        assert_eq!(cursor.twap(&slots, 16, 5), Ok(Some(20)));
        // The window may start inside the gap: 13..=15 = 60 → 20.
        assert_eq!(cursor.twap(&slots, 15, 3), Ok(Some(20)));
        // Window 10..=15 (the whole history): 5,080 / 6 = 846.
        assert_eq!(cursor.twap(&slots, 15, 6), Ok(Some(846)));
        // Block 9 was never observed: no answer, not a guess.
        assert_eq!(cursor.twap(&slots, 15, 7), Ok(None));
        assert_eq!(cursor.twap(&slots, 15, 0), Err(MathError::InvalidInput));
        assert_eq!(cursor.twap(&slots, 14, 2), Err(MathError::InvalidInput));
        // Windows larger than the chain's age cannot be answered.
        let (slots, cursor) = stored(8, &[(0, 1)]);
        assert_eq!(cursor.twap(&slots, 3, 5), Ok(None));
        assert_eq!(cursor.twap(&slots, 3, 4), Ok(Some(1)));
    }

    #[test]
    fn stored_ring_with_the_spike_newest_carries_it_until_the_next_observation() {
        let (slots, cursor) = stored(4, &[(10, 0), (11, 0), (12, 900)]);
        // Current block 12: the spike weighs one block of three.
        assert_eq!(cursor.twap(&slots, 12, 3), Ok(Some(300)));
        // Block 14 before anyone observes it: the tail carries the spike.
        assert_eq!(cursor.twap(&slots, 14, 3), Ok(Some(900)));
        // Observed again in block 14 at 0: the gap (block 13) is filled with 0.
        let (slots, cursor) = stored(4, &[(10, 0), (11, 0), (12, 900), (14, 0)]);
        assert_eq!(cursor.twap(&slots, 14, 3), Ok(Some(300)));
    }

    #[test]
    fn stored_ring_wraps() {
        let entries: Vec<(u64, Bps)> = (1..=7).map(|b| (b, i32::try_from(b).unwrap() * 10)).collect();
        let (slots, cursor) = stored(3, &entries);
        assert_eq!((cursor.len(), cursor.count), (3, 7));
        // Blocks 5, 6, 7 retained; the oldest is in slot (7 − 3) % 3 = 1.
        assert_eq!(cursor.slot(0), Some(1));
        assert_eq!(cursor.latest_slot(), Some(0));
        assert_eq!(slots.read(0).block, 7);
        assert_eq!(cursor.slot(3), None);
        // 50 + 60 + 70 = 180 → 60.
        assert_eq!(cursor.twap(&slots, 7, 3), Ok(Some(60)));
        assert_eq!(cursor.twap(&slots, 7, 4), Ok(None));
        let empty = RingCursor { capacity: 0, count: 0 };
        assert_eq!(empty.append(None, 1, 1), Err(MathError::InvalidInput));
        assert_eq!(empty.latest_slot(), None);
        assert_eq!(empty.twap(&slots, 7, 1), Ok(None));
    }

    #[test]
    fn limbs_round_trip() {
        for o in [
            Observation::default(),
            Observation { block: u64::MAX, deviation_bps: Bps::MIN, cumulative: i128::MIN },
            Observation { block: 7, deviation_bps: -1, cumulative: -1 },
            Observation { block: 1, deviation_bps: Bps::MAX, cumulative: i128::MAX },
        ] {
            assert_eq!(Observation::from_limbs(o.to_limbs()), o);
        }
        assert_eq!(
            Observation { block: 3, deviation_bps: -1, cumulative: -2 }.to_limbs(),
            [3, u64::from(u32::MAX), u64::MAX - 1, u64::MAX]
        );
    }

    #[test]
    fn the_signal_lasts_one_unobserved_block() {
        let t = SustainTracker::new().observe(5, 60, 50).observe(6, 60, 50);
        assert_eq!((t.live_sign(6), t.live_sign(7), t.live_sign(8)), (1, 1, 0));
        assert_eq!(t.live_sign(5), 0, "before the last observation");
        assert_eq!(t.count_at(5, 2), 0, "before the last observation");
    }

    #[test]
    fn pool_deviation_maps_decimals() {
        let e = |x: u32| U256::from(10u8).pow(U256::from(x));
        // Base 18 decimals, quote 6: 1:1 in whole tokens is mid = 1e6.
        assert_eq!(pool_deviation_bps(e(6), e(18), 18, 6), Ok(0));
        // 1.0025 whole quote per base → +25 bps.
        assert_eq!(pool_deviation_bps(e(6) + U256::from(2_500u64), e(18), 18, 6), Ok(25));
        // Base 6, quote 18: 1:1 is mid = 1e30.
        assert_eq!(pool_deviation_bps(e(30), e(18), 6, 18), Ok(0));
        assert_eq!(pool_deviation_bps(e(30) - e(27), e(18), 6, 18), Ok(-10));
        // Same decimals: the plain ratio.
        assert_eq!(pool_deviation_bps(e(18) * U256::from(2u8), e(18), 18, 18), Ok(10_000));
        assert_eq!(pool_deviation_bps(e(18), U256::ZERO, 6, 18), Err(MathError::DivisionByZero));
        assert_eq!(pool_deviation_bps(e(18), e(18), 37, 18), Err(MathError::InvalidInput));
        assert_eq!(pool_deviation_bps(U256::MAX, e(18), 36, 0), Err(MathError::Overflow));
        assert_eq!(pool_deviation_bps(e(18), U256::MAX, 0, 36), Err(MathError::Overflow));
        // Below the limit the largest deviations saturate upward, like
        // `price_deviation_bps`.
        let below = SCALED_PRICE_LIMIT - U256::from(1u8);
        assert_eq!(pool_deviation_bps(below, U256::from(1u8), 0, 0), Ok(Bps::MAX));
        assert_eq!(pool_deviation_bps(SCALED_PRICE_LIMIT, U256::from(1u8), 0, 0), Err(MathError::Overflow));
        assert_eq!(pool_deviation_bps(U256::from(1u8), below, 0, 0), Ok(-9_999));
        assert_eq!(pool_deviation_bps(U256::ZERO, below, 0, 0), Ok(-10_000));
        // Around 2^31 − 1 bps: (p − 10,000) × 10,000 / 10,000 = p − 10,000.
        let r = U256::from(10_000u16);
        let at = |bps: u64| pool_deviation_bps(r + U256::from(bps), r, 0, 0);
        assert_eq!(at((1 << 31) - 2), Ok(Bps::MAX - 1));
        assert_eq!(at((1 << 31) - 1), Ok(Bps::MAX));
        assert_eq!(at(1 << 31), Ok(Bps::MAX), "saturated");
    }

    #[test]
    fn epoch_twap_rolls_and_carries() {
        let w = 4;
        // First observation at block 8, an epoch start: the current epoch is covered.
        let s = EpochSums::default().record(None, 8, 10, w).unwrap();
        assert_eq!(s, EpochSums { previous: None, current: Some(0) });
        // Block 9: window 4..=9 starts before the history.
        assert_eq!(s.twap(Some((8, 10)), 9, w), Ok(None));
        // Block 13 (epoch 3): blocks 8..=11 in the gap or observed; 8 counts 10,
        // 9..=12 gap_fill(10, 30) = 10 → previous 40, current (12) 10.
        let s = s.record(Some((8, 10)), 13, 30, w).unwrap();
        assert_eq!(s, EpochSums { previous: Some(40), current: Some(10) });
        // Window 8..=13: 40 + 10 + 30 = 80 over 6 blocks → 13.
        assert_eq!(epoch_window(13, w), 6);
        assert_eq!(s.twap(Some((13, 30)), 13, w), Ok(Some(13)));
        // Block 17 before anyone observes it: window 12..=17, 10 + 30 × 5 = 160 → 26.
        assert_eq!(s.twap(Some((13, 30)), 17, w), Ok(Some(26)));
        // Far later: every block carries 30.
        assert_eq!(s.twap(Some((13, 30)), 100, w), Ok(Some(30)));
        // A first observation inside an epoch covers nothing yet.
        let s = EpochSums::default().record(None, 9, -20, w).unwrap();
        assert_eq!(s, EpochSums { previous: None, current: None });
        assert_eq!(s.twap(Some((9, -20)), 11, w), Ok(None));
        assert_eq!(s.twap(Some((9, -20)), 12, w), Ok(None), "window 8..=12 starts before block 9");
        assert_eq!(s.twap(Some((9, -20)), 16, w), Ok(Some(-20)), "window 12..=16 after it");
        assert_eq!(s.twap(None, 16, w), Ok(None));
        assert_eq!(s.twap(Some((9, -20)), 8, w), Err(MathError::InvalidInput));
        assert_eq!(s.twap(Some((9, -20)), 16, 0), Err(MathError::InvalidInput));
        assert_eq!(s.record(Some((9, -20)), 9, 1, w), Err(MathError::InvalidInput));
        assert_eq!(s.record(None, 9, 1, 0), Err(MathError::InvalidInput));
        assert_eq!(epoch_window(5, 0), 0);
    }

    mod epoch_properties {
        use super::*;
        use proptest::prelude::*;

        /// Case count: `PROPTEST_CASES` or 10,000.
        fn cases() -> u32 {
            std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
        }

        fn deviation() -> impl Strategy<Value = Bps> {
            prop_oneof![-300i32..300, -10_000i32..=Bps::MAX]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(cases()))]

            /// The epoch sums answer exactly what a stored ring holding every
            /// observation answers over the epoch window (value or `None`),
            /// at the newest observation's block and later, across gaps
            /// within an epoch, into the next one and over several.
            #[test]
            fn epoch_twap_is_the_ring_twap_over_the_epoch_window(
                start in 0u64..300,
                window in 1u64..48,
                steps in prop::collection::vec((1u64..120, deviation(), 0u64..150), 1..40),
            ) {
                let entries: Vec<(u64, Bps)> = steps
                    .iter()
                    .scan(start, |block, &(gap, dev, _)| {
                        *block += gap;
                        Some((*block, dev))
                    })
                    .collect();
                let capacity = u64::try_from(entries.len()).unwrap();
                let (mut sums, mut latest) = (EpochSums::default(), None);
                for (index, (&(block, dev), &(_, _, ahead))) in entries.iter().zip(&steps).enumerate() {
                    sums = sums.record(latest, block, dev, window).unwrap();
                    latest = Some((block, dev));
                    let (slots, cursor) = stored(capacity, &entries[..=index]);
                    for t in [block, block + ahead, block + window, block + 2 * window + ahead] {
                        let ring = cursor.twap(&slots, t, epoch_window(t, window)).unwrap();
                        prop_assert_eq!(sums.twap(latest, t, window), Ok(ring), "block {} window {}", t, window);
                    }
                }
            }
        }
    }
}
