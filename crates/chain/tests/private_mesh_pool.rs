//! The compiled PrivateMeshPool wasm on the in-process chain, with real
//! Solidity tokens (OpenZeppelin `TestToken`, 6 and 18 decimals), the
//! `PriceOracle` stand-in, DODO-compatible `PmmPool`s (as the reference for
//! the PMM prices, to the wei, and as the external DPP backend) and the
//! `MeshQuirkyToken` (tokens that return nothing, `false`, or revert).
//!
//! Needs `target/stylus/private_mesh_pool.wasm` (`scripts/build-wasm`) and
//! the committed artifacts in `tests/solidity/artifacts`.
//!
//! `MESH_SEQUENCES` and `MESH_OPS` set the size of the random-operation
//! property test (default 200 sequences of 24 operations); `MESH_SEED`
//! replays one sequence.

// cUSDT and cUSDC are `usdt` and `usdc` throughout.
#![allow(clippy::similar_names)]

use std::sync::OnceLock;

use alloy_primitives::{address, hex, keccak256, Address, Log, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue};
use vault_chain::{artifacts::Artifact, CallOutcome, World};

/// The mesh's interface, declared independently of the contract crate:
/// every selector, event and error below is checked against the wasm.
mod mesh {
    alloy_sol_types::sol! {
        function registerPool(address token, address oracle, uint256 k, uint256 feeRate, uint256 minTokenReserve, uint256 minXauReserve, uint64 maxJumpBps, uint64 maxGapBps, uint64 maxOracleAge) external;
        function setBackend(address token, address backend) external;
        function deposit(address token, uint256 tokenAmount, uint256 xauAmount) external;
        function withdraw(address token, uint256 tokenAmount, uint256 xauAmount, address to) external;
        function swap(address tokenIn, address tokenOut, uint256 amountIn, uint256 minAmountOut, address to) external returns (uint256 amountOut);
        function poke(address token) external returns (uint256 price);
        function quote(address tokenIn, address tokenOut, uint256 amountIn) external view returns (uint256 amountOut);
        function poolState(address token) external view returns (uint256 tokenReserve, uint256 xauReserve, uint256 tokenTarget, uint256 xauTarget, uint8 rState, uint256 price, uint256 observedPrice, uint64 observedBlock);
        function xau() external view returns (address);
        function poolCount() external view returns (uint256);
        function pause() external;
        function unpause() external;
        function paused() external view returns (bool);
        function hasRole(bytes32 role, address account) external view returns (bool);
        function grantRole(bytes32 role, address account) external;
        function revokeRole(bytes32 role, address account) external;
        function renounceRole(bytes32 role, address confirmation) external;
        function stylusConstructor(address admin, address xau);

        event PoolConfigured(address indexed token, address oracle, uint256 k, uint256 feeRate, uint256 minTokenReserve, uint256 minXauReserve, uint64 maxJumpBps, uint64 maxGapBps, uint64 maxOracleAge, bool created);
        event BackendSet(address indexed token, address indexed backend);
        event LiquidityDeposited(address indexed token, address indexed provider, uint256 tokenAmount, uint256 xauAmount, uint256 tokenReserve, uint256 xauReserve);
        event LiquidityWithdrawn(address indexed token, address indexed provider, address indexed to, uint256 tokenAmount, uint256 xauAmount, uint256 tokenReserve, uint256 xauReserve);
        event PriceObserved(address indexed token, uint256 price, uint256 oraclePrice, uint64 l2Block);
        event LegExecuted(address indexed token, address indexed backend, bool sellsToken, uint256 amountIn, uint256 amountOut, uint256 price);
        event Swap(address indexed tokenIn, address indexed tokenOut, address indexed to, uint256 amountIn, uint256 amountOut);
        event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
        event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);
        event Paused(address account);
        event Unpaused(address account);

        error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
        error AccessControlBadConfirmation();
        error EnforcedPause();
        error ExpectedPause();
        error ZeroAddress();
        error UnknownToken(address token);
        error SameToken(address token);
        error ZeroAmount();
        error BelowMinAmountOut(uint256 amountOut, uint256 minAmountOut);
        error ReserveBelowMinimum(address token, address asset, uint256 minimum);
        error StaleOracle(address token, uint256 updatedAt);
        error OracleJumpTooLarge(address token, uint256 oraclePrice, uint256 effectivePrice);
        error OracleFailed(address token, address oracle);
        error UnsupportedToken(address token);
        error ParameterOutOfRange(uint8 parameter, uint256 value, uint256 min, uint256 max);
        error TransferFailed(address token);
        error BackendFailed(address backend);
        error BackendMismatch(address token, address backend);
        error ClockUnavailable();
        error ArithmeticOverflow();
    }
}

/// OpenZeppelin `TestToken` and `MeshQuirkyToken`.
mod erc20 {
    alloy_sol_types::sol! {
        function tokenConstructor(string name, string symbol, uint8 decimals, address holder, uint256 supply);
        function quirkyConstructor(uint8 decimals);
        function mint(address to, uint256 amount);
        function approve(address spender, uint256 amount) external returns (bool);
        function transfer(address to, uint256 amount) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
        function setMode(uint8 mode);
    }
}

/// The `PriceOracle` stand-in.
mod oracle {
    alloy_sol_types::sol! {
        function oracleConstructor(address owner, uint256 initialPrice);
        function setPrice(uint256 price);
        function latestPrice() external view returns (uint256 price, uint256 updatedAt);
    }
}

/// The DODO-compatible `PmmPool`.
mod dpp {
    alloy_sol_types::sol! {
        function pmmConstructor(address owner, address maintainer, address baseToken, address quoteToken, uint256 lpFeeRate, uint256 mtFeeRate, uint256 i, uint256 k, bool isOpenTWAP);
        function deposit(uint256 baseAmount, uint256 quoteAmount);
        function setI(uint256 newI);
        function sellBase(address to) external returns (uint256 receiveQuoteAmount);
        function sellQuote(address to) external returns (uint256 receiveBaseAmount);
        function querySellBase(address trader, uint256 payBaseAmount) external view returns (uint256 receiveQuoteAmount, uint256 mtFee, uint8 newRState, uint256 newBaseTarget);
        function querySellQuote(address trader, uint256 payQuoteAmount) external view returns (uint256 receiveBaseAmount, uint256 mtFee, uint8 newRState, uint256 newQuoteTarget);
        function getVaultReserve() external view returns (uint256 baseReserve, uint256 quoteReserve);
        function _BASE_TARGET_() external view returns (uint112);
        function _QUOTE_TARGET_() external view returns (uint112);
        function _RState_() external view returns (uint32);
    }
}

const MESH: Address = address!("00000000000000000000000000000000000e5400");
const DEPLOYER: Address = address!("000000000000000000000000000000000000de91");
const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
const STABILIZER: Address = address!("0000000000000000000000000000000000005ab1");
const LP: Address = address!("0000000000000000000000000000000000001f01");
const GUARDIAN: Address = address!("000000000000000000000000000000000000a4d1");
const STRANGER: Address = address!("0000000000000000000000000000000000005a11");
const RECEIVER: Address = address!("0000000000000000000000000000000000007ec1");
const FEEDER: Address = address!("0000000000000000000000000000000000000fee");
const DPP_OWNER: Address = address!("000000000000000000000000000000000000d990");
const MAINTAINER: Address = address!("000000000000000000000000000000000000aa11");
const ZERO: Address = Address::ZERO;
const ADMIN_ROLE: B256 = B256::ZERO;

/// `k` = 0.1, LP fee 3 bps (1e18 fixed point).
const K: u128 = 100_000_000_000_000_000;
const FEE: u128 = 300_000_000_000_000;
/// Ramp 50 bps per L2 block; trades refused beyond 200 bps; oracle ≤ 1 h old.
const JUMP: u64 = 50;
const GAP: u64 = 200;
const AGE: u64 = 3_600;
/// Minimum reserves: 1,000 of a 6-decimal token, 0.1 XAU (18 decimals).
const MIN_TOKEN: u128 = 1_000_000_000;
const MIN_XAU: u128 = 100_000_000_000_000_000;
/// Oracle prices (XAU raw units per token raw unit, 1e18): 1 cUSDT = 0.0003
/// XAU, so `0.0003 · 1e12 · 1e18`; 1 cEURT = 0.000324 XAU.
const USD_PRICE: u128 = 300_000_000_000_000_000_000_000_000;
const EUR_PRICE: u128 = 324_000_000_000_000_000_000_000_000;
/// Seed liquidity: 1,000,000 of each token against 300 XAU (324 for cEURT).
const TOKEN_LIQUIDITY: u128 = 1_000_000_000_000;
const XAU_LIQUIDITY: u128 = 300_000_000_000_000_000_000;

fn u(value: u128) -> U256 {
    U256::from(value)
}

fn stabilizer_role() -> B256 {
    keccak256("STABILIZER_ROLE")
}

fn lp_role() -> B256 {
    keccak256("LIQUIDITY_PROVIDER_ROLE")
}

fn guardian_role() -> B256 {
    keccak256("GUARDIAN_ROLE")
}

fn mesh_wasm() -> &'static [u8] {
    static WASM: OnceLock<Vec<u8>> = OnceLock::new();
    WASM.get_or_init(|| {
        vault_chain::artifacts::contract_wasm("private_mesh_pool").unwrap_or_else(|e| panic!("{e}"))
    })
}

/// The packed account code, packed once for all tests.
fn mesh_code() -> Vec<u8> {
    static CODE: OnceLock<Vec<u8>> = OnceLock::new();
    CODE.get_or_init(|| vault_wasm_pack::pack(mesh_wasm()).expect("PrivateMeshPool packs").code).clone()
}

fn artifact(name: &str) -> &'static Artifact {
    static ARTIFACTS: OnceLock<std::sync::Mutex<Vec<(String, &'static Artifact)>>> = OnceLock::new();
    let cache = ARTIFACTS.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap();
    if let Some((_, found)) = cache.iter().find(|(n, _)| n == name) {
        return found;
    }
    let loaded: &'static Artifact =
        Box::leak(Box::new(Artifact::load(name).unwrap_or_else(|e| panic!("{e}"))));
    cache.push((name.to_owned(), loaded));
    loaded
}

/// `SOL_CONSTRUCTOR(admin, xau)` as stylus-sdk 0.9 sends it.
fn constructor_calldata(admin: Address, xau: Address) -> Vec<u8> {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(&mesh::stylusConstructorCall { admin, xau }.abi_encode()[4..]);
    data
}

fn args<C: SolCall>(call: &C) -> Vec<u8> {
    call.abi_encode()[4..].to_vec()
}

fn ok(outcome: CallOutcome, what: &str) -> CallOutcome {
    assert!(outcome.success, "{what}: {outcome:?}");
    outcome
}

/// Sends `call` from `from` to `to`; panics unless it succeeds.
fn send<C: SolCall>(world: &mut World, from: Address, to: Address, call: &C) -> CallOutcome {
    ok(world.call(from, to, &call.abi_encode(), U256::ZERO), C::SIGNATURE)
}

/// Sends `call` to the mesh; returns the mesh's logs (not the tokens').
fn mesh_send<C: SolCall>(world: &mut World, from: Address, call: &C) -> Vec<Log> {
    let outcome = send(world, from, MESH, call);
    outcome.logs.into_iter().filter(|log| log.address == MESH).collect()
}

fn view_at<C: SolCall>(world: &mut World, to: Address, call: &C) -> C::Return {
    let outcome = world.static_call(STRANGER, to, &call.abi_encode());
    assert!(outcome.success, "{}: {outcome:?}", C::SIGNATURE);
    C::abi_decode_returns(&outcome.return_data, true).expect("return decodes")
}

fn view<C: SolCall>(world: &mut World, call: &C) -> C::Return {
    view_at(world, MESH, call)
}

fn balance(world: &mut World, token: Address, account: Address) -> U256 {
    view_at(world, token, &erc20::balanceOfCall { account })._0
}

/// `(b, q, b0, q0, r, price, observed, block)` of a pool.
type State = (U256, U256, U256, U256, u8, U256, U256, u64);

fn state(world: &mut World, token: Address) -> State {
    let s = view(world, &mesh::poolStateCall { token });
    (
        s.tokenReserve,
        s.xauReserve,
        s.tokenTarget,
        s.xauTarget,
        s.rState,
        s.price,
        s.observedPrice,
        s.observedBlock,
    )
}

fn quote(world: &mut World, token_in: Address, token_out: Address, amount_in: U256) -> U256 {
    view(world, &mesh::quoteCall { tokenIn: token_in, tokenOut: token_out, amountIn: amount_in }).amountOut
}

