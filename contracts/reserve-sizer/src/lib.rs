//! ReserveSizer (§6, §7, §9, §13): how much reserve each asset must hold,
//! and whether a release keeps it there.
//!
//! Reporters record outflows and bridge outflows into minute buckets; the
//! rolling peak minute outflow `P` drives `required = P × T × safety` and the
//! bridge buffer `P_bridge × latency`. The actual reserve is the ERC-20
//! balance of the asset's holder. The Stabilizer asks [`IReserveSizer::can_release`]
//! before it takes inventory.
//!
//! Pausing freezes reporters and makes every `canRelease` answer false; the
//! admin can still configure, so the incident can be fixed while paused.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The SDK's `#[entrypoint]` emits an undocumented `user_entrypoint` on wasm;
// native test and clippy builds still enforce `missing_docs` everywhere.
#![cfg_attr(any(target_arch = "wasm32", feature = "export-abi"), allow(missing_docs))]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::sol;
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageMap, StorageU256},
};
use vault_access::{
    Access, AccessControlBadConfirmation, AccessControlUnauthorizedAccount, AccessError, EnforcedPause,
    ExpectedPause, ADMIN_ROLE,
};
use vault_math::reserve::{self as sizing, Coverage, PeakTracker, SECONDS_PER_MINUTE};

/// Role of accounts that record outflows.
pub const REPORTER_ROLE: B256 =
    B256::new(stylus_sdk::keccak_const::Keccak256::new().update(b"REPORTER_ROLE").finalize());
/// Role of accounts that may pause.
pub const GUARDIAN_ROLE: B256 =
    B256::new(stylus_sdk::keccak_const::Keccak256::new().update(b"GUARDIAN_ROLE").finalize());

/// Bounds on `T`, the stabilization window in minutes (one minute to a day).
pub const WINDOW_MINUTES_RANGE: (u64, u64) = (1, 1_440);
/// Bounds on the safety factor in bps of a multiple (1× to 100×).
pub const SAFETY_BPS_RANGE: (u64, u64) = (10_000, 1_000_000);
/// Bounds on the bridge latency in seconds (up to a week).
pub const BRIDGE_LATENCY_RANGE: (u64, u64) = (1, 604_800);
/// Bounds on the peak window in minutes (up to a week).
pub const PEAK_WINDOW_RANGE: (u64, u64) = (1, 10_080);
/// Largest single outflow a reporter may record (2^128 − 1).
pub const MAX_OUTFLOW: U256 = U256::from_limbs([u64::MAX, u64::MAX, 0, 0]);
/// Number of capital buckets, A to E (§13).
pub const BUCKET_COUNT: u8 = 5;

sol! {
    #![sol(abi)]

    /// An asset's sizing parameters were set.
    event AssetConfigured(address indexed asset, address holder, address bridgeHolder, uint64 windowMinutes, uint64 safetyBps, uint64 bridgeLatencySeconds, uint64 peakWindowMinutes);
    /// An outflow (`bridge` false) or a bridge outflow (`bridge` true) was
    /// recorded; `peak` is that stream's `P` after it.
    event OutflowRecorded(address indexed asset, address indexed reporter, bool indexed bridge, uint64 minute, uint256 amount, uint256 minuteTotal, uint256 peak);
    /// A capital bucket's target and holder were set.
    event BucketConfigured(address indexed asset, uint8 indexed bucket, uint256 target, address holder);

    /// A required address is zero.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroAddress();
    /// The asset has not been configured.
    #[derive(Debug, PartialEq, Eq)]
    error UnknownAsset(address asset);
    /// The bucket index is not 0–4 (A–E).
    #[derive(Debug, PartialEq, Eq)]
    error UnknownBucket(uint8 bucket);
    /// An amount is zero.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroAmount();
    /// An amount is above `MAX_OUTFLOW`.
    #[derive(Debug, PartialEq, Eq)]
    error AmountTooLarge(uint256 amount);
    /// A parameter is outside its range: `parameter` is 0 for `T`
    /// (`WINDOW_MINUTES_RANGE`), 1 for the safety factor (`SAFETY_BPS_RANGE`),
    /// 2 for the bridge latency (`BRIDGE_LATENCY_RANGE`), 3 for the peak
    /// window (`PEAK_WINDOW_RANGE`).
    #[derive(Debug, PartialEq, Eq)]
    error ParameterOutOfRange(uint8 parameter, uint64 value, uint64 min, uint64 max);
    /// A trade frequency is zero.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidFrequency();
    /// The holder's token balance could not be read.
    #[derive(Debug, PartialEq, Eq)]
    error BalanceQueryFailed(address token, address holder);
    /// A sizing formula overflowed.
    #[derive(Debug, PartialEq, Eq)]
    error ArithmeticOverflow();
}

