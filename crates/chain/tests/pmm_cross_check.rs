//! The `PmmPool` fixture against `vault_math::pmm`, to the wei, on the
//! in-process chain.
//!
//! Each case deploys two `TestToken`s (6 or 18 decimals) and a `PmmPool`,
//! puts the pool in a PMM state (the owner's `deposit` at R = ONE, or any
//! state through `sync` and the owner's `setTargets`), then runs a sequence
//! of trades, each after a random wait. Before every trade both
//! `querySellBase` and `querySellQuote` are compared with Rust's
//! `sell_base` / `sell_quote` on the pool's state. The trade itself is a
//! transfer of the input to the pool followed by `sellBase` / `sellQuote`:
//! it must pay the trader and the maintainer exactly what Rust says, leave
//! exactly Rust's new reserves, stored targets and R, and revert with
//! Rust's error exactly when Rust refuses. After the setup and after every
//! trade, `getMidPrice`, `getPMMStateForCall` and the TWAP accumulator are
//! compared with Rust's `mid_price` and `adjusted_target`.
//!
//! A refused sell leaves its input in the pool; the model carries it, as
//! the pool does: the next sell of that token sells it too, and a sell of
//! the other token takes it into the reserves.
//!
//! A run is `max(PROPTEST_CASES / 10, 1,000)` pools (proptest cases) of
//! [`TRADES_PER_CASE`] trades each: 8,000 trades at the default
//! `PROPTEST_CASES` of 10,000, about 10 s in the test profile.

use std::cell::Cell;
use std::sync::OnceLock;

use alloy_primitives::{address, Address, U256};
use alloy_sol_types::{sol, SolCall, SolConstructor, SolError};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use vault_chain::artifacts::Artifact;
use vault_chain::World;
use vault_math::pmm::{self, PmmState, RState};
use vault_math::{MathError, MathResult};

mod dodo_support;
use dodo_support::DodoPool;

sol! {
    contract TestToken {
        constructor(string name, string symbol, uint8 decimals, address initialHolder, uint256 initialSupply);
        function mint(address to, uint256 amount) external;
        function transfer(address to, uint256 amount) external returns (bool);
        function approve(address spender, uint256 amount) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
    }

    contract PmmPool {
        constructor(address owner, address maintainer, address baseToken, address quoteToken, uint256 lpFeeRate, uint256 mtFeeRate, uint256 i, uint256 k, bool isOpenTWAP);
        function deposit(uint256 baseAmount, uint256 quoteAmount) external;
        function sync() external;
        function setTargets(uint256 baseTarget, uint256 quoteTarget, uint8 rState) external;

        error MathOverflow();
        error MathUnderflow();
        error MathDivisionByZero();
        error MathInvalidInput();
        error ReserveOverflow();
    }
}

const OWNER: Address = address!("00000000000000000000000000000000000a11ce");
const TRADER: Address = address!("0000000000000000000000000000000000007ade");
const MAINTAINER: Address = address!("000000000000000000000000000000000000fee5");

/// Trades in one case (one pool).
const TRADES_PER_CASE: u32 = 8;
/// Pools (proptest cases) per run at least.
const MIN_POOLS: u32 = 1_000;
/// What the trader holds of each token: any trade size below it can be paid.
const TRADER_FUNDS_BITS: usize = 250;

const E18: u128 = 1_000_000_000_000_000_000;

/// `PROPTEST_CASES` (10,000 when unset), as the math crate's property tests.
fn proptest_cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}

/// Pools per run: a tenth of `PROPTEST_CASES`, at least [`MIN_POOLS`].
fn pools_per_run() -> u32 {
    (proptest_cases() / 10).max(MIN_POOLS)
}

fn u(v: u128) -> U256 {
    U256::from(v)
}

fn pow10(e: u32) -> U256 {
    U256::from(10u8).pow(U256::from(e))
}

fn uint112_max() -> U256 {
    (U256::from(1u8) << 112) - U256::from(1u8)
}

