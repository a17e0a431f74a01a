//! Nitro's program activation: the `ArbWasm` precompile at `0x71` and the
//! rule that a Stylus program runs only once its code hash is activated.
//!
//! Off by default: a [`crate::World`] runs any Stylus code in its state, as
//! it always has. [`crate::World::enable_program_activation`] turns on
//! Nitro's rules, as the local node does:
//! - a contract creation may deposit code that starts with `0xEF F0 00`
//!   (Nitro's Stylus discriminant; other `0xEF` code stays refused by
//!   EIP-3541);
//! - `ArbWasm` answers at `0x71`: `activateProgram(address)`,
//!   `stylusVersion()`, `codehashVersion(bytes32)`, `programVersion(address)`,
//!   `codehashAsmSize(bytes32)`, `programMemoryFootprint(address)`,
//!   `programTimeLeft(address)`, `programInitGas(address)`, `expiryDays()`,
//!   with Nitro's custom errors;
//! - a call to Stylus code whose code hash is not activated at the current
//!   Stylus version (or expired) fails as in Nitro: no revert data, all gas
//!   consumed, the error rendered as Nitro renders it
//!   (`error ProgramNotActivated()`), see [`crate::ChainError::Program`].
//!
//! Activation decodes and compiles the code through [`Runtime::program`],
//! the path every call uses, and records per code hash what Nitro's
//! `programs.go` records. Figures restated from Nitro (`OffchainLabs/nitro`,
//! `precompiles/ArbWasm.go`, `arbos/programs/programs.go`,
//! `arbos/programs/data_pricer.go`, `crates/prover/src/binary.rs`
//! `WasmBinary::instrument`, `crates/prover/src/programs/mod.rs`
//! `Module::activate`):
//! - the data fee: `asmEstimate` bytes priced by the data pricer's
//!   exponential model ([`data_fee`]);
//! - the activation gas: a fixed 1,659,168 plus the compile gas of
//!   `Module::activate` ([`compile_gas`]);
//! - `initCost`/`cachedCost` as computed at activation, and the entry cost
//!   every call to a program pays from them ([`Program::call_gas`], Nitro
//!   `programs.go` `CallProgram`): cached, `cachedGas` = 11 × 32 +
//!   cachedCost; uncached, `initGas` = 69 × 128 + initCost on top of
//!   `cachedGas` (Stylus v2 charges both). `programInitGas(address)`
//!   answers both figures as Nitro's `ArbWasm` does;
//! - ArbOS's program cache: the cached code hashes
//!   ([`Programs::set_cached`]), changed through `ArbWasmCache` at `0x72`
//!   as in Nitro's `precompiles/ArbWasmCache.go`: `cacheProgram(address)`
//!   and `evictCodehash(bytes32)` by a cache manager or a chain owner only
//!   (anyone else burns all the gas), `codehashIsCached(bytes32)`,
//!   `isCacheManager(address)`, `allCacheManagers()`, and the
//!   `UpdateProgramCache` event ([`run_cache`]). The cache managers and
//!   chain owners are set when the chain is built
//!   ([`Programs::add_cache_manager`], [`Programs::add_chain_owner`]:
//!   Nitro's `ArbOwner.addWasmCacheManager`/`addChainOwner`, which are not
//!   served); `ArbOwnerPublic` at `0x6b` answers `isChainOwner(address)`,
//!   `getAllChainOwners()` and `getNetworkFeeAccount()`, which Nitro's
//!   `CacheManager.sol` asks. Nitro's recent-programs block cache (ArbOS 60
//!   and later) is not modelled: the rules here are ArbOS 40's.
//!
//! Approximations, stated: the compile gas's code term counts the
//! operators of the module before Nitro's instrumentation (Nitro counts
//! them after, so this is lower); the precompile's own storage accesses are
//! priced at a flat [`ARBOS_READ_GAS`] per read; the `moduleHash` of the
//! `ProgramActivated` event is `keccak256` of the decoded wasm, not Nitro's
//! prover module hash.

use std::{
    collections::{HashMap, HashSet},
    rc::Rc,
};

use alloy_primitives::{address, keccak256, Address, Log, LogData, B256, U256};
use wasmparser::{CompositeInnerType, Parser, Payload, TypeRef};

use crate::{
    backend::{Backend, CallRequest, FrameResult},
    host::Runtime,
    world::WorldState,
    ChainError,
};