/// Every way a ReserveSizer call can be refused.
#[derive(SolidityError, Debug)]
pub enum Error {
    /// See [`AccessControlUnauthorizedAccount`].
    Unauthorized(AccessControlUnauthorizedAccount),
    /// See [`AccessControlBadConfirmation`].
    BadConfirmation(AccessControlBadConfirmation),
    /// See [`EnforcedPause`].
    Paused(EnforcedPause),
    /// See [`ExpectedPause`].
    NotPaused(ExpectedPause),
    /// See [`ZeroAddress`].
    ZeroAddress(ZeroAddress),
    /// See [`UnknownAsset`].
    UnknownAsset(UnknownAsset),
    /// See [`UnknownBucket`].
    UnknownBucket(UnknownBucket),
    /// See [`ZeroAmount`].
    ZeroAmount(ZeroAmount),
    /// See [`AmountTooLarge`].
    AmountTooLarge(AmountTooLarge),
    /// See [`ParameterOutOfRange`].
    OutOfRange(ParameterOutOfRange),
    /// See [`InvalidFrequency`].
    InvalidFrequency(InvalidFrequency),
    /// See [`BalanceQueryFailed`].
    BalanceQueryFailed(BalanceQueryFailed),
    /// See [`ArithmeticOverflow`].
    Overflow(ArithmeticOverflow),
}

impl From<AccessError> for Error {
    fn from(error: AccessError) -> Self {
        match error {
            AccessError::Unauthorized(e) => Self::Unauthorized(e),
            AccessError::BadConfirmation(e) => Self::BadConfirmation(e),
            AccessError::Paused(e) => Self::Paused(e),
            AccessError::NotPaused(e) => Self::NotPaused(e),
        }
    }
}

impl From<vault_math::MathError> for Error {
    fn from(_: vault_math::MathError) -> Self {
        Self::Overflow(ArithmeticOverflow {})
    }
}

/// The rolling peak of one outflow stream, as [`PeakTracker`] fields.
#[storage]
pub struct StoragePeak {
    minute: StorageU256,
    minute_total: StorageU256,
    window_peak: StorageU256,
    previous_window_peak: StorageU256,
}

/// One capital bucket of an asset.
#[storage]
pub struct StorageBucket {
    target: StorageU256,
    holder: StorageAddress,
}

/// One asset's parameters and outflow history. The four `u64` parameters
/// share one word (see [`AssetParams`]).
#[storage]
pub struct AssetState {
    holder: StorageAddress,
    bridge_holder: StorageAddress,
    params: StorageU256,
    outflow: StoragePeak,
    bridge_outflow: StoragePeak,
    buckets: StorageMap<U256, StorageBucket>,
}

/// ReserveSizer storage.
#[entrypoint]
#[storage]
pub struct ReserveSizer {
    access: Access,
    assets: StorageMap<Address, AssetState>,
}

/// Reserve sizing status of one balance against its requirement:
/// `(required, actual, shortfall, surplus, healthy)`.
pub type CoverageTuple = (U256, U256, U256, U256, bool);

