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

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use alloy_primitives::{address, Address, Bytes, U256};
use alloy_sol_types::{sol, SolCall, SolConstructor, SolEvent};
use dodo_support::{
    abi_entries, decimals_strategy, describe, i_strategy, k_strategy, ppm_of, proptest_cases,
    reserve_strategy, resolve, revert_data_matches, same, tokens, trade_strategy, u, wait_strategy, Trade,
    E18,
};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use vault_chain::artifacts::Artifact;
use vault_chain::{CallOutcome, World};
use vault_math::pmm::dodo::{self, DodoError, DodoResult, DppParams, DppReset, ONE};
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
        function setTraderRate(address trader, uint256 rate) external;
    }

    contract CallProbe {
        function forward(address target, bytes data) external payable returns (bool ok, bytes ret);
    }

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
        function sellBase(address to) external returns (uint256 receiveQuoteAmount);
        function sellQuote(address to) external returns (uint256 receiveBaseAmount);
        function flashLoan(uint256 baseAmount, uint256 quoteAmount, address assetTo, bytes data) external;
        function querySellBase(address trader, uint256 payBaseAmount) external view returns (uint256 receiveQuoteAmount, uint256 mtFee, uint8 newRState, uint256 newBaseTarget);
        function querySellQuote(address trader, uint256 payQuoteAmount) external view returns (uint256 receiveBaseAmount, uint256 mtFee, uint8 newRState, uint256 newQuoteTarget);
        function getPMMStateForCall() external view returns (uint256 i, uint256 K, uint256 B, uint256 Q, uint256 B0, uint256 Q0, uint256 R);
        function getMidPrice() external view returns (uint256 midPrice);
        function getVaultReserve() external view returns (uint256 baseReserve, uint256 quoteReserve);
        function getUserFeeRate(address user) external view returns (uint256 lpFeeRate, uint256 mtFeeRate);
        function _OWNER_() external view returns (address);
        function _BASE_TARGET_() external view returns (uint112);
        function _QUOTE_TARGET_() external view returns (uint112);
        function _RState_() external view returns (uint32);
        function _I_() external view returns (uint128);
        function _K_() external view returns (uint64);
        function _LP_FEE_RATE_() external view returns (uint64);
        function _BASE_PRICE_CUMULATIVE_LAST_() external view returns (uint256);
        function _BLOCK_TIMESTAMP_LAST_() external view returns (uint32);
        function version() external pure returns (string);
    }
}

const OWNER: Address = address!("00000000000000000000000000000000000a11ce");
const TRADER: Address = address!("0000000000000000000000000000000000007ade");
const MAINTAINER: Address = address!("000000000000000000000000000000000000fee5");
/// Where the owner's `reset` sends what it takes out.
const ASSET_TO: Address = address!("00000000000000000000000000000000000a55e7");
const STRANGER: Address = address!("0000000000000000000000000000000000005a11");

/// Operations in one case (one pool) after its funding.
const OPS_PER_CASE: usize = 10;
/// Pools (proptest cases) per run at least.
const MIN_POOLS: u32 = 1_500;
/// What the owner and the trader each hold of each token.
const FUNDS_BITS: usize = 249;

fn pools_per_run() -> u32 {
    (proptest_cases() / 8).max(MIN_POOLS)
}

/// `x · 1e18`, as DODO's tests' `decimalStr`.
fn d(x: u64) -> U256 {
    U256::from(x) * ONE
}

fn n(s: &str) -> U256 {
    s.parse().expect("a decimal number")
}

fn artifact(name: &'static str) -> &'static Artifact {
    static TOKEN: OnceLock<Artifact> = OnceLock::new();
    static MODEL: OnceLock<Artifact> = OnceLock::new();
    static PROBE: OnceLock<Artifact> = OnceLock::new();
    static POOL: OnceLock<Artifact> = OnceLock::new();
    let cell = match name {
        "TestToken" => &TOKEN,
        "DodoFeeRateModel" => &MODEL,
        "CallProbe" => &PROBE,
        "DodoDppPool" => &POOL,
        _ => unreachable!("no artifact {name} here"),
    };
    cell.get_or_init(|| Artifact::load(name).unwrap_or_else(|e| panic!("{e}")))
}

fn outcome<C: SolCall>(out: &CallOutcome) -> Result<C::Return, Vec<u8>> {
    if out.success {
        Ok(C::abi_decode_returns(&out.return_data, true).expect("returns decode"))
    } else {
        assert!(out.error.is_none(), "{} failed outside a revert: {out:?}", C::SIGNATURE);
        Err(out.return_data.clone())
    }
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
            let (c, t) = dodo::twap_update(&self.state, self.cumulative, self.timestamp_last, now32)?;
            self.cumulative = c;
            self.timestamp_last = t;
        }
        Ok(())
    }

    fn balances(&self) -> (U256, U256) {
        (self.state.b + self.pending_base, self.state.q + self.pending_quote)
    }
}

