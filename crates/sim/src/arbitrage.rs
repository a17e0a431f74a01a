//! Informed flow: arbitrageurs who know gold's true price. Once per L2
//! block, for each public pool, one trades the pool toward its true price
//! (not the oracle's, which lags it) when the pool is further from it than
//! the pool's fees plus the arbitrageur's edge (what hedging the position
//! elsewhere costs it), as far as the last unit still clears both, and only
//! when the whole trade pays after its gas, valued at the true price. Its
//! trades are external volume.
//!
//! An arbitrageur sees a block as the keeper does: it sizes its trade on
//! the state at the end of a block, and the trade lands `latency` blocks
//! later (0: at once), bounded by the amount it was quoted then, as a
//! `minAmountOut` bounds it (a trade the pool would now pay less for is
//! not made: it reverts, and its gas is lost).

use alloy_primitives::{I256, U256};

use crate::abi::fx;
use crate::market::{e18, view, Market, ARBITRAGEUR};
use crate::record::ExternalTrade;
use crate::SimError;

/// The arbitrageurs of one chain, and what they did.
#[derive(Debug, Clone, Default)]
pub struct Arbitrage {
    /// What one trade's gas costs, USD.
    gas_usd: f64,
    /// The edge it requires beyond the pool's fees, 1e18 (bps · 1e14).
    edge: U256,
    /// Trades made.
    pub trades: u64,
    /// Trades that would not have paid their gas.
    pub unprofitable: u64,
    /// What they sold, USD at the true price.
    pub volume_usd: f64,
    /// Their profit after gas, USD at the true price.
    pub pnl_usd: f64,
    /// Trades that reverted on their bound when they landed.
    pub reverted: u64,
    /// Trades sized on a block, by the block they land in and pool:
    /// `(sells base, amount in, least amount out)`.
    pending: std::collections::BTreeMap<(u64, usize), (bool, U256, U256)>,
}

impl Arbitrage {
    /// Arbitrageurs paying `gas_usd` a trade and requiring `edge_bps`
    /// beyond the pool's fees.
    pub fn new(gas_usd: f64, edge_bps: u64) -> Self {
        Self { gas_usd, edge: U256::from(edge_bps) * U256::from(100_000_000_000_000u64), ..Self::default() }
    }

    /// Sizes this block's arbitrage on every pool of `market`, on its
    /// state now, for the block `landing`.
    ///
    /// # Errors
    /// [`SimError`] when a read or the sizing fails.
    pub fn plan(&mut self, market: &mut Market, landing: u64) -> Result<(), SimError> {
        for pool in 0..market.pools.len() {
            if let Some(trade) = self.size(market, pool)? {
                self.pending.insert((landing, pool), trade);
            }
        }
        Ok(())
    }

    /// Lands the trades planned for `block` (record indexes from `offset`),
    /// each pushed to `external`.
    ///
    /// # Errors
    /// [`SimError`] when a read or a trade fails.
    pub fn land(
        &mut self,
        market: &mut Market,
        block: u64,
        offset: usize,
        external: &mut Vec<ExternalTrade>,
    ) -> Result<(), SimError> {
        for pool in 0..market.pools.len() {
            if let Some(trade) = self.pending.remove(&(block, pool)) {
                self.trade(market, pool, trade, offset, external)?;
            }
        }
        Ok(())
    }

    /// Sizes and makes this block's arbitrage at once (latency 0).
    ///
    /// # Errors
    /// As [`Arbitrage::plan`] and [`Arbitrage::land`].
    pub fn step(
        &mut self,
        market: &mut Market,
        offset: usize,
        external: &mut Vec<ExternalTrade>,
    ) -> Result<(), SimError> {
        for pool in 0..market.pools.len() {
            if let Some(trade) = self.size(market, pool)? {
                self.trade(market, pool, trade, offset, external)?;
            }
        }
        Ok(())
    }

