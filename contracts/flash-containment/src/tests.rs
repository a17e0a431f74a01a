//! Native unit tests of the `FlashContainment`, run against stylus-sdk's
//! `TestVM`.
//!
//! The rules are exercised through the [`IFlashContainment`] methods, which
//! the dispatcher calls; the dispatcher itself ([`FlashContainment::route_call`])
//! is tested against the `sol!` interface: its table, its argument checks,
//! and every return and refusal byte for byte with alloy's encoders. The L2
//! clock (`ArbSys.arbBlockNumber`), the pool's `getMidPrice` and the
//! oracle's `latestPrice` are mocked static calls (stylus-test 0.9 keys
//! mocks by target and calldata). `TestVM` does not roll back a refused
//! call, so every refusal is checked with [`refused`]: the call must fail
//! **before** it writes storage or emits an event. The compiled wasm is
//! tested end to end in `crates/chain/tests`.

use alloy_primitives::{keccak256, Address, B256, I256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue};
use stylus_sdk::testing::TestVM;
use vault_access::{
    AccessControlBadConfirmation, AccessControlUnauthorizedAccount, EnforcedPause, ExpectedPause, Paused,
    RoleGranted, RoleRevoked, Unpaused, ADMIN_ROLE,
};
use vault_bindings::{ArbSys, IDODOPool, IPriceOracle, ARB_SYS};

use crate::abi::IFlashContainment as I;
use crate::{
    ArithmeticOverflow, ClockUnavailable, DeviationSustained, Error, FlashContainment, IFlashContainment,
    InsufficientHistory, Observed, OracleCallFailed, ParameterOutOfRange, PoolAlreadyRegistered,
    PoolCallFailed, PoolRegistered, PoolStatus, SpikeIgnored, StabilizerBound, StaleOracle, UnknownPool,
    VolumeCapExceeded, VolumeConsumed, WrongStabilizer, ZeroAddress, ZeroAmount, ZeroOraclePrice,
    CONSTRUCTOR, DECIMALS_RANGE, FUNCTIONS, GUARDIAN_ROLE, MAX_ORACLE_AGE_RANGE, MAX_PER_BLOCK_CAP,
    MAX_TWAP_WINDOW, POKER_ROLE, STABILIZER_ROLE, SUSTAIN_BLOCKS_RANGE, THRESHOLD_BPS_RANGE,
    TWAP_WINDOW_RANGE,
};

const DEPLOYER: Address = Address::repeat_byte(0xD0);
const ADMIN: Address = Address::repeat_byte(0xAD);
const STABILIZER: Address = Address::repeat_byte(0x57);
const GUARDIAN: Address = Address::repeat_byte(0x6A);
const STRANGER: Address = Address::repeat_byte(0x55);
const KEEPER: Address = Address::repeat_byte(0xEE);
const POOL: Address = Address::repeat_byte(0x90);
const ORACLE: Address = Address::repeat_byte(0x0C);
const OTHER_POOL: Address = Address::repeat_byte(0x91);

/// θ = 50 bps, N = 3 blocks, W = 2 blocks, 1 hour oracle age, cap 1,000.
/// (With `W = 2` the TWAP at `START + 3` averages `START ..= START + 3`:
/// the previous epoch of two blocks and the current one.)
const THRESHOLD: u64 = 50;
const SUSTAIN: u64 = 3;
const WINDOW: u64 = 2;
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

/// Asserts that an [`Error`]'s revert data is exactly alloy's encoding of
/// the `sol!` error `$expected`.
macro_rules! assert_err {
    ($error:expr, $expected:expr) => {{
        let error: Error = $error;
        assert_eq!(error.data(), SolError::abi_encode(&$expected), "{error:?}");
    }};
}

fn unauthorized(account: Address, role: B256) -> AccessControlUnauthorizedAccount {
    AccessControlUnauthorizedAccount { account, neededRole: role }
}

/// Deployed by `DEPLOYER` with `ADMIN` as admin; `STABILIZER`, `GUARDIAN`
/// and `KEEPER` (`POKER_ROLE`) hold their roles; the sender is `ADMIN`, the time `NOW`, the L2 block
/// `START`; no mock but the clock, no log kept.
fn setup() -> (TestVM, FlashContainment) {
    let vm = TestVM::default();
    let mut contract = FlashContainment::from(&vm);
    as_caller(&vm, DEPLOYER);
    contract.constructor(ADMIN).unwrap();
    as_caller(&vm, ADMIN);
    contract.grant_role(STABILIZER_ROLE, STABILIZER).unwrap();
    contract.grant_role(GUARDIAN_ROLE, GUARDIAN).unwrap();
    contract.grant_role(POKER_ROLE, KEEPER).unwrap();
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
    as_caller(vm, KEEPER);
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
    assert_err!(error, unauthorized(DEPLOYER, ADMIN_ROLE));
}

