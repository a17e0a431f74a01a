//! The `DodoDppPool` fixture (DODO V2's DODO Private Pool, `DPPAdvanced`, to
//! the wei) against `vault_math::pmm::dodo`, on the in-process chain.
//!
//! * Known answers: DODO's own DPP test figures (DODOEX/contractV2,
//!   `test/DPP/trader.test.ts` and `reset.test.ts`) hold on the fixture,
//!   for a pool funded by transfers and then `init`, and for one `init`ed
//!   empty, funded by transfers and `reset`, as DODO's test context does.
//! * The owner's controls: `reset` by anyone else reverts (`NOT_OWNER`);
//!   `reset` with a minimum above a stored reserve reverts
//!   (`RESERVE_AMOUNT_IS_NOT_ENOUGH`) and changes nothing; a `reset` sets
//!   both targets to the reserves left and R to ONE, pays its out-amounts to
//!   `assetTo`, and the new `i`, `k` and LP fee price the next trades as
//!   `pmm::dodo` does; `init` and `initOwner` run once; base and quote leave
//!   only through `reset`; the maintainer rate is the fee model's for
//!   `tx.origin`.
//! * The property: `max(PROPTEST_CASES / 8, 1,500)` pools (6- and 18-decimal
//!   tokens, `i` in `[1, 1e36]`, `k` in `[0, 1e18]`), each funded by
//!   transfers and `init` (or `init` and a `reset`), then [`OPS_PER_CASE`]
//!   random operations: trades (queries first), `reset` (top-ups by
//!   transfer, payouts, minimums below, at or above the stored reserves,
//!   new parameters in and out of range), `tuneParameters`, `tunePrice`,
//!   `ratioSync` after a transfer in, and owner calls by a stranger. Every
//!   payout (trader, maintainer, `assetTo`), every revert reason and, after
//!   every step, the reserves, stored targets, R, `getPMMStateForCall`,
//!   `getMidPrice`, `i`, `k`, the LP fee and the TWAP accumulator equal the
//!   model's. A refused trade leaves its input in the pool (a DPP has no
//!   `sync`): before the next trade the owner absorbs it with `ratioSync` or
//!   a `reset` that keeps the parameters.

use std::collections::BTreeMap;

