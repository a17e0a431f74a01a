//! Reserve sizing (§6, §7, §9, §11, §13 of the spec).
//!
//! Amounts are plain token units (any decimals); the safety factor is in
//! basis points of a multiple (`30_000` = 3×). Every "required" figure rounds
//! **up** and every "available" figure rounds **down**, so a rounding error
//! can only keep reserves, never release them.

use crate::{
    fixed::{self, BPS},
    MathError, MathResult, U256,
};

/// Seconds in a minute, the unit of the outflow buckets.
pub const SECONDS_PER_MINUTE: u64 = 60;

/// `P × T × safety`: the reserve that covers the peak minute outflow `P` for
/// `T` minutes with a safety multiple in bps, rounded up (§7).
///
/// # Errors
/// [`MathError::Overflow`] when the product does not fit.
pub fn required_reserve(peak_minute_outflow: U256, window_minutes: u64, safety_bps: u64) -> MathResult<U256> {
    let base = fixed::mul(peak_minute_outflow, U256::from(window_minutes))?;
    fixed::mul_div_ceil(base, U256::from(safety_bps), BPS)
}

/// `P_bridge × L`: the bridge buffer for a peak minute bridge outflow and a
/// bridge latency in seconds, rounded up (§9).
///
/// # Errors
/// [`MathError::Overflow`] when the product does not fit.
pub fn bridge_buffer(peak_minute_bridge_outflow: U256, latency_seconds: u64) -> MathResult<U256> {
    fixed::mul_div_ceil(
        peak_minute_bridge_outflow,
        U256::from(latency_seconds),
        U256::from(SECONDS_PER_MINUTE),
    )
}

/// `s × f`: stabilization throughput per minute from a micro trade size and
/// a frequency in trades per minute (§6).
///
/// # Errors
/// [`MathError::Overflow`] when the product does not fit.
pub fn stabilization_throughput(trade_size: U256, trades_per_minute: u64) -> MathResult<U256> {
    fixed::mul(trade_size, U256::from(trades_per_minute))
}

/// The cantilever condition `s × f ≥ Δ` (§6): micro trades offset the net
/// imbalance per minute.
///
/// # Errors
/// [`MathError::Overflow`] when `s × f` does not fit.
pub fn cantilever_holds(
    trade_size: U256,
    trades_per_minute: u64,
    imbalance_per_minute: U256,
) -> MathResult<bool> {
    Ok(stabilization_throughput(trade_size, trades_per_minute)? >= imbalance_per_minute)
}

/// The stabilization needed per minute to offset an hourly external flow,
/// rounded up (§11: 50,000/hr needs 833.3…/min, so 834 whole units).
///
/// # Errors
/// Never in practice; kept fallible for a uniform API.
pub fn required_throughput_per_minute(flow_per_hour: U256) -> MathResult<U256> {
    fixed::ceil_div(flow_per_hour, U256::from(SECONDS_PER_MINUTE))
}

/// The largest drift a pool of `depth` may take inside a band of
/// `band_bps`, rounded down (§11: 1,000,000 at 20 bps is 2,000).
///
/// # Errors
/// [`MathError::Overflow`] when `depth × band` does not fit.
pub fn max_drift(depth: U256, band_bps: u64) -> MathResult<U256> {
    fixed::mul_div_floor(depth, U256::from(band_bps), BPS)
}

/// How an actual balance compares with its required level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// The level the balance must reach.
    pub required: U256,
    /// The balance held.
    pub actual: U256,
    /// `required − actual` when below, else zero.
    pub shortfall: U256,
    /// `actual − required` when above, else zero.
    pub surplus: U256,
    /// `actual ≥ required`.
    pub healthy: bool,
}

/// Compares `actual` with `required`.
pub fn coverage(required: U256, actual: U256) -> Coverage {
    Coverage {
        required,
        actual,
        shortfall: required.saturating_sub(actual),
        surplus: actual.saturating_sub(required),
        healthy: actual >= required,
    }
}

/// Whether `amount` can leave a reserve of `actual` while it stays at or
/// above `required`. A zero amount is a question, not a release: it answers
/// whether the reserve is healthy now.
pub fn can_release(actual: U256, required: U256, amount: U256) -> bool {
    actual.checked_sub(amount).is_some_and(|left| left >= required)
}

/// The rolling peak minute outflow `P`.
///
/// Outflows land in minute buckets. Minutes are grouped in aligned windows of
/// `window_minutes`; the peak is the largest minute of the current window and
/// the one before it. A minute therefore counts for at least one full window
/// and at most two, which over-states `P` (more reserve), never under-states
/// it, and needs four words of state instead of one word per minute.
///
/// The fields are public so that a contract can keep them in storage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeakTracker {
    /// The minute (unix time / 60) of `minute_total`.
    pub minute: u64,
    /// Outflow recorded in `minute` so far.
    pub minute_total: U256,
    /// Largest minute total in the window that holds `minute`.
    pub window_peak: U256,
    /// Largest minute total in the window before it.
    pub previous_window_peak: U256,
}

impl PeakTracker {
    /// Adds `amount` of outflow at `minute` and returns the new state.
    ///
    /// # Errors
    /// [`MathError::InvalidInput`] for a zero window or a minute older than
    /// the last one recorded; [`MathError::Overflow`] when a total does not fit.
    pub fn record(self, minute: u64, amount: U256, window_minutes: u64) -> MathResult<Self> {
        if window_minutes == 0 || minute < self.minute {
            return Err(MathError::InvalidInput);
        }
        let mut next = self.rolled_to(minute, window_minutes);
        next.minute_total = fixed::add(next.minute_total, amount)?;
        next.window_peak = next.window_peak.max(next.minute_total);
        Ok(next)
    }

