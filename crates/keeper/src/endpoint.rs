//! Where the keeper's calls go: the simulator's in-process chain or a
//! JSON-RPC node. The decision logic ([`crate::decide`]) is written once
//! against [`Endpoint`].

use alloy_primitives::{Address, Bytes, Log};

/// A view's answer (`eth_call`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallResult {
    /// Whether the call succeeded.
    pub success: bool,
    /// Return data on success, revert data on a revert.
    pub data: Bytes,
    /// Gas the view would have used, when the endpoint measures it (the
    /// in-process chain does; a JSON-RPC `eth_call` does not say).
    pub gas_used: Option<u64>,
}

/// A mined transaction's outcome (its receipt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Whether it succeeded.
    pub success: bool,
    /// Gas it used.
    pub gas_used: u64,
    /// Its logs (empty on failure).
    pub logs: Vec<Log>,
    /// Return data on success and revert data on a revert, where the
    /// endpoint has it (a receipt has neither: the RPC endpoint replays a
    /// failed transaction with `eth_call` to find the revert data).
    pub output: Bytes,
}

/// Why an endpoint could not answer: the call itself never ran (a
/// transport or node failure, not a revert). The RPC keeper retries these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("endpoint: {0}")]
pub struct EndpointError(pub String);

/// Where the keeper's views and transactions go, in the keeper's name.
///
/// The futures need not be `Send`: the simulator polls them once on its
/// own thread, the RPC keeper runs them on a current-thread runtime.
#[allow(async_fn_in_trait)]
pub trait Endpoint {
    /// A view of `to` with `calldata` (`eth_call` from the keeper).
    ///
    /// # Errors
    /// [`EndpointError`] when the call could not be made (a revert is a
    /// [`CallResult`] with `success == false`).
    async fn view(&mut self, to: Address, calldata: Bytes) -> Result<CallResult, EndpointError>;

    /// A transaction to `to` with `calldata`, signed by the keeper, waited
    /// for until mined.
    ///
    /// # Errors
    /// [`EndpointError`] when it could not be sent or its receipt not read
    /// (a revert is a [`Sent`] with `success == false`).
    async fn send(&mut self, to: Address, calldata: Bytes) -> Result<Sent, EndpointError>;
}
