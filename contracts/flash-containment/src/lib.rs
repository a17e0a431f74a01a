//! FlashContainment (§8, App. A rules): per-pool observations of a public
//! DODO pool's deviation from its oracle, one per **L2** block at most, and
//! what they prove: the time-weighted deviation over a window, whether the
//! deviation has stayed past the threshold with one sign for `N`
//! consecutive L2 blocks, and the stabilization volume still allowed in this
//! block.
//!
//! # The rules
//!
//! * **Clock.** Blocks are L2 blocks, `ArbSys(0x64).arbBlockNumber()`;
//!   `block.number` (an L1 estimate on Arbitrum) is never read.
//! * **Observation of a block.** The *first* successful `poke(pool)` of an L2
//!   block records the block's observation: the pool's `getMidPrice` against
//!   the oracle's `latestPrice`, in bps ([`pool_deviation_bps`], truncated
//!   toward zero). Every later `poke` in the same block returns `false`
//!   without reading the pool and changes nothing, so a flash loan that moves
//!   the pool and restores it inside one transaction, before or after that
//!   first poke, changes no observation. A poke made *inside* such a
//!   transaction, as the block's first, records the manipulated price: it is
//!   a spike (event `SpikeIgnored`) and the two rules below contain it.
//! * **Sustain.** The deviation counts as sustained once `N ≥ 2` consecutive
//!   *observed* L2 blocks are past the threshold (`|dev| > θ`) with one sign,
//!   exactly at the poke that records the `N`-th one (event
//!   `DeviationSustained`). A block in band, a sign flip or a block nobody
//!   observed restarts the count. The streak stays live through the next
//!   block (whose poke may not have happened yet) and lapses after a whole
//!   unobserved block. One manipulated block, or `N − 1` of them, can never
//!   be sustained: `N = 1` is refused at registration.
//! * **TWAP.** The average of the per-block values over the last `W` L2
//!   blocks, this one included. A block nobody observed between two
//!   observations counts whichever of the two is closer to zero (zero if they
//!   differ in sign); blocks after the newest observation carry it forward
//!   until the next one. One manipulated observation therefore weighs one
//!   block of `W` once any later block is observed.
//! * **Trigger.** `checkDeviation` answers `shouldRebalance` when not paused,
//!   the streak is live and at least `N`, and the TWAP is past `θ` with the
//!   streak's sign. With `W ≤ N` a sustained streak implies the TWAP
//!   condition; with `W > N` the TWAP is a further, slower filter.
//! * **Per-block cap.** `consumeVolume` (Stabilizer role) spends from the
//!   pool's cap for the current L2 block; the cap resets in each new block.
//!
//! A guardian pauses (poke and `consumeVolume` are refused, nothing triggers);
//! only the admin unpauses. The admin registers pools while paused too.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The SDK's `#[entrypoint]` emits an undocumented `user_entrypoint` on wasm;
// native test and clippy builds still enforce `missing_docs` everywhere.
#![cfg_attr(any(target_arch = "wasm32", feature = "export-abi"), allow(missing_docs))]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, I256, U256};
use alloy_sol_types::{sol, SolEvent};
use stylus_sdk::{
    abi::{AbiType, ConstString},
    prelude::*,
    storage::{StorageArray, StorageMap, StorageU256},
};
use vault_access::{
    Access, AccessControlBadConfirmation, AccessControlUnauthorizedAccount, AccessError, EnforcedPause,
    ExpectedPause, ADMIN_ROLE,
};
use vault_bindings::{arb_block_number, static_call, IDODOPool, IPriceOracle};
use vault_math::deviation::Bps;
use vault_math::observation::{
    pool_deviation_bps, Observation, ObservationSlots, RingCursor, SustainTracker,
};

/// Role of the Stabilizer: the only caller of `consumeVolume`.
pub const STABILIZER_ROLE: B256 =
    B256::new(stylus_sdk::keccak_const::Keccak256::new().update(b"STABILIZER_ROLE").finalize());
/// Role of accounts that may pause.
pub const GUARDIAN_ROLE: B256 =
    B256::new(stylus_sdk::keccak_const::Keccak256::new().update(b"GUARDIAN_ROLE").finalize());

/// Observations kept per pool (one storage slot each, written only when used).
pub const RING_CAPACITY: usize = 4_096;
/// Bounds on a token's decimals (parameters 0 and 1).
pub const DECIMALS_RANGE: (u64, u64) = (0, 36);
/// Bounds on the threshold `θ` in bps (parameter 2): 0.01% to 50%.
pub const THRESHOLD_BPS_RANGE: (u64, u64) = (1, 5_000);
/// Bounds on the sustain length `N` in L2 blocks (parameter 3). At least 2:
/// a single block must never count as sustained.
pub const SUSTAIN_BLOCKS_RANGE: (u64, u64) = (2, 10_000);
/// Bounds on the TWAP window `W` in L2 blocks (parameter 4). At most the
/// ring's capacity, so that a full ring always covers the window.
pub const TWAP_WINDOW_RANGE: (u64, u64) = (2, RING_CAPACITY as u64);
/// Bounds on the oracle's maximum age in seconds (parameter 5): up to a day.
pub const MAX_ORACLE_AGE_RANGE: (u64, u64) = (1, 86_400);
/// Largest per-block cap (parameter 6; the smallest is 1): 2^128 − 1.
pub const MAX_PER_BLOCK_CAP: U256 = U256::from_limbs([u64::MAX, u64::MAX, 0, 0]);