/// `ArbWasm`, Nitro's program-management precompile.
pub const ARB_WASM: Address = address!("0000000000000000000000000000000000000071");
/// The Stylus version programs are activated at (Nitro's `StylusParams.Version`, ArbOS 40).
pub const STYLUS_VERSION: u16 = 2;
/// Days until an activation expires (Nitro's `initialExpiryDays`).
pub const EXPIRY_DAYS: u16 = 365;
/// Gas burnt up front by `activateProgram` (Nitro `ArbWasm.go`).
pub const ACTIVATION_FIXED_GAS: u64 = 1_659_168;
/// `ArbWasmCache`, Nitro's program-cache precompile.
pub const ARB_WASM_CACHE: Address = address!("0000000000000000000000000000000000000072");
/// `ArbOwnerPublic`, Nitro's read-only view of the chain's owners.
pub const ARB_OWNER_PUBLIC: Address = address!("000000000000000000000000000000000000006b");
/// Gas of reading an account's code hash in ArbOS (Nitro's `StorageCodeHashCost`, EIP-2929's cold account access).
pub const CODE_HASH_GAS: u64 = 2_600;
/// Gas of writing a nonzero ArbOS storage word (Nitro's `StorageWriteCost`).
pub const ARBOS_WRITE_GAS: u64 = 20_000;
/// Gas of reading Stylus's parameters (Nitro's `Params`: a warm read).
pub const PARAMS_READ_GAS: u64 = 100;
/// Nitro's `MinInitGas` at Stylus v2 (`v2MinInitGas`), in units of [`MIN_INIT_GAS_UNITS`].
pub const MIN_INIT_GAS: u64 = 69;
/// Gas per `MinInitGas` unit (Nitro's `MinInitGasUnits`).
pub const MIN_INIT_GAS_UNITS: u64 = 128;
/// Nitro's `MinCachedInitGas` (`initialMinCachedGas`), in units of [`MIN_CACHED_GAS_UNITS`].
pub const MIN_CACHED_GAS: u64 = 11;
/// Gas per `MinCachedInitGas` unit (Nitro's `MinCachedGasUnits`).
pub const MIN_CACHED_GAS_UNITS: u64 = 32;
/// Nitro's `InitCostScalar` and `CachedCostScalar` (50), in 2% units: 100%.
const COST_SCALAR_PERCENT: u64 = 50 * 2;
/// Gas charged for each read of ArbOS state by the precompile (Nitro's `StorageReadCost`).
pub const ARBOS_READ_GAS: u64 = 800;
/// Where data fees go: Arbitrum One's network fee account.
pub const NETWORK_FEE_ACCOUNT: Address = address!("bF5041Fc07E1c866D15c749156657B8eEd0fb649");

/// The data pricer's constants (Nitro `data_pricer.go`).
const HOURLY_BYTES: u64 = 4 * (1 << 40) / (365 * 24);
// 139,472 bytes per second: fits a u32, as Nitro stores it.
#[allow(clippy::cast_possible_truncation)]
const BYTES_PER_SECOND: u32 = (HOURLY_BYTES / 3600) as u32;
const PRICER_LAST_UPDATE: u64 = 1_421_388_000;
const MIN_PRICE: u64 = 82_928_201;
const INERTIA: u64 = 70_177_364;
const ONE_IN_BIPS: u64 = 10_000;

/// What activation records for one code hash (Nitro's `Program`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Program {
    /// The Stylus version it was activated at.
    pub version: u16,
    /// Block timestamp of the activation (seconds).
    pub activated_at: u64,
    /// Nitro's `init_cost` estimate (charged on uncached calls in Nitro).
    pub init_cost: u16,
    /// Nitro's `cached_init_cost` estimate.
    pub cached_init_cost: u16,
    /// Initial memory pages.
    pub footprint: u16,
    /// Nitro's estimate of the compiled code size, in bytes.
    pub asm_estimate: u32,
}

impl Program {
    /// Nitro's `initGas`: 69 × 128 + initCost (scaled by `InitCostScalar`, 100%).
    pub fn init_gas(&self) -> u64 {
        MIN_INIT_GAS * MIN_INIT_GAS_UNITS + (u64::from(self.init_cost) * COST_SCALAR_PERCENT).div_ceil(100)
    }

    /// Nitro's `cachedGas`: 11 × 32 + cachedCost (scaled by `CachedCostScalar`, 100%).
    pub fn cached_gas(&self) -> u64 {
        MIN_CACHED_GAS * MIN_CACHED_GAS_UNITS
            + (u64::from(self.cached_init_cost) * COST_SCALAR_PERCENT).div_ceil(100)
    }

    /// The compiled size as Nitro stores and answers it (`codehashAsmSize`):
    /// the estimate in whole KiB (`asmEstimateKb`, rounded up), times 1,024.
    pub fn asm_size(&self) -> u32 {
        self.asm_estimate.div_ceil(1024).saturating_mul(1024)
    }

    /// The entry cost of one call (Nitro `CallProgram`, besides memory):
    /// `cachedGas` always at Stylus v2, plus `initGas` when the program is
    /// not cached.
    pub fn call_gas(&self, cached: bool) -> u64 {
        let cached_gas = if cached || self.version > 1 { self.cached_gas() } else { 0 };
        let init_gas = if cached { 0 } else { self.init_gas() };
        cached_gas + init_gas
    }
}

