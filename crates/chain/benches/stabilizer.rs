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
//!
//! Every figure is printed as the transaction's `gas_used`, its intrinsic
//! gas (21,000 plus the calldata's, EIP-2028) and the execution gas, their
//! difference: App. A's 20,000 gas goal for `checkDeviation` can only mean
//! execution (the intrinsic 21,000 alone exceeds it).
//!
//! `checkDeviation` is broken down from two measurements: the transaction's
//! execution, and the ink of every Stylus frame (`CallOutcome::ink_used`),
//! which is the Stabilizer's frame (its execution) plus FlashContainment's
//! frame; what is left is the cold access to FlashContainment's account
//! (2,600, EIP-2929) and the Stabilizer's own frame, whose cold storage
//! reads are two by its layout (the pool's word, which carries the gate,
//! and FlashContainment's address).
//!
//! Every measured call is also priced as Nitro charges it, with its per-call
//! entry cost for each Stylus program entered, all programs uncached and
//! all cached (`common`); the breakdowns below are of the chain's metered
//! gas, except the replayed steps, which are printed three ways too.
//!
//! `executePrivateSwap`'s overhead over the DODO swap alone is broken down
//! by replaying its steps one by one from the Stabilizer's address, each as
//! its own transaction, on the same pre-trade state: each step's execution
//! gas (the calls the Stabilizer makes, with the same arguments), then the
//! storage write and the event it adds, computed from the chain's gas
//! schedule. Each replayed call finds its target warm (it is the
//! transaction's target) and its callee's storage cold; inside the trade
//! the first call to each contract pays a cold account access (2,600)
//! instead, and storage read by an earlier step is warm. The rest line is
//! the Stabilizer's own frame (role and gate checks, its storage reads,
//! `ArbSys`, encoding) with those warm/cold differences.

mod common;

use alloy_primitives::{address, keccak256, Address, U256};
use alloy_sol_types::{sol, SolCall};
use common::{
    args, executions, gas_used, header, legend, line, lines, measure, measure_probe, ok, packed, price, row,
    send, Priced, ADMIN, FC, KEEPER, LP, OWNER, REPORTER,
};
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

