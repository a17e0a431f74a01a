//! Native unit tests of the PrivateMeshPool against stylus-sdk's `TestVM`.
//!
//! Calls go through the [`IPrivateMeshPool`] methods, or through
//! [`PrivateMeshPool::route_call`] with ABI-encoded calldata to test the
//! dispatcher and its codec. External calls are `TestVM` mocks keyed by
//! their exact calldata. `TestVM` does not roll back a refused call, so
//! refusals are checked only where the call must fail before writing
//! anything ([`refused`]); the chain tests check every refusal on the
//! compiled wasm with rollback.

use alloy_primitives::{address, keccak256, Address, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue};
use stylus_sdk::testing::TestVM;
use vault_bindings::{ArbSys, IPriceOracle, ARB_SYS, IERC20};
use vault_math::mesh::{self, Direction, Minimums};
use vault_math::pmm::{self, PmmState, RState};

use crate::abi::IPrivateMeshPool as I;
use crate::{
    Error, IPrivateMeshPool, PrivateMeshPool, ADMIN_ROLE, GUARDIAN_ROLE, LIQUIDITY_PROVIDER_ROLE,
    PARAMETER_RANGES, STABILIZER_ROLE,
};

const DEPLOYER: Address = Address::repeat_byte(0xD0);
const ADMIN: Address = Address::repeat_byte(0xAD);
const STABILIZER: Address = Address::repeat_byte(0x5A);
const LP: Address = Address::repeat_byte(0x1F);
const GUARDIAN: Address = Address::repeat_byte(0x6A);
const STRANGER: Address = Address::repeat_byte(0x55);
const RECEIVER: Address = Address::repeat_byte(0x7E);
const XAU: Address = Address::repeat_byte(0xAA);
const USDT: Address = Address::repeat_byte(0x01);
const EURT: Address = Address::repeat_byte(0x03);
const USDT_ORACLE: Address = Address::repeat_byte(0x91);
const EURT_ORACLE: Address = Address::repeat_byte(0x93);
const MESH: Address = address!("00000000000000000000000000000000000e5400");

const E18: u128 = 1_000_000_000_000_000_000;
const K: u128 = E18 / 10;
const FEE: u128 = 3 * E18 / 10_000;
const MIN_TOKEN: u128 = 1_000_000_000;
const MIN_XAU: u128 = E18 / 10;
const USD_PRICE: u128 = 300_000_000_000_000_000_000_000_000;
const EUR_PRICE: u128 = 324_000_000_000_000_000_000_000_000;
const NOW: u64 = 1_700_000_000;
const BLOCK: u64 = 1_000;

fn u(value: u128) -> U256 {
    U256::from(value)
}

fn mock_clock(vm: &TestVM, block: u64) {
    let call = ArbSys::arbBlockNumberCall {}.abi_encode();
    vm.mock_static_call(ARB_SYS, call, Ok(U256::from(block).abi_encode()));
}

fn mock_oracle(vm: &TestVM, oracle: Address, price: U256, updated_at: u64) {
    let call = IPriceOracle::latestPriceCall {}.abi_encode();
    vm.mock_static_call(oracle, call, Ok((price, U256::from(updated_at)).abi_encode()));
}

/// `token.balanceOf(mesh)` answers, so the token counts as having code.
fn mock_token(vm: &TestVM, token: Address) {
    let call = IERC20::balanceOfCall { account: MESH }.abi_encode();
    vm.mock_static_call(token, call, Ok(U256::ZERO.abi_encode()));
}

/// `token.transferFrom(from, mesh, amount)` returns `answer`.
fn mock_pull(vm: &TestVM, token: Address, from: Address, amount: U256, answer: Result<Vec<u8>, Vec<u8>>) {
    let call = IERC20::transferFromCall { from, to: MESH, value: amount }.abi_encode();
    vm.mock_call(token, call, answer);
}

/// `token.transfer(to, amount)` returns `answer`.
fn mock_pay(vm: &TestVM, token: Address, to: Address, amount: U256, answer: Result<Vec<u8>, Vec<u8>>) {
    let call = IERC20::transferCall { to, value: amount }.abi_encode();
    vm.mock_call(token, call, answer);
}