/// Activation state: the programs by code hash, the data pricer's demand
/// and the code hashes in ArbOS's program cache.
#[derive(Debug, Clone, Default)]
#[allow(clippy::struct_field_names)] // `programs` as Nitro names its table
pub struct Programs {
    pub(crate) programs: HashMap<B256, Program>,
    pub(crate) demand: u32,
    pub(crate) cached: HashSet<B256>,
    /// ArbOS's cache managers, in the order added (Nitro's address set).
    pub(crate) managers: Vec<Address>,
    /// The chain owners, in the order added.
    pub(crate) owners: Vec<Address>,
}

/// Why a program cannot run or be activated: Nitro's `ArbWasm` errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramError {
    /// `ProgramNotWasm()`.
    NotWasm,
    /// `ProgramNotActivated()`.
    NotActivated,
    /// `ProgramNeedsUpgrade(uint16 version, uint16 stylusVersion)`.
    NeedsUpgrade(u16, u16),
    /// `ProgramExpired(uint64 ageInSeconds)`.
    Expired(u64),
    /// `ProgramUpToDate()`.
    UpToDate,
    /// `ProgramInsufficientValue(uint256 have, uint256 want)`.
    InsufficientValue(U256, U256),
}

impl ProgramError {
    fn signature(&self) -> &'static str {
        match self {
            Self::NotWasm => "ProgramNotWasm()",
            Self::NotActivated => "ProgramNotActivated()",
            Self::NeedsUpgrade(..) => "ProgramNeedsUpgrade(uint16,uint16)",
            Self::Expired(_) => "ProgramExpired(uint64)",
            Self::UpToDate => "ProgramUpToDate()",
            Self::InsufficientValue(..) => "ProgramInsufficientValue(uint256,uint256)",
        }
    }

    fn args(&self) -> Vec<U256> {
        match *self {
            Self::NotWasm | Self::NotActivated | Self::UpToDate => Vec::new(),
            Self::NeedsUpgrade(a, b) => vec![U256::from(a), U256::from(b)],
            Self::Expired(age) => vec![U256::from(age)],
            Self::InsufficientValue(have, want) => vec![have, want],
        }
    }

    /// The ABI-encoded custom error (selector ‖ arguments): the revert data.
    pub fn encode(&self) -> Vec<u8> {
        let mut data = keccak256(self.signature())[..4].to_vec();
        for arg in self.args() {
            data.extend_from_slice(&arg.to_be_bytes::<32>());
        }
        data
    }

    /// The error as Nitro renders it in a message: `error ProgramNotActivated()`.
    pub fn render(&self) -> String {
        let name = self.signature().split('(').next().unwrap_or_default();
        let args: Vec<String> = self.args().iter().map(ToString::to_string).collect();
        format!("error {name}({})", args.join(", "))
    }
}

impl Programs {
    /// The program activated for `codehash` and usable at `time` (Nitro's
    /// `getActiveProgram`).
    ///
    /// # Errors
    /// [`ProgramError::NotActivated`], [`ProgramError::NeedsUpgrade`] or
    /// [`ProgramError::Expired`].
    pub fn active(&self, codehash: B256, time: u64) -> Result<Program, ProgramError> {
        let Some(program) = self.programs.get(&codehash).copied() else {
            return Err(ProgramError::NotActivated);
        };
        if program.version != STYLUS_VERSION {
            return Err(ProgramError::NeedsUpgrade(program.version, STYLUS_VERSION));
        }
        let age = time.saturating_sub(program.activated_at);
        if age > u64::from(EXPIRY_DAYS) * 86_400 {
            return Err(ProgramError::Expired(age));
        }
        Ok(program)
    }

    /// The program recorded for `codehash`, active or not.
    pub fn get(&self, codehash: B256) -> Option<Program> {
        self.programs.get(&codehash).copied()
    }

    /// Whether `codehash` is in ArbOS's program cache.
    pub fn is_cached(&self, codehash: B256) -> bool {
        self.cached.contains(&codehash)
    }

    /// Puts `codehash` in the program cache or takes it out; returns
    /// whether that changed anything.
    pub fn set_cached(&mut self, codehash: B256, cached: bool) -> bool {
        if cached {
            self.cached.insert(codehash)
        } else {
            self.cached.remove(&codehash)
        }
    }

    /// Rebuilds the activation state from its parts (a saved chain); the
    /// cache managers and chain owners are added on top
    /// ([`Programs::add_cache_manager`], [`Programs::add_chain_owner`]).
    pub fn from_parts(programs: HashMap<B256, Program>, demand: u32, cached: HashSet<B256>) -> Self {
        Self { programs, demand, cached, managers: Vec::new(), owners: Vec::new() }
    }

    /// Makes `manager` a cache manager (Nitro's
    /// `ArbOwner.addWasmCacheManager`): it may then cache and evict
    /// programs through `ArbWasmCache`. False when it already was one.
    pub fn add_cache_manager(&mut self, manager: Address) -> bool {
        if self.managers.contains(&manager) {
            return false;
        }
        self.managers.push(manager);
        true
    }