/// The ReserveSizer's own interface.
pub trait IReserveSizer {
    /// Sets an asset's sizing parameters. A peak window change keeps the
    /// peaks seen so far (they count for one more window).
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless the caller is admin;
    /// `ZeroAddress` for a zero asset or holder; `ParameterOutOfRange` for
    /// a value out of its range.
    ///
    /// # Events
    /// `AssetConfigured`.
    #[allow(clippy::too_many_arguments)]
    fn configure_asset(
        &mut self,
        asset: Address,
        holder: Address,
        bridge_holder: Address,
        window_minutes: u64,
        safety_bps: u64,
        bridge_latency_seconds: u64,
        peak_window_minutes: u64,
    ) -> Result<(), Error>;

    /// Records `amount` of outflow of `asset` in the current minute.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless the caller is a reporter;
    /// `EnforcedPause`; `UnknownAsset`; `ZeroAmount`; `AmountTooLarge`.
    ///
    /// # Events
    /// `OutflowRecorded` with `bridge` false.
    fn record_outflow(&mut self, asset: Address, amount: U256) -> Result<(), Error>;

    /// Records `amount` of bridge outflow of `asset` in the current minute.
    ///
    /// # Errors
    /// As [`IReserveSizer::record_outflow`].
    ///
    /// # Events
    /// `OutflowRecorded` with `bridge` true.
    fn record_bridge_outflow(&mut self, asset: Address, amount: U256) -> Result<(), Error>;

    /// Sets capital bucket `bucket` (0–4 for A–E) of `asset`.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless admin; `UnknownAsset`;
    /// `UnknownBucket`; `ZeroAddress` for a zero holder.
    ///
    /// # Events
    /// `BucketConfigured`.
    fn set_bucket(&mut self, asset: Address, bucket: u8, target: U256, holder: Address) -> Result<(), Error>;

    /// Pauses: reporters are refused and `canRelease` answers false.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless guardian; `EnforcedPause`.
    ///
    /// # Events
    /// `Paused`.
    fn pause(&mut self) -> Result<(), Error>;

    /// Unpauses.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless admin; `ExpectedPause`.
    ///
    /// # Events
    /// `Unpaused`.
    fn unpause(&mut self) -> Result<(), Error>;

    /// Whether the contract is paused.
    fn paused(&self) -> bool;

    /// Whether `account` holds `role` (OpenZeppelin `AccessControl`).
    fn has_role(&self, role: B256, account: Address) -> bool;

    /// Grants `role` to `account`.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless the caller holds the
    /// role's admin role (the admin role for every role here).
    ///
    /// # Events
    /// `RoleGranted` when the account did not hold it.
    fn grant_role(&mut self, role: B256, account: Address) -> Result<(), Error>;

    /// Revokes `role` from `account`.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless the caller holds the
    /// role's admin role.
    ///
    /// # Events
    /// `RoleRevoked` when the account held it.
    fn revoke_role(&mut self, role: B256, account: Address) -> Result<(), Error>;

    /// Gives up `role`; `confirmation` must be the caller.
    ///
    /// # Errors
    /// `AccessControlBadConfirmation` when `confirmation` is not the caller.
    ///
    /// # Events
    /// `RoleRevoked` when the caller held it.
    fn renounce_role(&mut self, role: B256, confirmation: Address) -> Result<(), Error>;

    /// `(holder, bridgeHolder, windowMinutes, safetyBps, bridgeLatencySeconds, peakWindowMinutes)`.
    ///
    /// # Errors
    /// `UnknownAsset`.
    fn asset_config(&self, asset: Address) -> Result<(Address, Address, u64, u64, u64, u64), Error>;

    /// The rolling peak minute outflow `P` now.
    ///
    /// # Errors
    /// `UnknownAsset`.
    fn peak_minute_outflow(&self, asset: Address) -> Result<U256, Error>;

    /// `P × T × safety`, rounded up.
    ///
    /// # Errors
    /// `UnknownAsset`; `ArithmeticOverflow`.
    fn required_reserve(&self, asset: Address) -> Result<U256, Error>;

    /// The holder's balance against the required reserve.
    ///
    /// # Errors
    /// `UnknownAsset`; `BalanceQueryFailed`; `ArithmeticOverflow`.
    fn reserve_status(&self, asset: Address) -> Result<CoverageTuple, Error>;

