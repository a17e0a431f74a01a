//! The keeper of the vault stabilisation system.
//!
//! Its decision ([`decide`]) is written once against an [`Endpoint`]: the
//! simulator runs it in process on its chain (polling each future once, see
//! [`run_ready`]), the `vault-keeper` program runs it over JSON-RPC against
//! a node ([`rpc`], feature `rpc`).

pub mod abi;
pub mod decide;
pub mod endpoint;
pub mod parity;
/// `vault-keeper parity`'s configuration (`src/rpc/parity_config.rs`).
#[cfg(feature = "rpc")]
#[path = "rpc/parity_config.rs"]
pub mod parity_config;
/// `vault-keeper parity` over JSON-RPC (`src/rpc/parity.rs`).
#[cfg(feature = "rpc")]
#[path = "rpc/parity.rs"]
pub mod parity_rpc;
pub mod pool;
#[cfg(feature = "rpc")]
pub mod rpc;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use alloy_primitives::Bytes;

pub use decide::{can_matter, execute, plan, poke, read_deviation, stabilized, turn, GasStats, Plan};
pub use endpoint::{CallResult, Endpoint, EndpointError, Sent};
pub use pool::{PoolSpec, TokenSpec};

/// Why the keeper could not decide or act.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KeeperError {
    /// The endpoint could not make a call (transport, node).
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// A call that must succeed reverted.
    #[error("{call} reverted: {error} ({data})")]
    Reverted {
        /// The call's signature.
        call: &'static str,
        /// The revert's error name.
        error: String,
        /// The revert data.
        data: Bytes,
    },
    /// A call's return could not be decoded.
    #[error("{call}: return: {reason}")]
    Decode {
        /// The call's signature.
        call: &'static str,
        /// Why.
        reason: String,
    },
    /// An exact computation failed.
    #[error("math: {0}")]
    Math(String),
    /// The contracts disagree about a pool.
    #[error("inconsistent wiring: {0}")]
    Inconsistent(String),
}

/// Runs a future that completes without waiting, as every call to an
/// in-process endpoint does: it is polled once.
///
/// # Panics
/// When the future is not ready at its first poll: an endpoint that waits
/// cannot be run this way.
pub fn run_ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("run_ready: the future is pending; an in-process endpoint must never wait"),
    }
}
