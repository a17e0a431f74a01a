//! An in-memory world state and the [`World`] that runs transactions on it.

use std::{
    collections::{HashMap, HashSet},
    rc::Rc,
};

use alloy_primitives::{keccak256, Address, Bytes, Log, B256, U256};

use crate::{
    arb_wasm::{self, Program, ProgramError, Programs},
    backend::{Backend, BlockEnv, CallKind, CallRequest, CreateRequest, FrameResult, TxEnv},
    evm,
    host::Runtime,
    ChainError,
};

/// Seconds per L1 block, for the L1 block number estimate.
pub const L1_BLOCK_SECONDS: u64 = 12;

/// Gas limit of every transaction the world runs.
pub const TX_GAS: u64 = 30_000_000;

/// `keccak256(code)`, memoised by the code's buffer: every call hashes its
/// account's code (the EVM's analysis cache, the program lookup, the entry
/// cost), and an account's code is one shared [`Bytes`] buffer. The memo
/// keeps a clone of each buffer it keys, so a key's allocation cannot be
/// freed and reused for other bytes while its entry lives.
pub fn code_hash(code: &Bytes) -> B256 {
    thread_local! {
        static MEMO: std::cell::RefCell<HashMap<(usize, usize), (Bytes, B256)>> =
            std::cell::RefCell::new(HashMap::new());
    }
    if code.len() < 256 {
        return keccak256(code);
    }
    let key = (code.as_ptr() as usize, code.len());
    MEMO.with(|memo| {
        if let Some((_, hash)) = memo.borrow().get(&key) {
            return *hash;
        }
        let hash = keccak256(code);
        memo.borrow_mut().insert(key, (code.clone(), hash));
        hash
    })
}

/// One account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Account {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce: transactions sent by an EOA, creations made by a contract.
    pub nonce: u64,
    /// Code: EVM bytecode, or `0xEFF00000 ‖ brotli(wasm)` for Stylus programs.
    pub code: Bytes,
    /// Storage; absent slots read as zero.
    pub storage: HashMap<U256, B256>,
}

#[derive(Debug, Clone)]
enum JournalEntry {
    Created(Address),
    Storage { address: Address, key: U256, previous: Option<B256> },
    Transient { address: Address, key: U256, previous: Option<B256> },
    Balance { address: Address, previous: U256 },
    Nonce { address: Address, previous: u64 },
    Code { address: Address, previous: Bytes },
    WarmAccount(Address),
    WarmSlot(Address, U256),
    Program { codehash: B256, previous: Option<Program>, demand: u32 },
    Cached { codehash: B256, previous: bool },
}

/// A point to revert to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    journal: usize,
    logs: usize,
}

/// Accounts, logs, block and transaction data, with a journal for reverts,
/// EIP-2929 access sets and the per-transaction original slot values.
#[derive(Debug, Clone, Default)]
pub struct WorldState {
    accounts: HashMap<Address, Account>,
    transient: HashMap<(Address, U256), B256>,
    logs: Vec<Log>,
    journal: Vec<JournalEntry>,
    warm_accounts: HashSet<Address>,
    warm_slots: HashSet<(Address, U256)>,
    originals: HashMap<(Address, U256), B256>,
    ink_used: u64,
    block: BlockEnv,
    tx: TxEnv,
    pub(crate) evm: evm::EvmCache,
    /// Nitro's activation state, when its rules are on
    /// ([`World::enable_program_activation`]).
    pub(crate) programs: Option<Programs>,
}

impl WorldState {
    /// The account at `address`, if it exists.
    pub fn account(&self, address: Address) -> Option<&Account> {
        self.accounts.get(&address)
    }

    /// Every log kept so far, oldest first.
    pub fn logs(&self) -> &[Log] {
        &self.logs
    }

    /// Every account, in no particular order.
    pub fn accounts(&self) -> impl Iterator<Item = (&Address, &Account)> {
        self.accounts.iter()
    }

