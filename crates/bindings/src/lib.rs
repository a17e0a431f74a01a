//! Bindings from the contracts to external Solidity contracts.
//!
//! Each interface is generated from a JSON ABI under `abi/external/` by
//! alloy's `sol!`; nothing here types a selector by hand: `IERC20`,
//! `IDODOPool` (DODO's official DSP ABI), `IPriceOracle` and the peg
//! managers (assumed ABIs, see `abi/external/README.md`). The helpers encode
//! a generated call, send it through the Stylus host and decode the typed
//! return value.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

use alloc::vec::Vec;

use alloy_primitives::Address;
use alloy_sol_types::{sol, SolCall};
use stylus_sdk::{
    prelude::*,
    stylus_core::calls::{context::Call, errors::Error as HostCallError},
};

sol!(
    #[allow(missing_docs)]
    IERC20,
    "../../abi/external/IERC20.json"
);

/// DODO V2 pool interface from DODO's official DSP ABI (`IDODOPool`),
/// with the structs it declares.
#[allow(missing_docs)]
pub mod dodo {
    alloy_sol_types::sol!(IDODOPool, "../../abi/external/dodo/DSP.json");
}
pub use dodo::IDODOPool;

sol!(
    #[allow(missing_docs)]
    ArbSys,
    "../../abi/external/ArbSys.json"
);

/// Arbitrum's `ArbSys` precompile.
pub const ARB_SYS: Address = Address::new([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x64]);

/// The L2 block number from `ArbSys(0x64).arbBlockNumber()`. On Arbitrum
/// `block.number` is an estimate of the L1 block; contracts that count
/// blocks count these.
///
/// # Errors
/// [`CallFailure`] when the precompile is absent or answers malformed data.
pub fn arb_block_number(host: &dyn Host) -> Result<u64, CallFailure> {
    let number = static_call(host, ARB_SYS, &ArbSys::arbBlockNumberCall {})?._0;
    u64::try_from(number).map_err(|_| CallFailure::BadReturn)
}

sol!(
    #[allow(missing_docs)]
    IPriceOracle,
    "../../abi/external/IPriceOracle.json"
);

sol!(
    #[allow(missing_docs)]
    IStablecoinPegManager,
    "../../abi/external/IStablecoinPegManager.json"
);

sol!(
    #[allow(missing_docs)]
    ICommodityPegManager,
    "../../abi/external/ICommodityPegManager.json"
);

/// Why an external call failed.
#[derive(Debug, PartialEq, Eq)]
pub enum CallFailure {
    /// The callee reverted with this data.
    Reverted(Vec<u8>),
    /// The callee returned bytes that do not decode as the ABI says.
    BadReturn,
}

/// Sends `call` to `to` as a static call and decodes its return.
///
/// # Errors
/// [`CallFailure`] when the callee reverts or returns malformed data.
pub fn static_call<C: SolCall>(host: &dyn Host, to: Address, call: &C) -> Result<C::Return, CallFailure> {
    let output = host.static_call(&Call::new(), to, &call.abi_encode()).map_err(into_failure)?;
    C::abi_decode_returns(&output, true).map_err(|_| CallFailure::BadReturn)
}

/// Sends `call` to `to` as a state-changing call and decodes its return.
///
/// # Errors
/// [`CallFailure`] when the callee reverts or returns malformed data.
pub fn call<C: SolCall>(host: &dyn Host, to: Address, call: &C) -> Result<C::Return, CallFailure> {
    let output = host.call(&Call::new(), to, &call.abi_encode()).map_err(into_failure)?;
    C::abi_decode_returns(&output, true).map_err(|_| CallFailure::BadReturn)
}

fn into_failure(error: HostCallError) -> CallFailure {
    match error {
        HostCallError::Revert(data) => CallFailure::Reverted(data),
        HostCallError::AbiDecodingFailed(_) => CallFailure::BadReturn,
    }
}

/// `token.balanceOf(account)` through the generated ERC-20 binding.
///
/// # Errors
/// [`CallFailure`] when the token reverts or returns malformed data.
pub fn erc20_balance_of(
    host: &dyn Host,
    token: Address,
    account: Address,
) -> Result<alloy_primitives::U256, CallFailure> {
    static_call(host, token, &IERC20::balanceOfCall { account }).map(|r| r._0)
}
