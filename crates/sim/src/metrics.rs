//! The §16 targets measured on a [`RunRecord`], with the facts the loop
//! counted. Floats here are reporting statistics only.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::keeper::GasStats;
use crate::record::{ExternalTrade, RunRecord};
use crate::scenario::{Parameters, Scenario};

/// The peg band of §16: ±0.10%.
pub const PEG_BAND_BPS: f64 = 10.0;
/// The project's peg goal (spec §16 gives the band but states no share):
/// PASS when every pool has at least this share of its L2 blocks within the
/// band, and of its external volume traded within it. The one bar of the
/// peg rows (and so of the sweep, which passes a combination on its rows).
pub const PEG_SHARE_TARGET: f64 = 0.999;
/// Rebalance latency target: fewer than 5 L2 blocks.
pub const LATENCY_TARGET: u64 = 5;
/// Flash drain recovery target: fewer than 3 L2 blocks.
pub const RECOVERY_TARGET: u64 = 3;
/// Cross-chain spread target: below 0.15% (15 bps).
pub const SPREAD_TARGET_BPS: f64 = 15.0;
/// The keeper's transactions (views are free `eth_call`s): their gas is
/// what running the system costs per pool-hour.
pub const KEEPER_TRANSACTIONS: [&str; 2] = ["poke", "executePrivateSwap"];

/// Whether a deviation (bps, mid price against the oracle peg) is within
/// the ±[`PEG_BAND_BPS`] band (inclusive; NaN is out).
pub fn within_band(deviation_bps: f64) -> bool {
    deviation_bps.abs() <= PEG_BAND_BPS
}

/// [`PEG_SHARE_TARGET`] as a percentage, for the reports (`99.9`).
pub fn peg_goal_pct() -> String {
    pct_label(PEG_SHARE_TARGET)
}

/// A share as a percentage without trailing zeros (`0.999` → `99.9`).
fn pct_label(share: f64) -> String {
    let pct = format!("{:.3}", share * 100.0);
    pct.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A pool's external volume: `(USD in all, USD traded while the pool was
/// within the band, trades)` over the users' (not the arbitrageurs')
/// trades of `pool` in `trades`.
pub fn external_volume<'a>(
    trades: impl IntoIterator<Item = &'a ExternalTrade>,
    pool: usize,
) -> (u64, u64, u64) {
    trades.into_iter().filter(|t| t.pool == pool && !t.informed).fold((0, 0, 0), |(all, inside, n), t| {
        let add = if within_band(t.deviation_bps) { t.usd } else { 0 };
        (all.saturating_add(t.usd), inside.saturating_add(add), n + 1)
    })
}

/// Gas of the keeper's transactions per pool-hour: the summed `gas_used` of
/// every [`KEEPER_TRANSACTIONS`] call over `pools × blocks / 14,400`
/// (`None` for an empty run).
pub fn gas_per_pool_hour(gas: &GasStats, pools: usize, blocks: usize) -> Option<u64> {
    let total: u128 =
        KEEPER_TRANSACTIONS.iter().filter_map(|name| gas.calls.get(*name)).map(|&(_, sum, _)| sum).sum();
    let pool_blocks = u128::try_from(pools.checked_mul(blocks)?).ok().filter(|n| *n > 0)?;
    let per = total * u128::from(crate::scenario::BLOCKS_PER_HOUR) / pool_blocks;
    u64::try_from(per).ok()
}

/// What the block loop counted besides the record.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Successful `executePrivateSwap`s.
    pub trades: u64,
    /// Refusals by call and error name.
    pub refusals: BTreeMap<String, u64>,
    /// `(record pool index, block)` of every drain (flow drains, flash
    /// loans, reserve outflows are not pool drains).
    pub drains: Vec<(usize, u64)>,
    /// `(record pool index, block, USD)` of every scenario shock (a
    /// one-off drain, `[[shocks]]`); each is in `drains` too.
    pub shocks: Vec<(usize, u64, u64)>,
    /// Trades the attacker caused: inside a multi-block hold, or after a
    /// flash loan with no organic deviation FlashContainment could act on
    /// (the flash-loan scenario requires 0).
    pub attack_triggered_trades: u64,
    /// The depegged token, if any, and the block it depegged.
    pub depegged_token: Option<usize>,
    /// The block it depegged.
    pub depeg_block: u64,
    /// Trades that sold the depegged token from its depeg on (required 0).
    pub sold_depegged: u64,
    /// The attacker's P&L in USD at gold's true price, if there is one.
    pub attacker_pnl_usd: Option<f64>,
    /// `(token, raw amount)` the scenario's LP withdrew from the mesh (an
    /// outflow, not the mesh's trading).
    pub mesh_withdrawn: Vec<(usize, alloy_primitives::U256)>,
    /// Attack episodes (multi-block).
    pub attack_episodes: Vec<String>,
    /// The attacker's cost of each finished multi-block episode, USD.
    pub episode_costs: Vec<f64>,
    /// Free-form notes for the report.
    pub notes: Vec<String>,
    /// Scenario-specific facts (the attacker's pokes recorded and refused,
    /// its active blocks, suppression episodes), copied to the summary's.
    pub extra: BTreeMap<String, String>,
}