    /// The trade toward the pool's true price that pays after fees, the
    /// edge and gas: `(sells base, amount in, amount out quoted)`.
    fn size(&mut self, market: &mut Market, pool: usize) -> Result<Option<(bool, U256, U256)>, SimError> {
        let math = |e: vault_math::MathError| SimError::Math(format!("{e:?}"));
        let dodo = |e: vault_math::pmm::dodo::DodoError| SimError::Math(format!("{e:?}"));
        let fee = market.fees.lp + market.fees.mt;
        let true_peg = market.true_peg(pool)?;
        let state = market.pmm_state(pool)?;
        // `getMidPrice`, exactly as the pool computes it.
        let mid = vault_math::pmm::dodo::pool_mid_price(&state).map_err(dodo)?;
        // Selling base pays while the pool's price after fees and the edge
        // is above the true price: down to true / ((1 − fee)(1 − edge));
        // buying it, up to true · (1 − fee)(1 − edge). Rounded so the last
        // unit still clears them.
        let keep = vault_math::fixed::mul_div_floor(e18() - fee, e18() - self.edge, e18()).map_err(math)?;
        let above = vault_math::fixed::mul_div_ceil(true_peg, e18(), keep).map_err(math)?;
        let below = vault_math::fixed::mul_div_floor(true_peg, keep, e18()).map_err(math)?;
        let (sells_base, amount) = if mid > above {
            (
                true,
                vault_math::sizing::dodo::max_correcting_base_in(&state, above, market.fees).map_err(dodo)?,
            )
        } else if mid < below {
            (
                false,
                vault_math::sizing::dodo::max_correcting_quote_in(&state, below, market.fees)
                    .map_err(dodo)?,
            )
        } else {
            return Ok(None);
        };
        if amount.is_zero() {
            return Ok(None);
        }
        let received = quote(market, pool, sells_base, amount)?;
        let p = &market.pools[pool];
        let (token_in, token_out) = if sells_base { (p.base, p.quote) } else { (p.quote, p.base) };
        let profit = market.to_usd_true(token_out, signed(received))
            - market.to_usd_true(token_in, signed(amount))
            - self.gas_usd;
        if profit <= 0.0 {
            self.unprofitable += 1;
            return Ok(None);
        }
        Ok(Some((sells_base, amount, received)))
    }

    /// Makes a sized trade unless the pool now pays less than `least`.
    fn trade(
        &mut self,
        market: &mut Market,
        pool: usize,
        (sells_base, amount, least): (bool, U256, U256),
        offset: usize,
        external: &mut Vec<ExternalTrade>,
    ) -> Result<(), SimError> {
        if quote(market, pool, sells_base, amount)? < least {
            self.reverted += 1;
            self.pnl_usd -= self.gas_usd;
            return Ok(());
        }
        let p = market.pools[pool].clone();
        let (token_in, token_out) = if sells_base { (p.base, p.quote) } else { (p.quote, p.base) };
        let deviation_bps = market.deviation_bps(pool)?;
        let received = market.sell(ARBITRAGEUR, pool, sells_base, amount)?;
        let paid_usd = market.to_usd_true(token_in, signed(amount));
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        external.push(ExternalTrade {
            pool: offset + pool,
            usd: paid_usd.round() as u64,
            deviation_bps,
            drain: false,
            informed: true,
        });
        self.trades += 1;
        self.volume_usd += paid_usd;
        self.pnl_usd += market.to_usd_true(token_out, signed(received)) - paid_usd - self.gas_usd;
        Ok(())
    }

    /// One line for the report's notes.
    pub fn describe(&self) -> String {
        format!(
            "Arbitrageurs (informed flow): {} trades toward the true price, {:.0} USD sold, {:+.2} USD profit after gas at the true price; {} reverted on their bound when they landed; {} more would not have paid their gas",
            self.trades, self.volume_usd, self.pnl_usd, self.reverted, self.unprofitable
        )
    }
}

/// What the pool pays for `amount` now (`querySellBase`/`querySellQuote`).
fn quote(market: &mut Market, pool: usize, sells_base: bool, amount: U256) -> Result<U256, SimError> {
    let address = market.pools[pool].address;
    Ok(if sells_base {
        view(
            &mut market.world,
            address,
            &fx::querySellBaseCall { trader: ARBITRAGEUR, payBaseAmount: amount },
        )?
        .receiveQuoteAmount
    } else {
        view(
            &mut market.world,
            address,
            &fx::querySellQuoteCall { trader: ARBITRAGEUR, payQuoteAmount: amount },
        )?
        .receiveBaseAmount
    })
}

fn signed(value: U256) -> I256 {
    I256::try_from(value).unwrap_or(I256::MAX)
}
