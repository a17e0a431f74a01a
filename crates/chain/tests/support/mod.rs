//! Shared by the full-system Stabilizer tests (`stabilizer_flow.rs`,
//! `stabilizer_rules.rs`): the compiled Stabilizer, FlashContainment,
//! PrivateMeshPool and ReserveSizer wasm, wired as in production, around a
//! DODO-compatible Solidity `PmmPool` (the public pool), OpenZeppelin
//! `TestToken`s and the `PriceOracle` fixture; the keeper's loop (poke,
//! `checkDeviation`, `keeperTrade`, the peg-reaching size, the bounded
//! `executePrivateSwap`); and [`refused`], which asserts a refusal's exact
//! revert data and that it changed nothing.
//!
//! The market and the parameters (production values, not tuned per test)
//! are documented in `stabilizer_flow.rs`'s module documentation.
//!
//! Needs the four contracts' wasm (`scripts/build-wasm`) and the committed
//! artifacts in `tests/solidity/artifacts`.

#![allow(dead_code)]

use std::sync::OnceLock;

use alloy_primitives::{address, keccak256, Address, Log, B256, I256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use vault_chain::{artifacts::Artifact, CallOutcome, World};
use vault_math::pmm::{PmmState, RState};
use vault_math::sizing::{self, FeeRates};

/// The Stabilizer (abi/Stabilizer.sol).
pub mod stab {
    alloy_sol_types::sol! {
        function stylusConstructor(address admin);
        function KEEPER_ROLE() external view returns (bytes32);
        function checkDeviation() external view returns (int256 deviationBps, bool shouldRebalance);
        function keeperTrade() external view returns (uint256 tradeSize, address tokenIn, address tokenOut, uint256 minAmountOut);
        function executePrivateSwap(uint256 tradeSize, address tokenIn, address tokenOut);
        function executePrivateSwap(uint256 tradeSize, address tokenIn, address tokenOut, uint256 minAmountOut);
        function setContracts(address pool, address containment, address mesh, address reserveSizer, address oracle);
        function setParameters(uint64 minBlocks, uint256 k, uint64 maxSlippageBps, uint256 maxGasPrice, uint64 maxOracleAge);
        function setPegManagers(address stablecoinPegManager, address commodityPegManager, uint8 baseKind, uint8 quoteKind, uint64 maxPegDeviationBps);
        function setDirectionEnabled(address tokenIn, bool enabled);
        function contracts() external view returns (address[9]);
        function parameters() external view returns (uint256[11]);
        function pause();
        function unpause();
        function paused() external view returns (bool);
        function hasRole(bytes32 role, address account) external view returns (bool);
        function grantRole(bytes32 role, address account);
        function revokeRole(bytes32 role, address account);
        function renounceRole(bytes32 role, address confirmation);

        #[derive(Debug)]
        event Stabilized(address indexed pool, address indexed tokenIn, address indexed tokenOut, uint256 amountIn, uint256 amountOut, uint256 meshReturned, int256 twapDeviationBps, uint256 oraclePrice, uint256 midPriceBefore, uint256 midPriceAfter, uint64 l2Block);

        error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
        error AccessControlBadConfirmation();
        error EnforcedPause();
        error ExpectedPause();
        error ZeroAddress();
        error ParameterOutOfRange(uint8 parameter, uint256 value, uint256 min, uint256 max);
        error OracleMismatch(address oracle, address registered);
        error ExternalCallFailed(address target);
        error CongestionGuard(uint256 gasPrice, uint256 maxGasPrice);
        error UnknownTokenPair(address tokenIn, address tokenOut);
        error DirectionDisabled(address tokenIn);
        error ZeroAmount();
        error TooEarly(uint64 l2Block, uint64 nextAllowedBlock);
        error DeviationNotSustained(int256 deviationBps, uint64 streak);
        error SingleBlockSpike(int256 deviationBps);
        error WrongDirection(int256 deviationBps, address tokenIn);
        error OracleFailed(address oracle);
        error StaleOracle(uint256 updatedAt, uint64 maxOracleAge);
        error TokenOffPeg(address token, int256 deviationBps);
        error PegManagerDisagrees(int256 poolDeviationBps, int256 baseDeviationBps, int256 quoteDeviationBps);
        error TradeTooLarge(uint256 tradeSize, uint256 maxTradeSize);
        error PegOvershoot(uint256 tradeSize);
        error ReserveReleaseRefused(address token, uint256 amount);
        error InsufficientFloat(address token, uint256 balance, uint256 needed);
        error SlippageExceeded(uint256 amountOut, uint256 minAmountOut);
        error TransferFailed(address token);
        error MeshSwapFailed(bytes reason);
    }
}

/// The public pool's quotes (DODO's `querySellBase`/`querySellQuote`; the
/// `uint8` is DODO's `RState`).
pub mod dodo {
    alloy_sol_types::sol! {
        function querySellBase(address trader, uint256 payBaseAmount) external view returns (uint256 receiveQuoteAmount, uint256 mtFee, uint8 newRState, uint256 newBaseTarget);
        function querySellQuote(address trader, uint256 payQuoteAmount) external view returns (uint256 receiveBaseAmount, uint256 mtFee, uint8 newRState, uint256 newQuoteTarget);
    }
}

/// FlashContainment (abi/FlashContainment.sol).
pub mod fc {
    alloy_sol_types::sol! {
        function registerPool(address pool, address oracle, uint64 baseDecimals, uint64 quoteDecimals, uint64 thresholdBps, uint64 sustainBlocks, uint64 twapWindow, uint64 maxOracleAge, uint256 perBlockCap);
        function poke(address pool) external returns (bool);
        function sustained(address pool) external view returns (bool holds, int8 sign, uint64 streak);
        function remainingVolume(address pool) external view returns (uint256);
        function grantRole(bytes32 role, address account);

        error StaleOracle(address oracle, uint256 updatedAt, uint64 maxAge);
    }
}

/// PrivateMeshPool (abi/PrivateMeshPool.sol).
pub mod mesh {
    alloy_sol_types::sol! {
        function stylusConstructor(address admin, address xau);
        function registerPool(address token, address oracle, uint256 k, uint256 feeRate, uint256 minTokenReserve, uint256 minXauReserve, uint64 maxJumpBps, uint64 maxGapBps, uint64 maxOracleAge);
        function deposit(address token, uint256 tokenAmount, uint256 xauAmount);
        function quote(address tokenIn, address tokenOut, uint256 amountIn) external view returns (uint256 amountOut);
        function grantRole(bytes32 role, address account);
        function pause();
        function unpause();

        error EnforcedPause();
    }
}

/// ReserveSizer (abi/ReserveSizer.sol).
pub mod sizer {
    alloy_sol_types::sol! {
        function configureAsset(address asset, address holder, address bridgeHolder, uint64 windowMinutes, uint64 safetyBps, uint64 bridgeLatencySeconds, uint64 peakWindowMinutes);
        function recordOutflow(address asset, uint256 amount);
        function recordRelease(address asset, uint256 amount);
        function peakMinuteOutflow(address asset) external view returns (uint256);

        #[derive(Debug)]
        event OutflowRecorded(address indexed asset, address indexed reporter, bool indexed bridge, uint64 minute, uint256 amount, uint256 minuteTotal, uint256 peak);
        #[derive(Debug)]
        event ReleaseRecorded(address indexed asset, address indexed reporter, uint256 amount, uint256 reserve, uint256 required);

        error ReleaseBelowRequired(address asset, uint256 reserve, uint256 required);
        function canRelease(address asset, uint256 amount) external view returns (bool);
        function requiredReserve(address asset) external view returns (uint256);
        function grantRole(bytes32 role, address account);
    }
}

/// Solidity fixtures (tests/solidity/src).
pub mod fx {
    alloy_sol_types::sol! {
        function tokenConstructor(string name, string symbol, uint8 decimals, address holder, uint256 supply);
        function usdtConstructor(uint8 decimals, address holder, uint256 supply);
        function allowance(address owner, address spender) external view returns (uint256);
        function approve(address spender, uint256 amount) external returns (bool);
        function transfer(address to, uint256 amount) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
        function pmmConstructor(address owner, address maintainer, address baseToken, address quoteToken, uint256 lpFeeRate, uint256 mtFeeRate, uint256 i, uint256 k, bool isOpenTWAP);
        function deposit(uint256 baseAmount, uint256 quoteAmount);
        function sellBase(address to) external returns (uint256);
        function sellQuote(address to) external returns (uint256);
        function getMidPrice() external view returns (uint256 midPrice);
        function getPMMStateForCall() external view returns (uint256 i, uint256 K, uint256 B, uint256 Q, uint256 B0, uint256 Q0, uint256 R);
        function oracleConstructor(address owner, uint256 initialPrice);
        function latestPrice() external view returns (uint256 price, uint256 updatedAt);
        function setPrice(uint256 price);
        function attackerConstructor(address owner);
        function attack(address lender, uint256 borrowBase, uint256 borrowQuote, address pool, bool sellBaseFirst, uint256 amountIn, address target, bytes targetData) external returns (int256, int256);
        function lastTargetSuccess() external view returns (bool);
        function pegManagerConstructor(address owner, uint256 pegBandBps);
        function setDeviationBps(address asset, int256 deviationBps);
    }
}

pub const STAB: Address = address!("00000000000000000000000000000000000057ab");
pub const FC: Address = address!("00000000000000000000000000000000000f1a5c");
pub const MESH: Address = address!("00000000000000000000000000000000000e5400");
pub const SIZER: Address = address!("0000000000000000000000000000000000005153");
pub const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
pub const KEEPER: Address = address!("000000000000000000000000000000000000cee9");
/// Holds the guardian role of the Stabilizer and of the mesh (pause, kill
/// switch).
pub const GUARDIAN: Address = address!("000000000000000000000000000000000000a4d1");
/// Deploys and owns the tokens, the pools and the oracles.
pub const OWNER: Address = address!("0000000000000000000000000000000000000e4e");
pub const LP: Address = address!("0000000000000000000000000000000000001f01");
pub const REPORTER: Address = address!("000000000000000000000000000000000000be01");
/// An ordinary trader on the public pool.
pub const TRADER: Address = address!("0000000000000000000000000000000000007ade");
pub const ATTACKER: Address = address!("000000000000000000000000000000000000bad1");
pub const STRANGER: Address = address!("0000000000000000000000000000000000005a11");

/// FlashContainment: `θ` 10 bps, `N` 3 and `W` 3 L2 blocks, oracle ≤ 1 h.
pub const THETA_BPS: u64 = 10;
pub const N: u64 = 3;
pub const W: u64 = 3;
pub const MAX_ORACLE_AGE: u64 = 3_600;
/// FlashContainment's per-block cap, in whole base tokens.
pub const CAP_TOKENS: u64 = 25_000;
/// Stabilizer: `MIN_BLOCKS`, `k` (whole base tokens per 100% deviation),
/// maximum slippage, congestion cap (1 gwei).
pub const MIN_BLOCKS: u64 = 1;
pub const K_TOKENS: u64 = 5_000_000;
pub const MAX_SLIPPAGE_BPS: u64 = 50;
pub const MAX_GAS_PRICE: u64 = 1_000_000_000;
/// The public pool: depth per side (whole tokens), PMM `k` and LP fee (1e18).
pub const DEPTH_TOKENS: u64 = 1_000_000;
pub const POOL_K: u128 = 100_000_000_000_000_000;
pub const POOL_LP_FEE: u128 = 300_000_000_000_000;
/// The Stabilizer's float of each token (whole tokens).
pub const FLOAT_TOKENS: u64 = 200_000;
/// Decimals of the stablecoins.
pub const DECIMALS: u8 = 6;
/// The requirement: corrected to within 10 bps, within 5 L2 blocks.
pub const TOLERANCE_BPS: u64 = 10;
pub const BLOCKS_ALLOWED: u64 = 5;
/// Seconds per L2 block on this chain (Arbitrum mines about 4 a second; the
/// clock here counts whole seconds).
pub const BLOCK_SECONDS: u64 = 1;

pub fn e18() -> U256 {
    U256::from(10u8).pow(U256::from(18u8))
}

/// `amount` whole stablecoins in raw units.
pub fn tokens(amount: u64) -> U256 {
    U256::from(amount) * U256::from(10u8).pow(U256::from(DECIMALS))
}

/// Packed contract code by file stem, packed once for all tests.
pub type Codes = std::sync::Mutex<Vec<(String, Vec<u8>)>>;

pub fn packed(stem: &str) -> Vec<u8> {
    static CODES: OnceLock<Codes> = OnceLock::new();
    let mut codes = CODES.get_or_init(Default::default).lock().unwrap();
    if let Some((_, code)) = codes.iter().find(|(name, _)| name == stem) {
        return code.clone();
    }
    let wasm = vault_chain::artifacts::contract_wasm(stem).unwrap_or_else(|e| panic!("{e}"));
    let code = vault_wasm_pack::pack(&wasm).expect("packs").code;
    codes.push((stem.to_owned(), code.clone()));
    code
}

pub fn artifact(name: &str) -> Artifact {
    Artifact::load(name).unwrap_or_else(|e| panic!("{e}"))
}

/// `SOL_CONSTRUCTOR(args)` as stylus-sdk 0.9 routes it.
pub fn constructor<C: SolCall>(call: &C) -> Vec<u8> {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(&args(call));
    data
}

pub fn args<C: SolCall>(call: &C) -> Vec<u8> {
    call.abi_encode()[4..].to_vec()
}

pub fn ok(outcome: CallOutcome, what: &str) -> CallOutcome {
    assert!(outcome.success, "{what}: {outcome:?}");
    outcome
}

/// Sends `call` to `to` from `from`; panics unless it succeeds.
pub fn send<C: SolCall>(world: &mut World, from: Address, to: Address, call: &C) -> C::Return {
    let outcome = ok(world.call(from, to, &call.abi_encode(), U256::ZERO), C::SIGNATURE);
    C::abi_decode_returns(&outcome.return_data, true).expect("return decodes")
}

/// Sends an ERC-20 `transfer` or `approve` to `token` from `from`; panics
/// unless it succeeds. Its return is not decoded: a USDT-style token
/// returns nothing.
pub fn token_send<C: SolCall>(world: &mut World, from: Address, token: Address, call: &C) {
    ok(world.call(from, token, &call.abi_encode(), U256::ZERO), C::SIGNATURE);
}

/// A view, as `eth_call`: its return or its revert data.
pub fn try_view<C: SolCall>(world: &mut World, to: Address, call: &C) -> Result<C::Return, Vec<u8>> {
    let outcome = world.static_call(STRANGER, to, &call.abi_encode());
    if outcome.success {
        Ok(C::abi_decode_returns(&outcome.return_data, true).expect("return decodes"))
    } else {
        Err(outcome.return_data)
    }
}

pub fn view<C: SolCall>(world: &mut World, to: Address, call: &C) -> C::Return {
    try_view(world, to, call).unwrap_or_else(|data| panic!("{}: reverted {data:?}", C::SIGNATURE))
}

/// The system of every test.
pub struct System {
    pub world: World,
    /// The public DODO pool the Stabilizer corrects.
    pub pool: Address,
    /// A second, deeper pool of the same tokens: the flash-loan lender.
    pub lender: Address,
    pub base: Address,
    pub quote: Address,
    /// The XAU token the mesh triangulates through.
    pub xau: Address,
    /// The pair oracle (quote per base), shared by FlashContainment and the
    /// Stabilizer.
    pub oracle: Address,
}

pub fn deploy_token(world: &mut World, symbol: &str, decimals: u8, supply: U256) -> Address {
    let ctor = fx::tokenConstructorCall {
        name: symbol.into(),
        symbol: symbol.into(),
        decimals,
        holder: OWNER,
        supply,
    };
    artifact("TestToken").deploy(world, OWNER, &args(&ctor)).expect("token deploys")
}

/// A `UsdtStyleToken` (tests/solidity): returns nothing from `transfer`,
/// `transferFrom` and `approve`, and refuses a nonzero-to-nonzero approval.
pub fn deploy_usdt_style_token(world: &mut World, decimals: u8, supply: U256) -> Address {
    let ctor = fx::usdtConstructorCall { decimals, holder: OWNER, supply };
    artifact("UsdtStyleToken").deploy(world, OWNER, &args(&ctor)).expect("token deploys")
}

pub fn deploy_pmm(world: &mut World, base: Address, quote: Address, depth: U256) -> Address {
    let ctor = fx::pmmConstructorCall {
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
    let pool = artifact("PmmPool").deploy(world, OWNER, &args(&ctor)).expect("pool deploys");
    for token in [base, quote] {
        token_send(world, OWNER, token, &fx::approveCall { spender: pool, amount: depth });
    }
    send(world, OWNER, pool, &fx::depositCall { baseAmount: depth, quoteAmount: depth });
    pool
}

pub fn deploy_oracle(world: &mut World, price: U256) -> Address {
    let ctor = fx::oracleConstructorCall { owner: OWNER, initialPrice: price };
    artifact("PriceOracle").deploy(world, OWNER, &args(&ctor)).expect("oracle deploys")
}

/// The PrivateMeshPool: one pool per stablecoin against XAU, funded by `LP`.
pub fn deploy_mesh(world: &mut World, base: Address, quote: Address, xau: Address) {
    world.deploy_code(MESH, packed("private_mesh_pool")).expect("PrivateMeshPool loads");
    let ctor = mesh::stylusConstructorCall { admin: ADMIN, xau };
    ok(world.call(ADMIN, MESH, &constructor(&ctor), U256::ZERO), "mesh constructor");
    // 0.0003 XAU per token: XAU raw units per token raw unit, 1e18.
    let xau_per_token = U256::from(300_000_000_000_000_000_000_000_000u128);
    let lp_role = keccak256("LIQUIDITY_PROVIDER_ROLE");
    send(world, ADMIN, MESH, &mesh::grantRoleCall { role: lp_role, account: LP });
    send(world, ADMIN, MESH, &mesh::grantRoleCall { role: keccak256("STABILIZER_ROLE"), account: STAB });
    let mesh_tokens = tokens(10_000_000);
    let mesh_xau = U256::from(3_000u64) * e18();
    for token in [base, quote] {
        let token_oracle = deploy_oracle(world, xau_per_token);
        let register = mesh::registerPoolCall {
            token,
            oracle: token_oracle,
            k: U256::from(POOL_K),
            feeRate: U256::from(POOL_LP_FEE),
            minTokenReserve: tokens(1_000),
            minXauReserve: e18() / U256::from(10u8),
            maxJumpBps: 50,
            maxGapBps: 200,
            maxOracleAge: MAX_ORACLE_AGE,
        };
        send(world, ADMIN, MESH, &register);
        token_send(world, OWNER, token, &fx::transferCall { to: LP, amount: mesh_tokens });
        token_send(world, OWNER, xau, &fx::transferCall { to: LP, amount: mesh_xau });
        token_send(world, LP, token, &fx::approveCall { spender: MESH, amount: U256::MAX });
        token_send(world, LP, xau, &fx::approveCall { spender: MESH, amount: U256::MAX });
        send(world, LP, MESH, &mesh::depositCall { token, tokenAmount: mesh_tokens, xauAmount: mesh_xau });
    }
}

/// The ReserveSizer: the mesh holds the reserve the Stabilizer draws on.
pub fn deploy_sizer(world: &mut World, base: Address, quote: Address) {
    world.deploy_code(SIZER, packed("reserve_sizer")).expect("ReserveSizer loads");
    let ctor = stab::stylusConstructorCall { admin: ADMIN };
    ok(world.call(ADMIN, SIZER, &constructor(&ctor), U256::ZERO), "ReserveSizer constructor");
    send(world, ADMIN, SIZER, &sizer::grantRoleCall { role: keccak256("REPORTER_ROLE"), account: REPORTER });
    // The Stabilizer records the mesh's releases itself (`recordRelease`).
    send(world, ADMIN, SIZER, &sizer::grantRoleCall { role: keccak256("REPORTER_ROLE"), account: STAB });
    for token in [base, quote] {
        let configure = sizer::configureAssetCall {
            asset: token,
            holder: MESH,
            bridgeHolder: MESH,
            windowMinutes: 15,
            safetyBps: 15_000,
            bridgeLatencySeconds: 3_600,
            peakWindowMinutes: 60,
        };
        send(world, ADMIN, SIZER, &configure);
        send(world, REPORTER, SIZER, &sizer::recordOutflowCall { asset: token, amount: tokens(10_000) });
    }
}

/// Deploys and wires the four contracts around a fresh market (see the
/// module documentation for every figure), then lets FlashContainment
/// observe the pool at par for `W` blocks. No trade has happened.
pub fn system() -> System {
    system_with_float(FLOAT_TOKENS)
}

/// [`system`] with a float of `float_tokens` whole tokens of each pool
/// token in the Stabilizer (the operator's funding, not a rule parameter:
/// the Stabilizer has no withdrawal, so a float below the per-block cap
/// can only be deployed).
pub fn system_with_float(float_tokens: u64) -> System {
    build_system(float_tokens, false)
}

/// [`system`] with USDT-style pool tokens (`UsdtStyleToken`: no return
/// values, and an approval from nonzero to nonzero reverts).
pub fn system_with_usdt_style_tokens() -> System {
    build_system(FLOAT_TOKENS, true)
}

/// FlashContainment (with `pool` registered, the Stabilizer and keeper
/// roles), the mesh, the ReserveSizer and the Stabilizer (constructed, its
/// parameters set, the keeper role granted) around `pool` and its `oracle`;
/// the Stabilizer's contracts are not set yet.
pub fn deploy_contracts(world: &mut World, pool: Address, oracle: Address, [base, quote, xau]: [Address; 3]) {
    world.deploy_code(FC, packed("flash_containment")).expect("FlashContainment loads");
    ok(world.call(ADMIN, FC, &constructor(&stab::stylusConstructorCall { admin: ADMIN }), U256::ZERO), "FC");
    register_pool(world, pool, oracle);
    send(world, ADMIN, FC, &fc::grantRoleCall { role: keccak256("STABILIZER_ROLE"), account: STAB });
    send(world, ADMIN, FC, &fc::grantRoleCall { role: keccak256("POKER_ROLE"), account: KEEPER });

    deploy_mesh(world, base, quote, xau);
    deploy_sizer(world, base, quote);

    world.deploy_code(STAB, packed("stabilizer")).expect("Stabilizer loads");
    let ctor = stab::stylusConstructorCall { admin: ADMIN };
    ok(world.call(ADMIN, STAB, &constructor(&ctor), U256::ZERO), "Stabilizer constructor");
    let parameters = stab::setParametersCall {
        minBlocks: MIN_BLOCKS,
        k: tokens(K_TOKENS),
        maxSlippageBps: MAX_SLIPPAGE_BPS,
        maxGasPrice: U256::from(MAX_GAS_PRICE),
        maxOracleAge: MAX_ORACLE_AGE,
    };
    send(world, ADMIN, STAB, &parameters);
    send(world, ADMIN, STAB, &stab::grantRoleCall { role: keccak256("KEEPER_ROLE"), account: KEEPER });
}

fn build_system(float_tokens: u64, usdt_style: bool) -> System {
    let mut world = World::new();
    world.advance(BLOCK_SECONDS);
    let supply = tokens(1_000_000_000);
    let (base, quote) = if usdt_style {
        (
            deploy_usdt_style_token(&mut world, DECIMALS, supply),
            deploy_usdt_style_token(&mut world, DECIMALS, supply),
        )
    } else {
        (
            deploy_token(&mut world, "cUSDC", DECIMALS, supply),
            deploy_token(&mut world, "cUSDT", DECIMALS, supply),
        )
    };
    let xau = deploy_token(&mut world, "XAU", 18, U256::from(1_000_000u64) * e18());
    let pool = deploy_pmm(&mut world, base, quote, tokens(DEPTH_TOKENS));
    let lender = deploy_pmm(&mut world, base, quote, tokens(5 * DEPTH_TOKENS));
    let oracle = deploy_oracle(&mut world, e18());

    deploy_contracts(&mut world, pool, oracle, [base, quote, xau]);
    let guardian = keccak256("GUARDIAN_ROLE");
    send(&mut world, ADMIN, STAB, &stab::grantRoleCall { role: guardian, account: GUARDIAN });
    send(&mut world, ADMIN, MESH, &mesh::grantRoleCall { role: guardian, account: GUARDIAN });
    let contracts = stab::setContractsCall { pool, containment: FC, mesh: MESH, reserveSizer: SIZER, oracle };
    send(&mut world, ADMIN, STAB, &contracts);
    for token in [base, quote] {
        token_send(&mut world, OWNER, token, &fx::transferCall { to: STAB, amount: tokens(float_tokens) });
        for account in [TRADER, ATTACKER] {
            token_send(
                &mut world,
                OWNER,
                token,
                &fx::transferCall { to: account, amount: tokens(2_000_000) },
            );
        }
    }
    let mut system = System { world, pool, lender, base, quote, xau, oracle };
    for _ in 0..W {
        system.next_block();
        keeper_poke(&mut system);
    }
    system
}

/// Registers `pool` with `oracle` in FlashContainment with the tests'
/// parameters (admin).
pub fn register_pool(world: &mut World, pool: Address, oracle: Address) {
    let register = fc::registerPoolCall {
        pool,
        oracle,
        baseDecimals: DECIMALS.into(),
        quoteDecimals: DECIMALS.into(),
        thresholdBps: THETA_BPS,
        sustainBlocks: N,
        twapWindow: W,
        maxOracleAge: MAX_ORACLE_AGE,
        perBlockCap: tokens(CAP_TOKENS),
    };
    send(world, ADMIN, FC, &register);
}

/// `(mid, peg)`: the public pool's mid price and the oracle's peg in raw
/// units (quote per base, 1e18; the two tokens share their decimals).
pub fn mid_and_peg(s: &mut System) -> (U256, U256) {
    let (pool, oracle) = (s.pool, s.oracle);
    let mid = view(&mut s.world, pool, &fx::getMidPriceCall {}).midPrice;
    let price = view(&mut s.world, oracle, &fx::latestPriceCall {}).price;
    (mid, vault_math::stabilizer::raw_peg(price, DECIMALS, DECIMALS, false).unwrap())
}

/// The pool's spot deviation from the oracle in hundredths of a bp.
pub fn spot_deviation_centibps(s: &mut System) -> i64 {
    let (mid, peg) = mid_and_peg(s);
    let scaled = |v: U256| I256::try_from(v).unwrap() * I256::try_from(1_000_000).unwrap();
    let deviation = (scaled(mid) - scaled(peg)) / I256::try_from(peg).unwrap();
    i64::try_from(deviation).unwrap()
}

pub fn pmm_state(s: &mut System) -> PmmState {
    let pool = s.pool;
    let st = view(&mut s.world, pool, &fx::getPMMStateForCallCall {});
    let r = match st.R.to::<u8>() {
        0 => RState::One,
        1 => RState::AboveOne,
        _ => RState::BelowOne,
    };
    PmmState { i: st.i, k: st.K, b: st.B, q: st.Q, b0: st.B0, q0: st.Q0, r }
}

pub fn fees() -> FeeRates {
    FeeRates { lp: U256::from(POOL_LP_FEE), mt: U256::ZERO }
}

impl System {
    /// Mines one L2 block.
    pub fn next_block(&mut self) {
        self.world.advance(BLOCK_SECONDS);
    }

    pub fn block(&self) -> u64 {
        self.world.block().number
    }

    pub fn balance(&mut self, token: Address, account: Address) -> U256 {
        view(&mut self.world, token, &fx::balanceOfCall { account })._0
    }

    /// Sells `amount` of `token` (base or quote) into `pool` from `trader`
    /// (DODO settlement: transfer, then `sellBase`/`sellQuote`); returns what
    /// it paid.
    pub fn sell(&mut self, trader: Address, pool: Address, token: Address, amount: U256) -> U256 {
        token_send(&mut self.world, trader, token, &fx::transferCall { to: pool, amount });
        if token == self.base {
            send(&mut self.world, trader, pool, &fx::sellBaseCall { to: trader })._0
        } else {
            send(&mut self.world, trader, pool, &fx::sellQuoteCall { to: trader })._0
        }
    }

    /// Everything a refused call must leave as it was.
    pub fn snapshot(&mut self) -> Snapshot {
        let mut storage = Vec::new();
        for account in [STAB, MESH, FC] {
            storage
                .extend(self.world.storage_of(account).into_iter().map(|(key, value)| (account, key, value)));
        }
        storage.sort();
        let mut balances = Vec::new();
        for token in [self.base, self.quote] {
            for account in [STAB, MESH, self.pool] {
                balances.push(self.balance(token, account));
            }
        }
        Snapshot { storage, balances, logs: self.world.logs().len() }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    storage: Vec<(Address, U256, B256)>,
    balances: Vec<U256>,
    logs: usize,
}

/// The keeper's first transaction of a block: FlashContainment's poke.
/// Returns whether it recorded the block's observation.
pub fn keeper_poke(s: &mut System) -> bool {
    let pool = s.pool;
    send(&mut s.world, KEEPER, FC, &fc::pokeCall { pool })._0
}

/// What the keeper decides after its poke, from views only, as off chain.
pub enum Plan {
    /// `checkDeviation` says no (its deviation), or nothing is left to the
    /// peg.
    Idle(I256),
    /// `checkDeviation` says yes but `keeperTrade` refuses: its revert data.
    Refused(Vec<u8>),
    /// The trade to send.
    Send(stab::executePrivateSwap_1Call),
}

/// `checkDeviation`, then `keeperTrade`, then the size lowered to the one
/// that brings the pool exactly to (never past) the peg.
pub fn keeper_plan(s: &mut System) -> Plan {
    let check = view(&mut s.world, STAB, &stab::checkDeviationCall {});
    if !check.shouldRebalance {
        return Plan::Idle(check.deviationBps);
    }
    let trade = match try_view(&mut s.world, STAB, &stab::keeperTradeCall {}) {
        Ok(trade) => trade,
        Err(data) => return Plan::Refused(data),
    };
    let (_, peg) = mid_and_peg(s);
    let state = pmm_state(s);
    let to_peg = if trade.tokenIn == s.base {
        sizing::max_correcting_base_in(&state, peg, fees()).unwrap()
    } else {
        sizing::max_correcting_quote_in(&state, peg, fees()).unwrap()
    };
    let size = trade.tradeSize.min(to_peg);
    if size.is_zero() {
        return Plan::Idle(check.deviationBps);
    }
    // The keeper's bound: the pool's exact quote for this size in the state
    // it decided on (a front-run that moves the pool makes the trade revert).
    let pool = s.pool;
    let quote = if trade.tokenIn == s.base {
        view(&mut s.world, pool, &dodo::querySellBaseCall { trader: STAB, payBaseAmount: size })
            .receiveQuoteAmount
    } else {
        view(&mut s.world, pool, &dodo::querySellQuoteCall { trader: STAB, payQuoteAmount: size })
            .receiveBaseAmount
    };
    Plan::Send(stab::executePrivateSwap_1Call {
        tradeSize: size,
        tokenIn: trade.tokenIn,
        tokenOut: trade.tokenOut,
        minAmountOut: quote,
    })
}

pub fn keeper_send<C: SolCall>(s: &mut System, call: &C) -> CallOutcome {
    s.world.call(KEEPER, STAB, &call.abi_encode(), U256::ZERO)
}

pub fn stabilized(logs: &[Log]) -> Vec<stab::Stabilized> {
    logs.iter()
        .filter(|log| log.address == STAB)
        .filter_map(|log| stab::Stabilized::decode_log(log, true).ok().map(|decoded| decoded.data))
        .collect()
}

/// An external trader sells base until the pool's mid price is 1% below
/// the oracle (the largest sale that keeps it at or above 0.99).
pub fn push_one_percent_down(s: &mut System, trader: Address) -> U256 {
    push_down(s, trader, 100)
}

/// An external trader sells base until the pool's mid price is `bps` basis
/// points below the oracle (the largest sale that keeps it at or above
/// `peg·(1 − bps/10,000)`); returns the amount sold.
pub fn push_down(s: &mut System, trader: Address, bps: u64) -> U256 {
    let (_, peg) = mid_and_peg(s);
    let state = pmm_state(s);
    let target = peg * U256::from(10_000 - bps) / U256::from(10_000u16);
    let amount = sizing::max_correcting_base_in(&state, target, fees()).unwrap();
    let (pool, base) = (s.pool, s.base);
    s.sell(trader, pool, base, amount);
    amount
}

/// A market where an external sale pushed the pool 1% below the oracle and
/// the keeper observed it every block since, until FlashContainment counts
/// it sustained: returns the system in that block (after the keeper's
/// poke) and the block the sale happened in.
pub fn sustained_market() -> (System, u64) {
    sustained_market_from(system(), 100)
}

/// [`sustained_market`] on `s`, the pool pushed `bps` basis points below the
/// oracle.
pub fn sustained_market_from(mut s: System, bps: u64) -> (System, u64) {
    s.next_block();
    let start = s.block();
    push_down(&mut s, TRADER, bps);
    for n in 1..=N {
        assert!(keeper_poke(&mut s));
        let check = view(&mut s.world, STAB, &stab::checkDeviationCall {});
        assert_eq!(check.shouldRebalance, n == N, "block {n} of the deviation: {:?}", check.deviationBps);
        if n < N {
            s.next_block();
        }
    }
    (s, start)
}

/// What a trade would change: the Stabilizer's and the mesh's storage and
/// their token balances.
pub fn inventory(s: &mut System) -> (Vec<(Address, U256, B256)>, Vec<U256>) {
    let mut storage = Vec::new();
    for account in [STAB, MESH] {
        storage.extend(s.world.storage_of(account).into_iter().map(|(key, value)| (account, key, value)));
    }
    storage.sort();
    let mut balances = Vec::new();
    for token in [s.base, s.quote] {
        for account in [STAB, MESH] {
            balances.push(s.balance(token, account));
        }
    }
    (storage, balances)
}

/// The keeper forces `call` although the views said no: it must revert
/// with exactly `expected` and change nothing (storage of the Stabilizer,
/// FlashContainment and the mesh, the balances of the Stabilizer, the mesh
/// and the pool, the logs).
pub fn refused<C: SolCall>(s: &mut System, call: &C, expected: &[u8]) {
    refused_by(s, KEEPER, call, expected);
}

/// [`refused`] for a call to the Stabilizer from `from`.
pub fn refused_by<C: SolCall>(s: &mut System, from: Address, call: &C, expected: &[u8]) {
    refused_raw(s, from, STAB, &call.abi_encode(), expected);
}

/// [`refused`] for any calldata to any contract from `from`.
pub fn refused_raw(s: &mut System, from: Address, to: Address, calldata: &[u8], expected: &[u8]) {
    let before = s.snapshot();
    let outcome = s.world.call(from, to, calldata, U256::ZERO);
    assert!(!outcome.success, "accepted: {outcome:?}");
    assert_eq!(
        outcome.return_data,
        expected,
        "revert data 0x{} (expected 0x{})",
        alloy_primitives::hex::encode(&outcome.return_data),
        alloy_primitives::hex::encode(expected)
    );
    assert_eq!(s.snapshot(), before, "a refused call changed the state");
}

/// The correcting trade of a pool below the oracle, at the cap.
pub fn sell_quote_at_cap(s: &System) -> stab::executePrivateSwap_0Call {
    stab::executePrivateSwap_0Call { tradeSize: tokens(CAP_TOKENS), tokenIn: s.quote, tokenOut: s.base }
}

/// The exact refusal while FlashContainment's trigger is off:
/// `SingleBlockSpike` for a live streak of one block, else
/// `DeviationNotSustained` with the streak.
pub fn not_sustained(s: &mut System) -> (Vec<u8>, u64) {
    let pool = s.pool;
    let deviation = view(&mut s.world, STAB, &stab::checkDeviationCall {}).deviationBps;
    let streak = view(&mut s.world, FC, &fc::sustainedCall { pool }).streak;
    let data = if streak == 1 {
        stab::SingleBlockSpike { deviationBps: deviation }.abi_encode()
    } else {
        stab::DeviationNotSustained { deviationBps: deviation, streak }.abi_encode()
    };
    (data, streak)
}

pub fn bps(value: i64) -> I256 {
    I256::try_from(value).unwrap()
}
