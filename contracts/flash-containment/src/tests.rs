//! Native unit tests of the `FlashContainment`, run against stylus-sdk's
//! `TestVM`.
//!
//! Every call goes through the `#[public]` inherent methods, as a
//! transaction would. The L2 clock (`ArbSys.arbBlockNumber`), the pool's
//! `getMidPrice` and the oracle's `latestPrice` are mocked static calls
//! (stylus-test 0.9 keys mocks by target and calldata). `TestVM` does not
//! roll back a refused call, so every refusal is checked with [`refused`]:
//! the call must fail **before** it writes storage or emits an event. The
//! compiled wasm is tested end to end in `crates/chain/tests`.

use alloy_primitives::{keccak256, Address, B256, I256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue};
use stylus_sdk::testing::TestVM;
use vault_access::{
    AccessControlBadConfirmation, AccessControlUnauthorizedAccount, EnforcedPause, ExpectedPause, Paused,
    RoleGranted, RoleRevoked, Unpaused, ADMIN_ROLE,
};
use vault_bindings::{ArbSys, IDODOPool, IPriceOracle, ARB_SYS};

use crate::{
    ArithmeticOverflow, ClockUnavailable, DeviationSustained, Error, FlashContainment, InsufficientHistory,
    Observed, OracleCallFailed, ParameterOutOfRange, PoolAlreadyRegistered, PoolCallFailed, PoolRegistered,
    PoolStatus, SpikeIgnored, StaleOracle, UnknownPool, VolumeCapExceeded, VolumeConsumed, ZeroAddress,
    ZeroAmount, ZeroOraclePrice, DECIMALS_RANGE, GUARDIAN_ROLE, MAX_ORACLE_AGE_RANGE, MAX_PER_BLOCK_CAP,
    RING_CAPACITY, STABILIZER_ROLE, SUSTAIN_BLOCKS_RANGE, THRESHOLD_BPS_RANGE, TWAP_WINDOW_RANGE,
};

const DEPLOYER: Address = Address::repeat_byte(0xD0);
const ADMIN: Address = Address::repeat_byte(0xAD);
const STABILIZER: Address = Address::repeat_byte(0x57);
const GUARDIAN: Address = Address::repeat_byte(0x6A);
const STRANGER: Address = Address::repeat_byte(0x55);
const POOL: Address = Address::repeat_byte(0x90);
const ORACLE: Address = Address::repeat_byte(0x0C);
const OTHER_POOL: Address = Address::repeat_byte(0x91);

/// θ = 50 bps, N = 3 blocks, W = 4 blocks, 1 hour oracle age, cap 1,000.
const THRESHOLD: u64 = 50;
const SUSTAIN: u64 = 3;
const WINDOW: u64 = 4;
const MAX_AGE: u64 = 3_600;
const CAP: u64 = 1_000;
/// A block time; the oracle is stamped with it unless a test says otherwise.
const NOW: u64 = 1_700_000_000;
/// First L2 block of the tests.
const START: u64 = 100;

/// An emitted log: `(topics, data)`, as `TestVM` keeps it.
type Log = (Vec<B256>, Vec<u8>);

fn u(value: u64) -> U256 {
    U256::from(value)
}

/// `1e18`: one whole token in 18-decimal fixed point.
fn one() -> U256 {
    u(10).pow(u(18))
}

/// A mid price `bps` away from `one()` (18/18 decimals), exactly.
fn price_at(bps: i64) -> U256 {
    let factor = u((10_000 + bps).unsigned_abs());
    one() * factor / u(10_000)
}

/// The log `event` encodes to.
fn log_of<E: SolEvent>(event: &E) -> Log {
    let data = event.encode_log_data();
    (data.topics().to_vec(), data.data.to_vec())
}

fn as_caller(vm: &TestVM, account: Address) {
    vm.set_sender(account);
}

/// Sets the L2 block `ArbSys.arbBlockNumber()` answers.
fn at_block(vm: &TestVM, block: u64) {
    vm.mock_static_call(ARB_SYS, ArbSys::arbBlockNumberCall {}.abi_encode(), Ok(u(block).abi_encode()));
}

fn mock_mid(vm: &TestVM, pool: Address, mid: U256) {
    vm.mock_static_call(pool, IDODOPool::getMidPriceCall {}.abi_encode(), Ok(mid.abi_encode()));
}

fn mock_oracle(vm: &TestVM, price: U256, updated_at: u64) {
    let answer = (price, u(updated_at)).abi_encode_params();
    vm.mock_static_call(ORACLE, IPriceOracle::latestPriceCall {}.abi_encode(), Ok(answer));
}

