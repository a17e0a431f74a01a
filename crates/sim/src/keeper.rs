//! The keeper, exactly as an off-chain keeper runs: each L2 block it pokes
//! FlashContainment for every pool, asks each Stabilizer's
//! `checkDeviation`, reads `keeperTrade`, lowers the size to the one that
//! reaches the peg (exact PMM off chain, `vault_math::sizing`) and sends the
//! four-argument `executePrivateSwap` bounded by the pool's own quote.

use std::collections::BTreeMap;

use alloy_primitives::U256;
use alloy_sol_types::{SolCall, SolEvent};
use vault_chain::CallOutcome;
use vault_math::sizing;

use crate::abi::{dodo, fc, stab};
use crate::market::{decode, Market, KEEPER, VIEWER};
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

/// The keeper's poke of one pool: the streak of its `Observed` event when
/// it recorded the block's observation, `None` when the block was already
/// observed (someone poked first).
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
/// `streak` is the live streak the keeper's poke just logged (`Observed`);
/// below `N` the keeper skips `checkDeviation`, which cannot say yes then
/// (FlashContainment's `shouldRebalance` requires the live streak ≥ `N`).
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
