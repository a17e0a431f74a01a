//! Shared by the DODO fixtures' tests on the in-process chain: the
//! DODO-exact fixtures' cross-checks against `vault_math::pmm::dodo`
//! (`dodo_exact_cross_check.rs` for `DodoDspPool`, `dodo_dpp.rs` for
//! `DodoDppPool`), `dodo_crossing.rs` and `dodo_sizing_overshoot.rs`: the
//! fixtures' interfaces and artifacts, the accounts, deploying and calling
//! them, the case count, the tests' own division, the random pools'
//! parameters and trades, and the comparison of a pool's answer, revert or
//! views with the model's.

#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use alloy_primitives::{address, Address, U256};
use alloy_sol_types::{sol, Revert, SolCall, SolConstructor, SolError};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use vault_chain::artifacts::Artifact;
use vault_chain::{CallOutcome, World};
use vault_math::pmm::dodo::{self, DodoError, DodoResult, Sell};
use vault_math::pmm::{PmmState, RState};

sol! {
    /// OpenZeppelin's ERC-20 refusal of a transfer above the balance.
    error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);

    contract TestToken {
        constructor(string name, string symbol, uint8 decimals, address initialHolder, uint256 initialSupply);
        function transfer(address to, uint256 amount) external returns (bool);
        function approve(address spender, uint256 amount) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
    }

    contract DodoFeeRateModel {
        constructor(address owner, uint256 defaultRate);
        function setTraderRate(address trader, uint256 rate) external;
    }

    /// What DODO V2's pools (`DodoDspPool`, `DodoDppPool`) and the
    /// DODO-compatible `PmmPool` have alike.
    contract DodoPool {
        function sellBase(address to) external returns (uint256 receiveQuoteAmount);
        function sellQuote(address to) external returns (uint256 receiveBaseAmount);
        function querySellBase(address trader, uint256 payBaseAmount) external view returns (uint256 receiveQuoteAmount, uint256 mtFee, uint8 newRState, uint256 newBaseTarget);
        function querySellQuote(address trader, uint256 payQuoteAmount) external view returns (uint256 receiveBaseAmount, uint256 mtFee, uint8 newRState, uint256 newQuoteTarget);
        function getPMMStateForCall() external view returns (uint256 i, uint256 K, uint256 B, uint256 Q, uint256 B0, uint256 Q0, uint256 R);
        function getMidPrice() external view returns (uint256 midPrice);
        function getVaultReserve() external view returns (uint256 baseReserve, uint256 quoteReserve);
        function _BASE_TARGET_() external view returns (uint112);
        function _QUOTE_TARGET_() external view returns (uint112);
        function _RState_() external view returns (uint32);
        function _BASE_PRICE_CUMULATIVE_LAST_() external view returns (uint256);
        function _BLOCK_TIMESTAMP_LAST_() external view returns (uint32);
    }

    /// `DodoDspPool`'s own functions (the rest are [`DodoPool`]'s).
    contract DodoDspPool {
        constructor(address maintainer, address baseTokenAddress, address quoteTokenAddress, uint256 lpFeeRate, address mtFeeRateModel, uint256 i, uint256 k, bool isOpenTWAP);
        function buyShares(address to) external returns (uint256 shares, uint256 baseInput, uint256 quoteInput);
        function sync() external;
        function sellShares(uint256 shareAmount, address to, uint256 baseMinAmount, uint256 quoteMinAmount, bytes data, uint256 deadline) external returns (uint256 baseAmount, uint256 quoteAmount);
        function totalSupply() external view returns (uint256);
        function balanceOf(address owner) external view returns (uint256);
        function _QUOTE_TOKEN_() external view returns (address);
    }
}

/// Deploys the tokens, the fee models and the pools.
pub const OWNER: Address = address!("00000000000000000000000000000000000a11ce");
pub const TRADER: Address = address!("0000000000000000000000000000000000007ade");
/// Where a pool's maintainer fees go.
pub const MAINTAINER: Address = address!("000000000000000000000000000000000000fee5");

/// Pools (proptest cases) per run of a cross-check at least.
pub const MIN_POOLS: u32 = 1_500;

