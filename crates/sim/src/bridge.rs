//! The cross-chain parity bot (§9): when a pool's mid price on Chain 138
//! and on Alltra differ by more than its trigger, it sells base on the
//! dearer chain and buys base on the cheaper one, each toward the midpoint,
//! from its own inventory on each chain; what it received crosses the
//! bridge and is usable on the other chain only `L` blocks later.

use std::collections::VecDeque;

use alloy_primitives::U256;

use crate::market::{Market, BOT};
use crate::record::EventRecord;
use crate::scenario::CrossChain;
use crate::SimError;

/// The bot's books: per chain (0 = 138, 1 = Alltra), per token, what it may
/// spend; and the transfers in flight.
#[derive(Debug, Clone)]
pub struct ParityBot {
    config: CrossChain,
    inventory: [Vec<U256>; 2],
    /// `(arrival block, chain, token, amount)`.
    in_flight: VecDeque<(u64, usize, usize, U256)>,
    trades: u64,
    skipped: u64,
}

impl ParityBot {
    /// A bot with `inventory_usd` of each token on each chain.
    pub fn new(config: &CrossChain, market: &Market) -> Self {
        let books: Vec<U256> =
            (0..market.tokens.len()).map(|t| market.usd(t, config.inventory_usd)).collect();
        Self {
            config: config.clone(),
            inventory: [books.clone(), books],
            in_flight: VecDeque::new(),
            trades: 0,
            skipped: 0,
        }
    }

    /// One block: bridge arrivals, then a parity trade per pool whose
    /// spread is past the trigger.
    ///
    /// # Errors
    /// [`SimError`] when a trade fails.
    pub fn step(
        &mut self,
        a: &mut Market,
        b: &mut Market,
        block: u64,
        _events: &mut [EventRecord],
    ) -> Result<(), SimError> {
        while self.in_flight.front().is_some_and(|&(arrival, ..)| arrival <= block) {
            if let Some((_, chain, token, amount)) = self.in_flight.pop_front() {
                self.inventory[chain][token] += amount;
            }
        }
        for pool in 0..a.pools.len() {
            let (mid_a, mid_b) = (a.mid(pool)?, b.mid(pool)?);
            let spread = crate::market::ratio_bps(mid_a, mid_b).abs();
            #[allow(clippy::cast_precision_loss)]
            if spread <= self.config.trigger_bps as f64 {
                continue;
            }
            let target = (mid_a + mid_b) / U256::from(2u8);
            let (dear, cheap, dear_is_a) =
                if mid_a > mid_b { (&mut *a, &mut *b, true) } else { (&mut *b, &mut *a, false) };
            let (ci_dear, ci_cheap) = if dear_is_a { (0, 1) } else { (1, 0) };
            let p = dear.pools[pool].clone();
            // Dear chain: sell base down to the midpoint.
            let state = dear.pmm_state(pool)?;
            let base_in = vault_math::sizing::max_correcting_base_in(&state, target, dear.fees)
                .map_err(|e| SimError::Math(format!("{e:?}")))?
                .min(dear.usd(p.base, self.config.max_trade_usd))
                .min(self.inventory[ci_dear][p.base]);
            // Cheap chain: sell quote up to the midpoint.
            let state = cheap.pmm_state(pool)?;
            let quote_in = vault_math::sizing::max_correcting_quote_in(&state, target, cheap.fees)
                .map_err(|e| SimError::Math(format!("{e:?}")))?
                .min(cheap.usd(p.quote, self.config.max_trade_usd))
                .min(self.inventory[ci_cheap][p.quote]);
            if base_in.is_zero() && quote_in.is_zero() {
                self.skipped += 1;
                continue;
            }
            let arrival = block + self.config.latency_blocks;
            if !base_in.is_zero() {
                let got = dear.sell(BOT, pool, true, base_in)?;
                self.inventory[ci_dear][p.base] -= base_in;
                self.in_flight.push_back((arrival, ci_cheap, p.quote, got));
            }
            if !quote_in.is_zero() {
                let got = cheap.sell(BOT, pool, false, quote_in)?;
                self.inventory[ci_cheap][p.quote] -= quote_in;
                self.in_flight.push_back((arrival, ci_dear, p.base, got));
            }
            self.trades += 1;
        }
        Ok(())
    }

    /// A line for the report.
    pub fn describe(&self) -> String {
        format!(
            "parity bot: {} parity trades, {} blocks where its inventory on the needed side was exhausted (bridge latency {} L2 blocks, trigger {} bps, at most {} USD a leg, {} USD of each token on each chain at start)",
            self.trades,
            self.skipped,
            self.config.latency_blocks,
            self.config.trigger_bps,
            self.config.max_trade_usd,
            self.config.inventory_usd
        )
    }
}
