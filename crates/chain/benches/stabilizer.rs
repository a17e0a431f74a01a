//! Gas of the Stabilizer's calls on the in-process chain, with the compiled
//! Stabilizer and FlashContainment wasm, a DODO-compatible `PmmPool` (18/18
//! decimals) and the `PriceOracle` fixture. Prints figures; asserts only
//! that each call succeeds. Run: `cargo bench -p vault-chain --bench
//! stabilizer` (after `scripts/build-wasm`).
//!
//! Measured so far: `checkDeviation` (an `eth_call`, reading
//! FlashContainment) and the calls that refuse before any external call.
//! `keeperTrade` and `executePrivateSwap` need the PrivateMeshPool and the
//! ReserveSizer deployed and configured: not yet here.

use alloy_primitives::{address, keccak256, Address, U256};
use alloy_sol_types::{sol, SolCall};
use vault_chain::{artifacts::Artifact, CallOutcome, World};

sol! {
    function stylusConstructor(address admin);
    function grantRole(bytes32 role, address account);
    function registerPool(address pool, address oracle, uint64 baseDecimals, uint64 quoteDecimals, uint64 thresholdBps, uint64 sustainBlocks, uint64 twapWindow, uint64 maxOracleAge, uint256 perBlockCap);
    function poke(address pool) external returns (bool);
    function checkDeviation() external view returns (int256, bool);
    function setContracts(address pool, address containment, address mesh, address reserveSizer, address oracle);
    function setParameters(uint64 minBlocks, uint256 k, uint64 maxSlippageBps, uint256 maxGasPrice, uint64 maxOracleAge);
    function executePrivateSwap(uint256 tradeSize, address tokenIn, address tokenOut);
    function hasRole(bytes32 role, address account) external view returns (bool);
    function tokenConstructor(string name, string symbol, uint8 decimals, address holder, uint256 supply);
    function approve(address spender, uint256 amount) external returns (bool);
    function pmmConstructor(address owner, address maintainer, address baseToken, address quoteToken, uint256 lpFeeRate, uint256 mtFeeRate, uint256 i, uint256 k, bool isOpenTWAP);
    function deposit(uint256 baseAmount, uint256 quoteAmount);
    function oracleConstructor(address owner, uint256 initialPrice);
}

const FC: Address = address!("00000000000000000000000000000000000f1a5c");
const STAB: Address = address!("00000000000000000000000000000000000057ab");
const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
const KEEPER: Address = address!("000000000000000000000000000000000000cee9");
const OWNER: Address = address!("0000000000000000000000000000000000000e4e");
/// Stand-ins for the mesh and the ReserveSizer (not called by the calls
/// measured here).
const MESH: Address = address!("000000000000000000000000000000000000e5e5");
const SIZER: Address = address!("0000000000000000000000000000000000005153");

fn packed(file: &str) -> Vec<u8> {
    let stem = file.strip_suffix(".wasm").unwrap_or(file);
    let wasm = vault_chain::artifacts::contract_wasm(stem).unwrap_or_else(|e| panic!("{e}"));
    vault_wasm_pack::pack(&wasm).expect("packs").code
}

fn constructor(admin: Address) -> Vec<u8> {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(&stylusConstructorCall { admin }.abi_encode()[4..]);
    data
}

fn args<C: SolCall>(call: &C) -> Vec<u8> {
    call.abi_encode()[4..].to_vec()
}

fn ok(outcome: CallOutcome, what: &str) -> CallOutcome {
    assert!(outcome.success, "{what}: {outcome:?}");
    outcome
}

fn send<C: SolCall>(world: &mut World, from: Address, to: Address, call: &C) -> CallOutcome {
    ok(world.call(from, to, &call.abi_encode(), U256::ZERO), C::SIGNATURE)
}

fn print(name: &str, outcome: &CallOutcome) {
    println!("{name:<58} {:>10} {:>14}", outcome.gas_used, outcome.ink_used);
}

fn e18() -> U256 {
    U256::from(10u8).pow(U256::from(18u8))
}

