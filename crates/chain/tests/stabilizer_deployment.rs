//! The example deployment (`scripts/networks/example.toml`) replayed on the
//! in-process chain: its four Stylus contracts (the compiled wasm) are
//! deployed with the file's constructor arguments and wired with exactly
//! the file's `[[calls]]`, in order, from the admin, around Solidity
//! fixtures standing in for the network's existing contracts (`[values]`:
//! the tokens, the public DODO pool, the oracles, the peg managers).
//!
//! What it proves about the file (issue 12):
//! - finding 5: the Stabilizer watches both pool tokens with the
//!   stablecoin peg manager, so a depegged token is never sold
//!   (`TokenOffPeg`; with the former file, which set no managers, the
//!   trade went through);
//! - finding 7: both cUSDT and cUSDC are configured in the ReserveSizer, so
//!   a low pool is corrected by selling cUSDC (with the former file,
//!   `canRelease(cUSDC)` reverted `UnknownAsset` and every such trade was
//!   refused `ExternalCallFailed(ReserveSizer)`), and a high pool by
//!   selling cUSDT.
//!
//! Steps the file leaves to the operators are done here as they would do
//! them: the liquidity provider funds the mesh, the Stabilizer's float is
//! funded, the public pool is seeded. The keeper is `support`'s keeper
//! (poke, `checkDeviation`, `keeperTrade`, the peg-reaching size, the
//! quote-bounded `executePrivateSwap`). Every `${config.key}` of the file
//! must be mapped to a fixture here: a new key fails the test until it is.
//!
//! Needs the four contracts' wasm (`scripts/build-wasm`).

mod support;

use std::collections::HashMap;

use alloy_primitives::{keccak256, Address, B256, I256, U256};
use alloy_sol_types::SolError;
use support::*;
use vault_chain::World;
use vault_math::sizing;

/// The example network file with the contracts and calls of the system
/// file it names in front, as `scripts/deploy` reads it.
fn example() -> toml::Table {
    let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/networks/");
    let read = |name: &str| -> toml::Table {
        let text =
            std::fs::read_to_string(format!("{directory}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"));
        text.parse().unwrap_or_else(|e| panic!("{name} parses: {e}"))
    };
    let mut file = read("example.toml");
    let system_name =
        file.get("system").and_then(toml::Value::as_str).expect("example.toml names its system file");
    let system = read(system_name);
    for list in ["contracts", "calls"] {
        let mut merged = system.get(list).and_then(toml::Value::as_array).cloned().unwrap_or_default();
        merged.extend(file.get(list).and_then(toml::Value::as_array).cloned().unwrap_or_default());
        file.insert(list.to_owned(), toml::Value::Array(merged));
    }
    file
}

/// Where each `[[contracts]]` entry is deployed: `support`'s addresses,
/// so that its keeper helpers drive the deployment.
fn contract_address(name: &str) -> Address {
    match name {
        "Stabilizer" => STAB,
        "FlashContainment" => FC,
        "PrivateMeshPool" => MESH,
        "ReserveSizer" => SIZER,
        other => panic!("example.toml deploys an unknown contract {other}"),
    }
}

/// The deployed example: the system and the fixtures behind `[values]`.
struct Example {
    s: System,
    stablecoin_peg_manager: Address,
}

