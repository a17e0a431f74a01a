//! ReserveSizer (§6, §7, §9, §13): how much reserve each asset must hold,
//! and whether a release keeps it there.
//!
//! Reporters record outflows and bridge outflows into minute buckets; the
//! rolling peak minute outflow `P` drives `required = P × T × safety` and the
//! bridge buffer `P_bridge × latency`. The actual reserve is the ERC-20
//! balance of the asset's holder. The Stabilizer asks [`IReserveSizer::can_release`]
//! before it takes inventory, and records what the mesh actually released
//! with [`IReserveSizer::record_release`] (it holds the reporter role).
//!
//! # Stabilizing releases and `P` (decision)
//!
//! A release to the Stabilizer is matched by an inflow: the mesh receives
//! the other pool token, worth at least the release less `maxSlippageBps`
//! at the oracle. It is not an outflow of the system, so it does **not**
//! count toward `P`: counted gross, every correction raised `P` and the
//! required reserve until `canRelease` refused every release, and an
//! outsider could trigger that cheaply by holding a pool slightly off its
//! peg (issue 12). Instead `recordRelease` checks the reserve **after** the
//! release, against the requirement of the real outflows: the release is
//! refused (`ReleaseBelowRequired`, the Stabilizer's whole trade reverts)
//! when the holder's balance is then below `P × T × safety`. So stabilizing
//! flow can use the reserve above the requirement, never the requirement
//! itself, and it is on chain (`ReleaseRecorded`) without an off-chain
//! reporter.
//!
//! Pausing freezes reporters and makes every `canRelease` answer false; the
//! admin can still configure, so the incident can be fixed while paused.
//!
//! # ABI
//!
//! The interface is declared once, in [`abi::IReserveSizer`] (functions,
//! events, errors), and `src/main.rs` prints that declaration for `abi/`.
//! Calls reach [`ReserveSizer::route_call`], the SDK's `#[fallback]`, which
//! dispatches on those selectors (and on the SDK's constructor selector)
//! through `vault_words`, the project's one static-word codec, and refuses
//! malformed arguments as the SDK's validating decoder did; roles and pause
//! are `vault_access::Roles`. Against the SDK's generated router, alloy's
//! coders and `vault_access::Access`, this takes the contract from 24.3 KB
//! to under the 16 KB goal (see the README's size table).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The SDK's `#[entrypoint]` emits an undocumented `user_entrypoint` on wasm;
// native test and clippy builds still enforce `missing_docs` everywhere.
#![cfg_attr(any(target_arch = "wasm32", feature = "export-abi"), allow(missing_docs))]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use stylus_sdk::{
    prelude::*,
    storage::{StorageArray, StorageMap, StorageU256},
    stylus_core::{calls::context::Call, ConstructorGuard},
    ArbResult,
};
use vault_access::Roles;
pub use vault_access::ADMIN_ROLE;
use vault_bindings::IERC20;
use vault_math::reserve::{self as sizing, Coverage, PeakTracker, SECONDS_PER_MINUTE};
use vault_math::MathError;
use vault_words::{lookup, ret, Entry, Revert, Word};

pub use abi::IReserveSizer::{
    AccessControlBadConfirmation, AccessControlUnauthorizedAccount, AmountTooLarge, ArithmeticOverflow,
    AssetConfigured, BalanceQueryFailed, BucketConfigured, EnforcedPause, ExpectedPause, InvalidFrequency,
    OutflowRecorded, ParameterOutOfRange, Paused, ReleaseBelowRequired, ReleaseRecorded, RoleGranted,
    RoleRevoked, UnknownAsset, UnknownBucket, Unpaused, ZeroAddress, ZeroAmount,
};

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

/// The contract's Solidity interface: events, errors and functions.
pub mod abi {
    #[allow(unused_imports)]
    use alloc::{borrow::ToOwned, string::String, vec, vec::Vec};

