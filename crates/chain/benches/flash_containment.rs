//! Gas of the FlashContainment's calls on the in-process chain, with the
//! compiled wasm, a DODO-compatible `PmmPool` (18/6 decimals) and the
//! `PriceOracle` fixture. Prints figures; asserts only that each call
//! succeeds. Run: `cargo bench -p vault-chain --bench flash_containment`
//! (after `scripts/build-wasm`).
//!
//! Gas is as metered by this chain (intrinsic gas, EVM execution of the
//! pool and the oracle, Stylus ink at 10,000 per gas, storage and log
//! costs), for one transaction or one `eth_call` each: `gas_used`, its
//! intrinsic part (21,000 plus the calldata's, EIP-2028) and the execution
//! gas, their difference.

use alloy_primitives::{address, keccak256, Address, U256};
use alloy_sol_types::{sol, SolCall};
use vault_chain::{artifacts::Artifact, CallOutcome, World};

sol! {
    function stylusConstructor(address admin);
    function grantRole(bytes32 role, address account);
    function hasRole(bytes32 role, address account) external view returns (bool);
    function registerPool(address pool, address oracle, uint64 baseDecimals, uint64 quoteDecimals, uint64 thresholdBps, uint64 sustainBlocks, uint64 twapWindow, uint64 maxOracleAge, uint256 perBlockCap);
    function poke(address pool) external returns (bool);
    function consumeVolume(address pool, uint256 amount);
    function twapDeviation(address pool) external view returns (int256);
    function sustained(address pool) external view returns (bool, int8, uint64);
    function remainingVolume(address pool) external view returns (uint256);
    function checkDeviation(address pool) external view returns (int256, bool);
    function poolStatus(address pool) external view;
    function poolConfig(address pool) external view;
    function paused() external view returns (bool);

    function tokenConstructor(string name, string symbol, uint8 decimals, address holder, uint256 supply);
    function approve(address spender, uint256 amount) external returns (bool);
    function pmmConstructor(address owner, address maintainer, address baseToken, address quoteToken, uint256 lpFeeRate, uint256 mtFeeRate, uint256 i, uint256 k, bool isOpenTWAP);
    function deposit(uint256 baseAmount, uint256 quoteAmount);
    function setI(uint256 newI);
    function oracleConstructor(address owner, uint256 initialPrice);
    function setPrice(uint256 price);
    function getMidPrice() external view returns (uint256);
    function latestPrice() external view returns (uint256, uint256);
    function arbBlockNumber() external view returns (uint256);
}

const FC: Address = address!("00000000000000000000000000000000000f1a5c");
const DEPLOYER: Address = address!("000000000000000000000000000000000000de91");
const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
const STABILIZER: Address = address!("00000000000000000000000000000000000057ab");
const KEEPER: Address = address!("000000000000000000000000000000000000cee9");
const OWNER: Address = address!("0000000000000000000000000000000000000e4e");
const MAINTAINER: Address = address!("000000000000000000000000000000000000a1a1");
const ARB_SYS: Address = address!("0000000000000000000000000000000000000064");

fn wasm() -> Vec<u8> {
    vault_chain::artifacts::contract_wasm("flash_containment").unwrap_or_else(|e| panic!("{e}"))
}

fn ok(outcome: CallOutcome, what: &str) -> CallOutcome {
    assert!(outcome.success, "{what}: {outcome:?}");
    outcome
}

fn args<C: SolCall>(call: &C) -> Vec<u8> {
    call.abi_encode()[4..].to_vec()
}

fn e(exponent: u64) -> U256 {
    U256::from(10).pow(U256::from(exponent))
}

struct Bench {
    world: World,
    pool: Address,
    oracle: Address,
}