/// The world of most tests.
struct Env {
    world: World,
    xau: Address,
    /// cUSDT, cUSDC, cEURT (6 decimals).
    tokens: [Address; 3],
    oracles: [Address; 3],
}

fn deploy_token(world: &mut World, symbol: &str, decimals: u8) -> Address {
    let ctor = erc20::tokenConstructorCall {
        name: symbol.into(),
        symbol: symbol.into(),
        decimals,
        holder: DEPLOYER,
        supply: U256::ZERO,
    };
    artifact("TestToken").deploy(world, DEPLOYER, &args(&ctor)).expect("token deploys")
}

fn deploy_oracle(world: &mut World, price: U256) -> Address {
    let ctor = oracle::oracleConstructorCall { owner: FEEDER, initialPrice: price };
    artifact("PriceOracle").deploy(world, DEPLOYER, &args(&ctor)).expect("oracle deploys")
}

fn mint(world: &mut World, token: Address, to: Address, amount: U256) {
    send(world, DEPLOYER, token, &erc20::mintCall { to, amount });
}

fn approve(world: &mut World, token: Address, owner: Address, spender: Address) {
    send(world, owner, token, &erc20::approveCall { spender, amount: U256::MAX });
}

fn register_call(token: Address, oracle: Address) -> mesh::registerPoolCall {
    mesh::registerPoolCall {
        token,
        oracle,
        k: u(K),
        feeRate: u(FEE),
        minTokenReserve: u(MIN_TOKEN),
        minXauReserve: u(MIN_XAU),
        maxJumpBps: JUMP,
        maxGapBps: GAP,
        maxOracleAge: AGE,
    }
}

fn set_price(world: &mut World, oracle: Address, price: U256) {
    send(world, FEEDER, oracle, &oracle::setPriceCall { price });
}

/// The mesh constructed with XAU, the roles granted, and nothing else.
fn bare() -> (World, Address) {
    let mut world = World::new();
    world.advance(1);
    let xau = deploy_token(&mut world, "XAU", 18);
    world.deploy_code(MESH, mesh_code()).expect("PrivateMeshPool loads");
    ok(world.call(DEPLOYER, MESH, &constructor_calldata(ADMIN, xau), U256::ZERO), "constructor");
    for (role, account) in [(stabilizer_role(), STABILIZER), (lp_role(), LP), (guardian_role(), GUARDIAN)] {
        mesh_send(&mut world, ADMIN, &mesh::grantRoleCall { role, account });
    }
    (world, xau)
}

/// Three registered pools (cUSDT, cUSDC at 0.0003 XAU; cEURT at 0.000324),
/// each seeded with 1,000,000 tokens and the XAU worth them; the
/// Stabilizer holds 10,000,000 of each token and 3,000 XAU, approved.
fn env() -> Env {
    let (mut world, xau) = bare();
    let mut tokens = [ZERO; 3];
    let mut oracles = [ZERO; 3];
    for (n, (symbol, price)) in
        [("cUSDT", USD_PRICE), ("cUSDC", USD_PRICE), ("cEURT", EUR_PRICE)].iter().enumerate()
    {
        tokens[n] = deploy_token(&mut world, symbol, 6);
        oracles[n] = deploy_oracle(&mut world, u(*price));
        mesh_send(&mut world, ADMIN, &register_call(tokens[n], oracles[n]));
    }
    for who in [LP, STABILIZER] {
        for token in tokens.iter().chain([&xau]) {
            let amount = if *token == xau { u(XAU_LIQUIDITY * 10) } else { u(TOKEN_LIQUIDITY * 10) };
            mint(&mut world, *token, who, amount);
            approve(&mut world, *token, who, MESH);
        }
    }
    for (n, token) in tokens.iter().enumerate() {
        let xau_amount = if n == 2 { u(XAU_LIQUIDITY * 108 / 100) } else { u(XAU_LIQUIDITY) };
        let call =
            mesh::depositCall { token: *token, tokenAmount: u(TOKEN_LIQUIDITY), xauAmount: xau_amount };
        mesh_send(&mut world, LP, &call);
    }
    world.advance(2);
    Env { world, xau, tokens, oracles }
}

fn swap_call(token_in: Address, token_out: Address, amount_in: U256, min_out: U256) -> mesh::swapCall {
    mesh::swapCall {
        tokenIn: token_in,
        tokenOut: token_out,
        amountIn: amount_in,
        minAmountOut: min_out,
        to: RECEIVER,
    }
}

/// Swaps as the Stabilizer, paying `RECEIVER`; returns the amount out.
fn swap(world: &mut World, token_in: Address, token_out: Address, amount_in: U256) -> U256 {
    let outcome = send(world, STABILIZER, MESH, &swap_call(token_in, token_out, amount_in, U256::ZERO));
    mesh::swapCall::abi_decode_returns(&outcome.return_data, true).unwrap().amountOut
}

// Refusals.

/// A sol! error's exact revert data.
fn err(error: &impl SolError) -> Vec<u8> {
    error.abi_encode()
}

fn unauthorized(account: Address, role: B256) -> Vec<u8> {
    err(&mesh::AccessControlUnauthorizedAccount { account, neededRole: role })
}

fn unknown(token: Address) -> Vec<u8> {
    err(&mesh::UnknownToken { token })
}

fn below_minimum(token: Address, asset: Address, minimum: u128) -> Vec<u8> {
    err(&mesh::ReserveBelowMinimum { token, asset, minimum: u(minimum) })
}

