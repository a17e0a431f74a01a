//! Native unit tests of the `ReserveSizer`, run against stylus-sdk's `TestVM`.
//!
//! Calls go through the [`IReserveSizer`] methods, or through
//! [`ReserveSizer::route_call`] with ABI-encoded calldata to test the
//! dispatcher and its codec against the `sol!` declaration byte for byte.
//! `TestVM` does not roll back a refused call, so every refusal is checked
//! with [`refused`]: the call must fail **before** it writes storage or
//! emits an event.

use alloy_primitives::{hex, keccak256, Address, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue};
use stylus_sdk::testing::TestVM;
use vault_bindings::IERC20;

use crate::abi::IReserveSizer as I;
use crate::{
    AccessControlBadConfirmation, AccessControlUnauthorizedAccount, AmountTooLarge, ArithmeticOverflow,
    AssetConfigured, BalanceQueryFailed, BucketConfigured, EnforcedPause, Error, ExpectedPause,
    IReserveSizer, InvalidFrequency, OutflowRecorded, ParameterOutOfRange, Paused, ReleaseBelowRequired,
    ReleaseRecorded, ReserveSizer, RoleGranted, RoleRevoked, UnknownAsset, UnknownBucket, Unpaused,
    ZeroAddress, ZeroAmount, ADMIN_ROLE, GUARDIAN_ROLE, MAX_OUTFLOW, REPORTER_ROLE,
};

const DEPLOYER: Address = Address::repeat_byte(0xD0);
const ADMIN: Address = Address::repeat_byte(0xAD);
const REPORTER: Address = Address::repeat_byte(0x2E);
const GUARDIAN: Address = Address::repeat_byte(0x6A);
const STRANGER: Address = Address::repeat_byte(0x55);
const ASSET: Address = Address::repeat_byte(0xA5);
const OTHER_ASSET: Address = Address::repeat_byte(0xA6);
const HOLDER: Address = Address::repeat_byte(0x40);
const BRIDGE_HOLDER: Address = Address::repeat_byte(0xB4);
const BUCKET_HOLDER: Address = Address::repeat_byte(0xBC);

/// `T` of the default configuration (§7: 5 minutes).
const WINDOW: u64 = 5;
/// 1× safety.
const SAFETY_1X: u64 = 10_000;
/// Bridge latency of the default configuration, in seconds.
const LATENCY: u64 = 30;
/// Peak window of the default configuration, in minutes.
const PEAK_WINDOW: u64 = 60;
/// A minute that starts an aligned 60-minute window (28,333,320 = 472,222 × 60).
const START: u64 = 28_333_320;

/// An emitted log: `(topics, data)`, as `TestVM` keeps it.
type Log = (Vec<B256>, Vec<u8>);

fn u(value: u64) -> U256 {
    U256::from(value)
}

/// The log `event` encodes to.
fn log_of<E: SolEvent>(event: &E) -> Log {
    let data = event.encode_log_data();
    (data.topics().to_vec(), data.data.to_vec())
}

fn as_caller(vm: &TestVM, account: Address) {
    vm.set_sender(account);
}

/// Sets the block time to second `second` of minute `minute`.
fn at(vm: &TestVM, minute: u64, second: u64) {
    vm.set_block_timestamp(minute * 60 + second);
}

fn mock_balance(vm: &TestVM, token: Address, holder: Address, amount: u64) {
    let call = IERC20::balanceOfCall { account: holder }.abi_encode();
    vm.mock_static_call(token, call, Ok(u(amount).abi_encode()));
}

