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
//! * **Who observes.** Only holders of `POKER_ROLE` (the keepers) and of
//!   `STABILIZER_ROLE` may `poke`. An open poke let an outsider make the
//!   block's first poke inside a flash loan (push the pool, poke, restore)
//!   and so choose the block's observation: two such blocks forged a
//!   trigger, and one every other block suppressed a real deviation
//!   (proven on the wasm). A keeper's poke is its own transaction, so the
//!   price it records is one the pool really held between transactions.
//! * **Observation of a block.** The first authorised `poke(pool)` of an L2
//!   block records the block's observation: the pool's `getMidPrice` against
//!   the oracle's `latestPrice`, in bps ([`pool_deviation_bps`], truncated
//!   toward zero). Every later `poke` in the same block returns `false`
//!   without reading the pool and changes nothing. Keepers poke only when a
//!   block can matter (their own read shows the pool past `θ`): a block
//!   nobody observed counts as in band.
//! * **Sustain.** The deviation is sustained at block `T` when at least
//!   `N ≥ 2` of the `2N − 1` L2 blocks up to `T` were observed past the
//!   threshold (`|dev| > θ`, either sign) and the newest observation, from
//!   `T` or `T − 1`, is past it; its sign is the side to correct
//!   ([`SustainTracker`]). A pool flipped between `+15` and `−15` bps, or
//!   dipped into the band every other block, beat the former rule ("`N`
//!   consecutive blocks with one sign") and is caught by this one. One
//!   block, or `N − 1` of them, can never be sustained: `N = 1` is refused
//!   at registration, and `N ≤ 32`.
//! * **TWAP.** The average of the per-block values over the epoch window
//!   (`twapDeviation`, `poolStatus`: for monitors): the previous whole
//!   epoch of `W` L2 blocks and the current one up to this block, epochs
//!   starting at multiples of `W` (`W + 1` to `2W` blocks). A block nobody
//!   observed between two observations counts whichever of the two is
//!   closer to zero (zero if they differ in sign); blocks after the newest
//!   observation carry it forward until the next one. Kept as two sums in
//!   the tracker word ([`EpochSums`]), not a ring of slots, so that a
//!   recording poke writes one word.
//! * **Trigger.** `checkDeviation` answers the newest live observation's
//!   deviation (0 when none) and `shouldRebalance` when not paused and the
//!   deviation is sustained. It never reverts for short history: with
//!   fewer than `N` observations nothing is sustained.
//! * **Liveness.** Without an authorised poke for a whole block nothing is
//!   sustained, so nothing triggers: with no keeper the Stabilizer stays
//!   idle (its trades need the keeper role too), and the first `N` keeper
//!   pokes past `θ` restore the trigger.
//! * **Per-block cap.** `consumeVolume` (Stabilizer role) spends from the
//!   pool's cap for the current L2 block; the cap resets in each new block.
//!
//! A guardian pauses (poke and `consumeVolume` are refused, nothing triggers);
//! only the admin unpauses. The admin registers pools while paused too.
//!
//! # ABI
//!
//! The interface is declared once, in [`abi::IFlashContainment`] (functions,
//! the `PoolStatus` struct, events, errors), and `src/main.rs` prints that
//! declaration for `abi/` in the layout the SDK's export used, so the
//! committed interface is unchanged. Calls reach
//! [`FlashContainment::route_call`], the SDK's `#[fallback]`, which
//! dispatches on those selectors (and on the SDK's constructor selector),
//! decodes the static arguments as strictly as the SDK's decoder did, and
//! writes return data, revert data, logs and the calldata of its external
//! calls with the one word encoder of `vault-words`. Roles and pause are
//! `vault_access::Roles`, which emits through the concrete host. Against
//! the SDK's generated router, alloy's per-type coders and `Access`, this
//! took the deployed code from 22.9 KB to 15.1 KB (see the README's size
//! table).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The SDK's `#[entrypoint]` emits an undocumented `user_entrypoint` on wasm;
// native test and clippy builds still enforce `missing_docs` everywhere.
#![cfg_attr(any(target_arch = "wasm32", feature = "export-abi"), allow(missing_docs))]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, I256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use stylus_sdk::{
    prelude::*,
    storage::{StorageMap, StorageU256},
    stylus_core::{calls::context::Call, ConstructorGuard},
    ArbResult,
};
use vault_access::{Roles, ADMIN_ROLE};
use vault_bindings::{ArbSys, IDODOPool, IPriceOracle, ARB_SYS};
use vault_math::deviation::Bps;
use vault_math::observation::{pool_deviation_bps, EpochSums, SustainTracker, MAX_SUSTAIN_BLOCKS};
use vault_math::MathError;
use vault_words::{at, encode, lookup, ret, Entry, Revert, Word};

pub use abi::IFlashContainment::{
    ArithmeticOverflow, ClockUnavailable, DeviationSustained, InsufficientHistory, Observed,
    OracleCallFailed, ParameterOutOfRange, PoolAlreadyRegistered, PoolCallFailed, PoolRegistered, PoolStatus,
    SpikeIgnored, StabilizerBound, StaleOracle, UnknownPool, VolumeCapExceeded, VolumeConsumed,
    WrongStabilizer, ZeroAddress, ZeroAmount, ZeroOraclePrice,
};

/// Role of the Stabilizer: the only caller of `consumeVolume`.
pub const STABILIZER_ROLE: B256 =
    B256::new(stylus_sdk::keccak_const::Keccak256::new().update(b"STABILIZER_ROLE").finalize());
/// Role of the keepers: with the Stabilizer role, the only callers of `poke`.
pub const POKER_ROLE: B256 =
    B256::new(stylus_sdk::keccak_const::Keccak256::new().update(b"POKER_ROLE").finalize());
/// Role of accounts that may pause.
pub const GUARDIAN_ROLE: B256 =
    B256::new(stylus_sdk::keccak_const::Keccak256::new().update(b"GUARDIAN_ROLE").finalize());

