//! Known answers of the DODO-exact model (`vault_math::pmm::dodo`): the
//! figures DODO V2's own test suite asserts for its DSP and DPP
//! (DODOEX/contractV2, `test/DSP/*.test.ts`, `test/DPP/*.test.ts`), replayed
//! here on the model, wei for wei.

use vault_math::pmm::dodo::{self, DodoError, DppParams, DppReset, DspLiquidity, Sell, ONE};
use vault_math::pmm::{PmmState, RState};
use vault_math::U256;

/// A decimal string as a U256 (the tests' literals exceed `u128` nowhere, but
/// strings keep them exactly as DODO's tests write them).
fn n(s: &str) -> U256 {
    s.parse().unwrap()
}

/// `x · 1e18`, as DODO's `decimalStr`.
fn d(x: u64) -> U256 {
    U256::from(x) * ONE
}

/// A DSP at i = 1, k = 0.1, no LP fee and no maintainer fee (DODO's DSP test
/// context passes LP fee 0 and a fee model without an implementation).
fn empty_dsp() -> DspLiquidity {
    let state = PmmState {
        i: ONE,
        k: ONE / U256::from(10u8),
        b: U256::ZERO,
        q: U256::ZERO,
        b0: U256::ZERO,
        q0: U256::ZERO,
        r: RState::One,
    };
    DspLiquidity { state, total_supply: U256::ZERO }
}

/// The DSP after the LP's first `buyShares` of `amount` base and quote.
fn funded_dsp(amount: u64) -> (U256, DspLiquidity) {
    dodo::buy_shares(&empty_dsp(), d(amount), d(amount)).unwrap()
}

const NO_FEE: U256 = U256::ZERO;

fn dsp_sell_quote(s: &PmmState, amount: U256) -> Sell {
    dodo::sell_quote(s, amount, NO_FEE, NO_FEE).unwrap()
}

fn dsp_sell_base(s: &PmmState, amount: U256) -> Sell {
    dodo::sell_base(s, amount, NO_FEE, NO_FEE).unwrap()
}

#[test]
fn dsp_first_buy_shares() {
    let (shares, pool) = funded_dsp(1_000);
    assert_eq!(shares, n("999999999999999998999"));
    assert_eq!(pool.total_supply, d(1_000));
    assert_eq!((pool.state.b0, pool.state.q0), (d(1_000), d(1_000)));
    // funding.test.ts, "buy shares from init states" (100 / 100).
    let (shares, pool) = funded_dsp(100);
    assert_eq!(shares, n("99999999999999998999"));
    assert_eq!(dodo::pool_mid_price(&pool.state), Ok(ONE));
}

#[test]
fn dsp_first_buy_then_sell() {
    // trader.test.ts, "first buy and then sell" (the trader starts with 1,000
    // of each; the figures here are the pool's side).
    let (_, pool) = funded_dsp(1_000);
    // Buy at R = 1: 100 quote in.
    let t1 = dsp_sell_quote(&pool.state, d(100));
    assert_eq!(t1.query.receive, n("98914196817061816111"));
    assert_eq!(t1.query.mt_fee, U256::ZERO);
    assert_eq!((t1.state.b, t1.state.q), (n("901085803182938183889"), d(1_100)));
    assert_eq!(t1.state.r, RState::AboveOne);
    // Buy at R > 1.
    let t2 = dsp_sell_quote(&t1.state, d(100));
    assert_eq!((t2.state.b, t2.state.q), (n("804737854124365016740"), d(1_200)));
    assert_eq!(t2.query.receive, n("96347949058573167149"));
    // Sell at R > 1, R unchanged.
    let t3 = dsp_sell_base(&t2.state, d(100));
    assert_eq!((t3.state.b, t3.state.q), (n("904737854124365016740"), n("1096265185197518306900")));
    assert_eq!(t3.query.receive, n("103734814802481693100"));
    assert_eq!(t3.state.r, RState::AboveOne);
    // Sell at R > 1, R changes (to below one).
    let t4 = dsp_sell_base(&t3.state, d(200));
    assert_eq!((t4.state.b, t4.state.q), (n("1104737854124365016740"), n("896458067053905645314")));
    assert_eq!(t4.state.r, RState::BelowOne);
    let view = dodo::pmm_state(&t4.state).unwrap();
    assert_eq!(view.r, RState::BelowOne);
    assert_eq!(view.b0, n("999999999999999996713"));
}