    alloy_sol_types::sol! {
        #![sol(abi)]

        /// The ReserveSizer. Roles and pause follow OpenZeppelin's
        /// `AccessControl` and `Pausable` ABI. The functions keep the
        /// parameter names (Rust's) and unnamed returns of the interface the
        /// SDK exported before the contract routed its calls itself, so that
        /// `abi/ReserveSizer.sol` is unchanged.
        interface IReserveSizer {
            /// An asset's sizing parameters were set.
            event AssetConfigured(address indexed asset, address holder, address bridgeHolder, uint64 windowMinutes, uint64 safetyBps, uint64 bridgeLatencySeconds, uint64 peakWindowMinutes);
            /// An outflow (`bridge` false) or a bridge outflow (`bridge` true) was
            /// recorded; `peak` is that stream's `P` after it.
            event OutflowRecorded(address indexed asset, address indexed reporter, bool indexed bridge, uint64 minute, uint256 amount, uint256 minuteTotal, uint256 peak);
            /// `amount` of `asset` left its reserve to the Stabilizer (a
            /// stabilizing release, matched by an inflow of the other pool
            /// token; not counted in `P`); `reserve` and `required` after it.
            event ReleaseRecorded(address indexed asset, address indexed reporter, uint256 amount, uint256 reserve, uint256 required);
            /// A capital bucket's target and holder were set.
            event BucketConfigured(address indexed asset, uint8 indexed bucket, uint256 target, address holder);
            /// `account` was granted `role` by `sender`.
            event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
            /// `account` lost `role`; `sender` revoked it (or is `account`, renouncing).
            event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);
            /// The contract was paused by `account`.
            event Paused(address account);
            /// The contract was unpaused by `account`.
            event Unpaused(address account);

            /// The caller `account` lacks `neededRole`.
            error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
            /// `renounceRole` was not called by the account itself.
            error AccessControlBadConfirmation();
            /// The contract is paused.
            error EnforcedPause();
            /// The contract is not paused.
            error ExpectedPause();
            /// A required address is zero.
            error ZeroAddress();
            /// The asset has not been configured.
            error UnknownAsset(address asset);
            /// The bucket index is not 0–4 (A–E).
            error UnknownBucket(uint8 bucket);
            /// An amount is zero.
            error ZeroAmount();
            /// An amount is above `MAX_OUTFLOW`.
            error AmountTooLarge(uint256 amount);
            /// A parameter is outside its range: `parameter` is 0 for `T`
            /// (`WINDOW_MINUTES_RANGE`), 1 for the safety factor (`SAFETY_BPS_RANGE`),
            /// 2 for the bridge latency (`BRIDGE_LATENCY_RANGE`), 3 for the peak
            /// window (`PEAK_WINDOW_RANGE`).
            error ParameterOutOfRange(uint8 parameter, uint64 value, uint64 min, uint64 max);
            /// A trade frequency is zero.
            error InvalidFrequency();
            /// The holder's token balance could not be read.
            error BalanceQueryFailed(address token, address holder);
            /// A sizing formula overflowed.
            error ArithmeticOverflow();
            /// After a release the reserve `reserve` is below the requirement `required`.
            error ReleaseBelowRequired(address asset, uint256 reserve, uint256 required);

            function REPORTER_ROLE() external view returns (bytes32);
            function GUARDIAN_ROLE() external view returns (bytes32);
            function configureAsset(address asset, address holder, address bridge_holder, uint64 window_minutes, uint64 safety_bps, uint64 bridge_latency_seconds, uint64 peak_window_minutes) external;
            function recordOutflow(address asset, uint256 amount) external;
            function recordBridgeOutflow(address asset, uint256 amount) external;
            function recordRelease(address asset, uint256 amount) external;
            function setBucket(address asset, uint8 bucket, uint256 target, address holder) external;
            function pause() external;
            function unpause() external;
            function paused() external view returns (bool);
            function hasRole(bytes32 role, address account) external view returns (bool);
            function grantRole(bytes32 role, address account) external;
            function revokeRole(bytes32 role, address account) external;
            function renounceRole(bytes32 role, address confirmation) external;
            function assetConfig(address asset) external view returns (address, address, uint64, uint64, uint64, uint64);
            function peakMinuteOutflow(address asset) external view returns (uint256);
            function requiredReserve(address asset) external view returns (uint256);
            function reserveStatus(address asset) external view returns (uint256, uint256, uint256, uint256, bool);
            function bridgeBufferStatus(address asset) external view returns (uint256, uint256, uint256, uint256, bool);
            function cantileverCheck(address asset, uint256 trade_size, uint64 trades_per_minute) external view returns (uint256, uint256, bool);
            function bucketStatus(address asset, uint8 bucket) external view returns (address, uint256, uint256, uint256, uint256, bool);
            function canRelease(address asset, uint256 amount) external view returns (bool);
        }
    }
}

/// A refused call: the ABI encoding of one of the interface's errors
/// ([`Revert`]), which becomes the revert data. The tests compare every
/// refusal byte for byte with the `sol!` type's own `abi_encode`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Revert);

impl From<Error> for Vec<u8> {
    fn from(error: Error) -> Self {
        error.0.into()
    }
}