/// Largest TWAP window `W`: each of the tracker's two epoch sums
/// ([`EpochSums`]) then fits 44 bits.
pub const MAX_TWAP_WINDOW: u64 = 4_096;
/// Observations are recorded in L2 blocks below `2^40` (the tracker keeps
/// the newest one's block in 40 bits): about 8,700 years of 4 blocks a
/// second. A poke in a later block is refused with `ArithmeticOverflow`.
pub const BLOCK_LIMIT: u64 = 1 << 40;
/// Bounds on a token's decimals (parameters 0 and 1).
pub const DECIMALS_RANGE: (u64, u64) = (0, 36);
/// Bounds on the threshold `θ` in bps (parameter 2): 0.01% to 50%.
pub const THRESHOLD_BPS_RANGE: (u64, u64) = (1, 5_000);
/// Bounds on the sustain length `N` in L2 blocks (parameter 3). At least 2:
/// a single block must never count as sustained; at most 32, so that the
/// rule's span `2N − 1` fits the tracker's 64-block history.
pub const SUSTAIN_BLOCKS_RANGE: (u64, u64) = (2, MAX_SUSTAIN_BLOCKS);
/// Bounds on the TWAP window `W` in L2 blocks (parameter 4), up to
/// [`MAX_TWAP_WINDOW`].
pub const TWAP_WINDOW_RANGE: (u64, u64) = (2, MAX_TWAP_WINDOW);
/// Bounds on the oracle's maximum age in seconds (parameter 5): up to a day.
pub const MAX_ORACLE_AGE_RANGE: (u64, u64) = (1, 86_400);
/// Largest per-block cap (parameter 6; the smallest is 1): 2^128 − 1.
pub const MAX_PER_BLOCK_CAP: U256 = U256::from_limbs([u64::MAX, u64::MAX, 0, 0]);

/// The contract's Solidity interface.
pub mod abi {
    #[allow(unused_imports)]
    use alloc::{borrow::ToOwned, string::String, vec, vec::Vec};

    alloy_sol_types::sol! {
        #![sol(abi)]

        /// The FlashContainment: per-pool L2-block observations, TWAP
        /// deviation, the N-block sustain rule and the per-block
        /// stabilization cap. Roles and pause follow OpenZeppelin's
        /// `AccessControl` and `Pausable` ABI. (Parameter names and unnamed
        /// returns as the committed `abi/FlashContainment.sol` has them.)
        interface IFlashContainment {
            /// A pool was registered with its oracle and parameters.
            event PoolRegistered(address indexed pool, address indexed oracle, uint64 baseDecimals, uint64 quoteDecimals, uint64 thresholdBps, uint64 sustainBlocks, uint64 twapWindow, uint64 maxOracleAge, uint256 perBlockCap);
            /// The first poke of L2 block `blockNumber` recorded the pool's deviation
            /// (`midPrice` against `oraclePrice`); `sign` is its side when past the
            /// threshold (0: in band), and `streak` how many of the last `2N − 1`
            /// L2 blocks were observed past it, this one included.
            event Observed(address indexed pool, uint64 indexed blockNumber, int32 deviationBps, int8 sign, uint64 streak, uint256 midPrice, uint256 oraclePrice);
            /// An observation past the threshold that does not (yet) count as
            /// sustained: fewer than `N` of the last `2N − 1` blocks (`streak`) were
            /// past it. A one-block move shows up here with `streak` 1, and nothing
            /// triggers from it.
            event SpikeIgnored(address indexed pool, uint64 indexed blockNumber, int32 deviationBps, uint64 streak);
            /// The deviation became sustained: this block's observation, past the
            /// threshold with sign `sign`, is the `N`-th of the last `2N − 1` blocks.
            event DeviationSustained(address indexed pool, uint64 indexed blockNumber, int8 sign, uint64 streak);
            /// `stabilizer` is now the only account that may spend the pool's cap.
            event StabilizerBound(address indexed pool, address indexed stabilizer);
            /// The Stabilizer spent `amount` of this block's cap; `remaining` is left.
            event VolumeConsumed(address indexed pool, address indexed stabilizer, uint64 blockNumber, uint256 amount, uint256 remaining);
            /// `account` was granted `role` by `sender`.
            event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
            /// `account` lost `role`; `sender` revoked it (or is `account`, renouncing).
            event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);
            /// The contract was paused by `account`.
            event Paused(address account);
            /// The contract was unpaused by `account`.
            event Unpaused(address account);

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
                /// Side of the newest live observation past the threshold (0: none).
                int8 sign;
                /// Blocks of the last `2N − 1` observed past the threshold.
                uint64 streak;
                /// Whether the sustain rule holds (`streak ≥ N`, newest observation live and past).
                bool sustained;
                /// What `checkDeviation` answers.
                bool shouldRebalance;
                /// Stabilization volume still allowed in this block.
                uint256 remainingVolume;
                /// Whether the contract is paused.
                bool paused;
            }

            /// The caller `account` lacks `neededRole`.
            error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
            /// `renounceRole` was not called by the account itself.
            error AccessControlBadConfirmation();
            /// The contract is paused.
            error EnforcedPause();
            /// The contract is not paused.
            error ExpectedPause();
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
            /// `caller` may not spend the pool's cap: it is bound to `bound`.
            #[derive(Debug, PartialEq, Eq)]
            error WrongStabilizer(address pool, address caller, address bound);
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
            /// before this block's timestamp, or after it.
            #[derive(Debug, PartialEq, Eq)]
            error StaleOracle(address oracle, uint256 updatedAt, uint64 maxAge);
            /// `ArbSys(0x64).arbBlockNumber()` did not answer.
            #[derive(Debug, PartialEq, Eq)]
            error ClockUnavailable();
            /// A price does not fit 256 bits once scaled by the token decimals.
            #[derive(Debug, PartialEq, Eq)]
            error ArithmeticOverflow();