sol! {
    #![sol(abi)]

    /// A pool was registered with its oracle and parameters.
    event PoolRegistered(address indexed pool, address indexed oracle, uint64 baseDecimals, uint64 quoteDecimals, uint64 thresholdBps, uint64 sustainBlocks, uint64 twapWindow, uint64 maxOracleAge, uint256 perBlockCap);
    /// The first poke of L2 block `blockNumber` recorded the pool's deviation
    /// (`midPrice` against `oraclePrice`); `sign` and `streak` are the
    /// sustain streak after it.
    event Observed(address indexed pool, uint64 indexed blockNumber, int32 deviationBps, int8 sign, uint64 streak, uint256 midPrice, uint256 oraclePrice);
    /// An observation past the threshold that does not (yet) count as
    /// sustained: its streak is shorter than `N`. A flash-loan spike shows up
    /// here with `streak` 1, and nothing triggers from it.
    event SpikeIgnored(address indexed pool, uint64 indexed blockNumber, int32 deviationBps, uint64 streak);
    /// The deviation became sustained: this block's observation is the
    /// `N`-th consecutive one past the threshold with sign `sign`.
    event DeviationSustained(address indexed pool, uint64 indexed blockNumber, int8 sign, uint64 streak);
    /// The Stabilizer spent `amount` of this block's cap; `remaining` is left.
    event VolumeConsumed(address indexed pool, address indexed stabilizer, uint64 blockNumber, uint256 amount, uint256 remaining);

    /// What a monitor reads about one pool at the current L2 block.
    #[derive(Debug, PartialEq, Eq)]
    struct PoolStatus {
        /// The current L2 block.
        uint64 blockNumber;
        /// Observations recorded since registration.
        uint64 observations;
        /// Block of the newest observation (0: none yet).
        uint64 lastBlock;
        /// Deviation of the newest observation, in bps.
        int32 lastDeviationBps;
        /// Whether the history covers the TWAP window.
        bool twapAvailable;
        /// TWAP deviation over the window, in bps (0 when not available).
        int32 twapDeviationBps;
        /// Sign of the live streak (0: none).
        int8 sign;
        /// Length of the live streak, in consecutive observed blocks.
        uint64 streak;
        /// Whether the live streak is at least `N` blocks.
        bool sustained;
        /// What `checkDeviation` answers.
        bool shouldRebalance;
        /// Stabilization volume still allowed in this block.
        uint256 remainingVolume;
        /// Whether the contract is paused.
        bool paused;
    }

    /// A required address is zero.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroAddress();
    /// The pool has not been registered.
    #[derive(Debug, PartialEq, Eq)]
    error UnknownPool(address pool);
    /// The pool is registered already.
    #[derive(Debug, PartialEq, Eq)]
    error PoolAlreadyRegistered(address pool);
    /// A registration parameter is outside its range: `parameter` 0 base
    /// decimals and 1 quote decimals (`DECIMALS_RANGE`), 2 threshold
    /// (`THRESHOLD_BPS_RANGE`), 3 sustain blocks (`SUSTAIN_BLOCKS_RANGE`),
    /// 4 TWAP window (`TWAP_WINDOW_RANGE`), 5 oracle max age
    /// (`MAX_ORACLE_AGE_RANGE`), 6 per-block cap (1 to `MAX_PER_BLOCK_CAP`).
    #[derive(Debug, PartialEq, Eq)]
    error ParameterOutOfRange(uint8 parameter, uint256 value, uint256 min, uint256 max);
    /// An amount is zero.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroAmount();
    /// `amount` is more than this block's `remaining` stabilization volume.
    #[derive(Debug, PartialEq, Eq)]
    error VolumeCapExceeded(address pool, uint256 amount, uint256 remaining);
    /// The observations do not cover the TWAP window yet.
    #[derive(Debug, PartialEq, Eq)]
    error InsufficientHistory(address pool);
    /// The pool's `getMidPrice` reverted or answered malformed data.
    #[derive(Debug, PartialEq, Eq)]
    error PoolCallFailed(address pool);
    /// The oracle's `latestPrice` reverted or answered malformed data.
    #[derive(Debug, PartialEq, Eq)]
    error OracleCallFailed(address oracle);
    /// The oracle answered a zero price.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroOraclePrice(address oracle);
    /// The oracle's price was set at `updatedAt`, more than `maxAge` seconds
    /// before this block's timestamp.
    #[derive(Debug, PartialEq, Eq)]
    error StaleOracle(address oracle, uint256 updatedAt, uint64 maxAge);
    /// `ArbSys(0x64).arbBlockNumber()` did not answer.
    #[derive(Debug, PartialEq, Eq)]
    error ClockUnavailable();
    /// A price does not fit 256 bits once scaled by the token decimals.
    #[derive(Debug, PartialEq, Eq)]
    error ArithmeticOverflow();
}

/// The status is returned as a Solidity struct (`PoolStatus memory`).
impl AbiType for PoolStatus {
    type SolType = Self;

    const ABI: ConstString = ConstString::new("PoolStatus");
    const EXPORT_ABI_RET: ConstString = ConstString::new("PoolStatus memory");
}

/// Declares `struct PoolStatus` in the exported interface, from the same
/// `sol!` declaration.
#[cfg(feature = "export-abi")]
impl stylus_sdk::abi::export::internal::InnerTypes for PoolStatus {
    fn inner_types() -> Vec<stylus_sdk::abi::export::internal::InnerType> {
        use alloy_sol_types::SolStruct;
        let encoded = <Self as SolStruct>::eip712_encode_type();
        let fields = encoded.trim_start_matches("PoolStatus(").trim_end_matches(')');
        let mut body = alloc::string::String::new();
        for field in fields.split(',') {
            body.push(' ');
            body.push_str(field);
            body.push(';');
        }
        vec![stylus_sdk::abi::export::internal::InnerType {
            name: alloc::format!("struct PoolStatus {{{body} }}"),
            id: core::any::TypeId::of::<Self>(),
        }]
    }
}

