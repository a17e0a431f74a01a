//! The whole system on the in-process chain: the compiled Stabilizer,
//! FlashContainment, PrivateMeshPool and ReserveSizer wasm, wired as in
//! production, around a DODO-compatible Solidity `PmmPool` (the public
//! pool), OpenZeppelin `TestToken`s and the `PriceOracle`, `FlashAttacker`
//! and `StablecoinPegManager` fixtures. A keeper loop drives it exactly as
//! an off-chain keeper would: each L2 block it pokes FlashContainment, asks
//! `checkDeviation`, reads `keeperTrade`, lowers the size to the one that
//! reaches the peg (exact PMM off chain, `vault_math::sizing`) and sends
//! `executePrivateSwap` bounded by the pool's quote for that size.
//!
//! Acceptance items, one test each:
//! 1. a sustained 1% deviation (an external `sellBase`) is corrected to
//!    within ±10 bps within 5 L2 blocks of becoming sustained;
//! 2. a flash loan that moves the pool and restores it inside one
//!    transaction (even poking FlashContainment mid-manipulation) never
//!    trades;
//! 3. a manipulation held for one block never trades;
//! 4. a sandwich around the keeper's `executePrivateSwap` does not pay the
//!    attacker (P&L at the oracle price ≤ 0), both pushing the price further
//!    in the deviation's direction and, the classic way, trading ahead of the
//!    keeper in its own direction;
//! 5. a depegged stablecoin is never sold (`TokenOffPeg`, nothing changes).
//!
//! The keeper bounds each trade by the pool's exact quote for it (the
//! four-argument `executePrivateSwap`). App. A's three-argument form is
//! bounded by `maxSlippageBps` against the oracle only; the forced trades of
//! items 2, 3 and 5 use it.
//!
//! Every refusal is compared byte for byte with its `sol!` error, and a
//! refused call must leave the Stabilizer's and the mesh's storage, the
//! token balances of the Stabilizer, the mesh and the pool, and the log
//! count unchanged.
//!
//! # The market and the parameters (production values, not tuned per test)
//!
//! * Tokens: two 6-decimal stablecoins (`cUSDC` base, `cUSDT` quote) and an
//!   18-decimal XAU; pair oracle 1.0 (quote per base), XAU oracles 0.0003
//!   XAU per token.
//! * Public pool: DODO PMM, 1,000,000 of each token, `i` = 1.0, `k` = 0.1,
//!   LP fee 3 bps, no maintainer fee.
//! * FlashContainment: `θ` = 10 bps, `N` = 3 L2 blocks, `W` = 3 L2 blocks,
//!   oracle at most 1 hour old, per-block cap [`CAP_TOKENS`] = 25,000 base
//!   tokens (2.5% of the pool's depth).
//! * Stabilizer: `MIN_BLOCKS` = 1 (at most one execution per L2 block);
//!   `k` = [`K_TOKENS`] = 5,000,000 base tokens per 100% deviation: a PMM
//!   pool near equilibrium moves its price by about `2·k_pmm·x/depth` for a
//!   sale of `x`, so `depth/(2·k_pmm)` = 5,000,000 is the size that closes
//!   the whole deviation; maximum slippage 50 bps; `maxGasPrice` 1 gwei
//!   (Arbitrum's basefee floor is 0.01 gwei); oracle at most 1 hour old.
//!   Float: 200,000 of each token.
//! * PrivateMeshPool: one pool per stablecoin against XAU, 10,000,000
//!   tokens and 3,000 XAU each, `k` = 0.1, fee 3 bps, ramp 50 bps per block,
//!   gap 200 bps, oracle at most 1 hour old.
//! * ReserveSizer: both stablecoins held by the mesh, `T` = 15 minutes,
//!   safety 1.5×, a recorded peak outflow of 10,000 tokens a minute
//!   (required reserve 225,000).
//!
//! Needs the four contracts' wasm (`scripts/build-wasm`) and the committed
//! artifacts in `tests/solidity/artifacts`.

use std::sync::OnceLock;

use alloy_primitives::{address, keccak256, Address, Log, B256, I256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use vault_chain::{artifacts::Artifact, CallOutcome, World};
use vault_math::pmm::{PmmState, RState};
use vault_math::sizing::{self, FeeRates};

/// The Stabilizer (abi/Stabilizer.sol).
mod stab {
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
        function grantRole(bytes32 role, address account);

        #[derive(Debug)]
        event Stabilized(address indexed pool, address indexed tokenIn, address indexed tokenOut, uint256 amountIn, uint256 amountOut, uint256 meshReturned, int256 twapDeviationBps, uint256 oraclePrice, uint256 midPriceBefore, uint256 midPriceAfter, uint64 l2Block);

        error SingleBlockSpike(int256 deviationBps);
        error DeviationNotSustained(int256 deviationBps, uint64 streak);
        error TokenOffPeg(address token, int256 deviationBps);
        error PegOvershoot(uint256 tradeSize);
        error WrongDirection(int256 deviationBps, address tokenIn);
        error SlippageExceeded(uint256 amountOut, uint256 minAmountOut);
        error TradeTooLarge(uint256 tradeSize, uint256 maxTradeSize);
    }
}

