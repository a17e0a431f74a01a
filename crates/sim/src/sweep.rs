//! `sweep`: runs scenarios over a grid of parameters, probes the cost of a
//! manipulation that triggers a trade, and chooses the defaults.
//!
//! A combination passes when every scenario passes every §16 target it
//! measures. The choice ranks every combination, passing or not (under the
//! moving market none may pass): fewest failed targets (summed over the
//! scenarios), then the fastest recovery from the scenarios' one-off shocks
//! (their worst), then the largest worst share of blocks in the band, then
//! the lowest worst p99 latency, then the costliest triggering manipulation
//! under the scenarios' market (the probe with arbitrageurs; one that
//! triggers no correction ranks costliest), then the costliest without
//! arbitrageurs; remaining ties go to the code's defaults when they are
//! among them (a default moves only on a measured difference), else to the
//! first in grid order. Costs are at gold's true price.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::market::{Codes, Fixtures};
use crate::metrics::Summary;
use crate::scenario::{Attack, Flow, Market, Parameters, RunOptions, Scenario};
use crate::{sim, SimError};

/// The values each swept parameter takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grid {
    /// FlashContainment `θ`, bps.
    pub threshold_bps: Vec<u64>,
    /// FlashContainment `N`.
    pub sustain_blocks: Vec<u64>,
    /// FlashContainment TWAP window `W`.
    pub twap_window: Vec<u64>,
    /// Stabilizer `MIN_BLOCKS`.
    pub min_blocks: Vec<u64>,
    /// Stabilizer `k`, USD per 100% deviation.
    pub k_usd: Vec<u64>,
    /// Per-block cap, USD.
    pub cap_usd: Vec<u64>,
    /// Mesh pools' PMM `k`, 1e18.
    pub mesh_k_e18: Vec<u64>,
}

/// One point of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Combo {
    /// `θ`, bps.
    pub threshold_bps: u64,
    /// `N`.
    pub sustain_blocks: u64,
    /// `W`.
    pub twap_window: u64,
    /// `MIN_BLOCKS`.
    pub min_blocks: u64,
    /// `k`, USD.
    pub k_usd: u64,
    /// Per-block cap, USD.
    pub cap_usd: u64,
    /// Mesh `k`, 1e18.
    pub mesh_k_e18: u64,
}

impl Combo {
    /// The combination `parameters` already hold.
    pub fn of(parameters: &Parameters) -> Self {
        Self {
            threshold_bps: parameters.threshold_bps,
            sustain_blocks: parameters.sustain_blocks,
            twap_window: parameters.twap_window,
            min_blocks: parameters.min_blocks,
            k_usd: parameters.k_usd,
            cap_usd: parameters.cap_usd,
            mesh_k_e18: parameters.mesh_k_e18,
        }
    }

    /// Writes the combination into `parameters` (the rest stays).
    pub fn apply(&self, parameters: &mut Parameters) {
        parameters.threshold_bps = self.threshold_bps;
        parameters.sustain_blocks = self.sustain_blocks;
        parameters.twap_window = self.twap_window;
        parameters.min_blocks = self.min_blocks;
        parameters.k_usd = self.k_usd;
        parameters.cap_usd = self.cap_usd;
        parameters.mesh_k_e18 = self.mesh_k_e18;
    }
}

impl std::fmt::Display for Combo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "θ = {} bps, N = {}, W = {}, MIN_BLOCKS = {}, k = {} USD, cap = {} USD, mesh k = {}",
            self.threshold_bps,
            self.sustain_blocks,
            self.twap_window,
            self.min_blocks,
            self.k_usd,
            self.cap_usd,
            self.mesh_k_e18 as f64 / 1e18
        )
    }
}