/// Every way a FlashContainment call can be refused.
///
/// The SDK's `SolidityError` derive instantiates alloy's error encoder once
/// per variant (7.3 KB of uncompressed wasm here). The contract encodes
/// revert data with one shared word writer instead ([`Error::revert_data`]),
/// and the derive runs only for the ABI export, which lists the errors from
/// it. A unit test checks every variant's bytes against alloy's
/// `abi_encode`.
#[cfg_attr(feature = "export-abi", derive(SolidityError))]
#[derive(Debug)]
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
    /// See [`UnknownPool`].
    UnknownPool(UnknownPool),
    /// See [`PoolAlreadyRegistered`].
    AlreadyRegistered(PoolAlreadyRegistered),
    /// See [`ParameterOutOfRange`].
    OutOfRange(ParameterOutOfRange),
    /// See [`ZeroAmount`].
    ZeroAmount(ZeroAmount),
    /// See [`VolumeCapExceeded`].
    CapExceeded(VolumeCapExceeded),
    /// See [`InsufficientHistory`].
    InsufficientHistory(InsufficientHistory),
    /// See [`PoolCallFailed`].
    PoolCallFailed(PoolCallFailed),
    /// See [`OracleCallFailed`].
    OracleCallFailed(OracleCallFailed),
    /// See [`ZeroOraclePrice`].
    ZeroOraclePrice(ZeroOraclePrice),
    /// See [`StaleOracle`].
    StaleOracle(StaleOracle),
    /// See [`ClockUnavailable`].
    ClockUnavailable(ClockUnavailable),
    /// See [`ArithmeticOverflow`].
    Overflow(ArithmeticOverflow),
}

#[cfg(not(feature = "export-abi"))]
impl From<Error> for Vec<u8> {
    fn from(error: Error) -> Self {
        error.revert_data()
    }
}

impl Error {
    /// The revert data: the error's selector and its ABI words.
    #[inline(never)]
    pub fn revert_data(&self) -> Vec<u8> {
        use alloy_sol_types::SolError;
        match self {
            Self::Unauthorized(e) => Words::selector(AccessControlUnauthorizedAccount::SELECTOR)
                .address(e.account)
                .bytes(e.neededRole.0),
            Self::BadConfirmation(_) => Words::selector(AccessControlBadConfirmation::SELECTOR),
            Self::Paused(_) => Words::selector(EnforcedPause::SELECTOR),
            Self::NotPaused(_) => Words::selector(ExpectedPause::SELECTOR),
            Self::ZeroAddress(_) => Words::selector(ZeroAddress::SELECTOR),
            Self::UnknownPool(e) => Words::selector(UnknownPool::SELECTOR).address(e.pool),
            Self::AlreadyRegistered(e) => Words::selector(PoolAlreadyRegistered::SELECTOR).address(e.pool),
            Self::OutOfRange(e) => Words::selector(ParameterOutOfRange::SELECTOR)
                .uint(e.parameter.into())
                .word(&e.value)
                .word(&e.min)
                .word(&e.max),
            Self::ZeroAmount(_) => Words::selector(ZeroAmount::SELECTOR),
            Self::CapExceeded(e) => Words::selector(VolumeCapExceeded::SELECTOR)
                .address(e.pool)
                .word(&e.amount)
                .word(&e.remaining),
            Self::InsufficientHistory(e) => Words::selector(InsufficientHistory::SELECTOR).address(e.pool),
            Self::PoolCallFailed(e) => Words::selector(PoolCallFailed::SELECTOR).address(e.pool),
            Self::OracleCallFailed(e) => Words::selector(OracleCallFailed::SELECTOR).address(e.oracle),
            Self::ZeroOraclePrice(e) => Words::selector(ZeroOraclePrice::SELECTOR).address(e.oracle),
            Self::StaleOracle(e) => {
                Words::selector(StaleOracle::SELECTOR).address(e.oracle).word(&e.updatedAt).uint(e.maxAge)
            }
            Self::ClockUnavailable(_) => Words::selector(ClockUnavailable::SELECTOR),
            Self::Overflow(_) => Words::selector(ArithmeticOverflow::SELECTOR),
        }
        .0
    }
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

/// One registered pool. Each of the first three fields is one packed storage
/// word: the registration (oracle, decimals, `θ`, `N`, `W`, oracle max age),
/// the tracker (streak, observation count, streak sign, block of the last
/// `consumeVolume`) and the volume (cap, volume used in that block).
#[storage]
pub struct PoolState {
    config: StorageU256,
    tracker: StorageU256,
    volume: StorageU256,
    /// One observation per slot ([`Observation::to_limbs`]).
    ring: StorageArray<StorageU256, RING_CAPACITY>,
}

/// FlashContainment storage.
#[entrypoint]
#[storage]
pub struct FlashContainment {
    access: Access,
    pools: StorageMap<Address, PoolState>,
}

/// `(oracle, baseDecimals, quoteDecimals, thresholdBps, sustainBlocks,
/// twapWindow, maxOracleAge, perBlockCap)`, as registered.
pub type ConfigTuple = (Address, u64, u64, u64, u64, u64, u64, U256);

/// The FlashContainment's own interface.
pub trait IFlashContainment {
    /// Registers `pool` (a DODO V2 pool) with its `oracle` (quote per base in
    /// whole tokens, 18 decimals; its `latestPrice` must be at most
    /// `maxOracleAge` seconds old at every poke), the decimals of the
    /// pool's base and quote tokens (they map DODO's raw-unit mid price to
    /// the oracle's units), the threshold `θ` in bps, the sustain length `N`
    /// and the TWAP window `W` in L2 blocks, and the per-block
    /// stabilization cap in the base token's raw units. One registration per
    /// pool; allowed while paused.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless the caller is admin;
    /// `ZeroAddress` for a zero pool or oracle; `PoolAlreadyRegistered`;
    /// `ParameterOutOfRange` for the first parameter out of its range, in
    /// argument order.
    ///
    /// # Events
    /// `PoolRegistered`.
    #[allow(clippy::too_many_arguments)]
    fn register_pool(
        &mut self,
        pool: Address,
        oracle: Address,
        base_decimals: u64,
        quote_decimals: u64,
        threshold_bps: u64,
        sustain_blocks: u64,
        twap_window: u64,
        max_oracle_age: u64,
        per_block_cap: U256,
    ) -> Result<(), Error>;