impl Bench {
    fn new() -> Self {
        let mut world = World::new();
        world.deploy_stylus(FC, &wasm()).expect("FlashContainment deploys");
        let mut ctor = keccak256("stylus_constructor()")[..4].to_vec();
        ctor.extend_from_slice(&args(&stylusConstructorCall { admin: ADMIN }));
        ok(world.call(DEPLOYER, FC, &ctor, U256::ZERO), "constructor");
        for (role, account) in [("STABILIZER_ROLE", STABILIZER), ("POKER_ROLE", KEEPER)] {
            let grant = grantRoleCall { role: keccak256(role), account };
            ok(world.call(ADMIN, FC, &grant.abi_encode(), U256::ZERO), "grantRole");
        }
        let token = Artifact::load("TestToken").unwrap();
        let mut tokens = Vec::new();
        for (symbol, decimals) in [("BASE", 18_u8), ("QUOTE", 6)] {
            let supply = U256::from(1_000_000_000) * e(decimals.into());
            let ctor = tokenConstructorCall {
                name: symbol.into(),
                symbol: symbol.into(),
                decimals,
                holder: OWNER,
                supply,
            };
            tokens.push(token.deploy(&mut world, OWNER, &args(&ctor)).expect("token deploys"));
        }
        let ctor = pmmConstructorCall {
            owner: OWNER,
            maintainer: MAINTAINER,
            baseToken: tokens[0],
            quoteToken: tokens[1],
            lpFeeRate: e(15),
            mtFeeRate: U256::ZERO,
            i: e(6),
            k: e(17),
            isOpenTWAP: false,
        };
        let pool = Artifact::load("PmmPool").unwrap().deploy(&mut world, OWNER, &args(&ctor)).unwrap();
        let (b, q) = (U256::from(1_000_000) * e(18), U256::from(1_000_000) * e(6));
        ok(
            world.call(OWNER, tokens[0], &approveCall { spender: pool, amount: b }.abi_encode(), U256::ZERO),
            "a",
        );
        ok(
            world.call(OWNER, tokens[1], &approveCall { spender: pool, amount: q }.abi_encode(), U256::ZERO),
            "a",
        );
        ok(
            world.call(OWNER, pool, &depositCall { baseAmount: b, quoteAmount: q }.abi_encode(), U256::ZERO),
            "d",
        );
        let ctor = oracleConstructorCall { owner: OWNER, initialPrice: e(18) };
        let oracle = Artifact::load("PriceOracle").unwrap().deploy(&mut world, OWNER, &args(&ctor)).unwrap();
        Self { world, pool, oracle }
    }

    fn register(&mut self) -> (Vec<u8>, CallOutcome) {
        let call = registerPoolCall {
            pool: self.pool,
            oracle: self.oracle,
            baseDecimals: 18,
            quoteDecimals: 6,
            thresholdBps: 50,
            sustainBlocks: 3,
            twapWindow: 30,
            maxOracleAge: 3_600,
            perBlockCap: U256::from(1_000) * e(18),
        };
        let calldata = call.abi_encode();
        let outcome = ok(self.world.call(ADMIN, FC, &calldata, U256::ZERO), "registerPool");
        (calldata, outcome)
    }

    fn set_deviation(&mut self, bps: u64) {
        let i = e(6) * U256::from(10_000 + bps) / U256::from(10_000);
        ok(self.world.call(OWNER, self.pool, &setICall { newI: i }.abi_encode(), U256::ZERO), "setI");
    }

    fn poke(&mut self) -> CallOutcome {
        ok(self.world.call(KEEPER, FC, &pokeCall { pool: self.pool }.abi_encode(), U256::ZERO), "poke")
    }

    fn view(&mut self, calldata: &[u8], what: &str) -> CallOutcome {
        ok(self.world.static_call(KEEPER, FC, calldata), what)
    }
}

/// Prints `gas_used`, the intrinsic gas of `calldata`, the execution gas
/// and the ink.
fn row(name: &str, calldata: &[u8], outcome: &CallOutcome) {
    let intrinsic = 21_000 + calldata.iter().map(|byte| if *byte == 0 { 4 } else { 16 }).sum::<u64>();
    let execution = outcome.gas_used.saturating_sub(intrinsic);
    println!("{name:<58} {:>9} {intrinsic:>9} {execution:>9} {:>14}", outcome.gas_used, outcome.ink_used);
}

