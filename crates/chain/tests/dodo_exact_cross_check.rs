//! The `DodoDspPool` fixture (DODO V2's DSP, to the wei) against
//! `vault_math::pmm::dodo`, on the in-process chain.
//!
//! Each case deploys two `TestToken`s (6 or 18 decimals), a
//! `DodoFeeRateModel` (the maintainer rate) and a `DodoDspPool` with `i` in
//! `[1, 1e36]` and `k` in `[0, 1e18]`, funds it with the first `buyShares`,
//! then runs a sequence of trades, each after a random wait. Before every
//! trade both `querySellBase` and `querySellQuote` are compared with
//! `dodo::query_sell_base` / `query_sell_quote`; the trade (transfer the
//! input, then `sellBase` / `sellQuote`) must pay the trader and the
//! maintainer exactly what the model says (`dodo::sell_base` /
//! `sell_quote`, then `dodo::twap_update`), or revert with the model's
//! reason. After every step the reserves, stored targets, R,
//! `getPMMStateForCall`, `getMidPrice`, the share supply and the TWAP
//! accumulator are compared. A refused sell leaves its input in the pool;
//! the trader then calls `sync`, which the model follows too (a refused
//! `sync` ends the case).
//!
//! This file is separate from `pmm_cross_check.rs`, which checks the
//! `PmmPool` fixture against the exact-curve model (the private mesh's).
//!
//! A run is `max(PROPTEST_CASES / 8, 1,500)` pools of [`TRADES_PER_CASE`]
//! trades: at the default `PROPTEST_CASES` of 10,000, about 12,700 pool
//! states compared (the test requires 10,000).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use alloy_primitives::{address, Address, U256};
use alloy_sol_types::{sol, SolCall, SolConstructor};
use dodo_support::abi_entries;
use dodo_support::{
    decimals_strategy, describe, fee_strategy, i_strategy, k_strategy, ppm_of, proptest_cases,
    reserve_strategy, resolve, revert_data_matches, same, trade_strategy, u, Trade, E18,
};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use vault_chain::artifacts::Artifact;
use vault_chain::World;
use vault_math::pmm::dodo::{self, DodoError, DodoResult, DspLiquidity, ONE};
use vault_math::pmm::{PmmState, RState};

mod dodo_support;

sol! {
    contract TestToken {
        constructor(string name, string symbol, uint8 decimals, address initialHolder, uint256 initialSupply);
        function transfer(address to, uint256 amount) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
    }

    contract DodoFeeRateModel {
        constructor(address owner, uint256 defaultRate);
    }

    contract DodoDspPool {
        constructor(address maintainer, address baseTokenAddress, address quoteTokenAddress, uint256 lpFeeRate, address mtFeeRateModel, uint256 i, uint256 k, bool isOpenTWAP);
        function buyShares(address to) external returns (uint256 shares, uint256 baseInput, uint256 quoteInput);
        function sync() external;
        function sellShares(uint256 shareAmount, address to, uint256 baseMinAmount, uint256 quoteMinAmount, bytes data, uint256 deadline) external returns (uint256 baseAmount, uint256 quoteAmount);
        function sellBase(address to) external returns (uint256 receiveQuoteAmount);
        function sellQuote(address to) external returns (uint256 receiveBaseAmount);
        function querySellBase(address trader, uint256 payBaseAmount) external view returns (uint256 receiveQuoteAmount, uint256 mtFee, uint8 newRState, uint256 newBaseTarget);
        function querySellQuote(address trader, uint256 payQuoteAmount) external view returns (uint256 receiveBaseAmount, uint256 mtFee, uint8 newRState, uint256 newQuoteTarget);
        function getPMMStateForCall() external view returns (uint256 i, uint256 K, uint256 B, uint256 Q, uint256 B0, uint256 Q0, uint256 R);
        function getMidPrice() external view returns (uint256 midPrice);
        function getVaultReserve() external view returns (uint256 baseReserve, uint256 quoteReserve);
        function totalSupply() external view returns (uint256);
        function balanceOf(address owner) external view returns (uint256);
        function _BASE_TARGET_() external view returns (uint112);
        function _QUOTE_TARGET_() external view returns (uint112);
        function _RState_() external view returns (uint32);
        function _BASE_PRICE_CUMULATIVE_LAST_() external view returns (uint256);
        function _BLOCK_TIMESTAMP_LAST_() external view returns (uint32);
    }
}