/// FlashContainment (abi/FlashContainment.sol), the oracle, an ERC-20 and
/// the ReserveSizer: the calls the Stabilizer makes.
mod calls {
    alloy_sol_types::sol! {
        function checkDeviation(address pool) external view returns (int256, bool);
        function remainingVolume(address pool) external view returns (uint256);
        function consumeVolume(address pool, uint256 amount);
        function latestPrice() external view returns (uint256, uint256);
        function balanceOf(address account) external view returns (uint256);
        function canRelease(address asset, uint256 amount) external view returns (bool);
        function recordRelease(address asset, uint256 amount);
    }
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

const STAB: Address = address!("00000000000000000000000000000000000057ab");
/// The mesh and the ReserveSizer: stand-ins without code in the first part
/// (not called by the calls measured there), the real contracts in the
/// full system.
const MESH: Address = address!("000000000000000000000000000000000000e5e5");
const SIZER: Address = address!("0000000000000000000000000000000000005153");

fn constructor(admin: Address) -> Vec<u8> {
    common::stylus_constructor(&args(&stylusConstructorCall { admin }))
}

/// Runs `calldata` (a static call when `view`), asserts success, prints it
/// with its gas three ways.
fn measured(
    world: &mut World,
    from: Address,
    to: Address,
    calldata: &[u8],
    view: bool,
    name: &str,
) -> Priced {
    let priced = measure(world, from, to, calldata, view, name);
    row(name, &priced);
    priced
}

/// `checkDeviation`'s breakdown (see the crate docs), of the chain's
/// metered gas.
fn check_breakdown(check: &Priced) {
    let execution = check.execution();
    let containment = i128::from(check.outcome.ink_used / 10_000) - i128::from(execution);
    let own = i128::from(execution) - containment - 2_600;
    line("    FlashContainment's frame (ink of all frames - Stabilizer's)", containment);
    line("    cold access to FlashContainment's account (EIP-2929)", 2_600);
    line("    Stabilizer's own frame", own);
    line("      of which 2 cold SLOADs (pool word + gate, containment)", 4_200);
    line("      of which wasm, hostios, ArbSys (when triggered)", own - 4_200);
}

/// Gas of a log: 375, 375 per topic and 8 per data byte.
fn log_gas(log: &alloy_primitives::Log) -> i128 {
    let topics = i128::try_from(log.topics().len()).unwrap();
    let data = i128::try_from(log.data.data.len()).unwrap();
    375 + 375 * topics + 8 * data
}

fn e18() -> U256 {
    U256::from(10u8).pow(U256::from(18u8))
}

fn main() {
    let mut world = World::new();
    world.deploy_code(FC, packed("flash_containment")).expect("FlashContainment loads");
    ok(world.call(ADMIN, FC, &constructor(ADMIN), U256::ZERO), "FC constructor");
    world.deploy_code(STAB, packed("stabilizer")).expect("Stabilizer loads");
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
    legend();
    println!();
    header("Stabilizer with stand-ins for the mesh and the ReserveSizer");
    let contracts = setContractsCall { pool, containment: FC, mesh: MESH, reserveSizer: SIZER, oracle };
    measured(
        &mut world,
        ADMIN,
        STAB,
        &contracts.abi_encode(),
        false,
        "Stabilizer.setContracts (tx, approves the mesh on both tokens)",
    );
    let parameters = setParametersCall {
        minBlocks: 2,
        k: U256::from(1_000_000u64) * e18(),
        maxSlippageBps: 50,
        maxGasPrice: U256::from(1_000_000_000u64),
        maxOracleAge: 3_600,
    };
    measured(&mut world, ADMIN, STAB, &parameters.abi_encode(), false, "Stabilizer.setParameters (tx)");
    let keeper_role = keccak256("KEEPER_ROLE");
    send(&mut world, ADMIN, STAB, &grantRoleCall { role: keeper_role, account: KEEPER });
    send(&mut world, ADMIN, FC, &grantRoleCall { role: keccak256("POKER_ROLE"), account: OWNER });
    for _ in 0..3 {
        send(&mut world, OWNER, FC, &pokeCall { pool });
        world.advance(1);
    }
    let check = measured(
        &mut world,
        KEEPER,
        STAB,
        &checkDeviationCall {}.abi_encode(),
        true,
        "Stabilizer.checkDeviation (view, not triggered)",
    );
    check_breakdown(&check);
    let direct = calls::checkDeviationCall { pool }.abi_encode();
    measured(&mut world, KEEPER, FC, &direct, true, "FlashContainment.checkDeviation(pool) (view, direct)");
    let has_role = hasRoleCall { role: keeper_role, account: KEEPER }.abi_encode();
    measured(&mut world, KEEPER, STAB, &has_role, true, "Stabilizer.hasRole (view)");
    let swap = executePrivateSwapCall { tradeSize: e18(), tokenIn: base, tokenOut: quote }.abi_encode();
    let refused = price(&mut world, OWNER, STAB, &swap, false);
    assert!(!refused.outcome.success);
    row("Stabilizer.executePrivateSwap refused (not keeper, tx)", &refused);
    for up in [false, true] {
        full_system(up);
    }
}

const TRADER: Address = address!("0000000000000000000000000000000000007ade");

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
    world.deploy_code(FC, packed("flash_containment")).expect("FlashContainment loads");
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
    for poker in [KEEPER, OWNER] {
        send(world, ADMIN, FC, &grantRoleCall { role: keccak256("POKER_ROLE"), account: poker });
    }
}