impl From<Revert> for Error {
    fn from(revert: Revert) -> Self {
        Self(revert)
    }
}

impl From<MathError> for Error {
    fn from(_: MathError) -> Self {
        Self::new(ArithmeticOverflow::SELECTOR, &[])
    }
}

impl Error {
    /// `selector ‖ words`, the words in the order of the error's declaration.
    fn new(selector: [u8; 4], words: &[Word]) -> Self {
        Self(Revert::new(selector, words))
    }

    /// The revert data.
    pub fn data(&self) -> &[u8] {
        self.0.data()
    }
}

/// One asset's record: [`ASSET_WORDS`] words (holder, bridge holder,
/// [`AssetParams`], then the outflow and the bridge outflow peaks, four
/// words each, as [`PeakTracker`] fields), then the capital buckets
/// (`[target, holder]` each). The slots are the ones the earlier layout
/// with one typed field per word gave (addresses right-aligned in their
/// word, as `StorageAddress` keeps them), so the storage is unchanged.
#[storage]
pub struct AssetState {
    words: StorageArray<StorageU256, ASSET_WORDS>,
    buckets: StorageMap<U256, StorageArray<StorageU256, 2>>,
}

/// ReserveSizer storage.
#[entrypoint]
#[storage]
pub struct ReserveSizer {
    access: Roles,
    assets: StorageMap<Address, AssetState>,
}

/// [`AssetState`] word: the holder, whose balance is the reserve (zero while
/// the asset is not configured).
const HOLDER: usize = 0;
/// [`AssetState`] word: the bridge holder.
const BRIDGE_HOLDER: usize = 1;
/// [`AssetState`] word: the [`AssetParams`].
const PARAMS: usize = 2;
/// [`AssetState`] words: the outflow peak (4 words).
const OUTFLOW: usize = 3;
/// [`AssetState`] words: the bridge outflow peak (4 words).
const BRIDGE_OUTFLOW: usize = 7;
/// Number of [`AssetState`] words before the buckets.
const ASSET_WORDS: usize = 11;

/// Reserve sizing status of one balance against its requirement:
/// `(required, actual, shortfall, surplus, healthy)`.
pub type CoverageTuple = (U256, U256, U256, U256, bool);

/// The ReserveSizer's own interface (the Solidity functions of
/// [`abi::IReserveSizer`], in Rust).
pub trait IReserveSizer {
    /// The reporter role identifier (`REPORTER_ROLE`).
    fn reporter_role(&self) -> B256;

    /// The guardian role identifier (`GUARDIAN_ROLE`).
    fn guardian_role(&self) -> B256;

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

    /// Records that `amount` of `asset` has just left its reserve to the
    /// Stabilizer (a stabilizing release, matched by an inflow of the other
    /// pool token): it is not counted in `P` (see the crate documentation),
    /// and the reserve after it must still cover the requirement.
    ///
    /// # Errors
    /// As [`IReserveSizer::record_outflow`]; `BalanceQueryFailed`;
    /// `ArithmeticOverflow`; `ReleaseBelowRequired` when the holder's
    /// balance is below the required reserve.
    ///
    /// # Events
    /// `ReleaseRecorded`.
    fn record_release(&mut self, asset: Address, amount: U256) -> Result<(), Error>;

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
    /// Every function of [`abi::IReserveSizer`]: decodes the arguments,
    /// calls the [`IReserveSizer`] method and encodes its return. An unknown
    /// selector or malformed arguments revert with no data, as the SDK's
    /// router does; value sent to it is refused by the SDK first.
    ///
    /// # Errors
    /// The method's revert data.
    #[fallback]
    pub fn route_call(&mut self, calldata: &[u8]) -> ArbResult {
        dispatch(self, calldata).map_err(|error| error.map_or_else(Vec::new, Vec::from))
    }
}

impl IReserveSizer for ReserveSizer {
    fn reporter_role(&self) -> B256 {
        REPORTER_ROLE
    }