            function STABILIZER_ROLE() external view returns (bytes32);
            function GUARDIAN_ROLE() external view returns (bytes32);
            function POKER_ROLE() external view returns (bytes32);
            function registerPool(address pool, address oracle, uint64 base_decimals, uint64 quote_decimals, uint64 threshold_bps, uint64 sustain_blocks, uint64 twap_window, uint64 max_oracle_age, uint256 per_block_cap) external;
            function poke(address pool) external returns (bool);
            function consumeVolume(address pool, uint256 amount) external;
            function bindStabilizer(address pool, address stabilizer) external;
            function stabilizerOf(address pool) external view returns (address);
            function twapDeviation(address pool) external view returns (int256);
            function sustained(address pool) external view returns (bool, int8, uint64);
            function remainingVolume(address pool) external view returns (uint256);
            function checkDeviation(address pool) external view returns (int256, bool);
            function poolStatus(address pool) external view returns (PoolStatus memory);
            function poolConfig(address pool) external view returns (address, uint64, uint64, uint64, uint64, uint64, uint64, uint256);
            function pause() external;
            function unpause() external;
            function paused() external view returns (bool);
            function hasRole(bytes32 role, address account) external view returns (bool);
            function grantRole(bytes32 role, address account) external;
            function revokeRole(bytes32 role, address account) external;
            function renounceRole(bytes32 role, address confirmation) external;
        }
    }
}

/// A refused call: the ABI encoding of one of the interface's errors, which
/// becomes the revert data. (An enum of the error structs would be moved
/// through every `?` and bring one encoder per error: KBs of wasm.) The
/// tests compare every refusal byte for byte with the `sol!` type's own
/// `abi_encode`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Vec<u8>);

impl Error {
    /// `selector ‖ words`, the words in the order of the error's declaration.
    fn new(selector: [u8; 4], words: &[Word]) -> Self {
        Revert::new(selector, words).into()
    }

    /// An error whose one argument is an address (a pool or an oracle).
    fn of(selector: [u8; 4], address: &Address) -> Self {
        Self::new(selector, &[Word::Address(address)])
    }

    /// The revert data.
    pub fn data(&self) -> &[u8] {
        &self.0
    }
}

impl From<Error> for Vec<u8> {
    fn from(error: Error) -> Self {
        error.0
    }
}

/// The refusals of [`Roles`] (`AccessControlUnauthorizedAccount`,
/// `AccessControlBadConfirmation`, `EnforcedPause`, `ExpectedPause`).
impl From<Revert> for Error {
    fn from(revert: Revert) -> Self {
        Self(revert.into())
    }
}

impl From<MathError> for Error {
    fn from(_: MathError) -> Self {
        Self::new(ArithmeticOverflow::SELECTOR, &[])
    }
}

/// One registered pool: four packed storage words. The registration
/// (oracle, decimals, `θ`, `N`, `W`, oracle max age: [`PoolConfig`]); the
/// tracker, everything a recording poke changes (past-threshold history,
/// observation count, newest observation, the TWAP's epoch sums:
/// [`Tracker`]); the volume (cap, volume used: [`Volume`]); and the binding
/// (the bound Stabilizer and the block of the last `consumeVolume`:
/// [`Binding`]).
#[storage]
pub struct PoolState {
    config: StorageU256,
    tracker: StorageU256,
    volume: StorageU256,
    binding: StorageU256,
}

/// FlashContainment storage. `access` has the layout the earlier `Access`
/// type had (members, then the pause flag).
#[entrypoint]
#[storage]
pub struct FlashContainment {
    access: Roles,
    pools: StorageMap<Address, PoolState>,
}

/// `(oracle, baseDecimals, quoteDecimals, thresholdBps, sustainBlocks,
/// twapWindow, maxOracleAge, perBlockCap)`, as registered.
pub type ConfigTuple = (Address, u64, u64, u64, u64, u64, u64, U256);

/// The FlashContainment's own interface (the Solidity functions of
/// [`abi::IFlashContainment`], in Rust).
pub trait IFlashContainment {
    /// The Stabilizer role identifier, `STABILIZER_ROLE()`.
    fn stabilizer_role(&self) -> B256;

    /// The guardian role identifier, `GUARDIAN_ROLE()`.
    fn guardian_role(&self) -> B256;

    /// The keepers' role identifier, `POKER_ROLE()`.
    fn poker_role(&self) -> B256;

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
    /// outside this contract but the clock and changes nothing. Only
    /// keepers (`POKER_ROLE`) and the Stabilizer may call it. Its work is bounded and does not grow with history: the
    /// clock, two static calls (pool, oracle), four storage reads (role,
    /// pause flag, configuration, tracker), one storage write (the
    /// tracker) and at most two events.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount(caller, POKER_ROLE)` unless the
    /// caller holds `POKER_ROLE` or `STABILIZER_ROLE`; `EnforcedPause`;
    /// `UnknownPool`; `ClockUnavailable`; on a first poke
    /// only: `PoolCallFailed`, `OracleCallFailed`, `ZeroOraclePrice`,
    /// `StaleOracle`, `ArithmeticOverflow` (also for an L2 block at or
    /// past [`BLOCK_LIMIT`]).
    ///
    /// # Events
    /// `Observed` when recorded; also `SpikeIgnored` when past the
    /// threshold with fewer than `N` of the last `2N − 1` blocks past it, or
    /// `DeviationSustained` when this block makes it `N`.
    fn poke(&mut self, pool: Address) -> Result<bool, Error>;

    /// Spends `amount` of `pool`'s stabilization cap for this L2 block.
    /// Only the pool's bound Stabilizer may; a pool nobody was bound to is
    /// bound to its first spender (deployments bind explicitly with
    /// `bindStabilizer`).
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless the caller holds the
    /// Stabilizer role; `EnforcedPause`; `UnknownPool`; `WrongStabilizer`
    /// when the pool is bound to another account; `ZeroAmount`;
    /// `ClockUnavailable`; `VolumeCapExceeded` above this block's remaining
    /// volume.
    ///
    /// # Events
    /// `VolumeConsumed`; `StabilizerBound` on a first spend.
    fn consume_volume(&mut self, pool: Address, amount: U256) -> Result<(), Error>;

    /// Binds `pool`'s cap to `stabilizer` (admin): a Stabilizer serves one
    /// pool and must not spend another's cap.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless admin; `UnknownPool`;
    /// `ZeroAddress`.
    ///
    /// # Events
    /// `StabilizerBound`.
    fn bind_stabilizer(&mut self, pool: Address, stabilizer: Address) -> Result<(), Error>;

    /// The Stabilizer bound to `pool` (zero: none yet).
    ///
    /// # Errors
    /// `UnknownPool`.
    fn stabilizer_of(&self, pool: Address) -> Result<Address, Error>;

