//! Calls across the EVM and Stylus on the in-process chain, with real
//! Solidity (solc-js artifacts) and the compiled ReserveSizer wasm: every
//! direction, value, return and revert data, rollback of storage and logs,
//! the 63/64 rule, Stylus's refusal of reentrancy, `ArbSys` and the L1
//! `block.number`, deep Stylus↔EVM nesting and running out of ink.
//!
//! Needs `scripts/build-wasm` (the ReserveSizer wasm) and the committed
//! artifacts in `tests/solidity/artifacts`.

use std::sync::OnceLock;

use alloy_primitives::{address, keccak256, Address, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolValue};
use vault_chain::{artifacts::Artifact, ChainError, World};

sol! {
    function forward(address target, bytes data) external payable returns (bool ok, bytes ret);
    function forwardStatic(address target, bytes data) external view returns (bool ok, bytes ret);
    function forwardDelegate(address target, bytes data) external returns (bool ok, bytes ret);
    function forwardWithGas(address target, bytes data, uint256 gasLimit) external returns (bool ok, bytes ret, uint256 gasBefore, uint256 gasAfter);
    function writeThenForward(bytes32 key, bytes32 value, address target, bytes data, bool failAfter) external returns (bool ok, bytes ret);
    function stored(bytes32 key) external view returns (bytes32);
    function clock() external view returns (uint256 l1Block, uint256 l2Block, uint256 timestamp, uint256 chainId);
    function bounce(address proxy, uint256 depth) external returns (uint256 completed);
    function setCallback(address target, bytes data) external;
    event Wrote(bytes32 indexed key, bytes32 value);
    error FailedAfterCall(bool callSucceeded);

    function tokenConstructor(string name, string symbol, uint8 decimals, address holder, uint256 supply);
    function transfer(address to, uint256 amount) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
    event Transfer(address indexed from, address indexed to, uint256 value);

    function stylusConstructor(address admin);
    function grantRole(bytes32 role, address account);
    function hasRole(bytes32 role, address account) external view returns (bool);
    function configureAsset(address asset, address holder, address bridgeHolder, uint64 windowMinutes, uint64 safetyBps, uint64 bridgeLatencySeconds, uint64 peakWindowMinutes);
    function peakMinuteOutflow(address asset) external view returns (uint256);
    function reserveStatus(address asset) external view returns (uint256 required, uint256 actual, uint256 shortfall, uint256 surplus, bool healthy);
    error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
}

const SIZER: Address = address!("00000000000000000000000000000000005153e5");
const PROXY: Address = address!("0000000000000000000000000000000000000a01");
const DEPLOYER: Address = address!("000000000000000000000000000000000000de91");
const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
const USER: Address = address!("000000000000000000000000000000000000a11c");
const HOLDER: Address = address!("000000000000000000000000000000000000401d");

fn reserve_sizer_wasm() -> &'static [u8] {
    static WASM: OnceLock<Vec<u8>> = OnceLock::new();
    WASM.get_or_init(|| {
        vault_chain::artifacts::contract_wasm("reserve_sizer").unwrap_or_else(|e| panic!("{e}"))
    })
}

fn constructor_calldata(admin: Address) -> Vec<u8> {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(&stylusConstructorCall { admin }.abi_encode()[4..]);
    data
}

struct Setup {
    world: World,
    probe: Address,
    token: Address,
}