    /// Records this L2 block's observation of `pool` if it has none yet
    /// (`true`); a repeat in the same block returns `false`, reads nothing
    /// outside this contract but the clock and changes nothing. Anyone may
    /// call it. Its work is bounded and does not grow with history: the
    /// clock, two static calls (pool, oracle), four storage reads (pause
    /// flag, configuration, tracker, newest observation), two storage writes
    /// (one ring slot, the tracker) and at most two events.
    ///
    /// # Errors
    /// `EnforcedPause`; `UnknownPool`; `ClockUnavailable`; on a first poke
    /// only: `PoolCallFailed`, `OracleCallFailed`, `ZeroOraclePrice`,
    /// `StaleOracle`, `ArithmeticOverflow`.
    ///
    /// # Events
    /// `Observed` when recorded; also `SpikeIgnored` when past the
    /// threshold with a streak shorter than `N`, or `DeviationSustained`
    /// when the streak reaches `N`.
    fn poke(&mut self, pool: Address) -> Result<bool, Error>;

    /// Spends `amount` of `pool`'s stabilization cap for this L2 block.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless the caller holds the
    /// Stabilizer role; `EnforcedPause`; `UnknownPool`; `ZeroAmount`;
    /// `ClockUnavailable`; `VolumeCapExceeded` above this block's remaining
    /// volume.
    ///
    /// # Events
    /// `VolumeConsumed`.
    fn consume_volume(&mut self, pool: Address, amount: U256) -> Result<(), Error>;

    /// The TWAP deviation over the pool's window `W`, in bps.
    ///
    /// # Errors
    /// `UnknownPool`; `ClockUnavailable`; `InsufficientHistory` until the
    /// observations cover the window.
    fn twap_deviation(&self, pool: Address) -> Result<I256, Error>;

    /// The live sustain streak: `(holds, sign, streak)`, `holds` when
    /// `streak ≥ N`.
    ///
    /// # Errors
    /// `UnknownPool`; `ClockUnavailable`.
    fn sustained(&self, pool: Address) -> Result<(bool, i8, u64), Error>;

    /// The stabilization volume still allowed in this L2 block.
    ///
    /// # Errors
    /// `UnknownPool`; `ClockUnavailable`.
    fn remaining_volume(&self, pool: Address) -> Result<U256, Error>;

    /// App. A's `checkDeviation` for one pool: the TWAP deviation in bps,
    /// and whether to rebalance (not paused, live streak of at least `N`,
    /// TWAP past `θ` with the streak's sign).
    ///
    /// # Errors
    /// As [`IFlashContainment::twap_deviation`].
    fn check_deviation(&self, pool: Address) -> Result<(I256, bool), Error>;

    /// Everything a monitor needs about `pool` in one call.
    ///
    /// # Errors
    /// `UnknownPool`; `ClockUnavailable`.
    fn pool_status(&self, pool: Address) -> Result<PoolStatus, Error>;

    /// The pool's registration.
    ///
    /// # Errors
    /// `UnknownPool`.
    fn pool_config(&self, pool: Address) -> Result<ConfigTuple, Error>;

    /// Pauses: pokes and `consumeVolume` are refused and nothing triggers.
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
    /// `AccessControlUnauthorizedAccount` unless the caller is admin.
    ///
    /// # Events
    /// `RoleGranted` when the account did not hold it.
    fn grant_role(&mut self, role: B256, account: Address) -> Result<(), Error>;

    /// Revokes `role` from `account`.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless the caller is admin.
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
}

#[public]
impl FlashContainment {
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

    /// The Stabilizer role identifier.
    #[selector(name = "STABILIZER_ROLE")]
    pub fn stabilizer_role(&self) -> B256 {
        STABILIZER_ROLE
    }

    /// The guardian role identifier.
    #[selector(name = "GUARDIAN_ROLE")]
    pub fn guardian_role(&self) -> B256 {
        GUARDIAN_ROLE
    }

    /// See [`IFlashContainment::register_pool`].
    ///
    /// # Errors
    /// As [`IFlashContainment::register_pool`].
    #[allow(clippy::too_many_arguments)]
    pub fn register_pool(
        &mut self,
        pool: Address,
        oracle: Address,
        base_decimals: u64,
        quote_decimals: u64,
        threshold_bps: u64,
        sustain_blocks: u64,
        twap_window: u64,
        max_oracle_age: u64,
        per_block_cap: U256,
    ) -> Result<(), Error> {
        IFlashContainment::register_pool(
            self,
            pool,
            oracle,
            base_decimals,
            quote_decimals,
            threshold_bps,
            sustain_blocks,
            twap_window,
            max_oracle_age,
            per_block_cap,
        )
    }

    /// See [`IFlashContainment::poke`].
    ///
    /// # Errors
    /// As [`IFlashContainment::poke`].
    pub fn poke(&mut self, pool: Address) -> Result<bool, Error> {
        IFlashContainment::poke(self, pool)
    }

    /// See [`IFlashContainment::consume_volume`].
    ///
    /// # Errors
    /// As [`IFlashContainment::consume_volume`].
    pub fn consume_volume(&mut self, pool: Address, amount: U256) -> Result<(), Error> {
        IFlashContainment::consume_volume(self, pool, amount)
    }

    /// See [`IFlashContainment::twap_deviation`].
    ///
    /// # Errors
    /// As [`IFlashContainment::twap_deviation`].
    pub fn twap_deviation(&self, pool: Address) -> Result<I256, Error> {
        IFlashContainment::twap_deviation(self, pool)
    }

