//! The compiled ReserveSizer wasm on the in-process chain: constructor,
//! roles, configuration, outflow recording, exact reads, refusals with
//! their exact custom errors and untouched storage, logs, and a
//! Stylus→Stylus static call to an ERC-20 stand-in.
//!
//! Needs `scripts/build-wasm` to have built
//! `target/wasm32-unknown-unknown/release/reserve_sizer.wasm`.

use std::{path::PathBuf, sync::OnceLock};

use alloy_primitives::{address, keccak256, Address, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent};
use vault_chain::{ChainError, World};

sol! {
    function grantRole(bytes32 role, address account);
    function hasRole(bytes32 role, address account) external view returns (bool);
    function configureAsset(address asset, address holder, address bridgeHolder, uint64 windowMinutes, uint64 safetyBps, uint64 bridgeLatencySeconds, uint64 peakWindowMinutes);
    function recordOutflow(address asset, uint256 amount);
    function peakMinuteOutflow(address asset) external view returns (uint256);
    function requiredReserve(address asset) external view returns (uint256);
    function reserveStatus(address asset) external view returns (uint256 required, uint256 actual, uint256 shortfall, uint256 surplus, bool healthy);
    function stylusConstructor(address admin);

    event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
    event AssetConfigured(address indexed asset, address holder, address bridgeHolder, uint64 windowMinutes, uint64 safetyBps, uint64 bridgeLatencySeconds, uint64 peakWindowMinutes);
    event OutflowRecorded(address indexed asset, address indexed reporter, bool indexed bridge, uint64 minute, uint256 amount, uint256 minuteTotal, uint256 peak);

    error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
    error UnknownAsset(address asset);
    error BalanceQueryFailed(address token, address holder);
}

const SIZER: Address = address!("00000000000000000000000000000000005153e5");
const TOKEN: Address = address!("00000000000000000000000000000000000070c1");
const DEPLOYER: Address = address!("000000000000000000000000000000000000de91");
const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
const REPORTER: Address = address!("000000000000000000000000000000000000be01");
const STRANGER: Address = address!("0000000000000000000000000000000000005a11");
const HOLDER: Address = address!("000000000000000000000000000000000000401d");
const BRIDGE_HOLDER: Address = address!("000000000000000000000000000000000000b41d");
const ADMIN_ROLE: B256 = B256::ZERO;

/// `T` = 15 minutes, safety 1.5×, bridge latency 900 s, peak window 60 min.
const WINDOW_MINUTES: u64 = 15;
const SAFETY_BPS: u64 = 15_000;

fn reporter_role() -> B256 {
    keccak256("REPORTER_ROLE")
}

fn reserve_sizer_wasm() -> &'static [u8] {
    static WASM: OnceLock<Vec<u8>> = OnceLock::new();
    WASM.get_or_init(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"), PathBuf::from);
        let path = target.join("wasm32-unknown-unknown/release/reserve_sizer.wasm");
        std::fs::read(&path)
            .unwrap_or_else(|e| panic!("cannot read {} ({e}): run scripts/build-wasm first", path.display()))
    })
}

/// The packed account code, packed once for all tests.
fn reserve_sizer_code() -> Vec<u8> {
    static CODE: OnceLock<Vec<u8>> = OnceLock::new();
    CODE.get_or_init(|| vault_wasm_pack::pack(reserve_sizer_wasm()).expect("ReserveSizer packs").code).clone()
}

fn token_code() -> Vec<u8> {
    let wasm = wat::parse_str(include_str!("fixtures/token.wat")).expect("token.wat parses");
    vault_wasm_pack::pack(&wasm).expect("token packs").code
}

/// `SOL_CONSTRUCTOR(admin)` as stylus-sdk 0.9 routes it: the selector is
/// `keccak256("stylus_constructor()")[..4]` whatever the parameters, and the
/// arguments follow ABI-encoded.
fn constructor_calldata(admin: Address) -> Vec<u8> {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(&stylusConstructorCall { admin }.abi_encode()[4..]);
    data
}