    /// A checkpoint to [`WorldState::revert`] to.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint { journal: self.journal.len(), logs: self.logs.len() }
    }

    /// Undoes every change since `checkpoint`, access-list warming included.
    pub fn revert(&mut self, checkpoint: Checkpoint) {
        while self.journal.len() > checkpoint.journal {
            let Some(entry) = self.journal.pop() else { break };
            match entry {
                JournalEntry::Created(address) => {
                    self.accounts.remove(&address);
                }
                JournalEntry::Storage { address, key, previous } => {
                    let storage = &mut self.accounts.entry(address).or_default().storage;
                    match previous {
                        Some(value) => storage.insert(key, value),
                        None => storage.remove(&key),
                    };
                }
                JournalEntry::Transient { address, key, previous } => {
                    match previous {
                        Some(value) => self.transient.insert((address, key), value),
                        None => self.transient.remove(&(address, key)),
                    };
                }
                JournalEntry::Balance { address, previous } => {
                    self.accounts.entry(address).or_default().balance = previous;
                }
                JournalEntry::Nonce { address, previous } => {
                    self.accounts.entry(address).or_default().nonce = previous;
                }
                JournalEntry::Code { address, previous } => {
                    self.accounts.entry(address).or_default().code = previous;
                }
                JournalEntry::WarmAccount(address) => {
                    self.warm_accounts.remove(&address);
                }
                JournalEntry::WarmSlot(address, key) => {
                    self.warm_slots.remove(&(address, key));
                }
                JournalEntry::Program { codehash, previous, demand } => {
                    if let Some(programs) = &mut self.programs {
                        match previous {
                            Some(program) => programs.programs.insert(codehash, program),
                            None => programs.programs.remove(&codehash),
                        };
                        programs.demand = demand;
                    }
                }
                JournalEntry::Cached { codehash, previous } => {
                    if let Some(programs) = &mut self.programs {
                        programs.set_cached(codehash, previous);
                    }
                }
            }
        }
        self.logs.truncate(checkpoint.logs);
    }

    fn touch(&mut self, address: Address) -> &mut Account {
        if !self.accounts.contains_key(&address) {
            self.journal.push(JournalEntry::Created(address));
        }
        self.accounts.entry(address).or_default()
    }

    /// Nitro's activation state, when its rules are on.
    pub fn programs(&self) -> Option<&Programs> {
        self.programs.as_ref()
    }

    /// Records an activation, journaled (no-op when the rules are off).
    pub(crate) fn set_program(&mut self, codehash: B256, program: Program, demand: u32) {
        if let Some(programs) = &mut self.programs {
            let previous = programs.programs.insert(codehash, program);
            let entry = JournalEntry::Program { codehash, previous, demand: programs.demand };
            programs.demand = demand;
            self.journal.push(entry);
        }
    }

    /// Puts a code hash in ArbOS's program cache or takes it out,
    /// journaled (no-op when the rules are off).
    pub(crate) fn set_cached(&mut self, codehash: B256, cached: bool) {
        if let Some(programs) = &mut self.programs {
            if programs.set_cached(codehash, cached) {
                self.journal.push(JournalEntry::Cached { codehash, previous: !cached });
            }
        }
    }

    /// Whether `address` has no code, zero nonce and zero balance (EIP-161).
    pub(crate) fn is_empty(&self, address: Address) -> bool {
        self.accounts.get(&address).is_none_or(|a| a.code.is_empty() && a.nonce == 0 && a.balance.is_zero())
    }

    pub(crate) fn nonce(&self, address: Address) -> u64 {
        self.accounts.get(&address).map_or(0, |a| a.nonce)
    }

    /// Increments a nonce, journaled; `None` at `u64::MAX`.
    pub(crate) fn bump_nonce(&mut self, address: Address) -> Option<u64> {
        let previous = self.nonce(address);
        let next = previous.checked_add(1)?;
        self.journal.push(JournalEntry::Nonce { address, previous });
        self.touch(address).nonce = next;
        Some(previous)
    }

    /// Replaces an account's code, journaled.
    pub(crate) fn put_code(&mut self, address: Address, code: Bytes) {
        let previous = std::mem::replace(&mut self.touch(address).code, code);
        self.journal.push(JournalEntry::Code { address, previous });
    }

    pub(crate) fn transfer(&mut self, from: Address, to: Address, value: U256) -> Result<(), ChainError> {
        let from_balance = self.accounts.get(&from).map_or(U256::ZERO, |a| a.balance);
        let remaining = from_balance.checked_sub(value).ok_or(ChainError::InsufficientBalance { from })?;
        self.journal.push(JournalEntry::Balance { address: from, previous: from_balance });
        self.touch(from).balance = remaining;
        let to_balance = self.accounts.get(&to).map_or(U256::ZERO, |a| a.balance);
        self.journal.push(JournalEntry::Balance { address: to, previous: to_balance });
        self.touch(to).balance = to_balance.saturating_add(value);
        Ok(())
    }

    /// Starts a transaction: clears transient storage, access sets, the
    /// original values and the ink counter; warms the sender, the target,
    /// the coinbase (EIP-3651) and the precompiles.
    fn begin_tx(&mut self, origin: Address, to: Option<Address>) {
        self.tx = TxEnv { origin, gas_price: self.block.basefee };
        self.transient.clear();
        self.warm_accounts.clear();
        self.warm_slots.clear();
        self.originals.clear();
        self.ink_used = 0;
        self.warm_accounts.insert(origin);
        self.warm_accounts.insert(self.block.coinbase);
        self.warm_accounts.extend(to);
        self.warm_accounts.extend(evm::warm_precompiles());
        if self.programs.is_some() {
            self.warm_accounts.insert(arb_wasm::ARB_WASM);
            self.warm_accounts.insert(arb_wasm::ARB_WASM_CACHE);
            self.warm_accounts.insert(arb_wasm::ARB_OWNER_PUBLIC);
        }
        self.evm.set_env(&self.block, &self.tx);
    }

    fn end_tx(&mut self) {
        self.journal.clear();
        self.transient.clear();
    }

    pub(crate) fn storage_value(&self, address: Address, key: U256) -> B256 {
        self.accounts.get(&address).and_then(|a| a.storage.get(&key)).copied().unwrap_or_default()
    }
}