fn artifact(name: &'static str) -> &'static Artifact {
    static TOKEN: OnceLock<Artifact> = OnceLock::new();
    static POOL: OnceLock<Artifact> = OnceLock::new();
    let cell = match name {
        "TestToken" => &TOKEN,
        "PmmPool" => &POOL,
        _ => unreachable!("no artifact {name} here"),
    };
    cell.get_or_init(|| Artifact::load(name).unwrap_or_else(|e| panic!("{e}")))
}

fn r_code(r: RState) -> u8 {
    match r {
        RState::One => 0,
        RState::AboveOne => 1,
        RState::BelowOne => 2,
    }
}

// ------------------------------------------------------------------ cases

/// A pool and the trades run on it.
#[derive(Clone, Debug)]
struct Case {
    base_decimals: u8,
    quote_decimals: u8,
    i: U256,
    k: U256,
    lp_fee: U256,
    mt_fee: U256,
    open_twap: bool,
    start: Start,
    trades: Vec<Trade>,
}

/// How the pool gets its first state.
#[derive(Clone, Debug)]
enum Start {
    /// The owner's `deposit` of both amounts: R = ONE, targets = reserves.
    Deposit { base: U256, quote: U256 },
    /// Tokens minted to the pool, `sync`, then the owner's `setTargets`:
    /// any state, also outside the formulas' domain.
    Raw { b: U256, q: U256, b0: U256, q0: U256, r: RState },
}

#[derive(Clone, Debug)]
struct Trade {
    sell_base: bool,
    size: Size,
    /// Seconds the chain advances before the trade (moves the TWAP).
    wait: u64,
}

/// A trade size, resolved against the pool when the trade runs.
#[derive(Clone, Debug)]
enum Size {
    Zero,
    /// Parts per million of the reserve of the token sold.
    OfReserve(u64),
    /// `m · 10^e` whole tokens of the token sold (`e` may be negative).
    Tokens(u64, i32),
    /// Rust's `back_to_one_pay` plus an offset, in the token that brings R
    /// back to ONE (the given side at R = ONE).
    BackToOne(i8),
    /// Any amount the trader can pay.
    Raw(U256),
}

/// `m · 10^e` whole tokens with `decimals`, at least 1 wei.
fn tokens(m: u64, e: i32, decimals: u8) -> U256 {
    let exp = e + i32::from(decimals);
    let m = U256::from(m);
    if exp >= 0 {
        m * pow10(exp.unsigned_abs())
    } else {
        (m / pow10(exp.unsigned_abs())).max(U256::from(1u8))
    }
}

fn decimals_strategy() -> impl Strategy<Value = u8> {
    prop_oneof![Just(6u8), Just(18u8)]
}

/// Human price `m · 10^e` (quote per base) in 1e18 fixed point, as DODO
/// stores it: with the decimals difference folded in. Now and then an
/// arbitrary `i`.
fn i_strategy(base_decimals: u8, quote_decimals: u8) -> impl Strategy<Value = U256> {
    let shift = 18 + i32::from(quote_decimals) - i32::from(base_decimals);
    prop_oneof![
        8 => (1u64..1_000, -6i32..=3).prop_map(move |(m, e)| {
            let exp = e + shift;
            U256::from(m) * pow10(exp.unsigned_abs())
        }),
        1 => (1u128..=u128::MAX).prop_map(U256::from),
        1 => (1u64..1_000_000).prop_map(U256::from),
    ]
}

fn k_strategy() -> impl Strategy<Value = U256> {
    prop_oneof![
        1 => Just(U256::ZERO),
        1 => Just(u(E18)),
        1 => prop_oneof![Just(u(E18 / 10_000)), Just(u(E18 / 1_000)), Just(u(E18 / 100))],
        5 => (0..=E18).prop_map(U256::from),
    ]
}

fn fee_strategy() -> impl Strategy<Value = (U256, U256)> {
    prop_oneof![
        1 => Just((U256::ZERO, U256::ZERO)),
        1 => Just((u(E18 / 10_000), U256::ZERO)),
        4 => (0..=E18 / 100, 0..=E18 / 200).prop_map(|(lp, mt)| (u(lp), u(mt))),
    ]
}

fn r_strategy() -> impl Strategy<Value = RState> {
    prop_oneof![Just(RState::One), Just(RState::AboveOne), Just(RState::BelowOne)]
}

/// Reserves of 1e-3 to ~1e9 whole tokens; now and then a few wei.
fn reserve_strategy(decimals: u8) -> impl Strategy<Value = U256> {
    prop_oneof![
        9 => (1u64..1_000, -3i32..=6).prop_map(move |(m, e)| tokens(m, e, decimals)),
        1 => (1u64..1_000).prop_map(U256::from),
    ]
}

/// `x · ppm / 1e6`.
fn part(x: U256, ppm: u64) -> U256 {
    x * U256::from(ppm) / U256::from(1_000_000u64)
}

fn start_strategy(base_decimals: u8, quote_decimals: u8) -> impl Strategy<Value = Start> {
    let deposit = (reserve_strategy(base_decimals), reserve_strategy(quote_decimals))
        .prop_map(|(base, quote)| Start::Deposit { base, quote });
    // Targets around the reserves: sometimes zero, sometimes on the wrong
    // side of them, most often on the side the R state needs.
    let raw = (
        reserve_strategy(base_decimals),
        reserve_strategy(quote_decimals),
        0u64..=1_200_000,
        0u64..=1_200_000,
        r_strategy(),
        any::<bool>(),
    )
        .prop_map(|(b, q, pb, pq, r, excess_side_fixed)| {
            let (b0, q0) = (part(b, pb), part(q, pq));
            // Mostly put the stored target of the excess side at or below
            // its reserve, so that most raw states price.
            let (b0, q0) = match (excess_side_fixed, r) {
                (true, RState::BelowOne) => (b0.min(b).max(U256::from(1u8)), q0),
                (true, RState::AboveOne) => (b0, q0.min(q).max(U256::from(1u8))),
                _ => (b0, q0),
            };
            Start::Raw { b, q, b0, q0, r }
        });
    prop_oneof![3 => deposit, 2 => raw]
}

fn size_strategy() -> impl Strategy<Value = Size> {
    prop_oneof![
        1 => Just(Size::Zero),
        6 => (1u64..=3_000_000).prop_map(Size::OfReserve),
        6 => (1u64..1_000, -6i32..=7).prop_map(|(m, e)| Size::Tokens(m, e)),
        3 => (-2i8..=2).prop_map(Size::BackToOne),
        1 => (prop_oneof![3 => 0usize..=112, 1 => 113..TRADER_FUNDS_BITS], any::<[u64; 4]>()).prop_map(
            |(bits, limbs)| Size::Raw(U256::from_limbs(limbs) & ((U256::from(1u8) << bits) - U256::from(1u8)))
        ),
    ]
}

fn trade_strategy() -> impl Strategy<Value = Trade> {
    (any::<bool>(), size_strategy(), prop_oneof![Just(0u64), 1u64..=86_400])
        .prop_map(|(sell_base, size, wait)| Trade { sell_base, size, wait })
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (decimals_strategy(), decimals_strategy()).prop_flat_map(|(bd, qd)| {
        (
            i_strategy(bd, qd),
            k_strategy(),
            fee_strategy(),
            any::<bool>(),
            start_strategy(bd, qd),
            proptest::collection::vec(trade_strategy(), TRADES_PER_CASE as usize),
        )
            .prop_map(move |(i, k, (lp_fee, mt_fee), open_twap, start, trades)| Case {
                base_decimals: bd,
                quote_decimals: qd,
                i,
                k,
                lp_fee,
                mt_fee,
                open_twap,
                start,
                trades,
            })
    })
}

// ------------------------------------------------------------------ model

/// Why the pool refuses: a `MathError` or the 112-bit storage bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    Math(MathError),
    ReserveOverflow,
}

