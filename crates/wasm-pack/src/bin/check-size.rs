//! Prints raw, processed and deployed sizes of each contract wasm and fails
//! when one does not fit the Stylus code limit.
//!
//! Usage: `check-size NAME=PATH.wasm [NAME=PATH.wasm ...]`

use std::process::ExitCode;

use vault_wasm_pack::{pack, GOAL_CODE_SIZE, MAX_CODE_SIZE};

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
    let mut failed = false;
    for target in &targets {
        let (name, path) = target.split_once('=').unwrap_or((target.as_str(), target.as_str()));
        let outcome = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|raw| pack(&raw).map_err(|e| e.to_string()));
        match outcome {
            Ok(packed) => {
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
