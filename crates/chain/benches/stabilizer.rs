//! Gas of the Stabilizer's calls on the in-process chain, with the compiled
//! Stabilizer and FlashContainment wasm, a DODO-compatible `PmmPool` (18/18
//! decimals) and the `PriceOracle` fixture. Prints figures; asserts only
//! that each call succeeds. Run: `cargo bench -p vault-chain --bench
//! stabilizer` (after `scripts/build-wasm`).
//!
//! First, with stand-ins for the mesh and the ReserveSizer: the
//! configuration calls, `checkDeviation` (an `eth_call`, reading
//! FlashContainment) and a call refused before any external call.
//!
//! Then the full system (the four compiled contracts; the market of
//! `tests/stabilizer_flow.rs`: two 6-decimal stablecoins, a 1,000,000 ×
//! 1,000,000 pool with `k` = 0.1 and a 3 bps LP fee, the mesh with 10,000,000
//! of each token against XAU, the per-block cap 25,000) with a deviation of
//! 1% held for `N` blocks, each way: `checkDeviation` and `keeperTrade` (the
//! views a keeper reads), `executePrivateSwap` with its DODO swap and mesh
//! settlement, and the DODO `sellQuote`/`sellBase` alone (its input
//! transferred beforehand, as DODO settles) on an identical pool state (the
//! same deterministic world built again), so that the Stabilizer's overhead
//! is the difference.

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
    function keeperTrade() external view returns (uint256 tradeSize, address tokenIn, address tokenOut, uint256 minAmountOut);
    function configureAsset(address asset, address holder, address bridgeHolder, uint64 windowMinutes, uint64 safetyBps, uint64 bridgeLatencySeconds, uint64 peakWindowMinutes);
    function recordOutflow(address asset, uint256 amount);
    function transfer(address to, uint256 amount) external returns (bool);
    function sellBase(address to) external returns (uint256);
    function sellQuote(address to) external returns (uint256);
    function getMidPrice() external view returns (uint256);
    function getPMMStateForCall() external view returns (uint256 i, uint256 K, uint256 B, uint256 Q, uint256 B0, uint256 Q0, uint256 R);
}

/// The PrivateMeshPool (abi/PrivateMeshPool.sol).
mod mesh {
    alloy_sol_types::sol! {
        function stylusConstructor(address admin, address xau);
        function registerPool(address token, address oracle, uint256 k, uint256 feeRate, uint256 minTokenReserve, uint256 minXauReserve, uint64 maxJumpBps, uint64 maxGapBps, uint64 maxOracleAge);
        function deposit(address token, uint256 tokenAmount, uint256 xauAmount);
        function swap(address tokenIn, address tokenOut, uint256 amountIn, uint256 minAmountOut, address to) external returns (uint256);
    }
}

const FC: Address = address!("00000000000000000000000000000000000f1a5c");
const STAB: Address = address!("00000000000000000000000000000000000057ab");
const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
const KEEPER: Address = address!("000000000000000000000000000000000000cee9");
const OWNER: Address = address!("0000000000000000000000000000000000000e4e");
/// The mesh and the ReserveSizer: stand-ins without code in the first part
/// (not called by the calls measured there), the real contracts in the
/// full system.
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
    for up in [false, true] {
        full_system(up);
    }
}

const TRADER: Address = address!("0000000000000000000000000000000000007ade");
const LP: Address = address!("0000000000000000000000000000000000001f01");
const REPORTER: Address = address!("000000000000000000000000000000000000be01");

/// `amount` whole 6-decimal tokens.
fn tokens(amount: u64) -> U256 {
    U256::from(amount) * U256::from(1_000_000u64)
}

/// The pool's PMM `k` (0.1) and LP fee (3 bps), 1e18.
const POOL_K: u128 = 100_000_000_000_000_000;
const POOL_LP_FEE: u128 = 300_000_000_000_000;

