//! `vault-node`: a local Ethereum JSON-RPC node over the in-process chain,
//! shaped like anvil (automine, dev accounts from a mnemonic, test controls).
//! See the crate README for the methods served.

mod api;
mod backend;
mod config;
mod error;
mod persist;
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
    let saved = match &config.state {
        Some(path) => persist::load(path)?,
        None => None,
    };
    if let (Some(path), Some(saved)) = (&config.state, &saved) {
        tracing::info!(path = %path.display(), blocks = saved.blocks.len(), "loading the saved chain");
    }
    let genesis = Genesis {
        chain_id: config.chain_id,
        accounts: addresses.clone(),
        balance: config.balance_wei(),
        timestamp: SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs(),
        automine: config.block_time.is_none(),
        saved,
    };
    let chain = Handle::spawn(genesis, accounts.iter().map(|a| a.signer.clone()).collect())?;
    if let Some(interval) = config.block_time {
        tokio::spawn(mine_every(chain.clone(), interval));
    }
    let limits = server::Limits { max_batch: config.max_batch, max_request_bytes: config.max_request_bytes };
    let (address, handle) =
        server::start(SocketAddr::new(config.host, config.port), chain.clone(), addresses, limits).await?;

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
    handle.stopped().await;
    if let Some(path) = &config.state {
        let saved = chain.run(|backend| backend.save()).await?;
        persist::save(path, &saved)?;
        tracing::info!(path = %path.display(), blocks = saved.blocks.len(), "saved the chain");
    }
    Ok(())
}

/// Interval mining (`--block-time`): seals the pending block every `interval`.
async fn mine_every(chain: Handle, interval: std::time::Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if chain.run(|backend| backend.chain().mine(1)).await.is_err() {
            return;
        }
    }
}