    /// Makes `owner` a chain owner (Nitro's `ArbOwner.addChainOwner`): it
    /// may cache and evict programs, and `ArbOwnerPublic.isChainOwner`
    /// answers true for it. False when it already was one.
    pub fn add_chain_owner(&mut self, owner: Address) -> bool {
        if self.owners.contains(&owner) {
            return false;
        }
        self.owners.push(owner);
        true
    }

    /// The cache managers, in the order added (`allCacheManagers()`).
    pub fn cache_managers(&self) -> &[Address] {
        &self.managers
    }

    /// The chain owners, in the order added (`getAllChainOwners()`).
    pub fn chain_owners(&self) -> &[Address] {
        &self.owners
    }

    /// Every recorded program by code hash, the data pricer's demand and
    /// the cached code hashes (to save a chain).
    pub fn parts(&self) -> (&HashMap<B256, Program>, u32, &HashSet<B256>) {
        (&self.programs, self.demand, &self.cached)
    }

    /// The entry cost of a call to the program with `codehash` (cached or
    /// uncached), when it is active at `time`.
    ///
    /// # Errors
    /// As [`Programs::active`].
    pub fn call_gas(&self, codehash: B256, time: u64) -> Result<u64, ProgramError> {
        self.active(codehash, time).map(|program| program.call_gas(self.is_cached(codehash)))
    }
}

/// Counts Nitro's activation and pricing formulas read from a module.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModuleFacts {
    /// Bytes of the decoded wasm.
    pub wasm_len: u64,
    /// Functions defined (not imported).
    pub funcs: u64,
    /// Parameters plus results over the defined functions' types.
    pub type_len: u64,
    /// Globals after Nitro's instrumentation (defined + 4).
    pub globals: u64,
    /// Bytes of data segments.
    pub data_bytes: u64,
    /// Element segment entries.
    pub elems: u64,
    /// Initial memory pages.
    pub footprint: u64,
    /// Operators in the function bodies (before instrumentation).
    pub code_ops: u64,
}

impl ModuleFacts {
    /// Reads the counts from a decoded wasm.
    ///
    /// # Errors
    /// When the module does not parse.
    pub fn read(wasm: &[u8]) -> Result<Self, ChainError> {
        let bad = |e: wasmparser::BinaryReaderError| ChainError::Instantiate(e.to_string());
        let mut facts = Self { wasm_len: wasm.len() as u64, ..Self::default() };
        let mut type_lens: Vec<u64> = Vec::new();
        let mut defined_globals = 0;
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(bad)? {
                Payload::TypeSection(reader) => {
                    for group in reader {
                        for sub in group.map_err(bad)?.into_types() {
                            type_lens.push(match &sub.composite_type.inner {
                                CompositeInnerType::Func(f) => (f.params().len() + f.results().len()) as u64,
                                _ => 0,
                            });
                        }
                    }
                }
                Payload::ImportSection(reader) => {
                    for import in reader {
                        if let TypeRef::Memory(memory) = import.map_err(bad)?.ty {
                            facts.footprint = memory.initial;
                        }
                    }
                }
                Payload::FunctionSection(reader) => {
                    for ty in reader {
                        let ty = usize::try_from(ty.map_err(bad)?).unwrap_or(usize::MAX);
                        facts.funcs += 1;
                        facts.type_len += type_lens.get(ty).copied().unwrap_or(0);
                    }
                }
                Payload::MemorySection(reader) => {
                    if let Some(memory) = reader.into_iter().next() {
                        facts.footprint = memory.map_err(bad)?.initial;
                    }
                }
                Payload::GlobalSection(reader) => defined_globals = u64::from(reader.count()),
                Payload::DataSection(reader) => {
                    for data in reader {
                        facts.data_bytes += data.map_err(bad)?.data.len() as u64;
                    }
                }
                Payload::ElementSection(reader) => {
                    for element in reader {
                        facts.elems += u64::from(match element.map_err(bad)?.items {
                            wasmparser::ElementItems::Functions(items) => items.count(),
                            wasmparser::ElementItems::Expressions(_, items) => items.count(),
                        });
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    let mut ops = body.get_operators_reader().map_err(bad)?;
                    while !ops.eof() {
                        ops.read().map_err(bad)?;
                        facts.code_ops += 1;
                    }
                }
                _ => {}
            }
        }
        // Nitro's instrumentation adds ink left, ink status, the scratch
        // global and the stack-depth global.
        facts.globals = defined_globals + 4;
        Ok(facts)
    }

    /// Nitro's `asm_estimate` (bytes).
    pub fn asm_estimate(&self) -> u64 {
        512_000
            + self.funcs * 996_829 / 1000
            + self.type_len * 11_416 / 1000
            + self.wasm_len * 62_628 / 10_000
    }

    /// Nitro's `cached_init_cost`.
    pub fn cached_init_cost(&self) -> u64 {
        self.funcs * 13_420 / 100_000
            + self.type_len * 89 / 100_000
            + self.wasm_len * 122 / 100_000
            + self.globals * 1628 / 1000
            + (self.data_bytes + self.elems) * 75_244 / 100_000
            + self.footprint * 5
    }

