//! The keeper's [`Endpoint`] over JSON-RPC: views are `eth_call`s from the
//! keeper's account at the latest block; a transaction is estimated, given
//! an explicit gas limit (estimate plus margin, capped), signed by the local
//! key with the nonce the endpoint counts itself and explicit EIP-1559
//! fees, sent, and its receipt awaited (with fee bumps while it is stuck).
//! A transaction checked before a block was mined (by its estimate or the
//! caller's simulation) is simulated again on the next block before it is
//! sent, and not sent if it would revert there.

use std::time::{Duration, Instant};

use alloy_network::TransactionBuilder;
use alloy_primitives::{Address, Bytes, TxHash};
use alloy_provider::{DynProvider, Provider};
use alloy_rpc_types_eth::{BlockId, Filter, TransactionRequest};
use alloy_sol_types::SolEvent;
use alloy_transport::{RpcError, TransportError};

use crate::abi::fc;
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

/// The fees of the keeper's EIP-1559 transactions, wei per gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeePolicy {
    /// The priority fee of a first send.
    pub priority_fee: u128,
    /// The highest max fee the keeper pays, first send or bump.
    pub max_fee_cap: u128,
}

impl Default for FeePolicy {
    fn default() -> Self {
        Self { priority_fee: 0, max_fee_cap: 10_000_000_000 }
    }
}

/// One send's fees: `max_fee` and `tip` (priority fee), wei per gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fees {
    /// `maxFeePerGas`.
    pub max_fee: u128,
    /// `maxPriorityFeePerGas`.
    pub tip: u128,
}

impl Fees {
    /// A first send's fees on a chain whose base fee is `base_fee`: twice
    /// the base fee plus the tip (room for the base fee to rise over a few
    /// blocks), at most the cap; `None` when the cap is below the base fee
    /// plus the tip (the node would refuse the transaction).
    pub fn initial(base_fee: u128, policy: FeePolicy) -> Option<Self> {
        let tip = policy.priority_fee;
        if base_fee.saturating_add(tip) > policy.max_fee_cap {
            return None;
        }
        let max_fee = base_fee.saturating_mul(2).saturating_add(tip).min(policy.max_fee_cap);
        Some(Self { max_fee, tip })
    }

    /// The fees of a replacement for a stuck transaction: both fees raised
    /// by 10% + 1 wei (geth and Nitro refuse a replacement with a smaller
    /// raise of either), the max fee at most the cap; `None` when the cap
    /// leaves no room for such a raise.
    pub fn bump(self, policy: FeePolicy) -> Option<Self> {
        let raise = |fee: u128| fee.saturating_add(fee / 10).saturating_add(1);
        let bumped = Self { max_fee: raise(self.max_fee), tip: raise(self.tip) };
        (bumped.max_fee <= policy.max_fee_cap && bumped.tip <= bumped.max_fee).then_some(bumped)
    }
}

/// What the endpoint did about nonces and stuck transactions since the
/// runner last read it (the runner turns these into metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Incidents {
    /// The next nonce re-read from `eth_getTransactionCount(pending)`
    /// after the node refused one, or another transaction took it.
    pub nonce_resyncs: u64,
    /// Replacements sent for a transaction without a receipt.
    pub fee_bumps: u64,
    /// Transactions given up without a receipt (lost by a restarted node,
    /// replaced by another sender, or stuck at the fee cap).
    pub abandoned: u64,
}

/// A JSON-RPC node, in the keeper's name.
///
/// It owns the keeper account's nonce: it counts its own next nonce from
/// one `eth_getTransactionCount(pending)` and re-reads it only when the node
/// refuses a nonce ("nonce too low", "nonce too high", "already known") or
/// a transaction of the keeper's is given up. A transaction without a
/// receipt after the receipt timeout is re-sent with the same nonce and
/// fees raised by 10% + 1 wei, up to [`FeePolicy::max_fee_cap`].
#[derive(Debug)]
pub struct RpcEndpoint {
    provider: DynProvider,
    keeper: Address,
    gas_limit: u64,
    gas_margin: u64,
    estimate_timeout: Duration,
    receipt_timeout: Duration,
    fees: FeePolicy,
    next_nonce: Option<u64>,
    /// The transactions sent since the runner last drained it.
    pub journal: Vec<SentTx>,
    /// Nonce and stuck-transaction incidents since the runner last took them.
    pub incidents: Incidents,
    /// The call the caller has just simulated and the head it ran on, see
    /// [`Self::simulate`].
    simulated: Option<(Address, Bytes, u64)>,
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

/// Whether the node refused a transaction for its nonce: the keeper's
/// count is behind (another sender used the key, or a transaction it
/// counted was mined or lost) or ahead (a node restart lost a pending one).
pub fn is_nonce_refusal(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "nonce too low",
        "nonce too high",
        "already known",
        "replacement transaction underpriced",
        "invalid nonce",
    ]
    .iter()
    .any(|refusal| message.contains(refusal))
}

