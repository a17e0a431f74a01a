//! The simulator's `PegOvershoot` with `sizing::dodo` sizes, from one
//! `BELOW_ONE` cUSDT/XAU state (i = 3e26, k = 0.1, B = 1,004,837,000,000,
//! Q = 298,550,039,740,151,653,257, B0 = 1e12, LP fee 0.03%), put on both
//! Solidity fixtures:
//!
//! * `DodoDspPool` (DODO V2's DSP to the wei): the `sizing::dodo` size
//!   crosses ONE by 300,000,435 quote wei (about one base wei), DODO pays
//!   the back-to-one base plus 2 wei, and its regularised base target
//!   floors to `B` itself, so `getMidPrice` is exactly `i` = the peg; one
//!   more wei and the target is `B + 1`, past the peg. `pmm::dodo` agrees
//!   to the wei.
//! * `PmmPool` (the exact-curve fixture, `pmm`'s rounding: upper target
//!   bound, exact `1/i`, exact mid price) takes 1,465 wei more quote to
//!   reach ONE and prices any excess past ONE with a fractional target
//!   above `B`: the same size lands 5.9999706934449e13 (2e-13) above the
//!   peg. Only the exact-curve size lands on the peg there.
//!
//! So `sizing::dodo` is right for DODO's pools and wrong for `PmmPool`: a
//! keeper sizing with it must trade a DODO-exact pool (the simulator now
//! deploys `DodoDspPool`s).

use alloy_primitives::{uint, Address, U256};
use alloy_sol_types::{sol, SolConstructor};
use dodo_support::{
    artifact, deploy_dsp, deploy_fee_model, deploy_token, send, view, DodoDspPool, DodoPool, TestToken,
    MAINTAINER, OWNER, TRADER,
};
use vault_chain::World;
use vault_math::pmm::{self, dodo, PmmState, RState};
use vault_math::sizing::{self, FeeRates};

mod dodo_support;

sol! {
    /// `PmmPool`'s own functions (the rest are `DodoPool`'s).
    contract PmmPool {
        constructor(address owner, address maintainer, address baseToken, address quoteToken, uint256 lpFeeRate, uint256 mtFeeRate, uint256 i, uint256 k, bool isOpenTWAP);
        function deposit(uint256 baseAmount, uint256 quoteAmount) external;
        function setTargets(uint256 baseTarget, uint256 quoteTarget, uint8 rState) external;
    }
}

fn n(s: &str) -> U256 {
    s.parse().expect("number")
}

// The simulator's state (PmmPool's getPMMStateForCall).
const I: U256 = uint!(300_000_000_000_000_000_000_000_000_U256);
const K: U256 = uint!(100_000_000_000_000_000_U256);
const B: U256 = uint!(1_004_837_000_000_U256);
const Q: U256 = uint!(298_550_039_740_151_653_257_U256);
const B0: U256 = uint!(1_000_000_000_000_U256);
const Q0_READ: U256 = uint!(300_000_435_118_991_063_340_U256);

fn fees() -> FeeRates {
    FeeRates { lp: n("300000000000000"), mt: U256::ZERO }
}
fn peg() -> U256 {
    I
}

fn sim_state() -> PmmState {
    PmmState { i: I, k: K, b: B, q: Q, b0: B0, q0: Q0_READ, r: RState::BelowOne }
}

fn tokens(world: &mut World) -> (Address, Address) {
    let funds = U256::from(1u8) << 200;
    let mut token =
        |symbol: &str, decimals: u8| deploy_token(world, symbol.to_owned(), symbol, decimals, TRADER, funds);
    (token("cUSDT", 6), token("XAU", 18))
}

fn code(r: RState) -> u8 {
    dodo::r_state_code(r)
}

fn from_code(c: u64) -> RState {
    dodo::r_state_from_code(c).expect("R")
}