impl Backend for WorldState {
    fn block(&self) -> &BlockEnv {
        &self.block
    }

    fn tx(&self) -> &TxEnv {
        &self.tx
    }

    fn sload(&mut self, address: Address, key: U256) -> B256 {
        self.storage_value(address, key)
    }

    fn access_account(&mut self, address: Address) -> bool {
        let cold = self.warm_accounts.insert(address);
        if cold {
            self.journal.push(JournalEntry::WarmAccount(address));
        }
        cold
    }

    fn access_slot(&mut self, address: Address, key: U256) -> bool {
        let cold = self.warm_slots.insert((address, key));
        if cold {
            self.journal.push(JournalEntry::WarmSlot(address, key));
        }
        cold
    }

    fn original_value(&mut self, address: Address, key: U256) -> B256 {
        let current = self.storage_value(address, key);
        *self.originals.entry((address, key)).or_insert(current)
    }

    fn record_ink(&mut self, ink: u64) {
        self.ink_used = self.ink_used.saturating_add(ink);
    }

    fn sstore(&mut self, address: Address, key: U256, value: B256) {
        self.original_value(address, key);
        let account = self.touch(address);
        let previous = account.storage.insert(key, value);
        self.journal.push(JournalEntry::Storage { address, key, previous });
    }

    fn tload(&mut self, address: Address, key: U256) -> B256 {
        self.transient.get(&(address, key)).copied().unwrap_or_default()
    }

    fn tstore(&mut self, address: Address, key: U256, value: B256) {
        let previous = self.transient.insert((address, key), value);
        self.journal.push(JournalEntry::Transient { address, key, previous });
    }

    fn balance(&mut self, address: Address) -> U256 {
        self.accounts.get(&address).map_or(U256::ZERO, |a| a.balance)
    }

    fn code(&mut self, address: Address) -> Bytes {
        self.accounts.get(&address).map(|a| a.code.clone()).unwrap_or_default()
    }

    fn code_hash(&mut self, address: Address) -> B256 {
        if self.is_empty(address) {
            return B256::ZERO;
        }
        self.accounts.get(&address).map_or(B256::ZERO, |a| code_hash(&a.code))
    }

    fn log(&mut self, log: Log) {
        self.logs.push(log);
    }

    fn call(&mut self, runtime: &Rc<Runtime<Self>>, request: CallRequest) -> FrameResult {
        stacker::maybe_grow(evm::STACK_RED_ZONE, evm::STACK_GROWTH, || evm::call(self, runtime, request))
    }