#[test]
fn constructor_rejects_zero_admin() {
    let vm = TestVM::default();
    let mut contract = FlashContainment::from(&vm);
    assert_err!(refused(&vm, || contract.constructor(Address::ZERO)), ZeroAddress {});
    assert!(vm.snapshot().storage.is_empty());
}

#[test]
fn role_identifiers_are_keccak_of_their_names() {
    let (_vm, contract) = setup();
    assert_eq!(STABILIZER_ROLE, keccak256(b"STABILIZER_ROLE"));
    assert_eq!(GUARDIAN_ROLE, keccak256(b"GUARDIAN_ROLE"));
    assert_eq!(contract.stabilizer_role(), STABILIZER_ROLE);
    assert_eq!(contract.guardian_role(), GUARDIAN_ROLE);
    assert_eq!(POKER_ROLE, keccak256(b"POKER_ROLE"));
    assert_eq!(contract.poker_role(), POKER_ROLE);
}

// -------------------------------------------------------------- the dispatcher

/// `FlashContainment::route_call`, as the SDK's router passes a call;
/// returns the result and checks that a refusal changed nothing.
fn route(vm: &TestVM, contract: &mut FlashContainment, calldata: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
    let before = vm.snapshot();
    let result = contract.route_call(calldata);
    if result.is_err() {
        let after = vm.snapshot();
        assert_eq!(before.storage, after.storage, "a refused call changed storage");
        assert_eq!(before.emitted_logs, after.emitted_logs, "a refused call emitted an event");
    }
    result
}

#[test]
fn the_dispatch_table_is_the_interface() {
    // Row `i` is the function whose discriminant is `i`, the constructor first.
    for (row, entry) in FUNCTIONS.iter().enumerate() {
        assert_eq!(entry.1 as usize, row);
    }
    assert_eq!(FUNCTIONS[0].0, keccak256("stylus_constructor()")[..4]);
    assert_eq!(CONSTRUCTOR, FUNCTIONS[0].0);
    // Every function of the interface, once.
    let mut selectors: Vec<[u8; 4]> = FUNCTIONS[1..].iter().map(|entry| entry.0).collect();
    selectors.sort_unstable();
    let mut declared = I::IFlashContainmentCalls::SELECTORS.to_vec();
    declared.sort_unstable();
    assert_eq!(selectors, declared);
    // Each row's argument count and kinds, from the interface's JSON ABI.
    let abi = I::abi::contract();
    for entry in &FUNCTIONS[1..] {
        let function = abi.functions().find(|f| f.selector().0 == entry.0).expect("declared");
        assert_eq!(usize::from(entry.2), function.inputs.len(), "{}", function.name);
        for (index, input) in function.inputs.iter().enumerate() {
            let kinds = (entry.3 >> index & 1 == 1, entry.4 >> index & 1 == 1);
            let expected = match input.ty.as_str() {
                "address" => (true, false),
                "uint64" => (false, true),
                "uint256" | "bytes32" => (false, false),
                other => panic!("{}: argument type {other} is not one static word", function.name),
            };
            assert_eq!(kinds, expected, "{} argument {index}", function.name);
        }
    }
    // The events and errors the contract encodes by hand are the ones the
    // access crate declares.
    assert_eq!(I::RoleGranted::SIGNATURE_HASH, RoleGranted::SIGNATURE_HASH);
    assert_eq!(I::RoleRevoked::SIGNATURE_HASH, RoleRevoked::SIGNATURE_HASH);
    assert_eq!(I::Paused::SIGNATURE_HASH, Paused::SIGNATURE_HASH);
    assert_eq!(I::Unpaused::SIGNATURE_HASH, Unpaused::SIGNATURE_HASH);
    assert_eq!(I::AccessControlUnauthorizedAccount::SELECTOR, AccessControlUnauthorizedAccount::SELECTOR);
    assert_eq!(I::AccessControlBadConfirmation::SELECTOR, AccessControlBadConfirmation::SELECTOR);
    assert_eq!(I::EnforcedPause::SELECTOR, EnforcedPause::SELECTOR);
    assert_eq!(I::ExpectedPause::SELECTOR, ExpectedPause::SELECTOR);
}

