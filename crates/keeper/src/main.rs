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
    let outcome = match command {
        Command::Run { config } => runtime.block_on(run(&config)),
        Command::Parity { config } => runtime.block_on(parity(&config)),
    };
    outcome.err().unwrap_or(ExitCode::SUCCESS)
}

/// Logs `message` as an error; the failure status to exit with.
fn failed(message: std::fmt::Arguments<'_>) -> ExitCode {
    tracing::error!("{message}");
    ExitCode::FAILURE
}

/// The signal handlers that stop either program.
fn shutdown_signal() -> Result<tokio::sync::watch::Receiver<bool>, ExitCode> {
    rpc::shutdown_signal().map_err(|e| failed(format_args!("cannot install the signal handlers: {e}")))
}

/// `vault-keeper run`.
async fn run(config: &Path) -> Result<(), ExitCode> {
    let config = Config::load(config).map_err(|e| failed(format_args!("config: {e}")))?;
    let shutdown = shutdown_signal()?;
    let metrics = Metrics::default();
    if let Some(listen) = config.metrics_listen {
        rpc::metrics::serve(listen, metrics.clone())
            .await
            .map_err(|e| failed(format_args!("metrics_listen: {listen}: {e}")))?;
    }
    let mut keeper =
        Keeper::start(config, metrics).await.map_err(|e| failed(format_args!("start-up: {e}")))?;
    keeper.run(shutdown).await;
    Ok(())
}

/// `vault-keeper parity`.
async fn parity(config: &Path) -> Result<(), ExitCode> {
    let config = ParityConfig::load(config).map_err(|e| failed(format_args!("config: {e}")))?;
    let shutdown = shutdown_signal()?;
    let metrics = ParityMetrics::default();
    if let Some(listen) = config.metrics_listen {
        let page = metrics.clone();
        rpc::metrics::serve_page(listen, move || page.render())
            .await
            .map_err(|e| failed(format_args!("metrics_listen: {listen}: {e}")))?;
    }
    let mut bot =
        ParityRunner::start(config, metrics).await.map_err(|e| failed(format_args!("start-up: {e}")))?;
    bot.run(shutdown).await;
    Ok(())
}
