//! The JSON-RPC methods: `eth_*`, `net_*`, `web3_*`, anvil's test controls
//! and the node's own program-cache controls (`vault_*`).

use alloy_primitives::{Address, Bytes, B256, U256, U64};
use alloy_rpc_types_eth::{
    state::StateOverride, Block, BlockId, BlockNumberOrTag, FeeHistory, Filter, Log, Transaction,
    TransactionReceipt, TransactionRequest,
};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};

use crate::{backend::Handle, error::NodeError};

/// What `web3_clientVersion` answers.
pub const CLIENT_VERSION: &str = concat!("vault-node/v", env!("CARGO_PKG_VERSION"));

/// The methods served.
#[rpc(server)]
pub trait Eth {
    /// Chain id.
    #[method(name = "eth_chainId")]
    async fn chain_id(&self) -> RpcResult<U64>;
    /// Chain id in decimal.
    #[method(name = "net_version")]
    async fn net_version(&self) -> RpcResult<String>;
    /// The node's name and version.
    #[method(name = "web3_clientVersion")]
    async fn client_version(&self) -> RpcResult<String>;
    /// Whether the node listens (always).
    #[method(name = "net_listening")]
    async fn net_listening(&self) -> RpcResult<bool>;
    /// Whether the node is syncing (never).
    #[method(name = "eth_syncing")]
    async fn syncing(&self) -> RpcResult<bool>;
    /// The dev accounts.
    #[method(name = "eth_accounts")]
    async fn accounts(&self) -> RpcResult<Vec<Address>>;
    /// The latest block number.
    #[method(name = "eth_blockNumber")]
    async fn block_number(&self) -> RpcResult<U64>;
    /// A block by number or tag.
    #[method(name = "eth_getBlockByNumber")]
    async fn block_by_number(&self, block: BlockNumberOrTag, full: bool) -> RpcResult<Option<Block>>;
    /// A block by hash.
    #[method(name = "eth_getBlockByHash")]
    async fn block_by_hash(&self, hash: B256, full: bool) -> RpcResult<Option<Block>>;
    /// A balance.
    #[method(name = "eth_getBalance")]
    async fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256>;
    /// An account's code.
    #[method(name = "eth_getCode")]
    async fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes>;
    /// A storage slot.
    #[method(name = "eth_getStorageAt")]
    async fn storage_at(&self, address: Address, slot: U256, block: Option<BlockId>) -> RpcResult<B256>;
    /// A nonce (`pending` counts the pending transactions).
    #[method(name = "eth_getTransactionCount")]
    async fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64>;
    /// The gas price: the base fee.
    #[method(name = "eth_gasPrice")]
    async fn gas_price(&self) -> RpcResult<U256>;
    /// The priority fee needed: none.
    #[method(name = "eth_maxPriorityFeePerGas")]
    async fn max_priority_fee(&self) -> RpcResult<U256>;
    /// Base fees and gas ratios of recent blocks.
    #[method(name = "eth_feeHistory")]
    async fn fee_history(
        &self,
        block_count: U64,
        newest_block: BlockNumberOrTag,
        reward_percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory>;
    /// The gas a transaction needs.
    #[method(name = "eth_estimateGas")]
    async fn estimate_gas(&self, request: TransactionRequest, block: Option<BlockId>) -> RpcResult<U64>;
    /// Runs a call without mining it.
    #[method(name = "eth_call")]
    async fn call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<StateOverride>,
    ) -> RpcResult<Bytes>;
    /// Checks and runs a signed transaction (mined at once with automine).
    #[method(name = "eth_sendRawTransaction")]
    async fn send_raw_transaction(&self, raw: Bytes) -> RpcResult<B256>;
    /// Fills in, signs (dev accounts) or sends unsigned (impersonated
    /// accounts), checks and runs a transaction.
    #[method(name = "eth_sendTransaction")]
    async fn send_transaction(&self, request: TransactionRequest) -> RpcResult<B256>;
    /// Lets `eth_sendTransaction` send from `address` without its key.
    #[method(name = "anvil_impersonateAccount")]
    async fn impersonate_account(&self, address: Address) -> RpcResult<()>;
    /// Stops impersonating `address`.
    #[method(name = "anvil_stopImpersonatingAccount")]
    async fn stop_impersonating_account(&self, address: Address) -> RpcResult<()>;
    /// A transaction, mined or pending.
    #[method(name = "eth_getTransactionByHash")]
    async fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<Transaction>>;
    /// A receipt.
    #[method(name = "eth_getTransactionReceipt")]
    async fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<TransactionReceipt>>;
    /// Logs matching a filter.
    #[method(name = "eth_getLogs")]
    async fn logs(&self, filter: Filter) -> RpcResult<Vec<Log>>;
    /// Mines a block (or `blocks` blocks).
    #[method(name = "evm_mine")]
    async fn mine(&self, blocks: Option<U64>) -> RpcResult<String>;
    /// Moves the clock forward; returns the total offset in seconds.
    #[method(name = "evm_increaseTime")]
    async fn increase_time(&self, seconds: U64) -> RpcResult<U64>;
    /// Saves the chain; returns the snapshot id.
    #[method(name = "evm_snapshot")]
    async fn snapshot(&self) -> RpcResult<U64>;
    /// Goes back to a snapshot.
    #[method(name = "evm_revert")]
    async fn revert(&self, id: U64) -> RpcResult<bool>;
    /// Sets a balance.
    #[method(name = "anvil_setBalance")]
    async fn set_balance(&self, address: Address, balance: U256) -> RpcResult<()>;
    /// Puts a program in ArbOS's program cache, as the cache manager's bid
    /// would: its calls then pay the cached entry cost. True when it was
    /// not cached before.
    #[method(name = "vault_cacheProgram")]
    async fn cache_program(&self, address: Address) -> RpcResult<bool>;
    /// Takes a program out of the program cache. True when it was cached.
    #[method(name = "vault_evictProgram")]
    async fn evict_program(&self, address: Address) -> RpcResult<bool>;
}

