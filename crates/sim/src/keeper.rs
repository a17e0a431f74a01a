//! The keeper in the simulator: `vault-keeper`'s decision
//! ([`vault_keeper::decide`]), the same code the `vault-keeper` program runs
//! over JSON-RPC, run in process on the market's chain. Views go from
//! [`VIEWER`] (`eth_call`), transactions from [`KEEPER`]; every call
//! answers at once, so each future is polled once
//! ([`vault_keeper::run_ready`]).
//!
//! Each L2 block, for every pool, the keeper reads the pool's deviation
//! from its oracle and pokes FlashContainment only past `θ`; after a poke
//! it asks `checkDeviation`, reads `keeperTrade`, lowers the size to the
//! one that reaches the peg and sends the four-argument
//! `executePrivateSwap` bounded by the pool's own quote.

use alloy_primitives::{Address, Bytes, U256};
use vault_chain::World;
use vault_keeper::{run_ready, CallResult, Endpoint, EndpointError, KeeperError, PoolSpec, Sent, TokenSpec};

pub use vault_keeper::{stabilized, GasStats, Plan};

use crate::abi::stab;
use crate::market::{Market, KEEPER, VIEWER};
use crate::scenario::Parameters;
use crate::SimError;

/// The in-process chain as an endpoint: views from `VIEWER`, transactions
/// from `sender` (the keeper, or the parity bot).
pub struct InProcess<'a> {
    /// The chain.
    pub world: &'a mut World,
    /// Who sends the transactions.
    pub sender: Address,
}

impl Endpoint for InProcess<'_> {
    async fn view(&mut self, to: Address, calldata: Bytes) -> Result<CallResult, EndpointError> {
        let outcome = self.world.static_call(VIEWER, to, &calldata);
        Ok(CallResult {
            success: outcome.success,
            data: outcome.return_data.into(),
            gas_used: Some(outcome.gas_used),
        })
    }

    async fn send(&mut self, to: Address, calldata: Bytes) -> Result<Sent, EndpointError> {
        let outcome = self.world.call(self.sender, to, &calldata, U256::ZERO);
        Ok(Sent {
            success: outcome.success,
            gas_used: outcome.gas_used,
            logs: outcome.logs,
            output: outcome.return_data.into(),
        })
    }
}

/// What the keeper knows of a market's pool: the market's contracts and
/// tokens, the scenario's `θ` and `N` (FlashContainment's registration) and
/// the market's fees.
pub fn spec(market: &Market, pool: usize, params: &Parameters) -> PoolSpec {
    let p = &market.pools[pool];
    let token = |index: usize| TokenSpec {
        address: market.tokens[index].address,
        decimals: market.tokens[index].decimals,
    };
    PoolSpec {
        pool: p.address,
        stabilizer: p.stabilizer,
        containment: market.containment,
        oracle: p.oracle,
        base: token(p.base),
        quote: token(p.quote),
        threshold_bps: params.threshold_bps,
        sustain_blocks: params.sustain_blocks,
        fees: market.fees,
    }
}

fn sim_error(error: KeeperError) -> SimError {
    match error {
        KeeperError::Math(why) => SimError::Math(why),
        other => SimError::Chain(other.to_string()),
    }
}

/// The keeper's turn on one pool in one block ([`vault_keeper::turn`]).
///
/// # Errors
/// [`SimError::Chain`] when a call that must answer fails,
/// [`SimError::Math`] when the deviation or the size cannot be computed.
pub fn turn(
    market: &mut Market,
    pool: usize,
    params: &Parameters,
    every_block: bool,
    gas: &mut GasStats,
) -> Result<Plan, SimError> {
    let spec = spec(market, pool, params);
    run_ready(vault_keeper::turn(
        &mut InProcess { world: &mut market.world, sender: KEEPER },
        &spec,
        every_block,
        gas,
    ))
    .map_err(sim_error)
}

/// The keeper's poke of one pool ([`vault_keeper::poke`]): the streak its
/// `Observed` event logged, `None` when the block was already observed.
///
/// # Errors
/// [`SimError::Chain`] when the poke reverts.
pub fn poke(
    market: &mut Market,
    pool: usize,
    params: &Parameters,
    gas: &mut GasStats,
) -> Result<Option<u64>, SimError> {
    let spec = spec(market, pool, params);
    run_ready(vault_keeper::poke(&mut InProcess { world: &mut market.world, sender: KEEPER }, &spec, gas))
        .map_err(sim_error)
}

/// Whether the pool's deviation, read as FlashContainment reads it (free
/// views), is past `θ` ([`vault_keeper::decide::can_matter`]).
///
/// # Errors
/// As [`turn`].
pub fn past_threshold(market: &mut Market, pool: usize, params: &Parameters) -> Result<bool, SimError> {
    let spec = spec(market, pool, params);
    let deviation = run_ready(vault_keeper::decide::read_deviation(
        &mut InProcess { world: &mut market.world, sender: KEEPER },
        &spec,
    ))
    .map_err(sim_error)?;
    Ok(vault_keeper::decide::can_matter(deviation, spec.threshold_bps))
}

/// The keeper's plan after its poke logged `streak`
/// ([`vault_keeper::decide::plan`]), on the state it sees.
///
/// # Errors
/// As [`turn`].
pub fn plan(
    market: &mut Market,
    pool: usize,
    params: &Parameters,
    streak: Option<u64>,
    gas: &mut GasStats,
) -> Result<Plan, SimError> {
    let spec = spec(market, pool, params);
    run_ready(vault_keeper::decide::plan(
        &mut InProcess { world: &mut market.world, sender: KEEPER },
        &spec,
        streak,
        gas,
    ))
    .map_err(sim_error)
}

/// Sends the planned trade ([`vault_keeper::execute`]).
pub fn execute(
    market: &mut Market,
    pool: usize,
    params: &Parameters,
    call: &stab::executePrivateSwapCall,
    gas: &mut GasStats,
) -> Sent {
    let spec = spec(market, pool, params);
    run_ready(vault_keeper::execute(
        &mut InProcess { world: &mut market.world, sender: KEEPER },
        &spec,
        call,
        gas,
    ))
    .unwrap_or_else(|e| unreachable!("the in-process endpoint never fails: {e}"))
}
