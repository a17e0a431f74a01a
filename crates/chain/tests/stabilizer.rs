//! The compiled Stabilizer wasm on the in-process chain.
//!
//! What it proves:
//! - the wasm packs, passes Nitro's activation checks and runs; the
//!   constructor grants the admin role only;
//! - the hand-written router answers the interface's encodings and refuses
//!   an unknown selector or malformed arguments with no data;
//! - every guard that refuses before an external call refuses with its
//!   named error and leaves storage and logs unchanged, including the
//!   congestion guard (`tx.gasprice`, the block's basefee on Arbitrum).
//!
//! - with FlashContainment and a DODO-compatible `PmmPool`: a deviation held
//!   for one block never trades (`SingleBlockSpike`, state unchanged); one
//!   held for `N` blocks turns `checkDeviation` on and passes every rule up
//!   to the ReserveSizer's release check; a depegged token is never sold
//!   (`TokenOffPeg`, state unchanged); `checkDeviation` answers "no
//!   correction" while FlashContainment's history is short.
//!
//! Not yet here: the full scenario with FlashContainment, the
//! PrivateMeshPool, the ReserveSizer and the Solidity `PmmPool` (sustained
//! deviation corrected, flash loan, one-block manipulation, sandwich,
//! depeg).
//!
//! Needs `target/stylus/stabilizer.wasm`
//! (`scripts/build-wasm`).

use std::sync::OnceLock;

use alloy_primitives::{address, keccak256, Address, B256, I256, U256};
use alloy_sol_types::{sol, SolCall, SolError};
use vault_chain::{artifacts::Artifact, CallOutcome, World};

sol! {
    // Stabilizer (abi/Stabilizer.sol).
    function stylusConstructor(address admin);
    function KEEPER_ROLE() external view returns (bytes32);
    function GUARDIAN_ROLE() external view returns (bytes32);
    function executePrivateSwap(uint256 tradeSize, address tokenIn, address tokenOut);
    function setContracts(address pool, address containment, address mesh, address reserveSizer, address oracle);
    function setParameters(uint64 minBlocks, uint256 k, uint64 maxSlippageBps, uint256 maxGasPrice, uint64 maxOracleAge);
    function setPegManagers(address stablecoinPegManager, address commodityPegManager, uint8 baseKind, uint8 quoteKind, uint64 maxPegDeviationBps);
    function setDirectionEnabled(address tokenIn, bool enabled);
    function parameters() external view returns (uint256[11]);
    function pause();
    function paused() external view returns (bool);
    function hasRole(bytes32 role, address account) external view returns (bool);
    function grantRole(bytes32 role, address account);

    error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
    error EnforcedPause();
    error ZeroAddress();
    error ParameterOutOfRange(uint8 parameter, uint256 value, uint256 min, uint256 max);
    error CongestionGuard(uint256 gasPrice, uint256 maxGasPrice);
    error UnknownTokenPair(address tokenIn, address tokenOut);
    error SingleBlockSpike(int256 deviationBps);
    error DeviationNotSustained(int256 deviationBps, uint64 streak);
    error ExternalCallFailed(address target);
    error WrongDirection(int256 deviationBps, address tokenIn);
    error TokenOffPeg(address token, int256 deviationBps);
    function pegManagerConstructor(address owner, uint256 pegBandBps);
    function setDeviationBps(address asset, int256 deviationBps);
    function checkDeviation() external view returns (int256 deviationBps, bool shouldRebalance);

    // FlashContainment (abi/FlashContainment.sol).
    function registerPool(address pool, address oracle, uint64 baseDecimals, uint64 quoteDecimals, uint64 thresholdBps, uint64 sustainBlocks, uint64 twapWindow, uint64 maxOracleAge, uint256 perBlockCap);
    function poke(address pool) external returns (bool);

    // Solidity fixtures (tests/solidity/src).
    function tokenConstructor(string name, string symbol, uint8 decimals, address holder, uint256 supply);
    function approve(address spender, uint256 amount) external returns (bool);
    function pmmConstructor(address owner, address maintainer, address baseToken, address quoteToken, uint256 lpFeeRate, uint256 mtFeeRate, uint256 i, uint256 k, bool isOpenTWAP);
    function deposit(uint256 baseAmount, uint256 quoteAmount);
    function setI(uint256 newI);
    function oracleConstructor(address owner, uint256 initialPrice);
}