fn refusal_of(revert_data: &[u8]) -> Option<Refusal> {
    let selector: [u8; 4] = revert_data.get(..4)?.try_into().ok()?;
    Some(match selector {
        PmmPool::MathOverflow::SELECTOR => Refusal::Math(MathError::Overflow),
        PmmPool::MathUnderflow::SELECTOR => Refusal::Math(MathError::Underflow),
        PmmPool::MathDivisionByZero::SELECTOR => Refusal::Math(MathError::DivisionByZero),
        PmmPool::MathInvalidInput::SELECTOR => Refusal::Math(MathError::InvalidInput),
        PmmPool::ReserveOverflow::SELECTOR => Refusal::ReserveOverflow,
        _ => return None,
    })
}

/// What `querySell*` returns: receive, maintainer fee, new R and the
/// input side's regularised target (the stored one unless the sell walks
/// back toward ONE).
fn expected_query(
    state: &PmmState,
    sell_base: bool,
    amount: U256,
    lp: U256,
    mt: U256,
) -> MathResult<(U256, U256, u8, U256)> {
    let o = if sell_base {
        pmm::sell_base(state, amount, lp, mt)?
    } else {
        pmm::sell_quote(state, amount, lp, mt)?
    };
    let target = match (sell_base, state.r) {
        (true, RState::AboveOne) if !amount.is_zero() => pmm::adjusted_target(state)?.b0,
        (false, RState::BelowOne) if !amount.is_zero() => pmm::adjusted_target(state)?.q0,
        (true, _) => state.b0,
        (false, _) => state.q0,
    };
    Ok((o.receive, o.mt_fee, r_code(o.new_state.r), target))
}

/// `getPMMStateForCall`: the stored state at R = ONE, else regularised.
fn expected_pmm_state(state: &PmmState) -> MathResult<PmmState> {
    if state.r == RState::One {
        Ok(*state)
    } else {
        pmm::adjusted_target(state)
    }
}

/// What the pool holds and has stored, as the model sees it.
#[derive(Clone, Debug)]
struct Model {
    /// Reserves, stored targets and R.
    state: PmmState,
    /// Input left in the pool by refused sells (balance − reserve).
    pending_base: U256,
    pending_quote: U256,
    cumulative: U256,
    timestamp_last: u32,
}

/// The result of a sell the pool accepts.
struct Accepted {
    receive: U256,
    mt_fee: U256,
    next: Model,
}