pub const E18: u128 = 1_000_000_000_000_000_000;

/// `PROPTEST_CASES` (10,000 when unset), as the math crate's property tests.
pub fn proptest_cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}

/// Pools per run of a cross-check: `max(PROPTEST_CASES / 8, MIN_POOLS)`.
pub fn pools_per_run() -> u32 {
    (proptest_cases() / 8).max(MIN_POOLS)
}

pub fn u(v: u128) -> U256 {
    U256::from(v)
}

pub fn pow10(e: u32) -> U256 {
    U256::from(10u8).pow(U256::from(e))
}

/// `floor(a / d)` by shift-and-subtract (`d > 0`): the test's own division,
/// independent of the code under test and of ruint's `/` (not trusted in
/// optimised builds: see the math crate's division tests).
pub fn qdiv(a: U256, d: U256) -> U256 {
    let mut q = U256::ZERO;
    let mut r = U256::ZERO;
    for bit in (0..256).rev() {
        r = (r << 1) | U256::from(u8::from(a.bit(bit)));
        if r >= d {
            r -= d;
            q.set_bit(bit, true);
        }
    }
    q
}

/// `floor(x · ppm / 1e6)`.
pub fn ppm_of(x: U256, ppm: u64) -> U256 {
    qdiv(x * U256::from(ppm), U256::from(1_000_000u32))
}

/// `m · 10^e` whole tokens of a token with `decimals` (at least one unit).
pub fn tokens(m: u64, e: i32, decimals: u8) -> U256 {
    let exp = e + i32::from(decimals);
    let m = U256::from(m);
    if exp >= 0 {
        m * pow10(exp.unsigned_abs())
    } else {
        qdiv(m, pow10(exp.unsigned_abs())).max(U256::from(1u8))
    }
}

// ----------------------------------------------------------------- chain

/// A fixture's artifact, loaded once per test binary.
pub fn artifact(name: &'static str) -> &'static Artifact {
    static LOADED: Mutex<BTreeMap<&str, &'static Artifact>> = Mutex::new(BTreeMap::new());
    let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&artifact) = loaded.get(name) {
        return artifact;
    }
    let artifact: &'static Artifact =
        Box::leak(Box::new(Artifact::load(name).unwrap_or_else(|e| panic!("{e}"))));
    loaded.insert(name, artifact);
    artifact
}

/// A call's decoded return, or its revert data (a failure other than a
/// revert panics).
pub fn outcome<C: SolCall>(out: &CallOutcome) -> Result<C::Return, Vec<u8>> {
    if out.success {
        Ok(C::abi_decode_returns(&out.return_data, true).expect("returns decode"))
    } else {
        assert!(out.error.is_none(), "{} failed outside a revert: {out:?}", C::SIGNATURE);
        Err(out.return_data.clone())
    }
}

/// Calls `to` with `data` from `from`; panics unless it succeeds.
pub fn call_ok(world: &mut World, from: Address, to: Address, data: &[u8], what: &str) -> CallOutcome {
    let out = world.call(from, to, data, U256::ZERO);
    assert!(out.success, "{what} failed: {out:?}");
    out
}

/// Sends `call` to `to` from `from`; panics unless it succeeds.
pub fn send<C: SolCall>(world: &mut World, from: Address, to: Address, call: &C) -> C::Return {
    let out = call_ok(world, from, to, &call.abi_encode(), C::SIGNATURE);
    C::abi_decode_returns(&out.return_data, true).expect("returns decode")
}

/// A view of `to`, called by the trader: its return or its revert data.
pub fn try_view<C: SolCall>(world: &mut World, to: Address, call: &C) -> Result<C::Return, Vec<u8>> {
    outcome::<C>(&world.static_call(TRADER, to, &call.abi_encode()))
}

/// A view of `to` that must not revert.
pub fn view<C: SolCall>(world: &mut World, to: Address, call: &C) -> C::Return {
    try_view(world, to, call)
        .unwrap_or_else(|data| panic!("{} reverts with {}", C::SIGNATURE, describe(&data)))
}