#[test]
fn dsp_first_sell_then_buy() {
    // trader.test.ts, "first sell and then buy".
    let (_, pool) = funded_dsp(1_000);
    let t1 = dsp_sell_base(&pool.state, d(1));
    assert_eq!((t1.state.b, t1.state.q), (d(1_001), n("999000100080055029608")));
    assert_eq!(t1.query.receive, n("999899919944970392"));
    let t2 = dsp_sell_base(&t1.state, d(1));
    assert_eq!((t2.state.b, t2.state.q), (d(1_002), n("998000400640880948210")));
    let t3 = dsp_sell_quote(&t2.state, d(1));
    assert_eq!((t3.state.b, t3.state.q), (n("1000999699378986723034"), n("999000400640880948210")));
    assert_eq!(t3.state.r, RState::BelowOne);
    let t4 = dsp_sell_quote(&t3.state, d(2));
    assert_eq!((t4.state.b, t4.state.q), (n("998999699519414585259"), n("1001000400640880948210")));
    let view = dodo::pmm_state(&t4.state).unwrap();
    assert_eq!(view.r, RState::AboveOne);
    assert_eq!(view.q0, n("999999999999999995766"));
}

#[test]
fn dsp_flash_loan_amounts() {
    // trader.test.ts, "flash loan": 100 quote pays out 98914196817061816111
    // base; 1 base then covers a loan of 999899919944970392 quote.
    // The second loan only bounds the payout: the pool keeps any excess.
    let (_, pool) = funded_dsp(1_000);
    let t1 = dsp_sell_quote(&pool.state, d(100));
    assert_eq!(t1.query.receive, n("98914196817061816111"));
    let t2 = dsp_sell_base(&t1.state, d(1));
    assert!(t2.query.receive >= n("999899919944970392"));
}

#[test]
fn dsp_buy_shares_after_a_trade() {
    // funding.test.ts: 100 / 100, then 20 quote sold, then 10% more of each
    // balance (rounded as `toFixed(0)`, i.e. to nearest) is deposited.
    let (_, pool) = funded_dsp(100);
    let t = dsp_sell_quote(&pool.state, d(20));
    let pool = DspLiquidity { state: t.state, total_supply: pool.total_supply };
    // Rounded to nearest in u128 (the balances fit).
    let round_div = |x: U256, by: u128| {
        let x = u128::try_from(x).unwrap();
        U256::from((x + by / 2) / by)
    };
    let tenth = |x: U256| round_div(x, 10);
    let (b, q) = (pool.state.b, pool.state.q);
    // Balanced input.
    let (shares, after) = dodo::buy_shares(&pool, b + tenth(b), q + tenth(q)).unwrap();
    assert_eq!(shares, d(10));
    assert_eq!((after.state.b, after.state.q), (n("88521163953680151790"), n("132000000000000000000")));
    // Less quote: half the quote ratio.
    let half_tenth = |x: U256| round_div(x, 20);
    let (shares, _) = dodo::buy_shares(&pool, b + tenth(b), q + half_tenth(q)).unwrap();
    assert_eq!(shares, d(5));
    // Less base.
    let (shares, _) = dodo::buy_shares(&pool, b + half_tenth(b), q + tenth(q)).unwrap();
    assert_eq!(shares, n("4999999999999999900"));
}