/// `PmmPool` in the simulator's state: deposit the reserves at R = ONE, then
/// the test hook writes the stored targets and R (the stored Q0 does not
/// matter below one: both models recompute it from Q and B − B0).
fn pmm_pool() -> (World, Address, Address, Address) {
    let mut world = World::new();
    let (base, quote) = tokens(&mut world);
    let args = PmmPool::constructorCall {
        owner: TRADER,
        maintainer: MAINTAINER,
        baseToken: base,
        quoteToken: quote,
        lpFeeRate: fees().lp,
        mtFeeRate: U256::ZERO,
        i: I,
        k: K,
        isOpenTWAP: false,
    }
    .abi_encode();
    let pool = artifact("PmmPool").deploy(&mut world, OWNER, &args).expect("PmmPool deploys");
    send(&mut world, TRADER, base, &TestToken::approveCall { spender: pool, amount: B });
    send(&mut world, TRADER, quote, &TestToken::approveCall { spender: pool, amount: Q });
    send(&mut world, TRADER, pool, &PmmPool::depositCall { baseAmount: B, quoteAmount: Q });
    send(
        &mut world,
        TRADER,
        pool,
        &PmmPool::setTargetsCall { baseTarget: B0, quoteTarget: Q0_READ, rState: code(RState::BelowOne) },
    );
    (world, pool, base, quote)
}

fn pmm_read(world: &mut World, pool: Address) -> (PmmState, PmmState, U256) {
    let s = view(world, pool, &DodoPool::getPMMStateForCallCall {});
    let adjusted = PmmState { i: s.i, k: s.K, b: s.B, q: s.Q, b0: s.B0, q0: s.Q0, r: from_code(s.R.to()) };
    let b0 = U256::from(view(world, pool, &DodoPool::_BASE_TARGET_Call {})._0);
    let q0 = U256::from(view(world, pool, &DodoPool::_QUOTE_TARGET_Call {})._0);
    let r = from_code(u64::from(view(world, pool, &DodoPool::_RState_Call {})._0));
    let stored = PmmState { b0, q0, r, ..adjusted };
    let mid = view(world, pool, &DodoPool::getMidPriceCall {}).midPrice;
    (stored, adjusted, mid)
}

fn sell_quote_on(world: &mut World, pool: Address, quote: Address, amount: U256) {
    send(world, TRADER, quote, &TestToken::transferCall { to: pool, amount });
    send(world, TRADER, pool, &DodoPool::sellQuoteCall { to: TRADER });
}