    /// Nitro's `init_cost`.
    pub fn init_cost(&self) -> u64 {
        self.cached_init_cost()
            + self.funcs * 8252 / 1000
            + self.type_len * 1059 / 1000
            + self.wasm_len * 1286 / 10_000
    }
}

/// The compile gas of Nitro's `Module::activate`: microsecond estimates
/// per part, at 28 gas per microsecond. Its wasm-length term multiplies by
/// `31_733 / 100_000`, which is 0 in integer arithmetic; so it is here.
pub fn compile_gas(facts: &ModuleFacts) -> u64 {
    let us_to_gas = |us: u64| us.saturating_mul(2 * 7_000_000) / (1_000_000 / 2);
    let wasm = us_to_gas(facts.wasm_len.saturating_mul(31_733 / 100_000));
    let funcs = us_to_gas(facts.funcs * 17_263 / 100_000);
    let data = us_to_gas(facts.data_bytes * 17_376 / 100_000);
    let elems = us_to_gas(facts.elems * 17_376 / 100_000);
    let memory = us_to_gas(facts.footprint * 2217);
    let code = us_to_gas(facts.code_ops * 535 / 1000);
    wasm + funcs + data + elems + memory + code
}

/// Nitro's `ApproxExpBasisPoints(x, degree)`: a Maclaurin polynomial of
/// `e^(x / 10,000)`, in basis points.
fn approx_exp_bips(x: u64, degree: u64) -> u64 {
    let mut result = ONE_IN_BIPS + x / degree;
    for i in 1..degree {
        result = ONE_IN_BIPS + result.saturating_mul(x) / ((degree - i) * ONE_IN_BIPS);
    }
    result
}

/// The data fee in wei for `asm_bytes` at `time`, and the demand after it
/// (Nitro `dataPricer.updateModel`; Nitro never moves `lastUpdateTime`
/// from its genesis value, so the credit always clears earlier demand).
pub fn data_fee(demand: u32, asm_bytes: u32, time: u64) -> (U256, u32) {
    let elapsed = u32::try_from(time.saturating_sub(PRICER_LAST_UPDATE)).unwrap_or(u32::MAX);
    let credit = BYTES_PER_SECOND.saturating_mul(elapsed);
    let demand = demand.saturating_sub(credit).saturating_add(asm_bytes);
    let exponent = ONE_IN_BIPS * u64::from(demand) / INERTIA;
    let multiplier = approx_exp_bips(exponent, 12);
    let per_byte = MIN_PRICE.saturating_mul(multiplier);
    (U256::from(per_byte.saturating_mul(u64::from(asm_bytes)) / ONE_IN_BIPS), demand)
}

/// Checks that `code` loads through the runtime and what activating it records.
///
/// # Errors
/// The runtime's error when the code would not activate.
pub fn analyse<B: Backend>(
    runtime: &Runtime<B>,
    code: &[u8],
    time: u64,
) -> Result<(Program, ModuleFacts, B256), ChainError> {
    runtime.program(code)?;
    let wasm = vault_wasm_pack::decode_code(code)?;
    let facts = ModuleFacts::read(&wasm)?;
    let program = Program {
        version: STYLUS_VERSION,
        activated_at: time,
        init_cost: u16::try_from(facts.init_cost()).unwrap_or(u16::MAX),
        cached_init_cost: u16::try_from(facts.cached_init_cost()).unwrap_or(u16::MAX),
        footprint: u16::try_from(facts.footprint).unwrap_or(u16::MAX),
        asm_estimate: u32::try_from(facts.asm_estimate()).unwrap_or(u32::MAX),
    };
    Ok((program, facts, keccak256(&wasm)))
}

fn word(value: U256) -> Vec<u8> {
    value.to_be_bytes::<32>().to_vec()
}

fn words(len: usize) -> u64 {
    (len as u64).div_ceil(32)
}

/// Charges `cost` from `gas`: the gas left, or `None` when it runs out.
fn charge(gas: u64, cost: u64) -> Option<u64> {
    gas.checked_sub(cost)
}

