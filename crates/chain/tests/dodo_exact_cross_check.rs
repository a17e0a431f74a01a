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

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use dodo_support::{
    abi_entries, add_counts, artifact, call_ok, check_queries, check_reserves_and_targets,
    check_state_price_and_twap, decimals_strategy, deploy_dsp, deploy_fee_model, deploy_token, fee_strategy,
    i_strategy, k_strategy, model_sell, ppm_of, proptest_cases, repo_json, reserve_strategy, resolve,
    run_pools, same, sell_and_check, timestamp32, trade_strategy, u, DodoDspPool, OnChain, Pending,
    TestToken, Trade, TradeCounts, Twap, E18, MAINTAINER, TRADER,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use vault_chain::World;
use vault_math::pmm::dodo::{self, DodoError, DodoResult, DspLiquidity, ONE};
use vault_math::pmm::{PmmState, RState};

mod dodo_support;

/// Trades in one case (one pool).
const TRADES_PER_CASE: u32 = 8;
/// What the trader holds of each token.
const TRADER_FUNDS_BITS: usize = 250;

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
    pending: Pending,
    twap: Twap,
}

impl Model {
    /// `_twapUpdate` after the reserves were set (when the TWAP is open).
    fn update_twap(&mut self, now: u64, open: bool) -> DodoResult<()> {
        self.twap.update(&self.liquidity.state, now, open)
    }
}

#[derive(Clone, Debug, Default)]
struct Stats {
    pools: u64,
    sells: TradeCounts,
    funding_refused: BTreeMap<&'static str, u64>,
    queries: u64,
    states: u64,
    /// Second deposits and withdrawals compared (accepted, refused).
    share_ops: (u64, u64),
}