/// A mocked ERC-20 call's answer: success, returning `true`.
#[allow(clippy::unnecessary_wraps)] // the shape the mocks take
fn yes() -> Result<Vec<u8>, Vec<u8>> {
    Ok(true.abi_encode())
}

fn register(contract: &mut PrivateMeshPool, token: Address, oracle: Address) -> Result<(), Error> {
    contract.register_pool(token, oracle, u(K), u(FEE), u(MIN_TOKEN), u(MIN_XAU), 50, 200, 3_600)
}

/// Constructed by `DEPLOYER` with `ADMIN`; roles granted; cUSDT and cEURT
/// registered at their prices, the clock at `BLOCK`, time `NOW`.
fn setup() -> (TestVM, PrivateMeshPool) {
    let vm = TestVM::default();
    vm.set_contract_address(MESH);
    vm.set_block_timestamp(NOW);
    let mut contract = PrivateMeshPool::from(&vm);
    mock_token(&vm, XAU);
    vm.set_sender(DEPLOYER);
    contract.constructor(ADMIN, XAU).unwrap();
    vm.set_sender(ADMIN);
    for (role, account) in
        [(STABILIZER_ROLE, STABILIZER), (LIQUIDITY_PROVIDER_ROLE, LP), (GUARDIAN_ROLE, GUARDIAN)]
    {
        contract.grant_role(role, account).unwrap();
    }
    mock_clock(&vm, BLOCK);
    for (token, oracle, price) in [(USDT, USDT_ORACLE, USD_PRICE), (EURT, EURT_ORACLE, EUR_PRICE)] {
        mock_token(&vm, token);
        mock_oracle(&vm, oracle, u(price), NOW);
        register(&mut contract, token, oracle).unwrap();
    }
    (vm, contract)
}

/// [`setup`] with both pools seeded by `LP`: 1,000,000 tokens (6
/// decimals) against 300 XAU (324 for cEURT).
fn seeded() -> (TestVM, PrivateMeshPool) {
    let (vm, mut contract) = setup();
    vm.set_sender(LP);
    for (token, xau) in [(USDT, 300 * E18), (EURT, 324 * E18)] {
        mock_pull(&vm, token, LP, u(1_000_000_000_000), yes());
        mock_pull(&vm, XAU, LP, u(xau), yes());
        contract.deposit(token, u(1_000_000_000_000), u(xau)).unwrap();
    }
    (vm, contract)
}

/// Runs a call that must be refused with exactly `expected` (as its
/// revert data) before it writes storage or emits an event.
fn refused<T: core::fmt::Debug>(vm: &TestVM, expected: &[u8], call: impl FnOnce() -> Result<T, Error>) {
    let before = vm.snapshot();
    match call() {
        Ok(value) => panic!("should have been refused, returned {value:?}"),
        Err(error) => assert_eq!(error.data(), expected, "revert data"),
    }
    let after = vm.snapshot();
    assert_eq!(before.storage, after.storage, "a refused call changed storage");
    assert_eq!(before.emitted_logs, after.emitted_logs, "a refused call emitted an event");
}

/// The last event, decoded.
fn last_event<E: SolEvent>(vm: &TestVM) -> E {
    let (topics, data) = vm.get_emitted_logs().last().cloned().expect("an event");
    E::decode_raw_log(topics, &data, true).unwrap_or_else(|e| panic!("{}: {e}", E::SIGNATURE))
}

/// The pool's PMM state as stored, with `i` the guide price given.
fn pmm_state(contract: &PrivateMeshPool, token: Address, i: U256) -> PmmState {
    let (b, q, b0, q0, r, ..) = contract.pool_state(token).unwrap();
    let r = [RState::One, RState::AboveOne, RState::BelowOne][usize::from(r)];
    PmmState { i, k: u(K), b, q, b0, q0, r }
}

fn minimums() -> Minimums {
    Minimums { token: u(MIN_TOKEN), xau: u(MIN_XAU) }
}

