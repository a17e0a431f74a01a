//! Stabilizer (§10, §12, App. A): corrects a sustained, real deviation of
//! **one** public DODO pool with private-mesh liquidity, within hard limits.
//!
//! App. A's interface has no pool argument, so one Stabilizer instance
//! serves exactly one public pool (set with `setContracts`); deploy one per
//! pool.
//!
//! # Sources of truth
//!
//! * **FlashContainment** owns `θ`, `N`, the TWAP window and the per-block
//!   cap (its registration of the pool, which is write-once). The
//!   Stabilizer reads them live (`checkDeviation`, `sustained`,
//!   `remainingVolume`) and spends the cap with `consumeVolume`; it keeps no
//!   copy. At configuration it reads the registration once to check that it
//!   names the same oracle (`OracleMismatch`) and to take the tokens'
//!   decimals (immutable there).
//! * The Stabilizer owns `MIN_BLOCKS`, `k`, `maxSlippageBps`,
//!   `maxGasPrice`, the oracle's maximum age for trading, the peg managers
//!   and the kill switches.
//!
//! # Trade flow (`executePrivateSwap`)
//!
//! The Stabilizer holds a working float of both pool tokens. A correcting
//! trade sells `tradeSize` of `tokenIn` from the float into the public pool
//! (DODO settlement: transfer, then `sellBase`/`sellQuote` to itself), then
//! sells the `tokenOut` it received to the PrivateMeshPool for `tokenIn`
//! (`swap`, triangulated through XAU), which refills the float. The mesh
//! ends holding the inventory the public pool shed. It must pay at least
//! the oracle value of the `tokenOut` it received, in `tokenIn`, less
//! `maxSlippageBps`, rounded up (the mesh's `minAmountOut`; see
//! *Sandwiches*). Before anything moves, the per-block cap is spent
//! (`consumeVolume`) and the execution block recorded.
//!
//! # Guards (each a named error; nothing changes when one refuses)
//!
//! Keeper role; pause; congestion guard (`tx.gasprice`, which is the
//! basefee on Arbitrum: this is not MEV protection); the token pair;
//! per-direction kill switch; `MIN_BLOCKS` in L2 blocks (ArbSys);
//! FlashContainment's sustained trigger (`SingleBlockSpike` when only one
//! block is past `θ`); direction (`correcting_direction` of
//! FlashContainment's answer, the newest keeper observation, and the pool's
//! spot mid price still holding that observation: on its side of the peg
//! and at most 1 bps closer to it, see *Sandwiches*); fresh oracle (at
//! most `maxOracleAge` old and not stamped after the block: a future
//! `updatedAt` is `StaleOracle`, never "age 0"); peg
//! managers (`TokenOffPeg`, `PegManagerDisagrees`); `tradeSize ≤
//! min(k·|dev|, remaining cap)` in base units; the ReserveSizer's
//! `canRelease(tokenIn, size)` (the mesh releases `tokenIn` to refill the
//! float); the float. After the public leg, which the whole transaction
//! reverts with: its output against the oracle less `maxSlippageBps`
//! (`SlippageExceeded`), then the pool's own mid price, which must not
//! pass the peg (`PegOvershoot`) nor move away from it (`WrongDirection`).
//! After the mesh leg: the ReserveSizer's `recordRelease(tokenIn,
//! returned)`, which records what the mesh actually released (it can be
//! more than `tradeSize`) and refuses it when the reserve is then below its
//! requirement (`ReserveReleaseRefused(tokenIn, returned)`). The Stabilizer
//! holds the ReserveSizer's reporter role for it. A stabilizing release is
//! matched by the mesh's inflow of `tokenOut`, so it does not count toward
//! the peak outflow `P` (the ReserveSizer's crate documentation explains
//! why).
//!
//! # Sandwiches (issue 12, findings 2 and 3; decision)
//!
//! * **Public leg, both forms.** A correction's first part done by a
//!   front-run is what a sandwich sells back to the Stabilizer. So the
//!   pool's spot `mid` must still hold FlashContainment's newest keeper
//!   observation `dev` (from this or the previous L2 block; only keepers
//!   and the Stabilizer record one, so no outsider chooses it): selling
//!   base needs `mid > ⌈peg·(10,000 + dev − 1)/10,000⌉`, selling quote
//!   `mid < ⌈peg·(10,000 + dev + 1)/10,000⌉` (`vault_math::stabilizer::
//!   spot_holds`; `WrongDirection` otherwise, before anything moves). An
//!   undisturbed pool always holds its observation (the 1 bps covers the
//!   observation's truncation and the peg's rounding, property-tested); a
//!   move toward the peg of more than 1 bps plus that truncation (under 2
//!   bps) refuses the trade, a move away only improves it. This bounds
//!   App. A's three-argument form, which has no `minAmountOut`, on chain.
//!   It applies to both forms, and so to `keeperTrade`: one check in the
//!   shared `plan` costs less code than a form-specific one, and the
//!   bounded form then refuses a front-run before anything moves too. The
//!   price: a trade needs an observation taken after the last move toward
//!   the peg, its own included, so the keeper pokes in the block it trades
//!   in (the observation before its previous trade no longer holds), and
//!   an oracle update between the poke and the trade that shrinks the
//!   deviation by more than that margin refuses it until the next poke.
//!   What is left: a front-run inside the margin still pays a little on the
//!   three-argument form (measured on the tests' 25,000 trade: up to +4.18
//!   cUSDT for 850 of front-run, refused from 900); the four-argument form
//!   with the pool's exact quote refuses any front-run.
//! * **Mesh leg.** The mesh's legs through an external DODO DPP backend are
//!   outside its ramp and gap guards, anyone trades a DPP and its owner can
//!   reset its price. The mesh's `minAmountOut` is therefore the oracle
//!   value of what the public leg actually paid, less `maxSlippageBps`
//!   (`stab::min_out` of `received` the other way, at the rounded-down
//!   peg; it used to be `tradeSize·(1 − maxSlippageBps)`, which a
//!   correcting trade's output clears by the correction's edge). A DPP
//!   priced off the oracle by more than `maxSlippageBps` less the legs' own
//!   costs fails the trade (`MeshSwapFailed(BelowMinAmountOut)`), and a
//!   sandwich of the DPP leg can take at most what is left of that bound.
//!
//! # Size decisions
//!
//! The overshoot rule is checked on the pool's real mid price after its
//! leg (`getMidPrice`), not by replaying DODO's PMM formulas before it:
//! the replay (`vault_math::sizing::check_no_overshoot`) cost about 35 KB of
//! raw wasm. For the same reason the keeper view returns the cap (`k·|dev|`,
//! the per-block cap, the float), and the keeper searches below it for the
//! peg-reaching size off chain on the pool's `getPMMStateForCall`: with
//! DODO V2's own arithmetic for a real DODO pool
//! (`vault_math::sizing::dodo::max_correcting_base_in` /
//! `max_correcting_quote_in`), with the exact curve for a pool that prices
//! exactly (`vault_math::sizing::max_correcting_*_in`). Errors,
//! events and external calls are encoded by hand (selector ‖ words, with
//! the selectors from the generated bindings), through one encoder.
//!
//! # Peg managers (decision)
//!
//! Optional in the contract, required by the deployment: `scripts/deploy`
//! refuses a Stabilizer without a `setPegManagers` call that watches both
//! pool tokens, unless its entry opts out explicitly (`peg_managers =
//! "none"`), and the example network file sets them. The contract does not
//! refuse to trade without them: it cannot tell a token with a peg manager
//! from one without, and the check would cost code in a contract at its
//! size goal. Each pool token may be watched by the `StablecoinPegManager`
//! or the `CommodityPegManager`. The token sold into the public pool must be
//! within `maxPegDeviationBps` of its own peg and `isPegged` (a depegged
//! token is never sold). Their deviations `d_base`, `d_quote` also give a
//! second opinion: `d_base − d_quote` is the part of the pool's deviation
//! that the tokens' own pegs explain; only the rest is corrected, and it
//! must keep the pool deviation's sign (`PegManagerDisagrees` otherwise).
//! A manager can therefore shrink a correction, never enlarge it, and never
//! block one the tokens' pegs do not explain.
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
    storage::{StorageArray, StorageU256},
    stylus_core::calls::context::Call,
    ArbResult,
};
use vault_access::{Roles, ADMIN_ROLE};
use vault_bindings::{
    ArbSys, ICommodityPegManager, IDODOPool, IPriceOracle, IStablecoinPegManager, ARB_SYS, IERC20,
};
use vault_math::deviation::Bps;
use vault_math::sizing::{self, Direction};
use vault_math::stabilizer as stab;
use vault_words::{encode, lookup, ret, Entry, Revert, Word};

pub use abi::IStabilizer::{
    AccessControlBadConfirmation, AccessControlUnauthorizedAccount, ArithmeticOverflow, ClockUnavailable,
    CongestionGuard, ContractsSet, DeviationNotSustained, DirectionDisabled, DirectionSet, EnforcedPause,
    ExpectedPause, ExternalCallFailed, InsufficientFloat, MeshSwapFailed, OracleFailed, OracleMismatch,
    ParameterOutOfRange, ParametersSet, Paused, PegManagerDisagrees, PegManagersSet, PegOvershoot,
    ReserveReleaseRefused, RoleGranted, RoleRevoked, SingleBlockSpike, SlippageExceeded, Stabilized,
    StaleOracle, TokenOffPeg, TooEarly, TradeTooLarge, TransferFailed, UnknownTokenPair, Unpaused,
    WrongDirection, ZeroAddress, ZeroAmount,
};

/// Role of the keepers: the only callers of `executePrivateSwap`.
pub const KEEPER_ROLE: B256 =
    B256::new(stylus_sdk::keccak_const::Keccak256::new().update(b"KEEPER_ROLE").finalize());
/// Role of accounts that may pause and disable a direction.
pub const GUARDIAN_ROLE: B256 =
    B256::new(stylus_sdk::keccak_const::Keccak256::new().update(b"GUARDIAN_ROLE").finalize());

/// Bounds on `MIN_BLOCKS`, L2 blocks between executions (parameter 0).
/// At least 1: at most one execution per L2 block.
pub const MIN_BLOCKS_RANGE: (u64, u64) = (1, 10_000);
/// Bounds on `k`, base raw units traded per 100% deviation (parameter 1).
pub const K_RANGE: (U256, U256) =
    (U256::from_limbs([1, 0, 0, 0]), U256::from_limbs([u64::MAX, u64::MAX, 0, 0]));
