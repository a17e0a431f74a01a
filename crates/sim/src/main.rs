//! `vault-sim`: runs a scenario on the compiled contracts and writes its
//! report (see the crate documentation).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use vault_sim::{report, RunOptions, Scenario};

/// Stress simulator of the vault stabilisation system (spec §11, §16).
#[derive(Debug, Parser)]
#[command(name = "vault-sim", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs one scenario file and writes target/sim/<scenario>/report.{md,json} and record.json.
    Run {
        /// The scenario (TOML), e.g. crates/sim/scenarios/baseline.toml.
        scenario: PathBuf,
        /// Runs this many L2 blocks instead of the scenario's.
        #[arg(long)]
        blocks: Option<u64>,
        /// Uses this seed instead of the scenario's.
        #[arg(long)]
        seed: Option<u64>,
        /// Writes the report here instead of target/sim/<scenario>.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Skips scripts/build-wasm (uses target/stylus as it is).
        #[arg(long)]
        no_build: bool,
        /// Hides the progress bar.
        #[arg(long)]
        quiet: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vault-sim: {e}");
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::cast_precision_loss)]
fn run(cli: Cli) -> Result<(), vault_sim::SimError> {
    let Command::Run { scenario, blocks, seed, out, no_build, quiet } = cli.command;
    if !no_build {
        vault_sim::build_wasm()?;
    }
    vault_sim::use_stylus_wasm_dir();
    let scenario = Scenario::load(&scenario)?;
    let options = RunOptions { blocks, seed, progress: !quiet };
    let started = std::time::Instant::now();
    let (record, mut summary) = vault_sim::run_scenario(&scenario, &options)?;
    let elapsed = started.elapsed();
    let dir = out.unwrap_or_else(|| report::default_dir(&scenario.name));
    summary.plots = vault_sim::write_plots(&record, &dir);
    let written = report::write(&dir, &record, &summary)?;
    println!(
        "{}: {} L2 blocks in {:.1} s ({:.0} blocks/s)",
        scenario.name,
        summary.blocks,
        elapsed.as_secs_f64(),
        summary.blocks as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    for row in &summary.targets {
        println!("  {:<6} {}: {} (target {})", row.status, row.metric, row.value, row.target);
    }
    println!("report: {}", written.markdown.display());
    println!("report: {}", written.json.display());
    println!("record: {}", written.record.display());
    for plot in &summary.plots {
        println!("plot:   {plot}");
    }
    Ok(())
}