impl Model {
    /// The pool's `sellBase` / `sellQuote` after `amount` more of the input
    /// was sent to it, at time `now`.
    fn sell(
        &self,
        sell_base: bool,
        amount: U256,
        lp: U256,
        mt: U256,
        now: u64,
        open_twap: bool,
    ) -> Result<Accepted, Refusal> {
        let s = &self.state;
        let pending = if sell_base { self.pending_base } else { self.pending_quote };
        let input = amount + pending;
        let o = if sell_base { pmm::sell_base(s, input, lp, mt) } else { pmm::sell_quote(s, input, lp, mt) }
            .map_err(Refusal::Math)?;
        let mut state = o.new_state;
        // The other token's pending input joins its reserve.
        if sell_base {
            state.q += self.pending_quote;
        } else {
            state.b += self.pending_base;
        }
        let max = uint112_max();
        if state.r != s.r && (state.b0 > max || state.q0 > max) {
            return Err(Refusal::ReserveOverflow);
        }
        if state.b > max || state.q > max {
            return Err(Refusal::ReserveOverflow);
        }
        let mut next = Model {
            state,
            pending_base: U256::ZERO,
            pending_quote: U256::ZERO,
            cumulative: self.cumulative,
            timestamp_last: self.timestamp_last,
        };
        if open_twap {
            next.twap(now)?;
        }
        Ok(Accepted { receive: o.receive, mt_fee: o.mt_fee, next })
    }

    /// The pool's `_twapUpdate` after its reserves were set.
    fn twap(&mut self, now: u64) -> Result<(), Refusal> {
        let now32 = u32::try_from(now % (1u64 << 32)).expect("fits");
        let elapsed = now32.wrapping_sub(self.timestamp_last);
        if elapsed > 0 && !self.state.b.is_zero() && !self.state.q.is_zero() {
            let mid = pmm::mid_price(&self.state).map_err(Refusal::Math)?;
            self.cumulative = self.cumulative.wrapping_add(mid.wrapping_mul(U256::from(elapsed)));
        }
        self.timestamp_last = now32;
        Ok(())
    }
}

// ------------------------------------------------------------------- pool

/// Counts for the report.
#[derive(Clone, Copy, Debug, Default)]
struct Stats {
    trades: u64,
    /// Trades by the R state they start from (ONE, above, below).
    from_r: [u64; 3],
    /// Accepted trades that changed R.
    r_changes: u64,
    /// Refused trades: overflow, underflow, division by zero, invalid
    /// input, 112-bit bound.
    refused: [u64; 5],
    queries: u64,
    /// Pool states compared (after the setup and after every trade).
    states: u64,
}

impl Stats {
    fn add(&mut self, other: &Stats) {
        self.trades += other.trades;
        for (a, b) in self.from_r.iter_mut().zip(other.from_r) {
            *a += b;
        }
        self.r_changes += other.r_changes;
        for (a, b) in self.refused.iter_mut().zip(other.refused) {
            *a += b;
        }
        self.queries += other.queries;
        self.states += other.states;
    }

    fn refused_total(&self) -> u64 {
        self.refused.iter().sum()
    }
}

/// A deployed pool with its tokens, and the model it must follow.
struct Deployed {
    world: World,
    base: Address,
    quote: Address,
    pool: Address,
    lp: U256,
    mt: U256,
    open_twap: bool,
    base_decimals: u8,
    quote_decimals: u8,
    model: Model,
    stats: Stats,
}

fn call_ok(world: &mut World, from: Address, to: Address, data: &[u8], what: &str) {
    let out = world.call(from, to, data, U256::ZERO);
    assert!(out.success, "{what} failed: {out:?}");
}