/// The methods over a chain handle.
#[derive(Debug, Clone)]
pub struct EthApi {
    chain: Handle,
    accounts: Vec<Address>,
}

impl EthApi {
    /// The API over `chain`, with its dev `accounts`.
    pub fn new(chain: Handle, accounts: Vec<Address>) -> Self {
        Self { chain, accounts }
    }

    async fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut crate::backend::Chain) -> Result<R, NodeError> + Send + 'static,
    ) -> RpcResult<R> {
        Ok(self.chain.run(move |backend| f(backend.chain())).await??)
    }
}

fn u64_of(value: U64) -> u64 {
    value.to::<u64>()
}

#[jsonrpsee::core::async_trait]
impl EthServer for EthApi {
    async fn chain_id(&self) -> RpcResult<U64> {
        self.with(|c| Ok(U64::from(c.chain_id()))).await
    }

    async fn net_version(&self) -> RpcResult<String> {
        self.with(|c| Ok(c.chain_id().to_string())).await
    }

    async fn client_version(&self) -> RpcResult<String> {
        Ok(CLIENT_VERSION.to_owned())
    }

    async fn net_listening(&self) -> RpcResult<bool> {
        Ok(true)
    }

    async fn syncing(&self) -> RpcResult<bool> {
        Ok(false)
    }

    async fn accounts(&self) -> RpcResult<Vec<Address>> {
        Ok(self.accounts.clone())
    }

    async fn block_number(&self) -> RpcResult<U64> {
        self.with(|c| Ok(U64::from(c.head()))).await
    }

    async fn block_by_number(&self, block: BlockNumberOrTag, full: bool) -> RpcResult<Option<Block>> {
        self.with(move |c| Ok(c.resolve(block).ok().and_then(|n| c.block(n, full)))).await
    }

