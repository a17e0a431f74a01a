//! The parity bot as a program over JSON-RPC (`vault-keeper parity`):
//! start-up checks on both chains, then for every new block the same
//! decision the simulator runs ([`crate::parity`]) on each pool pair, with
//! the bot's token balances as its inventory.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use alloy_network::EthereumWallet;
use alloy_primitives::{Address, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_signer_local::PrivateKeySigner;
use tokio::sync::watch;

use crate::abi::dodo;
use crate::decide::view;
use crate::parity::{
    self, abi, BridgeOutflow, Inventory, PairPool, ParityPair, ParityPlan, ParityRules, Reading,
};
use crate::parity_config::{amount, ChainConfig, ParityConfig};
use crate::rpc::endpoint::RpcEndpoint;
use crate::rpc::StartupError;
use crate::KeeperError;

fn startup(field: impl Into<String>, why: impl std::fmt::Display) -> StartupError {
    StartupError { field: field.into(), why: why.to_string() }
}

/// `centi` hundredths of a bp as a decimal bps figure (`1234` → `12.34`).
pub fn bps_text(centi: U256) -> String {
    let hundred = U256::from(parity::CENTI_PER_BPS);
    format!("{}.{:02}", centi / hundred, (centi % hundred).to::<u64>())
}

/// What the parity bot has seen and done, for `/metrics`.
#[derive(Debug, Default)]
struct State {
    spread_centibps: BTreeMap<String, U256>,
    alerting: BTreeMap<String, bool>,
    alerts: u64,
    trades: BTreeMap<String, u64>,
    refusals: BTreeMap<String, u64>,
    gas_used: [u64; 2],
    last_block: u64,
}

/// The parity bot's metrics, shared with the responder.
#[derive(Debug, Default, Clone)]
pub struct ParityMetrics(Arc<Mutex<State>>);

impl ParityMetrics {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The pair's spread as last read; true when it has just passed
    /// `alert_bps` (the alert counter counts each such crossing).
    pub fn spread(&self, pair: &str, centibps: U256, alert_bps: u64) -> bool {
        self.with(|s| {
            s.spread_centibps.insert(pair.to_owned(), centibps);
            let past = parity::past(centibps, alert_bps);
            let was = s.alerting.insert(pair.to_owned(), past).unwrap_or(false);
            if past && !was {
                s.alerts += 1;
            }
            past && !was
        })
    }

    /// One parity trade (one or two legs).
    pub fn trade(&self, pair: &str) {
        self.with(|s| *s.trades.entry(pair.to_owned()).or_default() += 1);
    }

    /// One refusal (a reverted leg), by error name.
    pub fn refusal(&self, error: &str) {
        self.with(|s| *s.refusals.entry(error.to_owned()).or_default() += 1);
    }

    /// Gas of a mined transaction on `chain`.
    pub fn gas(&self, chain: usize, gas_used: u64) {
        self.with(|s| s.gas_used[chain] += gas_used);
    }

    /// The last Chain 138 block acted on.
    pub fn block(&self, number: u64) {
        self.with(|s| s.last_block = number);
    }

    /// The Prometheus text page.
    pub fn render(&self) -> String {
        self.with(|s| {
            let mut out = String::new();
            let mut head = |name: &str, kind: &str, help: &str| {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            };
            head("parity_spread_bps", "gauge", "|P138 / PAlltra - 1| of the pair's mid prices, bps, as last read.");
            for (pair, centi) in &s.spread_centibps {
                let _ = writeln!(out, "parity_spread_bps{{pair=\"{pair}\"}} {}", bps_text(*centi));
            }
            let mut head = |name: &str, kind: &str, help: &str| {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            };
            head("parity_alerts_total", "counter", "Times a pair's spread passed the alert threshold.");
            let _ = writeln!(out, "parity_alerts_total {}", s.alerts);
            let _ = writeln!(out, "# HELP parity_trades_total Parity trades sent.\n# TYPE parity_trades_total counter");
            for (pair, n) in &s.trades {
                let _ = writeln!(out, "parity_trades_total{{pair=\"{pair}\"}} {n}");
            }
            let _ = writeln!(
                out,
                "# HELP parity_refusals_total Reverted legs, by error name.\n# TYPE parity_refusals_total counter"
            );
            for (error, n) in &s.refusals {
                let _ = writeln!(out, "parity_refusals_total{{error=\"{error}\"}} {n}");
            }
            let _ = writeln!(
                out,
                "# HELP parity_gas_used_total Gas of the bot's mined transactions, by chain.\n# TYPE parity_gas_used_total counter\nparity_gas_used_total{{chain=\"138\"}} {}\nparity_gas_used_total{{chain=\"alltra\"}} {}",
                s.gas_used[0], s.gas_used[1]
            );
            let _ = writeln!(
                out,
                "# HELP parity_last_block The last Chain 138 block acted on.\n# TYPE parity_last_block gauge\nparity_last_block {}",
                s.last_block
            );
            out
        })
    }
}

/// The chains' names in logs and configuration fields.
const CHAINS: [&str; 2] = ["chain_138", "alltra"];

/// The parity bot, started: both endpoints, its pairs and books.
#[derive(Debug)]
pub struct ParityRunner {
    config: ParityConfig,
    rules: ParityRules,
    chains: [RpcEndpoint; 2],
    bots: [Address; 2],
    pairs: Vec<ParityPair>,
    outflow: BridgeOutflow,
    metrics: ParityMetrics,
}

async fn connect(
    field: &str,
    chain: &ChainConfig,
    config: &ParityConfig,
) -> Result<RpcEndpoint, StartupError> {
    let path = &chain.private_key_path;
    let text = std::fs::read_to_string(path)
        .map_err(|e| startup(format!("{field}.private_key_path"), format!("{}: {e}", path.display())))?;
    let signer = text.trim().parse::<PrivateKeySigner>().map_err(|e| {
        startup(format!("{field}.private_key_path"), format!("{}: not a private key: {e}", path.display()))
    })?;
    let bot = signer.address();
    let url = chain
        .rpc_url
        .parse()
        .map_err(|e| startup(format!("{field}.rpc_url"), format!("{}: {e}", chain.rpc_url)))?;
    let provider = ProviderBuilder::new().wallet(EthereumWallet::from(signer)).on_http(url).erased();
    let chain_id = tokio::time::timeout(Duration::from_secs(10), provider.get_chain_id())
        .await
        .map_err(|_| startup(format!("{field}.rpc_url"), format!("{}: no answer in 10 s", chain.rpc_url)))?
        .map_err(|e| startup(format!("{field}.rpc_url"), format!("{} unreachable: {e}", chain.rpc_url)))?;
    if chain_id != chain.chain_id {
        return Err(startup(
            format!("{field}.chain_id"),
            format!("the node at {} reports {chain_id}, not {}", chain.rpc_url, chain.chain_id),
        ));
    }
    let balance = provider.get_balance(bot).await.map_err(|e| startup(format!("{field}.rpc_url"), e))?;
    if balance.is_zero() {
        tracing::warn!(chain = field, %bot, "the bot account holds no ether");
    }
    Ok(RpcEndpoint::new(provider, bot, config.gas_limit, config.gas_margin, config.estimate_timeout()))
}

/// Reads one side of a pair from chain: code at the pool, its tokens, its
/// mid price (the ABI check) and its fee rates for the bot.
async fn discover(
    endpoint: &mut RpcEndpoint,
    field: &str,
    pool: Address,
    caps: (U256, U256),
) -> Result<PairPool, StartupError> {
    let code = endpoint.provider().get_code_at(pool).await.map_err(|e| startup(field, e))?;
    if code.is_empty() {
        return Err(startup(field, format!("{pool} has no code")));
    }
    let not_dodo = |e: KeeperError| startup(field, format!("{pool} does not answer as a DODO pool: {e}"));
    let base = view(endpoint, pool, &abi::_BASE_TOKEN_Call {}).await.map_err(not_dodo)?._0;
    let quote = view(endpoint, pool, &abi::_QUOTE_TOKEN_Call {}).await.map_err(not_dodo)?._0;
    view(endpoint, pool, &dodo::getMidPriceCall {}).await.map_err(not_dodo)?;
    let fee = view(endpoint, pool, &dodo::getUserFeeRateCall { user: endpoint.keeper() })
        .await
        .map_err(not_dodo)?;
    Ok(PairPool {
        pool,
        base,
        quote,
        fees: vault_math::sizing::FeeRates { lp: fee.lpFeeRate, mt: fee.mtFeeRate },
        max_base_in: caps.0,
        max_quote_in: caps.1,
    })
}

impl ParityRunner {
    /// Connects to both chains and checks everything the bot needs: the
    /// key files, each node and its chain id, and each pair's pools (code,
    /// DODO's views).
    ///
    /// # Errors
    /// [`StartupError`] naming the field at fault.
    pub async fn start(config: ParityConfig, metrics: ParityMetrics) -> Result<Self, StartupError> {
        let chains = [
            connect(CHAINS[0], &config.chain_138, &config).await?,
            connect(CHAINS[1], &config.alltra, &config).await?,
        ];
        let mut chains = chains;
        let mut pairs = Vec::new();
        for (n, pair) in config.pairs.iter().enumerate() {
            let caps = (
                amount("pairs.max_base_in", &pair.max_base_in)
                    .map_err(|e| startup(format!("pairs[{n}]"), e))?,
                amount("pairs.max_quote_in", &pair.max_quote_in)
                    .map_err(|e| startup(format!("pairs[{n}]"), e))?,
            );
            let a = discover(&mut chains[0], &format!("pairs[{n}].pool_138"), pair.pool_138, caps).await?;
            let b =
                discover(&mut chains[1], &format!("pairs[{n}].pool_alltra"), pair.pool_alltra, caps).await?;
            tracing::info!(
                pair = pair.label, pool_138 = %a.pool, pool_alltra = %b.pool, base_138 = %a.base,
                quote_138 = %a.quote, base_alltra = %b.base, quote_alltra = %b.quote, "watching pair"
            );
            pairs.push(ParityPair { label: pair.label.clone(), pools: [a, b] });
        }
        let bots = [chains[0].keeper(), chains[1].keeper()];
        tracing::info!(
            bot_138 = %bots[0], bot_alltra = %bots[1], pairs = pairs.len(), trigger_bps = config.trigger_bps,
            alert_bps = config.alert_bps, trade = config.trade, "parity bot started"
        );
        Ok(Self {
            rules: config.rules(),
            config,
            chains,
            bots,
            pairs,
            outflow: BridgeOutflow::default(),
            metrics,
        })
    }

    /// Runs until `shutdown` turns true: polls both nodes' block numbers
    /// and takes a turn whenever either has a new block (Chain 138's block
    /// number is the bot's clock).
    pub async fn run(&mut self, mut shutdown: watch::Receiver<bool>) {
        let mut last = [None, None];
        loop {
            tokio::select! {
                () = tokio::time::sleep(self.config.poll_interval()) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
            let mut blocks = [0; 2];
            let mut failed = false;
            for (chain, block) in blocks.iter_mut().enumerate() {
                match self.chains[chain].provider().get_block_number().await {
                    Ok(number) => *block = number,
                    Err(e) => {
                        tracing::warn!(chain = CHAINS[chain], error = %e, "eth_blockNumber failed");
                        failed = true;
                    }
                }
            }
            if failed || last == [Some(blocks[0]), Some(blocks[1])] {
                continue;
            }
            last = [Some(blocks[0]), Some(blocks[1])];
            self.metrics.block(blocks[0]);
            if let Err(e) = self.tick(blocks[0]).await {
                tracing::warn!(block = blocks[0], error = %e, "turn abandoned; next block");
            }
        }
        tracing::info!("parity bot stopped");
    }

    /// The bot's balances of every pair's tokens: its inventory.
    async fn inventory(&mut self) -> Result<Inventory, KeeperError> {
        let mut inventory = Inventory::default();
        for pair in &self.pairs {
            for (chain, side) in pair.pools.iter().enumerate() {
                for token in [side.base, side.quote] {
                    let call = abi::balanceOfCall { account: self.bots[chain] };
                    let held = view(&mut self.chains[chain], token, &call).await?._0;
                    inventory.set(chain, token, held);
                }
            }
        }
        Ok(inventory)
    }

    /// One block: every pair's reading, alert and, when trading, turn.
    async fn tick(&mut self, block: u64) -> Result<(), KeeperError> {
        let mut inventory = if self.config.trade { self.inventory().await? } else { Inventory::default() };
        for n in 0..self.pairs.len() {
            let pair = self.pairs[n].clone();
            if !self.config.trade {
                let reading = parity::read(&mut self.chains, &pair).await?;
                self.observe(&pair, &reading, block);
                continue;
            }
            let turn = parity::turn(
                &mut self.chains,
                &pair,
                &self.rules,
                &mut inventory,
                &mut self.outflow,
                block,
                self.bots,
            )
            .await;
            self.journal(block);
            let turn = match turn {
                Ok(turn) => turn,
                Err(KeeperError::Reverted { call, error, data }) => {
                    self.metrics.refusal(&error);
                    tracing::error!(pair = pair.label, block, call, error, data = %data, "parity leg reverted");
                    continue;
                }
                Err(e) => return Err(e),
            };
            self.observe(&pair, &turn.reading, block);
            match &turn.plan {
                ParityPlan::InBand => {}
                ParityPlan::Exhausted => tracing::warn!(
                    pair = pair.label,
                    block,
                    spread_bps = bps_text(turn.reading.spread_centibps),
                    "past the trigger, but no leg may spend: inventory or the bridge buffer rule"
                ),
                ParityPlan::Trade { target, .. } => {
                    self.metrics.trade(&pair.label);
                    for (leg, outcome) in &turn.sent {
                        tracing::info!(
                            pair = pair.label, block, chain = CHAINS[leg.chain], sells_base = leg.sells_base,
                            amount_in = %leg.amount_in, received = %outcome.received, target = %target,
                            transfer_gas = outcome.gas_used[0], sell_gas = outcome.gas_used[1], "parity leg"
                        );
                    }
                    let after = parity::read(&mut self.chains, &pair).await?;
                    self.metrics.spread(&pair.label, after.spread_centibps, self.config.alert_bps);
                    tracing::info!(
                        pair = pair.label, block, spread_bps_before = bps_text(turn.reading.spread_centibps),
                        spread_bps_after = bps_text(after.spread_centibps), mid_138 = %after.mids[0],
                        mid_alltra = %after.mids[1], "parity trade"
                    );
                }
            }
        }
        Ok(())
    }

    /// The spread metric, and the alert past `alert_bps`.
    fn observe(&self, pair: &ParityPair, reading: &Reading, block: u64) {
        let spread = bps_text(reading.spread_centibps);
        let crossed = self.metrics.spread(&pair.label, reading.spread_centibps, self.config.alert_bps);
        if parity::past(reading.spread_centibps, self.config.alert_bps) {
            tracing::warn!(
                pair = pair.label, block, spread_bps = spread, alert_bps = self.config.alert_bps,
                mid_138 = %reading.mids[0], mid_alltra = %reading.mids[1], new = crossed,
                "cross-chain spread past the alert threshold"
            );
        } else {
            tracing::debug!(pair = pair.label, block, spread_bps = spread, "spread");
        }
    }

    /// Logs and counts the transactions just mined on both chains.
    fn journal(&mut self, block: u64) {
        for (chain, endpoint) in self.chains.iter_mut().enumerate() {
            for tx in endpoint.journal.drain(..) {
                self.metrics.gas(chain, tx.gas_used);
                tracing::info!(
                    chain = CHAINS[chain], block, hash = %tx.hash, mined_in = ?tx.block, gas_used = tx.gas_used,
                    "transaction mined"
                );
            }
        }
    }
}
