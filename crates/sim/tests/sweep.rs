//! CI's short sweep: two combinations over two scenarios on the real wasm,
//! and the choice rule on hand-made rows.
//!
//! Needs the contracts' wasm (`scripts/build-wasm`, as `scripts/test` runs
//! it first).

use vault_sim::scenario::Parameters;
use vault_sim::sweep::{self, Combo, Grid, Probe, ScenarioResult, SweepOptions, SweepRow};
use vault_sim::Scenario;

fn scenario(name: &str) -> Scenario {
    Scenario::load(&vault_sim::scenarios_dir().join(format!("{name}.toml"))).expect("scenario loads")
}

fn row(pass: bool, cost: f64, p99: u64, share: f64) -> SweepRow {
    SweepRow {
        combo: Combo::of(&Parameters::default()),
        results: vec![ScenarioResult {
            scenario: "s".to_owned(),
            pass,
            failed: Vec::new(),
            worst_share: share,
            latency_p50: Some(1),
            latency_p99: Some(p99),
            recovery_max: Some(2),
            trades: 1,
        }],
        probe: Probe {
            push_bps: 13,
            hold_blocks: 16,
            episodes: 2,
            triggered_trades: 2,
            cost_usd: cost * 2.0,
        },
        pass,
    }
}

#[test]
fn the_choice_passes_then_holds_the_peg_then_corrects_fastest_then_costs_most() {
    // A failing row is never chosen, however good its figures.
    assert_eq!(sweep::choose(&[row(false, 100.0, 1, 1.0), row(true, 5.0, 4, 0.99)]), Some(1));
    // The larger worst peg share wins over latency and cost.
    assert_eq!(sweep::choose(&[row(true, 9.0, 1, 0.995), row(true, 5.0, 4, 0.999)]), Some(1));
    // At equal share, the lower p99 latency, then the costlier manipulation.
    assert_eq!(sweep::choose(&[row(true, 9.0, 3, 1.0), row(true, 6.0, 2, 1.0)]), Some(1));
    assert_eq!(sweep::choose(&[row(true, 6.0, 2, 1.0), row(true, 7.0, 2, 1.0)]), Some(1));
    // A full tie goes to the first row.
    assert_eq!(sweep::choose(&[row(true, 6.0, 2, 1.0), row(true, 6.0, 2, 1.0)]), Some(0));
    // Nothing passes: no choice.
    assert_eq!(sweep::choose(&[row(false, 6.0, 2, 0.5)]), None);
}

#[test]
fn a_short_sweep_runs_every_combination_and_probes_a_triggering_manipulation() {
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
        // The probe's manipulation finishes every episode and makes the
        // Stabilizer trade, at a cost to the attacker.
        assert_eq!(row.probe.episodes, 2, "{row:?}");
        assert!(row.probe.triggered_trades >= 2, "{row:?}");
        assert!(row.probe.cost_usd > 0.0, "{row:?}");
    }
    assert_eq!(report.chosen, sweep::choose(&report.rows));
    let md = sweep::markdown(&report);
    assert!(md.contains("| 8 | 2 | 3 | 1 | 5000000 | 25000 | 0.01 |"), "{md}");
    assert!(md.contains("| 8 | 3 | 3 | 1 | 5000000 | 25000 | 0.01 |"), "{md}");
}