/// Every function's return data through the dispatcher is alloy's
/// `abi_encode_returns` of the method's value; negative values check the
/// sign extension of `int8`, `int32` and `int256`.
#[test]
fn route_call_returns_what_alloy_encodes() {
    let (vm, mut contract) = setup_with_pool();
    for block in START..START + 4 {
        poke_at(&vm, &mut contract, block, -120);
    }
    as_caller(&vm, STABILIZER);
    contract.consume_volume(POOL, u(250)).unwrap();
    as_caller(&vm, STRANGER);
    let pool = POOL;
    let mut call = |calldata: Vec<u8>| route(&vm, &mut contract, &calldata).expect("call succeeds");
    assert_eq!(
        call(I::STABILIZER_ROLECall {}.abi_encode()),
        I::STABILIZER_ROLECall::abi_encode_returns(&(STABILIZER_ROLE,))
    );
    assert_eq!(
        call(I::GUARDIAN_ROLECall {}.abi_encode()),
        I::GUARDIAN_ROLECall::abi_encode_returns(&(GUARDIAN_ROLE,))
    );
    let twap = I256::try_from(-120).unwrap();
    assert_eq!(
        call(I::twapDeviationCall { pool }.abi_encode()),
        I::twapDeviationCall::abi_encode_returns(&(twap,))
    );
    assert_eq!(
        call(I::sustainedCall { pool }.abi_encode()),
        I::sustainedCall::abi_encode_returns(&(true, -1, 4))
    );
    assert_eq!(
        call(I::remainingVolumeCall { pool }.abi_encode()),
        I::remainingVolumeCall::abi_encode_returns(&(u(750),))
    );
    assert_eq!(
        call(I::checkDeviationCall { pool }.abi_encode()),
        I::checkDeviationCall::abi_encode_returns(&(twap, true))
    );
    let status = PoolStatus {
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
    assert_eq!(
        call(I::poolStatusCall { pool }.abi_encode()),
        I::poolStatusCall::abi_encode_returns(&(status,))
    );
    assert_eq!(
        call(I::poolConfigCall { pool }.abi_encode()),
        I::poolConfigCall::abi_encode_returns(&(ORACLE, 18, 18, THRESHOLD, SUSTAIN, WINDOW, MAX_AGE, u(CAP)))
    );
    assert_eq!(call(I::pausedCall {}.abi_encode()), I::pausedCall::abi_encode_returns(&(false,)));
    let role = I::hasRoleCall { role: ADMIN_ROLE, account: ADMIN };
    assert_eq!(call(role.abi_encode()), I::hasRoleCall::abi_encode_returns(&(true,)));
    let role = I::hasRoleCall { role: ADMIN_ROLE, account: STRANGER };
    assert_eq!(call(role.abi_encode()), I::hasRoleCall::abi_encode_returns(&(false,)));
    // A first poke of a block answers `true`, a repeat `false`.
    at_block(&vm, START + 4);
    deviate(&vm, -120);
    as_caller(&vm, KEEPER);
    let mut call = |calldata: Vec<u8>| route(&vm, &mut contract, &calldata).expect("call succeeds");
    assert_eq!(call(I::pokeCall { pool }.abi_encode()), I::pokeCall::abi_encode_returns(&(true,)));
    assert_eq!(call(I::pokeCall { pool }.abi_encode()), I::pokeCall::abi_encode_returns(&(false,)));
}

/// The functions without a return answer no data, and do what their
/// method does (the events are checked in the sections below).
#[test]
fn route_call_runs_the_state_changing_functions() {
    let (vm, mut contract) = setup_with_pool();
    let register = I::registerPoolCall {
        pool: OTHER_POOL,
        oracle: ORACLE,
        base_decimals: 6,
        quote_decimals: 18,
        threshold_bps: THRESHOLD,
        sustain_blocks: SUSTAIN,
        twap_window: WINDOW,
        max_oracle_age: MAX_AGE,
        per_block_cap: MAX_PER_BLOCK_CAP,
    };
    assert_eq!(route(&vm, &mut contract, &register.abi_encode()), Ok(Vec::new()));
    let config = (ORACLE, 6, 18, THRESHOLD, SUSTAIN, WINDOW, MAX_AGE, MAX_PER_BLOCK_CAP);
    assert_eq!(contract.pool_config(OTHER_POOL).unwrap(), config);
    as_caller(&vm, STABILIZER);
    let consume = I::consumeVolumeCall { pool: POOL, amount: u(600) };
    assert_eq!(route(&vm, &mut contract, &consume.abi_encode()), Ok(Vec::new()));
    assert_eq!(contract.remaining_volume(POOL).unwrap(), u(400));
    as_caller(&vm, GUARDIAN);
    assert_eq!(route(&vm, &mut contract, &I::pauseCall {}.abi_encode()), Ok(Vec::new()));
    assert!(contract.paused());
    as_caller(&vm, ADMIN);
    assert_eq!(route(&vm, &mut contract, &I::unpauseCall {}.abi_encode()), Ok(Vec::new()));
    assert!(!contract.paused());
    let grant = I::grantRoleCall { role: GUARDIAN_ROLE, account: STRANGER };
    assert_eq!(route(&vm, &mut contract, &grant.abi_encode()), Ok(Vec::new()));
    assert!(contract.has_role(GUARDIAN_ROLE, STRANGER));
    let revoke = I::revokeRoleCall { role: GUARDIAN_ROLE, account: STRANGER };
    assert_eq!(route(&vm, &mut contract, &revoke.abi_encode()), Ok(Vec::new()));
    assert!(!contract.has_role(GUARDIAN_ROLE, STRANGER));
    as_caller(&vm, GUARDIAN);
    let renounce = I::renounceRoleCall { role: GUARDIAN_ROLE, confirmation: GUARDIAN };
    assert_eq!(route(&vm, &mut contract, &renounce.abi_encode()), Ok(Vec::new()));
    assert!(!contract.has_role(GUARDIAN_ROLE, GUARDIAN));
}

/// A refusal answers the error's encoding; a call the SDK's decoder
/// refused (unknown selector, short, long or dirty arguments) still
/// reverts with no data; nothing changes either way.
#[test]
fn route_call_refuses_as_the_sdk_router_did() {
    let (vm, mut contract) = setup_with_pool();
    as_caller(&vm, STRANGER);
    let poke = I::pokeCall { pool: OTHER_POOL }.abi_encode();
    assert_eq!(route(&vm, &mut contract, &poke), Err(unauthorized(STRANGER, POKER_ROLE).abi_encode()));
    as_caller(&vm, KEEPER);
    assert_eq!(route(&vm, &mut contract, &poke), Err(UnknownPool { pool: OTHER_POOL }.abi_encode()));
    as_caller(&vm, STRANGER);
    let grant = I::grantRoleCall { role: STABILIZER_ROLE, account: STRANGER }.abi_encode();
    assert_eq!(route(&vm, &mut contract, &grant), Err(unauthorized(STRANGER, ADMIN_ROLE).abi_encode()));
    let twap = I::twapDeviationCall { pool: POOL }.abi_encode();
    assert_eq!(route(&vm, &mut contract, &twap), Err(InsufficientHistory { pool: POOL }.abi_encode()));
    as_caller(&vm, ADMIN);
    let register = |base_decimals: u64| {
        I::registerPoolCall {
            pool: OTHER_POOL,
            oracle: ORACLE,
            base_decimals,
            quote_decimals: 18,
            threshold_bps: THRESHOLD,
            sustain_blocks: SUSTAIN,
            twap_window: WINDOW,
            max_oracle_age: MAX_AGE,
            per_block_cap: u(CAP),
        }
        .abi_encode()
    };
    let expected = ParameterOutOfRange { parameter: 0, value: u(u64::MAX), min: u(0), max: u(36) };
    assert_eq!(route(&vm, &mut contract, &register(u64::MAX)), Err(expected.abi_encode()));

    let poke = I::pokeCall { pool: POOL }.abi_encode();
    let good = register(18);
    let with = |data: &[u8], index: usize, byte: u8| {
        let mut data = data.to_vec();
        data[index] = byte;
        data
    };
    let malformed: Vec<(&str, Vec<u8>)> = vec![
        ("no calldata", Vec::new()),
        ("short selector", vec![0xde, 0xad, 0xbe]),
        ("unknown selector", vec![0xde, 0xad, 0xbe, 0xef]),
        ("truncated", poke[..35].to_vec()),
        ("one byte more", [poke.clone(), vec![0]].concat()),
        ("one word more", [poke.clone(), vec![0; 32]].concat()),
        ("a word to a function without arguments", [I::pausedCall {}.abi_encode(), vec![0; 32]].concat()),
        ("address above 2^160", with(&poke, 4 + 11, 1)),
        ("oracle above 2^160", with(&good, 4 + 32 + 11, 1)),
        ("uint64 above 2^64", with(&good, 4 + 2 * 32 + 23, 1)),
        ("last uint64 above 2^64", with(&good, 4 + 7 * 32, 0x80)),
        ("role account above 2^160", with(&grant, 4 + 32, 1)),
        ("constructor, truncated", CONSTRUCTOR.to_vec()),
    ];
    for (name, calldata) in malformed {
        assert_eq!(route(&vm, &mut contract, &calldata), Err(Vec::new()), "{name}");
    }
    // The same calls, well formed, are accepted.
    assert_eq!(route(&vm, &mut contract, &good), Ok(Vec::new()));
    as_caller(&vm, KEEPER);
    assert_eq!(route(&vm, &mut contract, &poke), Ok(I::pokeCall::abi_encode_returns(&(true,))));
}

/// Deployment's `stylus_constructor(admin)` reaches the constructor once,
/// behind the SDK's guard.
#[test]
fn the_constructor_runs_once_through_the_dispatcher() {
    let calldata = |admin: Address| [CONSTRUCTOR.to_vec(), admin.into_word().to_vec()].concat();
    let vm = TestVM::default();
    let mut contract = FlashContainment::from(&vm);
    as_caller(&vm, DEPLOYER);
    // (The guard's slot is written first; on a chain the revert undoes it,
    // `TestVM` keeps it, so this refusal is not checked with `route`.)
    assert_eq!(contract.route_call(&calldata(Address::ZERO)), Err(ZeroAddress {}.abi_encode()));
    let vm = TestVM::default();
    let mut contract = FlashContainment::from(&vm);
    as_caller(&vm, DEPLOYER);
    let granted = RoleGranted { role: ADMIN_ROLE, account: ADMIN, sender: DEPLOYER };
    let result =
        succeeds(&vm, &[log_of(&granted)], || Ok::<_, Error>(route(&vm, &mut contract, &calldata(ADMIN))));
    assert_eq!(result, Ok(Vec::new()));
    assert!(contract.has_role(ADMIN_ROLE, ADMIN));
    for admin in [STRANGER, ADMIN, Address::ZERO] {
        assert_eq!(route(&vm, &mut contract, &calldata(admin)), Err(Vec::new()));
    }
    assert!(!contract.has_role(ADMIN_ROLE, STRANGER));
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
        (ORACLE, 36, 36, 5_000, 32, MAX_TWAP_WINDOW, 86_400, MAX_PER_BLOCK_CAP)
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
        assert_err!(error, unauthorized(caller, ADMIN_ROLE));
    }
    as_caller(&vm, ADMIN);
    let error = refused(&vm, || register(&mut contract, Address::ZERO, good, u(CAP)));
    assert_err!(error, ZeroAddress {});
    let error =
        refused(&vm, || contract.register_pool(OTHER_POOL, Address::ZERO, 18, 18, 50, 3, 4, 60, u(CAP)));
    assert_err!(error, ZeroAddress {});
    let error = refused(&vm, || register(&mut contract, POOL, good, u(CAP)));
    assert_err!(error, PoolAlreadyRegistered { pool: POOL });
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
            assert_err!(error, expected);
        }
    }
    for cap in [U256::ZERO, MAX_PER_BLOCK_CAP + u(1), U256::MAX] {
        let error = refused(&vm, || register(&mut contract, OTHER_POOL, good, cap));
        let expected = ParameterOutOfRange { parameter: 6, value: cap, min: u(1), max: MAX_PER_BLOCK_CAP };
        assert_err!(error, expected);
    }
    // The first bad parameter in argument order is the one reported.
    let error = refused(&vm, || register(&mut contract, OTHER_POOL, [37, 99, 0, 1, 1, 0], U256::ZERO));
    assert_err!(error, ParameterOutOfRange { parameter: 0, value: u(37), min: u(0), max: u(36) });
}

