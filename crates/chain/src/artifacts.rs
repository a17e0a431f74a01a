//! The committed Solidity fixtures (`tests/solidity/artifacts/*.json`,
//! built by `scripts/build-fixtures`), ready to deploy on a [`World`], and
//! the contracts' compiled wasm (`scripts/build-wasm`).

use std::{fs, path::PathBuf};

use alloy_primitives::{hex, Address};

use crate::{CallOutcome, World};

/// One compiled Solidity contract.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The contract name (the artifact's file stem).
    pub name: String,
    /// Its JSON ABI.
    pub abi: serde_json::Value,
    /// Creation bytecode (constructor arguments are appended to it).
    pub bytecode: Vec<u8>,
    /// Runtime bytecode.
    pub deployed_bytecode: Vec<u8>,
}

/// Why an artifact could not be loaded.
#[derive(Debug)]
pub enum ArtifactError {
    /// The file could not be read.
    Io(PathBuf, std::io::Error),
    /// The file is not a `{abi, bytecode, deployedBytecode}` artifact.
    Format(PathBuf, String),
    /// A contract's compiled wasm could not be read.
    Wasm(PathBuf, std::io::Error),
}

impl std::fmt::Display for ArtifactError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(path, e) => {
                write!(f, "cannot read {} ({e}): run scripts/build-fixtures", path.display())
            }
            Self::Format(path, why) => write!(f, "{} is not an artifact: {why}", path.display()),
            Self::Wasm(path, e) => {
                write!(f, "cannot read {} ({e}): run scripts/build-wasm first", path.display())
            }
        }
    }
}

impl std::error::Error for ArtifactError {}

/// The directory holding the committed artifacts.
pub fn artifacts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/solidity/artifacts")
}

/// Where `scripts/build-wasm` leaves the wasm of a contract after the
/// Stylus.toml wasm-opt pass (the bytes cargo-stylus deploys), by file stem
/// (`reserve_sizer` for the `reserve-sizer` package): `target/stylus/`,
/// honouring `CARGO_TARGET_DIR`, or `$VAULT_WASM_DIR` when it is set.
pub fn contract_wasm_path(stem: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("VAULT_WASM_DIR") {
        return PathBuf::from(dir).join(format!("{stem}.wasm"));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"), PathBuf::from);
    target.join("stylus").join(format!("{stem}.wasm"))
}

/// Reads a contract's compiled wasm (see [`contract_wasm_path`]).
///
/// # Errors
/// [`ArtifactError::Wasm`] when it has not been built.
pub fn contract_wasm(stem: &str) -> Result<Vec<u8>, ArtifactError> {
    let path = contract_wasm_path(stem);
    fs::read(&path).map_err(|e| ArtifactError::Wasm(path, e))
}

impl Artifact {
    /// Loads `tests/solidity/artifacts/<name>.json`.
    ///
    /// # Errors
    /// [`ArtifactError`] when the file is missing or malformed.
    pub fn load(name: &str) -> Result<Self, ArtifactError> {
        let path = artifacts_dir().join(format!("{name}.json"));
        let text = fs::read_to_string(&path).map_err(|e| ArtifactError::Io(path.clone(), e))?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| ArtifactError::Format(path.clone(), e.to_string()))?;
        let code = |field: &str| -> Result<Vec<u8>, ArtifactError> {
            let text = json[field]
                .as_str()
                .ok_or_else(|| ArtifactError::Format(path.clone(), format!("no `{field}` string")))?;
            hex::decode(text).map_err(|e| ArtifactError::Format(path.clone(), format!("`{field}`: {e}")))
        };
        Ok(Self {
            name: name.to_owned(),
            bytecode: code("bytecode")?,
            deployed_bytecode: code("deployedBytecode")?,
            abi: json["abi"].clone(),
        })
    }

    /// Deploys the contract from `from` with ABI-encoded constructor `args`
    /// (without a selector), in one transaction.
    ///
    /// # Errors
    /// The failed deployment's outcome.
    pub fn deploy(&self, world: &mut World, from: Address, args: &[u8]) -> Result<Address, Box<CallOutcome>> {
        let mut init_code = self.bytecode.clone();
        init_code.extend_from_slice(args);
        world.deploy_evm(from, &init_code)
    }
}