fn transport(what: &str, e: impl std::fmt::Display) -> EndpointError {
    EndpointError(format!("{what}: {e}"))
}

/// How waiting for a receipt ended without one.
enum Unmined {
    /// The node no longer knows any of the transactions (it restarted and
    /// dropped its pending ones).
    Lost,
    /// No receipt within the timeout.
    TimedOut,
}

impl RpcEndpoint {
    /// An endpoint on `provider` (which signs for `keeper`): gas limits
    /// are the estimate plus `gas_margin`, at most `gas_limit`; an estimate
    /// slower than `estimate_timeout` (or any, when it is zero) is given up
    /// for `gas_limit` itself. Receipts are awaited 60 s and fees follow
    /// [`FeePolicy::default`] unless set with [`Self::with_receipt_timeout`]
    /// and [`Self::with_fees`].
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
            fees: FeePolicy::default(),
            next_nonce: None,
            journal: Vec::new(),
            incidents: Incidents::default(),
            simulated: None,
        }
    }

    /// How long to wait for a receipt before a fee bump.
    #[must_use]
    pub fn with_receipt_timeout(mut self, timeout: Duration) -> Self {
        self.receipt_timeout = timeout;
        self
    }

    /// The fee policy.
    #[must_use]
    pub fn with_fees(mut self, fees: FeePolicy) -> Self {
        self.fees = fees;
        self
    }

    /// Simulates `calldata` to `to` at the latest block (an `eth_call`).
    /// On success the next [`Endpoint::send`] of that very call, if sent
    /// without an estimate, skips its own `eth_call`; it is simulated again
    /// on the next block if one is mined before it is sent.
    ///
    /// # Errors
    /// The node cannot be reached.
    pub async fn simulate(&mut self, to: Address, calldata: Bytes) -> Result<CallResult, EndpointError> {
        let head = self.head().await?;
        let result = self.call_at(to, calldata.clone(), BlockId::latest()).await?;
        self.simulated = result.success.then_some((to, calldata, head));
        Ok(result)
    }

    /// The latest block number.
    ///
    /// # Errors
    /// The node cannot be reached.
    pub async fn head(&self) -> Result<u64, EndpointError> {
        self.provider.get_block_number().await.map_err(|e| transport("eth_blockNumber", e))
    }

    /// `pool`'s recorded observations `(block, deviationBps)` from blocks
    /// `from` to `to`, oldest first: FlashContainment's `Observed` events.
    ///
    /// # Errors
    /// The node cannot be reached, or answers a log that does not decode.
    pub async fn observations(
        &self,
        containment: Address,
        pool: Address,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, i32)>, EndpointError> {
        let filter = Filter::new()
            .address(containment)
            .event_signature(fc::Observed::SIGNATURE_HASH)
            .topic1(pool.into_word())
            .from_block(from)
            .to_block(to);
        let logs = self.provider.get_logs(&filter).await.map_err(|e| transport("eth_getLogs", e))?;
        logs.iter()
            .map(|log| {
                fc::Observed::decode_log(&log.inner, true)
                    .map(|event| (event.data.blockNumber, event.data.deviationBps))
                    .map_err(|e| {
                        EndpointError(format!("an Observed log of {containment} does not decode: {e}"))
                    })
            })
            .collect()
    }

    async fn call_at(
        &self,
        to: Address,
        calldata: Bytes,
        block: BlockId,
    ) -> Result<CallResult, EndpointError> {
        let request = self.request(to, calldata);
        Ok(match classify(self.provider.call(&request).block(block).await)? {
            Answer::Ok(data) => CallResult { success: true, data, gas_used: None },
            Answer::Reverted(data) => CallResult { success: false, data, gas_used: None },
        })
    }

    /// The revert data of `calldata` to `to`, checked when `checked` was
    /// the head, if it now reverts: when blocks were mined since (during
    /// an estimate, say), it is simulated again on the next block
    /// (`pending`), up to three times. A trade sustained for the block
    /// after its poke's is refused one block later (`SingleBlockSpike`):
    /// without this it would be sent and revert.
    async fn reverts_now(
        &self,
        to: Address,
        calldata: &Bytes,
        mut checked: u64,
    ) -> Result<Option<Bytes>, EndpointError> {
        for _ in 0..3 {
            let head = self.head().await?;
            if head == checked {
                return Ok(None);
            }
            tracing::info!(
                checked,
                head,
                "blocks were mined since the simulation: simulating again on the next block"
            );
            let again = self.call_at(to, calldata.clone(), BlockId::pending()).await?;
            if !again.success {
                return Ok(Some(again.data));
            }
            checked = head;
        }
        Ok(None)
    }

    /// The provider.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The keeper's account.
    pub fn keeper(&self) -> Address {
        self.keeper
    }

    /// The nonce the keeper's next transaction will carry, when known.
    pub fn next_nonce(&self) -> Option<u64> {
        self.next_nonce
    }

    fn request(&self, to: Address, calldata: Bytes) -> TransactionRequest {
        TransactionRequest::default().with_from(self.keeper).with_to(to).with_input(calldata)
    }

    /// The next nonce from the node's pending count.
    async fn resync(&mut self) -> Result<u64, EndpointError> {
        let nonce = self
            .provider
            .get_transaction_count(self.keeper)
            .pending()
            .await
            .map_err(|e| transport("eth_getTransactionCount", e))?;
        if self.next_nonce.is_some_and(|known| known != nonce) {
            tracing::warn!(keeper = %self.keeper, was = ?self.next_nonce, now = nonce, "nonce resynced from the node's pending count");
        }
        self.next_nonce = Some(nonce);
        Ok(nonce)
    }

    /// Signs and sends `request` with `nonce` and `fees`; on a nonce
    /// refusal resyncs and tries again (twice at most). Returns the hash
    /// and the nonce it carries.
    async fn broadcast(
        &mut self,
        request: &TransactionRequest,
        mut nonce: u64,
        fees: Fees,
    ) -> Result<(TxHash, u64), EndpointError> {
        let mut refusals = 0;
        loop {
            let tx = request
                .clone()
                .with_nonce(nonce)
                .with_max_fee_per_gas(fees.max_fee)
                .with_max_priority_fee_per_gas(fees.tip);
            match self.provider.send_transaction(tx).await {
                Ok(pending) => {
                    self.next_nonce = Some(nonce + 1);
                    return Ok((*pending.tx_hash(), nonce));
                }
                Err(e) if is_nonce_refusal(&e.to_string()) && refusals < 2 => {
                    refusals += 1;
                    tracing::warn!(nonce, error = %e, "the node refuses the keeper's nonce");
                    self.incidents.nonce_resyncs += 1;
                    nonce = self.resync().await?;
                }
                Err(e) => {
                    self.next_nonce = None;
                    return Err(transport("sending", e));
                }
            }
        }
    }

    /// Polls for a receipt of any of `hashes` (the same nonce's sends) for
    /// up to the receipt timeout. A node that stops answering and comes back
    /// without knowing any of them has lost them.
    async fn poll_receipt(
        &self,
        hashes: &[TxHash],
    ) -> Result<alloy_rpc_types_eth::TransactionReceipt, Unmined> {
        let deadline = Instant::now() + self.receipt_timeout;
        let mut outage = false;
        loop {
            let mut answered = true;
            for &hash in hashes {
                match self.provider.get_transaction_receipt(hash).await {
                    Ok(Some(receipt)) => return Ok(receipt),
                    Ok(None) => {}
                    Err(e) => {
                        if !outage {
                            tracing::warn!(%hash, error = %e, "the node stops answering while a transaction waits for its receipt");
                        }
                        outage = true;
                        answered = false;
                        break;
                    }
                }
            }
            if outage && answered {
                // Back: does it still know them?
                let mut known = false;
                for &hash in hashes {
                    known |= matches!(self.provider.get_transaction_by_hash(hash).await, Ok(Some(_)));
                }
                if !known {
                    return Err(Unmined::Lost);
                }
                tracing::info!(hash = %hashes[hashes.len() - 1], "the node is back and still holds the transaction");
                outage = false;
            }
            if Instant::now() > deadline {
                return Err(Unmined::TimedOut);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for the receipt of the transaction sent with `nonce` (first
    /// hash `hash`), bumping its fees each receipt timeout up to the cap.
    /// Gives it up (and resyncs the nonce at the next send) when the node
    /// lost it, when another transaction took its nonce, or when it is
    /// still not mined one timeout after the last bump the cap allows.
    async fn receipt(
        &mut self,
        request: &TransactionRequest,
        nonce: u64,
        mut fees: Fees,
        hash: TxHash,
    ) -> Result<alloy_rpc_types_eth::TransactionReceipt, EndpointError> {
        let mut hashes = vec![hash];
        loop {
            match self.poll_receipt(&hashes).await {
                Ok(receipt) => return Ok(receipt),
                Err(Unmined::Lost) => {
                    self.give_up();
                    return Err(EndpointError(format!(
                        "transaction {hash} (nonce {nonce}) lost: the node no longer knows it (restarted?); deciding again"
                    )));
                }
                Err(Unmined::TimedOut) => {}
            }
            // Mined under another hash? Then the nonce was taken.
            let mined = self.provider.get_transaction_count(self.keeper).latest().await.unwrap_or(0);
            if mined > nonce {
                if let Ok(receipt) = self.poll_once(&hashes).await {
                    return Ok(receipt);
                }
                self.give_up();
                return Err(EndpointError(format!(
                    "nonce {nonce} was taken by another transaction of the keeper's account; {hash} replaced"
                )));
            }
            let Some(bumped) = fees.bump(self.fees) else {
                self.give_up();
                return Err(EndpointError(format!(
                    "no receipt for {hash} (nonce {nonce}) after {} fee bumps, at the cap of {} wei per gas",
                    hashes.len() - 1,
                    self.fees.max_fee_cap
                )));
            };
            let tx = request
                .clone()
                .with_nonce(nonce)
                .with_max_fee_per_gas(bumped.max_fee)
                .with_max_priority_fee_per_gas(bumped.tip);
            match self.provider.send_transaction(tx).await {
                Ok(pending) => {
                    self.incidents.fee_bumps += 1;
                    tracing::warn!(
                        nonce, stuck = %hashes[hashes.len() - 1], replacement = %pending.tx_hash(),
                        max_fee = bumped.max_fee, tip = bumped.tip, waited = ?self.receipt_timeout,
                        "no receipt: re-sent with the same nonce and higher fees"
                    );
                    hashes.push(*pending.tx_hash());
                    fees = bumped;
                }
                // Mined meanwhile, or the node keeps the one it has: wait on.
                Err(e) => {
                    tracing::warn!(nonce, error = %e, "the fee bump is refused; waiting on");
                    fees = bumped;
                }
            }
        }
    }

    async fn poll_once(&self, hashes: &[TxHash]) -> Result<alloy_rpc_types_eth::TransactionReceipt, ()> {
        for &hash in hashes {
            if let Ok(Some(receipt)) = self.provider.get_transaction_receipt(hash).await {
                return Ok(receipt);
            }
        }
        Err(())
    }

    fn give_up(&mut self) {
        self.incidents.abandoned += 1;
        self.next_nonce = None;
    }
}

/// A transaction the node says would revert, not sent.
fn not_sent(revert_data: Bytes) -> Sent {
    Sent { success: false, gas_used: 0, logs: Vec::new(), output: revert_data }
}

impl Endpoint for RpcEndpoint {
    async fn view(&mut self, to: Address, calldata: Bytes) -> Result<CallResult, EndpointError> {
        self.call_at(to, calldata, BlockId::latest()).await
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
        // The head the transaction is checked on (its estimate runs on the
        // block after).
        let simulated_head = match simulated {
            Some((sim_to, sim_data, head)) if sim_to == to && sim_data == calldata => Some(head),
            _ => None,
        };
        let checked = match simulated_head {
            Some(head) => head,
            None => self.head().await?,
        };
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
            // with the cap (unless the caller has just simulated this very
            // call).
            if simulated_head.is_none() {
                let latest = self.call_at(to, calldata.clone(), BlockId::latest()).await?;
                if !latest.success {
                    return Ok(not_sent(latest.data));
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
        let base_fee = self.provider.get_gas_price().await.map_err(|e| transport("eth_gasPrice", e))?;
        let Some(fees) = Fees::initial(base_fee, self.fees) else {
            return Err(EndpointError(format!(
                "the base fee {base_fee} wei plus the tip {} is above max_fee_per_gas {}; not sent",
                self.fees.priority_fee, self.fees.max_fee_cap
            )));
        };
        let nonce = match self.next_nonce {
            Some(nonce) => nonce,
            None => self.resync().await?,
        };
        if let Some(revert) = self.reverts_now(to, &calldata, checked).await? {
            return Ok(not_sent(revert));
        }
        let request = request.with_gas_limit(gas_limit);
        let (hash, nonce) = self.broadcast(&request, nonce, fees).await?;
        let sent_at = Instant::now();
        let receipt = self.receipt(&request, nonce, fees, hash).await?;
        let hash = receipt.transaction_hash;
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
            // The state it met is its block's before it, plus what ran
            // ahead of it there: replay on the block's own state (which
            // holds what changed under it after its simulation), then on
            // the state before the block.
            let mined = receipt.block_number.unwrap_or(1);
            let mut data = Bytes::new();
            for block in [mined, mined.saturating_sub(1)] {
                if let Answer::Reverted(revert) =
                    classify(self.provider.call(&request).block(BlockId::number(block)).await)?
                {
                    data = revert;
                    break;
                }
            }
            data
        };
        let logs = receipt.inner.logs().iter().map(|log| log.inner.clone()).collect();
        Ok(Sent { success, gas_used: receipt.gas_used, logs, output })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: FeePolicy = FeePolicy { priority_fee: 0, max_fee_cap: 10_000_000_000 };

    #[test]
    fn a_first_send_pays_twice_the_base_fee_within_the_cap() {
        assert_eq!(Fees::initial(10_000_000, POLICY), Some(Fees { max_fee: 20_000_000, tip: 0 }));
        let tight = FeePolicy { priority_fee: 5, max_fee_cap: 15_000_000 };
        assert_eq!(Fees::initial(10_000_000, tight), Some(Fees { max_fee: 15_000_000, tip: 5 }));
        assert_eq!(Fees::initial(15_000_000, tight), None, "the cap is below the base fee plus the tip");
    }

    #[test]
    fn a_bump_raises_both_fees_by_ten_percent_and_one_wei_up_to_the_cap() {
        let fees = Fees { max_fee: 20_000_000, tip: 0 };
        let bumped = fees.bump(POLICY).unwrap();
        assert_eq!(bumped, Fees { max_fee: 22_000_001, tip: 1 });
        // geth's rule: each fee at least 10% above the one it replaces.
        assert!(bumped.max_fee * 10 >= fees.max_fee * 11 && bumped.tip > fees.tip);
        let mut fees = fees;
        let mut bumps = 0;
        while let Some(next) = fees.bump(POLICY) {
            assert!(next.max_fee <= POLICY.max_fee_cap);
            fees = next;
            bumps += 1;
        }
        assert_eq!(bumps, 65, "from 0.02 gwei to the 10 gwei cap");
        assert!(fees.max_fee * 11 / 10 + 1 > POLICY.max_fee_cap);
    }

    #[test]
    fn nonce_refusals_are_told_apart() {
        for refusal in [
            "server returned an error response: error code -32000: nonce too low: next nonce 7, tx nonce 6",
            "nonce too high: next nonce 3, tx nonce 4",
            "already known",
            "replacement transaction underpriced",
        ] {
            assert!(is_nonce_refusal(refusal), "{refusal}");
        }
        assert!(!is_nonce_refusal("insufficient funds for gas * price + value"));
        assert!(!is_nonce_refusal("error sending request for url (http://127.0.0.1:8547/)"));
    }
}