    /// The peak minute outflow `P` as seen at `minute`.
    pub fn peak(self, minute: u64, window_minutes: u64) -> U256 {
        if window_minutes == 0 || minute < self.minute {
            return self.window_peak.max(self.previous_window_peak);
        }
        let rolled = self.rolled_to(minute, window_minutes);
        rolled.window_peak.max(rolled.previous_window_peak)
    }

    /// The state to keep when the window length changes: the current peak
    /// absorbs the previous one, so no peak seen so far is lost.
    #[must_use]
    pub fn with_window_changed(self) -> Self {
        Self { window_peak: self.window_peak.max(self.previous_window_peak), ..self }
    }

    fn rolled_to(self, minute: u64, window_minutes: u64) -> Self {
        let (from, to) = (self.minute / window_minutes, minute / window_minutes);
        if to == from {
            if minute == self.minute {
                return self;
            }
            return Self { minute, minute_total: U256::ZERO, ..self };
        }
        let previous_window_peak = if to == from + 1 { self.window_peak } else { U256::ZERO };
        Self { minute, minute_total: U256::ZERO, window_peak: U256::ZERO, previous_window_peak }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(v: u64) -> U256 {
        U256::from(v)
    }

    #[test]
    fn spec_section_7_reserve_examples() {
        // §7: P = 10,000 per minute, T = 5 minutes: reserve ≥ 50,000.
        assert_eq!(required_reserve(u(10_000), 5, 10_000), Ok(u(50_000)));
        // §7: with a 3× safety factor: 150,000.
        assert_eq!(required_reserve(u(10_000), 5, 30_000), Ok(u(150_000)));
        // §7's recommended 35× safety on the same P and T.
        assert_eq!(required_reserve(u(10_000), 5, 350_000), Ok(u(1_750_000)));
    }

    #[test]
    fn spec_section_6_cantilever_example() {
        // §6: s = 5, f = 33/min gives 165 units/minute.
        assert_eq!(stabilization_throughput(u(5), 33), Ok(u(165)));
        assert_eq!(cantilever_holds(u(5), 33, u(165)), Ok(true));
        assert_eq!(cantilever_holds(u(5), 33, u(166)), Ok(false));
    }

    #[test]
    fn spec_section_11_volume_model() {
        // §11: 50,000/hr is 833.3/min; the spec truncates to 833, we round up.
        assert_eq!(u(50_000) / u(60), u(833));
        assert_eq!(required_throughput_per_minute(u(50_000)), Ok(u(834)));
        // §11: a 1,000,000 pool at 0.2% drifts at most 2,000 units.
        assert_eq!(max_drift(u(1_000_000), 20), Ok(u(2_000)));
        // §11's "optimized" 25 × 33 = 825/min falls short of 833/min: the
        // cantilever check says so rather than hiding it.
        assert_eq!(cantilever_holds(u(25), 33, u(833)), Ok(false));
        assert_eq!(cantilever_holds(u(26), 33, u(834)), Ok(true));
    }

    #[test]
    fn rounding_keeps_reserves() {
        // 7 × 1 × 1.5 = 10.5 → 11 required.
        assert_eq!(required_reserve(u(7), 1, 15_000), Ok(u(11)));
        // 7 per minute over 30 s = 3.5 → 4.
        assert_eq!(bridge_buffer(u(7), 30), Ok(u(4)));
        assert_eq!(max_drift(u(999), 20), Ok(u(1)));
    }

    #[test]
    fn overflow_is_refused() {
        assert_eq!(required_reserve(U256::MAX, 2, 10_000), Err(MathError::Overflow));
        assert_eq!(bridge_buffer(U256::MAX, 61), Err(MathError::Overflow));
        assert_eq!(stabilization_throughput(U256::MAX, 2), Err(MathError::Overflow));
    }

    #[test]
    fn coverage_and_release() {
        let c = coverage(u(100), u(80));
        assert_eq!((c.shortfall, c.surplus, c.healthy), (u(20), U256::ZERO, false));
        let c = coverage(u(100), u(130));
        assert_eq!((c.shortfall, c.surplus, c.healthy), (U256::ZERO, u(30), true));
        assert!(can_release(u(130), u(100), u(30)));
        assert!(!can_release(u(130), u(100), u(31)));
        assert!(!can_release(u(10), u(0), u(11)));
        assert!(can_release(u(100), u(100), U256::ZERO));
    }

    #[test]
    fn peak_tracker_rolls_windows() {
        let w = 60;
        let t = PeakTracker::default();
        let t = t.record(0, u(5), w).unwrap().record(0, u(5), w).unwrap();
        assert_eq!(t.peak(0, w), u(10));
        let t = t.record(1, u(7), w).unwrap();
        assert_eq!(t.peak(1, w), u(10));
        // Next window: the old peak still counts.
        let t = t.record(60, u(3), w).unwrap();
        assert_eq!(t.peak(60, w), u(10));
        assert_eq!(t.peak(119, w), u(10));
        // Two windows later it has expired.
        assert_eq!(t.peak(120, w), u(3));
        assert_eq!(t.peak(180, w), U256::ZERO);
        // Out of order and zero windows are refused.
        assert_eq!(t.record(59, u(1), w), Err(MathError::InvalidInput));
        assert_eq!(t.record(61, u(1), 0), Err(MathError::InvalidInput));
    }
}