    /// See [`IFlashContainment::sustained`].
    ///
    /// # Errors
    /// As [`IFlashContainment::sustained`].
    pub fn sustained(&self, pool: Address) -> Result<(bool, i8, u64), Error> {
        IFlashContainment::sustained(self, pool)
    }

    /// See [`IFlashContainment::remaining_volume`].
    ///
    /// # Errors
    /// As [`IFlashContainment::remaining_volume`].
    pub fn remaining_volume(&self, pool: Address) -> Result<U256, Error> {
        IFlashContainment::remaining_volume(self, pool)
    }

    /// See [`IFlashContainment::check_deviation`].
    ///
    /// # Errors
    /// As [`IFlashContainment::check_deviation`].
    pub fn check_deviation(&self, pool: Address) -> Result<(I256, bool), Error> {
        IFlashContainment::check_deviation(self, pool)
    }

    /// See [`IFlashContainment::pool_status`].
    ///
    /// # Errors
    /// As [`IFlashContainment::pool_status`].
    pub fn pool_status(&self, pool: Address) -> Result<PoolStatus, Error> {
        IFlashContainment::pool_status(self, pool)
    }

    /// See [`IFlashContainment::pool_config`].
    ///
    /// # Errors
    /// As [`IFlashContainment::pool_config`].
    pub fn pool_config(&self, pool: Address) -> Result<ConfigTuple, Error> {
        IFlashContainment::pool_config(self, pool)
    }

    /// See [`IFlashContainment::pause`].
    ///
    /// # Errors
    /// As [`IFlashContainment::pause`].
    pub fn pause(&mut self) -> Result<(), Error> {
        IFlashContainment::pause(self)
    }

    /// See [`IFlashContainment::unpause`].
    ///
    /// # Errors
    /// As [`IFlashContainment::unpause`].
    pub fn unpause(&mut self) -> Result<(), Error> {
        IFlashContainment::unpause(self)
    }

    /// See [`IFlashContainment::paused`].
    pub fn paused(&self) -> bool {
        IFlashContainment::paused(self)
    }

    /// See [`IFlashContainment::has_role`].
    pub fn has_role(&self, role: B256, account: Address) -> bool {
        IFlashContainment::has_role(self, role, account)
    }

    /// See [`IFlashContainment::grant_role`].
    ///
    /// # Errors
    /// As [`IFlashContainment::grant_role`].
    pub fn grant_role(&mut self, role: B256, account: Address) -> Result<(), Error> {
        IFlashContainment::grant_role(self, role, account)
    }

    /// See [`IFlashContainment::revoke_role`].
    ///
    /// # Errors
    /// As [`IFlashContainment::revoke_role`].
    pub fn revoke_role(&mut self, role: B256, account: Address) -> Result<(), Error> {
        IFlashContainment::revoke_role(self, role, account)
    }

    /// See [`IFlashContainment::renounce_role`].
    ///
    /// # Errors
    /// As [`IFlashContainment::renounce_role`].
    pub fn renounce_role(&mut self, role: B256, confirmation: Address) -> Result<(), Error> {
        IFlashContainment::renounce_role(self, role, confirmation)
    }
}

impl IFlashContainment for FlashContainment {
    fn register_pool(
        &mut self,
        pool: Address,
        oracle: Address,
        base_decimals: u64,
        quote_decimals: u64,
        threshold_bps: u64,
        sustain_blocks: u64,
        twap_window: u64,
        max_oracle_age: u64,
        per_block_cap: U256,
    ) -> Result<(), Error> {
        self.access.only_role(ADMIN_ROLE)?;
        if pool.is_zero() || oracle.is_zero() {
            return Err(Error::ZeroAddress(ZeroAddress {}));
        }
        if !self.pools.getter(pool).config.get().is_zero() {
            return Err(Error::AlreadyRegistered(PoolAlreadyRegistered { pool }));
        }
        check_range(0, base_decimals, DECIMALS_RANGE)?;
        check_range(1, quote_decimals, DECIMALS_RANGE)?;
        check_range(2, threshold_bps, THRESHOLD_BPS_RANGE)?;
        check_range(3, sustain_blocks, SUSTAIN_BLOCKS_RANGE)?;
        check_range(4, twap_window, TWAP_WINDOW_RANGE)?;
        check_range(5, max_oracle_age, MAX_ORACLE_AGE_RANGE)?;
        if per_block_cap.is_zero() || per_block_cap > MAX_PER_BLOCK_CAP {
            return Err(out_of_range(6, per_block_cap, U256::from(1u8), MAX_PER_BLOCK_CAP));
        }
        // Every value is now within its bound, so each narrowing is exact.
        #[allow(clippy::cast_possible_truncation)]
        let config = PoolConfig {
            oracle,
            base_decimals: base_decimals as u8,
            quote_decimals: quote_decimals as u8,
            threshold_bps: threshold_bps as u16,
            sustain_blocks: sustain_blocks as u16,
            twap_window: twap_window as u16,
            max_oracle_age: max_oracle_age as u32,
        };
        let mut state = self.pools.setter(pool);
        state.config.set(config.pack());
        state.volume.set(Volume { cap: per_block_cap, used: U256::ZERO }.pack());
        Words::topics(PoolRegistered::SIGNATURE_HASH)
            .address(pool)
            .address(oracle)
            .uint(base_decimals)
            .uint(quote_decimals)
            .uint(threshold_bps)
            .uint(sustain_blocks)
            .uint(twap_window)
            .uint(max_oracle_age)
            .word(&per_block_cap)
            .emit(self.vm(), 3);
        Ok(())
    }