/// Bounds on `maxSlippageBps` (parameter 2): 0.01% to 10%.
pub const MAX_SLIPPAGE_RANGE: (u64, u64) = (1, 1_000);
/// Bounds on `maxGasPrice` in wei (parameter 3).
pub const MAX_GAS_PRICE_RANGE: (U256, U256) =
    (U256::from_limbs([1, 0, 0, 0]), U256::from_limbs([u64::MAX, u64::MAX, 0, 0]));
/// Bounds on the oracle's maximum age in seconds (parameter 4).
pub const MAX_ORACLE_AGE_RANGE: (u64, u64) = (1, 86_400);
/// Bounds on `maxPegDeviationBps` (parameter 5).
pub const MAX_PEG_DEVIATION_RANGE: (u64, u64) = (1, 5_000);
/// Bounds on a token's peg-manager kind (parameters 6 and 7): 0 none,
/// 1 `StablecoinPegManager`, 2 `CommodityPegManager`.
pub const PEG_KIND_RANGE: (u64, u64) = (0, 2);

/// The project's own contracts, declared from their exported interfaces.
#[allow(missing_docs)]
pub mod own {
    alloy_sol_types::sol! {
        interface IFlashContainment {
            function checkDeviation(address pool) external view returns (int256, bool);
            function sustained(address pool) external view returns (bool, int8, uint64);
            function remainingVolume(address pool) external view returns (uint256);
            function consumeVolume(address pool, uint256 amount) external;
            function poolConfig(address pool) external view returns (address, uint64, uint64, uint64, uint64, uint64, uint64, uint256);
        }
        interface IPrivateMeshPool {
            function swap(address tokenIn, address tokenOut, uint256 amountIn, uint256 minAmountOut, address to) external returns (uint256);
        }
        interface IReserveSizer {
            function canRelease(address asset, uint256 amount) external view returns (bool);
            function recordRelease(address asset, uint256 amount) external;
        }
    }
}
use own::{IFlashContainment, IPrivateMeshPool, IReserveSizer};

/// The Stabilizer's Solidity interface: the functions
/// [`Stabilizer::route_call`] routes, its events and its custom errors.
#[allow(missing_docs)]
pub mod abi {
    #[allow(unused_imports)]
    use alloc::{borrow::ToOwned, string::String, vec, vec::Vec};

    alloy_sol_types::sol! {
        #![sol(abi)]

        /// The Stabilizer (App. A), one instance per public pool. Roles and
        /// pause follow OpenZeppelin's `AccessControl` and `Pausable` ABI.
        interface IStabilizer {
            function KEEPER_ROLE() external view returns (bytes32);
            function GUARDIAN_ROLE() external view returns (bytes32);
            function checkDeviation() external view returns (int256 deviationBps, bool shouldRebalance);
            function keeperTrade() external view returns (uint256 tradeSize, address tokenIn, address tokenOut, uint256 minAmountOut);
            function executePrivateSwap(uint256 tradeSize, address tokenIn, address tokenOut) external;
            function executePrivateSwap(uint256 tradeSize, address tokenIn, address tokenOut, uint256 minAmountOut) external;
            function setContracts(address pool, address containment, address mesh, address reserveSizer, address oracle) external;
            function setParameters(uint64 minBlocks, uint256 k, uint64 maxSlippageBps, uint256 maxGasPrice, uint64 maxOracleAge) external;
            function setPegManagers(address stablecoinPegManager, address commodityPegManager, uint8 baseKind, uint8 quoteKind, uint64 maxPegDeviationBps) external;
            function setDirectionEnabled(address tokenIn, bool enabled) external;
            function contracts() external view returns (address[9] memory);
            function parameters() external view returns (uint256[11] memory);
            function pause() external;
            function unpause() external;
            function paused() external view returns (bool);
            function hasRole(bytes32 role, address account) external view returns (bool);
            function grantRole(bytes32 role, address account) external;
            function revokeRole(bytes32 role, address account) external;
            function renounceRole(bytes32 role, address confirmation) external;

            /// The pool and the contracts the Stabilizer uses were set.
            event ContractsSet(address indexed pool, address baseToken, address quoteToken, address containment, address mesh, address reserveSizer, address oracle);
            /// The trading parameters were set.
            event ParametersSet(uint64 minBlocks, uint256 k, uint64 maxSlippageBps, uint256 maxGasPrice, uint64 maxOracleAge);
            /// The peg managers were set (kinds: 0 none, 1 stablecoin, 2 commodity).
            event PegManagersSet(address stablecoinPegManager, address commodityPegManager, uint8 baseKind, uint8 quoteKind, uint64 maxPegDeviationBps);
            /// Selling `tokenIn` into the pool was enabled or disabled by `account`.
            event DirectionSet(address indexed tokenIn, bool enabled, address account);
            /// A correcting trade: `amountIn` of `tokenIn` sold into `pool` for
            /// `amountOut` of `tokenOut`, which the mesh bought back for
            /// `meshReturned` of `tokenIn`; `twapDeviationBps` is the trigger, then
            /// the oracle price and the pool's mid price before and after (quote per
            /// base, 1e18, raw units): the spot deviations follow off chain.
            event Stabilized(address indexed pool, address indexed tokenIn, address indexed tokenOut, uint256 amountIn, uint256 amountOut, uint256 meshReturned, int256 twapDeviationBps, uint256 oraclePrice, uint256 midPriceBefore, uint256 midPriceAfter, uint64 l2Block);

            /// A required address is zero.
            #[derive(Debug, PartialEq, Eq)]
            error ZeroAddress();
            /// A parameter is outside its range: 0 `minBlocks`, 1 `k`,
            /// 2 `maxSlippageBps`, 3 `maxGasPrice`, 4 `maxOracleAge`,
            /// 5 `maxPegDeviationBps`, 6 base peg kind, 7 quote peg kind.
            #[derive(Debug, PartialEq, Eq)]
            error ParameterOutOfRange(uint8 parameter, uint256 value, uint256 min, uint256 max);
            /// FlashContainment's registration of the pool names another oracle.
            #[derive(Debug, PartialEq, Eq)]
            error OracleMismatch(address oracle, address registered);
            /// A call to `target` reverted or answered malformed data.
            #[derive(Debug, PartialEq, Eq)]
            error ExternalCallFailed(address target);
            /// `tx.gasprice` (the basefee on Arbitrum) is above `maxGasPrice`: a
            /// congestion guard.
            #[derive(Debug, PartialEq, Eq)]
            error CongestionGuard(uint256 gasPrice, uint256 maxGasPrice);
            /// The tokens are not the pool's base and quote, one each.
            #[derive(Debug, PartialEq, Eq)]
            error UnknownTokenPair(address tokenIn, address tokenOut);
            /// Selling `tokenIn` is disabled (kill switch).
            #[derive(Debug, PartialEq, Eq)]
            error DirectionDisabled(address tokenIn);
            /// `tradeSize` is zero.
            #[derive(Debug, PartialEq, Eq)]
            error ZeroAmount();
            /// Fewer than `MIN_BLOCKS` L2 blocks since the last execution.
            #[derive(Debug, PartialEq, Eq)]
            error TooEarly(uint64 l2Block, uint64 nextAllowedBlock);
            /// The deviation is not sustained (FlashContainment's trigger is off).
            #[derive(Debug, PartialEq, Eq)]
            error DeviationNotSustained(int256 deviationBps, uint64 streak);
            /// Only a single observed block is past the threshold: a spike.
            #[derive(Debug, PartialEq, Eq)]
            error SingleBlockSpike(int256 deviationBps);
            /// Selling `tokenIn` would widen the deviation.
            #[derive(Debug, PartialEq, Eq)]
            error WrongDirection(int256 deviationBps, address tokenIn);
            /// The oracle reverted or answered a zero price.
            #[derive(Debug, PartialEq, Eq)]
            error OracleFailed(address oracle);
            /// The oracle's price is not fresh: older than `maxOracleAge`, or
            /// stamped after this block (`updatedAt` above `block.timestamp`).
            #[derive(Debug, PartialEq, Eq)]
            error StaleOracle(uint256 updatedAt, uint64 maxOracleAge);
            /// The token to sell is off its own peg by `deviationBps`.
            #[derive(Debug, PartialEq, Eq)]
            error TokenOffPeg(address token, int256 deviationBps);
            /// The peg managers explain or contradict the pool's deviation.
            #[derive(Debug, PartialEq, Eq)]
            error PegManagerDisagrees(int256 poolDeviationBps, int256 baseDeviationBps, int256 quoteDeviationBps);
            /// `tradeSize` is above `min(k·|dev|, remaining per-block cap)`.
            #[derive(Debug, PartialEq, Eq)]
            error TradeTooLarge(uint256 tradeSize, uint256 maxTradeSize);
            /// The trade would move the pool's price past the peg.
            #[derive(Debug, PartialEq, Eq)]
            error PegOvershoot(uint256 tradeSize);
            /// The ReserveSizer refuses the release of `amount` of `token`:
            /// `canRelease` before the trade (for `tradeSize`), or
            /// `recordRelease` after the mesh released `amount`.
            #[derive(Debug, PartialEq, Eq)]
            error ReserveReleaseRefused(address token, uint256 amount);
            /// The float holds `balance` of `token`, less than `needed`.
            #[derive(Debug, PartialEq, Eq)]
            error InsufficientFloat(address token, uint256 balance, uint256 needed);
            /// The public pool paid `amountOut`, below `minAmountOut` (the oracle
            /// value less `maxSlippageBps`).
            #[derive(Debug, PartialEq, Eq)]
            error SlippageExceeded(uint256 amountOut, uint256 minAmountOut);
            /// A token transfer or approval failed.
            #[derive(Debug, PartialEq, Eq)]
            error TransferFailed(address token);
            /// The mesh refused the settlement; `reason` is its revert data.
            #[derive(Debug, PartialEq, Eq)]
            error MeshSwapFailed(bytes reason);
            /// `ArbSys` did not answer the L2 block number.
            #[derive(Debug, PartialEq, Eq)]
            error ClockUnavailable();
            /// A formula overflowed or refused its input.
            #[derive(Debug, PartialEq, Eq)]
            error ArithmeticOverflow();

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
    }
}

/// A refused call: the ABI encoding of one of the custom errors declared
/// above (or of `vault_access`'s), which becomes the revert data.
///
/// It holds the encoded bytes rather than an enum of the error structs (an
/// enum with one generated encoder per error cost about 15 KB of wasm):
/// every refusal is built by [`Error::new`] from the error's `SELECTOR`
/// and its fields, in the order of its `sol!` declaration. The tests
/// decode every refusal with the `sol!` type's own decoder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Vec<u8>);

impl From<Error> for Vec<u8> {
    fn from(error: Error) -> Self {
        error.0
    }
}

impl From<Revert> for Error {
    fn from(revert: Revert) -> Self {
        Self(revert.into())
    }
}

impl From<vault_math::MathError> for Error {
    fn from(_: vault_math::MathError) -> Self {
        Self::new(ArithmeticOverflow::SELECTOR, &[])
    }
}

impl Error {
    /// `selector ‖ words`.
    #[inline(never)]
    fn new(selector: [u8; 4], words: &[Word]) -> Self {
        Self(encode(selector, words))
    }