#[test]
fn the_constructor_grants_the_admin_and_sets_xau_once() {
    let vm = TestVM::default();
    vm.set_contract_address(MESH);
    let mut contract = PrivateMeshPool::from(&vm);
    vm.set_sender(DEPLOYER);
    assert_eq!(contract.constructor(ZERO, XAU), Err(Some(Error::new(I::ZeroAddress::SELECTOR, &[]))));
    assert_eq!(contract.constructor(ADMIN, ZERO), Err(Some(Error::new(I::ZeroAddress::SELECTOR, &[]))));
    // An XAU that does not answer `balanceOf` (not mocked: no data).
    let unsupported = I::UnsupportedToken { token: XAU }.abi_encode();
    assert_eq!(contract.constructor(ADMIN, XAU).unwrap_err().unwrap().data(), unsupported);
    mock_token(&vm, XAU);
    contract.constructor(ADMIN, XAU).unwrap();
    let granted = last_event::<I::RoleGranted>(&vm);
    assert_eq!((granted.role, granted.account, granted.sender), (ADMIN_ROLE, ADMIN, DEPLOYER));
    assert_eq!(contract.xau(), XAU);
    assert!(contract.has_role(ADMIN_ROLE, ADMIN) && !contract.has_role(ADMIN_ROLE, DEPLOYER));
    // Only once, whoever calls: no data.
    vm.set_sender(STRANGER);
    assert_eq!(contract.constructor(STRANGER, STRANGER), Err(None));
    assert!(!contract.has_role(ADMIN_ROLE, STRANGER));
}

const ZERO: Address = Address::ZERO;

/// `(k, fee, minToken, minXau, jump, gap, age, expected revert data)`.
type RangeCase = (U256, U256, U256, U256, u64, u64, u64, Vec<u8>);

#[test]
fn registering_checks_every_parameter_in_order() {
    let (vm, mut contract) = setup();
    let other = Address::repeat_byte(0x04);
    mock_token(&vm, other);
    mock_oracle(&vm, USDT_ORACLE, u(USD_PRICE), NOW);
    let [k, fee, min_b, min_q, jump, gap, age] = PARAMETER_RANGES;
    let out = |parameter: u8, value: U256, (min, max): (U256, U256)| {
        I::ParameterOutOfRange { parameter, value, min, max }.abi_encode()
    };
    vm.set_sender(STRANGER);
    let not_admin =
        I::AccessControlUnauthorizedAccount { account: STRANGER, neededRole: ADMIN_ROLE }.abi_encode();
    refused(&vm, &not_admin, || register(&mut contract, other, USDT_ORACLE));
    vm.set_sender(ADMIN);
    let zero = I::ZeroAddress {}.abi_encode();
    refused(&vm, &zero.clone(), || register(&mut contract, ZERO, USDT_ORACLE));
    refused(&vm, &zero, || register(&mut contract, other, ZERO));
    refused(&vm, &I::SameToken { token: XAU }.abi_encode(), || register(&mut contract, XAU, USDT_ORACLE));
    let max = U256::MAX;
    let cases: [RangeCase; 9] = [
        (max, u(FEE), u(MIN_TOKEN), u(MIN_XAU), 50, 200, 3_600, out(0, max, k)),
        (u(K), u(E18 / 10 + 1), u(MIN_TOKEN), u(MIN_XAU), 50, 200, 3_600, out(1, u(E18 / 10 + 1), fee)),
        (u(K), u(FEE), U256::ZERO, u(MIN_XAU), 50, 200, 3_600, out(2, U256::ZERO, min_b)),
        (u(K), u(FEE), u(MIN_TOKEN), max, 50, 200, 3_600, out(3, max, min_q)),
        (u(K), u(FEE), u(MIN_TOKEN), u(MIN_XAU), 0, 200, 3_600, out(4, U256::ZERO, jump)),
        (u(K), u(FEE), u(MIN_TOKEN), u(MIN_XAU), 50, 10_001, 3_600, out(5, u(10_001), gap)),
        (u(K), u(FEE), u(MIN_TOKEN), u(MIN_XAU), 50, 200, 0, out(6, U256::ZERO, age)),
        (u(K), u(FEE), u(MIN_TOKEN), u(MIN_XAU), 50, 200, 604_801, out(6, u(604_801), age)),
        (max, max, U256::ZERO, U256::ZERO, 0, u64::MAX, 0, out(0, max, k)),
    ];
    for (k, fee, min_b, min_q, jump, gap, age, expected) in cases {
        refused(&vm, &expected, || {
            contract.register_pool(other, USDT_ORACLE, k, fee, min_b, min_q, jump, gap, age)
        });
    }
    // A stale or a silent oracle, for a new pool.
    mock_oracle(&vm, USDT_ORACLE, u(USD_PRICE), NOW - 3_601);
    let stale = I::StaleOracle { token: other, updatedAt: U256::from(NOW - 3_601) }.abi_encode();
    refused(&vm, &stale, || register(&mut contract, other, USDT_ORACLE));
    let silent = Address::repeat_byte(0x99);
    let failed = I::OracleFailed { token: other, oracle: silent }.abi_encode();
    refused(&vm, &failed, || register(&mut contract, other, silent));
    // The bounds themselves are accepted.
    mock_oracle(&vm, USDT_ORACLE, u(USD_PRICE), NOW);
    contract
        .register_pool(other, USDT_ORACLE, k.1, fee.1, min_b.1, min_q.1, 10_000, 10_000, 604_800)
        .unwrap();
    let event = last_event::<I::PoolConfigured>(&vm);
    assert!(event.created);
    assert_eq!(
        (event.k, event.feeRate, event.minXauReserve, event.maxOracleAge),
        (k.1, fee.1, min_q.1, 604_800)
    );
    assert_eq!(contract.pool_count(), U256::from(3u8));
    assert_eq!(contract.pool_state(other).unwrap().5, u(USD_PRICE));
    // Reconfiguring: no new pool, and the silent oracle is not read.
    contract.register_pool(other, silent, k.0, fee.0, min_b.0, min_q.0, jump.0.to(), gap.0.to(), 1).unwrap();
    assert!(!last_event::<I::PoolConfigured>(&vm).created);
    assert_eq!(contract.pool_count(), U256::from(3u8));
}