/// A world with the ReserveSizer constructed, the WAT forwarding proxy,
/// a `CallProbe` and an OpenZeppelin token holding 1,000,000 for `USER`.
fn setup() -> Setup {
    let mut world = World::new();
    world.deploy_stylus(SIZER, reserve_sizer_wasm()).expect("ReserveSizer deploys");
    let outcome = world.call(DEPLOYER, SIZER, &constructor_calldata(ADMIN), U256::ZERO);
    assert!(outcome.success, "constructor: {outcome:?}");
    let proxy = wat::parse_str(include_str!("fixtures/proxy.wat")).unwrap();
    world.deploy_stylus(PROXY, &proxy).unwrap();
    let probe =
        Artifact::load("CallProbe").unwrap().deploy(&mut world, DEPLOYER, &[]).expect("probe deploys");
    let args = tokenConstructorCall {
        name: "Test USD".into(),
        symbol: "TUSD".into(),
        decimals: 6,
        holder: USER,
        supply: U256::from(1_000_000),
    }
    .abi_encode()[4..]
        .to_vec();
    let token =
        Artifact::load("TestToken").unwrap().deploy(&mut world, DEPLOYER, &args).expect("token deploys");
    Setup { world, probe, token }
}

fn decode<C: SolCall>(outcome: &vault_chain::CallOutcome) -> C::Return {
    assert!(outcome.success, "{}: {outcome:?}", C::SIGNATURE);
    C::abi_decode_returns(&outcome.return_data, true).expect("return data decodes")
}

#[test]
fn an_eoa_deploys_solidity_and_transfers_a_token() {
    let Setup { mut world, token, .. } = setup();
    assert_eq!(world.nonce(DEPLOYER), 3, "the constructor call and two deployments");
    assert_eq!(token, DEPLOYER.create(2));

    let outcome = world.call(
        USER,
        token,
        &transferCall { to: HOLDER, amount: U256::from(250) }.abi_encode(),
        U256::ZERO,
    );
    assert!(decode::<transferCall>(&outcome)._0);
    let event = Transfer::decode_log(&outcome.logs[0], true).unwrap();
    assert_eq!((event.from, event.to, event.value), (USER, HOLDER, U256::from(250)));
    // 21,000 + calldata + a cold sender slot and a fresh receiver slot:
    // an OpenZeppelin transfer to a new holder costs about 51k on Ethereum.
    assert!((45_000..60_000).contains(&outcome.gas_used), "gas {}", outcome.gas_used);
    assert_eq!(outcome.ink_used, 0, "no Stylus frame ran");

    let balance = world.static_call(USER, token, &balanceOfCall { account: HOLDER }.abi_encode());
    assert_eq!(decode::<balanceOfCall>(&balance)._0, U256::from(250));
}

#[test]
fn solidity_calls_stylus_and_gets_its_return_and_revert_data() {
    let Setup { mut world, probe, .. } = setup();
    let has_role = hasRoleCall { role: [0; 32].into(), account: ADMIN }.abi_encode();
    let outcome = world.call(
        USER,
        probe,
        &forwardCall { target: SIZER, data: has_role.into() }.abi_encode(),
        U256::ZERO,
    );
    let result = decode::<forwardCall>(&outcome);
    assert!(result.ok);
    assert!(bool::abi_decode(&result.ret, true).unwrap());
    assert!(outcome.ink_used > 0, "the Stylus frame burnt ink");

    // The program's custom error comes back byte for byte; the probe is the sender.
    let grant = grantRoleCall { role: [7; 32].into(), account: USER }.abi_encode();
    let outcome =
        world.call(USER, probe, &forwardCall { target: SIZER, data: grant.into() }.abi_encode(), U256::ZERO);
    let result = decode::<forwardCall>(&outcome);
    assert!(!result.ok);
    let expected = AccessControlUnauthorizedAccount { account: probe, neededRole: [0; 32].into() };
    assert_eq!(result.ret.to_vec(), expected.abi_encode());
}