/// The pool `bps` off an oracle at 1.0, stamped now.
fn deviate(vm: &TestVM, bps: i64) {
    mock_mid(vm, POOL, price_at(bps));
    mock_oracle(vm, one(), NOW);
}

/// Runs a call that must be refused: returns its error after checking that
/// it changed no storage and emitted no event.
fn refused<T: core::fmt::Debug>(vm: &TestVM, call: impl FnOnce() -> Result<T, Error>) -> Error {
    let before = vm.snapshot();
    let error = match call() {
        Ok(value) => panic!("call should have been refused, returned {value:?}"),
        Err(error) => error,
    };
    let after = vm.snapshot();
    assert_eq!(before.storage, after.storage, "a refused call ({error:?}) changed storage");
    assert_eq!(before.emitted_logs, after.emitted_logs, "a refused call ({error:?}) emitted an event");
    error
}

/// Runs a call that must succeed and emit exactly `expected`; returns its value.
fn succeeds<T>(vm: &TestVM, expected: &[Log], call: impl FnOnce() -> Result<T, Error>) -> T {
    let before = vm.get_emitted_logs().len();
    let value = call().unwrap_or_else(|error| panic!("call refused: {error:?}"));
    assert_eq!(vm.get_emitted_logs()[before..], *expected, "unexpected events");
    value
}

/// Asserts that an [`Error`] is `Error::$variant` wrapping exactly `$expected`.
macro_rules! assert_err {
    ($error:expr, $variant:ident($expected:expr)) => {
        match $error {
            Error::$variant(inner) => assert_eq!(inner, $expected),
            other => panic!("expected Error::{}, got {other:?}", stringify!($variant)),
        }
    };
}

fn unauthorized(account: Address, role: B256) -> AccessControlUnauthorizedAccount {
    AccessControlUnauthorizedAccount { account, neededRole: role }
}

/// Deployed by `DEPLOYER` with `ADMIN` as admin; `STABILIZER` and `GUARDIAN`
/// hold their roles; the sender is `ADMIN`, the time `NOW`, the L2 block
/// `START`; no mock but the clock, no log kept.
fn setup() -> (TestVM, FlashContainment) {
    let vm = TestVM::default();
    let mut contract = FlashContainment::from(&vm);
    as_caller(&vm, DEPLOYER);
    contract.constructor(ADMIN).unwrap();
    as_caller(&vm, ADMIN);
    contract.grant_role(STABILIZER_ROLE, STABILIZER).unwrap();
    contract.grant_role(GUARDIAN_ROLE, GUARDIAN).unwrap();
    vm.set_block_timestamp(NOW);
    vm.clear_mocks();
    at_block(&vm, START);
    (vm, contract)
}

/// [`setup`] with `POOL` registered (18/18 decimals and the default
/// parameters) and the pool at the oracle price.
fn setup_with_pool() -> (TestVM, FlashContainment) {
    let (vm, mut contract) = setup();
    register(&mut contract, POOL, [18, 18, THRESHOLD, SUSTAIN, WINDOW, MAX_AGE], u(CAP)).unwrap();
    vm.clear_mocks();
    at_block(&vm, START);
    deviate(&vm, 0);
    (vm, contract)
}

/// `registerPool(pool, ORACLE, params…, cap)` as the current caller.
fn register(contract: &mut FlashContainment, pool: Address, p: [u64; 6], cap: U256) -> Result<(), Error> {
    contract.register_pool(pool, ORACLE, p[0], p[1], p[2], p[3], p[4], p[5], cap)
}

/// Pokes `POOL` in block `block` with the pool `bps` off; returns whether it recorded.
fn poke_at(vm: &TestVM, contract: &mut FlashContainment, block: u64, bps: i64) -> bool {
    at_block(vm, block);
    deviate(vm, bps);
    as_caller(vm, STRANGER);
    contract.poke(POOL).unwrap()
}

fn observed(block: u64, bps: i32, sign: i8, streak: u64) -> Observed {
    Observed {
        pool: POOL,
        blockNumber: block,
        deviationBps: bps,
        sign,
        streak,
        midPrice: price_at(bps.into()),
        oraclePrice: one(),
    }
}

fn status(contract: &FlashContainment) -> PoolStatus {
    contract.pool_status(POOL).unwrap()
}

// ---------------------------------------------------------------- constructor

#[test]
fn constructor_grants_admin_role_to_admin_not_deployer() {
    let vm = TestVM::default();
    let mut contract = FlashContainment::from(&vm);
    as_caller(&vm, DEPLOYER);
    let granted = RoleGranted { role: ADMIN_ROLE, account: ADMIN, sender: DEPLOYER };
    succeeds(&vm, &[log_of(&granted)], || contract.constructor(ADMIN));
    assert!(contract.has_role(ADMIN_ROLE, ADMIN));
    assert!(!contract.has_role(ADMIN_ROLE, DEPLOYER));
    assert!(!contract.paused());
    let error = refused(&vm, || contract.grant_role(STABILIZER_ROLE, DEPLOYER));
    assert_err!(error, Unauthorized(unauthorized(DEPLOYER, ADMIN_ROLE)));
}