    fn poke(&mut self, pool: Address) -> Result<bool, Error> {
        self.access.when_not_paused()?;
        let config = self.config_of(pool)?;
        let block = self.l2_block()?;
        let (tracker, latest) = self.tracker_of(pool);
        let cursor = tracker.cursor();
        // A repeat in the block: nothing read, nothing written.
        if latest.is_some_and(|last| last.block >= block) {
            return Ok(false);
        }
        let (mid_price, oracle_price) = self.prices(pool, &config)?;
        let deviation =
            pool_deviation_bps(mid_price, oracle_price, config.base_decimals, config.quote_decimals)?;
        let Some((slot, observation, cursor)) = cursor.append(latest, block, deviation)? else {
            return Ok(false);
        };
        let streak = tracker.sustain(latest).observe(block, deviation, u32::from(config.threshold_bps));
        let mut state = self.pools.setter(pool);
        if let Some(mut word) = state.ring.setter(slot) {
            word.set(U256::from_limbs(observation.to_limbs()));
        }
        let next = Tracker { streak: streak.streak, count: cursor.count, sign: streak.sign, ..tracker };
        state.tracker.set(next.pack());
        self.emit_observation(pool, block, deviation, streak, (mid_price, oracle_price), config);
        Ok(true)
    }

    fn consume_volume(&mut self, pool: Address, amount: U256) -> Result<(), Error> {
        self.access.only_role(STABILIZER_ROLE)?;
        self.access.when_not_paused()?;
        self.config_of(pool)?;
        if amount.is_zero() {
            return Err(Error::ZeroAmount(ZeroAmount {}));
        }
        let block = self.l2_block()?;
        let (tracker, volume) = self.volume_of(pool, block);
        let remaining = volume.remaining();
        if amount > remaining {
            return Err(Error::CapExceeded(VolumeCapExceeded { pool, amount, remaining }));
        }
        // used + amount ≤ cap < 2^128: no overflow.
        let next = Volume { used: volume.used + amount, ..volume };
        let mut state = self.pools.setter(pool);
        state.volume.set(next.pack());
        state.tracker.set(Tracker { volume_block: block, ..tracker }.pack());
        Words::topics(VolumeConsumed::SIGNATURE_HASH)
            .address(pool)
            .address(self.vm().msg_sender())
            .uint(block)
            .word(&amount)
            .word(&next.remaining())
            .emit(self.vm(), 3);
        Ok(())
    }

    fn twap_deviation(&self, pool: Address) -> Result<I256, Error> {
        let config = self.config_of(pool)?;
        let block = self.l2_block()?;
        let twap = self.twap_at(pool, block, &config)?;
        twap.map(to_i256).ok_or(Error::InsufficientHistory(InsufficientHistory { pool }))
    }

    fn sustained(&self, pool: Address) -> Result<(bool, i8, u64), Error> {
        let config = self.config_of(pool)?;
        let block = self.l2_block()?;
        let live = self.live(pool, block);
        Ok((live.streak >= u64::from(config.sustain_blocks), live.sign, live.streak))
    }

    fn remaining_volume(&self, pool: Address) -> Result<U256, Error> {
        self.config_of(pool)?;
        let block = self.l2_block()?;
        Ok(self.volume_of(pool, block).1.remaining())
    }

    fn check_deviation(&self, pool: Address) -> Result<(I256, bool), Error> {
        let config = self.config_of(pool)?;
        let block = self.l2_block()?;
        let Some(twap) = self.twap_at(pool, block, &config)? else {
            return Err(Error::InsufficientHistory(InsufficientHistory { pool }));
        };
        Ok((to_i256(twap), self.should_rebalance(twap, self.live(pool, block), &config)))
    }

    fn pool_status(&self, pool: Address) -> Result<PoolStatus, Error> {
        let config = self.config_of(pool)?;
        let block = self.l2_block()?;
        let (tracker, latest) = self.tracker_of(pool);
        let twap = self.twap_at(pool, block, &config)?;
        let live = self.live(pool, block);
        let last = latest.unwrap_or_default();
        Ok(PoolStatus {
            blockNumber: block,
            observations: tracker.count,
            lastBlock: last.block,
            lastDeviationBps: last.deviation_bps,
            twapAvailable: twap.is_some(),
            twapDeviationBps: twap.unwrap_or(0),
            sign: live.sign,
            streak: live.streak,
            sustained: live.streak >= u64::from(config.sustain_blocks),
            shouldRebalance: twap.is_some_and(|t| self.should_rebalance(t, live, &config)),
            remainingVolume: self.volume_of(pool, block).1.remaining(),
            paused: self.access.paused(),
        })
    }

    fn pool_config(&self, pool: Address) -> Result<ConfigTuple, Error> {
        let c = self.config_of(pool)?;
        let volume = Volume::unpack(self.pools.getter(pool).volume.get());
        Ok((
            c.oracle,
            c.base_decimals.into(),
            c.quote_decimals.into(),
            c.threshold_bps.into(),
            c.sustain_blocks.into(),
            c.twap_window.into(),
            c.max_oracle_age.into(),
            volume.cap,
        ))
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
}

impl FlashContainment {
    /// The pool's configuration, or `UnknownPool`.
    #[inline(never)]
    fn config_of(&self, pool: Address) -> Result<PoolConfig, Error> {
        let word = self.pools.getter(pool).config.get();
        if word.is_zero() {
            return Err(Error::UnknownPool(UnknownPool { pool }));
        }
        Ok(PoolConfig::unpack(word))
    }

    /// The L2 block number from `ArbSys`.
    #[inline(never)]
    fn l2_block(&self) -> Result<u64, Error> {
        arb_block_number(self.vm()).map_err(|_| Error::ClockUnavailable(ClockUnavailable {}))
    }

    /// The tracker word and the newest observation, if any.
    #[inline(never)]
    fn tracker_of(&self, pool: Address) -> (Tracker, Option<Observation>) {
        let state = self.pools.getter(pool);
        let tracker = Tracker::unpack(state.tracker.get());
        let latest = tracker.cursor().latest_slot().map(|slot| Ring(&state.ring).read(slot));
        (tracker, latest)
    }