    /// The bridge holder's balance against `P_bridge × latency`.
    ///
    /// # Errors
    /// `UnknownAsset`; `BalanceQueryFailed`; `ArithmeticOverflow`.
    fn bridge_buffer_status(&self, asset: Address) -> Result<CoverageTuple, Error>;

    /// The cantilever check `s × f ≥ Δ` with `Δ = P` for this asset:
    /// `(throughput, imbalancePerMinute, holds)`.
    ///
    /// # Errors
    /// `UnknownAsset`; `InvalidFrequency` for `f = 0`; `ArithmeticOverflow`.
    fn cantilever_check(
        &self,
        asset: Address,
        trade_size: U256,
        trades_per_minute: u64,
    ) -> Result<(U256, U256, bool), Error>;

    /// Bucket `bucket` of `asset`: `(holder, target, actual, shortfall, surplus, funded)`.
    ///
    /// # Errors
    /// `UnknownAsset`; `UnknownBucket`; `BalanceQueryFailed`.
    fn bucket_status(
        &self,
        asset: Address,
        bucket: u8,
    ) -> Result<(Address, U256, U256, U256, U256, bool), Error>;

    /// Whether `amount` can leave the reserve while it stays at or above
    /// the requirement. False while paused.
    ///
    /// # Errors
    /// `UnknownAsset`; `BalanceQueryFailed`; `ArithmeticOverflow`.
    fn can_release(&self, asset: Address, amount: U256) -> Result<bool, Error>;
}

#[public]
impl ReserveSizer {
    /// Grants the admin role to `admin` (not to the deployer).
    ///
    /// # Errors
    /// `ZeroAddress` when `admin` is zero.
    #[constructor]
    pub fn constructor(&mut self, admin: Address) -> Result<(), Error> {
        if admin.is_zero() {
            return Err(Error::ZeroAddress(ZeroAddress {}));
        }
        self.access.grant_unchecked(ADMIN_ROLE, admin);
        Ok(())
    }

    /// The reporter role identifier.
    #[selector(name = "REPORTER_ROLE")]
    pub fn reporter_role(&self) -> B256 {
        REPORTER_ROLE
    }

    /// The guardian role identifier.
    #[selector(name = "GUARDIAN_ROLE")]
    pub fn guardian_role(&self) -> B256 {
        GUARDIAN_ROLE
    }

    /// See [`IReserveSizer::configure_asset`].
    ///
    /// # Errors
    /// As [`IReserveSizer::configure_asset`].
    #[allow(clippy::too_many_arguments)]
    pub fn configure_asset(
        &mut self,
        asset: Address,
        holder: Address,
        bridge_holder: Address,
        window_minutes: u64,
        safety_bps: u64,
        bridge_latency_seconds: u64,
        peak_window_minutes: u64,
    ) -> Result<(), Error> {
        IReserveSizer::configure_asset(
            self,
            asset,
            holder,
            bridge_holder,
            window_minutes,
            safety_bps,
            bridge_latency_seconds,
            peak_window_minutes,
        )
    }

    /// See [`IReserveSizer::record_outflow`].
    ///
    /// # Errors
    /// As [`IReserveSizer::record_outflow`].
    pub fn record_outflow(&mut self, asset: Address, amount: U256) -> Result<(), Error> {
        IReserveSizer::record_outflow(self, asset, amount)
    }

    /// See [`IReserveSizer::record_bridge_outflow`].
    ///
    /// # Errors
    /// As [`IReserveSizer::record_bridge_outflow`].
    pub fn record_bridge_outflow(&mut self, asset: Address, amount: U256) -> Result<(), Error> {
        IReserveSizer::record_bridge_outflow(self, asset, amount)
    }

    /// See [`IReserveSizer::set_bucket`].
    ///
    /// # Errors
    /// As [`IReserveSizer::set_bucket`].
    pub fn set_bucket(
        &mut self,
        asset: Address,
        bucket: u8,
        target: U256,
        holder: Address,
    ) -> Result<(), Error> {
        IReserveSizer::set_bucket(self, asset, bucket, target, holder)
    }