#[test]
fn stylus_calls_solidity_and_reads_an_erc20_balance() {
    let Setup { mut world, token, .. } = setup();
    let configure = configureAssetCall {
        asset: token,
        holder: USER,
        bridgeHolder: HOLDER,
        windowMinutes: 15,
        safetyBps: 15_000,
        bridgeLatencySeconds: 900,
        peakWindowMinutes: 60,
    };
    assert!(world.call(ADMIN, SIZER, &configure.abi_encode(), U256::ZERO).success);
    let outcome = world.static_call(USER, SIZER, &reserveStatusCall { asset: token }.abi_encode());
    let status = decode::<reserveStatusCall>(&outcome);
    assert_eq!((status.actual, status.healthy), (U256::from(1_000_000), true));

    // A reverting EVM callee surfaces as a failed call inside the program;
    // through the WAT proxy the status word is 1 and the data is the revert.
    let outcome = world.call(
        USER,
        PROXY,
        &proxy_calldata(token, &transferCall { to: HOLDER, amount: U256::from(2_000_000) }.abi_encode()),
        U256::ZERO,
    );
    assert!(outcome.success);
    assert_eq!(outcome.return_data[31], 1);
    // OpenZeppelin 5: ERC20InsufficientBalance(address,uint256,uint256).
    assert_eq!(
        outcome.return_data[32..36],
        keccak256("ERC20InsufficientBalance(address,uint256,uint256)")[..4]
    );
}

fn proxy_calldata(target: Address, inner: &[u8]) -> Vec<u8> {
    let mut data = vec![0];
    data.extend_from_slice(target.as_slice());
    data.extend_from_slice(inner);
    data
}

#[test]
fn a_revert_rolls_back_evm_and_stylus_storage_and_logs() {
    let Setup { mut world, probe, .. } = setup();
    let key = [1; 32].into();
    let value = [2; 32].into();
    // The probe writes and logs, the Stylus proxy writes its slot 0 and
    // calls the probe's `stored` view; then the probe reverts.
    let inner = proxy_calldata(probe, &storedCall { key }.abi_encode());
    let call =
        writeThenForwardCall { key, value, target: PROXY, data: inner.clone().into(), failAfter: true };
    let proxy_before = world.storage_of(PROXY);
    let logs_before = world.logs().len();
    let outcome = world.call(USER, probe, &call.abi_encode(), U256::ZERO);
    assert!(!outcome.success);
    assert_eq!(outcome.return_data, FailedAfterCall { callSucceeded: true }.abi_encode());
    assert!(outcome.logs.is_empty());
    assert_eq!(world.logs().len(), logs_before);
    assert_eq!(world.storage_of(PROXY), proxy_before);
    let stored_now = world.static_call(USER, probe, &storedCall { key }.abi_encode());
    assert_eq!(decode::<storedCall>(&stored_now)._0, [0; 32]);

    // The same without the final revert keeps everything.
    let call = writeThenForwardCall { key, value, target: PROXY, data: inner.into(), failAfter: false };
    let outcome = world.call(USER, probe, &call.abi_encode(), U256::ZERO);
    let result = decode::<writeThenForwardCall>(&outcome);
    assert!(result.ok);
    assert_eq!(outcome.logs.len(), 1);
    assert_eq!(Wrote::decode_log(&outcome.logs[0], true).unwrap().value, value);
    assert_eq!(world.storage(PROXY, U256::ZERO), alloy_primitives::B256::with_last_byte(1));
}

#[test]
fn value_moves_between_accounts_and_is_refused_by_a_non_payable_program() {
    let Setup { mut world, probe, .. } = setup();
    world.set_balance(USER, U256::from(1_000));
    let outcome = world.call(
        USER,
        probe,
        &forwardCall { target: HOLDER, data: Vec::new().into() }.abi_encode(),
        U256::from(300),
    );
    assert!(decode::<forwardCall>(&outcome).ok);
    assert_eq!(
        (world.balance(USER), world.balance(HOLDER), world.balance(probe)),
        (U256::from(700), U256::from(300), U256::ZERO)
    );

    // The ReserveSizer is not payable: its revert sends the value back to
    // the probe, whose own call succeeds.
    let has_role = hasRoleCall { role: [0; 32].into(), account: ADMIN }.abi_encode();
    let outcome = world.call(
        USER,
        probe,
        &forwardCall { target: SIZER, data: has_role.into() }.abi_encode(),
        U256::from(100),
    );
    assert!(!decode::<forwardCall>(&outcome).ok);
    assert_eq!(
        (world.balance(USER), world.balance(SIZER), world.balance(probe)),
        (U256::from(600), U256::ZERO, U256::from(100))
    );

    // More than the sender has fails before running anything.
    let outcome = world.call(
        USER,
        probe,
        &forwardCall { target: HOLDER, data: Vec::new().into() }.abi_encode(),
        U256::from(5_000),
    );
    assert_eq!(outcome.error, Some(ChainError::InsufficientBalance { from: USER }));
    assert_eq!(world.balance(USER), U256::from(600));
}