#[test]
fn constructor_rejects_zero_admin() {
    let vm = TestVM::default();
    let mut contract = FlashContainment::from(&vm);
    assert_err!(refused(&vm, || contract.constructor(Address::ZERO)), ZeroAddress(ZeroAddress {}));
    assert!(vm.snapshot().storage.is_empty());
}

#[test]
fn role_identifiers_are_keccak_of_their_names() {
    let (_vm, contract) = setup();
    assert_eq!(STABILIZER_ROLE, keccak256(b"STABILIZER_ROLE"));
    assert_eq!(GUARDIAN_ROLE, keccak256(b"GUARDIAN_ROLE"));
    assert_eq!(contract.stabilizer_role(), STABILIZER_ROLE);
    assert_eq!(contract.guardian_role(), GUARDIAN_ROLE);
}

// ---------------------------------------------------------- errors and events

/// The shared word encoder writes exactly what alloy's `abi_encode` writes,
/// for every error of the contract.
#[test]
fn revert_data_of_every_error_matches_alloy() {
    let big = U256::MAX - u(7);
    let cases: Vec<(Error, Vec<u8>)> = vec![
        (
            Error::Unauthorized(unauthorized(STRANGER, STABILIZER_ROLE)),
            unauthorized(STRANGER, STABILIZER_ROLE).abi_encode(),
        ),
        (
            Error::BadConfirmation(AccessControlBadConfirmation {}),
            AccessControlBadConfirmation {}.abi_encode(),
        ),
        (Error::Paused(EnforcedPause {}), EnforcedPause {}.abi_encode()),
        (Error::NotPaused(ExpectedPause {}), ExpectedPause {}.abi_encode()),
        (Error::ZeroAddress(ZeroAddress {}), ZeroAddress {}.abi_encode()),
        (Error::UnknownPool(UnknownPool { pool: POOL }), UnknownPool { pool: POOL }.abi_encode()),
        (
            Error::AlreadyRegistered(PoolAlreadyRegistered { pool: POOL }),
            PoolAlreadyRegistered { pool: POOL }.abi_encode(),
        ),
        (
            Error::OutOfRange(ParameterOutOfRange {
                parameter: 6,
                value: big,
                min: u(1),
                max: MAX_PER_BLOCK_CAP,
            }),
            ParameterOutOfRange { parameter: 6, value: big, min: u(1), max: MAX_PER_BLOCK_CAP }.abi_encode(),
        ),
        (Error::ZeroAmount(ZeroAmount {}), ZeroAmount {}.abi_encode()),
        (
            Error::CapExceeded(VolumeCapExceeded { pool: POOL, amount: big, remaining: u(3) }),
            VolumeCapExceeded { pool: POOL, amount: big, remaining: u(3) }.abi_encode(),
        ),
        (
            Error::InsufficientHistory(InsufficientHistory { pool: POOL }),
            InsufficientHistory { pool: POOL }.abi_encode(),
        ),
        (Error::PoolCallFailed(PoolCallFailed { pool: POOL }), PoolCallFailed { pool: POOL }.abi_encode()),
        (
            Error::OracleCallFailed(OracleCallFailed { oracle: ORACLE }),
            OracleCallFailed { oracle: ORACLE }.abi_encode(),
        ),
        (
            Error::ZeroOraclePrice(ZeroOraclePrice { oracle: ORACLE }),
            ZeroOraclePrice { oracle: ORACLE }.abi_encode(),
        ),
        (
            Error::StaleOracle(StaleOracle { oracle: ORACLE, updatedAt: big, maxAge: u64::MAX }),
            StaleOracle { oracle: ORACLE, updatedAt: big, maxAge: u64::MAX }.abi_encode(),
        ),
        (Error::ClockUnavailable(ClockUnavailable {}), ClockUnavailable {}.abi_encode()),
        (Error::Overflow(ArithmeticOverflow {}), ArithmeticOverflow {}.abi_encode()),
    ];
    for (error, expected) in cases {
        assert_eq!(error.revert_data(), expected, "{error:?}");
        assert_eq!(Vec::<u8>::from(error), expected);
    }
}

// ----------------------------------------------------------------- registerPool