/// One refused call: `(name, caller, calldata, exact revert data)`.
type Refusal = (&'static str, Address, Vec<u8>, Vec<u8>);

/// Everything a refused call must leave as it was: the mesh's storage, the
/// log count, and the token balances of the caller, the mesh and `RECEIVER`.
fn snapshot(world: &mut World, tokens: &[Address], caller: Address) -> (Vec<(U256, B256)>, usize, Vec<U256>) {
    let mut storage: Vec<_> = world.storage_of(MESH).into_iter().collect();
    storage.sort();
    let mut balances = Vec::new();
    for token in tokens {
        for account in [caller, MESH, RECEIVER] {
            balances.push(balance(world, *token, account));
        }
    }
    (storage, world.logs().len(), balances)
}

/// Sends every case and names each one that did not revert with exactly
/// its data, trapped, logged, or changed storage or balances.
fn assert_refused(world: &mut World, tokens: &[Address], cases: &[Refusal]) {
    let mut failures = Vec::new();
    for (name, caller, calldata, expected) in cases {
        let before = snapshot(world, tokens, *caller);
        let outcome = world.call(*caller, MESH, calldata, U256::ZERO);
        let mut wrong = Vec::new();
        if outcome.success {
            wrong.push("succeeded".to_owned());
        }
        if let Some(error) = &outcome.error {
            wrong.push(format!("failed with {error:?}, not a plain revert"));
        }
        if outcome.return_data != *expected {
            let (got, want) = (hex::encode(&outcome.return_data), hex::encode(expected));
            wrong.push(format!("returned 0x{got}, expected 0x{want}"));
        }
        if !outcome.logs.is_empty() {
            wrong.push(format!("logged {} events", outcome.logs.len()));
        }
        if snapshot(world, tokens, *caller) != before {
            wrong.push("changed storage, logs or balances".to_owned());
        }
        if !wrong.is_empty() {
            failures.push(format!("{} ({name}): {}", function_of(calldata), wrong.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// One refused view: `(name, calldata, exact revert data)`.
type ViewRefusal = (&'static str, Vec<u8>, Vec<u8>);

fn assert_views_refused(world: &mut World, cases: &[ViewRefusal]) {
    let mut failures = Vec::new();
    for (name, calldata, expected) in cases {
        let outcome = world.static_call(STRANGER, MESH, calldata);
        if outcome.success || outcome.error.is_some() || outcome.return_data != *expected {
            failures.push(format!(
                "{} ({name}): success {}, error {:?}, returned 0x{}, expected 0x{}",
                function_of(calldata),
                outcome.success,
                outcome.error,
                hex::encode(&outcome.return_data),
                hex::encode(expected)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The function `calldata` calls, by its selector, to name a failing case.
fn function_of(calldata: &[u8]) -> &'static str {
    let selectors: [([u8; 4], &str); 17] = [
        (keccak256("stylus_constructor()")[..4].try_into().unwrap(), "constructor"),
        (mesh::registerPoolCall::SELECTOR, "registerPool"),
        (mesh::setBackendCall::SELECTOR, "setBackend"),
        (mesh::depositCall::SELECTOR, "deposit"),
        (mesh::withdrawCall::SELECTOR, "withdraw"),
        (mesh::swapCall::SELECTOR, "swap"),
        (mesh::pokeCall::SELECTOR, "poke"),
        (mesh::quoteCall::SELECTOR, "quote"),
        (mesh::poolStateCall::SELECTOR, "poolState"),
        (mesh::pauseCall::SELECTOR, "pause"),
        (mesh::unpauseCall::SELECTOR, "unpause"),
        (mesh::grantRoleCall::SELECTOR, "grantRole"),
        (mesh::revokeRoleCall::SELECTOR, "revokeRole"),
        (mesh::renounceRoleCall::SELECTOR, "renounceRole"),
        (mesh::hasRoleCall::SELECTOR, "hasRole"),
        (mesh::xauCall::SELECTOR, "xau"),
        (mesh::poolCountCall::SELECTOR, "poolCount"),
    ];
    let selector: Option<[u8; 4]> = calldata.get(..4).map(|s| s.try_into().unwrap());
    selectors.iter().find(|(known, _)| Some(*known) == selector).map_or("?", |(_, name)| name)
}

/// A pool reference: DODO-compatible `PmmPool` (base the token, quote XAU)
/// with the mesh pool's `i`, `k` and fee (no maintainer fee), seeded like
/// it. Its owner `DPP_OWNER` holds plenty of both tokens.
fn reference_pool(
    world: &mut World,
    token: Address,
    xau: Address,
    i: U256,
    liquidity: (U256, U256),
) -> Address {
    let ctor = dpp::pmmConstructorCall {
        owner: DPP_OWNER,
        maintainer: MAINTAINER,
        baseToken: token,
        quoteToken: xau,
        lpFeeRate: u(FEE),
        mtFeeRate: U256::ZERO,
        i,
        k: u(K),
        isOpenTWAP: false,
    };
    let pool = artifact("PmmPool").deploy(world, DEPLOYER, &args(&ctor)).expect("PmmPool deploys");
    for asset in [token, xau] {
        mint(world, asset, DPP_OWNER, u(XAU_LIQUIDITY * 1_000));
        approve(world, asset, DPP_OWNER, pool);
    }
    send(world, DPP_OWNER, pool, &dpp::depositCall { baseAmount: liquidity.0, quoteAmount: liquidity.1 });
    pool
}

/// Sells `amount` into a `PmmPool` the DODO way (transfer, then sell) as
/// `DPP_OWNER`; returns the amount out.
fn reference_sell(
    world: &mut World,
    pool: Address,
    asset_in: Address,
    sells_base: bool,
    amount: U256,
) -> U256 {
    send(world, DPP_OWNER, asset_in, &erc20::transferCall { to: pool, amount });
    let data = if sells_base {
        dpp::sellBaseCall { to: DPP_OWNER }.abi_encode()
    } else {
        dpp::sellQuoteCall { to: DPP_OWNER }.abi_encode()
    };
    let outcome = ok(world.call(DPP_OWNER, pool, &data, U256::ZERO), "reference sell");
    U256::abi_decode(&outcome.return_data, true).unwrap()
}

/// `(B, Q, B0, Q0, R)` of a `PmmPool` as stored.
fn reference_state(world: &mut World, pool: Address) -> (U256, U256, U256, U256, u8) {
    let reserves = view_at(world, pool, &dpp::getVaultReserveCall {});
    let b0 = view_at(world, pool, &dpp::_BASE_TARGET_Call {})._0;
    let q0 = view_at(world, pool, &dpp::_QUOTE_TARGET_Call {})._0;
    let r = view_at(world, pool, &dpp::_RState_Call {})._0;
    (reserves.baseReserve, reserves.quoteReserve, U256::from(b0), U256::from(q0), u8::try_from(r).unwrap())
}

fn decode<E: SolEvent>(log: &Log) -> E {
    assert_eq!(log.address, MESH);
    E::decode_log(log, true).unwrap_or_else(|e| panic!("{}: {e}", E::SIGNATURE)).data
}

#[test]
fn the_constructor_checks_its_arguments_and_runs_once() {
    let mut world = World::new();
    let xau = deploy_token(&mut world, "XAU", 18);
    world.deploy_stylus(MESH, mesh_wasm()).expect("deploys");
    assert!(vault_wasm_pack::is_stylus_code(&world.state().account(MESH).unwrap().code));
    world.set_balance(DEPLOYER, u(1_000));
    let eoa = address!("00000000000000000000000000000000000e0a00");
    let cases: Vec<Refusal> = vec![
        ("zero admin", DEPLOYER, constructor_calldata(ZERO, xau), err(&mesh::ZeroAddress {})),
        ("zero xau", DEPLOYER, constructor_calldata(ADMIN, ZERO), err(&mesh::ZeroAddress {})),
        (
            "xau without code",
            DEPLOYER,
            constructor_calldata(ADMIN, eoa),
            err(&mesh::UnsupportedToken { token: eoa }),
        ),
        ("truncated", DEPLOYER, constructor_calldata(ADMIN, xau)[..40].to_vec(), Vec::new()),
    ];
    assert_refused(&mut world, &[xau], &cases);
    let with_value = world.call(DEPLOYER, MESH, &constructor_calldata(ADMIN, xau), u(1));
    assert!(!with_value.success && with_value.return_data.is_empty(), "not payable: {with_value:?}");
    assert!(world.storage_of(MESH).is_empty(), "no refusal constructed it");

    let outcome =
        ok(world.call(DEPLOYER, MESH, &constructor_calldata(ADMIN, xau), U256::ZERO), "constructor");
    assert_eq!(outcome.logs.len(), 1);
    let granted = decode::<mesh::RoleGranted>(&outcome.logs[0]);
    assert_eq!((granted.role, granted.account, granted.sender), (ADMIN_ROLE, ADMIN, DEPLOYER));
    assert_eq!(view(&mut world, &mesh::xauCall {})._0, xau);
    assert!(view(&mut world, &mesh::hasRoleCall { role: ADMIN_ROLE, account: ADMIN })._0);
    assert!(!view(&mut world, &mesh::hasRoleCall { role: ADMIN_ROLE, account: DEPLOYER })._0);
    assert!(!view(&mut world, &mesh::pausedCall {})._0);
    assert_eq!(view(&mut world, &mesh::poolCountCall {})._0, U256::ZERO);
    // A second run, by anyone, reverts with no data and changes nothing.
    let cases: Vec<Refusal> = vec![
        ("again", DEPLOYER, constructor_calldata(ADMIN, xau), Vec::new()),
        ("again, other admin", STRANGER, constructor_calldata(STRANGER, xau), Vec::new()),
    ];
    assert_refused(&mut world, &[xau], &cases);
}

#[test]
fn each_new_token_adds_exactly_one_pool() {
    let (mut world, xau) = bare();
    let mut tokens = Vec::new();
    for n in 0..4u8 {
        let token = deploy_token(&mut world, &format!("T{n}"), 6);
        let oracle = deploy_oracle(&mut world, u(USD_PRICE));
        let before: Vec<State> = tokens.iter().map(|t| state(&mut world, *t)).collect();
        let storage = world.storage_of(MESH);
        let logs = mesh_send(&mut world, ADMIN, &register_call(token, oracle));
        tokens.push(token);
        // One more pool: the count goes up by one, and the writes are the
        // count's word and one pool's eight words.
        assert_eq!(view(&mut world, &mesh::poolCountCall {})._0, U256::from(tokens.len()));
        let changed = world.storage_of(MESH).into_iter().filter(|(k, v)| storage.get(k) != Some(v)).count();
        assert!(changed <= 9, "{changed} words written");
        let event = decode::<mesh::PoolConfigured>(&logs[0]);
        assert!(event.created);
        assert_eq!((event.token, event.oracle, event.k, event.feeRate), (token, oracle, u(K), u(FEE)));
        assert_eq!((event.maxJumpBps, event.maxGapBps, event.maxOracleAge), (JUMP, GAP, AGE));
        // The pools already there are untouched.
        let after: Vec<State> = tokens[..tokens.len() - 1].iter().map(|t| state(&mut world, *t)).collect();
        assert_eq!(before, after);
        let (.., price, observed, block) = state(&mut world, token);
        assert_eq!((price, observed, block), (u(USD_PRICE), u(USD_PRICE), world.block().number));
    }
    // Registering a known token again reconfigures it: no new pool.
    let mut again = register_call(tokens[0], deploy_oracle(&mut world, u(USD_PRICE)));
    again.k = u(K / 2);
    let logs = mesh_send(&mut world, ADMIN, &again);
    let event = decode::<mesh::PoolConfigured>(&logs[0]);
    assert!(!event.created);
    assert_eq!(event.k, u(K / 2));
    assert_eq!(view(&mut world, &mesh::poolCountCall {})._0, U256::from(4u8));
    // With N pools every pair of tokens trades (N pools, not N² pairs):
    // fund all four and swap between the first and the last.
    for token in tokens.iter().chain([&xau]) {
        mint(&mut world, *token, LP, u(XAU_LIQUIDITY * 10));
        approve(&mut world, *token, LP, MESH);
        mint(&mut world, *token, STABILIZER, u(TOKEN_LIQUIDITY));
        approve(&mut world, *token, STABILIZER, MESH);
    }
    for token in &tokens {
        let call =
            mesh::depositCall { token: *token, tokenAmount: u(TOKEN_LIQUIDITY), xauAmount: u(XAU_LIQUIDITY) };
        mesh_send(&mut world, LP, &call);
    }
    world.advance(1);
    let out = swap(&mut world, tokens[0], tokens[3], u(1_000_000_000));
    assert!(out > u(998_000_000) && out < u(1_000_000_000), "{out}");
}

#[test]
fn direct_swaps_price_like_the_dodo_pmm_pool_to_the_wei() {
    let mut env = env();
    let (xau, usdt) = (env.xau, env.tokens[0]);
    let w = &mut env.world;
    let reference = reference_pool(w, usdt, xau, u(USD_PRICE), (u(TOKEN_LIQUIDITY), u(XAU_LIQUIDITY)));
    let reference_start = reference_state(w, reference);
    assert_eq!(reference_start, {
        let s = state(w, usdt);
        (s.0, s.1, s.2, s.3, s.4)
    });
    // Both directions, small to large, through every R transition.
    let trades: [(bool, u128); 10] = [
        (true, 1_000_000_000),                // 1,000 cUSDT in: R below one
        (true, 250_000_000_000),              // deeper
        (false, 10_000_000_000_000_000_000),  // 10 XAU back: toward one
        (false, 200_000_000_000_000_000_000), // 200 XAU: through one, above one
        (false, 1_000_000_000_000_000),       // 0.001 XAU: deeper above one
        (true, 1),                            // 1 raw unit
        (true, 900_000_000_000),              // back through one, below one
        (false, 1),                           // 1 wei of XAU
        (false, 3_000_000_000_000_000_000),   // toward one
        (true, 77_777_777),
    ];
    let mut rs = Vec::new();
    for (n, (sells_token, amount)) in trades.into_iter().enumerate() {
        let amount = u(amount);
        let (asset_in, asset_out) = if sells_token { (usdt, xau) } else { (xau, usdt) };
        let expected = if sells_token {
            view_at(w, reference, &dpp::querySellBaseCall { trader: MESH, payBaseAmount: amount })
                .receiveQuoteAmount
        } else {
            view_at(w, reference, &dpp::querySellQuoteCall { trader: MESH, payQuoteAmount: amount })
                .receiveBaseAmount
        };
        assert_eq!(quote(w, asset_in, asset_out, amount), expected, "trade {n}: quote");
        let received = balance(w, asset_out, RECEIVER);
        let out = swap(w, asset_in, asset_out, amount);
        assert_eq!(out, expected, "trade {n}: swap");
        assert_eq!(balance(w, asset_out, RECEIVER) - received, out, "trade {n}: paid");
        assert_eq!(
            reference_sell(w, reference, asset_in, sells_token, amount),
            expected,
            "trade {n}: reference"
        );
        let s = state(w, usdt);
        assert_eq!((s.0, s.1, s.2, s.3, s.4), reference_state(w, reference), "trade {n}: state");
        rs.push(s.4);
        w.advance(1);
    }
    assert!(rs.contains(&1) && rs.contains(&2), "both R states reached: {rs:?}");
    // The price stayed at the oracle's: every leg priced at i.
    assert_eq!(state(w, usdt).5, u(USD_PRICE));
}

#[test]
fn a_triangulated_swap_composes_both_pools_under_one_minimum() {
    let mut env = env();
    let (xau, [usdt, _, eurt]) = (env.xau, env.tokens);
    let w = &mut env.world;
    let amount = u(25_000_000_000); // 25,000 cUSDT
    let leg1 = quote(w, usdt, xau, amount);
    let leg2 = quote(w, xau, eurt, leg1);
    assert_eq!(quote(w, usdt, eurt, amount), leg2, "the route is the two legs");
    // About 25,000 · 0.0003 / 0.000324 cEURT, less fees and slippage.
    assert!(leg2 > u(23_000_000_000) && leg2 < u(23_148_148_149), "{leg2}");
    let too_much = swap_call(usdt, eurt, amount, leg2 + u(1));
    let expected = err(&mesh::BelowMinAmountOut { amountOut: leg2, minAmountOut: leg2 + u(1) });
    assert_refused(w, &[usdt, eurt, xau], &[("one above", STABILIZER, too_much.abi_encode(), expected)]);

    let (usdt_before, eurt_before) = (state(w, usdt), state(w, eurt));
    let mesh_xau = balance(w, xau, MESH);
    let logs = mesh_send(w, STABILIZER, &swap_call(usdt, eurt, amount, leg2));
    assert_eq!(logs.len(), 3);
    let first = decode::<mesh::LegExecuted>(&logs[0]);
    assert_eq!((first.token, first.backend, first.sellsToken), (usdt, ZERO, true));
    assert_eq!((first.amountIn, first.amountOut, first.price), (amount, leg1, u(USD_PRICE)));
    let second = decode::<mesh::LegExecuted>(&logs[1]);
    assert_eq!((second.token, second.backend, second.sellsToken), (eurt, ZERO, false));
    assert_eq!((second.amountIn, second.amountOut, second.price), (leg1, leg2, u(EUR_PRICE)));
    let swapped = decode::<mesh::Swap>(&logs[2]);
    assert_eq!((swapped.tokenIn, swapped.tokenOut, swapped.to), (usdt, eurt, RECEIVER));
    assert_eq!((swapped.amountIn, swapped.amountOut), (amount, leg2));
    assert_eq!(balance(w, eurt, RECEIVER), leg2);
    // The XAU moved from one pool to the other and never left the mesh.
    assert_eq!(balance(w, xau, MESH), mesh_xau);
    let (usdt_after, eurt_after) = (state(w, usdt), state(w, eurt));
    assert_eq!((usdt_after.0, usdt_after.1), (usdt_before.0 + amount, usdt_before.1 - leg1));
    assert_eq!((eurt_after.0, eurt_after.1), (eurt_before.0 - leg2, eurt_before.1 + leg1));
    // The reverse route works too, and XAU on either side is one leg.
    let back = quote(w, eurt, usdt, leg2);
    assert_eq!(swap(w, eurt, usdt, leg2), back);
    assert!(back < amount, "a round trip pays the fees and slippage twice");
}

#[test]
fn liquidity_recentres_the_curve_and_keeps_the_minimums() {
    let mut env = env();
    let (xau, usdt) = (env.xau, env.tokens[0]);
    let w = &mut env.world;
    swap(w, usdt, xau, u(100_000_000_000));
    let (tokens, xaus, token_target, xau_target, r_state, ..) = state(w, usdt);
    assert_eq!((token_target, xau_target, r_state), (u(TOKEN_LIQUIDITY), u(XAU_LIQUIDITY), 2), "below one");
    let (b, q) = (tokens, xaus);

    // A deposit (one side only) re-centres: targets = reserves, R = ONE.
    let logs = mesh_send(w, LP, &mesh::depositCall { token: usdt, tokenAmount: U256::ZERO, xauAmount: u(5) });
    let event = decode::<mesh::LiquidityDeposited>(&logs[0]);
    assert_eq!(
        (event.token, event.provider, event.tokenAmount, event.xauAmount),
        (usdt, LP, U256::ZERO, u(5))
    );
    assert_eq!((event.tokenReserve, event.xauReserve), (b, q + u(5)));
    let s = state(w, usdt);
    assert_eq!((s.0, s.1, s.2, s.3, s.4), (b, q + u(5), b, q + u(5), 0));

    // A withdrawal pays `to` and re-centres too.
    let (lp_xau, receiver_usdt) = (balance(w, xau, LP), balance(w, usdt, RECEIVER));
    let call =
        mesh::withdrawCall { token: usdt, tokenAmount: u(1_000_000), xauAmount: U256::ZERO, to: RECEIVER };
    let logs = mesh_send(w, LP, &call);
    let event = decode::<mesh::LiquidityWithdrawn>(&logs[0]);
    assert_eq!((event.token, event.provider, event.to), (usdt, LP, RECEIVER));
    assert_eq!((event.tokenReserve, event.xauReserve), (b - u(1_000_000), q + u(5)));
    assert_eq!(balance(w, usdt, RECEIVER) - receiver_usdt, u(1_000_000));
    assert_eq!(balance(w, xau, LP), lp_xau);

    // Down to the minimum exactly, never below it.
    let (b, q, ..) = state(w, usdt);
    let to_min_token = b - u(MIN_TOKEN);
    let to_min_xau = q - u(MIN_XAU);
    let cases: Vec<Refusal> = vec![
        (
            "token one below its minimum",
            LP,
            mesh::withdrawCall {
                token: usdt,
                tokenAmount: to_min_token + u(1),
                xauAmount: U256::ZERO,
                to: LP,
            }
            .abi_encode(),
            below_minimum(usdt, usdt, MIN_TOKEN),
        ),
        (
            "XAU one below its minimum",
            LP,
            mesh::withdrawCall { token: usdt, tokenAmount: U256::ZERO, xauAmount: to_min_xau + u(1), to: LP }
                .abi_encode(),
            below_minimum(usdt, xau, MIN_XAU),
        ),
        (
            "more than the reserve",
            LP,
            mesh::withdrawCall { token: usdt, tokenAmount: b + u(1), xauAmount: U256::ZERO, to: LP }
                .abi_encode(),
            below_minimum(usdt, usdt, MIN_TOKEN),
        ),
        (
            "both sides, the token side first",
            LP,
            mesh::withdrawCall { token: usdt, tokenAmount: b, xauAmount: q, to: LP }.abi_encode(),
            below_minimum(usdt, usdt, MIN_TOKEN),
        ),
    ];
    assert_refused(w, &[usdt, xau], &cases);
    let call = mesh::withdrawCall { token: usdt, tokenAmount: to_min_token, xauAmount: to_min_xau, to: LP };
    mesh_send(w, LP, &call);
    let s = state(w, usdt);
    assert_eq!((s.0, s.1), (u(MIN_TOKEN), u(MIN_XAU)));
    // At its minimums the pool cannot pay anything out.
    let refusal = (
        "the pool is at its minimums",
        STABILIZER,
        swap_call(usdt, xau, u(1_000_000), U256::ZERO).abi_encode(),
        below_minimum(usdt, xau, MIN_XAU),
    );
    assert_refused(w, &[usdt, xau], &[refusal]);
    // A deposit past 2^128 − 1 in a reserve is refused.
    let huge = U256::from(u128::MAX);
    let refusal = (
        "reserve above 2^128 - 1",
        LP,
        mesh::depositCall { token: usdt, tokenAmount: huge, xauAmount: U256::ZERO }.abi_encode(),
        err(&mesh::ArithmeticOverflow {}),
    );
    assert_refused(w, &[usdt, xau], &[refusal]);
}

/// `price` moved by `bps` basis points of itself, rounded down.
fn moved(price: U256, bps: i64) -> U256 {
    let d = price * U256::from(bps.unsigned_abs()) / u(10_000);
    if bps < 0 {
        price - d
    } else {
        price + d
    }
}

#[test]
fn an_oracle_move_is_ramped_one_block_at_a_time_and_never_traded_in_its_block() {
    let mut env = env();
    let (xau, usdt, feed) = (env.xau, env.tokens[0], env.oracles[0]);
    let w = &mut env.world;
    let p0 = u(USD_PRICE);
    let target = moved(p0, 120); // +1.2%: inside the 2% gap
    set_price(w, feed, target);
    // Same L2 block as the oracle update: a swap before and one after a
    // further move trade at the old price; the first observes the new one.
    let logs = mesh_send(w, STABILIZER, &swap_call(usdt, xau, u(1_000_000), U256::ZERO));
    assert_eq!(decode::<mesh::LegExecuted>(&logs[0]).price, p0);
    let (.., price, observed, block) = state(w, usdt);
    assert_eq!((price, observed, block), (p0, target, w.block().number));
    set_price(w, feed, moved(p0, 150));
    let logs = mesh_send(w, STABILIZER, &swap_call(xau, usdt, u(1_000_000_000_000), U256::ZERO));
    assert_eq!(decode::<mesh::LegExecuted>(&logs[0]).price, p0, "no move inside the block");
    assert_eq!(state(w, usdt).6, moved(p0, 150), "the latest observation is the target");
    // Each later L2 block moves the price by at most 50 bps (of the price).
    let mut expected = p0;
    for _ in 0..3 {
        w.advance(1);
        expected = moved(expected, 50).min(moved(p0, 150));
        let logs = mesh_send(w, STABILIZER, &swap_call(usdt, xau, u(1_000_000), U256::ZERO));
        assert_eq!(decode::<mesh::LegExecuted>(&logs[0]).price, expected);
    }
    assert_eq!(expected, moved(p0, 150), "reached after three blocks, then held");
    // Unobserved blocks count too: six quiet blocks move it 6 × 50 bps at once.
    set_price(w, feed, p0);
    w.advance(1);
    poke(w, usdt); // observes p0 at the price reached
    for _ in 0..6 {
        w.advance(1);
    }
    let logs = mesh_send(w, STABILIZER, &swap_call(usdt, xau, u(1_000_000), U256::ZERO));
    assert_eq!(
        decode::<mesh::LegExecuted>(&logs[0]).price,
        p0,
        "150 bps down in six blocks (up to 300 allowed)"
    );
}

fn poke(world: &mut World, token: Address) -> Vec<Log> {
    mesh_send(world, STRANGER, &mesh::pokeCall { token })
}

#[test]
fn a_jump_beyond_the_gap_stops_trading_until_pokes_ramp_the_price_close() {
    let mut env = env();
    let (xau, usdt, feed) = (env.xau, env.tokens[0], env.oracles[0]);
    let w = &mut env.world;
    let p0 = u(USD_PRICE);
    let jumped = moved(p0, 500); // +5%: beyond the 2% gap
    set_price(w, feed, jumped);
    w.advance(1);
    let refusal = |price: U256| {
        err(&mesh::OracleJumpTooLarge { token: usdt, oraclePrice: jumped, effectivePrice: price })
    };
    let sell = swap_call(usdt, xau, u(1_000_000), U256::ZERO).abi_encode();
    assert_refused(w, &[usdt, xau], &[("5% jump", STABILIZER, sell.clone(), refusal(p0))]);
    assert_views_refused(
        w,
        &[(
            "5% jump",
            mesh::quoteCall { tokenIn: usdt, tokenOut: xau, amountIn: u(1) }.abi_encode(),
            refusal(p0),
        )],
    );
    // A refused swap records nothing, so without pokes the price never moves.
    w.advance(5);
    assert_refused(w, &[usdt, xau], &[("no poke", STABILIZER, sell.clone(), refusal(p0))]);
    // Pokes observe the oracle; the ramp then moves 50 bps a block.
    let logs = poke(w, usdt);
    let observed = decode::<mesh::PriceObserved>(&logs[0]);
    assert_eq!((observed.token, observed.price, observed.oraclePrice), (usdt, p0, jumped));
    assert_eq!(observed.l2Block, w.block().number);
    let mut price = p0;
    let mut blocks = 0;
    loop {
        w.advance(1);
        blocks += 1;
        price = moved(price, 50);
        if w.static_call(
            STRANGER,
            MESH,
            &mesh::quoteCall { tokenIn: usdt, tokenOut: xau, amountIn: u(1_000_000) }.abi_encode(),
        )
        .success
        {
            break;
        }
        assert_refused(w, &[usdt, xau], &[("ramping", STABILIZER, sell.clone(), refusal(price))]);
        assert_eq!(decode::<mesh::PriceObserved>(&poke(w, usdt)[0]).price, price);
        assert!(blocks < 10, "the ramp must close the gap");
    }
    // 1.005^6 > 1.05 / 1.02: trading resumes on the sixth block, at the ramped price.
    assert_eq!(blocks, 6);
    let logs = mesh_send(w, STABILIZER, &swap_call(usdt, xau, u(1_000_000), U256::ZERO));
    assert_eq!(decode::<mesh::LegExecuted>(&logs[0]).price, price);
}

/// `PriceOracle` storage: `_price` in slot 1.
const ORACLE_PRICE_SLOT: u64 = 1;
/// `PriceOracle` storage: `_updatedAt` in slot 2.
const ORACLE_UPDATED_AT_SLOT: u64 = 2;

#[test]
fn stale_and_failing_oracles_are_refused_by_name() {
    let mut env = env();
    let (xau, [usdt, usdc, _], [feed, usdc_feed, _]) = (env.xau, env.tokens, env.oracles);
    let w = &mut env.world;
    let (updated_at, price) = {
        let r = view_at(w, feed, &oracle::latestPriceCall {});
        (r.updatedAt, r.price)
    };
    w.advance(AGE + 1);
    let stale = err(&mesh::StaleOracle { token: usdt, updatedAt: updated_at });
    let sell = swap_call(usdt, xau, u(1_000_000), U256::ZERO).abi_encode();
    let cases: Vec<Refusal> = vec![
        ("stale", STABILIZER, sell.clone(), stale.clone()),
        (
            "stale, as the second leg",
            STABILIZER,
            swap_call(xau, usdt, u(1_000), U256::ZERO).abi_encode(),
            stale.clone(),
        ),
        ("stale", STRANGER, mesh::pokeCall { token: usdt }.abi_encode(), stale.clone()),
    ];
    assert_refused(w, &[usdt, xau], &cases);
    set_price(w, usdc_feed, u(USD_PRICE));
    let quote_call = mesh::quoteCall { tokenIn: usdc, tokenOut: usdt, amountIn: u(1_000_000) }.abi_encode();
    assert_views_refused(w, &[("stale second leg", quote_call, stale)]);
    // Fresh again: trades resume.
    set_price(w, feed, price);
    swap(w, usdt, xau, u(1_000_000));
    // Issue 12, finding 7: a stamp after the block is not fresh (the former
    // rule counted it fresh forever). `PriceOracle` stamps the block time,
    // so the stamp is forced on the chain.
    let now = w.block().timestamp;
    for ahead in [1, 86_400] {
        let future = U256::from(now + ahead);
        w.set_storage(feed, U256::from(ORACLE_UPDATED_AT_SLOT), B256::from(future));
        let from_future = err(&mesh::StaleOracle { token: usdt, updatedAt: future });
        let cases: Vec<Refusal> = vec![
            ("from the future", STABILIZER, sell.clone(), from_future.clone()),
            ("from the future", STRANGER, mesh::pokeCall { token: usdt }.abi_encode(), from_future.clone()),
        ];
        assert_refused(w, &[usdt, xau], &cases);
        let quote_call =
            mesh::quoteCall { tokenIn: usdt, tokenOut: xau, amountIn: u(1_000_000) }.abi_encode();
        assert_views_refused(w, &[("from the future", quote_call, from_future)]);
    }
    w.set_storage(feed, U256::from(ORACLE_UPDATED_AT_SLOT), B256::from(U256::from(now)));
    swap(w, usdt, xau, u(1_000_000));
    // An oracle answering zero, or reverting, fails by name.
    w.set_storage(feed, U256::from(ORACLE_PRICE_SLOT), B256::ZERO);
    let failed = err(&mesh::OracleFailed { token: usdt, oracle: feed });
    assert_refused(w, &[usdt, xau], &[("price 0", STABILIZER, sell.clone(), failed.clone())]);
    w.set_code(feed, vec![0x60, 0x00, 0x60, 0x00, 0xfd]);
    assert_refused(w, &[usdt, xau], &[("reverts", STABILIZER, sell, failed.clone())]);
    assert_refused(
        w,
        &[usdt, xau],
        &[("reverts", STRANGER, mesh::pokeCall { token: usdt }.abi_encode(), failed)],
    );
}

#[test]
fn an_external_dpp_backend_prices_and_settles_its_legs() {
    let mut env = env();
    let (xau, [usdt, _, eurt]) = (env.xau, env.tokens);
    let w = &mut env.world;
    // The DPP: base cEURT, quote XAU, its own i.
    let dpp_pool =
        reference_pool(w, eurt, xau, u(EUR_PRICE), (u(TOKEN_LIQUIDITY), u(XAU_LIQUIDITY * 108 / 100)));
    let wrong = reference_pool(w, usdt, xau, u(USD_PRICE), (u(TOKEN_LIQUIDITY), u(XAU_LIQUIDITY)));
    let cases: Vec<Refusal> = vec![
        (
            "base is another token",
            ADMIN,
            mesh::setBackendCall { token: eurt, backend: wrong }.abi_encode(),
            err(&mesh::BackendMismatch { token: eurt, backend: wrong }),
        ),
        (
            "no code",
            ADMIN,
            mesh::setBackendCall { token: eurt, backend: STRANGER }.abi_encode(),
            err(&mesh::BackendMismatch { token: eurt, backend: STRANGER }),
        ),
    ];
    assert_refused(w, &[eurt, xau], &cases);
    let logs = mesh_send(w, ADMIN, &mesh::setBackendCall { token: eurt, backend: dpp_pool });
    let set = decode::<mesh::BackendSet>(&logs[0]);
    assert_eq!((set.token, set.backend), (eurt, dpp_pool));
    let internal = state(w, eurt);

    // Token → XAU through the DPP: transfer first, then sellBase.
    let amount = u(2_000_000_000);
    let expected = view_at(w, dpp_pool, &dpp::querySellBaseCall { trader: MESH, payBaseAmount: amount })
        .receiveQuoteAmount;
    assert_eq!(quote(w, eurt, xau, amount), expected);
    let logs = mesh_send(w, STABILIZER, &swap_call(eurt, xau, amount, expected));
    let leg = decode::<mesh::LegExecuted>(&logs[0]);
    assert_eq!((leg.token, leg.backend, leg.sellsToken), (eurt, dpp_pool, true));
    assert_eq!((leg.amountIn, leg.amountOut, leg.price), (amount, expected, U256::ZERO));
    assert_eq!(balance(w, xau, RECEIVER), expected);
    // XAU → token: sellQuote.
    let xau_in = u(1_000_000_000_000_000_000);
    let expected = view_at(w, dpp_pool, &dpp::querySellQuoteCall { trader: MESH, payQuoteAmount: xau_in })
        .receiveBaseAmount;
    assert_eq!(quote(w, xau, eurt, xau_in), expected);
    assert_eq!(swap(w, xau, eurt, xau_in), expected);
    // Triangulated, internal then DPP and DPP then internal: one minimum.
    for (token_in, token_out) in [(usdt, eurt), (eurt, usdt)] {
        let amount = u(3_000_000_000);
        let expected = quote(w, token_in, token_out, amount);
        assert!(!expected.is_zero());
        let mesh_xau = balance(w, xau, MESH);
        let logs = mesh_send(w, STABILIZER, &swap_call(token_in, token_out, amount, expected));
        assert_eq!(decode::<mesh::Swap>(&logs[2]).amountOut, expected);
        let backends: Vec<Address> =
            logs[..2].iter().map(|l| decode::<mesh::LegExecuted>(l).backend).collect();
        assert_eq!(backends, if token_in == usdt { [ZERO, dpp_pool] } else { [dpp_pool, ZERO] });
        let internal_xau_moved = if token_in == usdt { -1i8 } else { 1 };
        assert_eq!(
            balance(w, xau, MESH).cmp(&mesh_xau),
            internal_xau_moved.cmp(&0),
            "the internal pool's XAU paid or received the DPP's"
        );
    }
    // The internal reserves of cEURT were never touched and stay withdrawable.
    assert_eq!(state(w, eurt), internal);
    // A DPP that refuses (here: one whose code reverts) fails the leg by name.
    let code = w.state().account(dpp_pool).unwrap().code.clone();
    w.set_code(dpp_pool, vec![0x60, 0x00, 0x60, 0x00, 0xfd]);
    let failed = err(&mesh::BackendFailed { backend: dpp_pool });
    let sell = swap_call(eurt, xau, u(1_000_000), U256::ZERO).abi_encode();
    assert_refused(w, &[eurt, xau], &[("DPP reverts", STABILIZER, sell, failed.clone())]);
    let quote_call = mesh::quoteCall { tokenIn: xau, tokenOut: eurt, amountIn: u(1_000_000) }.abi_encode();
    assert_views_refused(w, &[("DPP reverts", quote_call, failed)]);
    w.set_code(dpp_pool, code);
    // Back to internal liquidity.
    mesh_send(w, ADMIN, &mesh::setBackendCall { token: eurt, backend: ZERO });
    let logs = mesh_send(w, STABILIZER, &swap_call(eurt, xau, u(1_000_000), U256::ZERO));
    assert_eq!(decode::<mesh::LegExecuted>(&logs[0]).backend, ZERO);
}

#[test]
fn tokens_that_return_nothing_are_supported_and_false_or_reverts_refused() {
    let (mut world, xau) = bare();
    let w = &mut world;
    let quirky = artifact("MeshQuirkyToken")
        .deploy(w, DEPLOYER, &args(&erc20::quirkyConstructorCall { decimals: 6 }))
        .expect("deploys");
    let feed = deploy_oracle(w, u(USD_PRICE));
    mesh_send(w, ADMIN, &register_call(quirky, feed));
    for (token, amount) in [(quirky, u(TOKEN_LIQUIDITY * 10)), (xau, u(XAU_LIQUIDITY * 10))] {
        for who in [LP, STABILIZER] {
            mint(w, token, who, amount);
            approve(w, token, who, MESH);
        }
    }
    let set_mode = |w: &mut World, mode: u8| {
        send(w, DEPLOYER, quirky, &erc20::setModeCall { mode });
    };
    // Mode 0 returns true, mode 1 nothing: both work for pulls and payments.
    for mode in [0u8, 1] {
        set_mode(w, mode);
        let call = mesh::depositCall {
            token: quirky,
            tokenAmount: u(TOKEN_LIQUIDITY / 2),
            xauAmount: u(XAU_LIQUIDITY / 2),
        };
        mesh_send(w, LP, &call);
        let received = balance(w, quirky, RECEIVER);
        let out = swap(w, xau, quirky, u(1_000_000_000_000_000));
        assert_eq!(balance(w, quirky, RECEIVER) - received, out, "mode {mode}: paid");
        let held = balance(w, quirky, MESH);
        swap(w, quirky, xau, u(1_000_000));
        assert_eq!(balance(w, quirky, MESH) - held, u(1_000_000), "mode {mode}: pulled");
        let call =
            mesh::withdrawCall { token: quirky, tokenAmount: u(1_000), xauAmount: U256::ZERO, to: RECEIVER };
        mesh_send(w, LP, &call);
    }
    // Mode 2 answers false, mode 3 reverts: every transfer of it is refused by name.
    let failed = err(&mesh::TransferFailed { token: quirky });
    for mode in [2u8, 3] {
        set_mode(w, mode);
        let cases: Vec<Refusal> = vec![
            (
                "deposit",
                LP,
                mesh::depositCall { token: quirky, tokenAmount: u(1), xauAmount: U256::ZERO }.abi_encode(),
                failed.clone(),
            ),
            (
                "pull",
                STABILIZER,
                swap_call(quirky, xau, u(1_000_000), U256::ZERO).abi_encode(),
                failed.clone(),
            ),
            (
                "pay",
                STABILIZER,
                swap_call(xau, quirky, u(1_000_000_000), U256::ZERO).abi_encode(),
                failed.clone(),
            ),
            (
                "withdraw",
                LP,
                mesh::withdrawCall { token: quirky, tokenAmount: u(1), xauAmount: U256::ZERO, to: LP }
                    .abi_encode(),
                failed.clone(),
            ),
        ];
        assert_refused(w, &[quirky, xau], &cases);
    }
    // An address without code cannot be registered: its empty answers would pass as success.
    let eoa = address!("0000000000000000000000000000000000000e0a");
    let refusal = (
        "no code",
        ADMIN,
        register_call(eoa, feed).abi_encode(),
        err(&mesh::UnsupportedToken { token: eoa }),
    );
    assert_refused(w, &[xau], &[refusal]);
}

#[test]
fn a_guardian_pauses_value_moving_functions_and_only_the_admin_unpauses() {
    let mut env = env();
    let (xau, [usdt, usdc, eurt], feed) = (env.xau, env.tokens, env.oracles[0]);
    let w = &mut env.world;
    let cases: Vec<Refusal> = vec![
        (
            "admin is not a guardian",
            ADMIN,
            mesh::pauseCall {}.abi_encode(),
            unauthorized(ADMIN, guardian_role()),
        ),
        ("stranger", STRANGER, mesh::pauseCall {}.abi_encode(), unauthorized(STRANGER, guardian_role())),
        ("not paused", ADMIN, mesh::unpauseCall {}.abi_encode(), err(&mesh::ExpectedPause {})),
    ];
    assert_refused(w, &[usdt, xau], &cases);
    let logs = mesh_send(w, GUARDIAN, &mesh::pauseCall {});
    assert_eq!(decode::<mesh::Paused>(&logs[0]).account, GUARDIAN);
    assert!(view(w, &mesh::pausedCall {})._0);
    let paused = err(&mesh::EnforcedPause {});
    let cases: Vec<Refusal> = vec![
        ("swap", STABILIZER, swap_call(usdt, xau, u(1_000_000), U256::ZERO).abi_encode(), paused.clone()),
        (
            "triangulated",
            STABILIZER,
            swap_call(usdt, usdc, u(1_000_000), U256::ZERO).abi_encode(),
            paused.clone(),
        ),
        (
            "deposit",
            LP,
            mesh::depositCall { token: usdt, tokenAmount: u(1), xauAmount: U256::ZERO }.abi_encode(),
            paused.clone(),
        ),
        (
            "withdraw",
            LP,
            mesh::withdrawCall { token: usdt, tokenAmount: u(1), xauAmount: U256::ZERO, to: LP }.abi_encode(),
            paused.clone(),
        ),
        // The role check comes first.
        (
            "stranger swaps",
            STRANGER,
            swap_call(usdt, xau, u(1), U256::ZERO).abi_encode(),
            unauthorized(STRANGER, stabilizer_role()),
        ),
        ("twice", GUARDIAN, mesh::pauseCall {}.abi_encode(), paused.clone()),
        (
            "guardian unpauses",
            GUARDIAN,
            mesh::unpauseCall {}.abi_encode(),
            unauthorized(GUARDIAN, ADMIN_ROLE),
        ),
    ];
    assert_refused(w, &[usdt, xau], &cases);
    // Views and pokes answer, and the admin still configures.
    assert!(!quote(w, usdt, xau, u(1_000_000)).is_zero());
    poke(w, usdt);
    let mut call = register_call(eurt, feed);
    call.maxGapBps = 300;
    assert!(decode::<mesh::PoolConfigured>(&mesh_send(w, ADMIN, &call)[0]).maxGapBps == 300);
    let logs = mesh_send(w, ADMIN, &mesh::unpauseCall {});
    assert_eq!(decode::<mesh::Unpaused>(&logs[0]).account, ADMIN);
    swap(w, usdt, xau, u(1_000_000));
}

/// Pools in [`refusal_world`] besides the three of [`env`].
struct Broken {
    /// A token with no pool.
    unregistered: Address,
    /// A pool whose oracle jumped 5% (beyond the 2% gap).
    jumped: Address,
    /// A pool whose oracle is older than its maximum age.
    stale: Address,
    stale_at: U256,
    /// A pool whose oracle reverts, and that oracle.
    failing: (Address, Address),
    /// A pool whose DPP backend reverts, and that DPP.
    dead_backend: (Address, Address),
    /// A `PmmPool` of cUSDT/XAU (a wrong backend for anything else).
    usdt_dpp: Address,
    /// A fresh oracle, one answering 0, and one past its age.
    fresh_feed: Address,
    zero_feed: Address,
    stale_feed: Address,
}

/// [`env`] plus the pools of [`Broken`]; the Stabilizer also holds huge
/// amounts of cUSDT and XAU.
fn refusal_world() -> (Env, Broken) {
    let mut env = env();
    let (xau, tokens) = (env.xau, env.tokens);
    let w = &mut env.world;
    let stale_feed = deploy_oracle(w, u(USD_PRICE));
    let mut extra = [ZERO; 4];
    for (n, slot) in extra.iter_mut().enumerate() {
        *slot = deploy_token(w, &format!("X{n}"), 6);
    }
    let [jumped, stale, failing, dead] = extra;
    let mut feeds = [ZERO; 4];
    for (token, feed) in extra.iter().zip(feeds.iter_mut()) {
        *feed = deploy_oracle(w, u(USD_PRICE));
        mesh_send(w, ADMIN, &register_call(*token, *feed));
        for who in [LP, STABILIZER] {
            mint(w, *token, who, u(TOKEN_LIQUIDITY * 10));
            approve(w, *token, who, MESH);
        }
        mesh_send(
            w,
            LP,
            &mesh::depositCall {
                token: *token,
                tokenAmount: u(TOKEN_LIQUIDITY),
                xauAmount: u(XAU_LIQUIDITY),
            },
        );
    }
    let stale_at = view_at(w, feeds[1], &oracle::latestPriceCall {}).updatedAt;
    // Time passes: every oracle but the stale ones is refreshed.
    w.advance(AGE + 10);
    for feed in env.oracles.iter().chain([&feeds[0], &feeds[2], &feeds[3]]) {
        let price = view_at(w, *feed, &oracle::latestPriceCall {}).price;
        set_price(w, *feed, price);
    }
    set_price(w, feeds[0], moved(u(USD_PRICE), 500));
    w.set_code(feeds[2], vec![0x60, 0x00, 0x60, 0x00, 0xfd]);
    let dead_dpp = reference_pool(w, dead, xau, u(USD_PRICE), (u(TOKEN_LIQUIDITY), u(XAU_LIQUIDITY)));
    mesh_send(w, ADMIN, &mesh::setBackendCall { token: dead, backend: dead_dpp });
    w.set_code(dead_dpp, vec![0x60, 0x00, 0x60, 0x00, 0xfd]);
    let usdt_dpp = reference_pool(w, tokens[0], xau, u(USD_PRICE), (u(TOKEN_LIQUIDITY), u(XAU_LIQUIDITY)));
    mint(w, tokens[0], STABILIZER, u(TOKEN_LIQUIDITY * 1_000_000));
    mint(w, xau, STABILIZER, u(XAU_LIQUIDITY * 1_000));
    let unregistered = deploy_token(w, "NONE", 6);
    let fresh_feed = deploy_oracle(w, u(USD_PRICE));
    let zero_feed = deploy_oracle(w, u(USD_PRICE));
    w.set_storage(zero_feed, U256::from(ORACLE_PRICE_SLOT), B256::ZERO);
    w.advance(1);
    let broken = Broken {
        unregistered,
        jumped,
        stale,
        stale_at,
        failing: (failing, feeds[2]),
        dead_backend: (dead, dead_dpp),
        usdt_dpp,
        fresh_feed,
        zero_feed,
        stale_feed,
    };
    (env, broken)
}

fn out_of_range(parameter: u8, value: U256, min: U256, max: U256) -> Vec<u8> {
    err(&mesh::ParameterOutOfRange { parameter, value, min, max })
}

fn with(token: Address, oracle: Address, edit: impl FnOnce(&mut mesh::registerPoolCall)) -> Vec<u8> {
    let mut call = register_call(token, oracle);
    edit(&mut call);
    call.abi_encode()
}

/// `calldata` with argument word `index` replaced by `word`.
fn patched(mut calldata: Vec<u8>, index: usize, word: U256) -> Vec<u8> {
    calldata[4 + 32 * index..4 + 32 * index + 32].copy_from_slice(&word.to_be_bytes::<32>());
    calldata
}

#[test]
#[allow(clippy::too_many_lines)] // one table
fn every_function_refuses_each_bad_input_with_its_exact_error() {
    let (mut env, b) = refusal_world();
    let (xau, [usdt, usdc, eurt]) = (env.xau, env.tokens);
    let w = &mut env.world;
    let none = b.unregistered;
    let max = U256::from(u128::MAX);
    let one = U256::from(1u8);
    let e18 = u(1_000_000_000_000_000_000);
    let fresh = b.fresh_feed;
    let reg = |edit: fn(&mut mesh::registerPoolCall)| with(none, fresh, edit);
    let dep = |token: Address, t: U256, x: U256| {
        mesh::depositCall { token, tokenAmount: t, xauAmount: x }.abi_encode()
    };
    let wd = |token: Address, t: U256, x: U256, to: Address| {
        mesh::withdrawCall { token, tokenAmount: t, xauAmount: x, to }.abi_encode()
    };
    let sw = |i: Address, o: Address, a: U256, m: U256| swap_call(i, o, a, m).abi_encode();
    let sw_to = |to: Address| {
        mesh::swapCall { tokenIn: usdt, tokenOut: xau, amountIn: one, minAmountOut: U256::ZERO, to }
            .abi_encode()
    };
    let backend = |token: Address, backend: Address| mesh::setBackendCall { token, backend }.abi_encode();
    let poke_call = |token: Address| mesh::pokeCall { token }.abi_encode();
    let grant = |role: B256, account: Address| mesh::grantRoleCall { role, account }.abi_encode();
    let revoke = |role: B256, account: Address| mesh::revokeRoleCall { role, account }.abi_encode();
    let renounce =
        |role: B256, confirmation: Address| mesh::renounceRoleCall { role, confirmation }.abi_encode();
    let not_admin = |who: Address| unauthorized(who, ADMIN_ROLE);
    let not_lp = |who: Address| unauthorized(who, lp_role());
    let not_stabilizer = |who: Address| unauthorized(who, stabilizer_role());
    let zero_address = err(&mesh::ZeroAddress {});
    let zero_amount = err(&mesh::ZeroAmount {});
    let (k_max, fee_max, bps_max, age_max) = (e18, e18 / u(10), u(10_000), u(604_800));
    let stale = err(&mesh::StaleOracle { token: b.stale, updatedAt: b.stale_at });
    let jump = err(&mesh::OracleJumpTooLarge {
        token: b.jumped,
        oraclePrice: moved(u(USD_PRICE), 500),
        effectivePrice: u(USD_PRICE),
    });
    let failing = err(&mesh::OracleFailed { token: b.failing.0, oracle: b.failing.1 });
    let dead = err(&mesh::BackendFailed { backend: b.dead_backend.1 });
    let held = balance(w, usdt, STABILIZER);
    let cases: Vec<Refusal> = vec![
        // registerPool: admin only; then zero addresses, XAU, each parameter in order, the new token and its oracle.
        ("stranger", STRANGER, reg(|_| {}), not_admin(STRANGER)),
        ("stabilizer", STABILIZER, reg(|_| {}), not_admin(STABILIZER)),
        ("liquidity provider", LP, reg(|_| {}), not_admin(LP)),
        ("guardian", GUARDIAN, reg(|_| {}), not_admin(GUARDIAN)),
        ("stranger, zero token", STRANGER, with(ZERO, fresh, |_| {}), not_admin(STRANGER)),
        ("zero token", ADMIN, with(ZERO, fresh, |_| {}), zero_address.clone()),
        ("zero oracle", ADMIN, with(none, ZERO, |_| {}), zero_address.clone()),
        ("XAU itself", ADMIN, with(xau, fresh, |_| {}), err(&mesh::SameToken { token: xau })),
        (
            "k above 1",
            ADMIN,
            reg(|c| c.k = u(1_000_000_000_000_000_001)),
            out_of_range(0, k_max + one, U256::ZERO, k_max),
        ),
        ("k max", ADMIN, reg(|c| c.k = U256::MAX), out_of_range(0, U256::MAX, U256::ZERO, k_max)),
        (
            "fee above 10%",
            ADMIN,
            reg(|c| c.feeRate = u(100_000_000_000_000_001)),
            out_of_range(1, fee_max + one, U256::ZERO, fee_max),
        ),
        (
            "min token 0",
            ADMIN,
            reg(|c| c.minTokenReserve = U256::ZERO),
            out_of_range(2, U256::ZERO, one, max),
        ),
        (
            "min token 2^128",
            ADMIN,
            reg(|c| c.minTokenReserve = U256::from(u128::MAX) + U256::from(1u8)),
            out_of_range(2, max + one, one, max),
        ),
        ("min XAU 0", ADMIN, reg(|c| c.minXauReserve = U256::ZERO), out_of_range(3, U256::ZERO, one, max)),
        (
            "min XAU 2^128",
            ADMIN,
            reg(|c| c.minXauReserve = U256::from(u128::MAX) + U256::from(1u8)),
            out_of_range(3, max + one, one, max),
        ),
        ("jump 0", ADMIN, reg(|c| c.maxJumpBps = 0), out_of_range(4, U256::ZERO, one, bps_max)),
        ("jump 10,001", ADMIN, reg(|c| c.maxJumpBps = 10_001), out_of_range(4, u(10_001), one, bps_max)),
        ("gap 10,001", ADMIN, reg(|c| c.maxGapBps = 10_001), out_of_range(5, u(10_001), U256::ZERO, bps_max)),
        ("age 0", ADMIN, reg(|c| c.maxOracleAge = 0), out_of_range(6, U256::ZERO, one, age_max)),
        (
            "age a week + 1",
            ADMIN,
            reg(|c| c.maxOracleAge = 604_801),
            out_of_range(6, u(604_801), one, age_max),
        ),
        (
            "k and age out: k first",
            ADMIN,
            reg(|c| {
                c.k = U256::MAX;
                c.maxOracleAge = 0;
            }),
            out_of_range(0, U256::MAX, U256::ZERO, k_max),
        ),
        (
            "a known token, bad fee",
            ADMIN,
            with(usdt, fresh, |c| c.feeRate = U256::MAX),
            out_of_range(1, U256::MAX, U256::ZERO, fee_max),
        ),
        (
            "token without code",
            ADMIN,
            with(STRANGER, fresh, |_| {}),
            err(&mesh::UnsupportedToken { token: STRANGER }),
        ),
        (
            "oracle without code",
            ADMIN,
            with(none, STRANGER, |_| {}),
            err(&mesh::OracleFailed { token: none, oracle: STRANGER }),
        ),
        (
            "oracle at 0",
            ADMIN,
            with(none, b.zero_feed, |_| {}),
            err(&mesh::OracleFailed { token: none, oracle: b.zero_feed }),
        ),
        (
            "stale oracle",
            ADMIN,
            with(none, b.stale_feed, |_| {}),
            err(&mesh::StaleOracle { token: none, updatedAt: b.stale_at }),
        ),
        ("truncated", ADMIN, reg(|_| {})[..100].to_vec(), Vec::new()),
        ("token word above 160 bits", ADMIN, patched(reg(|_| {}), 0, U256::MAX), Vec::new()),
        ("uint64 above 2^64", ADMIN, patched(reg(|_| {}), 6, U256::from(u64::MAX) + one), Vec::new()),
        // setBackend: admin only; a known token; a DPP of this token against XAU.
        ("stranger", STRANGER, backend(usdt, b.usdt_dpp), not_admin(STRANGER)),
        ("liquidity provider", LP, backend(usdt, b.usdt_dpp), not_admin(LP)),
        ("unknown token", ADMIN, backend(none, b.usdt_dpp), unknown(none)),
        ("XAU", ADMIN, backend(xau, b.usdt_dpp), unknown(xau)),
        (
            "another token's DPP",
            ADMIN,
            backend(usdc, b.usdt_dpp),
            err(&mesh::BackendMismatch { token: usdc, backend: b.usdt_dpp }),
        ),
        (
            "no code",
            ADMIN,
            backend(usdc, STRANGER),
            err(&mesh::BackendMismatch { token: usdc, backend: STRANGER }),
        ),
        (
            "a token, not a pool",
            ADMIN,
            backend(usdc, eurt),
            err(&mesh::BackendMismatch { token: usdc, backend: eurt }),
        ),
        // deposit: liquidity providers only, then the pause, the token and the amounts.
        ("stranger", STRANGER, dep(usdt, one, one), not_lp(STRANGER)),
        ("stabilizer", STABILIZER, dep(usdt, one, one), not_lp(STABILIZER)),
        ("admin", ADMIN, dep(usdt, one, one), not_lp(ADMIN)),
        ("stranger, unknown token", STRANGER, dep(none, U256::ZERO, U256::ZERO), not_lp(STRANGER)),
        ("unknown token", LP, dep(none, one, one), unknown(none)),
        ("XAU as the token", LP, dep(xau, one, one), unknown(xau)),
        ("zero amounts", LP, dep(usdt, U256::ZERO, U256::ZERO), zero_amount.clone()),
        ("token reserve past 2^128", LP, dep(usdt, max, U256::ZERO), err(&mesh::ArithmeticOverflow {})),
        ("XAU reserve past 2^128", LP, dep(usdt, U256::ZERO, U256::MAX), err(&mesh::ArithmeticOverflow {})),
        (
            "more than the provider holds",
            LP,
            dep(usdt, u(TOKEN_LIQUIDITY * 100), U256::ZERO),
            err(&mesh::TransferFailed { token: usdt }),
        ),
        (
            "more XAU than the provider holds",
            LP,
            dep(usdt, one, u(XAU_LIQUIDITY * 1_000)),
            err(&mesh::TransferFailed { token: xau }),
        ),
        // withdraw: the same, then `to` and the minimums.
        ("stranger", STRANGER, wd(usdt, one, one, LP), not_lp(STRANGER)),
        ("stabilizer", STABILIZER, wd(usdt, one, one, LP), not_lp(STABILIZER)),
        ("unknown token", LP, wd(none, one, one, LP), unknown(none)),
        ("zero amounts", LP, wd(usdt, U256::ZERO, U256::ZERO, LP), zero_amount.clone()),
        ("zero amounts, zero to", LP, wd(usdt, U256::ZERO, U256::ZERO, ZERO), zero_amount.clone()),
        ("zero to", LP, wd(usdt, one, one, ZERO), zero_address.clone()),
        ("everything", LP, wd(usdt, max, U256::ZERO, LP), below_minimum(usdt, usdt, MIN_TOKEN)),
        ("all the XAU", LP, wd(usdt, U256::ZERO, u(XAU_LIQUIDITY), LP), below_minimum(usdt, xau, MIN_XAU)),
        // swap: the Stabilizer only; then the route, `to`, the pull, each leg, the minimum.
        ("stranger", STRANGER, sw(usdt, xau, one, U256::ZERO), not_stabilizer(STRANGER)),
        ("liquidity provider", LP, sw(usdt, xau, one, U256::ZERO), not_stabilizer(LP)),
        ("admin", ADMIN, sw(usdt, xau, one, U256::ZERO), not_stabilizer(ADMIN)),
        ("stranger, same token", STRANGER, sw(usdt, usdt, U256::ZERO, U256::ZERO), not_stabilizer(STRANGER)),
        ("same token", STABILIZER, sw(usdt, usdt, one, U256::ZERO), err(&mesh::SameToken { token: usdt })),
        ("XAU for XAU", STABILIZER, sw(xau, xau, one, U256::ZERO), err(&mesh::SameToken { token: xau })),
        (
            "same token, zero amount",
            STABILIZER,
            sw(none, none, U256::ZERO, U256::ZERO),
            err(&mesh::SameToken { token: none }),
        ),
        ("zero amount", STABILIZER, sw(usdt, xau, U256::ZERO, U256::ZERO), zero_amount.clone()),
        ("zero amount, unknown token", STABILIZER, sw(none, xau, U256::ZERO, U256::ZERO), zero_amount),
        ("unknown in", STABILIZER, sw(none, xau, one, U256::ZERO), unknown(none)),
        ("unknown out", STABILIZER, sw(xau, none, one, U256::ZERO), unknown(none)),
        ("both unknown: in first", STABILIZER, sw(none, STRANGER, one, U256::ZERO), unknown(none)),
        ("unknown out, triangulated", STABILIZER, sw(usdt, none, one, U256::ZERO), unknown(none)),
        ("zero to", STABILIZER, sw_to(ZERO), zero_address),
        (
            "more than the Stabilizer holds",
            STABILIZER,
            sw(usdt, xau, held + one, U256::ZERO),
            err(&mesh::TransferFailed { token: usdt }),
        ),
        (
            "drains the XAU side",
            STABILIZER,
            sw(usdt, xau, held, U256::ZERO),
            below_minimum(usdt, xau, MIN_XAU),
        ),
        (
            "drains the token side",
            STABILIZER,
            sw(xau, usdc, u(XAU_LIQUIDITY * 1_000), U256::ZERO),
            below_minimum(usdc, usdc, MIN_TOKEN),
        ),
        ("oracle jumped", STABILIZER, sw(b.jumped, xau, one, U256::ZERO), jump.clone()),
        ("oracle jumped, second leg", STABILIZER, sw(usdt, b.jumped, u(1_000_000), U256::ZERO), jump.clone()),
        ("stale oracle", STABILIZER, sw(xau, b.stale, u(1_000_000_000), U256::ZERO), stale.clone()),
        ("failing oracle", STABILIZER, sw(b.failing.0, xau, one, U256::ZERO), failing.clone()),
        ("dead backend", STABILIZER, sw(b.dead_backend.0, xau, one, U256::ZERO), dead.clone()),
        (
            "below the minimum out",
            STABILIZER,
            sw(usdt, xau, u(1_000_000), e18),
            err(&mesh::BelowMinAmountOut { amountOut: quote(w, usdt, xau, u(1_000_000)), minAmountOut: e18 }),
        ),
        (
            "below the minimum out, triangulated",
            STABILIZER,
            sw(usdt, eurt, u(1_000_000), u(1_000_000)),
            err(&mesh::BelowMinAmountOut {
                amountOut: quote(w, usdt, eurt, u(1_000_000)),
                minAmountOut: u(1_000_000),
            }),
        ),
        ("truncated", STABILIZER, sw(usdt, xau, one, U256::ZERO)[..132].to_vec(), Vec::new()),
        // poke: anyone, for a known pool with a working, fresh oracle.
        ("unknown token", STRANGER, poke_call(none), unknown(none)),
        ("XAU", STRANGER, poke_call(xau), unknown(xau)),
        ("stale oracle", STRANGER, poke_call(b.stale), stale.clone()),
        ("failing oracle", STRANGER, poke_call(b.failing.0), failing.clone()),
        // pause / unpause.
        ("stranger", STRANGER, mesh::pauseCall {}.abi_encode(), unauthorized(STRANGER, guardian_role())),
        ("admin", ADMIN, mesh::pauseCall {}.abi_encode(), unauthorized(ADMIN, guardian_role())),
        ("stranger", STRANGER, mesh::unpauseCall {}.abi_encode(), not_admin(STRANGER)),
        ("not paused", ADMIN, mesh::unpauseCall {}.abi_encode(), err(&mesh::ExpectedPause {})),
        // roles: the admin administers every role; renouncing needs the caller's own address.
        ("stranger", STRANGER, grant(stabilizer_role(), STRANGER), not_admin(STRANGER)),
        ("guardian grants guardian", GUARDIAN, grant(guardian_role(), STRANGER), not_admin(GUARDIAN)),
        ("stabilizer grants admin", STABILIZER, grant(ADMIN_ROLE, STABILIZER), not_admin(STABILIZER)),
        ("stranger", STRANGER, revoke(lp_role(), LP), not_admin(STRANGER)),
        ("provider revokes itself", LP, revoke(lp_role(), LP), not_admin(LP)),
        ("for someone else", STRANGER, renounce(lp_role(), LP), err(&mesh::AccessControlBadConfirmation {})),
        (
            "admin, zero confirmation",
            ADMIN,
            renounce(ADMIN_ROLE, ZERO),
            err(&mesh::AccessControlBadConfirmation {}),
        ),
        // No such function, or no selector at all.
        ("unknown selector", STRANGER, vec![0xde, 0xad, 0xbe, 0xef], Vec::new()),
        ("three bytes", STRANGER, vec![0xde, 0xad, 0xbe], Vec::new()),
        ("empty calldata", STRANGER, Vec::new(), Vec::new()),
    ];
    assert_refused(w, &[usdt, usdc, xau], &cases);

    let quote_of = |i: Address, o: Address, a: U256| {
        mesh::quoteCall { tokenIn: i, tokenOut: o, amountIn: a }.abi_encode()
    };
    let views: Vec<ViewRefusal> = vec![
        ("same token", quote_of(usdt, usdt, one), err(&mesh::SameToken { token: usdt })),
        ("zero amount", quote_of(usdt, xau, U256::ZERO), err(&mesh::ZeroAmount {})),
        ("unknown in", quote_of(none, xau, one), unknown(none)),
        ("unknown out", quote_of(usdt, none, one), unknown(none)),
        ("oracle jumped", quote_of(b.jumped, xau, one), jump),
        ("stale oracle", quote_of(xau, b.stale, one), stale),
        ("failing oracle", quote_of(b.failing.0, usdt, one), failing),
        ("dead backend", quote_of(xau, b.dead_backend.0, one), dead),
        (
            "drains the token side",
            quote_of(xau, usdc, u(XAU_LIQUIDITY * 1_000)),
            below_minimum(usdc, usdc, MIN_TOKEN),
        ),
        ("unknown token", mesh::poolStateCall { token: none }.abi_encode(), unknown(none)),
        ("XAU", mesh::poolStateCall { token: xau }.abi_encode(), unknown(xau)),
        ("truncated", mesh::poolStateCall { token: usdt }.abi_encode()[..20].to_vec(), Vec::new()),
        (
            "truncated",
            mesh::hasRoleCall { role: ADMIN_ROLE, account: ADMIN }.abi_encode()[..40].to_vec(),
            Vec::new(),
        ),
    ];
    assert_views_refused(w, &views);
    println!("{} refusals of state-changing calls, {} of views", cases.len(), views.len());
}

#[test]
fn value_sent_to_any_function_is_refused_with_no_data() {
    let mut env = env();
    let (xau, usdt) = (env.xau, env.tokens[0]);
    let w = &mut env.world;
    for account in [ADMIN, STABILIZER, LP, GUARDIAN, STRANGER] {
        w.set_balance(account, u(1_000));
    }
    let calls: Vec<(Address, Vec<u8>)> = vec![
        (STABILIZER, swap_call(usdt, xau, u(1_000_000), U256::ZERO).abi_encode()),
        (LP, mesh::depositCall { token: usdt, tokenAmount: u(1), xauAmount: U256::ZERO }.abi_encode()),
        (ADMIN, mesh::grantRoleCall { role: lp_role(), account: STRANGER }.abi_encode()),
        (GUARDIAN, mesh::pauseCall {}.abi_encode()),
        (STRANGER, mesh::pokeCall { token: usdt }.abi_encode()),
        (STRANGER, mesh::quoteCall { tokenIn: usdt, tokenOut: xau, amountIn: u(1) }.abi_encode()),
    ];
    for (caller, calldata) in calls {
        let storage = w.storage_of(MESH);
        let outcome = w.call(caller, MESH, &calldata, u(1));
        assert!(!outcome.success && outcome.return_data.is_empty() && outcome.error.is_none(), "{outcome:?}");
        assert_eq!(w.storage_of(MESH), storage);
        assert_eq!(w.balance(MESH), U256::ZERO);
    }
}

#[test]
fn roles_are_granted_revoked_and_renounced_as_in_open_zeppelin() {
    let (mut world, _) = bare();
    let w = &mut world;
    let has = |w: &mut World, role: B256, account: Address| view(w, &mesh::hasRoleCall { role, account })._0;
    for (role, account) in [(stabilizer_role(), STABILIZER), (lp_role(), LP), (guardian_role(), GUARDIAN)] {
        assert!(has(w, role, account));
    }
    let logs = mesh_send(w, ADMIN, &mesh::grantRoleCall { role: stabilizer_role(), account: STRANGER });
    assert_eq!(
        logs[0].topics(),
        [mesh::RoleGranted::SIGNATURE_HASH, stabilizer_role(), STRANGER.into_word(), ADMIN.into_word()]
    );
    assert!(
        mesh_send(w, ADMIN, &mesh::grantRoleCall { role: stabilizer_role(), account: STRANGER }).is_empty(),
        "held: no event"
    );
    let logs = mesh_send(w, ADMIN, &mesh::revokeRoleCall { role: stabilizer_role(), account: STRANGER });
    let revoked = decode::<mesh::RoleRevoked>(&logs[0]);
    assert_eq!((revoked.role, revoked.account, revoked.sender), (stabilizer_role(), STRANGER, ADMIN));
    assert!(!has(w, stabilizer_role(), STRANGER));
    assert!(
        mesh_send(w, ADMIN, &mesh::revokeRoleCall { role: stabilizer_role(), account: STRANGER }).is_empty()
    );
    // Renouncing: sender = account.
    let logs = mesh_send(w, LP, &mesh::renounceRoleCall { role: lp_role(), confirmation: LP });
    let renounced = decode::<mesh::RoleRevoked>(&logs[0]);
    assert_eq!((renounced.role, renounced.account, renounced.sender), (lp_role(), LP, LP));
    assert!(!has(w, lp_role(), LP));
    // Any role id works, as in OpenZeppelin; a second admin administers them too.
    let custom = keccak256("ANY_ROLE");
    mesh_send(w, ADMIN, &mesh::grantRoleCall { role: ADMIN_ROLE, account: STRANGER });
    mesh_send(w, STRANGER, &mesh::grantRoleCall { role: custom, account: LP });
    assert!(has(w, custom, LP));
    mesh_send(w, ADMIN, &mesh::renounceRoleCall { role: ADMIN_ROLE, confirmation: ADMIN });
    let refusal = (
        "renounced",
        ADMIN,
        mesh::grantRoleCall { role: custom, account: ADMIN }.abi_encode(),
        unauthorized(ADMIN, ADMIN_ROLE),
    );
    assert_refused(w, &[], &[refusal]);
}

/// splitmix64: a small deterministic generator for the random sequences.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A value spread over magnitudes: `m · 10^e` with `e` in `[lo, hi]`.
    fn amount(&mut self, lo: u64, hi: u64) -> U256 {
        let m = U256::from(1 + self.below(999));
        m * U256::from(10u8).pow(U256::from(lo + self.below(hi - lo + 1)))
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[usize::try_from(self.below(items.len() as u64)).unwrap()]
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The custom errors a refused operation may answer (by selector).
fn known_error(data: &[u8]) -> bool {
    let selectors = [
        mesh::AccessControlUnauthorizedAccount::SELECTOR,
        mesh::EnforcedPause::SELECTOR,
        mesh::ExpectedPause::SELECTOR,
        mesh::SameToken::SELECTOR,
        mesh::ZeroAmount::SELECTOR,
        mesh::BelowMinAmountOut::SELECTOR,
        mesh::ReserveBelowMinimum::SELECTOR,
        mesh::OracleJumpTooLarge::SELECTOR,
        mesh::StaleOracle::SELECTOR,
        mesh::TransferFailed::SELECTOR,
        mesh::BackendFailed::SELECTOR,
        mesh::ArithmeticOverflow::SELECTOR,
        mesh::UnknownToken::SELECTOR,
    ];
    data.len() >= 4 && selectors.iter().any(|s| data[..4] == s[..])
}

/// What the invariant checks read: each pool's state and the mesh's balances.
struct Books {
    states: Vec<State>,
    held: Vec<U256>,
}

fn books(world: &mut World, xau: Address, tokens: &[Address]) -> Books {
    let states = tokens.iter().map(|t| state(world, *t)).collect();
    let held = tokens.iter().chain([&xau]).map(|t| balance(world, *t, MESH)).collect();
    Books { states, held }
}

/// Counts of what the random sequences did: `(operation, succeeded)` and
/// the refusals by error selector.
type Tally = std::collections::BTreeMap<String, u64>;

fn tally(counts: &mut Tally, what: &str, outcome: &CallOutcome) {
    let kind = what.split(' ').next().unwrap_or(what);
    let key = if outcome.success {
        format!("{kind} ok")
    } else {
        let names = [
            (mesh::AccessControlUnauthorizedAccount::SELECTOR, "Unauthorized"),
            (mesh::EnforcedPause::SELECTOR, "EnforcedPause"),
            (mesh::SameToken::SELECTOR, "SameToken"),
            (mesh::ZeroAmount::SELECTOR, "ZeroAmount"),
            (mesh::BelowMinAmountOut::SELECTOR, "BelowMinAmountOut"),
            (mesh::ReserveBelowMinimum::SELECTOR, "ReserveBelowMinimum"),
            (mesh::OracleJumpTooLarge::SELECTOR, "OracleJumpTooLarge"),
            (mesh::StaleOracle::SELECTOR, "StaleOracle"),
            (mesh::TransferFailed::SELECTOR, "TransferFailed"),
            (mesh::BackendFailed::SELECTOR, "BackendFailed"),
            (mesh::ArithmeticOverflow::SELECTOR, "ArithmeticOverflow"),
        ];
        let name = names.iter().find(|(s, _)| outcome.return_data.starts_with(s)).map_or("?", |(_, n)| n);
        format!("{kind} refused: {name}")
    };
    *counts.entry(key).or_default() += 1;
}

/// Runs one random sequence of `ops` operations; returns a failure report.
#[allow(clippy::too_many_lines)]
fn run_sequence(seed: u64, ops: u64, counts: &mut Tally) -> Result<(), String> {
    let mut rng = Rng(seed);
    let mut env = env();
    let (xau, tokens, oracles) = (env.xau, env.tokens, env.oracles);
    let w = &mut env.world;
    // cEURT can switch to a DPP backend.
    let dpp_pool = reference_pool(w, tokens[2], xau, u(EUR_PRICE), (u(TOKEN_LIQUIDITY), u(XAU_LIQUIDITY)));
    let prices = [u(USD_PRICE), u(USD_PRICE), u(EUR_PRICE)];
    let mut log = Vec::new();
    let assets = [tokens[0], tokens[1], tokens[2], xau];
    for step in 0..ops {
        let before = books(w, xau, &tokens);
        let storage = w.storage_of(MESH);
        // A pause lasts a few operations.
        let kind = if view(w, &mesh::pausedCall {})._0 && rng.below(3) == 0 { 99 } else { rng.below(100) };
        let (caller, calldata, what): (Address, Vec<u8>, String) = match kind {
            0..=44 => {
                let token_in = rng.pick(&assets);
                // Mostly two different assets; sometimes the same one.
                let mut token_out = rng.pick(&assets);
                while token_out == token_in && rng.below(10) != 0 {
                    token_out = rng.pick(&assets);
                }
                let amount = if token_in == xau { rng.amount(9, 19) } else { rng.amount(0, 10) };
                // The minimum: none, the quote, or one more.
                let quote_call = mesh::quoteCall { tokenIn: token_in, tokenOut: token_out, amountIn: amount };
                let quoted = w.static_call(STRANGER, MESH, &quote_call.abi_encode());
                let quoted = quoted.success.then(|| U256::abi_decode(&quoted.return_data, true).unwrap());
                let min = match (rng.below(3), quoted) {
                    (1, Some(q)) => q,
                    (2, Some(q)) => q + u(1),
                    _ => U256::ZERO,
                };
                let call = swap_call(token_in, token_out, amount, min);
                let outcome = w.call(STABILIZER, MESH, &call.abi_encode(), U256::ZERO);
                if outcome.success {
                    let out = U256::abi_decode(&outcome.return_data, true).unwrap();
                    if Some(out) != quoted {
                        return Err(format!("step {step}: swap paid {out}, quote said {quoted:?}"));
                    }
                } else if quoted.is_some_and(|q| q >= min)
                    && !outcome.return_data.starts_with(&mesh::TransferFailed::SELECTOR)
                    && !outcome.return_data.starts_with(&mesh::EnforcedPause::SELECTOR)
                {
                    return Err(format!(
                        "step {step}: quoted {quoted:?} but the swap failed: 0x{}",
                        hex::encode(&outcome.return_data)
                    ));
                }
                log.push(format!("swap {amount} {token_in}->{token_out} min {min}: {}", outcome.success));
                tally(counts, "swap", &outcome);
                check(w, &outcome, &storage, step)?;
                check_books(w, xau, &tokens, &before, step, &log)?;
                continue;
            }
            45..=59 => {
                let token = rng.pick(&tokens);
                let (t, x) =
                    (rng.amount(0, 12) * u(rng.below(2).into()), rng.amount(9, 21) * u(rng.below(2).into()));
                (
                    LP,
                    mesh::depositCall { token, tokenAmount: t, xauAmount: x }.abi_encode(),
                    format!("deposit {t} {x} {token}"),
                )
            }
            60..=69 => {
                let token = rng.pick(&tokens);
                let s = state(w, token);
                // Up to all of a reserve: past its minimum sometimes.
                let t = s.0 * u(rng.below(101).into()) / u(100);
                let x = s.1 * u(rng.below(101).into()) / u(100);
                (
                    LP,
                    mesh::withdrawCall { token, tokenAmount: t, xauAmount: x, to: RECEIVER }.abi_encode(),
                    format!("withdraw {t} {x} {token}"),
                )
            }
            70..=79 => {
                let n = usize::try_from(rng.below(3)).unwrap();
                // Within ±2.5% of the starting price: sometimes beyond the 2% gap.
                let bps = i64::try_from(rng.below(501)).unwrap() - 250;
                let price = moved(prices[n], bps);
                send(w, FEEDER, oracles[n], &oracle::setPriceCall { price });
                log.push(format!("oracle {n} -> {bps} bps"));
                continue;
            }
            80..=87 => {
                let token = rng.pick(&tokens);
                (STRANGER, mesh::pokeCall { token }.abi_encode(), format!("poke {token}"))
            }
            88..=93 => {
                let blocks = 1 + rng.below(4);
                w.advance_blocks(blocks, 1);
                log.push(format!("advance {blocks}"));
                continue;
            }
            94..=97 => {
                let backend =
                    if state(w, tokens[2]).0.is_zero() || rng.below(2) == 0 { ZERO } else { dpp_pool };
                (
                    ADMIN,
                    mesh::setBackendCall { token: tokens[2], backend }.abi_encode(),
                    format!("backend {backend}"),
                )
            }
            98.. => {
                let paused = view(w, &mesh::pausedCall {})._0;
                if paused {
                    (ADMIN, mesh::unpauseCall {}.abi_encode(), "unpause".to_owned())
                } else {
                    (GUARDIAN, mesh::pauseCall {}.abi_encode(), "pause".to_owned())
                }
            }
        };
        let outcome = w.call(caller, MESH, &calldata, U256::ZERO);
        log.push(format!("{what}: {}", outcome.success));
        tally(counts, &what, &outcome);
        check(w, &outcome, &storage, step)?;
        check_books(w, xau, &tokens, &before, step, &log)?;
    }
    Ok(())
}

/// A refused operation: a named error, nothing changed.
fn check(
    world: &World,
    outcome: &CallOutcome,
    storage: &std::collections::HashMap<U256, B256>,
    step: u64,
) -> Result<(), String> {
    if outcome.success {
        return Ok(());
    }
    if outcome.error.is_some() || !known_error(&outcome.return_data) {
        return Err(format!("step {step}: not a named refusal: {outcome:?}"));
    }
    if world.storage_of(MESH) != *storage {
        return Err(format!("step {step}: a refused call changed storage"));
    }
    Ok(())
}

/// The invariants after every operation.
fn check_books(
    world: &mut World,
    xau: Address,
    tokens: &[Address],
    before: &Books,
    step: u64,
    log: &[String],
) -> Result<(), String> {
    let after = books(world, xau, tokens);
    let fail = |why: String| Err(format!("step {step}: {why}\n{}", log.join("\n")));
    let mut xau_recorded = U256::ZERO;
    for (n, s) in after.states.iter().enumerate() {
        // The tokens held are at least the recorded reserves.
        if after.held[n] < s.0 {
            return fail(format!("pool {n}: holds {} < token reserve {}", after.held[n], s.0));
        }
        xau_recorded += s.1;
        // A reserve never goes below its minimum (once it was at or above it).
        let was = &before.states[n];
        for (old, new, min) in [(was.0, s.0, u(MIN_TOKEN)), (was.1, s.1, u(MIN_XAU))] {
            if new < min && new < old {
                return fail(format!("pool {n}: reserve {old} -> {new} below its minimum {min}"));
            }
        }
        // The effective price moves at most 50 bps of itself per L2 block.
        let blocks = s.7.saturating_sub(was.7);
        let allowed = was.5 * U256::from(blocks) * u(u128::from(JUMP)) / u(10_000);
        let moved_by = if s.5 > was.5 { s.5 - was.5 } else { was.5 - s.5 };
        if moved_by > allowed {
            return fail(format!("pool {n}: price {} -> {} over {blocks} blocks", was.5, s.5));
        }
        if s.4 > 2 {
            return fail(format!("pool {n}: R state {}", s.4));
        }
    }
    if after.held[tokens.len()] < xau_recorded {
        return fail(format!("holds {} XAU < recorded {xau_recorded}", after.held[tokens.len()]));
    }
    Ok(())
}

#[test]
fn random_operation_sequences_keep_holdings_at_or_above_reserves() {
    let (sequences, ops) = (env_number("MESH_SEQUENCES", 200), env_number("MESH_OPS", 24));
    let seeds: Vec<u64> = match std::env::var("MESH_SEED") {
        Ok(seed) => vec![seed.parse().expect("MESH_SEED is a number")],
        Err(_) => (0..sequences).map(|n| 0x5eed_0000 + n).collect(),
    };
    let start = std::time::Instant::now();
    let mut counts = Tally::new();
    for seed in &seeds {
        if let Err(report) = run_sequence(*seed, ops, &mut counts) {
            panic!("sequence with MESH_SEED={seed} failed at {report}");
        }
    }
    println!("{} sequences of {ops} operations in {:.1} s", seeds.len(), start.elapsed().as_secs_f64());
    for (what, count) in &counts {
        println!("  {count:>6}  {what}");
    }
    let swaps_ok = counts.get("swap ok").copied().unwrap_or(0);
    let swaps: u64 = counts.iter().filter(|(k, _)| k.starts_with("swap")).map(|(_, c)| c).sum();
    assert!(swaps_ok * 4 > swaps, "at least a quarter of the swaps go through ({swaps_ok} of {swaps})");
}