/// Replaces `${Name}`, `${role:NAME}` and `${config.key}` in `text`.
fn resolve(text: &str, values: &HashMap<String, Address>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closing brace") + start;
        let key = &rest[start + 2..end];
        let value = if let Some(role) = key.strip_prefix("role:") {
            keccak256(role).to_string()
        } else if let Some(name) = key.strip_prefix("config.") {
            values
                .get(name)
                .unwrap_or_else(|| panic!("example.toml's `{name}` has no fixture here"))
                .to_string()
        } else {
            contract_address(key).to_string()
        };
        out.push_str(&value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// One ABI word of `value` as `kind` (the file uses static types only).
fn word(kind: &str, value: &str) -> [u8; 32] {
    match kind {
        "address" => value.parse::<Address>().expect("an address").into_word().0,
        "bytes32" => value.parse::<B256>().expect("a bytes32").0,
        k if k.starts_with("uint") => {
            U256::from_str_radix(value, 10).expect("a decimal integer").to_be_bytes::<32>()
        }
        other => panic!("example.toml uses type {other}, which this replay does not encode"),
    }
}

/// `selector(function) ‖ words(args)` for a signature such as
/// `grantRole(bytes32,address)`.
fn calldata(function: &str, args: &[String]) -> Vec<u8> {
    let kinds: Vec<&str> = function[function.find('(').unwrap() + 1..function.len() - 1]
        .split(',')
        .filter(|k| !k.is_empty())
        .collect();
    assert_eq!(kinds.len(), args.len(), "{function}: {} arguments", args.len());
    let mut data = keccak256(function)[..4].to_vec();
    for (kind, value) in kinds.iter().zip(args) {
        data.extend_from_slice(&word(kind, value));
    }
    data
}

fn strings(value: Option<&toml::Value>, values: &HashMap<String, Address>) -> Vec<String> {
    value
        .and_then(toml::Value::as_array)
        .map(|items| items.iter().map(|v| resolve(v.as_str().expect("a string"), values)).collect())
        .unwrap_or_default()
}

/// Deploys the fixtures, then the file's contracts and calls.
fn deploy() -> Example {
    let mut world = World::new();
    world.advance(BLOCK_SECONDS);
    let supply = tokens(1_000_000_000);
    // The public pool is cUSDT/cUSDC, its oracle cUSDT in cUSDC (1.0).
    // Base cUSDT, quote cUSDC.
    let base = deploy_token(&mut world, "cUSDT", DECIMALS, supply);
    let quote = deploy_token(&mut world, "cUSDC", DECIMALS, supply);
    let xau = deploy_token(&mut world, "XAU", 18, U256::from(1_000_000u64) * e18());
    let pool = deploy_pmm(&mut world, base, quote, tokens(DEPTH_TOKENS));
    let lender = deploy_pmm(&mut world, base, quote, tokens(5 * DEPTH_TOKENS));
    let pool_oracle = deploy_oracle(&mut world, e18());
    // 0.0003 XAU per 6-decimal token as DODO's raw i (3e26), as the file says.
    let xau_per_token = U256::from(300_000_000_000_000_000_000_000_000u128);
    let base_xau_oracle = deploy_oracle(&mut world, xau_per_token);
    let quote_xau_oracle = deploy_oracle(&mut world, xau_per_token);
    let manager = |world: &mut World, name: &str| {
        let ctor = fx::pegManagerConstructorCall { owner: OWNER, pegBandBps: U256::from(50u8) };
        artifact(name).deploy(world, OWNER, &args(&ctor)).expect("peg manager deploys")
    };
    let stablecoin_peg_manager = manager(&mut world, "StablecoinPegManager");
    let commodity_peg_manager = manager(&mut world, "CommodityPegManager");
    let values: HashMap<String, Address> = [
        ("admin", ADMIN),
        ("guardian", GUARDIAN),
        ("keeper", KEEPER),
        ("reporter", REPORTER),
        ("liquidity_provider", LP),
        ("xau_token", xau),
        ("cusdt", base),
        ("cusdc", quote),
        ("public_pool", pool),
        ("pool_oracle", pool_oracle),
        ("cusdt_xau_oracle", base_xau_oracle),
        ("cusdc_xau_oracle", quote_xau_oracle),
        ("stablecoin_peg_manager", stablecoin_peg_manager),
        ("commodity_peg_manager", commodity_peg_manager),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();

    let file = example();
    let table = file.get("values").and_then(toml::Value::as_table).expect("[values]");
    for (key, value) in table {
        let given = value.as_str().expect("a string value");
        assert!(values.contains_key(key), "example.toml's `{key}` ({given}) has no fixture here");
    }
    for contract in file.get("contracts").and_then(toml::Value::as_array).expect("[[contracts]]") {
        let name = contract.get("name").and_then(toml::Value::as_str).expect("a name");
        let package = contract.get("package").and_then(toml::Value::as_str).expect("a package");
        let address = contract_address(name);
        world.deploy_code(address, packed(&package.replace('-', "_"))).expect("the wasm loads");
        let constructor_args = strings(contract.get("constructor_args"), &values);
        let mut data = keccak256("stylus_constructor()")[..4].to_vec();
        for arg in &constructor_args {
            data.extend_from_slice(&word("address", arg));
        }
        ok(world.call(ADMIN, address, &data, U256::ZERO), &format!("{name} constructor"));
    }
    for call in file.get("calls").and_then(toml::Value::as_array).expect("[[calls]]") {
        let target = call.get("contract").and_then(toml::Value::as_str).expect("a contract");
        let function = call.get("function").and_then(toml::Value::as_str).expect("a function");
        let call_args = strings(call.get("args"), &values);
        let outcome =
            world.call(ADMIN, contract_address(target), &calldata(function, &call_args), U256::ZERO);
        ok(outcome, &format!("{target}.{function}"));
    }

    // What the operators do after the file: the liquidity provider funds
    // the mesh (10,000,000 tokens and 3,000 XAU a pool), the Stabilizer's
    // float (200,000 of each token), the traders.
    let mesh_tokens = tokens(10_000_000);
    let mesh_xau = U256::from(3_000u64) * e18();
    for token in [base, quote] {
        token_send(&mut world, OWNER, token, &fx::transferCall { to: LP, amount: mesh_tokens });
        token_send(&mut world, OWNER, xau, &fx::transferCall { to: LP, amount: mesh_xau });
        token_send(&mut world, LP, token, &fx::approveCall { spender: MESH, amount: U256::MAX });
        token_send(&mut world, LP, xau, &fx::approveCall { spender: MESH, amount: U256::MAX });
        send(
            &mut world,
            LP,
            MESH,
            &mesh::depositCall { token, tokenAmount: mesh_tokens, xauAmount: mesh_xau },
        );
        token_send(&mut world, OWNER, token, &fx::transferCall { to: STAB, amount: tokens(FLOAT_TOKENS) });
        token_send(&mut world, OWNER, token, &fx::transferCall { to: TRADER, amount: tokens(2_000_000) });
    }
    let mut s = System { world, pool, lender, base, quote, xau, oracle: pool_oracle };
    s.next_block();
    Example { s, stablecoin_peg_manager }
}

/// The example's sustain length `N` (its `registerPool` call).
fn sustain_blocks() -> u64 {
    let file = example();
    let calls = file.get("calls").and_then(toml::Value::as_array).expect("[[calls]]");
    let register = calls
        .iter()
        .find(|c| {
            c.get("function")
                .and_then(toml::Value::as_str)
                .is_some_and(|f| f.starts_with("registerPool(address,address,uint64"))
        })
        .expect("FlashContainment.registerPool");
    let args = register.get("args").and_then(toml::Value::as_array).expect("args");
    args[5].as_str().expect("N").parse().expect("N is a number")
}

/// A trader sells cUSDC until the pool's mid price is `bps` above the
/// oracle (the largest sale that keeps it at or below that).
fn push_up(s: &mut System, bps: u64) {
    let (_, peg) = mid_and_peg(s);
    let state = pmm_state(s);
    let target = peg * U256::from(10_000 + bps) / U256::from(10_000u16);
    let amount = sizing::max_correcting_quote_in(&state, target, fees()).unwrap();
    let (pool, quote) = (s.pool, s.quote);
    s.sell(TRADER, pool, quote, amount);
}

/// The keeper observes the pool each block until the trigger holds, which
/// it must within the example's `N` blocks.
fn sustain(s: &mut System) {
    let n = sustain_blocks();
    for block in 1..=n {
        keeper_poke(s);
        let check = view(&mut s.world, STAB, &stab::checkDeviationCall {});
        if check.shouldRebalance {
            return;
        }
        assert!(block < n, "not sustained after {n} blocks: {}", check.deviationBps);
        s.next_block();
    }
}

/// The keeper's loop, one trade a block, until the pool is within 10 bps
/// of the oracle (at most 20 blocks).
fn keeper_settles(s: &mut System) {
    for _ in 0..20 {
        s.next_block();
        keeper_poke(s);
        if let Plan::Send(call) = keeper_plan(s) {
            ok(keeper_send(s, &call), "the keeper's trade");
        }
        if spot_deviation_centibps(s).unsigned_abs() < TOLERANCE_BPS * 100 {
            return;
        }
    }
    panic!("the pool is still {} centi-bps off", spot_deviation_centibps(s));
}

/// The keeper's trade: it must sell `token_in`, and it goes through.
fn keeper_corrects_by_selling(s: &mut System, token_in: Address) {
    let call = match keeper_plan(s) {
        Plan::Send(call) => call,
        Plan::Idle(deviation) => panic!("the keeper is idle at {deviation} bps"),
        Plan::Refused(data) => panic!("keeperTrade refused 0x{}", alloy_primitives::hex::encode(data)),
    };
    assert_eq!(call.tokenIn, token_in);
    let outcome = ok(keeper_send(s, &call), "the keeper's trade");
    let events = stabilized(&outcome.logs);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].tokenIn, token_in);
}

#[test]
fn the_example_deployment_watches_both_tokens_pegs_and_sizes_both_reserves() {
    let Example { mut s, stablecoin_peg_manager } = deploy();
    let parameters = view(&mut s.world, STAB, &stab::parametersCall {})._0;
    // (…, maxPegDeviationBps, baseKind, quoteKind, …): both stablecoins.
    assert_eq!(parameters[5..8], [U256::from(50u8), U256::from(1u8), U256::from(1u8)]);
    let contracts = view(&mut s.world, STAB, &stab::contractsCall {})._0;
    assert_eq!(contracts[7], stablecoin_peg_manager);
    for token in [s.base, s.quote] {
        let answer =
            try_view(&mut s.world, SIZER, &sizer::canReleaseCall { asset: token, amount: tokens(1) });
        assert_eq!(answer.map(|a| a._0), Ok(true), "canRelease({token})");
    }
}

#[test]
fn the_example_deployment_corrects_a_low_pool_with_cusdc_and_a_high_one_with_cusdt() {
    let Example { mut s, .. } = deploy();
    // Base cUSDT, quote cUSDC.
    let (base, quote) = (s.base, s.quote);
    push_down(&mut s, TRADER, 100);
    sustain(&mut s);
    keeper_corrects_by_selling(&mut s, quote);
    keeper_settles(&mut s);
    // Later, the pool 1% above the oracle: corrected by selling cUSDT.
    s.next_block();
    push_up(&mut s, 100);
    sustain(&mut s);
    keeper_corrects_by_selling(&mut s, base);
}

#[test]
fn the_example_deployment_never_sells_a_depegged_token() {
    let Example { mut s, stablecoin_peg_manager } = deploy();
    let cusdt = s.base;
    // cUSDT 3% below its own peg, and the pool 1% above the oracle: the
    // correction would sell cUSDT.
    let depeg = fx::setDeviationBpsCall { asset: cusdt, deviationBps: I256::try_from(-300).unwrap() };
    send(&mut s.world, OWNER, stablecoin_peg_manager, &depeg);
    push_up(&mut s, 100);
    sustain(&mut s);
    let expected =
        stab::TokenOffPeg { token: cusdt, deviationBps: I256::try_from(-300).unwrap() }.abi_encode();
    assert_eq!(try_view(&mut s.world, STAB, &stab::keeperTradeCall {}).err(), Some(expected.clone()));
    let call = stab::executePrivateSwap_0Call { tradeSize: tokens(1_000), tokenIn: cusdt, tokenOut: s.quote };
    refused(&mut s, &call, &expected);
}
