//! The project's Stylus ERC-20 test fixture: OpenZeppelin's `Erc20` and
//! `Erc20Metadata` (openzeppelin-stylus 0.3.0) behind a constructor that
//! names the token and mints its whole supply to one holder.
//!
//! Every function, event and error is OpenZeppelin's; this crate only
//! composes them (the transfer, allowance and error logic is not ours, which
//! is what makes it a reference for conformance tests).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
extern crate alloc;

// `vec` and `Vec` are used by the code the SDK's macros generate.
use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{aliases::B32, Address, U256, U8};
use openzeppelin_stylus::{
    token::erc20::{
        self,
        extensions::{Erc20Metadata, IErc20Metadata},
        Erc20, IErc20,
    },
    utils::introspection::erc165::IErc165,
};
use stylus_sdk::prelude::*;

/// The token: OpenZeppelin's ERC-20 state and its metadata (name, symbol;
/// 18 decimals).
#[entrypoint]
#[storage]
struct StylusErc20 {
    erc20: Erc20,
    metadata: Erc20Metadata,
}

#[public]
#[implements(IErc20<Error = erc20::Error>, IErc20Metadata, IErc165)]
impl StylusErc20 {
    /// Names the token and mints `supply` to `holder` (one `Transfer` from
    /// the zero address). The holder is an argument because inside a
    /// constructor deployed by cargo-stylus the sender is the `StylusDeployer`.
    ///
    /// # Errors
    ///
    /// `ERC20InvalidReceiver(address(0))` when `holder` is the zero address.
    #[constructor]
    pub fn constructor(
        &mut self,
        name: String,
        symbol: String,
        holder: Address,
        supply: U256,
    ) -> Result<(), erc20::Error> {
        self.metadata.constructor(name, symbol);
        self.erc20._mint(holder, supply)
    }
}

#[public]
impl IErc20 for StylusErc20 {
    type Error = erc20::Error;

    fn total_supply(&self) -> U256 {
        self.erc20.total_supply()
    }

    fn balance_of(&self, account: Address) -> U256 {
        self.erc20.balance_of(account)
    }

    fn transfer(&mut self, to: Address, value: U256) -> Result<bool, Self::Error> {
        self.erc20.transfer(to, value)
    }

    fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.erc20.allowance(owner, spender)
    }

    fn approve(&mut self, spender: Address, value: U256) -> Result<bool, Self::Error> {
        self.erc20.approve(spender, value)
    }

    fn transfer_from(&mut self, from: Address, to: Address, value: U256) -> Result<bool, Self::Error> {
        self.erc20.transfer_from(from, to, value)
    }
}

#[public]
impl IErc20Metadata for StylusErc20 {
    fn name(&self) -> String {
        self.metadata.name()
    }

    fn symbol(&self) -> String {
        self.metadata.symbol()
    }

    fn decimals(&self) -> U8 {
        self.metadata.decimals()
    }
}

#[public]
impl IErc165 for StylusErc20 {
    fn supports_interface(&self, interface_id: B32) -> bool {
        <Erc20 as IErc165>::supports_interface(&self.erc20, interface_id)
            || <Erc20Metadata as IErc165>::supports_interface(&self.metadata, interface_id)
    }
}

/// Aborts on panic (OpenZeppelin panics only on a `totalSupply` overflow at
/// mint): no message formatting code is linked into the wasm.
#[cfg(all(target_arch = "wasm32", not(any(test, feature = "export-abi"))))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