#[test]
fn dsp_sell_shares() {
    // funding.test.ts, "the last one sell shares".
    let (shares, pool) = funded_dsp(100);
    let (base, quote, after) = dodo::sell_shares(&pool, shares, U256::ZERO, U256::ZERO).unwrap();
    assert_eq!((base, quote), (n("99999999999999998999"), n("99999999999999998999")));
    assert_eq!(after.total_supply, U256::from(1001u16));
    // "not the last one": 10 / 10 then 100 / 100, half of the second LP's
    // shares twice.
    let (_, pool) = funded_dsp(10);
    let (lp, pool) = dodo::buy_shares(&pool, d(110), d(110)).unwrap();
    let (base, quote, pool) = dodo::sell_shares(&pool, lp / U256::from(2u8), U256::ZERO, U256::ZERO).unwrap();
    assert_eq!((base, quote), (d(50), d(50)));
    let (base, quote, _) = dodo::sell_shares(&pool, lp / U256::from(2u8), U256::ZERO, U256::ZERO).unwrap();
    assert_eq!((base, quote), (d(50), d(50)));
    // Revert: a minimum above the payout.
    let (shares, pool) = funded_dsp(100);
    assert_eq!(dodo::sell_shares(&pool, shares, d(1_000), U256::ZERO), Err(DodoError::WithdrawNotEnough));
}

#[test]
fn dsp_buy_shares_reverts() {
    // funding.test.ts, "revert cases".
    assert_eq!(dodo::buy_shares(&empty_dsp(), d(10), U256::ZERO), Err(DodoError::ZeroQuoteAmount));
    let tiny = dodo::buy_shares(&empty_dsp(), d(10) + U256::from(100u8), U256::from(100u8));
    assert_eq!(tiny, Err(DodoError::MintAmountNotEnough));
    assert_eq!(dodo::buy_shares(&empty_dsp(), U256::ZERO, d(1)), Err(DodoError::NoBaseInput));
}

/// DPP test context: lpFee 0.002, mtFee 0.001, k 0.1, i 100, 10 base /
/// 1,000 quote, after the owner's `reset`.
fn dpp() -> PmmState {
    let start = PmmState {
        i: ONE,
        k: U256::ZERO,
        b: d(10),
        q: d(1_000),
        b0: U256::ZERO,
        q0: U256::ZERO,
        r: RState::One,
    };
    let params = DppParams { lp_fee_rate: LP, i: d(100), k: ONE / U256::from(10u8) };
    dodo::dpp_reset(&start, params, U256::ZERO, U256::ZERO, U256::ZERO, U256::ZERO).unwrap()
}

const LP: U256 = U256::from_limbs([2_000_000_000_000_000, 0, 0, 0]);
const MT: U256 = U256::from_limbs([1_000_000_000_000_000, 0, 0, 0]);

#[test]
fn dpp_first_buy_then_sell() {
    // DPP trader.test.ts, "first buy and then sell".
    let s = dpp();
    let t1 = dodo::sell_quote(&s, d(100), LP, MT).unwrap();
    assert_eq!(t1.query.receive, n("986174542266106307"));
    assert_eq!(t1.query.mt_fee, n("989141968170618"));
    assert_eq!(t1.state.b, n("9012836315765723075"));
    assert_eq!(t1.state.q, d(1_100));
    let t2 = dodo::sell_quote(&t1.state, d(100), LP, MT).unwrap();
    assert_eq!(t2.state.b, n("8051275077289369844"));
    assert_eq!(t2.query.mt_fee, n("1952630183076783") - n("989141968170618"));
    let t3 = dodo::sell_base(&t2.state, d(1), LP, MT).unwrap();
    assert_eq!(t3.query.receive, n("103421814651005338950"));
    assert_eq!(t3.query.mt_fee, n("103733013692081583"));
    assert_eq!((t3.state.b, t3.state.q), (n("9051275077289369844"), n("1096474452335302579467")));
    assert_eq!(t3.state.r, RState::AboveOne);
    let t4 = dodo::sell_base(&t3.state, d(2), LP, MT).unwrap();
    assert_eq!(t4.query.receive, n("1102638273848343281094") - n("903421814651005338950"));
    assert_eq!(t4.query.mt_fee, n("303548920610173801") - n("103733013692081583"));
    assert_eq!((t4.state.b, t4.state.q), (n("11051275077289369844"), n("897058177231046545105")));
    let view = dodo::pmm_state(&t4.state).unwrap();
    assert_eq!(view.r, RState::BelowOne);
    assert_eq!(view.b0, n("10005950249348099200"));
}