    fn create(
        &mut self,
        runtime: &Rc<Runtime<Self>>,
        request: CreateRequest,
    ) -> (Option<Address>, FrameResult) {
        stacker::maybe_grow(evm::STACK_RED_ZONE, evm::STACK_GROWTH, || evm::create(self, runtime, request))
    }
}

/// The result of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    /// Whether the call succeeded; on failure every state change is undone.
    pub success: bool,
    /// Return data on success, revert data on a revert.
    pub return_data: Vec<u8>,
    /// Logs emitted by the call (empty on failure).
    pub logs: Vec<Log>,
    /// Why the call failed when it was not a plain revert.
    pub error: Option<ChainError>,
    /// Gas the transaction used: intrinsic gas, execution, minus the
    /// refund (capped at a fifth of the gas used, EIP-3529).
    pub gas_used: u64,
    /// Ink burnt by every Stylus frame of the transaction (10,000 per gas).
    pub ink_used: u64,
    /// The address a deployment created.
    pub created: Option<Address>,
}

/// An in-process chain: a [`WorldState`], a clock and a Stylus runtime.
///
/// A clone shares the runtime (its settings and program cache) and copies
/// the state: the local node runs `eth_call` and snapshots on clones.
#[derive(Debug, Clone)]
pub struct World {
    runtime: Rc<Runtime<WorldState>>,
    state: WorldState,
    /// `(timestamp, l1_number)` the L1 estimate counts from.
    l1_origin: (u64, u64),
    /// Gas limit of the next transaction.
    gas_limit: u64,
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    /// An empty world at the default [`BlockEnv`], with the `ArbSys`
    /// precompile at `0x64`.
    pub fn new() -> Self {
        let mut state = WorldState::default();
        state.put_code(evm::ARB_SYS, Bytes::from_static(&[0xFE]));
        state.journal.clear();
        let l1_origin = (state.block.timestamp, state.block.l1_number);
        Self { runtime: Rc::new(Runtime::new()), state, l1_origin, gas_limit: TX_GAS }
    }

    /// The Stylus runtime (its hostio list, depth limit).
    pub fn runtime(&self) -> &Runtime<WorldState> {
        &self.runtime
    }

    /// The Stylus runtime, to change its settings before running anything.
    ///
    /// # Panics
    /// When the runtime is shared (never between transactions).
    pub fn runtime_mut(&mut self) -> &mut Runtime<WorldState> {
        Rc::get_mut(&mut self.runtime).expect("the runtime is not shared between transactions")
    }

    /// The state.
    pub fn state(&self) -> &WorldState {
        &self.state
    }

    /// The current block.
    pub fn block(&self) -> &BlockEnv {
        &self.state.block
    }

    /// Sets chain id, base fee and other block fields directly.
    pub fn block_mut(&mut self) -> &mut BlockEnv {
        &mut self.state.block
    }

    /// Mines one L2 block `seconds` after the current one. The L1 estimate
    /// (`block_number`) moves one block per [`L1_BLOCK_SECONDS`] elapsed.
    pub fn advance(&mut self, seconds: u64) {
        let block = &mut self.state.block;
        block.number += 1;
        block.timestamp += seconds;
        let (origin_time, origin_l1) = self.l1_origin;
        block.l1_number = origin_l1 + block.timestamp.saturating_sub(origin_time) / L1_BLOCK_SECONDS;
    }

    /// Mines `blocks` L2 blocks, `seconds` apart.
    pub fn advance_blocks(&mut self, blocks: u64, seconds: u64) {
        for _ in 0..blocks {
            self.advance(seconds);
        }
    }

    /// Packs a raw rustc wasm as `cargo stylus` deploys it
    /// ([`vault_wasm_pack::pack`]), checks that it loads here, and stores
    /// the code at `address`. Does not run a constructor: call it as the
    /// deployer would.
    ///
    /// # Errors
    /// [`ChainError::Pack`] when the wasm would not activate;
    /// [`ChainError::UnknownImport`] when it needs a hostio not provided.
    pub fn deploy_stylus(&mut self, address: Address, raw_wasm: &[u8]) -> Result<(), ChainError> {
        let wasm = vault_wasm_pack::process(raw_wasm, vault_wasm_pack::stand_in_project_hash(0))?;
        if self.runtime.debug() {
            vault_wasm_pack::validate_debug(&wasm)?;
        } else {
            vault_wasm_pack::validate(&wasm)?;
        }
        let code = vault_wasm_pack::encode_code(&vault_wasm_pack::compress(&wasm)?);
        self.deploy_code(address, code)
    }