/// `holder`'s balance of `token`.
pub fn balance_of(world: &mut World, token: Address, holder: Address) -> U256 {
    view(world, token, &TestToken::balanceOfCall { account: holder })._0
}

/// A pool on its own chain, seen by the trader.
pub trait OnChain {
    fn world(&mut self) -> &mut World;
    fn pool(&self) -> Address;

    /// A view of the pool: its return or its revert data.
    fn view<C: SolCall>(&mut self, call: &C) -> Result<C::Return, Vec<u8>> {
        let pool = self.pool();
        try_view(self.world(), pool, call)
    }

    /// `holder`'s balance of `token`.
    fn balance(&mut self, token: Address, holder: Address) -> U256 {
        balance_of(self.world(), token, holder)
    }
}

/// Deploys (as [`OWNER`]) a `TestToken` minting `supply` to `holder`.
pub fn deploy_token(
    world: &mut World,
    name: String,
    symbol: &str,
    decimals: u8,
    holder: Address,
    supply: U256,
) -> Address {
    let args = TestToken::constructorCall {
        name,
        symbol: symbol.to_owned(),
        decimals,
        initialHolder: holder,
        initialSupply: supply,
    }
    .abi_encode();
    artifact("TestToken").deploy(world, OWNER, &args).expect("TestToken deploys")
}

/// Deploys (as [`OWNER`], its owner) a `DodoFeeRateModel` whose maintainer
/// rate is `default_rate` for everyone.
pub fn deploy_fee_model(world: &mut World, default_rate: U256) -> Address {
    let args = DodoFeeRateModel::constructorCall { owner: OWNER, defaultRate: default_rate }.abi_encode();
    artifact("DodoFeeRateModel").deploy(world, OWNER, &args).expect("fee model deploys")
}

/// Deploys (as [`OWNER`]) a `DodoDspPool` of `(base, quote)` with maintainer
/// [`MAINTAINER`] and the maintainer rate of `fee_model`.
pub fn deploy_dsp(
    world: &mut World,
    (base, quote): (Address, Address),
    fee_model: Address,
    lp_fee: U256,
    i: U256,
    k: U256,
    open_twap: bool,
) -> Address {
    let args = DodoDspPool::constructorCall {
        maintainer: MAINTAINER,
        baseTokenAddress: base,
        quoteTokenAddress: quote,
        lpFeeRate: lp_fee,
        mtFeeRateModel: fee_model,
        i,
        k,
        isOpenTWAP: open_twap,
    }
    .abi_encode();
    artifact("DodoDspPool").deploy(world, OWNER, &args).expect("DodoDspPool deploys")
}

/// Tokens in a pool beyond its reserves, as the model follows them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pending {
    pub base: U256,
    pub quote: U256,
}

impl Pending {
    pub fn is_zero(&self) -> bool {
        self.base.is_zero() && self.quote.is_zero()
    }

    /// A refused sale's input (base when `sell_base`), left in the pool.
    pub fn add(&mut self, sell_base: bool, amount: U256) {
        if sell_base {
            self.base += amount;
        } else {
            self.quote += amount;
        }
    }
}

/// A block timestamp as a pool stores it (`uint32`).
pub fn timestamp32(now: u64) -> u32 {
    u32::try_from(now % (1u64 << 32)).expect("fits")
}

/// A pool's TWAP accumulator as the model follows it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Twap {
    pub cumulative: U256,
    pub timestamp_last: u32,
}

impl Twap {
    /// `_twapUpdate` after the reserves were set to `state` (when the TWAP
    /// is open).
    pub fn update(&mut self, state: &PmmState, now: u64, open: bool) -> DodoResult<()> {
        if open {
            let (c, t) = dodo::twap_update(state, self.cumulative, self.timestamp_last, timestamp32(now))?;
            self.cumulative = c;
            self.timestamp_last = t;
        }
        Ok(())
    }
}

// ------------------------------------------------------------ strategies

pub fn decimals_strategy() -> impl Strategy<Value = u8> {
    prop_oneof![Just(6u8), Just(18u8)]
}