    fn guardian_role(&self) -> B256 {
        GUARDIAN_ROLE
    }

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
            return Err(Error::new(ZeroAddress::SELECTOR, &[]));
        }
        let values = [window_minutes, safety_bps, bridge_latency_seconds, peak_window_minutes];
        let ranges = [WINDOW_MINUTES_RANGE, SAFETY_BPS_RANGE, BRIDGE_LATENCY_RANGE, PEAK_WINDOW_RANGE];
        for (parameter, (value, (min, max))) in (0u64..).zip(values.iter().zip(ranges)) {
            if !(min..=max).contains(value) {
                let words =
                    [Word::Small(&parameter), Word::Small(value), Word::Small(&min), Word::Small(&max)];
                return Err(Error::new(ParameterOutOfRange::SELECTOR, &words));
            }
        }
        let params = AssetParams { window_minutes, safety_bps, bridge_latency_seconds, peak_window_minutes };
        let now = self.minute();
        let previous_window = AssetParams::unpack(self.word(&asset, PARAMS)).peak_window_minutes;
        if previous_window != 0 && previous_window != peak_window_minutes {
            for stream in [OUTFLOW, BRIDGE_OUTFLOW] {
                let tracker = rewindowed(self.tracker(&asset, stream), now, previous_window);
                self.store_tracker(&asset, stream, &tracker);
            }
        }
        self.store(&asset, HOLDER, &[address_word(&holder), address_word(&bridge_holder), params.pack()]);
        self.emit(
            2,
            &[
                Word::Hash(&AssetConfigured::SIGNATURE_HASH),
                Word::Address(&asset),
                Word::Address(&holder),
                Word::Address(&bridge_holder),
                Word::Small(&window_minutes),
                Word::Small(&safety_bps),
                Word::Small(&bridge_latency_seconds),
                Word::Small(&peak_window_minutes),
            ],
        );
        Ok(())
    }

    fn record_outflow(&mut self, asset: Address, amount: U256) -> Result<(), Error> {
        self.record(&asset, &amount, false)
    }

    fn record_bridge_outflow(&mut self, asset: Address, amount: U256) -> Result<(), Error> {
        self.record(&asset, &amount, true)
    }

    fn record_release(&mut self, asset: Address, amount: U256) -> Result<(), Error> {
        self.check_report(&asset, &amount)?;
        let c = self.reserve_coverage(&asset)?;
        let words = [Word::Address(&asset), Word::Uint(&c.actual), Word::Uint(&c.required)];
        if !c.healthy {
            return Err(Error::new(ReleaseBelowRequired::SELECTOR, &words));
        }
        let reporter = self.vm().msg_sender();
        self.emit(
            3,
            &[
                Word::Hash(&ReleaseRecorded::SIGNATURE_HASH),
                Word::Address(&asset),
                Word::Address(&reporter),
                Word::Uint(&amount),
                Word::Uint(&c.actual),
                Word::Uint(&c.required),
            ],
        );
        Ok(())
    }

    fn set_bucket(&mut self, asset: Address, bucket: u8, target: U256, holder: Address) -> Result<(), Error> {
        self.access.only_role(ADMIN_ROLE)?;
        self.params(&asset)?;
        let index = checked_bucket(bucket)?;
        if holder.is_zero() {
            return Err(Error::new(ZeroAddress::SELECTOR, &[]));
        }
        let mut state = self.assets.setter(asset);
        let mut slot = state.buckets.setter(index);
        for (index, value) in [target, address_word(&holder)].into_iter().enumerate() {
            if let Some(mut word) = slot.setter(index) {
                word.set(value);
            }
        }
        let bucket = u64::from(bucket);
        self.emit(
            3,
            &[
                Word::Hash(&BucketConfigured::SIGNATURE_HASH),
                Word::Address(&asset),
                Word::Small(&bucket),
                Word::Uint(&target),
                Word::Address(&holder),
            ],
        );
        Ok(())
    }

    fn pause(&mut self) -> Result<(), Error> {
        Ok(self.access.set_paused(true, GUARDIAN_ROLE)?)
    }

    fn unpause(&mut self) -> Result<(), Error> {
        Ok(self.access.set_paused(false, GUARDIAN_ROLE)?)
    }

    fn paused(&self) -> bool {
        self.access.paused()
    }

    fn has_role(&self, role: B256, account: Address) -> bool {
        self.access.has_role(role, account)
    }

    fn grant_role(&mut self, role: B256, account: Address) -> Result<(), Error> {
        Ok(self.access.admin_set_role(role, account, true)?)
    }

    fn revoke_role(&mut self, role: B256, account: Address) -> Result<(), Error> {
        Ok(self.access.admin_set_role(role, account, false)?)
    }

    fn renounce_role(&mut self, role: B256, confirmation: Address) -> Result<(), Error> {
        Ok(self.access.renounce_role(role, confirmation)?)
    }

    fn asset_config(&self, asset: Address) -> Result<(Address, Address, u64, u64, u64, u64), Error> {
        let p = self.params(&asset)?;
        Ok((
            self.address(&asset, HOLDER),
            self.address(&asset, BRIDGE_HOLDER),
            p.window_minutes,
            p.safety_bps,
            p.bridge_latency_seconds,
            p.peak_window_minutes,
        ))
    }

    fn peak_minute_outflow(&self, asset: Address) -> Result<U256, Error> {
        Ok(self.peak(&asset, OUTFLOW)?.0)
    }

    fn required_reserve(&self, asset: Address) -> Result<U256, Error> {
        let (peak, params) = self.peak(&asset, OUTFLOW)?;
        Ok(sizing::required_reserve(peak, params.window_minutes, params.safety_bps)?)
    }

    fn reserve_status(&self, asset: Address) -> Result<CoverageTuple, Error> {
        Ok(into_tuple(self.reserve_coverage(&asset)?))
    }

    fn bridge_buffer_status(&self, asset: Address) -> Result<CoverageTuple, Error> {
        Ok(into_tuple(self.bridge_coverage(&asset)?))
    }

    fn cantilever_check(
        &self,
        asset: Address,
        trade_size: U256,
        trades_per_minute: u64,
    ) -> Result<(U256, U256, bool), Error> {
        if trades_per_minute == 0 {
            return Err(Error::new(InvalidFrequency::SELECTOR, &[]));
        }
        let imbalance = self.peak(&asset, OUTFLOW)?.0;
        let throughput = sizing::stabilization_throughput(trade_size, trades_per_minute)?;
        Ok((throughput, imbalance, throughput >= imbalance))
    }

    fn bucket_status(
        &self,
        asset: Address,
        bucket: u8,
    ) -> Result<(Address, U256, U256, U256, U256, bool), Error> {
        self.params(&asset)?;
        let index = checked_bucket(bucket)?;
        let state = self.assets.getter(asset);
        let slot = state.buckets.getter(index);
        let (target, holder) = (slot.get(0u8).unwrap_or_default(), slot.get(1u8).unwrap_or_default());
        let holder = Address::from_word(holder.into());
        let actual = if holder.is_zero() { U256::ZERO } else { self.balance(&asset, &holder)? };
        let c = sizing::coverage(target, actual);
        Ok((holder, c.required, c.actual, c.shortfall, c.surplus, c.healthy))
    }

    fn can_release(&self, asset: Address, amount: U256) -> Result<bool, Error> {
        let coverage = self.reserve_coverage(&asset)?;
        Ok(!self.access.paused() && sizing::can_release(coverage.actual, coverage.required, amount))
    }
}