#[test]
fn register_pool_stores_parameters_and_emits_event() {
    let (vm, mut contract) = setup();
    let registered = PoolRegistered {
        pool: POOL,
        oracle: ORACLE,
        baseDecimals: 18,
        quoteDecimals: 6,
        thresholdBps: 25,
        sustainBlocks: 4,
        twapWindow: 30,
        maxOracleAge: 900,
        perBlockCap: MAX_PER_BLOCK_CAP,
    };
    succeeds(&vm, &[log_of(&registered)], || {
        register(&mut contract, POOL, [18, 6, 25, 4, 30, 900], MAX_PER_BLOCK_CAP)
    });
    assert_eq!(contract.pool_config(POOL).unwrap(), (ORACLE, 18, 6, 25, 4, 30, 900, MAX_PER_BLOCK_CAP));
    assert_eq!(contract.remaining_volume(POOL).unwrap(), MAX_PER_BLOCK_CAP);
    // The extremes of every range are accepted.
    let low = [DECIMALS_RANGE.0, DECIMALS_RANGE.0, THRESHOLD_BPS_RANGE.0, SUSTAIN_BLOCKS_RANGE.0];
    let low = [low[0], low[1], low[2], low[3], TWAP_WINDOW_RANGE.0, MAX_ORACLE_AGE_RANGE.0];
    register(&mut contract, OTHER_POOL, low, u(1)).unwrap();
    assert_eq!(contract.pool_config(OTHER_POOL).unwrap(), (ORACLE, 0, 0, 1, 2, 2, 1, u(1)));
    let high = [DECIMALS_RANGE.1, DECIMALS_RANGE.1, THRESHOLD_BPS_RANGE.1, SUSTAIN_BLOCKS_RANGE.1];
    let high = [high[0], high[1], high[2], high[3], TWAP_WINDOW_RANGE.1, MAX_ORACLE_AGE_RANGE.1];
    let third = Address::repeat_byte(0x92);
    register(&mut contract, third, high, MAX_PER_BLOCK_CAP).unwrap();
    assert_eq!(
        contract.pool_config(third).unwrap(),
        (ORACLE, 36, 36, 5_000, 10_000, RING_CAPACITY as u64, 86_400, MAX_PER_BLOCK_CAP)
    );
}

#[test]
fn register_pool_refuses_each_bad_input() {
    let (vm, mut contract) = setup();
    register(&mut contract, POOL, [18, 18, THRESHOLD, SUSTAIN, WINDOW, MAX_AGE], u(CAP)).unwrap();
    let good = [18, 18, THRESHOLD, SUSTAIN, WINDOW, MAX_AGE];
    for caller in [STRANGER, STABILIZER, GUARDIAN, DEPLOYER] {
        as_caller(&vm, caller);
        let error = refused(&vm, || register(&mut contract, OTHER_POOL, good, u(CAP)));
        assert_err!(error, Unauthorized(unauthorized(caller, ADMIN_ROLE)));
    }
    as_caller(&vm, ADMIN);
    let error = refused(&vm, || register(&mut contract, Address::ZERO, good, u(CAP)));
    assert_err!(error, ZeroAddress(ZeroAddress {}));
    let error =
        refused(&vm, || contract.register_pool(OTHER_POOL, Address::ZERO, 18, 18, 50, 3, 4, 60, u(CAP)));
    assert_err!(error, ZeroAddress(ZeroAddress {}));
    let error = refused(&vm, || register(&mut contract, POOL, good, u(CAP)));
    assert_err!(error, AlreadyRegistered(PoolAlreadyRegistered { pool: POOL }));
    let ranges = [
        DECIMALS_RANGE,
        DECIMALS_RANGE,
        THRESHOLD_BPS_RANGE,
        SUSTAIN_BLOCKS_RANGE,
        TWAP_WINDOW_RANGE,
        MAX_ORACLE_AGE_RANGE,
    ];
    for (index, (min, max)) in ranges.into_iter().enumerate() {
        let mut bad = vec![max + 1, u64::MAX];
        if min > 0 {
            bad.push(min - 1);
        }
        for value in bad {
            let mut params = good;
            params[index] = value;
            let error = refused(&vm, || register(&mut contract, OTHER_POOL, params, u(CAP)));
            let parameter = u8::try_from(index).unwrap();
            let expected = ParameterOutOfRange { parameter, value: u(value), min: u(min), max: u(max) };
            assert_err!(error, OutOfRange(expected));
        }
    }
    for cap in [U256::ZERO, MAX_PER_BLOCK_CAP + u(1), U256::MAX] {
        let error = refused(&vm, || register(&mut contract, OTHER_POOL, good, cap));
        let expected = ParameterOutOfRange { parameter: 6, value: cap, min: u(1), max: MAX_PER_BLOCK_CAP };
        assert_err!(error, OutOfRange(expected));
    }
    // The first bad parameter in argument order is the one reported.
    let error = refused(&vm, || register(&mut contract, OTHER_POOL, [37, 99, 0, 1, 1, 0], U256::ZERO));
    assert_err!(error, OutOfRange(ParameterOutOfRange { parameter: 0, value: u(37), min: u(0), max: u(36) }));
}

