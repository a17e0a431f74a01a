//! Prints the Stabilizer's Solidity interface (`-- abi`) or its constructor
//! (`-- constructor`); built only with the `export-abi` feature.
//!
//! The contract dispatches its calls itself (see the crate docs), so the
//! interface is printed from the one `sol!` declaration its dispatcher takes
//! its selectors from, `stabilizer::abi::IStabilizer`: the functions, then
//! the events and the custom errors.

/// The constructor, as `stylus_constructor` takes it (see
/// `Stabilizer::constructor`).
const CONSTRUCTOR: &str = "constructor(address admin)";

fn main() {
    if std::env::args().nth(1).as_deref() == Some("constructor") {
        println!("{CONSTRUCTOR}");
    } else {
        let abi = stabilizer::abi::IStabilizer::abi::contract();
        println!("/**");
        println!(" * The Stabilizer's interface (App. A), printed by contracts/stabilizer/src/main.rs");
        println!(" * from the sol! declaration its dispatcher routes by. Deploy with {CONSTRUCTOR}.");
        println!(" */");
        println!();
        println!("// SPDX-License-Identifier: MIT-OR-APACHE-2.0");
        println!("pragma solidity ^0.8.23;");
        println!();
        print!("{}", abi.to_sol("IStabilizer", None));
        println!();
    }
}
