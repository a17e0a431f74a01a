//! Every named refusal of the Stabilizer's rules, proven on the compiled
//! wasm inside the full system of `stabilizer_flow.rs` (`support/mod.rs`:
//! the four Stylus contracts wired as in production around the Solidity
//! DODO-compatible `PmmPool`; the production parameters are documented in
//! `stabilizer_flow.rs`). Each test drives the real system into the
//! condition, then sends the call and asserts (`support::refused*`) that it
//! reverts with exactly the `sol!` error's `abi_encode` (its fields
//! included) and that nothing
//! changed: the storage of the Stabilizer, FlashContainment and the mesh,
//! the base and quote balances of the Stabilizer, the mesh and the pool,
//! and the log count. Where the keeper view `keeperTrade` runs the same
//! check, its revert data is asserted too.
//!
//! `executePrivateSwap` / `keeperTrade` (in the order of the `# Errors`
//! section of `execute_private_swap`):
//!
//! | error | how the system gets there |
//! |---|---|
//! | `AccessControlUnauthorizedAccount` | a stranger, the admin and the guardian send the keeper's trade |
//! | `EnforcedPause` | the guardian pauses the Stabilizer |
//! | `CongestionGuard` | the basefee (`tx.gasprice` on Arbitrum) one wei above `maxGasPrice`; at `maxGasPrice` the trade passes |
//! | `UnknownTokenPair` | XAU on either side, a stranger address, the same token twice |
//! | `DirectionDisabled` | the guardian's kill switch on the correcting direction |
//! | `ZeroAmount` | `tradeSize` 0 (both forms) |
//! | `TooEarly` | a second trade in the block of a trade (`MIN_BLOCKS` = 1) |
//! | `SingleBlockSpike` / `DeviationNotSustained` | a 1% sale observed for one block, then two |
//! | `WrongDirection` | selling base while the TWAP says the pool is low; selling quote after a trader lifted the spot price above the peg |
//! | `OracleFailed` | see below: chain-level override of the oracle |
//! | `StaleOracle` | the next L2 block an hour and a second after the oracle's update (FlashContainment's own poke is refused then too; its streak lasts one unobserved block, so the trigger still holds); one second earlier the view still answers; an oracle stamped one second or a day after the block (issue 12, finding 7) |
//! | `TokenOffPeg` | the quote token's peg manager reports it 3% below, 51 bps below and 51 bps above its peg (50 bps passes) |
//! | `PegManagerDisagrees` | the base token's own depeg explains, then contradicts, the pool's deviation |
//! | `TradeTooLarge` | one raw unit above the per-block cap (a 1% deviation) and above `k` times the deviation (30 bps, where that is below the cap) |
//! | `ReserveReleaseRefused` | a reporter records a peak outflow that puts the mesh's balance below the required reserve |
//! | `InsufficientFloat` | a system funded with a 10,000-token float, below the 25,000 cap (see below) |
//! | `SlippageExceeded` | the four-argument form with `minAmountOut` one above the pool's exact quote |
//! | `PegOvershoot` | App. A's three-argument form at the keeper view's full size in the block after the capped trade, past the peg-reaching size |
//! | `MeshSwapFailed` | the mesh paused by its guardian (reason: the mesh's `EnforcedPause()`) |
//!
//! `the_first_broken_rule_refuses` breaks most of these rules at once and
//! mends them one by one: each refusal is the next one in that order.
//!
//! Administration: `setParameters` `ParameterOutOfRange` for parameters
//! 0–4 at min − 1 and max + 1 (and min and max accepted); `setPegManagers`
//! parameters 5–7 out of range and `ZeroAddress`; `setContracts`
//! `ZeroAddress` in each position, `OracleMismatch` and `TransferFailed`
//! (a pool token without `approve`); with USDT-style
//! tokens it reconfigures, revoking the old pairs' approvals (issue 12,
//! finding 6);
//! `setDirectionEnabled` enabled by a guardian, disabled by a stranger, for
//! an unknown token; `unpause` when not paused (`ExpectedPause`);
//! `renounceRole` with a wrong confirmation (`AccessControlBadConfirmation`).
//!
//! # What the fixtures cannot produce
//!
//! * `OracleFailed`: the `PriceOracle` fixture can neither answer a zero
//!   price (`setPrice(0)` and the constructor revert `InvalidPrice`) nor
//!   revert in `latestPrice`, and the Stabilizer's oracle must be
//!   FlashContainment's (`OracleMismatch`), so no other fixture can stand
//!   in for it. The test therefore overrides the oracle on the chain
//!   itself, as a broken or replaced oracle would answer: its price slot
//!   set to zero (`World::set_storage`), then its code replaced by
//!   `revert(0, 0)` (`World::set_code`). The Stabilizer's wasm is the
//!   real one; only the oracle's answer is forced.
//! * `InsufficientFloat` needs a float below the trade the rules allow,
//!   which is at most the 25,000-token per-block cap; the production float
//!   is 200,000 and the Stabilizer has no withdrawal (a trade returns at
//!   least `size·(1 − 50 bps)` to it), so that float can never fall below
//!   the cap. The test deploys the same system funded with a 10,000-token
//!   float (`support::system_with_float`); every rule parameter is the
//!   production one.
//! * Not asked for and not produced here: `WrongDirection` after the public
//!   leg (a correcting sale into a PMM pool never moves its mid price away
//!   from the peg), `TransferFailed` in a trade (the `TestToken` cannot
//!   fail a transfer the balance covers; `setContracts`' approval failure
//!   is proven), `ClockUnavailable` (ArbSys is the
//!   chain's), `ArithmeticOverflow`; `ExternalCallFailed` is proven in
//!   `stabilizer.rs` (a ReserveSizer without code).

mod support;