#[test]
fn every_view_refuses_an_unknown_pool() {
    let (vm, mut contract) = setup_with_pool();
    let expected = UnknownPool { pool: OTHER_POOL };
    assert_err!(refused(&vm, || contract.poke(OTHER_POOL)), UnknownPool(expected.clone()));
    assert_err!(refused(&vm, || contract.twap_deviation(OTHER_POOL)), UnknownPool(expected.clone()));
    assert_err!(refused(&vm, || contract.sustained(OTHER_POOL)), UnknownPool(expected.clone()));
    assert_err!(refused(&vm, || contract.remaining_volume(OTHER_POOL)), UnknownPool(expected.clone()));
    assert_err!(refused(&vm, || contract.check_deviation(OTHER_POOL)), UnknownPool(expected.clone()));
    assert_err!(refused(&vm, || contract.pool_status(OTHER_POOL)), UnknownPool(expected.clone()));
    assert_err!(refused(&vm, || contract.pool_config(OTHER_POOL)), UnknownPool(expected.clone()));
    as_caller(&vm, STABILIZER);
    assert_err!(refused(&vm, || contract.consume_volume(OTHER_POOL, u(1))), UnknownPool(expected));
}

// ------------------------------------------------------------------------ poke

#[test]
fn first_poke_of_a_block_records_and_repeats_change_nothing() {
    let (vm, mut contract) = setup_with_pool();
    deviate(&vm, 20);
    as_caller(&vm, STRANGER);
    let recorded = succeeds(&vm, &[log_of(&observed(START, 20, 0, 0))], || contract.poke(POOL));
    assert!(recorded);
    // Later pokes in the block, whatever the price (a flash loan after the
    // first poke, say), are ignored: no state change, no event.
    for bps in [20, 900, -900] {
        deviate(&vm, bps);
        let before = vm.snapshot();
        assert!(!succeeds(&vm, &[], || contract.poke(POOL)));
        assert_eq!(vm.snapshot().storage, before.storage);
    }
    // Even a repeat that could not read the pool is ignored (nothing is read).
    vm.mock_static_call(POOL, IDODOPool::getMidPriceCall {}.abi_encode(), Err(b"no".to_vec()));
    assert!(!succeeds(&vm, &[], || contract.poke(POOL)));
    let s = status(&contract);
    assert_eq!((s.observations, s.lastBlock, s.lastDeviationBps), (1, START, 20));
}

#[test]
fn a_single_block_spike_is_recorded_ignored_and_never_sustained() {
    let (vm, mut contract) = setup_with_pool();
    as_caller(&vm, STRANGER);
    poke_at(&vm, &mut contract, START, 0);
    // Block START + 1: the first poke sees a 900 bps flash-loan move.
    at_block(&vm, START + 1);
    deviate(&vm, 900);
    let spike = SpikeIgnored { pool: POOL, blockNumber: START + 1, deviationBps: 900, streak: 1 };
    succeeds(&vm, &[log_of(&observed(START + 1, 900, 1, 1)), log_of(&spike)], || contract.poke(POOL));
    assert_eq!(contract.sustained(POOL).unwrap(), (false, 1, 1));
    // The pool is back at the oracle price in the next block.
    assert!(poke_at(&vm, &mut contract, START + 2, 0));
    assert_eq!(contract.sustained(POOL).unwrap(), (false, 0, 0));
    for block in START + 3..START + 10 {
        poke_at(&vm, &mut contract, block, 0);
        assert!(!contract.check_deviation(POOL).unwrap().1);
    }
}

