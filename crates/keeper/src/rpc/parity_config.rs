//! The parity bot's TOML configuration (`vault-keeper parity --config FILE`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use alloy_primitives::{Address, U256};
use serde::Deserialize;

use crate::parity::ParityRules;
use crate::rpc::config::ConfigError;

/// One chain's endpoint and the bot's key there.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// The node's JSON-RPC URL.
    pub rpc_url: String,
    /// The chain id the node must report.
    pub chain_id: u64,
    /// A file holding the bot account's private key (hex), relative to the
    /// configuration file.
    pub private_key_path: PathBuf,
}

/// A pool pair: the same market's public pool on each chain, and the leg
/// caps (raw token units, decimal strings: TOML integers stop at 2⁶³).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairConfig {
    /// A name for logs and metrics.
    pub label: String,
    /// The public pool on Chain 138.
    pub pool_138: Address,
    /// The public pool on Alltra.
    pub pool_alltra: Address,
    /// The largest base a leg sells, raw.
    pub max_base_in: String,
    /// The largest quote a leg sells, raw.
    pub max_quote_in: String,
}

/// The parity bot's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParityConfig {
    /// Chain 138 (its L2 blocks are the bot's clock).
    pub chain_138: ChainConfig,
    /// Alltra.
    pub alltra: ChainConfig,
    /// The pool pairs.
    pub pairs: Vec<PairConfig>,
    /// Trade when the spread exceeds this, bps.
    pub trigger_bps: u64,
    /// Alert (warning log, `parity_alerts_total`) when the spread passes
    /// this, bps (§16: 0.15%).
    #[serde(default = "default_alert_bps")]
    pub alert_bps: u64,
    /// Send parity trades; false only watches and alerts.
    #[serde(default = "default_true")]
    pub trade: bool,
    /// Bridge latency `L`, Chain 138 L2 blocks.
    pub bridge_latency_blocks: u64,
    /// Chain 138 L2 blocks per minute (the bridge outflow's buckets).
    pub blocks_per_minute: u64,
    /// Minutes the peak minute outflow is kept.
    #[serde(default = "default_peak_window_minutes")]
    pub peak_window_minutes: u64,
    /// How often to ask both nodes for a new block, milliseconds.
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// The largest gas limit of one transaction.
    #[serde(default = "default_gas_limit")]
    pub gas_limit: u64,
    /// Gas added to every estimate.
    #[serde(default = "default_gas_margin")]
    pub gas_margin: u64,
    /// The longest wait for `eth_estimateGas`, milliseconds (0: none, each
    /// transaction is checked with `eth_call` and sent with `gas_limit`).
    #[serde(default = "default_estimate_timeout_ms")]
    pub estimate_timeout_ms: u64,
    /// Where to serve Prometheus metrics (`/metrics`); none when absent.
    #[serde(default)]
    pub metrics_listen: Option<SocketAddr>,
}

fn default_alert_bps() -> u64 {
    15
}

fn default_true() -> bool {
    true
}

fn default_peak_window_minutes() -> u64 {
    60
}

fn default_poll_interval_ms() -> u64 {
    250
}

fn default_gas_limit() -> u64 {
    1_000_000
}

fn default_gas_margin() -> u64 {
    50_000
}

fn default_estimate_timeout_ms() -> u64 {
    1_000
}

/// A raw amount from its decimal string, the field named on error.
///
/// # Errors
/// [`ConfigError::Invalid`] for anything but a decimal integer below 2²⁵⁶.
pub fn amount(field: &'static str, text: &str) -> Result<U256, ConfigError> {
    U256::from_str_radix(text.trim(), 10)
        .map_err(|e| ConfigError::Invalid { field, why: format!("{text:?} is not a raw amount: {e}") })
}

