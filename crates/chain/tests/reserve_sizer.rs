//! The compiled ReserveSizer wasm on the in-process chain: constructor,
//! roles, pause, configuration, outflow recording, exact reads, every
//! refusal of every public function with its exact custom error and
//! untouched storage and logs, the refusals (with no data) of malformed
//! arguments that the SDK's validating decoder refused, and balance reads
//! through the ERC-20 binding, both from a Stylus stand-in token and from a
//! real OpenZeppelin token (the `TestToken` artifact) on the EVM side.
//!
//! Needs `scripts/build-wasm` to have built
//! `target/stylus/reserve_sizer.wasm`, and the
//! committed artifacts in `tests/solidity/artifacts`.

use std::sync::OnceLock;

use alloy_primitives::{address, hex, keccak256, Address, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent};
use vault_chain::{artifacts::Artifact, ChainError, World};

sol! {
    function grantRole(bytes32 role, address account);
    function revokeRole(bytes32 role, address account);
    function renounceRole(bytes32 role, address confirmation);
    function hasRole(bytes32 role, address account) external view returns (bool);
    function REPORTER_ROLE() external view returns (bytes32);
    function GUARDIAN_ROLE() external view returns (bytes32);
    function pause();
    function unpause();
    function paused() external view returns (bool);
    function configureAsset(address asset, address holder, address bridgeHolder, uint64 windowMinutes, uint64 safetyBps, uint64 bridgeLatencySeconds, uint64 peakWindowMinutes);
    function recordOutflow(address asset, uint256 amount);
    function recordBridgeOutflow(address asset, uint256 amount);
    function recordRelease(address asset, uint256 amount);
    function setBucket(address asset, uint8 bucket, uint256 target, address holder);
    function assetConfig(address asset) external view returns (address holder, address bridgeHolder, uint64 windowMinutes, uint64 safetyBps, uint64 bridgeLatencySeconds, uint64 peakWindowMinutes);
    function peakMinuteOutflow(address asset) external view returns (uint256);
    function requiredReserve(address asset) external view returns (uint256);
    function reserveStatus(address asset) external view returns (uint256 required, uint256 actual, uint256 shortfall, uint256 surplus, bool healthy);
    function bridgeBufferStatus(address asset) external view returns (uint256 required, uint256 actual, uint256 shortfall, uint256 surplus, bool healthy);
    function cantileverCheck(address asset, uint256 tradeSize, uint64 tradesPerMinute) external view returns (uint256 throughput, uint256 imbalancePerMinute, bool holds);
    function bucketStatus(address asset, uint8 bucket) external view returns (address holder, uint256 target, uint256 actual, uint256 shortfall, uint256 surplus, bool funded);
    function canRelease(address asset, uint256 amount) external view returns (bool);
    function stylusConstructor(address admin);

    function tokenConstructor(string name, string symbol, uint8 decimals, address holder, uint256 supply);
    function transfer(address to, uint256 amount) external returns (bool);
    function balanceOf(address account) external view returns (uint256);

    event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
    event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);
    event Paused(address account);
    event Unpaused(address account);
    event AssetConfigured(address indexed asset, address holder, address bridgeHolder, uint64 windowMinutes, uint64 safetyBps, uint64 bridgeLatencySeconds, uint64 peakWindowMinutes);
    event OutflowRecorded(address indexed asset, address indexed reporter, bool indexed bridge, uint64 minute, uint256 amount, uint256 minuteTotal, uint256 peak);
    event BucketConfigured(address indexed asset, uint8 indexed bucket, uint256 target, address holder);
    event ReleaseRecorded(address indexed asset, address indexed reporter, uint256 amount, uint256 reserve, uint256 required);

    error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
    error AccessControlBadConfirmation();
    error EnforcedPause();
    error ExpectedPause();
    error ZeroAddress();
    error UnknownAsset(address asset);
    error UnknownBucket(uint8 bucket);
    error ZeroAmount();
    error AmountTooLarge(uint256 amount);
    error ParameterOutOfRange(uint8 parameter, uint64 value, uint64 min, uint64 max);
    error InvalidFrequency();
    error BalanceQueryFailed(address token, address holder);
    error ArithmeticOverflow();
    error ReleaseBelowRequired(address asset, uint256 reserve, uint256 required);
}

const SIZER: Address = address!("00000000000000000000000000000000005153e5");
const TOKEN: Address = address!("00000000000000000000000000000000000070c1");
const DEPLOYER: Address = address!("000000000000000000000000000000000000de91");
const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
const REPORTER: Address = address!("000000000000000000000000000000000000be01");
const GUARDIAN: Address = address!("000000000000000000000000000000000000a4d1");
const STRANGER: Address = address!("0000000000000000000000000000000000005a11");
const HOLDER: Address = address!("000000000000000000000000000000000000401d");
const BRIDGE_HOLDER: Address = address!("000000000000000000000000000000000000b41d");
const BUCKET_HOLDER: Address = address!("000000000000000000000000000000000000b0c4");
const TREASURY: Address = address!("0000000000000000000000000000000000007ea5");
/// An asset that is never configured.
const OTHER: Address = address!("0000000000000000000000000000000000000a55");
/// A configured asset whose code always reverts.
const BROKEN: Address = address!("000000000000000000000000000000000000dead");
const ZERO: Address = Address::ZERO;
const ADMIN_ROLE: B256 = B256::ZERO;

/// `T` = 15 minutes, safety 1.5×, bridge latency 900 s, peak window 60 min.
const WINDOW_MINUTES: u64 = 15;
const SAFETY_BPS: u64 = 15_000;
/// The four `configureAsset` parameters in order: `T`, safety, latency, peak window.
const PARAMS: [u64; 4] = [WINDOW_MINUTES, SAFETY_BPS, 900, 60];

/// The contract's bounds (lib.rs), as `ParameterOutOfRange` reports them.
const WINDOW_RANGE: (u64, u64) = (1, 1_440);
const SAFETY_RANGE: (u64, u64) = (10_000, 1_000_000);
const LATENCY_RANGE: (u64, u64) = (1, 604_800);
const PEAK_RANGE: (u64, u64) = (1, 10_080);
/// `MAX_OUTFLOW`, 2^128 − 1.
const MAX_OUTFLOW: U256 = U256::from_limbs([u64::MAX, u64::MAX, 0, 0]);

/// EVM bytecode `PUSH1 0 PUSH1 0 REVERT`: reverts with no data.
const REVERT_CODE: [u8; 5] = [0x60, 0x00, 0x60, 0x00, 0xfd];

fn reporter_role() -> B256 {
    keccak256("REPORTER_ROLE")
}

fn guardian_role() -> B256 {
    keccak256("GUARDIAN_ROLE")
}

