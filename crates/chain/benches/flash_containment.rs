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
//! gas, their difference; then `gas_used` as Nitro charges it, with its
//! per-call entry cost, FlashContainment uncached and cached (`common`).

mod common;

use alloy_primitives::{address, keccak256, Address, U256};
use alloy_sol_types::{sol, SolCall};
use common::{
    args, header, legend, measure, ok, row, stylus_constructor, Priced, ADMIN, ARB_SYS, FC, KEEPER, OWNER,
};
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

const DEPLOYER: Address = common::DEPLOYER;
const STABILIZER: Address = address!("00000000000000000000000000000000000057ab");
const MAINTAINER: Address = address!("000000000000000000000000000000000000a1a1");

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
        world.deploy_stylus(FC, &common::wasm("flash_containment")).expect("FlashContainment deploys");
        let ctor = stylus_constructor(&args(&stylusConstructorCall { admin: ADMIN }));
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

    fn register(&mut self) -> Priced {
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
        measure(&mut self.world, ADMIN, FC, &call.abi_encode(), false, "registerPool")
    }

    fn set_deviation(&mut self, bps: u64) {
        let i = e(6) * U256::from(10_000 + bps) / U256::from(10_000);
        ok(self.world.call(OWNER, self.pool, &setICall { newI: i }.abi_encode(), U256::ZERO), "setI");
    }

    fn poke(&mut self) -> CallOutcome {
        ok(self.world.call(KEEPER, FC, &pokeCall { pool: self.pool }.abi_encode(), U256::ZERO), "poke")
    }

    /// A measured poke, printed.
    fn poke_row(&mut self, name: &str) {
        let poke = pokeCall { pool: self.pool }.abi_encode();
        row(name, &measure(&mut self.world, KEEPER, FC, &poke, false, name));
    }

    /// A measured call from `from` to `to`, printed.
    fn row(&mut self, from: Address, to: Address, calldata: &[u8], view: bool, name: &str) {
        row(name, &measure(&mut self.world, from, to, calldata, view, name));
    }
}

fn main() {
    let mut bench = Bench::new();
    legend();
    println!();
    header("FlashContainment on the in-process chain");
    row("registerPool (tx)", &bench.register());
    bench.world.advance(1);
    bench.poke_row("poke, first in block, first ever (tx)");
    bench.poke_row("poke, repeat in the same block (tx)");
    bench.world.advance(1);
    bench.poke_row("poke, first in block, in band (tx)");
    bench.world.advance(1);
    bench.set_deviation(80);
    bench.poke_row("poke, first in block, past θ: + SpikeIgnored (tx)");
    bench.world.advance(1);
    bench.poke_row("poke, first in block, 2 of N = 3 blocks past θ (tx)");
    bench.world.advance(1);
    bench.poke_row("poke, first in block, sustained: + DeviationSustained (tx)");
    bench.world.advance(1);
    bench.poke_row("poke, first in block, still sustained: no second event (tx)");
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
    bench.poke_row("poke, first in block, in band, 4,100 observed before (tx)");
    bench.poke_row("poke, repeat in the same block (tx)");
    bench.world.advance(1);
    bench.set_deviation(80);
    bench.poke_row("poke, first in block, past θ after a gap: + SpikeIgnored (tx)");
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
        bench.row(FC, *to, calldata, true, &format!("{name} (call)"));
    }

    println!();
    let consume = consumeVolumeCall { pool, amount: e(18) }.abi_encode();
    bench.row(STABILIZER, FC, &consume, false, "consumeVolume, first in block (tx)");
    bench.row(STABILIZER, FC, &consume, false, "consumeVolume, again in the block (tx)");

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
        bench.row(KEEPER, FC, calldata, true, &format!("{name} (view)"));
    }
}