#[test]
fn a_deviation_held_for_n_blocks_is_sustained_at_the_nth() {
    let (vm, mut contract) = setup_with_pool();
    // N − 1 = 2 blocks past θ, then back in band: never sustained.
    poke_at(&vm, &mut contract, START, -60);
    poke_at(&vm, &mut contract, START + 1, -70);
    assert_eq!(contract.sustained(POOL).unwrap(), (false, -1, 2));
    poke_at(&vm, &mut contract, START + 2, -50);
    assert_eq!(contract.sustained(POOL).unwrap(), (false, 0, 0), "|dev| = θ is not past θ");
    // A real deviation from START + 3: sustained exactly at START + 5.
    poke_at(&vm, &mut contract, START + 3, 80);
    poke_at(&vm, &mut contract, START + 4, 80);
    assert!(!contract.sustained(POOL).unwrap().0);
    at_block(&vm, START + 5);
    deviate(&vm, 80);
    let sustained = DeviationSustained { pool: POOL, blockNumber: START + 5, sign: 1, streak: SUSTAIN };
    succeeds(&vm, &[log_of(&observed(START + 5, 80, 1, 3)), log_of(&sustained)], || contract.poke(POOL));
    assert_eq!(contract.sustained(POOL).unwrap(), (true, 1, 3));
    // TWAP over blocks START+2..=START+5: (−50 + 80 × 3) / 4 = 47 ≤ θ: the
    // window still holds the earlier blocks, so no trigger yet.
    assert_eq!(contract.check_deviation(POOL).unwrap(), (I256::try_from(47).unwrap(), false));
    poke_at(&vm, &mut contract, START + 6, 80);
    // (80 × 4) / 4 = 80 > θ with the streak's sign.
    assert_eq!(contract.check_deviation(POOL).unwrap(), (I256::try_from(80).unwrap(), true));
    // A sign flip restarts the streak.
    poke_at(&vm, &mut contract, START + 7, -80);
    assert_eq!(contract.sustained(POOL).unwrap(), (false, -1, 1));
}

#[test]
fn missing_pokes_end_the_streak_and_are_filled_conservatively() {
    let (vm, mut contract) = setup_with_pool();
    for block in START..START + 3 {
        poke_at(&vm, &mut contract, block, 100);
    }
    assert_eq!(contract.sustained(POOL).unwrap(), (true, 1, 3));
    // The next block is not observed yet: the streak is still live.
    at_block(&vm, START + 3);
    assert_eq!(contract.sustained(POOL).unwrap(), (true, 1, 3));
    assert!(contract.check_deviation(POOL).unwrap().1);
    // A whole block without an observation: the streak lapses.
    at_block(&vm, START + 4);
    assert_eq!(contract.sustained(POOL).unwrap(), (false, 0, 0));
    assert!(!contract.check_deviation(POOL).unwrap().1);
    // The next observation restarts it at 1; blocks START+3 and START+4 count
    // gap_fill(100, 60) = 60 in the TWAP.
    poke_at(&vm, &mut contract, START + 5, 60);
    assert_eq!(contract.sustained(POOL).unwrap(), (false, 1, 1));
    // Window START+2..=START+5: 100 + 60 + 60 + 60 = 280 → 70.
    assert_eq!(contract.twap_deviation(POOL).unwrap(), I256::try_from(70).unwrap());
}

#[test]
fn twap_needs_history_covering_the_window() {
    let (vm, mut contract) = setup_with_pool();
    let expected = InsufficientHistory { pool: POOL };
    assert_err!(refused(&vm, || contract.twap_deviation(POOL)), InsufficientHistory(expected.clone()));
    assert_err!(refused(&vm, || contract.check_deviation(POOL)), InsufficientHistory(expected.clone()));
    assert!(!status(&contract).twapAvailable);
    poke_at(&vm, &mut contract, START, 30);
    // W = 4: blocks START − 3 … START were not all observed.
    assert_err!(refused(&vm, || contract.twap_deviation(POOL)), InsufficientHistory(expected));
    at_block(&vm, START + 3);
    assert_eq!(contract.twap_deviation(POOL).unwrap(), I256::try_from(30).unwrap());
    let s = status(&contract);
    assert_eq!((s.twapAvailable, s.twapDeviationBps), (true, 30));
}

#[test]
fn poke_maps_token_decimals() {
    let (vm, mut contract) = setup();
    let quote6 = Address::repeat_byte(0xA6);
    let base6 = Address::repeat_byte(0xB6);
    register(&mut contract, quote6, [18, 6, 50, 3, 4, 60], u(CAP)).unwrap();
    register(&mut contract, base6, [6, 18, 50, 3, 4, 60], u(CAP)).unwrap();
    mock_oracle(&vm, one() * u(2), NOW);
    as_caller(&vm, STRANGER);
    // Base 18, quote 6: 2 whole quote per base is mid = 2e6; +0.25% → 2.005e6.
    mock_mid(&vm, quote6, u(2_005_000));
    contract.poke(quote6).unwrap();
    assert_eq!(contract.pool_status(quote6).unwrap().lastDeviationBps, 25);
    // Base 6, quote 18: 2 whole quote per base is mid = 2e30; −1 bps.
    mock_mid(&vm, base6, u(2) * u(10).pow(u(30)) - u(2) * u(10).pow(u(26)));
    contract.poke(base6).unwrap();
    assert_eq!(contract.pool_status(base6).unwrap().lastDeviationBps, -1);
}