    /// See [`IReserveSizer::pause`].
    ///
    /// # Errors
    /// As [`IReserveSizer::pause`].
    pub fn pause(&mut self) -> Result<(), Error> {
        IReserveSizer::pause(self)
    }

    /// See [`IReserveSizer::unpause`].
    ///
    /// # Errors
    /// As [`IReserveSizer::unpause`].
    pub fn unpause(&mut self) -> Result<(), Error> {
        IReserveSizer::unpause(self)
    }

    /// See [`IReserveSizer::paused`].
    pub fn paused(&self) -> bool {
        IReserveSizer::paused(self)
    }

    /// See [`IReserveSizer::has_role`].
    pub fn has_role(&self, role: B256, account: Address) -> bool {
        IReserveSizer::has_role(self, role, account)
    }

    /// See [`IReserveSizer::grant_role`].
    ///
    /// # Errors
    /// As [`IReserveSizer::grant_role`].
    pub fn grant_role(&mut self, role: B256, account: Address) -> Result<(), Error> {
        IReserveSizer::grant_role(self, role, account)
    }

    /// See [`IReserveSizer::revoke_role`].
    ///
    /// # Errors
    /// As [`IReserveSizer::revoke_role`].
    pub fn revoke_role(&mut self, role: B256, account: Address) -> Result<(), Error> {
        IReserveSizer::revoke_role(self, role, account)
    }

    /// See [`IReserveSizer::renounce_role`].
    ///
    /// # Errors
    /// As [`IReserveSizer::renounce_role`].
    pub fn renounce_role(&mut self, role: B256, confirmation: Address) -> Result<(), Error> {
        IReserveSizer::renounce_role(self, role, confirmation)
    }

    /// See [`IReserveSizer::asset_config`].
    ///
    /// # Errors
    /// As [`IReserveSizer::asset_config`].
    pub fn asset_config(&self, asset: Address) -> Result<(Address, Address, u64, u64, u64, u64), Error> {
        IReserveSizer::asset_config(self, asset)
    }

    /// See [`IReserveSizer::peak_minute_outflow`].
    ///
    /// # Errors
    /// As [`IReserveSizer::peak_minute_outflow`].
    pub fn peak_minute_outflow(&self, asset: Address) -> Result<U256, Error> {
        IReserveSizer::peak_minute_outflow(self, asset)
    }

    /// See [`IReserveSizer::required_reserve`].
    ///
    /// # Errors
    /// As [`IReserveSizer::required_reserve`].
    pub fn required_reserve(&self, asset: Address) -> Result<U256, Error> {
        IReserveSizer::required_reserve(self, asset)
    }

    /// See [`IReserveSizer::reserve_status`].
    ///
    /// # Errors
    /// As [`IReserveSizer::reserve_status`].
    pub fn reserve_status(&self, asset: Address) -> Result<CoverageTuple, Error> {
        IReserveSizer::reserve_status(self, asset)
    }

    /// See [`IReserveSizer::bridge_buffer_status`].
    ///
    /// # Errors
    /// As [`IReserveSizer::bridge_buffer_status`].
    pub fn bridge_buffer_status(&self, asset: Address) -> Result<CoverageTuple, Error> {
        IReserveSizer::bridge_buffer_status(self, asset)
    }

    /// See [`IReserveSizer::cantilever_check`].
    ///
    /// # Errors
    /// As [`IReserveSizer::cantilever_check`].
    pub fn cantilever_check(
        &self,
        asset: Address,
        trade_size: U256,
        trades_per_minute: u64,
    ) -> Result<(U256, U256, bool), Error> {
        IReserveSizer::cantilever_check(self, asset, trade_size, trades_per_minute)
    }

    /// See [`IReserveSizer::bucket_status`].
    ///
    /// # Errors
    /// As [`IReserveSizer::bucket_status`].
    pub fn bucket_status(
        &self,
        asset: Address,
        bucket: u8,
    ) -> Result<(Address, U256, U256, U256, U256, bool), Error> {
        IReserveSizer::bucket_status(self, asset, bucket)
    }

