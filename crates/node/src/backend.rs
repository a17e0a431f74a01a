//! The chain behind the RPC: blocks, transactions, receipts and logs over a
//! [`vault_chain::World`], mined one block per transaction.
//!
//! The world is not `Send` (its Stylus runtime is shared through an `Rc`), so
//! it lives on its own thread; [`Handle::run`] sends it closures and awaits
//! their results. Requests are therefore applied one at a time, in order.

use std::{
    collections::HashMap,
    panic::AssertUnwindSafe,
    sync::mpsc,
    time::{SystemTime, UNIX_EPOCH},
};

use alloy_consensus::{
    constants::EMPTY_OMMER_ROOT_HASH,
    proofs::{calculate_receipt_root, calculate_transaction_root},
    Eip658Value, Header, Receipt, ReceiptEnvelope, ReceiptWithBloom, Transaction as _, TxEnvelope,
};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, Bloom, Bytes, Log as PrimitiveLog, TxKind, B256, U256};
use alloy_rpc_types_eth::{
    state::StateOverride, Block, BlockId, BlockNumberOrTag, BlockTransactions, FeeHistory, Filter, Log,
    Transaction, TransactionReceipt, TransactionRequest,
};
use vault_chain::{CallOutcome, World};

use crate::{error::NodeError, predeploys};

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

/// The node's chain: the world, its blocks and its transactions.
#[derive(Debug, Clone)]
pub struct Chain {
    world: World,
    blocks: Vec<BlockRecord>,
    block_numbers: HashMap<B256, u64>,
    txs: HashMap<B256, TxRecord>,
    /// Seconds added to the wall clock (`evm_increaseTime`).
    time_offset: u64,
}

/// The chain and its snapshots.
#[derive(Debug)]
pub struct Backend {
    chain: Chain,
    snapshots: Vec<Chain>,
}

type Job = Box<dyn FnOnce(&mut Backend) + Send>;

/// A handle to the chain thread.
#[derive(Debug, Clone)]
pub struct Handle {
    jobs: mpsc::Sender<Job>,
}