#[test]
fn a_direct_swap_prices_with_the_pmm_and_stores_its_state() {
    let (vm, mut contract) = seeded();
    let amount = u(10_000_000_000); // 10,000 cUSDT
    let before = pmm_state(&contract, USDT, u(USD_PRICE));
    let expected = pmm::sell_base(&before, amount, u(FEE), U256::ZERO).unwrap();
    vm.set_sender(STABILIZER);
    mock_pull(&vm, USDT, STABILIZER, amount, yes());
    mock_pay(&vm, XAU, RECEIVER, expected.receive, yes());
    assert_eq!(contract.quote(USDT, XAU, amount), Ok(expected.receive));
    assert_eq!(contract.swap(USDT, XAU, amount, expected.receive, RECEIVER), Ok(expected.receive));
    assert_eq!(pmm_state(&contract, USDT, u(USD_PRICE)), PmmState { i: u(USD_PRICE), ..expected.new_state });
    let swapped = last_event::<I::Swap>(&vm);
    assert_eq!((swapped.tokenIn, swapped.tokenOut, swapped.to), (USDT, XAU, RECEIVER));
    assert_eq!((swapped.amountIn, swapped.amountOut), (amount, expected.receive));
    // XAU back for the token: the mirror image.
    let xau_in = u(5 * E18);
    let before = pmm_state(&contract, USDT, u(USD_PRICE));
    let expected = pmm::sell_quote(&before, xau_in, u(FEE), U256::ZERO).unwrap();
    mock_pull(&vm, XAU, STABILIZER, xau_in, yes());
    mock_pay(&vm, USDT, RECEIVER, expected.receive, yes());
    assert_eq!(contract.swap(XAU, USDT, xau_in, U256::ZERO, RECEIVER), Ok(expected.receive));
    assert_eq!(pmm_state(&contract, USDT, u(USD_PRICE)), PmmState { i: u(USD_PRICE), ..expected.new_state });
}