    /// The revert data.
    pub fn data(&self) -> &[u8] {
        &self.0
    }
}

/// Stabilizer storage. Small values are packed above two addresses: see
/// [`Gate`] and [`Settings`].
#[entrypoint]
#[storage]
pub struct Stabilizer {
    access: Roles,
    /// The configuration and the packed state, one word each, indexed by
    /// [`POOL`] … [`LIMITS`] (one array: its slot arithmetic is linked once).
    words: StorageArray<StorageU256, WORDS>,
}

/// [`Stabilizer`]'s words: the public pool (with the [`Gate`]), its base
/// and quote tokens, FlashContainment (with the [`Settings`]),
/// PrivateMeshPool, ReserveSizer, the oracle, the two peg managers
/// (addresses); `k` and `maxGasPrice` (both below 2^128: one word, see
/// [`Stabilizer::limits`]).
const POOL: usize = 0;
const BASE: usize = 1;
const QUOTE: usize = 2;
const CONTAINMENT: usize = 3;
const MESH: usize = 4;
const RESERVE_SIZER: usize = 5;
const ORACLE: usize = 6;
const STABLE_PM: usize = 7;
const COMMODITY_PM: usize = 8;
const LIMITS: usize = 9;
const WORDS: usize = 10;

/// `(pool, baseToken, quoteToken, containment, mesh, reserveSizer, oracle,
/// stablecoinPegManager, commodityPegManager)`.
pub type ContractsTuple = [Address; 9];
/// `(minBlocks, k, maxSlippageBps, maxGasPrice, maxOracleAge,
/// maxPegDeviationBps, baseKind, quoteKind, sellBaseEnabled,
/// sellQuoteEnabled, lastExecutionBlock)`.
pub type ParamsTuple = [U256; 11];
/// `(tradeSize, tokenIn, tokenOut, minAmountOut)`.
pub type TradeTuple = (U256, Address, Address, U256);

/// The Stabilizer's own interface.
pub trait IStabilizer {
    /// App. A: the pool's TWAP deviation in bps (FlashContainment's) and
    /// whether a correction is due now: FlashContainment's trigger, not
    /// paused, the correcting direction enabled and `MIN_BLOCKS` elapsed.
    ///
    /// # Errors
    /// `ExternalCallFailed` when FlashContainment refuses (an unregistered
    /// pool; a short history is no refusal: it answers no correction);
    /// `ClockUnavailable`.
    fn check_deviation(&self) -> Result<(I256, bool), Error>;

    /// The trade a keeper may send now: `(tradeSize, tokenIn, tokenOut,
    /// minAmountOut)` with `tradeSize` the cap every pre-trade rule allows
    /// (`k·|dev|`, the per-block cap and the float). It is not capped at the
    /// peg: the keeper lowers it to the largest size that does not pass the
    /// peg (off chain: `vault_math::sizing::dodo` for DODO V2 pools).
    /// `minAmountOut` is the least the public leg must pay for `tradeSize`.
    ///
    /// # Errors
    /// The pre-trade refusal `executePrivateSwap` would give (role and gas
    /// checks aside).
    fn keeper_trade(&self) -> Result<TradeTuple, Error>;

    /// App. A: sells `trade_size` of `token_in` into the pool and settles
    /// the proceeds in the mesh (see the crate documentation).
    ///
    /// # Errors
    /// In order: `AccessControlUnauthorizedAccount` (keeper role);
    /// `EnforcedPause`; `CongestionGuard`; `UnknownTokenPair`;
    /// `DirectionDisabled`; `ZeroAmount`; `ClockUnavailable`; `TooEarly`;
    /// `SingleBlockSpike` or `DeviationNotSustained`; `WrongDirection`
    /// (TWAP); `OracleFailed`; `StaleOracle`; `TokenOffPeg`;
    /// `PegManagerDisagrees`; `WrongDirection` (spot mid price: it no
    /// longer holds the newest keeper observation);
    /// `TradeTooLarge`; `ReserveReleaseRefused`; `InsufficientFloat`; then
    /// while trading `TransferFailed`, `SlippageExceeded`, `PegOvershoot` or
    /// `WrongDirection` (the pool's mid price after its leg),
    /// `MeshSwapFailed`, `ReserveReleaseRefused` (the ReserveSizer's
    /// `recordRelease` of what the mesh released); `ExternalCallFailed` for
    /// a failing dependency.
    ///
    /// # Events
    /// `Stabilized`.
    fn execute_private_swap(
        &mut self,
        trade_size: U256,
        token_in: Address,
        token_out: Address,
    ) -> Result<(), Error>;

    /// [`IStabilizer::execute_private_swap`] with the keeper's own bound on
    /// the public leg's output: the pool must pay at least
    /// `max(min_amount_out, the oracle floor)`. A keeper passes the pool's
    /// exact quote for `trade_size` (`querySellBase`/`querySellQuote` in the
    /// same state it read `keeperTrade` from), so a front-run that moves the
    /// pool before the keeper's transaction makes it revert
    /// (`SlippageExceeded`) and leaves the attacker holding its position: a
    /// sandwich cannot pay. Both forms also refuse a pool moved toward the
    /// peg since the newest keeper observation (`WrongDirection`), which
    /// bounds App. A's three-argument form to a front-run inside that
    /// check's margin (see the crate documentation).
    ///
    /// # Errors
    /// As [`IStabilizer::execute_private_swap`].
    ///
    /// # Events
    /// `Stabilized`.
    fn execute_private_swap_bounded(
        &mut self,
        trade_size: U256,
        token_in: Address,
        token_out: Address,
        min_amount_out: U256,
    ) -> Result<(), Error>;

    /// Sets the pool and the contracts (admin). Reads the pool's tokens and
    /// FlashContainment's registration, revokes the previous tokens'
    /// approvals of the previous mesh, and approves the mesh on both tokens
    /// (0, then MAX: USDT-style tokens refuse a nonzero-to-nonzero approval).
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount`; `ZeroAddress`;
    /// `ExternalCallFailed` (pool tokens, unregistered pool);
    /// `OracleMismatch`; `TransferFailed` (approval).
    ///
    /// # Events
    /// `ContractsSet`.
    fn set_contracts(
        &mut self,
        pool: Address,
        containment: Address,
        mesh: Address,
        reserve_sizer: Address,
        oracle: Address,
    ) -> Result<(), Error>;

    /// Sets the trading parameters (admin).
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount`; `ParameterOutOfRange` (0–4).
    ///
    /// # Events
    /// `ParametersSet`.
    fn set_parameters(
        &mut self,
        min_blocks: u64,
        k: U256,
        max_slippage_bps: u64,
        max_gas_price: U256,
        max_oracle_age: u64,
    ) -> Result<(), Error>;

    /// Sets the peg managers (admin; zero addresses allowed with kind 0).
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount`; `ParameterOutOfRange` (5–7);
    /// `ZeroAddress` for a kind whose manager is zero.
    ///
    /// # Events
    /// `PegManagersSet`.
    fn set_peg_managers(
        &mut self,
        stablecoin: Address,
        commodity: Address,
        base_kind: u8,
        quote_kind: u8,
        max_peg_deviation_bps: u64,
    ) -> Result<(), Error>;

    /// Kill switch: enables or disables selling `token_in`. A guardian may
    /// only disable; only the admin enables.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount`; `UnknownTokenPair` for a token
    /// that is not the pool's.
    ///
    /// # Events
    /// `DirectionSet`.
    fn set_direction_enabled(&mut self, token_in: Address, enabled: bool) -> Result<(), Error>;

    /// The contracts, see [`ContractsTuple`].
    fn contracts(&self) -> ContractsTuple;

    /// The parameters, see [`ParamsTuple`].
    fn parameters(&self) -> ParamsTuple;

    /// Pauses (guardian).
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount`; `EnforcedPause`.
    ///
    /// # Events
    /// `Paused`.
    fn pause(&mut self) -> Result<(), Error>;

    /// Unpauses (admin).
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount`; `ExpectedPause`.
    ///
    /// # Events
    /// `Unpaused`.
    fn unpause(&mut self) -> Result<(), Error>;

    /// Whether the contract is paused.
    fn paused(&self) -> bool;

    /// Whether `account` holds `role`.
    fn has_role(&self, role: B256, account: Address) -> bool;

    /// Grants `role` (admin).
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount`.
    ///
    /// # Events
    /// `RoleGranted`.
    fn grant_role(&mut self, role: B256, account: Address) -> Result<(), Error>;

    /// Revokes `role` (admin).
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount`.
    ///
    /// # Events
    /// `RoleRevoked`.
    fn revoke_role(&mut self, role: B256, account: Address) -> Result<(), Error>;