    /// The streak that counts at `block` (see [`SustainTracker::live_streak`]),
    /// with its sign (0 when none).
    #[inline(never)]
    fn live(&self, pool: Address, block: u64) -> SustainTracker {
        let (tracker, latest) = self.tracker_of(pool);
        let sustain = tracker.sustain(latest);
        let streak = sustain.live_streak(block);
        SustainTracker { sign: if streak == 0 { 0 } else { sustain.sign }, streak, ..sustain }
    }

    /// The stored-ring TWAP over the pool's window; `None` without enough history.
    #[inline(never)]
    fn twap_at(&self, pool: Address, block: u64, config: &PoolConfig) -> Result<Option<Bps>, Error> {
        let state = self.pools.getter(pool);
        let cursor = Tracker::unpack(state.tracker.get()).cursor();
        Ok(cursor.twap(&Ring(&state.ring), block, u64::from(config.twap_window))?)
    }

    /// The tracker word and the volume word as of `block` (`used` is zero
    /// when the last consumption was in an earlier block).
    #[inline(never)]
    fn volume_of(&self, pool: Address, block: u64) -> (Tracker, Volume) {
        let state = self.pools.getter(pool);
        let tracker = Tracker::unpack(state.tracker.get());
        let mut volume = Volume::unpack(state.volume.get());
        if tracker.volume_block != block {
            volume.used = U256::ZERO;
        }
        (tracker, volume)
    }

    /// App. A's trigger: not paused, a live streak of at least `N`, and the
    /// TWAP past `θ` with the streak's sign.
    fn should_rebalance(&self, twap: Bps, live: SustainTracker, config: &PoolConfig) -> bool {
        let sign = twap.signum();
        !self.access.paused()
            && live.streak >= u64::from(config.sustain_blocks)
            && twap.unsigned_abs() > u32::from(config.threshold_bps)
            && i32::from(live.sign) == sign
    }

    /// The pool's mid price and the oracle's fresh, nonzero price.
    #[inline(never)]
    fn prices(&self, pool: Address, config: &PoolConfig) -> Result<(U256, U256), Error> {
        let mid = static_call(self.vm(), pool, &IDODOPool::getMidPriceCall {})
            .map_err(|_| Error::PoolCallFailed(PoolCallFailed { pool }))?
            .midPrice;
        let oracle = config.oracle;
        let answer = static_call(self.vm(), oracle, &IPriceOracle::latestPriceCall {})
            .map_err(|_| Error::OracleCallFailed(OracleCallFailed { oracle }))?;
        if answer.price.is_zero() {
            return Err(Error::ZeroOraclePrice(ZeroOraclePrice { oracle }));
        }
        // A timestamp ahead of this block counts as age 0.
        let age = U256::from(self.vm().block_timestamp()).saturating_sub(answer.updatedAt);
        let max_age = u64::from(config.max_oracle_age);
        if age > U256::from(max_age) {
            return Err(Error::StaleOracle(StaleOracle {
                oracle,
                updatedAt: answer.updatedAt,
                maxAge: max_age,
            }));
        }
        Ok((mid, answer.price))
    }

    /// `Observed`, then `SpikeIgnored` or `DeviationSustained` as the streak says.
    #[inline(never)]
    fn emit_observation(
        &self,
        pool: Address,
        block: u64,
        deviation: Bps,
        streak: SustainTracker,
        (mid_price, oracle_price): (U256, U256),
        config: PoolConfig,
    ) {
        let n = u64::from(config.sustain_blocks);
        Words::topics(Observed::SIGNATURE_HASH)
            .address(pool)
            .uint(block)
            .int(deviation.into())
            .int(streak.sign.into())
            .uint(streak.streak)
            .word(&mid_price)
            .word(&oracle_price)
            .emit(self.vm(), 3);
        if streak.streak == n {
            Words::topics(DeviationSustained::SIGNATURE_HASH)
                .address(pool)
                .uint(block)
                .int(streak.sign.into())
                .uint(n)
                .emit(self.vm(), 3);
        } else if (1..n).contains(&streak.streak) {
            Words::topics(SpikeIgnored::SIGNATURE_HASH)
                .address(pool)
                .uint(block)
                .int(deviation.into())
                .uint(streak.streak)
                .emit(self.vm(), 3);
        }
    }
}

/// ABI words written one after the other: the revert data of every error
/// and the topics and data of every event of this contract, through one
/// small encoder (see [`Error::revert_data`] for why). Each use names the
/// `sol!` error or event whose selector or signature hash and field order
/// it follows; the tests decode all of them with those declarations.
struct Words(Vec<u8>);

impl Words {
    /// Revert data starting with an error selector.
    #[inline(never)]
    fn selector(selector: [u8; 4]) -> Self {
        let mut bytes = Vec::with_capacity(4 + 4 * 32);
        bytes.extend_from_slice(&selector);
        Self(bytes)
    }

    /// A log starting with its first topic, the event's signature hash.
    #[inline(never)]
    fn topics(signature: B256) -> Self {
        let mut bytes = Vec::with_capacity(10 * 32);
        bytes.extend_from_slice(signature.as_slice());
        Self(bytes)
    }

    /// A 32-byte word as it is.
    #[inline(never)]
    fn bytes(mut self, word: [u8; 32]) -> Self {
        self.0.extend_from_slice(&word);
        self
    }

    /// A `uint256`.
    fn word(self, value: &U256) -> Self {
        self.bytes(value.to_be_bytes())
    }

    /// An address, left-padded.
    fn address(self, address: Address) -> Self {
        self.bytes(address.into_word().0)
    }

    /// A small unsigned integer.
    #[inline(never)]
    fn uint(self, value: u64) -> Self {
        let mut word = [0u8; 32];
        word[24..].copy_from_slice(&value.to_be_bytes());
        self.bytes(word)
    }