const OWNER: Address = address!("00000000000000000000000000000000000a11ce");
const TRADER: Address = address!("0000000000000000000000000000000000007ade");
const MAINTAINER: Address = address!("000000000000000000000000000000000000fee5");

/// Trades in one case (one pool).
const TRADES_PER_CASE: u32 = 8;
/// Pools (proptest cases) per run at least.
const MIN_POOLS: u32 = 1_500;
/// What the trader holds of each token.
const TRADER_FUNDS_BITS: usize = 250;

fn pools_per_run() -> u32 {
    (proptest_cases() / 8).max(MIN_POOLS)
}

fn artifact(name: &'static str) -> &'static Artifact {
    static TOKEN: OnceLock<Artifact> = OnceLock::new();
    static MODEL: OnceLock<Artifact> = OnceLock::new();
    static POOL: OnceLock<Artifact> = OnceLock::new();
    let cell = match name {
        "TestToken" => &TOKEN,
        "DodoFeeRateModel" => &MODEL,
        "DodoDspPool" => &POOL,
        _ => unreachable!("no artifact {name} here"),
    };
    cell.get_or_init(|| Artifact::load(name).unwrap_or_else(|e| panic!("{e}")))
}

// ------------------------------------------------------------------ cases

#[derive(Clone, Debug)]
struct Case {
    base_decimals: u8,
    quote_decimals: u8,
    i: U256,
    k: U256,
    lp_fee: U256,
    mt_fee: U256,
    open_twap: bool,
    base: U256,
    quote: U256,
    trades: Vec<Trade>,
    /// After the trades: a second deposit of these millionths of each
    /// balance (base, quote), then a withdrawal of these millionths of the
    /// trader's shares.
    deposit_ppm: (u64, u64),
    withdraw_ppm: u64,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (decimals_strategy(), decimals_strategy()).prop_flat_map(|(bd, qd)| {
        (
            i_strategy(bd, qd),
            k_strategy(),
            fee_strategy(),
            any::<bool>(),
            reserve_strategy(bd),
            reserve_strategy(qd),
            proptest::collection::vec(trade_strategy(), TRADES_PER_CASE as usize),
            (0u64..=300_000, 0u64..=300_000, 0u64..=1_000_000),
        )
            .prop_map(
                move |(i, k, (lp_fee, mt_fee), open_twap, base, quote, trades, (db, dq, w))| Case {
                    base_decimals: bd,
                    quote_decimals: qd,
                    i,
                    k,
                    lp_fee,
                    mt_fee,
                    open_twap,
                    base,
                    quote,
                    trades,
                    deposit_ppm: (db, dq),
                    withdraw_ppm: w,
                },
            )
    })
}

// ------------------------------------------------------------------ model

/// The model's view of the pool.
#[derive(Clone, Debug)]
struct Model {
    liquidity: DspLiquidity,
    /// Input left in the pool by refused sells (balance − reserve).
    pending_base: U256,
    pending_quote: U256,
    cumulative: U256,
    timestamp_last: u32,
}

impl Model {
    /// `_twapUpdate` after the reserves were set (when the TWAP is open).
    fn twap(&mut self, now: u64, open: bool) -> DodoResult<()> {
        if open {
            let now32 = u32::try_from(now % (1u64 << 32)).expect("fits");
            let (c, t) =
                dodo::twap_update(&self.liquidity.state, self.cumulative, self.timestamp_last, now32)?;
            self.cumulative = c;
            self.timestamp_last = t;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Default)]
struct Stats {
    pools: u64,
    trades: u64,
    from_r: [u64; 3],
    r_changes: u64,
    refused: BTreeMap<&'static str, u64>,
    funding_refused: BTreeMap<&'static str, u64>,
    queries: u64,
    states: u64,
    /// Second deposits and withdrawals compared (accepted, refused).
    share_ops: (u64, u64),
}

impl Stats {
    fn add(&mut self, other: &Stats) {
        self.pools += other.pools;
        self.trades += other.trades;
        for (a, b) in self.from_r.iter_mut().zip(other.from_r) {
            *a += b;
        }
        self.r_changes += other.r_changes;
        for (k, v) in &other.refused {
            *self.refused.entry(k).or_default() += v;
        }
        for (k, v) in &other.funding_refused {
            *self.funding_refused.entry(k).or_default() += v;
        }
        self.queries += other.queries;
        self.states += other.states;
        self.share_ops.0 += other.share_ops.0;
        self.share_ops.1 += other.share_ops.1;
    }
}

// ------------------------------------------------------------------- pool

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
    /// Deploys the tokens, the fee model and the pool (no liquidity yet).
    fn deploy(case: &Case) -> Self {
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
        let args = DodoFeeRateModel::constructorCall { owner: OWNER, defaultRate: case.mt_fee }.abi_encode();
        let fee_model =
            artifact("DodoFeeRateModel").deploy(&mut world, OWNER, &args).expect("fee model deploys");
        let args = DodoDspPool::constructorCall {
            maintainer: MAINTAINER,
            baseTokenAddress: base,
            quoteTokenAddress: quote,
            lpFeeRate: case.lp_fee,
            mtFeeRateModel: fee_model,
            i: case.i,
            k: case.k,
            isOpenTWAP: case.open_twap,
        }
        .abi_encode();
        let pool = artifact("DodoDspPool").deploy(&mut world, OWNER, &args).expect("DodoDspPool deploys");
        let timestamp_last = if case.open_twap {
            u32::try_from(world.block().timestamp % (1u64 << 32)).expect("fits")
        } else {
            0
        };
        let empty = PmmState {
            i: case.i,
            k: case.k,
            b: U256::ZERO,
            q: U256::ZERO,
            b0: U256::ZERO,
            q0: U256::ZERO,
            r: RState::One,
        };
        let model = Model {
            liquidity: DspLiquidity { state: empty, total_supply: U256::ZERO },
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
            stats: Stats { pools: 1, ..Stats::default() },
        }
    }

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

    /// Every view that must follow the model.
    fn check_views(&mut self) -> Result<(), TestCaseError> {
        let s = self.model.liquidity.state;
        let reserve =
            self.view(&DodoDspPool::getVaultReserveCall {}).map(|r| (r.baseReserve, r.quoteReserve));
        same("getVaultReserve", reserve, Ok((s.b, s.q)))?;
        let b0 = self.view(&DodoDspPool::_BASE_TARGET_Call {}).map(|r| U256::from(r._0));
        let q0 = self.view(&DodoDspPool::_QUOTE_TARGET_Call {}).map(|r| U256::from(r._0));
        let r = self.view(&DodoDspPool::_RState_Call {}).map(|r| r._0);
        let expected = (Ok(s.b0), Ok(s.q0), Ok(u32::from(dodo::r_state_code(s.r))));
        same("stored targets and R", Ok((b0, q0, r)), Ok(expected))?;
        let supply = self.view(&DodoDspPool::totalSupplyCall {}).map(|r| r._0);
        same("totalSupply", supply, Ok(self.model.liquidity.total_supply))?;
        let state =
            self.view(&DodoDspPool::getPMMStateForCallCall {}).map(|r| (r.i, r.K, r.B, r.Q, r.B0, r.Q0, r.R));
        let expected = dodo::pmm_state(&s)
            .map(|a| (a.i, a.k, a.b, a.q, a.b0, a.q0, U256::from(dodo::r_state_code(a.r))));
        same("getPMMStateForCall", state, expected)?;
        let mid = self.view(&DodoDspPool::getMidPriceCall {}).map(|r| r.midPrice);
        same("getMidPrice", mid, dodo::pool_mid_price(&s))?;
        let cumulative = self.view(&DodoDspPool::_BASE_PRICE_CUMULATIVE_LAST_Call {}).map(|r| r._0);
        let last = self.view(&DodoDspPool::_BLOCK_TIMESTAMP_LAST_Call {}).map(|r| r._0);
        let expected = (Ok(self.model.cumulative), Ok(self.model.timestamp_last));
        same("TWAP accumulator", Ok((cumulative, last)), Ok(expected))?;
        self.stats.states += 1;
        Ok(())
    }

    /// The first `buyShares` of `base` and `quote`; false when refused (as
    /// the model refuses it).
    fn fund(&mut self, base: U256, quote: U256) -> Result<bool, TestCaseError> {
        for (token, amount) in [(self.base, base), (self.quote, quote)] {
            let transfer = TestToken::transferCall { to: self.pool, amount }.abi_encode();
            call_ok(&mut self.world, TRADER, token, &transfer, "transfer of the deposit");
        }
        let now = self.world.block().timestamp;
        let mut next = self.model.clone();
        let expected =
            dodo::buy_shares(&self.model.liquidity, base, quote).and_then(|(shares, liquidity)| {
                next.liquidity = liquidity;
                next.twap(now, self.open_twap)?;
                Ok(shares)
            });
        let out = self.world.call(
            TRADER,
            self.pool,
            &DodoDspPool::buySharesCall { to: TRADER }.abi_encode(),
            U256::ZERO,
        );
        let got = if out.success {
            Ok(DodoDspPool::buySharesCall::abi_decode_returns(&out.return_data, true).expect("decode").shares)
        } else {
            Err(out.return_data)
        };
        same("buyShares", got, expected)?;
        if let Err(e) = expected {
            *self.stats.funding_refused.entry(e.reason()).or_default() += 1;
            return Ok(false);
        }
        self.model = next;
        self.check_views()?;
        Ok(true)
    }

    fn check_queries(&mut self, amount: U256) -> Result<(), TestCaseError> {
        let s = self.model.liquidity.state;
        let pool = self
            .view(&DodoDspPool::querySellBaseCall { trader: TRADER, payBaseAmount: amount })
            .map(|r| (r.receiveQuoteAmount, r.mtFee, r.newRState, r.newBaseTarget));
        let model = dodo::query_sell_base(&s, amount, self.lp, self.mt)
            .map(|q| (q.receive, q.mt_fee, dodo::r_state_code(q.new_r), q.new_target));
        same("querySellBase", pool, model)?;
        let pool = self
            .view(&DodoDspPool::querySellQuoteCall { trader: TRADER, payQuoteAmount: amount })
            .map(|r| (r.receiveBaseAmount, r.mtFee, r.newRState, r.newQuoteTarget));
        let model = dodo::query_sell_quote(&s, amount, self.lp, self.mt)
            .map(|q| (q.receive, q.mt_fee, dodo::r_state_code(q.new_r), q.new_target));
        same("querySellQuote", pool, model)?;
        self.stats.queries += 2;
        Ok(())
    }

    /// The model of the pool's sell. Nothing is pending here: a refused
    /// sell is followed by `sync` (or ends the case).
    fn expected_sell(&self, sell_base: bool, amount: U256, now: u64) -> DodoResult<(U256, U256, Model)> {
        let m = &self.model;
        assert!(m.pending_base.is_zero() && m.pending_quote.is_zero());
        let s = &m.liquidity.state;
        let t = if sell_base {
            dodo::sell_base(s, amount, self.lp, self.mt)?
        } else {
            dodo::sell_quote(s, amount, self.lp, self.mt)?
        };
        let mut next = m.clone();
        next.liquidity.state = t.state;
        next.twap(now, self.open_twap)?;
        Ok((t.query.receive, t.query.mt_fee, next))
    }

    fn sell(&mut self, sell_base: bool, amount: U256) -> Result<(), TestCaseError> {
        let now = self.world.block().timestamp;
        let expected = self.expected_sell(sell_base, amount, now);
        let (token_in, token_out) = if sell_base { (self.base, self.quote) } else { (self.quote, self.base) };
        let transfer = TestToken::transferCall { to: self.pool, amount }.abi_encode();
        call_ok(&mut self.world, TRADER, token_in, &transfer, "transfer of the input");
        let trader_before = self.balance(token_out, TRADER);
        let maintainer_before = self.balance(token_out, MAINTAINER);
        let data = if sell_base {
            DodoDspPool::sellBaseCall { to: TRADER }.abi_encode()
        } else {
            DodoDspPool::sellQuoteCall { to: TRADER }.abi_encode()
        };
        let out = self.world.call(TRADER, self.pool, &data, U256::ZERO);
        let what = if sell_base { "sellBase" } else { "sellQuote" };
        self.stats.trades += 1;
        self.stats.from_r[usize::from(dodo::r_state_code(self.model.liquidity.state.r))] += 1;
        match expected {
            Ok((receive, mt_fee, next)) => {
                prop_assert!(
                    out.success,
                    "{} of {} reverts with {}",
                    what,
                    amount,
                    describe(&out.return_data)
                );
                prop_assert_eq!(U256::from_be_slice(&out.return_data), receive, "{} returns", what);
                let trader_after = self.balance(token_out, TRADER);
                let maintainer_after = self.balance(token_out, MAINTAINER);
                prop_assert_eq!(trader_after - trader_before, receive, "trader receives");
                prop_assert_eq!(maintainer_after - maintainer_before, mt_fee, "maintainer receives");
                if next.liquidity.state.r != self.model.liquidity.state.r {
                    self.stats.r_changes += 1;
                }
                self.model = next;
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
                *self.stats.refused.entry(e.reason()).or_default() += 1;
                if sell_base {
                    self.model.pending_base += amount;
                } else {
                    self.model.pending_quote += amount;
                }
            }
        }
        self.check_views()
    }

    /// `sync`: the reserves become the balances (pending input absorbed).
    fn sync(&mut self) -> Result<bool, TestCaseError> {
        let now = self.world.block().timestamp;
        let mut next = self.model.clone();
        next.liquidity.state.b += next.pending_base;
        next.liquidity.state.q += next.pending_quote;
        next.pending_base = U256::ZERO;
        next.pending_quote = U256::ZERO;
        let max = dodo::MAX_U112;
        let expected = if next.liquidity.state.b > max || next.liquidity.state.q > max {
            Err(DodoError::Overflow)
        } else {
            next.twap(now, self.open_twap)
        };
        let out = self.world.call(TRADER, self.pool, &DodoDspPool::syncCall {}.abi_encode(), U256::ZERO);
        same("sync", if out.success { Ok(()) } else { Err(out.return_data) }, expected)?;
        if expected.is_err() {
            return Ok(false);
        }
        self.model = next;
        self.check_views()?;
        Ok(true)
    }

    /// A later `buyShares` of millionths of each balance, then a
    /// `sellShares` of millionths of the trader's shares.
    fn shares(&mut self, deposit_ppm: (u64, u64), withdraw_ppm: u64) -> Result<(), TestCaseError> {
        let s = self.model.liquidity.state;
        let (base_in, quote_in) = (ppm_of(s.b, deposit_ppm.0), ppm_of(s.q, deposit_ppm.1));
        for (token, amount) in [(self.base, base_in), (self.quote, quote_in)] {
            let transfer = TestToken::transferCall { to: self.pool, amount }.abi_encode();
            call_ok(&mut self.world, TRADER, token, &transfer, "transfer of the deposit");
        }
        let now = self.world.block().timestamp;
        let mut next = self.model.clone();
        let expected =
            dodo::buy_shares(&self.model.liquidity, s.b + base_in, s.q + quote_in).and_then(|(n, l)| {
                next.liquidity = l;
                next.twap(now, self.open_twap)?;
                Ok(n)
            });
        let data = DodoDspPool::buySharesCall { to: TRADER }.abi_encode();
        let out = self.world.call(TRADER, self.pool, &data, U256::ZERO);
        let got = if out.success {
            Ok(DodoDspPool::buySharesCall::abi_decode_returns(&out.return_data, true).expect("decode").shares)
        } else {
            Err(out.return_data)
        };
        same("second buyShares", got, expected)?;
        if expected.is_ok() {
            self.model = next;
            self.stats.share_ops.0 += 1;
        } else {
            self.model.pending_base += base_in;
            self.model.pending_quote += quote_in;
            self.stats.share_ops.1 += 1;
            if !self.sync()? {
                return Ok(());
            }
        }
        self.check_views()?;
        let held = self.view(&DodoDspPool::balanceOfCall { owner: TRADER }).expect("balanceOf")._0;
        let amount = ppm_of(held, withdraw_ppm);
        let mut next = self.model.clone();
        let expected =
            dodo::sell_shares(&self.model.liquidity, amount, U256::ZERO, U256::ZERO).and_then(|(b, q, l)| {
                next.liquidity = l;
                next.twap(now, self.open_twap)?;
                Ok((b, q))
            });
        let data = DodoDspPool::sellSharesCall {
            shareAmount: amount,
            to: TRADER,
            baseMinAmount: U256::ZERO,
            quoteMinAmount: U256::ZERO,
            data: alloy_primitives::Bytes::new(),
            deadline: U256::MAX,
        }
        .abi_encode();
        let out = self.world.call(TRADER, self.pool, &data, U256::ZERO);
        let got = if out.success {
            let r = DodoDspPool::sellSharesCall::abi_decode_returns(&out.return_data, true).expect("decode");
            Ok((r.baseAmount, r.quoteAmount))
        } else {
            Err(out.return_data)
        };
        same("sellShares", got, expected)?;
        if expected.is_ok() {
            self.model = next;
            self.stats.share_ops.0 += 1;
        } else {
            self.stats.share_ops.1 += 1;
        }
        self.check_views()
    }

    fn step(&mut self, trade: &Trade) -> Result<bool, TestCaseError> {
        if trade.wait > 0 {
            self.world.advance(trade.wait);
        }
        let (sell_base, amount) =
            resolve(trade, &self.model.liquidity.state, self.base_decimals, self.quote_decimals);
        self.check_queries(amount)?;
        self.sell(sell_base, amount)?;
        if self.model.pending_base.is_zero() && self.model.pending_quote.is_zero() {
            return Ok(true);
        }
        self.sync()
    }
}

fn run_case(case: &Case) -> Result<Deployed, TestCaseError> {
    let mut pool = Deployed::deploy(case);
    pool.check_views()?;
    if !pool.fund(case.base, case.quote)? {
        return Ok(pool);
    }
    for trade in &case.trades {
        if !pool.step(trade)? {
            return Ok(pool);
        }
    }
    pool.shares(case.deposit_ppm, case.withdraw_ppm)?;
    Ok(pool)
}

#[test]
fn dsp_fixture_matches_dodo_model_to_the_wei() {
    let cases = pools_per_run();
    let config = ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() };
    let total = RefCell::new(Stats::default());
    let started = std::time::Instant::now();
    let result = TestRunner::new(config).run(&case_strategy(), |case| {
        let pool = run_case(&case)?;
        total.borrow_mut().add(&pool.stats);
        Ok(())
    });
    if let Err(e) = result {
        panic!("DodoDspPool and vault_math::pmm::dodo disagree: {e}");
    }
    let t = total.into_inner();
    eprintln!(
        "{} pools ({:?} refused funding), {} trades (from R one/above/below: {:?}; {} changed R; refused by both: \
         {:?}), {} queries, {:?} later deposits and withdrawals (accepted, refused), {} states compared, in {:.1?}",
        t.pools,
        t.funding_refused,
        t.trades,
        t.from_r,
        t.r_changes,
        t.refused,
        t.queries,
        t.share_ops,
        t.states,
        started.elapsed()
    );
    assert_eq!(t.pools, u64::from(cases));
    assert!(t.from_r.iter().all(|&n| n > u64::from(cases)), "every R state visited: {:?}", t.from_r);
    assert!(t.states >= 10_000 || proptest_cases() < 10_000, "{} states", t.states);
}