#[test]
fn pmm_pool_overshoots_with_the_dodo_size() {
    let state = sim_state();
    let n_dodo = sizing::dodo::max_correcting_quote_in(&state, peg(), fees()).expect("dodo sizing");
    let n_exact = sizing::max_correcting_quote_in(&state, peg(), fees()).expect("exact sizing");
    println!("sizing::dodo n  = {n_dodo}");
    println!("sizing (exact) n = {n_exact}  (dodo - exact = {})", n_dodo - n_exact);

    // Back-to-one amounts in each model.
    let dodo_adj = dodo::pmm_state(&state).expect("dodo adjust");
    let exact_adj = pmm::adjusted_target(&state).expect("exact adjust");
    println!(
        "adjusted Q0: dodo {} exact {} (diff {})",
        dodo_adj.q0,
        exact_adj.q0,
        exact_adj.q0 - dodo_adj.q0
    );
    println!("back-to-one pay: dodo {} exact {}", dodo_adj.q0 - Q, pmm::back_to_one_pay(&state).unwrap());
    assert_eq!(n_dodo, n("1450395379139409053"), "the simulator's size");
    // DODO's regularised Q0 (floored square root) is 1,465 wei below the
    // exact model's upper bound, which PmmPool's getPMMStateForCall shows.
    assert_eq!(dodo_adj.q0, n("300000435118991061875"));
    assert_eq!(exact_adj.q0, Q0_READ);
    // The exact-curve size is PmmPool's back-to-one amount exactly.
    assert_eq!(n_exact, pmm::back_to_one_pay(&state).unwrap());
    assert_eq!(n_dodo - n_exact, U256::from(299_998_970u32));

    for (label, amount) in
        [("n-1", n_dodo - U256::from(1u8)), ("n", n_dodo), ("n+1", n_dodo + U256::from(1u8))]
    {
        let (mut world, pool, _, quote) = pmm_pool();
        let (stored, adjusted, mid) = pmm_read(&mut world, pool);
        assert_eq!(adjusted, state, "PmmPool shows the simulator's state");
        assert_eq!(mid, pmm::mid_price(&stored).unwrap());
        sell_quote_on(&mut world, pool, quote, amount);
        let (stored, adjusted, mid) = pmm_read(&mut world, pool);
        let ex = pmm::sell_quote(&state, amount, fees().lp, fees().mt).expect("exact sale").new_state;
        let dd = dodo::sell_quote(&state, amount, fees().lp, fees().mt).expect("dodo sale").state;
        println!("--- sell {label} = {amount}");
        println!("PmmPool stored   {stored:?}");
        println!("PmmPool adjusted {adjusted:?}");
        println!("PmmPool getMidPrice      {mid} ({})", mid.cmp(&peg()) as i8);
        println!("pmm (exact) stored  {ex:?}  mid {}", pmm::mid_price(&ex).unwrap());
        println!("pmm::dodo stored    {dd:?}  mid {}", dodo::pool_mid_price(&dd).unwrap());
        assert_eq!(stored, ex, "PmmPool follows the exact-curve model");
        assert_eq!(mid, pmm::mid_price(&ex).unwrap());
        // pmm::dodo (and the DSP) land on the peg for n − 1 and n; PmmPool
        // is past it: R = ABOVE_ONE with a fractional target above B.
        assert!(mid > peg(), "PmmPool past the peg after {label}");
        if label == "n" {
            assert_eq!(mid, n("300000000000059999706934449"));
            assert_eq!(dodo::pool_mid_price(&dd).unwrap(), peg());
        }
    }
    // exact-curve size on PmmPool: lands at or below the peg.
    let (mut world, pool, _, quote) = pmm_pool();
    sell_quote_on(&mut world, pool, quote, n_exact);
    let (_, _, mid) = pmm_read(&mut world, pool);
    println!("PmmPool after exact-curve n: mid {mid}");
    assert_eq!(mid, peg(), "the exact-curve size lands on the peg on PmmPool");
}