    /// Gives up `role`.
    ///
    /// # Errors
    /// `AccessControlBadConfirmation`.
    ///
    /// # Events
    /// `RoleRevoked`.
    fn renounce_role(&mut self, role: B256, confirmation: Address) -> Result<(), Error>;
}

#[public]
impl Stabilizer {
    /// Every function of [`abi::IStabilizer`] and the constructor: checks and decodes the
    /// arguments, calls the method and encodes its return, by hand (the
    /// SDK's generated router and its decoders cost about 15 KB of wasm).
    /// An unknown selector or malformed arguments revert with no data, as
    /// the SDK's router does.
    ///
    /// # Errors
    /// The method's revert data.
    #[fallback]
    pub fn route_call(&mut self, calldata: &[u8]) -> ArbResult {
        dispatch(self, calldata).map_err(|error| error.map_or_else(Vec::new, Vec::from))
    }
}

impl Stabilizer {
    /// Grants the admin role to `admin`. The admin then sets the contracts
    /// (`setContracts`) and the parameters (`setParameters`); until both
    /// are set every trade is refused (no pool answers, `k` is zero). Peg
    /// managers start unset, `maxPegDeviationBps` at its maximum.
    ///
    /// It is routed like every function (`stylus_constructor(address)`, the
    /// SDK's constructor selector, behind the SDK's run-once guard slot), so
    /// no ABI decoder is linked for it.
    ///
    /// # Errors
    /// `ZeroAddress`.
    pub fn constructor(&mut self, admin: Address) -> Result<(), Error> {
        if admin.is_zero() {
            return Err(zero());
        }
        self.access.set_role(ADMIN_ROLE, admin, true);
        let mut settings = self.settings();
        settings.peg_deviation_bps = MAX_PEG_DEVIATION_RANGE.1;
        self.set_word(CONTAINMENT, settings.pack());
        Ok(())
    }

    /// The keeper role identifier.
    pub fn keeper_role(&self) -> B256 {
        KEEPER_ROLE
    }

    /// The guardian role identifier.
    pub fn guardian_role(&self) -> B256 {
        GUARDIAN_ROLE
    }

    /// See [`IStabilizer::check_deviation`].
    ///
    /// # Errors
    /// As [`IStabilizer::check_deviation`].
    pub fn check_deviation(&self) -> Result<(I256, bool), Error> {
        IStabilizer::check_deviation(self)
    }

    /// See [`IStabilizer::keeper_trade`].
    ///
    /// # Errors
    /// As [`IStabilizer::keeper_trade`].
    pub fn keeper_trade(&self) -> Result<TradeTuple, Error> {
        IStabilizer::keeper_trade(self)
    }

    /// See [`IStabilizer::execute_private_swap`].
    ///
    /// # Errors
    /// As [`IStabilizer::execute_private_swap`].
    pub fn execute_private_swap(
        &mut self,
        trade_size: U256,
        token_in: Address,
        token_out: Address,
    ) -> Result<(), Error> {
        IStabilizer::execute_private_swap(self, trade_size, token_in, token_out)
    }

    /// See [`IStabilizer::execute_private_swap_bounded`].
    ///
    /// # Errors
    /// As [`IStabilizer::execute_private_swap`].
    pub fn execute_private_swap_bounded(
        &mut self,
        trade_size: U256,
        token_in: Address,
        token_out: Address,
        min_amount_out: U256,
    ) -> Result<(), Error> {
        IStabilizer::execute_private_swap_bounded(self, trade_size, token_in, token_out, min_amount_out)
    }

    /// See [`IStabilizer::set_contracts`].
    ///
    /// # Errors
    /// As [`IStabilizer::set_contracts`].
    pub fn set_contracts(
        &mut self,
        pool: Address,
        containment: Address,
        mesh: Address,
        reserve_sizer: Address,
        oracle: Address,
    ) -> Result<(), Error> {
        IStabilizer::set_contracts(self, pool, containment, mesh, reserve_sizer, oracle)
    }

    /// See [`IStabilizer::set_parameters`].
    ///
    /// # Errors
    /// As [`IStabilizer::set_parameters`].
    pub fn set_parameters(
        &mut self,
        min_blocks: u64,
        k: U256,
        max_slippage_bps: u64,
        max_gas_price: U256,
        max_oracle_age: u64,
    ) -> Result<(), Error> {
        IStabilizer::set_parameters(self, min_blocks, k, max_slippage_bps, max_gas_price, max_oracle_age)
    }

    /// See [`IStabilizer::set_peg_managers`].
    ///
    /// # Errors
    /// As [`IStabilizer::set_peg_managers`].
    pub fn set_peg_managers(
        &mut self,
        stablecoin: Address,
        commodity: Address,
        base_kind: u8,
        quote_kind: u8,
        max_peg_deviation_bps: u64,
    ) -> Result<(), Error> {
        IStabilizer::set_peg_managers(
            self,
            stablecoin,
            commodity,
            base_kind,
            quote_kind,
            max_peg_deviation_bps,
        )
    }

    /// See [`IStabilizer::set_direction_enabled`].
    ///
    /// # Errors
    /// As [`IStabilizer::set_direction_enabled`].
    pub fn set_direction_enabled(&mut self, token_in: Address, enabled: bool) -> Result<(), Error> {
        IStabilizer::set_direction_enabled(self, token_in, enabled)
    }

    /// See [`IStabilizer::contracts`].
    pub fn contracts(&self) -> ContractsTuple {
        IStabilizer::contracts(self)
    }

    /// See [`IStabilizer::parameters`].
    pub fn parameters(&self) -> ParamsTuple {
        IStabilizer::parameters(self)
    }

    /// See [`IStabilizer::pause`].
    ///
    /// # Errors
    /// As [`IStabilizer::pause`].
    pub fn pause(&mut self) -> Result<(), Error> {
        IStabilizer::pause(self)
    }

    /// See [`IStabilizer::unpause`].
    ///
    /// # Errors
    /// As [`IStabilizer::unpause`].
    pub fn unpause(&mut self) -> Result<(), Error> {
        IStabilizer::unpause(self)
    }

    /// See [`IStabilizer::paused`].
    pub fn paused(&self) -> bool {
        IStabilizer::paused(self)
    }

    /// See [`IStabilizer::has_role`].
    pub fn has_role(&self, role: B256, account: Address) -> bool {
        IStabilizer::has_role(self, role, account)
    }

    /// See [`IStabilizer::grant_role`].
    ///
    /// # Errors
    /// As [`IStabilizer::grant_role`].
    pub fn grant_role(&mut self, role: B256, account: Address) -> Result<(), Error> {
        IStabilizer::grant_role(self, role, account)
    }

    /// See [`IStabilizer::revoke_role`].
    ///
    /// # Errors
    /// As [`IStabilizer::revoke_role`].
    pub fn revoke_role(&mut self, role: B256, account: Address) -> Result<(), Error> {
        IStabilizer::revoke_role(self, role, account)
    }

    /// See [`IStabilizer::renounce_role`].
    ///
    /// # Errors
    /// As [`IStabilizer::renounce_role`].
    pub fn renounce_role(&mut self, role: B256, confirmation: Address) -> Result<(), Error> {
        IStabilizer::renounce_role(self, role, confirmation)
    }
}

impl IStabilizer for Stabilizer {
    fn check_deviation(&self) -> Result<(I256, bool), Error> {
        // Two slots: the pool's word (with the gate) and FlashContainment's.
        let gate = self.gate();
        let containment = self.address(CONTAINMENT);
        let answer = self
            .read(
                containment,
                IFlashContainment::checkDeviationCall::SELECTOR,
                &[Word::Address(&gate.pool)],
                2,
            )
            .ok_or_else(|| failed(containment))?;
        let deviation = I256::from_raw(at(&answer, 0));
        let dev = clamp_bps(deviation);
        let should = flag(&answer, 1)
            && sizing::correcting_direction(dev).is_some_and(|d| gate.enabled(d))
            && !gate.paused()
            && self.l2_block()? >= gate.next_allowed();
        Ok((deviation, should))
    }

    fn keeper_trade(&self) -> Result<TradeTuple, Error> {
        let plan = self.plan(None)?;
        Ok((plan.size, plan.token_in, plan.token_out, plan.min_out))
    }

    fn execute_private_swap(
        &mut self,
        trade_size: U256,
        token_in: Address,
        token_out: Address,
    ) -> Result<(), Error> {
        self.execute_private_swap_bounded(trade_size, token_in, token_out, U256::ZERO)
    }

    fn execute_private_swap_bounded(
        &mut self,
        trade_size: U256,
        token_in: Address,
        token_out: Address,
        min_amount_out: U256,
    ) -> Result<(), Error> {
        self.access.only_role(KEEPER_ROLE)?;
        self.open_gate()?;
        let cap = self.limits().1;
        let gas_price = self.vm().tx_gas_price();
        if gas_price > cap {
            return Err(Error::new(CongestionGuard::SELECTOR, &[Word::Uint(&gas_price), Word::Uint(&cap)]));
        }
        let direction = self.direction_of(token_in, token_out)?;
        let mut plan = self.plan(Some((direction, trade_size)))?;
        plan.min_out = plan.min_out.max(min_amount_out);
        self.trade(&plan)
    }

    fn set_contracts(
        &mut self,
        pool: Address,
        containment: Address,
        mesh: Address,
        reserve_sizer: Address,
        oracle: Address,
    ) -> Result<(), Error> {
        self.access.only_role(ADMIN_ROLE)?;
        self.write_contracts(pool, containment, mesh, reserve_sizer, oracle)
    }

    fn set_parameters(
        &mut self,
        min_blocks: u64,
        k: U256,
        max_slippage_bps: u64,
        max_gas_price: U256,
        max_oracle_age: u64,
    ) -> Result<(), Error> {
        self.access.only_role(ADMIN_ROLE)?;
        self.write_parameters(min_blocks, k, max_slippage_bps, max_gas_price, max_oracle_age)
    }

    fn set_peg_managers(
        &mut self,
        stablecoin: Address,
        commodity: Address,
        base_kind: u8,
        quote_kind: u8,
        max_peg_deviation_bps: u64,
    ) -> Result<(), Error> {
        self.access.only_role(ADMIN_ROLE)?;
        check_range(5, max_peg_deviation_bps, MAX_PEG_DEVIATION_RANGE)?;
        check_range(6, base_kind.into(), PEG_KIND_RANGE)?;
        check_range(7, quote_kind.into(), PEG_KIND_RANGE)?;
        for kind in [base_kind, quote_kind] {
            if (kind == 1 && stablecoin.is_zero()) || (kind == 2 && commodity.is_zero()) {
                return Err(zero());
            }
        }
        self.set_address(STABLE_PM, stablecoin);
        self.set_address(COMMODITY_PM, commodity);
        let mut settings = self.settings();
        settings.peg_deviation_bps = max_peg_deviation_bps;
        settings.kinds = u64::from(base_kind) | (u64::from(quote_kind) << 8);
        self.set_word(CONTAINMENT, settings.pack());
        self.emit(
            1,
            &[
                Word::Hash(&PegManagersSet::SIGNATURE_HASH),
                Word::Address(&stablecoin),
                Word::Address(&commodity),
                Word::Small(&u64::from(base_kind)),
                Word::Small(&u64::from(quote_kind)),
                Word::Small(&max_peg_deviation_bps),
            ],
        );
        Ok(())
    }