/// The tokens (`cUSDC`, `cUSDT`, XAU), the public pool and the pair oracle:
/// `(world, pool, base, quote, xau, oracle)`.
fn market() -> (World, Address, Address, Address, Address, Address) {
    let mut world = World::new();
    world.advance(1);
    let token = Artifact::load("TestToken").unwrap();
    let deploy_token = |world: &mut World, symbol: &str, decimals: u8| {
        let ctor = tokenConstructorCall {
            name: symbol.into(),
            symbol: symbol.into(),
            decimals,
            holder: OWNER,
            supply: U256::from(10u8).pow(U256::from(30u8)),
        };
        token.deploy(world, OWNER, &args(&ctor)).expect("token deploys")
    };
    let base = deploy_token(&mut world, "cUSDC", 6);
    let quote = deploy_token(&mut world, "cUSDT", 6);
    let xau = deploy_token(&mut world, "XAU", 18);
    let ctor = pmmConstructorCall {
        owner: OWNER,
        maintainer: OWNER,
        baseToken: base,
        quoteToken: quote,
        lpFeeRate: U256::from(POOL_LP_FEE),
        mtFeeRate: U256::ZERO,
        i: e18(),
        k: U256::from(POOL_K),
        isOpenTWAP: false,
    };
    let pool = Artifact::load("PmmPool").unwrap().deploy(&mut world, OWNER, &args(&ctor)).unwrap();
    let depth = tokens(1_000_000);
    send(&mut world, OWNER, base, &approveCall { spender: pool, amount: depth });
    send(&mut world, OWNER, quote, &approveCall { spender: pool, amount: depth });
    send(&mut world, OWNER, pool, &depositCall { baseAmount: depth, quoteAmount: depth });
    let oracle = deploy_oracle(&mut world, e18());
    (world, pool, base, quote, xau, oracle)
}

/// FlashContainment: θ 10 bps, N = W = 3 blocks, cap 25,000 base.
fn deploy_fc(world: &mut World, pool: Address, oracle: Address) {
    world.deploy_code(FC, packed("flash_containment.wasm")).expect("FlashContainment loads");
    ok(world.call(ADMIN, FC, &constructor(ADMIN), U256::ZERO), "FC constructor");
    let register = registerPoolCall {
        pool,
        oracle,
        baseDecimals: 6,
        quoteDecimals: 6,
        thresholdBps: 10,
        sustainBlocks: 3,
        twapWindow: 3,
        maxOracleAge: 3_600,
        perBlockCap: tokens(25_000),
    };
    send(world, ADMIN, FC, &register);
    send(world, ADMIN, FC, &grantRoleCall { role: keccak256("STABILIZER_ROLE"), account: STAB });
}

/// The mesh: a pool per stablecoin, 10,000,000 tokens against 3,000 XAU.
fn deploy_mesh(world: &mut World, base: Address, quote: Address, xau: Address) {
    world.deploy_code(MESH, packed("private_mesh_pool.wasm")).expect("PrivateMeshPool loads");
    let mut ctor = keccak256("stylus_constructor()")[..4].to_vec();
    ctor.extend_from_slice(&args(&mesh::stylusConstructorCall { admin: ADMIN, xau }));
    ok(world.call(ADMIN, MESH, &ctor, U256::ZERO), "mesh constructor");
    send(world, ADMIN, MESH, &grantRoleCall { role: keccak256("LIQUIDITY_PROVIDER_ROLE"), account: LP });
    send(world, ADMIN, MESH, &grantRoleCall { role: keccak256("STABILIZER_ROLE"), account: STAB });
    let (mesh_tokens, mesh_xau) = (tokens(10_000_000), U256::from(3_000u64) * e18());
    for token in [base, quote] {
        // 0.0003 XAU per token: XAU raw units per token raw unit, 1e18.
        let token_oracle = deploy_oracle(world, U256::from(3u8) * U256::from(10u8).pow(U256::from(26u8)));
        let register = mesh::registerPoolCall {
            token,
            oracle: token_oracle,
            k: U256::from(POOL_K),
            feeRate: U256::from(POOL_LP_FEE),
            minTokenReserve: tokens(1_000),
            minXauReserve: e18() / U256::from(10u8),
            maxJumpBps: 50,
            maxGapBps: 200,
            maxOracleAge: 3_600,
        };
        send(world, ADMIN, MESH, &register);
        send(world, OWNER, token, &transferCall { to: LP, amount: mesh_tokens });
        send(world, OWNER, xau, &transferCall { to: LP, amount: mesh_xau });
        send(world, LP, token, &approveCall { spender: MESH, amount: U256::MAX });
        send(world, LP, xau, &approveCall { spender: MESH, amount: U256::MAX });
        send(world, LP, MESH, &mesh::depositCall { token, tokenAmount: mesh_tokens, xauAmount: mesh_xau });
    }
}

