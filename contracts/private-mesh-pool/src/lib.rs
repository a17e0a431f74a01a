//! PrivateMeshPool (§5, Phase 2): N private XAU-anchored PMM pools in one
//! contract, one per token (Token↔XAU), with triangulated swaps
//! (TokenA→XAU→TokenB in one call) for the Stabilizer.
//!
//! - **Pools.** The admin registers a pool per token: its oracle, the PMM
//!   `k`, its LP fee, nonzero minimum reserves on both sides, the ramp speed
//!   `maxJumpBps`, the lag guard `maxGapBps` and the oracle's maximum age. A
//!   new token adds exactly one pool; registering a known token again
//!   reconfigures it (its pool count, price, reserves and backend stay).
//! - **Oracle prices** are DODO's guide price `i` for the pool: XAU raw
//!   units per raw unit of the token, 1e18 fixed point
//!   (`IPriceOracle.latestPrice()`). For an 18-decimal XAU and a 6-decimal
//!   token that is the price in XAU per whole token times 1e12.
//! - **Pricing.** A pool prices with `vault_math::pmm` (DODO's PMM, the
//!   token as base, XAU as quote, no maintainer fee) around its effective
//!   price, which ramps toward the oracle by at most `maxJumpBps` of itself
//!   per L2 block ([`vault_math::mesh::ramp`]). An oracle price is
//!   *observed* by a swap or a `poke`: it moves nothing in the L2 block it
//!   is observed and is only ramped toward from the next block on, so an
//!   oracle jump cannot be traded inside its block (no sandwich), and the
//!   effective price changes at most once per block. `OracleJumpTooLarge`
//!   refuses a trade (and a quote) while the oracle is more than
//!   `maxGapBps` away from the ramped price: the pool never trades that far
//!   behind. `poke` (anyone) observes without trading, so the ramp proceeds
//!   while trades are refused.
//! - **Liquidity.** Only liquidity providers deposit and withdraw. As in
//!   DODO's private pools (DPP `reset`), a liquidity change re-centres the
//!   curve: the targets become the reserves and R returns to ONE.
//! - **Swaps.** Only the Stabilizer swaps; one `minAmountOut` covers the
//!   whole route. A pool may use an external DODO private pool (DPP) as its
//!   backend: the input is transferred to it, then `sellBase`/`sellQuote`
//!   pays the next leg or the recipient; the DPP prices that leg itself.
//! - **Minimum reserves.** Neither a leg nor a withdrawal can leave a
//!   recorded reserve below its nonzero minimum.
//!
//! Tokens: ERC-20s that move exactly the amount asked and revert or return
//! `false` on failure; success may return `true` or nothing (USDT-style).
//! Because an empty return counts as success, a token (and XAU) must answer
//! `balanceOf` when its pool is registered (when the contract is
//! constructed), which proves it has code. Fee-on-transfer and rebasing
//! tokens are not supported: the contract holds at least its recorded
//! reserves only for tokens that move exactly the amount asked (the chain
//! property test checks it after every operation).
//!
//! # ABI
//!
//! The interface is declared once, in [`abi::IPrivateMeshPool`] (functions,
//! events, errors), and `src/main.rs` prints that declaration for `abi/`.
//! Calls reach [`PrivateMeshPool::route_call`], the SDK's `#[fallback]`,
//! which dispatches on those selectors (and on the SDK's constructor
//! selector) through `vault_words`, the project's one static-word codec;
//! roles and pause are `vault_access::Roles`.
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
    stylus_core::calls::context::Call,
    ArbResult,
};
use vault_bindings::{ArbSys, IDODOPool, IPriceOracle, ARB_SYS, IERC20};
use vault_math::mesh::{self, Direction, LegError, Minimums, MAX_STORED};
use vault_math::pmm::{PmmState, RState};
use vault_math::{
    fixed::{self, below},
    MathError,
};

use vault_access::Roles;
pub use vault_access::ADMIN_ROLE;
use vault_words::{at, encode, lookup, ret, Entry, Revert, Word};

pub use abi::IPrivateMeshPool::{
    AccessControlBadConfirmation, AccessControlUnauthorizedAccount, ArithmeticOverflow, BackendFailed,
    BackendMismatch, BackendSet, BelowMinAmountOut, ClockUnavailable, EnforcedPause, ExpectedPause,
    LegExecuted, LiquidityDeposited, LiquidityWithdrawn, OracleFailed, OracleJumpTooLarge,
    ParameterOutOfRange, Paused, PoolConfigured, PriceObserved, ReserveBelowMinimum, RoleGranted,
    RoleRevoked, SameToken, StaleOracle, Swap, TransferFailed, UnknownToken, Unpaused, UnsupportedToken,
    ZeroAddress, ZeroAmount,
};

/// Role of the Stabilizer: the only account that may swap.
pub const STABILIZER_ROLE: B256 =
    B256::new(stylus_sdk::keccak_const::Keccak256::new().update(b"STABILIZER_ROLE").finalize());
/// Role of the accounts that add and remove liquidity.
pub const LIQUIDITY_PROVIDER_ROLE: B256 =
    B256::new(stylus_sdk::keccak_const::Keccak256::new().update(b"LIQUIDITY_PROVIDER_ROLE").finalize());
/// Role of the accounts that may pause.
pub const GUARDIAN_ROLE: B256 =
    B256::new(stylus_sdk::keccak_const::Keccak256::new().update(b"GUARDIAN_ROLE").finalize());

/// `1e18`: `k = 1`, and a fee of 100%.
const ONE: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

/// The bounds of the seven `registerPool` parameters, in the order
/// `ParameterOutOfRange` numbers them: 0 `k` (1e18 fixed point, 0–1);
/// 1 the LP fee rate (1e18 fixed point, at most 10%); 2 and 3 the minimum
/// token and XAU reserves (nonzero, at most 2^128 − 1); 4 `maxJumpBps`
/// (1–10,000 bps per L2 block); 5 `maxGapBps` (0–10,000 bps); 6
/// `maxOracleAge` (1 s to a week).
pub const PARAMETER_RANGES: [(U256, U256); 7] = [
    (U256::ZERO, ONE),
    (U256::ZERO, U256::from_limbs([100_000_000_000_000_000, 0, 0, 0])),
    (U256::from_limbs([1, 0, 0, 0]), MAX_STORED),
    (U256::from_limbs([1, 0, 0, 0]), MAX_STORED),
    (U256::from_limbs([1, 0, 0, 0]), U256::from_limbs([10_000, 0, 0, 0])),
    (U256::ZERO, U256::from_limbs([10_000, 0, 0, 0])),
    (U256::from_limbs([1, 0, 0, 0]), U256::from_limbs([604_800, 0, 0, 0])),
];

