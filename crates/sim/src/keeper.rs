//! The keeper, exactly as an off-chain keeper runs: each L2 block, for every
//! pool, it reads the pool's deviation from its oracle as FlashContainment
//! computes it (free `eth_call`s) and pokes FlashContainment (it holds
//! `POKER_ROLE`) only when that deviation is past `θ`: a block in the band
//! cannot count toward the sustain rule, so it is not recorded (blocks
//! nobody observed count as in band). After a poke it asks the Stabilizer's
//! `checkDeviation`, reads `keeperTrade`, lowers the size to the one that
//! reaches the peg (exact PMM off chain, `vault_math::sizing`) and sends the
//! four-argument `executePrivateSwap` bounded by the pool's own quote.

use std::collections::BTreeMap;

use alloy_primitives::U256;
use alloy_sol_types::{SolCall, SolEvent};
use vault_chain::CallOutcome;
use vault_math::deviation::Bps;
use vault_math::observation::pool_deviation_bps;
use vault_math::sizing;

use crate::abi::{dodo, fc, fx, stab};
use crate::market::{decode, view, Market, KEEPER, VIEWER};
use crate::scenario::Parameters;
use crate::SimError;

/// Gas used per call type: count, sum, max.
#[derive(Debug, Clone, Default)]
pub struct GasStats {
    /// By call name.
    pub calls: BTreeMap<String, (u64, u128, u64)>,
}

impl GasStats {
    /// Records one call's gas.
    pub fn add(&mut self, name: &str, gas: u64) {
        let entry = self.calls.entry(name.to_owned()).or_default();
        entry.0 += 1;
        entry.1 += u128::from(gas);
        entry.2 = entry.2.max(gas);
    }
}

/// What the keeper decided for one pool after its poke.
#[derive(Clone)]
pub enum Plan {
    /// `checkDeviation` says no, or nothing is left to the peg.
    Idle,
    /// `checkDeviation` says yes but `keeperTrade` refuses: the error name.
    Refused(String),
    /// The trade to send.
    Send(stab::executePrivateSwapCall),
}

/// The pool's deviation from its oracle in bps, read exactly as
/// FlashContainment reads an observation: the pool's `getMidPrice` against
/// the oracle's `latestPrice`, through
/// [`vault_math::observation::pool_deviation_bps`] with the pool's token
/// decimals (two `eth_call`s, no gas).
///
/// # Errors
/// [`SimError::Chain`] when a read fails, [`SimError::Math`] when the
/// deviation cannot be computed.
pub fn read_deviation(market: &mut Market, pool: usize) -> Result<Bps, SimError> {
    let (oracle, base, quote) = {
        let p = &market.pools[pool];
        (p.oracle, market.tokens[p.base].decimals, market.tokens[p.quote].decimals)
    };
    let mid = market.mid(pool)?;
    let price = view(&mut market.world, oracle, &fx::latestPriceCall {})?.price;
    pool_deviation_bps(mid, price, base, quote).map_err(|e| SimError::Math(format!("{e:?}")))
}

/// Whether a block with this deviation can matter to FlashContainment's
/// sustain rule: `|deviation| > θ` (either sign).
pub fn can_matter(deviation: Bps, threshold_bps: u64) -> bool {
    u64::from(deviation.unsigned_abs()) > threshold_bps
}

/// The keeper's turn on one pool in one block: reads the deviation; in the
/// band (`|deviation| ≤ θ`) it neither pokes nor plans; past `θ` it pokes,
/// then [`plan`]s. With `every_block` it pokes whatever the deviation (the
/// policy before this one, for comparison).
///
/// # Errors
/// As [`read_deviation`], [`poke`] and [`plan`].
pub fn turn(
    market: &mut Market,
    pool: usize,
    params: &Parameters,
    every_block: bool,
    gas: &mut GasStats,
) -> Result<Plan, SimError> {
    if !every_block && !can_matter(read_deviation(market, pool)?, params.threshold_bps) {
        return Ok(Plan::Idle);
    }
    let streak = poke(market, pool, gas)?;
    plan(market, pool, streak, params.sustain_blocks, gas)
}

