//! Native unit tests of the `Stabilizer`, run against stylus-sdk's `TestVM`
//! with every external contract mocked by its exact calldata.
//!
//! `TestVM` does not roll back a refused call, so every refusal is checked
//! with [`refused`]: the call must fail before it writes storage or emits
//! an event. Cross-contract behaviour is proven on the in-process chain
//! (`crates/chain/tests/stabilizer.rs`).

use alloy_primitives::{Address, B256, I256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue};
use stylus_sdk::testing::TestVM;
use vault_access::{AccessControlUnauthorizedAccount, EnforcedPause, ADMIN_ROLE};
use vault_bindings::{ArbSys, IDODOPool, IPriceOracle, IStablecoinPegManager, ARB_SYS, IERC20};

use crate::own::{IFlashContainment, IPrivateMeshPool, IReserveSizer};
use crate::{
    DeviationNotSustained, DirectionDisabled, Error, ExternalCallFailed, InsufficientFloat, MeshSwapFailed,
    OracleFailed, OracleMismatch, ParameterOutOfRange, PegManagerDisagrees, PegOvershoot,
    ReserveReleaseRefused, SingleBlockSpike, SlippageExceeded, Stabilized, Stabilizer, StaleOracle,
    TokenOffPeg, TooEarly, TradeTooLarge, UnknownTokenPair, WrongDirection, ZeroAddress, ZeroAmount,
    GUARDIAN_ROLE, KEEPER_ROLE,
};

const DEPLOYER: Address = Address::repeat_byte(0xD0);
const ADMIN: Address = Address::repeat_byte(0xAD);
const KEEPER: Address = Address::repeat_byte(0x4E);
const GUARDIAN: Address = Address::repeat_byte(0x6A);
const STRANGER: Address = Address::repeat_byte(0x55);
const POOL: Address = Address::repeat_byte(0x01);
const FC: Address = Address::repeat_byte(0x02);
const MESH: Address = Address::repeat_byte(0x03);
const SIZER: Address = Address::repeat_byte(0x04);
const ORACLE: Address = Address::repeat_byte(0x05);
const BASE: Address = Address::repeat_byte(0xBA);
const QUOTE: Address = Address::repeat_byte(0x0C);
const PEGS: Address = Address::repeat_byte(0x9E);
const ME: Address = Address::repeat_byte(0x5B);
const E18: u128 = 1_000_000_000_000_000_000;
const NOW: u64 = 1_700_000_000;
/// `k`: 1,000,000 base per 100% deviation.
const K: u128 = 1_000_000 * E18;

fn u(v: u128) -> U256 {
    U256::from(v)
}

fn i(v: i64) -> I256 {
    I256::try_from(v).unwrap()
}

fn mock_static<C: SolCall>(vm: &TestVM, to: Address, call: &C, ret: Vec<u8>) {
    vm.mock_static_call(to, call.abi_encode(), Ok(ret));
}

fn mock_call<C: SolCall>(vm: &TestVM, to: Address, call: &C, ret: Vec<u8>) {
    vm.mock_call(to, call.abi_encode(), Ok(ret));
}

/// The refusal decoded as the error `E`, if it is one (selector and fields).
fn is<E: SolError>(e: &Error) -> Option<E> {
    E::abi_decode(e.data(), true).ok()
}

fn at_block(vm: &TestVM, block: u64) {
    mock_static(vm, ARB_SYS, &ArbSys::arbBlockNumberCall {}, U256::from(block).abi_encode());
}