    /// The TWAP deviation over the pool's epoch window (the previous
    /// epoch of `W` blocks and the current one), in bps.
    ///
    /// # Errors
    /// `UnknownPool`; `ClockUnavailable`; `InsufficientHistory` until the
    /// observations cover the window.
    fn twap_deviation(&self, pool: Address) -> Result<I256, Error>;

    /// The sustain rule now: `(holds, sign, count)`, `count` the blocks of
    /// the last `2N − 1` observed past `θ`, `sign` the side of the newest
    /// live observation past it (0: none), `holds` when `count ≥ N` and
    /// `sign ≠ 0`.
    ///
    /// # Errors
    /// `UnknownPool`; `ClockUnavailable`.
    fn sustained(&self, pool: Address) -> Result<(bool, i8, u64), Error>;

    /// The stabilization volume still allowed in this L2 block.
    ///
    /// # Errors
    /// `UnknownPool`; `ClockUnavailable`.
    fn remaining_volume(&self, pool: Address) -> Result<U256, Error>;

    /// App. A's `checkDeviation` for one pool: the deviation to act on, in
    /// bps (the newest observation when it is from this L2 block or the one
    /// before, else 0), and whether to rebalance (not paused, the sustain
    /// rule holds).
    ///
    /// # Errors
    /// `UnknownPool`; `ClockUnavailable`.
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
    /// Every function of [`abi::IFlashContainment`] and the constructor:
    /// decodes the arguments, calls the [`IFlashContainment`] method and
    /// encodes its return. An unknown selector or malformed arguments
    /// revert with no data, as the SDK's router does; value sent to it is
    /// refused by the SDK first.
    ///
    /// # Errors
    /// The method's revert data.
    #[fallback]
    pub fn route_call(&mut self, calldata: &[u8]) -> ArbResult {
        dispatch(self, calldata).map_err(|error| error.map_or_else(Vec::new, Vec::from))
    }
}

impl IFlashContainment for FlashContainment {
    fn stabilizer_role(&self) -> B256 {
        STABILIZER_ROLE
    }

    fn guardian_role(&self) -> B256 {
        GUARDIAN_ROLE
    }

