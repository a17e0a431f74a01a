//! The keeper's decision, once per L2 block and pool, exactly as the
//! simulator has always run it: it reads the pool's deviation from its
//! oracle as FlashContainment computes it (free views) and pokes
//! FlashContainment (it holds `POKER_ROLE`) only when that deviation is past
//! `θ`: a block in the band cannot count toward the sustain rule, so it is
//! not recorded (blocks nobody observed count as in band). After a poke it
//! asks the Stabilizer's `checkDeviation`, reads `keeperTrade`, lowers the
//! size to the one that reaches the peg (exact PMM off chain,
//! `vault_math::sizing`) and plans the four-argument `executePrivateSwap`
//! bounded by the pool's own quote.

use std::collections::BTreeMap;

use alloy_primitives::Address;
use alloy_sol_types::{SolCall, SolEvent};
use vault_math::deviation::Bps;
use vault_math::observation::{pool_deviation_bps, sustain_span, SustainTracker};
use vault_math::pmm::{PmmState, RState};
use vault_math::sizing;

use crate::abi::{dodo, fc, feed, stab};
use crate::endpoint::{CallResult, Endpoint, Sent};
use crate::pool::PoolSpec;
use crate::KeeperError;

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
#[derive(Debug, Clone)]
pub enum Plan {
    /// `checkDeviation` says no, or nothing is left to the peg.
    Idle,
    /// `checkDeviation` says yes but `keeperTrade` refuses: the error name.
    Refused(String),
    /// The trade to send.
    Send(stab::executePrivateSwapCall),
}

/// Decodes a view's successful return.
///
/// # Errors
/// [`KeeperError::Reverted`] for a revert, [`KeeperError::Decode`] for an
/// undecodable return.
pub fn decode<C: SolCall>(result: &CallResult) -> Result<C::Return, KeeperError> {
    if !result.success {
        return Err(KeeperError::Reverted {
            call: C::SIGNATURE,
            error: crate::abi::any_error_name(&result.data),
            data: result.data.clone(),
        });
    }
    C::abi_decode_returns(&result.data, true)
        .map_err(|e| KeeperError::Decode { call: C::SIGNATURE, reason: e.to_string() })
}

/// A view that must answer.
///
/// # Errors
/// As [`decode`], and [`KeeperError::Endpoint`].
pub async fn view<E: Endpoint, C: SolCall>(
    endpoint: &mut E,
    to: Address,
    call: &C,
) -> Result<C::Return, KeeperError> {
    let result = endpoint.view(to, call.abi_encode().into()).await?;
    decode::<C>(&result)
}

pub(crate) fn math(e: impl std::fmt::Debug) -> KeeperError {
    KeeperError::Math(format!("{e:?}"))
}

