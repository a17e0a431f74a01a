//! The node's errors and the JSON-RPC error objects clients expect.

use alloy_primitives::hex;
use jsonrpsee::types::ErrorObjectOwned;

/// JSON-RPC code of a reverted call (geth, anvil): the revert data is in `data`.
pub const EXECUTION_REVERTED: i32 = 3;
/// JSON-RPC code geth uses for transaction-pool and server-side failures.
pub const SERVER_ERROR: i32 = -32_000;
/// Invalid method parameters.
pub const INVALID_PARAMS: i32 = -32_602;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The call or transaction simulation reverted.
    #[error("execution reverted{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Reverted {
        /// The `Error(string)` reason, when the data is one.
        reason: Option<String>,
        /// Raw revert data.
        data: Vec<u8>,
    },
    /// The call halted without reverting (out of gas, trap…).
    #[error("execution failed: {0}")]
    Halted(String),
    /// A call to Stylus code that cannot run (not activated…), in Nitro's
    /// words: `error ProgramNotActivated()`.
    #[error("{0}")]
    Program(String),
    /// The raw transaction is not a valid envelope.
    #[error("transaction could not be decoded: {0}")]
    Decode(String),
    /// The signature does not recover to an address.
    #[error("invalid sender: {0}")]
    InvalidSignature(String),
    /// The transaction is signed for another chain.
    #[error("invalid chain id for signer: have {have} want {want}")]
    WrongChainId {
        /// The transaction's chain id.
        have: u64,
        /// This node's chain id.
        want: u64,
    },
    /// A legacy transaction without EIP-155 replay protection.
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    Unprotected,
    /// Blob and set-code transactions.
    #[error("transaction type not supported")]
    UnsupportedType,
    /// The nonce was already used.
    #[error("nonce too low: address {address}, tx: {tx} state: {state}")]
    NonceTooLow {
        /// Sender.
        address: alloy_primitives::Address,
        /// The transaction's nonce.
        tx: u64,
        /// The account's nonce.
        state: u64,
    },
    /// The nonce leaves a gap (this node has no queue).
    #[error("nonce too high: address {address}, tx: {tx} state: {state}")]
    NonceTooHigh {
        /// Sender.
        address: alloy_primitives::Address,
        /// The transaction's nonce.
        tx: u64,
        /// The account's nonce.
        state: u64,
    },
    /// The sender cannot pay gas × price + value.
    #[error("insufficient funds for gas * price + value: address {address} have {have} want {want}")]
    InsufficientFunds {
        /// Sender.
        address: alloy_primitives::Address,
        /// Its balance.
        have: alloy_primitives::U256,
        /// What the transaction may cost.
        want: alloy_primitives::U256,
    },
    /// The gas limit is below the intrinsic gas.
    #[error("intrinsic gas too low: have {have}, want {want}")]
    IntrinsicGas {
        /// The transaction's gas limit.
        have: u64,
        /// Its intrinsic gas.
        want: u64,
    },
    /// The gas limit is above the block gas limit.
    #[error("exceeds block gas limit")]
    GasLimit,
    /// The fee cap is below the base fee.
    #[error("max fee per gas less than block base fee: maxFeePerGas: {max_fee}, baseFee: {base_fee}")]
    FeeCapTooLow {
        /// The transaction's fee cap.
        max_fee: u128,
        /// The block's base fee.
        base_fee: u128,
    },
    /// The priority fee is above the fee cap.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    /// The same transaction was already sent.
    #[error("already known")]
    AlreadyKnown,
    /// A block that does not exist, or state this node does not keep.
    #[error("{0}")]
    BlockNotFound(String),
    /// A parameter the node does not accept.
    #[error("{0}")]
    InvalidParams(String),
    /// The mnemonic is not valid.
    #[error("invalid mnemonic: {0}")]
    Mnemonic(String),
    /// The chain thread stopped, or the request failed inside it.
    #[error("internal error: the chain did not answer (see the node's log)")]
    Stopped,
    /// `eth_sendTransaction` from an account the node has no key for and
    /// that is not impersonated.
    #[error(
        "No Signer available: {0} is not a dev account and is not impersonated (anvil_impersonateAccount)"
    )]
    NoSigner(alloy_primitives::Address),
    /// Signing with a dev key failed.
    #[error("signing failed: {0}")]
    Signing(String),
    /// The `--state` file cannot be read, restored or written.
    #[error("state file: {0}")]
    State(String),
    /// The transaction needs more gas than the caller allows.
    #[error("gas required exceeds allowance ({0})")]
    GasAllowance(u64),
}

impl NodeError {
    /// A revert with its data; the reason is decoded from `Error(string)`.
    pub fn reverted(data: Vec<u8>) -> Self {
        Self::Reverted { reason: revert_reason(&data), data }
    }
}

/// Decodes `Error(string)` revert data (selector `0x08c379a0`).
fn revert_reason(data: &[u8]) -> Option<String> {
    let body = data.strip_prefix(&[0x08, 0xc3, 0x79, 0xa0])?;
    let word = |i: usize| -> Option<usize> {
        let w = body.get(i * 32..(i + 1) * 32)?;
        if w[..24].iter().any(|b| *b != 0) {
            return None;
        }
        usize::try_from(u64::from_be_bytes(w[24..].try_into().ok()?)).ok()
    };
    let offset = word(0)?;
    let len_word = body.get(offset..offset + 32)?;
    if len_word[..24].iter().any(|b| *b != 0) {
        return None;
    }
    let len = usize::try_from(u64::from_be_bytes(len_word[24..].try_into().ok()?)).ok()?;
    let text = body.get(offset + 32..offset + 32 + len)?;
    String::from_utf8(text.to_vec()).ok()
}

impl From<NodeError> for ErrorObjectOwned {
    fn from(error: NodeError) -> Self {
        let message = error.to_string();
        match error {
            NodeError::Reverted { data, .. } => {
                ErrorObjectOwned::owned(EXECUTION_REVERTED, message, Some(format!("0x{}", hex::encode(data))))
            }
            // anvil answers -32602 for a sender without a signer.
            NodeError::InvalidParams(_) | NodeError::NoSigner(_) => {
                ErrorObjectOwned::owned(INVALID_PARAMS, message, None::<()>)
            }
            _ => ErrorObjectOwned::owned(SERVER_ERROR, message, None::<()>),
        }
    }
}
