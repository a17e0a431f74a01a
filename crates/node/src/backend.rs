//! The chain behind the RPC: blocks, transactions, receipts and logs over a
//! [`vault_chain::World`]. Transactions run at once on the pending state;
//! with automine each is sealed in a block of its own, otherwise the
//! pending block is sealed by [`Chain::mine`] (`--block-time`, `evm_mine`).
//!
//! The world is not `Send` (its Stylus runtime is shared through an `Rc`), so
//! it lives on its own thread; [`Handle::run`] sends it closures and awaits
//! their results. Requests are therefore applied one at a time, in order.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    panic::AssertUnwindSafe,
    rc::Rc,
    sync::mpsc,
    time::{SystemTime, UNIX_EPOCH},
};

use alloy_consensus::{
    constants::EMPTY_OMMER_ROOT_HASH,
    proofs::{calculate_receipt_root, calculate_transaction_root},
    Eip658Value, Header, Receipt, ReceiptEnvelope, ReceiptWithBloom, SignableTransaction, Signed,
    Transaction as _, TxEip1559, TxEip2930, TxEnvelope, TxLegacy,
};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_network::TxSignerSync;
use alloy_primitives::{
    keccak256, Address, Bloom, Bytes, Log as PrimitiveLog, PrimitiveSignature, TxKind, B256, U256,
};
use alloy_rpc_types_eth::{
    state::StateOverride, Block, BlockId, BlockNumberOrTag, BlockTransactions, FeeHistory, Filter, Log,
    Transaction, TransactionReceipt, TransactionRequest,
};
use alloy_signer_local::PrivateKeySigner;
use vault_chain::{arb_wasm::Programs, CallOutcome, World};

use crate::{
    error::NodeError,
    persist::{SavedAccount, SavedBlock, SavedChain, SavedProgram, SavedTx, STATE_VERSION},
    predeploys,
};

/// How many blocks' states are kept for queries at an older block (the
/// head's included).
pub const STATE_HISTORY: usize = 256;

/// Gas a transaction pays before execution: 21,000, calldata, and for a
/// creation 32,000 plus 2 per init-code word (EIP-3860), as the chain counts it.
pub fn intrinsic_gas(input: &[u8], is_create: bool) -> u64 {
    let nonzero = input.iter().filter(|b| **b != 0).count() as u64;
    let zero = input.len() as u64 - nonzero;
    let mut gas = 21_000 + zero * 4 + nonzero * 16;
    if is_create {
        gas += 32_000 + 2 * (input.len() as u64).div_ceil(32);
    }
    gas
}

/// The chain at start.
#[derive(Debug, Clone)]
pub struct Genesis {
    /// Chain id.
    pub chain_id: u64,
    /// Accounts funded at genesis.
    pub accounts: Vec<Address>,
    /// Their balance in wei.
    pub balance: U256,
    /// Genesis timestamp (seconds).
    pub timestamp: u64,
    /// Seal a block per transaction (false: `--block-time`).
    pub automine: bool,
    /// A saved chain to start from instead (`--state`).
    pub saved: Option<SavedChain>,
}

#[derive(Debug, Clone)]
struct BlockRecord {
    header: Header,
    hash: B256,
    txs: Vec<B256>,
}

#[derive(Debug, Clone)]
struct TxRecord {
    envelope: TxEnvelope,
    sender: Address,
    block: u64,
    index: u64,
    receipt: TransactionReceipt,
}

/// A transaction run on the pending state, not yet in a block.
#[derive(Debug, Clone)]
struct PendingTx {
    envelope: TxEnvelope,
    sender: Address,
    success: bool,
    logs: Vec<PrimitiveLog>,
    gas_used: u64,
    created: Option<Address>,
}

/// The node's chain: the pending world, its blocks, its transactions and
/// the states of its recent blocks.
#[derive(Debug, Clone)]
pub struct Chain {
    /// The pending state: the latest block's plus the pending transactions.
    world: World,
    blocks: Vec<BlockRecord>,
    block_numbers: HashMap<B256, u64>,
    txs: HashMap<B256, TxRecord>,
    pending: Vec<PendingTx>,
    /// The states after recent blocks, oldest first (at most [`STATE_HISTORY`]).
    states: VecDeque<(u64, Rc<World>)>,
    automine: bool,
    /// Seconds added to the wall clock (`evm_increaseTime`).
    time_offset: u64,
}

/// The chain, its snapshots, and who may send unsigned transactions.
#[derive(Debug)]
pub struct Backend {
    chain: Chain,
    snapshots: Vec<Chain>,
    signers: HashMap<Address, PrivateKeySigner>,
    impersonated: HashSet<Address>,
}

type Job = Box<dyn FnOnce(&mut Backend) + Send>;

/// A handle to the chain thread.
#[derive(Debug, Clone)]
pub struct Handle {
    jobs: mpsc::Sender<Job>,
}