#[test]
fn the_63_64_rule_leaves_the_caller_gas_after_a_callee_burns_all() {
    let Setup { mut world, probe, .. } = setup();
    // INVALID (0xFE) consumes every unit of gas it is given.
    let burner = address!("00000000000000000000000000000000000000fe");
    world.set_code(burner, vec![0xfe]);
    let call = forwardWithGasCall { target: burner, data: Vec::new().into(), gasLimit: U256::MAX };
    let outcome = world.call(USER, probe, &call.abi_encode(), U256::ZERO);
    let result = decode::<forwardWithGasCall>(&outcome);
    assert!(!result.ok);
    let (before, after) = (result.gasBefore.to::<u64>(), result.gasAfter.to::<u64>());
    // The callee got at most 63/64 of what was left after the call's own cost.
    let kept = before / 64;
    assert!(after + 3_000 >= kept && after <= kept + 3_000, "before {before}, after {after}, 1/64 = {kept}");

    // From Stylus: the proxy keeps 1/64 and still writes its slot afterwards.
    let outcome = world.call(USER, PROXY, &proxy_calldata(burner, &[]), U256::ZERO);
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.return_data[31], 1, "the inner call failed");
    assert_eq!(world.storage(PROXY, U256::ZERO), alloy_primitives::B256::with_last_byte(1));
}

#[test]
fn a_program_given_too_little_gas_runs_out_of_ink() {
    let Setup { mut world, probe, .. } = setup();
    let has_role = hasRoleCall { role: [0; 32].into(), account: ADMIN }.abi_encode();
    let call = |gas: u64| forwardWithGasCall {
        target: SIZER,
        data: has_role.clone().into(),
        gasLimit: U256::from(gas),
    };
    let starved = world.call(USER, probe, &call(2_000).abi_encode(), U256::ZERO);
    let result = decode::<forwardWithGasCall>(&starved);
    assert!(!result.ok && result.ret.is_empty(), "out of ink: failure without data");
    let fed = world.call(USER, probe, &call(200_000).abi_encode(), U256::ZERO);
    let result = decode::<forwardWithGasCall>(&fed);
    assert!(result.ok && bool::abi_decode(&result.ret, true).unwrap());
    // The starved call burnt all it was given; the fed one returned the rest.
    let (spent_starved, spent_fed) = (starved.gas_used, fed.gas_used);
    assert!(spent_starved > 2_000 && spent_fed > spent_starved, "{spent_starved} vs {spent_fed}");
}