fn set_token_balance(world: &mut World, holder: Address, balance: u64) {
    world.set_storage(TOKEN, U256::from_be_bytes(holder.into_word().0), B256::from(U256::from(balance)));
}

/// A world with the sizer constructed, a reporter granted and the token configured.
fn configured_world() -> World {
    let mut world = World::new();
    world.deploy_code(SIZER, reserve_sizer_code()).expect("ReserveSizer loads");
    world.deploy_code(TOKEN, token_code()).expect("token loads");
    let outcome = world.call(DEPLOYER, SIZER, &constructor_calldata(ADMIN), U256::ZERO);
    assert!(outcome.success, "constructor: {outcome:?}");
    let grant = grantRoleCall { role: reporter_role(), account: REPORTER }.abi_encode();
    assert!(world.call(ADMIN, SIZER, &grant, U256::ZERO).success);
    let outcome = world.call(ADMIN, SIZER, &configure_call(TOKEN).abi_encode(), U256::ZERO);
    assert!(outcome.success, "configureAsset: {outcome:?}");
    world
}

fn configure_call(asset: Address) -> configureAssetCall {
    configureAssetCall {
        asset,
        holder: HOLDER,
        bridgeHolder: BRIDGE_HOLDER,
        windowMinutes: WINDOW_MINUTES,
        safetyBps: SAFETY_BPS,
        bridgeLatencySeconds: 900,
        peakWindowMinutes: 60,
    }
}

fn view<C: SolCall>(world: &mut World, call: &C) -> C::Return {
    let outcome = world.static_call(STRANGER, SIZER, &call.abi_encode());
    assert!(outcome.success, "{}: {outcome:?}", C::SIGNATURE);
    C::abi_decode_returns(&outcome.return_data, true).expect("return decodes")
}

#[test]
fn deploy_stylus_packs_and_constructor_runs_once() {
    let mut world = World::new();
    world.deploy_stylus(SIZER, reserve_sizer_wasm()).expect("deploys");
    assert!(vault_wasm_pack::is_stylus_code(&world.state().account(SIZER).unwrap().code));

    let first = world.call(DEPLOYER, SIZER, &constructor_calldata(ADMIN), U256::ZERO);
    assert!(first.success, "{first:?}");
    assert!(first.return_data.is_empty());
    // The admin is `admin`, not the deployer.
    assert!(view(&mut world, &hasRoleCall { role: ADMIN_ROLE, account: ADMIN })._0);
    assert!(!view(&mut world, &hasRoleCall { role: ADMIN_ROLE, account: DEPLOYER })._0);

    // A second constructor call reverts with empty data and changes nothing.
    let before = world.storage_of(SIZER);
    let again = world.call(STRANGER, SIZER, &constructor_calldata(STRANGER), U256::ZERO);
    assert!(!again.success);
    assert!(again.return_data.is_empty());
    assert_eq!(again.error, None, "a plain revert, not a trap");
    assert_eq!(world.storage_of(SIZER), before);
    assert!(!view(&mut world, &hasRoleCall { role: ADMIN_ROLE, account: STRANGER })._0);
}

#[test]
fn grant_role_emits_role_granted() {
    let mut world = World::new();
    world.deploy_code(SIZER, reserve_sizer_code()).unwrap();
    assert!(world.call(DEPLOYER, SIZER, &constructor_calldata(ADMIN), U256::ZERO).success);
    let grant = grantRoleCall { role: reporter_role(), account: REPORTER }.abi_encode();
    let outcome = world.call(ADMIN, SIZER, &grant, U256::ZERO);
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.logs.len(), 1);
    let log = &outcome.logs[0];
    assert_eq!(log.address, SIZER);
    let event = RoleGranted::decode_log_data(&log.data, true).expect("RoleGranted decodes");
    assert_eq!((event.role, event.account, event.sender), (reporter_role(), REPORTER, ADMIN));
    assert!(view(&mut world, &hasRoleCall { role: reporter_role(), account: REPORTER })._0);
}

