//! `vault-sim`: runs a scenario on the compiled contracts and writes its
//! report (see the crate documentation).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use vault_sim::sweep::{Grid, SweepOptions};
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
        /// The keeper pokes every pool every L2 block (the policy before it poked only past θ).
        #[arg(long)]
        poke_every_block: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Runs scenarios over a grid of k and the per-block cap (and θ, N, W, `MIN_BLOCKS`, mesh k),
    /// probes the cost of a triggering manipulation with and without arbitrageurs, chooses the
    /// defaults and writes target/sim/sweep/sweep.{md,json}.
    Sweep {
        /// A scenario to run for every combination (repeatable; default: baseline, stress-5x,
        /// shock-5pct and shock-10pct).
        #[arg(long = "scenario")]
        scenarios: Vec<PathBuf>,
        /// L2 blocks per run instead of each scenario's own length.
        #[arg(long)]
        blocks: Option<u64>,
        /// θ values, bps.
        #[arg(long, value_delimiter = ',', default_value = "8")]
        threshold: Vec<u64>,
        /// N values (sustain blocks).
        #[arg(long, value_delimiter = ',', default_value = "2")]
        sustain: Vec<u64>,
        /// TWAP window W values.
        #[arg(long, value_delimiter = ',', default_value = "3")]
        twap_window: Vec<u64>,
        /// `MIN_BLOCKS` values.
        #[arg(long, value_delimiter = ',', default_value = "1")]
        min_blocks: Vec<u64>,
        /// k values, USD per 100% deviation.
        #[arg(long, value_delimiter = ',', default_value = "10000000,20000000,40000000")]
        k: Vec<u64>,
        /// Per-block cap values, USD.
        #[arg(long, value_delimiter = ',', default_value = "25000,50000,100000")]
        cap: Vec<u64>,
        /// Mesh PMM k values, 1e18.
        #[arg(long, value_delimiter = ',', default_value = "10000000000000000")]
        mesh_k: Vec<u64>,
        /// Manipulation episodes per probe.
        #[arg(long, default_value_t = 4)]
        probe_episodes: u64,
        /// Runs every scenario without arbitrageurs (`[flow] arbitrage = false`; the scenarios are
        /// named "… without arbitrage"), to show what the cap and k do when nobody else trades the
        /// pools back. The probes run with and without them as always.
        #[arg(long)]
        no_arbitrage: bool,
        /// Runs in parallel (default: the machine's cores).
        #[arg(long)]
        jobs: Option<usize>,
        #[command(flatten)]
        common: Common,
    },
}

/// Options both commands take.
#[derive(Debug, Args)]
struct Common {
    /// Writes the output here instead of target/sim/<scenario> (run) or target/sim/sweep (sweep).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Skips scripts/build-wasm (uses target/stylus as it is).
    #[arg(long)]
    no_build: bool,
    /// Hides the progress bar.
    #[arg(long)]
    quiet: bool,
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

fn run(cli: Cli) -> Result<(), vault_sim::SimError> {
    match cli.command {
        Command::Run { scenario, blocks, seed, poke_every_block, common } => {
            let options = RunOptions { blocks, seed, progress: !common.quiet, poke_every_block };
            run_one(&scenario, &options, common)
        }
        Command::Sweep {
            scenarios,
            blocks,
            threshold,
            sustain,
            twap_window,
            min_blocks,
            k,
            cap,
            mesh_k,
            probe_episodes,
            no_arbitrage,
            jobs,
            common,
        } => {
            let grid = Grid {
                threshold_bps: threshold,
                sustain_blocks: sustain,
                twap_window,
                min_blocks,
                k_usd: k,
                cap_usd: cap,
                mesh_k_e18: mesh_k,
            };
            let jobs = jobs
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
            let options = SweepOptions { blocks, probe_episodes, jobs, progress: !common.quiet };
            sweep(&scenarios, &grid, &options, no_arbitrage, common)
        }
    }
}

/// Builds the wasm unless told not to, and points the chain at it.
fn prepare(common: &Common) -> Result<(), vault_sim::SimError> {
    if !common.no_build {
        vault_sim::build_wasm()?;
    }
    vault_sim::use_stylus_wasm_dir();
    Ok(())
}

fn sweep(
    paths: &[PathBuf],
    grid: &Grid,
    options: &SweepOptions,
    no_arbitrage: bool,
    common: Common,
) -> Result<(), vault_sim::SimError> {
    prepare(&common)?;
    let out = common.out;
    let defaults = ["baseline", "stress-5x", "shock-5pct", "shock-10pct"]
        .map(|name| vault_sim::scenarios_dir().join(format!("{name}.toml")));
    let paths = if paths.is_empty() { &defaults[..] } else { paths };
    let mut scenarios = paths.iter().map(|p| Scenario::load(p)).collect::<Result<Vec<_>, _>>()?;
    if no_arbitrage {
        for scenario in &mut scenarios {
            scenario.flow.arbitrage = false;
            scenario.name.push_str(" without arbitrage");
        }
    }
    let started = std::time::Instant::now();
    let report = vault_sim::sweep::run_sweep(&scenarios, grid, options)?;
    let dir = out.unwrap_or_else(vault_sim::sweep::default_dir);
    let (md, json) = vault_sim::sweep::write(&dir, &report)?;
    let passing = report.rows.iter().filter(|r| r.pass).count();
    println!(
        "sweep: {} combinations × {} scenarios (+ 2 probes) in {:.1} s; {passing} pass every §16 target",
        report.rows.len(),
        scenarios.len(),
        started.elapsed().as_secs_f64()
    );
    match report.chosen {
        Some(i) => {
            let row = &report.rows[i];
            let verdict = if report.chosen_is_default() { "equal to" } else { "differs from" };
            let pass = if row.pass {
                "passes every target".to_owned()
            } else {
                format!("FAILS {} targets", row.failed_targets())
            };
            println!("chosen: {} ({verdict} the code's defaults; {pass})", row.combo);
        }
        None => println!("chosen: none (no combination)"),
    }
    println!("table:  {}", md.display());
    println!("json:   {}", json.display());
    Ok(())
}

#[allow(clippy::cast_precision_loss)]
fn run_one(
    scenario: &std::path::Path,
    options: &RunOptions,
    common: Common,
) -> Result<(), vault_sim::SimError> {
    prepare(&common)?;
    let out = common.out;
    let scenario = Scenario::load(scenario)?;
    let started = std::time::Instant::now();
    let (record, mut summary) = vault_sim::run_scenario(&scenario, options)?;
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
