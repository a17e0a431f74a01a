//! The interface between the Stylus host and the chain state.
//!
//! [`Backend`] is what a program can reach outside its own memory:
//! accounts, storage, logs, block and transaction data, and calls to other
//! accounts. [`crate::WorldState`] implements it over journaled maps and
//! runs EVM frames with revm's interpreter on the same state.

use std::rc::Rc;

use alloy_primitives::{Address, Bytes, Log, B256, U256};

use crate::{host::Runtime, ChainError};

/// Block data the hostios report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockEnv {
    /// L2 block number (what `ArbSys.arbBlockNumber` would return; not a hostio).
    pub number: u64,
    /// The sequencer's estimate of the L1 block number: what the
    /// `block_number` hostio returns on Arbitrum. It advances about once per
    /// 12 s, slower than L2 blocks.
    pub l1_number: u64,
    /// Unix timestamp in seconds (`block_timestamp`).
    pub timestamp: u64,
    /// Chain id (`chainid`).
    pub chain_id: u64,
    /// Base fee in wei (`block_basefee`; also `tx_gas_price`, as on Arbitrum).
    pub basefee: U256,
    /// Block coinbase (`block_coinbase`): the batch poster on Arbitrum.
    pub coinbase: Address,
    /// Block gas limit (`block_gas_limit`).
    pub gas_limit: u64,
}

impl Default for BlockEnv {
    fn default() -> Self {
        Self {
            number: 1,
            l1_number: 20_000_000,
            timestamp: 1_700_000_000,
            // Nitro's local dev chain.
            chain_id: 412_346,
            // Arbitrum's minimum base fee, 0.01 gwei.
            basefee: U256::from(10_000_000_u64),
            // Arbitrum One's sequencer address ("sequencer" in ASCII).
            coinbase: Address::new([
                0xA4, 0xb0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x73, 0x65, 0x71, 0x75, 0x65, 0x6e, 0x63, 0x65,
            ]),
            gas_limit: 32_000_000,
        }
    }
}

/// Transaction data the hostios report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxEnv {
    /// The externally owned account that sent the transaction (`tx_origin`).
    pub origin: Address,
    /// Gas price in wei (`tx_gas_price`).
    pub gas_price: U256,
}

/// The kind of a call frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// `CALL`: may carry value; runs the target's code on the target's state.
    Call,
    /// `STATICCALL`: no value, no state change anywhere below.
    StaticCall,
    /// `DELEGATECALL`: runs the target's code on the caller's state, with the
    /// caller's `msg.sender` and `msg.value`.
    DelegateCall,
    /// `CALLCODE` (EVM only): runs the target's code on the caller's state,
    /// with the caller as `msg.sender`; value moves from the caller to itself.
    CallCode,
}

/// One call frame to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRequest {
    /// Kind of call.
    pub kind: CallKind,
    /// `msg.sender` seen by the callee.
    pub caller: Address,
    /// The account whose storage, balance and address the callee acts with.
    pub address: Address,
    /// The account whose code runs (differs from `address` for delegate calls).
    pub code_address: Address,
    /// `msg.value` seen by the callee; transferred only for [`CallKind::Call`].
    pub value: U256,
    /// Calldata.
    pub input: Vec<u8>,
    /// Whether the frame may not change state.
    pub is_static: bool,
    /// Gas the frame may use (after the 63/64 rule and any stipend).
    pub gas: u64,
    /// 0 for the transaction's own call, +1 per nested frame.
    pub depth: usize,
}

impl CallRequest {
    /// Whether this frame moves `value` from `caller` to `address`.
    pub fn transfers_value(&self) -> bool {
        matches!(self.kind, CallKind::Call | CallKind::CallCode) && !self.value.is_zero()
    }
}

/// How a call frame ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameResult {
    /// Whether the frame succeeded (its state changes are kept).
    pub success: bool,
    /// Return data on success, revert data on a revert, empty on other failures.
    pub output: Vec<u8>,
    /// Why the frame failed, when it was not a plain revert by the program.
    pub error: Option<ChainError>,
    /// Gas the frame did not use, returned to the caller (zero after an
    /// exceptional halt, which consumes all of it).
    pub gas_left: u64,
    /// Gas refund earned (EIP-3529 storage clears), kept only on success.
    pub refund: i64,
}