    /// [`World::deploy_stylus`], then the constructor, called by `deployer`
    /// with ABI-encoded `args` as stylus-sdk 0.9 routes it (selector
    /// `keccak256("stylus_constructor()")[..4]` whatever the parameters).
    ///
    /// # Errors
    /// As [`World::deploy_stylus`], or the constructor's failed outcome
    /// (as [`ChainError::Trap`] with its revert data in hex).
    pub fn deploy_stylus_and_construct(
        &mut self,
        deployer: Address,
        address: Address,
        raw_wasm: &[u8],
        args: &[u8],
    ) -> Result<CallOutcome, ChainError> {
        self.deploy_stylus(address, raw_wasm)?;
        let mut calldata = keccak256("stylus_constructor()")[..4].to_vec();
        calldata.extend_from_slice(args);
        let outcome = self.call(deployer, address, &calldata, U256::ZERO);
        if outcome.success {
            Ok(outcome)
        } else {
            Err(outcome.error.clone().unwrap_or_else(|| {
                ChainError::Trap(format!(
                    "constructor reverted: 0x{}",
                    alloy_primitives::hex::encode(&outcome.return_data)
                ))
            }))
        }
    }

    /// Stores already packed Stylus code at `address` after checking it
    /// loads. With Nitro's activation rules on, its code hash is also
    /// recorded as activated now (no data fee): a deployment and an
    /// activation in one step.
    ///
    /// # Errors
    /// As [`World::deploy_stylus`].
    pub fn deploy_code(&mut self, address: Address, code: Vec<u8>) -> Result<(), ChainError> {
        self.runtime.program(&code)?;
        if self.state.programs.is_some() {
            let (program, _, _) =
                arb_wasm::analyse(self.runtime.as_ref(), &code, self.state.block.timestamp)?;
            let codehash = keccak256(&code);
            if let Some(programs) = &mut self.state.programs {
                programs.programs.insert(codehash, program);
            }
        }
        self.set_code(address, code);
        Ok(())
    }

    /// Turns on Nitro's activation rules ([`crate::arb_wasm`]): `ArbWasm`
    /// at `0x71`, `ArbWasmCache` at `0x72` and `ArbOwnerPublic` at `0x6b`
    /// (each with the code `0xFE`, as ArbOS gives its precompiles, so that
    /// Solidity's code-size check before a call passes), contract creation
    /// of Stylus code, and calls to Stylus code only once its code hash is
    /// activated. Code already in the state is not activated by this. Off
    /// by default.
    pub fn enable_program_activation(&mut self) {
        if self.state.programs.is_none() {
            self.state.programs = Some(Programs::default());
        }
        for precompile in [arb_wasm::ARB_WASM, arb_wasm::ARB_WASM_CACHE, arb_wasm::ARB_OWNER_PUBLIC] {
            let account = self.state.accounts.entry(precompile).or_default();
            if account.code.is_empty() {
                account.code = Bytes::from_static(&[0xFE]);
            }
        }
    }

    /// Makes `manager` one of ArbOS's cache managers (Nitro's
    /// `ArbOwner.addWasmCacheManager`), turning on the activation rules if
    /// they are off; false when it already was one.
    pub fn add_wasm_cache_manager(&mut self, manager: Address) -> bool {
        self.enable_program_activation();
        self.state.programs.as_mut().is_some_and(|p| p.add_cache_manager(manager))
    }

    /// Makes `owner` a chain owner (Nitro's `ArbOwner.addChainOwner`),
    /// turning on the activation rules if they are off; false when it
    /// already was one.
    pub fn add_chain_owner(&mut self, owner: Address) -> bool {
        self.enable_program_activation();
        self.state.programs.as_mut().is_some_and(|p| p.add_chain_owner(owner))
    }

    /// Whether Nitro's activation rules are on.
    pub fn program_activation(&self) -> bool {
        self.state.programs.is_some()
    }

