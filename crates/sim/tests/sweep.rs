//! CI's short sweep: two combinations over two scenarios on the real wasm,
//! the choice rule on hand-made rows, and a run's figures as the sweep
//! reads them.
//!
//! Needs the contracts' wasm (`scripts/build-wasm`, as `scripts/test` runs
//! it first).

use vault_sim::metrics::Summary;
use vault_sim::scenario::Parameters;
use vault_sim::sweep::{self, Combo, Grid, Probe, ScenarioResult, SweepOptions, SweepRow};
use vault_sim::Scenario;

fn scenario(name: &str) -> Scenario {
    Scenario::load(&vault_sim::scenarios_dir().join(format!("{name}.toml"))).expect("scenario loads")
}

/// A probe of 2 episodes costing `cost` USD each at the true price
/// (`None`: it triggered no correction, and cost 100 USD an episode).
fn probe(arbitrage: bool, cost: Option<f64>) -> Probe {
    Probe {
        arbitrage,
        push_bps: 13,
        hold_blocks: 15,
        episodes: 2,
        triggered_trades: if cost.is_some() { 2 } else { 0 },
        cost_usd: 0.0,
        cost_usd_true: cost.unwrap_or(100.0) * 2.0,
    }
}

/// A hand-made row: `failed` failed targets, one shock recovered in
/// `shock` blocks, the worst peg share, the worst p99, and the probes'
/// costs per episode with and without arbitrageurs.
fn row(failed: usize, shock: u64, share: f64, p99: u64, costs: (Option<f64>, Option<f64>)) -> SweepRow {
    SweepRow {
        combo: Combo::of(&Parameters::default()),
        results: vec![ScenarioResult {
            scenario: "s".to_owned(),
            pass: failed == 0,
            failed: (0..failed).map(|i| format!("target {i}")).collect(),
            worst_share: share,
            latency_p50: Some(1),
            latency_p99: Some(p99),
            recovery_max: Some(2),
            shock_recovery: vec![shock],
            trades: 1,
            mesh_pnl_usd: None,
            lp_pnl_usd: None,
            keeper_gas_usd: None,
            attacker_pnl_usd: None,
        }],
        probe: probe(true, costs.0),
        probe_no_arbitrage: probe(false, costs.1),
        pass: failed == 0,
    }
}

#[test]
fn the_choice_fails_fewest_then_recovers_from_shocks_then_holds_the_peg_then_corrects_fastest_then_costs_most(
) {
    let cost = |c: f64| (Some(c), Some(c));
    // The rows' combination is not the defaults here: ties go to grid order.
    let elsewhere = Combo { k_usd: 1, ..Combo::of(&Parameters::default()) };
    let choose = |rows: &[SweepRow]| sweep::choose(rows, &elsewhere);
    // A failing row is never chosen over a passing one, however good its
    // figures.
    assert_eq!(choose(&[row(1, 1, 1.0, 1, (None, None)), row(0, 5, 0.99, 4, cost(5.0))]), Some(1));
    // When none passes, a row is still chosen: the fewest failed targets.
    let rows =
        [row(3, 1, 1.0, 1, (None, None)), row(2, 5, 0.5, 9, cost(1.0)), row(4, 1, 1.0, 1, (None, None))];
    assert_eq!(choose(&rows), Some(1));
    assert!(!rows[1].pass);
    // At equal failures, the faster shock recovery wins over the peg share.
    assert_eq!(choose(&[row(1, 3, 1.0, 1, cost(9.0)), row(1, 2, 0.99, 4, cost(5.0))]), Some(1));
    // At equal recovery, the larger worst peg share wins over latency and cost.
    assert_eq!(choose(&[row(0, 1, 0.995, 1, cost(9.0)), row(0, 1, 0.999, 4, cost(5.0))]), Some(1));
    // At equal share, the lower p99 latency, then the costlier manipulation
    // with arbitrageurs.
    assert_eq!(choose(&[row(0, 1, 1.0, 3, cost(9.0)), row(0, 1, 1.0, 2, cost(6.0))]), Some(1));
    assert_eq!(choose(&[row(0, 1, 1.0, 2, cost(6.0)), row(0, 1, 1.0, 2, cost(7.0))]), Some(1));
    // A manipulation that triggers no correction ranks costliest, whatever
    // it spent (100 USD an episode here, against 150 that triggered one).
    assert_eq!(
        choose(&[row(0, 1, 1.0, 2, (Some(150.0), Some(6.0))), row(0, 1, 1.0, 2, (None, Some(6.0)))]),
        Some(1)
    );
    // With arbitrageurs tied (no trade in either), the costlier without them.
    assert_eq!(
        choose(&[row(0, 1, 1.0, 2, (None, Some(12.0))), row(0, 1, 1.0, 2, (None, Some(12.5)))]),
        Some(1)
    );
    // A full tie goes to the first row, unless the defaults are among the
    // tied: then to them. No rows, no choice.
    let tie = [row(2, 3, 0.9, 3, (None, None)), row(2, 3, 0.9, 3, (None, None))];
    assert_eq!(choose(&tie), Some(0));
    let mut moved = tie.clone();
    moved[0].combo = elsewhere;
    assert_eq!(sweep::choose(&moved, &Combo::of(&Parameters::default())), Some(1));
    assert!(sweep::rank(&moved[0], &moved[1]).is_eq());
    // ... but a measured difference moves the default.
    moved[0].results[0].worst_share = 0.95;
    assert_eq!(sweep::choose(&moved, &Combo::of(&Parameters::default())), Some(0));
    assert_eq!(choose(&[]), None);
    // The row's figures summed and worst over its scenarios.
    let mut two = row(2, 3, 0.999, 2, cost(1.0));
    let mut second = two.results[0].clone();
    second.failed.push("another".to_owned());
    second.shock_recovery = vec![1, 4];
    second.worst_share = 0.998;
    two.results.push(second);
    assert_eq!((two.failed_targets(), two.worst_shock_recovery()), (5, 4));
    assert!((two.worst_share() - 0.998).abs() < 1e-12);
}