/// A human price `m · 10^e` with the decimals difference folded in (as DODO
/// stores `i`), or any `i` in `[1, 1e36]`.
pub fn i_strategy(base_decimals: u8, quote_decimals: u8) -> impl Strategy<Value = U256> {
    let shift = 18 + i32::from(quote_decimals) - i32::from(base_decimals);
    prop_oneof![
        6 => (1u64..1_000, -6i32..=3).prop_map(move |(m, e)| U256::from(m) * pow10((e + shift).unsigned_abs())),
        1 => (1u64..1_000_000, 0u32..=30).prop_map(|(m, e)| (U256::from(m) * pow10(e)).min(pow10(36))),
        1 => prop_oneof![Just(U256::from(1u8)), Just(pow10(36))],
    ]
}

pub fn k_strategy() -> impl Strategy<Value = U256> {
    prop_oneof![
        1 => Just(U256::ZERO),
        1 => Just(u(E18)),
        1 => prop_oneof![Just(u(E18 / 10_000)), Just(u(E18 / 10)), Just(u(E18 - 1))],
        5 => (0..=E18).prop_map(U256::from),
    ]
}

/// `(lpFeeRate, mtFeeRate)`.
pub fn fee_strategy() -> impl Strategy<Value = (U256, U256)> {
    prop_oneof![
        1 => Just((U256::ZERO, U256::ZERO)),
        4 => (0..=E18 / 100, 0..=E18 / 200).prop_map(|(lp, mt)| (u(lp), u(mt))),
    ]
}

pub fn reserve_strategy(decimals: u8) -> impl Strategy<Value = U256> {
    prop_oneof![
        9 => (1u64..1_000, -3i32..=6).prop_map(move |(m, e)| tokens(m, e, decimals)),
        1 => (1u64..100_000).prop_map(U256::from),
    ]
}

#[derive(Clone, Debug)]
pub struct Trade {
    pub sell_base: bool,
    pub size: Size,
    /// Seconds waited before the trade.
    pub wait: u64,
}

#[derive(Clone, Debug)]
pub enum Size {
    Zero,
    /// Parts per million of the reserve of the token sold.
    OfReserve(u64),
    /// `m · 10^e` whole tokens of the token sold.
    Tokens(u64, i32),
    /// The back-to-one amount plus an offset (the side that brings R back).
    BackToOne(i8),
    /// Any amount below 2^bits.
    Raw(U256),
}

pub fn size_strategy() -> impl Strategy<Value = Size> {
    prop_oneof![
        1 => Just(Size::Zero),
        6 => (1u64..=3_000_000).prop_map(Size::OfReserve),
        6 => (1u64..1_000, -6i32..=7).prop_map(|(m, e)| Size::Tokens(m, e)),
        4 => (-2i8..=2).prop_map(Size::BackToOne),
        1 => (0usize..=120, any::<[u64; 4]>()).prop_map(|(bits, limbs)| {
            Size::Raw(U256::from_limbs(limbs) & ((U256::from(1u8) << bits) - U256::from(1u8)))
        }),
    ]
}

pub fn wait_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), 1u64..=86_400]
}

pub fn trade_strategy() -> impl Strategy<Value = Trade> {
    (any::<bool>(), size_strategy(), wait_strategy()).prop_map(|(sell_base, size, wait)| Trade {
        sell_base,
        size,
        wait,
    })
}

/// The side and the amount of `trade` on the stored state `s` (a
/// back-to-one trade picks the side that brings R back to one).
pub fn resolve(trade: &Trade, s: &PmmState, base_decimals: u8, quote_decimals: u8) -> (bool, U256) {
    let side = trade.sell_base;
    let reserve = if side { s.b } else { s.q };
    let decimals = if side { base_decimals } else { quote_decimals };
    match trade.size {
        Size::Zero => (side, U256::ZERO),
        Size::OfReserve(ppm) => (side, ppm_of(reserve, ppm).max(U256::from(1u8))),
        Size::Tokens(m, e) => (side, tokens(m, e, decimals)),
        Size::Raw(x) => (side, x),
        Size::BackToOne(offset) => {
            let adjusted = dodo::pmm_state(s).unwrap_or(*s);
            let (side, pay) = match s.r {
                RState::One => (side, U256::ZERO),
                RState::AboveOne => (true, adjusted.b0.saturating_sub(adjusted.b)),
                RState::BelowOne => (false, adjusted.q0.saturating_sub(adjusted.q)),
            };
            let delta = U256::from(offset.unsigned_abs());
            (side, if offset < 0 { pay.saturating_sub(delta) } else { pay + delta })
        }
    }
}