impl Handle {
    /// Starts the chain thread at `genesis`.
    ///
    /// # Panics
    /// When the thread cannot be spawned.
    pub fn spawn(genesis: Genesis) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("chain".into())
            .stack_size(16 << 20)
            .spawn(move || {
                let mut backend = Backend { chain: Chain::new(&genesis), snapshots: Vec::new() };
                while let Ok(job) = queue.recv() {
                    if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut backend))).is_err() {
                        tracing::error!("a request panicked on the chain thread; the chain keeps serving");
                    }
                }
            })
            .expect("spawn the chain thread");
        Self { jobs }
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
    /// The chain at genesis: block 0, the dev accounts funded, the
    /// `StylusDeployer` at its canonical address.
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
        let mut chain = Self {
            world,
            blocks: Vec::new(),
            block_numbers: HashMap::new(),
            txs: HashMap::new(),
            time_offset: 0,
        };
        chain.seal(&[], &[], 0);
        chain
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

    /// The block a tag or number names.
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

    /// Checks that `block` names the latest state, the only one kept.
    ///
    /// # Errors
    /// [`NodeError::BlockNotFound`] for an unknown or older block.
    pub fn latest_state(&self, block: Option<BlockId>) -> Result<(), NodeError> {
        let number = match block.unwrap_or_default() {
            BlockId::Number(tag) => self.resolve(tag)?,
            BlockId::Hash(hash) => *self
                .block_numbers
                .get(&hash.block_hash)
                .ok_or_else(|| NodeError::BlockNotFound(format!("block {} not found", hash.block_hash)))?,
        };
        if number == self.head() {
            Ok(())
        } else {
            Err(NodeError::BlockNotFound(format!(
                "state of block {number} is not kept: this node answers for the latest block ({}) only",
                self.head()
            )))
        }
    }

    /// A balance.
    pub fn balance(&self, address: Address) -> U256 {
        self.world.balance(address)
    }

    /// A nonce.
    pub fn nonce(&self, address: Address) -> u64 {
        self.world.nonce(address)
    }

    /// An account's code.
    pub fn code(&self, address: Address) -> Bytes {
        self.world.state().account(address).map(|a| a.code.clone()).unwrap_or_default()
    }

    /// A storage slot.
    pub fn storage(&self, address: Address, slot: U256) -> B256 {
        self.world.storage(address, slot)
    }

    /// Sets a balance (`anvil_setBalance`).
    pub fn set_balance(&mut self, address: Address, balance: U256) {
        self.world.set_balance(address, balance);
    }

    /// Puts the program at `address` in ArbOS's program cache or takes it
    /// out (`vault_cacheProgram`, `vault_evictProgram`); returns whether
    /// the cache changed.
    ///
    /// # Errors
    /// A revert with Nitro's error (`ProgramNotActivated()`…) when the
    /// program is not active.
    pub fn cache_program(&mut self, address: Address, cached: bool) -> Result<bool, NodeError> {
        self.world
            .cache_program(address, cached)
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

    /// Opens the next block: the world's block env moves to it.
    fn open_block(&mut self) {
        let timestamp = self.next_timestamp();
        let parent = self.world.block().timestamp;
        self.world.advance(timestamp - parent);
    }

    /// Seals the open block (the world's current block env) with its
    /// transactions and receipts; returns its hash.
    fn seal(&mut self, txs: &[TxEnvelope], receipts: &[ReceiptEnvelope], gas_used: u64) -> B256 {
        let env = self.world.block().clone();
        let mut logs_bloom = Bloom::ZERO;
        for receipt in receipts {
            logs_bloom.accrue_bloom(receipt.logs_bloom());
        }
        let header = Header {
            parent_hash: self.blocks.last().map_or(B256::ZERO, |b| b.hash),
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: env.coinbase,
            state_root: B256::ZERO,
            transactions_root: calculate_transaction_root(txs),
            receipts_root: calculate_receipt_root(receipts),
            logs_bloom,
            difficulty: U256::from(1),
            number: env.number,
            gas_limit: env.gas_limit,
            gas_used,
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
        let hash = header.hash_slow();
        self.block_numbers.insert(hash, env.number);
        self.blocks.push(BlockRecord { header, hash, txs: txs.iter().map(|t| *t.tx_hash()).collect() });
        hash
    }

    /// Mines `count` empty blocks.
    pub fn mine(&mut self, count: u64) {
        for _ in 0..count {
            self.open_block();
            self.seal(&[], &[], 0);
        }
    }

    /// Runs a call on a copy of the state (`eth_call`), with state overrides.
    ///
    /// # Errors
    /// A revert ([`NodeError::Reverted`]) or a halt.
    pub fn call(
        &mut self,
        request: &TransactionRequest,
        overrides: Option<&StateOverride>,
    ) -> Result<Bytes, NodeError> {
        let from = request.from.unwrap_or_default();
        let to = request.to.unwrap_or(TxKind::Create);
        let input = request.input.input().cloned().unwrap_or_default();
        let value = request.value.unwrap_or_default();
        let gas = request.gas.unwrap_or(self.block_gas_limit()).min(self.block_gas_limit());
        let no_overrides = overrides.is_none_or(HashMap::is_empty);
        // A view runs on the live state: a static call changes nothing. Any
        // failure is run again on a copy, where writes are allowed.
        if let (TxKind::Call(target), true, true) = (to, value.is_zero(), no_overrides) {
            let outcome = self.world.static_call(from, target, &input);
            if outcome.success && outcome.gas_used <= gas {
                return Ok(outcome.return_data.into());
            }
        }
        let mut world = self.world.clone();
        if let Some(overrides) = overrides {
            apply_overrides(&mut world, overrides)?;
        }
        let outcome = outcome_result(execute(&mut world, from, to, &input, value, gas))?;
        Ok(outcome.return_data.into())
    }

    /// The gas a transaction needs (`eth_estimateGas`): the least limit it
    /// succeeds with, searched from the gas it used.
    ///
    /// # Errors
    /// A revert or halt at the block gas limit.
    pub fn estimate_gas(&mut self, request: &TransactionRequest) -> Result<u64, NodeError> {
        let from = request.from.unwrap_or_default();
        let to = request.to.unwrap_or(TxKind::Create);
        let input = request.input.input().cloned().unwrap_or_default();
        let value = request.value.unwrap_or_default();
        let cap = request.gas.unwrap_or(self.block_gas_limit()).min(self.block_gas_limit());
        let run = |gas: u64| execute(&mut self.world.clone(), from, to, &input, value, gas);
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
        // Gas forwarded under the 63/64 rule, or refunds: search upwards.
        let mut high = cap;
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if run(mid).success {
                high = mid;
            } else {
                low = mid;
            }
        }
        Ok(high)
    }

    /// Checks a raw transaction and mines it in a block of its own.
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
        let hash = *tx.tx_hash();
        if self.txs.contains_key(&hash) {
            return Err(NodeError::AlreadyKnown);
        }
        let state = self.nonce(sender);
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
        let have = self.balance(sender);
        let want = U256::from(gas_limit).saturating_mul(U256::from(max_fee)).saturating_add(tx.value());
        if have < want {
            return Err(NodeError::InsufficientFunds { address: sender, have, want });
        }
        self.mine_tx(tx, sender);
        Ok(hash)
    }

    /// Mines a checked transaction: the sender pays gas used × base fee (as
    /// on Arbitrum, the effective price is the base fee; it is burnt).
    fn mine_tx(&mut self, tx: TxEnvelope, sender: Address) {
        self.open_block();
        let base_fee = self.world.block().basefee;
        let gas_limit = tx.gas_limit();
        let upfront = U256::from(gas_limit) * base_fee;
        self.world.set_balance(sender, self.world.balance(sender) - upfront);
        let outcome = execute(&mut self.world, sender, tx.kind(), tx.input(), tx.value(), gas_limit);
        let gas_used = outcome.gas_used.min(gas_limit);
        let refund = U256::from(gas_limit - gas_used) * base_fee;
        self.world.set_balance(sender, self.world.balance(sender) + refund);

        let receipt = Receipt {
            status: Eip658Value::Eip658(outcome.success),
            cumulative_gas_used: gas_used,
            logs: outcome.logs.clone(),
        };
        let with_bloom = ReceiptWithBloom::from(receipt);
        let envelope = match &tx {
            TxEnvelope::Legacy(_) => ReceiptEnvelope::Legacy(with_bloom),
            TxEnvelope::Eip2930(_) => ReceiptEnvelope::Eip2930(with_bloom),
            _ => ReceiptEnvelope::Eip1559(with_bloom),
        };
        if let Some(error) = &outcome.error {
            tracing::debug!(%error, "transaction failed");
        }
        let hash = *tx.tx_hash();
        let block_hash = self.seal(std::slice::from_ref(&tx), std::slice::from_ref(&envelope), gas_used);
        let number = self.head();
        let timestamp = self.blocks[self.blocks.len() - 1].header.timestamp;
        let mut log_index = 0;
        let rpc_receipt = envelope.map_logs(|inner: PrimitiveLog| {
            let log = Log {
                inner,
                block_hash: Some(block_hash),
                block_number: Some(number),
                block_timestamp: Some(timestamp),
                transaction_hash: Some(hash),
                transaction_index: Some(0),
                log_index: Some(log_index),
                removed: false,
            };
            log_index += 1;
            log
        });
        let receipt = TransactionReceipt {
            inner: rpc_receipt,
            transaction_hash: hash,
            transaction_index: Some(0),
            block_hash: Some(block_hash),
            block_number: Some(number),
            gas_used,
            effective_gas_price: u128_of(base_fee),
            blob_gas_used: None,
            blob_gas_price: None,
            from: sender,
            to: tx.to(),
            contract_address: if outcome.success { outcome.created } else { None },
        };
        tracing::info!(%hash, block = number, %sender, gas_used, success = outcome.success, "mined");
        self.txs.insert(hash, TxRecord { envelope: tx, sender, block: number, index: 0, receipt });
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

    /// A mined transaction.
    pub fn transaction(&self, hash: B256) -> Option<Transaction> {
        self.txs.get(&hash).map(|r| self.rpc_transaction(r))
    }

    /// A mined transaction's receipt.
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