    /// A small signed integer, sign-extended.
    #[inline(never)]
    fn int(self, value: i64) -> Self {
        let mut word = [if value < 0 { 0xff } else { 0 }; 32];
        word[24..].copy_from_slice(&value.to_be_bytes());
        self.bytes(word)
    }

    /// Emits the words as a log whose first `topics` words are its topics.
    #[inline(never)]
    fn emit(self, vm: &dyn stylus_sdk::stylus_core::Host, topics: usize) {
        vm.emit_log(&self.0, topics);
    }
}

/// The ring of one pool, as [`ObservationSlots`] for the shared ring logic.
struct Ring<'a>(&'a StorageArray<StorageU256, RING_CAPACITY>);

impl ObservationSlots for Ring<'_> {
    fn read(&self, slot: u64) -> Observation {
        self.0.get(slot).map_or_else(Observation::default, |word| Observation::from_limbs(word.into_limbs()))
    }
}

/// A pool's registration, packed into one word, most significant byte
/// first: oracle (20 bytes), base and quote decimals (1 each), threshold,
/// sustain blocks and TWAP window (2 each), oracle max age (4). The oracle
/// is nonzero, so a registered pool's word is nonzero.
#[derive(Clone, Copy)]
struct PoolConfig {
    oracle: Address,
    base_decimals: u8,
    quote_decimals: u8,
    threshold_bps: u16,
    sustain_blocks: u16,
    twap_window: u16,
    max_oracle_age: u32,
}

impl PoolConfig {
    fn pack(self) -> U256 {
        let mut bytes = [0u8; 32];
        bytes[..20].copy_from_slice(self.oracle.as_slice());
        bytes[20] = self.base_decimals;
        bytes[21] = self.quote_decimals;
        bytes[22..24].copy_from_slice(&self.threshold_bps.to_be_bytes());
        bytes[24..26].copy_from_slice(&self.sustain_blocks.to_be_bytes());
        bytes[26..28].copy_from_slice(&self.twap_window.to_be_bytes());
        bytes[28..].copy_from_slice(&self.max_oracle_age.to_be_bytes());
        U256::from_be_bytes(bytes)
    }

    fn unpack(word: U256) -> Self {
        let b: [u8; 32] = word.to_be_bytes();
        Self {
            oracle: Address::from_slice(&b[..20]),
            base_decimals: b[20],
            quote_decimals: b[21],
            threshold_bps: u16::from_be_bytes([b[22], b[23]]),
            sustain_blocks: u16::from_be_bytes([b[24], b[25]]),
            twap_window: u16::from_be_bytes([b[26], b[27]]),
            max_oracle_age: u32::from_be_bytes([b[28], b[29], b[30], b[31]]),
        }
    }
}

/// The sustain streak, the observation count and the block of the last
/// `consumeVolume`, packed into one word's limbs: `[streak, count, sign,
/// volume block]`, the sign as 0 (none), 1 (positive) or 2 (negative).
#[derive(Clone, Copy)]
struct Tracker {
    streak: u64,
    count: u64,
    sign: i8,
    volume_block: u64,
}

impl Tracker {
    fn pack(self) -> U256 {
        let sign = match self.sign {
            1 => 1,
            -1 => 2,
            _ => 0,
        };
        U256::from_limbs([self.streak, self.count, sign, self.volume_block])
    }

    fn unpack(word: U256) -> Self {
        let [streak, count, sign, volume_block] = word.into_limbs();
        let sign = match sign {
            1 => 1,
            2 => -1,
            _ => 0,
        };
        Self { streak, count, sign, volume_block }
    }

    fn cursor(self) -> RingCursor {
        RingCursor { capacity: RING_CAPACITY as u64, count: self.count }
    }

    /// The math crate's tracker, whose last block is the newest observation's.
    fn sustain(self, latest: Option<Observation>) -> SustainTracker {
        SustainTracker { sign: self.sign, streak: self.streak, last_block: latest.map_or(0, |o| o.block) }
    }
}

/// The per-block cap (low 128 bits) and the volume used in the tracker's
/// volume block (high 128 bits); both at most `MAX_PER_BLOCK_CAP`.
#[derive(Clone, Copy)]
struct Volume {
    cap: U256,
    used: U256,
}

impl Volume {
    fn pack(self) -> U256 {
        let ([cap_low, cap_high, ..], [used_low, used_high, ..]) =
            (self.cap.into_limbs(), self.used.into_limbs());
        U256::from_limbs([cap_low, cap_high, used_low, used_high])
    }

    fn unpack(word: U256) -> Self {
        let [cap_low, cap_high, used_low, used_high] = word.into_limbs();
        Self {
            cap: U256::from_limbs([cap_low, cap_high, 0, 0]),
            used: U256::from_limbs([used_low, used_high, 0, 0]),
        }
    }

    fn remaining(self) -> U256 {
        self.cap.saturating_sub(self.used)
    }
}

/// `bps` as `int256` (sign-extended).
fn to_i256(bps: Bps) -> I256 {
    let extension = if bps < 0 { u64::MAX } else { 0 };
    I256::from_raw(U256::from_limbs([i64::from(bps).cast_unsigned(), extension, extension, extension]))
}

fn check_range(parameter: u8, value: u64, (min, max): (u64, u64)) -> Result<(), Error> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(out_of_range(parameter, U256::from(value), U256::from(min), U256::from(max)))
    }
}

#[inline(never)]
fn out_of_range(parameter: u8, value: U256, min: U256, max: U256) -> Error {
    Error::OutOfRange(ParameterOutOfRange { parameter, value, min, max })
}

/// Aborts on panic: no message formatting code is linked into the wasm.
#[cfg(all(target_arch = "wasm32", not(any(test, feature = "export-abi"))))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(test)]
mod tests;