    /// Puts the program at `address` in ArbOS's program cache (`cached`
    /// true) or takes it out, as the cache manager would: later calls to it
    /// pay the cached entry cost ([`Program::call_gas`]). Returns its code
    /// hash and whether the cache changed.
    ///
    /// # Errors
    /// Why the program is not active ([`Programs::active`]), also when
    /// Nitro's activation rules are off ([`ProgramError::NotActivated`]).
    pub fn cache_program(&mut self, address: Address, cached: bool) -> Result<(B256, bool), ProgramError> {
        let codehash = Backend::code_hash(&mut self.state, address);
        let time = self.state.block.timestamp;
        let programs = self.state.programs.as_mut().ok_or(ProgramError::NotActivated)?;
        programs.active(codehash, time)?;
        Ok((codehash, programs.set_cached(codehash, cached)))
    }

    /// The Stylus programs in the state (code with the Stylus prefix), in
    /// address order.
    pub fn stylus_programs(&self) -> Vec<Address> {
        let mut programs: Vec<Address> = self
            .state
            .accounts
            .iter()
            .filter(|(_, account)| vault_wasm_pack::is_stylus_code(&account.code))
            .map(|(address, _)| *address)
            .collect();
        programs.sort();
        programs
    }

    /// Turns on Nitro's activation rules and activates every Stylus program
    /// in the state as a deployer does: `ArbWasm.activateProgram(program)`
    /// (once per code hash) from `payer`, sent `value` each (the data fee is kept, the rest
    /// refunded); then, when `cache`, puts each in ArbOS's program cache (as
    /// an accepted cache bid does). Returns the programs, in address order.
    ///
    /// # Errors
    /// The outcome of an activation that failed (`payer` short of `value`,
    /// code that does not compile).
    ///
    /// # Panics
    /// Never: a program just activated is active, so it caches.
    pub fn activate_stylus_programs(
        &mut self,
        payer: Address,
        value: U256,
        cache: bool,
    ) -> Result<Vec<Address>, Box<CallOutcome>> {
        self.enable_program_activation();
        let programs = self.stylus_programs();
        let mut done = HashSet::new();
        for program in &programs {
            // Activation is per code hash: one per distinct code.
            if !done.insert(Backend::code_hash(&mut self.state, *program)) {
                continue;
            }
            let mut calldata = keccak256("activateProgram(address)")[..4].to_vec();
            calldata.extend_from_slice(B256::left_padding_from(program.as_slice()).as_slice());
            let outcome = self.call(payer, crate::arb_wasm::ARB_WASM, &calldata, value);
            if !outcome.success {
                return Err(Box::new(outcome));
            }
            if cache {
                self.cache_program(*program, true).expect("a program just activated is active");
            }
        }
        Ok(programs)
    }

    /// Deploys EVM init code (a Solidity artifact's bytecode followed by
    /// its ABI-encoded constructor arguments) in a transaction from `from`,
    /// at `from`'s `CREATE` address.
    ///
    /// # Errors
    /// The failed transaction's outcome (revert data, error).
    pub fn deploy_evm(&mut self, from: Address, init_code: &[u8]) -> Result<Address, Box<CallOutcome>> {
        let outcome = self.transact(from, None, init_code, U256::ZERO, false);
        match outcome.created {
            Some(address) if outcome.success => Ok(address),
            _ => Err(Box::new(outcome)),
        }
    }

    /// Stores any code at `address`, unchecked.
    pub fn set_code(&mut self, address: Address, code: impl Into<Bytes>) {
        self.state.accounts.entry(address).or_default().code = code.into();
    }

    /// Sets a balance.
    pub fn set_balance(&mut self, address: Address, balance: U256) {
        self.state.accounts.entry(address).or_default().balance = balance;
    }

    /// Sets a nonce.
    pub fn set_nonce(&mut self, address: Address, nonce: u64) {
        self.state.accounts.entry(address).or_default().nonce = nonce;
    }

    /// Replaces Nitro's activation state (turning its rules on).
    pub fn set_programs(&mut self, programs: Programs) {
        self.state.programs = Some(programs);
    }

    /// Forgets the logs kept so far ([`CallOutcome::logs`] still has each
    /// transaction's own), so that they are not copied with every clone.
    pub fn clear_logs(&mut self) {
        self.state.logs.clear();
    }

    /// A balance.
    pub fn balance(&self, address: Address) -> U256 {
        self.state.accounts.get(&address).map_or(U256::ZERO, |a| a.balance)
    }