#[test]
fn a_triangulated_swap_is_the_two_legs_in_one_call() {
    let (vm, mut contract) = seeded();
    let amount = u(20_000_000_000);
    let first = mesh::sell(
        &pmm_state(&contract, USDT, u(USD_PRICE)),
        Direction::SellToken,
        amount,
        u(FEE),
        minimums(),
    )
    .unwrap();
    let second = mesh::sell(
        &pmm_state(&contract, EURT, u(EUR_PRICE)),
        Direction::SellXau,
        first.receive,
        u(FEE),
        minimums(),
    )
    .unwrap();
    vm.set_sender(STABILIZER);
    mock_pull(&vm, USDT, STABILIZER, amount, yes());
    mock_pay(&vm, EURT, RECEIVER, second.receive, yes());
    assert_eq!(contract.quote(USDT, EURT, amount), Ok(second.receive));
    assert_eq!(contract.swap(USDT, EURT, amount, second.receive, RECEIVER), Ok(second.receive));
    assert_eq!(contract.pool_state(USDT).unwrap().1, first.new_state.q);
    assert_eq!(contract.pool_state(EURT).unwrap().1, second.new_state.q);
    // Two legs, then the swap.
    let logs = vm.get_emitted_logs();
    let executed: Vec<I::LegExecuted> = logs[logs.len() - 3..logs.len() - 1]
        .iter()
        .map(|(t, d)| I::LegExecuted::decode_raw_log(t.clone(), d, true).unwrap())
        .collect();
    assert_eq!((executed[0].token, executed[0].amountOut), (USDT, first.receive));
    assert_eq!(
        (executed[1].token, executed[1].amountIn, executed[1].amountOut),
        (EURT, first.receive, second.receive)
    );
}

#[test]
fn the_price_ramps_from_one_observation_to_the_next_block() {
    let (vm, mut contract) = seeded();
    let jumped = u(USD_PRICE) * U256::from(10_150u32) / U256::from(10_000u32);
    mock_oracle(&vm, USDT_ORACLE, jumped, NOW);
    // Observed in its block: the price does not move.
    assert_eq!(contract.poke(USDT), Ok(u(USD_PRICE)));
    let observed = last_event::<I::PriceObserved>(&vm);
    assert_eq!((observed.price, observed.oraclePrice, observed.l2Block), (u(USD_PRICE), jumped, BLOCK));
    assert_eq!(contract.poke(USDT), Ok(u(USD_PRICE)), "still the same block");
    // One block later: 50 bps of the price; three blocks: the target.
    mock_clock(&vm, BLOCK + 1);
    assert_eq!(contract.poke(USDT), Ok(mesh::ramp(u(USD_PRICE), jumped, 1, 50).unwrap()));
    mock_clock(&vm, BLOCK + 4);
    assert_eq!(contract.poke(USDT), Ok(jumped));
    let (.., price, observed, block) = contract.pool_state(USDT).unwrap();
    assert_eq!((price, observed, block), (jumped, jumped, BLOCK + 4));
}

#[test]
fn liquidity_moves_recentre_and_respect_the_minimums() {
    let (vm, mut contract) = seeded();
    vm.set_sender(LP);
    let (b, q, ..) = contract.pool_state(USDT).unwrap();
    mock_pay(&vm, USDT, RECEIVER, b - u(MIN_TOKEN), yes());
    contract.withdraw(USDT, b - u(MIN_TOKEN), U256::ZERO, RECEIVER).unwrap();
    let event = last_event::<I::LiquidityWithdrawn>(&vm);
    assert_eq!((event.to, event.tokenReserve, event.xauReserve), (RECEIVER, u(MIN_TOKEN), q));
    assert_eq!(contract.pool_state(USDT).unwrap().0, u(MIN_TOKEN));
    let below = I::ReserveBelowMinimum { token: USDT, asset: USDT, minimum: u(MIN_TOKEN) }.abi_encode();
    refused(&vm, &below, || contract.withdraw(USDT, u(1), U256::ZERO, RECEIVER));
    let below = I::ReserveBelowMinimum { token: USDT, asset: XAU, minimum: u(MIN_XAU) }.abi_encode();
    refused(&vm, &below, || contract.withdraw(USDT, U256::ZERO, q, RECEIVER));
    refused(&vm, &I::ZeroAmount {}.abi_encode(), || contract.deposit(USDT, U256::ZERO, U256::ZERO));
    refused(&vm, &I::ZeroAddress {}.abi_encode(), || contract.withdraw(USDT, u(1), U256::ZERO, ZERO));
    let unknown = Address::repeat_byte(0x42);
    refused(&vm, &I::UnknownToken { token: unknown }.abi_encode(), || contract.deposit(unknown, u(1), u(1)));
    vm.set_sender(STABILIZER);
    let not_lp =
        I::AccessControlUnauthorizedAccount { account: STABILIZER, neededRole: LIQUIDITY_PROVIDER_ROLE };
    refused(&vm, &not_lp.abi_encode(), || contract.deposit(USDT, u(1), u(1)));
}