/// `stylus_constructor()`'s selector: stylus-sdk 0.9 routes deployment's
/// constructor call to the fallback when the contract declares no
/// `#[constructor]`.
const CONSTRUCTOR: [u8; 4] = stylus_sdk::abi::CONSTRUCTOR_SELECTOR.to_be_bytes();

/// The functions the dispatcher knows, in [`FUNCTIONS`] order.
#[derive(Clone, Copy)]
enum Function {
    Constructor,
    ReporterRole,
    GuardianRole,
    ConfigureAsset,
    RecordOutflow,
    RecordBridgeOutflow,
    RecordRelease,
    SetBucket,
    Pause,
    Unpause,
    Paused,
    HasRole,
    GrantRole,
    RevokeRole,
    RenounceRole,
    AssetConfig,
    PeakMinuteOutflow,
    RequiredReserve,
    ReserveStatus,
    BridgeBufferStatus,
    CantileverCheck,
    BucketStatus,
    CanRelease,
}

/// Each function's selector, its number of arguments, and which of them
/// are addresses and which `uint64` or `uint8` (bit `i` for argument `i`);
/// every argument is one static word. Rows are in [`Function`] order.
const FUNCTIONS: [Entry<Function>; 23] = {
    use abi::IReserveSizer as I;
    use Function as F;
    [
        (CONSTRUCTOR, F::Constructor, 1, 0b1, 0),
        (I::REPORTER_ROLECall::SELECTOR, F::ReporterRole, 0, 0, 0),
        (I::GUARDIAN_ROLECall::SELECTOR, F::GuardianRole, 0, 0, 0),
        (I::configureAssetCall::SELECTOR, F::ConfigureAsset, 7, 0b111, 0b111_1000),
        (I::recordOutflowCall::SELECTOR, F::RecordOutflow, 2, 0b1, 0),
        (I::recordBridgeOutflowCall::SELECTOR, F::RecordBridgeOutflow, 2, 0b1, 0),
        (I::recordReleaseCall::SELECTOR, F::RecordRelease, 2, 0b1, 0),
        (I::setBucketCall::SELECTOR, F::SetBucket, 4, 0b1001, 0b10),
        (I::pauseCall::SELECTOR, F::Pause, 0, 0, 0),
        (I::unpauseCall::SELECTOR, F::Unpause, 0, 0, 0),
        (I::pausedCall::SELECTOR, F::Paused, 0, 0, 0),
        (I::hasRoleCall::SELECTOR, F::HasRole, 2, 0b10, 0),
        (I::grantRoleCall::SELECTOR, F::GrantRole, 2, 0b10, 0),
        (I::revokeRoleCall::SELECTOR, F::RevokeRole, 2, 0b10, 0),
        (I::renounceRoleCall::SELECTOR, F::RenounceRole, 2, 0b10, 0),
        (I::assetConfigCall::SELECTOR, F::AssetConfig, 1, 0b1, 0),
        (I::peakMinuteOutflowCall::SELECTOR, F::PeakMinuteOutflow, 1, 0b1, 0),
        (I::requiredReserveCall::SELECTOR, F::RequiredReserve, 1, 0b1, 0),
        (I::reserveStatusCall::SELECTOR, F::ReserveStatus, 1, 0b1, 0),
        (I::bridgeBufferStatusCall::SELECTOR, F::BridgeBufferStatus, 1, 0b1, 0),
        (I::cantileverCheckCall::SELECTOR, F::CantileverCheck, 3, 0b1, 0b100),
        (I::bucketStatusCall::SELECTOR, F::BucketStatus, 2, 0b1, 0b10),
        (I::canReleaseCall::SELECTOR, F::CanRelease, 2, 0b1, 0),
    ]
};