#[test]
fn a_run_gives_the_sweep_its_failed_targets_shock_recoveries_and_costs() {
    let summary: Summary = serde_json::from_value(serde_json::json!({
        "scenario": "shock-10pct",
        "description": "",
        "seed": 1,
        "blocks": 10,
        "parameters": {},
        "targets": [
            { "metric": "Flash drain recovery (L2 blocks from a drain back to the band, max)",
              "target": "< 3 blocks", "value": "max 4", "status": "FAIL" },
            { "metric": "Rebalance latency p99", "target": "< 5 blocks", "value": "4", "status": "PASS" },
            { "metric": "Cross-chain spread max", "target": "< 0.15%", "value": "", "status": "N/A" }
        ],
        "pools": [],
        "gas": [],
        "trades": 3,
        "refusals": {},
        "facts": {
            "shock_recovery_blocks": "1, 4",
            "recovery_max": "4",
            "latency_p99": "4",
            "mesh_pnl_usd": "-12.50",
            "keeper_gas_usd": "0.25",
            "attacker_pnl_usd": "-3.10"
        },
        "notes": []
    }))
    .expect("a summary");
    let result = sweep::result_of(&summary);
    assert!(!result.pass);
    assert_eq!(result.failed, ["Flash drain recovery (L2 blocks from a drain back to the band, max)"]);
    assert_eq!(result.shock_recovery, [1, 4]);
    assert_eq!((result.recovery_max, result.latency_p99, result.latency_p50), (Some(4), Some(4), None));
    assert_eq!(
        (result.mesh_pnl_usd, result.lp_pnl_usd, result.keeper_gas_usd),
        (Some(-12.5), None, Some(0.25))
    );
    assert_eq!(result.attacker_pnl_usd, Some(-3.1));
}

#[test]
fn a_short_sweep_runs_every_combination_and_probes_the_manipulation_with_and_without_arbitrageurs() {
    vault_sim::use_stylus_wasm_dir();
    let grid = Grid {
        threshold_bps: vec![8],
        sustain_blocks: vec![2, 3],
        twap_window: vec![3],
        min_blocks: vec![1],
        k_usd: vec![5_000_000],
        cap_usd: vec![25_000],
        mesh_k_e18: vec![10_000_000_000_000_000],
    };
    let options = SweepOptions { blocks: Some(120), probe_episodes: 2, jobs: 2, progress: false };
    let report = sweep::run_sweep(&[scenario("baseline"), scenario("stress-5x")], &grid, &options)
        .expect("the sweep runs");
    assert_eq!(report.rows.len(), 2);
    for (row, sustain) in report.rows.iter().zip([2, 3]) {
        assert_eq!(row.combo.sustain_blocks, sustain);
        assert_eq!(row.results.len(), 2);
        assert_eq!(row.results[0].scenario, "baseline");
        assert_eq!(row.pass, row.results.iter().all(|r| r.pass));
        // Under the default market the arbitrageurs undo the push a block
        // after each top-up, so the manipulation never holds a sustained
        // deviation: it finishes every episode, triggers no correction,
        // and pays the arbitrageurs for it (at the true price).
        let (with, without) = (&row.probe, &row.probe_no_arbitrage);
        assert!(with.arbitrage && !without.arbitrage);
        assert_eq!(with.episodes, 2, "{row:?}");
        assert_eq!(with.triggered_trades, 0, "{row:?}");
        assert!(with.cost_usd_true > 0.0, "{row:?}");
        assert!(with.rank_cost().is_infinite());
        // Without them it makes the Stabilizer trade, at a cost to the
        // attacker: less than the arbitrageurs take.
        assert_eq!(without.episodes, 2, "{row:?}");
        assert!(without.triggered_trades >= 2, "{row:?}");
        assert!(without.cost_usd_true > 0.0 && without.cost_usd > 0.0, "{row:?}");
        assert!(without.cost_usd_true < with.cost_usd_true, "{row:?}");
    }
    // Passing or not, a row is chosen, by the rule.
    assert!(report.chosen.is_some());
    assert_eq!(report.chosen, sweep::choose(&report.rows, &report.defaults));
    assert_eq!(report.chosen_passes(), report.rows.iter().any(|r| r.pass));
    let md = sweep::markdown(&report);
    assert!(md.contains("| 8 | 2 | 3 | 1 | 5000000 | 25000 | 0.01 |"), "{md}");
    assert!(md.contains("| 8 | 3 | 3 | 1 | 5000000 | 25000 | 0.01 |"), "{md}");
    assert!(md.contains("no trade ("), "{md}");
    assert!(md.contains("**chosen**"), "{md}");
}