impl Deployed {
    fn open(case: &Case) -> Self {
        let mut world = World::new();
        let funds = U256::from(1u8) << TRADER_FUNDS_BITS;
        let mut token = |symbol: &str, decimals: u8| {
            let args = TestToken::constructorCall {
                name: format!("Test {symbol}"),
                symbol: symbol.to_owned(),
                decimals,
                initialHolder: TRADER,
                initialSupply: funds,
            }
            .abi_encode();
            artifact("TestToken").deploy(&mut world, OWNER, &args).expect("TestToken deploys")
        };
        let base = token("BASE", case.base_decimals);
        let quote = token("QUOTE", case.quote_decimals);
        let args = PmmPool::constructorCall {
            owner: OWNER,
            maintainer: MAINTAINER,
            baseToken: base,
            quoteToken: quote,
            lpFeeRate: case.lp_fee,
            mtFeeRate: case.mt_fee,
            i: case.i,
            k: case.k,
            isOpenTWAP: case.open_twap,
        }
        .abi_encode();
        let pool = artifact("PmmPool").deploy(&mut world, OWNER, &args).expect("PmmPool deploys");
        let mint = |to: Address, amount: U256| TestToken::mintCall { to, amount }.abi_encode();
        let state = match case.start {
            Start::Deposit { base: b, quote: q } => {
                call_ok(&mut world, OWNER, base, &mint(OWNER, b), "mint base");
                call_ok(&mut world, OWNER, quote, &mint(OWNER, q), "mint quote");
                let approve = TestToken::approveCall { spender: pool, amount: U256::MAX }.abi_encode();
                call_ok(&mut world, OWNER, base, &approve, "approve base");
                call_ok(&mut world, OWNER, quote, &approve, "approve quote");
                let deposit = PmmPool::depositCall { baseAmount: b, quoteAmount: q }.abi_encode();
                call_ok(&mut world, OWNER, pool, &deposit, "deposit");
                PmmState { i: case.i, k: case.k, b, q, b0: b, q0: q, r: RState::One }
            }
            Start::Raw { b, q, b0, q0, r } => {
                call_ok(&mut world, OWNER, base, &mint(pool, b), "mint base");
                call_ok(&mut world, OWNER, quote, &mint(pool, q), "mint quote");
                call_ok(&mut world, TRADER, pool, &PmmPool::syncCall {}.abi_encode(), "sync");
                let targets = PmmPool::setTargetsCall { baseTarget: b0, quoteTarget: q0, rState: r_code(r) }
                    .abi_encode();
                call_ok(&mut world, OWNER, pool, &targets, "setTargets");
                PmmState { i: case.i, k: case.k, b, q, b0, q0, r }
            }
        };
        let timestamp_last = u32::try_from(world.block().timestamp % (1u64 << 32)).expect("fits");
        let model = Model {
            state,
            pending_base: U256::ZERO,
            pending_quote: U256::ZERO,
            cumulative: U256::ZERO,
            timestamp_last,
        };
        Self {
            world,
            base,
            quote,
            pool,
            lp: case.lp_fee,
            mt: case.mt_fee,
            open_twap: case.open_twap,
            base_decimals: case.base_decimals,
            quote_decimals: case.quote_decimals,
            model,
            stats: Stats::default(),
        }
    }

    /// A view of the pool: decoded returns, or the revert data.
    fn view<C: SolCall>(&mut self, call: &C) -> Result<C::Return, Vec<u8>> {
        let out = self.world.static_call(TRADER, self.pool, &call.abi_encode());
        if out.success {
            Ok(C::abi_decode_returns(&out.return_data, true).expect("returns decode"))
        } else {
            assert!(out.error.is_none(), "{} failed outside a revert: {out:?}", C::SIGNATURE);
            Err(out.return_data)
        }
    }

    fn balance(&mut self, token: Address, holder: Address) -> U256 {
        let out =
            self.world.static_call(TRADER, token, &TestToken::balanceOfCall { account: holder }.abi_encode());
        assert!(out.success, "balanceOf failed: {out:?}");
        TestToken::balanceOfCall::abi_decode_returns(&out.return_data, true).expect("uint256")._0
    }

    /// Compares a pool result with Rust's: equal values, or a revert with
    /// Rust's error.
    fn same<T: PartialEq + std::fmt::Debug>(
        what: &str,
        pool: Result<T, Vec<u8>>,
        rust: Result<T, Refusal>,
    ) -> Result<(), TestCaseError> {
        match (pool, rust) {
            (Ok(p), Ok(r)) => prop_assert_eq!(p, r, "{}", what),
            (Err(data), Err(r)) => prop_assert_eq!(refusal_of(&data), Some(r), "{} reverts", what),
            (Ok(p), Err(r)) => {
                prop_assert!(false, "{}: pool returns {:?}, Rust refuses with {:?}", what, p, r);
            }
            (Err(data), Ok(r)) => {
                prop_assert!(
                    false,
                    "{}: pool reverts with {:?}, Rust returns {:?}",
                    what,
                    refusal_of(&data),
                    r
                );
            }
        }
        Ok(())
    }

    /// Every view that must follow the model.
    fn check_views(&mut self) -> Result<(), TestCaseError> {
        let s = self.model.state;
        let reserve = self.view(&DodoPool::getVaultReserveCall {}).map(|r| (r.baseReserve, r.quoteReserve));
        Self::same("getVaultReserve", reserve, Ok((s.b, s.q)))?;
        let b0 = self.view(&DodoPool::_BASE_TARGET_Call {}).map(|r| U256::from(r._0));
        let q0 = self.view(&DodoPool::_QUOTE_TARGET_Call {}).map(|r| U256::from(r._0));
        let r = self.view(&DodoPool::_RState_Call {}).map(|r| r._0);
        Self::same(
            "stored targets and R",
            Ok((b0, q0, r)),
            Ok((Ok(s.b0), Ok(s.q0), Ok(u32::from(r_code(s.r))))),
        )?;
        let state =
            self.view(&DodoPool::getPMMStateForCallCall {}).map(|r| (r.i, r.K, r.B, r.Q, r.B0, r.Q0, r.R));
        let expected = expected_pmm_state(&s)
            .map(|a| (a.i, a.k, a.b, a.q, a.b0, a.q0, U256::from(r_code(a.r))))
            .map_err(Refusal::Math);
        Self::same("getPMMStateForCall", state, expected)?;
        let mid = self.view(&DodoPool::getMidPriceCall {}).map(|r| r.midPrice);
        Self::same("getMidPrice", mid, pmm::mid_price(&s).map_err(Refusal::Math))?;
        self.stats.states += 1;
        let cumulative = self.view(&DodoPool::_BASE_PRICE_CUMULATIVE_LAST_Call {}).map(|r| r._0);
        let last = self.view(&DodoPool::_BLOCK_TIMESTAMP_LAST_Call {}).map(|r| r._0);
        Self::same(
            "TWAP accumulator",
            Ok((cumulative, last)),
            Ok((Ok(self.model.cumulative), Ok(self.model.timestamp_last))),
        )
    }

