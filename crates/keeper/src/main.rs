//! `vault-keeper`: the keeper over JSON-RPC (see the crate documentation).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use vault_keeper::parity_config::ParityConfig;
use vault_keeper::parity_rpc::{ParityMetrics, ParityRunner};
use vault_keeper::rpc::{self, metrics::Metrics, Config, Keeper};

/// The vault stabilisation system's keeper: pokes FlashContainment past θ
/// and sends the Stabilizer's bounded correcting trades, once per L2 block.
#[derive(Debug, Parser)]
#[command(name = "vault-keeper", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the keeper until SIGINT or SIGTERM.
    Run {
        /// The configuration (TOML), e.g. crates/keeper/examples/keeper.toml.
        #[arg(long)]
        config: PathBuf,
    },
    /// Runs the cross-chain parity bot (Chain 138 and Alltra) until SIGINT
    /// or SIGTERM.
    Parity {
        /// The configuration (TOML), e.g. crates/keeper/examples/parity.toml.
        #[arg(long)]
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    // VAULT_KEEPER_LOG=debug shows every pool's deviation each block.
    let level = std::env::var("VAULT_KEEPER_LOG")
        .ok()
        .and_then(|level| level.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt().with_max_level(level).with_writer(std::io::stderr).init();
    let command = Cli::parse().command;
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the runtime");
            return ExitCode::FAILURE;
        }
    };
    match command {
        Command::Run { config } => runtime.block_on(run(&config)),
        Command::Parity { config } => runtime.block_on(parity(&config)),
    }
}

/// `vault-keeper run`.
async fn run(config: &Path) -> ExitCode {
    let config = match Config::load(config) {
        Ok(config) => config,
        Err(e) => {
            tracing::error!("config: {e}");
            return ExitCode::FAILURE;
        }
    };
    let shutdown = match rpc::shutdown_signal() {
        Ok(shutdown) => shutdown,
        Err(e) => {
            tracing::error!(error = %e, "cannot install the signal handlers");
            return ExitCode::FAILURE;
        }
    };
    let metrics = Metrics::default();
    if let Some(listen) = config.metrics_listen {
        if let Err(e) = rpc::metrics::serve(listen, metrics.clone()).await {
            tracing::error!("metrics_listen: {listen}: {e}");
            return ExitCode::FAILURE;
        }
    }
    let mut keeper = match Keeper::start(config, metrics).await {
        Ok(keeper) => keeper,
        Err(e) => {
            tracing::error!("start-up: {e}");
            return ExitCode::FAILURE;
        }
    };
    keeper.run(shutdown).await;
    ExitCode::SUCCESS
}

/// `vault-keeper parity`.
async fn parity(config: &Path) -> ExitCode {
    let config = match ParityConfig::load(config) {
        Ok(config) => config,
        Err(e) => {
            tracing::error!("config: {e}");
            return ExitCode::FAILURE;
        }
    };
    let shutdown = match rpc::shutdown_signal() {
        Ok(shutdown) => shutdown,
        Err(e) => {
            tracing::error!(error = %e, "cannot install the signal handlers");
            return ExitCode::FAILURE;
        }
    };
    let metrics = ParityMetrics::default();
    if let Some(listen) = config.metrics_listen {
        let page = metrics.clone();
        if let Err(e) = rpc::metrics::serve_page(listen, move || page.render()).await {
            tracing::error!("metrics_listen: {listen}: {e}");
            return ExitCode::FAILURE;
        }
    }
    let mut bot = match ParityRunner::start(config, metrics).await {
        Ok(bot) => bot,
        Err(e) => {
            tracing::error!("start-up: {e}");
            return ExitCode::FAILURE;
        }
    };
    bot.run(shutdown).await;
    ExitCode::SUCCESS
}