const STAB: Address = address!("00000000000000000000000000000000000057ab");
const DEPLOYER: Address = address!("000000000000000000000000000000000000de91");
const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
const KEEPER: Address = address!("000000000000000000000000000000000000cee9");
const GUARDIAN: Address = address!("000000000000000000000000000000000000a4d1");
const STRANGER: Address = address!("0000000000000000000000000000000000005a11");
const TOKEN: Address = address!("0000000000000000000000000000000000007070");
const ADMIN_ROLE: B256 = B256::ZERO;
/// The congestion cap set here: 1 gwei.
const MAX_GAS_PRICE: u64 = 1_000_000_000;

fn packed(file: &str) -> Vec<u8> {
    let stem = file.strip_suffix(".wasm").unwrap_or(file);
    let wasm = vault_chain::artifacts::contract_wasm(stem).unwrap_or_else(|e| panic!("{e}"));
    vault_wasm_pack::pack(&wasm).expect("packs").code
}

fn code() -> Vec<u8> {
    static CODE: OnceLock<Vec<u8>> = OnceLock::new();
    CODE.get_or_init(|| packed("stabilizer.wasm")).clone()
}

/// `SOL_CONSTRUCTOR(admin)` as stylus-sdk 0.9 routes it.
fn constructor(admin: Address) -> Vec<u8> {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(&stylusConstructorCall { admin }.abi_encode()[4..]);
    data
}

fn ok(outcome: CallOutcome, what: &str) -> CallOutcome {
    assert!(outcome.success, "{what}: {outcome:?}");
    outcome
}

fn send<C: SolCall>(world: &mut World, from: Address, call: &C) -> C::Return {
    let outcome = ok(world.call(from, STAB, &call.abi_encode(), U256::ZERO), C::SIGNATURE);
    C::abi_decode_returns(&outcome.return_data, true).expect("return decodes")
}

fn view<C: SolCall>(world: &mut World, call: &C) -> C::Return {
    let outcome = ok(world.static_call(STRANGER, STAB, &call.abi_encode()), C::SIGNATURE);
    C::abi_decode_returns(&outcome.return_data, true).expect("return decodes")
}

/// The Stabilizer deployed with `ADMIN`, parameters set (`MIN_BLOCKS` 2,
/// `k` 1,000,000 tokens, 50 bps, 1 gwei, 1 hour) and the keeper and
/// guardian roles granted; no contracts set.
fn deployed() -> World {
    let mut world = World::new();
    world.deploy_code(STAB, code()).expect("Stabilizer loads");
    ok(world.call(DEPLOYER, STAB, &constructor(ADMIN), U256::ZERO), "constructor");
    let k = U256::from(1_000_000u64) * U256::from(10u64).pow(U256::from(18u8));
    let set = setParametersCall {
        minBlocks: 2,
        k,
        maxSlippageBps: 50,
        maxGasPrice: U256::from(MAX_GAS_PRICE),
        maxOracleAge: 3_600,
    };
    send(&mut world, ADMIN, &set);
    let keeper = view(&mut world, &KEEPER_ROLECall {})._0;
    let guardian = view(&mut world, &GUARDIAN_ROLECall {})._0;
    send(&mut world, ADMIN, &grantRoleCall { role: keeper, account: KEEPER });
    send(&mut world, ADMIN, &grantRoleCall { role: guardian, account: GUARDIAN });
    world
}

#[test]
fn deploys_with_the_admin_only() {
    let mut world = deployed();
    assert!(view(&mut world, &hasRoleCall { role: ADMIN_ROLE, account: ADMIN })._0);
    assert!(!view(&mut world, &hasRoleCall { role: ADMIN_ROLE, account: DEPLOYER })._0);
    assert_eq!(view(&mut world, &KEEPER_ROLECall {})._0, keccak256("KEEPER_ROLE"));
    assert_eq!(view(&mut world, &GUARDIAN_ROLECall {})._0, keccak256("GUARDIAN_ROLE"));
    let parameters = view(&mut world, &parametersCall {})._0;
    assert_eq!(parameters[0], U256::from(2u8));
    assert_eq!(parameters[3], U256::from(MAX_GAS_PRICE));
    assert!(!view(&mut world, &pausedCall {})._0);
}

/// Runs a call that must revert with `expected` and checks that it changed
/// no storage and kept no log.
fn refused(world: &mut World, name: &str, from: Address, calldata: &[u8], expected: &[u8]) {
    let storage = world.storage_of(STAB);
    let logs = world.logs().len();
    let outcome = world.call(from, STAB, calldata, U256::ZERO);
    assert!(!outcome.success, "{name}: accepted");
    assert_eq!(outcome.return_data, expected, "{name}: revert data");
    assert_eq!(world.storage_of(STAB), storage, "{name}: storage changed");
    assert_eq!(world.logs().len(), logs, "{name}: a log was kept");
}