impl Handle {
    /// Starts the chain thread at `genesis` (or its saved chain); the dev
    /// `signers` sign `eth_sendTransaction`s from their accounts.
    ///
    /// # Errors
    /// [`NodeError::State`] when the saved chain cannot be restored.
    ///
    /// # Panics
    /// When the thread cannot be spawned.
    pub fn spawn(genesis: Genesis, signers: Vec<PrivateKeySigner>) -> Result<Self, NodeError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready, started) = mpsc::channel();
        std::thread::Builder::new()
            .name("chain".into())
            .stack_size(16 << 20)
            .spawn(move || {
                let chain = match Chain::start(genesis) {
                    Ok(chain) => {
                        let _ = ready.send(Ok(()));
                        chain
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                let signers = signers.into_iter().map(|s| (s.address(), s)).collect();
                let mut backend =
                    Backend { chain, snapshots: Vec::new(), signers, impersonated: HashSet::new() };
                while let Ok(job) = queue.recv() {
                    if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut backend))).is_err() {
                        tracing::error!("a request panicked on the chain thread; the chain keeps serving");
                    }
                }
            })
            .expect("spawn the chain thread");
        started.recv().map_err(|_| NodeError::Stopped)??;
        Ok(Self { jobs })
    }

    /// Runs `f` on the chain thread and returns its result.
    ///
    /// # Errors
    /// [`NodeError::Stopped`] when the chain thread is gone or `f` panicked.
    pub async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Backend) -> R + Send + 'static,
    ) -> Result<R, NodeError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |backend| {
                let _ = reply.send(f(backend));
            }))
            .map_err(|_| NodeError::Stopped)?;
        answer.await.map_err(|_| NodeError::Stopped)
    }
}

impl Backend {
    /// The chain.
    pub fn chain(&mut self) -> &mut Chain {
        &mut self.chain
    }

    /// Saves the chain; returns the snapshot id.
    pub fn snapshot(&mut self) -> u64 {
        self.snapshots.push(self.chain.clone());
        self.snapshots.len() as u64 - 1
    }

    /// Goes back to snapshot `id`, dropping it and every later one; false
    /// when there is no such snapshot.
    pub fn revert(&mut self, id: u64) -> bool {
        let Ok(index) = usize::try_from(id) else { return false };
        if index >= self.snapshots.len() {
            return false;
        }
        self.snapshots.truncate(index + 1);
        if let Some(chain) = self.snapshots.pop() {
            self.chain = chain;
        }
        true
    }

    /// Lets `eth_sendTransaction` send from `address` unsigned (or stops it).
    pub fn impersonate(&mut self, address: Address, on: bool) {
        if on {
            self.impersonated.insert(address);
        } else {
            self.impersonated.remove(&address);
        }
    }

    /// `eth_sendTransaction`: fills in what is missing (sender: the first
    /// dev account; nonce: the pending one; gas: the estimate; fees: the
    /// base fee and no tip), then signs with the dev key, or sends unsigned
    /// from an impersonated account, as anvil does.
    ///
    /// # Errors
    /// [`NodeError::NoSigner`] for another sender, or why the transaction
    /// is refused.
    pub fn send_transaction(&mut self, request: &TransactionRequest) -> Result<B256, NodeError> {
        let from = match request.from {
            Some(from) => from,
            None => self.signers.keys().min().copied().ok_or(NodeError::NoSigner(Address::ZERO))?,
        };
        let signer = if self.impersonated.contains(&from) {
            None
        } else {
            Some(self.signers.get(&from).ok_or(NodeError::NoSigner(from))?)
        };
        if request.authorization_list.is_some() || request.blob_versioned_hashes.is_some() {
            return Err(NodeError::UnsupportedType);
        }
        let chain = &mut self.chain;
        let chain_id = chain.chain_id();
        if let Some(have) = request.chain_id.filter(|id| *id != chain_id) {
            return Err(NodeError::WrongChainId { have, want: chain_id });
        }
        let pending = Some(BlockId::Number(BlockNumberOrTag::Pending));
        let nonce = request.nonce.unwrap_or(chain.nonce(from, pending)?);
        let mut filled = request.clone();
        filled.from = Some(from);
        let gas_limit = match request.gas {
            Some(gas) => gas,
            None => chain.estimate_gas(&filled, pending)?,
        };
        let to = request.to.unwrap_or(TxKind::Create);
        let input = request.input.input().cloned().unwrap_or_default();
        let value = request.value.unwrap_or_default();
        let envelope = match (request.gas_price, &request.access_list) {
            (Some(gas_price), None) => seal_envelope(
                TxLegacy { chain_id: Some(chain_id), nonce, gas_price, gas_limit, to, value, input },
                from,
                signer,
            )?,
            (Some(gas_price), Some(list)) => seal_envelope(
                TxEip2930 {
                    chain_id,
                    nonce,
                    gas_price,
                    gas_limit,
                    to,
                    value,
                    access_list: list.clone(),
                    input,
                },
                from,
                signer,
            )?,
            (None, list) => seal_envelope(
                TxEip1559 {
                    chain_id,
                    nonce,
                    gas_limit,
                    max_fee_per_gas: request.max_fee_per_gas.unwrap_or(chain.base_fee()),
                    max_priority_fee_per_gas: request.max_priority_fee_per_gas.unwrap_or(0),
                    to,
                    value,
                    access_list: list.clone().unwrap_or_default(),
                    input,
                },
                from,
                signer,
            )?,
        };
        chain.submit(envelope, from)
    }

    /// Saves the latest block's chain (pending transactions are dropped).
    pub fn save(&self) -> SavedChain {
        self.chain.saved()
    }
}

