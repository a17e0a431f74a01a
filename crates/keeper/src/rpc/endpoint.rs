//! The keeper's [`Endpoint`] over JSON-RPC: views are `eth_call`s from the
//! keeper's account at the latest block; a transaction is estimated, given
//! an explicit gas limit (estimate plus margin, capped), signed by the local
//! key, sent, and its receipt awaited.

use std::time::{Duration, Instant};

use alloy_network::TransactionBuilder;
use alloy_primitives::{Address, Bytes, TxHash};
use alloy_provider::{DynProvider, Provider};
use alloy_rpc_types_eth::{BlockId, TransactionRequest};
use alloy_transport::{RpcError, TransportError};

use crate::endpoint::{CallResult, Endpoint, EndpointError, Sent};

/// One transaction the endpoint sent, for the runner's logs and metrics.
#[derive(Debug, Clone)]
pub struct SentTx {
    /// Its hash.
    pub hash: TxHash,
    /// The call's selector.
    pub selector: [u8; 4],
    /// When it was handed to the node.
    pub sent_at: Instant,
    /// The node's estimate (`None` when it took longer than the
    /// endpoint's estimate timeout).
    pub estimate: Option<u64>,
    /// How long the node took to estimate it.
    pub estimate_time: Duration,
    /// The gas limit it was sent with.
    pub gas_limit: u64,
    /// Gas it used (its receipt).
    pub gas_used: u64,
    /// The block it was mined in.
    pub block: Option<u64>,
}

/// A JSON-RPC node, in the keeper's name.
#[derive(Debug)]
pub struct RpcEndpoint {
    provider: DynProvider,
    keeper: Address,
    gas_limit: u64,
    gas_margin: u64,
    estimate_timeout: Duration,
    receipt_timeout: Duration,
    /// The transactions sent since the runner last drained it.
    pub journal: Vec<SentTx>,
    /// The call the caller has just simulated, see [`Self::simulated`].
    simulated: Option<(Address, Bytes)>,
}

/// What a node's error answer means for a call.
enum Answer<T> {
    Ok(T),
    /// The call reverted with this data.
    Reverted(Bytes),
}

fn classify<T>(result: Result<T, TransportError>) -> Result<Answer<T>, EndpointError> {
    match result {
        Ok(value) => Ok(Answer::Ok(value)),
        Err(RpcError::ErrorResp(payload)) if payload.message.contains("revert") => {
            Ok(Answer::Reverted(payload.as_revert_data().unwrap_or_default()))
        }
        Err(e) => Err(EndpointError(e.to_string())),
    }
}

impl RpcEndpoint {
    /// An endpoint on `provider` (which signs for `keeper`): gas limits
    /// are the estimate plus `gas_margin`, at most `gas_limit`; an estimate
    /// slower than `estimate_timeout` (or any, when it is zero) is given up
    /// for `gas_limit` itself.
    pub fn new(
        provider: DynProvider,
        keeper: Address,
        gas_limit: u64,
        gas_margin: u64,
        estimate_timeout: Duration,
    ) -> Self {
        Self {
            provider,
            keeper,
            gas_limit,
            gas_margin,
            estimate_timeout,
            receipt_timeout: Duration::from_secs(60),
            journal: Vec::new(),
            simulated: None,
        }
    }

    /// Notes that `calldata` to `to` has just been simulated with success
    /// at the latest block: the next [`Endpoint::send`], if it is that
    /// call and is sent without an estimate, skips its own `eth_call`.
    pub fn simulated(&mut self, to: Address, calldata: Bytes) {
        self.simulated = Some((to, calldata));
    }

    /// The provider.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The keeper's account.
    pub fn keeper(&self) -> Address {
        self.keeper
    }

    fn request(&self, to: Address, calldata: Bytes) -> TransactionRequest {
        TransactionRequest::default().with_from(self.keeper).with_to(to).with_input(calldata)
    }