impl FrameResult {
    /// A successful frame that left `gas_left` unused.
    pub fn success(output: Vec<u8>, gas_left: u64) -> Self {
        Self { success: true, output, error: None, gas_left, refund: 0 }
    }

    /// A frame the program reverted with `output`, leaving `gas_left`.
    pub fn revert(output: Vec<u8>, gas_left: u64) -> Self {
        Self { success: false, output, error: None, gas_left, refund: 0 }
    }

    /// A frame that failed for `error` (trap, out of gas…): no output, all
    /// gas consumed.
    pub fn failure(error: ChainError) -> Self {
        Self { success: false, output: Vec::new(), error: Some(error), gas_left: 0, refund: 0 }
    }

    /// A frame refused before it ran (depth, balance): its gas goes back.
    pub fn refused(error: ChainError, gas_left: u64) -> Self {
        Self { gas_left, ..Self::failure(error) }
    }
}

/// Everything a Stylus program reaches outside its memory.
///
/// The host moves the backend into the wasmi store for the length of a
/// frame (`Default` provides the placeholder left behind), so that host
/// functions own it and nested frames can borrow it in turn.
pub trait Backend: Default + Sized + 'static {
    /// The current block.
    fn block(&self) -> &BlockEnv;
    /// The current transaction.
    fn tx(&self) -> &TxEnv;
    /// `SLOAD`.
    fn sload(&mut self, address: Address, key: U256) -> B256;
    /// Marks an account accessed (EIP-2929); true when it was cold.
    fn access_account(&mut self, address: Address) -> bool;
    /// Marks a storage slot accessed (EIP-2929); true when it was cold.
    fn access_slot(&mut self, address: Address, key: U256) -> bool;
    /// The slot's value when the transaction began (EIP-2200).
    fn original_value(&mut self, address: Address, key: U256) -> B256;
    /// Adds ink burnt by a Stylus frame to the transaction's total.
    fn record_ink(&mut self, ink: u64);
    /// `SSTORE`, journaled so that a failing frame undoes it.
    fn sstore(&mut self, address: Address, key: U256, value: B256);
    /// `TLOAD` (EIP-1153).
    fn tload(&mut self, address: Address, key: U256) -> B256;
    /// `TSTORE` (EIP-1153), journaled.
    fn tstore(&mut self, address: Address, key: U256, value: B256);
    /// `BALANCE`.
    fn balance(&mut self, address: Address) -> U256;
    /// The account's code (`EXTCODECOPY` source).
    fn code(&mut self, address: Address) -> Bytes;
    /// `EXTCODEHASH`: zero for an account that does not exist, `keccak256("")`
    /// for an existing account without code.
    fn code_hash(&mut self, address: Address) -> B256;
    /// Appends a log, journaled.
    fn log(&mut self, log: Log);
    /// Runs a call frame: checkpoint, value transfer, dispatch on the
    /// target's code (Stylus code through `runtime`), commit or revert.
    fn call(&mut self, runtime: &Rc<Runtime<Self>>, request: CallRequest) -> FrameResult;
    /// `CREATE`/`CREATE2` of EVM init code with `gas`. Returns the new
    /// address (none on failure) and the frame's result, whose output is the
    /// revert data on failure.
    fn create(
        &mut self,
        runtime: &Rc<Runtime<Self>>,
        request: CreateRequest,
    ) -> (Option<Address>, FrameResult);
}

/// One contract creation to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRequest {
    /// The creating account (its nonce gives a `CREATE` address).
    pub creator: Address,
    /// EVM init code.
    pub init_code: Vec<u8>,
    /// Wei moved to the new account.
    pub endowment: U256,
    /// `Some(salt)` for `CREATE2`.
    pub salt: Option<B256>,
    /// Gas for the init code.
    pub gas: u64,
    /// Depth of the creation frame.
    pub depth: usize,
}
