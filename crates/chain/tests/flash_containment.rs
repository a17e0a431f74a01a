//! The compiled FlashContainment wasm on the in-process chain, against real
//! Solidity: DODO-compatible `PmmPool`s, OpenZeppelin `TestToken`s with 18
//! and 6 decimals, the `PriceOracle` stand-in and the `FlashAttacker`.
//!
//! What it proves:
//! - a flash loan that moves the pool and restores it inside one
//!   transaction changes no observation when the poke is not inside it
//!   (poke before and after in the same block; or only after);
//! - only keepers (`POKER_ROLE`) and the Stabilizer may poke: a poke inside
//!   a flash loan is refused, so the first-poke forge (two flash-loan pokes
//!   at a manipulated price make `shouldRebalance` true) and the first-poke
//!   suppression (a flash-loan poke at par every other block hides a real
//!   deviation) both fail, at `N = 2` and `N = 3`;
//! - the sustain rule counts blocks past `θ` of either sign within
//!   `2N − 1`: a pool flipped between `+θ'` and `−θ'` every block, or dipped
//!   into the band every other block, is sustained (the former rule, `N`
//!   consecutive same-sign blocks, never was), at `N = 2` and `N = 3`;
//! - a manipulation held for one block or for `N − 1` blocks never counts as
//!   sustained; a real deviation held for `N` blocks does, at exactly the
//!   `N`-th block; blocks nobody observed count as in band;
//! - the decimals mapping (18/6, 6/18, 18/18 pools);
//! - the per-block cap resets each L2 block (`ArbSys`, not `block.number`);
//! - every public function refuses each bad input with its exact custom
//!   error and leaves storage, logs and balances unchanged.
//!
//! Needs `target/stylus/flash_containment.wasm`
//! (`scripts/build-wasm`) and the committed artifacts in
//! `tests/solidity/artifacts`.

use std::sync::OnceLock;

use alloy_primitives::{address, hex, keccak256, Address, Log, B256, I256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent};
use vault_chain::{artifacts::Artifact, CallOutcome, World};

sol! {
    // FlashContainment (abi/FlashContainment.sol).
    function stylusConstructor(address admin);
    function STABILIZER_ROLE() external view returns (bytes32);
    function GUARDIAN_ROLE() external view returns (bytes32);
    function POKER_ROLE() external view returns (bytes32);
    function registerPool(address pool, address oracle, uint64 baseDecimals, uint64 quoteDecimals, uint64 thresholdBps, uint64 sustainBlocks, uint64 twapWindow, uint64 maxOracleAge, uint256 perBlockCap);
    function poke(address pool) external returns (bool);
    function consumeVolume(address pool, uint256 amount);
    function bindStabilizer(address pool, address stabilizer);
    function stabilizerOf(address pool) external view returns (address);
    function twapDeviation(address pool) external view returns (int256);
    function sustained(address pool) external view returns (bool holds, int8 sign, uint64 streak);
    function remainingVolume(address pool) external view returns (uint256);
    function checkDeviation(address pool) external view returns (int256 deviationBps, bool shouldRebalance);
    #[derive(Debug, PartialEq, Eq)]
    struct PoolStatus {
        uint64 blockNumber;
        uint64 observations;
        uint64 lastBlock;
        int32 lastDeviationBps;
        bool twapAvailable;
        int32 twapDeviationBps;
        int8 sign;
        uint64 streak;
        bool sustained;
        bool shouldRebalance;
        uint256 remainingVolume;
        bool paused;
    }
    function poolStatus(address pool) external view returns (PoolStatus memory);
    function poolConfig(address pool) external view returns (address oracle, uint64 baseDecimals, uint64 quoteDecimals, uint64 thresholdBps, uint64 sustainBlocks, uint64 twapWindow, uint64 maxOracleAge, uint256 perBlockCap);
    function pause();
    function unpause();
    function paused() external view returns (bool);
    function hasRole(bytes32 role, address account) external view returns (bool);
    function grantRole(bytes32 role, address account);
    function revokeRole(bytes32 role, address account);
    function renounceRole(bytes32 role, address confirmation);

    event PoolRegistered(address indexed pool, address indexed oracle, uint64 baseDecimals, uint64 quoteDecimals, uint64 thresholdBps, uint64 sustainBlocks, uint64 twapWindow, uint64 maxOracleAge, uint256 perBlockCap);
    event Observed(address indexed pool, uint64 indexed blockNumber, int32 deviationBps, int8 sign, uint64 streak, uint256 midPrice, uint256 oraclePrice);
    event SpikeIgnored(address indexed pool, uint64 indexed blockNumber, int32 deviationBps, uint64 streak);
    event DeviationSustained(address indexed pool, uint64 indexed blockNumber, int8 sign, uint64 streak);
    event StabilizerBound(address indexed pool, address indexed stabilizer);
    event VolumeConsumed(address indexed pool, address indexed stabilizer, uint64 blockNumber, uint256 amount, uint256 remaining);
    event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
    event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);
    event Paused(address account);
    event Unpaused(address account);

    error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
    error AccessControlBadConfirmation();
    error EnforcedPause();
    error ExpectedPause();
    error ZeroAddress();
    error UnknownPool(address pool);
    error PoolAlreadyRegistered(address pool);
    error ParameterOutOfRange(uint8 parameter, uint256 value, uint256 min, uint256 max);
    error ZeroAmount();
    error VolumeCapExceeded(address pool, uint256 amount, uint256 remaining);
    error WrongStabilizer(address pool, address caller, address bound);
    error InsufficientHistory(address pool);
    error PoolCallFailed(address pool);
    error OracleCallFailed(address oracle);
    error ZeroOraclePrice(address oracle);
    error StaleOracle(address oracle, uint256 updatedAt, uint64 maxAge);
    error ClockUnavailable();
    error ArithmeticOverflow();

    // Solidity fixtures (tests/solidity/src).
    function tokenConstructor(string name, string symbol, uint8 decimals, address holder, uint256 supply);
    function approve(address spender, uint256 amount) external returns (bool);
    function transfer(address to, uint256 amount) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
    function pmmConstructor(address owner, address maintainer, address baseToken, address quoteToken, uint256 lpFeeRate, uint256 mtFeeRate, uint256 i, uint256 k, bool isOpenTWAP);
    function deposit(uint256 baseAmount, uint256 quoteAmount);
    function sellBase(address to) external returns (uint256);
    function sellQuote(address to) external returns (uint256);
    function setI(uint256 newI);
    function getMidPrice() external view returns (uint256 midPrice);
    function oracleConstructor(address owner, uint256 initialPrice);
    function setPrice(uint256 price);
    function attackerConstructor(address owner);
    function attack(address lender, uint256 borrowBase, uint256 borrowQuote, address pool, bool sellBaseFirst, uint256 amountIn, address target, bytes targetData) external returns (int256, int256);
    function lastTargetSuccess() external view returns (bool);
    function lastTargetReturn() external view returns (bytes);
    function lastFirstLegOut() external view returns (uint256);
}

const FC: Address = address!("00000000000000000000000000000000000f1a5c");
const DEPLOYER: Address = address!("000000000000000000000000000000000000de91");
const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
const STABILIZER: Address = address!("00000000000000000000000000000000000057ab");
const GUARDIAN: Address = address!("000000000000000000000000000000000000a4d1");
const STRANGER: Address = address!("0000000000000000000000000000000000005a11");
const KEEPER: Address = address!("000000000000000000000000000000000000cee9");
/// Owns the tokens, pools, oracle and attacker.
const OWNER: Address = address!("0000000000000000000000000000000000000e4e");
const MAINTAINER: Address = address!("000000000000000000000000000000000000a1a1");
/// Never registered.
const UNKNOWN: Address = address!("0000000000000000000000000000000000000a55");
const ZERO: Address = Address::ZERO;
const ADMIN_ROLE: B256 = B256::ZERO;

/// θ = 50 bps, N = 3 L2 blocks, W = 3 L2 blocks, oracle max age 1 hour,
/// per-block cap 1,000 base tokens (18 decimals).
const THRESHOLD: u64 = 50;
const N: u64 = 3;
const W: u64 = 3;
const MAX_AGE: u64 = 3_600;

/// The contract's bounds (lib.rs), as `ParameterOutOfRange` reports them.
const RANGES: [(u64, u64); 6] = [(0, 36), (0, 36), (1, 5_000), (2, 32), (2, 4_096), (1, 86_400)];
/// `MAX_PER_BLOCK_CAP`, 2^128 − 1.
const MAX_CAP: U256 = U256::from_limbs([u64::MAX, u64::MAX, 0, 0]);