    async fn receipt(&self, hash: TxHash) -> Result<alloy_rpc_types_eth::TransactionReceipt, EndpointError> {
        let deadline = Instant::now() + self.receipt_timeout;
        loop {
            match self.provider.get_transaction_receipt(hash).await {
                Ok(Some(receipt)) => return Ok(receipt),
                Ok(None) => {}
                Err(e) => return Err(EndpointError(format!("receipt of {hash}: {e}"))),
            }
            if Instant::now() > deadline {
                return Err(EndpointError(format!("no receipt for {hash} after {:?}", self.receipt_timeout)));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A transaction the node says would revert, not sent.
fn not_sent(revert_data: Bytes) -> Sent {
    Sent { success: false, gas_used: 0, logs: Vec::new(), output: revert_data }
}

impl Endpoint for RpcEndpoint {
    async fn view(&mut self, to: Address, calldata: Bytes) -> Result<CallResult, EndpointError> {
        let request = self.request(to, calldata);
        Ok(match classify(self.provider.call(&request).block(BlockId::latest()).await)? {
            Answer::Ok(data) => CallResult { success: true, data, gas_used: None },
            Answer::Reverted(data) => CallResult { success: false, data, gas_used: None },
        })
    }

    /// A transaction the node's estimate (or, when the estimate is slow,
    /// an `eth_call`) says would revert is not sent: it comes back as a
    /// [`Sent`] with `success == false`, no gas and the revert data. A
    /// mined revert is replayed with `eth_call` on the state before its
    /// block to find its revert data.
    async fn send(&mut self, to: Address, calldata: Bytes) -> Result<Sent, EndpointError> {
        let request = self.request(to, calldata.clone());
        let simulated = self.simulated.take();
        let asked = Instant::now();
        let answer = if self.estimate_timeout.is_zero() {
            None
        } else {
            tokio::time::timeout(self.estimate_timeout, self.provider.estimate_gas(&request)).await.ok()
        };
        let estimate = if let Some(answer) = answer {
            match classify(answer)? {
                Answer::Ok(gas) => Some(gas),
                Answer::Reverted(data) => return Ok(not_sent(data)),
            }
        } else {
            // No estimate, or a slow one that would make the transaction
            // late for its block: check it with one `eth_call` and send it
            // with the cap.
            // (Unless the caller has just simulated this very call.)
            if simulated != Some((to, calldata.clone())) {
                let latest = self.provider.call(&request).block(BlockId::latest()).await;
                if let Answer::Reverted(data) = classify(latest)? {
                    return Ok(not_sent(data));
                }
            }
            None
        };
        let estimate_time = asked.elapsed();
        if let Some(estimate) = estimate.filter(|&gas| gas > self.gas_limit) {
            return Err(EndpointError(format!("estimate {estimate} exceeds gas_limit {}", self.gas_limit)));
        }
        let gas_limit =
            estimate.map_or(self.gas_limit, |gas| gas.saturating_add(self.gas_margin).min(self.gas_limit));
        let pending = self
            .provider
            .send_transaction(request.clone().with_gas_limit(gas_limit))
            .await
            .map_err(|e| EndpointError(format!("sending: {e}")))?;
        let sent_at = Instant::now();
        let hash = *pending.tx_hash();
        let receipt = self.receipt(hash).await?;
        let mut selector = [0; 4];
        selector.copy_from_slice(calldata.get(..4).unwrap_or(&[0; 4]));
        self.journal.push(SentTx {
            hash,
            selector,
            sent_at,
            estimate,
            estimate_time,
            gas_limit,
            gas_used: receipt.gas_used,
            block: receipt.block_number,
        });
        let success = receipt.status();
        let output = if success {
            Bytes::new()
        } else {
            let before = receipt.block_number.unwrap_or(1).saturating_sub(1);
            match classify(self.provider.call(&request).block(BlockId::number(before)).await)? {
                Answer::Reverted(data) => data,
                Answer::Ok(_) => Bytes::new(),
            }
        };
        let logs = receipt.inner.logs().iter().map(|log| log.inner.clone()).collect();
        Ok(Sent { success, gas_used: receipt.gas_used, logs, output })
    }
}