impl Grid {
    /// Every combination, in lexicographic order of the fields.
    pub fn combos(&self) -> Vec<Combo> {
        let mut out = Vec::new();
        for &threshold_bps in &self.threshold_bps {
            for &sustain_blocks in &self.sustain_blocks {
                for &twap_window in &self.twap_window {
                    for &min_blocks in &self.min_blocks {
                        for &k_usd in &self.k_usd {
                            for &cap_usd in &self.cap_usd {
                                for &mesh_k_e18 in &self.mesh_k_e18 {
                                    out.push(Combo {
                                        threshold_bps,
                                        sustain_blocks,
                                        twap_window,
                                        min_blocks,
                                        k_usd,
                                        cap_usd,
                                        mesh_k_e18,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// L2 blocks of each scenario run (`None`: the scenario's own).
    pub blocks: Option<u64>,
    /// Manipulation episodes per probe.
    pub probe_episodes: u64,
    /// Runs in parallel.
    pub jobs: usize,
    /// Shows a progress bar.
    pub progress: bool,
}

/// One scenario's result under one combination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// The scenario.
    pub scenario: String,
    /// Every measured §16 target passed.
    pub pass: bool,
    /// The targets that failed.
    pub failed: Vec<String>,
    /// Worst pool's share of blocks within ±0.10%.
    pub worst_share: f64,
    /// Rebalance latency p50, L2 blocks (none without excursions).
    pub latency_p50: Option<u64>,
    /// Rebalance latency p99, L2 blocks.
    pub latency_p99: Option<u64>,
    /// Largest drain recovery, L2 blocks.
    pub recovery_max: Option<u64>,
    /// Each one-off shock's own recovery, L2 blocks (`[[shocks]]`).
    #[serde(default)]
    pub shock_recovery: Vec<u64>,
    /// Corrections.
    pub trades: u64,
    /// The mesh's and the Stabilizers' P&L over the run, USD at gold's true
    /// price (`mesh_pnl_usd`).
    #[serde(default)]
    pub mesh_pnl_usd: Option<f64>,
    /// The public pools' LPs' P&L, USD at the true price (`lp_pnl_usd`).
    #[serde(default)]
    pub lp_pnl_usd: Option<f64>,
    /// The keeper's gas over the run, USD (`keeper_gas_usd`).
    #[serde(default)]
    pub keeper_gas_usd: Option<f64>,
    /// The attacker's P&L, USD at the true price (`attacker_pnl_usd`; `None`
    /// without an attacker).
    #[serde(default)]
    pub attacker_pnl_usd: Option<f64>,
}

/// The manipulation probe of one combination: a quiet §11 market (no
/// external flow, gold moving) in which an attacker pushes a pool `θ + 5`
/// bps off its peg and holds it (topping up) until the first correction it
/// triggers, then releases: the cheapest manipulation that makes the
/// Stabilizer trade. It runs with the arbitrageurs of the default market
/// and again without them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// Whether the arbitrageurs traded the pools toward the true price.
    #[serde(default = "yes")]
    pub arbitrage: bool,
    /// How far the attacker pushes, bps.
    pub push_bps: u64,
    /// The longest it holds, L2 blocks (it releases after the first
    /// correction).
    pub hold_blocks: u64,
    /// Finished episodes.
    pub episodes: u64,
    /// Corrections the manipulation triggered.
    pub triggered_trades: u64,
    /// The attacker's total cost over its finished episodes, USD at the
    /// oracle.
    pub cost_usd: f64,
    /// The attacker's total cost over the run, USD at gold's true price at
    /// the end (minus its P&L).
    #[serde(default)]
    pub cost_usd_true: f64,
}

fn yes() -> bool {
    true
}

impl Probe {
    /// Cost per episode at the oracle, when a correction was triggered
    /// (`None` when none was).
    pub fn cost_per_episode(&self) -> Option<f64> {
        (self.triggered_trades > 0 && self.episodes > 0).then(|| self.cost_usd / self.episodes as f64)
    }

    /// Cost per episode at the true price, triggering or not (`None`
    /// without a finished episode).
    pub fn cost_per_episode_true(&self) -> Option<f64> {
        (self.episodes > 0).then(|| self.cost_usd_true / self.episodes as f64)
    }

    /// The cost ranked by the choice: per episode at the true price, and
    /// infinite when no correction was triggered (a manipulation that
    /// moves nothing costs without end).
    pub fn rank_cost(&self) -> f64 {
        if self.triggered_trades == 0 {
            return f64::INFINITY;
        }
        self.cost_per_episode_true().unwrap_or(f64::INFINITY)
    }
}

/// One row: a combination, its scenario results and its probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    /// The combination.
    pub combo: Combo,
    /// Per scenario.
    pub results: Vec<ScenarioResult>,
    /// The manipulation probe under the scenarios' market (arbitrageurs on).
    pub probe: Probe,
    /// The same probe without arbitrageurs.
    pub probe_no_arbitrage: Probe,
    /// Every scenario passed.
    pub pass: bool,
}

impl SweepRow {
    /// The worst p99 latency over the scenarios (0 without excursions).
    pub fn worst_p99(&self) -> u64 {
        self.results.iter().filter_map(|r| r.latency_p99).max().unwrap_or(0)
    }

    /// The worst peg share over the scenarios.
    pub fn worst_share(&self) -> f64 {
        self.results.iter().map(|r| r.worst_share).fold(1.0, f64::min)
    }

    /// The failed targets, summed over the scenarios.
    pub fn failed_targets(&self) -> usize {
        self.results.iter().map(|r| r.failed.len()).sum()
    }

    /// The slowest one-off shock's recovery over the scenarios, L2 blocks
    /// (0 without shocks).
    pub fn worst_shock_recovery(&self) -> u64 {
        self.results.iter().flat_map(|r| r.shock_recovery.iter().copied()).max().unwrap_or(0)
    }
}

/// A sweep's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// The scenarios run for each combination.
    pub scenarios: Vec<String>,
    /// L2 blocks per run (`None`: each scenario's own).
    pub blocks: Option<u64>,
    /// The grid.
    pub grid: Grid,
    /// One row per combination.
    pub rows: Vec<SweepRow>,
    /// The chosen row (`None` only without rows).
    pub chosen: Option<usize>,
    /// The code's defaults (`Parameters::default`), for comparison.
    pub defaults: Combo,
}

impl SweepReport {
    /// Whether the chosen combination is the code's default.
    pub fn chosen_is_default(&self) -> bool {
        self.chosen.is_some_and(|i| self.rows[i].combo == self.defaults)
    }

    /// Whether the chosen combination passes every target of every
    /// scenario.
    pub fn chosen_passes(&self) -> bool {
        self.chosen.is_some_and(|i| self.rows[i].pass)
    }
}

/// Runs every scenario and the probe for every combination of `grid`.
///
/// # Errors
/// The first [`SimError`] of any run.
pub fn run_sweep(
    scenarios: &[Scenario],
    grid: &Grid,
    options: &SweepOptions,
) -> Result<SweepReport, SimError> {
    let codes = Codes::load()?;
    let fixtures = Fixtures::load()?;
    let combos = grid.combos();
    // Per combination: every scenario, then the probe with and without
    // arbitrageurs.
    let per_combo = scenarios.len() + 2;
    let tasks: Vec<(usize, Task)> = (0..combos.len())
        .flat_map(|c| {
            (0..scenarios.len())
                .map(Task::Run)
                .chain([Task::Probe { arbitrage: true }, Task::Probe { arbitrage: false }])
                .map(move |t| (c, t))
        })
        .collect();
    let bar = if options.progress {
        let bar = ProgressBar::new(tasks.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("sweep [{bar:40}] {pos}/{len} runs, eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Outcome, SimError>>>> =
        Mutex::new((0..tasks.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(c, task)) = tasks.get(i) else { break };
                let outcome = match task {
                    Task::Run(s) => {
                        run_one(&scenarios[s], &combos[c], options, &codes, &fixtures).map(Outcome::Run)
                    }
                    Task::Probe { arbitrage } => {
                        probe(&combos[c], options.probe_episodes, arbitrage, &codes, &fixtures)
                            .map(Outcome::Probe)
                    }
                };
                if let Ok(mut all) = results.lock() {
                    all[i] = Some(outcome);
                }
                bar.inc(1);
            });
        }
    });
    bar.finish_and_clear();
    let mut outcomes = results.into_inner().map_err(|_| poisoned())?.into_iter();
    let mut rows = Vec::new();
    for combo in &combos {
        let mut runs = Vec::new();
        let (mut with, mut without) = (None, None);
        for _ in 0..per_combo {
            match outcomes.next().flatten() {
                Some(Ok(Outcome::Run(r))) => runs.push(r),
                Some(Ok(Outcome::Probe(p))) if p.arbitrage => with = Some(p),
                Some(Ok(Outcome::Probe(p))) => without = Some(p),
                Some(Err(e)) => return Err(e),
                None => return Err(SimError::Chain("a sweep run did not finish".to_owned())),
            }
        }
        let unfinished = || SimError::Chain("a sweep probe did not finish".to_owned());
        let probe = with.ok_or_else(unfinished)?;
        let probe_no_arbitrage = without.ok_or_else(unfinished)?;
        let pass = runs.iter().all(|r| r.pass);
        rows.push(SweepRow { combo: *combo, results: runs, probe, probe_no_arbitrage, pass });
    }
    let defaults = Combo::of(&Parameters::default());
    let chosen = choose(&rows, &defaults);
    Ok(SweepReport {
        scenarios: scenarios.iter().map(|s| s.name.clone()).collect(),
        blocks: options.blocks,
        grid: grid.clone(),
        rows,
        chosen,
        defaults,
    })
}

/// The row the defaults should take, passing or not: fewest failed targets
/// (summed over the scenarios), then the lowest worst shock recovery, then
/// the largest worst peg share, then the lowest worst p99 latency, then
/// the costliest triggering manipulation with arbitrageurs, then without
/// them ([`Probe::rank_cost`]: at the true price, a probe that triggers
/// none ranking costliest); remaining ties go to `defaults` when tied,
/// else to the first in grid order. `None` only without rows.
pub fn choose(rows: &[SweepRow], defaults: &Combo) -> Option<usize> {
    rows.iter()
        .enumerate()
        .min_by(|(_, a), (_, b)| rank(a, b).then_with(|| (b.combo == *defaults).cmp(&(a.combo == *defaults))))
        .map(|(i, _)| i)
}

/// The rule's order of two rows, before the defaults and grid order
/// (`Less`: `a` is the better).
pub fn rank(a: &SweepRow, b: &SweepRow) -> std::cmp::Ordering {
    a.failed_targets()
        .cmp(&b.failed_targets())
        .then_with(|| a.worst_shock_recovery().cmp(&b.worst_shock_recovery()))
        .then_with(|| b.worst_share().total_cmp(&a.worst_share()))
        .then_with(|| a.worst_p99().cmp(&b.worst_p99()))
        .then_with(|| b.probe.rank_cost().total_cmp(&a.probe.rank_cost()))
        .then_with(|| b.probe_no_arbitrage.rank_cost().total_cmp(&a.probe_no_arbitrage.rank_cost()))
}

#[derive(Debug, Clone, Copy)]
enum Task {
    Run(usize),
    Probe { arbitrage: bool },
}

enum Outcome {
    Run(ScenarioResult),
    Probe(Probe),
}

fn poisoned() -> SimError {
    SimError::Chain("a sweep worker panicked".to_owned())
}

fn run_one(
    scenario: &Scenario,
    combo: &Combo,
    options: &SweepOptions,
    codes: &Codes,
    fixtures: &Fixtures,
) -> Result<ScenarioResult, SimError> {
    let mut scenario = scenario.clone();
    combo.apply(&mut scenario.parameters);
    let run = RunOptions { blocks: options.blocks, ..RunOptions::default() };
    let (_, summary) = sim::run_scenario_with(&scenario, &run, codes, fixtures)?;
    Ok(result_of(&summary))
}

/// A run's figures, from its summary.
pub fn result_of(summary: &Summary) -> ScenarioResult {
    let fact = |name: &str| summary.facts.get(name).and_then(|v| v.parse::<u64>().ok());
    let usd = |name: &str| summary.facts.get(name).and_then(|v| v.parse::<f64>().ok());
    let failed: Vec<String> =
        summary.targets.iter().filter(|row| row.status == "FAIL").map(|row| row.metric.clone()).collect();
    ScenarioResult {
        scenario: summary.scenario.clone(),
        pass: failed.is_empty(),
        failed,
        worst_share: summary.pools.iter().map(|p| p.share_in_band).fold(1.0, f64::min),
        latency_p50: fact("latency_p50"),
        latency_p99: fact("latency_p99"),
        recovery_max: fact("recovery_max"),
        shock_recovery: summary
            .facts
            .get("shock_recovery_blocks")
            .map(|v| v.split(", ").filter_map(|n| n.parse().ok()).collect())
            .unwrap_or_default(),
        trades: summary.trades,
        mesh_pnl_usd: usd("mesh_pnl_usd"),
        lp_pnl_usd: usd("lp_pnl_usd"),
        keeper_gas_usd: usd("keeper_gas_usd"),
        attacker_pnl_usd: usd("attacker_pnl_usd"),
    }
}

/// The probe's scenario for `combo`: the default market (gold moving, the
/// keeper a block late) without external flow, with or without the
/// arbitrageurs.
pub fn probe_scenario(combo: &Combo, episodes: u64, arbitrage: bool) -> Scenario {
    let mut parameters = Parameters::default();
    combo.apply(&mut parameters);
    let push_bps = combo.threshold_bps + 5;
    let hold_blocks = combo.twap_window + combo.sustain_blocks + 10;
    let every_blocks = 2 * hold_blocks + 60;
    Scenario {
        name: "manipulation-probe".to_owned(),
        description: String::new(),
        seed: 7,
        // The first episode starts at every/2; the last ends before the end.
        blocks: every_blocks * episodes.max(1) + every_blocks / 2,
        market: Market::default(),
        flow: Flow { usd_per_hour: 0, drain_every_blocks: 0, arbitrage, ..Flow::default() },
        parameters,
        attack: Some(Attack::MultiBlock { every_blocks, push_bps, hold_blocks, release_on_trade: true }),
        cross_chain: None,
        shocks: Vec::new(),
    }
}

fn probe(
    combo: &Combo,
    episodes: u64,
    arbitrage: bool,
    codes: &Codes,
    fixtures: &Fixtures,
) -> Result<Probe, SimError> {
    let scenario = probe_scenario(combo, episodes, arbitrage);
    let Some(Attack::MultiBlock { push_bps, hold_blocks, .. }) = scenario.attack else {
        return Err(SimError::Scenario("the probe is a multi-block manipulation".to_owned()));
    };
    let (_, summary) = sim::run_scenario_with(&scenario, &RunOptions::default(), codes, fixtures)?;
    let fact = |name: &str| summary.facts.get(name).and_then(|v| v.parse::<f64>().ok());
    Ok(Probe {
        arbitrage,
        push_bps,
        hold_blocks,
        episodes: summary.facts.get("manipulation_episodes").and_then(|v| v.parse().ok()).unwrap_or(0),
        triggered_trades: summary
            .facts
            .get("attack_triggered_trades")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        cost_usd: fact("manipulation_cost_usd").unwrap_or(0.0),
        cost_usd_true: -fact("attacker_pnl_usd").unwrap_or(0.0),
    })
}

/// `target/sim/sweep` of the workspace.
pub fn default_dir() -> PathBuf {
    crate::report::default_dir("sweep")
}

fn opt(value: Option<u64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

fn usd(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"))
}

/// A target's name without its explanation ("Flash drain recovery").
fn short(metric: &str) -> &str {
    let end = metric.find([':', '(']).unwrap_or(metric.len());
    metric[..end].trim_end()
}

/// The probe's cell: its cost per episode at the true price, the episodes
/// and the corrections it triggered.
fn probe_cell(probe: &Probe) -> String {
    let cost = usd(probe.cost_per_episode_true());
    let cost = if probe.triggered_trades == 0 { format!("no trade ({cost} spent)") } else { cost };
    format!("{cost} ({}, {})", probe.episodes, probe.triggered_trades)
}

fn combo_cells(c: &Combo) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {} | {} |",
        c.threshold_bps,
        c.sustain_blocks,
        c.twap_window,
        c.min_blocks,
        c.k_usd,
        c.cap_usd,
        c.mesh_k_e18 as f64 / 1e18
    )
}

/// The Markdown trade-off table.
pub fn markdown(report: &SweepReport) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Parameter sweep\n");
    let blocks =
        report.blocks.map_or_else(|| "each scenario's own length".to_owned(), |b| format!("{b} L2 blocks"));
    let _ = writeln!(
        md,
        "Scenarios: {} ({blocks} each), each in its own market (by default gold moving, the XAU/USD feed reporting on its deviation threshold or heartbeat, the keeper's and the arbitrageurs' transactions landing a block after the block they saw). A combination passes when every scenario passes every §16 target it measures.\n",
        report.scenarios.join(", ")
    );
    let _ = writeln!(
        md,
        "Manipulation probe: in a quiet §11 market (no external flow, gold moving) an attacker pushes a pool θ + 5 bps off its peg and holds it there (topping up) until the first correction it triggers, then releases; once with the default market's arbitrageurs and once without them. The cost is the attacker's loss per episode at gold's true price; trades counts the corrections inside the attack's window (release included); \"no trade\" means the manipulation triggered no correction.\n"
    );
    let _ = writeln!(
        md,
        "Choice, over every combination, passing or not: fewest failed targets (summed over the scenarios), then the lowest worst shock recovery, then the largest worst peg share, then the lowest worst p99 latency, then the costliest triggering manipulation with arbitrageurs, then without (no trade ranks costliest), then the code's defaults, then the first in grid order.\n"
    );
    let first = report.rows.first();
    let shocked: Vec<usize> = first
        .map(|row| {
            row.results
                .iter()
                .enumerate()
                .filter(|(_, r)| !r.shock_recovery.is_empty())
                .map(|(i, _)| i)
                .collect()
        })
        .unwrap_or_default();
    let mut header = "| θ bps | N | W | MIN_BLOCKS | k USD | cap USD | mesh k |".to_owned();
    let mut rule = "|---:|---:|---:|---:|---:|---:|---:|".to_owned();
    for name in &report.scenarios {
        let _ = write!(header, " {name}: worst share | p50 / p99 | drain max |");
        rule.push_str("---:|---:|---:|");
    }
    if !shocked.is_empty() {
        let names: Vec<&str> =
            shocked.iter().filter_map(|&i| report.scenarios.get(i)).map(String::as_str).collect();
        let _ = write!(header, " shock recovery, blocks ({}) |", names.join(" / "));
        rule.push_str("---:|");
    }
    header.push_str(
        " failed targets | probe with arbitrageurs: USD per episode (episodes, trades) | probe without arbitrageurs | §16 |",
    );
    rule.push_str("---:|---:|---:|---|");
    let _ = writeln!(md, "{header}\n{rule}");
    for (i, row) in report.rows.iter().enumerate() {
        let mut line = combo_cells(&row.combo);
        for r in &row.results {
            let _ = write!(
                line,
                " {:.3}% | {} / {} | {} |",
                r.worst_share * 100.0,
                opt(r.latency_p50),
                opt(r.latency_p99),
                opt(r.recovery_max)
            );
        }
        if !shocked.is_empty() {
            let cells: Vec<String> = shocked
                .iter()
                .map(|&s| {
                    row.results.get(s).map_or_else(
                        || "–".to_owned(),
                        |r| r.shock_recovery.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
                    )
                })
                .collect();
            let _ = write!(line, " {} |", cells.join(" / "));
        }
        let chosen = if report.chosen == Some(i) { ", **chosen**" } else { "" };
        let verdict = if row.pass { "PASS" } else { "FAIL" };
        let _ = writeln!(
            md,
            "{line} {} | {} | {} | {verdict}{chosen} |",
            row.failed_targets(),
            probe_cell(&row.probe),
            probe_cell(&row.probe_no_arbitrage)
        );
    }
    cost_table(&mut md, report);
    failures(&mut md, report);
    md
}

/// The cost of stabilizing, per combination and scenario.
fn cost_table(md: &mut String, report: &SweepReport) {
    let _ = writeln!(
        *md,
        "\n## Cost of stabilizing\n\nOver each run, USD at gold's true price at the end: the mesh's and the Stabilizers' P&L (without the treasury's flows), the public pools' LPs' P&L, the keeper's gas, and the attacker's P&L in a scenario with one.\n"
    );
    let attacked: Vec<bool> = (0..report.scenarios.len())
        .map(|s| {
            report.rows.iter().any(|row| row.results.get(s).is_some_and(|r| r.attacker_pnl_usd.is_some()))
        })
        .collect();
    let mut header = "| θ bps | N | W | MIN_BLOCKS | k USD | cap USD | mesh k |".to_owned();
    let mut rule = "|---:|---:|---:|---:|---:|---:|---:|".to_owned();
    for (name, &attacker) in report.scenarios.iter().zip(&attacked) {
        let _ = write!(header, " {name}: mesh P&L | LP P&L | keeper gas |");
        rule.push_str("---:|---:|---:|");
        if attacker {
            header.push_str(" attacker P&L |");
            rule.push_str("---:|");
        }
    }
    let _ = writeln!(*md, "{header}\n{rule}");
    for row in &report.rows {
        let mut line = combo_cells(&row.combo);
        for (r, &attacker) in row.results.iter().zip(&attacked) {
            let _ = write!(
                line,
                " {} | {} | {} |",
                usd(r.mesh_pnl_usd),
                usd(r.lp_pnl_usd),
                usd(r.keeper_gas_usd)
            );
            if attacker {
                let _ = write!(line, " {} |", usd(r.attacker_pnl_usd));
            }
        }
        let _ = writeln!(*md, "{line}");
    }
}

/// The failed targets over the rows, and the choice.
fn failures(md: &mut String, report: &SweepReport) {
    let _ = writeln!(*md, "\n## Failed targets\n");
    let mut any = false;
    for (s, name) in report.scenarios.iter().enumerate() {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for metric in report.rows.iter().filter_map(|row| row.results.get(s)).flat_map(|r| &r.failed) {
            match counts.iter_mut().find(|(m, _)| *m == short(metric)) {
                Some((_, n)) => *n += 1,
                None => counts.push((short(metric), 1)),
            }
        }
        if !counts.is_empty() {
            any = true;
            let list: Vec<String> =
                counts.iter().map(|(m, n)| format!("{m} ({n} of {})", report.rows.len())).collect();
            let _ = writeln!(*md, "- {name}: {}", list.join(", "));
        }
    }
    if !any {
        let _ = writeln!(*md, "None.");
    }
    match report.chosen {
        Some(i) => {
            let row = &report.rows[i];
            let verdict = if report.chosen_is_default() { "are" } else { "are NOT" };
            let _ = writeln!(*md, "\nChosen: {}. The code's defaults {verdict} it.", row.combo);
            let tied = report.rows.iter().filter(|r| rank(r, row).is_eq()).count();
            if tied > 1 {
                let _ = writeln!(
                    *md,
                    "It ties with {} other combinations on every ranked figure: the tie goes to {}.",
                    tied - 1,
                    if report.chosen_is_default() {
                        "the code's defaults"
                    } else {
                        "the first in grid order"
                    }
                );
            }
            if row.pass {
                let _ = writeln!(*md, "It passes every target of every scenario.");
            } else {
                let failed: Vec<String> = row
                    .results
                    .iter()
                    .filter(|r| !r.failed.is_empty())
                    .map(|r| {
                        format!(
                            "{}: {}",
                            r.scenario,
                            r.failed.iter().map(|m| short(m)).collect::<Vec<_>>().join(", ")
                        )
                    })
                    .collect();
                let _ = writeln!(
                    *md,
                    "It FAILS {} targets ({}): no combination passes every scenario.",
                    row.failed_targets(),
                    failed.join("; ")
                );
            }
        }
        None => {
            let _ = writeln!(*md, "\nNo combination was run.");
        }
    }
}

/// Writes `sweep.md` and `sweep.json` into `dir`.
///
/// # Errors
/// [`SimError::Io`] or [`SimError::Report`].
pub fn write(dir: &Path, report: &SweepReport) -> Result<(PathBuf, PathBuf), SimError> {
    std::fs::create_dir_all(dir).map_err(|e| SimError::Io(dir.to_path_buf(), e))?;
    let md = dir.join("sweep.md");
    std::fs::write(&md, markdown(report)).map_err(|e| SimError::Io(md.clone(), e))?;
    let json = dir.join("sweep.json");
    let text = serde_json::to_string_pretty(report).map_err(|e| SimError::Report(e.to_string()))?;
    std::fs::write(&json, text).map_err(|e| SimError::Io(json.clone(), e))?;
    Ok((md, json))
}
