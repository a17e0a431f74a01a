//! `vault-node`: a local Ethereum JSON-RPC node over the in-process chain,
//! shaped like anvil (automine, dev accounts from a mnemonic, test controls).
//! See the crate README for the methods served.

mod api;
mod backend;
mod config;
mod error;
mod predeploys;
mod server;

use std::{
    fmt::Write as _,
    net::SocketAddr,
    time::{SystemTime, UNIX_EPOCH},
};

use clap::Parser;

use crate::{
    backend::{Genesis, Handle},
    config::Config,
};

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt().with_target(false).with_writer(std::io::stderr).init();
    let config = Config::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vault-node: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let accounts = config.dev_accounts()?;
    let addresses: Vec<_> = accounts.iter().map(|a| a.signer.address()).collect();
    let genesis = Genesis {
        chain_id: config.chain_id,
        accounts: addresses.clone(),
        balance: config.balance_wei(),
        timestamp: SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs(),
    };
    let chain = Handle::spawn(genesis);
    let limits = server::Limits { max_batch: config.max_batch, max_request_bytes: config.max_request_bytes };
    let (address, handle) =
        server::start(SocketAddr::new(config.host, config.port), chain, addresses, limits).await?;

    let mut banner = String::from("\nAvailable Accounts\n==================\n");
    for (i, account) in accounts.iter().enumerate() {
        let _ = writeln!(banner, "({i}) {} ({} ETH)", account.signer.address(), config.balance);
    }
    banner += "\nPrivate Keys\n==================\n";
    for (i, account) in accounts.iter().enumerate() {
        let _ = writeln!(banner, "({i}) {}", account.private_key());
    }
    let _ = write!(
        banner,
        "\nWallet\n==================\nMnemonic:          {}\nDerivation path:   m/44'/60'/0'/0/\n\nChain ID\n==================\n{}\n\nListening on {address}\n",
        config.mnemonic, config.chain_id
    );
    println!("{banner}");
    tracing::info!(%address, chain_id = config.chain_id, "serving JSON-RPC");

    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        () = handle.clone().stopped() => {}
        result = tokio::signal::ctrl_c() => {
            result?;
            tracing::info!("interrupted: shutting down");
            let _ = handle.stop();
        }
        _ = terminate.recv() => {
            tracing::info!("terminated: shutting down");
            let _ = handle.stop();
        }
    }
    Ok(())
}
