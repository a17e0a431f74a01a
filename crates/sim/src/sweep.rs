//! `sweep`: runs scenarios over a grid of parameters, probes the cost of a
//! manipulation that triggers a trade, and chooses the defaults.
//!
//! A combination passes when every scenario passes every §16 target it
//! measures. Of the passing ones the choice holds the peg best (largest
//! worst share of blocks in the band), then corrects fastest (lowest worst
//! p99 latency), then makes the cheapest triggering manipulation cost the
//! attacker most; remaining ties go to the first in grid order.

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
    /// Corrections.
    pub trades: u64,
}

/// The manipulation probe of one combination: a quiet §11 market in which
/// an attacker pushes a pool `θ + 5` bps off its peg and holds it (topping
/// up) until the first correction it triggers, then releases: the cheapest
/// manipulation that makes the Stabilizer trade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// How far the attacker pushes, bps.
    pub push_bps: u64,
    /// The longest it holds, L2 blocks (it releases after the first
    /// correction).
    pub hold_blocks: u64,
    /// Finished episodes.
    pub episodes: u64,
    /// Corrections the manipulation triggered.
    pub triggered_trades: u64,
    /// The attacker's total cost, USD at the oracle.
    pub cost_usd: f64,
}

impl Probe {
    /// Cost per episode that triggered a correction (`None` when none did).
    pub fn cost_per_episode(&self) -> Option<f64> {
        (self.triggered_trades > 0 && self.episodes > 0).then(|| self.cost_usd / self.episodes as f64)
    }
}

/// One row: a combination, its scenario results and its probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    /// The combination.
    pub combo: Combo,
    /// Per scenario.
    pub results: Vec<ScenarioResult>,
    /// The manipulation probe.
    pub probe: Probe,
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
    /// The chosen row, if any passed.
    pub chosen: Option<usize>,
    /// The code's defaults (`Parameters::default`), for comparison.
    pub defaults: Combo,
}

impl SweepReport {
    /// Whether the chosen combination is the code's default.
    pub fn chosen_is_default(&self) -> bool {
        self.chosen.is_some_and(|i| self.rows[i].combo == self.defaults)
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
    // Tasks: (combo, Some(scenario)) runs, (combo, None) probes.
    let tasks: Vec<(usize, Option<usize>)> = (0..combos.len())
        .flat_map(|c| (0..scenarios.len()).map(move |s| (c, Some(s))).chain(std::iter::once((c, None))))
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
                let Some(&(c, s)) = tasks.get(i) else { break };
                let outcome = match s {
                    Some(s) => {
                        run_one(&scenarios[s], &combos[c], options, &codes, &fixtures).map(Outcome::Run)
                    }
                    None => probe(&combos[c], options.probe_episodes, &codes, &fixtures).map(Outcome::Probe),
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
        let mut probe_result = None;
        for _ in 0..=scenarios.len() {
            match outcomes.next().flatten() {
                Some(Ok(Outcome::Run(r))) => runs.push(r),
                Some(Ok(Outcome::Probe(p))) => probe_result = Some(p),
                Some(Err(e)) => return Err(e),
                None => return Err(SimError::Chain("a sweep run did not finish".to_owned())),
            }
        }
        let probe = probe_result.ok_or_else(|| SimError::Chain("a sweep probe did not finish".to_owned()))?;
        let pass = runs.iter().all(|r| r.pass);
        rows.push(SweepRow { combo: *combo, results: runs, probe, pass });
    }
    let chosen = choose(&rows);
    Ok(SweepReport {
        scenarios: scenarios.iter().map(|s| s.name.clone()).collect(),
        blocks: options.blocks,
        grid: grid.clone(),
        rows,
        chosen,
        defaults: Combo::of(&Parameters::default()),
    })
}

/// The row the defaults should take: passing, then the largest worst peg
/// share, then the lowest worst p99 latency, then the highest cost of the
/// triggering manipulation (a probe that triggers none ranks highest);
/// remaining ties go to the first in grid order.
pub fn choose(rows: &[SweepRow]) -> Option<usize> {
    let cost = |row: &SweepRow| row.probe.cost_per_episode().unwrap_or(f64::INFINITY);
    rows.iter()
        .enumerate()
        .filter(|(_, row)| row.pass)
        .min_by(|(_, a), (_, b)| {
            b.worst_share()
                .total_cmp(&a.worst_share())
                .then_with(|| a.worst_p99().cmp(&b.worst_p99()))
                .then_with(|| cost(b).total_cmp(&cost(a)))
        })
        .map(|(i, _)| i)
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
        trades: summary.trades,
    }
}

