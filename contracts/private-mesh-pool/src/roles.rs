//! Roles and pause with OpenZeppelin's `AccessControl` ABI (the zero role
//! administers every role; `RoleGranted`, `RoleRevoked`, `Paused`,
//! `Unpaused`; `AccessControlUnauthorizedAccount`,
//! `AccessControlBadConfirmation`, `EnforcedPause`, `ExpectedPause`), with
//! the same rules and method names as `vault_access::Access`.
//!
//! It is kept here rather than taken from `vault_access` for size only:
//! `vault_access` emits its events through `stylus_core::log`, which takes
//! the host as `&dyn Host`, and that one opaque use links the SDK's whole
//! `Host` vtable (about sixty hostio wrappers): 3.2 KB of deployed code,
//! measured on a minimal contract, which this contract cannot spare under
//! the 24 KB limit. Here every host call is made on the concrete host, and
//! events go through the contract's word encoder. Should `vault_access`
//! stop using `stylus_core::log`, this module can be replaced by it.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256};
use alloy_sol_types::{SolError, SolEvent};
use stylus_sdk::{
    prelude::*,
    storage::{StorageBool, StorageMap},
};

use crate::{
    ret, AccessControlBadConfirmation, AccessControlUnauthorizedAccount, EnforcedPause, Error, ExpectedPause,
    Paused, RoleGranted, RoleRevoked, Unpaused, Word,
};

/// The admin role: zero, as in OpenZeppelin. It administers every role.
pub const ADMIN_ROLE: B256 = B256::ZERO;

/// Role membership and the pause flag.
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
    pub fn only_role(&self, role: B256) -> Result<(), Error> {
        let account = self.vm().msg_sender();
        if self.has_role(role, account) {
            return Ok(());
        }
        let words = [Word::Address(&account), Word::Hash(&role)];
        Err(Error::new(AccessControlUnauthorizedAccount::SELECTOR, &words))
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
        self.vm().emit_log(&ret(&topics), 4);
    }

    /// `grantRole` (`member`) or `revokeRole`: the caller must be admin.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount`.
    pub fn admin_set_role(&mut self, role: B256, account: Address, member: bool) -> Result<(), Error> {
        self.only_role(ADMIN_ROLE)?;
        self.set_role(role, account, member);
        Ok(())
    }

    /// `renounceRole`: `confirmation` must be the caller.
    ///
    /// # Errors
    /// `AccessControlBadConfirmation`.
    pub fn renounce_role(&mut self, role: B256, confirmation: Address) -> Result<(), Error> {
        if self.vm().msg_sender() != confirmation {
            return Err(Error::new(AccessControlBadConfirmation::SELECTOR, &[]));
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
    pub fn when_not_paused(&self) -> Result<(), Error> {
        if self.paused.get() {
            Err(Error::new(EnforcedPause::SELECTOR, &[]))
        } else {
            Ok(())
        }
    }

    /// Pauses (the caller must hold `guardian_role`) or unpauses (the
    /// caller must be admin).
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount`; `EnforcedPause` when already
    /// paused; `ExpectedPause` when not paused.
    pub fn set_paused(&mut self, paused: bool, guardian_role: B256) -> Result<(), Error> {
        self.only_role(if paused { guardian_role } else { ADMIN_ROLE })?;
        if paused {
            self.when_not_paused()?;
        } else if !self.paused.get() {
            return Err(Error::new(ExpectedPause::SELECTOR, &[]));
        }
        self.paused.set(paused);
        let account = self.vm().msg_sender();
        let signature = if paused { Paused::SIGNATURE_HASH } else { Unpaused::SIGNATURE_HASH };
        self.vm().emit_log(&ret(&[Word::Hash(&signature), Word::Address(&account)]), 1);
        Ok(())
    }
}
