//! Prints raw, processed and deployed sizes of each contract wasm and fails
//! when one does not fit the Stylus code limit. The deployed size depends a
//! little on the project hash cargo-stylus embeds, so it is given as the
//! range over stand-in hashes, and the largest is judged.
//!
//! Usage: `check-size NAME=PATH.wasm [NAME=PATH.wasm ...]`
//!
//! `PROJECT_HASH=<64 hex digits>` packs with that one hash instead, and `DUMP_CODE_DIR=<dir>` writes each deployed code there as
//! hex, so the output can be compared with `cargo stylus get-initcode`.

use std::{fmt::Write as _, process::ExitCode};

use vault_wasm_pack::{
    deployed_size_bounds, pack_with_project_hash, stand_in_project_hash, GOAL_CODE_SIZE, MAX_CODE_SIZE,
};

fn main() -> ExitCode {
    let targets: Vec<String> = std::env::args().skip(1).collect();
    if targets.is_empty() {
        eprintln!("usage: check-size NAME=PATH.wasm ...");
        return ExitCode::from(2);
    }
    let project_hash = match std::env::var("PROJECT_HASH").map(|hex| parse_hash(&hex)) {
        Ok(Some(hash)) => Some(hash),
        Ok(None) => {
            eprintln!("PROJECT_HASH must be 64 hex digits");
            return ExitCode::from(2);
        }
        Err(_) => None,
    };
    let dump_dir = std::env::var("DUMP_CODE_DIR").ok();
    println!(
        "{:<18} {:>9} {:>10} {:>19}  limit {MAX_CODE_SIZE}, goal {GOAL_CODE_SIZE}",
        "contract", "raw", "processed", "deployed (min-max)"
    );
    let mut failed = false;
    for target in &targets {
        let (name, path) = target.split_once('=').unwrap_or((target.as_str(), target.as_str()));
        match measure(path, project_hash, dump_dir.as_deref().map(|dir| format!("{dir}/{name}.code.hex"))) {
            Ok((raw, processed, (smallest, largest))) => {
                let verdict = if largest > MAX_CODE_SIZE {
                    failed = true;
                    "FAIL: over the limit"
                } else if largest > GOAL_CODE_SIZE {
                    "ok (over the goal)"
                } else {
                    "ok"
                };
                println!(
                    "{name:<18} {raw:>9} {processed:>10} {:>19}  {verdict}",
                    format!("{smallest}-{largest}")
                );
            }
            Err(why) => {
                failed = true;
                println!("{name:<18} FAIL: {why}");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `(raw, processed, (smallest, largest) deployed)` bytes of one wasm file.
fn measure(
    path: &str,
    project_hash: Option<[u8; 32]>,
    dump: Option<String>,
) -> Result<(usize, usize, (usize, usize)), String> {
    let raw = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let packed = pack_with_project_hash(&raw, project_hash.unwrap_or(stand_in_project_hash(0)))
        .map_err(|e| e.to_string())?;
    if let Some(file) = dump {
        let hex = packed.code.iter().fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        });
        std::fs::write(&file, hex).map_err(|e| format!("{file}: {e}"))?;
    }
    let bounds = match project_hash {
        Some(_) => (packed.code_len(), packed.code_len()),
        None => deployed_size_bounds(&raw).map_err(|e| e.to_string())?,
    };
    Ok((packed.raw_len, packed.wasm.len(), bounds))
}

fn parse_hash(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim().trim_start_matches("0x");
    let mut hash = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(hash)
}