#[test]
fn every_view_refuses_an_unknown_pool() {
    let (vm, mut contract) = setup_with_pool();
    let expected = UnknownPool { pool: OTHER_POOL };
    as_caller(&vm, KEEPER);
    assert_err!(refused(&vm, || contract.poke(OTHER_POOL)), expected.clone());
    assert_err!(refused(&vm, || contract.stabilizer_of(OTHER_POOL)), expected.clone());
    assert_err!(refused(&vm, || contract.twap_deviation(OTHER_POOL)), expected.clone());
    assert_err!(refused(&vm, || contract.sustained(OTHER_POOL)), expected.clone());
    assert_err!(refused(&vm, || contract.remaining_volume(OTHER_POOL)), expected.clone());
    assert_err!(refused(&vm, || contract.check_deviation(OTHER_POOL)), expected.clone());
    assert_err!(refused(&vm, || contract.pool_status(OTHER_POOL)), expected.clone());
    assert_err!(refused(&vm, || contract.pool_config(OTHER_POOL)), expected.clone());
    as_caller(&vm, STABILIZER);
    assert_err!(refused(&vm, || contract.consume_volume(OTHER_POOL, u(1))), expected);
}

// ------------------------------------------------------------------------ poke

#[test]
fn first_poke_of_a_block_records_and_repeats_change_nothing() {
    let (vm, mut contract) = setup_with_pool();
    deviate(&vm, 20);
    as_caller(&vm, KEEPER);
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
    as_caller(&vm, KEEPER);
    poke_at(&vm, &mut contract, START, 0);
    // Block START + 1: the first poke sees a 900 bps flash-loan move.
    at_block(&vm, START + 1);
    deviate(&vm, 900);
    let spike = SpikeIgnored { pool: POOL, blockNumber: START + 1, deviationBps: 900, streak: 1 };
    succeeds(&vm, &[log_of(&observed(START + 1, 900, 1, 1)), log_of(&spike)], || contract.poke(POOL));
    assert_eq!(contract.sustained(POOL).unwrap(), (false, 1, 1));
    // The pool is back at the oracle price in the next block.
    assert!(poke_at(&vm, &mut contract, START + 2, 0));
    assert_eq!(contract.sustained(POOL).unwrap(), (false, 0, 1), "in band: nothing to act on");
    for block in START + 3..START + 10 {
        poke_at(&vm, &mut contract, block, 0);
        assert!(!contract.check_deviation(POOL).unwrap().1);
    }
}