#[test]
fn dpp_first_sell_then_buy() {
    // DPP trader.test.ts, "first sell and then buy".
    let s = dpp();
    let t1 = dodo::sell_base(&s, d(1), LP, MT).unwrap();
    assert_eq!(t1.query.receive, n("98617454226610630663"));
    assert_eq!(t1.query.mt_fee, n("98914196817061816"));
    assert_eq!(t1.state.q, n("901283631576572307521"));
    let t2 = dodo::sell_base(&t1.state, d(1), LP, MT).unwrap();
    assert_eq!(t2.state.q, n("805127507728936984519"));
    assert_eq!(t2.query.mt_fee, n("195263018307678372") - n("98914196817061816"));
    let t3 = dodo::sell_quote(&t2.state, d(100), LP, MT).unwrap();
    assert_eq!(t3.query.receive, n("1034218146510053391"));
    assert_eq!(t3.query.mt_fee, n("1037330136920815"));
    assert_eq!((t3.state.b, t3.state.q), (n("10964744523353025794"), n("905127507728936984519")));
    let t4 = dodo::sell_quote(&t3.state, d(200), LP, MT).unwrap();
    assert_eq!((t4.state.b, t4.state.q), (n("8970581772310465451"), n("1105127507728936984519")));
    assert_eq!(t4.query.mt_fee, n("3035489206101737") - n("1037330136920815"));
    let view = dodo::pmm_state(&t4.state).unwrap();
    assert_eq!(view.r, RState::AboveOne);
    assert_eq!(view.q0, n("1000595024934809920179"));
}

#[test]
fn dpp_flash_loan_amounts() {
    // DPP trader.test.ts, "flash loan": 200 quote buys 1946763594380080789
    // base (one more fails); then 1 base sells for 103421810640399874605
    // quote (one more fails).
    let s = dpp();
    let t1 = dodo::sell_quote(&s, d(200), LP, MT).unwrap();
    assert_eq!(t1.query.receive, n("1946763594380080789"));
    let t2 = dodo::sell_base(&t1.state, d(1), LP, MT).unwrap();
    assert_eq!(t2.query.receive, n("103421810640399874605"));
}

#[test]
fn dpp_reset_reverts_and_state() {
    // DPP reset.test.ts.
    let s = dpp();
    let p = DppParams {
        lp_fee_rate: ONE / U256::from(100u8),
        i: d(300),
        k: ONE * U256::from(3u8) / U256::from(10u8),
    };
    let out = dodo::dpp_reset(&s, p, d(1), d(100), U256::ZERO, U256::ZERO).unwrap();
    assert_eq!((out.b, out.q, out.b0, out.q0, out.r), (d(9), d(900), d(9), d(900), RState::One));
    let zero_i = DppParams { lp_fee_rate: U256::ZERO, i: U256::ZERO, k: ONE };
    let z = U256::ZERO;
    assert_eq!(dodo::dpp_reset(&s, zero_i, z, z, z, z), Err(DodoError::IOutOfRange));
    let big_i = DppParams { i: n("10000000000000000000000000000000000000"), ..zero_i };
    assert_eq!(dodo::dpp_reset(&s, big_i, z, z, z, z), Err(DodoError::IOutOfRange));
    let big_k = DppParams { i: ONE, k: d(2), ..zero_i };
    assert_eq!(dodo::dpp_reset(&s, big_k, z, z, z, z), Err(DodoError::KOutOfRange));
    // "revert if someone trade before reset": after a sale of 1 base, the
    // quote reserve is below the owner's minimum.
    let traded = dodo::sell_base(&s, d(1), LP, MT).unwrap().state;
    assert_eq!(dodo::dpp_reset(&traded, big_k, z, z, s.b, s.q), Err(DodoError::ReserveAmountIsNotEnough));
}