/// Signs `tx` with the dev key, or for an impersonated sender gives it
/// anvil's placeholder signature (r = s = 1) and a hash that also covers
/// the sender, so two senders never share a hash.
fn seal_envelope<T>(
    mut tx: T,
    sender: Address,
    signer: Option<&PrivateKeySigner>,
) -> Result<TxEnvelope, NodeError>
where
    T: SignableTransaction<PrimitiveSignature> + Clone,
    TxEnvelope: From<Signed<T>>,
{
    if let Some(signer) = signer {
        let signature =
            signer.sign_transaction_sync(&mut tx).map_err(|e| NodeError::Signing(e.to_string()))?;
        return Ok(tx.into_signed(signature).into());
    }
    let placeholder = tx.into_signed(PrimitiveSignature::new(U256::from(1), U256::from(1), false));
    let mut encoded = TxEnvelope::from(placeholder.clone()).encoded_2718();
    encoded.extend_from_slice(sender.as_slice());
    let (tx, signature, _) = placeholder.into_parts();
    Ok(Signed::new_unchecked(tx, signature, keccak256(encoded)).into())
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn u128_of(value: U256) -> u128 {
    u128::try_from(value).unwrap_or(u128::MAX)
}

/// An outcome as the RPC reports it: the return data, a revert, or a halt.
fn outcome_result(outcome: CallOutcome) -> Result<CallOutcome, NodeError> {
    if outcome.success {
        Ok(outcome)
    } else if let Some(vault_chain::ChainError::Program(why)) = &outcome.error {
        Err(NodeError::Program(why.clone()))
    } else if let Some(error) = &outcome.error {
        Err(NodeError::Halted(error.to_string()))
    } else {
        Err(NodeError::reverted(outcome.return_data))
    }
}

fn execute(world: &mut World, from: Address, to: TxKind, input: &[u8], value: U256, gas: u64) -> CallOutcome {
    match to {
        TxKind::Call(to) => world.call_with_gas(from, to, input, value, gas),
        TxKind::Create => world.create_with_gas(from, input, value, gas),
    }
}

impl Chain {
    /// The chain at `genesis`, or its saved chain.
    ///
    /// # Errors
    /// [`NodeError::State`] when the saved chain cannot be restored.
    pub fn start(genesis: Genesis) -> Result<Self, NodeError> {
        let automine = genesis.automine;
        match genesis.saved {
            Some(saved) => Self::restore(saved, genesis.chain_id, automine),
            None => Ok(Self::new(&genesis)),
        }
    }

    /// The chain at genesis: block 0, the dev accounts funded, the
    /// `StylusDeployer` at its canonical address, the `CacheManager`
    /// initialised at Arbitrum One's address and made ArbOS's cache
    /// manager, and the first dev account a chain owner.
    ///
    /// # Panics
    /// When `CacheManager.initialize` fails (a broken build, caught by the tests).
    pub fn new(genesis: &Genesis) -> Self {
        let mut world = World::new();
        world.enable_program_activation();
        world.block_mut().chain_id = genesis.chain_id;
        let start = world.block().timestamp;
        world.advance(genesis.timestamp.saturating_sub(start));
        world.block_mut().number = 0;
        for account in &genesis.accounts {
            world.set_balance(*account, genesis.balance);
        }
        world.set_code(predeploys::STYLUS_DEPLOYER, predeploys::stylus_deployer_code());
        // ArbOS's cache manager and its chain owner (Nitro's
        // ArbOwner.addWasmCacheManager and addChainOwner), then
        // initialize(cacheSize, decay), sent from the zero address whose
        // nonce is put back: genesis has no transactions.
        if let Some(owner) = genesis.accounts.first() {
            world.add_chain_owner(*owner);
        }
        world.set_code(predeploys::CACHE_MANAGER, predeploys::cache_manager_code());
        world.add_wasm_cache_manager(predeploys::CACHE_MANAGER);
        let init = world.call(
            Address::ZERO,
            predeploys::CACHE_MANAGER,
            &predeploys::cache_manager_initialize(),
            U256::ZERO,
        );
        assert!(init.success, "CacheManager.initialize failed at genesis: {init:?}");
        world.set_nonce(Address::ZERO, 0);
        world.clear_logs();
        let mut chain = Self::empty(world, genesis.automine);
        chain.seal();
        chain
    }

    fn empty(world: World, automine: bool) -> Self {
        Self {
            world,
            blocks: Vec::new(),
            block_numbers: HashMap::new(),
            txs: HashMap::new(),
            pending: Vec::new(),
            states: VecDeque::new(),
            automine,
            time_offset: 0,
        }
    }

    /// Chain id.
    pub fn chain_id(&self) -> u64 {
        self.world.block().chain_id
    }

    /// The latest block number.
    pub fn head(&self) -> u64 {
        self.blocks.len() as u64 - 1
    }

    /// The base fee (constant: Arbitrum's minimum).
    pub fn base_fee(&self) -> u128 {
        u128_of(self.world.block().basefee)
    }

    fn block_gas_limit(&self) -> u64 {
        self.world.block().gas_limit
    }

    /// The block a tag or number names (`pending` is the latest block).
    ///
    /// # Errors
    /// [`NodeError::BlockNotFound`] past the head.
    pub fn resolve(&self, tag: BlockNumberOrTag) -> Result<u64, NodeError> {
        match tag {
            BlockNumberOrTag::Earliest => Ok(0),
            BlockNumberOrTag::Number(n) if n <= self.head() => Ok(n),
            BlockNumberOrTag::Number(n) => Err(NodeError::BlockNotFound(format!("block {n} not found"))),
            _ => Ok(self.head()),
        }
    }

    /// Where the state at `block` is: `None` for the pending world (also
    /// the latest block's while nothing is pending), else an index in
    /// `states`.
    fn state_index(&self, block: Option<BlockId>) -> Result<Option<usize>, NodeError> {
        let number = match block.unwrap_or_default() {
            BlockId::Number(BlockNumberOrTag::Pending) => return Ok(None),
            BlockId::Number(tag) => self.resolve(tag)?,
            BlockId::Hash(hash) => self
                .block_number_of(hash.block_hash)
                .ok_or_else(|| NodeError::BlockNotFound(format!("block {} not found", hash.block_hash)))?,
        };
        if number == self.head() && self.pending.is_empty() {
            return Ok(None);
        }
        self.states.iter().position(|(n, _)| *n == number).map(Some).ok_or_else(|| {
            NodeError::BlockNotFound(format!(
                "state of block {number} is not kept: this node keeps the states of its last {STATE_HISTORY} blocks (head {}), and none from before a --state load",
                self.head()
            ))
        })
    }

    /// The state at `block` (default: latest).
    fn world_at(&self, block: Option<BlockId>) -> Result<&World, NodeError> {
        Ok(match self.state_index(block)? {
            None => &self.world,
            Some(i) => &self.states[i].1,
        })
    }

    /// A balance at `block`.
    ///
    /// # Errors
    /// [`NodeError::BlockNotFound`] for an unknown block or a state not kept.
    pub fn balance(&self, address: Address, block: Option<BlockId>) -> Result<U256, NodeError> {
        Ok(self.world_at(block)?.balance(address))
    }

    /// A nonce at `block`.
    ///
    /// # Errors
    /// As [`Chain::balance`].
    pub fn nonce(&self, address: Address, block: Option<BlockId>) -> Result<u64, NodeError> {
        Ok(self.world_at(block)?.nonce(address))
    }

    /// An account's code at `block`.
    ///
    /// # Errors
    /// As [`Chain::balance`].
    pub fn code(&self, address: Address, block: Option<BlockId>) -> Result<Bytes, NodeError> {
        let world = self.world_at(block)?;
        Ok(world.state().account(address).map(|a| a.code.clone()).unwrap_or_default())
    }

    /// A storage slot at `block`.
    ///
    /// # Errors
    /// As [`Chain::balance`].
    pub fn storage(&self, address: Address, slot: U256, block: Option<BlockId>) -> Result<B256, NodeError> {
        Ok(self.world_at(block)?.storage(address, slot))
    }

    /// Changes the pending state and the latest block's alike (test
    /// controls take effect at once, as on anvil); returns the pending
    /// state's result.
    fn edit_state<R>(&mut self, mut edit: impl FnMut(&mut World) -> R) -> R {
        if !self.pending.is_empty() {
            if let Some((_, latest)) = self.states.back_mut() {
                edit(Rc::make_mut(latest));
            }
        }
        let result = edit(&mut self.world);
        if self.pending.is_empty() {
            self.remember_state();
        }
        result
    }

    /// Sets a balance (`anvil_setBalance`).
    pub fn set_balance(&mut self, address: Address, balance: U256) {
        self.edit_state(|world| world.set_balance(address, balance));
    }

    /// Puts the program at `address` in ArbOS's program cache or takes it
    /// out (`vault_cacheProgram`, `vault_evictProgram`); returns whether
    /// the cache changed.
    ///
    /// # Errors
    /// A revert with Nitro's error (`ProgramNotActivated()`…) when the
    /// program is not active.
    pub fn cache_program(&mut self, address: Address, cached: bool) -> Result<bool, NodeError> {
        self.edit_state(|world| world.cache_program(address, cached))
            .map(|(_, changed)| changed)
            .map_err(|e| NodeError::Reverted { reason: None, data: e.encode() })
    }

    /// Moves the clock forward (`evm_increaseTime`); returns the total offset.
    pub fn increase_time(&mut self, seconds: u64) -> u64 {
        self.time_offset = self.time_offset.saturating_add(seconds);
        self.time_offset
    }

    fn next_timestamp(&self) -> u64 {
        let parent = self.blocks.last().map_or(0, |b| b.header.timestamp);
        now().saturating_add(self.time_offset).max(parent)
    }

    /// A copy of the state as the next transaction would run on it: in the
    /// open pending block, or, when none is open (automine), in the block
    /// after the latest (its number and timestamp). A call whose cost
    /// depends on the block (a first poke in a block records an
    /// observation) is then estimated as it will be mined.
    fn pending_world(&self) -> World {
        let mut world = self.world.clone();
        if self.pending.is_empty() {
            let timestamp = self.next_timestamp();
            let parent = world.block().timestamp;
            world.advance(timestamp.saturating_sub(parent));
        }
        world
    }

    /// Opens the next block: the world's block env moves to it.
    fn open_block(&mut self) {
        let timestamp = self.next_timestamp();
        let parent = self.world.block().timestamp;
        self.world.advance(timestamp - parent);
    }

    /// Keeps the pending world as the state of the latest block.
    fn remember_state(&mut self) {
        let head = self.head();
        if self.states.back().is_some_and(|(n, _)| *n == head) {
            self.states.pop_back();
        }
        self.states.push_back((head, Rc::new(self.world.clone())));
        while self.states.len() > STATE_HISTORY {
            self.states.pop_front();
        }
    }

    /// Seals the open block (the world's current block env) with the
    /// pending transactions; returns its hash.
    fn seal(&mut self) -> B256 {
        let env = self.world.block().clone();
        let pending = std::mem::take(&mut self.pending);
        let mut cumulative = 0;
        let mut receipts = Vec::with_capacity(pending.len());
        for tx in &pending {
            cumulative += tx.gas_used;
            let receipt = Receipt {
                status: Eip658Value::Eip658(tx.success),
                cumulative_gas_used: cumulative,
                logs: tx.logs.clone(),
            };
            let with_bloom = ReceiptWithBloom::from(receipt);
            receipts.push(match &tx.envelope {
                TxEnvelope::Legacy(_) => ReceiptEnvelope::Legacy(with_bloom),
                TxEnvelope::Eip2930(_) => ReceiptEnvelope::Eip2930(with_bloom),
                _ => ReceiptEnvelope::Eip1559(with_bloom),
            });
        }
        let envelopes: Vec<TxEnvelope> = pending.iter().map(|t| t.envelope.clone()).collect();
        let mut logs_bloom = Bloom::ZERO;
        for receipt in &receipts {
            logs_bloom.accrue_bloom(receipt.logs_bloom());
        }
        let header = Header {
            parent_hash: self.blocks.last().map_or(B256::ZERO, |b| b.hash),
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: env.coinbase,
            state_root: B256::ZERO,
            transactions_root: calculate_transaction_root(&envelopes),
            receipts_root: calculate_receipt_root(&receipts),
            logs_bloom,
            difficulty: U256::from(1),
            number: env.number,
            gas_limit: env.gas_limit,
            gas_used: cumulative,
            timestamp: env.timestamp,
            extra_data: Bytes::new(),
            mix_hash: B256::ZERO,
            nonce: alloy_primitives::B64::ZERO,
            base_fee_per_gas: Some(u64::try_from(env.basefee).unwrap_or(u64::MAX)),
            withdrawals_root: None,
            blob_gas_used: None,
            excess_blob_gas: None,
            parent_beacon_block_root: None,
            requests_hash: None,
        };
        let block_hash = header.hash_slow();
        let number = env.number;
        self.block_numbers.insert(block_hash, number);
        self.blocks.push(BlockRecord {
            header,
            hash: block_hash,
            txs: envelopes.iter().map(|t| *t.tx_hash()).collect(),
        });
        let mut log_index = 0;
        for (index, (tx, envelope)) in pending.into_iter().zip(receipts).enumerate() {
            let hash = *tx.envelope.tx_hash();
            let index = index as u64;
            let rpc_receipt = envelope.map_logs(|inner: PrimitiveLog| {
                let log = Log {
                    inner,
                    block_hash: Some(block_hash),
                    block_number: Some(number),
                    block_timestamp: Some(env.timestamp),
                    transaction_hash: Some(hash),
                    transaction_index: Some(index),
                    log_index: Some(log_index),
                    removed: false,
                };
                log_index += 1;
                log
            });
            let receipt = TransactionReceipt {
                inner: rpc_receipt,
                transaction_hash: hash,
                transaction_index: Some(index),
                block_hash: Some(block_hash),
                block_number: Some(number),
                gas_used: tx.gas_used,
                effective_gas_price: u128_of(env.basefee),
                blob_gas_used: None,
                blob_gas_price: None,
                from: tx.sender,
                to: tx.envelope.to(),
                contract_address: if tx.success { tx.created } else { None },
            };
            tracing::info!(%hash, block = number, sender = %tx.sender, gas_used = tx.gas_used, success = tx.success, "mined");
            self.txs.insert(
                hash,
                TxRecord { envelope: tx.envelope, sender: tx.sender, block: number, index, receipt },
            );
        }
        self.remember_state();
        block_hash
    }

    /// Mines `count` blocks, the first with the pending transactions.
    pub fn mine(&mut self, count: u64) {
        for _ in 0..count {
            if self.pending.is_empty() {
                self.open_block();
            }
            self.seal();
        }
    }

    /// Runs a call on a copy of the state at `block` (`eth_call`), with
    /// state overrides.
    ///
    /// # Errors
    /// A revert ([`NodeError::Reverted`]) or a halt; an unknown block or a
    /// state not kept.
    pub fn call(
        &mut self,
        request: &TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<&StateOverride>,
    ) -> Result<Bytes, NodeError> {
        let from = request.from.unwrap_or_default();
        let to = request.to.unwrap_or(TxKind::Create);
        let input = request.input.input().cloned().unwrap_or_default();
        let value = request.value.unwrap_or_default();
        let gas = request.gas.unwrap_or(self.block_gas_limit()).min(self.block_gas_limit());
        let no_overrides = overrides.is_none_or(HashMap::is_empty);
        let index = self.state_index(block)?;
        // A view on the live state runs there: a static call changes
        // nothing. Anything else runs on a copy, where writes are allowed.
        if let (None, TxKind::Call(target), true, true, false) =
            (index, to, value.is_zero(), no_overrides, is_pending(block))
        {
            let outcome = self.world.static_call(from, target, &input);
            if outcome.success && outcome.gas_used <= gas {
                return Ok(outcome.return_data.into());
            }
        }
        let mut world = match index {
            None if is_pending(block) => self.pending_world(),
            None => self.world.clone(),
            Some(i) => World::clone(&self.states[i].1),
        };
        world.clear_logs();
        if let Some(overrides) = overrides {
            apply_overrides(&mut world, overrides)?;
        }
        let outcome = outcome_result(execute(&mut world, from, to, &input, value, gas))?;
        Ok(outcome.return_data.into())
    }

    /// The gas a transaction needs at `block` (`eth_estimateGas`; default
    /// pending): the least limit it succeeds with, searched from the gas it
    /// used.
    ///
    /// # Errors
    /// A revert or halt at the block gas limit; an unknown block or a state
    /// not kept.
    pub fn estimate_gas(
        &mut self,
        request: &TransactionRequest,
        block: Option<BlockId>,
    ) -> Result<u64, NodeError> {
        let from = request.from.unwrap_or_default();
        let to = request.to.unwrap_or(TxKind::Create);
        let input = request.input.input().cloned().unwrap_or_default();
        let value = request.value.unwrap_or_default();
        let cap = request.gas.unwrap_or(self.block_gas_limit()).min(self.block_gas_limit());
        let block = block.or(Some(BlockId::Number(BlockNumberOrTag::Pending)));
        let mut base = if is_pending(block) { self.pending_world() } else { self.world_at(block)?.clone() };
        base.clear_logs();
        let run = |gas: u64| execute(&mut base.clone(), from, to, &input, value, gas);
        let first = run(cap);
        let out_of_gas = match &first.error {
            Some(vault_chain::ChainError::OutOfGas) => true,
            Some(vault_chain::ChainError::EvmHalt(why)) => why.contains("OutOfGas"),
            _ => false,
        };
        if out_of_gas {
            return Err(NodeError::GasAllowance(cap));
        }
        let used = outcome_result(first)?.gas_used;
        let mut low = used.max(intrinsic_gas(&input, to.is_create())).min(cap);
        if run(low).success {
            return Ok(low);
        }
        // Gas forwarded under the 63/64 rule, or refunds (at most a fifth
        // of the gas before them): first the bound geth tries, then a
        // search that stops within 1.5% as geth's does (the answer always
        // succeeds, and a call of ~20 runs would hold the node up).
        let optimistic = (used.saturating_mul(5) / 4).saturating_add(2_300).saturating_mul(64) / 63;
        let mut high = cap;
        if optimistic < cap && run(optimistic).success {
            high = optimistic;
        }
        while high - low > 1 && (high - low) * 1_000 > high * 15 {
            let mid = low + (high - low) / 2;
            if run(mid).success {
                high = mid;
            } else {
                low = mid;
            }
        }
        Ok(high)
    }

    /// Checks a raw transaction and runs it (`eth_sendRawTransaction`).
    ///
    /// # Errors
    /// Why the transaction is refused; nothing changes then.
    pub fn send_raw(&mut self, raw: &[u8]) -> Result<B256, NodeError> {
        let mut buf = raw;
        let tx = TxEnvelope::decode_2718(&mut buf).map_err(|e| NodeError::Decode(e.to_string()))?;
        if !buf.is_empty() {
            return Err(NodeError::Decode(format!("{} trailing bytes", buf.len())));
        }
        if matches!(tx, TxEnvelope::Eip4844(_) | TxEnvelope::Eip7702(_)) {
            return Err(NodeError::UnsupportedType);
        }
        match tx.chain_id() {
            None => return Err(NodeError::Unprotected),
            Some(have) if have != self.chain_id() => {
                return Err(NodeError::WrongChainId { have, want: self.chain_id() })
            }
            Some(_) => {}
        }
        let sender = tx.recover_signer().map_err(|e| NodeError::InvalidSignature(e.to_string()))?;
        self.submit(tx, sender)
    }

    /// Checks a transaction from `sender` against the pending state and
    /// runs it there; with automine, seals it in a block of its own.
    ///
    /// # Errors
    /// Why the transaction is refused; nothing changes then.
    pub fn submit(&mut self, tx: TxEnvelope, sender: Address) -> Result<B256, NodeError> {
        let hash = *tx.tx_hash();
        if self.txs.contains_key(&hash) || self.pending.iter().any(|p| *p.envelope.tx_hash() == hash) {
            return Err(NodeError::AlreadyKnown);
        }
        let state = self.world.nonce(sender);
        match tx.nonce() {
            n if n < state => return Err(NodeError::NonceTooLow { address: sender, tx: n, state }),
            n if n > state => return Err(NodeError::NonceTooHigh { address: sender, tx: n, state }),
            _ => {}
        }
        let gas_limit = tx.gas_limit();
        let intrinsic = intrinsic_gas(tx.input(), tx.kind().is_create());
        if gas_limit < intrinsic {
            return Err(NodeError::IntrinsicGas { have: gas_limit, want: intrinsic });
        }
        if gas_limit > self.block_gas_limit() {
            return Err(NodeError::GasLimit);
        }
        let max_fee = tx.max_fee_per_gas();
        if max_fee < self.base_fee() {
            return Err(NodeError::FeeCapTooLow { max_fee, base_fee: self.base_fee() });
        }
        if tx.max_priority_fee_per_gas().is_some_and(|tip| tip > max_fee) {
            return Err(NodeError::TipAboveFeeCap);
        }
        let have = self.world.balance(sender);
        let want = U256::from(gas_limit).saturating_mul(U256::from(max_fee)).saturating_add(tx.value());
        if have < want {
            return Err(NodeError::InsufficientFunds { address: sender, have, want });
        }
        self.run_tx(tx, sender);
        if self.automine {
            self.seal();
        }
        Ok(hash)
    }

    /// Runs a checked transaction on the pending state: the sender pays gas
    /// used × base fee (as on Arbitrum, the effective price is the base fee;
    /// it is burnt).
    fn run_tx(&mut self, tx: TxEnvelope, sender: Address) {
        if self.pending.is_empty() {
            self.open_block();
        }
        let base_fee = self.world.block().basefee;
        let gas_limit = tx.gas_limit();
        let upfront = U256::from(gas_limit) * base_fee;
        self.world.set_balance(sender, self.world.balance(sender) - upfront);
        let outcome = execute(&mut self.world, sender, tx.kind(), tx.input(), tx.value(), gas_limit);
        self.world.clear_logs();
        let gas_used = outcome.gas_used.min(gas_limit);
        let refund = U256::from(gas_limit - gas_used) * base_fee;
        self.world.set_balance(sender, self.world.balance(sender) + refund);
        if let Some(error) = &outcome.error {
            tracing::debug!(%error, "transaction failed");
        }
        tracing::debug!(hash = %tx.tx_hash(), %sender, "pending");
        self.pending.push(PendingTx {
            envelope: tx,
            sender,
            success: outcome.success,
            logs: outcome.logs,
            gas_used,
            created: outcome.created,
        });
    }

    fn rpc_transaction(&self, record: &TxRecord) -> Transaction {
        Transaction {
            inner: record.envelope.clone(),
            block_hash: Some(self.blocks[usize::try_from(record.block).unwrap_or(usize::MAX)].hash),
            block_number: Some(record.block),
            transaction_index: Some(record.index),
            effective_gas_price: Some(record.receipt.effective_gas_price),
            from: record.sender,
        }
    }

    /// A block by number, with transaction hashes or bodies.
    pub fn block(&self, number: u64, full: bool) -> Option<Block> {
        let record = self.blocks.get(usize::try_from(number).ok()?)?;
        let transactions = if full {
            BlockTransactions::Full(
                record.txs.iter().filter_map(|h| self.txs.get(h)).map(|r| self.rpc_transaction(r)).collect(),
            )
        } else {
            BlockTransactions::Hashes(record.txs.clone())
        };
        let size = alloy_rlp::Encodable::length(&record.header);
        Some(Block {
            header: alloy_rpc_types_eth::Header {
                hash: record.hash,
                inner: record.header.clone(),
                total_difficulty: Some(U256::from(number + 1)),
                size: Some(U256::from(size)),
            },
            uncles: Vec::new(),
            transactions,
            withdrawals: None,
        })
    }

    /// A block's number by hash.
    pub fn block_number_of(&self, hash: B256) -> Option<u64> {
        self.block_numbers.get(&hash).copied()
    }

    /// A transaction: mined, or pending (no block yet).
    pub fn transaction(&self, hash: B256) -> Option<Transaction> {
        if let Some(record) = self.txs.get(&hash) {
            return Some(self.rpc_transaction(record));
        }
        self.pending.iter().find(|p| *p.envelope.tx_hash() == hash).map(|p| Transaction {
            inner: p.envelope.clone(),
            block_hash: None,
            block_number: None,
            transaction_index: None,
            effective_gas_price: None,
            from: p.sender,
        })
    }

    /// A mined transaction's receipt (none while it is pending).
    pub fn receipt(&self, hash: B256) -> Option<TransactionReceipt> {
        self.txs.get(&hash).map(|r| r.receipt.clone())
    }

    /// Logs matching a filter.
    ///
    /// # Errors
    /// [`NodeError::BlockNotFound`] for an unknown block hash or number.
    pub fn logs(&self, filter: &Filter) -> Result<Vec<Log>, NodeError> {
        let (from, to) = if let Some(hash) = filter.get_block_hash() {
            let n = self
                .block_number_of(hash)
                .ok_or_else(|| NodeError::BlockNotFound(format!("block {hash} not found")))?;
            (n, n)
        } else {
            let tag = |t: Option<BlockNumberOrTag>| t.map_or(Ok(self.head()), |t| self.resolve(t));
            (
                tag(filter.block_option.get_from_block().copied())?,
                tag(filter.block_option.get_to_block().copied())?,
            )
        };
        if from > to {
            return Err(NodeError::InvalidParams(format!("fromBlock {from} is after toBlock {to}")));
        }
        let mut found = Vec::new();
        for number in from..=to {
            let block = &self.blocks[usize::try_from(number).unwrap_or(usize::MAX)];
            for hash in &block.txs {
                let Some(record) = self.txs.get(hash) else { continue };
                for log in record.receipt.inner.logs() {
                    if filter.address.matches(&log.inner.address) && topics_match(filter, log.inner.topics())
                    {
                        found.push(log.clone());
                    }
                }
            }
        }
        Ok(found)
    }

    /// `eth_feeHistory`: the base fee is constant and no tip is needed.
    ///
    /// # Errors
    /// [`NodeError::BlockNotFound`] for a newest block past the head.
    pub fn fee_history(
        &self,
        count: u64,
        newest: BlockNumberOrTag,
        percentiles: Option<&[f64]>,
    ) -> Result<FeeHistory, NodeError> {
        let newest = self.resolve(newest)?;
        let count = count.min(newest + 1).min(1024);
        let oldest = newest + 1 - count;
        let blocks = (oldest..=newest).map(|n| &self.blocks[usize::try_from(n).unwrap_or(usize::MAX)].header);
        let mut base_fee_per_gas: Vec<u128> =
            blocks.clone().map(|h| u128::from(h.base_fee_per_gas.unwrap_or(0))).collect();
        if count > 0 {
            base_fee_per_gas.push(self.base_fee());
        }
        #[allow(clippy::cast_precision_loss)]
        let gas_used_ratio = blocks.map(|h| h.gas_used as f64 / h.gas_limit as f64).collect();
        let reward = percentiles.map(|p| vec![vec![0_u128; p.len()]; usize::try_from(count).unwrap_or(0)]);
        Ok(FeeHistory {
            base_fee_per_gas,
            gas_used_ratio,
            base_fee_per_blob_gas: Vec::new(),
            blob_gas_used_ratio: Vec::new(),
            oldest_block: oldest,
            reward,
        })
    }
}

impl Chain {
    /// The latest block's chain, to save (`--state`): its accounts,
    /// programs, blocks, transactions and receipts.
    pub fn saved(&self) -> SavedChain {
        if !self.pending.is_empty() {
            tracing::warn!(count = self.pending.len(), "pending transactions are not saved");
        }
        let world = self.world_at(None).unwrap_or(&self.world);
        let accounts = world
            .state()
            .accounts()
            .map(|(address, account)| {
                let saved = SavedAccount {
                    balance: account.balance,
                    nonce: account.nonce,
                    code: account.code.clone(),
                    storage: account.storage.iter().map(|(k, v)| (*k, *v)).collect(),
                };
                (*address, saved)
            })
            .collect();
        let (cache_managers, chain_owners) = world
            .state()
            .programs()
            .map(|p| (p.cache_managers().to_vec(), p.chain_owners().to_vec()))
            .unwrap_or_default();
        let (programs, program_demand, cached) =
            world.state().programs().map(Programs::parts).map_or((Vec::new(), 0, Vec::new()), |(p, d, c)| {
                let mut programs: Vec<_> = p.iter().map(|(h, p)| SavedProgram::new(*h, p)).collect();
                programs.sort_by_key(|p| p.codehash);
                let mut cached: Vec<_> = c.iter().copied().collect();
                cached.sort();
                (programs, d, cached)
            });
        let mut transactions: Vec<_> = self
            .txs
            .values()
            .map(|r| SavedTx {
                transaction: r.envelope.clone(),
                sender: r.sender,
                block: r.block,
                index: r.index,
                receipt: r.receipt.clone(),
            })
            .collect();
        transactions.sort_by_key(|t| (t.block, t.index));
        let env = world.block();
        SavedChain {
            version: STATE_VERSION,
            chain_id: env.chain_id,
            timestamp: env.timestamp,
            l1_number: env.l1_number,
            time_offset: self.time_offset,
            accounts,
            programs,
            program_demand,
            cached_programs: cached,
            cache_managers,
            chain_owners,
            blocks: self
                .blocks
                .iter()
                .map(|b| SavedBlock { header: b.header.clone(), transactions: b.txs.clone() })
                .collect(),
            transactions,
        }
    }

    /// The chain saved in `saved`, checked against the node's chain id.
    ///
    /// # Errors
    /// [`NodeError::State`] for another version or chain id, no blocks, or
    /// blocks and transactions that do not fit together.
    pub fn restore(saved: SavedChain, chain_id: u64, automine: bool) -> Result<Self, NodeError> {
        if saved.version != STATE_VERSION {
            return Err(NodeError::State(format!(
                "version {} is not supported (this node reads version {STATE_VERSION})",
                saved.version
            )));
        }
        if saved.chain_id != chain_id {
            return Err(NodeError::State(format!(
                "saved with chain id {}; start with --chain-id {} or use another file",
                saved.chain_id, saved.chain_id
            )));
        }
        let Some(last) = saved.blocks.last() else {
            return Err(NodeError::State("no blocks".into()));
        };
        let mut world = World::new();
        {
            let env = world.block_mut();
            env.chain_id = chain_id;
            env.number = last.header.number;
            env.timestamp = saved.timestamp;
            env.l1_number = saved.l1_number;
        }
        for (address, account) in saved.accounts {
            world.set_balance(address, account.balance);
            world.set_nonce(address, account.nonce);
            world.set_code(address, account.code);
            for (key, value) in account.storage {
                world.set_storage(address, key, value);
            }
        }
        let mut programs = Programs::from_parts(
            saved.programs.iter().map(SavedProgram::program).collect(),
            saved.program_demand,
            saved.cached_programs.into_iter().collect(),
        );
        for manager in saved.cache_managers {
            programs.add_cache_manager(manager);
        }
        for owner in saved.chain_owners {
            programs.add_chain_owner(owner);
        }
        world.set_programs(programs);
        let mut chain = Self::empty(world, automine);
        chain.time_offset = saved.time_offset;
        for (number, block) in saved.blocks.into_iter().enumerate() {
            if block.header.number != number as u64 {
                return Err(NodeError::State(format!("block {number} is numbered {}", block.header.number)));
            }
            let hash = block.header.hash_slow();
            chain.block_numbers.insert(hash, block.header.number);
            chain.blocks.push(BlockRecord { header: block.header, hash, txs: block.transactions });
        }
        for tx in saved.transactions {
            let hash = *tx.transaction.tx_hash();
            let listed = usize::try_from(tx.block)
                .ok()
                .and_then(|n| chain.blocks.get(n))
                .is_some_and(|b| b.txs.contains(&hash));
            if !listed {
                return Err(NodeError::State(format!("transaction {hash} is not in block {}", tx.block)));
            }
            chain.txs.insert(
                hash,
                TxRecord {
                    envelope: tx.transaction,
                    sender: tx.sender,
                    block: tx.block,
                    index: tx.index,
                    receipt: tx.receipt,
                },
            );
        }
        chain.remember_state();
        Ok(chain)
    }
}

fn topics_match(filter: &Filter, topics: &[B256]) -> bool {
    filter
        .topics
        .iter()
        .enumerate()
        .all(|(i, wanted)| wanted.is_empty() || topics.get(i).is_some_and(|t| wanted.matches(t)))
}

fn apply_overrides(world: &mut World, overrides: &StateOverride) -> Result<(), NodeError> {
    for (address, account) in overrides {
        if let Some(balance) = account.balance {
            world.set_balance(*address, balance);
        }
        if account.nonce.is_some_and(|n| n != world.nonce(*address)) {
            return Err(NodeError::InvalidParams("a nonce override is not supported".into()));
        }
        if let Some(code) = &account.code {
            world.set_code(*address, code.clone());
        }
        if let Some(state) = &account.state {
            for key in world.storage_of(*address).into_keys() {
                world.set_storage(*address, key, B256::ZERO);
            }
            for (key, value) in state {
                world.set_storage(*address, (*key).into(), *value);
            }
        }
        if let Some(diff) = &account.state_diff {
            for (key, value) in diff {
                world.set_storage(*address, (*key).into(), *value);
            }
        }
    }
    Ok(())
}

/// Whether `block` is the `pending` tag.
fn is_pending(block: Option<BlockId>) -> bool {
    matches!(block, Some(BlockId::Number(BlockNumberOrTag::Pending)))
}
