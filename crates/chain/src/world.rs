//! An in-memory world state and the [`World`] that runs transactions on it.

use std::{collections::HashMap, rc::Rc};

use alloy_primitives::{keccak256, Address, Bytes, Log, B256, U256};

use crate::{
    backend::{Backend, BlockEnv, CallKind, CallRequest, FrameResult, TxEnv},
    host::Runtime,
    ChainError,
};

/// Seconds per L1 block, for the L1 block number estimate.
pub const L1_BLOCK_SECONDS: u64 = 12;

/// Gas offered to a transaction's call (not enforced yet).
pub const TX_GAS: u64 = 30_000_000;

/// One account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Account {
    /// Balance in wei.
    pub balance: U256,
    /// Code: `0xEFF00000 ‖ brotli(wasm)` for Stylus programs.
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
}

/// A point to revert to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    journal: usize,
    logs: usize,
}

/// Accounts, logs, block and transaction data, with a journal for reverts.
#[derive(Debug, Clone, Default)]
pub struct WorldState {
    accounts: HashMap<Address, Account>,
    transient: HashMap<(Address, U256), B256>,
    logs: Vec<Log>,
    journal: Vec<JournalEntry>,
    block: BlockEnv,
    tx: TxEnv,
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

    /// A checkpoint to [`WorldState::revert`] to.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint { journal: self.journal.len(), logs: self.logs.len() }
    }

    /// Undoes every change since `checkpoint`.
    pub fn revert(&mut self, checkpoint: Checkpoint) {
        while self.journal.len() > checkpoint.journal {
            match self.journal.pop() {
                Some(JournalEntry::Created(address)) => {
                    self.accounts.remove(&address);
                }
                Some(JournalEntry::Storage { address, key, previous }) => {
                    let storage = &mut self.accounts.entry(address).or_default().storage;
                    match previous {
                        Some(value) => storage.insert(key, value),
                        None => storage.remove(&key),
                    };
                }
                Some(JournalEntry::Transient { address, key, previous }) => {
                    match previous {
                        Some(value) => self.transient.insert((address, key), value),
                        None => self.transient.remove(&(address, key)),
                    };
                }
                Some(JournalEntry::Balance { address, previous }) => {
                    self.accounts.entry(address).or_default().balance = previous;
                }
                None => break,
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

    fn transfer(&mut self, from: Address, to: Address, value: U256) -> Result<(), ChainError> {
        let from_balance = self.accounts.get(&from).map_or(U256::ZERO, |a| a.balance);
        let remaining = from_balance.checked_sub(value).ok_or(ChainError::InsufficientBalance { from })?;
        self.journal.push(JournalEntry::Balance { address: from, previous: from_balance });
        self.touch(from).balance = remaining;
        let to_balance = self.accounts.get(&to).map_or(U256::ZERO, |a| a.balance);
        self.journal.push(JournalEntry::Balance { address: to, previous: to_balance });
        self.touch(to).balance = to_balance.saturating_add(value);
        Ok(())
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
        self.accounts.get(&address).and_then(|a| a.storage.get(&key)).copied().unwrap_or_default()
    }

    fn sstore(&mut self, address: Address, key: U256, value: B256) {
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
        self.accounts.get(&address).map_or(B256::ZERO, |a| keccak256(&a.code))
    }

    fn log(&mut self, log: Log) {
        self.logs.push(log);
    }

    fn call(&mut self, runtime: &Rc<Runtime<Self>>, request: CallRequest) -> FrameResult {
        if request.depth > runtime.max_depth() {
            return FrameResult::failure(ChainError::DepthLimit(request.depth));
        }
        let checkpoint = self.checkpoint();
        if request.transfers_value() {
            if let Err(e) = self.transfer(request.caller, request.address, request.value) {
                return FrameResult::failure(e);
            }
        }
        let code = self.code(request.code_address);
        let code_address = request.code_address;
        let result = if vault_wasm_pack::is_stylus_code(&code) {
            runtime.run(self, request, &code)
        } else if code.is_empty() {
            FrameResult::success(Vec::new())
        } else {
            FrameResult::failure(ChainError::EvmCode(code_address))
        };
        if !result.success {
            self.revert(checkpoint);
        }
        result
    }
}

/// The result of a transaction's call.
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
}

/// An in-process chain: a [`WorldState`], a clock and a Stylus runtime.
#[derive(Debug)]
pub struct World {
    runtime: Rc<Runtime<WorldState>>,
    state: WorldState,
    /// `(timestamp, l1_number)` the L1 estimate counts from.
    l1_origin: (u64, u64),
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    /// An empty world at the default [`BlockEnv`].
    pub fn new() -> Self {
        let state = WorldState::default();
        let l1_origin = (state.block.timestamp, state.block.l1_number);
        Self { runtime: Rc::new(Runtime::new()), state, l1_origin }
    }

    /// The Stylus runtime (its hostio list, depth limit).
    pub fn runtime(&self) -> &Runtime<WorldState> {
        &self.runtime
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

    /// Packs a raw rustc wasm as `cargo stylus` deploys it
    /// ([`vault_wasm_pack::pack`]), checks that it loads here, and stores
    /// the code at `address`. Does not run a constructor: call it as the
    /// deployer would.
    ///
    /// # Errors
    /// [`ChainError::Pack`] when the wasm would not activate;
    /// [`ChainError::UnknownImport`] when it needs a hostio not provided.
    pub fn deploy_stylus(&mut self, address: Address, raw_wasm: &[u8]) -> Result<(), ChainError> {
        let packed = vault_wasm_pack::pack(raw_wasm)?;
        self.deploy_code(address, packed.code)
    }

    /// Stores already packed Stylus code at `address` after checking it loads.
    ///
    /// # Errors
    /// As [`World::deploy_stylus`].
    pub fn deploy_code(&mut self, address: Address, code: Vec<u8>) -> Result<(), ChainError> {
        self.runtime.program(&code)?;
        self.set_code(address, code);
        Ok(())
    }

    /// Stores any code at `address`, unchecked.
    pub fn set_code(&mut self, address: Address, code: impl Into<Bytes>) {
        self.state.accounts.entry(address).or_default().code = code.into();
    }

    /// Sets a balance.
    pub fn set_balance(&mut self, address: Address, balance: U256) {
        self.state.accounts.entry(address).or_default().balance = balance;
    }

    /// A balance.
    pub fn balance(&self, address: Address) -> U256 {
        self.state.accounts.get(&address).map_or(U256::ZERO, |a| a.balance)
    }

    /// Writes a storage slot directly.
    pub fn set_storage(&mut self, address: Address, key: U256, value: B256) {
        self.state.accounts.entry(address).or_default().storage.insert(key, value);
    }

    /// Reads a storage slot.
    pub fn storage(&self, address: Address, key: U256) -> B256 {
        self.state.accounts.get(&address).and_then(|a| a.storage.get(&key)).copied().unwrap_or_default()
    }

    /// A copy of an account's whole storage (for before/after comparisons).
    pub fn storage_of(&self, address: Address) -> HashMap<U256, B256> {
        self.state.accounts.get(&address).map(|a| a.storage.clone()).unwrap_or_default()
    }

    /// Every log kept so far.
    pub fn logs(&self) -> &[Log] {
        self.state.logs()
    }

    /// Runs a transaction: `from` calls `to` with `calldata` and `value`.
    pub fn call(&mut self, from: Address, to: Address, calldata: &[u8], value: U256) -> CallOutcome {
        self.transact(from, to, calldata, value, false)
    }

    /// Runs a read-only call (`eth_call` of a view): any state change traps.
    pub fn static_call(&mut self, from: Address, to: Address, calldata: &[u8]) -> CallOutcome {
        self.transact(from, to, calldata, U256::ZERO, true)
    }

    fn transact(
        &mut self,
        from: Address,
        to: Address,
        calldata: &[u8],
        value: U256,
        is_static: bool,
    ) -> CallOutcome {
        self.state.tx = TxEnv { origin: from, gas_price: self.state.block.basefee };
        self.state.transient.clear();
        let first_log = self.state.logs.len();
        let request = CallRequest {
            kind: if is_static { CallKind::StaticCall } else { CallKind::Call },
            caller: from,
            address: to,
            code_address: to,
            value,
            input: calldata.to_vec(),
            is_static,
            gas: TX_GAS,
            depth: 0,
        };
        let result = self.state.call(&self.runtime, request);
        self.state.journal.clear();
        self.state.transient.clear();
        CallOutcome {
            success: result.success,
            return_data: result.output,
            logs: self.state.logs[first_log..].to_vec(),
            error: result.error,
        }
    }
}
