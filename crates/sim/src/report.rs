//! Writes a run's report: `report.md`, `report.json` and `record.json`
//! under `target/sim/<scenario>/`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::metrics::Summary;
use crate::record::RunRecord;
use crate::SimError;

/// The files written.
#[derive(Debug, Clone)]
pub struct Written {
    /// `report.md`.
    pub markdown: PathBuf,
    /// `report.json`.
    pub json: PathBuf,
    /// `record.json`.
    pub record: PathBuf,
}

/// `target/sim/<scenario>` of the workspace (honours `CARGO_TARGET_DIR`).
pub fn default_dir(scenario: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| crate::workspace_root().join("target"), PathBuf::from);
    target.join("sim").join(scenario)
}

/// The Markdown report.
pub fn markdown(summary: &Summary) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Simulation report: {}\n", summary.scenario);
    if !summary.description.is_empty() {
        let _ = writeln!(md, "{}\n", summary.description);
    }
    let _ = writeln!(
        md,
        "Seed {}, {} L2 blocks of 250 ms ({:.2} hours), real wasm of the four contracts on the in-process chain.\n",
        summary.seed,
        summary.blocks,
        summary.blocks as f64 / 14_400.0
    );
    let _ = writeln!(md, "## §16 targets\n\n| metric | target | value | status |\n|---|---|---|---|");
    for row in &summary.targets {
        let _ = writeln!(md, "| {} | {} | {} | **{}** |", row.metric, row.target, row.value, row.status);
    }
    let _ = writeln!(
        md,
        "\n## Pools\n\n| pool | share of blocks in ±0.10% | blocks out of band | % of run out of band | longest excursion (blocks) | volume-weighted share in ±0.10% | external volume (USD, trades) | max abs deviation (bps) | excursions | open at end | corrections |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for p in &summary.pools {
        let volume_share =
            p.volume_share_in_band.map_or_else(|| "–".to_owned(), |share| format!("{:.3}%", share * 100.0));
        let _ = writeln!(
            md,
            "| {} | {:.3}% | {} | {:.3}% | {} | {volume_share} | {} ({}) | {:.2} | {} | {} | {} |",
            p.pool,
            p.share_in_band * 100.0,
            p.blocks_out_of_band,
            p.share_out_of_band * 100.0,
            p.longest_excursion_blocks,
            p.external_volume_usd,
            p.external_trades,
            p.max_abs_deviation_bps,
            p.excursions,
            p.open_excursions,
            p.trades
        );
    }
    let _ = writeln!(
        md,
        "\n## Gas per call type\n\n| call | count | mean gas_used | max gas_used |\n|---|---:|---:|---:|"
    );
    for g in &summary.gas {
        let _ = writeln!(md, "| {} | {} | {} | {} |", g.call, g.count, g.mean, g.max);
    }
    let _ = writeln!(md, "\n## Facts\n\n| fact | value |\n|---|---|");
    for (k, v) in &summary.facts {
        let _ = writeln!(md, "| {k} | {v} |");
    }
    if !summary.refusals.is_empty() {
        let _ = writeln!(md, "\n## Refusals\n\n| call: error | count |\n|---|---:|");
        for (k, v) in &summary.refusals {
            let _ = writeln!(md, "| {k} | {v} |");
        }
    }
    let _ = writeln!(
        md,
        "\n## Parameters\n\n```toml\n{}```",
        toml::to_string(&summary.parameters).unwrap_or_default()
    );
    let _ = writeln!(md, "\n## Definitions and notes\n");
    for note in &summary.notes {
        let _ = writeln!(md, "- {note}");
    }
    if !summary.plots.is_empty() {
        let _ = writeln!(md, "\n## Plots\n");
        for plot in &summary.plots {
            let name = Path::new(plot)
                .file_name()
                .map_or_else(|| plot.clone(), |n| n.to_string_lossy().into_owned());
            let _ = writeln!(md, "![{name}]({name})");
        }
    }
    md
}

/// Writes the three files into `dir`.
///
/// # Errors
/// [`SimError::Io`].
pub fn write(dir: &Path, record: &RunRecord, summary: &Summary) -> Result<Written, SimError> {
    std::fs::create_dir_all(dir).map_err(|e| SimError::Io(dir.to_path_buf(), e))?;
    let written = Written {
        markdown: dir.join("report.md"),
        json: dir.join("report.json"),
        record: dir.join("record.json"),
    };
    let put = |path: &Path, text: String| {
        std::fs::write(path, text).map_err(|e| SimError::Io(path.to_path_buf(), e))
    };
    put(&written.markdown, markdown(summary))?;
    put(&written.json, serde_json::to_string_pretty(summary).map_err(|e| SimError::Report(e.to_string()))?)?;
    put(&written.record, serde_json::to_string(record).map_err(|e| SimError::Report(e.to_string()))?)?;
    Ok(written)
}