/// The ReserveSizer: the mesh holds both stablecoins' reserve.
fn deploy_sizer(world: &mut World, base: Address, quote: Address) {
    world.deploy_code(SIZER, packed("reserve_sizer.wasm")).expect("ReserveSizer loads");
    ok(world.call(ADMIN, SIZER, &constructor(ADMIN), U256::ZERO), "ReserveSizer constructor");
    send(world, ADMIN, SIZER, &grantRoleCall { role: keccak256("REPORTER_ROLE"), account: REPORTER });
    for token in [base, quote] {
        let configure = configureAssetCall {
            asset: token,
            holder: MESH,
            bridgeHolder: MESH,
            windowMinutes: 15,
            safetyBps: 15_000,
            bridgeLatencySeconds: 3_600,
            peakWindowMinutes: 60,
        };
        send(world, ADMIN, SIZER, &configure);
        send(world, REPORTER, SIZER, &recordOutflowCall { asset: token, amount: tokens(10_000) });
    }
}

/// The full system, its pool pushed 1% away from the oracle (down, or up
/// when `up`) by a trader and observed for `N` = 3 blocks: the deviation
/// is sustained and the keeper is about to trade. Deterministic: built
/// twice, it gives the same state. Returns the world, the pool, its base
/// and quote, and the keeper's trade (`keeperTrade`, lowered to the
/// peg-reaching size).
fn sustained(up: bool) -> (World, Address, Address, Address, executePrivateSwapCall) {
    let (mut world, pool, base, quote, xau, oracle) = market();
    deploy_fc(&mut world, pool, oracle);
    deploy_mesh(&mut world, base, quote, xau);
    deploy_sizer(&mut world, base, quote);
    world.deploy_code(STAB, packed("stabilizer.wasm")).expect("Stabilizer loads");
    ok(world.call(ADMIN, STAB, &constructor(ADMIN), U256::ZERO), "Stabilizer constructor");
    let parameters = setParametersCall {
        minBlocks: 1,
        k: tokens(5_000_000),
        maxSlippageBps: 50,
        maxGasPrice: U256::from(1_000_000_000u64),
        maxOracleAge: 3_600,
    };
    send(&mut world, ADMIN, STAB, &parameters);
    send(&mut world, ADMIN, STAB, &grantRoleCall { role: keccak256("KEEPER_ROLE"), account: KEEPER });
    let contracts = setContractsCall { pool, containment: FC, mesh: MESH, reserveSizer: SIZER, oracle };
    send(&mut world, ADMIN, STAB, &contracts);
    for token in [base, quote] {
        send(&mut world, OWNER, token, &transferCall { to: STAB, amount: tokens(200_000) });
        send(&mut world, OWNER, token, &transferCall { to: TRADER, amount: tokens(2_000_000) });
    }
    for _ in 0..3 {
        world.advance(1);
        send(&mut world, KEEPER, FC, &pokeCall { pool });
    }

    // A trader pushes the pool 1% off the oracle; the keeper observes it
    // for N blocks.
    world.advance(1);
    let state = pmm_state(&mut world, pool);
    let fees = vault_math::sizing::FeeRates { lp: U256::from(POOL_LP_FEE), mt: U256::ZERO };
    let (token_in, amount) = if up {
        let target = e18() * U256::from(101u8) / U256::from(100u8);
        (quote, vault_math::sizing::max_correcting_quote_in(&state, target, fees).unwrap())
    } else {
        let target = e18() * U256::from(99u8) / U256::from(100u8);
        (base, vault_math::sizing::max_correcting_base_in(&state, target, fees).unwrap())
    };
    dodo_sell(&mut world, pool, token_in, token_in == base, amount);
    for block in 0..3 {
        if block > 0 {
            world.advance(1);
        }
        send(&mut world, KEEPER, FC, &pokeCall { pool });
    }
    let trade = ok(world.static_call(KEEPER, STAB, &keeperTradeCall {}.abi_encode()), "keeperTrade");
    let trade = keeperTradeCall::abi_decode_returns(&trade.return_data, true).unwrap();
    let state = pmm_state(&mut world, pool);
    let to_peg = if trade.tokenIn == base {
        vault_math::sizing::max_correcting_base_in(&state, e18(), fees).unwrap()
    } else {
        vault_math::sizing::max_correcting_quote_in(&state, e18(), fees).unwrap()
    };
    let call = executePrivateSwapCall {
        tradeSize: trade.tradeSize.min(to_peg),
        tokenIn: trade.tokenIn,
        tokenOut: trade.tokenOut,
    };
    (world, pool, base, quote, call)
}

fn deploy_oracle(world: &mut World, price: U256) -> Address {
    let ctor = oracleConstructorCall { owner: OWNER, initialPrice: price };
    Artifact::load("PriceOracle").unwrap().deploy(world, OWNER, &args(&ctor)).unwrap()
}