/// Routes one call by its selector. `Err(None)` reverts with no data: an
/// unknown selector, or arguments the SDK's validating decoder refused
/// (too short, trailing bytes, an address or a `uint64` or `uint8` word out
/// of its range), or a second constructor call.
fn dispatch(sizer: &mut ReserveSizer, calldata: &[u8]) -> Result<Vec<u8>, Option<Error>> {
    use Function as F;
    // `lookup` refuses as the SDK's validating decoder did: exactly the
    // selector and the argument words.
    let (function, a) = lookup(&FUNCTIONS, calldata).ok_or(None)?;
    // A `uint8` argument (the bucket, always argument 1).
    let bucket = || u8::try_from(a.small(1)).map_err(|_| None);
    let done = |result: Result<(), Error>| result.map(|()| Vec::new()).map_err(Some);
    let uint = |result: Result<U256, Error>| result.map(|value| ret(&[Word::Uint(&value)])).map_err(Some);
    let flag = |value: bool| Ok(ret(&[Word::Small(&u64::from(value))]));
    match function {
        F::Constructor => {
            // The SDK's one-run guard (its storage flag). Its router checked it
            // before decoding; either refusal reverts with no data and writes
            // nothing, so the order is not observable.
            sizer.check_constructor_slot().map_err(|_| None)?;
            done(sizer.constructor(a.address(0)))
        }
        F::ReporterRole => Ok(ret(&[Word::Hash(&REPORTER_ROLE)])),
        F::GuardianRole => Ok(ret(&[Word::Hash(&GUARDIAN_ROLE)])),
        F::ConfigureAsset => done(sizer.configure_asset(
            a.address(0),
            a.address(1),
            a.address(2),
            a.small(3),
            a.small(4),
            a.small(5),
            a.small(6),
        )),
        F::RecordOutflow | F::RecordBridgeOutflow => {
            done(sizer.record(&a.address(0), &a.uint(1), matches!(function, F::RecordBridgeOutflow)))
        }
        F::RecordRelease => done(sizer.record_release(a.address(0), a.uint(1))),
        F::SetBucket => done(sizer.set_bucket(a.address(0), bucket()?, a.uint(2), a.address(3))),
        F::Pause | F::Unpause => {
            done(sizer.access.set_paused(matches!(function, F::Pause), GUARDIAN_ROLE).map_err(Error))
        }
        F::Paused => flag(sizer.paused()),
        F::HasRole => flag(sizer.has_role(a.hash(0), a.address(1))),
        F::GrantRole | F::RevokeRole => done(
            sizer
                .access
                .admin_set_role(a.hash(0), a.address(1), matches!(function, F::GrantRole))
                .map_err(Error),
        ),
        F::RenounceRole => done(sizer.renounce_role(a.hash(0), a.address(1))),
        F::AssetConfig => {
            let (holder, bridge_holder, window, safety, latency, peak_window) =
                sizer.asset_config(a.address(0))?;
            Ok(ret(&[
                Word::Address(&holder),
                Word::Address(&bridge_holder),
                Word::Small(&window),
                Word::Small(&safety),
                Word::Small(&latency),
                Word::Small(&peak_window),
            ]))
        }
        F::PeakMinuteOutflow => uint(sizer.peak_minute_outflow(a.address(0))),
        F::RequiredReserve => uint(sizer.required_reserve(a.address(0))),
        F::ReserveStatus => Ok(coverage_words(&sizer.reserve_coverage(&a.address(0))?)),
        F::BridgeBufferStatus => Ok(coverage_words(&sizer.bridge_coverage(&a.address(0))?)),
        F::CantileverCheck => {
            let (throughput, imbalance, holds) =
                sizer.cantilever_check(a.address(0), a.uint(1), a.small(2))?;
            Ok(ret(&[Word::Uint(&throughput), Word::Uint(&imbalance), Word::Small(&u64::from(holds))]))
        }
        F::BucketStatus => {
            let (holder, target, actual, shortfall, surplus, funded) =
                sizer.bucket_status(a.address(0), bucket()?)?;
            let funded = u64::from(funded);
            Ok(ret(&[
                Word::Address(&holder),
                Word::Uint(&target),
                Word::Uint(&actual),
                Word::Uint(&shortfall),
                Word::Uint(&surplus),
                Word::Small(&funded),
            ]))
        }
        F::CanRelease => flag(sizer.can_release(a.address(0), a.uint(1))?),
    }
}