/// Runs a call to `ArbWasm`. The value, if any, has already moved to `0x71`.
pub(crate) fn run(
    state: &mut WorldState,
    runtime: &Rc<Runtime<WorldState>>,
    request: &CallRequest,
) -> FrameResult {
    let input = &request.input;
    let selector = input.get(..4).unwrap_or_default();
    let is = |signature: &str| selector == &keccak256(signature)[..4];
    let arg = |i: usize| input.get(4 + 32 * i..4 + 32 * (i + 1)).map(B256::from_slice);
    let address_arg = |i: usize| arg(i).map(|w| Address::from_slice(&w[12..]));
    let time = Backend::block(state).timestamp;
    // Nitro's precompile framework: 3 gas per word of arguments, then the
    // method; reads of ArbOS state at a flat price.
    let args_cost = 3 * words(input.len().saturating_sub(4));
    let payable = is("activateProgram(address)");
    if !payable && !request.value.is_zero() {
        return FrameResult::revert(Vec::new(), request.gas);
    }
    let Some(gas) = charge(request.gas, args_cost + ARBOS_READ_GAS) else {
        return FrameResult::failure(ChainError::OutOfGas);
    };
    let programs = state.programs.clone().unwrap_or_default();
    let view = |gas: u64, result: Result<U256, ProgramError>| -> FrameResult {
        let Some(gas) = charge(gas, ARBOS_READ_GAS) else {
            return FrameResult::failure(ChainError::OutOfGas);
        };
        match result {
            Ok(value) => match charge(gas, 3) {
                Some(gas) => FrameResult::success(word(value), gas),
                None => FrameResult::failure(ChainError::OutOfGas),
            },
            Err(e) => FrameResult::revert(e.encode(), gas),
        }
    };
    let codehash_of = |state: &mut WorldState, address: Address| Backend::code_hash(state, address);
    if is("stylusVersion()") {
        view(gas, Ok(U256::from(STYLUS_VERSION)))
    } else if is("expiryDays()") {
        view(gas, Ok(U256::from(EXPIRY_DAYS)))
    } else if let (true, Some(hash)) = (is("codehashVersion(bytes32)"), arg(0)) {
        view(gas, programs.active(hash, time).map(|p| U256::from(p.version)))
    } else if let (true, Some(hash)) = (is("codehashAsmSize(bytes32)"), arg(0)) {
        view(gas, programs.active(hash, time).map(|p| U256::from(p.asm_size())))
    } else if let (true, Some(address)) = (is("programVersion(address)"), address_arg(0)) {
        let hash = codehash_of(state, address);
        view(gas, programs.active(hash, time).map(|p| U256::from(p.version)))
    } else if let (true, Some(address)) = (is("programMemoryFootprint(address)"), address_arg(0)) {
        let hash = codehash_of(state, address);
        view(gas, programs.active(hash, time).map(|p| U256::from(p.footprint)))
    } else if let (true, Some(address)) = (is("programInitGas(address)"), address_arg(0)) {
        // (initGas + cachedGas at Stylus v2, cachedGas), as Nitro's `ProgramInitGas`.
        let hash = codehash_of(state, address);
        match programs.active(hash, time) {
            Ok(p) => {
                let mut output = word(U256::from(p.call_gas(false)));
                output.extend(word(U256::from(p.cached_gas())));
                match charge(gas, ARBOS_READ_GAS + 3 * words(output.len())) {
                    Some(gas) => FrameResult::success(output, gas),
                    None => FrameResult::failure(ChainError::OutOfGas),
                }
            }
            Err(e) => view(gas, Err(e)),
        }
    } else if let (true, Some(address)) = (is("programTimeLeft(address)"), address_arg(0)) {
        let hash = codehash_of(state, address);
        let expiry = u64::from(EXPIRY_DAYS) * 86_400;
        view(
            gas,
            programs
                .active(hash, time)
                .map(|p| U256::from(expiry.saturating_sub(time.saturating_sub(p.activated_at)))),
        )
    } else if let (true, Some(program)) = (payable, address_arg(0)) {
        activate(state, runtime, request, gas, program)
    } else {
        FrameResult::revert(Vec::new(), gas)
    }
}

/// The ABI encoding of an `address[]` return value.
fn address_array(addresses: &[Address]) -> Vec<u8> {
    let mut output = word(U256::from(32));
    output.extend(word(U256::from(addresses.len())));
    for address in addresses {
        output.extend(word(U256::from_be_slice(address.as_slice())));
    }
    output
}

/// Answers a view of ArbOS state: `reads` more storage reads, then the
/// output at 3 gas per word (Nitro's precompile framework).
fn answer(gas: u64, reads: u64, output: Vec<u8>) -> FrameResult {
    match charge(gas, reads * ARBOS_READ_GAS + 3 * words(output.len())) {
        Some(gas) => FrameResult::success(output, gas),
        None => FrameResult::failure(ChainError::OutOfGas),
    }
}