// ----------------------------------------------------------- known answers

fn known_case(i: U256, base: U256, quote: U256, lp_fee: U256, mt_fee: U256) -> Case {
    Case {
        base_decimals: 18,
        quote_decimals: 18,
        i,
        k: u(E18 / 10),
        lp_fee,
        mt_fee,
        open_twap: true,
        base,
        quote,
        trades: vec![],
        deposit_ppm: (0, 0),
        withdraw_ppm: 0,
    }
}

/// DODO's DSP test (i = 1, k = 0.1, no fees, 1,000 / 1,000): the first
/// `buyShares` mints 999999999999999998999 shares; selling 100 quote pays
/// 98914196817061816111 base.
#[test]
fn dodo_dsp_known_answers_on_the_fixture() {
    let case = known_case(ONE, u(1_000 * E18), u(1_000 * E18), U256::ZERO, U256::ZERO);
    let mut pool = Deployed::deploy(&case);
    assert!(pool.fund(case.base, case.quote).unwrap());
    assert_eq!(pool.model.liquidity.total_supply, u(1_000 * E18));
    let shares = pool.view(&DodoDspPool::balanceOfCall { owner: TRADER }).expect("balanceOf")._0;
    assert_eq!(shares, "999999999999999998999".parse::<U256>().unwrap());
    let before = pool.balance(pool.base, TRADER);
    pool.sell(false, u(100 * E18)).unwrap();
    assert_eq!(pool.balance(pool.base, TRADER) - before, "98914196817061816111".parse::<U256>().unwrap());
}