/// The public pool's quotes (DODO's `querySellBase`/`querySellQuote`; the
/// `uint8` is DODO's `RState`).
mod dodo {
    alloy_sol_types::sol! {
        function querySellBase(address trader, uint256 payBaseAmount) external view returns (uint256 receiveQuoteAmount, uint256 mtFee, uint8 newRState, uint256 newBaseTarget);
        function querySellQuote(address trader, uint256 payQuoteAmount) external view returns (uint256 receiveBaseAmount, uint256 mtFee, uint8 newRState, uint256 newQuoteTarget);
    }
}

/// FlashContainment (abi/FlashContainment.sol).
mod fc {
    alloy_sol_types::sol! {
        function registerPool(address pool, address oracle, uint64 baseDecimals, uint64 quoteDecimals, uint64 thresholdBps, uint64 sustainBlocks, uint64 twapWindow, uint64 maxOracleAge, uint256 perBlockCap);
        function poke(address pool) external returns (bool);
        function sustained(address pool) external view returns (bool holds, int8 sign, uint64 streak);
        function remainingVolume(address pool) external view returns (uint256);
        function grantRole(bytes32 role, address account);
    }
}

/// PrivateMeshPool (abi/PrivateMeshPool.sol).
mod mesh {
    alloy_sol_types::sol! {
        function stylusConstructor(address admin, address xau);
        function registerPool(address token, address oracle, uint256 k, uint256 feeRate, uint256 minTokenReserve, uint256 minXauReserve, uint64 maxJumpBps, uint64 maxGapBps, uint64 maxOracleAge);
        function deposit(address token, uint256 tokenAmount, uint256 xauAmount);
        function grantRole(bytes32 role, address account);
    }
}

/// ReserveSizer (abi/ReserveSizer.sol).
mod sizer {
    alloy_sol_types::sol! {
        function configureAsset(address asset, address holder, address bridgeHolder, uint64 windowMinutes, uint64 safetyBps, uint64 bridgeLatencySeconds, uint64 peakWindowMinutes);
        function recordOutflow(address asset, uint256 amount);
        function canRelease(address asset, uint256 amount) external view returns (bool);
        function grantRole(bytes32 role, address account);
    }
}

/// Solidity fixtures (tests/solidity/src).
mod fx {
    alloy_sol_types::sol! {
        function tokenConstructor(string name, string symbol, uint8 decimals, address holder, uint256 supply);
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
        function attackerConstructor(address owner);
        function attack(address lender, uint256 borrowBase, uint256 borrowQuote, address pool, bool sellBaseFirst, uint256 amountIn, address target, bytes targetData) external returns (int256, int256);
        function lastTargetSuccess() external view returns (bool);
        function pegManagerConstructor(address owner, uint256 pegBandBps);
        function setDeviationBps(address asset, int256 deviationBps);
    }
}

const STAB: Address = address!("00000000000000000000000000000000000057ab");
const FC: Address = address!("00000000000000000000000000000000000f1a5c");
const MESH: Address = address!("00000000000000000000000000000000000e5400");
const SIZER: Address = address!("0000000000000000000000000000000000005153");
const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
const KEEPER: Address = address!("000000000000000000000000000000000000cee9");
/// Deploys and owns the tokens, the pools and the oracles.
const OWNER: Address = address!("0000000000000000000000000000000000000e4e");
const LP: Address = address!("0000000000000000000000000000000000001f01");
const REPORTER: Address = address!("000000000000000000000000000000000000be01");
/// An ordinary trader on the public pool.
const TRADER: Address = address!("0000000000000000000000000000000000007ade");
const ATTACKER: Address = address!("000000000000000000000000000000000000bad1");
const STRANGER: Address = address!("0000000000000000000000000000000000005a11");

/// FlashContainment: `θ` 10 bps, `N` 3 and `W` 3 L2 blocks, oracle ≤ 1 h.
const THETA_BPS: u64 = 10;
const N: u64 = 3;
const W: u64 = 3;
const MAX_ORACLE_AGE: u64 = 3_600;
/// FlashContainment's per-block cap, in whole base tokens.
const CAP_TOKENS: u64 = 25_000;
/// Stabilizer: `MIN_BLOCKS`, `k` (whole base tokens per 100% deviation),
/// maximum slippage, congestion cap (1 gwei).
const MIN_BLOCKS: u64 = 1;
const K_TOKENS: u64 = 5_000_000;
const MAX_SLIPPAGE_BPS: u64 = 50;
const MAX_GAS_PRICE: u64 = 1_000_000_000;
/// The public pool: depth per side (whole tokens), PMM `k` and LP fee (1e18).
const DEPTH_TOKENS: u64 = 1_000_000;
const POOL_K: u128 = 100_000_000_000_000_000;
const POOL_LP_FEE: u128 = 300_000_000_000_000;
/// The Stabilizer's float of each token (whole tokens).
const FLOAT_TOKENS: u64 = 200_000;
/// Decimals of the stablecoins.
const DECIMALS: u8 = 6;
/// The requirement: corrected to within 10 bps, within 5 L2 blocks.
const TOLERANCE_BPS: u64 = 10;
const BLOCKS_ALLOWED: u64 = 5;
/// Seconds per L2 block on this chain (Arbitrum mines about 4 a second; the
/// clock here counts whole seconds).
const BLOCK_SECONDS: u64 = 1;