/// One row of the §16 table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetRow {
    /// What is measured.
    pub metric: String,
    /// The target.
    pub target: String,
    /// The measured value.
    pub value: String,
    /// `PASS`, `FAIL`, or `N/A` (not measured by this scenario).
    pub status: String,
}

/// Gas of one call type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GasRow {
    /// The call.
    pub call: String,
    /// How many were sent.
    pub count: u64,
    /// Mean `gas_used`.
    pub mean: u64,
    /// Largest `gas_used`.
    pub max: u64,
}

/// Per-pool figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolRow {
    /// The pool.
    pub pool: String,
    /// Share of blocks within ±0.10% of the peg.
    pub share_in_band: f64,
    /// L2 blocks the pool ended out of the band: every excursion's length,
    /// an excursion still open at the end included.
    #[serde(default)]
    pub blocks_out_of_band: u64,
    /// `blocks_out_of_band` over the run's blocks (`1 − share_in_band`).
    #[serde(default)]
    pub share_out_of_band: f64,
    /// The longest excursion, L2 blocks (one open at the end at its length
    /// so far).
    #[serde(default)]
    pub longest_excursion_blocks: u64,
    /// Largest |deviation|, bps.
    pub max_abs_deviation_bps: f64,
    /// Excursions out of the band (closed and open).
    pub excursions: u64,
    /// Excursions still open at the end of the run.
    pub open_excursions: u64,
    /// Corrections (`Stabilized`).
    pub trades: u64,
    /// The seeded external flow's trades (and drains) on the pool.
    #[serde(default)]
    pub external_trades: u64,
    /// Their volume, USD.
    #[serde(default)]
    pub external_volume_usd: u64,
    /// The part of it traded while the pool's mid price just before the
    /// trade was within ±0.10% of the peg, USD.
    #[serde(default)]
    pub external_volume_in_band_usd: u64,
    /// `external_volume_in_band_usd / external_volume_usd` (`None` without
    /// external volume).
    #[serde(default)]
    pub volume_share_in_band: Option<f64>,
}

/// The report of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The scenario.
    pub scenario: String,
    /// What it simulates.
    pub description: String,
    /// The seed used.
    pub seed: u64,
    /// L2 blocks simulated.
    pub blocks: u64,
    /// The parameters used.
    pub parameters: Parameters,
    /// The §16 table.
    pub targets: Vec<TargetRow>,
    /// Per pool.
    pub pools: Vec<PoolRow>,
    /// Gas per call type.
    pub gas: Vec<GasRow>,
    /// Gas of the keeper's transactions (poke, executePrivateSwap) per
    /// pool-hour (see [`gas_per_pool_hour`]).
    #[serde(default)]
    pub gas_per_pool_hour: Option<u64>,
    /// Successful corrections.
    pub trades: u64,
    /// Refusals by call and error.
    pub refusals: BTreeMap<String, u64>,
    /// Deterministic facts (name → value).
    pub facts: BTreeMap<String, String>,
    /// Definitions and remarks.
    pub notes: Vec<String>,
    /// PNG plots written beside the report.
    #[serde(default)]
    pub plots: Vec<String>,
}

