//! Prints the Stabilizer's Solidity interface or constructor
//! (`-- abi` / `-- constructor`); built only with the `export-abi` feature.
//!
//! The SDK's export leaves events out and shows the hand-written router as
//! its fallback only, so `abi` also prints the functions and the events,
//! from the same `sol!` declarations the contract routes and emits.

use alloy_sol_types::JsonAbiExt;
use stabilizer::{ContractsSet, DirectionSet, ParametersSet, PegManagersSet, Stabilized};
use vault_access::{Paused, RoleGranted, RoleRevoked, Unpaused};

fn main() {
    stabilizer::print_from_args();
    if std::env::args().nth(1).as_deref() == Some("abi") {
        let events = [
            ContractsSet::abi(),
            ParametersSet::abi(),
            PegManagersSet::abi(),
            DirectionSet::abi(),
            Stabilized::abi(),
            RoleGranted::abi(),
            RoleRevoked::abi(),
            Paused::abi(),
            Unpaused::abi(),
        ];
        println!("\n// Functions: routed by hand (`route_call`), so not in the SDK export above;");
        println!("// from the contract's sol! interface `stabilizer::abi::IStabilizer`.");
        println!("interface IStabilizerFunctions {{");
        for function in stabilizer::abi::IStabilizer::abi::functions().values().flatten() {
            // `full_signature` leaves the visibility out; interfaces need it.
            println!("    {};", function.full_signature().replacen(')', ") external", 1));
        }
        println!("}}");
        println!("\n// Events: not part of the SDK's export; from the contract's sol! declarations.");
        println!("interface IStabilizerEvents {{");
        for event in events {
            println!("    {};", event.full_signature());
        }
        println!("}}");
    }
}