    /// Both queries for `amount`, against Rust on the stored state.
    fn check_queries(&mut self, amount: U256) -> Result<(), TestCaseError> {
        let s = self.model.state;
        let base = self
            .view(&DodoPool::querySellBaseCall { trader: TRADER, payBaseAmount: amount })
            .map(|r| (r.receiveQuoteAmount, r.mtFee, r.newRState, r.newBaseTarget));
        let rust = expected_query(&s, true, amount, self.lp, self.mt).map_err(Refusal::Math);
        Self::same("querySellBase", base, rust)?;
        let quote = self
            .view(&DodoPool::querySellQuoteCall { trader: TRADER, payQuoteAmount: amount })
            .map(|r| (r.receiveBaseAmount, r.mtFee, r.newRState, r.newQuoteTarget));
        let rust = expected_query(&s, false, amount, self.lp, self.mt).map_err(Refusal::Math);
        Self::same("querySellQuote", quote, rust)?;
        self.stats.queries += 2;
        Ok(())
    }

    /// The amount and side a [`Trade`] stands for in the current state.
    fn resolve(&self, trade: &Trade) -> (bool, U256) {
        let s = &self.model.state;
        let reserve = |sell_base: bool| if sell_base { s.b } else { s.q };
        let decimals = |sell_base: bool| if sell_base { self.base_decimals } else { self.quote_decimals };
        let side = trade.sell_base;
        match trade.size {
            Size::Zero => (side, U256::ZERO),
            Size::OfReserve(ppm) => (side, part(reserve(side), ppm).max(U256::from(1u8))),
            Size::Tokens(m, e) => (side, tokens(m, e, decimals(side))),
            Size::Raw(x) => (side, x),
            Size::BackToOne(offset) => {
                let side = match s.r {
                    RState::One => side,
                    RState::AboveOne => true,
                    RState::BelowOne => false,
                };
                let pay = pmm::back_to_one_pay(s).unwrap_or(U256::ZERO);
                let delta = U256::from(offset.unsigned_abs());
                let amount = if offset < 0 { pay.saturating_sub(delta) } else { pay + delta };
                (side, amount)
            }
        }
    }

    /// Transfer-first sell of `amount`, compared with the model.
    fn sell(&mut self, sell_base: bool, amount: U256) -> Result<(), TestCaseError> {
        let now = self.world.block().timestamp;
        let expected = self.model.sell(sell_base, amount, self.lp, self.mt, now, self.open_twap);
        let (token_in, token_out) = if sell_base { (self.base, self.quote) } else { (self.quote, self.base) };
        let transfer = TestToken::transferCall { to: self.pool, amount }.abi_encode();
        call_ok(&mut self.world, TRADER, token_in, &transfer, "transfer of the input");
        let trader_before = self.balance(token_out, TRADER);
        let maintainer_before = self.balance(token_out, MAINTAINER);
        let data = if sell_base {
            DodoPool::sellBaseCall { to: TRADER }.abi_encode()
        } else {
            DodoPool::sellQuoteCall { to: TRADER }.abi_encode()
        };
        let out = self.world.call(TRADER, self.pool, &data, U256::ZERO);
        let what = if sell_base { "sellBase" } else { "sellQuote" };
        self.stats.trades += 1;
        self.stats.from_r[usize::from(r_code(self.model.state.r))] += 1;
        match expected {
            Ok(accepted) => {
                prop_assert!(
                    out.success,
                    "{} of {} reverts ({:?}): {:?}",
                    what,
                    amount,
                    refusal_of(&out.return_data),
                    out
                );
                let returned = U256::from_be_slice(&out.return_data);
                prop_assert_eq!(out.return_data.len(), 32);
                prop_assert_eq!(returned, accepted.receive, "{} returns", what);
                let trader_after = self.balance(token_out, TRADER);
                let maintainer_after = self.balance(token_out, MAINTAINER);
                prop_assert_eq!(trader_after - trader_before, accepted.receive, "trader receives");
                prop_assert_eq!(maintainer_after - maintainer_before, accepted.mt_fee, "maintainer receives");
                if accepted.next.state.r != self.model.state.r {
                    self.stats.r_changes += 1;
                }
                self.model = accepted.next;
            }
            Err(refusal) => {
                prop_assert!(
                    !out.success,
                    "{} of {} succeeds; Rust refuses with {:?}",
                    what,
                    amount,
                    refusal
                );
                prop_assert!(out.error.is_none(), "{} fails outside a revert: {:?}", what, out);
                prop_assert_eq!(refusal_of(&out.return_data), Some(refusal), "{} reverts", what);
                self.stats.refused[match refusal {
                    Refusal::Math(MathError::Overflow) => 0,
                    Refusal::Math(MathError::Underflow) => 1,
                    Refusal::Math(MathError::DivisionByZero) => 2,
                    Refusal::Math(MathError::InvalidInput) => 3,
                    Refusal::ReserveOverflow => 4,
                }] += 1;
                if sell_base {
                    self.model.pending_base += amount;
                } else {
                    self.model.pending_quote += amount;
                }
            }
        }
        self.check_views()
    }