/// Runs a call to `ArbWasmCache` (Nitro `precompiles/ArbWasmCache.go`):
/// `codehashIsCached(bytes32)`, `isCacheManager(address)`,
/// `allCacheManagers()`, and for a cache manager or chain owner
/// `cacheProgram(address)` and `evictCodehash(bytes32)` (others burn all
/// the gas, as Nitro's `BurnOut`). The cache's changes are journaled.
///
/// Gas, restated from Nitro: 3 per argument word; 800 for opening ArbOS
/// state and per storage read (the access checks, the program record, its
/// module hash); 2,600 for an address's code hash; 100 for the Stylus
/// parameters; when the cache changes, the `UpdateProgramCache` LOG3, the
/// program's initCost (Nitro burns it to cache or evict) and 20,000 for
/// writing the record back.
pub(crate) fn run_cache(state: &mut WorldState, request: &CallRequest) -> FrameResult {
    let input = &request.input;
    let selector = input.get(..4).unwrap_or_default();
    let is = |signature: &str| selector == &keccak256(signature)[..4];
    let arg = |i: usize| input.get(4 + 32 * i..4 + 32 * (i + 1)).map(B256::from_slice);
    let address_arg = |i: usize| arg(i).map(|w| Address::from_slice(&w[12..]));
    if !request.value.is_zero() {
        return FrameResult::revert(Vec::new(), request.gas);
    }
    let args_cost = 3 * words(input.len().saturating_sub(4));
    let Some(gas) = charge(request.gas, args_cost + ARBOS_READ_GAS) else {
        return FrameResult::failure(ChainError::OutOfGas);
    };
    let programs = state.programs.clone().unwrap_or_default();
    if let (true, Some(hash)) = (is("codehashIsCached(bytes32)"), arg(0)) {
        answer(gas, 1, word(U256::from(u8::from(programs.is_cached(hash)))))
    } else if let (true, Some(address)) = (is("isCacheManager(address)"), address_arg(0)) {
        answer(gas, 1, word(U256::from(u8::from(programs.managers.contains(&address)))))
    } else if is("allCacheManagers()") {
        answer(gas, 1 + programs.managers.len() as u64, address_array(&programs.managers))
    } else if let (true, Some(address)) = (is("cacheProgram(address)"), address_arg(0)) {
        let Some(gas) = charge(gas, CODE_HASH_GAS) else {
            return FrameResult::failure(ChainError::OutOfGas);
        };
        let codehash = Backend::code_hash(state, address);
        set_cached(state, &programs, request, gas, codehash, true)
    } else if let (true, Some(codehash)) = (is("evictCodehash(bytes32)"), arg(0)) {
        set_cached(state, &programs, request, gas, codehash, false)
    } else {
        FrameResult::revert(Vec::new(), gas)
    }
}

/// Nitro's `ArbWasmCache.setProgramCached` and `Programs.SetProgramCached`.
fn set_cached(
    state: &mut WorldState,
    programs: &Programs,
    request: &CallRequest,
    gas: u64,
    codehash: B256,
    cache: bool,
) -> FrameResult {
    if request.is_static {
        let method = if cache { "cacheProgram" } else { "evictCodehash" };
        return FrameResult::failure(ChainError::WriteProtection(method));
    }
    // The access check: the cache managers, then the chain owners.
    let caller = request.caller;
    let manager = programs.managers.contains(&caller);
    let reads = if manager { 1 } else { 2 };
    let Some(gas) = charge(gas, reads * ARBOS_READ_GAS) else {
        return FrameResult::failure(ChainError::OutOfGas);
    };
    if !manager && !programs.owners.contains(&caller) {
        return FrameResult::failure(ChainError::OutOfGas);
    }
    let Some(gas) = charge(gas, PARAMS_READ_GAS + ARBOS_READ_GAS) else {
        return FrameResult::failure(ChainError::OutOfGas);
    };
    // A code hash never activated reads as version 0: caching it is
    // `ProgramNeedsUpgrade(0, 2)`, evicting it changes nothing.
    let program = programs.get(codehash).unwrap_or(Program {
        version: 0,
        activated_at: 0,
        init_cost: 0,
        cached_init_cost: 0,
        footprint: 0,
        asm_estimate: 0,
    });
    let time = Backend::block(state).timestamp;
    let age = time.saturating_sub(program.activated_at);
    let error = if cache && program.version != STYLUS_VERSION {
        Some(ProgramError::NeedsUpgrade(program.version, STYLUS_VERSION))
    } else if cache && age > u64::from(EXPIRY_DAYS) * 86_400 {
        Some(ProgramError::Expired(age))
    } else {
        None
    };
    if let Some(error) = error {
        let data = error.encode();
        return match charge(gas, 3 * words(data.len())) {
            Some(gas) => FrameResult::revert(data, gas),
            None => FrameResult::failure(ChainError::OutOfGas),
        };
    }
    if programs.is_cached(codehash) == cache {
        return FrameResult::success(Vec::new(), gas);
    }
    // UpdateProgramCache(address indexed manager, bytes32 indexed
    // codehash, bool cached): LOG3, one data word.
    let log_gas = 375 + 3 * 375 + 8 * 32;
    let cost = log_gas + u64::from(program.init_cost) + ARBOS_READ_GAS + ARBOS_WRITE_GAS;
    let Some(gas) = charge(gas, cost) else {
        return FrameResult::failure(ChainError::OutOfGas);
    };
    let topic = keccak256("UpdateProgramCache(address,bytes32,bool)");
    let manager_topic = B256::left_padding_from(caller.as_slice());
    Backend::log(
        state,
        Log {
            address: ARB_WASM_CACHE,
            data: LogData::new_unchecked(
                vec![topic, manager_topic, codehash],
                word(U256::from(u8::from(cache))).into(),
            ),
        },
    );
    state.set_cached(codehash, cache);
    FrameResult::success(Vec::new(), gas)
}