fn e18() -> U256 {
    U256::from(10u8).pow(U256::from(18u8))
}

/// `amount` whole stablecoins in raw units.
fn tokens(amount: u64) -> U256 {
    U256::from(amount) * U256::from(10u8).pow(U256::from(DECIMALS))
}

/// Packed contract code by file stem, packed once for all tests.
type Codes = std::sync::Mutex<Vec<(String, Vec<u8>)>>;

fn packed(stem: &str) -> Vec<u8> {
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

fn artifact(name: &str) -> Artifact {
    Artifact::load(name).unwrap_or_else(|e| panic!("{e}"))
}

/// `SOL_CONSTRUCTOR(args)` as stylus-sdk 0.9 routes it.
fn constructor<C: SolCall>(call: &C) -> Vec<u8> {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(&args(call));
    data
}

fn args<C: SolCall>(call: &C) -> Vec<u8> {
    call.abi_encode()[4..].to_vec()
}

fn ok(outcome: CallOutcome, what: &str) -> CallOutcome {
    assert!(outcome.success, "{what}: {outcome:?}");
    outcome
}

/// Sends `call` to `to` from `from`; panics unless it succeeds.
fn send<C: SolCall>(world: &mut World, from: Address, to: Address, call: &C) -> C::Return {
    let outcome = ok(world.call(from, to, &call.abi_encode(), U256::ZERO), C::SIGNATURE);
    C::abi_decode_returns(&outcome.return_data, true).expect("return decodes")
}

/// A view, as `eth_call`: its return or its revert data.
fn try_view<C: SolCall>(world: &mut World, to: Address, call: &C) -> Result<C::Return, Vec<u8>> {
    let outcome = world.static_call(STRANGER, to, &call.abi_encode());
    if outcome.success {
        Ok(C::abi_decode_returns(&outcome.return_data, true).expect("return decodes"))
    } else {
        Err(outcome.return_data)
    }
}

fn view<C: SolCall>(world: &mut World, to: Address, call: &C) -> C::Return {
    try_view(world, to, call).unwrap_or_else(|data| panic!("{}: reverted {data:?}", C::SIGNATURE))
}

/// The system of every test.
struct System {
    world: World,
    /// The public DODO pool the Stabilizer corrects.
    pool: Address,
    /// A second, deeper pool of the same tokens: the flash-loan lender.
    lender: Address,
    base: Address,
    quote: Address,
    /// The pair oracle (quote per base), shared by FlashContainment and the
    /// Stabilizer.
    oracle: Address,
}

fn deploy_token(world: &mut World, symbol: &str, decimals: u8, supply: U256) -> Address {
    let ctor = fx::tokenConstructorCall {
        name: symbol.into(),
        symbol: symbol.into(),
        decimals,
        holder: OWNER,
        supply,
    };
    artifact("TestToken").deploy(world, OWNER, &args(&ctor)).expect("token deploys")
}

fn deploy_pmm(world: &mut World, base: Address, quote: Address, depth: U256) -> Address {
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
        send(world, OWNER, token, &fx::approveCall { spender: pool, amount: depth });
    }
    send(world, OWNER, pool, &fx::depositCall { baseAmount: depth, quoteAmount: depth });
    pool
}

fn deploy_oracle(world: &mut World, price: U256) -> Address {
    let ctor = fx::oracleConstructorCall { owner: OWNER, initialPrice: price };
    artifact("PriceOracle").deploy(world, OWNER, &args(&ctor)).expect("oracle deploys")
}

/// The PrivateMeshPool: one pool per stablecoin against XAU, funded by `LP`.
fn deploy_mesh(world: &mut World, base: Address, quote: Address, xau: Address) {
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
        send(world, OWNER, token, &fx::transferCall { to: LP, amount: mesh_tokens });
        send(world, OWNER, xau, &fx::transferCall { to: LP, amount: mesh_xau });
        send(world, LP, token, &fx::approveCall { spender: MESH, amount: U256::MAX });
        send(world, LP, xau, &fx::approveCall { spender: MESH, amount: U256::MAX });
        send(world, LP, MESH, &mesh::depositCall { token, tokenAmount: mesh_tokens, xauAmount: mesh_xau });
    }
}