// ----------------------------------------------------------- comparisons

/// Whether revert data is the pool's revert for a model error: DODO's
/// reason string, or the token's own refusal of a transfer above the
/// balance.
pub fn revert_data_matches(data: &[u8], expected: DodoError) -> bool {
    if expected == DodoError::TransferExceedsBalance {
        return data.get(..4) == Some(&ERC20InsufficientBalance::SELECTOR[..]);
    }
    Revert::abi_decode(data, true).is_ok_and(|r| r.reason == expected.reason())
}

/// Revert data as its reason string, or as hex.
pub fn describe(data: &[u8]) -> String {
    Revert::abi_decode(data, true)
        .map_or_else(|_| format!("0x{}", alloy_primitives::hex::encode(data)), |r| r.reason)
}

/// A pool result against the model's: equal values, or the same revert.
pub fn same<T: PartialEq + std::fmt::Debug>(
    what: &str,
    pool: Result<T, Vec<u8>>,
    model: DodoResult<T>,
) -> Result<(), TestCaseError> {
    match (pool, model) {
        (Ok(p), Ok(m)) => prop_assert_eq!(p, m, "{}", what),
        (Err(data), Err(e)) => {
            prop_assert!(
                revert_data_matches(&data, e),
                "{} reverts with {}, model {:?}",
                what,
                describe(&data),
                e
            );
        }
        (Ok(p), Err(e)) => {
            prop_assert!(false, "{}: pool returns {:?}, model refuses with {:?}", what, p, e);
        }
        (Err(data), Ok(m)) => {
            prop_assert!(false, "{}: pool reverts with {}, model returns {:?}", what, describe(&data), m);
        }
    }
    Ok(())
}

// ------------------------------------------------------------ pool checks

/// The reserves, the stored targets and R of `pool` against the model's
/// stored state `s`.
pub fn check_reserves_and_targets(
    world: &mut World,
    pool: Address,
    s: &PmmState,
) -> Result<(), TestCaseError> {
    let reserve =
        try_view(world, pool, &DodoPool::getVaultReserveCall {}).map(|r| (r.baseReserve, r.quoteReserve));
    same("getVaultReserve", reserve, Ok((s.b, s.q)))?;
    let b0 = try_view(world, pool, &DodoPool::_BASE_TARGET_Call {}).map(|r| U256::from(r._0));
    let q0 = try_view(world, pool, &DodoPool::_QUOTE_TARGET_Call {}).map(|r| U256::from(r._0));
    let r_state = try_view(world, pool, &DodoPool::_RState_Call {}).map(|r| r._0);
    let expected = (Ok(s.b0), Ok(s.q0), Ok(u32::from(dodo::r_state_code(s.r))));
    same("stored targets and R", Ok((b0, q0, r_state)), Ok(expected))
}

/// `getPMMStateForCall`, `getMidPrice` and the TWAP accumulator of `pool`
/// against the model's stored state `s` and `twap`.
pub fn check_state_price_and_twap(
    world: &mut World,
    pool: Address,
    s: &PmmState,
    twap: Twap,
) -> Result<(), TestCaseError> {
    let state = try_view(world, pool, &DodoPool::getPMMStateForCallCall {})
        .map(|r| (r.i, r.K, r.B, r.Q, r.B0, r.Q0, r.R));
    let expected =
        dodo::pmm_state(s).map(|a| (a.i, a.k, a.b, a.q, a.b0, a.q0, U256::from(dodo::r_state_code(a.r))));
    same("getPMMStateForCall", state, expected)?;
    let mid = try_view(world, pool, &DodoPool::getMidPriceCall {}).map(|r| r.midPrice);
    same("getMidPrice", mid, dodo::pool_mid_price(s))?;
    let cumulative = try_view(world, pool, &DodoPool::_BASE_PRICE_CUMULATIVE_LAST_Call {}).map(|r| r._0);
    let last = try_view(world, pool, &DodoPool::_BLOCK_TIMESTAMP_LAST_Call {}).map(|r| r._0);
    let expected = (Ok(twap.cumulative), Ok(twap.timestamp_last));
    same("TWAP accumulator", Ok((cumulative, last)), Ok(expected))
}

