//! The stress simulator (spec §11, §16, Phase 5): the compiled contracts on
//! the in-process chain, driven block by block by seeded external flow, a
//! keeper and attackers, measured against the §16 targets.
#![allow(clippy::cast_precision_loss)]

pub mod abi;
pub mod arbitrage;
pub mod bridge;
pub mod flow;
pub mod keeper;
pub mod market;
pub mod metrics;
pub mod plot;
pub mod price;
pub mod record;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod treasury;

use std::path::PathBuf;

pub use metrics::Summary;
pub use record::RunRecord;
pub use scenario::{RunOptions, Scenario};
pub use sim::{run_scenario, run_scenario_with};

/// Why a run could not complete.
#[derive(Debug)]
pub enum SimError {
    /// A file could not be read or written.
    Io(PathBuf, std::io::Error),
    /// A scenario file is invalid.
    Scenario(String),
    /// The contracts' wasm or the fixtures are missing.
    Setup(String),
    /// A call that must succeed failed.
    Chain(String),
    /// An exact computation failed.
    Math(String),
    /// The report could not be serialised.
    Report(String),
    /// `scripts/build-wasm` failed.
    Build(String),
}

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(path, e) => write!(f, "{}: {e}", path.display()),
            Self::Scenario(why) => write!(f, "scenario: {why}"),
            Self::Setup(why) => write!(f, "setup: {why}"),
            Self::Chain(why) => write!(f, "chain: {why}"),
            Self::Math(why) => write!(f, "math: {why}"),
            Self::Report(why) => write!(f, "report: {why}"),
            Self::Build(why) => write!(f, "build: {why}"),
        }
    }
}

impl std::error::Error for SimError {}

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().and_then(std::path::Path::parent).map_or_else(|| manifest.join("../.."), PathBuf::from)
}

/// The shipped scenarios' directory (`crates/sim/scenarios`).
pub fn scenarios_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// Runs `scripts/build-wasm` (incremental), so the wasm the run deploys is
/// the current source's.
///
/// # Errors
/// [`SimError::Build`] when it cannot start or fails.
pub fn build_wasm() -> Result<(), SimError> {
    let script = workspace_root().join("scripts/build-wasm");
    let status = std::process::Command::new("bash")
        .arg(&script)
        .current_dir(workspace_root())
        .status()
        .map_err(|e| SimError::Build(format!("{}: {e}", script.display())))?;
    if status.success() {
        Ok(())
    } else {
        Err(SimError::Build(format!("{} exited with {status}", script.display())))
    }
}

/// Points [`vault_chain::artifacts::contract_wasm`] at `target/stylus`
/// (what `scripts/build-wasm` writes) unless `VAULT_WASM_DIR` is set.
pub fn use_stylus_wasm_dir() {
    if std::env::var_os("VAULT_WASM_DIR").is_none() {
        // scripts/build-wasm always writes <workspace>/target/stylus.
        std::env::set_var("VAULT_WASM_DIR", workspace_root().join("target/stylus"));
    }
}

/// The PNG plots of a run (`plot::write_plots`), as paths; a plotting
/// failure is printed and yields none (the report does not depend on it).
pub fn write_plots(record: &RunRecord, dir: &std::path::Path) -> Vec<String> {
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("plots: {}: {e}", dir.display());
        return Vec::new();
    }
    match plot::write_plots(record, dir) {
        Ok(paths) => paths.into_iter().map(|p| p.display().to_string()).collect(),
        Err(e) => {
            eprintln!("plots: {e}");
            Vec::new()
        }
    }
}