    /// An account's nonce.
    pub fn nonce(&self, address: Address) -> u64 {
        self.state.nonce(address)
    }

    /// Writes a storage slot directly.
    pub fn set_storage(&mut self, address: Address, key: U256, value: B256) {
        self.state.accounts.entry(address).or_default().storage.insert(key, value);
    }

    /// Reads a storage slot.
    pub fn storage(&self, address: Address, key: U256) -> B256 {
        self.state.storage_value(address, key)
    }

    /// A copy of an account's whole storage (for before/after comparisons).
    pub fn storage_of(&self, address: Address) -> HashMap<U256, B256> {
        self.state.accounts.get(&address).map(|a| a.storage.clone()).unwrap_or_default()
    }

    /// Every log kept so far.
    pub fn logs(&self) -> &[Log] {
        self.state.logs()
    }

    /// Runs a transaction: `from` calls `to` with `calldata` and `value`,
    /// with a gas limit of [`TX_GAS`].
    pub fn call(&mut self, from: Address, to: Address, calldata: &[u8], value: U256) -> CallOutcome {
        self.transact(from, Some(to), calldata, value, false)
    }

    /// [`World::call`] with its own gas limit.
    pub fn call_with_gas(
        &mut self,
        from: Address,
        to: Address,
        calldata: &[u8],
        value: U256,
        gas_limit: u64,
    ) -> CallOutcome {
        self.gas_limit = gas_limit;
        let outcome = self.transact(from, Some(to), calldata, value, false);
        self.gas_limit = TX_GAS;
        outcome
    }

    /// Runs a contract creation from `from` with `value` and its own gas
    /// limit, at `from`'s `CREATE` address; the outcome names the address
    /// created. The sender's nonce moves even when the creation fails.
    pub fn create_with_gas(
        &mut self,
        from: Address,
        init_code: &[u8],
        value: U256,
        gas_limit: u64,
    ) -> CallOutcome {
        self.gas_limit = gas_limit;
        let outcome = self.transact(from, None, init_code, value, false);
        self.gas_limit = TX_GAS;
        outcome
    }

    /// Runs a read-only call (`eth_call` of a view): any state change fails
    /// the call.
    pub fn static_call(&mut self, from: Address, to: Address, calldata: &[u8]) -> CallOutcome {
        self.transact(from, Some(to), calldata, U256::ZERO, true)
    }

    fn transact(
        &mut self,
        from: Address,
        to: Option<Address>,
        calldata: &[u8],
        value: U256,
        is_static: bool,
    ) -> CallOutcome {
        self.state.begin_tx(from, to);
        let first_log = self.state.logs.len();
        let intrinsic = evm::intrinsic_gas(calldata, to.is_none());
        let Some(gas) = self.gas_limit.checked_sub(intrinsic) else {
            self.state.end_tx();
            return CallOutcome {
                success: false,
                return_data: Vec::new(),
                logs: Vec::new(),
                error: Some(ChainError::OutOfGas),
                gas_used: self.gas_limit,
                ink_used: 0,
                created: None,
            };
        };
        let (created, result) = if let Some(to) = to {
            let request = CallRequest {
                kind: if is_static { CallKind::StaticCall } else { CallKind::Call },
                caller: from,
                address: to,
                code_address: to,
                value,
                input: calldata.to_vec(),
                is_static,
                gas,
                depth: 0,
            };
            (None, self.state.call(&self.runtime, request))
        } else {
            let request = CreateRequest {
                creator: from,
                init_code: calldata.to_vec(),
                endowment: value,
                salt: None,
                gas,
                depth: 0,
            };
            self.state.create(&self.runtime, request)
        };
        if to.is_some() && !is_static {
            // A call transaction uses the sender's nonce; a deployment bumped it already.
            self.state.accounts.entry(from).or_default().nonce += 1;
        }
        let spent = self.gas_limit - result.gas_left;
        let refund = if result.success { u64::try_from(result.refund.max(0)).unwrap_or(0) } else { 0 };
        self.state.end_tx();
        CallOutcome {
            success: result.success,
            return_data: result.output,
            logs: self.state.logs[first_log..].to_vec(),
            error: result.error,
            gas_used: spent - refund.min(spent / 5),
            ink_used: self.state.ink_used,
            created,
        }
    }
}
