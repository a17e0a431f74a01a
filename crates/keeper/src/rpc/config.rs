//! The keeper's TOML configuration (`vault-keeper run --config FILE`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use alloy_primitives::Address;
use serde::Deserialize;

/// Why the configuration cannot be used; each names the field at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid configuration.
    #[error("{path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why (serde names the field).
        source: Box<toml::de::Error>,
    },
    /// A field's value is out of range.
    #[error("{field}: {why}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        why: String,
    },
}

/// The keeper's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The node's JSON-RPC URL.
    pub rpc_url: String,
    /// The chain id the node must report.
    pub chain_id: u64,
    /// A file holding the keeper account's private key (hex), relative to
    /// the configuration file.
    pub private_key_path: PathBuf,
    /// The Stabilizers to keep, one per public pool.
    pub stabilizers: Vec<Address>,
    /// FlashContainment; when given, every Stabilizer must be wired to it.
    #[serde(default)]
    pub flash_containment: Option<Address>,
    /// How often to ask for a new block (`eth_blockNumber`), milliseconds.
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// The largest gas limit of one transaction (an estimate plus the
    /// margin is capped here).
    #[serde(default = "default_gas_limit")]
    pub gas_limit: u64,
    /// Gas added to every estimate: an estimate against the latest block
    /// can undershoot FlashContainment's poke, whose first call in a block
    /// records an observation (on vault-node, one poke was estimated at
    /// 32,706 gas against a block it had already observed and used 91,037
    /// as the next block's first call).
    #[serde(default = "default_gas_margin")]
    pub gas_margin: u64,
    /// The longest wait for `eth_estimateGas`, milliseconds; a slower
    /// estimate is given up (the transaction is checked with `eth_call` and
    /// sent with `gas_limit`), so the transaction is not late for the
    /// deviation it corrects; 0 never estimates. vault-node's estimate of
    /// `executePrivateSwap` took about 1,000 ms against 36 ms for its
    /// `eth_call`, and it answers nothing else meanwhile: with 250 ms
    /// blocks (`--block-time 0.25`) the trade landed three blocks after its
    /// sustaining poke and reverted with `SingleBlockSpike`, so give 0
    /// there.
    #[serde(default = "default_estimate_timeout_ms")]
    pub estimate_timeout_ms: u64,
    /// Where to serve Prometheus metrics (`/metrics`); none when absent.
    #[serde(default)]
    pub metrics_listen: Option<SocketAddr>,
    /// Poke every pool every block, whatever its deviation (the policy
    /// before the keeper poked only past θ).
    #[serde(default)]
    pub poke_every_block: bool,
    /// How long to wait for a transaction's receipt, milliseconds, before
    /// re-sending it with the same nonce and fees 10% + 1 wei higher.
    #[serde(default = "default_receipt_timeout_ms")]
    pub receipt_timeout_ms: u64,
    /// The highest `maxFeePerGas` the keeper pays, wei, first send or fee
    /// bump; a transaction still unmined at this cap is given up.
    #[serde(default = "default_max_fee_per_gas")]
    pub max_fee_per_gas: u64,
    /// The `maxPriorityFeePerGas` of a first send, wei (Arbitrum ignores
    /// it; a bump raises it with the max fee).
    #[serde(default)]
    pub priority_fee_per_gas: u64,
    /// Below this balance, wei, the keeper sends nothing (it logs an error,
    /// sets `keeper_balance_low` and keeps reading the pools) until the
    /// account is funded again.
    #[serde(default = "default_min_balance_wei")]
    pub min_balance_wei: u64,
}

fn default_receipt_timeout_ms() -> u64 {
    30_000
}

fn default_max_fee_per_gas() -> u64 {
    // 10 gwei: 1,000 times Arbitrum's minimum base fee of 0.01 gwei.
    10_000_000_000
}

fn default_min_balance_wei() -> u64 {
    // 0.001 ether: about 30 transactions at the 3,000,000 gas limit and
    // 10 gwei.
    1_000_000_000_000_000
}

fn default_poll_interval_ms() -> u64 {
    250
}

fn default_gas_limit() -> u64 {
    3_000_000
}

fn default_estimate_timeout_ms() -> u64 {
    150
}