    /// See [`IReserveSizer::can_release`].
    ///
    /// # Errors
    /// As [`IReserveSizer::can_release`].
    pub fn can_release(&self, asset: Address, amount: U256) -> Result<bool, Error> {
        IReserveSizer::can_release(self, asset, amount)
    }
}

impl IReserveSizer for ReserveSizer {
    fn configure_asset(
        &mut self,
        asset: Address,
        holder: Address,
        bridge_holder: Address,
        window_minutes: u64,
        safety_bps: u64,
        bridge_latency_seconds: u64,
        peak_window_minutes: u64,
    ) -> Result<(), Error> {
        self.access.only_role(ADMIN_ROLE)?;
        if asset.is_zero() || holder.is_zero() || bridge_holder.is_zero() {
            return Err(Error::ZeroAddress(ZeroAddress {}));
        }
        check_range(0, window_minutes, WINDOW_MINUTES_RANGE)?;
        check_range(1, safety_bps, SAFETY_BPS_RANGE)?;
        check_range(2, bridge_latency_seconds, BRIDGE_LATENCY_RANGE)?;
        check_range(3, peak_window_minutes, PEAK_WINDOW_RANGE)?;
        let params = AssetParams { window_minutes, safety_bps, bridge_latency_seconds, peak_window_minutes };
        let now = self.vm().block_timestamp() / SECONDS_PER_MINUTE;
        let mut state = self.assets.setter(asset);
        let previous_window = AssetParams::unpack(state.params.get()).peak_window_minutes;
        if previous_window != 0 && previous_window != peak_window_minutes {
            let outflow = rewindowed(load_peak(&state.outflow), now, previous_window);
            store_peak(&mut state.outflow, outflow);
            let bridge_outflow = rewindowed(load_peak(&state.bridge_outflow), now, previous_window);
            store_peak(&mut state.bridge_outflow, bridge_outflow);
        }
        state.holder.set(holder);
        state.bridge_holder.set(bridge_holder);
        state.params.set(params.pack());
        stylus_sdk::stylus_core::log(
            self.vm(),
            AssetConfigured {
                asset,
                holder,
                bridgeHolder: bridge_holder,
                windowMinutes: window_minutes,
                safetyBps: safety_bps,
                bridgeLatencySeconds: bridge_latency_seconds,
                peakWindowMinutes: peak_window_minutes,
            },
        );
        Ok(())
    }

    fn record_outflow(&mut self, asset: Address, amount: U256) -> Result<(), Error> {
        self.record(asset, amount, false)
    }

    fn record_bridge_outflow(&mut self, asset: Address, amount: U256) -> Result<(), Error> {
        self.record(asset, amount, true)
    }

    fn set_bucket(&mut self, asset: Address, bucket: u8, target: U256, holder: Address) -> Result<(), Error> {
        self.access.only_role(ADMIN_ROLE)?;
        self.configured(asset)?;
        if bucket >= BUCKET_COUNT {
            return Err(Error::UnknownBucket(UnknownBucket { bucket }));
        }
        if holder.is_zero() {
            return Err(Error::ZeroAddress(ZeroAddress {}));
        }
        let mut state = self.assets.setter(asset);
        let mut slot = state.buckets.setter(U256::from(bucket));
        slot.target.set(target);
        slot.holder.set(holder);
        stylus_sdk::stylus_core::log(self.vm(), BucketConfigured { asset, bucket, target, holder });
        Ok(())
    }

    fn pause(&mut self) -> Result<(), Error> {
        Ok(self.access.pause(GUARDIAN_ROLE)?)
    }

    fn unpause(&mut self) -> Result<(), Error> {
        Ok(self.access.unpause()?)
    }

    fn paused(&self) -> bool {
        self.access.paused()
    }

    fn has_role(&self, role: B256, account: Address) -> bool {
        self.access.has_role(role, account)
    }

    fn grant_role(&mut self, role: B256, account: Address) -> Result<(), Error> {
        Ok(self.access.grant_role(role, account)?)
    }

    fn revoke_role(&mut self, role: B256, account: Address) -> Result<(), Error> {
        Ok(self.access.revoke_role(role, account)?)
    }