#[test]
fn record_outflow_sets_peak_and_required_reserve() {
    let mut world = configured_world();
    let minute = world.block().timestamp / 60;

    let outcome = world.call(
        REPORTER,
        SIZER,
        &recordOutflowCall { asset: TOKEN, amount: U256::from(1_000) }.abi_encode(),
        U256::ZERO,
    );
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.logs.len(), 1);
    let log = &outcome.logs[0];
    assert_eq!(log.address, SIZER);
    assert_eq!(log.topics()[0], OutflowRecorded::SIGNATURE_HASH);
    assert_eq!(
        log.topics()[0],
        keccak256("OutflowRecorded(address,address,bool,uint64,uint256,uint256,uint256)")
    );
    assert_eq!(log.topics()[1], TOKEN.into_word());
    assert_eq!(log.topics()[2], REPORTER.into_word());
    assert_eq!(log.topics()[3], B256::ZERO, "bridge = false");
    let event = OutflowRecorded::decode_log_data(&log.data, true).unwrap();
    assert_eq!(event.minute, minute);
    assert_eq!(event.amount, U256::from(1_000));
    assert_eq!(event.minuteTotal, U256::from(1_000));
    assert_eq!(event.peak, U256::from(1_000));

    // A second outflow in the same minute adds to the minute total.
    world.advance(1);
    let outcome = world.call(
        REPORTER,
        SIZER,
        &recordOutflowCall { asset: TOKEN, amount: U256::from(501) }.abi_encode(),
        U256::ZERO,
    );
    assert!(outcome.success);
    let event = OutflowRecorded::decode_log_data(&outcome.logs[0].data, true).unwrap();
    assert_eq!((event.minuteTotal, event.peak), (U256::from(1_501), U256::from(1_501)));

    assert_eq!(view(&mut world, &peakMinuteOutflowCall { asset: TOKEN })._0, U256::from(1_501));
    // 1,501 × 15 × 1.5 = 33,772.5, rounded up.
    assert_eq!(view(&mut world, &requiredReserveCall { asset: TOKEN })._0, U256::from(33_773));

    // A smaller minute later does not lower the peak.
    world.advance(60);
    let outcome = world.call(
        REPORTER,
        SIZER,
        &recordOutflowCall { asset: TOKEN, amount: U256::from(200) }.abi_encode(),
        U256::ZERO,
    );
    assert!(outcome.success);
    assert_eq!(view(&mut world, &peakMinuteOutflowCall { asset: TOKEN })._0, U256::from(1_501));
    assert_eq!(
        world.logs().len(),
        6,
        "RoleGranted ×2 (constructor, grantRole), AssetConfigured, three outflows"
    );
}

#[test]
fn stranger_is_refused_with_exact_error_and_no_state_change() {
    let mut world = configured_world();
    let before = world.storage_of(SIZER);
    let logs_before = world.logs().len();

    let other_asset = address!("0000000000000000000000000000000000000a55");
    let outcome = world.call(STRANGER, SIZER, &configure_call(other_asset).abi_encode(), U256::ZERO);
    assert!(!outcome.success);
    assert_eq!(outcome.error, None);
    assert_eq!(
        outcome.return_data,
        AccessControlUnauthorizedAccount { account: STRANGER, neededRole: ADMIN_ROLE }.abi_encode()
    );
    assert!(outcome.logs.is_empty());

    let outcome = world.call(
        STRANGER,
        SIZER,
        &recordOutflowCall { asset: TOKEN, amount: U256::from(5) }.abi_encode(),
        U256::ZERO,
    );
    assert_eq!(
        outcome.return_data,
        AccessControlUnauthorizedAccount { account: STRANGER, neededRole: reporter_role() }.abi_encode()
    );
    assert_eq!(world.storage_of(SIZER), before);
    assert_eq!(world.logs().len(), logs_before);
}

