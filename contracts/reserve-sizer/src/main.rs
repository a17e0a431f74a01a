//! Prints the ReserveSizer's Solidity interface or constructor
//! (`-- abi` / `-- constructor`); built only with the `export-abi` feature.
//!
//! The SDK's export leaves events out, so `abi` also prints them, from the
//! same `sol!` declarations the contract emits.

use alloy_sol_types::JsonAbiExt;
use reserve_sizer::{AssetConfigured, BucketConfigured, OutflowRecorded};
use vault_access::{Paused, RoleGranted, RoleRevoked, Unpaused};

fn main() {
    reserve_sizer::print_from_args();
    if std::env::args().nth(1).as_deref() == Some("abi") {
        let events = [
            AssetConfigured::abi(),
            OutflowRecorded::abi(),
            BucketConfigured::abi(),
            RoleGranted::abi(),
            RoleRevoked::abi(),
            Paused::abi(),
            Unpaused::abi(),
        ];
        println!("\n// Events: not part of the SDK's export; from the contract's sol! declarations.");
        println!("interface IReserveSizerEvents {{");
        for event in events {
            println!("    {};", event.full_signature());
        }
        println!("}}");
    }
}