/// The probe's scenario for `combo`.
pub fn probe_scenario(combo: &Combo, episodes: u64) -> Scenario {
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
        flow: Flow { usd_per_hour: 0, drain_every_blocks: 0, ..Flow::default() },
        parameters,
        attack: Some(Attack::MultiBlock { every_blocks, push_bps, hold_blocks, release_on_trade: true }),
        cross_chain: None,
        shocks: Vec::new(),
    }
}

fn probe(combo: &Combo, episodes: u64, codes: &Codes, fixtures: &Fixtures) -> Result<Probe, SimError> {
    let scenario = probe_scenario(combo, episodes);
    let Some(Attack::MultiBlock { push_bps, hold_blocks, .. }) = scenario.attack else {
        return Err(SimError::Scenario("the probe is a multi-block manipulation".to_owned()));
    };
    let (_, summary) = sim::run_scenario_with(&scenario, &RunOptions::default(), codes, fixtures)?;
    let fact = |name: &str| summary.facts.get(name).and_then(|v| v.parse::<f64>().ok());
    Ok(Probe {
        push_bps,
        hold_blocks,
        episodes: summary.facts.get("manipulation_episodes").and_then(|v| v.parse().ok()).unwrap_or(0),
        triggered_trades: summary
            .facts
            .get("attack_triggered_trades")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        cost_usd: fact("manipulation_cost_usd").unwrap_or(0.0),
    })
}

/// `target/sim/sweep` of the workspace.
pub fn default_dir() -> PathBuf {
    crate::report::default_dir("sweep")
}

fn opt(value: Option<u64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

/// The Markdown trade-off table.
pub fn markdown(report: &SweepReport) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Parameter sweep\n");
    let blocks =
        report.blocks.map_or_else(|| "each scenario's own length".to_owned(), |b| format!("{b} L2 blocks"));
    let _ = writeln!(
        md,
        "Scenarios: {} ({blocks} each). A combination passes when every scenario passes every §16 target it measures. Manipulation probe: in a quiet §11 market an attacker pushes a pool θ + 5 bps off its peg and holds it there (topping up) until the first correction it triggers, then releases; the cost is its mean loss per episode at the oracle; trades counts the corrections inside the attack's window (release included).\n",
        report.scenarios.join(", ")
    );
    let mut header = "| θ bps | N | W | MIN_BLOCKS | k USD | cap USD | mesh k |".to_owned();
    let mut rule = "|---:|---:|---:|---:|---:|---:|---:|".to_owned();
    for name in &report.scenarios {
        let _ = write!(header, " {name}: worst share | p50 / p99 | drain max |");
        rule.push_str("---:|---:|---:|");
    }
    header.push_str(" probe: cost per episode, USD (episodes, trades) | §16 |");
    rule.push_str("---:|---|");
    let _ = writeln!(md, "{header}\n{rule}");
    for (i, row) in report.rows.iter().enumerate() {
        let c = &row.combo;
        let mut line = format!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            c.threshold_bps,
            c.sustain_blocks,
            c.twap_window,
            c.min_blocks,
            c.k_usd,
            c.cap_usd,
            c.mesh_k_e18 as f64 / 1e18
        );
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
        let cost = row.probe.cost_per_episode().map_or_else(|| "no trade".to_owned(), |c| format!("{c:.2}"));
        let verdict = match (row.pass, report.chosen == Some(i)) {
            (true, true) => "PASS, **chosen**",
            (true, false) => "PASS",
            (false, _) => "FAIL",
        };
        let _ = writeln!(
            md,
            "{line} {cost} ({}, {}) | {verdict} |",
            row.probe.episodes, row.probe.triggered_trades
        );
    }
    match report.chosen {
        Some(i) => {
            let verdict = if report.chosen_is_default() { "are" } else { "are NOT" };
            let _ = writeln!(md, "\nChosen: {}. The code's defaults {verdict} it.", report.rows[i].combo);
        }
        None => {
            let _ = writeln!(md, "\nNo combination passes every scenario.");
        }
    }
    md
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
