//! Markets that move: gold's true price as a seeded random walk, and the
//! XAU/USD feed that follows it as a push oracle does, on a deviation
//! threshold and a heartbeat. Off chain and in `f64`: what reaches the
//! chain is the feed's report, rounded to an integer by the market.

use crate::rng::SplitMix64;
use crate::scenario::BLOCKS_PER_HOUR;

/// L2 blocks in a year of 365.25 days.
#[allow(clippy::cast_precision_loss)]
const BLOCKS_PER_YEAR: f64 = BLOCKS_PER_HOUR as f64 * 24.0 * 365.25;

/// Gold's true price and the feed's last report, both relative to the
/// run's starting price (1.0).
#[derive(Debug, Clone)]
pub struct GoldPrice {
    /// The standard deviation of one L2 block's log return.
    sigma_block: f64,
    rng: SplitMix64,
    /// The true price, relative to the start.
    pub true_ratio: f64,
    /// The feed's last report, relative to the start.
    pub feed_ratio: f64,
    /// The feed's last report, s.
    reported_at: u64,
    deviation: f64,
    heartbeat_s: u64,
    /// Reports on a deviation, and on the heartbeat.
    pub reports: [u64; 2],
    /// The largest gap between the true price and the feed, bps.
    pub max_lag_bps: f64,
    /// The true price's lowest and highest, relative to the start.
    pub range: (f64, f64),
}

/// What the feed does in a block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Report {
    /// Nothing.
    None,
    /// It reports this price (relative to the start).
    Price(f64),
}

impl GoldPrice {
    /// A walk of annualised volatility `vol_annual_bps`, and a feed that
    /// reports at `deviation_bps` or every `heartbeat_s`, first at `now`.
    #[allow(clippy::cast_precision_loss)]
    pub fn new(vol_annual_bps: u64, deviation_bps: u64, heartbeat_s: u64, now: u64, rng: SplitMix64) -> Self {
        Self {
            sigma_block: vol_annual_bps as f64 / 10_000.0 / BLOCKS_PER_YEAR.sqrt(),
            rng,
            true_ratio: 1.0,
            feed_ratio: 1.0,
            reported_at: now,
            deviation: deviation_bps as f64 / 10_000.0,
            heartbeat_s,
            reports: [0; 2],
            max_lag_bps: 0.0,
            range: (1.0, 1.0),
        }
    }

    /// One L2 block at time `now`: the true price moves, and the feed
    /// reports when it has moved `deviation_bps` from the last report or
    /// the heartbeat is due.
    pub fn step(&mut self, now: u64) -> Report {
        if self.sigma_block > 0.0 {
            self.true_ratio *= (self.sigma_block * self.rng.normal()).exp();
            self.range = (self.range.0.min(self.true_ratio), self.range.1.max(self.true_ratio));
        }
        let moved = (self.true_ratio / self.feed_ratio - 1.0).abs();
        let due = if moved >= self.deviation {
            0
        } else if now.saturating_sub(self.reported_at) >= self.heartbeat_s {
            1
        } else {
            self.max_lag_bps = self.max_lag_bps.max(moved * 10_000.0);
            return Report::None;
        };
        self.reports[due] += 1;
        self.feed_ratio = self.true_ratio;
        self.reported_at = now;
        Report::Price(self.true_ratio)
    }

    /// The annualised volatility this walk was given, from its per-block
    /// figure (for the report).
    pub fn vol_annual_pct(&self) -> f64 {
        self.sigma_block * BLOCKS_PER_YEAR.sqrt() * 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hour_moves_by_the_stated_volatility() {
        // 16% a year is 0.171% an hour; the sample deviation of 400
        // one-hour log returns is within 10% of it.
        let hours: u32 = 400;
        let mut returns = Vec::new();
        for seed in 0..u64::from(hours) {
            let mut gold = GoldPrice::new(1_600, 10_000 - 1, u64::MAX, 0, SplitMix64::new(seed));
            for _ in 0..BLOCKS_PER_HOUR {
                gold.step(0);
            }
            returns.push(gold.true_ratio.ln());
        }
        let n = f64::from(hours);
        let mean = returns.iter().sum::<f64>() / n;
        let sd = (returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let expected = 0.16 / (24.0f64 * 365.25).sqrt();
        assert!((sd / expected - 1.0).abs() < 0.1, "hourly sd {sd}, expected {expected}");
    }

    #[test]
    fn the_feed_reports_on_deviation_and_on_heartbeat() {
        let mut gold = GoldPrice::new(0, 25, 600, 0, SplitMix64::new(1));
        assert_eq!(gold.step(599), Report::None);
        assert_eq!(gold.step(600), Report::Price(1.0));
        assert_eq!(gold.reports, [0, 1]);
        gold.true_ratio = 1.0024;
        assert_eq!(gold.step(601), Report::None);
        assert!((gold.max_lag_bps - 24.0).abs() < 1e-6);
        gold.true_ratio = 0.997;
        assert_eq!(gold.step(602), Report::Price(0.997));
        assert_eq!(gold.reports, [1, 1]);
    }

    #[test]
    fn a_fixed_price_never_moves() {
        let mut gold = GoldPrice::new(0, 25, 86_400, 0, SplitMix64::new(9));
        for block in 0..10_000 {
            gold.step(block / 4);
        }
        assert!((gold.true_ratio - 1.0).abs() < f64::EPSILON);
        assert_eq!(gold.reports, [0, 0]);
    }
}