#[derive(Clone, Debug, Default)]
struct Stats {
    pools: u64,
    init_refused: BTreeMap<&'static str, u64>,
    trades: u64,
    from_r: [u64; 3],
    r_changes: u64,
    trade_refused: BTreeMap<&'static str, u64>,
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
        for (k, v) in &other.init_refused {
            *self.init_refused.entry(k).or_default() += v;
        }
        self.trades += other.trades;
        for (a, b) in self.from_r.iter_mut().zip(other.from_r) {
            *a += b;
        }
        self.r_changes += other.r_changes;
        for (k, v) in &other.trade_refused {
            *self.trade_refused.entry(k).or_default() += v;
        }
        self.trades_after_change += other.trades_after_change;
        self.queries += other.queries;
        for (k, v) in &other.owner_ok {
            *self.owner_ok.entry(k).or_default() += v;
        }
        for (k, v) in &other.owner_refused {
            *self.owner_refused.entry(*k).or_default() += v;
        }
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

fn call_ok(world: &mut World, from: Address, to: Address, data: &[u8], what: &str) -> CallOutcome {
    let out = world.call(from, to, data, U256::ZERO);
    assert!(out.success, "{what} failed: {out:?}");
    out
}

impl Dpp {
    /// Deploys the tokens (half of each to the owner, half to the trader),
    /// the fee model (maintainer rate `mt` for everyone) and an empty,
    /// uninitialised pool.
    fn deploy(base_decimals: u8, quote_decimals: u8, mt: U256, open_twap: bool) -> Self {
        let mut world = World::new();
        let half = U256::from(1u8) << FUNDS_BITS;
        let mut token = |symbol: &str, decimals: u8| {
            let args = TestToken::constructorCall {
                name: format!("Test {symbol}"),
                symbol: symbol.to_owned(),
                decimals,
                initialHolder: OWNER,
                initialSupply: half + half,
            }
            .abi_encode();
            let token = artifact("TestToken").deploy(&mut world, OWNER, &args).expect("TestToken deploys");
            let transfer = TestToken::transferCall { to: TRADER, amount: half }.abi_encode();
            call_ok(&mut world, OWNER, token, &transfer, "funding the trader");
            token
        };
        let base = token("BASE", base_decimals);
        let quote = token("QUOTE", quote_decimals);
        let args = DodoFeeRateModel::constructorCall { owner: OWNER, defaultRate: mt }.abi_encode();
        let fee_model =
            artifact("DodoFeeRateModel").deploy(&mut world, OWNER, &args).expect("fee model deploys");
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
        let model = Model {
            state: empty,
            lp: U256::ZERO,
            pending_base: U256::ZERO,
            pending_quote: U256::ZERO,
            cumulative: U256::ZERO,
            timestamp_last: 0,
        };
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

    fn view<C: SolCall>(&mut self, call: &C) -> Result<C::Return, Vec<u8>> {
        let out = self.world.static_call(TRADER, self.pool, &call.abi_encode());
        outcome::<C>(&out)
    }

    fn balance(&mut self, token: Address, holder: Address) -> U256 {
        let out =
            self.world.static_call(TRADER, token, &TestToken::balanceOfCall { account: holder }.abi_encode());
        assert!(out.success, "balanceOf failed: {out:?}");
        TestToken::balanceOfCall::abi_decode_returns(&out.return_data, true).expect("uint256")._0
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
        self.model.pending_base += base;
        self.model.pending_quote += quote;
    }

    fn send<C: SolCall>(&mut self, from: Address, call: &C) -> CallOutcome {
        self.world.call(from, self.pool, &call.abi_encode(), U256::ZERO)
    }

    /// Every view that must follow the model.
    fn check_views(&mut self) -> Result<(), TestCaseError> {
        let model = self.model.clone();
        let s = model.state;
        let reserve =
            self.view(&DodoDppPool::getVaultReserveCall {}).map(|r| (r.baseReserve, r.quoteReserve));
        same("getVaultReserve", reserve, Ok((s.b, s.q)))?;
        let b0 = self.view(&DodoDppPool::_BASE_TARGET_Call {}).map(|r| U256::from(r._0));
        let q0 = self.view(&DodoDppPool::_QUOTE_TARGET_Call {}).map(|r| U256::from(r._0));
        let r_state = self.view(&DodoDppPool::_RState_Call {}).map(|r| r._0);
        let expected = (Ok(s.b0), Ok(s.q0), Ok(u32::from(dodo::r_state_code(s.r))));
        same("stored targets and R", Ok((b0, q0, r_state)), Ok(expected))?;
        let i = self.view(&DodoDppPool::_I_Call {}).map(|r| U256::from(r._0));
        let k = self.view(&DodoDppPool::_K_Call {}).map(|r| U256::from(r._0));
        let lp = self.view(&DodoDppPool::_LP_FEE_RATE_Call {}).map(|r| U256::from(r._0));
        same("i, k and the LP fee rate", Ok((i, k, lp)), Ok((Ok(s.i), Ok(s.k), Ok(model.lp))))?;
        let rates =
            self.view(&DodoDppPool::getUserFeeRateCall { user: TRADER }).map(|r| (r.lpFeeRate, r.mtFeeRate));
        same("getUserFeeRate", rates, Ok((model.lp, self.mt)))?;
        let state =
            self.view(&DodoDppPool::getPMMStateForCallCall {}).map(|r| (r.i, r.K, r.B, r.Q, r.B0, r.Q0, r.R));
        let expected = dodo::pmm_state(&s)
            .map(|a| (a.i, a.k, a.b, a.q, a.b0, a.q0, U256::from(dodo::r_state_code(a.r))));
        same("getPMMStateForCall", state, expected)?;
        let mid = self.view(&DodoDppPool::getMidPriceCall {}).map(|r| r.midPrice);
        same("getMidPrice", mid, dodo::pool_mid_price(&s))?;
        let cumulative = self.view(&DodoDppPool::_BASE_PRICE_CUMULATIVE_LAST_Call {}).map(|r| r._0);
        let last = self.view(&DodoDppPool::_BLOCK_TIMESTAMP_LAST_Call {}).map(|r| r._0);
        same(
            "TWAP accumulator",
            Ok((cumulative, last)),
            Ok((Ok(model.cumulative), Ok(model.timestamp_last))),
        )?;
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
            next.pending_base = U256::ZERO;
            next.pending_quote = U256::ZERO;
            if self.open_twap {
                next.timestamp_last = u32::try_from(now % (1u64 << 32)).expect("fits");
            }
            next.twap(now, self.open_twap)
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
        let (s, lp, mt) = (self.model.state, self.model.lp, self.mt);
        let pool = self
            .view(&DodoDppPool::querySellBaseCall { trader: TRADER, payBaseAmount: amount })
            .map(|r| (r.receiveQuoteAmount, r.mtFee, r.newRState, r.newBaseTarget));
        let model = dodo::query_sell_base(&s, amount, lp, mt)
            .map(|q| (q.receive, q.mt_fee, dodo::r_state_code(q.new_r), q.new_target));
        same("querySellBase", pool, model)?;
        let pool = self
            .view(&DodoDppPool::querySellQuoteCall { trader: TRADER, payQuoteAmount: amount })
            .map(|r| (r.receiveBaseAmount, r.mtFee, r.newRState, r.newQuoteTarget));
        let model = dodo::query_sell_quote(&s, amount, lp, mt)
            .map(|q| (q.receive, q.mt_fee, dodo::r_state_code(q.new_r), q.new_target));
        same("querySellQuote", pool, model)?;
        self.stats.queries += 2;
        Ok(())
    }

    /// The model of the pool's sell, on a pool with nothing pending.
    fn expected_sell(&self, sell_base: bool, amount: U256, now: u64) -> DodoResult<(U256, U256, Model)> {
        let m = &self.model;
        assert!(m.pending_base.is_zero() && m.pending_quote.is_zero(), "a trade with input pending");
        let t = if sell_base {
            dodo::sell_base(&m.state, amount, m.lp, self.mt)?
        } else {
            dodo::sell_quote(&m.state, amount, m.lp, self.mt)?
        };
        let mut next = m.clone();
        next.state = t.state;
        next.twap(now, self.open_twap)?;
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
        let trader_before = self.balance(token_out, TRADER);
        let maintainer_before = self.balance(token_out, MAINTAINER);
        let out = if sell_base {
            self.send(TRADER, &DodoDppPool::sellBaseCall { to: TRADER })
        } else {
            self.send(TRADER, &DodoDppPool::sellQuoteCall { to: TRADER })
        };
        let what = if sell_base { "sellBase" } else { "sellQuote" };
        self.stats.trades += 1;
        self.stats.from_r[usize::from(dodo::r_state_code(self.model.state.r))] += 1;
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
                if next.state.r != self.model.state.r {
                    self.stats.r_changes += 1;
                }
                if self.changed {
                    self.stats.trades_after_change += 1;
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
                *self.stats.trade_refused.entry(e.reason()).or_default() += 1;
                if sell_base {
                    self.model.pending_base += amount;
                } else {
                    self.model.pending_quote += amount;
                }
            }
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
                next.pending_base = U256::ZERO;
                next.pending_quote = U256::ZERO;
                next.twap(now, self.open_twap)
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
                next.pending_base = U256::ZERO;
                next.pending_quote = U256::ZERO;
                next.twap(now, self.open_twap)
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
        if self.model.pending_base.is_zero() && self.model.pending_quote.is_zero() {
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
        panic!("DodoDppPool and vault_math::pmm::dodo disagree: {e}");
    }
    let t = total.into_inner();
    eprintln!(
        "{} pools ({:?} refused init), {} trades (from R one/above/below: {:?}; {} changed R; {} after the owner \
         changed the parameters; refused by both: {:?}), {} queries; owner operations accepted {:?}, refused by \
         both {:?}; {} resets from R off one; {} strangers refused; {} cases ended with input pending; {} states \
         compared, in {:.1?}",
        t.pools,
        t.init_refused,
        t.trades,
        t.from_r,
        t.r_changes,
        t.trades_after_change,
        t.trade_refused,
        t.queries,
        t.owner_ok,
        t.owner_refused,
        t.resets_from_off_one,
        t.strangers,
        t.ended_early,
        t.states,
        started.elapsed()
    );
    assert_eq!(t.pools, u64::from(cases));
    let cases = u64::from(cases);
    assert!(t.from_r.iter().all(|&n| n > cases / 2), "every R state traded from: {:?}", t.from_r);
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
        let state = pool.view(&DodoDppPool::getPMMStateForCallCall {}).unwrap();
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
        let state = pool.view(&DodoDppPool::getPMMStateForCallCall {}).unwrap();
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
    let s = pool.view(&DodoDppPool::getPMMStateForCallCall {}).unwrap();
    let mut seen = vec![s.i, s.K, s.B, s.Q, s.B0, s.Q0, s.R];
    seen.push(U256::from(pool.view(&DodoDppPool::_BASE_TARGET_Call {}).unwrap()._0));
    seen.push(U256::from(pool.view(&DodoDppPool::_QUOTE_TARGET_Call {}).unwrap()._0));
    seen.push(U256::from(pool.view(&DodoDppPool::_RState_Call {}).unwrap()._0));
    seen.push(U256::from(pool.view(&DodoDppPool::_LP_FEE_RATE_Call {}).unwrap()._0));
    seen.push(pool.view(&DodoDppPool::_BASE_PRICE_CUMULATIVE_LAST_Call {}).unwrap()._0);
    seen.push(U256::from(pool.view(&DodoDppPool::_BLOCK_TIMESTAMP_LAST_Call {}).unwrap()._0));
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
    let after = pool.view(&DodoDppPool::getPMMStateForCallCall {}).unwrap();
    assert_eq!((after.B, after.Q), (s.b - d(1), s.q - d(100)));
    assert_eq!((after.B0, after.Q0, after.R), (after.B, after.Q, U256::ZERO));
    assert_eq!((after.i, after.K), (d(300), u(3 * E18 / 10)));
    assert_eq!(pool.view(&DodoDppPool::getUserFeeRateCall { user: TRADER }).unwrap().lpFeeRate, u(E18 / 100));
    assert_eq!(pool.view(&DodoDppPool::getMidPriceCall {}).unwrap().midPrice, d(300));
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
    let after = pool.view(&DodoDppPool::getPMMStateForCallCall {}).unwrap();
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
    let data = DodoDppPool::sellQuoteCall { to: TRADER }.abi_encode();
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
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = "abi/external/dodo/DPPAdvanced.json";
    let official: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join(path)).expect(path)).expect(path);
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