#[test]
fn poke_refuses_each_bad_input() {
    let (vm, mut contract) = setup_with_pool();
    as_caller(&vm, STRANGER);
    // Pool or oracle calls that revert or answer malformed data.
    vm.mock_static_call(POOL, IDODOPool::getMidPriceCall {}.abi_encode(), Err(b"reverted".to_vec()));
    assert_err!(refused(&vm, || contract.poke(POOL)), PoolCallFailed(PoolCallFailed { pool: POOL }));
    vm.mock_static_call(POOL, IDODOPool::getMidPriceCall {}.abi_encode(), Ok(vec![1, 2, 3]));
    assert_err!(refused(&vm, || contract.poke(POOL)), PoolCallFailed(PoolCallFailed { pool: POOL }));
    mock_mid(&vm, POOL, one());
    vm.mock_static_call(ORACLE, IPriceOracle::latestPriceCall {}.abi_encode(), Err(Vec::new()));
    assert_err!(refused(&vm, || contract.poke(POOL)), OracleCallFailed(OracleCallFailed { oracle: ORACLE }));
    vm.mock_static_call(ORACLE, IPriceOracle::latestPriceCall {}.abi_encode(), Ok(one().abi_encode()));
    assert_err!(refused(&vm, || contract.poke(POOL)), OracleCallFailed(OracleCallFailed { oracle: ORACLE }));
    mock_oracle(&vm, U256::ZERO, NOW);
    assert_err!(refused(&vm, || contract.poke(POOL)), ZeroOraclePrice(ZeroOraclePrice { oracle: ORACLE }));
    // Stale: one second past the maximum age; exactly the maximum is fine.
    mock_oracle(&vm, one(), NOW - MAX_AGE - 1);
    let stale = StaleOracle { oracle: ORACLE, updatedAt: u(NOW - MAX_AGE - 1), maxAge: MAX_AGE };
    assert_err!(refused(&vm, || contract.poke(POOL)), StaleOracle(stale));
    // A price too large to scale.
    mock_oracle(&vm, one(), NOW);
    mock_mid(&vm, POOL, U256::MAX);
    assert_err!(refused(&vm, || contract.poke(POOL)), Overflow(ArithmeticOverflow {}));
    // No clock.
    vm.clear_mocks();
    deviate(&vm, 0);
    assert_err!(refused(&vm, || contract.poke(POOL)), ClockUnavailable(ClockUnavailable {}));
    assert_err!(refused(&vm, || contract.sustained(POOL)), ClockUnavailable(ClockUnavailable {}));
    // Paused.
    at_block(&vm, START);
    as_caller(&vm, GUARDIAN);
    contract.pause().unwrap();
    as_caller(&vm, STRANGER);
    assert_err!(refused(&vm, || contract.poke(POOL)), Paused(EnforcedPause {}));
    // The boundary cases that are accepted.
    as_caller(&vm, ADMIN);
    contract.unpause().unwrap();
    mock_oracle(&vm, one(), NOW - MAX_AGE);
    assert!(contract.poke(POOL).unwrap());
    // A timestamp ahead of the block counts as fresh.
    at_block(&vm, START + 1);
    mock_oracle(&vm, one(), NOW + 10);
    assert!(contract.poke(POOL).unwrap());
}

// -------------------------------------------------------------- consumeVolume

#[test]
fn consume_volume_spends_the_cap_of_this_block_only() {
    let (vm, mut contract) = setup_with_pool();
    as_caller(&vm, STABILIZER);
    let consumed = VolumeConsumed {
        pool: POOL,
        stabilizer: STABILIZER,
        blockNumber: START,
        amount: u(600),
        remaining: u(400),
    };
    succeeds(&vm, &[log_of(&consumed)], || contract.consume_volume(POOL, u(600)));
    assert_eq!(contract.remaining_volume(POOL).unwrap(), u(400));
    let over = VolumeCapExceeded { pool: POOL, amount: u(401), remaining: u(400) };
    assert_err!(refused(&vm, || contract.consume_volume(POOL, u(401))), CapExceeded(over));
    contract.consume_volume(POOL, u(400)).unwrap();
    assert_eq!(contract.remaining_volume(POOL).unwrap(), U256::ZERO);
    let over = VolumeCapExceeded { pool: POOL, amount: u(1), remaining: U256::ZERO };
    assert_err!(refused(&vm, || contract.consume_volume(POOL, u(1))), CapExceeded(over));
    // The cap resets in the next L2 block.
    at_block(&vm, START + 1);
    assert_eq!(contract.remaining_volume(POOL).unwrap(), u(CAP));
    contract.consume_volume(POOL, u(CAP)).unwrap();
    assert_eq!(status(&contract).remainingVolume, U256::ZERO);
    // Other refusals: role, pause, amount.
    for caller in [STRANGER, ADMIN, GUARDIAN] {
        as_caller(&vm, caller);
        let error = refused(&vm, || contract.consume_volume(POOL, u(1)));
        assert_err!(error, Unauthorized(unauthorized(caller, STABILIZER_ROLE)));
    }
    at_block(&vm, START + 2);
    as_caller(&vm, STABILIZER);
    assert_err!(refused(&vm, || contract.consume_volume(POOL, U256::ZERO)), ZeroAmount(ZeroAmount {}));
    let over = VolumeCapExceeded { pool: POOL, amount: U256::MAX, remaining: u(CAP) };
    assert_err!(refused(&vm, || contract.consume_volume(POOL, U256::MAX)), CapExceeded(over));
    as_caller(&vm, GUARDIAN);
    contract.pause().unwrap();
    as_caller(&vm, STABILIZER);
    assert_err!(refused(&vm, || contract.consume_volume(POOL, u(1))), Paused(EnforcedPause {}));
}