/// The ReserveSizer: the mesh holds the reserve the Stabilizer draws on.
fn deploy_sizer(world: &mut World, base: Address, quote: Address) {
    world.deploy_code(SIZER, packed("reserve_sizer")).expect("ReserveSizer loads");
    let ctor = stab::stylusConstructorCall { admin: ADMIN };
    ok(world.call(ADMIN, SIZER, &constructor(&ctor), U256::ZERO), "ReserveSizer constructor");
    send(world, ADMIN, SIZER, &sizer::grantRoleCall { role: keccak256("REPORTER_ROLE"), account: REPORTER });
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
fn system() -> System {
    let mut world = World::new();
    world.advance(BLOCK_SECONDS);
    let supply = tokens(1_000_000_000);
    let base = deploy_token(&mut world, "cUSDC", DECIMALS, supply);
    let quote = deploy_token(&mut world, "cUSDT", DECIMALS, supply);
    let xau = deploy_token(&mut world, "XAU", 18, U256::from(1_000_000u64) * e18());
    let pool = deploy_pmm(&mut world, base, quote, tokens(DEPTH_TOKENS));
    let lender = deploy_pmm(&mut world, base, quote, tokens(5 * DEPTH_TOKENS));
    let oracle = deploy_oracle(&mut world, e18());

    // FlashContainment.
    world.deploy_code(FC, packed("flash_containment")).expect("FlashContainment loads");
    ok(world.call(ADMIN, FC, &constructor(&stab::stylusConstructorCall { admin: ADMIN }), U256::ZERO), "FC");
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
    send(&mut world, ADMIN, FC, &register);
    send(&mut world, ADMIN, FC, &fc::grantRoleCall { role: keccak256("STABILIZER_ROLE"), account: STAB });

    deploy_mesh(&mut world, base, quote, xau);
    deploy_sizer(&mut world, base, quote);

    // The Stabilizer.
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
    send(&mut world, ADMIN, STAB, &parameters);
    send(&mut world, ADMIN, STAB, &stab::grantRoleCall { role: keccak256("KEEPER_ROLE"), account: KEEPER });
    let contracts = stab::setContractsCall { pool, containment: FC, mesh: MESH, reserveSizer: SIZER, oracle };
    send(&mut world, ADMIN, STAB, &contracts);
    for token in [base, quote] {
        send(&mut world, OWNER, token, &fx::transferCall { to: STAB, amount: tokens(FLOAT_TOKENS) });
        for account in [TRADER, ATTACKER] {
            send(&mut world, OWNER, token, &fx::transferCall { to: account, amount: tokens(2_000_000) });
        }
    }
    let mut system = System { world, pool, lender, base, quote, oracle };
    for _ in 0..W {
        system.next_block();
        keeper_poke(&mut system);
    }
    system
}

/// `(mid, peg)`: the public pool's mid price and the oracle's peg in raw
/// units (quote per base, 1e18; the two tokens share their decimals).
fn mid_and_peg(s: &mut System) -> (U256, U256) {
    let (pool, oracle) = (s.pool, s.oracle);
    let mid = view(&mut s.world, pool, &fx::getMidPriceCall {}).midPrice;
    let price = view(&mut s.world, oracle, &fx::latestPriceCall {}).price;
    (mid, vault_math::stabilizer::raw_peg(price, DECIMALS, DECIMALS, false).unwrap())
}

/// The pool's spot deviation from the oracle in hundredths of a bp.
fn spot_deviation_centibps(s: &mut System) -> i64 {
    let (mid, peg) = mid_and_peg(s);
    let scaled = |v: U256| I256::try_from(v).unwrap() * I256::try_from(1_000_000).unwrap();
    let deviation = (scaled(mid) - scaled(peg)) / I256::try_from(peg).unwrap();
    i64::try_from(deviation).unwrap()
}

fn pmm_state(s: &mut System) -> PmmState {
    let pool = s.pool;
    let st = view(&mut s.world, pool, &fx::getPMMStateForCallCall {});
    let r = match st.R.to::<u8>() {
        0 => RState::One,
        1 => RState::AboveOne,
        _ => RState::BelowOne,
    };
    PmmState { i: st.i, k: st.K, b: st.B, q: st.Q, b0: st.B0, q0: st.Q0, r }
}

fn fees() -> FeeRates {
    FeeRates { lp: U256::from(POOL_LP_FEE), mt: U256::ZERO }
}

impl System {
    /// Mines one L2 block.
    fn next_block(&mut self) {
        self.world.advance(BLOCK_SECONDS);
    }

    fn block(&self) -> u64 {
        self.world.block().number
    }

    fn balance(&mut self, token: Address, account: Address) -> U256 {
        view(&mut self.world, token, &fx::balanceOfCall { account })._0
    }

    /// Sells `amount` of `token` (base or quote) into `pool` from `trader`
    /// (DODO settlement: transfer, then `sellBase`/`sellQuote`); returns what
    /// it paid.
    fn sell(&mut self, trader: Address, pool: Address, token: Address, amount: U256) -> U256 {
        send(&mut self.world, trader, token, &fx::transferCall { to: pool, amount });
        if token == self.base {
            send(&mut self.world, trader, pool, &fx::sellBaseCall { to: trader })._0
        } else {
            send(&mut self.world, trader, pool, &fx::sellQuoteCall { to: trader })._0
        }
    }

    /// Everything a refused call must leave as it was.
    fn snapshot(&mut self) -> Snapshot {
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
struct Snapshot {
    storage: Vec<(Address, U256, B256)>,
    balances: Vec<U256>,
    logs: usize,
}

/// The keeper's first transaction of a block: FlashContainment's poke.
/// Returns whether it recorded the block's observation.
fn keeper_poke(s: &mut System) -> bool {
    let pool = s.pool;
    send(&mut s.world, KEEPER, FC, &fc::pokeCall { pool })._0
}

/// What the keeper decides after its poke, from views only, as off chain.
enum Plan {
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
fn keeper_plan(s: &mut System) -> Plan {
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

fn keeper_send<C: SolCall>(s: &mut System, call: &C) -> CallOutcome {
    s.world.call(KEEPER, STAB, &call.abi_encode(), U256::ZERO)
}

fn stabilized(logs: &[Log]) -> Vec<stab::Stabilized> {
    logs.iter()
        .filter(|log| log.address == STAB)
        .filter_map(|log| stab::Stabilized::decode_log(log, true).ok().map(|decoded| decoded.data))
        .collect()
}

/// An external trader sells base until the pool's mid price is 1% below
/// the oracle (the largest sale that keeps it at or above 0.99).
fn push_one_percent_down(s: &mut System, trader: Address) -> U256 {
    let (_, peg) = mid_and_peg(s);
    let state = pmm_state(s);
    let target = peg * U256::from(99u8) / U256::from(100u8);
    let amount = sizing::max_correcting_base_in(&state, target, fees()).unwrap();
    let (pool, base) = (s.pool, s.base);
    s.sell(trader, pool, base, amount);
    amount
}

/// A market where an external sale pushed the pool 1% below the oracle and
/// the keeper observed it every block since, until FlashContainment counts
/// it sustained: returns the system in that block (after the keeper's
/// poke) and the block the sale happened in.
fn sustained_market() -> (System, u64) {
    let mut s = system();
    s.next_block();
    let start = s.block();
    push_one_percent_down(&mut s, TRADER);
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

#[test]
fn a_sustained_deviation_is_corrected_within_five_blocks() {
    let (mut s, start) = sustained_market();
    let sustained_at = s.block();
    assert_eq!(sustained_at, start + N - 1);
    let before = spot_deviation_centibps(&mut s);
    assert!((-10_000..=-9_990).contains(&before), "pushed to {before} centi-bps");
    let (base, quote) = (s.base, s.quote);
    let mut trades = Vec::new();
    let mut corrected_at = None;
    // The keeper's loop, from the block the deviation became sustained.
    for offset in 0..BLOCKS_ALLOWED + 3 {
        if offset > 0 {
            s.next_block();
            keeper_poke(&mut s);
        }
        match keeper_plan(&mut s) {
            Plan::Idle(_) => {}
            Plan::Refused(data) => panic!("block {offset}: keeperTrade refused {data:?}"),
            Plan::Send(call) => {
                assert_eq!((call.tokenIn, call.tokenOut), (quote, base), "the pool is low: sell quote");
                let float = s.balance(quote, STAB);
                let outcome = ok(keeper_send(&mut s, &call), "executePrivateSwap");
                let events = stabilized(&outcome.logs);
                assert_eq!(events.len(), 1);
                let event = &events[0];
                assert_eq!(event.amountIn, call.tradeSize);
                assert_eq!(event.l2Block, s.block());
                // The float comes back to at least size·(1 − slippage).
                let floor = call.tradeSize * U256::from(10_000 - MAX_SLIPPAGE_BPS) / U256::from(10_000u16);
                assert!(event.meshReturned >= floor, "{event:?}");
                assert_eq!(s.balance(quote, STAB), float - call.tradeSize + event.meshReturned);
                trades.push((offset, call.tradeSize, spot_deviation_centibps(&mut s)));
            }
        }
        let deviation = spot_deviation_centibps(&mut s);
        if corrected_at.is_none() && deviation.unsigned_abs() <= TOLERANCE_BPS * 100 {
            corrected_at = Some(offset + 1);
        }
    }
    let blocks = corrected_at.expect("never corrected");
    let after = spot_deviation_centibps(&mut s);
    println!("pushed {before} centi-bps; trades (block offset, size, deviation after): {trades:?}");
    println!("corrected in {blocks} L2 blocks from the sustained block; final deviation {after} centi-bps");
    assert!(blocks <= BLOCKS_ALLOWED, "{blocks} blocks");
    assert!(after.unsigned_abs() <= TOLERANCE_BPS * 100, "final deviation {after} centi-bps");
    // Exactly what this market needs: the cap (25,000) binds first, then the
    // keeper's peg-reaching size closes the rest, and nothing trades after.
    assert_eq!(blocks, 2);
    assert_eq!(trades.len(), 2);
    assert_eq!(trades[0].1, tokens(CAP_TOKENS));
    assert!(after <= 0, "never past the peg: {after}");
}

/// What a trade would change: the Stabilizer's and the mesh's storage and
/// their token balances.
fn inventory(s: &mut System) -> (Vec<(Address, U256, B256)>, Vec<U256>) {
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
fn refused<C: SolCall>(s: &mut System, call: &C, expected: &[u8]) {
    let before = s.snapshot();
    let outcome = keeper_send(s, call);
    assert!(!outcome.success, "accepted: {outcome:?}");
    assert_eq!(outcome.return_data, expected, "revert data");
    assert_eq!(s.snapshot(), before, "a refused trade changed the state");
}

/// The correcting trade of a pool below the oracle, at the cap.
fn sell_quote_at_cap(s: &System) -> stab::executePrivateSwap_0Call {
    stab::executePrivateSwap_0Call { tradeSize: tokens(CAP_TOKENS), tokenIn: s.quote, tokenOut: s.base }
}

/// The exact refusal while FlashContainment's trigger is off:
/// `SingleBlockSpike` for a live streak of one block, else
/// `DeviationNotSustained` with the streak.
fn not_sustained(s: &mut System) -> (Vec<u8>, u64) {
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

fn bps(value: i64) -> I256 {
    I256::try_from(value).unwrap()
}

#[test]
fn a_flash_loan_round_trip_never_trades() {
    let mut s = system();
    let ctor = fx::attackerConstructorCall { owner: ATTACKER };
    let attacker = artifact("FlashAttacker").deploy(&mut s.world, ATTACKER, &args(&ctor)).unwrap();
    for token in [s.base, s.quote] {
        send(&mut s.world, ATTACKER, token, &fx::transferCall { to: attacker, amount: tokens(100_000) });
    }
    let inventory_before = inventory(&mut s);
    let logs_before = s.world.logs().len();
    s.next_block();
    // Borrow base from the lender, sell it into the pool down to 3% below the
    // oracle, poke FlashContainment there (the block's first poke: the worst
    // case), buy it all back and repay, in one transaction.
    let (_, peg) = mid_and_peg(&mut s);
    let state = pmm_state(&mut s);
    let amount =
        sizing::max_correcting_base_in(&state, peg * U256::from(97u8) / U256::from(100u8), fees()).unwrap();
    let poke = fc::pokeCall { pool: s.pool }.abi_encode();
    let attack = fx::attackCall {
        lender: s.lender,
        borrowBase: amount,
        borrowQuote: U256::ZERO,
        pool: s.pool,
        sellBaseFirst: true,
        amountIn: amount,
        target: FC,
        targetData: poke.into(),
    };
    send(&mut s.world, ATTACKER, attacker, &attack);
    assert!(view(&mut s.world, attacker, &fx::lastTargetSuccessCall {})._0, "the poke inside ran");
    // Restored: the pool is back within the threshold of the oracle.
    assert!(spot_deviation_centibps(&mut s).unsigned_abs() < THETA_BPS * 100);
    // The keeper's poke finds the block observed; the spike is in the TWAP
    // but is one block: nothing to do, and a forced trade is a spike.
    assert!(!keeper_poke(&mut s));
    let Plan::Idle(twap) = keeper_plan(&mut s) else { panic!("the keeper would trade on a flash loan") };
    println!("flash loan of {amount} base: TWAP deviation {twap} bps in the spike block");
    assert!(twap < bps(-i64::try_from(THETA_BPS).unwrap()), "the spike shows in the TWAP: {twap}");
    let (expected, streak) = not_sustained(&mut s);
    assert_eq!(streak, 1);
    assert_eq!(expected, stab::SingleBlockSpike { deviationBps: twap }.abi_encode());
    let call = sell_quote_at_cap(&s);
    refused(&mut s, &call, &expected);
    // The next blocks: the spike is never sustained.
    for _ in 0..=N {
        s.next_block();
        assert!(keeper_poke(&mut s));
        assert!(matches!(keeper_plan(&mut s), Plan::Idle(_)), "block {}", s.block());
        let (expected, streak) = not_sustained(&mut s);
        assert_eq!(streak, 0);
        refused(&mut s, &call, &expected);
    }
    assert_eq!(inventory(&mut s), inventory_before, "the Stabilizer or the mesh moved");
    assert!(stabilized(&s.world.logs()[logs_before..]).is_empty());
}

#[test]
fn a_one_block_manipulation_never_trades() {
    let mut s = system();
    let inventory_before = inventory(&mut s);
    let logs_before = s.world.logs().len();
    s.next_block();
    // Block b: a trader sells base down to 1% below the oracle; the keeper
    // observes it.
    let (pool, quote) = (s.pool, s.quote);
    let quote_before = s.balance(quote, TRADER);
    push_one_percent_down(&mut s, TRADER);
    let received = s.balance(quote, TRADER) - quote_before;
    assert!(keeper_poke(&mut s));
    assert!(matches!(keeper_plan(&mut s), Plan::Idle(_)));
    let (expected, streak) = not_sustained(&mut s);
    assert_eq!(streak, 1);
    let call = sell_quote_at_cap(&s);
    refused(&mut s, &call, &expected);
    assert_eq!(expected[..4], stab::SingleBlockSpike::SELECTOR);
    // Block b + 1: the trader buys it back before the keeper's poke.
    s.next_block();
    s.sell(TRADER, pool, quote, received);
    assert!(spot_deviation_centibps(&mut s).unsigned_abs() < THETA_BPS * 100);
    for _ in 0..N {
        assert!(keeper_poke(&mut s));
        assert!(matches!(keeper_plan(&mut s), Plan::Idle(_)), "block {}", s.block());
        let (expected, streak) = not_sustained(&mut s);
        assert_eq!(streak, 0);
        refused(&mut s, &call, &expected);
        s.next_block();
    }
    assert_eq!(inventory(&mut s), inventory_before, "the Stabilizer or the mesh moved");
    assert!(stabilized(&s.world.logs()[logs_before..]).is_empty());
}

/// The attacker's P&L over a sandwich, in quote raw units at the oracle
/// price: the change of its quote balance plus its base change at the peg.
fn pnl(s: &mut System, before: (U256, U256)) -> I256 {
    let (base, quote) = (s.base, s.quote);
    let (_, peg) = mid_and_peg(s);
    let signed = |v: U256| I256::try_from(v).unwrap();
    let base_change = signed(s.balance(base, ATTACKER)) - signed(before.0);
    let quote_change = signed(s.balance(quote, ATTACKER)) - signed(before.1);
    quote_change + base_change * signed(peg) / signed(e18())
}

/// What a sandwich did.
struct Sandwich {
    /// The keeper's trade, decided before the front-run.
    call: stab::executePrivateSwap_1Call,
    /// Its outcome after the front-run.
    outcome: CallOutcome,
    /// The attacker's P&L in quote raw units at the oracle price.
    pnl: I256,
    /// The pool's mid price after the front-run, and the peg.
    mid_after_front: U256,
    peg: U256,
    /// FlashContainment's TWAP deviation (the Stabilizer's `checkDeviation`).
    twap: I256,
}

/// One sandwich on the sustained 1% deviation. The keeper first makes
/// `earlier` trades, one a block, as in the correction test; then, in the
/// next block, it decides its trade from the views, and the attacker sells
/// `front` of `front_token` into the pool ahead of it and, after it, sells
/// everything the front-run bought back into the pool.
fn sandwich(earlier: usize, front_token: fn(&System) -> Address, front: U256) -> Sandwich {
    let (mut s, _) = sustained_market();
    for _ in 0..earlier {
        let Plan::Send(call) = keeper_plan(&mut s) else { panic!("the keeper has a trade to send") };
        ok(keeper_send(&mut s, &call), "executePrivateSwap");
        s.next_block();
        assert!(keeper_poke(&mut s));
    }
    let Plan::Send(call) = keeper_plan(&mut s) else { panic!("the keeper has a trade to send") };
    let twap = view(&mut s.world, STAB, &stab::checkDeviationCall {}).deviationBps;
    let (pool, base, quote) = (s.pool, s.base, s.quote);
    let before = (s.balance(base, ATTACKER), s.balance(quote, ATTACKER));
    let token = front_token(&s);
    let bought = s.sell(ATTACKER, pool, token, front);
    let (mid_after_front, peg) = mid_and_peg(&mut s);
    let outcome = keeper_send(&mut s, &call);
    let back = if token == base { quote } else { base };
    s.sell(ATTACKER, pool, back, bought);
    let pnl = pnl(&mut s, before);
    Sandwich { call, outcome, pnl, mid_after_front, peg, twap }
}

/// Front-run sizes tried, in whole tokens: from 4% of the keeper's trade to
/// eight times it.
const FRONT_RUNS: [u64; 5] = [1_000, 5_000, 20_000, 50_000, 200_000];

/// The attacker sells base ahead of the keeper (pushes the price further
/// from the peg, in the deviation's direction), then buys it back.
#[test]
fn a_sandwich_pushing_the_deviation_further_does_not_pay() {
    for earlier in [0, 1] {
        for front in FRONT_RUNS {
            let Sandwich { call, outcome, pnl, .. } = sandwich(earlier, |s| s.base, tokens(front));
            println!(
                "keeper trade {} ({} quote raw): front-run sells {front} base: keeper success {}, attacker P&L {pnl} quote raw units",
                earlier + 1,
                call.tradeSize,
                outcome.success
            );
            // Selling base ahead of the keeper only makes its purchase
            // cheaper: its trade goes through, and the attacker buys back
            // dearer.
            assert!(outcome.success, "{outcome:?}");
            assert_eq!(stabilized(&outcome.logs).len(), 1);
            assert!(pnl < I256::ZERO, "front-run {front}: attacker P&L {pnl}");
        }
    }
}

/// The classic sandwich against the keeper's peg-reaching trade (its second
/// one here): the attacker buys base ahead of it (sells quote, moving the
/// price toward the peg), then sells that base back. The pool now pays less
/// than the keeper's bound: `SlippageExceeded` (or `WrongDirection` when the
/// front-run itself reached the peg), and the attacker pays the round trip.
/// Without the bound, the same trade would pass the peg (`PegOvershoot`).
#[test]
fn a_sandwich_ahead_of_a_peg_reaching_trade_does_not_pay() {
    for front in FRONT_RUNS {
        let Sandwich { call, outcome, pnl, mid_after_front, peg, twap } =
            sandwich(1, |s| s.quote, tokens(front));
        println!(
            "peg-reaching keeper trade: front-run sells {front} quote: attacker P&L {pnl} quote raw units"
        );
        assert!(!outcome.success);
        if mid_after_front < peg {
            let refusal = stab::SlippageExceeded::abi_decode(&outcome.return_data, true).unwrap();
            assert_eq!(refusal.minAmountOut, call.minAmountOut, "front-run {front}");
            assert!(refusal.amountOut < call.minAmountOut);
        } else {
            let expected = stab::WrongDirection { deviationBps: twap, tokenIn: call.tokenIn }.abi_encode();
            assert_eq!(outcome.return_data, expected, "front-run {front}");
        }
        assert!(stabilized(&outcome.logs).is_empty());
        assert!(pnl < I256::ZERO, "front-run {front}: attacker P&L {pnl}");
    }
}

/// The classic sandwich against the keeper's first trade, which the
/// per-block cap limits (it stops short of the peg): the attacker buys base
/// ahead of it, hoping the keeper's trade still fits before the peg and
/// lifts the price so that it can sell the base back higher. The keeper
/// bounds its trade by the pool's exact quote (the four-argument
/// `executePrivateSwap`), so any front-run that moves the pool makes it
/// revert (`SlippageExceeded`, or `WrongDirection` once the front-run passes
/// the peg) and the attacker pays its own round trip. Required: P&L ≤ 0.
#[test]
fn a_sandwich_ahead_of_a_capped_trade_does_not_pay() {
    // Without an attacker: what the float gains on the same trade.
    let (mut s, _) = sustained_market();
    let Plan::Send(call) = keeper_plan(&mut s) else { panic!("the keeper has a trade to send") };
    let alone = stabilized(&ok(keeper_send(&mut s, &call), "executePrivateSwap").logs)[0].meshReturned;
    println!("capped keeper trade alone: {} quote in, {alone} quote back from the mesh", call.tradeSize);
    let mut results = Vec::new();
    for front in FRONT_RUNS {
        let Sandwich { call, outcome, pnl, .. } = sandwich(0, |s| s.quote, tokens(front));
        let returned = stabilized(&outcome.logs).first().map(|event| event.meshReturned);
        println!(
            "capped keeper trade ({} quote raw): front-run sells {front} quote: keeper success {} (0x{}), mesh returned {returned:?}, attacker P&L {pnl} quote raw units",
            call.tradeSize,
            outcome.success,
            alloy_primitives::hex::encode(&outcome.return_data)
        );
        assert!(!outcome.success, "front-run {front}: the bounded keeper trade went through");
        let selector = outcome.return_data.get(..4).map(|bytes| <[u8; 4]>::try_from(bytes).unwrap());
        assert!(
            [Some(stab::SlippageExceeded::SELECTOR), Some(stab::WrongDirection::SELECTOR)]
                .contains(&selector),
            "front-run {front}: 0x{}",
            alloy_primitives::hex::encode(&outcome.return_data)
        );
        results.push((front, pnl));
    }
    for (front, pnl) in results {
        assert!(pnl <= I256::ZERO, "front-run {front}: attacker P&L {pnl}");
    }
}

#[test]
fn a_depegged_stablecoin_is_never_sold() {
    let (mut s, _) = sustained_market();
    let ctor = fx::pegManagerConstructorCall { owner: OWNER, pegBandBps: U256::from(50u8) };
    let manager = artifact("StablecoinPegManager").deploy(&mut s.world, OWNER, &args(&ctor)).unwrap();
    let managers = stab::setPegManagersCall {
        stablecoinPegManager: manager,
        commodityPegManager: Address::ZERO,
        baseKind: 1,
        quoteKind: 1,
        maxPegDeviationBps: 50,
    };
    send(&mut s.world, ADMIN, STAB, &managers);
    // The pool is 1% low: the correction sells quote, which its peg manager
    // reports 3% below its peg.
    let quote = s.quote;
    let depeg = fx::setDeviationBpsCall { asset: quote, deviationBps: bps(-300) };
    send(&mut s.world, OWNER, manager, &depeg);
    let expected = stab::TokenOffPeg { token: quote, deviationBps: bps(-300) }.abi_encode();
    let inventory_before = inventory(&mut s);
    let logs_before = s.world.logs().len();
    for block in 0..BLOCKS_ALLOWED {
        if block > 0 {
            s.next_block();
            assert!(keeper_poke(&mut s));
        }
        // The trigger holds, but the keeper view refuses, so a keeper sends
        // nothing; a forced trade is refused the same way.
        assert!(view(&mut s.world, STAB, &stab::checkDeviationCall {}).shouldRebalance);
        let Plan::Refused(data) = keeper_plan(&mut s) else {
            panic!("the keeper would sell a depegged token")
        };
        assert_eq!(data, expected);
        let call = sell_quote_at_cap(&s);
        refused(&mut s, &call, &expected);
    }
    assert_eq!(inventory(&mut s), inventory_before, "the Stabilizer or the mesh moved");
    assert!(stabilized(&s.world.logs()[logs_before..]).is_empty());
    // Control: back on its peg, the same correction goes through at once.
    let repeg = fx::setDeviationBpsCall { asset: quote, deviationBps: I256::ZERO };
    send(&mut s.world, OWNER, manager, &repeg);
    let Plan::Send(call) = keeper_plan(&mut s) else { panic!("the keeper has a trade to send") };
    assert_eq!(call.tokenIn, quote);
    let outcome = ok(keeper_send(&mut s, &call), "executePrivateSwap");
    assert_eq!(stabilized(&outcome.logs).len(), 1);
}
