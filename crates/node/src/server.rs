//! The HTTP JSON-RPC server.

use std::net::SocketAddr;

use jsonrpsee::server::{BatchRequestConfig, Server, ServerHandle};

use crate::{
    api::{EthApi, EthServer},
    backend::Handle,
};

/// Limits of the server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest batch, in calls.
    pub max_batch: u32,
    /// Largest request body, in bytes.
    pub max_request_bytes: u32,
}

/// Starts serving `chain` (with its dev `accounts`) on `address`; returns
/// the bound address and the server's handle.
///
/// # Errors
/// When the address cannot be bound.
pub async fn start(
    address: SocketAddr,
    chain: Handle,
    accounts: Vec<alloy_primitives::Address>,
    limits: Limits,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let server = Server::builder()
        .http_only()
        .max_request_body_size(limits.max_request_bytes)
        .set_batch_request_config(BatchRequestConfig::Limit(limits.max_batch))
        .build(address)
        .await?;
    let bound = server.local_addr()?;
    let handle = server.start(EthApi::new(chain, accounts).into_rpc());
    Ok((bound, handle))
}