/// The mesh: a pool per stablecoin, 10,000,000 tokens against 3,000 XAU.
fn deploy_mesh(world: &mut World, base: Address, quote: Address, xau: Address) {
    world.deploy_code(MESH, packed("private_mesh_pool")).expect("PrivateMeshPool loads");
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
    world.deploy_code(SIZER, packed("reserve_sizer")).expect("ReserveSizer loads");
    ok(world.call(ADMIN, SIZER, &constructor(ADMIN), U256::ZERO), "ReserveSizer constructor");
    send(world, ADMIN, SIZER, &grantRoleCall { role: keccak256("REPORTER_ROLE"), account: REPORTER });
    // The Stabilizer records the mesh's releases itself (`recordRelease`).
    send(world, ADMIN, SIZER, &grantRoleCall { role: keccak256("REPORTER_ROLE"), account: STAB });
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
/// and quote, the oracle, and the keeper's trade (`keeperTrade`, lowered to the
/// peg-reaching size).
fn sustained(up: bool) -> (World, Address, Address, Address, Address, executePrivateSwapCall) {
    let (mut world, pool, base, quote, xau, oracle) = market();
    deploy_fc(&mut world, pool, oracle);
    deploy_mesh(&mut world, base, quote, xau);
    deploy_sizer(&mut world, base, quote);
    world.deploy_code(STAB, packed("stabilizer")).expect("Stabilizer loads");
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
    (world, pool, base, quote, oracle, call)
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
    let (mut world, pool, base, _, _, call) = sustained(up);
    let side =
        if up { "pool 1% above the oracle: sells base" } else { "pool 1% below the oracle: sells quote" };
    println!();
    header(&format!("full system, {side}, tradeSize {} raw", call.tradeSize));
    let check_data = checkDeviationCall {}.abi_encode();
    let check =
        measured(&mut world, KEEPER, STAB, &check_data, true, "Stabilizer.checkDeviation (view, sustained)");
    check_breakdown(&check);
    let direct = calls::checkDeviationCall { pool }.abi_encode();
    measured(&mut world, KEEPER, FC, &direct, true, "FlashContainment.checkDeviation(pool) (view, direct)");
    {
        // A block later, before that block's poke: still sustained.
        let (mut world, ..) = sustained(up);
        world.advance(1);
        let name = "Stabilizer.checkDeviation (view, next block, not yet poked)";
        let check = measured(&mut world, KEEPER, STAB, &check_data, true, name);
        assert!(check.outcome.return_data[63] == 1, "not sustained a block later");
        check_breakdown(&check);
    }
    let trade = keeperTradeCall {}.abi_encode();
    measured(&mut world, KEEPER, STAB, &trade, true, "Stabilizer.keeperTrade (view)");
    let swap = measured(
        &mut world,
        KEEPER,
        STAB,
        &call.abi_encode(),
        false,
        "Stabilizer.executePrivateSwap (tx: DODO swap + mesh)",
    );
    // The same state again, and the DODO swap alone.
    let (mut world, pool_again, _, _, _, call_again) = sustained(up);
    assert_eq!((pool_again, call_again.tradeSize), (pool, call.tradeSize), "not the same state");
    let is_base = call.tokenIn == base;
    let name = if is_base { "sellBase" } else { "sellQuote" };
    let transfer = transferCall { to: pool, amount: call.tradeSize }.abi_encode();
    measured(&mut world, TRADER, call.tokenIn, &transfer, false, "  DODO input transfer to the pool (tx)");
    let sell = if is_base {
        sellBaseCall { to: TRADER }.abi_encode()
    } else {
        sellQuoteCall { to: TRADER }.abi_encode()
    };
    let sold = measured(
        &mut world,
        TRADER,
        pool,
        &sell,
        false,
        &format!("  DODO {name} alone (tx, same pool state)"),
    );
    let overheads = |gas: fn(&Priced) -> [u64; 3]| {
        let (swap, sold) = (gas(&swap), gas(&sold));
        [0, 1, 2].map(|i| i128::from(swap[i]) - i128::from(sold[i]))
    };
    lines(&format!("  overhead: executePrivateSwap - {name} (gas_used)"), overheads(gas_used));
    lines(&format!("  overhead: executePrivateSwap - {name} (execution)"), overheads(executions));
    swap_breakdown(up, &swap, &sold);
}

/// EVM code that makes `calls` in order (`(target, calldata, static)`),
/// each measured with `GAS` before and after (the difference includes the
/// call's account access and a few pushes), and returns `(gas, success)`
/// per call.
fn probe_code(calls: &[(Address, Vec<u8>, bool)]) -> Vec<u8> {
    const RESULTS: u16 = 0x400;
    fn push(code: &mut Vec<u8>, bytes: &[u8]) {
        code.push(0x5f + u8::try_from(bytes.len()).unwrap());
        code.extend_from_slice(bytes);
    }
    fn push16(code: &mut Vec<u8>, value: usize) {
        push(code, &u16::try_from(value).unwrap().to_be_bytes());
    }
    let (gas, mstore, swap1, sub) = (0x5a, 0x52, 0x90, 0x03);
    let mut code = Vec::new();
    for (i, (target, data, is_static)) in calls.iter().enumerate() {
        for (j, chunk) in data.chunks(32).enumerate() {
            let mut word = [0u8; 32];
            word[..chunk.len()].copy_from_slice(chunk);
            push(&mut code, &word);
            push16(&mut code, 32 * j);
            code.push(mstore);
        }
        code.push(gas);
        push(&mut code, &[0]);
        push(&mut code, &[0]);
        push16(&mut code, data.len());
        push(&mut code, &[0]);
        if !is_static {
            push(&mut code, &[0]);
        }
        push(&mut code, target.as_slice());
        code.push(gas);
        code.push(if *is_static { 0xfa } else { 0xf1 });
        // [g0, success] -> [g0, success, g1]: store success, then g0 - g1.
        code.push(gas);
        code.push(swap1);
        push16(&mut code, usize::from(RESULTS) + 64 * i + 32);
        code.push(mstore);
        code.push(swap1);
        code.push(sub);
        push16(&mut code, usize::from(RESULTS) + 64 * i);
        code.push(mstore);
    }
    push16(&mut code, 64 * calls.len());
    push16(&mut code, usize::from(RESULTS));
    code.push(0xf3);
    code
}

/// `executePrivateSwap`'s external calls replayed in order, in one
/// transaction, from EVM code put at the Stabilizer's address on the same
/// pre-trade state (see the crate docs), three ways as `swap` (the measured
/// trade) and `sold` (the DODO swap alone) are.
fn swap_breakdown(up: bool, swap: &Priced, sold: &Priced) {
    let (mut world, pool, base, _, oracle, call) = sustained(up);
    let (token_in, token_out, size) = (call.tokenIn, call.tokenOut, call.tradeSize);
    let sell = if token_in == base {
        sellBaseCall { to: STAB }.abi_encode()
    } else {
        sellQuoteCall { to: STAB }.abi_encode()
    };
    // The swap's output, from the same state built again.
    let received = {
        let (mut world, ..) = sustained(up);
        send(&mut world, STAB, token_in, &transferCall { to: pool, amount: size });
        let sold = ok(world.call(STAB, pool, &sell, U256::ZERO), "sell");
        U256::from_be_slice(&sold.return_data[..32])
    };
    let arb_block = keccak256("arbBlockNumber()")[..4].to_vec();
    let settle = mesh::swapCall {
        tokenIn: token_out,
        tokenOut: token_in,
        amountIn: received,
        minAmountOut: U256::ZERO,
        to: STAB,
    };
    let steps: [(&str, Address, Vec<u8>, bool); 13] = [
        (
            "ArbSys.arbBlockNumber (L2 clock)",
            address!("0000000000000000000000000000000000000064"),
            arb_block,
            true,
        ),
        (
            "FC.checkDeviation (sustained rule, TWAP)",
            FC,
            calls::checkDeviationCall { pool }.abi_encode(),
            true,
        ),
        ("oracle.latestPrice", oracle, calls::latestPriceCall {}.abi_encode(), true),
        ("FC.remainingVolume (per-block cap)", FC, calls::remainingVolumeCall { pool }.abi_encode(), true),
        ("pool.getMidPrice (spot before)", pool, getMidPriceCall {}.abi_encode(), true),
        (
            "tokenIn.balanceOf (the float)",
            token_in,
            calls::balanceOfCall { account: STAB }.abi_encode(),
            true,
        ),
        (
            "ReserveSizer.canRelease",
            SIZER,
            calls::canReleaseCall { asset: token_in, amount: size }.abi_encode(),
            true,
        ),
        ("FC.consumeVolume", FC, calls::consumeVolumeCall { pool, amount: size }.abi_encode(), false),
        (
            "tokenIn.transfer to the pool (the float)",
            token_in,
            transferCall { to: pool, amount: size }.abi_encode(),
            false,
        ),
        ("the DODO swap itself, in the trade", pool, sell, false),
        ("pool.getMidPrice (spot after)", pool, getMidPriceCall {}.abi_encode(), false),
        ("PrivateMeshPool.swap settling tokenOut", MESH, settle.abi_encode(), false),
        (
            "ReserveSizer.recordRelease (the mesh's release)",
            SIZER,
            calls::recordReleaseCall { asset: token_in, amount: size }.abi_encode(),
            false,
        ),
    ];
    let calls: Vec<_> = steps.iter().map(|(_, to, data, view)| (*to, data.clone(), *view)).collect();
    world.set_code(STAB, probe_code(&calls));
    let replay = measure_probe(&mut world, KEEPER, STAB, &[], "replay");
    let names: Vec<&str> = steps.iter().map(|(name, ..)| *name).collect();
    print_steps(&names, &replay, swap, sold);
}

/// Prints the replayed steps' gas (`replay`'s output) and the trade's
/// overhead broken down, three ways.
fn print_steps(steps: &[&str], replay: &Priced, swap: &Priced, sold: &Priced) {
    let replays = [&replay.outcome, &replay.uncached, &replay.cached];
    println!("  executePrivateSwap's steps (its calls replayed in one transaction, in order):");
    let mut calls_total = [0i128; 3];
    let mut dodo = [0i128; 3];
    for (i, name) in steps.iter().enumerate() {
        let gas = replays.map(|replay| {
            let output = &replay.return_data;
            assert!(!output[64 * i + 32..64 * i + 64].iter().all(|b| *b == 0), "{name} failed");
            i128::from(U256::from_be_slice(&output[64 * i..64 * i + 32]).to::<u64>())
        });
        for v in 0..3 {
            if i == 9 {
                dodo[v] = gas[v];
            } else {
                calls_total[v] += gas[v];
            }
        }
        lines(&format!("    {name}"), gas);
    }
    lines("    peg managers (none configured here: no call)", [0; 3]);
    let (swap_execution, sell_execution) = (executions(swap), executions(sold));
    let own = [0, 1, 2].map(|v| i128::from(swap_execution[v]) - calls_total[v] - dodo[v]);
    lines("    the Stabilizer's own frame (execution - its calls)", own);
    // Its cold reads on this path: the keeper role, the pool's word (gate),
    // k and maxGasPrice, base, quote, containment's word (settings),
    // oracle, sizer, mesh.
    lines("      of which 9 cold SLOADs (by its layout)", [9 * 2_100; 3]);
    lines("      of which the gate's write (warm, nonzero to nonzero)", [2_900; 3]);
    let event = swap.outcome.logs.iter().filter(|log| log.address == STAB).map(log_gas).sum::<i128>();
    lines("      of which event Stabilized (LOG4, 8 data words)", [event; 3]);
    lines(
        "      of which wasm, hostios, encoding, net of refunds (+ entry)",
        own.map(|own| own - 9 * 2_100 - 2_900 - event),
    );
    let intrinsic_gap = i128::from(swap.outcome.gas_used - swap_execution[0])
        - i128::from(sold.outcome.gas_used - sell_execution[0]);
    let dodo_gap = [0, 1, 2].map(|v| dodo[v] - i128::from(sell_execution[v]));
    lines(
        "    overhead = calls + own frame + (DODO in trade - alone) + intrinsic gap",
        [0, 1, 2].map(|v| calls_total[v] + own[v] + dodo_gap[v] + intrinsic_gap),
    );
    lines("      of which DODO swap in the trade - alone (warm pool state)", dodo_gap);
    lines("      of which intrinsic gas gap (the calldata)", [intrinsic_gap; 3]);
}