impl Summary {
    /// The row of a metric, by its name's prefix.
    pub fn row(&self, metric: &str) -> Option<&TargetRow> {
        self.targets.iter().find(|row| row.metric.starts_with(metric))
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile<T: Copy>(sorted: &[T], pct: usize) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// L2 blocks from `record.blocks[start]` (a drain's block) until `pool`
/// ends a block within the band: 0 when it ends that block within, the
/// blocks left in the run when it never does.
fn recovery(record: &RunRecord, pool: usize, start: usize) -> u64 {
    let back =
        record.blocks[start..].iter().position(|b| b.deviation_bps.get(pool).is_none_or(|d| within_band(*d)));
    back.map_or((record.blocks.len() - start) as u64, |n| n as u64)
}

/// `a, b, c`.
fn join(values: &[u64]) -> String {
    values.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
}

fn status(pass: bool) -> String {
    if pass { "PASS" } else { "FAIL" }.to_owned()
}

fn na(metric: &str, target: &str, why: &str) -> TargetRow {
    TargetRow {
        metric: metric.to_owned(),
        target: target.to_owned(),
        value: why.to_owned(),
        status: "N/A".to_owned(),
    }
}

/// Measures every target on the record.
#[allow(clippy::too_many_lines)]
pub fn summarize(
    scenario: &Scenario,
    seed: u64,
    record: &RunRecord,
    gas: &GasStats,
    facts: &Facts,
) -> Summary {
    let blocks = record.blocks.len();
    let pools = record.pools.len();
    let in_band = within_band;
    let goal = peg_goal_pct();
    let mut rows = Vec::new();
    let mut pool_rows = Vec::new();
    // Excursions: (pool, first block out, blocks to return or None).
    let mut latencies: Vec<u64> = Vec::new();
    let mut open_lengths: Vec<u64> = Vec::new();
    for pool in 0..pools {
        let series: Vec<f64> =
            record.blocks.iter().map(|b| b.deviation_bps.get(pool).copied().unwrap_or(0.0)).collect();
        let inside = series.iter().filter(|d| in_band(**d)).count();
        let mut excursions = 0;
        let mut open = 0;
        let mut longest = 0u64;
        let mut start: Option<usize> = None;
        for (i, d) in series.iter().enumerate() {
            match (start, in_band(*d)) {
                (None, false) => start = Some(i),
                (Some(s), true) => {
                    latencies.push((i - s) as u64);
                    longest = longest.max((i - s) as u64);
                    excursions += 1;
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            excursions += 1;
            open += 1;
            open_lengths.push((blocks - s) as u64);
            longest = longest.max((blocks - s) as u64);
        }
        let out = (blocks - inside) as u64;
        let (volume, volume_in_band, external_trades) =
            external_volume(record.blocks.iter().flat_map(|b| b.external.iter()), pool);
        pool_rows.push(PoolRow {
            pool: record.pools[pool].clone(),
            share_in_band: if blocks == 0 { 1.0 } else { inside as f64 / blocks as f64 },
            blocks_out_of_band: out,
            share_out_of_band: if blocks == 0 { 0.0 } else { out as f64 / blocks as f64 },
            longest_excursion_blocks: longest,
            max_abs_deviation_bps: series.iter().fold(0.0, |m: f64, d| m.max(d.abs())),
            excursions,
            open_excursions: open,
            trades: record
                .events
                .iter()
                .filter(|e| e.pool == pool && e.kind == crate::record::EventKind::Trade)
                .count() as u64,
            external_trades,
            external_volume_usd: volume,
            external_volume_in_band_usd: volume_in_band,
            volume_share_in_band: (volume > 0).then(|| volume_in_band as f64 / volume as f64),
        });
    }
    // Peg stability: end-of-block share, volume-weighted share, time out.
    let worst_pool = pool_rows.iter().min_by(|a, b| a.share_in_band.total_cmp(&b.share_in_band));
    let worst = worst_pool.map_or(1.0, |p| p.share_in_band);
    let peg_pass = worst >= PEG_SHARE_TARGET;
    rows.push(TargetRow {
        metric: "Peg stability: share of L2 blocks within ±0.10% of peg (worst pool)".to_owned(),
        target: format!("≥ {goal}% of blocks, every pool (project goal; §16 states no share)"),
        value: format!("{:.3}% ({})", worst * 100.0, worst_pool.map_or(String::new(), |p| p.pool.clone())),
        status: status(peg_pass),
    });
    let metric = "Volume-weighted peg share: external USD volume traded within ±0.10% of peg (worst pool)";
    let target = format!(
        "≥ {goal}% of the external flow's USD volume, every pool (project goal; §16 states no share)"
    );
    let worst_volume = pool_rows
        .iter()
        .filter_map(|p| p.volume_share_in_band.map(|share| (share, p)))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    match worst_volume {
        None => rows.push(na(metric, &target, "no external flow in this scenario")),
        Some((share, p)) => rows.push(TargetRow {
            metric: metric.to_owned(),
            target,
            value: format!(
                "{:.3}% ({}: {} of {} USD in {} trades)",
                share * 100.0,
                p.pool,
                p.external_volume_in_band_usd,
                p.external_volume_usd,
                p.external_trades
            ),
            status: status(share >= PEG_SHARE_TARGET),
        }),
    }
    let metric = "Time out of band: L2 blocks ending out of ±0.10% of peg, share of the run (worst pool)";
    let target = format!(
        "≤ {}% of the run, every pool (the complement of the peg goal)",
        pct_label(1.0 - PEG_SHARE_TARGET)
    );
    match worst_pool {
        None => rows.push(na(metric, &target, "no pool")),
        Some(p) => rows.push(TargetRow {
            metric: metric.to_owned(),
            target,
            value: format!(
                "{} of {blocks} blocks, {:.3}% ({}; longest excursion {} block{}{}; all pools: {})",
                p.blocks_out_of_band,
                p.share_out_of_band * 100.0,
                p.pool,
                p.longest_excursion_blocks,
                if p.longest_excursion_blocks == 1 { "" } else { "s" },
                if p.open_excursions > 0 { ", still out at the end" } else { "" },
                pool_rows
                    .iter()
                    .map(|q| format!("{} {:.3}%", q.pool, q.share_out_of_band * 100.0))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            status: status(peg_pass),
        }),
    }
    // Rebalance latency.
    latencies.sort_unstable();
    let with_open: Vec<u64> = {
        let mut all = latencies.clone();
        all.extend(open_lengths.iter().copied());
        all.sort_unstable();
        all
    };
    let open_note = if open_lengths.is_empty() {
        String::new()
    } else {
        format!(
            "; {} still out of band at the end, counted at their length so far ({} blocks)",
            open_lengths.len(),
            open_lengths.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        )
    };
    let out_in_all: u64 = pool_rows.iter().map(|p| p.blocks_out_of_band).sum();
    for (pct, name) in [(50, "p50"), (99, "p99")] {
        let metric = format!("Rebalance latency {name} (L2 blocks out of band per excursion)");
        match percentile(&with_open, pct) {
            None => rows.push(na(&metric, "< 5 blocks", "no excursion out of the band")),
            Some(value) => rows.push(TargetRow {
                metric,
                target: "< 5 blocks".to_owned(),
                value: format!(
                    "{value} ({} excursions{open_note}; {out_in_all} pool-blocks out of band in all: see Time out of band)",
                    with_open.len()
                ),
                status: status(value < LATENCY_TARGET),
            }),
        }
    }
    let latency = [percentile(&with_open, 50), percentile(&with_open, 99)];
    // Out-of-band blocks FlashContainment cannot act on: its TWAP deviation
    // is truncated to whole bps and must exceed θ.
    let dead_zone = scenario.parameters.threshold_bps as f64 + 1.0;
    let (mut out, mut dead) = (0u64, 0u64);
    for b in &record.blocks {
        for d in &b.deviation_bps {
            if !in_band(*d) {
                out += 1;
                if d.abs() < dead_zone {
                    dead += 1;
                }
            }
        }
    }
    // Flash drain recovery.
    let mut recoveries = Vec::new();
    let mut already_out = 0u64;
    for &(pool, block) in &facts.drains {
        let Some(start) = record.blocks.iter().position(|b| b.block == block) else { continue };
        // A drain on a pool that ended the previous block out of the band
        // measures the earlier excursion, not the drain: left out (counted).
        if start > 0 && record.blocks[start - 1].deviation_bps.get(pool).is_some_and(|d| !in_band(*d)) {
            already_out += 1;
            continue;
        }
        recoveries.push(recovery(record, pool, start));
    }
    recoveries.sort_unstable();
    let recovery_max = recoveries.last().copied();
    // Each shock's own recovery, from its block, whether or not its pool
    // was already out of the band.
    let mut shock_recoveries = Vec::new();
    let mut shock_notes = Vec::new();
    for &(pool, block, usd) in &facts.shocks {
        let Some(start) = record.blocks.iter().position(|b| b.block == block) else { continue };
        let back = recovery(record, pool, start);
        let before = if start > 0 { record.blocks[start - 1].deviation_bps.get(pool).copied() } else { None };
        let worst = record.blocks
            [start..=start.saturating_add(usize::try_from(back).unwrap_or(usize::MAX)).min(blocks - 1)]
            .iter()
            .filter_map(|b| b.deviation_bps.get(pool))
            .fold(0.0f64, |m, d| if d.abs() > m.abs() { *d } else { m });
        let pool_name = record.pools.get(pool).map_or("?", String::as_str);
        shock_notes.push(format!(
            "Shock: {usd} USD sold into {pool_name} in L2 block {block} (the pool ended the block before at {} bps); it ended {back} L2 blocks out of the band from the shock's block (0: none), at worst {worst:.2} bps{}.",
            before.map_or_else(|| "n/a".to_owned(), |d| format!("{d:.2}")),
            if before.is_some_and(|d| !in_band(d)) { "; the pool was already out of the band, so the drain row leaves it out" } else { "" }
        ));
        shock_recoveries.push(back);
    }
    let metric = "Flash drain recovery (L2 blocks from a drain back to the band, max)";
    match recoveries.last() {
        None => rows.push(na(
            metric,
            "< 3 blocks",
            &format!("no drain on a pool within the band ({already_out} on pools already out of it)"),
        )),
        Some(&max) => rows.push(TargetRow {
            metric: metric.to_owned(),
            target: "< 3 blocks".to_owned(),
            value: format!(
                "max {max}, p50 {} ({} drains; {already_out} more on pools already out of the band, left out){}",
                percentile(&recoveries, 50).unwrap_or(0),
                recoveries.len(),
                if shock_recoveries.is_empty() {
                    String::new()
                } else {
                    format!("; the shocks' own: {}", join(&shock_recoveries))
                }
            ),
            status: status(max < RECOVERY_TARGET),
        }),
    }
    // Cross-chain spread.
    let mut spreads: Vec<f64> = record.blocks.iter().flat_map(|b| b.spread_bps.iter().copied()).collect();
    spreads.sort_by(f64::total_cmp);
    if spreads.is_empty() {
        rows.push(na("Cross-chain spread max", "< 0.15%", "single-chain scenario"));
        rows.push(na("Cross-chain spread p99", "< 0.15%", "single-chain scenario"));
    } else {
        let max = spreads.last().copied().unwrap_or(0.0);
        let p99 = percentile(&spreads, 99).unwrap_or(0.0);
        for (name, value) in [("max", max), ("p99", p99)] {
            rows.push(TargetRow {
                metric: format!("Cross-chain spread {name}"),
                target: "< 0.15%".to_owned(),
                value: format!("{:.4}%", value / 100.0),
                status: status(value < SPREAD_TARGET_BPS),
            });
        }
    }
    // Reserve headroom.
    let mut min_headroom = f64::INFINITY;
    let mut min_asset = String::new();
    for b in &record.blocks {
        for (i, h) in b.reserve_headroom.iter().enumerate() {
            if *h < min_headroom {
                min_headroom = *h;
                min_asset = record.reserves.get(i).cloned().unwrap_or_default();
            }
        }
    }
    rows.push(TargetRow {
        metric: "Reserve headroom (min held/required over the run)".to_owned(),
        target: "≥ 1.0".to_owned(),
        value: format!("{min_headroom:.3} ({min_asset})"),
        status: status(min_headroom >= 1.0),
    });
    // Attacker P&L.
    match facts.attacker_pnl_usd {
        None => rows.push(na("Attacker P&L", "≤ 0", "no attacker in this scenario")),
        Some(pnl) => rows.push(TargetRow {
            metric: "Attacker P&L (USD at gold's true price at the end; stablecoins at their oracle)"
                .to_owned(),
            target: "≤ 0".to_owned(),
            value: format!("{pnl:.2}"),
            status: status(pnl <= 0.0),
        }),
    }
    let gas_rows: Vec<GasRow> = gas
        .calls
        .iter()
        .map(|(call, &(count, sum, max))| GasRow {
            call: call.clone(),
            count,
            mean: u64::try_from(sum / u128::from(count.max(1))).unwrap_or(u64::MAX),
            max,
        })
        .collect();
    for name in ["poke", "checkDeviation", "keeperTrade", "executePrivateSwap"] {
        let metric = format!("Gas: {name} (mean / max gas_used)");
        match gas_rows.iter().find(|g| g.call == name) {
            Some(g) => rows.push(TargetRow {
                metric,
                target: "reported".to_owned(),
                value: format!("{} / {} ({} calls)", g.mean, g.max, g.count),
                status: "INFO".to_owned(),
            }),
            None => rows.push(na(&metric, "reported", "not called in this run")),
        }
    }
    let per_pool_hour = gas_per_pool_hour(gas, pools, blocks);
    let metric = "Gas per pool-hour (keeper transactions: poke + executePrivateSwap)";
    match per_pool_hour {
        Some(value) => {
            let part = |name: &str| gas.calls.get(name).map_or(0, |&(count, _, _)| count);
            rows.push(TargetRow {
                metric: metric.to_owned(),
                target: "reported".to_owned(),
                value: format!(
                    "{value} gas ({} pokes, {} executePrivateSwap; {pools} pools × {:.2} h)",
                    part("poke"),
                    part("executePrivateSwap"),
                    blocks as f64 / crate::scenario::BLOCKS_PER_HOUR as f64
                ),
                status: "INFO".to_owned(),
            });
        }
        None => rows.push(na(metric, "reported", "no block simulated")),
    }
    let mut fact_map = BTreeMap::new();
    if let Some(value) = per_pool_hour {
        fact_map.insert("gas_per_pool_hour".to_owned(), value.to_string());
    }
    fact_map.insert("trades".to_owned(), facts.trades.to_string());
    fact_map.insert("attack_triggered_trades".to_owned(), facts.attack_triggered_trades.to_string());
    fact_map.insert("sold_depegged_token".to_owned(), facts.sold_depegged.to_string());
    fact_map.insert("drains".to_owned(), facts.drains.len().to_string());
    if !facts.shocks.is_empty() {
        fact_map.insert("shocks".to_owned(), facts.shocks.len().to_string());
        fact_map.insert("shock_recovery_blocks".to_owned(), join(&shock_recoveries));
    }
    for (name, value) in
        [("latency_p50", latency[0]), ("latency_p99", latency[1]), ("recovery_max", recovery_max)]
    {
        if let Some(value) = value {
            fact_map.insert(name.to_owned(), value.to_string());
        }
    }
    if !facts.episode_costs.is_empty() {
        let total: f64 = facts.episode_costs.iter().sum();
        fact_map.insert("manipulation_episodes".to_owned(), facts.episode_costs.len().to_string());
        fact_map.insert("manipulation_cost_usd".to_owned(), format!("{total:.2}"));
    }
    if let Some(pnl) = facts.attacker_pnl_usd {
        fact_map.insert("attacker_pnl_usd".to_owned(), format!("{pnl:.2}"));
    }
    fact_map.extend(facts.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut notes = vec![
        format!(
            "Peg stability: a block is within the band when the public pool's mid price (getMidPrice) at the end of the block is within ±{PEG_BAND_BPS} bps of its oracle peg (inclusive); PASS when every pool has at least {goal}% of its blocks within. The bar is the project's goal: spec §16 gives the band and states no share."
        ),
        format!(
            "Volume-weighted peg share: the USD volume of the seeded external flow (its ordinary trades and its drains, src/flow.rs; not the arbitrageurs' trades toward the true price, src/arbitrage.rs, which trade because the pool is off; not the keeper's corrections, an attacker's trades, first-poke-suppress's scripted seller, the parity bot's or the treasury's), each trade weighted by its size in USD (what the flow drew, sold as that many USD of the token at the oracle price). A trade is within the band when the pool's mid price (getMidPrice, an eth_call) against its oracle peg, read just before the trade executes (after the block's attacker, its earlier external trades, and the keeper's and the arbitrageurs' transactions when they fell earlier in the block), is within ±{PEG_BAND_BPS} bps, as the end-of-block share reads it. Per pool: USD traded within over all its external USD; PASS when every pool with external volume has at least {goal}%. record.json keeps every such trade (block, pool, USD, deviation before it, drain or not) under each block's `external`."
        ),
        "Time out of band: per pool, the L2 blocks it ended out of the band (every excursion's length, one still open at the end included) and their share of the run's blocks (1 − its end-of-block share); the row gives the worst pool, its longest excursion and every pool's share.".to_owned(),
        "Rebalance latency: for each excursion, the L2 blocks from the first block a pool ends out of the band to the first block it ends back in it (nearest-rank percentiles over all pools' excursions). An excursion still open at the end of the run is counted at its length so far (the row says how many, and their lengths); an excursion that ends without a correction counts like one that is corrected. Latency is per excursion: many short excursions give a low latency however much of the run a pool spends out of the band, which the time out of band gives.".to_owned(),
        "Flash drain recovery: for each drain (a large external sale, or a flash-loan manipulation) on a pool that ended the previous block within the band, the L2 blocks from the drain's block until the pool ends a block back within the band (0: it never ended a block outside); drains on pools already out of the band are counted but left out.".to_owned(),
        "Releases: each correction's mesh release of tokenIn (meshReturned) is recorded by the Stabilizer itself (ReserveSizer.recordRelease: checked against the required reserve, not counted in the peak minute outflow P, since the mesh takes in the other token); with a Stabilizer that does not record it (before issue 12), the reporter records it as an outflow, so heavy correction traffic raised P and the required reserve. The reporter still records the scenario's real outflows (an LP withdrawal).".to_owned(),
        "Reserve headroom: per asset, the mesh's balance over the ReserveSizer's requiredReserve (P × T × safety), minimum over the blocks.".to_owned(),
        "Gas per pool-hour: the summed gas_used of the keeper's transactions (poke and executePrivateSwap; checkDeviation, keeperTrade and the keeper's price reads are free eth_calls) over pools × simulated hours (14,400 L2 blocks an hour); the reporter's recordOutflow is listed in the gas table but not counted.".to_owned(),
        format!(
            "§11: depth {} USD per side gives a max drift of {} USD at the allowed deviation of {} bps.",
            scenario.market.depth_usd,
            scenario.market.depth_usd * scenario.market.allowed_deviation_bps / 10_000,
            scenario.market.allowed_deviation_bps
        ),
    ];
    if dead > 0 {
        notes.push(format!(
            "Of {out} pool-blocks out of the ±{PEG_BAND_BPS} bps band, {dead} were below θ + 1 = {dead_zone} bps: FlashContainment truncates its TWAP deviation to whole bps and triggers only above θ = {} bps, so with θ at the band's edge a pool can stay just outside the band without any correction.",
            scenario.parameters.threshold_bps
        ));
    }
    notes.extend(facts.attack_episodes.iter().map(|e| format!("attack episode: {e}")));
    notes.extend(facts.notes.iter().cloned());
    notes.extend(shock_notes);
    Summary {
        scenario: scenario.name.clone(),
        description: scenario.description.clone(),
        seed,
        blocks: blocks as u64,
        parameters: scenario.parameters.clone(),
        targets: rows,
        pools: pool_rows,
        gas: gas_rows,
        gas_per_pool_hour: per_pool_hour,
        trades: facts.trades,
        refusals: facts.refusals.clone(),
        facts: fact_map,
        notes,
        plots: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::BlockRecord;

    fn scenario(blocks: usize) -> Scenario {
        let mut scenario: Scenario = toml::from_str(&format!("seed = 1\nblocks = {blocks}")).expect("parses");
        scenario.name = "synthetic".to_owned();
        scenario
    }

    /// A run of `deviations.len()` blocks; `deviations[block][pool]`.
    fn record(deviations: &[Vec<f64>]) -> RunRecord {
        let pools = deviations.first().map_or(0, Vec::len);
        RunRecord {
            scenario: "synthetic".to_owned(),
            pools: (0..pools).map(|p| format!("pool{p}")).collect(),
            reserves: vec!["r".to_owned()],
            blocks: deviations
                .iter()
                .zip(1..)
                .map(|(d, block)| BlockRecord {
                    block,
                    deviation_bps: d.clone(),
                    reserve_headroom: vec![2.0],
                    ..BlockRecord::default()
                })
                .collect(),
            events: Vec::new(),
        }
    }

    fn summarized(record: &RunRecord) -> Summary {
        summarize(&scenario(record.blocks.len()), 1, record, &GasStats::default(), &Facts::default())
    }

    fn row<'a>(summary: &'a Summary, metric: &str) -> &'a TargetRow {
        summary.row(metric).unwrap_or_else(|| panic!("no row {metric}: {:?}", summary.targets))
    }

    #[test]
    fn the_peg_bar_is_the_projects_goal() {
        assert_eq!(peg_goal_pct(), "99.9");
        // 1,000 blocks: one out of the band is 99.9% (PASS), two are 99.8%.
        for (out, expected) in [(0u64, "PASS"), (1, "PASS"), (2, "FAIL")] {
            let deviations: Vec<Vec<f64>> =
                (0..1_000u64).map(|b| vec![if b < out { 25.0 } else { 3.0 }, 0.0]).collect();
            let summary = summarized(&record(&deviations));
            let peg = row(&summary, "Peg stability");
            assert_eq!(peg.status, expected, "{out} out: {peg:?}");
            assert_eq!(peg.target, "≥ 99.9% of blocks, every pool (project goal; §16 states no share)");
            assert_eq!(row(&summary, "Time out of band").status, expected);
            assert_eq!(summary.pools[0].blocks_out_of_band, out);
        }
    }

    #[test]
    fn a_pool_out_of_band_48_percent_of_the_run_fails_even_with_a_latency_of_one() {
        // 100 blocks: pool 0 leaves the band every other block for the first
        // 96 (48 one-block excursions, each back the next block with no
        // correction); pool 1 stays at the peg.
        let deviations: Vec<Vec<f64>> =
            (0..100).map(|b| vec![if b % 2 == 1 && b < 96 { -30.0 } else { 2.0 }, 0.0]).collect();
        let summary = summarized(&record(&deviations));
        let pool = &summary.pools[0];
        assert_eq!(pool.blocks_out_of_band, 48);
        assert!((pool.share_out_of_band - 0.48).abs() < 1e-12, "{pool:?}");
        assert!((pool.share_in_band - 0.52).abs() < 1e-12, "{pool:?}");
        assert_eq!((pool.excursions, pool.open_excursions, pool.longest_excursion_blocks), (48, 0, 1));
        assert_eq!(summary.pools[1].blocks_out_of_band, 0);
        // Per excursion, the latency is 1 block: it passes...
        assert_eq!(row(&summary, "Rebalance latency p99").status, "PASS");
        assert!(row(&summary, "Rebalance latency p99").value.contains("48 pool-blocks out of band in all"));
        // ...but the pool spent 48% of the run out of the band.
        let time = row(&summary, "Time out of band");
        assert_eq!(time.status, "FAIL");
        assert!(time.value.starts_with("48 of 100 blocks, 48.000% (pool0;"), "{time:?}");
        assert_eq!(row(&summary, "Peg stability").status, "FAIL");
        assert_eq!(row(&summary, "Peg stability").value, "52.000% (pool0)");
    }

    #[test]
    fn an_excursion_open_at_the_end_counts_in_latency_and_in_time_out_of_band() {
        // Out of the band from block 53 to the end: 48 blocks, never back.
        let deviations: Vec<Vec<f64>> = (0..100).map(|b| vec![if b >= 52 { 40.0 } else { 0.0 }]).collect();
        let summary = summarized(&record(&deviations));
        let pool = &summary.pools[0];
        assert_eq!(
            (pool.blocks_out_of_band, pool.open_excursions, pool.longest_excursion_blocks),
            (48, 1, 48)
        );
        let p99 = row(&summary, "Rebalance latency p99");
        assert_eq!(p99.status, "FAIL");
        assert!(
            p99.value.starts_with("48 (1 excursions; 1 still out of band at the end, counted at their length so far (48 blocks)"),
            "{p99:?}"
        );
        let time = row(&summary, "Time out of band");
        assert!(time.value.starts_with(
            "48 of 100 blocks, 48.000% (pool0; longest excursion 48 blocks, still out at the end;"
        ));
        assert_eq!(time.status, "FAIL");
    }

    fn trade(pool: usize, usd: u64, deviation_bps: f64, drain: bool) -> ExternalTrade {
        ExternalTrade { pool, usd, deviation_bps, drain, informed: false }
    }

    #[test]
    fn the_volume_weighted_share_weighs_each_external_trade_by_its_usd() {
        // Every block ends in the band: the end-of-block share is 100%, but
        // the external flow traded part of its volume out of it.
        let mut rec = record(&vec![vec![0.0, 0.0, 0.0]; 10]);
        rec.blocks[0].external = vec![trade(0, 100, 0.0, false), trade(0, 250, 10.0, false)];
        rec.blocks[3].external =
            vec![trade(0, 400, -10.01, false), trade(1, 1_000, 4.0, false), trade(0, 50, 35.0, false)];
        rec.blocks[7].external = vec![trade(0, 1_200, -9.99, true), trade(1, 1, 12.0, false)];
        let summary = summarized(&rec);
        // Pool 0: 100 + 250 (at the band's edge, within) + 1,200 of 2,000.
        let p0 = &summary.pools[0];
        assert_eq!(
            (p0.external_volume_usd, p0.external_volume_in_band_usd, p0.external_trades),
            (2_000, 1_550, 5)
        );
        assert_eq!(p0.volume_share_in_band, Some(0.775));
        // Pool 1: 1,000 of 1,001 (99.9001%); pool 2: no external flow.
        let p1 = &summary.pools[1];
        assert_eq!((p1.external_volume_usd, p1.external_volume_in_band_usd), (1_001, 1_000));
        assert!(p1.volume_share_in_band.is_some_and(|s| s >= PEG_SHARE_TARGET));
        assert_eq!(summary.pools[2].volume_share_in_band, None);
        assert_eq!(row(&summary, "Peg stability").status, "PASS");
        let volume = row(&summary, "Volume-weighted peg share");
        assert_eq!(volume.status, "FAIL");
        assert_eq!(volume.value, "77.500% (pool0: 1550 of 2000 USD in 5 trades)");
        // The same bar: 999 of 1,000 passes, 998 of 1,000 fails.
        for (inside, expected) in [(999, "PASS"), (998, "FAIL")] {
            let mut rec = record(&vec![vec![0.0]; 2]);
            rec.blocks[1].external =
                vec![trade(0, inside, 0.0, false), trade(0, 1_000 - inside, -11.0, false)];
            assert_eq!(row(&summarized(&rec), "Volume-weighted peg share").status, expected);
        }
        // No external flow at all: not measured.
        assert_eq!(row(&summarized(&record(&vec![vec![0.0]; 2])), "Volume-weighted peg share").status, "N/A");
    }
}
