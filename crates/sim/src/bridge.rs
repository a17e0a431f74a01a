//! The cross-chain parity bot (§9) in the simulator: `vault-keeper`'s
//! parity decision ([`vault_keeper::parity`]), the code `vault-keeper
//! parity` runs over JSON-RPC, run in process on both chains (views from
//! [`VIEWER`](crate::market::VIEWER), trades from [`BOT`]). What stays here is the simulation's
//! bridge: the bot's books per chain, and its proceeds in flight, usable on
//! the other chain only `L` blocks later.

use std::collections::VecDeque;

use alloy_primitives::{Address, U256};
use vault_keeper::parity::{self, BridgeOutflow, Inventory, PairPool, ParityPair, ParityPlan, ParityRules};
use vault_keeper::{run_ready, KeeperError};

use crate::keeper::InProcess;
use crate::market::{Market, BOT};
use crate::record::EventRecord;
use crate::scenario::CrossChain;
use crate::SimError;

/// L2 blocks per minute (250 ms blocks): the outflow buckets.
const BLOCKS_PER_MINUTE: u64 = 240;
/// The peak bridge outflow is kept over an hour, as the ReserveSizer's
/// default peak window.
const PEAK_WINDOW_MINUTES: u64 = 60;

/// The bot: its pairs and rules, books per chain, and the transfers in
/// flight.
#[derive(Debug, Clone)]
pub struct ParityBot {
    config: CrossChain,
    pairs: Vec<ParityPair>,
    rules: ParityRules,
    inventory: Inventory,
    outflow: BridgeOutflow,
    /// `(arrival block, chain, token, amount)`.
    in_flight: VecDeque<(u64, usize, Address, U256)>,
    trades: u64,
    skipped: u64,
}

impl ParityBot {
    /// A bot on the pools of `a` (Chain 138) and `b` (Alltra), with
    /// `inventory_usd` of each token on each chain.
    pub fn new(config: &CrossChain, a: &Market, b: &Market) -> Self {
        let mut inventory = Inventory::default();
        for (chain, market) in [a, b].into_iter().enumerate() {
            for (t, token) in market.tokens.iter().enumerate() {
                inventory.set(chain, token.address, a.usd(t, config.inventory_usd));
            }
        }
        let side = |market: &Market, pool: usize| {
            let p = &market.pools[pool];
            PairPool {
                pool: p.address,
                base: market.tokens[p.base].address,
                quote: market.tokens[p.quote].address,
                fees: market.fees,
                max_base_in: market.usd(p.base, config.max_trade_usd),
                max_quote_in: market.usd(p.quote, config.max_trade_usd),
            }
        };
        let pairs = (0..a.pools.len())
            .map(|n| ParityPair { label: a.pools[n].label.clone(), pools: [side(a, n), side(b, n)] })
            .collect();
        let rules = ParityRules {
            trigger_bps: config.trigger_bps,
            latency_blocks: config.latency_blocks,
            blocks_per_minute: BLOCKS_PER_MINUTE,
            peak_window_minutes: PEAK_WINDOW_MINUTES,
        };
        Self {
            config: config.clone(),
            pairs,
            rules,
            inventory,
            outflow: BridgeOutflow::default(),
            in_flight: VecDeque::new(),
            trades: 0,
            skipped: 0,
        }
    }

    /// One block: bridge arrivals, then the bot's turn on every pair
    /// ([`vault_keeper::parity::turn`]); each leg's proceeds cross to the
    /// other chain.
    ///
    /// # Errors
    /// [`SimError`] when a read or a trade fails.
    pub fn step(
        &mut self,
        a: &mut Market,
        b: &mut Market,
        block: u64,
        _events: &mut [EventRecord],
    ) -> Result<(), SimError> {
        while self.in_flight.front().is_some_and(|&(arrival, ..)| arrival <= block) {
            if let Some((_, chain, token, amount)) = self.in_flight.pop_front() {
                self.inventory.add(chain, token, amount);
            }
        }
        let mut chains =
            [InProcess { world: &mut a.world, sender: BOT }, InProcess { world: &mut b.world, sender: BOT }];
        for pair in &self.pairs {
            let turn = run_ready(parity::turn(
                &mut chains,
                pair,
                &self.rules,
                &mut self.inventory,
                &mut self.outflow,
                block,
                [BOT, BOT],
            ))
            .map_err(sim_error)?;
            match turn.plan {
                ParityPlan::InBand => {}
                ParityPlan::Exhausted => self.skipped += 1,
                ParityPlan::Trade { .. } => self.trades += 1,
            }
            let arrival = block + self.config.latency_blocks;
            for (leg, outcome) in turn.sent {
                let other = 1 - leg.chain;
                let side = &pair.pools[other];
                let token = if leg.sells_base { side.quote } else { side.base };
                self.in_flight.push_back((arrival, other, token, outcome.received));
            }
        }
        Ok(())
    }

    /// A line for the report.
    pub fn describe(&self) -> String {
        format!(
            "parity bot: {} parity trades, {} blocks where its inventory on the needed side was exhausted or held back by the bridge buffer rule (bridge latency {} L2 blocks, trigger {} bps, at most {} USD a leg, {} USD of each token on each chain at start)",
            self.trades,
            self.skipped,
            self.config.latency_blocks,
            self.config.trigger_bps,
            self.config.max_trade_usd,
            self.config.inventory_usd
        )
    }
}

fn sim_error(error: KeeperError) -> SimError {
    match error {
        KeeperError::Math(why) => SimError::Math(why),
        other => SimError::Chain(other.to_string()),
    }
}
