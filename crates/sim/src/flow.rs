//! External flow: seeded random trades on each public pool, in regimes of
//! one direction (§11's net imbalance), and occasional drains.

use alloy_primitives::U256;

use crate::market::{Market, TRADER};
use crate::record::{EventKind, EventRecord, ExternalTrade};
use crate::rng::SplitMix64;
use crate::scenario::{Flow, Shock, Side, BLOCKS_PER_HOUR};
use crate::SimError;

/// The flow generator of one chain.
#[derive(Debug, Clone)]
pub struct FlowGen {
    config: Flow,
    /// One stream per pool.
    rngs: Vec<SplitMix64>,
    /// Per pool: the regime's direction (`true`: selling base).
    regimes: Vec<bool>,
    drain_rng: SplitMix64,
}

impl FlowGen {
    /// A generator for `pools` pools.
    pub fn new(config: &Flow, pools: usize, rng: &mut SplitMix64) -> Self {
        let mut rngs: Vec<SplitMix64> = (0..pools).map(|_| rng.fork()).collect();
        let regimes = rngs.iter_mut().map(|r| r.below(2) == 0).collect();
        Self { config: config.clone(), rngs, regimes, drain_rng: rng.fork() }
    }

    /// This block's external trades and drains; returns the drained pools'
    /// record indexes (`offset` + pool) and pushes them to `events`. Every
    /// trade and drain is pushed to `external` with its size in USD and the
    /// pool's deviation read (`getMidPrice` against the oracle peg, an
    /// `eth_call`) just before it executes.
    ///
    /// # Errors
    /// [`SimError::Chain`] when a trade or the read fails.
    pub fn step(
        &mut self,
        market: &mut Market,
        block: u64,
        offset: usize,
        events: &mut Vec<EventRecord>,
        external: &mut Vec<ExternalTrade>,
    ) -> Result<Vec<usize>, SimError> {
        let c = &self.config;
        for pool in 0..self.rngs.len() {
            let rng = &mut self.rngs[pool];
            if rng.chance(1, c.regime_blocks) {
                self.regimes[pool] = !self.regimes[pool];
            }
            // Trades this block: usd_per_hour / (mean · blocks per hour) on
            // average, as whole trades plus a chance for the remainder.
            let denominator = c.mean_trade_usd * BLOCKS_PER_HOUR;
            let mut trades = c.usd_per_hour / denominator;
            if rng.chance(c.usd_per_hour % denominator, denominator) {
                trades += 1;
            }
            for _ in 0..trades {
                let usd = 1 + rng.below(2 * c.mean_trade_usd);
                let with_regime = rng.chance(c.bias_bps, 10_000) || rng.below(2) == 0;
                let sells_base = if with_regime { self.regimes[pool] } else { !self.regimes[pool] };
                let p = &market.pools[pool];
                let amount = market.usd(if sells_base { p.base } else { p.quote }, usd);
                if amount > U256::ZERO {
                    let deviation_bps = market.deviation_bps(pool)?;
                    market.sell(TRADER, pool, sells_base, amount)?;
                    external.push(ExternalTrade {
                        pool: offset + pool,
                        usd,
                        deviation_bps,
                        drain: false,
                        informed: false,
                    });
                }
            }
        }
        let mut drains = Vec::new();
        if c.drain_every_blocks > 0 && self.drain_rng.chance(1, c.drain_every_blocks) {
            let pool = usize::try_from(self.drain_rng.below(self.rngs.len() as u64)).unwrap_or(0);
            let sells_base = self.drain_rng.below(2) == 0;
            let p = &market.pools[pool];
            let token = if sells_base { p.base } else { p.quote };
            let amount = market.usd(token, c.drain_usd);
            let deviation_bps = market.deviation_bps(pool)?;
            market.sell(TRADER, pool, sells_base, amount)?;
            external.push(ExternalTrade {
                pool: offset + pool,
                usd: c.drain_usd,
                deviation_bps,
                drain: true,
                informed: false,
            });
            events.push(EventRecord {
                block,
                pool: offset + pool,
                kind: EventKind::Drain,
                label: format!("drain: sell {} USD of {}", c.drain_usd, market.tokens[token].symbol),
            });
            drains.push(offset + pool);
        }
        Ok(drains)
    }
}

/// Applies one [`Shock`] (a one-off drain) in L2 block `block`: sells its
/// USD of its side into its pool as the flow's trader, pushes it to
/// `external` (a drain, with the pool's deviation just before it) and a
/// [`EventKind::Drain`] event labelled `shock: …` to `events`, and returns
/// the pool's record index (`offset` + pool).
///
/// # Errors
/// [`SimError::Scenario`] when the market has no pool of that label;
/// [`SimError::Chain`] when the sale or the read fails.
pub fn shock(
    market: &mut Market,
    shock: &Shock,
    block: u64,
    offset: usize,
    events: &mut Vec<EventRecord>,
    external: &mut Vec<ExternalTrade>,
) -> Result<usize, SimError> {
    let pool = market
        .pools
        .iter()
        .position(|p| p.label == shock.pool)
        .ok_or_else(|| SimError::Scenario(format!("shock: no public pool {}", shock.pool)))?;
    let sells_base = shock.side == Side::SellBase;
    let p = &market.pools[pool];
    let token = if sells_base { p.base } else { p.quote };
    let amount = market.usd(token, shock.usd);
    let deviation_bps = market.deviation_bps(pool)?;
    market.sell(TRADER, pool, sells_base, amount)?;
    external.push(ExternalTrade {
        pool: offset + pool,
        usd: shock.usd,
        deviation_bps,
        drain: true,
        informed: false,
    });
    events.push(EventRecord {
        block,
        pool: offset + pool,
        kind: EventKind::Drain,
        label: format!(
            "shock: sell {} USD of {} into {}",
            shock.usd, market.tokens[token].symbol, shock.pool
        ),
    });
    Ok(offset + pool)
}