/// `querySellBase` and `querySellQuote` of `amount` on `pool` against the
/// model's on the stored state `s`, with the LP and maintainer rates.
pub fn check_queries(
    world: &mut World,
    pool: Address,
    s: &PmmState,
    amount: U256,
    (lp, mt): (U256, U256),
) -> Result<(), TestCaseError> {
    let got = try_view(world, pool, &DodoPool::querySellBaseCall { trader: TRADER, payBaseAmount: amount })
        .map(|r| (r.receiveQuoteAmount, r.mtFee, r.newRState, r.newBaseTarget));
    let model = dodo::query_sell_base(s, amount, lp, mt)
        .map(|q| (q.receive, q.mt_fee, dodo::r_state_code(q.new_r), q.new_target));
    same("querySellBase", got, model)?;
    let got = try_view(world, pool, &DodoPool::querySellQuoteCall { trader: TRADER, payQuoteAmount: amount })
        .map(|r| (r.receiveBaseAmount, r.mtFee, r.newRState, r.newQuoteTarget));
    let model = dodo::query_sell_quote(s, amount, lp, mt)
        .map(|q| (q.receive, q.mt_fee, dodo::r_state_code(q.new_r), q.new_target));
    same("querySellQuote", got, model)
}

/// The model's sale of `amount` of base (`sell_base`) or quote on the
/// stored state `s`, with the LP and maintainer rates.
pub fn model_sell(s: &PmmState, sell_base: bool, amount: U256, (lp, mt): (U256, U256)) -> DodoResult<Sell> {
    if sell_base {
        dodo::sell_base(s, amount, lp, mt)
    } else {
        dodo::sell_quote(s, amount, lp, mt)
    }
}

/// The trader's `sellBase` (`sell_base`) or `sellQuote` of `amount` on
/// `pool`, its input already transferred in: the return and what the trader
/// and the maintainer receive of `token_out` must be the model's
/// `(receive, mt_fee)`, or the revert the model's refusal.
pub fn sell_and_check(
    world: &mut World,
    pool: Address,
    token_out: Address,
    sell_base: bool,
    amount: U256,
    expected: Result<(U256, U256), DodoError>,
) -> Result<(), TestCaseError> {
    let trader_before = balance_of(world, token_out, TRADER);
    let maintainer_before = balance_of(world, token_out, MAINTAINER);
    let data = if sell_base {
        DodoPool::sellBaseCall { to: TRADER }.abi_encode()
    } else {
        DodoPool::sellQuoteCall { to: TRADER }.abi_encode()
    };
    let out = world.call(TRADER, pool, &data, U256::ZERO);
    let what = if sell_base { "sellBase" } else { "sellQuote" };
    match expected {
        Ok((receive, mt_fee)) => {
            prop_assert!(out.success, "{} of {} reverts with {}", what, amount, describe(&out.return_data));
            prop_assert_eq!(U256::from_be_slice(&out.return_data), receive, "{} returns", what);
            let trader_after = balance_of(world, token_out, TRADER);
            let maintainer_after = balance_of(world, token_out, MAINTAINER);
            prop_assert_eq!(trader_after - trader_before, receive, "trader receives");
            prop_assert_eq!(maintainer_after - maintainer_before, mt_fee, "maintainer receives");
        }
        Err(e) => {
            prop_assert!(!out.success, "{} of {} succeeds; the model refuses with {:?}", what, amount, e);
            prop_assert!(out.error.is_none(), "{} fails outside a revert: {:?}", what, out);
            prop_assert!(
                revert_data_matches(&out.return_data, e),
                "{} reverts with {}, model {:?}",
                what,
                describe(&out.return_data),
                e
            );
        }
    }
    Ok(())
}