    fn step(&mut self, trade: &Trade) -> Result<(), TestCaseError> {
        if trade.wait > 0 {
            self.world.advance(trade.wait);
        }
        let (sell_base, amount) = self.resolve(trade);
        self.check_queries(amount)?;
        self.sell(sell_base, amount)
    }
}

/// Runs one case; returns the pool after it.
fn run_case(case: &Case) -> Result<Deployed, TestCaseError> {
    let mut pool = Deployed::open(case);
    pool.check_views()?;
    for trade in &case.trades {
        pool.step(trade)?;
    }
    Ok(pool)
}

#[test]
fn pool_matches_rust_math_to_the_wei() {
    let cases = pools_per_run();
    let config = ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() };
    let total = Cell::new(Stats::default());
    let started = std::time::Instant::now();
    let result = TestRunner::new(config).run(&case_strategy(), |case| {
        let mut t = total.get();
        t.add(&run_case(&case)?.stats);
        total.set(t);
        Ok(())
    });
    if let Err(e) = result {
        panic!("PmmPool and vault_math::pmm disagree: {e}");
    }
    let t = total.get();
    eprintln!(
        "{cases} pools, {} trades (from R one/above/below: {:?}; {} changed R; refused by both: {} \
         [overflow, underflow, division by zero, invalid input, 112-bit bound: {:?}]), \
         {} queries, {} states compared, in {:.1?}",
        t.trades,
        t.from_r,
        t.r_changes,
        t.refused_total(),
        t.refused,
        t.queries,
        t.states,
        started.elapsed()
    );
    assert_eq!(t.trades, u64::from(cases * TRADES_PER_CASE));
}

// ------------------------------------------------------------ regressions

fn at_one(case_i: U256, k: U256, b: U256, q: U256, lp_fee: U256, mt_fee: U256, trades: Vec<Trade>) -> Case {
    Case {
        base_decimals: 18,
        quote_decimals: 18,
        i: case_i,
        k,
        lp_fee,
        mt_fee,
        open_twap: true,
        start: Start::Deposit { base: b, quote: q },
        trades,
    }
}

fn tokens_trade(sell_base: bool, m: u64, e: i32) -> Trade {
    Trade { sell_base, size: Size::Tokens(m, e), wait: 0 }
}

fn run(case: &Case) -> Deployed {
    run_case(case).unwrap_or_else(|e| panic!("{e}\n{case:#?}"))
}

/// The worked example of crates/math (i = 1, k = ½, 100/100, sell 100
/// base with 0.3% + 0.1% fees): the pool pays the hand-derived amounts.
#[test]
fn worked_example_from_r_one() {
    let case = at_one(
        u(E18),
        u(E18 / 2),
        u(100 * E18),
        u(100 * E18),
        u(3 * E18 / 1000),
        u(E18 / 1000),
        vec![tokens_trade(true, 100, 0)],
    );
    let mut pool = Deployed::open(&case);
    pool.check_queries(u(100 * E18)).unwrap();
    let q = pool
        .view(&DodoPool::querySellBaseCall { trader: TRADER, payBaseAmount: u(100 * E18) })
        .expect("query");
    assert_eq!(q.receiveQuoteAmount, u(58_344_329_187_639_733_138));
    assert_eq!(q.mtFee, u(58_578_643_762_690_495));
    assert_eq!(q.newRState, 2);
    run(&case);
}