    fn poker_role(&self) -> B256 {
        POKER_ROLE
    }

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
            return Err(Error::new(ZeroAddress::SELECTOR, &[]));
        }
        if !self.pools.getter(pool).config.get().is_zero() {
            return Err(Error::of(PoolAlreadyRegistered::SELECTOR, &pool));
        }
        let ranges = [
            DECIMALS_RANGE,
            DECIMALS_RANGE,
            THRESHOLD_BPS_RANGE,
            SUSTAIN_BLOCKS_RANGE,
            TWAP_WINDOW_RANGE,
            MAX_ORACLE_AGE_RANGE,
        ];
        let values =
            [base_decimals, quote_decimals, threshold_bps, sustain_blocks, twap_window, max_oracle_age];
        for (parameter, (value, (min, max))) in (0u8..).zip(values.into_iter().zip(ranges)) {
            if !(min..=max).contains(&value) {
                return Err(out_of_range(parameter, &U256::from(value), &U256::from(min), &U256::from(max)));
            }
        }
        if per_block_cap.is_zero() || per_block_cap > MAX_PER_BLOCK_CAP {
            return Err(out_of_range(6, &per_block_cap, &U256::from(1u8), &MAX_PER_BLOCK_CAP));
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
        // Nothing observed: the empty tracker's word is nonzero (its sums
        // are `None`), so the first poke updates a word rather than create
        // one (2,900 gas instead of 22,100; registration pays the 22,100).
        // The binding starts as zero: nobody bound.
        let mut state = self.pools.setter(pool);
        state.config.set(config.pack());
        state.volume.set(Volume { cap: per_block_cap, used: U256::ZERO }.pack());
        state.tracker.set(Tracker::default().pack()?);
        vault_words::emit(
            self.vm(),
            3,
            &[
                Word::Hash(&PoolRegistered::SIGNATURE_HASH),
                Word::Address(&pool),
                Word::Address(&oracle),
                Word::Small(&base_decimals),
                Word::Small(&quote_decimals),
                Word::Small(&threshold_bps),
                Word::Small(&sustain_blocks),
                Word::Small(&twap_window),
                Word::Small(&max_oracle_age),
                Word::Uint(&per_block_cap),
            ],
        );
        Ok(())
    }

    fn poke(&mut self, pool: Address) -> Result<bool, Error> {
        self.access.only_any_role(POKER_ROLE, STABILIZER_ROLE)?;
        self.access.when_not_paused()?;
        let config = self.config_of(pool)?;
        let block = self.l2_block()?;
        let tracker = self.tracker_of(pool);
        // A repeat in the block: nothing read, nothing written.
        if tracker.latest.is_some_and(|(last, _)| last >= block) {
            return Ok(false);
        }
        let (mid_price, oracle_price) = self.prices(pool, &config)?;
        let deviation =
            pool_deviation_bps(mid_price, oracle_price, config.base_decimals, config.quote_decimals)?;
        let threshold = u32::from(config.threshold_bps);
        let sustain = tracker.sustain(threshold).observe(block, deviation, threshold);
        let sums = tracker.sums.record(tracker.latest, block, deviation, u64::from(config.twap_window))?;
        let next = Tracker {
            history: sustain.history,
            // `observations` saturates (2^32 − 1 is 34 years of every L2 block).
            count: tracker.count.saturating_add(1),
            latest: Some((block, deviation)),
            sums,
        };
        self.pools.setter(pool).tracker.set(next.pack()?);
        self.emit_observation(pool, block, deviation, sustain, (mid_price, oracle_price), config);
        Ok(true)
    }

    fn consume_volume(&mut self, pool: Address, amount: U256) -> Result<(), Error> {
        self.access.only_role(STABILIZER_ROLE)?;
        self.access.when_not_paused()?;
        self.registered(pool)?;
        let caller = self.vm().msg_sender();
        let bound = Binding::unpack(self.pools.getter(pool).binding.get()).stabilizer;
        if !bound.is_zero() && bound != caller {
            let words = [Word::Address(&pool), Word::Address(&caller), Word::Address(&bound)];
            return Err(Error::new(WrongStabilizer::SELECTOR, &words));
        }
        if amount.is_zero() {
            return Err(Error::new(ZeroAmount::SELECTOR, &[]));
        }
        let block = self.l2_block()?;
        let volume = self.volume_of(pool, block);
        let remaining = volume.remaining();
        if amount > remaining {
            let words = [Word::Address(&pool), Word::Uint(&amount), Word::Uint(&remaining)];
            return Err(Error::new(VolumeCapExceeded::SELECTOR, &words));
        }
        // used + amount ≤ cap < 2^128: no overflow.
        let next = Volume { used: volume.used + amount, ..volume };
        let mut state = self.pools.setter(pool);
        state.volume.set(next.pack());
        // The caller is the bound Stabilizer now, if it was not before.
        state.binding.set(Binding { stabilizer: caller, volume_block: block }.pack());
        if bound.is_zero() {
            self.emit_bound(pool, caller);
        }
        let stabilizer = caller;
        vault_words::emit(
            self.vm(),
            3,
            &[
                Word::Hash(&VolumeConsumed::SIGNATURE_HASH),
                Word::Address(&pool),
                Word::Address(&stabilizer),
                Word::Small(&block),
                Word::Uint(&amount),
                Word::Uint(&next.remaining()),
            ],
        );
        Ok(())
    }

    fn bind_stabilizer(&mut self, pool: Address, stabilizer: Address) -> Result<(), Error> {
        self.access.only_role(ADMIN_ROLE)?;
        self.registered(pool)?;
        if stabilizer.is_zero() {
            return Err(Error::new(ZeroAddress::SELECTOR, &[]));
        }
        let binding = Binding::unpack(self.pools.getter(pool).binding.get());
        self.pools.setter(pool).binding.set(Binding { stabilizer, ..binding }.pack());
        self.emit_bound(pool, stabilizer);
        Ok(())
    }

    fn stabilizer_of(&self, pool: Address) -> Result<Address, Error> {
        self.registered(pool)?;
        Ok(Binding::unpack(self.pools.getter(pool).binding.get()).stabilizer)
    }

    fn twap_deviation(&self, pool: Address) -> Result<I256, Error> {
        let config = self.config_of(pool)?;
        let block = self.l2_block()?;
        let twap = self.tracker_of(pool).twap(block, config)?;
        twap.map(|twap| int(twap.into())).ok_or_else(|| Error::of(InsufficientHistory::SELECTOR, &pool))
    }

    fn sustained(&self, pool: Address) -> Result<(bool, i8, u64), Error> {
        let config = self.config_of(pool)?;
        let block = self.l2_block()?;
        let sustain = self.tracker_of(pool).sustain(config.threshold_bps.into());
        let n = u64::from(config.sustain_blocks);
        Ok((sustain.is_sustained_at(block, n), sustain.live_sign(block), sustain.count_at(block, n)))
    }

    fn remaining_volume(&self, pool: Address) -> Result<U256, Error> {
        self.registered(pool)?;
        let block = self.l2_block()?;
        Ok(self.volume_of(pool, block).remaining())
    }

    fn check_deviation(&self, pool: Address) -> Result<(I256, bool), Error> {
        let config = self.config_of(pool)?;
        let block = self.l2_block()?;
        let tracker = self.tracker_of(pool);
        let sustain = tracker.sustain(config.threshold_bps.into());
        let live = matches!(block.checked_sub(sustain.last_block), Some(0 | 1));
        let deviation = if live { tracker.latest.map_or(0, |(_, deviation)| deviation) } else { 0 };
        Ok((int(deviation.into()), self.should_rebalance(sustain, block, config)))
    }

    fn pool_status(&self, pool: Address) -> Result<PoolStatus, Error> {
        let config = self.config_of(pool)?;
        let block = self.l2_block()?;
        let tracker = self.tracker_of(pool);
        let twap = tracker.twap(block, config)?;
        let sustain = tracker.sustain(config.threshold_bps.into());
        let n = u64::from(config.sustain_blocks);
        let (last_block, last_deviation) = tracker.latest.unwrap_or_default();
        Ok(PoolStatus {
            blockNumber: block,
            observations: tracker.count.into(),
            lastBlock: last_block,
            lastDeviationBps: last_deviation,
            twapAvailable: twap.is_some(),
            twapDeviationBps: twap.unwrap_or(0),
            sign: sustain.live_sign(block),
            streak: sustain.count_at(block, n),
            sustained: sustain.is_sustained_at(block, n),
            shouldRebalance: self.should_rebalance(sustain, block, config),
            remainingVolume: self.volume_of(pool, block).remaining(),
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
}

/// `stylus_constructor()`'s selector: stylus-sdk 0.9 routes deployment's
/// constructor call to the fallback when the contract declares no
/// `#[constructor]`.
const CONSTRUCTOR: [u8; 4] = stylus_sdk::abi::CONSTRUCTOR_SELECTOR.to_be_bytes();

/// The functions the dispatcher knows, in [`FUNCTIONS`] order (a
/// function's discriminant is its row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Function {
    Constructor,
    StabilizerRole,
    GuardianRole,
    PokerRole,
    RegisterPool,
    Poke,
    ConsumeVolume,
    BindStabilizer,
    StabilizerOf,
    TwapDeviation,
    Sustained,
    RemainingVolume,
    CheckDeviation,
    PoolStatus,
    PoolConfig,
    Pause,
    Unpause,
    Paused,
    HasRole,
    GrantRole,
    RevokeRole,
    RenounceRole,
}

/// Each function's selector, its number of arguments, and which of them
/// are addresses and which `uint64` (bit `i` for argument `i`); every
/// argument is one static word.
const FUNCTIONS: [Entry<Function>; 22] = {
    use abi::IFlashContainment as I;
    use Function as F;
    [
        (CONSTRUCTOR, F::Constructor, 1, 0b1, 0),
        (I::STABILIZER_ROLECall::SELECTOR, F::StabilizerRole, 0, 0, 0),
        (I::GUARDIAN_ROLECall::SELECTOR, F::GuardianRole, 0, 0, 0),
        (I::POKER_ROLECall::SELECTOR, F::PokerRole, 0, 0, 0),
        (I::registerPoolCall::SELECTOR, F::RegisterPool, 9, 0b11, 0b1111_1100),
        (I::pokeCall::SELECTOR, F::Poke, 1, 0b1, 0),
        (I::consumeVolumeCall::SELECTOR, F::ConsumeVolume, 2, 0b1, 0),
        (I::bindStabilizerCall::SELECTOR, F::BindStabilizer, 2, 0b11, 0),
        (I::stabilizerOfCall::SELECTOR, F::StabilizerOf, 1, 0b1, 0),
        (I::twapDeviationCall::SELECTOR, F::TwapDeviation, 1, 0b1, 0),
        (I::sustainedCall::SELECTOR, F::Sustained, 1, 0b1, 0),
        (I::remainingVolumeCall::SELECTOR, F::RemainingVolume, 1, 0b1, 0),
        (I::checkDeviationCall::SELECTOR, F::CheckDeviation, 1, 0b1, 0),
        (I::poolStatusCall::SELECTOR, F::PoolStatus, 1, 0b1, 0),
        (I::poolConfigCall::SELECTOR, F::PoolConfig, 1, 0b1, 0),
        (I::pauseCall::SELECTOR, F::Pause, 0, 0, 0),
        (I::unpauseCall::SELECTOR, F::Unpause, 0, 0, 0),
        (I::pausedCall::SELECTOR, F::Paused, 0, 0, 0),
        (I::hasRoleCall::SELECTOR, F::HasRole, 2, 0b10, 0),
        (I::grantRoleCall::SELECTOR, F::GrantRole, 2, 0b10, 0),
        (I::revokeRoleCall::SELECTOR, F::RevokeRole, 2, 0b10, 0),
        (I::renounceRoleCall::SELECTOR, F::RenounceRole, 2, 0b10, 0),
    ]
};

/// Routes one call by its selector. `Err(None)` reverts with no data.
///
/// The arguments are checked as the SDK's decoder checked them
/// (`abi_decode_params` with validation): exactly the function's words,
/// addresses below 2^160 and `uint64`s below 2^64; anything else reverts
/// with no data.
fn dispatch(contract: &mut FlashContainment, calldata: &[u8]) -> Result<Vec<u8>, Option<Error>> {
    use Function as F;
    let (function, a) = lookup(&FUNCTIONS, calldata).ok_or(None)?;
    let pool = a.address(0);
    let done = |result: Result<(), Error>| result.map(|()| Vec::new()).map_err(Some);
    let flag = |value: bool| Ok(ret(&[Word::Small(&u64::from(value))]));
    match function {
        F::Constructor => {
            // The SDK's guard: the constructor runs once.
            contract.check_constructor_slot().map_err(|_| None)?;
            done(contract.constructor(pool))
        }
        F::StabilizerRole => Ok(ret(&[Word::Hash(&STABILIZER_ROLE)])),
        F::GuardianRole => Ok(ret(&[Word::Hash(&GUARDIAN_ROLE)])),
        F::PokerRole => Ok(ret(&[Word::Hash(&POKER_ROLE)])),
        F::RegisterPool => done(contract.register_pool(
            pool,
            a.address(1),
            a.small(2),
            a.small(3),
            a.small(4),
            a.small(5),
            a.small(6),
            a.small(7),
            a.uint(8),
        )),
        F::Poke => flag(contract.poke(pool)?),
        F::ConsumeVolume => done(contract.consume_volume(pool, a.uint(1))),
        F::BindStabilizer => done(contract.bind_stabilizer(pool, a.address(1))),
        F::StabilizerOf => Ok(ret(&[Word::Address(&contract.stabilizer_of(pool)?)])),
        F::TwapDeviation => Ok(ret(&[Word::Int(&contract.twap_deviation(pool)?)])),
        F::CheckDeviation => {
            let (twap, rebalance) = contract.check_deviation(pool)?;
            Ok(ret(&[Word::Int(&twap), Word::Small(&u64::from(rebalance))]))
        }
        F::Sustained => {
            let (holds, sign, streak) = contract.sustained(pool)?;
            Ok(ret(&[Word::Small(&u64::from(holds)), Word::Int(&int(sign.into())), Word::Small(&streak)]))
        }
        F::RemainingVolume => Ok(ret(&[Word::Uint(&contract.remaining_volume(pool)?)])),
        F::PoolStatus => {
            let s = contract.pool_status(pool)?;
            Ok(ret(&[
                Word::Small(&s.blockNumber),
                Word::Small(&s.observations),
                Word::Small(&s.lastBlock),
                Word::Int(&int(s.lastDeviationBps.into())),
                Word::Small(&u64::from(s.twapAvailable)),
                Word::Int(&int(s.twapDeviationBps.into())),
                Word::Int(&int(s.sign.into())),
                Word::Small(&s.streak),
                Word::Small(&u64::from(s.sustained)),
                Word::Small(&u64::from(s.shouldRebalance)),
                Word::Uint(&s.remainingVolume),
                Word::Small(&u64::from(s.paused)),
            ]))
        }
        F::PoolConfig => {
            let (oracle, base, quote, threshold, sustain, window, age, cap) = contract.pool_config(pool)?;
            Ok(ret(&[
                Word::Address(&oracle),
                Word::Small(&base),
                Word::Small(&quote),
                Word::Small(&threshold),
                Word::Small(&sustain),
                Word::Small(&window),
                Word::Small(&age),
                Word::Uint(&cap),
            ]))
        }
        F::Pause | F::Unpause => {
            done(contract.access.set_paused(function == F::Pause, GUARDIAN_ROLE).map_err(Into::into))
        }
        F::Paused => flag(contract.paused()),
        F::HasRole => flag(contract.has_role(a.hash(0), a.address(1))),
        F::GrantRole | F::RevokeRole => {
            let member = function == F::GrantRole;
            done(contract.access.admin_set_role(a.hash(0), a.address(1), member).map_err(Into::into))
        }
        F::RenounceRole => done(contract.renounce_role(a.hash(0), a.address(1))),
    }
}

impl FlashContainment {
    /// The constructor, `stylus_constructor(address admin)`: grants the
    /// admin role to `admin` (not to the deployer, which calls it). The
    /// dispatcher runs it once, behind the SDK's constructor guard.
    ///
    /// # Errors
    /// `ZeroAddress` when `admin` is zero.
    ///
    /// # Events
    /// `RoleGranted`.
    pub fn constructor(&mut self, admin: Address) -> Result<(), Error> {
        if admin.is_zero() {
            return Err(Error::new(ZeroAddress::SELECTOR, &[]));
        }
        self.access.set_role(ADMIN_ROLE, admin, true);
        Ok(())
    }

    /// Emits `StabilizerBound`.
    fn emit_bound(&self, pool: Address, stabilizer: Address) {
        let words =
            [Word::Hash(&StabilizerBound::SIGNATURE_HASH), Word::Address(&pool), Word::Address(&stabilizer)];
        vault_words::emit(self.vm(), 3, &words);
    }

    /// The pool's configuration, or `UnknownPool`.
    #[inline(never)]
    fn config_of(&self, pool: Address) -> Result<PoolConfig, Error> {
        let word = self.pools.getter(pool).config.get();
        if word.is_zero() {
            return Err(Error::of(UnknownPool::SELECTOR, &pool));
        }
        Ok(PoolConfig::unpack(word))
    }

    /// `UnknownPool` unless `pool` is registered, read from the volume word
    /// (a registered pool's cap is at least 1, so its word is nonzero):
    /// the calls about the cap read that word anyway.
    #[inline(never)]
    fn registered(&self, pool: Address) -> Result<(), Error> {
        if self.pools.getter(pool).volume.get().is_zero() {
            return Err(Error::of(UnknownPool::SELECTOR, &pool));
        }
        Ok(())
    }

    /// The L2 block number from `ArbSys` (never `block.number`, an L1
    /// estimate on Arbitrum).
    #[inline(never)]
    fn l2_block(&self) -> Result<u64, Error> {
        let number = self.read(ARB_SYS, ArbSys::arbBlockNumberCall::SELECTOR, 1);
        at(number.as_deref(), 0)
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| Error::new(ClockUnavailable::SELECTOR, &[]))
    }

    /// The tracker word: the sustain history, the newest observation and
    /// the TWAP's epoch sums.
    #[inline(never)]
    fn tracker_of(&self, pool: Address) -> Tracker {
        Tracker::unpack(self.pools.getter(pool).tracker.get())
    }

    /// The volume word as of `block` (`used` is zero when the last
    /// consumption was in an earlier block).
    #[inline(never)]
    fn volume_of(&self, pool: Address, block: u64) -> Volume {
        let state = self.pools.getter(pool);
        let mut volume = Volume::unpack(state.volume.get());
        if Binding::unpack(state.binding.get()).volume_block != block {
            volume.used = U256::ZERO;
        }
        volume
    }

    /// App. A's trigger: the sustain rule holds at `block`, and not paused.
    fn should_rebalance(&self, sustain: SustainTracker, block: u64, config: PoolConfig) -> bool {
        // The pause flag last: its slot is read only when it decides.
        sustain.is_sustained_at(block, u64::from(config.sustain_blocks)) && !self.access.paused()
    }

    /// The pool's mid price and the oracle's fresh, nonzero price.
    #[inline(never)]
    fn prices(&self, pool: Address, config: &PoolConfig) -> Result<(U256, U256), Error> {
        let mid = self.read(pool, IDODOPool::getMidPriceCall::SELECTOR, 1);
        let mid = at(mid.as_deref(), 0).ok_or_else(|| Error::of(PoolCallFailed::SELECTOR, &pool))?;
        let oracle = config.oracle;
        let answer = self.read(oracle, IPriceOracle::latestPriceCall::SELECTOR, 2);
        let (Some(price), Some(updated_at)) = (at(answer.as_deref(), 0), at(answer.as_deref(), 1)) else {
            return Err(Error::of(OracleCallFailed::SELECTOR, &oracle));
        };
        if price.is_zero() {
            return Err(Error::of(ZeroOraclePrice::SELECTOR, &oracle));
        }
        // A timestamp ahead of this block is refused like a stale one: it
        // would otherwise count as fresh for as long as it stays ahead.
        let now = U256::from(self.vm().block_timestamp());
        let max_age = u64::from(config.max_oracle_age);
        if updated_at > now || now - updated_at > U256::from(max_age) {
            let words = [Word::Address(&oracle), Word::Uint(&updated_at), Word::Small(&max_age)];
            return Err(Error::new(StaleOracle::SELECTOR, &words));
        }
        Ok((mid, price))
    }

    /// Static-calls `selector()` on `to`: the return data when the call
    /// succeeds and answers exactly `words` words (as the typed decoder
    /// with validation required), else `None`.
    #[inline(never)]
    fn read(&self, to: Address, selector: [u8; 4], words: usize) -> Option<Vec<u8>> {
        let data = self.vm().static_call(&Call::new(), to, &encode(selector, &[])).ok()?;
        (data.len() == 32 * words).then_some(data)
    }

    /// `Observed`, then `SpikeIgnored` or `DeviationSustained` as the sustain rule says.
    #[inline(never)]
    fn emit_observation(
        &self,
        pool: Address,
        block: u64,
        deviation: Bps,
        sustain: SustainTracker,
        (mid_price, oracle_price): (U256, U256),
        config: PoolConfig,
    ) {
        let n = u64::from(config.sustain_blocks);
        let count = sustain.count_at(block, n);
        let (pool, block) = (Word::Address(&pool), Word::Small(&block));
        let deviation = int(deviation.into());
        let sign = int(sustain.sign.into());
        vault_words::emit(
            self.vm(),
            3,
            &[
                Word::Hash(&Observed::SIGNATURE_HASH),
                pool,
                block,
                Word::Int(&deviation),
                Word::Int(&sign),
                Word::Small(&count),
                Word::Uint(&mid_price),
                Word::Uint(&oracle_price),
            ],
        );
        if sustain.sign == 0 {
            return;
        }
        if count == n {
            let words = [
                Word::Hash(&DeviationSustained::SIGNATURE_HASH),
                pool,
                block,
                Word::Int(&sign),
                Word::Small(&n),
            ];
            vault_words::emit(self.vm(), 3, &words);
        } else if count < n {
            let words = [
                Word::Hash(&SpikeIgnored::SIGNATURE_HASH),
                pool,
                block,
                Word::Int(&deviation),
                Word::Small(&count),
            ];
            vault_words::emit(self.vm(), 3, &words);
        }
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

/// Everything a recording poke reads and writes, in one word (limbs least
/// significant first): `[history, count | deviation << 32, block | previous
/// << 40 | current << 84]`, the last spanning limbs 2 and 3 as one 128-bit
/// field. `history` is [`SustainTracker::history`] (64 bits); `count` the
/// observations recorded (32 bits, saturating); `block` and `deviation`
/// the newest observation's (40 bits, below [`BLOCK_LIMIT`], and the
/// deviation's 32-bit two's complement; `count == 0`: none yet); `previous`
/// and `current` the TWAP's [`EpochSums`], 44-bit two's complement each,
/// `−2^43` for `None` (a sum of fewer than `W + 1 ≤ 4,097` deviations lies
/// in `(−2^26, 2^43)`, so it never takes that value). The sign to correct
/// is not stored: it is the newest deviation's when that is past `θ`.
#[derive(Clone, Copy, Default)]
struct Tracker {
    history: u64,
    count: u32,
    latest: Option<(u64, Bps)>,
    sums: EpochSums,
}

/// One epoch sum's 44 bits.
const SUM_MASK: u64 = (1 << 44) - 1;
/// The 44-bit pattern of `None`, `−2^43`.
const SUM_NONE: u64 = 1 << 43;

impl Tracker {
    fn pack(self) -> Result<U256, Error> {
        let (block, deviation) = self.latest.unwrap_or_default();
        if block >= BLOCK_LIMIT {
            return Err(MathError::Overflow.into());
        }
        let sum = |sum: Option<i64>| match sum {
            None => Ok(SUM_NONE),
            Some(value) if value.unsigned_abs() < SUM_NONE => Ok(value.cast_unsigned() & SUM_MASK),
            Some(_) => Err(Error::from(MathError::Overflow)),
        };
        let high = u128::from(block)
            | u128::from(sum(self.sums.previous)?) << 40
            | u128::from(sum(self.sums.current)?) << 84;
        let middle = u64::from(self.count) | u64::from(deviation.cast_unsigned()) << 32;
        // The two halves of the 128-bit field.
        #[allow(clippy::cast_possible_truncation)]
        Ok(U256::from_limbs([self.history, middle, high as u64, (high >> 64) as u64]))
    }

    fn unpack(word: U256) -> Self {
        let [history, middle, low, high] = word.into_limbs();
        let field = u128::from(high) << 64 | u128::from(low);
        let sum = |raw: u128| {
            // Each field is 44 bits: the truncation is exact.
            #[allow(clippy::cast_possible_truncation)]
            let raw = raw as u64 & SUM_MASK;
            // Sign-extends the 44-bit two's complement.
            (raw != SUM_NONE).then_some((raw << 20).cast_signed() >> 20)
        };
        // `count` and the deviation were stored from 32 bits, the block
        // from 40: the truncations are exact.
        #[allow(clippy::cast_possible_truncation)]
        let (count, deviation, block) = (middle as u32, ((middle >> 32) as u32).cast_signed(), field as u64);
        Self {
            history,
            count,
            latest: (count > 0).then_some((block & (BLOCK_LIMIT - 1), deviation)),
            sums: EpochSums { previous: sum(field >> 40), current: sum(field >> 84) },
        }
    }

    /// The math crate's tracker: the newest observation's block, and its
    /// sign when its deviation is past `threshold`.
    fn sustain(self, threshold: u32) -> SustainTracker {
        let (last_block, deviation) = self.latest.unwrap_or_default();
        let sign = if deviation.unsigned_abs() > threshold { deviation.signum() } else { 0 };
        // The sign of an i32 is −1, 0 or 1.
        #[allow(clippy::cast_possible_truncation)]
        SustainTracker { sign: sign as i8, history: self.history, last_block }
    }

    /// The epoch-window TWAP at `block`; `None` without the history.
    fn twap(self, block: u64, config: PoolConfig) -> Result<Option<Bps>, Error> {
        Ok(self.sums.twap(self.latest, block, u64::from(config.twap_window))?)
    }
}

/// The Stabilizer bound to the pool (low 160 bits; zero: the first to
/// spend) and the block of its last `consumeVolume` (the 64 bits above).
#[derive(Clone, Copy)]
struct Binding {
    stabilizer: Address,
    volume_block: u64,
}

impl Binding {
    fn pack(self) -> U256 {
        let mut bytes = [0u8; 32];
        bytes[4..12].copy_from_slice(&self.volume_block.to_be_bytes());
        bytes[12..].copy_from_slice(self.stabilizer.as_slice());
        U256::from_be_bytes(bytes)
    }

    fn unpack(word: U256) -> Self {
        let b: [u8; 32] = word.to_be_bytes();
        let mut block = [0u8; 8];
        block.copy_from_slice(&b[4..12]);
        Self { stabilizer: Address::from_slice(&b[12..]), volume_block: u64::from_be_bytes(block) }
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

/// A small signed integer (`int8`, `int32`, a TWAP in bps) as `int256`,
/// sign-extended.
fn int(value: i64) -> I256 {
    let extension = if value < 0 { u64::MAX } else { 0 };
    I256::from_raw(U256::from_limbs([value.cast_unsigned(), extension, extension, extension]))
}

/// `ParameterOutOfRange(parameter, value, min, max)`.
#[inline(never)]
fn out_of_range(parameter: u8, value: &U256, min: &U256, max: &U256) -> Error {
    let parameter = u64::from(parameter);
    let words = [Word::Small(&parameter), Word::Uint(value), Word::Uint(min), Word::Uint(max)];
    Error::new(ParameterOutOfRange::SELECTOR, &words)
}

/// Aborts on panic: no message formatting code is linked into the wasm.
#[cfg(all(target_arch = "wasm32", not(any(test, feature = "export-abi"))))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(test)]
mod tests;