/// Runs a call to `ArbOwnerPublic` (Nitro `precompiles/ArbOwnerPublic.go`):
/// `isChainOwner(address)`, `getAllChainOwners()` and
/// `getNetworkFeeAccount()`; other methods revert with no data.
pub(crate) fn run_owner_public(state: &WorldState, request: &CallRequest) -> FrameResult {
    let input = &request.input;
    let selector = input.get(..4).unwrap_or_default();
    let is = |signature: &str| selector == &keccak256(signature)[..4];
    let address_arg = input.get(4..36).map(|w| Address::from_slice(&w[12..]));
    if !request.value.is_zero() {
        return FrameResult::revert(Vec::new(), request.gas);
    }
    let args_cost = 3 * words(input.len().saturating_sub(4));
    let Some(gas) = charge(request.gas, args_cost + ARBOS_READ_GAS) else {
        return FrameResult::failure(ChainError::OutOfGas);
    };
    let owners = state.programs.as_ref().map(|p| p.owners.as_slice()).unwrap_or_default();
    if let (true, Some(address)) = (is("isChainOwner(address)"), address_arg) {
        answer(gas, 1, word(U256::from(u8::from(owners.contains(&address)))))
    } else if is("getAllChainOwners()") {
        answer(gas, 1 + owners.len() as u64, address_array(owners))
    } else if is("getNetworkFeeAccount()") {
        answer(gas, 1, word(U256::from_be_slice(NETWORK_FEE_ACCOUNT.as_slice())))
    } else {
        FrameResult::revert(Vec::new(), gas)
    }
}

/// `activateProgram(address)`: Nitro's `ArbWasm.ActivateProgram`.
fn activate(
    state: &mut WorldState,
    runtime: &Rc<Runtime<WorldState>>,
    request: &CallRequest,
    gas: u64,
    program: Address,
) -> FrameResult {
    if request.is_static {
        return FrameResult::failure(ChainError::WriteProtection("activateProgram"));
    }
    let Some(gas) = charge(gas, ACTIVATION_FIXED_GAS) else {
        return FrameResult::failure(ChainError::OutOfGas);
    };
    let time = Backend::block(state).timestamp;
    let codehash = Backend::code_hash(state, program);
    let programs = state.programs.clone().unwrap_or_default();
    let Some(gas) = charge(gas, ARBOS_READ_GAS) else {
        return FrameResult::failure(ChainError::OutOfGas);
    };
    if let Some(current) = programs.get(codehash) {
        let expired = time.saturating_sub(current.activated_at) > u64::from(EXPIRY_DAYS) * 86_400;
        if current.version == STYLUS_VERSION && !expired {
            return FrameResult::revert(ProgramError::UpToDate.encode(), gas);
        }
    }
    let code = Backend::code(state, program);
    if !vault_wasm_pack::is_stylus_code(&code) {
        return FrameResult::revert(ProgramError::NotWasm.encode(), gas);
    }
    // A module that does not compile takes all the gas, as in Nitro.
    let (record, facts, module_hash) = match analyse(runtime.as_ref(), &code, time) {
        Ok(analysed) => analysed,
        Err(e) => return FrameResult::failure(e),
    };
    let Some(gas) = charge(gas, compile_gas(&facts)) else {
        return FrameResult::failure(ChainError::OutOfGas);
    };
    let (fee, demand) = data_fee(programs.demand, record.asm_estimate, time);
    let value = request.value;
    if value < fee {
        return FrameResult::revert(ProgramError::InsufficientValue(value, fee).encode(), gas);
    }
    // The fee to the network account, the rest back to the caller.
    if state.transfer(ARB_WASM, NETWORK_FEE_ACCOUNT, fee).is_err()
        || state.transfer(ARB_WASM, request.caller, value - fee).is_err()
    {
        return FrameResult::failure(ChainError::InsufficientBalance { from: ARB_WASM });
    }
    state.set_program(codehash, record, demand);
    // ProgramActivated(bytes32 indexed codehash, bytes32 moduleHash,
    // address program, uint256 dataFee, uint16 version): LOG2, 4 data words.
    let topic = keccak256("ProgramActivated(bytes32,bytes32,address,uint256,uint16)");
    let mut data = module_hash.to_vec();
    data.extend(word(U256::from_be_slice(program.as_slice())));
    data.extend(word(fee));
    data.extend(word(U256::from(STYLUS_VERSION)));
    let log_gas = 375 + 2 * 375 + 8 * data.len() as u64;
    let Some(gas) = charge(gas, log_gas + 2 * ARBOS_READ_GAS) else {
        return FrameResult::failure(ChainError::OutOfGas);
    };
    Backend::log(
        state,
        Log { address: ARB_WASM, data: LogData::new_unchecked(vec![topic, codehash], data.into()) },
    );
    let mut output = word(U256::from(STYLUS_VERSION));
    output.extend(word(fee));
    match charge(gas, 3 * words(output.len())) {
        Some(gas) => FrameResult::success(output, gas),
        None => FrameResult::failure(ChainError::OutOfGas),
    }
}
