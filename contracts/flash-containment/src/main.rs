//! Prints the FlashContainment's Solidity interface or constructor
//! (`-- abi` / `-- constructor`); built only with the `export-abi` feature.
//!
//! The SDK's export leaves events out, so `abi` also prints them, from the
//! same `sol!` declarations the contract emits.

use alloy_sol_types::JsonAbiExt;
use flash_containment::{DeviationSustained, Observed, PoolRegistered, SpikeIgnored, VolumeConsumed};
use vault_access::{Paused, RoleGranted, RoleRevoked, Unpaused};

fn main() {
    flash_containment::print_from_args();
    if std::env::args().nth(1).as_deref() == Some("abi") {
        let events = [
            PoolRegistered::abi(),
            Observed::abi(),
            SpikeIgnored::abi(),
            DeviationSustained::abi(),
            VolumeConsumed::abi(),
            RoleGranted::abi(),
            RoleRevoked::abi(),
            Paused::abi(),
            Unpaused::abi(),
        ];
        println!("\n// Events: not part of the SDK's export; from the contract's sol! declarations.");
        println!("interface IFlashContainmentEvents {{");
        for event in events {
            println!("    {};", event.full_signature());
        }
        println!("}}");
    }
}
