//! Throughput and gas of the in-process chain with the compiled
//! ReserveSizer wasm and Solidity artifacts. Prints figures (each call's
//! gas three ways, see `common`); asserts nothing about time. Run:
//! `cargo bench -p vault-chain --bench chain` (after `scripts/build-wasm`).

mod common;

use std::time::Instant;

use alloy_primitives::{address, keccak256, Address, U256};
use alloy_sol_types::{sol, SolCall};
use common::{args, header, legend, measure, ok, row, stylus_constructor, ADMIN, DEPLOYER, OTHER, REPORTER};
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
const HOLDER: Address = address!("000000000000000000000000000000000000401d");

fn main() {
    let mut world = World::new();
    world.deploy_stylus(SIZER, &common::wasm("reserve_sizer")).expect("ReserveSizer deploys");
    let ctor = stylus_constructor(&args(&stylusConstructorCall { admin: ADMIN }));
    ok(world.call(DEPLOYER, SIZER, &ctor, U256::ZERO), "constructor");
    let token_args = args(&tokenConstructorCall {
        name: "Test USD".into(),
        symbol: "TUSD".into(),
        decimals: 6,
        holder: HOLDER,
        supply: U256::from(10_u64.pow(12)),
    });
    let token = Artifact::load("TestToken")
        .unwrap()
        .deploy(&mut world, DEPLOYER, &token_args)
        .expect("token deploys");
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

    legend();
    println!();
    header("ReserveSizer on the in-process chain");
    let tx = |world: &mut World, from: Address, to: Address, calldata: &[u8], name: &str| {
        row(name, &measure(world, from, to, calldata, false, name));
    };
    let view = |world: &mut World, calldata: &[u8], name: &str| {
        row(name, &measure(world, OTHER, SIZER, calldata, true, name));
    };
    tx(&mut world, ADMIN, SIZER, &configure.abi_encode(), "ReserveSizer.configureAsset (tx)");
    let record = recordOutflowCall { asset: token, amount: U256::from(1_000_000) }.abi_encode();
    tx(&mut world, REPORTER, SIZER, &record, "ReserveSizer.recordOutflow, new minute (tx)");
    tx(&mut world, REPORTER, SIZER, &record, "ReserveSizer.recordOutflow, same minute (tx)");
    let has_role = hasRoleCall { role: [0; 32].into(), account: ADMIN }.abi_encode();
    view(&mut world, &has_role, "ReserveSizer.hasRole (view)");
    let required = requiredReserveCall { asset: token }.abi_encode();
    view(&mut world, &required, "ReserveSizer.requiredReserve (view)");
    let status = reserveStatusCall { asset: token }.abi_encode();
    view(&mut world, &status, "ReserveSizer.reserveStatus (view, ERC-20 read)");
    let release = canReleaseCall { asset: token, amount: U256::from(5) }.abi_encode();
    view(&mut world, &release, "ReserveSizer.canRelease (view, ERC-20 read)");
    let transfer = transferCall { to: OTHER, amount: U256::from(1) }.abi_encode();
    tx(&mut world, HOLDER, token, &transfer, "TestToken.transfer (Solidity, tx)");

    println!();
    println!("{:<44} {:>10} {:>14}", "throughput", "calls", "calls/s");
    let mut throughput = |name: &str, calls: u32, call: &mut dyn FnMut(&mut World) -> CallOutcome| {
        // Warm the caches first.
        ok(call(&mut world), name);
        let start = Instant::now();
        for _ in 0..calls {
            ok(call(&mut world), name);
        }
        let rate = f64::from(calls) / start.elapsed().as_secs_f64();
        println!("{name:<44} {calls:>10} {rate:>14.0}");
    };
    throughput("ReserveSizer.hasRole (Stylus view)", 5_000, &mut |w| w.static_call(OTHER, SIZER, &has_role));
    throughput("ReserveSizer.recordOutflow (Stylus tx)", 5_000, &mut |w| {
        w.call(REPORTER, SIZER, &record, U256::ZERO)
    });
    throughput("ReserveSizer.reserveStatus (Stylus→EVM)", 5_000, &mut |w| {
        w.static_call(OTHER, SIZER, &status)
    });
    throughput("TestToken.transfer (EVM tx)", 5_000, &mut |w| w.call(HOLDER, token, &transfer, U256::ZERO));
}