impl Stats {
    fn add(&mut self, other: &Stats) {
        self.pools += other.pools;
        self.sells.add(&other.sells);
        add_counts(&mut self.funding_refused, &other.funding_refused);
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

impl OnChain for Deployed {
    fn world(&mut self) -> &mut World {
        &mut self.world
    }

    fn pool(&self) -> Address {
        self.pool
    }
}

impl Deployed {
    /// Deploys the tokens, the fee model and the pool (no liquidity yet).
    fn deploy(case: &Case) -> Self {
        let mut world = World::new();
        let funds = U256::from(1u8) << TRADER_FUNDS_BITS;
        let base = deploy_token(&mut world, "Test BASE".into(), "BASE", case.base_decimals, TRADER, funds);
        let quote =
            deploy_token(&mut world, "Test QUOTE".into(), "QUOTE", case.quote_decimals, TRADER, funds);
        let fee_model = deploy_fee_model(&mut world, case.mt_fee);
        let pool =
            deploy_dsp(&mut world, (base, quote), fee_model, case.lp_fee, case.i, case.k, case.open_twap);
        let timestamp_last = if case.open_twap { timestamp32(world.block().timestamp) } else { 0 };
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
            pending: Pending::default(),
            twap: Twap { cumulative: U256::ZERO, timestamp_last },
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

    /// Every view that must follow the model.
    fn check_views(&mut self) -> Result<(), TestCaseError> {
        let s = self.model.liquidity.state;
        check_reserves_and_targets(&mut self.world, self.pool, &s)?;
        let supply = self.view(&DodoDspPool::totalSupplyCall {}).map(|r| r._0);
        same("totalSupply", supply, Ok(self.model.liquidity.total_supply))?;
        check_state_price_and_twap(&mut self.world, self.pool, &s, self.model.twap)?;
        self.stats.states += 1;
        Ok(())
    }

    /// Transfers `base_in` and `quote_in` to the pool, then `buyShares`:
    /// the shares minted must be the model's for the balances (reserves plus
    /// input), or the revert its refusal. The model after it, or the
    /// refusal.
    fn buy_shares(
        &mut self,
        what: &str,
        base_in: U256,
        quote_in: U256,
    ) -> Result<DodoResult<Model>, TestCaseError> {
        let s = self.model.liquidity.state;
        for (token, amount) in [(self.base, base_in), (self.quote, quote_in)] {
            let transfer = TestToken::transferCall { to: self.pool, amount }.abi_encode();
            call_ok(&mut self.world, TRADER, token, &transfer, "transfer of the deposit");
        }
        let now = self.world.block().timestamp;
        let mut next = self.model.clone();
        let expected = dodo::buy_shares(&self.model.liquidity, s.b + base_in, s.q + quote_in).and_then(
            |(shares, liquidity)| {
                next.liquidity = liquidity;
                next.update_twap(now, self.open_twap)?;
                Ok(shares)
            },
        );
        let data = DodoDspPool::buySharesCall { to: TRADER }.abi_encode();
        let out = self.world.call(TRADER, self.pool, &data, U256::ZERO);
        let got = if out.success {
            Ok(DodoDspPool::buySharesCall::abi_decode_returns(&out.return_data, true).expect("decode").shares)
        } else {
            Err(out.return_data)
        };
        same(what, got, expected)?;
        Ok(expected.map(|_| next))
    }

    /// The first `buyShares` of `base` and `quote`; false when refused (as
    /// the model refuses it).
    fn fund(&mut self, base: U256, quote: U256) -> Result<bool, TestCaseError> {
        match self.buy_shares("buyShares", base, quote)? {
            Ok(next) => self.model = next,
            Err(e) => {
                *self.stats.funding_refused.entry(e.reason()).or_default() += 1;
                return Ok(false);
            }
        }
        self.check_views()?;
        Ok(true)
    }

    fn check_queries(&mut self, amount: U256) -> Result<(), TestCaseError> {
        let s = self.model.liquidity.state;
        check_queries(&mut self.world, self.pool, &s, amount, (self.lp, self.mt))?;
        self.stats.queries += 2;
        Ok(())
    }

    /// The model of the pool's sell. Nothing is pending here: a refused
    /// sell is followed by `sync` (or ends the case).
    fn expected_sell(&self, sell_base: bool, amount: U256, now: u64) -> DodoResult<(U256, U256, Model)> {
        let m = &self.model;
        assert!(m.pending.is_zero());
        let t = model_sell(&m.liquidity.state, sell_base, amount, (self.lp, self.mt))?;
        let mut next = m.clone();
        next.liquidity.state = t.state;
        next.update_twap(now, self.open_twap)?;
        Ok((t.query.receive, t.query.mt_fee, next))
    }

    fn sell(&mut self, sell_base: bool, amount: U256) -> Result<(), TestCaseError> {
        let now = self.world.block().timestamp;
        let expected = self.expected_sell(sell_base, amount, now);
        let (token_in, token_out) = if sell_base { (self.base, self.quote) } else { (self.quote, self.base) };
        let transfer = TestToken::transferCall { to: self.pool, amount }.abi_encode();
        call_ok(&mut self.world, TRADER, token_in, &transfer, "transfer of the input");
        let after = expected.as_ref().map(|(_, _, next)| next.liquidity.state.r).map_err(|e| *e);
        self.stats.sells.count(self.model.liquidity.state.r, after);
        let paid = expected.as_ref().map(|(receive, mt_fee, _)| (*receive, *mt_fee)).map_err(|e| *e);
        sell_and_check(&mut self.world, self.pool, token_out, sell_base, amount, paid)?;
        match expected {
            Ok((_, _, next)) => {
                self.model = next;
            }
            Err(_) => self.model.pending.add(sell_base, amount),
        }
        self.check_views()
    }

    /// `sync`: the reserves become the balances (pending input absorbed).
    fn sync(&mut self) -> Result<bool, TestCaseError> {
        let now = self.world.block().timestamp;
        let mut next = self.model.clone();
        next.liquidity.state.b += next.pending.base;
        next.liquidity.state.q += next.pending.quote;
        next.pending = Pending::default();
        let max = dodo::MAX_U112;
        let expected = if next.liquidity.state.b > max || next.liquidity.state.q > max {
            Err(DodoError::Overflow)
        } else {
            next.update_twap(now, self.open_twap)
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
        let now = self.world.block().timestamp;
        if let Ok(next) = self.buy_shares("second buyShares", base_in, quote_in)? {
            self.model = next;
            self.stats.share_ops.0 += 1;
        } else {
            self.model.pending.base += base_in;
            self.model.pending.quote += quote_in;
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
                next.update_twap(now, self.open_twap)?;
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
        if self.model.pending.is_zero() {
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
    let (t, cases, elapsed) = run_pools("DodoDspPool", &case_strategy(), |total: &mut Stats, case| {
        total.add(&run_case(&case)?.stats);
        Ok(())
    });
    eprintln!(
        "{} pools ({:?} refused funding), {} trades (from R one/above/below: {:?}; {} changed R; refused by both: \
         {:?}), {} queries, {:?} later deposits and withdrawals (accepted, refused), {} states compared, in {:.1?}",
        t.pools,
        t.funding_refused,
        t.sells.trades,
        t.sells.from_r,
        t.sells.r_changes,
        t.sells.refused,
        t.queries,
        t.share_ops,
        t.states,
        elapsed
    );
    assert_eq!(t.pools, u64::from(cases));
    assert!(
        t.sells.from_r.iter().all(|&n| n > u64::from(cases)),
        "every R state visited: {:?}",
        t.sells.from_r
    );
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
    let official = repo_json("abi/external/dodo/DSP.json");
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
    let called = repo_json("tests/solidity/conformance.json");
    let ours = abi_entries(&fixture, "function");
    for name in called["functions"].as_array().expect("functions") {
        let name = name.as_str().expect("name");
        assert!(ours.contains_key(name), "the project calls {name}");
    }
}
