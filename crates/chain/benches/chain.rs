//! Throughput and gas of the in-process chain with the compiled
//! ReserveSizer wasm and Solidity artifacts. Prints figures; asserts
//! nothing about time. Run: `cargo bench -p vault-chain --bench chain`
//! (after `scripts/build-wasm`).

use std::time::Instant;

use alloy_primitives::{address, keccak256, Address, U256};
use alloy_sol_types::{sol, SolCall};
use vault_chain::{artifacts::Artifact, CallOutcome, World};

sol! {
    function stylusConstructor(address admin);
    function grantRole(bytes32 role, address account);
    function hasRole(bytes32 role, address account) external view returns (bool);
    function configureAsset(address asset, address holder, address bridgeHolder, uint64 windowMinutes, uint64 safetyBps, uint64 bridgeLatencySeconds, uint64 peakWindowMinutes);
    function recordOutflow(address asset, uint256 amount);
    function requiredReserve(address asset) external view returns (uint256);
    function reserveStatus(address asset) external view returns (uint256 required, uint256 actual, uint256 shortfall, uint256 surplus, bool healthy);
    function canRelease(address asset, uint256 amount) external view returns (bool);
    function tokenConstructor(string name, string symbol, uint8 decimals, address holder, uint256 supply);
    function transfer(address to, uint256 amount) external returns (bool);
}

const SIZER: Address = address!("00000000000000000000000000000000005153e5");
const DEPLOYER: Address = address!("000000000000000000000000000000000000de91");
const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
const REPORTER: Address = address!("000000000000000000000000000000000000be01");
const HOLDER: Address = address!("000000000000000000000000000000000000401d");
const OTHER: Address = address!("0000000000000000000000000000000000000a55");

fn wasm() -> Vec<u8> {
    vault_chain::artifacts::contract_wasm("reserve_sizer").unwrap_or_else(|e| panic!("{e}"))
}

fn ok(outcome: CallOutcome, what: &str) -> CallOutcome {
    assert!(outcome.success, "{what}: {outcome:?}");
    outcome
}

fn main() {
    let mut world = World::new();
    world.deploy_stylus(SIZER, &wasm()).expect("ReserveSizer deploys");
    let mut ctor = keccak256("stylus_constructor()")[..4].to_vec();
    ctor.extend_from_slice(&stylusConstructorCall { admin: ADMIN }.abi_encode()[4..]);
    ok(world.call(DEPLOYER, SIZER, &ctor, U256::ZERO), "constructor");
    let args = tokenConstructorCall {
        name: "Test USD".into(),
        symbol: "TUSD".into(),
        decimals: 6,
        holder: HOLDER,
        supply: U256::from(10_u64.pow(12)),
    }
    .abi_encode()[4..]
        .to_vec();
    let token =
        Artifact::load("TestToken").unwrap().deploy(&mut world, DEPLOYER, &args).expect("token deploys");
    let grant = grantRoleCall { role: keccak256("REPORTER_ROLE"), account: REPORTER }.abi_encode();
    ok(world.call(ADMIN, SIZER, &grant, U256::ZERO), "grantRole");
    let configure = configureAssetCall {
        asset: token,
        holder: HOLDER,
        bridgeHolder: OTHER,
        windowMinutes: 15,
        safetyBps: 15_000,
        bridgeLatencySeconds: 900,
        peakWindowMinutes: 60,
    };
    let configured = ok(world.call(ADMIN, SIZER, &configure.abi_encode(), U256::ZERO), "configureAsset");

    println!("In-process chain (wasmi 2.0 + revm 19.7), gas as metered by this chain");
    println!("{:<44} {:>10} {:>14}", "call", "gas", "ink");
    let row = |name: &str, outcome: &CallOutcome| {
        println!("{name:<44} {:>10} {:>14}", outcome.gas_used, outcome.ink_used);
    };
    row("ReserveSizer.configureAsset (tx)", &configured);
    let record = recordOutflowCall { asset: token, amount: U256::from(1_000_000) }.abi_encode();
    row(
        "ReserveSizer.recordOutflow, new minute (tx)",
        &ok(world.call(REPORTER, SIZER, &record, U256::ZERO), "record"),
    );
    row(
        "ReserveSizer.recordOutflow, same minute (tx)",
        &ok(world.call(REPORTER, SIZER, &record, U256::ZERO), "record"),
    );
    let has_role = hasRoleCall { role: [0; 32].into(), account: ADMIN }.abi_encode();
    row("ReserveSizer.hasRole (view)", &ok(world.static_call(OTHER, SIZER, &has_role), "hasRole"));
    let required = requiredReserveCall { asset: token }.abi_encode();
    row("ReserveSizer.requiredReserve (view)", &ok(world.static_call(OTHER, SIZER, &required), "required"));
    let status = reserveStatusCall { asset: token }.abi_encode();
    row(
        "ReserveSizer.reserveStatus (view, ERC-20 read)",
        &ok(world.static_call(OTHER, SIZER, &status), "status"),
    );
    let release = canReleaseCall { asset: token, amount: U256::from(5) }.abi_encode();
    row(
        "ReserveSizer.canRelease (view, ERC-20 read)",
        &ok(world.static_call(OTHER, SIZER, &release), "release"),
    );
    let transfer = transferCall { to: OTHER, amount: U256::from(1) }.abi_encode();
    row(
        "TestToken.transfer (Solidity, tx)",
        &ok(world.call(HOLDER, token, &transfer, U256::ZERO), "transfer"),
    );

    println!();
    println!("{:<44} {:>10} {:>14}", "throughput", "calls", "calls/s");
    let mut measure = |name: &str, calls: u32, call: &mut dyn FnMut(&mut World) -> CallOutcome| {
        // Warm the caches first.
        ok(call(&mut world), name);
        let start = Instant::now();
        for _ in 0..calls {
            ok(call(&mut world), name);
        }
        let rate = f64::from(calls) / start.elapsed().as_secs_f64();
        println!("{name:<44} {calls:>10} {rate:>14.0}");
    };
    measure("ReserveSizer.hasRole (Stylus view)", 5_000, &mut |w| w.static_call(OTHER, SIZER, &has_role));
    measure("ReserveSizer.recordOutflow (Stylus tx)", 5_000, &mut |w| {
        w.call(REPORTER, SIZER, &record, U256::ZERO)
    });
    measure("ReserveSizer.reserveStatus (Stylus→EVM)", 5_000, &mut |w| {
        w.static_call(OTHER, SIZER, &status)
    });
    measure("TestToken.transfer (EVM tx)", 5_000, &mut |w| w.call(HOLDER, token, &transfer, U256::ZERO));
}