/// DODO's DPP test (lpFee 0.002, mtFee 0.001, k 0.1, i = 100, 10 base /
/// 1,000 quote): a DSP funded with the same reserves has the same targets
/// (10 and 1,000) and prices alike. Selling 100 quote pays the trader
/// 986174542266106307 base and the maintainer 989141968170618, and leaves
/// 9012836315765723075 base in the pool. (`dodo_dpp.rs` runs DODO's DPP
/// tests on the DPP fixture itself, `DodoDppPool`.)
#[test]
fn dodo_dpp_known_answers_on_the_fixture() {
    let case = known_case(u(100 * E18), u(10 * E18), u(1_000 * E18), u(2 * E18 / 1_000), u(E18 / 1_000));
    let mut pool = Deployed::deploy(&case);
    assert!(pool.fund(case.base, case.quote).unwrap());
    let state = pool.model.liquidity.state;
    assert_eq!((state.b0, state.q0), (u(10 * E18), u(1_000 * E18)));
    let (trader, maintainer) = (pool.balance(pool.base, TRADER), pool.balance(pool.base, MAINTAINER));
    pool.sell(false, u(100 * E18)).unwrap();
    assert_eq!(pool.balance(pool.base, TRADER) - trader, u(986_174_542_266_106_307));
    assert_eq!(pool.balance(pool.base, MAINTAINER) - maintainer, u(989_141_968_170_618));
    assert_eq!(pool.balance(pool.base, pool.pool), u(9_012_836_315_765_723_075));
}