#[test]
fn n_of_the_last_2n_minus_1_blocks_past_the_threshold_are_sustained() {
    let (vm, mut contract) = setup_with_pool();
    // N − 1 = 2 blocks past θ, then one at θ: not sustained.
    poke_at(&vm, &mut contract, START, -60);
    poke_at(&vm, &mut contract, START + 1, -70);
    assert_eq!(contract.sustained(POOL).unwrap(), (false, -1, 2));
    poke_at(&vm, &mut contract, START + 2, -50);
    assert_eq!(contract.sustained(POOL).unwrap(), (false, 0, 2), "|dev| = θ is not past θ");
    // A third block past θ within 2N − 1 = 5, of either sign: sustained,
    // on the newest observation's side.
    at_block(&vm, START + 3);
    deviate(&vm, 80);
    let sustained = DeviationSustained { pool: POOL, blockNumber: START + 3, sign: 1, streak: SUSTAIN };
    succeeds(&vm, &[log_of(&observed(START + 3, 80, 1, 3)), log_of(&sustained)], || contract.poke(POOL));
    assert_eq!(contract.sustained(POOL).unwrap(), (true, 1, 3));
    assert_eq!(contract.check_deviation(POOL).unwrap(), (I256::try_from(80).unwrap(), true));
    // Back in band: nothing to act on; old blocks leave the span.
    poke_at(&vm, &mut contract, START + 4, 0);
    assert_eq!(contract.sustained(POOL).unwrap(), (false, 0, 3));
    assert_eq!(contract.check_deviation(POOL).unwrap(), (I256::ZERO, false));
    poke_at(&vm, &mut contract, START + 5, 0);
    assert_eq!(contract.sustained(POOL).unwrap(), (false, 0, 2));
}