    fn set_direction_enabled(&mut self, token_in: Address, enabled: bool) -> Result<(), Error> {
        let sender = self.vm().msg_sender();
        if !self.access.has_role(ADMIN_ROLE, sender) {
            if enabled {
                return Err(unauthorized(sender, ADMIN_ROLE));
            }
            self.access.only_role(GUARDIAN_ROLE)?;
        }
        let direction = if token_in == self.address(BASE) {
            Direction::SellBase
        } else if token_in == self.address(QUOTE) {
            Direction::SellQuote
        } else {
            return Err(pair(token_in, Address::ZERO));
        };
        let mut gate = self.gate();
        let bit = Gate::bit(direction);
        gate.flags = if enabled { gate.flags & !bit } else { gate.flags | bit };
        self.set_word(POOL, gate.pack());
        self.emit(
            2,
            &[
                Word::Hash(&DirectionSet::SIGNATURE_HASH),
                Word::Address(&token_in),
                Word::Small(&u64::from(enabled)),
                Word::Address(&sender),
            ],
        );
        Ok(())
    }

    fn contracts(&self) -> ContractsTuple {
        [
            self.address(POOL),
            self.address(BASE),
            self.address(QUOTE),
            self.address(CONTAINMENT),
            self.address(MESH),
            self.address(RESERVE_SIZER),
            self.address(ORACLE),
            self.address(STABLE_PM),
            self.address(COMMODITY_PM),
        ]
    }

    fn parameters(&self) -> ParamsTuple {
        let s = self.settings();
        let g = self.gate();
        let small = |v: u64| U256::from(v);
        [
            small(g.min_blocks),
            self.limits().0,
            small(s.slippage_bps),
            self.limits().1,
            small(s.oracle_age),
            small(s.peg_deviation_bps),
            small(s.kind(Direction::SellBase).into()),
            small(s.kind(Direction::SellQuote).into()),
            small(g.enabled(Direction::SellBase).into()),
            small(g.enabled(Direction::SellQuote).into()),
            small(g.last_block),
        ]
    }

    fn pause(&mut self) -> Result<(), Error> {
        self.set_paused(true)
    }

