//! The keeper as a program over JSON-RPC (`vault-keeper run`): start-up
//! checks, then one turn per pool for every new L2 block, the same
//! decision the simulator runs ([`crate::decide`]).

pub mod config;
pub mod endpoint;
pub mod metrics;

use std::time::{Duration, Instant};

use alloy_network::EthereumWallet;
use alloy_primitives::{keccak256, Address};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use tokio::sync::watch;

use crate::abi::{error_name, fc, stab};
use crate::decide::{self, view, GasStats, Plan};
use crate::pool::PoolSpec;
use crate::KeeperError;
pub use config::Config;
use endpoint::{FeePolicy, RpcEndpoint};
use metrics::Metrics;

/// The Stabilizer's guards the runner reads before it sends anything
/// (abi/Stabilizer.sol).
mod guards {
    alloy_sol_types::sol! {
        function paused() external view returns (bool);
        function parameters() external view returns (uint256[11] memory);
    }
    /// `parameters()[8]`: whether selling base (tokenIn = base) is enabled.
    pub const SELL_BASE_ENABLED: usize = 8;
    /// `parameters()[9]`: whether selling quote (tokenIn = quote) is enabled.
    pub const SELL_QUOTE_ENABLED: usize = 9;
}

/// How often the keeper repeats its error while its balance stays low.
const BALANCE_LOG_EVERY: Duration = Duration::from_secs(60);

/// Why the keeper cannot start: the configuration field at fault and why.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {why}")]
pub struct StartupError {
    /// The configuration field (or `config`).
    pub field: String,
    /// Why.
    pub why: String,
}

fn startup(field: impl Into<String>, why: impl std::fmt::Display) -> StartupError {
    StartupError { field: field.into(), why: why.to_string() }
}