#[test]
fn unobserved_blocks_count_as_in_band() {
    let (vm, mut contract) = setup_with_pool();
    for block in START..START + 3 {
        poke_at(&vm, &mut contract, block, 100);
    }
    assert_eq!(contract.sustained(POOL).unwrap(), (true, 1, 3));
    // The next block is not observed yet: the newest observation is live.
    at_block(&vm, START + 3);
    assert_eq!(contract.sustained(POOL).unwrap(), (true, 1, 3));
    assert!(contract.check_deviation(POOL).unwrap().1);
    // A whole block without an observation: nothing live to act on.
    at_block(&vm, START + 4);
    assert_eq!(contract.sustained(POOL).unwrap(), (false, 0, 3));
    assert_eq!(contract.check_deviation(POOL).unwrap(), (I256::ZERO, false));
    // START + 1, START + 2 and START + 5 of START + 1 ..= START + 5.
    poke_at(&vm, &mut contract, START + 5, 60);
    assert_eq!(contract.sustained(POOL).unwrap(), (true, 1, 3));
    // The TWAP credits blocks START+3 and START+4 gap_fill(100, 60) = 60:
    // window START+2..=START+5: 100 + 60 + 60 + 60 = 280 → 70.
    assert_eq!(contract.twap_deviation(POOL).unwrap(), I256::try_from(70).unwrap());
}