#[test]
fn swap_checks_come_in_their_documented_order() {
    let (vm, mut contract) = seeded();
    let unknown = Address::repeat_byte(0x42);
    vm.set_sender(LP);
    let not_stabilizer = I::AccessControlUnauthorizedAccount { account: LP, neededRole: STABILIZER_ROLE };
    refused(&vm, &not_stabilizer.abi_encode(), || contract.swap(USDT, USDT, U256::ZERO, U256::ZERO, ZERO));
    vm.set_sender(GUARDIAN);
    contract.pause().unwrap();
    vm.set_sender(STABILIZER);
    refused(&vm, &I::EnforcedPause {}.abi_encode(), || {
        contract.swap(USDT, USDT, U256::ZERO, U256::ZERO, ZERO)
    });
    vm.set_sender(ADMIN);
    contract.unpause().unwrap();
    vm.set_sender(STABILIZER);
    let same = I::SameToken { token: USDT }.abi_encode();
    refused(&vm, &same, || contract.swap(USDT, USDT, U256::ZERO, U256::ZERO, ZERO));
    refused(&vm, &I::ZeroAmount {}.abi_encode(), || {
        contract.swap(unknown, XAU, U256::ZERO, U256::ZERO, ZERO)
    });
    refused(&vm, &I::UnknownToken { token: unknown }.abi_encode(), || {
        contract.swap(unknown, ZERO, u(1), u(1), ZERO)
    });
    refused(&vm, &I::ZeroAddress {}.abi_encode(), || contract.swap(USDT, XAU, u(1), U256::ZERO, ZERO));
    // The pull is the first external write; a `false` answer is a named refusal.
    mock_pull(&vm, USDT, STABILIZER, u(7), Ok(false.abi_encode()));
    refused(&vm, &I::TransferFailed { token: USDT }.abi_encode(), || {
        contract.swap(USDT, XAU, u(7), U256::ZERO, RECEIVER)
    });
    mock_pull(&vm, USDT, STABILIZER, u(7), Err(b"no".to_vec()));
    refused(&vm, &I::TransferFailed { token: USDT }.abi_encode(), || {
        contract.swap(USDT, XAU, u(7), U256::ZERO, RECEIVER)
    });
}