impl ParityConfig {
    /// Reads and checks a configuration file; the key paths are resolved
    /// against the file's directory.
    ///
    /// # Errors
    /// [`ConfigError`] naming the field at fault.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        let mut config: Self = toml::from_str(&text)
            .map_err(|source| ConfigError::Parse { path: path.to_owned(), source: Box::new(source) })?;
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        for chain in [&mut config.chain_138, &mut config.alltra] {
            if chain.private_key_path.is_relative() {
                chain.private_key_path = dir.join(&chain.private_key_path);
            }
        }
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |field, why: &str| Err(ConfigError::Invalid { field, why: why.to_owned() });
        for (field, chain) in [("chain_138.rpc_url", &self.chain_138), ("alltra.rpc_url", &self.alltra)] {
            if !chain.rpc_url.starts_with("http://") && !chain.rpc_url.starts_with("https://") {
                return invalid(field, "must be an http:// or https:// URL");
            }
        }
        if self.chain_138.chain_id == self.alltra.chain_id {
            return invalid("alltra.chain_id", "must differ from chain_138.chain_id");
        }
        if self.pairs.is_empty() {
            return invalid("pairs", "give at least one pool pair");
        }
        for pair in &self.pairs {
            amount("pairs.max_base_in", &pair.max_base_in)?;
            amount("pairs.max_quote_in", &pair.max_quote_in)?;
        }
        if self.alert_bps == 0 {
            return invalid("alert_bps", "must be positive");
        }
        if self.blocks_per_minute == 0 {
            return invalid("blocks_per_minute", "must be positive");
        }
        if self.peak_window_minutes == 0 {
            return invalid("peak_window_minutes", "must be positive");
        }
        if self.poll_interval_ms == 0 {
            return invalid("poll_interval_ms", "must be positive");
        }
        if self.gas_limit < 21_000 {
            return invalid("gas_limit", "must be at least 21000");
        }
        Ok(())
    }

    /// The decision's rules.
    pub fn rules(&self) -> ParityRules {
        ParityRules {
            trigger_bps: self.trigger_bps,
            latency_blocks: self.bridge_latency_blocks,
            blocks_per_minute: self.blocks_per_minute,
            peak_window_minutes: self.peak_window_minutes,
        }
    }

    /// The block polling interval.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    /// The longest wait for an estimate.
    pub fn estimate_timeout(&self) -> Duration {
        Duration::from_millis(self.estimate_timeout_ms)
    }
}

impl FromStr for ParityConfig {
    type Err = ConfigError;

    /// Parses and checks a configuration (key paths as written).
    fn from_str(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: PathBuf::from("<text>"),
            source: Box::new(source),
        })?;
        config.check()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
trigger_bps = 5
bridge_latency_blocks = 40
blocks_per_minute = 240

[chain_138]
rpc_url = "http://127.0.0.1:8547"
chain_id = 412346
private_key_path = "parity.key"

[alltra]
rpc_url = "http://127.0.0.1:8548"
chain_id = 651940
private_key_path = "parity.key"

[[pairs]]
label = "cUSDT/cUSDC"
pool_138 = "0xcf7ed3acca5a467e9e704c703e8d87f634fb0fc9"
pool_alltra = "0xcf7ed3acca5a467e9e704c703e8d87f634fb0fc9"
max_base_in = "25000000000"
max_quote_in = "25000000000"
"#;

    #[test]
    fn defaults() {
        let config: ParityConfig = GOOD.parse().unwrap();
        assert_eq!((config.alert_bps, config.trade, config.peak_window_minutes), (15, true, 60));
        assert_eq!(config.rules().latency_blocks, 40);
    }

    #[test]
    fn errors_name_the_field() {
        let error = |text: &str| text.parse::<ParityConfig>().unwrap_err().to_string();
        let missing = error(&GOOD.replace("chain_id = 651940\n", ""));
        assert!(missing.contains("chain_id") && missing.contains("alltra"), "{missing}");
        let same = error(&GOOD.replace("651940", "412346"));
        assert!(same.starts_with("alltra.chain_id:"), "{same}");
        let amount = error(&GOOD.replace("max_quote_in = \"25000000000\"", "max_quote_in = \"2.5e10\""));
        assert!(amount.starts_with("pairs.max_quote_in:"), "{amount}");
        let url = error(&GOOD.replace("http://127.0.0.1:8548", "ws://127.0.0.1:8548"));
        assert!(url.starts_with("alltra.rpc_url:"), "{url}");
        let unknown = error(&format!("{GOOD}trigger = 3\n"));
        assert!(unknown.contains("trigger"), "{unknown}");
    }

    #[test]
    fn the_example_parses() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/parity.toml");
        let config = ParityConfig::load(&example).unwrap();
        assert_eq!((config.chain_138.chain_id, config.alltra.chain_id), (412_346, 651_940));
        assert!(config.chain_138.private_key_path.is_file());
    }
}