/// `(required, actual, shortfall, surplus, healthy)`, ABI-encoded.
#[inline(never)]
fn coverage_words(c: &Coverage) -> Vec<u8> {
    let healthy = u64::from(c.healthy);
    ret(&[
        Word::Uint(&c.required),
        Word::Uint(&c.actual),
        Word::Uint(&c.shortfall),
        Word::Uint(&c.surplus),
        Word::Small(&healthy),
    ])
}

impl ReserveSizer {
    /// The constructor, `stylus_constructor(address admin)`: grants the
    /// admin role to `admin` (not to the deployer, which calls it). It runs
    /// once: the dispatcher checks the SDK's constructor guard first, as the
    /// SDK's router did for a `#[constructor]`, and a second call reverts
    /// with no data.
    ///
    /// # Errors
    /// `ZeroAddress` when `admin` is zero.
    pub fn constructor(&mut self, admin: Address) -> Result<(), Error> {
        if admin.is_zero() {
            return Err(Error::new(ZeroAddress::SELECTOR, &[]));
        }
        self.access.set_role(ADMIN_ROLE, admin, true);
        Ok(())
    }

    /// Word `index` of `asset`'s record.
    #[inline(never)]
    fn word(&self, asset: &Address, index: usize) -> U256 {
        self.assets.getter(*asset).words.get(index).unwrap_or_default()
    }

    /// Word `index` of `asset`'s record, as an address.
    fn address(&self, asset: &Address, index: usize) -> Address {
        Address::from_word(self.word(asset, index).into())
    }

    /// Writes `values` to `asset`'s record from word `first` on.
    #[inline(never)]
    fn store(&mut self, asset: &Address, first: usize, values: &[U256]) {
        let mut state = self.assets.setter(*asset);
        for (index, value) in (first..).zip(values) {
            if let Some(mut slot) = state.words.setter(index) {
                slot.set(*value);
            }
        }
    }

    /// The peak tracker whose four words start at `stream`.
    #[inline(never)]
    fn tracker(&self, asset: &Address, stream: usize) -> PeakTracker {
        let state = self.assets.getter(*asset);
        let [minute, minute_total, window_peak, previous_window_peak] =
            core::array::from_fn(|index| state.words.get(stream + index).unwrap_or_default());
        PeakTracker { minute: minute.as_limbs()[0], minute_total, window_peak, previous_window_peak }
    }

    /// Writes the peak tracker whose four words start at `stream`.
    fn store_tracker(&mut self, asset: &Address, stream: usize, t: &PeakTracker) {
        let words = [U256::from(t.minute), t.minute_total, t.window_peak, t.previous_window_peak];
        self.store(asset, stream, &words);
    }

    /// `asset`'s parameters, refused while it is not configured.
    #[inline(never)]
    fn params(&self, asset: &Address) -> Result<AssetParams, Error> {
        if self.word(asset, HOLDER).is_zero() {
            return Err(Error::new(UnknownAsset::SELECTOR, &[Word::Address(asset)]));
        }
        Ok(AssetParams::unpack(self.word(asset, PARAMS)))
    }