/// `DodoDspPool` in the same DODO-adjusted state: buyShares of 1e12 base and
/// Q0 + extra quote (B0 = 1e12, Q0 = 3e20, R = ONE), a base sale of
/// B − B0, then a quote transfer and `sync` bring the reserves to B and Q
/// exactly (below one DODO recomputes Q0 from Q and B − B0 alone).
fn dsp_pool() -> (World, Address, Address, U256) {
    let mut world = World::new();
    let (base, quote) = tokens(&mut world);
    let model = deploy_fee_model(&mut world, U256::ZERO);
    let pool = deploy_dsp(&mut world, (base, quote), model, fees().lp, I, K, false);
    let q0_start = dodo::mul_floor(B0, I).unwrap();
    let one = PmmState { i: I, k: K, b: B0, q: q0_start, b0: B0, q0: q0_start, r: RState::One };
    let sale = dodo::sell_base(&one, B - B0, fees().lp, fees().mt).unwrap();
    let paid = sale.query.receive + sale.query.mt_fee;
    let quote_in = if Q + paid > q0_start { Q + paid } else { q0_start };
    send(&mut world, TRADER, base, &TestToken::transferCall { to: pool, amount: B0 });
    send(&mut world, TRADER, quote, &TestToken::transferCall { to: pool, amount: quote_in });
    send(&mut world, TRADER, pool, &DodoDspPool::buySharesCall { to: TRADER });
    send(&mut world, TRADER, base, &TestToken::transferCall { to: pool, amount: B - B0 });
    send(&mut world, TRADER, pool, &DodoPool::sellBaseCall { to: TRADER });
    let (_, adjusted, _) = pmm_read(&mut world, pool);
    assert_eq!((adjusted.b, adjusted.b0, adjusted.r), (B, B0, RState::BelowOne));
    // DODO pays less for this base sale than the exact curve did in the
    // simulator, so Q is above the simulator's Q here, and a reserve can
    // only be raised by transfer + sync. Lower `_QUOTE_RESERVE_` in its
    // storage slot (slot 3: base reserve | quote reserve << 112 | time <<
    // 224); the surplus balance stays in the pool and counts as input of
    // the next sellQuote, so the sale transfers that much less.
    let surplus = adjusted.q - Q;
    let slot = U256::from(3u8);
    let stored = U256::from_be_bytes(world.storage(pool, slot).0);
    let mask: U256 = (U256::from(1u8) << 112usize) - U256::from(1u8);
    let shifted: U256 = mask << 112usize;
    let lowered: U256 = (stored & !shifted) | (Q << 112usize);
    world.set_storage(pool, slot, lowered.to_be_bytes::<32>().into());
    (world, pool, base, surplus)
}

#[test]
fn dsp_lands_on_the_peg_with_the_dodo_size() {
    let state = sim_state();
    let n_dodo = sizing::dodo::max_correcting_quote_in(&state, peg(), fees()).expect("dodo sizing");
    for (label, amount) in
        [("n-1", n_dodo - U256::from(1u8)), ("n", n_dodo), ("n+1", n_dodo + U256::from(1u8))]
    {
        let (mut world, pool, _, surplus) = dsp_pool();
        let quote = view(&mut world, pool, &DodoDspPool::_QUOTE_TOKEN_Call {})._0;
        let (before, adjusted, mid) = pmm_read(&mut world, pool);
        println!("DSP stored   {before:?}");
        println!("DSP adjusted {adjusted:?}  mid {mid}");
        assert_eq!((adjusted.b, adjusted.q, adjusted.b0, adjusted.r), (B, Q, B0, RState::BelowOne));
        assert_eq!(adjusted, dodo::pmm_state(&state).unwrap(), "the DSP is in the DODO-adjusted state");
        send(&mut world, TRADER, quote, &TestToken::transferCall { to: pool, amount: amount - surplus });
        send(&mut world, TRADER, pool, &DodoPool::sellQuoteCall { to: TRADER });
        let (stored, adjusted, mid) = pmm_read(&mut world, pool);
        let dd = dodo::sell_quote(&before, amount, fees().lp, fees().mt).unwrap().state;
        println!("--- DSP sell {label} = {amount}");
        println!("DSP stored   {stored:?}");
        println!("DSP adjusted {adjusted:?}");
        println!("DSP getMidPrice {mid}; pmm::dodo {}", dodo::pool_mid_price(&dd).unwrap());
        assert_eq!(stored, dd);
        assert_eq!(mid, dodo::pool_mid_price(&dd).unwrap());
        // The DSP pays the back-to-one base plus 2 wei (DODO truncates `b`
        // in the quadratic) and regularises B0 to exactly B: mid = i = peg.
        // One more wei of quote: B0 = B + 1, past the peg.
        assert_eq!(stored.b, n("1000001451098"));
        assert_eq!(stored.r, RState::AboveOne);
        if label == "n+1" {
            assert_eq!(adjusted.b0, stored.b + U256::from(1u8));
            assert_eq!(mid, n("300000000000059999700000000"));
        } else {
            assert_eq!(adjusted.b0, stored.b);
            assert_eq!(mid, peg(), "DSP on the peg after {label}");
        }
    }
}