fn reserve_sizer_wasm() -> &'static [u8] {
    static WASM: OnceLock<Vec<u8>> = OnceLock::new();
    WASM.get_or_init(|| {
        vault_chain::artifacts::contract_wasm("reserve_sizer").unwrap_or_else(|e| panic!("{e}"))
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

/// [`configured_world`] with a guardian, and a second asset `BROKEN`
/// configured with bucket 1 set, whose code then becomes [`REVERT_CODE`].
fn refusal_world() -> World {
    let mut world = configured_world();
    for (caller, calldata) in [
        (ADMIN, grant(guardian_role(), GUARDIAN)),
        (ADMIN, cfg(BROKEN)),
        (ADMIN, set_bucket(BROKEN, 1, 500, BUCKET_HOLDER)),
    ] {
        let outcome = world.call(caller, SIZER, &calldata, U256::ZERO);
        assert!(outcome.success, "{outcome:?}");
    }
    world.set_code(BROKEN, REVERT_CODE.to_vec());
    world
}

/// [`refusal_world`] paused by the guardian.
fn paused_world() -> World {
    let mut world = refusal_world();
    let outcome = world.call(GUARDIAN, SIZER, &pause_calldata(), U256::ZERO);
    assert!(outcome.success, "pause: {outcome:?}");
    world
}

fn configure_call(asset: Address) -> configureAssetCall {
    configure_with(asset, HOLDER, BRIDGE_HOLDER, PARAMS)
}

fn configure_with(asset: Address, holder: Address, bridge: Address, params: [u64; 4]) -> configureAssetCall {
    let [window, safety, latency, peak_window] = params;
    configureAssetCall {
        asset,
        holder,
        bridgeHolder: bridge,
        windowMinutes: window,
        safetyBps: safety,
        bridgeLatencySeconds: latency,
        peakWindowMinutes: peak_window,
    }
}

// Calldata builders, short so that each table row fits on one line.

/// `configureAsset(asset, HOLDER, BRIDGE_HOLDER, PARAMS)`.
fn cfg(asset: Address) -> Vec<u8> {
    configure_call(asset).abi_encode()
}

/// `configureAsset(asset, holder, bridge, PARAMS)`.
fn cfg_holders(asset: Address, holder: Address, bridge: Address) -> Vec<u8> {
    configure_with(asset, holder, bridge, PARAMS).abi_encode()
}

/// `configureAsset(asset, HOLDER, BRIDGE_HOLDER, params)`.
fn cfg_params(asset: Address, params: [u64; 4]) -> Vec<u8> {
    configure_with(asset, HOLDER, BRIDGE_HOLDER, params).abi_encode()
}

/// `configureAsset` of `OTHER` with parameter `index` (0–3) set to `value`.
fn cfg_param(index: usize, value: u64) -> Vec<u8> {
    let mut params = PARAMS;
    params[index] = value;
    cfg_params(OTHER, params)
}

fn record(asset: Address, amount: U256) -> Vec<u8> {
    recordOutflowCall { asset, amount }.abi_encode()
}

fn record_bridge(asset: Address, amount: U256) -> Vec<u8> {
    recordBridgeOutflowCall { asset, amount }.abi_encode()
}

fn set_bucket(asset: Address, bucket: u8, target: u64, holder: Address) -> Vec<u8> {
    setBucketCall { asset, bucket, target: U256::from(target), holder }.abi_encode()
}

fn grant(role: B256, account: Address) -> Vec<u8> {
    grantRoleCall { role, account }.abi_encode()
}

fn revoke(role: B256, account: Address) -> Vec<u8> {
    revokeRoleCall { role, account }.abi_encode()
}

fn renounce(role: B256, confirmation: Address) -> Vec<u8> {
    renounceRoleCall { role, confirmation }.abi_encode()
}

fn pause_calldata() -> Vec<u8> {
    pauseCall {}.abi_encode()
}

fn unpause_calldata() -> Vec<u8> {
    unpauseCall {}.abi_encode()
}

fn asset_config(asset: Address) -> Vec<u8> {
    assetConfigCall { asset }.abi_encode()
}

fn peak_minute_outflow(asset: Address) -> Vec<u8> {
    peakMinuteOutflowCall { asset }.abi_encode()
}

fn required_reserve(asset: Address) -> Vec<u8> {
    requiredReserveCall { asset }.abi_encode()
}

fn reserve_status(asset: Address) -> Vec<u8> {
    reserveStatusCall { asset }.abi_encode()
}

fn bridge_buffer_status(asset: Address) -> Vec<u8> {
    bridgeBufferStatusCall { asset }.abi_encode()
}

fn cantilever_check(asset: Address, trade_size: U256, trades_per_minute: u64) -> Vec<u8> {
    cantileverCheckCall { asset, tradeSize: trade_size, tradesPerMinute: trades_per_minute }.abi_encode()
}

fn bucket_status(asset: Address, bucket: u8) -> Vec<u8> {
    bucketStatusCall { asset, bucket }.abi_encode()
}

fn can_release(asset: Address, amount: U256) -> Vec<u8> {
    canReleaseCall { asset, amount }.abi_encode()
}

fn u(value: u64) -> U256 {
    U256::from(value)
}

// Expected revert data.

/// A sol! error's exact revert data.
fn err(error: &impl SolError) -> Vec<u8> {
    error.abi_encode()
}

fn unauthorized(account: Address, role: B256) -> Vec<u8> {
    AccessControlUnauthorizedAccount { account, neededRole: role }.abi_encode()
}

fn not_admin(account: Address) -> Vec<u8> {
    unauthorized(account, ADMIN_ROLE)
}

fn not_reporter(account: Address) -> Vec<u8> {
    unauthorized(account, reporter_role())
}

fn not_guardian(account: Address) -> Vec<u8> {
    unauthorized(account, guardian_role())
}

fn bad_confirmation() -> Vec<u8> {
    AccessControlBadConfirmation {}.abi_encode()
}

fn out_of_range(parameter: u8, value: u64, (min, max): (u64, u64)) -> Vec<u8> {
    ParameterOutOfRange { parameter, value, min, max }.abi_encode()
}

fn unknown_asset(asset: Address) -> Vec<u8> {
    UnknownAsset { asset }.abi_encode()
}

fn unknown_bucket(bucket: u8) -> Vec<u8> {
    UnknownBucket { bucket }.abi_encode()
}

fn balance_failed(token: Address, holder: Address) -> Vec<u8> {
    BalanceQueryFailed { token, holder }.abi_encode()
}

/// The function `calldata` calls, by its selector, to name a failing case.
fn function_of(calldata: &[u8]) -> &'static str {
    let selectors = [
        (keccak256("stylus_constructor()")[..4].try_into().unwrap(), "constructor"),
        (configureAssetCall::SELECTOR, "configureAsset"),
        (recordOutflowCall::SELECTOR, "recordOutflow"),
        (recordBridgeOutflowCall::SELECTOR, "recordBridgeOutflow"),
        (recordReleaseCall::SELECTOR, "recordRelease"),
        (setBucketCall::SELECTOR, "setBucket"),
        (pauseCall::SELECTOR, "pause"),
        (unpauseCall::SELECTOR, "unpause"),
        (grantRoleCall::SELECTOR, "grantRole"),
        (revokeRoleCall::SELECTOR, "revokeRole"),
        (renounceRoleCall::SELECTOR, "renounceRole"),
        (hasRoleCall::SELECTOR, "hasRole"),
        (assetConfigCall::SELECTOR, "assetConfig"),
        (peakMinuteOutflowCall::SELECTOR, "peakMinuteOutflow"),
        (requiredReserveCall::SELECTOR, "requiredReserve"),
        (reserveStatusCall::SELECTOR, "reserveStatus"),
        (bridgeBufferStatusCall::SELECTOR, "bridgeBufferStatus"),
        (cantileverCheckCall::SELECTOR, "cantileverCheck"),
        (bucketStatusCall::SELECTOR, "bucketStatus"),
        (canReleaseCall::SELECTOR, "canRelease"),
    ];
    let selector: Option<[u8; 4]> = calldata.get(..4).map(|s| s.try_into().unwrap());
    selectors.iter().find(|(known, _)| Some(*known) == selector).map_or("?", |(_, name)| name)
}

/// One refused call: `(name, caller, calldata, exact revert data)`; a
/// failure message prefixes the name with the function the calldata calls.
type Refusal = (&'static str, Address, Vec<u8>, Vec<u8>);

/// Sends every case with `value` and names each one that did not revert
/// with exactly its data, trapped, logged, or changed the sizer's storage,
/// the world's log count or the balances of the caller and the sizer.
fn refusal_failures(world: &mut World, cases: &[Refusal], value: U256) -> Vec<String> {
    let mut failures = Vec::new();
    for (name, caller, calldata, expected) in cases {
        let storage = world.storage_of(SIZER);
        let logs = world.logs().len();
        let balances = (world.balance(*caller), world.balance(SIZER));
        let outcome = world.call(*caller, SIZER, calldata, value);
        let mut wrong = Vec::new();
        if outcome.success {
            wrong.push("succeeded".to_owned());
        }
        if let Some(error) = &outcome.error {
            wrong.push(format!("failed with {error:?}, not a plain revert"));
        }
        if outcome.return_data != *expected {
            let (got, want) = (hex::encode(&outcome.return_data), hex::encode(expected));
            wrong.push(format!("returned 0x{got}, expected 0x{want}"));
        }
        if !outcome.logs.is_empty() || world.logs().len() != logs {
            wrong.push(format!("logged {} events", outcome.logs.len()));
        }
        if world.storage_of(SIZER) != storage {
            wrong.push("changed the sizer's storage".to_owned());
        }
        if (world.balance(*caller), world.balance(SIZER)) != balances {
            wrong.push("moved value".to_owned());
        }
        if !wrong.is_empty() {
            failures.push(format!("{} ({name}): {}", function_of(calldata), wrong.join("; ")));
        }
    }
    failures
}

fn assert_refused(world: &mut World, cases: &[Refusal], value: U256) {
    let failures = refusal_failures(world, cases, value);
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// One refusal outside a table.
fn refuse(world: &mut World, name: &'static str, caller: Address, calldata: Vec<u8>, expected: Vec<u8>) {
    assert_refused(world, &[(name, caller, calldata, expected)], U256::ZERO);
}

/// Calls `calldata` from `caller` and returns its logs; panics if it fails.
fn succeed(world: &mut World, caller: Address, calldata: &[u8]) -> Vec<alloy_primitives::Log> {
    let outcome = world.call(caller, SIZER, calldata, U256::ZERO);
    assert!(outcome.success, "{outcome:?}");
    assert!(outcome.logs.iter().all(|log| log.address == SIZER));
    outcome.logs
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

/// Issue 12, finding 4: the Stabilizer (a reporter) records each release
/// of the reserve to it after the fact. The release is not counted in `P`
/// (it is matched by the mesh's inflow of the other pool token), and it is
/// refused when the reserve is then below the requirement of the real
/// outflows. Every bad input is refused by name and changes nothing.
#[test]
fn record_release_checks_the_reserve_after_the_release_and_leaves_p_alone() {
    let mut world = refusal_world();
    succeed(&mut world, REPORTER, &record(TOKEN, u(1_000)));
    // P 1,000: required 1,000 × 15 × 1.5 = 22,500.
    let required = U256::from(22_500u64);
    assert_eq!(view(&mut world, &requiredReserveCall { asset: TOKEN })._0, required);
    let release = |amount: U256| recordReleaseCall { asset: TOKEN, amount }.abi_encode();
    // The holder at the requirement: recorded, P unchanged, no outflow event.
    set_token_balance(&mut world, HOLDER, 22_500);
    let logs = succeed(&mut world, REPORTER, &release(u(40_000)));
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].topics()[0], ReleaseRecorded::SIGNATURE_HASH);
    assert_eq!(logs[0].topics()[1], TOKEN.into_word());
    assert_eq!(logs[0].topics()[2], REPORTER.into_word());
    let event = ReleaseRecorded::decode_log_data(&logs[0].data, true).unwrap();
    assert_eq!((event.amount, event.reserve, event.required), (u(40_000), required, required));
    for _ in 0..3 {
        succeed(&mut world, REPORTER, &release(u(1_000_000)));
    }
    assert_eq!(view(&mut world, &peakMinuteOutflowCall { asset: TOKEN })._0, u(1_000), "P is unchanged");
    // One unit below the requirement after the release: refused.
    set_token_balance(&mut world, HOLDER, 22_499);
    let below = err(&ReleaseBelowRequired { asset: TOKEN, reserve: u(22_499), required });
    let too_large = U256::from_limbs([0, 0, 1, 0]);
    let cases: Vec<Refusal> = vec![
        ("below the requirement", REPORTER, release(u(1)), below),
        ("a stranger", STRANGER, release(u(1)), not_reporter(STRANGER)),
        ("the admin", ADMIN, release(u(1)), not_reporter(ADMIN)),
        (
            "unknown asset",
            REPORTER,
            recordReleaseCall { asset: OTHER, amount: u(1) }.abi_encode(),
            unknown_asset(OTHER),
        ),
        ("zero", REPORTER, release(U256::ZERO), err(&ZeroAmount {})),
        ("above 2^128 − 1", REPORTER, release(too_large), err(&AmountTooLarge { amount: too_large })),
        (
            "the holder's balance cannot be read",
            REPORTER,
            recordReleaseCall { asset: BROKEN, amount: u(1) }.abi_encode(),
            balance_failed(BROKEN, HOLDER),
        ),
    ];
    assert_refused(&mut world, &cases, U256::ZERO);
    let paused = world.call(GUARDIAN, SIZER, &pause_calldata(), U256::ZERO);
    assert!(paused.success);
    set_token_balance(&mut world, HOLDER, 22_500);
    refuse(&mut world, "paused", REPORTER, release(u(1)), err(&EnforcedPause {}));
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

    // EVM bytecode `PUSH1 0 PUSH1 0 REVERT`: the token runs on the EVM side and
    // reverts with no data, so the balance query fails.
    world.set_code(TOKEN, REVERT_CODE.to_vec());
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

#[test]
fn every_state_changing_function_refuses_each_bad_input_with_its_exact_error() {
    let mut world = refusal_world();
    let (big, max) = (MAX_OUTFLOW + u(1), U256::MAX);
    let (reporter, guardian) = (reporter_role(), guardian_role());
    let cases: Vec<Refusal> = vec![
        // constructor: a second run, by anyone and with any admin, hits the SDK's guard (no data).
        ("again, by a stranger", STRANGER, constructor_calldata(STRANGER), Vec::new()),
        ("again, by the admin", ADMIN, constructor_calldata(ADMIN), Vec::new()),
        ("again, zero admin", DEPLOYER, constructor_calldata(ZERO), Vec::new()),
        // configureAsset: admin only, then zero addresses, then each parameter in order.
        ("stranger", STRANGER, cfg(OTHER), not_admin(STRANGER)),
        ("reporter", REPORTER, cfg(OTHER), not_admin(REPORTER)),
        ("guardian", GUARDIAN, cfg(OTHER), not_admin(GUARDIAN)),
        ("stranger, zero asset", STRANGER, cfg(ZERO), not_admin(STRANGER)),
        ("zero asset", ADMIN, cfg(ZERO), err(&ZeroAddress {})),
        ("zero holder", ADMIN, cfg_holders(OTHER, ZERO, BRIDGE_HOLDER), err(&ZeroAddress {})),
        ("zero bridge holder", ADMIN, cfg_holders(OTHER, HOLDER, ZERO), err(&ZeroAddress {})),
        ("zero asset, params 0", ADMIN, cfg_params(ZERO, [0; 4]), err(&ZeroAddress {})),
        ("T 0", ADMIN, cfg_param(0, 0), out_of_range(0, 0, WINDOW_RANGE)),
        ("T 1,441", ADMIN, cfg_param(0, 1_441), out_of_range(0, 1_441, WINDOW_RANGE)),
        ("T max", ADMIN, cfg_param(0, u64::MAX), out_of_range(0, u64::MAX, WINDOW_RANGE)),
        ("safety 0", ADMIN, cfg_param(1, 0), out_of_range(1, 0, SAFETY_RANGE)),
        ("safety 9,999", ADMIN, cfg_param(1, 9_999), out_of_range(1, 9_999, SAFETY_RANGE)),
        ("safety 1,000,001", ADMIN, cfg_param(1, 1_000_001), out_of_range(1, 1_000_001, SAFETY_RANGE)),
        ("latency 0", ADMIN, cfg_param(2, 0), out_of_range(2, 0, LATENCY_RANGE)),
        ("latency 604,801", ADMIN, cfg_param(2, 604_801), out_of_range(2, 604_801, LATENCY_RANGE)),
        ("peak window 0", ADMIN, cfg_param(3, 0), out_of_range(3, 0, PEAK_RANGE)),
        ("peak window 10,081", ADMIN, cfg_param(3, 10_081), out_of_range(3, 10_081, PEAK_RANGE)),
        ("all four out", ADMIN, cfg_params(OTHER, [0; 4]), out_of_range(0, 0, WINDOW_RANGE)),
        ("safety, latency out", ADMIN, cfg_params(OTHER, [15, 1, 0, 60]), out_of_range(1, 1, SAFETY_RANGE)),
        ("TOKEN again, T 0", ADMIN, cfg_params(TOKEN, [0; 4]), out_of_range(0, 0, WINDOW_RANGE)),
        ("TOKEN, zero holder", ADMIN, cfg_holders(TOKEN, ZERO, BRIDGE_HOLDER), err(&ZeroAddress {})),
        ("truncated calldata", ADMIN, cfg(OTHER)[..100].to_vec(), Vec::new()),
        // recordOutflow: reporter only, then the pause, the asset and the amount.
        ("stranger", STRANGER, record(TOKEN, u(5)), not_reporter(STRANGER)),
        ("admin", ADMIN, record(TOKEN, u(5)), not_reporter(ADMIN)),
        ("guardian", GUARDIAN, record(TOKEN, u(5)), not_reporter(GUARDIAN)),
        ("stranger, unknown asset", STRANGER, record(OTHER, u(0)), not_reporter(STRANGER)),
        ("unknown asset", REPORTER, record(OTHER, u(5)), unknown_asset(OTHER)),
        ("zero asset", REPORTER, record(ZERO, u(5)), unknown_asset(ZERO)),
        ("unknown asset, zero amount", REPORTER, record(OTHER, u(0)), unknown_asset(OTHER)),
        ("zero amount", REPORTER, record(TOKEN, u(0)), err(&ZeroAmount {})),
        ("MAX_OUTFLOW + 1", REPORTER, record(TOKEN, big), err(&AmountTooLarge { amount: big })),
        ("U256::MAX", REPORTER, record(TOKEN, max), err(&AmountTooLarge { amount: max })),
        ("truncated calldata", REPORTER, record(TOKEN, u(5))[..35].to_vec(), Vec::new()),
        // recordBridgeOutflow: the same rules.
        ("stranger", STRANGER, record_bridge(TOKEN, u(5)), not_reporter(STRANGER)),
        ("admin", ADMIN, record_bridge(TOKEN, u(5)), not_reporter(ADMIN)),
        ("guardian", GUARDIAN, record_bridge(TOKEN, u(5)), not_reporter(GUARDIAN)),
        ("unknown asset", REPORTER, record_bridge(OTHER, u(5)), unknown_asset(OTHER)),
        ("zero asset", REPORTER, record_bridge(ZERO, u(5)), unknown_asset(ZERO)),
        ("zero amount", REPORTER, record_bridge(TOKEN, u(0)), err(&ZeroAmount {})),
        ("MAX_OUTFLOW + 1", REPORTER, record_bridge(TOKEN, big), err(&AmountTooLarge { amount: big })),
        ("U256::MAX", REPORTER, record_bridge(TOKEN, max), err(&AmountTooLarge { amount: max })),
        // setBucket: admin only, then the asset, the bucket and the holder.
        ("stranger", STRANGER, set_bucket(TOKEN, 0, 1, HOLDER), not_admin(STRANGER)),
        ("reporter", REPORTER, set_bucket(TOKEN, 0, 1, HOLDER), not_admin(REPORTER)),
        ("guardian", GUARDIAN, set_bucket(TOKEN, 0, 1, HOLDER), not_admin(GUARDIAN)),
        ("unknown asset", ADMIN, set_bucket(OTHER, 0, 1, HOLDER), unknown_asset(OTHER)),
        ("zero asset", ADMIN, set_bucket(ZERO, 0, 1, HOLDER), unknown_asset(ZERO)),
        ("unknown asset, bucket 5", ADMIN, set_bucket(OTHER, 5, 1, HOLDER), unknown_asset(OTHER)),
        ("bucket 5", ADMIN, set_bucket(TOKEN, 5, 1, HOLDER), unknown_bucket(5)),
        ("bucket 255", ADMIN, set_bucket(TOKEN, 255, 1, HOLDER), unknown_bucket(255)),
        ("bucket 5, zero holder", ADMIN, set_bucket(TOKEN, 5, 1, ZERO), unknown_bucket(5)),
        ("zero holder", ADMIN, set_bucket(TOKEN, 4, 1, ZERO), err(&ZeroAddress {})),
        // pause: guardians only (the admin is not one); unpause: admin only, and only when paused.
        ("stranger", STRANGER, pause_calldata(), not_guardian(STRANGER)),
        ("admin without the guardian role", ADMIN, pause_calldata(), not_guardian(ADMIN)),
        ("reporter", REPORTER, pause_calldata(), not_guardian(REPORTER)),
        ("not paused", ADMIN, unpause_calldata(), err(&ExpectedPause {})),
        ("stranger", STRANGER, unpause_calldata(), not_admin(STRANGER)),
        ("guardian", GUARDIAN, unpause_calldata(), not_admin(GUARDIAN)),
        // grantRole / revokeRole: admin only, whatever the role; holding a role does not administer it.
        ("stranger", STRANGER, grant(reporter, STRANGER), not_admin(STRANGER)),
        ("reporter grants reporter", REPORTER, grant(reporter, STRANGER), not_admin(REPORTER)),
        ("guardian grants guardian", GUARDIAN, grant(guardian, STRANGER), not_admin(GUARDIAN)),
        ("stranger grants admin", STRANGER, grant(ADMIN_ROLE, STRANGER), not_admin(STRANGER)),
        ("stranger", STRANGER, revoke(reporter, REPORTER), not_admin(STRANGER)),
        ("reporter revokes itself", REPORTER, revoke(reporter, REPORTER), not_admin(REPORTER)),
        ("guardian revokes the admin", GUARDIAN, revoke(ADMIN_ROLE, ADMIN), not_admin(GUARDIAN)),
        // renounceRole: the confirmation must be the caller.
        ("reporter, confirms stranger", REPORTER, renounce(reporter, STRANGER), bad_confirmation()),
        ("stranger for the reporter", STRANGER, renounce(reporter, REPORTER), bad_confirmation()),
        ("admin, confirms zero", ADMIN, renounce(ADMIN_ROLE, ZERO), bad_confirmation()),
        ("guardian, confirms admin", GUARDIAN, renounce(guardian, ADMIN), bad_confirmation()),
    ];
    assert_refused(&mut world, &cases, U256::ZERO);
}

#[test]
fn while_paused_reporters_get_enforced_pause_and_pause_rules_hold() {
    let mut world = paused_world();
    let paused = err(&EnforcedPause {});
    let cases: Vec<Refusal> = vec![
        ("paused", REPORTER, record(TOKEN, u(5)), paused.clone()),
        ("paused", REPORTER, record_bridge(TOKEN, u(5)), paused.clone()),
        // The role check comes first, the pause before the asset and the amount.
        ("paused, stranger", STRANGER, record(TOKEN, u(5)), not_reporter(STRANGER)),
        ("paused, unknown asset", REPORTER, record(OTHER, u(5)), paused.clone()),
        ("paused, zero amount", REPORTER, record(TOKEN, u(0)), paused.clone()),
        ("paused, too large", REPORTER, record_bridge(TOKEN, U256::MAX), paused.clone()),
        ("already paused", GUARDIAN, pause_calldata(), paused.clone()),
        ("paused, stranger", STRANGER, pause_calldata(), not_guardian(STRANGER)),
        ("guardian", GUARDIAN, unpause_calldata(), not_admin(GUARDIAN)),
        ("reporter", REPORTER, unpause_calldata(), not_admin(REPORTER)),
        // The admin's own refusals are unchanged by the pause.
        ("paused, T 0", ADMIN, cfg_param(0, 0), out_of_range(0, 0, WINDOW_RANGE)),
        ("paused, bucket 5", ADMIN, set_bucket(TOKEN, 5, 1, HOLDER), unknown_bucket(5)),
    ];
    assert_refused(&mut world, &cases, U256::ZERO);
}

#[test]
fn value_sent_to_any_non_payable_function_is_refused_with_empty_data() {
    let mut world = refusal_world();
    for account in [ADMIN, REPORTER, GUARDIAN, STRANGER] {
        world.set_balance(account, u(1_000));
    }
    // Each call would succeed (or fail otherwise) without value: the SDK's
    // value check runs first and reverts with no data.
    let has_admin = hasRoleCall { role: ADMIN_ROLE, account: ADMIN }.abi_encode();
    let cases: Vec<Refusal> = vec![
        ("with value", ADMIN, constructor_calldata(ADMIN), Vec::new()),
        ("with value", ADMIN, cfg(OTHER), Vec::new()),
        ("with value", REPORTER, record(TOKEN, u(5)), Vec::new()),
        ("with value", REPORTER, record_bridge(TOKEN, u(5)), Vec::new()),
        ("with value", ADMIN, set_bucket(TOKEN, 0, 1, HOLDER), Vec::new()),
        ("with value", GUARDIAN, pause_calldata(), Vec::new()),
        ("with value (not ExpectedPause)", ADMIN, unpause_calldata(), Vec::new()),
        ("with value", ADMIN, grant(reporter_role(), STRANGER), Vec::new()),
        ("with value", ADMIN, revoke(reporter_role(), REPORTER), Vec::new()),
        ("with value", REPORTER, renounce(reporter_role(), REPORTER), Vec::new()),
        ("stranger with value (not Unauthorized)", STRANGER, record(TOKEN, u(5)), Vec::new()),
        ("a view with value", STRANGER, has_admin, Vec::new()),
    ];
    assert_refused(&mut world, &cases, u(1));
    assert_eq!(world.balance(SIZER), U256::ZERO);
}

#[test]
fn the_constructor_refuses_a_zero_admin_and_value_then_runs_once() {
    let mut world = World::new();
    world.deploy_code(SIZER, reserve_sizer_code()).unwrap();
    world.set_balance(DEPLOYER, u(1_000));
    assert!(world.storage_of(SIZER).is_empty());
    let cases: Vec<Refusal> = vec![
        ("zero admin", DEPLOYER, constructor_calldata(ZERO), err(&ZeroAddress {})),
        ("truncated admin", DEPLOYER, constructor_calldata(ADMIN)[..20].to_vec(), Vec::new()),
    ];
    assert_refused(&mut world, &cases, U256::ZERO);
    let with_value = ("with value", DEPLOYER, constructor_calldata(ADMIN), Vec::new());
    assert_refused(&mut world, &[with_value], u(1));
    assert!(world.storage_of(SIZER).is_empty(), "no refusal marked the sizer constructed");

    // The refusals did not use up the one run.
    let logs = succeed(&mut world, DEPLOYER, &constructor_calldata(ADMIN));
    assert_eq!(logs.len(), 1);
    let event = RoleGranted::decode_log_data(&logs[0].data, true).unwrap();
    assert_eq!((event.role, event.account, event.sender), (ADMIN_ROLE, ADMIN, DEPLOYER));
    assert!(view(&mut world, &hasRoleCall { role: ADMIN_ROLE, account: ADMIN })._0);
    assert!(!view(&mut world, &pausedCall {})._0);
    refuse(&mut world, "twice", DEPLOYER, constructor_calldata(ADMIN), Vec::new());
}

/// One refused view: `(name, calldata, exact revert data)`.
type ViewRefusal = (&'static str, Vec<u8>, Vec<u8>);

/// Static-calls every case and names each one that did not revert with exactly its data.
fn assert_views_refused(world: &mut World, cases: &[ViewRefusal]) {
    let mut failures = Vec::new();
    for (name, calldata, expected) in cases {
        let outcome = world.static_call(STRANGER, SIZER, calldata);
        if outcome.success || outcome.error.is_some() || outcome.return_data != *expected {
            let (got, want) = (hex::encode(&outcome.return_data), hex::encode(expected));
            failures.push(format!(
                "{} ({name}): success {}, error {:?}, returned 0x{got}, expected 0x{want}",
                function_of(calldata),
                outcome.success,
                outcome.error
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn views_refuse_each_bad_input_with_its_exact_error() {
    let mut world = refusal_world();
    let one = u(1);
    let cases: Vec<ViewRefusal> = vec![
        ("unknown asset", asset_config(OTHER), unknown_asset(OTHER)),
        ("zero asset", asset_config(ZERO), unknown_asset(ZERO)),
        ("unknown asset", peak_minute_outflow(OTHER), unknown_asset(OTHER)),
        ("unknown asset", required_reserve(OTHER), unknown_asset(OTHER)),
        ("unknown asset", reserve_status(OTHER), unknown_asset(OTHER)),
        ("unknown asset", bridge_buffer_status(OTHER), unknown_asset(OTHER)),
        ("unknown asset", cantilever_check(OTHER, one, 1), unknown_asset(OTHER)),
        ("f = 0", cantilever_check(TOKEN, one, 0), err(&InvalidFrequency {})),
        ("f = 0 before the asset", cantilever_check(OTHER, one, 0), err(&InvalidFrequency {})),
        ("s × f overflows", cantilever_check(TOKEN, U256::MAX, 2), err(&ArithmeticOverflow {})),
        ("unknown asset", bucket_status(OTHER, 0), unknown_asset(OTHER)),
        ("unknown asset before the bucket", bucket_status(OTHER, 5), unknown_asset(OTHER)),
        ("bucket 5", bucket_status(TOKEN, 5), unknown_bucket(5)),
        ("bucket 255", bucket_status(TOKEN, 255), unknown_bucket(255)),
        ("unknown asset", can_release(OTHER, one), unknown_asset(OTHER)),
        ("token reverts", reserve_status(BROKEN), balance_failed(BROKEN, HOLDER)),
        ("token reverts", bridge_buffer_status(BROKEN), balance_failed(BROKEN, BRIDGE_HOLDER)),
        ("token reverts", bucket_status(BROKEN, 1), balance_failed(BROKEN, BUCKET_HOLDER)),
        ("token reverts", can_release(BROKEN, one), balance_failed(BROKEN, HOLDER)),
        ("truncated calldata", required_reserve(TOKEN)[..20].to_vec(), Vec::new()),
    ];
    assert_views_refused(&mut world, &cases);

    // What needs no balance still answers for the broken token: its
    // requirement, and a bucket with no holder.
    assert_eq!(view(&mut world, &requiredReserveCall { asset: BROKEN })._0, U256::ZERO);
    let empty = view(&mut world, &bucketStatusCall { asset: BROKEN, bucket: 0 });
    assert_eq!(
        (empty.holder, empty.target, empty.actual, empty.funded),
        (ZERO, U256::ZERO, U256::ZERO, true)
    );
    let check = cantileverCheckCall { asset: TOKEN, tradeSize: U256::MAX, tradesPerMinute: 1 };
    let check = view(&mut world, &check);
    assert_eq!((check.throughput, check.imbalancePerMinute, check.holds), (U256::MAX, U256::ZERO, true));

    // Paused, the failing views fail the same way: canRelease does not just answer false.
    let mut world = paused_world();
    let cases: Vec<ViewRefusal> = vec![
        ("paused, unknown asset", can_release(OTHER, one), unknown_asset(OTHER)),
        ("paused, token reverts", can_release(BROKEN, one), balance_failed(BROKEN, HOLDER)),
        ("paused, unknown asset", reserve_status(OTHER), unknown_asset(OTHER)),
    ];
    assert_views_refused(&mut world, &cases);
}

#[test]
fn a_guardian_pauses_and_only_the_admin_unpauses() {
    let mut world = configured_world();
    set_token_balance(&mut world, HOLDER, 10_000);
    let releasable =
        |world: &mut World, amount: u64| view(world, &canReleaseCall { asset: TOKEN, amount: u(amount) })._0;
    assert!(releasable(&mut world, 10_000));

    // The admin is not a guardian: it must grant the role, here to GUARDIAN.
    refuse(&mut world, "admin", ADMIN, pause_calldata(), not_guardian(ADMIN));
    succeed(&mut world, ADMIN, &grant(guardian_role(), GUARDIAN));

    let logs = succeed(&mut world, GUARDIAN, &pause_calldata());
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].topics(), [keccak256("Paused(address)")]);
    assert_eq!(Paused::decode_log_data(&logs[0].data, true).unwrap().account, GUARDIAN);
    assert!(view(&mut world, &pausedCall {})._0);

    refuse(&mut world, "paused", REPORTER, record(TOKEN, u(5)), err(&EnforcedPause {}));
    refuse(&mut world, "paused", REPORTER, record_bridge(TOKEN, u(5)), err(&EnforcedPause {}));
    refuse(&mut world, "twice", GUARDIAN, pause_calldata(), err(&EnforcedPause {}));
    assert!(!releasable(&mut world, 1), "canRelease is false while paused");
    assert!(!releasable(&mut world, 0));
    // Views that do not release still answer.
    let status = view(&mut world, &reserveStatusCall { asset: TOKEN });
    assert_eq!((status.actual, status.healthy), (u(10_000), true));

    // The admin still configures while paused.
    let logs = succeed(&mut world, ADMIN, &cfg_params(TOKEN, [10, 20_000, 60, 30]));
    assert_eq!(AssetConfigured::decode_log(&logs[0], true).unwrap().windowMinutes, 10);
    let logs = succeed(&mut world, ADMIN, &set_bucket(TOKEN, 0, 7, BUCKET_HOLDER));
    assert_eq!(BucketConfigured::decode_log(&logs[0], true).unwrap().target, u(7));

    // Only the admin unpauses.
    refuse(&mut world, "guardian", GUARDIAN, unpause_calldata(), not_admin(GUARDIAN));
    let logs = succeed(&mut world, ADMIN, &unpause_calldata());
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].topics(), [keccak256("Unpaused(address)")]);
    assert_eq!(Unpaused::decode_log_data(&logs[0].data, true).unwrap().account, ADMIN);
    assert!(!view(&mut world, &pausedCall {})._0);
    refuse(&mut world, "twice", ADMIN, unpause_calldata(), err(&ExpectedPause {}));

    // Works again: 100 × 10 × 2 = 2,000 required of 10,000.
    let logs = succeed(&mut world, REPORTER, &record(TOKEN, u(100)));
    assert_eq!(OutflowRecorded::decode_log(&logs[0], true).unwrap().peak, u(100));
    assert_eq!(view(&mut world, &requiredReserveCall { asset: TOKEN })._0, u(2_000));
    assert!(releasable(&mut world, 8_000));
    assert!(!releasable(&mut world, 8_001));

    // A revoked guardian cannot pause; an admin that grants itself the role can.
    succeed(&mut world, ADMIN, &revoke(guardian_role(), GUARDIAN));
    refuse(&mut world, "revoked", GUARDIAN, pause_calldata(), not_guardian(GUARDIAN));
    succeed(&mut world, ADMIN, &grant(guardian_role(), ADMIN));
    let logs = succeed(&mut world, ADMIN, &pause_calldata());
    assert_eq!(Paused::decode_log_data(&logs[0].data, true).unwrap().account, ADMIN);
}

#[test]
fn roles_are_granted_revoked_and_renounced_with_events() {
    let mut world = configured_world();
    assert_eq!(view(&mut world, &REPORTER_ROLECall {})._0, reporter_role());
    assert_eq!(view(&mut world, &GUARDIAN_ROLECall {})._0, guardian_role());
    let has =
        |world: &mut World, role: B256, account: Address| view(world, &hasRoleCall { role, account })._0;

    let logs = succeed(&mut world, ADMIN, &grant(guardian_role(), GUARDIAN));
    assert_eq!(logs.len(), 1);
    assert_eq!(RoleGranted::SIGNATURE_HASH, keccak256("RoleGranted(bytes32,address,address)"));
    assert_eq!(
        logs[0].topics(),
        [RoleGranted::SIGNATURE_HASH, guardian_role(), GUARDIAN.into_word(), ADMIN.into_word()]
    );
    let event = RoleGranted::decode_log(&logs[0], true).unwrap();
    assert_eq!((event.role, event.account, event.sender), (guardian_role(), GUARDIAN, ADMIN));
    assert!(has(&mut world, guardian_role(), GUARDIAN));

    // Granting a held role succeeds quietly and writes nothing.
    let storage = world.storage_of(SIZER);
    assert!(succeed(&mut world, ADMIN, &grant(guardian_role(), GUARDIAN)).is_empty());
    assert_eq!(world.storage_of(SIZER), storage);

    let logs = succeed(&mut world, ADMIN, &revoke(guardian_role(), GUARDIAN));
    assert_eq!(logs.len(), 1);
    assert_eq!(RoleRevoked::SIGNATURE_HASH, keccak256("RoleRevoked(bytes32,address,address)"));
    assert_eq!(
        logs[0].topics(),
        [RoleRevoked::SIGNATURE_HASH, guardian_role(), GUARDIAN.into_word(), ADMIN.into_word()]
    );
    let event = RoleRevoked::decode_log(&logs[0], true).unwrap();
    assert_eq!((event.role, event.account, event.sender), (guardian_role(), GUARDIAN, ADMIN));
    assert!(!has(&mut world, guardian_role(), GUARDIAN));
    assert!(succeed(&mut world, ADMIN, &revoke(guardian_role(), GUARDIAN)).is_empty(), "not held: no event");
    refuse(&mut world, "revoked", GUARDIAN, pause_calldata(), not_guardian(GUARDIAN));

    // The reporter renounces with itself as confirmation: RoleRevoked with sender = account.
    let logs = succeed(&mut world, REPORTER, &renounce(reporter_role(), REPORTER));
    assert_eq!(logs.len(), 1);
    let event = RoleRevoked::decode_log(&logs[0], true).unwrap();
    assert_eq!((event.role, event.account, event.sender), (reporter_role(), REPORTER, REPORTER));
    assert!(!has(&mut world, reporter_role(), REPORTER));
    refuse(&mut world, "renounced", REPORTER, record(TOKEN, u(5)), not_reporter(REPORTER));
    assert!(
        succeed(&mut world, REPORTER, &renounce(reporter_role(), REPORTER)).is_empty(),
        "not held: no event"
    );

    // A second admin administers every role; the first renounces and loses them all.
    succeed(&mut world, ADMIN, &grant(ADMIN_ROLE, STRANGER));
    let logs = succeed(&mut world, STRANGER, &grant(reporter_role(), REPORTER));
    let event = RoleGranted::decode_log(&logs[0], true).unwrap();
    assert_eq!((event.role, event.account, event.sender), (reporter_role(), REPORTER, STRANGER));
    let logs = succeed(&mut world, ADMIN, &renounce(ADMIN_ROLE, ADMIN));
    let event = RoleRevoked::decode_log(&logs[0], true).unwrap();
    assert_eq!((event.role, event.account, event.sender), (ADMIN_ROLE, ADMIN, ADMIN));
    refuse(&mut world, "renounced", ADMIN, cfg(OTHER), not_admin(ADMIN));
    refuse(&mut world, "renounced", ADMIN, grant(ADMIN_ROLE, ADMIN), not_admin(ADMIN));
    assert!(has(&mut world, ADMIN_ROLE, STRANGER));
    assert!(!has(&mut world, ADMIN_ROLE, ADMIN));
}

/// The ReserveSizer (deployed from its wasm) and an OpenZeppelin `TestToken`
/// minting 1,000,000 to `TREASURY`, configured as an asset with `PARAMS`.
fn world_with_open_zeppelin_token() -> (World, Address) {
    let mut world = World::new();
    world.deploy_stylus(SIZER, reserve_sizer_wasm()).expect("ReserveSizer deploys");
    succeed(&mut world, DEPLOYER, &constructor_calldata(ADMIN));
    let args = tokenConstructorCall {
        name: "Test USD".into(),
        symbol: "TUSD".into(),
        decimals: 6,
        holder: TREASURY,
        supply: u(1_000_000),
    }
    .abi_encode()[4..]
        .to_vec();
    let token =
        Artifact::load("TestToken").unwrap().deploy(&mut world, DEPLOYER, &args).expect("token deploys");
    succeed(&mut world, ADMIN, &grant(reporter_role(), REPORTER));
    succeed(&mut world, ADMIN, &cfg(token));
    (world, token)
}

fn token_transfer(world: &mut World, token: Address, from: Address, to: Address, amount: u64) {
    let outcome = world.call(from, token, &transferCall { to, amount: u(amount) }.abi_encode(), U256::ZERO);
    assert!(outcome.success, "transfer: {outcome:?}");
    assert!(transferCall::abi_decode_returns(&outcome.return_data, true).unwrap()._0);
}

fn token_balance(world: &mut World, token: Address, account: Address) -> U256 {
    let outcome = world.static_call(STRANGER, token, &balanceOfCall { account }.abi_encode());
    assert!(outcome.success, "balanceOf: {outcome:?}");
    balanceOfCall::abi_decode_returns(&outcome.return_data, true).unwrap()._0
}

/// `(required, actual, shortfall, surplus, healthy)`.
type Status = (U256, U256, U256, U256, bool);

fn read_reserve(world: &mut World, asset: Address) -> Status {
    let s = view(world, &reserveStatusCall { asset });
    (s.required, s.actual, s.shortfall, s.surplus, s.healthy)
}

fn read_bridge_buffer(world: &mut World, asset: Address) -> Status {
    let s = view(world, &bridgeBufferStatusCall { asset });
    (s.required, s.actual, s.shortfall, s.surplus, s.healthy)
}

fn read_bucket(world: &mut World, asset: Address, bucket: u8) -> (Address, U256, U256, U256, U256, bool) {
    let s = view(world, &bucketStatusCall { asset, bucket });
    (s.holder, s.target, s.actual, s.shortfall, s.surplus, s.funded)
}

#[test]
fn statuses_read_real_open_zeppelin_balances_after_transfers() {
    let (mut world, token) = world_with_open_zeppelin_token();
    succeed(&mut world, REPORTER, &record(token, u(1_000)));
    succeed(&mut world, REPORTER, &record_bridge(token, u(600)));
    let logs = succeed(&mut world, ADMIN, &set_bucket(token, 2, 50_000, BUCKET_HOLDER));
    let event = BucketConfigured::decode_log(&logs[0], true).unwrap();
    assert_eq!((event.asset, event.bucket, event.target, event.holder), (token, 2, u(50_000), BUCKET_HOLDER));
    let releasable =
        |world: &mut World, amount: u64| view(world, &canReleaseCall { asset: token, amount: u(amount) })._0;

    // required = 1,000 × 15 × 1.5 = 22,500; bridge buffer = 600 × 900 s / 60 s = 9,000.
    let zero = U256::ZERO;
    assert_eq!(read_reserve(&mut world, token), (u(22_500), zero, u(22_500), zero, false));
    assert_eq!(read_bridge_buffer(&mut world, token), (u(9_000), zero, u(9_000), zero, false));
    assert_eq!(read_bucket(&mut world, token, 2), (BUCKET_HOLDER, u(50_000), zero, u(50_000), zero, false));
    assert!(!releasable(&mut world, 0));

    token_transfer(&mut world, token, TREASURY, HOLDER, 30_000);
    token_transfer(&mut world, token, TREASURY, BRIDGE_HOLDER, 5_000);
    token_transfer(&mut world, token, TREASURY, BUCKET_HOLDER, 60_000);
    assert_eq!(token_balance(&mut world, token, HOLDER), u(30_000));
    assert_eq!(read_reserve(&mut world, token), (u(22_500), u(30_000), zero, u(7_500), true));
    assert_eq!(read_bridge_buffer(&mut world, token), (u(9_000), u(5_000), u(4_000), zero, false));
    assert_eq!(
        read_bucket(&mut world, token, 2),
        (BUCKET_HOLDER, u(50_000), u(60_000), zero, u(10_000), true)
    );
    assert!(releasable(&mut world, 7_500));
    assert!(!releasable(&mut world, 7_501));

    // Holders spending their tokens move the statuses the other way.
    token_transfer(&mut world, token, HOLDER, TREASURY, 10_000);
    token_transfer(&mut world, token, TREASURY, BRIDGE_HOLDER, 4_000);
    token_transfer(&mut world, token, BUCKET_HOLDER, HOLDER, 20_000);
    assert_eq!(token_balance(&mut world, token, HOLDER), u(40_000));
    assert_eq!(token_balance(&mut world, token, TREASURY), u(911_000));
    assert_eq!(read_reserve(&mut world, token), (u(22_500), u(40_000), zero, u(17_500), true));
    assert_eq!(read_bridge_buffer(&mut world, token), (u(9_000), u(9_000), zero, zero, true));
    assert_eq!(
        read_bucket(&mut world, token, 2),
        (BUCKET_HOLDER, u(50_000), u(40_000), u(10_000), zero, false)
    );
    assert!(releasable(&mut world, 17_500));
    assert!(!releasable(&mut world, 17_501));

    // An unset bucket of the same token reads no balance.
    assert_eq!(read_bucket(&mut world, token, 4), (ZERO, zero, zero, zero, zero, true));
}

#[test]
fn a_clock_running_backwards_is_refused_as_arithmetic_overflow() {
    let mut world = configured_world();
    world.advance(600);
    succeed(&mut world, REPORTER, &record(TOKEN, u(10)));
    // The peak tracker refuses an earlier minute (`MathError::InvalidInput`),
    // which the contract's `From<MathError>` turns into `ArithmeticOverflow`.
    world.block_mut().timestamp -= 120;
    let overflow = err(&ArithmeticOverflow {});
    refuse(&mut world, "earlier minute", REPORTER, record(TOKEN, u(10)), overflow);
    assert_eq!(view(&mut world, &peakMinuteOutflowCall { asset: TOKEN })._0, u(10));
}

/// `calldata` with the 32-byte argument word `index` (after the selector)
/// replaced by `word`.
fn with_word(calldata: &[u8], index: usize, word: U256) -> Vec<u8> {
    let mut data = calldata.to_vec();
    data[4 + 32 * index..4 + 32 * (index + 1)].copy_from_slice(&word.to_be_bytes::<32>());
    data
}

/// `calldata` followed by `extra` bytes of zeros.
fn with_trailing(calldata: &[u8], extra: usize) -> Vec<u8> {
    let mut data = calldata.to_vec();
    data.resize(data.len() + extra, 0);
    data
}

#[test]
fn malformed_arguments_are_refused_with_empty_data_as_the_sdk_decoder_refuses_them() {
    // The SDK's decoder (alloy, validating) refuses trailing bytes, an
    // address word with a nonzero high byte, and a `uint8` or `uint64` word
    // out of its range: each call reverts with no data before anything runs.
    let mut world = refusal_world();
    let mut data = with_trailing(&constructor_calldata(ADMIN), 32);
    let dirty_address = U256::from(1) << 160;
    let (u8_over, u64_over) = (u(256), U256::from(1) << 64);
    let reporter = reporter_role();
    let cases: Vec<Refusal> = vec![
        ("constructor, trailing word", DEPLOYER, data.clone(), Vec::new()),
        ("trailing byte", ADMIN, with_trailing(&cfg(OTHER), 1), Vec::new()),
        ("trailing word", ADMIN, with_trailing(&cfg(OTHER), 32), Vec::new()),
        ("asset high bit", ADMIN, with_word(&cfg(OTHER), 0, dirty_address), Vec::new()),
        ("T 2^64", ADMIN, with_word(&cfg(OTHER), 3, u64_over), Vec::new()),
        ("peak window 2^64", ADMIN, with_word(&cfg(OTHER), 6, u64_over), Vec::new()),
        ("trailing word", REPORTER, with_trailing(&record(TOKEN, u(5)), 32), Vec::new()),
        ("asset high bit", REPORTER, with_word(&record(TOKEN, u(5)), 0, dirty_address), Vec::new()),
        ("trailing byte", REPORTER, with_trailing(&record_bridge(TOKEN, u(5)), 1), Vec::new()),
        ("bucket 256", ADMIN, with_word(&set_bucket(TOKEN, 0, 1, HOLDER), 1, u8_over), Vec::new()),
        ("holder high bit", ADMIN, with_word(&set_bucket(TOKEN, 0, 1, HOLDER), 3, dirty_address), Vec::new()),
        ("trailing byte", GUARDIAN, with_trailing(&pause_calldata(), 1), Vec::new()),
        ("trailing word", ADMIN, with_trailing(&grant(reporter, STRANGER), 32), Vec::new()),
        ("account high bit", ADMIN, with_word(&revoke(reporter, REPORTER), 1, dirty_address), Vec::new()),
        ("trailing byte", REPORTER, with_trailing(&renounce(reporter, REPORTER), 1), Vec::new()),
    ];
    assert_refused(&mut world, &cases, U256::ZERO);
    let cases: Vec<ViewRefusal> = vec![
        ("trailing byte", with_trailing(&pausedCall {}.abi_encode(), 1), Vec::new()),
        ("trailing word", with_trailing(&REPORTER_ROLECall {}.abi_encode(), 32), Vec::new()),
        ("trailing word", with_trailing(&required_reserve(TOKEN), 32), Vec::new()),
        ("asset high bit", with_word(&asset_config(TOKEN), 0, dirty_address), Vec::new()),
        ("f 2^64", with_word(&cantilever_check(TOKEN, u(1), 1), 2, u64_over), Vec::new()),
        ("bucket 256", with_word(&bucket_status(TOKEN, 0), 1, u8_over), Vec::new()),
        ("bucket 2^64", with_word(&bucket_status(TOKEN, 0), 1, u64_over), Vec::new()),
        ("trailing byte", with_trailing(&can_release(TOKEN, u(1)), 1), Vec::new()),
    ];
    assert_views_refused(&mut world, &cases);

    // Before construction too: the malformed constructor call does not use up the one run.
    let mut world = World::new();
    world.deploy_code(SIZER, reserve_sizer_code()).unwrap();
    refuse(&mut world, "constructor, trailing word", DEPLOYER, data.clone(), Vec::new());
    data.truncate(data.len() - 32);
    succeed(&mut world, DEPLOYER, &data);
}