    /// The current minute, `block.timestamp / 60`.
    fn minute(&self) -> u64 {
        self.vm().block_timestamp() / SECONDS_PER_MINUTE
    }

    /// A reporter's report of `amount` of `asset`: the reporter role, not
    /// paused, a configured asset, `0 < amount ≤ MAX_OUTFLOW`. Returns the
    /// peak window.
    #[inline(never)]
    fn check_report(&self, asset: &Address, amount: &U256) -> Result<u64, Error> {
        self.access.only_role(REPORTER_ROLE)?;
        self.access.when_not_paused()?;
        let window = self.params(asset)?.peak_window_minutes;
        if amount.is_zero() {
            return Err(Error::new(ZeroAmount::SELECTOR, &[]));
        }
        if *amount > MAX_OUTFLOW {
            return Err(Error::new(AmountTooLarge::SELECTOR, &[Word::Uint(amount)]));
        }
        Ok(window)
    }

    /// Records `amount` in the outflow stream, or the bridge one.
    #[inline(never)]
    fn record(&mut self, asset: &Address, amount: &U256, bridge: bool) -> Result<(), Error> {
        let window = self.check_report(asset, amount)?;
        let minute = self.minute();
        let stream = if bridge { BRIDGE_OUTFLOW } else { OUTFLOW };
        let next = self.tracker(asset, stream).record(minute, *amount, window)?;
        self.store_tracker(asset, stream, &next);
        let (reporter, peak, bridge) = (self.vm().msg_sender(), next.peak(minute, window), u64::from(bridge));
        self.emit(
            4,
            &[
                Word::Hash(&OutflowRecorded::SIGNATURE_HASH),
                Word::Address(asset),
                Word::Address(&reporter),
                Word::Small(&bridge),
                Word::Small(&minute),
                Word::Uint(amount),
                Word::Uint(&next.minute_total),
                Word::Uint(&peak),
            ],
        );
        Ok(())
    }

    /// The stream's peak `P` now, with the asset's parameters.
    #[inline(never)]
    fn peak(&self, asset: &Address, stream: usize) -> Result<(U256, AssetParams), Error> {
        let params = self.params(asset)?;
        let peak = self.tracker(asset, stream).peak(self.minute(), params.peak_window_minutes);
        Ok((peak, params))
    }

    /// The holder's balance against the required reserve.
    #[inline(never)]
    fn reserve_coverage(&self, asset: &Address) -> Result<Coverage, Error> {
        let required = self.required_reserve(*asset)?;
        Ok(sizing::coverage(required, self.balance(asset, &self.address(asset, HOLDER))?))
    }

    /// The bridge holder's balance against `P_bridge × latency`.
    #[inline(never)]
    fn bridge_coverage(&self, asset: &Address) -> Result<Coverage, Error> {
        let (peak, params) = self.peak(asset, BRIDGE_OUTFLOW)?;
        let required = sizing::bridge_buffer(peak, params.bridge_latency_seconds)?;
        Ok(sizing::coverage(required, self.balance(asset, &self.address(asset, BRIDGE_HOLDER))?))
    }

    /// `token.balanceOf(holder)`. The return must be exactly one word, as
    /// the validating decoder of the generated binding required.
    #[inline(never)]
    fn balance(&self, token: &Address, holder: &Address) -> Result<U256, Error> {
        let call = vault_words::encode(IERC20::balanceOfCall::SELECTOR, &[Word::Address(holder)]);
        match self.vm().static_call(&Call::new(), *token, &call) {
            Ok(data) if data.len() == 32 => Ok(U256::from_be_slice(&data)),
            _ => {
                Err(Error::new(BalanceQueryFailed::SELECTOR, &[Word::Address(token), Word::Address(holder)]))
            }
        }
    }

    /// Emits a log whose first `topics` words are its topics (the event's
    /// signature hash first) and the rest its data, as the event's `sol!`
    /// declaration encodes it.
    #[inline(never)]
    fn emit(&self, topics: usize, words: &[Word]) {
        vault_words::emit(self.vm(), topics, words);
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

/// The bucket's map key, refused unless it is 0–4.
fn checked_bucket(bucket: u8) -> Result<U256, Error> {
    if bucket >= BUCKET_COUNT {
        let bucket = u64::from(bucket);
        return Err(Error::new(UnknownBucket::SELECTOR, &[Word::Small(&bucket)]));
    }
    Ok(U256::from(bucket))
}

/// An address as a storage word (right-aligned, as a `StorageAddress` keeps it).
fn address_word(address: &Address) -> U256 {
    U256::from_be_slice(address.as_slice())
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