/// The pool's deviation from its oracle in bps, read exactly as
/// FlashContainment reads an observation: the pool's `getMidPrice` against
/// the oracle's `latestPrice`, through
/// [`vault_math::observation::pool_deviation_bps`] with the pool's token
/// decimals (two views, no gas).
///
/// # Errors
/// [`KeeperError`] when a read fails or the deviation cannot be computed.
pub async fn read_deviation<E: Endpoint>(endpoint: &mut E, spec: &PoolSpec) -> Result<Bps, KeeperError> {
    let mid = view(endpoint, spec.pool, &dodo::getMidPriceCall {}).await?.midPrice;
    let price = view(endpoint, spec.oracle, &feed::latestPriceCall {}).await?.price;
    pool_deviation_bps(mid, price, spec.base.decimals, spec.quote.decimals).map_err(math)
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
pub async fn turn<E: Endpoint>(
    endpoint: &mut E,
    spec: &PoolSpec,
    every_block: bool,
    gas: &mut GasStats,
) -> Result<Plan, KeeperError> {
    if !every_block && !can_matter(read_deviation(endpoint, spec).await?, spec.threshold_bps) {
        return Ok(Plan::Idle);
    }
    let streak = poke(endpoint, spec, gas).await?;
    plan(endpoint, spec, streak, gas).await
}

/// The keeper's poke of one pool: the `streak` of its `Observed` event when
/// it recorded the block's observation (the number of the last `S = 2N − 1`
/// L2 blocks observed past `θ`), `None` when the block was already observed.
///
/// # Errors
/// [`KeeperError::Reverted`] when the poke reverts.
pub async fn poke<E: Endpoint>(
    endpoint: &mut E,
    spec: &PoolSpec,
    gas: &mut GasStats,
) -> Result<Option<u64>, KeeperError> {
    let call = fc::pokeCall { pool: spec.pool };
    let sent = endpoint.send(spec.containment, call.abi_encode().into()).await?;
    gas.add("poke", sent.gas_used);
    if !sent.success {
        return Err(KeeperError::Reverted {
            call: fc::pokeCall::SIGNATURE,
            error: crate::abi::any_error_name(&sent.output),
            data: sent.output,
        });
    }
    let observed =
        sent.logs.iter().find_map(|log| fc::Observed::decode_log(log, true).ok().map(|e| e.data.streak));
    // In process the return value says whether the block was recorded; a
    // receipt has no return value, and a recording poke always logs
    // `Observed`.
    if !sent.output.is_empty() {
        let recorded = fc::pokeCall::abi_decode_returns(&sent.output, true)
            .map_err(|e| KeeperError::Decode { call: fc::pokeCall::SIGNATURE, reason: e.to_string() })?;
        if !recorded._0 {
            return Ok(None);
        }
    }
    Ok(observed)
}

/// The first block whose observation can count toward FlashContainment's
/// sustain rule at `block`: the rule looks at the last `2N − 1` blocks.
pub fn sustain_window_start(spec: &PoolSpec, block: u64) -> u64 {
    block.saturating_sub(sustain_span(spec.sustain_blocks).saturating_sub(1))
}

/// Whether FlashContainment's sustain rule holds at `block`, given the
/// pool's recorded observations `(block, deviationBps)` (its `Observed`
/// events, oldest first, from [`sustain_window_start`] on): the rule of
/// `vault_math::observation::SustainTracker` itself. A trade sent after
/// the keeper's poke lands a block later than the poke; when the keeper's
/// pokes fell on every other block, the rule holds in the poke's block
/// and not in the next, and the trade reverts `SingleBlockSpike`.
pub fn sustained_at(spec: &PoolSpec, observations: &[(u64, i32)], block: u64) -> bool {
    let threshold = u32::try_from(spec.threshold_bps).unwrap_or(u32::MAX);
    let tracker = observations
        .iter()
        .fold(SustainTracker::new(), |tracker, &(at, deviation)| tracker.observe(at, deviation, threshold));
    tracker.is_sustained_at(block, spec.sustain_blocks)
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
/// [`KeeperError`] when a view that must answer fails.
pub async fn plan<E: Endpoint>(
    endpoint: &mut E,
    spec: &PoolSpec,
    streak: Option<u64>,
    gas: &mut GasStats,
) -> Result<Plan, KeeperError> {
    if streak.is_some_and(|s| s < spec.sustain_blocks) {
        return Ok(Plan::Idle);
    }
    let result = endpoint.view(spec.stabilizer, stab::checkDeviationCall {}.abi_encode().into()).await?;
    if let Some(used) = result.gas_used {
        gas.add("checkDeviation", used);
    }
    if !decode::<stab::checkDeviationCall>(&result)?.shouldRebalance {
        return Ok(Plan::Idle);
    }
    let result = endpoint.view(spec.stabilizer, stab::keeperTradeCall {}.abi_encode().into()).await?;
    if let Some(used) = result.gas_used {
        gas.add("keeperTrade", used);
    }
    if !result.success {
        return Ok(Plan::Refused(crate::abi::error_name(&result.data)));
    }
    let trade = decode::<stab::keeperTradeCall>(&result)?;
    let oracle_price = view(endpoint, spec.oracle, &feed::latestPriceCall {}).await?.price;
    let peg = vault_math::stabilizer::raw_peg(oracle_price, spec.base.decimals, spec.quote.decimals, false)
        .map_err(math)?;
    let state = pmm_state(endpoint, spec.pool).await?;
    let sells_base = trade.tokenIn == spec.base.address;
    // The public pool is DODO V2's: sized on its own integer arithmetic
    // (`sizing::dodo`), so the size lands on the peg or short of it there.
    let to_peg = if sells_base {
        sizing::dodo::max_correcting_base_in(&state, peg, spec.fees)
    } else {
        sizing::dodo::max_correcting_quote_in(&state, peg, spec.fees)
    }
    .map_err(math)?;
    let size = trade.tradeSize.min(to_peg);
    if size.is_zero() {
        return Ok(Plan::Idle);
    }
    let quote = if sells_base {
        let call = dodo::querySellBaseCall { trader: spec.stabilizer, payBaseAmount: size };
        view(endpoint, spec.pool, &call).await?.receiveQuoteAmount
    } else {
        let call = dodo::querySellQuoteCall { trader: spec.stabilizer, payQuoteAmount: size };
        view(endpoint, spec.pool, &call).await?.receiveBaseAmount
    };
    Ok(Plan::Send(stab::executePrivateSwapCall {
        tradeSize: size,
        tokenIn: trade.tokenIn,
        tokenOut: trade.tokenOut,
        minAmountOut: quote,
    }))
}

/// The pool's PMM state (`getPMMStateForCall`).
///
/// # Errors
/// As [`view`].
pub async fn pmm_state<E: Endpoint>(endpoint: &mut E, pool: Address) -> Result<PmmState, KeeperError> {
    let st = view(endpoint, pool, &dodo::getPMMStateForCallCall {}).await?;
    let r = match st.R.to::<u8>() {
        0 => RState::One,
        1 => RState::AboveOne,
        _ => RState::BelowOne,
    };
    Ok(PmmState { i: st.i, k: st.K, b: st.B, q: st.Q, b0: st.B0, q0: st.Q0, r })
}

/// Sends the planned trade.
///
/// # Errors
/// [`KeeperError::Endpoint`] when it could not be sent (a revert is a
/// [`Sent`] with `success == false`).
pub async fn execute<E: Endpoint>(
    endpoint: &mut E,
    spec: &PoolSpec,
    call: &stab::executePrivateSwapCall,
    gas: &mut GasStats,
) -> Result<Sent, KeeperError> {
    let sent = endpoint.send(spec.stabilizer, call.abi_encode().into()).await?;
    gas.add("executePrivateSwap", sent.gas_used);
    Ok(sent)
}

/// The `Stabilized` events of a transaction.
pub fn stabilized(sent: &Sent) -> Vec<stab::Stabilized> {
    sent.logs
        .iter()
        .filter_map(|log| stab::Stabilized::decode_log(log, true).ok().map(|decoded| decoded.data))
        .collect()
}