// ------------------------------------------------------------------ ABI

/// The fixture's functions and events have DODO's official DSP ABI
/// (`abi/external/dodo/DSP.json`, npm `@dodoex/dodo-contract-request`
/// 1.8.0) wherever the names meet: same input and output types, same
/// read-only class, same indexed event fields, hence the same selectors.
/// Every function the project calls on DODO pools is there.
#[test]
fn dsp_fixture_has_dodo_abi() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let read = |path: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(root.join(path)).expect(path)).expect(path)
    };
    let official = read("abi/external/dodo/DSP.json");
    let fixture = artifact("DodoDspPool").abi.clone();
    for kind in ["function", "event"] {
        let (dodo, ours) = (abi_entries(&official, kind), abi_entries(&fixture, kind));
        for (name, shape) in &ours {
            match dodo.get(name) {
                Some(theirs) => assert_eq!(shape, theirs, "{kind} {name}"),
                // DSP's `correctRState` came after the published ABI file.
                None => assert_eq!(name, "correctRState", "{kind} {name} is not DODO's"),
            }
        }
    }
    let called = read("tests/solidity/conformance.json");
    let ours = abi_entries(&fixture, "function");
    for name in called["functions"].as_array().expect("functions") {
        let name = name.as_str().expect("name");
        assert!(ours.contains_key(name), "the project calls {name}");
    }
}
