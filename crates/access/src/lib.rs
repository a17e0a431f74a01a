//! Roles and pause shared by the vault contracts.
//!
//! The roles follow OpenZeppelin's `AccessControl` exactly at the ABI level:
//! the same function names, events (`RoleGranted`, `RoleRevoked`) and errors
//! (`AccessControlUnauthorizedAccount`, `AccessControlBadConfirmation`), with
//! the zero role as every role's admin. It is written here rather than taken
//! from openzeppelin-stylus 0.3.0 because that crate switches on
//! alloy-primitives' `tiny-keccak` feature, which replaces the Stylus native
//! keccak hostio with a software keccak in every contract that depends on it
//! (see the README's size table). Events go through the contract's host, so
//! `TestVM` sees them.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256};
use alloy_sol_types::{sol, SolError, SolEvent};
use stylus_sdk::{
    prelude::*,
    storage::{StorageBool, StorageMap},
};
use vault_words::{Revert, Word};

/// The admin role: zero, as in OpenZeppelin. It administers every role.
pub const ADMIN_ROLE: B256 = B256::ZERO;

sol! {
    #![sol(abi)]

    /// `account` was granted `role` by `sender`.
    event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
    /// `account` lost `role`; `sender` revoked it (or is `account`, renouncing).
    event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);
    /// The contract was paused by `account`.
    event Paused(address account);
    /// The contract was unpaused by `account`.
    event Unpaused(address account);

    /// The caller `account` lacks `neededRole`.
    #[derive(Debug, PartialEq, Eq)]
    error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
    /// `renounceRole` was not called by the account itself.
    #[derive(Debug, PartialEq, Eq)]
    error AccessControlBadConfirmation();
    /// The contract is paused.
    #[derive(Debug, PartialEq, Eq)]
    error EnforcedPause();
    /// The contract is not paused.
    #[derive(Debug, PartialEq, Eq)]
    error ExpectedPause();
}

/// Role membership and the pause flag, with every refusal as a
/// [`vault_words::Revert`] and every event written by the shared word
/// encoder on the concrete host (`stylus_core::log` takes the host as
/// `&dyn Host`, and that one opaque use links the SDK's whole `Host` vtable,
/// about 3.2 KB deployed).
#[storage]
pub struct Roles {
    members: StorageMap<B256, StorageMap<Address, StorageBool>>,
    paused: StorageBool,
}

impl Roles {
    /// Whether `account` holds `role`.
    pub fn has_role(&self, role: B256, account: Address) -> bool {
        self.members.getter(role).get(account)
    }

    /// Refuses unless the caller holds `role`.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount`.
    #[inline(never)]
    pub fn only_role(&self, role: B256) -> Result<(), Revert> {
        self.only_any_role(role, role)
    }

    /// Refuses a caller that holds neither `role` nor `other`, with
    /// `AccessControlUnauthorizedAccount(caller, role)`.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount`.
    #[inline(never)]
    pub fn only_any_role(&self, role: B256, other: B256) -> Result<(), Revert> {
        let account = self.vm().msg_sender();
        if self.has_role(role, account) || (other != role && self.has_role(other, account)) {
            return Ok(());
        }
        let words = [Word::Address(&account), Word::Hash(&role)];
        Err(Revert::new(AccessControlUnauthorizedAccount::SELECTOR, &words))
    }

    /// Sets `account`'s membership of `role`; emits `RoleGranted` or
    /// `RoleRevoked` (sender: the caller) when it changes.
    #[inline(never)]
    pub fn set_role(&mut self, role: B256, account: Address, member: bool) {
        if self.has_role(role, account) == member {
            return;
        }
        self.members.setter(role).insert(account, member);
        let sender = self.vm().msg_sender();
        let signature = if member { RoleGranted::SIGNATURE_HASH } else { RoleRevoked::SIGNATURE_HASH };
        let topics =
            [Word::Hash(&signature), Word::Hash(&role), Word::Address(&account), Word::Address(&sender)];
        vault_words::emit(self.vm(), 4, &topics);
    }

    /// `grantRole` (`member`) or `revokeRole`: the caller must be admin.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount`.
    pub fn admin_set_role(&mut self, role: B256, account: Address, member: bool) -> Result<(), Revert> {
        self.only_role(ADMIN_ROLE)?;
        self.set_role(role, account, member);
        Ok(())
    }

    /// `renounceRole`: `confirmation` must be the caller.
    ///
    /// # Errors
    /// `AccessControlBadConfirmation`.
    pub fn renounce_role(&mut self, role: B256, confirmation: Address) -> Result<(), Revert> {
        if self.vm().msg_sender() != confirmation {
            return Err(Revert::new(AccessControlBadConfirmation::SELECTOR, &[]));
        }
        self.set_role(role, confirmation, false);
        Ok(())
    }

    /// Whether the contract is paused.
    pub fn paused(&self) -> bool {
        self.paused.get()
    }

    /// Refuses while paused.
    ///
    /// # Errors
    /// `EnforcedPause`.
    #[inline(never)]
    pub fn when_not_paused(&self) -> Result<(), Revert> {
        if self.paused.get() {
            Err(Revert::new(EnforcedPause::SELECTOR, &[]))
        } else {
            Ok(())
        }
    }

    /// Pauses (the caller must hold `guardian_role`) or unpauses (the
    /// caller must be admin); emits `Paused` or `Unpaused`.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount`; `EnforcedPause` when already
    /// paused; `ExpectedPause` when not paused.
    pub fn set_paused(&mut self, paused: bool, guardian_role: B256) -> Result<(), Revert> {
        self.only_role(if paused { guardian_role } else { ADMIN_ROLE })?;
        if paused {
            self.when_not_paused()?;
        } else if !self.paused.get() {
            return Err(Revert::new(ExpectedPause::SELECTOR, &[]));
        }
        self.paused.set(paused);
        let account = self.vm().msg_sender();
        let signature = if paused { Paused::SIGNATURE_HASH } else { Unpaused::SIGNATURE_HASH };
        vault_words::emit(self.vm(), 1, &[Word::Hash(&signature), Word::Address(&account)]);
        Ok(())
    }
}
