//! Simulated L2 blocks per second on the real wasm: the baseline scenario
//! (four pools, the keeper, the flow), `BENCH_BLOCKS` blocks (default
//! 14,400, one hour of 250 ms blocks; the goal is ≤ 60 s). Prints wall and
//! process CPU time: on a shared machine the CPU time is the fairer figure,
//! and the keeper's gas per pool-hour (poke + executePrivateSwap), with
//! Nitro's entry costs: the programs cached (as the deploy's cache bids
//! leave them; the timed run) and, in a second untimed run, uncached.
//!
//! `cargo bench -p vault-sim --bench blocks` (after `scripts/build-wasm`).

use std::time::Instant;

use vault_sim::market::{Codes, Fixtures};
use vault_sim::{RunOptions, Scenario};

fn cpu_seconds() -> f64 {
    // utime + stime of this process from /proc (Linux); 0 elsewhere.
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields after the command: state is 0, utime 11, stime 12; 100 ticks a second.
    (ticks(11) + ticks(12)) / 100.0
}

#[allow(clippy::cast_precision_loss)]
fn main() {
    vault_sim::use_stylus_wasm_dir();
    let blocks: u64 = std::env::var("BENCH_BLOCKS").ok().and_then(|v| v.parse().ok()).unwrap_or(14_400);
    let mut scenario =
        Scenario::load(&vault_sim::scenarios_dir().join("baseline.toml")).expect("baseline loads");
    let codes = Codes::load().expect("scripts/build-wasm first");
    let fixtures = Fixtures::load().expect("fixtures");
    let options = RunOptions { blocks: Some(blocks), ..RunOptions::default() };
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let (_, summary) = vault_sim::run_scenario_with(&scenario, &options, &codes, &fixtures).expect("runs");
    let (wall, cpu) = (wall.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let per_second = blocks as f64 / wall;
    let per_cpu_second = blocks as f64 / cpu.max(1e-9);
    println!(
        "vault-sim baseline: {blocks} L2 blocks in {wall:.1} s wall ({per_second:.0} blocks/s), {cpu:.1} s CPU ({per_cpu_second:.0} blocks per CPU second); {} corrections; keeper gas per pool-hour {}; goal 14,400 blocks in ≤ 60 s: {}",
        summary.trades,
        summary.gas_per_pool_hour.map_or_else(|| "n/a".to_owned(), |g| g.to_string()),
        if wall <= 60.0 * blocks as f64 / 14_400.0 { "met" } else { "missed" }
    );
    scenario.market.programs_cached = false;
    let (_, uncached) = vault_sim::run_scenario_with(&scenario, &options, &codes, &fixtures).expect("runs");
    assert_eq!(uncached.trades, summary.trades, "the entry cost changes no decision");
    println!(
        "vault-sim baseline, programs uncached: keeper gas per pool-hour {} (cached: {})",
        uncached.gas_per_pool_hour.map_or_else(|| "n/a".to_owned(), |g| g.to_string()),
        summary.gas_per_pool_hour.map_or_else(|| "n/a".to_owned(), |g| g.to_string()),
    );
}