#[test]
fn every_early_guard_refuses_with_its_error() {
    let mut world = deployed();
    let keeper_role = keccak256("KEEPER_ROLE");
    let swap = executePrivateSwapCall { tradeSize: U256::from(1u8), tokenIn: TOKEN, tokenOut: STRANGER };
    let unauthorized =
        |account, role| AccessControlUnauthorizedAccount { account, neededRole: role }.abi_encode();
    let bad_parameters = setParametersCall {
        minBlocks: 0,
        k: U256::from(1u8),
        maxSlippageBps: 50,
        maxGasPrice: U256::from(1u8),
        maxOracleAge: 60,
    };
    let cases: Vec<(&str, Address, Vec<u8>, Vec<u8>)> = vec![
        ("not admin", STRANGER, bad_parameters.abi_encode(), unauthorized(STRANGER, ADMIN_ROLE)),
        (
            "minBlocks 0",
            ADMIN,
            bad_parameters.abi_encode(),
            ParameterOutOfRange {
                parameter: 0,
                value: U256::ZERO,
                min: U256::from(1u8),
                max: U256::from(10_000u16),
            }
            .abi_encode(),
        ),
        (
            "zero contract",
            ADMIN,
            setContractsCall {
                pool: TOKEN,
                containment: Address::ZERO,
                mesh: TOKEN,
                reserveSizer: TOKEN,
                oracle: TOKEN,
            }
            .abi_encode(),
            ZeroAddress {}.abi_encode(),
        ),
        (
            "peg kind 3",
            ADMIN,
            setPegManagersCall {
                stablecoinPegManager: TOKEN,
                commodityPegManager: Address::ZERO,
                baseKind: 1,
                quoteKind: 3,
                maxPegDeviationBps: 50,
            }
            .abi_encode(),
            ParameterOutOfRange {
                parameter: 7,
                value: U256::from(3u8),
                min: U256::ZERO,
                max: U256::from(2u8),
            }
            .abi_encode(),
        ),
        (
            "guardian enables",
            GUARDIAN,
            setDirectionEnabledCall { tokenIn: TOKEN, enabled: true }.abi_encode(),
            unauthorized(GUARDIAN, ADMIN_ROLE),
        ),
        (
            "unknown token",
            ADMIN,
            setDirectionEnabledCall { tokenIn: TOKEN, enabled: false }.abi_encode(),
            UnknownTokenPair { tokenIn: TOKEN, tokenOut: Address::ZERO }.abi_encode(),
        ),
        ("not keeper", STRANGER, swap.abi_encode(), unauthorized(STRANGER, keeper_role)),
        (
            "unknown pair",
            KEEPER,
            swap.abi_encode(),
            UnknownTokenPair { tokenIn: TOKEN, tokenOut: STRANGER }.abi_encode(),
        ),
        ("unknown selector", ADMIN, vec![1, 2, 3, 4], Vec::new()),
        ("short calldata", ADMIN, vec![1, 2], Vec::new()),
    ];
    for (name, from, calldata, expected) in &cases {
        refused(&mut world, name, *from, calldata, expected);
    }
    // Malformed arguments: a `bool` word of 2, an address with a high byte.
    let mut not_bool = setDirectionEnabledCall { tokenIn: TOKEN, enabled: false }.abi_encode();
    not_bool[67] = 2;
    refused(&mut world, "bool 2", ADMIN, &not_bool, &[]);
    let mut dirty = swap.abi_encode();
    dirty[36] = 1;
    refused(&mut world, "dirty address", KEEPER, &dirty, &[]);
    // Congestion guard: the basefee (tx.gasprice on Arbitrum) above the cap.
    let price = U256::from(MAX_GAS_PRICE + 1);
    world.block_mut().basefee = price;
    let expected = CongestionGuard { gasPrice: price, maxGasPrice: U256::from(MAX_GAS_PRICE) }.abi_encode();
    refused(&mut world, "congestion", KEEPER, &swap.abi_encode(), &expected);
    world.block_mut().basefee = U256::from(MAX_GAS_PRICE);
    // Paused.
    send(&mut world, GUARDIAN, &pauseCall {});
    refused(&mut world, "paused", KEEPER, &swap.abi_encode(), &EnforcedPause {}.abi_encode());
}