    async fn block_by_hash(&self, hash: B256, full: bool) -> RpcResult<Option<Block>> {
        self.with(move |c| Ok(c.block_number_of(hash).and_then(|n| c.block(n, full)))).await
    }

    async fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256> {
        self.with(move |c| c.balance(address, block)).await
    }

    async fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes> {
        self.with(move |c| c.code(address, block)).await
    }

    async fn storage_at(&self, address: Address, slot: U256, block: Option<BlockId>) -> RpcResult<B256> {
        self.with(move |c| c.storage(address, slot, block)).await
    }

    async fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64> {
        self.with(move |c| c.nonce(address, block).map(U64::from)).await
    }

    async fn gas_price(&self) -> RpcResult<U256> {
        self.with(|c| Ok(U256::from(c.base_fee()))).await
    }

    async fn max_priority_fee(&self) -> RpcResult<U256> {
        Ok(U256::ZERO)
    }

    async fn fee_history(
        &self,
        block_count: U64,
        newest_block: BlockNumberOrTag,
        reward_percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory> {
        self.with(move |c| c.fee_history(u64_of(block_count), newest_block, reward_percentiles.as_deref()))
            .await
    }

    async fn estimate_gas(&self, request: TransactionRequest, block: Option<BlockId>) -> RpcResult<U64> {
        self.with(move |c| c.estimate_gas(&request, block).map(U64::from)).await
    }

    async fn call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<StateOverride>,
    ) -> RpcResult<Bytes> {
        self.with(move |c| c.call(&request, block, overrides.as_ref())).await
    }

    async fn send_raw_transaction(&self, raw: Bytes) -> RpcResult<B256> {
        self.with(move |c| c.send_raw(&raw)).await
    }

    async fn send_transaction(&self, request: TransactionRequest) -> RpcResult<B256> {
        Ok(self.chain.run(move |b| b.send_transaction(&request)).await??)
    }

    async fn impersonate_account(&self, address: Address) -> RpcResult<()> {
        Ok(self.chain.run(move |b| b.impersonate(address, true)).await?)
    }

    async fn stop_impersonating_account(&self, address: Address) -> RpcResult<()> {
        Ok(self.chain.run(move |b| b.impersonate(address, false)).await?)
    }

    async fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<Transaction>> {
        self.with(move |c| Ok(c.transaction(hash))).await
    }

    async fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<TransactionReceipt>> {
        self.with(move |c| Ok(c.receipt(hash))).await
    }

    async fn logs(&self, filter: Filter) -> RpcResult<Vec<Log>> {
        self.with(move |c| c.logs(&filter)).await
    }

    async fn mine(&self, blocks: Option<U64>) -> RpcResult<String> {
        self.with(move |c| {
            c.mine(blocks.map_or(1, u64_of).max(1));
            Ok("0x0".to_owned())
        })
        .await
    }

    async fn increase_time(&self, seconds: U64) -> RpcResult<U64> {
        self.with(move |c| Ok(U64::from(c.increase_time(u64_of(seconds))))).await
    }

    async fn snapshot(&self) -> RpcResult<U64> {
        Ok(U64::from(self.chain.run(crate::backend::Backend::snapshot).await?))
    }

    async fn revert(&self, id: U64) -> RpcResult<bool> {
        Ok(self.chain.run(move |b| b.revert(u64_of(id))).await?)
    }

    async fn set_balance(&self, address: Address, balance: U256) -> RpcResult<()> {
        self.with(move |c| {
            c.set_balance(address, balance);
            Ok(())
        })
        .await
    }

    async fn cache_program(&self, address: Address) -> RpcResult<bool> {
        self.with(move |c| c.cache_program(address, true)).await
    }

    async fn evict_program(&self, address: Address) -> RpcResult<bool> {
        self.with(move |c| c.cache_program(address, false)).await
    }
}