fn mock_registration(vm: &TestVM, oracle: Address) {
    mock_static(vm, POOL, &IDODOPool::_BASE_TOKEN_Call {}, BASE.abi_encode());
    mock_static(vm, POOL, &IDODOPool::_QUOTE_TOKEN_Call {}, QUOTE.abi_encode());
    let config = (oracle, 18u64, 18u64, 10u64, 3u64, 3u64, 3_600u64, u(1_000 * E18));
    mock_static(vm, FC, &IFlashContainment::poolConfigCall { pool: POOL }, config.abi_encode_params());
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

/// Deployed with `ADMIN` as admin, `MIN_BLOCKS` 2, k = 1,000,000, 50 bps
/// slippage, gas price cap 10 gwei, oracle age 1 h; `KEEPER` and
/// `GUARDIAN` hold their roles.
fn setup() -> (TestVM, Stabilizer) {
    let vm = TestVM::default();
    vm.set_contract_address(ME);
    vm.set_block_timestamp(NOW);
    let mut contract = Stabilizer::from(&vm);
    mock_registration(&vm, ORACLE);
    vm.set_sender(DEPLOYER);
    contract.constructor(ADMIN).unwrap();
    vm.set_sender(ADMIN);
    contract.set_contracts(POOL, FC, MESH, SIZER, ORACLE).unwrap();
    contract.set_parameters(2, u(K), 50, u(10_000_000_000), 3_600).unwrap();
    contract.grant_role(KEEPER_ROLE, KEEPER).unwrap();
    contract.grant_role(GUARDIAN_ROLE, GUARDIAN).unwrap();
    (vm, contract)
}

/// A market where selling `size` base is fully allowed: pool mid 1.004
/// above a 1.0 oracle, TWAP +40 bps sustained, cap 1,000 left.
fn happy_market(vm: &TestVM, size: U256) {
    at_block(vm, 100);
    mock_static(
        vm,
        FC,
        &IFlashContainment::checkDeviationCall { pool: POOL },
        (i(40), true).abi_encode_params(),
    );
    mock_static(vm, FC, &IFlashContainment::remainingVolumeCall { pool: POOL }, u(1_000 * E18).abi_encode());
    mock_static(vm, ORACLE, &IPriceOracle::latestPriceCall {}, (u(E18), U256::from(NOW)).abi_encode_params());
    // k = 0: a constant-sum pool at i = 1.004; reserves 100,000 / 100,000.
    let state = (
        u(1_004 * E18 / 1_000),
        U256::ZERO,
        u(100_000 * E18),
        u(100_000 * E18),
        u(100_000 * E18),
        u(100_000 * E18),
        U256::ZERO,
    );
    mock_static(vm, POOL, &IDODOPool::getPMMStateForCallCall {}, state.abi_encode_params());
    mock_static(
        vm,
        POOL,
        &IDODOPool::getUserFeeRateCall { user: ME },
        (U256::ZERO, U256::ZERO).abi_encode_params(),
    );
    mock_call(vm, SIZER, &IReserveSizer::canReleaseCall { asset: BASE, amount: size }, true.abi_encode());
    mock_static(vm, BASE, &IERC20::balanceOfCall { account: ME }, u(10_000 * E18).abi_encode());
    mock_static(vm, POOL, &IDODOPool::getMidPriceCall {}, u(1_004 * E18 / 1_000).abi_encode());
}

#[test]
fn constructor_checks_its_configuration() {
    let vm = TestVM::default();
    let mut contract = Stabilizer::from(&vm);
    mock_registration(&vm, ORACLE);
    // A refused constructor reverts the deployment; TestVM keeps the
    // partial writes, so only the error is checked here.
    let e = contract.constructor(Address::ZERO).unwrap_err();
    assert!(matches!(is::<ZeroAddress>(&e), Some(ZeroAddress {})));
    contract.constructor(ADMIN).unwrap();
    vm.set_sender(ADMIN);
    let e = refused(&vm, || contract.set_contracts(POOL, FC, MESH, SIZER, Address::repeat_byte(7)));
    assert!(matches!(is::<OracleMismatch>(&e), Some(OracleMismatch { registered: ORACLE, .. })));
    let e = refused(&vm, || contract.set_contracts(POOL, Address::ZERO, MESH, SIZER, ORACLE));
    assert!(matches!(is::<ZeroAddress>(&e), Some(ZeroAddress {})));
}

#[test]
fn parameters_are_bounded() {
    let (vm, mut c) = setup();
    let cases: [(u64, U256, u64, U256, u64, u8); 6] = [
        (0, u(K), 50, u(1), 60, 0),
        (10_001, u(K), 50, u(1), 60, 0),
        (2, U256::ZERO, 50, u(1), 60, 1),
        (2, u(K), 1_001, u(1), 60, 2),
        (2, u(K), 50, U256::ZERO, 60, 3),
        (2, u(K), 50, u(1), 86_401, 4),
    ];
    for (min_blocks, k, slippage, gas, age, parameter) in cases {
        let e = refused(&vm, || c.set_parameters(min_blocks, k, slippage, gas, age));
        assert_eq!(is::<ParameterOutOfRange>(&e).map(|x| x.parameter), Some(parameter), "{e:?}");
    }
    let e = refused(&vm, || c.set_peg_managers(PEGS, Address::ZERO, 1, 3, 50));
    assert!(matches!(is::<ParameterOutOfRange>(&e), Some(ParameterOutOfRange { parameter: 7, .. })));
    let e = refused(&vm, || c.set_peg_managers(PEGS, Address::ZERO, 2, 0, 50));
    assert!(is::<ZeroAddress>(&e).is_some());
    vm.set_sender(STRANGER);
    let e = refused(&vm, || c.set_parameters(2, u(K), 50, u(1), 60));
    assert!(is::<AccessControlUnauthorizedAccount>(&e).is_some());
}

#[test]
fn kill_switch_guardian_disables_admin_enables() {
    let (vm, mut c) = setup();
    vm.set_sender(GUARDIAN);
    let e = refused(&vm, || c.set_direction_enabled(BASE, true));
    assert_eq!(
        e.data(),
        AccessControlUnauthorizedAccount { account: GUARDIAN, neededRole: ADMIN_ROLE }.abi_encode()
    );
    c.set_direction_enabled(BASE, false).unwrap();
    assert!(c.parameters()[8].is_zero());
    let size = u(100 * E18);
    happy_market(&vm, size);
    vm.set_sender(KEEPER);
    let e = refused(&vm, || c.execute_private_swap(size, BASE, QUOTE));
    assert!(matches!(is::<DirectionDisabled>(&e), Some(DirectionDisabled { tokenIn: BASE })));
    assert!(!c.check_deviation().unwrap().1);
    vm.set_sender(ADMIN);
    c.set_direction_enabled(BASE, true).unwrap();
    assert_eq!(c.parameters()[8], U256::from(1));
    assert!(c.check_deviation().unwrap().1);
}

#[test]
fn keeper_view_and_execution() {
    let (vm, mut c) = setup();
    let size = u(400 * E18);
    happy_market(&vm, size);
    // k·|dev| = 1,000,000 × 40 bps = 4,000; cap 1,000 left; the pool
    // (k = 0) reaches the peg only when emptied... of quote: 100,000 / 1.004.
    mock_call(
        &vm,
        SIZER,
        &IReserveSizer::canReleaseCall { asset: BASE, amount: u(1_000 * E18) },
        true.abi_encode(),
    );
    let (quoted, tin, tout, min_out) = c.keeper_trade().unwrap();
    assert_eq!((quoted, tin, tout), (u(1_000 * E18), BASE, QUOTE));
    // 1,000 at 1.0 less 0.5%.
    assert_eq!(min_out, u(995 * E18));
    mock_call(&vm, POOL, &IDODOPool::sellBaseCall { to: ME }, u(401 * E18).abi_encode());
    let swap = IPrivateMeshPool::swapCall {
        tokenIn: QUOTE,
        tokenOut: BASE,
        amountIn: u(401 * E18),
        // The oracle value of the 401 quote received, less 0.5%.
        minAmountOut: u(398_995 * E18 / 1_000),
        to: ME,
    };
    mock_call(&vm, MESH, &swap, u(400 * E18).abi_encode());
    mock_call(&vm, POOL, &IDODOPool::getMidPriceCall {}, u(1_002 * E18 / 1_000).abi_encode());
    vm.set_sender(KEEPER);
    c.execute_private_swap(size, BASE, QUOTE).unwrap();
    assert_eq!(c.parameters()[10], U256::from(100));
    let logs = vm.get_emitted_logs();
    let (topics, data) = logs.last().unwrap();
    let event = Stabilized::decode_raw_log(topics.iter().copied(), data, true).unwrap();
    let expected = Stabilized {
        pool: POOL,
        tokenIn: BASE,
        tokenOut: QUOTE,
        amountIn: size,
        amountOut: u(401 * E18),
        meshReturned: u(400 * E18),
        twapDeviationBps: i(40),
        oraclePrice: u(E18),
        midPriceBefore: u(1_004 * E18 / 1_000),
        midPriceAfter: u(1_002 * E18 / 1_000),
        l2Block: 100,
    };
    assert_eq!(event.encode_data(), expected.encode_data());
    assert_eq!(event.encode_topics(), expected.encode_topics());
    // MIN_BLOCKS: the next block is too early.
    at_block(&vm, 101);
    let e = refused(&vm, || c.execute_private_swap(size, BASE, QUOTE));
    assert!(matches!(is::<TooEarly>(&e), Some(TooEarly { l2Block: 101, nextAllowedBlock: 102 })));
    assert!(!c.check_deviation().unwrap().1);
}

/// Every rule's named error, each with storage and events unchanged.
#[test]
#[allow(clippy::too_many_lines)]
fn every_rule_refuses_with_its_error() {
    type Case = (&'static str, fn(&TestVM, &mut Stabilizer), fn(&Error) -> bool);
    let size = u(100 * E18);
    let cases: Vec<Case> = vec![
        (
            "not keeper",
            |vm, _| vm.set_sender(STRANGER),
            |e| is::<AccessControlUnauthorizedAccount>(e).is_some(),
        ),
        (
            "paused",
            |vm, c| {
                vm.set_sender(GUARDIAN);
                c.pause().unwrap();
                vm.set_sender(KEEPER);
            },
            |e| matches!(is::<EnforcedPause>(e), Some(EnforcedPause {})),
        ),
        (
            "sustained",
            |vm, _| {
                mock_static(
                    vm,
                    FC,
                    &IFlashContainment::checkDeviationCall { pool: POOL },
                    (i(40), false).abi_encode_params(),
                );
                mock_static(
                    vm,
                    FC,
                    &IFlashContainment::sustainedCall { pool: POOL },
                    (false, 1i8, 2u64).abi_encode_params(),
                );
            },
            |e| matches!(is::<DeviationNotSustained>(e), Some(DeviationNotSustained { streak: 2, .. })),
        ),
        (
            "spike",
            |vm, _| {
                mock_static(
                    vm,
                    FC,
                    &IFlashContainment::checkDeviationCall { pool: POOL },
                    (i(900), false).abi_encode_params(),
                );
                mock_static(
                    vm,
                    FC,
                    &IFlashContainment::sustainedCall { pool: POOL },
                    (false, 1i8, 1u64).abi_encode_params(),
                );
            },
            |e| matches!(is::<SingleBlockSpike>(e), Some(SingleBlockSpike { .. })),
        ),
        (
            "direction",
            |vm, _| {
                mock_static(
                    vm,
                    FC,
                    &IFlashContainment::checkDeviationCall { pool: POOL },
                    (i(-40), true).abi_encode_params(),
                );
            },
            |e| matches!(is::<WrongDirection>(e), Some(WrongDirection { tokenIn: BASE, .. })),
        ),
        (
            "stale oracle",
            |vm, _| {
                let old = U256::from(NOW - 3_601);
                mock_static(vm, ORACLE, &IPriceOracle::latestPriceCall {}, (u(E18), old).abi_encode_params());
            },
            |e| matches!(is::<StaleOracle>(e), Some(StaleOracle { maxOracleAge: 3_600, .. })),
        ),
        (
            "oracle zero",
            |vm, _| {
                mock_static(
                    vm,
                    ORACLE,
                    &IPriceOracle::latestPriceCall {},
                    (U256::ZERO, U256::from(NOW)).abi_encode_params(),
                );
            },
            |e| matches!(is::<OracleFailed>(e), Some(OracleFailed { oracle: ORACLE })),
        ),
        (
            "too large",
            |vm, _| {
                mock_static(
                    vm,
                    FC,
                    &IFlashContainment::remainingVolumeCall { pool: POOL },
                    u(99 * E18).abi_encode(),
                );
            },
            |e| matches!(is::<TradeTooLarge>(e), Some(TradeTooLarge { .. })),
        ),
        (
            "k·dev",
            |vm, c| {
                vm.set_sender(ADMIN);
                // k·|dev| = 20,000 × 40 bps = 80 < 100.
                c.set_parameters(2, u(20_000 * E18), 50, u(10), 3_600).unwrap();
                vm.set_sender(KEEPER);
            },
            |e| matches!(is::<TradeTooLarge>(e), Some(TradeTooLarge { .. })),
        ),
        (
            "spot below the peg",
            |vm, _| {
                // TWAP +40 bps says sell base, but the spot mid is below the peg.
                mock_static(vm, POOL, &IDODOPool::getMidPriceCall {}, u(999 * E18 / 1_000).abi_encode());
            },
            |e| matches!(is::<WrongDirection>(e), Some(WrongDirection { tokenIn: BASE, .. })),
        ),
        (
            "spot moved toward the peg since the observation",
            |vm, _| {
                // Observed +40 bps; the spot is now +39 bps, one unit below
                // the 1 bps allowance (a front-run did part of the correction).
                mock_static(vm, POOL, &IDODOPool::getMidPriceCall {}, u(1_0039 * E18 / 10_000).abi_encode());
            },
            |e| matches!(is::<WrongDirection>(e), Some(WrongDirection { tokenIn: BASE, .. })),
        ),
        (
            "reserve",
            |vm, _| {
                mock_call(
                    vm,
                    SIZER,
                    &IReserveSizer::canReleaseCall { asset: BASE, amount: u(100 * E18) },
                    false.abi_encode(),
                );
            },
            |e| matches!(is::<ReserveReleaseRefused>(e), Some(ReserveReleaseRefused { token: BASE, .. })),
        ),
        (
            "float",
            |vm, _| {
                mock_static(vm, BASE, &IERC20::balanceOfCall { account: ME }, u(E18).abi_encode());
            },
            |e| is::<InsufficientFloat>(e).is_some(),
        ),
        (
            "containment down",
            |vm, _| {
                vm.mock_static_call(
                    FC,
                    IFlashContainment::checkDeviationCall { pool: POOL }.abi_encode(),
                    Err(vec![1]),
                );
            },
            |e| matches!(is::<ExternalCallFailed>(e), Some(ExternalCallFailed { target: FC })),
        ),
        (
            "token off peg",
            |vm, c| {
                vm.set_sender(ADMIN);
                c.set_peg_managers(PEGS, Address::ZERO, 1, 1, 50).unwrap();
                vm.set_sender(KEEPER);
                mock_static(
                    vm,
                    PEGS,
                    &IStablecoinPegManager::getDeviationBpsCall { asset: BASE },
                    i(-300).abi_encode(),
                );
                mock_static(
                    vm,
                    PEGS,
                    &IStablecoinPegManager::isPeggedCall { asset: BASE },
                    false.abi_encode(),
                );
                mock_static(
                    vm,
                    PEGS,
                    &IStablecoinPegManager::getDeviationBpsCall { asset: QUOTE },
                    i(0).abi_encode(),
                );
                mock_static(
                    vm,
                    PEGS,
                    &IStablecoinPegManager::isPeggedCall { asset: QUOTE },
                    true.abi_encode(),
                );
            },
            |e| matches!(is::<TokenOffPeg>(e), Some(TokenOffPeg { token: BASE, .. })),
        ),
        (
            "managers disagree",
            |vm, c| {
                vm.set_sender(ADMIN);
                c.set_peg_managers(PEGS, Address::ZERO, 1, 1, 5_000).unwrap();
                vm.set_sender(KEEPER);
                // The quote token is 40 bps down: the pool's +40 is explained.
                mock_static(
                    vm,
                    PEGS,
                    &IStablecoinPegManager::getDeviationBpsCall { asset: BASE },
                    i(0).abi_encode(),
                );
                mock_static(
                    vm,
                    PEGS,
                    &IStablecoinPegManager::isPeggedCall { asset: BASE },
                    true.abi_encode(),
                );
                mock_static(
                    vm,
                    PEGS,
                    &IStablecoinPegManager::getDeviationBpsCall { asset: QUOTE },
                    i(-40).abi_encode(),
                );
                mock_static(
                    vm,
                    PEGS,
                    &IStablecoinPegManager::isPeggedCall { asset: QUOTE },
                    true.abi_encode(),
                );
            },
            |e| matches!(is::<PegManagerDisagrees>(e), Some(PegManagerDisagrees { .. })),
        ),
    ];
    for (name, arrange, expect) in cases {
        let (vm, mut c) = setup();
        happy_market(&vm, size);
        vm.set_sender(KEEPER);
        arrange(&vm, &mut c);
        let e = refused(&vm, || c.execute_private_swap(size, BASE, QUOTE));
        assert!(expect(&e), "{name}: unexpected {e:?}");
    }
    // Zero size, unknown pair.
    let (vm, mut c) = setup();
    happy_market(&vm, size);
    vm.set_sender(KEEPER);
    let e = refused(&vm, || c.execute_private_swap(U256::ZERO, BASE, QUOTE));
    assert!(matches!(is::<ZeroAmount>(&e), Some(ZeroAmount {})));
    let e = refused(&vm, || c.execute_private_swap(size, QUOTE, Address::repeat_byte(9)));
    assert!(matches!(is::<UnknownTokenPair>(&e), Some(UnknownTokenPair { .. })));
}

#[test]
fn roles_are_reported() {
    let (_, c) = setup();
    assert!(c.has_role(KEEPER_ROLE, KEEPER));
    assert!(c.has_role(ADMIN_ROLE, ADMIN));
    assert!(!c.has_role(ADMIN_ROLE, DEPLOYER));
    assert_eq!(c.keeper_role(), KEEPER_ROLE);
    assert_eq!(c.guardian_role(), GUARDIAN_ROLE);
    assert_eq!(c.contracts()[1], BASE);
    assert_eq!(c.parameters()[0], U256::from(2));
    let _: B256 = KEEPER_ROLE;
}

/// The hand-written encoders give the bytes the `sol!` types give.
#[test]
fn hand_encodings_match_sol() {
    for length in [0u8, 5, 32, 33, 64] {
        let reason: Vec<u8> = (0..length).collect();
        let expected = MeshSwapFailed { reason: reason.clone().into() }.abi_encode();
        assert_eq!(crate::mesh_failed(&reason).data(), expected.as_slice());
    }
    for deviation in [-40, 0, 7, i32::MIN, i32::MAX] {
        let expected = WrongDirection { deviationBps: I256::try_from(deviation).unwrap(), tokenIn: BASE };
        assert_eq!(crate::wrong_direction(deviation, BASE).data(), expected.abi_encode().as_slice());
    }
    let expected = AccessControlUnauthorizedAccount { account: GUARDIAN, neededRole: KEEPER_ROLE };
    assert_eq!(crate::unauthorized(GUARDIAN, KEEPER_ROLE).data(), expected.abi_encode().as_slice());
    let expected = ParameterOutOfRange { parameter: 3, value: u(7), min: u(8), max: U256::MAX };
    let e = crate::check_wide(3, u(7), (u(8), U256::MAX)).unwrap_err();
    assert_eq!(e.data(), expected.abi_encode().as_slice());
}

/// `(public leg output, mid price after, expected error)`.
type PostCase = (u128, u128, fn(&Error) -> bool);

/// The checks after the public leg (slippage, overshoot, widening) refuse
/// with their named errors; on chain the whole transaction reverts
/// (`TestVM` keeps the partial writes, so only the errors are checked here).
#[test]
fn post_trade_checks_refuse() {
    let size = u(100 * E18);
    let swap = IPrivateMeshPool::swapCall {
        tokenIn: QUOTE,
        tokenOut: BASE,
        amountIn: u(101 * E18),
        minAmountOut: u(100_495 * E18 / 1_000),
        to: ME,
    };
    let cases: [PostCase; 4] = [
        (99 * E18, 1_002 * E18 / 1_000, |e| is::<SlippageExceeded>(e).is_some()),
        (101 * E18, 999 * E18 / 1_000, |e| is::<PegOvershoot>(e).is_some()),
        (101 * E18, 1_005 * E18 / 1_000, |e| is::<WrongDirection>(e).is_some()),
        (101 * E18, E18, |e| e.data().is_empty()),
    ];
    for (out, mid_after, expect) in cases {
        let (vm, mut c) = setup();
        happy_market(&vm, size);
        mock_call(&vm, POOL, &IDODOPool::sellBaseCall { to: ME }, u(out).abi_encode());
        mock_call(&vm, MESH, &swap, u(100 * E18).abi_encode());
        mock_call(&vm, POOL, &IDODOPool::getMidPriceCall {}, u(mid_after).abi_encode());
        vm.set_sender(KEEPER);
        match c.execute_private_swap(size, BASE, QUOTE) {
            Ok(()) => assert!(expect(&Error(Vec::new())), "mid {mid_after}: accepted"),
            Err(e) => assert!(expect(&e), "out {out}, mid {mid_after}: unexpected {e:?}"),
        }
    }
}

/// The hand-written router answers as the `sol!` interface encodes, and
/// refuses unknown selectors and malformed arguments with no data.
#[test]
fn router_matches_the_interface() {
    use crate::abi::IStabilizer as I;
    let (vm, mut c) = setup();
    happy_market(&vm, u(100 * E18));
    let answer = c.route_call(&I::checkDeviationCall {}.abi_encode()).unwrap();
    assert_eq!(answer, (i(40), true).abi_encode_params());
    let answer = c.route_call(&I::hasRoleCall { role: KEEPER_ROLE, account: KEEPER }.abi_encode()).unwrap();
    assert_eq!(answer, true.abi_encode());
    let answer = c.route_call(&I::KEEPER_ROLECall {}.abi_encode()).unwrap();
    assert_eq!(answer, KEEPER_ROLE.abi_encode());
    let answer = c.route_call(&I::contractsCall {}.abi_encode()).unwrap();
    assert_eq!(answer, c.contracts().abi_encode());
    let answer = c.route_call(&I::parametersCall {}.abi_encode()).unwrap();
    assert_eq!(answer, c.parameters().abi_encode());
    let cap = IReserveSizer::canReleaseCall { asset: BASE, amount: u(1_000 * E18) };
    mock_call(&vm, SIZER, &cap, true.abi_encode());
    let answer = c.route_call(&I::keeperTradeCall {}.abi_encode()).unwrap();
    assert_eq!(answer, c.keeper_trade().unwrap().abi_encode_params());
    // A refusal carries the error's encoding.
    vm.set_sender(STRANGER);
    let call = I::executePrivateSwap_0Call { tradeSize: u(1), tokenIn: BASE, tokenOut: QUOTE };
    let refusal = c.route_call(&call.abi_encode()).unwrap_err();
    assert!(is::<AccessControlUnauthorizedAccount>(&Error(refusal)).is_some());
    // Unknown selector, short and malformed arguments: no data.
    assert_eq!(c.route_call(&[1, 2, 3, 4]), Err(Vec::new()));
    assert_eq!(c.route_call(&[1, 2]), Err(Vec::new()));
    let mut short = I::setDirectionEnabledCall { tokenIn: BASE, enabled: true }.abi_encode();
    short.truncate(40);
    assert_eq!(c.route_call(&short), Err(Vec::new()));
    let mut dirty = I::setDirectionEnabledCall { tokenIn: BASE, enabled: true }.abi_encode();
    dirty[4] = 1; // an address with a high byte set
    assert_eq!(c.route_call(&dirty), Err(Vec::new()));
    let mut not_bool = I::setDirectionEnabledCall { tokenIn: BASE, enabled: true }.abi_encode();
    not_bool[67] = 2;
    assert_eq!(c.route_call(&not_bool), Err(Vec::new()));
    // Arguments reach the method: the admin disables selling base.
    vm.set_sender(ADMIN);
    let call = I::setDirectionEnabledCall { tokenIn: BASE, enabled: false };
    assert_eq!(c.route_call(&call.abi_encode()), Ok(Vec::new()));
    assert!(c.parameters()[8].is_zero());
}

/// The packed words (the pool's word with the gate, FlashContainment's
/// with the settings, `k` with `maxGasPrice`) keep every other field
/// through each setter, and the pause flag's mirror follows `Roles`'.
#[test]
fn packed_words_keep_each_others_fields() {
    let (vm, mut c) = setup();
    let expected = |c: &Stabilizer, peg: u64, base_kind: u64, sell_base: u64, sell_quote: u64| {
        let p = c.parameters();
        let want = [2, 0, 50, 0, 3_600, peg, base_kind, 0, sell_base, sell_quote, 0];
        for (index, value) in want.iter().enumerate() {
            if index != 1 && index != 3 {
                assert_eq!(p[index], U256::from(*value), "parameter {index}");
            }
        }
        assert_eq!((p[1], p[3]), (u(K), u(10_000_000_000)));
        assert_eq!(c.contracts()[..7], [POOL, BASE, QUOTE, FC, MESH, SIZER, ORACLE]);
    };
    expected(&c, 5_000, 0, 1, 1);
    c.set_peg_managers(PEGS, Address::ZERO, 1, 0, 120).unwrap();
    expected(&c, 120, 1, 1, 1);
    c.set_direction_enabled(QUOTE, false).unwrap();
    expected(&c, 120, 1, 1, 0);
    c.set_contracts(POOL, FC, MESH, SIZER, ORACLE).unwrap();
    expected(&c, 120, 1, 1, 0);
    vm.set_sender(GUARDIAN);
    c.pause().unwrap();
    assert!(c.paused());
    expected(&c, 120, 1, 1, 0);
    vm.set_sender(KEEPER);
    let e = refused(&vm, || c.keeper_trade());
    assert_eq!(e.data(), EnforcedPause {}.abi_encode());
    vm.set_sender(ADMIN);
    c.unpause().unwrap();
    assert!(!c.paused());
    c.set_parameters(2, u(K), 50, u(10_000_000_000), 3_600).unwrap();
    expected(&c, 120, 1, 1, 0);
    // The widest values fit their fields.
    let wide = U256::MAX >> 128;
    c.set_parameters(10_000, wide, 1_000, wide, 86_400).unwrap();
    let p = c.parameters();
    assert_eq!(
        [p[0], p[1], p[2], p[3], p[4]],
        [U256::from(10_000), wide, U256::from(1_000), wide, U256::from(86_400)]
    );
    assert_eq!(c.contracts()[0], POOL);
    assert_eq!(c.contracts()[3], FC);
}