#[test]
fn twap_needs_history_covering_the_window() {
    let (vm, mut contract) = setup_with_pool();
    let expected = InsufficientHistory { pool: POOL };
    assert_err!(refused(&vm, || contract.twap_deviation(POOL)), expected.clone());
    // checkDeviation answers instead of refusing.
    assert_eq!(contract.check_deviation(POOL).unwrap(), (I256::ZERO, false));
    assert!(!status(&contract).twapAvailable);
    poke_at(&vm, &mut contract, START, 30);
    // W = 2: the epoch window START − 2 ..= START starts before the history.
    assert_err!(refused(&vm, || contract.twap_deviation(POOL)), expected);
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
    as_caller(&vm, KEEPER);
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
    // Only keepers and the Stabilizer observe.
    for caller in [STRANGER, ADMIN, GUARDIAN] {
        as_caller(&vm, caller);
        assert_err!(refused(&vm, || contract.poke(POOL)), unauthorized(caller, POKER_ROLE));
    }
    as_caller(&vm, KEEPER);
    // Pool or oracle calls that revert or answer malformed data.
    vm.mock_static_call(POOL, IDODOPool::getMidPriceCall {}.abi_encode(), Err(b"reverted".to_vec()));
    assert_err!(refused(&vm, || contract.poke(POOL)), PoolCallFailed { pool: POOL });
    vm.mock_static_call(POOL, IDODOPool::getMidPriceCall {}.abi_encode(), Ok(vec![1, 2, 3]));
    assert_err!(refused(&vm, || contract.poke(POOL)), PoolCallFailed { pool: POOL });
    mock_mid(&vm, POOL, one());
    vm.mock_static_call(ORACLE, IPriceOracle::latestPriceCall {}.abi_encode(), Err(Vec::new()));
    assert_err!(refused(&vm, || contract.poke(POOL)), OracleCallFailed { oracle: ORACLE });
    vm.mock_static_call(ORACLE, IPriceOracle::latestPriceCall {}.abi_encode(), Ok(one().abi_encode()));
    assert_err!(refused(&vm, || contract.poke(POOL)), OracleCallFailed { oracle: ORACLE });
    mock_oracle(&vm, U256::ZERO, NOW);
    assert_err!(refused(&vm, || contract.poke(POOL)), ZeroOraclePrice { oracle: ORACLE });
    // Stale: one second past the maximum age; exactly the maximum is fine.
    mock_oracle(&vm, one(), NOW - MAX_AGE - 1);
    let stale = StaleOracle { oracle: ORACLE, updatedAt: u(NOW - MAX_AGE - 1), maxAge: MAX_AGE };
    assert_err!(refused(&vm, || contract.poke(POOL)), stale);
    // A price too large to scale.
    mock_oracle(&vm, one(), NOW);
    mock_mid(&vm, POOL, U256::MAX);
    assert_err!(refused(&vm, || contract.poke(POOL)), ArithmeticOverflow {});
    // No clock.
    vm.clear_mocks();
    deviate(&vm, 0);
    assert_err!(refused(&vm, || contract.poke(POOL)), ClockUnavailable {});
    assert_err!(refused(&vm, || contract.sustained(POOL)), ClockUnavailable {});
    // Paused.
    at_block(&vm, START);
    as_caller(&vm, GUARDIAN);
    contract.pause().unwrap();
    as_caller(&vm, STRANGER);
    assert_err!(refused(&vm, || contract.poke(POOL)), unauthorized(STRANGER, POKER_ROLE));
    as_caller(&vm, KEEPER);
    assert_err!(refused(&vm, || contract.poke(POOL)), EnforcedPause {});
    // The boundary cases that are accepted.
    as_caller(&vm, ADMIN);
    contract.unpause().unwrap();
    as_caller(&vm, KEEPER);
    // A timestamp ahead of the block is refused: it would stay fresh for as
    // long as it stays ahead.
    mock_oracle(&vm, one(), NOW + 1);
    let ahead = StaleOracle { oracle: ORACLE, updatedAt: u(NOW + 1), maxAge: MAX_AGE };
    assert_err!(refused(&vm, || contract.poke(POOL)), ahead);
    // The boundary cases that are accepted: exactly the maximum age, and now.
    mock_oracle(&vm, one(), NOW - MAX_AGE);
    assert!(contract.poke(POOL).unwrap());
    at_block(&vm, START + 1);
    mock_oracle(&vm, one(), NOW);
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
    let bound = StabilizerBound { pool: POOL, stabilizer: STABILIZER };
    succeeds(&vm, &[log_of(&bound), log_of(&consumed)], || contract.consume_volume(POOL, u(600)));
    assert_eq!(contract.stabilizer_of(POOL).unwrap(), STABILIZER);
    assert_eq!(contract.remaining_volume(POOL).unwrap(), u(400));
    let over = VolumeCapExceeded { pool: POOL, amount: u(401), remaining: u(400) };
    assert_err!(refused(&vm, || contract.consume_volume(POOL, u(401))), over);
    contract.consume_volume(POOL, u(400)).unwrap();
    assert_eq!(contract.remaining_volume(POOL).unwrap(), U256::ZERO);
    let over = VolumeCapExceeded { pool: POOL, amount: u(1), remaining: U256::ZERO };
    assert_err!(refused(&vm, || contract.consume_volume(POOL, u(1))), over);
    // The cap resets in the next L2 block.
    at_block(&vm, START + 1);
    assert_eq!(contract.remaining_volume(POOL).unwrap(), u(CAP));
    contract.consume_volume(POOL, u(CAP)).unwrap();
    assert_eq!(status(&contract).remainingVolume, U256::ZERO);
    // Other refusals: role, pause, amount.
    for caller in [STRANGER, ADMIN, GUARDIAN] {
        as_caller(&vm, caller);
        let error = refused(&vm, || contract.consume_volume(POOL, u(1)));
        assert_err!(error, unauthorized(caller, STABILIZER_ROLE));
    }
    at_block(&vm, START + 2);
    as_caller(&vm, STABILIZER);
    assert_err!(refused(&vm, || contract.consume_volume(POOL, U256::ZERO)), ZeroAmount {});
    let over = VolumeCapExceeded { pool: POOL, amount: U256::MAX, remaining: u(CAP) };
    assert_err!(refused(&vm, || contract.consume_volume(POOL, U256::MAX)), over);
    // Another Stabilizer may not spend this pool's cap.
    as_caller(&vm, ADMIN);
    contract.grant_role(STABILIZER_ROLE, STRANGER).unwrap();
    as_caller(&vm, STRANGER);
    let wrong = WrongStabilizer { pool: POOL, caller: STRANGER, bound: STABILIZER };
    assert_err!(refused(&vm, || contract.consume_volume(POOL, u(1))), wrong);
    as_caller(&vm, GUARDIAN);
    contract.pause().unwrap();
    as_caller(&vm, STABILIZER);
    assert_err!(refused(&vm, || contract.consume_volume(POOL, u(1))), EnforcedPause {});
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
    assert_err!(refused(&vm, || contract.pause()), unauthorized(STRANGER, GUARDIAN_ROLE));
    as_caller(&vm, GUARDIAN);
    succeeds(&vm, &[log_of(&Paused { account: GUARDIAN })], || contract.pause());
    assert_err!(refused(&vm, || contract.pause()), EnforcedPause {});
    // Paused: the facts stay readable, nothing triggers.
    assert_eq!(contract.check_deviation(POOL).unwrap(), (I256::try_from(-120).unwrap(), false));
    assert_eq!(status(&contract), PoolStatus { shouldRebalance: false, paused: true, ..expected.clone() });
    // Only the admin unpauses; the admin still registers while paused.
    assert_err!(refused(&vm, || contract.unpause()), unauthorized(GUARDIAN, ADMIN_ROLE));
    as_caller(&vm, ADMIN);
    register(&mut contract, OTHER_POOL, [18, 18, THRESHOLD, SUSTAIN, WINDOW, MAX_AGE], u(CAP)).unwrap();
    succeeds(&vm, &[log_of(&Unpaused { account: ADMIN })], || contract.unpause());
    assert_err!(refused(&vm, || contract.unpause()), ExpectedPause {});
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
    assert_err!(error, AccessControlBadConfirmation {});
    let revoked = RoleRevoked { role: STABILIZER_ROLE, account: STABILIZER, sender: STABILIZER };
    succeeds(&vm, &[log_of(&revoked)], || contract.renounce_role(STABILIZER_ROLE, STABILIZER));
    assert!(!contract.has_role(STABILIZER_ROLE, STABILIZER));
    let error = refused(&vm, || contract.grant_role(STABILIZER_ROLE, STABILIZER));
    assert_err!(error, unauthorized(STABILIZER, ADMIN_ROLE));
}