/// Attempts of one pool's turn when the node cannot be reached.
const TRANSPORT_ATTEMPTS: u32 = 4;
/// The first back-off after a transport error (doubled each time).
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The longest wait between block polls while the node is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long a turn in progress may go on after a stop is asked (a
/// receipt awaited from a node that went away would hold it for minutes).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The keeper, started: its endpoint and pools.
#[derive(Debug)]
pub struct Keeper {
    config: Config,
    endpoint: RpcEndpoint,
    pools: Vec<PoolSpec>,
    gas: GasStats,
    metrics: Metrics,
    /// Whether each pool's Stabilizer was paused when last read.
    paused: Vec<bool>,
    /// Whether the keeper account holds at least `min_balance_wei`.
    funded: bool,
    /// When the low balance was last logged.
    balance_logged: Option<Instant>,
}

fn read_key(config: &Config) -> Result<PrivateKeySigner, StartupError> {
    let path = &config.private_key_path;
    let text = std::fs::read_to_string(path)
        .map_err(|e| startup("private_key_path", format!("{}: {e}", path.display())))?;
    text.trim()
        .parse::<PrivateKeySigner>()
        .map_err(|e| startup("private_key_path", format!("{}: not a private key: {e}", path.display())))
}

impl Keeper {
    /// Connects and checks everything the keeper needs: the key file, the
    /// node and its chain id, code at every Stabilizer (and
    /// FlashContainment), each Stabilizer's wiring, and the keeper's
    /// `KEEPER_ROLE` on each Stabilizer and `POKER_ROLE` on
    /// FlashContainment.
    ///
    /// # Errors
    /// [`StartupError`] naming the field at fault.
    pub async fn start(config: Config, metrics: Metrics) -> Result<Self, StartupError> {
        let signer = read_key(&config)?;
        let keeper = signer.address();
        let url =
            config.rpc_url.parse().map_err(|e| startup("rpc_url", format!("{}: {e}", config.rpc_url)))?;
        let provider = ProviderBuilder::new().wallet(EthereumWallet::from(signer)).on_http(url).erased();
        let chain_id = tokio::time::timeout(Duration::from_secs(10), provider.get_chain_id())
            .await
            .map_err(|_| startup("rpc_url", format!("{}: no answer in 10 s", config.rpc_url)))?
            .map_err(|e| startup("rpc_url", format!("{} unreachable: {e}", config.rpc_url)))?;
        if chain_id != config.chain_id {
            return Err(startup(
                "chain_id",
                format!("the node at {} reports {chain_id}, not {}", config.rpc_url, config.chain_id),
            ));
        }
        let mut endpoint = RpcEndpoint::new(
            provider.clone(),
            keeper,
            config.gas_limit,
            config.gas_margin,
            config.estimate_timeout(),
        )
        .with_receipt_timeout(config.receipt_timeout())
        .with_fees(FeePolicy {
            priority_fee: config.priority_fee_per_gas.into(),
            max_fee_cap: config.max_fee_per_gas.into(),
        });
        let mut pools = Vec::new();
        for (n, &stabilizer) in config.stabilizers.iter().enumerate() {
            let field = format!("stabilizers[{n}]");
            let code = provider.get_code_at(stabilizer).await.map_err(|e| startup(&field, e))?;
            if code.is_empty() {
                return Err(startup(field, format!("{stabilizer} has no code")));
            }
            let spec = PoolSpec::discover(&mut endpoint, stabilizer).await.map_err(|e| startup(&field, e))?;
            if let Some(containment) = config.flash_containment {
                if containment != spec.containment {
                    return Err(startup(
                        "flash_containment",
                        format!(
                            "{containment} is not Stabilizer {stabilizer}'s FlashContainment {}",
                            spec.containment
                        ),
                    ));
                }
            }
            let code = provider.get_code_at(spec.containment).await.map_err(|e| startup(&field, e))?;
            if code.is_empty() {
                return Err(startup("flash_containment", format!("{} has no code", spec.containment)));
            }
            let role = keccak256("KEEPER_ROLE");
            if !view(&mut endpoint, stabilizer, &stab::hasRoleCall { role, account: keeper })
                .await
                .map_err(|e| startup(&field, e))?
                ._0
            {
                return Err(startup(
                    "private_key_path",
                    format!("the keeper account {keeper} lacks KEEPER_ROLE on Stabilizer {stabilizer}"),
                ));
            }
            let role = keccak256("POKER_ROLE");
            if !view(&mut endpoint, spec.containment, &fc::hasRoleCall { role, account: keeper })
                .await
                .map_err(|e| startup(&field, e))?
                ._0
            {
                return Err(startup(
                    "private_key_path",
                    format!(
                        "the keeper account {keeper} lacks POKER_ROLE on FlashContainment {}",
                        spec.containment
                    ),
                ));
            }
            tracing::info!(
                %stabilizer, pool = %spec.pool, containment = %spec.containment, oracle = %spec.oracle,
                base = %spec.base.address, quote = %spec.quote.address,
                threshold_bps = spec.threshold_bps, sustain_blocks = spec.sustain_blocks,
                lp_fee = %spec.fees.lp, mt_fee = %spec.fees.mt,
                "keeping pool"
            );
            pools.push(spec);
        }
        let balance = provider.get_balance(keeper).await.map_err(|e| startup("rpc_url", e))?;
        tracing::info!(%keeper, chain_id, rpc_url = %config.rpc_url, pools = pools.len(), "keeper started");
        Ok(Self::started(config, endpoint, pools, metrics, balance.try_into().unwrap_or(u128::MAX)))
    }

    fn started(
        config: Config,
        endpoint: RpcEndpoint,
        pools: Vec<PoolSpec>,
        metrics: Metrics,
        balance: u128,
    ) -> Self {
        let paused = vec![false; pools.len()];
        let mut keeper = Self {
            config,
            endpoint,
            pools,
            gas: GasStats::default(),
            metrics,
            paused,
            funded: true,
            balance_logged: None,
        };
        keeper.balance(balance);
        keeper
    }

    /// The keeper's account.
    pub fn account(&self) -> Address {
        self.endpoint.keeper()
    }

    /// Runs until `shutdown` turns true: polls `eth_blockNumber`, and for
    /// each new block takes every pool's turn. A turn in progress is
    /// finished before stopping (a sent transaction's receipt is awaited),
    /// for [`SHUTDOWN_GRACE`] at most.
    pub async fn run(&mut self, mut shutdown: watch::Receiver<bool>) {
        let mut last_block = None;
        let mut wait = self.config.poll_interval();
        loop {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
            let block = match self.endpoint.provider().get_block_number().await {
                Ok(block) => block,
                Err(e) => {
                    self.metrics.transport_error();
                    wait = (wait * 2).min(MAX_BACKOFF);
                    tracing::warn!(error = %e, retry_in = ?wait, "eth_blockNumber failed");
                    continue;
                }
            };
            wait = self.config.poll_interval();
            if last_block == Some(block) {
                continue;
            }
            last_block = Some(block);
            let seen = Instant::now();
            self.metrics.block(block);
            // The balance floor, before anything is sent in this block.
            match self.endpoint.provider().get_balance(self.account()).await {
                Ok(balance) => self.balance(balance.try_into().unwrap_or(u128::MAX)),
                Err(e) => {
                    self.metrics.transport_error();
                    tracing::warn!(error = %e, "eth_getBalance failed");
                }
            }
            for n in 0..self.pools.len() {
                if *shutdown.borrow() {
                    break;
                }
                let mut stop = shutdown.clone();
                let finished = tokio::select! {
                    () = self.keep_pool(n, block, seen) => true,
                    () = async {
                        let _ = stop.wait_for(|stopping| *stopping).await;
                        tokio::time::sleep(SHUTDOWN_GRACE).await;
                    } => false,
                };
                if !finished {
                    tracing::warn!(block, grace = ?SHUTDOWN_GRACE, "stopping with a turn unfinished: its transaction, if sent, is left to the node");
                    break;
                }
                let incidents = std::mem::take(&mut self.endpoint.incidents);
                self.metrics.incidents(incidents.nonce_resyncs, incidents.fee_bumps, incidents.abandoned);
            }
        }
        tracing::info!(gas = ?self.gas.calls, "keeper stopped");
    }

    /// Records the keeper account's balance against `min_balance_wei`:
    /// below it, an error (on the change, then once a minute) and
    /// `keeper_balance_low`; the turns send nothing until it is funded.
    fn balance(&mut self, wei: u128) {
        let floor = u128::from(self.config.min_balance_wei);
        let funded = wei >= floor;
        self.metrics.balance(wei);
        self.metrics.balance_low(!funded);
        let keeper = self.account();
        if funded && !self.funded {
            tracing::info!(%keeper, balance_wei = wei, min_balance_wei = floor, "the keeper account is funded again: sending resumes");
            self.balance_logged = None;
        } else if !funded && self.balance_logged.is_none_or(|at| at.elapsed() >= BALANCE_LOG_EVERY) {
            tracing::error!(
                %keeper, balance_wei = wei, min_balance_wei = floor,
                "the keeper account is below min_balance_wei: sending nothing (still reading the pools) until it is funded"
            );
            self.balance_logged = Some(Instant::now());
        }
        self.funded = funded;
    }

    /// Why the keeper must send nothing for pool `n` this block, if it
    /// must not: its balance is below the floor, the Stabilizer is paused
    /// (`paused()`), or the direction that corrects `deviation` is disabled
    /// (`parameters()[8]` sells base, `[9]` sells quote). Each is logged and
    /// counted; a paused Stabilizer is logged when it changes.
    async fn guard(
        &mut self,
        n: usize,
        block: u64,
        deviation: i32,
    ) -> Result<Option<&'static str>, KeeperError> {
        let spec = self.pools[n].clone();
        let label = spec.stabilizer.to_string();
        if !self.funded {
            tracing::debug!(stabilizer = %label, block, deviation_bps = deviation, "balance below the floor: not sending");
            return Ok(Some("balance_low"));
        }
        let paused = view(&mut self.endpoint, spec.stabilizer, &guards::pausedCall {}).await?._0;
        self.set_paused(n, paused, block);
        if paused {
            tracing::debug!(stabilizer = %label, block, deviation_bps = deviation, "paused: not sending");
            return Ok(Some("paused"));
        }
        if deviation == 0 {
            // No correcting direction (a poke_every_block keeper at peg).
            return Ok(None);
        }
        let parameters = view(&mut self.endpoint, spec.stabilizer, &guards::parametersCall {}).await?._0;
        let (slot, token_in) = if deviation > 0 {
            (guards::SELL_BASE_ENABLED, spec.base.address)
        } else {
            (guards::SELL_QUOTE_ENABLED, spec.quote.address)
        };
        if parameters[slot].is_zero() {
            tracing::warn!(
                stabilizer = %label, block, deviation_bps = deviation, %token_in,
                "the correcting direction is disabled (setDirectionEnabled): not poking or trading"
            );
            return Ok(Some("direction_disabled"));
        }
        Ok(None)
    }

    fn set_paused(&mut self, n: usize, paused: bool, block: u64) {
        let label = self.pools[n].stabilizer.to_string();
        self.metrics.paused(&label, paused);
        if paused != self.paused[n] {
            if paused {
                tracing::warn!(stabilizer = %label, block, "the Stabilizer is paused: sending nothing to it until it is unpaused");
            } else {
                tracing::info!(stabilizer = %label, block, "the Stabilizer is unpaused: keeping it again");
            }
            self.paused[n] = paused;
        }
    }

    /// One pool's turn in `block`, retried with back-off when the node
    /// cannot be reached; a revert is logged by its error's name, never
    /// retried.
    async fn keep_pool(&mut self, n: usize, block: u64, seen: Instant) {
        let spec = self.pools[n].clone();
        let label = spec.stabilizer.to_string();
        let mut backoff = FIRST_BACKOFF;
        for attempt in 1..=TRANSPORT_ATTEMPTS {
            match self.turn(n, &spec, block, seen).await {
                Ok(()) => return,
                Err(KeeperError::Endpoint(e)) => {
                    self.metrics.transport_error();
                    tracing::warn!(stabilizer = %label, block, attempt, error = %e, retry_in = ?backoff, "node unreachable");
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
                Err(KeeperError::Reverted { call, error, data }) => {
                    self.metrics.refusal(&error);
                    if error.starts_with("EnforcedPause") {
                        self.set_paused(n, true, block);
                    }
                    tracing::error!(stabilizer = %label, block, call, error, data = %data, "reverted");
                    return;
                }
                Err(e) => {
                    tracing::error!(stabilizer = %label, block, error = %e, "turn failed");
                    return;
                }
            }
        }
        tracing::error!(stabilizer = %label, block, "giving up on this block: the node stays unreachable");
    }

    async fn turn(
        &mut self,
        n: usize,
        spec: &PoolSpec,
        block: u64,
        seen: Instant,
    ) -> Result<(), KeeperError> {
        let label = spec.stabilizer.to_string();
        let deviation = decide::read_deviation(&mut self.endpoint, spec).await?;
        self.metrics.deviation(&label, deviation);
        let poke = self.config.poke_every_block || decide::can_matter(deviation, spec.threshold_bps);
        tracing::debug!(stabilizer = %label, block, deviation_bps = deviation, poke, "deviation");
        if !poke {
            return Ok(());
        }
        if let Some(reason) = self.guard(n, block, deviation).await? {
            self.metrics.skip(reason);
            return Ok(());
        }
        let streak = decide::poke(&mut self.endpoint, spec, &mut self.gas).await;
        self.journal(block, seen);
        // The trade rests on the block that mined the poke: its latency
        // counts from the poke's receipt (the same instant under automine).
        let poked = Instant::now();
        let streak = streak?;
        tracing::info!(stabilizer = %label, block, deviation_bps = deviation, ?streak, "poked");
        if streak.is_some_and(|count| count >= spec.sustain_blocks)
            && !self.sustained_next_block(spec).await?
        {
            self.metrics.skip("not_sustained_next_block");
            tracing::info!(
                stabilizer = %label, block,
                "no trade: the sustain rule would not hold in the block it lands in; poking again"
            );
            return Ok(());
        }
        match decide::plan(&mut self.endpoint, spec, streak, &mut self.gas).await? {
            Plan::Idle => Ok(()),
            Plan::Refused(error) => {
                self.metrics.refusal(&error);
                tracing::info!(stabilizer = %label, block, error, "keeperTrade refuses");
                Ok(())
            }
            Plan::Send(call) => {
                tracing::info!(
                    stabilizer = %label, block, size = %call.tradeSize, token_in = %call.tokenIn,
                    min_out = %call.minAmountOut, decided_ms = poked.elapsed().as_secs_f64() * 1e3,
                    "trade planned"
                );
                self.trade(spec, block, poked, &call).await
            }
        }
    }

    /// Whether FlashContainment's sustain rule will hold in the next
    /// block, the one a trade sent now lands in, from the pool's recorded
    /// observations.
    async fn sustained_next_block(&self, spec: &PoolSpec) -> Result<bool, KeeperError> {
        let head = self.endpoint.head().await?;
        let landing = head + 1;
        let from = decide::sustain_window_start(spec, landing);
        let observations = self.endpoint.observations(spec.containment, spec.pool, from, head).await?;
        Ok(decide::sustained_at(spec, &observations, landing))
    }

    async fn trade(
        &mut self,
        spec: &PoolSpec,
        block: u64,
        seen: Instant,
        call: &stab::executePrivateSwapCall,
    ) -> Result<(), KeeperError> {
        let label = spec.stabilizer.to_string();
        let asked = Instant::now();
        let calldata: alloy_primitives::Bytes = call.abi_encode().into();
        let simulated = self.endpoint.simulate(spec.stabilizer, calldata).await?;
        tracing::debug!(stabilizer = %label, block, simulate_ms = asked.elapsed().as_secs_f64() * 1e3, "simulated");
        if !simulated.success {
            let error = error_name(&simulated.data);
            self.metrics.refusal(&error);
            tracing::warn!(stabilizer = %label, block, error, size = %call.tradeSize, "executePrivateSwap would revert; not sent");
            return Ok(());
        }
        let sent = decide::execute(&mut self.endpoint, spec, call, &mut self.gas).await;
        self.journal(block, seen);
        let sent = sent?;
        if !sent.success {
            let error = error_name(&sent.output);
            self.metrics.refusal(&error);
            if sent.gas_used == 0 {
                tracing::warn!(stabilizer = %label, block, error, "executePrivateSwap not sent: it would revert in the next block");
            } else {
                tracing::error!(stabilizer = %label, block, error, gas_used = sent.gas_used, "executePrivateSwap reverted");
            }
            return Ok(());
        }
        for event in decide::stabilized(&sent) {
            self.metrics.trade(&label);
            tracing::info!(
                stabilizer = %label, block, token_in = %event.tokenIn, amount_in = %event.amountIn,
                amount_out = %event.amountOut, mid_before = %event.midPriceBefore, mid_after = %event.midPriceAfter,
                oracle = %event.oraclePrice, twap_deviation_bps = %event.twapDeviationBps, gas_used = sent.gas_used,
                "stabilized"
            );
        }
        Ok(())
    }

    /// Logs and counts the transactions just sent: their gas, and the
    /// latency from `seen` (a poke: the new block seen; a trade: its
    /// poke's receipt read) to handing each to the node.
    fn journal(&mut self, block: u64, seen: Instant) {
        for tx in self.endpoint.journal.drain(..) {
            let call = if tx.selector == fc::pokeCall::SELECTOR {
                "poke"
            } else if tx.selector == stab::executePrivateSwapCall::SELECTOR {
                "executePrivateSwap"
            } else {
                "other"
            };
            self.metrics.transaction(call, tx.gas_used);
            self.metrics.latency(tx.sent_at.duration_since(seen).as_secs_f64());
            tracing::info!(
                call, block, hash = %tx.hash, mined_in = ?tx.block, estimate = ?tx.estimate, estimate_ms = tx.estimate_time.as_secs_f64() * 1e3, gas_limit = tx.gas_limit,
                gas_used = tx.gas_used, latency_ms = tx.sent_at.duration_since(seen).as_secs_f64() * 1e3,
                "transaction mined"
            );
        }
    }
}

/// Sets the returned flag on SIGINT or SIGTERM.
///
/// # Errors
/// When the signal handlers cannot be installed.
pub fn shutdown_signal() -> std::io::Result<watch::Receiver<bool>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let (sender, receiver) = watch::channel(false);
    tokio::spawn(async move {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        tracing::info!(signal = name, "shutting down after the current turn");
        let _ = sender.send(true);
    });
    Ok(receiver)
}
