//! Prints the PrivateMeshPool's Solidity interface (`-- abi`) or its
//! constructor (`-- constructor`); built only with the `export-abi` feature.
//!
//! The contract dispatches its calls itself (see the crate docs), so the
//! interface is printed from the one `sol!` declaration its dispatcher takes
//! its selectors from, `private_mesh_pool::abi::IPrivateMeshPool`: the
//! functions, then the events and the custom errors.

/// The constructor, as `stylus_constructor` takes it (see
/// `PrivateMeshPool::constructor`).
const CONSTRUCTOR: &str = "constructor(address admin, address xau)";

fn main() {
    if std::env::args().nth(1).as_deref() == Some("constructor") {
        println!("{CONSTRUCTOR}");
        return;
    }
    let abi = private_mesh_pool::abi::IPrivateMeshPool::abi::contract();
    println!("/**");
    println!(" * The PrivateMeshPool's interface, printed by contracts/private-mesh-pool/src/main.rs");
    println!(" * from the sol! declaration its dispatcher routes by. Deploy with {CONSTRUCTOR}.");
    println!(" */");
    println!();
    println!("// SPDX-License-Identifier: MIT-OR-APACHE-2.0");
    println!("pragma solidity ^0.8.23;");
    println!();
    print!("{}", abi.to_sol("IPrivateMeshPool", None));
    println!();
}