// ------------------------------------------------------------ storage words

/// The tracker word keeps every field exactly over its whole range: the
/// 64-bit history, the 32-bit count, the newest observation (block below
/// `BLOCK_LIMIT`, any deviation) and both epoch sums (`None` or inside
/// `(−2^43, 2^43)`); a block at `BLOCK_LIMIT` or a sum outside is refused.
#[test]
fn the_tracker_word_round_trips_its_fields() {
    use crate::{Tracker, BLOCK_LIMIT};
    use vault_math::observation::EpochSums;
    let limit = (1i64 << 43) - 1;
    for (history, count, latest, previous, current) in [
        (0, 0, None, None, None),
        (u64::MAX, u32::MAX, Some((BLOCK_LIMIT - 1, i32::MIN)), Some(limit), Some(-limit)),
        (1, 1, Some((0, i32::MAX)), Some(-limit), None),
        (1 << 63, 7, Some((START, -1)), None, Some(0)),
        (5, 2, Some((1, 0)), Some(-1), Some(-40_960_000)),
    ] {
        let tracker = Tracker { history, count, latest, sums: EpochSums { previous, current } };
        let back = Tracker::unpack(tracker.pack().unwrap());
        assert_eq!(
            (back.history, back.count, back.latest, back.sums),
            (history, count, latest, EpochSums { previous, current })
        );
    }
    let overflow = Error::from(vault_math::MathError::Overflow);
    let late = Tracker { count: 1, latest: Some((BLOCK_LIMIT, 0)), ..Tracker::default() };
    assert_eq!(late.pack(), Err(overflow.clone()));
    let sums = EpochSums { previous: Some(limit + 1), current: None };
    assert_eq!(Tracker { sums, ..Tracker::default() }.pack(), Err(overflow.clone()));
    let sums = EpochSums { previous: None, current: Some(-limit - 1) };
    assert_eq!(Tracker { sums, ..Tracker::default() }.pack(), Err(overflow));
}