use alloy_primitives::{address, Address, Bytes, U256};
use alloy_sol_types::{sol, SolCall, SolEvent};
use dodo_support::{
    abi_entries, add_counts, artifact, call_ok, check_queries, check_reserves_and_targets,
    check_state_price_and_twap, decimals_strategy, deploy_fee_model, deploy_token, describe, i_strategy,
    k_strategy, model_sell, outcome, ppm_of, proptest_cases, repo_json, reserve_strategy, resolve,
    revert_data_matches, run_pools, same, sell_and_check, timestamp32, tokens, trade_strategy, u,
    wait_strategy, DodoFeeRateModel, DodoPool, OnChain, Pending, TestToken, Trade, TradeCounts, Twap, E18,
    MAINTAINER, OWNER, TRADER,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use vault_chain::{CallOutcome, World};
use vault_math::pmm::dodo::{self, DodoError, DodoResult, DppParams, DppReset, ONE};
use vault_math::pmm::{PmmState, RState};

mod dodo_support;

sol! {
    contract CallProbe {
        function forward(address target, bytes data) external payable returns (bool ok, bytes ret);
    }

    /// `DodoDppPool`'s own functions (the rest are `DodoPool`'s).
    contract DodoDppPool {
        event LpFeeRateChange(uint256 newLpFeeRate);
        function init(address owner, address maintainer, address baseTokenAddress, address quoteTokenAddress, uint256 lpFeeRate, address mtFeeRateModel, uint256 k, uint256 i, bool isOpenTWAP) external;
        function initOwner(address newOwner) external;
        function transferOwnership(address newOwner) external;
        function claimOwnership() external;
        function reset(address assetTo, uint256 newLpFeeRate, uint256 newI, uint256 newK, uint256 baseOutAmount, uint256 quoteOutAmount, uint256 minBaseReserve, uint256 minQuoteReserve) external returns (bool);
        function tuneParameters(uint256 newLpFeeRate, uint256 newI, uint256 newK, uint256 minBaseReserve, uint256 minQuoteReserve) external returns (bool);
        function tunePrice(uint256 newI, uint256 minBaseReserve, uint256 minQuoteReserve) external returns (bool);
        function ratioSync() external;
        function retrieve(address to, address token, uint256 amount) external;
        function flashLoan(uint256 baseAmount, uint256 quoteAmount, address assetTo, bytes data) external;
        function getUserFeeRate(address user) external view returns (uint256 lpFeeRate, uint256 mtFeeRate);
        function _OWNER_() external view returns (address);
        function _I_() external view returns (uint128);
        function _K_() external view returns (uint64);
        function _LP_FEE_RATE_() external view returns (uint64);
        function version() external pure returns (string);
    }
}

/// Where the owner's `reset` sends what it takes out.
const ASSET_TO: Address = address!("00000000000000000000000000000000000a55e7");
const STRANGER: Address = address!("0000000000000000000000000000000000005a11");

/// Operations in one case (one pool) after its funding.
const OPS_PER_CASE: usize = 10;
/// What the owner and the trader each hold of each token.
const FUNDS_BITS: usize = 249;

/// `x · 1e18`, as DODO's tests' `decimalStr`.
fn d(x: u64) -> U256 {
    U256::from(x) * ONE
}

fn n(s: &str) -> U256 {
    s.parse().expect("a decimal number")
}

fn reason(out: &CallOutcome) -> String {
    assert!(!out.success, "expected a revert: {out:?}");
    describe(&out.return_data)
}

// ------------------------------------------------------------------ model

/// The model's view of the pool.
#[derive(Clone, Debug)]
struct Model {
    state: PmmState,
    lp: U256,
    /// Tokens in the pool beyond its reserves (a refused trade's input, a
    /// top-up whose `reset` was refused, a transfer before `ratioSync`).
    pending: Pending,
    twap: Twap,
}

impl Model {
    /// `_twapUpdate` after the reserves were set (when the TWAP is open).
    fn update_twap(&mut self, now: u64, open: bool) -> DodoResult<()> {
        self.twap.update(&self.state, now, open)
    }

    fn balances(&self) -> (U256, U256) {
        (self.state.b + self.pending.base, self.state.q + self.pending.quote)
    }
}

#[derive(Clone, Debug, Default)]
struct Stats {
    pools: u64,
    init_refused: BTreeMap<&'static str, u64>,
    sells: TradeCounts,
    /// Trades accepted after the owner changed the parameters.
    trades_after_change: u64,
    queries: u64,
    /// Owner operations accepted, by name.
    owner_ok: BTreeMap<&'static str, u64>,
    /// Owner operations refused by both, by name and reason.
    owner_refused: BTreeMap<(&'static str, &'static str), u64>,
    /// Resets that took R from `ABOVE_ONE` or `BELOW_ONE` back to ONE.
    resets_from_off_one: u64,
    /// Operations of a stranger refused with `NOT_OWNER`.
    strangers: u64,
    /// Cases ended because pending input could not be absorbed.
    ended_early: u64,
    states: u64,
}

impl Stats {
    fn add(&mut self, other: &Stats) {
        self.pools += other.pools;
        add_counts(&mut self.init_refused, &other.init_refused);
        self.sells.add(&other.sells);
        self.trades_after_change += other.trades_after_change;
        self.queries += other.queries;
        add_counts(&mut self.owner_ok, &other.owner_ok);
        add_counts(&mut self.owner_refused, &other.owner_refused);
        self.resets_from_off_one += other.resets_from_off_one;
        self.strangers += other.strangers;
        self.ended_early += other.ended_early;
        self.states += other.states;
    }
}

// ------------------------------------------------------------------- pool

struct Dpp {
    world: World,
    base: Address,
    quote: Address,
    pool: Address,
    fee_model: Address,
    mt: U256,
    open_twap: bool,
    base_decimals: u8,
    quote_decimals: u8,
    /// The owner changed `i`, `k` or the LP fee since `init`.
    changed: bool,
    model: Model,
    stats: Stats,
}

impl OnChain for Dpp {
    fn world(&mut self) -> &mut World {
        &mut self.world
    }

    fn pool(&self) -> Address {
        self.pool
    }
}

impl Dpp {
    /// Deploys the tokens (half of each to the owner, half to the trader),
    /// the fee model (maintainer rate `mt` for everyone) and an empty,
    /// uninitialised pool.
    fn deploy(base_decimals: u8, quote_decimals: u8, mt: U256, open_twap: bool) -> Self {
        let mut world = World::new();
        let half = U256::from(1u8) << FUNDS_BITS;
        let mut token = |symbol: &str, decimals: u8| {
            let token =
                deploy_token(&mut world, format!("Test {symbol}"), symbol, decimals, OWNER, half + half);
            let transfer = TestToken::transferCall { to: TRADER, amount: half }.abi_encode();
            call_ok(&mut world, OWNER, token, &transfer, "funding the trader");
            token
        };
        let base = token("BASE", base_decimals);
        let quote = token("QUOTE", quote_decimals);
        let fee_model = deploy_fee_model(&mut world, mt);
        let pool = artifact("DodoDppPool").deploy(&mut world, OWNER, &[]).expect("DodoDppPool deploys");
        let empty = PmmState {
            i: U256::ZERO,
            k: U256::ZERO,
            b: U256::ZERO,
            q: U256::ZERO,
            b0: U256::ZERO,
            q0: U256::ZERO,
            r: RState::One,
        };
        let model =
            Model { state: empty, lp: U256::ZERO, pending: Pending::default(), twap: Twap::default() };
        Self {
            world,
            base,
            quote,
            pool,
            fee_model,
            mt,
            open_twap,
            base_decimals,
            quote_decimals,
            changed: false,
            model,
            stats: Stats { pools: 1, ..Stats::default() },
        }
    }

    /// `from` transfers `amount` of `token` to the pool.
    fn transfer_in(&mut self, from: Address, token: Address, amount: U256) {
        let transfer = TestToken::transferCall { to: self.pool, amount }.abi_encode();
        call_ok(&mut self.world, from, token, &transfer, "transfer to the pool");
    }

    /// The owner's transfer of base and quote into the pool (pending until
    /// an owner operation takes it in).
    fn top_up(&mut self, base: U256, quote: U256) {
        self.transfer_in(OWNER, self.base, base);
        self.transfer_in(OWNER, self.quote, quote);
        self.model.pending.base += base;
        self.model.pending.quote += quote;
    }

    fn send<C: SolCall>(&mut self, from: Address, call: &C) -> CallOutcome {
        self.world.call(from, self.pool, &call.abi_encode(), U256::ZERO)
    }

    /// Every view that must follow the model.
    fn check_views(&mut self) -> Result<(), TestCaseError> {
        let model = self.model.clone();
        let s = model.state;
        check_reserves_and_targets(&mut self.world, self.pool, &s)?;
        let i = self.view(&DodoDppPool::_I_Call {}).map(|r| U256::from(r._0));
        let k = self.view(&DodoDppPool::_K_Call {}).map(|r| U256::from(r._0));
        let lp = self.view(&DodoDppPool::_LP_FEE_RATE_Call {}).map(|r| U256::from(r._0));
        same("i, k and the LP fee rate", Ok((i, k, lp)), Ok((Ok(s.i), Ok(s.k), Ok(model.lp))))?;
        let rates =
            self.view(&DodoDppPool::getUserFeeRateCall { user: TRADER }).map(|r| (r.lpFeeRate, r.mtFeeRate));
        same("getUserFeeRate", rates, Ok((model.lp, self.mt)))?;
        check_state_price_and_twap(&mut self.world, self.pool, &s, model.twap)?;
        let balances = (self.balance(self.base, self.pool), self.balance(self.quote, self.pool));
        prop_assert_eq!(balances, model.balances(), "the pool's token balances");
        self.stats.states += 1;
        Ok(())
    }

    /// Transfers `base` and `quote` in, then the owner's `init`; false when
    /// refused (as the model refuses it).
    fn init(&mut self, params: DppParams, base: U256, quote: U256) -> Result<bool, TestCaseError> {
        self.top_up(base, quote);
        let now = self.world.block().timestamp;
        let mut next = self.model.clone();
        let expected = dodo::dpp_init(params, base, quote).and_then(|state| {
            next.state = state;
            next.lp = params.lp_fee_rate;
            next.pending = Pending::default();
            if self.open_twap {
                next.twap.timestamp_last = timestamp32(now);
            }
            next.update_twap(now, self.open_twap)
        });
        let call = DodoDppPool::initCall {
            owner: OWNER,
            maintainer: MAINTAINER,
            baseTokenAddress: self.base,
            quoteTokenAddress: self.quote,
            lpFeeRate: params.lp_fee_rate,
            mtFeeRateModel: self.fee_model,
            k: params.k,
            i: params.i,
            isOpenTWAP: self.open_twap,
        };
        let out = self.send(OWNER, &call);
        same("init", outcome::<DodoDppPool::initCall>(&out).map(|_| ()), expected)?;
        if let Err(e) = expected {
            *self.stats.init_refused.entry(e.reason()).or_default() += 1;
            return Ok(false);
        }
        self.model = next;
        self.check_views()?;
        Ok(true)
    }

    fn check_queries(&mut self, amount: U256) -> Result<(), TestCaseError> {
        let s = self.model.state;
        check_queries(&mut self.world, self.pool, &s, amount, (self.model.lp, self.mt))?;
        self.stats.queries += 2;
        Ok(())
    }

    /// The model of the pool's sell, on a pool with nothing pending.
    fn expected_sell(&self, sell_base: bool, amount: U256, now: u64) -> DodoResult<(U256, U256, Model)> {
        let m = &self.model;
        assert!(m.pending.is_zero(), "a trade with input pending");
        let t = model_sell(&m.state, sell_base, amount, (m.lp, self.mt))?;
        let mut next = m.clone();
        next.state = t.state;
        next.update_twap(now, self.open_twap)?;
        Ok((t.query.receive, t.query.mt_fee, next))
    }

    /// The trader transfers `amount` in and sells it; the payouts must be
    /// the model's, or the revert its reason. A refused input stays in the
    /// pool.
    fn sell(&mut self, sell_base: bool, amount: U256) -> Result<(), TestCaseError> {
        let now = self.world.block().timestamp;
        let expected = self.expected_sell(sell_base, amount, now);
        let (token_in, token_out) = if sell_base { (self.base, self.quote) } else { (self.quote, self.base) };
        self.transfer_in(TRADER, token_in, amount);
        let after = expected.as_ref().map(|(_, _, next)| next.state.r).map_err(|e| *e);
        self.stats.sells.count(self.model.state.r, after);
        let paid = expected.as_ref().map(|(receive, mt_fee, _)| (*receive, *mt_fee)).map_err(|e| *e);
        sell_and_check(&mut self.world, self.pool, token_out, sell_base, amount, paid)?;
        match expected {
            Ok((_, _, next)) => {
                if self.changed {
                    self.stats.trades_after_change += 1;
                }
                self.model = next;
            }
            Err(_) => self.model.pending.add(sell_base, amount),
        }
        self.check_views()
    }

    /// Records an owner operation's outcome; true when accepted.
    fn owner_outcome(&mut self, name: &'static str, expected: Result<(), DodoError>) -> bool {
        match expected {
            Ok(()) => {
                *self.stats.owner_ok.entry(name).or_default() += 1;
                true
            }
            Err(e) => {
                *self.stats.owner_refused.entry((name, e.reason())).or_default() += 1;
                false
            }
        }
    }

    /// The `LpFeeRateChange` events the pool emitted.
    fn fee_events(&self, out: &CallOutcome) -> Vec<U256> {
        out.logs
            .iter()
            .filter(|log| log.address == self.pool)
            .filter_map(|log| DodoDppPool::LpFeeRateChange::decode_log(log, true).ok())
            .map(|e| e.data.newLpFeeRate)
            .collect()
    }

    /// The owner's `reset` (after any top-up): the model's
    /// [`dodo::dpp_reset_from`] on the pool's balances, then the TWAP.
    fn reset(&mut self, reset: &DppReset) -> Result<bool, TestCaseError> {
        let now = self.world.block().timestamp;
        let (base_balance, quote_balance) = self.model.balances();
        let mut next = self.model.clone();
        let expected =
            dodo::dpp_reset_from(&self.model.state, base_balance, quote_balance, reset).and_then(|state| {
                next.state = state;
                next.lp = reset.params.lp_fee_rate;
                next.pending = Pending::default();
                next.update_twap(now, self.open_twap)
            });
        let before = (self.balance(self.base, ASSET_TO), self.balance(self.quote, ASSET_TO));
        let call = DodoDppPool::resetCall {
            assetTo: ASSET_TO,
            newLpFeeRate: reset.params.lp_fee_rate,
            newI: reset.params.i,
            newK: reset.params.k,
            baseOutAmount: reset.base_out,
            quoteOutAmount: reset.quote_out,
            minBaseReserve: reset.min_base_reserve,
            minQuoteReserve: reset.min_quote_reserve,
        };
        let out = self.send(OWNER, &call);
        same("reset", outcome::<DodoDppPool::resetCall>(&out).map(|r| r._0), expected.map(|()| true))?;
        if !self.owner_outcome("reset", expected) {
            return self.check_views().map(|()| false);
        }
        let after = (self.balance(self.base, ASSET_TO), self.balance(self.quote, ASSET_TO));
        prop_assert_eq!(
            (after.0 - before.0, after.1 - before.1),
            (reset.base_out, reset.quote_out),
            "assetTo gets"
        );
        prop_assert_eq!(self.fee_events(&out), vec![reset.params.lp_fee_rate], "LpFeeRateChange");
        if self.model.state.r != RState::One {
            self.stats.resets_from_off_one += 1;
        }
        self.changed |= next.state.i != self.model.state.i
            || next.state.k != self.model.state.k
            || next.lp != self.model.lp;
        self.model = next;
        self.check_views().map(|()| true)
    }

    fn tune_parameters(&mut self, params: DppParams, min: (U256, U256)) -> Result<(), TestCaseError> {
        let mut next = self.model.clone();
        let expected = dodo::dpp_tune_parameters(&self.model.state, params, min.0, min.1).map(|state| {
            next.state = state;
            next.lp = params.lp_fee_rate;
        });
        let call = DodoDppPool::tuneParametersCall {
            newLpFeeRate: params.lp_fee_rate,
            newI: params.i,
            newK: params.k,
            minBaseReserve: min.0,
            minQuoteReserve: min.1,
        };
        let out = self.send(OWNER, &call);
        same(
            "tuneParameters",
            outcome::<DodoDppPool::tuneParametersCall>(&out).map(|r| r._0),
            expected.map(|()| true),
        )?;
        if self.owner_outcome("tuneParameters", expected) {
            prop_assert_eq!(self.fee_events(&out), vec![params.lp_fee_rate], "LpFeeRateChange");
            self.changed = true;
            self.model = next;
        }
        self.check_views()
    }

    fn tune_price(&mut self, i: U256, min: (U256, U256)) -> Result<(), TestCaseError> {
        let mut next = self.model.clone();
        let expected =
            dodo::dpp_tune_price(&self.model.state, i, min.0, min.1).map(|state| next.state = state);
        let call = DodoDppPool::tunePriceCall { newI: i, minBaseReserve: min.0, minQuoteReserve: min.1 };
        let out = self.send(OWNER, &call);
        same(
            "tunePrice",
            outcome::<DodoDppPool::tunePriceCall>(&out).map(|r| r._0),
            expected.map(|()| true),
        )?;
        if self.owner_outcome("tunePrice", expected) {
            self.changed = true;
            self.model = next;
        }
        self.check_views()
    }

    /// The owner's `ratioSync` (after any transfer in).
    fn ratio_sync(&mut self) -> Result<bool, TestCaseError> {
        let now = self.world.block().timestamp;
        let (base_balance, quote_balance) = self.model.balances();
        let mut next = self.model.clone();
        let expected =
            dodo::dpp_ratio_sync(&self.model.state, base_balance, quote_balance).and_then(|state| {
                next.state = state;
                next.pending = Pending::default();
                next.update_twap(now, self.open_twap)
            });
        let out = self.send(OWNER, &DodoDppPool::ratioSyncCall {});
        same("ratioSync", outcome::<DodoDppPool::ratioSyncCall>(&out).map(|_| ()), expected)?;
        let accepted = self.owner_outcome("ratioSync", expected);
        if accepted {
            self.model = next;
        }
        self.check_views().map(|()| accepted)
    }

    /// An owner function called by a stranger: `NOT_OWNER`, nothing changes.
    fn stranger(&mut self, which: u8) -> Result<(), TestCaseError> {
        let s = self.model.state;
        let (z, lp) = (U256::ZERO, self.model.lp);
        let out = match which % 4 {
            0 => self.send(
                STRANGER,
                &DodoDppPool::resetCall {
                    assetTo: STRANGER,
                    newLpFeeRate: lp,
                    newI: s.i,
                    newK: s.k,
                    baseOutAmount: s.b,
                    quoteOutAmount: s.q,
                    minBaseReserve: z,
                    minQuoteReserve: z,
                },
            ),
            1 => self.send(
                STRANGER,
                &DodoDppPool::tuneParametersCall {
                    newLpFeeRate: lp,
                    newI: s.i,
                    newK: s.k,
                    minBaseReserve: z,
                    minQuoteReserve: z,
                },
            ),
            2 => self.send(
                STRANGER,
                &DodoDppPool::tunePriceCall { newI: s.i, minBaseReserve: z, minQuoteReserve: z },
            ),
            _ => self.send(STRANGER, &DodoDppPool::ratioSyncCall {}),
        };
        prop_assert!(!out.success && reason(&out) == "NOT_OWNER", "a stranger's owner call: {:?}", out);
        self.stats.strangers += 1;
        self.check_views()
    }

    /// Takes input left in the pool into the reserves: `ratioSync` or a
    /// `reset` keeping the parameters (the other when the first is refused).
    /// False when both are refused.
    fn absorb(&mut self, by_reset: bool) -> Result<bool, TestCaseError> {
        if self.model.pending.is_zero() {
            return Ok(true);
        }
        let s = self.model.state;
        let keep = DppReset {
            params: DppParams { lp_fee_rate: self.model.lp, i: s.i, k: s.k },
            base_out: U256::ZERO,
            quote_out: U256::ZERO,
            min_base_reserve: U256::ZERO,
            min_quote_reserve: U256::ZERO,
        };
        for reset in [by_reset, !by_reset] {
            let done = if reset { self.reset(&keep)? } else { self.ratio_sync()? };
            if done {
                return Ok(true);
            }
        }
        self.stats.ended_early += 1;
        Ok(false)
    }
}

// ------------------------------------------------------------------ cases

/// An amount relative to what the pool holds.
#[derive(Clone, Debug)]
enum Amount {
    Zero,
    /// Parts per million of the reference amount.
    Ppm(u64),
    /// `m · 10^e` whole tokens.
    Tokens(u64, i32),
    /// The reference amount itself.
    All,
    /// The reference amount plus this.
    Over(u64),
    /// The reference amount minus this (floored at zero).
    Under(u64),
}

impl Amount {
    fn of(&self, reference: U256, decimals: u8) -> U256 {
        match *self {
            Self::Zero => U256::ZERO,
            Self::Ppm(ppm) => ppm_of(reference, ppm),
            Self::Tokens(m, e) => tokens(m, e, decimals),
            Self::All => reference,
            Self::Over(x) => reference + U256::from(x),
            Self::Under(x) => reference.saturating_sub(U256::from(x)),
        }
    }
}

/// A top-up: nothing, or a share of the reserve, or some tokens.
fn top_up_strategy() -> impl Strategy<Value = Amount> {
    prop_oneof![
        3 => Just(Amount::Zero),
        2 => (0u64..=2_000_000).prop_map(Amount::Ppm),
        1 => (1u64..1_000, -3i32..=4).prop_map(|(m, e)| Amount::Tokens(m, e)),
    ]
}

/// A payout of `reset`, relative to the balance: mostly within it, now and
/// then all of it or one unit more.
fn out_strategy() -> impl Strategy<Value = Amount> {
    prop_oneof![
        3 => Just(Amount::Zero),
        5 => (0u64..=1_000_000).prop_map(Amount::Ppm),
        1 => Just(Amount::All),
        1 => Just(Amount::Over(1)),
    ]
}

/// A minimum reserve, relative to the stored reserve: zero, below, equal
/// or (refused) above.
fn min_strategy() -> impl Strategy<Value = Amount> {
    prop_oneof![
        4 => Just(Amount::Zero),
        2 => Just(Amount::All),
        1 => (1u64..=1_000_000).prop_map(Amount::Under),
        1 => (1u64..=1_000).prop_map(Amount::Over),
    ]
}

fn lp_strategy() -> impl Strategy<Value = U256> {
    prop_oneof![
        2 => Just(U256::ZERO),
        6 => (0..=E18 / 100).prop_map(u),
        1 => Just(u(E18)),
        1 => (E18 / 100..=E18).prop_map(u),
    ]
}

/// New parameters, now and then one out of DODO's ranges.
fn params_strategy(base_decimals: u8, quote_decimals: u8) -> impl Strategy<Value = DppParams> {
    (i_strategy(base_decimals, quote_decimals), k_strategy(), lp_strategy(), 0u8..30).prop_map(
        |(i, k, lp_fee_rate, pick)| {
            let mut p = DppParams { lp_fee_rate, i, k };
            match pick {
                0 => p.lp_fee_rate = ONE + U256::from(1u8),
                1 => p.k = ONE + U256::from(1u8),
                2 => p.i = U256::ZERO,
                3 => p.i = ONE * ONE + U256::from(1u8),
                _ => {}
            }
            p
        },
    )
}

#[derive(Clone, Debug)]
enum Op {
    Trade(Trade),
    Reset {
        params: DppParams,
        top_up: (Amount, Amount),
        out: (Amount, Amount),
        min: (Amount, Amount),
        wait: u64,
    },
    TuneParameters {
        params: DppParams,
        min: (Amount, Amount),
    },
    TunePrice {
        i: U256,
        min: (Amount, Amount),
    },
    RatioSync {
        top_up: (Amount, Amount),
        wait: u64,
    },
    Stranger(u8),
}

fn op_strategy(bd: u8, qd: u8) -> impl Strategy<Value = Op> {
    let pair = |s: fn() -> BoxedStrategy<Amount>| (s(), s());
    prop_oneof![
        8 => trade_strategy().prop_map(Op::Trade),
        3 => (
            params_strategy(bd, qd),
            pair(|| top_up_strategy().boxed()),
            pair(|| out_strategy().boxed()),
            pair(|| min_strategy().boxed()),
            wait_strategy()
        )
            .prop_map(|(params, top_up, out, min, wait)| Op::Reset { params, top_up, out, min, wait }),
        1 => (params_strategy(bd, qd), pair(|| min_strategy().boxed()))
            .prop_map(|(params, min)| Op::TuneParameters { params, min }),
        1 => (params_strategy(bd, qd), pair(|| min_strategy().boxed()))
            .prop_map(|(p, min)| Op::TunePrice { i: p.i, min }),
        1 => (pair(|| top_up_strategy().boxed()), wait_strategy())
            .prop_map(|(top_up, wait)| Op::RatioSync { top_up, wait }),
        1 => any::<u8>().prop_map(Op::Stranger),
    ]
}

#[derive(Clone, Debug)]
struct Case {
    base_decimals: u8,
    quote_decimals: u8,
    params: DppParams,
    mt: U256,
    open_twap: bool,
    base: U256,
    quote: U256,
    /// Transfers then `init` (DODO's factory flow), or `init` on an empty
    /// pool, transfers and a `reset` (DODO's test context).
    fund_first: bool,
    /// How pending input is absorbed first: `reset` or `ratioSync`.
    absorb_by_reset: bool,
    ops: Vec<Op>,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (decimals_strategy(), decimals_strategy()).prop_flat_map(|(bd, qd)| {
        (
            (i_strategy(bd, qd), k_strategy(), lp_strategy(), 0..=E18 / 200),
            any::<bool>(),
            reserve_strategy(bd),
            reserve_strategy(qd),
            any::<(bool, bool)>(),
            proptest::collection::vec(op_strategy(bd, qd), OPS_PER_CASE),
        )
            .prop_map(
                move |((i, k, lp_fee_rate, mt), open_twap, base, quote, (fund_first, absorb), ops)| Case {
                    base_decimals: bd,
                    quote_decimals: qd,
                    params: DppParams { lp_fee_rate, i, k },
                    mt: u(mt),
                    open_twap,
                    base,
                    quote,
                    fund_first,
                    absorb_by_reset: absorb,
                    ops,
                },
            )
    })
}

impl Dpp {
    fn amounts(&self, pair: &(Amount, Amount), reference: (U256, U256)) -> (U256, U256) {
        (pair.0.of(reference.0, self.base_decimals), pair.1.of(reference.1, self.quote_decimals))
    }

    /// One operation; false when the case must end (input pending that the
    /// owner cannot absorb).
    fn step(&mut self, op: &Op, absorb_by_reset: bool) -> Result<bool, TestCaseError> {
        match op {
            Op::Trade(trade) => {
                if !self.absorb(absorb_by_reset)? {
                    return Ok(false);
                }
                self.world.advance(trade.wait);
                let (sell_base, amount) =
                    resolve(trade, &self.model.state, self.base_decimals, self.quote_decimals);
                self.check_queries(amount)?;
                self.sell(sell_base, amount)?;
            }
            Op::Reset { params, top_up, out, min, wait } => {
                self.world.advance(*wait);
                let s = self.model.state;
                let (base, quote) = self.amounts(top_up, (s.b, s.q));
                self.top_up(base, quote);
                let (base_out, quote_out) = self.amounts(out, self.model.balances());
                let (min_base_reserve, min_quote_reserve) = self.amounts(min, (s.b, s.q));
                let reset =
                    DppReset { params: *params, base_out, quote_out, min_base_reserve, min_quote_reserve };
                self.reset(&reset)?;
            }
            Op::TuneParameters { params, min } => {
                let s = self.model.state;
                let min = self.amounts(min, (s.b, s.q));
                self.tune_parameters(*params, min)?;
            }
            Op::TunePrice { i, min } => {
                let s = self.model.state;
                let min = self.amounts(min, (s.b, s.q));
                self.tune_price(*i, min)?;
            }
            Op::RatioSync { top_up, wait } => {
                self.world.advance(*wait);
                let s = self.model.state;
                let (base, quote) = self.amounts(top_up, (s.b, s.q));
                self.top_up(base, quote);
                self.ratio_sync()?;
            }
            Op::Stranger(which) => self.stranger(*which)?,
        }
        Ok(true)
    }
}

fn run_case(case: &Case) -> Result<Dpp, TestCaseError> {
    let mut pool = Dpp::deploy(case.base_decimals, case.quote_decimals, case.mt, case.open_twap);
    if case.fund_first {
        if !pool.init(case.params, case.base, case.quote)? {
            return Ok(pool);
        }
    } else {
        if !pool.init(case.params, U256::ZERO, U256::ZERO)? {
            return Ok(pool);
        }
        pool.top_up(case.base, case.quote);
        let z = U256::ZERO;
        let reset = DppReset {
            params: case.params,
            base_out: z,
            quote_out: z,
            min_base_reserve: z,
            min_quote_reserve: z,
        };
        if !pool.reset(&reset)? {
            return Ok(pool);
        }
    }
    for op in &case.ops {
        if !pool.step(op, case.absorb_by_reset)? {
            break;
        }
    }
    Ok(pool)
}

#[test]
fn dpp_fixture_matches_dodo_model_to_the_wei() {
    let (t, cases, elapsed) = run_pools("DodoDppPool", &case_strategy(), |total: &mut Stats, case| {
        total.add(&run_case(&case)?.stats);
        Ok(())
    });
    eprintln!(
        "{} pools ({:?} refused init), {} trades (from R one/above/below: {:?}; {} changed R; {} after the owner \
         changed the parameters; refused by both: {:?}), {} queries; owner operations accepted {:?}, refused by \
         both {:?}; {} resets from R off one; {} strangers refused; {} cases ended with input pending; {} states \
         compared, in {:.1?}",
        t.pools,
        t.init_refused,
        t.sells.trades,
        t.sells.from_r,
        t.sells.r_changes,
        t.trades_after_change,
        t.sells.refused,
        t.queries,
        t.owner_ok,
        t.owner_refused,
        t.resets_from_off_one,
        t.strangers,
        t.ended_early,
        t.states,
        elapsed
    );
    assert_eq!(t.pools, u64::from(cases));
    let cases = u64::from(cases);
    assert!(t.sells.from_r.iter().all(|&n| n > cases / 2), "every R state traded from: {:?}", t.sells.from_r);
    assert!(t.trades_after_change > cases, "{} trades after a parameter change", t.trades_after_change);
    assert!(t.resets_from_off_one > cases / 10, "{} resets from R off one", t.resets_from_off_one);
    for name in ["reset", "tuneParameters", "tunePrice", "ratioSync"] {
        assert!(t.owner_ok.get(name).copied().unwrap_or(0) > cases / 10, "{name} accepted: {:?}", t.owner_ok);
    }
    for reason in [
        "RESERVE_AMOUNT_IS_NOT_ENOUGH",
        "LP_FEE_RATE_OUT_OF_RANGE",
        "K_OUT_OF_RANGE",
        "I_OUT_OF_RANGE",
        "TRANSFER_AMOUNT_EXCEEDS_BALANCE",
    ] {
        assert!(
            t.owner_refused.iter().any(|((name, r), _)| *name == "reset" && *r == reason),
            "reset refused with {reason}: {:?}",
            t.owner_refused
        );
    }
    assert!(t.states >= 10_000 || proptest_cases() < 10_000, "{} states", t.states);
}

// ----------------------------------------------------------- known answers

/// DODO's DPP test context (`DPPContext.ts`, `trader.test.ts`): lpFee
/// 0.002, mtFee 0.001, k 0.1, i = 100, the pool funded with 10 base and
/// 1,000 quote; the trader holds 10 base and 1,000 quote. `fund_first`:
/// transfers then `init`; otherwise `init` on the empty pool, transfers and
/// the owner's `reset`, as DODO's test does.
fn dodo_context(fund_first: bool) -> Dpp {
    let params = DppParams { lp_fee_rate: u(2 * E18 / 1_000), i: d(100), k: u(E18 / 10) };
    let mut pool = Dpp::deploy(18, 18, u(E18 / 1_000), false);
    // The trader keeps exactly DODO's 10 base and 1,000 quote.
    for (token, keep) in [(pool.base, d(10)), (pool.quote, d(1_000))] {
        let held = pool.balance(token, TRADER);
        let transfer = TestToken::transferCall { to: OWNER, amount: held - keep }.abi_encode();
        call_ok(&mut pool.world, TRADER, token, &transfer, "trimming the trader");
    }
    if fund_first {
        assert!(pool.init(params, d(10), d(1_000)).unwrap());
    } else {
        assert!(pool.init(params, U256::ZERO, U256::ZERO).unwrap());
        pool.top_up(d(10), d(1_000));
        let z = U256::ZERO;
        let reset = DppReset { params, base_out: z, quote_out: z, min_base_reserve: z, min_quote_reserve: z };
        assert!(pool.reset(&reset).unwrap());
    }
    let s = pool.model.state;
    assert_eq!((s.b, s.q, s.b0, s.q0, s.r), (d(10), d(1_000), d(10), d(1_000), RState::One));
    pool
}

/// `(traderBase, traderQuote, DPPBase, DPPQuote, maintainerBase,
/// maintainerQuote)`, as DODO's `getBalances`.
fn balances(pool: &mut Dpp) -> [U256; 6] {
    let (base, quote, dpp) = (pool.base, pool.quote, pool.pool);
    [
        pool.balance(base, TRADER),
        pool.balance(quote, TRADER),
        pool.balance(base, dpp),
        pool.balance(quote, dpp),
        pool.balance(base, MAINTAINER),
        pool.balance(quote, MAINTAINER),
    ]
}

fn figures(values: [&str; 6]) -> [U256; 6] {
    values.map(n)
}

/// The issue's known answer and the rest of DODO's "first buy and then
/// sell": selling 100 quote at R = ONE pays the trader 986174542266106307
/// base and the maintainer 989141968170618, and leaves 9012836315765723075
/// base in the pool.
#[test]
fn dodo_dpp_first_buy_then_sell_on_the_fixture() {
    for fund_first in [true, false] {
        let mut pool = dodo_context(fund_first);
        let trader_base = pool.balance(pool.base, TRADER);
        pool.sell(false, d(100)).unwrap();
        assert_eq!(pool.balance(pool.base, TRADER) - trader_base, n("986174542266106307"));
        let b = balances(&mut pool);
        assert_eq!(b[2], n("9012836315765723075"));
        assert_eq!(b[4], n("989141968170618"));
        let want = ["10986174542266106307", "900000000000000000000", "9012836315765723075"];
        assert_eq!(b, figures([want[0], want[1], want[2], "1100000000000000000000", "989141968170618", "0"]));
        pool.sell(false, d(100)).unwrap();
        let want = [
            "11946772292527553373",
            "800000000000000000000",
            "8051275077289369844",
            "1200000000000000000000",
        ];
        assert_eq!(
            balances(&mut pool),
            figures([want[0], want[1], want[2], want[3], "1952630183076783", "0"])
        );
        pool.sell(true, d(1)).unwrap();
        let want = [
            "10946772292527553373",
            "903421814651005338950",
            "9051275077289369844",
            "1096474452335302579467",
            "1952630183076783",
            "103733013692081583",
        ];
        assert_eq!(balances(&mut pool), figures(want));
        pool.sell(true, d(2)).unwrap();
        let want = [
            "8946772292527553373",
            "1102638273848343281094",
            "11051275077289369844",
            "897058177231046545105",
            "1952630183076783",
            "303548920610173801",
        ];
        assert_eq!(balances(&mut pool), figures(want));
        let state = pool.view(&DodoPool::getPMMStateForCallCall {}).unwrap();
        assert_eq!((state.R, state.B0), (U256::from(2u8), n("10005950249348099200")));
    }
}

/// DODO's "first sell and then buy".
#[test]
fn dodo_dpp_first_sell_then_buy_on_the_fixture() {
    for fund_first in [true, false] {
        let mut pool = dodo_context(fund_first);
        pool.sell(true, d(1)).unwrap();
        let want = [
            "9000000000000000000",
            "1098617454226610630663",
            "11000000000000000000",
            "901283631576572307521",
        ];
        assert_eq!(
            balances(&mut pool),
            figures([want[0], want[1], want[2], want[3], "0", "98914196817061816"])
        );
        pool.sell(true, d(1)).unwrap();
        let want = [
            "8000000000000000000",
            "1194677229252755337109",
            "12000000000000000000",
            "805127507728936984519",
        ];
        assert_eq!(
            balances(&mut pool),
            figures([want[0], want[1], want[2], want[3], "0", "195263018307678372"])
        );
        pool.sell(false, d(100)).unwrap();
        let want = [
            "9034218146510053391",
            "1094677229252755337109",
            "10964744523353025794",
            "905127507728936984519",
            "1037330136920815",
            "195263018307678372",
        ];
        assert_eq!(balances(&mut pool), figures(want));
        pool.sell(false, d(200)).unwrap();
        let want = [
            "11026382738483432812",
            "894677229252755337109",
            "8970581772310465451",
            "1105127507728936984519",
            "3035489206101737",
            "195263018307678372",
        ];
        assert_eq!(balances(&mut pool), figures(want));
        let state = pool.view(&DodoPool::getPMMStateForCallCall {}).unwrap();
        assert_eq!((state.R, state.Q0), (U256::from(1u8), n("1000595024934809920179")));
    }
}

/// DODO's "flash loan": 200 quote in buys at most 1946763594380080789 base
/// (one more fails), then 1 base in at most 103421810640399874605 quote.
#[test]
fn dodo_dpp_flash_loan_on_the_fixture() {
    let mut pool = dodo_context(true);
    let (base, quote) = (pool.base, pool.quote);
    pool.transfer_in(TRADER, quote, d(200));
    let loan = |base_amount: &str, quote_amount: &str| DodoDppPool::flashLoanCall {
        baseAmount: n(base_amount),
        quoteAmount: n(quote_amount),
        assetTo: TRADER,
        data: Bytes::new(),
    };
    let out = pool.send(TRADER, &loan("1946763594380080790", "0"));
    assert_eq!(reason(&out), "FLASH_LOAN_FAILED");
    assert!(pool.send(TRADER, &loan("1946763594380080789", "0")).success);
    assert_eq!(pool.balance(base, TRADER), n("11946763594380080789"));
    pool.transfer_in(TRADER, base, d(1));
    let out = pool.send(TRADER, &loan("0", "103421810640399874606"));
    assert_eq!(reason(&out), "FLASH_LOAN_FAILED");
    assert!(pool.send(TRADER, &loan("0", "103421810640399874605")).success);
    assert_eq!(pool.balance(quote, TRADER), n("903421810640399874605"));
}

/// Everything a test can observe of the pool: its views and the token
/// balances of the pool, the owner, `assetTo` and the stranger.
fn observe(pool: &mut Dpp) -> Vec<U256> {
    let s = pool.view(&DodoPool::getPMMStateForCallCall {}).unwrap();
    let mut seen = vec![s.i, s.K, s.B, s.Q, s.B0, s.Q0, s.R];
    seen.push(U256::from(pool.view(&DodoPool::_BASE_TARGET_Call {}).unwrap()._0));
    seen.push(U256::from(pool.view(&DodoPool::_QUOTE_TARGET_Call {}).unwrap()._0));
    seen.push(U256::from(pool.view(&DodoPool::_RState_Call {}).unwrap()._0));
    seen.push(U256::from(pool.view(&DodoDppPool::_LP_FEE_RATE_Call {}).unwrap()._0));
    seen.push(pool.view(&DodoPool::_BASE_PRICE_CUMULATIVE_LAST_Call {}).unwrap()._0);
    seen.push(U256::from(pool.view(&DodoPool::_BLOCK_TIMESTAMP_LAST_Call {}).unwrap()._0));
    for holder in [pool.pool, OWNER, ASSET_TO, STRANGER] {
        seen.push(pool.balance(pool.base, holder));
        seen.push(pool.balance(pool.quote, holder));
    }
    seen
}

/// `reset` by a stranger, and `reset` with a minimum above a stored
/// reserve (DODO's "revert if someone trade before reset": a trade lands
/// between the owner's read and the reset), revert and change nothing; the
/// reserve guard comes before the parameter checks, as in DODO.
#[test]
fn reset_refusals_change_nothing() {
    let mut pool = dodo_context(true);
    pool.world.advance(60);
    pool.sell(true, d(1)).unwrap();
    assert_eq!(pool.model.state.r, RState::BelowOne);
    let s = pool.model.state;
    let reset = |min_base: U256, min_quote: U256, k: U256| DodoDppPool::resetCall {
        assetTo: ASSET_TO,
        newLpFeeRate: U256::ZERO,
        newI: d(1),
        newK: k,
        baseOutAmount: d(1),
        quoteOutAmount: d(1),
        minBaseReserve: min_base,
        minQuoteReserve: min_quote,
    };
    let before = observe(&mut pool);
    let out = pool.send(STRANGER, &reset(U256::ZERO, U256::ZERO, U256::ZERO));
    assert_eq!(reason(&out), "NOT_OWNER");
    assert_eq!(observe(&mut pool), before);
    // The owner read 10 base and 1,000 quote before the trade.
    for (min_base, min_quote) in [(d(10), d(1_000)), (s.b, s.q + u(1)), (s.b + u(1), U256::ZERO)] {
        let out = pool.send(OWNER, &reset(min_base, min_quote, d(2)));
        assert_eq!(reason(&out), "RESERVE_AMOUNT_IS_NOT_ENOUGH");
        assert_eq!(observe(&mut pool), before);
    }
    // At the stored reserves the guard passes and k = 2 is refused next.
    let out = pool.send(OWNER, &reset(s.b, s.q, d(2)));
    assert_eq!(reason(&out), "K_OUT_OF_RANGE");
    assert_eq!(observe(&mut pool), before);
    // More out than the pool holds: the token refuses.
    let mut too_much = reset(U256::ZERO, U256::ZERO, U256::ZERO);
    too_much.quoteOutAmount = s.q + u(1);
    let out = pool.send(OWNER, &too_much);
    assert!(!out.success && revert_data_matches(&out.return_data, DodoError::TransferExceedsBalance));
    assert_eq!(observe(&mut pool), before);
    // DODO's reset.test.ts range checks.
    let ten_pow_37 = n("10000000000000000000000000000000000000");
    for (i, k, why) in [
        (U256::ZERO, d(1), "I_OUT_OF_RANGE"),
        (ten_pow_37, d(1), "I_OUT_OF_RANGE"),
        (d(1), d(2), "K_OUT_OF_RANGE"),
    ] {
        let mut call = reset(U256::ZERO, U256::ZERO, k);
        call.newI = i;
        assert_eq!(reason(&pool.send(OWNER, &call)), why);
    }
    let mut call = reset(U256::ZERO, U256::ZERO, U256::ZERO);
    call.newLpFeeRate = ONE + u(1);
    assert_eq!(reason(&pool.send(OWNER, &call)), "LP_FEE_RATE_OUT_OF_RANGE");
    assert_eq!(observe(&mut pool), before);
}

/// A reset after trades (R below one): the out-amounts go to `assetTo`,
/// both targets become the reserves left and R ONE; the new `i`, `k` and LP
/// fee take effect, and the next trades equal `pmm::dodo` to the wei (the
/// harness compares every payout and state).
#[test]
fn reset_resets_targets_and_prices_with_the_new_parameters() {
    let mut pool = dodo_context(true);
    pool.sell(true, d(2)).unwrap();
    pool.sell(false, d(50)).unwrap();
    assert_eq!(pool.model.state.r, RState::BelowOne);
    let s = pool.model.state;
    assert_ne!((s.b0, s.q0), (s.b, s.q));
    let params = DppParams { lp_fee_rate: u(E18 / 100), i: d(300), k: u(3 * E18 / 10) };
    let reset =
        DppReset { params, base_out: d(1), quote_out: d(100), min_base_reserve: s.b, min_quote_reserve: s.q };
    let asset_to = (pool.balance(pool.base, ASSET_TO), pool.balance(pool.quote, ASSET_TO));
    assert!(pool.reset(&reset).unwrap());
    assert_eq!(pool.balance(pool.base, ASSET_TO) - asset_to.0, d(1));
    assert_eq!(pool.balance(pool.quote, ASSET_TO) - asset_to.1, d(100));
    let after = pool.view(&DodoPool::getPMMStateForCallCall {}).unwrap();
    assert_eq!((after.B, after.Q), (s.b - d(1), s.q - d(100)));
    assert_eq!((after.B0, after.Q0, after.R), (after.B, after.Q, U256::ZERO));
    assert_eq!((after.i, after.K), (d(300), u(3 * E18 / 10)));
    assert_eq!(pool.view(&DodoDppPool::getUserFeeRateCall { user: TRADER }).unwrap().lpFeeRate, u(E18 / 100));
    assert_eq!(pool.view(&DodoPool::getMidPriceCall {}).unwrap().midPrice, d(300));
    for (sell_base, amount) in [(false, d(30)), (false, d(30)), (true, d(1)), (true, d(1)), (false, d(500))] {
        pool.check_queries(amount).unwrap();
        pool.sell(sell_base, amount).unwrap();
    }
    // DODO's reset.test.ts "reset with asset input": a top-up by transfer,
    // then a reset; reserves and targets are the balances.
    pool.top_up(d(10), d(1_000));
    let (b, q) = pool.model.balances();
    let z = U256::ZERO;
    let reset = DppReset { params, base_out: z, quote_out: z, min_base_reserve: z, min_quote_reserve: z };
    assert!(pool.reset(&reset).unwrap());
    let after = pool.view(&DodoPool::getPMMStateForCallCall {}).unwrap();
    assert_eq!((after.B, after.Q, after.B0, after.Q0, after.R), (b, q, b, q, U256::ZERO));
    // tunePrice keeps the targets; the trades follow the model again.
    pool.tune_price(d(310), (z, z)).unwrap();
    pool.sell(true, d(1)).unwrap();
    pool.tune_parameters(DppParams { lp_fee_rate: z, i: d(290), k: u(E18 / 2) }, (z, z)).unwrap();
    pool.sell(false, d(400)).unwrap();
}

/// `init` and `initOwner` run once; base and quote leave only through
/// `reset` (`retrieve` refuses them); ownership moves in two steps; the
/// version is `DPPAdvanced`'s.
#[test]
fn owner_setup_rules() {
    let mut pool = dodo_context(true);
    let again = DodoDppPool::initCall {
        owner: STRANGER,
        maintainer: STRANGER,
        baseTokenAddress: pool.base,
        quoteTokenAddress: pool.quote,
        lpFeeRate: U256::ZERO,
        mtFeeRateModel: pool.fee_model,
        k: U256::ZERO,
        i: d(1),
        isOpenTWAP: false,
    };
    assert_eq!(reason(&pool.send(STRANGER, &again)), "DODO_INITIALIZED");
    assert_eq!(
        reason(&pool.send(STRANGER, &DodoDppPool::initOwnerCall { newOwner: STRANGER })),
        "DODO_INITIALIZED"
    );
    for token in [pool.base, pool.quote] {
        let call = DodoDppPool::retrieveCall { to: OWNER, token, amount: u(1) };
        assert_eq!(reason(&pool.send(OWNER, &call)), "USE_RESET");
    }
    assert_eq!(pool.view(&DodoDppPool::versionCall {}).unwrap()._0, "DPP Advanced 1.0.0");
    // Same tokens refused at init.
    let mut fresh = Dpp::deploy(18, 18, U256::ZERO, false);
    let same_tokens =
        DodoDppPool::initCall { baseTokenAddress: fresh.base, quoteTokenAddress: fresh.base, ..again };
    assert_eq!(reason(&fresh.send(OWNER, &same_tokens)), "BASE_QUOTE_CAN_NOT_BE_SAME");
    // Ownership: prepared by the owner, claimed by the new owner.
    assert!(pool.send(OWNER, &DodoDppPool::transferOwnershipCall { newOwner: STRANGER }).success);
    assert_eq!(reason(&pool.send(ASSET_TO, &DodoDppPool::claimOwnershipCall {})), "INVALID_CLAIM");
    assert!(pool.send(STRANGER, &DodoDppPool::claimOwnershipCall {}).success);
    assert_eq!(pool.view(&DodoDppPool::_OWNER_Call {}).unwrap()._0, STRANGER);
    let tune =
        DodoDppPool::tunePriceCall { newI: d(101), minBaseReserve: U256::ZERO, minQuoteReserve: U256::ZERO };
    assert_eq!(reason(&pool.send(OWNER, &tune)), "NOT_OWNER");
    assert!(pool.send(STRANGER, &tune).success);
}

/// The maintainer rate is the fee model's rate for `tx.origin`: a trade the
/// trader sends through another contract pays the trader's own rate.
#[test]
fn maintainer_rate_is_looked_up_for_tx_origin() {
    let mut pool = dodo_context(true);
    let rate = u(5 * E18 / 1_000);
    let set = DodoFeeRateModel::setTraderRateCall { trader: TRADER, rate }.abi_encode();
    call_ok(&mut pool.world, OWNER, pool.fee_model, &set, "setTraderRate");
    let probe = artifact("CallProbe").deploy(&mut pool.world, TRADER, &[]).expect("CallProbe deploys");
    let rates = pool.view(&DodoDppPool::getUserFeeRateCall { user: TRADER }).unwrap();
    assert_eq!(rates.mtFeeRate, rate);
    let expected = dodo::sell_quote(&pool.model.state, d(100), pool.model.lp, rate).unwrap();
    pool.transfer_in(TRADER, pool.quote, d(100));
    let maintainer = pool.balance(pool.base, MAINTAINER);
    let data = DodoPool::sellQuoteCall { to: TRADER }.abi_encode();
    let out = call_ok(
        &mut pool.world,
        TRADER,
        probe,
        &CallProbe::forwardCall { target: pool.pool, data: data.into() }.abi_encode(),
        "forward",
    );
    let forwarded = CallProbe::forwardCall::abi_decode_returns(&out.return_data, true).unwrap();
    assert!(forwarded.ok, "sellQuote through the probe: {}", describe(&forwarded.ret));
    assert_eq!(pool.balance(pool.base, MAINTAINER) - maintainer, expected.query.mt_fee);
    assert_eq!(U256::from_be_slice(&forwarded.ret), expected.query.receive);
}

// ------------------------------------------------------------------ ABI

/// The fixture's functions and events have DODO's official `DPPAdvanced` ABI
/// (`abi/external/dodo/DPPAdvanced.json`, npm `@dodoex/dodo-contract-request`
/// 1.8.0): every function and event of that file is in the fixture with
/// the same input and output types, read-only class and indexed fields,
/// hence the same selectors. The fixture adds `DPPAdvanced`'s
/// `tuneParameters` and `tunePrice` (in DODO's source, not in that file).
#[test]
fn dpp_fixture_has_dodo_abi() {
    let official = repo_json("abi/external/dodo/DPPAdvanced.json");
    let fixture = artifact("DodoDppPool").abi.clone();
    for kind in ["function", "event"] {
        let (dodo, ours) = (abi_entries(&official, kind), abi_entries(&fixture, kind));
        for (name, theirs) in &dodo {
            assert_eq!(ours.get(name), Some(theirs), "{kind} {name}");
        }
        let extra: Vec<&str> =
            ours.keys().filter(|name| !dodo.contains_key(*name)).map(String::as_str).collect();
        let allowed: Vec<&str> =
            if kind == "function" { vec!["tuneParameters", "tunePrice"] } else { vec![] };
        assert_eq!(extra, allowed, "{kind}s beyond DODO's");
    }
}