/// A cross-check's run: [`pools_per_run`] cases of `strategy` (no failure
/// persistence), each added to the total by `add`; panics when `fixture`
/// and the model disagree. The total, the number of cases and the time
/// taken.
pub fn run_pools<S: Strategy, T: Default>(
    fixture: &str,
    strategy: &S,
    add: impl Fn(&mut T, S::Value) -> Result<(), TestCaseError>,
) -> (T, u32, Duration) {
    let cases = pools_per_run();
    let config = ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() };
    let total = RefCell::new(T::default());
    let started = Instant::now();
    let result = TestRunner::new(config).run(strategy, |case| add(&mut total.borrow_mut(), case));
    if let Err(e) = result {
        panic!("{fixture} and vault_math::pmm::dodo disagree: {e}");
    }
    (total.into_inner(), cases, started.elapsed())
}

/// Adds counts by key.
pub fn add_counts<K: Ord + Clone>(total: &mut BTreeMap<K, u64>, other: &BTreeMap<K, u64>) {
    for (k, v) in other {
        *total.entry(k.clone()).or_default() += v;
    }
}

/// Trades counted: all, by R before them (one, above one, below one), those
/// that changed R, and those refused (by both) by reason.
#[derive(Clone, Debug, Default)]
pub struct TradeCounts {
    pub trades: u64,
    pub from_r: [u64; 3],
    pub r_changes: u64,
    pub refused: BTreeMap<&'static str, u64>,
}

impl TradeCounts {
    pub fn add(&mut self, other: &Self) {
        self.trades += other.trades;
        for (a, b) in self.from_r.iter_mut().zip(other.from_r) {
            *a += b;
        }
        self.r_changes += other.r_changes;
        add_counts(&mut self.refused, &other.refused);
    }

    /// A trade from R `from`: R after it, or the model's refusal.
    pub fn count(&mut self, from: RState, after: Result<RState, DodoError>) {
        self.trades += 1;
        self.from_r[usize::from(dodo::r_state_code(from))] += 1;
        match after {
            Ok(r) if r != from => self.r_changes += 1,
            Ok(_) => {}
            Err(e) => *self.refused.entry(e.reason()).or_default() += 1,
        }
    }
}

// ------------------------------------------------------------------- ABI

/// A JSON file of the repository, by its path from the root.
pub fn repo_json(path: &str) -> serde_json::Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    serde_json::from_str(&std::fs::read_to_string(root.join(path)).expect(path)).expect(path)
}

/// `type`, with tuples spelled out, as in a canonical signature.
pub fn canonical(param: &serde_json::Value) -> String {
    let ty = param["type"].as_str().expect("type");
    match ty.strip_prefix("tuple") {
        Some(suffix) => {
            let parts: Vec<String> =
                param["components"].as_array().expect("components").iter().map(canonical).collect();
            format!("({}){suffix}", parts.join(","))
        }
        None => ty.to_owned(),
    }
}

/// Name, input types, output types, read-only or not, and indexed flags.
pub fn entry_shape(entry: &serde_json::Value) -> String {
    let list = |key: &str| -> Vec<String> {
        entry[key].as_array().map(|ps| ps.iter().map(canonical).collect()).unwrap_or_default()
    };
    let indexed: Vec<bool> = entry["inputs"]
        .as_array()
        .map(|ps| ps.iter().map(|p| p["indexed"].as_bool().unwrap_or(false)).collect())
        .unwrap_or_default();
    let read_only = matches!(entry["stateMutability"].as_str(), Some("view" | "pure"));
    format!(
        "{}({}) -> ({}) read-only {read_only} indexed {indexed:?}",
        entry["name"],
        list("inputs").join(","),
        list("outputs").join(",")
    )
}

pub fn abi_entries(value: &serde_json::Value, kind: &str) -> BTreeMap<String, String> {
    value
        .as_array()
        .expect("an ABI array")
        .iter()
        .filter(|e| e["type"] == kind)
        .map(|e| (e["name"].as_str().expect("name").to_owned(), entry_shape(e)))
        .collect()
}