#[test]
fn a_stylus_program_refuses_reentry_by_default() {
    let Setup { mut world, .. } = setup();
    let reentrant = Artifact::load("ReentrantToken").unwrap().deploy(&mut world, DEPLOYER, &[]).unwrap();
    let configure = configureAssetCall {
        asset: reentrant,
        holder: USER,
        bridgeHolder: HOLDER,
        windowMinutes: 15,
        safetyBps: 15_000,
        bridgeLatencySeconds: 900,
        peakWindowMinutes: 60,
    };
    assert!(world.call(ADMIN, SIZER, &configure.abi_encode(), U256::ZERO).success);
    let status = |world: &mut World| {
        let outcome = world.static_call(USER, SIZER, &reserveStatusCall { asset: reentrant }.abi_encode());
        decode::<reserveStatusCall>(&outcome).actual
    };

    // balanceOf calls back into the sizer while the sizer is on the stack: refused.
    let back = peakMinuteOutflowCall { asset: reentrant }.abi_encode();
    assert!(
        world
            .call(
                USER,
                reentrant,
                &setCallbackCall { target: SIZER, data: back.clone().into() }.abi_encode(),
                U256::ZERO
            )
            .success
    );
    assert_eq!(status(&mut world), U256::ZERO, "the re-entered sizer refused");

    // The same call to a second, idle ReserveSizer succeeds.
    let other = address!("00000000000000000000000000000000005153e6");
    world.deploy_stylus(other, reserve_sizer_wasm()).unwrap();
    assert!(world.call(DEPLOYER, other, &constructor_calldata(ADMIN), U256::ZERO).success);
    let has_role = hasRoleCall { role: [0; 32].into(), account: ADMIN }.abi_encode();
    assert!(
        world
            .call(
                USER,
                reentrant,
                &setCallbackCall { target: other, data: has_role.into() }.abi_encode(),
                U256::ZERO
            )
            .success
    );
    assert_eq!(status(&mut world), U256::from(1), "a program not on the stack answers");
}

#[test]
fn arbsys_counts_l2_blocks_and_block_number_is_the_slow_l1_estimate() {
    let Setup { mut world, probe, .. } = setup();
    let read =
        |world: &mut World| decode::<clockCall>(&world.static_call(USER, probe, &clockCall {}.abi_encode()));
    let start = read(&mut world);
    assert_eq!(start.l2Block, U256::from(world.block().number));
    assert_eq!(start.l1Block, U256::from(world.block().l1_number));
    assert_eq!(start.chainId, U256::from(world.block().chain_id));

    // Ten 250 ms-ish blocks (1 s apart here): ten L2 blocks, no L1 block.
    world.advance_blocks(10, 1);
    let later = read(&mut world);
    assert_eq!(later.l2Block, start.l2Block + U256::from(10));
    assert_eq!(later.l1Block, start.l1Block);
    assert_eq!(later.timestamp, start.timestamp + U256::from(10));

    // 12 s more: the L1 estimate moves by one while L2 moves by twelve.
    world.advance_blocks(12, 1);
    let last = read(&mut world);
    assert_eq!(last.l2Block, start.l2Block + U256::from(22));
    assert_eq!(last.l1Block, start.l1Block + U256::from(1));
}

#[test]
fn deep_stylus_evm_nesting_grows_the_native_stack() {
    let Setup { mut world, probe, .. } = setup();
    // 150 round trips: 301 frames alternating EVM and Stylus, on the test
    // thread's default stack. The 63/64 rule, not the stack, bounds this.
    let outcome = world.call(
        USER,
        probe,
        &bounceCall { proxy: PROXY, depth: U256::from(150) }.abi_encode(),
        U256::ZERO,
    );
    assert_eq!(decode::<bounceCall>(&outcome).completed, U256::from(150));
    assert!(outcome.ink_used > 150 * 10_000, "every proxy frame burnt ink");
}

#[test]
fn static_context_forbids_writes_across_the_boundary() {
    let Setup { mut world, probe, .. } = setup();
    // A static call into the proxy, which writes its own slot: refused.
    let inner = proxy_calldata(probe, &storedCall { key: [0; 32].into() }.abi_encode());
    let outcome = world.call(
        USER,
        probe,
        &forwardStaticCall { target: PROXY, data: inner.into() }.abi_encode(),
        U256::ZERO,
    );
    let result = decode::<forwardStaticCall>(&outcome);
    assert!(!result.ok);
    assert_eq!(world.storage(PROXY, U256::ZERO), alloy_primitives::B256::ZERO);
}