use alloy_primitives::{keccak256, Address, B256, I256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use support::*;
use vault_math::sizing;

const ADMIN_ROLE: B256 = B256::ZERO;

fn keeper_role() -> B256 {
    keccak256("KEEPER_ROLE")
}

fn guardian_role() -> B256 {
    keccak256("GUARDIAN_ROLE")
}

/// `checkDeviation`: FlashContainment's TWAP deviation and whether a
/// correction is due now.
fn check(s: &mut System) -> (I256, bool) {
    let answer = view(&mut s.world, STAB, &stab::checkDeviationCall {});
    (answer.deviationBps, answer.shouldRebalance)
}

/// `keeperTrade` answers.
fn keeper_trade(s: &mut System) -> stab::keeperTradeReturn {
    try_view(&mut s.world, STAB, &stab::keeperTradeCall {})
        .unwrap_or_else(|data| panic!("keeperTrade refused 0x{}", alloy_primitives::hex::encode(data)))
}

/// `keeperTrade` refuses with exactly `expected`.
fn keeper_view_refuses(s: &mut System, expected: &[u8]) {
    let answer = try_view(&mut s.world, STAB, &stab::keeperTradeCall {});
    let data = answer.err().expect("keeperTrade answered");
    assert_eq!(
        data,
        expected,
        "keeperTrade: 0x{} (expected 0x{})",
        alloy_primitives::hex::encode(&data),
        alloy_primitives::hex::encode(expected)
    );
}

/// The keeper forces App. A's correcting trade of a low pool at the cap
/// (`support::sell_quote_at_cap`): refused with exactly `expected`, nothing
/// changed.
fn refused_at_cap(s: &mut System, expected: &[u8]) {
    let call = sell_quote_at_cap(s);
    refused(s, &call, expected);
}

/// App. A's three-argument form.
fn swap(size: U256, token_in: Address, token_out: Address) -> stab::executePrivateSwap_0Call {
    stab::executePrivateSwap_0Call { tradeSize: size, tokenIn: token_in, tokenOut: token_out }
}

/// The keeper's next trade (it has one).
fn planned(s: &mut System) -> stab::executePrivateSwap_1Call {
    match keeper_plan(s) {
        Plan::Send(call) => call,
        Plan::Idle(deviation) => panic!("the keeper is idle at {deviation} bps"),
        Plan::Refused(data) => panic!("keeperTrade refused 0x{}", alloy_primitives::hex::encode(data)),
    }
}

/// Control: the keeper's trade goes through now.
fn keeper_trades(s: &mut System) {
    let call = planned(s);
    let outcome = ok(keeper_send(s, &call), "the keeper's trade");
    assert_eq!(stabilized(&outcome.logs).len(), 1);
}

#[test]
fn a_non_keeper_is_refused() {
    let (mut s, _) = sustained_market();
    let call = planned(&mut s);
    for account in [STRANGER, ADMIN, GUARDIAN, TRADER] {
        let expected =
            stab::AccessControlUnauthorizedAccount { account, neededRole: keeper_role() }.abi_encode();
        refused_by(&mut s, account, &call, &expected);
        let three = swap(call.tradeSize, call.tokenIn, call.tokenOut);
        refused_by(&mut s, account, &three, &expected);
    }
    keeper_trades(&mut s);
}

#[test]
fn a_paused_stabilizer_refuses() {
    let (mut s, _) = sustained_market();
    let call = planned(&mut s);
    send(&mut s.world, GUARDIAN, STAB, &stab::pauseCall {});
    let expected = stab::EnforcedPause {}.abi_encode();
    assert!(!check(&mut s).1, "checkDeviation says trade while paused");
    keeper_view_refuses(&mut s, &expected);
    refused(&mut s, &call, &expected);
    // The role check comes first.
    let unauthorized =
        stab::AccessControlUnauthorizedAccount { account: STRANGER, neededRole: keeper_role() }.abi_encode();
    refused_by(&mut s, STRANGER, &call, &unauthorized);
    send(&mut s.world, ADMIN, STAB, &stab::unpauseCall {});
    keeper_trades(&mut s);
}

#[test]
fn a_gas_price_above_the_cap_is_refused() {
    let (mut s, _) = sustained_market();
    let call = planned(&mut s);
    let price = U256::from(MAX_GAS_PRICE + 1);
    s.world.block_mut().basefee = price;
    let expected =
        stab::CongestionGuard { gasPrice: price, maxGasPrice: U256::from(MAX_GAS_PRICE) }.abi_encode();
    refused(&mut s, &call, &expected);
    let three = swap(call.tradeSize, call.tokenIn, call.tokenOut);
    refused(&mut s, &three, &expected);
    // At the cap itself the trade goes through.
    s.world.block_mut().basefee = U256::from(MAX_GAS_PRICE);
    let outcome = ok(keeper_send(&mut s, &call), "at maxGasPrice");
    assert_eq!(stabilized(&outcome.logs).len(), 1);
}

#[test]
fn an_unknown_token_pair_is_refused() {
    let (mut s, _) = sustained_market();
    let (base, quote, xau) = (s.base, s.quote, s.xau);
    let size = tokens(1_000);
    for (token_in, token_out) in
        [(xau, base), (quote, xau), (STRANGER, base), (quote, quote), (base, base), (Address::ZERO, base)]
    {
        let expected = stab::UnknownTokenPair { tokenIn: token_in, tokenOut: token_out }.abi_encode();
        refused(&mut s, &swap(size, token_in, token_out), &expected);
    }
    keeper_trades(&mut s);
}

#[test]
fn a_disabled_direction_is_refused() {
    let (mut s, _) = sustained_market();
    let call = planned(&mut s);
    let quote = s.quote;
    send(&mut s.world, GUARDIAN, STAB, &stab::setDirectionEnabledCall { tokenIn: quote, enabled: false });
    let expected = stab::DirectionDisabled { tokenIn: quote }.abi_encode();
    assert!(!check(&mut s).1, "checkDeviation says trade on a disabled direction");
    keeper_view_refuses(&mut s, &expected);
    refused(&mut s, &call, &expected);
    refused_at_cap(&mut s, &expected);
    // Only the admin enables it again.
    send(&mut s.world, ADMIN, STAB, &stab::setDirectionEnabledCall { tokenIn: quote, enabled: true });
    keeper_trades(&mut s);
}

#[test]
fn a_zero_trade_is_refused() {
    let (mut s, _) = sustained_market();
    let (base, quote) = (s.base, s.quote);
    let expected = stab::ZeroAmount {}.abi_encode();
    refused(&mut s, &swap(U256::ZERO, quote, base), &expected);
    let bounded = stab::executePrivateSwap_1Call {
        tradeSize: U256::ZERO,
        tokenIn: quote,
        tokenOut: base,
        minAmountOut: U256::ZERO,
    };
    refused(&mut s, &bounded, &expected);
    // Before the direction and the trigger: selling base is refused the same.
    refused(&mut s, &swap(U256::ZERO, base, quote), &expected);
}

#[test]
fn a_second_trade_in_the_block_is_too_early() {
    let (mut s, _) = sustained_market();
    keeper_trades(&mut s);
    let block = s.block();
    let expected = stab::TooEarly { l2Block: block, nextAllowedBlock: block + MIN_BLOCKS }.abi_encode();
    assert!(!check(&mut s).1, "checkDeviation says trade again in the same block");
    keeper_view_refuses(&mut s, &expected);
    let call = sell_quote_at_cap(&s);
    refused(&mut s, &call, &expected);
    let small = swap(tokens(1), s.quote, s.base);
    refused(&mut s, &small, &expected);
    // The next L2 block, the keeper trades again.
    s.next_block();
    assert!(keeper_poke(&mut s));
    keeper_trades(&mut s);
}

#[test]
fn a_spike_and_an_unsustained_deviation_are_refused() {
    let mut s = system();
    s.next_block();
    push_one_percent_down(&mut s, TRADER);
    assert!(keeper_poke(&mut s));
    let (twap, should) = check(&mut s);
    assert!(!should);
    let expected = stab::SingleBlockSpike { deviationBps: twap }.abi_encode();
    keeper_view_refuses(&mut s, &expected);
    let call = sell_quote_at_cap(&s);
    refused(&mut s, &call, &expected);
    s.next_block();
    assert!(keeper_poke(&mut s));
    let (twap, should) = check(&mut s);
    assert!(!should);
    let expected = stab::DeviationNotSustained { deviationBps: twap, streak: 2 }.abi_encode();
    keeper_view_refuses(&mut s, &expected);
    refused(&mut s, &call, &expected);
}

#[test]
fn selling_the_token_that_widens_the_deviation_is_refused() {
    let (mut s, _) = sustained_market();
    let (base, quote, pool) = (s.base, s.quote, s.pool);
    let (twap, should) = check(&mut s);
    assert!(should && twap < I256::ZERO, "{twap}");
    // The pool is low: selling base would push it lower.
    let expected = stab::WrongDirection { deviationBps: twap, tokenIn: base }.abi_encode();
    refused(&mut s, &swap(tokens(CAP_TOKENS), base, quote), &expected);
    refused(&mut s, &swap(tokens(1), base, quote), &expected);
    // A trader lifts the spot price above the peg in the same block: the
    // TWAP still says low, but selling quote now widens the spot deviation.
    let (_, peg) = mid_and_peg(&mut s);
    let target = peg * U256::from(10_020u16) / U256::from(10_000u16);
    let lift = sizing::max_correcting_quote_in(&pmm_state(&mut s), target, fees()).unwrap();
    s.sell(TRADER, pool, quote, lift);
    let (mid, peg) = mid_and_peg(&mut s);
    assert!(mid > peg, "lifted to {mid} against {peg}");
    let (twap, should) = check(&mut s);
    assert!(should && twap < I256::ZERO);
    let expected = stab::WrongDirection { deviationBps: twap, tokenIn: quote }.abi_encode();
    keeper_view_refuses(&mut s, &expected);
    refused_at_cap(&mut s, &expected);
}

#[test]
fn a_stale_oracle_is_refused() {
    let (mut s, _) = sustained_market();
    let (pool, oracle) = (s.pool, s.oracle);
    let updated_at = view(&mut s.world, oracle, &fx::latestPriceCall {}).updatedAt;
    let updated = updated_at.to::<u64>();
    // The next L2 block, exactly `maxOracleAge` after the update: still fresh.
    let now = s.world.block().timestamp;
    s.world.advance(updated + MAX_ORACLE_AGE - now);
    assert!(keeper_poke(&mut s));
    assert!(check(&mut s).1);
    keeper_trade(&mut s);
    // One second later, the next block: stale for FlashContainment (its poke
    // is refused, the block goes unobserved, the streak stays live for it)
    // and for the Stabilizer.
    s.next_block();
    let stale_poke = fc::StaleOracle { oracle, updatedAt: updated_at, maxAge: MAX_ORACLE_AGE }.abi_encode();
    refused_raw(&mut s, KEEPER, FC, &fc::pokeCall { pool }.abi_encode(), &stale_poke);
    assert!(check(&mut s).1, "the trigger holds over one unobserved block");
    let expected = stab::StaleOracle { updatedAt: updated_at, maxOracleAge: MAX_ORACLE_AGE }.abi_encode();
    keeper_view_refuses(&mut s, &expected);
    refused_at_cap(&mut s, &expected);
}

/// `PriceOracle` storage: `_updatedAt` in slot 2 (Ownable's owner in 0, the
/// price in 1).
const ORACLE_UPDATED_AT_SLOT: u64 = 2;

/// Issue 12, finding 7: an oracle stamped after the current block is not
/// fresh. The `PriceOracle` fixture stamps `block.timestamp`, so the stamp
/// is forced on the chain (as a broken or hostile oracle would answer). The
/// former rule counted a future stamp as age 0, so it stayed fresh forever
/// and this trade went through.
#[test]
fn an_oracle_stamped_after_the_block_is_refused() {
    let (mut s, _) = sustained_market();
    let oracle = s.oracle;
    let slot = U256::from(ORACLE_UPDATED_AT_SLOT);
    let updated_at = view(&mut s.world, oracle, &fx::latestPriceCall {}).updatedAt;
    assert_eq!(s.world.storage(oracle, slot), B256::from(updated_at), "the updatedAt slot");
    let now = s.world.block().timestamp;
    // Stamped in this very block: fresh.
    s.world.set_storage(oracle, slot, B256::from(U256::from(now)));
    keeper_trade(&mut s);
    // One second ahead, and a day ahead: refused, nothing changes.
    for ahead in [1, 86_400] {
        let future = U256::from(now + ahead);
        s.world.set_storage(oracle, slot, B256::from(future));
        assert_eq!(view(&mut s.world, oracle, &fx::latestPriceCall {}).updatedAt, future);
        let expected = stab::StaleOracle { updatedAt: future, maxOracleAge: MAX_ORACLE_AGE }.abi_encode();
        keeper_view_refuses(&mut s, &expected);
        refused_at_cap(&mut s, &expected);
    }
    // Back to a past stamp within the age: the keeper trades.
    s.world.set_storage(oracle, slot, B256::from(U256::from(now)));
    keeper_trades(&mut s);
}

/// `OracleFailed` cannot be produced through the `PriceOracle` fixture
/// (see the module documentation): the oracle is overridden on the chain.
#[test]
fn a_failing_oracle_is_refused() {
    let (mut s, _) = sustained_market();
    let oracle = s.oracle;
    let expected = stab::OracleFailed { oracle }.abi_encode();
    // PriceOracle's layout: Ownable's owner in slot 0, the price in slot 1.
    let price_slot = U256::from(1u8);
    assert_eq!(s.world.storage(oracle, price_slot), B256::from(e18()), "the price slot");
    s.world.set_storage(oracle, price_slot, B256::ZERO);
    assert_eq!(view(&mut s.world, oracle, &fx::latestPriceCall {}).price, U256::ZERO);
    assert!(check(&mut s).1, "FlashContainment's trigger does not read the oracle");
    keeper_view_refuses(&mut s, &expected);
    refused_at_cap(&mut s, &expected);
    // An oracle whose code reverts.
    s.world.set_storage(oracle, price_slot, B256::from(e18()));
    keeper_trade(&mut s);
    s.world.set_code(oracle, vec![0x60, 0x00, 0x60, 0x00, 0xfd]);
    assert!(try_view(&mut s.world, oracle, &fx::latestPriceCall {}).is_err());
    keeper_view_refuses(&mut s, &expected);
    refused_at_cap(&mut s, &expected);
}

/// A `StablecoinPegManager` (band 50 bps) watching both tokens, the
/// Stabilizer's limit 50 bps.
fn install_peg_manager(s: &mut System) -> Address {
    let ctor = fx::pegManagerConstructorCall { owner: OWNER, pegBandBps: U256::from(50u8) };
    let manager = artifact("StablecoinPegManager").deploy(&mut s.world, OWNER, &args(&ctor)).unwrap();
    let managers = stab::setPegManagersCall {
        stablecoinPegManager: manager,
        commodityPegManager: Address::ZERO,
        baseKind: 1,
        quoteKind: 1,
        maxPegDeviationBps: 50,
    };
    send(&mut s.world, ADMIN, STAB, &managers);
    manager
}

fn set_peg_deviation(s: &mut System, manager: Address, asset: Address, deviation: i64) {
    send(&mut s.world, OWNER, manager, &fx::setDeviationBpsCall { asset, deviationBps: bps(deviation) });
}

#[test]
fn a_token_off_its_peg_is_never_sold() {
    let (mut s, _) = sustained_market();
    let manager = install_peg_manager(&mut s);
    let quote = s.quote;
    for deviation in [-300, -51, 51] {
        set_peg_deviation(&mut s, manager, quote, deviation);
        let expected = stab::TokenOffPeg { token: quote, deviationBps: bps(deviation) }.abi_encode();
        keeper_view_refuses(&mut s, &expected);
        refused_at_cap(&mut s, &expected);
    }
    // At the limit it is sold.
    set_peg_deviation(&mut s, manager, quote, -50);
    keeper_trades(&mut s);
}

#[test]
fn peg_managers_that_explain_or_contradict_the_deviation_refuse() {
    let (mut s, _) = sustained_market();
    let manager = install_peg_manager(&mut s);
    let base = s.base;
    let (twap, _) = check(&mut s);
    let twap_bps = i64::try_from(twap).unwrap();
    assert!(twap_bps < -50, "{twap_bps}");
    // The base token itself is as far below its peg as the pool is below
    // the oracle (explained), then further (contradicted). Base is not the
    // token sold, so its own depeg is no `TokenOffPeg`.
    for deviation in [twap_bps, twap_bps - 50] {
        set_peg_deviation(&mut s, manager, base, deviation);
        let expected = stab::PegManagerDisagrees {
            poolDeviationBps: twap,
            baseDeviationBps: bps(deviation),
            quoteDeviationBps: I256::ZERO,
        }
        .abi_encode();
        keeper_view_refuses(&mut s, &expected);
        refused_at_cap(&mut s, &expected);
    }
    // Half explained: the rest is corrected.
    set_peg_deviation(&mut s, manager, base, twap_bps / 2);
    keeper_trades(&mut s);
}

#[test]
fn a_trade_above_the_cap_or_k_times_the_deviation_is_too_large() {
    // A 1% deviation: k·|dev| is twice the per-block cap, the cap binds.
    let (mut s, _) = sustained_market();
    let (base, quote, pool) = (s.base, s.quote, s.pool);
    let (twap, _) = check(&mut s);
    let cap = tokens(CAP_TOKENS);
    assert_eq!(view(&mut s.world, FC, &fc::remainingVolumeCall { pool })._0, cap);
    let k_dev = tokens(K_TOKENS) * twap.unsigned_abs() / U256::from(10_000u16);
    assert!(k_dev > cap, "k·|dev| {k_dev}");
    assert_eq!(keeper_trade(&mut s).tradeSize, cap);
    let expected = stab::TradeTooLarge { tradeSize: cap + U256::from(1u8), maxTradeSize: cap }.abi_encode();
    refused(&mut s, &swap(cap + U256::from(1u8), quote, base), &expected);
    let expected = stab::TradeTooLarge { tradeSize: U256::MAX, maxTradeSize: cap }.abi_encode();
    refused(&mut s, &swap(U256::MAX, quote, base), &expected);
    ok(keeper_send(&mut s, &swap(cap, quote, base)), "at the cap");

    // A 30 bps deviation: k·|dev| is below the cap and binds.
    let (mut s, _) = sustained_market_from(system(), 30);
    let (twap, should) = check(&mut s);
    assert!(should);
    let allowed = tokens(K_TOKENS) * twap.unsigned_abs() / U256::from(10_000u16);
    assert!(allowed < cap && !allowed.is_zero(), "k·|dev| {allowed}");
    assert_eq!(keeper_trade(&mut s).tradeSize, allowed);
    let expected =
        stab::TradeTooLarge { tradeSize: allowed + U256::from(1u8), maxTradeSize: allowed }.abi_encode();
    refused(&mut s, &swap(allowed + U256::from(1u8), quote, base), &expected);
    let expected = stab::TradeTooLarge { tradeSize: cap, maxTradeSize: allowed }.abi_encode();
    refused(&mut s, &swap(cap, quote, base), &expected);
}

#[test]
fn a_release_the_reserve_sizer_refuses_is_refused() {
    let (mut s, _) = sustained_market();
    let quote = s.quote;
    let cap = tokens(CAP_TOKENS);
    assert!(view(&mut s.world, SIZER, &sizer::canReleaseCall { asset: quote, amount: cap })._0);
    // A reporter records a minute's outflow of 490,000 more: the required
    // reserve (peak × 15 min × 1.5) exceeds what the mesh holds.
    send(&mut s.world, REPORTER, SIZER, &sizer::recordOutflowCall { asset: quote, amount: tokens(490_000) });
    let required = view(&mut s.world, SIZER, &sizer::requiredReserveCall { asset: quote })._0;
    let held = s.balance(quote, MESH);
    assert!(required > held, "required {required}, mesh {held}");
    assert!(!view(&mut s.world, SIZER, &sizer::canReleaseCall { asset: quote, amount: cap })._0);
    let expected = stab::ReserveReleaseRefused { token: quote, amount: cap }.abi_encode();
    keeper_view_refuses(&mut s, &expected);
    refused_at_cap(&mut s, &expected);
    let small = tokens(1);
    let expected = stab::ReserveReleaseRefused { token: quote, amount: small }.abi_encode();
    let call = swap(small, quote, s.base);
    refused(&mut s, &call, &expected);
}

/// The `ReleaseRecorded` events of the ReserveSizer in `logs`.
fn releases(logs: &[alloy_primitives::Log]) -> Vec<sizer::ReleaseRecorded> {
    logs.iter()
        .filter(|log| log.address == SIZER)
        .filter_map(|log| sizer::ReleaseRecorded::decode_log(log, true).ok().map(|decoded| decoded.data))
        .collect()
}

/// Issue 12, finding 4: the release the ReserveSizer checks and records is
/// what the mesh actually released (`meshReturned`, above the trade size
/// when the pool pays more than the size at the peg), recorded on chain by
/// the Stabilizer itself, and stabilizing releases leave the peak outflow
/// `P` as it was, however many corrections run. On the former wasm no
/// release was recorded.
#[test]
fn the_mesh_release_is_recorded_on_chain_and_leaves_the_peak_outflow_alone() {
    let (mut s, _) = sustained_market();
    let quote = s.quote;
    let peak = view(&mut s.world, SIZER, &sizer::peakMinuteOutflowCall { asset: quote })._0;
    let mut trades = 0;
    for _ in 0..6 {
        if let Plan::Send(call) = keeper_plan(&mut s) {
            let outcome = ok(keeper_send(&mut s, &call), "the keeper's trade");
            let trade = &stabilized(&outcome.logs)[0];
            let recorded = releases(&outcome.logs);
            assert_eq!(recorded.len(), 1, "one release recorded");
            assert_eq!((recorded[0].asset, recorded[0].reporter), (quote, STAB));
            assert_eq!(recorded[0].amount, trade.meshReturned);
            if trades == 0 {
                // 1% off the peg, the pool pays above the size at the peg.
                assert!(trade.meshReturned > trade.amountIn, "{} for {}", trade.meshReturned, trade.amountIn);
            }
            assert_eq!(recorded[0].reserve, s.balance(quote, MESH));
            trades += 1;
        }
        s.next_block();
        keeper_poke(&mut s);
    }
    assert!(trades >= 2, "{trades} corrections");
    assert_eq!(view(&mut s.world, SIZER, &sizer::peakMinuteOutflowCall { asset: quote })._0, peak);
}

/// Issue 12, finding 4: `canRelease(tokenIn, tradeSize)` passes, but the
/// mesh releases `meshReturned` > `tradeSize`, which takes its reserve
/// below the requirement: the whole trade reverts with
/// `ReserveReleaseRefused(tokenIn, meshReturned)` and nothing changes. The
/// former wasm asked only about `tradeSize` and traded.
#[test]
fn a_release_above_the_checked_size_that_breaks_the_reserve_is_refused() {
    let (mut s, _) = sustained_market();
    let (base, quote) = (s.base, s.quote);
    let call = planned(&mut s);
    assert_eq!(call.tokenIn, quote);
    // What the mesh will release for the pool's output, in this state.
    let returned = view(
        &mut s.world,
        MESH,
        &mesh::quoteCall { tokenIn: base, tokenOut: quote, amountIn: call.minAmountOut },
    )
    .amountOut;
    assert!(returned > call.tradeSize + U256::from(100u8), "{returned} for {}", call.tradeSize);
    // A peak outflow P whose requirement P × 15 × 1.5 lies between the
    // mesh's reserve less the release and the reserve less the size.
    let reserve = s.balance(quote, MESH);
    let target = (reserve - call.tradeSize) * U256::from(2u8) / U256::from(45u8);
    let minute = s.world.block().timestamp / 60;
    let this_minute = s
        .world
        .logs()
        .iter()
        .filter(|log| log.address == SIZER)
        .filter_map(|log| sizer::OutflowRecorded::decode_log(log, true).ok().map(|decoded| decoded.data))
        .filter(|event| event.asset == quote && event.minute == minute)
        .last()
        .map_or(U256::ZERO, |event| event.minuteTotal);
    send(
        &mut s.world,
        REPORTER,
        SIZER,
        &sizer::recordOutflowCall { asset: quote, amount: target - this_minute },
    );
    assert_eq!(view(&mut s.world, SIZER, &sizer::peakMinuteOutflowCall { asset: quote })._0, target);
    let required = view(&mut s.world, SIZER, &sizer::requiredReserveCall { asset: quote })._0;
    assert!(required <= reserve - call.tradeSize && required > reserve - returned);
    // The size passes the release check: the keeper view answers.
    keeper_trade(&mut s);
    let expected = stab::ReserveReleaseRefused { token: quote, amount: returned }.abi_encode();
    refused(&mut s, &call, &expected);
}

#[test]
fn a_float_below_the_trade_is_refused() {
    let float = tokens(10_000);
    let (mut s, _) = sustained_market_from(system_with_float(10_000), 100);
    let quote = s.quote;
    assert_eq!(s.balance(quote, STAB), float);
    // The keeper view stops at the float.
    assert_eq!(keeper_trade(&mut s).tradeSize, float);
    let cap = tokens(CAP_TOKENS);
    let expected = stab::InsufficientFloat { token: quote, balance: float, needed: cap }.abi_encode();
    refused_at_cap(&mut s, &expected);
    let needed = float + U256::from(1u8);
    let expected = stab::InsufficientFloat { token: quote, balance: float, needed }.abi_encode();
    let call = swap(needed, quote, s.base);
    refused(&mut s, &call, &expected);
    keeper_trades(&mut s);
}

#[test]
fn a_trade_bounded_above_the_pool_quote_is_refused() {
    let (mut s, _) = sustained_market();
    let call = planned(&mut s);
    let quote = call.minAmountOut;
    let greedy = stab::executePrivateSwap_1Call { minAmountOut: quote + U256::from(1u8), ..call.clone() };
    let expected =
        stab::SlippageExceeded { amountOut: quote, minAmountOut: quote + U256::from(1u8) }.abi_encode();
    refused(&mut s, &greedy, &expected);
    // At the exact quote it goes through and is paid exactly that.
    let outcome = ok(keeper_send(&mut s, &call), "at the quote");
    assert_eq!(stabilized(&outcome.logs)[0].amountOut, quote);
}

#[test]
fn app_a_form_past_the_peg_is_refused() {
    let (mut s, _) = sustained_market();
    keeper_trades(&mut s);
    s.next_block();
    assert!(keeper_poke(&mut s));
    // The keeper view allows the cap; the peg is reached sooner.
    let trade = keeper_trade(&mut s);
    let (_, peg) = mid_and_peg(&mut s);
    let to_peg = sizing::max_correcting_quote_in(&pmm_state(&mut s), peg, fees()).unwrap();
    println!("keeperTrade size {}, peg-reaching size {to_peg}", trade.tradeSize);
    assert!(trade.tradeSize > to_peg + tokens(100), "{} vs {to_peg}", trade.tradeSize);
    let expected = stab::PegOvershoot { tradeSize: trade.tradeSize }.abi_encode();
    refused(&mut s, &swap(trade.tradeSize, trade.tokenIn, trade.tokenOut), &expected);
    // Just past the peg-reaching size, still refused; at it, it goes through.
    let past = to_peg + tokens(100);
    let expected = stab::PegOvershoot { tradeSize: past }.abi_encode();
    refused(&mut s, &swap(past, trade.tokenIn, trade.tokenOut), &expected);
    let outcome = ok(keeper_send(&mut s, &swap(to_peg, trade.tokenIn, trade.tokenOut)), "to the peg");
    assert_eq!(stabilized(&outcome.logs).len(), 1);
}

#[test]
fn a_mesh_refusal_is_refused() {
    let (mut s, _) = sustained_market();
    let call = planned(&mut s);
    send(&mut s.world, GUARDIAN, MESH, &mesh::pauseCall {});
    // The pre-trade rules do not see the mesh: the keeper view answers.
    assert_eq!(keeper_trade(&mut s).tokenIn, call.tokenIn);
    let reason = mesh::EnforcedPause {}.abi_encode();
    let expected = stab::MeshSwapFailed { reason: reason.into() }.abi_encode();
    refused(&mut s, &call, &expected);
    let three = swap(call.tradeSize, call.tokenIn, call.tokenOut);
    refused(&mut s, &three, &expected);
    send(&mut s.world, ADMIN, MESH, &mesh::unpauseCall {});
    keeper_trades(&mut s);
}

/// The production `setParameters`.
fn production_parameters() -> stab::setParametersCall {
    stab::setParametersCall {
        minBlocks: MIN_BLOCKS,
        k: tokens(K_TOKENS),
        maxSlippageBps: MAX_SLIPPAGE_BPS,
        maxGasPrice: U256::from(MAX_GAS_PRICE),
        maxOracleAge: MAX_ORACLE_AGE,
    }
}

/// The production `setParameters` with one parameter set to a value.
type With = fn(U256) -> stab::setParametersCall;

#[test]
fn set_parameters_refuses_each_value_out_of_range() {
    let mut s = system();
    let wide_max = U256::from(u128::MAX);
    // (parameter, min, max, the call with it set to a value).
    let cases: [(u8, U256, U256, With); 5] = [
        (0, U256::from(1u8), U256::from(10_000u16), |v| stab::setParametersCall {
            minBlocks: v.to(),
            ..production_parameters()
        }),
        (1, U256::from(1u8), wide_max, |v| stab::setParametersCall { k: v, ..production_parameters() }),
        (2, U256::from(1u8), U256::from(1_000u16), |v| stab::setParametersCall {
            maxSlippageBps: v.to(),
            ..production_parameters()
        }),
        (3, U256::from(1u8), wide_max, |v| stab::setParametersCall {
            maxGasPrice: v,
            ..production_parameters()
        }),
        (4, U256::from(1u8), U256::from(86_400u32), |v| stab::setParametersCall {
            maxOracleAge: v.to(),
            ..production_parameters()
        }),
    ];
    for (parameter, min, max, with) in cases {
        for value in [min - U256::from(1u8), max + U256::from(1u8)] {
            let expected = stab::ParameterOutOfRange { parameter, value, min, max }.abi_encode();
            refused_by(&mut s, ADMIN, &with(value), &expected);
        }
        // The bounds themselves are accepted.
        for value in [min, max] {
            send(&mut s.world, ADMIN, STAB, &with(value));
        }
        send(&mut s.world, ADMIN, STAB, &production_parameters());
    }
    let parameters = view(&mut s.world, STAB, &stab::parametersCall {})._0;
    assert_eq!(
        parameters[..5],
        [
            U256::from(MIN_BLOCKS),
            tokens(K_TOKENS),
            U256::from(MAX_SLIPPAGE_BPS),
            U256::from(MAX_GAS_PRICE),
            U256::from(MAX_ORACLE_AGE)
        ]
    );
    // Only the admin sets them.
    let expected =
        stab::AccessControlUnauthorizedAccount { account: KEEPER, neededRole: ADMIN_ROLE }.abi_encode();
    refused_by(&mut s, KEEPER, &production_parameters(), &expected);
}

#[test]
fn set_peg_managers_refuses_bad_inputs() {
    let mut s = system();
    let ctor = fx::pegManagerConstructorCall { owner: OWNER, pegBandBps: U256::from(50u8) };
    let manager = artifact("StablecoinPegManager").deploy(&mut s.world, OWNER, &args(&ctor)).unwrap();
    let good = stab::setPegManagersCall {
        stablecoinPegManager: manager,
        commodityPegManager: Address::ZERO,
        baseKind: 1,
        quoteKind: 1,
        maxPegDeviationBps: 50,
    };
    let out_of_range = |parameter: u8, value: u64, min: u64, max: u64| {
        stab::ParameterOutOfRange {
            parameter,
            value: U256::from(value),
            min: U256::from(min),
            max: U256::from(max),
        }
        .abi_encode()
    };
    let cases = [
        (stab::setPegManagersCall { maxPegDeviationBps: 0, ..good.clone() }, out_of_range(5, 0, 1, 5_000)),
        (
            stab::setPegManagersCall { maxPegDeviationBps: 5_001, ..good.clone() },
            out_of_range(5, 5_001, 1, 5_000),
        ),
        (stab::setPegManagersCall { baseKind: 3, ..good.clone() }, out_of_range(6, 3, 0, 2)),
        (stab::setPegManagersCall { quoteKind: 3, ..good.clone() }, out_of_range(7, 3, 0, 2)),
        (
            stab::setPegManagersCall { baseKind: 255, quoteKind: 255, ..good.clone() },
            out_of_range(6, 255, 0, 2),
        ),
        (
            stab::setPegManagersCall { stablecoinPegManager: Address::ZERO, ..good.clone() },
            stab::ZeroAddress {}.abi_encode(),
        ),
        (
            stab::setPegManagersCall { baseKind: 0, quoteKind: 2, ..good.clone() },
            stab::ZeroAddress {}.abi_encode(),
        ),
    ];
    for (call, expected) in &cases {
        refused_by(&mut s, ADMIN, call, expected);
    }
    // A `uint8` word above 255 is malformed: no data, as the SDK's decoder.
    let mut wide = good.abi_encode();
    wide[4 + 2 * 32 + 30] = 1;
    refused_raw(&mut s, ADMIN, STAB, &wide, &[]);
    send(&mut s.world, ADMIN, STAB, &good);
}

#[test]
fn set_contracts_refuses_a_zero_address_and_another_oracle() {
    let mut s = system();
    let good = stab::setContractsCall {
        pool: s.pool,
        containment: FC,
        mesh: MESH,
        reserveSizer: SIZER,
        oracle: s.oracle,
    };
    let zero = stab::ZeroAddress {}.abi_encode();
    let z = Address::ZERO;
    for call in [
        stab::setContractsCall { pool: z, ..good.clone() },
        stab::setContractsCall { containment: z, ..good.clone() },
        stab::setContractsCall { mesh: z, ..good.clone() },
        stab::setContractsCall { reserveSizer: z, ..good.clone() },
        stab::setContractsCall { oracle: z, ..good.clone() },
    ] {
        refused_by(&mut s, ADMIN, &call, &zero);
    }
    // An oracle that is not FlashContainment's for this pool.
    let other = deploy_oracle(&mut s.world, e18());
    let expected = stab::OracleMismatch { oracle: other, registered: s.oracle }.abi_encode();
    refused_by(&mut s, ADMIN, &stab::setContractsCall { oracle: other, ..good.clone() }, &expected);
    // A pool whose base token cannot approve (a contract without
    // `approve`: the oracle), registered in FlashContainment: the approval
    // fails by name after the old tokens' revocations, and the whole call
    // reverts (the old approvals stay).
    let ctor = fx::pmmConstructorCall {
        owner: OWNER,
        maintainer: OWNER,
        baseToken: s.oracle,
        quoteToken: s.quote,
        lpFeeRate: U256::ZERO,
        mtFeeRate: U256::ZERO,
        i: e18(),
        k: U256::from(POOL_K),
        isOpenTWAP: false,
    };
    let odd_pool = artifact("PmmPool").deploy(&mut s.world, OWNER, &args(&ctor)).expect("pool deploys");
    register_pool(&mut s.world, odd_pool, s.oracle);
    let expected = stab::TransferFailed { token: s.oracle }.abi_encode();
    refused_by(&mut s, ADMIN, &stab::setContractsCall { pool: odd_pool, ..good.clone() }, &expected);
    let (base, quote) = (s.base, s.quote);
    for token in [base, quote] {
        assert_eq!(allowance(&mut s, token, MESH), U256::MAX, "the old approval stays");
    }
    send(&mut s.world, ADMIN, STAB, &good);
}

/// The Stabilizer's allowance of `token` to `spender`.
fn allowance(s: &mut System, token: Address, spender: Address) -> U256 {
    view(&mut s.world, token, &fx::allowanceCall { owner: STAB, spender })._0
}

/// Issue 12, finding 6: `setContracts` with USDT-style pool tokens
/// (`UsdtStyleToken`: nothing returned, and an approval from nonzero to
/// nonzero reverts). The system is configured with them and corrects a
/// sustained deviation; configured again with the same contracts it
/// approves 0, then MAX (the former code approved MAX over MAX and was
/// refused with `TransferFailed`); a new mesh is approved and the old one
/// keeps no allowance; a new pool's tokens are approved and the old pool's
/// tokens keep none (the former code revoked only on the new tokens, and
/// only for a new mesh).
#[test]
fn set_contracts_revokes_old_approvals_and_suits_usdt_style_tokens() {
    let s = system_with_usdt_style_tokens();
    let (mut s, _) = sustained_market_from(s, 100);
    let (base, quote, pool, oracle) = (s.base, s.quote, s.pool, s.oracle);
    for token in [base, quote] {
        assert_eq!(allowance(&mut s, token, MESH), U256::MAX);
    }
    keeper_trades(&mut s);
    for token in [base, quote] {
        assert_eq!(allowance(&mut s, token, MESH), U256::MAX, "a maximal USDT allowance is not spent down");
    }
    let good = stab::setContractsCall { pool, containment: FC, mesh: MESH, reserveSizer: SIZER, oracle };
    send(&mut s.world, ADMIN, STAB, &good);
    for token in [base, quote] {
        assert_eq!(allowance(&mut s, token, MESH), U256::MAX);
    }
    // Another mesh: the old one keeps nothing.
    let other_mesh = Address::repeat_byte(0x3e);
    send(&mut s.world, ADMIN, STAB, &stab::setContractsCall { mesh: other_mesh, ..good.clone() });
    for token in [base, quote] {
        assert_eq!(allowance(&mut s, token, MESH), U256::ZERO);
        assert_eq!(allowance(&mut s, token, other_mesh), U256::MAX);
    }
    // Another pool of other USDT-style tokens, registered in
    // FlashContainment with the same oracle: its tokens are approved, the
    // old pool's tokens keep nothing.
    let supply = tokens(10_000_000);
    let (base2, quote2) = (
        deploy_usdt_style_token(&mut s.world, DECIMALS, supply),
        deploy_usdt_style_token(&mut s.world, DECIMALS, supply),
    );
    let pool2 = deploy_pmm(&mut s.world, base2, quote2, tokens(DEPTH_TOKENS));
    register_pool(&mut s.world, pool2, oracle);
    send(&mut s.world, ADMIN, STAB, &stab::setContractsCall { pool: pool2, ..good.clone() });
    for token in [base, quote] {
        assert_eq!(allowance(&mut s, token, MESH), U256::ZERO);
        assert_eq!(allowance(&mut s, token, other_mesh), U256::ZERO);
    }
    for token in [base2, quote2] {
        assert_eq!(allowance(&mut s, token, MESH), U256::MAX);
    }
    // Back to the first pool and mesh: only its pairs are approved.
    send(&mut s.world, ADMIN, STAB, &good);
    for (token, expected) in
        [(base, U256::MAX), (quote, U256::MAX), (base2, U256::ZERO), (quote2, U256::ZERO)]
    {
        assert_eq!(allowance(&mut s, token, MESH), expected);
        assert_eq!(allowance(&mut s, token, other_mesh), U256::ZERO);
    }
    let contracts = view(&mut s.world, STAB, &stab::contractsCall {})._0;
    assert_eq!(contracts[..5], [pool, base, quote, FC, MESH]);
}

#[test]
fn set_direction_enabled_refuses_a_guardian_enabling_and_an_unknown_token() {
    let mut s = system();
    let (quote, xau) = (s.quote, s.xau);
    let enable = stab::setDirectionEnabledCall { tokenIn: quote, enabled: true };
    let expected =
        stab::AccessControlUnauthorizedAccount { account: GUARDIAN, neededRole: ADMIN_ROLE }.abi_encode();
    refused_by(&mut s, GUARDIAN, &enable, &expected);
    let disable = stab::setDirectionEnabledCall { tokenIn: quote, enabled: false };
    let expected = stab::AccessControlUnauthorizedAccount { account: STRANGER, neededRole: guardian_role() }
        .abi_encode();
    refused_by(&mut s, STRANGER, &disable, &expected);
    let expected = stab::UnknownTokenPair { tokenIn: xau, tokenOut: Address::ZERO }.abi_encode();
    for from in [ADMIN, GUARDIAN] {
        refused_by(&mut s, from, &stab::setDirectionEnabledCall { tokenIn: xau, enabled: false }, &expected);
    }
    refused_by(&mut s, ADMIN, &stab::setDirectionEnabledCall { tokenIn: xau, enabled: true }, &expected);
    // A guardian disables, and the guardian still cannot re-enable.
    send(&mut s.world, GUARDIAN, STAB, &disable);
    let expected =
        stab::AccessControlUnauthorizedAccount { account: GUARDIAN, neededRole: ADMIN_ROLE }.abi_encode();
    refused_by(&mut s, GUARDIAN, &enable, &expected);
    send(&mut s.world, ADMIN, STAB, &enable);
}

#[test]
fn pause_and_unpause_refuse_out_of_turn() {
    let mut s = system();
    refused_by(&mut s, ADMIN, &stab::unpauseCall {}, &stab::ExpectedPause {}.abi_encode());
    send(&mut s.world, GUARDIAN, STAB, &stab::pauseCall {});
    refused_by(&mut s, GUARDIAN, &stab::pauseCall {}, &stab::EnforcedPause {}.abi_encode());
    let expected =
        stab::AccessControlUnauthorizedAccount { account: GUARDIAN, neededRole: ADMIN_ROLE }.abi_encode();
    refused_by(&mut s, GUARDIAN, &stab::unpauseCall {}, &expected);
    send(&mut s.world, ADMIN, STAB, &stab::unpauseCall {});
    refused_by(&mut s, ADMIN, &stab::unpauseCall {}, &stab::ExpectedPause {}.abi_encode());
}

#[test]
fn renounce_role_refuses_a_wrong_confirmation() {
    let mut s = system();
    let expected = stab::AccessControlBadConfirmation {}.abi_encode();
    for confirmation in [STRANGER, ADMIN, Address::ZERO] {
        let call = stab::renounceRoleCall { role: keeper_role(), confirmation };
        refused_by(&mut s, KEEPER, &call, &expected);
    }
    let call = stab::renounceRoleCall { role: ADMIN_ROLE, confirmation: KEEPER };
    refused_by(&mut s, ADMIN, &call, &expected);
    send(&mut s.world, KEEPER, STAB, &stab::renounceRoleCall { role: keeper_role(), confirmation: KEEPER });
    assert!(!view(&mut s.world, STAB, &stab::hasRoleCall { role: keeper_role(), account: KEEPER })._0);
}

#[test]
fn the_admin_holds_every_admin_function() {
    let mut s = system();
    let unauthorized =
        stab::AccessControlUnauthorizedAccount { account: STRANGER, neededRole: ADMIN_ROLE }.abi_encode();
    let contracts = stab::setContractsCall {
        pool: s.pool,
        containment: FC,
        mesh: MESH,
        reserveSizer: SIZER,
        oracle: s.oracle,
    };
    refused_by(&mut s, STRANGER, &contracts, &unauthorized);
    let managers = stab::setPegManagersCall {
        stablecoinPegManager: Address::ZERO,
        commodityPegManager: Address::ZERO,
        baseKind: 0,
        quoteKind: 0,
        maxPegDeviationBps: 50,
    };
    refused_by(&mut s, STRANGER, &managers, &unauthorized);
    refused_by(
        &mut s,
        STRANGER,
        &stab::grantRoleCall { role: keeper_role(), account: STRANGER },
        &unauthorized,
    );
    refused_by(
        &mut s,
        STRANGER,
        &stab::revokeRoleCall { role: keeper_role(), account: KEEPER },
        &unauthorized,
    );
}

/// The `# Errors` order of `execute_private_swap`: with many rules broken
/// at once, each refusal is the first broken rule's, and mending it
/// uncovers the next.
#[test]
fn the_first_broken_rule_refuses() {
    let (mut s, _) = sustained_market();
    let (base, quote, xau, pool, oracle) = (s.base, s.quote, s.xau, s.pool, s.oracle);
    keeper_trades(&mut s);
    let block = s.block();
    send(&mut s.world, GUARDIAN, STAB, &stab::setDirectionEnabledCall { tokenIn: quote, enabled: false });
    send(&mut s.world, GUARDIAN, STAB, &stab::pauseCall {});
    let price = U256::from(MAX_GAS_PRICE + 1);
    s.world.block_mut().basefee = price;
    let zero = swap(U256::ZERO, quote, base);
    let expected =
        stab::AccessControlUnauthorizedAccount { account: STRANGER, neededRole: keeper_role() }.abi_encode();
    refused_by(&mut s, STRANGER, &zero, &expected);
    refused(&mut s, &zero, &stab::EnforcedPause {}.abi_encode());
    send(&mut s.world, ADMIN, STAB, &stab::unpauseCall {});
    let expected =
        stab::CongestionGuard { gasPrice: price, maxGasPrice: U256::from(MAX_GAS_PRICE) }.abi_encode();
    refused(&mut s, &zero, &expected);
    s.world.block_mut().basefee = U256::from(MAX_GAS_PRICE);
    let expected = stab::UnknownTokenPair { tokenIn: xau, tokenOut: base }.abi_encode();
    refused(&mut s, &swap(U256::ZERO, xau, base), &expected);
    refused(&mut s, &zero, &stab::DirectionDisabled { tokenIn: quote }.abi_encode());
    send(&mut s.world, ADMIN, STAB, &stab::setDirectionEnabledCall { tokenIn: quote, enabled: true });
    refused(&mut s, &zero, &stab::ZeroAmount {}.abi_encode());
    let too_large = swap(U256::MAX, quote, base);
    let expected = stab::TooEarly { l2Block: block, nextAllowedBlock: block + MIN_BLOCKS }.abi_encode();
    refused(&mut s, &too_large, &expected);
    // The keeper observes the pool after its trade in the next block (the
    // spot must hold the newest observation, and the one before the trade
    // no longer does: the trade moved the pool toward the peg).
    s.next_block();
    assert!(keeper_poke(&mut s));
    // The L2 block after, an hour and a second after the oracle's update:
    // FlashContainment cannot observe it, its streak stays live.
    let updated_at = view(&mut s.world, oracle, &fx::latestPriceCall {}).updatedAt;
    let now = s.world.block().timestamp;
    s.world.advance(updated_at.to::<u64>() + MAX_ORACLE_AGE + 1 - now);
    assert!(!s.world.call(KEEPER, FC, &fc::pokeCall { pool }.abi_encode(), U256::ZERO).success);
    let manager = install_peg_manager(&mut s);
    set_peg_deviation(&mut s, manager, quote, -300);
    let expected = stab::StaleOracle { updatedAt: updated_at, maxOracleAge: MAX_ORACLE_AGE }.abi_encode();
    refused(&mut s, &too_large, &expected);
    send(&mut s.world, OWNER, oracle, &fx::setPriceCall { price: e18() });
    let expected = stab::TokenOffPeg { token: quote, deviationBps: bps(-300) }.abi_encode();
    refused(&mut s, &too_large, &expected);
    set_peg_deviation(&mut s, manager, quote, 0);
    let allowed = keeper_trade(&mut s).tradeSize;
    let expected = stab::TradeTooLarge { tradeSize: U256::MAX, maxTradeSize: allowed }.abi_encode();
    refused(&mut s, &too_large, &expected);
    send(&mut s.world, REPORTER, SIZER, &sizer::recordOutflowCall { asset: quote, amount: tokens(490_000) });
    let expected = stab::ReserveReleaseRefused { token: quote, amount: allowed }.abi_encode();
    refused(&mut s, &swap(allowed, quote, base), &expected);
}