#[test]
fn dpp_reset_with_asset_input_and_init() {
    // DPP reset.test.ts, "reset with asset input": 10 base and 1,000 quote
    // transferred in, then reset at lpFee 0.01, i 300, k 0.3: reserves and
    // targets 20 and 2,000. The stored reserves (10 and 1,000) are what the
    // minimums are checked against.
    let s = dpp();
    let params = DppParams {
        lp_fee_rate: ONE / U256::from(100u8),
        i: d(300),
        k: ONE * U256::from(3u8) / U256::from(10u8),
    };
    let z = U256::ZERO;
    let reset =
        DppReset { params, base_out: z, quote_out: z, min_base_reserve: d(10), min_quote_reserve: d(1_000) };
    let out = dodo::dpp_reset_from(&s, d(20), d(2_000), &reset).unwrap();
    assert_eq!((out.i, out.k), (d(300), params.k));
    assert_eq!((out.b, out.q, out.b0, out.q0, out.r), (d(20), d(2_000), d(20), d(2_000), RState::One));
    let above = DppReset { min_base_reserve: d(10) + U256::from(1u8), ..reset };
    assert_eq!(dodo::dpp_reset_from(&s, d(20), d(2_000), &above), Err(DodoError::ReserveAmountIsNotEnough));
    let too_much = DppReset { quote_out: d(2_000) + U256::from(1u8), ..reset };
    assert_eq!(dodo::dpp_reset_from(&s, d(20), d(2_000), &too_much), Err(DodoError::TransferExceedsBalance));
    // `init` of a pool funded by transfers gives the state `reset` gives.
    let init =
        dodo::dpp_init(DppParams { lp_fee_rate: LP, i: d(100), k: ONE / U256::from(10u8) }, d(10), d(1_000));
    assert_eq!(init, Ok(s));
    let bad_fee = DppParams { lp_fee_rate: ONE + U256::from(1u8), ..params };
    assert_eq!(dodo::dpp_init(bad_fee, d(10), d(1_000)), Err(DodoError::LpFeeRateOutOfRange));
    assert_eq!(dodo::dpp_init(params, dodo::MAX_U112 + U256::from(1u8), z), Err(DodoError::Overflow));
}

#[test]
fn dpp_advanced_tune_and_ratio_sync() {
    // DPPAdvanced's tuneParameters / tunePrice keep reserves, targets and R;
    // ratioSync scales each target with its balance.
    let s = dpp();
    let traded = dodo::sell_base(&s, d(1), LP, MT).unwrap().state;
    let params = DppParams { lp_fee_rate: U256::ZERO, i: d(120), k: ONE / U256::from(2u8) };
    let tuned = dodo::dpp_tune_parameters(&traded, params, traded.b, traded.q).unwrap();
    assert_eq!(tuned, PmmState { i: d(120), k: params.k, ..traded });
    let err = dodo::dpp_tune_parameters(&traded, params, s.b, s.q);
    assert_eq!(err, Err(DodoError::ReserveAmountIsNotEnough));
    assert_eq!(
        dodo::dpp_tune_price(&traded, d(90), U256::ZERO, U256::ZERO),
        Ok(PmmState { i: d(90), ..traded })
    );
    assert_eq!(
        dodo::dpp_tune_price(&traded, U256::ZERO, U256::ZERO, U256::ZERO),
        Err(DodoError::IOutOfRange)
    );
    // Doubling the base balance doubles the base target; the quote side is
    // unchanged.
    let synced = dodo::dpp_ratio_sync(&s, d(20), s.q).unwrap();
    assert_eq!((synced.b, synced.b0, synced.q, synced.q0), (d(20), d(20), s.q, s.q0));
    let empty = PmmState { b: U256::ZERO, ..s };
    assert_eq!(dodo::dpp_ratio_sync(&empty, d(1), s.q), Err(DodoError::DividingError));
}