    fn renounce_role(&mut self, role: B256, confirmation: Address) -> Result<(), Error> {
        Ok(self.access.renounce_role(role, confirmation)?)
    }

    fn asset_config(&self, asset: Address) -> Result<(Address, Address, u64, u64, u64, u64), Error> {
        self.configured(asset)?;
        let state = self.assets.getter(asset);
        let params = AssetParams::unpack(state.params.get());
        Ok((
            state.holder.get(),
            state.bridge_holder.get(),
            params.window_minutes,
            params.safety_bps,
            params.bridge_latency_seconds,
            params.peak_window_minutes,
        ))
    }

    fn peak_minute_outflow(&self, asset: Address) -> Result<U256, Error> {
        self.peak(asset, false)
    }

    fn required_reserve(&self, asset: Address) -> Result<U256, Error> {
        let peak = self.peak(asset, false)?;
        let params = AssetParams::unpack(self.assets.getter(asset).params.get());
        Ok(sizing::required_reserve(peak, params.window_minutes, params.safety_bps)?)
    }

    fn reserve_status(&self, asset: Address) -> Result<CoverageTuple, Error> {
        Ok(into_tuple(self.reserve_coverage(asset)?))
    }

    fn bridge_buffer_status(&self, asset: Address) -> Result<CoverageTuple, Error> {
        let peak = self.peak(asset, true)?;
        let state = self.assets.getter(asset);
        let latency = AssetParams::unpack(state.params.get()).bridge_latency_seconds;
        let required = sizing::bridge_buffer(peak, latency)?;
        let actual = self.balance(asset, state.bridge_holder.get())?;
        Ok(into_tuple(sizing::coverage(required, actual)))
    }

    fn cantilever_check(
        &self,
        asset: Address,
        trade_size: U256,
        trades_per_minute: u64,
    ) -> Result<(U256, U256, bool), Error> {
        if trades_per_minute == 0 {
            return Err(Error::InvalidFrequency(InvalidFrequency {}));
        }
        let imbalance = self.peak(asset, false)?;
        let throughput = sizing::stabilization_throughput(trade_size, trades_per_minute)?;
        Ok((throughput, imbalance, throughput >= imbalance))
    }

    fn bucket_status(
        &self,
        asset: Address,
        bucket: u8,
    ) -> Result<(Address, U256, U256, U256, U256, bool), Error> {
        self.configured(asset)?;
        let state = self.assets.getter(asset);
        if bucket >= BUCKET_COUNT {
            return Err(Error::UnknownBucket(UnknownBucket { bucket }));
        }
        let slot = state.buckets.getter(U256::from(bucket));
        let (target, holder) = (slot.target.get(), slot.holder.get());
        let actual = if holder.is_zero() { U256::ZERO } else { self.balance(asset, holder)? };
        let c = sizing::coverage(target, actual);
        Ok((holder, c.required, c.actual, c.shortfall, c.surplus, c.healthy))
    }

    fn can_release(&self, asset: Address, amount: U256) -> Result<bool, Error> {
        let coverage = self.reserve_coverage(asset)?;
        Ok(!self.access.paused() && sizing::can_release(coverage.actual, coverage.required, amount))
    }
}

impl ReserveSizer {
    #[inline(never)]
    fn configured(&self, asset: Address) -> Result<(), Error> {
        if self.assets.getter(asset).holder.get().is_zero() {
            return Err(Error::UnknownAsset(UnknownAsset { asset }));
        }
        Ok(())
    }

    #[inline(never)]
    fn record(&mut self, asset: Address, amount: U256, bridge: bool) -> Result<(), Error> {
        self.access.only_role(REPORTER_ROLE)?;
        self.access.when_not_paused()?;
        self.configured(asset)?;
        if amount.is_zero() {
            return Err(Error::ZeroAmount(ZeroAmount {}));
        }
        if amount > MAX_OUTFLOW {
            return Err(Error::AmountTooLarge(AmountTooLarge { amount }));
        }
        let minute = self.vm().block_timestamp() / SECONDS_PER_MINUTE;
        let mut state = self.assets.setter(asset);
        let window = AssetParams::unpack(state.params.get()).peak_window_minutes;
        let stream = if bridge { &mut state.bridge_outflow } else { &mut state.outflow };
        let next = load_peak(stream).record(minute, amount, window)?;
        store_peak(stream, next);
        let (reporter, peak) = (self.vm().msg_sender(), next.peak(minute, window));
        stylus_sdk::stylus_core::log(
            self.vm(),
            OutflowRecorded { asset, reporter, bridge, minute, amount, minuteTotal: next.minute_total, peak },
        );
        Ok(())
    }