/// From R above one: one wei short of the back-to-one amount, exactly it,
/// and one wei more (R stays, becomes ONE, passes to below one).
#[test]
fn back_to_one_edges() {
    for (offset, r) in [(-1i8, RState::AboveOne), (0, RState::One), (1, RState::BelowOne)] {
        let mut case = at_one(
            u(2 * E18),
            u(E18 / 3),
            u(1_000 * E18),
            u(2_000 * E18),
            u(E18 / 1000),
            u(E18 / 5000),
            vec![],
        );
        case.trades = vec![
            Trade { sell_base: false, size: Size::Tokens(300, 0), wait: 10 },
            Trade { sell_base: true, size: Size::BackToOne(offset), wait: 10 },
        ];
        let mut pool = run(&case);
        assert_eq!(pool.model.state.r, r);
        pool.step(&Trade { sell_base: true, size: Size::Tokens(7, 0), wait: 10 }).unwrap();
        assert_eq!(pool.model.state.r, RState::BelowOne);
    }
    // k = 0 above one (crates/math `r_transitions_from_above_one`): B0
    // regularises to 100; sells of 4, 10 and 15 base.
    for (amount, receive, r) in
        [(4u64, 4u64, RState::AboveOne), (10, 10, RState::One), (15, 15, RState::BelowOne)]
    {
        let case = Case {
            base_decimals: 18,
            quote_decimals: 18,
            i: u(E18),
            k: U256::ZERO,
            lp_fee: U256::ZERO,
            mt_fee: U256::ZERO,
            open_twap: false,
            start: Start::Raw { b: u(90), q: u(110), b0: u(1), q0: u(100), r: RState::AboveOne },
            trades: vec![],
        };
        let mut pool = run(&case);
        let trader_before = pool.balance(pool.quote, TRADER);
        pool.step(&Trade { sell_base: true, size: Size::Raw(U256::from(amount)), wait: 0 }).unwrap();
        assert_eq!(pool.balance(pool.quote, TRADER) - trader_before, U256::from(receive));
        assert_eq!(pool.model.state.r, r);
    }
}

/// k = 0 is a constant price: a sell worth the whole quote reserve is
/// refused (`MathInvalidInput`), one wei less of it is not.
#[test]
fn constant_price_drain_is_refused() {
    let drain = |amount: U256| {
        at_one(
            u(2 * E18),
            U256::ZERO,
            u(1_000 * E18),
            u(1_000 * E18),
            U256::ZERO,
            U256::ZERO,
            vec![Trade { sell_base: true, size: Size::Raw(amount), wait: 0 }],
        )
    };
    assert_eq!(run(&drain(u(500 * E18))).stats.refused, [0, 0, 0, 1, 0]);
    assert_eq!(run(&drain(u(500 * E18 - 1))).stats.refused_total(), 0);
}

/// States outside the formulas' domain: every sell, the mid price and the
/// regularised state revert with Rust's error.
#[test]
fn out_of_domain_states_are_refused() {
    let states = [
        (u(50), u(100), u(100), u(100), RState::BelowOne),
        (u(100), u(50), u(100), u(100), RState::AboveOne),
        (u(100), u(100), U256::ZERO, u(100), RState::One),
        (u(100), U256::ZERO, u(100), u(100), RState::BelowOne),
    ];
    for (b, q, b0, q0, r) in states {
        let case = Case {
            base_decimals: 6,
            quote_decimals: 18,
            i: u(E18),
            k: u(E18 / 2),
            lp_fee: U256::ZERO,
            mt_fee: U256::ZERO,
            open_twap: true,
            start: Start::Raw { b, q, b0, q0, r },
            trades: vec![tokens_trade(true, 1, -6), tokens_trade(false, 1, -18)],
        };
        assert_eq!(run(&case).stats.refused, [0, 0, 0, 2, 0], "{case:?}");
    }
}

/// 300 trades on one pool (i = 2,000, k = ½, 0.3% + 0.1% fees, 1,000 base
/// of 18 decimals against 2,000,000 quote of 6), both ways, a few seconds
/// apart: fees and regularised targets accumulate along one long path.
#[test]
fn long_trade_sequence() {
    let mut seed = 12_345u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let trades = (0..300)
        .map(|_| {
            let wait = next() % 30;
            let sell_base = next() % 2 == 0;
            let size = if sell_base {
                Size::Tokens(next() % 200 + 1, 0)
            } else {
                Size::Tokens(next() % 400_000 + 1, 0)
            };
            Trade { sell_base, size, wait }
        })
        .collect();
    let case = Case {
        base_decimals: 18,
        quote_decimals: 6,
        i: u(2_000_000_000),
        k: u(E18 / 2),
        lp_fee: u(3 * E18 / 1000),
        mt_fee: u(E18 / 1000),
        open_twap: true,
        start: Start::Deposit { base: u(1_000 * E18), quote: u(2_000_000_000_000) },
        trades,
    };
    let pool = run(&case);
    assert_eq!(pool.stats.trades, 300);
    assert!(pool.stats.r_changes > 10, "{:?}", pool.stats);
}