fn default_gas_margin() -> u64 {
    100_000
}

impl Config {
    /// Reads and checks a configuration file; `private_key_path` is
    /// resolved against the file's directory.
    ///
    /// # Errors
    /// [`ConfigError`] naming the field at fault.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        let mut config: Self = toml::from_str(&text)
            .map_err(|source| ConfigError::Parse { path: path.to_owned(), source: Box::new(source) })?;
        if config.private_key_path.is_relative() {
            let dir = path.parent().unwrap_or_else(|| Path::new("."));
            config.private_key_path = dir.join(&config.private_key_path);
        }
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |field, why: &str| Err(ConfigError::Invalid { field, why: why.to_owned() });
        if self.stabilizers.is_empty() {
            return invalid("stabilizers", "give at least one Stabilizer address");
        }
        if self.poll_interval_ms == 0 {
            return invalid("poll_interval_ms", "must be positive");
        }
        if self.gas_limit < 21_000 {
            return invalid("gas_limit", "must be at least 21000");
        }
        if self.receipt_timeout_ms == 0 {
            return invalid("receipt_timeout_ms", "must be positive");
        }
        if self.priority_fee_per_gas > self.max_fee_per_gas {
            return invalid("priority_fee_per_gas", "must not exceed max_fee_per_gas");
        }
        if !self.rpc_url.starts_with("http://") && !self.rpc_url.starts_with("https://") {
            return invalid("rpc_url", "must be an http:// or https:// URL");
        }
        Ok(())
    }

    /// The longest wait for an estimate.
    pub fn estimate_timeout(&self) -> Duration {
        Duration::from_millis(self.estimate_timeout_ms)
    }

    /// The longest wait for a receipt before a fee bump.
    pub fn receipt_timeout(&self) -> Duration {
        Duration::from_millis(self.receipt_timeout_ms)
    }

    /// The block polling interval.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `text` to a file of its own (the tests run in parallel) and loads it.
    fn load(text: &str) -> Result<Config, ConfigError> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("vault-keeper-config-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keeper.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(&path)
    }

    const GOOD: &str = r#"
rpc_url = "http://127.0.0.1:8547"
chain_id = 412346
private_key_path = "keeper.key"
stabilizers = ["0xeff7b46049fc677f58264e0ebb19df1a39195a21"]
"#;

    #[test]
    fn defaults_and_a_key_path_relative_to_the_file() {
        let config = load(GOOD).unwrap();
        assert_eq!(config.poll_interval_ms, 250);
        assert_eq!(config.gas_margin, 100_000);
        assert_eq!(config.receipt_timeout_ms, 30_000);
        assert_eq!(config.max_fee_per_gas, 10_000_000_000);
        assert_eq!(config.min_balance_wei, 1_000_000_000_000_000);
        assert!(config.private_key_path.ends_with("keeper.key") && config.private_key_path.is_absolute());
    }

    #[test]
    fn errors_name_the_field() {
        let missing = load("rpc_url = \"http://x\"\nchain_id = 1\nstabilizers = []\n").unwrap_err();
        assert!(missing.to_string().contains("private_key_path"), "{missing}");
        let empty =
            load(&GOOD.replace(r#"["0xeff7b46049fc677f58264e0ebb19df1a39195a21"]"#, "[]")).unwrap_err();
        assert!(empty.to_string().starts_with("stabilizers:"), "{empty}");
        let unknown = load(&format!("{GOOD}gas_limt = 5\n")).unwrap_err();
        assert!(unknown.to_string().contains("gas_limt"), "{unknown}");
        let url = load(&GOOD.replace("http://", "ws://")).unwrap_err();
        assert!(url.to_string().starts_with("rpc_url:"), "{url}");
        let tip = load(&format!("{GOOD}max_fee_per_gas = 10\npriority_fee_per_gas = 11\n")).unwrap_err();
        assert!(tip.to_string().starts_with("priority_fee_per_gas:"), "{tip}");
    }

    #[test]
    fn the_example_parses() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/keeper.toml");
        let config = Config::load(&example).unwrap();
        assert_eq!(config.chain_id, 412_346);
        assert!(config.private_key_path.is_file());
    }
}
