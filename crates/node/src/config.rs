//! Command-line flags, named after anvil's where they apply.

use std::{net::IpAddr, path::PathBuf, time::Duration};

use alloy_primitives::{B256, U256};
use alloy_signer_local::{coins_bip39::English, MnemonicBuilder, PrivateKeySigner};
use clap::Parser;

use crate::error::NodeError;

/// The dev mnemonic anvil and Hardhat use.
pub const DEFAULT_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Nitro's local dev chain id.
pub const DEFAULT_CHAIN_ID: u64 = 412_346;

/// The port of Nitro's dev node.
pub const DEFAULT_PORT: u16 = 8547;

/// A local Stylus-capable Ethereum JSON-RPC node over the in-process chain.
#[derive(Debug, Clone, Parser)]
#[command(name = "vault-node", version, about)]
pub struct Config {
    /// Port to serve JSON-RPC on (0 picks a free one and prints it).
    #[arg(short, long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Chain id.
    #[arg(long, default_value_t = DEFAULT_CHAIN_ID)]
    pub chain_id: u64,
    /// Number of dev accounts to fund.
    #[arg(short, long, default_value_t = 10)]
    pub accounts: u32,
    /// Balance of every dev account, in ether.
    #[arg(long, default_value_t = 10_000)]
    pub balance: u64,
    /// BIP-39 mnemonic the dev accounts are derived from (m/44'/60'/0'/0/i).
    #[arg(short, long, default_value = DEFAULT_MNEMONIC)]
    pub mnemonic: String,
    /// Seal a block every SECONDS (fractions allowed) with the pending
    /// transactions, instead of one block per transaction.
    #[arg(short, long, value_name = "SECONDS", value_parser = parse_block_time)]
    pub block_time: Option<Duration>,
    /// Load the chain from FILE at start when it exists, and save it there
    /// on exit (JSON).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Largest number of calls in one batch request.
    #[arg(long, default_value_t = 1_000)]
    pub max_batch: u32,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    pub max_request_bytes: u32,
}

/// One funded dev account.
#[derive(Debug, Clone)]
pub struct DevAccount {
    /// Its signer.
    pub signer: PrivateKeySigner,
}

impl DevAccount {
    /// The private key, as printed at start.
    pub fn private_key(&self) -> B256 {
        self.signer.to_bytes()
    }
}

impl Config {
    /// The dev accounts: BIP-44 `m/44'/60'/0'/0/i` of the mnemonic, as anvil derives them.
    ///
    /// # Errors
    /// [`NodeError::Mnemonic`] when the phrase is not a valid BIP-39 mnemonic.
    pub fn dev_accounts(&self) -> Result<Vec<DevAccount>, NodeError> {
        (0..self.accounts)
            .map(|i| {
                let signer = MnemonicBuilder::<English>::default()
                    .phrase(self.mnemonic.as_str())
                    .index(i)
                    .and_then(|b| b.build())
                    .map_err(|e| NodeError::Mnemonic(e.to_string()))?;
                Ok(DevAccount { signer })
            })
            .collect()
    }

    /// The dev accounts' balance in wei.
    pub fn balance_wei(&self) -> U256 {
        U256::from(self.balance) * U256::from(10_u64).pow(U256::from(18))
    }
}

fn parse_block_time(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text.parse().map_err(|e| format!("--block-time {text}: {e}"))?;
    match Duration::try_from_secs_f64(seconds) {
        Ok(interval) if !interval.is_zero() => Ok(interval),
        _ => Err(format!("--block-time {text}: give a positive number of seconds")),
    }
}