#[test]
fn the_dispatcher_decodes_and_encodes_like_the_abi() {
    let (vm, mut contract) = seeded();
    vm.set_sender(STRANGER);
    // Views: exact return encodings.
    let state = contract.route_call(&I::poolStateCall { token: USDT }.abi_encode()).unwrap();
    let decoded = I::poolStateCall::abi_decode_returns(&state, true).unwrap();
    let (b, q, b0, q0, r, price, observed, block) = contract.pool_state(USDT).unwrap();
    assert_eq!(
        (decoded.tokenReserve, decoded.xauReserve, decoded.tokenTarget, decoded.xauTarget, decoded.rState),
        (b, q, b0, q0, r)
    );
    assert_eq!((decoded.price, decoded.observedPrice, decoded.observedBlock), (price, observed, block));
    assert_eq!(state.len(), 8 * 32);
    let xau = contract.route_call(&I::xauCall {}.abi_encode()).unwrap();
    assert_eq!(xau, XAU.abi_encode());
    let count = contract.route_call(&I::poolCountCall {}.abi_encode()).unwrap();
    assert_eq!(count, U256::from(2u8).abi_encode());
    let has = I::hasRoleCall { role: GUARDIAN_ROLE, account: GUARDIAN }.abi_encode();
    assert_eq!(contract.route_call(&has).unwrap(), true.abi_encode());
    let quote = I::quoteCall { tokenIn: USDT, tokenOut: XAU, amountIn: u(1_000_000) }.abi_encode();
    let quoted = contract.quote(USDT, XAU, u(1_000_000)).unwrap();
    assert_eq!(contract.route_call(&quote).unwrap(), quoted.abi_encode());
    // Refusals: the error's ABI encoding.
    let unknown = Address::repeat_byte(0x42);
    let refusal = contract.route_call(&I::poolStateCall { token: unknown }.abi_encode()).unwrap_err();
    assert_eq!(refusal, I::UnknownToken { token: unknown }.abi_encode());
    let grant = I::grantRoleCall { role: STABILIZER_ROLE, account: STRANGER }.abi_encode();
    let refusal = contract.route_call(&grant).unwrap_err();
    assert_eq!(
        refusal,
        I::AccessControlUnauthorizedAccount { account: STRANGER, neededRole: ADMIN_ROLE }.abi_encode()
    );
    // Malformed calldata reverts with no data: short, an address above 160
    // bits, a uint64 above 2^64, an unknown selector, no selector.
    let mut dirty = I::poolStateCall { token: USDT }.abi_encode();
    dirty[4] = 1;
    let mut wide = I::registerPoolCall {
        token: USDT,
        oracle: USDT_ORACLE,
        k: u(K),
        feeRate: u(FEE),
        minTokenReserve: u(1),
        minXauReserve: u(1),
        maxJumpBps: 1,
        maxGapBps: 1,
        maxOracleAge: 1,
    }
    .abi_encode();
    wide[4 + 32 * 8 + 23] = 1;
    for calldata in [&quote[..30], &dirty[..], &wide[..], &[1, 2, 3, 4][..], &[1, 2][..], &[][..]] {
        assert_eq!(contract.route_call(calldata), Err(Vec::new()), "{calldata:?}");
    }
}

#[test]
fn roles_and_pause_follow_open_zeppelin() {
    let (vm, mut contract) = setup();
    vm.set_sender(ADMIN);
    let not_guardian = I::AccessControlUnauthorizedAccount { account: ADMIN, neededRole: GUARDIAN_ROLE };
    refused(&vm, &not_guardian.abi_encode(), || contract.pause());
    refused(&vm, &I::ExpectedPause {}.abi_encode(), || contract.unpause());
    vm.set_sender(GUARDIAN);
    contract.pause().unwrap();
    assert_eq!(last_event::<I::Paused>(&vm).account, GUARDIAN);
    assert!(contract.paused());
    refused(&vm, &I::EnforcedPause {}.abi_encode(), || contract.pause());
    let not_admin = I::AccessControlUnauthorizedAccount { account: GUARDIAN, neededRole: ADMIN_ROLE };
    refused(&vm, &not_admin.abi_encode(), || contract.unpause());
    vm.set_sender(ADMIN);
    contract.unpause().unwrap();
    assert_eq!(last_event::<I::Unpaused>(&vm).account, ADMIN);
    // Revoke, renounce; events only on a change.
    let logs = vm.get_emitted_logs().len();
    contract.grant_role(GUARDIAN_ROLE, GUARDIAN).unwrap();
    assert_eq!(vm.get_emitted_logs().len(), logs, "already held: no event");
    contract.revoke_role(GUARDIAN_ROLE, GUARDIAN).unwrap();
    let revoked = last_event::<I::RoleRevoked>(&vm);
    assert_eq!((revoked.role, revoked.account, revoked.sender), (GUARDIAN_ROLE, GUARDIAN, ADMIN));
    vm.set_sender(LP);
    refused(&vm, &I::AccessControlBadConfirmation {}.abi_encode(), || {
        contract.renounce_role(LIQUIDITY_PROVIDER_ROLE, ADMIN)
    });
    contract.renounce_role(LIQUIDITY_PROVIDER_ROLE, LP).unwrap();
    assert!(!contract.has_role(LIQUIDITY_PROVIDER_ROLE, LP));
    assert_eq!(STABILIZER_ROLE, keccak256("STABILIZER_ROLE"));
    assert_eq!(LIQUIDITY_PROVIDER_ROLE, keccak256("LIQUIDITY_PROVIDER_ROLE"));
    assert_eq!(GUARDIAN_ROLE, keccak256("GUARDIAN_ROLE"));
    assert_eq!(ADMIN_ROLE, B256::ZERO);
}