    fn unpause(&mut self) -> Result<(), Error> {
        self.set_paused(false)
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

/// The functions [`dispatch`] routes, in [`FUNCTIONS`] order.
#[derive(Clone, Copy)]
enum Function {
    Constructor,
    KeeperRole,
    GuardianRole,
    CheckDeviation,
    KeeperTrade,
    ExecutePrivateSwap,
    ExecutePrivateSwapBounded,
    SetContracts,
    SetParameters,
    SetPegManagers,
    SetDirectionEnabled,
    Contracts,
    Parameters,
    Pause,
    Unpause,
    Paused,
    HasRole,
    GrantRole,
    RevokeRole,
    RenounceRole,
}

/// Each function's selector, argument count, and address and small-integer
/// arguments (bit `i` for argument `i`; see [`vault_words::Entry`]).
const FUNCTIONS: [Entry<Function>; 20] = {
    use abi::IStabilizer as I;
    use Function as F;
    [
        (CONSTRUCTOR, F::Constructor, 1, 0b1, 0),
        (I::KEEPER_ROLECall::SELECTOR, F::KeeperRole, 0, 0, 0),
        (I::GUARDIAN_ROLECall::SELECTOR, F::GuardianRole, 0, 0, 0),
        (I::checkDeviationCall::SELECTOR, F::CheckDeviation, 0, 0, 0),
        (I::keeperTradeCall::SELECTOR, F::KeeperTrade, 0, 0, 0),
        (I::executePrivateSwap_0Call::SELECTOR, F::ExecutePrivateSwap, 3, 0b110, 0),
        (I::executePrivateSwap_1Call::SELECTOR, F::ExecutePrivateSwapBounded, 4, 0b110, 0),
        (I::setContractsCall::SELECTOR, F::SetContracts, 5, 0b1_1111, 0),
        (I::setParametersCall::SELECTOR, F::SetParameters, 5, 0, 0b1_0101),
        (I::setPegManagersCall::SELECTOR, F::SetPegManagers, 5, 0b11, 0b1_1100),
        (I::setDirectionEnabledCall::SELECTOR, F::SetDirectionEnabled, 2, 0b1, 0b10),
        (I::contractsCall::SELECTOR, F::Contracts, 0, 0, 0),
        (I::parametersCall::SELECTOR, F::Parameters, 0, 0, 0),
        (I::pauseCall::SELECTOR, F::Pause, 0, 0, 0),
        (I::unpauseCall::SELECTOR, F::Unpause, 0, 0, 0),
        (I::pausedCall::SELECTOR, F::Paused, 0, 0, 0),
        (I::hasRoleCall::SELECTOR, F::HasRole, 2, 0b10, 0),
        (I::grantRoleCall::SELECTOR, F::GrantRole, 2, 0b10, 0),
        (I::revokeRoleCall::SELECTOR, F::RevokeRole, 2, 0b10, 0),
        (I::renounceRoleCall::SELECTOR, F::RenounceRole, 2, 0b10, 0),
    ]
};

/// Routes `calldata` (see [`Stabilizer::route_call`]): `Err(None)` for an
/// unknown selector or malformed arguments (a `uint8` above 255 or a `bool`
/// above 1 included, as the SDK's decoder refuses them).
#[inline(never)]
fn dispatch(c: &mut Stabilizer, calldata: &[u8]) -> Result<Vec<u8>, Option<Error>> {
    use Function as F;
    let (function, a) = lookup(&FUNCTIONS, calldata).ok_or(None)?;
    let done = |result: Result<(), Error>| result.map(|()| Vec::new()).map_err(Some);
    let flag = |value: bool| Ok(ret(&[Word::Small(&u64::from(value))]));
    match function {
        F::Constructor => {
            // The SDK's guard: the constructor runs once.
            c.check_constructor_slot().map_err(|_| None)?;
            done(c.constructor(a.address(0)))
        }
        F::KeeperRole => Ok(ret(&[Word::Hash(&KEEPER_ROLE)])),
        F::GuardianRole => Ok(ret(&[Word::Hash(&GUARDIAN_ROLE)])),
        F::CheckDeviation => {
            let (deviation, should) = c.check_deviation()?;
            Ok(ret(&[Word::Uint(&deviation.into_raw()), Word::Small(&u64::from(should))]))
        }
        F::KeeperTrade => {
            let (size, token_in, token_out, min_out) = c.keeper_trade()?;
            Ok(ret(&[
                Word::Uint(&size),
                Word::Address(&token_in),
                Word::Address(&token_out),
                Word::Uint(&min_out),
            ]))
        }
        F::ExecutePrivateSwap | F::ExecutePrivateSwapBounded => {
            done(c.execute_private_swap_bounded(a.uint(0), a.address(1), a.address(2), a.uint(3)))
        }
        F::SetContracts => {
            done(c.set_contracts(a.address(0), a.address(1), a.address(2), a.address(3), a.address(4)))
        }
        F::SetParameters => done(c.set_parameters(a.small(0), a.uint(1), a.small(2), a.uint(3), a.small(4))),
        F::SetPegManagers => {
            let (Ok(base), Ok(quote)) = (u8::try_from(a.small(2)), u8::try_from(a.small(3))) else {
                return Err(None);
            };
            done(c.set_peg_managers(a.address(0), a.address(1), base, quote, a.small(4)))
        }
        F::SetDirectionEnabled => match a.small(1) {
            enabled @ (0 | 1) => done(c.set_direction_enabled(a.address(0), enabled == 1)),
            _ => Err(None),
        },
        F::Contracts => {
            let contracts = c.contracts();
            Ok(ret(&contracts.each_ref().map(Word::Address)))
        }
        F::Parameters => {
            let parameters = c.parameters();
            Ok(ret(&parameters.each_ref().map(Word::Uint)))
        }
        F::Pause | F::Unpause => done(if matches!(function, F::Pause) { c.pause() } else { c.unpause() }),
        F::Paused => flag(c.paused()),
        F::HasRole => flag(c.has_role(a.hash(0), a.address(1))),
        F::GrantRole | F::RevokeRole => {
            let result = c.access.admin_set_role(a.hash(0), a.address(1), matches!(function, F::GrantRole));
            done(result.map_err(Error::from))
        }
        F::RenounceRole => done(c.renounce_role(a.hash(0), a.address(1))),
    }
}

/// A checked trade, ready to execute.
struct Plan {
    direction: Direction,
    token_in: Address,
    token_out: Address,
    size: U256,
    base_size: U256,
    min_out: U256,
    block: u64,
    twap: Bps,
    oracle_price: U256,
    /// The rounded-down peg in raw units (quote per base, 1e18).
    peg: U256,
    /// The pool's mid price before the trade.
    mid_before: U256,
}

impl Stabilizer {
    /// `words[index]`.
    #[inline(never)]
    fn word(&self, index: usize) -> U256 {
        self.words.get(index).unwrap_or_default()
    }

    /// `words[index]` as an address (its low 20 bytes).
    fn address(&self, index: usize) -> Address {
        Address::from_word(self.word(index).into())
    }

    /// `(k, maxGasPrice)`: the low and high halves of one word.
    fn limits(&self) -> (U256, U256) {
        let [k0, k1, g0, g1] = self.word(LIMITS).into_limbs();
        (U256::from_limbs([k0, k1, 0, 0]), U256::from_limbs([g0, g1, 0, 0]))
    }

    /// The pool's word, with the [`Gate`].
    fn gate(&self) -> Gate {
        Gate::unpack(self.word(POOL))
    }

    /// FlashContainment's word, with the [`Settings`].
    fn settings(&self) -> Settings {
        Settings::unpack(self.word(CONTAINMENT))
    }

    /// Sets `words[index]`.
    #[inline(never)]
    fn set_word(&mut self, index: usize, value: U256) {
        if let Some(mut slot) = self.words.setter(index) {
            slot.set(value);
        }
    }

    /// Sets `words[index]` to an address.
    fn set_address(&mut self, index: usize, value: Address) {
        self.set_word(index, U256::from_be_slice(value.as_slice()));
    }

    /// Checks every rule for `requested` (`None`: the keeper view, which
    /// picks the direction and the largest allowed size).
    #[inline(never)]
    fn plan(&self, requested: Option<(Direction, U256)>) -> Result<Plan, Error> {
        let gate = self.open_gate()?;
        let settings = self.settings();
        if let Some((direction, size)) = requested {
            self.check_enabled(gate, direction)?;
            if size.is_zero() {
                return Err(Error::new(ZeroAmount::SELECTOR, &[]));
            }
        }
        let block = self.l2_block()?;
        let next = gate.next_allowed();
        if block < next {
            return Err(Error::new(TooEarly::SELECTOR, &[Word::Small(&block), Word::Small(&next)]));
        }
        let (pool, containment) = (gate.pool, settings.containment);
        let answer = self
            .read(containment, IFlashContainment::checkDeviationCall::SELECTOR, &[Word::Address(&pool)], 2)
            .ok_or_else(|| failed(containment))?;
        let raw_twap = I256::from_raw(at(&answer, 0));
        let twap = clamp_bps(raw_twap);
        if !flag(&answer, 1) {
            return Err(self.not_sustained(raw_twap));
        }
        let needed = sizing::correcting_direction(twap).unwrap_or(Direction::SellBase);
        let direction = if let Some((direction, _)) = requested {
            direction
        } else {
            self.check_enabled(gate, needed)?;
            needed
        };
        let (token_in, token_out) = self.tokens(direction);
        if direction != needed {
            return Err(wrong_direction(twap, token_in));
        }
        let oracle_price = self.oracle_price(settings)?;
        let correctable = self.peg_opinion(settings, direction, twap)?;
        let remaining = at(
            &self
                .read(
                    containment,
                    IFlashContainment::remainingVolumeCall::SELECTOR,
                    &[Word::Address(&pool)],
                    1,
                )
                .ok_or_else(|| failed(containment))?,
            0,
        );
        let (bd, qd) = settings.decimals();
        // Rounded against the keeper: the peg that makes the base size of a
        // quote sale larger, and the largest quote input smaller.
        let peg_down = stab::raw_peg(oracle_price, bd, qd, false)?;
        let allowed =
            stab::allowed_input(direction, self.limits().0, correctable.unsigned_abs(), remaining, peg_down)?;
        // The pool's spot mid price must still hold the newest keeper
        // observation: on its side of the peg and at most 1 bps closer to
        // it (a front-run that did part of the correction refuses the trade;
        // see the crate documentation).
        let mid_before = self.mid_price(pool)?;
        if !stab::spot_holds(mid_before, peg_down, twap) {
            return Err(wrong_direction(twap, token_in));
        }
        let float = self.balance(token_in, self.vm().contract_address())?;
        let size = if let Some((_, size)) = requested {
            if size > allowed {
                return Err(Error::new(TradeTooLarge::SELECTOR, &[Word::Uint(&size), Word::Uint(&allowed)]));
            }
            size
        } else {
            // The keeper view stops at the cap: the exact peg-reaching size is
            // searched off chain (`sizing::dodo` on the pool's state), not
            // here.
            allowed.min(float)
        };
        self.check_release_and_float(token_in, size, float)?;
        // The floor is rounded up (against the keeper); selling base values
        // the output at the peg rounded up, selling quote at its inverse
        // from the peg rounded down.
        let peg_floor = match direction {
            Direction::SellBase => stab::raw_peg(oracle_price, bd, qd, true)?,
            Direction::SellQuote => peg_down,
        };
        let min_out = stab::min_out(direction, size, peg_floor, settings.slippage_u32())?;
        let base_size = stab::base_size(direction, size, stab::nonzero(peg_down)?)?;
        Ok(Plan {
            direction,
            token_in,
            token_out,
            size,
            base_size,
            min_out,
            block,
            twap,
            oracle_price,
            peg: peg_down,
            mid_before,
        })
    }

    /// The ReserveSizer's `canRelease(token, size)`, then the float.
    #[inline(never)]
    fn check_release_and_float(&self, token_in: Address, size: U256, float: U256) -> Result<(), Error> {
        self.release(false, token_in, size)?;
        if float < size {
            return Err(Error::new(
                InsufficientFloat::SELECTOR,
                &[Word::Address(&token_in), Word::Uint(&float), Word::Uint(&size)],
            ));
        }
        Ok(())
    }

    /// Asks the ReserveSizer about `amount` of `token`: `canRelease`
    /// (`record` false), which must answer true, or `recordRelease`, which
    /// must not revert. Both go through a call so that they share this code
    /// (`canRelease` is a view: a call to it from a view is fine).
    #[inline(never)]
    fn release(&self, record: bool, token: Address, amount: U256) -> Result<(), Error> {
        let sizer = self.address(RESERVE_SIZER);
        let selector = if record {
            IReserveSizer::recordReleaseCall::SELECTOR
        } else {
            IReserveSizer::canReleaseCall::SELECTOR
        };
        match self.send(sizer, selector, &[Word::Address(&token), Word::Uint(&amount)]) {
            Ok(data) if record || flag(&data, 0) => Ok(()),
            Ok(data) if data.len() >= 32 => Err(release_refused(token, amount)),
            Err(_) if record => Err(release_refused(token, amount)),
            _ => Err(failed(sizer)),
        }
    }

    /// Spends the cap, records the block, sells into the public pool and
    /// settles the proceeds in the mesh.
    #[inline(never)]
    fn trade(&mut self, plan: &Plan) -> Result<(), Error> {
        let (pool, containment, mesh) = (self.address(POOL), self.address(CONTAINMENT), self.address(MESH));
        let mut gate = self.gate();
        gate.last_block = plan.block;
        self.set_word(POOL, gate.pack());
        self.send(
            containment,
            IFlashContainment::consumeVolumeCall::SELECTOR,
            &[Word::Address(&pool), Word::Uint(&plan.base_size)],
        )
        .map_err(|_| failed(containment))?;
        self.token_call(
            plan.token_in,
            IERC20::transferCall::SELECTOR,
            &[Word::Address(&pool), Word::Uint(&plan.size)],
        )?;
        let me = self.vm().contract_address();
        let selector = match plan.direction {
            Direction::SellBase => IDODOPool::sellBaseCall::SELECTOR,
            Direction::SellQuote => IDODOPool::sellQuoteCall::SELECTOR,
        };
        let received = self
            .send(pool, selector, &[Word::Address(&me)])
            .ok()
            .filter(|data| data.len() >= 32)
            .map(|data| at(&data, 0))
            .ok_or_else(|| failed(pool))?;
        if received < plan.min_out {
            return Err(Error::new(
                SlippageExceeded::SELECTOR,
                &[Word::Uint(&received), Word::Uint(&plan.min_out)],
            ));
        }
        // No overshoot, checked on the pool's own mid price after its leg
        // (the whole transaction reverts): the price must not pass the peg
        // and must not move away from it.
        // Read with a call (not a static call): a read after the pool's
        // state changed, which the unit tests can tell from the one before.
        let mid_after = self
            .send(pool, IDODOPool::getMidPriceCall::SELECTOR, &[])
            .ok()
            .filter(|data| data.len() >= 32)
            .map(|data| at(&data, 0))
            .ok_or_else(|| failed(pool))?;
        let (crossed, widened) = match plan.direction {
            Direction::SellBase => (mid_after < plan.peg, mid_after > plan.mid_before),
            Direction::SellQuote => (mid_after > plan.peg, mid_after < plan.mid_before),
        };
        if crossed {
            return Err(Error::new(PegOvershoot::SELECTOR, &[Word::Uint(&plan.size)]));
        }
        if widened {
            return Err(wrong_direction(plan.twap, plan.token_in));
        }
        // The mesh must pay at least the oracle value of `received` in
        // `tokenIn` less maxSlippage, rounded up (the mesh's own minimum-out
        // check enforces it): a mesh leg through a DPP that was moved or
        // reset off the oracle reverts, and so does a sandwich of that leg.
        // At the rounded-down peg (exact when quote has at least base's
        // decimals; else off by under one unit of the 1e18 peg).
        let slippage = self.settings().slippage_u32();
        let back = match plan.direction {
            Direction::SellBase => Direction::SellQuote,
            Direction::SellQuote => Direction::SellBase,
        };
        let floor = stab::min_out(back, received, plan.peg, slippage)?;
        let words = [
            Word::Address(&plan.token_out),
            Word::Address(&plan.token_in),
            Word::Uint(&received),
            Word::Uint(&floor),
            Word::Address(&me),
        ];
        let returned = match self.send(mesh, IPrivateMeshPool::swapCall::SELECTOR, &words) {
            Ok(data) if data.len() >= 32 => at(&data, 0),
            Ok(_) => return Err(failed(mesh)),
            Err(reason) => return Err(mesh_failed(&reason)),
        };
        // What the mesh actually released, recorded on chain: the
        // ReserveSizer refuses it (and the whole trade reverts) when the
        // reserve is now below its requirement.
        self.release(true, plan.token_in, returned)?;
        self.emit(
            4,
            &[
                Word::Hash(&Stabilized::SIGNATURE_HASH),
                Word::Address(&pool),
                Word::Address(&plan.token_in),
                Word::Address(&plan.token_out),
                Word::Uint(&plan.size),
                Word::Uint(&received),
                Word::Uint(&returned),
                Word::Int(&signed(plan.twap.into())),
                Word::Uint(&plan.oracle_price),
                Word::Uint(&plan.mid_before),
                Word::Uint(&mid_after),
                Word::Small(&plan.block),
            ],
        );
        Ok(())
    }

    #[inline(never)]
    fn write_contracts(
        &mut self,
        pool: Address,
        containment: Address,
        mesh: Address,
        reserve_sizer: Address,
        oracle: Address,
    ) -> Result<(), Error> {
        if [pool, containment, mesh, reserve_sizer, oracle].iter().any(|a| a.is_zero()) {
            return Err(zero());
        }
        let base = self.read(pool, IDODOPool::_BASE_TOKEN_Call::SELECTOR, &[], 1).map(|d| address_at(&d, 0));
        let quote =
            self.read(pool, IDODOPool::_QUOTE_TOKEN_Call::SELECTOR, &[], 1).map(|d| address_at(&d, 0));
        let (Some(base), Some(quote)) = (base, quote) else { return Err(failed(pool)) };
        if base.is_zero() || quote.is_zero() {
            return Err(failed(pool));
        }
        let config = self
            .read(containment, IFlashContainment::poolConfigCall::SELECTOR, &[Word::Address(&pool)], 3)
            .ok_or_else(|| failed(containment))?;
        let registered = address_at(&config, 0);
        if registered != oracle {
            return Err(Error::new(
                OracleMismatch::SELECTOR,
                &[Word::Address(&oracle), Word::Address(&registered)],
            ));
        }
        // Revoke the old pool tokens' approvals of the old mesh, then approve
        // the new mesh: 0 first, then MAX (USDT-style tokens refuse an
        // approval from nonzero to nonzero). Nothing is approved before the
        // first configuration (its old tokens are zero).
        let old_mesh = self.address(MESH);
        for token in [self.address(BASE), self.address(QUOTE)] {
            if !token.is_zero() {
                self.approve(token, old_mesh, U256::ZERO)?;
            }
        }
        for token in [base, quote] {
            self.approve(token, mesh, U256::ZERO)?;
            self.approve(token, mesh, U256::MAX)?;
        }
        let mut gate = self.gate();
        gate.pool = pool;
        self.set_word(POOL, gate.pack());
        self.set_address(BASE, base);
        self.set_address(QUOTE, quote);
        self.set_address(MESH, mesh);
        self.set_address(RESERVE_SIZER, reserve_sizer);
        self.set_address(ORACLE, oracle);
        let mut settings = self.settings();
        settings.containment = containment;
        // FlashContainment bounds the decimals to 0–36.
        settings.set_decimals(at(&config, 1).as_limbs()[0], at(&config, 2).as_limbs()[0]);
        self.set_word(CONTAINMENT, settings.pack());
        self.emit(
            2,
            &[
                Word::Hash(&ContractsSet::SIGNATURE_HASH),
                Word::Address(&pool),
                Word::Address(&base),
                Word::Address(&quote),
                Word::Address(&containment),
                Word::Address(&mesh),
                Word::Address(&reserve_sizer),
                Word::Address(&oracle),
            ],
        );
        Ok(())
    }

    #[inline(never)]
    fn write_parameters(
        &mut self,
        min_blocks: u64,
        k: U256,
        max_slippage_bps: u64,
        max_gas_price: U256,
        max_oracle_age: u64,
    ) -> Result<(), Error> {
        check_range(0, min_blocks, MIN_BLOCKS_RANGE)?;
        check_wide(1, k, K_RANGE)?;
        check_range(2, max_slippage_bps, MAX_SLIPPAGE_RANGE)?;
        check_wide(3, max_gas_price, MAX_GAS_PRICE_RANGE)?;
        check_range(4, max_oracle_age, MAX_ORACLE_AGE_RANGE)?;
        let mut gate = self.gate();
        gate.min_blocks = min_blocks;
        self.set_word(POOL, gate.pack());
        let mut settings = self.settings();
        settings.slippage_bps = max_slippage_bps;
        settings.oracle_age = max_oracle_age;
        self.set_word(CONTAINMENT, settings.pack());
        // Both at most 2^128 − 1 (checked above).
        let ([k0, k1, ..], [g0, g1, ..]) = (k.into_limbs(), max_gas_price.into_limbs());
        self.set_word(LIMITS, U256::from_limbs([k0, k1, g0, g1]));
        self.emit(
            1,
            &[
                Word::Hash(&ParametersSet::SIGNATURE_HASH),
                Word::Small(&min_blocks),
                Word::Uint(&k),
                Word::Small(&max_slippage_bps),
                Word::Uint(&max_gas_price),
                Word::Small(&max_oracle_age),
            ],
        );
        Ok(())
    }

    #[inline(never)]
    fn check_enabled(&self, gate: Gate, direction: Direction) -> Result<(), Error> {
        if gate.enabled(direction) {
            Ok(())
        } else {
            Err(Error::new(DirectionDisabled::SELECTOR, &[Word::Address(&self.tokens(direction).0)]))
        }
    }

    #[inline(never)]
    fn direction_of(&self, token_in: Address, token_out: Address) -> Result<Direction, Error> {
        let (base, quote) = (self.address(BASE), self.address(QUOTE));
        if token_in == base && token_out == quote {
            Ok(Direction::SellBase)
        } else if token_in == quote && token_out == base {
            Ok(Direction::SellQuote)
        } else {
            Err(pair(token_in, token_out))
        }
    }

    #[inline(never)]
    fn tokens(&self, direction: Direction) -> (Address, Address) {
        let (base, quote) = (self.address(BASE), self.address(QUOTE));
        match direction {
            Direction::SellBase => (base, quote),
            Direction::SellQuote => (quote, base),
        }
    }

    /// The gate, or `EnforcedPause` (its flag mirrors `Roles`').
    #[inline(never)]
    fn open_gate(&self) -> Result<Gate, Error> {
        let gate = self.gate();
        if gate.paused() {
            return Err(Error::new(EnforcedPause::SELECTOR, &[]));
        }
        Ok(gate)
    }

    /// `Roles::set_paused`, mirrored into the gate.
    #[inline(never)]
    fn set_paused(&mut self, paused: bool) -> Result<(), Error> {
        self.access.set_paused(paused, GUARDIAN_ROLE)?;
        let mut gate = self.gate();
        gate.flags = if paused { gate.flags | Gate::PAUSED } else { gate.flags & !Gate::PAUSED };
        self.set_word(POOL, gate.pack());
        Ok(())
    }

    /// The L2 block number from `ArbSys` (on Arbitrum `block.number`
    /// estimates the L1 block).
    #[inline(never)]
    fn l2_block(&self) -> Result<u64, Error> {
        self.read(ARB_SYS, ArbSys::arbBlockNumberCall::SELECTOR, &[], 1)
            .map(|d| at(&d, 0))
            .filter(|number| number.bit_len() <= 64)
            .map(|number| number.as_limbs()[0])
            .ok_or_else(|| Error::new(ClockUnavailable::SELECTOR, &[]))
    }

    /// `SingleBlockSpike` when the live streak is one block, else
    /// `DeviationNotSustained`.
    #[inline(never)]
    fn not_sustained(&self, deviation: I256) -> Error {
        let containment = self.address(CONTAINMENT);
        let streak = self
            .read(
                containment,
                IFlashContainment::sustainedCall::SELECTOR,
                &[Word::Address(&self.address(POOL))],
                3,
            )
            .map_or(0, |d| at(&d, 2).as_limbs()[0]);
        if streak == 1 {
            Error::new(SingleBlockSpike::SELECTOR, &[Word::Uint(&deviation.into_raw())])
        } else {
            Error::new(
                DeviationNotSustained::SELECTOR,
                &[Word::Uint(&deviation.into_raw()), Word::Small(&streak)],
            )
        }
    }

    /// The oracle's fresh, nonzero price.
    #[inline(never)]
    fn oracle_price(&self, settings: Settings) -> Result<U256, Error> {
        let oracle = self.address(ORACLE);
        let answer = self.read(oracle, IPriceOracle::latestPriceCall::SELECTOR, &[], 2);
        let (price, updated_at) = match answer {
            Some(d) if !at(&d, 0).is_zero() => (at(&d, 0), at(&d, 1)),
            _ => return Err(Error::new(OracleFailed::SELECTOR, &[Word::Address(&oracle)])),
        };
        // Fresh: stamped at most `maxOracleAge` before this block, and not
        // after it (a stamp from the future would stay fresh forever).
        let age = U256::from(self.vm().block_timestamp()).checked_sub(updated_at);
        if age.is_none_or(|age| age > U256::from(settings.oracle_age)) {
            return Err(Error::new(
                StaleOracle::SELECTOR,
                &[Word::Uint(&updated_at), Word::Small(&settings.oracle_age)],
            ));
        }
        Ok(price)
    }

    /// The peg managers' rules; returns the deviation to correct.
    #[inline(never)]
    fn peg_opinion(&self, settings: Settings, direction: Direction, twap: Bps) -> Result<Bps, Error> {
        if settings.kinds == 0 {
            return Ok(twap);
        }
        let (token_in, _) = self.tokens(direction);
        let mut devs = [0i64; 2];
        for (slot, side) in [Direction::SellBase, Direction::SellQuote].into_iter().enumerate() {
            let token = self.tokens(side).0;
            let Some((dev, pegged)) = self.peg_of(settings.kind(side), token)? else { continue };
            if token == token_in && (!pegged || !stab::within_peg(dev, settings.peg_deviation_bps)) {
                return Err(Error::new(
                    TokenOffPeg::SELECTOR,
                    &[Word::Address(&token), Word::Int(&signed(dev))],
                ));
            }
            devs[slot] = dev;
        }
        stab::correctable_deviation(twap, devs[0], devs[1]).ok_or_else(|| {
            Error::new(
                PegManagerDisagrees::SELECTOR,
                &[Word::Int(&signed(twap.into())), Word::Int(&signed(devs[0])), Word::Int(&signed(devs[1]))],
            )
        })
    }

    /// A token's `(deviation, isPegged)` from its peg manager, if it has one.
    /// Both managers share one ABI (`getDeviationBps`, `isPegged`).
    #[inline(never)]
    fn peg_of(&self, kind: u8, token: Address) -> Result<Option<(i64, bool)>, Error> {
        let (manager, deviation, pegged) = match kind {
            1 => (
                self.address(STABLE_PM),
                IStablecoinPegManager::getDeviationBpsCall::SELECTOR,
                IStablecoinPegManager::isPeggedCall::SELECTOR,
            ),
            2 => (
                self.address(COMMODITY_PM),
                ICommodityPegManager::getDeviationBpsCall::SELECTOR,
                ICommodityPegManager::isPeggedCall::SELECTOR,
            ),
            _ => return Ok(None),
        };
        let dev =
            self.read(manager, deviation, &[Word::Address(&token)], 1).ok_or_else(|| failed(manager))?;
        let ok = self.read(manager, pegged, &[Word::Address(&token)], 1).ok_or_else(|| failed(manager))?;
        Ok(Some((stab::clamp_i64(I256::from_raw(at(&dev, 0))), flag(&ok, 0))))
    }

    /// The pool's mid price (`getMidPrice`, quote per base, 1e18).
    #[inline(never)]
    fn mid_price(&self, pool: Address) -> Result<U256, Error> {
        self.read(pool, IDODOPool::getMidPriceCall::SELECTOR, &[], 1)
            .map(|d| at(&d, 0))
            .ok_or_else(|| failed(pool))
    }

    #[inline(never)]
    fn balance(&self, token: Address, account: Address) -> Result<U256, Error> {
        self.read(token, IERC20::balanceOfCall::SELECTOR, &[Word::Address(&account)], 1)
            .map(|d| at(&d, 0))
            .ok_or_else(|| failed(token))
    }

    /// `token.approve(spender, amount)`.
    #[inline(never)]
    fn approve(&self, token: Address, spender: Address, amount: U256) -> Result<(), Error> {
        self.token_call(token, IERC20::approveCall::SELECTOR, &[Word::Address(&spender), Word::Uint(&amount)])
    }

    /// A token `transfer`/`approve`: must not revert and must return `true`
    /// or nothing (USDT-style).
    #[inline(never)]
    fn token_call(&self, token: Address, selector: [u8; 4], words: &[Word]) -> Result<(), Error> {
        match self.send(token, selector, words) {
            Ok(out) if out.is_empty() || (out.len() == 32 && at(&out, 0) == U256::from(1u8)) => Ok(()),
            _ => Err(Error::new(TransferFailed::SELECTOR, &[Word::Address(&token)])),
        }
    }

    /// Static-calls `selector(words)` on `to` (the selector from a generated
    /// binding): its return data when it answers at least `words_out` words,
    /// `None` when it reverts or answers less.
    #[inline(never)]
    fn read(&self, to: Address, selector: [u8; 4], words: &[Word], words_out: usize) -> Option<Vec<u8>> {
        self.vm()
            .static_call(&Call::new(), to, &encode(selector, words))
            .ok()
            .filter(|data| data.len() >= 32 * words_out)
    }

    /// Calls `selector(words)` on `to`: its return data, or its revert data.
    #[inline(never)]
    fn send(&self, to: Address, selector: [u8; 4], words: &[Word]) -> Result<Vec<u8>, Vec<u8>> {
        self.vm().call(&Call::new(), to, &encode(selector, words)).map_err(|e| match e {
            stylus_sdk::stylus_core::calls::errors::Error::Revert(data) => data,
            stylus_sdk::stylus_core::calls::errors::Error::AbiDecodingFailed(_) => Vec::new(),
        })
    }

    /// Emits a log whose first `topics` words are its topics (the event's
    /// signature hash first) and the rest its data, exactly as the event's
    /// `sol!` declaration encodes it.
    #[inline(never)]
    fn emit(&self, topics: usize, words: &[Word]) {
        vault_words::emit(self.vm(), topics, words);
    }
}

/// Word `index` of return data the caller checked to be long enough.
#[inline(never)]
fn at(data: &[u8], index: usize) -> U256 {
    vault_words::at(Some(data), index).unwrap_or_default()
}

/// A bps value as an `int256` word.
fn signed(value: i64) -> I256 {
    let extension = if value < 0 { u64::MAX } else { 0 };
    let low = u64::from_ne_bytes(value.to_ne_bytes());
    I256::from_raw(U256::from_limbs([low, extension, extension, extension]))
}

/// Word `index` as a `bool` (any nonzero word is `true`).
fn flag(data: &[u8], index: usize) -> bool {
    !at(data, index).is_zero()
}

/// Word `index` as an address (its low 20 bytes).
fn address_at(data: &[u8], index: usize) -> Address {
    data.get(32 * index + 12..32 * index + 32)
        .and_then(|bytes| <[u8; 20]>::try_from(bytes).ok())
        .map_or(Address::ZERO, Address::new)
}

/// FlashContainment's word: its address (low 160 bits) and, above it, the
/// trading settings. Limb 3 holds `maxOracleAge` (bits 0–31, at most
/// 86,400), `maxSlippageBps` (32–47) and `maxPegDeviationBps` (48–63);
/// limb 2's high half the tokens' decimals (bits 32–47, base | quote << 8)
/// and peg kinds (48–63, base | quote << 8).
#[derive(Clone, Copy)]
struct Settings {
    containment: Address,
    oracle_age: u64,
    slippage_bps: u64,
    peg_deviation_bps: u64,
    decimals: u64,
    kinds: u64,
}

impl Settings {
    fn pack(self) -> U256 {
        let [a, b, c, _] = U256::from_be_slice(self.containment.as_slice()).into_limbs();
        let mixed = c | (self.decimals & 0xffff) << 32 | (self.kinds & 0xffff) << 48;
        let limits = (self.oracle_age & 0xffff_ffff)
            | (self.slippage_bps & 0xffff) << 32
            | self.peg_deviation_bps << 48;
        U256::from_limbs([a, b, mixed, limits])
    }

    fn unpack(word: U256) -> Self {
        let [_, _, mixed, limits] = word.into_limbs();
        Self {
            containment: Address::from_word(word.into()),
            oracle_age: limits & 0xffff_ffff,
            slippage_bps: (limits >> 32) & 0xffff,
            peg_deviation_bps: limits >> 48,
            decimals: (mixed >> 32) & 0xffff,
            kinds: mixed >> 48,
        }
    }

    /// `maxSlippageBps` is bounded to 1,000, so it fits a `u32`.
    fn slippage_u32(self) -> u32 {
        u32::try_from(self.slippage_bps).unwrap_or(u32::MAX)
    }

    fn kind(self, direction: Direction) -> u8 {
        let shift = if direction == Direction::SellBase { 0 } else { 8 };
        // Masked to one byte.
        #[allow(clippy::cast_possible_truncation)]
        let kind = ((self.kinds >> shift) & 0xff) as u8;
        kind
    }

    fn decimals(self) -> (u8, u8) {
        #[allow(clippy::cast_possible_truncation)]
        let pair = ((self.decimals & 0xff) as u8, ((self.decimals >> 8) & 0xff) as u8);
        pair
    }

    fn set_decimals(&mut self, base: u64, quote: u64) {
        self.decimals = (base & 0xff) | ((quote & 0xff) << 8);
    }
}

/// The pool's word: its address (low 160 bits) and, above it, what
/// `checkDeviation` needs besides FlashContainment, so that it reads two
/// slots: `lastExecutionBlock` (limb 3) and, in limb 2's high half, flags
/// (bits 32–39: bit 0 sell base disabled, bit 1 sell quote disabled, bit 2
/// paused, mirroring `Roles`' flag) and `MIN_BLOCKS` (bits 40–63, at most
/// 10,000).
#[derive(Clone, Copy)]
struct Gate {
    pool: Address,
    last_block: u64,
    flags: u64,
    min_blocks: u64,
}

impl Gate {
    const PAUSED: u64 = 4;

    fn pack(self) -> U256 {
        let [a, b, c, _] = U256::from_be_slice(self.pool.as_slice()).into_limbs();
        U256::from_limbs([a, b, c | (self.flags & 0xff) << 32 | self.min_blocks << 40, self.last_block])
    }

    fn unpack(word: U256) -> Self {
        let [_, _, mixed, last_block] = word.into_limbs();
        let pool = Address::from_word(word.into());
        Self { pool, last_block, flags: (mixed >> 32) & 0xff, min_blocks: mixed >> 40 }
    }

    fn bit(direction: Direction) -> u64 {
        match direction {
            Direction::SellBase => 1,
            Direction::SellQuote => 2,
        }
    }

    fn enabled(self, direction: Direction) -> bool {
        self.flags & Self::bit(direction) == 0
    }

    fn paused(self) -> bool {
        self.flags & Self::PAUSED != 0
    }

    /// The first L2 block an execution is allowed in (any, before the first).
    fn next_allowed(self) -> u64 {
        if self.last_block == 0 {
            0
        } else {
            self.last_block.saturating_add(self.min_blocks)
        }
    }
}

fn zero() -> Error {
    Error::new(ZeroAddress::SELECTOR, &[])
}

fn failed(target: Address) -> Error {
    Error::new(ExternalCallFailed::SELECTOR, &[Word::Address(&target)])
}

fn pair(token_in: Address, token_out: Address) -> Error {
    Error::new(UnknownTokenPair::SELECTOR, &[Word::Address(&token_in), Word::Address(&token_out)])
}

fn unauthorized(account: Address, role: B256) -> Error {
    Error::new(AccessControlUnauthorizedAccount::SELECTOR, &[Word::Address(&account), Word::Hash(&role)])
}

fn release_refused(token: Address, amount: U256) -> Error {
    Error::new(ReserveReleaseRefused::SELECTOR, &[Word::Address(&token), Word::Uint(&amount)])
}

fn wrong_direction(deviation: Bps, token_in: Address) -> Error {
    Error::new(WrongDirection::SELECTOR, &[Word::Int(&signed(deviation.into())), Word::Address(&token_in)])
}

/// `MeshSwapFailed(bytes reason)`: the one error with a dynamic field.
#[inline(never)]
fn mesh_failed(reason: &[u8]) -> Error {
    let length = reason.len();
    let mut data = encode(MeshSwapFailed::SELECTOR, &[Word::Small(&32), Word::Small(&(length as u64))]);
    data.extend_from_slice(reason);
    data.resize(data.len() + (32 - length % 32) % 32, 0);
    Error(data)
}

/// An `int256` deviation as [`Bps`], saturated.
fn clamp_bps(value: I256) -> Bps {
    Bps::try_from(stab::clamp_i64(value)).unwrap_or(if value.is_negative() { Bps::MIN } else { Bps::MAX })
}

fn check_range(parameter: u8, value: u64, (min, max): (u64, u64)) -> Result<(), Error> {
    check_wide(parameter, U256::from(value), (U256::from(min), U256::from(max)))
}

#[inline(never)]
fn check_wide(parameter: u8, value: U256, (min, max): (U256, U256)) -> Result<(), Error> {
    if value >= min && value <= max {
        Ok(())
    } else {
        Err(Error::new(
            ParameterOutOfRange::SELECTOR,
            &[Word::Small(&u64::from(parameter)), Word::Uint(&value), Word::Uint(&min), Word::Uint(&max)],
        ))
    }
}

/// Aborts on panic: no message formatting code is linked into the wasm.
#[cfg(all(target_arch = "wasm32", not(any(test, feature = "export-abi"))))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(test)]
mod tests;
