//! The saved chain of `--state FILE`: JSON, read at start when the file
//! exists and written on exit (SIGINT, SIGTERM).

use std::{collections::BTreeMap, path::Path};

use alloy_consensus::{Header, TxEnvelope};
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_rpc_types_eth::TransactionReceipt;
use serde::{Deserialize, Serialize};
use vault_chain::arb_wasm::Program;

use crate::error::NodeError;

/// The format's version, written in the file.
pub const STATE_VERSION: u32 = 1;

/// A chain as saved: the latest block's state, every block, transaction
/// and receipt. Older blocks' states are not saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedChain {
    /// [`STATE_VERSION`].
    pub version: u32,
    /// Chain id.
    pub chain_id: u64,
    /// The latest block's timestamp.
    pub timestamp: u64,
    /// The latest block's L1 block number estimate.
    pub l1_number: u64,
    /// Seconds added to the wall clock (`evm_increaseTime`).
    pub time_offset: u64,
    /// Every account.
    pub accounts: BTreeMap<Address, SavedAccount>,
    /// Activated Stylus programs.
    pub programs: Vec<SavedProgram>,
    /// The activation data pricer's demand.
    pub program_demand: u32,
    /// Code hashes in ArbOS's program cache.
    pub cached_programs: Vec<B256>,
    /// ArbOS's cache managers (absent from files saved before they were kept: none).
    #[serde(default)]
    pub cache_managers: Vec<Address>,
    /// The chain owners (absent from older files: none).
    #[serde(default)]
    pub chain_owners: Vec<Address>,
    /// Every block, from genesis.
    pub blocks: Vec<SavedBlock>,
    /// Every mined transaction.
    pub transactions: Vec<SavedTx>,
}

/// One account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedAccount {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Code.
    pub code: Bytes,
    /// Non-zero storage slots.
    pub storage: BTreeMap<U256, B256>,
}

/// One activated Stylus program.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedProgram {
    /// Its code hash.
    pub codehash: B256,
    /// Stylus version.
    pub version: u16,
    /// Activation timestamp.
    pub activated_at: u64,
    /// Nitro's initCost.
    pub init_cost: u16,
    /// Nitro's cachedCost.
    pub cached_init_cost: u16,
    /// Initial memory pages.
    pub footprint: u16,
    /// Estimated compiled size.
    pub asm_estimate: u32,
}

impl SavedProgram {
    /// The record of `program` for `codehash`.
    pub fn new(codehash: B256, program: &Program) -> Self {
        Self {
            codehash,
            version: program.version,
            activated_at: program.activated_at,
            init_cost: program.init_cost,
            cached_init_cost: program.cached_init_cost,
            footprint: program.footprint,
            asm_estimate: program.asm_estimate,
        }
    }

    /// The code hash and program again.
    pub fn program(&self) -> (B256, Program) {
        let program = Program {
            version: self.version,
            activated_at: self.activated_at,
            init_cost: self.init_cost,
            cached_init_cost: self.cached_init_cost,
            footprint: self.footprint,
            asm_estimate: self.asm_estimate,
        };
        (self.codehash, program)
    }
}

/// One block: its header and transaction hashes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedBlock {
    /// The header.
    pub header: Header,
    /// Its transactions' hashes, in order.
    pub transactions: Vec<B256>,
}

/// One mined transaction.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedTx {
    /// The signed transaction.
    pub transaction: TxEnvelope,
    /// Its sender.
    pub sender: Address,
    /// Its block.
    pub block: u64,
    /// Its index in the block.
    pub index: u64,
    /// Its receipt.
    pub receipt: TransactionReceipt,
}

/// Reads a saved chain; `None` when the file does not exist.
///
/// # Errors
/// [`NodeError::State`] when it cannot be read or parsed.
pub fn load(path: &Path) -> Result<Option<SavedChain>, NodeError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(NodeError::State(format!("cannot read {}: {e}", path.display()))),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| NodeError::State(format!("{}: {e}", path.display())))
}

/// Writes a saved chain (to a temporary file beside it, then renamed).
///
/// # Errors
/// [`NodeError::State`] when it cannot be written.
pub fn save(path: &Path, chain: &SavedChain) -> Result<(), NodeError> {
    let text = serde_json::to_string(chain).map_err(|e| NodeError::State(e.to_string()))?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let write = || -> std::io::Result<()> {
        std::fs::write(&temporary, text)?;
        std::fs::rename(&temporary, path)
    };
    write().map_err(|e| NodeError::State(format!("cannot write {}: {e}", path.display())))
}