#[test]
fn unknown_asset_is_refused_with_exact_error_and_no_state_change() {
    let mut world = configured_world();
    let before = world.storage_of(SIZER);
    let unknown = address!("00000000000000000000000000000000000bad00");

    let outcome = world.call(
        REPORTER,
        SIZER,
        &recordOutflowCall { asset: unknown, amount: U256::from(7) }.abi_encode(),
        U256::ZERO,
    );
    assert!(!outcome.success);
    assert_eq!(outcome.return_data, UnknownAsset { asset: unknown }.abi_encode());
    assert!(outcome.logs.is_empty());
    assert_eq!(world.storage_of(SIZER), before);

    let outcome = world.static_call(STRANGER, SIZER, &requiredReserveCall { asset: unknown }.abi_encode());
    assert_eq!(outcome.return_data, UnknownAsset { asset: unknown }.abi_encode());
}

#[test]
fn reserve_status_reads_the_token_through_a_static_call() {
    let mut world = configured_world();
    let record = recordOutflowCall { asset: TOKEN, amount: U256::from(1_000) }.abi_encode();
    assert!(world.call(REPORTER, SIZER, &record, U256::ZERO).success);
    // required = 1,000 × 15 × 1.5 = 22,500.

    set_token_balance(&mut world, HOLDER, 10_000);
    let status = view(&mut world, &reserveStatusCall { asset: TOKEN });
    assert_eq!(
        (status.required, status.actual, status.shortfall, status.surplus, status.healthy),
        (U256::from(22_500), U256::from(10_000), U256::from(12_500), U256::ZERO, false)
    );

    set_token_balance(&mut world, HOLDER, 30_000);
    let status = view(&mut world, &reserveStatusCall { asset: TOKEN });
    assert_eq!(
        (status.required, status.actual, status.shortfall, status.surplus, status.healthy),
        (U256::from(22_500), U256::from(30_000), U256::ZERO, U256::from(7_500), true)
    );
}

#[test]
fn reserve_status_fails_cleanly_when_the_token_cannot_answer() {
    let mut world = configured_world();
    let expected = BalanceQueryFailed { token: TOKEN, holder: HOLDER }.abi_encode();

    // EVM bytecode: the EVM side does not exist yet, so the call fails.
    world.set_code(TOKEN, vec![0x60, 0x00, 0x60, 0x00, 0xfd]);
    let outcome = world.static_call(STRANGER, SIZER, &reserveStatusCall { asset: TOKEN }.abi_encode());
    assert!(!outcome.success);
    assert_eq!(outcome.return_data, expected);

    // No code at all: the call succeeds with no data, which does not decode.
    world.set_code(TOKEN, Vec::<u8>::new());
    let outcome = world.static_call(STRANGER, SIZER, &reserveStatusCall { asset: TOKEN }.abi_encode());
    assert_eq!(outcome.return_data, expected);
}

#[test]
fn missing_selector_and_value_to_non_payable_revert() {
    let mut world = configured_world();
    let outcome = world.call(STRANGER, SIZER, &[0xde, 0xad, 0xbe, 0xef], U256::ZERO);
    assert!(!outcome.success);
    assert!(outcome.return_data.is_empty());

    world.set_balance(ADMIN, U256::from(1_000));
    let grant = grantRoleCall { role: reporter_role(), account: STRANGER }.abi_encode();
    let outcome = world.call(ADMIN, SIZER, &grant, U256::from(10));
    assert!(!outcome.success, "grantRole is not payable");
    assert_eq!(world.balance(ADMIN), U256::from(1_000), "value transfer rolled back");
    assert_eq!(world.balance(SIZER), U256::ZERO);
}

#[test]
fn every_reserve_sizer_import_is_provided() {
    let world = World::new();
    let wasm = vault_wasm_pack::decode_code(&reserve_sizer_code()).unwrap();
    // Loading checks every import against the hostio list.
    assert_eq!(world.runtime().program(&reserve_sizer_code()).err(), None::<ChainError>);
    assert!(!wasm.is_empty());
}