    #[inline(never)]
    fn peak(&self, asset: Address, bridge: bool) -> Result<U256, Error> {
        self.configured(asset)?;
        let state = self.assets.getter(asset);
        let minute = self.vm().block_timestamp() / SECONDS_PER_MINUTE;
        let stream = if bridge { &state.bridge_outflow } else { &state.outflow };
        Ok(load_peak(stream).peak(minute, AssetParams::unpack(state.params.get()).peak_window_minutes))
    }

    #[inline(never)]
    fn reserve_coverage(&self, asset: Address) -> Result<Coverage, Error> {
        let required = self.required_reserve(asset)?;
        let holder = self.assets.getter(asset).holder.get();
        Ok(sizing::coverage(required, self.balance(asset, holder)?))
    }

    #[inline(never)]
    fn balance(&self, token: Address, holder: Address) -> Result<U256, Error> {
        vault_bindings::erc20_balance_of(self.vm(), token, holder)
            .map_err(|_| Error::BalanceQueryFailed(BalanceQueryFailed { token, holder }))
    }
}

/// An asset's four `u64` parameters, packed into one storage word.
#[derive(Clone, Copy)]
struct AssetParams {
    window_minutes: u64,
    safety_bps: u64,
    bridge_latency_seconds: u64,
    peak_window_minutes: u64,
}

impl AssetParams {
    fn pack(self) -> U256 {
        U256::from_limbs([
            self.window_minutes,
            self.safety_bps,
            self.bridge_latency_seconds,
            self.peak_window_minutes,
        ])
    }

    fn unpack(word: U256) -> Self {
        let [window_minutes, safety_bps, bridge_latency_seconds, peak_window_minutes] = word.into_limbs();
        Self { window_minutes, safety_bps, bridge_latency_seconds, peak_window_minutes }
    }
}

fn check_range(parameter: u8, value: u64, (min, max): (u64, u64)) -> Result<(), Error> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(Error::OutOfRange(ParameterOutOfRange { parameter, value, min, max }))
    }
}

#[inline(never)]
fn load_peak(stream: &StoragePeak) -> PeakTracker {
    PeakTracker {
        minute: stream.minute.get().as_limbs()[0],
        minute_total: stream.minute_total.get(),
        window_peak: stream.window_peak.get(),
        previous_window_peak: stream.previous_window_peak.get(),
    }
}

/// The tracker to keep when the peak window changes at minute `now`: first
/// rolled to `now` under the old window, so that its window is the one of
/// `now` (the peaks that count now stay, expired ones stay expired), then
/// with the current peak absorbing the previous one. Without the roll, a
/// tracker last written in an earlier window could fall two new windows
/// back and lose its peak at once.
fn rewindowed(tracker: PeakTracker, now: u64, old_window: u64) -> PeakTracker {
    tracker.record(now, U256::ZERO, old_window).unwrap_or(tracker).with_window_changed()
}

#[inline(never)]
fn store_peak(stream: &mut StoragePeak, peak: PeakTracker) {
    stream.minute.set(U256::from(peak.minute));
    stream.minute_total.set(peak.minute_total);
    stream.window_peak.set(peak.window_peak);
    stream.previous_window_peak.set(peak.previous_window_peak);
}

fn into_tuple(c: Coverage) -> CoverageTuple {
    (c.required, c.actual, c.shortfall, c.surplus, c.healthy)
}

/// Aborts on panic: no message formatting code is linked into the wasm.
#[cfg(all(target_arch = "wasm32", not(any(test, feature = "export-abi"))))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(test)]
mod tests;