fn main() {
    let mut bench = Bench::new();
    println!(
        "FlashContainment on the in-process chain (wasmi 2.0 + revm 19.7), gas as metered by this chain"
    );
    println!("{:<58} {:>9} {:>9} {:>9} {:>14}", "call", "gas_used", "intrinsic", "execution", "ink");
    let (register, outcome) = bench.register();
    row("registerPool (tx)", &register, &outcome);
    let poke = pokeCall { pool: bench.pool }.abi_encode();

    bench.world.advance(1);
    row("poke, first in block, first ever (tx)", &poke, &bench.poke());
    row("poke, repeat in the same block (tx)", &poke, &bench.poke());
    bench.world.advance(1);
    row("poke, first in block, in band (tx)", &poke, &bench.poke());
    bench.world.advance(1);
    bench.set_deviation(80);
    row("poke, first in block, past θ: + SpikeIgnored (tx)", &poke, &bench.poke());
    bench.world.advance(1);
    row("poke, first in block, 2 of N = 3 blocks past θ (tx)", &poke, &bench.poke());
    bench.world.advance(1);
    row("poke, first in block, sustained: + DeviationSustained (tx)", &poke, &bench.poke());
    bench.world.advance(1);
    row("poke, first in block, still sustained: no second event (tx)", &poke, &bench.poke());
    bench.set_deviation(0);
    for step in 0..4_100 {
        bench.world.advance(1);
        if step % 1_000 == 0 {
            let refresh = setPriceCall { price: e(18) }.abi_encode();
            ok(bench.world.call(OWNER, bench.oracle, &refresh, U256::ZERO), "setPrice");
        }
        bench.poke();
    }
    bench.world.advance(1);
    row("poke, first in block, in band, 4,100 observed before (tx)", &poke, &bench.poke());
    row("poke, repeat in the same block (tx)", &poke, &bench.poke());
    bench.world.advance(1);
    bench.set_deviation(80);
    row("poke, first in block, past θ after a gap: + SpikeIgnored (tx)", &poke, &bench.poke());
    bench.world.advance(1);
    bench.set_deviation(0);

    println!();
    println!("what a recording poke calls, each on its own (the callee's execution; inside");
    println!("the poke each call adds the cold account access, 2,600, except ArbSys: warm)");
    let (pool, oracle) = (bench.pool, bench.oracle);
    let externals: [(&str, Address, Vec<u8>); 3] = [
        ("pool getMidPrice", pool, getMidPriceCall {}.abi_encode()),
        ("oracle latestPrice", oracle, latestPriceCall {}.abi_encode()),
        ("ArbSys arbBlockNumber", ARB_SYS, arbBlockNumberCall {}.abi_encode()),
    ];
    for (name, to, calldata) in &externals {
        let outcome = ok(bench.world.static_call(FC, *to, calldata), name);
        row(&format!("{name} (call)"), calldata, &outcome);
    }

    println!();
    let consume = consumeVolumeCall { pool, amount: e(18) }.abi_encode();
    row(
        "consumeVolume, first in block (tx)",
        &consume,
        &ok(bench.world.call(STABILIZER, FC, &consume, U256::ZERO), "consumeVolume"),
    );
    row(
        "consumeVolume, again in the block (tx)",
        &consume,
        &ok(bench.world.call(STABILIZER, FC, &consume, U256::ZERO), "consumeVolume"),
    );

    println!();
    println!("views (eth_call), W = 30 (the TWAP reads the tracker word and the registration)");
    let views: [(&str, Vec<u8>); 8] = [
        ("twapDeviation", twapDeviationCall { pool }.abi_encode()),
        ("sustained", sustainedCall { pool }.abi_encode()),
        ("remainingVolume", remainingVolumeCall { pool }.abi_encode()),
        ("checkDeviation", checkDeviationCall { pool }.abi_encode()),
        ("poolStatus", poolStatusCall { pool }.abi_encode()),
        ("poolConfig", poolConfigCall { pool }.abi_encode()),
        ("paused", pausedCall {}.abi_encode()),
        ("hasRole", hasRoleCall { role: [0; 32].into(), account: ADMIN }.abi_encode()),
    ];
    for (name, calldata) in &views {
        row(&format!("{name} (view)"), calldata, &bench.view(calldata, name));
    }
}