/// The keeper's poke of one pool: the `streak` of its `Observed` event when
/// it recorded the block's observation (the number of the last `S = 2N − 1`
/// L2 blocks observed past `θ`), `None` when the block was already observed.
///
/// # Errors
/// [`SimError::Chain`] when the poke reverts.
pub fn poke(market: &mut Market, pool: usize, gas: &mut GasStats) -> Result<Option<u64>, SimError> {
    let call = fc::pokeCall { pool: market.pools[pool].address };
    let outcome = market.world.call(KEEPER, market.containment, &call.abi_encode(), U256::ZERO);
    gas.add("poke", outcome.gas_used);
    if !decode::<fc::pokeCall>(&outcome)?._0 {
        return Ok(None);
    }
    Ok(outcome.logs.iter().find_map(|log| fc::Observed::decode_log(log, true).ok().map(|e| e.data.streak)))
}

/// `checkDeviation`, then `keeperTrade`, then the size lowered to the one
/// that brings the pool to (never past) the peg, bounded by the pool's
/// exact quote for it.
///
/// `streak` is the count the keeper's poke just logged (`Observed`); below
/// `N` the keeper skips `checkDeviation`, which cannot say yes then
/// (FlashContainment's `shouldRebalance` requires that count ≥ `N`).
///
/// # Errors
/// [`SimError`] when a view that must answer fails.
pub fn plan(
    market: &mut Market,
    pool: usize,
    streak: Option<u64>,
    sustain_blocks: u64,
    gas: &mut GasStats,
) -> Result<Plan, SimError> {
    if streak.is_some_and(|s| s < sustain_blocks) {
        return Ok(Plan::Idle);
    }
    let stabilizer = market.pools[pool].stabilizer;
    let outcome = market.world.static_call(VIEWER, stabilizer, &stab::checkDeviationCall {}.abi_encode());
    gas.add("checkDeviation", outcome.gas_used);
    if !decode::<stab::checkDeviationCall>(&outcome)?.shouldRebalance {
        return Ok(Plan::Idle);
    }
    let outcome = market.world.static_call(VIEWER, stabilizer, &stab::keeperTradeCall {}.abi_encode());
    gas.add("keeperTrade", outcome.gas_used);
    if !outcome.success {
        return Ok(Plan::Refused(crate::abi::error_name(&outcome.return_data)));
    }
    let trade = decode::<stab::keeperTradeCall>(&outcome)?;
    let peg = market.peg(pool)?;
    let state = market.pmm_state(pool)?;
    let sells_base = trade.tokenIn == market.tokens[market.pools[pool].base].address;
    let to_peg = if sells_base {
        sizing::max_correcting_base_in(&state, peg, market.fees)
    } else {
        sizing::max_correcting_quote_in(&state, peg, market.fees)
    }
    .map_err(|e| SimError::Math(format!("{e:?}")))?;
    let size = trade.tradeSize.min(to_peg);
    if size.is_zero() {
        return Ok(Plan::Idle);
    }
    let address = market.pools[pool].address;
    let quote = if sells_base {
        let call = dodo::querySellBaseCall { trader: stabilizer, payBaseAmount: size };
        crate::market::view(&mut market.world, address, &call)?.receiveQuoteAmount
    } else {
        let call = dodo::querySellQuoteCall { trader: stabilizer, payQuoteAmount: size };
        crate::market::view(&mut market.world, address, &call)?.receiveBaseAmount
    };
    Ok(Plan::Send(stab::executePrivateSwapCall {
        tradeSize: size,
        tokenIn: trade.tokenIn,
        tokenOut: trade.tokenOut,
        minAmountOut: quote,
    }))
}

/// Sends the planned trade.
pub fn execute(
    market: &mut Market,
    pool: usize,
    call: &stab::executePrivateSwapCall,
    gas: &mut GasStats,
) -> CallOutcome {
    let stabilizer = market.pools[pool].stabilizer;
    let outcome = market.world.call(KEEPER, stabilizer, &call.abi_encode(), U256::ZERO);
    gas.add("executePrivateSwap", outcome.gas_used);
    outcome
}

/// The `Stabilized` events of an outcome.
pub fn stabilized(outcome: &CallOutcome) -> Vec<stab::Stabilized> {
    outcome
        .logs
        .iter()
        .filter_map(|log| stab::Stabilized::decode_log(log, true).ok().map(|decoded| decoded.data))
        .collect()
}