fn mock_balance_revert(vm: &TestVM, token: Address, holder: Address) {
    let call = IERC20::balanceOfCall { account: holder }.abi_encode();
    vm.mock_static_call(token, call, Err(b"no balance for you".to_vec()));
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

/// Asserts that an [`Error`]'s revert data is exactly the ABI encoding of
/// `$expected`, a `sol!` error.
macro_rules! assert_err {
    ($error:expr, $expected:expr) => {
        assert_eq!($error.data(), SolError::abi_encode(&$expected).as_slice())
    };
}

fn unauthorized(account: Address, role: B256) -> AccessControlUnauthorizedAccount {
    AccessControlUnauthorizedAccount { account, neededRole: role }
}

/// Deployed by `DEPLOYER` with `ADMIN` as admin; `REPORTER` and `GUARDIAN`
/// hold their roles. The block time is `START`; the sender is `ADMIN`; no
/// log is kept.
fn setup() -> (TestVM, ReserveSizer) {
    let vm = TestVM::default();
    let mut contract = ReserveSizer::from(&vm);
    as_caller(&vm, DEPLOYER);
    contract.constructor(ADMIN).unwrap();
    as_caller(&vm, ADMIN);
    contract.grant_role(REPORTER_ROLE, REPORTER).unwrap();
    contract.grant_role(GUARDIAN_ROLE, GUARDIAN).unwrap();
    at(&vm, START, 0);
    vm.clear_mocks();
    (vm, contract)
}

/// [`setup`] with `ASSET` configured: `T` = 5, 1× safety, 30 s latency,
/// 60-minute peak window.
fn setup_with_asset() -> (TestVM, ReserveSizer) {
    let (vm, mut contract) = setup();
    configure(&mut contract, WINDOW, SAFETY_1X, PEAK_WINDOW);
    vm.clear_mocks();
    (vm, contract)
}

/// Configures `ASSET` as `ADMIN` (the caller must already be `ADMIN`).
fn configure(contract: &mut ReserveSizer, window: u64, safety_bps: u64, peak_window: u64) {
    contract.configure_asset(ASSET, HOLDER, BRIDGE_HOLDER, window, safety_bps, LATENCY, peak_window).unwrap();
}

/// Records an outflow of `ASSET` as `REPORTER`.
fn record(vm: &TestVM, contract: &mut ReserveSizer, amount: u64) {
    as_caller(vm, REPORTER);
    contract.record_outflow(ASSET, u(amount)).unwrap();
}

/// Records a bridge outflow of `ASSET` as `REPORTER`.
fn record_bridge(vm: &TestVM, contract: &mut ReserveSizer, amount: u64) {
    as_caller(vm, REPORTER);
    contract.record_bridge_outflow(ASSET, u(amount)).unwrap();
}

fn peak(contract: &ReserveSizer) -> U256 {
    contract.peak_minute_outflow(ASSET).unwrap()
}

/// The bridge buffer required now (`ceil(P_bridge × 30 s / 60 s)` with the
/// default latency), read through `bridgeBufferStatus` with a zero balance.
fn bridge_required(vm: &TestVM, contract: &ReserveSizer) -> U256 {
    mock_balance(vm, ASSET, BRIDGE_HOLDER, 0);
    contract.bridge_buffer_status(ASSET).unwrap().0
}

fn outflow_event(bridge: bool, minute: u64, amount: u64, minute_total: u64, peak: u64) -> OutflowRecorded {
    OutflowRecorded {
        asset: ASSET,
        reporter: REPORTER,
        bridge,
        minute,
        amount: u(amount),
        minuteTotal: u(minute_total),
        peak: u(peak),
    }
}

// ---------------------------------------------------------------- constructor

#[test]
fn constructor_grants_admin_role_to_admin_not_deployer() {
    let vm = TestVM::default();
    let mut contract = ReserveSizer::from(&vm);
    as_caller(&vm, DEPLOYER);
    let granted = RoleGranted { role: ADMIN_ROLE, account: ADMIN, sender: DEPLOYER };
    succeeds(&vm, &[log_of(&granted)], || contract.constructor(ADMIN));
    assert_eq!(ADMIN_ROLE, B256::ZERO);
    assert!(contract.has_role(ADMIN_ROLE, ADMIN));
    assert!(!contract.has_role(ADMIN_ROLE, DEPLOYER));
    assert!(!contract.has_role(REPORTER_ROLE, ADMIN));
    assert!(!contract.has_role(GUARDIAN_ROLE, ADMIN));
    assert!(!contract.paused());
    // The deployer cannot act as admin.
    let error = refused(&vm, || contract.grant_role(REPORTER_ROLE, DEPLOYER));
    assert_err!(error, unauthorized(DEPLOYER, ADMIN_ROLE));
}

#[test]
fn constructor_rejects_zero_admin() {
    let vm = TestVM::default();
    let mut contract = ReserveSizer::from(&vm);
    as_caller(&vm, DEPLOYER);
    assert_err!(refused(&vm, || contract.constructor(Address::ZERO)), ZeroAddress {});
    assert!(vm.snapshot().storage.is_empty());
    assert!(!contract.has_role(ADMIN_ROLE, Address::ZERO));
    assert!(!contract.has_role(ADMIN_ROLE, DEPLOYER));
}

#[test]
fn role_identifiers_are_keccak_of_their_names() {
    let (_vm, contract) = setup();
    // alloy's software keccak (tests only) against a known vector.
    let empty = "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470";
    assert_eq!(keccak256(b""), empty.parse::<B256>().unwrap());
    assert_eq!(REPORTER_ROLE, keccak256(b"REPORTER_ROLE"));
    assert_eq!(GUARDIAN_ROLE, keccak256(b"GUARDIAN_ROLE"));
    assert_eq!(contract.reporter_role(), REPORTER_ROLE);
    assert_eq!(contract.guardian_role(), GUARDIAN_ROLE);
}

// ---------------------------------------------------------------------- roles

#[test]
fn admin_grants_and_revokes_roles_with_events() {
    let (vm, mut contract) = setup();
    assert!(!contract.has_role(REPORTER_ROLE, STRANGER));
    let granted = RoleGranted { role: REPORTER_ROLE, account: STRANGER, sender: ADMIN };
    succeeds(&vm, &[log_of(&granted)], || contract.grant_role(REPORTER_ROLE, STRANGER));
    assert!(contract.has_role(REPORTER_ROLE, STRANGER));
    assert!(!contract.has_role(GUARDIAN_ROLE, STRANGER));

    // Granting a held role and revoking a missing one succeed silently.
    succeeds(&vm, &[], || contract.grant_role(REPORTER_ROLE, STRANGER));
    succeeds(&vm, &[], || contract.revoke_role(GUARDIAN_ROLE, STRANGER));
    assert!(contract.has_role(REPORTER_ROLE, STRANGER));

    let revoked = RoleRevoked { role: REPORTER_ROLE, account: STRANGER, sender: ADMIN };
    succeeds(&vm, &[log_of(&revoked)], || contract.revoke_role(REPORTER_ROLE, STRANGER));
    assert!(!contract.has_role(REPORTER_ROLE, STRANGER));

    // A second admin can administer roles too.
    let granted = RoleGranted { role: ADMIN_ROLE, account: STRANGER, sender: ADMIN };
    succeeds(&vm, &[log_of(&granted)], || contract.grant_role(ADMIN_ROLE, STRANGER));
    as_caller(&vm, STRANGER);
    let revoked = RoleRevoked { role: GUARDIAN_ROLE, account: GUARDIAN, sender: STRANGER };
    succeeds(&vm, &[log_of(&revoked)], || contract.revoke_role(GUARDIAN_ROLE, GUARDIAN));
    assert!(!contract.has_role(GUARDIAN_ROLE, GUARDIAN));
}

#[test]
fn non_admin_cannot_grant_or_revoke_roles() {
    let (vm, mut contract) = setup();
    for caller in [REPORTER, GUARDIAN, STRANGER, DEPLOYER] {
        as_caller(&vm, caller);
        let error = refused(&vm, || contract.grant_role(REPORTER_ROLE, STRANGER));
        assert_err!(error, unauthorized(caller, ADMIN_ROLE));
        let error = refused(&vm, || contract.grant_role(ADMIN_ROLE, caller));
        assert_err!(error, unauthorized(caller, ADMIN_ROLE));
        let error = refused(&vm, || contract.revoke_role(REPORTER_ROLE, REPORTER));
        assert_err!(error, unauthorized(caller, ADMIN_ROLE));
        let error = refused(&vm, || contract.revoke_role(ADMIN_ROLE, ADMIN));
        assert_err!(error, unauthorized(caller, ADMIN_ROLE));
    }
    assert!(!contract.has_role(REPORTER_ROLE, STRANGER));
    assert!(contract.has_role(REPORTER_ROLE, REPORTER));
    assert!(contract.has_role(GUARDIAN_ROLE, GUARDIAN));
    assert!(contract.has_role(ADMIN_ROLE, ADMIN));
    for caller in [REPORTER, GUARDIAN, STRANGER, DEPLOYER] {
        assert!(!contract.has_role(ADMIN_ROLE, caller));
    }
}

#[test]
fn holders_renounce_their_roles_with_events() {
    let (vm, mut contract) = setup_with_asset();
    as_caller(&vm, REPORTER);
    let revoked = RoleRevoked { role: REPORTER_ROLE, account: REPORTER, sender: REPORTER };
    succeeds(&vm, &[log_of(&revoked)], || contract.renounce_role(REPORTER_ROLE, REPORTER));
    assert!(!contract.has_role(REPORTER_ROLE, REPORTER));
    let error = refused(&vm, || contract.record_outflow(ASSET, u(1)));
    assert_err!(error, unauthorized(REPORTER, REPORTER_ROLE));
    // Renouncing a role one does not hold succeeds silently.
    succeeds(&vm, &[], || contract.renounce_role(REPORTER_ROLE, REPORTER));

    // The admin can renounce administration, and is then refused.
    as_caller(&vm, ADMIN);
    let revoked = RoleRevoked { role: ADMIN_ROLE, account: ADMIN, sender: ADMIN };
    succeeds(&vm, &[log_of(&revoked)], || contract.renounce_role(ADMIN_ROLE, ADMIN));
    assert!(!contract.has_role(ADMIN_ROLE, ADMIN));
    let error = refused(&vm, || contract.grant_role(REPORTER_ROLE, REPORTER));
    assert_err!(error, unauthorized(ADMIN, ADMIN_ROLE));
    let error = refused(&vm, || contract.configure_asset(ASSET, HOLDER, BRIDGE_HOLDER, 1, SAFETY_1X, 1, 1));
    assert_err!(error, unauthorized(ADMIN, ADMIN_ROLE));
}

#[test]
fn renounce_with_wrong_confirmation_is_refused() {
    let (vm, mut contract) = setup();
    as_caller(&vm, REPORTER);
    let error = refused(&vm, || contract.renounce_role(REPORTER_ROLE, ADMIN));
    assert_err!(error, AccessControlBadConfirmation {});
    let error = refused(&vm, || contract.renounce_role(REPORTER_ROLE, Address::ZERO));
    assert_err!(error, AccessControlBadConfirmation {});
    // Not even the admin renounces on someone else's behalf.
    as_caller(&vm, ADMIN);
    let error = refused(&vm, || contract.renounce_role(REPORTER_ROLE, REPORTER));
    assert_err!(error, AccessControlBadConfirmation {});
    let error = refused(&vm, || contract.renounce_role(GUARDIAN_ROLE, GUARDIAN));
    assert_err!(error, AccessControlBadConfirmation {});
    assert!(contract.has_role(REPORTER_ROLE, REPORTER));
    assert!(contract.has_role(GUARDIAN_ROLE, GUARDIAN));
    assert!(contract.has_role(ADMIN_ROLE, ADMIN));
}

// ------------------------------------------------------------- configureAsset

#[test]
fn configure_asset_stores_parameters_and_emits_event() {
    let (vm, mut contract) = setup();
    let configured = AssetConfigured {
        asset: ASSET,
        holder: HOLDER,
        bridgeHolder: BRIDGE_HOLDER,
        windowMinutes: 5,
        safetyBps: 30_000,
        bridgeLatencySeconds: 30,
        peakWindowMinutes: 60,
    };
    succeeds(&vm, &[log_of(&configured)], || {
        contract.configure_asset(ASSET, HOLDER, BRIDGE_HOLDER, 5, 30_000, 30, 60)
    });
    assert_eq!(contract.asset_config(ASSET).unwrap(), (HOLDER, BRIDGE_HOLDER, 5, 30_000, 30, 60));
    assert_err!(contract.asset_config(OTHER_ASSET).unwrap_err(), UnknownAsset { asset: OTHER_ASSET });

    // Reconfiguring overwrites every field.
    let configured = AssetConfigured {
        asset: ASSET,
        holder: STRANGER,
        bridgeHolder: HOLDER,
        windowMinutes: 7,
        safetyBps: 12_345,
        bridgeLatencySeconds: 90,
        peakWindowMinutes: 15,
    };
    succeeds(&vm, &[log_of(&configured)], || {
        contract.configure_asset(ASSET, STRANGER, HOLDER, 7, 12_345, 90, 15)
    });
    assert_eq!(contract.asset_config(ASSET).unwrap(), (STRANGER, HOLDER, 7, 12_345, 90, 15));
}

#[test]
fn configure_asset_requires_admin() {
    let (vm, mut contract) = setup_with_asset();
    for caller in [REPORTER, GUARDIAN, STRANGER, DEPLOYER] {
        as_caller(&vm, caller);
        let error = refused(&vm, || contract.configure_asset(ASSET, STRANGER, STRANGER, 1, 20_000, 1, 1));
        assert_err!(error, unauthorized(caller, ADMIN_ROLE));
        let error = refused(&vm, || contract.configure_asset(OTHER_ASSET, HOLDER, HOLDER, 1, 20_000, 1, 1));
        assert_err!(error, unauthorized(caller, ADMIN_ROLE));
    }
    assert_eq!(contract.asset_config(ASSET).unwrap(), (HOLDER, BRIDGE_HOLDER, 5, SAFETY_1X, 30, 60));
    assert_err!(contract.asset_config(OTHER_ASSET).unwrap_err(), UnknownAsset { asset: OTHER_ASSET });
}

#[test]
fn configure_asset_rejects_zero_addresses() {
    let (vm, mut contract) = setup_with_asset();
    let zero = Address::ZERO;
    for (asset, holder, bridge_holder) in [
        (zero, HOLDER, BRIDGE_HOLDER),
        (ASSET, zero, BRIDGE_HOLDER),
        (ASSET, HOLDER, zero),
        (OTHER_ASSET, zero, BRIDGE_HOLDER),
        (OTHER_ASSET, HOLDER, zero),
    ] {
        let error = refused(&vm, || contract.configure_asset(asset, holder, bridge_holder, 1, 20_000, 1, 1));
        assert_err!(error, ZeroAddress {});
    }
    assert_eq!(contract.asset_config(ASSET).unwrap(), (HOLDER, BRIDGE_HOLDER, 5, SAFETY_1X, 30, 60));
    assert_err!(contract.asset_config(OTHER_ASSET).unwrap_err(), UnknownAsset { asset: OTHER_ASSET });
    assert_err!(contract.asset_config(zero).unwrap_err(), UnknownAsset { asset: zero });
}

#[test]
fn configure_asset_rejects_each_parameter_out_of_range() {
    let (vm, mut contract) = setup_with_asset();
    let valid = [5, SAFETY_1X, LATENCY, PEAK_WINDOW];
    // (parameter, min, max): T, safety, bridge latency, peak window.
    let ranges: [(u8, u64, u64); 4] =
        [(0, 1, 1_440), (1, 10_000, 1_000_000), (2, 1, 604_800), (3, 1, 10_080)];
    for (parameter, min, max) in ranges {
        for value in [min - 1, max + 1, u64::MAX] {
            let mut params = [2, 20_000, 2, 2];
            params[usize::from(parameter)] = value;
            for asset in [ASSET, OTHER_ASSET] {
                let error = refused(&vm, || {
                    contract.configure_asset(
                        asset, STRANGER, STRANGER, params[0], params[1], params[2], params[3],
                    )
                });
                assert_err!(error, ParameterOutOfRange { parameter, value, min, max });
            }
        }
    }
    let stored = contract.asset_config(ASSET).unwrap();
    assert_eq!(stored, (HOLDER, BRIDGE_HOLDER, valid[0], valid[1], valid[2], valid[3]));
    assert_err!(contract.asset_config(OTHER_ASSET).unwrap_err(), UnknownAsset { asset: OTHER_ASSET });
}

#[test]
fn configure_asset_accepts_boundary_values() {
    let (vm, mut contract) = setup();
    for (window, safety, latency, peak_window) in
        [(1, 10_000, 1, 1), (1_440, 1_000_000, 604_800, 10_080), (1, 1_000_000, 1, 10_080)]
    {
        let configured = AssetConfigured {
            asset: ASSET,
            holder: HOLDER,
            bridgeHolder: BRIDGE_HOLDER,
            windowMinutes: window,
            safetyBps: safety,
            bridgeLatencySeconds: latency,
            peakWindowMinutes: peak_window,
        };
        succeeds(&vm, &[log_of(&configured)], || {
            contract.configure_asset(ASSET, HOLDER, BRIDGE_HOLDER, window, safety, latency, peak_window)
        });
        let expected = (HOLDER, BRIDGE_HOLDER, window, safety, latency, peak_window);
        assert_eq!(contract.asset_config(ASSET).unwrap(), expected);
    }
}

#[test]
fn admin_can_configure_while_paused() {
    let (vm, mut contract) = setup_with_asset();
    as_caller(&vm, GUARDIAN);
    contract.pause().unwrap();
    as_caller(&vm, ADMIN);
    contract.configure_asset(ASSET, HOLDER, BRIDGE_HOLDER, 10, 20_000, 60, 30).unwrap();
    assert_eq!(contract.asset_config(ASSET).unwrap(), (HOLDER, BRIDGE_HOLDER, 10, 20_000, 60, 30));
    contract.set_bucket(ASSET, 1, u(9), BUCKET_HOLDER).unwrap();
    mock_balance(&vm, ASSET, BUCKET_HOLDER, 9);
    assert_eq!(
        contract.bucket_status(ASSET, 1).unwrap(),
        (BUCKET_HOLDER, u(9), u(9), U256::ZERO, U256::ZERO, true)
    );
    assert!(contract.paused());
}

// ------------------------------------------------------ recordOutflow (both)

#[test]
fn recording_requires_reporter_role() {
    let (vm, mut contract) = setup_with_asset();
    for caller in [ADMIN, GUARDIAN, STRANGER, DEPLOYER] {
        as_caller(&vm, caller);
        let error = refused(&vm, || contract.record_outflow(ASSET, u(100)));
        assert_err!(error, unauthorized(caller, REPORTER_ROLE));
        let error = refused(&vm, || contract.record_bridge_outflow(ASSET, u(100)));
        assert_err!(error, unauthorized(caller, REPORTER_ROLE));
    }
    assert_eq!(peak(&contract), U256::ZERO);
    assert_eq!(bridge_required(&vm, &contract), U256::ZERO);
    // Once granted the role, the stranger may record.
    as_caller(&vm, ADMIN);
    contract.grant_role(REPORTER_ROLE, STRANGER).unwrap();
    as_caller(&vm, STRANGER);
    contract.record_outflow(ASSET, u(100)).unwrap();
    assert_eq!(peak(&contract), u(100));
}

#[test]
fn recording_is_refused_while_paused() {
    let (vm, mut contract) = setup_with_asset();
    record(&vm, &mut contract, 100);
    as_caller(&vm, GUARDIAN);
    contract.pause().unwrap();
    as_caller(&vm, REPORTER);
    assert_err!(refused(&vm, || contract.record_outflow(ASSET, u(5))), EnforcedPause {});
    assert_err!(refused(&vm, || contract.record_bridge_outflow(ASSET, u(5))), EnforcedPause {});
    // A non-reporter is still refused for its role first.
    as_caller(&vm, STRANGER);
    let error = refused(&vm, || contract.record_outflow(ASSET, u(5)));
    assert_err!(error, unauthorized(STRANGER, REPORTER_ROLE));
    assert_eq!(peak(&contract), u(100));
    // After unpausing, reporting resumes.
    as_caller(&vm, ADMIN);
    contract.unpause().unwrap();
    record(&vm, &mut contract, 5);
    assert_eq!(peak(&contract), u(105));
}

#[test]
fn recording_an_unknown_asset_is_refused() {
    let (vm, mut contract) = setup_with_asset();
    as_caller(&vm, REPORTER);
    for asset in [OTHER_ASSET, Address::ZERO] {
        let error = refused(&vm, || contract.record_outflow(asset, u(5)));
        assert_err!(error, UnknownAsset { asset });
        let error = refused(&vm, || contract.record_bridge_outflow(asset, u(5)));
        assert_err!(error, UnknownAsset { asset });
    }
}

#[test]
fn recording_zero_is_refused() {
    let (vm, mut contract) = setup_with_asset();
    as_caller(&vm, REPORTER);
    assert_err!(refused(&vm, || contract.record_outflow(ASSET, U256::ZERO)), ZeroAmount {});
    assert_err!(refused(&vm, || contract.record_bridge_outflow(ASSET, U256::ZERO)), ZeroAmount {});
    assert_eq!(peak(&contract), U256::ZERO);
}

#[test]
fn recording_accepts_max_outflow_and_refuses_more() {
    let (vm, mut contract) = setup_with_asset();
    assert_eq!(MAX_OUTFLOW, U256::from(u128::MAX));
    let too_large = MAX_OUTFLOW + U256::from(1);
    as_caller(&vm, REPORTER);
    for amount in [too_large, U256::MAX] {
        let error = refused(&vm, || contract.record_outflow(ASSET, amount));
        assert_err!(error, AmountTooLarge { amount });
        let error = refused(&vm, || contract.record_bridge_outflow(ASSET, amount));
        assert_err!(error, AmountTooLarge { amount });
    }
    contract.record_outflow(ASSET, MAX_OUTFLOW).unwrap();
    assert_eq!(peak(&contract), MAX_OUTFLOW);
    contract.record_bridge_outflow(ASSET, MAX_OUTFLOW).unwrap();
    // P × T × 1× with P = 2^128 − 1 and T = 5.
    assert_eq!(contract.required_reserve(ASSET).unwrap(), MAX_OUTFLOW * u(5));
    // P_bridge × 30 s / 60 s, rounded up: (2^128 − 1) / 2 is x.5.
    assert_eq!(bridge_required(&vm, &contract), (MAX_OUTFLOW >> 1) + u(1));
}

#[test]
fn record_outflow_emits_event_with_minute_total_and_peak() {
    let (vm, mut contract) = setup_with_asset();
    as_caller(&vm, REPORTER);
    // minute = timestamp / 60, whatever the second.
    at(&vm, START + 3, 59);
    let event = outflow_event(false, START + 3, 400, 400, 400);
    succeeds(&vm, &[log_of(&event)], || contract.record_outflow(ASSET, u(400)));
    at(&vm, START + 3, 0);
    let event = outflow_event(false, START + 3, 250, 650, 650);
    succeeds(&vm, &[log_of(&event)], || contract.record_outflow(ASSET, u(250)));
    // A new minute starts a new total; the peak stays.
    at(&vm, START + 4, 1);
    let event = outflow_event(false, START + 4, 100, 100, 650);
    succeeds(&vm, &[log_of(&event)], || contract.record_outflow(ASSET, u(100)));

    // The log decodes back with the event signature as topic 0.
    let logs = vm.get_emitted_logs();
    let (topics, data) = logs.last().unwrap();
    assert_eq!(topics.len(), 4);
    assert_eq!(topics[0], OutflowRecorded::SIGNATURE_HASH);
    assert_eq!(
        OutflowRecorded::SIGNATURE,
        "OutflowRecorded(address,address,bool,uint64,uint256,uint256,uint256)"
    );
    let decoded = OutflowRecorded::decode_raw_log(topics.iter().copied(), data, true).unwrap();
    assert_eq!(
        (decoded.asset, decoded.reporter, decoded.bridge, decoded.minute),
        (ASSET, REPORTER, false, START + 4)
    );
    assert_eq!((decoded.amount, decoded.minuteTotal, decoded.peak), (u(100), u(100), u(650)));
}

#[test]
fn record_bridge_outflow_emits_event_with_bridge_flag() {
    let (vm, mut contract) = setup_with_asset();
    as_caller(&vm, REPORTER);
    at(&vm, START + 10, 30);
    let event = outflow_event(true, START + 10, 700, 700, 700);
    succeeds(&vm, &[log_of(&event)], || contract.record_bridge_outflow(ASSET, u(700)));
    let event = outflow_event(true, START + 10, 5, 705, 705);
    succeeds(&vm, &[log_of(&event)], || contract.record_bridge_outflow(ASSET, u(5)));
    let logs = vm.get_emitted_logs();
    let (topics, data) = logs.last().unwrap();
    let decoded = OutflowRecorded::decode_raw_log(topics.iter().copied(), data, true).unwrap();
    assert!(decoded.bridge);
    assert_eq!(topics[3], B256::with_last_byte(1));
    assert_eq!((decoded.minute, decoded.minuteTotal, decoded.peak), (START + 10, u(705), u(705)));
}

#[test]
fn outflow_and_bridge_streams_are_independent() {
    let (vm, mut contract) = setup_with_asset();
    record(&vm, &mut contract, 1_000);
    assert_eq!(peak(&contract), u(1_000));
    assert_eq!(bridge_required(&vm, &contract), U256::ZERO);

    // The bridge stream starts its own minute total.
    as_caller(&vm, REPORTER);
    let event = outflow_event(true, START, 300, 300, 300);
    succeeds(&vm, &[log_of(&event)], || contract.record_bridge_outflow(ASSET, u(300)));
    assert_eq!(peak(&contract), u(1_000));
    assert_eq!(bridge_required(&vm, &contract), u(150));

    let event = outflow_event(false, START, 1, 1_001, 1_001);
    succeeds(&vm, &[log_of(&event)], || contract.record_outflow(ASSET, u(1)));
    assert_eq!(bridge_required(&vm, &contract), u(150));
    assert_eq!(contract.required_reserve(ASSET).unwrap(), u(5_005));

    // Another asset's streams are untouched.
    as_caller(&vm, ADMIN);
    contract.configure_asset(OTHER_ASSET, HOLDER, BRIDGE_HOLDER, 5, SAFETY_1X, 30, 60).unwrap();
    assert_eq!(contract.peak_minute_outflow(OTHER_ASSET).unwrap(), U256::ZERO);
    assert_eq!(contract.required_reserve(OTHER_ASSET).unwrap(), U256::ZERO);
}

// --------------------------------------------------------------- rolling peak

#[test]
fn peak_accumulates_within_a_minute() {
    let (vm, mut contract) = setup_with_asset();
    at(&vm, START + 7, 0);
    record(&vm, &mut contract, 400);
    at(&vm, START + 7, 30);
    record(&vm, &mut contract, 600);
    at(&vm, START + 7, 59);
    record(&vm, &mut contract, 1);
    assert_eq!(peak(&contract), u(1_001));
    // A later, larger minute raises the peak; a smaller one does not lower it.
    at(&vm, START + 8, 0);
    record(&vm, &mut contract, 1_000);
    assert_eq!(peak(&contract), u(1_001));
    record(&vm, &mut contract, 2);
    assert_eq!(peak(&contract), u(1_002));
}

#[test]
fn peak_is_kept_for_the_next_window_and_expires_two_windows_later() {
    let (vm, mut contract) = setup_with_asset();
    at(&vm, START + 10, 0);
    record(&vm, &mut contract, 1_000);
    at(&vm, START + 11, 0);
    record(&vm, &mut contract, 300);
    for minute in [START + 11, START + 59, START + 60, START + 119] {
        at(&vm, minute, 59);
        assert_eq!(peak(&contract), u(1_000), "minute {minute}");
    }
    at(&vm, START + 120, 0);
    assert_eq!(peak(&contract), U256::ZERO);
    at(&vm, START + 1_000, 0);
    assert_eq!(peak(&contract), U256::ZERO);
}

#[test]
fn peak_rolls_through_recorded_windows() {
    let (vm, mut contract) = setup_with_asset();
    at(&vm, START, 0);
    record(&vm, &mut contract, 1_000);
    // Next window: a smaller minute; the old peak still counts.
    at(&vm, START + 60, 0);
    as_caller(&vm, REPORTER);
    let event = outflow_event(false, START + 60, 200, 200, 1_000);
    succeeds(&vm, &[log_of(&event)], || contract.record_outflow(ASSET, u(200)));
    at(&vm, START + 119, 59);
    assert_eq!(peak(&contract), u(1_000));
    // The window after: the first peak has expired, the second still counts.
    at(&vm, START + 120, 0);
    assert_eq!(peak(&contract), u(200));
    assert_eq!(contract.required_reserve(ASSET).unwrap(), u(1_000));
    at(&vm, START + 179, 0);
    assert_eq!(peak(&contract), u(200));
    at(&vm, START + 180, 0);
    assert_eq!(peak(&contract), U256::ZERO);
    // Recording after a gap of several windows starts afresh.
    at(&vm, START + 300, 0);
    as_caller(&vm, REPORTER);
    let event = outflow_event(false, START + 300, 50, 50, 50);
    succeeds(&vm, &[log_of(&event)], || contract.record_outflow(ASSET, u(50)));
}

#[test]
fn bridge_peak_rolls_like_the_outflow_peak() {
    let (vm, mut contract) = setup_with_asset();
    at(&vm, START + 5, 0);
    record_bridge(&vm, &mut contract, 600);
    record_bridge(&vm, &mut contract, 400);
    at(&vm, START + 119, 0);
    assert_eq!(bridge_required(&vm, &contract), u(500));
    at(&vm, START + 120, 0);
    assert_eq!(bridge_required(&vm, &contract), U256::ZERO);
    assert_eq!(peak(&contract), U256::ZERO);
}

/// Reconfigures `ASSET` with the default parameters but `peak_window`.
fn change_peak_window(vm: &TestVM, contract: &mut ReserveSizer, peak_window: u64) {
    as_caller(vm, ADMIN);
    configure(contract, WINDOW, SAFETY_1X, peak_window);
}

#[test]
fn peak_window_change_in_the_same_minute_keeps_the_peak() {
    let (vm, mut contract) = setup_with_asset();
    at(&vm, START + 10, 0);
    record(&vm, &mut contract, 400);
    record_bridge(&vm, &mut contract, 800);
    change_peak_window(&vm, &mut contract, 1);
    assert_eq!(peak(&contract), u(400));
    assert_eq!(bridge_required(&vm, &contract), u(400));
    // The minute keeps accumulating.
    as_caller(&vm, REPORTER);
    let event = outflow_event(false, START + 10, 600, 1_000, 1_000);
    succeeds(&vm, &[log_of(&event)], || contract.record_outflow(ASSET, u(600)));
    // It counts for one more (new, one-minute) window, then expires.
    at(&vm, START + 11, 0);
    assert_eq!(peak(&contract), u(1_000));
    assert_eq!(bridge_required(&vm, &contract), u(400));
    at(&vm, START + 12, 0);
    assert_eq!(peak(&contract), U256::ZERO);
    assert_eq!(bridge_required(&vm, &contract), U256::ZERO);
}

#[test]
fn peak_window_change_keeps_a_peak_of_an_earlier_minute() {
    let (vm, mut contract) = setup_with_asset();
    at(&vm, START + 10, 0);
    record(&vm, &mut contract, 1_000);
    record_bridge(&vm, &mut contract, 2_000);
    // In the next 60-minute window both peaks still count...
    at(&vm, START + 70, 0);
    assert_eq!(peak(&contract), u(1_000));
    assert_eq!(bridge_required(&vm, &contract), u(1_000));
    // ...and shrinking the window must not drop them.
    change_peak_window(&vm, &mut contract, 1);
    assert_eq!(peak(&contract), u(1_000));
    assert_eq!(contract.required_reserve(ASSET).unwrap(), u(5_000));
    assert_eq!(bridge_required(&vm, &contract), u(1_000));
    at(&vm, START + 71, 59);
    assert_eq!(peak(&contract), u(1_000));
    at(&vm, START + 72, 0);
    assert_eq!(peak(&contract), U256::ZERO);
    assert_eq!(bridge_required(&vm, &contract), U256::ZERO);
}

#[test]
fn peak_window_changes_never_lose_the_current_peak() {
    // For several old → new windows and minutes of the change, P right
    // after the change is P right before it.
    for (old_window, new_window, record_at, change_at) in [
        (60, 30, 10, 70),
        (60, 7, 59, 61),
        (60, 120, 10, 70),
        (5, 60, 0, 7),
        (5, 2, 3, 9),
        (7, 10_080, 6, 8),
        (10_080, 1, 0, 10_079),
    ] {
        let (vm, mut contract) = setup();
        configure(&mut contract, WINDOW, SAFETY_1X, old_window);
        at(&vm, START + record_at, 0);
        record(&vm, &mut contract, 1_000);
        record_bridge(&vm, &mut contract, 600);
        at(&vm, START + change_at, 0);
        let (before, bridge_before) = (peak(&contract), bridge_required(&vm, &contract));
        assert_eq!((before, bridge_before), (u(1_000), u(300)), "{old_window} → {new_window} at {change_at}");
        change_peak_window(&vm, &mut contract, new_window);
        let after = (peak(&contract), bridge_required(&vm, &contract));
        assert_eq!(after, (before, bridge_before), "{old_window} → {new_window} at {change_at}");
        // And it still counts one minute later.
        at(&vm, START + change_at + 1, 0);
        assert_eq!(peak(&contract), u(1_000), "{old_window} → {new_window}, a minute later");
    }
}

#[test]
fn peak_window_change_does_not_revive_an_expired_peak() {
    let (vm, mut contract) = setup();
    configure(&mut contract, WINDOW, SAFETY_1X, 5);
    at(&vm, START, 0);
    record(&vm, &mut contract, 1_000);
    // Two 5-minute windows later the peak has expired...
    at(&vm, START + 10, 0);
    assert_eq!(peak(&contract), U256::ZERO);
    // ...and a longer window does not bring it back.
    change_peak_window(&vm, &mut contract, 60);
    assert_eq!(peak(&contract), U256::ZERO);
    assert_eq!(contract.required_reserve(ASSET).unwrap(), U256::ZERO);
    record(&vm, &mut contract, 10);
    assert_eq!(peak(&contract), u(10));
}

#[test]
fn reconfiguring_with_the_same_peak_window_keeps_the_minute_total() {
    let (vm, mut contract) = setup_with_asset();
    at(&vm, START + 3, 0);
    record(&vm, &mut contract, 400);
    as_caller(&vm, ADMIN);
    configure(&mut contract, 10, 20_000, PEAK_WINDOW);
    as_caller(&vm, REPORTER);
    let event = outflow_event(false, START + 3, 600, 1_000, 1_000);
    succeeds(&vm, &[log_of(&event)], || contract.record_outflow(ASSET, u(600)));
    // 1,000 × 10 × 2.
    assert_eq!(contract.required_reserve(ASSET).unwrap(), u(20_000));
}

// ------------------------------------------------------------ requiredReserve

#[test]
fn required_reserve_matches_spec_section_7() {
    let (vm, mut contract) = setup_with_asset();
    assert_eq!(contract.required_reserve(ASSET).unwrap(), U256::ZERO);
    // §7: P = 10,000 per minute, T = 5 minutes, 1×: 50,000.
    record(&vm, &mut contract, 6_000);
    record(&vm, &mut contract, 4_000);
    assert_eq!(peak(&contract), u(10_000));
    assert_eq!(contract.required_reserve(ASSET).unwrap(), u(50_000));
    // §7: with a 3× safety factor: 150,000.
    as_caller(&vm, ADMIN);
    configure(&mut contract, WINDOW, 30_000, PEAK_WINDOW);
    assert_eq!(contract.required_reserve(ASSET).unwrap(), u(150_000));
    // §7's recommended 35×: 1,750,000.
    configure(&mut contract, WINDOW, 350_000, PEAK_WINDOW);
    assert_eq!(contract.required_reserve(ASSET).unwrap(), u(1_750_000));
    // It follows P as P rolls out.
    at(&vm, START + 120, 0);
    assert_eq!(contract.required_reserve(ASSET).unwrap(), U256::ZERO);
}

#[test]
fn required_reserve_rounds_up() {
    let (vm, mut contract) = setup_with_asset();
    as_caller(&vm, ADMIN);
    // 7 × 1 × 1.5 = 10.5 → 11.
    configure(&mut contract, 1, 15_000, PEAK_WINDOW);
    record(&vm, &mut contract, 7);
    assert_eq!(contract.required_reserve(ASSET).unwrap(), u(11));
    // 7 × 3 × 1.0001 = 21.0021 → 22.
    as_caller(&vm, ADMIN);
    configure(&mut contract, 3, 10_001, PEAK_WINDOW);
    assert_eq!(contract.required_reserve(ASSET).unwrap(), u(22));
    // An exact product is not rounded: 8 × 1 × 1.5 = 12.
    record(&vm, &mut contract, 1);
    as_caller(&vm, ADMIN);
    configure(&mut contract, 1, 15_000, PEAK_WINDOW);
    assert_eq!(contract.required_reserve(ASSET).unwrap(), u(12));
}

#[test]
fn views_of_an_unknown_asset_are_refused() {
    let (vm, contract) = setup_with_asset();
    for asset in [OTHER_ASSET, Address::ZERO] {
        mock_balance(&vm, asset, HOLDER, 1_000);
        let expected = UnknownAsset { asset };
        assert_err!(refused(&vm, || contract.asset_config(asset)), expected.clone());
        assert_err!(refused(&vm, || contract.peak_minute_outflow(asset)), expected.clone());
        assert_err!(refused(&vm, || contract.required_reserve(asset)), expected.clone());
        assert_err!(refused(&vm, || contract.reserve_status(asset)), expected.clone());
        assert_err!(refused(&vm, || contract.bridge_buffer_status(asset)), expected.clone());
        assert_err!(refused(&vm, || contract.cantilever_check(asset, u(5), 33)), expected.clone());
        assert_err!(refused(&vm, || contract.bucket_status(asset, 0)), expected.clone());
        assert_err!(refused(&vm, || contract.can_release(asset, U256::ZERO)), expected);
    }
}

// ---------------------------------------------- reserveStatus / bridgeBuffer

#[test]
fn reserve_status_reports_shortfall_exact_and_surplus() {
    let (vm, mut contract) = setup_with_asset();
    record(&vm, &mut contract, 10_000);
    // The bridge holder's balance must not be taken for the reserve.
    mock_balance(&vm, ASSET, BRIDGE_HOLDER, 1_000_000);
    let zero = U256::ZERO;
    mock_balance(&vm, ASSET, HOLDER, 40_000);
    assert_eq!(contract.reserve_status(ASSET).unwrap(), (u(50_000), u(40_000), u(10_000), zero, false));
    mock_balance(&vm, ASSET, HOLDER, 50_000);
    assert_eq!(contract.reserve_status(ASSET).unwrap(), (u(50_000), u(50_000), zero, zero, true));
    mock_balance(&vm, ASSET, HOLDER, 65_000);
    assert_eq!(contract.reserve_status(ASSET).unwrap(), (u(50_000), u(65_000), zero, u(15_000), true));
    // With no outflow, nothing is required.
    at(&vm, START + 120, 0);
    assert_eq!(contract.reserve_status(ASSET).unwrap(), (zero, u(65_000), zero, u(65_000), true));
    mock_balance(&vm, ASSET, HOLDER, 0);
    assert_eq!(contract.reserve_status(ASSET).unwrap(), (zero, zero, zero, zero, true));
}

#[test]
fn bridge_buffer_status_reports_shortfall_exact_and_surplus() {
    let (vm, mut contract) = setup_with_asset();
    // P_bridge = 600/min with a 30 s latency: 300. The outflow stream and the
    // reserve holder's balance play no part.
    record_bridge(&vm, &mut contract, 600);
    record(&vm, &mut contract, 99_999);
    mock_balance(&vm, ASSET, HOLDER, 1_000_000);
    let zero = U256::ZERO;
    mock_balance(&vm, ASSET, BRIDGE_HOLDER, 250);
    assert_eq!(contract.bridge_buffer_status(ASSET).unwrap(), (u(300), u(250), u(50), zero, false));
    mock_balance(&vm, ASSET, BRIDGE_HOLDER, 300);
    assert_eq!(contract.bridge_buffer_status(ASSET).unwrap(), (u(300), u(300), zero, zero, true));
    mock_balance(&vm, ASSET, BRIDGE_HOLDER, 400);
    assert_eq!(contract.bridge_buffer_status(ASSET).unwrap(), (u(300), u(400), zero, u(100), true));
    // Rounded up: 7/min over 30 s is 3.5 → 4; over 90 s 10.5 → 11.
    at(&vm, START + 120, 0);
    record_bridge(&vm, &mut contract, 7);
    assert_eq!(contract.bridge_buffer_status(ASSET).unwrap(), (u(4), u(400), zero, u(396), true));
    as_caller(&vm, ADMIN);
    contract.configure_asset(ASSET, HOLDER, BRIDGE_HOLDER, WINDOW, SAFETY_1X, 90, PEAK_WINDOW).unwrap();
    mock_balance(&vm, ASSET, BRIDGE_HOLDER, 10);
    assert_eq!(contract.bridge_buffer_status(ASSET).unwrap(), (u(11), u(10), u(1), zero, false));
}

#[test]
fn statuses_fail_when_the_balance_cannot_be_read() {
    let (vm, mut contract) = setup_with_asset();
    record(&vm, &mut contract, 10);
    let reserve_failed = BalanceQueryFailed { token: ASSET, holder: HOLDER };
    let bridge_failed = BalanceQueryFailed { token: ASSET, holder: BRIDGE_HOLDER };
    // Not mocked: empty return data.
    assert_err!(refused(&vm, || contract.reserve_status(ASSET)), reserve_failed.clone());
    assert_err!(refused(&vm, || contract.bridge_buffer_status(ASSET)), bridge_failed.clone());
    assert_err!(refused(&vm, || contract.can_release(ASSET, u(1))), reserve_failed.clone());
    // A balance mocked on another token does not count.
    mock_balance(&vm, OTHER_ASSET, HOLDER, 1_000);
    mock_balance(&vm, OTHER_ASSET, BRIDGE_HOLDER, 1_000);
    assert_err!(refused(&vm, || contract.reserve_status(ASSET)), reserve_failed.clone());
    // The token reverts.
    mock_balance_revert(&vm, ASSET, HOLDER);
    mock_balance_revert(&vm, ASSET, BRIDGE_HOLDER);
    assert_err!(refused(&vm, || contract.reserve_status(ASSET)), reserve_failed.clone());
    assert_err!(refused(&vm, || contract.bridge_buffer_status(ASSET)), bridge_failed.clone());
    assert_err!(refused(&vm, || contract.can_release(ASSET, u(1))), reserve_failed.clone());
    // The token returns bytes that are not one word.
    for garbage in [vec![0x01, 0x02, 0x03], vec![0xff; 31]] {
        let call = IERC20::balanceOfCall { account: HOLDER }.abi_encode();
        vm.mock_static_call(ASSET, call, Ok(garbage));
        assert_err!(refused(&vm, || contract.reserve_status(ASSET)), reserve_failed.clone());
    }
    // Once the token answers, so does the contract.
    mock_balance(&vm, ASSET, HOLDER, 49);
    assert_eq!(contract.reserve_status(ASSET).unwrap(), (u(50), u(49), u(1), U256::ZERO, false));
}

// ----------------------------------------------------------- cantileverCheck

#[test]
fn cantilever_check_matches_spec_section_6() {
    let (vm, mut contract) = setup_with_asset();
    // No imbalance: any throughput holds.
    assert_eq!(contract.cantilever_check(ASSET, u(5), 33).unwrap(), (u(165), U256::ZERO, true));
    assert_eq!(contract.cantilever_check(ASSET, U256::ZERO, 1).unwrap(), (U256::ZERO, U256::ZERO, true));
    // §6: s = 5, f = 33/min gives 165/min, which offsets P = 165...
    record(&vm, &mut contract, 165);
    assert_eq!(contract.cantilever_check(ASSET, u(5), 33).unwrap(), (u(165), u(165), true));
    // ...but not P = 166.
    record(&vm, &mut contract, 1);
    assert_eq!(contract.cantilever_check(ASSET, u(5), 33).unwrap(), (u(165), u(166), false));
    assert_eq!(contract.cantilever_check(ASSET, u(5), 34).unwrap(), (u(170), u(166), true));
    // The bridge stream is not the imbalance.
    record_bridge(&vm, &mut contract, 1_000);
    assert_eq!(contract.cantilever_check(ASSET, u(5), 33).unwrap(), (u(165), u(166), false));
}

#[test]
fn cantilever_check_rejects_zero_frequency_and_overflow() {
    let (vm, mut contract) = setup_with_asset();
    record(&vm, &mut contract, 10);
    assert_err!(refused(&vm, || contract.cantilever_check(ASSET, u(5), 0)), InvalidFrequency {});
    let error = refused(&vm, || contract.cantilever_check(ASSET, U256::MAX, 2));
    assert_err!(error, ArithmeticOverflow {});
    assert_eq!(contract.cantilever_check(ASSET, U256::MAX, 1).unwrap(), (U256::MAX, u(10), true));
    let expected = UnknownAsset { asset: OTHER_ASSET };
    assert_err!(refused(&vm, || contract.cantilever_check(OTHER_ASSET, u(5), 33)), expected);
}

// ---------------------------------------------------- setBucket / bucketStatus

#[test]
fn set_bucket_stores_target_and_holder_and_emits_event() {
    let (vm, mut contract) = setup_with_asset();
    for bucket in 0..5u8 {
        let target = u(1_000 * u64::from(bucket) + 1);
        let holder = Address::repeat_byte(0xC0 + bucket);
        let event = BucketConfigured { asset: ASSET, bucket, target, holder };
        succeeds(&vm, &[log_of(&event)], || contract.set_bucket(ASSET, bucket, target, holder));
    }
    for bucket in 0..5u8 {
        let holder = Address::repeat_byte(0xC0 + bucket);
        mock_balance(&vm, ASSET, holder, 1_000);
        let (stored_holder, target, ..) = contract.bucket_status(ASSET, bucket).unwrap();
        assert_eq!((stored_holder, target), (holder, u(1_000 * u64::from(bucket) + 1)));
    }
    // Resetting a bucket overwrites it; other assets' buckets are untouched.
    let event = BucketConfigured { asset: ASSET, bucket: 2, target: U256::ZERO, holder: BUCKET_HOLDER };
    succeeds(&vm, &[log_of(&event)], || contract.set_bucket(ASSET, 2, U256::ZERO, BUCKET_HOLDER));
    mock_balance(&vm, ASSET, BUCKET_HOLDER, 0);
    let zero = U256::ZERO;
    assert_eq!(contract.bucket_status(ASSET, 2).unwrap(), (BUCKET_HOLDER, zero, zero, zero, zero, true));
    contract.configure_asset(OTHER_ASSET, HOLDER, BRIDGE_HOLDER, 5, SAFETY_1X, 30, 60).unwrap();
    assert_eq!(
        contract.bucket_status(OTHER_ASSET, 2).unwrap(),
        (Address::ZERO, zero, zero, zero, zero, true)
    );
}

#[test]
fn set_bucket_requires_admin() {
    let (vm, mut contract) = setup_with_asset();
    for caller in [REPORTER, GUARDIAN, STRANGER, DEPLOYER] {
        as_caller(&vm, caller);
        let error = refused(&vm, || contract.set_bucket(ASSET, 0, u(100), BUCKET_HOLDER));
        assert_err!(error, unauthorized(caller, ADMIN_ROLE));
    }
    let zero = U256::ZERO;
    assert_eq!(contract.bucket_status(ASSET, 0).unwrap(), (Address::ZERO, zero, zero, zero, zero, true));
}

#[test]
fn set_bucket_rejects_unknown_asset_bucket_and_zero_holder() {
    let (vm, mut contract) = setup_with_asset();
    let error = refused(&vm, || contract.set_bucket(OTHER_ASSET, 0, u(100), BUCKET_HOLDER));
    assert_err!(error, UnknownAsset { asset: OTHER_ASSET });
    for bucket in [5, 6, u8::MAX] {
        let error = refused(&vm, || contract.set_bucket(ASSET, bucket, u(100), BUCKET_HOLDER));
        assert_err!(error, UnknownBucket { bucket });
        let error = refused(&vm, || contract.bucket_status(ASSET, bucket));
        assert_err!(error, UnknownBucket { bucket });
    }
    let error = refused(&vm, || contract.set_bucket(ASSET, 0, u(100), Address::ZERO));
    assert_err!(error, ZeroAddress {});
    let error = refused(&vm, || contract.bucket_status(OTHER_ASSET, 0));
    assert_err!(error, UnknownAsset { asset: OTHER_ASSET });
    let zero = U256::ZERO;
    assert_eq!(contract.bucket_status(ASSET, 0).unwrap(), (Address::ZERO, zero, zero, zero, zero, true));
    assert_eq!(contract.bucket_status(ASSET, 4).unwrap(), (Address::ZERO, zero, zero, zero, zero, true));
}

#[test]
fn bucket_status_reports_funded_and_unfunded_buckets() {
    let (vm, mut contract) = setup_with_asset();
    let zero = U256::ZERO;
    let (holder_a, holder_e) = (Address::repeat_byte(0xCA), Address::repeat_byte(0xCE));
    contract.set_bucket(ASSET, 0, u(1_000), holder_a).unwrap();
    contract.set_bucket(ASSET, 4, u(500), holder_e).unwrap();
    mock_balance(&vm, ASSET, holder_a, 400);
    mock_balance(&vm, ASSET, holder_e, 700);
    assert_eq!(contract.bucket_status(ASSET, 0).unwrap(), (holder_a, u(1_000), u(400), u(600), zero, false));
    assert_eq!(contract.bucket_status(ASSET, 4).unwrap(), (holder_e, u(500), u(700), zero, u(200), true));
    mock_balance(&vm, ASSET, holder_a, 1_000);
    assert_eq!(contract.bucket_status(ASSET, 0).unwrap(), (holder_a, u(1_000), u(1_000), zero, zero, true));
    // A bucket's balance is read from its holder, on the asset's token.
    mock_balance_revert(&vm, ASSET, holder_e);
    let failed = BalanceQueryFailed { token: ASSET, holder: holder_e };
    assert_err!(refused(&vm, || contract.bucket_status(ASSET, 4)), failed);
    vm.clear_mocks();
    let failed = BalanceQueryFailed { token: ASSET, holder: holder_e };
    assert_err!(refused(&vm, || contract.bucket_status(ASSET, 4)), failed);
    mock_balance(&vm, ASSET, holder_e, 499);
    assert_eq!(contract.bucket_status(ASSET, 4).unwrap(), (holder_e, u(500), u(499), u(1), zero, false));
}

#[test]
fn unset_bucket_reports_zero_holder_without_a_balance_query() {
    let (vm, contract) = setup_with_asset();
    // Were the zero holder's balance read, the un-mocked call would fail, and
    // a reverting one certainly would.
    mock_balance_revert(&vm, ASSET, Address::ZERO);
    let zero = U256::ZERO;
    for bucket in 0..5 {
        assert_eq!(
            contract.bucket_status(ASSET, bucket).unwrap(),
            (Address::ZERO, zero, zero, zero, zero, true)
        );
    }
}

// ---------------------------------------------------------------- canRelease

#[test]
fn can_release_exactly_while_the_reserve_stays_at_the_requirement() {
    let (vm, mut contract) = setup_with_asset();
    record(&vm, &mut contract, 10_000);
    mock_balance(&vm, ASSET, HOLDER, 80_000);
    // Required 50,000 of 80,000: 30,000 may leave, not one more.
    assert!(contract.can_release(ASSET, U256::ZERO).unwrap());
    assert!(contract.can_release(ASSET, u(29_999)).unwrap());
    assert!(contract.can_release(ASSET, u(30_000)).unwrap());
    assert!(!contract.can_release(ASSET, u(30_001)).unwrap());
    assert!(!contract.can_release(ASSET, u(80_000)).unwrap());
    assert!(!contract.can_release(ASSET, u(80_001)).unwrap());
    assert!(!contract.can_release(ASSET, U256::MAX).unwrap());
    // Below the requirement nothing may leave, and a zero amount says so.
    mock_balance(&vm, ASSET, HOLDER, 49_999);
    assert!(!contract.can_release(ASSET, U256::ZERO).unwrap());
    assert!(!contract.can_release(ASSET, u(1)).unwrap());
}

// ------------------------------------------------------------- recordRelease

#[test]
fn record_release_checks_the_reserve_after_it_and_leaves_p_alone() {
    let (vm, mut contract) = setup_with_asset();
    record(&vm, &mut contract, 10_000);
    // Required 50,000; the holder at exactly 50,000 after the release.
    mock_balance(&vm, ASSET, HOLDER, 50_000);
    as_caller(&vm, REPORTER);
    let event = ReleaseRecorded {
        asset: ASSET,
        reporter: REPORTER,
        amount: u(30_000),
        reserve: u(50_000),
        required: u(50_000),
    };
    succeeds(&vm, &[log_of(&event)], || contract.record_release(ASSET, u(30_000)));
    assert_eq!(peak(&contract), u(10_000), "a release is not an outflow");
    // One unit below the requirement: refused by name.
    mock_balance(&vm, ASSET, HOLDER, 49_999);
    let expected = ReleaseBelowRequired { asset: ASSET, reserve: u(49_999), required: u(50_000) };
    assert_err!(refused(&vm, || contract.record_release(ASSET, u(1))), expected);
    // The reporter's checks, as for an outflow.
    assert_err!(refused(&vm, || contract.record_release(ASSET, U256::ZERO)), ZeroAmount {});
    let too_large = MAX_OUTFLOW + u(1);
    assert_err!(
        refused(&vm, || contract.record_release(ASSET, too_large)),
        AmountTooLarge { amount: too_large }
    );
    assert_err!(
        refused(&vm, || contract.record_release(OTHER_ASSET, u(1))),
        UnknownAsset { asset: OTHER_ASSET }
    );
    as_caller(&vm, STRANGER);
    let expected = unauthorized(STRANGER, REPORTER_ROLE);
    assert_err!(refused(&vm, || contract.record_release(ASSET, u(1))), expected);
}

#[test]
fn can_release_is_false_for_more_than_the_balance() {
    let (vm, contract) = setup_with_asset();
    // Nothing is required: the balance is the only limit.
    mock_balance(&vm, ASSET, HOLDER, 100);
    assert_eq!(contract.required_reserve(ASSET).unwrap(), U256::ZERO);
    assert!(contract.can_release(ASSET, u(100)).unwrap());
    assert!(!contract.can_release(ASSET, u(101)).unwrap());
    mock_balance(&vm, ASSET, HOLDER, 0);
    assert!(contract.can_release(ASSET, U256::ZERO).unwrap());
    assert!(!contract.can_release(ASSET, u(1)).unwrap());
}

#[test]
fn can_release_is_false_while_paused() {
    let (vm, mut contract) = setup_with_asset();
    record(&vm, &mut contract, 10_000);
    mock_balance(&vm, ASSET, HOLDER, 80_000);
    as_caller(&vm, GUARDIAN);
    contract.pause().unwrap();
    for amount in [U256::ZERO, u(1), u(30_000)] {
        assert!(!contract.can_release(ASSET, amount).unwrap());
    }
    as_caller(&vm, ADMIN);
    contract.unpause().unwrap();
    assert!(contract.can_release(ASSET, u(30_000)).unwrap());
    assert!(!contract.can_release(ASSET, u(30_001)).unwrap());
}

// ------------------------------------------------------------ pause/unpause

#[test]
fn guardian_pauses_and_admin_unpauses_with_events() {
    let (vm, mut contract) = setup();
    as_caller(&vm, GUARDIAN);
    succeeds(&vm, &[log_of(&Paused { account: GUARDIAN })], || contract.pause());
    assert!(contract.paused());
    as_caller(&vm, ADMIN);
    succeeds(&vm, &[log_of(&Unpaused { account: ADMIN })], || contract.unpause());
    assert!(!contract.paused());
    // And again: pausing is not one-shot.
    as_caller(&vm, GUARDIAN);
    succeeds(&vm, &[log_of(&Paused { account: GUARDIAN })], || contract.pause());
    assert!(contract.paused());
}

#[test]
fn only_guardians_pause() {
    let (vm, mut contract) = setup();
    // The admin is no guardian.
    for caller in [ADMIN, REPORTER, STRANGER, DEPLOYER] {
        as_caller(&vm, caller);
        assert_err!(refused(&vm, || contract.pause()), unauthorized(caller, GUARDIAN_ROLE));
    }
    assert!(!contract.paused());
}

#[test]
fn pausing_twice_is_refused() {
    let (vm, mut contract) = setup();
    as_caller(&vm, GUARDIAN);
    contract.pause().unwrap();
    assert_err!(refused(&vm, || contract.pause()), EnforcedPause {});
    // Another guardian is refused too.
    as_caller(&vm, ADMIN);
    contract.grant_role(GUARDIAN_ROLE, STRANGER).unwrap();
    as_caller(&vm, STRANGER);
    assert_err!(refused(&vm, || contract.pause()), EnforcedPause {});
    assert!(contract.paused());
}

#[test]
fn only_admin_unpauses() {
    let (vm, mut contract) = setup();
    as_caller(&vm, GUARDIAN);
    contract.pause().unwrap();
    for caller in [GUARDIAN, REPORTER, STRANGER, DEPLOYER] {
        as_caller(&vm, caller);
        assert_err!(refused(&vm, || contract.unpause()), unauthorized(caller, ADMIN_ROLE));
    }
    assert!(contract.paused());
}

#[test]
fn unpausing_when_not_paused_is_refused() {
    let (vm, mut contract) = setup();
    as_caller(&vm, ADMIN);
    assert_err!(refused(&vm, || contract.unpause()), ExpectedPause {});
    // A non-admin is refused for its role first.
    as_caller(&vm, GUARDIAN);
    assert_err!(refused(&vm, || contract.unpause()), unauthorized(GUARDIAN, ADMIN_ROLE));
    assert!(!contract.paused());
}

// ----------------------------------------------------------------- dispatcher

/// `stylus_constructor(admin)` as stylus-sdk 0.9 routes it: the selector is
/// `keccak256("stylus_constructor()")[..4]` whatever the parameters.
fn constructor_calldata(admin: Address) -> Vec<u8> {
    let mut data = keccak256(b"stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(admin.into_word().as_slice());
    data
}

/// Routes `calldata`, which must succeed with no return data.
#[allow(clippy::unnecessary_wraps)]
fn route_ok(contract: &mut ReserveSizer, calldata: &[u8]) -> Result<(), Error> {
    let data =
        contract.route_call(calldata).unwrap_or_else(|data| panic!("refused: 0x{}", hex::encode(data)));
    assert!(data.is_empty(), "returned 0x{}", hex::encode(data));
    Ok(())
}

/// Calldata with argument word `index` (after the selector) replaced by `word`.
fn with_word(calldata: &[u8], index: usize, word: U256) -> Vec<u8> {
    let mut data = calldata.to_vec();
    data[4 + 32 * index..4 + 32 * (index + 1)].copy_from_slice(&word.to_be_bytes::<32>());
    data
}

#[test]
fn the_dispatch_table_is_in_function_order_with_distinct_selectors() {
    for (index, entry) in crate::FUNCTIONS.iter().enumerate() {
        assert_eq!(entry.1 as usize, index, "row {index}");
        assert!(crate::FUNCTIONS[..index].iter().all(|other| other.0 != entry.0), "row {index}");
    }
    assert_eq!(crate::CONSTRUCTOR, keccak256(b"stylus_constructor()")[..4]);
}

#[test]
fn the_dispatcher_returns_exactly_what_the_sol_declaration_encodes() {
    let (vm, mut contract) = setup_with_asset();
    record(&vm, &mut contract, 1_000);
    record_bridge(&vm, &mut contract, 120);
    as_caller(&vm, ADMIN);
    contract.set_bucket(ASSET, 2, u(700), BUCKET_HOLDER).unwrap();
    as_caller(&vm, STRANGER);

    let mut returns = |calldata: Vec<u8>, expected: Vec<u8>| {
        assert_eq!(contract.route_call(&calldata), Ok(expected), "0x{}", hex::encode(&calldata));
    };
    returns(
        I::REPORTER_ROLECall {}.abi_encode(),
        I::REPORTER_ROLECall::abi_encode_returns(&(REPORTER_ROLE,)),
    );
    returns(
        I::GUARDIAN_ROLECall {}.abi_encode(),
        I::GUARDIAN_ROLECall::abi_encode_returns(&(GUARDIAN_ROLE,)),
    );
    returns(I::pausedCall {}.abi_encode(), I::pausedCall::abi_encode_returns(&(false,)));
    let has = I::hasRoleCall { role: REPORTER_ROLE, account: REPORTER };
    returns(has.abi_encode(), I::hasRoleCall::abi_encode_returns(&(true,)));
    let has = I::hasRoleCall { role: REPORTER_ROLE, account: STRANGER };
    returns(has.abi_encode(), I::hasRoleCall::abi_encode_returns(&(false,)));
    let config = (HOLDER, BRIDGE_HOLDER, WINDOW, SAFETY_1X, LATENCY, PEAK_WINDOW);
    returns(
        I::assetConfigCall { asset: ASSET }.abi_encode(),
        I::assetConfigCall::abi_encode_returns(&config),
    );
    let peak = I::peakMinuteOutflowCall { asset: ASSET }.abi_encode();
    returns(peak, I::peakMinuteOutflowCall::abi_encode_returns(&(u(1_000),)));
    let required = I::requiredReserveCall { asset: ASSET }.abi_encode();
    returns(required, I::requiredReserveCall::abi_encode_returns(&(u(5_000),)));
    mock_balance(&vm, ASSET, HOLDER, 4_000);
    let status = (u(5_000), u(4_000), u(1_000), U256::ZERO, false);
    returns(
        I::reserveStatusCall { asset: ASSET }.abi_encode(),
        I::reserveStatusCall::abi_encode_returns(&status),
    );
    let release = I::canReleaseCall { asset: ASSET, amount: U256::ZERO }.abi_encode();
    returns(release, I::canReleaseCall::abi_encode_returns(&(false,)));
    mock_balance(&vm, ASSET, HOLDER, 6_000);
    let release = I::canReleaseCall { asset: ASSET, amount: u(1_000) }.abi_encode();
    returns(release, I::canReleaseCall::abi_encode_returns(&(true,)));
    // ceil(120 × 30 s / 60 s) = 60.
    mock_balance(&vm, ASSET, BRIDGE_HOLDER, 100);
    let status = (u(60), u(100), U256::ZERO, u(40), true);
    let bridge = I::bridgeBufferStatusCall { asset: ASSET }.abi_encode();
    returns(bridge, I::bridgeBufferStatusCall::abi_encode_returns(&status));
    let check = I::cantileverCheckCall { asset: ASSET, trade_size: u(300), trades_per_minute: 4 };
    returns(check.abi_encode(), I::cantileverCheckCall::abi_encode_returns(&(u(1_200), u(1_000), true)));
    mock_balance(&vm, ASSET, BUCKET_HOLDER, 500);
    let bucket = (BUCKET_HOLDER, u(700), u(500), u(200), U256::ZERO, false);
    let status = I::bucketStatusCall { asset: ASSET, bucket: 2 }.abi_encode();
    returns(status, I::bucketStatusCall::abi_encode_returns(&bucket));
    let empty = (Address::ZERO, U256::ZERO, U256::ZERO, U256::ZERO, U256::ZERO, true);
    let status = I::bucketStatusCall { asset: ASSET, bucket: 4 }.abi_encode();
    returns(status, I::bucketStatusCall::abi_encode_returns(&empty));
}

#[test]
fn the_dispatcher_runs_calls_and_refuses_with_the_methods_revert_data() {
    // A zero admin is refused with its error (on a chain, the revert also
    // undoes the SDK's constructor guard; TestVM keeps it, so a fresh VM follows).
    let vm = TestVM::default();
    let mut contract = ReserveSizer::from(&vm);
    as_caller(&vm, DEPLOYER);
    let zero_admin = Err(ZeroAddress {}.abi_encode());
    assert_eq!(contract.route_call(&constructor_calldata(Address::ZERO)), zero_admin);

    let vm = TestVM::default();
    let mut contract = ReserveSizer::from(&vm);
    as_caller(&vm, DEPLOYER);
    let granted = RoleGranted { role: ADMIN_ROLE, account: ADMIN, sender: DEPLOYER };
    succeeds(&vm, &[log_of(&granted)], || route_ok(&mut contract, &constructor_calldata(ADMIN)));
    // The SDK's guard: a second run reverts with no data.
    assert_eq!(contract.route_call(&constructor_calldata(ADMIN)), Err(Vec::new()));

    as_caller(&vm, ADMIN);
    let configure = I::configureAssetCall {
        asset: ASSET,
        holder: HOLDER,
        bridge_holder: BRIDGE_HOLDER,
        window_minutes: WINDOW,
        safety_bps: SAFETY_1X,
        bridge_latency_seconds: LATENCY,
        peak_window_minutes: PEAK_WINDOW,
    }
    .abi_encode();
    let configured = AssetConfigured {
        asset: ASSET,
        holder: HOLDER,
        bridgeHolder: BRIDGE_HOLDER,
        windowMinutes: WINDOW,
        safetyBps: SAFETY_1X,
        bridgeLatencySeconds: LATENCY,
        peakWindowMinutes: PEAK_WINDOW,
    };
    succeeds(&vm, &[log_of(&configured)], || route_ok(&mut contract, &configure));
    let grant = I::grantRoleCall { role: REPORTER_ROLE, account: REPORTER }.abi_encode();
    assert_eq!(contract.route_call(&grant), Ok(Vec::new()));
    let bucket =
        I::setBucketCall { asset: ASSET, bucket: 3, target: u(9), holder: BUCKET_HOLDER }.abi_encode();
    let event = BucketConfigured { asset: ASSET, bucket: 3, target: u(9), holder: BUCKET_HOLDER };
    succeeds(&vm, &[log_of(&event)], || route_ok(&mut contract, &bucket));
    at(&vm, START, 10);
    as_caller(&vm, REPORTER);
    let outflow = I::recordBridgeOutflowCall { asset: ASSET, amount: u(25) }.abi_encode();
    let event = outflow_event(true, START, 25, 25, 25);
    succeeds(&vm, &[log_of(&event)], || route_ok(&mut contract, &outflow));

    // Refusals carry the method's revert data.
    let unknown = I::recordOutflowCall { asset: OTHER_ASSET, amount: u(1) }.abi_encode();
    assert_eq!(contract.route_call(&unknown), Err(UnknownAsset { asset: OTHER_ASSET }.abi_encode()));
    let pause = I::pauseCall {}.abi_encode();
    assert_eq!(contract.route_call(&pause), Err(unauthorized(REPORTER, GUARDIAN_ROLE).abi_encode()));
    let bucket = I::bucketStatusCall { asset: ASSET, bucket: 5 }.abi_encode();
    assert_eq!(contract.route_call(&bucket), Err(UnknownBucket { bucket: 5 }.abi_encode()));
    let check = I::cantileverCheckCall { asset: ASSET, trade_size: u(1), trades_per_minute: 0 }.abi_encode();
    assert_eq!(contract.route_call(&check), Err(InvalidFrequency {}.abi_encode()));
}

#[test]
fn the_dispatcher_refuses_what_the_sdk_decoder_refused_with_no_data() {
    let (vm, mut contract) = setup_with_asset();
    let before = vm.snapshot();
    let dirty_address = U256::from(1) << 160;
    let (u8_over, u64_over) = (u(256), U256::from(1) << 64);
    let configure = I::configureAssetCall {
        asset: OTHER_ASSET,
        holder: HOLDER,
        bridge_holder: BRIDGE_HOLDER,
        window_minutes: WINDOW,
        safety_bps: SAFETY_1X,
        bridge_latency_seconds: LATENCY,
        peak_window_minutes: PEAK_WINDOW,
    }
    .abi_encode();
    let bucket = I::setBucketCall { asset: ASSET, bucket: 1, target: u(1), holder: HOLDER }.abi_encode();
    let status = I::bucketStatusCall { asset: ASSET, bucket: 1 }.abi_encode();
    let check = I::cantileverCheckCall { asset: ASSET, trade_size: u(1), trades_per_minute: 1 }.abi_encode();
    let grant = I::grantRoleCall { role: REPORTER_ROLE, account: STRANGER }.abi_encode();
    let mut trailing = configure.clone();
    trailing.push(0);
    let mut paused = I::pausedCall {}.abi_encode();
    paused.extend_from_slice(&[0; 32]);
    for calldata in [
        Vec::new(),
        vec![0xde, 0xad, 0xbe, 0xef],
        configure[..3].to_vec(),
        configure[..configure.len() - 1].to_vec(),
        trailing,
        paused,
        with_word(&configure, 0, dirty_address),
        with_word(&configure, 2, dirty_address),
        with_word(&configure, 3, u64_over),
        with_word(&configure, 6, U256::MAX),
        with_word(&bucket, 1, u8_over),
        with_word(&bucket, 3, dirty_address),
        with_word(&status, 1, u8_over),
        with_word(&status, 1, u64_over),
        with_word(&check, 2, u64_over),
        with_word(&grant, 1, dirty_address),
    ] {
        assert_eq!(contract.route_call(&calldata), Err(Vec::new()), "0x{}", hex::encode(&calldata));
    }
    assert_eq!(vm.snapshot().storage, before.storage);
    assert_eq!(vm.snapshot().emitted_logs, before.emitted_logs);
}
