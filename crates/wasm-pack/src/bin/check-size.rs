//! Prints raw, processed and deployed sizes of each contract wasm and fails
//! when one does not fit the Stylus code limit.
//!
//! Usage: `check-size NAME=PATH.wasm [NAME=PATH.wasm ...]`
//!
//! `PROJECT_HASH=<64 hex digits>` packs with that hash instead of the
//! stand-in, and `DUMP_CODE_DIR=<dir>` writes each deployed code there as
//! hex, so the output can be compared with `cargo stylus get-initcode`.

use std::process::ExitCode;

use vault_wasm_pack::{pack_with_project_hash, GOAL_CODE_SIZE, MAX_CODE_SIZE, PLACEHOLDER_PROJECT_HASH};

fn main() -> ExitCode {
    let targets: Vec<String> = std::env::args().skip(1).collect();
    if targets.is_empty() {
        eprintln!("usage: check-size NAME=PATH.wasm ...");
        return ExitCode::from(2);
    }
    println!(
        "{:<20} {:>10} {:>10} {:>10}  limit {MAX_CODE_SIZE}, goal {GOAL_CODE_SIZE}",
        "contract", "raw", "processed", "deployed"
    );
    let project_hash = match std::env::var("PROJECT_HASH") {
        Ok(hex) => match parse_hash(&hex) {
            Some(hash) => hash,
            None => {
                eprintln!("PROJECT_HASH must be 64 hex digits");
                return ExitCode::from(2);
            }
        },
        Err(_) => PLACEHOLDER_PROJECT_HASH,
    };
    let dump_dir = std::env::var("DUMP_CODE_DIR").ok();
    let mut failed = false;
    for target in &targets {
        let (name, path) = target.split_once('=').unwrap_or((target.as_str(), target.as_str()));
        let outcome = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|raw| pack_with_project_hash(&raw, project_hash).map_err(|e| e.to_string()));
        match outcome {
            Ok(packed) => {
                if let Some(dir) = &dump_dir {
                    let hex: String = packed.code.iter().map(|b| format!("{b:02x}")).collect();
                    if let Err(why) = std::fs::write(format!("{dir}/{name}.code.hex"), hex) {
                        eprintln!("cannot write the code of {name}: {why}");
                        failed = true;
                    }
                }
                let verdict = if !packed.fits() {
                    failed = true;
                    "FAIL: over the limit"
                } else if packed.code_len() > GOAL_CODE_SIZE {
                    "ok (over the goal)"
                } else {
                    "ok"
                };
                println!(
                    "{name:<20} {:>10} {:>10} {:>10}  {verdict}",
                    packed.raw_len,
                    packed.wasm.len(),
                    packed.code_len()
                );
            }
            Err(why) => {
                failed = true;
                println!("{name:<20} FAIL: {why}");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
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