const FC: Address = address!("00000000000000000000000000000000000f1a5c");
const OWNER: Address = address!("0000000000000000000000000000000000000e4e");
/// A stand-in ReserveSizer without code: its `canRelease` answers nothing.
const SIZER: Address = address!("0000000000000000000000000000000000005153");
const MESH: Address = address!("000000000000000000000000000000000000e5e5");
/// FlashContainment: θ = 10 bps, N = 3 and W = 3 L2 blocks.
const N: u64 = 3;

fn e18() -> U256 {
    U256::from(10u8).pow(U256::from(18u8))
}

fn args<C: SolCall>(call: &C) -> Vec<u8> {
    call.abi_encode()[4..].to_vec()
}

/// [`deployed`] plus FlashContainment (the Stabilizer's containment, its
/// pool registered), two 18-decimal tokens, a 1:1 `PmmPool` (no fees,
/// k = 0.5, 1,000,000 each side) and an oracle at 1.0, observed at par
/// for `W` blocks. Returns the world, the pool and its base and quote.
fn market() -> (World, Address, Address, Address) {
    market_observed(3)
}

/// [`market`] observed at par for `blocks` blocks (its window `W` is 3).
fn market_observed(blocks: usize) -> (World, Address, Address, Address) {
    let mut world = deployed();
    world.deploy_code(FC, packed("flash_containment.wasm")).expect("FlashContainment loads");
    ok(world.call(ADMIN, FC, &constructor(ADMIN), U256::ZERO), "FlashContainment constructor");
    let token = Artifact::load("TestToken").unwrap();
    let mut tokens = [Address::ZERO; 2];
    for (slot, symbol) in tokens.iter_mut().zip(["BASE", "QUOTE"]) {
        let ctor = tokenConstructorCall {
            name: symbol.into(),
            symbol: symbol.into(),
            decimals: 18,
            holder: OWNER,
            supply: U256::from(1_000_000_000u64) * e18(),
        };
        *slot = token.deploy(&mut world, OWNER, &args(&ctor)).expect("token deploys");
    }
    let [base, quote] = tokens;
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
    for token in [base, quote] {
        ok(
            world.call(OWNER, token, &approveCall { spender: pool, amount: depth }.abi_encode(), U256::ZERO),
            "approve",
        );
    }
    ok(
        world.call(
            OWNER,
            pool,
            &depositCall { baseAmount: depth, quoteAmount: depth }.abi_encode(),
            U256::ZERO,
        ),
        "deposit",
    );
    let oracle_ctor = oracleConstructorCall { owner: OWNER, initialPrice: e18() };
    let oracle =
        Artifact::load("PriceOracle").unwrap().deploy(&mut world, OWNER, &args(&oracle_ctor)).unwrap();
    let register = registerPoolCall {
        pool,
        oracle,
        baseDecimals: 18,
        quoteDecimals: 18,
        thresholdBps: 10,
        sustainBlocks: N,
        twapWindow: 3,
        maxOracleAge: 3_600,
        perBlockCap: U256::from(1_000u64) * e18(),
    };
    ok(world.call(ADMIN, FC, &register.abi_encode(), U256::ZERO), "registerPool");
    let poker = grantRoleCall { role: keccak256("POKER_ROLE"), account: OWNER };
    ok(world.call(ADMIN, FC, &poker.abi_encode(), U256::ZERO), "grant POKER_ROLE");
    send(
        &mut world,
        ADMIN,
        &setContractsCall { pool, containment: FC, mesh: MESH, reserveSizer: SIZER, oracle },
    );
    for _ in 0..blocks {
        ok(world.call(OWNER, FC, &pokeCall { pool }.abi_encode(), U256::ZERO), "poke");
        world.advance(1);
    }
    (world, pool, base, quote)
}

/// Issue 12, finding 7: while FlashContainment's history is shorter than
/// its window (no observation yet, then one), `checkDeviation` answers "no
/// correction" instead of reverting (`ExternalCallFailed` before), so a
/// keeper's loop needs no special case for a new pool.
#[test]
fn check_deviation_answers_while_the_history_is_short() {
    for observed in [0, 1, 2] {
        let (mut world, ..) = market_observed(observed);
        let outcome = world.static_call(STRANGER, STAB, &checkDeviationCall {}.abi_encode());
        assert!(outcome.success, "{observed} blocks observed: {outcome:?}");
        let answer = checkDeviationCall::abi_decode_returns(&outcome.return_data, true).unwrap();
        assert!(!answer.shouldRebalance, "{observed} blocks observed");
        assert_eq!(answer.deviationBps, I256::ZERO, "{observed} blocks observed at par");
    }
}