/// EVM bytecode `PUSH1 0 PUSH1 0 REVERT`: reverts with no data.
const REVERT_CODE: [u8; 5] = [0x60, 0x00, 0x60, 0x00, 0xfd];
/// EVM bytecode returning 64 zero bytes: `latestPrice() = (0, 0)`.
const ZEROS_CODE: [u8; 5] = [0x60, 0x40, 0x60, 0x00, 0xf3];

fn u(value: u64) -> U256 {
    U256::from(value)
}

fn e(exponent: u64) -> U256 {
    u(10).pow(u(exponent))
}

fn stabilizer_role() -> B256 {
    keccak256("STABILIZER_ROLE")
}

fn guardian_role() -> B256 {
    keccak256("GUARDIAN_ROLE")
}

fn poker_role() -> B256 {
    keccak256("POKER_ROLE")
}

fn code() -> Vec<u8> {
    static CODE: OnceLock<Vec<u8>> = OnceLock::new();
    CODE.get_or_init(|| {
        let wasm =
            vault_chain::artifacts::contract_wasm("flash_containment").unwrap_or_else(|e| panic!("{e}"));
        vault_wasm_pack::pack(&wasm).expect("FlashContainment packs").code
    })
    .clone()
}

/// `SOL_CONSTRUCTOR(admin)` as stylus-sdk 0.9 routes it.
fn constructor_calldata(admin: Address) -> Vec<u8> {
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

/// Calls `to` from `from` and decodes the return; panics when it fails.
fn send<C: SolCall>(world: &mut World, from: Address, to: Address, call: &C) -> C::Return {
    let outcome = ok(world.call(from, to, &call.abi_encode(), U256::ZERO), C::SIGNATURE);
    C::abi_decode_returns(&outcome.return_data, true).expect("return decodes")
}

/// A static call of a view from a stranger, decoded.
fn view<C: SolCall>(world: &mut World, to: Address, call: &C) -> C::Return {
    let outcome = ok(world.static_call(STRANGER, to, &call.abi_encode()), C::SIGNATURE);
    C::abi_decode_returns(&outcome.return_data, true).expect("return decodes")
}

fn bps(value: i64) -> I256 {
    I256::try_from(value).unwrap()
}

/// The pair of a pool: base and quote token decimals.
#[derive(Clone, Copy)]
struct Pair {
    base_decimals: u8,
    quote_decimals: u8,
}

/// A world with the FlashContainment constructed and its roles granted,
/// two tokens, the attacked pool and a deeper lender pool of the same pair
/// (both at 1:1 in whole tokens, no fees, k = 0.5), an oracle at 1.0 and
/// a funded flash attacker. The attacked pool is registered.
struct Chain {
    world: World,
    base: Address,
    quote: Address,
    pool: Address,
    lender: Address,
    oracle: Address,
    attacker: Address,
    pair: Pair,
    /// The registration's `N`.
    n: u64,
}

impl Chain {
    fn new(pair: Pair) -> Self {
        Self::with_sustain(pair, N)
    }

    /// [`Chain::new`] with the pool registered at sustain length `n`.
    fn with_sustain(pair: Pair, n: u64) -> Self {
        let mut world = World::new();
        world.deploy_code(FC, code()).expect("FlashContainment loads");
        ok(world.call(DEPLOYER, FC, &constructor_calldata(ADMIN), U256::ZERO), "constructor");
        let roles = [(stabilizer_role(), STABILIZER), (guardian_role(), GUARDIAN), (poker_role(), KEEPER)];
        for (role, account) in roles {
            send(&mut world, ADMIN, FC, &grantRoleCall { role, account });
        }
        let token = Artifact::load("TestToken").unwrap();
        let deploy_token = |world: &mut World, symbol: &str, decimals: u8| {
            let supply = u(1_000_000_000) * e(decimals.into());
            let ctor = tokenConstructorCall {
                name: symbol.into(),
                symbol: symbol.into(),
                decimals,
                holder: OWNER,
                supply,
            };
            token.deploy(world, OWNER, &args(&ctor)).expect("token deploys")
        };
        let base = deploy_token(&mut world, "BASE", pair.base_decimals);
        let quote = deploy_token(&mut world, "QUOTE", pair.quote_decimals);
        let mut chain =
            Self { world, base, quote, pool: ZERO, lender: ZERO, oracle: ZERO, attacker: ZERO, pair, n };
        chain.pool = chain.deploy_pool(1_000_000);
        chain.lender = chain.deploy_pool(10_000_000);
        let oracle = oracleConstructorCall { owner: OWNER, initialPrice: e(18) };
        chain.oracle =
            Artifact::load("PriceOracle").unwrap().deploy(&mut chain.world, OWNER, &args(&oracle)).unwrap();
        let attacker = attackerConstructorCall { owner: OWNER };
        chain.attacker = Artifact::load("FlashAttacker")
            .unwrap()
            .deploy(&mut chain.world, OWNER, &args(&attacker))
            .unwrap();
        // The attacker pays its own fees and slippage.
        let (b, q) = (chain.whole_base(100_000), chain.whole_quote(100_000));
        send(&mut chain.world, OWNER, base, &transferCall { to: chain.attacker, amount: b });
        send(&mut chain.world, OWNER, quote, &transferCall { to: chain.attacker, amount: q });
        let pool = chain.pool;
        chain.register(pool);
        chain
    }

    /// 18-decimal base, 6-decimal quote: the example pair.
    fn standard() -> Self {
        Self::sustaining(N)
    }

    /// [`Chain::standard`] with the pool registered at sustain length `n`.
    fn sustaining(n: u64) -> Self {
        Self::with_sustain(Pair { base_decimals: 18, quote_decimals: 6 }, n)
    }

    fn whole_base(&self, amount: u64) -> U256 {
        u(amount) * e(self.pair.base_decimals.into())
    }

    fn whole_quote(&self, amount: u64) -> U256 {
        u(amount) * e(self.pair.quote_decimals.into())
    }

    /// DODO's `i` for 1:1 in whole tokens: `10^(18 + q − b)`.
    fn par_i(&self) -> U256 {
        e(18 + u64::from(self.pair.quote_decimals)) / e(self.pair.base_decimals.into())
    }

    /// A zero-fee pool at 1:1 with `depth` whole tokens on each side.
    fn deploy_pool(&mut self, depth: u64) -> Address {
        let ctor = pmmConstructorCall {
            owner: OWNER,
            maintainer: MAINTAINER,
            baseToken: self.base,
            quoteToken: self.quote,
            lpFeeRate: U256::ZERO,
            mtFeeRate: U256::ZERO,
            i: self.par_i(),
            k: e(18) / u(2),
            isOpenTWAP: false,
        };
        let pool = Artifact::load("PmmPool").unwrap().deploy(&mut self.world, OWNER, &args(&ctor)).unwrap();
        let (b, q) = (self.whole_base(depth), self.whole_quote(depth));
        send(&mut self.world, OWNER, self.base, &approveCall { spender: pool, amount: b });
        send(&mut self.world, OWNER, self.quote, &approveCall { spender: pool, amount: q });
        send(&mut self.world, OWNER, pool, &depositCall { baseAmount: b, quoteAmount: q });
        pool
    }

    fn register(&mut self, pool: Address) {
        let call = registerPoolCall {
            pool,
            oracle: self.oracle,
            baseDecimals: self.pair.base_decimals.into(),
            quoteDecimals: self.pair.quote_decimals.into(),
            thresholdBps: THRESHOLD,
            sustainBlocks: self.n,
            twapWindow: W,
            maxOracleAge: MAX_AGE,
            perBlockCap: self.whole_base(1_000),
        };
        ok(self.world.call(ADMIN, FC, &call.abi_encode(), U256::ZERO), "registerPool");
    }

    /// Observes the pool at par in `W` consecutive blocks (enough history
    /// for the TWAP), then mines the next block.
    fn observe_at_par(&mut self) {
        for _ in 0..W {
            self.poke();
            self.next_block();
        }
    }

    /// Mines one L2 block, 1 s later.
    fn next_block(&mut self) {
        self.world.advance(1);
    }

    fn block(&self) -> u64 {
        self.world.block().number
    }

    fn poke(&mut self) -> CallOutcome {
        let pool = self.pool;
        ok(self.world.call(KEEPER, FC, &pokeCall { pool }.abi_encode(), U256::ZERO), "poke")
    }

    fn mid(&mut self) -> U256 {
        let pool = self.pool;
        view(&mut self.world, pool, &getMidPriceCall {}).midPrice
    }

    fn status(&mut self) -> PoolStatus {
        let pool = self.pool;
        view(&mut self.world, FC, &poolStatusCall { pool })._0
    }

    fn sustained(&mut self) -> (bool, i8, u64) {
        let pool = self.pool;
        let s = view(&mut self.world, FC, &sustainedCall { pool });
        (s.holds, s.sign, s.streak)
    }

    fn check(&mut self) -> (I256, bool) {
        let pool = self.pool;
        let c = view(&mut self.world, FC, &checkDeviationCall { pool });
        (c.deviationBps, c.shouldRebalance)
    }

    /// Moves the attacked pool's guide price to `bps` off par (a real,
    /// lasting move of the market the pool follows).
    fn set_deviation(&mut self, bps: i64) {
        let par = self.par_i();
        let i = par * u((10_000 + bps).unsigned_abs()) / u(10_000);
        let pool = self.pool;
        send(&mut self.world, OWNER, pool, &setICall { newI: i });
    }

    /// A real trade: sells `amount` whole quote tokens into the pool (the
    /// price of base goes up); returns the base bought.
    fn buy_base(&mut self, amount: u64) -> U256 {
        let (pool, quote) = (self.pool, self.quote);
        let amount = self.whole_quote(amount);
        send(&mut self.world, OWNER, quote, &transferCall { to: pool, amount });
        send(&mut self.world, OWNER, pool, &sellQuoteCall { to: OWNER })._0
    }

    /// Sells `amount` base back into the pool.
    fn sell_base(&mut self, amount: U256) {
        let (pool, base) = (self.pool, self.base);
        send(&mut self.world, OWNER, base, &transferCall { to: pool, amount });
        send(&mut self.world, OWNER, pool, &sellBaseCall { to: OWNER });
    }

    /// One flash-loan attack transaction: borrows `amount` whole quote
    /// tokens from the lender, buys base in the attacked pool with them,
    /// optionally pokes FlashContainment while the price is moved, sells
    /// the base back and repays, all in one transaction.
    fn flash_attack(&mut self, amount: u64, poke_inside: bool) -> CallOutcome {
        let amount_in = self.whole_quote(amount);
        let (target, target_data) = if poke_inside {
            (FC, pokeCall { pool: self.pool }.abi_encode().into())
        } else {
            (ZERO, Vec::new().into())
        };
        let call = attackCall {
            lender: self.lender,
            borrowBase: U256::ZERO,
            borrowQuote: amount_in,
            pool: self.pool,
            sellBaseFirst: false,
            amountIn: amount_in,
            target,
            targetData: target_data,
        };
        let attacker = self.attacker;
        ok(self.world.call(OWNER, attacker, &call.abi_encode(), U256::ZERO), "attack")
    }

    /// The deviation in bps the contract must record for the pool's
    /// current mid price against the oracle at 1.0, computed here
    /// independently: `(mid × 10^b − 10^18 × 10^q) / (10^18 × 10^q)`,
    /// truncated toward zero.
    fn expected_deviation(&mut self) -> i64 {
        let mid = self.mid() * e(self.pair.base_decimals.into());
        let reference = e(18) * e(self.pair.quote_decimals.into());
        let magnitude =
            if mid >= reference { mid - reference } else { reference - mid } * u(10_000) / reference;
        let magnitude = i64::try_from(magnitude).unwrap();
        if mid >= reference {
            magnitude
        } else {
            -magnitude
        }
    }
}

/// The logs of `outcome` emitted by FlashContainment, decoded as `E`.
fn events<E: SolEvent>(logs: &[Log]) -> Vec<E> {
    logs.iter()
        .filter(|log| log.address == FC && log.topics().first() == Some(&E::SIGNATURE_HASH))
        .map(|log| E::decode_log_data(&log.data, true).expect("event decodes"))
        .collect()
}

fn observed(logs: &[Log]) -> Vec<Observed> {
    events::<Observed>(logs)
}

// -------------------------------------------------------------- basic flow

#[test]
fn constructor_roles_and_registration() {
    let mut chain = Chain::standard();
    let world = &mut chain.world;
    assert!(view(world, FC, &hasRoleCall { role: ADMIN_ROLE, account: ADMIN })._0);
    assert!(!view(world, FC, &hasRoleCall { role: ADMIN_ROLE, account: DEPLOYER })._0);
    assert_eq!(view(world, FC, &STABILIZER_ROLECall {})._0, stabilizer_role());
    assert_eq!(view(world, FC, &GUARDIAN_ROLECall {})._0, guardian_role());
    assert_eq!(view(world, FC, &POKER_ROLECall {})._0, poker_role());
    let pool = chain.pool;
    let config = view(&mut chain.world, FC, &poolConfigCall { pool });
    assert_eq!(
        (config.oracle, config.baseDecimals, config.quoteDecimals, config.thresholdBps),
        (chain.oracle, 18, 6, THRESHOLD)
    );
    assert_eq!((config.sustainBlocks, config.twapWindow, config.maxOracleAge), (N, W, MAX_AGE));
    assert_eq!(config.perBlockCap, chain.whole_base(1_000));
    // The registration event, decoded with the sol! declaration.
    let registered = events::<PoolRegistered>(chain.world.logs());
    assert_eq!(registered.len(), 1);
    assert_eq!((registered[0].pool, registered[0].oracle), (pool, chain.oracle));
    assert_eq!((registered[0].sustainBlocks, registered[0].perBlockCap), (N, chain.whole_base(1_000)));
    // The pool prices exactly at par: deviation 0.
    assert_eq!(chain.mid(), e(6));
    let outcome = chain.poke();
    let obs = observed(&outcome.logs);
    assert_eq!(obs.len(), 1);
    let o = &obs[0];
    assert_eq!((o.pool, o.blockNumber, o.deviationBps, o.sign, o.streak), (pool, chain.block(), 0, 0, 0));
    assert_eq!((o.midPrice, o.oraclePrice), (e(6), e(18)));
}

#[test]
fn decimals_map_dodo_raw_prices_to_the_oracle() {
    for (base_decimals, quote_decimals) in [(18, 6), (6, 18), (18, 18), (6, 6)] {
        let mut chain = Chain::new(Pair { base_decimals, quote_decimals });
        assert_eq!(chain.mid(), chain.par_i(), "{base_decimals}/{quote_decimals}");
        for deviation in [0, 37, -125] {
            chain.set_deviation(deviation);
            let outcome = chain.poke();
            let o = &observed(&outcome.logs)[0];
            assert_eq!(i64::from(o.deviationBps), deviation, "{base_decimals}/{quote_decimals}");
            assert_eq!(i64::from(o.deviationBps), chain.expected_deviation());
            chain.next_block();
        }
        // A real trade: the contract's figure equals the independent one.
        chain.buy_base(20_000);
        let outcome = chain.poke();
        let recorded = i64::from(observed(&outcome.logs)[0].deviationBps);
        assert_eq!(recorded, chain.expected_deviation());
        assert!(recorded > 0, "buying base raises its price");
    }
}

// ------------------------------------------------------- flash-loan defence

#[test]
fn a_flash_loan_between_two_pokes_of_a_block_changes_no_observation() {
    let mut chain = Chain::standard();
    chain.poke();
    chain.next_block();
    let first = chain.poke();
    assert!(poke_return(&first));
    let recorded = observed(&first.logs)[0].clone();
    let storage = chain.world.storage_of(FC);

    // Same L2 block: a flash loan moves the pool and restores it, with no poke inside.
    let attack = chain.flash_attack(300_000, false);
    assert!(attack.logs.iter().all(|log| log.address != FC), "FlashContainment saw nothing");
    assert_eq!(chain.world.storage_of(FC), storage);
    // A poke after it in the same block is ignored.
    let after = chain.poke();
    assert!(!poke_return(&after));
    assert!(after.logs.is_empty());
    assert_eq!(chain.world.storage_of(FC), storage, "the block's observation is unchanged");
    let s = chain.status();
    assert_eq!((s.lastBlock, s.lastDeviationBps, s.observations), (recorded.blockNumber, 0, 2));

    // A poke inside a flash loan later in the same block is refused.
    let attack = chain.flash_attack(300_000, true);
    let attacker = chain.attacker;
    assert!(!view(&mut chain.world, attacker, &lastTargetSuccessCall {})._0, "the inner poke was refused");
    let inner = view(&mut chain.world, attacker, &lastTargetReturnCall {})._0;
    assert_eq!(inner.to_vec(), unauthorized(attacker, poker_role()));
    assert!(attack.logs.iter().all(|log| log.address != FC));
    assert_eq!(chain.world.storage_of(FC), storage);
}

#[test]
fn a_flash_loan_restored_in_its_transaction_leaves_the_next_poke_unchanged() {
    // The same pool history twice; in the second world a flash loan runs
    // in block 2 before the block's first poke. The observations are
    // identical to the wei.
    let mut clean = Chain::standard();
    let mut attacked = Chain::standard();
    let mut records = [Vec::new(), Vec::new()];
    for (index, chain) in [&mut clean, &mut attacked].into_iter().enumerate() {
        for block in 0..4 {
            chain.next_block();
            if index == 1 && block == 2 {
                let before = chain.mid();
                let attack = chain.flash_attack(300_000, false);
                let first_leg = view(&mut chain.world, chain.attacker, &lastFirstLegOutCall {})._0;
                assert!(first_leg > U256::ZERO, "the attack traded: {attack:?}");
                assert_eq!(chain.mid(), before, "the pool is restored to the wei");
            }
            let outcome = chain.poke();
            let o = observed(&outcome.logs)[0].clone();
            records[index].push((o.blockNumber, o.deviationBps, o.streak, o.midPrice));
        }
    }
    assert_eq!(records[0], records[1]);
    assert_eq!(clean.status(), attacked.status());
}

#[test]
fn an_outsider_cannot_poke_not_even_inside_a_flash_loan() {
    let mut chain = Chain::standard();
    let (pool, attacker) = (chain.pool, chain.attacker);
    let storage = chain.world.storage_of(FC);
    for caller in [STRANGER, ADMIN, GUARDIAN, OWNER] {
        let outcome = chain.world.call(caller, FC, &pokeCall { pool }.abi_encode(), U256::ZERO);
        assert_eq!(outcome.return_data, unauthorized(caller, poker_role()), "{caller}");
    }
    let attack = chain.flash_attack(300_000, true);
    assert!(attack.logs.iter().all(|log| log.address != FC));
    assert!(!view(&mut chain.world, attacker, &lastTargetSuccessCall {})._0);
    assert_eq!(chain.world.storage_of(FC), storage, "nothing recorded");
    // The keeper and the Stabilizer may.
    assert!(poke_return(&chain.poke()));
    chain.next_block();
    let outcome = chain.world.call(STABILIZER, FC, &pokeCall { pool }.abi_encode(), U256::ZERO);
    assert!(poke_return(&ok(outcome, "the Stabilizer pokes")));
}

/// Finding: two blocks whose first poke an outsider makes inside a flash
/// loan (pool pushed, poke, pool restored) made `shouldRebalance` true, and
/// it stayed true in the next block before anyone poked. Now the inner poke
/// is refused and the keeper's pokes record the pool as it really is.
#[test]
fn the_first_poke_forge_fails_at_n_2_and_3() {
    for n in [2, 3] {
        let mut chain = Chain::sustaining(n);
        chain.observe_at_par();
        for block in 0..n {
            let attack = chain.flash_attack(300_000, true);
            assert!(attack.success);
            // The keeper pokes after it, in the same block: the pool is restored.
            chain.poke();
            assert!(!chain.check().1, "N = {n}, block {block}: forged trigger");
            chain.next_block();
        }
        assert_eq!(chain.check(), (bps(0), false), "N = {n}: nothing pending in the next block");
        assert!(!chain.sustained().0);
    }
}

/// Finding: the pool really sits at −80 bps; an outsider's flash loan
/// pushes it to par and pokes first every other block, which gave 0
/// triggers in 40 blocks. Now the keeper's pokes record −80 every block
/// and the deviation is sustained at the `N`-th.
#[test]
fn the_first_poke_suppression_fails_at_n_2_and_3() {
    for n in [2, 3] {
        let mut chain = Chain::sustaining(n);
        chain.observe_at_par();
        chain.set_deviation(-80);
        let mut first_trigger = None;
        for block in 0..40 {
            if block % 2 == 0 {
                // About 80 bps of base bought and sold back inside the loan.
                chain.flash_attack(4_000, true);
            }
            chain.poke();
            if first_trigger.is_none() && chain.check().1 {
                first_trigger = Some(block);
                assert_eq!(chain.check(), (bps(-80), true));
            }
            chain.next_block();
        }
        assert_eq!(first_trigger, Some(n - 1), "N = {n}: sustained at the N-th observed block");
    }
}

/// Finding: without any manipulated observation, a pool flipped between
/// `+θ'` and `−θ'` every block, or dipped into the band every other block,
/// was never sustained under "N consecutive blocks past θ with one sign".
/// Each is now sustained at the `N`-th block past `θ`, on the side of the
/// newest observation.
#[test]
fn sign_alternation_and_band_dipping_are_sustained_at_n_2_and_3() {
    let patterns: [(&str, [i64; 2]); 2] = [("sign alternation", [80, -80]), ("band dipping", [-90, -20])];
    for n in [2, 3] {
        for (name, pattern) in patterns {
            let mut chain = Chain::sustaining(n);
            chain.observe_at_par();
            let mut flags = Vec::new();
            for block in 0..2 * n {
                let deviation = pattern[usize::try_from(block % 2).unwrap()];
                chain.set_deviation(deviation);
                chain.poke();
                flags.push(deviation.unsigned_abs() > THRESHOLD);
                // Blocks past θ among the last 2N − 1.
                let span = usize::try_from(2 * n - 1).unwrap();
                let past = flags.iter().rev().take(span).filter(|&&f| f).count() as u64;
                let expected = past >= n && deviation.unsigned_abs() > THRESHOLD;
                let (deviation_bps, trigger) = chain.check();
                assert_eq!(trigger, expected, "{name}, N = {n}, block {block}: the trigger");
                let (holds, sign, count) = chain.sustained();
                assert_eq!((holds, count), (expected, past), "{name}, N = {n}, block {block}");
                if expected {
                    // The side to correct is the newest observation's.
                    assert_eq!((deviation_bps, i64::from(sign)), (bps(deviation), deviation.signum()));
                }
                chain.next_block();
            }
            assert!(chain.sustained().2 >= n - 1, "{name}: the pattern reached N");
        }
    }
}

// ------------------------------------------------------- the sustain rule

#[test]
fn a_manipulation_held_for_one_block_or_n_minus_1_blocks_never_sustains() {
    for held in 1..N {
        let mut chain = Chain::standard();
        chain.observe_at_par();
        // A real trade moves the pool and stays for `held` blocks.
        let bought = chain.buy_base(50_000);
        for _ in 0..held {
            let outcome = chain.poke();
            let o = observed(&outcome.logs)[0].clone();
            assert!(o.deviationBps > 50);
            assert_eq!(events::<SpikeIgnored>(&outcome.logs).len(), 1);
            assert!(!chain.sustained().0 && !chain.check().1, "held {held}");
            chain.next_block();
        }
        // Reversed: back in band, nothing to act on.
        chain.sell_base(bought);
        let outcome = chain.poke();
        assert!(observed(&outcome.logs)[0].deviationBps.unsigned_abs() <= 50);
        assert_eq!(chain.sustained(), (false, 0, held));
        assert!(!chain.check().1);
    }
}

#[test]
fn a_real_deviation_held_for_n_blocks_is_sustained_at_exactly_the_nth_block() {
    let mut chain = Chain::standard();
    chain.observe_at_par();
    chain.set_deviation(-80);
    let start = chain.block();
    for k in 1..=N + 1 {
        let outcome = chain.poke();
        let o = observed(&outcome.logs)[0].clone();
        assert_eq!((o.deviationBps, o.sign, o.streak), (-80, -1, k));
        let sustained = events::<DeviationSustained>(&outcome.logs);
        if k < N {
            assert!(sustained.is_empty());
            assert_eq!(events::<SpikeIgnored>(&outcome.logs).len(), 1);
            assert_eq!(chain.sustained(), (false, -1, k));
            assert!(!chain.check().1);
        } else {
            // Sustained from the N-th consecutive observed block on.
            assert_eq!(sustained.len(), usize::from(k == N), "the event marks the onset only");
            if k == N {
                assert_eq!(
                    (sustained[0].blockNumber, sustained[0].sign, sustained[0].streak),
                    (start + N - 1, -1, N)
                );
            }
            assert_eq!(chain.sustained(), (true, -1, k));
            assert_eq!(chain.check(), (bps(-80), true));
            // The TWAP's epoch window: the previous epoch of W blocks and
            // the current one, par before `start`, −80 from it.
            let now = chain.block();
            let from = (now / W - 1) * W;
            let blocks = W + now % W + 1;
            let twap =
                -80 * i64::try_from(now + 1 - start.max(from)).unwrap() / i64::try_from(blocks).unwrap();
            let s = chain.status();
            assert_eq!((s.sustained, s.shouldRebalance, i64::from(s.twapDeviationBps)), (true, true, twap));
        }
        chain.next_block();
    }
}

#[test]
fn unobserved_blocks_count_as_in_band_and_the_signal_lapses_after_one() {
    let mut chain = Chain::standard();
    chain.set_deviation(120);
    for _ in 0..N {
        chain.poke();
        chain.next_block();
    }
    // This block is not observed yet: the newest observation is still live.
    assert_eq!(chain.sustained(), (true, 1, N));
    assert_eq!(chain.check(), (bps(120), true));
    // A whole block without an observation: nothing to act on, although
    // the N blocks are still within the span of 2N − 1.
    chain.next_block();
    assert_eq!(chain.sustained(), (false, 0, N));
    assert_eq!(chain.check(), (bps(0), false));
    // The next observation past θ: N + 1 of the last 2N − 1 blocks.
    chain.set_deviation(60);
    let outcome = chain.poke();
    assert_eq!(observed(&outcome.logs)[0].streak, N + 1);
    assert_eq!(chain.check(), (bps(60), true));
    // After a long silence the history is gone: one block is a spike.
    chain.world.advance_blocks(2 * N, 1);
    let outcome = chain.poke();
    assert_eq!(observed(&outcome.logs)[0].streak, 1);
    assert_eq!(events::<SpikeIgnored>(&outcome.logs).len(), 1);
    assert_eq!(chain.sustained(), (false, 1, 1));
    assert_eq!(chain.check(), (bps(60), false));
}

#[test]
fn the_clock_is_the_l2_block_from_arbsys() {
    let mut chain = Chain::standard();
    // Many L2 blocks share one L1 block number (it moves once per 12 s).
    let l1 = chain.world.block().l1_number;
    for _ in 0..N {
        chain.next_block();
        chain.set_deviation(90);
        let outcome = chain.poke();
        assert!(poke_return(&outcome), "a new L2 block is a new observation");
    }
    assert_eq!(chain.world.block().l1_number, l1, "block.number did not move");
    assert_eq!(chain.sustained(), (true, 1, N));
    assert_eq!(chain.status().blockNumber, chain.block());
}

#[test]
fn the_widest_window_answers_once_its_epochs_are_observed() {
    // A pool with W = 4,096, observed from an epoch's first block on in
    // 4,100 consecutive blocks with a varying deviation: the TWAP is
    // refused until the history covers the epoch window (the previous
    // epoch of W blocks and the current one), then is the plain average of
    // the values in it.
    let mut chain = Chain::standard();
    let pool = chain.deploy_pool(1_000_000);
    let (oracle, cap) = (chain.oracle, chain.whole_base(1_000));
    let call = registerPoolCall {
        pool,
        oracle,
        baseDecimals: 18,
        quoteDecimals: 6,
        thresholdBps: THRESHOLD,
        sustainBlocks: N,
        twapWindow: 4_096,
        maxOracleAge: MAX_AGE,
        perBlockCap: cap,
    };
    ok(chain.world.call(ADMIN, FC, &call.abi_encode(), U256::ZERO), "registerPool");
    // Up to the next epoch's first block.
    let first = chain.block().div_ceil(4_096) * 4_096 + 4_096;
    chain.world.advance_blocks(first - 1 - chain.block(), 1);
    let par = chain.par_i();
    let mut values = Vec::new();
    for step in 0..4_100_u64 {
        chain.next_block();
        if step % 1_000 == 0 {
            // Keep the oracle fresh (it is stamped when set).
            send(&mut chain.world, OWNER, oracle, &setPriceCall { price: e(18) });
        }
        let deviation = i64::try_from(step % 13).unwrap() * 9 - 50;
        let i = par * u((10_000 + deviation).unsigned_abs()) / u(10_000);
        send(&mut chain.world, OWNER, pool, &setICall { newI: i });
        let outcome = ok(chain.world.call(KEEPER, FC, &pokeCall { pool }.abi_encode(), U256::ZERO), "poke");
        assert_eq!(i64::from(observed(&outcome.logs)[0].deviationBps), deviation);
        values.push(deviation);
        if step == 4_095 {
            // The last block of the first observed epoch: the window
            // reaches into the epoch before it.
            assert_eq!(chain.block(), first + 4_095);
            let outcome = chain.world.static_call(STRANGER, FC, &twapDeviationCall { pool }.abi_encode());
            assert_eq!(outcome.return_data, err(&InsufficientHistory { pool }));
        }
    }
    let s = view(&mut chain.world, FC, &poolStatusCall { pool })._0;
    assert_eq!((s.observations, s.lastBlock), (4_100, chain.block()));
    // Blocks first ..= first + 4,099: the previous epoch and 4 blocks of this one.
    let sum: i64 = values.iter().sum();
    // i64 division truncates toward zero, as the contract does.
    assert_eq!(view(&mut chain.world, FC, &twapDeviationCall { pool })._0, bps(sum / 4_100));
    assert_eq!((s.twapAvailable, i64::from(s.twapDeviationBps)), (true, sum / 4_100));
}

// ----------------------------------------------------------- per-block cap

#[test]
fn the_stabilization_cap_resets_every_l2_block() {
    let mut chain = Chain::standard();
    let pool = chain.pool;
    let cap = chain.whole_base(1_000);
    let spend = |chain: &mut Chain, amount: U256| {
        chain.world.call(STABILIZER, FC, &consumeVolumeCall { pool, amount }.abi_encode(), U256::ZERO)
    };
    let (six, four) = (chain.whole_base(600), chain.whole_base(400));
    let outcome = ok(spend(&mut chain, six), "consume");
    let consumed = &events::<VolumeConsumed>(&outcome.logs)[0];
    assert_eq!(
        (consumed.pool, consumed.stabilizer, consumed.blockNumber, consumed.amount, consumed.remaining),
        (pool, STABILIZER, chain.block(), chain.whole_base(600), chain.whole_base(400))
    );
    assert_eq!(view(&mut chain.world, FC, &remainingVolumeCall { pool })._0, chain.whole_base(400));
    let over = chain.whole_base(400) + u(1);
    let outcome = spend(&mut chain, over);
    assert_eq!(
        outcome.return_data,
        VolumeCapExceeded { pool, amount: over, remaining: chain.whole_base(400) }.abi_encode()
    );
    ok(spend(&mut chain, four), "the rest of the cap");
    assert_eq!(view(&mut chain.world, FC, &remainingVolumeCall { pool })._0, U256::ZERO);
    chain.next_block();
    assert_eq!(view(&mut chain.world, FC, &remainingVolumeCall { pool })._0, cap);
    ok(spend(&mut chain, cap), "a whole cap in the next block");
    assert_eq!(chain.status().remainingVolume, U256::ZERO);
}

/// Finding: any Stabilizer could spend any pool's cap. A pool's cap is
/// bound to one Stabilizer: explicitly by the admin, or to its first
/// spender; any other Stabilizer is refused with `WrongStabilizer`.
#[test]
fn a_stabilizer_spends_only_its_own_pools_cap() {
    let mut chain = Chain::standard();
    let pool = chain.pool;
    let other = Address::with_last_byte(0x58);
    send(&mut chain.world, ADMIN, FC, &grantRoleCall { role: stabilizer_role(), account: other });
    let spend = |chain: &mut Chain, from: Address| {
        chain.world.call(from, FC, &consumeVolumeCall { pool, amount: u(1) }.abi_encode(), U256::ZERO)
    };
    assert_eq!(view(&mut chain.world, FC, &stabilizerOfCall { pool })._0, ZERO);
    // The first spender is bound.
    let outcome = ok(spend(&mut chain, STABILIZER), "first spend");
    let bound = events::<StabilizerBound>(&outcome.logs);
    assert_eq!((bound[0].pool, bound[0].stabilizer), (pool, STABILIZER));
    assert_eq!(view(&mut chain.world, FC, &stabilizerOfCall { pool })._0, STABILIZER);
    // Another Stabilizer is refused, and nothing changes.
    let storage = chain.world.storage_of(FC);
    let refused = spend(&mut chain, other);
    assert_eq!(refused.return_data, err(&WrongStabilizer { pool, caller: other, bound: STABILIZER }));
    assert_eq!(chain.world.storage_of(FC), storage);
    // The admin binds explicitly; only the admin may.
    let bind = bindStabilizerCall { pool, stabilizer: other }.abi_encode();
    let outcome = chain.world.call(STABILIZER, FC, &bind, U256::ZERO);
    assert_eq!(outcome.return_data, unauthorized(STABILIZER, ADMIN_ROLE));
    let outcome = chain.world.call(
        ADMIN,
        FC,
        &bindStabilizerCall { pool: UNKNOWN, stabilizer: other }.abi_encode(),
        U256::ZERO,
    );
    assert_eq!(outcome.return_data, err(&UnknownPool { pool: UNKNOWN }));
    let outcome =
        chain.world.call(ADMIN, FC, &bindStabilizerCall { pool, stabilizer: ZERO }.abi_encode(), U256::ZERO);
    assert_eq!(outcome.return_data, err(&ZeroAddress {}));
    ok(chain.world.call(ADMIN, FC, &bind, U256::ZERO), "bindStabilizer");
    ok(spend(&mut chain, other), "the bound Stabilizer spends");
    let refused = spend(&mut chain, STABILIZER);
    assert_eq!(refused.return_data, err(&WrongStabilizer { pool, caller: STABILIZER, bound: other }));
}

// ---------------------------------------------------------------- pause

#[test]
fn pause_stops_pokes_spending_and_the_trigger_only_the_admin_unpauses() {
    let mut chain = Chain::standard();
    chain.set_deviation(90);
    for _ in 0..N {
        chain.poke();
        chain.next_block();
    }
    assert!(chain.check().1);
    let outcome = ok(chain.world.call(GUARDIAN, FC, &pauseCall {}.abi_encode(), U256::ZERO), "pause");
    assert_eq!(Paused::decode_log_data(&outcome.logs[0].data, true).unwrap().account, GUARDIAN);
    assert!(view(&mut chain.world, FC, &pausedCall {})._0);
    assert_eq!(chain.check(), (bps(90), false));
    let s = chain.status();
    assert_eq!((s.paused, s.sustained, s.shouldRebalance), (true, true, false));
    let outcome = ok(chain.world.call(ADMIN, FC, &unpauseCall {}.abi_encode(), U256::ZERO), "unpause");
    assert_eq!(Unpaused::decode_log_data(&outcome.logs[0].data, true).unwrap().account, ADMIN);
    assert!(chain.check().1);
}

// ------------------------------------------------------------------ gas

#[test]
fn poke_gas_is_bounded_and_a_repeat_is_cheap() {
    let mut chain = Chain::standard();
    let calldata = pokeCall { pool: chain.pool }.abi_encode();
    let intrinsic = 21_000 + calldata.iter().map(|byte| if *byte == 0 { 4 } else { 16 }).sum::<u64>();
    let mut first = Vec::new();
    for _ in 0..20 {
        chain.next_block();
        chain.set_deviation(if chain.block().is_multiple_of(2) { 70 } else { 0 });
        first.push(chain.poke().gas_used - intrinsic);
    }
    let repeat = chain.poke().gas_used - intrinsic;
    let max = *first.iter().max().unwrap();
    // A recording poke: the clock, two static calls, four reads, one write
    // and at most two events (36,873 execution gas in the benchmark); a
    // repeat: the clock and the four reads.
    assert!(max < 40_000, "first poke {max} execution gas");
    assert!(repeat < max / 3, "repeat {repeat} execution gas against {max}");
}

// --------------------------------------------- refusals: exact errors, no change

/// One refused call: `(name, caller, calldata, exact revert data)`.
type Refusal = (&'static str, Address, Vec<u8>, Vec<u8>);

/// A world for the refusal table: [`Chain::standard`] with the pool
/// observed for one block (not enough for the TWAP), and extra pools whose
/// oracle or pool is broken, registered before being broken.
struct RefusalWorld {
    chain: Chain,
    broken_pool: Address,
    reverting_oracle_pool: Address,
    reverting_oracle: Address,
    silent_oracle_pool: Address,
    silent_oracle: Address,
    zero_oracle_pool: Address,
    zero_oracle: Address,
    stale_oracle_pool: Address,
    stale_oracle: Address,
    /// When the stale oracle's price was set.
    stale_since: u64,
    huge_pool: Address,
}

/// Registers `pool` with `oracle` and the default parameters.
fn register_with(chain: &mut Chain, pool: Address, oracle: Address) {
    let call = registerPoolCall {
        pool,
        oracle,
        baseDecimals: 18,
        quoteDecimals: 6,
        thresholdBps: THRESHOLD,
        sustainBlocks: N,
        twapWindow: W,
        maxOracleAge: MAX_AGE,
        perBlockCap: u(1_000),
    };
    ok(chain.world.call(ADMIN, FC, &call.abi_encode(), U256::ZERO), "registerPool");
}

fn refusal_world() -> RefusalWorld {
    let mut chain = Chain::standard();
    chain.poke();
    let oracle = chain.oracle;
    let at = |n: u8| Address::with_last_byte(0xB0 + n);
    let (broken_pool, reverting_oracle_pool, silent_oracle_pool) = (at(1), at(2), at(3));
    let (zero_oracle_pool, stale_oracle_pool, huge_pool) = (at(4), at(5), at(6));
    let (reverting_oracle, silent_oracle, zero_oracle) = (at(7), at(8), at(9));
    // A real oracle, stamped now and about to go stale.
    let ctor = oracleConstructorCall { owner: OWNER, initialPrice: e(18) };
    let stale_oracle =
        Artifact::load("PriceOracle").unwrap().deploy(&mut chain.world, OWNER, &args(&ctor)).unwrap();
    register_with(&mut chain, broken_pool, oracle);
    register_with(&mut chain, reverting_oracle_pool, reverting_oracle);
    register_with(&mut chain, silent_oracle_pool, silent_oracle);
    register_with(&mut chain, zero_oracle_pool, zero_oracle);
    register_with(&mut chain, stale_oracle_pool, stale_oracle);
    register_with(&mut chain, huge_pool, oracle);
    // Pools that answer `getMidPrice` with a constant, so that only the
    // oracle is at fault; one whose mid price is too large to scale; one
    // that reverts.
    for pool in [reverting_oracle_pool, silent_oracle_pool, zero_oracle_pool, stale_oracle_pool] {
        chain.world.set_code(pool, mid_price_code(e(6)));
    }
    chain.world.set_code(huge_pool, mid_price_code(U256::MAX));
    chain.world.set_code(broken_pool, REVERT_CODE.to_vec());
    chain.world.set_code(reverting_oracle, REVERT_CODE.to_vec());
    chain.world.set_code(zero_oracle, ZEROS_CODE.to_vec());
    let stale_since = chain.world.block().timestamp;
    chain.world.advance(MAX_AGE + 1);
    // Keep the pool's own oracle fresh.
    send(&mut chain.world, OWNER, oracle, &setPriceCall { price: e(18) });
    RefusalWorld {
        chain,
        broken_pool,
        reverting_oracle_pool,
        reverting_oracle,
        silent_oracle_pool,
        silent_oracle,
        zero_oracle_pool,
        zero_oracle,
        stale_oracle_pool,
        stale_oracle,
        stale_since,
        huge_pool,
    }
}

/// EVM bytecode answering every call with the word `value`.
fn mid_price_code(value: U256) -> Vec<u8> {
    let mut code = vec![0x7f];
    code.extend_from_slice(&value.to_be_bytes::<32>());
    // PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    code.extend_from_slice(&[0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3]);
    code
}

fn function_of(calldata: &[u8]) -> &'static str {
    let selectors: [([u8; 4], &str); 20] = [
        (keccak256("stylus_constructor()")[..4].try_into().unwrap(), "constructor"),
        (registerPoolCall::SELECTOR, "registerPool"),
        (pokeCall::SELECTOR, "poke"),
        (consumeVolumeCall::SELECTOR, "consumeVolume"),
        (twapDeviationCall::SELECTOR, "twapDeviation"),
        (sustainedCall::SELECTOR, "sustained"),
        (remainingVolumeCall::SELECTOR, "remainingVolume"),
        (checkDeviationCall::SELECTOR, "checkDeviation"),
        (poolStatusCall::SELECTOR, "poolStatus"),
        (poolConfigCall::SELECTOR, "poolConfig"),
        (pauseCall::SELECTOR, "pause"),
        (unpauseCall::SELECTOR, "unpause"),
        (pausedCall::SELECTOR, "paused"),
        (hasRoleCall::SELECTOR, "hasRole"),
        (grantRoleCall::SELECTOR, "grantRole"),
        (revokeRoleCall::SELECTOR, "revokeRole"),
        (renounceRoleCall::SELECTOR, "renounceRole"),
        (STABILIZER_ROLECall::SELECTOR, "STABILIZER_ROLE"),
        (GUARDIAN_ROLECall::SELECTOR, "GUARDIAN_ROLE"),
        (POKER_ROLECall::SELECTOR, "POKER_ROLE"),
    ];
    let selector: Option<[u8; 4]> = calldata.get(..4).map(|s| s.try_into().unwrap());
    selectors.iter().find(|(known, _)| Some(*known) == selector).map_or("?", |(_, name)| name)
}

/// Sends every case and names each one that did not revert with exactly
/// its data, trapped, logged, or changed FlashContainment's storage, the
/// log count or the balances.
fn assert_refused(world: &mut World, cases: &[Refusal]) {
    let mut failures = Vec::new();
    for (name, caller, calldata, expected) in cases {
        let storage = world.storage_of(FC);
        let logs = world.logs().len();
        let balances = (world.balance(*caller), world.balance(FC));
        let outcome = world.call(*caller, FC, calldata, U256::ZERO);
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
        if !outcome.logs.is_empty() || world.logs().len() != logs {
            wrong.push(format!("logged {} events", outcome.logs.len()));
        }
        if world.storage_of(FC) != storage {
            wrong.push("changed storage".to_owned());
        }
        if (world.balance(*caller), world.balance(FC)) != balances {
            wrong.push("moved value".to_owned());
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

fn err(error: &impl SolError) -> Vec<u8> {
    error.abi_encode()
}

fn unauthorized(account: Address, role: B256) -> Vec<u8> {
    err(&AccessControlUnauthorizedAccount { account, neededRole: role })
}

fn out_of_range(parameter: u8, value: U256, min: U256, max: U256) -> Vec<u8> {
    err(&ParameterOutOfRange { parameter, value, min, max })
}

/// `registerPool(pool, oracle, params…, cap)`.
fn reg(pool: Address, oracle: Address, p: [u64; 6], cap: U256) -> Vec<u8> {
    registerPoolCall {
        pool,
        oracle,
        baseDecimals: p[0],
        quoteDecimals: p[1],
        thresholdBps: p[2],
        sustainBlocks: p[3],
        twapWindow: p[4],
        maxOracleAge: p[5],
        perBlockCap: cap,
    }
    .abi_encode()
}

fn poke(pool: Address) -> Vec<u8> {
    pokeCall { pool }.abi_encode()
}

fn consume(pool: Address, amount: U256) -> Vec<u8> {
    consumeVolumeCall { pool, amount }.abi_encode()
}

/// The registration every case starts from: 18/6 decimals and the defaults.
const GOOD: [u64; 6] = [18, 6, THRESHOLD, N, W, MAX_AGE];

/// constructor (a second run hits the SDK's guard, no data) and
/// registerPool: admin only, zero addresses, registered, each parameter.
fn constructor_and_register_cases(w: &RefusalWorld) -> Vec<Refusal> {
    let (pool, oracle, cap) = (w.chain.pool, w.chain.oracle, u(1_000));
    let not_admin = |account| unauthorized(account, ADMIN_ROLE);
    let mut cases: Vec<Refusal> = vec![
        ("again, by a stranger", STRANGER, constructor_calldata(STRANGER), Vec::new()),
        ("again, by the admin", ADMIN, constructor_calldata(ADMIN), Vec::new()),
        ("again, zero admin", DEPLOYER, constructor_calldata(ZERO), Vec::new()),
        ("stranger", STRANGER, reg(UNKNOWN, oracle, GOOD, cap), not_admin(STRANGER)),
        ("stabilizer", STABILIZER, reg(UNKNOWN, oracle, GOOD, cap), not_admin(STABILIZER)),
        ("guardian", GUARDIAN, reg(UNKNOWN, oracle, GOOD, cap), not_admin(GUARDIAN)),
        ("deployer", DEPLOYER, reg(UNKNOWN, oracle, GOOD, cap), not_admin(DEPLOYER)),
        ("stranger, zero pool", STRANGER, reg(ZERO, oracle, GOOD, cap), not_admin(STRANGER)),
        ("zero pool", ADMIN, reg(ZERO, oracle, GOOD, cap), err(&ZeroAddress {})),
        ("zero oracle", ADMIN, reg(UNKNOWN, ZERO, GOOD, cap), err(&ZeroAddress {})),
        ("both zero", ADMIN, reg(ZERO, ZERO, [0; 6], U256::ZERO), err(&ZeroAddress {})),
        ("already registered", ADMIN, reg(pool, oracle, GOOD, cap), err(&PoolAlreadyRegistered { pool })),
        (
            "already registered, bad parameters",
            ADMIN,
            reg(pool, oracle, [99; 6], U256::ZERO),
            err(&PoolAlreadyRegistered { pool }),
        ),
        ("truncated calldata", ADMIN, reg(UNKNOWN, oracle, GOOD, cap)[..100].to_vec(), Vec::new()),
        ("cap 0", ADMIN, reg(UNKNOWN, oracle, GOOD, U256::ZERO), out_of_range(6, U256::ZERO, u(1), MAX_CAP)),
        (
            "cap 2^128",
            ADMIN,
            reg(UNKNOWN, oracle, GOOD, MAX_CAP + u(1)),
            out_of_range(6, MAX_CAP + u(1), u(1), MAX_CAP),
        ),
        ("cap max", ADMIN, reg(UNKNOWN, oracle, GOOD, U256::MAX), out_of_range(6, U256::MAX, u(1), MAX_CAP)),
        (
            "all out, the first reported",
            ADMIN,
            reg(UNKNOWN, oracle, [37, 37, 0, 0, 0, 0], U256::ZERO),
            out_of_range(0, u(37), u(0), u(36)),
        ),
    ];
    for (index, (min, max)) in RANGES.into_iter().enumerate() {
        let parameter = u8::try_from(index).unwrap();
        let mut bad = vec![max + 1, u64::MAX];
        if min > 0 {
            bad.push(min - 1);
        }
        for value in bad {
            let mut params = GOOD;
            params[index] = value;
            let expected = out_of_range(parameter, u(value), u(min), u(max));
            cases.push(("parameter out of range", ADMIN, reg(UNKNOWN, oracle, params, cap), expected));
        }
    }
    cases
}

/// poke: unknown pool, then each way the pool or the oracle fails.
fn poke_cases(w: &RefusalWorld) -> Vec<Refusal> {
    let stale_at = w.stale_since;
    vec![
        ("stranger", STRANGER, poke(w.chain.pool), unauthorized(STRANGER, poker_role())),
        ("admin", ADMIN, poke(w.chain.pool), unauthorized(ADMIN, poker_role())),
        ("stranger, unknown pool", STRANGER, poke(UNKNOWN), unauthorized(STRANGER, poker_role())),
        ("unknown pool", KEEPER, poke(UNKNOWN), err(&UnknownPool { pool: UNKNOWN })),
        ("zero pool", KEEPER, poke(ZERO), err(&UnknownPool { pool: ZERO })),
        ("pool reverts", KEEPER, poke(w.broken_pool), err(&PoolCallFailed { pool: w.broken_pool })),
        (
            "oracle reverts",
            KEEPER,
            poke(w.reverting_oracle_pool),
            err(&OracleCallFailed { oracle: w.reverting_oracle }),
        ),
        (
            "oracle has no code",
            KEEPER,
            poke(w.silent_oracle_pool),
            err(&OracleCallFailed { oracle: w.silent_oracle }),
        ),
        (
            "oracle price zero",
            KEEPER,
            poke(w.zero_oracle_pool),
            err(&ZeroOraclePrice { oracle: w.zero_oracle }),
        ),
        (
            "stale oracle",
            KEEPER,
            poke(w.stale_oracle_pool),
            err(&StaleOracle { oracle: w.stale_oracle, updatedAt: u(stale_at), maxAge: MAX_AGE }),
        ),
        ("price too large", KEEPER, poke(w.huge_pool), err(&ArithmeticOverflow {})),
        ("truncated calldata", KEEPER, poke(w.chain.pool)[..20].to_vec(), Vec::new()),
    ]
}

/// consumeVolume: Stabilizer only, then the pool, the amount, the cap.
fn consume_cases(w: &RefusalWorld) -> Vec<Refusal> {
    let (pool, stab) = (w.chain.pool, stabilizer_role());
    let cap = w.chain.whole_base(1_000);
    vec![
        ("stranger", STRANGER, consume(pool, u(1)), unauthorized(STRANGER, stab)),
        ("admin", ADMIN, consume(pool, u(1)), unauthorized(ADMIN, stab)),
        ("guardian", GUARDIAN, consume(pool, u(1)), unauthorized(GUARDIAN, stab)),
        ("stranger, unknown pool", STRANGER, consume(UNKNOWN, u(0)), unauthorized(STRANGER, stab)),
        ("unknown pool", STABILIZER, consume(UNKNOWN, u(1)), err(&UnknownPool { pool: UNKNOWN })),
        ("zero pool", STABILIZER, consume(ZERO, u(1)), err(&UnknownPool { pool: ZERO })),
        (
            "unknown pool, zero amount",
            STABILIZER,
            consume(UNKNOWN, u(0)),
            err(&UnknownPool { pool: UNKNOWN }),
        ),
        ("zero amount", STABILIZER, consume(pool, u(0)), err(&ZeroAmount {})),
        (
            "over the cap",
            STABILIZER,
            consume(pool, cap + u(1)),
            err(&VolumeCapExceeded { pool, amount: cap + u(1), remaining: cap }),
        ),
        (
            "U256::MAX",
            STABILIZER,
            consume(pool, U256::MAX),
            err(&VolumeCapExceeded { pool, amount: U256::MAX, remaining: cap }),
        ),
    ]
}

/// The views, sent as transactions: unknown pool, not enough history for
/// the TWAP (`checkDeviation` answers `false` then: see
/// [`check_deviation_answers_false_while_the_history_is_short`]).
fn view_cases(w: &RefusalWorld) -> Vec<Refusal> {
    let pool = w.chain.pool;
    let unknown = err(&UnknownPool { pool: UNKNOWN });
    let no_history = err(&InsufficientHistory { pool });
    vec![
        ("unknown", STRANGER, twapDeviationCall { pool: UNKNOWN }.abi_encode(), unknown.clone()),
        ("no history", STRANGER, twapDeviationCall { pool }.abi_encode(), no_history),
        ("unknown", STRANGER, sustainedCall { pool: UNKNOWN }.abi_encode(), unknown.clone()),
        ("unknown", STRANGER, remainingVolumeCall { pool: UNKNOWN }.abi_encode(), unknown.clone()),
        ("unknown", STRANGER, checkDeviationCall { pool: UNKNOWN }.abi_encode(), unknown.clone()),
        ("unknown", STRANGER, poolStatusCall { pool: UNKNOWN }.abi_encode(), unknown.clone()),
        ("unknown", STRANGER, poolConfigCall { pool: UNKNOWN }.abi_encode(), unknown),
        ("unknown selector", STRANGER, vec![0xde, 0xad, 0xbe, 0xef], Vec::new()),
    ]
}

/// pause, unpause and the roles.
fn access_cases() -> Vec<Refusal> {
    let (stab, guard) = (stabilizer_role(), guardian_role());
    let grant = |role, account| grantRoleCall { role, account }.abi_encode();
    let revoke = |role, account| revokeRoleCall { role, account }.abi_encode();
    let renounce = |role, confirmation| renounceRoleCall { role, confirmation }.abi_encode();
    let not_admin = |account| unauthorized(account, ADMIN_ROLE);
    vec![
        ("stranger", STRANGER, pauseCall {}.abi_encode(), unauthorized(STRANGER, guard)),
        ("admin", ADMIN, pauseCall {}.abi_encode(), unauthorized(ADMIN, guard)),
        ("stabilizer", STABILIZER, pauseCall {}.abi_encode(), unauthorized(STABILIZER, guard)),
        ("not paused", ADMIN, unpauseCall {}.abi_encode(), err(&ExpectedPause {})),
        ("guardian", GUARDIAN, unpauseCall {}.abi_encode(), not_admin(GUARDIAN)),
        ("stranger", STRANGER, grant(stab, STRANGER), not_admin(STRANGER)),
        ("guardian", GUARDIAN, grant(guard, STRANGER), not_admin(GUARDIAN)),
        ("stranger", STRANGER, revoke(stab, STABILIZER), not_admin(STRANGER)),
        ("stabilizer", STABILIZER, revoke(guard, GUARDIAN), not_admin(STABILIZER)),
        ("someone else's role", ADMIN, renounce(stab, STABILIZER), err(&AccessControlBadConfirmation {})),
        ("zero confirmation", STABILIZER, renounce(stab, ZERO), err(&AccessControlBadConfirmation {})),
    ]
}

/// Paused: pokes and spending are refused with `EnforcedPause` (after the
/// role check); the guardian cannot unpause.
fn paused_cases(w: &RefusalWorld) -> Vec<Refusal> {
    let (pool, stab) = (w.chain.pool, stabilizer_role());
    vec![
        ("paused", KEEPER, poke(pool), err(&EnforcedPause {})),
        ("paused, stranger", STRANGER, poke(pool), unauthorized(STRANGER, poker_role())),
        ("paused, unknown pool", KEEPER, poke(UNKNOWN), err(&EnforcedPause {})),
        ("paused, broken pool", KEEPER, poke(w.broken_pool), err(&EnforcedPause {})),
        ("paused", STABILIZER, consume(pool, u(1)), err(&EnforcedPause {})),
        ("paused, zero amount", STABILIZER, consume(pool, u(0)), err(&EnforcedPause {})),
        ("paused, stranger", STRANGER, consume(pool, u(1)), unauthorized(STRANGER, stab)),
        ("already paused", GUARDIAN, pauseCall {}.abi_encode(), err(&EnforcedPause {})),
        ("guardian unpauses", GUARDIAN, unpauseCall {}.abi_encode(), unauthorized(GUARDIAN, ADMIN_ROLE)),
    ]
}

#[test]
fn every_public_function_refuses_each_bad_input_with_its_exact_error() {
    let mut w = refusal_world();
    let mut cases = constructor_and_register_cases(&w);
    cases.extend(poke_cases(&w));
    cases.extend(consume_cases(&w));
    cases.extend(view_cases(&w));
    cases.extend(access_cases());
    assert_eq!(cases.len(), 75);
    assert_refused(&mut w.chain.world, &cases);

    ok(w.chain.world.call(GUARDIAN, FC, &pauseCall {}.abi_encode(), U256::ZERO), "pause");
    let paused = paused_cases(&w);
    assert_refused(&mut w.chain.world, &paused);
    // The admin still registers while paused.
    let registered = w.chain.world.call(ADMIN, FC, &reg(UNKNOWN, w.chain.oracle, GOOD, u(1_000)), U256::ZERO);
    assert!(registered.success, "{registered:?}");
}

/// Finding: with fewer observations than the TWAP window, checkDeviation
/// reverted (the Stabilizer's answered `ExternalCallFailed`); it answers.
#[test]
fn check_deviation_answers_false_while_the_history_is_short() {
    let mut chain = Chain::standard();
    assert_eq!(try_check(&mut chain), Ok((bps(0), false)), "no observation");
    chain.set_deviation(-90);
    chain.poke();
    assert_eq!(try_check(&mut chain), Ok((bps(-90), false)), "one observation");
}

/// Finding: an oracle stamped in the future counted as fresh for as long
/// as it stayed ahead. It is refused as stale.
#[test]
fn an_oracle_timestamp_in_the_future_is_stale() {
    let mut chain = Chain::standard();
    let (pool, oracle) = (chain.pool, chain.oracle);
    // The oracle answers (1.0, an hour ahead of this block).
    let ahead = chain.world.block().timestamp + 3_600;
    chain.world.set_code(oracle, price_code(e(18), u(ahead)));
    let outcome = chain.world.call(KEEPER, FC, &pokeCall { pool }.abi_encode(), U256::ZERO);
    assert_eq!(outcome.return_data, err(&StaleOracle { oracle, updatedAt: u(ahead), maxAge: MAX_AGE }));
}

/// EVM bytecode answering every call with the two words `(price, updated_at)`.
fn price_code(price: U256, updated_at: U256) -> Vec<u8> {
    let mut code = vec![0x7f];
    code.extend_from_slice(&price.to_be_bytes::<32>());
    // PUSH1 0 MSTORE
    code.extend_from_slice(&[0x60, 0x00, 0x52, 0x7f]);
    code.extend_from_slice(&updated_at.to_be_bytes::<32>());
    // PUSH1 32 MSTORE PUSH1 64 PUSH1 0 RETURN
    code.extend_from_slice(&[0x60, 0x20, 0x52, 0x60, 0x40, 0x60, 0x00, 0xf3]);
    code
}

fn poke_return(outcome: &CallOutcome) -> bool {
    pokeCall::abi_decode_returns(&outcome.return_data, true).unwrap()._0
}

fn try_check(chain: &mut Chain) -> Result<(I256, bool), Vec<u8>> {
    let pool = chain.pool;
    let outcome = chain.world.static_call(STRANGER, FC, &checkDeviationCall { pool }.abi_encode());
    if outcome.success {
        let c = checkDeviationCall::abi_decode_returns(&outcome.return_data, true).unwrap();
        Ok((c.deviationBps, c.shouldRebalance))
    } else {
        Err(outcome.return_data)
    }
}
