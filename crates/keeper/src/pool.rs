//! What the keeper knows of one pool: its contracts, tokens, FlashContainment
//! registration and fees. The simulator fills it from its market; the RPC
//! keeper reads it from chain at start ([`PoolSpec::discover`]).

use alloy_primitives::Address;
use vault_math::sizing::FeeRates;

use crate::abi::{dodo, fc, feed, stab};
use crate::decide::view;
use crate::endpoint::Endpoint;
use crate::KeeperError;

/// An ERC-20 of a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenSpec {
    /// Its address.
    pub address: Address,
    /// Its decimals.
    pub decimals: u8,
}

/// One public pool under a Stabilizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSpec {
    /// The public (DODO) pool.
    pub pool: Address,
    /// Its Stabilizer.
    pub stabilizer: Address,
    /// FlashContainment, which the keeper pokes.
    pub containment: Address,
    /// The pair oracle (quote per base, whole tokens, 1e18).
    pub oracle: Address,
    /// The base token.
    pub base: TokenSpec,
    /// The quote token.
    pub quote: TokenSpec,
    /// FlashContainment's θ, bps.
    pub threshold_bps: u64,
    /// FlashContainment's sustain blocks `N`.
    pub sustain_blocks: u64,
    /// The pool's fee rates for the Stabilizer (1e18 = 100%).
    pub fees: FeeRates,
}

impl PoolSpec {
    /// Reads a Stabilizer's pool from chain: `Stabilizer.contracts()`,
    /// FlashContainment's `poolConfig(pool)`, the pool's
    /// `getUserFeeRate(stabilizer)` and the tokens' `decimals()`.
    ///
    /// # Errors
    /// [`KeeperError`] when a read fails, or when FlashContainment's
    /// registration disagrees with the tokens' decimals.
    pub async fn discover<E: Endpoint>(endpoint: &mut E, stabilizer: Address) -> Result<Self, KeeperError> {
        let contracts = view(endpoint, stabilizer, &stab::contractsCall {}).await?._0;
        let (pool, containment) = (contracts[stab::slot::POOL], contracts[stab::slot::CONTAINMENT]);
        let config = view(endpoint, containment, &fc::poolConfigCall { pool }).await?;
        let fee = view(endpoint, pool, &dodo::getUserFeeRateCall { user: stabilizer }).await?;
        let mut tokens = [TokenSpec { address: Address::ZERO, decimals: 0 }; 2];
        for (token, (slot, registered)) in tokens
            .iter_mut()
            .zip([(stab::slot::BASE, config.baseDecimals), (stab::slot::QUOTE, config.quoteDecimals)])
        {
            let address = contracts[slot];
            let decimals = view(endpoint, address, &feed::decimalsCall {}).await?._0;
            if u64::from(decimals) != registered {
                return Err(KeeperError::Inconsistent(format!(
                    "token {address} has {decimals} decimals, FlashContainment registered {registered}"
                )));
            }
            *token = TokenSpec { address, decimals };
        }
        if config.oracle != contracts[stab::slot::ORACLE] {
            return Err(KeeperError::Inconsistent(format!(
                "Stabilizer's oracle {} is not FlashContainment's {}",
                contracts[stab::slot::ORACLE],
                config.oracle
            )));
        }
        Ok(Self {
            pool,
            stabilizer,
            containment,
            oracle: config.oracle,
            base: tokens[0],
            quote: tokens[1],
            threshold_bps: config.thresholdBps,
            sustain_blocks: config.sustainBlocks,
            fees: FeeRates { lp: fee.lpFeeRate, mt: fee.mtFeeRate },
        })
    }
}