/// Sets the pool's `i` (its mid price at R = 1) and observes it.
fn move_and_poke(world: &mut World, pool: Address, i: U256) {
    ok(world.call(OWNER, pool, &setICall { newI: i }.abi_encode(), U256::ZERO), "setI");
    ok(world.call(OWNER, FC, &pokeCall { pool }.abi_encode(), U256::ZERO), "poke");
}

#[test]
fn a_one_block_manipulation_never_trades() {
    let (mut world, pool, base, quote) = market();
    assert!(!view(&mut world, &checkDeviationCall {}).shouldRebalance);
    // 1% above the oracle for one block, observed, then restored.
    move_and_poke(&mut world, pool, e18() * U256::from(101u8) / U256::from(100u8));
    world.advance(1);
    ok(world.call(OWNER, pool, &setICall { newI: e18() }.abi_encode(), U256::ZERO), "setI");
    assert!(!view(&mut world, &checkDeviationCall {}).shouldRebalance);
    let swap = executePrivateSwapCall { tradeSize: e18(), tokenIn: base, tokenOut: quote };
    let storage = world.storage_of(STAB);
    let outcome = world.call(KEEPER, STAB, &swap.abi_encode(), U256::ZERO);
    assert!(!outcome.success);
    let spike = SingleBlockSpike::abi_decode(&outcome.return_data, true).is_ok();
    let not_sustained = DeviationNotSustained::abi_decode(&outcome.return_data, true).is_ok();
    assert!(spike || not_sustained, "{outcome:?}");
    assert_eq!(world.storage_of(STAB), storage);
}

#[test]
fn a_sustained_deviation_turns_the_trigger_on() {
    let (mut world, pool, base, quote) = market();
    for _ in 0..N {
        move_and_poke(&mut world, pool, e18() * U256::from(101u8) / U256::from(100u8));
        world.advance(1);
    }
    let answer = view(&mut world, &checkDeviationCall {});
    assert!(answer.deviationBps > I256::ZERO, "{:?}", answer.deviationBps);
    assert!(answer.shouldRebalance);
    // Every rule up to the release check passes: the stand-in ReserveSizer
    // (no code) is the first to refuse.
    let swap = executePrivateSwapCall { tradeSize: e18(), tokenIn: base, tokenOut: quote };
    let outcome = world.call(KEEPER, STAB, &swap.abi_encode(), U256::ZERO);
    assert_eq!(outcome.return_data, ExternalCallFailed { target: SIZER }.abi_encode(), "{outcome:?}");
    // Selling quote would widen the deviation.
    let wrong = executePrivateSwapCall { tradeSize: e18(), tokenIn: quote, tokenOut: base };
    let outcome = world.call(KEEPER, STAB, &wrong.abi_encode(), U256::ZERO);
    assert!(!outcome.success && outcome.return_data[..4] == WrongDirection::SELECTOR, "{outcome:?}");
}

#[test]
fn a_depegged_token_is_never_sold() {
    let (mut world, pool, base, quote) = market();
    for _ in 0..N {
        move_and_poke(&mut world, pool, e18() * U256::from(101u8) / U256::from(100u8));
        world.advance(1);
    }
    let ctor = pegManagerConstructorCall { owner: OWNER, pegBandBps: U256::from(50u8) };
    let manager =
        Artifact::load("StablecoinPegManager").unwrap().deploy(&mut world, OWNER, &args(&ctor)).unwrap();
    let managers = setPegManagersCall {
        stablecoinPegManager: manager,
        commodityPegManager: Address::ZERO,
        baseKind: 1,
        quoteKind: 1,
        maxPegDeviationBps: 50,
    };
    send(&mut world, ADMIN, &managers);
    // The base token (the one the correction sells) is 3% below its peg.
    let depeg = setDeviationBpsCall { asset: base, deviationBps: I256::try_from(-300).unwrap() };
    ok(world.call(OWNER, manager, &depeg.abi_encode(), U256::ZERO), "setDeviationBps");
    let swap = executePrivateSwapCall { tradeSize: e18(), tokenIn: base, tokenOut: quote };
    let expected = TokenOffPeg { token: base, deviationBps: I256::try_from(-300).unwrap() }.abi_encode();
    refused(&mut world, "depegged base", KEEPER, &swap.abi_encode(), &expected);
}