// ----------------------------------------------------------- status and pause

#[test]
fn status_reports_everything_and_pause_stops_the_trigger() {
    let (vm, mut contract) = setup_with_pool();
    for block in START..START + 4 {
        poke_at(&vm, &mut contract, block, -120);
    }
    as_caller(&vm, STABILIZER);
    contract.consume_volume(POOL, u(250)).unwrap();
    let expected = PoolStatus {
        blockNumber: START + 3,
        observations: 4,
        lastBlock: START + 3,
        lastDeviationBps: -120,
        twapAvailable: true,
        twapDeviationBps: -120,
        sign: -1,
        streak: 4,
        sustained: true,
        shouldRebalance: true,
        remainingVolume: u(750),
        paused: false,
    };
    assert_eq!(status(&contract), expected);
    assert_eq!(contract.check_deviation(POOL).unwrap(), (I256::try_from(-120).unwrap(), true));

    as_caller(&vm, STRANGER);
    assert_err!(refused(&vm, || contract.pause()), Unauthorized(unauthorized(STRANGER, GUARDIAN_ROLE)));
    as_caller(&vm, GUARDIAN);
    succeeds(&vm, &[log_of(&Paused { account: GUARDIAN })], || contract.pause());
    assert_err!(refused(&vm, || contract.pause()), Paused(EnforcedPause {}));
    // Paused: the facts stay readable, nothing triggers.
    assert_eq!(contract.check_deviation(POOL).unwrap(), (I256::try_from(-120).unwrap(), false));
    assert_eq!(status(&contract), PoolStatus { shouldRebalance: false, paused: true, ..expected.clone() });
    // Only the admin unpauses; the admin still registers while paused.
    assert_err!(refused(&vm, || contract.unpause()), Unauthorized(unauthorized(GUARDIAN, ADMIN_ROLE)));
    as_caller(&vm, ADMIN);
    register(&mut contract, OTHER_POOL, [18, 18, THRESHOLD, SUSTAIN, WINDOW, MAX_AGE], u(CAP)).unwrap();
    succeeds(&vm, &[log_of(&Unpaused { account: ADMIN })], || contract.unpause());
    assert_err!(refused(&vm, || contract.unpause()), NotPaused(ExpectedPause {}));
    assert_eq!(status(&contract), expected);
}

#[test]
fn roles_are_granted_revoked_and_renounced_with_events() {
    let (vm, mut contract) = setup();
    let granted = RoleGranted { role: STABILIZER_ROLE, account: STRANGER, sender: ADMIN };
    succeeds(&vm, &[log_of(&granted)], || contract.grant_role(STABILIZER_ROLE, STRANGER));
    let revoked = RoleRevoked { role: STABILIZER_ROLE, account: STRANGER, sender: ADMIN };
    succeeds(&vm, &[log_of(&revoked)], || contract.revoke_role(STABILIZER_ROLE, STRANGER));
    as_caller(&vm, STABILIZER);
    let error = refused(&vm, || contract.renounce_role(STABILIZER_ROLE, ADMIN));
    assert_err!(error, BadConfirmation(AccessControlBadConfirmation {}));
    let revoked = RoleRevoked { role: STABILIZER_ROLE, account: STABILIZER, sender: STABILIZER };
    succeeds(&vm, &[log_of(&revoked)], || contract.renounce_role(STABILIZER_ROLE, STABILIZER));
    assert!(!contract.has_role(STABILIZER_ROLE, STABILIZER));
    let error = refused(&vm, || contract.grant_role(STABILIZER_ROLE, STABILIZER));
    assert_err!(error, Unauthorized(unauthorized(STABILIZER, ADMIN_ROLE)));
}