fn main() {
    let mut world = World::new();
    world.deploy_code(FC, packed("flash_containment.wasm")).expect("FlashContainment loads");
    ok(world.call(ADMIN, FC, &constructor(ADMIN), U256::ZERO), "FC constructor");
    world.deploy_code(STAB, packed("stabilizer.wasm")).expect("Stabilizer loads");
    ok(world.call(ADMIN, STAB, &constructor(ADMIN), U256::ZERO), "Stabilizer constructor");

    let token = Artifact::load("TestToken").unwrap();
    let deploy_token = |world: &mut World, symbol: &str| {
        let ctor = tokenConstructorCall {
            name: symbol.into(),
            symbol: symbol.into(),
            decimals: 18,
            holder: OWNER,
            supply: U256::from(1_000_000_000u64) * e18(),
        };
        token.deploy(world, OWNER, &args(&ctor)).expect("token deploys")
    };
    let base = deploy_token(&mut world, "BASE");
    let quote = deploy_token(&mut world, "QUOTE");
    let ctor = pmmConstructorCall {
        owner: OWNER,
        maintainer: OWNER,
        baseToken: base,
        quoteToken: quote,
        lpFeeRate: U256::ZERO,
        mtFeeRate: U256::ZERO,
        i: e18(),
        k: e18() / U256::from(2u8),
        isOpenTWAP: false,
    };
    let pool = Artifact::load("PmmPool").unwrap().deploy(&mut world, OWNER, &args(&ctor)).unwrap();
    let depth = U256::from(1_000_000u64) * e18();
    send(&mut world, OWNER, base, &approveCall { spender: pool, amount: depth });
    send(&mut world, OWNER, quote, &approveCall { spender: pool, amount: depth });
    send(&mut world, OWNER, pool, &depositCall { baseAmount: depth, quoteAmount: depth });
    let oracle_ctor = oracleConstructorCall { owner: OWNER, initialPrice: e18() };
    let oracle =
        Artifact::load("PriceOracle").unwrap().deploy(&mut world, OWNER, &args(&oracle_ctor)).unwrap();
    let register = registerPoolCall {
        pool,
        oracle,
        baseDecimals: 18,
        quoteDecimals: 18,
        thresholdBps: 10,
        sustainBlocks: 3,
        twapWindow: 3,
        maxOracleAge: 3_600,
        perBlockCap: U256::from(1_000u64) * e18(),
    };
    send(&mut world, ADMIN, FC, &register);
    let contracts = setContractsCall { pool, containment: FC, mesh: MESH, reserveSizer: SIZER, oracle };
    print(
        "Stabilizer.setContracts (tx, approves the mesh on both tokens)",
        &send(&mut world, ADMIN, STAB, &contracts),
    );
    let parameters = setParametersCall {
        minBlocks: 2,
        k: U256::from(1_000_000u64) * e18(),
        maxSlippageBps: 50,
        maxGasPrice: U256::from(1_000_000_000u64),
        maxOracleAge: 3_600,
    };
    print("Stabilizer.setParameters (tx)", &send(&mut world, ADMIN, STAB, &parameters));
    let keeper_role = keccak256("KEEPER_ROLE");
    send(&mut world, ADMIN, STAB, &grantRoleCall { role: keeper_role, account: KEEPER });
    for _ in 0..3 {
        send(&mut world, OWNER, FC, &pokeCall { pool });
        world.advance(1);
    }
    println!("{:<58} {:>10} {:>14}", "call", "gas", "ink");
    let check = ok(world.static_call(KEEPER, STAB, &checkDeviationCall {}.abi_encode()), "checkDeviation");
    print("Stabilizer.checkDeviation (view, reads FlashContainment)", &check);
    let direct =
        ok(world.static_call(KEEPER, FC, &fc_check_deviation(pool)), "FlashContainment.checkDeviation");
    print("  of which FlashContainment.checkDeviation (view)", &direct);
    let has_role = ok(
        world.static_call(KEEPER, STAB, &hasRoleCall { role: keeper_role, account: KEEPER }.abi_encode()),
        "hasRole",
    );
    print("Stabilizer.hasRole (view)", &has_role);
    let swap = executePrivateSwapCall { tradeSize: e18(), tokenIn: base, tokenOut: quote };
    let refused = world.call(OWNER, STAB, &swap.abi_encode(), U256::ZERO);
    assert!(!refused.success);
    print("Stabilizer.executePrivateSwap refused (not keeper, tx)", &refused);
}

/// FlashContainment's own `checkDeviation(pool)` calldata.
fn fc_check_deviation(pool: Address) -> Vec<u8> {
    sol! {
        function checkDeviation(address pool) external view returns (int256, bool);
    }
    checkDeviationCall { pool }.abi_encode()
}