/// The contract's Solidity interface.
pub mod abi {
    #[allow(unused_imports)]
    use alloc::{borrow::ToOwned, string::String, vec, vec::Vec};

    alloy_sol_types::sol! {
        #![sol(abi)]

        /// The PrivateMeshPool: one private PMM pool per token against XAU.
        /// Roles and pause follow OpenZeppelin's `AccessControl` and
        /// `Pausable` ABI.
        interface IPrivateMeshPool {
            /// A pool was registered (`created`) or reconfigured.
            event PoolConfigured(address indexed token, address oracle, uint256 k, uint256 feeRate, uint256 minTokenReserve, uint256 minXauReserve, uint64 maxJumpBps, uint64 maxGapBps, uint64 maxOracleAge, bool created);
            /// A pool's external DODO private pool was set (zero: internal liquidity).
            event BackendSet(address indexed token, address indexed backend);
            /// Liquidity was added; the reserves after it, which are also the targets.
            event LiquidityDeposited(address indexed token, address indexed provider, uint256 tokenAmount, uint256 xauAmount, uint256 tokenReserve, uint256 xauReserve);
            /// Liquidity was removed to `to`; the reserves after it, which are also the targets.
            event LiquidityWithdrawn(address indexed token, address indexed provider, address indexed to, uint256 tokenAmount, uint256 xauAmount, uint256 tokenReserve, uint256 xauReserve);
            /// `poke` observed the oracle: `price` is the effective price now,
            /// `oraclePrice` the price it ramps toward from the next L2 block.
            event PriceObserved(address indexed token, uint256 price, uint256 oraclePrice, uint64 l2Block);
            /// One pool leg of a swap: internal when `backend` is zero (`price`
            /// is then the effective price it used), else through that DPP
            /// (`price` 0).
            event LegExecuted(address indexed token, address indexed backend, bool sellsToken, uint256 amountIn, uint256 amountOut, uint256 price);
            /// A swap, over one leg or two (triangulated through XAU).
            event Swap(address indexed tokenIn, address indexed tokenOut, address indexed to, uint256 amountIn, uint256 amountOut);
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
            /// The token has no pool (and is not XAU where XAU is allowed).
            error UnknownToken(address token);
            /// Both sides of a swap, or a pool's token and XAU, are the same token.
            error SameToken(address token);
            /// An amount is zero.
            error ZeroAmount();
            /// The route pays less than `minAmountOut`.
            error BelowMinAmountOut(uint256 amountOut, uint256 minAmountOut);
            /// `asset`'s reserve in `token`'s pool (or its DPP) is, or would
            /// end, below `minimum`.
            error ReserveBelowMinimum(address token, address asset, uint256 minimum);
            /// The pool's oracle price is not fresh: older than its maximum
            /// age, or stamped after this block (`updatedAt` above
            /// `block.timestamp`).
            error StaleOracle(address token, uint256 updatedAt);
            /// The pool's ramped price is more than its `maxGapBps` from the oracle.
            error OracleJumpTooLarge(address token, uint256 oraclePrice, uint256 effectivePrice);
            /// The oracle reverted, answered malformed data, or a price of
            /// zero or above 2^128 − 1.
            error OracleFailed(address token, address oracle);
            /// The token does not answer `balanceOf` (it has no code, or is
            /// not an ERC-20).
            error UnsupportedToken(address token);
            /// A `registerPool` parameter is outside its range
            /// (`PARAMETER_RANGES`): 0 `k`, 1 fee rate, 2 minimum token
            /// reserve, 3 minimum XAU reserve, 4 `maxJumpBps`, 5 `maxGapBps`,
            /// 6 `maxOracleAge`.
            error ParameterOutOfRange(uint8 parameter, uint256 value, uint256 min, uint256 max);
            /// A token transfer reverted or returned something else than
            /// nothing or `true`.
            error TransferFailed(address token);
            /// The DPP backend reverted or answered malformed data.
            error BackendFailed(address backend);
            /// The DPP's base and quote are not the token and XAU.
            error BackendMismatch(address token, address backend);
            /// `ArbSys` did not answer the L2 block number.
            error ClockUnavailable();
            /// A PMM formula overflowed or refused its input.
            error ArithmeticOverflow();

            function registerPool(address token, address oracle, uint256 k, uint256 feeRate, uint256 minTokenReserve, uint256 minXauReserve, uint64 maxJumpBps, uint64 maxGapBps, uint64 maxOracleAge) external;
            function setBackend(address token, address backend) external;
            function deposit(address token, uint256 tokenAmount, uint256 xauAmount) external;
            function withdraw(address token, uint256 tokenAmount, uint256 xauAmount, address to) external;
            function swap(address tokenIn, address tokenOut, uint256 amountIn, uint256 minAmountOut, address to) external returns (uint256 amountOut);
            function poke(address token) external returns (uint256 price);
            function quote(address tokenIn, address tokenOut, uint256 amountIn) external view returns (uint256 amountOut);
            function poolState(address token) external view returns (uint256 tokenReserve, uint256 xauReserve, uint256 tokenTarget, uint256 xauTarget, uint8 rState, uint256 price, uint256 observedPrice, uint64 observedBlock);
            function xau() external view returns (address);
            function poolCount() external view returns (uint256);
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

    #[inline(never)]
    fn token(selector: [u8; 4], token: &Address) -> Self {
        Self::new(selector, &[Word::Address(token)])
    }

    fn reserve_below_minimum(token: &Address, asset: &Address, minimum: &U256) -> Self {
        let words = [Word::Address(token), Word::Address(asset), Word::Uint(minimum)];
        Self::new(ReserveBelowMinimum::SELECTOR, &words)
    }
}

/// [`PrivateMeshPool`]'s `globals`: the anchor token (an address word).
const XAU: usize = 0;
/// `globals`: the number of pools.
const POOL_COUNT: usize = 1;

/// Number of storage words per pool.
const POOL_WORDS: usize = 8;

/// PrivateMeshPool storage. A pool is [`POOL_WORDS`] words, read and
/// written whole (see [`PoolData`] for the layout).
#[entrypoint]
#[storage]
pub struct PrivateMeshPool {
    access: Roles,
    /// `[XAU, the number of pools]` (see [`XAU`], [`POOL_COUNT`]).
    globals: StorageArray<StorageU256, 2>,
    pools: StorageMap<Address, StorageArray<StorageU256, POOL_WORDS>>,
}

/// `(tokenReserve, xauReserve, tokenTarget, xauTarget, rState, price,
/// observedPrice, observedBlock)`; `rState` is DODO's (0 `ONE`, 1
/// `ABOVE_ONE`, 2 `BELOW_ONE`).
pub type PoolStateTuple = (U256, U256, U256, U256, u8, U256, U256, u64);

/// The PrivateMeshPool's own interface (the Solidity functions of
/// [`abi::IPrivateMeshPool`], in Rust).
pub trait IPrivateMeshPool {
    /// Registers the pool of `token` against XAU, or reconfigures it. A new
    /// pool (the token must answer `balanceOf`) starts at the oracle's
    /// price, which must be fresh. A reconfiguration keeps the pool's
    /// price, reserves and backend; the price ramps toward a new oracle's,
    /// and raised minimums refuse trades until liquidity meets them.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless admin; `ZeroAddress` for a
    /// zero token or oracle; `SameToken` for XAU itself;
    /// `ParameterOutOfRange` for a parameter out of [`PARAMETER_RANGES`]
    /// (checked in order); for a new pool `UnsupportedToken`,
    /// `OracleFailed`, `StaleOracle`, `ClockUnavailable`.
    ///
    /// # Events
    /// `PoolConfigured`.
    #[allow(clippy::too_many_arguments)]
    fn register_pool(
        &mut self,
        token: Address,
        oracle: Address,
        k: U256,
        fee_rate: U256,
        min_token_reserve: U256,
        min_xau_reserve: U256,
        max_jump_bps: u64,
        max_gap_bps: u64,
        max_oracle_age: u64,
    ) -> Result<(), Error>;

    /// Uses the DODO private pool `backend` (base `token`, quote XAU) for
    /// the swaps of `token` instead of the internal reserves, which stay
    /// and can still be withdrawn; zero returns to internal liquidity.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless admin; `UnknownToken`;
    /// `BackendMismatch` when `backend` does not answer `_BASE_TOKEN_` =
    /// `token` and `_QUOTE_TOKEN_` = XAU.
    ///
    /// # Events
    /// `BackendSet`.
    fn set_backend(&mut self, token: Address, backend: Address) -> Result<(), Error>;

    /// Adds liquidity from the caller (`transferFrom`; approve first). The
    /// targets become the reserves (R = ONE).
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless a liquidity provider;
    /// `EnforcedPause`; `UnknownToken`; `ZeroAmount` when both amounts are
    /// zero; `ArithmeticOverflow` for a reserve above 2^128 − 1;
    /// `TransferFailed`.
    ///
    /// # Events
    /// `LiquidityDeposited`.
    fn deposit(&mut self, token: Address, token_amount: U256, xau_amount: U256) -> Result<(), Error>;

    /// Removes liquidity to `to`. The targets become the reserves (R = ONE).
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless a liquidity provider;
    /// `EnforcedPause`; `UnknownToken`; `ZeroAmount` when both amounts are
    /// zero; `ZeroAddress` for `to`; `ReserveBelowMinimum` when a side it
    /// takes from would end below its minimum (token side first);
    /// `TransferFailed`.
    ///
    /// # Events
    /// `LiquidityWithdrawn`.
    fn withdraw(
        &mut self,
        token: Address,
        token_amount: U256,
        xau_amount: U256,
        to: Address,
    ) -> Result<(), Error>;

    /// Sells `amount_in` of `token_in` (pulled from the caller) for
    /// `token_out`, paid to `to`: one leg when either side is XAU, else
    /// `token_in`→XAU→`token_out` through both pools. Returns the amount paid.
    ///
    /// # Errors
    /// In this order: `AccessControlUnauthorizedAccount` unless the
    /// Stabilizer; `EnforcedPause`; `SameToken`; `ZeroAmount`;
    /// `UnknownToken` (`token_in` first); `ZeroAddress` for `to`;
    /// `ClockUnavailable`; `TransferFailed` for the pull; then per leg
    /// `OracleFailed`, `StaleOracle`, `OracleJumpTooLarge`,
    /// `ReserveBelowMinimum`, `ArithmeticOverflow`, `BackendFailed`,
    /// `TransferFailed`; last `BelowMinAmountOut`.
    ///
    /// # Events
    /// `LegExecuted` per leg, then `Swap`.
    fn swap(
        &mut self,
        token_in: Address,
        token_out: Address,
        amount_in: U256,
        min_amount_out: U256,
        to: Address,
    ) -> Result<U256, Error>;

    /// Observes the oracle of `token`'s pool (anyone may call): the
    /// effective price ramps toward it from the next L2 block on. Returns
    /// the effective price now.
    ///
    /// # Errors
    /// `UnknownToken`; `ClockUnavailable`; `OracleFailed`; `StaleOracle`;
    /// `ArithmeticOverflow`.
    ///
    /// # Events
    /// `PriceObserved`.
    fn poke(&mut self, token: Address) -> Result<U256, Error>;

    /// What `swap` would pay now for `amount_in` (a view for keepers).
    ///
    /// # Errors
    /// As [`IPrivateMeshPool::swap`] from `SameToken` on, without the role,
    /// pause, `to` and transfer checks.
    fn quote(&self, token_in: Address, token_out: Address, amount_in: U256) -> Result<U256, Error>;

    /// The pool's recorded state, see [`PoolStateTuple`].
    ///
    /// # Errors
    /// `UnknownToken`.
    fn pool_state(&self, token: Address) -> Result<PoolStateTuple, Error>;

    /// The anchor token.
    fn xau(&self) -> Address;

    /// The number of pools.
    fn pool_count(&self) -> U256;

    /// Pauses: swaps, deposits and withdrawals are refused.
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
    /// `AccessControlUnauthorizedAccount` unless admin.
    ///
    /// # Events
    /// `RoleGranted` when the account did not hold it.
    fn grant_role(&mut self, role: B256, account: Address) -> Result<(), Error>;

    /// Revokes `role` from `account`.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` unless admin.
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
impl PrivateMeshPool {
    /// Every function of [`abi::IPrivateMeshPool`]: decodes the arguments,
    /// calls the [`IPrivateMeshPool`] method and encodes its return. An
    /// unknown selector or malformed arguments revert with no data, as the
    /// SDK's router does; value sent to it is refused by the SDK first.
    ///
    /// # Errors
    /// The method's revert data.
    #[fallback]
    pub fn route_call(&mut self, calldata: &[u8]) -> ArbResult {
        dispatch(self, calldata).map_err(|error| error.map_or_else(Vec::new, Vec::from))
    }
}

impl IPrivateMeshPool for PrivateMeshPool {
    fn register_pool(
        &mut self,
        token: Address,
        oracle: Address,
        k: U256,
        fee_rate: U256,
        min_token_reserve: U256,
        min_xau_reserve: U256,
        max_jump_bps: u64,
        max_gap_bps: u64,
        max_oracle_age: u64,
    ) -> Result<(), Error> {
        self.access.only_role(ADMIN_ROLE)?;
        if token.is_zero() || oracle.is_zero() {
            return Err(Error::new(ZeroAddress::SELECTOR, &[]));
        }
        if token == self.xau() {
            return Err(Error::token(SameToken::SELECTOR, &token));
        }
        let (jump, gap, age) =
            (U256::from(max_jump_bps), U256::from(max_gap_bps), U256::from(max_oracle_age));
        let values = [&k, &fee_rate, &min_token_reserve, &min_xau_reserve, &jump, &gap, &age];
        for (parameter, (value, (min, max))) in (0u64..).zip(values.into_iter().zip(PARAMETER_RANGES.iter()))
        {
            if below(value, min) || below(max, value) {
                let words = [Word::Small(&parameter), Word::Uint(value), Word::Uint(min), Word::Uint(max)];
                return Err(Error::new(ParameterOutOfRange::SELECTOR, &words));
            }
        }
        let mut pool = self.pool_data(&token);
        let created = pool.oracle.is_zero();
        if created {
            self.check_token(&token)?;
            let price = self.read_oracle(&token, &oracle, max_oracle_age)?;
            (pool.price, pool.observed, pool.block) = (price, price, self.l2_block()?);
            self.set_global(
                POOL_COUNT,
                fixed::add(self.global(POOL_COUNT), U256::from(1u8)).unwrap_or_default(),
            );
        }
        pool.oracle = oracle;
        pool.params.k = k.as_limbs()[0];
        pool.params.fee_rate = fee_rate.as_limbs()[0];
        pool.params.max_jump_bps = max_jump_bps;
        pool.params.max_gap_bps = max_gap_bps;
        pool.params.max_oracle_age = max_oracle_age;
        pool.minimums = Minimums { token: min_token_reserve, xau: min_xau_reserve };
        self.save(&token, &pool);
        self.emit(
            2,
            &[
                Word::Hash(&PoolConfigured::SIGNATURE_HASH),
                Word::Address(&token),
                Word::Address(&oracle),
                Word::Uint(&k),
                Word::Uint(&fee_rate),
                Word::Uint(&min_token_reserve),
                Word::Uint(&min_xau_reserve),
                Word::Small(&max_jump_bps),
                Word::Small(&max_gap_bps),
                Word::Small(&max_oracle_age),
                Word::Small(&u64::from(created)),
            ],
        );
        Ok(())
    }

    fn set_backend(&mut self, token: Address, backend: Address) -> Result<(), Error> {
        self.access.only_role(ADMIN_ROLE)?;
        let mut pool = self.pool(&token)?;
        if !backend.is_zero() {
            let base = self.read(&backend, IDODOPool::_BASE_TOKEN_Call::SELECTOR, &[]);
            let quote = self.read(&backend, IDODOPool::_QUOTE_TOKEN_Call::SELECTOR, &[]);
            let pair = (at(base.as_deref(), 0), at(quote.as_deref(), 0));
            if pair != (Some(word(&token)), Some(word(&self.xau()))) {
                let words = [Word::Address(&token), Word::Address(&backend)];
                return Err(Error::new(BackendMismatch::SELECTOR, &words));
            }
        }
        pool.backend = backend;
        self.save(&token, &pool);
        let words = [Word::Hash(&BackendSet::SIGNATURE_HASH), Word::Address(&token), Word::Address(&backend)];
        self.emit(3, &words);
        Ok(())
    }

    fn deposit(&mut self, token: Address, token_amount: U256, xau_amount: U256) -> Result<(), Error> {
        self.move_liquidity(&token, &token_amount, &xau_amount, None)
    }

    fn withdraw(
        &mut self,
        token: Address,
        token_amount: U256,
        xau_amount: U256,
        to: Address,
    ) -> Result<(), Error> {
        self.move_liquidity(&token, &token_amount, &xau_amount, Some(&to))
    }

    fn swap(
        &mut self,
        token_in: Address,
        token_out: Address,
        amount_in: U256,
        min_amount_out: U256,
        to: Address,
    ) -> Result<U256, Error> {
        self.access.only_role(STABILIZER_ROLE)?;
        self.access.when_not_paused()?;
        let legs = self.route(&token_in, &token_out, &amount_in)?;
        if to.is_zero() {
            return Err(Error::new(ZeroAddress::SELECTOR, &[]));
        }
        let block = self.l2_block()?;
        let (sender, this) = (self.vm().msg_sender(), self.vm().contract_address());
        let pull = [Word::Address(&sender), Word::Address(&this), Word::Uint(&amount_in)];
        self.token_call(&token_in, IERC20::transferFromCall::SELECTOR, &pull)?;
        let mut amount = amount_in;
        for (index, leg) in legs.iter().enumerate() {
            if let Some((token, direction)) = leg {
                // The first leg of two keeps its XAU in the contract for the second.
                let last = index == 1 || legs[1].is_none();
                amount = self.execute_leg(token, *direction, amount, last.then_some(&to), block)?;
            }
        }
        if below(&amount, &min_amount_out) {
            let words = [Word::Uint(&amount), Word::Uint(&min_amount_out)];
            return Err(Error::new(BelowMinAmountOut::SELECTOR, &words));
        }
        self.emit(
            4,
            &[
                Word::Hash(&Swap::SIGNATURE_HASH),
                Word::Address(&token_in),
                Word::Address(&token_out),
                Word::Address(&to),
                Word::Uint(&amount_in),
                Word::Uint(&amount),
            ],
        );
        Ok(amount)
    }

    fn poke(&mut self, token: Address) -> Result<U256, Error> {
        let mut pool = self.pool(&token)?;
        let block = self.l2_block()?;
        let oracle_price = self.observe(&token, &mut pool, block)?;
        self.save(&token, &pool);
        self.emit(
            2,
            &[
                Word::Hash(&PriceObserved::SIGNATURE_HASH),
                Word::Address(&token),
                Word::Uint(&pool.price),
                Word::Uint(&oracle_price),
                Word::Small(&block),
            ],
        );
        Ok(pool.price)
    }

    fn quote(&self, token_in: Address, token_out: Address, amount_in: U256) -> Result<U256, Error> {
        let legs = self.route(&token_in, &token_out, &amount_in)?;
        let block = self.l2_block()?;
        let mut amount = amount_in;
        for (token, direction) in legs.into_iter().flatten() {
            let mut pool = self.pool_data(&token);
            amount = if pool.backend.is_zero() {
                self.plan(&token, &mut pool, direction, &amount, block)?
            } else {
                self.quote_backend(&pool, direction, &amount)?
            };
        }
        Ok(amount)
    }

    fn pool_state(&self, token: Address) -> Result<PoolStateTuple, Error> {
        let p = self.pool(&token)?;
        let s = p.state;
        Ok((s.b, s.q, s.b0, s.q0, r_code(s.r), p.price, p.observed, p.block))
    }

    fn xau(&self) -> Address {
        Address::from_word(self.global(XAU).into())
    }

    fn pool_count(&self) -> U256 {
        self.global(POOL_COUNT)
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

/// The functions the dispatcher knows, in [`FUNCTIONS`] order.
#[derive(Clone, Copy)]
enum Function {
    Constructor,
    RegisterPool,
    SetBackend,
    Deposit,
    Withdraw,
    Swap,
    Poke,
    Quote,
    PoolState,
    Xau,
    PoolCount,
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
const FUNCTIONS: [Entry<Function>; 18] = {
    use abi::IPrivateMeshPool as I;
    use Function as F;
    [
        (CONSTRUCTOR, F::Constructor, 2, 0b11, 0),
        (I::registerPoolCall::SELECTOR, F::RegisterPool, 9, 0b11, 0b1_1100_0000),
        (I::setBackendCall::SELECTOR, F::SetBackend, 2, 0b11, 0),
        (I::depositCall::SELECTOR, F::Deposit, 3, 0b1, 0),
        (I::withdrawCall::SELECTOR, F::Withdraw, 4, 0b1001, 0),
        (I::swapCall::SELECTOR, F::Swap, 5, 0b1_0011, 0),
        (I::pokeCall::SELECTOR, F::Poke, 1, 0b1, 0),
        (I::quoteCall::SELECTOR, F::Quote, 3, 0b11, 0),
        (I::poolStateCall::SELECTOR, F::PoolState, 1, 0b1, 0),
        (I::xauCall::SELECTOR, F::Xau, 0, 0, 0),
        (I::poolCountCall::SELECTOR, F::PoolCount, 0, 0, 0),
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
fn dispatch(pool: &mut PrivateMeshPool, calldata: &[u8]) -> Result<Vec<u8>, Option<Error>> {
    use Function as F;
    let (function, a) = lookup(&FUNCTIONS, calldata).ok_or(None)?;
    let done = |result: Result<(), Error>| result.map(|()| Vec::new()).map_err(Some);
    let uint = |result: Result<U256, Error>| result.map(|value| ret(&[Word::Uint(&value)])).map_err(Some);
    let flag = |value: bool| Ok(ret(&[Word::Small(&u64::from(value))]));
    match function {
        F::Constructor => pool.constructor(a.address(0), a.address(1)).map(|()| Vec::new()),
        F::RegisterPool => done(pool.register_pool(
            a.address(0),
            a.address(1),
            a.uint(2),
            a.uint(3),
            a.uint(4),
            a.uint(5),
            a.small(6),
            a.small(7),
            a.small(8),
        )),
        F::SetBackend => done(pool.set_backend(a.address(0), a.address(1))),
        F::Deposit | F::Withdraw => {
            let to = matches!(function, F::Withdraw).then(|| a.address(3));
            done(pool.move_liquidity(&a.address(0), &a.uint(1), &a.uint(2), to.as_ref()))
        }
        F::Swap => uint(pool.swap(a.address(0), a.address(1), a.uint(2), a.uint(3), a.address(4))),
        F::Poke => uint(pool.poke(a.address(0))),
        F::Quote => uint(pool.quote(a.address(0), a.address(1), a.uint(2))),
        F::PoolState => {
            let p = pool.pool(&a.address(0))?;
            let s = &p.state;
            Ok(ret(&[
                Word::Uint(&s.b),
                Word::Uint(&s.q),
                Word::Uint(&s.b0),
                Word::Uint(&s.q0),
                Word::Small(&u64::from(r_code(s.r))),
                Word::Uint(&p.price),
                Word::Uint(&p.observed),
                Word::Small(&p.block),
            ]))
        }
        F::Xau => Ok(ret(&[Word::Address(&pool.xau())])),
        F::PoolCount => Ok(ret(&[Word::Uint(&pool.pool_count())])),
        F::Pause | F::Unpause => {
            done(pool.access.set_paused(matches!(function, F::Pause), GUARDIAN_ROLE).map_err(Error))
        }
        F::Paused => flag(pool.paused()),
        F::HasRole => flag(pool.has_role(a.hash(0), a.address(1))),
        F::GrantRole | F::RevokeRole => done(
            pool.access
                .admin_set_role(a.hash(0), a.address(1), matches!(function, F::GrantRole))
                .map_err(Error),
        ),
        F::RenounceRole => done(pool.renounce_role(a.hash(0), a.address(1))),
    }
}

impl PrivateMeshPool {
    /// The constructor, `stylus_constructor(address admin, address xau)`:
    /// grants the admin role to `admin` (not to the deployer, which calls
    /// it) and sets the anchor token `xau`, which must answer `balanceOf`.
    /// It runs once: the SDK's router passes it to the fallback (there is
    /// no `#[constructor]`), and a second call finds XAU set and reverts
    /// with no data.
    ///
    /// # Errors
    /// `ZeroAddress` when either is zero; `UnsupportedToken` for an XAU
    /// that does not answer `balanceOf`; `Err(None)` (no data) when
    /// already constructed.
    pub fn constructor(&mut self, admin: Address, xau: Address) -> Result<(), Option<Error>> {
        if !self.global(XAU).is_zero() {
            return Err(None);
        }
        if admin.is_zero() || xau.is_zero() {
            return Err(Some(Error::new(ZeroAddress::SELECTOR, &[])));
        }
        self.check_token(&xau)?;
        self.set_global(XAU, word(&xau));
        self.access.set_role(ADMIN_ROLE, admin, true);
        Ok(())
    }

    /// The pool of `token` as stored (all zero when it has none).
    #[inline(never)]
    fn pool_data(&self, token: &Address) -> PoolData {
        let slots = self.pools.getter(*token);
        let mut words = [U256::ZERO; POOL_WORDS];
        for (index, value) in words.iter_mut().enumerate() {
            *value = slots.get(index).unwrap_or_default();
        }
        PoolData::unpack(&words)
    }

    /// Writes the pool of `token`.
    #[inline(never)]
    fn save(&mut self, token: &Address, pool: &PoolData) {
        let mut slots = self.pools.setter(*token);
        for (index, value) in pool.pack().into_iter().enumerate() {
            if let Some(mut slot) = slots.setter(index) {
                slot.set(value);
            }
        }
    }

    /// `globals[index]`.
    #[inline(never)]
    fn global(&self, index: usize) -> U256 {
        self.globals.get(index).unwrap_or_default()
    }

    /// Sets `globals[index]`.
    #[inline(never)]
    fn set_global(&mut self, index: usize, value: U256) {
        if let Some(mut slot) = self.globals.setter(index) {
            slot.set(value);
        }
    }

    /// The pool of `token`, refused when there is none.
    #[inline(never)]
    fn pool(&self, token: &Address) -> Result<PoolData, Error> {
        let pool = self.pool_data(token);
        if pool.oracle.is_zero() {
            return Err(Error::token(UnknownToken::SELECTOR, token));
        }
        Ok(pool)
    }

    /// The legs of a swap: the pool of `token_in` selling it for XAU, then
    /// the pool of `token_out` selling XAU for it; a side that is XAU has
    /// no leg.
    #[inline(never)]
    fn route(
        &self,
        token_in: &Address,
        token_out: &Address,
        amount_in: &U256,
    ) -> Result<[Option<(Address, Direction)>; 2], Error> {
        if token_in == token_out {
            return Err(Error::token(SameToken::SELECTOR, token_in));
        }
        if amount_in.is_zero() {
            return Err(Error::new(ZeroAmount::SELECTOR, &[]));
        }
        let xau = self.xau();
        let mut legs = [None, None];
        for (leg, (token, direction)) in
            legs.iter_mut().zip([(token_in, Direction::SellToken), (token_out, Direction::SellXau)])
        {
            if *token != xau {
                if self.pool_data(token).oracle.is_zero() {
                    return Err(Error::token(UnknownToken::SELECTOR, token));
                }
                *leg = Some((*token, direction));
            }
        }
        Ok(legs)
    }

    /// Deposits (`to` is `None`) or withdraws `token_amount` and
    /// `xau_amount` of `token`'s pool; the targets become the reserves.
    #[inline(never)]
    fn move_liquidity(
        &mut self,
        token: &Address,
        token_amount: &U256,
        xau_amount: &U256,
        to: Option<&Address>,
    ) -> Result<(), Error> {
        self.access.only_role(LIQUIDITY_PROVIDER_ROLE)?;
        self.access.when_not_paused()?;
        let mut pool = self.pool(token)?;
        if token_amount.is_zero() && xau_amount.is_zero() {
            return Err(Error::new(ZeroAmount::SELECTOR, &[]));
        }
        if to.is_some_and(|to| to.is_zero()) {
            return Err(Error::new(ZeroAddress::SELECTOR, &[]));
        }
        let xau = self.xau();
        let (s, minimums) = (&mut pool.state, &pool.minimums);
        if to.is_some() {
            // A side it takes from stays at or above its minimum.
            s.b = take(token, token, &s.b, token_amount, &minimums.token)?;
            s.q = take(token, &xau, &s.q, xau_amount, &minimums.xau)?;
        } else {
            // Each reserve stays at most 2^128 − 1.
            s.b = stored(&s.b, token_amount)?;
            s.q = stored(&s.q, xau_amount)?;
        }
        (s.b0, s.q0, s.r) = (s.b, s.q, RState::One);
        self.save(token, &pool);
        let (provider, this) = (self.vm().msg_sender(), self.vm().contract_address());
        let s = &pool.state;
        for (asset, amount) in [(token, token_amount), (&xau, xau_amount)] {
            if amount.is_zero() {
                continue;
            }
            if let Some(to) = to {
                self.token_call(
                    asset,
                    IERC20::transferCall::SELECTOR,
                    &[Word::Address(to), Word::Uint(amount)],
                )?;
            } else {
                let words = [Word::Address(&provider), Word::Address(&this), Word::Uint(amount)];
                self.token_call(asset, IERC20::transferFromCall::SELECTOR, &words)?;
            }
        }
        let (token, provider) = (Word::Address(token), Word::Address(&provider));
        let [amount_0, amount_1, reserve_0, reserve_1] =
            [Word::Uint(token_amount), Word::Uint(xau_amount), Word::Uint(&s.b), Word::Uint(&s.q)];
        if let Some(to) = to {
            let signature = Word::Hash(&LiquidityWithdrawn::SIGNATURE_HASH);
            let to = Word::Address(to);
            self.emit(4, &[signature, token, provider, to, amount_0, amount_1, reserve_0, reserve_1]);
        } else {
            let signature = Word::Hash(&LiquidityDeposited::SIGNATURE_HASH);
            self.emit(3, &[signature, token, provider, amount_0, amount_1, reserve_0, reserve_1]);
        }
        Ok(())
    }

    /// The L2 block number from `ArbSys` (never `block.number`, an L1
    /// estimate on Arbitrum).
    #[inline(never)]
    fn l2_block(&self) -> Result<u64, Error> {
        let number = self.read(&ARB_SYS, ArbSys::arbBlockNumberCall::SELECTOR, &[]);
        at(number.as_deref(), 0)
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| Error::new(ClockUnavailable::SELECTOR, &[]))
    }

    /// Refuses a token that does not answer `balanceOf` (so has no code):
    /// a transfer to an address without code would succeed with no data.
    #[inline(never)]
    fn check_token(&self, token: &Address) -> Result<(), Error> {
        if self.holdings(token).is_none() {
            return Err(Error::token(UnsupportedToken::SELECTOR, token));
        }
        Ok(())
    }

    /// The oracle's price: nonzero, at most `2^128 − 1` and fresh (at most
    /// the pool's maximum age old, and not from the future).
    #[inline(never)]
    fn read_oracle(&self, token: &Address, oracle: &Address, max_age: u64) -> Result<U256, Error> {
        let reading = self.read(oracle, IPriceOracle::latestPriceCall::SELECTOR, &[]);
        let (price, updated_at) = match (at(reading.as_deref(), 0), at(reading.as_deref(), 1)) {
            (Some(price), Some(updated_at)) if !price.is_zero() && !below(&MAX_STORED, &price) => {
                (price, updated_at)
            }
            _ => {
                return Err(Error::new(
                    OracleFailed::SELECTOR,
                    &[Word::Address(token), Word::Address(oracle)],
                ))
            }
        };
        // Fresh: at most `max_age` old and not stamped after this block (a
        // stamp from the future would stay fresh forever).
        let now = self.vm().block_timestamp();
        if mesh::is_stale(updated_at, now, max_age) || below(&U256::from(now), &updated_at) {
            return Err(Error::new(StaleOracle::SELECTOR, &[Word::Address(token), Word::Uint(&updated_at)]));
        }
        Ok(price)
    }

    /// Observes the oracle at `block`: the pool's price becomes its price
    /// ramped toward the oracle price observed last, and the oracle's price
    /// now becomes the one to ramp toward. Returns the oracle's price.
    #[inline(never)]
    fn observe(&self, token: &Address, pool: &mut PoolData, block: u64) -> Result<U256, Error> {
        let oracle_price = self.read_oracle(token, &pool.oracle, pool.params.max_oracle_age)?;
        let blocks = block.saturating_sub(pool.block);
        pool.price = mesh::ramp(pool.price, pool.observed, blocks, pool.params.max_jump_bps)?;
        (pool.observed, pool.block) = (oracle_price, block);
        Ok(oracle_price)
    }

    /// Prices an internal leg at `block` and leaves `pool` as it would be
    /// after it. Returns the amount out.
    #[inline(never)]
    fn plan(
        &self,
        token: &Address,
        pool: &mut PoolData,
        direction: Direction,
        amount: &U256,
        block: u64,
    ) -> Result<U256, Error> {
        let oracle_price = self.observe(token, pool, block)?;
        let params = pool.params;
        if mesh::exceeds_gap(pool.price, oracle_price, params.max_gap_bps)? {
            let words = [Word::Address(token), Word::Uint(&oracle_price), Word::Uint(&pool.price)];
            return Err(Error::new(OracleJumpTooLarge::SELECTOR, &words));
        }
        pool.state.i = pool.price;
        match mesh::sell(&pool.state, direction, *amount, U256::from(params.fee_rate), pool.minimums) {
            Ok(outcome) => {
                pool.state = outcome.new_state;
                Ok(outcome.receive)
            }
            Err(LegError::BelowMinimum { xau }) => {
                let (asset, minimum) =
                    if xau { (self.xau(), &pool.minimums.xau) } else { (*token, &pool.minimums.token) };
                Err(Error::reserve_below_minimum(token, &asset, minimum))
            }
            Err(LegError::Math(e)) => Err(e.into()),
        }
    }

    /// The DPP's quote for a leg (`querySellBase`/`querySellQuote`): its
    /// amount out. The DPP prices the leg itself, and the pool's minimum
    /// reserves are not checked against the DPP's (that pre-check was
    /// dropped for size; see the README's size table).
    #[inline(never)]
    fn quote_backend(&self, pool: &PoolData, direction: Direction, amount: &U256) -> Result<U256, Error> {
        let backend = &pool.backend;
        let this = self.vm().contract_address();
        let sells_token = direction == Direction::SellToken;
        let selector = if sells_token {
            IDODOPool::querySellBaseCall::SELECTOR
        } else {
            IDODOPool::querySellQuoteCall::SELECTOR
        };
        // (receive, mtFee, newRState, newTarget).
        let quote = self.read(backend, selector, &[Word::Address(&this), Word::Uint(amount)]);
        // The return has four words; the first is the amount out.
        match (at(quote.as_deref(), 0), at(quote.as_deref(), 3)) {
            (Some(out), Some(_)) => Ok(out),
            _ => Err(Error::token(BackendFailed::SELECTOR, backend)),
        }
    }

    /// Executes one leg: pays `recipient`, or keeps the output in the
    /// contract when it is `None` (the first leg of a triangulated swap), and
    /// returns the amount paid.
    #[inline(never)]
    fn execute_leg(
        &mut self,
        token: &Address,
        direction: Direction,
        amount: U256,
        recipient: Option<&Address>,
        block: u64,
    ) -> Result<U256, Error> {
        let xau = self.xau();
        let sells_token = direction == Direction::SellToken;
        let (asset_in, asset_out) = if sells_token { (token, &xau) } else { (&xau, token) };
        let mut pool = self.pool_data(token);
        let backend = pool.backend;
        let out = if backend.is_zero() {
            let out = self.plan(token, &mut pool, direction, &amount, block)?;
            self.save(token, &pool);
            if let Some(recipient) = recipient {
                let words = [Word::Address(recipient), Word::Uint(&out)];
                self.token_call(asset_out, IERC20::transferCall::SELECTOR, &words)?;
            }
            out
        } else {
            pool.price = U256::ZERO;
            let words = [Word::Address(&backend), Word::Uint(&amount)];
            self.token_call(asset_in, IERC20::transferCall::SELECTOR, &words)?;
            let selector = if sells_token {
                IDODOPool::sellBaseCall::SELECTOR
            } else {
                IDODOPool::sellQuoteCall::SELECTOR
            };
            let this = self.vm().contract_address();
            let to = recipient.unwrap_or(&this);
            let paid = self.vm().call(&Call::new(), backend, &encode(selector, &[Word::Address(to)])).ok();
            at(paid.as_deref(), 0).ok_or_else(|| Error::token(BackendFailed::SELECTOR, &backend))?
        };
        self.emit(
            3,
            &[
                Word::Hash(&LegExecuted::SIGNATURE_HASH),
                Word::Address(token),
                Word::Address(&backend),
                Word::Small(&u64::from(sells_token)),
                Word::Uint(&amount),
                Word::Uint(&out),
                Word::Uint(&pool.price),
            ],
        );
        Ok(out)
    }

    /// Calls an ERC-20 function of `token` (`transfer`, `transferFrom`).
    /// Success is a return of nothing or of a first word equal to 1
    /// (`true`); a revert, `false` or anything else fails. An empty return
    /// is accepted because every token's code was proven by its
    /// `balanceOf` at registration.
    #[inline(never)]
    fn token_call(&mut self, token: &Address, selector: [u8; 4], words: &[Word]) -> Result<(), Error> {
        match self.vm().call(&Call::new(), *token, &encode(selector, words)) {
            Ok(data) if data.is_empty() || at(Some(&data), 0) == Some(U256::from(1u8)) => Ok(()),
            _ => Err(Error::token(TransferFailed::SELECTOR, token)),
        }
    }

    /// The contract's balance of `token`, if it answers.
    #[inline(never)]
    fn holdings(&self, token: &Address) -> Option<U256> {
        let this = self.vm().contract_address();
        at(self.read(token, IERC20::balanceOfCall::SELECTOR, &[Word::Address(&this)]).as_deref(), 0)
    }

    /// Static-calls `selector(words)` on `to` (the selector from a generated
    /// binding); the return data, or `None` when it reverts.
    #[inline(never)]
    fn read(&self, to: &Address, selector: [u8; 4], words: &[Word]) -> Option<Vec<u8>> {
        self.vm().static_call(&Call::new(), *to, &encode(selector, words)).ok()
    }

    /// Emits a log whose first `topics` words are its topics (the event's
    /// signature hash first) and the rest its data, exactly as the event's
    /// `sol!` declaration encodes it.
    #[inline(never)]
    fn emit(&self, topics: usize, words: &[Word]) {
        vault_words::emit(self.vm(), topics, words);
    }
}

/// `reserve + amount`, refused above [`MAX_STORED`].
#[inline(never)]
fn stored(reserve: &U256, amount: &U256) -> Result<U256, Error> {
    fixed::add(*reserve, *amount)
        .ok()
        .filter(|v| !below(&MAX_STORED, v))
        .ok_or_else(|| MathError::Overflow.into())
}

/// `reserve − amount`, refused below `minimum` when `amount` is nonzero.
#[inline(never)]
fn take(
    token: &Address,
    asset: &Address,
    reserve: &U256,
    amount: &U256,
    minimum: &U256,
) -> Result<U256, Error> {
    match fixed::sub(*reserve, *amount).ok() {
        _ if amount.is_zero() => Ok(*reserve),
        Some(left) if !below(&left, minimum) => Ok(left),
        _ => Err(Error::reserve_below_minimum(token, asset, minimum)),
    }
}

/// An address as an ABI word.
#[inline(never)]
fn word(address: &Address) -> U256 {
    U256::from_be_slice(address.as_slice())
}

/// A pool in memory. In storage it is eight words: the oracle, the
/// backend, [`PoolParams`], then four pairs of 128-bit halves (low half
/// first): the minimum token and XAU reserves, the token and XAU reserves
/// (DODO's `B`, `Q`), their targets (`B0`, `Q0`), the effective and the
/// observed oracle price; and last `[observation block, R, 0, 0]`.
#[derive(Clone, Copy)]
struct PoolData {
    /// Zero while the token has no pool.
    oracle: Address,
    /// The external DPP, or zero for internal liquidity.
    backend: Address,
    params: PoolParams,
    minimums: Minimums,
    /// Reserves, targets, R and `k`; `i` is set when a leg is priced.
    state: PmmState,
    /// The effective price at `block`.
    price: U256,
    /// The oracle price observed at `block`, which the price ramps toward.
    observed: U256,
    block: u64,
}

impl PoolData {
    fn unpack(words: &[U256; POOL_WORDS]) -> Self {
        let [oracle, backend, params, minimums, reserves, targets, prices, clock] = words;
        let params = PoolParams::unpack(params);
        let ((min_b, min_q), (b, q), (b0, q0)) = (split(minimums), split(reserves), split(targets));
        let (price, observed) = split(prices);
        let [block, r, ..] = clock.into_limbs();
        let r = match r {
            1 => RState::AboveOne,
            2 => RState::BelowOne,
            _ => RState::One,
        };
        Self {
            oracle: Address::from_word((*oracle).into()),
            backend: Address::from_word((*backend).into()),
            params,
            minimums: Minimums { token: min_b, xau: min_q },
            state: PmmState { i: U256::ZERO, k: U256::from(params.k), b, q, b0, q0, r },
            price,
            observed,
            block,
        }
    }

    fn pack(&self) -> [U256; POOL_WORDS] {
        let s = &self.state;
        [
            word(&self.oracle),
            word(&self.backend),
            self.params.pack(),
            join(&self.minimums.token, &self.minimums.xau),
            join(&s.b, &s.q),
            join(&s.b0, &s.q0),
            join(&self.price, &self.observed),
            U256::from_limbs([self.block, u64::from(r_code(s.r)), 0, 0]),
        ]
    }
}

/// DODO's number for an R state: 0 `ONE`, 1 `ABOVE_ONE`, 2 `BELOW_ONE`.
fn r_code(r: RState) -> u8 {
    match r {
        RState::One => 0,
        RState::AboveOne => 1,
        RState::BelowOne => 2,
    }
}

/// A pool's parameters, packed into one word:
/// `[k, feeRate, maxJumpBps | maxGapBps << 16, maxOracleAge]`.
#[derive(Clone, Copy)]
struct PoolParams {
    k: u64,
    fee_rate: u64,
    max_jump_bps: u64,
    max_gap_bps: u64,
    max_oracle_age: u64,
}

impl PoolParams {
    fn pack(self) -> U256 {
        let small = self.max_jump_bps | (self.max_gap_bps << 16);
        U256::from_limbs([self.k, self.fee_rate, small, self.max_oracle_age])
    }

    fn unpack(word: &U256) -> Self {
        let [k, fee_rate, small, max_oracle_age] = word.into_limbs();
        Self {
            k,
            fee_rate,
            max_jump_bps: small & 0xFFFF,
            max_gap_bps: (small >> 16) & 0xFFFF,
            max_oracle_age,
        }
    }
}

/// `(low, high)` 128-bit halves of a word.
fn split(word: &U256) -> (U256, U256) {
    let [a, b, c, d] = word.into_limbs();
    (U256::from_limbs([a, b, 0, 0]), U256::from_limbs([c, d, 0, 0]))
}

/// Two values of at most 128 bits in one word, `low` first.
fn join(low: &U256, high: &U256) -> U256 {
    let ([a, b, ..], [c, d, ..]) = (low.into_limbs(), high.into_limbs());
    U256::from_limbs([a, b, c, d])
}

/// Aborts on panic: no message formatting code is linked into the wasm.
#[cfg(all(target_arch = "wasm32", not(any(test, feature = "export-abi"))))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(test)]
mod tests;