fn pmm_state(world: &mut World, pool: Address) -> vault_math::pmm::PmmState {
    use vault_math::pmm::{PmmState, RState};
    let state = ok(world.static_call(OWNER, pool, &getPMMStateForCallCall {}.abi_encode()), "state");
    let s = getPMMStateForCallCall::abi_decode_returns(&state.return_data, true).unwrap();
    let r = match s.R.to::<u8>() {
        0 => RState::One,
        1 => RState::AboveOne,
        _ => RState::BelowOne,
    };
    PmmState { i: s.i, k: s.K, b: s.B, q: s.Q, b0: s.B0, q0: s.Q0, r }
}

/// DODO settlement from the trader: the input transferred, then
/// `sellBase`/`sellQuote`. Returns both transactions' outcomes.
fn dodo_sell(
    world: &mut World,
    pool: Address,
    token: Address,
    is_base: bool,
    amount: U256,
) -> (CallOutcome, CallOutcome) {
    let transfer = send(world, TRADER, token, &transferCall { to: pool, amount });
    let sell = if is_base {
        send(world, TRADER, pool, &sellBaseCall { to: TRADER })
    } else {
        send(world, TRADER, pool, &sellQuoteCall { to: TRADER })
    };
    (transfer, sell)
}

/// The full system's figures for a pool 1% below (or above, `up`) the
/// oracle.
fn full_system(up: bool) {
    let (mut world, pool, base, _, call) = sustained(up);
    let side =
        if up { "pool 1% above the oracle: sells base" } else { "pool 1% below the oracle: sells quote" };
    println!();
    println!("full system, {side}, tradeSize {} raw", call.tradeSize);
    let check = ok(world.static_call(KEEPER, STAB, &checkDeviationCall {}.abi_encode()), "checkDeviation");
    print("Stabilizer.checkDeviation (view, sustained)", &check);
    let trade = ok(world.static_call(KEEPER, STAB, &keeperTradeCall {}.abi_encode()), "keeperTrade");
    print("Stabilizer.keeperTrade (view)", &trade);
    let swap = ok(world.call(KEEPER, STAB, &call.abi_encode(), U256::ZERO), "executePrivateSwap");
    print("Stabilizer.executePrivateSwap (tx: DODO swap + mesh)", &swap);
    // The same state again, and the DODO swap alone.
    let (mut world, pool_again, _, _, call_again) = sustained(up);
    assert_eq!((pool_again, call_again.tradeSize), (pool, call.tradeSize), "not the same state");
    let is_base = call.tokenIn == base;
    let (transfer, sell) = dodo_sell(&mut world, pool, call.tokenIn, is_base, call.tradeSize);
    let name = if is_base { "sellBase" } else { "sellQuote" };
    print("  DODO input transfer to the pool (tx)", &transfer);
    print(&format!("  DODO {name} alone (tx, same pool state)"), &sell);
    let overhead = i128::from(swap.gas_used) - i128::from(sell.gas_used);
    println!("{:<58} {overhead:>10}", format!("  overhead: executePrivateSwap - {name}"));
    // Transfer and sell in one transaction: one intrinsic 21,000, not two.
    let both = i128::from(transfer.gas_used) + i128::from(sell.gas_used) - 21_000;
    println!(
        "{:<58} {:>10}",
        format!("  overhead: executePrivateSwap - (transfer + {name})"),
        i128::from(swap.gas_used) - both
    );
    // Of which the mesh settlement: the same swap of the DODO proceeds,
    // sent directly by an account holding the mesh's Stabilizer role.
    let received = U256::from_be_slice(&sell.return_data[..32]);
    send(&mut world, ADMIN, MESH, &grantRoleCall { role: keccak256("STABILIZER_ROLE"), account: TRADER });
    send(&mut world, TRADER, call.tokenOut, &approveCall { spender: MESH, amount: U256::MAX });
    let settle = mesh::swapCall {
        tokenIn: call.tokenOut,
        tokenOut: call.tokenIn,
        amountIn: received,
        minAmountOut: U256::ZERO,
        to: TRADER,
    };
    let settle = send(&mut world, TRADER, MESH, &settle);
    print("  of which PrivateMeshPool.swap of the proceeds (tx)", &settle);
}

/// FlashContainment's own `checkDeviation(pool)` calldata.
fn fc_check_deviation(pool: Address) -> Vec<u8> {
    sol! {
        function checkDeviation(address pool) external view returns (int256, bool);
    }
    checkDeviationCall { pool }.abi_encode()
}
